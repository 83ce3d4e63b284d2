// Servicekonto test provider: a real OpenID Connect provider (panva's oidc-provider)
// with its own login page, for developing and testing the Bürgerportal's citizen login
// (client `buergerportal`) and the login of editors and operators (client `redaktion`).
//
// CLI:    node end2end/oidc/provider.mjs
//         env OIDC_PORT (3002), OIDC_ISSUER (http://127.0.0.1:<port>),
//             OIDC_REDIRECT_URIS, OIDC_POST_LOGOUT_REDIRECT_URIS (comma separated),
//             OIDC_CLIENT_SECRET (buergerportal-dev-secret),
//             EDITOR_OIDC_REDIRECT_URIS, EDITOR_OIDC_POST_LOGOUT_REDIRECT_URIS,
//             EDITOR_OIDC_CLIENT_SECRET (redaktion-dev-secret)
// Module: const { issuer, close } = await startProvider({ port: 0 });
//
// See README.md beside this file.

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { realpathSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import Provider, { interactionPolicy } from 'oidc-provider';

import { memoryAdapter } from './memory-adapter.mjs';
import { ACR_VALUES, label, methodByValue, rank, requiredAcr } from './acr.mjs';
import {
  loginPage, logoutSource, messagePage, postLogoutSuccessSource, renderError,
} from './pages.mjs';
import { CITIZEN_CLIENT, EDITOR_CLIENT, checkPassword, findBySub, mayUse } from './users.mjs';

export const CLIENT_ID = CITIZEN_CLIENT;
export const DEFAULT_CLIENT_SECRET = 'buergerportal-dev-secret';
/** The client of the editors' area (/redaktion on every tenant host) and the operator console. */
export const EDITOR_CLIENT_ID = EDITOR_CLIENT;
export const DEFAULT_EDITOR_CLIENT_SECRET = 'redaktion-dev-secret';
export const DEFAULT_PORT = 3002;
export const ID_TOKEN_ALG = 'RS256';

const TENANT_ORIGINS = [
  'http://kiel.localhost:3000',
  'http://husum.localhost:3000',
  'http://huettener-berge.localhost:3000',
];
export const DEFAULT_REDIRECT_URIS = TENANT_ORIGINS.map((o) => `${o}/anmelden/callback`);
export const DEFAULT_POST_LOGOUT_REDIRECT_URIS = TENANT_ORIGINS.map((o) => `${o}/`);
/** The operator console of the demo (OPERATOR_HOSTS=betrieb.localhost). */
const CONSOLE_ORIGIN = 'http://betrieb.localhost:3000';
export const DEFAULT_EDITOR_REDIRECT_URIS = [
  ...TENANT_ORIGINS.map((o) => `${o}/redaktion/anmelden/callback`),
  `${CONSOLE_ORIGIN}/anmelden/callback`,
];
export const DEFAULT_EDITOR_POST_LOGOUT_REDIRECT_URIS = [...TENANT_ORIGINS.map((o) => `${o}/`), `${CONSOLE_ORIGIN}/`];

/**
 * Redirect URIs of the editor client for a portal on `port` (redirect URIs must match
 * exactly, port included): `/redaktion/anmelden/callback` on every tenant host and
 * `/anmelden/callback` on every operator console host.
 */
export function editorClientUris({ port, tenantHosts = [], consoleHosts = [] }) {
  const tenants = tenantHosts.map((h) => `http://${h}:${port}`);
  const consoles = consoleHosts.map((h) => `http://${h}:${port}`);
  return {
    editorRedirectUris: [
      ...tenants.map((o) => `${o}/redaktion/anmelden/callback`),
      ...consoles.map((o) => `${o}/anmelden/callback`),
    ],
    editorPostLogoutRedirectUris: [...tenants, ...consoles].map((o) => `${o}/`),
  };
}

const MAX_FORM_BYTES = 16 * 1024;

/** A fresh RSA signing key as a private JWK (kid = its RFC 7638 thumbprint). */
async function signingKey() {
  const { privateKey } = await generateKeyPair(ID_TOKEN_ALG, { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: ID_TOKEN_ALG, use: 'sig' };
}

/**
 * The interaction policy: oidc-provider's default, but with the acr checks of the login
 * prompt replaced by one that knows the levels are ordered. An existing session whose
 * acr is lower than the request requires (acr_values or an essential acr claim) asks for
 * a new login (step-up); a higher one is accepted. A session of an account that may not
 * use the requesting client (a citizen at the editors' client, or the other way round)
 * asks for a new login too: single sign-on never crosses from one kind of account to
 * the other.
 */
function policy() {
  const { base, Check } = interactionPolicy;
  const prompts = base();
  const login = prompts.get('login');
  login.checks.remove('essential_acrs');
  login.checks.remove('essential_acr');
  login.checks.add(
    new Check(
      'acr_too_low',
      'the session does not reach the requested trust level (acr)',
      'login_required',
      (ctx) => {
        const required = requiredAcr(ctx.oidc.params);
        if (!required || rank(ctx.oidc.acr) >= rank(required)) return Check.NO_NEED_TO_PROMPT;
        return Check.REQUEST_PROMPT;
      },
      (ctx) => ({ acr: requiredAcr(ctx.oidc.params) }),
    ),
  );
  login.checks.add(
    new Check(
      'account_not_for_client',
      'the signed-in account may not log in to this client',
      'login_required',
      (ctx) => {
        const accountId = ctx.oidc.session?.accountId;
        if (!accountId) return Check.NO_NEED_TO_PROMPT;
        const user = findBySub(accountId);
        return user && mayUse(user, ctx.oidc.client.clientId) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
      },
    ),
  );
  return prompts;
}

function configuration({ clientSecret, redirectUris, postLogoutRedirectUris, editor, jwk }) {
  const client = (id, secret, name, redirect, postLogout) => ({
    client_id: id,
    client_secret: secret,
    client_name: name,
    redirect_uris: redirect,
    post_logout_redirect_uris: postLogout,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: ID_TOKEN_ALG,
  });
  return {
    clients: [
      client(CLIENT_ID, clientSecret, 'Bürgerportal', redirectUris, postLogoutRedirectUris),
      client(
        EDITOR_CLIENT_ID,
        editor.clientSecret,
        'Bürgerportal (Redaktion und Betrieb)',
        editor.redirectUris,
        editor.postLogoutRedirectUris,
      ),
    ],
    adapter: memoryAdapter(),
    clientAuthMethods: ['client_secret_basic'],
    responseTypes: ['code'],
    pkce: { methods: ['S256'], required: () => true },
    acrValues: ACR_VALUES,
    scopes: ['openid', 'profile', 'email', 'address'],
    claims: {
      // acr, amr and auth_time with the openid scope: otherwise oidc-provider puts acr into
      // the ID token only when the request asked for it (acr_values or claims parameter).
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
      address: ['address'],
      sid: null,
      iss: null,
    },
    // Put the scope's claims (name, email, address) into the ID token too, not only
    // into the userinfo response.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    },
    interactions: {
      url: (ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: policy(),
    },
    cookies: {
      // Random per start: sessions live in memory and end with the process anyway.
      keys: [randomBytes(32).toString('base64url')],
      // Over http the cookies cannot be Secure, and browsers drop `SameSite=None` cookies
      // that are not Secure: so Lax for both. oidc-provider marks them Secure by itself
      // when the request is https (ctx.secure).
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    jwks: { keys: [jwk] },
    // Seconds.
    ttl: {
      AuthorizationCode: 60,
      AccessToken: 60 * 60,
      IdToken: 60 * 60,
      Interaction: 60 * 60,
      Session: 8 * 60 * 60,
      Grant: 8 * 60 * 60,
    },
    async findAccount(ctx, sub) {
      const user = findBySub(sub);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        async claims() {
          return { sub: user.sub, ...structuredClone(user.claims) };
        },
      };
    },
    renderError,
  };
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      reject(Object.assign(new Error('unsupported content type'), { status: 415 }));
      return;
    }
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(Object.assign(new Error('form too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function send(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  res.end(html);
}

const EXPIRED = messagePage('Die Anmeldung ist abgelaufen', [
  'Die Anmeldung ist abgelaufen oder wurde in einem anderen Fenster beendet.',
  'Bitte starten Sie die Anmeldung im Bürgerportal neu.',
]);

/** Our own interaction routes: GET/POST /interaction/:uid. */
async function interaction(provider, req, res, uid) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    send(res, 400, EXPIRED); // no or unknown interaction cookie
    return;
  }
  if (details.uid !== uid) {
    send(res, 400, EXPIRED);
    return;
  }
  const { prompt, params } = details;
  const client = await provider.Client.find(params.client_id);
  const clientName = client?.clientName || params.client_id;
  const action = `/interaction/${uid}`;

  if (prompt.name === 'consent') {
    // The portal is a first-party client: grant what it asks for without asking.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    if (missingResourceScopes) {
      for (const [indicator, scopes] of Object.entries(missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }

  if (prompt.name !== 'login') {
    send(res, 400, messagePage('Unbekannter Schritt', [`Der Anmeldeschritt „${prompt.name}“ wird nicht unterstützt.`]));
    return;
  }

  const required = requiredAcr(params);
  const stepUp = Boolean(details.session?.accountId) && prompt.reasons.includes('acr_too_low');
  const clientId = params.client_id;
  const page = (status, values, errors) =>
    send(res, status, loginPage({ action, clientId, clientName, required, stepUp, values, errors }));

  if (req.method === 'GET') {
    page(200, { benutzername: params.login_hint ?? '' }, []);
    return;
  }

  const form = await readForm(req);
  if (form.get('aktion') === 'abbrechen') {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'Die Anmeldung wurde abgebrochen.' },
      { mergeWithLastSubmission: false },
    );
    return;
  }

  const values = { benutzername: (form.get('benutzername') ?? '').trim(), verfahren: form.get('verfahren') ?? '' };
  const password = form.get('passwort') ?? '';
  const method = methodByValue(values.verfahren);
  const errors = [];
  if (!values.benutzername) errors.push({ field: 'benutzername', text: 'Geben Sie Ihren Benutzernamen ein.' });
  if (!password) errors.push({ field: 'passwort', text: 'Geben Sie Ihr Passwort ein.' });
  if (!method) {
    errors.push({ field: 'verfahren', text: 'Wählen Sie ein Anmeldeverfahren.' });
  } else if (required && rank(method.acr) < rank(required)) {
    errors.push({
      field: 'verfahren',
      text: `Für diese Leistung ist das Vertrauensniveau „${label(required)}“ nötig. Wählen Sie ein Anmeldeverfahren mit diesem oder einem höheren Vertrauensniveau.`,
    });
  }
  const user = errors.length ? undefined : checkPassword(values.benutzername, password);
  if (!errors.length && !user) {
    errors.push({ field: 'passwort', text: 'Benutzername oder Passwort ist falsch.' });
  } else if (user && !mayUse(user, clientId)) {
    errors.push({ field: 'benutzername', text: `Mit diesem Konto können Sie sich nicht beim ${clientName} anmelden.` });
  }
  if (errors.length) {
    page(400, values, errors);
    return;
  }

  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: user.sub, acr: method.acr, amr: method.amr, remember: true } },
    { mergeWithLastSubmission: false },
  );
}

