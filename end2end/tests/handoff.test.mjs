// The hand-off journey in headless Chromium with the real parts: the portal,
// the Servicekonto test provider and the reference form service.
// Login at substantiell → consent → the hand-off page posts the token to the
// form service → prefilled form → submit → the status in Meine Anträge and the
// receipt in the Postfach; no personal data and no token in any URL; declining
// consent passes no personal data; a token works once; the Zwischenspeicher.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, freePort, TENANTS } from '../support/server.mjs';
import { startFormService } from '../support/formulardienst.mjs';
import { launchBrowser, submitServicekontoLogin, cookieHeader } from '../support/browser.mjs';
import { startProvider } from '../oidc/provider.mjs';

const GEWERBE = '99050012104000'; // Gewerbeanmeldung: online at substantiell
const CREDENTIAL = 'formulardienst-e2e-zugang';
const AUDIENCE = 'urn:formulardienst:referenz';
const ISSUER = 'http://buergerportal.localhost';
const ELSTER = 'ELSTER-Zertifikat (substantiell)';
const INSPECTION = 'formulardienst-e2e-einsicht';

let op, browser, dir;
const setups = {};

function providersToml(formPort, delivery) {
  const sha = createHash('sha256').update(CREDENTIAL).digest('hex');
  const cache = delivery === 'zwischenspeicher' ? `zwischenspeicher_url = "http://127.0.0.1:${formPort}/api/prefill"\n` : '';
  return `[[anbieter]]
id = "referenz"
name = "Referenz-Formulardienst"
katalog_praefix = "http://formulare.localhost:3001/"
basis_url = "http://formulare.localhost:${formPort}/"
audience = "${AUDIENCE}"
uebergabe = "${delivery}"
${cache}zugang_sha256 = "${sha}"
`;
}

/** A portal and a form service wired to each other, for one delivery style. */
async function setup(delivery, portalPort) {
  const formPort = await freePort();
  const file = path.join(dir, `anbieter-${delivery}.toml`);
  await writeFile(file, providersToml(formPort, delivery));
  const server = await startServer({
    port: portalPort,
    env: {
      OIDC_ISSUER: op.issuer,
      OIDC_CLIENT_SECRET: 'buergerportal-dev-secret',
      FORM_PROVIDERS_FILE: file,
      HANDOFF_ISSUER: ISSUER,
    },
  });
  const forms = await startFormService({
    port: formPort,
    env: {
      AUDIENCE,
      PORTAL_ISSUER: ISSUER,
      PORTAL_JWKS_URL: `http://127.0.0.1:${portalPort}/.well-known/jwks.json`,
      PORTAL_API_URL: `http://127.0.0.1:${portalPort}`,
      RETURN_CREDENTIAL: CREDENTIAL,
      INSPECTION_CREDENTIAL: INSPECTION,
    },
  });
  return { server, forms, formPort };
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bp-handoff-'));
  const ports = { formular: await freePort(), zwischenspeicher: await freePort() };
  const hosts = Object.values(TENANTS).map((t) => t.host);
  op = await startProvider({
    port: 0,
    redirectUris: Object.values(ports).flatMap((p) => hosts.map((h) => `http://${h}:${p}/anmelden/callback`)),
    postLogoutRedirectUris: Object.values(ports).flatMap((p) => hosts.map((h) => `http://${h}:${p}/`)),
  });
  for (const [delivery, port] of Object.entries(ports)) setups[delivery] = await setup(delivery, port);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const s of Object.values(setups)) {
    await s.forms.stop();
    await s.server.stop();
  }
  await op?.close();
  await rm(dir, { recursive: true, force: true });
});

