//! Avatar upload, removal and the public fetch.
//!
//! Order of an upload: process (blocking thread) → put the new object under a fresh key →
//! move the user's pointer with a condition on its previous value → delete the previous object.
//! A failure before the pointer moves deletes the new object; a failed delete afterwards only
//! leaves an unreferenced object. No user ever points at a missing object.

use crate::App;
use crate::avatars::image::{self as avatar_image, Rejection};
use crate::avatars::{self, DEFAULT_AVATAR, DEFAULT_AVATAR_ETAG};
use crate::domain::{User, UserId, new_ulid};
use crate::error::{Error, Result};
use std::borrow::Cow;

/// The largest upload accepted (the file itself, before multipart framing): 4 MiB, not SPEC's
/// 5 MiB. Deployed, the body reaches Lambda base64-encoded inside the API Gateway event, and a
/// synchronous invocation takes at most 6 MB (6 291 456 bytes): 4 MiB of file is 5 592 408
/// bytes of base64 plus framing and the event's headers, with room to spare; 5 MiB (6 990 508
/// bytes of base64) cannot arrive at all (docs/decisions.md, "Avatars: 4 MiB").
pub const MAX_UPLOAD_BYTES: usize = 4 * 1024 * 1024;

fn rejection(r: Rejection) -> Error {
    match r {
        Rejection::Unsupported => Error::UnsupportedMediaType,
        Rejection::TooLarge | Rejection::AnimationTooLong | Rejection::Undecodable => Error::field("avatar", &r.to_string()),
        Rejection::Encode(m) => Error::internal(anyhow::anyhow!("avatar encoding: {m}")),
    }
}

/// What an upload produced.
pub struct Uploaded {
    pub user: User,
    pub animated: bool,
}

/// Replaces the caller's avatar with `bytes` (the uploaded file).
pub async fn upload(app: &App, user: &User, bytes: Vec<u8>) -> Result<Uploaded> {
    // Cheap refusal before a blocking thread is taken.
    if avatar_image::Format::sniff(&bytes).is_none() {
        return Err(Error::UnsupportedMediaType);
    }
    let keep_animation = user.may_have_animated_avatar(app.now());
    let avatar = tokio::task::spawn_blocking(move || avatar_image::process(&bytes, keep_animation))
        .await
        .map_err(|e| Error::internal(anyhow::anyhow!("avatar task: {e}")))?
        .map_err(rejection)?;
    let key = avatars::new_key(&user.id, &new_ulid(app.clock.now()));
    app.avatars.put(&key, avatar.webp).await?;
    let previous = user.avatar_key.as_deref();
    let updated = match app.store.set_avatar_key(&user.id, Some(&key), previous, app.now()).await {
        Ok(u) => u,
        Err(e) => {
            delete_quietly(app, &user.id, &key).await;
            return Err(e);
        }
    };
    if let Some(old) = previous {
        delete_quietly(app, &user.id, old).await;
    }
    tracing::info!(user = %user.id, animated = avatar.animated, "avatar updated");
    Ok(Uploaded { user: updated, animated: avatar.animated })
}

/// Removes the caller's avatar (idempotent: no avatar is not an error).
pub async fn remove(app: &App, user: &User) -> Result<()> {
    let Some(previous) = user.avatar_key.as_deref() else { return Ok(()) };
    app.store.set_avatar_key(&user.id, None, Some(previous), app.now()).await?;
    delete_quietly(app, &user.id, previous).await;
    Ok(())
}

async fn delete_quietly(app: &App, user: &UserId, key: &str) {
    if let Err(e) = app.avatars.delete(key).await {
        // Only garbage is left behind: nothing points at this object.
        tracing::warn!(user = %user, error = %e, "unreferenced avatar object not deleted");
    }
}

/// What `GET /api/users/{id}/avatar` answers.
pub enum Served {
    Image {
        bytes: Cow<'static, [u8]>,
        etag: String,
    },
    /// The client's copy (`If-None-Match`) is current.
    NotModified {
        etag: String,
    },
}

/// The avatar of `raw_id` (the default one when the user has none). Malformed or unknown id:
/// `404 USER_NOT_FOUND`. Keys are content-versioned, so the `ETag` is known before S3 is asked.
pub async fn fetch(app: &App, raw_id: &str, if_none_match: Option<&str>) -> Result<Served> {
    let id = UserId::parse(raw_id).ok_or(Error::UserNotFound)?;
    let user = app.store.get_user(&id).await?.ok_or(Error::UserNotFound)?;
    serve(app, &user, if_none_match).await
}

/// The avatar of an already-known user (the caller's own, for `GET /me/avatar`).
pub async fn serve(app: &App, user: &User, if_none_match: Option<&str>) -> Result<Served> {
    let etag = match &user.avatar_key {
        Some(key) => format!("\"{}\"", avatars::version(key)),
        None => DEFAULT_AVATAR_ETAG.to_owned(),
    };
    if if_none_match.is_some_and(|h| h.split(',').any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")) {
        return Ok(Served::NotModified { etag });
    }
    let Some(key) = &user.avatar_key else { return Ok(Served::Image { bytes: Cow::Borrowed(DEFAULT_AVATAR), etag }) };
    match app.avatars.get(key).await? {
        Some(bytes) => Ok(Served::Image { bytes: Cow::Owned(bytes), etag }),
        None => {
            // Should not happen (the pointer moves only after the object exists); degrade gracefully.
            tracing::error!(user = %user.id, "avatar object missing; serving the default");
            Ok(Served::Image { bytes: Cow::Borrowed(DEFAULT_AVATAR), etag: DEFAULT_AVATAR_ETAG.to_owned() })
        }
    }
}
