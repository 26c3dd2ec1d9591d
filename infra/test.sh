#!/usr/bin/env bash
# Runs every infrastructure check from a fresh clone, installing what it needs:
#   npm ci in infra/cdk; checkov and cfn-lint (pinned in infra/requirements.txt) into <repo>/.venv.
# Then: CDK type check, CDK template, corpus and cdk-nag tests, cdk synth (cdk-nag enforced) of the example app and
# of infra/README.md's walk-through + cfn-lint, the npm package packed, installed and synthesized (pack-test.sh), the
# function binary against the rendered environments and the bad-target corpus; terraform fmt, the module READMEs'
# tables against their variables and outputs, validate / test (modules, examples, corpus), checkov. The Terraform
# checks run in the background while the CDK ones run. One line per check; exit 1 if any check failed.
# Offline except for the npm registry and PyPI. Usage: bash infra/test.sh
# The function binary: $ROTATOR_RELEASE_BIN, else <repo>/target/release, else <repo>/target/debug.
set -euo pipefail

INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$INFRA")"
CDK="$INFRA/cdk"
VENV="$REPO/.venv"
TF_PLUGINS=/opt/tf-plugins
CORPUS="$REPO/tests/fixtures/bad-targets.json"
CHECKS="$INFRA/checks.py"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/infra-test.XXXXXX")"
tf_pid=""
cleanup() {
  if [ -n "$tf_pid" ]; then kill -- "$tf_pid" 2>/dev/null || true; wait "$tf_pid" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export CI="${CI:-}"
export CHECKPOINT_DISABLE=1          # no Terraform version check over the network
export CDK_DISABLE_CLI_TELEMETRY=true
export CDK_DISABLE_VERSION_CHECK=true
export NO_UPDATE_NOTIFIER=1
export PYTHONDONTWRITEBYTECODE=1
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
: >"$WORK/terraformrc"
export TF_CLI_CONFIG_FILE="$WORK/terraformrc" # an empty CLI config: no stray settings, no warning
export TF_IN_AUTOMATION=1
mkdir -p "$WORK/plugin-cache"
export TF_PLUGIN_CACHE_DIR="$WORK/plugin-cache" # the 0.7 GB provider is copied once, then linked

RESULTS="$WORK/results"
: >"$RESULTS"

# check NAME COMMAND...: runs COMMAND with its output in a log; prints one line; shows the log's end on failure.
check() {
  local name="$1"; shift
  local log
  log="$(mktemp "$WORK/log.XXXXXX")"
  local start=$SECONDS
  if "$@" >"$log" 2>&1 </dev/null; then
    printf 'PASS  %-58s %4ds\n' "$name" $((SECONDS - start))
    echo "PASS $name" >>"$RESULTS"
  else
    printf 'FAIL  %-58s %4ds\n' "$name" $((SECONDS - start))
    grep -v 'Unknown user config "nodedir"' "$log" | tail -n 60 | sed 's/^/      | /'
    echo "FAIL $name" >>"$RESULTS"
  fi
}

skip() {
  printf 'SKIP  %-58s       %s\n' "$1" "$2"
  echo "SKIP $1" >>"$RESULTS"
}

# --- Installs -------------------------------------------------------------------------------------------------

npm_install() { (cd "$CDK" && npm ci --no-audit --no-fund); }

venv_install() {
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" || return 1
  # Install only when a pin is missing, so a warm run does not touch PyPI; never removes other packages.
  if ! "$VENV/bin/python" - "$INFRA/requirements.txt" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, pin = line.split("==")
    try:
        if version(name) != pin:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
  then
    "$VENV/bin/pip" install --disable-pip-version-check -q -r "$INFRA/requirements.txt" || return 1
  fi
}

check "install: npm ci (infra/cdk)" npm_install
check "install: .venv checkov, cfn-lint" venv_install

# --- Terraform (in the background) ----------------------------------------------------------------------------

# A copy, so that init leaves no .terraform or lock file in the work tree.
TF="$WORK/terraform"
mkdir -p "$TF"
tar -C "$INFRA/terraform" --exclude=.terraform --exclude=.terraform.lock.hcl -cf - . | tar -C "$TF" -xf -
python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').writestr('bootstrap', '#!/bin/sh\n')" "$WORK/bootstrap.zip"

tf_init_validate() { (cd "$TF/$1" && terraform init -backend=false -plugin-dir="$TF_PLUGINS" -input=false -no-color && terraform validate -no-color); }
tf_test() { local dir="$1"; shift; (cd "$TF/$dir" && terraform test -no-color "$@"); }
tf_hcl_interpolations() { (cd "$TF" && python3 "$CHECKS" hcl-interpolations $(find . -name '*.tf' -not -path '*/.terraform/*')); }
tf_validations() { python3 "$CHECKS" tf-validations "$TF/modules/hyperdrive-dsql-rotator/variables.tf"; }
tf_readmes() { for m in hyperdrive-dsql-rotator cross-account-signer; do python3 "$CHECKS" tf-readme "$TF/modules/$m" || return 1; done; }
# The corpus, each entry alone: one generated run per entry, expecting var.targets to fail.
tf_corpus_runs() {
  python3 "$CHECKS" tf-corpus-runs "$CORPUS" "$TF/modules/hyperdrive-dsql-rotator/tests/bad_targets.tftest.hcl" &&
    tf_test modules/hyperdrive-dsql-rotator -filter=tests/bad_targets.tftest.hcl -var="lambda_zip_path=$WORK/bootstrap.zip"
}
# The corpus, all at once through `terraform console`: each entry's index and field are named in the errors.
tf_corpus_console() {
  python3 -c 'import json, sys; json.dump({"targets": [e["target"] for e in json.load(open(sys.argv[1]))],
    "cloudflare_account_id": "0123456789abcdef0123456789abcdef", "lambda_zip_path": sys.argv[2]}, open(sys.argv[3], "w"))' \
    "$CORPUS" "$WORK/bootstrap.zip" "$WORK/corpus.tfvars.json" &&
    (cd "$TF/modules/hyperdrive-dsql-rotator" && echo 'length(var.targets)' |
      AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
        terraform console -no-color -var-file="$WORK/corpus.tfvars.json" >"$WORK/console.out" 2>&1 || true) &&
    python3 "$CHECKS" tf-corpus-console "$CORPUS" "$WORK/console.out"
}
# 200 targets in 40 accounts (the FLEET of tests/fleet.tftest.hcl) written into a layer by the module's helper, twice:
# the zip must be byte-identical (reproducible, so an unchanged list makes no new layer version); then the plan tests.
tf_fleet() {
  local helper="$TF/modules/hyperdrive-dsql-rotator/scripts/targets_layer.py"
  python3 -c 'import json, sys; json.dump([{"name": "db-%03d" % i, "host": "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws",
    "user": "app", "account_id": "0" * 30 + "%02d" % (i // 5), "mtls": {"sslmode": "verify-full",
    "ca_certificate_id": "12345678-aaaa-bbbb-cccc-1234567890ab"}} for i in range(200)], open(sys.argv[1], "w"))' "$WORK/fleet.json" &&
    python3 "$helper" --targets "$WORK/fleet.json" --out "$WORK/fleet-layer-1.zip" &&
    python3 "$helper" --targets "$WORK/fleet.json" --out "$WORK/fleet-layer.zip" &&
    cmp "$WORK/fleet-layer-1.zip" "$WORK/fleet-layer.zip" &&
    tf_test modules/hyperdrive-dsql-rotator -filter=tests/fleet.tftest.hcl "-var=lambda_zip_path=$WORK/bootstrap.zip" \
      "-var=targets_layer_zip_path=$WORK/fleet-layer.zip"
}
checkov_scan() {
  "$VENV/bin/checkov" --directory "$TF" --framework terraform --skip-download --quiet --compact --output cli
}

