//! `/api/auth/*`: every endpoint, its errors, and who may call it.

use crate::helpers::{PASSWORD, TestApp};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;

// ---- register ------------------------------------------------------------------------------

#[tokio::test]
async fn register_creates_an_unverified_user_and_mails_an_activation_code_and_link() {
    let t = TestApp::spawn().await;
    let (username, email) = t.new_identity();
    let r = t.register(&username, &email.to_uppercase(), PASSWORD).await;
    r.assert(201, None);
    let user = r.data();
    assert_eq!(r.body["success"], true);
    assert!(user["id"].as_str().unwrap().starts_with("usr_"));
    assert_eq!(user["username"], username.as_str());
    assert_eq!(user["email"], email.as_str(), "email is normalised to lower case");
    assert_eq!(user["emailVerified"], false);
    assert_eq!(user["role"], "user");
    assert!(user.get("passwordHash").is_none() && !r.body.to_string().contains("argon2"));
    assert!(user["createdAt"].as_str().unwrap().ends_with('Z'));
    let (subject, body) = t.last_mail(&email).await;
    assert_eq!(subject, "Activate your account");
    assert!(body.contains("http://accounts.test/activate?token="), "the mail links to the hosted page: {body}");
    assert_eq!(t.activation_code(&email).await.len(), 6);
    assert!(r.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn register_refuses_unknown_fields_so_role_cannot_be_mass_assigned() {
    let t = TestApp::spawn().await;
    let (username, email) = t.new_identity();
    let r = t.post("/api/auth/register", json!({"username": username, "email": email, "password": PASSWORD, "role": "admin"}), None).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(r.body["details"][0]["field"], "role");
    assert!(t.all_items().await.is_empty(), "nothing was written");
}

#[tokio::test]
async fn register_reports_every_invalid_field_at_once() {
    let t = TestApp::spawn().await;
    let r = t.register("a!", "not-an-email", PASSWORD).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    let fields: Vec<&str> = r.body["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["username", "email"]);
    let r = t.post("/api/auth/register", json!({}), None).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(r.body["details"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn register_answers_malformed_bodies_with_the_envelope() {
    let t = TestApp::spawn().await;
    t.post_raw("/api/auth/register", "application/json", "{\"username\": ").await.assert(400, Some("INVALID_JSON"));
    t.post_raw("/api/auth/register", "application/json", "{\"username\": 5, \"email\": \"a@b.io\", \"password\": \"x\"}")
        .await
        .assert(400, Some("INVALID_JSON"));
    t.post_raw("/api/auth/register", "text/plain", "{}").await.assert(415, Some("UNSUPPORTED_MEDIA_TYPE"));
    let big = format!("{{\"username\": \"{}\"}}", "a".repeat(20_000));
    t.post_raw("/api/auth/register", "application/json", &big).await.assert(413, Some("PAYLOAD_TOO_LARGE"));
}

#[tokio::test]
async fn register_refuses_weak_passwords_naming_each_rule() {
    let t = TestApp::spawn().await;
    let (username, email) = t.new_identity();
    let r = t.register(&username, &email, "password").await;
    r.assert(422, Some("WEAK_PASSWORD"));
    let messages = r.body["details"].to_string();
    assert!(messages.contains("upper-case") && messages.contains("digit") && messages.contains("too common"), "{messages}");
    let r = t.register(&username, &email, &format!("X1{username}")).await;
    r.assert(422, Some("WEAK_PASSWORD"));
    assert!(r.body["details"].to_string().contains("username"));
}

#[tokio::test]
async fn register_refuses_a_taken_email_or_username_whatever_the_case() {
    let t = TestApp::spawn().await;
    let (username, email) = t.new_identity();
    t.register(&username, &email, PASSWORD).await.assert(201, None);
    let (other_name, other_email) = t.new_identity();
    t.register(&other_name, &email.to_uppercase(), PASSWORD).await.assert(409, Some("EMAIL_TAKEN"));
    t.register(&username.to_uppercase(), &other_email, PASSWORD).await.assert(409, Some("USERNAME_TAKEN"));
    // The refused attempts left nothing behind: one user, two markers, one activation token.
    let items = t.all_items().await;
    let kinds: Vec<String> = items.iter().map(|i| i["pk"].as_s().unwrap().split('#').next().unwrap().to_owned()).collect();
    assert_eq!(items.iter().filter(|i| i["sk"].as_s().unwrap() == "PROFILE").count(), 1);
    assert_eq!(kinds.iter().filter(|k| *k == "EMAIL").count(), 1);
    assert_eq!(kinds.iter().filter(|k| *k == "USERNAME").count(), 1);
}

#[tokio::test]
async fn twenty_parallel_registrations_with_one_email_create_exactly_one_user() {
    let t = TestApp::spawn().await;
    let (_, email) = t.new_identity();
    // Concurrent in our process, one call at a time in the emulator (moto's conditional writes
    // are not atomic under load; DynamoDB's are).
    let router = accounts_core::api::auth::router(crate::serial::serial_app(&t).await);
    let attempts = (0..20).map(|i| {
        let router = &router;
        let body = json!({"username": format!("racer_{i}"), "email": email.clone(), "password": PASSWORD});
        async move { crate::serial::call(router, "POST", "/api/auth/register", Some(body), "").await.status }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 19, "{statuses:?}");
    let users = t.all_items().await.into_iter().filter(|i| i["sk"].as_s().unwrap() == "PROFILE").count();
    assert_eq!(users, 1);
}

#[tokio::test]
async fn a_failed_activation_mail_does_not_lose_the_account() {
    // SES refuses an unverified sender: the mail fails, the account must not.
    let t = TestApp::spawn_with(|c| c.mail_from = "unverified-sender@accounts.test".into()).await;
    let (username, email) = t.new_identity();
    let r = t.register(&username, &email, PASSWORD).await;
    r.assert(201, None);
    assert!(r.body["message"].as_str().unwrap().contains("could not be sent"));
    assert!(t.mails_to(&email).await.is_empty());
    t.login(&username, PASSWORD).await.assert(200, None);
}

// ---- captcha -------------------------------------------------------------------------------

#[tokio::test]
async fn captcha_is_a_png_data_url_valid_five_minutes() {
    let t = TestApp::spawn().await;
    let r = t.get("/api/auth/captcha", None).await;
    r.assert(200, None);
    assert!(r.data()["captchaId"].as_str().unwrap().starts_with("cap_"));
    assert!(r.data()["captchaImage"].as_str().unwrap().starts_with("data:image/png;base64,"));
    assert_eq!(r.data()["expiresIn"], 300);
}

#[tokio::test]
async fn when_captcha_is_required_register_needs_a_right_unused_unexpired_answer() {
    let t = TestApp::spawn_with(|c| c.require_captcha = true).await;
    let (username, email) = t.new_identity();
    let body =
        |id: &str, answer: &str| json!({"username": username, "email": email, "password": PASSWORD, "captchaId": id, "captcha": answer});
    t.register(&username, &email, PASSWORD).await.assert(400, Some("INVALID_CAPTCHA"));
    // The answer is in the image; plant one whose answer the test knows.
    let plant = |id: &'static str, expires: i64| {
        let hash = t.app.code_pepper().unwrap().hash("captcha", id, "k7m2x");
        let app = t.app.clone();
        async move { app.store.put_captcha(id, &hash, expires).await.unwrap() }
    };
    plant("cap_wrong", t.app.now() + 300).await;
    t.post("/api/auth/register", body("cap_wrong", "aaaaa"), None).await.assert(400, Some("INVALID_CAPTCHA"));
    // A wrong answer used the captcha up: the right one no longer works.
    t.post("/api/auth/register", body("cap_wrong", "k7m2x"), None).await.assert(400, Some("INVALID_CAPTCHA"));
    plant("cap_old", t.app.now() + 300).await;
    t.clock.advance(time::Duration::seconds(301));
    t.post("/api/auth/register", body("cap_old", "k7m2x"), None).await.assert(400, Some("INVALID_CAPTCHA"));
    plant("cap_good", t.app.now() + 300).await;
    t.post("/api/auth/register", body("cap_good", "K7M2X"), None).await.assert(201, None);
    t.post("/api/auth/register", body("cap_good", "k7m2x"), None).await.assert(400, Some("INVALID_CAPTCHA"));
}

// ---- activation ----------------------------------------------------------------------------

#[tokio::test]
async fn activation_by_code_confirms_the_account() {
    let t = TestApp::spawn().await;
    let u = t.unactivated_user().await;
    let status = t.get("/api/auth/status", Some(&u.access)).await;
    status.assert(200, None);
    assert_eq!(status.data()["isConfirmed"], false);
    let code = t.activation_code(&u.email).await;
    let r = t.post("/api/auth/activate", json!({"code": code}), Some(&u.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["message"], "User activated successfully");
    assert_eq!(t.get("/api/auth/status", Some(&u.access)).await.data()["isConfirmed"], true);
    // The mail link was consumed along with the code.
    let token = t.mailed_token(&u.email).await;
    t.get(&format!("/api/auth/activate?token={token}"), None).await.assert(400, Some("INVALID_TOKEN"));
}

#[tokio::test]
async fn a_wrong_code_is_refused_and_five_wrong_codes_use_the_code_up() {
    let t = TestApp::spawn().await;
    let u = t.unactivated_user().await;
    let code = t.activation_code(&u.email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        t.post("/api/auth/activate", json!({"code": wrong}), Some(&u.access)).await.assert(400, Some("INVALID_CODE"));
    }
    t.post("/api/auth/activate", json!({"code": code}), Some(&u.access)).await.assert(400, Some("INVALID_CODE"));
    t.post("/api/auth/activate", json!({"code": "12ab"}), Some(&u.access)).await.assert(400, Some("VALIDATION_FAILED"));
}

#[tokio::test]
async fn an_activation_code_expires_after_24_hours() {
    let t = TestApp::spawn().await;
    let u = t.unactivated_user().await;
    let code = t.activation_code(&u.email).await;
    t.clock.advance(time::Duration::hours(24) + time::Duration::seconds(1));
    // The access token expired too; sign in again (unactivated users may).
    let access = t.login(&u.username, PASSWORD).await.data()["accessToken"].as_str().unwrap().to_owned();
    t.post("/api/auth/activate", json!({"code": code}), Some(&access)).await.assert(400, Some("CODE_EXPIRED"));
}

#[tokio::test]
async fn activation_by_code_needs_a_token() {
    let t = TestApp::spawn().await;
    t.post("/api/auth/activate", json!({"code": "123456"}), None).await.assert(401, Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn activation_by_link_works_once() {
    let t = TestApp::spawn().await;
    let u = t.unactivated_user().await;
    let token = t.mailed_token(&u.email).await;
    t.get(&format!("/api/auth/activate?token={token}"), None).await.assert(200, None);
    assert_eq!(t.get("/api/auth/status", Some(&u.access)).await.data()["isConfirmed"], true);
    t.get(&format!("/api/auth/activate?token={token}"), None).await.assert(400, Some("INVALID_TOKEN"));
    t.get("/api/auth/activate?token=forged", None).await.assert(400, Some("INVALID_TOKEN"));
    t.get("/api/auth/activate", None).await.assert(400, Some("VALIDATION_FAILED"));
}

#[tokio::test]
async fn a_head_of_the_activation_link_does_not_use_it_up() {
    // Link scanners send HEAD first; the person's own click must still work.
    let t = TestApp::spawn().await;
    let u = t.unactivated_user().await;
    let token = t.mailed_token(&u.email).await;
    for _ in 0..2 {
        let head = t.call("HEAD", &format!("/api/auth/activate?token={token}"), None, None).await;
        head.assert(200, None);
        assert_eq!(head.body, serde_json::Value::Null, "a HEAD answer has no body");
    }
    t.call("HEAD", "/api/auth/activate?token=forged", None, None).await.assert(200, None);
    assert_eq!(t.get("/api/auth/status", Some(&u.access)).await.data()["isConfirmed"], false, "HEAD activated the account");
    t.get(&format!("/api/auth/activate?token={token}"), None).await.assert(200, None);
    assert_eq!(t.get("/api/auth/status", Some(&u.access)).await.data()["isConfirmed"], true);
}

#[tokio::test]
async fn an_activation_link_expires_after_24_hours() {
    let t = TestApp::spawn().await;
    let u = t.unactivated_user().await;
    let token = t.mailed_token(&u.email).await;
    t.clock.advance(time::Duration::hours(25));
    t.get(&format!("/api/auth/activate?token={token}"), None).await.assert(400, Some("INVALID_TOKEN"));
}

#[tokio::test]
async fn resend_activation_answers_the_same_for_any_address_and_replaces_the_code() {
    let t = TestApp::spawn().await;
    let u = t.unactivated_user().await;
    let first = t.activation_code(&u.email).await;
    let unknown = t.post("/api/auth/resend-activation", json!({"email": "nobody@example.com"}), None).await;
    unknown.assert(202, None);
    // Throttled: a resend within a minute sends nothing, and still answers 202.
    let r = t.post("/api/auth/resend-activation", json!({"email": u.email}), None).await;
    r.assert(202, None);
    assert_eq!(r.body, unknown.body, "the answer does not tell whether the account exists");
    assert_eq!(t.mails_to(&u.email).await.len(), 1);
    t.clock.advance(time::Duration::seconds(61));
    t.post("/api/auth/resend-activation", json!({"email": u.email.to_uppercase()}), None).await.assert(202, None);
    assert_eq!(t.mails_to(&u.email).await.len(), 2);
    let second = t.activation_code(&u.email).await;
    if first != second {
        t.post("/api/auth/activate", json!({"code": first}), Some(&u.access)).await.assert(400, Some("INVALID_CODE"));
    }
    t.post("/api/auth/activate", json!({"code": second}), Some(&u.access)).await.assert(200, None);
    t.post("/api/auth/resend-activation", json!({"email": "bad"}), None).await.assert(400, Some("VALIDATION_FAILED"));
}

// ---- unactivated users ---------------------------------------------------------------------

#[tokio::test]
async fn an_unactivated_user_reaches_only_the_allowed_routes() {
    let t = TestApp::spawn().await;
    let u = t.unactivated_user().await;
    t.get("/api/users/me", Some(&u.access)).await.assert(200, None);
    t.get("/api/auth/status", Some(&u.access)).await.assert(200, None);
    t.call("PATCH", "/api/users/me", Some(json!({"bio": "hi"})), Some(&u.access)).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
    t.call("PUT", "/api/users/me", Some(json!({"bio": "hi"})), Some(&u.access)).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
    t.post("/api/auth/logout", json!({}), Some(&u.access)).await.assert(200, None);
}

// ---- login ---------------------------------------------------------------------------------

#[tokio::test]
async fn login_by_username_or_email_returns_a_token_pair_and_the_user() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    for login in [u.username.to_uppercase(), u.email.to_uppercase()] {
        let r = t.login(&login, PASSWORD).await;
        r.assert(200, None);
        let d = r.data();
        assert_eq!(d["tokenType"], "Bearer");
        assert_eq!(d["expiresIn"], 900);
        assert!(d["refreshToken"].as_str().unwrap().starts_with("rt_"));
        assert_eq!(d["user"]["id"], u.id.as_str());
        assert!(d["user"]["stats"]["lastLoginAt"].as_str().is_some());
        let me = t.get("/api/users/me", d["accessToken"].as_str()).await;
        me.assert(200, None);
        assert_eq!(me.data()["email"], u.email.as_str());
    }
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_get_the_same_answer() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let wrong = t.login(&u.username, "Wrong-Pass-123").await;
    wrong.assert(401, Some("INVALID_CREDENTIALS"));
    let unknown = t.login("nobody_here", "Wrong-Pass-123").await;
    unknown.assert(401, Some("INVALID_CREDENTIALS"));
    assert_eq!(wrong.body, unknown.body);
    t.login("nobody@example.com", PASSWORD).await.assert(401, Some("INVALID_CREDENTIALS"));
    t.post("/api/auth/login", json!({"password": PASSWORD}), None).await.assert(400, Some("VALIDATION_FAILED"));
}

#[tokio::test]
async fn five_failures_lock_the_account_briefly_even_for_the_right_password() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    for _ in 0..5 {
        t.login(&u.username, "Wrong-Pass-123").await.assert(401, Some("INVALID_CREDENTIALS"));
    }
    let locked = t.login(&u.username, PASSWORD).await;
    locked.assert(429, Some("RATE_LIMITED"));
    assert_eq!(locked.headers["retry-after"], "30");
    t.clock.advance(time::Duration::seconds(31));
    t.login(&u.username, PASSWORD).await.assert(200, None);
    // Success resets the counter.
    t.login(&u.username, "Wrong-Pass-123").await.assert(401, Some("INVALID_CREDENTIALS"));
}

#[tokio::test]
async fn many_failures_from_one_address_are_throttled() {
    let t = TestApp::spawn().await;
    for i in 0..20 {
        t.login(&format!("ghost_{i}"), "Wrong-Pass-123").await.assert(401, Some("INVALID_CREDENTIALS"));
    }
    let r = t.login("ghost_x", "Wrong-Pass-123").await;
    r.assert(429, Some("RATE_LIMITED"));
    assert!(r.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn a_banned_user_learns_of_the_ban_only_after_the_right_password() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let until = t.app.now() + 3600;
    t.set_user_attr(&u.id, "banned", AttributeValue::Bool(true)).await;
    t.set_user_attr(&u.id, "bannedUntil", AttributeValue::N(until.to_string())).await;
    t.set_user_attr(&u.id, "banReason", AttributeValue::S("spam".into())).await;
    t.login(&u.username, "Wrong-Pass-123").await.assert(401, Some("INVALID_CREDENTIALS"));
    let r = t.login(&u.username, PASSWORD).await;
    r.assert(403, Some("ACCOUNT_BANNED"));
    assert_eq!(r.body["details"]["banReason"], "spam");
    assert!(r.body["details"]["bannedUntil"].as_str().unwrap().ends_with('Z'));
    // The existing session is refused too, and the ban lifts by itself.
    t.get("/api/users/me", Some(&u.access)).await.assert(403, Some("ACCOUNT_BANNED"));
    t.clock.advance(time::Duration::seconds(3601));
    t.login(&u.username, PASSWORD).await.assert(200, None);
}

#[tokio::test]
async fn an_account_pending_deletion_cannot_log_in() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    t.set_user_attr(&u.id, "deletionScheduledAt", AttributeValue::N(t.app.now().to_string())).await;
    t.login(&u.username, "Wrong-Pass-123").await.assert(401, Some("INVALID_CREDENTIALS"));
    t.login(&u.username, PASSWORD).await.assert(403, Some("ACCOUNT_PENDING_DELETION"));
}

#[tokio::test]
async fn login_can_set_http_only_cookies_that_authenticate() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = t.post("/api/auth/login", json!({"username": u.username, "password": PASSWORD, "useCookies": true}), None).await;
    r.assert(200, None);
    let cookies: Vec<&str> = r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(cookies.len(), 2);
    for c in &cookies {
        assert!(c.contains("HttpOnly") && c.contains("Secure") && c.contains("SameSite=Strict"), "{c}");
    }
    let jar: Vec<&str> = cookies.iter().map(|c| c.split(';').next().unwrap()).collect();
    let request = |path: &str| {
        http::Request::builder().method("GET").uri(path).header("cookie", jar.join("; ")).body(axum::body::Body::empty()).unwrap()
    };
    t.send(request("/api/users/me")).await.assert(200, None);
    let refreshed = t
        .send(
            http::Request::builder()
                .method("POST")
                .uri("/api/auth/refresh")
                .header("cookie", jar.join("; "))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    refreshed.assert(200, None);
    assert_eq!(refreshed.headers.get_all("set-cookie").iter().count(), 2, "cookie clients get rotated cookies");
}

// ---- tokens --------------------------------------------------------------------------------

#[tokio::test]
async fn refresh_rotates_and_reuse_of_an_old_token_revokes_the_session() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = t.post("/api/auth/refresh", json!({"refreshToken": u.refresh}), None).await;
    r.assert(200, None);
    let new_access = r.data()["accessToken"].as_str().unwrap().to_owned();
    let new_refresh = r.data()["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, u.refresh);
    t.get("/api/users/me", Some(&new_access)).await.assert(200, None);
    // Someone replays the old refresh token: the whole session ends.
    t.post("/api/auth/refresh", json!({"refreshToken": u.refresh}), None).await.assert(401, Some("UNAUTHENTICATED"));
    t.get("/api/users/me", Some(&new_access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/refresh", json!({"refreshToken": new_refresh}), None).await.assert(401, Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn refresh_accepts_a_bearer_refresh_token_and_refuses_garbage() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    t.call("POST", "/api/auth/refresh", None, Some(&u.refresh)).await.assert(200, None);
    t.post("/api/auth/refresh", json!({"refreshToken": "rt_forged"}), None).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/refresh", json!({}), None).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/refresh", json!({"refreshToken": u.access}), None).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/refresh", json!({"token": "x"}), None).await.assert(400, Some("VALIDATION_FAILED"));
}

#[tokio::test]
async fn a_refresh_token_expires_after_30_days() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    t.clock.advance(time::Duration::days(30) + time::Duration::seconds(1));
    t.post("/api/auth/refresh", json!({"refreshToken": u.refresh}), None).await.assert(401, Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn logout_ends_the_session_at_once() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let other = t.login(&u.username, PASSWORD).await.data()["accessToken"].as_str().unwrap().to_owned();
    t.post("/api/auth/logout", json!({}), Some(&u.access)).await.assert(200, None);
    t.get("/api/users/me", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/refresh", json!({"refreshToken": u.refresh}), None).await.assert(401, Some("UNAUTHENTICATED"));
    t.get("/api/users/me", Some(&other)).await.assert(200, None);
    t.post("/api/auth/logout", json!({}), None).await.assert(401, Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn logout_all_ends_every_session() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let other = t.login(&u.email, PASSWORD).await.data()["accessToken"].as_str().unwrap().to_owned();
    let r = t.post("/api/auth/logout-all", json!({}), Some(&u.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["sessionsEnded"], 2);
    t.get("/api/users/me", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.get("/api/users/me", Some(&other)).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/logout-all", json!({}), None).await.assert(401, Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn an_access_token_expires_after_15_minutes() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    t.clock.advance(time::Duration::minutes(15));
    t.get("/api/users/me", Some(&u.access)).await.assert(401, Some("TOKEN_EXPIRED"));
    // The refresh token still works.
    t.post("/api/auth/refresh", json!({"refreshToken": u.refresh}), None).await.assert(200, None);
}

#[tokio::test]
async fn forged_tampered_and_unsigned_tokens_are_refused() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = u.access.split('.').collect();
    let header: serde_json::Value = serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
    let mut claims: serde_json::Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    claims["role"] = json!("admin");
    let tampered = format!("{}.{}.{}", parts[0], b64.encode(claims.to_string()), parts[2]);
    let none_header = json!({"alg": "none", "typ": "JWT", "kid": header["kid"]});
    let unsigned = format!("{}.{}.", b64.encode(none_header.to_string()), parts[1]);
    for bad in [tampered.as_str(), unsigned.as_str(), "garbage", "a.b.c"] {
        t.get("/api/users/me", Some(bad)).await.assert(401, Some("UNAUTHENTICATED"));
    }
    t.get("/api/users/me", None).await.assert(401, Some("UNAUTHENTICATED"));
    let basic =
        http::Request::builder().uri("/api/users/me").header("authorization", "Basic dTpw").body(axum::body::Body::empty()).unwrap();
    t.send(basic).await.assert(401, Some("UNAUTHENTICATED"));
}

// ---- password reset ------------------------------------------------------------------------

#[tokio::test]
async fn forgot_and_reset_password_sets_it_and_ends_every_session() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let unknown = t.post("/api/auth/forgot-password", json!({"email": "nobody@example.com"}), None).await;
    unknown.assert(202, None);
    let known = t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await;
    known.assert(202, None);
    assert_eq!(known.body, unknown.body, "the answer does not tell whether the account exists");
    let (subject, _) = t.last_mail(&u.email).await;
    assert_eq!(subject, "Reset your password");
    let token = t.mailed_token(&u.email).await;
    t.post("/api/auth/reset-password", json!({"token": token, "newPassword": "weak"}), None).await.assert(422, Some("WEAK_PASSWORD"));
    t.post("/api/auth/reset-password", json!({"token": token, "newPassword": "Brand-New-Pass-9"}), None).await.assert(200, None);
    t.get("/api/users/me", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/refresh", json!({"refreshToken": u.refresh}), None).await.assert(401, Some("UNAUTHENTICATED"));
    t.login(&u.username, PASSWORD).await.assert(401, Some("INVALID_CREDENTIALS"));
    t.login(&u.username, "Brand-New-Pass-9").await.assert(200, None);
    t.post("/api/auth/reset-password", json!({"token": token, "newPassword": "Another-Pass-77"}), None)
        .await
        .assert(400, Some("INVALID_TOKEN"));
}

#[tokio::test]
async fn a_reset_link_expires_after_an_hour_and_only_the_newest_works() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);
    let first = t.mailed_token(&u.email).await;
    t.clock.advance(time::Duration::seconds(61));
    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);
    let second = t.mailed_token(&u.email).await;
    assert_ne!(first, second);
    t.post("/api/auth/reset-password", json!({"token": first, "newPassword": "Brand-New-Pass-9"}), None)
        .await
        .assert(400, Some("INVALID_TOKEN"));
    t.clock.advance(time::Duration::seconds(3600));
    t.post("/api/auth/reset-password", json!({"token": second, "newPassword": "Brand-New-Pass-9"}), None)
        .await
        .assert(400, Some("INVALID_TOKEN"));
    t.post("/api/auth/reset-password", json!({"token": "", "newPassword": "Brand-New-Pass-9"}), None)
        .await
        .assert(400, Some("INVALID_TOKEN"));
    t.post("/api/auth/forgot-password", json!({"email": "nope"}), None).await.assert(400, Some("VALIDATION_FAILED"));
}

// ---- the HTTP layer ------------------------------------------------------------------------

#[tokio::test]
async fn unknown_paths_and_methods_answer_in_the_envelope_with_a_request_id() {
    let t = TestApp::spawn().await;
    let r = t.get("/api/auth/nope", None).await;
    r.assert(404, Some("NOT_FOUND"));
    assert!(r.headers.contains_key("x-request-id"));
    let r = t.call("DELETE", "/api/auth/login", None, None).await;
    r.assert(405, Some("METHOD_NOT_ALLOWED"));
    assert_eq!(r.headers["content-type"], "application/json");
    let r = t.get("/api/auth/captcha", None).await;
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
}

// ---- activity log --------------------------------------------------------------------------

#[tokio::test]
async fn security_events_are_recorded_without_secrets() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    t.login(&u.username, "Wrong-Pass-123").await.assert(401, None);
    t.post("/api/auth/logout", json!({}), Some(&u.access)).await.assert(200, None);
    let items = t.all_items().await;
    let mut kinds: Vec<&str> =
        items.iter().filter(|i| i["sk"].as_s().unwrap().starts_with("ACT#")).map(|i| i["kind"].as_s().unwrap().as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["account.activated", "account.registered", "login.failed", "login.succeeded", "session.logout"]);
    let dump = format!("{items:?}");
    let activity: Vec<_> = items.iter().filter(|i| i["sk"].as_s().unwrap().starts_with("ACT#")).collect();
    let activity_dump = format!("{activity:?}");
    assert!(activity.iter().all(|i| i.contains_key("ttl")), "activity expires after 90 days");
    for secret in [PASSWORD, "Wrong-Pass-123", u.refresh.as_str(), u.access.as_str()] {
        assert!(!activity_dump.contains(secret));
        assert!(!dump.contains(secret), "a secret is stored in clear");
    }
}
