import { baseServiceEnv, loadServiceEnv } from '@trustline/service-runtime';
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const httpUrl = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ''));

/** `tcp://host:port` as a host and a port (Nest's TCP transport takes them apart). */
export interface TcpAddress {
  host: string;
  port: number;
}

export function parseTcpUrl(value: string): TcpAddress | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const port = Number(url.port);
  if (url.protocol !== 'tcp:' || !url.hostname || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  if (url.username || url.password || (url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) return undefined;
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

/**
 * The accounts service's environment (CONVENTIONS.md): the shared variables plus its port, revocation
 * polling, and where the customer-details route finds loans (HTTP) and cards (TCP, or NATS when set).
 */
export const accountsEnvSchema = baseServiceEnv
  .extend({
    PORT: port(8081),
    METRICS_PORT: port(9181),
    /** How often the revocation feed is pulled when CLIENT_ID / CLIENT_SECRET are set. */
    REVOCATION_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
    /** The loans service (HTTP), for customer details. */
    LOANS_URL: httpUrl.default('http://localhost:8082'),
    /** The cards service's TCP microservice, for customer details when there is no broker. */
    CARDS_RPC_URL: z
      .string()
      .default('tcp://localhost:8093')
      .refine((value) => parseTcpUrl(value) !== undefined, 'must be a tcp://host:port URL'),
  })
  .refine((env) => Boolean(env.CLIENT_ID) === Boolean(env.CLIENT_SECRET), {
    message: 'CLIENT_ID and CLIENT_SECRET are set together or not at all',
    path: ['CLIENT_SECRET'],
  });

export type AccountsEnv = z.output<typeof accountsEnvSchema>;

export function loadAccountsEnv(env: Record<string, string | undefined> = process.env): AccountsEnv {
  return loadServiceEnv('accounts', accountsEnvSchema, env);
}
