"""Checks of `make bench`'s own code that need no build (a `make test` step, stdlib unittest):
the Runtime API emulator answers in one write (the measurement bug of issue 23 stays fixed),
the cold-start log parsing, DynamoDB's item-size and capacity-unit arithmetic of docs/cost.md,
and Cognito's published bands.

    .tools/venv/bin/python -m unittest -q infra/test_bench.py
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import threading
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402
import cost_model as cm  # noqa: E402
from aws_prices import PRICES, cognito_monthly  # noqa: E402


class SendCounter:
    """Counts the server's writes that start an HTTP answer, and what each carried."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.lock = threading.Lock()
        self.originals = {name: getattr(socket.socket, name) for name in ("send", "sendall")}

    def __enter__(self):
        counter = self

        def wrap(original):
            def write(sock, data, *args):
                with counter.lock:
                    counter.writes.append(bytes(data))
                return original(sock, data, *args)

            return write

        for name, original in self.originals.items():
            setattr(socket.socket, name, wrap(original))
        return self

    def __exit__(self, *exc) -> None:
        for name, original in self.originals.items():
            setattr(socket.socket, name, original)


def next_event(runtime: bench.Runtime, event: bytes) -> bytes:
    """Asks the emulator for the next invocation over a raw socket; returns all it answered."""
    runtime.invoke(event)
    with socket.create_connection(("127.0.0.1", runtime.port), timeout=5) as client:
        client.sendall(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while not answer.endswith(event):
            chunk = client.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


class EmulatorAnswersInOneWrite(unittest.TestCase):
    EVENT = json.dumps({"rawPath": "/api/users/x", "body": "y" * 300}).encode()

    def writes_of_one_answer(self, legacy: bool) -> list[bytes]:
        runtime = bench.Runtime(legacy_two_writes=legacy)
        try:
            with SendCounter() as counter:
                answer = next_event(runtime, self.EVENT)
            self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer[:40])
            self.assertTrue(answer.endswith(self.EVENT))
            return [w for w in counter.writes if w.startswith(b"HTTP/1.1 200") or w == self.EVENT]
        finally:
            runtime.close()

    def test_an_invocation_goes_out_headers_and_body_in_one_write(self):
        writes = self.writes_of_one_answer(legacy=False)
        self.assertEqual(len(writes), 1, writes)
        self.assertTrue(writes[0].endswith(self.EVENT))

    def test_the_old_behaviour_it_fixes_was_two_writes(self):
        # What earlier runs measured: headers, then the body, each its own segment.
        writes = self.writes_of_one_answer(legacy=True)
        self.assertEqual(len(writes), 2, writes)
        self.assertEqual(writes[1], self.EVENT)

    def test_the_answer_socket_has_nagle_off(self):
        runtime = bench.Runtime()
        seen = []
        original = bench.BaseHTTPRequestHandler.handle

        def handle(handler):
            seen.append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            return original(handler)

        bench.BaseHTTPRequestHandler.handle = handle
        try:
            next_event(runtime, self.EVENT)
        finally:
            bench.BaseHTTPRequestHandler.handle = original
            runtime.close()
        self.assertTrue(seen and all(seen), seen)


class ColdStartLogs(unittest.TestCase):
    def test_init_phases_are_the_medians_of_the_logged_lines(self):
        line = "INFO cold start phases config_us={} logging_us=10 sdk_config_us=2000 clients_us=300 warm_up_us={} router_us=5 total_us=9000"
        with tempfile.TemporaryDirectory() as d:
            log = Path(d) / "users.log"
            log.write_text("\n".join([line.format(100, 6000), "INFO something else", line.format(300, 8000), line.format(200, 7000)]))
            phases = bench.init_phases_ms(log)
        self.assertEqual(phases["config"], 0.2)
        self.assertEqual(phases["warm_up"], 7.0)
        self.assertEqual(phases["sdk_config"], 2.0)
        self.assertEqual(phases["total"], 9.0)

    def test_a_log_without_the_line_gives_none(self):
        with tempfile.TemporaryDirectory() as d:
            log = Path(d) / "hello.log"
            log.write_text("hello\n")
            self.assertIsNone(bench.init_phases_ms(log))
            self.assertIsNone(bench.init_phases_ms(Path(d) / "missing.log"))

    def test_a_subset_keeps_the_baseline_and_the_peers_counterpart(self):
        self.assertEqual(bench.selected("peer-node20"), [bench.BASELINE, "users", "peer-node20"])
        self.assertEqual(bench.selected(""), [bench.BASELINE, *bench.FUNCTIONS, bench.CA_FILE_VARIANT, *bench.PEERS])
        with self.assertRaises(SystemExit):
            bench.selected("nonsense")


