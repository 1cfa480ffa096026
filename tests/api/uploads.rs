//! `/api/uploads*`: presigned uploads against the emulator's S3, quota under concurrency,
//! listing, downloads, deletion (one and batch), authorisation, and the purge's release of
//! stale pending uploads.

use crate::helpers::{PASSWORD, Resp, TestApp, TestUser};
use accounts_core::clock::Clock;
use accounts_core::domain::{UPLOAD_HOLD_GRACE_SECS, UPLOAD_URL_TTL_SECS, UserId};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

pub const GIB: i64 = 1 << 30;

/// Starts an upload (`POST /api/uploads`).
pub async fn start(t: &TestApp, token: &str, filename: &str, content_type: &str, size: i64) -> Resp {
    t.post("/api/uploads", json!({"filename": filename, "contentType": content_type, "size": size}), Some(token)).await
}

/// Sends `bytes` to a presigned upload answer the way a client would: a `PUT` to `uploadUrl`
/// with the headers it names.
pub async fn put_bytes(created: &Value, bytes: Vec<u8>) -> u16 {
    let url = created["uploadUrl"].as_str().unwrap().to_owned();
    let headers: Vec<(String, String)> = created["headers"]
        .as_object()
        .unwrap()
        .iter()
        // ureq sets Content-Length from the body itself.
        .filter(|(k, _)| !k.eq_ignore_ascii_case("content-length"))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut request = ureq::put(&url);
        for (k, v) in &headers {
            request = request.header(k, v);
        }
        request.send(&bytes[..]).map(|r| r.status().as_u16()).unwrap_or_else(|e| panic!("PUT to the presigned URL failed: {e}"))
    })
    .await
    .unwrap()
}

/// Downloads a presigned URL.
pub async fn fetch(url: &str) -> Vec<u8> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || ureq::get(&url).call().unwrap().into_body().read_to_vec().unwrap()).await.unwrap()
}

/// Uploads `bytes` as `filename` all the way (start, PUT, complete); returns the upload id.
pub async fn upload_file(t: &TestApp, token: &str, filename: &str, content_type: &str, bytes: Vec<u8>) -> String {
    let created = start(t, token, filename, content_type, bytes.len() as i64).await;
    created.assert(201, None);
    assert_eq!(put_bytes(created.data(), bytes).await, 200);
    let id = created.data()["id"].as_str().unwrap().to_owned();
    t.post(&format!("/api/uploads/{id}/complete"), json!({}), Some(token)).await.assert(200, None);
    id
}

/// A fresh access token after the clock moved past the old one's 15 minutes.
pub async fn relogin(t: &TestApp, u: &TestUser) -> String {
    let r = t.login(&u.username, PASSWORD).await;
    r.assert(200, None);
    r.data()["accessToken"].as_str().unwrap().to_owned()
}

