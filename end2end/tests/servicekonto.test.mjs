// The citizen login with the Servicekonto (issue 5), in headless Chromium with
// JavaScript switched off: login and logout against the real test provider
// (oidc/provider.mjs), step-up of the trust level, refused answers (tampered state,
// replayed and injected codes, aborted login), the Postfach and its delivery API, the
// Merkliste across tenants, and ID tokens that a misbehaving provider (oidc/rogue.mjs)
// spoils on purpose.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { CLIENT_ID, DEFAULT_CLIENT_SECRET, startProvider } from '../oidc/provider.mjs';
import { UNKNOWN_ACR, startRogueProvider } from '../oidc/rogue.mjs';
import { freePort, startServer, TENANTS } from '../support/server.mjs';
import { cookieHeader, launchBrowser, submitServicekontoLogin } from '../support/browser.mjs';

const USERS = {
  erika: { password: 'erika-passwort', sub: '5f0c7e1a-3b2d-4c8e-9a61-0e6f2d9b7a01', name: 'Erika Mustermann' },
  max: { password: 'max-passwort', sub: '8d3a94b2-6e1f-4f7c-b2d5-7c4e1a0f9e02', name: 'Max Mustermann' },
};
const BASIS = 'Benutzername und Passwort (Basisregistrierung)';
const ELSTER = 'ELSTER-Zertifikat (substantiell)';
const LEVEL_LABEL = {
  basisregistrierung: 'Basisregistrierung (Benutzername und Passwort)',
  substantiell: 'substantiell (z. B. ELSTER-Zertifikat)',
};

// Demo services (catalogue/demo/leistungen.toml) and the trust level their online form needs.
const HUNDESTEUER = '99102013002000'; // online = "basisregistrierung"
const GEWERBE = '99050012104000'; // online = "substantiell"
const WOHNSITZ = '99115005104000'; // online = "hoch"

const SENDER = { name: 'Stadt Kiel, Bürgeramt', credential: 'e2e-kiel-buergeramt-0123456789abcdef' };
const SESSION_COOKIE = 'bp_session';

const portalUris = (port) => ({
  redirectUris: Object.values(TENANTS).map((t) => `http://${t.host}:${port}/anmelden/callback`),
  postLogoutRedirectUris: Object.values(TENANTS).map((t) => `http://${t.host}:${port}/`),
});

let op;
let server;
let browser;

before(async () => {
  // The provider needs the portal's redirect URIs (port included) before it starts,
  // and the portal needs the provider's issuer: so the port is chosen first.
  const port = await freePort();
  op = await startProvider({ port: 0, ...portalUris(port) });
  server = await startServer({
    port,
    // Demo mode, as scripts/demo.sh runs it: the demo form provider gives the consent page.
    env: { OIDC_ISSUER: op.issuer, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: DEFAULT_CLIENT_SECRET, DEMO: 'true' },
    senders: [SENDER],
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop(); // rejects unless the server shuts down gracefully (exit code 0)
  await op?.close();
});

// ---------------------------------------------------------------------------------------
// Helpers

/** A fresh browser context (own cookies, no JavaScript), closed after the test. */
async function newContext(t) {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'de-DE' });
  t.after(() => context.close());
  return context;
}

async function newPage(t) {
  return (await newContext(t)).newPage();
}

const text = async (locator) => (await locator.innerText()).trim();
const atOrigin = (origin) => (url) => url.origin === origin;

/** The portal's session cookie in this context for the tenant's host, or undefined. */
async function sessionCookie(context, portal, tenant) {
  return (await context.cookies(portal.url(tenant, '/'))).find((c) => c.name === SESSION_COOKIE);
}

/** A request from Node with the cookies the context holds for the tenant's host. */
async function requestAs(context, portal, tenant, path, options = {}) {
  const url = portal.url(tenant, path);
  const cookie = context ? await cookieHeader(context, url) : '';
  const headers = { ...options.headers };
  if (cookie) headers.cookie = cookie;
  return portal.request(url, { ...options, headers });
}

