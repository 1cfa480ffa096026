#!/usr/bin/env bash
# The import-rate benchmark (`make bench-import`; also the last step of `make bench`):
# 10 000 users (BENCH_IMPORT_USERS) into a fresh table of a private moto with
# `accounts-admin import`, the same file again (nothing changes), then `accounts-admin export`;
# the times go into docs/benchmarks.md ("Import rate"). moto is stopped in any case.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${ACCOUNTS_VENV:-$ROOT/.tools/venv}"
export PATH="$VENV/bin:$PATH"
USERS="${BENCH_IMPORT_USERS:-10000}"

"$ROOT/infra/tools.sh" >/dev/null
echo "==> bench-import: building accounts-admin"
cargo build -q -p accounts-cli
admin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/accounts-admin"

work="$(mktemp -d)"
source "$ROOT/infra/emulator.sh"
cleanup() { rm -rf "$work"; }
emulator_start moto_port
load="$(cut -d' ' -f1 /proc/loadavg)"
export MOTO_PORT="$moto_port" AWS_EC2_METADATA_DISABLED=true
TABLE_NAME=bench-import BUCKET_NAME=bench-import "$VENV/bin/python" infra/bootstrap.py >/dev/null
eval "$(TABLE_NAME=bench-import BUCKET_NAME=bench-import "$VENV/bin/python" infra/local_env.py TABLE_NAME AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL)"
"$VENV/bin/python" infra/bench_import.py lines "$work/users.jsonl" "$USERS"

seconds() { # CMD...: runs CMD, prints its wall time in seconds
  local start end
  start="$(date +%s.%N)"
  "$@" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; return 1; }
  end="$(date +%s.%N)"
  "$VENV/bin/python" -c 'import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))' "$start" "$end"
}
echo "==> bench-import: importing $USERS users"
import_s="$(seconds "$admin" import --file "$work/users.jsonl")"; tail -1 "$work/out"
echo "==> bench-import: the same file again"
reimport_s="$(seconds "$admin" import --file "$work/users.jsonl")"; tail -1 "$work/out"
echo "==> bench-import: export"
export_s="$(seconds "$admin" export --out "$work/export.jsonl")"; tail -1 "$work/out"

cat >"$work/result.json" <<JSON
{"users": $USERS, "import_s": $import_s, "reimport_s": $reimport_s, "export_s": $export_s, "date": "$(date -u +%Y-%m-%d)", "load": "$load"}
JSON
"$VENV/bin/python" infra/bench_import.py report docs/benchmarks.md "$work/result.json"
echo "bench-import: $USERS users imported in ${import_s}s, re-import ${reimport_s}s, export ${export_s}s (docs/benchmarks.md)"
