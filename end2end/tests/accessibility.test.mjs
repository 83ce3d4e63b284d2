// Every page type of every tenant: zero axe-core violations of WCAG 2.1 A/AA,
// every subresource from the page's own host (self-hosted fonts and icons),
// and every subresource loads.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, TENANTS } from '../support/server.mjs';
import { launchBrowser } from '../support/browser.mjs';

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
];

/** Extra states of the service page for a tenant with several Gemeinden. */
const AMT_PAGES = [
  // 24363 redirects to ?gemeinde=<ARS> (Holtsee).
  ['service page, Gemeinde chosen', `${SERVICE}?plz=24363`, 200, gemeindeChosen],
  ['service page, several Gemeinden for the postcode', `${SERVICE}?plz=24361`, 200, candidatesShown],
  ['service page, place form with an error', `${SERVICE}?plz=12`, 200, placeError],
];

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

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop(); // rejects unless the server shuts down gracefully (exit code 0)
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

async function checkPage(t, tenant, path, status, extra) {
  // JavaScript only for axe itself (the pages contain no script); the CSP
  // forbids inline scripts, hence bypassCSP for injecting axe.
  const context = await browser.newContext({ bypassCSP: true, locale: 'de-DE' });
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
  });
}
