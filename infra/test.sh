#!/usr/bin/env bash
# Runs every infrastructure check from a fresh clone, installing what it needs:
#   npm ci in infra/cdk; checkov and cfn-lint (pinned in infra/requirements.txt) into <repo>/.venv.
# Then: CDK type check, CDK template tests, cdk-nag tests, cdk synth (cdk-nag enforced) + cfn-lint,
# terraform fmt / validate / test, checkov. One line per check; exit 1 if any check failed.
# Offline except for the npm registry and PyPI. Usage: bash infra/test.sh
set -euo pipefail

INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$INFRA")"
CDK="$INFRA/cdk"
VENV="$REPO/.venv"
TF_PLUGINS=/opt/tf-plugins

WORK="$(mktemp -d "${TMPDIR:-/tmp}/infra-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

export CI="${CI:-}"
export CHECKPOINT_DISABLE=1          # no Terraform version check over the network
export CDK_DISABLE_CLI_TELEMETRY=true
export CDK_DISABLE_VERSION_CHECK=true
export NO_UPDATE_NOTIFIER=1
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
: >"$WORK/terraformrc"
export TF_CLI_CONFIG_FILE="$WORK/terraformrc" # an empty CLI config: no stray settings, no warning
export TF_IN_AUTOMATION=1

passed=0 failed=0 skipped=0
failures=()

