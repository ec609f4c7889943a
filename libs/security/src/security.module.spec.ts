import { Controller, Get, Module } from '@nestjs/common';
import { MessagePattern, Payload, ClientProxyFactory, Transport, type ClientProxy, type MicroserviceOptions } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { generateKeyPairSync } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CurrentPrincipal, Denylist, type Principal, Public, Roles, Scopes, SecurityModule, rpcEnvelope } from './index';
import { TestIssuer } from './testing';

const AUDIENCE = 'urn:trustline:accounts';

@Controller()
class SampleController {
  @Public()
  @Get('health')
  health() {
    return { status: 'ok' };
  }

  @Scopes('accounts:read')
  @Get('me')
  me(@CurrentPrincipal() principal: Principal) {
    return principal;
  }

  @Get('undecided')
  undecided() {
    return { reached: true };
  }

  @Roles('admin')
  @Get('admin')
  admin() {
    return { admin: true };
  }

  @Scopes('accounts:read')
  @MessagePattern('accounts.ping')
  ping(@Payload() message: { data: { n: number } }, @CurrentPrincipal() principal: Principal) {
    return { n: message.data.n, subject: principal.subject };
  }
}

let issuer: TestIssuer;
let app: NestFastifyApplication;
let denylist: Denylist;
let rpcPort: number;
let rpc: ClientProxy;

beforeAll(async () => {
  issuer = await new TestIssuer().start();
  @Module({ imports: [SecurityModule.forRoot({ issuer: issuer.issuer, audience: AUDIENCE, jwksRefreshMinIntervalMs: 60_000 })], controllers: [SampleController] })
  class SampleModule {}
  const moduleRef = await Test.createTestingModule({ imports: [SampleModule] }).compile();
  app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  rpcPort = 20000 + Math.floor(Math.random() * 20000);
  // inheritAppConfig: without it Nest does not apply global guards to message handlers.
  app.connectMicroservice<MicroserviceOptions>({ transport: Transport.TCP, options: { host: '127.0.0.1', port: rpcPort } }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  denylist = app.get(Denylist);
  rpc = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port: rpcPort } });
});

afterAll(async () => {
  await rpc?.close();
  await app?.close();
  await issuer?.stop();
});

const get = (url: string, authorization?: string) => app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } });
const bearer = (token: string) => `Bearer ${token}`;
const now = () => Math.floor(Date.now() / 1000);

