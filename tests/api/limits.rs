//! Abuse protection: the per-account lockout, per-address limits on every anonymous endpoint,
//! the per-recipient mail limit, common passwords, body size and type, CORS and the security
//! headers. Limits here are the real defaults or small explicit ones; `TestApp::spawn` lifts
//! them for the other modules.

use crate::helpers::{PASSWORD, Resp, TestApp, TestUser};
use accounts_core::config::{Config, RateLimits};
use accounts_core::domain::{LockoutPolicy, RateLimit};
use axum::body::Body;
use futures::future::{BoxFuture, FutureExt};
use http::Request;
use serde_json::json;

const A: &str = "203.0.113.10";
const B: &str = "198.51.100.20";

async fn spawn_limited(set: impl FnOnce(&mut RateLimits)) -> TestApp {
    TestApp::spawn_with(|c| set(&mut c.limits)).await
}

/// Moves the test clock to one second into a fresh fixed window of `window` seconds, for a
/// test that advances the clock inside one window: started at the real time, it would see the
/// window roll over (and the budget refill) when run near the end of an hour.
fn at_window_start(t: &TestApp, window: i64) {
    let now = t.app.clock.now_unix();
    t.clock.advance(time::Duration::seconds(window - now.rem_euclid(window) + 1));
}

fn retry_after(r: &Resp) -> i64 {
    r.headers["retry-after"].to_str().unwrap().parse().unwrap()
}

/// Proves a per-address limit of `max` per `window` seconds: `max` attempts from A answer
/// `expect`, the next is `429 RATE_LIMITED` with a `Retry-After` inside the window, an attempt
/// from B is not affected, a forged `X-Forwarded-For` does not help A, and A may try again
/// once the window is over.
async fn assert_address_limit<'a>(
    t: &'a TestApp,
    max: u32,
    window: i64,
    expect: u16,
    attempt: impl Fn(&'static str, bool) -> BoxFuture<'a, Resp>,
) {
    for i in 0..max {
        let r = attempt(A, false).await;
        assert_eq!(r.status, expect, "attempt {i} from A: {}", r.body);
    }
    let refused = attempt(A, false).await;
    refused.assert(429, Some("RATE_LIMITED"));
    let wait = retry_after(&refused);
    assert!((1..=window).contains(&wait), "Retry-After {wait} outside 1..={window}");
    let spoofed = attempt(A, true).await;
    spoofed.assert(429, Some("RATE_LIMITED"));
    let other = attempt(B, false).await;
    assert_eq!(other.status, expect, "B is limited too: {}", other.body);
    t.clock.advance(time::Duration::seconds(wait));
    let again = attempt(A, false).await;
    assert_eq!(again.status, expect, "A still limited after the window: {}", again.body);
}

/// A request from `ip`, optionally with an `X-Forwarded-For` claiming another address.
async fn from(t: &TestApp, ip: &str, spoof: bool, method: &str, path: &str, body: Option<serde_json::Value>, token: Option<&str>) -> Resp {
    let mut builder = Request::builder().method(method).uri(path).extension(crate::helpers::request_context(ip));
    if spoof {
        builder = builder.header("x-forwarded-for", "192.0.2.99");
    }
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let request = match body {
        Some(b) => builder.header("content-type", "application/json").body(Body::from(b.to_string())).unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    };
    t.send(request).await
}

// ---- configuration ------------------------------------------------------------------------

