//! `/api/api-keys*` (SPEC §3.3): managed with an access token only, never with a key.

use crate::App;
use crate::clock::rfc3339;
use crate::domain::ApiKeyRecord;
use crate::error::Result;
use crate::http::{self, Authenticated, ClientInfo, Json, Reply};
use crate::services::api_keys as svc;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{delete, get};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub fn router(app: Arc<App>) -> Router {
    table().finish(app)
}

/// The group's routes (see [`http::RouteTable`]).
pub fn table() -> http::RouteTable {
    http::RouteTable::new().route("/api/api-keys", get(list).post(create)).route("/api/api-keys/{id}", delete(revoke))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyResponse {
    id: String,
    name: String,
    prefix: String,
    scopes: Vec<&'static str>,
    created_at: String,
    last_used_at: Option<String>,
    expires_at: Option<String>,
    status: &'static str,
}

impl KeyResponse {
    fn new(k: &ApiKeyRecord, now: i64) -> Self {
        Self {
            id: k.id.to_string(),
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            scopes: k.scopes.iter().map(|s| s.as_str()).collect(),
            created_at: rfc3339(k.created_at),
            last_used_at: k.last_used_at.map(rfc3339),
            expires_at: k.expires_at.map(rfc3339),
            status: k.status_at(now).as_str(),
        }
    }
}

async fn list(State(app): State<Arc<App>>, Authenticated(p): Authenticated) -> Result<Reply> {
    let now = app.now();
    let keys: Vec<KeyResponse> = svc::list(&app, &p).await?.iter().map(|k| KeyResponse::new(k, now)).collect();
    Ok(Reply::ok(&keys))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateKeyRequest {
    name: Option<String>,
    expires_in: Option<serde_json::Value>,
    scopes: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreatedKeyResponse {
    #[serde(flatten)]
    key: KeyResponse,
    /// The secret, shown this once.
    key_secret: String,
}

async fn create(
    State(app): State<Arc<App>>,
    client: ClientInfo,
    Authenticated(p): Authenticated,
    Json(body): Json<CreateKeyRequest>,
) -> Result<Reply> {
    let input = svc::NewKey::parse(body.name.as_deref(), body.scopes.as_deref(), body.expires_in.as_ref())?;
    let created = svc::create(&app, &p, input, &client).await?;
    let body = CreatedKeyResponse { key: KeyResponse::new(&created.record, app.now()), key_secret: created.secret };
    Ok(Reply::with_status(StatusCode::CREATED, &body, Some("Store this key now: it is not shown again."))
        .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
}

async fn revoke(
    State(app): State<Arc<App>>,
    client: ClientInfo,
    Authenticated(p): Authenticated,
    Path(id): Path<String>,
) -> Result<Response> {
    svc::revoke(&app, &p, &id, &client).await?;
    Ok(http::no_content())
}
