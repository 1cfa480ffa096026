//! `/api/users/me`: reading and editing one's own profile.

use crate::helpers::TestApp;
use serde_json::json;

#[tokio::test]
async fn me_returns_the_whole_profile_shape() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = t.get("/api/users/me", Some(&u.access)).await;
    r.assert(200, None);
    let d = r.data();
    for field in [
        "id",
        "username",
        "email",
        "name",
        "bio",
        "location",
        "website",
        "avatarUrl",
        "role",
        "plan",
        "emailVerified",
        "mfaEnabled",
        "preferences",
        "stats",
        "createdAt",
        "updatedAt",
    ] {
        assert!(d.get(field).is_some(), "missing {field} in {d}");
    }
    assert_eq!(d["emailVerified"], true);
    assert_eq!(d["plan"], "FREE");
    assert_eq!(d["preferences"], json!({"theme": "auto", "language": "en", "timezone": "UTC"}));
    for field in ["uploadsCount", "storageUsed", "storageLimit", "lastLoginAt"] {
        assert!(d["stats"].get(field).is_some(), "missing stats.{field}");
    }
}

#[tokio::test]
async fn patch_and_put_change_only_the_fields_sent() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = t.call("PATCH", "/api/users/me", Some(json!({"name": "Ada Lovelace", "bio": "Analyst", "preferences": {"theme": "dark", "language": "es", "timezone": "Europe/Madrid"}})), Some(&u.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["name"], "Ada Lovelace");
    assert_eq!(r.data()["preferences"], json!({"theme": "dark", "language": "es", "timezone": "Europe/Madrid"}));
    let r = t
        .call(
            "PUT",
            "/api/users/me",
            Some(json!({"location": "London", "website": "https://ada.example.com", "preferences": {"theme": "light"}})),
            Some(&u.access),
        )
        .await;
    r.assert(200, None);
    assert_eq!(r.data()["name"], "Ada Lovelace", "absent fields stay");
    assert_eq!(r.data()["location"], "London");
    assert_eq!(r.data()["preferences"]["language"], "es", "absent preferences stay");
    assert_eq!(r.data()["preferences"]["theme"], "light");
    let r = t.call("PATCH", "/api/users/me", Some(json!({"bio": null})), Some(&u.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["bio"], serde_json::Value::Null, "null clears");
    let again = t.get("/api/users/me", Some(&u.access)).await;
    assert_eq!(again.data()["location"], "London", "the change was stored");
}

#[tokio::test]
async fn a_profile_update_reports_every_invalid_field_and_changes_nothing() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = t
        .call(
            "PATCH",
            "/api/users/me",
            Some(json!({"name": "A", "website": "ftp://x", "preferences": {"theme": "neon", "timezone": "Mars/Base"}})),
            Some(&u.access),
        )
        .await;
    r.assert(400, Some("VALIDATION_FAILED"));
    let fields: Vec<&str> = r.body["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "website", "preferences.theme", "preferences.timezone"]);
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["name"], serde_json::Value::Null);
}

#[tokio::test]
async fn self_service_cannot_set_role_verification_or_email() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    for body in [
        json!({"role": "admin"}),
        json!({"emailVerified": true}),
        json!({"email": "x@example.com"}),
        json!({"preferences": {"admin": true}}),
    ] {
        t.call("PATCH", "/api/users/me", Some(body), Some(&u.access)).await.assert(400, Some("VALIDATION_FAILED"));
    }
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["role"], "user");
}

#[tokio::test]
async fn the_profile_needs_a_live_session() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    t.get("/api/users/me", None).await.assert(401, Some("UNAUTHENTICATED"));
    t.call("PATCH", "/api/users/me", Some(json!({"bio": "x"})), None).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/logout", json!({}), Some(&u.access)).await.assert(200, None);
    t.get("/api/users/me", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.call("PATCH", "/api/users/me", Some(json!({"bio": "x"})), Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn a_token_of_another_deployment_is_refused() {
    let t = TestApp::spawn().await;
    let other = TestApp::spawn_with(|c| c.jwt_issuer = "someone-else".into()).await;
    let u = other.user().await;
    t.get("/api/users/me", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
}

#[tokio::test]
async fn the_app_reaches_its_own_bucket_through_path_style_s3() {
    let t = TestApp::spawn().await;
    assert_eq!(t.app.config.bucket_name, t.bucket);
    t.app.s3.head_bucket().bucket(&t.bucket).send().await.unwrap();
}
