// Every page type of every tenant: zero axe-core violations of WCAG 2.1 A/AA,
// every subresource from the page's own host (self-hosted fonts and icons),
// and every subresource loads. The portal runs with the Servicekonto test provider,
// so the anonymous pages carry the "Anmelden" link, and the citizen's own pages
// (Mein Bereich, Postfach, a message) are checked logged in.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { freePort, startServer, TENANTS } from '../support/server.mjs';
import { launchBrowser, submitServicekontoLogin } from '../support/browser.mjs';
import { DEFAULT_CLIENT_SECRET, startProvider } from '../oidc/provider.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const SERVICE = '/leistungen/99115005104000-wohnsitz-anmelden';

/** Page types of every tenant: [name, path, expected HTTP status, extra check]. */
const PAGES = [
  ['start page', '/', 200],
  ['Lebenslagen index', '/lebenslagen', 200],
  ['Lebenslage', '/lebenslagen/wohnen-umzug', 200],
  ['service page', SERVICE, 200],
  ['A–Z', '/a-z', 200],
  ['search with results', '/suche?q=Personalausweis', 200, hasSearchResults],
  ['search without results', '/suche?q=xyzzyquux', 200, hasNoSearchResults],
  ['Impressum', '/impressum', 200],
  ['Datenschutz', '/datenschutz', 200],
  ['Barrierefreiheit', '/barrierefreiheit', 200],
  ['Über diese Daten', '/ueber-diese-daten', 200],
  ['404 page', '/diese-seite-gibt-es-nicht', 404],
  // An answer of the Servicekonto that belongs to no login attempt.
  ['login refused', '/anmelden/callback?code=unbekannt&state=unbekannt', 400, loginRefused],
];

/** The citizen's own pages, checked logged in (paths may depend on what `before` set up). */
const CITIZEN_PAGES = [
  ['start page, logged in', '/', 200, loggedIn],
  ['service page, logged in (Merken)', SERVICE, 200, canSaveService],
  ['Mein Bereich', '/mein-bereich', 200, hasFavourite],
  ['Postfach', '/postfach', 200, listsMessages],
  ['Postfach: Archiv', '/postfach?ordner=archiv', 200, listsMessages],
  ['message with attachment', () => `/postfach/${messageId}`, 200, hasAttachment],
  // Consent before the hand-off (or, for an Amt, the request to choose the Gemeinde first).
  ['Online beantragen: consent', '/leistungen/99102013002000/beantragen', 200],
  // After consent: the page whose form posts the token to the form provider (the Amt needs a Gemeinde).
  ['Online beantragen: hand-off page', '/leistungen/99102013002000/beantragen?plz=24363', 200, handOffPage],
  ['Meine Anträge', '/mein-bereich/antraege', 200],
];

/** Extra states of the service page for a tenant with several Gemeinden. */
const AMT_PAGES = [
  // 24363 redirects to ?gemeinde=<ARS> (Holtsee).
  ['service page, Gemeinde chosen', `${SERVICE}?plz=24363`, 200, gemeindeChosen],
  ['service page, several Gemeinden for the postcode', `${SERVICE}?plz=24361`, 200, candidatesShown],
  ['service page, place form with an error', `${SERVICE}?plz=12`, 200, placeError],
  // Civil-status services ask where the event took place; services without a rule say so.
  ['service page, place of the event', '/leistungen/99027002012000-geburtsurkunde-beantragen', 200],
  ['service page, Standesamt of the place of the event', '/leistungen/99027002012000-geburtsurkunde-beantragen?ereignisort=010020000000', 200],
  ['service page, responsibility not recorded', '/leistungen/99102051000000-anmeldung-und-abfuehrung-der-lohnsteuer-durch-den-arbeitgeber?gemeinde=010585890080', 200],
];

