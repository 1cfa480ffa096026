//! Cookies and cross-site request forgery (issue 22, finding 8): a cookie-authenticated unsafe
//! request must come from an allowed origin (an `Origin` check, or `Sec-Fetch-Site:
//! same-origin` where a browser sends `Origin: null`), not merely rely on `SameSite`; the
//! cookies take the `__Host-` / `__Secure-` prefixes over https and the refresh cookie is
//! scoped to `/api/auth`.

use crate::helpers::{ISSUER, PASSWORD, Resp, TestApp, TestUser};
use axum::body::Body;
use serde_json::json;

/// Logs `u` in with `useCookies` and returns the `Set-Cookie` values.
async fn cookie_login(t: &TestApp, u: &TestUser) -> Vec<String> {
    let r = t.post("/api/auth/login", json!({"username": u.username, "password": PASSWORD, "useCookies": true}), None).await;
    r.assert(200, None);
    r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

fn jar(set_cookies: &[String]) -> String {
    set_cookies.iter().map(|c| c.split(';').next().unwrap()).collect::<Vec<_>>().join("; ")
}

/// A cookie-authenticated request with these extra headers.
async fn with_cookies(t: &TestApp, method: &str, path: &str, cookies: &str, headers: &[(&str, &str)]) -> Resp {
    let mut b = http::Request::builder().method(method).uri(path).header("cookie", cookies);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    // Only the profile change has a body; refresh and logout take none.
    let request = if path != "/api/users/me" || method == "GET" {
        b.body(Body::empty()).unwrap()
    } else {
        b.header("content-type", "application/json").body(Body::from(json!({"name": "Ada Lovelace"}).to_string())).unwrap()
    };
    t.send(request).await
}

#[tokio::test]
async fn a_cookie_authenticated_change_from_another_origin_is_refused() {
    let t = TestApp::spawn_with(|c| c.cors_allowed_origins = vec!["https://app.example.com".into()]).await;
    let u = t.user().await;
    let cookies = jar(&cookie_login(&t, &u).await);
    for refused in [
        vec![("origin", "https://evil.example.com")],
        vec![("origin", "https://accounts.test.evil.example.com")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
        vec![("origin", "https://evil.example.com"), ("sec-fetch-site", "same-origin")],
    ] {
        let r = with_cookies(&t, "PATCH", "/api/users/me", &cookies, &refused).await;
        r.assert(403, Some("FORBIDDEN"));
        assert!(r.body["error"].as_str().unwrap().contains("origin"), "{refused:?}: {}", r.body);
    }
    let refresh = with_cookies(&t, "POST", "/api/auth/refresh", &cookies, &[("origin", "https://evil.example.com")]).await;
    refresh.assert(403, Some("FORBIDDEN"));
    // The API's own origin, the listed front-end, a no-referrer form post (Chromium: Origin
    // null with Sec-Fetch-Site same-origin), and a client that is not a browser (neither header).
    for allowed in [
        vec![("origin", ISSUER)],
        vec![("origin", "https://app.example.com")],
        vec![("origin", "null"), ("sec-fetch-site", "same-origin")],
        vec![("sec-fetch-site", "same-origin")],
        vec![],
    ] {
        with_cookies(&t, "PATCH", "/api/users/me", &cookies, &allowed).await.assert(200, None);
    }
    // Reading is not forgery; a bearer token is not sent by a browser on its own.
    with_cookies(&t, "GET", "/api/users/me", &cookies, &[("origin", "https://evil.example.com")]).await.assert(200, None);
    let bearer = t
        .send(
            http::Request::builder()
                .method("PATCH")
                .uri("/api/users/me")
                .header("authorization", format!("Bearer {}", u.access))
                .header("origin", "https://evil.example.com")
                .header("content-type", "application/json")
                .body(Body::from(json!({"name": "Ada Lovelace"}).to_string()))
                .unwrap(),
        )
        .await;
    bearer.assert(200, None);
}

#[tokio::test]
async fn over_https_the_cookies_take_host_and_secure_prefixes_and_refresh_is_scoped_to_auth() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let set = cookie_login(&t, &u).await;
    let access = set.iter().find(|c| c.starts_with("__Host-access_token=")).unwrap_or_else(|| panic!("{set:?}"));
    let refresh = set.iter().find(|c| c.starts_with("__Secure-refresh_token=")).unwrap_or_else(|| panic!("{set:?}"));
    for c in [access, refresh] {
        assert!(c.contains("; Secure") && c.contains("; HttpOnly") && !c.to_lowercase().contains("domain="), "{c}");
    }
    assert!(access.contains("; Path=/;"), "{access}");
    assert!(refresh.contains("; Path=/api/auth;"), "{refresh}");
    let cookies = jar(&set);
    with_cookies(&t, "GET", "/api/users/me", &cookies, &[]).await.assert(200, None);
    // Unprefixed names (which any subdomain could set) are not read over https.
    let unprefixed = cookies.replace("__Host-", "").replace("__Secure-", "");
    with_cookies(&t, "GET", "/api/users/me", &unprefixed, &[]).await.assert(401, Some("UNAUTHENTICATED"));
    let refreshed = with_cookies(&t, "POST", "/api/auth/refresh", &cookies, &[]).await;
    refreshed.assert(200, None);
    let cleared = with_cookies(
        &t,
        "POST",
        "/api/auth/logout",
        &jar(&refreshed.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>()),
        &[],
    )
    .await;
    cleared.assert(200, None);
    let gone: Vec<&str> = cleared.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    assert!(gone.iter().any(|c| c.starts_with("__Host-access_token=;") && c.contains("Max-Age=0") && c.contains("Path=/;")), "{gone:?}");
    assert!(gone.iter().any(|c| c.starts_with("__Secure-refresh_token=;") && c.contains("Path=/api/auth;")), "{gone:?}");
}

#[tokio::test]
async fn over_plain_http_locally_the_cookie_names_stay_unprefixed() {
    let t = TestApp::spawn_with(|c| c.jwt_issuer = "http://127.0.0.1:9000".into()).await;
    let u = t.user().await;
    let set = cookie_login(&t, &u).await;
    assert!(set.iter().any(|c| c.starts_with("access_token=") && c.contains("; Path=/;")), "{set:?}");
    assert!(set.iter().any(|c| c.starts_with("refresh_token=") && c.contains("; Path=/api/auth;")), "{set:?}");
    with_cookies(&t, "GET", "/api/users/me", &jar(&set), &[]).await.assert(200, None);
}
