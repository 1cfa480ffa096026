//! `PUT /api/users/me/password`, `POST /api/users/me/email` and `POST /api/auth/confirm-email`.

use crate::helpers::{PASSWORD, TestApp, TestUser};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "Fresh-Horse-Battery-9";

/// Another session of the same user: `(access, refresh)`.
async fn second_session(t: &TestApp, u: &TestUser) -> (String, String) {
    let l = t.login(&u.username, PASSWORD).await;
    l.assert(200, None);
    (l.data()["accessToken"].as_str().unwrap().into(), l.data()["refreshToken"].as_str().unwrap().into())
}

fn change(current: &str, new: &str, confirm: &str) -> Value {
    json!({"currentPassword": current, "newPassword": new, "confirmPassword": confirm})
}

async fn activity_kinds(t: &TestApp, user_id: &str) -> Vec<String> {
    t.all_items()
        .await
        .into_iter()
        .filter(|i| i["pk"] == AttributeValue::S(format!("USER#{user_id}")) && i["sk"].as_s().unwrap().starts_with("ACT#"))
        .map(|i| i["kind"].as_s().unwrap().clone())
        .collect()
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session_at_once_and_keeps_this_one() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let (other_access, other_refresh) = second_session(&t, &u).await;
    let (third_access, _) = second_session(&t, &u).await;
    t.get("/api/users/me", Some(&other_access)).await.assert(200, None);

    let r = t.call("PUT", "/api/users/me/password", Some(change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD)), Some(&u.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["sessionsRevoked"], 2);
    assert!(r.data()["passwordChangedAt"].as_str().unwrap().ends_with('Z'));

    // The other sessions' access and refresh tokens are refused on their very next use.
    t.get("/api/users/me", Some(&other_access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.get("/api/users/me", Some(&third_access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/refresh", json!({"refreshToken": other_refresh}), None).await.assert(401, Some("UNAUTHENTICATED"));
    // This session goes on, its refresh token too.
    t.get("/api/users/me", Some(&u.access)).await.assert(200, None);
    t.post("/api/auth/refresh", json!({"refreshToken": u.refresh}), None).await.assert(200, None);

    t.login(&u.username, PASSWORD).await.assert(401, Some("INVALID_CREDENTIALS"));
    t.login(&u.username, NEW_PASSWORD).await.assert(200, None);
    let (subject, _) = t.last_mail(&u.email).await;
    assert_eq!(subject, "Your password was changed");
    assert!(activity_kinds(&t, &u.id).await.contains(&"password.changed".to_owned()));
}

#[tokio::test]
async fn a_password_change_reports_each_error_and_changes_nothing() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let put = |body: Value| t.call("PUT", "/api/users/me/password", Some(body), Some(&u.access));

    let r = put(change(PASSWORD, NEW_PASSWORD, "Something-Else-1")).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(r.body["details"][0]["field"], "confirmPassword");
    let r = put(change(PASSWORD, "short", "short")).await;
    r.assert(422, Some("WEAK_PASSWORD"));
    assert_eq!(r.body["details"][0]["field"], "newPassword");
    put(change(PASSWORD, PASSWORD, PASSWORD)).await.assert(422, Some("WEAK_PASSWORD"));
    put(change("Wrong-Password-1", NEW_PASSWORD, NEW_PASSWORD)).await.assert(400, Some("INVALID_PASSWORD"));
    put(json!({"newPassword": NEW_PASSWORD, "confirmPassword": NEW_PASSWORD})).await.assert(400, Some("VALIDATION_FAILED"));
    let mut extra = change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD);
    extra["role"] = json!("admin");
    put(extra).await.assert(400, Some("VALIDATION_FAILED"));

    t.login(&u.username, PASSWORD).await.assert(200, None);
    assert!(!activity_kinds(&t, &u.id).await.contains(&"password.changed".to_owned()));
}

#[tokio::test]
async fn guessing_the_current_password_locks_like_failed_logins() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    for _ in 0..5 {
        t.call("PUT", "/api/users/me/password", Some(change("Wrong-Password-1", NEW_PASSWORD, NEW_PASSWORD)), Some(&u.access))
            .await
            .assert(400, Some("INVALID_PASSWORD"));
    }
    let r = t.call("PUT", "/api/users/me/password", Some(change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD)), Some(&u.access)).await;
    r.assert(429, Some("RATE_LIMITED"));
    assert!(r.headers.get("retry-after").is_some());
    t.clock.advance(time::Duration::seconds(31));
    t.call("PUT", "/api/users/me/password", Some(change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD)), Some(&u.access)).await.assert(200, None);
}

