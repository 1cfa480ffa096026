//! SPEC §3.1's password options: `PASSWORD_POLICY=nist` wherever a password is set, and the
//! breached-password screen (`BREACHED_PASSWORD_CHECK=hibp`) against a local server that
//! speaks the Pwned Passwords range protocol (`GET /range/{5 hex}` → `SUFFIX:COUNT` lines),
//! including its padding, a timeout (fail-open, and fail-closed when chosen) and an outage.

use crate::helpers::{PASSWORD, TestApp};
use crate::peers::{Answer, Peer};
use accounts_core::breached::sha1_prefix_and_suffix;
use accounts_core::config::{BreachedPasswordCheck, PasswordPolicy, PasswordSettings};
use serde_json::json;
use std::time::{Duration, Instant};

const BREACHED: &str = "Correct-Horse-Battery-9";

/// A range server that knows `BREACHED` (seen 42 times) and pads every answer.
fn range_server(delay: Duration) -> Peer {
    let (_, breached_suffix) = sha1_prefix_and_suffix(BREACHED);
    Peer::start(move |seen| {
        let Some(prefix) = seen.path.strip_prefix("/range/") else { return Answer { status: 404, body: String::new(), delay } };
        let mut lines = vec!["0018A45C4D1DEF81644B54AB7F969B88D65:3".to_owned(), "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0".to_owned()];
        if sha1_prefix_and_suffix(BREACHED).0 == prefix {
            lines.push(format!("{breached_suffix}:42"));
        }
        Answer { status: 200, body: lines.join("\r\n"), delay }
    })
}

fn hibp(peer_base: &str, timeout_ms: u64, fail_open: bool) -> impl FnOnce(&mut accounts_core::config::Config) {
    let range_url = format!("{peer_base}/range/");
    move |c| {
        c.passwords = PasswordSettings {
            policy: PasswordPolicy::default(),
            breached: BreachedPasswordCheck::Hibp { range_url, timeout_ms, fail_open },
        }
    }
}

