#!/usr/bin/env python3
"""Writes the Lambda layer zip that ships the targets as /opt/hyperdrive-targets.json (HYPERDRIVE_TARGETS_FILE), for
the module's targets_layer_zip_path, when the targets do not fit Lambda's 4 KB environment.

  python3 scripts/targets_layer.py --targets targets.json [--cross-account-signer-roles roles.json] \\
    --out build/hyperdrive-targets-layer.zip

--targets is the module's var.targets as JSON (snake_case, cluster_arn allowed); keep the list in that file and give
it to the module as `targets = jsondecode(file("targets.json"))` so that both read the same list. The targets are
rendered as the module renders HYPERDRIVE_TARGETS (null fields and cluster_arn dropped, signer_role_arn added for
clusters in accounts of --cross-account-signer-roles). Besides the zip, writes <out>.json with the same text: the plan
compares it with var.targets and refuses a stale layer. Reproducible: fixed timestamps and permissions, sorted keys, so
the same targets give the same zip (and no new layer version). Standard library only.
"""
import argparse
import json
import os
import re
import sys
import zipfile

FILE_NAME = "hyperdrive-targets.json"
CLUSTER_ARN = re.compile(r"^arn:(aws[a-z-]*):dsql:([a-z0-9-]+):([0-9]{12}):cluster/([a-z0-9]+)$")


def without_nulls(obj):
    return {k: v for k, v in obj.items() if v is not None}


def render(targets, roles):
    out = []
    for t in targets:
        r = {k: v for k, v in t.items() if v is not None and k != "cluster_arn"}
        for nested in ("caching", "mtls"):
            if isinstance(r.get(nested), dict):
                r[nested] = without_nulls(r[nested])
        m = CLUSTER_ARN.match(t.get("cluster_arn") or "")
        if m and m.group(3) in roles:
            r["signer_role_arn"] = roles[m.group(3)]
        out.append(r)
    return out


def write_layer(text, out):
    info = zipfile.ZipInfo(FILE_NAME, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o100644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    if os.path.dirname(out):
        os.makedirs(os.path.dirname(out), exist_ok=True)  # --out build/layer.zip in a fresh checkout
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(info, text)
    with open(out + ".json", "w", encoding="utf-8") as f:
        f.write(text)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--targets", required=True, help="JSON file: the module's var.targets")
    p.add_argument("--cross-account-signer-roles", help="JSON file: the module's var.cross_account_signer_roles")
    p.add_argument("--out", required=True, help="the layer zip to write (and <out>.json)")
    a = p.parse_args(argv)
    targets = json.load(open(a.targets, encoding="utf-8"))
    if not isinstance(targets, list) or not all(isinstance(t, dict) for t in targets):
        sys.exit(f"{a.targets}: want a JSON list of target objects")
    roles = json.load(open(a.cross_account_signer_roles, encoding="utf-8")) if a.cross_account_signer_roles else {}
    # Terraform's jsonencode: sorted keys, no spaces, <, > and & escaped.
    text = json.dumps(render(targets, roles), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    write_layer(text, a.out)
    print(f"{a.out}: {len(targets)} targets, {len(text.encode())} bytes as /opt/{FILE_NAME}")


if __name__ == "__main__":
    main()
