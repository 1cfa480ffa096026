//! The pages' static files, embedded in the binary and served under names that carry a hash of
//! their content (`/static/app.3f2a9c1b.css`), so browsers may keep them for a year and a new
//! deploy is picked up at once.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const CSS: &[u8] = include_bytes!("static/app.css");
const JS: &[u8] = include_bytes!("static/app.js");

struct Asset {
    path: String,
    body: &'static [u8],
    content_type: &'static str,
}

fn asset(stem: &str, ext: &str, body: &'static [u8], content_type: &'static str) -> Asset {
    let digest = Sha256::digest(body);
    let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    Asset { path: format!("/static/{stem}.{hash}.{ext}"), body, content_type }
}

static ASSETS: LazyLock<[Asset; 2]> =
    LazyLock::new(|| [asset("app", "css", CSS, "text/css; charset=utf-8"), asset("app", "js", JS, "text/javascript; charset=utf-8")]);

/// Where the style sheet is served.
pub fn css_path() -> &'static str {
    &ASSETS[0].path
}

/// Where the script is served.
pub fn js_path() -> &'static str {
    &ASSETS[1].path
}

/// `GET /static/{file}`: an embedded file under its current name, cacheable for ever; any other
/// name is a 404 (an old name after a deploy: the page that asked is stale too).
pub async fn serve(Path(file): Path<String>) -> Response {
    let wanted = format!("/static/{file}");
    match ASSETS.iter().find(|a| a.path == wanted) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(a.content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
            ],
            a.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names_change_with_their_content() {
        let a = asset("app", "css", b"body{}", "text/css");
        let b = asset("app", "css", b"body{color:red}", "text/css");
        assert_ne!(a.path, b.path);
        assert!(a.path.starts_with("/static/app.") && a.path.ends_with(".css"), "{}", a.path);
        assert_eq!(css_path(), ASSETS[0].path);
    }
}