#[tokio::test]
async fn password_and_email_changes_need_an_activated_live_session() {
    let t = TestApp::spawn().await;
    let body = change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD);
    let email = json!({"newEmail": "new@example.com", "password": PASSWORD});
    t.call("PUT", "/api/users/me/password", Some(body.clone()), None).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/users/me/email", email.clone(), None).await.assert(401, Some("UNAUTHENTICATED"));
    let fresh = t.unactivated_user().await;
    t.call("PUT", "/api/users/me/password", Some(body.clone()), Some(&fresh.access)).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
    t.post("/api/users/me/email", email.clone(), Some(&fresh.access)).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
    let u = t.user().await;
    t.post("/api/auth/logout", json!({}), Some(&u.access)).await.assert(200, None);
    t.call("PUT", "/api/users/me/password", Some(body), Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/users/me/email", email, Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.login(&u.username, PASSWORD).await.assert(200, None);
}

fn new_address(t: &TestApp) -> String {
    t.new_identity().1
}

fn email_markers(items: &[std::collections::HashMap<String, AttributeValue>]) -> Vec<(String, String)> {
    let mut markers: Vec<(String, String)> = items
        .iter()
        .filter(|i| i["sk"] == AttributeValue::S("EMAIL".into()))
        .map(|i| (i["pk"].as_s().unwrap().clone(), i["userId"].as_s().unwrap().clone()))
        .collect();
    markers.sort();
    markers
}

#[tokio::test]
async fn an_email_change_switches_the_address_only_when_the_new_one_confirms() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let new = new_address(&t);
    let r = t.post("/api/users/me/email", json!({"newEmail": new.to_uppercase(), "password": PASSWORD}), Some(&u.access)).await;
    r.assert(202, None);

    let (subject, body) = t.last_mail(&new).await;
    assert_eq!(subject, "Confirm your new email address");
    assert!(body.contains("http://accounts.test/confirm-email?token="), "{body}");
    let (subject, body) = t.last_mail(&u.email).await;
    assert_eq!(subject, "Your email address is about to change");
    assert!(!body.contains(&new), "the notice names the new address only redacted: {body}");

    // Until the link is opened, the old address is the account's.
    t.login(&u.email, PASSWORD).await.assert(200, None);
    t.login(&new, PASSWORD).await.assert(401, Some("INVALID_CREDENTIALS"));
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["email"], u.email.as_str());
    let items = t.all_items().await;
    let token_items: Vec<_> = items
        .iter()
        .filter(|i| i["sk"] == AttributeValue::S("TOKEN".into()) && i["kind"] == AttributeValue::S("email-change".into()))
        .collect();
    assert_eq!(token_items.len(), 1);
    let raw = t.mailed_token(&new).await;
    assert!(!format!("{items:?}").contains(&raw), "the token is stored only as a hash");

    let r = t.post("/api/auth/confirm-email", json!({"token": raw}), None).await;
    r.assert(200, None);
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["email"], new.as_str(), "sessions go on");
    t.login(&new, PASSWORD).await.assert(200, None);
    t.login(&u.email, PASSWORD).await.assert(401, Some("INVALID_CREDENTIALS"));
    assert_eq!(email_markers(&t.all_items().await), vec![(format!("EMAIL#{new}"), u.id.clone())], "the marker moved");
    let kinds = activity_kinds(&t, &u.id).await;
    assert!(kinds.contains(&"email.change_requested".to_owned()) && kinds.contains(&"email.changed".to_owned()), "{kinds:?}");

    // Single use.
    t.post("/api/auth/confirm-email", json!({"token": raw}), None).await.assert(400, Some("INVALID_TOKEN"));
    // The old address is free again for a new account.
    let (name, _) = t.new_identity();
    t.register(&name, &u.email, PASSWORD).await.assert(201, None);
}

#[tokio::test]
async fn only_the_newest_email_change_link_works_and_requests_are_throttled() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let first_address = new_address(&t);
    t.post("/api/users/me/email", json!({"newEmail": first_address, "password": PASSWORD}), Some(&u.access)).await.assert(202, None);
    let first = t.mailed_token(&first_address).await;
    let second_address = new_address(&t);
    let r = t.post("/api/users/me/email", json!({"newEmail": second_address, "password": PASSWORD}), Some(&u.access)).await;
    r.assert(429, Some("RATE_LIMITED"));
    assert!(r.headers.get("retry-after").is_some());
    t.clock.advance(time::Duration::seconds(61));
    t.post("/api/users/me/email", json!({"newEmail": second_address, "password": PASSWORD}), Some(&u.access)).await.assert(202, None);
    let second = t.mailed_token(&second_address).await;

    t.post("/api/auth/confirm-email", json!({"token": first}), None).await.assert(400, Some("INVALID_TOKEN"));
    t.post("/api/auth/confirm-email", json!({"token": second}), None).await.assert(200, None);
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["email"], second_address.as_str());
}

