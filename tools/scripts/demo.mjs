#!/usr/bin/env node
// `npm run demo` (with `npm start` running): the two demos of the README, as a script that prints every
// step. A machine client with client credentials, then alice signing in with authorization code + PKCE
// through the real login page, both calling the services through the gateway, and the refusals that
// show each hop verifies for itself.
import { loginUser } from '../testing/pkce-login.mjs';

const issuer = process.env.ISSUER_URL ?? 'http://localhost:9000';
const gateway = process.env.GATEWAY_URL ?? process.env.PUBLIC_GATEWAY_URL ?? 'http://localhost:8080';
const accountsUrl = process.env.ACCOUNTS_URL ?? 'http://localhost:8081';

const step = (title) => console.log(`\n▶ ${title}`);
const show = (label, status, body) => console.log(`  ${label} → ${status}${body === undefined ? '' : ` ${JSON.stringify(body).slice(0, 400)}`}`);

async function call(base, method, path, token, body) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed };
}

async function clientToken(resource, scope) {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('demo-cli:demo-cli-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
  });
  const body = await response.json();
  if (!body.access_token) throw new Error(`token request refused: ${JSON.stringify(body)}`);
  return body.access_token;
}

async function main() {
  step('machine to machine: demo-cli gets a token for accounts with client credentials (no user, no browser)');
  // The details below hold loans and cards: demo-cli needs their read scopes on the accounts audience too.
  const cliToken = await clientToken('urn:trustline:accounts', 'accounts:read loans:read cards:read');
  const me = await call(gateway, 'GET', '/api/accounts/me', cliToken);
  show('GET /api/accounts/me through the gateway', me.status, me.body);
  const loansRoute = await call(gateway, 'GET', '/api/loans/me', cliToken);
  show('the same token on /api/loans/me (wrong audience)', loansRoute.status, loansRoute.body);
  const noToken = await call(accountsUrl, 'GET', '/api/accounts/me');
  show('accounts called directly without a token (gateway bypassed)', noToken.status, noToken.body);

  step('a user: alice signs in with authorization code + PKCE on the login page, one token per service');
  const alice = await loginUser({
    issuer,
    redirectUri: `${process.env.PUBLIC_GATEWAY_URL ?? 'http://localhost:8080'}/callback`,
    username: 'alice',
    password: 'alice-demo-password',
    resources: ['urn:trustline:accounts', 'urn:trustline:loans', 'urn:trustline:cards'],
  });
  const accounts = alice.accessTokens['urn:trustline:accounts'];
  console.log(`  signed in as ${alice.subject}; access tokens for accounts, loans and cards; a rotating refresh token`);
  const opened = await call(gateway, 'POST', '/api/accounts', accounts, { name: 'Everyday', currency: 'EUR', balance: 12_500 });
  show('POST /api/accounts', opened.status, opened.body);
  const loan = await call(gateway, 'POST', '/api/loans', alice.accessTokens['urn:trustline:loans'], { amount: 500_000, currency: 'EUR' });
  show('POST /api/loans', loan.status, loan.body);
  const card = await call(gateway, 'POST', '/api/cards', alice.accessTokens['urn:trustline:cards'], { limit: 200_000, currency: 'EUR' });
  show('POST /api/cards', card.status, card.body);

  step("customer details: accounts gathers loans (HTTP) and cards (RPC) with its own M2M tokens, never alice's");
  const details = await call(gateway, 'GET', `/api/accounts/customers/${alice.subject}/details`, accounts);
  show(`GET /api/accounts/customers/${alice.subject}/details`, details.status, details.body);
  const someoneElse = await call(gateway, 'GET', '/api/accounts/customers/someone-else/details', accounts);
  show("alice asking for someone else's details", someoneElse.status, someoneElse.body);

  step('refusals everywhere');
  if (alice.idToken) {
    const idAsAccess = await call(gateway, 'GET', '/api/accounts/me', alice.idToken);
    show('the ID token used as an access token', idAsAccess.status, idAsAccess.body);
  }
  const tampered = await call(accountsUrl, 'GET', '/api/accounts/me', `${accounts.slice(0, -6)}AAAAAA`);
  show('a tampered token, directly at accounts', tampered.status, tampered.body);
}

main().catch((error) => {
  console.error(`demo failed: ${error.message}\n(is \`npm start\` running? it prints a banner when ready)`);
  process.exit(1);
});
