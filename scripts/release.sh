#!/usr/bin/env bash
# Builds the release artefacts in dist/ (git-ignored), for each Lambda architecture whose Rust standard library
# is installed:
#   hyperdrive-dsql-rotator-<version>-<arch>.zip   the function's code: one file, `bootstrap` (cargo lambda build
#                                                  --release), mode 0755, dated SOURCE_DATE_EPOCH or the commit time
#   manifest-<arch>.json                           version, git commit, rustc, cargo-lambda, profile, binary size
#   SHA256SUMS                                     the zips and manifests, for `sha256sum -c SHA256SUMS`
# <version> is Cargo.toml's, and the built bootstrap must print it for `--version` (checked where it can run).
# The same commit gives the same bytes (scripts/check-release.sh checks it).
#
# Usage: scripts/release.sh [--out DIR] [--arch x86_64|arm64]...
#   --out DIR   write into DIR instead of dist/ (this script's earlier files there are removed first)
#   --arch A    build A only (repeatable); fails when A's standard library is missing. Without --arch, every
#               architecture is built whose standard library is installed; the others are skipped, with a message.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

NAME=hyperdrive-dsql-rotator
out="$ROOT/dist"
archs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --arch) archs+=("$2"); shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
explicit=${#archs[@]}
[ "$explicit" -gt 0 ] || archs=(x86_64 arm64)

triple_of() {
  case "$1" in
    x86_64) echo x86_64-unknown-linux-gnu ;;
    arm64) echo aarch64-unknown-linux-gnu ;;
    *) echo "error: unknown architecture $1 (x86_64 or arm64)" >&2; return 1 ;;
  esac
}

version="$(cargo metadata --no-deps --format-version 1 --locked |
  python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == sys.argv[1]))' "$NAME")"
commit="$(git rev-parse HEAD)"
dirty=false
[ -z "$(git status --porcelain --untracked-files=no)" ] || dirty=true
epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct HEAD)}"
sysroot="$(rustc --print sysroot)"
rustc_version="$(rustc --version)"
host_arch="$(uname -m)"
[ "$host_arch" != aarch64 ] || host_arch=arm64

# Which architectures: decided before anything in the output directory is touched.
todo=()
for arch in "${archs[@]}"; do
  triple="$(triple_of "$arch")"
  if [ -d "$sysroot/lib/rustlib/$triple/lib" ]; then
    todo+=("$arch")
  elif [ "$explicit" -gt 0 ]; then
    echo "error: $arch asked for, but the $triple standard library is not installed (rustup target add $triple)" >&2
    exit 1
  else
    say "skipping $arch: the $triple standard library is not installed (rustup target add $triple to build it)"
  fi
done
if [ ${#todo[@]} -eq 0 ]; then
  echo "error: nothing to build: no standard library installed for ${archs[*]}" >&2
  exit 1
fi

ensure_cargo_lambda
cargo_lambda_version="$(cargo lambda --version)"

mkdir -p "$out"
rm -f "$out"/"$NAME"-*.zip "$out"/manifest-*.json "$out"/SHA256SUMS

for arch in "${todo[@]}"; do
  triple="$(triple_of "$arch")"
  say "building $NAME $version for $arch (cargo lambda build --release --target $triple)"
  # Its own lambda dir per architecture, so that one build never overwrites the other's bootstrap.
  cargo lambda build --release --locked --quiet --target "$triple" --bin "$NAME" --lambda-dir "target/lambda/$arch"
  bootstrap="target/lambda/$arch/$NAME/bootstrap"

  if [ "$arch" = "$host_arch" ]; then
    printed="$("$bootstrap" --version)"
    if [ "$printed" != "$NAME $version" ]; then
      echo "error: $bootstrap --version prints '$printed', want '$NAME $version' (Cargo.toml)" >&2
      exit 1
    fi
  else
    say "not running the $arch bootstrap on this $host_arch machine: its --version is not checked here"
  fi

  zip="$NAME-$version-$arch.zip"
  python3 scripts/release_pack.py zip "$bootstrap" "$out/$zip" "$epoch"
  python3 scripts/release_pack.py manifest "$out/manifest-$arch.json" \
    name="$NAME" version="$version" arch="$arch" target="$triple" zip="$zip" \
    git_commit="$commit" git_dirty:="$dirty" source_date_epoch:="$epoch" \
    rustc="$rustc_version" cargo_lambda="$cargo_lambda_version" profile=release \
    binary_size_bytes:="$(stat -c %s "$bootstrap")" binary_sha256="$(sha256sum "$bootstrap" | cut -d' ' -f1)"
done

python3 scripts/release_pack.py sums "$out"
[ "$dirty" = false ] || say "note: the work tree has uncommitted changes (git_dirty: true in the manifests)"
say "release $version (${todo[*]}) in ${out#"$ROOT"/}:"
(cd "$out" && ls -l -- *.zip manifest-*.json SHA256SUMS && cat SHA256SUMS)
