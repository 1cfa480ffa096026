//! Avatars: image processing ([`image`]) and the objects in the private bucket.
//!
//! Objects live under `avatars/<userId>/<ulid>.webp`, a key the server chooses (never the
//! uploaded file name), so a new upload never overwrites the object a user item points at:
//! the pointer moves first, the old object is deleted after (`docs/avatars.md`).

pub mod image;

use crate::domain::UserId;
use crate::error::Error;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;

/// The avatar served for users who have none (a neutral silhouette, 256×256 WebP).
pub const DEFAULT_AVATAR: &[u8] = include_bytes!("default.webp");
/// Its entity tag; change it when the file changes.
pub const DEFAULT_AVATAR_ETAG: &str = "\"default-1\"";
pub const CONTENT_TYPE: &str = "image/webp";

/// A fresh, server-chosen key for a user's next avatar.
pub fn new_key(user: &UserId, ulid: &str) -> String {
    format!("avatars/{user}/{ulid}.webp")
}

/// The version part of a key (its ULID), which names the content: used as the `ETag` and as
/// the `?v=` cache-buster of `avatarUrl`.
pub fn version(key: &str) -> &str {
    key.rsplit('/').next().and_then(|f| f.strip_suffix(".webp")).unwrap_or(key)
}

/// Throttling and connection failures are the dependency's (503); the rest is ours (500).
fn s3_error<E, R>(op: &str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let transient = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ServiceError(e) => matches!(e.err().code(), Some("SlowDown" | "InternalError" | "ServiceUnavailable" | "RequestTimeout")),
        _ => false,
    };
    // The chain only, not `DisplayErrorContext`, whose `Debug` tail prints the raw response.
    let context = anyhow::Error::new(err).context(op.to_owned());
    if transient { Error::DependencyUnavailable(context) } else { Error::Internal(context) }
}

/// The avatar objects of one bucket.
#[derive(Debug, Clone)]
pub struct AvatarObjects {
    s3: aws_sdk_s3::Client,
    bucket: String,
}

impl AvatarObjects {
    pub fn new(s3: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self { s3, bucket: bucket.into() }
    }

    pub async fn put(&self, key: &str, webp: Vec<u8>) -> Result<(), Error> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(CONTENT_TYPE)
            .body(ByteStream::from(webp))
            .send()
            .await
            .map_err(|e| s3_error("put avatar", e))?;
        Ok(())
    }

    /// The object's bytes, or `None` when it does not exist.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let out = match self.s3.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => out,
            Err(SdkError::ServiceError(e)) if e.err().is_no_such_key() => return Ok(None),
            Err(e) => return Err(s3_error("get avatar", e)),
        };
        let bytes = out.body.collect().await.map_err(|e| Error::DependencyUnavailable(anyhow::anyhow!("read avatar body: {e}")))?;
        Ok(Some(bytes.into_bytes().to_vec()))
    }

    pub async fn delete(&self, key: &str) -> Result<(), Error> {
        self.s3.delete_object().bucket(&self.bucket).key(key).send().await.map_err(|e| s3_error("delete avatar", e))?;
        Ok(())
    }
}
