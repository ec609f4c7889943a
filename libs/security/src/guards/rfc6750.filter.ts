import { type ArgumentsHost, Catch, type ExceptionFilter, type ExecutionContext, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { throwError } from 'rxjs';
import { principalOf } from '../decorators';
import { InsufficientScopeException, InvalidTokenException } from '../errors';

/**
 * RFC 6750 §3 answers: 401 with `WWW-Authenticate: Bearer error="invalid_token"` (no hint of which check
 * failed), 403 `insufficient_scope` naming the scope needed. RPC callers get the same body and status.
 */
@Catch(InvalidTokenException, InsufficientScopeException)
export class Rfc6750ExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Authorization');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: InvalidTokenException | InsufficientScopeException, host: ArgumentsHost) {
    this.audit(exception, host);
    if (host.getType() !== 'http') return throwError(() => ({ status: exception.status, ...exception.body }));
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse();
    httpAdapter.setHeader(response, 'WWW-Authenticate', exception.challenge);
    httpAdapter.setHeader(response, 'Cache-Control', 'no-store');
    httpAdapter.reply(response, exception.body, exception.status);
    return undefined;
  }

  /**
   * Every refusal is an audit line at the hop that refused it: the precise reason (which the caller is
   * never told), who it was when the token was valid, and the request id. Never the token.
   */
  private audit(exception: InvalidTokenException | InsufficientScopeException, host: ArgumentsHost) {
    const principal = exception instanceof InsufficientScopeException ? principalOf(host as unknown as ExecutionContext) : undefined;
    const request = host.getType() === 'http' ? host.switchToHttp().getRequest<{ id?: unknown; method?: string; url?: string }>() : undefined;
    this.logger.warn({
      event: 'authorization.denied',
      status: exception.status,
      reason: exception instanceof InvalidTokenException ? exception.code : 'insufficient_scope',
      ...(exception instanceof InsufficientScopeException ? { required: [...exception.requiredScopes, ...exception.requiredRoles].join(' ') } : {}),
      ...(principal ? { client_id: principal.clientId, sub: principal.subject } : {}),
      ...(request ? { request_id: request.id, route: `${request.method} ${String(request.url).split('?')[0]}` } : { transport: 'rpc' }),
    });
  }
}
