#!/usr/bin/env python3
"""`make events`: print the lifecycle events the local bus delivered, one JSON object per line
(`{"source", "detail-type", "detail"}`), oldest first.

The bus's rule (infra/bootstrap.py) feeds the queue `<EVENT_BUS_NAME>-events` in the emulator;
this drains it into `.tools/events-<MOTO_PORT>.jsonl` and prints that whole file, so every run
shows all the events so far (`make clean` removes it). `--follow` keeps printing new ones.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bootstrap import events_queue_name  # noqa: E402
from local_env import ROOT, settings  # noqa: E402


def drain(sqs, url: str, log: Path) -> list[str]:
    lines = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return lines
        with log.open("a") as f:
            for m in messages:
                event = json.loads(m["Body"])
                detail = event.get("detail")
                if isinstance(detail, str):
                    detail = json.loads(detail)
                line = json.dumps({"source": event.get("source"), "detail-type": event.get("detail-type"), "detail": detail})
                f.write(line + "\n")
                lines.append(line)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--follow", action="store_true", help="keep printing new events")
    args = parser.parse_args()
    values = settings()
    session = boto3.session.Session(
        aws_access_key_id=values.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=values.get("AWS_SECRET_ACCESS_KEY", "test"),
        region_name=values.get("AWS_REGION") or "us-east-1",
    )
    sqs = session.client("sqs", endpoint_url=values["AWS_ENDPOINT_URL"], config=Config(retries={"max_attempts": 2}))
    port = os.environ.get("MOTO_PORT") or "4566"
    log = ROOT / ".tools" / f"events-{port}.jsonl"
    log.parent.mkdir(exist_ok=True)
    try:
        url = sqs.get_queue_url(QueueName=events_queue_name(values["EVENT_BUS_NAME"]))["QueueUrl"]
        drain(sqs, url, log)
    except (ClientError, EndpointConnectionError) as e:
        sys.exit(f"events: cannot read the local events queue ({e}); is `make dev` running?")
    if log.exists():
        sys.stdout.write(log.read_text())
    sys.stdout.flush()
    while args.follow:
        for line in drain(sqs, url, log):
            print(line, flush=True)
        time.sleep(1)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
