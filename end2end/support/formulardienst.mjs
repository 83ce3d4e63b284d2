// Starts the reference form service (`formulardienst`) on a given port with a
// fresh temporary DATA_DIR, waits until /healthz answers, and stops it with
// SIGTERM (and removes the folder).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './server.mjs';

export async function startFormService({ port, env }) {
  const bin = process.env.FD_BIN ?? path.join(REPO, 'target', 'debug', 'formulardienst');
  if (!existsSync(bin)) {
    throw new Error(`${bin} not found: build it with \`cargo build -p formulardienst\` or set FD_BIN`);
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bp-formulardienst-'));
  const child = spawn(bin, [], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, BIND: `127.0.0.1:${port}`, RUST_LOG: 'warn', DATA_DIR: dataDir, ...env },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c) => {
    stderr = (stderr + c).slice(-16_384);
  });
  const killOnExit = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`formulardienst exited (${child.exitCode})\n${stderr}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`formulardienst not ready\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    output: () => stderr,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
