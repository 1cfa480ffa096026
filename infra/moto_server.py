#!/usr/bin/env python3
"""moto's server with three changes that keep a long `make dev` session fast (issue 22, finding 14).

    python infra/moto_server.py -H 127.0.0.1 -p PORT     (same arguments as `moto_server`)

1. `TransactWriteItems` snapshots only the items it touches. moto (5.2.1 to 5.2.5 at least)
   deep-copies every table a transaction names, once per item of the transaction, to roll back on
   failure: each transaction costs O(table size) in time and memory. Here the rollback journal
   holds a copy of each touched item (or its absence) taken just before the item is written, and a
   failed transaction puts exactly those back. Same outcome as moto's: all or nothing, the
   per-item cancellation reasons of `TransactionCanceledException` unchanged, the same errors for
   duplicate keys and validation failures. DynamoDB calls are also serialised by one lock, so a
   concurrent request never sees half a transaction (DynamoDB's isolation; moto has none).
2. DynamoDB `Item`s are not recorded for moto's `/moto-api/data.json` dashboard. moto keeps a
   strong reference to every model object ever created, including each copy made for a rollback
   or an update: memory only grew, and the dump grew with it (8.9 MB, 94 s for one fetch after
   20 minutes). Tables, buckets and mail are still in the dump.
3. `GET /moto-api/accounts/mail?message=N&raw=M`: the SES mails accepted since the N-th simple
   and M-th raw message, as JSON, so that infra/mail.py's `--follow` reads what it prints and
   not the whole state: `{"Message": [...], "RawMessage": [...], "next": {"message": .., "raw": ..}}`.
   After a `/moto-api/reset` the counts start again from 0 (`next` smaller than what was asked).

The patches are in `install()`; docs/moto-transactions.md is the note offered upstream.
"""

from __future__ import annotations

import copy
import functools
import json
import sys
import threading
from typing import Any
from urllib.parse import parse_qs, urlparse


def _key_of(table: Any, op_type: str, op: dict[str, Any]) -> tuple[Any, Any] | None:
    """(hash, range) of the item an operation writes, as moto's Table indexes it; None when the
    operation names no usable key (moto then fails the operation before writing anything)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    attrs = op.get("Item") if op_type == "Put" else op.get("Key")
    if not isinstance(attrs, dict) or table.hash_key_attr not in attrs:
        return None
    hash_value = DynamoType(attrs[table.hash_key_attr])
    range_value = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in attrs:
            return None
        range_value = DynamoType(attrs[table.range_key_attr])
    return hash_value, range_value


class _Journal:
    """What a transaction changed, enough to undo it: per touched item its copy from before (or
    None when it did not exist), and per table the length of its stream."""

    def __init__(self) -> None:
        self.items: list[tuple[Any, Any, Any, bool, Any]] = []  # table, hash, range, hash existed, old item
        self.streams: dict[int, tuple[Any, list[Any], int]] = {}
        self.tables: dict[str, Any] = {}  # whole-table fallback (moto's own way)

    def record(self, backend: Any, op_type: str, op: dict[str, Any]) -> None:
        name = op.get("TableName")
        if not name or name not in backend.tables or name in self.tables:
            return
        table = backend.tables[name]
        key = _key_of(table, op_type, op)
        if key is None:
            # Not expected to write anything; keep moto's whole-table copy to be safe.
            self.tables[name] = copy.deepcopy(table)
            return
        hash_value, range_value = key
        existed = hash_value in table.items
        if range_value is None:
            old = table.items.get(hash_value) if existed else None
        else:
            old = table.items[hash_value].get(range_value) if existed else None
        self.items.append((table, hash_value, range_value, existed, copy.deepcopy(old)))
        shard = table.stream_shard
        if shard is not None and id(table) not in self.streams:
            self.streams[id(table)] = (shard, shard.items, len(shard.items))

    def undo(self, backend: Any) -> None:
        for table, hash_value, range_value, existed, old in reversed(self.items):
            if range_value is None:
                if old is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = old
            else:
                if old is None:
                    if hash_value in table.items:
                        table.items[hash_value].pop(range_value, None)
                        if not existed and not table.items[hash_value]:
                            del table.items[hash_value]
                else:
                    table.items[hash_value][range_value] = old
        for shard, records, length in self.streams.values():
            del records[length:]
            shard.items = records
        for name, saved in self.tables.items():
            backend.tables[name] = saved


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto's DynamoDBBackend.transact_write_items (5.2.1) with the rollback of `_Journal`."""
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.comparisons import get_filter_expression as filter_expression

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    journal = _Journal()
    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")

            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")

            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]

            check_unicity(table_name, key)
            # Before the first read too: moto's lookup adds an empty partition for an absent key.
            journal.record(self, op_type, op)

            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition_op = filter_expression(
                    condition_expression, expression_attribute_names, expression_attribute_values
                )
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)

            if op_type == "Put":
                self.put_item(
                    table_name,
                    op["Item"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Update":
                self.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            journal.undo(self)
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
        except Exception as e:  # noqa: BLE001 - as moto: any other failure cancels the transaction
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]

    if any(code is not None for code, _, _ in errors):
        journal.undo(self)
        raise TransactionCanceledException(errors)


def _serialised(method: Any, lock: threading.RLock) -> Any:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(*args, **kwargs)

    return wrapper


def _message_json(msg: Any) -> dict[str, Any]:
    fields = ("id", "source", "subject", "body", "destinations", "raw_data")
    return {f: getattr(msg, f) for f in fields if hasattr(msg, f)}


def mail_since(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """`GET /moto-api/accounts/mail?message=N&raw=M` (see the module doc)."""
    from moto.ses.models import Message, RawMessage

    query = parse_qs(urlparse(full_url).query)

    def start(name: str) -> int:
        try:
            return max(0, int(query.get(name, ["0"])[0]))
        except ValueError:
            return 0

    out: dict[str, Any] = {"next": {}}
    for name, model, field in (("message", Message, "Message"), ("raw", RawMessage, "RawMessage")):
        tracked = list(model.instances_tracked)  # type: ignore[attr-defined]
        begin = start(name)
        out[field] = [_message_json(m) for m in tracked[begin:]]
        out["next"][name] = len(tracked)
    return 200, {"Content-Type": "application/json"}, json.dumps(out)


def install() -> None:
    """Apply the three patches (before the server builds its URL maps)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item
    from moto.moto_api._internal import urls as moto_api_urls

    # 1. Rollback journal, and one lock over the backend's item calls.
    lock = threading.RLock()
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    for name in ("transact_write_items", "put_item", "get_item", "update_item", "delete_item", "query", "scan",
                 "execute_statement", "execute_transaction", "batch_execute_statement"):
        if hasattr(DynamoDBBackend, name):
            setattr(DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name), lock))

    # 2. Items are plain objects: no strong reference kept for the dashboard (copy.deepcopy goes
    #    through cls.__new__ too, so rollback and update copies are no longer kept either).
    Item.__new__ = lambda cls, *args, **kwargs: object.__new__(cls)  # type: ignore[method-assign,assignment]
    Item.instances_tracked = []  # type: ignore[attr-defined]

    # 3. Mail since a point.
    moto_api_urls.url_paths["{0}/moto-api/accounts/mail$"] = mail_since


def main() -> None:
    install()
    from moto.server import main as moto_main

    moto_main(sys.argv[1:])


if __name__ == "__main__":
    main()
