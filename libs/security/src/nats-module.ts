import type * as Nats from 'nats';

/**
 * The NATS client library, loaded on first use: a process without a broker (no NATS_URL, the embedded
 * default) never loads it, which keeps its start-up and memory smaller.
 */
export function natsModule(): typeof Nats {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy (see above)
  return require('nats') as typeof Nats;
}
