//! Lifecycle events (SPEC §3.11): every kind is written to the outbox in the transaction of its
//! change, carried by the table's stream (the emulator's, read with the DynamoDB Streams API) to
//! the `events` function's relay, and published with `PutEvents` on a bus of the emulator whose
//! rule feeds a queue the test reads — the path of `make dev` and of AWS, minus Lambda's own
//! polling. Each test has its own table, bus, rule and queue.

use crate::faults::{Failure, Faults, Target, Times};
use crate::helpers::{PASSWORD, TestApp, sdk_config};
use accounts_core::domain::EventKind;
use accounts_core::services::purge;
use accounts_events::{Record, Relay};
use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_sdk_dynamodbstreams::types::{AttributeValue as StreamValue, ShardIteratorType};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// The bus, rule and queue of one test, and a reader of its table's stream.
struct Bus {
    name: String,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    streams: aws_sdk_dynamodbstreams::Client,
    stream_arn: String,
    shard: String,
    /// The last sequence number read: each read asks for a fresh iterator after it, as the
    /// event source mapping checkpoints (the emulator's iterators do not survive a cancelled
    /// transaction, which it undoes by replacing the table, stream shard included).
    last: Option<String>,
}

impl Bus {
    async fn new(t: &TestApp) -> Self {
        let sdk = sdk_config().await;
        let eventbridge = aws_sdk_eventbridge::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let name = t.table.clone();
        eventbridge.create_event_bus().name(&name).send().await.unwrap();
        let queue_url = sqs.create_queue().queue_name(&name).send().await.unwrap().queue_url.unwrap();
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        eventbridge
            .put_rule()
            .name(&name)
            .event_bus_name(&name)
            .event_pattern(json!({"source": ["accounts"]}).to_string())
            .send()
            .await
            .unwrap();
        eventbridge
            .put_targets()
            .rule(&name)
            .event_bus_name(&name)
            .targets(aws_sdk_eventbridge::types::Target::builder().id("queue").arn(queue_arn).build().unwrap())
            .send()
            .await
            .unwrap();
        let table = t.dynamo.describe_table().table_name(&t.table).send().await.unwrap().table.unwrap();
        let stream_arn = table.latest_stream_arn.expect("the test table has the template's stream");
        let streams = aws_sdk_dynamodbstreams::Client::new(&sdk);
        let shard = streams.describe_stream().stream_arn(&stream_arn).send().await.unwrap().stream_description.unwrap().shards.unwrap()[0]
            .shard_id
            .clone()
            .unwrap();
        Self { name, sqs, queue_url, streams, stream_arn, shard, last: None }
    }

    /// A relay onto this bus, through `faults` when given, with short retry delays.
    async fn relay(&self, faults: Option<&Faults>) -> Relay {
        let mut sdk = sdk_config().await;
        if let Some(f) = faults {
            sdk = sdk.to_builder().http_client(f.http_client()).build();
        }
        let mut relay = Relay::new(aws_sdk_eventbridge::Client::new(&sdk), &self.name, "accounts");
        relay.backoff = std::time::Duration::from_millis(5);
        relay
    }

    /// The stream records written since the last call, as Lambda hands them to the function.
    async fn next_batch(&mut self) -> StreamEvent {
        let request = self.streams.get_shard_iterator().stream_arn(&self.stream_arn).shard_id(&self.shard);
        let request = match &self.last {
            None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
            Some(seq) => request.shard_iterator_type(ShardIteratorType::AfterSequenceNumber).sequence_number(seq),
        };
        let iterator = request.send().await.unwrap().shard_iterator.unwrap();
        let out = self.streams.get_records().shard_iterator(iterator).send().await.unwrap();
        if let Some(last) = out.records().last().and_then(|r| r.dynamodb()).and_then(|d| d.sequence_number()) {
            self.last = Some(last.to_owned());
        }
        let records: Vec<Value> = out.records().iter().map(|r| lambda_record(r, &self.stream_arn)).collect();
        serde_json::from_value(json!({ "Records": records })).unwrap()
    }

