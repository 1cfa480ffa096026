//! `/api/users/*` (SPEC §3.2): the caller's profile, settings, avatar, password, email,
//! sessions, second factor, deletion and activity, usage, and the public profile and avatar of
//! any user. Handlers of each concern live in the submodules; this file holds the router and
//! the profile routes.

mod account;
mod avatar;
mod lifecycle;
mod mfa;
mod sessions;
mod settings;
mod usage;

use super::UserResponse;
use super::dto::Patch;
use crate::App;
use crate::domain::{ProfileInput, ProfileUpdate};
use crate::error::{Error, Result};
use crate::http::{self, Json, ReadAccessMaybeUnactivated, Reply, WriteAccess};
use crate::services::users as svc;
use axum::Router;
use axum::extract::State;
use axum::routing::{delete, get, post, put};
use serde::Deserialize;
use std::sync::Arc;

pub fn router(app: Arc<App>) -> Router {
    table().finish(app)
}

/// The group's routes, with those of MFA, lifecycle and usage (see [`http::RouteTable`]).
pub fn table() -> http::RouteTable {
    http::RouteTable::new()
        .route("/api/users/me", get(me).put(update_me).patch(update_me))
        .merge(mfa::routes())
        .merge(lifecycle::routes())
        .merge(usage::routes())
        .route("/api/users/me/settings", get(settings::get_settings).put(settings::update_settings).patch(settings::update_settings))
        .route(
            "/api/users/me/avatar",
            get(avatar::own).post(avatar::upload).patch(avatar::upload).delete(avatar::remove).layer(avatar::body_limit()),
        )
        .route("/api/users/me/password", put(account::change_password))
        .route("/api/users/me/email", post(account::request_email_change))
        .route("/api/users/me/sessions", get(sessions::list))
        .route("/api/users/me/sessions/{id}", delete(sessions::revoke))
        .route("/api/users/{id}", get(settings::public_profile))
        .route("/api/users/{id}/avatar", get(avatar::fetch))
}

/// An unactivated user may read their own profile (and nothing else); a `read` key may too.
async fn me(State(app): State<Arc<App>>, ReadAccessMaybeUnactivated(c): ReadAccessMaybeUnactivated) -> Reply {
    Reply::ok(&UserResponse::new(&app, &c.user))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateProfileRequest {
    #[serde(default)]
    name: Patch<String>,
    #[serde(default)]
    bio: Patch<String>,
    #[serde(default)]
    location: Patch<String>,
    #[serde(default)]
    website: Patch<String>,
    preferences: Option<PreferencesRequest>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreferencesRequest {
    theme: Option<String>,
    language: Option<String>,
    timezone: Option<String>,
}

async fn update_me(State(app): State<Arc<App>>, WriteAccess(c): WriteAccess, Json(body): Json<UpdateProfileRequest>) -> Result<Reply> {
    let prefs = body.preferences.as_ref();
    let update = ProfileUpdate::parse(ProfileInput {
        name: body.name.as_input(),
        bio: body.bio.as_input(),
        location: body.location.as_input(),
        website: body.website.as_input(),
        theme: prefs.and_then(|p| p.theme.as_deref()),
        language: prefs.and_then(|p| p.language.as_deref()),
        timezone: prefs.and_then(|p| p.timezone.as_deref()),
    })
    .map_err(Error::Validation)?;
    let user = svc::update_profile(&app, &c.user, &update).await?;
    Ok(Reply::ok(&UserResponse::new(&app, &user)))
}
