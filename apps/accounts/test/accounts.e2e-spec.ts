import { randomUUID } from 'node:crypto';
import { TestIssuer } from '@trustline/security/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginUser } from '../../../tools/testing/pkce-login.mjs';
import { clientCredentialsToken, decodeJwt, freePort, type RunningProcess, startApp, startAuthServer } from '../../../tools/testing/processes';

const AUDIENCE = 'urn:trustline:accounts';
const LOANS = 'urn:trustline:loans';
const CARDS = 'urn:trustline:cards';
const AUTH = 'urn:trustline:auth';
// startAuthServer registers the portal for this redirect URI (PUBLIC_GATEWAY_URL http://127.0.0.1:18080).
const REDIRECT_URI = 'http://127.0.0.1:18080/callback';

let auth: RunningProcess & { issuer: string };
let loans: RunningProcess;
let cards: RunningProcess;
/** With the demo `accounts-service` client: loans:read on loans, cards:read on cards. */
let accounts: RunningProcess;
/** With a client that may read loans but was never given cards:read. */
let limited: RunningProcess;
/** Without CLIENT_ID / CLIENT_SECRET: everything but customer details works. */
let anonymous: RunningProcess;

let readToken: string;
/** What the customer details need: accounts:read and the read scopes of everything the answer holds. */
const DETAILS_SCOPES = 'accounts:read loans:read cards:read';
let detailsToken: string;
let writeToken: string;
let bankToken: { loans: string; cards: string };
const users: Record<'alice' | 'bob' | 'admin', { token: string; sub: string }> = {} as never;

