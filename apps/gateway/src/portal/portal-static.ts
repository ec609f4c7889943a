import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';

/** Where the build puts the portal's files (apps/gateway/portal, plus oauth4webapi under vendor/). */
export const PORTAL_ROOT = join(__dirname, '..', 'public');

/**
 * The portal may load its own scripts and styles and talk to the gateway and the auth server; nothing
 * else (no inline script, no framing, no form posts, no plugins).
 */
export function portalContentSecurityPolicy(issuer: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src 'self' ${new URL(issuer).origin}`,
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Serves the portal's static files at `/` (one route per file: no wildcard that could shadow /api). */
export async function servePortal(app: NestFastifyApplication, issuer: string): Promise<void> {
  if (!existsSync(join(PORTAL_ROOT, 'index.html'))) throw new Error(`the portal is not built (${PORTAL_ROOT}); run nx build gateway`);
  const csp = portalContentSecurityPolicy(issuer);
  await app.register(fastifyStatic as never, {
    root: PORTAL_ROOT,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    setHeaders: (reply: FastifyReply, path: string) => {
      if (path.endsWith('.html')) void reply.header('content-security-policy', csp).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    },
  });
}
