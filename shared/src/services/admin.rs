//! Administration and moderation (SPEC §3.4): listing and reading users, creating and changing
//! them, bans, soft deletion and restore, and the rules of who may do what to whom.
//!
//! Route-level access (moderator or admin) is decided by the `admin` router; the rules that
//! depend on the target are here:
//! - a moderator bans and unbans only ordinary users (`user`, `donator`);
//! - nobody bans, deletes or changes the role of themselves; only admins change roles;
//! - the last admin in good standing can never be demoted, banned or deleted — enforced by the
//!   admin count item in the same transaction as the change, never by reading first.
//!
//! Every change writes an activity entry on the target (with the actor) and an admin audit
//! entry, in the same transaction as the change.
//!
//! Who may call what ([`Access`], [`Action`]) and the parsing of list and audit requests live
//! here too, so the JSON routes and the console's pages (`web::admin`) apply the same rules.

use super::{Principal, activity, events};
use crate::App;
use crate::clock::Clock;
use crate::domain::ClientInfo;
use crate::domain::{
    Activity, ActivityKind, Email, Event, PasswordPolicyInput, ProfileInput, ProfileUpdate, Rating, Role, SessionCutoff, User, UserId,
    UserStatus, Username,
};
use crate::domain::{ActivityRecord, AuditEntry, SortField, UserQuery};
use crate::error::{Error, FieldError, Result};
use crate::passwords::PasswordHasher;
use crate::store::{AdminChange, ChangeRefused, NewUser, ScheduledDeletion, Store, UserCursor};

pub const LAST_ADMIN: &str = "the last admin cannot be demoted, banned or deleted";
/// The other rules that refuse an action (`403 FORBIDDEN`, the message names the rule).
pub const ONLY_ADMINS_CHANGE_ROLES: &str = "only admins change roles";
pub const NOT_YOUR_OWN_ROLE: &str = "you cannot change your own role";
pub const NOT_BAN_YOURSELF: &str = "you cannot ban yourself";
pub const NOT_UNBAN_YOURSELF: &str = "you cannot unban yourself";
pub const MODERATORS_ON_USERS_ONLY: &str = "moderators may act on users and donators only";
pub const NOT_DELETE_YOURSELF: &str = "you cannot delete yourself here; use DELETE /api/users/me";

// ---- who may do what --------------------------------------------------------------------------

/// Who may use an admin route or console action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Moderators and admins.
    Moderator,
    /// Admins only.
    Admin,
}

impl Access {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::Moderator => matches!(role, Role::Moderator | Role::Admin),
            Access::Admin => role == Role::Admin,
        }
    }
}

/// What staff do to users, with the access level of the JSON route that does it (SPEC §3.4):
/// the console offers an action only to a role its level allows, and refuses it from anyone
/// else however the form was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `GET /users`, `GET /users/{id}`, `GET /users/{id}/activity`.
    Read,
    /// `POST /users`.
    Create,
    /// `PATCH /users/{id}` (any field; a role change is one).
    Change,
    /// `POST /users/{id}/ban`, `/unban`.
    Moderate,
    /// `DELETE /users/{id}`.
    Delete,
    /// `POST /users/{id}/restore`.
    Restore,
    /// `GET /audit`.
    Audit,
}

impl Action {
    pub const ALL: [Action; 7] =
        [Action::Read, Action::Create, Action::Change, Action::Moderate, Action::Delete, Action::Restore, Action::Audit];

    pub fn access(self) -> Access {
        match self {
            Action::Read | Action::Moderate => Access::Moderator,
            Action::Create | Action::Change | Action::Delete | Action::Restore | Action::Audit => Access::Admin,
        }
    }

    /// Whether `role` may take this action at all (the target's own rules come on top).
    pub fn allowed_for(self, role: Role) -> bool {
        self.access().allows(role)
    }
}

/// Who acts: an admin or moderator through the API, or the bootstrap command.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub role: String,
    pub client: ClientInfo,
}

impl Actor {
    pub fn from_principal(p: &Principal, client: &ClientInfo) -> Self {
        Self { id: p.user.id.to_string(), role: p.user.role.as_str().to_owned(), client: client.clone() }
    }

    /// The first-admin bootstrap command.
    pub fn cli() -> Self {
        Self { id: "cli".into(), role: "cli".into(), client: ClientInfo { ip: "local".into(), user_agent: "accounts-admin".into() } }
    }
}

