//! Uploaded objects in S3: presigned `PUT` and `GET` URLs, the existence/size check behind
//! `complete`, and deletion. Owns the `aws_sdk_s3` calls for uploads; services see plain types.
//!
//! A presigned `PUT` is signed (SigV4, query string) with the function's own credentials and
//! binds the method, the key, `Content-Type` and `Content-Length` (they are signed headers: S3
//! refuses a request whose headers differ), for at most 15 minutes. Signing is local: no call.

use crate::error::Error;
use crate::store::sdk_error;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;

/// The longest a presigned `PUT` may live (SPEC: ≤ 15 min).
pub const MAX_UPLOAD_URL_SECS: u64 = 15 * 60;

/// A URL the client uploads to, and the headers it must send with exactly these values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedUpload {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
}

/// What `HeadObject` says about a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: i64,
    pub content_type: Option<String>,
}

/// The bucket's upload objects.
#[derive(Debug, Clone)]
pub struct ObjectStore {
    client: aws_sdk_s3::Client,
    bucket: String,
}

fn presigning(now: OffsetDateTime, ttl_secs: u64) -> Result<PresigningConfig, Error> {
    PresigningConfig::builder()
        .start_time(SystemTime::from(now))
        .expires_in(Duration::from_secs(ttl_secs.min(MAX_UPLOAD_URL_SECS)))
        .build()
        .map_err(|e| Error::internal(anyhow::anyhow!("presigning config: {e}")))
}

impl ObjectStore {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }

    /// A `PUT` URL for `key` that only accepts `size` bytes of `content_type`, valid
    /// `ttl_secs` (capped at 15 minutes) from `now`.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        size: i64,
        now: OffsetDateTime,
        ttl_secs: u64,
    ) -> Result<PresignedUpload, Error> {
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(size)
            .presigned(presigning(now, ttl_secs)?)
            .await
            .map_err(|e| sdk_error("presign upload", e))?;
        let url = request.uri().to_owned();
        // Only what the signature covers (`host` is implied by the URL): the SDK may add
        // unsigned headers of its own (an `x-amzn-trace-id` inside Lambda) that are no
        // business of the client's.
        let signed = signed_headers(&url);
        let headers = request
            .headers()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("host") && signed.iter().any(|s| s.eq_ignore_ascii_case(k)))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ok(PresignedUpload { url, method: request.method().to_owned(), headers })
    }

    /// A short-lived `GET` URL that downloads `key` as an attachment named `filename`.
    pub async fn presign_get(
        &self,
        key: &str,
        filename: &str,
        content_type: &str,
        now: OffsetDateTime,
        ttl_secs: u64,
    ) -> Result<String, Error> {
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(content_disposition(filename))
            .response_content_type(content_type)
            .presigned(presigning(now, ttl_secs)?)
            .await
            .map_err(|e| sdk_error("presign download", e))?;
        Ok(request.uri().to_owned())
    }

    /// The object's size and type, or `None` when there is no such object.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, Error> {
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => Ok(Some(ObjectInfo { size: out.content_length.unwrap_or(0), content_type: out.content_type })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(None),
            Err(e) => Err(sdk_error("head object", e)),
        }
    }

    /// Deletes objects (a missing key is not an error). Returns the keys S3 could not delete.
    pub async fn delete_many(&self, keys: &[String]) -> Result<Vec<String>, Error> {
        let mut failed = Vec::new();
        for chunk in keys.chunks(1000) {
            let objects = chunk
                .iter()
                .map(|k| ObjectIdentifier::builder().key(k).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::internal(anyhow::anyhow!("delete request: {e}")))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| Error::internal(anyhow::anyhow!("delete request: {e}")))?;
            let out = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| sdk_error("delete objects", e))?;
            failed.extend(out.errors().iter().filter_map(|e| e.key().map(str::to_owned)));
        }
        Ok(failed)
    }
}

/// The prefixes under which a user's objects live: every key the service chooses starts with a
/// kind and the owner's id (`avatars/<userId>/…`, `uploads/<userId>/…`).
pub fn user_prefixes(user: &str) -> [String; 2] {
    [format!("avatars/{user}/"), format!("uploads/{user}/")]
}

/// Deletes every object under `prefix` (the purge); returns how many.
pub async fn delete_prefix(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Result<usize, Error> {
    let mut deleted = 0;
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| sdk_error("list objects", e))?;
        let ids: Vec<ObjectIdentifier> =
            page.contents().iter().filter_map(|o| o.key()).filter_map(|k| ObjectIdentifier::builder().key(k).build().ok()).collect();
        if !ids.is_empty() {
            deleted += ids.len();
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|e| Error::internal(anyhow::anyhow!("delete request: {e}")))?;
            s3.delete_objects().bucket(bucket).delete(delete).send().await.map_err(|e| sdk_error("delete objects", e))?;
        }
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            return Ok(deleted);
        }
    }
}

