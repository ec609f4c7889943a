import type { ExecutionContext } from '@nestjs/common';
import { TokenVerificationError } from '../errors';

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** The token of an `Authorization: Bearer …` value (RFC 6750 §2.1); anything else is malformed. */
export function bearerToken(authorization: unknown): string {
  if (authorization === undefined || authorization === null || authorization === '') throw new TokenVerificationError('TOKEN_MISSING');
  if (typeof authorization !== 'string') throw new TokenVerificationError('TOKEN_MALFORMED', 'more than one Authorization header');
  const match = BEARER.exec(authorization);
  if (!match) throw new TokenVerificationError('TOKEN_MALFORMED', 'not a Bearer credential');
  return match[1];
}

interface HeaderCarrier {
  getHeaders?: () => { get(name: string): string | undefined } | undefined;
}

/**
 * The Authorization value of an HTTP request or an RPC message: NATS carries it in message headers,
 * TCP (no headers) in the envelope `{ meta: { authorization }, data }` (CONVENTIONS.md).
 */
export function authorizationOf(context: ExecutionContext): unknown {
  if (context.getType() === 'http') return context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers.authorization;
  const rpc = context.switchToRpc();
  const transportContext = rpc.getContext() as HeaderCarrier | undefined;
  const fromHeaders = typeof transportContext?.getHeaders === 'function' ? transportContext.getHeaders()?.get('authorization') : undefined;
  if (fromHeaders) return fromHeaders;
  const data = rpc.getData() as { meta?: { authorization?: unknown } } | undefined;
  return data && typeof data === 'object' ? data.meta?.authorization : undefined;
}
