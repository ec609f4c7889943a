import { All, Controller, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeController } from '@nestjs/swagger';
import { Audience, CurrentPrincipal, type Principal } from '@trustline/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CallerThrottlerGuard } from './caller-throttler.guard';
import { RelayService } from './relay.service';
import { audienceForPath, GATEWAY_SERVICES } from './routes';

/** `/api/<service>` and everything below it, for every service behind the gateway. */
const ROUTE_PATHS = GATEWAY_SERVICES.flatMap(({ service }) => [service, `${service}/*`]);

/**
 * The public API surface. The global security guard verifies the token first (signature, issuer,
 * expiry, revocation) and requires the audience of the route's own service (`@Audience` with a
 * resolver), so a loans token never reaches accounts through here. The services verify everything again.
 */
@ApiExcludeController()
@ApiBearerAuth()
@UseGuards(CallerThrottlerGuard)
@Controller('api')
export class RelayController {
  constructor(private readonly relay: RelayService) {}

  // The token must be for the route's own service: the shared guard checks it (a loans token is an
  // invalid token on /api/accounts), before this handler runs.
  @Audience((context) => audienceForPath(context.switchToHttp().getRequest<FastifyRequest>().url))
  @All(ROUTE_PATHS)
  forward(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.relay.forward(principal, request, reply);
  }
}
