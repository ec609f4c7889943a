import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { ClientProxyFactory, NatsRecordBuilder, Transport, type ClientProxy } from '@nestjs/microservices';
import { headers as natsHeaders } from 'nats';
import { rpcEnvelope } from '@trustline/security';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientCredentialsToken,
  freePort,
  natsServerBinary,
  type RunningNats,
  type RunningProcess,
  startApp,
  startAuthServer,
  startNatsServer,
} from '../../../tools/testing/processes';

const AUDIENCE = 'urn:trustline:cards';

let auth: RunningProcess & { issuer: string };
let rpcPort: number;
let cards: RunningProcess;
let rpc: ClientProxy;
let nats: RunningNats | undefined;
let natsRpc: ClientProxy | undefined;
let readToken: string;
let writeToken: string;
let writeOnlyToken: string;

interface CardBody {
  id: string;
  customerId: string;
  currency: string;
  limit: number;
  used: number;
  available: number;
  maskedNumber: string;
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
  const response = await fetch(`${cards.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

const customer = () => `customer-${randomUUID()}`;
const createCard = (customerId: string, limit = 10_000, headers: Record<string, string> = {}) =>
  call<CardBody>('POST', '/api/cards', { token: writeToken, body: { customerId, limit, currency: 'EUR' }, headers });
const change = (id: string, body: Record<string, unknown>) => call<CardBody>('PATCH', `/api/cards/${id}`, { token: writeToken, body });
const byCustomer = (message: unknown) => firstValueFrom(rpc.send<CardBody[]>('cards.by-customer', message));

beforeAll(async () => {
  auth = await startAuthServer();
  // demo-cli may only read: a writer client is registered the way an operator would, through the CLI.
  const registered = auth.run('cli.js', [
    'clients:register',
    JSON.stringify({
      clientId: 'cards-writer',
      tokenEndpointAuthMethod: 'client_secret_basic',
      grantTypes: ['client_credentials'],
      audiences: [AUDIENCE],
      allowedScopes: ['cards:read', 'cards:write'],
    }),
  ]);
  rpcPort = await freePort();
  // Where nats-server is installed (this machine, CI), cards answers on NATS too.
  nats = await startNatsServer();
  cards = await startApp({ name: 'cards', env: { ISSUER_URL: auth.issuer, RPC_PORT: String(rpcPort), ...(nats ? { NATS_URL: nats.url } : {}) } });
  if (nats) natsRpc = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [nats.url] } });
  rpc = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port: rpcPort } });
  readToken = await clientCredentialsToken(auth.issuer, 'demo-cli', AUDIENCE, 'cards:read');
  writeToken = await clientCredentialsToken(auth.issuer, 'cards-writer', AUDIENCE, 'cards:read cards:write', String(registered.client_secret));
  writeOnlyToken = await clientCredentialsToken(auth.issuer, 'cards-writer', AUDIENCE, 'cards:write', String(registered.client_secret));
});

afterAll(async () => {
  await rpc?.close();
  await natsRpc?.close();
  await cards?.stop();
  await nats?.stop();
  await auth?.stop();
});

describe('health and token checks over HTTP', () => {
  it('answers /health/live without a token', async () => {
    expect((await call('GET', '/health/live')).status).toBe(200);
    expect((await call('GET', '/health/ready')).status).toBe(200);
  });

  it('refuses a request without a token with 401 and a Bearer challenge', async () => {
    const answer = await call('GET', '/api/cards?customerId=x');
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('refuses a valid token for another audience (a loans token) with 401', async () => {
    const loansToken = await clientCredentialsToken(auth.issuer, 'demo-cli', 'urn:trustline:loans', 'loans:read');
    const answer = await call('GET', '/api/cards/me', { token: loansToken });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('refuses a write with a read-only token, and a read with a write-only token, with 403', async () => {
    const write = await call('POST', '/api/cards', { token: readToken, body: { customerId: customer(), limit: 100, currency: 'EUR' } });
    expect(write.status).toBe(403);
    expect(write.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="cards:write"');
    const read = await call('GET', `/api/cards?customerId=${customer()}`, { token: writeOnlyToken });
    expect(read.status).toBe(403);
    expect(read.body).toEqual({ error: 'insufficient_scope', scope: 'cards:read' });
  });

  it('shows the verified principal at /me, never the token', async () => {
    const answer = await call('GET', '/api/cards/me', { token: readToken });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ kind: 'client', sub: 'demo-cli', client_id: 'demo-cli', scope: 'cards:read', aud: AUDIENCE, roles: [] });
    expect(JSON.stringify(answer.body)).not.toContain(readToken.split('.')[2]);
  });

  it('publishes its OpenAPI document', async () => {
    const answer = await call<{ paths: Record<string, unknown> }>('GET', '/docs/openapi.json');
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body.paths)).toEqual(expect.arrayContaining(['/api/cards', '/api/cards/me', '/api/cards/{id}']));
  });
});

describe('cards lifecycle', () => {
  it('issues, reads, lists, charges, repays, moves the limit, refuses to close with a balance, then closes', async () => {
    const customerId = customer();
    const created = await createCard(customerId, 50_000);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ customerId, currency: 'EUR', limit: 50_000, used: 0, available: 50_000, version: 1 });
    expect(created.body.maskedNumber).toMatch(/^\*{4} \*{4} \*{4} [0-9]{4}$/);
    expect(created.headers.get('etag')).toBe('"1"');
    const id = created.body.id;

    expect((await call<CardBody>('GET', `/api/cards/${id}`, { token: readToken })).body).toEqual(created.body);
    expect((await call<CardBody[]>('GET', `/api/cards?customerId=${customerId}`, { token: readToken })).body.map((card) => card.id)).toEqual([id]);

    expect((await change(id, { charge: 20_000, version: 1 })).body).toMatchObject({ used: 20_000, available: 30_000, version: 2 });
    expect((await change(id, { repayment: 5_000, version: 2 })).body).toMatchObject({ used: 15_000, available: 35_000, version: 3 });
    const moved = await call<CardBody>('PATCH', `/api/cards/${id}`, { token: writeToken, body: { limit: 20_000 }, headers: { 'if-match': '"3"' } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ limit: 20_000, used: 15_000, available: 5_000, version: 4 });
    expect(moved.headers.get('etag')).toBe('"4"');

    const refused = await call('DELETE', `/api/cards/${id}`, { token: writeToken });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ statusCode: 409, error: 'card_balance_outstanding', used: 15_000 });

    expect((await change(id, { repayment: 15_000, version: 4 })).body).toMatchObject({ used: 0, available: 20_000, version: 5 });
    expect((await call('DELETE', `/api/cards/${id}`, { token: writeToken })).status).toBe(204);
    const gone = await call('GET', `/api/cards/${id}`, { token: readToken });
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ statusCode: 404, error: 'not_found' });
  });

  it('requires a client to name the customer when listing', async () => {
    const answer = await call('GET', '/api/cards', { token: readToken });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_request' });
  });

  it('returns the first card for a repeated Idempotency-Key, even after the card changed', async () => {
    const customerId = customer();
    const key = `issue-${randomUUID()}`;
    const first = await createCard(customerId, 1_000, { 'idempotency-key': key });
    await change(first.body.id, { limit: 2_000, version: 1 });
    const again = await createCard(customerId, 1_000, { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.limit).toBe(2_000);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await createCard(customerId, 3_000, { 'idempotency-key': key })).status).toBe(422);
    expect((await call<CardBody[]>('GET', `/api/cards?customerId=${customerId}`, { token: readToken })).body).toHaveLength(1);
  });
});

describe('validation and rules', () => {
  it('answers 400 for an id that is not a UUID and 404 for an unknown one', async () => {
    expect((await call('GET', '/api/cards/1234', { token: readToken })).status).toBe(400);
    expect((await call('GET', `/api/cards/${randomUUID()}`, { token: readToken })).status).toBe(404);
  });

  it.each([
    ['an unknown field', { limit: 100, currency: 'EUR', pan: '4111111111111111' }],
    ['a negative limit', { limit: -1, currency: 'EUR' }],
    ['a fractional limit', { limit: 99.99, currency: 'EUR' }],
    ['a limit as a string', { limit: '100', currency: 'EUR' }],
    ['a bad currency', { limit: 100, currency: 'EURO' }],
  ])('refuses a create with %s (400) and stores nothing', async (_name, body) => {
    const customerId = customer();
    const answer = await call('POST', '/api/cards', { token: writeToken, body: { customerId, ...body } });
    expect(answer.status).toBe(400);
    expect((await call<CardBody[]>('GET', `/api/cards?customerId=${customerId}`, { token: readToken })).body).toEqual([]);
  });

  it('refuses malformed changes with 400', async () => {
    const { body: card } = await createCard(customer(), 1_000);
    for (const body of [{ version: 1 }, { charge: -5, version: 1 }, { charge: 1.5, version: 1 }, { used: 0, version: 1 }, { limit: 0, version: 1 }]) {
      expect((await change(card.id, body)).status, JSON.stringify(body)).toBe(400);
    }
  });

  it('refuses a charge beyond the limit, an over-repayment and a limit below the balance with 422, changing nothing', async () => {
    const { body: card } = await createCard(customer(), 1_000);
    await change(card.id, { charge: 600, version: 1 });
    const cases: [Record<string, unknown>, string][] = [
      [{ charge: 401, version: 2 }, 'limit_exceeded'],
      [{ repayment: 601, version: 2 }, 'overrepayment'],
      [{ limit: 599, version: 2 }, 'limit_below_used'],
      [{ repayment: 100, charge: 501, version: 2 }, 'limit_exceeded'],
    ];
    for (const [body, error] of cases) {
      const answer = await change(card.id, body);
      expect(answer.status, JSON.stringify(body)).toBe(422);
      expect(answer.body).toMatchObject({ error });
    }
    expect((await call<CardBody>('GET', `/api/cards/${card.id}`, { token: readToken })).body).toMatchObject({ limit: 1_000, used: 600, version: 2 });
  });

  it('refuses a stale version with 409 and a missing one with 428', async () => {
    const { body: card } = await createCard(customer(), 1_000);
    await change(card.id, { charge: 1, version: 1 });
    const stale = await change(card.id, { charge: 1, version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: 'version_conflict', currentVersion: 2 });
    expect((await change(card.id, { charge: 1 })).status).toBe(428);
    expect((await call<CardBody>('GET', `/api/cards/${card.id}`, { token: readToken })).body).toMatchObject({ used: 1, version: 2 });
  });

  it('answers 413 to an oversized body', async () => {
    const answer = await call('POST', '/api/cards', { token: writeToken, body: { customerId: customer(), limit: 100, currency: 'EUR', padding: 'x'.repeat(20 * 1024) } });
    expect(answer.status).toBe(413);
  });

  it('loses no charge among 20 parallel chargers retrying on 409', async () => {
    const { body: card } = await createCard(customer(), 1_000);
    const chargeOnce = async (): Promise<boolean> => {
      for (let attempt = 0; attempt < 100; attempt += 1) {
        const { body: current } = await call<CardBody>('GET', `/api/cards/${card.id}`, { token: writeToken });
        const answer = await change(card.id, { charge: 1, version: current.version });
        if (answer.status === 200) return true;
        if (answer.status !== 409) throw new Error(`unexpected ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      return false;
    };
    const succeeded = (await Promise.all(Array.from({ length: 20 }, chargeOnce))).filter(Boolean).length;
    const final = (await call<CardBody>('GET', `/api/cards/${card.id}`, { token: readToken })).body;
    expect(final.used).toBe(succeeded);
    expect(final.available).toBe(1_000 - succeeded);
    expect(final.version).toBe(1 + succeeded);
    expect(succeeded).toBe(20);
  });
});

