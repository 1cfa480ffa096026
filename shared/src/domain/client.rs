//! [`ClientInfo`]: where a request came from, as the services record it in activity entries,
//! sessions and rate-limit counters. The HTTP layer fills it in (its extractor lives in
//! `http`); this module knows nothing about requests.

/// Who is calling from where, as API Gateway saw it. A client-sent `X-Forwarded-For` is
/// never trusted: the address comes from the gateway's request context only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

impl ClientInfo {
    /// For events that happen outside a request the client made itself.
    pub fn unknown() -> Self {
        Self { ip: "unknown".into(), user_agent: String::new() }
    }
}