async function loginRefused(page) {
  assert.equal((await page.locator('main h1').innerText()).trim(), 'Anmeldung fehlgeschlagen');
}
async function loggedIn(page) {
  assert.equal(await page.locator('.site-header').getByRole('button', { name: 'Abmelden' }).count(), 1, 'logged in');
}
async function canSaveService(page) {
  await loggedIn(page);
  assert.equal(await page.getByRole('button', { name: 'Merken', exact: true }).count(), 1);
}
async function hasFavourite(page) {
  await loggedIn(page);
  assert.equal(await page.locator('main ul.favourites > li').count(), 1, 'one service on the Merkliste');
}
async function listsMessages(page) {
  assert.ok((await page.locator('main table.messages tbody tr').count()) > 0, 'messages are listed');
}
async function handOffPage(page) {
  // Where JavaScript runs, the page sends itself to the provider at once; here it must stay.
  await page.route('**/assets/js/uebergabe.*.js', (r) => r.fulfill({ contentType: 'text/javascript; charset=utf-8', body: '' }));
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
    page.getByRole('button', { name: 'Weiter zum Antragsformular' }).click(),
  ]);
  assert.equal(res.status(), 200, 'the hand-off page');
  await page.getByRole('heading', { level: 1, name: /Weiter zum Antrag/ }).waitFor();
  assert.equal(await page.locator('main form input[type=hidden][name=token]').count(), 1);
}
async function hasAttachment(page) {
  assert.equal(await page.locator('main a[download]').count(), 1, 'an attachment link');
}

async function hasSearchResults(page) {
  assert.ok((await page.locator('main ul.cards > li').count()) > 0, 'the search finds something');
}
async function hasNoSearchResults(page) {
  assert.equal(await page.locator('main ul.cards > li').count(), 0, 'the search finds nothing');
}
async function gemeindeChosen(page) {
  assert.match(page.url(), /[?&]gemeinde=\d{12}/);
  assert.equal(await page.locator('#zustaendig .office-name').count(), 1);
}
async function candidatesShown(page) {
  assert.ok((await page.locator('#zustaendig ul.candidates a').count()) > 1);
}
async function placeError(page) {
  assert.equal(await page.locator('#zustaendig .error-summary').count(), 1, 'an error summary is shown');
  assert.equal(await page.locator('#plz').getAttribute('aria-invalid'), 'true');
}

const SENDER = { name: 'Stadt Kiel, Bürgeramt', credential: 'e2e-a11y-sender-0123456789abcdef' };
const ERIKA_SUB = '5f0c7e1a-3b2d-4c8e-9a61-0e6f2d9b7a01';

let op;
let server;
let browser;
/** Cookies of Erika, logged in on every tenant's host. */
let citizenState;
/** A message to Erika with an attachment. */
let messageId;

async function deliver(id, subject, attachments = []) {
  const res = await server.request(server.url('kiel', '/api/v1/postfach/messages'), {
    method: 'POST',
    headers: { authorization: `Bearer ${SENDER.credential}`, 'content-type': 'application/json' },
    body: JSON.stringify({ recipient: { subject: ERIKA_SUB }, sender_message_id: id, subject, body: 'Guten Tag,\n\nanbei Ihr Bescheid.\n\n- Punkt eins\n- Punkt zwei', attachments }),
  });
  assert.equal(res.status, 201, res.text());
  return res.json().id;
}

/**
 * Logs Erika in on every tenant, delivers messages (one archived), saves a service on
 * the Merkliste, and keeps the cookies.
 */
async function prepareCitizen() {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'de-DE' });
  try {
    const page = await context.newPage();
    const [first, ...others] = Object.keys(TENANTS);
    await page.goto(server.url(first, '/anmelden?next=%2Fmein-bereich'));
    await submitServicekontoLogin(page, {
      username: 'erika',
      password: 'erika-passwort',
      method: 'Benutzername und Passwort (Basisregistrierung)',
      leftProvider: (url) => url.origin !== op.issuer,
    });
    assert.equal(page.url(), server.url(first, '/mein-bereich'));
    for (const tenant of others) {
      // Single sign-on at the provider: straight back.
      await page.goto(server.url(tenant, '/anmelden?next=%2Fmein-bereich'));
      assert.equal(page.url(), server.url(tenant, '/mein-bereich'));
    }
    const pdf = Buffer.from('%PDF-1.4\n% Bescheid\n%%EOF\n').toString('base64');
    messageId = await deliver('a11y-1', 'Ihr Bescheid über die Hundesteuer', [
      { filename: 'Bescheid.pdf', content_type: 'application/pdf', content_base64: pdf },
    ]);
    await deliver('a11y-2', 'Eingangsbestätigung Ihres Antrags');
    const archived = await deliver('a11y-3', 'Terminbestätigung (archiviert)');
    // A service on the Merkliste, so Mein Bereich lists it (with "gemerkt bei" on the other tenants).
    await page.goto(server.url(first, '/leistungen/99102013002000'));
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Merken', exact: true }).click()]);
    await page.goto(server.url(first, `/postfach/${archived}`));
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Archivieren' }).click()]);
    citizenState = await context.storageState();
  } finally {
    await context.close();
  }
}

