//! Uploaded files: their declared metadata (validated), their lifecycle (`PENDING` until the
//! object is verified in storage, then `ACTIVE`), and the usage counters kept per user and per
//! day. No AWS here: the object key is a plain string the storage adapter understands.

use super::{UploadId, UserId};
use crate::error::FieldError;
use time::{Date, format_description::BorrowedFormatItem, macros::format_description};

/// The largest object one presigned `PUT` can create (S3's single-request limit, 5 GiB).
pub const MAX_UPLOAD_BYTES: i64 = 5 * (1 << 30);
/// How long a presigned upload URL works (SPEC §3.5: at most 15 minutes).
pub const UPLOAD_URL_TTL_SECS: i64 = 15 * 60;
/// How long after its upload URL expired a deleted upload still holds its reservation: S3
/// checks the expiry when a `PUT` starts, so a large body sent just before it may still be
/// arriving (a 5 GiB `PUT` needs 15 minutes at about 50 Mbit/s).
pub const UPLOAD_HOLD_GRACE_SECS: i64 = 15 * 60;
/// A filename as the user named it: at most this many bytes.
pub const MAX_FILENAME_BYTES: usize = 255;

/// What a file is, for the usage breakdown (seed 000: documents, images, videos, audio, other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UploadKind {
    Documents,
    Images,
    Videos,
    Audio,
    Other,
}

impl UploadKind {
    pub const ALL: [UploadKind; 5] = [Self::Documents, Self::Images, Self::Videos, Self::Audio, Self::Other];