/** A POST form from Node, as the browser of `context` would send it. */
async function postFormAs(context, portal, tenant, path, fields) {
  return requestAs(context, portal, tenant, path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The context holds no login on the tenant: Mein Bereich sends it to the login. */
async function assertNotLoggedIn(context, portal, tenant) {
  const res = await requestAs(context, portal, tenant, '/mein-bereich');
  assert.equal(res.status, 303, 'GET /mein-bereich without a login');
  assert.equal(res.headers.location, '/anmelden?next=%2Fmein-bereich');
}

/** A refused login: HTTP 400, the heading, and the reason. */
async function assertRefused(page, response, reason) {
  assert.equal(response.status(), 400, `HTTP status of ${page.url()}`);
  assert.equal(new URL(page.url()).pathname, '/anmelden/callback');
  assert.equal(await text(page.locator('main h1')), 'Anmeldung fehlgeschlagen');
  const lead = await text(page.locator('main p.lead'));
  assert.match(lead, reason);
}

/**
 * Logs `user` in on `tenant` from scratch: /anmelden → the provider's login page →
 * back at `next` on the tenant.
 */
async function login(page, portal, tenant, { user = 'erika', method = BASIS, next = '/mein-bereich', niveau, issuer = op.issuer } = {}) {
  const query = new URLSearchParams({ next });
  if (niveau) query.set('niveau', niveau);
  await page.goto(portal.url(tenant, `/anmelden?${query}`));
  assert.equal(new URL(page.url()).origin, issuer, 'the provider shows its login page');
  assert.equal(await text(page.locator('h1')), 'Beim Servicekonto anmelden');
  await submitServicekontoLogin(page, {
    username: user,
    password: USERS[user].password,
    method,
    leftProvider: (url) => url.origin !== issuer,
  });
  assert.equal(page.url(), portal.url(tenant, next), 'back at the page the login was for');
}

/** Logs in on another tenant of the same browser: the provider's session answers at once. */
async function loginWithProviderSession(page, portal, tenant, next = '/mein-bereich') {
  await page.goto(portal.url(tenant, `/anmelden?next=${encodeURIComponent(next)}`));
  assert.equal(page.url(), portal.url(tenant, next), 'no login page: single sign-on');
}

/**
 * Submits the provider's login page that `page` shows, but from Node with the context's
 * cookies and without following the last redirect: returns the authorization response
 * (the portal's callback URL with code, state and iss) that the browser would have opened.
 */
async function authorizationResponse(context, page, { user = 'erika', verfahren = 'passwort' } = {}) {
  assert.equal(new URL(page.url()).origin, op.issuer, 'the provider shows its login page');
  const action = new URL(await page.locator('form[method="post"]').getAttribute('action'), page.url()).href;
  let res = await context.request.post(action, {
    form: { aktion: 'anmelden', benutzername: user, passwort: USERS[user].password, verfahren },
    maxRedirects: 0,
  });
  let url = action;
  for (let i = 0; i < 10; i += 1) {
    assert.ok(res.status() >= 300 && res.status() < 400, `expected a redirect from ${url}, got ${res.status()}`);
    const next = new URL(res.headers().location, url);
    if (next.origin !== op.issuer) return next;
    url = next.href;
    res = await context.request.get(url, { maxRedirects: 0 });
  }
  throw new Error('too many redirects at the provider');
}

/** The authorization request (/auth?…) the navigation that produced `response` went through. */
function authorizationRequest(response) {
  for (let r = response.request(); r; r = r.redirectedFrom()) {
    const url = new URL(r.url());
    if (url.origin === op.issuer && url.pathname === '/auth') return url;
  }
  throw new Error('no authorization request in the redirect chain');
}

/** Clicks a form's submit button and waits until the page it leads to has loaded. */
async function submit(page, button) {
  await Promise.all([page.waitForEvent('load'), button.click()]);
}

/** The unread count in the header's Postfach link. */
async function unreadInHeader(page) {
  const label = await text(page.locator('.site-header').getByRole('link', { name: /^Postfach/ }));
  const m = /^Postfach(?: \((\d+) ungelesen\))?$/.exec(label);
  assert.ok(m, `header link "${label}"`);
  return Number(m[1] ?? 0);
}

/** A small PDF; only its first bytes matter to the portal. Contains non-ASCII bytes. */
function pdf(marker) {
  return Buffer.concat([
    Buffer.from('%PDF-1.4\n%'),
    Buffer.from([0xe2, 0xe3, 0xcf, 0xd3]),
    Buffer.from(`\n% ${marker}\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n`),
  ]);
}

/** POST /api/v1/postfach/messages as the sender. */
async function deliver(tenant, { to, id, subject, body = 'Guten Tag,\n\nanbei Ihr Bescheid.', attachments = [] }, credential = SENDER.credential) {
  return server.request(server.url(tenant, '/api/v1/postfach/messages'), {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      recipient: { subject: USERS[to]?.sub ?? to },
      sender_message_id: id,
      subject,
      body,
      attachments: attachments.map((a) => ({
        filename: a.filename,
        content_type: 'application/pdf',
        content_base64: a.data.toString('base64'),
      })),
    }),
  });
}

async function deliverOk(tenant, message) {
  const res = await deliver(tenant, message);
  assert.equal(res.status, 201, `delivery: ${res.text()}`);
  const body = res.json();
  assert.equal(body.created, true);
  assert.ok(body.id);
  return body.id;
}

// ---------------------------------------------------------------------------------------