fn audit(clock: &dyn Clock, actor: &Actor, action: &str, target: &UserId, detail: Option<String>) -> AuditEntry {
    audit_entry(clock, actor, action, target.as_str(), detail)
}

/// An audit entry of `actor` now; `target` is a user id, or what a run acted on (`users`).
pub(crate) fn audit_entry(clock: &dyn Clock, actor: &Actor, action: &str, target: &str, detail: Option<String>) -> AuditEntry {
    let now = clock.now();
    let id = crate::domain::new_ulid(now);
    AuditEntry {
        // The time of the entry is the time in its id, so the id alone locates the item.
        at: ulid::Ulid::from_string(&id).map(|u| (u.timestamp_ms() / 1000) as i64).unwrap_or(now.unix_timestamp()),
        id,
        actor: actor.id.clone(),
        actor_role: actor.role.clone(),
        action: action.to_owned(),
        target: target.to_string(),
        detail,
        ip: actor.client.ip.clone(),
    }
}

fn activity_by(app: &App, kind: ActivityKind, actor: &Actor, detail: Option<String>) -> Activity {
    let mut entry = activity::entry(app, kind, &actor.client, detail);
    entry.actor = Some(actor.id.clone());
    entry
}

fn refused(why: ChangeRefused) -> Error {
    match why {
        ChangeRefused::Stale => Error::Conflict,
        ChangeRefused::UsernameTaken => Error::UsernameTaken,
        ChangeRefused::EmailTaken => Error::EmailTaken,
        ChangeRefused::LastAdmin => Error::Refused(LAST_ADMIN),
    }
}

async fn target(app: &App, id: &str) -> Result<User> {
    let id = UserId::parse(id).ok_or(Error::UserNotFound)?;
    app.store.get_user(&id).await?.ok_or(Error::UserNotFound)
}

/// Writes one admin change (user, markers, admin count, activity, audit) or says why not.
async fn apply(app: &App, before: &User, after: &User, activity: &Activity, audit: &AuditEntry, events: &[Event]) -> Result<()> {
    app.store.apply_admin_change(&AdminChange { before, after, activity, audit, events }).await?.map_err(refused)
}

/// The lifecycle events of an admin's change from `before` to `after` (SPEC §3.11): a new
/// password, address, role or verification each has its kind; the other fields, `user.updated`.
fn change_events(app: &App, before: &User, after: &User, password_changed: bool, actor: &Actor) -> Vec<Event> {
    let clock = &*app.clock;
    let by = Some(actor.id.as_str());
    let mut out = Vec::new();
    let mut changes = serde_json::Map::new();
    if after.username != before.username {
        changes.insert("username".into(), after.username.as_str().into());
    }
    if after.name != before.name {
        changes.insert("name".into(), after.name.clone().into());
    }
    if after.rating != before.rating {
        changes.insert("rating".into(), after.rating.into());
    }
    if after.email_verified != before.email_verified && !after.email_verified {
        changes.insert("emailVerified".into(), false.into());
    }
    if !changes.is_empty() {
        out.push(events::updated(clock, &after.id, changes, by));
    }
    if after.email != before.email {
        out.push(events::email_changed(clock, &after.id, after.email.as_str(), by));
    }
    if after.email_verified && !before.email_verified {
        out.push(events::activated(clock, &after.id, "admin", by));
    }
    if after.role != before.role {
        out.push(events::role_changed(clock, &after.id, before.role, after.role, &actor.id));
    }
    if password_changed {
        out.push(events::password_changed(clock, &after.id, "admin", by));
    }
    out
}

// ---- reading ----------------------------------------------------------------------------------

/// How many entries a list page has when the request does not say.
pub const DEFAULT_LIMIT: usize = 20;
/// The most entries a list page may have.
pub const MAX_LIMIT: usize = 100;

/// A page size as a client wrote it: 1 to [`MAX_LIMIT`], `default` when absent.
pub fn parse_limit(raw: Option<&str>, default: usize) -> std::result::Result<usize, FieldError> {
    match raw {
        None => Ok(default),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(FieldError::new("limit", "must be a whole number from 1 to 100")),
        },
    }
}

/// A list request as the client wrote it (`GET /api/admin/users`' query, the console's
/// filter form): every field optional and unparsed.
#[derive(Debug, Default, Clone, Copy)]
pub struct ListInput<'a> {
    pub limit: Option<&'a str>,
    pub cursor: Option<&'a str>,
    /// The console's "previous" cursor (a cursor of the reversed query).
    pub before: Option<&'a str>,
    pub page: Option<&'a str>,
    pub sort: Option<&'a str>,
    pub order: Option<&'a str>,
    pub role: Option<&'a str>,
    pub status: Option<&'a str>,
    pub q: Option<&'a str>,
}

