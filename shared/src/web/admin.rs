//! `/admin`: the console of staff (SPEC §3.8, with §3.4's rules): the users table (prefix
//! search, sort, filters, cursor paging both ways), a user's page (profile, status, sessions,
//! API keys, activity, and the actions the viewer's role allows), creating a user, and the
//! audit trail.
//!
//! Every handler first asks [`staff`]: someone who is not staff (signed out, a plain or
//! unactivated account) gets the site's plain 404 page, the console is not advertised; a
//! moderator who asks for an admin's action gets a 403 page, whatever form was posted. Then it
//! calls the same `services::admin` function as the `/api/admin/*` route (the list service and
//! its indexes, the ban, …), so the rules of who may do what to whom, the audit entry and the
//! lifecycle events are the services' own. A ban and a deletion ask for confirmation on a page of
//! their own (a form posted again with `confirm=yes`: no JavaScript needed).
//!
//! Times are shown and entered in UTC (the ban's end is a `datetime-local` input read as UTC).

use super::account::NavItem;
use super::page::{Chrome, FormState, Page, When, error_message, error_page};
use super::{Submitted, Visitor};
use crate::App;
use crate::clock::rfc3339;
use crate::domain::{Role, User, UserStatus, parse_activity_cursor};
use crate::error::{Error, FieldError};
use crate::http::RouteTable;
use crate::i18n::{self, Lang};
use crate::services::Principal;
use crate::services::admin::{self as svc, Action, Actor};
use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::Arc;

pub fn table() -> RouteTable {
    RouteTable::new()
        .route("/admin", get(users_page))
        .route("/admin/users/new", get(new_user_page).post(new_user_submit))
        .route("/admin/users/{id}", get(user_page))
        .route("/admin/users/{id}/edit", post(edit_submit))
        .route("/admin/users/{id}/role", post(role_submit))
        .route("/admin/users/{id}/ban", post(ban_submit))
        .route("/admin/users/{id}/unban", post(unban_submit))
        .route("/admin/users/{id}/delete", post(delete_submit))
        .route("/admin/users/{id}/restore", post(restore_submit))
        .route("/admin/audit", get(audit_page))
}

/// Users per page of the table when the address does not say (`limit`, 1-100).
pub const PAGE_SIZE: usize = 25;
/// Activity entries per page on a user's page.
const ACTIVITY_PAGE: i32 = 20;
/// Audit entries per page.
const AUDIT_PAGE: usize = 25;

// ---- who is at the console ------------------------------------------------------------------

/// The member of staff at the console, if their role allows `action`; else the answer to give:
/// to anyone who is not staff (signed out, a plain account, one not activated) the site's plain
/// 404 page, as for a path that does not exist (the console is not advertised); to staff whose
/// role does not allow the action, a 403 page.
fn staff(app: &App, headers: &HeaderMap, visitor: &mut Visitor, action: Action) -> Result<Principal, Box<Response>> {
    let Some(p) = visitor.principal.clone().filter(|p| p.user.email_verified && Action::Read.allowed_for(p.user.role)) else {
        return Err(Box::new(super::not_found_for(app, headers, visitor)));
    };
    if !action.allowed_for(p.user.role) {
        return Err(Box::new(error_page(visitor, &Error::Forbidden).into_response()));
    }
    Ok(p)
}

/// [`staff`], and the user id of the path (a malformed one: the 404 page).
fn on_user(
    app: &App,
    headers: &HeaderMap,
    visitor: &mut Visitor,
    action: Action,
    id: Result<Path<String>, PathRejection>,
) -> Result<(Principal, String), Box<Response>> {
    let p = staff(app, headers, visitor, action)?;
    match id {
        Ok(Path(id)) => Ok((p, id)),
        Err(_) => Err(Box::new(error_page(visitor, &Error::UserNotFound).into_response())),
    }
}

/// What the console layout (`admin/layout.html`) shows around a page: the heading, the
/// console's nav (only what the viewer's role may use), the notice of an action just done.
struct Console {
    title: String,
    nav: Vec<NavItem>,
    notice: Option<String>,
}

impl Console {
    fn new(c: &Chrome, p: &Principal, here: &str, title: String, notice: Option<String>) -> Self {
        const ITEMS: [(&str, &str, Action); 3] = [
            ("/admin", "admin-users", Action::Read),
            ("/admin/users/new", "admin-new-user", Action::Create),
            ("/admin/audit", "admin-audit", Action::Audit),
        ];
        let nav = ITEMS
            .iter()
            .filter(|(_, _, action)| action.allowed_for(p.user.role))
            .map(|(href, label, _)| NavItem { href, label: c.t(label), current: *href == here })
            .collect();
        Self { title, nav, notice }
    }
}

/// The text of an error on a console page: a rule that refused the action in the page's words,
/// anything else as the other pages say it.
fn refusal(lang: Lang, error: &Error) -> String {
    let id = match error {
        Error::Refused(svc::LAST_ADMIN) => "admin-refused-last-admin",
        Error::Refused(svc::ONLY_ADMINS_CHANGE_ROLES) => "admin-refused-only-admins-change-roles",
        Error::Refused(svc::NOT_YOUR_OWN_ROLE) => "admin-refused-own-role",
        Error::Refused(svc::NOT_BAN_YOURSELF) => "admin-refused-ban-yourself",
        Error::Refused(svc::NOT_UNBAN_YOURSELF) => "admin-refused-unban-yourself",
        Error::Refused(svc::MODERATORS_ON_USERS_ONLY) => "admin-refused-moderators-users-only",
        Error::Refused(svc::NOT_DELETE_YOURSELF) => "admin-refused-delete-yourself",
        other => return error_message(lang, other),
    };
    i18n::text(lang, id)
}

