//! The hosted pages (SPEC §3.8): server-rendered HTML for every path outside `/api` and
//! `/.well-known`, served by the `web` function. A page handler parses its form, calls the same
//! `services::*` function as the JSON route, and renders a template (askama: checked when the
//! crate compiles); it never reaches the store. The browser session and the CSRF defence are in
//! [`session`], the answer's headers in [`page`], the embedded styles and script in [`assets`].
//!
//! Every page works without JavaScript; `static/app.js` only adds conveniences (copy buttons).

mod account;
mod admin;
mod assets;
mod page;
mod public;
mod session;

pub use session::Visitor;

use crate::App;
use crate::error::Error;
use crate::http::{self, MAX_JSON_BODY, RouteTable};
use crate::i18n::Lang;
use crate::services::users::avatar::MAX_UPLOAD_BYTES;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use page::{Chrome, MessagePage, Page};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The `web` function's router.
pub fn router(app: Arc<App>) -> Router {
    table()
        .into_inner()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
        .layer(axum::middleware::from_fn(http::request_id))
}

/// Every page route (see [`RouteTable`]).
pub fn table() -> RouteTable {
    public::table().merge(account::table()).merge(admin::table()).route("/static/{file}", get(assets::serve))
}

/// A path the API does not have reaches the pages too (the gateway's `$default` route): under
/// `/api/` and `/.well-known/` it is answered in the API's JSON envelope, as every other API
/// 404 is; anywhere else with a page.
fn is_api_path(uri: &axum::http::Uri) -> bool {
    let path = uri.path();
    path == "/api" || path.starts_with("/api/") || path.starts_with("/.well-known/")
}

/// Pages nobody routes to (a browser's `/favicon.ico`, a mistyped address) answer without
/// looking at the session: a 404 costs no DynamoDB call and never rotates a refresh token.
async fn not_found(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    if is_api_path(&uri) {
        return Error::NotFound.into_response();
    }
    refused(&headers, StatusCode::NOT_FOUND, "error-NOT_FOUND").into_response()
}

async fn method_not_allowed(uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    if is_api_path(&uri) {
        return Error::MethodNotAllowed.into_response();
    }
    refused(&headers, StatusCode::METHOD_NOT_ALLOWED, "error-METHOD_NOT_ALLOWED").into_response()
}

/// The plain 404 page of a path nobody routes to, for a visitor whose session was looked at:
/// the same page as [`not_found`]'s, and only the session's cookies (a rotated refresh token
/// must reach the browser). What the console answers those who are not staff.
fn not_found_for(app: &App, headers: &axum::http::HeaderMap, visitor: &mut Visitor) -> Response {
    let mut response = refused(headers, StatusCode::NOT_FOUND, "error-NOT_FOUND").into_response();
    for c in visitor.take_session_cookies(app) {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// A form post that passed the CSRF check: the visitor (whose session is looked at only after
/// the check, so a refused post rotates nothing) and the parsed form.
pub struct Submitted<T>(pub Visitor, pub T);

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// An answer that looks at no session: a form post refused before its body or session was
/// read, or a path with no page. A page in the browser's language.
pub struct Refused {
    lang: Lang,
    status: StatusCode,
    title: &'static str,
    message: &'static str,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        tracing::info!(status = self.status.as_u16(), reason = self.message, "page refused");
        let c = Chrome::anonymous(self.lang);
        let page = MessagePage { title: c.t(self.title), message: c.t(self.message), next: Some(("/".into(), c.t("nav-home"))), c };
        let body = askama::Template::render(&page).unwrap_or_default();
        Page::bare(self.status, body).into_response()
    }
}

fn refused(headers: &axum::http::HeaderMap, status: StatusCode, message: &'static str) -> Refused {
    let lang = Lang::negotiate(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())).unwrap_or(Lang::En);
    let title = match status {
        StatusCode::FORBIDDEN => "page-forbidden",
        StatusCode::NOT_FOUND => "page-not-found",
        _ => "page-error",
    };
    Refused { lang, status, title, message }
}

