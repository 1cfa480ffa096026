//! The activity log: `USER#<uid> / ACT#<ulid>`, newest last in key order, with a 90-day TTL.
//! Entries are written inside the transaction of the action they record where there is one.

use super::user_codec::user_pk;
use super::{Item, Store, get_s, key, n, s, sdk_error, ttl};
use crate::domain::{ACTIVITY_RETENTION_SECS, Activity, ActivityRecord, UserId};
use crate::error::Error;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

pub(crate) fn activity_item(user: &UserId, a: &Activity) -> Item {
    activity_item_at(user_pk(user), a)
}

/// An activity item under the partition `pk` (a user's, or a login's decoy key).
pub(crate) fn activity_item_at(pk: String, a: &Activity) -> Item {
    let mut item = key(pk, format!("ACT#{}", a.id));
    item.insert("type".into(), s("activity"));
    item.insert("id".into(), s(format!("act_{}", a.id)));
    item.insert("kind".into(), s(a.kind.as_str()));
    item.insert("at".into(), n(a.at));
    item.insert("ip".into(), s(&a.ip));
    item.insert("userAgent".into(), s(&a.user_agent));
    if let Some(d) = &a.detail {
        item.insert("detail".into(), s(d));
    }
    if let Some(actor) = &a.actor {
        item.insert("actor".into(), s(actor));
    }
    item.insert("ttl".into(), ttl(a.at + ACTIVITY_RETENTION_SECS));
    item
}

pub(crate) fn activity_put(store: &Store, user: &UserId, a: &Activity) -> Result<TransactWriteItem, Error> {
    let put = Put::builder().table_name(&store.table).set_item(Some(activity_item(user, a))).build()?;
    Ok(TransactWriteItem::builder().put(put).build())
}

impl Store {
    /// Records one entry on its own (for actions without a transaction of their own).
    pub async fn record_activity(&self, user: &UserId, a: &Activity) -> Result<(), Error> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(activity_item(user, a)))
            .send()
            .await
            .map_err(|e| sdk_error("record activity", e))?;
        Ok(())
    }

    /// A page of a user's activity, newest first. `after` is the last id of the previous page.
    pub async fn list_activity(
        &self,
        user: &UserId,
        after: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<ActivityRecord>, Option<String>), Error> {
        let mut query = self.query_prefix(user_pk(user), "ACT#").scan_index_forward(false).limit(limit);
        if let Some(after) = after {
            let mut start = key(user_pk(user), format!("ACT#{}", after.trim_start_matches("act_")));
            start.retain(|k, _| k == "pk" || k == "sk");
            query = query.set_exclusive_start_key(Some(start));
        }
        let out = query.send().await.map_err(|e| sdk_error("list activity", e))?;
        let records: Vec<ActivityRecord> = out
            .items()
            .iter()
            .map(|i| ActivityRecord {
                id: get_s(i, "id").unwrap_or_default(),
                kind: get_s(i, "kind").unwrap_or_default(),
                at: super::get_n(i, "at").unwrap_or(0),
                ip: get_s(i, "ip").unwrap_or_default(),
                user_agent: get_s(i, "userAgent").unwrap_or_default(),
                detail: get_s(i, "detail"),
                actor: get_s(i, "actor"),
            })
            .collect();
        let next = out.last_evaluated_key.is_some().then(|| records.last().map(|r| r.id.clone())).flatten();
        Ok((records, next))
    }
}
