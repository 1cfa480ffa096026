//! `/api/plans`, `/api/subscription`: plan changes through the sandbox provider (success,
//! decline, customer action), prorations, downgrades over the limits, cancellation at period
//! end, plan limits where resources are used, and the monthly API request counter.

use crate::helpers::{Resp, TestApp};
use crate::uploads::{GIB, relogin, start};
use accounts_core::clock::Clock;
use accounts_core::domain::UserId;
use accounts_core::error::Error;
use accounts_core::services::authn::count_api_request;
use accounts_core::services::billing::month_window;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::StreamExt as _;
use serde_json::{Value, json};

fn subscribe(t: &TestApp, token: &str, body: Value) -> impl std::future::Future<Output = Resp> {
    t.call("POST", "/api/subscription", Some(body), Some(token))
}

async fn change(t: &TestApp, token: &str, body: Value) -> Resp {
    t.call("PUT", "/api/subscription", Some(body), Some(token)).await
}

async fn plan_of(t: &TestApp, token: &str) -> String {
    t.get("/api/users/me", Some(token)).await.data()["plan"].as_str().unwrap().to_owned()
}

fn unix(v: &Value) -> i64 {
    time::OffsetDateTime::parse(v.as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap().unix_timestamp()
}

fn fields(r: &Resp) -> Vec<String> {
    r.body["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap().to_owned()).collect()
}

// ---- plans ---------------------------------------------------------------------------------------

#[tokio::test]
async fn plans_are_public_with_prices_and_limits_where_minus_one_is_unlimited() {
    let t = TestApp::spawn().await;
    let r = t.get("/api/plans", None).await;
    r.assert(200, None);
    let plans = r.data().as_array().unwrap();
    assert_eq!(plans.iter().map(|p| p["id"].as_str().unwrap()).collect::<Vec<_>>(), ["FREE", "PREMIUM", "ENTERPRISE"]);
    assert_eq!(plans[0]["price"], 0.0);
    assert_eq!(plans[0]["limits"], json!({"storageBytes": GIB, "uploads": 1000, "apiKeys": 10, "apiRequestsPerMonth": 1000}));
    assert_eq!(plans[1]["price"], 29.99);
    assert_eq!(plans[1]["currency"], "USD");
    assert_eq!(plans[1]["interval"], "month");
    assert_eq!(plans[1]["limits"]["uploads"], -1);
    assert_eq!(plans[2]["limits"]["storageBytes"], -1);
    assert_eq!(plans[2]["limits"]["apiRequestsPerMonth"], -1);
    assert!(plans[1]["features"].as_array().unwrap().iter().any(|f| f == "Animated avatars"));
    t.post("/api/plans", json!({}), None).await.assert(405, None);
}

// ---- subscribing ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_free_account_sees_the_free_plan_and_its_usage() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = t.get("/api/subscription", Some(&u.access)).await;
    r.assert(200, None);
    let d = r.data();
    assert_eq!(d["id"], Value::Null);
    assert_eq!(d["type"], "FREE");
    assert_eq!(d["status"], "ACTIVE");
    assert_eq!(d["effectivePlan"], "FREE");
    assert_eq!(d["nextBilling"], Value::Null);
    assert_eq!(d["usage"]["storageLimit"], GIB);
    assert_eq!(d["usage"]["apiRequestsUsed"], 0);
    assert_eq!(d["usage"]["apiRequestsLimit"], 1000);
    let (_, reset) = month_window(t.clock.now());
    assert_eq!(unix(&d["usage"]["resetDate"]), reset.unix_timestamp());
}

#[tokio::test]
async fn subscribing_with_a_working_card_and_a_coupon_switches_the_plan() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let now = t.clock.now_unix();
    let r = subscribe(&t, &u.access, json!({"planId": "premium", "paymentMethodId": "pm_card_visa", "couponCode": "welcome20"})).await;
    r.assert(201, None);
    assert!(r.data()["subscriptionId"].as_str().unwrap().starts_with("sub_"));
    assert_eq!(r.data()["status"], "ACTIVE");
    assert_eq!(r.data()["plan"], "PREMIUM");
    assert_eq!(r.data()["requiresAction"], false);
    assert_eq!(r.data()["clientSecret"], Value::Null);
    assert_eq!(r.data()["amount"], 23.99, "29.99 less 20%");

    assert_eq!(plan_of(&t, &u.access).await, "PREMIUM");
    let me = t.get("/api/users/me", Some(&u.access)).await;
    assert_eq!(me.data()["stats"]["storageLimit"], 100 * GIB);
    let d = t.get("/api/subscription", Some(&u.access)).await.data().clone();
    assert_eq!(d["id"], r.data()["subscriptionId"]);
    assert_eq!((d["type"].as_str(), d["status"].as_str(), d["effectivePlan"].as_str()), (Some("PREMIUM"), Some("ACTIVE"), Some("PREMIUM")));
    assert_eq!(unix(&d["currentPeriodStart"]), now);
    let end = unix(&d["currentPeriodEnd"]);
    assert!((28 * 86_400..=31 * 86_400).contains(&(end - now)), "one calendar month");
    assert_eq!(d["cancelAtPeriodEnd"], false);
    assert_eq!(d["plan"]["id"], "PREMIUM");
    assert_eq!(d["paymentMethod"], json!({"type": "card", "brand": "visa", "last4": "4242", "expiryMonth": 12, "expiryYear": 2034}));
    assert_eq!(d["coupon"]["code"], "WELCOME20");
    assert_eq!(d["coupon"]["percentOff"], 20);
    assert_eq!(d["nextBilling"]["amount"], 23.99, "the coupon lasts three months");
    assert_eq!(unix(&d["nextBilling"]["date"]), end);
    assert_eq!(d["usage"]["storageLimit"], 100 * GIB);
    assert_eq!(d["usage"]["uploadsLimit"], -1);

    let again = subscribe(&t, &u.access, json!({"planId": "ENTERPRISE", "paymentMethodId": "pm_card_visa"})).await;
    again.assert(409, Some("CONFLICT"));
    assert!(again.body["error"].as_str().unwrap().contains("PUT /api/subscription"));
}

