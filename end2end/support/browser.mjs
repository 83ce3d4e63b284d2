// Launches Debian's Chromium through playwright-core (no browser download).
// `launch` gives every run a fresh temporary profile (user-data-dir).

import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** The Cookie header the browser context would send to `url` (for requests made from Node). */
export async function cookieHeader(context, url) {
  return (await context.cookies(url)).map((c) => `${c.name}=${c.value}`).join('; ');
}

/**
 * Fills in and submits the login page of the Servicekonto test provider
 * (end2end/oidc/provider.mjs) that `page` shows. `method` is the label of an
 * Anmeldeverfahren, e.g. 'Benutzername und Passwort (Basisregistrierung)'.
 * With `leftProvider` (a predicate on the URL), resolves once the browser has left the
 * provider and the page has loaded; without it, right after the click.
 */
export async function submitServicekontoLogin(page, { username, password, method, leftProvider }) {
  await page.locator('#benutzername').fill(username);
  await page.locator('#passwort').fill(password);
  await page.getByLabel(method, { exact: true }).check();
  const submit = page.getByRole('button', { name: 'Anmelden', exact: true });
  if (!leftProvider) {
    await submit.click();
    return;
  }
  await Promise.all([page.waitForURL(leftProvider), submit.click()]);
}