def s(v: str) -> dict:
    return {"S": v}


class ItemSizes(unittest.TestCase):
    def test_strings_and_names_count_their_utf8_bytes(self):
        self.assertEqual(cm.item_size({"pk": s("USER#1"), "sk": s("PROFILE")}), 2 + 6 + 2 + 7)
        self.assertEqual(cm.item_size({"n": s("é")}), 1 + 2)

    def test_numbers_count_two_significant_digits_a_byte_plus_one(self):
        self.assertEqual(cm.number_size("123"), 3)
        self.assertEqual(cm.number_size("1700000000"), 2)  # 17 -> 1 byte + 1
        self.assertEqual(cm.number_size("-0.0050"), 2)
        self.assertEqual(cm.number_size("0"), 2)

    def test_maps_lists_and_sets(self):
        self.assertEqual(cm.value_size({"M": {"a": s("bc")}}), 3 + 1 + 2 + 1)
        self.assertEqual(cm.value_size({"L": [{"BOOL": True}, {"NULL": True}]}), 3 + 2 + 2)
        self.assertEqual(cm.value_size({"SS": ["ab", "c"]}), 3)
        self.assertEqual(cm.value_size({"B": "AAEC"}), 3)

    def test_kinds_come_from_the_keys(self):
        self.assertEqual(cm.kind_of({"pk": s("USER#usr_1"), "sk": s("PROFILE")}), "user")
        self.assertEqual(cm.kind_of({"pk": s("USER#usr_1"), "sk": s("SESSION#ses_1")}), "session")
        self.assertEqual(cm.kind_of({"pk": s("RATE#login-fail#1.2.3.4#9"), "sk": s("RATE")}), "rate counter")
        self.assertEqual(cm.kind_of({"pk": s("WEBAUTHN#x"), "sk": s("Y")}), "other (WEBAUTHN)")


INDEXES = [
    cm.Index("gsi1", ["gsi1pk", "gsi1sk"], None),
    cm.Index("users-created", ["lsAll", "id"], ["role", "ustatus"]),
]


def big_user(pad: int) -> dict:
    return {"pk": s("USER#usr_1"), "sk": s("PROFILE"), "id": s("usr_1"), "lsAll": s("L#3"), "role": s("user"),
            "ustatus": s("active"), "bio": s("x" * pad)}


