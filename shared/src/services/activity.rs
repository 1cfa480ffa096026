//! Building, recording and listing activity entries. Recording one never fails the action it
//! describes: a standalone write that fails is logged and dropped (the action already happened).

use crate::App;
use crate::domain::{Activity, ActivityKind, ActivityRecord, ClientInfo, UserId, new_ulid};
use crate::error::Result;

/// A new entry for `kind`, now, from `client`.
pub fn entry(app: &App, kind: ActivityKind, client: &ClientInfo, detail: Option<String>) -> Activity {
    Activity {
        id: new_ulid(app.clock.now()),
        kind,
        at: app.now(),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        detail,
        actor: None,
    }
}

/// Records `kind` for `user` on its own; failures are logged, not returned.
pub async fn record(app: &App, user: &UserId, kind: ActivityKind, client: &ClientInfo, detail: Option<String>) {
    let activity = entry(app, kind, client, detail);
    if let Err(e) = app.store.record_activity(user, &activity).await {
        tracing::error!(user = %user, kind = kind.as_str(), error = %e, "activity not recorded");
    }
}

/// A page of `user`'s activity, newest first, after the entry `after` (the last id of the
/// previous page); also the id to continue after, when more follow.
pub async fn list(app: &App, user: &UserId, after: Option<&str>, limit: u32) -> Result<(Vec<ActivityRecord>, Option<String>)> {
    app.store.list_activity(user, after, i32::try_from(limit).unwrap_or(i32::MAX)).await
}
