#!/usr/bin/env bash
# `make build`: release builds of every function for Lambda (provided.al2023), written to
# target/lambda/<function>/bootstrap, which template.yaml's CodeUri points at.
# arm64 (what the template deploys) needs Rust's aarch64-unknown-linux-gnu std; when rustup
# cannot install it here, this falls back to x86-64 and says so (such a build runs locally
# but must not be deployed: `make deploy` checks the architecture).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${ACCOUNTS_VENV:-$ROOT/.tools/venv}"
export PATH="$VENV/bin:$PATH"
"$ROOT/infra/tools.sh"

TARGET=aarch64-unknown-linux-gnu
arch=--arm64
if rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
  echo "build: $TARGET std present"
elif echo "build: installing Rust std for $TARGET" && timeout 300 rustup target add "$TARGET"; then
  echo "build: $TARGET std installed"
else
  echo "build: WARNING: cannot install the $TARGET std with rustup; building for x86-64 instead." >&2
  echo "build: WARNING: template.yaml deploys arm64, so do not deploy this build." >&2
  arch=--x86-64
fi

# Only the Lambda functions: the operator CLI (accounts-cli) is a workspace binary too, and
# `cargo lambda build` would otherwise package it as target/lambda/accounts-admin/.
echo "build: cargo lambda build --release $arch --workspace --exclude accounts-cli --exclude accounts-tests"
cargo lambda build --release "$arch" --workspace --exclude accounts-cli --exclude accounts-tests
ls -l target/lambda/*/bootstrap
