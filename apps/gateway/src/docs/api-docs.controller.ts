import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@trustline/security';
import type { GatewayEnv } from '../gateway.env';
import { GATEWAY_ENV } from '../gateway.tokens';
import { serviceRoutes } from '../relay/routes';
import { MergedDocument, type OpenApiDocument } from './merged-document';

/** A service's document is fetched again after a minute; one that did not answer, after ten seconds. */
const FRESH_MS = 60_000;
const RETRY_MS = 10_000;

/**
 * One OpenAPI document for everything the gateway routes: each service's own document (from its
 * /docs/openapi.json on the internal network), merged, with the gateway as the server and the audience
 * each route needs. Public like the portal (it describes, it grants nothing), so it is cached
 * (MergedDocument): anonymous requests cost no internal fetch but one per service per interval, and a
 * service that does not answer is listed under `x-unavailable` instead of failing the whole document.
 */
@ApiExcludeController()
@Public()
@Controller('docs')
export class ApiDocsController {
  private readonly merged: MergedDocument;

  constructor(@Inject(GATEWAY_ENV) env: GatewayEnv) {
    const sources = Object.values(serviceRoutes(env)).map((route) => ({
      service: route.service,
      prefix: route.prefix,
      audience: route.audience,
      url: `${route.upstreams[0]}/docs/openapi.json`,
    }));
    const frame = {
      openapi: '3.0.0',
      info: {
        title: 'Trustline API (through the gateway)',
        version: '1',
        description:
          'Every route needs a bearer access token for the audience in x-trustline-audience (RFC 8707 resource), with the scope named in each operation. Tokens: the auth server, client credentials or authorization code + PKCE.',
      },
      servers: [{ url: env.PUBLIC_GATEWAY_URL }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    };
    this.merged = new MergedDocument(sources, frame, {
      freshMs: FRESH_MS,
      retryMs: RETRY_MS,
      fetchDocument: async (url) => {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        return response.ok ? ((await response.json()) as OpenApiDocument) : undefined;
      },
    });
  }

  @Get('openapi.json')
  @Header('cache-control', 'public, max-age=60')
  document(): Promise<Record<string, unknown>> {
    return this.merged.document();
  }
}
