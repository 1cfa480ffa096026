//! `GET /api/users/me/usage` and `/me/stats`: the numbers equal what was uploaded, downloaded
//! and deleted, per day, with the injected clock moving days.

use crate::helpers::TestApp;
use crate::uploads::{GIB, relogin, start, upload_file};
use accounts_core::clock::Clock;
use accounts_core::domain::day_string;
use serde_json::{Value, json};

/// Moves the clock to noon of the next UTC day, so a test's actions never straddle midnight.
fn to_next_noon(t: &TestApp) {
    let now = t.clock.now();
    let noon = now.date().next_day().unwrap().midnight().assume_utc() + time::Duration::hours(12);
    t.clock.advance(noon - now);
}

fn day(t: &TestApp, offset: i64) -> String {
    day_string(t.clock.now().date() + time::Duration::days(offset))
}

fn entry<'a>(list: &'a Value, date: &str) -> &'a Value {
    list.as_array().unwrap().iter().find(|e| e["date"] == date).unwrap_or_else(|| panic!("no {date} in {list}"))
}

#[tokio::test]
async fn usage_and_stats_equal_what_was_uploaded_downloaded_and_deleted_per_day() {
    let t = TestApp::spawn().await;
    to_next_noon(&t);
    let u = t.user().await;
    let other = t.user().await;
    let (d0, d_minus_1) = (day(&t, 0), day(&t, -1));

    // Day 0: an image (100 B) and a PDF (50 B); the image downloaded twice.
    let image = upload_file(&t, &u.access, "cat.png", "image/png", vec![1; 100]).await;
    let pdf = upload_file(&t, &u.access, "cv.pdf", "application/pdf", vec![2; 50]).await;
    for _ in 0..2 {
        t.get(&format!("/api/uploads/{image}"), Some(&u.access)).await.assert(200, None);
    }
    start(&t, &u.access, "pending.mp3", "audio/mpeg", 1000).await.assert(201, None);
    upload_file(&t, &other.access, "noise.wav", "audio/wav", vec![3; 999]).await;

    // Day 1: a video (30 B) uploaded and downloaded once; the PDF deleted.
    t.clock.advance(time::Duration::days(1));
    let d1 = day(&t, 0);
    let access = relogin(&t, &u).await;
    let video = upload_file(&t, &access, "clip.mp4", "video/mp4", vec![4; 30]).await;
    t.get(&format!("/api/uploads/{video}"), Some(&access)).await.assert(200, None);
    t.call("DELETE", &format!("/api/uploads/{pdf}"), None, Some(&access)).await.assert(204, None);

    let r = t.get("/api/users/me/usage?period=7d", Some(&access)).await;
    r.assert(200, None);
    let d = r.data();
    assert_eq!(d["period"], "7d");
    assert_eq!(d["storage"]["used"], 130);
    assert_eq!(d["storage"]["limit"], GIB);
    assert_eq!(d["storage"]["usagePercentage"], 0.0);
    assert_eq!(d["storage"]["files"], 2);
    assert_eq!(d["storage"]["breakdown"], json!({"documents": 0, "images": 100, "videos": 30, "audio": 0, "other": 0}));
    assert_eq!(d["activity"]["uploads"], json!({"count": 3, "totalSize": 180, "avgSize": 60}));
    assert_eq!(d["activity"]["downloads"], json!({"count": 3, "totalSize": 230}));
    assert_eq!(d["activity"]["deletions"], json!({"count": 1, "reclaimedSpace": 50}));
    let daily = &d["trends"]["dailyUploads"];
    assert_eq!(daily.as_array().unwrap().len(), 7);
    assert_eq!(daily[6]["date"], d1.as_str(), "oldest first, today last");
    assert_eq!(entry(daily, &d0), &json!({"date": d0, "count": 2, "size": 150}));
    assert_eq!(entry(daily, &d1), &json!({"date": d1, "count": 1, "size": 30}));
    assert_eq!(entry(daily, &d_minus_1)["count"], 0);
    let growth = &d["trends"]["storageGrowth"];
    assert_eq!(entry(growth, &d_minus_1)["size"], 0);
    assert_eq!(entry(growth, &d0)["size"], 150);
    assert_eq!(entry(growth, &d1)["size"], 130);
    assert!(d["generatedAt"].as_str().unwrap().ends_with('Z'));
    assert!(d["storage"].get("pending").is_none() && d["trends"].get("daily").is_none(), "details only when asked");

    let r = t.get("/api/users/me/usage?period=7d&detailed=true", Some(&access)).await;
    let d = r.data();
    assert_eq!(d["storage"]["pending"], json!({"files": 1, "bytes": 1000}));
    assert_eq!(
        d["activity"]["uploads"]["byKind"],
        json!({"documents": {"count": 1, "size": 50}, "images": {"count": 1, "size": 100}, "videos": {"count": 1, "size": 30},
               "audio": {"count": 0, "size": 0}, "other": {"count": 0, "size": 0}})
    );
    let days = &d["trends"]["daily"];
    assert_eq!(
        entry(days, &d0),
        &json!({"date": d0, "uploads": 2, "uploadBytes": 150, "downloads": 2, "downloadBytes": 200, "deletions": 0, "deletedBytes": 0})
    );
    assert_eq!(
        entry(days, &d1),
        &json!({"date": d1, "uploads": 1, "uploadBytes": 30, "downloads": 1, "downloadBytes": 30, "deletions": 1, "deletedBytes": 50})
    );

    let s = t.get("/api/users/me/stats", Some(&access)).await;
    s.assert(200, None);
    let s = s.data();
    assert_eq!(s["totalUploads"], 3, "all uploads ever completed");
    assert_eq!(s["todayUploads"], 1);
    assert_eq!(s["storageUsed"], 130);
    assert_eq!(s["storageLimit"], GIB);
    assert_eq!(s["storageUsage"], "0.00%");
    let trend = s["uploadTrends"].as_array().unwrap();
    assert_eq!(trend.len(), 7);
    assert_eq!(trend[0], json!({"date": d1, "count": 1}), "newest first (seed 002)");
    assert_eq!(trend[1], json!({"date": d0, "count": 2}));

    let me = t.get("/api/users/me", Some(&access)).await;
    assert_eq!(me.data()["stats"]["uploadsCount"], 2);
    assert_eq!(me.data()["stats"]["storageUsed"], 130);
    assert_eq!(me.data()["stats"]["storageLimit"], GIB);

    // A week later the activity is out of the 7-day window; what is stored stays.
    t.clock.advance(time::Duration::days(7));
    let access = relogin(&t, &u).await;
    let d = t.get("/api/users/me/usage?period=7d", Some(&access)).await.data().clone();
    assert_eq!(d["activity"]["uploads"]["count"], 0);
    assert_eq!(d["storage"]["used"], 130);
    assert!(d["trends"]["storageGrowth"].as_array().unwrap().iter().all(|e| e["size"] == 130));
    let d = t.get("/api/users/me/usage?period=30d", Some(&access)).await.data().clone();
    assert_eq!(d["activity"]["uploads"]["count"], 3, "still inside 30 days");
    assert_eq!(t.get("/api/users/me/stats", Some(&access)).await.data()["todayUploads"], 0);
}

