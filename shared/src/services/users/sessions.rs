//! `GET /me/sessions` and `DELETE /me/sessions/{id}`: a user sees and ends only their own
//! sessions (the session key starts with the caller's `USER#` partition, so another user's
//! id simply does not exist there).

use crate::App;
use crate::domain::ClientInfo;
use crate::domain::{ActivityKind, SessionId};
use crate::domain::{Session, User};
use crate::error::{Error, Result};
use crate::services::{Principal, activity};

/// The caller's live sessions, most recently used first; `true` marks the calling one.
pub async fn list(app: &App, principal: &Principal) -> Result<Vec<(Session, bool)>> {
    let mut sessions: Vec<(Session, bool)> = live(app, &principal.user)
        .await?
        .into_iter()
        .map(|x| {
            let current = x.id == principal.session.id;
            (x, current)
        })
        .collect();
    sessions.sort_by(|a, b| b.0.last_used_at.cmp(&a.0.last_used_at).then_with(|| b.0.id.as_str().cmp(a.0.id.as_str())));
    Ok(sessions)
}

/// The sessions of `user` that still work: not expired, not cut off by a password change or
/// reset (stored in no particular order).
pub async fn live(app: &App, user: &User) -> Result<Vec<Session>> {
    let now = app.now();
    let sessions = app.store.list_sessions(&user.id).await?;
    Ok(sessions.into_iter().filter(|x| x.expires_at > now && !user.session_cut_off(&x.id, x.epoch)).collect())
}

/// Ends one of the caller's sessions (its access and refresh tokens stop working at once).
/// Unknown, malformed or another user's id: `404 NOT_FOUND`.
pub async fn revoke(app: &App, principal: &Principal, raw_id: &str, client: &ClientInfo) -> Result<()> {
    let id = SessionId::parse(raw_id).ok_or(Error::NotFound)?;
    let event = crate::services::events::session_revoked(&*app.clock, &principal.user.id, id.as_str());
    if !app.store.revoke_session(&principal.user.id, &id, &event).await? {
        return Err(Error::NotFound);
    }
    activity::record(app, &principal.user.id, ActivityKind::SessionRevoked, client, Some(id.to_string())).await;
    tracing::info!(user = %principal.user.id, session = %id, "session revoked");
    Ok(())
}