terraform_checks() {
  if command -v terraform >/dev/null 2>&1; then
    check "terraform: fmt -check" terraform fmt -check -recursive -diff "$INFRA/terraform"
    check "terraform: no quoted string in an interpolation" tf_hcl_interpolations
    check "terraform: target validations' two copies agree" tf_validations
    check "terraform: module READMEs list every input and output" tf_readmes
    if [ -d "$TF_PLUGINS" ]; then
      local zip="-var=lambda_zip_path=$WORK/bootstrap.zip"
      check "terraform: validate module hyperdrive-dsql-rotator" tf_init_validate modules/hyperdrive-dsql-rotator
      check "terraform: validate module cross-account-signer" tf_init_validate modules/cross-account-signer
      check "terraform: validate example basic" tf_init_validate examples/basic
      check "terraform: validate example two-accounts" tf_init_validate examples/two-accounts
      check "terraform: test module hyperdrive-dsql-rotator (mocked plan)" tf_test modules/hyperdrive-dsql-rotator -filter=tests/rotator.tftest.hcl "$zip"
      check "terraform: time-to-dark alarms and dashboard (mocked plan)" tf_test modules/hyperdrive-dsql-rotator -filter=tests/time_to_dark.tftest.hcl "$zip"
      check "terraform: fleet inputs: mtls, token per account, 200 targets in a layer" tf_fleet
      check "terraform: bad-target corpus, each refused at plan" tf_corpus_runs
      check "terraform: bad-target corpus, each field named" tf_corpus_console
      check "terraform: test module cross-account-signer (mocked plan)" tf_test modules/cross-account-signer
      check "terraform: test example basic (mocked plan)" tf_test examples/basic "$zip"
      check "terraform: walk-through (two-accounts, its tfvars) planned" tf_test examples/two-accounts -var-file=terraform.tfvars.example "$zip"
    else
      for c in "validate and test (modules, examples, corpus)"; do
        skip "terraform: $c" "($TF_PLUGINS absent: no offline AWS provider 5.100.0)"
      done
    fi
  else
    skip "terraform: all checks" "(terraform is not installed)"
  fi
  check "checkov: terraform" checkov_scan
}

