//! The code pepper and the MFA seal key (SPEC §3.1 "Signing keys", §5): separate, versioned
//! secrets. Data stored before they existed (keyed by the old JWT secret, without key ids)
//! keeps working under `v0`, a rotation keeps what the previous key protected working, each
//! secret is read in the one SSM call of a cold start, and only the functions that use a
//! secret can read it.

use crate::helpers::{PASSWORD, TestApp, TestUser};
use crate::mfa::{code_at, enable, mfa_token};
use accounts_core::App;
use accounts_core::config::{Config, KeySet, KeySetSource};
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// The JWT secret a stack had before the pepper and the seal key had keys of their own.
const OLD_JWT_SECRET: &str = "the-old-jwt-secret-the-old-jwt-secret-0123";
const PEPPER_1: &str = "pepper-one-pepper-one-pepper-one-0123";
const PEPPER_2: &str = "pepper-two-pepper-two-pepper-two-0123";
const SEAL_1: &str = "seal-one-seal-one-seal-one-seal-one-0123";
const SEAL_2: &str = "seal-two-seal-two-seal-two-seal-two-0123";

fn keys(text: &str) -> Option<KeySetSource> {
    Some(KeySetSource::Value(KeySet::parse(text).unwrap()))
}

/// An app configured as after the upgrade: new current keys `k1`, the old JWT secret as `v0`.
async fn upgraded() -> TestApp {
    TestApp::spawn_with(|c| {
        c.code_pepper = keys(&format!("k1:{PEPPER_1},v0:{OLD_JWT_SECRET}"));
        c.mfa_seal_key = keys(&format!("k1:{SEAL_1},v0:{OLD_JWT_SECRET}"));
    })
    .await
}

// ---- the values the service stored before versioning, computed independently -----------------

/// `TokenService::code_hash` before versioning: hex SHA-256 of the pepper (SHA-256 of
/// `"code-pepper:" ‖ JWT secret`), purpose, subject and code, NUL-separated; no key id.
fn legacy_code_hash(purpose: &str, subject: &str, code: &str) -> String {
    let pepper = Sha256::digest(format!("code-pepper:{OLD_JWT_SECRET}"));
    let mut h = Sha256::new();
    h.update(pepper);
    h.update(format!("{purpose}\0{subject}\0{code}"));
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `SecretBox::seal` before versioning: AES-256-GCM under SHA-256 of
/// `"accounts:secret-box:v1:" ‖ JWT secret`, the owner as associated data,
/// `base64(nonce ‖ ciphertext ‖ tag)`; no key id.
fn legacy_seal(seed: &[u8], owner: &str) -> String {
    use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let key = Sha256::digest(format!("accounts:secret-box:v1:{OLD_JWT_SECRET}"));
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).unwrap());
    let nonce = [7u8; 12];
    let mut buf = seed.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(owner.as_bytes()), &mut buf).unwrap();
    base64::engine::general_purpose::STANDARD.encode([nonce.as_slice(), &buf].concat())
}

/// What enrolment stored before versioning: the sealed seed and two backup codes' hashes.
async fn enrol_the_old_way(t: &TestApp, u: &TestUser, backup_codes: &[&str]) -> String {
    let seed = b"an-old-seed-20-bytes".to_vec();
    let hashes = backup_codes.iter().map(|c| legacy_code_hash("mfa-backup", &u.id, &c.replace('-', ""))).collect();
    t.set_user_attr(&u.id, "mfaEnabled", AttributeValue::Bool(true)).await;
    t.set_user_attr(&u.id, "mfaSecret", AttributeValue::S(legacy_seal(&seed, &u.id))).await;
    t.set_user_attr(&u.id, "mfaBackup", AttributeValue::Ss(hashes)).await;
    totp_rs::Secret::from(seed).to_base32()
}

