//! Uploads (SPEC §3.5): reserve quota and hand out a presigned `PUT`; verify the object and
//! make the record active; list; download (counted); delete one or many (quota freed); and,
//! for the purge, release pending uploads never completed within 24 hours.
//!
//! The client's bytes never pass through a function: they go straight to S3 with the URL, which
//! is bound to the declared size and type. Quota is reserved before the URL exists and counts
//! pending uploads, so a user cannot overshoot by starting many uploads at once.
//!
//! A presigned URL cannot be revoked: until it expires it recreates its object after any
//! deletion. So deleting an upload whose URL may still write frees the used space at once but
//! keeps the reservation as a hold (`domain::UploadHold`) until the URL and any `PUT` it started
//! are over; then the object is deleted once more and the reservation freed — by the user's
//! next reservation that the held quota would refuse, or by the hourly purge. Nothing a URL
//! writes is ever stored without being counted.

use super::Principal;
use crate::App;
use crate::domain::{
    ContentType, Filename, MAX_UPLOAD_BYTES, Upload, UploadHold, UploadId, UploadKind, UploadStatus, UserId, upload_object_key,
};
use crate::error::{Error, FieldError, QuotaInfo, Result};
use crate::objects::PresignedUpload;
use crate::store::{BatchDeletion, QuotaRefusal, Reservation, StalePendingUpload};
use std::collections::HashSet;

/// How long the upload URL works (SPEC: ≤ 15 min).
pub const UPLOAD_URL_TTL_SECS: u64 = crate::domain::UPLOAD_URL_TTL_SECS as u64;
/// How long a download URL works.
pub const DOWNLOAD_URL_TTL_SECS: u64 = 5 * 60;
/// A pending upload older than this is released by the purge.
pub const PENDING_UPLOAD_MAX_AGE_SECS: i64 = 24 * 3600;
/// At most this many ids per batch delete.
pub const MAX_BATCH_DELETE: usize = 100;
/// Page sizes of the list.
pub const DEFAULT_PAGE: u32 = 20;
pub const MAX_PAGE: u32 = 100;

/// `POST /api/uploads` input, as sent.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

/// A reserved upload and where to send the bytes.
#[derive(Debug, Clone)]
pub struct Created {
    pub upload: Upload,
    pub presigned: PresignedUpload,
    pub expires_at: i64,
}

/// Reserves quota for one file and returns a presigned `PUT` for it.
/// Calls: authentication + one `TransactWriteItems` (signing the URL is local).
pub async fn create(app: &App, principal: &Principal, input: NewUpload) -> Result<Created> {
    let mut errors = Vec::new();
    let filename = Filename::parse(&input.filename, "filename").map_err(|e| errors.push(e)).ok();
    let content_type = ContentType::parse(&input.content_type, "contentType").map_err(|e| errors.push(e)).ok();
    if input.size < 0 {
        errors.push(FieldError::new("size", "must be a number of bytes, 0 or more"));
    }
    let (Some(filename), Some(content_type), true) = (filename, content_type, errors.is_empty()) else {
        return Err(Error::Validation(errors));
    };
    if input.size > MAX_UPLOAD_BYTES {
        return Err(Error::PayloadTooLarge);
    }
    let clock = app.clock.now();
    let now = clock.unix_timestamp();
    let user = &principal.user;
    let plan = user.effective_plan(now);
    let limits = super::billing::limits_for(plan);
    if let Some(limit) = limits.storage_bytes.max().filter(|l| input.size > *l) {
        return Err(quota("storage", user.usage.storage_committed, limit, input.size));
    }

    let id = UploadId::generate(clock);
    let object_key = upload_object_key(&user.id, &id);
    // Sign first (local, cannot leave anything behind), then reserve.
    let presigned = app.objects.presign_put(&object_key, content_type.as_str(), input.size, clock, UPLOAD_URL_TTL_SECS).await?;
    let upload = Upload {
        id,
        user_id: user.id.clone(),
        filename: filename.as_str().to_owned(),
        kind: UploadKind::of(&content_type),
        content_type: content_type.as_str().to_owned(),
        size: input.size,
        status: UploadStatus::Pending,
        object_key,
        created_at: now,
        completed_at: None,
        download_count: 0,
        last_downloaded_at: None,
        url_expires_at: now + UPLOAD_URL_TTL_SECS as i64,
    };
    let reservation = Reservation {
        upload: upload.clone(),
        storage_limit: limits.storage_bytes.max(),
        uploads_limit: limits.uploads.max(),
        paid_plan_guard: plan.is_paid().then_some((user.plan, now)),
    };
    let mut outcome = app.store.reserve_upload(&reservation).await?;
    // Refused: holds of the user's deleted uploads whose URLs are dead may be what fills the
    // quota. Release them and try once more (costs nothing when the first try succeeds).
    if outcome.is_err() && release_due_holds_of(app, &user.id).await? > 0 {
        outcome = app.store.reserve_upload(&reservation).await?;
    }
    match outcome {
        Ok(()) => {}
        Err(QuotaRefusal::Storage { committed, limit }) => return Err(quota("storage", committed, limit, input.size)),
        Err(QuotaRefusal::Uploads { committed, limit }) => return Err(quota("uploads", committed, limit, 1)),
    }
    tracing::info!(user = %user.id, upload = %upload.id, size = upload.size, "upload reserved");
    let expires_at = upload.url_expires_at;
    Ok(Created { upload, presigned, expires_at })
}

