import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { throwError } from 'rxjs';
import { DomainError } from './domain-errors';

/** Domain failures as JSON: `{ statusCode, error, message, …details }` over HTTP, `{ status, error, message, …details }` over RPC. */
@Catch(DomainError)
export class DomainErrorFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: DomainError, host: ArgumentsHost) {
    const body = { error: error.code, message: error.message, ...error.details };
    if (host.getType() !== 'http') return throwError(() => ({ status: error.status, ...body }));
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), { statusCode: error.status, ...body }, error.status);
    return undefined;
  }
}
