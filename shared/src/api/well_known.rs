//! `/.well-known/*` (SPEC §3.1 "Signing keys"): the keys that verify access tokens and the
//! OpenID discovery document that points to them, as plain JSON (no envelope), cacheable.
//! Served by the auth function.

use crate::App;
use crate::error::Result;
use crate::http::{self, Reply};
use crate::services::signing;
use axum::extract::State;
use axum::routing::get;
use std::sync::Arc;

pub fn table() -> http::RouteTable {
    http::RouteTable::new().route("/.well-known/jwks.json", get(jwks)).route("/.well-known/openid-configuration", get(openid_configuration))
}

async fn jwks(State(app): State<Arc<App>>) -> Result<Reply> {
    Ok(Reply::document(&signing::jwks(&app).await?, signing::DOCUMENT_MAX_AGE_SECS))
}

async fn openid_configuration(State(app): State<Arc<App>>) -> Reply {
    Reply::document(&signing::discovery(&app), signing::DOCUMENT_MAX_AGE_SECS)
}
