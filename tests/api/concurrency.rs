//! Limits hold under concurrency (SPEC §6, issue 22 findings 3–5): every attempt limit and
//! lockout is taken by a conditional write *before* the expensive or revealing step, so N
//! parallel requests get no more than the limit. Each test sends its requests at once (one
//! `join_all` in process: `cargo lambda watch` would run them one by one) and counts the answers
//! that reached the check: a guess refused by the limit answers `429 RATE_LIMITED` (or, for
//! activation codes, never activates), one that was checked answers `INVALID_*`.

use crate::helpers::{PASSWORD, Resp, TestApp, TestUser};
use accounts_core::domain::RateLimit;
use futures::future::join_all;
use serde_json::json;

const PARALLEL: usize = 20;

/// `(checked, refused)`: how many answers carry `checked` and how many `429 RATE_LIMITED`;
/// any other answer fails the test.
fn tally(answers: &[Resp], checked: &str) -> (usize, usize) {
    let mut counts = (0, 0);
    for r in answers {
        match r.code() {
            c if c == checked => counts.0 += 1,
            "RATE_LIMITED" => counts.1 += 1,
            other => panic!("unexpected answer {other} ({}): {}", r.status, r.body),
        }
    }
    counts
}

/// One address per parallel request, so only the account's lockout stands in the way.
fn addresses() -> Vec<String> {
    (0..PARALLEL).map(|i| format!("198.51.100.{}", i + 1)).collect()
}

fn failed_logins(item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>) -> i64 {
    item.get("failedLogins").and_then(|v| v.as_n().ok()).map_or(0, |n| n.parse().unwrap())
}

async fn user_item(t: &TestApp, u: &TestUser) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue::S;
    let out = t
        .dynamo
        .get_item()
        .table_name(&t.table)
        .key("pk", S(format!("USER#{}", u.id)))
        .key("sk", S("PROFILE".into()))
        .consistent_read(true)
        .send()
        .await;
    out.unwrap().item.unwrap()
}

#[tokio::test]
async fn parallel_wrong_passwords_for_one_account_reach_the_password_check_at_most_the_lockout_threshold() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let threshold = t.app.config.lockout.threshold as usize;
    // From as many addresses as requests: only the account's lockout stands in the way.
    let ips = addresses();
    let answers = join_all(ips.iter().enumerate().map(|(i, ip)| {
        let body = json!({"username": u.username, "password": format!("Wrong-Pass-{i:03}")});
        t.call_from(Some(ip), "POST", "/api/auth/login", Some(body), None)
    }))
    .await;
    let (checked, refused) = tally(&answers, "INVALID_CREDENTIALS");
    assert!(checked <= threshold, "{checked} parallel guesses reached argon2; the lockout allows {threshold}");
    assert_eq!(checked + refused, PARALLEL);
    assert_eq!(failed_logins(&user_item(&t, &u).await), checked as i64, "every checked guess is counted, no refused one is");
    t.login(&u.username, PASSWORD).await.assert(429, Some("RATE_LIMITED"));
}

#[tokio::test]
async fn parallel_failed_logins_from_one_address_reach_the_password_check_at_most_the_address_limit() {
    let t = TestApp::spawn_with(|c| c.limits.login_failures = RateLimit::new(3, 900)).await;
    let answers = join_all((0..PARALLEL).map(|i| {
        let body = json!({"username": format!("ghost_{i}_{}", ulid::Ulid::new().to_string().to_lowercase()), "password": "Wrong-Pass-123"});
        t.call_from(Some("203.0.113.77"), "POST", "/api/auth/login", Some(body), None)
    }))
    .await;
    let (checked, refused) = tally(&answers, "INVALID_CREDENTIALS");
    assert!(checked <= 3, "{checked} parallel failures from one address reached argon2; the limit is 3");
    assert_eq!(refused, PARALLEL - checked);
}

#[tokio::test]
async fn a_correct_password_gives_its_address_slot_and_account_reservation_back() {
    let t = TestApp::spawn_with(|c| c.limits.login_failures = RateLimit::new(2, 900)).await;
    let u = t.user().await;
    let login = |password: &str| {
        t.call_from(Some("203.0.113.78"), "POST", "/api/auth/login", Some(json!({"username": u.username, "password": password})), None)
    };
    for _ in 0..6 {
        login(PASSWORD).await.assert(200, None);
    }
    assert_eq!(failed_logins(&user_item(&t, &u).await), 0);
    login("Wrong-Pass-123").await.assert(401, Some("INVALID_CREDENTIALS"));
    login(PASSWORD).await.assert(200, None);
    login("Wrong-Pass-123").await.assert(401, Some("INVALID_CREDENTIALS"));
    login("Wrong-Pass-123").await.assert(429, Some("RATE_LIMITED"));
}

