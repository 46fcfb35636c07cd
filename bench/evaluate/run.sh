#!/usr/bin/env bash
# Validation and benchmark of `sejahtera evaluate` against the Python references
# (csdid — port of R `did`, also on the public castle-doctrine panel shipped by
# `causaldata`; drdid — port of R `DRDID`; differences — Abadie IPW and improved DR (IPT)
# two-period estimators; synthdid — port of R `synthdid`).
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
"$venv/bin/pip" install -q csdid drdid differences "statsmodels>=0.14.6" pandas numpy causaldata
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

echo "== validation: staggered DiD vs csdid (24 configurations × 3 panels) =="
"$py" "$here/gen_panel.py" "$here/data/p500.csv" 500 6 1
"$py" "$here/compare_did.py" "$here/data/p500.csv" "$bin" | grep -E "OK$|FAIL$"
"$py" "$here/gen_panel.py" "$here/data/p2000.csv" 2000 8 2
"$py" "$here/compare_did.py" "$here/data/p2000.csv" "$bin" | grep -E "OK$|FAIL$"
# large enough (≥ 5,000 units per cell) for the warm-started propensity-score fit
"$py" "$here/gen_panel.py" "$here/data/p20000.csv" 20000 8 3
"$py" "$here/compare_did.py" "$here/data/p20000.csv" "$bin" | grep -E "OK$|FAIL$"
echo "== validation: staggered DiD vs csdid on public data (causaldata castle, 72 configurations) =="
"$py" "$here/compare_public.py" "$bin" "$here/data" | grep -E "^castle|SKIP|FAIL"
echo "== validation: two-period DRDID vs drdid (reg, std_ipw, dr_trad) and differences (ipw, dr_imp) =="
"$py" "$here/compare_drdid.py" "$here/data/p500.csv" "$bin"
"$py" "$here/compare_drdid.py" "$here/data/p2000.csv" "$bin"
echo "== validation: synthetic DiD vs synthdid =="
"$py" "$here/compare_synth.py" "$bin"

echo "== benchmark: $N persons × $T periods =="
data="$here/data/bench_${N}x${T}.csv"
[ -f "$data" ] || "$py" "$here/gen_panel.py" "$data" "$N" "$T" 7
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$py" "$here/bench.py" "$data" "$bin" "$RUNS" "$PEER_RUNS"