#[test]
fn the_template_deploys_the_documented_defaults() {
    let template: serde_yaml::Value = serde_yaml::from_str(include_str!("../../template.yaml")).unwrap();
    let default = |name: &str| -> String {
        let d = &template["Parameters"][name]["Default"];
        d.as_str().map(str::to_owned).or_else(|| d.as_i64().map(|n| n.to_string())).unwrap_or_else(|| panic!("{name} has no default"))
    };
    let env = &template["Globals"]["Function"]["Environment"]["Variables"];
    let d = RateLimits::DEFAULT;
    for (var, param, limit) in [
        ("RATE_LIMIT_REGISTER", "RateLimitRegister", d.register),
        ("RATE_LIMIT_LOGIN_FAILURES", "RateLimitLoginFailures", d.login_failures),
        ("RATE_LIMIT_FORGOT_PASSWORD", "RateLimitForgotPassword", d.forgot_password),
        ("RATE_LIMIT_RESEND_ACTIVATION", "RateLimitResendActivation", d.resend_activation),
        ("RATE_LIMIT_CAPTCHA", "RateLimitCaptcha", d.captcha),
        ("RATE_LIMIT_RECOVER", "RateLimitRecover", d.recover),
        ("RATE_LIMIT_MFA_VERIFY", "RateLimitMfaVerify", d.mfa_verify),
        ("RATE_LIMIT_MAIL_PER_RECIPIENT", "RateLimitMailPerRecipient", d.mail_per_recipient),
    ] {
        assert!(!env[var].is_null(), "{var} is not passed to the functions");
        assert_eq!(default(param), limit.to_string(), "{param}");
    }
    let l = LockoutPolicy::DEFAULT;
    assert_eq!(default("LoginLockoutThreshold"), l.threshold.to_string());
    assert_eq!(default("LoginLockoutBaseSecs"), l.base_secs.to_string());
    assert_eq!(default("LoginLockoutMaxSecs"), l.max_secs.to_string());
    for var in ["LOGIN_LOCKOUT_THRESHOLD", "LOGIN_LOCKOUT_BASE_SECS", "LOGIN_LOCKOUT_MAX_SECS", "CORS_ALLOWED_ORIGINS"] {
        assert!(!env[var].is_null(), "{var} is not passed to the functions");
    }
    assert_eq!(default("CorsAllowedOrigins"), "");
}

// ---- the per-account lockout --------------------------------------------------------------

#[tokio::test]
async fn the_lockout_doubles_with_each_further_failure_from_any_address_and_is_capped() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let login = |ip: &'static str, password: &'static str| {
        from(&t, ip, false, "POST", "/api/auth/login", Some(json!({"username": u.username, "password": password})), None)
    };
    for ip in [A, B, A, B, A] {
        login(ip, "Wrong-Pass-123").await.assert(401, Some("INVALID_CREDENTIALS"));
    }
    let locked = login(B, PASSWORD).await;
    locked.assert(429, Some("RATE_LIMITED"));
    assert_eq!(retry_after(&locked), 30);
    for expected in [60, 120, 240] {
        t.clock.advance(time::Duration::seconds(retry_after(&login(A, PASSWORD).await)));
        login(B, "Wrong-Pass-123").await.assert(401, Some("INVALID_CREDENTIALS"));
        let locked = login(A, PASSWORD).await;
        locked.assert(429, Some("RATE_LIMITED"));
        assert_eq!(retry_after(&locked), expected);
    }
    // However many failures, never more than 15 minutes.
    t.set_user_attr(&u.id, "failedLogins", aws_sdk_dynamodb::types::AttributeValue::N("400".into())).await;
    let capped = login(A, PASSWORD).await;
    capped.assert(429, Some("RATE_LIMITED"));
    assert_eq!(retry_after(&capped), 900);
    t.clock.advance(time::Duration::seconds(900));
    login(A, PASSWORD).await.assert(200, None);
}

#[tokio::test]
async fn the_lockout_threshold_and_backoff_come_from_configuration() {
    let t = TestApp::spawn_with(|c| c.lockout = LockoutPolicy { threshold: 2, base_secs: 10, max_secs: 15 }).await;
    let u = t.user().await;
    for _ in 0..2 {
        t.login(&u.username, "Wrong-Pass-123").await.assert(401, Some("INVALID_CREDENTIALS"));
    }
    let locked = t.login(&u.username, PASSWORD).await;
    locked.assert(429, Some("RATE_LIMITED"));
    assert_eq!(retry_after(&locked), 10);
    t.clock.advance(time::Duration::seconds(10));
    t.login(&u.username, "Wrong-Pass-123").await.assert(401, Some("INVALID_CREDENTIALS"));
    assert_eq!(retry_after(&t.login(&u.username, PASSWORD).await), 15, "20 s capped at 15");
}

