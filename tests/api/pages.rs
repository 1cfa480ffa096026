//! A browser without a browser, for the handler-level tests of the hosted pages: a cookie jar,
//! form posts (with our `Origin` unless told otherwise), and readers for the CSRF token and
//! hidden fields of a page. The browser itself drives the pages in tests/api/browser.rs.
//!
//! [`PageClient`] is the jar and the requests; [`Browser`] sits on it for the account console's
//! tests: sign in through the page, open a page and post its form with its token in one call
//! ([`Browser::submit`]), multipart posts, and [`Html`] readers (ids, field errors, redirects).
//!
//! ```ignore
//! let mut b = Browser::signed_in(&t, &u).await;
//! b.submit("/account/profile", "/account/profile", &[("name", "Ada")]).await.redirects_to("/account/profile?done=saved");
//! let bad = b.submit("/account/profile", "/account/profile", &[("website", "ftp://x")]).await.status(400);
//! assert!(bad.field_error("website").is_some());
//! ```

use crate::helpers::{ISSUER, PASSWORD, TestApp, TestUser};
use axum::body::Body;
use http::{HeaderMap, Request};
use std::collections::BTreeMap;

/// A page's answer: status, headers and the HTML.
pub struct PageResp {
    pub status: u16,
    pub headers: HeaderMap,
    body: String,
}

impl PageResp {
    pub fn text(&self) -> String {
        self.body.clone()
    }
}

pub struct PageClient<'a> {
    t: &'a TestApp,
    jar: BTreeMap<String, String>,
    accept_language: Option<String>,
}

impl<'a> PageClient<'a> {
    pub fn new(t: &'a TestApp) -> Self {
        Self { t, jar: BTreeMap::new(), accept_language: None }
    }

    pub fn accept_language(&mut self, value: &str) {
        self.accept_language = Some(value.to_owned());
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.get(name).cloned()
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.jar.insert(name.to_owned(), value.to_owned());
    }

    /// Sends a request with the jar's cookies and keeps what the answer sets (`Max-Age=0` clears).
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> PageResp {
        let mut builder = Request::builder().method(method).uri(path);
        if !self.jar.is_empty() {
            let cookies: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            builder = builder.header("cookie", cookies.join("; "));
        }
        if let Some(lang) = &self.accept_language {
            builder = builder.header("accept-language", lang.as_str());
        }
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let r = self.t.send(builder.body(body.into()).unwrap()).await;
        for set in r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let Some((name, rest)) = set.split_once('=') else { continue };
            let value = rest.split(';').next().unwrap_or_default();
            if set.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = match r.body {
            serde_json::Value::String(s) => s,
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        PageResp { status: r.status, headers: r.headers, body }
    }

    pub async fn request(&mut self, method: &str, path: &str) -> PageResp {
        self.send(method, path, &[], None, String::new()).await
    }

    pub async fn get(&mut self, path: &str) -> PageResp {
        self.request("GET", path).await
    }

    /// A form post from one of our pages (`Origin` = the test app's issuer).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> PageResp {
        self.post_with(path, fields, &[("origin", ISSUER)]).await
    }

    /// A form post from a page of `origin`.
    pub async fn post_from(&mut self, origin: &str, path: &str, fields: &[(&str, &str)]) -> PageResp {
        self.post_with(path, fields, &[("origin", origin)]).await
    }

    pub async fn post_with(&mut self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> PageResp {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        self.send("POST", path, headers, Some("application/x-www-form-urlencoded"), body).await
    }

    pub async fn post_raw(&mut self, path: &str, content_type: &str, body: &str) -> PageResp {
        self.send("POST", path, &[("origin", ISSUER)], Some(content_type), body.to_owned()).await
    }

    /// The CSRF token of the page's forms.
    pub fn csrf(&self, page: &PageResp) -> String {
        Self::hidden(&page.body, "csrf").unwrap_or_default()
    }

    /// A CSRF token for this client, from a page with a form.
    pub async fn fresh_csrf(&mut self) -> String {
        let page = self.get("/forgot-password").await;
        self.csrf(&page)
    }

    /// The value of the first `<input … name="NAME" value="…">` of `html`.
    pub fn hidden(html: &str, name: &str) -> Option<String> {
        let at = html.find(&format!("name=\"{name}\" value=\""))?;
        let rest = &html[at + name.len() + 15..];
        Some(rest[..rest.find('"')?].replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&"))
    }

    /// Signs in through the page (the MFA step page is the answer when the account has MFA).
    pub async fn sign_in(&mut self, login: &str, password: &str) -> PageResp {
        let csrf = self.fresh_csrf().await;
        self.post("/sign-in", &[("login", login), ("password", password), ("csrf", &csrf)]).await
    }
}

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

impl From<PageResp> for Html {
    fn from(r: PageResp) -> Self {
        Html { status: r.status, body: r.text(), headers: r.headers }
    }
}

/// A [`PageClient`] with the account console's conveniences.
pub struct Browser<'a> {
    client: PageClient<'a>,
}

impl<'a> Browser<'a> {
    pub fn new(t: &'a TestApp) -> Self {
        Self { client: PageClient::new(t) }
    }

    /// A browser signed in as `u` through `GET` and `POST /sign-in` (`u` has no second factor).
    pub async fn signed_in(t: &'a TestApp, u: &TestUser) -> Self {
        let mut b = Self::new(t);
        Html::from(b.client.sign_in(&u.username, PASSWORD).await).redirects_to("/account");
        b
    }

    /// The value of a cookie the pages set (and did not clear).
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.client.cookie(name)
    }

    /// The access token of the page session (for comparing with the JSON API).
    pub fn access_token(&self) -> String {
        self.cookie("__Host-access_token").expect("signed in")
    }

    pub async fn get(&mut self, path: &str) -> Html {
        self.client.get(path).await.into()
    }

    /// Posts `fields` (urlencoded, from our origin) as they are: no token is added.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Html {
        self.client.post(path, fields).await.into()
    }

    /// Posts `fields` (urlencoded) with these headers instead of our `Origin` (a foreign or
    /// `null` origin).
    pub async fn post_with(&mut self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Html {
        self.client.post_with(path, fields, headers).await.into()
    }

    /// Opens `page` (asserting 200), then posts `fields` to `action` with the page's CSRF token.
    pub async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Html {
        let csrf = self.get(page).await.ok().csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Posts a multipart form from our origin: `fields` first (in order), then one file part
    /// `(name, content type, bytes)`.
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
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        self.client.send("POST", path, &[("origin", ISSUER)], Some(&content_type), body).await.into()
    }
}