/// A numeric attribute of the user item.
pub async fn user_number(t: &TestApp, user_id: &str, name: &str) -> i64 {
    let item = t
        .dynamo
        .get_item()
        .table_name(&t.table)
        .key("pk", AttributeValue::S(format!("USER#{user_id}")))
        .key("sk", AttributeValue::S("PROFILE".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    item.get(name).map_or(0, |v| v.as_n().unwrap().parse().unwrap())
}

fn fields(r: &Resp) -> Vec<String> {
    r.body["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap().to_owned()).collect()
}

// ---- create, PUT, complete --------------------------------------------------------------------

#[tokio::test]
async fn a_presigned_put_of_real_bytes_then_complete_makes_the_upload_active() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let bytes = b"%PDF-1.4 a small document".to_vec();
    let created = start(&t, &u.access, "Report 2024.pdf", "application/pdf", bytes.len() as i64).await;
    created.assert(201, None);
    let d = created.data();
    let id = d["id"].as_str().unwrap();
    assert!(id.starts_with("upl_"), "{id}");
    let url = d["uploadUrl"].as_str().unwrap();
    assert!(url.contains(&format!("/{}/uploads/{}/{id}?", t.bucket, u.id)), "server-chosen key: {url}");
    assert!(url.contains("X-Amz-Expires=900"), "{url}");
    assert_eq!(d["method"], "PUT");
    assert_eq!(d["headers"]["content-type"], "application/pdf");
    assert_eq!(d["headers"]["content-length"], bytes.len().to_string());
    let expires = time::OffsetDateTime::parse(d["expiresAt"].as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(expires.unix_timestamp(), t.clock.now_unix() + 900);
    assert_eq!(d["upload"]["status"], "PENDING");
    assert_eq!(user_number(&t, &u.id, "storageCommitted").await, bytes.len() as i64, "reserved at once");
    assert_eq!(user_number(&t, &u.id, "storageUsed").await, 0, "not used until complete");

    assert_eq!(put_bytes(d, bytes.clone()).await, 200);
    let done = t.post(&format!("/api/uploads/{id}/complete"), json!({}), Some(&u.access)).await;
    done.assert(200, None);
    assert_eq!(done.data()["status"], "ACTIVE");
    assert_eq!(done.data()["fileSize"], bytes.len());
    assert_eq!(done.data()["fileType"], "application/pdf");
    assert_eq!(done.data()["kind"], "documents");
    assert_eq!(done.data()["filename"], "Report 2024.pdf");
    assert!(done.data()["uploadTime"].as_str().unwrap().ends_with('Z'));
    let object = t.app.objects.head(&format!("uploads/{}/{id}", u.id)).await.unwrap().unwrap();
    assert_eq!(object.size, bytes.len() as i64, "the bytes really are in the bucket");

    let me = t.get("/api/users/me", Some(&u.access)).await;
    assert_eq!(me.data()["stats"]["uploadsCount"], 1);
    assert_eq!(me.data()["stats"]["storageUsed"], bytes.len());
    // Completing again changes nothing.
    t.post(&format!("/api/uploads/{id}/complete"), json!({}), Some(&u.access)).await.assert(200, None);
    assert_eq!(user_number(&t, &u.id, "uploadsCount").await, 1);
    assert_eq!(user_number(&t, &u.id, "storageUsed").await, bytes.len() as i64);
}

#[tokio::test]
async fn complete_refuses_a_missing_or_wrongly_sized_object_and_leaves_the_upload_pending() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let created = start(&t, &u.access, "photo.png", "image/png", 10).await;
    let id = created.data()["id"].as_str().unwrap().to_owned();
    let path = format!("/api/uploads/{id}/complete");
    let complete = || t.post(&path, json!({}), Some(&u.access));

    let r = complete().await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(fields(&r), ["object"]);

    // The emulator does not enforce signed headers; write a wrong size straight to the key.
    t.app
        .s3
        .put_object()
        .bucket(&t.bucket)
        .key(format!("uploads/{}/{id}", u.id))
        .content_type("image/png")
        .body(b"only7b!".to_vec().into())
        .send()
        .await
        .unwrap();
    let r = complete().await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(fields(&r), ["size"]);
    assert!(r.body["details"][0]["message"].as_str().unwrap().contains("7 bytes"));
    assert_eq!(t.get(&format!("/api/uploads/{id}"), Some(&u.access)).await.data()["status"], "PENDING");
    assert_eq!(user_number(&t, &u.id, "storageUsed").await, 0);

    assert_eq!(put_bytes(created.data(), vec![7; 10]).await, 200);
    complete().await.assert(200, None);
}

// ---- quota --------------------------------------------------------------------------------------

#[tokio::test]
async fn concurrent_reservations_stop_exactly_at_the_storage_quota() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    // FREE allows 1 GiB: of eight concurrent 256 MiB reservations, all authenticated (reading
    // 0 bytes used) before any writes, exactly four fit. See serial.rs for why the emulator
    // takes the calls one at a time.
    let router = accounts_core::api::uploads::router(crate::serial::serial_app(&t).await);
    let bodies: Vec<Value> =
        (0..8).map(|i| json!({"filename": format!("part-{i}.bin"), "contentType": "application/octet-stream", "size": GIB / 4})).collect();
    let attempts = bodies.iter().map(|b| crate::serial::call(&router, "POST", "/api/uploads", Some(b.clone()), &u.access));
    let results = futures::future::join_all(attempts).await;
    let ok: Vec<&Resp> = results.iter().filter(|r| r.status == 201).collect();
    let refused: Vec<&Resp> = results.iter().filter(|r| r.status == 429).collect();
    assert_eq!((ok.len(), refused.len()), (4, 4), "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
    for r in &refused {
        r.assert(429, Some("QUOTA_EXCEEDED"));
        assert_eq!(r.body["details"]["resource"], "storage");
        assert_eq!(r.body["details"]["limit"], GIB);
        assert_eq!(r.body["details"]["requested"], GIB / 4);
        assert!(r.headers.get("retry-after").is_none());
    }
    assert_eq!(user_number(&t, &u.id, "storageCommitted").await, GIB, "reached exactly, never over");
    assert_eq!(user_number(&t, &u.id, "uploadsCommitted").await, 4);
    start(&t, &u.access, "one-more-byte.bin", "application/octet-stream", 1).await.assert(429, Some("QUOTA_EXCEEDED"));
    // Deleting a pending upload frees its reservation once its URL can no longer write: until
    // then the URL could still store the object (see the hold tests below).
    let id = ok[0].data()["id"].as_str().unwrap();
    t.call("DELETE", &format!("/api/uploads/{id}"), None, Some(&u.access)).await.assert(204, None);
    assert_eq!(user_number(&t, &u.id, "storageCommitted").await, GIB, "held while the URL may write");
    start(&t, &u.access, "fits-again.bin", "application/octet-stream", GIB / 4).await.assert(429, Some("QUOTA_EXCEEDED"));
    t.clock.advance(time::Duration::seconds(UPLOAD_URL_TTL_SECS + UPLOAD_HOLD_GRACE_SECS));
    let access = relogin(&t, &u).await;
    start(&t, &access, "fits-again.bin", "application/octet-stream", GIB / 4).await.assert(201, None);
    assert_eq!(user_number(&t, &u.id, "storageCommitted").await, GIB, "the hold released, the new reservation taken");
    assert_eq!(user_number(&t, &u.id, "uploadsCommitted").await, 4);
}

#[tokio::test]
async fn the_file_count_quota_is_enforced() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    t.set_user_attr(&u.id, "uploadsCommitted", AttributeValue::N("999".into())).await;
    start(&t, &u.access, "last.txt", "text/plain", 1).await.assert(201, None);
    let r = start(&t, &u.access, "too-many.txt", "text/plain", 1).await;
    r.assert(429, Some("QUOTA_EXCEEDED"));
    assert_eq!(r.body["details"]["resource"], "uploads");
    assert_eq!(r.body["details"]["limit"], 1000);
    assert_eq!(r.body["details"]["used"], 1000);
}

#[tokio::test]
async fn a_file_larger_than_one_put_or_than_the_plan_allows_is_refused() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    start(&t, &u.access, "huge.iso", "application/octet-stream", 5 * GIB + 1).await.assert(413, Some("PAYLOAD_TOO_LARGE"));
    let r = start(&t, &u.access, "big.iso", "application/octet-stream", 2 * GIB).await;
    r.assert(429, Some("QUOTA_EXCEEDED"));
    assert_eq!(r.body["details"]["resource"], "storage");
    assert_eq!(user_number(&t, &u.id, "storageCommitted").await, 0, "nothing reserved");
    start(&t, &u.access, "empty.txt", "text/plain", 0).await.assert(201, None);
}

