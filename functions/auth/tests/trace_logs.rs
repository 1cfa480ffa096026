//! Issue 22, finding 9: with `LOG_LEVEL=trace` (allowed by the template) the Lambda runtime
//! logs every raw event, so a login's password, and the tokens of its answer, reached the log.
//! This runs the real `auth` binary against a minimal Lambda Runtime API (std only, below),
//! hands it one `POST /api/auth/login` event and asserts that neither the password nor the body
//! appears in anything the process printed, while trace logging of our own code is on.
//!
//! The function points at `ACCOUNTS_TEST_ENDPOINT` (moto, under `make test`) or, without it, at
//! a closed port: the login then answers 503, which does not matter here: the runtime logs the
//! event before the handler runs.

// Test code may unwrap and panic: a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const PASSWORD: &str = "Trace-Secret-Passw0rd-9f2c";

fn login_event() -> String {
    let body = format!(r#"{{"username":"tracer","password":"{PASSWORD}"}}"#);
    serde_json_like_event(&body)
}

/// An API Gateway HTTP API (payload 2.0) event, written out by hand (no serde in this crate).
fn serde_json_like_event(body: &str) -> String {
    let escaped = body.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        r#"{{"version":"2.0","routeKey":"POST /api/auth/login","rawPath":"/api/auth/login","rawQueryString":"",
"headers":{{"content-type":"application/json","host":"example.test"}},
"requestContext":{{"accountId":"123456789012","apiId":"api","domainName":"example.test","domainPrefix":"api",
"http":{{"method":"POST","path":"/api/auth/login","protocol":"HTTP/1.1","sourceIp":"203.0.113.9","userAgent":"test"}},
"requestId":"req-1","routeKey":"POST /api/auth/login","stage":"$default","time":"01/Jan/2025:00:00:00 +0000","timeEpoch":1735689600000}},
"body":"{escaped}","isBase64Encoded":false}}"#
    )
}

/// One HTTP/1.1 request: (request line, body).
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((line.trim_end().to_owned(), body))
}

/// The Runtime API: the first `next` gets the event, its response is sent to `answers`, any
/// further `next` is held open (the process is killed then).
fn runtime_api(listener: TcpListener, answers: mpsc::Sender<String>) {
    let mut served = false;
    for stream in listener.incoming() {
        let Ok(stream) = stream else { return };
        let answers = answers.clone();
        let first = !served;
        served = true;
        std::thread::spawn(move || {
            let mut writer = stream.try_clone().unwrap();
            let mut reader = BufReader::new(stream);
            let mut handed_out = !first;
            while let Some((line, body)) = read_request(&mut reader) {
                if line.starts_with("GET ") && line.contains("/invocation/next") {
                    if handed_out {
                        std::thread::sleep(Duration::from_secs(600));
                        return;
                    }
                    handed_out = true;
                    let event = login_event();
                    let deadline = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() + 30_000;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: req-1\r\n\
                         lambda-runtime-deadline-ms: {deadline}\r\nlambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:auth\r\n\
                         lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000\r\ncontent-length: {}\r\n\r\n",
                        event.len()
                    );
                    writer.write_all(head.as_bytes()).unwrap();
                    writer.write_all(event.as_bytes()).unwrap();
                } else {
                    let _ = writer.write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}");
                    if line.contains("/response") || line.contains("/error") {
                        let _ = answers.send(String::from_utf8_lossy(&body).into_owned());
                    }
                }
            }
        });
    }
}

#[test]
fn at_trace_level_a_login_body_never_reaches_the_log() {
    let log = run_login("trace");
    // Trace logging is on for our code and the runtime's spans are there ...
    assert!(log.contains("Lambda runtime invoke"), "no runtime span in the log:\n{log}");
    // ... and the request's password and body are not.
    assert!(!log.contains(PASSWORD), "the password reached the log:\n{log}");
    assert!(!log.contains("raw JSON event"), "the runtime logged the raw event:\n{log}");
    assert!(!log.contains(r#"username\":\"tracer"#) && !log.contains(r#""username":"tracer""#), "the body reached the log:\n{log}");
}

/// Runs the real `auth` binary at `level` for one login invocation; everything it printed.
fn run_login(level: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || runtime_api(listener, tx));

    let endpoint = std::env::var("ACCOUNTS_TEST_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:9".into());
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs([
            ("AWS_LAMBDA_RUNTIME_API", addr.to_string()),
            ("AWS_LAMBDA_FUNCTION_NAME", "auth".into()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".into()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "1".into()),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "stream".into()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "group".into()),
            ("LOG_LEVEL", level.into()),
            ("TABLE_NAME", "trace-logs-test".into()),
            ("BUCKET_NAME", "trace-logs-test".into()),
            ("MAIL_FROM", "no-reply@example.test".into()),
            ("PUBLIC_BASE_URL", "http://example.test".into()),
            ("JWT_ISSUER", "https://accounts.example.test".into()),
            ("JWT_AUDIENCE", "test".into()),
            ("CODE_PEPPER", "k1:trace-logs-test-code-pepper-0123456789abcdef".into()),
            ("REQUIRE_CAPTCHA", "false".into()),
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // Drained while it runs: at trace level the log overflows a pipe's buffer and the process
    // would block on its next write.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let answer = rx.recv_timeout(Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    let log = format!("{}{}", stdout.join().unwrap(), stderr.join().unwrap());
    let answer = answer.unwrap_or_else(|_| panic!("the function never answered the invocation; its log:\n{log}"));

    // The invocation was handled (an answer for the login route came back).
    assert!(answer.contains("statusCode"), "{answer}");
    log
}

#[test]
fn the_function_logs_json_lines_naming_itself_and_the_invocation() {
    // The same run as above with the default LOG_FORMAT (json) at info: what CloudWatch gets.
    let log = run_login("info");
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "nothing logged");
    for line in &lines {
        assert!(line.starts_with('{') && line.ends_with('}'), "not a JSON line: {line}\n{log}");
    }
    // Lines written while the invocation ran carry Lambda's request id and the function's name.
    let in_invocation: Vec<&&str> = lines.iter().filter(|l| l.contains(r#""requestId":"req-1""#)).collect();
    assert!(!in_invocation.is_empty(), "no line carries the invocation's request id:\n{log}");
    assert!(in_invocation.iter().all(|l| l.contains(r#""function":"auth""#)), "a line without the function's name:\n{log}");
    // ... and those of the request, the API Gateway request id the answer carries (x-request-id).
    assert!(lines.iter().any(|l| l.contains(r#""request_id":"req-1""#)), "no line carries the request's id:\n{log}");
    assert!(!log.contains(PASSWORD));
}
