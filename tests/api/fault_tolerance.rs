//! Fault tolerance: DynamoDB, SES and S3 failing at the SDK boundary (`faults.rs`), and what
//! each request leaves behind. The retry and timeout settings under test are
//! `accounts_core::app::sdk_settings`; the reasoning is in docs/resilience.md.

use crate::faults::{Failure, Faults, Target, Times, faulty_app};
use crate::helpers::{PASSWORD, Resp, TestApp, TestUser};
use accounts_core::app::SDK_MAX_ATTEMPTS;
use aws_sdk_dynamodb::types::AttributeValue;
use axum::body::Body;
use http::Request;
use image::{ImageFormat, Rgb, RgbImage};
use serde_json::json;
use std::collections::HashMap;
use std::io::Cursor;

type Item = HashMap<String, AttributeValue>;

fn pk(item: &Item) -> String {
    item.get("pk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}

fn sk(item: &Item) -> String {
    item.get("sk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}

/// The items of `t`'s table whose pk starts with `pk_prefix` and sk with `sk_prefix`.
async fn items(t: &TestApp, pk_prefix: &str, sk_prefix: &str) -> Vec<Item> {
    t.all_items().await.into_iter().filter(|i| pk(i).starts_with(pk_prefix) && sk(i).starts_with(sk_prefix)).collect()
}

/// A 503 in the SPEC envelope that says nothing about what failed inside.
#[track_caller]
fn assert_dependency_unavailable(r: &Resp) {
    r.assert(503, Some("DEPENDENCY_UNAVAILABLE"));
    assert_eq!(r.body["error"], "a dependency is unavailable; retry later", "{}", r.body);
    let text = r.body.to_string().to_lowercase();
    for internal in ["throttl", "dynamodb", "transactwrite", "fault", "exception", "ses", "s3", "slowdown"] {
        assert!(!text.contains(internal), "the 503 body reveals {internal:?}: {text}");
    }
    assert!(r.body.get("details").is_none(), "{}", r.body);
}

// ---- DynamoDB throttling --------------------------------------------------------------------

#[tokio::test]
async fn a_throttled_register_is_retried_the_configured_number_of_times_then_answers_503_and_writes_nothing() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let rule = faults.inject(Target::Dynamo("TransactWriteItems"), Failure::Throttle, Times::Always);
    let (username, email) = t.new_identity();

    let r = t.register(&username, &email, PASSWORD).await;

    assert_dependency_unavailable(&r);
    assert_eq!(rule.attempts(), SDK_MAX_ATTEMPTS, "one operation, retried up to the configured maximum");
    // Only the attempt was counted (the per-address limit counts attempts, not successes).
    let left: Vec<String> = t.all_items().await.iter().filter_map(|i| i.get("pk")?.as_s().ok().cloned()).collect();
    assert!(
        left.iter().all(|pk| pk.starts_with("RATE#register#")),
        "no user, marker, token, queue entry or activity left behind: {left:?}"
    );
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(t.mails_to(&email).await.is_empty(), "no activation mail for an account that does not exist");
    faults.clear();
    t.register(&username, &email, PASSWORD).await.assert(201, None);
}

#[tokio::test]
async fn a_throttle_that_clears_after_one_attempt_is_retried_into_success() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let rule = faults.inject(Target::Dynamo("TransactWriteItems"), Failure::Throttle, Times::First(1));
    let (username, email) = t.new_identity();

    t.register(&username, &email, PASSWORD).await.assert(201, None);

    assert_eq!((rule.attempts(), rule.failures()), (2, 1));
    assert_eq!(items(&t, "USER#", "PROFILE").await.len(), 1);
    t.login(&username, PASSWORD).await.assert(200, None);
}

#[tokio::test]
async fn a_throttled_login_answers_503_and_leaves_no_session_or_refresh_token() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let (username, email) = t.new_identity();
    t.register(&username, &email, PASSWORD).await.assert(201, None);
    let rule = faults.inject(Target::Dynamo("TransactWriteItems"), Failure::Throttle, Times::Always);

    let r = t.login(&username, PASSWORD).await;

    assert_dependency_unavailable(&r);
    assert_eq!(rule.attempts(), SDK_MAX_ATTEMPTS);
    assert!(items(&t, "USER#", "SESSION#").await.is_empty());
    assert!(items(&t, "REFRESH#", "").await.is_empty());
    let user = &items(&t, "USER#", "PROFILE").await[0];
    assert!(!user.contains_key("lastLoginAt"), "the login bookkeeping is part of the failed transaction");
    faults.clear();
    t.login(&username, PASSWORD).await.assert(200, None);
}

#[tokio::test]
async fn a_throttled_read_answers_503_without_touching_the_account() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let u = t.user().await;
    let rule = faults.inject(Target::Dynamo("BatchGetItem"), Failure::Throttle, Times::Always);

    let r = t.get("/api/users/me", Some(&u.access)).await;

    assert_dependency_unavailable(&r);
    assert_eq!(rule.attempts(), SDK_MAX_ATTEMPTS);
    faults.clear();
    t.get("/api/users/me", Some(&u.access)).await.assert(200, None);
}

