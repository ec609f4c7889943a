/* global crypto, FormData */
// The demo portal: a public OAuth client (`portal`) using authorization code + PKCE against the auth
// server's login page, with oauth4webapi doing the protocol. CONVENTIONS.md: it asks for the three
// service resources plus offline_access, then gets one access token per audience with the
// refresh_token grant and `resource`, one refresh at a time (each rotates the refresh token). Tokens live
// in this module's memory only; only the PKCE verifier, state and nonce survive the redirect, in
// sessionStorage, and are deleted on return.
import * as oauth from '/vendor/oauth4webapi.js';

const config = await (await fetch('/portal/config.json')).json();
const SERVICES = ['accounts', 'loans', 'cards'];
const audience = (service) => `urn:trustline:${service}`;
const client = { client_id: config.clientId };
const clientAuth = oauth.None();
const redirectUri = `${location.origin}/callback`;
const insecure = new URL(config.issuer).protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
const PENDING = 'trustline.portal.pending';

const $ = (id) => document.getElementById(id);
const session = { tokens: {}, refreshToken: undefined, idToken: undefined, subject: undefined, name: undefined, timer: undefined, refreshing: Promise.resolve() };

function show(state, message, error = false) {
  document.body.dataset.state = state;
  $('status').textContent = message;
  $('status').classList.toggle('error', error);
  $('sign-in').hidden = state !== 'signed-out';
  $('sign-out').hidden = state !== 'signed-in';
  $('data').hidden = state !== 'signed-in';
}

let authServer;
async function discover() {
  authServer ??= await oauth.processDiscoveryResponse(new URL(config.issuer), await oauth.discoveryRequest(new URL(config.issuer), insecure));
  return authServer;
}

async function signIn() {
  const as = await discover();
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, nonce }));
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', ['openid', 'profile', 'offline_access', ...SERVICES.flatMap((s) => [`${s}:read`, `${s}:write`])].join(' '));
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', nonce);
  for (const service of SERVICES) url.searchParams.append('resource', audience(service));
  location.assign(url);
}

function remember(service, response) {
  session.tokens[service] = response.access_token;
  if (response.refresh_token) session.refreshToken = response.refresh_token;
  return response.expires_in ?? 300;
}

async function completeSignIn() {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
  sessionStorage.removeItem(PENDING);
  // The code and state leave the address bar at once (history, referrers, screenshots).
  const callback = new URL(location.href);
  history.replaceState(null, '', '/');
  if (!pending) throw new Error('this sign-in was not started here; please sign in again');
  const as = await discover();
  const parameters = oauth.validateAuthResponse(as, client, callback, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, parameters, redirectUri, pending.verifier, {
    ...insecure,
    additionalParameters: { resource: audience(SERVICES[0]) },
  });
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce, requireIdToken: true });
  const claims = oauth.getValidatedIdTokenClaims(result);
  session.idToken = result.id_token;
  session.subject = claims.sub;
  session.name = claims.name ?? claims.preferred_username ?? claims.sub;
  let lifetime = remember(SERVICES[0], result);
  for (const service of SERVICES.slice(1)) lifetime = Math.min(lifetime, await refreshFor(service));
  scheduleRefresh(lifetime);
}

/** One refresh-token grant for `service`'s audience. Callers go through `refreshAll`, one at a time. */
async function refreshFor(service) {
  const as = await discover();
  const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, session.refreshToken, { ...insecure, additionalParameters: { resource: audience(service) } });
  return remember(service, await oauth.processRefreshTokenResponse(as, client, response));
}

/** Renews every token, strictly in sequence: parallel refreshes would present a rotated token and kill the grant. */
function refreshAll() {
  session.refreshing = session.refreshing.then(async () => {
    let lifetime = Infinity;
    for (const service of SERVICES) lifetime = Math.min(lifetime, await refreshFor(service));
    document.body.dataset.tokenRefreshes = String(Number(document.body.dataset.tokenRefreshes) + 1);
    scheduleRefresh(lifetime);
  });
  return session.refreshing;
}

/** Renews at three quarters of the shortest lifetime, so a request never leaves with a token about to expire. */
function scheduleRefresh(lifetimeSeconds) {
  clearTimeout(session.timer);
  session.timer = setTimeout(() => refreshAll().catch(signedOut), Math.max(1, lifetimeSeconds * 0.75) * 1000);
}

async function api(service, path) {
  await session.refreshing;
  const response = await fetch(`/api/${service}${path}`, { headers: { authorization: `Bearer ${session.tokens[service]}` } });
  if (response.status === 401) throw new Error(`${service} refused the token`);
  if (!response.ok) throw new Error(`${service} answered ${response.status}`);
  return response.json();
}

const money = (minor, currency) => new Intl.NumberFormat('en', { style: 'currency', currency }).format(minor / 100);
function fill(id, rows, cells) {
  const body = $(id).querySelector('tbody');
  body.replaceChildren(
    ...rows.map((row) => {
      const tr = document.createElement('tr');
      tr.dataset.customerId = row.customerId;
      for (const [value, isMoney] of cells(row)) {
        const td = document.createElement('td');
        td.textContent = value; // textContent, never innerHTML: data is data
        if (isMoney) td.className = 'money';
        tr.append(td);
      }
      return tr;
    }),
  );
}

