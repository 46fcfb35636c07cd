#!/usr/bin/env bash
# Benchmark of the eligibility evaluator against DuckDB (issue 6).
#
# 10,000,000 persons in 2,500,000 households; the expression
#   desil <= 4 and kepala.jenis_kelamin == "P" and any(anggota, umur >= 18 and umur <= 55)
# counted per district (households, persons), on a columnar snapshot in memory vs
# DuckDB on native in-memory tables loaded from the same data (Parquet), same threads,
# same run, several runs each, medians. Counts are checked to agree.
#
# usage: bench/eligibility/run.sh [RUNS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-7}
THREADS=${2:-2}
DATA=bench/eligibility/data
VENV=bench/.venv-eligibility
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet duckdb
fi

cargo build --release -j2 --manifest-path bench/eligibility/Cargo.toml
BIN="$CARGO_TARGET_DIR/release/bench_eligibility"
if [ ! -f "$DATA/persons.parquet" ]; then
  "$BIN" gen "$DATA"
fi

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== sejahtera eligibility (columnar snapshot, $THREADS threads)"
/usr/bin/time -f "ours process: %e s wall, %U s user, %S s sys, %M KiB max RSS" "$BIN" run "$DATA" "$RUNS" "$THREADS"
echo "== DuckDB (threads=$THREADS)"
/usr/bin/time -f "duckdb process: %e s wall, %U s user, %S s sys, %M KiB max RSS" "$VENV/bin/python" bench/eligibility/duckdb_eligibility.py "$DATA" "$RUNS" "$THREADS"
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
