//! Extractors that turn requests into typed input and answer every rejection in our envelope,
//! and the one that reads the domain's [`ClientInfo`] from the gateway's request context.

use super::MAX_JSON_BODY;
use crate::App;
use crate::domain::ClientInfo;
use crate::error::{Error, FieldError};
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// A JSON body: `application/json`, at most 16 KiB, no unknown fields (the DTOs deny them).
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<App>> for Json<T> {
    type Rejection = Error;

    async fn from_request(req: Request, _state: &Arc<App>) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(Error::UnsupportedMediaType);
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_JSON_BODY).await.map_err(|_| Error::PayloadTooLarge)?;
        parse_json(&bytes).map(Json)
    }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// A body that may be absent (`POST /refresh` also takes its token from a cookie or header):
/// empty → `None`; otherwise exactly as [`Json`] (16 KiB → 413, not JSON → 415).
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned> FromRequest<Arc<App>> for OptionalJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, _state: &Arc<App>) -> Result<Self, Self::Rejection> {
        let json = is_json(req.headers());
        let bytes = axum::body::to_bytes(req.into_body(), MAX_JSON_BODY).await.map_err(|_| Error::PayloadTooLarge)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        if !json {
            return Err(Error::UnsupportedMediaType);
        }
        parse_json(&bytes).map(|v| OptionalJson(Some(v)))
    }
}

/// Maps serde's complaints onto SPEC codes: not JSON or a wrong type → `INVALID_JSON`;
/// an unknown or missing field → `VALIDATION_FAILED` naming it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::InvalidJson("request body must be a JSON object".into()));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        if e.is_data() {
            if let Some(field) = between(&text, "unknown field `", "`") {
                return Error::Validation(vec![FieldError::new(field, "is not an accepted field")]);
            }
            if let Some(field) = between(&text, "missing field `", "`") {
                return Error::Validation(vec![FieldError::new(field, "is required")]);
            }
        }
        let reason = text.split(" at line ").next().unwrap_or("malformed JSON");
        Error::InvalidJson(format!("request body is not valid JSON for this endpoint: {reason}"))
    })
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &text[text.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

/// A query string, with rejections in our envelope.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded_like(query).map(Query)
    }
}

fn serde_urlencoded_like<T: DeserializeOwned>(query: &str) -> Result<T, Error> {
    axum::extract::Query::<T>::try_from_uri(&format!("/?{query}").parse().map_err(|_| Error::field("query", "is malformed"))?)
        .map(|q| q.0)
        .map_err(|e| {
            let text = e.body_text();
            if let Some(field) = between(&text, "unknown field `", "`") {
                Error::field(field, "is not an accepted parameter")
            } else if let Some(field) = between(&text, "missing field `", "`") {
                Error::field(field, "is required")
            } else {
                Error::field("query", "is malformed")
            }
        })
}

/// [`ClientInfo`] from the API Gateway request context. A client-sent `X-Forwarded-For` is
/// never trusted: the address comes from the gateway's request context only.
impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        use lambda_http::request::RequestContext;
        let ip = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
            Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.source_ip.clone(),
            _ => None,
        }
        .filter(|ip| !ip.is_empty())
        .unwrap_or_else(|| "unknown".into());
        let user_agent =
            parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|v| v.chars().take(256).collect()).unwrap_or_default();
        Ok(Self { ip, user_agent })
    }
}

fn multipart_error(e: MultipartError, name: &str) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE { Error::PayloadTooLarge } else { Error::field(name, "the multipart body is malformed") }
}

/// The bytes of the one file part `name` left in `multipart` (at most `max` of them); any
/// other part is refused. The avatar upload of the API and of the profile page read it so.
pub async fn read_file_part(multipart: &mut Multipart, name: &str, max: usize) -> Result<Vec<u8>, Error> {
    let mut file: Option<Vec<u8>> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_error(e, name))? {
        match field.name() {
            Some(n) if n == name && file.is_none() => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, name))? {
                    if bytes.len() + chunk.len() > max {
                        return Err(Error::PayloadTooLarge);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some(bytes);
            }
            Some(n) if n == name => return Err(Error::field(name, "send exactly one file")),
            Some(other) => {
                let other: String = other.chars().take(64).collect();
                return Err(Error::Validation(vec![FieldError::new(other, "is not an accepted field")]));
            }
            None => return Err(Error::field(name, "every part of the form needs a name")),
        }
    }
    match file {
        None => Err(Error::field(name, "is required")),
        Some(b) if b.is_empty() => Err(Error::field(name, "is empty")),
        Some(b) => Ok(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        email: String,
        age: Option<u32>,
    }

    #[test]
    fn an_unknown_field_is_a_validation_error_naming_it() {
        let err = parse_json::<Sample>(br#"{"email":"a","role":"admin"}"#).unwrap_err();
        assert_eq!(err.code(), "VALIDATION_FAILED");
        assert!(matches!(err, Error::Validation(ref f) if f[0].field == "role"));
    }

    #[test]
    fn a_missing_field_is_a_validation_error_naming_it() {
        let err = parse_json::<Sample>(br#"{}"#).unwrap_err();
        assert!(matches!(err, Error::Validation(ref f) if f[0].field == "email"));
    }

    #[test]
    fn malformed_json_and_wrong_types_are_invalid_json() {
        assert_eq!(parse_json::<Sample>(b"{not json").unwrap_err().code(), "INVALID_JSON");
        assert_eq!(parse_json::<Sample>(br#"{"email": 5}"#).unwrap_err().code(), "INVALID_JSON");
        assert_eq!(parse_json::<Sample>(b"").unwrap_err().code(), "INVALID_JSON");
        assert_eq!(parse_json::<Sample>(b"[]").unwrap_err().code(), "INVALID_JSON");
    }
}
