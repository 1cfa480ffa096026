//! `/api/users/me/settings` and the public profile `GET /api/users/{id}`.

use crate::helpers::TestApp;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

fn defaults() -> Value {
    json!({
        "notifications": {"email": true, "push": false, "uploads": true, "sharing": true, "storage": true, "security": true, "marketing": false},
        "privacy": {"publicProfile": false, "showActivity": false, "allowIndexing": false},
        "app": {"autoUpload": false, "compressionEnabled": true, "thumbnailGeneration": true, "defaultFolder": "/uploads"},
    })
}

fn without_time(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("updatedAt");
    v
}

#[tokio::test]
async fn a_new_account_has_the_documented_default_settings() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = t.get("/api/users/me/settings", Some(&u.access)).await;
    r.assert(200, None);
    assert_eq!(without_time(r.data().clone()), defaults());
    assert!(r.data()["updatedAt"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn put_merges_only_the_fields_sent_and_stamps_the_time() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let before = t.get("/api/users/me/settings", Some(&u.access)).await.data()["updatedAt"].clone();
    t.clock.advance(time::Duration::minutes(5));
    let r = t
        .call(
            "PUT",
            "/api/users/me/settings",
            Some(json!({"notifications": {"marketing": true}, "privacy": {"publicProfile": true}, "app": {"defaultFolder": "/photos"}})),
            Some(&u.access),
        )
        .await;
    r.assert(200, None);
    assert_eq!(r.body["message"], "Settings updated successfully");
    let mut expected = defaults();
    expected["notifications"]["marketing"] = json!(true);
    expected["privacy"]["publicProfile"] = json!(true);
    expected["app"]["defaultFolder"] = json!("/photos");
    assert_eq!(without_time(r.data().clone()), expected);
    assert_ne!(r.data()["updatedAt"], before);

    // A second partial change keeps the first one; PATCH does the same as PUT.
    let r = t.call("PATCH", "/api/users/me/settings", Some(json!({"app": {"autoUpload": true}})), Some(&u.access)).await;
    r.assert(200, None);
    expected["app"]["autoUpload"] = json!(true);
    assert_eq!(without_time(r.data().clone()), expected);
    let stored = t.get("/api/users/me/settings", Some(&u.access)).await;
    assert_eq!(without_time(stored.data().clone()), expected, "the change was stored");
    // An empty change writes nothing and answers the settings as they are.
    let r = t.call("PUT", "/api/users/me/settings", Some(json!({})), Some(&u.access)).await;
    assert_eq!(r.data(), stored.data());
}

#[tokio::test]
async fn unknown_keys_and_bad_values_are_refused_and_change_nothing() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    for body in [
        json!({"theme": "dark"}),
        json!({"privacy": {"publicProfile": true, "admin": true}}),
        json!({"notifications": {"sms": true}}),
        json!({"app": {"defaultFolder": "no-slash"}}),
        json!({"app": {"defaultFolder": "/a/../../etc"}}),
    ] {
        t.call("PUT", "/api/users/me/settings", Some(body.clone()), Some(&u.access)).await.assert(400, Some("VALIDATION_FAILED"));
    }
    t.call("PUT", "/api/users/me/settings", Some(json!({"privacy": {"publicProfile": "yes"}})), Some(&u.access))
        .await
        .assert(400, Some("INVALID_JSON"));
    let r = t.get("/api/users/me/settings", Some(&u.access)).await;
    assert_eq!(without_time(r.data().clone()), defaults());
}

#[tokio::test]
async fn settings_need_an_activated_live_session() {
    let t = TestApp::spawn().await;
    t.get("/api/users/me/settings", None).await.assert(401, Some("UNAUTHENTICATED"));
    t.call("PUT", "/api/users/me/settings", Some(json!({})), None).await.assert(401, Some("UNAUTHENTICATED"));
    let fresh = t.unactivated_user().await;
    t.get("/api/users/me/settings", Some(&fresh.access)).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
    let u = t.user().await;
    t.post("/api/auth/logout", json!({}), Some(&u.access)).await.assert(200, None);
    t.get("/api/users/me/settings", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    let body = json!({"privacy": {"publicProfile": true}});
    t.call("PUT", "/api/users/me/settings", Some(body), Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn an_account_stored_before_settings_existed_reads_defaults_and_can_change_them() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    t.dynamo
        .update_item()
        .table_name(&t.table)
        .key("pk", AttributeValue::S(format!("USER#{}", u.id)))
        .key("sk", AttributeValue::S("PROFILE".into()))
        .update_expression("REMOVE settings")
        .send()
        .await
        .unwrap();
    let r = t.get("/api/users/me/settings", Some(&u.access)).await;
    assert_eq!(without_time(r.data().clone()), defaults());
    let r = t.call("PUT", "/api/users/me/settings", Some(json!({"privacy": {"showActivity": true}})), Some(&u.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["privacy"]["showActivity"], true);
    let r = t.call("PUT", "/api/users/me/settings", Some(json!({"privacy": {"allowIndexing": true}})), Some(&u.access)).await;
    assert_eq!(r.data()["privacy"], json!({"publicProfile": false, "showActivity": true, "allowIndexing": true}));
}

#[tokio::test]
async fn a_profile_is_public_only_when_its_owner_says_so_and_shows_only_public_fields() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let viewer = t.user().await;
    let path = format!("/api/users/{}", u.id);
    t.call("PATCH", "/api/users/me", Some(json!({"name": "Ada Lovelace", "bio": "Analyst", "location": "London"})), Some(&u.access))
        .await
        .assert(200, None);

    // Private by default: the same answer as for no such user.
    t.get(&path, None).await.assert(404, Some("USER_NOT_FOUND"));
    t.get(&path, Some(&viewer.access)).await.assert(404, Some("USER_NOT_FOUND"));

    let on = json!({"privacy": {"publicProfile": true}});
    t.call("PUT", "/api/users/me/settings", Some(on), Some(&u.access)).await.assert(200, None);
    let r = t.get(&path, None).await;
    r.assert(200, None);
    let d = r.data().as_object().unwrap();
    let mut keys: Vec<&str> = d.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["avatarUrl", "bio", "createdAt", "id", "location", "name", "username", "website"]);
    assert_eq!(d["name"], "Ada Lovelace");
    assert_eq!(d["username"], u.username.as_str());
    let text = r.body.to_string();
    assert!(!text.contains(&u.email) && !text.contains("settings") && !text.contains("stats"), "{text}");

    let off = json!({"privacy": {"publicProfile": false}});
    t.call("PUT", "/api/users/me/settings", Some(off), Some(&u.access)).await.assert(200, None);
    t.get(&path, None).await.assert(404, Some("USER_NOT_FOUND"));
}

#[tokio::test]
async fn public_profiles_of_unknown_malformed_or_banned_users_are_not_found() {
    let t = TestApp::spawn().await;
    t.get(&format!("/api/users/usr_{}", ulid::Ulid::new()), None).await.assert(404, Some("USER_NOT_FOUND"));
    t.get("/api/users/robert%27%29%3B%20DROP%20TABLE%20users%3B--", None).await.assert(404, Some("USER_NOT_FOUND"));
    let u = t.user().await;
    t.call("PUT", "/api/users/me/settings", Some(json!({"privacy": {"publicProfile": true}})), Some(&u.access)).await.assert(200, None);
    t.get(&format!("/api/users/{}", u.id), None).await.assert(200, None);
    t.set_user_attr(&u.id, "banned", AttributeValue::Bool(true)).await;
    t.get(&format!("/api/users/{}", u.id), None).await.assert(404, Some("USER_NOT_FOUND"));
}
