//! `POST`/`PATCH`/`DELETE /me/avatar` (multipart field `avatar`), `GET /me/avatar`, and the
//! public `GET /api/users/{id}/avatar`.
//!
//! The image is served by this function, not by a redirect to a presigned S3 URL: the URL
//! stays stable (browsers and CDNs cache it, revalidating with the `ETag`), it works the same
//! behind any front-end, and the bucket stays private and unnamed (`docs/avatars.md`).

use crate::App;
use crate::api::dto::avatar_url;
use crate::avatars::CONTENT_TYPE;
use crate::clock::rfc3339;
use crate::error::{Error, FieldError, Result};
use crate::http::{self, ReadAccess, Reply, WriteAccess};
use crate::services::users::avatar::{self as svc, MAX_UPLOAD_BYTES, Served};
use axum::body::{Body, Bytes};
use axum::extract::multipart::MultipartError;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::borrow::Cow;
use std::sync::Arc;

/// Room for the multipart framing around a file of `MAX_UPLOAD_BYTES`.
const MULTIPART_OVERHEAD: usize = 64 * 1024;
/// Public avatars may be cached briefly; the `ETag` makes revalidation cheap and `avatarUrl`
/// carries `?v=<version>`, so a new avatar shows at once where the profile is re-read.
const PUBLIC_CACHE: &str = "public, max-age=300";

/// The body limit of the upload routes only (every other route keeps the 16 KiB JSON limit).
pub(super) fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD)
}

fn multipart_error(e: MultipartError) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Error::PayloadTooLarge
    } else {
        Error::field("avatar", "the multipart body is malformed")
    }
}

/// The bytes of the one `avatar` part; anything else in the form is refused.
async fn read_avatar_part(mut multipart: Multipart) -> Result<Vec<u8>> {
    let mut file: Option<Vec<u8>> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("avatar") if file.is_none() => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                        return Err(Error::PayloadTooLarge);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some(bytes);
            }
            Some("avatar") => return Err(Error::field("avatar", "send exactly one file")),
            Some(other) => {
                let name: String = other.chars().take(64).collect();
                return Err(Error::Validation(vec![FieldError::new(name, "is not an accepted field")]));
            }
            None => return Err(Error::field("avatar", "every part of the form needs a name")),
        }
    }
    match file {
        None => Err(Error::field("avatar", "is required")),
        Some(b) if b.is_empty() => Err(Error::field("avatar", "is empty")),
        Some(b) => Ok(b),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AvatarResponse {
    avatar_url: Option<String>,
    animated: bool,
    updated_at: String,
}

pub(super) async fn upload(State(app): State<Arc<App>>, WriteAccess(c): WriteAccess, request: Request) -> Result<Reply> {
    // Not multipart/form-data (or no boundary): the same 415 a JSON route gives a wrong type.
    let multipart = Multipart::from_request(request, &app).await.map_err(|_| Error::UnsupportedMediaType)?;
    let bytes = read_avatar_part(multipart).await?;
    let done = svc::upload(&app, &c.user, bytes).await?;
    let body =
        AvatarResponse { avatar_url: avatar_url(&app, &done.user), animated: done.animated, updated_at: rfc3339(done.user.updated_at) };
    Ok(Reply::with_status(StatusCode::OK, &body, Some("Avatar updated successfully")))
}

pub(super) async fn remove(State(app): State<Arc<App>>, WriteAccess(c): WriteAccess) -> Result<Response> {
    svc::remove(&app, &c.user).await?;
    Ok(http::no_content())
}

fn if_none_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok())
}

fn image_response(served: Served, cache_control: Option<&'static str>) -> Response {
    let (status, body, etag) = match served {
        Served::Image { bytes, etag } => {
            let body = match bytes {
                Cow::Borrowed(b) => Bytes::from_static(b),
                Cow::Owned(v) => Bytes::from(v),
            };
            (StatusCode::OK, Body::from(body), etag)
        }
        Served::NotModified { etag } => (StatusCode::NOT_MODIFIED, Body::empty(), etag),
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    if status == StatusCode::OK {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    if let Some(c) = cache_control {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(c));
    }
    response
}

/// Public: anyone may fetch any user's avatar by id (the default one when they have none).
pub(super) async fn fetch(State(app): State<Arc<App>>, id: Result<Path<String>, PathRejection>, headers: HeaderMap) -> Result<Response> {
    let Ok(Path(id)) = id else { return Err(Error::UserNotFound) };
    let served = svc::fetch(&app, &id, if_none_match(&headers)).await?;
    Ok(image_response(served, Some(PUBLIC_CACHE)))
}

/// The caller's own avatar (no shared caching: the request is authenticated).
pub(super) async fn own(State(app): State<Arc<App>>, ReadAccess(c): ReadAccess, headers: HeaderMap) -> Result<Response> {
    let served = svc::serve(&app, &c.user, if_none_match(&headers)).await?;
    Ok(image_response(served, Some("private, no-cache")))
}
