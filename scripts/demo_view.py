"""Renders the demo's JSON (emulator state, run reports, function logs) as short readable tables."""

import json
import sys
import urllib.request
from datetime import datetime, timezone

BOLD, DIM, GREEN, YELLOW, RED, RESET = "\033[1m", "\033[2m", "\033[32m", "\033[33m", "\033[31m", "\033[0m"
if not sys.stdout.isatty():
    BOLD = DIM = GREEN = YELLOW = RED = RESET = ""

COLOURS = {"created": GREEN, "updated": GREEN, "would_create": YELLOW, "would_update": YELLOW, "failed": RED}


def short(s, n=12):
    return s if s is None or len(s) <= n else s[:n] + "…"


def until(ts):
    if not ts:
        return "unknown (credentials carry no expiry)"
    at = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    left = at - datetime.now(timezone.utc)
    mins = int(left.total_seconds() // 60)
    span = f"{mins // 1440} d {mins % 1440 // 60} h" if mins >= 1440 else f"{mins // 60} h {mins % 60:02d} min" if mins >= 60 else f"{mins} min"
    return f"{ts} ({span} from now)"


def configs(admin_url):
    with urllib.request.urlopen(admin_url + "/configs") as r:
        items = json.load(r)
    if not items:
        print(f"    {DIM}(no Hyperdrive configs){RESET}")
        return
    print(f"    {DIM}{'account':<14}{'config id':<15}{'name':<14}{'user':<7}{'host':<51}{'password'}{RESET}")
    for c in items:
        token = c.get("token")
        pw = f"DSQL token, signed {token['signed_at']}" if token else ("set by hand" if c.get("has_password") else "none")
        print(f"    {short(c['account_id'], 10):<14}{short(c['id'], 12):<15}{c['name']:<14}{c['origin'].get('user', ''):<7}"
              f"{c['origin'].get('host', ''):<51}{pw}")


def report(path):
    with open(path) as f:
        r = json.load(f)
    for t in r["results"]:
        colour = COLOURS.get(t["action"], "")
        line = f"    {t['name']:<14}{colour}{t['action']:<14}{RESET}"
        if t.get("config_id"):
            line += f"id {short(t['config_id'])}   "
        if t["action"] in ("created", "updated"):
            line += f"token valid until {until(t['token_expires_at'])}"
        print(line)
    s = r["summary"]
    creds = r.get("credentials_expire_at")
    print(f"    {DIM}summary: {s['created']} created, {s['updated']} updated, {s['planned']} planned, {s['failed']} failed;"
          f" signing credentials expire {creds or 'at an unknown time'}{RESET}")


def targets(log_path):
    """Prints the function's per-target log lines (JSON log format), with the error of failed ones."""
    with open(log_path, errors="replace") as f:
        for line in f:
            try:
                entry = json.loads(line[line.index("{"):])
            except ValueError:
                continue
            fields = entry.get("fields", {})
            action = fields.get("action")
            if not str(fields.get("message", "")).startswith("target ") or not action:
                continue
            colour = COLOURS.get(action, "")
            if action == "failed":
                print(f"    {fields.get('target_name', '?'):<14}{colour}{action:<14}{RESET}{fields.get('error_kind')}")
                print(f"      {DIM}{fields.get('error')}{RESET}")
            else:
                print(f"    {fields.get('target_name', '?'):<14}{colour}{action:<14}{RESET}id {short(fields.get('config_id'))}")


def ids(admin_url):
    with urllib.request.urlopen(admin_url + "/configs") as r:
        print(" ".join(sorted(f"{c['name']}={c['id']}" for c in json.load(r))))


if __name__ == "__main__":
    {"configs": configs, "report": report, "targets": targets, "ids": ids}[sys.argv[1]](*sys.argv[2:])
