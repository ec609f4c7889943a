import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@trustline/security';
import type { FastifyReply } from 'fastify';
import type { GatewayEnv } from '../gateway.env';
import { GATEWAY_ENV } from '../gateway.tokens';
import { portalContentSecurityPolicy } from './portal-static';

/**
 * The demo portal's two dynamic routes: its configuration (which issuer to sign in with), and the
 * OAuth redirect URI, which is the portal page itself (it finishes the sign-in from the query).
 */
@ApiExcludeController()
@Public()
@Controller()
export class PortalController {
  constructor(@Inject(GATEWAY_ENV) private readonly env: GatewayEnv) {}

  @Get('portal/config.json')
  @Header('cache-control', 'no-store')
  config() {
    return { issuer: this.env.ISSUER_URL, clientId: 'portal' };
  }

  @Get('callback')
  callback(@Res() reply: FastifyReply) {
    void reply
      .header('content-security-policy', portalContentSecurityPolicy(this.env.ISSUER_URL))
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .sendFile('index.html');
  }
}
