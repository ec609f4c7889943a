import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MintOptions {
  /** Claims to add or override (set a claim to `undefined` to drop it). */
  claims?: Record<string, unknown>;
  /** Header fields to add or override. */
  header?: Record<string, unknown>;
  /** Sign with this key instead of the published one (a forged token). */
  signingKey?: KeyObject;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A stand-in OpenID Provider for tests: serves discovery and a JWKS on an ephemeral port and mints
 * tokens, valid or forged in any way an attacker might try. Test-only: exported from
 * `@trustline/security/testing`, never from the production entry.
 */
export class TestIssuer {
  readonly kid = `test-${randomUUID()}`;
  readonly privateKey: KeyObject;
  readonly publicJwk: Record<string, unknown>;
  private server: Server | undefined;
  private url = '';
  jwksRequests = 0;
  /** When false, JWKS and discovery answer 503 (auth server down). */
  available = true;
  private readonly extraKeys: Record<string, unknown>[] = [];

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    this.publicJwk = { ...(publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: this.kid, alg: 'ES256', use: 'sig' };
  }

  get issuer(): string {
    return this.url;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      if (!this.available) {
        response.writeHead(503).end();
        return;
      }
      if (request.url === '/.well-known/openid-configuration') {
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ issuer: this.url, jwks_uri: `${this.url}/jwks`, token_endpoint: `${this.url}/token` }));
        return;
      }
      if (request.url === '/jwks') {
        this.jwksRequests += 1;
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [this.publicJwk, ...this.extraKeys] }));
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Publishes another key (rotation); returns its private half for minting. */
  addKey(): { kid: string; privateKey: KeyObject } {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = `test-${randomUUID()}`;
    this.extraKeys.push({ ...(publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid, alg: 'ES256', use: 'sig' });
    return { kid, privateKey };
  }

  /** Withdraws a key added with `addKey` from the JWKS. */
  removeKey(kid: string): void {
    const index = this.extraKeys.findIndex((jwk) => jwk.kid === kid);
    if (index >= 0) this.extraKeys.splice(index, 1);
  }

  /** A valid RFC 9068 access token for `audience`, unless the options forge it. */
  mint(audience: string, options: MintOptions = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'ES256', typ: 'at+jwt', kid: this.kid, ...options.header };
    const claims = { iss: this.url, sub: 'test-client', aud: audience, client_id: 'test-client', scope: '', iat: now, exp: now + 300, jti: randomUUID(), ...options.claims };
    for (const key of Object.keys(claims)) if ((claims as Record<string, unknown>)[key] === undefined) delete (claims as Record<string, unknown>)[key];
    const input = `${b64(header)}.${b64(claims)}`;
    return `${input}.${this.sign(input, String(header.alg), options.signingKey ?? this.privateKey)}`;
  }

  /** `alg: none`, unsigned. */
  mintUnsigned(audience: string, claims: Record<string, unknown> = {}): string {
    const token = this.mint(audience, { claims });
    const [, payload] = token.split('.');
    return `${b64({ alg: 'none', typ: 'at+jwt', kid: this.kid })}.${payload}.`;
  }

  /** HS256 with the published public key as the HMAC secret (the classic key-confusion attack). */
  mintHmacWithPublicKey(audience: string): string {
    const token = this.mint(audience);
    const [, payload] = token.split('.');
    const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: this.kid })}.${payload}`;
    const secret = createPublicKey({ key: this.publicJwk as never, format: 'jwk' }).export({ format: 'pem', type: 'spki' });
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  }

  private sign(input: string, alg: string, key: KeyObject): string {
    if (alg.startsWith('HS')) return createHmac('sha256', 'not-a-real-secret').update(input).digest('base64url');
    return sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  }
}
