#!/usr/bin/env python3
"""Helpers of infra/test.sh (standard library only). Each subcommand exits non-zero with a message on failure.

  function-env BIN TEMPLATE        the function accepts the environment a synthesized template renders
  function-corpus BIN CORPUS       the function refuses each bad target alone (exit 2, the field named)
  walkthrough README MARKER        prints, NUL-separated, the arguments of the `npx cdk deploy` under <!-- MARKER -->
  walkthrough-consistent MAIN_OUT SIGNER_OUT README
                                   the walk-through's two stacks (cdk.out directories) are in its two accounts and
                                   regions, and its signer command carries exactly what the rotator stack outputs
  tf-corpus-runs CORPUS OUT        writes one terraform test run per bad target, each expecting var.targets to fail
  tf-corpus-console CORPUS OUTPUT  each bad target's field is named in `terraform console`'s validation errors
  hcl-interpolations FILE...       no quoted string inside a ${...} (checkov's HCL parser cannot read them)
  tf-validations VARIABLES_TF      in each target validation, the check that fails the condition is the same one
                                   that picks the targets its message lists (the two copies Terraform requires)
  tf-readme MODULE_DIR             the module README's Inputs and Outputs tables name exactly the variables of
                                   the module's .tf files (with their defaults) and their outputs
"""
import glob
import json
import os
import re
import shlex
import subprocess
import sys

OFFLINE_AWS = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/tmp",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "x",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_EC2_METADATA_DISABLED": "true",
}
SAMPLES = {
    "SIGNER_ROLE_ARN": "arn:aws:iam::123456789012:role/hyperdrive-dsql-signer",
    "CLOUDFLARE_API_TOKEN_SECRET_ID": "arn:aws:secretsmanager:us-east-1:123456789012:secret:cf-AbCdEf",
    "SIGNER_CREDENTIALS_SECRET_ID": "arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf",
    "SIGNER_USER_NAME": "HyperdriveDsqlRotator-RotatorSignerUser-AbCdEf123456",
}
PROBE_HOST = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"


def fail(message):
    sys.exit(message)


def run_function(binary, env):
    return subprocess.run([binary, "--dry-run", "--timeout", "20"], env={**OFFLINE_AWS, **env},
                          capture_output=True, text=True, timeout=60)


def knows_signer_role_arn(binary):
    """False when the binary predates the target field signer_role_arn (it refuses it as unknown)."""
    out = run_function(binary, {
        "CLOUDFLARE_ACCOUNT_ID": "0123456789abcdef0123456789abcdef",
        "CLOUDFLARE_API_TOKEN_SECRET_ID": SAMPLES["CLOUDFLARE_API_TOKEN_SECRET_ID"],
        "HYPERDRIVE_TARGETS": json.dumps([{"name": "probe", "host": PROBE_HOST,
                                           "signer_role_arn": "arn:aws:iam::123456789012:role/probe"}]),
    })
    return not (out.returncode == 2 and ".signer_role_arn" in out.stderr)


def function_env(binary, template):
    """Exit 0: accepted (the run fails at the AWS calls, exit 1); 3: the binary predates signer_role_arn."""
    resources = json.load(open(template))["Resources"]
    fns = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
    if len(fns) != 1:
        fail(f"expected one function in {template}, found {len(fns)}")
    env = {}
    for key, value in fns[0]["Properties"]["Environment"]["Variables"].items():
        env[key] = value if isinstance(value, str) else SAMPLES[key]
    if "signer_role_arn" in env.get("HYPERDRIVE_TARGETS", "") and not knows_signer_role_arn(binary):
        print("the function binary predates the target field signer_role_arn")
        sys.exit(3)
    out = run_function(binary, env)
    if out.returncode != 1:
        fail(f"exit {out.returncode} (want 1: configuration accepted, AWS unreachable)\n{out.stderr[-2000:]}")
    print(f"configuration accepted: {sorted(env)}")


def function_corpus(binary, corpus):
    entries = json.load(open(corpus))
    base = {"CLOUDFLARE_ACCOUNT_ID": "0123456789abcdef0123456789abcdef",
            "CLOUDFLARE_API_TOKEN_SECRET_ID": SAMPLES["CLOUDFLARE_API_TOKEN_SECRET_ID"]}
    bad = []
    for i, entry in enumerate(entries):
        out = run_function(binary, {**base, "HYPERDRIVE_TARGETS": json.dumps([entry["target"]])})
        named = f"HYPERDRIVE_TARGETS[0].{entry['field']}"
        if out.returncode != 2 or named not in out.stderr:
            bad.append(f"entry {i} ({entry['why']}): exit {out.returncode}, {named} not named:\n{out.stderr[-800:]}")
    print(f"{len(entries) - len(bad)}/{len(entries)} bad targets refused by the function (exit 2, field named)")
    if bad:
        fail("\n".join(bad))


