//! Usage counters: on the user item (storage and upload totals, bytes per kind) and one item
//! per user per UTC day (`USER#<id> / DAY#<yyyy-mm-dd>`: uploads, downloads, deletions and their
//! bytes, completed uploads per kind). Every change is an `ADD` inside the transaction of the
//! action it counts, so the numbers never drift from the records; reading a period is one
//! `Query` on the sort key range, never a look at the records themselves.

use super::user_codec::{PROFILE, user_pk};
use super::{Item, Store, get_n, get_s, key, n, s, ttl};
use crate::domain::{DayUsage, UploadKind, UsageCounters, UserId, day_string, parse_day};
use crate::error::Error;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use std::collections::HashMap;
use time::Date;

/// Day items are kept a little over a year (the longest period a client can ask for is `1y`).
pub const DAY_RETENTION_SECS: i64 = 400 * 86_400;

// User-item counter attributes.
pub(crate) const STORAGE_USED: &str = "storageUsed";
pub(crate) const STORAGE_COMMITTED: &str = "storageCommitted";
pub(crate) const UPLOADS_COUNT: &str = "uploadsCount";
pub(crate) const UPLOADS_COMMITTED: &str = "uploadsCommitted";
pub(crate) const UPLOADS_TOTAL: &str = "uploadsTotal";
/// Active API keys: moved by the api-keys store (`ADD` with the key), read here for plan limits.
pub(crate) const API_KEYS_ACTIVE: &str = "activeKeys";

fn kind_suffix(kind: UploadKind) -> &'static str {
    match kind {
        UploadKind::Documents => "Documents",
        UploadKind::Images => "Images",
        UploadKind::Videos => "Videos",
        UploadKind::Audio => "Audio",
        UploadKind::Other => "Other",
    }
}

/// The user-item attribute with the bytes stored of `kind` (`bytesImages`).
pub(crate) fn bytes_attr(kind: UploadKind) -> String {
    format!("bytes{}", kind_suffix(kind))
}

pub(crate) fn counters_from_item(item: &Item) -> UsageCounters {
    let get = |name: &str| get_n(item, name).unwrap_or(0);
    let mut bytes_by_kind = [0; 5];
    for kind in UploadKind::ALL {
        bytes_by_kind[kind.index()] = get(&bytes_attr(kind));
    }
    UsageCounters {
        storage_used: get(STORAGE_USED),
        storage_committed: get(STORAGE_COMMITTED),
        uploads_count: get(UPLOADS_COUNT),
        uploads_committed: get(UPLOADS_COMMITTED),
        uploads_total: get(UPLOADS_TOTAL),
        bytes_by_kind,
        api_keys_active: get(API_KEYS_ACTIVE),
    }
}

/// A change to the user item's counters: the counters' own shape, any field negative.
pub(crate) type CounterDelta = UsageCounters;

impl CounterDelta {
    /// `ADD` clauses and their values (`:c0`, `:c1`, …), skipping zeros.
    pub fn add_clauses(&self) -> (Vec<String>, Vec<(String, i64)>) {
        let mut pairs: Vec<(String, i64)> = vec![
            (STORAGE_USED.into(), self.storage_used),
            (STORAGE_COMMITTED.into(), self.storage_committed),
            (UPLOADS_COUNT.into(), self.uploads_count),
            (UPLOADS_COMMITTED.into(), self.uploads_committed),
            (UPLOADS_TOTAL.into(), self.uploads_total),
            (API_KEYS_ACTIVE.into(), self.api_keys_active),
        ];
        for kind in UploadKind::ALL {
            pairs.push((bytes_attr(kind), self.bytes_by_kind[kind.index()]));
        }
        let mut clauses = Vec::new();
        let mut values = Vec::new();
        for (i, (attr, v)) in pairs.into_iter().filter(|(_, v)| *v != 0).enumerate() {
            clauses.push(format!("{attr} :c{i}"));
            values.push((format!(":c{i}"), v));
        }
        (clauses, values)
    }
}

/// An `Update` of the user item adding `delta` (only while the user exists).
pub(crate) fn counters_update(store: &Store, user: &UserId, delta: &CounterDelta) -> Result<Update, Error> {
    let (clauses, values) = delta.add_clauses();
    let mut update = Update::builder()
        .table_name(&store.table)
        .set_key(Some(key(user_pk(user), PROFILE)))
        .update_expression(format!("ADD {}", clauses.join(", ")))
        .condition_expression("attribute_exists(pk)");
    for (name, v) in values {
        update = update.expression_attribute_values(name, n(v));
    }
    Ok(update.build()?)
}

