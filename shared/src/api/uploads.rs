//! `/api/uploads*` (SPEC §3.5; seed 002's upload records). Every route needs an activated
//! account; another user's upload answers `404` exactly like one that does not exist.

use crate::App;
use crate::clock::rfc3339;
use crate::domain::Upload;
use crate::error::{Error, FieldError, Result};
use crate::http::{self, Authenticated, Json, Query, Reply};
use crate::services::uploads::{self as svc, BatchResult, DEFAULT_PAGE, MAX_PAGE};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

pub fn router(app: Arc<App>) -> Router {
    table().finish(app)
}

/// The group's routes (see [`http::RouteTable`]).
pub fn table() -> http::RouteTable {
    http::RouteTable::new()
        .route("/api/uploads", get(list).post(create))
        .route("/api/uploads/batch-delete", post(batch_delete))
        .route("/api/uploads/{id}", get(get_one).delete(delete_one))
        .route("/api/uploads/{id}/complete", post(complete))
}

/// One upload record (seed 002's names where it has them: `fileSize`, `fileType`, `uploadTime`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadResponse {
    id: String,
    filename: String,
    file_size: i64,
    file_type: String,
    kind: &'static str,
    /// `PENDING` until `complete`, then `ACTIVE`.
    status: &'static str,
    /// When the upload completed (`null` while pending).
    upload_time: Option<String>,
    created_at: String,
    download_count: i64,
    last_downloaded_at: Option<String>,
}

impl From<&Upload> for UploadResponse {
    fn from(u: &Upload) -> Self {
        Self {
            id: u.id.to_string(),
            filename: u.filename.clone(),
            file_size: u.size,
            file_type: u.content_type.clone(),
            kind: u.kind.as_str(),
            status: u.status.as_str(),
            upload_time: u.completed_at.map(rfc3339),
            created_at: rfc3339(u.created_at),
            download_count: u.download_count,
            last_downloaded_at: u.last_downloaded_at.map(rfc3339),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateRequest {
    filename: Option<String>,
    content_type: Option<String>,
    size: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateResponse {
    id: String,
    /// Send the bytes here with `method` and exactly `headers`, before `expiresAt`.
    upload_url: String,
    method: String,
    headers: BTreeMap<String, String>,
    expires_at: String,
    upload: UploadResponse,
}

async fn create(State(app): State<Arc<App>>, Authenticated(p): Authenticated, Json(body): Json<CreateRequest>) -> Result<Reply> {
    let missing: Vec<FieldError> =
        [("filename", body.filename.is_none()), ("contentType", body.content_type.is_none()), ("size", body.size.is_none())]
            .into_iter()
            .filter(|(_, absent)| *absent)
            .map(|(f, _)| FieldError::new(f, "is required"))
            .collect();
    if !missing.is_empty() {
        return Err(Error::Validation(missing));
    }
    let input = svc::NewUpload {
        filename: body.filename.unwrap_or_default(),
        content_type: body.content_type.unwrap_or_default(),
        size: body.size.unwrap_or_default(),
    };
    let created = svc::create(&app, &p, input).await?;
    Ok(Reply::created(&CreateResponse {
        id: created.upload.id.to_string(),
        upload_url: created.presigned.url,
        method: created.presigned.method,
        headers: created.presigned.headers.into_iter().collect(),
        expires_at: rfc3339(created.expires_at),
        upload: UploadResponse::from(&created.upload),
    }))
}

async fn complete(State(app): State<Arc<App>>, Authenticated(p): Authenticated, Path(id): Path<String>) -> Result<Reply> {
    let upload = svc::complete(&app, &p, &id).await?;
    Ok(Reply::ok(&UploadResponse::from(&upload)))
}

#[derive(Deserialize)]
struct ListQuery {
    cursor: Option<String>,
    limit: Option<String>,
    sort: Option<String>,
}

async fn list(State(app): State<Arc<App>>, Authenticated(p): Authenticated, Query(q): Query<ListQuery>) -> Result<Reply> {
    let mut errors = Vec::new();
    let limit = match q.limit.as_deref() {
        None | Some("") => DEFAULT_PAGE,
        Some(raw) => match raw.parse::<u32>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                errors.push(FieldError::new("limit", "must be a whole number from 1 to 100"));
                DEFAULT_PAGE
            }
        },
    };
    let descending = match q.sort.as_deref().map(str::trim) {
        None | Some("") | Some("createdAt,desc") | Some("createdAt") => true,
        Some("createdAt,asc") => false,
        Some(_) => {
            errors.push(FieldError::new("sort", "must be createdAt,desc or createdAt,asc"));
            true
        }
    };
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let (uploads, next) = svc::list(&app, &p, q.cursor.as_deref(), limit, descending).await?;
    let data: Vec<UploadResponse> = uploads.iter().map(UploadResponse::from).collect();
    Ok(Reply::page(&data, next, limit))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GetResponse {
    #[serde(flatten)]
    upload: UploadResponse,
    /// A short-lived download link (`null` while pending).
    url: Option<String>,
    url_expires_at: Option<String>,
}

async fn get_one(State(app): State<Arc<App>>, Authenticated(p): Authenticated, Path(id): Path<String>) -> Result<Reply> {
    let (upload, download) = svc::get(&app, &p, &id).await?;
    Ok(Reply::ok(&GetResponse {
        upload: UploadResponse::from(&upload),
        url_expires_at: download.as_ref().map(|d| rfc3339(d.expires_at)),
        url: download.map(|d| d.url),
    }))
}

async fn delete_one(State(app): State<Arc<App>>, Authenticated(p): Authenticated, Path(id): Path<String>) -> Result<Response> {
    svc::delete(&app, &p, &id).await?;
    Ok(http::no_content())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchDeleteRequest {
    ids: Vec<String>,
}

#[derive(Serialize)]
struct BatchItem {
    id: String,
    /// `deleted` or `not_found`.
    status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchDeleteResponse {
    results: Vec<BatchItem>,
    deleted: usize,
    not_found: usize,
}

async fn batch_delete(State(app): State<Arc<App>>, Authenticated(p): Authenticated, Json(body): Json<BatchDeleteRequest>) -> Result<Reply> {
    let results = svc::batch_delete(&app, &p, &body.ids).await?;
    let deleted = results.iter().filter(|(_, r)| *r == BatchResult::Deleted).count();
    let results: Vec<BatchItem> = results
        .into_iter()
        .map(|(id, r)| BatchItem { id, status: if r == BatchResult::Deleted { "deleted" } else { "not_found" } })
        .collect();
    Ok(Reply::ok(&BatchDeleteResponse { not_found: results.len() - deleted, deleted, results }))
}
