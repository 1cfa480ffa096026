//! Credentials that must not outlive a change (issue 22, finding 7): a reset link after an
//! email change, sessions and links after an admin's password change (even when the session
//! cleanup fails), API keys after a password reset, and the MFA step token after its use.

use crate::faults::{Failure, Faults, Target, Times, faulty_app};
use crate::helpers::{PASSWORD, TestApp, TestUser};
use accounts_core::services::admin::{self as svc, Actor, NewAccount};
use serde_json::json;

const NEW_PASSWORD: &str = "Fresh-Horse-Battery-9";

/// An activated, signed-in admin created the way `accounts-admin create-admin` does.
pub(crate) async fn admin(t: &TestApp) -> TestUser {
    let (username, email) = t.new_identity();
    let input = NewAccount {
        username: username.clone(),
        email: email.clone(),
        password: PASSWORD.into(),
        role: "admin".into(),
        email_verified: true,
    };
    let created = svc::create_account(&t.app.store, &t.app.hasher, t.app.clock.as_ref(), None, Default::default(), &Actor::cli(), input)
        .await
        .unwrap();
    t.clock.advance(time::Duration::milliseconds(2));
    let l = t.login(&username, PASSWORD).await;
    l.assert(200, None);
    TestUser {
        id: created.user.id.to_string(),
        username,
        email,
        access: l.data()["accessToken"].as_str().unwrap().into(),
        refresh: l.data()["refreshToken"].as_str().unwrap().into(),
    }
}

#[tokio::test]
async fn a_reset_link_mailed_to_the_old_address_dies_with_the_email_change() {
    // Whoever reads the old mailbox (the reason to move away from it) must not be able to take
    // the account back with a reset link that was mailed there before the change.
    let t = TestApp::spawn().await;
    let u = t.user().await;
    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);
    let reset = t.mailed_token(&u.email).await;
    let (_, new_email) = t.new_identity();
    t.post("/api/users/me/email", json!({"newEmail": new_email, "password": PASSWORD}), Some(&u.access)).await.assert(202, None);
    let confirm = t.mailed_token(&new_email).await;
    t.post("/api/auth/confirm-email", json!({"token": confirm}), None).await.assert(200, None);

    t.post("/api/auth/reset-password", json!({"token": reset, "newPassword": NEW_PASSWORD}), None).await.assert(400, Some("INVALID_TOKEN"));
    t.login(&u.username, PASSWORD).await.assert(200, None);
}

#[tokio::test]
async fn an_admin_password_change_ends_sessions_and_voids_links_even_when_the_session_cleanup_fails() {
    let faults = Faults::default();
    let t = faulty_app(&faults).await;
    let root = admin(&t).await;
    let u = t.user().await;
    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);
    let reset = t.mailed_token(&u.email).await;
    t.clock.advance(time::Duration::milliseconds(5));
    let _rule = faults.inject(Target::Dynamo("BatchWriteItem"), Failure::Throttle, Times::Always);

    let r = t.call("PATCH", &format!("/api/admin/users/{}", u.id), Some(json!({"password": NEW_PASSWORD})), Some(&root.access)).await;

    // Committed: the answer says so even though deleting the session items failed.
    r.assert(200, None);
    faults.clear();
    t.get("/api/users/me", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/refresh", json!({"refreshToken": u.refresh}), None).await.assert(401, Some("UNAUTHENTICATED"));
    // The reset link asked for before the change is void too.
    t.post("/api/auth/reset-password", json!({"token": reset, "newPassword": "Other-Horse-Battery-7"}), None)
        .await
        .assert(400, Some("INVALID_TOKEN"));
    t.login(&u.username, NEW_PASSWORD).await.assert(200, None);
    // The admin's own session is not touched by changing someone else's password.
    t.get("/api/users/me", Some(&root.access)).await.assert(200, None);
}

#[tokio::test]
async fn a_password_reset_revokes_every_api_key_and_the_mail_says_so() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let created = t.post("/api/api-keys", json!({"name": "ci", "scopes": ["read", "write"]}), Some(&u.access)).await;
    created.assert(201, None);
    let secret = created.data()["keySecret"].as_str().unwrap().to_owned();
    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(200, None);

    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);
    let (_, text) = t.last_mail(&u.email).await;
    assert!(text.contains("API keys"), "the reset mail says what a reset ends: {text}");
    let reset = t.mailed_token(&u.email).await;
    t.post("/api/auth/reset-password", json!({"token": reset, "newPassword": NEW_PASSWORD}), None).await.assert(200, None);

    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(401, Some("UNAUTHENTICATED"));
    let l = t.login(&u.username, NEW_PASSWORD).await;
    l.assert(200, None);
    let keys = t.get("/api/api-keys", l.data()["accessToken"].as_str()).await;
    keys.assert(200, None);
    assert_eq!(keys.data()[0]["status"], "revoked", "{}", keys.body);
    // A key made after the reset works.
    let fresh = t.post("/api/api-keys", json!({"name": "after"}), l.data()["accessToken"].as_str()).await;
    fresh.assert(201, None);
    t.call_with_key("GET", "/api/users/me", None, fresh.data()["keySecret"].as_str().unwrap()).await.assert(200, None);
}

#[tokio::test]
async fn the_mfa_step_token_works_once() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let (secret, _) = crate::mfa::enable(&t, &u).await;
    t.clock.advance(time::Duration::seconds(30));
    let token = crate::mfa::mfa_token(&t, &u).await;
    let first = t.post("/api/auth/mfa", json!({"mfaToken": token, "code": crate::mfa::code_at(&t, &secret)}), None).await;
    first.assert(200, None);
    // A fresh code does not make the spent token usable again within its 5 minutes.
    t.clock.advance(time::Duration::seconds(30));
    let again = t.post("/api/auth/mfa", json!({"mfaToken": token, "code": crate::mfa::code_at(&t, &secret)}), None).await;
    again.assert(401, Some("UNAUTHENTICATED"));
    // A new login gets a new token that works.
    let token2 = crate::mfa::mfa_token(&t, &u).await;
    t.post("/api/auth/mfa", json!({"mfaToken": token2, "code": crate::mfa::code_at(&t, &secret)}), None)
        .await
        .assert(400, Some("INVALID_CODE"));
    t.clock.advance(time::Duration::seconds(30));
    t.post("/api/auth/mfa", json!({"mfaToken": token2, "code": crate::mfa::code_at(&t, &secret)}), None).await.assert(200, None);
}
