// The Servicekonto test provider (end2end/oidc/provider.mjs), driven without a browser:
// plain fetch with manual redirects and a tiny cookie jar.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';

import {
  CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_EDITOR_CLIENT_SECRET, EDITOR_CLIENT_ID, startProvider,
} from '../oidc/provider.mjs';

const REDIRECT_URI = 'http://kiel.localhost:3000/anmelden/callback';
const POST_LOGOUT_URI = 'http://kiel.localhost:3000/';
const EDITOR_REDIRECT_URI = 'http://kiel.localhost:3000/redaktion/anmelden/callback';
const LOW = 'http://eidas.europa.eu/LoA/low';
const SUBSTANTIAL = 'http://eidas.europa.eu/LoA/substantial';
const HIGH = 'http://eidas.europa.eu/LoA/high';

let op;
let discovery;
let jwks;

before(async () => {
  op = await startProvider({ port: 0 });
  const res = await fetch(`${op.issuer}/.well-known/openid-configuration`);
  assert.equal(res.status, 200);
  discovery = await res.json();
  jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
});

after(async () => {
  await op?.close();
});

/** Cookies by name and path; enough for one host. */
class CookieJar {
  #cookies = new Map();

  store(url, res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = '/';
      let expired = value === '';
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k.trim().toLowerCase();
        if (key === 'path') path = v.trim();
        if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (key === 'max-age' && Number(v) <= 0) expired = true;
      }
      const id = `${name};${path}`;
      if (expired) this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.#cookies.values()]
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

/** One request to the provider with the jar's cookies; never follows redirects. */
async function request(jar, url, { method = 'GET', form, headers = {} } = {}) {
  const init = { method, redirect: 'manual', headers: { accept: 'text/html', ...headers } };
  const cookie = jar.header(url);
  if (cookie) init.headers.cookie = cookie;
  if (form) {
    init.body = new URLSearchParams(form).toString();
    init.headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await fetch(url, init);
  jar.store(url, res);
  return res;
}

/**
 * Follows redirects (GET) from `res` until one leaves the provider. Returns either
 * { callback: URL } when the redirect_uri (or another foreign URL) is reached, or
 * { page: Response, url } for a provider page that is not a redirect.
 */
async function follow(jar, url, res) {
  for (let i = 0; i < 20; i += 1) {
    if (res.status < 300 || res.status >= 400) return { page: res, url };
    const next = new URL(res.headers.get('location'), url).href;
    await res.arrayBuffer();
    if (!next.startsWith(op.issuer)) return { callback: new URL(next) };
    url = next;
    res = await request(jar, url);
  }
  throw new Error('too many redirects');
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** Starts an authorization request; returns its parameters and the first response. */
async function authorize(jar, extra = {}) {
  const { verifier, challenge } = pkce();
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const params = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    scope: 'openid profile email address',
    redirect_uri: REDIRECT_URI,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  const url = `${discovery.authorization_endpoint}?${params}`;
  const res = await request(jar, url);
  return { verifier, state, nonce, ...(await follow(jar, url, res)) };
}

function formAction(html, base) {
  const m = /<form method="post" action="([^"]+)"/.exec(html);
  assert.ok(m, `no form in page:\n${html}`);
  return new URL(m[1].replace(/&amp;/g, '&'), base).href;
}

/** Submits the login page: returns follow()'s result after the POST. */
async function submitLogin(jar, loginUrl, html, fields) {
  const action = formAction(html, loginUrl);
  const res = await request(jar, action, { method: 'POST', form: { aktion: 'anmelden', ...fields } });
  return follow(jar, action, res);
}

function basicAuth(id = CLIENT_ID, secret = DEFAULT_CLIENT_SECRET) {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function exchange(code, verifier) {
  const res = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { authorization: basicAuth(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
  });
  return { status: res.status, body: await res.json() };
}

async function verifyIdToken(idToken) {
  const { payload, protectedHeader } = await jwtVerify(idToken, jwks, {
    issuer: op.issuer,
    audience: CLIENT_ID,
  });
  return { payload, protectedHeader };
}

/** A full login of `username` with `verfahren`; returns the callback's code and the verifier. */
async function loginAndGetCode(jar, username, password, verfahren, extra = {}) {
  const start = await authorize(jar, extra);
  assert.ok(start.page, 'expected the login page');
  const html = await start.page.text();
  const done = await submitLogin(jar, start.url, html, { benutzername: username, passwort: password, verfahren });
  assert.ok(done.callback, `login did not reach the redirect_uri: ${done.page && (await done.page.text())}`);
  return { ...start, callback: done.callback };
}

test('discovery document', () => {
  assert.equal(discovery.issuer, op.issuer);
  assert.match(op.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
  for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint']) {
    assert.ok(discovery[key]?.startsWith(op.issuer), `${key} missing`);
  }
  assert.deepEqual(discovery.acr_values_supported, [LOW, SUBSTANTIAL, HIGH]);
  assert.deepEqual(discovery.response_types_supported, ['code']);
  assert.deepEqual(discovery.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(discovery.token_endpoint_auth_methods_supported, ['client_secret_basic']);
  assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256']);
  for (const scope of ['openid', 'profile', 'email', 'address']) {
    assert.ok(discovery.scopes_supported.includes(scope), scope);
  }
});

test('code flow with PKCE: erika with ELSTER-Zertifikat gets acr substantial', async (t) => {
  const jar = new CookieJar();
  const start = await authorize(jar);
  assert.ok(start.page, 'expected a provider page');
  assert.equal(start.page.status, 200);
  assert.match(start.url, /\/interaction\/[\w-]+$/);
  const html = await start.page.text();
  assert.match(html, /<html lang="de">/);
  assert.match(html, /<label for="benutzername">Benutzername<\/label>/);
  assert.match(html, /<label for="passwort">Passwort<\/label>/);
  assert.match(html, /<legend>Anmeldeverfahren<\/legend>/);
  assert.match(html, /Benutzername und Passwort \(Basisregistrierung\)/);
  assert.match(html, /ELSTER-Zertifikat \(substantiell\)/);
  assert.match(html, /Online-Ausweis \(hoch\)/);
  assert.doesNotMatch(html, /<script/i);

  const done = await submitLogin(jar, start.url, html, {
    benutzername: 'erika',
    passwort: 'erika-passwort',
    verfahren: 'elster',
  });
  assert.ok(done.callback, 'expected the redirect to the portal');
  const cb = done.callback;
  assert.equal(`${cb.origin}${cb.pathname}`, REDIRECT_URI);
  assert.equal(cb.searchParams.get('state'), start.state);
  assert.equal(cb.searchParams.get('iss'), op.issuer);
  const code = cb.searchParams.get('code');
  assert.ok(code);

  // A wrong code_verifier is refused (PKCE), and that does not use up the code.
  const wrong = await exchange(code, pkce().verifier);
  assert.equal(wrong.status, 400);
  assert.equal(wrong.body.error, 'invalid_grant');

  const tokens = await exchange(code, start.verifier);
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  assert.equal(tokens.body.token_type, 'Bearer');
  assert.ok(tokens.body.access_token);
  assert.ok(tokens.body.id_token);
  assert.equal(tokens.body.refresh_token, undefined);
  assert.equal(tokens.body.expires_in, 3600);
  assert.equal(tokens.body.scope, 'openid profile email address');

  const { payload: id, protectedHeader } = await verifyIdToken(tokens.body.id_token);
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(id.nonce, start.nonce);
  assert.equal(id.acr, SUBSTANTIAL);
  assert.deepEqual(id.amr, ['swk', 'pwd', 'mfa']);
  assert.equal(id.sub, '5f0c7e1a-3b2d-4c8e-9a61-0e6f2d9b7a01');
  assert.equal(id.name, 'Erika Mustermann');
  assert.equal(id.given_name, 'Erika');
  assert.equal(id.family_name, 'Mustermann');
  assert.equal(id.email, 'erika@example.org');
  assert.deepEqual(id.address, { street_address: 'Heidestraße 17', postal_code: '24103', locality: 'Kiel' });
  assert.equal(typeof id.auth_time, 'number');
  assert.equal(typeof id.exp, 'number');
  assert.equal(typeof id.iat, 'number');
  assert.ok(id.exp > id.iat);
  // Exactly these claims (no sid: oidc-provider adds it only for back-channel logout clients).
  assert.deepEqual(Object.keys(id).sort(), [
    'acr', 'address', 'amr', 'at_hash', 'aud', 'auth_time', 'email', 'email_verified',
    'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'nonce', 'sub',
  ].sort());
  t.diagnostic(`ID token claims: ${JSON.stringify(id)}`);

  const ui = await fetch(discovery.userinfo_endpoint, {
    headers: { authorization: `Bearer ${tokens.body.access_token}` },
  });
  assert.equal(ui.status, 200);
  const userinfo = await ui.json();
  assert.equal(userinfo.sub, id.sub);
  assert.equal(userinfo.name, 'Erika Mustermann');
  assert.equal(userinfo.email, 'erika@example.org');
  assert.deepEqual(userinfo.address, { street_address: 'Heidestraße 17', postal_code: '24103', locality: 'Kiel' });

  // The same code a second time: invalid_grant, and oidc-provider then revokes the
  // tokens already issued for it.
  const again = await exchange(code, start.verifier);
  assert.equal(again.status, 400);
  assert.equal(again.body.error, 'invalid_grant');
  const revoked = await fetch(discovery.userinfo_endpoint, {
    headers: { authorization: `Bearer ${tokens.body.access_token}` },
  });
  assert.equal(revoked.status, 401);
});

test('the token endpoint needs the client secret (client_secret_basic)', async () => {
  const jar = new CookieJar();
  const { callback, verifier } = await loginAndGetCode(jar, 'max', 'max-passwort', 'passwort');
  const res = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { authorization: basicAuth(CLIENT_ID, 'falsch'), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code'),
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
  });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error, 'invalid_client');
});

test('an authorization request without PKCE is refused', async () => {
  const jar = new CookieJar();
  const params = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT_URI,
    state: 'abc',
  });
  const url = `${discovery.authorization_endpoint}?${params}`;
  const { callback } = await follow(jar, url, await request(jar, url));
  assert.ok(callback);
  assert.equal(callback.searchParams.get('error'), 'invalid_request');
  assert.match(callback.searchParams.get('error_description'), /PKCE/);
  assert.equal(callback.searchParams.get('state'), 'abc');
});