describe('the cards.by-customer message (TCP)', () => {
  it("answers a customer's cards to a token with cards:read", async () => {
    const customerId = customer();
    const a = await createCard(customerId, 1_000);
    const b = await createCard(customerId, 2_000);
    await createCard(customer(), 3_000);
    const listed = await byCustomer(rpcEnvelope(`Bearer ${readToken}`, { customerId }));
    expect(listed.map((card) => card.id)).toEqual([a.body.id, b.body.id]);
    expect(listed[1]).toEqual(b.body);
    expect(await byCustomer(rpcEnvelope(`Bearer ${readToken}`, { customerId: customer() }))).toEqual([]);
  });

  it('refuses a message without a token with status 401', async () => {
    await expect(byCustomer({ data: { customerId: customer() } })).rejects.toMatchObject({ status: 401 });
    await expect(byCustomer(rpcEnvelope('', { customerId: customer() }))).rejects.toMatchObject({ status: 401 });
  });

  it('refuses a token for another audience with 401 and one without cards:read with 403', async () => {
    const loansToken = await clientCredentialsToken(auth.issuer, 'demo-cli', 'urn:trustline:loans', 'loans:read');
    await expect(byCustomer(rpcEnvelope(`Bearer ${loansToken}`, { customerId: customer() }))).rejects.toMatchObject({ status: 401, error: 'invalid_token' });
    await expect(byCustomer(rpcEnvelope(`Bearer ${writeOnlyToken}`, { customerId: customer() }))).rejects.toMatchObject({ status: 403, error: 'insufficient_scope' });
  });

  it('refuses a missing or malformed customerId with 400', async () => {
    for (const data of [{}, { customerId: 'a b' }, { customerId: 7 }, { customerId: 'x', extra: true }]) {
      await expect(byCustomer(rpcEnvelope(`Bearer ${readToken}`, data)), JSON.stringify(data)).rejects.toMatchObject({ status: 400, error: 'invalid_request' });
    }
  });
});

