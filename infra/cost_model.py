"""docs/cost.md, written by `make bench` (infra/bench.py report calls `write_cost`).

What Accounts costs to run per month at 10 k, 100 k and 1 M monthly active users (MAU), from
  - what the bench measured: per endpoint, the AWS operations a warm request makes, what each
    DynamoDB call sent and got back (accounts-bench's Observer: which items it wrote and read),
    our own code's time per request (total - time inside SDK calls), and the cold starts;
  - the sizes of the items the bench left in its table (a Scan after the run, `bench.py items`),
    counted with DynamoDB's own size rules;
  - template.yaml: each function's memory size and the table's indexes;
  - a usage profile per active user, every number of it a named assumption (USAGE, ASSUMPTIONS);
  - published prices (infra/aws_prices.py).
Pure functions of those inputs, so infra/test_bench.py checks them without AWS.
"""

from __future__ import annotations

import base64
import math
import statistics
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from aws_prices import COGNITO_PLANS, COGNITO_SEEN, COGNITO_SOURCE, PRICES, READ_ON, cognito_monthly

MAU_LEVELS = [10_000, 100_000, 1_000_000]

# ---- DynamoDB item sizes and capacity units ----------------------------------------------------
# docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html: an item's
# size is the sum of its attribute names' and values' lengths; strings are UTF-8 bytes, a number
# about one byte per two significant digits plus one, a list or map 3 bytes plus its elements (+1
# byte each), a boolean or null 1 byte. A write request unit covers 1 KB of the item written (the
# larger of before and after), a read request unit 4 KB of a strongly consistent read (half a unit
# eventually consistent); transactions count every item twice.

WRITE_UNIT = 1024
READ_UNIT = 4096


