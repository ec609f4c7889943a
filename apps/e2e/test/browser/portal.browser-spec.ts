import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loginUser, type UserLogin } from '../../../../tools/testing/pkce-login.mjs';
import { WORKSPACE } from '../../../../tools/testing/processes';
import { AUDIENCES, call, type RunningSystem, SERVICES, startSystem } from '../support/system';
import { refreshGrant } from '../support/tokens';

/**
 * The demo portal in a real browser (Debian's Chromium driven by playwright-core): sign-in with
 * authorization code + PKCE on the auth server's page, own data only, silent token refresh, sign-out.
 * Access tokens live 20 s here, so the portal's refresh (at three quarters of the lifetime) happens
 * inside the test.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTEFACTS = join(WORKSPACE, 'test-artifacts');
const TOKEN_TTL_SECONDS = 20;

let system: RunningSystem;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let alice: UserLogin;
let bob: UserLogin;
/** Refresh tokens the portal received, read off the wire (the page keeps them in memory only). */
let refreshTokensSeen: string[];

beforeAll(async () => {
  system = await startSystem({ env: { 'auth-server': { ACCESS_TOKEN_TTL: String(TOKEN_TTL_SECONDS) } } });
  const login = (username: string) =>
    loginUser({
      issuer: system.issuer,
      redirectUri: system.portalRedirectUri,
      username,
      password: `${username}-demo-password`,
      resources: SERVICES.map((service) => AUDIENCES[service]),
    });
  [alice, bob] = [await login('alice'), await login('bob')];
  for (const [user, name] of [
    [alice, 'Alice everyday'],
    [bob, 'Bob savings'],
  ] as const) {
    expect((await call(system.gateway.url, 'POST', '/api/accounts', user.accessTokens[AUDIENCES.accounts], { name, currency: 'EUR', balance: 12_345 })).status).toBe(201);
    expect((await call(system.gateway.url, 'POST', '/api/loans', user.accessTokens[AUDIENCES.loans], { amount: 500_000, currency: 'EUR' })).status).toBe(201);
    expect((await call(system.gateway.url, 'POST', '/api/cards', user.accessTokens[AUDIENCES.cards], { limit: 100_000, currency: 'EUR' })).status).toBe(201);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await system?.stop();
});

beforeEach(async () => {
  context = await browser.newContext();
  page = await context.newPage();
  refreshTokensSeen = [];
  page.on('response', async (response) => {
    if (!response.url().startsWith(`${system.issuer}/token`) || response.request().method() !== 'POST') return;
    const body = (await response.json().catch(() => ({}))) as { refresh_token?: string };
    if (body.refresh_token) refreshTokensSeen.push(body.refresh_token);
  });
});

afterEach(async (context_) => {
  if (context_.task.result?.state === 'fail') {
    mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTEFACTS, `${context_.task.name.replace(/[^a-z0-9]+/gi, '-')}.png`), fullPage: true }).catch(() => undefined);
  }
  await context?.close();
});

async function signInAs(username: string) {
  await page.goto(system.gateway.url);
  await page.click('#sign-in');
  await page.waitForURL(`${system.issuer}/interaction/**`);
  await page.fill('#username', username);
  await page.fill('#password', `${username}-demo-password`);
  await page.click('button[type=submit]:has-text("Sign in")');
  await page.waitForSelector('body[data-state="signed-in"]');
  await page.waitForSelector('#accounts tbody tr');
}

const rowsOf = (table: string) => page.locator(`#${table} tbody tr`);

describe('the portal', () => {
  it("signs alice in with code + PKCE and shows her own accounts, loans and cards, nobody else's", async () => {
    await signInAs('alice');
    expect(new URL(page.url()).pathname).toBe('/');
    expect(new URL(page.url()).search).toBe(''); // the code left the address bar
    for (const table of SERVICES) {
      const owners = await rowsOf(table).evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.customerId));
      expect(owners.length, table).toBeGreaterThan(0);
      expect(new Set(owners), table).toEqual(new Set([alice.subject]));
    }
    await expect(page.textContent('#accounts')).resolves.toContain('Alice everyday');
    await expect(page.textContent('#accounts')).resolves.not.toContain('Bob savings');
    expect(bob.subject).not.toBe(alice.subject);
    // Tokens are never written to browser storage.
    const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
    expect(stored).toBe('{"local":{},"session":{}}');
  });

  it('refreshes its tokens before they expire, without leaving the page or asking again', async () => {
    await signInAs('alice');
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });
    await page.waitForSelector('body[data-token-refreshes="1"]', { timeout: TOKEN_TTL_SECONDS * 1000 + 10_000 });
    // Past the first tokens' lifetime: the data still loads, with the renewed tokens.
    await page.waitForTimeout(TOKEN_TTL_SECONDS * 250 + 1_000);
    await page.click('#reload');
    await page.waitForSelector('#status:has-text("Up to date")');
    expect(await page.getAttribute('body', 'data-state')).toBe('signed-in');
    expect(await rowsOf('loans').count()).toBeGreaterThan(0);
    expect(navigations).toBe(0);
    // Every refresh rotated the refresh token: one new one per audience and round.
    expect(new Set(refreshTokensSeen).size).toBe(refreshTokensSeen.length);
  });

  it('signs out: the session ends at the auth server and its refresh token is revoked', async () => {
    await signInAs('alice');
    const lastRefreshToken = refreshTokensSeen.at(-1)!;
    await page.click('#sign-out');
    await page.waitForURL(`${system.issuer}/session/end**`);
    await page.click('button[value="yes"]');
    await page.waitForSelector('body[data-state="signed-out"]');
    expect(new URL(page.url()).origin).toBe(system.gateway.url);
    expect((await refreshGrant(system.issuer, lastRefreshToken, AUDIENCES.accounts)).body.error).toBe('invalid_grant');
    // Signing in again needs the password again: the auth server's session is gone.
    await page.click('#sign-in');
    await page.waitForURL(`${system.issuer}/interaction/**`);
    expect(await page.isVisible('#password')).toBe(true);
  });
});