async fn user_item(t: &TestApp, u: &TestUser) -> std::collections::HashMap<String, AttributeValue> {
    let pk = format!("USER#{}", u.id);
    t.all_items().await.into_iter().find(|i| i["pk"].as_s().unwrap() == &pk && i["sk"].as_s().unwrap() == "PROFILE").unwrap()
}

fn backup_hashes(item: &std::collections::HashMap<String, AttributeValue>) -> Vec<String> {
    item.get("mfaBackup").map(|v| v.as_ss().unwrap().clone()).unwrap_or_default()
}

async fn second_step(t: &TestApp, token: &str, code: &str) -> crate::helpers::Resp {
    t.post("/api/auth/mfa", json!({"mfaToken": token, "code": code}), None).await
}

// ---- migration: data from before versioning -----------------------------------------------------

#[tokio::test]
async fn an_mfa_user_enrolled_before_the_change_keeps_working() {
    let t = upgraded().await;
    let u = t.user().await;
    let secret = enrol_the_old_way(&t, &u, &["abcd-efgh", "wxyz-2345"]).await;
    t.clock.advance(time::Duration::seconds(30));

    // TOTP at login, with the seed sealed under the key derived from the old JWT secret.
    let token = mfa_token(&t, &u).await;
    second_step(&t, &token, &code_at(&t, &secret)).await.assert(200, None);
    // A backup code hashed with the old pepper works, once, and only it is consumed.
    let token = mfa_token(&t, &u).await;
    second_step(&t, &token, "ABCD-EFGH").await.assert(200, None);
    second_step(&t, &token, "abcd-efgh").await.assert(400, Some("INVALID_CODE"));
    assert_eq!(backup_hashes(&user_item(&t, &u).await), [legacy_code_hash("mfa-backup", &u.id, "wxyz2345")]);

    // New backup codes are hashed with the current key and work.
    t.clock.advance(time::Duration::seconds(30));
    let r = t.post("/api/users/me/mfa/backup-codes", json!({"password": PASSWORD, "code": code_at(&t, &secret)}), Some(&u.access)).await;
    r.assert(200, None);
    let fresh = r.data()["backupCodes"][0].as_str().unwrap().to_owned();
    let hashes = backup_hashes(&user_item(&t, &u).await);
    assert_eq!(hashes.len(), 10);
    assert!(hashes.iter().all(|h| h.starts_with("k1:")), "{hashes:?}");
    second_step(&t, &mfa_token(&t, &u).await, "wxyz-2345").await.assert(400, Some("INVALID_CODE"));
    second_step(&t, &mfa_token(&t, &u).await, &fresh).await.assert(200, None);

    // Off with the old seed's code; a fresh enrolment seals under k1 and logs in.
    t.clock.advance(time::Duration::seconds(30));
    t.call("DELETE", "/api/users/me/mfa", Some(json!({"password": PASSWORD, "code": code_at(&t, &secret)})), Some(&u.access))
        .await
        .assert(200, None);
    let (secret, _) = enable(&t, &u).await;
    let sealed = user_item(&t, &u).await["mfaSecret"].as_s().unwrap().clone();
    assert!(sealed.starts_with("k1:"), "{sealed}");
    t.clock.advance(time::Duration::seconds(30));
    second_step(&t, &mfa_token(&t, &u).await, &code_at(&t, &secret)).await.assert(200, None);
}

#[tokio::test]
async fn without_the_old_secret_as_v0_an_old_enrolment_no_longer_opens() {
    let t = TestApp::spawn_with(|c| {
        c.code_pepper = keys(&format!("k1:{PEPPER_1}"));
        c.mfa_seal_key = keys(&format!("k1:{SEAL_1}"));
    })
    .await;
    let u = t.user().await;
    let secret = enrol_the_old_way(&t, &u, &["abcd-efgh"]).await;
    t.clock.advance(time::Duration::seconds(30));
    let token = mfa_token(&t, &u).await;
    second_step(&t, &token, &code_at(&t, &secret)).await.assert(400, Some("INVALID_CODE"));
    second_step(&t, &token, "abcd-efgh").await.assert(400, Some("INVALID_CODE"));
}

