import { baseServiceEnv, loadServiceEnv } from '@trustline/service-runtime';
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** The cards service's environment (CONVENTIONS.md): the shared variables plus its HTTP and RPC ports and revocation polling. */
export const cardsEnvSchema = baseServiceEnv
  .extend({
    PORT: port(8083),
    METRICS_PORT: port(9183),
    /** The TCP microservice answering `cards.by-customer`. */
    RPC_PORT: port(8093),
    /** How often the revocation feed is pulled when CLIENT_ID / CLIENT_SECRET are set. */
    REVOCATION_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  })
  .refine((env) => Boolean(env.CLIENT_ID) === Boolean(env.CLIENT_SECRET), {
    message: 'CLIENT_ID and CLIENT_SECRET are set together or not at all',
    path: ['CLIENT_SECRET'],
  });

export type CardsEnv = z.output<typeof cardsEnvSchema>;

export function loadCardsEnv(env: Record<string, string | undefined> = process.env): CardsEnv {
  return loadServiceEnv('cards', cardsEnvSchema, env);
}
