#!/usr/bin/env bash
# Runs the browser end-to-end tests: installs what is missing, then `npm test`.
# Env: BP_BIN (server binary, default ../target/debug/buergerportal),
#      FD_BIN (reference form service, default ../target/debug/formulardienst),
#      CHROMIUM_PATH (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# Node packages, pinned by package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Debian's Chromium (Playwright's own browser download is not used).
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends chromium
fi

# The binaries: built only if missing (normally the workspace build made them).
if { [ -z "${BP_BIN:-}" ] && [ ! -x ../target/debug/buergerportal ]; } ||
  { [ -z "${FD_BIN:-}" ] && [ ! -x ../target/debug/formulardienst ]; }; then
  (cd .. && cargo build -p buergerportal -p formulardienst)
fi

# TAP reporter, so the summary lines read "# pass N" / "# fail N" on a terminal too.
NODE_OPTIONS="${NODE_OPTIONS:-} --test-reporter=tap" npm test