terraform_checks >"$WORK/terraform.out" 2>&1 &
tf_pid=$!

# --- CDK ------------------------------------------------------------------------------------------------------

BIN="${ROTATOR_RELEASE_BIN:-$REPO/target/release/hyperdrive-dsql-rotator}"
[ -x "$BIN" ] || BIN="$REPO/target/debug/hyperdrive-dsql-rotator"

cdk_typecheck() { (cd "$CDK" && node_modules/.bin/tsc --noEmit); }
cdk_test() { (cd "$CDK" && node --import tsx --test --test-reporter=spec "$@"); }

mkdir -p "$WORK/code" && printf '#!/bin/sh\n' >"$WORK/code/bootstrap"

# cdk_synth [OUT [-c key=value...]]: synthesizes the example app into OUT (default $WORK/cdk.out) with test inputs
# (a dummy bootstrap, two targets: admin and non-admin, two regions; a created topic with an email subscription) and
# the extra context given. The app registers cdk-nag AwsSolutions, so a finding fails the synth.
cdk_synth() {
  local out="${1:-$WORK/cdk.out}"
  [ $# -eq 0 ] || shift
  (cd "$CDK" && node_modules/.bin/cdk synth --quiet --no-notices --output "$out" "$@" \
    -c codePath="$WORK/code" \
    -c cloudflareAccountId=0123456789abcdef0123456789abcdef \
    -c alarmEmail=ops@example.com \
    -c targets='[{"name":"orders","host":"abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"},{"name":"reports","host":"zyxwvutsrqponmlkjihgfedcba.dsql.eu-west-1.on.aws","user":"reader"}]') &&
    ls "$out"/*.template.json
}

# Synthesizes the `npx cdk deploy` of infra/README.md's walk-through step MARKER, as written there, with the account
# and region the walk-through's credentials would give (CDK_DEFAULT_ACCOUNT/REGION) and a dummy bootstrap.
cdk_walkthrough() {
  local marker="$1" account="$2" region="$3" out="$4" args=()
  python3 "$CHECKS" walkthrough "$INFRA/README.md" "$marker" >"$out.args" || return 1
  printf '\0' >>"$out.args"
  while IFS= read -r -d '' arg; do args+=("$arg"); done <"$out.args"
  echo "cdk synth ${args[*]}"
  (cd "$CDK" && CDK_DEFAULT_ACCOUNT="$account" CDK_DEFAULT_REGION="$region" AWS_REGION="$region" HDR_CODE_PATH="$WORK/code" \
    node_modules/.bin/cdk synth --quiet --no-notices --output "$out" "${args[@]}") &&
    ls "$out"/*.template.json
}

# W3005 (DependsOn also implied by a GetAtt): lambda.Function always adds DependsOn on its role, which its Role
# property already references; redundant and harmless, and not ours to remove.
cfn_lint() { "$VENV/bin/cfn-lint" --ignore-checks W3005 -- "$@"; }

# The function's own configuration parser must accept the environment a stack renders: the binary runs once with it
# (references replaced by sample ARNs, AWS pointed at a closed port) and must fail at the AWS calls (exit 1), not on
# its configuration (exit 2). Exit 3: the binary predates signer_role_arn (reported as a skip).
function_accepts_env() { python3 "$CHECKS" function-env "$BIN" "$1"; }
function_corpus() { python3 "$CHECKS" function-corpus "$BIN" "$CORPUS"; }

env_check() {
  local name="$1" template="$2" log="$WORK/env.$RANDOM"
  if [ ! -x "$BIN" ]; then
    skip "$name" "(no built binary: run cargo build first)"
  elif python3 "$CHECKS" function-env "$BIN" "$template" >"$log" 2>&1; then
    check "$name" cat "$log"
  elif [ $? -eq 3 ]; then
    skip "$name" "(the binary predates signer_role_arn: $BIN)"
  else
    check "$name" sh -c "cat '$log'; exit 1"
  fi
}

check "cdk: typecheck (tsc)" cdk_typecheck
check "cdk: template tests (construct, cross-account)" cdk_test test/rotator.test.ts test/cross-account.test.ts
check "cdk: time-to-dark alarms and dashboard tests" cdk_test test/dark-alarms.test.ts
check "cdk: bad-target corpus, each refused at synth" cdk_test test/targets.test.ts
check "cdk: fleet inputs: mtls, token per account, 200 targets in a layer" cdk_test test/fleet.test.ts
check "cdk: cdk-nag AwsSolutions tests" cdk_test test/nag.test.ts

if check "cdk: synth example app (+cdk-nag)" cdk_synth; then
  check "cfn-lint: synthesized template" cfn_lint "$WORK"/cdk.out/*.template.json
  env_check "function: accepts the example app's environment" "$WORK"/cdk.out/HyperdriveDsqlRotator.template.json
else
  skip "cfn-lint: synthesized template" "(no template: synth failed)"
fi
# long-term-keys mode: the signer user, its keys secret and their rotation (SIGNER_USER_NAME, the created secret).
if check "cdk: synth example app, long-term-keys mode (+cdk-nag)" cdk_synth "$WORK/cdk-keys.out" -c signingMode=long-term-keys; then
  check "cfn-lint: long-term-keys template" cfn_lint "$WORK"/cdk-keys.out/*.template.json
  env_check "function: accepts the long-term-keys environment" "$WORK"/cdk-keys.out/HyperdriveDsqlRotator.template.json
else
  skip "cfn-lint: long-term-keys template" "(no template: synth failed)"
fi

WT_MAIN="$WORK/walkthrough-rotator" WT_SIGNER="$WORK/walkthrough-signer"
if check "cdk: walk-through, rotator stack (account 1)" cdk_walkthrough walkthrough:cdk-rotator 111111111111 us-east-1 "$WT_MAIN" &&
  check "cdk: walk-through, signer stack (account 2)" cdk_walkthrough walkthrough:cdk-signer 222222222222 us-west-2 "$WT_SIGNER"; then
  check "cfn-lint: walk-through templates" cfn_lint "$WT_MAIN"/*.template.json "$WT_SIGNER"/*.template.json
  check "cdk: walk-through signer matches the rotator's outputs" \
    python3 "$CHECKS" walkthrough-consistent "$WT_MAIN" "$WT_SIGNER" "$INFRA/README.md"
  env_check "function: accepts the walk-through's environment" "$WT_MAIN/HyperdriveDsqlRotator.template.json"
else
  skip "cdk: walk-through checks" "(synth failed)"
fi

# The construct as a consumer gets it: npm pack, installed into a fresh app, synthesized (infra/pack-test.sh).
check "cdk: npm pack installed into a fresh app, synthesized" bash "$INFRA/pack-test.sh" "$WORK/pack"

if [ -x "$BIN" ]; then
  check "function: bad-target corpus, each refused (exit 2)" function_corpus
  check "function: accepts 200 targets from the layer file, a token per account" python3 "$INFRA/fleet_function_check.py" "$BIN"
else
  skip "function: bad-target corpus, each refused (exit 2)" "(no built binary: run cargo build first)"
fi

# --- Terraform results ------------------------------------------------------------------------------------------

wait "$tf_pid" || true
tf_pid=""
cat "$WORK/terraform.out"

# --- Summary --------------------------------------------------------------------------------------------------

passed=$(grep -c '^PASS ' "$RESULTS" || true)
failed=$(grep -c '^FAIL ' "$RESULTS" || true)
skipped=$(grep -c '^SKIP ' "$RESULTS" || true)
echo
echo "infra: $passed passed, $failed failed, $skipped skipped"
if [ "$failed" -gt 0 ]; then
  sed -n 's/^FAIL /failed: /p' "$RESULTS"
  exit 1
fi
