//! DynamoDB calls per request, asserted: every endpoint of docs/table-design.md's "Access
//! patterns and calls per request" table makes exactly the operations listed in [`EXPECTED`],
//! in that order (counted once per operation by `accounts_core::sdk_calls::CallRecorder`,
//! however many attempts it took). A change in what a request costs is a one-line diff here and
//! must be made in the doc's table too. S3 and SES calls are not counted here.
//!
//! No row may contain `Scan`; `TestApp`'s drop check also fails any other test whose requests
//! scan.

use crate::helpers::{PASSWORD, Resp, TestApp, TestUser};
use serde_json::json;
use std::future::Future;

/// `(request, DynamoDB operations in order)`. A leading `UpdateItem` on the anonymous routes is
/// the per-address rate counter (`RATE#<action>#<ip>#<window>`); the `TransactWriteItems` next to
/// a mail is its slot: the per-recipient mail counter (`RATE#mail#<hash>#<window>`) and the
/// suppression list's `ConditionCheck`, taken before SES is called. `"Op*N"` stands for N times `"Op"` (parallel
/// queries). "auth" in the doc is the `BatchGetItem` of user + session.
const EXPECTED: &[(&str, &[&str])] = &[
    // auth
    ("GET /api/auth/captcha", &["UpdateItem", "PutItem"]),
    ("POST /api/auth/register", &["UpdateItem", "TransactWriteItems"]),
    ("POST /api/auth/register (captcha on)", &["UpdateItem", "DeleteItem", "TransactWriteItems"]),
    ("POST /api/auth/activate (code)", &["BatchGetItem", "UpdateItem", "TransactWriteItems", "PutItem"]),
    ("POST /api/auth/activate (wrong code)", &["BatchGetItem", "UpdateItem"]),
    ("GET /api/auth/activate?token=", &["GetItem", "TransactWriteItems", "PutItem"]),
    ("POST /api/auth/resend-activation", &["UpdateItem", "GetItem", "GetItem", "TransactWriteItems", "TransactWriteItems"]),
    (
        "POST /api/auth/resend-activation (already activated)",
        &["UpdateItem", "GetItem", "GetItem", "TransactWriteItems", "TransactWriteItems"],
    ),
    (
        "POST /api/auth/resend-activation (unknown address)",
        &["UpdateItem", "GetItem", "GetItem", "TransactWriteItems", "TransactWriteItems"],
    ),
    ("POST /api/auth/login", &["UpdateItem", "GetItem", "GetItem", "UpdateItem", "TransactWriteItems"]),
    ("POST /api/auth/login (unknown user)", &["UpdateItem", "GetItem", "GetItem", "UpdateItem", "PutItem"]),
    ("POST /api/auth/login (wrong password)", &["UpdateItem", "GetItem", "GetItem", "UpdateItem", "PutItem"]),
    ("POST /api/auth/login (MFA on)", &["UpdateItem", "GetItem", "GetItem", "UpdateItem", "UpdateItem", "UpdateItem"]),
    ("POST /api/auth/mfa (TOTP code)", &["UpdateItem", "GetItem", "UpdateItem", "UpdateItem", "PutItem", "TransactWriteItems"]),
    (
        "POST /api/auth/mfa (backup code)",
        &["UpdateItem", "GetItem", "UpdateItem", "UpdateItem", "PutItem", "PutItem", "TransactWriteItems"],
    ),
    ("POST /api/auth/refresh", &["GetItem", "GetItem", "TransactWriteItems"]),
    ("POST /api/auth/logout", &["BatchGetItem", "DeleteItem", "PutItem"]),
    ("POST /api/auth/logout-all", &["BatchGetItem", "Query", "BatchWriteItem", "PutItem"]),
    ("GET /api/auth/status", &["BatchGetItem"]),
    ("POST /api/auth/forgot-password", &["UpdateItem", "GetItem", "GetItem", "TransactWriteItems", "TransactWriteItems", "PutItem"]),
    (
        "POST /api/auth/forgot-password (unknown address)",
        &["UpdateItem", "GetItem", "GetItem", "TransactWriteItems", "TransactWriteItems", "PutItem"],
    ),
    ("POST /api/auth/reset-password", &["GetItem", "GetItem", "TransactWriteItems", "Query", "BatchWriteItem", "Query", "PutItem"]),
    ("POST /api/auth/confirm-email", &["GetItem", "TransactWriteItems"]),
    // users
    ("GET /api/users/me", &["BatchGetItem"]),
    // A profile change carries its `user.updated` outbox item: one two-item transaction.
    ("PATCH /api/users/me", &["BatchGetItem", "TransactWriteItems"]),
    ("GET /api/users/me/settings", &["BatchGetItem"]),
    ("PUT /api/users/me/settings", &["BatchGetItem", "UpdateItem"]),
    ("GET /api/users/{id}", &["GetItem"]),
    ("POST /api/users/me/avatar", &["BatchGetItem", "UpdateItem"]),
    ("GET /api/users/{id}/avatar", &["GetItem"]),
    ("GET /api/users/me/avatar", &["BatchGetItem"]),
    ("DELETE /api/users/me/avatar", &["BatchGetItem", "UpdateItem"]),
    (
        "PUT /api/users/me/password",
        &["BatchGetItem", "UpdateItem", "UpdateItem", "TransactWriteItems", "Query", "BatchWriteItem", "TransactWriteItems"],
    ),
    ("PUT /api/users/me/password (wrong current password)", &["BatchGetItem", "UpdateItem"]),
    (
        "POST /api/users/me/email",
        &["BatchGetItem", "UpdateItem", "UpdateItem", "TransactWriteItems", "TransactWriteItems", "TransactWriteItems"],
    ),
    ("GET /api/users/me/sessions", &["BatchGetItem", "Query"]),
    ("DELETE /api/users/me/sessions/{id}", &["BatchGetItem", "TransactWriteItems", "PutItem"]),
    ("POST /api/users/me/mfa/totp", &["BatchGetItem", "UpdateItem", "UpdateItem", "UpdateItem"]),
    ("POST /api/users/me/mfa/totp/verify", &["BatchGetItem", "UpdateItem", "GetItem", "TransactWriteItems", "TransactWriteItems"]),
    (
        "POST /api/users/me/mfa/backup-codes (backup code)",
        &["BatchGetItem", "UpdateItem", "GetItem", "UpdateItem", "PutItem", "UpdateItem", "UpdateItem", "PutItem"],
    ),
    (
        "DELETE /api/users/me/mfa (TOTP code)",
        &["BatchGetItem", "UpdateItem", "GetItem", "UpdateItem", "UpdateItem", "TransactWriteItems", "PutItem", "TransactWriteItems"],
    ),
    ("GET /api/users/me/usage", &["BatchGetItem", "Query"]),
    ("GET /api/users/me/stats", &["BatchGetItem", "Query"]),
    ("GET /api/users/me/activity", &["BatchGetItem", "Query"]),
    ("GET /api/users/me/export", &["BatchGetItem", "Query", "Query", "Query"]),
    (
        "DELETE /api/users/me",
        &["BatchGetItem", "UpdateItem", "UpdateItem", "TransactWriteItems", "Query", "BatchWriteItem", "TransactWriteItems"],
    ),
    ("POST /api/users/recover", &["UpdateItem", "GetItem", "GetItem", "TransactWriteItems", "TransactWriteItems"]),
    // api keys
    ("GET /api/api-keys", &["BatchGetItem", "Query"]),
    ("POST /api/api-keys", &["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]),
    ("DELETE /api/api-keys/{id}", &["BatchGetItem", "Query", "TransactWriteItems"]),
    ("GET /api/users/me (API key, first use)", &["GetItem", "GetItem", "UpdateItem", "UpdateItem"]),
    ("GET /api/users/me (API key, used a moment ago)", &["GetItem", "GetItem", "UpdateItem"]),
    // uploads
    ("POST /api/uploads", &["BatchGetItem", "TransactWriteItems"]),
    ("POST /api/uploads/{id}/complete", &["BatchGetItem", "GetItem", "TransactWriteItems"]),
    ("GET /api/uploads", &["BatchGetItem", "Query"]),
    ("GET /api/uploads/{id}", &["BatchGetItem", "GetItem", "TransactWriteItems"]),
    ("DELETE /api/uploads/{id}", &["BatchGetItem", "GetItem", "TransactWriteItems"]),
    ("POST /api/uploads/batch-delete", &["BatchGetItem", "BatchGetItem", "TransactWriteItems"]),
    // billing
    ("GET /api/plans", &[]),
    ("GET /api/subscription", &["BatchGetItem", "BatchGetItem"]),
    ("POST /api/subscription", &["BatchGetItem", "GetItem", "TransactWriteItems"]),
    ("PUT /api/subscription", &["BatchGetItem", "GetItem", "TransactWriteItems"]),
    // admin
    ("GET /api/admin/users", &["BatchGetItem", "Query*8", "BatchGetItem"]),
    ("GET /api/admin/users/{id}", &["BatchGetItem", "GetItem"]),
    ("GET /api/admin/users/{id}/activity", &["BatchGetItem", "GetItem", "Query"]),
    ("POST /api/admin/users", &["BatchGetItem", "TransactWriteItems"]),
    ("PATCH /api/admin/users/{id}", &["BatchGetItem", "GetItem", "TransactWriteItems"]),
    ("POST /api/admin/users/{id}/ban", &["BatchGetItem", "GetItem", "TransactWriteItems", "Query", "BatchWriteItem"]),
    ("POST /api/admin/users/{id}/unban", &["BatchGetItem", "GetItem", "TransactWriteItems"]),
    ("DELETE /api/admin/users/{id}", &["BatchGetItem", "GetItem", "TransactWriteItems", "Query", "BatchWriteItem"]),
    ("POST /api/admin/users/{id}/restore", &["BatchGetItem", "GetItem", "TransactWriteItems"]),
    ("GET /api/admin/audit", &["BatchGetItem", "Query"]),
    // Auth, the markers of up to 50 lines, one transaction per new account, the run's audit entry.
    (
        "POST /api/admin/users/import (2 new lines)",
        &["BatchGetItem", "BatchGetItem", "TransactWriteItems", "TransactWriteItems", "TransactWriteItems"],
    ),
    ("POST /api/admin/users/import (the same 2 lines again)", &["BatchGetItem", "BatchGetItem", "TransactWriteItems"]),
    // the admin console (the web function): "auth" is the page session's BatchGetItem; calls
    // made in parallel are compared in any order (see `console_costs`)
    ("GET /admin", &["BatchGetItem", "Query*8", "BatchGetItem", "GetItem"]),
    ("GET /admin/users/{id}", &["BatchGetItem", "GetItem", "Query", "Query", "Query"]),
    ("GET /admin/audit", &["BatchGetItem", "Query"]),
    ("POST /admin/users/{id}/ban (asks first)", &["BatchGetItem", "GetItem"]),
    ("POST /admin/users/{id}/ban (confirmed)", &["BatchGetItem", "GetItem", "TransactWriteItems", "Query", "BatchWriteItem"]),
    ("POST /admin/users/{id}/delete (asks first)", &["BatchGetItem", "GetItem"]),
];

/// The operations of `row` in [`EXPECTED`], with `"Op*N"` expanded.
fn expected(row: &str) -> Vec<String> {
    let (_, ops) = EXPECTED.iter().find(|(r, _)| *r == row).unwrap_or_else(|| panic!("no row {row:?} in EXPECTED"));
    ops.iter()
        .flat_map(|op| match op.split_once('*') {
            Some((name, n)) => vec![name.to_owned(); n.parse().unwrap()],
            None => vec![(*op).to_owned()],
        })
        .collect()
}

/// Runs `request` alone and asserts its status and its DynamoDB operations (row `row`).
async fn costs(t: &TestApp, row: &str, status: u16, request: impl Future<Output = Resp>) -> Resp {
    t.calls.take();
    let r = request.await;
    assert_eq!(r.status, status, "{row}: unexpected status; body: {}", r.body);
    let seen = t.calls.take_operations("DynamoDB");
    assert_eq!(seen, expected(row), "{row}: DynamoDB calls differ from EXPECTED (and docs/table-design.md)");
    r
}

fn token(r: &Resp, field: &str) -> String {
    r.data()[field].as_str().unwrap().to_owned()
}

fn code_at(t: &TestApp, secret: &str) -> String {
    let totp = totp_rs::Builder::new().with_secret(totp_rs::Secret::try_from_base32(secret).unwrap()).build_noncompliant();
    totp.generate(t.app.now() as u64).to_string()
}

#[tokio::test]
async fn auth_requests_make_exactly_the_dynamodb_calls_of_the_table() {
    let t = TestApp::spawn().await;
    costs(&t, "GET /api/auth/captcha", 200, t.get("/api/auth/captcha", None)).await;

    let (username, email) = t.new_identity();
    let r = costs(&t, "POST /api/auth/register", 201, t.register(&username, &email, PASSWORD)).await;
    let id = r.data()["id"].as_str().unwrap().to_owned();
    costs(&t, "POST /api/auth/login (unknown user)", 401, t.login("nobody_here", PASSWORD)).await;
    costs(&t, "POST /api/auth/login (wrong password)", 401, t.login(&username, "Wrong-Pass-123")).await;
    let l = costs(&t, "POST /api/auth/login", 200, t.login(&username, PASSWORD)).await;
    let u = TestUser { id, username, email, access: token(&l, "accessToken"), refresh: token(&l, "refreshToken") };
    costs(&t, "GET /api/auth/status", 200, t.get("/api/auth/status", Some(&u.access))).await;
    costs(&t, "POST /api/auth/activate (wrong code)", 400, t.post("/api/auth/activate", json!({"code": "000000"}), Some(&u.access))).await;
    costs(
        &t,
        "POST /api/auth/resend-activation (unknown address)",
        202,
        t.post("/api/auth/resend-activation", json!({"email": "nobody@example.com"}), None),
    )
    .await;
    t.clock.advance(time::Duration::seconds(61));
    costs(&t, "POST /api/auth/resend-activation", 202, t.post("/api/auth/resend-activation", json!({"email": u.email}), None)).await;
    let code = t.activation_code(&u.email).await;
    costs(&t, "POST /api/auth/activate (code)", 200, t.post("/api/auth/activate", json!({"code": code}), Some(&u.access))).await;
    t.clock.advance(time::Duration::seconds(61));
    costs(
        &t,
        "POST /api/auth/resend-activation (already activated)",
        202,
        t.post("/api/auth/resend-activation", json!({"email": u.email}), None),
    )
    .await;

    // Activation by link, on a second account.
    let (name2, email2) = t.new_identity();
    t.register(&name2, &email2, PASSWORD).await.assert(201, None);
    let link = t.mailed_token(&email2).await;
    costs(&t, "GET /api/auth/activate?token=", 200, t.get(&format!("/api/auth/activate?token={link}"), None)).await;

    let r = costs(&t, "POST /api/auth/refresh", 200, t.post("/api/auth/refresh", json!({"refreshToken": u.refresh}), None)).await;
    let access = token(&r, "accessToken");
    costs(&t, "POST /api/auth/logout", 200, t.post("/api/auth/logout", json!({}), Some(&access))).await;
    let access = token(&t.login(&u.username, PASSWORD).await, "accessToken");
    costs(&t, "POST /api/auth/logout-all", 200, t.post("/api/auth/logout-all", json!({}), Some(&access))).await;

    costs(
        &t,
        "POST /api/auth/forgot-password (unknown address)",
        202,
        t.post("/api/auth/forgot-password", json!({"email": "nobody@example.com"}), None),
    )
    .await;
    costs(&t, "POST /api/auth/forgot-password", 202, t.post("/api/auth/forgot-password", json!({"email": u.email}), None)).await;
    let reset = t.mailed_token(&u.email).await;
    t.login(&u.username, PASSWORD).await.assert(200, None);
    costs(
        &t,
        "POST /api/auth/reset-password",
        200,
        t.post("/api/auth/reset-password", json!({"token": reset, "newPassword": "N3w-Secret-Pass"}), None),
    )
    .await;
}

#[tokio::test]
async fn a_register_with_captcha_consumes_the_captcha_then_writes_one_transaction() {
    let t = TestApp::spawn_with(|c| c.require_captcha = true).await;
    // The answer is only in the image: plant a captcha whose answer the test knows.
    let hash = t.app.code_pepper().unwrap().hash("captcha", "cap_known", "k7m2x");
    t.app.store.put_captcha("cap_known", &hash, t.app.now() + 300).await.unwrap();
    let (username, email) = t.new_identity();
    let body = json!({"username": username, "email": email, "password": PASSWORD, "captchaId": "cap_known", "captcha": "k7m2x"});
    costs(&t, "POST /api/auth/register (captcha on)", 201, t.post("/api/auth/register", body, None)).await;
}

#[tokio::test]
async fn user_requests_make_exactly_the_dynamodb_calls_of_the_table() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    costs(&t, "GET /api/users/me", 200, t.get("/api/users/me", Some(&u.access))).await;
    costs(&t, "PATCH /api/users/me", 200, t.call("PATCH", "/api/users/me", Some(json!({"name": "Ada"})), Some(&u.access))).await;
    costs(&t, "GET /api/users/me/settings", 200, t.get("/api/users/me/settings", Some(&u.access))).await;
    costs(
        &t,
        "PUT /api/users/me/settings",
        200,
        t.call("PUT", "/api/users/me/settings", Some(json!({"privacy": {"publicProfile": true}})), Some(&u.access)),
    )
    .await;
    costs(&t, "GET /api/users/{id}", 200, t.get(&format!("/api/users/{}", u.id), None)).await;
    costs(&t, "POST /api/users/me/avatar", 200, crate::fault_tolerance::upload_avatar(&t, &u, &crate::fault_tolerance::png([9, 9, 9])))
        .await;
    t.calls.take();
    crate::fault_tolerance::public_avatar(&t, &u.id).await;
    assert_eq!(t.calls.take_operations("DynamoDB"), expected("GET /api/users/{id}/avatar"), "GET /api/users/{{id}}/avatar");
    t.calls.take();
    let me_avatar = crate::fault_tolerance::raw(&t, "/api/users/me/avatar", Some(&u.access)).await;
    assert_eq!(me_avatar, 200);
    assert_eq!(t.calls.take_operations("DynamoDB"), expected("GET /api/users/me/avatar"), "GET /api/users/me/avatar");
    costs(&t, "DELETE /api/users/me/avatar", 204, t.call("DELETE", "/api/users/me/avatar", None, Some(&u.access))).await;

    costs(&t, "GET /api/users/me/usage", 200, t.get("/api/users/me/usage?period=30d", Some(&u.access))).await;
    costs(&t, "GET /api/users/me/stats", 200, t.get("/api/users/me/stats", Some(&u.access))).await;
    costs(&t, "GET /api/users/me/activity", 200, t.get("/api/users/me/activity", Some(&u.access))).await;
    costs(&t, "GET /api/users/me/export", 200, t.get("/api/users/me/export", Some(&u.access))).await;

    let other_access = token(&t.login(&u.username, PASSWORD).await, "accessToken");
    let listed = costs(&t, "GET /api/users/me/sessions", 200, t.get("/api/users/me/sessions", Some(&u.access))).await;
    let other_id = listed.data().as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();
    costs(
        &t,
        "DELETE /api/users/me/sessions/{id}",
        204,
        t.call("DELETE", &format!("/api/users/me/sessions/{other_id}"), None, Some(&u.access)),
    )
    .await;
    t.get("/api/users/me", Some(&other_access)).await.assert(401, Some("UNAUTHENTICATED"));

    let change = |current: &str, new: &str| json!({"currentPassword": current, "newPassword": new, "confirmPassword": new});
    costs(
        &t,
        "PUT /api/users/me/password (wrong current password)",
        400,
        t.call("PUT", "/api/users/me/password", Some(change("Wrong-Pass-123", "N3w-Secret-Pass")), Some(&u.access)),
    )
    .await;
    t.login(&u.username, PASSWORD).await.assert(200, None);
    costs(
        &t,
        "PUT /api/users/me/password",
        200,
        t.call("PUT", "/api/users/me/password", Some(change(PASSWORD, "N3w-Secret-Pass")), Some(&u.access)),
    )
    .await;

    let new_email = format!("new-{}", u.email);
    costs(
        &t,
        "POST /api/users/me/email",
        202,
        t.post("/api/users/me/email", json!({"newEmail": new_email, "password": "N3w-Secret-Pass"}), Some(&u.access)),
    )
    .await;
    let link = t.mailed_token(&new_email).await;
    costs(&t, "POST /api/auth/confirm-email", 200, t.post("/api/auth/confirm-email", json!({"token": link}), None)).await;

    let r = costs(
        &t,
        "POST /api/users/me/mfa/totp",
        200,
        t.post("/api/users/me/mfa/totp", json!({"password": "N3w-Secret-Pass"}), Some(&u.access)),
    )
    .await;
    let secret = token(&r, "secret");
    let v = costs(
        &t,
        "POST /api/users/me/mfa/totp/verify",
        200,
        t.post("/api/users/me/mfa/totp/verify", json!({"code": code_at(&t, &secret)}), Some(&u.access)),
    )
    .await;
    let backup: Vec<String> = v.data()["backupCodes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    let l = costs(&t, "POST /api/auth/login (MFA on)", 401, t.login(&u.username, "N3w-Secret-Pass")).await;
    let mfa_token = l.body["details"]["mfaToken"].as_str().unwrap().to_owned();
    costs(&t, "POST /api/auth/mfa (backup code)", 200, t.post("/api/auth/mfa", json!({"mfaToken": mfa_token, "code": backup[0]}), None))
        .await;
    // A TOTP code of a later time step (the enrolment used the current one).
    t.clock.advance(time::Duration::seconds(31));
    let l = t.login(&u.username, "N3w-Secret-Pass").await;
    let mfa_token = l.body["details"]["mfaToken"].as_str().unwrap().to_owned();
    costs(
        &t,
        "POST /api/auth/mfa (TOTP code)",
        200,
        t.post("/api/auth/mfa", json!({"mfaToken": mfa_token, "code": code_at(&t, &secret)}), None),
    )
    .await;
    costs(
        &t,
        "POST /api/users/me/mfa/backup-codes (backup code)",
        200,
        t.post("/api/users/me/mfa/backup-codes", json!({"password": "N3w-Secret-Pass", "code": backup[1]}), Some(&u.access)),
    )
    .await;
    t.clock.advance(time::Duration::seconds(31));
    costs(
        &t,
        "DELETE /api/users/me/mfa (TOTP code)",
        200,
        t.call("DELETE", "/api/users/me/mfa", Some(json!({"password": "N3w-Secret-Pass", "code": code_at(&t, &secret)})), Some(&u.access)),
    )
    .await;

    let deletion = json!({"password": "N3w-Secret-Pass", "confirmation": "DELETE_MY_ACCOUNT"});
    let d = costs(&t, "DELETE /api/users/me", 200, t.call("DELETE", "/api/users/me", Some(deletion), Some(&u.access))).await;
    let recovery = token(&d, "recoveryCode");
    costs(&t, "POST /api/users/recover", 200, t.post("/api/users/recover", json!({"email": new_email, "recoveryCode": recovery}), None))
        .await;
}

#[tokio::test]
async fn key_upload_and_billing_requests_make_exactly_the_dynamodb_calls_of_the_table() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let k =
        costs(&t, "POST /api/api-keys", 201, t.post("/api/api-keys", json!({"name": "ci", "scopes": ["read", "write"]}), Some(&u.access)))
            .await;
    let (key_id, secret) = (token(&k, "id"), token(&k, "keySecret"));
    costs(&t, "GET /api/api-keys", 200, t.get("/api/api-keys", Some(&u.access))).await;
    costs(&t, "GET /api/users/me (API key, first use)", 200, t.call_with_key("GET", "/api/users/me", None, &secret)).await;
    costs(&t, "GET /api/users/me (API key, used a moment ago)", 200, t.call_with_key("GET", "/api/users/me", None, &secret)).await;
    costs(&t, "DELETE /api/api-keys/{id}", 204, t.call("DELETE", &format!("/api/api-keys/{key_id}"), None, Some(&u.access))).await;

    let bytes = b"hello, uploads".to_vec();
    let created =
        costs(&t, "POST /api/uploads", 201, crate::uploads::start(&t, &u.access, "a.txt", "text/plain", bytes.len() as i64)).await;
    assert_eq!(crate::uploads::put_bytes(created.data(), bytes).await, 200);
    let id = token(&created, "id");
    costs(&t, "POST /api/uploads/{id}/complete", 200, t.post(&format!("/api/uploads/{id}/complete"), json!({}), Some(&u.access))).await;
    costs(&t, "GET /api/uploads", 200, t.get("/api/uploads", Some(&u.access))).await;
    costs(&t, "GET /api/uploads/{id}", 200, t.get(&format!("/api/uploads/{id}"), Some(&u.access))).await;
    costs(&t, "DELETE /api/uploads/{id}", 204, t.call("DELETE", &format!("/api/uploads/{id}"), None, Some(&u.access))).await;
    let second = crate::uploads::upload_file(&t, &u.access, "b.txt", "text/plain", b"second".to_vec()).await;
    costs(&t, "POST /api/uploads/batch-delete", 200, t.post("/api/uploads/batch-delete", json!({"ids": [second]}), Some(&u.access))).await;

    costs(&t, "GET /api/plans", 200, t.get("/api/plans", None)).await;
    costs(&t, "GET /api/subscription", 200, t.get("/api/subscription", Some(&u.access))).await;
    costs(
        &t,
        "POST /api/subscription",
        201,
        t.call("POST", "/api/subscription", Some(json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa"})), Some(&u.access)),
    )
    .await;
    costs(&t, "PUT /api/subscription", 200, t.call("PUT", "/api/subscription", Some(json!({"action": "cancel"})), Some(&u.access))).await;
}

#[tokio::test]
async fn admin_requests_make_exactly_the_dynamodb_calls_of_the_table() {
    use accounts_core::services::admin::{self as svc, Actor, NewAccount};
    let t = TestApp::spawn().await;
    let input = NewAccount {
        username: "calls_admin".into(),
        email: "calls-admin@admins.example.com".into(),
        password: PASSWORD.into(),
        role: "admin".into(),
        email_verified: true,
    };
    svc::create_account(&t.app.store, &t.app.hasher, t.app.clock.as_ref(), None, Default::default(), &Actor::cli(), input).await.unwrap();
    let admin = token(&t.login("calls_admin", PASSWORD).await, "accessToken");
    let (username, email) = t.new_identity();
    let created = costs(
        &t,
        "POST /api/admin/users",
        201,
        t.post(
            "/api/admin/users",
            json!({"username": username, "email": email, "password": PASSWORD, "role": "user", "emailVerified": true}),
            Some(&admin),
        ),
    )
    .await;
    let id = token(&created, "id");
    t.login(&username, PASSWORD).await.assert(200, None);
    let path = |rest: &str| format!("/api/admin/users/{id}{rest}");
    costs(&t, "GET /api/admin/users", 200, t.get("/api/admin/users?limit=10", Some(&admin))).await;
    costs(&t, "GET /api/admin/users/{id}", 200, t.get(&path(""), Some(&admin))).await;
    costs(&t, "GET /api/admin/users/{id}/activity", 200, t.get(&path("/activity"), Some(&admin))).await;
    costs(&t, "PATCH /api/admin/users/{id}", 200, t.call("PATCH", &path(""), Some(json!({"rating": 5})), Some(&admin))).await;
    costs(&t, "POST /api/admin/users/{id}/ban", 200, t.post(&path("/ban"), json!({"banReason": "spam"}), Some(&admin))).await;
    costs(&t, "POST /api/admin/users/{id}/unban", 204, t.post(&path("/unban"), json!({}), Some(&admin))).await;
    t.login(&username, PASSWORD).await.assert(200, None);
    costs(&t, "DELETE /api/admin/users/{id}", 200, t.call("DELETE", &path(""), None, Some(&admin))).await;
    costs(&t, "POST /api/admin/users/{id}/restore", 200, t.post(&path("/restore"), json!({}), Some(&admin))).await;
    costs(&t, "GET /api/admin/audit", 200, t.get("/api/admin/audit", Some(&admin))).await;
    let lines = [
        json!({"email": "calls-import-1@example.com"}),
        json!({"email": "calls-import-2@example.com", "passwordHash": "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}),
    ]
    .map(|l| l.to_string())
    .join("\n");
    let import = || {
        let request = http::Request::builder()
            .method("POST")
            .uri("/api/admin/users/import")
            .header("content-type", "application/x-ndjson")
            .header("authorization", format!("Bearer {admin}"))
            .body(axum::body::Body::from(lines.clone()))
            .unwrap();
        t.send(request)
    };
    costs(&t, "POST /api/admin/users/import (2 new lines)", 200, import()).await;
    costs(&t, "POST /api/admin/users/import (the same 2 lines again)", 200, import()).await;
}

/// Runs a console page request alone and asserts its DynamoDB operations (row `row`), in any
/// order: a page makes some of its calls in parallel.
async fn console_costs(t: &TestApp, row: &str, status: u16, request: impl Future<Output = crate::pages::PageResp>) {
    t.calls.take();
    let r = request.await;
    assert_eq!(r.status, status, "{row}: unexpected status; body: {}", r.text());
    let mut seen = t.calls.take_operations("DynamoDB");
    let mut want = expected(row);
    seen.sort();
    want.sort();
    assert_eq!(seen, want, "{row}: DynamoDB calls differ from EXPECTED (and docs/table-design.md)");
}

#[tokio::test]
async fn console_pages_make_exactly_the_dynamodb_calls_of_the_table() {
    let t = TestApp::spawn().await;
    t.account_as_cli("calls_admin", "admin").await;
    let id = t.account_as_cli("calls_user", "user").await;
    // The target has a session for the ban to end.
    t.login("calls_user", PASSWORD).await.assert(200, None);
    let mut b = crate::pages::PageClient::new(&t);
    assert_eq!(b.sign_in("calls_admin", PASSWORD).await.status, 303);
    let page = format!("/admin/users/{id}");
    let opened = b.get(&page).await;
    let csrf = b.csrf(&opened);
    console_costs(&t, "GET /admin", 200, b.get("/admin?limit=10")).await;
    console_costs(&t, "GET /admin/users/{id}", 200, b.get(&page)).await;
    console_costs(&t, "GET /admin/audit", 200, b.get("/admin/audit")).await;
    let ban = [("csrf", csrf.as_str()), ("ban_reason", "spam"), ("ban_length", "permanent")];
    console_costs(&t, "POST /admin/users/{id}/ban (asks first)", 200, b.post(&format!("{page}/ban"), &ban)).await;
    let mut confirmed = ban.to_vec();
    confirmed.push(("confirm", "yes"));
    console_costs(&t, "POST /admin/users/{id}/ban (confirmed)", 303, b.post(&format!("{page}/ban"), &confirmed)).await;
    console_costs(&t, "POST /admin/users/{id}/delete (asks first)", 200, b.post(&format!("{page}/delete"), &[("csrf", csrf.as_str())]))
        .await;
}

/// Issue 8's targets, read from the table: a regression there fails here too.
#[test]
fn the_table_meets_the_call_targets() {
    assert_eq!(expected("GET /api/users/me"), ["BatchGetItem"], "GET /api/users/me: 1 call");
    // Login: the address's failure slot, the name and the user, the account's reserved check
    // (both conditional writes before argon2, SPEC §6), then the session transaction.
    let login = expected("POST /api/auth/login");
    let reads = login.iter().filter(|op| op.starts_with("Get") || op.starts_with("BatchGet")).count();
    assert!(reads <= 2 && login.len() <= 5 && login.last().map(String::as_str) == Some("TransactWriteItems"), "login: {login:?}");
    // Register: one transaction, after the per-address counter (which must count failed
    // attempts too, so it cannot ride in the transaction: docs/decisions.md, "Abuse protection").
    assert_eq!(
        expected("POST /api/auth/register"),
        ["UpdateItem", "TransactWriteItems"],
        "register: the address counter + one transaction"
    );
    for (row, ops) in EXPECTED {
        assert!(!ops.iter().any(|op| op.starts_with("Scan")), "{row} scans");
    }
}

/// Same answer, same work (SPEC §6, issue 22 finding 6): for a known and an unknown account,
/// login, forgot-password and resend-activation make the same DynamoDB calls before answering
/// (the unknown side on a decoy key; docs/decisions.md, "Throttles before the hash").
#[test]
fn known_and_unknown_accounts_cost_the_same_calls() {
    for (known, unknown) in [
        ("POST /api/auth/login (wrong password)", "POST /api/auth/login (unknown user)"),
        ("POST /api/auth/forgot-password", "POST /api/auth/forgot-password (unknown address)"),
        ("POST /api/auth/resend-activation", "POST /api/auth/resend-activation (unknown address)"),
        ("POST /api/auth/resend-activation", "POST /api/auth/resend-activation (already activated)"),
    ] {
        assert_eq!(expected(known), expected(unknown), "{known} and {unknown} make different calls");
    }
}

#[test]
fn every_row_of_the_table_is_unique() {
    let mut rows: Vec<&str> = EXPECTED.iter().map(|(r, _)| *r).collect();
    rows.sort_unstable();
    let before = rows.len();
    rows.dedup();
    assert_eq!(rows.len(), before);
}

#[tokio::test]
#[should_panic(expected = "no request path may scan")]
async fn a_test_whose_app_scans_the_table_fails_when_its_test_app_is_dropped() {
    let t = TestApp::spawn().await;
    // A client observed by the same recorder as the app's, standing in for a request that scans.
    let sdk = crate::helpers::sdk_config().await;
    let observed =
        aws_sdk_dynamodb::Client::from_conf(aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(t.calls.interceptor()).build());
    observed.scan().table_name(&t.table).send().await.unwrap();
    drop(t);
}