#[tokio::test]
async fn invalid_upload_requests_name_every_bad_field() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = start(&t, &u.access, "../x", "png", -1).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(fields(&r), ["filename", "contentType", "size"]);
    let r = t.post("/api/uploads", json!({}), Some(&u.access)).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(fields(&r), ["filename", "contentType", "size"]);
    let r = t
        .post("/api/uploads", json!({"filename": "a", "contentType": "text/plain", "size": 1, "key": "uploads/other/x"}), Some(&u.access))
        .await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(fields(&r), ["key"], "the client cannot choose the key");
    t.post("/api/uploads", json!({"filename": "a", "contentType": "text/plain", "size": "1"}), Some(&u.access))
        .await
        .assert(400, Some("INVALID_JSON"));
    t.post("/api/uploads", json!({"filename": "a", "contentType": "text/plain", "size": 1.5}), Some(&u.access))
        .await
        .assert(400, Some("INVALID_JSON"));
    t.call("PUT", "/api/uploads", None, Some(&u.access)).await.assert(405, None);
    assert!(t.all_items().await.iter().all(|i| !i["sk"].as_s().unwrap().starts_with("UPLOAD#")), "nothing was written");
}

// ---- list ------------------------------------------------------------------------------------------

#[tokio::test]
async fn listing_pages_through_ones_own_uploads_by_creation_time() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let other = t.user().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(start(&t, &u.access, &format!("f{i}.txt"), "text/plain", 1).await.data()["id"].as_str().unwrap().to_owned());
        t.clock.advance(time::Duration::seconds(1));
    }
    start(&t, &other.access, "theirs.txt", "text/plain", 1).await.assert(201, None);

    let page1 = t.get("/api/uploads?limit=2", Some(&u.access)).await;
    page1.assert(200, None);
    let got = |r: &Resp| r.data().as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(got(&page1), [ids[4].clone(), ids[3].clone()], "newest first by default");
    assert_eq!(page1.body["page"]["limit"], 2);
    let cursor = page1.body["page"]["nextCursor"].as_str().unwrap().to_owned();
    let page2 = t.get(&format!("/api/uploads?limit=2&cursor={cursor}&sort=createdAt,desc"), Some(&u.access)).await;
    assert_eq!(got(&page2), [ids[2].clone(), ids[1].clone()]);
    let cursor = page2.body["page"]["nextCursor"].as_str().unwrap().to_owned();
    let page3 = t.get(&format!("/api/uploads?limit=2&cursor={cursor}"), Some(&u.access)).await;
    assert_eq!(got(&page3), [ids[0].clone()]);
    assert_eq!(page3.body["page"]["nextCursor"], Value::Null, "no empty last page");

    let asc = t.get("/api/uploads?sort=createdAt,asc", Some(&u.access)).await;
    assert_eq!(got(&asc), ids);
    assert_eq!(asc.body["page"]["limit"], 20);
    let theirs = t.get("/api/uploads", Some(&other.access)).await;
    assert_eq!(theirs.data().as_array().unwrap().len(), 1, "only one's own records");

    for (query, field) in
        [("sort=size,desc", "sort"), ("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"), ("cursor=garbage", "cursor")]
    {
        let r = t.get(&format!("/api/uploads?{query}"), Some(&u.access)).await;
        r.assert(400, Some("VALIDATION_FAILED"));
        assert_eq!(fields(&r), [field], "{query}");
    }
}

