//! `/api/api-keys*` and key authentication on other functions' routes.

use crate::helpers::{TestApp, TestUser};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

async fn create_key(t: &TestApp, u: &TestUser, body: Value) -> Value {
    let r = t.post("/api/api-keys", body, Some(&u.access)).await;
    r.assert(201, None);
    r.data().clone()
}

#[tokio::test]
async fn a_key_is_shown_once_listed_without_its_secret_and_revoked_at_once() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = t.post("/api/api-keys", json!({"name": "ci", "expiresIn": "30d"}), Some(&u.access)).await;
    r.assert(201, None);
    assert_eq!(r.headers["cache-control"], "no-store");
    let key = r.data().clone();
    let secret = key["keySecret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("uk_") && secret.len() >= 35, "{secret}");
    assert!(key["id"].as_str().unwrap().starts_with("key_"));
    assert_eq!(key["scopes"], json!(["read"]));
    assert_eq!(key["status"], "active");
    assert!(secret.starts_with(key["prefix"].as_str().unwrap()));
    assert!(key["expiresAt"].as_str().unwrap().ends_with('Z'));
    let (subject, _) = t.last_mail(&u.email).await;
    assert_eq!(subject, "A new API key was created");

    let list = t.get("/api/api-keys", Some(&u.access)).await;
    list.assert(200, None);
    assert_eq!(list.data().as_array().unwrap().len(), 1);
    for field in ["id", "name", "prefix", "scopes", "createdAt", "lastUsedAt", "expiresAt", "status"] {
        assert!(list.data()[0].get(field).is_some(), "missing {field}");
    }
    assert!(!list.body.to_string().contains(&secret), "the secret is never listed");
    assert!(!format!("{:?}", t.all_items().await).contains(&secret), "the secret is stored only as a hash");

    // The key works in another function, by header or as a bearer token.
    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(200, None);
    t.get("/api/users/me", Some(&secret)).await.assert(200, None);

    let id = key["id"].as_str().unwrap();
    let del = t.call("DELETE", &format!("/api/api-keys/{id}"), None, Some(&u.access)).await;
    del.assert(204, None);
    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(401, Some("UNAUTHENTICATED"));
    assert_eq!(t.get("/api/api-keys", Some(&u.access)).await.data()[0]["status"], "revoked");
    t.call("DELETE", &format!("/api/api-keys/{id}"), None, Some(&u.access)).await.assert(204, None);
}

#[tokio::test]
async fn creating_a_key_validates_every_field() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = t.post("/api/api-keys", json!({"expiresIn": "forever", "scopes": ["admin"]}), Some(&u.access)).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    let fields: Vec<&str> = r.body["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "scopes", "expiresIn"]);
    for bad in [json!("0d"), json!(10), json!("400d"), json!(true)] {
        t.post("/api/api-keys", json!({"name": "x", "expiresIn": bad}), Some(&u.access)).await.assert(400, Some("VALIDATION_FAILED"));
    }
    t.post("/api/api-keys", json!({"name": "x", "owner": "usr_x"}), Some(&u.access)).await.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(t.get("/api/api-keys", Some(&u.access)).await.data().as_array().unwrap().len(), 0, "nothing was created");
}

#[tokio::test]
async fn an_expiry_ending_in_a_multibyte_character_is_a_validation_error_not_a_panic() {
    // Issue 22 finding 1: `"1€"` made `split_at` panic on a byte index inside the `€`.
    let t = TestApp::spawn().await;
    let u = t.user().await;
    for bad in ["1€", "€", "30ч", "1\u{1F600}"] {
        let r = t.post("/api/api-keys", json!({"name": "x", "expiresIn": bad}), Some(&u.access)).await;
        r.assert(400, Some("VALIDATION_FAILED"));
        assert_eq!(r.body["details"][0]["field"], "expiresIn", "{bad}");
    }
    assert_eq!(t.get("/api/api-keys", Some(&u.access)).await.data().as_array().unwrap().len(), 0, "nothing was created");
}

#[tokio::test]
async fn scopes_decide_what_a_key_reaches() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let read = create_key(&t, &u, json!({"name": "r", "scopes": ["read"]})).await["keySecret"].as_str().unwrap().to_owned();
    let write = create_key(&t, &u, json!({"name": "w", "scopes": ["write"]})).await["keySecret"].as_str().unwrap().to_owned();
    let both = create_key(&t, &u, json!({"name": "rw", "scopes": ["read", "write"]})).await["keySecret"].as_str().unwrap().to_owned();
    t.call_with_key("GET", "/api/users/me", None, &read).await.assert(200, None);
    t.call_with_key("PATCH", "/api/users/me", Some(json!({"bio": "x"})), &read).await.assert(403, Some("SCOPE_REQUIRED"));
    t.call_with_key("PATCH", "/api/users/me", Some(json!({"bio": "by key"})), &write).await.assert(200, None);
    t.call_with_key("GET", "/api/users/me", None, &write).await.assert(403, Some("SCOPE_REQUIRED"));
    t.call_with_key("GET", "/api/users/me", None, &both).await.assert(200, None);
    // Never with a key, whatever its scopes: keys, MFA, sessions.
    for (method, path, body) in [
        ("GET", "/api/api-keys", None),
        ("POST", "/api/api-keys", Some(json!({"name": "x"}))),
        ("DELETE", "/api/api-keys/key_01HZY8J6W8K1M2N3P4Q5R6S7T8", None),
        ("POST", "/api/users/me/mfa/totp", Some(json!({"password": "x"}))),
        ("DELETE", "/api/users/me/mfa", Some(json!({"password": "x", "code": "123456"}))),
        ("POST", "/api/auth/logout", Some(json!({}))),
        ("POST", "/api/auth/logout-all", Some(json!({}))),
        ("GET", "/api/auth/status", None),
    ] {
        t.call_with_key(method, path, body, &both).await.assert(403, Some("SCOPE_REQUIRED"));
    }
}

