#!/usr/bin/env bash
# Runs every check of the project: formatting, clippy -D warnings, unit, integration and end-to-end
# tests (against moto and the Hyperdrive emulator on 127.0.0.1), the contract test against
# Cloudflare's schema, the READMEs' shell blocks, and the infrastructure checks. Installs what it
# needs into ignored folders; the tests start the servers they need themselves
# (tests/support/servers.rs, scripts/docs_test.py) and stop them by PID.
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

# The release zip first: built twice by release.sh (cargo lambda, one build), the same bytes both times. Its
# bootstrap, the very binary that ships, is what the end-to-end tests and the infra checks run.
step "release zips reproducible (scripts/check-release.sh: release.sh twice, one build)"
./scripts/check-release.sh
export ROTATOR_RELEASE_BIN="$ROOT/target/lambda/x86_64/hyperdrive-dsql-rotator/bootstrap"

step "cargo test --workspace (the end-to-end tests run the release zip's bootstrap)"
cargo test --quiet --workspace

# Every shell block of README.md and infra/README.md, as a reader would run it (the demo, the stand-ins by hand, the
# command line, the recipes against the stand-ins), or marked as needing a real account (scripts/docs_test.py).
step "the READMEs' shell blocks (scripts/docs_test.py)"
"$VENV/bin/python" scripts/docs_test.py

if [ -f infra/test.sh ]; then
  step "infrastructure checks (infra/test.sh)"
  bash infra/test.sh
fi

step "actionlint over .github/workflows (with shellcheck on their run: scripts)"
actionlint .github/workflows/*.yml

say "all checks passed in $((SECONDS - started)) s"