// ---- get (download) --------------------------------------------------------------------------------

#[tokio::test]
async fn getting_an_active_upload_gives_a_working_download_url_and_counts_it() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let id = upload_file(&t, &u.access, "cat.png", "image/png", b"\x89PNG meow".to_vec()).await;
    let r = t.get(&format!("/api/uploads/{id}"), Some(&u.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["downloadCount"], 1);
    assert!(r.data()["lastDownloadedAt"].is_string());
    let url = r.data()["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Expires=300") && url.contains("response-content-disposition=attachment"), "{url}");
    assert_eq!(fetch(url).await, b"\x89PNG meow");
    let again = t.get(&format!("/api/uploads/{id}"), Some(&u.access)).await;
    assert_eq!(again.data()["downloadCount"], 2);

    let pending = start(&t, &u.access, "later.png", "image/png", 3).await.data()["id"].as_str().unwrap().to_owned();
    let r = t.get(&format!("/api/uploads/{pending}"), Some(&u.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["url"], Value::Null, "nothing to download yet");
    assert_eq!(r.data()["downloadCount"], 0);
}

#[tokio::test]
async fn another_users_upload_is_not_found_whatever_the_route() {
    let t = TestApp::spawn().await;
    let owner = t.user().await;
    let intruder = t.user().await;
    let id = upload_file(&t, &owner.access, "secret.txt", "text/plain", b"mine".to_vec()).await;
    let unknown = "upl_01HZY8J6W8K1M2N3P4Q5R6S7T8";
    for target in [id.as_str(), unknown, "not-an-id", "usr_01HZY8J6W8K1M2N3P4Q5R6S7T8"] {
        t.get(&format!("/api/uploads/{target}"), Some(&intruder.access)).await.assert(404, Some("NOT_FOUND"));
        t.call("DELETE", &format!("/api/uploads/{target}"), None, Some(&intruder.access)).await.assert(404, Some("NOT_FOUND"));
        t.post(&format!("/api/uploads/{target}/complete"), json!({}), Some(&intruder.access)).await.assert(404, Some("NOT_FOUND"));
    }
    let r = t.get(&format!("/api/uploads/{id}"), Some(&owner.access)).await;
    assert_eq!(r.data()["downloadCount"], 1, "the intruder's attempts counted nothing");
}

