#!/usr/bin/env bash
# Benchmark of the measure engine against DuckDB (issue 3).
#
# 10,000,000 persons in 3,000 groups (weights, per-row poverty lines, 60,000
# clusters): every indicator of `sejahtera measure` for every group plus the
# total, from columns already in memory, 2 threads on both sides, several runs,
# median. Then every statistic of every group is compared with DuckDB's.
#
# usage: bench/measure/run.sh [ROWS] [NGROUPS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-10000000}
NGROUPS=${2:-3000}
RUNS=${3:-5}
DATA=bench/measure/data
VENV=bench/.venv-measure
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-measure}

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet duckdb numpy pyarrow
fi

cargo build --release -j2 -p sejahtera-measure --example bench_measure
BIN="$CARGO_TARGET_DIR/release/examples/bench_measure"
mkdir -p "$DATA"
if [ ! -f "$DATA/.rows-$ROWS-$NGROUPS" ]; then
  rm -f "$DATA"/.rows-*
  "$BIN" gen "$DATA" "$ROWS" "$NGROUPS"
  touch "$DATA/.rows-$ROWS-$NGROUPS"
fi

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "== sejahtera-measure (RAYON_NUM_THREADS=2)"
RAYON_NUM_THREADS=2 "$BIN" run "$DATA" "$RUNS" "$DATA/ours.csv"
echo "== DuckDB (threads=2)"
"$VENV/bin/python" bench/measure/duckdb_measure.py "$DATA" "$RUNS" "$DATA/ours.csv"
