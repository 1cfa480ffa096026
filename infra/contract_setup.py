#!/usr/bin/env python3
"""Credentials for the contract run (infra/contract.sh): a real user of the local stack.

    python infra/contract_setup.py API_BASE_URL

registers a fresh user through the API, reads its activation code from the mail that the local
SES (moto at AWS_ENDPOINT_URL / MOTO_PORT) accepted, activates the account with it, signs in
twice and prints `CONTRACT_TOKEN=<access token>` and `CONTRACT_TOKEN_2=<another session's>`. With CONTRACT_ADMIN_USERNAME and CONTRACT_ADMIN_PASSWORD
set (an admin made with `accounts-admin create-admin`), it also signs that admin in and prints
`CONTRACT_ADMIN_TOKEN=…`. Every step must answer what the API documents, else it exits non-zero.
Only the standard library is used.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_env import settings  # noqa: E402
from mail import Cursor, fetch, mails  # noqa: E402


def call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def expect(what: str, got: tuple[int, dict], status: int) -> dict:
    if got[0] != status:
        sys.exit(f"contract-setup: {what} answered {got[0]} (wanted {status}): {got[1]}")
    return got[1]


def activation_code(endpoint: str, to: str) -> str:
    for _ in range(60):
        for _id, recipients, _subject, body in mails(fetch(endpoint, Cursor())):
            if to in recipients:
                found = re.search(r"\b(\d{6})\b", body)
                if found:
                    return found.group(1)
        time.sleep(0.5)
    sys.exit(f"contract-setup: no activation mail reached {to}")


def sign_in(base: str, username: str, password: str) -> str:
    login = expect(f"login as {username}", call(base, "POST", "/api/auth/login", {"username": username, "password": password}), 200)
    return login["data"]["accessToken"]


def main() -> int:
    base = sys.argv[1].rstrip("/")
    endpoint = settings()["AWS_ENDPOINT_URL"]
    suffix = secrets.token_hex(4)
    username, email = f"fuzz_{suffix}", f"fuzz-{suffix}@example.com"
    password = f"Fz-{secrets.token_urlsafe(12)}-9a"
    expect("register", call(base, "POST", "/api/auth/register", {"username": username, "email": email, "password": password}), 201)
    token = sign_in(base, username, password)
    code = activation_code(endpoint, email)
    expect("activate", call(base, "POST", "/api/auth/activate", {"code": code}, token), 200)
    me = expect("GET /api/users/me", call(base, "GET", "/api/users/me", token=token), 200)
    if me["data"]["emailVerified"] is not True:
        sys.exit("contract-setup: the account is not activated")
    print(f"CONTRACT_TOKEN={token}")
    # A second session of the same user, for the operation that ends every session (logoutAll).
    print(f"CONTRACT_TOKEN_2={sign_in(base, username, password)}")
    admin, admin_password = os.environ.get("CONTRACT_ADMIN_USERNAME"), os.environ.get("CONTRACT_ADMIN_PASSWORD")
    if admin and admin_password:
        print(f"CONTRACT_ADMIN_TOKEN={sign_in(base, admin, admin_password)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
