import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, clientCredentialsToken, type RunningProcess, startApp, startAuthServer } from '../../../tools/testing/processes';

const AUDIENCE = 'urn:trustline:loans';

let auth: RunningProcess & { issuer: string };
let loans: RunningProcess;
let readToken: string;
let writeToken: string;

interface LoanBody {
  id: string;
  customerId: string;
  currency: string;
  amount: number;
  paid: number;
  outstanding: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${loans.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

const customer = () => `customer-${randomUUID()}`;
const createLoan = (customerId: string, amount = 10_000, headers: Record<string, string> = {}) =>
  call<LoanBody>('POST', '/api/loans', { token: writeToken, body: { customerId, amount, currency: 'EUR' }, headers });

beforeAll(async () => {
  auth = await startAuthServer();
  // demo-cli may only read: a writer client is registered the way an operator would, through the CLI.
  const registered = auth.run('cli.js', [
    'clients:register',
    JSON.stringify({
      clientId: 'loans-writer',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      audiences: [AUDIENCE],
      allowedScopes: ['loans:read', 'loans:write'],
    }),
  ]);
  // The service follows the revocation feed with its own demo credentials, polling fast for the test.
  loans = await startApp({ name: 'loans', env: { ISSUER_URL: auth.issuer, CLIENT_ID: 'loans-service', CLIENT_SECRET: 'loans-service-secret', REVOCATION_POLL_MS: '200' } });
  readToken = await clientCredentialsToken(auth.issuer, 'demo-cli', AUDIENCE, 'loans:read');
  writeToken = await clientCredentialsToken(auth.issuer, 'loans-writer', AUDIENCE, 'loans:read loans:write', String(registered.client_secret));
});

afterAll(async () => {
  await loans?.stop();
  await auth?.stop();
});

describe('health and token checks', () => {
  it('answers /health/live and /health/ready without a token', async () => {
    expect((await call('GET', '/health/live')).status).toBe(200);
    const ready = await call('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, signing_keys: { status: 'up' } } });
  });

  it('publishes its OpenAPI document', async () => {
    const answer = await call<{ openapi: string; paths: Record<string, unknown> }>('GET', '/docs/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.body.openapi).toMatch(/^3\./);
    expect(Object.keys(answer.body.paths)).toEqual(expect.arrayContaining(['/api/loans', '/api/loans/me', '/api/loans/{id}']));
  });

  it('refuses a request without a token with 401 and a Bearer challenge', async () => {
    for (const path of ['/api/loans/me', '/api/loans?customerId=x', `/api/loans/${randomUUID()}`]) {
      const answer = await call('GET', path);
      expect(answer.status, path).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    }
    const post = await call('POST', '/api/loans', { body: { customerId: 'x', amount: 1, currency: 'EUR' } });
    expect(post.status).toBe(401);
  });

  it('refuses a garbage token with 401 invalid_token', async () => {
    const answer = await call('GET', '/api/loans/me', { token: 'not.a.jwt' });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(answer.body).toEqual({ error: 'invalid_token' });
  });

  it('refuses a valid token for another audience (a cards token) with 401', async () => {
    const cardsToken = await clientCredentialsToken(auth.issuer, 'demo-cli', 'urn:trustline:cards', 'cards:read');
    const answer = await call('GET', '/api/loans/me', { token: cardsToken });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('refuses a write with a read-only token with 403 insufficient_scope', async () => {
    const answer = await call('POST', '/api/loans', { token: readToken, body: { customerId: customer(), amount: 100, currency: 'EUR' } });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="loans:write"');
    expect(answer.body).toEqual({ error: 'insufficient_scope', scope: 'loans:write' });
  });

  it('shows the verified principal at /me, never the token', async () => {
    const answer = await call('GET', '/api/loans/me', { token: readToken });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      kind: 'client',
      sub: 'demo-cli',
      subject: 'demo-cli',
      client_id: 'demo-cli',
      clientId: 'demo-cli',
      scope: 'loans:read',
      scopes: ['loans:read'],
      aud: AUDIENCE,
      audience: AUDIENCE,
      roles: [],
    });
    expect(JSON.stringify(answer.body)).not.toContain(readToken.split('.')[2]);
    expect(loans.output()).not.toContain(readToken.split('.')[2]);
  });
});

describe('loans lifecycle', () => {
  it('creates, reads, lists, pays, refuses to delete while outstanding, then deletes', async () => {
    const customerId = customer();
    const created = await createLoan(customerId, 10_000);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ customerId, currency: 'EUR', amount: 10_000, paid: 0, outstanding: 10_000, version: 1 });
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.headers.get('location')).toBe(`/api/loans/${created.body.id}`);
    expect(created.headers.get('etag')).toBe('"1"');
    const id = created.body.id;

    const read = await call<LoanBody>('GET', `/api/loans/${id}`, { token: readToken });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const listed = await call<LoanBody[]>('GET', `/api/loans?customerId=${customerId}`, { token: readToken });
    expect(listed.status).toBe(200);
    expect(listed.body.map((loan) => loan.id)).toEqual([id]);

    const paid = await call<LoanBody>('PATCH', `/api/loans/${id}`, { token: writeToken, body: { payment: 2_500, version: 1 } });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ paid: 2_500, outstanding: 7_500, version: 2 });
    expect(paid.headers.get('etag')).toBe('"2"');

    const refused = await call('DELETE', `/api/loans/${id}`, { token: writeToken });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ statusCode: 409, error: 'loan_outstanding', outstanding: 7_500 });

