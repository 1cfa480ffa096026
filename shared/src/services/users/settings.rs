//! `GET`/`PUT /me/settings`: the settings live on the user item, so reading them costs only
//! the authentication read and a change is one `UpdateItem`.

use crate::App;
use crate::domain::{Settings, SettingsChange};
use crate::error::Result;
use crate::services::Principal;

/// Merges `change` into the caller's settings; an empty change writes nothing.
pub async fn update(app: &App, principal: &Principal, change: &SettingsChange) -> Result<Settings> {
    if change.is_empty() {
        return Ok(principal.user.settings.clone());
    }
    let now = app.now();
    let mut fallback = principal.user.settings.clone();
    fallback.apply(change, now);
    app.store.update_settings(&principal.user.id, change, &fallback, now).await
}
