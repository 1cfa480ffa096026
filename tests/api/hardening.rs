//! IAM, capacity, addresses, payments and coupons (issue 22, findings 10 and 11): what
//! template.yaml grants each function in S3, the reserved concurrency of the argon2-heavy
//! functions, IPv6 clients limited per /64, no payment provider unless one is chosen, coupons
//! from SSM and coupon guesses limited.

use crate::helpers::{TestApp, TestUser};
use accounts_core::config::PaymentProviderKind;
use accounts_core::domain::RateLimit;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

// ---- template.yaml ---------------------------------------------------------------------------------

fn template() -> serde_yaml::Value {
    serde_yaml::from_str(include_str!("../../template.yaml")).unwrap()
}

/// A scalar through its `!Sub` / `!Ref` tag.
fn text(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::Tagged(t) => text(&t.value),
        serde_yaml::Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other).unwrap().trim().to_owned(),
    }
}

fn list(v: &serde_yaml::Value) -> Vec<String> {
    match v {
        serde_yaml::Value::Sequence(items) => items.iter().map(text).collect(),
        serde_yaml::Value::Null => Vec::new(),
        other => vec![text(other)],
    }
}

/// Each function (by its `CodeUri` folder) and its resource properties.
fn functions(template: &serde_yaml::Value) -> BTreeMap<String, serde_yaml::Value> {
    template["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::Serverless::Function")
        .map(|r| (text(&r["Properties"]["CodeUri"]).trim_end_matches('/').rsplit('/').next().unwrap().to_owned(), r["Properties"].clone()))
        .collect()
}

/// `(action, resource)` of every S3 grant of a function.
fn s3_grants(props: &serde_yaml::Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for policy in props["Policies"].as_sequence().into_iter().flatten() {
        for statement in policy["Statement"].as_sequence().into_iter().flatten() {
            for action in list(&statement["Action"]).into_iter().filter(|a| a.starts_with("s3:")) {
                for resource in list(&statement["Resource"]) {
                    out.insert((action.clone(), resource));
                }
            }
        }
    }
    out
}

fn grants(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs.iter().map(|(a, r)| ((*a).to_owned(), (*r).to_owned())).collect()
}

#[test]
fn each_function_reaches_only_the_s3_prefixes_it_uses() {
    // Key formats: avatars/<userId>/<id>.webp (shared/src/avatars), uploads/<userId>/<id>
    // (domain/upload.rs); the purge deletes both prefixes of a user (objects.rs).
    let (avatars, uploads, bucket) = ("${Bucket.Arn}/avatars/*", "${Bucket.Arn}/uploads/*", "Bucket.Arn");
    let expected: BTreeMap<&str, BTreeSet<(String, String)>> = BTreeMap::from([
        ("users", grants(&[("s3:GetObject", avatars), ("s3:PutObject", avatars), ("s3:DeleteObject", avatars)])),
        // The pages' avatar upload calls the users service in process.
        ("web", grants(&[("s3:GetObject", avatars), ("s3:PutObject", avatars), ("s3:DeleteObject", avatars)])),
        (
            "uploads",
            grants(&[("s3:PutObject", uploads), ("s3:GetObject", uploads), ("s3:DeleteObject", uploads), ("s3:ListBucket", bucket)]),
        ),
        ("purge", grants(&[("s3:ListBucket", bucket), ("s3:DeleteObject", avatars), ("s3:DeleteObject", uploads)])),
    ]);
    let t = template();
    let functions = functions(&t);
    assert!(functions.len() >= 7, "{:?}", functions.keys());
    for (name, props) in &functions {
        let got = s3_grants(props);
        let want = expected.get(name.as_str()).cloned().unwrap_or_default();
        assert_eq!(got, want, "S3 grants of the {name} function");
    }
}

#[test]
fn the_argon2_heavy_functions_have_reserved_concurrency_from_a_parameter() {
    let t = template();
    let functions = functions(&t);
    for (function, parameter) in
        [("auth", "AuthReservedConcurrency"), ("users", "UsersReservedConcurrency"), ("web", "WebReservedConcurrency")]
    {
        let reserved = serde_yaml::to_string(&functions[function]["ReservedConcurrentExecutions"]).unwrap();
        assert!(reserved.contains(parameter), "{function}: {reserved}");
        let p = &t["Parameters"][parameter];
        assert_eq!(p["Type"], "Number", "{parameter}");
        assert!(p["Default"].as_i64().unwrap() > 0, "{parameter} reserves something by default");
        assert!(!text(&p["Description"]).is_empty());
    }
}

