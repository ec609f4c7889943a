// Measure 4: libs/security alone (the TokenVerifier every service and the gateway run, revocation
// check included) against the raw engine underneath, jose `jwtVerify`, on the same ES256 tokens and key,
// in one process on one core. Uncached: the verified-token cache off; cached: a token seen before.
import { createLocalJWKSet, jwtVerify } from 'jose';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { SecurityModule, TokenVerifier } from '@trustline/security';
import { TestIssuer } from '@trustline/security/testing';
import { alternate } from './measure.mjs';

const AUDIENCE = 'urn:trustline:bench';

async function verifierWith(issuer, cacheSize) {
  class BenchModule {}
  Module({ imports: [SecurityModule.forRoot({ issuer: issuer.issuer, audience: AUDIENCE, verifiedTokenCacheSize: cacheSize, globalGuard: false })] })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  return { verifier: app.get(TokenVerifier), close: () => app.close() };
}

export async function securityVerify({ rounds, sliceMs, warmupMs }) {
  const issuer = await new TestIssuer().start();
  try {
    // Distinct tokens, so nothing in the uncached path can shortcut a repeat.
    const tokens = Array.from({ length: 2048 }, (_, index) => issuer.mint(AUDIENCE, { claims: { sub: `client-${index}`, client_id: `client-${index}`, scope: 'bench:read' } }));
    const jwks = createLocalJWKSet(await (await fetch(`${issuer.issuer}/jwks`)).json());
    const uncached = await verifierWith(issuer, 0);
    const cached = await verifierWith(issuer, 10_000);
    // The key loaded and the cache warm before the clock starts.
    await uncached.verifier.verify(tokens[0]);
    for (const token of tokens) await cached.verifier.verify(token);
    const options = { issuer: issuer.issuer, audience: AUDIENCE, algorithms: ['ES256'], typ: 'at+jwt', clockTolerance: 30 };
    const results = await alternate(
      {
        'jose jwtVerify (raw engine)': (i) => jwtVerify(tokens[i % tokens.length], jwks, options),
        '@trustline/security, uncached': (i) => uncached.verifier.verify(tokens[i % tokens.length]),
        '@trustline/security, cached': (i) => cached.verifier.verify(tokens[i % tokens.length]),
      },
      { rounds, sliceMs, warmupMs },
    );
    await uncached.close();
    await cached.close();
    return results;
  } finally {
    await issuer.stop();
  }
}