interface AccountBody {
  id: string;
  customerId: string;
  name: string;
  currency: string;
  balance: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

interface DetailsBody {
  customerId: string;
  accounts: AccountBody[];
  loans: { id: string; customerId: string; amount: number }[];
  cards: { id: string; customerId: string; limit: number; maskedNumber: string }[];
}

interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

async function request<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

const call = <T = Record<string, unknown>>(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  request<T>(accounts.url, method, path, options);
const customer = () => `customer-${randomUUID()}`;
const createAccount = (customerId: string | undefined, balance?: number, headers: Record<string, string> = {}, token = writeToken) =>
  call<AccountBody>('POST', '/api/accounts', {
    token,
    body: { ...(customerId ? { customerId } : {}), name: 'Everyday', currency: 'EUR', ...(balance === undefined ? {} : { balance }) },
    headers,
  });
const change = (id: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  call<AccountBody>('PATCH', `/api/accounts/${id}`, { token: writeToken, body, headers });
const details = (customerId: string, token: string, base = accounts.url) =>
  request<DetailsBody>(base, 'GET', `/api/accounts/customers/${encodeURIComponent(customerId)}/details`, { token });

/** Registers a client the way an operator would (the auth server's CLI); returns its generated secret. */
function registerClient(clientId: string, audiences: string[], allowedScopes: string[]): string {
  const registered = auth.run('cli.js', [
    'clients:register',
    JSON.stringify({ clientId, tokenEndpointAuthMethod: 'client_secret_basic', grantTypes: ['client_credentials'], audiences, allowedScopes }),
  ]);
  return String(registered.client_secret);
}

/** Logs a demo user in through the auth server's login page (authorization code + PKCE) for an accounts token. */
// loans:read and cards:read on the accounts audience by default: what the customer details need (the
// portal is entitled to them on loans and cards, and the customer role allows them).
async function login(username: string, password: string, scope = `openid profile offline_access ${DETAILS_SCOPES} accounts:write`): Promise<{ token: string; sub: string }> {
  const signedIn = await loginUser({ issuer: auth.issuer, redirectUri: REDIRECT_URI, username, password, resources: [AUDIENCE], scope });
  const token = signedIn.accessTokens[AUDIENCE];
  return { token, sub: String(decodeJwt(token).payload.sub) };
}

beforeAll(async () => {
  auth = await startAuthServer();
  // Operators' clients, registered through the CLI: a writer of accounts, a seeder of loans and cards, and
  // an accounts-service look-alike that was never given cards:read.
  const writerSecret = registerClient('accounts-writer', [AUDIENCE], ['accounts:read', 'accounts:write']);
  const bankSecret = registerClient('bank-seeder', [LOANS, CARDS], ['loans:read', 'loans:write', 'cards:read', 'cards:write']);
  const limitedSecret = registerClient('accounts-limited', [LOANS, CARDS, AUTH], ['loans:read', 'revocations:read']);

  const rpcPort = await freePort();
  const common = { ISSUER_URL: auth.issuer, REVOCATION_POLL_MS: '200' };
  [loans, cards] = await Promise.all([
    startApp({ name: 'loans', env: { ...common, CLIENT_ID: 'loans-service', CLIENT_SECRET: 'loans-service-secret' } }),
    startApp({ name: 'cards', env: { ...common, RPC_PORT: String(rpcPort), CLIENT_ID: 'cards-service', CLIENT_SECRET: 'cards-service-secret' } }),
  ]);
  const downstream = { ...common, LOANS_URL: loans.url, CARDS_RPC_URL: `tcp://127.0.0.1:${rpcPort}` };
  [accounts, limited, anonymous] = await Promise.all([
    startApp({ name: 'accounts', env: { ...downstream, CLIENT_ID: 'accounts-service', CLIENT_SECRET: 'accounts-service-secret' } }),
    startApp({ name: 'accounts', env: { ...downstream, CLIENT_ID: 'accounts-limited', CLIENT_SECRET: limitedSecret } }),
    startApp({ name: 'accounts', env: downstream }),
  ]);

  readToken = await clientCredentialsToken(auth.issuer, 'demo-cli', AUDIENCE, 'accounts:read');
  detailsToken = await clientCredentialsToken(auth.issuer, 'demo-cli', AUDIENCE, DETAILS_SCOPES);
  writeToken = await clientCredentialsToken(auth.issuer, 'accounts-writer', AUDIENCE, 'accounts:read accounts:write', writerSecret);
  bankToken = {
    loans: await clientCredentialsToken(auth.issuer, 'bank-seeder', LOANS, 'loans:read loans:write', bankSecret),
    cards: await clientCredentialsToken(auth.issuer, 'bank-seeder', CARDS, 'cards:read cards:write', bankSecret),
  };
  users.alice = await login('alice', 'alice-demo-password');
  users.bob = await login('bob', 'bob-demo-password');
  users.admin = await login('admin', 'admin-demo-password');
});

afterAll(async () => {
  await Promise.all([accounts?.stop(), limited?.stop(), anonymous?.stop()]);
  await Promise.all([loans?.stop(), cards?.stop()]);
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
    expect(Object.keys(answer.body.paths)).toEqual(
      expect.arrayContaining(['/api/accounts', '/api/accounts/me', '/api/accounts/{id}', '/api/accounts/customers/{customerId}/details']),
    );
  });

  it('refuses a request without a token with 401 and a Bearer challenge', async () => {
    for (const path of ['/api/accounts/me', '/api/accounts?customerId=x', `/api/accounts/${randomUUID()}`, '/api/accounts/customers/x/details']) {
      const answer = await call('GET', path);
      expect(answer.status, path).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('refuses forged tokens with 401 invalid_token', async () => {
    // A valid token whose payload was edited (the signature no longer matches)…
    const [header, payload, signature] = readToken.split('.');
    const claims = { ...decodeJwt(readToken).payload, scope: 'accounts:read accounts:write' };
    const tampered = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    // …and well-formed tokens with the right issuer and audience, signed by a key the auth server never published.
    const forger = new TestIssuer();
    const foreignKey = forger.mint(AUDIENCE, { claims: { iss: auth.issuer, scope: 'accounts:read accounts:write' } });
    const reusedKid = forger.mint(AUDIENCE, { claims: { iss: auth.issuer, scope: 'accounts:read' }, header: { kid: decodeJwt(readToken).header.kid } });
    expect(payload).not.toBe(tampered.split('.')[1]);
    for (const token of [tampered, foreignKey, reusedKid, 'not.a.jwt']) {
      const answer = await call('GET', '/api/accounts/me', { token });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(answer.body).toEqual({ error: 'invalid_token' });
    }
  });

  it('refuses a valid token for another audience (a loans token) with 401', async () => {
    const loansToken = await clientCredentialsToken(auth.issuer, 'demo-cli', LOANS, 'loans:read');
    for (const path of ['/api/accounts/me', '/api/accounts/customers/x/details']) {
      const answer = await call('GET', path, { token: loansToken });
      expect(answer.status, path).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    }
  });

  it('refuses a write with a read-only token with 403 insufficient_scope', async () => {
    const answer = await call('POST', '/api/accounts', { token: readToken, body: { customerId: customer(), name: 'x', currency: 'EUR' } });
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ error: 'insufficient_scope', scope: 'accounts:write' });
  });

  it('shows the verified principal at /me, for clients and users, never the token', async () => {
    const asClient = await call('GET', '/api/accounts/me', { token: readToken });
    expect(asClient.body).toMatchObject({ kind: 'client', sub: 'demo-cli', client_id: 'demo-cli', scope: 'accounts:read', aud: AUDIENCE, roles: [] });
    const asAlice = await call('GET', '/api/accounts/me', { token: users.alice.token });
    expect(asAlice.body).toMatchObject({ kind: 'user', sub: users.alice.sub, client_id: 'portal', aud: AUDIENCE, roles: ['customer'], gid: expect.any(String) });
    expect(JSON.stringify(asAlice.body)).not.toContain(users.alice.token.split('.')[2]);
  });
});

describe('accounts lifecycle', () => {
  it('creates, reads, lists, deposits, withdraws, renames, refuses to close while not empty, then closes', async () => {
    const customerId = customer();
    const created = await createAccount(customerId, 1_000);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ customerId, name: 'Everyday', currency: 'EUR', balance: 1_000, version: 1 });
    expect(created.headers.get('location')).toBe(`/api/accounts/${created.body.id}`);
    expect(created.headers.get('etag')).toBe('"1"');
    const id = created.body.id;

    const read = await call<AccountBody>('GET', `/api/accounts/${id}`, { token: readToken });
    expect(read.body).toEqual(created.body);
    expect((await call<AccountBody[]>('GET', `/api/accounts?customerId=${customerId}`, { token: readToken })).body.map((account) => account.id)).toEqual([id]);

    const deposited = await change(id, { deposit: 500, version: 1 });
    expect(deposited.status).toBe(200);
    expect(deposited.body).toMatchObject({ balance: 1_500, version: 2 });
    expect(deposited.headers.get('etag')).toBe('"2"');

    const overdraft = await change(id, { withdraw: 1_501 }, { 'if-match': '"2"' });
    expect(overdraft.status).toBe(422);
    expect(overdraft.body).toMatchObject({ statusCode: 422, error: 'insufficient_funds', balance: 1_500 });

    const refused = await call('DELETE', `/api/accounts/${id}`, { token: writeToken });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'account_not_empty', balance: 1_500 });

    expect((await change(id, { withdraw: 1_500 }, { 'if-match': '"2"' })).body).toMatchObject({ balance: 0, version: 3 });
    expect((await change(id, { name: 'Holiday fund', version: 3 })).body).toMatchObject({ name: 'Holiday fund', balance: 0, version: 4 });

    expect((await call('DELETE', `/api/accounts/${id}`, { token: writeToken })).status).toBe(204);
    const gone = await call('GET', `/api/accounts/${id}`, { token: readToken });
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ error: 'not_found' });
  });

  it('opens empty by default and requires a client to name the customer', async () => {
    expect((await createAccount(customer())).body).toMatchObject({ balance: 0, version: 1 });
    expect((await call('GET', '/api/accounts', { token: readToken })).status).toBe(400);
    expect((await createAccount(undefined)).status).toBe(400);
  });

  it.each([
    ['a negative opening balance', { name: 'x', currency: 'EUR', balance: -1 }],
    ['a fractional opening balance', { name: 'x', currency: 'EUR', balance: 1.5 }],
    ['an empty name', { name: '', currency: 'EUR' }],
    ['a name of 65 characters', { name: 'n'.repeat(65), currency: 'EUR' }],
    ['a lower-case currency', { name: 'x', currency: 'eur' }],
    ['an unknown field', { name: 'x', currency: 'EUR', overdraft: 100 }],
  ])('refuses a create with %s (400) and stores nothing', async (_name, body) => {
    const customerId = customer();
    const answer = await call('POST', '/api/accounts', { token: writeToken, body: { customerId, ...body } });
    expect(answer.status).toBe(400);
    expect((await call<AccountBody[]>('GET', `/api/accounts?customerId=${customerId}`, { token: readToken })).body).toEqual([]);
  });

  it('needs exactly one change and a version, refuses stale versions, and changes nothing on any error', async () => {
    const { body: account } = await createAccount(customer(), 100);
    const refusals: [Record<string, unknown>, Record<string, string>, number][] = [
      [{ deposit: 1, withdraw: 1, version: 1 }, {}, 400],
      [{ deposit: 1, name: 'x', version: 1 }, {}, 400],
      [{ version: 1 }, {}, 400],
      [{ deposit: 0, version: 1 }, {}, 400],
      [{ withdraw: -5, version: 1 }, {}, 400],
      [{ deposit: 1.5, version: 1 }, {}, 400],
      [{ deposit: 1, balance: 1_000_000, version: 1 }, {}, 400],
      [{ deposit: 1 }, { 'if-match': '*' }, 400],
      [{ deposit: 1 }, {}, 428],
      [{ deposit: 1, version: 2 }, {}, 409],
      [{ deposit: 1 }, { 'if-match': '"7"' }, 409],
      [{ withdraw: 101, version: 1 }, {}, 422],
    ];
    for (const [body, headers, status] of refusals) {
      const answer = await change(account.id, body, headers);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      if (status === 409) expect(answer.body).toMatchObject({ error: 'version_conflict', currentVersion: 1 });
    }
    expect((await call<AccountBody>('GET', `/api/accounts/${account.id}`, { token: readToken })).body).toEqual(account);
  });

  it('answers 404 for an unknown id and 400 for one that is not a UUID', async () => {
    for (const [method, body] of [['GET'], ['PATCH', { deposit: 1, version: 1 }], ['DELETE']] as const) {
      expect((await call(method, `/api/accounts/${randomUUID()}`, { token: writeToken, body })).status, method).toBe(404);
      expect((await call(method, '/api/accounts/not-a-uuid', { token: writeToken, body })).status, method).toBe(400);
    }
  });
});

