#!/usr/bin/env python3
"""Print the mail that the local SES (moto) accepted.

    python infra/mail.py            print every mail once (`make mail`)
    python infra/mail.py --follow   keep printing new mails as they arrive (`make dev`)

Reads moto's state dump, which you can also fetch yourself:
    curl http://127.0.0.1:4566/moto-api/data.json     (ses.Message[] and ses.RawMessage[])
The endpoint is AWS_ENDPOINT_URL, else the local value in Cargo.toml; MOTO_PORT moves it.
Only the standard library is used.
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


def fetch(endpoint: str) -> dict:
    with urllib.request.urlopen(f"{endpoint.rstrip('/')}/moto-api/data.json", timeout=5) as r:
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
    while True:
        try:
            state = fetch(endpoint)
        except (urllib.error.URLError, OSError, ValueError) as e:
            if not args.follow:
                print(f"mail: cannot read {endpoint}/moto-api/data.json: {e}", file=sys.stderr)
                return 1
            time.sleep(args.interval)
            continue
        new = [m for m in mails(state) if m[0] not in seen]
        for mail_id, to, subject, body in new:
            seen.add(mail_id)
            show(to, subject, body)
        if not args.follow:
            if not new:
                print(f"mail: no mail yet at {endpoint}/moto-api/data.json")
            return 0
        time.sleep(args.interval)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(0)