#[tokio::test]
async fn an_expired_key_is_refused_logged_and_frees_its_slot() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let key = create_key(&t, &u, json!({"name": "short", "expiresIn": "24h"})).await;
    let secret = key["keySecret"].as_str().unwrap();
    t.call_with_key("GET", "/api/users/me", None, secret).await.assert(200, None);
    t.clock.advance(time::Duration::hours(24));
    t.call_with_key("GET", "/api/users/me", None, secret).await.assert(401, Some("UNAUTHENTICATED"));
    let kinds: Vec<String> = t.all_items().await.iter().filter_map(|i| i.get("kind").and_then(|k| k.as_s().ok()).cloned()).collect();
    assert!(kinds.contains(&"apikey.expired_use".to_owned()), "{kinds:?}");
    // Re-log in (the access token expired with the clock) and see the key listed as expired.
    let access = t.login(&u.username, crate::helpers::PASSWORD).await.data()["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(t.get("/api/api-keys", Some(&access)).await.data()[0]["status"], "expired");
}

#[tokio::test]
async fn at_most_ten_active_keys_and_expired_or_revoked_ones_do_not_count() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut ids = Vec::new();
    for i in 0..9 {
        ids.push(create_key(&t, &u, json!({"name": format!("k{i}")})).await["id"].as_str().unwrap().to_owned());
    }
    create_key(&t, &u, json!({"name": "short", "expiresIn": 3600})).await;
    let r = t.post("/api/api-keys", json!({"name": "eleventh"}), Some(&u.access)).await;
    r.assert(429, Some("SUBSCRIPTION_LIMIT_EXCEEDED"));
    t.call("DELETE", &format!("/api/api-keys/{}", ids[0]), None, Some(&u.access)).await.assert(204, None);
    create_key(&t, &u, json!({"name": "replacement"})).await;
    t.post("/api/api-keys", json!({"name": "twelfth"}), Some(&u.access)).await.assert(429, Some("SUBSCRIPTION_LIMIT_EXCEEDED"));
    // The short-lived key expires: its slot comes back without anyone using it.
    t.clock.advance(time::Duration::seconds(3601));
    let access = t.login(&u.username, crate::helpers::PASSWORD).await.data()["accessToken"].as_str().unwrap().to_owned();
    t.post("/api/api-keys", json!({"name": "after expiry"}), Some(&access)).await.assert(201, None);
}

#[tokio::test]
async fn ten_parallel_creations_at_nine_keys_make_exactly_one_more() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    for i in 0..9 {
        create_key(&t, &u, json!({"name": format!("k{i}")})).await;
    }
    // The requests run concurrently here; the emulator executes their calls one at a time, as
    // DynamoDB serialises writes to one item (moto's conditions are not atomic under load).
    let router = accounts_core::api::api_keys::router(crate::serial::serial_app(&t).await);
    let attempts =
        (0..10).map(|i| {
            let (router, u) = (&router, &u);
            async move {
                crate::serial::call(router, "POST", "/api/api-keys", Some(json!({"name": format!("race{i}")})), &u.access).await.status
            }
        });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 9, "{statuses:?}");
}

#[tokio::test]
async fn a_banned_or_deleted_owner_s_keys_stop_at_once() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let secret = create_key(&t, &u, json!({"name": "k"})).await["keySecret"].as_str().unwrap().to_owned();
    t.set_user_attr(&u.id, "banned", AttributeValue::Bool(true)).await;
    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(403, Some("ACCOUNT_BANNED"));
    t.set_user_attr(&u.id, "banned", AttributeValue::Bool(false)).await;
    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(200, None);
    t.set_user_attr(&u.id, "deletionScheduledAt", AttributeValue::N(t.app.now().to_string())).await;
    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(403, Some("ACCOUNT_PENDING_DELETION"));
}

