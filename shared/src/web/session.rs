//! The browser session of the hosted pages and their CSRF defence (SPEC §3.8).
//!
//! **Session.** Signing in through a page sets two cookies: the access token (the same cookie
//! the JSON API reads, so a page's session also works for `fetch` calls to `/api`) and the
//! refresh token as `session`. Both are `HttpOnly; Secure; SameSite=Lax; Path=/`, named
//! `__Host-…` over https (no subdomain can set or shadow them) and plainly over
//! `http://127.0.0.1` (browsers refuse the prefix without TLS). `Lax`, not `Strict`: a person
//! who follows a link from their mail to `/account` arrives signed in; unsafe cross-site
//! requests still carry no cookie. When the access token has expired, the next page rotates
//! the refresh token (the same `sign_in::refresh` as `POST /api/auth/refresh`) and sets both
//! cookies again; a refresh token presented twice ends its session, as in the API.
//!
//! **CSRF.** A random `csrf` cookie (`__Host-csrf` over https) and, in every form, a token that
//! is the keyed hash of it under the code pepper ([`CodePepper::hash`]: another site can
//! neither read the cookie nor compute the token). An unsafe request is accepted only with a
//! matching token *and* an `Origin` that is ours (or `null` vouched for by
//! `Sec-Fetch-Site: same-origin`, which Chromium sends from `no-referrer` pages):
//! [`http::check_origin`]. Anything else is a 403 page.

use crate::App;
use crate::domain::{ClientInfo, PasswordPolicy, Theme};
use crate::http::{self, CookieNames};
use crate::i18n::Lang;
use crate::secrets::CodePepper;
use crate::services::{Principal, authn, sign_in};
use crate::tokens::{ACCESS_TOKEN_TTL_SECS, REFRESH_TOKEN_TTL_SECS};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use std::convert::Infallible;
use std::sync::Arc;

/// The cookie names of the pages' session for this deployment.
#[derive(Debug, Clone, Copy)]
pub struct PageCookies {
    pub access: &'static str,
    pub session: &'static str,
    pub csrf: &'static str,
}

pub fn page_cookies(app: &App) -> PageCookies {
    let CookieNames { access, .. } = http::cookie_names(&app.config);
    if access.starts_with("__Host-") {
        PageCookies { access, session: "__Host-session", csrf: "__Host-csrf" }
    } else {
        PageCookies { access, session: "session", csrf: "csrf" }
    }
}

/// A `Set-Cookie` value of the pages (`max_age` 0 clears it).
fn cookie(name: &str, value: &str, max_age: i64) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax")).ok()
}

/// Who is looking at a page: their language and theme, their session if any, their CSRF token,
/// and the cookies the answer must set (a rotated session, a new CSRF cookie).
pub struct Visitor {
    pub lang: Lang,
    /// `light` or `dark` from `preferences.theme`; `None`: the system's (`prefers-color-scheme`).
    pub theme: Option<&'static str>,
    pub principal: Option<Principal>,
    pub client: ClientInfo,
    /// The token every form of this answer carries.
    pub csrf: String,
    /// What a new password must be, in the visitor's language (from the configured policy).
    pub password_hint: String,
    set_cookies: Vec<HeaderValue>,
}

impl Visitor {
    /// The `Set-Cookie` headers this answer must carry.
    pub fn take_cookies(&mut self) -> Vec<HeaderValue> {
        std::mem::take(&mut self.set_cookies)
    }

    /// The `Set-Cookie` headers of the session only (a rotated or ended session), without a new
    /// CSRF cookie: for an answer that must look like one that never read the session (the
    /// console's 404 for those who are not staff).
    pub fn take_session_cookies(&mut self, app: &App) -> Vec<HeaderValue> {
        let csrf = format!("{}=", page_cookies(app).csrf);
        self.take_cookies().into_iter().filter(|c| !c.as_bytes().starts_with(csrf.as_bytes())).collect()
    }

    /// Starts a session: the cookies of a login's tokens.
    pub fn sign_in(&mut self, app: &App, tokens: &sign_in::Tokens) {
        let names = page_cookies(app);
        self.set_cookies.extend(cookie(names.access, &tokens.access_token, ACCESS_TOKEN_TTL_SECS));
        self.set_cookies.extend(cookie(names.session, &tokens.refresh_token, REFRESH_TOKEN_TTL_SECS));
        self.lang = lang_of(tokens.user.preferences.language.primary()).unwrap_or(self.lang);
    }

    /// Ends the session in this browser (the caller ends it in the store).
    pub fn sign_out(&mut self, app: &App) {
        let names = page_cookies(app);
        self.set_cookies.extend(cookie(names.access, "", 0));
        self.set_cookies.extend(cookie(names.session, "", 0));
        self.principal = None;
    }
}

/// Whether `token` (a form's `csrf` field) belongs to the CSRF cookie of the request (constant
/// time). Without a cookie, or without the pepper, nothing matches.
pub fn csrf_valid(app: &App, headers: &HeaderMap, token: &str) -> bool {
    match (pepper(app), http::read_cookie(headers, page_cookies(app).csrf)) {
        (Some(p), Some(cookie)) if !token.is_empty() => p.matches(token, "csrf", &cookie, ""),
        _ => false,
    }
}

