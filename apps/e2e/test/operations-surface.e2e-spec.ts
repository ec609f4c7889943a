import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentialsToken } from '../../../tools/testing/processes';
import { AUDIENCES, call, type RunningSystem, startSystem } from './support/system';

/** What operators scrape and probe: Prometheus metrics on a port of each app's own, health endpoints. */
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => system?.stop());

const scrape = async (url: string) => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
};

describe('metrics', () => {
  it('count requests per route pattern, verifications by outcome, JWKS refreshes, M2M token cache use and tokens issued', async () => {
    const token = await clientCredentialsToken(system.issuer, 'demo-cli', AUDIENCES.accounts, 'accounts:read loans:read cards:read');
    for (let i = 0; i < 3; i += 1) expect((await call(system.gateway.url, 'GET', '/api/accounts/customers/someone/details', token)).status).toBe(200);
    expect((await call(system.gateway.url, 'GET', '/api/accounts/me', 'not.a.token')).status).toBe(401);

    const gateway = await scrape(system.gateway.metricsUrl());
    expect(gateway).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/api\/accounts\/\*",status="200"\} [3-9]/);
    expect(gateway).toMatch(/trustline_token_verifications_total\{outcome="verified"\} \d+/);
    expect(gateway).toMatch(/trustline_token_verifications_total\{outcome="cache_hit"\} [2-9]/);
    expect(gateway).toMatch(/trustline_token_verifications_total\{outcome="TOKEN_MALFORMED"\} 1/);
    expect(gateway).toMatch(/trustline_jwks_refreshes_total\{result="ok"\} \d+/);
    expect(gateway).toContain('nodejs_eventloop_lag_seconds');

    // accounts asked loans for a token once and then reused it: one issue, then cache hits.
    const accounts = await scrape(system.services.accounts.metricsUrl());
    expect(accounts).toMatch(/trustline_m2m_token_requests_total\{outcome="cache_hit"\} [1-9]/);
    expect(accounts).toMatch(/trustline_m2m_token_requests_total\{outcome="issued"\} [1-9]/);
    expect(accounts).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/api\/accounts\/customers\/:customerId\/details",status="200"\} 3/);

    const auth = await scrape(system.auth.metricsUrl());
    expect(auth).toMatch(/trustline_tokens_issued_total\{grant_type="client_credentials"\} [1-9]/);
    expect(auth).toMatch(/trustline_logins_total|trustline_tokens_issued_total/);
  });

  it('are never reachable through the public ports', async () => {
    expect((await call(system.gateway.url, 'GET', '/metrics')).status).toBe(404);
    for (const service of Object.values(system.services)) expect((await call(service.url, 'GET', '/metrics')).status).toBe(404);
    expect((await call(system.auth.url, 'GET', '/metrics')).status).toBe(404);
    expect(system.gateway.metricsUrl()).not.toContain(`:${system.gateway.port}/`);
  });
});

describe('the API description at the gateway', () => {
  it('covers every service route, each with its audience, and the bearer security scheme', async () => {
    const document = (await (await fetch(`${system.gateway.url}/docs/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { 'x-trustline-audience'?: string }>>;
      'x-unavailable'?: string[];
    };
    expect(document['x-unavailable']).toBeUndefined();
    for (const path of ['/api/accounts/me', '/api/accounts/customers/{customerId}/details', '/api/loans/{id}', '/api/cards'])
      expect(Object.keys(document.paths), path).toContain(path);
    expect(document.paths['/api/cards'].post['x-trustline-audience']).toBe(AUDIENCES.cards);
  });
});

describe('health', () => {
  it('is live and ready on every app, without a token and without internal details', async () => {
    for (const running of [system.auth, system.gateway, ...Object.values(system.services)]) {
      for (const path of ['/health/live', '/health/ready']) {
        const answer = await call(running.url, 'GET', path);
        expect(answer.status, `${running.name} ${path}`).toBe(200);
        expect(JSON.stringify(answer.body)).not.toMatch(/password|secret|postgres:|sqlite|127\.0\.0\.1/i);
      }
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes the requests in flight when told to stop: every acknowledged write is stored, none half-done', async () => {
    const registered = system.auth.run('cli.js', [
      'clients:register',
      JSON.stringify({
        clientId: 'shutdown-writer',
        tokenEndpointAuthMethod: 'client_secret_basic',
        grantTypes: ['client_credentials'],
        audiences: [AUDIENCES.loans],
        allowedScopes: ['loans:read', 'loans:write'],
      }),
    ]);
    const token = await clientCredentialsToken(system.issuer, 'shutdown-writer', AUDIENCES.loans, 'loans:read loans:write', String(registered.client_secret));
    const customerId = `shutdown-${Date.now()}`;
    const loans = system.services.loans;
    const writes = Array.from({ length: 40 }, (_, index) =>
      fetch(`${loans.url}/api/loans`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ customerId, amount: 100 + index, currency: 'EUR' }),
      }).then(
        (response) => response.status,
        () => 'not accepted',
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 15));
    await loans.halt(); // SIGTERM, waits for the process to exit
    const outcomes = await Promise.all(writes);
    const acknowledged = outcomes.filter((outcome) => outcome === 201).length;
    // Accepted and finished (201), or refused cleanly before any work: 503 from Fastify once closing
    // began (a request on a kept-alive connection), or no connection at all. Never a 500 or a reset.
    expect(
      outcomes.every((outcome) => outcome === 201 || outcome === 503 || outcome === 'not accepted'),
      JSON.stringify(outcomes),
    ).toBe(true);
    await loans.restart();
    const stored = await call(loans.url, 'GET', `/api/loans?customerId=${customerId}`, token);
    expect((stored.body as unknown[]).length).toBe(acknowledged);
    console.log(`graceful shutdown: ${acknowledged} of 40 writes acknowledged before the stop, ${acknowledged} stored`);
  });
});
