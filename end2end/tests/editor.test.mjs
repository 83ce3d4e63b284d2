// The editors' area (/redaktion, issue 12) in headless Chromium with JavaScript switched
// off: an editor logs in at the test provider's second client (`redaktion`), changes the
// colours, features a service, adds a local fee to a catalogue service, looks at the
// preview, publishes, and citizens see it; contrast refusals keep the form; two editors
// saving the same item lose nothing; a restore brings back an earlier version; script in
// editable fields never runs on citizen or editor pages; a citizen's session, or an
// editor of another tenant, gets no access. axe-core checks every editor page visited.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_EDITOR_CLIENT_SECRET, editorClientUris, startProvider,
} from '../oidc/provider.mjs';
import { freePort, startServer, TENANTS } from '../support/server.mjs';
import { cookieHeader, launchBrowser, submitServicekontoLogin } from '../support/browser.mjs';
import { PASSWORD_METHOD, account, axeChecker, loginStaff, submit, text } from '../support/backoffice.mjs';

const ANNA = account('anna'); // Verwaltung (admin) in Kiel
const BEN = account('ben'); // Redaktion (editor) in Kiel
const ERIKA = account('erika'); // a citizen

const WOHNSITZ = '99115005104000';
const WOHNSITZ_PATH = `/leistungen/${WOHNSITZ}-wohnsitz-anmelden`;
const HUNDESTEUER_NAME = 'Hund anmelden (Hundesteuer)';
const HUNDESTEUER = '99102013002000';

const SAVE = 'Als Entwurf speichern';
const SAVED_NOTICE = /^Entwurf gespeichert\./;

let op;
let server;
let browser;
let axe;

before(async () => {
  // The provider needs the portal's redirect URIs (port included) before it starts.
  const port = await freePort();
  const hosts = Object.values(TENANTS).map((t) => t.host);
  op = await startProvider({
    port: 0,
    redirectUris: hosts.map((h) => `http://${h}:${port}/anmelden/callback`),
    postLogoutRedirectUris: hosts.map((h) => `http://${h}:${port}/`),
    ...editorClientUris({ port, tenantHosts: hosts }),
  });
  server = await startServer({
    port,
    env: { OIDC_ISSUER: op.issuer, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: DEFAULT_CLIENT_SECRET },
    editorOidc: { issuer: op.issuer, clientSecret: DEFAULT_EDITOR_CLIENT_SECRET },
    editorGrants: [
      { tenant: 'kiel', subject: ANNA.sub, role: 'admin' },
      { tenant: 'kiel', subject: BEN.sub, role: 'editor' },
    ],
  });
  browser = await launchBrowser();
  axe = await axeChecker(browser);
});

after(async () => {
  await axe?.close();
  await browser?.close();
  await server?.stop(); // rejects unless the server shuts down gracefully (exit code 0)
  await op?.close();
});

// ---------------------------------------------------------------------------------------
// Helpers

/** A fresh browser context without JavaScript, closed after the test. */
async function newContext(t, options = {}) {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'de-DE', ...options });
  t.after(() => context.close());
  return context;
}

const kiel = (path) => server.url('kiel', path);

/** Logs `user` into the editors' area of `tenant` in a fresh context; returns the page. */
async function editor(t, user, tenant = 'kiel') {
  const context = await newContext(t);
  const page = await context.newPage();
  const who = await loginStaff(page, {
    startUrl: server.url(tenant, '/redaktion'),
    user,
    issuer: op.issuer,
    expectUrl: server.url(tenant, '/redaktion'),
  });
  assert.match(await text(page.locator('.editor-who')), new RegExp(`angemeldet als\\s+${who.name}`));
  return page;
}

/** Opens an editor page (status 200) and checks it with axe. */
async function visit(t, page, path, status = 200) {
  const res = await page.goto(new URL(path, page.url()).href);
  assert.equal(res.status(), status, `HTTP status of ${path}`);
  await axe.check(t, page);
  return res;
}

