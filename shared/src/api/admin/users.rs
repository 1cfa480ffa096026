//! The admin's user routes: listing (with the store's opaque cursor, handed through as a
//! string), reading, creating and changing users, bans, deletion and restore.

use super::{Acting, DEFAULT_LIMIT, OnUser, Staff, parse_limit};
use crate::App;
use crate::api::dto::{ActivityResponse, Patch};
use crate::clock::rfc3339;
use crate::domain::{User, UserStatus};
use crate::error::{Error, FieldError, Result};
use crate::http::{self, Json, Query, Reply};
use crate::services::admin as svc;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

// ---- responses  ------------------------------------------------------------------------------------

/// A user as administrators see it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminUserResponse {
    pub id: String,
    pub username: String,
    pub email: String,
    pub name: Option<String>,
    pub role: &'static str,
    pub rating: i64,
    pub plan: String,
    pub status: &'static str,
    pub email_verified: bool,
    pub mfa_enabled: bool,
    pub banned_until: Option<String>,
    pub ban_reason: Option<String>,
    pub deletion_scheduled_at: Option<String>,
    pub purge_at: Option<String>,
    pub deleted_by: Option<String>,
    pub last_login_at: Option<String>,
    /// Mail to `email` stopped (hard bounce or complaint); an admin clears it with
    /// `DELETE /api/admin/users/{id}/mail-suppression`.
    pub mail_suppression: Option<crate::http::profile::MailSuppressionResponse>,
    pub created_at: String,
    pub updated_at: String,
}