#[tokio::test]
async fn a_declined_payment_changes_nothing() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    for (pm, code) in [("pm_card_chargeDeclined", "card_declined"), ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds")] {
        let r = subscribe(&t, &u.access, json!({"planId": "PREMIUM", "paymentMethodId": pm})).await;
        r.assert(402, Some("PAYMENT_FAILED"));
        assert_eq!(r.body["details"]["declineCode"], code);
    }
    assert_eq!(plan_of(&t, &u.access).await, "FREE");
    assert_eq!(t.get("/api/subscription", Some(&u.access)).await.data()["id"], Value::Null);
    assert!(t.all_items().await.iter().all(|i| i["sk"].as_s().unwrap() != "SUBSCRIPTION"), "nothing stored");
}

#[tokio::test]
async fn a_payment_that_needs_the_customers_action_completes_with_another_payment_method() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let r = subscribe(&t, &u.access, json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_authenticationRequired"})).await;
    r.assert(201, None);
    assert_eq!(r.data()["status"], "INCOMPLETE");
    assert_eq!(r.data()["requiresAction"], true);
    let secret = r.data()["clientSecret"].as_str().unwrap();
    assert!(secret.starts_with("pi_sandbox_") && secret.contains("_secret_"));
    assert_eq!(r.data()["nextAction"]["type"], "authenticate");
    assert_eq!(plan_of(&t, &u.access).await, "FREE", "nothing unlocked before payment");
    let d = t.get("/api/subscription", Some(&u.access)).await.data().clone();
    assert_eq!((d["status"].as_str(), d["effectivePlan"].as_str()), (Some("INCOMPLETE"), Some("FREE")));

    change(&t, &u.access, json!({"action": "upgrade", "planId": "ENTERPRISE"})).await.assert(409, Some("CONFLICT"));
    change(&t, &u.access, json!({"action": "update_payment_method", "paymentMethodId": "pm_card_chargeDeclined"}))
        .await
        .assert(402, Some("PAYMENT_FAILED"));
    let r = change(&t, &u.access, json!({"action": "update_payment_method", "paymentMethodId": "pm_card_mastercard"})).await;
    r.assert(200, None);
    assert_eq!(r.data()["status"], "ACTIVE");
    assert_eq!(r.data()["requiresAction"], false);
    assert_eq!(plan_of(&t, &u.access).await, "PREMIUM");
    assert_eq!(t.get("/api/subscription", Some(&u.access)).await.data()["paymentMethod"]["last4"], "4444");
}

