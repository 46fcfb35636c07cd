#!/usr/bin/env bash
# Staff load benchmark (issue 14): 64 concurrent staff clients recording enrollment
# decisions and attendance through the JSON API, with wrk (bench/web/staff.lua).
#
#   bench/web/staff.sh                                   # SQLite: bench/web/demo.db
#   DB='postgres://sejahtera@/sejahtera_demo?host=/tmp/pgbs' bench/web/staff.sh
#   RUNS=3 DURATION=60 CONNS=64 bench/web/staff.sh
#
# DB is the pristine demo registry (created with `sejahtera demo --no-serve` when it
# does not exist or, for a PostgreSQL URL, holds no household). It is never written:
# every run works on a fresh copy (a file copy; on PostgreSQL `CREATE DATABASE …
# TEMPLATE …`), so every run starts from the same registry and event log.
# Per run: start `sejahtera serve` on the copy, sign the demo's four agency operators in
# (POST /api/v1/session), list per program the eligible households in no decision yet,
# its participants and training sessions (bench/web/staff_data.py), then
# wrk -t$THREADS -c$CONNS -d${DURATION}s: requests alternate between a decision
# (propose → enroll → exit, round after round, over every listed household) and an
# attendance record of 5 participants for one session. Prints requests/s, the
# statuses (2xx, 409 refusals with their reasons, anything else = errors) and
# p50/p90/p99, then the median p99 over the runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/sejahtera}
DB=${DB:-bench/web/demo.db}
PORT=${PORT:-18182}
RUNS=${RUNS:-3}
DURATION=${DURATION:-60}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
PER_PROGRAM=${PER_PROGRAM:-300}
OUT=${OUT:-bench/web/out}
LOG=${LOG:-$OUT/staff-server.log}
PSQL=${PSQL:-$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1 || command -v psql)}

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
if [ ! -x "$BIN" ]; then cargo build --release -j2 -p sejahtera; fi
mkdir -p "$OUT"

is_url() { [[ "$1" == postgres://* || "$1" == postgresql://* ]]; }
# The URL with another database name.
with_db() { python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit((p.scheme, p.netloc, "/" + sys.argv[2], p.query, p.fragment)))' "$1" "$2"; }
db_name() { python3 -c 'import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1]).path.lstrip("/"))' "$1"; }

if is_url "$DB"; then
  households=$("$BIN" --db "$DB" --quiet summary --format csv 2>/dev/null | tail -1 | cut -d, -f2 || echo 0)
  if [ "${households:-0}" = "0" ] || ! [[ "$households" =~ ^[0-9]+$ ]]; then
    "$BIN" --db "$DB" --quiet demo --no-serve
  fi
  WORK=$(with_db "$DB" "$(db_name "$DB")_staff")
  ADMIN=$(with_db "$DB" postgres)
elif [ ! -f "$DB" ]; then
  "$BIN" --db "$DB" --quiet demo --no-serve
fi

fresh_copy() {
  if is_url "$DB"; then
    "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$ADMIN" \
      -c "DROP DATABASE IF EXISTS $(db_name "$WORK")" \
      -c "CREATE DATABASE $(db_name "$WORK") TEMPLATE $(db_name "$DB")"
  else
    WORK="$OUT/staff.db"
    rm -f "$WORK" "$WORK-wal" "$WORK-shm"
    sqlite3 "$DB" ".backup '$WORK'"
  fi
}

SERVER=
stop_server() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; SERVER=; fi
}
trap stop_server EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "backend: $(is_url "$DB" && echo "PostgreSQL $("$PSQL" -X -At -d "$DB" -c 'SHOW server_version')" || echo SQLite) ($DB, each run on a fresh copy)"
echo "registry: $("$BIN" --db "$DB" --quiet summary --format csv | tail -1)"
echo "wrk -t$THREADS -c$CONNS -d${DURATION}s --latency -s bench/web/staff.lua http://127.0.0.1:$PORT"
P99S=()
for i in $(seq 1 "$RUNS"); do
  fresh_copy
  SEJAHTERA_LOG=${SEJAHTERA_LOG:-warn} "$BIN" --db "$WORK" serve --bind "127.0.0.1:$PORT" >"$LOG" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  python3 bench/web/staff_data.py "http://127.0.0.1:$PORT" "$BIN" "$WORK" "$OUT/staff-data.lua" "$PER_PROGRAM" >"$OUT/staff-data.txt"
  [ "$i" = 1 ] && cat "$OUT/staff-data.txt"
  echo "run $i: $(date -u +%Y-%m-%dT%H:%M:%SZ), load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  RES=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout "${TIMEOUT:-10s}" --latency -s bench/web/staff.lua \
    "http://127.0.0.1:$PORT" -- "$OUT/staff-data.lua" "$THREADS")
  grep '^STAFF' <<<"$RES" | sed 's/^STAFF /  /'
  echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  P99S+=("$(awk '/^STAFF latency/{print $10}' <<<"$RES")")
  stop_server
  errors=$(grep -ciE ' (ERROR|WARN) ' "$LOG" || true)
  echo "  server log: $errors warning/error lines ($LOG)"
done
if is_url "$DB"; then
  "$PSQL" -X -q -d "$ADMIN" -c "DROP DATABASE IF EXISTS $(db_name "$WORK")"
fi
python3 - "${P99S[@]}" <<'PY'
import sys, statistics
vals = [float(v) for v in sys.argv[1:]]
print(f"median p99 over {len(vals)} runs: {statistics.median(vals):.2f} ms (target <= 50 ms)")
PY