// ---- per-address limits -------------------------------------------------------------------

#[tokio::test]
async fn register_is_limited_per_address() {
    let t = spawn_limited(|l| l.register = RateLimit::new(3, 3600)).await;
    assert_address_limit(&t, 3, 3600, 201, |ip, spoof| {
        let (username, email) = t.new_identity();
        let body = json!({"username": username, "email": email, "password": PASSWORD});
        from(&t, ip, spoof, "POST", "/api/auth/register", Some(body), None).boxed()
    })
    .await;
}

#[tokio::test]
async fn register_uses_the_documented_default_of_ten_an_hour() {
    let t = spawn_limited(|l| *l = RateLimits::DEFAULT).await;
    assert_address_limit(&t, 10, 3600, 201, |ip, spoof| {
        let (username, email) = t.new_identity();
        let body = json!({"username": username, "email": email, "password": PASSWORD});
        from(&t, ip, spoof, "POST", "/api/auth/register", Some(body), None).boxed()
    })
    .await;
}

#[tokio::test]
async fn a_malformed_registration_is_refused_without_using_the_budget() {
    let t = spawn_limited(|l| l.register = RateLimit::new(1, 3600)).await;
    for _ in 0..3 {
        let body = json!({"username": "x", "email": "nope", "password": "short"});
        from(&t, A, false, "POST", "/api/auth/register", Some(body), None).await.assert(400, Some("VALIDATION_FAILED"));
    }
    let (username, email) = t.new_identity();
    let body = json!({"username": username, "email": email, "password": PASSWORD});
    from(&t, A, false, "POST", "/api/auth/register", Some(body), None).await.assert(201, None);
}

#[tokio::test]
async fn login_failures_are_limited_per_address_and_successes_do_not_count() {
    let t = spawn_limited(|l| l.login_failures = RateLimit::new(3, 900)).await;
    let u = t.user().await;
    let good = json!({"username": u.username, "password": PASSWORD});
    for _ in 0..5 {
        from(&t, B, false, "POST", "/api/auth/login", Some(good.clone()), None).await.assert(200, None);
    }
    assert_address_limit(&t, 3, 900, 401, |ip, spoof| {
        let body = json!({"username": format!("ghost_{}", ulid::Ulid::new().to_string().to_lowercase()), "password": "Wrong-Pass-123"});
        from(&t, ip, spoof, "POST", "/api/auth/login", Some(body), None).boxed()
    })
    .await;
    // A limited address is refused even with the right password (it is refused before argon2).
    for _ in 0..2 {
        from(&t, A, false, "POST", "/api/auth/login", Some(json!({"username": "ghost", "password": "x"})), None).await;
    }
    from(&t, A, false, "POST", "/api/auth/login", Some(good.clone()), None).await.assert(429, Some("RATE_LIMITED"));
    from(&t, B, false, "POST", "/api/auth/login", Some(good), None).await.assert(200, None);
}

#[tokio::test]
async fn forgot_password_is_limited_per_address() {
    let t = spawn_limited(|l| l.forgot_password = RateLimit::new(2, 3600)).await;
    let u = t.user().await;
    assert_address_limit(&t, 2, 3600, 202, |ip, spoof| {
        from(&t, ip, spoof, "POST", "/api/auth/forgot-password", Some(json!({"email": u.email})), None).boxed()
    })
    .await;
}

#[tokio::test]
async fn resend_activation_is_limited_per_address() {
    let t = spawn_limited(|l| l.resend_activation = RateLimit::new(2, 3600)).await;
    assert_address_limit(&t, 2, 3600, 202, |ip, spoof| {
        from(&t, ip, spoof, "POST", "/api/auth/resend-activation", Some(json!({"email": "nobody@example.com"})), None).boxed()
    })
    .await;
}

#[tokio::test]
async fn captchas_are_limited_per_address() {
    let t = spawn_limited(|l| l.captcha = RateLimit::new(3, 600)).await;
    assert_address_limit(&t, 3, 600, 200, |ip, spoof| from(&t, ip, spoof, "GET", "/api/auth/captcha", None, None).boxed()).await;
}