#[tokio::test]
async fn a_refresh_whose_rotation_is_throttled_leaves_the_presented_token_valid_and_unrotated() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let u = t.user().await;
    let refresh_items = items(&t, "REFRESH#", "").await.len();
    let rule = faults.inject(Target::Dynamo("TransactWriteItems"), Failure::Throttle, Times::Always);

    let r = t.post("/api/auth/refresh", json!({"refreshToken": u.refresh}), None).await;

    assert_dependency_unavailable(&r);
    assert_eq!(rule.attempts(), SDK_MAX_ATTEMPTS, "the two reads passed, the write was retried");
    let stored = items(&t, "REFRESH#", "").await;
    assert_eq!(stored.len(), refresh_items, "no successor token was written");
    assert!(stored.iter().all(|i| i.get("rotated") == Some(&AttributeValue::Bool(false))), "nothing marked rotated");
    faults.clear();
    // The same token still works and is not taken for reuse: the session survives.
    let again = t.post("/api/auth/refresh", json!({"refreshToken": u.refresh}), None).await;
    again.assert(200, None);
    t.get("/api/users/me", again.data()["accessToken"].as_str()).await.assert(200, None);
}

#[tokio::test]
async fn a_password_change_whose_transaction_is_throttled_keeps_the_old_password_and_every_session() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let u = t.user().await;
    let other = t.login(&u.username, PASSWORD).await;
    other.assert(200, None);
    let other_access = other.data()["accessToken"].as_str().unwrap().to_owned();
    let rule = faults.inject(Target::Dynamo("TransactWriteItems"), Failure::Throttle, Times::Always);

    let r = t
        .call(
            "PUT",
            "/api/users/me/password",
            Some(json!({"currentPassword": PASSWORD, "newPassword": "N3w-Secret-Pass", "confirmPassword": "N3w-Secret-Pass"})),
            Some(&u.access),
        )
        .await;

    assert_dependency_unavailable(&r);
    assert_eq!(rule.attempts(), SDK_MAX_ATTEMPTS);
    faults.clear();
    assert_eq!(items(&t, "USER#", "SESSION#").await.len(), 2, "no session was ended");
    t.get("/api/users/me", Some(&other_access)).await.assert(200, None);
    t.login(&u.username, "N3w-Secret-Pass").await.assert(401, Some("INVALID_CREDENTIALS"));
    t.login(&u.username, PASSWORD).await.assert(200, None);
}

