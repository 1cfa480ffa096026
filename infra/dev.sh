#!/usr/bin/env bash
# `make dev`: serve the whole API and the pages locally on http://127.0.0.1:${WATCH_PORT:-9000}/ (API under /api/...)
#   tools (pinned, .tools/venv) -> moto on 127.0.0.1:${MOTO_PORT:-4566} -> table/bucket/SES
#   identity, events bus and queue -> mail printer and events relay (background) -> build ->
#   `cargo lambda watch` (foreground).
# Ctrl-C stops everything this script started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MOTO_PORT="${MOTO_PORT:-4566}"
WATCH_PORT="${WATCH_PORT:-9000}"
VENV="${ACCOUNTS_VENV:-$ROOT/.tools/venv}"
export PATH="$VENV/bin:$PATH" MOTO_PORT
ENDPOINT="http://127.0.0.1:$MOTO_PORT"
# bootstrap.py and mail.py read them; the functions get them through --env-var below.
export AWS_ENDPOINT_URL="$ENDPOINT"
export TABLE_NAME="${TABLE_NAME:-accounts}" BUCKET_NAME="${BUCKET_NAME:-accounts-local}"

mail_pid=""
relay_pid=""
ready_pid=""
source "$ROOT/infra/emulator.sh"
cleanup() { # before emulator.sh stops moto
  echo
  echo "dev: shutting down"
  if [[ -n "$mail_pid" ]]; then kill "$mail_pid" 2>/dev/null || true; fi
  if [[ -n "$relay_pid" ]]; then kill "$relay_pid" 2>/dev/null || true; fi
  if [[ -n "$ready_pid" ]]; then kill "$ready_pid" 2>/dev/null || true; fi
}

echo "dev: [1/5] tools"
"$ROOT/infra/tools.sh"

echo "dev: [2/5] local AWS (moto) on $ENDPOINT"
emulator_start moto_port "$MOTO_PORT"
# Kept, as `make moto-stop` keeps it; `make clean` removes it.
emulator_keep_log "$MOTO_PORT"

echo "dev: [3/5] table (with its stream), bucket, SES identity, events bus and queue"
"$VENV/bin/python" "$ROOT/infra/bootstrap.py"

echo "dev: [4/5] building the functions (cargo build --bins)"
cargo build --bins

echo "dev: mail sent through local SES is printed below; also: make mail, or"
echo "dev:   curl $ENDPOINT/moto-api/accounts/mail"
"$VENV/bin/python" "$ROOT/infra/mail.py" --follow &
mail_pid=$!

# Lifecycle events: the relay stands in for Lambda's stream mapping and invokes the `events`
# function below; `make events` prints what the bus delivered (a fresh log per run).
rm -f "$ROOT/.tools/events-$MOTO_PORT.jsonl"
echo "dev: lifecycle events: make events (printed from the local queue the bus feeds)"
WATCH_PORT="$WATCH_PORT" "$VENV/bin/python" "$ROOT/infra/events_relay.py" &
relay_pid=$!

echo "dev: [5/5] cargo lambda watch on http://127.0.0.1:$WATCH_PORT (routes: /api/auth/*, /api/users[/*], /api/uploads[/*], /api/plans, /api/subscription, /api/api-keys[/*], /api/admin/*, /.well-known/*; every other path: the pages; Ctrl-C to stop)"
# Once the pages answer, say where a person starts (the web function starts on that request).
(
  for _ in $(seq 1 600); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "http://127.0.0.1:$WATCH_PORT/sign-in" || true)" == 200 ]]; then
      echo "dev: ready - open http://127.0.0.1:$WATCH_PORT/sign-up to create an account, http://127.0.0.1:$WATCH_PORT/sign-in to sign in"
      exit 0
    fi
    sleep 1
  done
) &
ready_pid=$!
# Routes and function environment come from [workspace.metadata.lambda.*] in Cargo.toml,
# except the emulator endpoint and the table and bucket names, which are not listed there so
# that MOTO_PORT, TABLE_NAME and BUCKET_NAME can move them.
# --disable-cors: cargo-lambda otherwise answers every preflight itself and reflects any Origin
# with credentials allowed; CORS is the functions' own (CORS_ALLOWED_ORIGINS), as in AWS.
cargo lambda watch \
  --disable-cors \
  --invoke-address 127.0.0.1 \
  --invoke-port "$WATCH_PORT" \
  --env-var "AWS_ENDPOINT_URL=$ENDPOINT" \
  --env-var "TABLE_NAME=$TABLE_NAME" \
  --env-var "BUCKET_NAME=$BUCKET_NAME" \
  --env-var "JWT_ISSUER=http://127.0.0.1:$WATCH_PORT"
