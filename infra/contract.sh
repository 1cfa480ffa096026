#!/usr/bin/env bash
# The contract/fuzz run of openapi.yaml (a step of `make test`; runnable alone):
#   a private moto on a free port -> table/bucket/identity under a table name of its own
#   -> `cargo lambda watch` on another free port (what `make dev` serves) -> a real user
#   (register, activation code from the local SES, activate, login) and an admin (the CLI)
#   -> schemathesis, seeded and bounded, against http://127.0.0.1:<port>/api/...
# Checks: not_a_server_error, status_code_conformance, content_type_conformance,
# response_schema_conformance. Exit non-zero when any run finds a failure.
#
# Runs (each deterministic, with at most CONTRACT_MAX_EXAMPLES cases per operation and phase):
#   1. every operation but the admin ones and the three that end the fuzz user's session
#      (revokeSession: schemathesis learns the user's own session id from GET /me/sessions and
#      revokes it; logout; logoutAll), as the activated user;
#   2. revokeSession and logout as the user, then logoutAll from a second session of the user
#      (after them the tokens are refused: 401, documented);
#   3. the admin operations, as an admin (ids are random or learnt from its own answers, so they
#      name the admin, the fuzz user or nobody; the rules keep the last admin and its session).
# infra/schemathesis.toml keeps the fuzzing phase to valid requests (the coverage phase sends
# the invalid ones; see the reason there).
# Operations that could destroy the user's session only with its password (password change,
# email change, account deletion, MFA) stay in run 1: the fuzzer never knows the password.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${ACCOUNTS_VENV:-$ROOT/.tools/venv}"
export PATH="$VENV/bin:$PATH"
# Deterministic by default: the same cases every run (schemathesis then ignores any seed).
# CONTRACT_SEED=N explores other cases instead, reproducibly for that N.
if [[ -n "${CONTRACT_SEED:-}" ]]; then generation=(--seed "$CONTRACT_SEED"); else generation=(--generation-deterministic); fi
MAX_EXAMPLES="${CONTRACT_MAX_EXAMPLES:-15}"
started=$SECONDS

work="$(mktemp -d)"
watch_pid=""
source "$ROOT/infra/emulator.sh"
cleanup() { # before emulator.sh stops moto
  if [[ -n "$watch_pid" ]]; then
    kill -- "-$watch_pid" 2>/dev/null || kill "$watch_pid" 2>/dev/null || true
    wait "$watch_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}

log() { echo "contract: [$((SECONDS - started))s] $*"; }

emulator_start moto_port >/dev/null
# Picked once moto listens, so it cannot be moto's port.
watch_port="$("$ROOT/infra/moto.sh" free-port)"
export MOTO_PORT="$moto_port" AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
export TABLE_NAME="accounts-contract-$moto_port" BUCKET_NAME="accounts-contract-$moto_port"
base="http://127.0.0.1:$watch_port"
log "moto on 127.0.0.1:$moto_port, table $TABLE_NAME"
"$VENV/bin/python" "$ROOT/infra/bootstrap.py" >/dev/null

log "building the functions and the admin CLI (cargo build --bins)"
cargo build --quiet --bins

log "cargo lambda watch on $base"
# Its own process group, so that cleanup stops it and the functions it started; standard input
# /dev/null whatever the caller has (CI has none; a pipe makes cargo lambda watch stop at once).
# --disable-cors: the functions' own CORS answers, as in AWS (see infra/dev.sh).
setsid cargo lambda watch --quiet --ignore-changes --disable-cors \
  --invoke-address 127.0.0.1 --invoke-port "$watch_port" \
  --env-var "AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL" --env-var "TABLE_NAME=$TABLE_NAME" --env-var "BUCKET_NAME=$BUCKET_NAME" \
  --env-var "JWT_ISSUER=$base" \
  </dev/null >"$work/watch.log" 2>&1 &
watch_pid=$!

# Each function starts on its first request; warm every one so the fuzzer never waits on a start.
for path in /.well-known/jwks.json /api/plans /api/auth/status /api/users/me /api/api-keys /api/uploads /api/admin/users; do
  for _ in $(seq 1 240); do
    status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 "$base$path" || true)"
    [[ "$status" =~ ^(200|401)$ ]] && break
    if ! kill -0 "$watch_pid" 2>/dev/null; then cat "$work/watch.log" >&2; echo "contract: cargo lambda watch exited" >&2; exit 1; fi
    sleep 0.5
  done
  [[ "$status" =~ ^(200|401)$ ]] || { cat "$work/watch.log" >&2; echo "contract: $path never answered (last status $status)" >&2; exit 1; }
