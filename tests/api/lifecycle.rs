//! Deletion with a grace period, recovery, the scheduled purge, the activity log and export.

use crate::helpers::{PASSWORD, TestApp, TestUser};
use accounts_core::clock::Clock;
use accounts_core::services::purge::{self, PurgeReport};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

const GRACE: time::Duration = time::Duration::days(7);

async fn delete_account(t: &TestApp, u: &TestUser) -> Value {
    let r = t
        .call(
            "DELETE",
            "/api/users/me",
            Some(json!({"password": PASSWORD, "confirmation": "DELETE_MY_ACCOUNT", "reason": "testing"})),
            Some(&u.access),
        )
        .await;
    r.assert(200, None);
    r.data().clone()
}

async fn recover(t: &TestApp, email: &str, code: &str) -> crate::helpers::Resp {
    t.post("/api/users/recover", json!({"email": email, "recoveryCode": code}), None).await
}

async fn purge_all(t: &TestApp) -> PurgeReport {
    purge::run(&t.app, || false).await.unwrap()
}

/// Every table item that mentions the user (id, email or username) anywhere.
async fn traces_of(t: &TestApp, u: &TestUser) -> Vec<String> {
    t.all_items()
        .await
        .iter()
        .map(|i| format!("{i:?}"))
        .filter(|dump| dump.contains(&u.id) || dump.contains(&u.email) || dump.to_lowercase().contains(&u.username.to_lowercase()))
        .collect()
}

async fn objects_of(t: &TestApp, u: &TestUser) -> usize {
    let mut n = 0;
    for prefix in [format!("avatars/{}/", u.id), format!("uploads/{}/", u.id)] {
        n += t.app.s3.list_objects_v2().bucket(&t.bucket).prefix(prefix).send().await.unwrap().contents().len();
    }
    n
}

async fn put_object(t: &TestApp, key: &str) {
    t.app.s3.put_object().bucket(&t.bucket).key(key).body(b"bytes".to_vec().into()).send().await.unwrap();
}

#[tokio::test]
async fn deleting_needs_the_password_and_the_confirmation_and_ends_every_session() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let other = t.login(&u.username, PASSWORD).await.data()["accessToken"].as_str().unwrap().to_owned();
    let body = |password: &str, confirmation: &str| json!({"password": password, "confirmation": confirmation});
    t.call("DELETE", "/api/users/me", Some(body("Wrong-Pass-123", "DELETE_MY_ACCOUNT")), Some(&u.access))
        .await
        .assert(400, Some("INVALID_PASSWORD"));
    t.call("DELETE", "/api/users/me", Some(body(PASSWORD, "delete")), Some(&u.access)).await.assert(400, Some("VALIDATION_FAILED"));
    t.call(
        "DELETE",
        "/api/users/me",
        Some(json!({"password": PASSWORD, "confirmation": "DELETE_MY_ACCOUNT", "purgeNow": true})),
        Some(&u.access),
    )
    .await
    .assert(400, Some("VALIDATION_FAILED"));
    t.call("DELETE", "/api/users/me", Some(body(PASSWORD, "DELETE_MY_ACCOUNT")), None).await.assert(401, Some("UNAUTHENTICATED"));

    let scheduled = delete_account(&t, &u).await;
    let code = scheduled["recoveryCode"].as_str().unwrap();
    assert!(code.starts_with("recovery_"));
    assert_eq!(scheduled["scheduledDeletionAt"], scheduled["gracePeriodEnds"]);
    let expected = accounts_core::clock::rfc3339(t.app.now() + GRACE.whole_seconds());
    assert_eq!(scheduled["gracePeriodEnds"], expected.as_str());
    t.get("/api/users/me", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.get("/api/users/me", Some(&other)).await.assert(401, Some("UNAUTHENTICATED"));
    t.login(&u.username, "Wrong-Pass-123").await.assert(401, Some("INVALID_CREDENTIALS"));
    t.login(&u.username, PASSWORD).await.assert(403, Some("ACCOUNT_PENDING_DELETION"));
    let (subject, body) = t.last_mail(&u.email).await;
    assert_eq!(subject, "Your account will be deleted");
    assert!(body.contains(code));
    assert!(!format!("{:?}", t.all_items().await).contains(code), "the recovery code is stored only as a hash");
}

