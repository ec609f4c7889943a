import { createHmac, createPublicKey } from 'node:crypto';
import { TestIssuer } from '@trustline/security/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCredentialsToken } from '../../../tools/testing/processes';
import { issuerSigningKey, signJwt } from './support/issuer-key';
import { AUDIENCES, call, type RunningSystem, SERVICES, type ServiceName, startSystem } from './support/system';
import { eventually } from './support/tokens';

/**
 * Every hop refuses every bad token, whether the gateway is in front or bypassed. Table-driven: a new
 * service added to SERVICES (support/system.ts) inherits every row.
 */
let system: RunningSystem;
let impostor: TestIssuer;
const valid: Partial<Record<ServiceName, string>> = {};
let publishedKid: string;
let publishedPem: string;
let realKey: Awaited<ReturnType<typeof issuerSigningKey>>;

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parts = (token: string) => {
  const [header, payload, signature] = token.split('.');
  return { header: JSON.parse(Buffer.from(header, 'base64url').toString()), payload: JSON.parse(Buffer.from(payload, 'base64url').toString()), signature };
};

beforeAll(async () => {
  system = await startSystem();
  impostor = await new TestIssuer().start();
  for (const service of SERVICES) valid[service] = await clientCredentialsToken(system.issuer, 'demo-cli', AUDIENCES[service], `${service}:read`);
  const jwks = (await (await fetch(`${system.issuer}/jwks`)).json()) as { keys: (Record<string, unknown> & { kid: string })[] };
  publishedKid = jwks.keys[0].kid;
  publishedPem = String(createPublicKey({ key: jwks.keys[0] as never, format: 'jwk' }).export({ format: 'pem', type: 'spki' }));
  realKey = await issuerSigningKey(system.auth);
});

/** A token signed by the auth server's real key: valid for `service` unless `changes` break it. */
function genuine(service: ServiceName, changes: { header?: Record<string, unknown>; claims?: Record<string, unknown> } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: system.issuer,
    sub: 'demo-cli',
    client_id: 'demo-cli',
    aud: AUDIENCES[service],
    scope: `${service}:read`,
    jti: `matrix-${Math.random().toString(36).slice(2)}`,
    iat: now,
    exp: now + 300,
    ...changes.claims,
  };
  for (const key of Object.keys(claims)) if (claims[key] === undefined) delete claims[key];
  return signJwt(realKey.key, { typ: 'at+jwt', kid: realKey.kid, ...changes.header }, claims);
}

afterAll(async () => {
  await impostor?.stop();
  await system?.stop();
});

