//! Helpers of the page tests (no browser): a [`Browser`] that keeps the cookies the pages set
//! and sends them back, posts forms the way a browser does (urlencoded, or multipart for a
//! file, with our `Origin`), and reads what a test needs out of the HTML ([`csrf_of`],
//! [`Html`]). Sign a test user in through the sign-in page with [`Browser::signed_in`].
//!
//! ```ignore
//! let mut b = Browser::signed_in(&t, &u).await;
//! let page = b.get("/account/profile").await.ok();
//! let done = b.submit("/account/profile", "/account/profile", &[("name", "Ada")]).await;
//! assert_eq!(done.location(), "/account/profile?done=saved");
//! ```

use crate::helpers::{ISSUER, PASSWORD, TestApp, TestUser};
use axum::body::Body;
use http::{HeaderMap, Request};

/// A page answer: status, headers and the body as text.
#[derive(Debug)]
pub struct Html {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Html {
    /// Asserts `200` and returns the page.
    #[track_caller]
    pub fn ok(self) -> Self {
        self.status(200)
    }

    /// Asserts the status and returns the page.
    #[track_caller]
    pub fn status(self, status: u16) -> Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.body);
        self
    }

    /// The `Location` of a redirect (empty when there is none).
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    /// Asserts a `303 See Other` to `to`.
    #[track_caller]
    pub fn redirects_to(&self, to: &str) -> &Self {
        assert_eq!(self.status, 303, "expected a redirect to {to}; body: {}", self.body);
        assert_eq!(self.location(), to);
        self
    }

    /// Whether an element with this `id` is on the page.
    pub fn has_id(&self, id: &str) -> bool {
        self.body.contains(&format!("id=\"{id}\""))
    }

    /// The text inside the first `<tag … id="id" …>…</tag>` (without inner markup trimmed).
    pub fn inner(&self, tag: &str, id: &str) -> Option<String> {
        let at = self.body.find(&format!("id=\"{id}\""))?;
        let start = self.body[at..].find('>')? + at + 1;
        let end = self.body[start..].find(&format!("</{tag}>"))? + start;
        Some(self.body[start..end].to_owned())
    }

    /// The value of `attr` on the element with this `id` (entities left as they are).
    pub fn attr(&self, id: &str, attr: &str) -> Option<String> {
        let at = self.body.find(&format!("id=\"{id}\""))?;
        let open = self.body[..at].rfind('<')?;
        let tag = &self.body[open..at + self.body[at..].find('>')?];
        let start = tag.find(&format!(" {attr}=\""))? + attr.len() + 3;
        Some(tag[start..start + tag[start..].find('"')?].to_owned())
    }

    /// The field error shown next to `field` (`<p class="field-error" id="FIELD-error">`).
    pub fn field_error(&self, field: &str) -> Option<String> {
        self.inner("p", &format!("{field}-error"))
    }

    /// The form's CSRF token of this page.
    pub fn csrf(&self) -> String {
        csrf_of(&self.body)
    }
}

/// The value of the first `name="csrf"` hidden field of `html` (panics when there is none).
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap_or_else(|| panic!("no csrf field in: {html}"));
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// A browser without JavaScript: a cookie jar in front of [`TestApp::send`].
pub struct Browser<'a> {
    t: &'a TestApp,
    jar: Vec<(String, String)>,
}

impl<'a> Browser<'a> {
    pub fn new(t: &'a TestApp) -> Self {
        Self { t, jar: Vec::new() }
    }

    /// A browser signed in as `u` through `GET` and `POST /sign-in` (`u` has no second factor).
    pub async fn signed_in(t: &'a TestApp, u: &TestUser) -> Self {
        let mut b = Self::new(t);
        b.submit("/sign-in", "/sign-in", &[("login", &u.username), ("password", PASSWORD)]).await.redirects_to("/account");
        b
    }

    /// The value of a cookie the pages set (and did not clear).
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The access token of the page session (for comparing with the JSON API).
    pub fn access_token(&self) -> String {
        self.cookie("__Host-access_token").expect("signed in").to_owned()
    }

    fn cookie_header(&self) -> String {
        self.jar.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, builder: http::request::Builder, body: Body) -> Html {
        let builder = if self.jar.is_empty() { builder } else { builder.header("cookie", self.cookie_header()) };
        let r = self.t.send(builder.body(body).unwrap()).await;
        for set in r.headers.get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.jar.retain(|(n, _)| n != name);
            if !set.to_str().unwrap().contains("Max-Age=0") {
                self.jar.push((name.to_owned(), value.to_owned()));
            }
        }
        let body = match r.body {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        Html { status: r.status, headers: r.headers, body }
    }

    pub async fn get(&mut self, path: &str) -> Html {
        self.send(Request::builder().method("GET").uri(path), Body::empty()).await
    }

    /// Posts `fields` (urlencoded) as they are: no token is added.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Html {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let builder = Request::builder()
            .method("POST")
            .uri(path)
            .header("origin", ISSUER)
            .header("content-type", "application/x-www-form-urlencoded");
        self.send(builder, Body::from(body)).await
    }

    /// Opens `page`, then posts `fields` to `action` with the page's CSRF token.
    pub async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Html {
        let csrf = self.get(page).await.ok().csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Posts a multipart form: `fields` first (in order), then one file part.
    pub async fn post_multipart(&mut self, path: &str, fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> Html {
        const BOUNDARY: &str = "----accounts-page-test-3f9c";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        let (name, content_type, bytes) = file;
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"upload\"\r\nContent-Type: {content_type}\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let builder = Request::builder()
            .method("POST")
            .uri(path)
            .header("origin", ISSUER)
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"));
        self.send(builder, Body::from(body)).await
    }
}