pub(crate) fn day_sk(date: Date) -> String {
    format!("DAY#{}", day_string(date))
}

/// The `ADD`s of `delta` (what one action adds to its day) to the day item, creating the item
/// on first use.
pub(crate) fn day_update(store: &Store, user: &UserId, delta: &DayUsage) -> Result<TransactWriteItem, Error> {
    let date = delta.date;
    let mut pairs: Vec<(String, i64)> = vec![
        ("uploads".into(), delta.uploads),
        ("uploadBytes".into(), delta.upload_bytes),
        ("downloads".into(), delta.downloads),
        ("downloadBytes".into(), delta.download_bytes),
        ("deletions".into(), delta.deletions),
        ("deletedBytes".into(), delta.deleted_bytes),
    ];
    for kind in UploadKind::ALL {
        let (count, bytes) = delta.uploads_by_kind[kind.index()];
        pairs.push((format!("uploads{}", kind_suffix(kind)), count));
        pairs.push((format!("uploadBytes{}", kind_suffix(kind)), bytes));
    }
    let mut adds = Vec::new();
    let mut values: HashMap<String, aws_sdk_dynamodb::types::AttributeValue> = HashMap::new();
    for (i, (attr, v)) in pairs.into_iter().filter(|(_, v)| *v != 0).enumerate() {
        adds.push(format!("{attr} :d{i}"));
        values.insert(format!(":d{i}"), n(v));
    }
    let start = date.midnight().assume_utc().unix_timestamp();
    values.insert(":date".into(), s(day_string(date)));
    values.insert(":ttl".into(), ttl(start + DAY_RETENTION_SECS));
    values.insert(":type".into(), s("usage-day"));
    let mut expression = "SET #date = :date, #ttl = :ttl, #type = :type".to_owned();
    if !adds.is_empty() {
        expression.push_str(&format!(" ADD {}", adds.join(", ")));
    }
    let update = Update::builder()
        .table_name(&store.table)
        .set_key(Some(key(user_pk(user), day_sk(date))))
        .update_expression(expression)
        .expression_attribute_names("#date", "date")
        .expression_attribute_names("#ttl", "ttl")
        .expression_attribute_names("#type", "type")
        .set_expression_attribute_values(Some(values))
        .build()?;
    Ok(TransactWriteItem::builder().update(update).build())
}

fn day_from_item(item: &Item) -> Option<DayUsage> {
    let date = parse_day(&get_s(item, "date")?)?;
    let get = |name: &str| get_n(item, name).unwrap_or(0);
    let mut day = DayUsage {
        date,
        uploads: get("uploads"),
        upload_bytes: get("uploadBytes"),
        downloads: get("downloads"),
        download_bytes: get("downloadBytes"),
        deletions: get("deletions"),
        deleted_bytes: get("deletedBytes"),
        uploads_by_kind: [(0, 0); 5],
    };
    for kind in UploadKind::ALL {
        let suffix = kind_suffix(kind);
        day.uploads_by_kind[kind.index()] = (get(&format!("uploads{suffix}")), get(&format!("uploadBytes{suffix}")));
    }
    Some(day)
}

impl Store {
    /// The day items of `user` from `from` to `to` (inclusive), oldest first: one `Query` on the
    /// sort-key range (a year is ~365 small items, well under one 1 MB page; pages are followed
    /// anyway). Days without activity have no item.
    pub async fn usage_days(&self, user: &UserId, from: Date, to: Date) -> Result<Vec<DayUsage>, Error> {
        let items: Vec<Item> = self
            .query_all(
                "usage days",
                self.client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                    .expression_attribute_values(":pk", s(user_pk(user)))
                    .expression_attribute_values(":from", s(day_sk(from)))
                    .expression_attribute_values(":to", s(day_sk(to)))
                    .consistent_read(true),
            )
            .await?;
        Ok(items.iter().filter_map(day_from_item).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_changes_are_left_out_of_the_update() {
        let delta = CounterDelta { storage_committed: 10, uploads_committed: 1, ..Default::default() };
        let (clauses, values) = delta.add_clauses();
        assert_eq!(clauses, ["storageCommitted :c0", "uploadsCommitted :c1"]);
        assert_eq!(values, [(":c0".to_owned(), 10), (":c1".to_owned(), 1)]);
        assert!(CounterDelta::default().add_clauses().0.is_empty());
    }

    #[test]
    fn the_counters_of_an_item_without_any_are_zero() {
        assert_eq!(counters_from_item(&key("USER#x", "PROFILE")), UsageCounters::default());
    }
}