/** A bad credential for `service`'s route: what it is, and how to make it (from a valid token when useful). */
const attacks: { name: string; make(service: ServiceName): string | undefined; challenge: string }[] = [
  { name: 'no token at all', make: () => undefined, challenge: 'Bearer' },
  {
    name: 'a token signed by an unknown key, naming our issuer',
    make: (service) => impostor.mint(AUDIENCES[service], { claims: { iss: system.issuer, scope: `${service}:read` } }),
    challenge: 'Bearer error="invalid_token"',
  },
  {
    name: 'a token from another issuer',
    make: (service) => impostor.mint(AUDIENCES[service], { claims: { scope: `${service}:read` } }),
    challenge: 'Bearer error="invalid_token"',
  },
  {
    name: 'alg none',
    make: (service) => {
      const { payload } = parts(valid[service]!);
      return `${b64({ alg: 'none', typ: 'at+jwt', kid: publishedKid })}.${b64(payload)}.`;
    },
    challenge: 'Bearer error="invalid_token"',
  },
  {
    name: 'HS256 signed with the published public key',
    make: (service) => {
      const { payload } = parts(valid[service]!);
      const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: publishedKid })}.${b64(payload)}`;
      return `${input}.${createHmac('sha256', publishedPem).update(input).digest('base64url')}`;
    },
    challenge: 'Bearer error="invalid_token"',
  },
  {
    name: 'an unknown kid',
    make: (service) => {
      const token = parts(valid[service]!);
      return `${b64({ ...token.header, kid: 'no-such-key' })}.${b64(token.payload)}.${token.signature}`;
    },
    challenge: 'Bearer error="invalid_token"',
  },
  {
    name: 'a tampered payload (more scopes)',
    make: (service) => {
      const [header, , signature] = valid[service]!.split('.');
      return `${header}.${b64({ ...parts(valid[service]!).payload, scope: `${service}:read ${service}:write` })}.${signature}`;
    },
    challenge: 'Bearer error="invalid_token"',
  },
  {
    name: "a valid token for another service's audience",
    make: (service) => valid[SERVICES.find((other) => other !== service)!],
    challenge: 'Bearer error="invalid_token"',
  },
  {
    name: 'a token of another type (typ JWT, like an ID token)',
    make: (service) => impostor.mint(AUDIENCES[service], { header: { typ: 'JWT' } }),
    challenge: 'Bearer error="invalid_token"',
  },
  // Signed by the real key, so only the claim or header check itself can refuse them.
  {
    name: 'an expired token (real key, beyond the clock skew)',
    make: (service) => genuine(service, { claims: { iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) - 120 } }),
    challenge: 'Bearer error="invalid_token"',
  },
  {
    name: 'a token not yet valid (real key, nbf ahead)',
    make: (service) => genuine(service, { claims: { nbf: Math.floor(Date.now() / 1000) + 300 } }),
    challenge: 'Bearer error="invalid_token"',
  },
  {
    name: 'a token issued in the future (real key)',
    make: (service) => genuine(service, { claims: { iat: Math.floor(Date.now() / 1000) + 300, exp: Math.floor(Date.now() / 1000) + 600 } }),
    challenge: 'Bearer error="invalid_token"',
  },
  { name: 'a wrong issuer (real key)', make: (service) => genuine(service, { claims: { iss: 'https://evil.example' } }), challenge: 'Bearer error="invalid_token"' },
  { name: 'typ JWT, the type of an ID token (real key)', make: (service) => genuine(service, { header: { typ: 'JWT' } }), challenge: 'Bearer error="invalid_token"' },
  { name: 'no typ at all (real key)', make: (service) => genuine(service, { header: { typ: undefined } }), challenge: 'Bearer error="invalid_token"' },
  { name: 'a missing jti (real key)', make: (service) => genuine(service, { claims: { jti: undefined } }), challenge: 'Bearer error="invalid_token"' },
  {
    name: 'a critical header it does not understand (real key)',
    make: (service) => genuine(service, { header: { crit: ['x-unknown'], 'x-unknown': true } }),
    challenge: 'Bearer error="invalid_token"',
  },
  { name: 'malformed segments', make: () => 'abc.def', challenge: 'Bearer error="invalid_token"' },
  { name: 'an oversized token', make: (service) => `${valid[service]!}${'A'.repeat(9000)}`, challenge: 'Bearer error="invalid_token"' },
];

/** Every way to reach a service's protected route: through the gateway, and directly (gateway bypassed). */
const hops = SERVICES.flatMap((service) => [
  { name: `${service} through the gateway`, service, base: () => system.gateway.url },
  { name: `${service} directly`, service, base: () => system.services[service].url },
]);

describe.each(hops)('$name', ({ service, base }) => {
  it('accepts a valid token (the control rows: issued, and minted with the real key by the test)', async () => {
    expect((await call(base(), 'GET', `/api/${service}/me`, valid[service])).status).toBe(200);
    expect((await call(base(), 'GET', `/api/${service}/me`, genuine(service))).status).toBe(200);
  });

  it.each(attacks)('refuses $name with 401 and an RFC 6750 challenge', async ({ make, challenge }) => {
    const answer = await call(base(), 'GET', `/api/${service}/me`, make(service));
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe(challenge);
    // Nothing that helps an attacker: no reason, no stack.
    expect(JSON.stringify(answer.body)).not.toMatch(/expired|signature|audience|issuer|kid|stack|at \w+ \(/i);
  });

  it('refuses a read-only token on a write with 403 insufficient_scope', async () => {
    const answer = await call(base(), 'POST', `/api/${service}`, valid[service], { customerId: 'matrix-customer', currency: 'EUR', name: 'x', amount: 1, limit: 1 });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer error="insufficient_scope", scope="${service}:write"$`));
  });
});

describe('every refusal is logged where it happened, with the precise reason the caller is not told', () => {
  const REASONS = ['TOKEN_MISSING', 'TOKEN_EXPIRED', 'SIGNATURE_INVALID', 'ISSUER_MISMATCH', 'TYPE_NOT_ALLOWED', 'insufficient_scope'];
  const denialsOf = (output: string) =>
    output
      .split('\n')
      .slice(0, -1) // complete lines only
      .filter((line) => line.includes('"msg":"authorization.denied"'))
      .map((line) => JSON.parse(line) as { reason?: string; request_id?: string });

  it('writes authorization.denied lines with reasons and request ids at the gateway and each service, never the token', async () => {
    for (const running of [system.gateway, ...Object.values(system.services)]) {
      // The last lines may still be on their way through the process's stdout pipe.
      await eventually(async () => REASONS.every((reason) => denialsOf(running.output()).some((denial) => denial.reason === reason)), 3_000, 50);
      const denials = denialsOf(running.output());
      const reasons = new Set(denials.map((denial) => denial.reason));
      for (const reason of REASONS) expect(reasons, `${running.name}: ${reason}`).toContain(reason);
      expect(denials.every((denial) => typeof denial.request_id === 'string')).toBe(true);
      for (const service of SERVICES) expect(running.output()).not.toContain(valid[service]!.split('.')[2]);
    }
  });
});
