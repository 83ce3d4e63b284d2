// Starts the real `buergerportal serve` binary on a free port with a fresh
// SQLite database, waits until it is ready, and stops it gracefully.
// Options: extra environment (e.g. OIDC_ISSUER), Postfach senders created with
// `buergerportal sender-add` before `serve`, the editors' and operators' login
// (EDITOR_OIDC_*, OPERATOR_HOSTS) with roles granted by `editor-grant` and
// `operator-grant` before `serve`, and a port chosen beforehand (the Servicekonto
// needs the portal's redirect URIs, port included, before it starts).

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the parent of end2end/). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 30_000;
const LOG_LIMIT = 64 * 1024;

/** The dev host names of the tenants in tenants/*.toml. */
export const TENANTS = {
  kiel: { host: 'kiel.localhost', name: 'Landeshauptstadt Kiel', office: 'Landeshauptstadt Kiel' },
  husum: { host: 'husum.localhost', name: 'Stadt Husum', office: 'Stadt Husum' },
  'huettener-berge': {
    host: 'huettener-berge.localhost',
    name: 'Amt Hüttener Berge',
    office: 'Amt Hüttener Berge',
  },
};

/** A free TCP port on 127.0.0.1 (free now; bind it soon). */
export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/** Keeps the last LOG_LIMIT characters of a stream. */
function tail(stream) {
  const log = { text: '' };
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    log.text = (log.text + chunk).slice(-LOG_LIMIT);
  });
  return log;
}

/** Runs a CLI command of the binary to completion; rejects with its output unless it exits with 0. */
function runCommand(bin, args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env });
    const stdout = tail(child.stdout);
    const stderr = tail(child.stderr);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(stdout.text);
      else reject(new Error(`buergerportal ${args[0]} failed (code ${code}, signal ${signal})\n${stderr.text}\n${stdout.text}`));
    });
  });
}

/**
 * Starts the server. Returns { port, url(tenantKey, path), direct(url, options),
 * request(url, options), output(), stop() }.
 * `stop()` sends SIGTERM and rejects unless the server exits with code 0.
 *
 * Options (all optional):
 * - `port`: listen on this port (from `freePort()`), otherwise a free one is picked
 * - `env`: extra environment variables for `serve` (and `sender-add`), e.g.
 *   `{ OIDC_ISSUER, OIDC_CLIENT_SECRET }`; they override the defaults below
 * - `senders`: `[{ name, credential, areas }]` (areas default `['01']`, Schleswig-Holstein),
 *   created with `buergerportal sender-add` in the
 *   same DATA_DIR before the server starts (the credential is the Bearer token of the
 *   Postfach delivery API)
 * - `editorOidc`: `{ issuer, clientId, clientSecret }` of the editors' and operators'
 *   identity provider, passed as EDITOR_OIDC_ISSUER, EDITOR_OIDC_CLIENT_ID and
 *   EDITOR_OIDC_CLIENT_SECRET (clientId defaults to `redaktion`)
 * - `operatorHosts`: host names of the operator console (OPERATOR_HOSTS), e.g.
 *   `['betrieb.localhost']`
 * - `editorGrants`: `[{ tenant, subject, role }]` (role `admin` or `editor`), granted with
 *   `buergerportal editor-grant --issuer <editorOidc.issuer>` before the server starts
 * - `operatorGrants`: `[subject]`, granted with `buergerportal operator-grant` likewise
 */
