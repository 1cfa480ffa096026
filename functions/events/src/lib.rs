//! The `events` function (SPEC §3.11): DynamoDB Streams → EventBridge.
//!
//! The HTTP functions write each lifecycle event as an outbox item (`USER#<uid> / EVT#<ulid>`,
//! `accounts_core::store::outbox`) in the same transaction as the change it reports. The
//! table's stream delivers the item's new image here (the event source mapping's filter passes
//! only outbox inserts), and [`Relay::relay`] publishes its `detail` with `PutEvents`:
//!
//! - **batched**: at most 10 entries per call (the API's limit);
//! - **ordered per user**: a call holds at most one event per user, and a user's next event is
//!   put only after the previous one was accepted, so a user's events reach the bus in the
//!   order their changes committed (the stream keeps that order per partition key);
//! - **partial failures retried**: only the entries `PutEvents` reports failed are sent again
//!   (with backoff, [`Relay::attempts`] times); what is still unpublished then — and a record
//!   that can never be published (a poison record) — is reported back with
//!   `ReportBatchItemFailures`, so Lambda retries the stream from the first such record and,
//!   once its retries are used up, sends the batch's description to the mapping's SQS
//!   on-failure destination (the dead-letter queue) and moves on;
//! - **at least once**: a retried stream batch re-sends events already published after the
//!   failed one; consumers de-duplicate by `detail.id`.
//!
//! The outbox item is never read or deleted here: it expires by TTL. Nothing personal is
//! logged (ids, kinds and counts only).

pub mod config;

use accounts_core::domain::EventKind;
use accounts_core::store::outbox::{OUTBOX_ITEM_TYPE, OUTBOX_SK_PREFIX, attr};
use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde_dynamo::AttributeValue;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

pub use config::EventsConfig;

/// `PutEvents` takes at most 10 entries.
pub const MAX_ENTRIES_PER_CALL: usize = 10;
/// An entry (source, detail type, detail, bus) may not exceed 256 KiB.
const MAX_ENTRY_BYTES: usize = 256 * 1024;

/// One outbox event read from a stream record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// The record's stream sequence number (what `ReportBatchItemFailures` names).
    pub sequence: String,
    pub user_id: String,
    pub event_id: String,
    pub kind: String,
    /// The envelope's `Detail`, a JSON object as a string.
    pub detail: String,
}

/// What a stream record is to the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Not an outbox insert (another item, a change, a TTL removal): nothing to publish.
    NotOurs,
    Event(OutboxEvent),
    /// An outbox insert that can never be published (missing attributes, a detail that is not a
    /// JSON object, an unknown kind, too large): reported as failed so that it ends in the DLQ.
    Poison {
        sequence: String,
        why: &'static str,
    },
}