/// The header names listed in a presigned URL's `X-Amz-SignedHeaders`.
fn signed_headers(url: &str) -> Vec<String> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "X-Amz-SignedHeaders").map(|(_, v)| v.split(';').map(str::to_owned).collect()))
        .unwrap_or_default()
}

/// `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / RFC 8187).
pub fn content_disposition(filename: &str) -> String {
    let fallback: String =
        filename.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let mut encoded = String::with_capacity(filename.len() * 3);
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> ObjectStore {
        let creds = aws_sdk_s3::config::Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("eu-west-1"))
            .credentials_provider(creds)
            .build();
        ObjectStore::new(aws_sdk_s3::Client::from_conf(config), "accounts-bucket")
    }

    fn query(url: &str, name: &str) -> Option<String> {
        url::Url::parse(url).unwrap().query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    #[tokio::test]
    async fn a_presigned_put_binds_key_type_and_length_for_at_most_fifteen_minutes() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let p = store().presign_put("uploads/usr_1/upl_2", "image/png", 1234, now, 3600).await.unwrap();
        assert_eq!(p.method, "PUT");
        let url = url::Url::parse(&p.url).unwrap();
        assert!(url.path().ends_with("/uploads/usr_1/upl_2"), "{}", p.url);
        assert_eq!(query(&p.url, "X-Amz-Expires").as_deref(), Some("900"), "capped at 15 minutes");
        assert_eq!(query(&p.url, "X-Amz-Date").as_deref(), Some("20231114T221320Z"), "signed at the clock's time");
        let signed = query(&p.url, "X-Amz-SignedHeaders").unwrap();
        let signed: Vec<&str> = signed.split(';').collect();
        for h in ["content-length", "content-type", "host"] {
            assert!(signed.contains(&h), "{h} is not signed: {signed:?}");
        }
        assert!(query(&p.url, "X-Amz-Signature").is_some_and(|s| s.len() == 64));
        let headers: std::collections::BTreeMap<_, _> = p.headers.iter().cloned().collect();
        let expected = [("content-length".to_owned(), "1234".to_owned()), ("content-type".to_owned(), "image/png".to_owned())];
        assert_eq!(headers, expected.into(), "exactly the signed headers the client must send");
    }

    /// moto accepts a presigned `PUT` at any time (it checks neither signature nor expiry), so
    /// what the hold of a deleted upload relies on is checked here: the URL S3 gets stops
    /// working no later than the record's `url_expires_at`, which the hold outlasts.
    #[tokio::test]
    async fn a_presigned_put_expires_before_the_hold_of_a_deleted_upload_ends() {
        use crate::domain::UPLOAD_URL_TTL_SECS;
        let created = 1_700_000_000;
        let now = OffsetDateTime::from_unix_timestamp(created).unwrap();
        for asked in [UPLOAD_URL_TTL_SECS as u64, 24 * 3600] {
            let p = store().presign_put("uploads/usr_1/upl_2", "text/plain", 5, now, asked).await.unwrap();
            let signed_at = time::PrimitiveDateTime::parse(
                &query(&p.url, "X-Amz-Date").unwrap(),
                time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"),
            )
            .unwrap()
            .assume_utc()
            .unix_timestamp();
            let expires: i64 = query(&p.url, "X-Amz-Expires").unwrap().parse().unwrap();
            let url_dead_at = signed_at + expires;
            assert!(url_dead_at <= created + UPLOAD_URL_TTL_SECS, "asked {asked}s: the URL outlives the record's urlExpiresAt");
        }
    }

    #[tokio::test]
    async fn a_presigned_get_downloads_as_an_attachment() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let url = store().presign_get("uploads/usr_1/upl_2", "résumé.pdf", "application/pdf", now, 300).await.unwrap();
        assert_eq!(query(&url, "X-Amz-Expires").as_deref(), Some("300"));
        assert_eq!(query(&url, "response-content-type").as_deref(), Some("application/pdf"));
        let disposition = query(&url, "response-content-disposition").unwrap();
        assert_eq!(disposition, "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf");
    }

    #[test]
    fn content_disposition_neutralises_quotes_and_keeps_the_exact_name_encoded() {
        assert_eq!(content_disposition("a \"b\".txt"), "attachment; filename=\"a _b_.txt\"; filename*=UTF-8''a%20%22b%22.txt");
    }
}
