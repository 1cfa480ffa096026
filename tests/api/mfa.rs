//! TOTP two-factor authentication: enrolment, login with a second step, backup codes, disabling.

use crate::helpers::{PASSWORD, TestApp, TestUser};
use serde_json::{Value, json};

/// The code an authenticator would show for `secret` at the app's current time.
pub(crate) fn code_at(t: &TestApp, secret: &str) -> String {
    let totp = totp_rs::Builder::new().with_secret(totp_rs::Secret::try_from_base32(secret).unwrap()).build_noncompliant();
    totp.generate(t.app.now() as u64).to_string()
}

/// Enrols `u` and returns `(secret, backup codes)`.
pub(crate) async fn enable(t: &TestApp, u: &TestUser) -> (String, Vec<String>) {
    let r = t.post("/api/users/me/mfa/totp", json!({"password": PASSWORD}), Some(&u.access)).await;
    r.assert(200, None);
    let secret = r.data()["secret"].as_str().unwrap().to_owned();
    let v = t.post("/api/users/me/mfa/totp/verify", json!({"code": code_at(t, &secret)}), Some(&u.access)).await;
    v.assert(200, None);
    let codes = v.data()["backupCodes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    (secret, codes)
}

pub(crate) async fn mfa_token(t: &TestApp, u: &TestUser) -> String {
    let r = t.login(&u.username, PASSWORD).await;
    r.assert(401, Some("MFA_REQUIRED"));
    assert_eq!(r.body["details"]["expiresIn"], 300);
    r.body["details"]["mfaToken"].as_str().unwrap().to_owned()
}

async fn second_step(t: &TestApp, token: &str, code: &str) -> crate::helpers::Resp {
    t.post("/api/auth/mfa", json!({"mfaToken": token, "code": code}), None).await
}

#[tokio::test]
async fn enrolment_gives_a_secret_an_otpauth_url_and_a_qr_png() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    t.post("/api/users/me/mfa/totp", json!({"password": "Wrong-Pass-123"}), Some(&u.access)).await.assert(400, Some("INVALID_PASSWORD"));
    let r = t.post("/api/users/me/mfa/totp", json!({"password": PASSWORD}), Some(&u.access)).await;
    r.assert(200, None);
    assert_eq!(r.headers["cache-control"], "no-store");
    let d = r.data();
    let secret = d["secret"].as_str().unwrap();
    assert!(secret.len() >= 32, "160-bit seed in base32: {secret}");
    let url = d["otpauthUrl"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/") && url.contains(&format!("secret={secret}")), "{url}");
    assert!(d["qrCode"].as_str().unwrap().starts_with("data:image/png;base64,"));
    assert!(!format!("{:?}", t.all_items().await).contains(secret), "the seed is encrypted at rest");
    // Not on until a code proves the authenticator has it.
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["mfaEnabled"], false);
    t.post("/api/users/me/mfa/totp/verify", json!({"code": "000000"}), Some(&u.access)).await.assert(400, Some("INVALID_CODE"));
    t.post("/api/users/me/mfa/totp/verify", json!({"code": "12"}), Some(&u.access)).await.assert(400, Some("VALIDATION_FAILED"));
    let v = t.post("/api/users/me/mfa/totp/verify", json!({"code": code_at(&t, secret)}), Some(&u.access)).await;
    v.assert(200, None);
    assert_eq!(v.data()["backupCodes"].as_array().unwrap().len(), 10);
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["mfaEnabled"], true);
    t.post("/api/users/me/mfa/totp", json!({"password": PASSWORD}), Some(&u.access)).await.assert(409, Some("CONFLICT"));
    let (subject, _) = t.last_mail(&u.email).await;
    assert_eq!(subject, "Two-factor authentication is on");
}

#[tokio::test]
async fn login_needs_the_second_step_and_a_totp_code_works_once() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let (secret, _) = enable(&t, &u).await;
    let token = mfa_token(&t, &u).await;
    // The code used for enrolment is spent for this time step.
    second_step(&t, &token, &code_at(&t, &secret)).await.assert(400, Some("INVALID_CODE"));
    t.clock.advance(time::Duration::seconds(30));
    let code = code_at(&t, &secret);
    let ok = second_step(&t, &token, &code).await;
    ok.assert(200, None);
    let access = ok.data()["accessToken"].as_str().unwrap();
    t.get("/api/users/me", Some(access)).await.assert(200, None);
    // The same code again, even in a new login, does not work twice.
    let token2 = mfa_token(&t, &u).await;
    second_step(&t, &token2, &code).await.assert(400, Some("INVALID_CODE"));
    t.clock.advance(time::Duration::seconds(30));
    second_step(&t, &token2, &code_at(&t, &secret)).await.assert(200, None);
}