#[tokio::test]
async fn an_activation_code_and_a_recovery_code_stored_before_the_change_still_work() {
    let t = upgraded().await;
    let pending = t.unactivated_user().await;
    t.set_user_attr(&pending.id, "actCodeHash", AttributeValue::S(legacy_code_hash("activation", &pending.id, "246810"))).await;
    t.post("/api/auth/activate", json!({"code": "246811"}), Some(&pending.access)).await.assert(400, Some("INVALID_CODE"));
    t.post("/api/auth/activate", json!({"code": "246810"}), Some(&pending.access)).await.assert(200, None);
    assert_eq!(t.get("/api/users/me", Some(&pending.access)).await.data()["emailVerified"], true);

    // A deletion scheduled before the change: its recovery code's hash has no key id. The
    // recovery's conditional write compares the stored value as it is.
    let u = t.user().await;
    t.call("DELETE", "/api/users/me", Some(json!({"password": PASSWORD, "confirmation": "DELETE_MY_ACCOUNT"})), Some(&u.access))
        .await
        .assert(200, None);
    let code = "recovery_an-old-recovery-code";
    t.set_user_attr(&u.id, "recoveryCodeHash", AttributeValue::S(legacy_code_hash("recovery", &u.id, code))).await;
    t.post("/api/users/recover", json!({"email": u.email, "recoveryCode": "recovery_wrong"}), None).await.assert(400, Some("INVALID_CODE"));
    t.post("/api/users/recover", json!({"email": u.email, "recoveryCode": code}), None).await.assert(200, None);
    t.login(&u.username, PASSWORD).await.assert(200, None);
}

// ---- rotation -------------------------------------------------------------------------------------

#[tokio::test]
async fn after_a_rotation_mfa_enrolled_under_the_previous_keys_keeps_working() {
    let t = TestApp::spawn_with(|c| {
        c.code_pepper = keys(&format!("k1:{PEPPER_1}"));
        c.mfa_seal_key = keys(&format!("k1:{SEAL_1}"));
    })
    .await;
    let u = t.user().await;
    let (secret, codes) = enable(&t, &u).await;
    assert!(user_item(&t, &u).await["mfaSecret"].as_s().unwrap().starts_with("k1:"));

    let t = t
        .restarted(|c| {
            c.code_pepper = keys(&format!("k2:{PEPPER_2},k1:{PEPPER_1}"));
            c.mfa_seal_key = keys(&format!("k2:{SEAL_2},k1:{SEAL_1}"));
        })
        .await;
    t.clock.advance(time::Duration::seconds(30));
    second_step(&t, &mfa_token(&t, &u).await, &code_at(&t, &secret)).await.assert(200, None);
    second_step(&t, &mfa_token(&t, &u).await, &codes[0]).await.assert(200, None);
    t.clock.advance(time::Duration::seconds(30));
    let r = t.post("/api/users/me/mfa/backup-codes", json!({"password": PASSWORD, "code": code_at(&t, &secret)}), Some(&u.access)).await;
    r.assert(200, None);
    assert!(backup_hashes(&user_item(&t, &u).await).iter().all(|h| h.starts_with("k2:")));
    second_step(&t, &mfa_token(&t, &u).await, r.data()["backupCodes"][0].as_str().unwrap()).await.assert(200, None);

    // A second user enrolling now gets a seed sealed under k2.
    let v = t.user().await;
    let (secret_v, _) = enable(&t, &v).await;
    assert!(user_item(&t, &v).await["mfaSecret"].as_s().unwrap().starts_with("k2:"));
    t.clock.advance(time::Duration::seconds(30));
    second_step(&t, &mfa_token(&t, &v).await, &code_at(&t, &secret_v)).await.assert(200, None);

    // Once k1 is removed, what only k1 protected stops working (why the old key stays until
    // nothing uses it).
    let t = t
        .restarted(|c| {
            c.code_pepper = keys(&format!("k2:{PEPPER_2}"));
            c.mfa_seal_key = keys(&format!("k2:{SEAL_2}"));
        })
        .await;
    t.clock.advance(time::Duration::seconds(30));
    second_step(&t, &mfa_token(&t, &u).await, &code_at(&t, &secret)).await.assert(400, Some("INVALID_CODE"));
    second_step(&t, &mfa_token(&t, &v).await, &code_at(&t, &secret_v)).await.assert(200, None);
}