#[tokio::test]
async fn recovery_within_the_grace_period_restores_the_account_once() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let code = delete_account(&t, &u).await["recoveryCode"].as_str().unwrap().to_owned();
    let wrong = recover(&t, &u.email, "recovery_wrong").await;
    wrong.assert(400, Some("INVALID_CODE"));
    let unknown = recover(&t, "nobody@example.com", &code).await;
    unknown.assert(400, Some("INVALID_CODE"));
    assert_eq!(wrong.body, unknown.body, "no enumeration");
    t.clock.advance(GRACE - time::Duration::seconds(1));
    recover(&t, &u.email.to_uppercase(), &code).await.assert(200, None);
    t.login(&u.username, PASSWORD).await.assert(200, None);
    recover(&t, &u.email, &code).await.assert(400, Some("INVALID_CODE"));
    // The purge leaves a recovered account alone.
    t.clock.advance(time::Duration::days(30));
    let report = purge_all(&t).await;
    assert_eq!((report.deleted, report.skipped), (0, 0), "recovery took it out of the queue");
    t.login(&u.username, PASSWORD).await.assert(200, None);
}

#[tokio::test]
async fn recovery_after_the_grace_period_or_after_five_wrong_codes_fails_the_same_way() {
    let t = TestApp::spawn().await;
    let late = t.user().await;
    let late_code = delete_account(&t, &late).await["recoveryCode"].as_str().unwrap().to_owned();
    let tries = t.user().await;
    let tries_code = delete_account(&t, &tries).await["recoveryCode"].as_str().unwrap().to_owned();
    for _ in 0..5 {
        recover(&t, &tries.email, "recovery_guess").await.assert(400, Some("INVALID_CODE"));
    }
    recover(&t, &tries.email, &tries_code).await.assert(400, Some("INVALID_CODE"));
    t.clock.advance(GRACE);
    recover(&t, &late.email, &late_code).await.assert(400, Some("INVALID_CODE"));
    recover(&t, "not-an-email", &late_code).await.assert(400, Some("VALIDATION_FAILED"));
}

#[tokio::test]
async fn after_the_grace_period_the_purge_removes_every_trace_and_a_second_run_is_a_no_op() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let bystander = t.user().await;
    t.post("/api/api-keys", json!({"name": "k"}), Some(&u.access)).await.assert(201, None);
    t.login(&u.username, PASSWORD).await.assert(200, None);
    put_object(&t, &format!("avatars/{}/a.webp", u.id)).await;
    put_object(&t, &format!("uploads/{}/upl_1", u.id)).await;
    put_object(&t, &format!("avatars/{}/b.webp", bystander.id)).await;
    delete_account(&t, &u).await;

    // Not yet due: nothing happens.
    t.clock.advance(GRACE - time::Duration::seconds(1));
    assert_eq!(purge_all(&t).await, PurgeReport { complete: true, ..Default::default() });
    assert!(!traces_of(&t, &u).await.is_empty());

    t.clock.advance(time::Duration::seconds(1));
    let report = purge_all(&t).await;
    assert_eq!(report.deleted, 1);
    assert_eq!(report.objects, 2);
    assert!(report.complete);
    assert_eq!(traces_of(&t, &u).await, Vec::<String>::new(), "no item mentions the user");
    assert_eq!(objects_of(&t, &u).await, 0);
    assert_eq!(objects_of(&t, &bystander).await, 1, "other users' objects stay");
    assert!(t.all_items().await.iter().any(|i| i["pk"].as_s().unwrap().starts_with("PURGELOG#")), "an anonymous audit line stays");
    t.login(&bystander.username, PASSWORD).await.assert(200, None);
    assert_eq!(purge_all(&t).await, PurgeReport { complete: true, ..Default::default() }, "idempotent");
    // The address and the name are free again.
    t.register(&u.username, &u.email, PASSWORD).await.assert(201, None);
}

