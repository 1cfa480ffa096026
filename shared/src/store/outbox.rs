//! The transactional outbox (SPEC §3.11): `USER#<uid> / EVT#<ulid>`, one item per lifecycle
//! event, put in the same `TransactWriteItems` as the change it reports, so a change and its
//! event commit together or not at all. The table's stream carries the item's new image to the
//! `events` function, which publishes `detail` on EventBridge; the item itself is never read
//! back and expires by TTL (the purge's sweep of `USER#<uid>` removes a purged user's earlier).
//!
//! Being under the user's partition key is what orders them: DynamoDB Streams and the Lambda
//! event source mapping keep the records of one partition key in order.

use super::user_codec::user_pk;
use super::{Item, Store, key, n, s, ttl};
use crate::domain::Event;
use crate::error::Error;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

/// The sort-key prefix of outbox items (the `events` function's stream filter matches it).
pub const OUTBOX_SK_PREFIX: &str = "EVT#";
/// The item's `type` attribute (the stream filter matches it too).
pub const OUTBOX_ITEM_TYPE: &str = "outbox";
/// Outbox items outlive the stream's 24-hour retention, then TTL removes them.
pub const OUTBOX_RETENTION_SECS: i64 = 2 * 24 * 3600;

/// Attribute names of the outbox item, the contract between the store and the `events` function.
pub mod attr {
    /// The kind (`user.created`, …): the EventBridge `DetailType`.
    pub const KIND: &str = "kind";
    /// The user the event is about (the ordering key).
    pub const USER_ID: &str = "userId";
    /// The event id (`evt_…`).
    pub const EVENT_ID: &str = "eventId";
    /// The envelope's `Detail` as a JSON string.
    pub const DETAIL: &str = "detail";
}

pub(crate) fn outbox_item(event: &Event) -> Item {
    let ulid = event.id.trim_start_matches("evt_");
    let mut item = key(user_pk(&event.user_id), format!("{OUTBOX_SK_PREFIX}{ulid}"));
    item.insert("type".into(), s(OUTBOX_ITEM_TYPE));
    item.insert(attr::KIND.into(), s(event.kind.as_str()));
    item.insert(attr::USER_ID.into(), s(event.user_id.as_str()));
    item.insert(attr::EVENT_ID.into(), s(&event.id));
    item.insert(attr::DETAIL.into(), s(event.detail().to_string()));
    item.insert("ttl".into(), ttl(event.occurred_at + OUTBOX_RETENTION_SECS));
    item.insert("occurredAt".into(), n(event.occurred_at));
    item
}

/// The put of `event`'s outbox item for a transaction. The key is a fresh ULID, so the put has
/// no condition (a retried transaction whose first attempt committed is recognised by its
/// other items' conditions, as before).
pub(crate) fn outbox_put(store: &Store, event: &Event) -> Result<TransactWriteItem, Error> {
    let put = Put::builder().table_name(&store.table).set_item(Some(outbox_item(event))).build()?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The puts of `events`, in order, for a transaction.
pub(crate) fn outbox_puts(store: &Store, events: &[Event]) -> Result<Vec<TransactWriteItem>, Error> {
    events.iter().map(|e| outbox_put(store, e)).collect()
}