#[tokio::test]
async fn an_activation_code_and_a_recovery_code_issued_before_a_pepper_rotation_still_complete() {
    let t = TestApp::spawn_with(|c| c.code_pepper = keys(&format!("k1:{PEPPER_1}"))).await;
    let pending = t.unactivated_user().await;
    let activation = t.activation_code(&pending.email).await;
    let u = t.user().await;
    let scheduled =
        t.call("DELETE", "/api/users/me", Some(json!({"password": PASSWORD, "confirmation": "DELETE_MY_ACCOUNT"})), Some(&u.access)).await;
    scheduled.assert(200, None);
    let recovery = scheduled.data()["recoveryCode"].as_str().unwrap().to_owned();
    assert!(user_item(&t, &u).await["recoveryCodeHash"].as_s().unwrap().starts_with("k1:"));

    let t = t.restarted(|c| c.code_pepper = keys(&format!("k2:{PEPPER_2},k1:{PEPPER_1}"))).await;
    t.post("/api/auth/activate", json!({"code": activation}), Some(&pending.access)).await.assert(200, None);
    t.post("/api/users/recover", json!({"email": u.email, "recoveryCode": recovery}), None).await.assert(200, None);
    t.login(&u.username, PASSWORD).await.assert(200, None);
    // A code issued now is hashed with k2.
    let next = t.unactivated_user().await;
    assert!(user_item(&t, &next).await["actCodeHash"].as_s().unwrap().starts_with("k2:"));
}

// ---- start-up: where the secrets come from --------------------------------------------------------

async fn ssm() -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(&crate::helpers::sdk_config().await)
}

/// Three parameters under a fresh prefix: `(issuer, pepper, seal)` names.
async fn put_parameters(pepper: &str, seal: &str) -> (String, String, String) {
    let prefix = format!("/accounts-test-{}", ulid::Ulid::new().to_string().to_lowercase());
    let names = (format!("{prefix}/issuer"), format!("{prefix}/code-pepper"), format!("{prefix}/mfa-seal-key"));
    let client = ssm().await;
    for (name, value) in [(&names.0, crate::helpers::ISSUER), (&names.1, pepper), (&names.2, seal)] {
        client.put_parameter().name(name).value(value).r#type(aws_sdk_ssm::types::ParameterType::SecureString).send().await.unwrap();
    }
    names
}

#[tokio::test]
async fn a_cold_start_reads_every_named_secret_in_one_ssm_call() {
    let (issuer, pepper, seal) = put_parameters(&format!("k2:{PEPPER_2},k1:{PEPPER_1}"), &format!("k1:{SEAL_1}")).await;
    let t = TestApp::spawn_with(|c| {
        c.jwt_issuer.clear();
        c.jwt_issuer_parameter = Some(issuer);
        c.code_pepper = Some(KeySetSource::SsmParameter(pepper));
        c.mfa_seal_key = Some(KeySetSource::SsmParameter(seal));
    })
    .await;
    let ssm_calls: Vec<String> = t.calls.take().into_iter().filter(|c| c.service == "SSM").map(|c| c.operation).collect();
    assert_eq!(ssm_calls, ["GetParameters"]);
    assert_eq!(t.app.code_pepper().unwrap().keys().ids().collect::<Vec<_>>(), ["k2", "k1"]);
    // The keys read are the ones in use: sign-up, activation and enrolment work.
    let u = t.user().await;
    enable(&t, &u).await;
    assert!(user_item(&t, &u).await["mfaSecret"].as_s().unwrap().starts_with("k1:"));
}

