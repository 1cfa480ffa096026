# Accounts - entry points. Run `make help` for the list.
#
#   make dev    serve the whole API on http://127.0.0.1:9000/api/... against a local
#               AWS emulator (moto) on 127.0.0.1:$(MOTO_PORT); mail is printed to the console
#   make test   every check CI runs: fmt, cfn-lint, sam validate + guided deploy, clippy -D warnings,
#               cargo test against a private moto on a free port, the contract run
#   make bench  cold starts, warm latency, DynamoDB calls per request, argon2 cost and
#               bootstrap sizes -> docs/benchmarks.md (not part of `make test`; ~1 h on a fresh clone)
#
# Tools (moto, cargo-lambda + zig, cfn-lint, the SAM CLI) are installed, pinned, into .tools/venv by
# infra/tools.sh on first use; only python3 (with venv) and a Rust toolchain are needed.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT       := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV       := $(ROOT)/.tools/venv
MOTO_PORT  ?= 4566
WATCH_PORT ?= 9000
STACK_NAME ?= accounts

export PATH := $(VENV)/bin:$(PATH)
export MOTO_PORT WATCH_PORT
# create-admin: handed to the command through the environment only.
export CREATE_ADMIN_PASSWORD := $(PASSWORD)

.PHONY: help tools dev test bench soak lint fmt build deploy purge mail events moto-start moto-stop bootstrap create-admin rotate-signing-key import export bench-import clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'
	@echo "  variables: MOTO_PORT=$(MOTO_PORT) WATCH_PORT=$(WATCH_PORT) STACK_NAME=$(STACK_NAME)"

tools: ## install the pinned local tools into .tools/venv (idempotent)
	@infra/tools.sh

dev: ## serve the API locally on 127.0.0.1:9000 (WATCH_PORT) (moto, bootstrap, mail printer, cargo lambda watch)
	@infra/dev.sh

test: ## every check: fmt, cfn-lint, clippy -D warnings, cargo test against a private moto
	@infra/test.sh

bench: ## measure cold starts, warm latency, DynamoDB calls, argon2 and zipped sizes; writes docs/benchmarks.md
	@infra/bench.sh

lint: ## cargo fmt --check and clippy with warnings as errors
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt: ## format the code
	cargo fmt --all

build: ## sam build: release build of every function for Lambda (arm64, cargo-lambda) into .aws-sam/build, checked
	@infra/build.sh $(ARGS)

# Needs AWS credentials and the SSM parameters of README "Deploy". The first time, run
# `sam deploy --guided` (it asks for every setting and saves the answers in samconfig.toml).
deploy: build ## sam build, then sam deploy with the settings saved in samconfig.toml
	sam deploy $(if $(filter command line,$(origin STACK_NAME)),--stack-name $(STACK_NAME))

purge: ## run the purge function once against the running `make dev` stack (sample scheduled event)
	cargo lambda invoke purge --invoke-address 127.0.0.1 --invoke-port $(WATCH_PORT) --data-file infra/events/scheduled.json

mail: ## print the mail the local SES (moto on MOTO_PORT) accepted
	@$(VENV)/bin/python infra/mail.py || { echo "(is 'make dev' running? curl http://127.0.0.1:$(MOTO_PORT)/moto-api/accounts/mail)"; exit 1; }

soak: ## against a running `make dev`: 3000 registrations + logins, p50s before/after (bench/soak.py; ~1 h)
	@$(VENV)/bin/python bench/soak.py

events: ## print the lifecycle events the local bus delivered (running `make dev`), one JSON object per line
	@$(VENV)/bin/python infra/events.py || { echo "(is 'make dev' running?)"; exit 1; }

# The password travels in the environment, never on the CLI's command line.
# Without PASSWORD the command asks for it on standard input.
create-admin: ## create an activated admin in the running `make dev` stack: USERNAME=… EMAIL=… PASSWORD=…
	@[[ -n "$(USERNAME)" && -n "$(EMAIL)" ]] || { echo "usage: make create-admin USERNAME=… EMAIL=… [PASSWORD=…] [MOTO_PORT=$(MOTO_PORT)]" >&2; exit 2; }
	@eval "$$($(VENV)/bin/python infra/local_env.py TABLE_NAME AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL)" && \
	  ACCOUNTS_ADMIN_PASSWORD="$$CREATE_ADMIN_PASSWORD" cargo run -q -p accounts-cli --bin accounts-admin -- create-admin --username "$(USERNAME)" --email "$(EMAIL)"

rotate-signing-key: ## one rotation step of the access-token signing keys in the running `make dev` stack (README "Rotating the signing key")
	@eval "$$($(VENV)/bin/python infra/local_env.py TABLE_NAME AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL)" && \
	  cargo run -q -p accounts-cli --bin accounts-admin -- rotate-signing-key --stack local

# Migration (docs/migration.md): the operator command against the running `make dev` stack.
# INVITE=1 mails the accounts imported without a hash a link to choose a password.
import: ## import users with their password hashes into the running `make dev` stack: FILE=users.jsonl [INVITE=1]
	@[[ -n "$(FILE)" ]] || { echo "usage: make import FILE=users.jsonl [INVITE=1] [MOTO_PORT=$(MOTO_PORT)]  (e.g. FILE=docs/examples/users.jsonl)" >&2; exit 2; }
	@eval "$$($(VENV)/bin/python infra/local_env.py)" && \
	  cargo run -q -p accounts-cli --bin accounts-admin -- import --file "$(FILE)" $(if $(INVITE),--invite,)

export: ## export every user of the running `make dev` stack, hashes included, to a new file: OUT=users.jsonl
	@[[ -n "$(OUT)" ]] || { echo "usage: make export OUT=users.jsonl [MOTO_PORT=$(MOTO_PORT)]" >&2; exit 2; }
	@eval "$$($(VENV)/bin/python infra/local_env.py TABLE_NAME AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL)" && \
	  cargo run -q -p accounts-cli --bin accounts-admin -- export --out "$(OUT)"

bench-import: ## the import-rate step of `make bench` alone: 10 000 users into a private emulator (docs/benchmarks.md)
	@infra/bench_import.sh

moto-start: tools ## start only moto on MOTO_PORT and create table/bucket/identity
	@infra/moto.sh start $(MOTO_PORT)
	@$(VENV)/bin/python infra/bootstrap.py

moto-stop: ## stop the moto started by moto-start
	@infra/moto.sh stop $(MOTO_PORT)

bootstrap: tools ## (re)create table, bucket and SES identity in the running moto
	@$(VENV)/bin/python infra/bootstrap.py

clean: ## stop moto servers started here, remove build output and moto logs (keeps .tools/venv)
	@for f in .tools/moto-*.pid; do [[ -e "$$f" ]] || continue; p="$${f#.tools/moto-}"; infra/moto.sh stop "$${p%.pid}"; done
	rm -f .tools/moto-*.log .tools/events-*.jsonl
	cargo clean
