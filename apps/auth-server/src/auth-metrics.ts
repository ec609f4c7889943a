import { metricsRegistry } from '@trustline/service-runtime';
import { Counter } from 'prom-client';

/** Tokens issued by the engine, by grant type (client_credentials, authorization_code, refresh_token). */
export const tokensIssued = new Counter({
  name: 'trustline_tokens_issued_total',
  help: 'Tokens issued by grant type',
  labelNames: ['grant_type'] as const,
  registers: [metricsRegistry],
});

/** Token requests refused, by OAuth error (invalid_client, invalid_grant, invalid_scope …). */
export const tokensRefused = new Counter({
  name: 'trustline_token_requests_refused_total',
  help: 'Token requests refused by OAuth error',
  labelNames: ['error'] as const,
  registers: [metricsRegistry],
});

/** Logins by outcome (success, failure, blocked). */
export const logins = new Counter({ name: 'trustline_logins_total', help: 'Login attempts by outcome', labelNames: ['outcome'] as const, registers: [metricsRegistry] });

/** Refresh tokens and codes presented again while another request consumed them (reuse: the grant is revoked). */
export const grantSourceReuse = new Counter({
  name: 'trustline_grant_source_reuse_total',
  help: 'Refresh tokens or authorization codes that lost the race to be consumed (treated as reuse; grant revoked)',
  labelNames: ['model'] as const,
  registers: [metricsRegistry],
});

/** Requests refused by an abuse limit before anything was evaluated (login_address, login_account, client_auth, authorization). */
export const abuseLimited = new Counter({
  name: 'trustline_abuse_limited_total',
  help: 'Requests refused by an abuse limit, by limit',
  labelNames: ['limit'] as const,
  registers: [metricsRegistry],
});

/** Expired rows deleted by the scheduled purge, by table (revocations, oidc_payloads). */
export const purgedRows = new Counter({
  name: 'trustline_expired_rows_purged_total',
  help: 'Expired rows deleted by the scheduled purge, by table',
  labelNames: ['table'] as const,
  registers: [metricsRegistry],
});

/** Abuse-limit store operations that failed (Redis down): a point not given back stays taken (fails closed). */
export const attemptStoreErrors = new Counter({
  name: 'trustline_attempt_limit_store_errors_total',
  help: 'Abuse-limit store operations that failed, by operation',
  labelNames: ['operation'] as const,
  registers: [metricsRegistry],
});