    /// Classifies by the declared content type.
    pub fn of(content_type: &ContentType) -> Self {
        let ct = content_type.as_str();
        let (top, sub) = ct.split_once('/').unwrap_or((ct, ""));
        match top {
            "image" => Self::Images,
            "video" => Self::Videos,
            "audio" => Self::Audio,
            "text" => Self::Documents,
            "application" if is_document_subtype(sub) => Self::Documents,
            _ => Self::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Documents => "documents",
            Self::Images => "images",
            Self::Videos => "videos",
            Self::Audio => "audio",
            Self::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// Position in [`UploadKind::ALL`] (and in per-kind arrays).
    pub fn index(self) -> usize {
        self as usize
    }
}

fn is_document_subtype(sub: &str) -> bool {
    matches!(sub, "pdf" | "msword" | "rtf" | "epub+zip" | "json" | "xml" | "vnd.ms-excel" | "vnd.ms-powerpoint" | "x-latex")
        || sub.starts_with("vnd.openxmlformats-officedocument.")
        || sub.starts_with("vnd.oasis.opendocument.")
}

/// A declared media type, `type/subtype` in lower case (RFC 6838 token characters, no
/// parameters): the presigned `PUT` is bound to exactly this `Content-Type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType(String);

impl ContentType {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_ascii_lowercase();
        let token = |s: &str| {
            !s.is_empty()
                && s.len() <= 127
                && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
        };
        match value.split_once('/') {
            Some((top, sub)) if token(top) && token(sub) => Ok(Self(value)),
            _ => Err(FieldError::new(field, "must be a media type like image/png (no parameters)")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A filename as shown to the user: 1–255 bytes, no control characters, no path separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filename(String);

impl Filename {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        if name.is_empty() || name.len() > MAX_FILENAME_BYTES {
            return Err(FieldError::new(field, "must be 1-255 bytes"));
        }
        if name.chars().any(|c| c.is_control() || c == '/' || c == '\\') || name == "." || name == ".." {
            return Err(FieldError::new(field, "must not contain control characters or path separators"));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an upload is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadStatus {
    /// Quota reserved, presigned URL issued, object not verified yet.
    Pending,
    /// The object exists with the declared size; it counts as stored.
    Active,
}

impl UploadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Active => "ACTIVE",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "PENDING" => Some(Self::Pending),
            "ACTIVE" => Some(Self::Active),
            _ => None,
        }
    }
}

/// One upload record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: UploadId,
    pub user_id: UserId,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub kind: UploadKind,
    pub status: UploadStatus,
    /// The object's key in the bucket (server-chosen: `uploads/<userId>/<uploadId>`).
    pub object_key: String,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    pub download_count: i64,
    pub last_downloaded_at: Option<i64>,
    /// When its presigned `PUT` URL stops working (records from before this field: creation
    /// plus [`UPLOAD_URL_TTL_SECS`]).
    pub url_expires_at: i64,
}

impl Upload {
    /// Until when the upload URL may still create the object: a deletion before this keeps the
    /// reservation (an [`UploadHold`]) so that an object re-sent through the URL is counted and
    /// then removed, never stored for free.
    pub fn writable_until(&self) -> i64 {
        self.url_expires_at.saturating_add(UPLOAD_HOLD_GRACE_SECS)
    }

    /// Whether deleting it at `now` must leave a hold behind.
    pub fn needs_hold_at(&self, now: i64) -> bool {
        now < self.writable_until()
    }
}

/// A deleted upload whose URL may still write its object: the reservation (size and one
/// file) stays committed until `release_at`; then the object is deleted again and the
/// reservation freed (by the user's next refused reservation or the hourly purge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadHold {
    pub user_id: UserId,
    pub upload_id: UploadId,
    pub object_key: String,
    pub size: i64,
    pub release_at: i64,
}

impl UploadHold {
    pub fn of(u: &Upload) -> Self {
        Self {
            user_id: u.user_id.clone(),
            upload_id: u.id.clone(),
            object_key: u.object_key.clone(),
            size: u.size,
            release_at: u.writable_until(),
        }
    }

    pub fn is_due(&self, now: i64) -> bool {
        now >= self.release_at
    }
}

/// The server-chosen object key of an upload. Everything of a user lives under
/// `uploads/<userId>/`, so a purge can remove it by prefix.
pub fn upload_object_key(user: &UserId, id: &UploadId) -> String {
    format!("uploads/{user}/{id}")
}

/// Counters kept on the user item with atomic `ADD`s (so the profile and the stats read them
/// with the authentication read, no extra call). A change to them has the same shape (any
/// field may be negative).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageCounters {
    /// Bytes of `ACTIVE` uploads.
    pub storage_used: i64,
    /// Bytes of `ACTIVE` plus `PENDING` uploads: what the storage quota is checked against.
    pub storage_committed: i64,
    /// `ACTIVE` uploads.
    pub uploads_count: i64,
    /// `ACTIVE` plus `PENDING` uploads: what the file-count quota is checked against.
    pub uploads_committed: i64,
    /// Uploads ever completed (never decreases).
    pub uploads_total: i64,
    /// Bytes of `ACTIVE` uploads per [`UploadKind`] (indexed by [`UploadKind::index`]).
    pub bytes_by_kind: [i64; 5],
    /// Active API keys (the api-keys capability keeps this counter; plans limit it).
    pub api_keys_active: i64,
}

impl UsageCounters {
    /// Adds `other` (a change) to these counters.
    pub fn add(&mut self, other: &UsageCounters) {
        self.storage_used += other.storage_used;
        self.storage_committed += other.storage_committed;
        self.uploads_count += other.uploads_count;
        self.uploads_committed += other.uploads_committed;
        self.uploads_total += other.uploads_total;
        for (a, b) in self.bytes_by_kind.iter_mut().zip(other.bytes_by_kind) {
            *a += b;
        }
        self.api_keys_active += other.api_keys_active;
    }
}

/// One day's activity of one user (UTC day), kept as `ADD` counters. What one action adds to
/// a day has the same shape (a completed upload counts under its kind too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayUsage {
    pub date: Date,
    pub uploads: i64,
    pub upload_bytes: i64,
    pub downloads: i64,
    pub download_bytes: i64,
    pub deletions: i64,
    pub deleted_bytes: i64,
    /// `(count, bytes)` of completed uploads per [`UploadKind`].
    pub uploads_by_kind: [(i64, i64); 5],
}

impl DayUsage {
    pub fn empty(date: Date) -> Self {
        Self {
            date,
            uploads: 0,
            upload_bytes: 0,
            downloads: 0,
            download_bytes: 0,
            deletions: 0,
            deleted_bytes: 0,
            uploads_by_kind: [(0, 0); 5],
        }
    }

    /// Change of stored bytes that day (completed uploads minus deleted ones).
    pub fn net_bytes(&self) -> i64 {
        self.upload_bytes - self.deleted_bytes
    }
}

static DAY_FORMAT: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// `2024-01-15`.
pub fn day_string(date: Date) -> String {
    date.format(DAY_FORMAT).unwrap_or_default()
}

