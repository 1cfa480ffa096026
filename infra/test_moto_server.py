"""infra/moto_server.py's patches against moto's own behaviour (stdlib unittest, the venv's moto).

    .tools/venv/bin/python -m unittest infra/test_moto_server.py      (a step of `make test`)

Differential: every scenario runs once on moto as released and once patched, in process
(`mock_aws`), and the answers (result or error code, message, cancellation reasons) and the
final contents of the tables, partitions included, must be equal. Then the properties the
patches are for: a transaction's rollback copies only what it touched, Items are not kept for
the dashboard, and the mail endpoint returns only what is new.
"""

from __future__ import annotations

import copy
import json
import sys
import unittest
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parent))
import moto_server  # noqa: E402

REGION = "us-east-1"


def s(v: str) -> dict[str, str]:
    return {"S": v}


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": s(pk), "sk": s(sk)}


def put(table: str, pk: str, sk: str, **extra: Any) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": {**key(pk, sk), "v": s("new"), **extra}}}


def cond_fail(table: str, pk: str, sk: str, all_old: bool = True) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": table, "Key": key(pk, sk), "ConditionExpression": "attribute_not_exists(pk)"}
    if all_old:
        op["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return {"ConditionCheck": op}


def update(table: str, pk: str, sk: str, expr: str = "SET v = :v, n = if_not_exists(n, :z) + :one") -> dict[str, Any]:
    return {
        "Update": {
            "TableName": table,
            "Key": key(pk, sk),
            "UpdateExpression": expr,
            "ExpressionAttributeValues": {":v": s("upd"), ":z": {"N": "0"}, ":one": {"N": "1"}},
        }
    }


def delete(table: str, pk: str, sk: str) -> dict[str, Any]:
    return {"Delete": {"TableName": table, "Key": key(pk, sk)}}


# (name, transaction) pairs; each runs on a fresh state of tables "a" and "b" (see `seed`).
SCENARIOS: list[tuple[str, list[dict[str, Any]]]] = [
    ("all succeed", [put("a", "new", "1"), update("a", "p1", "1"), delete("a", "p1", "2"), cond_fail("a", "none", "0")]),
    ("last condition fails", [put("a", "new", "1"), update("a", "p1", "1"), delete("a", "p1", "2"), cond_fail("a", "p2", "1")]),
    ("first condition fails", [cond_fail("a", "p2", "1", all_old=False), put("a", "new", "1")]),
    ("update creates then fails", [update("a", "fresh", "9"), put("a", "p1", "3"), cond_fail("b", "q1", "1")]),
    ("put over existing then fails", [put("a", "p1", "1", extra=s("x")), cond_fail("a", "p2", "1")]),
    ("two tables, second fails", [put("a", "new", "1"), delete("b", "q1", "1"), update("b", "q1", "2"), cond_fail("b", "q2", "1")]),
    ("conditional put fails", [put("a", "new", "2"), {"Put": {**put("a", "p1", "1")["Put"], "ConditionExpression": "attribute_not_exists(pk)"}}]),
    ("missing table", [put("a", "new", "1"), put("missing", "x", "1")]),
    ("missing range key", [put("a", "new", "1"), {"Put": {"TableName": "a", "Item": {"pk": s("nokey")}}}]),
    ("duplicate key", [put("a", "new", "1"), update("a", "p1", "1"), delete("a", "p1", "1")]),
    ("bad update expression", [put("a", "new", "1"), update("a", "p1", "1", expr="SET v = :missing")]),
    ("key type mismatch", [put("a", "new", "1"), {"Delete": {"TableName": "a", "Key": {"pk": {"N": "1"}, "sk": s("1")}}}]),
    ("delete absent, then fail", [delete("a", "absent", "1"), put("b", "q3", "1"), cond_fail("a", "p1", "1")]),
]


def seed(ddb: Any) -> None:
    for name in ("a", "b"):
        ddb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
                                  {"AttributeName": "g", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "ALL"}}],
            BillingMode="PAY_PER_REQUEST",
        )
    for pk, sk in (("p1", "1"), ("p1", "2"), ("p2", "1")):
        ddb.put_item(TableName="a", Item={**key(pk, sk), "v": s("old"), "g": s(pk)})
    for pk, sk in (("q1", "1"), ("q1", "2"), ("q2", "1")):
        ddb.put_item(TableName="b", Item={**key(pk, sk), "v": s("old"), "n": {"N": "5"}})
    # An empty partition left behind by an ordinary delete (moto keeps the dict).
    ddb.put_item(TableName="a", Item={**key("gone", "1"), "v": s("old")})
    ddb.delete_item(TableName="a", Key=key("gone", "1"))


def outcome(ddb: Any, transaction: list[dict[str, Any]] | None) -> dict[str, Any]:
    from moto.dynamodb.models import dynamodb_backends

    try:
        answer: Any = "untouched"
        if transaction is not None:
            ddb.transact_write_items(TransactItems=transaction)
            answer = "ok"
    except ClientError as e:
        answer = {
            "code": e.response["Error"]["Code"],
            "message": e.response["Error"]["Message"],
            "reasons": e.response.get("CancellationReasons"),
        }
    tables = {}
    for name in ("a", "b"):
        items = ddb.scan(TableName=name)["Items"]
        by_index = ddb.query(TableName=name, IndexName="byg", KeyConditionExpression="g = :g",
                             ExpressionAttributeValues={":g": s("p1")})["Items"]
        raw = dynamodb_backends["123456789012"][REGION].tables[name].items
        partitions = {str(h): sorted(str(r) for r in part) for h, part in raw.items()}
        tables[name] = {"items": sorted(json.dumps(i, sort_keys=True) for i in items),
                        "index": sorted(json.dumps(i, sort_keys=True) for i in by_index),
                        "partitions": partitions}
    return {"answer": answer, "tables": tables}


