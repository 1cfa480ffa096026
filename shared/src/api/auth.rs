//! `/api/auth/*` (SPEC §3.1).

use super::UserResponse;
use crate::App;
use crate::error::{Error, Result};
use crate::http::{self, ClientInfo, Json, MaybeUnactivated, OptionalJson, Query, Reply};
use crate::services::{password_reset, sign_in, sign_up};
use crate::tokens::{ACCESS_TOKEN_TTL_SECS, REFRESH_TOKEN_TTL_SECS};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub fn router(app: Arc<App>) -> Router {
    table().finish(app)
}

/// The group's routes (see [`http::RouteTable`]): `/api/auth/*` and the `/.well-known`
/// documents, which the auth function serves too.
pub fn table() -> http::RouteTable {
    super::well_known::table()
        .route("/api/auth/captcha", get(captcha))
        .route("/api/auth/register", post(register))
        .route("/api/auth/activate", post(activate_with_code).get(activate_with_link).head(activate_link_head))
        .route("/api/auth/resend-activation", post(resend_activation))
        .route("/api/auth/login", post(login))
        .route("/api/auth/mfa", post(mfa))
        .route("/api/auth/refresh", post(refresh))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/logout-all", post(logout_all))
        .route("/api/auth/status", get(status))
        .route("/api/auth/forgot-password", post(forgot_password))
        .route("/api/auth/reset-password", post(reset_password))
        .route("/api/auth/confirm-email", post(confirm_email))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaptchaResponse {
    captcha_id: String,
    captcha_image: String,
    expires_in: i64,
}

async fn captcha(State(app): State<Arc<App>>, client: ClientInfo) -> Result<Reply> {
    let c = sign_up::captcha(&app, &client).await?;
    Ok(Reply::ok(&CaptchaResponse { captcha_id: c.id, captcha_image: c.image, expires_in: c.expires_in }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RegisterRequest {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    captcha_id: Option<String>,
    captcha: Option<String>,
}

async fn register(State(app): State<Arc<App>>, client: ClientInfo, Json(body): Json<RegisterRequest>) -> Result<Reply> {
    let mut missing = Vec::new();
    for (field, value) in [("username", &body.username), ("email", &body.email), ("password", &body.password)] {
        if value.is_none() {
            missing.push(crate::error::FieldError::new(field, "is required"));
        }
    }
    if !missing.is_empty() {
        return Err(Error::Validation(missing));
    }
    // The built-in captcha sends its id and answer; a provider's widget only its token (`captcha`).
    let captcha = body.captcha.map(|answer| (body.captcha_id.unwrap_or_default(), answer));
    let registered = sign_up::register(
        &app,
        sign_up::Registration {
            username: body.username.unwrap_or_default(),
            email: body.email.unwrap_or_default(),
            password: body.password.unwrap_or_default(),
            captcha,
            language: None,
        },
        &client,
    )
    .await?;
    let message = if registered.mail_sent {
        "Account created. Check your email for the activation code."
    } else {
        "Account created, but the activation email could not be sent. Ask for it again with /api/auth/resend-activation."
    };
    Ok(Reply::with_status(StatusCode::CREATED, &UserResponse::new(&app, &registered.user), Some(message)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivateRequest {
    code: String,
}

async fn activate_with_code(
    State(app): State<Arc<App>>,
    client: ClientInfo,
    MaybeUnactivated(p): MaybeUnactivated,
    Json(body): Json<ActivateRequest>,
) -> Result<Reply> {
    if body.code.trim().len() != 6 || !body.code.trim().chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::field("code", "must be 6 digits"));
    }
    sign_up::activate_with_code(&app, &p, &body.code, &client).await?;
    Ok(Reply::message("User activated successfully"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivateLink {
    token: String,
}

/// `HEAD` of the mailed link: what link scanners and mail previews send before the person
/// clicks. axum would run the `GET` handler for it and use the token up (issue 22, finding 13),
/// so it has its own answer, the same for any token (no validity oracle), and nothing is read
/// or written.
async fn activate_link_head() -> axum::http::StatusCode {
    axum::http::StatusCode::OK
}

async fn activate_with_link(State(app): State<Arc<App>>, client: ClientInfo, Query(q): Query<ActivateLink>) -> Result<Reply> {
    if q.token.is_empty() || q.token.len() > 128 {
        return Err(Error::InvalidToken);
    }
    sign_up::activate_with_token(&app, &q.token, &client).await?;
    Ok(Reply::message("User activated successfully"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailRequest {
    email: String,
}

async fn resend_activation(State(app): State<Arc<App>>, client: ClientInfo, Json(body): Json<EmailRequest>) -> Result<Reply> {
    sign_up::resend_activation(&app, &body.email, &client).await?;
    Ok(Reply::accepted("If the address belongs to an account that is not activated yet, a new code is on its way."))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LoginRequest {
    username: Option<String>,
    email: Option<String>,
    password: String,
    #[serde(default)]
    use_cookies: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokensResponse {
    access_token: String,
    refresh_token: String,
    expires_in: i64,
    token_type: &'static str,
    user: UserResponse,
}

fn tokens_reply(app: &App, t: sign_in::Tokens, cookies: bool) -> Reply {
    let mut reply = Reply::ok(&TokensResponse {
        access_token: t.access_token.clone(),
        refresh_token: t.refresh_token.clone(),
        expires_in: t.expires_in,
        token_type: "Bearer",
        user: UserResponse::new(app, &t.user),
    });
    if cookies {
        let names = http::cookie_names(&app.config);
        for c in [
            http::set_cookie(names.access, &t.access_token, http::ACCESS_COOKIE_PATH, ACCESS_TOKEN_TTL_SECS),
            http::set_cookie(names.refresh, &t.refresh_token, http::REFRESH_COOKIE_PATH, REFRESH_TOKEN_TTL_SECS),
        ]
        .into_iter()
        .flatten()
        {
            reply = reply.header(header::SET_COOKIE, c);
        }
    }
    reply
}

async fn login(State(app): State<Arc<App>>, client: ClientInfo, Json(body): Json<LoginRequest>) -> Result<Reply> {
    let cookies = body.use_cookies;
    let tokens =
        sign_in::login(&app, sign_in::Credentials { username: body.username, email: body.email, password: body.password }, &client).await?;
    Ok(tokens_reply(&app, tokens, cookies))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MfaRequest {
    mfa_token: String,
    code: String,
    #[serde(default)]
    use_cookies: bool,
}

async fn mfa(State(app): State<Arc<App>>, client: ClientInfo, Json(body): Json<MfaRequest>) -> Result<Reply> {
    let tokens = sign_in::complete_mfa(&app, &body.mfa_token, &body.code, &client).await?;
    Ok(tokens_reply(&app, tokens, body.use_cookies))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RefreshRequest {
    refresh_token: Option<String>,
}

async fn refresh(
    State(app): State<Arc<App>>,
    client: ClientInfo,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<RefreshRequest>,
) -> Result<Reply> {
    // The token may come in the body, the refresh cookie, or as a bearer token.
    let from_body = body.unwrap_or_default();
    let from_cookie = http::read_cookie(&headers, http::cookie_names(&app.config).refresh);
    let cookies = from_body.refresh_token.is_none() && from_cookie.is_some();
    if cookies {
        // The browser sent the cookie on its own: only our origins may have it rotated.
        http::check_origin(&axum::http::Method::POST, &headers, &app.config)?;
    }
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::to_owned);
    let token = from_body.refresh_token.or(from_cookie).or(bearer).ok_or(Error::Unauthenticated)?;
    let tokens = sign_in::refresh(&app, &token, &client).await?;
    Ok(tokens_reply(&app, tokens, cookies))
}

fn clear_cookies(app: &App, response: Reply) -> Reply {
    let mut reply = response;
    let names = http::cookie_names(&app.config);
    for (name, path) in [(names.access, http::ACCESS_COOKIE_PATH), (names.refresh, http::REFRESH_COOKIE_PATH)] {
        if let Some(c) = http::set_cookie(name, "", path, 0) {
            reply = reply.header(header::SET_COOKIE, c);
        }
    }
    reply
}

async fn logout(State(app): State<Arc<App>>, client: ClientInfo, MaybeUnactivated(p): MaybeUnactivated) -> Result<Reply> {
    sign_in::logout(&app, &p, &client).await?;
    Ok(clear_cookies(&app, Reply::message("Logged out")))
}

async fn logout_all(State(app): State<Arc<App>>, client: ClientInfo, MaybeUnactivated(p): MaybeUnactivated) -> Result<Reply> {
    let ended = sign_in::logout_all(&app, &p, &client).await?;
    Ok(clear_cookies(
        &app,
        Reply::with_status(StatusCode::OK, &serde_json::json!({ "sessionsEnded": ended }), Some("Logged out everywhere")),
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusResponse {
    is_confirmed: bool,
    message: &'static str,
}

async fn status(MaybeUnactivated(p): MaybeUnactivated) -> Reply {
    let confirmed = p.user.email_verified;
    Reply::ok(&StatusResponse { is_confirmed: confirmed, message: if confirmed { "User is activated" } else { "User is not activated" } })
}

async fn forgot_password(State(app): State<Arc<App>>, client: ClientInfo, Json(body): Json<EmailRequest>) -> Result<Reply> {
    password_reset::forgot_password(&app, &body.email, &client).await?;
    Ok(Reply::accepted("If the address belongs to an account, a reset link is on its way."))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ResetRequest {
    token: String,
    new_password: String,
}

async fn reset_password(State(app): State<Arc<App>>, client: ClientInfo, Json(body): Json<ResetRequest>) -> Result<Reply> {
    if body.token.is_empty() || body.token.len() > 128 {
        return Err(Error::InvalidToken);
    }
    password_reset::reset_password(&app, &body.token, &body.new_password, &client).await?;
    Ok(Reply::message("Password has been reset. Sign in with the new password."))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmEmailRequest {
    token: String,
}

/// Completes an email change with the token from the link mailed to the new address.
async fn confirm_email(State(app): State<Arc<App>>, client: ClientInfo, Json(body): Json<ConfirmEmailRequest>) -> Result<Reply> {
    if body.token.is_empty() || body.token.len() > 128 {
        return Err(Error::InvalidToken);
    }
    crate::services::users::account::confirm_email_change(&app, &body.token, &client).await?;
    Ok(Reply::message("Email address changed. Sign in with the new address from now on."))
}
