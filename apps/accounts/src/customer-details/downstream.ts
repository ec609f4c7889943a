import { type ClientCredentialsTokenClient, type M2mTarget, TokenRequestError } from '@trustline/security';
import { DomainError } from '@trustline/service-runtime';

export type Downstream = 'loans' | 'cards';

/** Why a downstream call failed (the `reason` of a 502), for callers and logs alike. */
export type DownstreamFailure = 'timeout' | 'unreachable' | 'refused' | 'token_refused' | 'bad_status' | 'bad_response';

/**
 * Loans or cards could not give an answer: 502 `{ error: 'bad_gateway', message, service, reason }`. Never
 * a 500, never a stack trace, never the downstream's own error body (it may name things we do not show).
 */
export class DownstreamError extends DomainError {
  readonly status = 502;

  constructor(
    readonly service: Downstream,
    readonly reason: DownstreamFailure,
    message = `${service} unavailable`,
    details: Record<string, unknown> = {},
  ) {
    super('bad_gateway', message, { service, reason, ...details });
  }
}

/** This service has no M2M credentials, or the auth server cannot issue a token right now: 503. */
export class M2mUnavailableError extends DomainError {
  readonly status = 503;

  constructor(message = 'this service has no machine-to-machine credentials (CLIENT_ID / CLIENT_SECRET) to call loans and cards') {
    super('m2m_unavailable', message);
  }
}

/** A refusal by the auth server (4xx) is a configuration problem of this service's client, not an outage. */
export function tokenFailure(service: Downstream, target: M2mTarget, error: unknown): DownstreamError | M2mUnavailableError {
  if (error instanceof TokenRequestError && error.status >= 400 && error.status < 500) {
    return new DownstreamError(
      service,
      'token_refused',
      `${service} unavailable: the auth server refused this service a token for ${target.audience} with ${target.scopes.join(' ')} (${error.error})`,
    );
  }
  return new M2mUnavailableError(`${service} unavailable: no access token for ${target.audience} could be obtained right now`);
}

/**
 * Makes sure this service holds its own token for `target` before calling it, so that a failure to get
 * one (no credentials: 503; auth server down: 503; refused: 502) is told apart from the callee failing.
 * The token is cached by the client: the call that follows reuses it.
 */
export async function ensureOwnToken(
  tokens: ClientCredentialsTokenClient | null,
  service: Downstream,
  target: M2mTarget,
  timeoutMs: number,
): Promise<ClientCredentialsTokenClient> {
  if (!tokens) throw new M2mUnavailableError();
  let timer: NodeJS.Timeout | undefined;
  // The token client retries a slow auth server on its own; the caller is not kept waiting for all of it.
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new M2mUnavailableError(`${service} unavailable: no access token for ${target.audience} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([tokens.getToken(target.audience, target.scopes), deadline]);
  } catch (error) {
    throw error instanceof M2mUnavailableError ? error : tokenFailure(service, target, error);
  } finally {
    clearTimeout(timer);
  }
  return tokens;
}

/** The fields a summary keeps, each with its JSON type: anything else the callee sends is dropped. */
export type FieldKinds = Record<string, 'string' | 'number'>;

/**
 * The callee's list as this service passes it on: an array of objects with the expected fields (else 502
 * `bad_response`), only the customer's own entries (another customer's are dropped and counted), and only
 * the known fields.
 */
export function customerEntries<T>(service: Downstream, body: unknown, customerId: string, fields: FieldKinds): { entries: T[]; foreign: number } {
  if (!Array.isArray(body)) throw new DownstreamError(service, 'bad_response', `${service} unavailable: the answer was not a list`);
  const entries: T[] = [];
  let foreign = 0;
  for (const item of body) {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new DownstreamError(service, 'bad_response', `${service} unavailable: the answer held a malformed entry`);
    const source = item as Record<string, unknown>;
    const picked: Record<string, unknown> = {};
    for (const [field, kind] of Object.entries(fields)) {
      if (typeof source[field] !== kind) throw new DownstreamError(service, 'bad_response', `${service} unavailable: the answer held a malformed entry`);
      picked[field] = source[field];
    }
    if (picked.customerId !== customerId) {
      foreign += 1;
      continue;
    }
    entries.push(picked as T);
  }
  return { entries, foreign };
}

/** A short description of what went wrong underneath, for this service's log (never sent to the caller). */
export function causeOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const code = (error as { code?: unknown }).code;
    return [error.name, error.message, cause instanceof Error ? cause.message : undefined, typeof code === 'string' ? code : undefined].filter(Boolean).join(': ');
  }
  if (error && typeof error === 'object') {
    const { status, error: code, message } = error as { status?: unknown; error?: unknown; message?: unknown };
    return `remote error ${String(status ?? '')} ${String(code ?? '')} ${typeof message === 'string' ? message.slice(0, 200) : ''}`.trim();
  }
  return String(error);
}
