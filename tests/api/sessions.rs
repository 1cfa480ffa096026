//! `GET /api/users/me/sessions` and `DELETE /api/users/me/sessions/{id}`.

use crate::helpers::{PASSWORD, TestApp};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;

#[tokio::test]
async fn sessions_list_every_login_and_mark_the_current_one() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    t.clock.advance(time::Duration::seconds(5));
    let other = t.login(&u.username, PASSWORD).await;
    other.assert(200, None);
    let r = t.get("/api/users/me/sessions", Some(&u.access)).await;
    r.assert(200, None);
    let list = r.data().as_array().unwrap();
    assert_eq!(list.len(), 2);
    for s in list {
        let mut keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["createdAt", "current", "id", "ip", "lastUsedAt", "userAgent"]);
        assert!(s["id"].as_str().unwrap().starts_with("ses_"));
    }
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    assert_eq!(list[0]["current"], false, "most recently used first");
    // Another user sees only their own.
    let stranger = t.user().await;
    assert_eq!(t.get("/api/users/me/sessions", Some(&stranger.access)).await.data().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn revoking_a_session_ends_its_access_and_refresh_tokens_at_once() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let other = t.login(&u.username, PASSWORD).await;
    let (access, refresh) =
        (other.data()["accessToken"].as_str().unwrap().to_owned(), other.data()["refreshToken"].as_str().unwrap().to_owned());
    let list = t.get("/api/users/me/sessions", Some(&u.access)).await;
    let target = list.data().as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();

    t.call("DELETE", &format!("/api/users/me/sessions/{target}"), None, Some(&u.access)).await.assert(204, None);
    t.get("/api/users/me", Some(&access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/refresh", json!({"refreshToken": refresh}), None).await.assert(401, Some("UNAUTHENTICATED"));
    t.get("/api/users/me", Some(&u.access)).await.assert(200, None);
    assert_eq!(t.get("/api/users/me/sessions", Some(&u.access)).await.data().as_array().unwrap().len(), 1);
    t.call("DELETE", &format!("/api/users/me/sessions/{target}"), None, Some(&u.access)).await.assert(404, Some("NOT_FOUND"));

    let revoked = t.all_items().await.into_iter().any(|i| {
        i.get("kind") == Some(&AttributeValue::S("session.revoked".into())) && i.get("detail") == Some(&AttributeValue::S(target.clone()))
    });
    assert!(revoked, "the revocation is in the activity log");
}

#[tokio::test]
async fn nobody_sees_or_ends_another_users_session() {
    let t = TestApp::spawn().await;
    let victim = t.user().await;
    let attacker = t.user().await;
    let victim_session = t.get("/api/users/me/sessions", Some(&victim.access)).await.data()[0]["id"].as_str().unwrap().to_owned();
    let r = t.call("DELETE", &format!("/api/users/me/sessions/{victim_session}"), None, Some(&attacker.access)).await;
    r.assert(404, Some("NOT_FOUND"));
    t.get("/api/users/me", Some(&victim.access)).await.assert(200, None);
    for bad in ["ses_nope".to_owned(), format!("ses_{}", ulid::Ulid::new()), victim.id.clone()] {
        t.call("DELETE", &format!("/api/users/me/sessions/{bad}"), None, Some(&attacker.access)).await.assert(404, Some("NOT_FOUND"));
    }
}

#[tokio::test]
async fn sessions_need_an_activated_live_session() {
    let t = TestApp::spawn().await;
    let some_id = format!("/api/users/me/sessions/ses_{}", ulid::Ulid::new());
    t.get("/api/users/me/sessions", None).await.assert(401, Some("UNAUTHENTICATED"));
    t.call("DELETE", &some_id, None, None).await.assert(401, Some("UNAUTHENTICATED"));
    let fresh = t.unactivated_user().await;
    t.get("/api/users/me/sessions", Some(&fresh.access)).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
    let u = t.user().await;
    t.post("/api/auth/logout", json!({}), Some(&u.access)).await.assert(200, None);
    t.get("/api/users/me/sessions", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.call("DELETE", &some_id, None, Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
}
