#!/usr/bin/env bash
# Runs the real job locally, end to end, as a Lambda under `cargo lambda watch`, against embedded
# stand-ins: moto (Secrets Manager, STS) and the Hyperdrive API emulator, all on 127.0.0.1.
# Installs what it needs into ignored folders (.venv, target/); stops everything it started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ACCOUNT=0123456789abcdef0123456789abcdef
ACCOUNT_2=fedcba9876543210fedcba9876543210
ORDERS_HOST=abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws
USERS_HOST=zyxwvutsrqponmlkjihgfedcba.dsql.us-west-2.on.aws
ANALYTICS_HOST=analyticsclusterid0000000.dsql.eu-west-1.on.aws
SIGNER_ROLE=arn:aws:iam::123456789012:role/hyperdrive-dsql-signer
TARGETS='[{"name":"orders-db","host":"'$ORDERS_HOST'"},
 {"name":"users-db","host":"'$USERS_HOST'","user":"app"},
 {"name":"analytics-db","host":"'$ANALYTICS_HOST'","account_id":"'$ACCOUNT_2'","caching":{"disabled":true}}]'
view() { "$VENV/bin/python" scripts/demo_view.py "$@"; }
title() { printf '\n\033[1m%s\033[0m\n' "$*"; }

title "hyperdrive-dsql-rotator: local demo"
echo "  The real function runs as a Lambda (cargo lambda watch) against moto (Secrets Manager, STS)"
echo "  and the Hyperdrive API emulator, all on 127.0.0.1. Nothing leaves this machine."

ensure_venv
say "building the function and the emulator (the first time takes a few minutes)"
cargo build --quiet --bins -p hyperdrive-dsql-rotator -p hyperdrive-emulator

say "starting moto and the Hyperdrive emulator"
start_moto
export DEMO_CLOUDFLARE_TOKEN="demo-$(python3 -c 'import secrets; print(secrets.token_urlsafe(30))')"
EMU_PORT="$(free_port)"
start_bg emulator target/debug/hyperdrive-emulator --listen "127.0.0.1:$EMU_PORT" --token-env DEMO_CLOUDFLARE_TOKEN
EMU="http://127.0.0.1:$EMU_PORT"
wait_http "$EMU/__admin/configs" 30 emulator

say "storing the Cloudflare API token in Secrets Manager (moto) as demo/cloudflare-api-token"
"$VENV/bin/python" - "$MOTO_URL" <<'PY'
import json, os, sys, boto3
sm = boto3.client("secretsmanager", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="demo", aws_secret_access_key="demo")
sm.create_secret(Name="demo/cloudflare-api-token",
                 SecretString=json.dumps({"api_token": os.environ["DEMO_CLOUDFLARE_TOKEN"]}))
PY

# users-db already exists, made by hand in the dashboard; Workers are bound to its id.
curl -sf -X POST "$EMU/__admin/configs/$ACCOUNT" -H 'content-type: application/json' \
  -d '{"name":"users-db","origin":{"scheme":"postgres","host":"'$USERS_HOST'","port":5432,"database":"postgres","user":"app"}}' >/dev/null

cat >"$RUN_DIR/demo.env" <<ENV
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=AKIADEMOEXECUTIONROLE
AWS_SECRET_ACCESS_KEY=demo-execution-role-secret
AWS_ENDPOINT_URL=$MOTO_URL
AWS_EC2_METADATA_DISABLED=true
AWS_LAMBDA_LOG_FORMAT=JSON
CLOUDFLARE_ACCOUNT_ID=$ACCOUNT
CLOUDFLARE_API_TOKEN_SECRET_ID=demo/cloudflare-api-token
CLOUDFLARE_API_BASE_URL=$EMU/client/v4
SIGNER_ROLE_ARN=$SIGNER_ROLE
HYPERDRIVE_TARGETS='$(echo "$TARGETS" | tr -d '\n')'
ENV
LAMBDA_PORT="$(free_port)"
say "starting the function under cargo lambda watch"
start_bg watch cargo lambda watch --timeout 120 -A 127.0.0.1 -P "$LAMBDA_PORT" --env-file "$RUN_DIR/demo.env"
wait_http "http://127.0.0.1:$LAMBDA_PORT/" 120 watch

# invoke NAME EVENT_FILE: invokes the function; the response (the run report) goes to .run/NAME.json.
invoke() {
  cargo lambda invoke hyperdrive-dsql-rotator -A 127.0.0.1 -P "$LAMBDA_PORT" --output-format json \
    --data-file "$2" >"$RUN_DIR/$1.json" 2>"$RUN_DIR/$1.err"
}

title "Targets"
echo "  orders-db     $ORDERS_HOST   user admin"
echo "  users-db      $USERS_HOST   user app"
echo "  analytics-db  $ANALYTICS_HOST   user admin, second account, caching off"
echo "  Signing: each run assumes $SIGNER_ROLE (STS, 1 h sessions)."

title "Hyperdrive configs before"
view configs "$EMU/__admin"

title "1. Dry run (events/dry-run.json): everything but the writes"
invoke dry-run events/dry-run.json
view report "$RUN_DIR/dry-run.json"

title "2. Scheduled run (events/scheduled-rule.json)"
invoke run-1 events/scheduled-rule.json
view report "$RUN_DIR/run-1.json"
ids_before="$(view ids "$EMU/__admin")"

title "3. Next scheduled run, EventBridge Scheduler envelope (events/scheduler.json)"
invoke run-2 events/scheduler.json
view report "$RUN_DIR/run-2.json"
if [ "$(view ids "$EMU/__admin")" = "$ids_before" ]; then
  echo "    same config ids as run 2: updated in place, Worker bindings keep working"
else
  echo "error: config ids changed between runs" >&2
  exit 1
fi

title "Hyperdrive configs after (each password passed the emulator's connection test)"
view configs "$EMU/__admin"

title "4. A cluster refuses the token (users-db answers 2013): the run fails loudly, the others go on"
curl -sf -X PUT "$EMU/__admin/faults" -H 'content-type: application/json' \
  -d '[{"origin_host":"'$USERS_HOST'","action":{"type":"respond","status":400,"code":2013,"message":"password authentication failed for user \"app\""}}]' >/dev/null
before_lines=$(wc -l <"$RUN_DIR/watch.log")
if invoke run-3 events/scheduled-rule.json; then
  echo "error: the invocation should have failed" >&2
  exit 1
fi
echo "    invocation error: $(grep -o '[0-9]* of [0-9]* targets failed[^;]*' "$RUN_DIR/run-3.err" | head -1)"
tail -n "+$((before_lines + 1))" "$RUN_DIR/watch.log" >"$RUN_DIR/run-3.log"
view targets "$RUN_DIR/run-3.log"

title "5. Status, read only (hyperdrive-dsql-rotator status): time to dark, the configs in danger first"
# The command line, with the function's environment; the table goes to stderr, the report to .run/status.json.
status_rc=0
(
  set -a
  # shellcheck disable=SC1091
  . "$RUN_DIR/demo.env"
  set +a
  unset AWS_LAMBDA_LOG_FORMAT
  RUST_LOG=error target/debug/hyperdrive-dsql-rotator status >"$RUN_DIR/status.json"
) 2>&1 | sed 's/^/    /' || status_rc=$?
echo "    (exit code ${status_rc}: non-zero when a config is dark, missing or under the threshold, to gate a deploy)"

title "Done"
echo "  Logs: .run/*.log. Stopping moto, the emulator and cargo lambda watch."