/// Releases one hold that is due: deletes the object (whatever the URL wrote), then frees the
/// reservation. A failed object deletion leaves the hold for a later try (still counted).
async fn release_hold(app: &App, hold: &UploadHold) -> Result<bool> {
    match app.objects.delete_many(std::slice::from_ref(&hold.object_key)).await {
        Ok(failed) if failed.is_empty() => {}
        Ok(_) | Err(_) => {
            tracing::warn!(user = %hold.user_id, upload = %hold.upload_id, "held upload object not deleted; the hold stays");
            return Ok(false);
        }
    }
    let released = app.store.release_hold(hold).await?;
    if released {
        tracing::info!(user = %hold.user_id, upload = %hold.upload_id, size = hold.size, "upload hold released");
    }
    Ok(released)
}

/// Releases the due holds of one user; returns how many.
async fn release_due_holds_of(app: &App, user: &UserId) -> Result<usize> {
    let now = app.now();
    let mut released = 0;
    for hold in app.store.list_user_holds(user).await?.iter().filter(|h| h.is_due(now)) {
        if release_hold(app, hold).await? {
            released += 1;
        }
    }
    Ok(released)
}

/// One page of the purge's work on due holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldPage {
    pub released: usize,
    /// Where the next page starts (`None`: done).
    pub next: Option<UploadHold>,
}

/// For the purge: releases up to `limit` due holds of any user (objects deleted, reservations
/// freed). Call it with the previous page's `next` until that is `None`.
pub async fn release_due_holds(app: &App, after: Option<&UploadHold>, limit: i32) -> Result<HoldPage> {
    let (due, more) = app.store.list_due_holds(app.now(), after, limit.clamp(1, 1000)).await?;
    let mut released = 0;
    for hold in &due {
        if release_hold(app, hold).await? {
            released += 1;
        }
    }
    Ok(HoldPage { released, next: if more { due.last().cloned() } else { None } })
}

fn quota(resource: &'static str, used: i64, limit: i64, requested: i64) -> Error {
    Error::QuotaExceeded(QuotaInfo { resource, used, limit, requested })
}

fn parse_id(raw: &str) -> Result<UploadId> {
    UploadId::parse(raw).ok_or(Error::NotFound)
}

async fn own_upload(app: &App, principal: &Principal, id: &UploadId) -> Result<Upload> {
    app.store.get_upload(&principal.user.id, id).await?.ok_or(Error::NotFound)
}

