// The hand-off journey in headless Chromium with the real parts: the portal,
// the Servicekonto test provider and the reference form service.
// Login at substantiell → consent → prefilled form → submit → the status in
// Meine Anträge and the receipt in the Postfach; declining consent passes no
// personal data; a token works once; the Zwischenspeicher delivery style.

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
    },
  });
  return { server, forms, formPort };
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bp-handoff-'));
  const ports = { url: await freePort(), zwischenspeicher: await freePort() };
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

/** Submits the consent form and returns the token the browser carried to the form service. */
async function handOff(page, { consent, formPort }) {
  if (consent) await page.getByLabel(/diese Daten dürfen/).check();
  await Promise.all([
    page.waitForURL((u) => u.port === String(formPort)),
    page.getByRole('button', { name: 'Weiter zum Antragsformular' }).click(),
  ]);
  return new URL(page.url());
}

test('login at substantiell, consent, prefilled form, submit: status in Meine Anträge, receipt in the Postfach', async () => {
  const { server, forms, formPort } = setups.url;
  const context = await browser.newContext();
  const page = await context.newPage();
  await toConsent(page, server);
  const body = await page.locator('main').innerText();
  for (const expected of ['Gewerbe', GEWERBE, 'Erika Mustermann', 'Heidestraße 17']) {
    assert.ok(body.includes(expected), `consent page lists ${expected}`);
  }

  const landed = await handOff(page, { consent: true, formPort });
  const token = landed.searchParams.get('token');
  assert.ok(token, 'URL delivery carries the token');
  const claims = decodePayload(token);
  assert.equal(claims.aud, AUDIENCE);
  assert.equal(claims.iss, ISSUER);
  assert.equal(claims.leika, GEWERBE);
  assert.equal(claims.einwilligung, true);
  assert.equal(claims.person.family_name, 'Mustermann');
  assert.equal(claims.person.address.postal_code, '24103');
  assert.ok(claims.exp - claims.iat <= 300, 'short-lived');
  const received = await (await fetch(forms.url('/api/uebergaben/letzte'))).json();
  assert.deepEqual(received, claims, 'the form service received exactly this');
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

  // The same token a second time: refused by the form service.
  const replay = await page.goto(landed.href);
  assert.equal(replay.status(), 410);
  assert.equal(await page.getByLabel('Nachname').count(), 0, 'no form for a used token');
  await context.close();
});

test('declining consent passes only the service, municipality and office', async () => {
  const { server, forms, formPort } = setups.url;
  const context = await browser.newContext();
  const page = await context.newPage();
  await toConsent(page, server);
  const landed = await handOff(page, { consent: false, formPort });
  const claims = decodePayload(landed.searchParams.get('token'));
  assert.deepEqual(
    Object.keys(claims).sort(),
    ['ars', 'aud', 'behoerde', 'einwilligung', 'exp', 'gemeinde', 'iat', 'iss', 'jti', 'leika', 'leistung', 'mandant', 'nbf', 'rueckkehr_url', 'vorgang']
      .filter((k) => k !== 'behoerde' || 'behoerde' in claims)
      .sort(),
  );
  assert.equal(claims.einwilligung, false);
  assert.ok(!JSON.stringify(claims).includes('Mustermann'), 'no personal data anywhere in the token');
  const received = await (await fetch(forms.url('/api/uebergaben/letzte'))).json();
  assert.deepEqual(received, claims);
  assert.equal(await page.getByLabel('Nachname').inputValue(), '');
  await context.close();
});

test('Zwischenspeicher delivery: the URL carries a one-time cache id, not the token', async () => {
  const { server, formPort } = setups.zwischenspeicher;
  const context = await browser.newContext();
  const page = await context.newPage();
  await toConsent(page, server);
  const landed = await handOff(page, { consent: true, formPort });
  assert.equal(landed.searchParams.get('token'), null);
  assert.ok(landed.searchParams.get('cache'), 'a cache id');
  assert.equal(await page.getByLabel('Nachname').inputValue(), 'Mustermann');
  const again = await page.goto(landed.href);
  assert.ok(again.status() >= 400, 'a cache id works once');
  await context.close();
});
