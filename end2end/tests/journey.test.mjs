// The citizen's journey to "Wohnsitz anmelden", with JavaScript switched off:
// start page → Lebenslage → service page → responsible office → online form.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TENANTS } from '../support/server.mjs';
import { launchBrowser } from '../support/browser.mjs';

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

/** A fresh page without JavaScript, as the portal must work without it. */
async function newPage(t) {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'de-DE' });
  t.after(() => context.close());
  return context.newPage();
}

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const text = async (locator) => (await locator.innerText()).trim();

/** Start page → "Wohnen & Umzug" → "Wohnsitz anmelden"; returns the LeiKa key from the URL. */
async function openWohnsitzAnmelden(page, tenant) {
  const start = await page.goto(server.url(tenant, '/'));
  assert.equal(start.status(), 200);
  assert.equal(await text(page.locator('.site-header .brand-name')), TENANTS[tenant].name, 'tenant name in the header');

  await page.locator('a[href^="/lebenslagen/"]', { hasText: 'Wohnen & Umzug' }).first().click();
  await page.waitForURL(/\/lebenslagen\/wohnen-umzug/);
  assert.equal(await text(page.locator('h1')), 'Wohnen & Umzug');

  // The service may be listed twice (as a card under "Häufig gebraucht" and in the full list).
  await page.getByRole('main').getByRole('link', { name: 'Wohnsitz anmelden', exact: true }).first().click();
  await page.waitForURL(/\/leistungen\/\d{14}-wohnsitz-anmelden/);
  assert.equal(await text(page.locator('h1')), 'Wohnsitz anmelden');
  assert.equal(await text(page.locator('.site-header .brand-name')), TENANTS[tenant].name, 'tenant name in the header');

  const leika = new URL(page.url()).pathname.match(/^\/leistungen\/(\d{14})-/)[1];
  return leika;
}

async function assertOffice(page, tenant) {
  const responsible = page.locator('section#zustaendig');
  assert.match(await text(responsible.locator('h2')), /Wer ist zuständig\?/);
  assert.equal(await text(responsible.locator('.office-name')), TENANTS[tenant].office, 'responsible office');
}

/** "Online beantragen" points to /beantragen, which answers 303 to the form provider. */
async function assertOnlineLink(page, leika) {
  const link = page.locator('a.online-link');
  assert.equal(await text(link), 'Online beantragen');
  const href = new URL(await link.getAttribute('href'), page.url());
  // The path ends with /beantragen; the chosen Gemeinde may follow as ?gemeinde=…
  assert.match(href.pathname, /\/beantragen$/);
  // Nothing listens at the form provider: check the redirect without following it.
  const res = await page.request.get(...server.direct(href, { maxRedirects: 0 }));
  assert.equal(res.status(), 303);
  const location = res.headers()['location'];
  assert.ok(location?.includes(leika), `Location ${location} names the LeiKa key ${leika}`);
}

describe('journey to "Wohnsitz anmelden" without JavaScript', () => {
  for (const tenant of ['kiel', 'husum']) {
    test(`${tenant}: the office is shown directly`, async (t) => {
      const page = await newPage(t);
      const leika = await openWohnsitzAnmelden(page, tenant);
      assert.equal(await page.locator('form#wohnort').count(), 0, 'a single Gemeinde needs no place form');
      await assertOffice(page, tenant);
      await assertOnlineLink(page, leika);
    });
  }

  test('huettener-berge: postcode 24363 belongs to one Gemeinde', async (t) => {
    const page = await newPage(t);
    const leika = await openWohnsitzAnmelden(page, 'huettener-berge');

    const form = page.locator('form#wohnort');
    assert.equal(await page.locator('#zustaendig .office-name').count(), 0, 'no office before the place is known');
    assert.ok(await form.locator('select#gemeinde').isVisible());
    await form.locator('#plz').fill('24363');
    await form.getByRole('button', { name: 'Zuständige Stelle anzeigen' }).click();

    await page.waitForURL(/[?&]gemeinde=\d{12}/);
    assert.equal(await text(page.locator('h1')), 'Wohnsitz anmelden');
    assert.equal(await page.locator('form#wohnort').count(), 0);
    await assertOffice(page, 'huettener-berge');
    assert.match(await text(page.locator('.site-header .place')), /Ihr Wohnort:.*\bHoltsee$/);
    await assertOnlineLink(page, leika);
  });

  test('huettener-berge: postcode 24361 lets the citizen choose among several Gemeinden', async (t) => {
    const page = await newPage(t);
    await openWohnsitzAnmelden(page, 'huettener-berge');

    await page.locator('#plz').fill('24361');
    await page.locator('form#wohnort').getByRole('button', { name: 'Zuständige Stelle anzeigen' }).click();
    await page.waitForURL(/[?&]plz=24361/);

    const choices = page.locator('#zustaendig ul.candidates a');
    await choices.first().waitFor();
    const names = (await choices.allInnerTexts()).map((s) => s.trim());
    assert.ok(names.length > 1, `several Gemeinden to choose from, got ${JSON.stringify(names)}`);
    for (const href of await choices.evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
      assert.match(href, /[?&]gemeinde=\d{12}/);
    }
    assert.equal(await page.locator('#zustaendig .office-name').count(), 0, 'no office before a Gemeinde is chosen');

    const chosen = names[1];
    await page.locator('#zustaendig ul.candidates').getByRole('link', { name: chosen, exact: true }).click();
    await page.waitForURL(/[?&]gemeinde=\d{12}/);
    await assertOffice(page, 'huettener-berge');
    assert.match(await text(page.locator('.site-header .place')), new RegExp(`Ihr Wohnort:.*${escapeRegExp(chosen)}$`));
  });
});
