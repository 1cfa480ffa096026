//! Upload records and the quota they hold.
//!
//! `USER#<uid> / UPLOAD#<upl_id>` is one upload. Creating one reserves its size and one file
//! on the user item (`ADD storageCommitted, uploadsCommitted`) in the same transaction, under a
//! condition computed from the plan (`storageCommitted <= limit - size`): DynamoDB cannot do
//! arithmetic in a condition, but the limit minus the size is a constant, so concurrent
//! reservations serialise on the user item and can never overshoot. Completing, deleting and
//! downloading move the counters (user item and day item) in the same transaction as the
//! record change. A pending record is also in the sparse index `gsi1`
//! (`UPLOADS#PENDING / <createdAt, 11 digits>#<upl_id>`) so the purge finds stale ones without
//! a scan; completing removes it from the index.
//!
//! Deleting an upload whose presigned URL may still write (see [`Upload::writable_until`])
//! replaces the record with a hold, `USER#<uid> / UPLOADHOLD#<upl_id>`, in the same transaction:
//! the used space is freed at once, the reservation (`storageCommitted`, `uploadsCommitted`) stays
//! until `releaseAt`. Holds are in `gsi1` too (`UPLOADS#HOLD / <releaseAt, 11 digits>#<upl_id>`)
//! so the purge releases the due ones without a scan.

use super::usage::{CounterDelta, STORAGE_COMMITTED, UPLOADS_COMMITTED, counters_update, day_update};
use super::user_codec::{PROFILE, user_pk};
use super::{Item, Store, get_n, get_s, key, n, req_s, s, sdk_error};
use crate::domain::{DayUsage, PlanId, UPLOAD_URL_TTL_SECS, Upload, UploadHold, UploadId, UploadKind, UploadStatus, UserId};
use crate::error::Error;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use time::Date;

const UPLOAD_PREFIX: &str = "UPLOAD#";
const HOLD_PREFIX: &str = "UPLOADHOLD#";
/// The partition of `gsi1` that lists pending uploads, oldest first.
pub(crate) const PENDING_INDEX_PK: &str = "UPLOADS#PENDING";
/// The partition of `gsi1` that lists holds by release time.
pub(crate) const HOLD_INDEX_PK: &str = "UPLOADS#HOLD";
/// At most this many records per batch-delete transaction (100 items, minus the user and day items).
pub const MAX_DELETES_PER_TRANSACTION: usize = 98;

/// Splits records for [`Store::delete_uploads`]: each takes one transaction item, two when
/// its deletion leaves a hold, and a transaction has room for [`MAX_DELETES_PER_TRANSACTION`].
pub fn deletion_chunks(uploads: &[Upload], now: i64) -> Vec<&[Upload]> {
    let mut chunks = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, u) in uploads.iter().enumerate() {
        let cost = if u.needs_hold_at(now) { 2 } else { 1 };
        if used + cost > MAX_DELETES_PER_TRANSACTION {
            chunks.push(&uploads[start..i]);
            (start, used) = (i, 0);
        }
        used += cost;
    }
    if start < uploads.len() {
        chunks.push(&uploads[start..]);
    }
    chunks
}

fn hold_sk(id: &UploadId) -> String {
    format!("{HOLD_PREFIX}{id}")
}

fn hold_item(h: &UploadHold) -> Item {
    let mut item = key(user_pk(&h.user_id), hold_sk(&h.upload_id));
    item.insert("type".into(), s("upload-hold"));
    item.insert("id".into(), s(h.upload_id.as_str()));
    item.insert("userId".into(), s(h.user_id.as_str()));
    item.insert("objectKey".into(), s(&h.object_key));
    item.insert("size".into(), n(h.size));
    item.insert("releaseAt".into(), n(h.release_at));
    item.insert("gsi1pk".into(), s(HOLD_INDEX_PK));
    item.insert("gsi1sk".into(), s(pending_index_sk(h.release_at, &h.upload_id)));
    item
}

