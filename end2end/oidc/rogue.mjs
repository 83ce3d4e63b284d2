// A deliberately misbehaving OpenID provider for negative tests of the portal's login.
//
// It speaks the same protocol as the real test provider (provider.mjs): discovery, JWKS,
// an authorization endpoint, a token endpoint with client_secret_basic and PKCE (S256),
// and RP-initiated logout. It has no login page: /auth answers at once with a code for
// the chosen test account. What it does wrong is chosen by the test with `setMode(mode)`:
//
// | mode                 | what goes wrong                                                      |
// | -------------------- | -------------------------------------------------------------------- |
// | `ok`                 | nothing: a correct ID token (proves the negative tests are fair)      |
// | `wrong-nonce`        | the ID token's `nonce` is not the one of the request                  |
// | `no-nonce`           | the ID token has no `nonce`                                           |
// | `wrong-audience`     | `aud` names another client                                            |
// | `extra-audience`     | `aud` names the portal and another client                             |
// | `wrong-issuer`       | `iss` names another issuer                                            |
// | `expired`            | `exp` lies an hour in the past                                        |
// | `other-key`          | signed with key B (not in the JWKS) under key A's `kid`              |
// | `other-key-new-kid`  | signed with key B under B's own `kid` (not in the JWKS)              |
// | `alg-none`           | unsigned: header `{"alg":"none"}`, empty signature                    |
// | `alg-hs256`          | HS256 with the client secret as key (discovery announces HS256 too): |
// |                      | valid if the portal took its algorithms from the provider's metadata |
// | `iat-future`         | `iat` lies an hour in the future (and `exp` after it)                 |
// | `iat-old`            | `iat` lies an hour in the past, `exp` still ahead                     |
// | `no-name`            | a correct token without `name`, only `given_name` and `family_name`  |
// | `unknown-acr`        | `acr` is a value the portal does not know                             |
// | `no-acr`             | the ID token has no `acr`                                             |
// | `low-acr`            | `acr` is always LoA low, whatever the request asked for               |
// | `callback-wrong-iss` | the authorization response's `iss` (RFC 9207) names another issuer    |
// | `callback-no-iss`    | the authorization response has no `iss` although discovery says      |
// |                      | `authorization_response_iss_parameter_supported: true`                |
//
// Everything else is checked as a real provider would: client_id and the registered
// redirect_uri at /auth; at /token HTTP Basic client authentication (RFC 6749 §2.3.1,
// form-urlencoded parts), the code (once only, for the same redirect_uri) and the PKCE
// code_verifier. So with `ok` the portal really logs in, and a refused login in any other
// mode is refused for the ID token (or response) the mode spoils, not for a broken flow.
//
// Module: const rogue = await startRogueProvider({ port: 0, redirectUris, clientSecret });
//         rogue.setMode('expired'); rogue.events (what happened, newest last); rogue.close()

import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';

