import { Body, Controller, Get, HttpCode, NotFoundException, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import { CurrentPrincipal, type Principal, Scopes } from '@trustline/security';
import type { FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service';
import { auditRequestId } from '../audit/request-id';
import { ClientRegistrationError, ClientsService } from '../clients/clients.service';
import { SessionsService } from '../sessions/sessions.service';
import { UsersService } from '../users/users.service';
import { AuditFilter, ClientChange, ClientIdParam, RoleParam, RoleScopes, SubjectParam } from './admin.dto';

/**
 * The administrator's levers that take effect without a redeploy (a token for urn:trustline:auth with
 * the `admin` scope): end a user's sessions, cut a client off, change what a client or a role may do,
 * read the audit log. Each action is itself audited with who did it.
 */
@Scopes('admin')
@Controller('admin')
export class AdminController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly clients: ClientsService,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  /** Force logout: sessions, grants and refresh tokens gone; access tokens refused everywhere. */
  @Post('users/:sub/logout')
  @HttpCode(200)
  async logoutUser(@Param() { sub }: SubjectParam, @CurrentPrincipal() admin: Principal, @Req() request: FastifyRequest) {
    if (!(await this.users.findById(sub))) throw new NotFoundException({ error: 'not_found', message: `no user ${sub}` });
    return this.sessions.endUserSessions(sub, { actor: admin.subject, requestId: auditRequestId(request.headers['x-request-id']) });
  }

  /** Every token of the client refused everywhere (its registration stays; disable it with PATCH to keep it out). */
  @Post('clients/:clientId/revoke-tokens')
  @HttpCode(200)
  revokeClientTokens(@Param() { clientId }: ClientIdParam, @CurrentPrincipal() admin: Principal, @Req() request: FastifyRequest) {
    return this.sessions.revokeClientTokens(clientId, { actor: admin.subject, requestId: auditRequestId(request.headers['x-request-id']) });
  }

  /** Scopes, audiences or enabled state of a client; the next token follows. */
  @Patch('clients/:clientId')
  async changeClient(@Param() { clientId }: ClientIdParam, @Body() change: ClientChange, @CurrentPrincipal() admin: Principal, @Req() request: FastifyRequest) {
    try {
      const client = await this.clients.update(clientId, change);
      await this.audit.record({
        type: 'client.changed',
        outcome: 'success',
        clientId,
        requestId: auditRequestId(request.headers['x-request-id']),
        details: { by: admin.subject, scopes: client.allowedScopes.join(' '), audiences: client.audiences.join(' '), enabled: client.enabled },
      });
      return { clientId, allowedScopes: client.allowedScopes, audiences: client.audiences, enabled: client.enabled };
    } catch (error) {
      if (error instanceof ClientRegistrationError) throw new NotFoundException({ error: 'invalid_request', message: error.message });
      throw error;
    }
  }

  /** The scope-to-role mapping: every user with the role gets exactly these scopes from their next token on. */
  @Put('roles/:name')
  async setRole(@Param() { name }: RoleParam, @Body() body: RoleScopes, @CurrentPrincipal() admin: Principal, @Req() request: FastifyRequest) {
    await this.users.upsertRole(name, body.scopes);
    await this.audit.record({
      type: 'role.changed',
      outcome: 'success',
      requestId: auditRequestId(request.headers['x-request-id']),
      details: { role: name, scopes: body.scopes.join(' '), by: admin.subject },
    });
    return { name, scopes: body.scopes };
  }

  @Get('audit')
  events(@Query() filter: AuditFilter) {
    return this.audit.query(filter);
  }
}