/// A user with TOTP on, and a fresh `mfaToken` of the login's first step.
async fn mfa_user(t: &TestApp) -> (TestUser, String) {
    let u = t.user().await;
    let secret = t.post("/api/users/me/mfa/totp", json!({"password": PASSWORD}), Some(&u.access)).await.data()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let totp = totp_rs::Builder::new().with_secret(totp_rs::Secret::try_from_base32(&secret).unwrap()).build_noncompliant();
    let code = totp.generate(t.app.now() as u64).to_string();
    t.post("/api/users/me/mfa/totp/verify", json!({"code": code}), Some(&u.access)).await.assert(200, None);
    let l = t.login(&u.username, PASSWORD).await;
    l.assert(401, Some("MFA_REQUIRED"));
    let token = l.body["details"]["mfaToken"].as_str().unwrap().to_owned();
    (u, token)
}

#[tokio::test]
async fn parallel_wrong_second_factors_reach_the_code_check_at_most_the_lockout_threshold() {
    let t = TestApp::spawn().await;
    let (u, mfa_token) = mfa_user(&t).await;
    assert_eq!(failed_logins(&user_item(&t, &u).await), 0, "a correct password gives its reservation back before the second step");
    let threshold = t.app.config.lockout.threshold as usize;
    let ips = addresses();
    let body = json!({"mfaToken": mfa_token, "code": "zzzz-zzzz"});
    let answers = join_all(ips.iter().map(|ip| t.call_from(Some(ip), "POST", "/api/auth/mfa", Some(body.clone()), None))).await;
    let (checked, _) = tally(&answers, "INVALID_CODE");
    assert!(checked <= threshold, "{checked} parallel codes were checked; the lockout allows {threshold}");
}

// ---- activation codes (finding 4) -----------------------------------------------------------

#[tokio::test]
async fn a_code_compared_after_the_attempts_ran_out_does_not_activate() {
    // A request whose authentication read came before the other guesses' writes: what every
    // request of a parallel burst sees. The attempt must be counted, conditionally, before the
    // code is compared, and the completing write must check the count.
    let t = TestApp::spawn().await;
    let u = t.unactivated_user().await;
    let code = t.activation_code(&u.email).await;
    let stale = accounts_core::services::authn::authenticate(&t.app, &u.access).await.unwrap();
    for _ in 0..5 {
        t.post("/api/auth/activate", json!({"code": "000000"}), Some(&u.access)).await.assert(400, Some("INVALID_CODE"));
    }
    let client = accounts_core::domain::ClientInfo { ip: "203.0.113.5".into(), user_agent: "test".into() };
    let late = accounts_core::services::sign_up::activate_with_code(&t.app, &stale, &code, &client).await;
    assert!(late.is_err(), "the sixth code activated the account");
    let status = t.get("/api/auth/status", Some(&u.access)).await;
    assert_eq!(status.data()["isConfirmed"], false);
}

#[tokio::test]
async fn parallel_activation_guesses_get_at_most_five_comparisons_between_them() {
    let t = TestApp::spawn().await;
    let u = t.unactivated_user().await;
    let code = t.activation_code(&u.email).await;
    // Nineteen wrong codes and the right one, all at once: the right one may only win if it was
    // among the first five counted.
    let mut bodies: Vec<_> =
        (0..PARALLEL - 1).map(|i| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i as u32) % 1_000_000)).collect();
    bodies.push(code.clone());
    let answers = join_all(bodies.iter().map(|c| t.post("/api/auth/activate", json!({"code": c}), Some(&u.access)))).await;
    let activated = answers.iter().filter(|r| r.status == 200).count();
    assert!(activated <= 1);
    let item = user_item(&t, &u).await;
    if activated == 0 {
        let attempts: i64 = item.get("actAttempts").and_then(|v| v.as_n().ok()).unwrap().parse().unwrap();
        assert_eq!(attempts, 5, "every counted attempt is one of the five");
        t.post("/api/auth/activate", json!({"code": code}), Some(&u.access)).await.assert(400, Some("INVALID_CODE"));
    }
}

