#!/usr/bin/env bash
# `make build` = `sam build`: the release build of every function for Lambda (provided.al2023,
# arm64), the way any SAM application builds. Each AWS::Serverless::Function in template.yaml
# has `Metadata: BuildMethod: rust-cargolambda` (Binary: its package), so SAM runs
# `cargo lambda build --release --arm64 --bin <package>` in functions/<package>/ (the
# workspace's target/) and copies target/lambda/<package>/bootstrap to
# .aws-sam/build/<LogicalId>/bootstrap; .aws-sam/build/template.yaml is what `sam deploy`
# deploys. Extra arguments go to `sam build` (e.g. `make build ARGS=AuthFunction` builds one).
# arm64 needs Rust's aarch64-unknown-linux-gnu std (rustup installs it here when missing); the
# build then proves every bootstrap is an aarch64 ELF.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${ACCOUNTS_VENV:-$ROOT/.tools/venv}"
export PATH="$VENV/bin:$PATH"
# No telemetry: the CLI would try to reach AWS's endpoint on every run.
export SAM_CLI_TELEMETRY=0
"$ROOT/infra/tools.sh" >/dev/null

TARGET=aarch64-unknown-linux-gnu
if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
  echo "build: installing Rust std for $TARGET (rustup)"
  timeout 300 rustup target add "$TARGET" || {
    echo "build: cannot install the $TARGET std with rustup; template.yaml deploys arm64 only" >&2
    exit 1
  }
fi

build_dir="${SAM_BUILD_DIR:-$ROOT/.aws-sam/build}"
echo "build: sam build --build-dir $build_dir $*"
sam build --build-dir "$build_dir" "$@"

# Proof: every function of the built template has an aarch64 ELF bootstrap where it points.
"$VENV/bin/python" - "$build_dir" <<'PYEOF'
import sys
from pathlib import Path

build = Path(sys.argv[1])
sys.path.insert(0, "infra")
from bootstrap import load_template  # cfn-lint's decoder: knows CloudFormation's !Ref, !Sub, ...

resources = load_template(str(build / "template.yaml"))["Resources"]
functions = {k: r["Properties"]["CodeUri"] for k, r in resources.items() if r.get("Type") == "AWS::Serverless::Function"}
problems = []
for logical, uri in sorted(functions.items()):
    boot = build / uri / "bootstrap"
    try:
        head = boot.read_bytes()[:20]
    except OSError:
        problems.append(f"{logical}: {boot} is missing")
        continue
    if head[:4] != b"\x7fELF" or int.from_bytes(head[18:20], "little") != 0xB7:
        problems.append(f"{logical}: {boot} is not an aarch64 ELF")
if problems:
    sys.exit("build: FAILED:\n  " + "\n  ".join(problems))
print(f"build: ok: {len(functions)} functions, each {build.name}/<LogicalId>/bootstrap an aarch64 ELF")
PYEOF