describe('Servicekonto: login with the test provider', () => {
  test('anonymous visitors get no cookie at all', async (t) => {
    const context = await newContext(t);
    const page = await context.newPage();
    const headerChecks = [];
    page.on('response', (r) => {
      headerChecks.push(r.allHeaders().then((h) => (h['set-cookie'] ? `${r.url()}: ${h['set-cookie']}` : null)));
    });
    const paths = [
      ['/', 200],
      ['/lebenslagen/wohnen-umzug', 200],
      [`/leistungen/${WOHNSITZ}-wohnsitz-anmelden`, 200],
      ['/suche?q=Personalausweis', 200],
      ['/a-z', 200],
      ['/diese-seite-gibt-es-nicht', 404],
    ];
    for (const tenant of Object.keys(TENANTS)) {
      for (const [path, status] of paths) {
        const res = await page.goto(server.url(tenant, path));
        assert.equal(res.status(), status, path);
        const link = page.locator('.site-header').getByRole('link', { name: 'Anmelden', exact: true });
        assert.equal(await link.getAttribute('href'), `/anmelden?next=${encodeURIComponent(path)}`, `login link on ${path}`);
        // The same page fetched without a browser: no Set-Cookie either.
        const raw = await server.request(server.url(tenant, path));
        assert.equal(raw.headers['set-cookie'], undefined, `Set-Cookie on ${tenant} ${path}`);
      }
    }
    assert.deepEqual((await Promise.all(headerChecks)).filter(Boolean), [], 'responses with Set-Cookie');
    assert.deepEqual(await context.cookies(), [], 'cookies in the browser');
  });

  test('login and logout with the provider (erika)', async (t) => {
    const context = await newContext(t);
    const page = await context.newPage();
    await page.goto(server.url('kiel', '/'));
    const header = page.locator('.site-header');
    const loginLink = header.getByRole('link', { name: 'Anmelden', exact: true });
    assert.equal(await loginLink.getAttribute('href'), '/anmelden?next=%2F');
    await Promise.all([page.waitForURL(atOrigin(op.issuer)), loginLink.click()]);
    assert.equal(await text(page.locator('h1')), 'Beim Servicekonto anmelden');

    // The login attempt is what creates the session cookie.
    const pending = await sessionCookie(context, server, 'kiel');
    assert.ok(pending, 'the login attempt sets the session cookie');
    assert.equal(pending.httpOnly, true, 'HttpOnly');
    assert.equal(pending.sameSite, 'Lax', 'SameSite=Lax');
    assert.equal(pending.path, '/');
    assert.equal(pending.secure, false, 'not Secure without PUBLIC_HTTPS');

    await submitServicekontoLogin(page, {
      username: 'erika',
      password: USERS.erika.password,
      method: BASIS,
      leftProvider: atOrigin(new URL(server.url('kiel')).origin),
    });
    assert.equal(page.url(), server.url('kiel', '/'), 'back where the login started');
    assert.equal(await header.getByRole('link', { name: 'Anmelden', exact: true }).count(), 0);
    assert.equal(await header.getByRole('link', { name: 'Mein Bereich' }).getAttribute('href'), '/mein-bereich');
    assert.equal(await header.getByRole('link', { name: /^Postfach/ }).getAttribute('href'), '/postfach');
    assert.equal(await header.getByRole('button', { name: 'Abmelden' }).count(), 1);

    // A new session id at login: the one from before the login is worthless.
    const session = await sessionCookie(context, server, 'kiel');
    assert.ok(session);
    assert.notEqual(session.value, pending.value, 'the session id changes at login');
    const stale = await server.request(server.url('kiel', '/mein-bereich'), { headers: { cookie: `${SESSION_COOKIE}=${pending.value}` } });
    assert.equal(stale.status, 303, 'the pre-login session id gives no access');

    const res = await page.goto(server.url('kiel', '/mein-bereich'));
    assert.equal(res.status(), 200);
    assert.equal(res.headers()['cache-control'], 'private, no-store');
    assert.equal(await text(page.locator('main h1')), 'Mein Bereich');
    const facts = page.locator('main dl.facts');
    const fact = (name) => text(facts.locator(`dt:text-is("${name}") + dd`));
    assert.equal(await fact('Name'), 'Erika Mustermann');
    assert.match(await fact('Anschrift'), /Heidestraße 17\s+24103 Kiel/);
    assert.equal(await fact('E-Mail'), 'erika@example.org');
    assert.equal(await fact('Vertrauensniveau dieser Anmeldung'), LEVEL_LABEL.basisregistrierung);

    // Logout: the portal's session ends, then the provider asks.
    await Promise.all([page.waitForURL(atOrigin(op.issuer)), header.getByRole('button', { name: 'Abmelden' }).click()]);
    assert.equal(await text(page.locator('h1')), 'Vom Servicekonto abmelden?');
    assert.equal(await sessionCookie(context, server, 'kiel'), undefined, 'the portal removed its cookie');
    await Promise.all([
      page.waitForURL(atOrigin(new URL(server.url('kiel')).origin)),
      page.getByRole('button', { name: 'Ja, abmelden' }).click(),
    ]);
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(await page.locator('.site-header').getByRole('link', { name: 'Anmelden', exact: true }).count(), 1);
    assert.equal(await sessionCookie(context, server, 'kiel'), undefined, 'no session cookie after logout');
    await assertNotLoggedIn(context, server, 'kiel');
    // The old session id is deleted on the server, not only forgotten by the browser.
    const replayed = await server.request(server.url('kiel', '/mein-bereich'), { headers: { cookie: `${SESSION_COOKIE}=${session.value}` } });
    assert.equal(replayed.status, 303);
    assert.equal(replayed.headers.location, '/anmelden?next=%2Fmein-bereich');

    // The provider's session has ended too: the next login asks again.
    await page.goto(server.url('kiel', '/mein-bereich'));
    assert.equal(new URL(page.url()).origin, op.issuer);
    assert.equal(await text(page.locator('h1')), 'Beim Servicekonto anmelden');
  });

  test('step-up from Basisregistrierung to substantiell for an online service', async (t) => {
    const context = await newContext(t);
    const page = await context.newPage();
    await login(page, server, 'kiel', { method: BASIS });
    const level = () => text(page.locator('main dl.facts dt:text-is("Vertrauensniveau dieser Anmeldung") + dd'));
    assert.equal(await level(), LEVEL_LABEL.basisregistrierung);

    // A service that needs only Basisregistrierung: the consent page of the hand-off at once.
    const dog = await page.goto(server.url('kiel', `/leistungen/${HUNDESTEUER}/beantragen`));
    assert.equal(dog.status(), 200);
    assert.equal(page.url(), server.url('kiel', `/leistungen/${HUNDESTEUER}/beantragen`));
    assert.equal(await text(page.locator('main h1')), 'Online beantragen: Hund anmelden (Hundesteuer)');

    // "Gewerbe anmelden" needs substantiell: the provider's login page again.
    await page.goto(server.url('kiel', `/leistungen/${GEWERBE}`));
    const online = page.locator('a.online-link');
    assert.match(await online.getAttribute('href'), /\/beantragen$/);
    const callbacks = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/anmelden/callback') callbacks.push(r.url());
    });
    await Promise.all([page.waitForURL(atOrigin(op.issuer)), online.click()]);
    assert.equal(await text(page.locator('h1')), 'Beim Servicekonto anmelden');
    const notice = await text(page.locator('.hinweis'));
    assert.match(notice, /Vertrauensniveau „substantiell“/);
    assert.match(notice, /Ihre bisherige Anmeldung reicht dafür nicht aus/);

    // With the ELSTER certificate the citizen comes back and goes on where she wanted to.
    await submitServicekontoLogin(page, {
      username: 'erika',
      password: USERS.erika.password,
      method: ELSTER,
      leftProvider: (url) => url.origin !== op.issuer,
    });
    assert.equal(callbacks.length, 1, 'through the callback');
    assert.equal(page.url(), server.url('kiel', `/leistungen/${GEWERBE}/beantragen`));
    assert.equal(await text(page.locator('main h1')), 'Online beantragen: Gewerbe anmelden');

    await page.goto(server.url('kiel', '/mein-bereich'));
    assert.equal(await level(), LEVEL_LABEL.substantiell);
    // "Wohnsitz anmelden" needs hoch: substantiell is not enough.
    const high = await requestAs(context, server, 'kiel', `/leistungen/${WOHNSITZ}/beantragen`);
    assert.equal(high.status, 303);
    assert.equal(high.headers.location, `/anmelden?niveau=hoch&next=${encodeURIComponent(`/leistungen/${WOHNSITZ}/beantragen`)}`);
    // Without a login at all, the same: the login for the service's level.
    const anonymous = await server.request(server.url('kiel', `/leistungen/${GEWERBE}/beantragen`));
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.location, `/anmelden?niveau=substantiell&next=${encodeURIComponent(`/leistungen/${GEWERBE}/beantragen`)}`);
  });

  test('a tampered state is refused and creates no session', async (t) => {
    const context = await newContext(t);
    const page = await context.newPage();
    await page.goto(server.url('kiel', '/anmelden?next=%2Fmein-bereich'));
    const callback = await authorizationResponse(context, page);
    assert.equal(`${callback.origin}${callback.pathname}`, server.url('kiel', '/anmelden/callback'));
    assert.ok(callback.searchParams.get('code'));
    assert.equal(callback.searchParams.get('iss'), op.issuer);

    const tampered = new URL(callback);
    const state = callback.searchParams.get('state');
    tampered.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
    await assertRefused(page, await page.goto(tampered.href), /state stimmt nicht überein/);
    assert.equal(await sessionCookie(context, server, 'kiel'), undefined, 'the session is gone');
    await assertNotLoggedIn(context, server, 'kiel');

    // The login attempt is over: the genuine answer is no use afterwards either.
    await assertRefused(page, await page.goto(callback.href), /keinen offenen Anmeldevorgang/);
    assert.equal(await sessionCookie(context, server, 'kiel'), undefined);
    await assertNotLoggedIn(context, server, 'kiel');
  });

  test('a replayed authorization response is refused, in a fresh browser and in the same one', async (t) => {
    const context = await newContext(t);
    const page = await context.newPage();
    const callbacks = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/anmelden/callback') callbacks.push(r.url());
    });
    await login(page, server, 'kiel');
    assert.equal(callbacks.length, 1);
    const [callback] = callbacks;
    const session = await sessionCookie(context, server, 'kiel');

    // Another browser replays the exact URL: no login attempt belongs to it.
    const other = await newContext(t);
    const otherPage = await other.newPage();
    await assertRefused(otherPage, await otherPage.goto(callback), /keinen offenen Anmeldevorgang/);
    assert.equal(await sessionCookie(other, server, 'kiel'), undefined, 'no session for the replaying browser');
    await assertNotLoggedIn(other, server, 'kiel');

    // The same browser replays it: refused, and its existing login stays as it was.
    await assertRefused(page, await page.goto(callback), /keinen offenen Anmeldevorgang/);
    const kept = await sessionCookie(context, server, 'kiel');
    assert.equal(kept?.value, session.value, 'no new session');
    const mine = await requestAs(context, server, 'kiel', '/mein-bereich');
    assert.equal(mine.status, 200, 'still logged in as before');
  });

  test("a code injected into another browser's login attempt is refused (PKCE)", async (t) => {
    // The victim's browser gets a code but does not use it.
    const victim = await newContext(t);
    const victimPage = await victim.newPage();
    await victimPage.goto(server.url('kiel', '/anmelden?next=%2Fmein-bereich'));
    const victimCallback = await authorizationResponse(victim, victimPage);

    // The attacker starts a login attempt of his own and feeds the victim's code into it,
    // with his own state (so the state check passes).
    const attacker = await newContext(t);
    const attackerPage = await attacker.newPage();
    const start = await attackerPage.goto(server.url('kiel', '/anmelden?next=%2Fmein-bereich'));
    const auth = authorizationRequest(start);
    assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(auth.searchParams.get('code_challenge'));
    assert.ok(auth.searchParams.get('nonce'));
    const injected = new URL(server.url('kiel', '/anmelden/callback'));
    injected.searchParams.set('code', victimCallback.searchParams.get('code'));
    injected.searchParams.set('state', auth.searchParams.get('state'));
    injected.searchParams.set('iss', op.issuer);
    await assertRefused(attackerPage, await attackerPage.goto(injected.href), /Anmeldecode nicht angenommen/);
    assert.equal(await sessionCookie(attacker, server, 'kiel'), undefined);
    await assertNotLoggedIn(attacker, server, 'kiel');

    // The code verifier did not match, so the code is still good for its own browser.
    const res = await victimPage.goto(victimCallback.href);
    assert.equal(res.status(), 200);
    assert.equal(victimPage.url(), server.url('kiel', '/mein-bereich'));
    assert.equal(await text(victimPage.locator('main h1')), 'Mein Bereich');
  });

  test('a login the citizen aborts at the provider is refused', async (t) => {
    const context = await newContext(t);
    const page = await context.newPage();
    await page.goto(server.url('kiel', '/anmelden?next=%2Fmein-bereich'));
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/anmelden/callback'),
      page.waitForURL((u) => u.pathname === '/anmelden/callback'),
      page.getByRole('button', { name: 'Abbrechen' }).click(),
    ]);
    await assertRefused(page, response, /Sie haben die Anmeldung abgebrochen/);
    assert.equal(await sessionCookie(context, server, 'kiel'), undefined);
    await assertNotLoggedIn(context, server, 'kiel');
  });

  test("forms need the session's CSRF token", async (t) => {
    const context = await newContext(t);
    const page = await context.newPage();
    await login(page, server, 'kiel');
    const forbidden = [
      ['/abmelden', { csrf: '' }],
      ['/abmelden', { csrf: 'falsch' }],
      ['/mein-bereich/merkliste', { csrf: 'falsch', leika: HUNDESTEUER, aktion: 'merken' }],
      ['/postfach/irgendeine-nachricht', { csrf: 'falsch', aktion: 'loeschen' }],
    ];
    for (const [path, fields] of forbidden) {
      const res = await postFormAs(context, server, 'kiel', path, fields);
      assert.equal(res.status, 403, `POST ${path} with csrf=${fields.csrf}`);
      assert.match(res.text(), /Das Formular ist abgelaufen/);
    }
    assert.equal((await requestAs(context, server, 'kiel', '/mein-bereich')).status, 200, 'still logged in');
  });
});