#[tokio::test]
async fn each_backup_code_works_once_and_regeneration_replaces_them() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let (secret, codes) = enable(&t, &u).await;
    let token = mfa_token(&t, &u).await;
    second_step(&t, &token, &codes[0].to_uppercase()).await.assert(200, None);
    // A step token works once (credentials::the_mfa_step_token_works_once): a new login each time.
    let token = mfa_token(&t, &u).await;
    second_step(&t, &token, &codes[0]).await.assert(400, Some("INVALID_CODE"));
    second_step(&t, &token, &codes[1]).await.assert(200, None);
    let token = mfa_token(&t, &u).await;
    t.clock.advance(time::Duration::seconds(30));
    let r = t.post("/api/users/me/mfa/backup-codes", json!({"password": PASSWORD, "code": code_at(&t, &secret)}), Some(&u.access)).await;
    r.assert(200, None);
    let fresh: Vec<Value> = r.data()["backupCodes"].as_array().unwrap().clone();
    assert_eq!(fresh.len(), 10);
    second_step(&t, &token, &codes[2]).await.assert(400, Some("INVALID_CODE"));
    second_step(&t, &token, fresh[0].as_str().unwrap()).await.assert(200, None);
    let kinds: Vec<String> = t.all_items().await.iter().filter_map(|i| i.get("kind").and_then(|k| k.as_s().ok()).cloned()).collect();
    assert!(kinds.contains(&"mfa.backup_code_used".to_owned()));
    assert!(!format!("{:?}", t.all_items().await).contains(&codes[3]), "backup codes are stored hashed");
}

#[tokio::test]
async fn disabling_needs_the_password_and_a_code() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let (secret, codes) = enable(&t, &u).await;
    t.call("DELETE", "/api/users/me/mfa", Some(json!({"password": "Wrong-Pass-123", "code": codes[0]})), Some(&u.access))
        .await
        .assert(400, Some("INVALID_PASSWORD"));
    t.call("DELETE", "/api/users/me/mfa", Some(json!({"password": PASSWORD, "code": "zzzz-zzzz"})), Some(&u.access))
        .await
        .assert(400, Some("INVALID_CODE"));
    t.clock.advance(time::Duration::seconds(30));
    let r = t.call("DELETE", "/api/users/me/mfa", Some(json!({"password": PASSWORD, "code": code_at(&t, &secret)})), Some(&u.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["mfaEnabled"], false);
    t.login(&u.username, PASSWORD).await.assert(200, None);
    t.call("DELETE", "/api/users/me/mfa", Some(json!({"password": PASSWORD, "code": "123456"})), Some(&u.access))
        .await
        .assert(409, Some("CONFLICT"));
    let (subject, _) = t.last_mail(&u.email).await;
    assert_eq!(subject, "Two-factor authentication is off");
}

#[tokio::test]
async fn the_mfa_token_is_single_purpose_and_short_lived() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let (secret, _) = enable(&t, &u).await;
    let token = mfa_token(&t, &u).await;
    t.get("/api/users/me", Some(&token)).await.assert(401, Some("UNAUTHENTICATED"));
    second_step(&t, &u.access, "123456").await.assert(401, Some("UNAUTHENTICATED"));
    second_step(&t, "garbage", "123456").await.assert(401, Some("UNAUTHENTICATED"));
    t.clock.advance(time::Duration::seconds(301));
    second_step(&t, &token, &code_at(&t, &secret)).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/mfa", json!({"mfaToken": token}), None).await.assert(400, Some("VALIDATION_FAILED"));
}

#[tokio::test]
async fn wrong_second_factors_lock_the_login_like_wrong_passwords() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let (secret, _) = enable(&t, &u).await;
    let token = mfa_token(&t, &u).await;
    for _ in 0..5 {
        second_step(&t, &token, "aaaa-aaaa").await.assert(400, Some("INVALID_CODE"));
    }
    t.clock.advance(time::Duration::seconds(1));
    let r = second_step(&t, &token, &code_at(&t, &secret)).await;
    r.assert(429, Some("RATE_LIMITED"));
    assert!(r.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn mfa_routes_need_an_activated_session() {
    let t = TestApp::spawn().await;
    t.post("/api/users/me/mfa/totp", json!({"password": PASSWORD}), None).await.assert(401, Some("UNAUTHENTICATED"));
    let pending = t.unactivated_user().await;
    t.post("/api/users/me/mfa/totp", json!({"password": PASSWORD}), Some(&pending.access)).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
    let u = t.user().await;
    t.post("/api/auth/logout", json!({}), Some(&u.access)).await.assert(200, None);
    t.post("/api/users/me/mfa/totp", json!({"password": PASSWORD}), Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/users/me/mfa/totp/verify", json!({"code": "123456"}), None).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/users/me/mfa/backup-codes", json!({"password": PASSWORD, "code": "123456"}), None)
        .await
        .assert(401, Some("UNAUTHENTICATED"));
}