/// What every form post must pass before its body is read: the form's media type, and an
/// `Origin` of ours (a foreign page may not post here at all, whatever it sends).
fn precheck(parts: &axum::http::request::Parts, app: &App, media_type: &str) -> Result<(), Refused> {
    let right_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(media_type));
    if !right_type {
        return Err(refused(&parts.headers, StatusCode::UNSUPPORTED_MEDIA_TYPE, "refused-form-type"));
    }
    if http::check_origin(&parts.method, &parts.headers, &app.config).is_err() {
        return Err(refused(&parts.headers, StatusCode::FORBIDDEN, "refused-csrf"));
    }
    Ok(())
}

impl<T: DeserializeOwned> FromRequest<Arc<App>> for Submitted<T> {
    type Rejection = Refused;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        precheck(&parts, app, "application/x-www-form-urlencoded")?;
        let Ok(bytes) = axum::body::to_bytes(body, MAX_JSON_BODY).await else {
            return Err(refused(&parts.headers, StatusCode::PAYLOAD_TOO_LARGE, "refused-too-large"));
        };
        let token = serde_urlencoded::from_bytes::<CsrfField>(&bytes).map(|f| f.csrf).unwrap_or_default();
        if !session::csrf_valid(app, &parts.headers, &token) {
            return Err(refused(&parts.headers, StatusCode::FORBIDDEN, "refused-csrf"));
        }
        let visitor = match Visitor::from_request_parts(&mut parts, app).await {
            Ok(v) => v,
            Err(never) => match never {},
        };
        match serde_urlencoded::from_bytes::<T>(&bytes) {
            Ok(form) => Ok(Submitted(visitor, form)),
            Err(_) => Err(refused(&parts.headers, StatusCode::BAD_REQUEST, "refused-malformed")),
        }
    }
}

/// A multipart form post (the profile page's avatar) that passed the same checks as
/// [`Submitted`]: an `Origin` of ours, then the token of its first part, `csrf`, which is read
/// before the file and before the session is looked at (a forged post reads nothing more and
/// rotates nothing). Then the one file part `avatar`, at most the size the JSON route takes
/// (`http::MAX_UPLOAD_BODY` as the route's body limit, `MAX_UPLOAD_BYTES` for the file): its
/// bytes, or what was wrong with it (missing, empty, too large) for the page to show next to
/// the field.
pub struct SubmittedUpload(pub Visitor, pub Result<Vec<u8>, Error>);

/// The one file part of [`SubmittedUpload`].
pub const UPLOAD_FIELD: &str = "avatar";

impl FromRequest<Arc<App>> for SubmittedUpload {
    type Rejection = Refused;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        precheck(&parts, app, "multipart/form-data")?;
        // The multipart reader needs the headers (boundary) and the route's body limit (an
        // extension set by `DefaultBodyLimit`); the parts stay here for the visitor.
        let mut inner = Request::new(body);
        *inner.headers_mut() = parts.headers.clone();
        *inner.extensions_mut() = parts.extensions.clone();
        let Ok(mut multipart) = Multipart::from_request(inner, app).await else {
            return Err(refused(&parts.headers, StatusCode::UNSUPPORTED_MEDIA_TYPE, "refused-form-type"));
        };
        let token = match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("csrf") => field.text().await.unwrap_or_default(),
            _ => String::new(),
        };
        if !session::csrf_valid(app, &parts.headers, &token) {
            return Err(refused(&parts.headers, StatusCode::FORBIDDEN, "refused-csrf"));
        }
        let visitor = match Visitor::from_request_parts(&mut parts, app).await {
            Ok(v) => v,
            Err(never) => match never {},
        };
        let file = http::read_file_part(&mut multipart, UPLOAD_FIELD, MAX_UPLOAD_BYTES).await;
        Ok(SubmittedUpload(visitor, file))
    }
}

/// A path of ours to go to after signing in: only a same-origin absolute path (`/account/…`),
/// never `//host` or a scheme, so `?next=` cannot send anyone elsewhere.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.contains("://") && n.len() <= 512 => n,
        _ => "/account",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_only_leads_to_paths_of_ours() {
        assert_eq!(safe_next(Some("/account/mfa")), "/account/mfa");
        for bad in ["//evil.example", "https://evil.example/", "/\\evil.example", "account", "", "/x://y"] {
            assert_eq!(safe_next(Some(bad)), "/account", "{bad}");
        }
        assert_eq!(safe_next(None), "/account");
    }
}
