import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentialsToken } from '../../../tools/testing/processes';
import { AUDIENCES, call, type RunningSystem, SERVICES, type ServiceName, startSystem } from './support/system';

/**
 * Bad input at every hop: each gets a clear 4xx, never a 5xx, no process dies, and nothing is stored.
 * Table-driven over SERVICES, through the gateway and directly.
 */
let system: RunningSystem;
const writers: Partial<Record<ServiceName, string>> = {};
const CUSTOMER = 'bad-input-customer';

beforeAll(async () => {
  system = await startSystem();
  const registered = system.auth.run('cli.js', [
    'clients:register',
    JSON.stringify({
      clientId: 'e2e-writer',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      audiences: Object.values(AUDIENCES),
      allowedScopes: SERVICES.flatMap((service) => [`${service}:read`, `${service}:write`]),
    }),
  ]);
  for (const service of SERVICES)
    writers[service] = await clientCredentialsToken(system.issuer, 'e2e-writer', AUDIENCES[service], `${service}:read ${service}:write`, String(registered.client_secret));
});

afterAll(async () => system?.stop());

/** A raw request: fetch would refuse some of these (huge headers) or normalise them. */
function raw(base: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${base}${path}`, { method: options.method ?? 'GET', headers: options.headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

const knownBodies: Record<ServiceName, Record<string, unknown>> = {
  accounts: { customerId: CUSTOMER, name: 'Main', currency: 'EUR', balance: 0 },
  loans: { customerId: CUSTOMER, amount: 1_000, currency: 'EUR' },
  cards: { customerId: CUSTOMER, limit: 1_000, currency: 'EUR' },
};
/** A valid create body per service; generated services start from the sample `items` shape. */
const validBodies = new Proxy(knownBodies, { get: (bodies, service: string) => bodies[service] ?? { customerId: CUSTOMER, description: 'item', amount: 1 } });

const cases: { name: string; send(base: string, service: ServiceName, token: string): Promise<number> }[] = [
  {
    name: 'malformed JSON',
    send: (base, service, token) =>
      raw(base, `/api/${service}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"customerId": "x",' }),
  },
  {
    name: 'JSON of the wrong shape (an array)',
    send: (base, service, token) =>
      raw(base, `/api/${service}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '[1,2,3]' }),
  },
  { name: 'unknown fields', send: async (base, service, token) => (await call(base, 'POST', `/api/${service}`, token, { ...validBodies[service], isAdmin: true })).status },
  {
    name: 'negative and fractional money',
    send: async (base, service, token) => (await call(base, 'POST', `/api/${service}`, token, { ...validBodies[service], balance: -1, amount: 10.5, limit: -5 })).status,
  },
  {
    name: 'a wrong content type',
    send: (base, service, token) =>
      raw(base, `/api/${service}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: JSON.stringify(validBodies[service]) }),
  },
  {
    name: 'an oversized body (100 KiB)',
    send: (base, service, token) =>
      raw(base, `/api/${service}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(100 * 1024) },
        body: JSON.stringify({ ...validBodies[service], name: 'x'.repeat(100 * 1024 - 200) })
          .slice(0, 100 * 1024)
          .padEnd(100 * 1024, ' '),
      }),
  },
  {
    name: 'oversized headers (40 KiB)',
    send: (base, service, token) => raw(base, `/api/${service}/me`, { headers: { authorization: `Bearer ${token}`, 'x-padding': 'x'.repeat(40 * 1024) } }),
  },
  { name: 'an invalid id', send: async (base, service, token) => (await call(base, 'GET', `/api/${service}/not-a-uuid`, token)).status },
  { name: 'an SQL-injection-shaped id', send: async (base, service, token) => (await call(base, 'GET', `/api/${service}/${encodeURIComponent("1' OR '1'='1")}`, token)).status },
  {
    name: 'an SQL-injection-shaped query',
    send: async (base, service, token) => (await call(base, 'GET', `/api/${service}?customerId=${encodeURIComponent("x' OR 1=1; DROP TABLE accounts; --")}`, token)).status,
  },
  { name: 'an unknown route', send: async (base, service, token) => (await call(base, 'GET', `/api/${service}/${'00000000-0000-4000-8000-000000000000'}/nowhere`, token)).status },
  {
    name: 'an unknown method',
    send: async (base, service, token) => (await call(base, 'PUT', `/api/${service}/00000000-0000-4000-8000-000000000000`, token, validBodies[service])).status,
  },
];

const hops = SERVICES.flatMap((service) => [
  { name: `${service} through the gateway`, service, base: () => system.gateway.url },
  { name: `${service} directly`, service, base: () => system.services[service].url },
]);

describe.each(hops)('$name', ({ service, base }) => {
  it.each(cases)('answers $name with a 4xx', async ({ send }) => {
    const status = await send(base(), service, writers[service]!);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });
});

describe('after all of it', () => {
  it('stored nothing, and every process is alive and ready', async () => {
    for (const service of SERVICES) {
      const listed = await call(system.services[service].url, 'GET', `/api/${service}?customerId=${CUSTOMER}`, writers[service]);
      expect(listed.status).toBe(200);
      expect(listed.body, service).toEqual([]);
    }
    for (const running of [system.gateway, system.auth, ...Object.values(system.services)]) {
      expect((await call(running.url, 'GET', '/health/ready')).status, running.name).toBe(200);
    }
  });
});
