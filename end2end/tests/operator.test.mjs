// The operator console (issue 13) in headless Chromium with JavaScript switched off:
// an operator onboards a municipality through the console; going live is refused while
// the checklist is open, and the console says what is missing; the first admin, invited
// by the console's link, writes the legal pages, the contact and the logo in the editors'
// area; then go-live, suspend (citizens see the maintenance page), resume, export (a JSON
// download) and delete (a report). axe-core checks every console page visited. The
// console's routes do not exist on a tenant's host, and an editor without the operator
// role gets no access.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

import { DEFAULT_EDITOR_CLIENT_SECRET, editorClientUris, startProvider } from '../oidc/provider.mjs';
import { freePort, startServer } from '../support/server.mjs';
import { cookieHeader, launchBrowser } from '../support/browser.mjs';
import { account, axeChecker, loginStaff, submit, text } from '../support/backoffice.mjs';

const OLGA = account('olga'); // operator
const ANNA = account('anna'); // admin in Kiel, no operator
// frieda has no role: the console's invitation link makes her the first admin.

const CONSOLE = 'betrieb.localhost';
/** Flensburg: a kreisfreie Stadt of Schleswig-Holstein that is no demo tenant. */
const FLENSBURG_ARS = '010010000000';
const FLENSBURG = 'flensburg.localhost';
const PHONE = '040 66969-200';

let op;
let server;
let browser;
let axe;
let port;