/** Sends raw bytes to the TCP transport; resolves with how the server ended the connection, or 'open' after `waitMs`. */
function rawFrame(chunks: string[], waitMs: number): Promise<{ ended: 'closed' | 'open'; received: string }> {
  return new Promise((resolve) => {
    const socket = connect(rpcPort, '127.0.0.1');
    let received = '';
    let done = false;
    const finish = (ended: 'closed' | 'open') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ended, received });
    };
    const timer = setTimeout(() => finish('open'), waitMs);
    socket.on('data', (chunk) => (received += String(chunk)));
    socket.on('end', () => finish('closed'));
    socket.on('close', () => finish('closed'));
    // A reset while we are still writing is the server closing on us as well.
    socket.on('error', () => finish('closed'));
    socket.on('connect', () => {
      for (const chunk of chunks) if (!socket.destroyed) socket.write(chunk);
    });
  });
}

describe('the TCP transport, before any token check', () => {
  it('closes a connection whose frame exceeds the frame limit (tens of KiB, not 128 M characters), and keeps answering', async () => {
    // A length prefix of ~1 GB, then 1 MiB of payload: far below Nest's default buffer, far above ours.
    const oversized = await rawFrame(['999999999#', ...Array.from({ length: 16 }, () => 'x'.repeat(64 * 1024))], 3_000);
    expect(oversized.ended).toBe('closed');
    expect(oversized.received).toBe('');
    // One peer's bad frame costs only its own connection: the process is up and answers the next message.
    expect((await fetch(`${cards.url}/health/live`)).status).toBe(200);
    expect(await byCustomer(rpcEnvelope(`Bearer ${readToken}`, { customerId: customer() }))).toEqual([]);
    const metrics = await fetch(cards.metricsUrl()).then((response) => response.text());
    expect(metrics).toMatch(/trustline_rpc_frames_refused_total\{reason="frame_too_large"\} [1-9]/);
  });

  it('closes a connection on a malformed frame without writing its content to the log', async () => {
    const marker = `Bearer leaked-${randomUUID()}`;
    const garbage = `{"pattern":"cards.by-customer","data":{"authorization":"${marker}"`;
    const malformed = await rawFrame([`${garbage.length}#${garbage}`], 3_000);
    expect(malformed.ended).toBe('closed');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(cards.output()).not.toContain(marker);
    expect(cards.output()).not.toContain('leaked-');
    // Refused by reason, counted, and logged without the frame.
    expect(cards.output()).toContain('rpc connection closed before any token check: malformed_frame');
    const metrics = await fetch(cards.metricsUrl()).then((response) => response.text());
    expect(metrics).toMatch(/trustline_rpc_frames_refused_total\{reason="malformed_frame"\} [1-9]/);
    expect(await byCustomer(rpcEnvelope(`Bearer ${readToken}`, { customerId: customer() }))).toEqual([]);
  });
});

