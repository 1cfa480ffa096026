//! The profile as every presentation shows it: `GET /api/users/me`, the login answer, and the
//! `profile` of the data export (served by the JSON API and by the pages' download alike, so it
//! lives below both).

use crate::App;
use crate::clock::rfc3339;
use crate::domain::User;
use serde::Serialize;

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
    /// Mail to `email` stopped after a hard bounce or a complaint (`null`: mail goes out).
    pub mail_suppression: Option<MailSuppressionResponse>,
    pub created_at: String,
    pub updated_at: String,
}

/// Why no mail goes to the account's address any more (the profile and the admin's view).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailSuppressionResponse {
    /// `bounce` (the address does not accept mail) or `complaint` (a mail was marked as spam).
    pub reason: &'static str,
    /// SES's sub-type (`General`, `NoEmail`, `abuse`, …) when it gave one.
    pub detail: Option<String>,
    pub since: String,
}

impl MailSuppressionResponse {
    pub fn of(u: &User) -> Option<Self> {
        u.mail_suppression.as_ref().map(|m| Self { reason: m.reason.as_str(), detail: m.detail.clone(), since: rfc3339(m.since) })
    }
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
    avatar_path(u).map(|path| format!("{}{path}", app.config.public_base_url))
}

/// [`avatar_url`] without the origin: what the pages show (the users function serves it on
/// their origin, which their `img-src 'self'` allows).
pub fn avatar_path(u: &User) -> Option<String> {
    u.avatar_key.as_deref().map(|key| format!("/api/users/{}/avatar?v={}", u.id, crate::avatars::version(key)))
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
            mail_suppression: MailSuppressionResponse::of(u),
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}
