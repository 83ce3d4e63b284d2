// HTML pages of the Servicekonto test provider: plain, German, no JavaScript.

import { METHODS, label } from './acr.mjs';
import { CITIZEN_CLIENT, usersFor } from './users.mjs';

export function escapeHtml(value) {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
*,*::before,*::after{box-sizing:border-box}
html{background:#f3f2f1}
body{margin:0;background:#fff;color:#0b0c0c;font-family:Arial,Helvetica,sans-serif;font-size:1.1875rem;line-height:1.4}
a{color:#1d70b8}a:visited{color:#4c2c92}
a:focus,input:focus,button:focus,summary:focus{outline:3px solid #ffdd00;outline-offset:0;box-shadow:inset 0 0 0 2px #0b0c0c}
a:focus{background:#ffdd00;color:#0b0c0c;box-shadow:0 4px #0b0c0c;outline:none;text-decoration:none}
.kopf{background:#0b0c0c;color:#fff;padding:.6rem 1rem;border-bottom:.6rem solid #1d70b8}
.kopf p{margin:0;font-weight:bold;font-size:1.5rem}
.kopf span{font-weight:normal;font-size:1rem;margin-left:.5rem}
main{max-width:40rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:2rem;line-height:1.1;margin:0 0 1.5rem}
.hinweis{border-left:.6rem solid #b1b4b6;padding:.5rem 1rem;margin:0 0 1.5rem}
.fehlerliste{border:.3rem solid #d4351c;padding:1rem;margin:0 0 1.5rem}
.fehlerliste h2{margin:0 0 .75rem;font-size:1.5rem}
.fehlerliste ul{margin:0;padding:0;list-style:none}
.fehlerliste a{color:#d4351c;font-weight:bold}
.feld{margin:0 0 1.75rem}
.feld.fehler{border-left:.3rem solid #d4351c;padding-left:.9rem}
label,legend{display:block;font-weight:bold;margin:0 0 .3rem}
legend{font-size:1.3rem;padding:0}
fieldset{border:0;margin:0;padding:0}
.fehlertext{display:block;color:#d4351c;font-weight:bold;margin:0 0 .4rem}
input[type=text],input[type=password]{font:inherit;width:100%;max-width:20em;height:2.5rem;padding:.3rem;border:2px solid #0b0c0c;border-radius:0}
.fehler input[type=text],.fehler input[type=password]{border-color:#d4351c}
.auswahl{display:flex;align-items:center;margin:0 0 .6rem}
.auswahl input{width:1.75rem;height:1.75rem;margin:0 .6rem 0 0;flex:none;accent-color:#0b0c0c}
.auswahl label{font-weight:normal;margin:0}
.knoepfe{display:flex;flex-wrap:wrap;gap:1rem;align-items:center}
button{font:inherit;cursor:pointer;border:0;padding:.5rem .9rem;box-shadow:0 2px #002d18;background:#00703c;color:#fff}
button.zweitrangig{background:#f3f2f1;color:#0b0c0c;box-shadow:0 2px #929191}
details{margin-top:2.5rem}summary{color:#1d70b8;cursor:pointer;text-decoration:underline}
table{border-collapse:collapse;margin-top:.75rem}th,td{text-align:left;padding:.3rem 1rem .3rem 0;border-bottom:1px solid #b1b4b6}
footer{max-width:40rem;margin:0 auto;padding:1rem;font-size:1rem;border-top:1px solid #b1b4b6}
`;

/** A complete page. `body` is trusted HTML, `title` is text. */
export function layout(title, body) {
  return `<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – Servicekonto (Testumgebung)</title>
<style>${STYLE}</style>
</head>
<body>
<header class="kopf"><p>Servicekonto<span>Testumgebung</span></p></header>
<main id="inhalt">
${body}
</main>
<footer><p>Dies ist ein Test-Anmeldedienst für die Entwicklung des Bürgerportals. Alle Konten und Daten sind erfunden.</p></footer>
</body>
</html>
`;
}

/**
 * The login page.
 * - `action`: form target (the interaction URL)
 * - `clientId`: the client that asks (the page lists only its test accounts)
 * - `clientName`: who asks for the login
 * - `required`: the acr value the request requires, or null
 * - `stepUp`: true when an existing session is too weak for the request
 * - `values`: { benutzername, verfahren } to keep what was typed (never the password)
 * - `errors`: [{ field: 'benutzername'|'passwort'|'verfahren', text }]
 */
export function loginPage({ action, clientId = CITIZEN_CLIENT, clientName, required, stepUp, values = {}, errors = [] }) {
  const errorFor = (field) => errors.find((e) => e.field === field);
  const anchor = { benutzername: 'benutzername', passwort: 'passwort', verfahren: `verfahren-${METHODS[0].value}` };

  const summary = errors.length
    ? `<div class="fehlerliste" role="alert" aria-labelledby="fehlerliste-titel" tabindex="-1">
<h2 id="fehlerliste-titel">Es gibt ein Problem</h2>
<ul>${errors.map((e) => `<li><a href="#${anchor[e.field]}">${escapeHtml(e.text)}</a></li>`).join('')}</ul>
</div>`
    : '';

  const notices = [];
  if (required) {
    notices.push(`Für diese Leistung verlangt das ${escapeHtml(clientName)} das Vertrauensniveau „${escapeHtml(label(required))}“.`);
  }
  if (stepUp) {
    notices.push('Ihre bisherige Anmeldung reicht dafür nicht aus. Bitte melden Sie sich erneut an.');
  }
  const inset = notices.length ? `<p class="hinweis">${notices.join(' ')}</p>` : '';

  const textField = (name, text, type, autocomplete) => {
    const err = errorFor(name);
    const value = type === 'password' ? '' : ` value="${escapeHtml(values[name] ?? '')}"`;
    return `<div class="feld${err ? ' fehler' : ''}">
<label for="${name}">${text}</label>
${err ? `<span class="fehlertext" id="${name}-fehler">Fehler: ${escapeHtml(err.text)}</span>` : ''}
<input type="${type}" id="${name}" name="${name}"${value} autocomplete="${autocomplete}" spellcheck="false"${err ? ` aria-invalid="true" aria-describedby="${name}-fehler"` : ''}>
</div>`;
  };

  const methodErr = errorFor('verfahren');
  const radios = METHODS.map(
    (m) => `<div class="auswahl">
<input type="radio" id="verfahren-${m.value}" name="verfahren" value="${m.value}"${values.verfahren === m.value ? ' checked' : ''}>
<label for="verfahren-${m.value}">${escapeHtml(m.label)}</label>
</div>`,
  ).join('\n');

  const testAccounts = usersFor(clientId).map(
    (u) => `<tr><td>${escapeHtml(u.username)}</td><td>${escapeHtml(u.password)}</td><td>${escapeHtml(u.claims.name)}</td></tr>`,
  ).join('');

  return layout(
    errors.length ? 'Fehler: Anmelden' : 'Anmelden',
    `<h1>Beim Servicekonto anmelden</h1>
${summary}
<p>Sie melden sich mit Ihrem Servicekonto beim ${escapeHtml(clientName)} an.</p>
${inset}
<form method="post" action="${escapeHtml(action)}" accept-charset="utf-8" novalidate>
${textField('benutzername', 'Benutzername', 'text', 'username')}
${textField('passwort', 'Passwort', 'password', 'current-password')}
<div class="feld${methodErr ? ' fehler' : ''}">
<fieldset${methodErr ? ' aria-describedby="verfahren-fehler"' : ''}>
<legend>Anmeldeverfahren</legend>
${methodErr ? `<span class="fehlertext" id="verfahren-fehler">Fehler: ${escapeHtml(methodErr.text)}</span>` : ''}
${radios}
</fieldset>
</div>
<div class="knoepfe">
<button type="submit" name="aktion" value="anmelden">Anmelden</button>
<button type="submit" name="aktion" value="abbrechen" class="zweitrangig">Abbrechen</button>
</div>
</form>
<details>
<summary>Testkonten</summary>
<table>
<thead><tr><th scope="col">Benutzername</th><th scope="col">Passwort</th><th scope="col">Name</th></tr></thead>
<tbody>${testAccounts}</tbody>
</table>
</details>`,
  );
}

/** A page that explains a problem, with a heading and paragraphs of text. */
export function messagePage(title, paragraphs) {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}`);
}

/** oidc-provider's `features.rpInitiatedLogout.logoutSource`: asks before logging out. */
export async function logoutSource(ctx, form) {
  const client = ctx.oidc.client;
  const who = client ? client.clientName || client.clientId : null;
  ctx.type = 'html';
  ctx.body = layout(
    'Abmelden',
    `<h1>Vom Servicekonto abmelden?</h1>
<p>Möchten Sie sich beim Servicekonto abmelden?${who ? ` Danach sind Sie auch beim ${escapeHtml(who)} abgemeldet.` : ''}</p>
${form}
<div class="knoepfe">
<button type="submit" form="op.logoutForm" name="logout" value="yes">Ja, abmelden</button>
<button type="submit" form="op.logoutForm" class="zweitrangig">Nein, angemeldet bleiben</button>
</div>`,
  );
}

/** oidc-provider's `features.rpInitiatedLogout.postLogoutSuccessSource`. */
export async function postLogoutSuccessSource(ctx) {
  ctx.type = 'html';
  ctx.body = messagePage('Sie sind abgemeldet', ['Sie haben sich erfolgreich vom Servicekonto abgemeldet.']);
}

/** oidc-provider's `renderError`: errors shown to the browser instead of sent to the client. */
export async function renderError(ctx, out) {
  ctx.type = 'html';
  ctx.body = layout(
    'Fehler',
    `<h1>Die Anmeldung ist fehlgeschlagen</h1>
<p>Das Servicekonto konnte die Anfrage nicht bearbeiten.</p>
<dl>${Object.entries(out)
      .map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd>`)
      .join('')}</dl>`,
  );
}