    // The rest, with the version as an If-Match entity tag this time.
    const settled = await call<LoanBody>('PATCH', `/api/loans/${id}`, { token: writeToken, body: { payment: 7_500 }, headers: { 'if-match': '"2"' } });
    expect(settled.status).toBe(200);
    expect(settled.body).toMatchObject({ paid: 10_000, outstanding: 0, version: 3 });

    const deleted = await call('DELETE', `/api/loans/${id}`, { token: writeToken });
    expect(deleted.status).toBe(204);
    const gone = await call('GET', `/api/loans/${id}`, { token: readToken });
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ statusCode: 404, error: 'not_found' });
    expect((await call<LoanBody[]>('GET', `/api/loans?customerId=${customerId}`, { token: readToken })).body).toEqual([]);
  });

  it('lists only the named customer, and requires a client to name one', async () => {
    const [a, b] = [customer(), customer()];
    await createLoan(a, 100);
    await createLoan(a, 200);
    await createLoan(b, 300);
    const listed = await call<LoanBody[]>('GET', `/api/loans?customerId=${a}`, { token: readToken });
    expect(listed.body.map((loan) => loan.amount)).toEqual([100, 200]);
    expect(listed.body.every((loan) => loan.customerId === a)).toBe(true);

    const unnamed = await call('GET', '/api/loans', { token: readToken });
    expect(unnamed.status).toBe(400);
    expect(unnamed.body).toMatchObject({ error: 'invalid_request' });
    const unnamedCreate = await call('POST', '/api/loans', { token: writeToken, body: { amount: 100, currency: 'EUR' } });
    expect(unnamedCreate.status).toBe(400);
  });

  it('answers 404 JSON for an unknown id, on read, pay and delete', async () => {
    const id = randomUUID();
    for (const [method, body] of [['GET'], ['PATCH', { payment: 1, version: 1 }], ['DELETE']] as const) {
      const answer = await call(method, `/api/loans/${id}`, { token: writeToken, body });
      expect(answer.status, method).toBe(404);
      expect(answer.body).toMatchObject({ error: 'not_found' });
    }
  });
});