impl AdminUserResponse {
    pub fn new(app: &App, u: &User) -> Self {
        let status = svc::status_now(app, u);
        // A ban that has expired is history, not state.
        let banned = status == UserStatus::Banned;
        Self {
            id: u.id.to_string(),
            username: u.username.as_str().to_owned(),
            email: u.email.as_str().to_owned(),
            name: u.name.clone(),
            role: u.role.as_str(),
            rating: u.rating,
            plan: u.plan.as_str().to_owned(),
            status: status.as_str(),
            email_verified: u.email_verified,
            mfa_enabled: u.mfa_enabled,
            banned_until: if banned { u.banned_until.flatten().map(rfc3339) } else { None },
            ban_reason: if banned { u.ban_reason.clone() } else { None },
            deletion_scheduled_at: u.deletion_scheduled_at.map(rfc3339),
            purge_at: u.purge_at.map(rfc3339),
            deleted_by: u.deleted_by.clone(),
            last_login_at: u.last_login_at.map(rfc3339),
            mail_suppression: crate::http::profile::MailSuppressionResponse::of(u),
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}

// ---- list ----------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListParams {
    limit: Option<String>,
    cursor: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    role: Option<String>,
    status: Option<String>,
    q: Option<String>,
}

pub(super) async fn list_users(State(app): State<Arc<App>>, _staff: Staff, Query(params): Query<ListParams>) -> Result<Reply> {
    let input = svc::ListInput {
        limit: params.limit.as_deref(),
        cursor: params.cursor.as_deref(),
        before: None,
        page: params.page.as_deref(),
        sort: params.sort.as_deref(),
        order: params.order.as_deref(),
        role: params.role.as_deref(),
        status: params.status.as_deref(),
        q: params.q.as_deref(),
    };
    let request = svc::ListRequest::parse(input, DEFAULT_LIMIT)?;
    let limit = request.limit;
    // The cursor is the store's: the service checks it belongs to this query.
    let listed = svc::list_users(&app, request).await?;
    let data: Vec<AdminUserResponse> = listed.users.iter().map(|u| AdminUserResponse::new(&app, u)).collect();
    Ok(Reply::list(&data, listed.next.as_deref(), limit))
}

// ---- one user -------------------------------------------------------------------------------------

pub(super) async fn get_user(State(app): State<Arc<App>>, _staff: Staff, Path(id): Path<String>) -> Result<Reply> {
    let user = svc::get_user(&app, &id).await?;
    Ok(Reply::ok(&AdminUserResponse::new(&app, &user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ActivityParams {
    cursor: Option<String>,
    limit: Option<String>,
}

pub(super) async fn user_activity(
    State(app): State<Arc<App>>,
    _staff: Staff,
    Path(id): Path<String>,
    Query(params): Query<ActivityParams>,
) -> Result<Reply> {
    let limit = parse_limit(params.limit.as_deref()).map_err(|e| Error::Validation(vec![e]))?;
    let cursor = params.cursor.as_deref().map(str::trim);
    if let Some(c) = cursor
        && c.strip_prefix("act_").and_then(|u| ulid::Ulid::from_string(u).ok()).is_none()
    {
        return Err(Error::field("cursor", "is malformed"));
    }
    let (records, next) = svc::user_activity(&app, &id, cursor, i32::try_from(limit).unwrap_or(20)).await?;
    let data: Vec<ActivityResponse> = records.into_iter().map(ActivityResponse::from).collect();
    Ok(Reply::list(&data, next.as_deref(), limit))
}

// ---- create and change ----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct CreateUserRequest {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    role: Option<String>,
    email_verified: Option<bool>,
}

pub(super) async fn create_user(
    State(app): State<Arc<App>>,
    Acting { actor, .. }: Acting,
    Json(body): Json<CreateUserRequest>,
) -> Result<Reply> {
    let missing: Vec<FieldError> =
        [("username", &body.username), ("email", &body.email), ("password", &body.password), ("role", &body.role)]
            .into_iter()
            .filter(|(_, v)| v.is_none())
            .map(|(f, _)| FieldError::new(f, "is required"))
            .collect();
    if !missing.is_empty() {
        return Err(Error::Validation(missing));
    }
    let input = svc::NewAccount {
        username: body.username.unwrap_or_default(),
        email: body.email.unwrap_or_default(),
        password: body.password.unwrap_or_default(),
        role: body.role.unwrap_or_default(),
        email_verified: body.email_verified.unwrap_or(false),
    };
    let user = svc::create_user(&app, &actor, input).await?;
    Ok(Reply::created(&AdminUserResponse::new(&app, &user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct UpdateUserRequest {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    #[serde(default)]
    full_name: Patch<String>,
    role: Option<String>,
    rating: Option<i64>,
    email_verified: Option<bool>,
}

pub(super) async fn update_user(OnUser { app, principal, actor, id }: OnUser, Json(body): Json<UpdateUserRequest>) -> Result<Reply> {
    let changes = svc::UserChanges {
        username: body.username,
        email: body.email,
        password: body.password,
        full_name: body.full_name.into_change(),
        role: body.role,
        rating: body.rating,
        email_verified: body.email_verified,
    };
    let user = svc::update_user(&app, &principal, &actor, &id, changes).await?;
    Ok(Reply::ok(&AdminUserResponse::new(&app, &user)))
}

// ---- bans and deletion ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct BanRequestBody {
    banned_until: Option<String>,
    ban_reason: Option<String>,
}

#[derive(Serialize)]
struct BanResponse {
    message: &'static str,
    until: Option<String>,
}

pub(super) async fn ban(OnUser { app, principal, actor, id }: OnUser, Json(body): Json<BanRequestBody>) -> Result<Reply> {
    let request = svc::BanRequest::parse(body.banned_until.as_deref(), body.ban_reason.as_deref(), app.now())?;
    let until = svc::ban(&app, &principal, &actor, &id, request).await?;
    const MESSAGE: &str = "User banned successfully";
    Ok(Reply::with_status(axum::http::StatusCode::OK, &BanResponse { message: MESSAGE, until: until.map(rfc3339) }, Some(MESSAGE)))
}

pub(super) async fn unban(OnUser { app, principal, actor, id }: OnUser) -> Result<Response> {
    svc::unban(&app, &principal, &actor, &id).await?;
    Ok(http::no_content())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeleteResponse {
    message: &'static str,
    deletion_scheduled_at: Option<String>,
    purge_at: Option<String>,
}

pub(super) async fn delete_user(OnUser { app, principal, actor, id }: OnUser) -> Result<Reply> {
    let user = svc::delete_user(&app, &principal, &actor, &id).await?;
    const MESSAGE: &str = "User deleted successfully";
    let body = DeleteResponse {
        message: MESSAGE,
        deletion_scheduled_at: user.deletion_scheduled_at.map(rfc3339),
        purge_at: user.purge_at.map(rfc3339),
    };
    Ok(Reply::with_status(axum::http::StatusCode::OK, &body, Some(MESSAGE)))
}

pub(super) async fn restore(OnUser { app, actor, id, .. }: OnUser) -> Result<Reply> {
    let user = svc::restore_user(&app, &actor, &id).await?;
    Ok(Reply::with_status(axum::http::StatusCode::OK, &AdminUserResponse::new(&app, &user), Some("User restored")))
}

/// `DELETE /api/admin/users/{id}/mail-suppression` (admin): mail to the user's address goes
/// again; the answer is the admin view of the user (`mailSuppression: null`).
pub(super) async fn clear_mail_suppression(OnUser { app, actor, id, .. }: OnUser) -> Result<Reply> {
    let user = svc::clear_mail_suppression(&app, &actor, &id).await?;
    Ok(Reply::with_status(axum::http::StatusCode::OK, &AdminUserResponse::new(&app, &user), Some("Mail suppression cleared")))
}
