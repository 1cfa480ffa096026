//! An app whose AWS calls reach the emulator one at a time, for concurrency tests.
//!
//! moto (5.x) does not isolate concurrent requests: a conditional write checks and then writes
//! without a lock, and a cancelled transaction restores a snapshot of the whole table taken when
//! it started, undoing what other requests wrote meanwhile. Real DynamoDB makes every
//! conditional write and transaction atomic, so firing truly parallel requests at moto tests
//! moto, not us (and fails at random).
//!
//! What our code must get right is never deciding from a stale read. Requests sent through
//! [`serial_app`] still run concurrently in our process — with the emulator taking calls in
//! arrival order, every request authenticates (reads the user) before any of them writes — but
//! the emulator executes one call at a time, as DynamoDB serialises writes to one item. A
//! read-then-write implementation fails these tests every time; a conditional write passes.

use crate::helpers::{Resp, TestApp, sdk_config};
use accounts_core::App;
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use axum::Router;
use axum::body::Body;
use http::Request;
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::Mutex;
use tower::ServiceExt;

/// An HTTP client that lets one request at a time through, in arrival order.
#[derive(Debug, Clone)]
struct OneAtATime {
    inner: SharedHttpClient,
    gate: Arc<Mutex<()>>,
}

impl HttpClient for OneAtATime {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(Gated { inner: self.inner.http_connector(settings, components), gate: self.gate.clone() })
    }
}

#[derive(Debug)]
struct Gated {
    inner: SharedHttpConnector,
    gate: Arc<Mutex<()>>,
}

impl HttpConnector for Gated {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, gate) = (self.inner.clone(), self.gate.clone());
        HttpConnectorFuture::new(async move {
            // tokio's Mutex is fair: waiters get their turn in the order they asked.
            let _turn = gate.lock().await;
            inner.call(request).await
        })
    }
}

/// A second `App` on the test's table, bucket and clock whose calls reach the emulator one at a time.
pub async fn serial_app(t: &TestApp) -> Arc<App> {
    let inner =
        aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc)).build_https();
    let client = SharedHttpClient::new(OneAtATime { inner, gate: Arc::new(Mutex::new(())) });
    let sdk = sdk_config().await.to_builder().http_client(client).build();
    Arc::new(App::new(t.app.config.clone(), &sdk, t.clock.clone()).await.unwrap())
}

/// Several apps on this test's table, one per clock, whose calls share one gate: the emulator
/// executes their calls one at a time between them too (racing two instances).
pub async fn serial_apps(t: &TestApp, clocks: &[Arc<accounts_core::clock::ManualClock>]) -> Vec<Arc<App>> {
    let inner =
        aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc)).build_https();
    let client = SharedHttpClient::new(OneAtATime { inner, gate: Arc::new(Mutex::new(())) });
    let sdk = sdk_config().await.to_builder().http_client(client).build();
    let mut apps = Vec::new();
    for clock in clocks {
        apps.push(Arc::new(App::new(t.app.config.clone(), &sdk, clock.clone()).await.unwrap()));
    }
    apps
}

/// One JSON request to `router`.
pub async fn call(router: &Router, method: &str, path: &str, body: Option<Value>, token: &str) -> Resp {
    let builder = Request::builder().method(method).uri(path).header("authorization", format!("Bearer {token}"));
    let request = match body {
        Some(b) => builder.header("content-type", "application/json").body(Body::from(b.to_string())).unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    };
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
    Resp { status, headers, body }
}