describe('idempotent creates', () => {
  it('returns the first loan for a repeated key instead of creating a second', async () => {
    const customerId = customer();
    const key = `create-${randomUUID()}`;
    const first = await createLoan(customerId, 5_000, { 'idempotency-key': key });
    const second = await createLoan(customerId, 5_000, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect((await call<LoanBody[]>('GET', `/api/loans?customerId=${customerId}`, { token: readToken })).body).toHaveLength(1);
  });

  it('creates one loan when the same key arrives many times at once', async () => {
    const customerId = customer();
    const key = `burst-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => createLoan(customerId, 700, { 'idempotency-key': key })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    expect((await call<LoanBody[]>('GET', `/api/loans?customerId=${customerId}`, { token: readToken })).body).toHaveLength(1);
  });

  it('scopes keys per customer, and refuses a key reused for a different request', async () => {
    const key = `shared-${randomUUID()}`;
    const [a, b] = [customer(), customer()];
    const forA = await createLoan(a, 1_000, { 'idempotency-key': key });
    const forB = await createLoan(b, 1_000, { 'idempotency-key': key });
    expect(forB.status).toBe(201);
    expect(forB.body.id).not.toBe(forA.body.id);

    const different = await createLoan(a, 2_000, { 'idempotency-key': key });
    expect(different.status).toBe(422);
    expect(different.body).toMatchObject({ error: 'idempotency_key_reused' });
    expect((await call<LoanBody[]>('GET', `/api/loans?customerId=${a}`, { token: readToken })).body).toHaveLength(1);
  });

  it('refuses a malformed key with 400', async () => {
    for (const key of ['k'.repeat(129), 'with space']) {
      const answer = await createLoan(customer(), 100, { 'idempotency-key': key });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_request' });
    }
  });
});

describe('validation', () => {
  it('answers 400 for an id that is not a UUID', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const answer = await call(method, '/api/loans/not-a-uuid', { token: writeToken, body: method === 'PATCH' ? { payment: 1, version: 1 } : undefined });
      expect(answer.status, method).toBe(400);
    }
  });

  it.each([
    ['an unknown field', { amount: 100, currency: 'EUR', interestRate: 5 }],
    ['a negative amount', { amount: -100, currency: 'EUR' }],
    ['a zero amount', { amount: 0, currency: 'EUR' }],
    ['a fractional amount', { amount: 10.5, currency: 'EUR' }],
    ['an amount as a string', { amount: '100', currency: 'EUR' }],
    ['an amount beyond the maximum', { amount: 1e13, currency: 'EUR' }],
    ['a lower-case currency', { amount: 100, currency: 'eur' }],
    ['a missing currency', { amount: 100 }],
    ['an odd customer id', { amount: 100, currency: 'EUR', customerId: 'a b' }],
  ])('refuses a create with %s (400) and stores nothing', async (_name, body) => {
    const customerId = customer();
    const answer = await call('POST', '/api/loans', { token: writeToken, body: { customerId, ...body } });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ statusCode: 400 });
    expect((await call<LoanBody[]>('GET', `/api/loans?customerId=${customerId}`, { token: readToken })).body).toEqual([]);
  });

  it('refuses unknown query parameters and malformed JSON', async () => {
    expect((await call('GET', `/api/loans?customerId=${customer()}&sort=amount`, { token: readToken })).status).toBe(400);
    expect((await call('POST', '/api/loans', { token: writeToken, body: '{"amount": 1,' })).status).toBe(400);
  });

  it('refuses a payment that is not a positive integer, or carries unknown fields', async () => {
    const { body: loan } = await createLoan(customer(), 1_000);
    for (const body of [{ payment: -1, version: 1 }, { payment: 0, version: 1 }, { payment: 1.5, version: 1 }, { payment: 1, version: 1, paid: 999 }, { version: 1 }]) {
      const answer = await call('PATCH', `/api/loans/${loan.id}`, { token: writeToken, body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    expect((await call<LoanBody>('GET', `/api/loans/${loan.id}`, { token: readToken })).body).toMatchObject({ paid: 0, version: 1 });
  });

  it('answers 413 to an oversized body and stores nothing', async () => {
    const customerId = customer();
    const answer = await call('POST', '/api/loans', { token: writeToken, body: { customerId, amount: 100, currency: 'EUR', padding: 'x'.repeat(20 * 1024) } });
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ statusCode: 413 });
    expect((await call<LoanBody[]>('GET', `/api/loans?customerId=${customerId}`, { token: readToken })).body).toEqual([]);
  });
});

describe('payments', () => {
  it('refuses an overpayment with 422 and changes nothing', async () => {
    const { body: loan } = await createLoan(customer(), 1_000);
    await call('PATCH', `/api/loans/${loan.id}`, { token: writeToken, body: { payment: 400, version: 1 } });
    const over = await call('PATCH', `/api/loans/${loan.id}`, { token: writeToken, body: { payment: 601, version: 2 } });
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ statusCode: 422, error: 'overpayment', outstanding: 600 });
    expect((await call<LoanBody>('GET', `/api/loans/${loan.id}`, { token: readToken })).body).toMatchObject({ paid: 400, outstanding: 600, version: 2 });
  });

  it('refuses a stale version with 409 and a missing one with 428', async () => {
    const { body: loan } = await createLoan(customer(), 1_000);
    expect((await call('PATCH', `/api/loans/${loan.id}`, { token: writeToken, body: { payment: 10, version: 1 } })).status).toBe(200);
    const stale = await call('PATCH', `/api/loans/${loan.id}`, { token: writeToken, body: { payment: 10, version: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: 'version_conflict', currentVersion: 2 });
    const staleHeader = await call('PATCH', `/api/loans/${loan.id}`, { token: writeToken, body: { payment: 10 }, headers: { 'if-match': '"1"' } });
    expect(staleHeader.status).toBe(409);
    const missing = await call('PATCH', `/api/loans/${loan.id}`, { token: writeToken, body: { payment: 10 } });
    expect(missing.status).toBe(428);
    expect((await call('PATCH', `/api/loans/${loan.id}`, { token: writeToken, body: { payment: 10 }, headers: { 'if-match': '*' } })).status).toBe(400);
    expect((await call<LoanBody>('GET', `/api/loans/${loan.id}`, { token: readToken })).body).toMatchObject({ paid: 10, version: 2 });
  });

  it('lets exactly one of many payments against the same version through', async () => {
    const { body: loan } = await createLoan(customer(), 1_000);
    const answers = await Promise.all(Array.from({ length: 20 }, () => call('PATCH', `/api/loans/${loan.id}`, { token: writeToken, body: { payment: 1, version: 1 } })));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(19);
    expect((await call<LoanBody>('GET', `/api/loans/${loan.id}`, { token: readToken })).body).toMatchObject({ paid: 1, version: 2 });
  });

  it('loses no payment among 20 parallel payers retrying on 409', async () => {
    const { body: loan } = await createLoan(customer(), 1_000);
    const payOnce = async (): Promise<boolean> => {
      for (let attempt = 0; attempt < 100; attempt += 1) {
        const { body: current } = await call<LoanBody>('GET', `/api/loans/${loan.id}`, { token: writeToken });
        const answer = await call('PATCH', `/api/loans/${loan.id}`, { token: writeToken, body: { payment: 1, version: current.version } });
        if (answer.status === 200) return true;
        if (answer.status !== 409) throw new Error(`unexpected ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      return false;
    };
    const outcomes = await Promise.all(Array.from({ length: 20 }, payOnce));
    const succeeded = outcomes.filter(Boolean).length;
    const final = (await call<LoanBody>('GET', `/api/loans/${loan.id}`, { token: readToken })).body;
    expect(final.paid).toBe(succeeded);
    expect(final.outstanding).toBe(1_000 - succeeded);
    expect(final.version).toBe(1 + succeeded);
    expect(succeeded).toBe(20);
  });
});

describe('revocation', () => {
  it('stops accepting a token soon after the auth server revokes it', async () => {
    const victim = await clientCredentialsToken(auth.issuer, 'demo-cli', AUDIENCE, 'loans:read');
    expect((await call('GET', '/api/loans/me', { token: victim })).status).toBe(200);
    const revoked = await fetch(`${auth.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: basicAuth('demo-cli', 'demo-cli-secret'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: victim }),
    });
    expect(revoked.status).toBe(200);
    const deadline = Date.now() + 5_000;
    let status = 200;
    while (Date.now() < deadline && status === 200) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await call('GET', '/api/loans/me', { token: victim })).status;
    }
    expect(status).toBe(401);
    // Other tokens of the same client are unaffected: a jti revocation is that one token only.
    expect((await call('GET', '/api/loans/me', { token: readToken })).status).toBe(200);
  });
});
