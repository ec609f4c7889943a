import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClientCredentialsTokenClient, type M2mTarget, m2mFetch, TokenRequestError } from '@trustline/security';
import { CUSTOMER_DETAILS_OPTIONS, type CustomerDetailsOptions, DEFAULT_DOWNSTREAM_TIMEOUT_MS } from './customer-details.options';
import { causeOf, customerEntries, DownstreamError, ensureOwnToken, M2mUnavailableError, tokenFailure } from './downstream';
import { LOAN_SUMMARY_FIELDS, type LoanSummaryView } from './dto/customer-details.view';
import type { TraceHeaders } from './trace-headers';

/** This service's own token for loans, with the least scope the call needs. */
export const LOANS_TARGET: M2mTarget = { audience: 'urn:trustline:loans', scopes: ['loans:read'] };

/**
 * Reads a customer's loans from the loans service over HTTP (`GET /api/loans?customerId=`), with this
 * service's own M2M token, never the caller's. Every failure becomes a DownstreamError (502) or an
 * M2mUnavailableError (503).
 */
@Injectable()
export class LoansClient {
  private readonly logger = new Logger(LoansClient.name);

  constructor(
    @Inject(CUSTOMER_DETAILS_OPTIONS) private readonly options: CustomerDetailsOptions,
    @Inject(ClientCredentialsTokenClient) private readonly tokens: ClientCredentialsTokenClient | null,
  ) {}

  async byCustomer(customerId: string, trace: TraceHeaders = {}): Promise<LoanSummaryView[]> {
    try {
      const tokens = await ensureOwnToken(this.tokens, 'loans', LOANS_TARGET, this.options.timeoutMs ?? DEFAULT_DOWNSTREAM_TIMEOUT_MS);
      const body = await this.fetchList(tokens, customerId, trace);
      const { entries, foreign } = customerEntries<LoanSummaryView>('loans', body, customerId, LOAN_SUMMARY_FIELDS);
      if (foreign) this.logger.warn(`loans answered with ${foreign} loan(s) of other customers; dropped`);
      return entries;
    } catch (error) {
      const failure = this.failure(error);
      this.logger.warn(`loans call failed: ${failure.message} ${JSON.stringify(failure.details)}${failure === error ? '' : ` (${causeOf(error)})`}`);
      throw failure;
    }
  }

  private async fetchList(tokens: ClientCredentialsTokenClient, customerId: string, trace: TraceHeaders): Promise<unknown> {
    const url = `${this.options.loansUrl}/api/loans?customerId=${encodeURIComponent(customerId)}`;
    // One deadline for the whole exchange, body included.
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_DOWNSTREAM_TIMEOUT_MS);
    const response = await m2mFetch(tokens, LOANS_TARGET, url, { headers: { accept: 'application/json', ...trace }, signal, redirect: 'error' });
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new DownstreamError('loans', 'refused', `loans refused this service's token (${response.status}${challengeError(response)})`, { status: response.status });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DownstreamError('loans', 'bad_status', 'loans unavailable', { status: response.status });
    }
    return response.json();
  }

  private failure(error: unknown): DownstreamError | M2mUnavailableError {
    if (error instanceof DownstreamError || error instanceof M2mUnavailableError) return error;
    // A renewal after a 401 (inside m2mFetch) can fail like any token request.
    if (error instanceof TokenRequestError) return tokenFailure('loans', LOANS_TARGET, error);
    if (error instanceof Error && error.name === 'TimeoutError') return new DownstreamError('loans', 'timeout');
    if (error instanceof SyntaxError) return new DownstreamError('loans', 'bad_response', 'loans unavailable: the answer was not JSON');
    return new DownstreamError('loans', 'unreachable');
  }
}

/** `insufficient_scope` / `invalid_token` from an RFC 6750 challenge, for the message. */
function challengeError(response: Response): string {
  const match = /error="([a-z_]+)"/.exec(response.headers.get('www-authenticate') ?? '');
  return match ? ` ${match[1]}` : '';
}
