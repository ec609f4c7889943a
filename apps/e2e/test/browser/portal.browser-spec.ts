import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loginUser, type UserLogin } from '../../../../tools/testing/pkce-login.mjs';
import { WORKSPACE } from '../../../../tools/testing/processes';
import { AUDIENCES, call, type RunningSystem, SERVICES, startSystem } from '../support/system';
import { refreshGrant } from '../support/tokens';
import { DEMO_CUSTOMERS } from '@trustline/service-runtime';

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

/** Each row's cells as text, for one table. */
const tableText = (table: string) =>
  rowsOf(table).evaluateAll((rows) => rows.map((row) => Array.from(row.querySelectorAll('td'), (cell) => (cell.textContent ?? '').replace(/\s/g, ' '))));

describe('the portal', () => {
  it('shows alice the demo bank seeded for her on first sign-in: accounts, a loan and a card', async () => {
    await signInAs('alice');
    expect(alice.subject).toBe(DEMO_CUSTOMERS.alice);
    // The seeded rows come first (created before anything else), each as the services store it.
    expect((await tableText('accounts')).slice(0, 2)).toEqual([
      ['Everyday', 'EUR', '€2,543.10'],
      ['Savings', 'EUR', '€12,000.00'],
    ]);
    expect((await tableText('loans'))[0]).toEqual(['EUR', '€15,000.00', '€3,250.00', '€11,750.00']);
    expect((await tableText('cards'))[0]).toEqual(['**** **** **** 4242', 'EUR', '€3,000.00', '€489.90', '€2,510.10']);
    // Bob's seeded rows are his: none of them shows here.
    await expect(page.textContent('#accounts')).resolves.not.toContain('Current');
    await expect(page.textContent('#cards')).resolves.not.toContain('1881');
  });

  it('opens an account, takes a loan and orders a card, from the keyboard, each appearing in her list', async () => {
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) blocked.push(message.text());
    });
    const posts: { service: string; audience: unknown }[] = [];
    page.on('request', (request) => {
      const match = /\/api\/(accounts|loans|cards)$/.exec(new URL(request.url()).pathname);
      const token = request.headers().authorization?.replace(/^Bearer /, '');
      if (request.method() === 'POST' && match && token) posts.push({ service: match[1], audience: JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).aud });
    });
    await signInAs('alice');
    const before = { accounts: await rowsOf('accounts').count(), loans: await rowsOf('loans').count(), cards: await rowsOf('cards').count() };

    // Every field is reached by its label; Enter submits.
    await page.getByLabel('Name').fill('Holiday fund');
    await page.getByLabel('Opening balance').fill('250.75');
    await page.locator('#open-account').getByLabel('Currency').selectOption('CHF');
    await page.getByLabel('Opening balance').press('Enter');
    await page.waitForSelector('#open-account .form-status:has-text("Account opened.")');
    expect(await rowsOf('accounts').count()).toBe(before.accounts + 1);
    expect((await tableText('accounts')).at(-1)).toEqual(['Holiday fund', 'CHF', 'CHF 250.75']);

    await page.getByLabel('Amount').fill('1200');
    await page.getByLabel('Amount').press('Enter');
    await page.waitForSelector('#take-loan .form-status:has-text("Loan granted.")');
    expect(await rowsOf('loans').count()).toBe(before.loans + 1);
    expect((await tableText('loans')).at(-1)).toEqual(['EUR', '€1,200.00', '€0.00', '€1,200.00']);

    await page.getByLabel('Credit limit').focus();
    await page.keyboard.type('800');
    await page.keyboard.press('Tab'); // to the currency
    await page.keyboard.press('Tab'); // to the button
    await page.keyboard.press('Enter');
    await page.waitForSelector('#order-card .form-status:has-text("Card ordered.")');
    expect(await rowsOf('cards').count()).toBe(before.cards + 1);
    const card = (await tableText('cards')).at(-1)!;
    expect(card[0]).toMatch(/^\*\*\*\* \*\*\*\* \*\*\*\* [0-9]{4}$/);
    expect(card.slice(1)).toEqual(['EUR', '€800.00', '€0.00', '€800.00']);

    // All hers, each sent with that service's own token, and nothing the CSP had to block.
    for (const table of SERVICES) {
      const owners = await rowsOf(table).evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.customerId));
      expect(new Set(owners), table).toEqual(new Set([alice.subject]));
    }
    expect(posts).toEqual([
      { service: 'accounts', audience: AUDIENCES.accounts },
      { service: 'loans', audience: AUDIENCES.loans },
      { service: 'cards', audience: AUDIENCES.cards },
    ]);
    expect(blocked).toEqual([]);
  });

  it('shows what a service refused next to the form, and creates nothing', async () => {
    await signInAs('alice');
    const accounts = await rowsOf('accounts').count();
    await page.getByLabel('Name').fill('Too rich');
    await page.getByLabel('Opening balance').fill('20000000000');
    await page.getByRole('button', { name: 'Open account' }).click();
    await page.waitForSelector('#open-account .form-status.error');
    expect(await page.textContent('#open-account .form-status')).toContain('balance must not be greater than');
    expect(await rowsOf('accounts').count()).toBe(accounts);
  });

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