/// Checks that the object is in storage with the declared size and type, then makes the
/// record active and counts it. Completing an active upload again answers it as it is.
/// Calls: authentication + `GetItem` + `HeadObject` + `TransactWriteItems`.
pub async fn complete(app: &App, principal: &Principal, raw_id: &str) -> Result<Upload> {
    let id = parse_id(raw_id)?;
    let mut upload = own_upload(app, principal, &id).await?;
    if upload.status == UploadStatus::Active {
        return Ok(upload);
    }
    let Some(object) = app.objects.head(&upload.object_key).await? else {
        return Err(Error::field("object", "nothing has been uploaded to uploadUrl yet"));
    };
    if object.size != upload.size {
        return Err(Error::field("size", &format!("the uploaded object has {} bytes, {} were declared", object.size, upload.size)));
    }
    if object.content_type.as_deref().is_some_and(|ct| !ct.eq_ignore_ascii_case(&upload.content_type)) {
        return Err(Error::field("contentType", "the uploaded object's type differs from the declared one"));
    }
    let clock = app.clock.now();
    if !app.store.complete_upload(&upload, clock.date(), clock.unix_timestamp()).await? {
        // Completed by a concurrent call (fine) or deleted meanwhile (gone).
        return own_upload(app, principal, &id)
            .await
            .and_then(|u| if u.status == UploadStatus::Active { Ok(u) } else { Err(Error::Conflict) });
    }
    upload.status = UploadStatus::Active;
    upload.completed_at = Some(clock.unix_timestamp());
    tracing::info!(user = %principal.user.id, upload = %upload.id, "upload completed");
    Ok(upload)
}

/// A page of the caller's uploads by creation time, and the cursor of the next page.
/// Calls: authentication + one `Query`.
pub async fn list(
    app: &App,
    principal: &Principal,
    cursor: Option<&str>,
    limit: u32,
    descending: bool,
) -> Result<(Vec<Upload>, Option<String>)> {
    let after = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => Some(UploadId::parse(c).ok_or_else(|| Error::field("cursor", "is not a cursor this endpoint returned"))?),
        None => None,
    };
    let limit = limit.clamp(1, MAX_PAGE);
    let (uploads, more) = app.store.list_uploads(&principal.user.id, after.as_ref(), limit as i32, descending).await?;
    let next = if more { uploads.last().map(|u| u.id.to_string()) } else { None };
    Ok((uploads, next))
}

/// A download link, valid for [`DOWNLOAD_URL_TTL_SECS`].
#[derive(Debug, Clone)]
pub struct Download {
    pub url: String,
    pub expires_at: i64,
}

/// One of the caller's uploads; for an active one also a short-lived download URL, and the
/// download is counted (on the record and the day). Calls: authentication + `GetItem` +
/// `TransactWriteItems` (a pending upload: no write, no URL).
pub async fn get(app: &App, principal: &Principal, raw_id: &str) -> Result<(Upload, Option<Download>)> {
    let id = parse_id(raw_id)?;
    let mut upload = own_upload(app, principal, &id).await?;
    if upload.status != UploadStatus::Active {
        return Ok((upload, None));
    }
    let clock = app.clock.now();
    let url = app.objects.presign_get(&upload.object_key, &upload.filename, &upload.content_type, clock, DOWNLOAD_URL_TTL_SECS).await?;
    if !app.store.record_download(&upload, clock.date(), clock.unix_timestamp()).await? {
        return Err(Error::NotFound);
    }
    upload.download_count += 1;
    upload.last_downloaded_at = Some(clock.unix_timestamp());
    Ok((upload, Some(Download { url, expires_at: clock.unix_timestamp() + DOWNLOAD_URL_TTL_SECS as i64 })))
}

/// Deletes one of the caller's uploads: the record (quota freed, or held while the URL may
/// still write; deletion counted) and then the object.
/// Calls: authentication + `GetItem` + `TransactWriteItems` + `DeleteObjects`.
pub async fn delete(app: &App, principal: &Principal, raw_id: &str) -> Result<()> {
    let id = parse_id(raw_id)?;
    let upload = delete_record(app, principal, &id).await?.ok_or(Error::NotFound)?;
    delete_objects(app, &[upload.object_key]).await;
    Ok(())
}

/// Deletes the record as it is now; retries once if it changed between read and write (a
/// concurrent completion). `None` when there is no such record.
async fn delete_record(app: &App, principal: &Principal, id: &UploadId) -> Result<Option<Upload>> {
    for _ in 0..2 {
        let Some(upload) = app.store.get_upload(&principal.user.id, id).await? else { return Ok(None) };
        let clock = app.clock.now();
        if app.store.delete_upload(&upload, clock.date(), clock.unix_timestamp()).await? {
            tracing::info!(user = %principal.user.id, upload = %upload.id, "upload deleted");
            return Ok(Some(upload));
        }
    }
    Err(Error::Conflict)
}