before(async () => {
  port = await freePort();
  op = await startProvider({
    port: 0,
    ...editorClientUris({ port, tenantHosts: ['kiel.localhost', FLENSBURG], consoleHosts: [CONSOLE] }),
  });
  server = await startServer({
    port,
    editorOidc: { issuer: op.issuer, clientSecret: DEFAULT_EDITOR_CLIENT_SECRET },
    operatorHosts: [CONSOLE],
    editorGrants: [{ tenant: 'kiel', subject: ANNA.sub, role: 'admin' }],
    operatorGrants: [OLGA.sub],
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

const at = (host, path = '/') => `http://${host}:${port}${path}`;

async function newPage(t) {
  const context = await browser.newContext({ javaScriptEnabled: false, locale: 'de-DE' });
  t.after(() => context.close());
  return context.newPage();
}

/** Opens a page (expected status) and checks it with axe. */
async function visit(t, page, url, status = 200) {
  const res = await page.goto(url);
  assert.equal(res.status(), status, `HTTP status of ${url}`);
  await axe.check(t, page);
  return res;
}

/** Presses a button; checks the status of the page it leads to, and that page with axe. */
async function press(t, page, button, status = 200) {
  const res = await submit(page, button);
  assert.equal(res.status(), status, `answer after pressing on ${page.url()}`);
  await axe.check(t, page);
  return res;
}

/** Every internal link on the page answers below 400 (with the page's cookies). */
async function assertLinksWork(page) {
  const hrefs = await page.locator('a[href^="/"]').evaluateAll((as) => [...new Set(as.map((a) => a.getAttribute('href')))]);
  assert.ok(hrefs.length > 0);
  const cookie = await cookieHeader(page.context(), page.url());
  for (const href of hrefs) {
    const url = new URL(href, page.url()).href;
    const res = await server.request(url, { headers: { cookie } });
    assert.ok(res.status < 400, `link ${href} on ${page.url()} answers ${res.status}`);
  }
}

/** The checklist lines of the console's tenant page. */
async function checklist(page) {
  return (await page.locator('main ul.status li').allInnerTexts()).map((s) => s.trim());
}

/** A citizen's view of a page on a tenant host (no cookies, no JavaScript). */
async function citizen(t, host, path = '/') {
  const page = await newPage(t);
  const res = await page.goto(at(host, path));
  return { page, res };
}

/** Writes, saves and publishes a legal page as the tenant's admin. */
async function writeLegalPage(t, page, key, markdown) {
  await visit(t, page, at(FLENSBURG, `/redaktion/rechtliches/${key}`));
  await page.locator('#feld-markdown').fill(markdown);
  await press(t, page, page.getByRole('button', { name: 'Als Entwurf speichern' }));
  await press(t, page, page.getByRole('button', { name: 'Veröffentlichen', exact: true }));
}

describe('operator console (JavaScript off)', () => {
  test('the life of a tenant: onboard, go-live refused until ready, go live, suspend, resume, export, delete', async (t) => {
    const konsole = await newPage(t);
    await loginStaff(konsole, { startUrl: at(CONSOLE, '/'), user: 'olga', issuer: op.issuer, expectUrl: at(CONSOLE, '/') });
    await axe.check(t, konsole, '(tenants)');
    assert.equal(await text(konsole.locator('main h1')), 'Mandanten');
    assert.match(await text(konsole.locator('.editor-who')), new RegExp(`angemeldet als\\s+${OLGA.name}`));
    await assertLinksWork(konsole);

    // Onboard Flensburg as a draft.
    await konsole.locator('#feld-ars').fill(FLENSBURG_ARS);
    await konsole.locator('#feld-hosts').fill(FLENSBURG);
    await press(t, konsole, konsole.getByRole('button', { name: 'Als Entwurf aufnehmen' }));
    const notice = await text(konsole.locator('main p.notice'));
    assert.match(notice, /ist als Entwurf aufgenommen\. Einladung für die erste Verwaltung/);
    // The link names the tenant's host, on the port the console is reached on.
    const invitation = new RegExp(`(http://${FLENSBURG.replace('.', '\\.')}:${port}/redaktion/einladung/[A-Za-z0-9_-]+)`).exec(notice)?.[1];
    assert.ok(invitation, `an invitation link in: ${notice}`);
    const drafts = konsole.locator('main section', { has: konsole.getByRole('heading', { name: 'Im Aufbau (Entwurf)' }) });
    const row = drafts.locator('ul.editor-list > li', { hasText: FLENSBURG });
    assert.equal(await row.count(), 1, 'listed as a draft');
    assert.match(await text(row), new RegExp(FLENSBURG_ARS));
    const name = await text(row.locator('a'));
    const tenantPath = await row.locator('a').getAttribute('href');
    const slug = tenantPath.replace('/mandanten/', '');
    assert.match(slug, /^[a-z0-9-]+$/);

    {
      const { page, res } = await citizen(t, FLENSBURG);
      assert.equal(res.status(), 503, 'a draft is not open for citizens');
      assert.equal(await text(page.locator('main h1')), 'Noch nicht geöffnet');
      assert.equal(res.headers()['x-robots-tag'], 'noindex, nofollow');
    }

    // The tenant's page: the checklist is open, going live is refused and says why.
    await visit(t, konsole, at(CONSOLE, tenantPath));
    assert.equal(await text(konsole.locator('main h1')), name);
    await assertLinksWork(konsole);
    let lines = await checklist(konsole);
    assert.equal(lines[0], 'Status: Entwurf');
    for (const what of ['Impressum geschrieben', 'Datenschutzerklärung geschrieben', 'Erklärung zur Barrierefreiheit geschrieben', 'Kontakt eingetragen (Telefon oder E-Mail)', 'Logo hochgeladen', 'Mindestens eine Person in der Redaktion']) {
      assert.ok(lines.includes(`✗ fehlt: ${what}`), `open: ${what} (${lines})`);
    }
    await press(t, konsole, konsole.getByRole('button', { name: 'Online gehen' }), 409);
    const refused = await text(konsole.locator('main p.notice'));
    assert.match(refused, /^Online gehen geht erst, wenn alles erledigt ist: /);
    assert.match(refused, /Impressum geschrieben/);
    assert.match(refused, /Logo hochgeladen/);
    assert.match(refused, /Mindestens eine Person in der Redaktion/);
    assert.equal((await citizen(t, FLENSBURG)).res.status(), 503, 'still a draft');

    // Frieda follows the invitation and becomes the first admin; then she writes what is missing.
    const frieda = await newPage(t);
    await loginStaff(frieda, {
      startUrl: invitation,
      user: 'frieda',
      issuer: op.issuer,
      expectUrl: at(FLENSBURG, '/redaktion'),
    });
    await axe.check(t, frieda, '(dashboard of the new tenant)');
    assert.equal(await text(frieda.locator('main p.lead')), 'Ihre Rolle in diesem Portal: Verwaltung.');
    {
      // The link works once only: Anna, who has no role here, gets none through it.
      const again = await newPage(t);
      await loginStaff(again, { startUrl: invitation, user: 'anna', issuer: op.issuer });
      assert.equal(await text(again.locator('main h1')), 'Aktion nicht möglich');
      await axe.check(t, again, '(used invitation)');
      const res = await again.goto(at(FLENSBURG, '/redaktion'));
      assert.equal(res.status(), 403, 'Anna has no role in Flensburg');
    }
    await visit(t, konsole, at(CONSOLE, tenantPath));
    lines = await checklist(konsole);
    assert.ok(lines.includes('✓ Mindestens eine Person in der Redaktion'), `${lines}`);
    assert.ok(lines.includes('✗ fehlt: Impressum geschrieben'), `${lines}`);

    await writeLegalPage(t, frieda, 'impressum', `## Herausgeber\n\n${name}, Rathausplatz 1, 24937 Flensburg`);
    await writeLegalPage(t, frieda, 'datenschutz', '## Datenschutz\n\nVerantwortlich ist die Stadt.');
    await writeLegalPage(t, frieda, 'barrierefreiheit', '## Barrierefreiheit\n\nDieses Portal ist barrierefrei nach BITV 2.0.');

    await visit(t, frieda, at(FLENSBURG, '/redaktion/darstellung'));
    await frieda.locator('#feld-contact_phone').fill(PHONE);
    await frieda.locator('#feld-contact_email').fill('buergerbuero@flensburg.example');
    await press(t, frieda, frieda.getByRole('button', { name: 'Als Entwurf speichern' }));
    // An SVG logo with script in it: the upload is rebuilt without it.
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40" onload="alert(\'svg-onload\')">'
      + '<script>alert("svg-script")</script><rect width="40" height="40" fill="#00508c"/></svg>';
    await frieda.locator('#feld-logo').setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(svg) });
    await press(t, frieda, frieda.getByRole('button', { name: 'Hochladen (als Entwurf)' }));
    assert.match(await text(frieda.locator('main p.notice')), /^Entwurf gespeichert\./);
    assert.equal(await frieda.locator('#feld-contact_phone').inputValue(), PHONE, 'the upload keeps the saved draft');
    await press(t, frieda, frieda.getByRole('button', { name: 'Veröffentlichen', exact: true }));

    await visit(t, konsole, at(CONSOLE, tenantPath));
    lines = await checklist(konsole);
    assert.deepEqual(lines.filter((l) => l.startsWith('✗')), [], 'the checklist is done');

    // Go live.
    await press(t, konsole, konsole.getByRole('button', { name: 'Online gehen' }));
    assert.equal(new URL(konsole.url()).pathname, tenantPath);
    assert.equal((await checklist(konsole))[0], 'Status: Online');
    {
      const { page, res } = await citizen(t, FLENSBURG);
      assert.equal(res.status(), 200, 'live');
      assert.equal(await text(page.locator('.site-header .brand-name')), name);
      // The uploaded logo, opened as a document with JavaScript: no script runs.
      const logo = await page.locator('.site-header img').first().getAttribute('src');
      const context = await browser.newContext({ locale: 'de-DE', bypassCSP: true });
      t.after(() => context.close());
      const svgPage = await context.newPage();
      const dialogs = [];
      svgPage.on('dialog', (d) => {
        dialogs.push(d.message());
        d.dismiss().catch(() => {});
      });
      const res2 = await svgPage.goto(at(FLENSBURG, new URL(logo, page.url()).pathname));
      assert.equal(res2.status(), 200, 'the logo');
      await svgPage.waitForTimeout(200);
      assert.deepEqual(dialogs, [], 'no script in the uploaded SVG runs');
      const body = await res2.text();
      assert.doesNotMatch(body, /script|onload/i, 'the stored SVG has no script');
    }

    // Suspend: citizens see the maintenance page with the contact; editors keep access.
    await press(t, konsole, konsole.getByRole('button', { name: 'Sperren (Wartung)' }));
    assert.equal((await checklist(konsole))[0], 'Status: Gesperrt');
    {
      const { page, res } = await citizen(t, FLENSBURG, '/impressum');
      assert.equal(res.status(), 503);
      assert.equal(await text(page.locator('main h1')), 'Vorübergehend nicht erreichbar');
      assert.match(await text(page.locator('main')), /gerade in Wartung/);
      assert.match(await text(page.locator('main')), new RegExp(PHONE));
      await axe.check(t, page, '(maintenance page)');
      const res2 = await frieda.goto(at(FLENSBURG, '/redaktion'));
      assert.equal(res2.status(), 200, 'editors keep access');
    }

    // Resume.
    await press(t, konsole, konsole.getByRole('button', { name: 'Wieder freigeben' }));
    assert.equal((await checklist(konsole))[0], 'Status: Online');
    assert.equal((await citizen(t, FLENSBURG)).res.status(), 200, 'open again');

    // Export: a JSON download.
    const [download] = await Promise.all([
      konsole.waitForEvent('download'),
      konsole.getByRole('link', { name: 'Alles als JSON exportieren' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `mandant-${slug}.json`);
    const exported = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(exported.format, 'buergerportal-mandant');
    assert.ok(exported.content.length >= 4, 'the legal pages and the settings');
    assert.ok(JSON.stringify(exported).includes('Rathausplatz 1, 24937 Flensburg'), 'with the content');
    assert.ok(exported.audit.length > 0, 'with the audit log');

    // The platform's audit log.
    await visit(t, konsole, at(CONSOLE, '/protokoll'));
    const log = await text(konsole.locator('main table.audit tbody'));
    assert.match(log, new RegExp(slug));

    // Delete: the slug must be typed; then a report of what went.
    await visit(t, konsole, at(CONSOLE, tenantPath));
    await konsole.locator('#feld-bestaetigung').fill('falsch');
    await press(t, konsole, konsole.getByRole('button', { name: 'Endgültig löschen' }), 422);
    assert.equal(await text(konsole.locator('main p.notice')), 'Zum Löschen bitte die Kennung genau eingeben.');
    assert.equal((await citizen(t, FLENSBURG)).res.status(), 200, 'nothing deleted');
    await konsole.locator('#feld-bestaetigung').fill(slug);
    await press(t, konsole, konsole.getByRole('button', { name: 'Endgültig löschen' }));
    const report = await text(konsole.locator('main p.notice'));
    assert.match(report, new RegExp(`^${name} gelöscht\\. Entfernte Zeilen – `));
    assert.match(report, /content_versions: \d+/);
    assert.equal(await konsole.locator('main ul.editor-list > li', { hasText: FLENSBURG }).count(), 0, 'no longer listed');
    assert.equal((await citizen(t, FLENSBURG)).res.status(), 404, 'the host is free');
    await visit(t, konsole, at(CONSOLE, tenantPath), 404);
  });

  test('the console is not on tenant hosts, and not for editors without the operator role', async (t) => {
    const konsole = await newPage(t);
    await loginStaff(konsole, { startUrl: at(CONSOLE, '/'), user: 'olga', issuer: op.issuer, expectUrl: at(CONSOLE, '/') });
    const session = (await konsole.context().cookies(at(CONSOLE, '/'))).find((c) => c.name === 'bp_betrieb');
    assert.ok(session, 'the console session cookie');
    assert.equal(session.domain, CONSOLE, 'a host-only cookie');

    // On a tenant's host the console's routes do not exist, even with the operator's session.
    for (const path of ['/mandanten', '/mandanten/kiel', '/mandanten/kiel/export', '/protokoll']) {
      const res = await server.request(at('kiel.localhost', path), { headers: { cookie: `bp_betrieb=${session.value}` } });
      assert.equal(res.status, 404, `${path} on a tenant host`);
      assert.doesNotMatch(res.text(), /Mandanten|Konsole des Betreibers/, path);
    }
    const del = await server.request(at('kiel.localhost', '/mandanten/kiel/loeschen'), {
      method: 'POST',
      headers: { cookie: `bp_betrieb=${session.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'bestaetigung=kiel',
    });
    assert.ok(del.status === 404 || del.status === 405, `${del.status}`);
    {
      const page = await newPage(t);
      const res = await page.goto(at('kiel.localhost', '/mandanten/kiel'));
      assert.equal(res.status(), 404);
      await axe.check(t, page, '(console path on a tenant host)');
      assert.equal((await page.goto(at('kiel.localhost', '/'))).status(), 200, 'Kiel is still there');
    }

    // Anna is an admin in Kiel, but no operator: the console refuses her after the login.
    const anna = await newPage(t);
    await loginStaff(anna, { startUrl: at(CONSOLE, '/'), user: 'anna', issuer: op.issuer });
    assert.equal(new URL(anna.url()).host, `${CONSOLE}:${port}`);
    assert.match(await text(anna.locator('main')), /Sie sind angemeldet, haben aber keine Betriebsrolle\./);
    await axe.check(t, anna, '(no operator role)');
    // Every console page sends her to the login again, which refuses her again.
    for (const path of ['/', '/mandanten/kiel', '/protokoll', '/mandanten/kiel/export']) {
      const res = await anna.goto(at(CONSOLE, path));
      assert.equal(res.status(), 403, path);
      assert.equal(new URL(anna.url()).pathname, '/anmelden/callback', path);
      assert.match(await text(anna.locator('main')), /keine Betriebsrolle/, path);
    }

    // Without a session a console form does nothing.
    const forged = await server.request(at(CONSOLE, '/mandanten/kiel/status'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'status=suspended&csrf=x',
    });
    assert.equal(forged.status, 303);
    assert.equal(forged.headers.location, '/anmelden');
    // With the operator's session but without its CSRF token neither.
    const noToken = await server.request(at(CONSOLE, '/mandanten/kiel/status'), {
      method: 'POST',
      headers: { cookie: `bp_betrieb=${session.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'status=suspended&csrf=falsch',
    });
    assert.equal(noToken.status, 403);
    assert.equal((await citizen(t, 'kiel.localhost')).res.status(), 200, 'Kiel is not suspended');
  });
});
