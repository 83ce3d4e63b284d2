#!/usr/bin/env bash
# Starts the whole demo on SQLite: the portal with the demo municipalities and
# the real catalogue, the Servicekonto test provider (login with erika /
# erika-passwort) and the reference form service. Ctrl-C stops all three.
#
#   portal          http://kiel.localhost:3000  (also husum., huettener-berge., muenchen.)
#   editors' area   http://kiel.localhost:3000/redaktion  (anna / anna-passwort: Verwaltung,
#                   ben / ben-passwort: Redaktion; both in Kiel)
#   operator        http://betrieb.localhost:3000  (olga / olga-passwort)
#   Servicekonto    http://127.0.0.1:3002  (clients buergerportal and redaktion)
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
BIN=target/debug/buergerportal

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

# Editors and operators log in at the same test provider with its second client
# (`redaktion`). Their roles are granted before the start (repeating is harmless); the
# subjects are those of end2end/oidc/users.mjs.
ISSUER=http://127.0.0.1:3002
$BIN editor-grant --tenant kiel --issuer "$ISSUER" --subject e1a7c0de-0a11-4b2c-8d3e-5f6a7b8c9d01 --role admin >/dev/null # anna
$BIN editor-grant --tenant kiel --issuer "$ISSUER" --subject e1a7c0de-0b22-4c3d-9e4f-6a7b8c9d0e02 --role editor >/dev/null # ben
$BIN operator-grant --issuer "$ISSUER" --subject e1a7c0de-0c33-4d4e-af50-7b8c9d0e1f03 >/dev/null # olga

# DEMO=true: the demo form provider and its published credential are live,
# and the hand-off keys are sealed with the published demo key. Never in production.
# OPERATOR_HOSTS: host names only (a port is ignored).
DEMO=true \
  OIDC_ISSUER="$ISSUER" \
  OIDC_CLIENT_SECRET=buergerportal-dev-secret \
  EDITOR_OIDC_ISSUER="$ISSUER" \
  EDITOR_OIDC_CLIENT_ID=redaktion \
  EDITOR_OIDC_CLIENT_SECRET=redaktion-dev-secret \
  OPERATOR_HOSTS=betrieb.localhost \
  $BIN serve &
pids+=($!)

wait -n "${pids[@]}"
