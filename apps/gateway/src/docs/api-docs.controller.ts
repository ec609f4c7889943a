import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@trustline/security';
import type { GatewayEnv } from '../gateway.env';
import { GATEWAY_ENV } from '../gateway.tokens';
import { serviceRoutes } from '../relay/routes';

interface OpenApiDocument {
  openapi?: string;
  paths?: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

const CACHE_MS = 60_000;

/**
 * One OpenAPI document for everything the gateway routes: each service's own document (from its
 * /docs/openapi.json on the internal network), merged, with the gateway as the server and the audience
 * each route needs. Public like the portal (it describes, it grants nothing); cached for a minute; a
 * service that does not answer is listed under `x-unavailable` instead of failing the whole document.
 */
@ApiExcludeController()
@Public()
@Controller('docs')
export class ApiDocsController {
  private cached: { at: number; document: Record<string, unknown> } | undefined;

  constructor(@Inject(GATEWAY_ENV) private readonly env: GatewayEnv) {}

  @Get('openapi.json')
  @Header('cache-control', 'public, max-age=60')
  async document(): Promise<Record<string, unknown>> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.document;
    const paths: Record<string, unknown> = {};
    const schemas: Record<string, unknown> = {};
    const unavailable: string[] = [];
    for (const route of Object.values(serviceRoutes(this.env))) {
      const source = await fetch(`${route.upstreams[0]}/docs/openapi.json`, { signal: AbortSignal.timeout(2_000) })
        .then((response) => (response.ok ? (response.json() as Promise<OpenApiDocument>) : undefined))
        .catch(() => undefined);
      if (!source?.paths || !String(source.openapi ?? '').startsWith('3.')) {
        unavailable.push(route.service);
        continue;
      }
      for (const [path, operations] of Object.entries(source.paths)) {
        if (!path.startsWith(`${route.prefix}`)) continue;
        paths[path] = Object.fromEntries(Object.entries(operations).map(([method, operation]) => [method, { ...operation, 'x-trustline-audience': route.audience }]));
      }
      Object.assign(schemas, source.components?.schemas ?? {});
    }
    const document = {
      openapi: '3.0.0',
      info: {
        title: 'Trustline API (through the gateway)',
        version: '1',
        description:
          'Every route needs a bearer access token for the audience in x-trustline-audience (RFC 8707 resource), with the scope named in each operation. Tokens: the auth server, client credentials or authorization code + PKCE.',
      },
      servers: [{ url: this.env.PUBLIC_GATEWAY_URL }],
      paths,
      components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
      ...(unavailable.length ? { 'x-unavailable': unavailable } : {}),
    };
    // A partial document is not cached: the next request tries the missing services again.
    if (!unavailable.length) this.cached = { at: Date.now(), document };
    return document;
  }
}