// ---- delete ------------------------------------------------------------------------------------------

#[tokio::test]
async fn deleting_frees_the_quota_and_removes_the_object() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let id = upload_file(&t, &u.access, "notes.txt", "text/plain", vec![b'x'; 64]).await;
    assert_eq!(user_number(&t, &u.id, "storageUsed").await, 64);
    // Past the URL's life (and a PUT it could have started): nothing is held back.
    t.clock.advance(time::Duration::seconds(UPLOAD_URL_TTL_SECS + UPLOAD_HOLD_GRACE_SECS));
    let access = relogin(&t, &u).await;
    t.call("DELETE", &format!("/api/uploads/{id}"), None, Some(&access)).await.assert(204, None);
    assert!(t.app.objects.head(&format!("uploads/{}/{id}", u.id)).await.unwrap().is_none(), "object removed");
    for attr in ["storageUsed", "storageCommitted", "uploadsCount", "uploadsCommitted", "bytesDocuments"] {
        assert_eq!(user_number(&t, &u.id, attr).await, 0, "{attr}");
    }
    assert_eq!(user_number(&t, &u.id, "uploadsTotal").await, 1, "the all-time count stays");
    assert!(t.app.store.list_user_holds(&UserId::parse(&u.id).unwrap()).await.unwrap().is_empty(), "no hold");
    t.get(&format!("/api/uploads/{id}"), Some(&access)).await.assert(404, Some("NOT_FOUND"));
    t.call("DELETE", &format!("/api/uploads/{id}"), None, Some(&access)).await.assert(404, Some("NOT_FOUND"));
}

