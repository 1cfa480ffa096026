#!/usr/bin/env bash
# Installs the peers `make bench` measures beside the Accounts functions (infra/bench.sh runs it;
# `make test` does not need them):
#   bench/peers/node     Node.js 20 + the AWS SDK for JavaScript v3 under AWS's runtime interface
#                        client (aws-lambda-ric, whose native part is built here from the sources
#                        in its package: cmake, autotools and a C++ compiler, from apt when missing),
#                        pinned by package-lock.json, `npm ci`.
#   .tools/bench-python  Python 3.11 + boto3 under awslambdaric (a wheel), pinned by
#                        bench/peers/python/requirements.txt.
# Idempotent: each part only acts when its lockfile changed or its result is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NODE_DIR="$ROOT/bench/peers/node"
PY_REQS="$ROOT/bench/peers/python/requirements.txt"
PY_VENV="${BENCH_PYTHON_VENV:-$ROOT/.tools/bench-python}"

# Runs apt-get as root, or through a password-less sudo.
apt_install() {
  local run=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      run=(sudo -n)
    else
      echo "bench peers: missing build tools ($*) and this user can neither apt-get (not root) nor sudo without a password;" >&2
      echo "bench peers: install them once as root: apt-get install -y $*" >&2
      exit 1
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || { echo "bench peers: missing build tools ($*) and there is no apt-get" >&2; exit 1; }
  echo "bench peers: installing $* (apt-get; aws-lambda-ric builds its native client from source)"
  "${run[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

node_peer() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
    echo "bench peers: node and npm are needed for the Node.js peer (Node.js 20)" >&2
    exit 1
  }
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [[ "$major" == 20 ]] || echo "bench peers: note: node is $(node --version), not 20; the report names the version it ran"
  local client="$NODE_DIR/node_modules/aws-lambda-ric/dist/rapid-client.node"
  if [[ -f "$client" && ! "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules/.package-lock.json" ]]; then
    return 0
  fi
  local missing=()
  for tool in cmake autoconf automake libtoolize make g++; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    apt_install cmake autoconf automake libtool make g++
  fi
  # node-gyp compiles against the running node's headers; without a local copy it would try
  # to download them, which a machine without network cannot.
  local prefix
  prefix="$(cd "$(dirname "$(node -p process.execPath)")/.." && pwd)"
  if [[ -f "$prefix/include/node/node.h" ]]; then
    export npm_config_nodedir="$prefix"
  fi
  echo "bench peers: npm ci in bench/peers/node (builds aws-lambda-ric's native client: a few minutes, once)"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  [[ -f "$client" ]] || { echo "bench peers: npm ci ran but $client is missing" >&2; exit 1; }
}

python_peer() {
  local python="${BENCH_PYTHON:-}"
  if [[ -z "$python" ]]; then
    for candidate in python3.11 python3; do
      if command -v "$candidate" >/dev/null 2>&1 && [[ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" == 3.11 ]]; then
        python="$candidate"
        break
      fi
    done
  fi
  [[ -n "$python" ]] || { echo "bench peers: no Python 3.11 found (set BENCH_PYTHON to one)" >&2; exit 1; }
  local stamp="$PY_VENV/.requirements.sha256" want
  want="$(sha256sum "$PY_REQS" | cut -d' ' -f1)"
  if [[ -x "$PY_VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  echo "bench peers: Python 3.11 + boto3 + awslambdaric into $PY_VENV"
  rm -rf "$PY_VENV"
  "$python" -m venv "$PY_VENV"
  "$PY_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: -r "$PY_REQS"
  echo "$want" >"$stamp"
}

node_peer
python_peer
echo "bench peers: ready (node $(node --version), $("$PY_VENV/bin/python" --version), boto3 $("$PY_VENV/bin/python" -c 'import boto3; print(boto3.__version__)'))"