def run_all() -> dict[str, Any]:
    results = {}
    for name, transaction in [*SCENARIOS, ("nothing", None)]:
        with mock_aws():
            ddb = boto3.client("dynamodb", region_name=REGION)
            seed(ddb)
            results[name] = outcome(ddb, copy.deepcopy(transaction) if transaction else None)
    return results


class PatchedTransactionsBehaveAsMoto(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.dynamo_type import Item

        cls.released = run_all()
        saved = {k: v for k, v in vars(DynamoDBBackend).items() if callable(v)}
        saved_item_new = Item.__dict__.get("__new__")
        moto_server.install()
        try:
            cls.patched = run_all()
        finally:
            for k, v in saved.items():
                setattr(DynamoDBBackend, k, v)
            if saved_item_new is None:
                del Item.__new__
            else:
                Item.__new__ = saved_item_new

    def test_every_scenario_answers_and_ends_as_released_moto(self) -> None:
        for name, _ in SCENARIOS:
            with self.subTest(scenario=name):
                self.assertEqual(self.patched[name], self.released[name])

    def test_the_scenarios_cover_success_cancellation_and_validation(self) -> None:
        answers = [r["answer"] for r in self.released.values()]
        codes = {a["code"] for a in answers if isinstance(a, dict)}
        self.assertIn("ok", answers)
        self.assertTrue({"TransactionCanceledException", "ValidationException"} <= codes, codes)
        canceled = self.released["last condition fails"]
        self.assertEqual(canceled["answer"]["reasons"][-1]["Code"], "ConditionalCheckFailed")
        self.assertIn("Item", canceled["answer"]["reasons"][-1])  # ALL_OLD kept
        # A cancelled transaction leaves the tables as they were; a successful one does not.
        self.assertEqual(canceled["tables"], self.released["nothing"]["tables"])
        self.assertNotEqual(self.released["all succeed"]["tables"], self.released["nothing"]["tables"])


class PatchedProperties(unittest.TestCase):
    def setUp(self) -> None:
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.dynamo_type import Item

        self.saved = {k: v for k, v in vars(DynamoDBBackend).items() if callable(v)}
        self.saved_item_new = Item.__dict__.get("__new__")
        moto_server.install()

    def tearDown(self) -> None:
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.dynamo_type import Item

        for k, v in self.saved.items():
            setattr(DynamoDBBackend, k, v)
        if self.saved_item_new is None:
            del Item.__new__
        else:
            Item.__new__ = self.saved_item_new

    def test_a_failed_transaction_copies_only_the_items_it_touched(self) -> None:
        from moto.dynamodb.models.table import Table

        def copies(bulk: int) -> list[Any]:
            with mock_aws():
                ddb = boto3.client("dynamodb", region_name=REGION)
                seed(ddb)
                for i in range(bulk):
                    ddb.put_item(TableName="a", Item={**key(f"bulk{i}", "1"), "v": s("old")})
                with mock.patch("copy.deepcopy", wraps=copy.deepcopy) as deep:
                    with self.assertRaises(ClientError):
                        ddb.transact_write_items(TransactItems=[put("a", "new", "1"), update("a", "p1", "1"), cond_fail("a", "p2", "1")])
                return [c.args[0] for c in deep.call_args_list if c.args]

        small, large = copies(0), copies(300)
        self.assertFalse(any(isinstance(c, Table) for c in small + large))
        # What is copied does not grow with the table: the same calls on 6 items as on 306.
        self.assertEqual(len(small), len(large))

    def test_items_are_not_kept_for_the_dashboard(self) -> None:
        from moto.dynamodb.models.dynamo_type import Item

        with mock_aws():
            ddb = boto3.client("dynamodb", region_name=REGION)
            seed(ddb)
            for _ in range(20):
                ddb.update_item(TableName="a", Key=key("p1", "1"), UpdateExpression="SET v = :v",
                                ExpressionAttributeValues={":v": s("x")})
            self.assertEqual(Item.instances_tracked, [])

    def test_the_mail_endpoint_returns_only_new_mail(self) -> None:
        with mock_aws():
            ses = boto3.client("ses", region_name=REGION)
            ses.verify_email_identity(EmailAddress="from@example.test")

            def send(n: int) -> None:
                ses.send_email(Source="from@example.test", Destination={"ToAddresses": [f"to{n}@example.test"]},
                               Message={"Subject": {"Data": f"s{n}"}, "Body": {"Text": {"Data": f"b{n}"}}})

            def since(message: int, raw: int = 0) -> dict[str, Any]:
                status, _, body = moto_server.mail_since(None, f"http://x/moto-api/accounts/mail?message={message}&raw={raw}", {})
                self.assertEqual(status, 200)
                return json.loads(body)

            from moto.ses.models import Message

            base = len(Message.instances_tracked)
            send(1)
            send(2)
            first = since(base)
            self.assertEqual([m["subject"] for m in first["Message"]], ["s1", "s2"])
            self.assertEqual(first["next"]["message"], base + 2)
            send(3)
            second = since(first["next"]["message"])
            self.assertEqual([m["subject"] for m in second["Message"]], ["s3"])
            self.assertEqual(second["Message"][0]["destinations"]["ToAddresses"], ["to3@example.test"])
            self.assertEqual(since(second["next"]["message"])["Message"], [])
            self.assertEqual(since(-5)["next"]["message"], base + 3)  # a bad start reads from 0


if __name__ == "__main__":
    unittest.main()
