//! Request and response shapes shared by several groups.

use crate::App;
use crate::clock::rfc3339;
use crate::domain::{ActivityRecord, User};
use serde::{Deserialize, Deserializer, Serialize};

/// The profile (`GET /api/users/me`, register, login): seeds 000/002/004 unified.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserResponse {
    pub id: String,
    pub username: String,
    pub email: String,
    pub name: Option<String>,
    pub bio: Option<String>,
    pub location: Option<String>,
    pub website: Option<String>,
    pub avatar_url: Option<String>,
    pub role: &'static str,
    pub plan: String,
    pub email_verified: bool,
    pub mfa_enabled: bool,
    pub preferences: PreferencesResponse,
    pub stats: StatsResponse,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreferencesResponse {
    pub theme: &'static str,
    pub language: String,
    pub timezone: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsResponse {
    pub uploads_count: i64,
    pub storage_used: i64,
    pub storage_limit: i64,
    pub last_login_at: Option<String>,
}

/// Where a user's avatar is served, when they have one. `?v=` names the version, so a new
/// avatar gets a new URL and caches never show the old one.
pub fn avatar_url(app: &App, u: &User) -> Option<String> {
    u.avatar_key
        .as_deref()
        .map(|key| format!("{}/api/users/{}/avatar?v={}", app.config.public_base_url, u.id, crate::avatars::version(key)))
}

impl UserResponse {
    pub fn new(app: &App, u: &User) -> Self {
        // The plan in force now (a cancelled paid plan reads FREE once its period is over).
        let plan = u.effective_plan(app.now());
        Self {
            id: u.id.to_string(),
            username: u.username.as_str().to_owned(),
            email: u.email.as_str().to_owned(),
            name: u.name.clone(),
            bio: u.bio.clone(),
            location: u.location.clone(),
            website: u.website.clone(),
            avatar_url: avatar_url(app, u),
            role: u.role.as_str(),
            plan: plan.as_str().to_owned(),
            email_verified: u.email_verified,
            mfa_enabled: u.mfa_enabled,
            preferences: PreferencesResponse {
                theme: u.preferences.theme.as_str(),
                language: u.preferences.language.as_str().to_owned(),
                timezone: u.preferences.timezone.as_str().to_owned(),
            },
            stats: StatsResponse {
                uploads_count: u.usage.uploads_count,
                storage_used: u.usage.storage_used,
                storage_limit: plan.limits().storage_bytes.as_wire(),
                last_login_at: u.last_login_at.map(rfc3339),
            },
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}

/// One activity entry (`GET /api/users/me/activity`, the admin's view of a user's activity).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityResponse {
    pub id: String,
    pub kind: String,
    pub at: String,
    pub ip: String,
    pub user_agent: String,
    pub detail: Option<String>,
    pub actor: Option<String>,
}

impl From<ActivityRecord> for ActivityResponse {
    fn from(a: ActivityRecord) -> Self {
        Self { id: a.id, kind: a.kind, at: rfc3339(a.at), ip: a.ip, user_agent: a.user_agent, detail: a.detail, actor: a.actor }
    }
}

/// A request field that distinguishes "absent" (leave alone) from `null` (clear).
#[derive(Debug, Default)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Patch::Null, Patch::Value))
    }
}

impl<T> Patch<T> {
    /// `None` to leave the field alone, `Some(None)` to clear it, `Some(Some(v))` to set it.
    pub fn into_change(self) -> Option<Option<T>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(v) => Some(Some(v)),
        }
    }
}

impl Patch<String> {
    /// [`Patch::into_change`], borrowed.
    pub fn as_input(&self) -> Option<Option<&str>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(v) => Some(Some(v.as_str())),
        }
    }
}