async function load() {
  show('signed-in', 'Loading your data…');
  $('who').textContent = `Signed in as ${session.name}`;
  const [accounts, loans, cards] = await Promise.all(SERVICES.map((service) => api(service, '')));
  fill('accounts', accounts, (a) => [[a.name], [a.currency], [money(a.balance, a.currency), true]]);
  fill('loans', loans, (l) => [[l.currency], [money(l.amount, l.currency), true], [money(l.paid, l.currency), true], [money(l.outstanding, l.currency), true]]);
  fill('cards', cards, (c) => [[c.maskedNumber], [c.currency], [money(c.limit, c.currency), true], [money(c.used, c.currency), true], [money(c.available, c.currency), true]]);
  show('signed-in', `Up to date (${new Date().toLocaleTimeString()})`);
}

/** Money typed in major units ("12.50") as the integer minor units the services take. */
const toMinor = (value) => Math.round(Number(value) * 100);
/** A fresh Idempotency-Key per submission: a retried POST cannot open a second account. */
const idempotencyKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');

// The three creates, each a POST through the gateway with that service's own token (never another's).
// Their forms are built here from one description (labels tied to their fields; Enter submits).
const moneyField = (name, label, min) => ({ name, label, type: 'number', min, step: '0.01', inputMode: 'decimal', required: true });
const CREATES = {
  'open-account': {
    service: 'accounts',
    title: 'Open an account',
    button: 'Open account',
    done: 'Account opened.',
    fields: [
      { name: 'name', label: 'Name', type: 'text', required: true, maxLength: 64, autocomplete: 'off' },
      { ...moneyField('balance', 'Opening balance', '0'), defaultValue: '0' },
    ],
    body: (form) => ({ name: form.get('name').trim(), currency: form.get('currency'), balance: toMinor(form.get('balance') || 0) }),
  },
  'take-loan': {
    service: 'loans',
    title: 'Take a loan',
    button: 'Take loan',
    done: 'Loan granted.',
    fields: [moneyField('amount', 'Amount', '0.01')],
    body: (form) => ({ amount: toMinor(form.get('amount')), currency: form.get('currency') }),
  },
  'order-card': {
    service: 'cards',
    title: 'Order a card',
    button: 'Order card',
    done: 'Card ordered.',
    fields: [moneyField('limit', 'Credit limit', '0.01')],
    body: (form) => ({ limit: toMinor(form.get('limit')), currency: form.get('currency') }),
  },
};
const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF'];

const element = (tag, properties = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
};
function buildForm(form, { title, button, fields }) {
  const field = (id, label, control) => element('p', {}, element('label', { htmlFor: id, textContent: label }), control);
  const currency = element('select', { id: `${form.id}-currency`, name: 'currency' }, ...CURRENCIES.map((code) => element('option', { value: code, textContent: code })));
  const status = element('p', { className: 'form-status' });
  status.setAttribute('role', 'status'); // announced politely when a create succeeds or is refused
  form.setAttribute('aria-labelledby', `${form.id}-title`);
  form.replaceChildren(
    element('h3', { id: `${form.id}-title`, textContent: title }),
    ...fields.map(({ label, ...input }) => field(`${form.id}-${input.name}`, label, element('input', { id: `${form.id}-${input.name}`, ...input }))),
    field(currency.id, 'Currency', currency),
    element('p', {}, element('button', { type: 'submit', textContent: button })),
    status,
  );
}

async function create(form, { service, done, body }) {
  const status = form.querySelector('.form-status');
  const submit = form.querySelector('button[type=submit]');
  submit.disabled = true;
  status.classList.remove('error');
  status.textContent = 'Sending…';
  try {
    await session.refreshing;
    const response = await fetch(`/api/${service}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.tokens[service]}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey() },
      body: JSON.stringify(body(new FormData(form))),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error([answer.message ?? `${service} answered ${response.status}`].flat().join('; '));
    form.reset();
    await load();
    status.textContent = done;
  } catch (error) {
    status.textContent = error.message;
    status.classList.add('error');
  } finally {
    submit.disabled = false;
  }
}

function signedOut(error) {
  clearTimeout(session.timer);
  Object.assign(session, { tokens: {}, refreshToken: undefined, idToken: undefined });
  $('who').textContent = '';
  show('signed-out', error ? `Signed out: ${error.message}` : 'Signed out.', Boolean(error));
}

async function signOut() {
  const as = await discover();
  const { refreshToken, idToken } = session;
  clearTimeout(session.timer);
  // The refresh token first (it would outlive the session), then the session at the auth server.
  if (refreshToken) {
    await oauth.revocationRequest(as, client, clientAuth, refreshToken, { ...insecure, additionalParameters: { token_type_hint: 'refresh_token' } }).catch(() => undefined);
  }
  const url = new URL(as.end_session_endpoint);
  url.searchParams.set('client_id', config.clientId);
  if (idToken) url.searchParams.set('id_token_hint', idToken);
  url.searchParams.set('post_logout_redirect_uri', `${location.origin}/`);
  Object.assign(session, { tokens: {}, refreshToken: undefined, idToken: undefined });
  location.assign(url);
}

$('sign-in').addEventListener('click', () => signIn().catch(signedOut));
$('sign-out').addEventListener('click', () => signOut().catch(signedOut));
for (const [id, spec] of Object.entries(CREATES)) {
  buildForm($(id), spec);
  $(id).addEventListener('submit', (event) => {
    event.preventDefault(); // sent by fetch with the token; the page itself never posts (form-action 'none')
    void create(event.currentTarget, spec);
  });
}
$('reload').addEventListener('click', () => load().catch((error) => show('signed-in', error.message, true)));

try {
  if (location.pathname === '/callback') {
    await completeSignIn();
    await load();
  } else {
    show('signed-out', 'Sign in to see your accounts, loans and cards.');
  }
} catch (error) {
  signedOut(error);
}
