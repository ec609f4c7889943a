import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { ClientCredentialsTokenClient } from '@trustline/security';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DownstreamError, M2mUnavailableError } from './downstream';
import { LoansClient } from './loans.client';

const ISSUER = 'http://auth.test';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** A token client whose auth server is a fake `fetch`: issues token-1, token-2, … or answers `status`. */
function tokenClient(behaviour: { status?: number; error?: string; network?: boolean; hang?: boolean } = {}) {
  let issued = 0;
  const fetchImpl = (async (input: string | URL) => {
    if (String(input).endsWith('/.well-known/openid-configuration')) return Response.json({ issuer: ISSUER, token_endpoint: `${ISSUER}/token` });
    if (behaviour.network) throw new TypeError('fetch failed');
    if (behaviour.hang) return new Promise<Response>(() => undefined);
    if (behaviour.status) return Response.json({ error: behaviour.error ?? 'server_error' }, { status: behaviour.status });
    issued += 1;
    return Response.json({ access_token: `token-${issued}`, expires_in: 300 });
  }) as typeof fetch;
  return new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: 'accounts-service', clientSecret: 's', fetch: fetchImpl, retryBaseMs: 1 });
}

const loan = (customerId: string, extra: Record<string, unknown> = {}) => ({
  id: '7d1c2f7e-2d0b-4a8e-9a54-0c4a3c1d2e3f',
  customerId,
  currency: 'EUR',
  amount: 1_000,
  paid: 250,
  outstanding: 750,
  version: 2,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  ...extra,
});

// A stand-in loans service: each test sets how it answers.
let answer: (request: IncomingMessage, response: ServerResponse) => void;
const seen: IncomingMessage[] = [];
let server: Server;
let loansUrl: string;

beforeAll(async () => {
  Logger.overrideLogger(false);
  server = createServer((request, response) => {
    seen.push(request);
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  loansUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
const client = (tokens: ClientCredentialsTokenClient | null = tokenClient(), url = loansUrl) =>
  new LoansClient({ loansUrl: url, cards: { transport: 'tcp', host: '127.0.0.1', port: 1 }, timeoutMs: 200 }, tokens);
const failureOf = async (pending: Promise<unknown>) => {
  try {
    await pending;
  } catch (error) {
    return error as DownstreamError | M2mUnavailableError;
  }
  throw new Error('expected the call to fail');
};

describe('LoansClient', () => {
  it("asks loans for the customer with this service's own token and the trace headers, and keeps only that customer's loans", async () => {
    answer = json(200, [loan('cust:1'), loan('someone-else'), loan('cust:1', { id: 'second', internalNote: 'not for display' })]);
    const loans = await client().byCustomer('cust:1', { traceparent: TRACEPARENT, 'x-request-id': 'req-1' });
    expect(loans).toEqual([loan('cust:1'), loan('cust:1', { id: 'second' })]);
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe('/api/loans?customerId=cust%3A1');
    expect(seen[0].headers).toMatchObject({ authorization: 'Bearer token-1', traceparent: TRACEPARENT, 'x-request-id': 'req-1', accept: 'application/json' });
  });

  it('answers 503 m2m_unavailable without credentials, calling nobody', async () => {
    const failure = await failureOf(client(null).byCustomer('cust:1'));
    expect(failure).toBeInstanceOf(M2mUnavailableError);
    expect(failure).toMatchObject({ status: 503, code: 'm2m_unavailable' });
    expect(seen).toHaveLength(0);
  });

  it('answers 502 token_refused when the auth server refuses the token, 503 when it cannot be reached', async () => {
    const refused = await failureOf(client(tokenClient({ status: 400, error: 'invalid_scope' })).byCustomer('cust:1'));
    expect(refused).toMatchObject({ status: 502, code: 'bad_gateway', details: { service: 'loans', reason: 'token_refused' } });
    expect(refused.message).toContain('invalid_scope');
    expect(await failureOf(client(tokenClient({ status: 503 })).byCustomer('cust:1'))).toMatchObject({ status: 503, code: 'm2m_unavailable' });
    expect(await failureOf(client(tokenClient({ network: true })).byCustomer('cust:1'))).toMatchObject({ status: 503, code: 'm2m_unavailable' });
    // An auth server that never answers does not hold the caller beyond the deadline either.
    const started = Date.now();
    expect(await failureOf(client(tokenClient({ hang: true })).byCustomer('cust:1'))).toMatchObject({ status: 503, code: 'm2m_unavailable' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(seen).toHaveLength(0);
  });

  it('turns a 403 from loans into a 502 that says the token was refused', async () => {
    answer = json(403, { error: 'insufficient_scope', scope: 'loans:read' }, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="loans:read"' });
    const failure = await failureOf(client().byCustomer('cust:1'));
    expect(failure).toBeInstanceOf(DownstreamError);
    expect(failure).toMatchObject({ status: 502, code: 'bad_gateway', details: { service: 'loans', reason: 'refused', status: 403 } });
    expect(failure.message).toBe("loans refused this service's token (403 insufficient_scope)");
  });

  it('renews the token once on a 401 and reports a second 401 as refused', async () => {
    answer = json(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    const failure = await failureOf(client().byCustomer('cust:1'));
    expect(failure).toMatchObject({ status: 502, details: { reason: 'refused', status: 401 } });
    expect(seen.map((request) => request.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('turns a 5xx or a 404 into 502 "loans unavailable"', async () => {
    for (const status of [500, 503, 404]) {
      answer = json(status, { statusCode: status, message: 'stack trace here' });
      const failure = await failureOf(client().byCustomer('cust:1'));
      expect(failure).toMatchObject({ status: 502, code: 'bad_gateway', message: 'loans unavailable', details: { service: 'loans', reason: 'bad_status', status } });
      expect(JSON.stringify(failure.details)).not.toContain('stack');
    }
  });

  it('turns an answer that is not a list of loans into 502 bad_response', async () => {
    for (const respond of [
      (_request: IncomingMessage, response: ServerResponse) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"truncated'),
      json(200, { loans: [] }),
      json(200, [null]),
      json(200, [loan('cust:1', { amount: '1000' })]),
      json(200, [{ id: 'x', customerId: 'cust:1' }]),
    ]) {
      answer = respond;
      expect(await failureOf(client().byCustomer('cust:1'))).toMatchObject({ status: 502, details: { reason: 'bad_response' } });
    }
  });

  it('gives up after the timeout with 502 timeout', async () => {
    answer = () => undefined; // never answers
    const started = Date.now();
    expect(await failureOf(client().byCustomer('cust:1'))).toMatchObject({ status: 502, message: 'loans unavailable', details: { reason: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out a body that stops half-way too', async () => {
    answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('[');
    };
    expect(await failureOf(client().byCustomer('cust:1'))).toMatchObject({ status: 502, details: { reason: 'timeout' } });
  });

  it('reports a loans service that is not listening as unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await failureOf(client(tokenClient(), `http://127.0.0.1:${port}`).byCustomer('cust:1'))).toMatchObject({
      status: 502,
      message: 'loans unavailable',
      details: { reason: 'unreachable' },
    });
  });
});
