#!/usr/bin/env bash
# Validation and benchmark of `sejahtera evaluate` against the Python references
# (csdid — port of R `did`; drdid — port of R `DRDID`; synthdid — port of R `synthdid`).
#
#   bench/evaluate/run.sh            # validation + benchmark (1M persons × 8 periods)
#   N=100000 bench/evaluate/run.sh   # smaller benchmark
#   PEER_RUNS=1 RUNS=5 bench/evaluate/run.sh
#   BIN=/path/to/sejahtera bench/evaluate/run.sh   # skip the release build
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/bench/.venv-evaluate"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target-evaluate}"
N="${N:-1000000}"; T="${T:-8}"; RUNS="${RUNS:-5}"; PEER_RUNS="${PEER_RUNS:-3}"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q csdid drdid "statsmodels>=0.14.6" pandas numpy
# synthdid pins an old statsmodels; its code runs with the current one.
"$venv/bin/pip" install -q --no-deps synthdid
py="$venv/bin/python"

if [ -z "${BIN:-}" ]; then
  (cd "$root" && cargo build --release -p sejahtera)
  bin="$CARGO_TARGET_DIR/release/sejahtera"
else
  bin="$BIN"   # any binary exposing `evaluate` (e.g. while the workspace is mid-edit)
fi
mkdir -p "$here/data"

echo "== validation: staggered DiD vs csdid (24 configurations) =="
"$py" "$here/gen_panel.py" "$here/data/p500.csv" 500 6 1
"$py" "$here/compare_did.py" "$here/data/p500.csv" "$bin" | grep -E "OK$|FAIL$"
"$py" "$here/gen_panel.py" "$here/data/p2000.csv" 2000 8 2
"$py" "$here/compare_did.py" "$here/data/p2000.csv" "$bin" | grep -E "OK$|FAIL$"
echo "== validation: two-period DRDID vs drdid =="
"$py" "$here/compare_drdid.py" "$here/data/p2000.csv" "$bin"
echo "== validation: synthetic DiD vs synthdid =="
"$py" "$here/compare_synth.py" "$bin"

echo "== benchmark: $N persons × $T periods =="
data="$here/data/bench_${N}x${T}.csv"
[ -f "$data" ] || "$py" "$here/gen_panel.py" "$data" "$N" "$T" 7
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$py" "$here/bench.py" "$data" "$bin" "$RUNS" "$PEER_RUNS"
