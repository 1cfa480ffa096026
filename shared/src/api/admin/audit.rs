//! The admin audit trail route.

use super::{DEFAULT_LIMIT, Staff};
use crate::App;
use crate::clock::rfc3339;
use crate::domain::AuditEntry;
use crate::error::Result;
use crate::http::{Query, Reply};
use crate::services::admin as svc;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

// ---- audit trail ---------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditParams {
    actor: Option<String>,
    month: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuditResponse {
    id: String,
    at: String,
    actor: String,
    actor_role: String,
    action: String,
    target: String,
    detail: Option<String>,
    ip: String,
}

pub(super) async fn audit_trail(State(app): State<Arc<App>>, _staff: Staff, Query(params): Query<AuditParams>) -> Result<Reply> {
    let request = svc::AuditRequest::parse(
        params.actor.as_deref(),
        params.month.as_deref(),
        params.cursor.as_deref(),
        params.limit.as_deref(),
        DEFAULT_LIMIT,
    )?;
    let limit = i32::try_from(request.limit).unwrap_or(20);
    let (entries, next) =
        svc::audit_trail(&app, request.actor.as_deref(), request.month.as_deref(), request.cursor.as_deref(), limit).await?;
    let data: Vec<AuditResponse> = entries.into_iter().map(audit_response).collect();
    Ok(Reply::list(&data, next.as_deref(), request.limit))
}

fn audit_response(a: AuditEntry) -> AuditResponse {
    AuditResponse {
        id: format!("aud_{}", a.id),
        at: rfc3339(a.at),
        actor: a.actor,
        actor_role: a.actor_role,
        action: a.action,
        target: a.target,
        detail: a.detail,
        ip: a.ip,
    }
}
