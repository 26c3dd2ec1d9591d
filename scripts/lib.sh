# Shared by scripts/*.sh: the project's Python virtualenv and background servers on loopback,
# each stopped by PID when the calling script exits (also on Ctrl-C).
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
RUN_DIR="$ROOT/.run"
mkdir -p "$RUN_DIR"
export PATH="$VENV/bin:$PATH"

_pids=()
declare -A _server_pid
_cleanup() {
  local pid
  # Each server runs in its own process group (setsid): stopping the group also stops the
  # processes it started (cargo lambda watch runs the function as a child).
  for pid in "${_pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  _pids=()
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# say "message": a progress line on stderr, in colour only on a terminal.
say() {
  if [ -t 2 ]; then printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; else printf '==> %s\n' "$*" >&2; fi
}

# make_venv: creates .venv unless it is there, saying what to install when Python's venv module is missing.
make_venv() {
  [ ! -x "$VENV/bin/python" ] || return 0
  if ! python3 -m venv "$VENV"; then
    rm -rf "$VENV"
    echo "error: python3 -m venv failed: on Debian and Ubuntu, install python3-venv (sudo apt install python3-venv)" >&2
    exit 1
  fi
}

# ensure_venv: creates .venv and installs requirements-dev.txt (plus extra requirement files given
# as arguments) when they changed since the last install.
ensure_venv() {
  local files=("$ROOT/requirements-dev.txt" "$@") stamp="$VENV/.installed" want
  want="$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  say "installing Python tools into .venv (moto, cargo-lambda${*:+, and more})"
  make_venv
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
  local f
  for f in "${files[@]}"; do
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$f"
  done
  echo "$want" >"$stamp"
}

# ensure_cargo_lambda: cargo-lambda into .venv, at the version requirements-dev.txt pins, when it is not there yet.
# Only that one: the other dev tools are not needed to build or deploy, and not all have wheels for every platform.
ensure_cargo_lambda() {
  local pin
  pin="$(grep -E '^cargo-lambda==' "$ROOT/requirements-dev.txt")"
  if [ "$("$VENV/bin/cargo-lambda" lambda --version 2>/dev/null | awk '{print $2}')" = "${pin#cargo-lambda==}" ]; then
    return 0
  fi
  say "installing $pin into .venv"
  make_venv
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$pin"
}

# free_port: prints a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL SECONDS NAME: waits until URL answers (any HTTP status), failing at once with the
# server's log if the background server NAME (see start_bg) has exited.
wait_http() {
  local url="$1" secs="${2:-30}" name="${3:-}" i
  for ((i = 0; i < secs * 10; i++)); do
    if curl -s -o /dev/null --max-time 1 "$url"; then
      return 0
    fi
    if [ -n "$name" ] && ! kill -0 "${_server_pid[$name]}" 2>/dev/null; then
      echo "error: $name exited before answering on $url; its log (.run/$name.log) ends with:" >&2
      tail -n 20 "$RUN_DIR/$name.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "error: $url did not answer within ${secs}s; see .run/${name:-server}.log" >&2
  return 1
}

# wait_log NAME PATTERN SECONDS: waits until the background server NAME's log (.run/NAME.log) has a line matching
# the extended regex PATTERN, failing at once with the log's end if NAME has exited.
wait_log() {
  local name="$1" pattern="$2" secs="${3:-30}" i
  for ((i = 0; i < secs * 10; i++)); do
    if grep -Eq -- "$pattern" "$RUN_DIR/$name.log" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "${_server_pid[$name]}" 2>/dev/null; then
      echo "error: $name exited before it was ready; its log (.run/$name.log) ends with:" >&2
      tail -n 20 "$RUN_DIR/$name.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "error: $name was not ready within ${secs}s; see .run/$name.log" >&2
  return 1
}

# start_bg NAME COMMAND...: starts COMMAND in the background, logging to .run/NAME.log in plain text (colour is
# turned off where a program lets it be, and stripped where it does not: moto's server colours its warnings); its
# process group is stopped when the script exits.
start_bg() {
  local name="$1"
  shift
  # shellcheck disable=SC2016 # the inner script's "$@" is expanded by the inner bash
  NO_COLOR=1 CARGO_TERM_COLOR=never setsid bash -c '"$@" 2>&1 </dev/null | sed -u "s/\x1b\[[0-9;]*[A-Za-z]//g"' \
    bash "$@" >"$RUN_DIR/$name.log" 2>&1 </dev/null &
  _pids+=("$!")
  _server_pid[$name]=$!
}

# start_moto: starts moto (Secrets Manager, STS) on a free loopback port; exports MOTO_URL.
start_moto() {
  local port
  port="$(free_port)"
  start_bg moto "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port"
  export MOTO_URL="http://127.0.0.1:$port"
  wait_http "$MOTO_URL/moto-api/" 60 moto
}

# install_prism: installs Prism (pinned in tests/contract/package-lock.json) when missing or stale.
install_prism() {
  local dir="$ROOT/tests/contract"
  if [ ! -x "$dir/node_modules/.bin/prism" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing Prism (npm ci in tests/contract)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

# start_prism: serves the Hyperdrive API schema with Prism as a validating mock on a free loopback
# port; exports PRISM_URL.
start_prism() {
  local dir="$ROOT/tests/contract" port
  install_prism
  port="$(free_port)"
  start_bg prism "$dir/node_modules/.bin/prism" mock -h 127.0.0.1 -p "$port" \
    "$ROOT/tools/hyperdrive-emulator/hyperdrive-openapi.json"
  export PRISM_URL="http://127.0.0.1:$port"
  wait_http "$PRISM_URL/" 60 prism
}
