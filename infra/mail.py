#!/usr/bin/env python3
"""Print the mail that the local SES (moto) accepted.

    python infra/mail.py            print every mail once (`make mail`)
    python infra/mail.py --follow   keep printing new mails as they arrive (`make dev`)

Reads the project's moto (infra/moto_server.py) at `/moto-api/accounts/mail?message=N&raw=M`,
which answers only the mail accepted since the last poll: following costs what it prints, however
long the session. Against a plain moto it falls back to the whole state dump, `/moto-api/data.json`.
You can fetch either yourself:
    curl http://127.0.0.1:4566/moto-api/accounts/mail   (Message[] and RawMessage[])
The endpoint is AWS_ENDPOINT_URL, else the local value in Cargo.toml; MOTO_PORT moves it.
One request at a time, each waited for (no client timeout shorter than moto's work: a fetch given
up on keeps running inside moto and the next one would pile up on it). Standard library only.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import json
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_env import settings  # noqa: E402


# Long enough for moto to finish even a whole-state dump: the loop never has two requests in flight.
FETCH_TIMEOUT = 300


class Cursor:
    """Where the previous poll stopped: counts of simple and raw messages seen."""

    def __init__(self) -> None:
        self.message = 0
        self.raw = 0
        self.since_supported = True


def fetch(endpoint: str, cursor: Cursor) -> dict:
    """The mail since `cursor` as a state-dump-shaped dict ({"ses": {"Message": [...], ...}}),
    moving the cursor on."""
    base = endpoint.rstrip("/")
    if cursor.since_supported:
        url = f"{base}/moto-api/accounts/mail?message={cursor.message}&raw={cursor.raw}"
        try:
            with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as r:
                page = json.load(r)
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
            cursor.since_supported = False  # a plain moto: only the whole dump
        else:
            nxt = page.get("next", {})
            # Fewer than we had seen: moto was reset; everything it holds is new.
            if nxt.get("message", 0) < cursor.message or nxt.get("raw", 0) < cursor.raw:
                cursor.message = cursor.raw = 0
                return fetch(endpoint, cursor)
            cursor.message, cursor.raw = nxt.get("message", 0), nxt.get("raw", 0)
            return {"ses": {"Message": page.get("Message", []), "RawMessage": page.get("RawMessage", [])}}
    with urllib.request.urlopen(f"{base}/moto-api/data.json", timeout=FETCH_TIMEOUT) as r:
        return json.load(r)


def html_to_text(body: str) -> str:
    body = re.sub(r"(?is)<(script|style).*?</\1>", "", body)
    body = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</h\d>|</li>", "\n", body)
    body = re.sub(r"(?i)<a\s[^>]*href=\"([^\"]*)\"[^>]*>(.*?)</a>", r"\2 <\1>", body)
    body = re.sub(r"<[^>]+>", "", body)
    return re.sub(r"\n{3,}", "\n\n", html.unescape(body)).strip()


def simple_mail(msg: dict) -> tuple[list[str], str, str]:
    dest = msg.get("destinations") or {}
    to = [a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in dest.get(key, [])]
    body = msg.get("body") or ""
    if re.search(r"(?i)<(html|body|p|div|a|br|table)\b", body):
        body = html_to_text(body)
    return to, msg.get("subject") or "", body


def raw_mail(msg: dict) -> tuple[list[str], str, str]:
    parsed = email.message_from_string(msg.get("raw_data") or "", policy=email.policy.default)
    to = list(dict.fromkeys(msg.get("destinations") or [])) or [str(parsed.get("To", ""))]
    part = parsed.get_body(preferencelist=("plain", "html"))
    body = ""
    if part is not None:
        body = part.get_content()
        if part.get_content_type() == "text/html":
            body = html_to_text(body)
    return to, str(parsed.get("Subject", "")), body.strip()


def mails(state: dict) -> list[tuple[str, list[str], str, str]]:
    ses = state.get("ses", {})
    out = []
    for msg in ses.get("Message", []):
        out.append((msg.get("id", ""), *simple_mail(msg)))
    for msg in ses.get("RawMessage", []):
        out.append((msg.get("id", ""), *raw_mail(msg)))
    return out


def show(to: list[str], subject: str, body: str) -> None:
    print("=" * 30 + " mail (local SES) " + "=" * 24)
    print(f"To:      {', '.join(to)}")
    print(f"Subject: {subject}")
    print("-" * 72)
    print(body)
    print("=" * 72, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--follow", action="store_true", help="keep polling and print new mails")
    parser.add_argument("--interval", type=float, default=1.0, help="poll interval in seconds")
    args = parser.parse_args()
    endpoint = settings()["AWS_ENDPOINT_URL"]

    seen: set[str] = set()
    cursor = Cursor()
    while True:
        try:
            state = fetch(endpoint, cursor)
        except (urllib.error.URLError, OSError, ValueError) as e:
            if not args.follow:
                print(f"mail: cannot read the mail at {endpoint}/moto-api/: {e}", file=sys.stderr)
                return 1
            time.sleep(args.interval)
            continue
        new = [m for m in mails(state) if m[0] not in seen]
        for mail_id, to, subject, body in new:
            seen.add(mail_id)
            show(to, subject, body)
        if not args.follow:
            if not new:
                print(f"mail: no mail yet at {endpoint}")
            return 0
        time.sleep(args.interval)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(0)
