#!/usr/bin/env bash
# Runs the real job locally, end to end, as a Lambda under `cargo lambda watch`, against embedded
# stand-ins: moto (Secrets Manager, STS) and the Hyperdrive API emulator, all on 127.0.0.1.
# Installs what it needs into ignored folders (.venv, target/); stops everything it started.
set -euo pipefail
source "$(dirname "$0")/stand-ins.sh"   # lib.sh, the stand-ins and their targets
cd "$ROOT"

view() { "$VENV/bin/python" scripts/demo_view.py "$@"; }
title() {
  if [ -t 1 ]; then printf '\n\033[1m%s\033[0m\n' "$*"; else printf '\n%s\n' "$*"; fi
}

title "hyperdrive-dsql-rotator: local demo"
echo "  The real function runs as a Lambda (cargo lambda watch) against moto (Secrets Manager, STS)"
echo "  and the Hyperdrive API emulator, all on 127.0.0.1. Nothing leaves this machine."

ensure_venv
# The function is built once, as `cargo run --bin` inside cargo lambda watch builds it (on its own: built together
# with the emulator, cargo would unify their features and watch would build it again).
say "building the function (the first time takes a few minutes)"
cargo build --quiet --bin hyperdrive-dsql-rotator
start_stand_ins "$RUN_DIR/demo.env"

LAMBDA_PORT="$(free_port)"
say "starting the function under cargo lambda watch"
start_bg watch cargo lambda watch --timeout 120 -A 127.0.0.1 -P "$LAMBDA_PORT" --env-file "$RUN_DIR/demo.env"
# Ready when its Runtime API server listens (probing it with a request would log an ERROR line).
wait_log watch 'starting Runtime server' 120

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

title "5. A token leaked: revoke (events/revoke.json) kills it, and no config goes dark"
curl -sf -X PUT "$EMU/__admin/faults" -H 'content-type: application/json' -d '[]' >/dev/null
echo "    (users-db's cluster accepts tokens again: a revoke is blocked while any target cannot take a fresh one)"
# The leaked token: signed now by a session of the signer role, as every run's tokens are.
leaked="$("$VENV/bin/python" - "$MOTO_URL" "$SIGNER_ROLE" "$ORDERS_HOST" <<'PY'
import sys, boto3
sts = boto3.client("sts", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="AKIADEMOEXECUTIONROLE", aws_secret_access_key="demo")
c = sts.assume_role(RoleArn=sys.argv[2], RoleSessionName="leaked")["Credentials"]
dsql = boto3.client("dsql", region_name="us-east-1", aws_access_key_id=c["AccessKeyId"],
                    aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
print(dsql.generate_db_connect_admin_auth_token(Hostname=sys.argv[3], Region="us-east-1", ExpiresIn=3600))
PY
)"
echo "    a token of an earlier signer session leaked (not shown)"
sleep 1   # the fresh session is issued a second later than the leaked one
invoke revoke events/revoke.json
view report "$RUN_DIR/revoke.json"
cutoff="$("$VENV/bin/python" -c 'import json,sys; r=json.load(open(sys.argv[1]))["revocation"]; print(r["session_cutoff"]); print("    revocation: mode %s, revoked %s, sessions issued before %s denied (blocked by: %s)" % (r["mode"], r["revoked"], r["session_cutoff"], r["blocked_by"] or "nobody"), file=sys.stderr)' "$RUN_DIR/revoke.json")"
# What IAM now enforces (the deny on the role), told to the emulator's connection test.
curl -sf -X PUT "$EMU/__admin/revocations" -H 'content-type: application/json' \
  -d '{"session_cutoff":"'"$cutoff"'"}' >/dev/null
orders_id="$(curl -sf "$EMU/__admin/configs" | "$VENV/bin/python" -c 'import json,sys; print([c["id"] for c in json.load(sys.stdin) if c["name"]=="orders-db"][0])')"
answer="$(curl -s -X PATCH "$EMU/client/v4/accounts/$ACCOUNT/hyperdrive/configs/$orders_id" \
  -H "Authorization: Bearer $DEMO_CLOUDFLARE_TOKEN" -H 'content-type: application/json' \
  -d '{"origin":{"password":"'"$leaked"'"}}')"
code="$(echo "$answer" | "$VENV/bin/python" -c 'import json,sys; e=json.load(sys.stdin).get("errors") or [{}]; print(e[0].get("code"), e[0].get("message", "accepted"))')"
echo "    the leaked token, offered to Hyperdrive for orders-db: refused, $code"
case "$code" in 2013*) ;; *) echo "error: the leaked token was not refused" >&2; exit 1 ;; esac

title "6. Status, read only (hyperdrive-dsql-rotator status): every config still holds a working token"
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
