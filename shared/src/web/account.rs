//! `/account` and its sections: the signed-in person's own account (SPEC §3.8). Each handler
//! takes the [`Visitor`] (GET) or a [`Submitted`] form (POST), checks that someone is signed in
//! (else: sign in first and come back) and that the account is activated (the JSON routes
//! refuse an unactivated one with `ACCOUNT_NOT_ACTIVATED`; the page says so and the overview
//! offers to resend the mail), then calls the one service its JSON route calls.
//!
//! A successful post answers `303` back to its section with `?done=…`, which the section shows
//! as a notice; a secret shown once (backup codes, an API key, the recovery code) is rendered
//! directly instead, never behind a redirect (every answer is `Cache-Control: no-store`).

use super::page::{Chrome, FormState, MessagePage, Page, When, error_message, error_page};
use super::{Submitted, SubmittedUpload, Visitor};
use crate::App;
use crate::domain::{
    APP_BOOL_KEYS, NOTIFICATION_KEYS, PRIVACY_KEYS, ProfileInput, ProfileUpdate, SettingsChange, SettingsInput, parse_activity_cursor,
};
use crate::error::Error;
use crate::http::profile::{UserResponse, avatar_path};
use crate::http::{MAX_UPLOAD_BODY, RouteTable};
use crate::services::users::{account as credentials, avatar, sessions, settings};
use crate::services::{Principal, activity, api_keys, export, lifecycle, mfa, sign_in, sign_up, users};
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::Arc;

pub fn table() -> RouteTable {
    RouteTable::new()
        .route("/account", get(overview))
        .route("/account/resend-activation", post(resend_activation))
        .route("/account/profile", get(profile_page).post(profile_submit))
        .route("/account/avatar", post(avatar_submit).layer(DefaultBodyLimit::max(MAX_UPLOAD_BODY)))
        .route("/account/avatar/remove", post(avatar_remove))
        .route("/account/preferences", get(preferences_page).post(preferences_submit))
        .route("/account/settings", get(settings_page).post(settings_submit))
        .route("/account/password", get(password_page).post(password_submit))
        .route("/account/email", get(email_page).post(email_submit))
        .route("/account/mfa", get(mfa_page))
        .route("/account/mfa/start", post(mfa_start))
        .route("/account/mfa/verify", post(mfa_verify))
        .route("/account/mfa/manage", post(mfa_manage))
        .route("/account/sessions", get(sessions_page))
        .route("/account/sessions/{id}/revoke", post(session_revoke))
        .route("/account/api-keys", get(api_keys_page).post(api_key_create))
        .route("/account/api-keys/{id}/revoke", post(api_key_revoke))
        .route("/account/activity", get(activity_page))
        .route("/account/export", get(export_page))
        .route("/account/export.json", get(export_download))
        .route("/account/delete", get(delete_page).post(delete_submit))
}

// ---- what every section shares ---------------------------------------------------------------

/// The sections in the order of the nav: `(path, the catalog's label)`.
const SECTIONS: [(&str, &str); 12] = [
    ("/account", "section-overview"),
    ("/account/profile", "section-profile"),
    ("/account/preferences", "section-preferences"),
    ("/account/settings", "section-settings"),
    ("/account/password", "section-password"),
    ("/account/email", "section-email"),
    ("/account/mfa", "section-mfa"),
    ("/account/sessions", "section-sessions"),
    ("/account/api-keys", "section-api-keys"),
    ("/account/activity", "section-activity"),
    ("/account/export", "section-export"),
    ("/account/delete", "section-delete"),
];

/// One link of the sections' nav (the admin console's too).
pub(super) struct NavItem {
    pub(super) href: &'static str,
    pub(super) label: String,
    pub(super) current: bool,
}

/// What the account layout (`account/layout.html`) shows around a section: the heading, the
/// nav with the current section marked, and the notice of a post that just succeeded.
struct Section {
    title: String,
    nav: Vec<NavItem>,
    notice: Option<String>,
}

impl Section {
    fn new(c: &Chrome, here: &str, notice: Option<String>) -> Self {
        // The overview's heading is the account's, its nav label "Overview".
        let title = match SECTIONS.iter().find(|(href, _)| *href == here) {
            Some((href, label)) if *href != "/account" => c.t(label),
            _ => c.t("account-title"),
        };
        let nav = SECTIONS.iter().map(|(href, label)| NavItem { href, label: c.t(label), current: *href == here }).collect();
        Self { title, nav, notice }
    }
}

/// A signed-out visitor is sent to sign in and brought back.
fn sign_in_first(visitor: &mut Visitor, here: &str) -> Page {
    Page::redirect(visitor, &format!("/sign-in?next={}", url::form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>()))
}