#[tokio::test]
async fn never_activated_accounts_are_purged_after_the_unverified_ttl() {
    let t = TestApp::spawn().await;
    let pending = t.unactivated_user().await;
    let active = t.user().await;
    t.clock.advance(time::Duration::days(7) - time::Duration::seconds(1));
    assert_eq!(purge_all(&t).await.unverified, 0);
    t.clock.advance(time::Duration::seconds(1));
    let report = purge_all(&t).await;
    assert_eq!((report.unverified, report.skipped), (1, 1), "{report:?}");
    assert!(traces_of(&t, &pending).await.is_empty());
    t.login(&active.username, PASSWORD).await.assert(200, None);
}

#[tokio::test]
async fn the_purge_stops_before_its_deadline_and_finishes_on_the_next_run() {
    let t = TestApp::spawn().await;
    let mut users = Vec::new();
    for _ in 0..12 {
        let u = t.user().await;
        delete_account(&t, &u).await;
        users.push(u);
    }
    t.clock.advance(GRACE);
    assert_eq!(purge::run(&t.app, || true).await.unwrap(), PurgeReport::default(), "no time: stops at once, incomplete");
    let calls = AtomicUsize::new(0);
    let first = purge::run(&t.app, || calls.fetch_add(1, Ordering::SeqCst) >= 8).await.unwrap();
    assert!(!first.complete);
    assert!(first.deleted > 0 && first.deleted < 12, "{first:?}");
    // Whatever it did is whole: each account is either entirely gone or entirely there.
    for u in &users {
        let traces = traces_of(&t, u).await;
        let has_profile = traces.iter().any(|d| d.contains("PROFILE"));
        assert!(traces.is_empty() || has_profile, "half-purged account: {traces:?}");
    }
    let second = purge_all(&t).await;
    assert!(second.complete);
    assert_eq!(first.deleted + second.deleted, 12);
    for u in &users {
        assert!(traces_of(&t, u).await.is_empty());
    }
    assert_eq!(purge_all(&t).await, PurgeReport { complete: true, ..Default::default() });
}

#[tokio::test]
async fn a_recovery_racing_the_purge_leaves_a_recovered_account_or_a_purged_one_never_a_mix() {
    let t = TestApp::spawn().await;
    let mut accounts = Vec::new();
    for _ in 0..6 {
        let u = t.user().await;
        let code = delete_account(&t, &u).await["recoveryCode"].as_str().unwrap().to_owned();
        accounts.push((u, code));
    }
    // One instance runs the purge with the grace period just over; another, a second behind,
    // still accepts recoveries. They race on the same table; the emulator executes their calls
    // one at a time (it does not isolate concurrent transactions; DynamoDB does).
    let purge_clock = std::sync::Arc::new(accounts_core::clock::ManualClock::new(t.clock.now() + GRACE));
    let recovery_clock = std::sync::Arc::new(accounts_core::clock::ManualClock::new(t.clock.now() + GRACE - time::Duration::seconds(1)));
    let apps = crate::serial::serial_apps(&t, &[purge_clock.clone(), recovery_clock.clone()]).await;
    let (purge_app, recovery_app) = (apps[0].clone(), apps[1].clone());
    t.clock.advance(GRACE);
    let client = accounts_core::http::ClientInfo::unknown();
    let recoveries = accounts.iter().map(|(u, code)| {
        let (app, client) = (recovery_app.clone(), client.clone());
        async move { accounts_core::services::lifecycle::recover(&app, &u.email, code, &client).await.is_ok() }
    });
    let (recovered, report) = tokio::join!(futures::future::join_all(recoveries), purge::run(&purge_app, || false));
    let report = report.unwrap();
    assert_eq!(report.deleted + recovered.iter().filter(|r| **r).count(), accounts.len(), "{report:?} {recovered:?}");
    for ((u, _), was_recovered) in accounts.iter().zip(&recovered) {
        let traces = traces_of(&t, u).await;
        if *was_recovered {
            t.login(&u.username, PASSWORD).await.assert(200, None);
            assert!(traces.iter().any(|d| d.contains("EMAIL#")) && traces.iter().any(|d| d.contains("USERNAME#")));
        } else {
            assert!(traces.is_empty(), "purged account left {traces:?}");
        }
    }
    assert!(recovery_clock.now_unix() < purge_clock.now_unix());
}

// ---- activity ------------------------------------------------------------------------------

