import { describe, expect, it } from 'vitest';
import { parse } from 'node:querystring';
import { claimedClientId, installOperationalHooks } from './operational-hooks';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const jwt = (payload: object) => `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

describe('claimedClientId', () => {
  it('finds the client a token request claims to be, whatever the authentication method', () => {
    expect(claimedClientId(basic('loans-service', 'x'), undefined)).toBe('loans-service');
    expect(claimedClientId(basic('a b+c', 'x'), undefined)).toBe('a b+c');
    expect(claimedClientId('', parse('client_id=loans-service&client_secret=x'))).toBe('loans-service');
    expect(claimedClientId('', parse(`client_assertion=${jwt({ sub: 'loans-service', iss: 'loans-service' })}`))).toBe('loans-service');
  });

  it('finds none in a malformed request', () => {
    expect(claimedClientId('Bearer x', undefined)).toBeUndefined();
    expect(claimedClientId('', parse('client_assertion=not.a-jwt'))).toBeUndefined();
    expect(claimedClientId('', parse('client_id=a&client_id=b'))).toBeUndefined();
    expect(claimedClientId('', undefined)).toBeUndefined();
  });
});

describe('installOperationalHooks: a response waits for its own writes', () => {
  type Middleware = (ctx: object, next: () => Promise<void>) => Promise<void>;
  type Listener = (ctx: object, ...args: unknown[]) => void;

  function install(record: (event: { requestId?: string }) => Promise<void>) {
    const middlewares: Middleware[] = [];
    const listeners: Record<string, Listener> = {};
    const provider = { use: (middleware: Middleware) => middlewares.push(middleware), on: (event: string, listener: Listener) => (listeners[event] = listener) };
    const deps = { config: {}, revocations: {}, attempts: {}, audit: { record } };
    installOperationalHooks(provider as never, deps as never);
    // The outermost middleware is the one that holds a response until its writes have settled.
    const logout = (ctx: { id: string }) =>
      middlewares[0](ctx, async () => {
        listeners['end_session.success'](Object.assign(ctx, { ip: '127.0.0.1', get: () => ctx.id, oidc: {} }));
      });
    return { logout };
  }

  it('answers once its own audit row is written, however long another request’s write takes', async () => {
    const never = new Promise<void>(() => undefined);
    const written: string[] = [];
    const { logout } = install(async (event) => {
      if (event.requestId === 'slow') return never;
      written.push(String(event.requestId));
    });
    void logout({ id: 'slow' });
    const answered = await Promise.race([logout({ id: 'fast' }).then(() => 'answered'), new Promise((resolve) => setTimeout(resolve, 1_000, 'still waiting'))]);
    expect(answered).toBe('answered');
    expect(written).toEqual(['fast']);
  });

  it('holds the response until its own write has settled', async () => {
    let release!: () => void;
    const { logout } = install(() => new Promise<void>((resolve) => (release = resolve)));
    let done = false;
    const answering = logout({ id: 'one' }).then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(false);
    release();
    await answering;
    expect(done).toBe(true);
  });
});
