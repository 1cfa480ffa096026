#!/usr/bin/env bash
# Installs the pinned local tooling (infra/requirements.txt) into .tools/venv, and what the
# browser tests (tests/api/browser.rs) drive: Debian's chromium + chromedriver (apt) and
# axe-core (npm ci of tests/browser/package-lock.json).
# Idempotent: a stamp file holding the hash of requirements.txt makes a re-run of the venv part a
# no-op, and the browser part only acts when a binary or node_modules is missing or stale.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ACCOUNTS_VENV:-$ROOT/.tools/venv}"
REQS="$ROOT/infra/requirements.txt"
STAMP="$VENV/.requirements.sha256"

BROWSER_DIR="$ROOT/tests/browser"

# Debian's chromium and chromedriver (same package version, so the driver matches the browser).
browser_tools() {
  if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    return 0
  fi
  local run=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      run=(sudo -n)
    else
      echo "tools: /usr/bin/chromium or /usr/bin/chromedriver is missing and this user can neither apt-get (not root) nor sudo without a password;" >&2
      echo "tools: install them once as root: apt-get install -y chromium chromium-driver" >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "tools: /usr/bin/chromium or /usr/bin/chromedriver is missing and there is no apt-get (the browser tests expect Debian's chromium and chromium-driver)" >&2
    exit 1
  fi
  echo "tools: installing Debian's chromium and chromium-driver (apt-get)"
  "${run[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    echo "tools: apt-get ran but /usr/bin/chromium or /usr/bin/chromedriver is still missing" >&2
    exit 1
  fi
}

# axe-core, pinned by tests/browser/package-lock.json; re-installed when the lockfile is newer.
browser_node_modules() {
  local axe="$BROWSER_DIR/node_modules/axe-core/axe.min.js"
  if [[ -f "$axe" && ! "$BROWSER_DIR/package-lock.json" -nt "$BROWSER_DIR/node_modules/.package-lock.json" ]]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "tools: npm not found; install Node.js (with npm) so infra/tools.sh can install axe-core for the browser tests" >&2
    exit 1
  fi
  echo "tools: npm ci in tests/browser (axe-core)"
  (cd "$BROWSER_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  if [[ ! -f "$axe" ]]; then
    echo "tools: npm ci ran but $axe is missing" >&2
    exit 1
  fi
}

# openapi-typescript and typescript for the generated-client check (infra/clients.sh), pinned by
# tests/clients/package-lock.json; re-installed when the lockfile is newer.
clients_node_modules() {
  local dir="$ROOT/tests/clients"
  if [[ -x "$dir/node_modules/.bin/tsc" && -x "$dir/node_modules/.bin/openapi-typescript" && ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    return 0
  fi
  echo "tools: npm ci in tests/clients (openapi-typescript, typescript)"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
}

browser_tools
browser_node_modules
clients_node_modules

want="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  echo "tools: up to date ($VENV; $(/usr/bin/chromium --version 2>/dev/null | head -1))"
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

for bin in moto_server cargo-lambda cfn-lint sam openapi-python-client; do
  if [[ ! -x "$VENV/bin/$bin" ]]; then
    echo "tools: $bin missing from $VENV/bin after install" >&2
    exit 1
  fi
done
echo "$want" >"$STAMP"
echo "tools: ready ($("$VENV/bin/cargo-lambda" lambda --version 2>/dev/null | head -1), $("$VENV/bin/sam" --version 2>/dev/null), $(/usr/bin/chromium --version 2>/dev/null | head -1), moto $("$VENV/bin/python" -c 'import moto; print(moto.__version__)'), cfn-lint $("$VENV/bin/cfn-lint" --version 2>/dev/null | awk '{print $2}'))"
