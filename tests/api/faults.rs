//! Fault injection at the SDK's HTTP boundary (the pattern of `serial.rs`): an `HttpClient`
//! that sits between the app's AWS clients and the emulator and, for requests matching a rule
//! (a DynamoDB operation by its `X-Amz-Target`, an SES action by its `Action=` form field, an
//! S3 call by method and path), either answers a synthetic AWS error without reaching the
//! emulator, or forwards the request and then loses the response (a connection reset after
//! the emulator executed it), for the first N matching attempts or always. Each rule counts
//! the attempts it saw, so a test can assert how often the SDK retried.
//!
//! The synthetic errors are the wire shapes the services send, so the SDK classifies them
//! exactly as it would in AWS: DynamoDB `400 ThrottlingException` (awsJson1.0), SES
//! `400 Throttling` / `500 InternalFailure` (awsQuery XML), S3 `503 SlowDown` / `500
//! InternalError` (REST XML).
//!
//! The SDK's retry quota (a token bucket of 500 per service, shared by every client of the test
//! process; a retry costs 5) is what could stop a retry early: the fault tests spend well under
//! 200 of it, and every successful call of the suite refills one.

use crate::helpers::TestApp;
use accounts_core::config::Config;
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// Which requests a rule applies to.
#[derive(Debug, Clone)]
pub enum Target {
    /// A DynamoDB operation (`TransactWriteItems`, `BatchGetItem`, …).
    Dynamo(&'static str),
    /// An SES action (`SendEmail`).
    Ses(&'static str),
    /// An S3 request with this method whose path contains this text (`("PUT", "/avatars/")`).
    S3(&'static str, &'static str),
    /// An EventBridge operation (`PutEvents`).
    EventBridge(&'static str),
}

impl Target {
    fn matches(&self, request: &HttpRequest) -> bool {
        let target = request.headers().get("x-amz-target");
        match self {
            Target::Dynamo(op) => target.and_then(|t| t.strip_prefix("DynamoDB_20120810.")) == Some(*op),
            Target::EventBridge(op) => target.and_then(|t| t.strip_prefix("AWSEvents.")) == Some(*op),
            Target::Ses(action) => {
                target.is_none()
                    && request
                        .body()
                        .bytes()
                        .is_some_and(|b| String::from_utf8_lossy(b).split('&').any(|field| field == format!("Action={action}")))
            }
            Target::S3(method, path) => {
                target.is_none()
                    && request.method() == *method
                    && !request.body().bytes().is_some_and(|b| b.starts_with(b"Action="))
                    && request.uri().split('?').next().is_some_and(|p| p.contains(path))
            }
        }
    }

    /// The service's own answer for `failure` (`None`: the failure is not an answer).
    fn answer(&self, failure: Failure) -> Option<HttpResponse> {
        let (status, content_type, body) = match (self, failure) {
            (_, Failure::LoseResponse | Failure::HalfOfTheEntries) => return None,
            (Target::EventBridge(_), Failure::Throttle) => (
                400,
                "application/x-amz-json-1.1",
                r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_owned(),
            ),
            (Target::EventBridge(_), Failure::ServerError) => {
                (500, "application/x-amz-json-1.1", r#"{"__type":"InternalException","message":"Internal error"}"#.to_owned())
            }
            (Target::Dynamo(_), Failure::Throttle) => (
                400,
                "application/x-amz-json-1.0",
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#.to_owned(),
            ),
            (Target::Dynamo(_), Failure::ServerError) => (
                500,
                "application/x-amz-json-1.0",
                r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}"#.to_owned(),
            ),
            (Target::Ses(_), Failure::Throttle) => (400, "text/xml", ses_error("Sender", "Throttling", "Maximum sending rate exceeded.")),
            (Target::Ses(_), Failure::ServerError) => (500, "text/xml", ses_error("Receiver", "InternalFailure", "Internal failure.")),
            (Target::S3(..), Failure::Throttle) => (503, "application/xml", s3_error("SlowDown", "Please reduce your request rate.")),
            (Target::S3(..), Failure::ServerError) => {
                (500, "application/xml", s3_error("InternalError", "We encountered an internal error. Please try again."))
            }
        };
        let mut response = HttpResponse::new(StatusCode::try_from(status).ok()?, SdkBody::from(body));
        response.headers_mut().insert("content-type", content_type);
        response.headers_mut().insert("x-amzn-requestid", "fault-injected");
        Some(response)
    }
}

fn ses_error(kind: &str, code: &str, message: &str) -> String {
    format!(
        r#"<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-injected</RequestId></ErrorResponse>"#
    )
}

fn s3_error(code: &str, message: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault-injected</RequestId></Error>"#
    )
}

/// What a matching request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The service's throttling error (DynamoDB `ThrottlingException`, SES `Throttling`, S3 `SlowDown`).
    Throttle,
    /// The service's internal error (a 500).
    ServerError,
    /// The request reaches the emulator, which executes it; the response is then lost (a
    /// connection reset), so the SDK cannot know whether it happened.
    LoseResponse,
    /// `PutEvents` only: the emulator gets the entries at even positions (0, 2, …); the answer
    /// is a `200` reporting those accepted and the others failed (`ThrottlingException`), the
    /// partial failure EventBridge answers under load.
    HalfOfTheEntries,
}

/// How many matching attempts fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    First(u32),
    Always,
}

