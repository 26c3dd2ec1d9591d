"""The READMEs are executable: every shell block in them is run here, as written, or is marked as needing a real
account (or something else this machine cannot give), and this test fails when a runnable block fails or when a
shell block is neither.

The marking is an HTML comment on the line (or lines) just above the block, invisible to a reader:

    <!-- docs: run ID -->              run the block (bash, set -euo pipefail) from the repository root
    <!-- docs: background ID -->       start the block in the background (a server the next blocks use); stopped
                                       when every block has run
    <!-- docs: real-account REASON --> not run: it needs a real AWS or Cloudflare account (REASON says what for)
    <!-- docs: skip REASON -->         not run, for another reason this machine cannot meet (REASON says which)

Each ID has an entry in the fixture (tests/fixtures/docs-blocks.json) that fills in what a reader brings:
    cwd          directory to run in, relative to the repository root (default: the root)
    env_file     a KEY=VALUE file whose variables the block gets: the reader's AWS credentials and configuration
                 (here: the stand-ins' environment)
    placeholders {"<text in the block>": "value"}: what the reader types instead of a placeholder
    stdin_file   the block's standard input (what the reader types at a prompt)
    needs        background blocks (by ID) to start first, if they are not running yet
    skip_lines   {"line": "why"}: lines of the block not run here (each must be in the block); with covered_by,
                 the file that must run each such line instead (the test command is .ci/run's own)
    covered_by   see skip_lines
    after        shell lines run after the block in the same shell: a check of what the block did
    expect       a regular expression the block's output (stdout and stderr) must match
    ready        background blocks: a regular expression their output matches once they are ready
    timeout      seconds (default 600)

The blocks get the caller's environment without this project's .venv on the PATH (a reader's shell does not have it)
and without the test harness's variables. Also checked: the recipes' `scripts/cargo-lambda deploy` refuses to deploy
without deploy/lambda.env, or with the example unchanged. Usage: python3 scripts/docs_test.py [--list] [--only=ID,ID] [FILE.md ...]
(default: README.md, infra/README.md and infra/cdk/README.md). Each block's output is kept in .run/docs/<ID>.log.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "docs-blocks.json")
LOGS = os.path.join(ROOT, ".run", "docs")
DEFAULT_FILES = ["README.md", "infra/README.md", "infra/cdk/README.md"]
SHELLS = {"sh", "bash", "shell", "console", "zsh"}
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)")
MARK = re.compile(r"^\s*<!--\s*docs:\s*(run|background|real-account|skip)\b\s*(.*?)\s*-->\s*$")
HARNESS_VARS = {"MOTO_URL", "PRISM_URL", "ROTATOR_RELEASE_BIN", "VIRTUAL_ENV", "DEMO_CLOUDFLARE_TOKEN", "EMU"}
FIXTURE_KEYS = {"cwd", "env_file", "placeholders", "stdin_file", "needs", "skip_lines", "covered_by", "after",
                "expect", "ready", "timeout"}


class Block:
    def __init__(self, path, line, lang, text, mark, arg):
        self.path, self.line, self.lang, self.text, self.mark, self.arg = path, line, lang, text, mark, arg

    @property
    def where(self):
        return f"{self.path}:{self.line}"


def parse(path):
    """The fenced blocks of a Markdown file, with the marking above each shell block. Errors: a list of strings."""
    lines = open(os.path.join(ROOT, path), encoding="utf-8").read().splitlines()
    blocks, errors, i = [], [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3).lower()
        start = i
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        i += 1
        if not lang:
            errors.append(f"{path}:{start + 1}: a code block without a language: tag it (`text` for output, `sh` "
                          "for commands), so that no shell block escapes this test")
            continue
        if lang not in SHELLS:
            continue
        # The marking: the comment lines right above the fence (other comments, such as infra/test.sh's
        # walk-through markers, may sit beside it).
        mark = arg = None
        j = start - 1
        while j >= 0 and lines[j].strip().startswith("<!--"):
            mm = MARK.match(lines[j])
            if mm:
                if mark:
                    errors.append(f"{path}:{start + 1}: two docs markings above one block")
                mark, arg = mm.group(1), mm.group(2)
            j -= 1
        if not mark:
            errors.append(f"{path}:{start + 1}: a shell block with no marking: put <!-- docs: run ID --> (and a "
                          "fixture entry) or <!-- docs: real-account WHY --> on the line above it")
        elif not arg:
            errors.append(f"{path}:{start + 1}: <!-- docs: {mark} --> needs "
                          + ("an ID" if mark in ("run", "background") else "a reason"))
        blocks.append(Block(path, start + 1, lang, "\n".join(body), mark, arg))
    return blocks, errors


def read_env_file(path):
    """KEY=VALUE lines, values optionally in single or double quotes, as bash's `set -a; . FILE` reads them."""
    env = {}
    for raw in open(path, encoding="utf-8").read().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


AWS_CLI_VENV = os.path.join(ROOT, ".venv", "aws-cli")


