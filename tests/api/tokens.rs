//! Access tokens anyone can verify (SPEC §3.1 "Signing keys"): RS256 signed in KMS, the JWKS
//! and discovery documents, verification with public keys only, forged tokens refused by every
//! function, the key rotation timeline, and what `template.yaml` lets each function do with
//! the keys. (infra/jwt_check.py checks the same with PyJWT against a running local stack.)

use crate::helpers::{ISSUER, TestApp, signing_key};
use accounts_core::domain::{ACCESS_TOKEN_TTL_SECS, ISSUER_RING_MAX_AGE_SECS, PUBLISH_LEAD_SECS, RETAIN_AFTER_SUPERSEDED_SECS, thumbprint};
use accounts_core::services::signing::{self, Rotation};
use base64::Engine as _;
use serde_json::{Value, json};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn part(token: &str, i: usize) -> Value {
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(i).unwrap()).unwrap()).unwrap()
}

/// A route of every function that takes an access token, and what a valid user token gets.
const ROUTES: &[(&str, u16)] = &[
    ("/api/auth/status", 200),
    ("/api/users/me", 200),
    ("/api/uploads", 200),
    ("/api/subscription", 200),
    ("/api/api-keys", 200),
    ("/api/admin/users", 403),
];

async fn jwks(t: &TestApp) -> Value {
    let r = t.get("/.well-known/jwks.json", None).await;
    assert_eq!(r.status, 200);
    r.body
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

/// Signs `claims` under `kid` with the stack's KMS key: a token as genuine as the issuer's.
async fn signed_by_stack(t: &TestApp, header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let sig = t.app.kms.as_ref().unwrap().sign(&signing_key().await, input.as_bytes()).await.unwrap();
    format!("{input}.{}", b64(&sig))
}

#[tokio::test]
async fn the_jwks_and_discovery_documents_publish_the_key_that_signs_access_tokens() {
    let t = TestApp::spawn().await;
    let user = t.user().await;
    let header = part(&user.access, 0);
    assert_eq!(header["alg"], "RS256");

    let r = t.get("/.well-known/jwks.json", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["cache-control"], "public, max-age=300");
    assert_eq!(r.headers["content-type"], "application/json");
    assert!(r.body.get("success").is_none(), "a standard document, not the API envelope");
    let keys = r.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let k = &keys[0];
    assert_eq!(
        (k["kty"].as_str(), k["use"].as_str(), k["alg"].as_str(), k["e"].as_str()),
        (Some("RSA"), Some("sig"), Some("RS256"), Some("AQAB"))
    );
    assert_eq!(k["kid"], header["kid"]);
    assert_eq!(k["kid"].as_str().unwrap(), thumbprint(k["n"].as_str().unwrap(), "AQAB"), "kid is the RFC 7638 thumbprint");
    assert_eq!(k.as_object().unwrap().len(), 6, "public members only: {k}");

    let d = t.get("/.well-known/openid-configuration", None).await;
    assert_eq!(d.status, 200);
    assert_eq!(d.headers["cache-control"], "public, max-age=300");
    assert_eq!(d.body["issuer"], ISSUER);
    assert_eq!(d.body["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
    assert_eq!(d.body["id_token_signing_alg_values_supported"], json!(["RS256"]));

    // What a third party does with the JWKS alone: the RSA components and a JWT library.
    let key = jsonwebtoken::DecodingKey::from_rsa_components(k["n"].as_str().unwrap(), "AQAB").unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_issuer(&[ISSUER]);
    v.set_audience(&[t.app.config.jwt_audience.as_str()]);
    let claims = jsonwebtoken::decode::<Value>(&user.access, &key, &v).unwrap().claims;
    assert_eq!(claims["sub"], user.id);
    assert_eq!(claims["typ"], "access");
    for name in ["iss", "aud", "sub", "sid", "role", "exp", "iat", "jti", "typ"] {
        assert!(!claims[name].is_null(), "{name} missing");
    }
}

#[tokio::test]
async fn the_jwks_of_a_fresh_stack_already_holds_the_first_key() {
    // A stack whose ring nobody started yet (no token issued): the auth function's JWKS starts
    // it rather than answering an empty key set to the first verifier that looks.
    let t = TestApp::spawn().await;
    let key = |v: &str| aws_sdk_dynamodb::types::AttributeValue::S(v.into());
    t.dynamo.delete_item().table_name(&t.table).key("pk", key("SIGNING")).key("sk", key("KEYS")).send().await.unwrap();
    let cold = t.restarted(|_| {}).await;
    let keys = jwks(&cold).await;
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1, "{keys}");
    let user = cold.user().await;
    assert_eq!(kids(&keys), [part(&user.access, 0)["kid"].as_str().unwrap()]);
}

#[tokio::test]
async fn forged_tokens_are_refused_by_every_function_and_the_same_claims_signed_properly_are_not() {
    let t = TestApp::spawn().await;
    let user = t.user().await;
    let (header, claims) = (part(&user.access, 0), part(&user.access, 1));
    let kid = header["kid"].as_str().unwrap().to_owned();

    // The control: the same claims, re-signed by the stack's key, pass everywhere.
    let control = signed_by_stack(
        &t,
        &header,
        &json!(claims.as_object().unwrap().clone().into_iter().chain([("jti".into(), json!("c"))]).collect::<serde_json::Map<_, _>>()),
    )
    .await;
    for (route, status) in ROUTES {
        assert_eq!(t.get(route, Some(&control)).await.status, *status, "{route}: the control token");
    }

    let with = |name: &str, value: Value| {
        let mut c = claims.clone();
        c[name] = value;
        c
    };
    let [h, p, s] = <[&str; 3]>::try_from(user.access.split('.').collect::<Vec<_>>()).unwrap();
    let tampered = format!("{h}.{}.{s}", b64(with("role", json!("admin")).to_string().as_bytes()));
    let hs_header = b64(json!({"alg": "HS256", "typ": "JWT", "kid": kid}).to_string().as_bytes());
    let n = jwks(&t).await["keys"][0]["n"].as_str().unwrap().to_owned();
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header { kid: Some(kid.clone()), ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256) },
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(n.as_bytes()),
    )
    .unwrap();
    let none = format!("{}.{p}.", b64(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string().as_bytes()));
    let unknown_kid_header = json!({"alg": "RS256", "typ": "JWT", "kid": "A".repeat(43)});
    let forged = [
        ("tampered payload", tampered),
        ("HS256 keyed with the public key", hs256),
        ("HS256 header on an RS256 signature", format!("{hs_header}.{p}.{s}")),
        ("alg none", none),
        ("unknown kid", signed_by_stack(&t, &unknown_kid_header, &claims).await),
        ("wrong iss", signed_by_stack(&t, &header, &with("iss", json!("https://evil.example"))).await),
        ("wrong aud", signed_by_stack(&t, &header, &with("aud", json!("someone-else"))).await),
        ("not an access token", signed_by_stack(&t, &header, &with("typ", json!("mfa"))).await),
    ];
    for (what, token) in &forged {
        for (route, _) in ROUTES {
            let r = t.get(route, Some(token)).await;
            r.assert(401, Some("UNAUTHENTICATED"));
            assert_eq!(r.status, 401, "{route}: {what}");
        }
    }
    let expired = signed_by_stack(&t, &header, &with("exp", json!(t.app.now() - 1))).await;
    for (route, _) in ROUTES {
        t.get(route, Some(&expired)).await.assert(401, Some("TOKEN_EXPIRED"));
    }
}