/// A form after `error`, with a refusal in the console's words.
fn failed(form: FormState, lang: Lang, error: &Error) -> FormState {
    let mut form = form.failed(lang, error);
    if matches!(error, Error::Refused(_)) {
        form.alert = Some(refusal(lang, error));
    }
    form
}

/// The parameters of a page's address; an empty value counts as absent (a form's "any").
struct Params(Vec<(String, String)>);

impl Params {
    fn of(raw: Option<&str>) -> Self {
        Self(url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
    }
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The notice for `?done=<what>` (only the ones this module sends).
fn notice(c: &Chrome, params: &Params) -> Option<String> {
    let id = match params.get("done")? {
        "saved" => "admin-done-saved",
        "role" => "admin-done-role",
        "banned" => "admin-done-banned",
        "unbanned" => "admin-done-unbanned",
        "deleted" => "admin-done-deleted",
        "restored" => "admin-done-restored",
        "created" => "admin-done-created",
        _ => return None,
    };
    Some(c.t(id))
}

fn role_label(c: &Chrome, role: Role) -> String {
    c.t(&format!("role-{}", role.as_str()))
}

fn role_options(c: &Chrome) -> Vec<(&'static str, String)> {
    Role::ALL.iter().map(|r| (r.as_str(), role_label(c, *r))).collect()
}

/// A user's status in words, with the ban's end while banned.
fn status_text(c: &Chrome, status: UserStatus, user: &User) -> String {
    let mut text = c.t(&format!("status-{}", status.as_str()));
    if status == UserStatus::Banned {
        let end = match user.banned_until.flatten() {
            Some(until) => c.t1("admin-banned-until", "until", &When::at(until).text),
            None => c.t("admin-banned-forever"),
        };
        text.push(' ');
        text.push_str(&end);
    }
    text
}

// ---- the users table ------------------------------------------------------------------------

struct UserRow {
    id: String,
    username: String,
    email: String,
    name: String,
    role: String,
    status: String,
    /// `active`, `banned`, … (a class for the status' colour).
    status_kind: &'static str,
    rating: i64,
    created: When,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    c: Chrome,
    s: Console,
    form: FormState,
    roles: Vec<(&'static str, String)>,
    statuses: Vec<(&'static str, String)>,
    sorts: Vec<(&'static str, String)>,
    orders: Vec<(&'static str, String)>,
    limits: Vec<(&'static str, String)>,
    rows: Vec<UserRow>,
    /// "25 users on this page."; none when the filters were refused.
    on_page: Option<String>,
    /// "Admins in good standing: 2." (one read; the one count that is cheap).
    admins: Option<String>,
    previous: Option<String>,
    next: Option<String>,
    first: Option<String>,
}

/// The filter form's fields, as the address gives them.
const FILTERS: [&str; 6] = ["q", "role", "status", "sort", "order", "limit"];

fn filter_options(c: &Chrome) -> [Vec<(&'static str, String)>; 5] {
    let any = || ("", c.t("admin-any"));
    let roles = std::iter::once(any()).chain(role_options(c)).collect();
    let statuses = std::iter::once(any())
        .chain(
            [UserStatus::Active, UserStatus::Unverified, UserStatus::Banned, UserStatus::PendingDeletion, UserStatus::Deleted]
                .map(|s| (s.as_str(), c.t(&format!("status-{}", s.as_str())))),
        )
        .collect();
    let sorts = [
        ("", "admin-sort-default"),
        ("createdAt", "admin-sort-createdAt"),
        ("username", "admin-sort-username"),
        ("rating", "admin-sort-rating"),
    ]
    .map(|(v, l)| (v, c.t(l)))
    .to_vec();
    let orders = [("", "admin-order-default"), ("asc", "admin-order-asc"), ("desc", "admin-order-desc")].map(|(v, l)| (v, c.t(l))).to_vec();
    let limits = ["10", "25", "50", "100"].map(|v| (v, v.to_owned())).to_vec();
    [roles, statuses, sorts, orders, limits]
}

/// The address of the same list with `extra` (a cursor), from the request as the service read
/// it (so every link carries the filters and the order in force).
fn list_link(request: &svc::ListRequest, extra: Option<(&str, &str)>) -> String {
    let query = &request.query;
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    if let Some(q) = &query.q {
        out.append_pair("q", q);
    }
    if let Some(role) = query.role {
        out.append_pair("role", role.as_str());
    }
    if let Some(status) = query.status {
        out.append_pair("status", status.as_str());
    }
    out.append_pair("sort", query.sort.as_str());
    out.append_pair("order", if query.descending { "desc" } else { "asc" });
    out.append_pair("limit", &request.limit.to_string());
    if let Some((name, value)) = extra {
        out.append_pair(name, value);
    }
    format!("/admin?{}", out.finish())
}

async fn users_page(State(app): State<Arc<App>>, headers: HeaderMap, mut visitor: Visitor, RawQuery(raw): RawQuery) -> Response {
    let p = match staff(&app, &headers, &mut visitor, Action::Read) {
        Ok(p) => p,
        Err(answer) => return *answer,
    };
    let params = Params::of(raw.as_deref());
    let form = FILTERS.iter().fold(FormState::new(), |f, name| match (*name, params.get(name)) {
        // The page size select shows the size in force.
        ("limit", None) => f.keep(name, &PAGE_SIZE.to_string()),
        (_, value) => f.keep(name, value.unwrap_or_default()),
    });
    // The console starts with the newest accounts (the API's default order is the oldest first);
    // a search is ordered by name.
    let default_order = (params.get("q").is_none() && params.get("sort").is_none()).then_some("desc");
    let input = svc::ListInput {
        limit: params.get("limit"),
        cursor: params.get("cursor"),
        before: params.get("before"),
        page: None,
        sort: params.get("sort"),
        order: params.get("order").or(default_order),
        role: params.get("role"),
        status: params.get("status"),
        q: params.get("q"),
    };
    let c = Chrome::of(&visitor);
    let [roles, statuses, sorts, orders, limits] = filter_options(&c);
    let s = Console::new(&c, &p, "/admin", c.t("admin-users-title"), None);
    let mut page = UsersPage {
        form: FormState::new(),
        roles,
        statuses,
        sorts,
        orders,
        limits,
        rows: Vec::new(),
        on_page: None,
        admins: None,
        previous: None,
        next: None,
        first: None,
        s,
        c,
    };
    let request = match svc::ListRequest::parse(input, PAGE_SIZE) {
        Ok(r) => r,
        Err(e) => return users_failed(&mut visitor, page, form, &e, None),
    };
    let first = list_link(&request, None);
    let paged = request.cursor.is_some() || request.before.is_some();
    let (listed, admins) = futures::join!(svc::list_users(&app, request.clone()), svc::admin_count(&app));
    let listed = match listed {
        Ok(l) => l,
        Err(e) => return users_failed(&mut visitor, page, form, &e, Some(first)),
    };
    let now = app.now();
    page.rows = listed
        .users
        .iter()
        .map(|u| {
            let status = u.status(now);
            UserRow {
                id: u.id.to_string(),
                username: u.username.as_str().to_owned(),
                email: u.email.as_str().to_owned(),
                name: u.name.clone().unwrap_or_default(),
                role: role_label(&page.c, u.role),
                status: status_text(&page.c, status, u),
                status_kind: status.as_str(),
                rating: u.rating,
                created: When::at(u.created_at),
            }
        })
        .collect();
    page.on_page = Some(i18n::text_with(visitor.lang, "admin-on-page", &[("count", &page.rows.len().to_string())]));
    page.admins = admins.ok().map(|n| page.c.t1("admin-admin-count", "count", &n.to_string()));
    page.next = listed.next.map(|n| list_link(&request, Some(("cursor", &n))));
    page.previous = listed.previous.map(|b| list_link(&request, Some(("before", &b))));
    page.first = paged.then_some(first);
    page.form = form;
    Page::render(&mut visitor, &page).into_response()
}

/// The table's page when the filters (or the cursor) were refused: the form with what was
/// wrong next to its field; a cursor that does not fit the filters says so, with a link to the
/// first page.
fn users_failed(visitor: &mut Visitor, mut page: UsersPage, form: FormState, error: &Error, first: Option<String>) -> Response {
    let lang = visitor.lang;
    let mut form = failed(form, lang, error);
    if let Error::Validation(fields) = error
        && fields.iter().any(|f| f.field == "cursor" || f.field == "before")
    {
        form.alert = Some(i18n::text(lang, "admin-cursor-invalid"));
        page.first = first.or_else(|| Some("/admin".to_owned()));
    }
    page.form = form;
    Page::render_status(visitor, error.status(), &page).into_response()
}

// ---- one user ---------------------------------------------------------------------------------

/// A user as the console shows them.
struct UserView {
    id: String,
    username: String,
    email: String,
    name: String,
    role: String,
    status: String,
    status_kind: &'static str,
    ban_reason: Option<String>,
    /// "Deletion was asked for on …; removed for good on … unless restored."
    deletion: Option<String>,
    deleted_by: Option<String>,
    plan: String,
    rating: i64,
    email_verified: bool,
    mfa_enabled: bool,
    created: When,
    updated: When,
    last_login: Option<When>,
    sessions: usize,
    /// The user is staff: their own actions are in the audit trail.
    acts: bool,
}

struct KeyRow {
    name: String,
    prefix: String,
    scopes: String,
    status: String,
    created: When,
    last_used: Option<When>,
    expires: Option<When>,
}

struct ActivityRow {
    at: When,
    kind: String,
    actor: String,
    ip: String,
    user_agent: String,
    detail: String,
}

/// Which actions the viewer's role allows on this user (SPEC §3.4): the page offers only these,
/// and the server refuses the others anyway.
#[derive(Default)]
struct Controls {
    edit: bool,
    role: bool,
    ban: bool,
    unban: bool,
    delete: bool,
    restore: bool,
}

impl Controls {
    fn of(viewer: &Principal, target: &User) -> Self {
        let role = viewer.user.role;
        let myself = viewer.user.id == target.id;
        let moderate = Action::Moderate.allowed_for(role) && svc::may_moderate(viewer, target, svc::NOT_BAN_YOURSELF).is_ok();
        let scheduled = target.deletion_scheduled_at.is_some();
        Self {
            edit: Action::Change.allowed_for(role),
            role: Action::Change.allowed_for(role) && !myself,
            ban: moderate,
            unban: moderate && target.banned_until.is_some(),
            delete: Action::Delete.allowed_for(role) && !myself && !scheduled,
            restore: Action::Restore.allowed_for(role) && scheduled,
        }
    }

    fn any(&self) -> bool {
        self.edit || self.role || self.ban || self.unban || self.delete || self.restore
    }
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    c: Chrome,
    s: Console,
    u: UserView,
    keys: Vec<KeyRow>,
    activity: Vec<ActivityRow>,
    more_activity: Option<String>,
    can: Controls,
    edit: FormState,
    role: FormState,
    ban: FormState,
    roles: Vec<(&'static str, String)>,
    /// The earliest end a ban may have (now), for the input's `min`.
    ban_min: String,
    delete_intro: String,
    /// The user is staff and the viewer may read the audit trail: link their actions.
    audit_link: bool,
    /// Why an action without a form of its own (unban, delete, restore) was refused.
    alert: Option<String>,
}

/// The user page's forms; the one a failed post came from shows what was sent and why not
/// (an action without fields of its own, its refusal at the top of the page).
enum Failed {
    Nothing,
    Edit(FormState),
    Role(FormState),
    Ban(FormState),
    Alert(String),
}

fn edit_form(u: &User) -> FormState {
    let form = FormState::new()
        .keep("username", u.username.as_str())
        .keep("email", u.email.as_str())
        .keep("full_name", u.name.as_deref().unwrap_or_default())
        .keep("rating", &u.rating.to_string());
    if u.email_verified { form.keep("email_verified", "on") } else { form }
}

/// `2036-01-02T03:04` (UTC), as a `datetime-local` input shows it.
fn local_datetime(epoch: i64) -> String {
    rfc3339(epoch).chars().take(16).collect()
}

/// A `datetime-local` value (`2036-01-02T03:04`, seconds optional), read as UTC: the time in
/// seconds, or `None` for anything else (any string, never a panic).
pub fn parse_local_datetime(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if raw.len() > 19 || !raw.is_ascii() {
        return None;
    }
    let number = |part: &str, len: usize| -> Option<u16> {
        (part.len() == len && part.bytes().all(|b| b.is_ascii_digit())).then(|| part.parse().ok()).flatten()
    };
    let (date, time) = raw.split_once('T')?;
    let mut d = date.split('-');
    let (year, month, day) = (number(d.next()?, 4)?, number(d.next()?, 2)?, number(d.next()?, 2)?);
    let mut t = time.split(':');
    let (hour, minute) = (number(t.next()?, 2)?, number(t.next()?, 2)?);
    let second = match t.next() {
        Some(s) => number(s, 2)?,
        None => 0,
    };
    if d.next().is_some() || t.next().is_some() {
        return None;
    }
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = time::Date::from_calendar_date(i32::from(year), month, u8::try_from(day).ok()?).ok()?;
    let clock = time::Time::from_hms(u8::try_from(hour).ok()?, u8::try_from(minute).ok()?, u8::try_from(second).ok()?).ok()?;
    Some(time::PrimitiveDateTime::new(date, clock).assume_utc().unix_timestamp())
}

/// The user's page: the overview service (one read of the user, then sessions, keys and
/// activity in parallel), the forms the viewer may use, and `failed`'s errors.
#[allow(clippy::too_many_arguments)]
async fn user_of(
    app: &App,
    visitor: &mut Visitor,
    p: &Principal,
    id: &str,
    status: StatusCode,
    failed_form: Failed,
    notice_text: Option<String>,
    activity_after: Option<&str>,
) -> Response {
    let overview = match svc::user_overview(app, id, activity_after, ACTIVITY_PAGE).await {
        Ok(o) => o,
        Err(e) => return error_page(visitor, &e).into_response(),
    };
    let now = app.now();
    let c = Chrome::of(visitor);
    let u = &overview.user;
    let user_status = u.status(now);
    let deletion = match (u.deletion_scheduled_at, u.purge_at) {
        (Some(at), Some(purge)) => {
            Some(i18n::text_with(c.lang, "admin-deletion-scheduled", &[("date", &When::at(at).text), ("purge", &When::at(purge).text)]))
        }
        _ => None,
    };
    let view = UserView {
        id: u.id.to_string(),
        username: u.username.as_str().to_owned(),
        email: u.email.as_str().to_owned(),
        name: u.name.clone().unwrap_or_default(),
        role: role_label(&c, u.role),
        status: status_text(&c, user_status, u),
        status_kind: user_status.as_str(),
        ban_reason: u.ban_reason.clone().filter(|_| user_status == UserStatus::Banned),
        deletion,
        deleted_by: u.deleted_by.clone().filter(|_| u.deletion_scheduled_at.is_some()),
        plan: u.effective_plan(now).as_str().to_owned(),
        rating: u.rating,
        email_verified: u.email_verified,
        mfa_enabled: u.mfa_enabled,
        created: When::at(u.created_at),
        updated: When::at(u.updated_at),
        last_login: u.last_login_at.map(When::at),
        sessions: overview.sessions,
        acts: Action::Read.allowed_for(u.role),
    };
    let keys = overview
        .keys
        .iter()
        .map(|k| KeyRow {
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            scopes: k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            status: c.t(&format!("key-status-{}", k.status_at(now).as_str())),
            created: When::at(k.created_at),
            last_used: k.last_used_at.map(When::at),
            expires: k.expires_at.map(When::at),
        })
        .collect();
    let activity = overview
        .activity
        .into_iter()
        .map(|a| ActivityRow {
            at: When::at(a.at),
            kind: a.kind,
            actor: a.actor.unwrap_or_default(),
            ip: a.ip,
            user_agent: a.user_agent,
            detail: a.detail.unwrap_or_default(),
        })
        .collect();
    let more_activity = overview.more_activity.map(|n| format!("/admin/users/{}?activity={}", view.id, encode(&n)));
    let week = now + 7 * 86_400;
    let ban_form = FormState::new().keep("ban_length", "until").keep("banned_until", &local_datetime(week));
    let (mut edit, mut role, mut ban) = (edit_form(u), FormState::new().keep("role", u.role.as_str()), ban_form);
    let can = Controls::of(p, u);
    let mut alert = None;
    // A refused post of a form the page does not offer (a forged one) says why at the top.
    match failed_form {
        Failed::Nothing => {}
        Failed::Edit(f) if can.edit => edit = f,
        Failed::Role(f) if can.role => role = f,
        Failed::Ban(f) if can.ban => ban = f,
        Failed::Edit(f) | Failed::Role(f) | Failed::Ban(f) => alert = f.alert,
        Failed::Alert(text) => alert = Some(text),
    }
    let delete_intro = c.t1("admin-delete-intro", "days", &app.config.deletion_grace_days.to_string());
    let title = c.t1("admin-user-title", "username", u.username.as_str());
    let page = UserPage {
        s: Console::new(&c, p, "", title, notice_text),
        can,
        keys,
        activity,
        more_activity,
        edit,
        role,
        ban,
        roles: role_options(&c),
        ban_min: local_datetime(now),
        delete_intro,
        audit_link: view.acts && Action::Audit.allowed_for(p.user.role),
        alert,
        u: view,
        c,
    };
    Page::render_status(visitor, status, &page).into_response()
}

async fn user_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    mut visitor: Visitor,
    RawQuery(raw): RawQuery,
) -> Response {
    let (p, id) = match on_user(&app, &headers, &mut visitor, Action::Read, id) {
        Ok(x) => x,
        Err(answer) => return *answer,
    };
    let params = Params::of(raw.as_deref());
    let cursor = match parse_activity_cursor(params.get("activity")) {
        Ok(c) => c,
        Err(e) => return error_page(&mut visitor, &Error::Validation(vec![e])).into_response(),
    };
    let text = notice(&Chrome::of(&visitor), &params);
    user_of(&app, &mut visitor, &p, &id, StatusCode::OK, Failed::Nothing, text, cursor).await
}

/// After a change: back to the user's page with its notice.
fn done(visitor: &mut Visitor, id: &str, what: &str) -> Response {
    Page::redirect(visitor, &format!("/admin/users/{}?done={what}", encode(id))).into_response()
}

/// The user's page again after a refused post: the form it came from with the errors, and the
/// error's status (an unknown user: the 404 page).
async fn user_failed(
    app: &App,
    visitor: &mut Visitor,
    p: &Principal,
    id: &str,
    error: &Error,
    form: impl FnOnce(FormState) -> Failed,
    kept: FormState,
) -> Response {
    if matches!(error, Error::UserNotFound) {
        return error_page(visitor, error).into_response();
    }
    let state = failed(kept, visitor.lang, error);
    user_of(app, visitor, p, id, error.status(), form(state), None, None).await
}

/// [`user_failed`] for an action without fields: the refusal at the top of the page.
async fn user_refused(app: &App, visitor: &mut Visitor, p: &Principal, id: &str, error: &Error) -> Response {
    let text = refusal(visitor.lang, error);
    user_failed(app, visitor, p, id, error, |_| Failed::Alert(text), FormState::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EditForm {
    username: String,
    email: String,
    full_name: String,
    rating: String,
    email_verified: String,
}

async fn edit_submit(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    Submitted(mut visitor, form): Submitted<EditForm>,
) -> Response {
    let (p, id) = match on_user(&app, &headers, &mut visitor, Action::Change, id) {
        Ok(x) => x,
        Err(answer) => return *answer,
    };
    let kept = FormState::new()
        .keep("username", &form.username)
        .keep("email", &form.email)
        .keep("full_name", &form.full_name)
        .keep("rating", &form.rating)
        .keep("email_verified", &form.email_verified);
    let result = match form.rating.trim().parse::<i64>() {
        Err(_) => Err(Error::Validation(vec![FieldError::new("rating", "must be a whole number")])),
        Ok(rating) => {
            let name = form.full_name.trim();
            let changes = svc::UserChanges {
                username: Some(form.username.trim().to_owned()),
                email: Some(form.email.trim().to_owned()),
                full_name: Some((!name.is_empty()).then(|| name.to_owned())),
                rating: Some(rating),
                email_verified: Some(!form.email_verified.is_empty()),
                ..Default::default()
            };
            let actor = Actor::from_principal(&p, &visitor.client);
            svc::update_user(&app, &p, &actor, &id, changes).await.map(|_| ())
        }
    };
    match result {
        Ok(()) => done(&mut visitor, &id, "saved"),
        Err(e) => user_failed(&app, &mut visitor, &p, &id, &e, Failed::Edit, kept).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoleForm {
    role: String,
}

async fn role_submit(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    Submitted(mut visitor, form): Submitted<RoleForm>,
) -> Response {
    let (p, id) = match on_user(&app, &headers, &mut visitor, Action::Change, id) {
        Ok(x) => x,
        Err(answer) => return *answer,
    };
    let actor = Actor::from_principal(&p, &visitor.client);
    let changes = svc::UserChanges { role: Some(form.role.clone()), ..Default::default() };
    match svc::update_user(&app, &p, &actor, &id, changes).await {
        Ok(_) => done(&mut visitor, &id, "role"),
        Err(e) => user_failed(&app, &mut visitor, &p, &id, &e, Failed::Role, FormState::new().keep("role", &form.role)).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BanForm {
    ban_reason: String,
    /// `until` or `permanent`.
    ban_length: String,
    banned_until: String,
    /// `yes` once the confirmation page was answered.
    confirm: String,
}

/// A page that asks before a destructive action: what will happen, and a form that posts the
/// same fields again with `confirm=yes` (or a link back).
#[derive(Template)]
#[template(path = "admin/confirm.html")]
struct ConfirmPage {
    c: Chrome,
    s: Console,
    paragraphs: Vec<String>,
    action: String,
    fields: Vec<(&'static str, String)>,
    button: String,
    cancel: String,
}

async fn ban_submit(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    Submitted(mut visitor, form): Submitted<BanForm>,
) -> Response {
    let (p, id) = match on_user(&app, &headers, &mut visitor, Action::Moderate, id) {
        Ok(x) => x,
        Err(answer) => return *answer,
    };
    let kept =
        FormState::new().keep("ban_reason", &form.ban_reason).keep("ban_length", &form.ban_length).keep("banned_until", &form.banned_until);
    let permanent = form.ban_length == "permanent";
    let until = if permanent {
        Ok(None)
    } else if form.banned_until.trim().is_empty() {
        Err(Error::Validation(vec![FieldError::new("bannedUntil", "is required")]))
    } else {
        parse_local_datetime(&form.banned_until)
            .map(|t| Some(rfc3339(t)))
            .ok_or_else(|| Error::Validation(vec![FieldError::new("bannedUntil", "must be a date and time")]))
    };
    let request = until.and_then(|u| svc::BanRequest::parse(u.as_deref(), Some(&form.ban_reason), app.now()));
    let request = match request {
        Ok(r) => r,
        Err(e) => return user_failed(&app, &mut visitor, &p, &id, &e, Failed::Ban, kept).await,
    };
    if form.confirm != "yes" {
        // Ask only about a ban the rules allow.
        let target = svc::get_user(&app, &id).await.and_then(|t| svc::may_moderate(&p, &t, svc::NOT_BAN_YOURSELF).map(|()| t));
        let target = match target {
            Ok(t) => t,
            Err(e) => return user_failed(&app, &mut visitor, &p, &id, &e, Failed::Ban, kept).await,
        };
        let c = Chrome::of(&visitor);
        let name = target.username.as_str();
        let mut paragraphs = vec![match request.until {
            Some(t) => i18n::text_with(c.lang, "admin-confirm-ban-until", &[("username", name), ("until", &When::at(t).text)]),
            None => c.t1("admin-confirm-ban-forever", "username", name),
        }];
        paragraphs.push(c.t1("admin-confirm-ban-reason", "reason", &request.reason));
        paragraphs.push(c.t("admin-confirm-ban-sessions"));
        let title = c.t1("admin-confirm-ban-title", "username", name);
        let page = ConfirmPage {
            s: Console::new(&c, &p, "", title, None),
            paragraphs,
            action: format!("/admin/users/{}/ban", target.id),
            fields: vec![
                ("ban_reason", request.reason.clone()),
                ("ban_length", if permanent { "permanent" } else { "until" }.to_owned()),
                ("banned_until", form.banned_until.clone()),
                ("confirm", "yes".to_owned()),
            ],
            button: c.t1("admin-confirm-ban-button", "username", name),
            cancel: format!("/admin/users/{}", target.id),
            c,
        };
        return Page::render(&mut visitor, &page).into_response();
    }
    let actor = Actor::from_principal(&p, &visitor.client);
    match svc::ban(&app, &p, &actor, &id, request).await {
        Ok(_) => done(&mut visitor, &id, "banned"),
        Err(e) => user_failed(&app, &mut visitor, &p, &id, &e, Failed::Ban, kept).await,
    }
}

#[derive(Deserialize, Default)]
struct Empty {}

async fn unban_submit(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    Submitted(mut visitor, Empty {}): Submitted<Empty>,
) -> Response {
    let (p, id) = match on_user(&app, &headers, &mut visitor, Action::Moderate, id) {
        Ok(x) => x,
        Err(answer) => return *answer,
    };
    let actor = Actor::from_principal(&p, &visitor.client);
    match svc::unban(&app, &p, &actor, &id).await {
        Ok(()) => done(&mut visitor, &id, "unbanned"),
        Err(e) => user_refused(&app, &mut visitor, &p, &id, &e).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfirmForm {
    confirm: String,
}

async fn delete_submit(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    Submitted(mut visitor, form): Submitted<ConfirmForm>,
) -> Response {
    let (p, id) = match on_user(&app, &headers, &mut visitor, Action::Delete, id) {
        Ok(x) => x,
        Err(answer) => return *answer,
    };
    if form.confirm != "yes" {
        let target = match svc::get_user(&app, &id).await {
            Ok(t) if t.id == p.user.id => Err(Error::Refused(svc::NOT_DELETE_YOURSELF)),
            other => other,
        };
        let target = match target {
            Ok(t) => t,
            Err(e) => return user_refused(&app, &mut visitor, &p, &id, &e).await,
        };
        let c = Chrome::of(&visitor);
        let name = target.username.as_str();
        let days = app.config.deletion_grace_days;
        let purge = When::at(app.now() + i64::from(days) * 86_400).text;
        let text =
            i18n::text_with(c.lang, "admin-confirm-delete-text", &[("username", name), ("date", &purge), ("days", &days.to_string())]);
        let title = c.t1("admin-confirm-delete-title", "username", name);
        let page = ConfirmPage {
            s: Console::new(&c, &p, "", title, None),
            paragraphs: vec![text],
            action: format!("/admin/users/{}/delete", target.id),
            fields: vec![("confirm", "yes".to_owned())],
            button: c.t1("admin-confirm-delete-button", "username", name),
            cancel: format!("/admin/users/{}", target.id),
            c,
        };
        return Page::render(&mut visitor, &page).into_response();
    }
    let actor = Actor::from_principal(&p, &visitor.client);
    match svc::delete_user(&app, &p, &actor, &id).await {
        Ok(_) => done(&mut visitor, &id, "deleted"),
        Err(e) => user_refused(&app, &mut visitor, &p, &id, &e).await,
    }
}

async fn restore_submit(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    Submitted(mut visitor, Empty {}): Submitted<Empty>,
) -> Response {
    let (p, id) = match on_user(&app, &headers, &mut visitor, Action::Restore, id) {
        Ok(x) => x,
        Err(answer) => return *answer,
    };
    let actor = Actor::from_principal(&p, &visitor.client);
    match svc::restore_user(&app, &actor, &id).await {
        Ok(_) => done(&mut visitor, &id, "restored"),
        Err(e) => user_refused(&app, &mut visitor, &p, &id, &e).await,
    }
}

// ---- creating a user ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/new_user.html")]
struct NewUserPage {
    c: Chrome,
    s: Console,
    form: FormState,
    roles: Vec<(&'static str, String)>,
}

fn new_user_of(visitor: &mut Visitor, p: &Principal, status: StatusCode, form: FormState) -> Response {
    let c = Chrome::of(visitor);
    let page = NewUserPage { s: Console::new(&c, p, "/admin/users/new", c.t("admin-new-title"), None), roles: role_options(&c), form, c };
    Page::render_status(visitor, status, &page).into_response()
}

async fn new_user_page(State(app): State<Arc<App>>, headers: HeaderMap, mut visitor: Visitor) -> Response {
    let p = match staff(&app, &headers, &mut visitor, Action::Create) {
        Ok(p) => p,
        Err(answer) => return *answer,
    };
    new_user_of(&mut visitor, &p, StatusCode::OK, FormState::new().keep("role", "user").keep("email_verified", "on"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewUserForm {
    username: String,
    email: String,
    password: String,
    role: String,
    email_verified: String,
}

async fn new_user_submit(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Submitted(mut visitor, form): Submitted<NewUserForm>,
) -> Response {
    let p = match staff(&app, &headers, &mut visitor, Action::Create) {
        Ok(p) => p,
        Err(answer) => return *answer,
    };
    let actor = Actor::from_principal(&p, &visitor.client);
    let input = svc::NewAccount {
        username: form.username.trim().to_owned(),
        email: form.email.trim().to_owned(),
        password: form.password,
        role: form.role.clone(),
        email_verified: !form.email_verified.is_empty(),
    };
    match svc::create_user(&app, &actor, input).await {
        Ok(user) => done(&mut visitor, user.id.as_str(), "created"),
        Err(e) => {
            let kept = FormState::new()
                .keep("username", &form.username)
                .keep("email", &form.email)
                .keep("role", &form.role)
                .keep("email_verified", &form.email_verified);
            let state = failed(kept, visitor.lang, &e);
            new_user_of(&mut visitor, &p, e.status(), state)
        }
    }
}

// ---- the audit trail ------------------------------------------------------------------------

struct AuditRow {
    at: When,
    actor: String,
    /// The actor is an account (not the `cli` bootstrap): its entries can be filtered.
    actor_is_user: bool,
    actor_role: String,
    action: String,
    target: String,
    detail: String,
    ip: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    c: Chrome,
    s: Console,
    form: FormState,
    rows: Vec<AuditRow>,
    /// The next (older) page.
    more: Option<String>,
    /// At the end of a month: `(href, label)` of the month before.
    older_month: Option<(String, String)>,
    /// The page is filtered or paged: a link back to the newest entries.
    filtered: bool,
}

/// `YYYY-MM` of the month before `month`.
fn month_before(month: &str) -> Option<String> {
    let (year, m) = svc::parse_month(month)?;
    let (year, m) = if m == 1 { (year.checked_sub(1)?, 12) } else { (year, m - 1) };
    Some(format!("{year:04}-{m:02}"))
}

async fn audit_page(State(app): State<Arc<App>>, headers: HeaderMap, mut visitor: Visitor, RawQuery(raw): RawQuery) -> Response {
    let p = match staff(&app, &headers, &mut visitor, Action::Audit) {
        Ok(p) => p,
        Err(answer) => return *answer,
    };
    let params = Params::of(raw.as_deref());
    let (actor, month, cursor) = (params.get("actor").map(str::trim), params.get("month").map(str::trim), params.get("cursor"));
    let form = FormState::new().keep("actor", actor.unwrap_or_default()).keep("month", month.unwrap_or_default());
    let c = Chrome::of(&visitor);
    let mut page = AuditPage {
        s: Console::new(&c, &p, "/admin/audit", c.t("admin-audit-title"), None),
        form: FormState::new(),
        rows: Vec::new(),
        more: None,
        older_month: None,
        filtered: actor.is_some() || month.is_some() || cursor.is_some(),
        c,
    };
    let limit = AUDIT_PAGE.to_string();
    let request = svc::AuditRequest::parse(actor, month, cursor, Some(&limit), AUDIT_PAGE);
    let result = match request {
        Ok(r) => svc::audit_trail(&app, r.actor.as_deref(), r.month.as_deref(), r.cursor.as_deref(), i32::try_from(r.limit).unwrap_or(25))
            .await
            .map(|listed| (r, listed)),
        Err(e) => Err(e),
    };
    let (request, (entries, next)) = match result {
        Ok(r) => r,
        Err(e) => {
            page.form = failed(form, visitor.lang, &e);
            return Page::render_status(&mut visitor, e.status(), &page).into_response();
        }
    };
    page.rows = entries
        .into_iter()
        .map(|a| AuditRow {
            at: When::at(a.at),
            actor_is_user: a.actor != "cli",
            actor: a.actor,
            actor_role: a.actor_role,
            action: a.action,
            target: a.target,
            detail: a.detail.unwrap_or_default(),
            ip: a.ip,
        })
        .collect();
    let mut link = url::form_urlencoded::Serializer::new(String::new());
    if let Some(a) = &request.actor {
        link.append_pair("actor", a);
    }
    if let Some(m) = &request.month {
        link.append_pair("month", m);
    }
    page.more = next.map(|n| {
        link.append_pair("cursor", &n);
        format!("/admin/audit?{}", link.finish())
    });
    if page.more.is_none() && request.actor.is_none() {
        let shown = request.month.clone().unwrap_or_else(|| svc::current_month(&app));
        page.older_month = month_before(&shown).map(|m| {
            let label = page.c.t1("admin-audit-month-before", "month", &m);
            (format!("/admin/audit?month={m}"), label)
        });
    }
    page.form = form;
    Page::render(&mut visitor, &page).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_datetime_local_value_is_read_as_utc() {
        assert_eq!(parse_local_datetime("2036-01-02T03:04"), Some(2_082_855_840));
        assert_eq!(parse_local_datetime("2036-01-02T03:04:05"), Some(2_082_855_845));
        assert_eq!(local_datetime(2_082_855_840), "2036-01-02T03:04");
        for bad in [
            "",
            "2036-01-02",
            "2036-13-02T03:04",
            "2036-02-30T03:04",
            "2036-01-02T24:00",
            "2036-1-2T3:4",
            "2036-01-02T03:04Z",
            "+036-01-02T03:04",
            "٢٠٣٦-01-02T03:04",
        ] {
            assert_eq!(parse_local_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_month_before_january_is_december_of_the_year_before() {
        assert_eq!(month_before("2036-01").as_deref(), Some("2035-12"));
        assert_eq!(month_before("2036-10").as_deref(), Some("2036-09"));
        assert_eq!(month_before("0000-01"), None);
        assert_eq!(month_before("2036-13"), None);
    }

    #[test]
    fn every_refusal_of_the_services_has_the_consoles_words() {
        for why in [
            svc::LAST_ADMIN,
            svc::ONLY_ADMINS_CHANGE_ROLES,
            svc::NOT_YOUR_OWN_ROLE,
            svc::NOT_BAN_YOURSELF,
            svc::NOT_UNBAN_YOURSELF,
            svc::MODERATORS_ON_USERS_ONLY,
            svc::NOT_DELETE_YOURSELF,
        ] {
            for lang in Lang::ALL {
                let text = refusal(lang, &Error::Refused(why));
                assert_ne!(text, error_message(lang, &Error::Forbidden), "{why} has no text of its own");
                assert!(!text.starts_with("admin-"), "{why}: {text}");
            }
        }
    }

    #[test]
    fn only_known_notices_are_shown() {
        let c = Chrome::anonymous(Lang::En);
        assert!(notice(&c, &Params::of(Some("done=banned"))).is_some());
        assert!(notice(&c, &Params::of(Some("done=%3Cscript%3E"))).is_none());
        assert!(notice(&c, &Params::of(None)).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// Any string: a time or `None`, never a panic; what is accepted reads back the same.
        #[test]
        fn datetime_local_values_never_panic_and_round_trip(s in prop_oneof![any::<String>(), "[0-9T:\\-+ Z٣€]{0,22}", "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?"]) {
            if let Some(t) = parse_local_datetime(&s) {
                prop_assert_eq!(parse_local_datetime(&local_datetime(t)), Some(t - t.rem_euclid(60)));
            }
        }
    }
}