test('a wrong password shows the error and keeps the username', async () => {
  const jar = new CookieJar();
  const start = await authorize(jar);
  const html = await start.page.text();
  const res = await submitLogin(jar, start.url, html, { benutzername: 'erika', passwort: 'falsch', verfahren: 'passwort' });
  assert.ok(res.page);
  assert.equal(res.page.status, 400);
  const again = await res.page.text();
  assert.match(again, /Es gibt ein Problem/);
  assert.match(again, /Benutzername oder Passwort ist falsch\./);
  assert.match(again, /<input type="text" id="benutzername" name="benutzername" value="erika"/);
  assert.match(again, /<input type="radio" id="verfahren-passwort" name="verfahren" value="passwort" checked>/);
  assert.match(again, /<input type="password" id="passwort" name="passwort" autocomplete/);
  assert.match(again, /aria-invalid="true" aria-describedby="passwort-fehler"/);

  // Empty form: one error per field.
  const empty = await submitLogin(jar, start.url, again, {});
  const emptyHtml = await empty.page.text();
  assert.match(emptyHtml, /Geben Sie Ihren Benutzernamen ein\./);
  assert.match(emptyHtml, /Geben Sie Ihr Passwort ein\./);
  assert.match(emptyHtml, /Wählen Sie ein Anmeldeverfahren\./);

  // The same interaction still works with the right password.
  const ok = await submitLogin(jar, start.url, emptyHtml, { benutzername: 'erika', passwort: 'erika-passwort', verfahren: 'passwort' });
  assert.ok(ok.callback);
  const tokens = await exchange(ok.callback.searchParams.get('code'), start.verifier);
  assert.equal(tokens.status, 200);
  assert.equal(decodeJwt(tokens.body.id_token).acr, LOW);
});

