// Measure 4: libs/security alone (the TokenVerifier every service and the gateway run, revocation
// check included) against the raw engine underneath, jose `jwtVerify`, on the same ES256 tokens and key,
// in one process on the system core. Uncached: the verified-token cache off; cached: a token seen before.
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SecurityModule, TokenVerifier } from '@trustline/security';
import { TestIssuer } from '@trustline/security/testing';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { fileURLToPath } from 'node:url';
import { barChart } from './chart.mjs';
import { alternate, fmt } from './measure.mjs';
import { runOnSystemCore } from './system.mjs';

const AUDIENCE = 'urn:trustline:bench';

async function verifierWith(issuer, cacheSize) {
  class BenchModule {}
  Module({ imports: [SecurityModule.forRoot({ issuer: issuer.issuer, audience: AUDIENCE, verifiedTokenCacheSize: cacheSize, globalGuard: false })] })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  return { verifier: app.get(TokenVerifier), close: () => app.close() };
}

async function verifySeries({ rounds, sliceMs, warmupMs }) {
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

export async function measure({ settings, log }) {
  const verify = await runOnSystemCore(fileURLToPath(import.meta.url), [JSON.stringify(settings)]);
  for (const [name, result] of Object.entries(verify)) log(`${name}: ${fmt(result.median)}/s (${fmt(result.min)}–${fmt(result.max)})`);
  const raw = verify['jose jwtVerify (raw engine)'];
  const uncached = verify['@trustline/security, uncached'];
  const cached = verify['@trustline/security, cached'];
  const ratio = uncached.median / raw.median;
  return {
    targets: [
      { target: 'libs/security uncached ≥ 0.9 × raw jose `jwtVerify`', figure: `${ratio.toFixed(2)} ×`, met: ratio >= 0.9 },
      { target: 'libs/security cached ≥ 200,000 verifications/s', figure: `${fmt(cached.median)}/s`, met: cached.median >= 200_000 },
    ],
    charts: {
      'security-verify.svg': barChart({
        title: 'Token verification, one core',
        unit: 'verifications/s',
        rows: Object.entries(verify).map(([label, result]) => ({ label, ...result })),
      }),
    },
    section: `## 4. Token verification: \`@trustline/security\` against raw jose

ES256 \`at+jwt\` access tokens, the same key and tokens for every series, in one process on core 0 (no HTTP,
no load generator). The library's path includes everything a service runs per request: header checks,
signature, \`iss\`/\`aud\`/\`exp\`/\`nbf\`/\`iat\`/\`typ\`, required claims and the revocation denylist. Cached: a
token verified before (the bounded verified-token cache, which still checks expiry and the denylist).

![verifications per second](benchmarks/security-verify.svg)

| series | verifications/s (median) | min–max |
| --- | ---: | ---: |
${Object.entries(verify)
  .map(([name, result]) => `| ${name} | ${fmt(result.median)} | ${fmt(result.min)}–${fmt(result.max)} |`)
  .join('\n')}
`,
  };
}

// Run as the child on the system core: print the series as JSON.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await verifySeries(JSON.parse(process.argv[2]));
  process.stdout.write(`${JSON.stringify(results)}\n`);
  process.exit(0);
}