    /// Everything the rule delivered to the queue so far: `(detail-type, detail)`, in order.
    async fn received(&self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        loop {
            let r = self.sqs.receive_message().queue_url(&self.queue_url).max_number_of_messages(10).send().await.unwrap();
            let messages = r.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for m in messages {
                let body: Value = serde_json::from_str(m.body().unwrap()).unwrap();
                assert_eq!(body["source"], "accounts");
                let detail = match &body["detail"] {
                    Value::String(s) => serde_json::from_str(s).unwrap(),
                    other => other.clone(),
                };
                out.push((body["detail-type"].as_str().unwrap().to_owned(), detail));
                self.sqs.delete_message().queue_url(&self.queue_url).receipt_handle(m.receipt_handle().unwrap()).send().await.unwrap();
            }
        }
        out
    }

    /// Relays the stream's new records with a relay without faults; returns what arrived.
    async fn relay_all(&mut self) -> Vec<(String, Value)> {
        let batch = self.next_batch().await;
        let report = self.relay(None).await.relay(&batch).await;
        assert_eq!(report.failed_from, None, "{report:?}");
        self.received().await
    }
}

/// A stream record as the Lambda event source mapping delivers it (DynamoDB JSON values).
fn lambda_record(r: &aws_sdk_dynamodbstreams::types::Record, stream_arn: &str) -> Value {
    let change = r.dynamodb().unwrap();
    let image = |m: Option<&HashMap<String, StreamValue>>| -> Value {
        Value::Object(m.into_iter().flatten().map(|(k, v)| (k.clone(), dynamo_json(v))).collect())
    };
    json!({
        "eventID": r.event_id().unwrap(),
        "eventName": r.event_name().unwrap().as_str(),
        "eventSource": "aws:dynamodb",
        "eventVersion": "1.1",
        "awsRegion": "us-east-1",
        "eventSourceARN": stream_arn,
        "dynamodb": {
            "Keys": image(change.keys()),
            "NewImage": image(change.new_image()),
            "SequenceNumber": change.sequence_number().unwrap(),
            "SizeBytes": change.size_bytes().unwrap_or(1),
            "StreamViewType": "NEW_IMAGE",
        },
    })
}

fn dynamo_json(v: &StreamValue) -> Value {
    match v {
        StreamValue::S(s) => json!({ "S": s }),
        StreamValue::N(n) => json!({ "N": n }),
        StreamValue::Bool(b) => json!({ "BOOL": b }),
        StreamValue::Null(b) => json!({ "NULL": b }),
        StreamValue::Ss(v) => json!({ "SS": v }),
        StreamValue::Ns(v) => json!({ "NS": v }),
        StreamValue::L(v) => json!({ "L": v.iter().map(dynamo_json).collect::<Vec<_>>() }),
        StreamValue::M(m) => json!({ "M": m.iter().map(|(k, v)| (k.clone(), dynamo_json(v))).collect::<serde_json::Map<_, _>>() }),
        _ => json!({ "NULL": true }),
    }
}

/// The outbox events among stream records: `(userId, kind, event id)`, in stream order.
fn outbox(batch: &StreamEvent) -> Vec<(String, String, String)> {
    batch
        .records
        .iter()
        .filter_map(|r| match accounts_events::parse(r) {
            Record::Event(e) => Some((e.user_id, e.kind, e.event_id)),
            _ => None,
        })
        .collect()
}

fn kinds_of(received: &[(String, Value)], user: &str) -> Vec<String> {
    received.iter().filter(|(_, d)| d["userId"] == user).map(|(k, _)| k.clone()).collect()
}

use crate::credentials::admin;

fn tick(t: &TestApp, secs: i64) {
    t.clock.advance(time::Duration::seconds(secs));
}

