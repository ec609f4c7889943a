import { Inject, Injectable } from '@nestjs/common';
import { UpstreamRelay } from '@trustline/relay';
import { InsufficientScopeException, type Principal } from '@trustline/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GATEWAY_ENV } from '../gateway.tokens';
import type { GatewayEnv } from '../gateway.env';
import { relayPath, requiredScope, routeFor, type ServiceRoute, serviceRoutes } from './routes';

/**
 * The gateway's part of a relay: the route, and the scope its method needs, for a principal the
 * security guard has already verified; @trustline/relay then streams the request to the service (one of
 * its replicas) with the token as it came: the service verifies it again.
 */
@Injectable()
export class RelayService {
  private readonly routes: Record<string, ServiceRoute>;
  private readonly relay: UpstreamRelay;

  constructor(@Inject(GATEWAY_ENV) env: GatewayEnv) {
    this.routes = serviceRoutes(env);
    this.relay = new UpstreamRelay({ timeoutMs: env.UPSTREAM_TIMEOUT_MS });
  }

  forward(principal: Principal, request: FastifyRequest, reply: FastifyReply): void {
    const route = routeFor(this.routes, request.url);
    if (!route) {
      void reply.code(404).send({ error: 'not_found', message: 'no such route' });
      return;
    }
    const scope = requiredScope(route, request.method);
    if (!principal.scopes.includes(scope)) throw new InsufficientScopeException([scope]);
    const path = relayPath(route, request.url);
    if (!path) {
      void reply.code(400).send({ error: 'invalid_request', message: 'path not allowed' });
      return;
    }
    this.relay.forward(request, reply, { service: route.service, upstreams: route.upstreams, path });
  }
}
