#!/usr/bin/env bash
# Runs every check of the project: formatting, clippy -D warnings, unit, integration and end-to-end
# tests (against moto and the Hyperdrive emulator on 127.0.0.1), the contract test against
# Cloudflare's schema, and the infrastructure checks. Installs what it needs into ignored folders;
# the tests start the servers they need themselves (tests/support/servers.rs) and stop them by PID.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

started=$SECONDS
step() { say "$1"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets -D warnings"
cargo clippy --quiet --workspace --all-targets -- -D warnings

ensure_venv
install_prism

step "building the release binary (the end-to-end tests run it)"
cargo build --quiet --release --bin hyperdrive-dsql-rotator

step "cargo test --workspace"
ROTATOR_RELEASE_BIN="$ROOT/target/release/hyperdrive-dsql-rotator" cargo test --quiet --workspace

if [ -f infra/test.sh ]; then
  step "infrastructure checks (infra/test.sh)"
  bash infra/test.sh
fi

step "actionlint over .github/workflows (with shellcheck on their run: scripts)"
actionlint .github/workflows/*.yml

step "release zips reproducible (scripts/check-release.sh: release.sh twice, one build)"
./scripts/check-release.sh

say "all checks passed in $((SECONDS - started)) s"
