//! The SPEC §2 JSON envelope, written in one place: `{"success": true, "data": …}` for answers,
//! `{"success": false, "error", "code", "details"?}` for refusals, and the `application/json`
//! response that carries either. [`crate::error`] and [`crate::http`] both build on it, so the
//! error map does not depend on the HTTP layer above it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// What a body becomes when serialising it fails; our own response types cannot fail (no maps
/// with non-string keys), so this is a guard, not a path.
const FALLBACK: &[u8] = br#"{"success":false,"error":"internal error","code":"INTERNAL"}"#;

fn json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| FALLBACK.to_vec())
}

#[derive(Serialize)]
struct Success<'a, T: Serialize> {
    success: bool,
    data: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

#[derive(Serialize)]
struct Page<'a, T: Serialize> {
    success: bool,
    data: &'a T,
    page: PageInfo,
}

/// The `page` block of a list answer.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    next_cursor: Option<String>,
    limit: u32,
}

#[derive(Serialize)]
struct Failure<'a> {
    success: bool,
    error: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<serde_json::Value>,
}

/// `{"success": true, "data": …, "message"?}`.
pub(crate) fn success<T: Serialize>(data: &T, message: Option<&str>) -> Vec<u8> {
    json_bytes(&Success { success: true, data, message })
}

/// `{"success": true, "data": […], "page": {"nextCursor": …|null, "limit": N}}`.
pub(crate) fn page<T: Serialize>(data: &T, next_cursor: Option<String>, limit: u32) -> Vec<u8> {
    json_bytes(&Page { success: true, data, page: PageInfo { next_cursor, limit } })
}

/// `{"success": false, "error": …, "code": …, "details"?}`.
pub(crate) fn failure(error: &str, code: &str, details: Option<serde_json::Value>) -> Vec<u8> {
    json_bytes(&Failure { success: false, error, code, details })
}

/// An envelope body as an `application/json` response with `status`.
pub(crate) fn response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_without_details_has_no_details_key() {
        let body = failure("not found", "NOT_FOUND", None);
        assert_eq!(body, br#"{"success":false,"error":"not found","code":"NOT_FOUND"}"#);
    }

    #[test]
    fn a_page_always_names_its_cursor_even_when_there_is_none() {
        let body = page(&[1, 2], None, 20);
        assert_eq!(body, br#"{"success":true,"data":[1,2],"page":{"nextCursor":null,"limit":20}}"#);
    }
}