/// Issue 22 finding 2: the presigned URL outlives a deletion (it cannot be revoked) and used to
/// store an object no record or quota counted, kept until the account was purged.
#[tokio::test]
async fn a_deleted_uploads_url_cannot_store_an_object_that_nothing_counts_or_removes() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let created = start(&t, &u.access, "notes.txt", "text/plain", 64).await;
    created.assert(201, None);
    let id = created.data()["id"].as_str().unwrap().to_owned();
    let object = format!("uploads/{}/{id}", u.id);
    assert_eq!(put_bytes(created.data(), vec![b'x'; 64]).await, 200);
    t.post(&format!("/api/uploads/{id}/complete"), json!({}), Some(&u.access)).await.assert(200, None);
    t.call("DELETE", &format!("/api/uploads/{id}"), None, Some(&u.access)).await.assert(204, None);
    assert!(t.app.objects.head(&object).await.unwrap().is_none(), "the object is deleted at once");
    assert_eq!(user_number(&t, &u.id, "storageUsed").await, 0, "the used space is freed at once");
    assert_eq!(user_number(&t, &u.id, "uploadsCount").await, 0);
    assert_eq!(user_number(&t, &u.id, "storageCommitted").await, 64, "the reservation is held while the URL may write");
    assert_eq!(user_number(&t, &u.id, "uploadsCommitted").await, 1);
    t.get(&format!("/api/uploads/{id}"), Some(&u.access)).await.assert(404, Some("NOT_FOUND"));
    let listed = t.get("/api/uploads", Some(&u.access)).await;
    assert_eq!(listed.data().as_array().unwrap().len(), 0, "a hold is not an upload");

    // The URL still works (S3 honours it until it expires): the object comes back, counted.
    assert_eq!(put_bytes(created.data(), vec![b'y'; 64]).await, 200);
    assert!(t.app.objects.head(&object).await.unwrap().is_some());
    let purge = || accounts_core::services::purge::run(&t.app, || false);
    assert_eq!(purge().await.unwrap().released_holds, 0, "not due while a PUT may still arrive");
    assert_eq!(user_number(&t, &u.id, "storageCommitted").await, 64);

    // Once nothing can write any more, the purge deletes what the URL wrote and frees the quota.
    t.clock.advance(time::Duration::seconds(UPLOAD_URL_TTL_SECS + UPLOAD_HOLD_GRACE_SECS));
    let report = purge().await.unwrap();
    assert_eq!(report.released_holds, 1, "{report:?}");
    assert!(t.app.objects.head(&object).await.unwrap().is_none(), "the re-sent object is deleted");
    assert_eq!(user_number(&t, &u.id, "storageCommitted").await, 0);
    assert_eq!(user_number(&t, &u.id, "uploadsCommitted").await, 0);
    assert_eq!(user_number(&t, &u.id, "uploadsTotal").await, 1);
    assert_eq!(purge().await.unwrap().released_holds, 0, "idempotent");
}

#[tokio::test]
async fn batch_delete_reports_each_id_and_touches_only_ones_own_uploads() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let other = t.user().await;
    let a = upload_file(&t, &u.access, "a.txt", "text/plain", vec![1; 10]).await;
    let b = upload_file(&t, &u.access, "b.jpg", "image/jpeg", vec![2; 20]).await;
    let pending = start(&t, &u.access, "c.mp3", "audio/mpeg", 30).await.data()["id"].as_str().unwrap().to_owned();
    let kept = upload_file(&t, &u.access, "keep.txt", "text/plain", vec![3; 5]).await;
    let foreign = upload_file(&t, &other.access, "theirs.txt", "text/plain", vec![4; 7]).await;
    let unknown = "upl_01HZY8J6W8K1M2N3P4Q5R6S7T8".to_owned();

    let ids = json!([a, b, pending, foreign, unknown, "garbage", a]);
    let r = t.post("/api/uploads/batch-delete", json!({ "ids": ids }), Some(&u.access)).await;
    r.assert(200, None);
    let results: Vec<(String, String)> = r.data()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["id"].as_str().unwrap().to_owned(), x["status"].as_str().unwrap().to_owned()))
        .collect();
    let expected: Vec<(String, String)> = [
        (a.clone(), "deleted"),
        (b.clone(), "deleted"),
        (pending.clone(), "deleted"),
        (foreign.clone(), "not_found"),
        (unknown.clone(), "not_found"),
        ("garbage".to_owned(), "not_found"),
    ]
    .into_iter()
    .map(|(i, s)| (i, s.to_owned()))
    .collect();
    assert_eq!(results, expected, "one result per distinct id, in the order sent");
    assert_eq!(r.data()["deleted"], 3);
    assert_eq!(r.data()["notFound"], 3);

    t.get(&format!("/api/uploads/{foreign}"), Some(&other.access)).await.assert(200, None);
    t.get(&format!("/api/uploads/{kept}"), Some(&u.access)).await.assert(200, None);
    for id in [&a, &b, &pending] {
        t.get(&format!("/api/uploads/{id}"), Some(&u.access)).await.assert(404, Some("NOT_FOUND"));
        assert!(t.app.objects.head(&format!("uploads/{}/{id}", u.id)).await.unwrap().is_none());
    }
    assert_eq!(user_number(&t, &u.id, "storageUsed").await, 5);
    assert_eq!(user_number(&t, &u.id, "storageCommitted").await, 5 + 10 + 20 + 30, "held while their URLs may write");
    assert_eq!(user_number(&t, &u.id, "uploadsCount").await, 1);
    assert_eq!(user_number(&t, &u.id, "uploadsCommitted").await, 4);
    assert_eq!(user_number(&t, &u.id, "bytesImages").await, 0);
    assert_eq!(user_number(&t, &other.id, "storageUsed").await, 7, "the other user's counters are untouched");
    t.clock.advance(time::Duration::seconds(UPLOAD_URL_TTL_SECS + UPLOAD_HOLD_GRACE_SECS));
    let page = accounts_core::services::uploads::release_due_holds(&t.app, None, 10).await.unwrap();
    assert_eq!((page.released, page.next), (3, None));
    assert_eq!(user_number(&t, &u.id, "storageCommitted").await, 5);
    assert_eq!(user_number(&t, &u.id, "uploadsCommitted").await, 1);
    assert_eq!(user_number(&t, &other.id, "storageCommitted").await, 7);
}

