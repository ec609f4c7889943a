import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, clientCredentialsToken, natsServerBinary } from '../../../tools/testing/processes';
import { AUDIENCES, call, registerM2mClient, type RunningSystem, startSystem } from './support/system';
import { eventually } from './support/tokens';

/**
 * The machine-to-machine path: a client asks accounts (through the gateway) for a customer's details, and
 * accounts gathers loans over HTTP and cards over RPC with its own client-credentials tokens. Over TCP
 * (the embedded default), and over NATS with the token in message headers wherever nats-server exists.
 */
const DETAILS_SCOPES = 'accounts:read loans:read cards:read';
const transports = [{ transport: 'tcp', nats: false }, ...(natsServerBinary() ? [{ transport: 'nats', nats: true }] : [])];

describe.each(transports)('customer details, accounts → cards over $transport', ({ nats }) => {
  let system: RunningSystem;
  let writers: Record<'accounts' | 'loans' | 'cards', string>;
  let reader: string;

  beforeAll(async () => {
    system = await startSystem({ nats });
    const secret = registerM2mClient(system, 'e2e-seeder', Object.values(AUDIENCES), ['accounts:write', 'loans:write', 'cards:write']);
    writers = {
      accounts: await clientCredentialsToken(system.issuer, 'e2e-seeder', AUDIENCES.accounts, 'accounts:write', secret),
      loans: await clientCredentialsToken(system.issuer, 'e2e-seeder', AUDIENCES.loans, 'loans:write', secret),
      cards: await clientCredentialsToken(system.issuer, 'e2e-seeder', AUDIENCES.cards, 'cards:write', secret),
    };
    // The details hold loans and cards too: the caller must hold their read scopes, on the accounts audience.
    reader = await clientCredentialsToken(system.issuer, 'demo-cli', AUDIENCES.accounts, DETAILS_SCOPES);
  });

  afterAll(async () => system?.stop());

  it("gathers one customer's accounts, loans and cards, and nobody else's", async () => {
    const customerId = `customer-${randomUUID()}`;
    const other = `customer-${randomUUID()}`;
    for (const owner of [customerId, other]) {
      expect((await call(system.gateway.url, 'POST', '/api/accounts', writers.accounts, { customerId: owner, name: 'Main', currency: 'EUR', balance: 100 })).status).toBe(201);
      expect((await call(system.gateway.url, 'POST', '/api/loans', writers.loans, { customerId: owner, amount: 1_000, currency: 'EUR' })).status).toBe(201);
      expect((await call(system.gateway.url, 'POST', '/api/cards', writers.cards, { customerId: owner, limit: 2_000, currency: 'EUR' })).status).toBe(201);
    }
    // demo-cli's token is for accounts only: loans and cards would refuse it. The answer below can only
    // come from calls made with accounts' own tokens for their audiences, and only because demo-cli holds
    // loans:read and cards:read (it may read those itself) on the accounts audience.
    const details = await call(system.gateway.url, 'GET', `/api/accounts/customers/${customerId}/details`, reader);
    expect(details.status).toBe(200);
    const body = details.body as Record<'accounts' | 'loans' | 'cards', { customerId: string }[]>;
    for (const kind of ['accounts', 'loans', 'cards'] as const) {
      expect(body[kind]).toHaveLength(1);
      expect(body[kind][0].customerId).toBe(customerId);
    }
  });

  it('carries the request id of the original call to the next hop', async () => {
    const requestId = `e2e-trace-${randomUUID()}`;
    const response = await fetch(`${system.gateway.url}/api/accounts/customers/anyone/details`, { headers: { authorization: `Bearer ${reader}`, 'x-request-id': requestId } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe(requestId);
    // The gateway relayed it to accounts, and accounts passed it on its own call to loans, with the
    // W3C trace id: the same two ids on the request's log lines in every service.
    // Complete lines only (the last may still be arriving through the process's stdout pipe).
    const linesOf = (output: string) =>
      output
        .split('\n')
        .slice(0, -1)
        .filter((line) => line.includes(requestId))
        .map((line) => JSON.parse(line) as { traceId?: string; msg?: string });
    const completed = (output: string) => linesOf(output).some((line) => line.msg === 'request completed');
    await eventually(async () => completed(system.services.accounts.output()) && completed(system.services.loans.output()), 3_000, 20);
    const accountsLines = linesOf(system.services.accounts.output());
    const loansLines = linesOf(system.services.loans.output());
    expect(accountsLines.length).toBeGreaterThan(0);
    expect(loansLines.length).toBeGreaterThan(0);
    const traceId = accountsLines[0].traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(loansLines.every((line) => line.traceId === traceId)).toBe(true);
  });

  it('refuses a client without accounts:read (403 at the gateway and at accounts itself)', async () => {
    const writeOnly = writers.accounts;
    const expected = [
      // The gateway checks the scope of the method on the route; accounts, every scope the answer needs.
      [system.gateway.url, 'Bearer error="insufficient_scope", scope="accounts:read"'],
      [system.services.accounts.url, `Bearer error="insufficient_scope", scope="${DETAILS_SCOPES}"`],
    ];
    for (const [base, challenge] of expected) {
      const answer = await call(base, 'GET', '/api/accounts/customers/anyone/details', writeOnly);
      expect(answer.status).toBe(403);
      expect(answer.headers.get('www-authenticate')).toBe(challenge);
    }
  });

  it('does not launder privilege: a client allowed only the accounts audience gets no loans or cards through accounts', async () => {
    const secret = registerM2mClient(system, 'e2e-accounts-only', [AUDIENCES.accounts], ['accounts:read']);
    const accountsOnly = await clientCredentialsToken(system.issuer, 'e2e-accounts-only', AUDIENCES.accounts, 'accounts:read', secret);
    // RFC 6750 §3.1: 403 insufficient_scope naming every scope the resource needs, directly and relayed.
    for (const base of [system.services.accounts.url, system.gateway.url]) {
      const answer = await call(base, 'GET', '/api/accounts/customers/anyone/details', accountsOnly);
      expect(answer.status, base).toBe(403);
      expect(answer.headers.get('www-authenticate'), base).toBe(`Bearer error="insufficient_scope", scope="${DETAILS_SCOPES}"`);
    }
    // Nor can it ask for the other services' read scopes on the accounts audience (RFC 6749 §5.2).
    for (const scope of ['accounts:read loans:read', 'cards:read', DETAILS_SCOPES]) {
      const refused = await fetch(`${system.issuer}/token`, {
        method: 'POST',
        headers: { authorization: basicAuth('e2e-accounts-only', secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: AUDIENCES.accounts, scope }),
      });
      expect(refused.status, scope).toBe(400);
      expect(((await refused.json()) as { error: string }).error, scope).toBe('invalid_scope');
    }
    // accounts:read alone still reads what is accounts' own.
    expect((await call(system.gateway.url, 'GET', '/api/accounts/me', accountsOnly)).status).toBe(200);
  });

  it('gives loans:read and cards:read on the accounts audience only to a client entitled to them on loans and cards', async () => {
    // A client with loans:read on the loans audience but no cards audience: loans:read yes, cards:read no.
    const secret = registerM2mClient(system, 'e2e-accounts-loans', [AUDIENCES.accounts, AUDIENCES.loans], ['accounts:read', 'loans:read']);
    const token = await clientCredentialsToken(system.issuer, 'e2e-accounts-loans', AUDIENCES.accounts, 'accounts:read loans:read', secret);
    const answer = await call(system.gateway.url, 'GET', '/api/accounts/customers/anyone/details', token);
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="${DETAILS_SCOPES}"`);
    await expect(clientCredentialsToken(system.issuer, 'e2e-accounts-loans', AUDIENCES.accounts, DETAILS_SCOPES, secret)).rejects.toThrow('invalid_scope');
  });

  it("never writes an app's credentials (client secret; NATS password, inside its NATS_URL) to a log line", () => {
    const output = system.output();
    expect(output).toContain('ready');
    for (const app of ['auth-server', 'gateway', 'accounts', 'loans', 'cards']) {
      const secrets = [
        ...(app === 'auth-server' ? [] : [`${app === 'gateway' ? app : `${app}-service`}-secret`]),
        ...(system.nats ? [decodeURIComponent(new URL(system.nats.urlFor(app)).password)] : []),
      ];
      for (const secret of secrets) expect(output, app).not.toContain(secret);
    }
    expect(Boolean(system.nats)).toBe(nats);
  });

  it('is ready everywhere, the broker check included (each app authenticated as its own NATS user)', async () => {
    for (const running of [system.auth, system.gateway, ...Object.values(system.services)]) {
      const ready = await call(running.url, 'GET', '/health/ready');
      expect(ready.status, running.name).toBe(200);
      if (nats && running !== system.auth) expect(JSON.stringify(ready.body), running.name).toContain('broker');
    }
  });

  it('answers 502, not 500, when a downstream is down, and recovers when it is back', async () => {
    await system.services.cards.halt();
    try {
      const down = await call(system.gateway.url, 'GET', '/api/accounts/customers/anyone/details', reader);
      expect(down.status).toBe(502);
    } finally {
      await system.services.cards.restart();
    }
    const back = await call(system.gateway.url, 'GET', '/api/accounts/customers/anyone/details', reader);
    expect(back.status).toBe(200);
  });
});