/// One installed rule; read its counts through the handle [`Faults::inject`] returns.
#[derive(Debug)]
pub struct Rule {
    target: Target,
    failure: Failure,
    times: Times,
    seen: AtomicU32,
    failed: AtomicU32,
}

impl Rule {
    /// Matching attempts this rule has seen (failed or let through).
    pub fn attempts(&self) -> u32 {
        self.seen.load(Ordering::SeqCst)
    }

    /// Matching attempts this rule made fail.
    pub fn failures(&self) -> u32 {
        self.failed.load(Ordering::SeqCst)
    }

    /// Counts this attempt; true when it is to fail.
    fn take(&self) -> bool {
        self.seen.fetch_add(1, Ordering::SeqCst);
        let fail = match self.times {
            Times::Always => true,
            Times::First(n) => self.failed.load(Ordering::SeqCst) < n,
        };
        if fail {
            self.failed.fetch_add(1, Ordering::SeqCst);
        }
        fail
    }
}

/// The rules of one test; clones share them. Rules can be added and removed while the app runs.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<Arc<Rule>>>>,
}

impl Faults {
    /// Makes `times` matching attempts fail with `failure`. The first matching rule decides.
    pub fn inject(&self, target: Target, failure: Failure, times: Times) -> Arc<Rule> {
        let rule = Arc::new(Rule { target, failure, times, seen: AtomicU32::new(0), failed: AtomicU32::new(0) });
        self.rules.lock().unwrap().push(rule.clone());
        rule
    }

    /// Removes every rule (the dependency recovers).
    pub fn clear(&self) {
        self.rules.lock().unwrap().clear();
    }

    /// An HTTP client for the SDK that applies these rules in front of a real one.
    pub fn http_client(&self) -> SharedHttpClient {
        let inner = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
            .build_https();
        SharedHttpClient::new(FaultyClient { inner, faults: self.clone() })
    }

    fn decide(&self, request: &HttpRequest) -> Option<(Target, Failure)> {
        let rules = self.rules.lock().unwrap();
        let rule = rules.iter().find(|r| r.target.matches(request))?;
        rule.take().then(|| (rule.target.clone(), rule.failure))
    }
}

#[derive(Debug)]
struct FaultyClient {
    inner: SharedHttpClient,
    faults: Faults,
}

impl HttpClient for FaultyClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector { inner: self.inner.http_connector(settings, components), faults: self.faults.clone() })
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    faults: Faults,
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let decision = self.faults.decide(&request);
        let inner = self.inner.clone();
        HttpConnectorFuture::new(async move {
            match decision {
                None => inner.call(request).await,
                Some((target, Failure::LoseResponse)) => {
                    // The emulator executes the request; its answer never reaches the SDK.
                    let executed = inner.call(request).await;
                    drop(executed);
                    Err(ConnectorError::io(format!("fault injected: response to {target:?} lost (connection reset)").into()))
                }
                Some((_, Failure::HalfOfTheEntries)) => half_of_the_entries(inner, request).await,
                Some((target, failure)) => Ok(target.answer(failure).expect("a synthetic answer for an answering failure")),
            }
        })
    }
}

/// Forwards the even entries of a `PutEvents` request and answers that the odd ones failed.
async fn half_of_the_entries(inner: SharedHttpConnector, mut request: HttpRequest) -> Result<HttpResponse, ConnectorError> {
    let body: serde_json::Value = serde_json::from_slice(request.body().bytes().expect("a PutEvents body in memory")).unwrap();
    let entries = body["Entries"].as_array().cloned().unwrap_or_default();
    let kept: Vec<serde_json::Value> = entries.iter().step_by(2).cloned().collect();
    let mut forwarded = body.clone();
    forwarded["Entries"] = serde_json::Value::Array(kept);
    let bytes = serde_json::to_vec(&forwarded).unwrap();
    request.headers_mut().insert("content-length", bytes.len().to_string());
    *request.body_mut() = SdkBody::from(bytes);
    let executed = inner.call(request).await?;
    assert_eq!(executed.status().as_u16(), 200, "the emulator refused the forwarded half");
    let results: Vec<serde_json::Value> = (0..entries.len())
        .map(|i| {
            if i % 2 == 0 {
                serde_json::json!({"EventId": format!("fault-injected-{i}")})
            } else {
                serde_json::json!({"ErrorCode": "ThrottlingException", "ErrorMessage": "fault injected: entry not accepted"})
            }
        })
        .collect();
    let answer = serde_json::json!({"FailedEntryCount": entries.len() / 2, "Entries": results});
    let mut response = HttpResponse::new(StatusCode::try_from(200).unwrap(), SdkBody::from(answer.to_string()));
    response.headers_mut().insert("content-type", "application/x-amz-json-1.1");
    response.headers_mut().insert("x-amzn-requestid", "fault-injected");
    Ok(response)
}

/// A `TestApp` whose AWS calls go through `faults`.
pub async fn faulty_app(faults: &Faults) -> TestApp {
    faulty_app_with(faults, |_| {}).await
}

pub async fn faulty_app_with(faults: &Faults, customise: impl FnOnce(&mut Config)) -> TestApp {
    TestApp::spawn_through(Some(faults.http_client()), customise).await
}