#[tokio::test]
async fn an_app_given_secrets_as_values_makes_no_ssm_call() {
    let t = TestApp::spawn().await;
    assert!(t.calls.take().iter().all(|c| c.service != "SSM"));
}

/// A config of the test environment with `vars` added.
fn config_with(vars: &[(&str, &str)]) -> Config {
    let base = [
        ("TABLE_NAME", "unused"),
        ("BUCKET_NAME", "unused"),
        ("MAIL_FROM", crate::helpers::MAIL_FROM),
        ("PUBLIC_BASE_URL", "http://accounts.test"),
        ("JWT_ISSUER", crate::helpers::ISSUER),
        ("JWT_AUDIENCE", "accounts-test-clients"),
    ];
    let all: Vec<(&str, &str)> = base.iter().chain(vars).copied().collect();
    Config::from_lookup(|k| all.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())).unwrap()
}

/// A cold start with `config`; an error as its whole chain.
async fn start(config: Config) -> Result<App, String> {
    let clock = std::sync::Arc::new(accounts_core::clock::ManualClock::starting_now());
    App::new(config, &crate::helpers::sdk_config().await, clock).await.map_err(|e| format!("{e:#}"))
}

#[tokio::test]
async fn a_missing_or_malformed_parameter_stops_the_start_naming_its_variable_not_its_value() {
    let (_, pepper, _) = put_parameters("k1:short", "unused").await;
    let missing = format!("{pepper}-missing");
    let err = start(config_with(&[("MFA_SEAL_KEY_PARAMETER", &missing)])).await.unwrap_err();
    assert_eq!(err, format!("MFA_SEAL_KEY_PARAMETER {missing}: no such parameter, or it has no value"));
    let err = start(config_with(&[("CODE_PEPPER_PARAMETER", &pepper)])).await.unwrap_err();
    assert!(
        err.contains(&format!("CODE_PEPPER_PARAMETER {pepper} must hold id:secret")) && err.contains("key k1 must be at least 32 bytes"),
        "{err}"
    );
    assert!(!err.contains("short"), "the value never reaches the message: {err}");
}

#[tokio::test]
async fn a_function_not_given_a_secret_starts_and_refuses_only_what_needs_it() {
    let t = TestApp::spawn_with(|c| {
        c.code_pepper = None;
        c.mfa_seal_key = None;
    })
    .await;
    assert!(t.app.pepper.is_none() && t.app.secrets.is_none());
    // What needs neither works: plans, and an account made by the bootstrap command signs in.
    t.get("/api/plans", None).await.assert(200, None);
    let input = accounts_core::services::admin::NewAccount {
        username: "no_secrets".into(),
        email: "no-secrets@example.com".into(),
        password: PASSWORD.into(),
        role: "user".into(),
        email_verified: true,
    };
    let actor = accounts_core::services::admin::Actor::cli();
    accounts_core::services::admin::create_account(
        &t.app.store,
        &t.app.hasher,
        t.app.clock.as_ref(),
        None,
        Default::default(),
        &actor,
        input,
    )
    .await
    .unwrap();
    let login = t.login("no_secrets", PASSWORD).await;
    login.assert(200, None);
    let access = login.data()["accessToken"].as_str().unwrap().to_owned();
    t.get("/api/users/me", Some(&access)).await.assert(200, None);
    // What needs one answers a plain 500 (the log names the missing setting), never a panic.
    let (username, email) = t.new_identity();
    let r = t.register(&username, &email, PASSWORD).await;
    r.assert(500, Some("INTERNAL"));
    assert!(!r.body.to_string().contains("CODE_PEPPER"), "{}", r.body);
    t.post("/api/users/me/mfa/totp", json!({"password": PASSWORD}), Some(&access)).await.assert(500, Some("INTERNAL"));
}

