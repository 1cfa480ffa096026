//! `GET /me/sessions` and `DELETE /me/sessions/{id}`.

use crate::App;
use crate::clock::rfc3339;
use crate::error::{Error, Result};
use crate::http::{self, Authenticated, ClientInfo, Reply};
use crate::services::users::sessions as svc;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;
use std::sync::Arc;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionResponse {
    id: String,
    created_at: String,
    last_used_at: String,
    ip: String,
    user_agent: String,
    current: bool,
}

pub(super) async fn list(State(app): State<Arc<App>>, Authenticated(p): Authenticated) -> Result<Reply> {
    let sessions: Vec<SessionResponse> = svc::list(&app, &p)
        .await?
        .into_iter()
        .map(|(x, current)| SessionResponse {
            id: x.id.to_string(),
            created_at: rfc3339(x.created_at),
            last_used_at: rfc3339(x.last_used_at),
            ip: x.ip,
            user_agent: x.user_agent,
            current,
        })
        .collect();
    Ok(Reply::ok(&sessions))
}

pub(super) async fn revoke(
    State(app): State<Arc<App>>,
    client: ClientInfo,
    Authenticated(p): Authenticated,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response> {
    let Ok(Path(id)) = id else { return Err(Error::NotFound) };
    svc::revoke(&app, &p, &id, &client).await?;
    Ok(http::no_content())
}
