import { constants, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Denylist } from '../denylist/denylist';
import { RemoteKeyStore } from '../keys/remote-key-store';
import { resolveSecurityOptions } from '../security.options';
import { TokenVerifier } from './token-verifier';
import { VerifiedTokenCache } from './verified-token-cache';

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'urn:trustline:accounts';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('TokenVerifier and the alg a key was published for', () => {
  // RFC 8725 §3.1: the key decides the algorithm, not the token. An RSA key published for RS256 verifies
  // PS256 signatures too as far as the maths goes; jsonwebtoken checks the key type, not the JWK's alg.
  it('refuses a PS256 token signed with a key published for RS256, and accepts its RS256 tokens', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...(publicKey.export({ format: 'jwk' }) as Record<string, unknown>), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
    const fakeFetch = (async (url: string) =>
      new Response(JSON.stringify(url.endsWith('/jwks') ? { keys: [jwk] } : { issuer: ISSUER, jwks_uri: `${ISSUER}/jwks` }), {
        headers: { 'content-type': 'application/json' },
      })) as typeof fetch;
    const options = resolveSecurityOptions({ issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256', 'PS256'], fetch: fakeFetch });
    const keys = new RemoteKeyStore({ issuer: ISSUER, authInternalUrl: ISSUER, algorithms: options.algorithms, refreshMinIntervalMs: 0, fetch: fakeFetch });
    await keys.start();
    const denylist = new Denylist(30);
    const outcomes: string[] = [];
    const verifier = new TokenVerifier(options, keys, denylist, new VerifiedTokenCache(100, denylist, keys), (outcome) => outcomes.push(outcome));
    const now = Math.floor(Date.now() / 1000);
    const mint = (alg: 'RS256' | 'PS256') => {
      const input = `${b64({ alg, typ: 'at+jwt', kid: 'rsa-1' })}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: 's', client_id: 'c', jti: randomUUID(), iat: now, exp: now + 300 })}`;
      const padding = alg === 'PS256' ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : {};
      return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, ...padding }).toString('base64url')}`;
    };
    await expect(verifier.verify(mint('RS256'))).resolves.toMatchObject({ subject: 's' });
    await expect(verifier.verify(mint('PS256'))).rejects.toMatchObject({ code: 'ALGORITHM_NOT_ALLOWED' });
    expect(outcomes).toEqual(['verified', 'ALGORITHM_NOT_ALLOWED']);
  });
});