#[tokio::test]
async fn day_counters_are_stored_per_user_per_day_with_a_ttl() {
    let t = TestApp::spawn().await;
    to_next_noon(&t);
    let u = t.user().await;
    upload_file(&t, &u.access, "a.txt", "text/plain", vec![0; 8]).await;
    let items = t.all_items().await;
    let days: Vec<_> = items
        .iter()
        .filter(|i| i["pk"].as_s().unwrap() == &format!("USER#{}", u.id) && i["sk"].as_s().unwrap().starts_with("DAY#"))
        .collect();
    assert_eq!(days.len(), 1);
    assert_eq!(days[0]["sk"].as_s().unwrap(), &format!("DAY#{}", day(&t, 0)));
    assert_eq!(days[0]["uploads"].as_n().unwrap(), "1");
    assert_eq!(days[0]["uploadBytes"].as_n().unwrap(), "8");
    let ttl: i64 = days[0]["ttl"].as_n().unwrap().parse().unwrap();
    assert!(ttl > t.clock.now_unix() + 365 * 86_400, "kept longer than the longest period");
}

#[tokio::test]
async fn usage_periods_default_to_thirty_days_and_bad_parameters_are_named() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let len = |r: &crate::helpers::Resp| r.data()["trends"]["dailyUploads"].as_array().unwrap().len();
    let r = t.get("/api/users/me/usage", Some(&u.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["period"], "30d");
    assert_eq!(len(&r), 30);
    assert_eq!(len(&t.get("/api/users/me/usage?period=90d", Some(&u.access)).await), 90);
    assert_eq!(len(&t.get("/api/users/me/usage?period=1y", Some(&u.access)).await), 365);
    let r = t.get("/api/users/me/usage?period=2w&detailed=maybe", Some(&u.access)).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    let fields: Vec<&str> = r.body["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["period", "detailed"]);
    let s = t.get("/api/users/me/stats", Some(&u.access)).await;
    assert_eq!(s.data()["totalUploads"], 0);
    assert_eq!(s.data()["storageUsage"], "0.00%");
}

#[tokio::test]
async fn usage_and_stats_need_an_activated_signed_in_user() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let unactivated = t.unactivated_user().await;
    for path in ["/api/users/me/usage", "/api/users/me/stats"] {
        t.get(path, None).await.assert(401, Some("UNAUTHENTICATED"));
        t.get(path, Some(&unactivated.access)).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
        t.call("POST", path, Some(json!({})), Some(&u.access)).await.assert(405, None);
    }
    t.post("/api/auth/logout", json!({}), Some(&u.access)).await.assert(200, None);
    t.get("/api/users/me/usage", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn read_keys_reach_usage_and_stats_write_only_keys_do_not() {
    // SPEC §3.2: a `read` key works for the GETs of the caller's own data.
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let key = |scopes: Value| {
        let t = &t;
        let u = &u;
        async move {
            let r = t.post("/api/api-keys", json!({"name": "k", "scopes": scopes}), Some(&u.access)).await;
            r.assert(201, None);
            r.data()["keySecret"].as_str().unwrap().to_owned()
        }
    };
    let read = key(json!(["read"])).await;
    let write = key(json!(["write"])).await;
    let usage = t.call_with_key("GET", "/api/users/me/usage?period=7d", None, &read).await;
    usage.assert(200, None);
    assert_eq!(usage.data()["period"], "7d");
    assert_eq!(usage.data()["trends"]["dailyUploads"].as_array().unwrap().len(), 7);
    let stats = t.call_with_key("GET", "/api/users/me/stats", None, &read).await;
    stats.assert(200, None);
    assert_eq!(stats.data()["totalUploads"], 0);
    for path in ["/api/users/me/usage", "/api/users/me/stats"] {
        t.call_with_key("GET", path, None, &write).await.assert(403, Some("SCOPE_REQUIRED"));
        t.call_with_key("GET", path, None, "uk_forged").await.assert(401, Some("UNAUTHENTICATED"));
    }
}
