#!/usr/bin/env bash
# Checks that scripts/release.sh is reproducible: runs it twice on this commit, into target/release-check/a and
# target/release-check/b, and wants the two SHA256SUMS, and every file, byte for byte equal. The first run builds
# (cargo lambda build --release, once); the second finds the build up to date and only packages again. Then checks
# each zip's layout (one entry, bootstrap, mode 0755, the fixed date, the built binary's bytes), the checksums, and
# that dist/ is git-ignored. Usage: scripts/check-release.sh (scripts/test.sh runs it).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

check_dir="$ROOT/target/release-check"
rm -rf "$check_dir"
mkdir -p "$check_dir"

say "release.sh, first run (builds)"
./scripts/release.sh --out "$check_dir/a"
say "release.sh, second run (same commit; the build is up to date)"
./scripts/release.sh --out "$check_dir/b"

if ! cmp -s "$check_dir/a/SHA256SUMS" "$check_dir/b/SHA256SUMS"; then
  echo "error: two runs of release.sh on one commit gave different artefacts:" >&2
  diff "$check_dir/a/SHA256SUMS" "$check_dir/b/SHA256SUMS" >&2 || true
  exit 1
fi
diff -r "$check_dir/a" "$check_dir/b" >/dev/null || {
  echo "error: the two runs' files differ though their SHA256SUMS are equal" >&2
  exit 1
}
(cd "$check_dir/a" && sha256sum --check --quiet SHA256SUMS)

epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct HEAD)}"
for zip in "$check_dir"/a/*.zip; do
  arch="${zip##*-}" && arch="${arch%.zip}" # hyperdrive-dsql-rotator-<version>-<arch>.zip
  python3 scripts/release_pack.py verify "$zip" "target/lambda/$arch/hyperdrive-dsql-rotator/bootstrap" "$epoch"
done

git check-ignore -q dist/ || { echo "error: dist/ is not git-ignored" >&2; exit 1; }

say "release artefacts reproducible: two runs, equal SHA256SUMS:"
cat "$check_dir/a/SHA256SUMS"
