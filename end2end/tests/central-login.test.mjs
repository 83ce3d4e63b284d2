// One login callback for every tenant (LOGIN_HOST, issue 13): the Servicekonto
// knows a single redirect URI, on the login host; the login host verifies the
// answer and hands it to the tenant's host with a one-time code, which only the
// browser that started the login can redeem; after logout the provider returns
// to the login host, which sends the browser on to the tenant it came from.
// Headless Chromium, JavaScript off.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { CLIENT_ID, DEFAULT_CLIENT_SECRET, startProvider } from '../oidc/provider.mjs';
import { freePort, startServer, TENANTS } from '../support/server.mjs';
import { launchBrowser, submitServicekontoLogin } from '../support/browser.mjs';

const BASIS = 'Benutzername und Passwort (Basisregistrierung)';

let op;
let server;
let browser;
let loginHost;

before(async () => {
  const port = await freePort();
  loginHost = `login.localhost:${port}`;
  // The only redirect URI the provider accepts: the login host's callback.
  op = await startProvider({
    port: 0,
    redirectUris: [`http://${loginHost}/anmelden/callback`],
    // And the only address to return to after logout: the login host's.
    postLogoutRedirectUris: [`http://${loginHost}/abgemeldet`],
  });
  server = await startServer({
    port,
    env: {
      OIDC_ISSUER: op.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
      LOGIN_HOST: loginHost,
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await op?.close();
});

async function newPage(t) {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'de-DE' });
  t.after(() => context.close());
  return context.newPage();
}

/** Starts a login on a tenant and submits the provider's form; returns the URLs the browser went through. */
async function loginOn(page, tenant) {
  const seen = [];
  page.on('request', (r) => {
    if (r.isNavigationRequest()) seen.push(r.url());
  });
  await page.goto(server.url(tenant, '/anmelden?next=%2Fmein-bereich'));
  assert.equal(new URL(page.url()).origin, op.issuer, 'the provider shows its login page');
  await submitServicekontoLogin(page, {
    username: 'erika',
    password: 'erika-passwort',
    method: BASIS,
    leftProvider: (url) => url.origin !== op.issuer,
  });
  await page.waitForURL((url) => url.pathname === '/mein-bereich');
  return seen;
}

/** Submits the provider's login form from Node with the context's cookies; returns where the provider sends the browser. */
async function authorizationResponse(context, page) {
  assert.equal(new URL(page.url()).origin, op.issuer, 'the provider shows its login page');
  const action = new URL(await page.locator('form[method="post"]').getAttribute('action'), page.url()).href;
  let res = await context.request.post(action, {
    form: { aktion: 'anmelden', benutzername: 'erika', passwort: 'erika-passwort', verfahren: 'passwort' },
    maxRedirects: 0,
  });
  let url = action;
  for (let i = 0; i < 10; i += 1) {
    const next = new URL(res.headers().location, url);
    if (next.origin !== op.issuer) return next;
    url = next.href;
    res = await context.request.get(url, { maxRedirects: 0 });
  }
  throw new Error('too many redirects at the provider');
}

describe('central login host', () => {
  test('every tenant logs in through the one callback and gets its own session', async (t) => {
    for (const tenant of ['kiel', 'husum']) {
      const page = await newPage(t);
      const seen = await loginOn(page, tenant);
      assert.ok(
        seen.some((u) => u.startsWith(`http://${loginHost}/anmelden/callback?`)),
        `the provider answered the login host: ${seen.join(' ')}`,
      );
      const handOver = seen.find((u) => u.includes('/anmelden/uebernahme?code='));
      assert.ok(handOver, 'the login host handed over with a one-time code');
      assert.equal(new URL(handOver).host, new URL(server.url(tenant, '/')).host, 'to the tenant that started it');
      assert.equal(page.url(), server.url(tenant, '/mein-bereich'));
      assert.match(await page.locator('main').innerText(), /Erika Mustermann/);

      // The code is single-use: opening it again signs nobody in.
      const again = await newPage(t);
      await again.goto(handOver);
      assert.doesNotMatch(await again.locator('main').innerText(), /Erika Mustermann/);
    }
  });

  test('a handed-over code is worthless in another browser', async (t) => {
    const context = await browser.newContext({ javaScriptEnabled: false, locale: 'de-DE' });
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(server.url('kiel', '/anmelden?next=%2Fmein-bereich'));
    // The provider's answer, taken from Node so that this browser never follows it.
    const answer = await authorizationResponse(context, page);
    assert.equal(answer.host, loginHost, 'the provider answers the login host');
    const central = await server.request(answer.href);
    assert.equal(central.status, 303);
    const handOver = new URL(central.headers.location);
    assert.equal(handOver.pathname, '/anmelden/uebernahme');

    // Another browser with the code: refused, and nobody is signed in there.
    const thief = await newPage(t);
    await thief.goto(handOver.href);
    const body = await thief.locator('main').innerText();
    assert.match(body, /anderen Browser/);
    assert.doesNotMatch(body, /Erika Mustermann/);
    await thief.goto(server.url('kiel', '/mein-bereich'));
    assert.notEqual(new URL(thief.url()).pathname, '/mein-bereich', 'not signed in');
  });

  test('logout returns through the login host to the tenant it began on', async (t) => {
    const page = await newPage(t);
    await loginOn(page, 'husum');
    const header = page.locator('.site-header');
    await Promise.all([
      page.waitForURL((url) => url.origin === op.issuer),
      header.getByRole('button', { name: 'Abmelden' }).click(),
    ]);
    const seen = [];
    page.on('request', (r) => {
      if (r.isNavigationRequest()) seen.push(r.url());
    });
    const husum = new URL(server.url('husum', '/'));
    await Promise.all([
      page.waitForURL((url) => url.origin === husum.origin),
      page.getByRole('button', { name: 'Ja, abmelden' }).click(),
    ]);
    assert.ok(
      seen.some((u) => u.startsWith(`http://${loginHost}/abgemeldet?`)),
      `the provider returned to the login host: ${seen.join(' ')}`,
    );
    assert.equal(page.url(), husum.href);
    assert.equal(await header.getByRole('link', { name: 'Anmelden', exact: true }).count(), 1);
    await page.goto(server.url('husum', '/mein-bereich'));
    assert.notEqual(new URL(page.url()).pathname, '/mein-bereich', 'signed out');
  });

  test('the login host serves nothing but the callback', async () => {
    const res = await server.request(`http://${loginHost}/`);
    assert.equal(res.status, 404);
    const stray = await server.request(`http://${loginHost}/anmelden/callback?state=unbekannt&code=x`);
    assert.equal(stray.status, 400);
    // After logout it sends browsers on only to a tenant's own origin.
    const elsewhere = await server.request(`http://${loginHost}/abgemeldet?state=${encodeURIComponent('http://evil.example')}`);
    assert.equal(elsewhere.status, 200);
    assert.equal(elsewhere.headers.location, undefined);
  });
});
