//! `GET`/`PUT /me/settings`: the settings live on the user item, so reading them costs only
//! the authentication read and a change is one `UpdateItem`.

use crate::App;
use crate::domain::User;
use crate::domain::{Settings, SettingsChange};
use crate::error::Result;

/// Merges `change` into the caller's settings; an empty change writes nothing.
pub async fn update(app: &App, user: &User, change: &SettingsChange) -> Result<Settings> {
    if change.is_empty() {
        return Ok(user.settings.clone());
    }
    let now = app.now();
    let mut fallback = user.settings.clone();
    fallback.apply(change, now);
    app.store.update_settings(&user.id, change, &fallback, now).await
}
