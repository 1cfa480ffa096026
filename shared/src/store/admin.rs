//! Admin changes to a user: one transaction with the uniqueness markers, the admin count, the
//! activity entry and the audit entry. Also the admin count item, which counts admins in good
//! standing so that the last one can never be demoted, banned or deleted.

use super::user_codec::{PROFILE, email_pk, user_pk, username_pk};
use super::user_index::index_attributes;
use super::{Store, b, get_n, key, n, s, sdk_error};
use crate::domain::{AuditEntry, User};
use crate::error::Error;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use std::collections::HashMap;

/// The item that counts admins in good standing (`count`), changed with `ADD` in the same
/// transaction as every change that makes or unmakes one.
const ADMIN_COUNT_PK: &str = "META#ADMINS";
const ADMIN_COUNT_SK: &str = "COUNT";

/// Which transaction item failed, for the caller to name the error.
#[derive(Debug, PartialEq, Eq)]
pub enum ChangeRefused {
    /// The user changed (or vanished) since it was read.
    Stale,
    UsernameTaken,
    EmailTaken,
    /// The change would leave no admin in good standing.
    LastAdmin,
}

/// An admin change: the user before and after, and what goes with it.
pub struct AdminChange<'a> {
    pub before: &'a User,
    pub after: &'a User,
    pub activity: &'a crate::domain::Activity,
    pub audit: &'a AuditEntry,
    /// The lifecycle events of the change, in the same transaction.
    pub events: &'a [crate::domain::Event],
}

impl Store {
    /// The admin count's share of a change from `before` to `after`, when it moves the count:
    /// the last-admin rule lives here, for admin changes and deletions alike (a decrease is
    /// refused by its condition when no other admin in good standing would remain).
    pub(crate) fn admin_count_item(&self, before: &User, after: &User) -> Result<Option<TransactWriteItem>, Error> {
        let delta = i64::from(after.is_counted_admin()) - i64::from(before.is_counted_admin());
        if delta == 0 { Ok(None) } else { self.admin_count_change(delta).map(Some) }
    }

