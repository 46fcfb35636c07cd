#!/usr/bin/env bash
# Benchmark `sejahtera pb solve --rule mes` against pabutools 1.2.3 (same machine, same run).
# Usage: bench/pb/bench.sh [FOLDER] [--runs N] [--peer-runs N] [--peer-add1]
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
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ)"
exec "$venv/bin/python" "$here/bench.py" --binary "$binary" "$@"
