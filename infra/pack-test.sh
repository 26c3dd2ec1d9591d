#!/usr/bin/env bash
# The CDK constructs as a consumer gets them: packs infra/cdk (`npm pack`: compiled JavaScript and .d.ts only, no
# TypeScript source, example app or test), installs the tarball with aws-cdk-lib and constructs into a fresh app in a
# temporary directory, type-checks a TypeScript app against the package's declarations, synthesizes its stack with a
# dummy release zip (codePath), and checks that the function (with that zip as its code) and the six alarms are in
# the template. Nothing is written to the work tree (the package is built from a copy). Offline except for the npm
# registry (npm's cache first). Needs `npm ci` done in infra/cdk (its TypeScript compiler and aws-cdk-lib types).
# Usage: bash infra/pack-test.sh [WORK_DIR]   (WORK_DIR: an empty directory to use; default: a temporary one)
set -euo pipefail

INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CDK="$INFRA/cdk"
if [ $# -ge 1 ]; then
  WORK="$1"
  mkdir -p "$WORK"
else
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/pack-test.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
fi
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# 1. Pack a copy of the package's sources, with the project's node_modules for the build.
PKG="$WORK/pkg"
mkdir -p "$PKG"
cp -R "$CDK/lib" "$CDK/package.json" "$CDK/tsconfig.json" "$CDK/tsconfig.build.json" "$CDK/README.md" "$PKG/"
ln -s "$CDK/node_modules" "$PKG/node_modules"
tarball="$(cd "$PKG" && npm pack --silent --pack-destination "$WORK" | tail -n 1)"
tarball="$WORK/$tarball"
echo "packed $(basename "$tarball") ($(wc -c <"$tarball") bytes)"

# 2. Its contents: compiled JavaScript and declarations, package.json and README.md; nothing else.
tar -tzf "$tarball" | python3 -c '
import sys
files = sorted(line.strip() for line in sys.stdin if line.strip())
allowed = lambda f: f in ("package/package.json", "package/README.md") or (
    f.startswith("package/dist/") and (f.endswith(".js") or f.endswith(".d.ts")))
bad = [f for f in files if not allowed(f)]
for needed in ("package/dist/index.js", "package/dist/index.d.ts", "package/dist/hyperdrive-dsql-rotator.d.ts",
               "package/README.md"):
    if needed not in files:
        bad.append("missing " + needed)
js = {f[:-3] for f in files if f.endswith(".js")}
dts = {f[:-5] for f in files if f.endswith(".d.ts")}
if js != dts:
    bad.append("a .js without its .d.ts or the other way: %s" % sorted(js ^ dts))
if bad:
    sys.exit("unexpected package contents:\n  " + "\n  ".join(bad))
print("contents: %d files, dist/*.js with their .d.ts, package.json, README.md" % len(files))
'

# 3. A fresh app: the tarball, aws-cdk-lib and constructs at the versions this repository tests with.
APP="$WORK/app"
mkdir -p "$APP"
read -r cdk_lib constructs < <(node -e '
  const p = require(process.argv[1]);
  console.log(p.devDependencies["aws-cdk-lib"], p.devDependencies.constructs);' "$CDK/package.json")
printf '{ "name": "consumer-app", "version": "0.0.0", "private": true }\n' >"$APP/package.json"
(cd "$APP" && npm install --no-audit --no-fund --prefer-offline --loglevel=error \
  "$tarball" "aws-cdk-lib@$cdk_lib" "constructs@$constructs")
node -e 'const p = require(process.argv[1]); if (!p.dependencies["hyperdrive-dsql-rotator-cdk"]) process.exit(1);' \
  "$APP/package.json"

# A release zip as scripts/release.sh names it (its content does not matter to a synth).
mkdir -p "$WORK/dist"
ZIP="$WORK/dist/hyperdrive-dsql-rotator-0.1.0-x86_64.zip"
python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1], 'w').writestr('bootstrap', '#!/bin/sh\n')" "$ZIP"