#[tokio::test]
async fn a_flood_of_unknown_kids_reads_the_key_ring_at_most_once() {
    let t = TestApp::spawn().await;
    let user = t.user().await;
    let claims = part(&user.access, 1);
    t.calls.take();
    for i in 0..20 {
        let kid = format!("{i:0>43}");
        let token = signed_by_stack(&t, &json!({"alg": "RS256", "typ": "JWT", "kid": kid}), &claims).await;
        t.get("/api/users/me", Some(&token)).await.assert(401, Some("UNAUTHENTICATED"));
    }
    // One re-read of the ring for the first unknown kid, then none for 30 s.
    assert_eq!(t.calls.take_operations("DynamoDB"), ["GetItem"]);
    // A kid that is not even thumbprint-shaped costs nothing.
    let token = signed_by_stack(&t, &json!({"alg": "RS256", "typ": "JWT", "kid": "short"}), &claims).await;
    t.get("/api/users/me", Some(&token)).await.assert(401, Some("UNAUTHENTICATED"));
    assert!(t.calls.take_operations("DynamoDB").is_empty());
    // The genuine token still costs only its session read.
    t.get("/api/users/me", Some(&user.access)).await.assert(200, None);
    assert_eq!(t.calls.take_operations("DynamoDB"), ["BatchGetItem"]);
}

