//! Outbound HTTPS outside the AWS SDK (the breached-password range API, captcha siteverify):
//! one small client on the same hyper 1 + rustls (aws-lc) stack the SDK's own HTTP client is
//! built on, with the system's root certificates. Every call has a deadline and a bounded
//! response body; nothing here logs a URL's query or a body.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

/// The largest response body read (a padded range answer is about 40 KB).
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// Why a call gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("no answer within {0} ms")]
    Timeout(u64),
    #[error("{0}")]
    Failed(String),
}

/// A status and a body.
#[derive(Debug, Clone)]
pub struct OutboundResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// A cheap-to-clone HTTPS (and, for local test servers, HTTP) client.
#[derive(Clone)]
pub struct OutboundClient {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for OutboundClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutboundClient")
    }
}

impl OutboundClient {
    /// Builds the client (reads the system's root certificates once).
    pub fn new() -> anyhow::Result<Self> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self { client: Client::builder(TokioExecutor::new()).build(https) })
    }

    /// `GET url` with `headers`, answered within `timeout`.
    pub async fn get(&self, url: &str, headers: &[(&str, &str)], timeout: Duration) -> Result<OutboundResponse, OutboundError> {
        self.send("GET", url, headers, Bytes::new(), timeout).await
    }

    /// `POST url` with an `application/x-www-form-urlencoded` body, answered within `timeout`.
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)], timeout: Duration) -> Result<OutboundResponse, OutboundError> {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        self.send("POST", url, &[("content-type", "application/x-www-form-urlencoded")], Bytes::from(body), timeout).await
    }

    async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
        timeout: Duration,
    ) -> Result<OutboundResponse, OutboundError> {
        let mut request = http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let request = request.body(Full::new(body)).map_err(|e| OutboundError::Failed(format!("bad request: {e}")))?;
        let call = async {
            let response = self.client.request(request).await.map_err(|e| OutboundError::Failed(format!("request failed: {e}")))?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|e| OutboundError::Failed(format!("reading the answer failed: {e}")))?
                .to_bytes()
                .to_vec();
            Ok(OutboundResponse { status, body })
        };
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        tokio::time::timeout(timeout, call).await.unwrap_or(Err(OutboundError::Timeout(ms)))
    }
}