test('acr_values=high refuses the password method with the German message, the Online-Ausweis passes', async () => {
  const jar = new CookieJar();
  const start = await authorize(jar, { acr_values: HIGH });
  const html = await start.page.text();
  assert.match(html, /Für diese Leistung verlangt das Bürgerportal das Vertrauensniveau „hoch“/);

  const refused = await submitLogin(jar, start.url, html, { benutzername: 'max', passwort: 'max-passwort', verfahren: 'passwort' });
  assert.ok(refused.page, 'must not log in');
  assert.equal(refused.page.status, 400);
  const again = await refused.page.text();
  assert.match(again, /Für diese Leistung ist das Vertrauensniveau „hoch“ nötig\./);
  assert.match(again, /name="benutzername" value="max"/);
  assert.match(again, /value="passwort" checked>/);

  const ok = await submitLogin(jar, start.url, again, { benutzername: 'max', passwort: 'max-passwort', verfahren: 'ausweis' });
  assert.ok(ok.callback);
  const tokens = await exchange(ok.callback.searchParams.get('code'), start.verifier);
  assert.equal(tokens.status, 200);
  const { payload } = await verifyIdToken(tokens.body.id_token);
  assert.equal(payload.acr, HIGH);
  assert.equal(payload.name, 'Max Mustermann');
  assert.deepEqual(payload.address, { street_address: 'Mühlenweg 3', postal_code: '24361', locality: 'Groß Wittensee' });
});

