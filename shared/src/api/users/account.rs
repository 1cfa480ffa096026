//! `PUT /me/password` and `POST /me/email` (completed by `POST /api/auth/confirm-email`).

use crate::App;
use crate::clock::rfc3339;
use crate::error::Result;
use crate::http::{Authenticated, ClientInfo, Json, Reply};
use crate::services::users::account as svc;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ChangePasswordRequest {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PasswordChangedResponse {
    password_changed_at: String,
    sessions_revoked: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ChangeEmailRequest {
    new_email: String,
    password: String,
}

pub(super) async fn change_password(
    State(app): State<Arc<App>>,
    client: ClientInfo,
    Authenticated(p): Authenticated,
    Json(body): Json<ChangePasswordRequest>,
) -> Result<Reply> {
    let input = svc::PasswordChange { current: body.current_password, new: body.new_password, confirm: body.confirm_password };
    let changed = svc::change_password(&app, &p, input, &client).await?;
    Ok(Reply::with_status(
        StatusCode::OK,
        &PasswordChangedResponse { password_changed_at: rfc3339(changed.changed_at), sessions_revoked: changed.sessions_revoked },
        Some("Password updated successfully"),
    ))
}

pub(super) async fn request_email_change(
    State(app): State<Arc<App>>,
    client: ClientInfo,
    Authenticated(p): Authenticated,
    Json(body): Json<ChangeEmailRequest>,
) -> Result<Reply> {
    svc::request_email_change(&app, &p, &body.new_email, &body.password, &client).await?;
    Ok(Reply::accepted(
        "A confirmation link was sent to the new address (valid 1 hour). The current address keeps working until it is opened.",
    ))
}
