//! `/api/users/me/mfa*` (SPEC §3.2, seed 004's two-factor with backup codes). Session only:
//! an API key never touches MFA.

use crate::App;
use crate::error::Result;
use crate::http::{Authenticated, ClientInfo, Json, Reply};
use crate::services::mfa as svc;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::routing::{delete, post};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The MFA routes, merged into the `users` router.
pub fn routes() -> crate::http::RouteTable {
    crate::http::RouteTable::new()
        .route("/api/users/me/mfa/totp", post(start))
        .route("/api/users/me/mfa/totp/verify", post(verify))
        .route("/api/users/me/mfa/backup-codes", post(regenerate))
        .route("/api/users/me/mfa", delete(disable))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordRequest {
    password: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnrolmentResponse {
    secret: String,
    otpauth_url: String,
    qr_code: String,
}

fn secret_reply<T: Serialize>(data: &T, message: &str) -> Reply {
    Reply::with_status(axum::http::StatusCode::OK, data, Some(message)).header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
}

async fn start(State(app): State<Arc<App>>, Authenticated(p): Authenticated, Json(body): Json<PasswordRequest>) -> Result<Reply> {
    let e = svc::start(&app, &p, &body.password).await?;
    Ok(secret_reply(
        &EnrolmentResponse { secret: e.secret, otpauth_url: e.otpauth_url, qr_code: e.qr_code },
        "Add the account to your authenticator, then confirm with a code.",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeRequest {
    code: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BackupCodesResponse {
    mfa_enabled: bool,
    backup_codes: Vec<String>,
}

async fn verify(
    State(app): State<Arc<App>>,
    client: ClientInfo,
    Authenticated(p): Authenticated,
    Json(body): Json<CodeRequest>,
) -> Result<Reply> {
    let codes = svc::verify(&app, &p, &body.code, &client).await?;
    Ok(secret_reply(
        &BackupCodesResponse { mfa_enabled: true, backup_codes: codes },
        "Two-factor authentication is on. Keep the backup codes safe: they are shown once.",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordAndCode {
    password: String,
    code: String,
}

async fn regenerate(
    State(app): State<Arc<App>>,
    client: ClientInfo,
    Authenticated(p): Authenticated,
    Json(body): Json<PasswordAndCode>,
) -> Result<Reply> {
    let codes = svc::regenerate_backup_codes(&app, &p, &body.password, &body.code, &client).await?;
    Ok(secret_reply(&BackupCodesResponse { mfa_enabled: true, backup_codes: codes }, "New backup codes; the old ones no longer work."))
}

async fn disable(
    State(app): State<Arc<App>>,
    client: ClientInfo,
    Authenticated(p): Authenticated,
    Json(body): Json<PasswordAndCode>,
) -> Result<Reply> {
    svc::disable(&app, &p, &body.password, &body.code, &client).await?;
    Ok(Reply::ok(&serde_json::json!({ "mfaEnabled": false })))
}