#[tokio::test]
async fn a_password_change_whose_session_cleanup_fails_after_the_commit_still_ends_the_other_sessions() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let u = t.user().await;
    t.clock.advance(time::Duration::milliseconds(5));
    let other = t.login(&u.username, PASSWORD).await;
    other.assert(200, None);
    let (other_access, other_refresh) = (other.data()["accessToken"].as_str().unwrap(), other.data()["refreshToken"].as_str().unwrap());
    t.clock.advance(time::Duration::milliseconds(5));
    let rule = faults.inject(Target::Dynamo("BatchWriteItem"), Failure::Throttle, Times::Always);

    let r = t
        .call(
            "PUT",
            "/api/users/me/password",
            Some(json!({"currentPassword": PASSWORD, "newPassword": "N3w-Secret-Pass", "confirmPassword": "N3w-Secret-Pass"})),
            Some(&u.access),
        )
        .await;

    // The change is committed: the answer says so, and the client must not retry it.
    r.assert(200, None);
    assert_eq!(rule.attempts(), SDK_MAX_ATTEMPTS, "the cleanup was tried");
    faults.clear();
    assert_eq!(items(&t, "USER#", "SESSION#").await.len(), 2, "the session items are still there");
    // ... but the other session is over, its access and refresh tokens alike.
    t.get("/api/users/me", Some(other_access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/refresh", json!({"refreshToken": other_refresh}), None).await.assert(401, Some("UNAUTHENTICATED"));
    let sessions = t.get("/api/users/me/sessions", Some(&u.access)).await;
    sessions.assert(200, None);
    assert_eq!(sessions.data().as_array().unwrap().len(), 1, "only the current session is listed: {}", sessions.body);
    t.get("/api/users/me", Some(&u.access)).await.assert(200, None);
    t.login(&u.username, PASSWORD).await.assert(401, Some("INVALID_CREDENTIALS"));
    let fresh = t.login(&u.username, "N3w-Secret-Pass").await;
    fresh.assert(200, None);
    t.get("/api/users/me", fresh.data()["accessToken"].as_str()).await.assert(200, None);
}

#[tokio::test]
async fn a_reset_whose_session_cleanup_fails_after_the_commit_still_ends_every_session() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let u = t.user().await;
    t.clock.advance(time::Duration::seconds(61));
    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);
    let token = t.mailed_token(&u.email).await;
    t.clock.advance(time::Duration::milliseconds(5));
    let rule = faults.inject(Target::Dynamo("BatchWriteItem"), Failure::Throttle, Times::Always);

    t.post("/api/auth/reset-password", json!({"token": token, "newPassword": "N3w-Secret-Pass"}), None).await.assert(200, None);

    assert_eq!(rule.attempts(), SDK_MAX_ATTEMPTS);
    faults.clear();
    assert_eq!(items(&t, "USER#", "SESSION#").await.len(), 1, "the session item is still there");
    t.get("/api/users/me", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/refresh", json!({"refreshToken": u.refresh}), None).await.assert(401, Some("UNAUTHENTICATED"));
    let fresh = t.login(&u.username, "N3w-Secret-Pass").await;
    fresh.assert(200, None);
    t.get("/api/users/me", fresh.data()["accessToken"].as_str()).await.assert(200, None);
}

// ---- SES failing ------------------------------------------------------------------------------

#[tokio::test]
async fn a_register_whose_activation_mail_fails_keeps_the_account_and_a_resend_delivers_a_working_code() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let rule = faults.inject(Target::Ses("SendEmail"), Failure::ServerError, Times::Always);
    let (username, email) = t.new_identity();

    let r = t.register(&username, &email, PASSWORD).await;

    r.assert(201, None);
    assert!(r.body["message"].as_str().unwrap().contains("resend-activation"), "{}", r.body);
    assert_eq!(rule.attempts(), SDK_MAX_ATTEMPTS, "SES's 500 is retried like DynamoDB's errors");
    assert!(t.mails_to(&email).await.is_empty());
    let user_id = r.data()["id"].as_str().unwrap();
    assert_eq!(items(&t, &format!("USER#{user_id}"), "PROFILE").await.len(), 1);
    assert_eq!(items(&t, "EMAIL#", "").await.len(), 1);
    assert_eq!(items(&t, "USERNAME#", "").await.len(), 1);
    let tokens = items(&t, "TOKEN#", "").await;
    assert_eq!(tokens.len(), 1, "the activation token is stored");
    assert_eq!(tokens[0]["kind"], AttributeValue::S("activation".into()));

    faults.clear();
    // One activation mail a minute per account: the failed one counted.
    t.clock.advance(time::Duration::seconds(61));
    t.post("/api/auth/resend-activation", json!({"email": email}), None).await.assert(202, None);
    let code = t.activation_code(&email).await;
    let login = t.login(&username, PASSWORD).await;
    login.assert(200, None);
    let access = login.data()["accessToken"].as_str().unwrap();
    t.post("/api/auth/activate", json!({"code": code}), Some(access)).await.assert(200, None);
    assert_eq!(t.get("/api/users/me", Some(access)).await.data()["emailVerified"], true);
}

#[tokio::test]
async fn a_forgot_password_whose_mail_is_throttled_answers_202_and_a_later_request_sends_a_working_link() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let u = t.user().await;
    let mails_before = t.mails_to(&u.email).await.len();
    let rule = faults.inject(Target::Ses("SendEmail"), Failure::Throttle, Times::Always);

    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);

    assert_eq!(rule.attempts(), SDK_MAX_ATTEMPTS);
    assert_eq!(t.mails_to(&u.email).await.len(), mails_before, "no reset mail went out");
    faults.clear();
    t.clock.advance(time::Duration::seconds(61));
    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);
    let token = t.mailed_token(&u.email).await;
    t.post("/api/auth/reset-password", json!({"token": token, "newPassword": "N3w-Secret-Pass"}), None).await.assert(200, None);
    t.login(&u.username, "N3w-Secret-Pass").await.assert(200, None);
}