#[tokio::test]
async fn account_recovery_is_limited_per_address() {
    let t = spawn_limited(|l| l.recover = RateLimit::new(2, 3600)).await;
    assert_address_limit(&t, 2, 3600, 400, |ip, spoof| {
        let body = json!({"email": "nobody@example.com", "recoveryCode": "recovery_guess"});
        from(&t, ip, spoof, "POST", "/api/users/recover", Some(body), None).boxed()
    })
    .await;
}

#[tokio::test]
async fn the_second_login_step_is_limited_per_address() {
    let t = spawn_limited(|l| l.mfa_verify = RateLimit::new(2, 60)).await;
    let u = t.user().await;
    crate::mfa::enable(&t, &u).await;
    let token = crate::mfa::mfa_token(&t, &u).await;
    assert_address_limit(&t, 2, 60, 400, |ip, spoof| {
        from(&t, ip, spoof, "POST", "/api/auth/mfa", Some(json!({"mfaToken": token, "code": "000000"})), None).boxed()
    })
    .await;
}

#[tokio::test]
async fn totp_enrolment_verification_is_limited_per_address() {
    let t = spawn_limited(|l| l.mfa_verify = RateLimit::new(2, 300)).await;
    let u = t.user().await;
    t.post("/api/users/me/mfa/totp", json!({"password": PASSWORD}), Some(&u.access)).await.assert(200, None);
    assert_address_limit(&t, 2, 300, 400, |ip, spoof| {
        from(&t, ip, spoof, "POST", "/api/users/me/mfa/totp/verify", Some(json!({"code": "000000"})), Some(&u.access)).boxed()
    })
    .await;
}

// ---- per-recipient mail limit -------------------------------------------------------------

#[tokio::test]
async fn mail_to_one_recipient_stops_at_the_limit_whatever_its_kind() {
    let t = spawn_limited(|l| l.mail_per_recipient = RateLimit::new(3, 3600)).await;
    at_window_start(&t, 3600);
    let u = t.unactivated_user().await; // 1: activation
    let minute = time::Duration::seconds(61);
    t.clock.advance(minute);
    t.post("/api/auth/resend-activation", json!({"email": u.email}), None).await.assert(202, None); // 2: activation
    let code = t.activation_code(&u.email).await;
    t.clock.advance(minute);
    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None); // 3: reset
    assert_eq!(t.mails_to(&u.email).await.len(), 3);
    t.clock.advance(minute);
    // Over the limit: the same answers as always, but nothing is sent and nothing is replaced.
    t.post("/api/auth/resend-activation", json!({"email": u.email}), None).await.assert(202, None);
    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);
    assert_eq!(t.mails_to(&u.email).await.len(), 3, "the 4th mail was sent");
    // The limited resend did not replace the code the user already has.
    t.post("/api/auth/activate", json!({"code": code}), Some(&u.access)).await.assert(200, None);

    // No address in clear in the counter keys.
    let items = t.all_items().await;
    let counters: Vec<String> =
        items.iter().filter_map(|i| i["pk"].as_s().ok().cloned()).filter(|pk| pk.starts_with("RATE#mail#")).collect();
    assert!(!counters.is_empty());
    assert!(counters.iter().all(|pk| !pk.to_lowercase().contains(&u.email.to_lowercase()) && !pk.contains('@')), "{counters:?}");

    // A new window, a new budget.
    t.clock.advance(time::Duration::seconds(3600));
    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);
    let mails = t.mails_to(&u.email).await;
    assert_eq!(mails.len(), 4);
    assert_eq!(mails[3].0, "Reset your password");
}

#[tokio::test]
async fn a_recipient_limit_counts_the_address_case_insensitively() {
    let t = spawn_limited(|l| l.mail_per_recipient = RateLimit::new(1, 3600)).await;
    at_window_start(&t, 3600);
    let u = t.unactivated_user().await;
    t.clock.advance(time::Duration::seconds(61));
    t.post("/api/auth/forgot-password", json!({"email": u.email.to_uppercase()}), None).await.assert(202, None);
    assert_eq!(t.mails_to(&u.email).await.len(), 1);
}

