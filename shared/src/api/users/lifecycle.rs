//! Deletion with grace and recovery, the activity log and data export (SPEC §3.2), merged into
//! the `users` router.

use super::UserResponse;
use crate::App;
use crate::api::dto::ActivityResponse;
use crate::clock::rfc3339;
use crate::domain::parse_activity_cursor;
use crate::error::{Error, Result};
use crate::http::{Authenticated, ClientInfo, Json, Query, ReadAccess, Reply};
use crate::services::{activity as activity_log, export, lifecycle as svc};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub fn routes() -> crate::http::RouteTable {
    crate::http::RouteTable::new()
        .route("/api/users/me", delete(delete_me))
        .route("/api/users/recover", post(recover))
        .route("/api/users/me/activity", get(activity))
        .route("/api/users/me/export", get(export_me))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteRequest {
    password: String,
    confirmation: String,
    reason: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScheduledResponse {
    scheduled_deletion_at: String,
    grace_period_ends: String,
    recovery_code: String,
}

async fn delete_me(
    State(app): State<Arc<App>>,
    client: ClientInfo,
    Authenticated(p): Authenticated,
    Json(body): Json<DeleteRequest>,
) -> Result<Reply> {
    let s = svc::delete_own(&app, &p, &body.password, &body.confirmation, body.reason.as_deref(), &client).await?;
    let data = ScheduledResponse {
        scheduled_deletion_at: rfc3339(s.purge_at),
        grace_period_ends: rfc3339(s.purge_at),
        recovery_code: s.recovery_code,
    };
    Ok(Reply::with_status(axum::http::StatusCode::OK, &data, Some("Account scheduled for deletion"))
        .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RecoverRequest {
    email: String,
    recovery_code: String,
}

async fn recover(State(app): State<Arc<App>>, client: ClientInfo, Json(body): Json<RecoverRequest>) -> Result<Reply> {
    svc::recover(&app, &body.email, &body.recovery_code, &client).await?;
    Ok(Reply::message("Account recovered. Sign in again."))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

/// `limit` 1..=100, default 20.
pub(crate) fn parse_limit(raw: Option<&str>) -> Result<u32> {
    match raw {
        None => Ok(20),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| Error::field("limit", "must be a whole number from 1 to 100")),
    }
}

async fn activity(State(app): State<Arc<App>>, ReadAccess(c): ReadAccess, Query(q): Query<ListQuery>) -> Result<Reply> {
    let limit = parse_limit(q.limit.as_deref())?;
    let cursor = parse_activity_cursor(q.cursor.as_deref()).map_err(|e| Error::Validation(vec![e]))?;
    let (records, next) = activity_log::list(&app, &c.user.id, cursor, limit).await?;
    let items: Vec<ActivityResponse> = records.into_iter().map(ActivityResponse::from).collect();
    Ok(Reply::page(&items, next, limit))
}

async fn export_me(State(app): State<Arc<App>>, Authenticated(p): Authenticated) -> Result<Reply> {
    let document = export::export(&app, &p, UserResponse::new(&app, &p.user)).await?;
    let filename = format!("attachment; filename=\"accounts-export-{}.json\"", p.user.id);
    let mut reply = Reply::ok(&document).header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&filename) {
        reply = reply.header(header::CONTENT_DISPOSITION, v);
    }
    Ok(reply)
}