#[tokio::test]
async fn an_abandoned_incomplete_subscription_can_be_cancelled_and_replaced() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    subscribe(&t, &u.access, json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_authenticationRequired"})).await.assert(201, None);
    let r = change(&t, &u.access, json!({"action": "cancel"})).await;
    r.assert(200, None);
    assert_eq!(r.data()["status"], "CANCELED");
    change(&t, &u.access, json!({"action": "reactivate"})).await.assert(404, Some("SUBSCRIPTION_NOT_FOUND"));
    subscribe(&t, &u.access, json!({"planId": "ENTERPRISE", "paymentMethodId": "pm_card_visa"})).await.assert(201, None);
    assert_eq!(plan_of(&t, &u.access).await, "ENTERPRISE");
}

#[tokio::test]
async fn subscription_requests_are_validated() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    subscribe(&t, &u.access, json!({"planId": "GOLD", "paymentMethodId": "pm_card_visa"})).await.assert(404, Some("PLAN_NOT_FOUND"));
    let r = subscribe(&t, &u.access, json!({"planId": "FREE", "paymentMethodId": "pm_card_visa"})).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(fields(&r), ["planId"]);
    let r = subscribe(&t, &u.access, json!({"planId": "PREMIUM", "couponCode": "NOPE"})).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(fields(&r), ["paymentMethodId", "couponCode"]);
    let r = subscribe(&t, &u.access, json!({"planId": "PREMIUM", "paymentMethodId": "pm_made_up"})).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    assert_eq!(fields(&r), ["paymentMethodId"]);
    let r = subscribe(&t, &u.access, json!({"paymentMethodId": "pm_card_visa"})).await;
    assert_eq!(fields(&r), ["planId"]);
    subscribe(&t, &u.access, json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa", "status": "ACTIVE"}))
        .await
        .assert(400, Some("VALIDATION_FAILED"));

    change(&t, &u.access, json!({"action": "cancel"})).await.assert(404, Some("SUBSCRIPTION_NOT_FOUND"));
    subscribe(&t, &u.access, json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa"})).await.assert(201, None);
    for (body, field) in [
        (json!({"action": "pause"}), "action"),
        (json!({}), "action"),
        (json!({"action": "upgrade"}), "planId"),
        (json!({"action": "upgrade", "planId": "FREE"}), "planId"),
        (json!({"action": "downgrade", "planId": "ENTERPRISE"}), "planId"),
        (json!({"action": "cancel", "planId": "FREE"}), "planId"),
        (json!({"action": "update_payment_method"}), "paymentMethodId"),
        (json!({"action": "upgrade", "planId": "ENTERPRISE", "prorationBehavior": "none"}), "prorationBehavior"),
    ] {
        let r = change(&t, &u.access, body.clone()).await;
        r.assert(400, Some("VALIDATION_FAILED"));
        assert_eq!(fields(&r), [field], "{body}");
    }
    change(&t, &u.access, json!({"action": "upgrade", "planId": "PLATINUM"})).await.assert(404, Some("PLAN_NOT_FOUND"));
    assert_eq!(plan_of(&t, &u.access).await, "PREMIUM", "no refused change touched the plan");
}

// ---- changing ------------------------------------------------------------------------------------

#[tokio::test]
async fn an_upgrade_mid_period_charges_the_prorated_difference_at_once() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    subscribe(&t, &u.access, json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa"})).await.assert(201, None);
    let d = t.get("/api/subscription", Some(&u.access)).await.data().clone();
    let (start, end) = (unix(&d["currentPeriodStart"]), unix(&d["currentPeriodEnd"]));
    t.clock.advance(time::Duration::days(10));
    let access = relogin(&t, &u).await;
    let now = t.clock.now_unix();
    let r = change(&t, &access, json!({"action": "upgrade", "planId": "ENTERPRISE", "prorationBehavior": "create_prorations"})).await;
    r.assert(200, None);
    let expected_cents = ((19_900 - 2_999) as f64 * (end - now) as f64 / (end - start) as f64).round();
    assert_eq!(r.data()["prorationAmount"], expected_cents / 100.0);
    assert_eq!(unix(&r.data()["effectiveDate"]), now);
    assert_eq!(r.data()["plan"], "ENTERPRISE");
    assert_eq!(plan_of(&t, &access).await, "ENTERPRISE");
    let d = t.get("/api/subscription", Some(&access)).await.data().clone();
    assert_eq!(unix(&d["currentPeriodEnd"]), end, "the period does not move");
    assert_eq!(d["nextBilling"]["amount"], 199.0);
    assert_eq!(t.get("/api/users/me", Some(&access)).await.data()["stats"]["storageLimit"], -1);
    change(&t, &access, json!({"action": "upgrade", "planId": "ENTERPRISE"})).await.assert(400, Some("VALIDATION_FAILED"));
}

#[tokio::test]
async fn a_declined_upgrade_keeps_the_current_plan() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    subscribe(&t, &u.access, json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa"})).await.assert(201, None);
    let r = change(&t, &u.access, json!({"action": "upgrade", "planId": "ENTERPRISE", "paymentMethodId": "pm_card_chargeDeclined"})).await;
    r.assert(402, Some("PAYMENT_FAILED"));
    assert_eq!(plan_of(&t, &u.access).await, "PREMIUM");
    change(&t, &u.access, json!({"action": "update_payment_method", "paymentMethodId": "pm_card_authenticationRequired"}))
        .await
        .assert(402, Some("PAYMENT_FAILED"));
    assert_eq!(t.get("/api/subscription", Some(&u.access)).await.data()["paymentMethod"]["last4"], "4242", "the card on file stays");
}

#[tokio::test]
async fn a_downgrade_over_the_new_limits_is_refused_and_one_within_them_applies_with_a_credit() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    subscribe(&t, &u.access, json!({"planId": "ENTERPRISE", "paymentMethodId": "pm_card_visa"})).await.assert(201, None);
    // 200 GiB stored or reserved: over PREMIUM's 100 GiB.
    t.set_user_attr(&u.id, "storageCommitted", AttributeValue::N((200 * GIB).to_string())).await;
    let r = change(&t, &u.access, json!({"action": "downgrade", "planId": "PREMIUM"})).await;
    r.assert(409, Some("CONFLICT"));
    assert_eq!(fields(&r), ["storage"]);
    assert!(r.body["details"][0]["message"].as_str().unwrap().contains("PREMIUM allows"));
    assert_eq!(plan_of(&t, &u.access).await, "ENTERPRISE", "refused: nothing changed");

    t.set_user_attr(&u.id, "storageCommitted", AttributeValue::N(GIB.to_string())).await;
    t.clock.advance(time::Duration::days(15));
    let access = relogin(&t, &u).await;
    let r = change(&t, &access, json!({"action": "downgrade", "planId": "PREMIUM"})).await;
    r.assert(200, None);
    let credit = -r.data()["prorationAmount"].as_f64().unwrap();
    assert!(credit > 50.0 && credit < 100.0, "about half of 169.01 back: {credit}");
    assert_eq!(plan_of(&t, &access).await, "PREMIUM");
    let d = t.get("/api/subscription", Some(&access)).await.data().clone();
    assert_eq!(d["credit"], credit);
    assert_eq!(d["nextBilling"]["amount"], 0.0, "the credit covers the next PREMIUM bill");

    // To FREE (at the period end) only when what is stored fits FREE.
    t.set_user_attr(&u.id, "storageCommitted", AttributeValue::N((GIB + 1).to_string())).await;
    let access = relogin(&t, &u).await;
    let r = change(&t, &access, json!({"action": "downgrade", "planId": "FREE"})).await;
    r.assert(409, Some("CONFLICT"));
    assert_eq!(fields(&r), ["storage"]);
    t.set_user_attr(&u.id, "storageCommitted", AttributeValue::N("10".into())).await;
    let access = relogin(&t, &u).await;
    let r = change(&t, &access, json!({"action": "downgrade", "planId": "FREE"})).await;
    r.assert(200, None);
    assert_eq!(r.data()["cancelAtPeriodEnd"], true);
    assert_eq!(unix(&r.data()["effectiveDate"]), unix(&d["currentPeriodEnd"]));
    assert_eq!(plan_of(&t, &access).await, "PREMIUM", "paid until the period ends");
}

