#!/usr/bin/env bash
# Generated clients of openapi.yaml (a step of infra/contract.sh, against the stack it serves):
#   Python: openapi-python-client (pinned in infra/requirements.txt) generates a package, and
#           infra/clients.py runs a short flow with it (plans, register, login, me, the admin's
#           user list: a paginated answer, typed);
#   TypeScript: openapi-typescript (pinned by tests/clients/package-lock.json) generates the
#           types, `tsc` type-checks tests/clients/flow.ts against them and node runs it.
# Usage: infra/clients.sh BASE_URL ADMIN_TOKEN. Exit non-zero when generation, the type check or
# a flow fails; the generated code stays in a scratch folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ACCOUNTS_VENV:-$ROOT/.tools/venv}"
base="$1" admin_token="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work" "$ROOT/tests/clients/generated" "$ROOT/tests/clients/build"' EXIT

echo "clients: openapi-python-client generate"
(cd "$work" && "$VENV/bin/openapi-python-client" generate --path "$ROOT/openapi.yaml" --meta none --output-path "$work/py/accounts_client" >"$work/py-gen.log" 2>&1) || {
  cat "$work/py-gen.log" >&2
  exit 1
}
# What it may leave out, because the generator has no model for the media type: the avatar's
# image/webp answer and the import's application/x-ndjson body (an operator's bulk call, made
# with `make import` or curl; docs/migration.md). Anything else is a defect of the document.
if grep -E "^WARNING" "$work/py-gen.log" | grep -v -e "/avatar within users" -e "POST /api/admin/users/import within admin" | grep -q .; then
  grep -A3 -E "^WARNING" "$work/py-gen.log" >&2
  echo "clients: openapi-python-client left part of the document out" >&2
  exit 1
fi
"$VENV/bin/python" "$ROOT/infra/clients.py" "$work/py" "$base" "$admin_token"

echo "clients: openapi-typescript, tsc, node"
cd "$ROOT/tests/clients"
# Defaults are optional in requests (what the server fills in), not required.
node_modules/.bin/openapi-typescript "$ROOT/openapi.yaml" --default-non-nullable false --output generated/accounts.d.ts >/dev/null
node_modules/.bin/tsc -p tsconfig.json
echo '{"type": "module"}' >build/package.json
node build/flow.js "$base" "$admin_token"