describe('idempotent creates', () => {
  it('returns the first account for a repeated key, even after it changed, and refuses the key for another request', async () => {
    const customerId = customer();
    const key = `open-${randomUUID()}`;
    const first = await createAccount(customerId, 250, { 'idempotency-key': key });
    await change(first.body.id, { deposit: 50, version: 1 });
    const second = await createAccount(customerId, 250, { 'idempotency-key': key });
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body).toMatchObject({ id: first.body.id, balance: 300, version: 2 });

    const different = await createAccount(customerId, 999, { 'idempotency-key': key });
    expect(different.status).toBe(422);
    expect(different.body).toMatchObject({ error: 'idempotency_key_reused' });
    expect((await createAccount(customer(), 250, { 'idempotency-key': key })).body.id).not.toBe(first.body.id);
    expect((await call<AccountBody[]>('GET', `/api/accounts?customerId=${customerId}`, { token: readToken })).body).toHaveLength(1);
  });

  it('creates one account when the same key arrives many times at once', async () => {
    const customerId = customer();
    const key = `burst-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => createAccount(customerId, 10, { 'idempotency-key': key })));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    expect((await call<AccountBody[]>('GET', `/api/accounts?customerId=${customerId}`, { token: readToken })).body).toHaveLength(1);
  });
});

describe('concurrency', () => {
  it('loses no deposit among 50 parallel depositors retrying on 409', async () => {
    const { body: account } = await createAccount(customer(), 0);
    const depositOnce = async (): Promise<number> => {
      for (let attempt = 1; attempt <= 200; attempt += 1) {
        const { body: current } = await call<AccountBody>('GET', `/api/accounts/${account.id}`, { token: writeToken });
        const answer = await change(account.id, { deposit: 7, version: current.version });
        if (answer.status === 200) return attempt;
        if (answer.status !== 409) throw new Error(`unexpected ${answer.status}: ${JSON.stringify(answer.body)}`);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
      }
      throw new Error('gave up after 200 attempts');
    };
    const attempts = await Promise.all(Array.from({ length: 50 }, depositOnce));
    const final = (await call<AccountBody>('GET', `/api/accounts/${account.id}`, { token: readToken })).body;
    expect(final).toMatchObject({ balance: 50 * 7, version: 51 });
    expect(attempts.some((count) => count > 1)).toBe(true); // they really did collide
  });

  it('never lets parallel withdrawals take the balance below zero', async () => {
    const { body: account } = await createAccount(customer(), 100);
    const withdraw = async (): Promise<number> => {
      for (let attempt = 1; attempt <= 200; attempt += 1) {
        const { body: current } = await call<AccountBody>('GET', `/api/accounts/${account.id}`, { token: writeToken });
        const answer = await change(account.id, { withdraw: 30, version: current.version });
        if (answer.status !== 409) return answer.status;
      }
      throw new Error('gave up after 200 attempts');
    };
    const statuses = await Promise.all(Array.from({ length: 6 }, withdraw));
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(statuses.filter((status) => status === 422)).toHaveLength(3);
    expect((await call<AccountBody>('GET', `/api/accounts/${account.id}`, { token: readToken })).body.balance).toBe(10);
  });
});

describe('ownership', () => {
  it("lets a user create and see only their own accounts; someone else's look missing", async () => {
    const own = await createAccount(undefined, 10, {}, users.alice.token);
    expect(own.status).toBe(201);
    expect(own.body.customerId).toBe(users.alice.sub);
    const bobs = await createAccount(undefined, 20, {}, users.bob.token);

    const listed = await call<AccountBody[]>('GET', '/api/accounts', { token: users.alice.token });
    expect(listed.body.length).toBeGreaterThan(0);
    expect(listed.body.every((account) => account.customerId === users.alice.sub)).toBe(true);
    expect((await call('GET', `/api/accounts/${bobs.body.id}`, { token: users.alice.token })).status).toBe(404);
    expect((await call('PATCH', `/api/accounts/${bobs.body.id}`, { token: users.alice.token, body: { withdraw: 20, version: 1 } })).status).toBe(404);
    expect((await call('GET', `/api/accounts?customerId=${users.bob.sub}`, { token: users.alice.token })).status).toBe(403);
    expect((await createAccount(users.bob.sub, 0, {}, users.alice.token)).status).toBe(403);
    expect((await call<AccountBody>('GET', `/api/accounts/${bobs.body.id}`, { token: users.admin.token })).body.balance).toBe(20);
  });
});

describe('customer details', () => {
  let aliceLoans: string[];
  let aliceCards: string[];
  // alice and bob start with the demo rows loans and cards seed for them: each list is those, then these.
  const demoRows: Record<'alice' | 'bob', { loans: { id: string; amount: number }[]; cards: { id: string; limit: number }[] }> = {} as never;

  beforeAll(async () => {
    for (const name of ['alice', 'bob'] as const) {
      const list = async <T>(base: string, service: 'loans' | 'cards') =>
        (await request<T[]>(base, 'GET', `/api/${service}?customerId=${users[name].sub}`, { token: bankToken[service] })).body;
      demoRows[name] = { loans: await list(loans.url, 'loans'), cards: await list(cards.url, 'cards') };
    }
    const seed = async (service: 'loans' | 'cards', customerId: string, amount: number) => {
      const base = service === 'loans' ? loans.url : cards.url;
      const body = service === 'loans' ? { customerId, amount, currency: 'EUR' } : { customerId, limit: amount, currency: 'EUR' };
      const answer = await request<{ id: string }>(base, 'POST', `/api/${service}`, { token: bankToken[service], body });
      expect(answer.status).toBe(201);
      return answer.body.id;
    };
    aliceLoans = [...demoRows.alice.loans.map((loan) => loan.id), await seed('loans', users.alice.sub, 50_000), await seed('loans', users.alice.sub, 7_000)];
    aliceCards = [...demoRows.alice.cards.map((card) => card.id), await seed('cards', users.alice.sub, 2_000)];
    await seed('loans', users.bob.sub, 90_000);
    await seed('cards', users.bob.sub, 9_000);
  });

  it("gives a user their own accounts, loans and cards, and nothing of anyone else's", async () => {
    const answer = await details(users.alice.sub, users.alice.token);
    expect(answer.status).toBe(200);
    expect(answer.body.customerId).toBe(users.alice.sub);
    expect(answer.body.accounts.length).toBeGreaterThan(0);
    expect(answer.body.loans.map((loan) => loan.id)).toEqual(aliceLoans);
    expect(answer.body.cards.map((card) => card.id)).toEqual(aliceCards);
    expect(answer.body.cards.at(-1)).toMatchObject({ limit: 2_000, maskedNumber: expect.stringMatching(/^\*{4} \*{4} \*{4} \d{4}$/) });
    const owners = [...answer.body.accounts, ...answer.body.loans, ...answer.body.cards].map((entry) => entry.customerId);
    expect(new Set(owners)).toEqual(new Set([users.alice.sub]));
    expect(JSON.stringify(answer.body)).not.toContain(users.bob.sub);
  });

  it("refuses a user asking for another customer's details with 403", async () => {
    const answer = await details(users.bob.sub, users.alice.token);
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: 'forbidden' });
    expect(JSON.stringify(answer.body)).not.toContain('loans');
  });

  it('lets an admin and a client with accounts:read, loans:read and cards:read read any customer', async () => {
    for (const token of [users.admin.token, detailsToken]) {
      const answer = await details(users.bob.sub, token);
      expect(answer.status).toBe(200);
      expect(answer.body.loans.map((loan) => loan.amount)).toEqual([...demoRows.bob.loans.map((loan) => loan.amount), 90_000]);
      expect(answer.body.cards.map((card) => card.limit)).toEqual([...demoRows.bob.cards.map((card) => card.limit), 9_000]);
      expect(answer.body.accounts.every((account) => account.customerId === users.bob.sub)).toBe(true);
    }
    expect((await details(customer(), detailsToken)).body).toMatchObject({ accounts: [], loans: [], cards: [] });
  });

  it('refuses the details to a token without loans:read and cards:read (403 insufficient_scope, RFC 6750 §3.1)', async () => {
    const accountsOnlyUser = await login('alice', 'alice-demo-password', 'openid accounts:read');
    for (const token of [readToken, accountsOnlyUser.token]) {
      const answer = await details(users.alice.sub, token);
      expect(answer.status).toBe(403);
      expect(answer.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="${DETAILS_SCOPES}"`);
      expect(JSON.stringify(answer.body)).not.toContain('loans":');
    }
  });

  it('refuses a malformed customer id with 400', async () => {
    for (const bad of ['a b', '../alice', 'x'.repeat(129)]) expect((await details(bad, detailsToken)).status, bad).toBe(400);
  });

  it('answers 502, never 500, when its M2M client lacks cards:read', async () => {
    const answer = await details(users.alice.sub, users.alice.token, limited.url);
    expect(answer.status).toBe(502);
    expect(answer.body).toMatchObject({ statusCode: 502, error: 'bad_gateway', service: 'cards', reason: 'token_refused', message: expect.stringContaining('cards:read') });
    expect(JSON.stringify(answer.body)).not.toMatch(/ at |stack|\.ts:|\.js:/);
    // Everything else still works on that instance.
    expect((await request(limited.url, 'GET', '/api/accounts', { token: users.alice.token })).status).toBe(200);
  });

  it('answers 503 m2m_unavailable without credentials of its own, and serves everything else', async () => {
    const answer = await details(users.alice.sub, users.alice.token, anonymous.url);
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ error: 'm2m_unavailable' });
    expect((await request(anonymous.url, 'GET', '/api/accounts', { token: users.alice.token })).status).toBe(200);
  });

  it('answers 502 "loans unavailable" / "cards unavailable" when a service is down, and recovers when it is back', async () => {
    await loans.halt();
    const noLoans = await details(users.alice.sub, users.alice.token);
    expect(noLoans.status).toBe(502);
    expect(noLoans.body).toMatchObject({ error: 'bad_gateway', message: 'loans unavailable', reason: 'unreachable' });
    await loans.restart();

    await cards.halt();
    const noCards = await details(users.alice.sub, users.alice.token);
    expect(noCards.status).toBe(502);
    expect(noCards.body).toMatchObject({ error: 'bad_gateway', message: 'cards unavailable' });
    await cards.restart();

    const back = await details(users.alice.sub, users.alice.token);
    expect(back.status).toBe(200);
    expect(back.body.cards.map((card) => card.id)).toEqual(aliceCards);
  });
});
