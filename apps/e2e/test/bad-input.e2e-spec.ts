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

/**
 * A raw request: fetch would refuse some of these (huge headers, `Expect`) or normalise them (the path is
 * sent as given). A connection of its own each time: a refusal closes it (431), a kept-alive one would be dead.
 */
function rawAnswer(base: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    const request = httpRequest({ host: hostname, port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => {
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

const raw = async (base: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) => (await rawAnswer(base, path, options)).status;

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
  {
    name: 'a path segment starting with two dots',
    send: (base, service, token) => raw(base, `/api/${service}/..${'00000000-0000-4000-8000-000000000000'}`, { headers: { authorization: `Bearer ${token}` } }),
  },
  {
    name: 'an absolute-form target that climbs out of its prefix',
    send: (base, service, token) => raw(base, `http://elsewhere.example/api/${service}/../../metrics`, { headers: { authorization: `Bearer ${token}` } }),
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

/**
 * Malformed requests every hop refuses alike, before any route runs (the shared request checks of
 * libs/service-runtime): the exact status, and the body in Nest's error shape, as a service gives it.
 */
const MALFORMED_QUERY = { statusCode: 400, error: 'Bad Request', message: 'malformed percent-encoding in the query string' };
// RFC 9110 §10.1.1: a server that receives an Expect field value other than 100-continue MAY respond 417.
const EXPECTATION_FAILED = { statusCode: 417, error: 'Expectation Failed', message: 'the only expectation supported is 100-continue' };
const malformed: { name: string; path: (service: ServiceName) => string; method?: string; headers?: Record<string, string>; answer: Record<string, unknown> }[] = [
  { name: 'a malformed percent-encoding in a query name and value (?%ff=%fe)', path: (service) => `/api/${service}?%ff=%fe`, answer: MALFORMED_QUERY },
  { name: 'an invalid percent escape in the query (?x=%zz)', path: (service) => `/api/${service}/me?x=%zz`, answer: MALFORMED_QUERY },
  { name: 'a truncated UTF-8 sequence in the query', path: (service) => `/api/${service}/me?customerId=%e2%82`, answer: MALFORMED_QUERY },
  { name: 'a lone percent sign in the query', path: (service) => `/api/${service}/me?x=%`, answer: MALFORMED_QUERY },
  { name: 'an invalid percent escape after a fragment mark', path: (service) => `/api/${service}/me#%zz`, answer: MALFORMED_QUERY },
  { name: 'an Expect other than 100-continue (100-continue-nope)', path: (service) => `/api/${service}/me`, headers: { expect: '100-continue-nope' }, answer: EXPECTATION_FAILED },
  { name: 'an unknown expectation', path: (service) => `/api/${service}/me`, headers: { expect: 'foo' }, answer: EXPECTATION_FAILED },
];

/** Requests a service answers itself: through the gateway, the same status and the same body as directly. */
const relayedAlike: { name: string; path: (service: ServiceName) => string; method?: string; headers?: Record<string, string>; body?: string; status: number }[] = [
  { name: 'Expect: 100-continue on a read', path: (service) => `/api/${service}/me`, headers: { expect: '100-continue' }, status: 200 },
  {
    name: 'Expect: 100-continue with a malformed JSON body',
    path: (service) => `/api/${service}`,
    method: 'POST',
    // Node's client would send a body with Expect chunked, which the gateway refuses (411): declare its length.
    headers: { expect: '100-continue', 'content-type': 'application/json', 'content-length': '19' },
    body: '{"customerId": "x",',
    status: 400,
  },
  { name: 'a well-formed query that decodes to dot segments (?x=..%2F..%2F)', path: (service) => `/api/${service}?customerId=${CUSTOMER}&x=..%2F..%2F`, status: 400 },
  // RFC 9112 §3.2.2: a server MUST accept the absolute-form; the authority names no other service.
  { name: 'an absolute-form request target', path: (service) => `http://elsewhere.example/api/${service}/me`, status: 200 },
  { name: 'a query that decodes to a percent sign (?x=%25zz)', path: (service) => `/api/${service}?customerId=${CUSTOMER}&x=%25zz`, status: 400 },
];

describe.each(hops)('$name', ({ service, base }) => {
  it.each(cases)('answers $name with a 4xx', async ({ send }) => {
    const status = await send(base(), service, writers[service]!);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });

  it.each(malformed)('refuses $name with its exact status and body', async ({ path, method, headers, answer }) => {
    const got = await rawAnswer(base(), path(service), { method, headers: { authorization: `Bearer ${writers[service]}`, ...headers } });
    expect(got).toEqual({ status: answer.statusCode, body: answer });
  });
});

describe.each(SERVICES)('%s through the gateway and directly', (service) => {
  it.each(relayedAlike)('answers $name alike', async ({ path, method, headers, body, status }) => {
    const send = (base: string) => rawAnswer(base, path(service), { method, body, headers: { authorization: `Bearer ${writers[service]}`, ...headers } });
    const [relayed, direct] = [await send(system.gateway.url), await send(system.services[service].url)];
    expect(direct.status).toBe(status);
    expect(relayed).toEqual(direct);
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