/// The account of a section: signed in and activated, or the page to show instead.
fn holder(visitor: &mut Visitor, here: &str) -> Result<Principal, Page> {
    let Some(p) = visitor.principal.clone() else { return Err(sign_in_first(visitor, here)) };
    if !p.user.email_verified {
        let c = Chrome::of(visitor);
        let page = MessagePage {
            title: c.t("account-not-activated-title"),
            message: error_message(visitor.lang, &Error::AccountNotActivated),
            next: Some(("/account".to_owned(), c.t("account-not-activated-next"))),
            c,
        };
        return Err(Page::render_status(visitor, StatusCode::FORBIDDEN, &page));
    }
    Ok(p)
}

/// The notice for `?done=<what>` (only the ones this module sends; anything else shows none).
fn notice(c: &Chrome, query: Option<&str>) -> Option<String> {
    let done = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).find(|(k, _)| k == "done").map(|(_, v)| v)?;
    let id = match done.as_ref() {
        "saved" => "done-saved",
        "avatar" => "done-avatar",
        "avatar-removed" => "done-avatar-removed",
        "activation-sent" => "done-activation-sent",
        "session-revoked" => "done-session-revoked",
        "key-revoked" => "done-key-revoked",
        "mfa-off" => "done-mfa-off",
        _ => return None,
    };
    Some(c.t(id))
}

fn param<'q>(query: Option<&'q str>, name: &str) -> Option<std::borrow::Cow<'q, str>> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v)
}

#[derive(Deserialize, Default)]
struct Empty {}

// ---- overview --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "account/overview.html")]
struct Overview {
    c: Chrome,
    s: Section,
    username: String,
    email: String,
    activated: bool,
    mfa_enabled: bool,
    alert: Option<String>,
    /// Why no mail goes to the address any more (the suppression list), when none does.
    mail_suppressed: Option<String>,
}

/// The overview's notice of a suppressed address: the reason and since when (the day, UTC).
fn suppression_notice(c: &Chrome, user: &crate::domain::User) -> Option<String> {
    let m = user.mail_suppression.as_ref()?;
    let id = match m.reason {
        crate::domain::SuppressionReason::Bounce => "account-mail-suppressed-bounce",
        crate::domain::SuppressionReason::Complaint => "account-mail-suppressed-complaint",
    };
    let when = When::at(m.since);
    Some(c.t1(id, "date", when.iso.get(..10).unwrap_or(&when.text)))
}

fn overview_of(visitor: &mut Visitor, p: &Principal, status: StatusCode, notice_text: Option<String>, alert: Option<String>) -> Page {
    let c = Chrome::of(visitor);
    let page = Overview {
        s: Section::new(&c, "/account", notice_text),
        username: p.user.username.as_str().to_owned(),
        email: p.user.email.as_str().to_owned(),
        activated: p.user.email_verified,
        mfa_enabled: p.user.mfa_enabled,
        alert,
        mail_suppressed: suppression_notice(&c, &p.user),
        c,
    };
    Page::render_status(visitor, status, &page)
}

async fn overview(mut visitor: Visitor, RawQuery(q): RawQuery) -> Page {
    let Some(p) = visitor.principal.clone() else { return sign_in_first(&mut visitor, "/account") };
    let text = notice(&Chrome::of(&visitor), q.as_deref());
    overview_of(&mut visitor, &p, StatusCode::OK, text, None)
}

/// The one post an unactivated account may make here: the activation mail again.
async fn resend_activation(State(app): State<Arc<App>>, Submitted(mut visitor, Empty {}): Submitted<Empty>) -> Page {
    let Some(p) = visitor.principal.clone() else { return sign_in_first(&mut visitor, "/account") };
    match sign_up::resend_activation(&app, p.user.email.as_str(), &visitor.client).await {
        Ok(()) => Page::redirect(&mut visitor, "/account?done=activation-sent"),
        Err(e) => {
            let alert = Some(error_message(visitor.lang, &e));
            overview_of(&mut visitor, &p, e.status(), None, alert)
        }
    }
}