/// A validated list request.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub query: UserQuery,
    pub limit: usize,
    /// The cursor a previous page of the same query gave out, as the client sent it back.
    pub cursor: Option<String>,
    /// A "previous" cursor a page gave out ([`ListedPage::previous`]): the page that ends
    /// where it starts.
    pub before: Option<String>,
    /// Seed 001's `page`: how many pages to walk from the start (1 = the first page).
    pub page: u32,
}

impl ListRequest {
    /// Every rule of a list request, each broken rule one field error: `limit` 1-100 (else
    /// `default_limit`), `q` a prefix of at most 254 characters (lower-cased), `sort`
    /// (`createdAt`, `username`, `rating`; with `q` only `username`), `order` (`asc`, `desc`),
    /// `role`, `status`, `page` 1-20, and at most one of `page`, `cursor`, `before`. The
    /// cursors themselves are checked against the query when the page is read.
    pub fn parse(input: ListInput<'_>, default_limit: usize) -> Result<Self> {
        let mut errors = Vec::new();
        let limit = parse_limit(input.limit, default_limit).map_err(|e| errors.push(e)).unwrap_or(default_limit);
        let q = input.q.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
        if q.as_ref().is_some_and(|q| q.chars().count() > 254 || q.chars().any(char::is_control)) {
            errors.push(FieldError::new("q", "must be at most 254 characters"));
        }
        let sort = sort_for(input.sort, q.as_deref()).map_err(|e| errors.push(e)).ok();
        let descending = match input.order.map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => {
                errors.push(FieldError::new("order", "must be asc or desc"));
                false
            }
        };
        let role = match input.role {
            None => None,
            Some(raw) => Role::parse(raw).or_else(|| {
                errors.push(FieldError::new("role", "must be user, donator, moderator or admin"));
                None
            }),
        };
        let status = match input.status {
            None => None,
            Some(raw) => UserStatus::parse(raw).or_else(|| {
                errors.push(FieldError::new("status", "must be active, unverified, banned, pending_deletion or deleted"));
                None
            }),
        };
        let page = match input.page {
            None => 1,
            Some(raw) => match raw.trim().parse::<u32>() {
                Ok(p) if (1..=MAX_PAGE).contains(&p) => p,
                _ => {
                    errors.push(FieldError::new("page", "must be a whole number from 1 to 20 (use the cursor beyond)"));
                    1
                }
            },
        };
        if input.page.is_some() && input.cursor.is_some() {
            errors.push(FieldError::new("page", "cannot be combined with cursor"));
        }
        if input.before.is_some() && (input.cursor.is_some() || input.page.is_some()) {
            errors.push(FieldError::new("before", "cannot be combined with cursor or page"));
        }
        let Some(sort) = sort else { return Err(Error::Validation(errors)) };
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        Ok(Self {
            query: UserQuery { sort, descending, role, status, q },
            limit,
            cursor: input.cursor.map(str::to_owned),
            before: input.before.map(str::to_owned),
            page,
        })
    }
}

pub struct ListedPage {
    pub users: Vec<User>,
    /// The cursor of the next page, for the client (`None` after the last page).
    pub next: Option<String>,
    /// The cursor of the page before this one, for [`ListRequest::before`] (`None` on the
    /// first page). The JSON API does not give it out.
    pub previous: Option<String>,
}

/// `page` is walked from the start, so it costs a page's calls per page skipped; capped.
pub const MAX_PAGE: u32 = 20;

fn decode_cursor(raw: &str, query: &UserQuery) -> Result<UserCursor> {
    UserCursor::decode(raw, query).map_err(|e| Error::Validation(vec![e]))
}

