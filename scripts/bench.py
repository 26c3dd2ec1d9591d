"""The benchmark behind scripts/bench.sh: the product's release binary beside a bare lambda_runtime
function built with the same profile, both run as Lambdas under the Runtime API emulator.

Prints, with ratios: cold start (process start to the first GET /runtime/invocation/next), peak RSS
during a run of 20 targets, binary and zip sizes, and run wall times against the Hyperdrive emulator
with 100 ms of latency on every call (20 targets; 4 accounts x 25 targets; a 429 storm); then a
fleet of 1000 targets in 40 accounts with 150 ms on every call, with a token per account and with
one token for all (BENCH_FLEET=0 skips it)."""

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REL = os.path.join(ROOT, "target", "release")
PRODUCT = os.environ.get("BENCH_PRODUCT") or os.path.join(REL, "hyperdrive-dsql-rotator")
# Another build of the product (say, the previous commit's) to compare with, side by side, in the
# same run: cold start, peak RSS, size and the 20-target run.
BASELINE = os.environ.get("BENCH_BASELINE")
BARE = os.path.join(REL, "bare-lambda")
# What is deployed: the release zip scripts/release.sh builds (cargo lambda build), whose one file is `bootstrap`.
DEPLOYED_ZIP = os.environ["DEPLOYED_ZIP"]
RUNTIME = os.path.join(REL, "lambda-runtime-emulator")
EMULATOR = os.path.join(REL, "hyperdrive-emulator")
MOTO_URL = os.environ["MOTO_URL"]
LATENCY_MS = 100
CONCURRENCY = 8
COLD_ROUNDS = int(os.environ.get("BENCH_COLD_ROUNDS", "5"))
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "20"))
TOKEN = "bench-token-0123456789abcdefghijklmnopqrstuv"
ACCESS_KEY, SECRET_KEY = "AKIABENCHMARK0000001", "benchSecretKey/0123456789abcdefghijklmnop"
ACCOUNTS = ["%032x" % (0xA0 + i) for i in range(4)]


def host(i):
    return "c%025d.dsql.us-east-1.on.aws" % i


def base_env(extra):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": tempfile.gettempdir(),
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_ENDPOINT_URL": MOTO_URL,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "CLOUDFLARE_API_TOKEN_SECRET_ID": "bench/cloudflare-api-token",
        "MAX_CONCURRENCY": str(CONCURRENCY),
    }
    env.update(extra)
    return env


def put_secret():
    import boto3  # from .venv (moto's dependency)

    sm = boto3.client("secretsmanager", endpoint_url=MOTO_URL, region_name="us-east-1",
                      aws_access_key_id="x", aws_secret_access_key="y")
    try:
        sm.create_secret(Name="bench/cloudflare-api-token", SecretString=json.dumps({"api_token": TOKEN}))
    except sm.exceptions.ResourceExistsException:
        pass


