"""Local-stack settings shared by the infra scripts.

The single source of the local values is `[workspace.metadata.lambda.env]` in the top-level
Cargo.toml (what `cargo lambda watch` hands to the functions), except the names that a run may
change: TABLE_NAME and BUCKET_NAME default here (DEFAULT_NAMES) and reach the functions through
`--env-var`. Variables already set in the environment win. AWS_ENDPOINT_URL defaults to moto
on 127.0.0.1:$MOTO_PORT (4566).
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import tomllib  # Python 3.11+
except ModuleNotFoundError:  # pragma: no cover - older Pythons
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent


def cargo_lambda_env() -> dict[str, str]:
    with open(ROOT / "Cargo.toml", "rb") as f:
        manifest = tomllib.load(f)
    env = manifest.get("workspace", {}).get("metadata", {}).get("lambda", {}).get("env", {})
    return {k: str(v) for k, v in env.items()}


DEFAULT_MOTO_PORT = "4566"
# Not in Cargo.toml either, so that a run can pick its own (`cargo lambda watch --env-var`).
DEFAULT_NAMES = {"TABLE_NAME": "accounts", "BUCKET_NAME": "accounts-local"}


def settings() -> dict[str, str]:
    values = {**DEFAULT_NAMES, **cargo_lambda_env()}
    # Not in Cargo.toml on purpose (see the comment there): the emulator endpoint follows
    # MOTO_PORT, unless AWS_ENDPOINT_URL itself is set.
    port = os.environ.get("MOTO_PORT") or DEFAULT_MOTO_PORT
    values["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{port}"
    # The issuer is the base URL the API is served from: it follows WATCH_PORT.
    values["JWT_ISSUER"] = f"http://127.0.0.1:{os.environ.get('WATCH_PORT') or '9000'}"
    for key in list(values):
        if os.environ.get(key):
            values[key] = os.environ[key]
    return values


if __name__ == "__main__":
    # `python infra/local_env.py [NAME...]` prints `export NAME=value` lines (shell-quoted) for the
    # local stack: the named settings (e.g. for `make create-admin`), or all of them.
    import shlex
    import sys

    values = settings()
    for name in sys.argv[1:] or list(values):
        if name not in values:
            sys.exit(f"local_env: no local value for {name}")
        print(f"export {name}={shlex.quote(values[name])}")
