//! The admin audit trail route.

use super::{DEFAULT_LIMIT, Staff, parse_limit};
use crate::App;
use crate::clock::rfc3339;
use crate::domain::AuditEntry;
use crate::error::{Error, FieldError, Result};
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
    let mut errors = Vec::new();
    let limit = parse_limit(params.limit.as_deref()).map_err(|e| errors.push(e)).unwrap_or(DEFAULT_LIMIT);
    if let Some(actor) = &params.actor
        && actor != "cli"
        && crate::domain::UserId::parse(actor).is_none()
    {
        errors.push(FieldError::new("actor", "must be a user id or cli"));
    }
    if let Some(month) = &params.month {
        let ok = month.len() == 7
            && month.as_bytes()[4] == b'-'
            && month[..4].parse::<u16>().is_ok()
            && month[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
        if !ok {
            errors.push(FieldError::new("month", "must be YYYY-MM"));
        }
    }
    let cursor = params.cursor.as_deref().map(str::trim);
    if let Some(c) = cursor
        && ulid::Ulid::from_string(c).is_err()
    {
        errors.push(FieldError::new("cursor", "is malformed"));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let (entries, next) =
        svc::audit_trail(&app, params.actor.as_deref(), params.month.as_deref(), cursor, i32::try_from(limit).unwrap_or(20)).await?;
    let data: Vec<AuditResponse> = entries.into_iter().map(audit_response).collect();
    Ok(Reply::list(&data, next.as_deref(), limit))
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