def walkthrough(readme, marker):
    """The arguments of the `npx cdk deploy` command in the sh block after <!-- MARKER -->."""
    text = open(readme).read()
    at = text.find(f"<!-- {marker} -->")
    if at < 0:
        fail(f"no <!-- {marker} --> in {readme}")
    block = re.search(r"```sh\n(.*?)```", text[at:], re.S)
    if not block:
        fail(f"no sh block after <!-- {marker} -->")
    lines, current = [], ""
    for raw in block.group(1).splitlines():
        line = raw.strip()
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        lines.append(current + line)
        current = ""
    deploys = []
    for line in lines:
        words = shlex.split(line, comments=True)
        segment = []
        for word in words + ["&&"]:
            if word == "&&":
                if segment[:3] == ["npx", "cdk", "deploy"]:
                    deploys.append(segment[3:])
                segment = []
            else:
                segment.append(word)
    if len(deploys) != 1:
        fail(f"expected one `npx cdk deploy` after <!-- {marker} -->, found {len(deploys)}")
    sys.stdout.write("\0".join(deploys[0]))


def context_flags(args):
    """-c key=value pairs of a cdk command line."""
    flags = {}
    for flag, value in zip(args, args[1:]):
        if flag in ("-c", "--context"):
            key, _, val = value.partition("=")
            flags[key] = val
    return flags


def render(value, refs):
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(render(p, refs) for p in parts)
    if "Fn::GetAtt" in value:
        return refs.get(value["Fn::GetAtt"][0], "<" + ".".join(value["Fn::GetAtt"]) + ">")
    if "Ref" in value:
        return refs.get(value["Ref"], "<" + value["Ref"] + ">")
    return json.dumps(value)


def stack_environment(out, stack):
    return json.load(open(os.path.join(out, "manifest.json")))["artifacts"][stack]["environment"]