// Runs wherever nats-server is installed (every machine of this project's kind, and CI); a laptop without it skips only this block.
describe.runIf(natsServerBinary() !== undefined)('the cards.by-customer message (NATS, token in message headers)', () => {
  const overNats = (authorization: string | undefined, data: unknown) => {
    if (!natsRpc) throw new Error('cards was started without NATS');
    const carried = natsHeaders();
    if (authorization !== undefined) carried.set('authorization', authorization);
    return firstValueFrom(natsRpc.send<CardBody[]>('cards.by-customer', new NatsRecordBuilder(data).setHeaders(carried).build()));
  };

  it("answers a customer's cards to a token with cards:read carried in the headers", async () => {
    const customerId = customer();
    const card = await createCard(customerId, 4_000);
    expect(await overNats(`Bearer ${readToken}`, { customerId })).toEqual([card.body]);
  });

  it('applies the same guard: no token 401, another audience 401, no cards:read 403', async () => {
    await expect(overNats(undefined, { customerId: customer() })).rejects.toMatchObject({ status: 401 });
    const loansToken = await clientCredentialsToken(auth.issuer, 'demo-cli', 'urn:trustline:loans', 'loans:read');
    await expect(overNats(`Bearer ${loansToken}`, { customerId: customer() })).rejects.toMatchObject({ status: 401, error: 'invalid_token' });
    await expect(overNats(`Bearer ${writeOnlyToken}`, { customerId: customer() })).rejects.toMatchObject({ status: 403, error: 'insufficient_scope' });
  });
});
