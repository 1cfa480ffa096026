//! `POST /api/admin/users/import` (admin): one JSON object per line
//! (`application/x-ndjson`), at most 1000 lines and 4 MiB; `?invite=true` mails the accounts
//! created without a hash a link to choose a password. One result per line (docs/migration.md).
//! Hashes are read, never answered or logged; no route exports them (`accounts-admin export`).

use super::Acting;
use crate::App;
use crate::error::{Error, FieldError, Result};
use crate::http::{Query, Reply};
use crate::services::migration::{self as svc, Outcome};
use axum::extract::{Request, State};
use axum::http::header;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The most a call may send: 1000 lines of a few KiB each.
pub const MAX_IMPORT_BODY: usize = 4 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImportParams {
    invite: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineResponse {
    line: usize,
    /// `created`, `unchanged` or `failed`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scheme: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    details: Vec<FieldError>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SummaryResponse {
    lines: usize,
    created: usize,
    unchanged: usize,
    failed: usize,
    invited: usize,
    schemes: BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
struct ImportResponse {
    results: Vec<LineResponse>,
    summary: SummaryResponse,
}

fn is_ndjson(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| ["application/x-ndjson", "application/jsonl"].iter().any(|t| v.trim().eq_ignore_ascii_case(t)))
}

pub(super) async fn import_users(
    State(app): State<Arc<App>>,
    Acting { actor, .. }: Acting,
    Query(params): Query<ImportParams>,
    request: Request,
) -> Result<Reply> {
    let invite = match params.invite.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(Error::field("invite", "must be true or false")),
    };
    if !is_ndjson(&request) {
        return Err(Error::UnsupportedMediaType);
    }
    let bytes = axum::body::to_bytes(request.into_body(), MAX_IMPORT_BODY).await.map_err(|_| Error::PayloadTooLarge)?;
    let body =
        std::str::from_utf8(&bytes).map_err(|_| Error::InvalidJson("the body must be UTF-8 text, one JSON object per line".into()))?;
    let report = svc::import_request(&app, &actor, body, invite).await?;
    let results = report
        .results
        .into_iter()
        .map(|r| {
            let mut out = LineResponse { line: r.line, status: "", id: None, scheme: None, code: None, error: None, details: Vec::new() };
            match r.outcome {
                Outcome::Created { id, scheme } => {
                    out.status = "created";
                    out.id = Some(id.to_string());
                    out.scheme = Some(scheme.unwrap_or("none"));
                }
                Outcome::Unchanged { id } => {
                    out.status = "unchanged";
                    out.id = Some(id.to_string());
                }
                Outcome::Failed(e) => {
                    out.status = "failed";
                    out.code = Some(e.code);
                    out.error = Some(e.message);
                    out.details = e.details;
                }
            }
            out
        })
        .collect();
    let s = report.summary;
    let summary = SummaryResponse {
        lines: s.lines,
        created: s.created,
        unchanged: s.unchanged,
        failed: s.failed,
        invited: s.invited,
        schemes: s.schemes,
    };
    Ok(Reply::ok(&ImportResponse { results, summary }))
}
