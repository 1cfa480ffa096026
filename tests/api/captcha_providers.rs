//! `CAPTCHA_PROVIDER=turnstile|hcaptcha`: register verifies the widget's token server-side
//! against a local server that answers like the providers' siteverify (form-encoded `secret`,
//! `response`, `remoteip`; JSON `success` and `error-codes`), including a refusal, a wrong
//! secret, a malformed answer and a timeout (refused, never let through).

use crate::helpers::{PASSWORD, TestApp};
use crate::peers::{Answer, Peer};
use accounts_core::config::{CaptchaProvider, CaptchaSettings, Secret, SecretSource};
use serde_json::json;
use std::time::{Duration, Instant};

const SECRET: &str = "0x4AAAAAAA-test-secret";

/// A siteverify that knows one good token; `slow-token` answers after 3 s.
fn siteverify() -> Peer {
    Peer::start(|seen| {
        let form: Vec<(String, String)> = url_pairs(&seen.body);
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let delay = if get("response") == Some("slow-token") { Duration::from_secs(3) } else { Duration::ZERO };
        let body = if seen.path != "/siteverify" || seen.method != "POST" {
            return Answer { status: 404, body: String::new(), delay };
        } else if get("secret") != Some(SECRET) {
            json!({"success": false, "error-codes": ["invalid-input-secret"]})
        } else if get("response") == Some("good-token") {
            json!({"success": true, "error-codes": [], "hostname": "app.example.com"})
        } else if get("response") == Some("garbled-token") {
            return Answer { status: 200, body: "<html>oops</html>".into(), delay };
        } else {
            json!({"success": false, "error-codes": ["invalid-input-response"]})
        };
        Answer { status: 200, body: body.to_string(), delay }
    })
}

fn url_pairs(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

fn with_provider(provider: CaptchaProvider, peer: &Peer, secret: &str, timeout_ms: u64) -> impl FnOnce(&mut accounts_core::config::Config) {
    let verify_url = format!("{}/siteverify", peer.base);
    let secret = secret.to_owned();
    move |c| {
        c.require_captcha = true;
        c.captcha = CaptchaSettings::Provider {
            provider,
            secret: SecretSource::Value(Secret::new(secret)),
            verify_url: Some(verify_url),
            timeout_ms,
        };
    }
}

async fn register_with(t: &TestApp, captcha: Option<&str>) -> crate::helpers::Resp {
    let (username, email) = t.new_identity();
    let mut body = json!({"username": username, "email": email, "password": PASSWORD});
    if let Some(token) = captcha {
        body["captcha"] = json!(token);
    }
    t.call_from(Some("203.0.113.7"), "POST", "/api/auth/register", Some(body), None).await
}

#[tokio::test]
async fn a_turnstile_token_is_verified_server_side_with_secret_response_and_remoteip() {
    let peer = siteverify();
    let t = TestApp::spawn_with(with_provider(CaptchaProvider::Turnstile, &peer, SECRET, 2000)).await;
    register_with(&t, Some("good-token")).await.assert(201, None);
    let seen = peer.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("content-type"), Some("application/x-www-form-urlencoded"));
    let form = url_pairs(&seen[0].body);
    let expected: Vec<(String, String)> = [("secret", SECRET), ("response", "good-token"), ("remoteip", "203.0.113.7")]
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    assert_eq!(form, expected);

    register_with(&t, Some("replayed-or-wrong")).await.assert(400, Some("INVALID_CAPTCHA"));
    register_with(&t, None).await.assert(400, Some("INVALID_CAPTCHA"));
    register_with(&t, Some(&"x".repeat(5000))).await.assert(400, Some("INVALID_CAPTCHA"));
    assert_eq!(peer.seen().len(), 2, "no call without a token or with an oversized one");
}

#[tokio::test]
async fn an_hcaptcha_refusal_or_a_wrong_secret_refuses_the_registration() {
    let peer = siteverify();
    let t = TestApp::spawn_with(with_provider(CaptchaProvider::HCaptcha, &peer, SECRET, 2000)).await;
    register_with(&t, Some("bad-token")).await.assert(400, Some("INVALID_CAPTCHA"));
    register_with(&t, Some("good-token")).await.assert(201, None);
    let wrong = TestApp::spawn_with(with_provider(CaptchaProvider::HCaptcha, &peer, "not-the-secret", 2000)).await;
    register_with(&wrong, Some("good-token")).await.assert(400, Some("INVALID_CAPTCHA"));
}

#[tokio::test]
async fn a_slow_or_garbled_siteverify_refuses_rather_than_letting_the_request_through() {
    let peer = siteverify();
    let t = TestApp::spawn_with(with_provider(CaptchaProvider::Turnstile, &peer, SECRET, 300)).await;
    let started = Instant::now();
    register_with(&t, Some("slow-token")).await.assert(503, Some("DEPENDENCY_UNAVAILABLE"));
    assert!(started.elapsed() < Duration::from_secs(2), "waited {:?}", started.elapsed());
    register_with(&t, Some("garbled-token")).await.assert(503, Some("DEPENDENCY_UNAVAILABLE"));
    let base = {
        let gone = siteverify();
        gone.base.clone()
    };
    std::thread::sleep(Duration::from_millis(100));
    let down = TestApp::spawn_with(|c| {
        c.require_captcha = true;
        c.captcha = CaptchaSettings::Provider {
            provider: CaptchaProvider::Turnstile,
            secret: SecretSource::Value(Secret::new(SECRET)),
            verify_url: Some(format!("{base}/siteverify")),
            timeout_ms: 300,
        };
    })
    .await;
    register_with(&down, Some("good-token")).await.assert(503, Some("DEPENDENCY_UNAVAILABLE"));
}

#[tokio::test]
async fn the_builtin_captcha_still_works_without_a_provider() {
    let t = TestApp::spawn_with(|c| c.require_captcha = true).await;
    register_with(&t, Some("abcde")).await.assert(400, Some("INVALID_CAPTCHA"));
    let r = t.get("/api/auth/captcha", None).await;
    r.assert(200, None);
    assert!(r.data()["captchaImage"].as_str().unwrap().starts_with("data:image/png;base64,"));
}