before(async () => {
  // The provider needs the portal's redirect URIs (with the port) before either starts.
  const port = await freePort();
  const origins = Object.values(TENANTS).map((t) => `http://${t.host}:${port}`);
  op = await startProvider({
    port: 0,
    redirectUris: origins.map((o) => `${o}/anmelden/callback`),
    postLogoutRedirectUris: origins.map((o) => `${o}/`),
  });
  server = await startServer({
    port,
    // Demo mode, as scripts/demo.sh runs it: the demo form provider gives the consent page.
    env: { OIDC_ISSUER: op.issuer, OIDC_CLIENT_SECRET: DEFAULT_CLIENT_SECRET, DEMO: 'true' },
    senders: [SENDER],
  });
  browser = await launchBrowser();
  await prepareCitizen();
});

after(async () => {
  await browser?.close();
  await server?.stop(); // rejects unless the server shuts down gracefully (exit code 0)
  await op?.close();
});

function formatViolations(url, violations) {
  const lines = [`${violations.length} axe violation(s) on ${url}:`];
  for (const v of violations) {
    lines.push(`- ${v.id} (${v.impact}): ${v.help}`, `  ${v.helpUrl}`);
    for (const n of v.nodes) {
      lines.push(`  target: ${n.target.join(' ')}`, `    html: ${n.html}`);
      if (n.failureSummary) lines.push(`    ${n.failureSummary.replace(/\n/g, '\n    ')}`);
    }
  }
  return lines.join('\n');
}

async function checkPage(t, tenant, pathOrFn, status, extra, storageState) {
  const path = typeof pathOrFn === 'function' ? pathOrFn() : pathOrFn;
  // JavaScript only for axe itself (the pages contain no script); the CSP
  // forbids inline scripts, hence bypassCSP for injecting axe.
  const context = await browser.newContext({ bypassCSP: true, locale: 'de-DE', storageState });
  t.after(() => context.close());
  const page = await context.newPage();

  const requests = [];
  const failures = [];
  page.on('request', (r) => requests.push(r));
  page.on('requestfailed', (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    // The document's own status is checked below (the 404 page is meant to be a 404).
    if (!r.request().isNavigationRequest() && r.status() >= 400) failures.push(`${r.url()}: HTTP ${r.status()}`);
  });

  const url = server.url(tenant, path);
  const res = await page.goto(url, { waitUntil: 'load' });
  assert.equal(res.status(), status, `HTTP status of ${url}`);
  await page.evaluate(() => document.fonts.ready);
  if (extra) await extra(page);

  await page.addScriptTag({ path: AXE });
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    WCAG_TAGS,
  );
  assert.ok(results.passes.length > 0, 'axe ran its rules');
  assert.equal(results.violations.length, 0, formatViolations(page.url(), results.violations));
  for (const r of results.incomplete) {
    t.diagnostic(`axe needs review: ${r.id} on ${r.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  const own = new URL(page.url()).host;
  const foreign = requests
    .map((r) => r.url())
    .filter((u) => /^https?:/.test(u) && new URL(u).host !== own);
  assert.deepEqual(foreign, [], `requests to hosts other than ${own}`);
  assert.deepEqual(failures, [], 'subresources that failed to load');
}

for (const tenant of Object.keys(TENANTS)) {
  describe(`accessibility: ${TENANTS[tenant].name} (${tenant})`, () => {
    const pages = tenant === 'huettener-berge' ? [...PAGES, ...AMT_PAGES] : PAGES;
    for (const [name, path, status, extra] of pages) {
      test(`${name} ${path}`, (t) => checkPage(t, tenant, path, status, extra));
    }
    for (const [name, path, status, extra] of CITIZEN_PAGES) {
      const label = typeof path === 'function' ? '' : ` ${path}`;
      test(`${name}${label}`, (t) => checkPage(t, tenant, path, status, extra, citizenState));
    }
  });
}
