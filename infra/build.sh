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

# The functions are exactly the packages under functions/ (the operator CLI, the tests and the
# bench crates are workspace binaries too, but no Lambda function); template.yaml has one
# AWS::Serverless::Function per package, CodeUri target/lambda/<package>/ (checked below and by
# the integration test release_build.rs). --lambda-dir keeps the packages where the template
# looks even when CARGO_TARGET_DIR points elsewhere.
functions=()
for manifest in functions/*/Cargo.toml; do
  functions+=("$(sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest" | head -n 1)")
done
packages=()
for f in "${functions[@]}"; do packages+=(-p "$f"); done
echo "build: cargo lambda build --release $arch --lambda-dir target/lambda ${packages[*]}"
cargo lambda build --release "$arch" --lambda-dir "$ROOT/target/lambda" "${packages[@]}"

# Proof: every function has a template resource whose CodeUri is target/lambda/<function>/, and
# there an ELF bootstrap for the architecture built (aarch64 unless the fallback was taken).
want_machine=aarch64
[[ "$arch" == --arm64 ]] || want_machine=x86-64
"$VENV/bin/python" - "$want_machine" "${functions[@]}" <<'PYEOF'
import sys
from pathlib import Path

want, functions = sys.argv[1], sys.argv[2:]
machines = {0xB7: "aarch64", 0x3E: "x86-64"}
sys.path.insert(0, "infra")
from bootstrap import load_template  # cfn-lint's decoder: knows CloudFormation's !Ref, !Sub, ...

resources = load_template()["Resources"]
code_uris = {k: (r.get("Properties") or {}).get("CodeUri") for k, r in resources.items() if r.get("Type") == "AWS::Serverless::Function"}
problems = []
uris = sorted(u for u in code_uris.values() if u)
for name in functions:
    uri = f"target/lambda/{name}/"
    if uri not in uris:
        problems.append(f"template.yaml has no function with CodeUri {uri}")
    boot = Path(uri) / "bootstrap"
    try:
        head = boot.read_bytes()[:20]
    except OSError:
        problems.append(f"{boot} is missing")
        continue
    machine = machines.get(int.from_bytes(head[18:20], "little"), "unknown") if head[:4] == b"\x7fELF" else "not an ELF file"
    if machine != want:
        problems.append(f"{boot} is {machine}, expected {want}")
for logical, uri in code_uris.items():
    if uri is None or uri not in {f"target/lambda/{n}/" for n in functions}:
        problems.append(f"template.yaml {logical}: CodeUri {uri} is not target/lambda/<function>/ of a package under functions/")
if problems:
    sys.exit("build: FAILED:\n  " + "\n  ".join(problems))
print(f"build: ok: {len(functions)} functions, each target/lambda/<function>/bootstrap ({want} ELF) = a template.yaml CodeUri")
PYEOF
ls -l target/lambda/*/bootstrap