pub fn parse_day(raw: &str) -> Option<Date> {
    Date::parse(raw, DAY_FORMAT).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct(raw: &str) -> ContentType {
        ContentType::parse(raw, "contentType").unwrap()
    }

    #[test]
    fn kinds_follow_the_content_type() {
        assert_eq!(UploadKind::of(&ct("image/png")), UploadKind::Images);
        assert_eq!(UploadKind::of(&ct("video/mp4")), UploadKind::Videos);
        assert_eq!(UploadKind::of(&ct("audio/mpeg")), UploadKind::Audio);
        assert_eq!(UploadKind::of(&ct("application/pdf")), UploadKind::Documents);
        assert_eq!(UploadKind::of(&ct("text/plain")), UploadKind::Documents);
        assert_eq!(UploadKind::of(&ct("application/vnd.openxmlformats-officedocument.wordprocessingml.document")), UploadKind::Documents);
        assert_eq!(UploadKind::of(&ct("application/zip")), UploadKind::Other);
        assert_eq!(UploadKind::of(&ct("application/octet-stream")), UploadKind::Other);
    }

    #[test]
    fn content_types_are_lower_cased_and_must_be_type_slash_subtype() {
        assert_eq!(ct(" Image/PNG ").as_str(), "image/png");
        for bad in ["", "image", "image/", "/png", "text/plain; charset=utf-8", "image/png\r\nx-evil: 1", "a b/c"] {
            assert!(ContentType::parse(bad, "contentType").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn filenames_refuse_paths_and_control_characters() {
        assert_eq!(Filename::parse("  report 2024.pdf ", "filename").unwrap().as_str(), "report 2024.pdf");
        assert!(Filename::parse("naïve ☃.txt", "filename").is_ok());
        for bad in ["", "   ", "../etc/passwd", "a\\b", "a\nb", "..", &"x".repeat(256)] {
            assert!(Filename::parse(bad, "filename").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn object_keys_live_under_the_users_prefix() {
        let user = UserId::parse("usr_01HZY8J6W8K1M2N3P4Q5R6S7T8").unwrap();
        let id = UploadId::parse("upl_01HZY8J6W8K1M2N3P4Q5R6S7T9").unwrap();
        assert_eq!(upload_object_key(&user, &id), "uploads/usr_01HZY8J6W8K1M2N3P4Q5R6S7T8/upl_01HZY8J6W8K1M2N3P4Q5R6S7T9");
    }

    fn upload_created_at(created_at: i64) -> Upload {
        let user_id = UserId::parse("usr_01HZY8J6W8K1M2N3P4Q5R6S7T8").unwrap();
        let id = UploadId::parse("upl_01HZY8J6W8K1M2N3P4Q5R6S7T9").unwrap();
        Upload {
            object_key: upload_object_key(&user_id, &id),
            id,
            user_id,
            filename: "a.bin".into(),
            content_type: "application/octet-stream".into(),
            size: 10,
            kind: UploadKind::Other,
            status: UploadStatus::Active,
            created_at,
            completed_at: Some(created_at + 1),
            download_count: 0,
            last_downloaded_at: None,
            url_expires_at: created_at + UPLOAD_URL_TTL_SECS,
        }
    }

    #[test]
    fn a_deletion_holds_the_reservation_while_the_url_or_a_put_it_started_may_still_write() {
        let u = upload_created_at(1_000_000);
        let expiry = 1_000_000 + UPLOAD_URL_TTL_SECS;
        assert!(u.needs_hold_at(1_000_000 + 1), "the URL works");
        assert!(u.needs_hold_at(expiry), "the URL's last second");
        assert!(u.needs_hold_at(expiry + UPLOAD_HOLD_GRACE_SECS - 1), "a PUT started before the expiry may still be arriving");
        assert!(!u.needs_hold_at(expiry + UPLOAD_HOLD_GRACE_SECS), "nothing can write any more");
        let hold = UploadHold::of(&u);
        assert_eq!(hold.release_at, expiry + UPLOAD_HOLD_GRACE_SECS);
        assert!(!hold.is_due(hold.release_at - 1) && hold.is_due(hold.release_at));
    }

    #[test]
    fn days_format_and_parse_as_iso_dates() {
        let d = parse_day("2024-01-05").unwrap();
        assert_eq!(day_string(d), "2024-01-05");
        assert_eq!(parse_day("2024-1-5"), None);
    }
}
