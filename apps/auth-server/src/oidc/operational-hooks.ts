import type { IncomingMessage } from 'node:http';
import { type ParsedUrlQuery, parse as parseQuery } from 'node:querystring';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { type AttemptLimits, clientAuthentication } from '../attempts/attempt-limits.service';
import type { AuditService } from '../audit/audit.service';
import { auditRequestId } from '../audit/request-id';
import type { AuthServerConfig } from '../config/auth-server.config';
import { abuseLimited, grantSourceReuse, tokensIssued, tokensRefused } from '../auth-metrics';
import { HTML_SECURITY_HEADERS, page } from './html';
import type { RevocationsService } from '../revocation/revocations.service';
import { AlreadyConsumedError } from './typeorm-adapter';

export interface OperationalHookDependencies {
  config: AuthServerConfig;
  revocations: RevocationsService;
  audit: AuditService;
  attempts: AttemptLimits;
  onWriteError?: (error: unknown) => void;
}

const CLIENT_AUTH_ROUTES = new Set(['/token', '/token/introspection', '/token/revocation']);
const requestIdOf = (ctx: { get(name: string): string }) => auditRequestId(ctx.get('x-request-id'));

/** The client id an HTTP Basic header names (without checking the secret), for counting failures. */
function basicClientId(authorization: string): string | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    // RFC 6749 §2.3.1: form-encoded, `+` included (as the engine decodes it).
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20')).slice(0, 128);
  } catch {
    return undefined;
  }
}

const single = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);

/** The `sub` of a client_assertion JWT, unverified (RFC 7523 §3: the client it claims to be). */
function assertionSubject(assertion: string | undefined): string | undefined {
  const payload = assertion?.split('.')[1];
  if (!payload) return undefined;
  try {
    const sub = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub.slice(0, 128) : undefined;
  } catch {
    return undefined;
  }
}

/** The client a token-endpoint request claims to be, by any authentication method; unverified. */
export function claimedClientId(authorization: string, form: ParsedUrlQuery | undefined): string | undefined {
  return basicClientId(authorization) ?? single(form?.client_id)?.slice(0, 128) ?? assertionSubject(single(form?.client_assertion));
}

/** The engine's own body limit (oidc-provider lib/shared/selective_body.js). */
const FORM_LIMIT = 56 * 1024;

/** Reads a urlencoded body, bounded like the engine reads it; rejects beyond the limit or a length mismatch. */
async function readForm(request: IncomingMessage, length: number | undefined, charset: string | undefined): Promise<string> {
  if (length !== undefined && length > FORM_LIMIT) throw new Error('request entity too large');
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of request.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > FORM_LIMIT || (length !== undefined && received > length)) throw new Error('request entity too large');
    chunks.push(chunk);
  }
  if (length !== undefined && received !== length) throw new Error('request size did not match content length');
  return new TextDecoder(charset || 'utf-8').decode(Buffer.concat(chunks, received));
}

/**
 * What the engine does not do by itself, wired around it: brute-force protection of client
 * authentication, the audit log of token issuance, refusals and logouts, and the revocation record of
 * revoked grants. The engine emits its events without awaiting listeners, so every write started by a
 * listener is tracked and the outermost middleware holds the response until they have settled: a client
 * that revokes a grant and then introspects its token must see it inactive.
 */
