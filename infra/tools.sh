#!/usr/bin/env bash
# Installs the pinned local tooling (infra/requirements.txt) into .tools/venv.
# Idempotent: a stamp file holding the hash of requirements.txt makes a re-run a no-op.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ACCOUNTS_VENV:-$ROOT/.tools/venv}"
REQS="$ROOT/infra/requirements.txt"
STAMP="$VENV/.requirements.sha256"

want="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "tools: up to date ($VENV)"
  exit 0
fi

PYTHON="${PYTHON:-python3}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "tools: $PYTHON not found; install Python 3.9+ (with venv) first" >&2
  exit 1
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "tools: creating virtualenv $VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
fi

echo "tools: upgrading pip"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip

echo "tools: installing $(grep -cvE '^\s*(#|$)' "$REQS") pinned packages from infra/requirements.txt"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"

for bin in moto_server cargo-lambda cfn-lint; do
  if [[ ! -x "$VENV/bin/$bin" ]]; then
    echo "tools: $bin missing from $VENV/bin after install" >&2
    exit 1
  fi
done
echo "$want" >"$STAMP"
echo "tools: ready ($("$VENV/bin/cargo-lambda" lambda --version 2>/dev/null | head -1), moto $("$VENV/bin/python" -c 'import moto; print(moto.__version__)'), cfn-lint $("$VENV/bin/cfn-lint" --version 2>/dev/null | awk '{print $2}'))"