#[tokio::test]
async fn batch_delete_takes_one_to_a_hundred_ids() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = t.post("/api/uploads/batch-delete", json!({"ids": []}), Some(&u.access)).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(fields(&r), ["ids"]);
    let many: Vec<String> = (0..101).map(|i| format!("upl_{i}")).collect();
    t.post("/api/uploads/batch-delete", json!({ "ids": many }), Some(&u.access)).await.assert(400, Some("VALIDATION_FAILED"));
    let hundred: Vec<String> = (0..100).map(|i| format!("upl_{i}")).collect();
    let r = t.post("/api/uploads/batch-delete", json!({ "ids": hundred }), Some(&u.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["notFound"], 100);
    t.post("/api/uploads/batch-delete", json!({"ids": [1, 2]}), Some(&u.access)).await.assert(400, Some("INVALID_JSON"));
    t.post("/api/uploads/batch-delete", json!({"ids": ["a"], "all": true}), Some(&u.access)).await.assert(400, Some("VALIDATION_FAILED"));
}

// ---- authorisation ---------------------------------------------------------------------------------

#[tokio::test]
async fn uploads_need_an_activated_signed_in_user() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let id = upload_file(&t, &u.access, "a.txt", "text/plain", vec![1]).await;
    let unactivated = t.unactivated_user().await;
    let body = json!({"filename": "a.txt", "contentType": "text/plain", "size": 1});
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("POST", "/api/uploads".into(), Some(body.clone())),
        ("GET", "/api/uploads".into(), None),
        ("GET", format!("/api/uploads/{id}"), None),
        ("DELETE", format!("/api/uploads/{id}"), None),
        ("POST", format!("/api/uploads/{id}/complete"), Some(json!({}))),
        ("POST", "/api/uploads/batch-delete".into(), Some(json!({"ids": [id]}))),
    ];
    for (method, path, body) in &routes {
        t.call(method, path, body.clone(), None).await.assert(401, Some("UNAUTHENTICATED"));
        t.call(method, path, body.clone(), Some("not-a-token")).await.assert(401, Some("UNAUTHENTICATED"));
        t.call(method, path, body.clone(), Some(&unactivated.access)).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
    }
    t.post("/api/auth/logout", json!({}), Some(&u.access)).await.assert(200, None);
    for (method, path, body) in &routes {
        t.call(method, path, body.clone(), Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    }
    let fresh = relogin(&t, &u).await;
    t.get(&format!("/api/uploads/{id}"), Some(&fresh)).await.assert(200, None);
}

// ---- purge support: stale pending uploads ------------------------------------------------------------