fn string(image: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    match image.get(name) {
        Some(AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Reads one stream record.
pub fn parse(record: &EventRecord) -> Record {
    let keys: &HashMap<String, AttributeValue> = &record.change.keys;
    let is_outbox_key = string(keys, "sk").is_some_and(|sk| sk.starts_with(OUTBOX_SK_PREFIX));
    if record.event_name != "INSERT" || !is_outbox_key {
        return Record::NotOurs;
    }
    let sequence = record.change.sequence_number.clone().unwrap_or_else(|| record.event_id.clone());
    let image: &HashMap<String, AttributeValue> = &record.change.new_image;
    if string(image, "type").as_deref() != Some(OUTBOX_ITEM_TYPE) {
        return Record::NotOurs;
    }
    let poison = |why| Record::Poison { sequence: sequence.clone(), why };
    let (Some(user_id), Some(event_id), Some(kind), Some(detail)) =
        (string(image, attr::USER_ID), string(image, attr::EVENT_ID), string(image, attr::KIND), string(image, attr::DETAIL))
    else {
        return poison("an attribute of the outbox item is missing");
    };
    if EventKind::parse(&kind).is_none() {
        return poison("unknown event kind");
    }
    match serde_json::from_str::<serde_json::Value>(&detail) {
        Ok(serde_json::Value::Object(_)) => {}
        _ => return poison("the detail is not a JSON object"),
    }
    if detail.len() + kind.len() + 512 > MAX_ENTRY_BYTES {
        return poison("the event is larger than an EventBridge entry may be");
    }
    Record::Event(OutboxEvent { sequence, user_id, event_id, kind, detail })
}

/// The outcome of one stream batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Events the bus accepted.
    pub published: usize,
    /// Records that were not outbox inserts.
    pub skipped: usize,
    /// Entries sent again after `PutEvents` reported them failed.
    pub retried: usize,
    /// Poison records.
    pub poison: usize,
    /// `PutEvents` calls made.
    pub calls: usize,
    /// The sequence number of the first record not published (`None`: the batch is done).
    pub failed_from: Option<String>,
}

impl Report {
    /// The answer to Lambda: the first unpublished record, from which the stream is retried.
    pub fn response(&self) -> DynamoDbEventResponse {
        let mut response = DynamoDbEventResponse::default();
        if let Some(sequence) = &self.failed_from {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence.clone());
            response.batch_item_failures.push(failure);
        }
        response
    }
}

/// Publishes outbox events on one bus.
#[derive(Debug, Clone)]
pub struct Relay {
    client: aws_sdk_eventbridge::Client,
    bus: String,
    source: String,
    /// Attempts per event within one invocation (the first one and the retries).
    pub attempts: u32,
    /// The first retry's delay (doubled for each further one).
    pub backoff: Duration,
}

impl Relay {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>, source: impl Into<String>) -> Self {
        Self { client, bus: bus.into(), source: source.into(), attempts: 4, backoff: Duration::from_millis(100) }
    }

    fn entry(&self, event: &OutboxEvent) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(&self.source)
            .detail_type(&event.kind)
            .detail(&event.detail)
            .build()
    }

    /// Publishes the outbox events of one stream batch (module docs: batching, order, retries).
    pub async fn relay(&self, event: &Event) -> Report {
        let mut report = Report::default();
        // Index in the batch of the first record that is not published, when there is one.
        let mut first_unpublished: Option<usize> = None;
        let mark = |slot: &mut Option<usize>, i: usize| *slot = Some(slot.map_or(i, |s| s.min(i)));
        let mut order: Vec<String> = Vec::new();
        let mut queues: HashMap<String, VecDeque<(usize, OutboxEvent)>> = HashMap::new();
        for (i, record) in event.records.iter().enumerate() {
            match parse(record) {
                Record::NotOurs => report.skipped += 1,
                Record::Poison { sequence, why } => {
                    tracing::error!(sequence = %sequence, why, "poison outbox record: reported as failed (goes to the DLQ after retries)");
                    report.poison += 1;
                    mark(&mut first_unpublished, i);
                }
                Record::Event(e) => {
                    if !queues.contains_key(&e.user_id) {
                        order.push(e.user_id.clone());
                    }
                    queues.entry(e.user_id.clone()).or_default().push_back((i, e));
                }
            }
        }
        // A user whose event failed waits (its later events too); a poison record of a user
        // stops that user's later events as well, so none of them overtakes it.
        for (i, record) in event.records.iter().enumerate() {
            if let Record::Poison { .. } = parse(record)
                && let Some(AttributeValue::S(user)) = record.change.new_image.get(attr::USER_ID)
                && let Some(queue) = queues.get_mut(user)
            {
                queue.retain(|(j, _)| *j < i);
            }
        }
        let mut failures: HashMap<String, u32> = HashMap::new();
        let mut round = 0u32;
        loop {
            let heads: Vec<(usize, OutboxEvent)> = order
                .iter()
                .filter(|u| failures.get(*u).copied().unwrap_or(0) < self.attempts)
                .filter_map(|u| queues.get(u).and_then(|q| q.front()).cloned())
                .collect();
            if heads.is_empty() {
                break;
            }
            let mut any_failed = false;
            for chunk in heads.chunks(MAX_ENTRIES_PER_CALL) {
                let entries: Vec<PutEventsRequestEntry> = chunk.iter().map(|(_, e)| self.entry(e)).collect();
                report.calls += 1;
                let accepted: Vec<bool> = match self.client.put_events().set_entries(Some(entries)).send().await {
                    Ok(out) => {
                        let results = out.entries();
                        (0..chunk.len())
                            .map(|k| {
                                let result = results.get(k);
                                let ok = result.is_some_and(|r| r.error_code().is_none() && r.event_id().is_some());
                                if !ok {
                                    let code = result.and_then(|r| r.error_code()).unwrap_or("no result");
                                    tracing::warn!(event = %chunk[k].1.event_id, code, "PutEvents entry failed; retrying");
                                }
                                ok
                            })
                            .collect()
                    }
                    Err(e) => {
                        tracing::warn!(error = format!("{:#}", anyhow::Error::new(e)), entries = chunk.len(), "PutEvents failed; retrying");
                        vec![false; chunk.len()]
                    }
                };
                for ((i, e), ok) in chunk.iter().zip(accepted) {
                    if ok {
                        report.published += 1;
                        if let Some(q) = queues.get_mut(&e.user_id) {
                            q.pop_front();
                        }
                        failures.remove(&e.user_id);
                    } else {
                        any_failed = true;
                        let n = failures.entry(e.user_id.clone()).or_default();
                        *n += 1;
                        if *n < self.attempts {
                            report.retried += 1;
                        } else {
                            tracing::error!(event = %e.event_id, kind = %e.kind, "event not published after retries; the stream is retried from it");
                            mark(&mut first_unpublished, *i);
                        }
                    }
                }
            }
            if any_failed {
                tokio::time::sleep(self.backoff.saturating_mul(1 << round.min(6))).await;
                round += 1;
            }
        }
        report.failed_from = first_unpublished.map(|i| sequence_of(&event.records[i]));
        tracing::info!(
            records = event.records.len(),
            published = report.published,
            skipped = report.skipped,
            retried = report.retried,
            poison = report.poison,
            calls = report.calls,
            failed = report.failed_from.is_some(),
            "stream batch relayed"
        );
        report
    }
}

