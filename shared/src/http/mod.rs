//! The HTTP layer shared by every function: the JSON envelope, extractors that answer with it
//! (never axum's plain-text rejections), the authenticated principal, client information, and
//! the session cookies and their cross-origin check, and the middleware that puts a request id and
//! security headers on every response.

mod auth;
mod browser;
mod cors;
mod extract;
pub mod profile;
mod routes;

/// Re-exported because handlers take it as an extractor (the impl is in `extract.rs`); the
/// type is the domain's, so services use it without reaching up into this layer.
pub use crate::domain::ClientInfo;
pub use auth::{Authenticated, MaybeUnactivated, ReadAccess, ReadAccessMaybeUnactivated, WriteAccess, api_key, bearer_token};
pub use browser::{ACCESS_COOKIE_PATH, CookieNames, REFRESH_COOKIE_PATH, check_origin, cookie_names, set_cookie};
pub use cors::{CorsPolicy, PREFLIGHT_MAX_AGE_SECS};
pub use extract::{Json, OptionalJson, Query, parse_json, read_file_part};
pub use routes::RouteTable;

use crate::envelope;
use crate::error::Error;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Request bodies larger than this are refused with 413 (avatar upload has its own limit).
pub const MAX_JSON_BODY: usize = 16 * 1024;

/// The largest avatar upload body: the file itself plus room for the multipart framing.
pub const MAX_UPLOAD_BODY: usize = crate::services::users::avatar::MAX_UPLOAD_BYTES + 64 * 1024;

/// A successful answer in the SPEC envelope: `{"success": true, "data": …, "message"?}`.
pub struct Reply {
    status: StatusCode,
    body: Vec<u8>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Reply {
    pub fn ok<T: Serialize>(data: &T) -> Self {
        Self::with_status(StatusCode::OK, data, None)
    }
    pub fn created<T: Serialize>(data: &T) -> Self {
        Self::with_status(StatusCode::CREATED, data, None)
    }
    /// A list: `{"success": true, "data": […], "page": {"nextCursor": …|null, "limit": N}}`.
    pub fn page<T: Serialize>(data: &T, next_cursor: Option<String>, limit: u32) -> Self {
        Self { status: StatusCode::OK, body: envelope::page(data, next_cursor, limit), headers: Vec::new() }
    }
    /// `202 Accepted` with only a message (the work happens, or is pretended, out of band).
    pub fn accepted(message: &str) -> Self {
        Self::with_status(StatusCode::ACCEPTED, &serde_json::Value::Null, Some(message))
    }
    pub fn message(message: &str) -> Self {
        Self::with_status(StatusCode::OK, &serde_json::json!({ "message": message }), Some(message))
    }
    pub fn with_status<T: Serialize>(status: StatusCode, data: &T, message: Option<&str>) -> Self {
        Self { status, body: envelope::success(data, message), headers: Vec::new() }
    }
    /// A list: `{"success": true, "data": [...], "page": {"nextCursor", "limit"}}`.
    pub fn list<T: Serialize>(data: &T, next_cursor: Option<&str>, limit: usize) -> Self {
        Self::page(data, next_cursor.map(str::to_owned), u32::try_from(limit).unwrap_or(u32::MAX))
    }
    /// A standard document outside the envelope (JWKS, OpenID discovery), cacheable by anyone
    /// for `max_age` seconds.
    pub fn document<T: Serialize>(data: &T, max_age: i64) -> Self {
        let body = serde_json::to_vec(data).unwrap_or_else(|_| b"{}".to_vec());
        let cache = HeaderValue::from_str(&format!("public, max-age={max_age}")).unwrap_or(HeaderValue::from_static("no-store"));
        Self { status: StatusCode::OK, body, headers: vec![(axum::http::header::CACHE_CONTROL, cache)] }
    }
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = envelope::response(self.status, self.body);
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        response
    }
}

/// `204 No Content`.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every response carries `x-request-id` (the API Gateway request id when there is one) and
/// the headers that keep account data out of caches and MIME sniffing.
pub async fn request_id(request: Request, next: Next) -> Response {
    let id = gateway_request_id(&request).unwrap_or_else(|| crate::domain::new_ulid(time::OffsetDateTime::now_utc()));
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path());
    let _entered = span.enter();
    drop(_entered);
    let mut response = tracing::Instrument::instrument(next.run(request), span).await;
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID.clone(), v);
    }
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

fn gateway_request_id(request: &Request) -> Option<String> {
    use lambda_http::request::RequestContext;
    match request.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.clone(),
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.request_id.clone(),
        _ => None,
    }
    .or_else(|| request.extensions().get::<lambda_http::Context>().map(|c| c.request_id.clone()))
    .filter(|id| !id.is_empty())
}

/// Unknown paths answer in the envelope, not with an empty 404.
async fn not_found() -> Error {
    Error::NotFound
}

/// A known path with the wrong method: 405 in the envelope, not axum's empty answer.
async fn method_not_allowed() -> Error {
    Error::MethodNotAllowed
}

/// The layers every group's router gets: our 404/405, CORS when origins are configured (outside
/// routing, so a preflight to any path is answered), and the request id and security headers
/// on everything, preflights included.
pub fn finish(router: axum::Router, config: &crate::config::Config) -> axum::Router {
    let mut router = router.fallback(not_found).method_not_allowed_fallback(method_not_allowed);
    if !config.cors_allowed_origins.is_empty() {
        let policy = std::sync::Arc::new(CorsPolicy::new(&config.cors_allowed_origins));
        router = router.layer(axum::middleware::from_fn_with_state(policy, cors::cors));
    }
    router.layer(axum::middleware::from_fn(request_id))
}

/// Reads one cookie from the request headers.
pub fn read_cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}
