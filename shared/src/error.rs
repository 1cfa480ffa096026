//! The one error type of the API and the only place HTTP statuses and codes are decided.
//! Internal failures keep their cause for the log; the client sees a fixed message.

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
    #[error("email is already registered")]
    EmailTaken,
    #[error("username is already taken")]
    UsernameTaken,
    #[error("the resource was changed concurrently; retry")]
    Conflict,
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
            Unauthenticated | TokenExpired | InvalidCredentials => StatusCode::UNAUTHORIZED,
            Forbidden | Refused(_) | AccountNotActivated | AccountBanned(_) | AccountPendingDeletion | ScopeRequired => {
                StatusCode::FORBIDDEN
            }
            UserNotFound | NotFound => StatusCode::NOT_FOUND,
            EmailTaken | UsernameTaken | Conflict => StatusCode::CONFLICT,
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
            InvalidCredentials => "INVALID_CREDENTIALS",
            Forbidden | Refused(_) => "FORBIDDEN",
            AccountNotActivated => "ACCOUNT_NOT_ACTIVATED",
            AccountBanned(_) => "ACCOUNT_BANNED",
            AccountPendingDeletion => "ACCOUNT_PENDING_DELETION",
            ScopeRequired => "SCOPE_REQUIRED",
            UserNotFound => "USER_NOT_FOUND",
            NotFound => "NOT_FOUND",
            EmailTaken => "EMAIL_TAKEN",
            UsernameTaken => "USERNAME_TAKEN",
            Conflict => "CONFLICT",
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
            Error::Validation(fields) | Error::WeakPassword(fields) => serde_json::to_value(fields).ok(),
            Error::AccountBanned(info) => serde_json::to_value(info).ok(),
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    success: bool,
    error: String,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<serde_json::Value>,
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
        let body = ErrorBody {
            success: false,
            // Only client errors carry their own text; a 5xx never reveals internals.
            error: self.to_string(),
            code: self.code(),
            details: self.details(),
        };
        let mut response = (status, crate::http::json_bytes(&body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Error::RateLimited { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
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
            (Error::InvalidCredentials, 401, "INVALID_CREDENTIALS"),
            (Error::Forbidden, 403, "FORBIDDEN"),
            (Error::Refused("rule"), 403, "FORBIDDEN"),
            (Error::AccountNotActivated, 403, "ACCOUNT_NOT_ACTIVATED"),
            (Error::AccountBanned(BanInfo { banned_until: None, ban_reason: None }), 403, "ACCOUNT_BANNED"),
            (Error::AccountPendingDeletion, 403, "ACCOUNT_PENDING_DELETION"),
            (Error::ScopeRequired, 403, "SCOPE_REQUIRED"),
            (Error::UserNotFound, 404, "USER_NOT_FOUND"),
            (Error::NotFound, 404, "NOT_FOUND"),
            (Error::EmailTaken, 409, "EMAIL_TAKEN"),
            (Error::UsernameTaken, 409, "USERNAME_TAKEN"),
            (Error::Conflict, 409, "CONFLICT"),
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
    async fn rate_limits_carry_retry_after() {
        let response = Error::RateLimited { retry_after_secs: 42 }.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "42");
    }
}
