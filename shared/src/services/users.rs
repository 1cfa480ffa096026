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
    app.store.update_profile(&user.id, update, app.now()).await
}
