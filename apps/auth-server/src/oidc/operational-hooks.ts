import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AttemptLimits } from '../attempts/attempt-limits.service';
import type { AuditService } from '../audit/audit.service';
import { auditRequestId } from '../audit/request-id';
import type { AuthServerConfig } from '../config/auth-server.config';
import { tokensIssued, tokensRefused } from '../auth-metrics';
import type { RevocationsService } from '../revocation/revocations.service';

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
    return decodeURIComponent(decoded.slice(0, colon)).slice(0, 128);
  } catch {
    return undefined;
  }
}

/**
 * What the engine does not do by itself, wired around it: brute-force protection of client
 * authentication, the audit log of token issuance, refusals and logouts, and the revocation record of
 * revoked grants. The engine emits its events without awaiting listeners, so every write started by a
 * listener is tracked and the outermost middleware holds the response until they have settled: a client
 * that revokes a grant and then introspects its token must see it inactive.
 */
export function installOperationalHooks(provider: Provider, deps: OperationalHookDependencies): void {
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const tracked = work.catch((error: unknown) => deps.onWriteError?.(error)).finally(() => pending.delete(tracked));
    pending.add(tracked);
  };

  provider.use(async (_ctx, next) => {
    await next();
    if (pending.size > 0) await Promise.allSettled([...pending]);
  });

  // Failed client authentications at the token endpoints, per client and per address. The client is
  // known before the body is parsed only from a Basic header; per-address counting covers the rest.
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || !CLIENT_AUTH_ROUTES.has(ctx.path)) return next();
    const named = basicClientId(ctx.get('authorization'));
    const wait = await deps.attempts.clientAuthBlockedFor(named, ctx.ip);
    if (wait > 0) {
      ctx.status = 429;
      ctx.set('retry-after', String(wait));
      ctx.set('cache-control', 'no-store');
      ctx.body = { error: 'invalid_client', error_description: 'too many failed client authentications; retry later' };
      track(deps.audit.record({ type: 'client_auth.blocked', outcome: 'failure', reason: 'too_many_failures', clientId: named, ip: ctx.ip, requestId: requestIdOf(ctx) }));
      return;
    }
    await next();
    if ((ctx.body as { error?: unknown } | undefined)?.error === 'invalid_client') {
      const clientId = named ?? (typeof ctx.oidc?.params?.client_id === 'string' ? ctx.oidc.params.client_id : undefined);
      track(deps.attempts.clientAuthFailed(clientId, ctx.ip));
    }
  });

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantType = String(ctx.oidc.params?.grant_type ?? '');
    tokensIssued.inc({ grant_type: grantType });
    const body = ctx.body as { scope?: unknown } | undefined;
    track(
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
    track(
      deps.audit.record({
        type: 'token.refused',
        outcome: 'failure',
        reason: error.error ?? 'server_error',
        clientId: ctx.oidc?.client?.clientId ?? (typeof ctx.oidc?.params?.client_id === 'string' ? ctx.oidc.params.client_id : basicClientId(ctx.get('authorization'))),
        requestId: requestIdOf(ctx),
        ip: ctx.ip,
        details: { grant_type: typeof ctx.oidc?.params?.grant_type === 'string' ? ctx.oidc.params.grant_type : undefined },
      }),
    );
  });

  provider.on('authorization.error', (ctx: KoaContextWithOIDC, error: { error?: string }) => {
    track(
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
    track(deps.audit.record({ type: 'logout', outcome: 'success', clientId: ctx.oidc?.client?.clientId, requestId: requestIdOf(ctx), ip: ctx.ip }));
  });

  // A revoked grant (logout, refresh-token reuse, revocation of a refresh token) must kill the JWT access
  // tokens it issued too; record() keeps the entry as long as the longest access token ever issued.
  provider.on('grant.revoked', (_ctx: KoaContextWithOIDC, grantId: string) => {
    track(deps.revocations.record('grant', grantId));
  });
}
