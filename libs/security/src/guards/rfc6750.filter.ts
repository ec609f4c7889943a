import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { throwError } from 'rxjs';
import { InsufficientScopeException, InvalidTokenException } from '../errors';

/**
 * RFC 6750 §3 answers: 401 with `WWW-Authenticate: Bearer error="invalid_token"` (no hint of which check
 * failed), 403 `insufficient_scope` naming the scope needed. RPC callers get the same body and status.
 */
@Catch(InvalidTokenException, InsufficientScopeException)
export class Rfc6750ExceptionFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: InvalidTokenException | InsufficientScopeException, host: ArgumentsHost) {
    if (host.getType() !== 'http') return throwError(() => ({ status: exception.status, ...exception.body }));
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse();
    httpAdapter.setHeader(response, 'WWW-Authenticate', exception.challenge);
    httpAdapter.setHeader(response, 'Cache-Control', 'no-store');
    httpAdapter.reply(response, exception.body, exception.status);
    return undefined;
  }
}