#[tokio::test]
async fn every_kind_is_published_once_per_change_in_order_per_user() {
    let t = TestApp::spawn_with_stream().await;
    let mut bus = Bus::new(&t).await;

    // A: self-service, from sign-up to recovery.
    let a = t.user().await;
    t.call("PATCH", "/api/users/me", Some(json!({"name": "Ada Lovelace", "preferences": {"theme": "dark"}})), Some(&a.access))
        .await
        .assert(200, None);
    let new_password = "Analytical-Engine-1843";
    t.call(
        "PUT",
        "/api/users/me/password",
        Some(json!({"currentPassword": PASSWORD, "newPassword": new_password, "confirmPassword": new_password})),
        Some(&a.access),
    )
    .await
    .assert(200, None);
    let r = t.post("/api/users/me/mfa/totp", json!({"password": new_password}), Some(&a.access)).await;
    r.assert(200, None);
    let secret = r.data()["secret"].as_str().unwrap().to_owned();
    t.post("/api/users/me/mfa/totp/verify", json!({"code": crate::mfa::code_at(&t, &secret)}), Some(&a.access)).await.assert(200, None);
    tick(&t, 31);
    t.call(
        "DELETE",
        "/api/users/me/mfa",
        Some(json!({"password": new_password, "code": crate::mfa::code_at(&t, &secret)})),
        Some(&a.access),
    )
    .await
    .assert(200, None);
    let key = t.post("/api/api-keys", json!({"name": "ci", "scopes": ["read"]}), Some(&a.access)).await;
    key.assert(201, None);
    let key_id = key.data()["id"].as_str().unwrap().to_owned();
    let key_secret = key.data()["keySecret"].as_str().unwrap().to_owned();
    t.call("DELETE", &format!("/api/api-keys/{key_id}"), None, Some(&a.access)).await.assert(204, None);
    t.login(&a.username, new_password).await.assert(200, None);
    let sessions = t.get("/api/users/me/sessions", Some(&a.access)).await;
    let other = sessions.data().as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();
    t.call("DELETE", &format!("/api/users/me/sessions/{other}"), None, Some(&a.access)).await.assert(204, None);
    t.post("/api/subscription", json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa"}), Some(&a.access)).await.assert(201, None);
    let new_email = format!("new-{}", a.email);
    t.post("/api/users/me/email", json!({"newEmail": new_email, "password": new_password}), Some(&a.access)).await.assert(202, None);
    let token = t.mailed_token(&new_email).await;
    t.post("/api/auth/confirm-email", json!({"token": token}), None).await.assert(200, None);
    let deleted = t
        .call("DELETE", "/api/users/me", Some(json!({"password": new_password, "confirmation": "DELETE_MY_ACCOUNT"})), Some(&a.access))
        .await;
    deleted.assert(200, None);
    let recovery = deleted.data()["recoveryCode"].as_str().unwrap().to_owned();
    t.post("/api/users/recover", json!({"email": new_email, "recoveryCode": recovery}), None).await.assert(200, None);

    // B: everything an admin does to an account, then the purge.
    let boss = admin(&t).await;
    let (username, email) = t.new_identity();
    let created = t
        .post(
            "/api/admin/users",
            json!({"username": username, "email": email, "password": PASSWORD, "role": "user", "emailVerified": true}),
            Some(&boss.access),
        )
        .await;
    created.assert(201, None);
    let b = created.data()["id"].as_str().unwrap().to_owned();
    let at = |p: &str| format!("/api/admin/users/{b}{p}");
    t.call("PATCH", &at(""), Some(json!({"role": "donator", "fullName": "Bea"})), Some(&boss.access)).await.assert(200, None);
    t.post(&at("/ban"), json!({"banReason": "spam"}), Some(&boss.access)).await.assert(200, None);
    t.post(&at("/unban"), json!({}), Some(&boss.access)).await.assert(204, None);
    t.call("DELETE", &at(""), None, Some(&boss.access)).await.assert(200, None);
    t.post(&at("/restore"), json!({}), Some(&boss.access)).await.assert(200, None);
    t.call("DELETE", &at(""), None, Some(&boss.access)).await.assert(200, None);
    tick(&t, 8 * 86_400);
    let report = purge::run(&t.app, || false).await.unwrap();
    assert_eq!(report.deleted, 1, "{report:?}");

    let expected_a = [
        "user.created",
        "user.activated",
        "user.updated",
        "user.password_changed",
        "user.mfa_enabled",
        "user.mfa_disabled",
        "apikey.created",
        "apikey.revoked",
        "session.revoked",
        "user.plan_changed",
        "user.email_changed",
        "user.deletion_scheduled",
        "user.restored",
    ];
    let expected_b = [
        "user.created",
        "user.updated",
        "user.role_changed",
        "user.banned",
        "user.unbanned",
        "user.deletion_scheduled",
        "user.restored",
        "user.deletion_scheduled",
        "user.purged",
    ];

    // The stream carries each change's event once, in the order of the changes.
    let batch = bus.next_batch().await;
    let written = outbox(&batch);
    let of = |user: &str| written.iter().filter(|(u, ..)| u == user).map(|(_, k, _)| k.as_str()).collect::<Vec<_>>();
    assert_eq!(of(&a.id), expected_a);
    assert_eq!(of(&b), expected_b);
    assert_eq!(of(&boss.id), ["user.created"], "the bootstrap admin's creation");

    // Published: exactly those, each once, in order per user; every kind of SPEC §3.11 among them.
    let relay = bus.relay(None).await;
    let report = relay.relay(&batch).await;
    assert_eq!(report.failed_from, None, "{report:?}");
    assert_eq!(report.published, written.len());
    assert!(report.skipped > 0, "the other writes of the table are not events");
    let received = bus.received().await;
    assert_eq!(kinds_of(&received, &a.id), expected_a);
    assert_eq!(kinds_of(&received, &b), expected_b);
    assert_eq!(received.len(), written.len());
    let ids: HashSet<&str> = received.iter().map(|(_, d)| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), received.len(), "ids are unique");
    let kinds: HashSet<&str> = received.iter().map(|(k, _)| k.as_str()).collect();
    for kind in EventKind::ALL {
        assert!(kinds.contains(kind.as_str()), "{} was never published", kind.as_str());
    }

    // The envelope, and what a few kinds carry (docs/events.md).
    for (kind, d) in &received {
        assert_eq!(d["type"], kind.as_str());
        assert!(d["id"].as_str().unwrap().starts_with("evt_"), "{d}");
        assert!(d["occurredAt"].as_str().unwrap().ends_with('Z'), "{d}");
        assert!(d["data"].is_object(), "{d}");
    }
    let detail = |user: &str, kind: &str| received.iter().find(|(k, d)| k == kind && d["userId"] == user).unwrap().1.clone();
    let created_a = detail(&a.id, "user.created");
    assert_eq!(created_a["data"]["email"], a.email);
    assert!(created_a.get("actor").is_none(), "a sign-up has no actor: {created_a}");
    assert_eq!(detail(&a.id, "user.updated")["data"]["changes"], json!({"name": "Ada Lovelace", "preferences": {"theme": "dark"}}));
    assert_eq!(detail(&a.id, "user.email_changed")["data"]["email"], new_email);
    assert_eq!(detail(&a.id, "user.plan_changed")["data"]["to"], "PREMIUM");
    assert_eq!(detail(&a.id, "apikey.created")["data"]["keyId"], key_id);
    assert_eq!(detail(&a.id, "session.revoked")["data"]["sessionId"], other);
    assert_eq!(detail(&b, "user.role_changed")["data"], json!({"from": "user", "to": "donator"}));
    assert_eq!(detail(&b, "user.banned")["actor"], boss.id);
    assert_eq!(detail(&b, "user.banned")["data"], json!({"until": null, "reason": "spam"}));

    // Never a secret: no password, hash, token, code or key secret in any event.
    let all = serde_json::to_string(&received.iter().map(|(_, d)| d).collect::<Vec<_>>()).unwrap();
    for secret in [PASSWORD, new_password, key_secret.as_str(), recovery.as_str(), secret.as_str(), token.as_str(), "argon2"] {
        assert!(!all.contains(secret), "an event carries a secret ({secret})");
    }
}

