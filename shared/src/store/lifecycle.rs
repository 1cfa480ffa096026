//! Account deletion with a grace period, recovery, and the purge queue.
//!
//! The purge queue is a set of plain items, not an index: `PURGEQ#<shard> / <dueAt:012>#<userId>`
//! (16 shards by a hash of the user id, so sign-ups spread over partitions), written in the same
//! transaction that schedules a deletion (kind `deletion`) or registers an account (kind
//! `unverified`), and removed by recovery, activation or the purge itself. The purge finds what
//! is due with one `Query` per shard (`sk <= now`), strongly consistent, no Scan.

use super::ChangeRefused;
use super::user_codec::{PROFILE, email_pk, user_from_item, user_pk, username_pk};
use super::user_index::index_attributes;
use super::{Item, Store, b, get_n, get_s, key, n, s, sdk_error};
use crate::domain::{Activity, AuditEntry, Event, User, UserId};
use crate::error::Error;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};
use sha2::{Digest, Sha256};

pub const PURGE_SHARDS: u8 = 16;

/// Why an account is in the purge queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeKind {
    /// The user (or an admin) deleted it; the grace period runs until the due time.
    Deletion,
    /// Never activated; removed `UNVERIFIED_TTL_DAYS` after sign-up.
    Unverified,
}

impl PurgeKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Deletion => "deletion",
            Self::Unverified => "unverified",
        }
    }
}

/// One due entry of the purge queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAccount {
    pub user_id: UserId,
    pub kind: PurgeKind,
    pub due_at: i64,
    /// Set once the account's identity is gone and only its leftovers remain to be removed.
    pub cleaning: bool,
    shard: u8,
    sk: String,
}

pub fn shard_of(user: &UserId) -> u8 {
    Sha256::digest(user.as_str().as_bytes())[0] % PURGE_SHARDS
}

fn queue_key(user: &UserId, due_at: i64) -> Item {
    key(format!("PURGEQ#{:02}", shard_of(user)), format!("{due_at:012}#{user}"))
}

pub(crate) fn queue_put(store: &Store, user: &UserId, due_at: i64, kind: PurgeKind) -> Result<TransactWriteItem, Error> {
    let mut item = queue_key(user, due_at);
    item.insert("type".into(), s("purgeq"));
    item.insert("userId".into(), s(user.as_str()));
    item.insert("kind".into(), s(kind.as_str()));
    item.insert("dueAt".into(), n(due_at));
    let put = Put::builder().table_name(&store.table).set_item(Some(item)).build()?;
    Ok(TransactWriteItem::builder().put(put).build())
}

pub(crate) fn queue_delete(store: &Store, user: &UserId, due_at: i64) -> Result<TransactWriteItem, Error> {
    let delete = Delete::builder().table_name(&store.table).set_key(Some(queue_key(user, due_at))).build()?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// What scheduling a deletion records besides the account's new state.
pub struct ScheduledDeletion<'a> {
    /// The keyed hash of the recovery code mailed to the user (self-service deletion only).
    pub recovery_hash: Option<&'a str>,
    /// The reason the user gave, if any.
    pub reason: Option<&'a str>,
    pub activity: &'a Activity,
    /// The audit entry, when an admin deleted the account.
    pub audit: Option<&'a AuditEntry>,
    /// `user.deletion_scheduled`, in the same transaction.
    pub event: &'a Event,
}