// ---- S3 failing mid-avatar -------------------------------------------------------------------

pub fn png(colour: [u8; 3]) -> Vec<u8> {
    let img = RgbImage::from_fn(64, 64, |x, y| if (x / 8 + y / 8) % 2 == 0 { Rgb(colour) } else { Rgb([255, 255, 255]) });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

pub async fn upload_avatar(t: &TestApp, u: &TestUser, bytes: &[u8]) -> Resp {
    const BOUNDARY: &str = "----fault-boundary-1";
    let mut body =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n")
            .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let request = Request::builder()
        .method("POST")
        .uri("/api/users/me/avatar")
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .header("authorization", format!("Bearer {}", u.access))
        .body(Body::from(body))
        .unwrap();
    t.send(request).await
}

/// The public avatar's bytes (the JSON helper cannot carry an image).
pub async fn public_avatar(t: &TestApp, user_id: &str) -> Vec<u8> {
    use tower::ServiceExt;
    let request = Request::builder().uri(format!("/api/users/{user_id}/avatar")).body(Body::empty()).unwrap();
    let response = accounts_core::api::users::router(t.app.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap().to_vec()
}

/// The status of a GET of `path` with a bearer token (the body may be an image).
pub async fn raw(t: &TestApp, path: &str, token: Option<&str>) -> u16 {
    let mut builder = Request::builder().uri(path);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    use tower::ServiceExt;
    accounts_core::api::users::router(t.app.clone()).oneshot(builder.body(Body::empty()).unwrap()).await.unwrap().status().as_u16()
}

async fn avatar_key(t: &TestApp, user_id: &str) -> Option<String> {
    items(t, &format!("USER#{user_id}"), "PROFILE").await[0].get("avatarKey").and_then(|v| v.as_s().ok()).cloned()
}

async fn object_exists(t: &TestApp, key: &str) -> bool {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&crate::helpers::sdk_config().await).force_path_style(true).build(),
    );
    s3.head_object().bucket(&t.bucket).key(key).send().await.is_ok()
}

/// A faulty app (no rule yet) with an activated user who has an avatar: its served bytes and key.
async fn user_with_an_avatar() -> (Faults, TestApp, TestUser, Vec<u8>, String) {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let u = t.user().await;
    upload_avatar(&t, &u, &png([200, 30, 30])).await.assert(200, None);
    let before = public_avatar(&t, &u.id).await;
    let key = avatar_key(&t, &u.id).await.unwrap();
    (faults, t, u, before, key)
}

#[tokio::test]
async fn an_avatar_whose_object_write_fails_answers_503_and_the_user_keeps_the_previous_avatar() {
    let (faults, t, u, before, key_before) = user_with_an_avatar().await;
    let rule = faults.inject(Target::S3("PUT", "/avatars/"), Failure::Throttle, Times::Always);

    let r = upload_avatar(&t, &u, &png([30, 30, 200])).await;

    assert_dependency_unavailable(&r);
    assert_eq!(rule.attempts(), SDK_MAX_ATTEMPTS, "S3's SlowDown is retried too");
    faults.clear();
    assert_eq!(avatar_key(&t, &u.id).await.as_deref(), Some(key_before.as_str()), "the pointer did not move");
    assert_eq!(public_avatar(&t, &u.id).await, before, "the previous avatar is still served, byte for byte");
}

#[tokio::test]
async fn an_avatar_whose_previous_object_cannot_be_deleted_succeeds_and_points_at_the_new_object() {
    let (faults, t, u, before, old_key) = user_with_an_avatar().await;
    let rule = faults.inject(Target::S3("DELETE", "/avatars/"), Failure::ServerError, Times::Always);

    let r = upload_avatar(&t, &u, &png([30, 30, 200])).await;

    r.assert(200, None);
    assert_eq!(rule.attempts(), SDK_MAX_ATTEMPTS);
    faults.clear();
    let new_key = avatar_key(&t, &u.id).await.unwrap();
    assert_ne!(new_key, old_key);
    assert!(object_exists(&t, &new_key).await, "the user points at an object that exists");
    let served = public_avatar(&t, &u.id).await;
    assert_ne!(served, before, "the new avatar is served");
    image::load_from_memory_with_format(&served, ImageFormat::WebP).unwrap();
    // The orphan (documented in docs/resilience.md): nothing points at it; the purge removes
    // it with the account's avatars/<id>/ prefix.
    assert!(object_exists(&t, &old_key).await, "the previous object is left behind, unreferenced");
}

