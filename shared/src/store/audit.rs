//! The admin audit trail: `AUDIT#<yyyy-mm> / <ulid>`, one partition a month, newest first by
//! reading backwards; by actor through `gsi1` (`gsi1pk = AUDIT#BY#<actor>`, `gsi1sk = <ulid>`).
//! An entry is written in the transaction of the change it records.

use super::{Item, Store, get_n, get_s, key, n, s, sdk_error};
use crate::domain::AuditEntry;
use crate::error::Error;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

fn audit_month(at: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(at).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}", t.year(), u8::from(t.month()))
}

fn audit_item(a: &AuditEntry) -> Item {
    let mut item = key(format!("AUDIT#{}", audit_month(a.at)), a.id.clone());
    let mut put = |k: &str, v: AttributeValue| {
        item.insert(k.to_owned(), v);
    };
    put("type", s("audit"));
    put("id", s(format!("aud_{}", a.id)));
    put("at", n(a.at));
    put("actor", s(&a.actor));
    put("actorRole", s(&a.actor_role));
    put("action", s(&a.action));
    put("target", s(&a.target));
    put("ip", s(&a.ip));
    if let Some(d) = &a.detail {
        put("detail", s(d));
    }
    // By actor, newest first, through the general-purpose index.
    put("gsi1pk", s(format!("AUDIT#BY#{}", a.actor)));
    put("gsi1sk", s(a.id.clone()));
    item
}

fn audit_from_item(item: &Item) -> AuditEntry {
    AuditEntry {
        id: get_s(item, "sk").unwrap_or_default(),
        at: get_n(item, "at").unwrap_or(0),
        actor: get_s(item, "actor").unwrap_or_default(),
        actor_role: get_s(item, "actorRole").unwrap_or_default(),
        action: get_s(item, "action").unwrap_or_default(),
        target: get_s(item, "target").unwrap_or_default(),
        detail: get_s(item, "detail"),
        ip: get_s(item, "ip").unwrap_or_default(),
    }
}

impl Store {
    pub(crate) fn audit_put(&self, audit: &AuditEntry) -> Result<TransactWriteItem, Error> {
        let put = Put::builder().table_name(&self.table).set_item(Some(audit_item(audit))).build()?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The admin audit trail of one month (`YYYY-MM`), newest first, after `after` (an entry id).
    pub async fn list_audit_month(&self, month: &str, after: Option<&str>, limit: i32) -> Result<(Vec<AuditEntry>, Option<String>), Error> {
        self.list_audit("pk", format!("AUDIT#{month}"), "sk", None, after, limit).await
    }

    /// The admin audit trail of one actor, newest first (index `gsi1`).
    pub async fn list_audit_by_actor(
        &self,
        actor: &str,
        after: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<AuditEntry>, Option<String>), Error> {
        self.list_audit("gsi1pk", format!("AUDIT#BY#{actor}"), "gsi1sk", Some("gsi1"), after, limit).await
    }

    async fn list_audit(
        &self,
        pk_attr: &str,
        pk: String,
        sk_attr: &str,
        index: Option<&str>,
        after: Option<&str>,
        limit: i32,
    ) -> Result<(Vec<AuditEntry>, Option<String>), Error> {
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_owned))
            .key_condition_expression(format!("{pk_attr} = :pk"))
            .expression_attribute_values(":pk", s(&pk))
            .scan_index_forward(false)
            .limit(limit);
        if let Some(after) = after {
            let at = ulid::Ulid::from_string(after).map_err(|_| Error::field("cursor", "is malformed"))?;
            let at = i64::try_from(at.timestamp_ms() / 1000).unwrap_or(0);
            let start = if index.is_some() {
                // The entry's own table key (its month is the time in its id), then the index key.
                let mut start = key(format!("AUDIT#{}", audit_month(at)), after);
                start.insert(pk_attr.to_owned(), s(&pk));
                start.insert(sk_attr.to_owned(), s(after));
                start
            } else {
                key(pk.clone(), after)
            };
            request = request.set_exclusive_start_key(Some(start));
        }
        let out = request.send().await.map_err(|e| sdk_error("list audit", e))?;
        let entries: Vec<AuditEntry> = out.items().iter().map(audit_from_item).collect();
        let next = out.last_evaluated_key.is_some().then(|| entries.last().map(|e| e.id.clone())).flatten();
        Ok((entries, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_entries_live_in_monthly_partitions() {
        assert_eq!(audit_month(0), "1970-01");
        assert_eq!(audit_month(1_700_000_000), "2023-11");
    }
}