test('an essential acr in the claims parameter is enforced; a higher level satisfies it', async () => {
  const claims = JSON.stringify({ id_token: { acr: { essential: true, values: [SUBSTANTIAL] } } });
  const jar = new CookieJar();
  const start = await authorize(jar, { claims });
  const html = await start.page.text();
  const refused = await submitLogin(jar, start.url, html, { benutzername: 'erika', passwort: 'erika-passwort', verfahren: 'passwort' });
  assert.match(await refused.page.text(), /Für diese Leistung ist das Vertrauensniveau „substantiell“ nötig\./);

  const ok = await submitLogin(jar, start.url, html, { benutzername: 'erika', passwort: 'erika-passwort', verfahren: 'ausweis' });
  assert.ok(ok.callback, 'a higher level than required is accepted');
  const tokens = await exchange(ok.callback.searchParams.get('code'), start.verifier);
  assert.equal(decodeJwt(tokens.body.id_token).acr, HIGH);
});

test('single sign-on, step-up to a higher level, and RP-initiated logout', async () => {
  const jar = new CookieJar();
  const first = await loginAndGetCode(jar, 'erika', 'erika-passwort', 'passwort');
  const firstTokens = await exchange(first.callback.searchParams.get('code'), first.verifier);
  assert.equal(decodeJwt(firstTokens.body.id_token).acr, LOW);

  // Same browser, no level asked: no login page (session).
  const sso = await authorize(jar);
  assert.ok(sso.callback, 'expected a silent login');
  const ssoTokens = await exchange(sso.callback.searchParams.get('code'), sso.verifier);
  assert.equal(decodeJwt(ssoTokens.body.id_token).acr, LOW);

  // A higher level than the session has: the login page again.
  const step = await authorize(jar, { acr_values: SUBSTANTIAL });
  assert.ok(step.page, 'expected the login page for the step-up');
  const html = await step.page.text();
  assert.match(html, /Ihre bisherige Anmeldung reicht dafür nicht aus/);
  const done = await submitLogin(jar, step.url, html, { benutzername: 'erika', passwort: 'erika-passwort', verfahren: 'elster' });
  const stepTokens = await exchange(done.callback.searchParams.get('code'), step.verifier);
  const { payload } = await verifyIdToken(stepTokens.body.id_token);
  assert.equal(payload.acr, SUBSTANTIAL);

  // prompt=none with a too weak session: login_required, not a silent low login.
  const none = await authorize(jar, { acr_values: HIGH, prompt: 'none' });
  assert.equal(none.callback.searchParams.get('error'), 'login_required');

  // RP-initiated logout: confirmation page, then back to the portal with state.
  const endUrl = `${discovery.end_session_endpoint}?${new URLSearchParams({
    id_token_hint: stepTokens.body.id_token,
    post_logout_redirect_uri: POST_LOGOUT_URI,
    state: 'abmelden-1',
  })}`;
  const page = await request(jar, endUrl);
  assert.equal(page.status, 200);
  const logoutHtml = await page.text();
  assert.match(logoutHtml, /Vom Servicekonto abmelden\?/);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(logoutHtml)?.[1];
  assert.ok(xsrf);
  const action = new URL(/<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(logoutHtml)[1], endUrl).href;
  const confirmed = await request(jar, action, { method: 'POST', form: { xsrf, logout: 'yes' } });
  assert.equal(confirmed.status, 303);
  const back = new URL(confirmed.headers.get('location'));
  assert.equal(`${back.origin}${back.pathname}`, POST_LOGOUT_URI);
  assert.equal(back.searchParams.get('state'), 'abmelden-1');

  // Logged out: the login page again, and the old access token is revoked.
  const afterLogout = await authorize(jar);
  assert.ok(afterLogout.page, 'expected the login page after logout');
  const ui = await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${stepTokens.body.access_token}` } });
  assert.equal(ui.status, 401);
});

test('the abort button returns access_denied to the portal', async () => {
  const jar = new CookieJar();
  const start = await authorize(jar);
  const html = await start.page.text();
  const action = formAction(html, start.url);
  const res = await request(jar, action, { method: 'POST', form: { aktion: 'abbrechen' } });
  const { callback } = await follow(jar, action, res);
  assert.equal(callback.searchParams.get('error'), 'access_denied');
  assert.equal(callback.searchParams.get('state'), start.state);
});

test('a stale interaction shows a German page', async () => {
  const res = await fetch(`${op.issuer}/interaction/unbekannt`);
  assert.equal(res.status, 400);
  assert.match(await res.text(), /Die Anmeldung ist abgelaufen/);
});

test('the editors\' client (redaktion): staff accounts only, and no single sign-on across the kinds of account', async () => {
  const editorParams = { client_id: EDITOR_CLIENT_ID, redirect_uri: EDITOR_REDIRECT_URI, scope: 'openid profile email' };
  const jar = new CookieJar();
  const start = await authorize(jar, editorParams);
  assert.ok(start.page, 'the login page');
  const html = await start.page.text();
  assert.match(html, /beim Bürgerportal \(Redaktion und Betrieb\) an/);
  assert.match(html, /<td>anna<\/td><td>anna-passwort<\/td>/, 'its test accounts are listed');
  assert.doesNotMatch(html, /<td>erika<\/td>/, 'citizens are not listed');

  // A citizen account is refused here.
  const refused = await submitLogin(jar, start.url, html, { benutzername: 'erika', passwort: 'erika-passwort', verfahren: 'passwort' });
  assert.equal(refused.page?.status, 400);
  const refusedHtml = await refused.page.text();
  assert.match(refusedHtml, /Mit diesem Konto können Sie sich nicht beim Bürgerportal \(Redaktion und Betrieb\) anmelden\./);

  const ok = await submitLogin(jar, start.url, refusedHtml, { benutzername: 'anna', passwort: 'anna-passwort', verfahren: 'passwort' });
  assert.ok(ok.callback, 'anna logs in');
  assert.equal(ok.callback.origin + ok.callback.pathname, EDITOR_REDIRECT_URI);
  const res = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: {
      authorization: basicAuth(EDITOR_CLIENT_ID, DEFAULT_EDITOR_CLIENT_SECRET),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: ok.callback.searchParams.get('code'),
      redirect_uri: EDITOR_REDIRECT_URI,
      code_verifier: start.verifier,
    }),
  });
  assert.equal(res.status, 200);
  const { payload } = await jwtVerify((await res.json()).id_token, jwks, { issuer: op.issuer, audience: EDITOR_CLIENT_ID });
  assert.equal(payload.sub, 'e1a7c0de-0a11-4b2c-8d3e-5f6a7b8c9d01');
  assert.equal(payload.name, 'Anna Albers');

  // Anna's provider session does not log her in to the citizens' client: its login page
  // asks again, and refuses her account.
  const citizen = await authorize(jar);
  assert.ok(citizen.page, 'the citizens\' client shows its login page');
  const citizenHtml = await citizen.page.text();
  assert.doesNotMatch(citizenHtml, /<td>anna<\/td>/);
  const no = await submitLogin(jar, citizen.url, citizenHtml, { benutzername: 'anna', passwort: 'anna-passwort', verfahren: 'passwort' });
  assert.equal(no.page?.status, 400);
  assert.match(await no.page.text(), /Mit diesem Konto können Sie sich nicht beim Bürgerportal anmelden\./);

  // The editor client's redirect URIs are its own: the citizens' callback is not one of them.
  const wrong = await authorize(new CookieJar(), { ...editorParams, redirect_uri: REDIRECT_URI });
  assert.ok(wrong.page);
  assert.equal(wrong.page.status, 400);
  assert.match(await wrong.page.text(), /redirect_uri/);
});
