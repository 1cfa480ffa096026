#!/usr/bin/env bash
# `make bench` (not part of `make test`): measures the functions and writes docs/benchmarks.md
# and docs/cost.md.
#   tools + the peers (bench/peers/setup.sh: Node.js 20 + SDK v3, Python 3.11 + boto3, pinned)
#   -> release builds (arm64 packages via infra/build.sh for the sizes; native x86-64
#   functions + bench/hello for the cold starts; the in-process bench/runner) -> a private moto
#   on a free port with two tables from template.yaml -> cold starts and peak RSS of the
#   functions, the hello-world and the peers, interleaved, through a Lambda Runtime API emulator
#   (infra/bench.py coldstart) -> warm latency, DynamoDB calls and capacity per request and
#   argon2 cost (accounts-bench) -> the warm table's items (bench.py items) -> docs/benchmarks.md
#   and docs/cost.md (infra/bench.py report)
#   -> the import rate of 10 000 users (infra/bench_import.sh, its own moto and section).
# Runs from a fresh clone; moto is stopped in any case. Knobs: BENCH_RUNS (cold starts per
# binary, 7), BENCH_REQUESTS (warm requests per endpoint, 100), BENCH_ARGON2_REQUESTS (20),
# BENCH_ONLY (comma-separated functions/peers for the cold starts, e.g. `users,peer-node20`;
# the hello-world and `users` are always in; default all) - the full run is the one to commit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${ACCOUNTS_VENV:-$ROOT/.tools/venv}"
export PATH="$VENV/bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
RUNS="${BENCH_RUNS:-7}"
REQUESTS="${BENCH_REQUESTS:-100}"
ARGON2_REQUESTS="${BENCH_ARGON2_REQUESTS:-20}"
ONLY="${BENCH_ONLY:-}"
started=$SECONDS

"$ROOT/infra/tools.sh"
"$ROOT/bench/peers/setup.sh"

echo "==> bench: release packages for the sizes (infra/build.sh)"
"$ROOT/infra/build.sh"

# The functions are exactly the packages under functions/ (as in infra/build.sh).
functions=()
for manifest in functions/*/Cargo.toml; do
  functions+=("$(sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest" | head -n 1)")
done
packages=()
for f in "${functions[@]}" bench-hello; do packages+=(-p "$f"); done
echo "==> bench: native release builds for the cold starts: ${functions[*]} bench-hello"
cargo build --release "${packages[@]}"
# Its own invocation: the runner enables accounts-core's test-support feature, which must not
# reach the function binaries measured above.
echo "==> bench: the in-process bench (accounts-bench, release)"
cargo build --release -p accounts-bench

work="$(mktemp -d)"
source "$ROOT/infra/emulator.sh"
cleanup() { rm -rf "$work"; } # before emulator.sh stops moto

emulator_start moto_port
export MOTO_PORT="$moto_port" AWS_EC2_METADATA_DISABLED=true
rm -rf "$ROOT/.tools/bench-logs"

echo "==> bench: cold starts ($RUNS runs per binary, functions, hello-world and peers interleaved)"
TABLE_NAME=bench-cold BUCKET_NAME=bench-cold "$VENV/bin/python" infra/bootstrap.py >/dev/null
(
  eval "$(TABLE_NAME=bench-cold BUCKET_NAME=bench-cold "$VENV/bin/python" infra/local_env.py)"
  "$TARGET_DIR/release/accounts-bench" seed-cold "$work/seed.json"
)
TABLE_NAME=bench-cold BUCKET_NAME=bench-cold "$VENV/bin/python" infra/bench.py coldstart "$work/cold.json" "$TARGET_DIR/release" \
  --seed "$work/seed.json" --runs "$RUNS" --only "$ONLY"

echo "==> bench: warm latency ($REQUESTS requests per endpoint, $ARGON2_REQUESTS when argon2-bound)"
TABLE_NAME=bench-warm BUCKET_NAME=bench-warm "$VENV/bin/python" infra/bootstrap.py >/dev/null
(
  eval "$(TABLE_NAME=bench-warm BUCKET_NAME=bench-warm "$VENV/bin/python" infra/local_env.py)"
  "$TARGET_DIR/release/accounts-bench" "$work/warm.json" "$REQUESTS" "$ARGON2_REQUESTS"
)

TABLE_NAME=bench-warm BUCKET_NAME=bench-warm "$VENV/bin/python" infra/bench.py items "$work/items.json"

echo "==> bench: docs/benchmarks.md and docs/cost.md"
"$VENV/bin/python" infra/bench.py report docs/benchmarks.md --cold "$work/cold.json" --warm "$work/warm.json" \
  --lambda-dir "$TARGET_DIR/lambda" --items "$work/items.json" --cost-out docs/cost.md
echo "==> bench: import rate (infra/bench_import.sh)"
"$ROOT/infra/bench_import.sh"
echo "make bench: wrote docs/benchmarks.md and docs/cost.md in $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s"