    pub(crate) fn admin_count_change(&self, delta: i64) -> Result<TransactWriteItem, Error> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(ADMIN_COUNT_PK, ADMIN_COUNT_SK)))
            .update_expression("ADD #count :delta")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":delta", n(delta));
        if delta < 0 {
            // Never below one admin: the condition is checked atomically with the change.
            update = update.condition_expression("#count > :one").expression_attribute_values(":one", n(1));
        }
        Ok(TransactWriteItem::builder().update(update.build()?).build())
    }

    /// How many admins are in good standing (for tests and the CLI's message).
    pub async fn admin_count(&self) -> Result<i64, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(ADMIN_COUNT_PK, ADMIN_COUNT_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("admin count", e))?;
        Ok(out.item.as_ref().and_then(|i| get_n(i, "count")).unwrap_or(0))
    }

    /// Writes `change.after` over `change.before` in one transaction, only if the user is still
    /// at the version that was read: the changed attributes and index attributes, the moved
    /// uniqueness markers, the admin count, the activity entry and the audit entry.
    pub async fn apply_admin_change(&self, change: &AdminChange<'_>) -> Result<Result<(), ChangeRefused>, Error> {
        let (old, new) = (change.before, change.after);
        let mut sets: Vec<String> = Vec::new();
        let mut removes: Vec<String> = Vec::new();
        let mut names: HashMap<String, String> = HashMap::new();
        let mut values: HashMap<String, AttributeValue> = HashMap::new();
        let mut set = |attr: &str, value: Option<AttributeValue>| {
            names.insert(format!("#{attr}"), attr.to_owned());
            match value {
                Some(v) => {
                    sets.push(format!("#{attr} = :{attr}"));
                    values.insert(format!(":{attr}"), v);
                }
                None => removes.push(format!("#{attr}")),
            }
        };
        let opt_s = |v: &Option<String>| v.as_ref().map(s);
        let opt_n = |v: Option<i64>| v.map(n);
        if old.username != new.username {
            set("username", Some(s(new.username.as_str())));
            set("usernameKey", Some(s(new.username.key())));
        }
        if old.email != new.email {
            set("email", Some(s(new.email.as_str())));
        }
        if old.password_hash != new.password_hash {
            set("passwordHash", Some(s(&new.password_hash)));
            set("passwordChangedAt", Some(n(new.updated_at)));
        }
        if old.session_cutoff != new.session_cutoff {
            // Absolute values are safe here: the write is conditional on the version read.
            let cutoff = new.session_cutoff.as_ref();
            set("sessionEpoch", cutoff.map(|c| n(c.epoch)));
            set("sessionEpochKeep", cutoff.and_then(|c| c.keep.as_ref()).map(s));
        }
        if old.reset_token_hash.is_some() && new.reset_token_hash.is_none() {
            set("resetTokenHash", None);
        }
        if old.email_change.is_some() && new.email_change.is_none() {
            set("emailChangeTokenHash", None);
            set("emailChangeSentAt", None);
        }
        if old.role != new.role {
            set("role", Some(s(new.role.as_str())));
        }
        if old.name != new.name {
            set("name", opt_s(&new.name));
        }
        if old.email_verified != new.email_verified {
            set("emailVerified", Some(b(new.email_verified)));
        }
        if old.activation.is_some() && new.activation.is_none() {
            for attr in ["actCodeHash", "actTokenHash", "actExpiresAt", "actAttempts", "actSentAt"] {
                set(attr, None);
            }
        }
        if old.banned_until != new.banned_until {
            set("banned", new.banned_until.map(|_| b(true)));
            set("bannedUntil", opt_n(new.banned_until.flatten()));
        }
        if old.ban_reason != new.ban_reason {
            set("banReason", opt_s(&new.ban_reason));
        }
        if old.deletion_scheduled_at != new.deletion_scheduled_at {
            set("deletionScheduledAt", opt_n(new.deletion_scheduled_at));
        }
        if old.purge_at != new.purge_at {
            set("purgeAt", opt_n(new.purge_at));
        }
        if old.deleted_by != new.deleted_by {
            set("deletedBy", opt_s(&new.deleted_by));
        }
        let old_index: HashMap<&str, AttributeValue> = index_attributes(old).into_iter().collect();
        for (attr, value) in index_attributes(new) {
            if old_index.get(attr) != Some(&value) {
                set(attr, Some(value));
            }
        }
        set("updatedAt", Some(n(new.updated_at)));
        names.insert("#version".into(), "version".into());
        values.insert(":expected".into(), n(old.version));
        values.insert(":one".into(), n(1));
        let mut expression = format!("SET {}, #version = #version + :one", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&old.id), PROFILE)))
            .update_expression(expression)
            .condition_expression("#version = :expected")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()?;
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        // Uniqueness markers move in the same transaction: the new one must be free, the old
        // one must still be ours.
        let mut marker_slots: Vec<(usize, ChangeRefused)> = Vec::new();
        let mut move_marker = |items: &mut Vec<TransactWriteItem>, old_pk: String, new_pk: String, sk: &str, taken: ChangeRefused| {
            let mut item = key(new_pk, sk);
            item.insert("userId".into(), s(new.id.as_str()));
            let put =
                Put::builder().table_name(&self.table).set_item(Some(item)).condition_expression("attribute_not_exists(pk)").build()?;
            marker_slots.push((items.len(), taken));
            items.push(TransactWriteItem::builder().put(put).build());
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(old_pk, sk)))
                .condition_expression("userId = :me")
                .expression_attribute_values(":me", s(new.id.as_str()))
                .build()?;
            marker_slots.push((items.len(), ChangeRefused::Stale));
            items.push(TransactWriteItem::builder().delete(delete).build());
            Ok::<(), Error>(())
        };
        let (old_key, new_key) = (old.username.key(), new.username.key());
        if old_key != new_key {
            move_marker(&mut items, username_pk(&old_key), username_pk(&new_key), "USERNAME", ChangeRefused::UsernameTaken)?;
        }
        if old.email != new.email {
            move_marker(&mut items, email_pk(old.email.as_str()), email_pk(new.email.as_str()), "EMAIL", ChangeRefused::EmailTaken)?;
        }
        let count_slot = self.admin_count_item(old, new)?.map(|item| {
            items.push(item);
            items.len() - 1
        });
        // A deletion is scheduled only by `Store::schedule_deletion` (one write for both ways of
        // deleting); one cleared here (an admin's restore) unqueues the purge in this transaction.
        match (old.deletion_scheduled_at, new.deletion_scheduled_at, old.purge_at) {
            (None, Some(_), _) => {
                return Err(Error::internal(anyhow::anyhow!("admin change: a deletion is scheduled with Store::schedule_deletion")));
            }
            (Some(_), None, Some(due)) => items.push(super::lifecycle::queue_delete(self, &old.id, due)?),
            _ => {}
        }
        items.push(super::activity::activity_put(self, &new.id, change.activity)?);
        items.push(self.audit_put(change.audit)?);
        items.extend(super::outbox::outbox_puts(self, change.events)?);
        match self.transact("admin change", items).await? {
            Ok(()) => Ok(Ok(())),
            Err(reasons) => {
                let failed = |i: usize| reasons.get(i).and_then(Option::as_deref) == Some("ConditionalCheckFailed");
                if failed(0) {
                    return Ok(Err(ChangeRefused::Stale));
                }
                if let Some((_, why)) = marker_slots.into_iter().find(|(i, _)| failed(*i)) {
                    return Ok(Err(why));
                }
                if count_slot.is_some_and(failed) {
                    return Ok(Err(ChangeRefused::LastAdmin));
                }
                Ok(Err(ChangeRefused::Stale))
            }
        }
    }
}