class Emulator:
    """The Hyperdrive emulator (release build) with latency on every API call."""

    def __init__(self, latency_ms, faults=None, state=None, account_tokens=None):
        self.dir = tempfile.mkdtemp(prefix="bench-emu-")
        args = [EMULATOR, "--listen", "127.0.0.1:0", "--token-env", "BENCH_CF_TOKEN", "--latency-ms", str(latency_ms)]
        creds = os.path.join(self.dir, "creds.json")
        with open(creds, "w") as f:
            json.dump({"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY}, f)
        args += ["--credentials", creds]
        for flag, content in (("--faults", faults), ("--state", state), ("--account-tokens", account_tokens)):
            if content is not None:
                path = os.path.join(self.dir, flag[2:] + ".json")
                with open(path, "w") as f:
                    json.dump(content, f)
                args += [flag, path]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     env={**os.environ, "BENCH_CF_TOKEN": TOKEN})
        line = self.proc.stdout.readline()
        self.base = line.strip().rsplit(" ", 1)[-1]
        self.admin = self.base.replace("/client/v4", "/__admin")

    def requests(self):
        with urllib.request.urlopen(self.admin + "/requests") as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def lambda_run(binary, env, events, timeout_s=120):
    """Runs `binary` as a Lambda for each event; returns the JSON lines of lambda-runtime-emulator."""
    with tempfile.TemporaryDirectory() as d:
        args = [RUNTIME, "run", "--timeout-s", str(timeout_s), "--function-name", "bench"]
        for i, e in enumerate(events):
            p = os.path.join(d, "e%d.json" % i)
            with open(p, "w") as f:
                json.dump(e, f)
            args += ["--event", p]
        out = subprocess.run(args + ["--", binary], env=env, capture_output=True, text=True)
        return [json.loads(l) for l in out.stdout.splitlines() if l.strip()]


def cold_start(binary, env):
    out = subprocess.run([RUNTIME, "cold-start", "--runs", str(COLD_RUNS), "--function-name", "bench", "--", binary],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def zip_size(binary):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "bootstrap.zip")
        with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            z.write(binary, "bootstrap")
        return os.path.getsize(p)


def targets_json(n, accounts=None):
    out = []
    for i in range(n):
        t = {"name": "db-%03d" % i, "host": host(i)}
        if accounts:
            t["account_id"] = accounts[i % len(accounts)]
        out.append(t)
    return json.dumps(out)


def preset_state(n, accounts):
    """Half the configs exist already (updates), half are new (creates)."""
    state = {}
    for i in range(0, n, 2):
        acct = accounts[i % len(accounts)]
        state.setdefault(acct, []).append({"name": "db-%03d" % i, "origin": {
            "scheme": "postgres", "host": host(i), "port": 5432, "database": "postgres", "user": "admin"}})
    return state


def timed_run(label, n, accounts, faults=None, runs=3, product=None):
    """`runs` invocations of one warm container against a fresh emulator each time."""
    durations, cold, peak, outcome, calls, first_summary = [], None, 0, None, 0, None
    for r in range(runs):
        emu = Emulator(LATENCY_MS, faults=faults, state=preset_state(n, accounts))
        extra = {"CLOUDFLARE_API_BASE_URL": emu.base, "HYPERDRIVE_TARGETS": targets_json(n, accounts if len(accounts) > 1 else None)}
        if len(accounts) == 1:
            extra["CLOUDFLARE_ACCOUNT_ID"] = accounts[0]
        # Two invocations in one container: the first pays for client set-up (TLS roots, SDK), the
        # second is a warm run; each against its own fresh state would need a restart, so the second
        # run updates what the first created.
        lines = lambda_run(product or PRODUCT, base_env(extra), [{}, {}])
        calls = len(emu.requests()) // 2
        emu.stop()
        if r == 0:
            cold = lines[0]["duration_ms"]
            first = lines[0].get("response") or {}
            first_summary = first.get("summary") or {"error": (lines[0].get("error_message") or "")[:90]}
        durations.append(lines[1]["duration_ms"])
        peak = max(peak, max(l.get("peak_rss_kb", 0) for l in lines))
        res = lines[1].get("response") or {}
        outcome = res.get("summary") or {"error": (lines[1].get("error_message") or "")[:90]}
    return {"label": label, "first_ms": cold, "warm_ms": statistics.median(durations),
            "warm_all_ms": durations, "peak_rss_kb": peak, "summary": outcome, "first_summary": first_summary,
            "calls_per_run": calls}


FLEET_ACCOUNTS = ["%032x" % (0xF000 + i) for i in range(40)]
FLEET_LATENCY_MS = 150
FLEET_TIMEOUT_S = 300  # the stacks' default function timeout


def fleet_run(per_account_tokens):
    """1000 targets in 40 accounts (25 each, Hyperdrive's paid limit), targets from a file, 150 ms on
    every Cloudflare call; half the configs exist. One invocation: what a scheduled run costs."""
    import boto3

    sm = boto3.client("secretsmanager", endpoint_url=MOTO_URL, region_name="us-east-1",
                      aws_access_key_id="x", aws_secret_access_key="y")
    tokens = {a: "bench-account-token-%02d-abcdefghijklmnopqrstuv" % i for i, a in enumerate(FLEET_ACCOUNTS)}
    n = 1000
    with tempfile.TemporaryDirectory() as d:
        targets = os.path.join(d, "targets.json")
        with open(targets, "w") as f:
            f.write(targets_json(n, FLEET_ACCOUNTS))
        extra = {"HYPERDRIVE_TARGETS_FILE": targets}
        if per_account_tokens:
            ids = {}
            for a, t in tokens.items():
                name = "bench/cf-%s" % a[-4:]
                try:
                    sm.create_secret(Name=name, SecretString=t)
                except sm.exceptions.ResourceExistsException:
                    pass
                ids[a] = name
            extra["CLOUDFLARE_API_TOKEN_SECRET_IDS"] = json.dumps(ids)
            env = base_env(extra)
            del env["CLOUDFLARE_API_TOKEN_SECRET_ID"]
        else:
            env = base_env(extra)
        emu = Emulator(FLEET_LATENCY_MS, state=preset_state(n, FLEET_ACCOUNTS),
                       account_tokens=tokens if per_account_tokens else None)
        extra["CLOUDFLARE_API_BASE_URL"] = emu.base
        env["CLOUDFLARE_API_BASE_URL"] = emu.base
        lines = lambda_run(PRODUCT, env, [{}], timeout_s=FLEET_TIMEOUT_S)
        requests = emu.requests()
        emu.stop()
    line = lines[0]
    res = line.get("response") or {}
    writes = sum(1 for r in requests if r["method"] != "GET")
    lists = sum(1 for r in requests if r["method"] == "GET" and "/hyperdrive/configs" in r["path"])
    # Ideal: per token, its verify, its accounts' lists, its writes MAX_CONCURRENCY at a time, and
    # the list again after creates; tokens run side by side.
    if per_account_tokens:
        ideal = FLEET_LATENCY_MS * (1 + 1 + math.ceil(25 / CONCURRENCY) + 1)
    else:
        ideal = FLEET_LATENCY_MS * (1 + 2 * math.ceil(40 / CONCURRENCY) + math.ceil(n / CONCURRENCY))
    return {"label": "1000 targets, 40 accounts, %s" % ("a token per account" if per_account_tokens else "one token"),
            "ms": line["duration_ms"], "ideal_ms": ideal, "peak_rss_kb": line.get("peak_rss_kb", 0),
            "summary": res.get("summary") or {"error": (line.get("error_message") or "")[:90]},
            "requests": len(requests), "writes": writes, "lists": lists}


def main():
    machine = "%s, %d cores, %s" % (platform.machine(), os.cpu_count(), platform.platform())
    print("hyperdrive-dsql-rotator benchmark, %s" % time.strftime("%Y-%m-%d"))
    print("machine: %s" % machine)
    put_secret()

    # Sizes.
    # The product's are those of what is deployed (the release zip and its bootstrap); the bare function's, its
    # binary and that binary zipped the same way.
    with zipfile.ZipFile(DEPLOYED_ZIP) as z:
        deployed_bootstrap = z.getinfo("bootstrap").file_size
    sizes = {"product": (deployed_bootstrap, os.path.getsize(DEPLOYED_ZIP)), "bare": (os.path.getsize(BARE), zip_size(BARE)),
             "target_release": (os.path.getsize(PRODUCT), zip_size(PRODUCT))}

    # Cold start, interleaved rounds so that drift hits both alike.
    cold_env = base_env({"CLOUDFLARE_ACCOUNT_ID": ACCOUNTS[0], "HYPERDRIVE_TARGETS": targets_json(20),
                         "CLOUDFLARE_API_BASE_URL": "http://127.0.0.1:9/client/v4"})
    binaries = [("bare", BARE), ("product", PRODUCT)] + ([("baseline", BASELINE)] if BASELINE else [])
    medians = {name: [] for name, _ in binaries}
    for _ in range(COLD_ROUNDS):
        for name, binary in binaries:
            medians[name].append(cold_start(binary, cold_env)["median_ms"])

    # Bare function's peak RSS for one invocation, for comparison.
    bare_lines = lambda_run(BARE, base_env({}), [{"hello": "world"}])
    bare_rss = bare_lines[0].get("peak_rss_kb")

    # A run: the token watch's verify, then the list, then the writes MAX_CONCURRENCY at a time.
    ideal_20 = LATENCY_MS * (1 + 1 + math.ceil(20 / CONCURRENCY))
    ideal_100 = LATENCY_MS * (1 + 1 + math.ceil(100 / CONCURRENCY))
    run20 = timed_run("20 targets, 1 account", 20, ACCOUNTS[:1])
    run100 = timed_run("100 targets, 4 accounts x 25", 100, ACCOUNTS)
    # A 429 storm: the first GETs (the token verify, then the list) refused 3 times, then the whole
    # first wave of 8 writes once, each with Retry-After: 1. Its ideal adds the 4 waits of 1 s
    # Cloudflare asks for and the 4 refused rounds of calls (100 ms each) to the calm run's.
    refuse = {"type": "respond", "status": 429, "retry_after": 1}
    storm_faults = [{"method": "GET", "times": 3, "action": refuse},
                    {"method": "PATCH", "times": 4, "action": refuse},
                    {"method": "POST", "times": 4, "action": refuse}]
    storm = timed_run("20 targets, 429 storm (list refused 3x, 8 writes 1x)", 20, ACCOUNTS[:1], faults=storm_faults, runs=1)
    ideal_storm = ideal_20 + 4 * (1000 + LATENCY_MS)
    # A hostile answer: every list answered 502 with a 50 MB HTML body (retried 4 times).
    huge = {"type": "respond", "status": 502, "content_type": "text/html",
            "body": "<html>" + "x" * (50 * 2**20) + "</html>"}
    hostile = timed_run("20 targets, every list a 50 MB 502", 20, ACCOUNTS[:1],
                        faults=[{"method": "GET", "action": huge}], runs=1)

    cold_p, cold_b = statistics.median(medians["product"]), statistics.median(medians["bare"])
    rows = [
        ("cold start, median of %d x %d starts" % (COLD_ROUNDS, COLD_RUNS), "%.2f ms" % cold_p, "%.2f ms" % cold_b,
         "%.2fx bare" % (cold_p / cold_b), "<= 1.5x bare"),
        ("  spread of round medians", "%.2f..%.2f ms" % (min(medians["product"]), max(medians["product"])),
         "%.2f..%.2f ms" % (min(medians["bare"]), max(medians["bare"])), "", ""),
        ("peak RSS (20-target run / one echo)", "%.1f MiB" % (run20["peak_rss_kb"] / 1024), "%.1f MiB" % (bare_rss / 1024),
         "%.2fx bare" % (run20["peak_rss_kb"] / bare_rss), "<= 25 MB"),
        ("deployed bootstrap (release zip's) / bare binary", "%d bytes" % sizes["product"][0],
         "%d bytes" % sizes["bare"][0], "%.2fx bare" % (sizes["product"][0] / sizes["bare"][0]), "<= 6 MB"),
        ("deployed release zip / bare zipped", "%d bytes" % sizes["product"][1], "%d bytes" % sizes["bare"][1],
         "%.2fx bare" % (sizes["product"][1] / sizes["bare"][1]), ""),
        ("  for comparison: target/release binary, zipped", "%d bytes" % sizes["target_release"][0],
         "%d bytes" % sizes["target_release"][1], "", ""),
    ]
    for run, ideal in ((run20, ideal_20), (run100, ideal_100)):
        rows.append(("run: %s, warm" % run["label"], "%.0f ms" % run["warm_ms"], "ideal %d ms" % ideal,
                     "%.2fx ideal" % (run["warm_ms"] / ideal), "<= 1.25x"))
        rows.append(("  same, first invocation of the container", "%.0f ms" % run["first_ms"], "",
                     "%.2fx ideal" % (run["first_ms"] / ideal), ""))
        rows.append(("  outcome of the warm run", json.dumps(run["summary"]), "%d API calls" % run["calls_per_run"], "", ""))
    rows.append(("run: %s" % storm["label"], "%.0f ms" % storm["first_ms"], "ideal %d ms" % ideal_storm,
                 "%.2fx ideal" % (storm["first_ms"] / ideal_storm), "ends in time"))
    rows.append(("  outcome", json.dumps(storm["first_summary"]), "", "", ""))
    rows.append(("peak RSS, %s" % hostile["label"], "%.1f MiB" % (hostile["peak_rss_kb"] / 1024),
                 "%.1f MiB calm" % (run20["peak_rss_kb"] / 1024),
                 "+%.1f MiB" % ((hostile["peak_rss_kb"] - run20["peak_rss_kb"]) / 1024), "<= +16 MiB"))
    rows.append(("  outcome", json.dumps(hostile["first_summary"]), "", "", ""))
    fleets = []
    if os.environ.get("BENCH_FLEET", "1") != "0":
        fleets = [fleet_run(True), fleet_run(False)]
    for f in fleets:
        rows.append(("run: %s" % f["label"], "%.0f ms" % f["ms"], "ideal %d ms" % f["ideal_ms"],
                     "%.2fx ideal" % (f["ms"] / f["ideal_ms"]),
                     "fits %d s: %s" % (FLEET_TIMEOUT_S, "yes" if f["ms"] < FLEET_TIMEOUT_S * 1000 else "NO")))
        rows.append(("  Cloudflare requests (writes / lists / all), peak RSS",
                     "%d / %d / %d" % (f["writes"], f["lists"], f["requests"]), "%.1f MiB" % (f["peak_rss_kb"] / 1024),
                     "", "<= 1200 per 5 min"))
        rows.append(("  outcome", json.dumps(f["summary"]), "", "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    print()
    header = ("measure", "product", "bare / ideal", "ratio", "target")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print("\nideal = %d ms latency x (1 token verify + 1 list + ceil(targets / MAX_CONCURRENCY=%d) writes)" % (LATENCY_MS, CONCURRENCY))
    if BASELINE:
        before = timed_run("20 targets, 1 account", 20, ACCOUNTS[:1], product=BASELINE)
        cold_a = statistics.median(medians["baseline"])
        size_a = os.path.getsize(BASELINE)
        print("\nbefore (%s) and after (%s), same run:" % (BASELINE, PRODUCT))
        table = [
            ("measure", "before", "after", "after / before"),
            ("cold start, median of round medians", "%.2f ms" % cold_a, "%.2f ms" % cold_p, "%.2fx" % (cold_p / cold_a)),
            ("peak RSS, 20-target run", "%.1f MiB" % (before["peak_rss_kb"] / 1024),
             "%.1f MiB" % (run20["peak_rss_kb"] / 1024), "%.2fx" % (run20["peak_rss_kb"] / before["peak_rss_kb"])),
            ("binary size", "%d bytes" % size_a, "%d bytes" % sizes["product"][0], "%.3fx" % (sizes["product"][0] / size_a)),
            ("20-target run, warm", "%.0f ms" % before["warm_ms"], "%.0f ms" % run20["warm_ms"],
             "%.2fx" % (run20["warm_ms"] / before["warm_ms"])),
        ]
        widths = [max(len(r[i]) for r in table) for i in range(4)]
        for r in table:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    json.dump({"date": time.strftime("%Y-%m-%d"), "machine": machine, "cold_medians": medians, "sizes": sizes,
               "bare_rss_kb": bare_rss, "runs": [run20, run100, storm, hostile], "fleets": fleets},
              open(os.path.join(ROOT, ".run", "bench.json"), "w"), indent=1)


if __name__ == "__main__":
    sys.exit(main())