#[tokio::test]
async fn a_rotation_publishes_the_next_key_first_switches_later_and_loses_no_token_or_session() {
    let t = TestApp::spawn().await;
    let kms = t.app.kms.clone().unwrap();
    let user = t.user().await;
    let old_kid = part(&user.access, 0)["kid"].as_str().unwrap().to_owned();

    let Rotation::Rotated { next, removed } = signing::rotate(&t.app.store, &kms, "accounts-tests", t.app.now()).await.unwrap() else {
        panic!("not rotated")
    };
    assert!(removed.is_empty());
    assert_eq!(next.signs_from, t.app.now() + PUBLISH_LEAD_SECS);
    assert_eq!(kids(&jwks(&t).await), std::slice::from_ref(&old_kid), "this instance's copy is still fresh");
    // Published as soon as the serving instance's copy of the ring is due (≤ 5 min, which the
    // lead time allows for), current first; the old key keeps signing for now.
    t.clock.advance(time::Duration::seconds(ISSUER_RING_MAX_AGE_SECS));
    assert_eq!(kids(&jwks(&t).await), [old_kid.clone(), next.kid.clone()]);
    // A second step while the next key waits changes nothing.
    assert!(matches!(signing::rotate(&t.app.store, &kms, "accounts-tests", t.app.now()).await.unwrap(), Rotation::Refused(_)));
    assert_eq!(kids(&jwks(&t).await).len(), 2);

    // Just before the switch: a token signed by the old key.
    t.clock.advance(time::Duration::seconds(PUBLISH_LEAD_SECS - ISSUER_RING_MAX_AGE_SECS - 60));
    let before = t.login(&user.username, crate::helpers::PASSWORD).await;
    let old_token = before.body["data"]["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(part(&old_token, 0)["kid"], old_kid);

    // After it: new tokens carry the new kid; the old token still works until it expires.
    t.clock.advance(time::Duration::seconds(120));
    let after = t.login(&user.username, crate::helpers::PASSWORD).await;
    assert_eq!(part(after.body["data"]["accessToken"].as_str().unwrap(), 0)["kid"], next.kid);
    t.get("/api/users/me", Some(&old_token)).await.assert(200, None);
    // No session lost: the refresh token from before the rotation still works, under the new key.
    let refreshed = t.post("/api/auth/refresh", json!({"refreshToken": user.refresh}), None).await;
    refreshed.assert(200, None);
    let new_access = refreshed.body["data"]["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(part(&new_access, 0)["kid"], next.kid);
    t.get("/api/users/me", Some(&new_access)).await.assert(200, None);
    assert_eq!(kids(&jwks(&t).await), [next.kid.clone(), old_kid.clone()], "current first, then the previous key");

    t.clock.advance(time::Duration::seconds(ACCESS_TOKEN_TTL_SECS));
    t.get("/api/users/me", Some(&old_token)).await.assert(401, Some("TOKEN_EXPIRED"));

    // Once its tokens and every cached JWKS copy have expired, the next step retires the old key.
    t.clock.advance(time::Duration::seconds(RETAIN_AFTER_SUPERSEDED_SECS));
    assert_eq!(kids(&jwks(&t).await), std::slice::from_ref(&next.kid));
    let Rotation::Rotated { next: third, removed } = signing::rotate(&t.app.store, &kms, "accounts-tests", t.app.now()).await.unwrap()
    else {
        panic!("not rotated")
    };
    assert_eq!(removed.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), [old_kid.as_str()]);
    t.clock.advance(time::Duration::seconds(ISSUER_RING_MAX_AGE_SECS));
    assert_eq!(kids(&jwks(&t).await), [next.kid.clone(), third.kid.clone()]);
    assert_eq!(t.app.store.get_key_ring().await.unwrap().keys().len(), 2);
}

#[tokio::test]
async fn a_function_without_the_signing_key_verifies_tokens_but_cannot_issue_one() {
    let t = TestApp::spawn().await;
    let user = t.user().await;
    // Another function of the same stack: same table, no SIGNING_KEY (as template.yaml gives
    // every function but auth).
    let table = t.table.clone();
    let verifier = TestApp::spawn_with(|c| {
        c.table_name = table;
        c.signing_kms_key = None;
    })
    .await;
    assert!(verifier.app.kms.is_none());
    verifier.get("/api/users/me", Some(&user.access)).await.assert(200, None);
    verifier.login(&user.username, crate::helpers::PASSWORD).await.assert(500, Some("INTERNAL"));
}

// ---- template.yaml ---------------------------------------------------------------------------

fn template() -> serde_yaml::Value {
    serde_yaml::from_str(include_str!("../../template.yaml")).unwrap()
}

/// `(function resource, actions)` of every statement naming a KMS action.
fn kms_grants(template: &serde_yaml::Value) -> Vec<(String, Vec<String>, serde_yaml::Value)> {
    let mut grants = Vec::new();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        let Some(policies) = resource["Properties"]["Policies"].as_sequence() else { continue };
        for policy in policies {
            for statement in policy["Statement"].as_sequence().into_iter().flatten() {
                let actions: Vec<String> = match &statement["Action"] {
                    serde_yaml::Value::String(a) => vec![a.clone()],
                    serde_yaml::Value::Sequence(list) => list.iter().filter_map(|a| a.as_str().map(str::to_owned)).collect(),
                    _ => Vec::new(),
                };
                if actions.iter().any(|a| a.starts_with("kms:")) {
                    grants.push((name.as_str().unwrap().to_owned(), actions, statement.clone()));
                }
            }
        }
    }
    grants
}