// ---- a lost response and the SDK's retry ------------------------------------------------------

#[tokio::test]
async fn a_register_whose_transaction_response_is_lost_is_retried_into_201_without_a_duplicate() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let rule = faults.inject(Target::Dynamo("TransactWriteItems"), Failure::LoseResponse, Times::First(1));
    let (username, email) = t.new_identity();

    let r = t.register(&username, &email, PASSWORD).await;

    r.assert(201, None);
    assert_eq!((rule.attempts(), rule.failures()), (2, 1), "executed, response lost, retried once");
    let users = items(&t, "USER#", "PROFILE").await;
    assert_eq!(users.len(), 1, "exactly one user");
    assert_eq!(users[0]["id"], AttributeValue::S(r.data()["id"].as_str().unwrap().into()), "the one the client was told about");
    assert_eq!(items(&t, "EMAIL#", "").await.len(), 1);
    assert_eq!(items(&t, "USERNAME#", "").await.len(), 1);
    assert_eq!(items(&t, "TOKEN#", "").await.len(), 1);
    assert_eq!(items(&t, "PURGEQ#", "").await.len(), 1);
    assert_eq!(items(&t, "USER#", "ACT#").await.len(), 1, "one 'registered' activity entry");
    t.login(&username, PASSWORD).await.assert(200, None);
    // The same identity is still unique afterwards.
    t.register(&username, &format!("x{email}"), PASSWORD).await.assert(409, Some("USERNAME_TAKEN"));
}

#[tokio::test]
async fn a_register_of_a_taken_username_whose_response_is_lost_still_answers_409() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let (username, email) = t.new_identity();
    t.register(&username, &email, PASSWORD).await.assert(201, None);
    let rule = faults.inject(Target::Dynamo("TransactWriteItems"), Failure::LoseResponse, Times::First(1));

    let r = t.register(&username, &format!("other-{email}"), PASSWORD).await;

    r.assert(409, Some("USERNAME_TAKEN"));
    assert_eq!(rule.attempts(), 2);
    assert_eq!(items(&t, "USER#", "PROFILE").await.len(), 1);
}

#[tokio::test]
async fn an_api_key_creation_whose_response_is_lost_creates_one_key_and_counts_it_once() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let u = t.user().await;
    let rule = faults.inject(Target::Dynamo("TransactWriteItems"), Failure::LoseResponse, Times::First(1));

    let r = t.post("/api/api-keys", json!({"name": "ci"}), Some(&u.access)).await;

    r.assert(201, None);
    // The key's transaction twice (executed, response lost, retried), then the security
    // notice's mail slot (a counter and a suppression check in one transaction).
    assert_eq!(rule.attempts(), 3);
    assert_eq!(items(&t, "APIKEY#", "").await.len(), 1);
    let user = &items(&t, &format!("USER#{}", u.id), "PROFILE").await[0];
    assert_eq!(user["activeKeys"], AttributeValue::N("1".into()), "the key limit counter moved once");
    let key = r.data()["keySecret"].as_str().unwrap();
    t.call_with_key("GET", "/api/users/me", None, key).await.assert(200, None);
}

#[tokio::test]
async fn an_upload_reservation_whose_response_is_lost_reserves_the_quota_once() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let u = t.user().await;
    let rule = faults.inject(Target::Dynamo("TransactWriteItems"), Failure::LoseResponse, Times::First(1));

    let r = t.post("/api/uploads", json!({"filename": "a.txt", "contentType": "text/plain", "size": 1234}), Some(&u.access)).await;

    r.assert(201, None);
    assert_eq!(rule.attempts(), 2);
    assert_eq!(items(&t, &format!("USER#{}", u.id), "UPLOAD#").await.len(), 1);
    let user = &items(&t, &format!("USER#{}", u.id), "PROFILE").await[0];
    assert_eq!(user["storageCommitted"], AttributeValue::N("1234".into()));
    assert_eq!(user["uploadsCommitted"], AttributeValue::N("1".into()));
}