def walkthrough_consistent(main_out, signer_out, readme):
    for out, stack, want in [(main_out, "HyperdriveDsqlRotator", "aws://111111111111/us-east-1"),
                             (signer_out, "HyperdriveDsqlSigner", "aws://222222222222/us-west-2")]:
        if stack_environment(out, stack) != want:
            fail(f"{stack} was synthesized for {stack_environment(out, stack)}, not {want}")
    main = json.load(open(os.path.join(main_out, "HyperdriveDsqlRotator.template.json")))
    signer = json.load(open(os.path.join(signer_out, "HyperdriveDsqlSigner.template.json")))
    signer_args = subprocess.run([sys.executable, __file__, "walkthrough", readme, "walkthrough:cdk-signer"],
                                 capture_output=True, text=True, check=True).stdout.split("\0")
    flags = context_flags(signer_args)
    exec_ids = [k for k, r in main["Resources"].items() if r["Type"] == "AWS::IAM::Role"
                and r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service") == "lambda.amazonaws.com"]
    if len(exec_ids) != 1:
        fail(f"expected one execution role, found {exec_ids}")
    exec_arn = flags.get("executionRoleArn", "")
    # A role CloudFormation names is <stack>-<logical id>-<suffix>: the walk-through's example must look like one.
    if f":role/HyperdriveDsqlRotator-{exec_ids[0]}-" not in exec_arn:
        fail(f"the walk-through's executionRoleArn {exec_arn} is not a name CloudFormation gives the role {exec_ids[0]}")
    inputs = [v for k, v in main["Outputs"].items() if k.startswith("RotatorCrossAccountSignerInputs")]
    if len(inputs) != 1:
        fail(f"expected one CrossAccountSignerInputs output, found {len(inputs)}")
    want = context_flags(shlex.split(render(inputs[0]["Value"], {exec_ids[0]: exec_arn})))
    got = {k: flags.get(k) for k in want}
    if want != got:
        fail(f"the walk-through's signer command {got} differs from the rotator's output {want}")
    roles = [r for r in signer["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    if len(roles) != 1:
        fail("expected one role in the signer stack")
    role = roles[0]["Properties"]
    principal = role["AssumeRolePolicyDocument"]["Statement"]
    if principal != [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": exec_arn}}]:
        fail(f"the signer role trusts {principal}, not exactly {exec_arn}")
    fn = [r for r in main["Resources"].values() if r["Type"] == "AWS::Lambda::Function"][0]
    targets = json.loads(fn["Properties"]["Environment"]["Variables"]["HYPERDRIVE_TARGETS"])
    arns = [a for a in (flags.get("dbConnectAdminClusterArns", "") + "," + flags.get("dbConnectClusterArns", "")).split(",") if a]
    account = arns[0].split(":")[4]
    signer_arn = f"arn:aws:iam::{account}:role/{role['RoleName']}"
    used = sorted({t["signer_role_arn"] for t in targets if "signer_role_arn" in t})
    if used != [signer_arn]:
        fail(f"the rotator assumes {used}, the signer stack creates {signer_arn}")
    print(f"signer {signer_arn} trusts {exec_arn}; its clusters are the rotator's CrossAccountSignerInputs")


def hcl_string(target):
    """A JSON value as an HCL expression: JSON is HCL but for template sequences and a few escapes."""
    text = json.dumps(target, ensure_ascii=True)
    return (text.replace("${", "$${").replace("%{", "%%{")
            .replace("\\b", "\\u0008").replace("\\f", "\\u000c"))


def tf_corpus_runs(corpus, out):
    entries = json.load(open(corpus))
    parts = [
        "# Generated by infra/test.sh from tests/fixtures/bad-targets.json: each bad target alone is refused at plan.\n",
        'mock_provider "aws" {\n  override_during = plan\n'
        '  mock_data "aws_partition" {\n    defaults = { partition = "aws" }\n  }\n'
        '  mock_data "aws_caller_identity" {\n    defaults = { account_id = "111122223333" }\n  }\n'
        '  mock_data "aws_region" {\n    defaults = { id = "us-east-1", name = "us-east-1" }\n  }\n}\n',
        'variables {\n  cloudflare_account_id = "0123456789abcdef0123456789abcdef"\n}\n',
    ]
    for i, entry in enumerate(entries):
        parts.append(f'# {entry["why"]}\nrun "bad_target_{i:02d}" {{\n  command = plan\n  variables {{\n'
                     f'    targets = [{hcl_string(entry["target"])}]\n  }}\n  expect_failures = [var.targets]\n}}\n')
    open(out, "w").write("\n".join(parts))
    print(f"{len(entries)} runs written to {out}")


def tf_corpus_console(corpus, output):
    entries = json.load(open(corpus))
    text = " ".join(open(output).read().split())  # undo Terraform's line wrapping
    found = set()
    for m in re.finditer(r'targets\[(\d+)\](?: "(?:[^"\\]|\\.)*")?: (\S+) (?!is also the name)', text):
        found.add((int(m.group(1)), m.group(2)))
    missing = [f"targets[{i}] {e['field']} ({e['why']})" for i, e in enumerate(entries) if (i, e["field"]) not in found]
    print(f"{len(entries) - len(missing)}/{len(entries)} bad targets named with their field by the module's validations")
    if missing:
        fail("not named:\n" + "\n".join(missing) + "\n" + text[-3000:])


def hcl_interpolations(paths):
    bad = []
    for path in paths:
        s, i, n, line, in_str = open(path).read(), 0, 0, 1, False
        n = len(s)
        while i < n:
            c = s[i]
            if c == "\n":
                line += 1
            if not in_str:
                if c == "#" or s.startswith("//", i):
                    while i < n and s[i] != "\n":
                        i += 1
                    continue
                if s.startswith("<<", i):
                    end = s.index("\n", i)
                    marker = s[i + 2:end].lstrip("-").strip()
                    m = re.compile(r"\n\s*" + re.escape(marker) + r"\n").search(s, end)
                    line += s[i:m.end() - 1].count("\n")
                    i = m.end() - 1
                    continue
                in_str = c == '"'
                i += 1
                continue
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_str = False
                i += 1
                continue
            if s.startswith("${", i):
                j, depth = i + 2, 1
                while depth and j < n:
                    depth += {"{": 1, "}": -1}.get(s[j], 0)
                    j += 1
                inner = s[i + 2:j - 1]
                if '"' in inner:
                    bad.append(f"{path}:{line}")
                line += inner.count("\n")
                i = j
                continue
            i += 1
    if bad:
        fail("a string interpolation holds a quoted string (use format() instead): " + ", ".join(bad))
    print(f"{len(paths)} files: no quoted string inside an interpolation")


def tf_validations(path):
    """Terraform lets a validation refer only to constants besides its variable, so each target check is written
    twice: in the condition (`<check> == "ok"`) and in the message's filter (`<check> != "ok"`). They must agree."""
    text = open(path).read()
    blocks = text.split("  validation {")[1:]
    compared, bad = 0, []
    for block in blocks:
        cond = re.search(r'alltrue\(\[for t in var\.targets : (.*?) == "ok" if can\(keys\(t\)\)\]\)', block, re.S)
        filt = re.search(r'if can\(keys\(t\)\) && (.*?) != "ok"\]\)', block, re.S)
        if not (cond and filt):
            continue
        compared += 1
        if " ".join(cond.group(1).split()) != " ".join(filt.group(1).split()):
            bad.append(block.strip().splitlines()[1][:100])
    if compared < 10:
        fail(f"only {compared} target validations found in {path}: has their shape changed?")
    if bad:
        fail("the condition and the message filter differ in:\n" + "\n".join(bad))
    print(f"{compared} target validations: condition and message agree")


def tf_blocks(path, kind):
    """{name: body} of each top-level `kind "name" { ... }` block of a .tf file (blocks end at a line "}")."""
    text = open(path).read()
    return {m.group(1): m.group(2) for m in re.finditer(r'^%s "([\w-]+)" \{\n(.*?)^\}$' % kind, text, re.M | re.S)}


def readme_table(readme, heading):
    """The rows (lists of cells) of the first table under `## HEADING` in a Markdown file."""
    section = re.search(r"^## %s\n(.*?)(?=^## |\Z)" % re.escape(heading), open(readme).read(), re.M | re.S)
    if not section:
        fail(f"{readme}: no section ## {heading}")
    rows = [line for line in section.group(1).splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def tf_readme(module):
    """The README's Inputs table lists each variable once (first cell: its name in backticks; second: its default as
    variables.tf writes it, in backticks, or null, or "(required)" when there is none), and its Outputs table each
    output once (first cell: one or more names in backticks)."""
    readme = os.path.join(module, "README.md")
    # Every .tf file of the module: time_to_dark.tf, for one, declares its own inputs and outputs.
    variables, outputs = {}, {}
    for tf in sorted(glob.glob(os.path.join(module, "*.tf"))):
        variables.update(tf_blocks(tf, "variable"))
        outputs.update(tf_blocks(tf, "output"))
    problems = []

    def compare(kind, listed, declared, where):
        seen = set()
        for name in listed:
            if name in seen:
                problems.append(f"{kind} {name} is listed twice in the README")
            seen.add(name)
        for name in sorted(set(declared) - seen):
            problems.append(f"{kind} {name} ({where}) is missing from the README's table")
        for name in sorted(seen - set(declared)):
            problems.append(f"{kind} {name} is in the README's table but not in {where}")

    inputs = readme_table(readme, "Inputs")
    compare("input", [re.sub(r"^`(.*)`$", r"\1", row[0]) for row in inputs], variables, "the module's .tf files")
    for row in inputs:
        name = re.sub(r"^`(.*)`$", r"\1", row[0])
        if name not in variables or len(row) < 2:
            continue
        default = re.search(r"^\s*default\s*=\s*(.+?)\s*$", variables[name], re.M)
        want = "(required)" if default is None else "null" if default.group(1) == "null" else f"`{default.group(1)}`"
        if row[1] != want:
            problems.append(f"input {name}: the README's default is {row[1]}, variables.tf's {want}")
    listed_outputs = [name for row in readme_table(readme, "Outputs") for name in re.findall(r"`([\w-]+)`", row[0])]
    compare("output", listed_outputs, outputs, "the module's .tf files")
    if problems:
        fail(f"{readme}:\n" + "\n".join(problems))
    print(f"{readme}: {len(variables)} inputs and {len(outputs)} outputs, each in its table")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {
        "function-env": lambda: function_env(*args),
        "function-corpus": lambda: function_corpus(*args),
        "walkthrough": lambda: walkthrough(*args),
        "walkthrough-consistent": lambda: walkthrough_consistent(*args),
        "tf-corpus-runs": lambda: tf_corpus_runs(*args),
        "tf-corpus-console": lambda: tf_corpus_console(*args),
        "hcl-interpolations": lambda: hcl_interpolations(args),
        "tf-validations": lambda: tf_validations(*args),
        "tf-readme": lambda: tf_readme(*args),
    }[cmd]()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