describe('Servicekonto: Postfach', () => {
  test('delivery API: sender credential, unknown recipient, idempotent redelivery', async (t) => {
    const page = await newPage(t);
    await login(page, server, 'kiel', { user: 'erika' });

    const message = { to: 'erika', id: 'api-1', subject: 'Eingangsbestätigung', body: 'Ihr Antrag ist eingegangen.' };
    const wrong = await deliver('kiel', message, 'kein-gueltiger-zugang-0000000000');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers['www-authenticate'], 'Bearer');
    const missing = await server.request(server.url('kiel', '/api/v1/postfach/messages'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(missing.status, 401);

    const nobody = await deliver('kiel', { ...message, to: '00000000-0000-4000-8000-000000000000' });
    assert.equal(nobody.status, 422, 'a recipient who never logged in');
    assert.match(nobody.headers['content-type'], /^application\/problem\+json/);

    const first = await deliver('kiel', message);
    assert.equal(first.status, 201);
    const { id, created } = first.json();
    assert.equal(created, true);
    // The same sender_message_id again, on another tenant's host: the same message.
    const again = await deliver('husum', message);
    assert.equal(again.status, 200);
    assert.deepEqual(again.json(), { id, created: false });
  });

  test("two citizens never see each other's messages or attachments", async (t) => {
    const erika = await newContext(t);
    const erikaPage = await erika.newPage();
    await login(erikaPage, server, 'kiel', { user: 'erika' });
    const max = await newContext(t);
    const maxPage = await max.newPage();
    await login(maxPage, server, 'kiel', { user: 'max' });

    const erikaPdf = pdf('Bescheid für Erika');
    const maxPdf = pdf('Gewerbeschein für Max');
    const erikaId = await deliverOk('kiel', {
      to: 'erika',
      id: 'isolation-erika',
      subject: 'Hundesteuerbescheid 2026 (Erika)',
      attachments: [{ filename: 'Hundesteuerbescheid 2026.pdf', data: erikaPdf }],
    });
    const maxId = await deliverOk('kiel', {
      to: 'max',
      id: 'isolation-max',
      subject: 'Gewerbeschein (Max)',
      attachments: [{ filename: 'gewerbeschein.pdf', data: maxPdf }],
    });

    // Max finds his message and its attachment in his own browser.
    await maxPage.goto(server.url('kiel', '/postfach'));
    await Promise.all([maxPage.waitForURL(/\/postfach\/[^/]+$/), maxPage.getByRole('link', { name: 'Gewerbeschein (Max)' }).click()]);
    const maxMessageUrl = maxPage.url();
    assert.equal(new URL(maxMessageUrl).pathname, `/postfach/${maxId}`);
    const maxAttachmentPath = await maxPage.getByRole('link', { name: 'gewerbeschein.pdf' }).getAttribute('href');
    assert.match(maxAttachmentPath, new RegExp(`^/postfach/${maxId}/anhang/[^/]+$`));
    const maxOwn = await requestAs(max, server, 'kiel', maxAttachmentPath);
    assert.equal(maxOwn.status, 200, 'Max can download his attachment');
    assert.deepEqual(maxOwn.body, maxPdf);

    // Erika's Postfach lists only her message.
    await erikaPage.goto(server.url('kiel', '/postfach'));
    const subjects = (await erikaPage.locator('main table.messages tbody tr a').allInnerTexts()).map((s) => s.trim());
    assert.ok(subjects.includes('Hundesteuerbescheid 2026 (Erika)'), JSON.stringify(subjects));
    assert.ok(!subjects.includes('Gewerbeschein (Max)'), JSON.stringify(subjects));
    assert.ok(!(await erikaPage.content()).includes(maxId), "Max's message id appears nowhere on Erika's page");

    // Max's message and attachment URLs in Erika's browser: 404, as if they did not exist.
    const foreignMessage = await erikaPage.goto(maxMessageUrl);
    assert.equal(foreignMessage.status(), 404);
    assert.equal(await text(erikaPage.locator('main h1')), 'Seite nicht gefunden');
    assert.ok(!(await erikaPage.content()).includes('Gewerbeschein'));
    const foreignAttachment = await requestAs(erika, server, 'kiel', maxAttachmentPath);
    assert.equal(foreignAttachment.status, 404);
    assert.ok(!foreignAttachment.body.includes(Buffer.from('Gewerbeschein für Max')));
    assert.equal(foreignAttachment.headers['content-disposition'], undefined);
    // Nor can she archive or delete it.
    const csrf = await erikaPage.locator('.site-header input[name="csrf"]').getAttribute('value');
    const foreignDelete = await postFormAs(erika, server, 'kiel', `/postfach/${maxId}`, { csrf, aktion: 'loeschen' });
    assert.equal(foreignDelete.status, 404);
    assert.equal((await requestAs(max, server, 'kiel', `/postfach/${maxId}`)).status, 200, "Max's message is still there");
    // Without a login, the attachment URL leads to the login.
    const anonymous = await server.request(server.url('kiel', maxAttachmentPath));
    assert.equal(anonymous.status, 303);
    assert.match(anonymous.headers.location, /^\/anmelden\?next=/);

    // Her own attachment downloads with the right bytes, as an attachment.
    await erikaPage.goto(server.url('kiel', `/postfach/${erikaId}`));
    const link = erikaPage.getByRole('link', { name: 'Hundesteuerbescheid 2026.pdf' });
    const href = await link.getAttribute('href');
    const [download] = await Promise.all([erikaPage.waitForEvent('download'), link.click()]);
    assert.equal(download.suggestedFilename(), 'Hundesteuerbescheid 2026.pdf');
    const chunks = [];
    for await (const chunk of await download.createReadStream()) chunks.push(chunk);
    assert.deepEqual(Buffer.concat(chunks), erikaPdf, 'the downloaded bytes');
    const own = await requestAs(erika, server, 'kiel', href);
    assert.equal(own.status, 200);
    assert.equal(own.headers['content-type'], 'application/pdf');
    assert.match(own.headers['content-disposition'], /^attachment;/);
    assert.match(own.headers['content-disposition'], /filename\*=UTF-8''Hundesteuerbescheid%202026\.pdf/);
    assert.equal(own.headers['x-content-type-options'], 'nosniff');
    assert.match(own.headers['cache-control'], /no-store/);
    assert.deepEqual(own.body, erikaPdf);
  });

  test('unread count in the header; open marks read; archive; delete', async (t) => {
    const page = await newPage(t);
    await login(page, server, 'kiel', { user: 'erika', next: '/postfach' });
    const before = await unreadInHeader(page);

    const first = await deliverOk('kiel', { to: 'erika', id: 'flow-1', subject: 'Erinnerung: Termin im Bürgerbüro', body: 'Ihr Termin ist am Montag.\n\n- Personalausweis mitbringen\n- Foto mitbringen' });
    await deliverOk('kiel', { to: 'erika', id: 'flow-2', subject: 'Ihre Meldebescheinigung' });

    await page.goto(server.url('kiel', '/postfach'));
    assert.equal(await unreadInHeader(page), before + 2, 'two more unread in the header');
    const row = page.locator('main table.messages tbody tr', { has: page.getByRole('link', { name: 'Erinnerung: Termin im Bürgerbüro' }) });
    assert.equal(await row.count(), 1);
    assert.match(await text(row.locator('.badge')), /^ungelesen$/);
    assert.match(await text(row), /Stadt Kiel, Bürgeramt/);
    await page.goto(server.url('kiel', '/mein-bereich'));
    const summary = await text(page.locator('main section[aria-labelledby="postfach-kurz"]'));
    assert.match(summary, new RegExp(`${before + 2} ungelesene Nachrichten`));

    // Open: the message is read.
    await page.goto(server.url('kiel', '/postfach'));
    await Promise.all([page.waitForURL(`**/postfach/${first}`), page.getByRole('link', { name: 'Erinnerung: Termin im Bürgerbüro' }).click()]);
    assert.equal(await text(page.locator('main h1')), 'Erinnerung: Termin im Bürgerbüro');
    assert.match(await text(page.locator('main .message-body')), /Ihr Termin ist am Montag\./);
    assert.equal(await page.locator('main .message-body li').count(), 2);
    await page.goto(server.url('kiel', '/postfach'));
    assert.equal(await unreadInHeader(page), before + 1);
    assert.equal(await row.locator('.badge').count(), 0, 'no longer marked unread');

    // Archive: it leaves the inbox and is in the Archiv.
    await page.goto(server.url('kiel', `/postfach/${first}`));
    await submit(page, page.getByRole('button', { name: 'Archivieren' }));
    assert.equal(page.url(), server.url('kiel', '/postfach'));
    assert.equal(await row.count(), 0, 'not in the inbox');
    await page.getByRole('navigation', { name: 'Ordner' }).getByRole('link', { name: 'Archiv' }).click();
    await page.waitForURL((u) => u.search === '?ordner=archiv');
    assert.equal(await text(page.locator('main h1')), 'Postfach: Archiv');
    assert.equal(await row.count(), 1, 'in the Archiv');

    // Delete: gone from both folders, and its page is 404.
    await Promise.all([page.waitForURL(`**/postfach/${first}`), page.getByRole('link', { name: 'Erinnerung: Termin im Bürgerbüro' }).click()]);
    assert.equal(await page.getByRole('button', { name: 'Zurück in den Eingang' }).count(), 1);
    await submit(page, page.getByRole('button', { name: 'Löschen' }));
    assert.equal(page.url(), server.url('kiel', '/postfach'));
    assert.equal(await row.count(), 0);
    await page.goto(server.url('kiel', '/postfach?ordner=archiv'));
    assert.equal(await row.count(), 0);
    assert.equal((await page.goto(server.url('kiel', `/postfach/${first}`))).status(), 404);
    await page.goto(server.url('kiel', '/postfach'));
    assert.equal(await unreadInHeader(page), before + 1, 'the other message is still unread');
  });
});

describe('Servicekonto: Merkliste', () => {
  test('one account for all tenants: saved on kiel, shown on husum', async (t) => {
    const page = await newPage(t);
    await login(page, server, 'kiel', { user: 'max' });
    const favourites = page.locator('main ul.favourites > li');

    const res = await page.goto(server.url('kiel', `/leistungen/${HUNDESTEUER}`));
    assert.equal(res.status(), 200);
    const servicePath = new URL(page.url()).pathname;
    const name = await text(page.locator('main h1'));
    await submit(page, page.getByRole('button', { name: 'Merken', exact: true }));
    assert.equal(new URL(page.url()).pathname, servicePath, 'back on the service page');
    assert.equal(await page.getByRole('button', { name: 'Von der Merkliste entfernen' }).count(), 1);

    await page.goto(server.url('kiel', '/mein-bereich'));
    const onKiel = favourites.filter({ has: page.getByRole('link', { name, exact: true }) });
    assert.equal(await onKiel.count(), 1, 'listed on kiel');
    assert.doesNotMatch(await text(onKiel), /gemerkt bei/, 'saved here: no note');

    // Husum: the same Servicekonto, so the same citizen and the same Merkliste.
    await loginWithProviderSession(page, server, 'husum');
    assert.equal(await text(page.locator('main dl.facts dt:text-is("Name") + dd')), 'Max Mustermann');
    const onHusum = favourites.filter({ has: page.getByRole('link', { name, exact: true }) });
    assert.equal(await onHusum.count(), 1, 'listed on husum');
    assert.match(await text(onHusum), /\(gemerkt bei Landeshauptstadt Kiel\)/);
    assert.equal(await onHusum.getByRole('link', { name, exact: true }).getAttribute('href'), servicePath);

    // Removed on husum: gone on kiel too.
    await submit(page, onHusum.getByRole('button', { name: /^Entfernen/ }));
    assert.equal(page.url(), server.url('husum', '/mein-bereich'));
    assert.equal(await onHusum.count(), 0);
    await page.goto(server.url('kiel', '/mein-bereich'));
    assert.equal(await onKiel.count(), 0, 'gone on kiel');
    await page.goto(server.url('kiel', servicePath));
    assert.equal(await page.getByRole('button', { name: 'Merken', exact: true }).count(), 1);
  });
});

// ---------------------------------------------------------------------------------------
// A second portal whose Servicekonto is oidc/rogue.mjs.

describe('Servicekonto: ID tokens from a misbehaving provider', () => {
  const ROGUE_SECRET = 'rogue-client-secret-for-e2e';
  let rogue;
  let portal;

  before(async () => {
    const port = await freePort();
    rogue = await startRogueProvider({ port: 0, clientSecret: ROGUE_SECRET, ...portalUris(port) });
    portal = await startServer({
      port,
      env: { OIDC_ISSUER: rogue.issuer, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: ROGUE_SECRET },
    });
  });

  after(async () => {
    await portal?.stop();
    await rogue?.close();
  });

  /** Starts a login on the rogue's portal; returns the final response and the rogue's events. */
  async function attempt(page, mode, query = 'next=%2Fmein-bereich') {
    rogue.setMode(mode);
    const from = rogue.events.length;
    const response = await page.goto(portal.url('kiel', `/anmelden?${query}`));
    return { response, events: rogue.events.slice(from) };
  }

  const exchanged = (events) => events.some((e) => e.endpoint === 'token' && e.ok);

  test('ok: a correct ID token logs in (so the refusals below are for the token)', async (t) => {
    const context = await newContext(t);
    const page = await context.newPage();
    const { response, events } = await attempt(page, 'ok');
    assert.equal(response.status(), 200);
    assert.equal(page.url(), portal.url('kiel', '/mein-bereich'));
    assert.ok(exchanged(events), 'the portal exchanged the code (client secret and PKCE accepted)');
    assert.equal(await text(page.locator('main h1')), 'Mein Bereich');
    assert.equal(await text(page.locator('main dl.facts dt:text-is("Name") + dd')), 'Erika Mustermann');
    assert.equal(await text(page.locator('main dl.facts dt:text-is("Vertrauensniveau dieser Anmeldung") + dd')), LEVEL_LABEL.basisregistrierung);

    // Logout goes to the rogue's end_session endpoint and back.
    await Promise.all([
      page.waitForURL((u) => u.href === portal.url('kiel', '/')),
      page.locator('.site-header').getByRole('button', { name: 'Abmelden' }).click(),
    ]);
    assert.ok(rogue.events.some((e) => e.endpoint === 'end_session'));
    assert.equal(await sessionCookie(context, portal, 'kiel'), undefined);
    await assertNotLoggedIn(context, portal, 'kiel');
  });

  test('after the login the citizen stays on this host, whatever next= says', async (t) => {
    rogue.setMode('ok');
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'evil.example']) {
      const page = await newPage(t);
      const response = await page.goto(portal.url('kiel', `/anmelden?next=${encodeURIComponent(next)}`));
      assert.equal(response.status(), 200, next);
      assert.equal(page.url(), portal.url('kiel', '/mein-bereich'), `next=${next} falls back to Mein Bereich`);
    }
  });

  const REFUSED = [
    ['wrong-nonce', /Nonce passt nicht zu dieser Anmeldung/],
    ['no-nonce', /Nonce passt nicht zu dieser Anmeldung/],
    ['wrong-audience', /Token ist für einen anderen Empfänger ausgestellt/],
    ['extra-audience', /Token ist für einen anderen Empfänger ausgestellt/],
    ['wrong-issuer', /Token stammt von einem anderen Aussteller/],
    ['expired', /Token abgelaufen/],
    ['other-key', /Signatur ungültig/],
    ['other-key-new-kid', /Signatur ungültig/],
    ['alg-none', /Signatur ungültig/],
    ['alg-hs256', /Signatur ungültig/],
    ['iat-future', /in der Zukunft ausgestellt \(iat\)/],
    ['iat-old', /zu alt \(iat\)/],
    ['unknown-acr', new RegExp(`unbekanntes Vertrauensniveau \\(acr\\) „${UNKNOWN_ACR.replace(/[.:]/g, '\\$&')}“`)],
    ['no-acr', /kein Vertrauensniveau \(acr\) im Token/],
  ];
  for (const [mode, reason] of REFUSED) {
    test(`${mode}: refused, no session`, async (t) => {
      const context = await newContext(t);
      const page = await context.newPage();
      const { response, events } = await attempt(page, mode);
      assert.ok(exchanged(events), 'the code exchange itself succeeded: the ID token is what is refused');
      await assertRefused(page, response, reason);
      assert.equal(await sessionCookie(context, portal, 'kiel'), undefined, 'no session cookie');
      await assertNotLoggedIn(context, portal, 'kiel');
    });
  }

  test('no-name: without `name` the citizen is called by given and family name', async (t) => {
    const context = await newContext(t);
    const page = await context.newPage();
    const { response } = await attempt(page, 'no-name');
    assert.equal(response.status(), 200);
    assert.equal(await text(page.locator('main dl.facts dt:text-is("Name") + dd')), 'Erika Mustermann');
  });

  test('callback-wrong-iss: an authorization response from another issuer is refused before the code is used', async (t) => {
    const context = await newContext(t);
    const page = await context.newPage();
    const { response, events } = await attempt(page, 'callback-wrong-iss');
    assert.ok(!events.some((e) => e.endpoint === 'token'), 'the code was never sent to the token endpoint');
    await assertRefused(page, response, /Die Antwort stammt nicht von Ihrem Servicekonto/);
    assert.equal(await sessionCookie(context, portal, 'kiel'), undefined);
    await assertNotLoggedIn(context, portal, 'kiel');
  });

  test('low-acr: the portal checks the granted level itself (403, logged in at the lower level)', async (t) => {
    const context = await newContext(t);
    const page = await context.newPage();
    const { response, events } = await attempt(page, 'low-acr', 'niveau=substantiell&next=%2Fmein-bereich');
    assert.ok(events.some((e) => e.endpoint === 'auth' && e.acrValues === 'http://eidas.europa.eu/LoA/substantial'), 'substantiell was requested');
    assert.equal(response.status(), 403);
    assert.equal(await text(page.locator('main h1')), 'Vertrauensniveau nicht erreicht');
    assert.match(await text(page.locator('main p.lead')), /Vertrauensniveau „substantiell“ nötig/);
    assert.equal(
      await page.locator('main').getByRole('link', { name: 'Erneut anmelden' }).getAttribute('href'),
      '/anmelden?niveau=substantiell&next=%2Fmein-bereich',
    );
    // Logged in, but only with Basisregistrierung: a substantiell service still asks for a login.
    await page.goto(portal.url('kiel', '/mein-bereich'));
    assert.equal(await text(page.locator('main dl.facts dt:text-is("Vertrauensniveau dieser Anmeldung") + dd')), LEVEL_LABEL.basisregistrierung);
    const apply = await requestAs(context, portal, 'kiel', `/leistungen/${GEWERBE}/beantragen`);
    assert.equal(apply.status, 303);
    assert.match(apply.headers.location, /^\/anmelden\?niveau=substantiell&/);
  });

  test(
    'callback-no-iss: an authorization response without iss is refused (the provider announces iss, RFC 9207)',
    async (t) => {
      const context = await newContext(t);
      const page = await context.newPage();
      const { response } = await attempt(page, 'callback-no-iss');
      await assertRefused(page, response, /nennt ihren Aussteller nicht \(iss fehlt\)/);
      assert.equal(await sessionCookie(context, portal, 'kiel'), undefined);
    },
  );
});