// ---- template.yaml: who can read which secret -----------------------------------------------------

/// A scalar of the template, through a `!Sub`/`!Ref` tag.
fn text(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::Tagged(t) => text(&t.value),
        serde_yaml::Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other).unwrap(),
    }
}

fn list(v: &serde_yaml::Value) -> Vec<String> {
    match v {
        serde_yaml::Value::Sequence(items) => items.iter().map(text).collect(),
        serde_yaml::Value::Null => Vec::new(),
        other => vec![text(other)],
    }
}

struct FunctionAccess {
    /// Environment variable → the parameter it references (`!Ref X` → `X`).
    env: BTreeMap<String, String>,
    /// `(actions, resource)` of every statement with an SSM action.
    ssm: Vec<(Vec<String>, String)>,
}

/// For each function (named by its `CodeUri` folder): its own environment and SSM grants.
fn functions() -> (BTreeMap<String, FunctionAccess>, serde_yaml::Value) {
    let template: serde_yaml::Value = serde_yaml::from_str(include_str!("../../template.yaml")).unwrap();
    let mut out = BTreeMap::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let props = &resource["Properties"];
        let name = text(&props["CodeUri"]).trim_end_matches('/').rsplit('/').next().unwrap().to_owned();
        let env =
            props["Environment"]["Variables"].as_mapping().map(|m| m.iter().map(|(k, v)| (text(k), text(v))).collect()).unwrap_or_default();
        let mut ssm = Vec::new();
        for policy in props["Policies"].as_sequence().into_iter().flatten() {
            for statement in policy["Statement"].as_sequence().into_iter().flatten() {
                let actions = list(&statement["Action"]);
                if actions.iter().any(|a| a.starts_with("ssm:")) {
                    for resource in list(&statement["Resource"]) {
                        ssm.push((actions.clone(), resource));
                    }
                }
            }
        }
        out.insert(name, FunctionAccess { env, ssm });
    }
    (out, template)
}

#[test]
fn only_the_functions_that_use_a_secret_can_read_it() {
    let (functions, template) = functions();
    assert!(functions.len() >= 7, "{:?}", functions.keys());
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    for (var, parameter, expected) in [
        // web: the pages call the auth, users and api-keys services in process (and key their
        // CSRF tokens with the pepper).
        ("CODE_PEPPER_PARAMETER", "CodePepperParameter", BTreeSet::from(["admin", "api-keys", "auth", "users", "web"])),
        ("MFA_SEAL_KEY_PARAMETER", "MfaSealKeyParameter", BTreeSet::from(["auth", "users", "web"])),
    ] {
        assert!(globals[var].is_null(), "{var} must not be global: every function could then read it");
        assert!(!template["Parameters"][parameter].is_null(), "{parameter}");
        let grant = format!("parameter${{{parameter}}}");
        let readers: BTreeSet<&str> =
            functions.iter().filter(|(_, f)| f.ssm.iter().any(|(_, r)| r.ends_with(&grant))).map(|(n, _)| n.as_str()).collect();
        assert_eq!(readers, expected, "functions that may read {parameter}");
        let given: BTreeSet<&str> =
            functions.iter().filter(|(_, f)| f.env.get(var).is_some_and(|p| p == parameter)).map(|(n, _)| n.as_str()).collect();
        assert_eq!(given, expected, "functions given {var}");
    }
    // The one call of a cold start is GetParameters, granted per parameter, never on a wildcard.
    for (name, f) in &functions {
        for (actions, resource) in &f.ssm {
            assert_eq!(actions, &["ssm:GetParameters"], "{name}: {resource}");
            assert!(!resource.contains('*'), "{name}: {resource}");
        }
    }
}