describe('SecurityModule over HTTP', () => {
  it('lets a valid token with the scope through, and exposes the principal without the token', async () => {
    const token = issuer.mint(AUDIENCE, { claims: { scope: 'accounts:read', sub: 'svc-a', client_id: 'svc-a' } });
    const response = await get('/me', bearer(token));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ kind: 'client', subject: 'svc-a', clientId: 'svc-a', audience: AUDIENCE, scopes: ['accounts:read'] });
    expect(response.body).not.toContain(token);
  });

  it('tells users from clients by the grant id', async () => {
    const token = issuer.mint(AUDIENCE, { claims: { scope: 'accounts:read', sub: 'user-1', client_id: 'portal', gid: 'grant-1', roles: ['customer'] } });
    expect((await get('/me', bearer(token))).json()).toMatchObject({ kind: 'user', subject: 'user-1', roles: ['customer'], grantId: 'grant-1' });
  });

  it('leaves @Public routes open and protects routes without a decision (default-deny)', async () => {
    expect((await get('/health')).statusCode).toBe(200);
    const undecided = await get('/undecided');
    expect(undecided.statusCode).toBe(401);
    expect((await get('/undecided', bearer(issuer.mint(AUDIENCE)))).statusCode).toBe(200);
  });

  it('answers a missing token with 401 and a bare Bearer challenge (RFC 6750 §3.1)', async () => {
    const response = await get('/me');
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  const forged: [string, () => string][] = [
    ['signed by another key', () => issuer.mint(AUDIENCE, { signingKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, claims: { scope: 'accounts:read' } })],
    ['alg none', () => issuer.mintUnsigned(AUDIENCE, { scope: 'accounts:read' })],
    ['HS256 with the public key as secret', () => issuer.mintHmacWithPublicKey(AUDIENCE)],
    ['HS256 header', () => issuer.mint(AUDIENCE, { header: { alg: 'HS256' }, claims: { scope: 'accounts:read' } })],
    ['wrong issuer', () => issuer.mint(AUDIENCE, { claims: { iss: 'https://evil.example', scope: 'accounts:read' } })],
    ['wrong audience', () => issuer.mint('urn:trustline:loans', { claims: { scope: 'accounts:read' } })],
    ['ID token type (typ JWT)', () => issuer.mint(AUDIENCE, { header: { typ: 'JWT' }, claims: { scope: 'accounts:read' } })],
    ['no typ', () => issuer.mint(AUDIENCE, { header: { typ: undefined }, claims: { scope: 'accounts:read' } })],
    ['expired beyond the skew', () => issuer.mint(AUDIENCE, { claims: { exp: now() - 120, iat: now() - 600, scope: 'accounts:read' } })],
    ['not yet valid (nbf)', () => issuer.mint(AUDIENCE, { claims: { nbf: now() + 600, scope: 'accounts:read' } })],
    ['issued in the future', () => issuer.mint(AUDIENCE, { claims: { iat: now() + 600, exp: now() + 900, scope: 'accounts:read' } })],
    ['unknown kid', () => issuer.mint(AUDIENCE, { header: { kid: 'unknown-kid' }, claims: { scope: 'accounts:read' } })],
    ['no kid', () => issuer.mint(AUDIENCE, { header: { kid: undefined }, claims: { scope: 'accounts:read' } })],
    [
      'embedded jwk header (attacker key)',
      () => {
        const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        return issuer.mint(AUDIENCE, {
          signingKey: attacker.privateKey,
          header: { jwk: attacker.publicKey.export({ format: 'jwk' }), kid: undefined },
          claims: { scope: 'accounts:read' },
        });
      },
    ],
    [
      'jku header pointing elsewhere',
      () =>
        issuer.mint(AUDIENCE, {
          signingKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
          header: { jku: 'https://evil.example/jwks' },
          claims: { scope: 'accounts:read' },
        }),
    ],
    [
      'tampered payload',
      () => {
        const [header, , signature] = issuer.mint(AUDIENCE, { claims: { scope: 'accounts:read' } }).split('.');
        const payload = Buffer.from(
          JSON.stringify({ iss: issuer.issuer, aud: AUDIENCE, sub: 'admin', client_id: 'x', scope: 'accounts:read', iat: now(), exp: now() + 300, jti: 'j' }),
        ).toString('base64url');
        return `${header}.${payload}.${signature}`;
      },
    ],
    ['missing jti', () => issuer.mint(AUDIENCE, { claims: { jti: undefined, scope: 'accounts:read' } })],
    ['malformed: two segments', () => 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0'],
    ['malformed: not base64url', () => 'abc.$$$.def'],
    ['malformed: header not JSON', () => `${Buffer.from('not json').toString('base64url')}.e30.sig`],
    ['crit header', () => issuer.mint(AUDIENCE, { header: { crit: ['exp'] }, claims: { scope: 'accounts:read' } })],
    ['oversized', () => issuer.mint(AUDIENCE, { claims: { scope: 'accounts:read', padding: 'x'.repeat(10_000) } })],
  ];

  it.each(forged)('refuses a token %s with 401 invalid_token and no detail', async (_name, makeToken) => {
    const response = await get('/me', bearer(makeToken()));
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(response.json()).toEqual({ error: 'invalid_token' });
  });

  it('refuses other schemes and duplicate-looking credentials', async () => {
    const token = issuer.mint(AUDIENCE, { claims: { scope: 'accounts:read' } });
    for (const authorization of [`Basic ${token}`, token, `Bearer ${token} extra`, 'Bearer ']) {
      const response = await get('/me', authorization);
      expect(response.statusCode).toBe(401);
    }
  });

  it('accepts a token just past exp within the bounded clock skew', async () => {
    const token = issuer.mint(AUDIENCE, { claims: { exp: now() - 10, iat: now() - 310, scope: 'accounts:read' } });
    expect((await get('/me', bearer(token))).statusCode).toBe(200);
  });

  it('answers a missing scope or role with 403 insufficient_scope naming the scope', async () => {
    const token = issuer.mint(AUDIENCE, { claims: { scope: 'accounts:write' } });
    const response = await get('/me', bearer(token));
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="accounts:read"');
    expect(response.json()).toEqual({ error: 'insufficient_scope', scope: 'accounts:read' });
    const customer = issuer.mint(AUDIENCE, { claims: { roles: ['customer'], gid: 'g' } });
    expect((await get('/admin', bearer(customer))).statusCode).toBe(403);
    const admin = issuer.mint(AUDIENCE, { claims: { roles: ['admin'], gid: 'g' } });
    expect((await get('/admin', bearer(admin))).statusCode).toBe(200);
  });

  it('refuses a revoked token even after it was cached as verified', async () => {
    const token = issuer.mint(AUDIENCE, { claims: { scope: 'accounts:read' } });
    expect((await get('/me', bearer(token))).statusCode).toBe(200);
    const { jti } = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { jti: string };
    denylist.add({ type: 'jti', value: jti, at: now(), exp: now() + 300 });
    expect((await get('/me', bearer(token))).statusCode).toBe(401);
  });

  it('refuses every token of a revoked grant, also one signed after the revocation (a revoked grant never issues again)', async () => {
    const before = issuer.mint(AUDIENCE, { claims: { scope: 'accounts:read', gid: 'grant-x', iat: now() - 5 } });
    expect((await get('/me', bearer(before))).statusCode).toBe(200);
    denylist.add({ type: 'grant', value: 'grant-x', at: now() - 1, exp: now() + 300 });
    expect((await get('/me', bearer(before))).statusCode).toBe(401);
    // A refresh that won the race against its own reuse signs a moment after the grant was revoked.
    const after = issuer.mint(AUDIENCE, { claims: { scope: 'accounts:read', gid: 'grant-x', iat: now() + 1 } });
    expect((await get('/me', bearer(after))).statusCode).toBe(401);
    const otherGrant = issuer.mint(AUDIENCE, { claims: { scope: 'accounts:read', gid: 'grant-y', iat: now() + 1 } });
    expect((await get('/me', bearer(otherGrant))).statusCode).toBe(200);
  });

  it('rate-limits JWKS refreshes triggered by forged kids', async () => {
    const requestsBefore = issuer.jwksRequests;
    for (let i = 0; i < 5; i += 1) await get('/me', bearer(issuer.mint(AUDIENCE, { header: { kid: `forged-${i}` } })));
    // Within the refresh interval at most one refetch happens however many unknown kids arrive.
    expect(issuer.jwksRequests - requestsBefore).toBeLessThanOrEqual(1);
  });

  it('keeps verifying with cached keys while the issuer is down', async () => {
    issuer.available = false;
    try {
      const token = issuer.mint(AUDIENCE, { claims: { scope: 'accounts:read' } });
      expect((await get('/me', bearer(token))).statusCode).toBe(200);
    } finally {
      issuer.available = true;
    }
  });
});

describe('SecurityModule over RPC (TCP envelope)', () => {
  it('runs the same guard on message handlers: valid token in, missing or forged token out', async () => {
    const token = issuer.mint(AUDIENCE, { claims: { scope: 'accounts:read', sub: 'accounts-service' } });
    const ok = await firstValueFrom(rpc.send('accounts.ping', rpcEnvelope(bearer(token), { n: 7 })));
    expect(ok).toEqual({ n: 7, subject: 'accounts-service' });

    await expect(firstValueFrom(rpc.send('accounts.ping', { data: { n: 1 } }))).rejects.toMatchObject({ status: 401, error: 'invalid_request' });
    await expect(firstValueFrom(rpc.send('accounts.ping', rpcEnvelope(bearer(issuer.mintUnsigned(AUDIENCE)), { n: 1 })))).rejects.toMatchObject({
      status: 401,
      error: 'invalid_token',
    });
    const noScope = issuer.mint(AUDIENCE, { claims: { scope: 'accounts:write' } });
    await expect(firstValueFrom(rpc.send('accounts.ping', rpcEnvelope(bearer(noScope), { n: 1 })))).rejects.toMatchObject({ status: 403, error: 'insufficient_scope' });
  });
});