export async function startServer({
  port: wantedPort,
  env: extraEnv = {},
  senders = [],
  editorOidc,
  operatorHosts = [],
  editorGrants = [],
  operatorGrants = [],
} = {}) {
  const bin = process.env.BP_BIN ?? path.join(REPO, 'target', 'debug', 'buergerportal');
  if (!existsSync(bin)) {
    throw new Error(`Server binary ${bin} not found: build it with \`cargo build -p buergerportal\` or set BP_BIN`);
  }
  const port = wantedPort ?? (await freePort());
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bp-e2e-'));
  const env = {
    ...process.env,
    BIND: `127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    TENANTS_DIR: path.join(REPO, 'tenants'),
    CATALOGUE_DIR: path.join(REPO, 'catalogue'),
    SOURCES_DIR: process.env.SOURCES_DIR ?? path.join(REPO, '..', 'shared', 'data', 'raw'),
    ASSETS_DIR: path.join(REPO, 'assets'),
    RUST_LOG: process.env.RUST_LOG ?? 'warn',
    // Seals the hand-off signing keys (base64 of 32 bytes; for tests only).
    SIGNING_KEY_ENCRYPTION_KEY: 'dGVzdC1zZWFsaW5nLWtleS0xMjM0NTY3ODkwMTIzNDU=',
    // The tests log in and search from one address far more often than a citizen.
    RATE_LOGIN_PER_MINUTE: '6000',
    RATE_SEARCH_PER_SECOND: '1000',
    RATE_API_PER_SECOND: '1000',
    ...(editorOidc
      ? {
          EDITOR_OIDC_ISSUER: editorOidc.issuer,
          EDITOR_OIDC_CLIENT_ID: editorOidc.clientId ?? 'redaktion',
          EDITOR_OIDC_CLIENT_SECRET: editorOidc.clientSecret,
        }
      : {}),
    ...(operatorHosts.length ? { OPERATOR_HOSTS: operatorHosts.join(',') } : {}),
    ...extraEnv,
  };
  const issuer = env.EDITOR_OIDC_ISSUER;
  if ((editorGrants.length || operatorGrants.length) && !issuer) {
    throw new Error('editorGrants/operatorGrants need the editors\' issuer (editorOidc.issuer or EDITOR_OIDC_ISSUER)');
  }
  try {
    for (const { name, credential, areas = ['01'] } of senders) {
      const args = ['sender-add', '--name', name, ...areas.flatMap((a) => ['--area', a])];
      if (credential !== undefined) args.push('--credential', credential);
      await runCommand(bin, args, env);
    }
    for (const { tenant, subject, role } of editorGrants) {
      await runCommand(bin, ['editor-grant', '--tenant', tenant, '--issuer', issuer, '--subject', subject, '--role', role], env);
    }
    for (const subject of operatorGrants) {
      await runCommand(bin, ['operator-grant', '--issuer', issuer, '--subject', subject], env);
    }
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const child = spawn(bin, ['serve'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const stdout = tail(child.stdout);
  const stderr = tail(child.stderr);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let exit = null;
  exited.then((e) => {
    exit = e;
  });
  // Never leave a server behind, even if the test process dies.
  const killOnExit = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const output = () => `--- server stderr ---\n${stderr.text}\n--- server stdout ---\n${stdout.text}`;
  const cleanup = async () => {
    process.removeListener('exit', killOnExit);
    await rm(dataDir, { recursive: true, force: true });
  };

  // Readiness: poll /readyz until 200, the process dies, or the time is up.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exit) {
      await cleanup();
      throw new Error(`Server exited before it was ready (${JSON.stringify(exit)})\n${output()}`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      await cleanup();
      throw new Error(`Server not ready after ${READY_TIMEOUT_MS / 1000} s\n${output()}`);
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 200))]);
  }

  return {
    port,
    /** Absolute URL of `pathAndQuery` on the tenant's dev host. */
    url(tenant, pathAndQuery = '/') {
      const t = TENANTS[tenant];
      if (!t) throw new Error(`unknown tenant ${tenant}`);
      return `http://${t.host}:${port}${pathAndQuery}`;
    },
    /**
     * For requests made from Node (e.g. `page.request`), where `*.localhost` may not
     * resolve: the URL rewritten to 127.0.0.1 plus request options with the Host header.
     * Use as `page.request.get(...server.direct(url, { maxRedirects: 0 }))`.
     */
    direct(url, options = {}) {
      const u = new URL(url);
      const host = u.host;
      u.hostname = '127.0.0.1';
      return [u.href, { ...options, headers: { ...options.headers, host } }];
    },
    /**
     * One plain HTTP request from Node to `url` (a tenant URL), sent to 127.0.0.1 with the
     * tenant's Host header. No cookie jar and no redirects are followed: pass cookies
     * yourself (`headers: { cookie }`). `body` is a string or Buffer.
     * Resolves to { status, headers, body (Buffer), text(), json() }.
     */
    request(url, { method = 'GET', headers = {}, body } = {}) {
      const u = new URL(url);
      return new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: u.port || 80,
            method,
            path: `${u.pathname}${u.search}`,
            headers: { host: u.host, ...headers },
          },
          (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
              const data = Buffer.concat(chunks);
              resolve({
                status: res.statusCode,
                headers: res.headers,
                body: data,
                text: () => data.toString('utf8'),
                json: () => JSON.parse(data.toString('utf8')),
              });
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
        req.end(body);
      });
    },
    output,
    /** Graceful shutdown: SIGTERM, then the server must exit with code 0. */
    async stop() {
      if (!exit) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const { code, signal } = await exited;
      clearTimeout(timer);
      await cleanup();
      if (code !== 0) {
        throw new Error(`Server did not shut down cleanly on SIGTERM (code ${code}, signal ${signal})\n${output()}`);
      }
    },
  };
}
