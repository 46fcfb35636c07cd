#!/usr/bin/env bash
# Property-based API testing of /api/v1 against its own OpenAPI document with
# schemathesis, anonymously and as the demo admin. Run by hand (needs PyPI for
# the first install; CI has no network for pip):
#
#   bash bench/schemathesis/run.sh            # 25 examples per operation
#   EXAMPLES=100 bash bench/schemathesis/run.sh
#
# It builds the CLI, starts `sejahtera demo --scale 0.01` on a loopback port
# with a fresh database, signs the admin in through the API, runs schemathesis
# twice (anonymous, then with the admin's session cookie and X-CSRF-Token),
# and stops the server. Reports (JUnit) land in bench/schemathesis/out/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PORT=${PORT:-18431}
EXAMPLES=${EXAMPLES:-25}
VENV=$ROOT/bench/.venv-schemathesis
OUT=$ROOT/bench/schemathesis/out
BASE=http://127.0.0.1:$PORT
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/st" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q 'schemathesis>=4,<5'
fi
"$VENV/bin/st" --version

cargo build -j2 -q --bin sejahtera
TMP=$(mktemp -d)
./target/debug/sejahtera --quiet --db "$TMP/demo.db" demo --scale 0.01 --bind "127.0.0.1:$PORT" \
    > "$OUT/server.log" 2>&1 &
SERVER=$!
cleanup() {
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
for _ in $(seq 1 300); do
    curl -fs "$BASE/healthz" > /dev/null 2>&1 && break
    sleep 1
done
curl -fs "$BASE/healthz" > /dev/null

# Sign in first: the anonymous run's random sign-ins will trip the login throttle.
LOGIN=$(curl -fs -D "$TMP/headers" -H 'content-type: application/json' \
    -d '{"username":"admin","password":"sejahtera-demo"}' "$BASE/api/v1/session")
TOKEN=$(sed -n 's/^[Ss]et-[Cc]ookie: sj_session=\([0-9a-f]*\).*/\1/p' "$TMP/headers")
CSRF=$(printf '%s' "$LOGIN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')

run() {
    local name=$1
    shift
    echo "== schemathesis: $name"
    timeout 900 "$VENV/bin/st" run "$BASE/api/v1/openapi.json" \
        --url "$BASE/api/v1" \
        --checks all \
        --max-examples "$EXAMPLES" \
        --request-timeout 30 \
        --generation-deterministic \
        --report junit --report-junit-path "$OUT/$name.xml" \
        "$@"
}

status=0
run anonymous || status=$?
# As the admin; signing out would end the session the run uses.
run admin -H "Cookie: sj_session=$TOKEN" -H "X-CSRF-Token: $CSRF" \
    --exclude-method DELETE --exclude-path /session || status=$?
exit $status