fn pepper(app: &App) -> Option<&CodePepper> {
    app.code_pepper().ok()
}

fn lang_of(preference: &str) -> Option<Lang> {
    let primary = preference.split(['-', '_']).next().unwrap_or_default();
    (primary.eq_ignore_ascii_case("en") || primary.eq_ignore_ascii_case("es")).then(|| Lang::from_primary(primary))
}

/// The visitor's language: the account's preference, else the browser's `Accept-Language`.
fn language(principal: Option<&Principal>, headers: &HeaderMap) -> Lang {
    principal
        .and_then(|p| lang_of(p.user.preferences.language.primary()))
        .or_else(|| Lang::negotiate(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())))
        .unwrap_or(Lang::En)
}

/// The rule of the configured password policy, for the hint under a new-password field.
fn password_hint(policy: PasswordPolicy, lang: Lang) -> String {
    let (id, min) = match policy {
        PasswordPolicy::Classic { min_length } => ("password-hint-classic", min_length),
        PasswordPolicy::Nist { min_length } => ("password-hint-nist", min_length),
    };
    crate::i18n::text_with(lang, id, &[("min", &min.to_string())])
}

fn theme(principal: Option<&Principal>) -> Option<&'static str> {
    match principal.map(|p| p.user.preferences.theme) {
        Some(Theme::Light) => Some("light"),
        Some(Theme::Dark) => Some("dark"),
        _ => None,
    }
}

/// The session of a request: the access cookie when it still verifies, else the refresh cookie
/// exchanged for a new pair (whose cookies `set` collects), else none.
async fn session(app: &App, headers: &HeaderMap, client: &ClientInfo, set: &mut Vec<HeaderValue>) -> Option<Principal> {
    let names = page_cookies(app);
    if let Some(token) = http::read_cookie(headers, names.access).filter(|t| !t.is_empty())
        && let Ok(p) = authn::authenticate(app, &token).await
    {
        return Some(p);
    }
    let refresh = http::read_cookie(headers, names.session).filter(|t| !t.is_empty())?;
    match sign_in::refresh(app, &refresh, client).await {
        Ok(tokens) => {
            set.extend(cookie(names.access, &tokens.access_token, ACCESS_TOKEN_TTL_SECS));
            set.extend(cookie(names.session, &tokens.refresh_token, REFRESH_TOKEN_TTL_SECS));
            authn::authenticate(app, &tokens.access_token).await.ok()
        }
        Err(_) => {
            // Ended, expired or reused: forget it, so the next page does not try again.
            set.extend(cookie(names.access, "", 0));
            set.extend(cookie(names.session, "", 0));
            None
        }
    }
}

impl FromRequestParts<Arc<App>> for Visitor {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let client = match ClientInfo::from_request_parts(parts, app).await {
            Ok(c) => c,
            Err(_) => ClientInfo::unknown(),
        };
        let mut set_cookies = Vec::new();
        let principal = session(app, &parts.headers, &client, &mut set_cookies).await;
        let names = page_cookies(app);
        let mut csrf_cookie = http::read_cookie(&parts.headers, names.csrf).filter(|v| v.len() >= 32 && v.len() <= 64);
        if csrf_cookie.is_none() && parts.method == axum::http::Method::GET {
            let fresh = crate::tokens::random_token(32);
            set_cookies.extend(cookie(names.csrf, &fresh, REFRESH_TOKEN_TTL_SECS));
            csrf_cookie = Some(fresh);
        }
        let csrf = match (pepper(app), &csrf_cookie) {
            (Some(p), Some(c)) => p.hash("csrf", c, ""),
            _ => String::new(),
        };
        let lang = language(principal.as_ref(), &parts.headers);
        Ok(Visitor {
            password_hint: password_hint(app.config.passwords.policy, lang),
            lang,
            theme: theme(principal.as_ref()),
            principal,
            client,
            csrf,
            set_cookies,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_preference_is_used_only_when_pages_exist_in_it() {
        assert_eq!(lang_of("es"), Some(Lang::Es));
        assert_eq!(lang_of("es-MX"), Some(Lang::Es));
        assert_eq!(lang_of("EN_gb"), Some(Lang::En));
        assert_eq!(lang_of("fr"), None);
        assert_eq!(lang_of(""), None);
    }

    #[test]
    fn the_password_hint_follows_the_configured_policy() {
        let classic = password_hint(PasswordPolicy::Classic { min_length: 10 }, Lang::En);
        assert!(classic.contains("10") && classic.contains("digit"), "{classic}");
        let nist = password_hint(PasswordPolicy::Nist { min_length: 15 }, Lang::Es);
        assert!(nist.contains("15") && !nist.contains("dígito"), "{nist}");
    }

    #[test]
    fn page_cookies_are_http_only_secure_lax_for_the_whole_site() {
        let c = cookie("__Host-session", "rt_x", 60).unwrap();
        assert_eq!(c.to_str().unwrap(), "__Host-session=rt_x; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax");
    }
}
