#!/usr/bin/env bash
# Starts the whole demo on SQLite: the portal with the demo municipalities and
# the real catalogue, the Servicekonto test provider (login with erika /
# erika-passwort) and the reference form service. Ctrl-C stops all three.
#
#   portal          http://kiel.localhost:3000  (also husum., huettener-berge., muenchen.)
#   Servicekonto    http://127.0.0.1:3002
#   form service    http://formulare.localhost:3001
set -euo pipefail
cd "$(dirname "$0")/.."

# The public source data lives beside the checkout (see README, Data).
export SOURCES_DIR="${SOURCES_DIR:-$PWD/../shared/data/raw}"
if [ ! -d "$SOURCES_DIR" ]; then
  echo "Die Quelldaten fehlen in $SOURCES_DIR: legen Sie sie dorthin oder setzen Sie SOURCES_DIR." >&2
  exit 1
fi

if ! command -v node >/dev/null; then
  echo "Node.js fehlt (für das Test-Servicekonto): apt-get install nodejs npm" >&2
  exit 1
fi
if [ ! -f end2end/node_modules/.package-lock.json ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  (cd end2end && npm ci --no-audit --no-fund)
fi
cargo build -p buergerportal -p formulardienst

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

OIDC_PORT=3002 node end2end/oidc/provider.mjs &
pids+=($!)

BIND=127.0.0.1:3001 \
  PORTAL_JWKS_URL=http://127.0.0.1:3000/.well-known/jwks.json \
  PORTAL_API_URL=http://127.0.0.1:3000 \
  RETURN_CREDENTIAL=formulardienst-demo-zugang \
  target/debug/formulardienst &
pids+=($!)

# DEMO=true: the demo form provider and its published credential are live,
# and the hand-off keys are sealed with the published demo key. Never in production.
DEMO=true \
  OIDC_ISSUER=http://127.0.0.1:3002 \
  OIDC_CLIENT_SECRET=buergerportal-dev-secret \
  target/debug/buergerportal serve &
pids+=($!)

wait -n "${pids[@]}"