fn hold_from_item(item: &Item) -> Result<UploadHold, Error> {
    let bad = |what: &str| Error::internal(anyhow::anyhow!("stored upload hold has a malformed {what}"));
    Ok(UploadHold {
        upload_id: UploadId::parse(&req_s(item, "id")?).ok_or_else(|| bad("id"))?,
        user_id: UserId::parse(&req_s(item, "userId")?).ok_or_else(|| bad("userId"))?,
        object_key: req_s(item, "objectKey")?,
        size: get_n(item, "size").ok_or_else(|| bad("size"))?,
        release_at: get_n(item, "releaseAt").ok_or_else(|| bad("releaseAt"))?,
    })
}

fn upload_sk(id: &UploadId) -> String {
    format!("{UPLOAD_PREFIX}{id}")
}

fn pending_index_sk(created_at: i64, id: &UploadId) -> String {
    format!("{created_at:011}#{id}")
}

fn upload_item(u: &Upload) -> Item {
    let mut item = key(user_pk(&u.user_id), upload_sk(&u.id));
    let mut put = |k: &str, v: AttributeValue| {
        item.insert(k.to_owned(), v);
    };
    put("type", s("upload"));
    put("id", s(u.id.as_str()));
    put("userId", s(u.user_id.as_str()));
    put("filename", s(&u.filename));
    put("contentType", s(&u.content_type));
    put("size", n(u.size));
    put("kind", s(u.kind.as_str()));
    put("status", s(u.status.as_str()));
    put("objectKey", s(&u.object_key));
    put("createdAt", n(u.created_at));
    put("downloadCount", n(u.download_count));
    put("urlExpiresAt", n(u.url_expires_at));
    if let Some(t) = u.completed_at {
        put("completedAt", n(t));
    }
    if let Some(t) = u.last_downloaded_at {
        put("lastDownloadedAt", n(t));
    }
    if u.status == UploadStatus::Pending {
        put("gsi1pk", s(PENDING_INDEX_PK));
        put("gsi1sk", s(pending_index_sk(u.created_at, &u.id)));
    }
    item
}

fn upload_from_item(item: &Item) -> Result<Upload, Error> {
    let bad = |what: &str| Error::internal(anyhow::anyhow!("stored upload has a malformed {what}"));
    Ok(Upload {
        id: UploadId::parse(&req_s(item, "id")?).ok_or_else(|| bad("id"))?,
        user_id: UserId::parse(&req_s(item, "userId")?).ok_or_else(|| bad("userId"))?,
        filename: req_s(item, "filename")?,
        content_type: req_s(item, "contentType")?,
        size: get_n(item, "size").ok_or_else(|| bad("size"))?,
        kind: get_s(item, "kind").as_deref().and_then(UploadKind::parse).unwrap_or(UploadKind::Other),
        status: get_s(item, "status").as_deref().and_then(UploadStatus::parse).ok_or_else(|| bad("status"))?,
        object_key: req_s(item, "objectKey")?,
        created_at: get_n(item, "createdAt").unwrap_or(0),
        completed_at: get_n(item, "completedAt"),
        download_count: get_n(item, "downloadCount").unwrap_or(0),
        last_downloaded_at: get_n(item, "lastDownloadedAt"),
        url_expires_at: get_n(item, "urlExpiresAt")
            .unwrap_or_else(|| get_n(item, "createdAt").unwrap_or(0).saturating_add(UPLOAD_URL_TTL_SECS)),
    })
}

/// A new pending upload and the limits its reservation is checked against.
#[derive(Debug, Clone)]
pub struct Reservation {
    pub upload: Upload,
    /// The plan's storage limit in bytes (`None`: unlimited).
    pub storage_limit: Option<i64>,
    /// The plan's file-count limit (`None`: unlimited).
    pub uploads_limit: Option<i64>,
    /// The stored plan the limits were taken from, when they are those of a paid plan: the
    /// reservation then also requires that plan to still be in force (no concurrent downgrade
    /// or lapse). FREE's limits are the smallest, so they need no such guard.
    pub paid_plan_guard: Option<(PlanId, i64)>,
}

/// Why a reservation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaRefusal {
    /// Committed bytes (before this upload) and the limit.
    Storage { committed: i64, limit: i64 },
    /// Committed files (before this upload) and the limit.
    Uploads { committed: i64, limit: i64 },
}