cat >"$APP/app.ts" <<'TS'
// A consumer's app: imports the package by name, as its README shows.
import { App, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CrossAccountDsqlSigner, HyperdriveDsqlRotator, RELEASE_ZIP } from 'hyperdrive-dsql-rotator-cdk';

declare const process: { argv: string[] };
declare const console: { log(message: string): void };
const [zip, outdir] = process.argv.slice(2);
if (!RELEASE_ZIP.test(zip.split('/').pop()!)) throw new Error(`not a release zip name: ${zip}`);

const app = new App({ outdir });
const stack = new Stack(app, 'Consumer', { env: { account: '111122223333', region: 'us-east-1' } });
const rotator = new HyperdriveDsqlRotator(stack, 'Rotator', {
  codePath: zip,
  cloudflareAccountId: '0123456789abcdef0123456789abcdef',
  targets: [{ name: 'orders-db', host: 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws' }],
  alarmEmail: 'ops@example.com',
});
const alarms: cloudwatch.Alarm[] = [
  rotator.errorsAlarm,
  rotator.missedRunsAlarm,
  rotator.failedEventsAlarm,
  rotator.deliveryFailuresAlarm,
  rotator.cloudflareTokenAlarm,
  ...(rotator.darkSoonAlarm ? [rotator.darkSoonAlarm] : []),
];
const other = new Stack(app, 'Signer', { env: { account: '444455556666', region: 'us-east-1' } });
new CrossAccountDsqlSigner(other, 'Signer', {
  executionRoleArn: 'arn:aws:iam::111122223333:role/rotator',
  dbConnectClusterArns: ['arn:aws:dsql:us-east-1:444455556666:cluster/abcdefghijklmnopqrstuvwxyz'],
});
app.synth();
console.log(`synthesized ${stack.stackName} with ${alarms.length} alarms`);
TS
# Type-checks against the package's declarations (and emits app.js).
cat >"$APP/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "strict": true, "target": "ES2022", "module": "commonjs", "moduleResolution": "node", "lib": ["ES2022"],
    "types": [], "skipLibCheck": true, "outDir": "."
  },
  "files": ["app.ts"]
}
JSON
"$CDK/node_modules/.bin/tsc" -p "$APP/tsconfig.json"
(cd "$APP" && node app.js "$ZIP" "$WORK/cdk.out")

# 4. The template: the function, whose code is that zip, and the six alarms (four on failures, dark soon, the
# Cloudflare token expiring).
python3 - "$WORK/cdk.out" "$ZIP" <<'PY'
import hashlib, json, os, sys
out, zip_path = sys.argv[1], sys.argv[2]
template = json.load(open(os.path.join(out, "Consumer.template.json")))
resources = template["Resources"]
fns = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
alarms = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
problems = []
if len(fns) != 1:
    problems.append(f"{len(fns)} functions, want 1")
else:
    props = fns[0]["Properties"]
    if (props.get("Runtime"), props.get("Handler")) != ("provided.al2023", "bootstrap"):
        problems.append(f"function runtime/handler: {props.get('Runtime')}/{props.get('Handler')}")
    assets = json.load(open(os.path.join(out, "Consumer.assets.json")))["files"]
    key = props["Code"]["S3Key"]
    asset = next((a for h, a in assets.items() if key.startswith(h)), None)
    want = hashlib.sha256(open(zip_path, "rb").read()).hexdigest()
    if asset is None or asset["source"].get("packaging") != "file":
        problems.append(f"the function's code is not a file asset: {key}")
    elif hashlib.sha256(open(os.path.join(out, asset["source"]["path"]), "rb").read()).hexdigest() != want:
        problems.append("the function's code is not the release zip")
metrics = sorted(a["Properties"].get("MetricName") for a in alarms)
if metrics != ["CloudflareTokenSecondsLeft", "Errors", "FailedInvocations", "Invocations", "MinSecondsToDark",
               "NumberOfMessagesSent"]:
    problems.append(f"alarms: {metrics}")
if problems:
    sys.exit("\n".join(problems))
print("template: the function (code: the release zip) and the six alarms")
PY