impl Store {
    /// Writes `after` (`before` with its deletion scheduled, [`User::with_deletion_scheduled`])
    /// and queues its purge, in one transaction with the activity (and audit) entry, the moved
    /// admin-list index attributes and the admin count. Self-service and admin deletion both
    /// come here. Refused: `Stale` when the account changed since it was read or is already
    /// marked, `LastAdmin` when it is the last admin in good standing.
    pub async fn schedule_deletion(
        &self,
        before: &User,
        after: &User,
        d: &ScheduledDeletion<'_>,
    ) -> Result<Result<(), ChangeRefused>, Error> {
        let (Some(scheduled_at), Some(purge_at)) = (after.deletion_scheduled_at, after.purge_at) else {
            return Err(Error::internal(anyhow::anyhow!("schedule deletion: the account has no deletion scheduled")));
        };
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&before.id), PROFILE)))
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(deletionScheduledAt) AND #version = :seen")
            .expression_attribute_values(":at", n(scheduled_at))
            .expression_attribute_values(":purge", n(purge_at))
            .expression_attribute_values(":updated", n(after.updated_at));
        let mut expr = "SET deletionScheduledAt = :at, purgeAt = :purge, updatedAt = :updated".to_owned();
        if let Some(hash) = d.recovery_hash {
            expr.push_str(", recoveryCodeHash = :h, recoveryAttempts = :zero");
            update = update.expression_attribute_values(":h", s(hash)).expression_attribute_values(":zero", n(0));
        }
        if let Some(reason) = d.reason {
            expr.push_str(", deletionReason = :reason");
            update = update.expression_attribute_values(":reason", s(reason));
        }
        if let Some(by) = &after.deleted_by {
            expr.push_str(", deletedBy = :by");
            update = update.expression_attribute_values(":by", s(by));
        }
        let (expr, update) = with_index_changes(expr, update, before, after);
        let update = update.update_expression(expr).build()?;
        let mut items = vec![
            TransactWriteItem::builder().update(update).build(),
            queue_put(self, &before.id, purge_at, PurgeKind::Deletion)?,
            super::activity::activity_put(self, &before.id, d.activity)?,
            super::outbox::outbox_put(self, d.event)?,
        ];
        if let Some(audit) = d.audit {
            items.push(self.audit_put(audit)?);
        }
        let admin_slot = self.admin_count_item(before, after)?.map(|item| {
            items.push(item);
            items.len() - 1
        });
        match self.transact("schedule deletion", items).await? {
            Ok(()) => Ok(Ok(())),
            Err(reasons) if admin_slot.is_some_and(|i| reasons.get(i).and_then(Option::as_deref) == Some("ConditionalCheckFailed")) => {
                Ok(Err(ChangeRefused::LastAdmin))
            }
            Err(_) => Ok(Err(ChangeRefused::Stale)),
        }
    }

    /// Cancels a scheduled deletion while its grace period runs. With `code_hash`, only if the
    /// stored recovery code hash is still exactly that value, the one the caller checked the code
    /// against (self-service); without, unconditionally.
    pub async fn cancel_deletion(
        &self,
        before: &User,
        purge_at: i64,
        code_hash: Option<&str>,
        now: i64,
        activity: &Activity,
        event: &Event,
    ) -> Result<bool, Error> {
        let after = before.with_deletion_cleared(now);
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&before.id), PROFILE)))
            .expression_attribute_values(":purge", n(purge_at))
            .expression_attribute_values(":now", n(now));
        let mut condition = "purgeAt = :purge AND purgeAt > :now AND #version = :seen".to_owned();
        if let Some(h) = code_hash {
            condition.push_str(" AND recoveryCodeHash = :h");
            update = update.expression_attribute_values(":h", s(h));
        }
        let (expr, update) = with_index_changes(String::new(), update, before, &after);
        let expr = format!("{expr} REMOVE deletionScheduledAt, purgeAt, recoveryCodeHash, recoveryAttempts, deletionReason, deletedBy");
        let update = update.update_expression(expr.trim()).condition_expression(condition).build()?;
        let mut items = vec![
            TransactWriteItem::builder().update(update).build(),
            queue_delete(self, &before.id, purge_at)?,
            super::activity::activity_put(self, &before.id, activity)?,
            super::outbox::outbox_put(self, event)?,
        ];
        items.extend(self.admin_count_item(before, &after)?);
        Ok(self.transact("cancel deletion", items).await?.is_ok())
    }

    /// Counts a wrong recovery code; false once `max` attempts are used up.
    pub async fn count_recovery_attempt(&self, user: &UserId, max: u32) -> Result<bool, Error> {
        self.count_attempt(user, "recoveryAttempts", "deletionScheduledAt", max, "count recovery attempt").await
    }

    /// The deletion state of a user: `(purgeAt, recoveryCodeHash, recoveryAttempts)`.
    pub async fn deletion_state(&self, user: &UserId) -> Result<Option<(User, Option<(i64, String, u32)>)>, Error> {
        let Some(item) = self.user_item(user, "get deletion state").await? else { return Ok(None) };
        let state = match (get_n(&item, "purgeAt"), get_s(&item, "recoveryCodeHash")) {
            (Some(at), Some(h)) => Some((at, h, get_n(&item, "recoveryAttempts").unwrap_or(0).try_into().unwrap_or(u32::MAX))),
            _ => None,
        };
        Ok(Some((user_from_item(&item)?, state)))
    }

    /// Queue entries of one shard due at `now`, oldest first.
    pub async fn due_accounts(&self, shard: u8, now: i64, limit: i32) -> Result<Vec<DueAccount>, Error> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk <= :due")
            .expression_attribute_values(":pk", s(format!("PURGEQ#{shard:02}")))
            // `~` sorts after every id character, so everything due at `now` is included.
            .expression_attribute_values(":due", s(format!("{now:012}#~")))
            .consistent_read(true)
            .limit(limit)
            .send()
            .await
            .map_err(|e| sdk_error("due accounts", e))?;
        Ok(out
            .items()
            .iter()
            .filter_map(|i| {
                Some(DueAccount {
                    user_id: UserId::parse(&get_s(i, "userId")?)?,
                    kind: if get_s(i, "kind")? == "unverified" { PurgeKind::Unverified } else { PurgeKind::Deletion },
                    due_at: get_n(i, "dueAt")?,
                    cleaning: i.get("cleaning").and_then(|v| v.as_bool().ok()).copied().unwrap_or(false),
                    shard,
                    sk: get_s(i, "sk")?,
                })
            })
            .collect())
    }

    /// Removes a queue entry whose account no longer qualifies (recovered, activated, gone).
    pub async fn drop_queue_entry(&self, due: &DueAccount) -> Result<(), Error> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("PURGEQ#{:02}", due.shard), &due.sk)))
            .send()
            .await
            .map_err(|e| sdk_error("drop queue entry", e))?;
        Ok(())
    }

    /// The point of no return: deletes the user item and both uniqueness markers and flags the
    /// queue entry `cleaning`, in one transaction conditioned on the account still qualifying
    /// (a recovery or activation that won the race cancels it). Returns false when it no
    /// longer qualifies. `event` (`user.purged`) is written in the same transaction.
    pub async fn purge_identity(
        &self,
        due: &DueAccount,
        user: &User,
        now: i64,
        unverified_cutoff: i64,
        event: &Event,
    ) -> Result<bool, Error> {
        let mut delete_user = Delete::builder().table_name(&self.table).set_key(Some(key(user_pk(&user.id), PROFILE)));
        delete_user = match due.kind {
            PurgeKind::Deletion => delete_user
                .condition_expression("attribute_exists(deletionScheduledAt) AND purgeAt <= :now")
                .expression_attribute_values(":now", n(now)),
            PurgeKind::Unverified => delete_user
                .condition_expression("emailVerified = :f AND createdAt <= :cutoff AND attribute_not_exists(deletionScheduledAt)")
                .expression_attribute_values(":f", b(false))
                .expression_attribute_values(":cutoff", n(unverified_cutoff)),
        };
        let marker = |pk: String, sk: &str| -> Result<TransactWriteItem, Error> {
            let d = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(pk, sk)))
                .condition_expression("attribute_not_exists(pk) OR userId = :u")
                .expression_attribute_values(":u", s(user.id.as_str()))
                .build()?;
            Ok(TransactWriteItem::builder().delete(d).build())
        };
        let flag = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(format!("PURGEQ#{:02}", due.shard), &due.sk)))
            .update_expression("SET cleaning = :t")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":t", b(true))
            .build()?;
        let items = vec![
            TransactWriteItem::builder().delete(delete_user.build()?).build(),
            marker(email_pk(user.email.as_str()), "EMAIL")?,
            marker(username_pk(&user.username.key()), "USERNAME")?,
            TransactWriteItem::builder().update(flag).build(),
            super::outbox::outbox_put(self, event)?,
        ];
        Ok(self.transact("purge identity", items).await?.is_ok())
    }

    /// Deletes every item in the user's partition and every API key of the user. Returns the
    /// number of items deleted.
    pub async fn delete_user_items(&self, user: &UserId) -> Result<usize, Error> {
        let mut keys: Vec<Item> = self
            .query_all(
                "list user items",
                self.client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk")
                    .expression_attribute_values(":pk", s(user_pk(user)))
                    .projection_expression("pk, sk")
                    .consistent_read(true),
            )
            .await?;
        for k in self.list_api_keys(user).await? {
            keys.push(key(format!("APIKEY#{}", k.hash), "APIKEY"));
        }
        // Refresh and link tokens are keyed by their hash; `gsi1` finds them by owner.
        let owned: Vec<Item> = self
            .query_all(
                "list owned items",
                self.client
                    .query()
                    .table_name(&self.table)
                    .index_name("gsi1")
                    .key_condition_expression("gsi1pk = :owner")
                    .expression_attribute_values(":owner", s(format!("OWNED#{user}"))),
            )
            .await?;
        for item in &owned {
            if let (Some(pk), Some(sk)) = (get_s(item, "pk"), get_s(item, "sk")) {
                keys.push(key(pk, sk));
            }
        }
        self.batch_delete("delete user items", &keys).await?;
        Ok(keys.len())
    }

    /// Finishes a purge: the queue entry goes, an anonymous audit line stays (no id, no data).
    pub async fn finish_purge(&self, due: &DueAccount, now: i64) -> Result<(), Error> {
        let mut audit = key(
            format!("PURGELOG#{}", crate::clock::rfc3339(now).get(..7).unwrap_or("0000-00")),
            format!("{now:012}#{}", crate::tokens::random_token(6)),
        );
        audit.insert("type".into(), s("purgelog"));
        audit.insert("kind".into(), s(due.kind.as_str()));
        audit.insert("purgedAt".into(), n(now));
        // Kept a year, then gone too.
        audit.insert("ttl".into(), n(now + 365 * 24 * 3600));
        let put = Put::builder().table_name(&self.table).set_item(Some(audit)).build()?;
        let delete = Delete::builder().table_name(&self.table).set_key(Some(key(format!("PURGEQ#{:02}", due.shard), &due.sk))).build()?;
        let items = vec![TransactWriteItem::builder().put(put).build(), TransactWriteItem::builder().delete(delete).build()];
        self.transact("finish purge", items).await?.map_err(|_| Error::Conflict)
    }
}

/// Appends to a `SET` expression the admin-list index attributes that change between `before`
/// and `after`, and the version bump every user change makes (`#version = :seen` may be used
/// in the condition).
fn with_index_changes(
    expr: String,
    mut update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    before: &User,
    after: &User,
) -> (String, aws_sdk_dynamodb::types::builders::UpdateBuilder) {
    let old: std::collections::HashMap<&str, aws_sdk_dynamodb::types::AttributeValue> = index_attributes(before).into_iter().collect();
    let mut sets: Vec<String> = if expr.is_empty() { Vec::new() } else { vec![expr.trim_start_matches("SET ").to_owned()] };
    for (attr, value) in index_attributes(after) {
        if old.get(attr) != Some(&value) {
            sets.push(format!("#ix_{attr} = :ix_{attr}"));
            update =
                update.expression_attribute_names(format!("#ix_{attr}"), attr).expression_attribute_values(format!(":ix_{attr}"), value);
        }
    }
    sets.push("#version = #version + :one".to_owned());
    update = update
        .expression_attribute_names("#version", "version")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":seen", n(before.version));
    (format!("SET {}", sets.join(", ")), update)
}
