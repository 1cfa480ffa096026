//! A browser without a browser, for the handler-level tests of the hosted pages: a cookie jar,
//! form posts (with our `Origin` unless told otherwise), and readers for the CSRF token and
//! hidden fields of a page. The browser itself drives the pages in tests/api/browser.rs.

use crate::helpers::{ISSUER, TestApp};
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
    pub async fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], content_type: Option<&str>, body: String) -> PageResp {
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
        let r = self.t.send(builder.body(Body::from(body)).unwrap()).await;
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
