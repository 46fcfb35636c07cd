#!/usr/bin/env bash
# Load benchmark of the portal (issue 5): the district dashboard on the full-size
# demo registry, 64 concurrent connections on loopback, with wrk (Debian package).
#
#   bench/web/run.sh                 # release build, full-size demo, 3 runs of 30 s
#   RUNS=5 DURATION=60 bench/web/run.sh
#   BIN=target/release/sejahtera DB=/tmp/demo.db PAGE=/wilayah/15.03.03 bench/web/run.sh
#   DB='postgres://sejahtera@/sejahtera_demo?host=/tmp/pgbs' bench/web/run.sh   # PostgreSQL
#
# DB is a SQLite file or a PostgreSQL URL (issue 14); the demo is loaded into it when the
# file does not exist or the PostgreSQL database holds no household.
# Prints, per run, wrk's requests/s, p50/p90/p99 latency and errors, then the
# median p99 across runs, and the weight of every public page type.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/release/sejahtera}
DB=${DB:-bench/web/demo.db}
PORT=${PORT:-18181}
RUNS=${RUNS:-3}
DURATION=${DURATION:-30}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
PAGE=${PAGE:-/wilayah/53.71.04}

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
if [ ! -x "$BIN" ]; then cargo build --release -p sejahtera; fi
if [[ "$DB" == postgres://* || "$DB" == postgresql://* ]]; then
  households=$("$BIN" --db "$DB" --quiet summary --format csv 2>/dev/null | tail -1 | cut -d, -f2 || true)
  if ! [[ "$households" =~ ^[1-9][0-9]*$ ]]; then "$BIN" --db "$DB" --quiet demo --no-serve; fi
  BACKEND="PostgreSQL $(psql -X -At -d "$DB" -c 'SHOW server_version' 2>/dev/null || echo '?')"
else
  if [ ! -f "$DB" ]; then "$BIN" --db "$DB" --quiet demo --no-serve; fi
  BACKEND=SQLite
fi

SEJAHTERA_LOG=error "$BIN" --db "$DB" serve --bind "127.0.0.1:$PORT" >/tmp/sejahtera-bench-web.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
# The server computes the indicators before it listens; one request warms the page path.
curl -fs "http://127.0.0.1:$PORT$PAGE" >/dev/null

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "backend: $BACKEND"
echo "registry: $("$BIN" --db "$DB" --quiet summary --format csv | tail -1)"
echo
echo "page weights (bytes, uncompressed HTML; the stylesheet is one cached file of $(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$PORT/static/style.css") bytes):"
for p in / /wilayah/53.71 /wilayah/15.03 /wilayah/53.71.04 /wilayah/15.03.03 /wilayah/53.71.04.1001; do
  printf '  %-26s %s\n' "$p" "$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$PORT$p")"
done
echo
echo "wrk -t$THREADS -c$CONNS -d${DURATION}s --latency http://127.0.0.1:$PORT$PAGE"
P99S=()
for i in $(seq 1 "$RUNS"); do
  OUT=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$PORT$PAGE")
  RPS=$(awk '/Requests\/sec/{print $2}' <<<"$OUT")
  P50=$(awk '$1=="50%"{print $2}' <<<"$OUT")
  P90=$(awk '$1=="90%"{print $2}' <<<"$OUT")
  P99=$(awk '$1=="99%"{print $2}' <<<"$OUT")
  NON2XX=$(awk '/Non-2xx/{print $NF}' <<<"$OUT"); NON2XX=${NON2XX:-0}
  SOCK=$(awk '/Socket errors/{print $0}' <<<"$OUT"); SOCK=${SOCK:-"Socket errors: none"}
  echo "run $i: $RPS req/s, p50 $P50, p90 $P90, p99 $P99, non-2xx $NON2XX, $SOCK"
  P99S+=("$P99")
done
python3 - "${P99S[@]}" <<'PY'
import sys, statistics
def ms(v):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if v.endswith(unit):
            return float(v[:-len(unit)]) * f
    return float(v)
vals = [ms(v) for v in sys.argv[1:]]
print(f"median p99 over {len(vals)} runs: {statistics.median(vals):.2f} ms (target <= 50 ms)")
PY
