//! Import and export of users (SPEC §3.12, docs/migration.md).
//!
//! An imported account is created by register's own transaction (`users.rs`) with one more
//! item: its import marker `IMPORT#<key> / IMPORT` (`userId`), where the key is `id:<external
//! id>`, or `email:<address>` for a line without one. The marker is what makes a second run of
//! the same file change nothing: a line whose marker and email marker both name one account is
//! already done. The user item also keeps `externalId`, which the export writes back.
//!
//! The export reads every user through the `users-created` index (one query per shard and page,
//! keys only) and strongly consistent `BatchGetItem`s of the items: never a `Scan`.

use super::user_codec::{PROFILE, email_pk, user_from_item, user_pk};
use super::user_index::USER_SHARDS;
use super::{Item, Store, get_s, key, s, sdk_error};
use crate::domain::{AuditEntry, User, UserId};
use crate::error::Error;
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem};
use std::collections::{HashMap, HashSet};

const IMPORT_SK: &str = "IMPORT";

fn import_pk(import_key: &str) -> String {
    format!("IMPORT#{import_key}")
}

/// What the table holds for one line: the account behind its email, and the account its import
/// key was imported as (`None`: no such marker).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSeen {
    pub email_owner: Option<UserId>,
    pub imported_as: Option<UserId>,
}

/// One exported account: the user and the external id it was imported with.
pub struct ExportedUser {
    pub user: User,
    pub external_id: Option<String>,
}

/// How many lines one [`Store::import_markers`] call reads (two keys each, 100 per batch).
pub const IMPORT_MARKER_BATCH: usize = 50;

impl Store {
    /// The email and import markers of up to [`IMPORT_MARKER_BATCH`] lines, `(email, import
    /// key)` each, in one strongly consistent `BatchGetItem` (plus retries of unprocessed keys).
    pub async fn import_markers(&self, lines: &[(&str, &str)]) -> Result<Vec<ImportSeen>, Error> {
        let wanted: HashSet<(String, &str)> =
            lines.iter().flat_map(|(email, import_key)| [(email_pk(email), "EMAIL"), (import_pk(import_key), IMPORT_SK)]).collect();
        let keys: Vec<Item> = wanted.into_iter().map(|(pk, sk)| key(pk, sk)).collect();
        let mut owners: HashMap<String, UserId> = HashMap::new();
        for item in self.consistent_batch_get(keys, "get import markers").await? {
            if let (Some(pk), Some(owner)) = (get_s(&item, "pk"), get_s(&item, "userId").as_deref().and_then(UserId::parse)) {
                owners.insert(pk, owner);
            }
        }
        Ok(lines
            .iter()
            .map(|(email, import_key)| ImportSeen {
                email_owner: owners.get(&email_pk(email)).cloned(),
                imported_as: owners.get(&import_pk(import_key)).cloned(),
            })
            .collect())
    }

    /// Creates an imported account: register's transaction (user, email and username markers,
    /// activity, admin count, outbox) with the import marker and the user's `externalId`. A
    /// marker left by an account that no longer exists (`stale`) is taken over. `EmailTaken` /
    /// `UsernameTaken` as for register; `Conflict` when the marker was taken meanwhile.
    pub async fn create_imported_user(
        &self,
        new: &super::NewUser,
        import_key: &str,
        external_id: Option<&str>,
        stale: Option<&UserId>,
    ) -> Result<(), Error> {
        let mut marker = key(import_pk(import_key), IMPORT_SK);
        marker.insert("userId".into(), s(new.user.id.as_str()));
        let put = Put::builder().table_name(&self.table).set_item(Some(marker));
        let put = match stale {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(old) => put
                .condition_expression("attribute_not_exists(pk) OR userId = :stale")
                .expression_attribute_values(":stale", s(old.as_str())),
        };
        let mut attrs = vec![("importKey", s(import_key))];
        if let Some(id) = external_id {
            attrs.push(("externalId", s(id)));
        }
        self.create_user_with(new, attrs, vec![TransactWriteItem::builder().put(put.build()?).build()]).await
    }

    /// Writes one admin audit entry on its own (an import run's summary).
    pub async fn put_audit(&self, entry: &AuditEntry) -> Result<(), Error> {
        match self.transact("audit entry", vec![self.audit_put(entry)?]).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(Error::Conflict),
        }
    }

    /// One page (up to `limit` users, at most 100) of one shard of the "all users" list, in
    /// creation order, after the user `after`; the next page's `after` when there may be more.
    pub async fn export_page(&self, shard: u32, after: Option<&UserId>, limit: i32) -> Result<(Vec<ExportedUser>, Option<UserId>), Error> {
        if shard >= USER_SHARDS {
            return Ok((Vec::new(), None));
        }
        let partition = format!("USERS#{shard}");
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("users-created")
            .key_condition_expression("lsAll = :p")
            .expression_attribute_values(":p", s(&partition))
            .limit(limit.clamp(1, 100));
        if let Some(id) = after {
            let mut start = key(user_pk(id), PROFILE);
            start.insert("lsAll".into(), s(&partition));
            start.insert("id".into(), s(id.as_str()));
            query = query.set_exclusive_start_key(Some(start));
        }
        let out = query.send().await.map_err(|e| sdk_error("export users", e))?;
        let ids: Vec<UserId> =
            out.items.unwrap_or_default().iter().filter_map(|i| get_s(i, "id").as_deref().and_then(UserId::parse)).collect();
        let next = out.last_evaluated_key.and_then(|k| get_s(&k, "id")).as_deref().and_then(UserId::parse);
        let keys: Vec<Item> = ids.iter().map(|id| key(user_pk(id), PROFILE)).collect();
        let found: HashMap<String, Item> = self
            .consistent_batch_get(keys, "export users")
            .await?
            .into_iter()
            .filter_map(|item| get_s(&item, "id").map(|id| (id, item)))
            .collect();
        let mut users = Vec::with_capacity(ids.len());
        for id in &ids {
            // Gone between the index read and this one (purged): nothing to export.
            let Some(item) = found.get(id.as_str()) else { continue };
            users.push(ExportedUser { user: user_from_item(item)?, external_id: get_s(item, "externalId") });
        }
        Ok((users, next))
    }
}

impl Store {
    /// Strongly consistent reads of up to 100 `keys` (distinct), retrying unprocessed keys.
    async fn consistent_batch_get(&self, keys: Vec<Item>, op: &str) -> Result<Vec<Item>, Error> {
        let mut found = Vec::with_capacity(keys.len());
        let mut pending = keys;
        for attempt in 0..5 {
            if pending.is_empty() {
                return Ok(found);
            }
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
            }
            let request = KeysAndAttributes::builder().consistent_read(true).set_keys(Some(std::mem::take(&mut pending))).build()?;
            let out = self.client.batch_get_item().request_items(&self.table, request).send().await.map_err(|e| sdk_error(op, e))?;
            found.extend(out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default());
            pending = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).map(|k| k.keys).unwrap_or_default();
        }
        if pending.is_empty() {
            Ok(found)
        } else {
            Err(Error::DependencyUnavailable(anyhow::anyhow!("{op}: keys left unread after retries")))
        }
    }
}