done
log "every function answers"

admin="contract_admin" admin_password="Adm1n-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# The CLI reads the table and the emulator from the environment, as `make create-admin` does.
eval "$("$VENV/bin/python" "$ROOT/infra/local_env.py" TABLE_NAME AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL)"
ACCOUNTS_ADMIN_PASSWORD="$admin_password" "${CARGO_TARGET_DIR:-$ROOT/target}/debug/accounts-admin" create-admin --username "$admin" --email "contract-admin@example.com" >/dev/null
CONTRACT_ADMIN_USERNAME="$admin" CONTRACT_ADMIN_PASSWORD="$admin_password" \
  "$VENV/bin/python" "$ROOT/infra/contract_setup.py" "$base" >"$work/credentials"
user_token="$(sed -n 's/^CONTRACT_TOKEN=//p' "$work/credentials")"
user_token_2="$(sed -n 's/^CONTRACT_TOKEN_2=//p' "$work/credentials")"
admin_token="$(sed -n 's/^CONTRACT_ADMIN_TOKEN=//p' "$work/credentials")"
[[ -n "$user_token" && -n "$user_token_2" && -n "$admin_token" ]] || { echo "contract: no credentials" >&2; exit 1; }
log "signed in as an activated user and as an admin"

failed=0
log "access tokens verified by PyJWT through the JWKS URL; forged tokens against every function (infra/jwt_check.py)"
(cd "$ROOT/infra" && "$VENV/bin/python" jwt_check.py "$base" "$user_token") || failed=1
log "generated clients: Python (openapi-python-client) and TypeScript (openapi-typescript) flows (infra/clients.sh)"
"$ROOT/infra/clients.sh" "$base" "$admin_token" || failed=1

fuzz() { # NAME TOKEN FILTER... : one seeded, bounded schemathesis run
  local name="$1" token="$2"; shift 2
  log "schemathesis: $name (${generation[*]}, at most $MAX_EXAMPLES cases per operation)"
  # From the scratch directory: schemathesis leaves a cache where it runs.
  if ! (cd "$work" && PYTHONPATH="$ROOT/infra" SCHEMATHESIS_HOOKS=contract_hooks schemathesis --config-file "$ROOT/infra/schemathesis.toml" run "$ROOT/openapi.yaml" --url "$base" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
      "${generation[@]}" --max-examples "$MAX_EXAMPLES" \
      --phases examples,coverage,fuzzing --generation-with-security-parameters false \
      --workers 1 --request-timeout 30 --no-color \
      -H "Authorization: Bearer $token" "$@"); then
    failed=1
  fi
}

fuzz "every operation but the admin ones and those that end the session" "$user_token" \
  --exclude-tag admin --exclude-operation-id revokeSession --exclude-operation-id logout --exclude-operation-id logoutAll
fuzz "revokeSession, then logout" "$user_token" --include-operation-id revokeSession --include-operation-id logout
fuzz "logoutAll, from the user's second session" "$user_token_2" --include-operation-id logoutAll
fuzz "admin operations" "$admin_token" --include-tag admin

log "done"
if ((failed)); then
  echo "contract: schemathesis found failures (function logs: see above; watch log follows)" >&2
  tail -n 50 "$work/watch.log" >&2 || true
  exit 1
fi
