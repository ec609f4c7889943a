import replyFrom from '@fastify/reply-from';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { streamRequestBodies } from './body-passthrough';

/**
 * Makes a Nest + Fastify app a relay: request bodies streamed, not parsed (only their size is checked),
 * and one undici agent for every upstream (keep-alive pools per origin, timeouts per request).
 */
export async function registerRelay(app: NestFastifyApplication, options: { bodyLimitBytes: number }): Promise<void> {
  streamRequestBodies(app.getHttpAdapter().getInstance(), options.bodyLimitBytes);
  await app.register(replyFrom as never, {
    undici: { connections: 128, pipelining: 1, keepAliveTimeout: 60_000 },
    disableRequestLogging: true,
    maxRetriesOn503: 0,
  });
}
