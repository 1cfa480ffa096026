//! The one error type of the API and the only place HTTP statuses and codes are decided.
//! Internal failures keep their cause for the log; the client sees a fixed message.

use crate::envelope;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One failing input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Ban details a banned user sees after a correct password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BanInfo {
    pub banned_until: Option<String>,
    pub ban_reason: Option<String>,
}

/// Which quota refused an upload, and the numbers behind the refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaInfo {
    /// `storage` (bytes) or `uploads` (files).
    pub resource: &'static str,
    /// Committed before this request (stored plus reserved by pending uploads).
    pub used: i64,
    pub limit: i64,
    pub requested: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    InvalidJson(String),
    #[error("current password is incorrect")]
    InvalidPassword,
    #[error("captcha is invalid or expired")]
    InvalidCaptcha,
    #[error("code is invalid")]
    InvalidCode,
    #[error("code has expired")]
    CodeExpired,
    #[error("token is invalid or expired")]
    InvalidToken,
    #[error("authentication required")]
    Unauthenticated,
    #[error("access token has expired")]
    TokenExpired,
    #[error("a second factor is required")]
    MfaRequired { mfa_token: String, expires_in: i64 },
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("you are not allowed to do this")]
    Forbidden,
    /// A rule refuses the action (`403 FORBIDDEN` with a message that names the rule, e.g.
    /// "the last admin cannot be demoted, banned or deleted").
    #[error("{0}")]
    Refused(&'static str),
    #[error("account is not activated")]
    AccountNotActivated,
    #[error("account is banned")]
    AccountBanned(BanInfo),
    #[error("account is scheduled for deletion")]
    AccountPendingDeletion,
    #[error("this credential lacks the required scope")]
    ScopeRequired,
    #[error("user not found")]
    UserNotFound,
    #[error("not found")]
    NotFound,
    /// The path exists but does not serve this method (the routers' fallback).
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("email is already registered")]
    EmailTaken,
    #[error("username is already taken")]
    UsernameTaken,
    #[error("the resource was changed concurrently; retry")]
    Conflict,
    /// The request does not fit the resource's current state (409 `CONFLICT`, with the reason).
    #[error("{0}")]
    InvalidState(&'static str),
    /// A downgrade would leave usage over the new plan's limits (409 `CONFLICT`, details say which).
    #[error("current usage exceeds the new plan's limits; free up space first")]
    UsageOverPlanLimits(Vec<FieldError>),
    #[error("plan not found")]
    PlanNotFound,
    #[error("no subscription found")]
    SubscriptionNotFound,
    #[error("payment failed: {message}")]
    PaymentFailed { decline_code: String, message: String },
    #[error("upload quota exceeded")]
    QuotaExceeded(QuotaInfo),
    /// A plan limit is reached (`message` says which); `Retry-After` when it resets by waiting.
    #[error("{message}: your plan's limit is reached")]
    SubscriptionLimitExceeded { retry_after_secs: Option<u64>, message: String },
    #[error("password does not meet the policy")]
    WeakPassword(Vec<FieldError>),
    #[error("too many requests; retry later")]
    RateLimited { retry_after_secs: u64 },
    #[error("request body is too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("a dependency is unavailable; retry later")]
    DependencyUnavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    /// A single-field validation error.
    pub fn field(field: &str, message: &str) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    pub fn status(&self) -> StatusCode {
        use Error::*;
        match self {
            Validation(_) | InvalidJson(_) | InvalidPassword | InvalidCaptcha | InvalidCode | CodeExpired | InvalidToken => {
                StatusCode::BAD_REQUEST
            }
            Unauthenticated | TokenExpired | InvalidCredentials | MfaRequired { .. } => StatusCode::UNAUTHORIZED,
            Forbidden | Refused(_) | AccountNotActivated | AccountBanned(_) | AccountPendingDeletion | ScopeRequired => {
                StatusCode::FORBIDDEN
            }
            UserNotFound | NotFound | PlanNotFound | SubscriptionNotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            EmailTaken | UsernameTaken | Conflict | InvalidState(_) | UsageOverPlanLimits(_) => StatusCode::CONFLICT,
            PaymentFailed { .. } => StatusCode::PAYMENT_REQUIRED,
            QuotaExceeded(_) | SubscriptionLimitExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
            WeakPassword(_) => StatusCode::UNPROCESSABLE_ENTITY,
            RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            DependencyUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        use Error::*;
        match self {
            Validation(_) => "VALIDATION_FAILED",
            InvalidJson(_) => "INVALID_JSON",
            InvalidPassword => "INVALID_PASSWORD",
            InvalidCaptcha => "INVALID_CAPTCHA",
            InvalidCode => "INVALID_CODE",
            CodeExpired => "CODE_EXPIRED",
            InvalidToken => "INVALID_TOKEN",
            Unauthenticated => "UNAUTHENTICATED",
            TokenExpired => "TOKEN_EXPIRED",
            MfaRequired { .. } => "MFA_REQUIRED",
            InvalidCredentials => "INVALID_CREDENTIALS",
            Forbidden | Refused(_) => "FORBIDDEN",
            AccountNotActivated => "ACCOUNT_NOT_ACTIVATED",
            AccountBanned(_) => "ACCOUNT_BANNED",
            AccountPendingDeletion => "ACCOUNT_PENDING_DELETION",
            ScopeRequired => "SCOPE_REQUIRED",
            UserNotFound => "USER_NOT_FOUND",
            NotFound => "NOT_FOUND",
            MethodNotAllowed => "METHOD_NOT_ALLOWED",
            EmailTaken => "EMAIL_TAKEN",
            UsernameTaken => "USERNAME_TAKEN",
            Conflict | InvalidState(_) | UsageOverPlanLimits(_) => "CONFLICT",
            PlanNotFound => "PLAN_NOT_FOUND",
            SubscriptionNotFound => "SUBSCRIPTION_NOT_FOUND",
            PaymentFailed { .. } => "PAYMENT_FAILED",
            QuotaExceeded(_) => "QUOTA_EXCEEDED",
            SubscriptionLimitExceeded { .. } => "SUBSCRIPTION_LIMIT_EXCEEDED",
            WeakPassword(_) => "WEAK_PASSWORD",
            RateLimited { .. } => "RATE_LIMITED",
            PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            DependencyUnavailable(_) => "DEPENDENCY_UNAVAILABLE",
            Internal(_) => "INTERNAL",
        }
    }

    fn details(&self) -> Option<serde_json::Value> {
        match self {
            Error::Validation(fields) | Error::WeakPassword(fields) | Error::UsageOverPlanLimits(fields) => {
                serde_json::to_value(fields).ok()
            }
            Error::QuotaExceeded(info) => serde_json::to_value(info).ok(),
            Error::PaymentFailed { decline_code, .. } => Some(serde_json::json!({ "declineCode": decline_code })),
            Error::AccountBanned(info) => serde_json::to_value(info).ok(),
            Error::MfaRequired { mfa_token, expires_in } => Some(serde_json::json!({ "mfaToken": mfa_token, "expiresIn": expires_in })),
            _ => None,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            // Logged once, with the whole chain, where the response is made.
            Error::Internal(e) | Error::DependencyUnavailable(e) => {
                tracing::error!(code = self.code(), error = format!("{e:#}"), "request failed");
            }
            _ => tracing::info!(code = self.code(), status = status.as_u16(), "request refused"),
        }
        // Only client errors carry their own text; a 5xx never reveals internals.
        let body = envelope::failure(&self.to_string(), self.code(), self.details());
        let mut response = envelope::response(status, body);
        let headers = response.headers_mut();
        let retry_after = match self {
            Error::RateLimited { retry_after_secs } | Error::SubscriptionLimitExceeded { retry_after_secs: Some(retry_after_secs), .. } => {
                Some(retry_after_secs)
            }
            _ => None,
        };
        if let Some(v) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            headers.insert(header::RETRY_AFTER, v);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variant with the status and code SPEC §2 gives it.
    #[test]
    fn every_error_maps_to_the_spec_status_and_code() {
        let table: Vec<(Error, u16, &str)> = vec![
            (Error::Validation(vec![]), 400, "VALIDATION_FAILED"),
            (Error::InvalidJson(String::new()), 400, "INVALID_JSON"),
            (Error::InvalidPassword, 400, "INVALID_PASSWORD"),
            (Error::InvalidCaptcha, 400, "INVALID_CAPTCHA"),
            (Error::InvalidCode, 400, "INVALID_CODE"),
            (Error::CodeExpired, 400, "CODE_EXPIRED"),
            (Error::InvalidToken, 400, "INVALID_TOKEN"),
            (Error::Unauthenticated, 401, "UNAUTHENTICATED"),
            (Error::TokenExpired, 401, "TOKEN_EXPIRED"),
            (Error::MfaRequired { mfa_token: String::new(), expires_in: 0 }, 401, "MFA_REQUIRED"),
            (Error::InvalidCredentials, 401, "INVALID_CREDENTIALS"),
            (Error::Forbidden, 403, "FORBIDDEN"),
            (Error::Refused("rule"), 403, "FORBIDDEN"),
            (Error::AccountNotActivated, 403, "ACCOUNT_NOT_ACTIVATED"),
            (Error::AccountBanned(BanInfo { banned_until: None, ban_reason: None }), 403, "ACCOUNT_BANNED"),
            (Error::AccountPendingDeletion, 403, "ACCOUNT_PENDING_DELETION"),
            (Error::ScopeRequired, 403, "SCOPE_REQUIRED"),
            (Error::UserNotFound, 404, "USER_NOT_FOUND"),
            (Error::NotFound, 404, "NOT_FOUND"),
            (Error::MethodNotAllowed, 405, "METHOD_NOT_ALLOWED"),
            (Error::EmailTaken, 409, "EMAIL_TAKEN"),
            (Error::UsernameTaken, 409, "USERNAME_TAKEN"),
            (Error::Conflict, 409, "CONFLICT"),
            (Error::InvalidState("x"), 409, "CONFLICT"),
            (Error::UsageOverPlanLimits(vec![]), 409, "CONFLICT"),
            (Error::PlanNotFound, 404, "PLAN_NOT_FOUND"),
            (Error::SubscriptionNotFound, 404, "SUBSCRIPTION_NOT_FOUND"),
            (Error::PaymentFailed { decline_code: "card_declined".into(), message: "x".into() }, 402, "PAYMENT_FAILED"),
            (Error::QuotaExceeded(QuotaInfo { resource: "storage", used: 1, limit: 1, requested: 1 }), 429, "QUOTA_EXCEEDED"),
            (Error::SubscriptionLimitExceeded { retry_after_secs: None, message: String::new() }, 429, "SUBSCRIPTION_LIMIT_EXCEEDED"),
            (Error::WeakPassword(vec![]), 422, "WEAK_PASSWORD"),
            (Error::RateLimited { retry_after_secs: 1 }, 429, "RATE_LIMITED"),
            (Error::PayloadTooLarge, 413, "PAYLOAD_TOO_LARGE"),
            (Error::UnsupportedMediaType, 415, "UNSUPPORTED_MEDIA_TYPE"),
            (Error::DependencyUnavailable(anyhow::anyhow!("x")), 503, "DEPENDENCY_UNAVAILABLE"),
            (Error::Internal(anyhow::anyhow!("x")), 500, "INTERNAL"),
        ];
        for (err, status, code) in table {
            assert_eq!(err.status().as_u16(), status, "{err:?}");
            assert_eq!(err.code(), code, "{err:?}");
        }
    }

    #[tokio::test]
    async fn an_internal_error_never_reveals_its_cause() {
        let response = Error::internal(anyhow::anyhow!("table secret-table missing")).into_response();
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("secret-table"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["success"], false);
        assert_eq!(json["code"], "INTERNAL");
    }

    #[tokio::test]
    async fn the_routers_405_fallback_is_an_error_in_the_envelope() {
        let response = Error::MethodNotAllowed.into_response();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        assert_eq!(&body[..], br#"{"success":false,"error":"method not allowed","code":"METHOD_NOT_ALLOWED"}"#);
    }

    #[tokio::test]
    async fn rate_limits_carry_retry_after() {
        let response = Error::RateLimited { retry_after_secs: 42 }.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "42");
    }

    #[tokio::test]
    async fn a_plan_limit_carries_retry_after_only_when_it_resets_by_waiting() {
        let monthly = Error::SubscriptionLimitExceeded { retry_after_secs: Some(3600), message: "1000 API requests a month".into() };
        let response = monthly.into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()[header::RETRY_AFTER], "3600");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["code"], "SUBSCRIPTION_LIMIT_EXCEEDED");
        assert_eq!(json["error"], "1000 API requests a month: your plan's limit is reached");
        let keys = Error::SubscriptionLimitExceeded { retry_after_secs: None, message: "10 active API keys".into() };
        assert!(keys.into_response().headers().get(header::RETRY_AFTER).is_none());
    }

    #[tokio::test]
    async fn a_quota_refusal_says_which_quota_and_has_no_retry_after() {
        let response = Error::QuotaExceeded(QuotaInfo { resource: "storage", used: 900, limit: 1000, requested: 200 }).into_response();
        assert!(response.headers().get(header::RETRY_AFTER).is_none(), "a quota does not reset by waiting");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["details"], serde_json::json!({"resource": "storage", "used": 900, "limit": 1000, "requested": 200}));
    }
}
