#!/usr/bin/env bash
# Conformance of `sejahtera pb` against pabutools 1.2.3 on every .pb file of a folder.
# Usage: bench/pb/conformance.sh [FOLDER] [--timeout SECONDS] [--only SUBSTRING]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$repo/bench/.venv-pb"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "pabutools==1.2.3"
fi
target="${CARGO_TARGET_DIR:-$repo/target}"
# PB_BINARY=path: use that binary (e.g. the stand-alone example
# `cargo build --release -p sejahtera-pb --example pb_solve`, same arguments and output as
# `sejahtera pb solve`) instead of building the whole CLI.
if [ -n "${PB_BINARY:-}" ]; then
  binary="$PB_BINARY"
else
  (cd "$repo" && cargo build --release -p sejahtera --quiet)
  binary="$target/release/sejahtera"
fi
exec "$venv/bin/python" "$here/conformance.py" --binary "$binary" "$@"
