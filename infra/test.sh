#!/usr/bin/env bash
# `make test` (and CI through .ci/run): every check, on a fresh machine.
#   tools -> cargo fmt --check -> cfn-lint template.yaml -> sam validate --lint, sam deploy --guided
#   (offline, defaults; sam build with SAM_TEST_BUILD=1) (infra/sam.sh) -> cargo clippy -D warnings
#   -> infra/moto_server.py's patches against moto as released (python unittest) -> make bench's
#   scripts (infra/test_bench.py) -> a private moto on a free port -> cargo test --workspace against it
#   -> the schemathesis contract run of openapi.yaml against the local stack (infra/contract.sh).
# Every step runs even when an earlier one failed; moto is stopped in any case (infra/emulator.sh);
# the exit code is non-zero when any step failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${ACCOUNTS_VENV:-$ROOT/.tools/venv}"
export PATH="$VENV/bin:$PATH"

failed=()
step() { # NAME CMD... : run one check, remember a failure, keep going
  local name="$1" t=$SECONDS; shift
  echo "==> $name: $*"
  if "$@"; then
    echo "==> $name: ok ($((SECONDS - t)) s)"
  else
    echo "==> $name: FAILED (exit $?, $((SECONDS - t)) s)"
    failed+=("$name")
  fi
}

test_log="$(mktemp)"
source "$ROOT/infra/emulator.sh"
cleanup() { # before emulator.sh stops the emulators
  rm -f "$test_log"
  # keep moto's log only when something failed
  if [[ -n "${moto_port:-}" ]] && ((${#failed[@]})); then emulator_keep_log "$moto_port"; echo "(moto log: .tools/moto-$moto_port.log)"; fi
}

echo "==> tools"
"$ROOT/infra/tools.sh"

step fmt cargo fmt --all --check
step cfn-lint "$VENV/bin/cfn-lint" template.yaml
# The SAM CLI as a user runs it: validate, a guided deploy up to the AWS calls, a real build.
step sam "$ROOT/infra/sam.sh"
step clippy cargo clippy --workspace --all-targets -- -D warnings
# The moto that make dev/test start (infra/moto_server.py) against moto as released.
step moto-patches "$VENV/bin/python" -m unittest -q infra/test_moto_server.py
# `make bench`'s own arithmetic and its Runtime API emulator (no build, about 2 s).
step bench-scripts "$VENV/bin/python" -m unittest -q infra/test_bench.py

# A second emulator only for SES: tests read mail from its state dump, which stays small.
if emulator_start moto_port && emulator_start mail_port; then
  # Tests create their own uniquely named tables/buckets (from template.yaml) and verify
  # their SES identity. Credentials/region are moto's dummies so the SDK never looks further.
  step "cargo test" env \
    ACCOUNTS_TEST_ENDPOINT="http://127.0.0.1:$moto_port" \
    ACCOUNTS_TEST_MAIL_ENDPOINT="http://127.0.0.1:$mail_port" \
    AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
    AWS_EC2_METADATA_DISABLED=true \
    bash -o pipefail -c 'cargo test --workspace --all-targets 2>&1 | tee "$0"' "$test_log"
else
  echo "==> moto: FAILED to start"
  failed+=("moto")
fi

# Its own moto, table and `cargo lambda watch` on free ports; seeded and bounded.
step contract "$ROOT/infra/contract.sh"

# One closing line that counts every test of every binary (CI reads it).
passed=$(grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$test_log" | awk '{s+=$4} END {print s+0}')
failed_tests=$(grep -oE '[0-9]+ failed;' "$test_log" | awk '{s+=$1} END {print s+0}')
if ((${#failed[@]})); then
  echo "make test: FAILED step(s): ${failed[*]}"
  echo "tests: $passed passed, $failed_tests failed"
  exit 1
fi
echo "make test: every check passed (fmt, cfn-lint, sam, clippy, cargo test, contract)"
echo "tests: $passed passed, $failed_tests failed"
