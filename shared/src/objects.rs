//! Object storage housekeeping shared by every group: removing all of a user's objects.
//! Keys are server-chosen and always start with a kind and the owner's id
//! (`avatars/<userId>/…`, `uploads/<userId>/…`), so a user's objects are found by prefix.

use crate::error::Error;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

/// The prefixes under which a user's objects live.
pub fn user_prefixes(user: &str) -> [String; 2] {
    [format!("avatars/{user}/"), format!("uploads/{user}/")]
}

/// Deletes every object under `prefix`; returns how many.
pub async fn delete_prefix(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Result<usize, Error> {
    let mut deleted = 0;
    let mut token = None;
    loop {
        let page =
            s3.list_objects_v2().bucket(bucket).prefix(prefix).set_continuation_token(token).send().await.map_err(|e| {
                Error::DependencyUnavailable(anyhow::anyhow!("list objects: {}", aws_sdk_s3::error::DisplayErrorContext(&e)))
            })?;
        let ids: Vec<ObjectIdentifier> =
            page.contents().iter().filter_map(|o| o.key()).filter_map(|k| ObjectIdentifier::builder().key(k).build().ok()).collect();
        if !ids.is_empty() {
            deleted += ids.len();
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|e| Error::internal(anyhow::anyhow!("delete request: {e}")))?;
            s3.delete_objects().bucket(bucket).delete(delete).send().await.map_err(|e| {
                Error::DependencyUnavailable(anyhow::anyhow!("delete objects: {}", aws_sdk_s3::error::DisplayErrorContext(&e)))
            })?;
        }
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            return Ok(deleted);
        }
    }
}