// ---- common passwords ---------------------------------------------------------------------

const COMMON: &str = "Password1";

fn says_too_common(r: &Resp) -> bool {
    r.body["details"].to_string().contains("too common")
}

#[tokio::test]
async fn a_common_password_is_refused_at_register_change_and_reset() {
    let t = TestApp::spawn().await;
    let (username, email) = t.new_identity();
    let r = t.register(&username, &email, COMMON).await;
    r.assert(422, Some("WEAK_PASSWORD"));
    assert!(says_too_common(&r), "{}", r.body);

    let u: TestUser = t.user().await;
    let body = json!({"currentPassword": PASSWORD, "newPassword": COMMON, "confirmPassword": COMMON});
    let r = t.call("PUT", "/api/users/me/password", Some(body), Some(&u.access)).await;
    r.assert(422, Some("WEAK_PASSWORD"));
    assert!(says_too_common(&r), "{}", r.body);

    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);
    let token = t.mailed_token(&u.email).await;
    let r = t.post("/api/auth/reset-password", json!({"token": token, "newPassword": COMMON}), None).await;
    r.assert(422, Some("WEAK_PASSWORD"));
    assert!(says_too_common(&r), "{}", r.body);
    t.login(&u.username, PASSWORD).await.assert(200, None);
}

// ---- body size and type -------------------------------------------------------------------

async fn raw(t: &TestApp, method: &str, path: &str, content_type: &str, body: String, token: Option<&str>) -> Resp {
    let mut builder = Request::builder().method(method).uri(path).header("content-type", content_type);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    t.send(builder.body(Body::from(body)).unwrap()).await
}

/// A JSON object of exactly `len` bytes with one unknown field.
fn json_of_len(len: usize) -> String {
    let overhead = r#"{"pad":""}"#.len();
    let body = format!(r#"{{"pad":"{}"}}"#, "a".repeat(len - overhead));
    assert_eq!(body.len(), len);
    body
}

const JSON_ROUTES: &[(&str, &str, bool)] = &[
    ("POST", "/api/auth/login", false),
    ("POST", "/api/auth/refresh", false),
    ("PATCH", "/api/users/me", true),
    ("POST", "/api/api-keys", true),
    ("POST", "/api/uploads", true),
    ("POST", "/api/subscription", true),
];

#[tokio::test]
async fn a_body_of_exactly_16_kib_is_read_and_one_byte_more_is_refused() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    for (method, path, auth) in JSON_ROUTES {
        let token = auth.then_some(u.access.as_str());
        let fits = raw(&t, method, path, "application/json", json_of_len(16 * 1024), token).await;
        fits.assert(400, Some("VALIDATION_FAILED"));
        assert_eq!(fits.body["details"][0]["field"], "pad", "{path}");
        raw(&t, method, path, "application/json", json_of_len(16 * 1024 + 1), token).await.assert(413, Some("PAYLOAD_TOO_LARGE"));
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused_as_unsupported() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    for (method, path, auth) in JSON_ROUTES {
        let token = auth.then_some(u.access.as_str());
        for content_type in ["text/plain", "application/x-www-form-urlencoded", "application/jsonp"] {
            let r = raw(&t, method, path, content_type, "{}".into(), token).await;
            r.assert(415, Some("UNSUPPORTED_MEDIA_TYPE"));
        }
        // Parameters after the media type are fine.
        let ok = raw(&t, method, path, "application/json; charset=utf-8", json_of_len(20), token).await;
        ok.assert(400, Some("VALIDATION_FAILED"));
    }
}

// ---- CORS ---------------------------------------------------------------------------------

const ORIGIN: &str = "https://app.example.com";

async fn spawn_with_cors() -> TestApp {
    TestApp::spawn_with(|c| c.cors_allowed_origins = vec![ORIGIN.into(), "http://localhost:3000".into()]).await
}

async fn preflight(t: &TestApp, path: &str, origin: &str) -> Resp {
    let request = Request::builder()
        .method("OPTIONS")
        .uri(path)
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, authorization")
        .body(Body::empty())
        .unwrap();
    t.send(request).await
}

async fn get_with_origin(t: &TestApp, path: &str, origin: &str, token: Option<&str>) -> Resp {
    let mut builder = Request::builder().method("GET").uri(path).header("origin", origin);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    t.send(builder.body(Body::empty()).unwrap()).await
}

fn vary_has_origin(r: &Resp) -> bool {
    r.headers.get_all("vary").iter().any(|v| v.to_str().unwrap().to_lowercase().split(',').any(|p| p.trim() == "origin"))
}

#[tokio::test]
async fn a_preflight_from_a_listed_origin_is_answered_on_every_group() {
    let t = spawn_with_cors().await;
    for path in ["/api/auth/login", "/api/users/me", "/api/api-keys", "/api/uploads/batch-delete", "/api/subscription", "/api/admin/users"]
    {
        let r = preflight(&t, path, ORIGIN).await;
        assert_eq!(r.status, 204, "{path}: {}", r.body);
        assert_eq!(r.headers["access-control-allow-origin"], ORIGIN);
        assert_eq!(r.headers["access-control-allow-credentials"], "true");
        let methods = r.headers["access-control-allow-methods"].to_str().unwrap();
        for m in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            assert!(methods.contains(m), "{methods}");
        }
        let headers = r.headers["access-control-allow-headers"].to_str().unwrap();
        for h in ["authorization", "content-type", "x-api-key"] {
            assert!(headers.contains(h), "{headers}");
        }
        assert_eq!(r.headers["access-control-max-age"], "600");
        assert!(vary_has_origin(&r));
        assert_eq!(r.headers["x-content-type-options"], "nosniff");
    }
}

