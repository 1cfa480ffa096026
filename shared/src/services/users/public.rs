//! `GET /api/users/{id}`: another user's public profile, only when they made it public.

use crate::App;
use crate::domain::{User, UserId, UserStatus};
use crate::error::{Error, Result};

/// The user behind `raw_id` when their profile is public and the account is active. Every
/// other case (malformed id, no such user, private profile, banned, unactivated, pending
/// deletion) is the same `404 USER_NOT_FOUND`, so the answer reveals nothing.
pub async fn profile(app: &App, raw_id: &str) -> Result<User> {
    let id = UserId::parse(raw_id).ok_or(Error::UserNotFound)?;
    let user = app.store.get_user(&id).await?.ok_or(Error::UserNotFound)?;
    if !user.settings.privacy.public_profile || user.status(app.now()) != UserStatus::Active {
        return Err(Error::UserNotFound);
    }
    Ok(user)
}
