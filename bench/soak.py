#!/usr/bin/env python3
"""Soak the local stack: does `make dev` stay fast through a long session? (issue 22, finding 14)

    make dev                                   # in another terminal (or MOTO_PORT=… WATCH_PORT=…)
    python3 bench/soak.py [--users 3000] [--api http://127.0.0.1:9000] [--moto http://127.0.0.1:4566]
    make soak                                  # the same with the defaults; not part of `make test`

1. before: a few users register, activate (code from the local mail) and log in; then the
   latencies of `GET /api/users/me`, a login and an unknown-user login are sampled (--samples);
2. the soak: --users registrations, each activated with its mailed code and logged in
   (--workers at a time; `cargo lambda watch` runs each function one request at a time anyway);
3. after: the same samples again. The result is the p50 of each before and after, their ratio,
   moto's resident memory before and after, and the soak's own throughput; it fails (exit 1) when
   a p50 after is more than --max-ratio (2) times the one before, or a request answered 5xx.

Everything goes through the public API of the running stack, as a person's curl would; the
mailed codes come from moto's `/moto-api/accounts/mail` (infra/moto_server.py), read from where
the previous read stopped. `--json FILE` keeps the numbers; the Markdown summary is printed.
Standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Soak-Test-Passw0rd-1843"
CODE = re.compile(r"[0-9]{6}")


class Api:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.errors_5xx = 0
        self.lock = threading.Lock()

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict, float]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.base}{path}", data=data, method=method)
        if data is not None:
            req.add_header("content-type", "application/json")
        if token:
            req.add_header("authorization", f"Bearer {token}")
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        elapsed = time.perf_counter() - start
        if status >= 500:
            with self.lock:
                self.errors_5xx += 1
            print(f"soak: {method} {path} -> {status} {raw[:200]!r}", file=sys.stderr)
        try:
            doc = json.loads(raw) if raw else {}
        except ValueError:
            doc = {}
        return status, doc, elapsed


class Mailbox:
    """The latest 6-digit code mailed to each address, read incrementally from moto."""

    def __init__(self, moto: str) -> None:
        self.moto = moto.rstrip("/")
        self.cursor = {"message": 0, "raw": 0}
        self.codes: dict[str, str] = {}
        self.lock = threading.Lock()
        self.poll()  # start after what is already there

    def poll(self) -> None:
        url = f"{self.moto}/moto-api/accounts/mail?message={self.cursor['message']}&raw={self.cursor['raw']}"
        try:
            with urllib.request.urlopen(url, timeout=600) as r:
                page = json.load(r)
        except urllib.error.HTTPError as e:
            if e.code != 404:
                raise
            # A plain moto (MOTO_PLAIN=1, for comparison): its whole state, every time.
            with urllib.request.urlopen(f"{self.moto}/moto-api/data.json", timeout=600) as r:
                ses = json.load(r).get("ses", {})
            page = {"Message": ses.get("Message", [])[self.cursor["message"]:],
                    "RawMessage": ses.get("RawMessage", [])[self.cursor["raw"]:],
                    "next": {"message": len(ses.get("Message", [])), "raw": len(ses.get("RawMessage", []))}}
        for msg in page.get("Message", []):
            text = msg.get("body") or ""
            for to in (msg.get("destinations") or {}).get("ToAddresses", []):
                self._take(to, text)
        for msg in page.get("RawMessage", []):
            for to in msg.get("destinations") or []:
                self._take(to, msg.get("raw_data") or "")
        self.cursor = page["next"]

    def _take(self, to: str, text: str) -> None:
        # The code stands alone on its line (text) or in its own element (HTML); a username
        # with six digits in it must not be taken for it.
        lines = re.sub(r"<[^>]+>", "\n", text).splitlines()
        for line in lines:
            if CODE.fullmatch(line.strip()):
                self.codes[to.lower()] = line.strip()
                return

    def code_for(self, address: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if address in self.codes:
                    return self.codes.pop(address)
                self.poll()
                if address in self.codes:
                    return self.codes.pop(address)
            if time.monotonic() > deadline:
                raise RuntimeError(f"no activation code mailed to {address} within {timeout} s")
            time.sleep(0.2)


def moto_rss_mb(moto: str) -> float | None:
    port = moto.rstrip("/").rsplit(":", 1)[-1]
    pidfile = ROOT / ".tools" / f"moto-{port}.pid"
    try:
        pid = pidfile.read_text().strip()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def new_user(api: Api, mail: Mailbox, run: str, i: int) -> tuple[str, float, float]:
    """Register, activate with the mailed code, log in: (username, register s, login s)."""
    name = f"soak{run}{i}"
    address = f"{name}@soak.example"
    status, doc, t_register = api.call("POST", "/api/auth/register", {"username": name, "email": address, "password": PASSWORD})
    if status != 201:
        raise RuntimeError(f"register {name}: {status} {doc}")
    status, doc, t_login = api.call("POST", "/api/auth/login", {"username": name, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"login {name}: {status} {doc}")
    token = doc["data"]["accessToken"]
    status, doc, _ = api.call("POST", "/api/auth/activate", {"code": mail.code_for(address)}, token=token)
    if status != 200:
        raise RuntimeError(f"activate {name}: {status} {doc}")
    return name, t_register, t_login


def sample(api: Api, users: list[str], n: int) -> dict[str, list[float]]:
    """n timings each of GET /users/me, a login and an unknown-user login (ms)."""
    out: dict[str, list[float]] = {"me": [], "login": [], "login_unknown": []}
    status, doc, _ = api.call("POST", "/api/auth/login", {"username": users[0], "password": PASSWORD})
    token = doc["data"]["accessToken"]
    for i in range(n):
        status, _, t = api.call("GET", "/api/users/me", token=token)
        if status == 200:
            out["me"].append(t * 1000)
        status, _, t = api.call("POST", "/api/auth/login", {"username": users[i % len(users)], "password": PASSWORD})
        if status == 200:
            out["login"].append(t * 1000)
        status, _, t = api.call("POST", "/api/auth/login", {"username": f"nobody{uuid.uuid4().hex[:12]}", "password": PASSWORD})
        if status == 401:
            out["login_unknown"].append(t * 1000)
    return out


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default=f"http://127.0.0.1:{os.environ.get('WATCH_PORT', '9000')}")
    parser.add_argument("--moto", default=f"http://127.0.0.1:{os.environ.get('MOTO_PORT', '4566')}")
    parser.add_argument("--users", type=int, default=3000, help="registrations (+ activation + login) of the soak")
    parser.add_argument("--samples", type=int, default=30, help="timings of each request before and after")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-ratio", type=float, default=2.0)
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args()

    api = Api(args.api)
    try:
        mail = Mailbox(args.moto)
    except (urllib.error.URLError, KeyError) as e:
        sys.exit(f"soak: cannot read mail at {args.moto}/moto-api/accounts/mail ({e}); is `make dev` running there?")
    run = uuid.uuid4().hex[:6]

    print(f"soak: warm-up users on {args.api} (moto {args.moto})", flush=True)
    warm = [new_user(api, mail, run, i)[0] for i in range(5)]
    rss_before = moto_rss_mb(args.moto)
    before = sample(api, warm, args.samples)
    print("soak: before " + ", ".join(f"{k} p50 {p50(v):.0f} ms" for k, v in before.items()), flush=True)

    started = time.monotonic()
    done = 0
    reg_times: list[float] = []
    login_times: list[float] = []
    with concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
        futures = [pool.submit(new_user, api, mail, run, 100 + i) for i in range(args.users)]
        for f in concurrent.futures.as_completed(futures):
            try:
                _, t_reg, t_login = f.result()
            except (RuntimeError, OSError) as e:
                # The stack fell over (what the soak is for): stop at once, say where.
                pool.shutdown(wait=False, cancel_futures=True)
                print(f"soak: FAILED after {done} users, {time.monotonic() - started:.0f} s, "
                      f"moto {moto_rss_mb(args.moto) or 0:.0f} MB, {api.errors_5xx} answers 5xx: {e}", flush=True)
                return 1
            reg_times.append(t_reg * 1000)
            login_times.append(t_login * 1000)
            done += 1
            if done % 250 == 0 or done == args.users:
                last = reg_times[-250:]
                print(f"soak: {done}/{args.users} users, {time.monotonic() - started:.0f} s, "
                      f"register p50 (last 250) {p50(last):.0f} ms, moto {moto_rss_mb(args.moto) or 0:.0f} MB", flush=True)
    soak_s = time.monotonic() - started

    rss_after = moto_rss_mb(args.moto)
    after = sample(api, warm, args.samples)
    result = {
        "users": args.users,
        "soak_seconds": round(soak_s, 1),
        "moto_rss_mb": {"before": rss_before, "after": rss_after},
        "p50_ms": {k: {"before": round(p50(before[k]), 1), "after": round(p50(after[k]), 1)} for k in before},
        "register_p50_ms": {"first_250": round(p50(reg_times[:250]), 1), "last_250": round(p50(reg_times[-250:]), 1)},
        "errors_5xx": api.errors_5xx,
    }
    ok = api.errors_5xx == 0 and all(v["after"] <= args.max_ratio * v["before"] for v in result["p50_ms"].values())
    result["ok"] = ok
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")

    print()
    print(f"| p50 (ms), {args.samples} samples | before | after {args.users} users | ratio |")
    print("|---|---|---|---|")
    labels = {"me": "`GET /api/users/me`", "login": "`POST /api/auth/login`", "login_unknown": "login, unknown user"}
    for k, v in result["p50_ms"].items():
        print(f"| {labels[k]} | {v['before']:.0f} | {v['after']:.0f} | {v['after'] / v['before']:.2f} |")
    print(f"| register (first / last 250 of the soak) | {result['register_p50_ms']['first_250']:.0f} | "
          f"{result['register_p50_ms']['last_250']:.0f} | {result['register_p50_ms']['last_250'] / result['register_p50_ms']['first_250']:.2f} |")
    rb, ra = result["moto_rss_mb"]["before"], result["moto_rss_mb"]["after"]
    if rb and ra:
        print(f"| moto resident memory (MB) | {rb:.0f} | {ra:.0f} | {ra / rb:.2f} |")
    print(f"\nsoak: {args.users} users in {soak_s:.0f} s, {api.errors_5xx} answers 5xx: {'ok' if ok else 'FAILED'}"
          f" (each p50 after within {args.max_ratio}x of before)")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