function decodePayload(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

/** Every URL the context's pages request, from now on. */
function recordUrls(context) {
  const urls = [];
  context.on('request', (r) => urls.push(r.url()));
  return urls;
}

/** Personal data or a token must not appear in any URL, encoded or not. */
function assertNoPersonalDataIn(urls) {
  assert.ok(urls.length > 0, 'requests were recorded');
  for (const url of urls) {
    let decoded = url;
    try {
      decoded = decodeURIComponent(url.replaceAll('+', ' '));
    } catch {
      // keep the raw URL
    }
    for (const text of [url, decoded]) {
      for (const secret of ['token=', 'Mustermann', 'Erika', 'erika@example.org', 'Heidestraße', 'Heidestrasse']) {
        assert.ok(!text.includes(secret), `no ${secret} in ${url}`);
      }
    }
  }
}

/** What the form service received for a Vorgang, through its authenticated inspection endpoint. */
async function received(forms, vorgang) {
  const res = await fetch(forms.url(`/api/uebergaben/${encodeURIComponent(vorgang)}`), {
    headers: { authorization: `Bearer ${INSPECTION}` },
  });
  assert.equal(res.status, 200, 'the form service recorded the hand-off');
  return res.json();
}

/** Logs in at substantiell through "Online beantragen" and returns on the consent page. */
async function toConsent(page, server) {
  const service = server.url('kiel', `/leistungen/${GEWERBE}/beantragen`);
  await page.goto(service);
  if (new URL(page.url()).port !== String(server.port)) {
    await submitServicekontoLogin(page, {
      username: 'erika',
      password: 'erika-passwort',
      method: ELSTER,
      leftProvider: (u) => u.port === String(server.port),
    });
  }
  await page.waitForURL((u) => u.pathname === `/leistungen/${GEWERBE}/beantragen`);
  await page.getByRole('heading', { level: 1, name: /Online beantragen/ }).waitFor();
}

/**
 * Submits the consent form and follows the hand-off to the form service.
 * Without JavaScript the hand-off page waits for "Weiter zum Antrag"; with it,
 * the page sends itself. Returns the URL landed on and, for `formular`, the
 * token the browser posted.
 */
async function handOff(page, { consent, formPort, javascript = false, delivery = 'formular' }) {
  if (consent) await page.getByLabel(/diese Daten dürfen/).check();
  const onFormService = (u) => new URL(u).port === String(formPort);
  const posted = delivery === 'formular' ? page.waitForRequest((r) => r.method() === 'POST' && onFormService(r.url())) : null;
  const arrived = page.waitForURL((u) => u.port === String(formPort));
  await page.getByRole('button', { name: 'Weiter zum Antragsformular' }).click();
  if (delivery === 'formular' && !javascript) {
    await page.getByRole('heading', { level: 1, name: /Weiter zum Antrag/ }).waitFor();
    const main = await page.locator('main').innerText();
    assert.match(main, /Ihr Antrag öffnet sich beim Formulardienst „Referenz-Formulardienst“/);
    await page.getByRole('button', { name: 'Weiter zum Antrag', exact: true }).click();
  }
  await arrived;
  const landed = new URL(page.url());
  if (!posted) return { landed };
  const request = await posted;
  assert.equal(request.headers()['content-type'], 'application/x-www-form-urlencoded');
  const token = new URLSearchParams(request.postData()).get('token');
  assert.ok(token, 'the token travels in the form body');
  return { landed, token };
}

test('login at substantiell, consent, prefilled form, submit: status in Meine Anträge, receipt in the Postfach (no JavaScript)', async () => {
  const { server, forms, formPort } = setups.formular;
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'de-DE' });
  const urls = recordUrls(context);
  const page = await context.newPage();
  await toConsent(page, server);
  const body = await page.locator('main').innerText();
  for (const expected of ['Gewerbe', GEWERBE, 'Erika Mustermann', 'Heidestraße 17']) {
    assert.ok(body.includes(expected), `consent page lists ${expected}`);
  }

  const { landed, token } = await handOff(page, { consent: true, formPort });
  assert.equal(landed.pathname, `/antrag/${GEWERBE}`);
  assert.equal(landed.search, '', 'nothing in the query');
  const claims = decodePayload(token);
  assert.equal(claims.aud, AUDIENCE);
  assert.equal(claims.iss, ISSUER);
  assert.equal(claims.leika, GEWERBE);
  assert.equal(claims.einwilligung, true);
  assert.equal(claims.person.family_name, 'Mustermann');
  assert.equal(claims.person.address.postal_code, '24103');
  assert.ok(claims.exp - claims.iat <= 300, 'short-lived');
  assert.deepEqual(await received(forms, claims.vorgang), claims, 'the form service received exactly this');
  assert.equal(await page.getByLabel('Nachname').inputValue(), 'Mustermann');
  assert.equal(await page.getByLabel('PLZ').inputValue(), '24103');

  await page.getByLabel('Ihr Anliegen').fill('Anmeldung eines Einzelhandels für Fahrräder.');
  await Promise.all([page.waitForLoadState(), page.getByRole('button', { name: /absenden/i }).click()]);
  await page.getByText(/Vielen Dank/).first().waitFor();
  assert.ok((await page.locator('body').innerText()).includes(claims.vorgang), 'shows the Vorgangsnummer');

  await Promise.all([
    page.waitForURL((u) => u.pathname === '/mein-bereich/antraege'),
    page.getByRole('link', { name: /Zurück zum Bürgerportal/ }).click(),
  ]);
  const applications = await page.locator('main').innerText();
  assert.match(applications, /Gewerbe/);
  assert.match(applications, /Eingegangen/);
  assert.ok(applications.includes(claims.vorgang));
  const receipt = page.getByRole('link', { name: /Eingangsbestätigung/ });
  await Promise.all([page.waitForURL(/\/postfach\//), receipt.first().click()]);
  const attachment = page.getByRole('link', { name: /\.pdf/ });
  const href = await attachment.first().getAttribute('href');
  const url = new URL(href, page.url()).href;
  const pdf = await server.request(url, { headers: { cookie: await cookieHeader(context, url) } });
  assert.equal(pdf.status, 200);
  assert.ok(pdf.body.subarray(0, 5).equals(Buffer.from('%PDF-')), 'the receipt is a PDF');
  assert.match(pdf.headers['content-disposition'], /^attachment/);
  assert.match(pdf.headers['content-security-policy'], /sandbox/, 'a download never runs as a page');

  assertNoPersonalDataIn(urls);

  // The same token a second time: refused by the form service, before and after a restart.
  const replay = await fetch(forms.url(`/antrag/${GEWERBE}`), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  assert.equal(replay.status, 410);
  const html = await replay.text();
  assert.match(html, /bereits_verwendet/);
  assert.ok(!html.includes('name="nachname"'), 'no form for a used token');
  // Tokens in a URL are refused unread.
  const inUrl = await fetch(forms.url(`/antrag/${GEWERBE}?token=${token}`));
  assert.equal(inUrl.status, 400);
  assert.match(await inUrl.text(), /token_in_adresse/);
  await context.close();
});

test('declining consent passes only the service, municipality and office (JavaScript sends the hand-off page)', async () => {
  const { server, forms, formPort } = setups.formular;
  const context = await browser.newContext({ locale: 'de-DE' });
  const urls = recordUrls(context);
  const page = await context.newPage();
  await toConsent(page, server);
  const { token } = await handOff(page, { consent: false, formPort, javascript: true });
  const claims = decodePayload(token);
  assert.deepEqual(
    Object.keys(claims).sort(),
    ['ars', 'aud', 'behoerde', 'einwilligung', 'exp', 'gemeinde', 'iat', 'iss', 'jti', 'leika', 'leistung', 'mandant', 'nbf', 'rueckkehr_url', 'vorgang']
      .filter((k) => k !== 'behoerde' || 'behoerde' in claims)
      .sort(),
  );
  assert.equal(claims.einwilligung, false);
  assert.ok(!JSON.stringify(claims).includes('Mustermann'), 'no personal data anywhere in the token');
  assert.deepEqual(await received(forms, claims.vorgang), claims);
  assert.equal(await page.getByLabel('Nachname').inputValue(), '');
  assertNoPersonalDataIn(urls);
  await context.close();
});

test('the inspection endpoint of the form service needs its credential', async () => {
  const { forms } = setups.formular;
  assert.equal((await fetch(forms.url('/api/uebergaben/letzte'))).status, 401, 'the old open endpoint is gone');
  const wrong = await fetch(forms.url('/api/uebergaben/BP-1'), { headers: { authorization: 'Bearer falsch' } });
  assert.equal(wrong.status, 401);
});

test('Zwischenspeicher delivery: the URL carries a one-time cache id, not the token', async () => {
  const { server, formPort } = setups.zwischenspeicher;
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'de-DE' });
  const urls = recordUrls(context);
  const page = await context.newPage();
  await toConsent(page, server);
  const { landed } = await handOff(page, { consent: true, formPort, delivery: 'zwischenspeicher' });
  assert.equal(landed.searchParams.get('token'), null);
  assert.ok(landed.searchParams.get('cache'), 'a cache id');
  assert.equal(await page.getByLabel('Nachname').inputValue(), 'Mustermann');
  assertNoPersonalDataIn(urls);
  const again = await page.goto(landed.href);
  assert.ok(again.status() >= 400, 'a cache id works once');
  await context.close();
});
