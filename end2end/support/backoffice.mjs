// Helpers for the browser tests of the editors' area (/redaktion) and the operator
// console: the staff accounts of the test provider, their login, form submission with
// the final status, and axe-core checks of pages that were rendered without JavaScript.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

import { findByUsername } from '../oidc/users.mjs';
import { submitServicekontoLogin } from './browser.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const PASSWORD_METHOD = 'Benutzername und Passwort (Basisregistrierung)';

/** A test account of oidc/users.mjs: { username, password, sub, name }. */
export function account(username) {
  const u = findByUsername(username);
  if (!u) throw new Error(`no test account ${username}`);
  return { username: u.username, password: u.password, sub: u.sub, name: u.claims.name };
}

export const text = async (locator) => (await locator.innerText()).trim();

/**
 * Clicks `button` (a locator that submits a form or follows a link) and resolves with
 * the response of the page it leads to, after redirects (303 → GET), once it has loaded.
 */
export async function submit(page, button) {
  const [res] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && !(r.status() >= 300 && r.status() < 400),
    ),
    button.click(),
  ]);
  await page.waitForLoadState('load');
  return res;
}

/**
 * Logs a staff member in: `page` opens `startUrl` (a page that needs a login), which leads
 * to the provider's login page; after the login the browser is back at `expectUrl`.
 */
export async function loginStaff(page, { startUrl, user, issuer, expectUrl }) {
  const who = account(user);
  await page.goto(startUrl);
  assert.equal(new URL(page.url()).origin, issuer, `the provider's login page for ${startUrl}`);
  assert.equal(await text(page.locator('h1')), 'Beim Servicekonto anmelden');
  await submitServicekontoLogin(page, {
    username: who.username,
    password: who.password,
    method: PASSWORD_METHOD,
    leftProvider: (url) => url.origin !== issuer,
  });
  if (expectUrl) assert.equal(page.url(), expectUrl, `${user} is back after the login`);
  return who;
}

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

/**
 * axe-core for pages shown without JavaScript. The pages of these tests are often the
 * answer to a POST (a refused form, a conflict), which a second GET would not show. So
 * the checker takes the document as the browser shows it (`page.content()`) and loads it
 * again at the same URL in a context of its own with JavaScript (for axe only), without
 * CSP (so that axe can be injected), and with the page's cookies. Stylesheets, the theme and images load from
 * the server as usual; the document itself comes from the route.
 */
export async function axeChecker(browser) {
  const context = await browser.newContext({ bypassCSP: true, locale: 'de-DE' });
  const axePage = await context.newPage();
  const checked = [];
  return {
    /** URLs checked so far. */
    checked,
    async check(t, page, label = '') {
      const url = page.url();
      const html = await page.content();
      const failures = [];
      const onResponse = (r) => {
        if (r.url() !== url && r.status() >= 400) failures.push(`${r.url()}: HTTP ${r.status()}`);
      };
      const onFailed = (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`);
      const matcher = (u) => u.href === url;
      const handler = (route) =>
        route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
      // The page's cookies: the preview's theme and similar subresources need the login.
      await context.clearCookies();
      await context.addCookies(await page.context().cookies());
      await axePage.route(matcher, handler);
      axePage.on('response', onResponse);
      axePage.on('requestfailed', onFailed);
      try {
        await axePage.goto(url, { waitUntil: 'load' });
        await axePage.evaluate(() => document.fonts.ready);
        await axePage.addScriptTag({ path: AXE });
        const results = await axePage.evaluate(
          (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
          WCAG_TAGS,
        );
        assert.ok(results.passes.length > 0, 'axe ran its rules');
        assert.equal(results.violations.length, 0, formatViolations(`${url} ${label}`, results.violations));
        for (const r of results.incomplete) {
          t.diagnostic(`axe needs review on ${url}: ${r.id} on ${r.nodes.map((n) => n.target.join(' ')).join(', ')}`);
        }
        assert.deepEqual(failures, [], `subresources of ${url} that failed to load`);
        checked.push(url);
      } finally {
        axePage.off('response', onResponse);
        axePage.off('requestfailed', onFailed);
        await axePage.unroute(matcher, handler);
      }
    },
    close: () => context.close(),
  };
}