#[tokio::test]
async fn a_downgrade_is_refused_while_more_api_keys_are_active_than_the_new_plan_allows() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    subscribe(&t, &u.access, json!({"planId": "ENTERPRISE", "paymentMethodId": "pm_card_visa"})).await.assert(201, None);
    // The api-keys capability keeps `activeKeys` on the user item; PREMIUM allows 25.
    t.set_user_attr(&u.id, "activeKeys", AttributeValue::N("30".into())).await;
    let r = change(&t, &u.access, json!({"action": "downgrade", "planId": "PREMIUM"})).await;
    r.assert(409, Some("CONFLICT"));
    assert_eq!(fields(&r), ["apiKeys"]);
    assert_eq!(t.get("/api/subscription", Some(&u.access)).await.data()["usage"]["apiKeysCount"], 30);
    t.set_user_attr(&u.id, "activeKeys", AttributeValue::N("25".into())).await;
    change(&t, &u.access, json!({"action": "downgrade", "planId": "PREMIUM"})).await.assert(200, None);
}

#[tokio::test]
async fn a_downgrade_is_checked_atomically_against_the_usage_at_that_moment() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    subscribe(&t, &u.access, json!({"planId": "ENTERPRISE", "paymentMethodId": "pm_card_visa"})).await.assert(201, None);
    // The token's user read says 0 bytes; the stored counter (what a concurrent reservation
    // would have changed) is what the downgrade is checked against.
    t.set_user_attr(&u.id, "storageCommitted", AttributeValue::N((101 * GIB).to_string())).await;
    change(&t, &u.access, json!({"action": "downgrade", "planId": "PREMIUM"})).await.assert(409, Some("CONFLICT"));
}

