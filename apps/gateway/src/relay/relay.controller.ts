import { All, Controller, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeController } from '@nestjs/swagger';
import { Audience, CurrentPrincipal, type Principal } from '@trustline/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CallerThrottlerGuard } from './caller-throttler.guard';
import { RelayService } from './relay.service';
import { ACCOUNTS_AUDIENCE, CARDS_AUDIENCE, LOANS_AUDIENCE } from './routes';

/**
 * The public API surface: one handler per service. The global security guard verifies the token first
 * (signature, issuer, expiry, revocation) and `@Audience` requires the audience of the route's service,
 * so a loans token never reaches accounts through here. The services verify everything again.
 */
@ApiExcludeController()
@ApiBearerAuth()
@UseGuards(CallerThrottlerGuard)
@Controller('api')
export class RelayController {
  constructor(private readonly relay: RelayService) {}

  @Audience(ACCOUNTS_AUDIENCE)
  @All(['accounts', 'accounts/*'])
  accounts(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.relay.forward('accounts', principal, request, reply);
  }

  @Audience(LOANS_AUDIENCE)
  @All(['loans', 'loans/*'])
  loans(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.relay.forward('loans', principal, request, reply);
  }

  @Audience(CARDS_AUDIENCE)
  @All(['cards', 'cards/*'])
  cards(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.relay.forward('cards', principal, request, reply);
  }
}
