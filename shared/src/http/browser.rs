//! What a browser needs that other clients do not: the session cookies' names, paths and
//! attributes, and the check that a cookie-authenticated unsafe request was sent by one of our
//! own origins (cross-site request forgery, issue 22 finding 8).
//!
//! **Names.** Over https the access cookie is `__Host-access_token` (Secure, `Path=/`, no
//! Domain: no subdomain can set or shadow it) and the refresh cookie `__Secure-refresh_token`
//! (`Path=/api/auth`, so it travels only to the routes that use it; `__Host-` requires
//! `Path=/`). Over plain http (`http://127.0.0.1` locally) browsers refuse the prefixes, so the
//! names stay unprefixed there. The scheme is the API's own: that of `JWT_ISSUER`.
//!
//! **Origins.** `SameSite=Strict` alone is not a CSRF defence everywhere (same-site is not
//! same-origin: a sibling subdomain is "same site"; older browsers ignore it). An unsafe
//! request authenticated by a cookie must carry an `Origin` that is the API's own (`JWT_ISSUER`),
//! the front-end's (`PUBLIC_BASE_URL`) or one of `CORS_ALLOWED_ORIGINS`. Chromium sends
//! `Origin: null` on form posts from `Referrer-Policy: no-referrer` pages; then
//! `Sec-Fetch-Site: same-origin` (which a page cannot forge) vouches for it. A request with
//! neither header is not from a browser (every current browser sends `Origin` on unsafe
//! requests), so it cannot be a forged one and passes. Bearer tokens and API keys are never
//! sent by a browser on its own and are not checked.

use crate::config::Config;
use crate::error::Error;
use axum::http::{HeaderMap, HeaderValue, Method, header};

/// Where the access cookie is sent: everywhere on the API's host (`__Host-` requires `/`).
pub const ACCESS_COOKIE_PATH: &str = "/";
/// Where the refresh cookie is sent: only to `/api/auth/*` (refresh, logout).
pub const REFRESH_COOKIE_PATH: &str = "/api/auth";

const REFUSED: &str = "cross-origin request refused: a cookie-authenticated change must come from an allowed origin";

/// The two session cookies' names for this deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieNames {
    pub access: &'static str,
    pub refresh: &'static str,
}

/// `__Host-` / `__Secure-` names when the API is served over https, plain names otherwise.
pub fn cookie_names(config: &Config) -> CookieNames {
    if config.jwt_issuer.starts_with("https://") {
        CookieNames { access: "__Host-access_token", refresh: "__Secure-refresh_token" }
    } else {
        CookieNames { access: "access_token", refresh: "refresh_token" }
    }
}

/// A `Set-Cookie` value for a session token (`max_age` 0 clears it).
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: i64) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict")).ok()
}

/// The origin (`scheme://host[:port]`) of a configured URL, as browsers serialise it.
fn origin_of(url: &str) -> Option<String> {
    url::Url::parse(url).ok().map(|u| u.origin()).filter(url::Origin::is_tuple).map(|o| o.ascii_serialization())
}

fn is_allowed_origin(origin: &str, config: &Config) -> bool {
    config.cors_allowed_origins.iter().any(|o| o == origin)
        || [&config.jwt_issuer, &config.public_base_url].into_iter().filter_map(|u| origin_of(u)).any(|o| o == origin)
}

/// Refuses (`403 FORBIDDEN`) a cookie-authenticated unsafe request that a page of another
/// origin could have made; see the module documentation for the rule.
pub fn check_origin(method: &Method, headers: &HeaderMap, config: &Config) -> Result<(), Error> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE) {
        return Ok(());
    }
    let origin = headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("invalid"));
    let fetch_site = headers.get("sec-fetch-site").map(|v| v.to_str().unwrap_or("invalid"));
    let allowed = match (origin, fetch_site) {
        (Some(o), _) if o != "null" => is_allowed_origin(o, config),
        (_, Some(site)) => site == "same-origin",
        // `Origin: null` and no fetch metadata: an opaque origin nothing vouches for.
        (Some(_), None) => false,
        // Neither header: not a browser, so not a forgery.
        (None, None) => true,
    };
    if allowed { Ok(()) } else { Err(Error::Refused(REFUSED)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(issuer: &str) -> Config {
        let vars = [
            ("TABLE_NAME", "t"),
            ("BUCKET_NAME", "b"),
            ("MAIL_FROM", "no-reply@example.com"),
            ("PUBLIC_BASE_URL", "https://www.example.com/app"),
            ("JWT_ISSUER", issuer),
            ("JWT_AUDIENCE", "a"),
            ("CORS_ALLOWED_ORIGINS", "https://app.example.com"),
        ];
        Config::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())).unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_api_front_end_and_listed_origins_may_change_things_others_may_not() {
        let c = config("https://api.example.com");
        for ok in ["https://api.example.com", "https://www.example.com", "https://app.example.com"] {
            assert!(check_origin(&Method::POST, &headers(&[("origin", ok)]), &c).is_ok(), "{ok}");
        }
        for bad in
            ["https://evil.example.com", "http://api.example.com", "https://api.example.com:8443", "null", "https://api.example.com.evil"]
        {
            let err = check_origin(&Method::DELETE, &headers(&[("origin", bad)]), &c).unwrap_err();
            assert_eq!(err.code(), "FORBIDDEN", "{bad}");
        }
    }

    #[test]
    fn a_null_origin_passes_only_with_same_origin_fetch_metadata() {
        let c = config("https://api.example.com");
        assert!(check_origin(&Method::POST, &headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]), &c).is_ok());
        for site in ["same-site", "cross-site", "none"] {
            let h = headers(&[("origin", "null"), ("sec-fetch-site", site)]);
            assert!(check_origin(&Method::POST, &h, &c).is_err(), "{site}");
        }
        assert!(check_origin(&Method::POST, &headers(&[("sec-fetch-site", "cross-site")]), &c).is_err());
        assert!(
            check_origin(&Method::POST, &headers(&[("origin", "https://evil.example.com"), ("sec-fetch-site", "same-origin")]), &c)
                .is_err()
        );
    }

    #[test]
    fn safe_methods_and_clients_that_are_not_browsers_pass() {
        let c = config("https://api.example.com");
        assert!(check_origin(&Method::GET, &headers(&[("origin", "https://evil.example.com")]), &c).is_ok());
        assert!(check_origin(&Method::PATCH, &HeaderMap::new(), &c).is_ok());
    }

    #[test]
    fn cookie_names_take_prefixes_only_over_https() {
        assert_eq!(cookie_names(&config("https://api.example.com")).access, "__Host-access_token");
        assert_eq!(cookie_names(&config("https://api.example.com")).refresh, "__Secure-refresh_token");
        assert_eq!(cookie_names(&config("http://127.0.0.1:9000")), CookieNames { access: "access_token", refresh: "refresh_token" });
        let set = set_cookie("__Host-access_token", "v", ACCESS_COOKIE_PATH, 60).unwrap();
        assert_eq!(set.to_str().unwrap(), "__Host-access_token=v; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Strict");
    }
}