#[tokio::test]
async fn a_preflight_from_another_origin_is_refused_without_cors_headers() {
    let t = spawn_with_cors().await;
    for origin in ["https://evil.example.com", "https://app.example.com.evil.com", "http://app.example.com", "null"] {
        let r = preflight(&t, "/api/auth/login", origin).await;
        r.assert(403, Some("FORBIDDEN"));
        for h in ["access-control-allow-origin", "access-control-allow-credentials", "access-control-allow-methods"] {
            assert!(!r.headers.contains_key(h), "{origin}: {h}");
        }
        assert!(vary_has_origin(&r));
    }
}

#[tokio::test]
async fn responses_carry_cors_headers_only_for_listed_origins() {
    let t = spawn_with_cors().await;
    let u = t.user().await;
    let allowed = get_with_origin(&t, "/api/users/me", "http://localhost:3000", Some(&u.access)).await;
    allowed.assert(200, None);
    assert_eq!(allowed.headers["access-control-allow-origin"], "http://localhost:3000");
    assert_eq!(allowed.headers["access-control-allow-credentials"], "true");
    assert!(allowed.headers["access-control-expose-headers"].to_str().unwrap().contains("retry-after"));
    assert!(vary_has_origin(&allowed));
    // An error answer is readable by the listed origin too (a browser needs the envelope).
    let error = get_with_origin(&t, "/api/users/me", ORIGIN, None).await;
    error.assert(401, Some("UNAUTHENTICATED"));
    assert_eq!(error.headers["access-control-allow-origin"], ORIGIN);

    let other = get_with_origin(&t, "/api/users/me", "https://evil.example.com", Some(&u.access)).await;
    other.assert(200, None);
    assert!(!other.headers.contains_key("access-control-allow-origin"));
    assert!(!other.headers.contains_key("access-control-allow-credentials"));
    assert!(vary_has_origin(&other));
}

#[tokio::test]
async fn without_configured_origins_there_are_no_cors_headers_at_all() {
    let t = TestApp::spawn().await;
    let r = preflight(&t, "/api/auth/login", ORIGIN).await;
    assert_eq!(r.status, 405, "{}", r.body);
    assert!(!r.headers.contains_key("access-control-allow-origin"));
    let r = get_with_origin(&t, "/api/plans", ORIGIN, None).await;
    r.assert(200, None);
    assert!(r.headers.keys().all(|k| !k.as_str().starts_with("access-control-")), "{:?}", r.headers);
}

