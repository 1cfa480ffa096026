//! Self-service use cases of the `users` group.

pub mod account;
pub mod avatar;
pub mod public;
pub mod sessions;
pub mod settings;

use crate::App;
use crate::domain::{ProfileUpdate, User};
use crate::error::Result;

/// Applies a partial profile change; an empty change returns the profile as it is.
pub async fn update_profile(app: &App, user: &User, update: &ProfileUpdate) -> Result<User> {
    if update.is_empty() {
        return Ok(user.clone());
    }
    app.store.update_profile(user, update, app.now(), &profile_event(app, user, update)).await
}

/// `user.updated` for a profile change: the changed fields and their new values.
fn profile_event(app: &App, user: &User, update: &ProfileUpdate) -> crate::domain::Event {
    use serde_json::Value;
    let mut changes = serde_json::Map::new();
    for (field, change) in [("name", &update.name), ("bio", &update.bio), ("location", &update.location), ("website", &update.website)] {
        if let Some(value) = change {
            changes.insert(field.into(), value.clone().map_or(Value::Null, Value::String));
        }
    }
    let mut preferences = serde_json::Map::new();
    if let Some(theme) = update.theme {
        preferences.insert("theme".into(), theme.as_str().into());
    }
    if let Some(language) = &update.language {
        preferences.insert("language".into(), language.as_str().into());
    }
    if let Some(timezone) = &update.timezone {
        preferences.insert("timezone".into(), timezone.as_str().into());
    }
    if !preferences.is_empty() {
        changes.insert("preferences".into(), Value::Object(preferences));
    }
    crate::services::events::updated(&*app.clock, &user.id, changes, None)
}