def number_size(text: str) -> int:
    """Bytes DynamoDB counts for the number `text` (its significant digits, two per byte, +1)."""
    try:
        d = Decimal(text)
    except InvalidOperation:
        return len(text)
    digits = "".join(str(x) for x in d.as_tuple().digits).strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def value_size(value: dict) -> int:
    """Bytes of one attribute value in DynamoDB's JSON form ({"S": "…"}, {"N": "…"}, {"M": {…}}, …)."""
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return number_size(v)
    if kind == "B":
        return len(base64.b64decode(v))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(e.encode()) for e in v)
    if kind == "NS":
        return sum(number_size(e) for e in v)
    if kind == "BS":
        return sum(len(base64.b64decode(e)) for e in v)
    if kind == "L":
        return 3 + sum(value_size(e) + 1 for e in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(e) + 1 for k, e in v.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict) -> int:
    """Bytes of an item in DynamoDB's JSON form."""
    return sum(len(name.encode()) + value_size(v) for name, v in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    return float(units) if consistent else units / 2


# Item kinds by key (docs/table-design.md "Items"): (pk prefix, sk prefix, kind); first match wins.
KINDS = [
    ("USER#", "PROFILE", "user"),
    ("USER#", "SESSION#", "session"),
    ("USER#", "ACT#", "activity entry"),
    ("USER#", "EVT#", "outbox event"),
    ("USER#", "UPLOADHOLD#", "upload hold"),
    ("USER#", "UPLOAD#", "upload"),
    ("USER#", "DAY#", "usage day"),
    ("USER#", "SUBSCRIPTION", "subscription"),
    ("USER#", "APIREQ#", "API request counter"),
    ("USER#", "", "other user item"),
    ("EMAIL#", "", "email marker"),
    ("USERNAME#", "", "username marker"),
    ("REFRESH#", "", "refresh token"),
    ("TOKEN#", "", "link token"),
    ("CAPTCHA#", "", "captcha"),
    ("APIKEY#", "", "API key"),
    ("PURGEQ#", "", "purge queue entry"),
    ("PURGELOG#", "", "purge audit"),
    ("USED#", "", "used marker"),
    ("RATE#", "", "rate counter"),
    ("META#", "", "admin count"),
    ("AUDIT#", "", "admin audit"),
    ("SIGNING", "", "signing-key ring"),
]


def key_string(v: dict | None) -> str:
    return next(iter(v.values())) if isinstance(v, dict) and v else ""


def kind_of(item_or_key: dict) -> str:
    """The kind of the item a key (or an item) names."""
    pk, sk = key_string(item_or_key.get("pk")), key_string(item_or_key.get("sk"))
    for pk_prefix, sk_prefix, kind in KINDS:
        if pk.startswith(pk_prefix) and sk.startswith(sk_prefix):
            return kind
    return f"other ({pk.split('#')[0]})"


@dataclass
class Index:
    """A global secondary index: its key attributes and what it projects (None: ALL)."""

    name: str
    keys: list[str]
    projected: list[str] | None

    def projected_size(self, item: dict) -> int:
        if self.projected is None:
            return item_size(item)
        keep = {"pk", "sk", *self.keys, *self.projected}
        return item_size({k: v for k, v in item.items() if k in keep})

    def holds(self, item: dict) -> bool:
        return all(k in item for k in self.keys)


def table_indexes(table_properties: dict) -> list[Index]:
    """The GSIs of template.yaml's Table resource."""
    out = []
    for gsi in table_properties.get("GlobalSecondaryIndexes", []):
        keys = [k["AttributeName"] for k in gsi["KeySchema"]]
        projection = gsi.get("Projection", {})
        projected = None if projection.get("ProjectionType") == "ALL" else list(projection.get("NonKeyAttributes", []))
        out.append(Index(gsi["IndexName"], keys, projected))
    return out


@dataclass
class Sizes:
    """The measured items by kind: a median-sized example of each (`bench.py items`), plus items
    seen in requests (a Put carries the whole item) for kinds the table no longer holds."""

    examples: dict[str, dict] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    stats: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def from_items(cls, items: list[dict]) -> "Sizes":
        by_kind: dict[str, list[dict]] = {}
        for item in items:
            by_kind.setdefault(kind_of(item), []).append(item)
        s = cls()
        for kind, group in by_kind.items():
            group.sort(key=item_size)
            sizes = [item_size(i) for i in group]
            s.examples[kind] = group[len(group) // 2]
            s.counts[kind] = len(group)
            s.stats[kind] = {"count": len(group), "median": statistics.median(sizes), "max": sizes[-1]}
        return s

    def learn(self, item: dict) -> None:
        self.examples.setdefault(kind_of(item), item)

    def example(self, key: dict) -> dict | None:
        return self.examples.get(kind_of(key))

    def size(self, key: dict) -> int:
        """The size of the item `key` names (its kind's median-sized example; 1 KB unknown)."""
        e = self.example(key)
        return item_size(e) if e is not None else WRITE_UNIT


def expression_names(update: dict) -> set[str]:
    """Attribute names an UpdateItem (or a transaction's Update) sets or removes."""
    expression = update.get("UpdateExpression", "")
    aliases = update.get("ExpressionAttributeNames", {})
    names = set()
    for token in expression.replace(",", " ").replace("=", " ").replace("(", " ").replace(")", " ").split():
        first = token.split(".")[0].split("[")[0]
        if first.startswith("#"):
            names.add(aliases.get(first, first))
        elif first.isidentifier() and first.upper() not in ("SET", "REMOVE", "ADD", "DELETE", "IF_NOT_EXISTS", "LIST_APPEND"):
            names.add(first)
    return names


@dataclass
class Units:
    """Capacity units of one request: table writes and reads, index writes, outbox events."""

    write: float = 0.0
    read: float = 0.0
    index_write: float = 0.0
    events: int = 0
    items_written: list[str] = field(default_factory=list)

    def add(self, other: "Units") -> None:
        self.write += other.write
        self.read += other.read
        self.index_write += other.index_write
        self.events += other.events
        self.items_written += other.items_written


def put_units(item: dict, indexes: list[Index], factor: int) -> Units:
    u = Units(write=factor * write_units(item_size(item)), items_written=[kind_of(item)])
    u.index_write = sum(write_units(ix.projected_size(item)) for ix in indexes if ix.holds(item))
    u.events = int(kind_of(item) == "outbox event")
    return u


def update_units(update: dict, sizes: Sizes, indexes: list[Index], factor: int) -> Units:
    key = update.get("Key", {})
    example = sizes.example(key) or {}
    u = Units(write=factor * write_units(sizes.size(key)), items_written=[kind_of(key)])
    names = expression_names(update)
    for ix in indexes:
        if names & set(ix.keys):
            # A key that changes moves the item in the index: a delete and a put.
            u.index_write += 2 * write_units(ix.projected_size(example)) if ix.holds(example) else 1
        elif ix.holds(example) and (ix.projected is None or names & set(ix.projected)):
            u.index_write += write_units(ix.projected_size(example))
    return u


def delete_units(key: dict, sizes: Sizes, indexes: list[Index], factor: int) -> Units:
    example = sizes.example(key) or {}
    u = Units(write=factor * write_units(sizes.size(key)), items_written=[kind_of(key)])
    u.index_write = sum(write_units(ix.projected_size(example)) for ix in indexes if ix.holds(example))
    return u


def request_units(wire: list[dict], sizes: Sizes, indexes: list[Index]) -> Units:
    """The capacity units of one request from what its DynamoDB calls sent and got back."""
    total = Units()
    for call in wire:
        op, req, resp = call["operation"], call.get("request") or {}, call.get("response") or {}
        if op == "PutItem":
            total.add(put_units(req["Item"], indexes, 1))
        elif op == "UpdateItem":
            total.add(update_units(req, sizes, indexes, 1))
        elif op == "DeleteItem":
            total.add(delete_units(req["Key"], sizes, indexes, 1))
        elif op == "TransactWriteItems":
            for element in req.get("TransactItems", []):
                if "Put" in element:
                    total.add(put_units(element["Put"]["Item"], indexes, 2))
                elif "Update" in element:
                    total.add(update_units(element["Update"], sizes, indexes, 2))
                elif "Delete" in element:
                    total.add(delete_units(element["Delete"]["Key"], sizes, indexes, 2))
                elif "ConditionCheck" in element:
                    # Checked, not written: billed as a transactional write of the item's size.
                    total.write += 2 * write_units(sizes.size(element["ConditionCheck"]["Key"]))
        elif op == "BatchWriteItem":
            for requests in req.get("RequestItems", {}).values():
                for r in requests:
                    if "PutRequest" in r:
                        total.add(put_units(r["PutRequest"]["Item"], indexes, 1))
                    elif "DeleteRequest" in r:
                        total.add(delete_units(r["DeleteRequest"]["Key"], sizes, indexes, 1))
        elif op == "GetItem":
            item = resp.get("Item")
            total.read += read_units(item_size(item) if item else 0, bool(req.get("ConsistentRead")))
        elif op == "BatchGetItem":
            for table, ask in req.get("RequestItems", {}).items():
                found = resp.get("Responses", {}).get(table, [])
                consistent = bool(ask.get("ConsistentRead"))
                for item in found:
                    total.read += read_units(item_size(item), consistent)
                # A key with no item still costs the minimum read.
                total.read += max(0, len(ask.get("Keys", [])) - len(found)) * read_units(0, consistent)
        elif op == "TransactGetItems":
            for r in resp.get("Responses", []):
                total.read += 2 * read_units(item_size(r.get("Item") or {}), True)
        elif op in ("Query", "Scan"):
            items = resp.get("Items", [])
            read = sum(item_size(i) for i in items)
            # Items a filter dropped were read too.
            count, scanned = resp.get("Count", len(items)), resp.get("ScannedCount", len(items))
            if count and scanned > count:
                read = read * scanned / count
            elif not count and scanned:
                read = scanned * 100  # dropped items of unknown size: 100 bytes each
            total.read += read_units(int(read), bool(req.get("ConsistentRead")))
    return total


# ---- the usage profile ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """One line of the usage profile: `per_mau` requests of `endpoint` per active user per month."""

    name: str
    endpoint: str
    per_mau: float
    why: str


# Per monthly active user per month. The endpoints are the bench's (docs/benchmarks.md).
USAGE = [
    Use("sign-ins", "POST /api/auth/login", 4, "about once a week (a refresh token lasts 30 days, so most visits need none)"),
    Use("token refreshes", "POST /api/auth/refresh", 40, "access tokens live 15 min: ~10 per sign-in, for ~2.5 h of use a month"),
    Use("profile reads", "GET /api/users/me", 20, "the app reads the signed-in user on each visit"),
    Use("profile writes", "PATCH /api/users/me", 0.5, "one edit every other month"),
    Use("settings reads", "GET /api/users/me/settings", 2, "opening settings twice a month"),
    Use("settings writes", "PUT /api/users/me/settings", 0.2, "one change in five months"),
    Use("public profile views", "GET /api/users/{id}", 10, "other users looking at this one"),
    Use("session list views", "GET /api/users/me/sessions", 0.5, "the security page, every other month"),
    Use("activity views", "GET /api/users/me/activity", 0.5, "the same"),
    Use("sign-outs", "POST /api/auth/logout", 1, "most sessions simply expire"),
    Use("sign-ups", "POST /api/auth/register", 0.1, "10 % of a month's active users are new (one activation mail each)"),
    Use("password resets", "POST /api/auth/forgot-password", 0.05, "one user in twenty a month (one mail each)"),
    Use("API key lists", "GET /api/api-keys", 0.1, "developers only"),
    Use("API key creations", "POST /api/api-keys", 0.02, "developers only"),
    Use("subscription reads", "GET /api/subscription", 0.5, "the billing page"),
    Use("upload requests", "POST /api/uploads", 0.2, "presigned upload URLs; the files themselves are the product's data, not counted"),
    Use("upload lists", "GET /api/uploads", 0.5, ""),
]


@dataclass(frozen=True)
class Assumption:
    name: str
    value: float
    unit: str
    why: str


ASSUMPTIONS = {
    a.name: a
    for a in [
        Assumption("registered per active", 3, "registered accounts per monthly active user",
                   "accounts that exist but were not used this month (their items are stored)"),
        Assumption("live sessions", 2, "sessions per active user at any time", "a phone and a browser; sessions expire after 30 days"),
        Assumption("activity kept", 3, "months of activity entries (90-day TTL)", "docs/table-design.md"),
        Assumption("activity per month", 6, "activity entries per active user per month", "sign-ins, sign-outs, refresh-reuse checks, changes"),
        Assumption("avatar share", 0.3, "of registered users with an avatar", ""),
        Assumption("avatar bytes", 20_000, "bytes per avatar (WebP, 256 px; docs/avatars.md)", ""),
        Assumption("avatar views", 10, "avatar GETs per active user per month", "served by the users function from S3"),
        Assumption("cold share", 0.01, "of invocations that start an instance",
                   "AWS: 'INITs typically occur in under 1% of invocations' (Lambda INIT billing post, 2025)"),
        Assumption("dynamodb latency ms", 5, "ms per DynamoDB call in AWS (same region)", "single-digit ms; moto here is slower"),
        Assumption("kms latency ms", 15, "ms per KMS Sign (RSA 2048)", "an HSM signature plus the call"),
        Assumption("ses latency ms", 30, "ms per SES SendEmail", ""),
        Assumption("s3 latency ms", 15, "ms per S3 call", ""),
        Assumption("log bytes", 600, "CloudWatch log bytes per invocation", "Lambda's START/END/REPORT lines and one line of ours"),
        Assumption("kms keys", 2, "KMS keys billed a month", "the signing key ring's current and next key (README 'Rotating the signing key')"),
        Assumption("secrets per cold start", 3, "SecureString parameters decrypted per cold start", "issuer, code pepper, MFA seal key"),
        Assumption("events per invocation", 5, "outbox events per `events` function invocation",
                   "the stream hands records in batches; 5 is low for busy hours"),
    ]
}


def function_of(path: str) -> str:
    """The function API Gateway sends `path` to (template.yaml's routes)."""
    for prefix, fn in [("/api/auth", "auth"), ("/api/users", "users"), ("/api/api-keys", "api-keys"), ("/api/uploads", "uploads"),
                       ("/api/plans", "billing"), ("/api/subscription", "billing"), ("/api/admin", "admin")]:
        if path == prefix or path.startswith(prefix + "/"):
            return fn
    return "web"


SERVICE_LATENCY = {"DynamoDB": "dynamodb latency ms", "KMS": "kms latency ms", "SES": "ses latency ms", "S3": "s3 latency ms"}


@dataclass
class EndpointCost:
    """One request of an endpoint: what it consumes in AWS."""

    endpoint: str
    function: str
    memory_mb: int
    billed_ms: float
    units: Units
    operations: dict[str, float]

    def count(self, service: str, operation: str | None = None) -> float:
        return sum(v for k, v in self.operations.items() if k.split(":")[0] == service and (operation is None or k.split(":")[1] == operation))


def endpoint_costs(warm: dict, sizes: Sizes, indexes: list[Index], memory: dict[str, int]) -> dict[str, EndpointCost]:
    """Per measured endpoint: capacity units from its last request's wire, billed duration = our
    code's median time + an assumed AWS latency per call (moto's own time is not AWS's)."""
    out = {}
    for e in warm["endpoints"]:
        for call in e.get("dynamoWire", []):
            req = call.get("request") or {}
            if call["operation"] == "PutItem":
                sizes.learn(req["Item"])
            for element in req.get("TransactItems", []):
                if "Put" in element:
                    sizes.learn(element["Put"]["Item"])
        name = e["name"]
        path = name.split(" ", 1)[1]
        fn = function_of(path)
        ops = e.get("operationsPerRequest", {})
        service_ms = sum(v * ASSUMPTIONS[SERVICE_LATENCY[k.split(":")[0]]].value for k, v in ops.items() if k.split(":")[0] in SERVICE_LATENCY)
        billed = math.ceil(e["overheadMs"]["p50"] + service_ms)
        out[name] = EndpointCost(name, fn, memory.get(fn, 1024), billed, request_units(e.get("dynamoWire", []), sizes, indexes), ops)
    return out


@dataclass
class Monthly:
    """A month's bill at one MAU level, by line."""

    lines: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.lines.values())


def monthly(mau: int, costs: dict[str, EndpointCost], cold_ms: dict[str, float], sizes: Sizes, memory: dict[str, int]) -> Monthly:
    """The month's AWS bill of Accounts at `mau` active users (no free tiers applied)."""
    p = {k: v.usd for k, v in PRICES.items()}
    a = {k: v.value for k, v in ASSUMPTIONS.items()}
    invocations = gb_s = wru = rru = events = kms_sign = mails = s3_puts = 0.0
    per_fn_invocations: dict[str, float] = {}
    for use in USAGE:
        c = costs.get(use.endpoint)
        if c is None:
            continue
        n = mau * use.per_mau
        invocations += n
        per_fn_invocations[c.function] = per_fn_invocations.get(c.function, 0) + n
        gb_s += n * c.memory_mb / 1024 * c.billed_ms / 1000
        wru += n * (c.units.write + c.units.index_write)
        rru += n * c.units.read
        events += n * c.units.events
        kms_sign += n * c.count("KMS", "Sign")
        mails += n * c.count("SES")
        s3_puts += n * c.count("S3", "PutObject")
    # Avatar views: the users function reads the user item, then the object from S3 (a short
    # invocation; not in the warm bench, so priced from the assumptions).
    avatar_views = mau * a["avatar views"]
    invocations += avatar_views
    per_fn_invocations["users"] = per_fn_invocations.get("users", 0) + avatar_views
    gb_s += avatar_views * memory.get("users", 1024) / 1024 * (a["dynamodb latency ms"] + a["s3 latency ms"] + 2) / 1000
    rru += avatar_views * read_units(item_size(sizes.examples["user"]) if "user" in sizes.examples else 0, False)
    # Cold starts: a share of each function's invocations pays its measured init.
    cold_gb_s = sum(n * a["cold share"] * memory.get(fn, 1024) / 1024 * cold_ms.get(fn, 0) / 1000 for fn, n in per_fn_invocations.items())
    cold_starts = invocations * a["cold share"]
    # The events function: outbox records from the stream, relayed to EventBridge.
    events_invocations = events / a["events per invocation"]
    events_gb_s = events_invocations * memory.get("events", 256) / 1024 * (10 + 10) / 1000
    stored = stored_bytes(mau, sizes)
    avatars_gb = mau * a["registered per active"] * a["avatar share"] * a["avatar bytes"] / 1e9
    lines = {
        "Lambda requests": (invocations + events_invocations) * p["lambda_request"],
        "Lambda duration (warm)": (gb_s + events_gb_s) * p["lambda_arm_gb_second"],
        "Lambda duration (cold starts)": cold_gb_s * p["lambda_arm_gb_second"],
        "API Gateway (HTTP API)": invocations * p["apigw_http_request"],
        "DynamoDB writes (table + indexes)": wru * p["dynamodb_write_request_unit"],
        "DynamoDB reads": rru * p["dynamodb_read_request_unit"],
        "DynamoDB storage + PITR": stored / 2**30 * (p["dynamodb_storage_gb_month"] + p["dynamodb_pitr_gb_month"]),
        "KMS (token signatures, keys, secrets at cold start)": kms_sign * p["kms_rsa_sign_request"] + a["kms keys"] * p["kms_key_month"]
        + cold_starts * a["secrets per cold start"] * p["kms_symmetric_request"],
        "SES (mail)": mails * p["ses_email"],
        "S3 (avatars)": avatars_gb * p["s3_gb_month"] + avatar_views * p["s3_get_request"] + s3_puts * p["s3_put_request"],
        "EventBridge (lifecycle events)": events * p["eventbridge_custom_event"],
        "CloudWatch Logs": (invocations + events_invocations) * a["log bytes"] / 1e9 * p["cloudwatch_logs_ingest_gb"],
    }
    return Monthly(lines)


def stored_bytes(mau: int, sizes: Sizes) -> float:
    """Table bytes at `mau` active users: every registered account's items, the active ones' sessions,
    refresh tokens and activity (each item + 100 bytes of DynamoDB's per-item overhead)."""
    a = {k: v.value for k, v in ASSUMPTIONS.items()}

    def s(kind: str) -> float:
        e = sizes.examples.get(kind)
        return (item_size(e) if e else 500) + 100

    registered = mau * a["registered per active"]
    per_registered = s("user") + s("email marker") + s("username marker")
    refresh_per_month = next((u.per_mau for u in USAGE if u.endpoint == "POST /api/auth/refresh"), 0)
    per_active = (a["live sessions"] * s("session") + (refresh_per_month + a["live sessions"]) * s("refresh token")
                  + a["activity kept"] * a["activity per month"] * s("activity entry"))
    return registered * per_registered + mau * per_active


# ---- docs/cost.md --------------------------------------------------------------------------------


def cognito_bands(bands: list[tuple[float, float]]) -> str:
    """"first 10,000 free; 10,000–100,000: $0.0055; …" for a plan's bands."""
    parts, lower = [], 0
    for upper, price in bands:
        if not math.isfinite(upper):
            span = "every MAU" if lower == 0 else f"above {lower:,}"
        else:
            span = f"first {upper:,}" if lower == 0 else f"{lower:,}–{upper:,}"
        parts.append(f"{span}: {'free' if price == 0 else f'${price:g}'}")
        lower = upper
    return "; ".join(parts)


def usd(v: float) -> str:
    if v >= 100:
        return f"${v:,.0f}"
    if v >= 1:
        return f"${v:,.2f}"
    return f"${v:.4f}" if v > 0 else "$0"


def write_cost(out, warm: dict, cold: dict, items: list[dict], table_properties: dict, memory: dict[str, int], meta: dict) -> None:
    """Writes docs/cost.md (`out`, a Path) from the bench's measurements."""
    sizes = Sizes.from_items(items)
    indexes = table_indexes(table_properties)
    costs = endpoint_costs(warm, sizes, indexes, memory)
    # The init a cold start bills: the measured cold start (process start to first answer).
    cold_ms = {fn: v["coldMs"]["median"] for fn, v in cold.items() if not fn.startswith(("_", "peer-", "bench-"))}
    months = {mau: monthly(mau, costs, cold_ms, sizes, memory) for mau in MAU_LEVELS}
    lines: list[str] = []
    w = lines.append
    w("# What Accounts costs to run")
    w("")
    w("Written by `make bench` (infra/bench.py → infra/cost_model.py, prices in infra/aws_prices.py);")
    w("do not edit by hand — change an assumption or a price there and run `make bench` again. The")
    w("DynamoDB capacity, the operations per request and our code's time are measured in the same run")
    w(f"as docs/benchmarks.md ({meta['date']}, commit {meta['commit']}); everything else is a named assumption")
    w("below, so the result is only as good as the profile is like yours.")
    w("")
    if meta.get("note"):
        w(f"> **{meta['note']}**")
        w("")
    w("## The monthly bill")
    w("")
    w("US East (N. Virginia), on-demand, **no free tier applied** (AWS's always-free tiers — 1 M Lambda")
    w("requests and 400 000 GB-s, 25 GB of DynamoDB storage — would make the 10 k column smaller still).")
    w("")
    w("| | " + " | ".join(f"{m:,} MAU" for m in MAU_LEVELS) + " |")
    w("| --- | " + " | ".join("---:" for _ in MAU_LEVELS) + " |")
    for line in months[MAU_LEVELS[0]].lines:
        w(f"| {line} | " + " | ".join(usd(months[m].lines[line]) for m in MAU_LEVELS) + " |")
    w("| **Accounts, total** | " + " | ".join(f"**{usd(months[m].total)}**" for m in MAU_LEVELS) + " |")
    w("| per active user | " + " | ".join(usd(months[m].total / m) for m in MAU_LEVELS) + " |")
    for plan in COGNITO_PLANS:
        try:
            cells = [usd(cognito_monthly(plan, m)) for m in MAU_LEVELS]
        except ValueError:
            continue
        w(f"| Amazon Cognito {plan}, MAU charge alone | " + " | ".join(cells) + " |")
    w("")
    w("**Which Cognito plan matches.** Accounts has hosted sign-in pages, TOTP MFA and a breached-password")
    w("check (Pwned Passwords); passkeys, email sign-in codes and social/OIDC sign-in (SPEC §3.9–3.10) are")
    w("being built. Cognito's Essentials plan has all of those but the breached-password check, which is a")
    w("Plus feature (compromised-credential detection). So the fair comparison is **Essentials**, or **Plus**")
    w("for a team that wants the breached-password check. Lite has neither passkeys nor email codes.")
    w("")
    w("**Read the comparison fairly.** Cognito's line is its MAU charge only: a team on Cognito still pays")
    w("SES for mail beyond Cognito's small built-in quota, and for its own Lambda + DynamoDB for what")
    w("Cognito does not do (profiles, settings, uploads, billing, admin lists). Accounts' line is")
    w("everything (all of those endpoints are in the usage profile below). Neither line has data transfer")
    w("out, WAF, or support plans.")
    w("")

    w("## The usage profile (assumptions)")
    w("")
    w("Requests per **monthly active user** per month. Each row is an assumption; the cost per request")
    w("next to it is measured (the request's DynamoDB capacity from what it sent and got back, its AWS")
    w("operations, our code's median time).")
    w("")
    w("| use | endpoint | per MAU a month | function (MB) | billed ms | write units | read units | other AWS calls | why |")
    w("| --- | --- | ---: | --- | ---: | ---: | ---: | --- | --- |")
    for use in USAGE:
        c = costs.get(use.endpoint)
        if c is None:
            w(f"| {use.name} | `{use.endpoint}` | {use.per_mau:g} | not measured in this run | | | | | {use.why} |")
            continue
        other = ", ".join(f"{k.split(':')[1]} ×{v:g}" for k, v in c.operations.items() if not k.startswith("DynamoDB:")) or "–"
        wu = c.units.write + c.units.index_write
        idx = f" (indexes {c.units.index_write:g})" if c.units.index_write else ""
        w(f"| {use.name} | `{use.endpoint}` | {use.per_mau:g} | {c.function} ({c.memory_mb}) | {c.billed_ms:g} | {wu:g}{idx} | {c.units.read:g} | {other} | {use.why} |")
    w("")
    w("| assumption | value | | why |")
    w("| --- | ---: | --- | --- |")
    for a in ASSUMPTIONS.values():
        w(f"| {a.name} | {a.value:g} | {a.unit} | {a.why} |")
    w("")
    w("*Billed ms* = our code's median time in the warm bench (argon2id at OWASP parameters included where a")
    w("password is hashed) + the assumed AWS latency per call above, rounded up to the millisecond as Lambda")
    w("bills. The warm bench's own times are against moto, a Python emulator, and would overstate it. A cold")
    w("start adds the function's measured cold start (docs/benchmarks.md; x86-64 here, arm64 in AWS) to the")
    w("`cold share` of invocations; since 1 August 2025 Lambda bills the INIT phase of every runtime, and a")
    w("`provided.al2023` function (ours) always had it billed.")
    w("")
    w("Not counted: the hosted pages (`web`: a page view costs its service calls, as the JSON route, plus")
    w("rendering at 1024 MB), activation and password-reset confirmations, MFA and email-change steps, avatar")
    w("uploads (image processing), the admin console, and the hourly purge (a `Query` per queue shard and")
    w("what is due: cents a month). They are rare per user next to the rows above.")
    w("")

    w("## Item sizes (measured)")
    w("")
    w("The items the warm bench left in its table, by kind, sized with DynamoDB's rules (names + values).")
    w("A write unit covers 1 KB of an item, a read unit 4 KB: every kind below fits one write unit, so")
    w("capacity follows the number of items a request touches, not their size.")
    w("")
    w("| item | in the table | median bytes | largest bytes |")
    w("| --- | ---: | ---: | ---: |")
    for kind, st in sorted(sizes.stats.items(), key=lambda kv: -kv[1]["count"]):
        w(f"| {kind} | {st['count']} | {st['median']:g} | {st['max']} |")
    w("")
    w(f"Stored per {MAU_LEVELS[0]:,} MAU: {stored_bytes(MAU_LEVELS[0], sizes) / 2**20:.1f} MiB of table data "
      "(with DynamoDB's 100 bytes of overhead per item).")
    w("")

    w("## Prices")
    w("")
    w(f"From infra/aws_prices.py (read on {READ_ON} through a search index of stored public pages — this")
    w("machine has no web access; *seen* says where each was found and when).")
    w("")
    w("| price | USD | unit | source | seen | confirmed |")
    w("| --- | ---: | --- | --- | --- | --- |")
    for name, pr in PRICES.items():
        w(f"| {name} | {pr.usd:.10g} | {pr.unit} | {pr.source} | {pr.seen} | {pr.confirmed} |")
    for plan, bands in COGNITO_PLANS.items():
        w(f"| Cognito {plan} | | per MAU: {cognito_bands(bands)} | {COGNITO_SOURCE} | {COGNITO_SEEN} | transcribed from AWS's page |")
    w("")
    out.write_text("\n".join(lines) + "\n")