/// A page of users: from the start, after `cursor` (forwards), or before `before` (the same
/// merge read in the opposite order from the turned-around cursor, then put back in the
/// query's order). Either way the page knows its neighbours: `next` and `previous`.
pub async fn list_users(app: &App, request: ListRequest) -> Result<ListedPage> {
    let now = app.now();
    let query = &request.query;
    if let Some(raw) = request.before.as_deref() {
        let back = query.reversed();
        let cursor = decode_cursor(raw, &back).map_err(|_| Error::field("before", "is malformed or does not belong to this query"))?;
        // What follows this page is what the "previous" cursor was made from.
        let after = cursor.reversed();
        let page = app.store.list_users(&back, Some(cursor), request.limit, now).await?;
        let mut users = page.users;
        users.reverse();
        let next = (!after.at_end()).then(|| after.encode(query));
        // A stream that stopped at its `Limit` cannot tell whether anything lies beyond: look
        // (one more round, only when going back), so the first page offers no "previous".
        let previous = match page.next {
            Some(more) => {
                let probe = app.store.list_users(&back, Some(more.clone()), 1, now).await?;
                (!probe.users.is_empty() || probe.next.is_some()).then(|| more.encode(&back))
            }
            None => None,
        };
        return Ok(ListedPage { users, next, previous });
    }
    let mut cursor = match request.cursor.as_deref() {
        Some(raw) => Some(decode_cursor(raw, query)?),
        None => None,
    };
    for _ in 1..request.page {
        let page = app.store.list_users(query, cursor, request.limit, now).await?;
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(ListedPage { users: Vec::new(), next: None, previous: None }),
        }
    }
    let previous = cursor.as_ref().filter(|c| !c.at_start()).map(|c| c.reversed().encode(&query.reversed()));
    let page = app.store.list_users(query, cursor, request.limit, now).await?;
    Ok(ListedPage { users: page.users, next: page.next.map(|c| c.encode(query)), previous })
}

pub async fn get_user(app: &App, id: &str) -> Result<User> {
    target(app, id).await
}

/// What the console shows about one user: the user, how many sessions still work, the API
/// keys (with the status they have), and a page of activity, newest first.
pub struct UserOverview {
    pub user: User,
    pub sessions: usize,
    pub keys: Vec<crate::domain::ApiKeyRecord>,
    pub activity: Vec<ActivityRecord>,
    /// The cursor of the next (older) page of activity.
    pub more_activity: Option<String>,
}

/// One read of the user, then its sessions, keys and activity in parallel (four calls).
pub async fn user_overview(app: &App, id: &str, activity_after: Option<&str>, activity_limit: i32) -> Result<UserOverview> {
    let user = target(app, id).await?;
    let (sessions, keys, activity) = futures::join!(
        super::users::sessions::live(app, &user),
        super::api_keys::list_of(app, &user),
        app.store.list_activity(&user.id, activity_after, activity_limit),
    );
    let (activity, more_activity) = activity?;
    Ok(UserOverview { sessions: sessions?.len(), keys: keys?, activity, more_activity, user })
}

/// How many admins are in good standing (the count the last-admin rule keeps; one read).
pub async fn admin_count(app: &App) -> Result<i64> {
    app.store.admin_count().await
}

/// The target's activity, newest first (the target must exist).
pub async fn user_activity(app: &App, id: &str, after: Option<&str>, limit: i32) -> Result<(Vec<ActivityRecord>, Option<String>)> {
    let user = UserId::parse(id).ok_or(Error::UserNotFound)?;
    // One read to tell "no such user" from "no activity".
    app.store.get_user(&user).await?.ok_or(Error::UserNotFound)?;
    app.store.list_activity(&user, after, limit).await
}

/// An audit trail request, validated: `actor` a user id or `cli`, `month` `YYYY-MM`, `cursor`
/// an entry's id (a ULID), `limit` 1-100.
#[derive(Debug, Clone, Default)]
pub struct AuditRequest {
    pub actor: Option<String>,
    pub month: Option<String>,
    pub cursor: Option<String>,
    pub limit: usize,
}

