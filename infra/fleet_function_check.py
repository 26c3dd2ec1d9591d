"""The function accepts what the stacks ship for a fleet: 200 targets (40 Cloudflare accounts, mtls verify-full) in the
targets file written by the Terraform module's scripts/targets_layer.py, read through HYPERDRIVE_TARGETS_FILE, with a
token secret per account in CLOUDFLARE_API_TOKEN_SECRET_IDS and no default secret. It must fail at the AWS calls
(exit 1, AWS pointed at a closed port), not on its configuration (exit 2).
Usage: python3 infra/fleet_function_check.py BIN"""
import json
import os
import subprocess
import sys
import tempfile
import zipfile

INFRA = os.path.dirname(os.path.abspath(__file__))
HELPER = os.path.join(INFRA, "terraform", "modules", "hyperdrive-dsql-rotator", "scripts", "targets_layer.py")


def main(binary):
    with tempfile.TemporaryDirectory() as tmp:
        targets = [{"name": "db-%03d" % i, "host": "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws", "user": "app",
                    "account_id": "0" * 30 + "%02d" % (i // 5),
                    "mtls": {"sslmode": "verify-full", "ca_certificate_id": "12345678-aaaa-bbbb-cccc-1234567890ab"}}
                   for i in range(200)]
        json.dump(targets, open(os.path.join(tmp, "targets.json"), "w"))
        layer = os.path.join(tmp, "layer.zip")
        subprocess.run([sys.executable, HELPER, "--targets", os.path.join(tmp, "targets.json"), "--out", layer], check=True)
        opt = os.path.join(tmp, "opt")
        zipfile.ZipFile(layer).extractall(opt)  # what Lambda does with a layer under /opt
        ids = {"0" * 30 + "%02d" % a: "arn:aws:secretsmanager:us-east-1:111122223333:secret:cf/team-%02d-AbCdEf" % a
               for a in range(40)}
        env = {"PATH": os.environ.get("PATH", ""), "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
               "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
               "HYPERDRIVE_TARGETS_FILE": os.path.join(opt, "hyperdrive-targets.json"),
               "CLOUDFLARE_API_TOKEN_SECRET_IDS": json.dumps(ids)}
        out = subprocess.run([binary, "--dry-run", "--timeout", "20"], env=env, capture_output=True, text=True, timeout=60)
        if out.returncode != 1 or "invalid configuration" in out.stderr:
            sys.exit(f"exit {out.returncode} (want 1: configuration accepted, AWS unreachable)\n{out.stderr[-2000:]}")
        print("200 targets from the layer file, 40 per-account token secrets: configuration accepted")


if __name__ == "__main__":
    main(sys.argv[1])
