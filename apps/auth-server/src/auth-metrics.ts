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

/** Expired rows deleted by the scheduled purge, by table (revocations, oidc_payloads). */
export const purgedRows = new Counter({
  name: 'trustline_expired_rows_purged_total',
  help: 'Expired rows deleted by the scheduled purge, by table',
  labelNames: ['table'] as const,
  registers: [metricsRegistry],
});
