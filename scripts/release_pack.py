#!/usr/bin/env python3
"""Packaging half of scripts/release.sh: reproducible zips, build manifests, SHA256SUMS, and their checks.

    release_pack.py zip BOOTSTRAP OUT.zip EPOCH          one entry, `bootstrap`, mode 0755, dated EPOCH (UTC)
    release_pack.py manifest OUT.json KEY=STRING|KEY:=JSON...   a build manifest (keys sorted)
    release_pack.py sums DIR                             DIR/SHA256SUMS over DIR's zips and manifests
    release_pack.py verify ZIP BOOTSTRAP EPOCH           the zip holds exactly BOOTSTRAP, as `zip` would write it

The zip is written with zipfile, not the `zip` tool, so that nothing from the file system (owner, time, extra
fields, order) gets in: the same bootstrap and EPOCH always give the same bytes (with the same zlib).
"""

import hashlib
import json
import os
import stat
import sys
import time
import zipfile

ENTRY = "bootstrap"
MODE = 0o755
DOS_MIN = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip entry can carry
DOS_MAX = 4354819198  # 2107-12-31T23:59:58Z, the latest


def zip_date(epoch):
    """The entry's date: EPOCH in UTC, within what a zip can hold, seconds even (a zip keeps seconds / 2)."""
    t = time.gmtime(min(max(int(epoch), DOS_MIN), DOS_MAX))
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec - t.tm_sec % 2)


def entry_info(epoch):
    info = zipfile.ZipInfo(ENTRY, date_time=zip_date(epoch))
    info.create_system = 3  # Unix, so that unzip and Lambda read the mode bits
    info.external_attr = (stat.S_IFREG | MODE) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_zip(bootstrap, out, epoch):
    with open(bootstrap, "rb") as f:
        data = f.read()
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w") as zf:
        zf.writestr(entry_info(epoch), data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    os.replace(tmp, out)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(out, pairs):
    manifest = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key.endswith(":"):
            manifest[key[:-1]] = json.loads(value)
        else:
            manifest[key] = value
    with open(out, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


def write_sums(directory):
    names = sorted(
        n for n in os.listdir(directory) if n.endswith(".zip") or (n.startswith("manifest-") and n.endswith(".json"))
    )
    if not names:
        sys.exit(f"error: nothing to checksum in {directory}")
    lines = "".join(f"{sha256_file(os.path.join(directory, n))}  {n}\n" for n in names)
    with open(os.path.join(directory, "SHA256SUMS"), "w", encoding="utf-8") as f:
        f.write(lines)


def verify(zip_path, bootstrap, epoch):
    problems = []
    with zipfile.ZipFile(zip_path) as zf:
        infos = zf.infolist()
        if [i.filename for i in infos] != [ENTRY]:
            problems.append(f"entries {[i.filename for i in infos]}, want [{ENTRY!r}]")
        else:
            info = infos[0]
            mode = info.external_attr >> 16
            if info.create_system != 3 or stat.S_IMODE(mode) != MODE or not stat.S_ISREG(mode):
                problems.append(f"mode {oct(mode)} (system {info.create_system}), want a regular file 0755 (Unix)")
            if info.date_time != zip_date(epoch):
                problems.append(f"date {info.date_time}, want {zip_date(epoch)}")
            if info.compress_type != zipfile.ZIP_DEFLATED:
                problems.append("not deflated")
            if info.extra:
                problems.append(f"extra fields {info.extra!r}")
            with open(bootstrap, "rb") as f:
                if zf.read(ENTRY) != f.read():
                    problems.append(f"the entry differs from {bootstrap}")
        bad = zf.testzip()
        if bad:
            problems.append(f"CRC error in {bad}")
    if problems:
        sys.exit(f"error: {zip_path}: " + "; ".join(problems))
    date = "%04d-%02d-%02dT%02d:%02d:%02dZ" % zip_date(epoch)
    print(f"ok: {os.path.basename(zip_path)}: one entry, {ENTRY}, mode 0755, dated {date}, same bytes as {bootstrap}")


def main(argv):
    if len(argv) >= 4 and argv[0] == "zip":
        write_zip(argv[1], argv[2], argv[3])
    elif len(argv) >= 2 and argv[0] == "manifest":
        write_manifest(argv[1], argv[2:])
    elif len(argv) == 2 and argv[0] == "sums":
        write_sums(argv[1])
    elif len(argv) == 4 and argv[0] == "verify":
        verify(argv[1], argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
