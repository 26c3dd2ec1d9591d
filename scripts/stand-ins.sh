#!/usr/bin/env bash
# Starts the local stand-ins for AWS and Cloudflare that the demo uses, and keeps them running until Ctrl-C:
# moto (Secrets Manager, STS, IAM) and the Hyperdrive API emulator, on free ports of 127.0.0.1. moto holds a
# Cloudflare API token (secret demo/cloudflare-api-token) that the emulator accepts and the signer role; the emulator
# holds one config made "by hand" (users-db). The function's environment for these stand-ins is written to
# .run/stand-ins.env, for `scripts/cargo-lambda watch --env-file .run/stand-ins.env` or for the command line
# (`set -a; . .run/stand-ins.env; set +a`); the token, for recipes that store it, to .run/stand-ins.cloudflare-token.
# The demo sources this file for start_stand_ins.
# Usage: scripts/stand-ins.sh
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ACCOUNT=0123456789abcdef0123456789abcdef
ACCOUNT_2=fedcba9876543210fedcba9876543210
ORDERS_HOST=abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws
USERS_HOST=zyxwvutsrqponmlkjihgfedcba.dsql.us-west-2.on.aws
ANALYTICS_HOST=analyticsclusterid0000000.dsql.eu-west-1.on.aws
SIGNER_ROLE=arn:aws:iam::123456789012:role/hyperdrive-dsql-signer
TARGETS='[{"name":"orders-db","host":"'$ORDERS_HOST'"},
 {"name":"users-db","host":"'$USERS_HOST'","user":"app"},
 {"name":"analytics-db","host":"'$ANALYTICS_HOST'","account_id":"'$ACCOUNT_2'","caching":{"disabled":true}}]'

# start_stand_ins ENV_FILE: builds the emulator, starts moto and the emulator (stopped when the calling script
# exits), stores the token, the role and users-db, and writes the function's environment to ENV_FILE. Exports
# MOTO_URL, EMU (the emulator's base URL) and DEMO_CLOUDFLARE_TOKEN (the token the emulator accepts).
start_stand_ins() {
  local env_file="$1" port
  # Built on its own: built together with the function, cargo would unify their features and `cargo run` of the
  # function (cargo lambda watch) would build everything again.
  cargo build --quiet -p hyperdrive-emulator
  say "starting moto and the Hyperdrive emulator on 127.0.0.1"
  start_moto
  DEMO_CLOUDFLARE_TOKEN="demo-$(python3 -c 'import secrets; print(secrets.token_urlsafe(30))')"
  export DEMO_CLOUDFLARE_TOKEN
  port="$(free_port)"
  start_bg emulator "$ROOT/target/debug/hyperdrive-emulator" --listen "127.0.0.1:$port" --token-env DEMO_CLOUDFLARE_TOKEN
  export EMU="http://127.0.0.1:$port"
  wait_http "$EMU/__admin/configs" 30 emulator

  say "storing the Cloudflare API token in moto's Secrets Manager as demo/cloudflare-api-token"
  "$VENV/bin/python" - "$MOTO_URL" <<'PY'
import json, os, sys, boto3
sm = boto3.client("secretsmanager", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id="demo", aws_secret_access_key="demo")
sm.create_secret(Name="demo/cloudflare-api-token",
                 SecretString=json.dumps({"api_token": os.environ["DEMO_CLOUDFLARE_TOKEN"]}))
# The signer role, in moto's IAM: revoke puts its deny policy on it.
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="demo", aws_secret_access_key="demo")
iam.create_role(RoleName="hyperdrive-dsql-signer", AssumeRolePolicyDocument=json.dumps({
    "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                            "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}))
PY

  # users-db already exists, made by hand in the dashboard; Workers are bound to its id.
  curl -sf -X POST "$EMU/__admin/configs/$ACCOUNT" -H 'content-type: application/json' \
    -d '{"name":"users-db","origin":{"scheme":"postgres","host":"'$USERS_HOST'","port":5432,"database":"postgres","user":"app"}}' >/dev/null

  # The token, for recipes that store it again (README, "Put the Cloudflare token in its secret"): readable by you only.
  (umask 077 && printf '%s\n' "$DEMO_CLOUDFLARE_TOKEN" >"$RUN_DIR/stand-ins.cloudflare-token")
  cat >"$env_file" <<ENV
AWS_REGION=us-east-1
AWS_DEFAULT_REGION=us-east-1
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
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  cd "$ROOT"
  ensure_venv
  start_stand_ins "$RUN_DIR/stand-ins.env"
  echo "stand-ins ready: moto on $MOTO_URL, the Hyperdrive emulator on $EMU"
  echo "the function's environment for them: .run/stand-ins.env; their logs: .run/moto.log, .run/emulator.log"
  echo "Ctrl-C stops them"
  # Until interrupted, or until a stand-in dies.
  wait -n
  echo "error: a stand-in exited; see .run/moto.log and .run/emulator.log" >&2
  exit 1
fi
