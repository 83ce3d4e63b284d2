#!/usr/bin/env bash
# Runs every test: formatting and lints, unit tests, integration tests on
# SQLite and PostgreSQL, and the browser tests in headless Chromium.
# Installs or starts what is missing (PostgreSQL, Chromium, npm packages).
set -euo pipefail
cd "$(dirname "$0")/.."

# The public source data lives beside the checkout (see README, Data).
export SOURCES_DIR="${SOURCES_DIR:-$PWD/../shared/data/raw}"
if [ ! -d "$SOURCES_DIR" ]; then
  echo "Die Quelldaten fehlen in $SOURCES_DIR: legen Sie sie dorthin oder setzen Sie SOURCES_DIR." >&2
  exit 1
fi

export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

step() { printf '\n== %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  as_root apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 || {
    as_root apt-get update >/dev/null && as_root apt-get install -y --no-install-recommends "$@" >/dev/null
  }
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    step "Installing PostgreSQL"
    apt_install postgresql
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  # Tests connect over TCP as the postgres user without a password.
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -q "buergerportal-tests" "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust # buergerportal-tests\nhost all all ::1/128 trust # buergerportal-tests' "$hba"
  fi
  step "Starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && return
    sleep 1
  done
  echo "PostgreSQL did not start on 127.0.0.1:5432" >&2
  exit 1
}

step "Formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

ensure_postgres

step "Unit and integration tests (SQLite and PostgreSQL)"
cargo test --workspace

step "Browser tests (headless Chromium, JavaScript off, axe-core)"
cargo build -p buergerportal -p formulardienst --quiet
BP_BIN="$PWD/target/debug/buergerportal" FD_BIN="$PWD/target/debug/formulardienst" bash end2end/run.sh
