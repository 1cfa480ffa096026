#!/usr/bin/env python3
"""`make dev`'s stand-in for Lambda's DynamoDB Streams event source mapping.

Polls the local table's stream in the emulator (moto) and hands each batch of records, shaped
exactly as Lambda delivers them, to the real `events` function that `cargo lambda watch` serves
(its invoke endpoint, as `cargo lambda invoke` uses), so the same code as in AWS publishes the
events on the local bus. What the mapping in template.yaml does, this does too:

- only outbox inserts are passed on (the mapping's FilterCriteria);
- batches of up to 100 records, in stream order, one batch at a time;
- the function's `batchItemFailures` (ReportBatchItemFailures) make it retry from the first
  failed record, up to MAX_RETRIES times; then the batch's description goes to the dead-letter
  queue `<bus>-dlq` (the mapping's on-failure destination) and the relay moves on;
- the position is kept as the last sequence number handled (a checkpoint): each poll asks for a
  fresh iterator after it (moto replaces a table's stream shard when it undoes a cancelled
  transaction, so old iterators would miss later records).

Settings: AWS_ENDPOINT_URL / MOTO_PORT, TABLE_NAME, EVENT_BUS_NAME (infra/local_env.py) and
WATCH_PORT (9000). Only what is needed is logged: counts and sequence numbers, never an event.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bootstrap import events_dlq_name  # noqa: E402
from local_env import settings  # noqa: E402

BATCH_SIZE = 100
MAX_RETRIES = 3
POLL_SECONDS = 0.5
OUTBOX_SK_PREFIX = "EVT#"


def log(msg: str) -> None:
    print(f"events-relay: {msg}", flush=True)


def is_outbox_insert(record: dict) -> bool:
    sk = record.get("dynamodb", {}).get("Keys", {}).get("sk", {}).get("S", "")
    return record.get("eventName") == "INSERT" and sk.startswith(OUTBOX_SK_PREFIX)


def lambda_record(record: dict, stream_arn: str) -> dict:
    """A GetRecords record as the event source mapping hands it to Lambda."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if hasattr(created, "timestamp"):
        change["ApproximateCreationDateTime"] = created.timestamp()
    change.setdefault("SizeBytes", 1)
    return {
        "eventID": record.get("eventID", ""),
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", "us-east-1"),
        "eventSourceARN": stream_arn,
        "dynamodb": change,
    }


class Relay:
    def __init__(self, values: dict[str, str], watch_port: str) -> None:
        session = boto3.session.Session(
            aws_access_key_id=values.get("AWS_ACCESS_KEY_ID", "test"),
            aws_secret_access_key=values.get("AWS_SECRET_ACCESS_KEY", "test"),
            region_name=values.get("AWS_REGION") or "us-east-1",
        )
        cfg = Config(retries={"max_attempts": 3})
        endpoint = values["AWS_ENDPOINT_URL"]
        self.ddb = session.client("dynamodb", endpoint_url=endpoint, config=cfg)
        self.streams = session.client("dynamodbstreams", endpoint_url=endpoint, config=cfg)
        self.sqs = session.client("sqs", endpoint_url=endpoint, config=cfg)
        self.table = values["TABLE_NAME"]
        self.dlq = events_dlq_name(values["EVENT_BUS_NAME"])
        self.invoke_url = f"http://127.0.0.1:{watch_port}/2015-03-31/functions/events/invocations"
        self.last: str | None = None
        self.stream_arn: str | None = None
        self.shard: str | None = None

    def locate(self) -> bool:
        try:
            arn = self.ddb.describe_table(TableName=self.table)["Table"].get("LatestStreamArn")
        except ClientError:
            return False
        if not arn:
            log(f"table {self.table} has no stream (is template.yaml's StreamSpecification there?)")
            return False
        shards = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        self.stream_arn, self.shard = arn, shards[0]["ShardId"]
        return True

    def read(self) -> list[dict]:
        kwargs = {"StreamArn": self.stream_arn, "ShardId": self.shard}
        if self.last is None:
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=self.last)
        iterator = self.streams.get_shard_iterator(**kwargs)["ShardIterator"]
        return self.streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]

    def invoke(self, records: list[dict]) -> list[str] | None:
        """The function's reported failures (sequence numbers); None when it failed as a whole.
        Waits (without counting an attempt) while `cargo lambda watch` is not answering yet."""
        payload = json.dumps({"Records": [lambda_record(r, self.stream_arn) for r in records]}).encode()
        request = urllib.request.Request(self.invoke_url, data=payload, headers={"content-type": "application/json"})
        while True:
            try:
                with urllib.request.urlopen(request, timeout=300) as response:
                    answer = json.load(response)
                break
            except urllib.error.HTTPError as e:
                log(f"the events function answered {e.code}")
                return None
            except (urllib.error.URLError, OSError) as e:
                log(f"cargo lambda watch is not answering yet ({e}); waiting")
                time.sleep(2)
            except ValueError:
                log("the events function's answer is not JSON")
                return None
        if not isinstance(answer, dict) or "errorType" in answer:
            log(f"the events function failed: {answer.get('errorType') if isinstance(answer, dict) else answer}")
            return None
        return [f.get("itemIdentifier") for f in answer.get("batchItemFailures") or []]

    def handle(self, batch: list[dict]) -> None:
        """Delivers one batch like the mapping: retries from the first failed record, then the DLQ."""
        attempt = 0
        while batch:
            failures = self.invoke(batch)
            if failures == []:
                return
            attempt += 1
            if failures:
                seqs = [r["dynamodb"]["SequenceNumber"] for r in batch]
                first = min((seqs.index(f) for f in failures if f in seqs), default=0)
                batch = batch[first:]
            if attempt > MAX_RETRIES:
                first_seq = batch[0]["dynamodb"]["SequenceNumber"]
                last_seq = batch[-1]["dynamodb"]["SequenceNumber"]
                url = self.sqs.get_queue_url(QueueName=self.dlq)["QueueUrl"]
                body = {"streamArn": self.stream_arn, "shardId": self.shard, "startSequenceNumber": first_seq, "endSequenceNumber": last_seq, "batchSize": len(batch)}
                self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
                log(f"records {first_seq}..{last_seq} not published after {MAX_RETRIES} retries: sent to {self.dlq}")
                return
            time.sleep(min(2**attempt, 10) * 0.5)

    def run(self) -> None:
        while not self.locate():
            time.sleep(1)
        log(f"following the stream of {self.table} -> {self.invoke_url}")
        while True:
            try:
                records = self.read()
            except ClientError as e:
                log(f"reading the stream failed ({e.response['Error']['Code']}); retrying")
                time.sleep(1)
                continue
            if not records:
                time.sleep(POLL_SECONDS)
                continue
            for start in range(0, len(records), BATCH_SIZE):
                chunk = records[start : start + BATCH_SIZE]
                batch = [r for r in chunk if is_outbox_insert(r)]
                if batch:
                    self.handle(batch)
                self.last = chunk[-1]["dynamodb"]["SequenceNumber"]


def main() -> None:
    Relay(settings(), os.environ.get("WATCH_PORT") or "9000").run()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