#[tokio::test]
async fn the_activity_log_lists_the_callers_events_newest_first_in_pages() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let other = t.user().await;
    for _ in 0..3 {
        t.clock.advance(time::Duration::seconds(1));
        t.login(&u.username, "Wrong-Pass-123").await.assert(401, None);
    }
    let first = t.get("/api/users/me/activity?limit=2", Some(&u.access)).await;
    first.assert(200, None);
    let page: Vec<&str> = first.data().as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(page, ["login.failed", "login.failed"]);
    assert_eq!(first.body["page"]["limit"], 2);
    let cursor = first.body["page"]["nextCursor"].as_str().unwrap();
    let rest = t.get(&format!("/api/users/me/activity?limit=100&cursor={cursor}"), Some(&u.access)).await;
    rest.assert(200, None);
    let kinds: Vec<&str> = rest.data().as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    // `t.user()` registers, signs in, then activates.
    assert_eq!(kinds, ["login.failed", "account.activated", "login.succeeded", "account.registered"]);
    assert_eq!(rest.body["page"]["nextCursor"], Value::Null);
    let entry = &rest.data()[0];
    for field in ["id", "kind", "at", "ip", "userAgent", "detail"] {
        assert!(entry.get(field).is_some(), "missing {field}");
    }
    let others = t.get("/api/users/me/activity", Some(&other.access)).await;
    assert!(others.data().as_array().unwrap().iter().all(|a| a["kind"] != "login.failed"), "only the caller's own events");
    for bad in ["limit=0", "limit=101", "limit=abc", "cursor=garbage", "sort=asc"] {
        t.get(&format!("/api/users/me/activity?{bad}"), Some(&u.access)).await.assert(400, Some("VALIDATION_FAILED"));
    }
    t.get("/api/users/me/activity", None).await.assert(401, Some("UNAUTHENTICATED"));
    let text = format!("{}{}", first.body, rest.body);
    for secret in [PASSWORD, "Wrong-Pass-123", u.access.as_str(), u.refresh.as_str()] {
        assert!(!text.contains(secret));
    }
}

// ---- export --------------------------------------------------------------------------------

#[tokio::test]
async fn the_export_holds_everything_about_the_caller_and_no_secret() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let key = t.post("/api/api-keys", json!({"name": "export me"}), Some(&u.access)).await.data()["keySecret"].as_str().unwrap().to_owned();
    let r = t.get("/api/users/me/export", Some(&u.access)).await;
    r.assert(200, None);
    assert!(r.headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(r.headers["cache-control"], "no-store");
    let d = r.data();
    assert_eq!(d["format"], 1);
    assert_eq!(d["profile"]["email"], u.email.as_str());
    assert_eq!(d["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(d["sessions"][0]["current"], true);
    assert!(d["activity"].as_array().unwrap().len() >= 4);
    assert_eq!(d["apiKeys"][0]["name"], "export me");
    let text = r.body.to_string();
    for secret in [PASSWORD, u.access.as_str(), u.refresh.as_str(), key.as_str(), "argon2", "passwordHash", "Hash\""] {
        assert!(!text.contains(secret), "export leaks {secret}");
    }
    t.call_with_key("GET", "/api/users/me/export", None, &key).await.assert(403, Some("SCOPE_REQUIRED"));
    t.call_with_key("DELETE", "/api/users/me", Some(json!({"password": PASSWORD, "confirmation": "DELETE_MY_ACCOUNT"})), &key)
        .await
        .assert(403, Some("SCOPE_REQUIRED"));
    t.get("/api/users/me/export", None).await.assert(401, Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn the_purge_releases_uploads_never_completed_within_a_day() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = t.post("/api/uploads", json!({"filename": "a.txt", "contentType": "text/plain", "size": 1000}), Some(&u.access)).await;
    r.assert(201, None);
    t.clock.advance(time::Duration::hours(23));
    assert_eq!(purge_all(&t).await.stale_uploads, 0);
    t.clock.advance(time::Duration::hours(2));
    let report = purge_all(&t).await;
    assert_eq!(report.stale_uploads, 1, "{report:?}");
    let access = t.login(&u.username, PASSWORD).await.data()["accessToken"].as_str().unwrap().to_owned();
    let me = t.get("/api/users/me", Some(&access)).await;
    assert_eq!(me.data()["stats"]["storageUsed"], 0);
    assert_eq!(purge_all(&t).await.stale_uploads, 0, "idempotent");
}