#[tokio::test]
async fn a_cancelled_plan_lasts_until_its_period_ends_and_can_be_reactivated_before() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    subscribe(&t, &u.access, json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa"})).await.assert(201, None);
    let end = unix(&t.get("/api/subscription", Some(&u.access)).await.data()["currentPeriodEnd"]);
    let r = change(&t, &u.access, json!({"action": "cancel"})).await;
    r.assert(200, None);
    assert_eq!(r.data()["cancelAtPeriodEnd"], true);
    assert_eq!(unix(&r.data()["effectiveDate"]), end);
    let d = t.get("/api/subscription", Some(&u.access)).await.data().clone();
    assert_eq!(d["cancelAtPeriodEnd"], true);
    assert_eq!(d["nextBilling"], Value::Null, "it will not renew");
    assert_eq!(plan_of(&t, &u.access).await, "PREMIUM", "paid until the period ends");
    change(&t, &u.access, json!({"action": "cancel"})).await.assert(200, None);

    let r = change(&t, &u.access, json!({"action": "reactivate"})).await;
    r.assert(200, None);
    assert_eq!(r.data()["cancelAtPeriodEnd"], false);
    assert!(!t.get("/api/subscription", Some(&u.access)).await.data()["nextBilling"].is_null());
    change(&t, &u.access, json!({"action": "cancel"})).await.assert(200, None);

    t.clock.advance(time::Duration::seconds(end - t.clock.now_unix()));
    let access = relogin(&t, &u).await;
    assert_eq!(plan_of(&t, &access).await, "FREE", "the paid plan ended with its period");
    let d = t.get("/api/subscription", Some(&access)).await.data().clone();
    assert_eq!((d["type"].as_str(), d["status"].as_str(), d["effectivePlan"].as_str()), (Some("PREMIUM"), Some("CANCELED"), Some("FREE")));
    assert_eq!(d["usage"]["storageLimit"], GIB);
    start(&t, &access, "big.bin", "application/octet-stream", 2 * GIB).await.assert(429, Some("QUOTA_EXCEEDED"));
    change(&t, &access, json!({"action": "reactivate"})).await.assert(404, Some("SUBSCRIPTION_NOT_FOUND"));
    let r = subscribe(&t, &access, json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa"})).await;
    r.assert(201, None);
    assert_eq!(plan_of(&t, &access).await, "PREMIUM");
    start(&t, &access, "big.bin", "application/octet-stream", 2 * GIB).await.assert(201, None);
}

#[tokio::test]
async fn a_paid_plan_raises_the_upload_quota() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    start(&t, &u.access, "full.bin", "application/octet-stream", GIB).await.assert(201, None);
    start(&t, &u.access, "more.bin", "application/octet-stream", 1).await.assert(429, Some("QUOTA_EXCEEDED"));
    subscribe(&t, &u.access, json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa"})).await.assert(201, None);
    start(&t, &u.access, "more.bin", "application/octet-stream", 1).await.assert(201, None);
}

#[tokio::test]
async fn subscription_routes_need_an_activated_signed_in_user() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let unactivated = t.unactivated_user().await;
    let calls: [(&str, Option<Value>); 3] = [
        ("GET", None),
        ("POST", Some(json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa"}))),
        ("PUT", Some(json!({"action": "cancel"}))),
    ];
    for (method, body) in &calls {
        t.call(method, "/api/subscription", body.clone(), None).await.assert(401, Some("UNAUTHENTICATED"));
        t.call(method, "/api/subscription", body.clone(), Some(&unactivated.access)).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
    }
    t.post("/api/auth/logout", json!({}), Some(&u.access)).await.assert(200, None);
    for (method, body) in &calls {
        t.call(method, "/api/subscription", body.clone(), Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    }
    assert_eq!(plan_of(&t, &relogin(&t, &u).await).await, "FREE");
    t.call("DELETE", "/api/subscription", None, Some(&u.access)).await.assert(405, None);
}

// ---- the monthly API request limit (called by the api-keys capability) ---------------------------

/// Sets this month's API request count of `user_id` directly (to start near a limit).
async fn seed_request_count(t: &TestApp, user_id: &str, count: i64) {
    let month = month_window(t.clock.now()).0;
    t.dynamo
        .put_item()
        .table_name(&t.table)
        .item("pk", AttributeValue::S(format!("USER#{user_id}")))
        .item("sk", AttributeValue::S(format!("APIREQ#{month}")))
        .item("count", AttributeValue::N(count.to_string()))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_monthly_request_limit_trips_at_the_plans_number_under_concurrency() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let user = t.app.store.get_user(&UserId::parse(&u.id).unwrap()).await.unwrap().unwrap();
    assert_eq!(count_api_request(&t.app, &user).await.unwrap().used, 1, "the first request of the month");
    // FREE allows 1000 a month. From 960, of 80 concurrent requests (the emulator taking one
    // call at a time: see serial.rs) exactly 40 are counted: 961..=1000, each once.
    seed_request_count(&t, &u.id, 960).await;
    let app = crate::serial::serial_app(&t).await;
    let results: Vec<_> =
        futures::stream::iter(0..80).map(|_| count_api_request(&app, &user)).buffer_unordered(16).collect::<Vec<_>>().await;
    let mut counted: Vec<i64> = results.iter().filter_map(|r| r.as_ref().ok().map(|u| u.used)).collect();
    counted.sort_unstable();
    assert_eq!(counted, (961..=1000).collect::<Vec<_>>(), "no lost or double update, never past the limit");
    let (_, reset) = month_window(t.clock.now());
    let until_reset = (reset - t.clock.now()).whole_seconds() as u64;
    let refused: Vec<&Error> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(refused.len(), 40);
    for err in refused {
        let Error::SubscriptionLimitExceeded { retry_after_secs: Some(retry_after), message } = err else { panic!("{err:?}") };
        assert!(message.starts_with("1000 API requests a month"), "{message}");
        assert!(retry_after.abs_diff(until_reset) <= 1, "{retry_after} vs {until_reset}");
    }
    assert_eq!(t.get("/api/subscription", Some(&u.access)).await.data()["usage"]["apiRequestsUsed"], 1000, "refused ones are not counted");

    // The next month starts from zero.
    t.clock.advance(reset - t.clock.now());
    assert_eq!(count_api_request(&t.app, &user).await.unwrap().used, 1);
}

#[tokio::test]
async fn the_monthly_request_limit_follows_the_plan_and_enterprise_is_unlimited() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let id = UserId::parse(&u.id).unwrap();
    seed_request_count(&t, &u.id, 1000).await;
    let user = t.app.store.get_user(&id).await.unwrap().unwrap();
    let err = count_api_request(&t.app, &user).await.unwrap_err();
    assert_eq!(err.code(), "SUBSCRIPTION_LIMIT_EXCEEDED");
    assert_eq!(err.status(), 429);
    subscribe(&t, &u.access, json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa"})).await.assert(201, None);
    let user = t.app.store.get_user(&id).await.unwrap().unwrap();
    let usage = count_api_request(&t.app, &user).await.unwrap();
    assert_eq!((usage.used, usage.limit), (1001, Some(100_000)));
    change(&t, &u.access, json!({"action": "upgrade", "planId": "ENTERPRISE"})).await.assert(200, None);
    let user = t.app.store.get_user(&id).await.unwrap().unwrap();
    let usage = count_api_request(&t.app, &user).await.unwrap();
    assert_eq!((usage.used, usage.limit), (1002, None), "unlimited, still counted for the usage display");
}