/// A pending upload older than the purge's cutoff, as listed from the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StalePendingUpload {
    pub user_id: UserId,
    pub upload_id: UploadId,
    pub object_key: String,
    pub size: i64,
    pub created_at: i64,
}

/// What a batch deletion did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchDeletion {
    Deleted,
    /// Some record changed since it was read (completed, deleted): nothing was written.
    Changed,
}

/// Writes check that the record is still in the status it was read in.
const STATUS_AS_SEEN: &str = "#status = :seen";

/// The counter changes that removing `u` makes; `held`: its reservation stays (a hold).
fn removal_delta(u: &Upload, held: bool) -> CounterDelta {
    let mut delta = CounterDelta::default();
    if !held {
        delta.storage_committed = -u.size;
        delta.uploads_committed = -1;
    }
    if u.status == UploadStatus::Active {
        delta.storage_used = -u.size;
        delta.uploads_count = -1;
        delta.bytes_by_kind[u.kind.index()] = -u.size;
    }
    delta
}

impl Store {
    /// Reserves quota for a new pending upload and writes its record, all or nothing.
    /// `Ok(Err(_))` says which limit refused it.
    pub async fn reserve_upload(&self, r: &Reservation) -> Result<Result<(), QuotaRefusal>, Error> {
        let u = &r.upload;
        let mut conditions = vec!["attribute_exists(pk)".to_owned()];
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&u.user_id), PROFILE)))
            .update_expression(format!("ADD {STORAGE_COMMITTED} :size, {UPLOADS_COMMITTED} :one"))
            .expression_attribute_values(":size", n(u.size))
            .expression_attribute_values(":one", n(1))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(limit) = r.storage_limit {
            conditions.push(format!("(attribute_not_exists({STORAGE_COMMITTED}) OR {STORAGE_COMMITTED} <= :maxStorage)"));
            update = update.expression_attribute_values(":maxStorage", n(limit - u.size));
        }
        if let Some(limit) = r.uploads_limit {
            conditions.push(format!("(attribute_not_exists({UPLOADS_COMMITTED}) OR {UPLOADS_COMMITTED} <= :maxUploads)"));
            update = update.expression_attribute_values(":maxUploads", n(limit - 1));
        }
        if let Some((plan, now)) = &r.paid_plan_guard {
            conditions.push("#plan = :plan AND (attribute_not_exists(planExpiresAt) OR planExpiresAt > :now)".to_owned());
            update = update
                .expression_attribute_names("#plan", "plan")
                .expression_attribute_values(":plan", s(plan.as_str()))
                .expression_attribute_values(":now", n(*now));
        }
        let update = update.condition_expression(conditions.join(" AND ")).build()?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(upload_item(u)))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()?;
        let items = vec![TransactWriteItem::builder().update(update).build(), TransactWriteItem::builder().put(put).build()];
        let Err(reasons) = self.transact_detailed("reserve upload", items).await? else { return Ok(Ok(())) };
        // The record's id is a fresh ULID: finding it means our own first attempt committed (and
        // reserved the quota once); this is the retry of a lost response, not a refusal.
        if reasons.get(1).is_some_and(|r| r.holds("id", u.id.as_str())) {
            return Ok(Ok(()));
        }
        let user_reason = reasons.first().filter(|r| r.condition_failed());
        let Some(old) = user_reason.and_then(|r| r.item.as_ref()) else {
            // The user item is gone (deleted meanwhile), or the upload id collided: retryable.
            return Err(if user_reason.is_some() { Error::Unauthenticated } else { Error::Conflict });
        };
        let committed = get_n(old, STORAGE_COMMITTED).unwrap_or(0);
        let files = get_n(old, UPLOADS_COMMITTED).unwrap_or(0);
        match (r.storage_limit, r.uploads_limit) {
            (Some(limit), _) if committed + u.size > limit => Ok(Err(QuotaRefusal::Storage { committed, limit })),
            (_, Some(limit)) if files + 1 > limit => Ok(Err(QuotaRefusal::Uploads { committed: files, limit })),
            // The plan changed under us: the caller's view of the limits is stale.
            _ => Err(Error::Conflict),
        }
    }

    /// One upload of `user` (strongly consistent).
    pub async fn get_upload(&self, user: &UserId, id: &UploadId) -> Result<Option<Upload>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(user), upload_sk(id))))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("get upload", e))?;
        out.item.as_ref().map(upload_from_item).transpose()
    }

    /// Several uploads of `user` (at most 100 ids) in one `BatchGetItem`; missing ones are left out.
    pub async fn get_uploads(&self, user: &UserId, ids: &[UploadId]) -> Result<Vec<Upload>, Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut builder = KeysAndAttributes::builder().consistent_read(true);
        for id in ids {
            builder = builder.keys(key(user_pk(user), upload_sk(id)));
        }
        let mut pending = Some(builder.build()?);
        let mut found = Vec::new();
        for attempt in 0..5 {
            let Some(keys) = pending.take() else { break };
            let out =
                self.client.batch_get_item().request_items(&self.table, keys).send().await.map_err(|e| sdk_error("get uploads", e))?;
            for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                found.push(upload_from_item(&item)?);
            }
            pending = out.unprocessed_keys.and_then(|mut m| m.remove(&self.table)).filter(|k| !k.keys().is_empty());
            if pending.is_some() {
                if attempt == 4 {
                    return Err(Error::DependencyUnavailable(anyhow::anyhow!("uploads left unprocessed after retries")));
                }
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
            }
        }
        Ok(found)
    }

    /// A page of `user`'s uploads by creation time. `after` is the last id of the previous page.
    /// Returns the page and whether more follow.
    pub async fn list_uploads(
        &self,
        user: &UserId,
        after: Option<&UploadId>,
        limit: i32,
        descending: bool,
    ) -> Result<(Vec<Upload>, bool), Error> {
        let mut query = self
            .query_prefix(user_pk(user), UPLOAD_PREFIX)
            .scan_index_forward(!descending)
            .consistent_read(true)
            // One more than asked tells whether another page exists.
            .limit(limit + 1);
        if let Some(after) = after {
            query = query.set_exclusive_start_key(Some(key(user_pk(user), upload_sk(after))));
        }
        let out = query.send().await.map_err(|e| sdk_error("list uploads", e))?;
        let mut uploads = out.items().iter().map(upload_from_item).collect::<Result<Vec<_>, _>>()?;
        let more = uploads.len() > limit as usize;
        uploads.truncate(limit as usize);
        Ok((uploads, more))
    }

    /// Makes a pending upload active and counts it (user totals, bytes per kind, the day).
    /// False when it is no longer pending (completed or deleted meanwhile).
    pub async fn complete_upload(&self, u: &Upload, day: Date, now: i64) -> Result<bool, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&u.user_id), upload_sk(&u.id))))
            .update_expression("SET #status = :active, completedAt = :now REMOVE gsi1pk, gsi1sk")
            .condition_expression(STATUS_AS_SEEN)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", s(UploadStatus::Active.as_str()))
            .expression_attribute_values(":seen", s(UploadStatus::Pending.as_str()))
            .expression_attribute_values(":now", n(now))
            .build()?;
        let mut counters = CounterDelta { storage_used: u.size, uploads_count: 1, uploads_total: 1, ..Default::default() };
        counters.bytes_by_kind[u.kind.index()] = u.size;
        let mut day_delta = DayUsage { uploads: 1, upload_bytes: u.size, ..DayUsage::empty(day) };
        day_delta.uploads_by_kind[u.kind.index()] = (1, u.size);
        let items = vec![
            TransactWriteItem::builder().update(update).build(),
            TransactWriteItem::builder().update(counters_update(self, &u.user_id, &counters)?).build(),
            day_update(self, &u.user_id, &day_delta)?,
        ];
        Ok(self.transact("complete upload", items).await?.is_ok())
    }

    /// Counts one download of an active upload (on the record and the day).
    /// False when the upload is no longer active.
    pub async fn record_download(&self, u: &Upload, day: Date, now: i64) -> Result<bool, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&u.user_id), upload_sk(&u.id))))
            .update_expression("ADD downloadCount :one SET lastDownloadedAt = :now")
            .condition_expression(STATUS_AS_SEEN)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":seen", s(UploadStatus::Active.as_str()))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now))
            .build()?;
        let day_delta = DayUsage { downloads: 1, download_bytes: u.size, ..DayUsage::empty(day) };
        let items = vec![TransactWriteItem::builder().update(update).build(), day_update(self, &u.user_id, &day_delta)?];
        Ok(self.transact("record download", items).await?.is_ok())
    }

    /// Deletes one record as it was read and frees its quota (and counts the deletion of an
    /// active one on the day); while its URL may still write, the reservation stays as a hold.
    /// False when it changed or vanished since it was read.
    pub async fn delete_upload(&self, u: &Upload, day: Date, now: i64) -> Result<bool, Error> {
        Ok(self.delete_uploads(&u.user_id, std::slice::from_ref(u), day, now).await? == BatchDeletion::Deleted)
    }

    /// Deletes one chunk of [`deletion_chunks`] (records of one user, as they were read) in one
    /// transaction with one aggregated counter update and one day update; a record whose URL
    /// may still write at `now` leaves a hold.
    pub async fn delete_uploads(&self, user: &UserId, uploads: &[Upload], day: Date, now: i64) -> Result<BatchDeletion, Error> {
        if uploads.is_empty() {
            return Ok(BatchDeletion::Deleted);
        }
        if deletion_chunks(uploads, now).len() > 1 {
            return Err(Error::internal(anyhow::anyhow!("delete_uploads takes one chunk of deletion_chunks")));
        }
        let mut items = Vec::with_capacity(uploads.len() * 2 + 2);
        let mut counters = CounterDelta::default();
        let mut day_delta = DayUsage::empty(day);
        for u in uploads.iter().filter(|u| &u.user_id == user) {
            let delete = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key(user_pk(user), upload_sk(&u.id))))
                .condition_expression(STATUS_AS_SEEN)
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":seen", s(u.status.as_str()))
                .build()?;
            items.push(TransactWriteItem::builder().delete(delete).build());
            let held = u.needs_hold_at(now);
            if held {
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(hold_item(&UploadHold::of(u))))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()?;
                items.push(TransactWriteItem::builder().put(put).build());
            }
            counters.add(&removal_delta(u, held));
            if u.status == UploadStatus::Active {
                day_delta.deletions += 1;
                day_delta.deleted_bytes += u.size;
            }
        }
        if counters != CounterDelta::default() {
            items.push(TransactWriteItem::builder().update(counters_update(self, user, &counters)?).build());
        }
        if day_delta.deletions > 0 {
            items.push(day_update(self, user, &day_delta)?);
        }
        Ok(match self.transact("delete uploads", items).await? {
            Ok(()) => BatchDeletion::Deleted,
            Err(_) => BatchDeletion::Changed,
        })
    }

    /// Holds whose release time has come (`releaseAt <= now`), oldest first, from the index
    /// (eventually consistent; [`Store::release_hold`] re-checks). `after`: the last of the
    /// previous page.
    pub async fn list_due_holds(&self, now: i64, after: Option<&UploadHold>, limit: i32) -> Result<(Vec<UploadHold>, bool), Error> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :pk AND gsi1sk < :cutoff")
            .expression_attribute_values(":pk", s(HOLD_INDEX_PK))
            .expression_attribute_values(":cutoff", s(format!("{:011}", now.saturating_add(1))))
            .limit(limit);
        if let Some(a) = after {
            let mut start = key(user_pk(&a.user_id), hold_sk(&a.upload_id));
            start.insert("gsi1pk".into(), s(HOLD_INDEX_PK));
            start.insert("gsi1sk".into(), s(pending_index_sk(a.release_at, &a.upload_id)));
            query = query.set_exclusive_start_key(Some(start));
        }
        let out = query.send().await.map_err(|e| sdk_error("list due upload holds", e))?;
        let holds = out.items().iter().map(hold_from_item).collect::<Result<Vec<_>, _>>()?;
        Ok((holds, out.last_evaluated_key.is_some()))
    }

    /// Every hold of one user (strongly consistent; a user has few: one per upload deleted in
    /// the last half hour).
    pub async fn list_user_holds(&self, user: &UserId) -> Result<Vec<UploadHold>, Error> {
        let items = self.query_all("list upload holds", self.query_prefix(user_pk(user), HOLD_PREFIX).consistent_read(true)).await?;
        items.iter().map(hold_from_item).collect()
    }

    /// Removes a hold and frees its reservation. False when it is already gone (released by a
    /// concurrent call). The caller deletes the object first.
    pub async fn release_hold(&self, hold: &UploadHold) -> Result<bool, Error> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&hold.user_id), hold_sk(&hold.upload_id))))
            .condition_expression("attribute_exists(pk)")
            .build()?;
        let counters = CounterDelta { storage_committed: -hold.size, uploads_committed: -1, ..Default::default() };
        let items = vec![
            TransactWriteItem::builder().delete(delete.clone()).build(),
            TransactWriteItem::builder().update(counters_update(self, &hold.user_id, &counters)?).build(),
        ];
        let Err(reasons) = self.transact("release upload hold", items).await? else { return Ok(true) };
        let failed = |i: usize| reasons.get(i).and_then(Option::as_deref) == Some("ConditionalCheckFailed");
        if failed(0) || !failed(1) {
            return Ok(false);
        }
        // The user item is gone (an account purge got there first): the hold alone goes.
        Ok(self.transact("release orphan upload hold", vec![TransactWriteItem::builder().delete(delete).build()]).await?.is_ok())
    }

    /// For the purge: pending uploads created before `created_before`, oldest first, from the
    /// sparse index (eventually consistent; [`Store::release_pending_upload`] re-checks).
    /// `after` is the last entry of the previous page.
    pub async fn list_stale_pending_uploads(
        &self,
        created_before: i64,
        after: Option<&StalePendingUpload>,
        limit: i32,
    ) -> Result<(Vec<StalePendingUpload>, bool), Error> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :pk AND gsi1sk < :cutoff")
            .expression_attribute_values(":pk", s(PENDING_INDEX_PK))
            .expression_attribute_values(":cutoff", s(format!("{created_before:011}")))
            .limit(limit);
        if let Some(a) = after {
            let mut start = key(user_pk(&a.user_id), upload_sk(&a.upload_id));
            start.insert("gsi1pk".into(), s(PENDING_INDEX_PK));
            start.insert("gsi1sk".into(), s(pending_index_sk(a.created_at, &a.upload_id)));
            query = query.set_exclusive_start_key(Some(start));
        }
        let out = query.send().await.map_err(|e| sdk_error("list stale pending uploads", e))?;
        let stale = out
            .items()
            .iter()
            .map(upload_from_item)
            .map(|u| {
                u.map(|u| StalePendingUpload {
                    user_id: u.user_id,
                    upload_id: u.id,
                    object_key: u.object_key,
                    size: u.size,
                    created_at: u.created_at,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((stale, out.last_evaluated_key.is_some()))
    }

    /// For the purge: deletes a pending record and releases its reservation, only if it is
    /// still pending. False when it was completed or deleted meanwhile (nothing written).
    pub async fn release_pending_upload(&self, stale: &StalePendingUpload) -> Result<bool, Error> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&stale.user_id), upload_sk(&stale.upload_id))))
            .condition_expression("#status = :seen AND #size = :size")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#size", "size")
            .expression_attribute_values(":seen", s(UploadStatus::Pending.as_str()))
            .expression_attribute_values(":size", n(stale.size))
            .build()?;
        let counters = CounterDelta { storage_committed: -stale.size, uploads_committed: -1, ..Default::default() };
        let items = vec![
            TransactWriteItem::builder().delete(delete.clone()).build(),
            TransactWriteItem::builder().update(counters_update(self, &stale.user_id, &counters)?).build(),
        ];
        let Err(reasons) = self.transact("release pending upload", items).await? else { return Ok(true) };
        let failed = |i: usize| reasons.get(i).and_then(Option::as_deref) == Some("ConditionalCheckFailed");
        if failed(0) || !failed(1) {
            return Ok(false);
        }
        // The user item is gone (an account purge got there first): the record alone goes.
        Ok(self.transact("release orphan pending upload", vec![TransactWriteItem::builder().delete(delete).build()]).await?.is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(status: UploadStatus) -> Upload {
        let user_id = UserId::parse("usr_01HZY8J6W8K1M2N3P4Q5R6S7T8").unwrap();
        let id = UploadId::parse("upl_01HZY8J6W8K1M2N3P4Q5R6S7T9").unwrap();
        Upload {
            object_key: crate::domain::upload_object_key(&user_id, &id),
            id,
            user_id,
            filename: "a.png".into(),
            content_type: "image/png".into(),
            size: 42,
            kind: UploadKind::Images,
            status,
            created_at: 1_700_000_000,
            completed_at: None,
            download_count: 0,
            last_downloaded_at: None,
            url_expires_at: 1_700_000_000 + UPLOAD_URL_TTL_SECS,
        }
    }

    #[test]
    fn records_round_trip_through_items() {
        let mut u = upload(UploadStatus::Active);
        u.completed_at = Some(1_700_000_100);
        u.download_count = 3;
        u.last_downloaded_at = Some(1_700_000_200);
        assert_eq!(upload_from_item(&upload_item(&u)).unwrap(), u);
    }

    #[test]
    fn only_pending_records_are_in_the_pending_index_sorted_by_time() {
        let pending = upload_item(&upload(UploadStatus::Pending));
        assert_eq!(get_s(&pending, "gsi1pk").as_deref(), Some(PENDING_INDEX_PK));
        assert_eq!(get_s(&pending, "gsi1sk").unwrap(), "01700000000#upl_01HZY8J6W8K1M2N3P4Q5R6S7T9");
        assert!(!upload_item(&upload(UploadStatus::Active)).contains_key("gsi1pk"));
        // Zero padding keeps string order equal to time order across digit counts.
        assert!(pending_index_sk(999_999_999, &upload(UploadStatus::Pending).id) < format!("{:011}", 1_000_000_000));
    }

    #[test]
    fn removing_an_active_upload_frees_used_and_committed_space_but_a_pending_one_only_committed() {
        let active = removal_delta(&upload(UploadStatus::Active), false);
        assert_eq!((active.storage_used, active.storage_committed, active.uploads_count, active.uploads_committed), (-42, -42, -1, -1));
        assert_eq!(active.bytes_by_kind[UploadKind::Images.index()], -42);
        let pending = removal_delta(&upload(UploadStatus::Pending), false);
        assert_eq!((pending.storage_used, pending.storage_committed, pending.uploads_count, pending.uploads_committed), (0, -42, 0, -1));
    }

    #[test]
    fn a_held_removal_frees_the_used_space_and_keeps_the_reservation() {
        let active = removal_delta(&upload(UploadStatus::Active), true);
        assert_eq!((active.storage_used, active.storage_committed, active.uploads_count, active.uploads_committed), (-42, 0, -1, 0));
        assert_eq!(removal_delta(&upload(UploadStatus::Pending), true), CounterDelta::default());
    }

    #[test]
    fn records_written_before_the_url_expiry_was_stored_take_creation_plus_the_url_lifetime() {
        let mut item = upload_item(&upload(UploadStatus::Active));
        item.remove("urlExpiresAt");
        assert_eq!(upload_from_item(&item).unwrap().url_expires_at, 1_700_000_000 + UPLOAD_URL_TTL_SECS);
    }

    #[test]
    fn holds_round_trip_and_are_indexed_by_release_time() {
        let hold = UploadHold::of(&upload(UploadStatus::Active));
        let item = hold_item(&hold);
        assert_eq!(hold_from_item(&item).unwrap(), hold);
        assert_eq!(get_s(&item, "gsi1pk").as_deref(), Some(HOLD_INDEX_PK));
        assert!(get_s(&item, "sk").unwrap().starts_with(HOLD_PREFIX) && !get_s(&item, "sk").unwrap().starts_with(UPLOAD_PREFIX));
    }

    #[test]
    fn deletion_chunks_count_two_items_for_a_record_that_leaves_a_hold() {
        let young = upload(UploadStatus::Active);
        let now_young = young.created_at + 1;
        let hundred = vec![young.clone(); 100];
        let sizes: Vec<usize> = deletion_chunks(&hundred, now_young).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [49, 49, 2]);
        let old = young.writable_until();
        let sizes: Vec<usize> = deletion_chunks(&hundred, old).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [98, 2]);
        assert!(deletion_chunks(&[], old).is_empty());
    }
}