# check NAME COMMAND...: runs COMMAND with its output in a log; prints one line; shows the log's end on failure.
check() {
  local name="$1"; shift
  local log="$WORK/log.$((passed + failed + skipped))"
  local start=$SECONDS
  if "$@" >"$log" 2>&1 </dev/null; then
    printf 'PASS  %-52s %4ds\n' "$name" $((SECONDS - start))
    passed=$((passed + 1))
  else
    printf 'FAIL  %-52s %4ds\n' "$name" $((SECONDS - start))
    grep -v 'Unknown user config "nodedir"' "$log" | tail -n 60 | sed 's/^/      | /'
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

skip() {
  printf 'SKIP  %-52s       %s\n' "$1" "$2"
  skipped=$((skipped + 1))
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

# --- CDK ------------------------------------------------------------------------------------------------------

cdk_typecheck() { (cd "$CDK" && node_modules/.bin/tsc --noEmit); }
cdk_test() { (cd "$CDK" && node --import tsx --test --test-reporter=spec "$@"); }

# Synthesizes the example app with test inputs: a dummy bootstrap, two targets (admin and non-admin, two regions),
# a created topic with an email subscription. The app registers cdk-nag AwsSolutions, so a finding fails the synth.
cdk_synth() {
  mkdir -p "$WORK/code" && printf '#!/bin/sh\n' >"$WORK/code/bootstrap" &&
  (cd "$CDK" && node_modules/.bin/cdk synth --quiet --no-notices --output "$WORK/cdk.out" \
    -c codePath="$WORK/code" \
    -c cloudflareAccountId=0123456789abcdef0123456789abcdef \
    -c alarmEmail=ops@example.com \
    -c targets='[{"name":"orders","host":"abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"},{"name":"reports","host":"zyxwvutsrqponmlkjihgfedcba.dsql.eu-west-1.on.aws","user":"reader"}]') &&
    ls "$WORK"/cdk.out/*.template.json
}

# W3005 (DependsOn also implied by a GetAtt): lambda.Function always adds DependsOn on its role, which its Role
# property already references; redundant and harmless, and not ours to remove.
cfn_lint() { "$VENV/bin/cfn-lint" --ignore-checks W3005 -- "$WORK"/cdk.out/*.template.json; }

check "cdk: typecheck (tsc)" cdk_typecheck
check "cdk: template tests" cdk_test test/rotator.test.ts
check "cdk: cdk-nag AwsSolutions tests" cdk_test test/nag.test.ts
# The function's own configuration parser must accept the environment the stack renders: the binary runs
# once with it (references replaced by sample ARNs, AWS pointed at a closed port) and must fail at the AWS
# calls (exit 1), not on its configuration (exit 2).
function_accepts_env() {
  local bin
  bin="${ROTATOR_RELEASE_BIN:-$REPO/target/release/hyperdrive-dsql-rotator}"
  [ -x "$bin" ] || bin="$REPO/target/debug/hyperdrive-dsql-rotator"
  python3 - "$bin" "$WORK"/cdk.out/*.template.json <<'PY'
import json, subprocess, sys
bin, template = sys.argv[1], sys.argv[2]
resources = json.load(open(template))["Resources"]
fns = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
assert len(fns) == 1, f"expected one function, found {len(fns)}"
samples = {"SIGNER_ROLE_ARN": "arn:aws:iam::123456789012:role/hyperdrive-dsql-signer",
           "CLOUDFLARE_API_TOKEN_SECRET_ID": "arn:aws:secretsmanager:us-east-1:123456789012:secret:cf-AbCdEf",
           "SIGNER_CREDENTIALS_SECRET_ID": "arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf"}
env = {}
for k, v in fns[0]["Properties"]["Environment"]["Variables"].items():
    env[k] = v if isinstance(v, str) else samples[k]
env.update({"PATH": "/usr/bin:/bin", "HOME": "/tmp", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "x", "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_EC2_METADATA_DISABLED": "true"})
out = subprocess.run([bin, "--dry-run", "--timeout", "20"], env=env, capture_output=True, text=True)
if out.returncode != 1:
    sys.exit(f"exit {out.returncode} (want 1: configuration accepted, AWS unreachable)\n{out.stderr[-2000:]}")
print(f"configuration accepted: {sorted(k for k in env if not k.startswith(('AWS_', 'PATH', 'HOME')))}")
PY
}

if check "cdk: synth example app (+cdk-nag)" cdk_synth; then
  check "cfn-lint: synthesized template" cfn_lint
  if [ -x "${ROTATOR_RELEASE_BIN:-$REPO/target/release/hyperdrive-dsql-rotator}" ] || [ -x "$REPO/target/debug/hyperdrive-dsql-rotator" ]; then
    check "cdk: the function accepts the rendered environment" function_accepts_env
  else
    skip "cdk: the function accepts the rendered environment" "(no built binary: run cargo build first)"
  fi
else
  skip "cfn-lint: synthesized template" "(no template: synth failed)"
fi

# --- Terraform ------------------------------------------------------------------------------------------------

# A copy, so that init leaves no .terraform or lock file in the work tree.
TF="$WORK/terraform"
mkdir -p "$TF"
tar -C "$INFRA/terraform" --exclude=.terraform --exclude=.terraform.lock.hcl -cf - . | tar -C "$TF" -xf -
python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').writestr('bootstrap', '#!/bin/sh\n')" "$WORK/bootstrap.zip"

tf_init_validate() { (cd "$TF/$1" && terraform init -backend=false -plugin-dir="$TF_PLUGINS" -input=false -no-color && terraform validate -no-color); }
tf_test() { (cd "$TF/$1" && terraform test -no-color -var="lambda_zip_path=$WORK/bootstrap.zip"); }
checkov_scan() {
  "$VENV/bin/checkov" --directory "$TF" --framework terraform --skip-download --quiet --compact --output cli
}

if command -v terraform >/dev/null 2>&1; then
  check "terraform: fmt -check" terraform fmt -check -recursive -diff "$INFRA/terraform"
  if [ -d "$TF_PLUGINS" ]; then
    check "terraform: validate module" tf_init_validate modules/hyperdrive-dsql-rotator
    check "terraform: validate example" tf_init_validate examples/basic
    check "terraform: test module (mocked plan)" tf_test modules/hyperdrive-dsql-rotator
    check "terraform: test example (mocked plan)" tf_test examples/basic
  else
    for c in "validate module" "validate example" "test module (mocked plan)" "test example (mocked plan)"; do
      skip "terraform: $c" "($TF_PLUGINS absent: no offline AWS provider 5.100.0)"
    done
  fi
else
  skip "terraform: all checks" "(terraform is not installed)"
fi
check "checkov: terraform" checkov_scan

# --- Summary --------------------------------------------------------------------------------------------------

echo
echo "infra: $passed passed, $failed failed, $skipped skipped"
if [ "$failed" -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}"
  exit 1
fi