import { SignJWT, base64url, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

import { ACR_VALUES, LOA_LOW } from './acr.mjs';
import { findByUsername } from './users.mjs';

export const ROGUE_CLIENT_ID = 'buergerportal';
export const ROGUE_MODES = [
  'ok',
  'wrong-nonce',
  'no-nonce',
  'wrong-audience',
  'extra-audience',
  'wrong-issuer',
  'expired',
  'other-key',
  'other-key-new-kid',
  'alg-none',
  'alg-hs256',
  'iat-future',
  'iat-old',
  'no-name',
  'unknown-acr',
  'no-acr',
  'low-acr',
  'callback-wrong-iss',
  'callback-no-iss',
];
export const UNKNOWN_ACR = 'urn:example:rogue:loa:unbekannt';

const ALG = 'RS256';
const CODE_TTL_MS = 60_000;
const MAX_BODY = 16 * 1024;

async function rsaKey() {
  const { publicKey, privateKey } = await generateKeyPair(ALG, { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { privateKey, kid, publicJwk: { ...jwk, kid, alg: ALG, use: 'sig' } };
}

const sha256url = (value) => createHash('sha256').update(value).digest('base64url');

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function sendHtml(res, status, title, text) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`);
}

function redirect(res, location) {
  res.writeHead(303, { location, 'cache-control': 'no-store' });
  res.end();
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (type !== 'application/x-www-form-urlencoded') {
        resolve(null);
        return;
      }
      resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
  });
}

/** client_id and client_secret from `Authorization: Basic …` (RFC 6749 §2.3.1), or null. */
function basicCredentials(header) {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const formDecode = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

/**
 * Starts the rogue provider. Returns { issuer, port, setMode(mode), setUser(username),
 * events, close() }. `events` lists what the endpoints did, e.g.
 * { endpoint: 'token', ok: true, mode } after a successful code exchange.
 */
export async function startRogueProvider({
  port = 0,
  host = '127.0.0.1',
  clientId = ROGUE_CLIENT_ID,
  clientSecret,
  redirectUris = [],
  postLogoutRedirectUris = [],
} = {}) {
  if (!clientSecret) throw new Error('startRogueProvider: clientSecret is required');
  const keyA = await rsaKey(); // published in the JWKS
  const keyB = await rsaKey(); // never published
  const codes = new Map();
  const events = [];
  let mode = 'ok';
  let user = findByUsername('erika');
  let issuer;

  const record = (event) => events.push({ ...event, mode });

  function idToken({ nonce, acrValues, accessToken }) {
    const now = Math.floor(Date.now() / 1000);
    const requested = (acrValues ?? '').split(/\s+/).find((v) => ACR_VALUES.includes(v));
    const claims = {
      iss: issuer,
      sub: user.sub,
      aud: clientId,
      iat: now,
      exp: now + 3600,
      auth_time: now,
      nonce,
      acr: requested ?? LOA_LOW,
      amr: ['pwd'],
      at_hash: createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url'),
      ...structuredClone(user.claims),
    };
    let key = keyA.privateKey;
    let kid = keyA.kid;
    switch (mode) {
      case 'wrong-nonce':
        claims.nonce = randomBytes(16).toString('base64url');
        break;
      case 'no-nonce':
        delete claims.nonce;
        break;
      case 'wrong-audience':
        claims.aud = 'ein-anderes-portal';
        break;
      case 'extra-audience':
        claims.aud = [clientId, 'ein-anderes-portal'];
        break;
      case 'wrong-issuer':
        claims.iss = 'http://127.0.0.1:1';
        break;
      case 'expired':
        claims.iat = now - 7200;
        claims.auth_time = now - 7200;
        claims.exp = now - 3600;
        break;
      case 'other-key':
        key = keyB.privateKey;
        break;
      case 'other-key-new-kid':
        key = keyB.privateKey;
        kid = keyB.kid;
        break;
      case 'unknown-acr':
        claims.acr = UNKNOWN_ACR;
        break;
      case 'no-acr':
        delete claims.acr;
        break;
      case 'low-acr':
        claims.acr = LOA_LOW;
        break;
      case 'iat-future':
        claims.iat = now + 3600;
        claims.auth_time = now;
        claims.exp = now + 7200;
        break;
      case 'iat-old':
        claims.iat = now - 3600;
        claims.auth_time = now - 3600;
        claims.exp = now + 600;
        break;
      case 'no-name':
        delete claims.name;
        break;
      default:
        break;
    }
    if (mode === 'alg-hs256') {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .sign(new TextEncoder().encode(clientSecret));
    }
    if (mode === 'alg-none') {
      const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const payload = base64url.encode(JSON.stringify(claims));
      return Promise.resolve(`${header}.${payload}.`);
    }
    return new SignJWT(claims).setProtectedHeader({ alg: ALG, typ: 'JWT', kid }).sign(key);
  }

  function discovery() {
    return {
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      end_session_endpoint: `${issuer}/session/end`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code'],
      subject_types_supported: ['public'],
      // HS256 too: a portal that trusted this list would accept the `alg-hs256` token.
      id_token_signing_alg_values_supported: [ALG, 'HS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: ['openid', 'profile', 'email', 'address'],
      claims_supported: ['sub', 'acr', 'amr', 'auth_time', 'name', 'given_name', 'family_name', 'email', 'email_verified', 'address'],
      acr_values_supported: ACR_VALUES,
      authorization_response_iss_parameter_supported: true,
    };
  }

  function authorize(res, params) {
    const redirectUri = params.get('redirect_uri');
    if (params.get('client_id') !== clientId || !redirectUris.includes(redirectUri)) {
      // Never redirect to an unregistered URI.
      record({ endpoint: 'auth', ok: false, error: 'invalid_client_or_redirect_uri' });
      sendHtml(res, 400, 'Fehler', 'Unbekannter Client oder nicht registrierte redirect_uri.');
      return;
    }
    const back = new URL(redirectUri);
    const state = params.get('state');
    if (state !== null) back.searchParams.set('state', state);
    const fail = (error, description) => {
      record({ endpoint: 'auth', ok: false, error });
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', description);
      back.searchParams.set('iss', issuer);
      redirect(res, back.href);
    };
    if (params.get('response_type') !== 'code') return fail('unsupported_response_type', 'only code');
    if (!(params.get('scope') ?? '').split(' ').includes('openid')) return fail('invalid_scope', 'openid missing');
    if (!params.get('code_challenge') || params.get('code_challenge_method') !== 'S256') {
      return fail('invalid_request', 'PKCE with S256 is required');
    }
    if (!params.get('nonce')) return fail('invalid_request', 'nonce missing');

    const code = randomBytes(32).toString('base64url');
    codes.set(code, {
      redirectUri,
      challenge: params.get('code_challenge'),
      nonce: params.get('nonce'),
      acrValues: params.get('acr_values'),
      expires: Date.now() + CODE_TTL_MS,
    });
    back.searchParams.set('code', code);
    if (mode === 'callback-wrong-iss') back.searchParams.set('iss', 'http://127.0.0.1:1');
    else if (mode !== 'callback-no-iss') back.searchParams.set('iss', issuer);
    record({ endpoint: 'auth', ok: true, acrValues: params.get('acr_values') });
    redirect(res, back.href);
  }

  async function token(req, res) {
    const fail = (status, error, description) => {
      record({ endpoint: 'token', ok: false, error });
      sendJson(res, status, { error, error_description: description }, status === 401 ? { 'www-authenticate': 'Basic realm="rogue"' } : {});
    };
    const client = basicCredentials(req.headers.authorization);
    if (!client || client.id !== clientId || client.secret !== clientSecret) {
      return fail(401, 'invalid_client', 'client authentication failed');
    }
    const form = await readForm(req);
    if (!form) return fail(400, 'invalid_request', 'form body expected');
    if (form.get('grant_type') !== 'authorization_code') return fail(400, 'unsupported_grant_type', 'only authorization_code');
    const code = form.get('code') ?? '';
    const grant = codes.get(code);
    codes.delete(code); // once only, even when the rest fails
    if (!grant || grant.expires < Date.now()) return fail(400, 'invalid_grant', 'unknown, used or expired code');
    if (form.get('redirect_uri') !== grant.redirectUri) return fail(400, 'invalid_grant', 'redirect_uri mismatch');
    const verifier = form.get('code_verifier');
    if (!verifier || sha256url(verifier) !== grant.challenge) return fail(400, 'invalid_grant', 'PKCE verification failed');

    const accessToken = randomBytes(32).toString('base64url');
    const id = await idToken({ nonce: grant.nonce, acrValues: grant.acrValues, accessToken });
    record({ endpoint: 'token', ok: true });
    sendJson(res, 200, {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      id_token: id,
      scope: 'openid profile email address',
    });
  }

  function endSession(res, params) {
    const back = params.get('post_logout_redirect_uri');
    record({ endpoint: 'end_session', ok: true });
    if (back && postLogoutRedirectUris.includes(back)) {
      const url = new URL(back);
      if (params.get('state')) url.searchParams.set('state', params.get('state'));
      redirect(res, url.href);
      return;
    }
    sendHtml(res, 200, 'Sie sind abgemeldet', 'Sie haben sich vom Servicekonto abgemeldet.');
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://rogue.invalid');
    const route = `${req.method} ${url.pathname}`;
    Promise.resolve()
      .then(() => {
        switch (route) {
          case 'GET /.well-known/openid-configuration':
            return sendJson(res, 200, discovery());
          case 'GET /jwks':
            return sendJson(res, 200, { keys: [keyA.publicJwk] });
          case 'GET /auth':
            return authorize(res, url.searchParams);
          case 'POST /token':
            return token(req, res);
          case 'GET /session/end':
            return endSession(res, url.searchParams);
          default:
            return sendHtml(res, 404, 'Nicht gefunden', 'Diese Adresse gibt es hier nicht.');
        }
      })
      .catch((err) => {
        record({ endpoint: route, ok: false, error: String(err) });
        if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
        else res.end();
      });
  });
  server.listen(port, host);
  await once(server, 'listening');
  const actualPort = server.address().port;
  issuer = `http://${host}:${actualPort}`;

  return {
    issuer,
    port: actualPort,
    events,
    /** What to spoil from now on (see the table at the top of this file). */
    setMode(next) {
      if (!ROGUE_MODES.includes(next)) throw new Error(`unknown rogue mode ${next}`);
      mode = next;
    },
    /** The test account (users.mjs) that /auth logs in. */
    setUser(username) {
      const u = findByUsername(username);
      if (!u) throw new Error(`unknown user ${username}`);
      user = u;
    },
    async close() {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