#[tokio::test]
async fn a_change_that_fails_writes_no_event() {
    let t = TestApp::spawn_with_stream().await;
    let mut bus = Bus::new(&t).await;
    let u = t.user().await;
    let before = outbox(&bus.next_batch().await);
    assert_eq!(before.len(), 2, "created and activated: {before:?}");

    // A sign-up whose transaction is cancelled (the address is taken), a revocation of a session
    // that does not exist, an MFA disable with MFA off, a key revoked twice: no events.
    let (other, _) = t.new_identity();
    t.register(&other, &u.email, PASSWORD).await.assert(409, Some("EMAIL_TAKEN"));
    let ghost = format!("ses_{}", ulid::Ulid::new());
    t.call("DELETE", &format!("/api/users/me/sessions/{ghost}"), None, Some(&u.access)).await.assert(404, Some("NOT_FOUND"));
    let key = t.post("/api/api-keys", json!({"name": "once"}), Some(&u.access)).await;
    key.assert(201, None);
    let key_path = format!("/api/api-keys/{}", key.data()["id"].as_str().unwrap());
    t.call("DELETE", &key_path, None, Some(&u.access)).await.assert(204, None);
    t.call("DELETE", &key_path, None, Some(&u.access)).await.assert(204, None);
    let empty_patch = t.call("PATCH", "/api/users/me", Some(json!({})), Some(&u.access)).await;
    empty_patch.assert(200, None);

    let after = outbox(&bus.next_batch().await);
    let kinds: Vec<&str> = after.iter().map(|(_, k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["apikey.created", "apikey.revoked"], "only the changes that happened");
    assert!(after.iter().all(|(user, ..)| *user == u.id));
}

#[tokio::test]
async fn a_relay_that_fails_half_a_batch_resends_only_that_half_and_loses_nothing() {
    let t = TestApp::spawn_with_stream().await;
    let mut bus = Bus::new(&t).await;
    // Eight users: eight user.created, one per user, so one PutEvents call takes all eight.
    for _ in 0..8 {
        let (username, email) = t.new_identity();
        t.register(&username, &email, PASSWORD).await.assert(201, None);
    }
    let batch = bus.next_batch().await;
    let written = outbox(&batch);
    assert_eq!(written.len(), 8);

    let faults = Faults::default();
    let rule = faults.inject(Target::EventBridge("PutEvents"), Failure::HalfOfTheEntries, Times::First(1));
    let report = bus.relay(Some(&faults)).await.relay(&batch).await;
    assert_eq!(rule.failures(), 1);
    assert_eq!(rule.attempts(), 2, "one call for the eight, one for the four that failed");
    assert_eq!(report.calls, 2);
    assert_eq!(report.retried, 4, "only the failed half is sent again");
    assert_eq!(report.published, 8);
    assert_eq!(report.failed_from, None);

    let received = bus.received().await;
    let mut ids: Vec<&str> = received.iter().map(|(_, d)| d["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let mut expected: Vec<&str> = written.iter().map(|(.., id)| id.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected, "each event arrives once: nothing lost, nothing sent twice");
}

#[tokio::test]
async fn what_cannot_be_published_is_reported_so_the_stream_is_retried_from_it() {
    let t = TestApp::spawn_with_stream().await;
    let mut bus = Bus::new(&t).await;
    let first = t.unactivated_user().await;
    let second = t.unactivated_user().await;
    let batch = bus.next_batch().await;

    // The bus refuses every call: the first outbox record is reported, nothing is lost
    // (Lambda redelivers from it; after its retries it goes to the mapping's DLQ).
    let faults = Faults::default();
    faults.inject(Target::EventBridge("PutEvents"), Failure::ServerError, Times::Always);
    let mut failing = bus.relay(Some(&faults)).await;
    failing.attempts = 2;
    let report = failing.relay(&batch).await;
    let first_outbox = batch.records.iter().find(|r| matches!(accounts_events::parse(r), Record::Event(_))).unwrap();
    assert_eq!(report.failed_from.as_deref(), first_outbox.change.sequence_number.as_deref());
    assert_eq!(report.published, 0);
    let response = serde_json::to_value(report.response()).unwrap();
    assert_eq!(response["batchItemFailures"][0]["itemIdentifier"], first_outbox.change.sequence_number.clone().unwrap());
    assert!(bus.received().await.is_empty());

    // The redelivered batch goes through once the bus is back.
    let report = bus.relay(None).await.relay(&batch).await;
    assert_eq!(report.failed_from, None);
    let received = bus.received().await;
    assert_eq!(kinds_of(&received, &first.id), ["user.created"]);
    assert_eq!(kinds_of(&received, &second.id), ["user.created"]);

    // A poison record (an outbox item whose detail is not JSON) is reported at once, and the
    // same user's later events wait behind it; other users' events are published.
    let poisoned = format!("USER#{}", second.id);
    let item = HashMap::from([
        ("pk".to_owned(), aws_sdk_dynamodb::types::AttributeValue::S(poisoned)),
        ("sk".to_owned(), aws_sdk_dynamodb::types::AttributeValue::S(format!("EVT#{}", ulid::Ulid::new()))),
        ("type".to_owned(), aws_sdk_dynamodb::types::AttributeValue::S("outbox".into())),
        ("kind".to_owned(), aws_sdk_dynamodb::types::AttributeValue::S("user.updated".into())),
        ("userId".to_owned(), aws_sdk_dynamodb::types::AttributeValue::S(second.id.clone())),
        ("eventId".to_owned(), aws_sdk_dynamodb::types::AttributeValue::S("evt_broken".into())),
        ("detail".to_owned(), aws_sdk_dynamodb::types::AttributeValue::S("{not json".into())),
    ]);
    t.dynamo.put_item().table_name(&t.table).set_item(Some(item)).send().await.unwrap();
    t.post("/api/auth/activate", json!({"code": t.activation_code(&second.email).await}), Some(&second.access)).await.assert(200, None);
    t.post("/api/auth/activate", json!({"code": t.activation_code(&first.email).await}), Some(&first.access)).await.assert(200, None);
    let batch = bus.next_batch().await;
    let poison_seq =
        batch.records.iter().find(|r| matches!(accounts_events::parse(r), Record::Poison { .. })).unwrap().change.sequence_number.clone();
    let report = bus.relay(None).await.relay(&batch).await;
    assert_eq!(report.poison, 1);
    assert_eq!(report.failed_from, poison_seq);
    let received = bus.received().await;
    assert_eq!(kinds_of(&received, &first.id), ["user.activated"]);
    assert!(kinds_of(&received, &second.id).is_empty(), "the poisoned user's later event does not overtake it");
}

#[tokio::test]
async fn duplicate_delivery_is_harmless_to_a_consumer_that_deduplicates_by_id() {
    let t = TestApp::spawn_with_stream().await;
    let mut bus = Bus::new(&t).await;
    let u = t.user().await;
    t.call("PATCH", "/api/users/me", Some(json!({"bio": "hello"})), Some(&u.access)).await.assert(200, None);
    let batch = bus.next_batch().await;

    // A response lost after the bus accepted the call (the SDK sends it again), then the whole
    // batch delivered a second time (as Lambda does after a reported failure).
    let faults = Faults::default();
    faults.inject(Target::EventBridge("PutEvents"), Failure::LoseResponse, Times::First(1));
    assert_eq!(bus.relay(Some(&faults)).await.relay(&batch).await.failed_from, None);
    assert_eq!(bus.relay(None).await.relay(&batch).await.failed_from, None);
    let received = bus.received().await;
    assert!(received.len() >= 6, "three events, each delivered at least twice: {}", received.len());

    // The consumer keeps the first of each id: the same three events, in order, identical copies.
    let mut seen: HashMap<String, Value> = HashMap::new();
    let mut kept = Vec::new();
    for (kind, detail) in &received {
        let id = detail["id"].as_str().unwrap().to_owned();
        match seen.get(&id) {
            Some(first) => assert_eq!(first, detail, "a duplicate is the same event"),
            None => {
                seen.insert(id, detail.clone());
                kept.push(kind.as_str());
            }
        }
    }
    assert_eq!(kept, ["user.created", "user.activated", "user.updated"]);
}

#[tokio::test]
async fn user_purged_carries_nothing_personal() {
    let t = TestApp::spawn_with_stream().await;
    let mut bus = Bus::new(&t).await;
    let u = t.user().await;
    t.call("PATCH", "/api/users/me", Some(json!({"name": "Grace Hopper", "location": "Arlington"})), Some(&u.access))
        .await
        .assert(200, None);
    t.call(
        "DELETE",
        "/api/users/me",
        Some(json!({"password": PASSWORD, "confirmation": "DELETE_MY_ACCOUNT", "reason": "moving on"})),
        Some(&u.access),
    )
    .await
    .assert(200, None);
    // And one that was never activated.
    let (username, email) = t.new_identity();
    let lazy = t.register(&username, &email, PASSWORD).await;
    let lazy_id = lazy.data()["id"].as_str().unwrap().to_owned();
    tick(&t, 8 * 86_400);
    let report = purge::run(&t.app, || false).await.unwrap();
    assert_eq!((report.deleted, report.unverified), (1, 1), "{report:?}");

    let received = bus.relay_all().await;
    for (user, reason, personal) in [
        (&u.id, "deletion", vec![u.username.as_str(), u.email.as_str(), "Grace", "Arlington", "moving on"]),
        (&lazy_id, "unverified", vec![username.as_str(), email.as_str()]),
    ] {
        let purged: Vec<&Value> = received.iter().filter(|(k, d)| k == "user.purged" && d["userId"] == **user).map(|(_, d)| d).collect();
        assert_eq!(purged.len(), 1);
        let text = purged[0].to_string();
        assert_eq!(purged[0]["data"], json!({"reason": reason}));
        assert_eq!(purged[0]["actor"], "system");
        for p in personal {
            assert!(!text.contains(p), "user.purged carries {p}: {text}");
        }
    }
    // And the purge removed the user's outbox items with the rest of the account.
    let left: Vec<_> = t
        .all_items()
        .await
        .into_iter()
        .filter(|i| i.get("type").and_then(|v| v.as_s().ok()).map(String::as_str) == Some("outbox"))
        .collect();
    assert!(left.is_empty(), "outbox items of purged users remain: {}", left.len());
}
