//! Logs and metrics (issue 20): the functions log one JSON object a line through the same layer
//! production installs (`app::logging_layer`), each line inside a request carrying its request
//! id; sign-ups, sign-ins, failures and lockouts are embedded-metric lines; and neither a log
//! line nor a metric line holds a password, a token, a mailed secret or an address.

use crate::helpers::{PASSWORD, TestApp};
use accounts_core::config::LogFormat;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged in this test binary from the first call on (the process-wide subscriber:
/// other tests' lines are in it too, which only makes the secret check stricter).
fn captured() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        use lambda_http::tracing::subscriber::{self, layer::SubscriberExt as _, util::SubscriberInitExt as _};
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Capture(buffer.clone());
        subscriber::registry()
            .with(accounts_core::app::logging_layer("debug", LogFormat::Json, move || sink.clone()))
            .try_init()
            .expect("no other test installs a global subscriber");
        buffer
    })
    .clone()
}

fn log_text() -> String {
    String::from_utf8_lossy(&captured().lock().unwrap()).into_owned()
}

#[tokio::test]
async fn logs_are_json_lines_with_the_request_id_and_hold_no_secret_and_no_address() {
    captured();
    let t = TestApp::spawn().await;
    let (username, email) = t.new_identity();
    t.register(&username, &email, PASSWORD).await.assert(201, None);
    let code = t.activation_code(&email).await;
    t.login(&username, "Wrong-Passw0rd-Here").await.assert(401, Some("INVALID_CREDENTIALS"));
    let l = t.login(&email, PASSWORD).await;
    l.assert(200, None);
    let (access, refresh) = (l.data()["accessToken"].as_str().unwrap().to_owned(), l.data()["refreshToken"].as_str().unwrap().to_owned());
    t.post("/api/auth/activate", json!({"code": code}), Some(&access)).await.assert(200, None);
    t.post("/api/auth/forgot-password", json!({"email": email}), None).await.assert(202, None);
    let reset = t.mailed_token(&email).await;
    let new_password = "Another-Secret-Pass-77";
    t.post("/api/auth/reset-password", json!({"token": reset, "newPassword": new_password}), None).await.assert(200, None);

    let log = log_text();
    for secret in [PASSWORD, new_password, &access, &refresh, &reset, &email] {
        assert!(!log.contains(secret), "a secret or an address reached the log: {secret}");
    }
    // Every line is one JSON object; those written inside a request name it.
    let lines: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))).collect();
    let failed = lines
        .iter()
        .find(|l| l["message"] == "login failed" && l["span"]["path"] == "/api/auth/login")
        .unwrap_or_else(|| panic!("no 'login failed' line of a login request in:\n{log}"));
    assert_eq!(failed["level"], "INFO");
    let id = failed["span"]["request_id"].as_str().expect("the request id on the line");
    assert!(!id.is_empty());
    assert!(failed["spans"].as_array().unwrap().iter().any(|s| s["request_id"] == id), "{failed}");
    // The redacted form of the address is what a line may carry.
    let registered = lines.iter().find(|l| l["message"] == "user registered" && l["user"].is_string()).unwrap();
    assert!(registered["email"].as_str().unwrap().contains("***"), "{registered}");
}

#[tokio::test]
async fn sign_ups_sign_ins_failures_and_lockouts_are_counted_as_embedded_metrics_without_personal_data() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    assert_eq!(t.metric_count("SignUps", None), 1);
    assert_eq!(t.metric_count("SignIns", None), 1, "the sign-in of TestApp::user");
    for _ in 0..t.app.config.lockout.threshold {
        t.login(&u.username, "Wrong-Passw0rd-Here").await.assert(401, Some("INVALID_CREDENTIALS"));
    }
    t.login(&u.username, PASSWORD).await.assert(429, Some("RATE_LIMITED"));
    t.login("nobody_at_all", "Wrong-Passw0rd-Here").await.assert(401, Some("INVALID_CREDENTIALS"));
    assert_eq!(
        t.metric_count("SignInFailures", None),
        t.app.config.lockout.threshold as usize + 1,
        "unknown names count like wrong passwords"
    );
    assert_eq!(t.metric_count("Lockouts", None), 1);
    assert_eq!(t.metric_count("MailSent", Some("activation")), 1);

    for line in t.metric_lines() {
        // The embedded metric format: the directive, the metric, at most the kind of mail.
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Accounts/test");
        let metric = directive["Metrics"][0]["Name"].as_str().unwrap();
        assert_eq!(line[metric], 1, "{line}");
        let keys: Vec<&str> = line.as_object().unwrap().keys().map(String::as_str).filter(|k| *k != "_aws" && *k != metric).collect();
        assert!(keys.is_empty() || keys == ["kind"], "a metric line carries only counts and the kind: {line}");
        let text = line.to_string();
        for personal in [u.email.as_str(), u.username.as_str(), u.id.as_str()] {
            assert!(!text.contains(personal), "{text}");
        }
    }
}