// ---- the password of a signed-in user (finding 5) -------------------------------------------

/// The endpoints that confirm an action with the current password, with a body carrying `password`.
fn password_confirmed(password: &str) -> Vec<(&'static str, &'static str, serde_json::Value)> {
    vec![
        ("POST", "/api/users/me/mfa/totp", json!({"password": password})),
        ("POST", "/api/users/me/mfa/backup-codes", json!({"password": password, "code": "123456"})),
        ("DELETE", "/api/users/me/mfa", json!({"password": password, "code": "123456"})),
        ("DELETE", "/api/users/me", json!({"password": password, "confirmation": "DELETE_MY_ACCOUNT"})),
        (
            "PUT",
            "/api/users/me/password",
            json!({"currentPassword": password, "newPassword": "N3w-Secret-Pass", "confirmPassword": "N3w-Secret-Pass"}),
        ),
    ]
}

#[tokio::test]
async fn wrong_passwords_through_a_session_count_and_lock_like_logins_on_every_endpoint_that_asks() {
    let t = TestApp::spawn().await;
    let threshold = t.app.config.lockout.threshold;
    for (method, path, _) in password_confirmed("x") {
        let u = t.user().await;
        let wrong = password_confirmed("Wrong-Pass-123").into_iter().find(|(_, p, _)| *p == path).unwrap().2;
        for i in 0..threshold {
            let r = t.call(method, path, Some(wrong.clone()), Some(&u.access)).await;
            r.assert(400, Some("INVALID_PASSWORD"));
            let _ = i;
        }
        let locked = t.call(method, path, Some(wrong.clone()), Some(&u.access)).await;
        assert_eq!(locked.code(), "RATE_LIMITED", "{method} {path}: the guess after {threshold} failures was checked: {}", locked.body);
        // The same lockout as login's: the account's owner waits too, wherever they sign in.
        t.login(&u.username, PASSWORD).await.assert(429, Some("RATE_LIMITED"));
    }
}

#[tokio::test]
async fn parallel_wrong_passwords_through_a_session_reach_the_check_at_most_the_lockout_threshold() {
    let t = TestApp::spawn().await;
    let threshold = t.app.config.lockout.threshold as usize;
    for (method, path, _) in password_confirmed("x") {
        let u = t.user().await;
        let wrong = password_confirmed("Wrong-Pass-123").into_iter().find(|(_, p, _)| *p == path).unwrap().2;
        let answers = join_all((0..PARALLEL).map(|_| t.call(method, path, Some(wrong.clone()), Some(&u.access)))).await;
        let (checked, _) = tally(&answers, "INVALID_PASSWORD");
        assert!(checked <= threshold, "{method} {path}: {checked} parallel guesses were checked; the lockout allows {threshold}");
    }
}

#[tokio::test]
async fn a_right_password_through_a_session_is_not_counted_as_a_failure() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    for _ in 0..8 {
        t.post("/api/users/me/mfa/totp", json!({"password": PASSWORD}), Some(&u.access)).await.assert(200, None);
    }
    assert_eq!(failed_logins(&user_item(&t, &u).await), 0);
}

// ---- same answer, same work (finding 6) -----------------------------------------------------

#[tokio::test]
async fn known_and_unknown_addresses_make_the_same_mail_call_before_the_answer() {
    let t = TestApp::spawn().await;
    let known = t.unactivated_user().await;
    let ghost = format!("ghost-{}@example.com", ulid::Ulid::new().to_string().to_lowercase());
    for path in ["/api/auth/forgot-password", "/api/auth/resend-activation"] {
        let mut seen = Vec::new();
        for email in [&known.email, &ghost] {
            t.clock.advance(time::Duration::seconds(61));
            t.calls.take();
            t.post(path, json!({"email": email}), None).await.assert(202, None);
            seen.push(t.calls.take_operations("SES"));
        }
        assert!(!seen[0].is_empty(), "{path}: the known address got no mail");
        assert_eq!(seen[0], seen[1], "{path}: known and unknown addresses differ in SES calls");
    }
    let notices = t.mails_to(&ghost).await;
    assert_eq!(notices.len(), 2, "the unknown address is told no account uses it");
}