impl AuditRequest {
    pub fn parse(
        actor: Option<&str>,
        month: Option<&str>,
        cursor: Option<&str>,
        limit: Option<&str>,
        default_limit: usize,
    ) -> Result<Self> {
        let mut errors = Vec::new();
        let limit = parse_limit(limit, default_limit).map_err(|e| errors.push(e)).unwrap_or(default_limit);
        if let Some(actor) = actor
            && actor != "cli"
            && UserId::parse(actor).is_none()
        {
            errors.push(FieldError::new("actor", "must be a user id or cli"));
        }
        if let Some(month) = month
            && parse_month(month).is_none()
        {
            errors.push(FieldError::new("month", "must be YYYY-MM"));
        }
        let cursor = cursor.map(str::trim);
        if let Some(c) = cursor
            && ulid::Ulid::from_string(c).is_err()
        {
            errors.push(FieldError::new("cursor", "is malformed"));
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        Ok(Self { actor: actor.map(str::to_owned), month: month.map(str::to_owned), cursor: cursor.map(str::to_owned), limit })
    }
}

/// `YYYY-MM` → (year, month), only for a real month.
pub fn parse_month(raw: &str) -> Option<(u16, u8)> {
    let bytes = raw.as_bytes();
    if bytes.len() != 7 || bytes[4] != b'-' || !raw.is_ascii() {
        return None;
    }
    let year = raw[..4].parse::<u16>().ok().filter(|_| raw[..4].bytes().all(|b| b.is_ascii_digit()))?;
    let month = raw[5..].parse::<u8>().ok().filter(|m| (1..=12).contains(m) && raw[5..].bytes().all(|b| b.is_ascii_digit()))?;
    Some((year, month))
}

/// The month (`YYYY-MM`) the audit trail shows when none is asked for: the current one.
pub fn current_month(app: &App) -> String {
    let now = app.clock.now();
    format!("{:04}-{:02}", now.year(), u8::from(now.month()))
}

/// The admin audit trail: one actor's entries, or one month's (`YYYY-MM`), newest first.
pub async fn audit_trail(
    app: &App,
    actor: Option<&str>,
    month: Option<&str>,
    after: Option<&str>,
    limit: i32,
) -> Result<(Vec<AuditEntry>, Option<String>)> {
    match actor {
        Some(actor) => app.store.list_audit_by_actor(actor, after, limit).await,
        None => {
            let month = match month {
                Some(m) => m.to_owned(),
                None => current_month(app),
            };
            app.store.list_audit_month(&month, after, limit).await
        }
    }
}

// ---- creating -----------------------------------------------------------------------------------

/// Raw input of an account created by an admin or the bootstrap command.
pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub password: String,
    pub role: String,
    pub email_verified: bool,
}

/// A created account, and the activation code and link token to mail when it is not verified.
pub struct CreatedAccount {
    pub user: User,
    pub activation: Option<(String, String)>,
}

/// Validates and stores a new account through register's transaction (user, uniqueness
/// markers, activity entry, admin count, audit entry): the code path shared by
/// `POST /api/admin/users` and the bootstrap command.
/// `codes` keys the activation code's hash; it is needed only for an unverified account (the
/// bootstrap command creates verified ones and has no code pepper).
pub async fn create_account(
    store: &Store,
    hasher: &PasswordHasher,
    clock: &dyn Clock,
    codes: Option<&crate::secrets::CodePepper>,
    policy: crate::domain::PasswordPolicy,
    actor: &Actor,
    input: NewAccount,
) -> Result<CreatedAccount> {
    let role = Role::parse(&input.role).ok_or_else(|| FieldError::new("role", "must be user, donator, moderator or admin"));
    let (username, email, password) =
        super::sign_up::parse_new_account(&input.username, &input.email, &input.password, role.as_ref().err().cloned(), policy)?;
    let role = role.map_err(|e| Error::Validation(vec![e]))?;
    let password_hash = hasher.hash(password.expose()).await.map_err(Error::internal)?;

    let now = clock.now_unix();
    let id = UserId::generate(clock.now());
    let issued = if input.email_verified {
        None
    } else {
        let codes = codes.ok_or_else(|| Error::internal(anyhow::anyhow!("an unverified account needs the code pepper (CODE_PEPPER)")))?;
        Some(super::sign_up::issue_activation(codes, &id, now))
    };
    let (activation, token, secrets) = match issued {
        Some(a) => (Some(a.state), Some(a.token), Some((a.code, a.link_token))),
        None => (None, None, None),
    };
    let user = User::new_account(id.clone(), &username, &email, password_hash, role, activation, now);
    let entry = Activity {
        id: crate::domain::new_ulid(clock.now()),
        kind: ActivityKind::Registered,
        at: now,
        ip: actor.client.ip.clone(),
        user_agent: actor.client.user_agent.clone(),
        detail: Some(format!("created by {} with role {}", actor.role, role.as_str())),
        actor: Some(actor.id.clone()),
    };
    let audit = audit(clock, actor, "user.create", &id, Some(format!("role={} emailVerified={}", role.as_str(), input.email_verified)));
    // An account an admin creates is never purged for staying unverified: someone chose to make it.
    store
        .create_user(&NewUser {
            user: user.clone(),
            activity: entry,
            activation_token: token,
            audit: Some(audit),
            unverified_purge_at: None,
            mail_counter: None,
            events: vec![super::events::created(clock, &user, Some(&actor.id))],
        })
        .await?;
    Ok(CreatedAccount { user, activation: secrets })
}