fn messages(r: &crate::helpers::Resp) -> Vec<String> {
    r.body["details"]
        .as_array()
        .map(|d| d.iter().map(|f| f["message"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_breached_password_is_refused_and_only_a_five_digit_prefix_leaves() {
    let peer = range_server(Duration::ZERO);
    let t = TestApp::spawn_with(hibp(&peer.base, 2000, true)).await;
    let (username, email) = t.new_identity();
    let r = t.register(&username, &email, BREACHED).await;
    r.assert(422, Some("WEAK_PASSWORD"));
    assert!(messages(&r).iter().any(|m| m.contains("breaches")), "the failed rule is named: {:?}", r.body);

    let seen = peer.seen();
    assert_eq!(seen.len(), 1);
    let (prefix, suffix) = sha1_prefix_and_suffix(BREACHED);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, format!("/range/{prefix}"), "exactly the 5-digit prefix");
    assert_eq!(seen[0].header("add-padding"), Some("true"));
    assert!(seen[0].body.is_empty(), "a GET with no body");
    let everything = format!("{:?}", seen[0]);
    assert!(!everything.contains(&suffix) && !everything.contains(BREACHED), "neither the password nor the rest of its hash left");

    // The same screen guards every other place a password is set: here, a change.
    let u = t.user().await;
    let r = t
        .call(
            "PUT",
            "/api/users/me/password",
            Some(json!({"currentPassword": PASSWORD, "newPassword": BREACHED, "confirmPassword": BREACHED})),
            Some(&u.access),
        )
        .await;
    r.assert(422, Some("WEAK_PASSWORD"));
}

#[tokio::test]
async fn a_password_only_padding_matches_is_accepted() {
    let peer = range_server(Duration::ZERO);
    let t = TestApp::spawn_with(hibp(&peer.base, 2000, true)).await;
    let (username, email) = t.new_identity();
    t.register(&username, &email, "Unbreached-Passw0rd-77").await.assert(201, None);
    assert_eq!(peer.seen().len(), 1, "screened");
}

#[tokio::test]
async fn a_slow_range_api_fails_open_within_the_timeout() {
    let peer = range_server(Duration::from_secs(3));
    let t = TestApp::spawn_with(hibp(&peer.base, 300, true)).await;
    let (username, email) = t.new_identity();
    let started = Instant::now();
    t.register(&username, &email, BREACHED).await.assert(201, None);
    assert!(started.elapsed() < Duration::from_secs(2), "waited {:?} for an answer that came too late", started.elapsed());
    assert_eq!(peer.seen().len(), 1, "it was asked");
}

#[tokio::test]
async fn fail_closed_refuses_with_503_when_the_range_api_is_slow_or_down() {
    let slow = range_server(Duration::from_secs(3));
    let t = TestApp::spawn_with(hibp(&slow.base, 300, false)).await;
    let (username, email) = t.new_identity();
    t.register(&username, &email, "Unbreached-Passw0rd-77").await.assert(503, Some("DEPENDENCY_UNAVAILABLE"));

    // Nothing listens on the port any more: a connection error is an outage too.
    let gone = range_server(Duration::ZERO);
    let base = gone.base.clone();
    drop(gone);
    std::thread::sleep(Duration::from_millis(100));
    let t = TestApp::spawn_with(hibp(&base, 300, false)).await;
    t.register(&username, &email, "Unbreached-Passw0rd-77").await.assert(503, Some("DEPENDENCY_UNAVAILABLE"));
    let t = TestApp::spawn_with(hibp(&base, 300, true)).await;
    t.register(&username, &email, "Unbreached-Passw0rd-77").await.assert(201, None);
}

#[tokio::test]
async fn a_malformed_range_answer_is_an_outage_not_a_pass() {
    let peer = Peer::start(|_| Answer::ok("<html>maintenance</html>"));
    let t = TestApp::spawn_with(hibp(&peer.base, 2000, false)).await;
    let (username, email) = t.new_identity();
    t.register(&username, &email, "Unbreached-Passw0rd-77").await.assert(503, Some("DEPENDENCY_UNAVAILABLE"));
}

#[tokio::test]
async fn the_nist_policy_takes_long_passphrases_and_names_the_rule_a_short_one_fails() {
    let t = TestApp::spawn_with(|c| c.passwords.policy = PasswordPolicy::Nist { min_length: 15 }).await;
    let (username, email) = t.new_identity();
    let r = t.register(&username, &email, "sixteen-chars-ok").await;
    r.assert(201, None);
    let (username, email) = t.new_identity();
    let r = t.register(&username, &email, "Tr0ub4dor&3hor").await;
    r.assert(422, Some("WEAK_PASSWORD"));
    assert_eq!(messages(&r), ["must be at least 15 characters (counted after Unicode NFKC normalisation)"]);
    assert_eq!(r.body["details"][0]["field"], "password");
    let (username, email) = t.new_identity();
    t.register(&username, &email, "all lower case, no digits at all").await.assert(201, None);
    let (username, email) = t.new_identity();
    t.register(&username, &email, &"é".repeat(15)).await.assert(201, None);

    // Classic refuses the same passphrase for its composition rules.
    let classic = TestApp::spawn().await;
    let (username, email) = classic.new_identity();
    let r = classic.register(&username, &email, "all lower case, no digits at all").await;
    r.assert(422, Some("WEAK_PASSWORD"));
    assert!(messages(&r).iter().any(|m| m.contains("upper-case")), "{:?}", r.body);

    // And the policy holds on a change too.
    let u = t.user().await;
    let body = json!({"currentPassword": PASSWORD, "newPassword": "too-short-pass", "confirmPassword": "too-short-pass"});
    t.call("PUT", "/api/users/me/password", Some(body), Some(&u.access)).await.assert(422, Some("WEAK_PASSWORD"));
    let body =
        json!({"currentPassword": PASSWORD, "newPassword": "a long enough passphrase", "confirmPassword": "a long enough passphrase"});
    t.call("PUT", "/api/users/me/password", Some(body), Some(&u.access)).await.assert(200, None);
}