#[test]
fn the_deployed_billing_function_names_its_provider_and_reads_coupons_from_ssm() {
    let t = template();
    let p = &t["Parameters"]["PaymentProvider"];
    assert_eq!(p["Default"], "none", "no silent sandbox");
    assert_eq!(list(&p["AllowedValues"]), ["none", "sandbox"]);
    assert!(t["Parameters"]["Coupons"].is_null(), "coupons are no template parameter");
    let functions = functions(&t);
    let env = &functions["billing"]["Environment"]["Variables"];
    assert_eq!(text(&env["PAYMENT_PROVIDER"]), "PaymentProvider");
    assert_eq!(text(&env["COUPONS_PARAMETER"]), "CouponsParameter");
    for (name, props) in &functions {
        assert!(props["Environment"]["Variables"]["COUPONS"].is_null(), "{name} gets coupons as a plain variable");
    }
    assert!(t["Globals"]["Function"]["Environment"]["Variables"]["COUPONS"].is_null());
    assert!(t["Globals"]["Function"]["Environment"]["Variables"]["PAYMENT_PROVIDER"].is_null());
}

// ---- IPv6 clients per /64 --------------------------------------------------------------------------

#[tokio::test]
async fn ipv6_clients_are_limited_per_64_not_per_address() {
    let t = TestApp::spawn_with(|c| c.limits.forgot_password = RateLimit::new(2, 3600)).await;
    let body = || Some(json!({"email": "nobody@example.com"}));
    for ip in ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe"] {
        t.call_from(Some(ip), "POST", "/api/auth/forgot-password", body(), None).await.assert(202, None);
    }
    // A third address of the same /64 shares the budget ...
    t.call_from(Some("2001:db8:1:2:dead:beef::7"), "POST", "/api/auth/forgot-password", body(), None)
        .await
        .assert(429, Some("RATE_LIMITED"));
    // ... the next /64 and an IPv4 client have their own.
    t.call_from(Some("2001:db8:1:3::1"), "POST", "/api/auth/forgot-password", body(), None).await.assert(202, None);
    t.call_from(Some("203.0.113.9"), "POST", "/api/auth/forgot-password", body(), None).await.assert(202, None);
}

// ---- payments and coupons --------------------------------------------------------------------------

async fn subscribe(t: &TestApp, u: &TestUser, body: Value) -> crate::helpers::Resp {
    t.post("/api/subscription", body, Some(&u.access)).await
}

async fn plan(t: &TestApp, u: &TestUser) -> Value {
    t.get("/api/users/me", Some(&u.access)).await.data()["plan"].clone()
}

#[tokio::test]
async fn without_a_chosen_provider_a_test_card_buys_nothing() {
    let t = TestApp::spawn_with(|c| c.payment_provider = PaymentProviderKind::None).await;
    let u = t.user().await;
    let r = subscribe(&t, &u, json!({"planId": "ENTERPRISE", "paymentMethodId": "pm_card_visa"})).await;
    r.assert(402, Some("PAYMENT_FAILED"));
    assert_eq!(r.body["details"]["declineCode"], "payments_disabled", "{}", r.body);
    assert_eq!(plan(&t, &u).await, "FREE");
}

#[tokio::test]
async fn coupon_guesses_are_limited_per_account_before_the_code_is_checked() {
    let t = TestApp::spawn_with(|c| c.coupon_attempts = RateLimit::new(3, 3600)).await;
    let u = t.user().await;
    let guesses = (0..6)
        .map(|i| subscribe(&t, &u, json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa", "couponCode": format!("GUESS{i}")})));
    let answers: Vec<u16> = futures::future::join_all(guesses).await.iter().map(|r| r.status).collect();
    assert_eq!(answers.iter().filter(|s| **s == 400).count(), 3, "{answers:?}");
    assert_eq!(answers.iter().filter(|s| **s == 429).count(), 3, "{answers:?}");
    // Even the right code waits for the window now.
    subscribe(&t, &u, json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa", "couponCode": "WELCOME20"}))
        .await
        .assert(429, Some("RATE_LIMITED"));
    assert_eq!(plan(&t, &u).await, "FREE");
}

#[tokio::test]
async fn coupons_come_from_an_ssm_parameter_in_the_cold_starts_one_call() {
    let name = format!("/accounts-test-{}/coupons", ulid::Ulid::new().to_string().to_lowercase());
    aws_sdk_ssm::Client::new(&crate::helpers::sdk_config().await)
        .put_parameter()
        .name(&name)
        .value("SPRING30:30:2")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let t = TestApp::spawn_with(|c| {
        c.coupons.clear();
        c.coupons_parameter = Some(name);
    })
    .await;
    let ssm_calls: Vec<String> = t.calls.take().into_iter().filter(|c| c.service == "SSM").map(|c| c.operation).collect();
    assert_eq!(ssm_calls, ["GetParameters"]);
    let u = t.user().await;
    let r = subscribe(&t, &u, json!({"planId": "PREMIUM", "paymentMethodId": "pm_card_visa", "couponCode": "spring30"})).await;
    r.assert(201, None);
    let d = t.get("/api/subscription", Some(&u.access)).await.data().clone();
    assert_eq!(d["coupon"]["code"], "SPRING30", "{d}");
    assert_eq!(d["coupon"]["percentOff"], 30);
}