/// `POST /api/admin/users`: creates the account; an unverified one gets the activation mail.
pub async fn create_user(app: &App, actor: &Actor, input: NewAccount) -> Result<User> {
    super::password_policy::screen_breached(app, &input.password, "password").await?;
    let policy = app.config.passwords.policy;
    let created = create_account(&app.store, &app.hasher, app.clock.as_ref(), app.pepper.as_ref(), policy, actor, input).await?;
    let user = created.user;
    if let Some((code, link)) = created.activation {
        super::sign_up::send_activation(app, &user, &code, &link).await;
    }
    tracing::info!(user = %user.id, actor = %actor.id, role = user.role.as_str(), "user created by admin");
    Ok(user)
}

// ---- changing -----------------------------------------------------------------------------------

/// A validated admin change request. `None` = leave as is.
#[derive(Debug, Default)]
pub struct UserChanges {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    /// `Some(None)` clears the name.
    pub full_name: Option<Option<String>>,
    pub role: Option<String>,
    pub rating: Option<i64>,
    pub email_verified: Option<bool>,
}

pub async fn update_user(app: &App, principal: &Principal, actor: &Actor, id: &str, changes: UserChanges) -> Result<User> {
    let before = target(app, id).await?;
    let mut after = before.clone();
    let mut errors = Vec::new();
    let mut changed: Vec<&str> = Vec::new();
    if let Some(raw) = &changes.username {
        match Username::parse(raw, "username") {
            Ok(u) if u != before.username => {
                after.username = u;
                changed.push("username");
            }
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if let Some(raw) = &changes.email {
        match Email::parse(raw, "email") {
            Ok(e) if e != before.email => {
                after.email = e;
                changed.push("email");
            }
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if let Some(full_name) = &changes.full_name {
        let input = ProfileInput { name: Some(full_name.as_deref()), ..Default::default() };
        match ProfileUpdate::parse(input) {
            Ok(update) => {
                let name = update.name.flatten();
                if name != before.name {
                    after.name = name;
                    changed.push("fullName");
                }
            }
            Err(fields) => errors.extend(fields.into_iter().map(|f| FieldError::new("fullName", f.message))),
        }
    }
    let role = match changes.role.as_deref() {
        Some(raw) => match Role::parse(raw) {
            Some(r) => Some(r),
            None => {
                errors.push(FieldError::new("role", "must be user, donator, moderator or admin"));
                None
            }
        },
        None => None,
    };
    if let Some(raw) = changes.rating {
        match Rating::parse(raw, "rating") {
            Ok(r) if r.value() != before.rating => {
                after.rating = r.value();
                changed.push("rating");
            }
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    if let Some(role) = role
        && role != before.role
    {
        if principal.user.role != Role::Admin {
            return Err(Error::Refused(ONLY_ADMINS_CHANGE_ROLES));
        }
        if before.id == principal.user.id {
            return Err(Error::Refused(NOT_YOUR_OWN_ROLE));
        }
        after.role = role;
        changed.push("role");
    }
    if let Some(verified) = changes.email_verified
        && verified != before.email_verified
    {
        after.email_verified = verified;
        if verified {
            after.activation = None;
        }
        changed.push("emailVerified");
    }
    let mut password_changed = false;
    if let Some(raw) = &changes.password {
        let ctx = PasswordPolicyInput { username: after.username.as_str(), email: after.email.as_str() };
        let password = super::password_policy::accept_new(app, raw, "password", &ctx).await?;
        after.password_hash = app.hasher.hash(password.expose()).await.map_err(Error::internal)?;
        // In the change's own transaction: every session but the admin's own current one is
        // refused from now on (the deletion afterwards is only cleanup), and any reset or
        // email-change link is void (whoever asked for it may be who the admin is locking out).
        let keep = (before.id == principal.user.id).then(|| principal.session.id.as_str().to_owned());
        after.session_cutoff = Some(SessionCutoff { epoch: before.session_epoch() + 1, keep });
        after.reset_token_hash = None;
        after.email_change = None;
        password_changed = true;
        changed.push("password");
    }
    if after.email != before.email {
        // A link mailed to the old address must not outlive the address.
        after.reset_token_hash = None;
        after.email_change = None;
    }
    if changed.is_empty() {
        return Ok(before);
    }
    after.updated_at = app.now();
    let mut detail = format!("changed: {}", changed.join(", "));
    if after.role != before.role {
        detail.push_str(&format!("; role {} -> {}", before.role.as_str(), after.role.as_str()));
    }
    let entry = activity_by(app, ActivityKind::AdminUpdated, actor, Some(detail.clone()));
    let audit = audit(app.clock.as_ref(), actor, "user.update", &before.id, Some(detail));
    let changed_events = change_events(app, &before, &after, password_changed, actor);
    apply(app, &before, &after, &entry, &audit, &changed_events).await?;
    if password_changed {
        // The cut-off above already refuses them; this removes the items, best effort.
        let keep = (before.id == principal.user.id).then_some(&principal.session.id);
        super::password_reset::end_sessions_after_password_change(app, &before.id, keep).await;
    }
    tracing::info!(user = %before.id, actor = %actor.id, fields = changed.join(","), "user changed by admin");
    after.version = before.version + 1;
    Ok(after)
}

// ---- bans ----------------------------------------------------------------------------------------

/// A moderator acts on ordinary users only; nobody acts on themselves (`what` says which
/// action was refused). The rule [`ban`] and [`unban`] apply; the console asks it before it
/// offers either.
pub fn may_moderate(principal: &Principal, target: &User, what: &'static str) -> Result<()> {
    if principal.user.id == target.id {
        return Err(Error::Refused(what));
    }
    if principal.user.role != Role::Admin && !matches!(target.role, Role::User | Role::Donator) {
        return Err(Error::Refused(MODERATORS_ON_USERS_ONLY));
    }
    Ok(())
}

pub struct BanRequest {
    /// `None` = permanent.
    pub until: Option<i64>,
    pub reason: String,
}

impl BanRequest {
    /// `bannedUntil` (RFC 3339 in the future, or absent/`null`/`""` for permanent) and
    /// `banReason` (1–255 characters).
    pub fn parse(until: Option<&str>, reason: Option<&str>, now: i64) -> Result<Self> {
        let mut errors = Vec::new();
        let until = match until.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(raw) => match time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339) {
                Ok(t) if t.unix_timestamp() > now => Some(t.unix_timestamp()),
                Ok(_) => {
                    errors.push(FieldError::new("bannedUntil", "must be in the future"));
                    None
                }
                Err(_) => {
                    errors.push(FieldError::new("bannedUntil", "must be an RFC 3339 timestamp or null"));
                    None
                }
            },
        };
        let reason = reason.map(str::trim).unwrap_or_default();
        if reason.is_empty() {
            errors.push(FieldError::new("banReason", "is required"));
        } else if reason.chars().count() > 255 {
            errors.push(FieldError::new("banReason", "must be at most 255 characters"));
        } else if reason.chars().any(|c| c.is_control()) {
            errors.push(FieldError::new("banReason", "must not contain control characters"));
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        Ok(Self { until, reason: reason.to_owned() })
    }
}

/// Bans the target (or changes an existing ban) and ends all of their sessions at once.
pub async fn ban(app: &App, principal: &Principal, actor: &Actor, id: &str, request: BanRequest) -> Result<Option<i64>> {
    let before = target(app, id).await?;
    may_moderate(principal, &before, NOT_BAN_YOURSELF)?;
    let mut after = before.clone();
    after.banned_until = Some(request.until);
    after.ban_reason = Some(request.reason);
    after.updated_at = app.now();
    let detail = match request.until {
        Some(t) => format!("until {}", crate::clock::rfc3339(t)),
        None => "permanent".to_owned(),
    };
    let entry = activity_by(app, ActivityKind::Banned, actor, Some(detail.clone()));
    let audit = audit(app.clock.as_ref(), actor, "user.ban", &before.id, Some(detail));
    let reason = after.ban_reason.as_deref().unwrap_or_default();
    let event = events::banned(&*app.clock, &before.id, request.until, reason, &actor.id);
    apply(app, &before, &after, &entry, &audit, &[event]).await?;
    let ended = app.store.delete_sessions(&before.id, None).await?;
    tracing::info!(user = %before.id, actor = %actor.id, sessions_ended = ended, "user banned");
    Ok(request.until)
}

/// Lifts a ban (also an expired temporary one still on record). Not banned: nothing to do.
pub async fn unban(app: &App, principal: &Principal, actor: &Actor, id: &str) -> Result<()> {
    let before = target(app, id).await?;
    may_moderate(principal, &before, NOT_UNBAN_YOURSELF)?;
    if before.banned_until.is_none() {
        return Ok(());
    }
    let mut after = before.clone();
    after.banned_until = None;
    after.ban_reason = None;
    after.updated_at = app.now();
    let entry = activity_by(app, ActivityKind::Unbanned, actor, None);
    let audit = audit(app.clock.as_ref(), actor, "user.unban", &before.id, None);
    apply(app, &before, &after, &entry, &audit, &[events::unbanned(&*app.clock, &before.id, &actor.id)]).await?;
    tracing::info!(user = %before.id, actor = %actor.id, "user unbanned");
    Ok(())
}

// ---- deletion ------------------------------------------------------------------------------------

/// `DELETE /api/admin/users/{id}`: soft delete; already marked: returned as it is.
pub async fn delete_user(app: &App, principal: &Principal, actor: &Actor, id: &str) -> Result<User> {
    let before = target(app, id).await?;
    if before.id == principal.user.id {
        return Err(Error::Refused(NOT_DELETE_YOURSELF));
    }
    if before.deletion_scheduled_at.is_some() {
        return Ok(before);
    }
    let mut after = before.with_deletion_scheduled(app.now(), app.config.deletion_grace_days, Some(&actor.id));
    let detail = format!("purge after {}", crate::clock::rfc3339(after.purge_at.unwrap_or_default()));
    let entry = activity_by(app, ActivityKind::AdminDeleted, actor, Some(detail.clone()));
    let audit = audit(app.clock.as_ref(), actor, "user.delete", &before.id, Some(detail));
    let event = events::deletion_scheduled(&*app.clock, &before.id, after.purge_at.unwrap_or_default(), Some(&actor.id));
    let d = ScheduledDeletion { recovery_hash: None, reason: None, activity: &entry, audit: Some(&audit), event: &event };
    app.store.schedule_deletion(&before, &after, &d).await?.map_err(refused)?;
    let ended = app.store.delete_sessions(&before.id, None).await?;
    tracing::info!(user = %before.id, actor = %actor.id, sessions_ended = ended, "user soft-deleted by admin");
    after.version = before.version + 1;
    Ok(after)
}

/// `POST /api/admin/users/{id}/restore`: undoes a soft delete or a self-requested deletion
/// while the account still exists. Not marked: returned as it is.
pub async fn restore_user(app: &App, actor: &Actor, id: &str) -> Result<User> {
    let before = target(app, id).await?;
    if before.deletion_scheduled_at.is_none() {
        return Ok(before);
    }
    let mut after = before.with_deletion_cleared(app.now());
    let entry = activity_by(app, ActivityKind::AdminRestored, actor, None);
    let audit = audit(app.clock.as_ref(), actor, "user.restore", &before.id, None);
    apply(app, &before, &after, &entry, &audit, &[events::restored(&*app.clock, &before.id, Some(&actor.id))]).await?;
    tracing::info!(user = %before.id, actor = %actor.id, "user restored by admin");
    after.version = before.version + 1;
    Ok(after)
}

/// The status a listing shows for `user` now.
pub fn status_now(app: &App, user: &User) -> UserStatus {
    user.status(app.now())
}

/// The sort a list request asks for, with `q`'s rule: prefix search is ordered by the matched
/// username or email, so only `sort=username` (or no sort) goes with it.
pub fn sort_for(sort: Option<&str>, q: Option<&str>) -> std::result::Result<SortField, FieldError> {
    let sort = match sort {
        None if q.is_some() => SortField::Username,
        None => SortField::CreatedAt,
        Some(raw) => SortField::parse(raw).ok_or_else(|| FieldError::new("sort", "must be createdAt, username or rating"))?,
    };
    if q.is_some() && sort != SortField::Username {
        return Err(FieldError::new("sort", "prefix search (q) is ordered by username or email; use sort=username or omit sort"));
    }
    Ok(sort)
}

// ---- mail suppression ----------------------------------------------------------------------------

/// `DELETE /api/admin/users/{id}/mail-suppression`: mail to the user's address may go again (an
/// admin who knows the address works now: a mailbox restored, a complaint made by mistake).
/// Idempotent: an address that is not suppressed is left as it is, and nothing is audited.
pub async fn clear_mail_suppression(app: &App, actor: &Actor, id: &str) -> Result<User> {
    let mut user = target(app, id).await?;
    let Some(was) = user.mail_suppression.take() else { return Ok(user) };
    let audit = audit(app.clock.as_ref(), actor, "user.mail_suppression.clear", &user.id, Some(was.reason.as_str().to_owned()));
    if !app.store.clear_suppression(&user, &audit).await? {
        return Err(Error::UserNotFound);
    }
    tracing::info!(user = %user.id, actor = %actor.id, reason = was.reason.as_str(), "mail suppression cleared");
    user.version += 1;
    Ok(user)
}