#[test]
fn only_the_functions_that_start_sessions_can_sign_and_only_with_the_stacks_tagged_keys() {
    // auth (the JSON login) and web (the pages' sign-in) issue access tokens; nothing else.
    const ISSUERS: [&str; 2] = ["AuthFunction", "WebFunction"];
    let template = template();
    let grants = kms_grants(&template);
    assert_eq!(grants.iter().map(|(f, _, _)| f.as_str()).collect::<Vec<_>>(), ISSUERS, "one KMS statement each: {grants:?}");
    for (_, actions, statement) in &grants {
        assert_eq!(actions, &["kms:Sign", "kms:GetPublicKey"]);
        let condition = format!("{:?}", statement["Condition"]["StringEquals"]["aws:ResourceTag/accounts:signing"]);
        assert!(condition.contains("AWS::StackName"), "sign only keys tagged for this stack: {condition}");
    }
    // The key exists, is RSA and carries the tag; only the issuing functions are told its ARN.
    let key = &template["Resources"]["SigningKey"]["Properties"];
    assert_eq!((key["KeySpec"].as_str(), key["KeyUsage"].as_str()), (Some("RSA_2048"), Some("SIGN_VERIFY")));
    assert_eq!(key["Tags"][0]["Key"].as_str(), Some(accounts_core::kms::SIGNING_KEY_TAG));
    assert!(template["Globals"]["Function"]["Environment"]["Variables"]["SIGNING_KEY"].is_null());
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        let has_key = !resource["Properties"]["Environment"]["Variables"]["SIGNING_KEY"].is_null();
        assert_eq!(has_key, name.as_str().is_some_and(|n| ISSUERS.contains(&n)), "{name:?}");
    }
}

#[test]
fn the_template_shows_a_jwt_authorizer_trusting_the_stacks_issuer_and_audience() {
    let template = template();
    let r = &template["Resources"];
    let auth = &r["ExampleJwtAuthorizer"]["Properties"];
    assert_eq!(auth["AuthorizerType"].as_str(), Some("JWT"));
    let issuer = format!("{:?}", auth["JwtConfiguration"]["Issuer"]);
    assert_eq!(
        issuer,
        format!("{:?}", r["IssuerParameter"]["Properties"]["Value"]),
        "the authorizer trusts the issuer the functions sign as"
    );
    assert!(format!("{:?}", auth["JwtConfiguration"]["Audience"]).contains("JwtAudience"));
    assert_eq!(r["ExampleRoute"]["Properties"]["AuthorizationType"].as_str(), Some("JWT"));
    // Every function reads the issuer from that parameter, which only names it.
    let env = format!("{:?}", template["Globals"]["Function"]["Environment"]["Variables"]["JWT_ISSUER_PARAMETER"]);
    assert!(env.contains("/accounts/issuer"), "{env}");
    // The documents are routed to the auth function.
    let events = format!("{:?}", r["AuthFunction"]["Properties"]["Events"]);
    assert!(events.contains("/.well-known/jwks.json") && events.contains("/.well-known/openid-configuration"));
}