#[tokio::test]
async fn a_taken_address_is_refused_at_confirmation_and_nothing_is_half_moved() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let other = t.user().await;
    let before = email_markers(&t.all_items().await);
    // The request does not say whether the address is taken (only its owner can find out).
    t.post("/api/users/me/email", json!({"newEmail": other.email, "password": PASSWORD}), Some(&u.access)).await.assert(202, None);
    let token = t.mailed_token(&other.email).await;
    t.post("/api/auth/confirm-email", json!({"token": token}), None).await.assert(409, Some("EMAIL_TAKEN"));
    assert_eq!(email_markers(&t.all_items().await), before);
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["email"], u.email.as_str());
    t.login(&u.email, PASSWORD).await.assert(200, None);
    t.login(&other.email, PASSWORD).await.assert(200, None);
}

#[tokio::test]
async fn an_email_change_reports_each_error() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let new = new_address(&t);
    let post = |body: Value| t.post("/api/users/me/email", body, Some(&u.access));
    post(json!({"newEmail": new, "password": "Wrong-Password-1"})).await.assert(400, Some("INVALID_PASSWORD"));
    let r = post(json!({"newEmail": "not-an-address", "password": PASSWORD})).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(r.body["details"][0]["field"], "newEmail");
    post(json!({"newEmail": u.email.to_uppercase(), "password": PASSWORD})).await.assert(400, Some("VALIDATION_FAILED"));
    post(json!({"newEmail": new})).await.assert(400, Some("VALIDATION_FAILED"));
    post(json!({"newEmail": new, "password": PASSWORD, "emailVerified": true})).await.assert(400, Some("VALIDATION_FAILED"));
    assert!(t.mails_to(&new).await.is_empty());

    for token in ["", "garbage", &"x".repeat(200)] {
        t.post("/api/auth/confirm-email", json!({"token": token}), None).await.assert(400, Some("INVALID_TOKEN"));
    }
    t.post("/api/auth/confirm-email", json!({"token": "x", "email": new}), None).await.assert(400, Some("VALIDATION_FAILED"));

    // A password-reset token is not an email-change token.
    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);
    let reset = t.mailed_token(&u.email).await;
    t.post("/api/auth/confirm-email", json!({"token": reset}), None).await.assert(400, Some("INVALID_TOKEN"));

    // A link is good for one hour.
    post(json!({"newEmail": new, "password": PASSWORD})).await.assert(202, None);
    let token = t.mailed_token(&new).await;
    t.clock.advance(time::Duration::seconds(3601));
    t.post("/api/auth/confirm-email", json!({"token": token}), None).await.assert(400, Some("INVALID_TOKEN"));
    let again = t.login(&u.email, PASSWORD).await;
    again.assert(200, None);
    assert_eq!(again.data()["user"]["email"], u.email.as_str(), "the address did not change");
}

#[tokio::test]
async fn a_password_change_or_reset_voids_a_pending_email_change() {
    // Someone who knew the old password asks to move the account to their address; the owner
    // changes (or resets) the password: the link must stop working, or it would hand the
    // account over anyway.
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let attacker = new_address(&t);
    t.post("/api/users/me/email", json!({"newEmail": attacker, "password": PASSWORD}), Some(&u.access)).await.assert(202, None);
    let token = t.mailed_token(&attacker).await;
    t.call("PUT", "/api/users/me/password", Some(change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD)), Some(&u.access)).await.assert(200, None);
    t.post("/api/auth/confirm-email", json!({"token": token}), None).await.assert(400, Some("INVALID_TOKEN"));

    let v = t.user().await;
    let attacker = new_address(&t);
    t.post("/api/users/me/email", json!({"newEmail": attacker, "password": PASSWORD}), Some(&v.access)).await.assert(202, None);
    let token = t.mailed_token(&attacker).await;
    t.post("/api/auth/forgot-password", json!({"email": v.email}), None).await.assert(202, None);
    let reset = t.mailed_token(&v.email).await;
    t.post("/api/auth/reset-password", json!({"token": reset, "newPassword": NEW_PASSWORD}), None).await.assert(200, None);
    t.post("/api/auth/confirm-email", json!({"token": token}), None).await.assert(400, Some("INVALID_TOKEN"));
    t.login(&v.email, NEW_PASSWORD).await.assert(200, None);
}