// ---- profile and avatar ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "account/profile.html")]
struct ProfilePage {
    c: Chrome,
    s: Section,
    form: FormState,
    avatar_form: FormState,
    /// The current avatar (the default picture when there is none).
    avatar: String,
    /// Whether the account has an avatar of its own (which it may remove).
    own_avatar: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProfileForm {
    name: String,
    bio: String,
    location: String,
    website: String,
}

fn profile_state(p: &Principal) -> FormState {
    let u = &p.user;
    FormState::new()
        .keep("name", u.name.as_deref().unwrap_or_default())
        .keep("bio", u.bio.as_deref().unwrap_or_default())
        .keep("location", u.location.as_deref().unwrap_or_default())
        .keep("website", u.website.as_deref().unwrap_or_default())
}

fn profile_of(
    visitor: &mut Visitor,
    p: &Principal,
    status: StatusCode,
    form: FormState,
    avatar_form: FormState,
    done: Option<&str>,
) -> Page {
    let c = Chrome::of(visitor);
    let own = avatar_path(&p.user);
    let own_avatar = own.is_some();
    let avatar = own.unwrap_or_else(|| format!("/api/users/{}/avatar", p.user.id));
    let page = ProfilePage { s: Section::new(&c, "/account/profile", notice(&c, done)), form, avatar_form, avatar, own_avatar, c };
    Page::render_status(visitor, status, &page)
}

async fn profile_page(mut visitor: Visitor, RawQuery(q): RawQuery) -> Page {
    let p = match holder(&mut visitor, "/account/profile") {
        Ok(p) => p,
        Err(page) => return page,
    };
    profile_of(&mut visitor, &p, StatusCode::OK, profile_state(&p), FormState::new(), q.as_deref())
}

async fn profile_submit(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<ProfileForm>) -> Page {
    let p = match holder(&mut visitor, "/account/profile") {
        Ok(p) => p,
        Err(page) => return page,
    };
    // An emptied field clears it (the JSON API's `null`).
    let input = ProfileInput {
        name: Some(Some(&form.name)),
        bio: Some(Some(&form.bio)),
        location: Some(Some(&form.location)),
        website: Some(Some(&form.website)),
        ..ProfileInput::default()
    };
    let result = match ProfileUpdate::parse(input) {
        Ok(update) => users::update_profile(&app, &p.user, &update).await.map(|_| ()),
        Err(fields) => Err(Error::Validation(fields)),
    };
    match result {
        Ok(()) => Page::redirect(&mut visitor, "/account/profile?done=saved"),
        Err(e) => {
            let state = FormState::new()
                .keep("name", &form.name)
                .keep("bio", &form.bio)
                .keep("location", &form.location)
                .keep("website", &form.website)
                .failed(visitor.lang, &e);
            profile_of(&mut visitor, &p, e.status(), state, FormState::new(), None)
        }
    }
}

async fn avatar_submit(State(app): State<Arc<App>>, SubmittedUpload(mut visitor, file): SubmittedUpload) -> Page {
    let p = match holder(&mut visitor, "/account/profile") {
        Ok(p) => p,
        Err(page) => return page,
    };
    let result = match file {
        Ok(bytes) => avatar::upload(&app, &p.user, bytes).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Page::redirect(&mut visitor, "/account/profile?done=avatar"),
        Err(e) => {
            // A refused image (wrong type, too large, undecodable) is about the file field.
            let field_error = FormState::new().failed_at(visitor.lang, &e, "avatar");
            profile_of(&mut visitor, &p, e.status(), profile_state(&p), field_error, None)
        }
    }
}

/// Back to the default picture (`DELETE /api/users/me/avatar`).
async fn avatar_remove(State(app): State<Arc<App>>, Submitted(mut visitor, Empty {}): Submitted<Empty>) -> Page {
    let p = match holder(&mut visitor, "/account/profile") {
        Ok(p) => p,
        Err(page) => return page,
    };
    match avatar::remove(&app, &p.user).await {
        Ok(()) => Page::redirect(&mut visitor, "/account/profile?done=avatar-removed"),
        Err(e) => {
            let state = FormState::new().failed(visitor.lang, &e);
            profile_of(&mut visitor, &p, e.status(), profile_state(&p), state, None)
        }
    }
}

// ---- preferences -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "account/preferences.html")]
struct PreferencesPage {
    c: Chrome,
    s: Section,
    form: FormState,
    themes: Vec<(&'static str, String)>,
    languages: Vec<(&'static str, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PreferencesForm {
    theme: String,
    language: String,
    timezone: String,
}

fn preferences_of(visitor: &mut Visitor, status: StatusCode, form: FormState, done: Option<&str>) -> Page {
    let c = Chrome::of(visitor);
    let themes = [("auto", "theme-auto"), ("light", "theme-light"), ("dark", "theme-dark")].map(|(v, l)| (v, c.t(l))).to_vec();
    let languages = vec![("en", "English".to_owned()), ("es", "Español".to_owned())];
    let page = PreferencesPage { s: Section::new(&c, "/account/preferences", notice(&c, done)), form, themes, languages, c };
    Page::render_status(visitor, status, &page)
}

async fn preferences_page(mut visitor: Visitor, RawQuery(q): RawQuery) -> Page {
    let p = match holder(&mut visitor, "/account/preferences") {
        Ok(p) => p,
        Err(page) => return page,
    };
    let prefs = &p.user.preferences;
    let state = FormState::new()
        .keep("theme", prefs.theme.as_str())
        .keep("language", prefs.language.primary())
        .keep("timezone", prefs.timezone.as_str());
    preferences_of(&mut visitor, StatusCode::OK, state, q.as_deref())
}

async fn preferences_submit(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<PreferencesForm>) -> Page {
    let p = match holder(&mut visitor, "/account/preferences") {
        Ok(p) => p,
        Err(page) => return page,
    };
    let input = ProfileInput {
        theme: Some(form.theme.trim()),
        language: Some(form.language.trim()),
        timezone: Some(form.timezone.trim()),
        ..ProfileInput::default()
    };
    let result = match ProfileUpdate::parse(input) {
        Ok(update) => users::update_profile(&app, &p.user, &update).await.map(|_| ()),
        Err(fields) => Err(Error::Validation(fields)),
    };
    match result {
        // The next page is in the new language and theme (the visitor reads them anew).
        Ok(()) => Page::redirect(&mut visitor, "/account/preferences?done=saved"),
        Err(e) => {
            let state = FormState::new()
                .keep("theme", &form.theme)
                .keep("language", &form.language)
                .keep("timezone", &form.timezone)
                .failed(visitor.lang, &e);
            preferences_of(&mut visitor, e.status(), state, None)
        }
    }
}

// ---- settings --------------------------------------------------------------------------------

/// One checkbox of the settings page.
struct Toggle {
    name: String,
    label: String,
    checked: bool,
}

/// A group of checkboxes (`<fieldset>` with its legend).
struct ToggleGroup {
    legend: String,
    toggles: Vec<Toggle>,
}

#[derive(Template)]
#[template(path = "account/settings.html")]
struct SettingsPage {
    c: Chrome,
    s: Section,
    form: FormState,
    groups: Vec<ToggleGroup>,
}

/// The page's field of a setting: `notifications_email`, `privacy_public_profile`, …
fn toggle_name(group: &str, key: &str) -> String {
    let mut name = format!("{group}_");
    for ch in key.chars() {
        if ch.is_ascii_uppercase() {
            name.push('_');
            name.push(ch.to_ascii_lowercase());
        } else {
            name.push(ch);
        }
    }
    name
}

fn settings_of(
    visitor: &mut Visitor,
    p: &Principal,
    status: StatusCode,
    form: FormState,
    sent: Option<&[(String, String)]>,
    done: Option<&str>,
) -> Page {
    let c = Chrome::of(visitor);
    let x = &p.user.settings;
    let (n, pr, a) = (&x.notifications, &x.privacy, &x.app);
    let stored: [(&str, &[&str], Vec<bool>); 3] = [
        ("notifications", &NOTIFICATION_KEYS, vec![n.email, n.push, n.uploads, n.sharing, n.storage, n.security, n.marketing]),
        ("privacy", &PRIVACY_KEYS, vec![pr.public_profile, pr.show_activity, pr.allow_indexing]),
        ("app", &APP_BOOL_KEYS, vec![a.auto_upload, a.compression_enabled, a.thumbnail_generation]),
    ];
    let groups = stored
        .iter()
        .map(|(group, keys, values)| ToggleGroup {
            legend: c.t(&format!("settings-{group}")),
            toggles: keys
                .iter()
                .zip(values)
                .map(|(key, value)| {
                    let name = toggle_name(group, key);
                    let checked = sent.map_or(*value, |sent| sent.iter().any(|(k, _)| *k == name));
                    Toggle { label: c.t(&format!("setting-{}", name.replace('_', "-"))), name, checked }
                })
                .collect(),
        })
        .collect();
    let form = if sent.is_none() { form.keep("default_folder", &a.default_folder) } else { form };
    let page = SettingsPage { s: Section::new(&c, "/account/settings", notice(&c, done)), form, groups, c };
    Page::render_status(visitor, status, &page)
}

async fn settings_page(mut visitor: Visitor, RawQuery(q): RawQuery) -> Page {
    let p = match holder(&mut visitor, "/account/settings") {
        Ok(p) => p,
        Err(page) => return page,
    };
    settings_of(&mut visitor, &p, StatusCode::OK, FormState::new(), None, q.as_deref())
}

/// A checkbox is sent only when checked: every flag is set, to whether its box came.
async fn settings_submit(State(app): State<Arc<App>>, Submitted(mut visitor, sent): Submitted<Vec<(String, String)>>) -> Page {
    let p = match holder(&mut visitor, "/account/settings") {
        Ok(p) => p,
        Err(page) => return page,
    };
    let checked = |group: &str, key: &'static str| (key, Some(sent.iter().any(|(k, _)| *k == toggle_name(group, key))));
    let folder = sent.iter().find(|(k, _)| k == "default_folder").map(|(_, v)| v.as_str());
    let input = SettingsInput {
        notifications: NOTIFICATION_KEYS.map(|k| checked("notifications", k)),
        privacy: PRIVACY_KEYS.map(|k| checked("privacy", k)),
        app: APP_BOOL_KEYS.map(|k| checked("app", k)),
        default_folder: folder,
    };
    let result = match SettingsChange::parse(input) {
        Ok(change) => settings::update(&app, &p.user, &change).await.map(|_| ()),
        Err(fields) => Err(Error::Validation(fields)),
    };
    match result {
        Ok(()) => Page::redirect(&mut visitor, "/account/settings?done=saved"),
        Err(e) => {
            let state = FormState::new().keep("default_folder", folder.unwrap_or_default()).failed(visitor.lang, &e);
            settings_of(&mut visitor, &p, e.status(), state, Some(&sent), None)
        }
    }
}

// ---- password --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    c: Chrome,
    s: Section,
    form: FormState,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

fn password_of(visitor: &mut Visitor, status: StatusCode, form: FormState) -> Page {
    let c = Chrome::of(visitor);
    let page = PasswordPage { s: Section::new(&c, "/account/password", None), form, c };
    Page::render_status(visitor, status, &page)
}

async fn password_page(mut visitor: Visitor) -> Page {
    if let Err(page) = holder(&mut visitor, "/account/password") {
        return page;
    }
    password_of(&mut visitor, StatusCode::OK, FormState::new())
}

/// A new password ends every other session (the service); this browser signs in again too,
/// with the new password, so no session from before the change is left.
async fn password_submit(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<PasswordForm>) -> Page {
    let p = match holder(&mut visitor, "/account/password") {
        Ok(p) => p,
        Err(page) => return page,
    };
    let input = credentials::PasswordChange { current: form.current_password, confirm: form.new_password.clone(), new: form.new_password };
    match credentials::change_password(&app, &p, input, &visitor.client).await {
        Ok(_) => {
            if let Err(e) = sign_in::logout(&app, &p, &visitor.client).await {
                tracing::warn!(error = %e, "the page's session did not end after a password change");
            }
            visitor.sign_out(&app);
            Page::redirect(&mut visitor, "/sign-in?done=password")
        }
        Err(e) => {
            let state = FormState::new().failed_at(visitor.lang, &e, "current_password");
            password_of(&mut visitor, e.status(), state)
        }
    }
}

// ---- email -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "account/email.html")]
struct EmailPage {
    c: Chrome,
    s: Section,
    form: FormState,
    current: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    new_email: String,
    password: String,
}

fn email_of(visitor: &mut Visitor, p: &Principal, status: StatusCode, form: FormState, notice_text: Option<String>) -> Page {
    let c = Chrome::of(visitor);
    let page = EmailPage { s: Section::new(&c, "/account/email", notice_text), form, current: p.user.email.as_str().to_owned(), c };
    Page::render_status(visitor, status, &page)
}

async fn email_page(mut visitor: Visitor) -> Page {
    let p = match holder(&mut visitor, "/account/email") {
        Ok(p) => p,
        Err(page) => return page,
    };
    email_of(&mut visitor, &p, StatusCode::OK, FormState::new(), None)
}

/// Whether the new address is taken is only said to its owner, when the link is opened: the
/// page answers the same notice either way (the service's rule).
async fn email_submit(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<EmailForm>) -> Page {
    let p = match holder(&mut visitor, "/account/email") {
        Ok(p) => p,
        Err(page) => return page,
    };
    let new_email = form.new_email.trim().to_owned();
    match credentials::request_email_change(&app, &p, &new_email, &form.password, &visitor.client).await {
        Ok(()) => {
            let text = Chrome::of(&visitor).t1("email-done", "email", &new_email);
            email_of(&mut visitor, &p, StatusCode::OK, FormState::new(), Some(text))
        }
        Err(e) => {
            let state = FormState::new().keep("new_email", &new_email).failed_at(visitor.lang, &e, "password");
            email_of(&mut visitor, &p, e.status(), state, None)
        }
    }
}

// ---- two-factor authentication ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "account/mfa.html")]
struct MfaPage {
    c: Chrome,
    s: Section,
    form: FormState,
    enabled: bool,
}

/// The enrolment: the QR code and the secret (only right after the start: they are not kept
/// readable), and the form that confirms a first code.
#[derive(Template)]
#[template(path = "account/mfa_enrol.html")]
struct MfaEnrolPage {
    c: Chrome,
    s: Section,
    form: FormState,
    /// `(QR code as a PNG data URL, base32 secret)`.
    enrolment: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "account/backup_codes.html")]
struct BackupCodesPage {
    c: Chrome,
    s: Section,
    codes: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordOnly {
    password: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    code: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ManageForm {
    password: String,
    code: String,
    /// `regenerate` (new backup codes) or `disable`: the button pressed.
    action: String,
}

fn mfa_of(visitor: &mut Visitor, p: &Principal, status: StatusCode, form: FormState, done: Option<&str>) -> Page {
    let c = Chrome::of(visitor);
    let page = MfaPage { s: Section::new(&c, "/account/mfa", notice(&c, done)), form, enabled: p.user.mfa_enabled, c };
    Page::render_status(visitor, status, &page)
}

fn mfa_enrol_of(visitor: &mut Visitor, status: StatusCode, form: FormState, enrolment: Option<(String, String)>) -> Page {
    let c = Chrome::of(visitor);
    let page = MfaEnrolPage { s: Section::new(&c, "/account/mfa", None), form, enrolment, c };
    Page::render_status(visitor, status, &page)
}

fn backup_codes_of(visitor: &mut Visitor, codes: Vec<String>) -> Page {
    let c = Chrome::of(visitor);
    let page = BackupCodesPage { s: Section::new(&c, "/account/mfa", Some(c.t("mfa-codes-notice"))), codes, c };
    Page::render(visitor, &page)
}

async fn mfa_page(mut visitor: Visitor, RawQuery(q): RawQuery) -> Page {
    let p = match holder(&mut visitor, "/account/mfa") {
        Ok(p) => p,
        Err(page) => return page,
    };
    mfa_of(&mut visitor, &p, StatusCode::OK, FormState::new(), q.as_deref())
}

async fn mfa_start(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<PasswordOnly>) -> Page {
    let p = match holder(&mut visitor, "/account/mfa") {
        Ok(p) => p,
        Err(page) => return page,
    };
    match mfa::start(&app, &p, &form.password).await {
        Ok(e) => mfa_enrol_of(&mut visitor, StatusCode::OK, FormState::new(), Some((e.qr_code, e.secret))),
        Err(e) => {
            let state = FormState::new().failed_at(visitor.lang, &e, "password");
            mfa_of(&mut visitor, &p, e.status(), state, None)
        }
    }
}

async fn mfa_verify(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<CodeForm>) -> Page {
    let p = match holder(&mut visitor, "/account/mfa") {
        Ok(p) => p,
        Err(page) => return page,
    };
    match mfa::verify(&app, &p, &form.code, &visitor.client).await {
        Ok(codes) => backup_codes_of(&mut visitor, codes),
        Err(e) => {
            // The pending secret is still in the authenticator: ask for a code again.
            let state = FormState::new().failed_at(visitor.lang, &e, "code");
            mfa_enrol_of(&mut visitor, e.status(), state, None)
        }
    }
}

async fn mfa_manage(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<ManageForm>) -> Page {
    let p = match holder(&mut visitor, "/account/mfa") {
        Ok(p) => p,
        Err(page) => return page,
    };
    let result = match form.action.as_str() {
        "regenerate" => mfa::regenerate_backup_codes(&app, &p, &form.password, &form.code, &visitor.client).await.map(Some),
        "disable" => mfa::disable(&app, &p, &form.password, &form.code, &visitor.client).await.map(|()| None),
        _ => Err(Error::field("action", "must be regenerate or disable")),
    };
    match result {
        Ok(Some(codes)) => backup_codes_of(&mut visitor, codes),
        Ok(None) => Page::redirect(&mut visitor, "/account/mfa?done=mfa-off"),
        Err(e) => {
            let field = if matches!(e, Error::InvalidPassword) { "password" } else { "code" };
            let state = FormState::new().failed_at(visitor.lang, &e, field);
            mfa_of(&mut visitor, &p, e.status(), state, None)
        }
    }
}

// ---- sessions --------------------------------------------------------------------------------

struct SessionRow {
    id: String,
    created: When,
    last_used: When,
    ip: String,
    user_agent: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "account/sessions.html")]
struct SessionsPage {
    c: Chrome,
    s: Section,
    rows: Vec<SessionRow>,
    alert: Option<String>,
}

async fn sessions_of(
    app: &App,
    visitor: &mut Visitor,
    p: &Principal,
    status: StatusCode,
    alert: Option<String>,
    done: Option<&str>,
) -> Page {
    let rows = match sessions::list(app, p).await {
        Ok(list) => list
            .into_iter()
            .map(|(x, current)| SessionRow {
                id: x.id.to_string(),
                created: When::at(x.created_at),
                last_used: When::at(x.last_used_at),
                ip: x.ip,
                user_agent: x.user_agent,
                current,
            })
            .collect(),
        Err(e) => return error_page(visitor, &e),
    };
    let c = Chrome::of(visitor);
    let page = SessionsPage { s: Section::new(&c, "/account/sessions", notice(&c, done)), rows, alert, c };
    Page::render_status(visitor, status, &page)
}

async fn sessions_page(State(app): State<Arc<App>>, mut visitor: Visitor, RawQuery(q): RawQuery) -> Page {
    let p = match holder(&mut visitor, "/account/sessions") {
        Ok(p) => p,
        Err(page) => return page,
    };
    sessions_of(&app, &mut visitor, &p, StatusCode::OK, None, q.as_deref()).await
}

async fn session_revoke(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    Submitted(mut visitor, Empty {}): Submitted<Empty>,
) -> Page {
    let p = match holder(&mut visitor, "/account/sessions") {
        Ok(p) => p,
        Err(page) => return page,
    };
    let result = match id {
        Ok(Path(id)) => sessions::revoke(&app, &p, &id, &visitor.client).await,
        Err(_) => Err(Error::NotFound),
    };
    match result {
        Ok(()) => Page::redirect(&mut visitor, "/account/sessions?done=session-revoked"),
        Err(e) => {
            let alert = Some(error_message(visitor.lang, &e));
            sessions_of(&app, &mut visitor, &p, e.status(), alert, None).await
        }
    }
}

// ---- API keys --------------------------------------------------------------------------------

struct KeyRow {
    id: String,
    name: String,
    prefix: String,
    scopes: String,
    created: When,
    last_used: Option<When>,
    expires: Option<When>,
    /// The status, in words.
    status: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "account/api_keys.html")]
struct ApiKeysPage {
    c: Chrome,
    s: Section,
    form: FormState,
    keys: Vec<KeyRow>,
    /// The secret of the key just created, shown this once.
    secret: Option<String>,
    expiries: Vec<(&'static str, String)>,
}

async fn api_keys_of(
    app: &App,
    visitor: &mut Visitor,
    p: &Principal,
    status: StatusCode,
    form: FormState,
    secret: Option<String>,
    done: Option<&str>,
) -> Page {
    let now = app.now();
    let c = Chrome::of(visitor);
    let keys = match api_keys::list(app, p).await {
        Ok(list) => list
            .iter()
            .map(|k| {
                let status = k.status_at(now);
                KeyRow {
                    id: k.id.to_string(),
                    name: k.name.clone(),
                    prefix: k.prefix.clone(),
                    scopes: k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                    created: When::at(k.created_at),
                    last_used: k.last_used_at.map(When::at),
                    expires: k.expires_at.map(When::at),
                    status: c.t(&format!("key-status-{}", status.as_str())),
                    active: status.as_str() == "active",
                }
            })
            .collect(),
        Err(e) => return error_page(visitor, &e),
    };
    let expiries = [("", "key-expires-never"), ("30d", "key-expires-30d"), ("90d", "key-expires-90d"), ("365d", "key-expires-365d")]
        .map(|(v, l)| (v, c.t(l)))
        .to_vec();
    let page = ApiKeysPage { s: Section::new(&c, "/account/api-keys", notice(&c, done)), form, keys, secret, expiries, c };
    Page::render_status(visitor, status, &page)
}

/// The create form as it starts: `read` ticked (the API's default scope).
fn key_form() -> FormState {
    FormState::new().keep("scopes-read", "on")
}

async fn api_keys_page(State(app): State<Arc<App>>, mut visitor: Visitor, RawQuery(q): RawQuery) -> Page {
    let p = match holder(&mut visitor, "/account/api-keys") {
        Ok(p) => p,
        Err(page) => return page,
    };
    api_keys_of(&app, &mut visitor, &p, StatusCode::OK, key_form(), None, q.as_deref()).await
}

/// `name`, `scopes` (a checkbox each: sent once per ticked scope), `expires_in` (optional).
async fn api_key_create(State(app): State<Arc<App>>, Submitted(mut visitor, sent): Submitted<Vec<(String, String)>>) -> Page {
    let p = match holder(&mut visitor, "/account/api-keys") {
        Ok(p) => p,
        Err(page) => return page,
    };
    let name = sent.iter().find(|(k, _)| k == "name").map(|(_, v)| v.as_str()).unwrap_or_default();
    let scopes: Vec<String> = sent.iter().filter(|(k, _)| k == "scopes").map(|(_, v)| v.clone()).collect();
    let expires_in = sent.iter().find(|(k, _)| k == "expires_in").map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    let expires_in = expires_in.map(|v| serde_json::Value::String(v.to_owned()));
    let result = match api_keys::NewKey::parse(Some(name), Some(&scopes), expires_in.as_ref()) {
        Ok(input) => api_keys::create(&app, &p, input, &visitor.client).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(created) => api_keys_of(&app, &mut visitor, &p, StatusCode::OK, key_form(), Some(created.secret), None).await,
        Err(e) => {
            let mut state = FormState::new().keep("name", name);
            for scope in &scopes {
                state = state.keep(&format!("scopes-{scope}"), "on");
            }
            let state = state.failed(visitor.lang, &e);
            api_keys_of(&app, &mut visitor, &p, e.status(), state, None, None).await
        }
    }
}

async fn api_key_revoke(
    State(app): State<Arc<App>>,
    id: Result<Path<String>, PathRejection>,
    Submitted(mut visitor, Empty {}): Submitted<Empty>,
) -> Page {
    let p = match holder(&mut visitor, "/account/api-keys") {
        Ok(p) => p,
        Err(page) => return page,
    };
    let result = match id {
        Ok(Path(id)) => api_keys::revoke(&app, &p, &id, &visitor.client).await,
        Err(_) => Err(Error::NotFound),
    };
    match result {
        Ok(()) => Page::redirect(&mut visitor, "/account/api-keys?done=key-revoked"),
        Err(e) => {
            let state = key_form().failed(visitor.lang, &e);
            api_keys_of(&app, &mut visitor, &p, e.status(), state, None, None).await
        }
    }
}

// ---- activity --------------------------------------------------------------------------------

/// Entries per page of the activity table.
const ACTIVITY_PAGE: u32 = 20;

struct ActivityRow {
    kind: String,
    at: When,
    ip: String,
    user_agent: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "account/activity.html")]
struct ActivityPage {
    c: Chrome,
    s: Section,
    rows: Vec<ActivityRow>,
    /// The link to the next (older) page, if there is one.
    more: Option<String>,
}

async fn activity_page(State(app): State<Arc<App>>, mut visitor: Visitor, RawQuery(q): RawQuery) -> Page {
    let p = match holder(&mut visitor, "/account/activity") {
        Ok(p) => p,
        Err(page) => return page,
    };
    let raw = param(q.as_deref(), "cursor");
    let cursor = match parse_activity_cursor(raw.as_deref()) {
        Ok(c) => c,
        Err(e) => return error_page(&mut visitor, &Error::Validation(vec![e])),
    };
    let (records, next) = match activity::list(&app, &p.user.id, cursor, ACTIVITY_PAGE).await {
        Ok(page) => page,
        Err(e) => return error_page(&mut visitor, &e),
    };
    let rows = records
        .into_iter()
        .map(|a| ActivityRow { kind: a.kind, at: When::at(a.at), ip: a.ip, user_agent: a.user_agent, detail: a.detail.unwrap_or_default() })
        .collect();
    let more = next.map(|n| format!("/account/activity?cursor={}", url::form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()));
    let c = Chrome::of(&visitor);
    let page = ActivityPage { s: Section::new(&c, "/account/activity", None), rows, more, c };
    Page::render(&mut visitor, &page)
}

// ---- export ----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "account/export.html")]
struct ExportPage {
    c: Chrome,
    s: Section,
}

async fn export_page(mut visitor: Visitor) -> Page {
    if let Err(page) = holder(&mut visitor, "/account/export") {
        return page;
    }
    let c = Chrome::of(&visitor);
    let page = ExportPage { s: Section::new(&c, "/account/export", None), c };
    Page::render(&mut visitor, &page)
}

/// The export document of `GET /api/users/me/export` (the same service and profile shape),
/// as a file: the document alone, without the API's envelope.
async fn export_download(State(app): State<Arc<App>>, mut visitor: Visitor) -> Response {
    let p = match holder(&mut visitor, "/account/export") {
        Ok(p) => p,
        Err(page) => return page.into_response(),
    };
    let document = match export::export(&app, &p, UserResponse::new(&app, &p.user)).await {
        Ok(d) => d,
        Err(e) => return error_page(&mut visitor, &e).into_response(),
    };
    let body = match serde_json::to_vec_pretty(&document) {
        Ok(b) => b,
        Err(e) => return error_page(&mut visitor, &Error::internal(e)).into_response(),
    };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"accounts-export-{}.json\"", p.user.id)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    for c in visitor.take_cookies() {
        headers.append(header::SET_COOKIE, c);
    }
    response
}

// ---- deletion --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "account/delete.html")]
struct DeletePage {
    c: Chrome,
    s: Section,
    form: FormState,
}

#[derive(Template)]
#[template(path = "account/deleted.html")]
struct DeletedPage {
    c: Chrome,
    recovery_code: String,
    purge_at: When,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteForm {
    password: String,
    reason: String,
}

fn delete_of(visitor: &mut Visitor, status: StatusCode, form: FormState) -> Page {
    let c = Chrome::of(visitor);
    let page = DeletePage { s: Section::new(&c, "/account/delete", None), form, c };
    Page::render_status(visitor, status, &page)
}

async fn delete_page(mut visitor: Visitor) -> Page {
    if let Err(page) = holder(&mut visitor, "/account/delete") {
        return page;
    }
    delete_of(&mut visitor, StatusCode::OK, FormState::new())
}

/// The form is the confirmation the JSON API asks for in `confirmation`; the password is still
/// checked. The recovery code is shown once, and this browser is signed out (the account's
/// sessions end with the scheduling).
async fn delete_submit(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<DeleteForm>) -> Page {
    let p = match holder(&mut visitor, "/account/delete") {
        Ok(p) => p,
        Err(page) => return page,
    };
    let reason = Some(form.reason.as_str()).filter(|r| !r.trim().is_empty());
    match lifecycle::delete_own(&app, &p, &form.password, lifecycle::CONFIRMATION, reason, &visitor.client).await {
        Ok(scheduled) => {
            visitor.sign_out(&app);
            let page =
                DeletedPage { c: Chrome::of(&visitor), recovery_code: scheduled.recovery_code, purge_at: When::at(scheduled.purge_at) };
            Page::render(&mut visitor, &page)
        }
        Err(e) => {
            let state = FormState::new().keep("reason", &form.reason).failed_at(visitor.lang, &e, "password");
            delete_of(&mut visitor, e.status(), state)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_of_the_nav_is_a_route() {
        let table = table();
        for (href, _) in SECTIONS {
            assert!(table.paths().contains(&href), "{href}");
        }
    }

    #[test]
    fn settings_fields_are_the_snake_case_of_the_api_keys() {
        assert_eq!(toggle_name("privacy", "publicProfile"), "privacy_public_profile");
        assert_eq!(toggle_name("notifications", "email"), "notifications_email");
    }

    #[test]
    fn only_known_notices_are_shown() {
        let c = Chrome::anonymous(crate::i18n::Lang::En);
        assert!(notice(&c, Some("done=saved")).is_some());
        assert!(notice(&c, Some("done=%3Cscript%3E")).is_none());
        assert!(notice(&c, None).is_none());
    }

    #[test]
    fn times_read_as_minutes_in_utc() {
        let w = When::at(0);
        assert_eq!(w.text, "1970-01-01 00:00 UTC");
        assert!(w.iso.starts_with("1970-01-01T00:00:00"));
    }
}
