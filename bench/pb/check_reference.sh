#!/usr/bin/env bash
# Compares `sejahtera pb solve` with the stored pabutools outcomes in bench/pb/reference.
# Usage: bench/pb/check_reference.sh [BINARY]   (default: target/release/sejahtera)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${1:-$repo/target/release/sejahtera}"
data="$repo/../shared/data/pabulib"
status=0
for ref in "$here"/reference/*.json; do
  name="$(basename "$ref" .json)"            # INSTANCE.RULE.COMPLETION.SAT
  IFS=. read -r instance rule completion sat <<<"$name"
  ours="$("$bin" pb solve "$data/$instance.pb" --rule "$rule" --completion "$completion" --sat "$sat" --format json)"
  if python3 - "$ref" "$ours" <<'PY'
import json, sys
ref = json.load(open(sys.argv[1]))["selected"]
ours = json.loads(sys.argv[2])["selected"]
sys.exit(0 if [str(x) for x in ours] == [str(x) for x in ref] else 1)
PY
  then echo "identical  $name"; else echo "DIFFERENT  $name"; status=1; fi
done
exit $status