/** Submits the page's main form ("Als Entwurf speichern"); checks the answer with axe. */
async function saveDraft(t, page, status = 200) {
  const res = await submit(page, page.getByRole('button', { name: SAVE, exact: true }));
  assert.equal(res.status(), status, `answer to saving on ${page.url()}`);
  if (status === 200) {
    assert.match(new URL(page.url()).search, /gespeichert=1/);
    assert.match(await text(page.locator('main p.notice')), SAVED_NOTICE);
  }
  await axe.check(t, page, `(after saving, ${status})`);
  return res;
}

/** Presses "Veröffentlichen" on an edit page; the item's edit page comes back. */
async function publishHere(t, page) {
  const res = await submit(page, page.getByRole('button', { name: 'Veröffentlichen', exact: true }));
  assert.equal(res.status(), 200, `publishing from ${page.url()}`);
  assert.ok(await page.locator('main ul.status li', { hasText: /^Veröffentlicht: Fassung \d+\.$/ }).count(), 'the item is published');
  await axe.check(t, page, '(after publishing)');
}

/** A citizen page as an anonymous visitor without JavaScript. */
async function citizenPage(t, path, tenant = 'kiel') {
  const page = await (await newContext(t)).newPage();
  const res = await page.goto(server.url(tenant, path));
  return { page, res };
}

