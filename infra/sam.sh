#!/usr/bin/env bash
# The SAM step of `make test` (runnable alone), with the pinned SAM CLI (infra/requirements.txt):
#   1. `sam validate --lint`: the template transforms and lints clean (cfn-lint under SAM).
#   2. `sam deploy --guided`, answered with the defaults and offline, as a new user would run it:
#      it must go through every question (no "has no authentication" refusal: every public
#      route is acknowledged with `Auth: Authorizer: NONE`) up to "Looking for resources needed
#      for deployment", where it needs AWS (no network here).
#   3. Only with SAM_TEST_BUILD=1: `sam build` of every function for real, arm64, in SAM's debug
#      mode (SAM_BUILD_MODE=debug: `cargo lambda build --arm64` without --release) into a scratch
#      folder, and a check that each bootstrap is an aarch64 ELF. Off by default: it compiles every
#      dependency a second time for arm64 (747 s measured here); `make build` and `make bench` run
#      the real release `sam build`, and tests/api/release_build.rs checks what it needs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${ACCOUNTS_VENV:-$ROOT/.tools/venv}"
export PATH="$VENV/bin:$PATH"
export SAM_CLI_TELEMETRY=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
started=$SECONDS
log() { echo "sam: [$((SECONDS - started))s] $*"; }

log "sam validate --lint"
sam validate --lint --region us-east-1 --template-file template.yaml

log "sam deploy --guided (default answers, offline: it must reach the AWS calls)"
cp template.yaml samconfig.toml "$work/"
# Dummy credentials: the CLI needs some to get as far as calling AWS; nothing leaves the machine.
guided="$(cd "$work" && yes '' | AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline AWS_EC2_METADATA_DISABLED=true \
  timeout 300 sam deploy --guided --region us-east-1 --parameter-overrides MailFrom=ops@example.com 2>&1 || true)"
if grep -q "has no authentication" <<<"$guided"; then
  echo "$guided" | tail -n 5 >&2
  echo "sam: guided deploy asked about a route without authentication (give its event Auth: Authorizer: NONE)" >&2
  exit 1
fi
if ! grep -q "Looking for resources needed for deployment" <<<"$guided"; then
  echo "$guided" | tail -n 20 >&2
  echo "sam: guided deploy stopped before the AWS calls" >&2
  exit 1
fi
log "guided deploy answered every question and stopped only where it needs AWS"

if [[ "${SAM_TEST_BUILD:-0}" != 1 ]]; then
  log "sam build not run (make build / make bench run it; SAM_TEST_BUILD=1 adds it here)"
  exit 0
fi
log "sam build (SAM_BUILD_MODE=debug, arm64, every function)"
SAM_BUILD_MODE=debug SAM_BUILD_DIR="$work/build" "$ROOT/infra/build.sh"
log "done"
