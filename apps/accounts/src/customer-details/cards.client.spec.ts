import { Logger } from '@nestjs/common';
import type { ClientProxy, NatsRecord } from '@nestjs/microservices';
import { ClientCredentialsTokenClient } from '@trustline/security';
import { NEVER, type Observable, of, throwError } from 'rxjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CardsClient } from './cards.client';
import type { CustomerDetailsOptions } from './customer-details.options';
import { DownstreamError, M2mUnavailableError } from './downstream';

const ISSUER = 'http://auth.test';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

function tokenClient(behaviour: { status?: number; error?: string } = {}) {
  let issued = 0;
  const fetchImpl = (async (input: string | URL) => {
    if (String(input).endsWith('/.well-known/openid-configuration')) return Response.json({ issuer: ISSUER, token_endpoint: `${ISSUER}/token` });
    if (behaviour.status) return Response.json({ error: behaviour.error ?? 'server_error' }, { status: behaviour.status });
    issued += 1;
    return Response.json({ access_token: `token-${issued}`, expires_in: 300 });
  }) as typeof fetch;
  return new ClientCredentialsTokenClient({ issuer: ISSUER, clientId: 'accounts-service', clientSecret: 's', fetch: fetchImpl, retryBaseMs: 1 });
}

const card = (customerId: string, extra: Record<string, unknown> = {}) => ({
  id: '9e1c2f7e-2d0b-4a8e-9a54-0c4a3c1d2e3f',
  customerId,
  currency: 'EUR',
  limit: 5_000,
  used: 1_000,
  available: 4_000,
  maskedNumber: '**** **** **** 4242',
  version: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  ...extra,
});

/** A ClientProxy whose answers are scripted, one per call (the last one repeats). */
function fakeProxy(...answers: (() => Observable<unknown>)[]) {
  const send = vi.fn((_pattern: string, _data: unknown) => (answers.length > 1 ? answers.shift()! : answers[0])());
  const close = vi.fn();
  return { proxy: { send, close } as unknown as ClientProxy, send, close };
}

const TCP: CustomerDetailsOptions = { loansUrl: 'http://loans.test', cards: { transport: 'tcp', host: '127.0.0.1', port: 8093 }, timeoutMs: 100 };
const NATS: CustomerDetailsOptions = { loansUrl: 'http://loans.test', cards: { transport: 'nats', url: 'nats://127.0.0.1:4222' }, timeoutMs: 100 };

const failureOf = async (pending: Promise<unknown>) => {
  try {
    await pending;
  } catch (error) {
    return error as DownstreamError | M2mUnavailableError;
  }
  throw new Error('expected the call to fail');
};

beforeAll(() => {
  Logger.overrideLogger(false);
});

describe('CardsClient', () => {
  it("sends cards.by-customer over TCP in the envelope with this service's own token, keeping only the customer's cards", async () => {
    const { proxy, send } = fakeProxy(() => of([card('cust-1'), card('cust-2'), card('cust-1', { id: 'second', pan: '4242424242424242' })]));
    const cards = await new CardsClient(TCP, tokenClient(), proxy).byCustomer('cust-1', { traceparent: TRACEPARENT });
    expect(cards).toEqual([card('cust-1'), card('cust-1', { id: 'second' })]);
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]).toEqual(['cards.by-customer', { meta: { authorization: 'Bearer token-1' }, data: { customerId: 'cust-1' } }]);
  });

  it('carries the token and the trace headers in NATS headers', async () => {
    const { proxy, send } = fakeProxy(() => of([card('cust-1')]));
    expect(await new CardsClient(NATS, tokenClient(), proxy).byCustomer('cust-1', { traceparent: TRACEPARENT, 'x-request-id': 'req-7' })).toHaveLength(1);
    const [pattern, record] = send.mock.calls[0] as [string, NatsRecord];
    expect(pattern).toBe('cards.by-customer');
    expect(record.data).toEqual({ customerId: 'cust-1' });
    expect(record.headers?.get('authorization')).toBe('Bearer token-1');
    expect(record.headers?.get('traceparent')).toBe(TRACEPARENT);
    expect(record.headers?.get('x-request-id')).toBe('req-7');
  });

  it('answers 503 m2m_unavailable without credentials, sending nothing', async () => {
    const { proxy, send } = fakeProxy(() => of([]));
    expect(await failureOf(new CardsClient(TCP, null, proxy).byCustomer('cust-1'))).toBeInstanceOf(M2mUnavailableError);
    expect(send).not.toHaveBeenCalled();
  });

  it('answers 502 token_refused when the auth server will not issue cards:read to this client', async () => {
    const { proxy, send } = fakeProxy(() => of([]));
    const failure = await failureOf(new CardsClient(TCP, tokenClient({ status: 400, error: 'invalid_scope' }), proxy).byCustomer('cust-1'));
    expect(failure).toMatchObject({ status: 502, code: 'bad_gateway', details: { service: 'cards', reason: 'token_refused' } });
    expect(failure.message).toContain('cards:read');
    expect(send).not.toHaveBeenCalled();
  });

  it('turns a 403 from cards into a 502 that says the token was refused', async () => {
    const { proxy } = fakeProxy(() => throwError(() => ({ status: 403, error: 'insufficient_scope', message: 'insufficient scope' })));
    const failure = await failureOf(new CardsClient(TCP, tokenClient(), proxy).byCustomer('cust-1'));
    expect(failure).toBeInstanceOf(DownstreamError);
    expect(failure).toMatchObject({ status: 502, details: { service: 'cards', reason: 'refused', status: 403 } });
    expect(failure.message).toBe("cards refused this service's token (403 insufficient_scope)");
  });

  it('renews the token once on a 401 and succeeds with the new one', async () => {
    const { proxy, send } = fakeProxy(
      () => throwError(() => ({ status: 401, error: 'invalid_token' })),
      () => of([card('cust-1')]),
    );
    expect(await new CardsClient(TCP, tokenClient(), proxy).byCustomer('cust-1')).toHaveLength(1);
    expect(send.mock.calls.map(([, data]) => (data as { meta: { authorization: string } }).meta.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('maps transport failures, callee errors, silence and odd answers to 502 with a reason', async () => {
    const cases: [() => Observable<unknown>, string][] = [
      [() => throwError(() => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8093'), { code: 'ECONNREFUSED' })), 'unreachable'],
      [() => throwError(() => new Error('Connection closed')), 'unreachable'],
      [() => throwError(() => ({ status: 'error', message: 'There is no matching message handler defined in the remote service.' })), 'bad_status'],
      [() => throwError(() => ({ status: 400, error: 'invalid_request' })), 'bad_status'],
      [() => NEVER, 'timeout'],
      [() => of({ cards: [] }), 'bad_response'],
      [() => of([card('cust-1', { limit: null })]), 'bad_response'],
    ];
    for (const [answer, reason] of cases) {
      const { proxy } = fakeProxy(answer);
      const failure = await failureOf(new CardsClient(TCP, tokenClient(), proxy).byCustomer('cust-1'));
      expect(failure, reason).toMatchObject({ status: 502, code: 'bad_gateway', details: { service: 'cards', reason } });
    }
  });

  it('closes the proxy on shutdown', () => {
    const { proxy, close } = fakeProxy(() => of([]));
    new CardsClient(TCP, tokenClient(), proxy).onApplicationShutdown();
    expect(close).toHaveBeenCalledTimes(1);
  });
});
