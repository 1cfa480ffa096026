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
use crate::error::{Error, Result};
use crate::http::{self, ReadAccess, Reply, WriteAccess};
use crate::services::users::avatar::{self as svc, MAX_UPLOAD_BYTES, Served};
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::borrow::Cow;
use std::sync::Arc;

/// Public avatars may be cached briefly; the `ETag` makes revalidation cheap and `avatarUrl`
/// carries `?v=<version>`, so a new avatar shows at once where the profile is re-read.
const PUBLIC_CACHE: &str = "public, max-age=300";

/// The body limit of the upload routes only (every other route keeps the 16 KiB JSON limit).
pub(super) fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(http::MAX_UPLOAD_BODY)
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
    let mut multipart = Multipart::from_request(request, &app).await.map_err(|_| Error::UnsupportedMediaType)?;
    let bytes = http::read_file_part(&mut multipart, "avatar", MAX_UPLOAD_BYTES).await?;
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