#[tokio::test]
async fn pending_uploads_older_than_a_day_are_released_with_their_objects() {
    use accounts_core::services::uploads::release_stale_pending;
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let abandoned = start(&t, &u.access, "never-sent.bin", "application/octet-stream", 100).await.data()["id"].as_str().unwrap().to_owned();
    let sent = start(&t, &u.access, "sent-not-completed.bin", "application/octet-stream", 3).await;
    assert_eq!(put_bytes(sent.data(), vec![1, 2, 3]).await, 200);
    let sent = sent.data()["id"].as_str().unwrap().to_owned();
    let done = upload_file(&t, &u.access, "done.txt", "text/plain", vec![9; 4]).await;
    t.clock.advance(time::Duration::hours(23));
    let access = relogin(&t, &u).await;
    let young = start(&t, &access, "young.bin", "application/octet-stream", 50).await.data()["id"].as_str().unwrap().to_owned();
    t.clock.advance(time::Duration::hours(1) + time::Duration::seconds(1));

    let page = release_stale_pending(&t.app, None, 10).await.unwrap();
    assert_eq!((page.released, page.skipped, page.next), (2, 0, None));
    let access = relogin(&t, &u).await;
    for gone in [&abandoned, &sent] {
        t.get(&format!("/api/uploads/{gone}"), Some(&access)).await.assert(404, Some("NOT_FOUND"));
    }
    assert!(t.app.objects.head(&format!("uploads/{}/{sent}", u.id)).await.unwrap().is_none(), "the object sent is deleted too");
    t.get(&format!("/api/uploads/{done}"), Some(&access)).await.assert(200, None);
    t.get(&format!("/api/uploads/{young}"), Some(&access)).await.assert(200, None);
    assert_eq!(user_number(&t, &u.id, "storageCommitted").await, 4 + 50, "reservations released");
    assert_eq!(user_number(&t, &u.id, "uploadsCommitted").await, 2);
    assert_eq!(user_number(&t, &u.id, "storageUsed").await, 4);

    let again = release_stale_pending(&t.app, None, 10).await.unwrap();
    assert_eq!((again.released, again.skipped), (0, 0), "a second run finds nothing");
}

#[tokio::test]
async fn the_stale_pending_listing_pages_oldest_first_and_release_checks_the_record_again() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(start(&t, &u.access, &format!("{i}.bin"), "application/octet-stream", 10).await.data()["id"].as_str().unwrap().to_owned());
        t.clock.advance(time::Duration::seconds(1));
    }
    let cutoff = t.clock.now_unix();
    let (first, more) = t.app.store.list_stale_pending_uploads(cutoff, None, 2).await.unwrap();
    assert!(more);
    assert_eq!(first.iter().map(|s| s.upload_id.to_string()).collect::<Vec<_>>(), ids[..2]);
    assert_eq!(first[0].object_key, format!("uploads/{}/{}", u.id, ids[0]));
    assert_eq!(first[0].user_id, UserId::parse(&u.id).unwrap());
    let (second, _) = t.app.store.list_stale_pending_uploads(cutoff, first.last(), 2).await.unwrap();
    assert_eq!(second.iter().map(|s| s.upload_id.to_string()).collect::<Vec<_>>(), ids[2..]);
    let (none, more) = t.app.store.list_stale_pending_uploads(cutoff - 3, None, 10).await.unwrap();
    assert!(none.is_empty() && !more, "nothing older than the cutoff");

    // Completed meanwhile: the release leaves it alone.
    t.app
        .s3
        .put_object()
        .bucket(&t.bucket)
        .key(&first[0].object_key)
        .content_type("application/octet-stream")
        .body(vec![0; 10].into())
        .send()
        .await
        .unwrap();
    t.post(&format!("/api/uploads/{}/complete", ids[0]), json!({}), Some(&u.access)).await.assert(200, None);
    assert!(!t.app.store.release_pending_upload(&first[0]).await.unwrap(), "completed: not released");
    assert!(t.app.store.release_pending_upload(&first[1]).await.unwrap());
    assert!(!t.app.store.release_pending_upload(&first[1]).await.unwrap(), "idempotent");
    assert_eq!(user_number(&t, &u.id, "storageCommitted").await, 20);
    assert_eq!(user_number(&t, &u.id, "uploadsCommitted").await, 2);
}
