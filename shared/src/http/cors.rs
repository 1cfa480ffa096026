//! CORS from an allowlist (`CORS_ALLOWED_ORIGINS`): exact origins only, never a reflected or
//! wildcard origin, credentials (login may set cookies) only for a listed origin. A preflight
//! from a listed origin is answered here, before routing, with `204`; one from any other origin
//! gets `403` and no CORS headers. With an empty list this layer is not installed at all and
//! responses carry no CORS headers. API Gateway routes are `ANY`, so preflights reach us.

use crate::error::Error;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Methods and request headers a browser may use cross-origin.
const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
const ALLOW_HEADERS: &str = "authorization, content-type, x-api-key";
/// Response headers a cross-origin script may read besides the simple ones.
const EXPOSE_HEADERS: &str = "x-request-id, retry-after";
/// How long a browser may cache a preflight answer (Chromium caps it at 2 h).
pub const PREFLIGHT_MAX_AGE_SECS: u32 = 600;

/// The origins a browser may call from, as browsers serialise them.
#[derive(Debug, Clone)]
pub struct CorsPolicy {
    origins: Vec<String>,
}

impl CorsPolicy {
    pub fn new(origins: &[String]) -> Self {
        Self { origins: origins.to_vec() }
    }

    fn allowed<'a>(&self, headers: &'a HeaderMap) -> Option<&'a HeaderValue> {
        let origin = headers.get(header::ORIGIN)?;
        let text = origin.to_str().ok()?;
        self.origins.iter().any(|o| o == text).then_some(origin)
    }
}

fn is_preflight(request: &Request) -> bool {
    request.method() == Method::OPTIONS
        && request.headers().contains_key(header::ORIGIN)
        && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The middleware: answers preflights, and adds the CORS headers for a listed origin.
pub async fn cors(State(policy): State<Arc<CorsPolicy>>, request: Request, next: Next) -> Response {
    let origin = policy.allowed(request.headers()).cloned();
    let mut response = if is_preflight(&request) {
        match &origin {
            Some(_) => {
                let mut r = StatusCode::NO_CONTENT.into_response();
                let h = r.headers_mut();
                h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOW_METHODS));
                h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOW_HEADERS));
                h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(PREFLIGHT_MAX_AGE_SECS));
                r
            }
            None => Error::Forbidden.into_response(),
        }
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    if let Some(origin) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
    }
    // The answer depends on the Origin header: shared caches must not mix them up.
    h.append(header::VARY, HeaderValue::from_static("origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        h
    }

    #[test]
    fn only_exactly_listed_origins_are_allowed() {
        let policy = CorsPolicy::new(&["https://app.example.com".into()]);
        assert!(policy.allowed(&headers("https://app.example.com")).is_some());
        for other in ["https://evil.example.com", "https://app.example.com.evil.com", "http://app.example.com", "null", "*"] {
            assert!(policy.allowed(&headers(other)).is_none(), "{other}");
        }
        assert!(policy.allowed(&HeaderMap::new()).is_none());
    }
}