function isoDay(offsetDays) {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** The theme (CSS custom properties) the page links, fetched with the page's cookies. */
async function themeOf(page) {
  const href = await page.locator('link[rel=stylesheet][href*="theme.css"]').getAttribute('href');
  const url = new URL(href, page.url()).href;
  const res = await server.request(url, { headers: { cookie: await cookieHeader(page.context(), url) } });
  assert.equal(res.status, 200, url);
  return res.text();
}

// ---------------------------------------------------------------------------------------

describe('editors\' area (JavaScript off)', () => {
  test('an admin changes the colour, features a service, adds a local fee, previews, publishes; citizens see it', async (t) => {
    const page = await editor(t, 'anna');
    await axe.check(t, page, '(dashboard)');
    assert.equal(await text(page.locator('main h1')), 'Redaktion');
    assert.match(await text(page.locator('main p.lead')), /Ihre Rolle in diesem Portal: /);

    // Colours and tagline (Darstellung).
    await Promise.all([page.waitForURL(/\/redaktion\/darstellung$/), page.locator('.editor-nav').getByRole('link', { name: 'Darstellung' }).click()]);
    await axe.check(t, page, '(Darstellung)');
    assert.equal(await page.locator('#feld-primary').inputValue(), '#00508c', 'the published colour');
    await page.locator('#feld-primary').fill('#6b2c91');
    await page.locator('#feld-tagline').fill('Ihr Rathaus im Netz');
    await saveDraft(t, page);
    assert.equal(await page.locator('#feld-primary').inputValue(), '#6b2c91', 'the draft is shown');

    // A featured service on the start page.
    await visit(t, page, '/redaktion/startseite');
    const featured = page.locator('#feld-featured');
    const before = await featured.inputValue();
    assert.doesNotMatch(before, new RegExp(HUNDESTEUER), 'not featured yet');
    await featured.fill(`${before.trim()}\n${HUNDESTEUER}`);
    await saveDraft(t, page);
    assert.match(await featured.inputValue(), new RegExp(`${HUNDESTEUER_NAME.replace(/[()]/g, '\\$&')} \\(${HUNDESTEUER}\\)`));

    // A local addition (fee) to a catalogue service: found by its name.
    await visit(t, page, '/redaktion/leistungen');
    await page.locator('#feld-leistung').fill('Wohnsitz anmelden');
    const found = await submit(page, page.getByRole('button', { name: 'Ergänzung bearbeiten' }));
    assert.equal(found.status(), 200);
    assert.equal(new URL(page.url()).pathname, `/redaktion/leistungen/${WOHNSITZ}`);
    await axe.check(t, page, '(addition form)');
    assert.equal(await text(page.locator('main h1')), 'Ergänzung zu „Wohnsitz anmelden“');
    await page.locator('#feld-fees').fill('Die Meldebescheinigung kostet bei uns **7 Euro**.');
    await saveDraft(t, page);

    // Not yet for citizens.
    {
      const { page: citizen, res } = await citizenPage(t, WOHNSITZ_PATH);
      assert.equal(res.status(), 200);
      assert.equal(await citizen.locator('#vorort-gebuehren-titel').count(), 0, 'no local fee before publishing');
      const { page: home } = await citizenPage(t, '/');
      assert.doesNotMatch(await themeOf(home), /#6b2c91/);
    }

    // The preview shows the drafts.
    await Promise.all([page.waitForURL(/\/redaktion\/vorschau\//), page.getByRole('link', { name: 'Vorschau mit allen Entwürfen' }).click()]);
    assert.equal(new URL(page.url()).pathname, `/redaktion/vorschau${WOHNSITZ_PATH}`);
    await axe.check(t, page, '(preview of the service page)');
    assert.match(await text(page.locator('.preview-banner')), /^Vorschau/);
    const previewFee = page.locator('section[aria-labelledby="vorort-gebuehren-titel"]');
    assert.match(await text(previewFee), /Die Meldebescheinigung kostet bei uns 7 Euro\./);
    assert.equal(await text(previewFee.locator('strong')), '7 Euro');
    await visit(t, page, '/redaktion/vorschau');
    assert.equal(await page.locator('section[aria-labelledby="beliebt-titel"]').getByRole('link', { name: HUNDESTEUER_NAME }).count(), 1, 'featured in the preview');
    assert.equal(await text(page.locator('.site-header .brand-tagline')), 'Ihr Rathaus im Netz');
    assert.match(await themeOf(page), /--brand:#6b2c91/, 'the preview has the new colour');
    // Links in the preview stay in the preview.
    const links = await page.locator('main a[href^="/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(links.length > 0);
    assert.deepEqual(links.filter((h) => !h.startsWith('/redaktion/')), [], 'internal links lead on through the preview');

    // Publish all three drafts from the list of drafts.
    await visit(t, page, '/redaktion/entwuerfe');
    const rows = page.locator('main ul.editor-list > li');
    assert.equal(await rows.count(), 3, 'three drafts wait');
    for (let i = 0; i < 3; i += 1) {
      await visit(t, page, '/redaktion/entwuerfe');
      const res = await submit(page, page.locator('main ul.editor-list > li').first().getByRole('button', { name: 'Veröffentlichen' }));
      assert.equal(res.status(), 200);
      await axe.check(t, page, '(after publishing from the list)');
    }
    await visit(t, page, '/redaktion/entwuerfe');
    assert.equal(await text(page.locator('main section p').last()), 'Keine offenen Entwürfe.');

    // Citizens see all of it.
    const { page: home, res } = await citizenPage(t, '/');
    assert.equal(res.status(), 200);
    assert.match(await themeOf(home), /--brand:#6b2c91/, 'the new colour');
    assert.equal(await text(home.locator('.site-header .brand-tagline')), 'Ihr Rathaus im Netz');
    const cards = home.locator('section[aria-labelledby="beliebt-titel"]');
    assert.equal(await cards.getByRole('link', { name: HUNDESTEUER_NAME }).count(), 1, 'the featured service');
    const { page: service } = await citizenPage(t, WOHNSITZ_PATH);
    const fee = service.locator('section[aria-labelledby="vorort-gebuehren-titel"]');
    assert.equal(await text(fee.locator('h3')), 'Gebühren vor Ort');
    assert.equal(await text(fee.locator('strong')), '7 Euro');
    assert.match(await text(service.locator('#vorort-titel')), /Gut zu wissen bei Landeshauptstadt Kiel/);
  });

  test('a colour pair with too little contrast is refused and the form keeps what was typed', async (t) => {
    const page = await editor(t, 'anna');
    await visit(t, page, '/redaktion/darstellung');
    const rev = await page.locator('form.editor-form input[name=rev]').first().inputValue();
    await page.locator('#feld-primary').fill('#ffee00'); // white text on yellow: far below 4.5:1
    await page.locator('#feld-accent').fill('#f0f0f0'); // against white: far below 3:1
    await page.locator('#feld-tagline').fill('Unterzeile, die nicht verloren gehen darf');
    await page.locator('#feld-contact_phone').fill('040 66969-123');
    await saveDraft(t, page, 422);

    const summary = page.locator('main .error-summary');
    assert.equal(await text(summary.locator('h2')), 'Bitte korrigieren Sie Ihre Angaben');
    const hrefs = await summary.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(hrefs.includes('#feld-primary'), `the summary links to the primary colour: ${hrefs}`);
    assert.ok(hrefs.includes('#feld-accent'), `the summary links to the accent colour: ${hrefs}`);
    assert.match(await text(summary), /Kontrast \d+,?\.?\d*:1, nötig sind mindestens/);
    for (const [field, value] of [
      ['primary', '#ffee00'],
      ['accent', '#f0f0f0'],
      ['tagline', 'Unterzeile, die nicht verloren gehen darf'],
      ['contact_phone', '040 66969-123'],
    ]) {
      assert.equal(await page.locator(`#feld-${field}`).inputValue(), value, `${field} keeps its value`);
    }
    assert.equal(await page.locator('#feld-primary').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#feld-primary').getAttribute('aria-describedby'), /feld-primary-fehler/);
    assert.match(await text(page.locator('#feld-primary-fehler')), /Kontrast/);
    assert.equal(await page.locator('form.editor-form input[name=rev]').first().inputValue(), rev, 'the same revision');

    // Nothing was saved: no draft, and citizens keep the colours.
    await visit(t, page, '/redaktion/darstellung');
    assert.notEqual(await page.locator('#feld-primary').inputValue(), '#ffee00');
    assert.notEqual(await page.locator('#feld-tagline').inputValue(), 'Unterzeile, die nicht verloren gehen darf');
    const { page: home } = await citizenPage(t, '/');
    assert.doesNotMatch(await themeOf(home), /#ffee00/);

    // A header link with a javascript: URL is refused the same way.
    await page.locator('#feld-header_links').fill('Böser Link | javascript:alert(document.cookie)');
    await saveDraft(t, page, 422);
    assert.match(await text(page.locator('#feld-header_links-fehler')), /https:\/\/ oder \//);
    assert.equal(await page.locator('#feld-header_links').inputValue(), 'Böser Link | javascript:alert(document.cookie)');
  });

  test('two editors save the same item at once: the second sees both versions, nothing is lost', async (t) => {
    const anna = await editor(t, 'anna');
    const ben = await editor(t, 'ben');
    for (const page of [anna, ben]) await visit(t, page, '/redaktion/rechtliches/datenschutz');
    const annasText = 'Datenschutz: Verantwortlich ist die Landeshauptstadt Kiel (Text von Anna).';
    const bensText = 'Datenschutz: Die Datenschutzbeauftragte erreichen Sie unter datenschutz@kiel.example (Text von Ben).';

    await anna.locator('#feld-markdown').fill(annasText);
    await saveDraft(t, anna);

    await ben.locator('#feld-markdown').fill(bensText);
    await saveDraft(t, ben, 409);
    const conflict = ben.locator('main section.conflict');
    assert.equal(await text(conflict.locator('h2')), 'Jemand anderes hat inzwischen gespeichert');
    assert.match(await text(conflict.locator('p')), new RegExp(`^${ANNA.name} hat diesen Inhalt gespeichert`));
    assert.equal((await conflict.locator('dd').textContent()).trim(), annasText, 'Anna\'s version is shown');
    assert.equal(await ben.locator('#feld-markdown').inputValue(), bensText, 'Ben\'s text stays in the form');

    // Ben takes both and saves again: now it is based on Anna's draft.
    await ben.locator('#feld-markdown').fill(`${annasText}\n\n${bensText}`);
    await saveDraft(t, ben);
    assert.equal(await ben.locator('main .editor-actions').getByRole('button', { name: 'Veröffentlichen' }).count(), 0, 'an editor (not admin) cannot publish');

    // Anna's form is now stale too: her next save conflicts, with Ben's merged text shown.
    await anna.locator('#feld-markdown').fill(`${annasText} Ergänzt.`);
    await saveDraft(t, anna, 409);
    assert.match(await text(anna.locator('main section.conflict p')), new RegExp(`^${BEN.name} hat`));
    assert.equal((await anna.locator('main section.conflict dd').textContent()).trim(), `${annasText}\n\n${bensText}`);
    await visit(t, anna, '/redaktion/rechtliches/datenschutz');
    await publishHere(t, anna);

    const { page: citizen } = await citizenPage(t, '/datenschutz');
    const body = await text(citizen.locator('main'));
    assert.ok(body.includes(annasText) && body.includes(bensText), 'both texts are published');

    // The audit log names both.
    await visit(t, anna, '/redaktion/protokoll');
    const log = await text(anna.locator('main table.audit tbody'));
    assert.ok(log.includes(ANNA.name) && log.includes(BEN.name), 'the audit log names both editors');
  });

  test('a restore brings back an earlier version', async (t) => {
    const page = await editor(t, 'anna');
    const first = 'Impressum, Fassung eins: Herausgeberin ist die Landeshauptstadt Kiel.';
    const second = 'Impressum, Fassung zwei: Herausgeber ist die Redaktion Bürgerportal.';
    for (const version of [first, second]) {
      await visit(t, page, '/redaktion/rechtliches/impressum');
      await page.locator('#feld-markdown').fill(version);
      await saveDraft(t, page);
      await publishHere(t, page);
    }
    {
      const { page: citizen } = await citizenPage(t, '/impressum');
      assert.match(await text(citizen.locator('main')), /Fassung zwei/);
    }

    await Promise.all([page.waitForURL(/\/verlauf$/), page.getByRole('link', { name: 'Verlauf und frühere Fassungen' }).click()]);
    await axe.check(t, page, '(history)');
    assert.equal(await text(page.locator('main h1')), 'Verlauf: Impressum');
    assert.equal(await page.getByRole('button', { name: 'Fassung 2 als Entwurf wiederherstellen' }).count(), 0, 'the published version needs no restore');
    const res = await submit(page, page.getByRole('button', { name: 'Fassung 1 als Entwurf wiederherstellen' }));
    assert.equal(res.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/redaktion/rechtliches/impressum');
    await axe.check(t, page, '(after restoring)');
    assert.equal(await page.locator('#feld-markdown').inputValue(), first, 'the restored text is the draft');
    {
      const { page: citizen } = await citizenPage(t, '/impressum');
      assert.match(await text(citizen.locator('main')), /Fassung zwei/, 'a restore is a draft until published');
    }
    await publishHere(t, page);
    const { page: citizen } = await citizenPage(t, '/impressum');
    const body = await text(citizen.locator('main'));
    assert.match(body, /Fassung eins/);
    assert.doesNotMatch(body, /Fassung zwei/);
  });

  test('script in editable fields never runs, on citizen pages nor in the editors\' area', async (t) => {
    const page = await editor(t, 'anna');
    const payload = [
      'Erklärung zur Barrierefreiheit. <script>window.__xss = "script"; alert("script")</script>',
      '',
      '<img src="/gibt-es-nicht.png" onerror="window.__xss = \'onerror\'; alert(\'onerror\')">',
      '',
      '[Markdown-Link](javascript:alert("markdown-link"))',
      '',
      '<a href="javascript:alert(\'html-link\')">HTML-Link</a> <a href="jAvAsCrIpT&colon;alert(1)">Verschleiert</a>',
      '',
      '<iframe src="javascript:alert(\'iframe\')"></iframe><svg><script>alert("svg")</script></svg>',
      '<details open ontoggle="alert(\'toggle\')"><summary>Mehr</summary></details>',
      '',
      // Breaking out of the editor's own textarea; entities must stay as typed.
      '</textarea><script>alert("textarea")</script><img src=x onerror="alert(\'textarea-img\')"> &amp; &lt;b&gt;',
      '',
      '[Sicherer Link](https://www.kiel.example/barrierefreiheit)',
    ].join('\n');

    await visit(t, page, '/redaktion/rechtliches/barrierefreiheit');
    await page.locator('#feld-markdown').fill(payload);
    await saveDraft(t, page);
    assert.equal(await page.locator('#feld-markdown').inputValue(), payload, 'the editor sees exactly what was typed');
    assert.equal(await page.locator('main textarea').count(), 1, 'the text stays inside its textarea');
    assert.equal(await page.locator('main img, main script').count(), 0, 'no markup from the text on the edit page');
    const draftPage = page.url();
    await publishHere(t, page);

    // An announcement with script in its title and text.
    await visit(t, page, '/redaktion/meldungen');
    await Promise.all([page.waitForURL(/\/redaktion\/meldungen\/neu$/), page.getByRole('link', { name: 'Neue Meldung schreiben' }).click()]);
    await axe.check(t, page, '(new announcement)');
    const title = '<img src=x onerror="alert(\'titel\')">Sommerfest<script>alert("titel")</script>';
    await page.locator('#feld-title').fill(title);
    await page.locator('#feld-markdown').fill(`Am Rathaus. <script>alert("meldung")</script>\n\n[Programm](javascript:alert("meldung-link"))`);
    await page.locator('#feld-starts').fill(isoDay(-1));
    await page.locator('#feld-ends').fill(isoDay(7));
    await saveDraft(t, page);
    const newsEditPage = page.url();
    await publishHere(t, page);

    // The pages, with JavaScript on and the CSP switched off: only the sanitiser and the
    // escaping stand between the editor's text and the browser.
    const context = await browser.newContext({
      bypassCSP: true,
      locale: 'de-DE',
      storageState: await page.context().storageState(),
    });
    t.after(() => context.close());
    await context.addInitScript(() => {
      window.alert = (m) => {
        window.__alerts = [...(window.__alerts ?? []), String(m)];
      };
    });
    const checker = await context.newPage();
    const dialogs = [];
    checker.on('dialog', (d) => {
      dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    const pages = [
      kiel('/barrierefreiheit'),
      kiel('/'),
      kiel(new URL(draftPage).pathname),
      kiel(new URL(newsEditPage).pathname),
      kiel('/redaktion/vorschau/barrierefreiheit'),
      kiel('/redaktion/protokoll'),
      kiel('/redaktion/inhalt/legal/barrierefreiheit/verlauf'),
    ];
    for (const url of pages) {
      const res = await checker.goto(url, { waitUntil: 'load' });
      assert.equal(res.status(), 200, url);
      await checker.waitForTimeout(200);
      const state = await checker.evaluate(() => ({
        xss: window.__xss,
        alerts: window.__alerts ?? [],
        scriptsInContent: document.querySelectorAll('main script, main iframe, .prose svg, [onerror], [ontoggle], [onload]').length,
        javascriptLinks: [...document.querySelectorAll('a[href]')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href'))).length,
      }));
      assert.deepEqual(state, { xss: undefined, alerts: [], scriptsInContent: 0, javascriptLinks: 0 }, url);
    }

    // On the citizen page the text is there, the markup is not.
    await checker.goto(kiel('/barrierefreiheit'));
    const prose = checker.locator('main');
    assert.match(await text(prose), /Erklärung zur Barrierefreiheit\./);
    assert.equal(await prose.getByRole('link', { name: 'Sicherer Link' }).getAttribute('href'), 'https://www.kiel.example/barrierefreiheit');
    // The dropped links stay as inert text: clicking does nothing.
    const inert = prose.locator('a', { hasText: 'Markdown-Link' });
    assert.equal(await inert.count(), 1);
    assert.equal(await inert.getAttribute('href'), null, 'no href');
    await inert.click();
    await checker.waitForTimeout(200);
    assert.deepEqual(await checker.evaluate(() => window.__alerts ?? []), []);

    // The announcement's title is shown as text.
    await checker.goto(kiel('/'));
    const news = checker.locator('section.news article.news-item');
    assert.equal(await news.count(), 1);
    assert.equal(await text(news.locator('h3')), title);
    assert.equal(await news.locator('img').count(), 0);
    assert.match(await text(news.locator('.prose')), /Am Rathaus\./);
    assert.deepEqual(dialogs, [], 'no dialog opened');
  });

  test('every page of the editors\' navigation passes axe; an office and a local service reach citizens', async (t) => {
    const page = await editor(t, 'anna');
    const nav = await page.locator('.editor-nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(nav, [
      '/redaktion', '/redaktion/entwuerfe', '/redaktion/darstellung', '/redaktion/startseite', '/redaktion/meldungen',
      '/redaktion/leistungen', '/redaktion/stellen', '/redaktion/rechtliches/impressum', '/redaktion/protokoll', '/redaktion/team',
    ]);
    for (const path of [...nav, '/redaktion/rechtliches/datenschutz', '/redaktion/rechtliches/barrierefreiheit']) {
      await visit(t, page, path);
      assert.equal(await page.locator(`.editor-nav a[aria-current="page"]`).count() <= 1, true);
    }

    // Team: an invitation link, shown once.
    await visit(t, page, '/redaktion/team');
    const invited = await submit(page, page.getByRole('button', { name: 'Einladungslink erzeugen' }));
    assert.equal(invited.status(), 200);
    await axe.check(t, page, '(invitation created)');
    assert.match(await text(page.locator('main p.notice')), new RegExp(`${kiel('/redaktion/einladung/').replace(/[.]/g, '\\.')}[A-Za-z0-9_-]+`));

    // A new office, then a local service that refers to it.
    await visit(t, page, '/redaktion/stellen');
    await Promise.all([page.waitForURL(/\/redaktion\/stellen\/neu$/), page.getByRole('link', { name: 'Neue Stelle anlegen' }).click()]);
    await axe.check(t, page, '(new office)');
    await page.locator('#feld-name').fill('Bürgerbüro Mitte');
    await page.locator('#feld-street').fill('Andreas-Gayk-Straße 31');
    await page.locator('#feld-postcode').fill('24103');
    await page.locator('#feld-city').fill('Kiel');
    await page.locator('#feld-opening_hours').fill('Mo–Fr 08:00–12:00');
    await saveDraft(t, page);
    await publishHere(t, page);

    await visit(t, page, '/redaktion/leistungen');
    await Promise.all([page.waitForURL(/\/redaktion\/eigene-leistungen\/neu$/), page.getByRole('link', { name: 'Neue eigene Leistung anlegen' }).click()]);
    await axe.check(t, page, '(new local service)');
    await page.locator('#feld-name').fill('Sperrmüll anmelden');
    await page.locator('#feld-short_text').fill('Sperrmüll holt die Stadt zweimal im Jahr kostenlos ab.');
    await page.locator('#feld-text').fill('Melden Sie **bis zu drei Kubikmeter** an.');
    await page.locator('#feld-lebenslagen').fill('Wohnen & Umzug');
    await page.locator('#feld-office').selectOption({ label: 'Bürgerbüro Mitte' });
    await saveDraft(t, page);
    const key = new URL(page.url()).pathname.split('/').pop();
    assert.notEqual(key, 'neu');
    await publishHere(t, page);

    const { page: citizen, res } = await citizenPage(t, `/leistungen/lokal/${key}`);
    assert.equal(res.status(), 200);
    assert.equal(await text(citizen.locator('main h1')), 'Sperrmüll anmelden');
    const body = await text(citizen.locator('main'));
    assert.match(body, /bis zu drei Kubikmeter/);
    assert.match(body, /Bürgerbüro Mitte/);
  });

  test('a citizen\'s session gives no access to /redaktion, nor does a role in another tenant', async (t) => {
    // Erika logs in as a citizen.
    const context = await newContext(t);
    const page = await context.newPage();
    await page.goto(kiel('/anmelden?next=%2Fmein-bereich'));
    await submitServicekontoLogin(page, {
      username: ERIKA.username,
      password: ERIKA.password,
      method: PASSWORD_METHOD,
      leftProvider: (url) => url.origin !== op.issuer,
    });
    assert.equal(page.url(), kiel('/mein-bereich'));
    const citizen = (await context.cookies(kiel('/'))).find((c) => c.name === 'bp_session');
    assert.ok(citizen, 'the citizen session cookie');

    // /redaktion sends her to the editors' login; the provider does not let her session
    // through to the editors' client, and refuses her account there.
    await page.goto(kiel('/redaktion'));
    assert.equal(new URL(page.url()).origin, op.issuer, 'the provider asks for a login');
    assert.match(await text(page.locator('main')), /beim Bürgerportal \(Redaktion und Betrieb\) an/);
    await page.locator('#benutzername').fill(ERIKA.username);
    await page.locator('#passwort').fill(ERIKA.password);
    await page.getByLabel(PASSWORD_METHOD, { exact: true }).check();
    const refused = await submit(page, page.getByRole('button', { name: 'Anmelden', exact: true }));
    assert.equal(refused.status(), 400);
    assert.match(await text(page.locator('main')), /Mit diesem Konto können Sie sich nicht beim Bürgerportal \(Redaktion und Betrieb\) anmelden\./);

    // The server: the citizen session, under either cookie name, is no editor session.
    for (const cookie of [`bp_session=${citizen.value}`, `bp_redaktion=${citizen.value}`, await cookieHeader(context, kiel('/redaktion'))]) {
      for (const path of ['/redaktion', '/redaktion/darstellung', '/redaktion/team']) {
        const res = await server.request(kiel(path), { headers: { cookie } });
        assert.equal(res.status, 303, `${path} with ${cookie.split('=')[0]}`);
        assert.match(res.headers.location, /^\/redaktion\/anmelden\?next=/);
      }
      const post = await server.request(kiel('/redaktion/rechtliches/impressum'), {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ markdown: 'Übernommen!', rev: '0', csrf: 'x' }).toString(),
      });
      assert.equal(post.status, 303);
      assert.equal(post.headers.location, '/redaktion/anmelden?next=%2Fredaktion');
    }
    const { page: impressum } = await citizenPage(t, '/impressum');
    assert.doesNotMatch(await text(impressum.locator('main')), /Übernommen!/);

    // Ben is an editor in Kiel, not in Husum: logged in there, he has no role.
    const husum = await (await newContext(t)).newPage();
    await loginStaff(husum, { startUrl: server.url('husum', '/redaktion'), user: 'ben', issuer: op.issuer });
    assert.equal(husum.url(), server.url('husum', '/redaktion'));
    const res = await husum.reload();
    assert.equal(res.status(), 403);
    assert.match(await text(husum.locator('main')), /haben in diesem Portal aber keine Rolle/);
    await axe.check(t, husum, '(no role)');

    // In Kiel Ben is an editor: no team page, no publishing.
    const ben = await editor(t, 'ben');
    assert.equal(await ben.locator('.editor-nav').getByRole('link', { name: 'Team' }).count(), 0);
    await visit(t, ben, '/redaktion/team', 403);
    assert.match(await text(ben.locator('main')), /Das dürfen nur Personen mit der Rolle Verwaltung/);
  });
});
