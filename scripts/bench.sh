#!/usr/bin/env bash
# Benchmark: the product's release binary beside a bare lambda_runtime function with the same release
# profile, both as Lambdas under the Runtime API emulator; runs against the Hyperdrive emulator with
# 100 ms of latency per call. Prints every figure with its ratio (README, "Performance").
# BENCH_COLD_ROUNDS / BENCH_COLD_RUNS set the cold-start sample (default 5 x 20).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_venv
say "building release binaries: the product, the bare function, both emulators"
# The product alone first, as a deployment builds it (cargo unifies features across packages built
# together), then the rest.
cargo build --quiet --release -p hyperdrive-dsql-rotator
cargo build --quiet --release -p bare-lambda -p hyperdrive-emulator -p lambda-runtime-emulator
say "building the release zip (scripts/release.sh): its sizes are what is deployed"
./scripts/release.sh --arch "$(uname -m | sed 's/aarch64/arm64/')" --out target/bench-release >/dev/null
DEPLOYED_ZIP="$(ls target/bench-release/hyperdrive-dsql-rotator-*.zip)"
export DEPLOYED_ZIP
say "starting moto (Secrets Manager) on loopback"
start_moto
say "measuring (a few minutes)"
"$VENV/bin/python" scripts/bench.py