def base_env():
    env = {k: v for k, v in os.environ.items() if k not in HARNESS_VARS}
    venv = os.path.join(ROOT, ".venv")
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and not os.path.abspath(p).startswith(venv)]
    if os.path.isdir(AWS_CLI_VENV):
        path.append(os.path.join(AWS_CLI_VENV, "bin"))  # last: only its `aws` is wanted, not its python
    env["PATH"] = os.pathsep.join(path)
    return env


def ensure_aws_cli():
    """The recipes' `aws` commands need the AWS CLI, which a reader deploying has; where this machine has none, the
    CLI (v1, from PyPI) goes into its own venv under .venv, put at the end of the blocks' PATH."""
    import shutil
    if shutil.which("aws", path=base_env()["PATH"]):
        return
    print("installing the AWS CLI (awscli from PyPI) into .venv/aws-cli for the recipes' aws commands", flush=True)
    subprocess.run([sys.executable, "-m", "venv", AWS_CLI_VENV], check=True)
    subprocess.run([os.path.join(AWS_CLI_VENV, "bin", "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "awscli"], check=True)


class Runner:
    def __init__(self, fixture):
        self.fixture = fixture
        self.background = {}  # id -> (Popen, log path)
        self.blocks_by_id = {}
        self.failures = 0

    def script_of(self, block, fx):
        text = block.text
        for line, why in fx.get("skip_lines", {}).items():
            kept = [ln for ln in text.split("\n") if ln.split("#")[0].strip() != line]
            if len(kept) == len(text.split("\n")):
                raise ValueError(f"skip_lines: {line!r} is not a line of the block")
            covered = fx.get("covered_by")
            if covered and line not in open(os.path.join(ROOT, covered), encoding="utf-8").read():
                raise ValueError(f"skip_lines: {line!r} ({why}) is not run by {covered}")
            text = "\n".join(kept)
        for placeholder, value in fx.get("placeholders", {}).items():
            if placeholder not in text:
                raise ValueError(f"placeholder {placeholder!r} is not in the block")
            text = text.replace(placeholder, value)
        if fx.get("after"):
            text += "\n# the fixture's check of what the block did:\n" + fx["after"]
        return "set -euo pipefail\n" + text + "\n"

    def env_of(self, fx):
        env = base_env()
        if fx.get("env_file"):
            env.update(read_env_file(os.path.join(ROOT, fx["env_file"])))
        return env

    def spawn(self, block, fx, log):
        """Starts the block in its own session (stopped as a group), its output in `log`, its stdin the fixture's."""
        stdin = open(os.path.join(ROOT, fx["stdin_file"]), "rb") if fx.get("stdin_file") else subprocess.DEVNULL
        with open(log, "w") as out:
            proc = subprocess.Popen(["bash", "-c", self.script_of(block, fx)],
                                    cwd=os.path.join(ROOT, fx.get("cwd", ".")), env=self.env_of(fx), stdin=stdin,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        if stdin is not subprocess.DEVNULL:
            stdin.close()
        return proc

    def start_background(self, block):
        fx = self.fixture[block.arg]
        log = os.path.join(LOGS, block.arg + ".log")
        proc = self.spawn(block, fx, log)
        self.background[block.arg] = (proc, log)
        ready = re.compile(fx["ready"], re.M)
        deadline = time.monotonic() + fx.get("timeout", 600)
        while time.monotonic() < deadline:
            if ready.search(open(log, encoding="utf-8", errors="replace").read()):
                return True, "ready"
            if proc.poll() is not None:
                return False, f"exited ({proc.returncode}) before it was ready"
            time.sleep(0.2)
        return False, f"not ready within {fx.get('timeout', 600)} s"

    def run_block(self, block):
        fx = self.fixture[block.arg]
        for need in fx.get("needs", []):
            if need not in self.background:
                dep = self.blocks_by_id.get(need)
                if not dep or dep.mark != "background":
                    return False, f"needs {need!r}, which is no background block"
                ok, why = self.start_background(dep)
                self.report(dep, ok, f"started early for {block.arg}: {why}", 0)
                if not ok:
                    return False, f"{need} did not start"
        log = os.path.join(LOGS, block.arg + ".log")
        proc = self.spawn(block, fx, log)
        try:
            rc = proc.wait(timeout=fx.get("timeout", 600))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return False, f"still running after {fx.get('timeout', 600)} s"
        if rc != 0:
            return False, f"exit status {rc}"
        if fx.get("expect") and not re.search(fx["expect"], open(log, encoding="utf-8", errors="replace").read(),
                                              re.M):
            return False, f"its output does not match {fx['expect']!r}"
        return True, "passed"

    def report(self, block, ok, why, secs):
        status = "PASS" if ok else "FAIL"
        print(f"{status}  {block.where:<22} {block.mark:<10} {block.arg:<28} {why} ({secs:.0f} s)", flush=True)
        if not ok:
            self.failures += 1
            log = os.path.join(LOGS, block.arg + ".log")
            if os.path.exists(log):
                for line in open(log, encoding="utf-8", errors="replace").read().splitlines()[-40:]:
                    print(f"      | {line}")

    def stop_background(self):
        for proc, _ in self.background.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name, (proc, log) in self.background.items():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def deploy_guard():
    """The recipes' deploy refuses to deploy a function with no configuration: scripts/cargo-lambda deploy, in a copy
    of the scripts (so that a developer's own deploy/lambda.env is never used), without deploy/lambda.env and with
    the example copied unchanged. Returns a list of problems."""
    import shutil
    import tempfile
    problems = []
    with tempfile.TemporaryDirectory() as d:
        shutil.copytree(os.path.join(ROOT, "scripts"), os.path.join(d, "scripts"))
        os.makedirs(os.path.join(d, "deploy"))
        shutil.copy(os.path.join(ROOT, "deploy", "lambda.env.example"), os.path.join(d, "deploy"))
        shutil.copy(os.path.join(ROOT, "requirements-dev.txt"), d)
        for case, want in (("missing", "deploy/lambda.env is missing"), ("example", "still the example")):
            if case == "example":
                shutil.copy(os.path.join(d, "deploy", "lambda.env.example"), os.path.join(d, "deploy", "lambda.env"))
            out = subprocess.run([os.path.join(d, "scripts", "cargo-lambda"), "deploy", "--iam-role",
                                  "arn:aws:iam::123456789012:role/x"], cwd=d, env=base_env(), capture_output=True,
                                 text=True, timeout=60)
            if out.returncode != 2 or want not in out.stderr or "fix:" not in out.stderr:
                problems.append(f"scripts/cargo-lambda deploy with deploy/lambda.env {case}: exit {out.returncode}, "
                                f"stderr {out.stderr.strip()[:300]!r}; want exit 2 saying {want!r} and the fix")
    return problems


def main(argv):
    listing = "--list" in argv
    only = set()
    for a in argv:
        if a.startswith("--only="):
            only |= set(a[len("--only="):].split(","))
    files = [a for a in argv if not a.startswith("--")] or DEFAULT_FILES
    fixture = json.load(open(FIXTURE, encoding="utf-8"))
    blocks, errors = [], []
    for path in files:
        b, e = parse(path)
        blocks += b
        errors += e
    ids = {}
    for b in blocks:
        if b.mark in ("run", "background") and b.arg:
            if b.arg in ids:
                errors.append(f"{b.where}: ID {b.arg} is also used at {ids[b.arg].where}")
            ids[b.arg] = b
            if b.arg not in fixture:
                errors.append(f"{b.where}: ID {b.arg} has no entry in {os.path.relpath(FIXTURE, ROOT)}")
            else:
                unknown = set(fixture[b.arg]) - FIXTURE_KEYS
                if unknown:
                    errors.append(f"{os.path.relpath(FIXTURE, ROOT)}: {b.arg}: unknown keys {sorted(unknown)}")
                if b.mark == "background" and "ready" not in fixture[b.arg]:
                    errors.append(f"{os.path.relpath(FIXTURE, ROOT)}: {b.arg}: a background block needs `ready`")
    for stale in sorted(set(fixture) - set(ids)):
        errors.append(f"{os.path.relpath(FIXTURE, ROOT)}: entry {stale} belongs to no block")
    counts = {m: sum(1 for b in blocks if b.mark == m) for m in ("run", "background", "real-account", "skip")}
    summary = (f"{len(blocks)} shell blocks in {', '.join(files)}: {counts['run']} run, {counts['background']} run in "
               f"the background, {counts['real-account']} need a real account, {counts['skip']} skipped for another "
               "reason")
    if errors:
        for e in errors:
            print(f"error: {e}")
        print(summary)
        return 1
    if listing:
        for b in blocks:
            print(f"{b.where:<22} {b.mark:<12} {b.arg}")
        print(summary)
        return 0

    os.makedirs(LOGS, exist_ok=True)
    began = time.monotonic()
    ensure_aws_cli()
    runner = Runner(fixture)
    for problem in deploy_guard():
        print(f"FAIL  {problem}")
        runner.failures += 1
    if not runner.failures:
        print("PASS  scripts/cargo-lambda deploy refuses without deploy/lambda.env, and with the example unchanged")
    runner.blocks_by_id = ids
    try:
        for b in blocks:
            start = time.monotonic()
            if b.mark in ("real-account", "skip") or (only and b.arg not in only):
                print(f"SKIP  {b.where:<22} {b.mark:<10} {b.arg}", flush=True)
                continue
            if b.mark == "background":
                if b.arg in runner.background:
                    runner.report(b, True, "already running", 0)
                    continue
                try:
                    ok, why = runner.start_background(b)
                except ValueError as e:
                    ok, why = False, str(e)
            else:
                try:
                    ok, why = runner.run_block(b)
                except ValueError as e:
                    ok, why = False, str(e)
            runner.report(b, ok, why, time.monotonic() - start)
    finally:
        runner.stop_background()
    print(f"{summary}; {time.monotonic() - began:.0f} s in all")
    if runner.failures:
        print(f"{runner.failures} block(s) failed; their output is in .run/docs/")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