/// Removes objects whose records are gone. A failure leaves an orphan object (no record, no
/// quota) that is logged with its key; it never fails the request that already succeeded.
async fn delete_objects(app: &App, keys: &[String]) {
    if keys.is_empty() {
        return;
    }
    match app.objects.delete_many(keys).await {
        Ok(failed) if failed.is_empty() => {}
        Ok(failed) => tracing::error!(keys = ?failed, "upload objects not deleted (orphans)"),
        Err(e) => tracing::error!(keys = ?keys, error = %e, "upload objects not deleted (orphans)"),
    }
}

/// What became of one id of a batch delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchResult {
    Deleted,
    /// No such upload of the caller's (unknown, malformed, another user's, or already deleted).
    NotFound,
}

/// Deletes up to 100 of the caller's uploads. Each id gets a result; ids of other users are
/// `NotFound`, exactly like unknown ones. Calls: authentication + one `BatchGetItem` + one
/// `TransactWriteItems` per 98 records (49 whose URLs may still write: each leaves a hold) +
/// one `DeleteObjects`.
pub async fn batch_delete(app: &App, principal: &Principal, ids: &[String]) -> Result<Vec<(String, BatchResult)>> {
    if ids.is_empty() || ids.len() > MAX_BATCH_DELETE {
        return Err(Error::field("ids", "must list 1-100 upload ids"));
    }
    let mut seen = HashSet::new();
    let unique: Vec<&String> = ids.iter().filter(|id| seen.insert(id.as_str())).collect();
    let parsed: Vec<UploadId> = unique.iter().filter_map(|id| UploadId::parse(id)).collect();
    let found = app.store.get_uploads(&principal.user.id, &parsed).await?;
    let clock = app.clock.now();
    let (day, now) = (clock.date(), clock.unix_timestamp());
    let mut deleted: HashSet<String> = HashSet::new();
    for chunk in crate::store::deletion_chunks(&found, now) {
        match app.store.delete_uploads(&principal.user.id, chunk, day, now).await? {
            BatchDeletion::Deleted => deleted.extend(chunk.iter().map(|u| u.id.to_string())),
            BatchDeletion::Changed => {
                // Something in the chunk changed since it was read: one by one instead.
                for u in chunk {
                    if delete_record(app, principal, &u.id).await?.is_some() {
                        deleted.insert(u.id.to_string());
                    }
                }
            }
        }
    }
    let keys: Vec<String> = found.iter().filter(|u| deleted.contains(u.id.as_str())).map(|u| u.object_key.clone()).collect();
    delete_objects(app, &keys).await;
    tracing::info!(user = %principal.user.id, deleted = deleted.len(), asked = ids.len(), "uploads batch-deleted");
    Ok(unique
        .into_iter()
        .map(|id| (id.clone(), if deleted.contains(id.as_str()) { BatchResult::Deleted } else { BatchResult::NotFound }))
        .collect())
}

/// One page of the purge's work on stale pending uploads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StalePage {
    /// Records deleted and reservations released.
    pub released: usize,
    /// Listed but completed or deleted meanwhile (left alone).
    pub skipped: usize,
    /// Where the next page starts (`None`: done).
    pub next: Option<StalePendingUpload>,
}

/// For the purge function: releases up to `limit` pending uploads created more than 24 hours
/// ago (record deleted and reservation freed, only if still pending), then deletes their
/// objects (an object may exist even though `complete` was never called). Call it with the
/// previous page's `next` until that is `None`, or until the deadline nears: every page is
/// complete in itself, so the next run simply starts again from the oldest.
pub async fn release_stale_pending(app: &App, after: Option<&StalePendingUpload>, limit: i32) -> Result<StalePage> {
    let cutoff = app.now() - PENDING_UPLOAD_MAX_AGE_SECS;
    let (stale, more) = app.store.list_stale_pending_uploads(cutoff, after, limit.clamp(1, 1000)).await?;
    let mut keys = Vec::new();
    let mut skipped = 0;
    for s in &stale {
        if app.store.release_pending_upload(s).await? {
            keys.push(s.object_key.clone());
        } else {
            skipped += 1;
        }
    }
    delete_objects(app, &keys).await;
    Ok(StalePage { released: keys.len(), skipped, next: if more { stale.last().cloned() } else { None } })
}