fn sequence_of(record: &EventRecord) -> String {
    record.change.sequence_number.clone().unwrap_or_else(|| record.event_id.clone())
}

/// The function: configuration, the EventBridge client (the project's SDK retry and timeout
/// settings), then the runtime, relaying each stream batch and answering with its failures.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    let config = match EventsConfig::from_env() {
        Ok(c) => c,
        Err(e) => {
            accounts_core::app::init_logging("info", accounts_core::config::LogFormat::Json);
            tracing::error!(error = %e, "start-up failed");
            return Err(e.into());
        }
    };
    // JSON lines like every function (LOG_FORMAT is read by the HTTP functions only).
    accounts_core::app::init_logging(&config.log_level, accounts_core::config::LogFormat::Json);
    let mut loader = accounts_core::app::sdk_settings(aws_config::defaults(aws_config::BehaviorVersion::latest()));
    if let Some(url) = &config.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let sdk = loader.load().await;
    let relay = std::sync::Arc::new(Relay::new(aws_sdk_eventbridge::Client::new(&sdk), &config.bus_name, &config.source));
    let run = lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<Event>| {
        let relay = relay.clone();
        async move { Ok::<_, lambda_runtime::Error>(relay.relay(&event.payload).await.response()) }
    }));
    tracing::Instrument::instrument(run, tracing::info_span!("function", function = %config.function_name)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(event_name: &str, sk: &str, image: serde_json::Value) -> EventRecord {
        serde_json::from_value(json!({
            "eventID": "e1", "eventName": event_name, "awsRegion": "us-east-1",
            "dynamodb": {"Keys": {"pk": {"S": "USER#usr_1"}, "sk": {"S": sk}}, "NewImage": image, "SequenceNumber": "42", "SizeBytes": 1},
        }))
        .unwrap()
    }

    fn outbox_image(kind: &str, detail: &str) -> serde_json::Value {
        json!({"type": {"S": "outbox"}, "userId": {"S": "usr_1"}, "eventId": {"S": "evt_1"}, "kind": {"S": kind}, "detail": {"S": detail}})
    }

    #[test]
    fn only_outbox_inserts_are_events() {
        let good = outbox_image("user.created", r#"{"id":"evt_1"}"#);
        match parse(&record("INSERT", "EVT#01", good.clone())) {
            Record::Event(e) => assert_eq!((e.sequence.as_str(), e.kind.as_str(), e.user_id.as_str()), ("42", "user.created", "usr_1")),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse(&record("MODIFY", "EVT#01", good.clone())), Record::NotOurs, "a retried put rewrites; no second event");
        assert_eq!(parse(&record("REMOVE", "EVT#01", json!({}))), Record::NotOurs, "TTL removals");
        assert_eq!(parse(&record("INSERT", "PROFILE", json!({"type": {"S": "user"}}))), Record::NotOurs);
    }

    #[test]
    fn an_outbox_insert_that_cannot_be_published_is_poison() {
        for image in [
            outbox_image("user.created", "{not json"),
            outbox_image("user.created", "[1, 2]"),
            outbox_image("user.nonsense", "{}"),
            json!({"type": {"S": "outbox"}, "userId": {"S": "usr_1"}}),
            outbox_image("user.created", &format!(r#"{{"x":"{}"}}"#, "a".repeat(MAX_ENTRY_BYTES))),
        ] {
            assert!(matches!(parse(&record("INSERT", "EVT#01", image)), Record::Poison { .. }));
        }
    }

    #[test]
    fn a_reported_failure_names_the_first_unpublished_record() {
        let report = Report { failed_from: Some("42".into()), ..Report::default() };
        let response = serde_json::to_value(report.response()).unwrap();
        assert_eq!(response, json!({"batchItemFailures": [{"itemIdentifier": "42"}]}));
        assert_eq!(serde_json::to_value(Report::default().response()).unwrap(), json!({"batchItemFailures": []}));
    }
}