export function installOperationalHooks(provider: Provider, deps: OperationalHookDependencies): void {
  // Writes are tracked per request: a response waits for its own writes only, never for other
  // requests' (under sustained load a shared set would never drain, and every response would hang).
  const pendingOf = new WeakMap<object, Set<Promise<unknown>>>();
  const track = (ctx: object | undefined, work: Promise<unknown>) => {
    const settled = work.catch((error: unknown) => deps.onWriteError?.(error));
    // An event raised outside a request (none today) has no response to hold: its errors are still reported.
    if (typeof ctx !== 'object' || ctx === null) return void settled;
    let pending = pendingOf.get(ctx);
    if (!pending) pendingOf.set(ctx, (pending = new Set()));
    const own = pending;
    const tracked = settled.finally(() => own.delete(tracked));
    own.add(tracked);
  };

  provider.use(async (ctx, next) => {
    await next();
    // A write may start another (a reused refresh token revokes its grant, which records the revocation).
    const pending = pendingOf.get(ctx);
    while (pending && pending.size > 0) await Promise.allSettled([...pending]);
  });

  // Anonymous authorization requests (each can create an interaction row), per address.
  provider.use(async (ctx, next) => {
    if (ctx.path !== '/auth' || (ctx.method !== 'GET' && ctx.method !== 'POST')) return next();
    const wait = await deps.attempts.authorizationWait(ctx.ip);
    if (wait === 0) return next();
    abuseLimited.inc({ limit: 'authorization' });
    // No RFC 6749 §4.1.2.1 error redirect: the client and its redirect URI are not validated yet.
    ctx.status = 429;
    ctx.set({ ...HTML_SECURITY_HEADERS, 'retry-after': String(wait), 'cache-control': 'no-store' });
    ctx.type = 'html';
    ctx.body = page(
      'Too many requests',
      `<h1>Too many sign-in requests</h1><p class="error">too_many_requests</p><p>Too many sign-in requests from your address. Try again in ${wait} second(s).</p>`,
    );
  });

  // Client authentication at the token endpoints, counted per (client, address) and per address before
  // the engine evaluates it, whatever the method: the client named by a Basic header, by client_id in
  // the body (client_secret_post, none) or by the sub of a client_assertion (private_key_jwt).
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || !CLIENT_AUTH_ROUTES.has(ctx.path)) return next();
    let form: ParsedUrlQuery | undefined;
    if (ctx.is('application/x-www-form-urlencoded')) {
      const text = await readForm(ctx.req, ctx.request.length, ctx.request.charset).catch(() => undefined);
      if (text === undefined) {
        ctx.status = 400;
        ctx.set('cache-control', 'no-store');
        ctx.body = { error: 'invalid_request', error_description: 'failed to parse the request body' };
        return;
      }
      form = parseQuery(text);
      // The engine takes a body read upstream from req.body and parses it as it would have (selective_body.js;
      // it prints a one-time notice that an upstream parser ran).
      (ctx.req as IncomingMessage & { body?: string }).body = text;
    }
    const named = claimedClientId(ctx.get('authorization'), form);
    const presents = ctx.get('authorization') || form?.client_secret !== undefined || form?.client_assertion !== undefined ? 'credential' : 'no credential';
    const attempt = await deps.attempts.beginClientAuth(named, ctx.ip, presents);
    if (attempt.wait > 0) {
      abuseLimited.inc({ limit: 'client_auth' });
      ctx.status = 429;
      ctx.set('retry-after', String(attempt.wait));
      ctx.set('cache-control', 'no-store');
      ctx.body = { error: 'invalid_client', error_description: 'too many failed client authentications from this address; retry later' };
      track(ctx, deps.audit.record({ type: 'client_auth.blocked', outcome: 'failure', reason: 'too_many_failures', clientId: named, ip: ctx.ip, requestId: requestIdOf(ctx) }));
      return;
    }
    try {
      await clientAuthentication.run(attempt, next);
    } catch (error) {
      // Undecided (the engine failed): not a failure of the client's, so its point is given back.
      track(ctx, attempt.abandoned());
      throw error;
    }
    // Only a failed authentication counts; anything else (a token, invalid_grant …) gives its point back.
    track(ctx, (ctx.body as { error?: unknown } | undefined)?.error === 'invalid_client' ? attempt.failed() : attempt.succeeded());
  });

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantType = String(ctx.oidc.params?.grant_type ?? '');
    tokensIssued.inc({ grant_type: grantType });
    const body = ctx.body as { scope?: unknown } | undefined;
    track(
      ctx,
      deps.audit.record({
        type: grantType === 'refresh_token' ? 'token.refreshed' : 'token.issued',
        outcome: 'success',
        clientId: ctx.oidc.client?.clientId,
        subject: ctx.oidc.account?.accountId ?? (grantType === 'client_credentials' ? ctx.oidc.client?.clientId : undefined),
        requestId: requestIdOf(ctx),
        ip: ctx.ip,
        details: {
          grant_type: grantType,
          resource: typeof ctx.oidc.params?.resource === 'string' ? ctx.oidc.params.resource : undefined,
          scope: typeof body?.scope === 'string' ? body.scope : undefined,
        },
      }),
    );
  });

  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: { error?: string }) => {
    tokensRefused.inc({ error: error.error ?? 'server_error' });
    const reuse = error instanceof AlreadyConsumedError;
    // Lost the race to consume a refresh token or code: reuse, as the engine treats a consumed one it
    // reads (RFC 9700 §4.14.2, RFC 6749 §4.1.2). The whole grant goes, the winner's new tokens with it.
    if (reuse) {
      grantSourceReuse.inc({ model: error.model });
      if (error.grantId) track(ctx, revokeGrant(provider, ctx, error.grantId));
    }
    track(
      ctx,
      deps.audit.record({
        type: 'token.refused',
        outcome: 'failure',
        reason: error.error ?? 'server_error',
        clientId: ctx.oidc?.client?.clientId ?? (typeof ctx.oidc?.params?.client_id === 'string' ? ctx.oidc.params.client_id : basicClientId(ctx.get('authorization'))),
        requestId: requestIdOf(ctx),
        ip: ctx.ip,
        details: { grant_type: typeof ctx.oidc?.params?.grant_type === 'string' ? ctx.oidc.params.grant_type : undefined, ...(reuse ? { reuse: true } : {}) },
      }),
    );
  });

  provider.on('authorization.error', (ctx: KoaContextWithOIDC, error: { error?: string }) => {
    track(
      ctx,
      deps.audit.record({
        type: 'authorization.denied',
        outcome: 'failure',
        reason: error.error ?? 'server_error',
        clientId: ctx.oidc?.client?.clientId,
        subject: ctx.oidc?.session?.accountId,
        requestId: requestIdOf(ctx),
        ip: ctx.ip,
      }),
    );
  });

  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    track(ctx, deps.audit.record({ type: 'logout', outcome: 'success', clientId: ctx.oidc?.client?.clientId, requestId: requestIdOf(ctx), ip: ctx.ip }));
  });

  // A revoked grant (logout, refresh-token reuse, revocation of a refresh token) must kill the JWT access
  // tokens it issued too; record() keeps the entry as long as the longest access token ever issued.
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    track(ctx, deps.revocations.record('grant', grantId));
  });
}

/**
 * What the engine's own reuse path does (lib/helpers/revoke.js): every artefact of the grant and the
 * grant itself go, and `grant.revoked` records the revocation that kills its JWT access tokens.
 */
async function revokeGrant(provider: Provider, ctx: KoaContextWithOIDC, grantId: string): Promise<void> {
  await Promise.all([
    provider.AccessToken.revokeByGrantId(grantId),
    provider.RefreshToken.revokeByGrantId(grantId),
    provider.AuthorizationCode.revokeByGrantId(grantId),
    provider.Grant.adapter.destroy(grantId),
  ]);
  provider.emit('grant.revoked', ctx, grantId);
}
