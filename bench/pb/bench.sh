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
(cd "$repo" && cargo build --release -p sejahtera --quiet)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ)"
exec "$venv/bin/python" "$here/bench.py" --binary "$target/release/sejahtera" "$@"
