import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { ClientCredentialsTokenClient, type M2mTarget, m2mSend, TokenRequestError } from '@trustline/security';
import { CARDS_RPC_CLIENT, CUSTOMER_DETAILS_OPTIONS, type CustomerDetailsOptions, DEFAULT_DOWNSTREAM_TIMEOUT_MS } from './customer-details.options';
import { causeOf, customerEntries, DownstreamError, ensureOwnToken, M2mUnavailableError, tokenFailure } from './downstream';
import { CARD_SUMMARY_FIELDS, type CardSummaryView } from './dto/customer-details.view';
import type { TraceHeaders } from './trace-headers';

/** This service's own token for cards, with the least scope the call needs. */
export const CARDS_TARGET: M2mTarget = { audience: 'urn:trustline:cards', scopes: ['cards:read'] };
/** The message pattern cards answers (CONVENTIONS.md). */
export const CARDS_BY_CUSTOMER = 'cards.by-customer';

class RpcTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'RpcTimeoutError';
  }
}

/** The numeric `status` of an RPC error as the callee's filters send it (`{ status: 403, error: 'insufficient_scope' }`). */
function rpcStatus(error: unknown): number | undefined {
  const status = error && typeof error === 'object' ? (error as { status?: unknown }).status : undefined;
  return typeof status === 'number' ? status : undefined;
}

function rpcErrorCode(error: unknown): string {
  const code = error && typeof error === 'object' ? (error as { error?: unknown }).error : undefined;
  return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? ` ${code}` : '';
}

/**
 * Reads a customer's cards from the cards service with @nestjs/microservices (`cards.by-customer`): over
 * TCP with the token in the envelope, or over NATS with it in the message headers (then `traceparent` and
 * `x-request-id` travel too). Always this service's own token, never the caller's.
 */
@Injectable()
export class CardsClient implements OnApplicationShutdown {
  private readonly logger = new Logger(CardsClient.name);

  constructor(
    @Inject(CUSTOMER_DETAILS_OPTIONS) private readonly options: CustomerDetailsOptions,
    @Inject(ClientCredentialsTokenClient) private readonly tokens: ClientCredentialsTokenClient | null,
    @Inject(CARDS_RPC_CLIENT) private readonly rpc: ClientProxy,
  ) {}

  async byCustomer(customerId: string, trace: TraceHeaders = {}): Promise<CardSummaryView[]> {
    try {
      const tokens = await ensureOwnToken(this.tokens, 'cards', CARDS_TARGET, this.options.timeoutMs ?? DEFAULT_DOWNSTREAM_TIMEOUT_MS);
      const body = await this.send(tokens, customerId, trace);
      const { entries, foreign } = customerEntries<CardSummaryView>('cards', body, customerId, CARD_SUMMARY_FIELDS);
      if (foreign) this.logger.warn(`cards answered with ${foreign} card(s) of other customers; dropped`);
      return entries;
    } catch (error) {
      const failure = this.failure(error);
      this.logger.warn(`cards call failed: ${failure.message} ${JSON.stringify(failure.details)}${failure === error ? '' : ` (${causeOf(error)})`}`);
      throw failure;
    }
  }

  onApplicationShutdown(): void {
    this.rpc.close();
  }

  private async send(tokens: ClientCredentialsTokenClient, customerId: string, trace: TraceHeaders): Promise<unknown> {
    const once = () =>
      this.withTimeout(m2mSend<unknown>(tokens, CARDS_TARGET, this.rpc, CARDS_BY_CUSTOMER, { customerId }, { transport: this.options.cards.transport, headers: { ...trace } }));
    try {
      return await once();
    } catch (error) {
      if (rpcStatus(error) !== 401) throw error;
      // As m2mFetch does over HTTP: a revoked or re-keyed token is dropped and the call made once more.
      tokens.invalidate(CARDS_TARGET.audience, CARDS_TARGET.scopes);
      return once();
    }
  }

  private withTimeout<T>(pending: Promise<T>): Promise<T> {
    const ms = this.options.timeoutMs ?? DEFAULT_DOWNSTREAM_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new RpcTimeoutError(ms)), ms);
    });
    return Promise.race([pending, deadline]).finally(() => clearTimeout(timer));
  }

  private failure(error: unknown): DownstreamError | M2mUnavailableError {
    if (error instanceof DownstreamError || error instanceof M2mUnavailableError) return error;
    if (error instanceof TokenRequestError) return tokenFailure('cards', CARDS_TARGET, error);
    if (error instanceof RpcTimeoutError) return new DownstreamError('cards', 'timeout');
    const status = rpcStatus(error);
    if (status === 401 || status === 403) return new DownstreamError('cards', 'refused', `cards refused this service's token (${status}${rpcErrorCode(error)})`, { status });
    if (status !== undefined) return new DownstreamError('cards', 'bad_status', 'cards unavailable', { status });
    // A plain object is an error the callee sent (e.g. no handler for the pattern); an Error is the transport's.
    if (error && typeof error === 'object' && !(error instanceof Error)) return new DownstreamError('cards', 'bad_status', 'cards unavailable');
    return new DownstreamError('cards', 'unreachable');
  }
}