/**
 * Starts the provider. `port` 0 picks a free port. Returns { issuer, port, provider, close() }.
 * The issuer must not have a path.
 */
export async function startProvider({
  port = DEFAULT_PORT,
  host = '127.0.0.1',
  issuer,
  redirectUris = DEFAULT_REDIRECT_URIS,
  postLogoutRedirectUris = DEFAULT_POST_LOGOUT_REDIRECT_URIS,
  clientSecret = process.env.OIDC_CLIENT_SECRET || DEFAULT_CLIENT_SECRET,
  editorRedirectUris = DEFAULT_EDITOR_REDIRECT_URIS,
  editorPostLogoutRedirectUris = DEFAULT_EDITOR_POST_LOGOUT_REDIRECT_URIS,
  editorClientSecret = process.env.EDITOR_OIDC_CLIENT_SECRET || DEFAULT_EDITOR_CLIENT_SECRET,
  log = false,
} = {}) {
  let provider;
  let handler;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const m = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(path);
    if (m && (req.method === 'GET' || req.method === 'POST')) {
      interaction(provider, req, res, m[1]).catch((err) => {
        if (log || !err.status) console.error('[oidc] interaction error:', err);
        if (!res.headersSent) send(res, err.status ?? 500, messagePage('Fehler', ['Die Anfrage konnte nicht bearbeitet werden.']));
        else res.end();
      });
      return;
    }
    if (!handler) {
      res.statusCode = 503;
      res.end();
      return;
    }
    handler(req, res);
  });
  server.listen(port, host);
  await once(server, 'listening');
  const actualPort = server.address().port;

  const iss = issuer ?? `http://${host}:${actualPort}`;
  const issUrl = new URL(iss);
  if (issUrl.pathname !== '/' || iss.endsWith('/')) {
    server.close();
    throw new Error(`OIDC issuer ${iss} must be an origin without path or trailing slash`);
  }

  const jwk = await signingKey();
  const editor = {
    clientSecret: editorClientSecret,
    redirectUris: editorRedirectUris,
    postLogoutRedirectUris: editorPostLogoutRedirectUris,
  };
  provider = new Provider(iss, configuration({ clientSecret, redirectUris, postLogoutRedirectUris, editor, jwk }));
  // Behind a TLS-terminating proxy trust X-Forwarded-Proto, so cookies become Secure.
  if (issUrl.protocol === 'https:') provider.proxy = true;
  handler = provider.callback();

  provider.on('server_error', (ctx, err) => console.error('[oidc] server_error:', ctx.method, ctx.path, err));
  if (log) {
    for (const event of [
      'authorization.error', 'grant.error', 'userinfo.error', 'end_session.error',
      'end_session_confirm.error', 'jwks.error', 'discovery.error',
    ]) {
      provider.on(event, (ctx, err) => console.error(`[oidc] ${event}: ${ctx.method} ${ctx.path}: ${err.error ?? err.message}${err.error_description ? ` (${err.error_description})` : ''}`));
    }
    provider.on('authorization.success', (ctx) => console.error(`[oidc] authorization.success: ${ctx.oidc.session?.accountId} acr=${ctx.oidc.acr}`));
    provider.on('grant.success', () => console.error('[oidc] grant.success: code exchanged'));
    provider.on('end_session.success', () => console.error('[oidc] end_session.success'));
  }

  return {
    issuer: iss,
    port: actualPort,
    provider,
    async close() {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

function list(value, fallback) {
  if (!value) return fallback;
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

async function main() {
  const port = Number(process.env.OIDC_PORT || DEFAULT_PORT);
  const op = await startProvider({
    port,
    issuer: process.env.OIDC_ISSUER || undefined,
    redirectUris: list(process.env.OIDC_REDIRECT_URIS, DEFAULT_REDIRECT_URIS),
    postLogoutRedirectUris: list(process.env.OIDC_POST_LOGOUT_REDIRECT_URIS, DEFAULT_POST_LOGOUT_REDIRECT_URIS),
    editorRedirectUris: list(process.env.EDITOR_OIDC_REDIRECT_URIS, DEFAULT_EDITOR_REDIRECT_URIS),
    editorPostLogoutRedirectUris: list(
      process.env.EDITOR_OIDC_POST_LOGOUT_REDIRECT_URIS,
      DEFAULT_EDITOR_POST_LOGOUT_REDIRECT_URIS,
    ),
    log: true,
  });
  console.log(`Servicekonto-Testprovider: ${op.issuer} (Discovery: ${op.issuer}/.well-known/openid-configuration)`);
  console.log(`Client: ${CLIENT_ID}, Redirect-URIs: ${list(process.env.OIDC_REDIRECT_URIS, DEFAULT_REDIRECT_URIS).join(' ')}`);
  console.log(`Client: ${EDITOR_CLIENT_ID}, Redirect-URIs: ${list(process.env.EDITOR_OIDC_REDIRECT_URIS, DEFAULT_EDITOR_REDIRECT_URIS).join(' ')}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await op.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