class CapacityUnits(unittest.TestCase):
    def sizes(self) -> cm.Sizes:
        return cm.Sizes.from_items([big_user(1500), {"pk": s("RATE#a#b#1"), "sk": s("RATE"), "count": {"N": "1"}}])

    def test_a_transaction_counts_every_item_twice_and_its_index_writes_once(self):
        wire = [{"operation": "TransactWriteItems", "request": {"TransactItems": [
            {"Put": {"Item": big_user(1500)}},
            {"Put": {"Item": {"pk": s("USER#usr_1"), "sk": s("ACT#01"), "kind": s("login")}}},
        ]}, "response": {}}]
        u = cm.request_units(wire, self.sizes(), INDEXES)
        self.assertEqual(u.write, 2 * 2 + 2 * 1)  # 1.5 KB -> 2 units, doubled; the small one 1, doubled
        self.assertEqual(u.index_write, 1)  # the user is in users-created (a small projection); not in gsi1
        self.assertEqual(u.items_written, ["user", "activity entry"])

    def test_an_update_writes_an_index_only_when_it_names_what_the_index_holds(self):
        sizes = self.sizes()
        plain = {"Key": {"pk": s("USER#usr_1"), "sk": s("PROFILE")}, "UpdateExpression": "SET #b = :b, updatedAt = :t",
                 "ExpressionAttributeNames": {"#b": "bio"}}
        status = dict(plain, UpdateExpression="SET ustatus = :s")
        moved = dict(plain, UpdateExpression="SET #k = :k", ExpressionAttributeNames={"#k": "lsAll"})
        wire = lambda req: [{"operation": "UpdateItem", "request": req, "response": {}}]  # noqa: E731
        self.assertEqual((cm.request_units(wire(plain), sizes, INDEXES).write, cm.request_units(wire(plain), sizes, INDEXES).index_write), (2, 0))
        self.assertEqual(cm.request_units(wire(status), sizes, INDEXES).index_write, 1)
        self.assertEqual(cm.request_units(wire(moved), sizes, INDEXES).index_write, 2)  # delete + put

    def test_reads_cost_half_a_unit_per_4_kb_eventually_consistent_and_a_miss_the_minimum(self):
        item = big_user(5000)  # ~5 KB -> 2 units
        wire = [
            {"operation": "GetItem", "request": {"ConsistentRead": True}, "response": {"Item": item}},
            {"operation": "BatchGetItem", "request": {"RequestItems": {"t": {"Keys": [{}, {}]}}},
             "response": {"Responses": {"t": [item]}}},
        ]
        u = cm.request_units(wire, self.sizes(), INDEXES)
        self.assertEqual(u.read, 2 + 1 + 0.5)

    def test_a_query_pays_for_the_items_its_filter_dropped(self):
        items = [{"pk": s("p"), "sk": s(str(i)), "d": s("x" * 1000)} for i in range(4)]
        wire = [{"operation": "Query", "request": {}, "response": {"Items": items, "Count": 4, "ScannedCount": 8}}]
        self.assertEqual(cm.request_units(wire, self.sizes(), INDEXES).read, 1.0)  # ~8 KB eventually consistent

    def test_outbox_events_are_counted_from_the_items_put(self):
        wire = [{"operation": "TransactWriteItems", "request": {"TransactItems": [
            {"Put": {"Item": {"pk": s("USER#u"), "sk": s("EVT#01"), "type": s("outbox")}}}]}, "response": {}}]
        self.assertEqual(cm.request_units(wire, self.sizes(), INDEXES).events, 1)

    def test_update_expressions_name_their_attributes(self):
        names = cm.expression_names({"UpdateExpression": "SET settings.#p.#k0 = :v, #c = if_not_exists(#c, :z) + :one REMOVE lsStatus ADD count :one",
                                     "ExpressionAttributeNames": {"#p": "privacy", "#k0": "publicProfile", "#c": "counter"}})
        self.assertEqual(names, {"settings", "counter", "lsStatus", "count"})


class MonthlyBill(unittest.TestCase):
    def test_cognito_bands(self):
        self.assertEqual(cognito_monthly("Essentials", 10_000), 0)
        self.assertAlmostEqual(cognito_monthly("Essentials", 100_000), 1350)
        self.assertAlmostEqual(cognito_monthly("Plus", 1_000_000), 20_000)
        self.assertAlmostEqual(cognito_monthly("Lite", 1_000_000), 495 + 4140)
        with self.assertRaises(ValueError):
            cognito_monthly("Lite", 2_000_000)

    def test_a_bill_grows_with_users_and_prices_what_the_requests_consume(self):
        warm = {"endpoints": [{
            "name": "GET /api/users/me", "overheadMs": {"p50": 0.4}, "operationsPerRequest": {"DynamoDB:BatchGetItem": 1},
            "dynamoWire": [{"operation": "BatchGetItem", "request": {"RequestItems": {"t": {"Keys": [{}]}}},
                            "response": {"Responses": {"t": [big_user(100)]}}}],
        }]}
        sizes = cm.Sizes.from_items([big_user(100)])
        costs = cm.endpoint_costs(warm, sizes, INDEXES, {"users": 1024})
        c = costs["GET /api/users/me"]
        self.assertEqual(c.billed_ms, 6)  # 0.4 ms of ours + 5 ms assumed for the DynamoDB call, rounded up
        self.assertEqual(c.units.read, 0.5)
        small, big = (cm.monthly(m, costs, {"users": 20.0}, sizes, {"users": 1024}) for m in (10_000, 100_000))
        # The profile reads at half a unit each, and the avatar views' user-item reads.
        per_mau = next(u.per_mau for u in cm.USAGE if u.endpoint == "GET /api/users/me")
        views = cm.ASSUMPTIONS["avatar views"].value
        reads = 10_000 * (per_mau + views) * 0.5 * PRICES["dynamodb_read_request_unit"].usd
        self.assertAlmostEqual(small.lines["DynamoDB reads"], reads)
        self.assertAlmostEqual(big.lines["DynamoDB reads"], 10 * reads)
        # The KMS keys are a fixed charge; everything else scales with the users.
        kms = "KMS (token signatures, keys, secrets at cold start)"
        for line, value in small.lines.items():
            if line != kms:
                self.assertAlmostEqual(big.lines[line], 10 * value, msg=line)
        self.assertGreater(small.lines["Lambda duration (cold starts)"], 0)


if __name__ == "__main__":
    unittest.main()
