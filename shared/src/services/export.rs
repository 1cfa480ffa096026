//! Data portability: everything stored about the caller as one JSON document (format in
//! `docs/export.md`). Never a hash, a secret or a token: only what the API would show the user.

use super::Principal;
use crate::App;
use crate::clock::rfc3339;
use crate::error::Result;
use serde::Serialize;

/// Format version of the export document.
pub const EXPORT_FORMAT: u32 = 1;

pub async fn export<P: Serialize>(app: &App, principal: &Principal, profile: P) -> Result<serde_json::Value> {
    let user = &principal.user;
    let sessions: Vec<serde_json::Value> = app
        .store
        .list_sessions(&user.id)
        .await?
        .iter()
        .map(|s| {
            serde_json::json!({
                "id": s.id.to_string(),
                "createdAt": rfc3339(s.created_at),
                "lastUsedAt": rfc3339(s.last_used_at),
                "expiresAt": rfc3339(s.expires_at),
                "ip": s.ip,
                "userAgent": s.user_agent,
                "current": s.id == principal.session.id,
            })
        })
        .collect();
    let mut activity = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (page, next) = app.store.list_activity(&user.id, cursor.as_deref(), 100).await?;
        activity.extend(page.iter().map(|a| {
            serde_json::json!({
                "id": a.id, "kind": a.kind, "at": rfc3339(a.at), "ip": a.ip, "userAgent": a.user_agent,
                "detail": a.detail, "actor": a.actor,
            })
        }));
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    let now = app.now();
    let api_keys: Vec<serde_json::Value> = app
        .store
        .list_api_keys(&user.id)
        .await?
        .iter()
        .map(|k| {
            serde_json::json!({
                "id": k.id.to_string(), "name": k.name, "prefix": k.prefix,
                "scopes": k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                "createdAt": rfc3339(k.created_at), "lastUsedAt": k.last_used_at.map(rfc3339),
                "expiresAt": k.expires_at.map(rfc3339), "status": k.status_at(now).as_str(),
            })
        })
        .collect();
    Ok(serde_json::json!({
        "format": EXPORT_FORMAT,
        "exportedAt": rfc3339(now),
        "profile": profile,
        "security": {
            "mfaEnabled": user.mfa_enabled,
            "lastLoginAt": user.last_login_at.map(rfc3339),
            "failedLoginsSinceLastSuccess": user.failed_logins,
        },
        "sessions": sessions,
        "activity": activity,
        "apiKeys": api_keys,
    }))
}
