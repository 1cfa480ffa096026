//! `GET`/`PUT /me/settings` and the public profile `GET /api/users/{id}`.

use crate::App;
use crate::api::dto::avatar_url;
use crate::clock::rfc3339;
use crate::domain::{APP_BOOL_KEYS, NOTIFICATION_KEYS, PRIVACY_KEYS, Settings, SettingsChange, SettingsInput};
use crate::error::{Error, Result};
use crate::http::{Json, ReadAccess, Reply, WriteAccess};
use crate::services::users::{public, settings as svc};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Every group and field is optional (absent or `null` leaves it as it is); unknown keys at
/// any level are refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SettingsRequest {
    notifications: Option<NotificationsRequest>,
    privacy: Option<PrivacyRequest>,
    app: Option<AppRequest>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NotificationsRequest {
    email: Option<bool>,
    push: Option<bool>,
    uploads: Option<bool>,
    sharing: Option<bool>,
    storage: Option<bool>,
    security: Option<bool>,
    marketing: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PrivacyRequest {
    public_profile: Option<bool>,
    show_activity: Option<bool>,
    allow_indexing: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AppRequest {
    auto_upload: Option<bool>,
    compression_enabled: Option<bool>,
    thumbnail_generation: Option<bool>,
    default_folder: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SettingsResponse {
    notifications: NotificationsResponse,
    privacy: PrivacyResponse,
    app: AppResponse,
    updated_at: String,
}

#[derive(Serialize)]
struct NotificationsResponse {
    email: bool,
    push: bool,
    uploads: bool,
    sharing: bool,
    storage: bool,
    security: bool,
    marketing: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PrivacyResponse {
    public_profile: bool,
    show_activity: bool,
    allow_indexing: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AppResponse {
    auto_upload: bool,
    compression_enabled: bool,
    thumbnail_generation: bool,
    default_folder: String,
}

impl SettingsResponse {
    fn new(x: &Settings) -> Self {
        let (n, p, a) = (&x.notifications, &x.privacy, &x.app);
        Self {
            notifications: NotificationsResponse {
                email: n.email,
                push: n.push,
                uploads: n.uploads,
                sharing: n.sharing,
                storage: n.storage,
                security: n.security,
                marketing: n.marketing,
            },
            privacy: PrivacyResponse { public_profile: p.public_profile, show_activity: p.show_activity, allow_indexing: p.allow_indexing },
            app: AppResponse {
                auto_upload: a.auto_upload,
                compression_enabled: a.compression_enabled,
                thumbnail_generation: a.thumbnail_generation,
                default_folder: a.default_folder.clone(),
            },
            updated_at: rfc3339(x.updated_at),
        }
    }
}

pub(super) async fn get_settings(ReadAccess(c): ReadAccess) -> Reply {
    Reply::ok(&SettingsResponse::new(&c.user.settings))
}

pub(super) async fn update_settings(
    State(app): State<Arc<App>>,
    WriteAccess(c): WriteAccess,
    Json(body): Json<SettingsRequest>,
) -> Result<Reply> {
    let n = body.notifications.unwrap_or_default();
    let pr = body.privacy.unwrap_or_default();
    let a = body.app.unwrap_or_default();
    let notifications = [n.email, n.push, n.uploads, n.sharing, n.storage, n.security, n.marketing];
    let privacy = [pr.public_profile, pr.show_activity, pr.allow_indexing];
    let app_flags = [a.auto_upload, a.compression_enabled, a.thumbnail_generation];
    let change = SettingsChange::parse(SettingsInput {
        notifications: std::array::from_fn(|i| (NOTIFICATION_KEYS[i], notifications[i])),
        privacy: std::array::from_fn(|i| (PRIVACY_KEYS[i], privacy[i])),
        app: std::array::from_fn(|i| (APP_BOOL_KEYS[i], app_flags[i])),
        default_folder: a.default_folder.as_deref(),
    })
    .map_err(Error::Validation)?;
    let settings = svc::update(&app, &c.user, &change).await?;
    Ok(Reply::with_status(axum::http::StatusCode::OK, &SettingsResponse::new(&settings), Some("Settings updated successfully")))
}

/// Public fields only: never email, settings, counters or anything about security.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PublicProfileResponse {
    id: String,
    username: String,
    name: Option<String>,
    bio: Option<String>,
    location: Option<String>,
    website: Option<String>,
    avatar_url: Option<String>,
    created_at: String,
}

pub(super) async fn public_profile(State(app): State<Arc<App>>, id: Result<Path<String>, PathRejection>) -> Result<Reply> {
    let Ok(Path(id)) = id else { return Err(Error::UserNotFound) };
    let u = public::profile(&app, &id).await?;
    Ok(Reply::ok(&PublicProfileResponse {
        id: u.id.to_string(),
        username: u.username.as_str().to_owned(),
        name: u.name.clone(),
        bio: u.bio.clone(),
        location: u.location.clone(),
        website: u.website.clone(),
        avatar_url: avatar_url(&app, &u),
        created_at: rfc3339(u.created_at),
    }))
}
