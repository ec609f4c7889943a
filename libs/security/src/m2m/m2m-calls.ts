import { type ClientProxy, NatsRecordBuilder } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { rpcEnvelope } from '../rpc/rpc-envelope';
import type { ClientCredentialsTokenClient } from './client-credentials-token-client';
import { natsModule } from '../nats-module';

/** The callee of a machine-to-machine call: its audience and the least scopes the call needs. */
export interface M2mTarget {
  audience: string;
  scopes: readonly string[];
}

/**
 * `fetch` with this service's own access token for `target` (never a user's token). When the callee
 * answers 401, the cached token is dropped and the call is made once more with a fresh one: a token
 * revoked or signed by a retired key should not fail every call until it expires.
 */
export async function m2mFetch(tokens: ClientCredentialsTokenClient, target: M2mTarget, url: string | URL, init: RequestInit = {}): Promise<Response> {
  const attempt = async () => {
    const headers = new Headers(init.headers);
    headers.set('authorization', await tokens.authorization(target.audience, target.scopes));
    return fetch(url, { ...init, headers });
  };
  const first = await attempt();
  if (first.status !== 401) return first;
  await first.body?.cancel();
  tokens.invalidate(target.audience, target.scopes);
  return attempt();
}

export interface M2mMessageOptions {
  /** How the token travels: NATS message headers, or the TCP envelope `{ meta: { authorization }, data }`. */
  transport: 'nats' | 'tcp';
  /** Extra headers for transports that have them (e.g. `traceparent`). */
  headers?: Record<string, string>;
}

/** Sends a message pattern with this service's own token for `target`, the way the callee's guard reads it. */
export async function m2mSend<T>(
  tokens: ClientCredentialsTokenClient,
  target: M2mTarget,
  client: ClientProxy,
  pattern: string,
  data: unknown,
  options: M2mMessageOptions,
): Promise<T> {
  const authorization = await tokens.authorization(target.audience, target.scopes);
  if (options.transport === 'tcp') return firstValueFrom(client.send<T>(pattern, rpcEnvelope(authorization, data)));
  const carried = natsModule().headers();
  for (const [name, value] of Object.entries(options.headers ?? {})) carried.set(name, value);
  carried.set('authorization', authorization);
  return firstValueFrom(client.send<T>(pattern, new NatsRecordBuilder(data).setHeaders(carried).build()));
}