// ---- security headers ---------------------------------------------------------------------

fn assert_private(r: &Resp, what: &str) {
    assert_eq!(r.headers["cache-control"], "no-store", "{what}");
    assert_eq!(r.headers["x-content-type-options"], "nosniff", "{what}");
}

#[tokio::test]
async fn auth_and_user_data_are_never_cached_and_never_sniffed() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let login = t.login(&u.username, PASSWORD).await;
    login.assert(200, None);
    assert_private(&login, "login");
    assert_private(&t.login(&u.username, "Wrong-Pass-123").await, "failed login");
    assert_private(&t.get("/api/auth/status", Some(&u.access)).await, "auth status");
    assert_private(&t.get("/api/users/me", Some(&u.access)).await, "users/me");
    assert_private(&t.get("/api/users/me/settings", Some(&u.access)).await, "settings");
    assert_private(&t.get("/api/api-keys", Some(&u.access)).await, "api keys");
    assert_private(&t.get("/api/uploads", Some(&u.access)).await, "uploads");
    assert_private(&t.get("/api/subscription", Some(&u.access)).await, "subscription");
    assert_private(&t.get("/api/admin/users", Some(&u.access)).await, "admin (refused)");
    assert_private(&t.get("/api/users/me", None).await, "unauthenticated error");
    assert_private(&t.get(&format!("/api/users/{}", u.id), None).await, "public profile (or its 404)");
}

#[tokio::test]
async fn public_resources_choose_their_own_caching_but_are_never_sniffed() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let plans = t.get("/api/plans", None).await;
    plans.assert(200, None);
    assert_eq!(plans.headers["cache-control"], "public, max-age=300");
    assert_eq!(plans.headers["x-content-type-options"], "nosniff");
    let avatar = t.send(Request::builder().uri(format!("/api/users/{}/avatar", u.id)).body(Body::empty()).unwrap()).await;
    assert_eq!(avatar.status, 200);
    assert!(avatar.headers["cache-control"].to_str().unwrap().starts_with("public"), "{:?}", avatar.headers);
    assert_eq!(avatar.headers["x-content-type-options"], "nosniff");
    // The same route's error answer is not cached.
    let missing = t.get("/api/users/usr_01HZY8J6W8K1M2N3P4Q5R6S7T8/avatar", None).await;
    missing.assert(404, Some("USER_NOT_FOUND"));
    assert_private(&missing, "missing avatar");
    let own = t.get("/api/users/me/avatar", Some(&u.access)).await;
    assert!(own.headers["cache-control"].to_str().unwrap().starts_with("private"), "{:?}", own.headers);
}

#[test]
fn the_template_passes_the_password_settings_with_defaults_the_config_accepts() {
    let template: serde_yaml::Value = serde_yaml::from_str(include_str!("../../template.yaml")).unwrap();
    let env = &template["Globals"]["Function"]["Environment"]["Variables"];
    let mut vars: Vec<(String, String)> = Vec::new();
    for (var, param) in [
        ("PASSWORD_POLICY", "PasswordPolicy"),
        ("PASSWORD_MIN_LENGTH", "PasswordMinLength"),
        ("BREACHED_PASSWORD_CHECK", "BreachedPasswordCheck"),
    ] {
        assert!(format!("{:?}", env[var]).contains(param), "{var} is not passed from {param}");
        let default = template["Parameters"][param]["Default"].as_str().unwrap_or_else(|| panic!("{param} has no default"));
        vars.push((var.to_owned(), default.to_owned()));
    }
    vars.extend(
        [
            ("TABLE_NAME", "t"),
            ("BUCKET_NAME", "b"),
            ("MAIL_FROM", "a@example.com"),
            ("PUBLIC_BASE_URL", "https://x.example"),
            ("JWT_ISSUER", "https://x.example"),
            ("JWT_AUDIENCE", "a"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let config = Config::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).unwrap();
    assert_eq!(config.passwords, accounts_core::config::PasswordSettings::default(), "the template's defaults are the code's");
}
