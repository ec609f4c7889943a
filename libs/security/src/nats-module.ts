import type * as Nats from 'nats';

/**
 * The NATS client library, loaded on first use: a process without a broker (no NATS_URL, the embedded
 * default) never loads it, which keeps its start-up and memory smaller.
 */
export function natsModule(): typeof Nats {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy (see above)
  return require('nats') as typeof Nats;
}

/**
 * Connection options from a NATS_URL that may carry this service's credentials
 * (`nats://user:password@host:4222`): the NATS client takes them only as `user` / `pass`, and the URL
 * it keeps (and any library or log message may quote) is the one without them.
 * @example `ClientProxyFactory.create({ transport: Transport.NATS, options: natsConnectionOptions(env.NATS_URL) })`
 */
export function natsConnectionOptions(natsUrl: string): { servers: string[]; user?: string; pass?: string } {
  const url = new URL(natsUrl);
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return { servers: [url.toString().replace(/\/$/, '')], ...(user ? { user } : {}), ...(pass ? { pass } : {}) };
}

/** A NATS_URL fit for a log line: the credentials replaced. */
export function redactedNatsUrl(natsUrl: string): string {
  return natsConnectionOptions(natsUrl).servers[0];
}