#[tokio::test]
async fn keys_of_others_unknown_and_forged_keys_are_refused() {
    let t = TestApp::spawn().await;
    let alice = t.user().await;
    let bob = t.user().await;
    let key = create_key(&t, &alice, json!({"name": "alice's"})).await;
    let id = key["id"].as_str().unwrap();
    t.call("DELETE", &format!("/api/api-keys/{id}"), None, Some(&bob.access)).await.assert(404, Some("NOT_FOUND"));
    t.call("DELETE", "/api/api-keys/key_01HZY8J6W8K1M2N3P4Q5R6S7T8", None, Some(&bob.access)).await.assert(404, Some("NOT_FOUND"));
    t.call("DELETE", "/api/api-keys/nonsense", None, Some(&bob.access)).await.assert(404, Some("NOT_FOUND"));
    assert_eq!(t.get("/api/api-keys", Some(&bob.access)).await.data().as_array().unwrap().len(), 0);
    t.call_with_key("GET", "/api/users/me", None, "uk_forged").await.assert(401, Some("UNAUTHENTICATED"));
    t.get("/api/api-keys", None).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/logout", json!({}), Some(&alice.access)).await.assert(200, None);
    t.get("/api/api-keys", Some(&alice.access)).await.assert(401, Some("UNAUTHENTICATED"));
    let pending = t.unactivated_user().await;
    t.get("/api/api-keys", Some(&pending.access)).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
}

#[tokio::test]
async fn last_used_is_recorded_at_most_once_a_minute() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let secret = create_key(&t, &u, json!({"name": "k"})).await["keySecret"].as_str().unwrap().to_owned();
    let first_use = t.app.now();
    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(200, None);
    async fn last_used(t: &TestApp) -> Option<i64> {
        let items = t.all_items().await;
        items
            .iter()
            .find(|i| i["sk"].as_s().unwrap() == "APIKEY")
            .and_then(|i| i.get("lastUsedAt"))
            .map(|v| v.as_n().unwrap().parse::<i64>().unwrap())
    }
    assert_eq!(last_used(&t).await, Some(first_use));
    t.clock.advance(time::Duration::seconds(30));
    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(200, None);
    assert_eq!(last_used(&t).await, Some(first_use), "no write within a minute");
    t.clock.advance(time::Duration::seconds(31));
    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(200, None);
    assert_eq!(last_used(&t).await, Some(first_use + 61));
}

#[tokio::test]
async fn key_requests_count_against_the_plans_monthly_limit() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let secret = create_key(&t, &u, json!({"name": "busy", "scopes": ["read"]})).await["keySecret"].as_str().unwrap().to_owned();
    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(200, None);
    // Bring this month's count to one short of FREE's 1 000 requests.
    let (month, _) = accounts_core::services::billing::month_window(t.app.clock.now());
    t.dynamo
        .update_item()
        .table_name(&t.table)
        .key("pk", AttributeValue::S(format!("USER#{}", u.id)))
        .key("sk", AttributeValue::S(format!("APIREQ#{month}")))
        .update_expression("SET #c = :c")
        .expression_attribute_names("#c", "count")
        .expression_attribute_values(":c", AttributeValue::N("999".into()))
        .send()
        .await
        .unwrap();
    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(200, None);
    let over = t.call_with_key("GET", "/api/users/me", None, &secret).await;
    over.assert(429, Some("SUBSCRIPTION_LIMIT_EXCEEDED"));
    assert!(over.headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 0);
    // Sessions are not metered; a refused key request did not count.
    t.get("/api/users/me", Some(&u.access)).await.assert(200, None);
    // A request refused for its scope is not counted either (nor served).
    t.call_with_key("PATCH", "/api/users/me", Some(json!({"bio": "x"})), &secret).await.assert(403, Some("SCOPE_REQUIRED"));
}

#[tokio::test]
async fn keys_reach_settings_and_avatar_by_scope_but_never_password_email_or_sessions() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let read = create_key(&t, &u, json!({"name": "r", "scopes": ["read"]})).await["keySecret"].as_str().unwrap().to_owned();
    let write = create_key(&t, &u, json!({"name": "w", "scopes": ["write"]})).await["keySecret"].as_str().unwrap().to_owned();
    t.call_with_key("GET", "/api/users/me/settings", None, &read).await.assert(200, None);
    let change = json!({"privacy": {"publicProfile": true}});
    t.call_with_key("PUT", "/api/users/me/settings", Some(change.clone()), &read).await.assert(403, Some("SCOPE_REQUIRED"));
    t.call_with_key("PUT", "/api/users/me/settings", Some(change), &write).await.assert(200, None);
    t.call_with_key("DELETE", "/api/users/me/avatar", None, &read).await.assert(403, Some("SCOPE_REQUIRED"));
    t.call_with_key("DELETE", "/api/users/me/avatar", None, &write).await.assert(204, None);
    for (method, path, body) in [
        ("PUT", "/api/users/me/password", Some(json!({"currentPassword": "x", "newPassword": "y", "confirmPassword": "y"}))),
        ("POST", "/api/users/me/email", Some(json!({"newEmail": "new@example.com", "password": "x"}))),
        ("GET", "/api/users/me/sessions", None),
        ("DELETE", "/api/users/me/sessions/ses_01HZY8J6W8K1M2N3P4Q5R6S7T8", None),
    ] {
        for key in [&read, &write] {
            t.call_with_key(method, path, body.clone(), key).await.assert(403, Some("SCOPE_REQUIRED"));
        }
    }
}
