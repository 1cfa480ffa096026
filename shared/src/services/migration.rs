//! Migration in and out (SPEC §3.12, docs/migration.md): importing users with the password
//! hashes of the system they come from, and exporting them in the same format.
//!
//! An import line is one JSON object ([`parse_line`]); only the documented fields are accepted
//! (an unknown one, such as `mfaEnabled` or `bannedUntil`, refuses the line: no mass assignment).
//! Each line is checked by the rules of register (username, email, profile fields) and its hash
//! by `legacy_hashes` (scheme and bounded parameters), then created by register's transaction
//! with an import marker keyed by the external id (or the email), so running the same file again
//! changes nothing. A bad or conflicting line is reported with its line number; the others go on.
//! Imports run through the [`Importer`] of a run: the admin API makes one per call, the
//! `accounts-admin import` command one per file; either writes one admin audit entry per run.
//!
//! Nothing here logs a hash, an address or a line's content.

use super::admin::Actor;
use crate::App;
use crate::clock::{Clock, rfc3339};
use crate::domain::{Activity, ActivityKind, Email, ProfileInput, ProfileUpdate, Role, User, UserId, Username, new_ulid};
use crate::error::{Error, FieldError, Result};
use crate::legacy_hashes;
use crate::passwords::NO_PASSWORD;
use crate::store::{ExportedUser, IMPORT_MARKER_BATCH, ImportSeen, NewUser, Store, USER_SHARDS};
use futures::StreamExt as _;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// At most this many users per `POST /api/admin/users/import` call.
pub const MAX_LINES_PER_CALL: usize = 1000;
/// A line longer than this is refused unread (the longest valid one is a few KiB).
pub const MAX_LINE_BYTES: usize = 16 * 1024;
/// Accounts created at the same time within a run.
const CONCURRENCY: usize = 8;

/// One line as sent: exactly the documented fields (docs/migration.md, "The line").
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawLine {
    external_id: Option<String>,
    email: Option<String>,
    username: Option<String>,
    email_verified: Option<bool>,
    role: Option<String>,
    created_at: Option<String>,
    name: Option<String>,
    bio: Option<String>,
    location: Option<String>,
    website: Option<String>,
    preferences: Option<RawPreferences>,
    password_hash: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreferences {
    theme: Option<String>,
    language: Option<String>,
    timezone: Option<String>,
}

/// A valid import line.
#[derive(Clone, PartialEq, Eq)]
pub struct ImportLine {
    pub external_id: Option<String>,
    pub email: Email,
    pub username: Username,
    /// The username was not given: it was derived from the email ([`derived_username`]).
    pub username_derived: bool,
    pub email_verified: bool,
    pub role: Role,
    pub created_at: Option<i64>,
    pub profile: ProfileUpdate,
    /// The hash as given, its scheme and parameters checked; `None`: the person signs in after
    /// a password reset.
    pub password_hash: Option<String>,
    pub scheme: Option<legacy_hashes::Scheme>,
}

impl std::fmt::Debug for ImportLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the hash or the address.
        f.debug_struct("ImportLine").field("username", &self.username.as_str()).field("scheme", &self.scheme).finish_non_exhaustive()
    }
}

impl ImportLine {
    /// What makes a second run of the same line change nothing: the external id, or the email.
    pub fn import_key(&self) -> String {
        match &self.external_id {
            Some(id) => format!("id:{id}"),
            None => format!("email:{}", self.email.as_str()),
        }
    }
}

/// Why a line was not imported: the code and message it is reported with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub code: &'static str,
    pub message: String,
    pub details: Vec<FieldError>,
}

impl LineError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: Vec::new() }
    }

    fn from_error(e: &Error) -> Self {
        match e {
            Error::Validation(fields) => Self { code: e.code(), message: "validation failed".into(), details: fields.clone() },
            Error::EmailTaken => Self::new(e.code(), "an account with this email already exists"),
            Error::UsernameTaken => Self::new(e.code(), "an account with this username already exists"),
            Error::Conflict => Self::new(e.code(), "the external id or email was imported at the same time by another run"),
            Error::DependencyUnavailable(_) => Self::new(e.code(), "the table did not answer; run the line again"),
            _ => Self::new("INTERNAL", "the line could not be imported; run it again"),
        }
    }
}

/// `usr_…`-free, deterministic username for a line without one: the email's local part (letters,
/// digits and `_` only, at most 20) and 8 hex digits of a hash of the address, so a second run
/// derives the same name and two addresses with the same local part do not collide.
pub fn derived_username(email: &Email) -> Username {
    let local = email.as_str().split('@').next().unwrap_or_default();
    let mut base: String = local.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(20).collect();
    if base.is_empty() {
        base.push_str("user");
    }
    let digest = crate::tokens::sha256_hex(email.as_str());
    let name = format!("{base}_{}", &digest[..8]);
    Username::parse(&name, "username").unwrap_or_else(|_| Username::from_stored(format!("user_{}", &digest[..8])))
}

/// Parses one line: JSON, exactly the documented fields, every rule of register (username,
/// email), the profile fields' rules, a known hash scheme within its bounds, a `createdAt` not
/// in the future. Every failing field is listed.
pub fn parse_line(text: &str, now: i64) -> std::result::Result<ImportLine, LineError> {
    if text.len() > MAX_LINE_BYTES {
        return Err(LineError::new("VALIDATION_FAILED", format!("the line is longer than {MAX_LINE_BYTES} bytes")));
    }
    let raw: RawLine = match serde_json::from_str::<Value>(text) {
        Err(_) => return Err(LineError::new("INVALID_JSON", "the line is not a JSON object")),
        Ok(value) if !value.is_object() => return Err(LineError::new("INVALID_JSON", "the line is not a JSON object")),
        Ok(value) => serde_json::from_value(value).map_err(|e| {
            // The unknown field's name, or the type a field should have: never the value sent.
            let text = e.to_string();
            let detail = match text.split_once("unknown field `").and_then(|(_, rest)| rest.split_once('`')) {
                Some((field, _)) => FieldError::new(field, "is not an accepted field"),
                None => match text.split_once(", expected ") {
                    Some((_, expected)) => FieldError::new("line", format!("a field has the wrong type: expected {expected}")),
                    None => FieldError::new("line", "is not a valid import line"),
                },
            };
            LineError { code: "VALIDATION_FAILED", message: "validation failed".into(), details: vec![detail] }
        })?,
    };
    let mut errors = Vec::new();
    let external_id = match raw.external_id {
        Some(id) if id.is_empty() || id.chars().count() > 255 || id.chars().any(char::is_control) => {
            errors.push(FieldError::new("externalId", "must be 1-255 characters without control characters"));
            None
        }
        other => other,
    };
    let email = match raw.email.as_deref() {
        None => {
            errors.push(FieldError::new("email", "is required"));
            None
        }
        Some(e) => Email::parse(e, "email").map_err(|e| errors.push(e)).ok(),
    };
    let username = match raw.username.as_deref() {
        None => None,
        Some(u) => Username::parse(u, "username").map_err(|e| errors.push(e)).ok(),
    };
    let role = match raw.role.as_deref() {
        None => Some(Role::User),
        Some(r) => Role::parse(r).or_else(|| {
            errors.push(FieldError::new("role", "must be user, donator, moderator or admin"));
            None
        }),
    };
    let created_at = match raw.created_at.as_deref() {
        None => None,
        Some(t) => match time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
            Ok(at) if at.unix_timestamp() >= 0 && at.unix_timestamp() <= now + 300 => Some(at.unix_timestamp()),
            Ok(_) => {
                errors.push(FieldError::new("createdAt", "must be after 1970 and not in the future"));
                None
            }
            Err(_) => {
                errors.push(FieldError::new("createdAt", "must be an RFC 3339 timestamp"));
                None
            }
        },
    };
    let prefs = raw.preferences.as_ref();
    let profile = ProfileUpdate::parse(ProfileInput {
        name: raw.name.as_deref().map(Some),
        bio: raw.bio.as_deref().map(Some),
        location: raw.location.as_deref().map(Some),
        website: raw.website.as_deref().map(Some),
        theme: prefs.and_then(|p| p.theme.as_deref()),
        language: prefs.and_then(|p| p.language.as_deref()),
        timezone: prefs.and_then(|p| p.timezone.as_deref()),
    })
    .map_err(|e| errors.extend(e))
    .ok();
    let scheme = match raw.password_hash.as_deref() {
        None => None,
        Some(hash) => match legacy_hashes::parse(hash) {
            Ok(parsed) => Some(parsed.scheme),
            Err(refused) => {
                errors.push(FieldError::new("passwordHash", refused.0));
                None
            }
        },
    };
    let (Some(email), Some(role), Some(profile), true) = (email, role, profile, errors.is_empty()) else {
        return Err(LineError { code: "VALIDATION_FAILED", message: "validation failed".into(), details: errors });
    };
    let (username, username_derived) = match username {
        Some(u) => (u, false),
        None => (derived_username(&email), true),
    };
    Ok(ImportLine {
        external_id,
        email,
        username,
        username_derived,
        email_verified: raw.email_verified.unwrap_or(false),
        role,
        created_at,
        profile,
        password_hash: raw.password_hash.filter(|_| scheme.is_some()),
        scheme,
    })
}

/// What became of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created {
        id: UserId,
        scheme: Option<&'static str>,
    },
    /// The line was imported before (same import key and email): nothing was written.
    Unchanged {
        id: UserId,
    },
    Failed(LineError),
}

/// One line's result; `line` counts from 1, blank lines included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineResult {
    pub line: usize,
    pub outcome: Outcome,
}

/// A run's counts (what its audit entry and the command's last line say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub lines: usize,
    pub created: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Created accounts per hash scheme (`none`: no hash, sign-in after a reset).
    pub schemes: BTreeMap<&'static str, usize>,
    /// Accounts created without a hash whose invitation was mailed.
    pub invited: usize,
}

/// One import run: the lines seen so far (duplicates inside a file are reported against the
/// first line), the counts, and who runs it.
pub struct Importer<'a> {
    store: &'a Store,
    clock: &'a dyn Clock,
    actor: &'a Actor,
    emails: HashMap<String, usize>,
    keys: HashMap<String, usize>,
    usernames: HashMap<String, usize>,
    summary: Summary,
}

impl<'a> Importer<'a> {
    pub fn new(store: &'a Store, clock: &'a dyn Clock, actor: &'a Actor) -> Self {
        Self { store, clock, actor, emails: HashMap::new(), keys: HashMap::new(), usernames: HashMap::new(), summary: Summary::default() }
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Imports `lines` (`(line number, text)`, blank lines left out by the caller), in order
    /// of their results.
    pub async fn import(&mut self, lines: &[(usize, &str)]) -> Vec<LineResult> {
        let now = self.clock.now_unix();
        let mut results: Vec<LineResult> = Vec::with_capacity(lines.len());
        let mut valid: Vec<(usize, ImportLine)> = Vec::new();
        for &(number, text) in lines {
            self.summary.lines += 1;
            match parse_line(text, now).and_then(|line| self.first_in_run(number, line)) {
                Ok(line) => valid.push((number, line)),
                Err(e) => results.push(LineResult { line: number, outcome: Outcome::Failed(e) }),
            }
        }
        for chunk in valid.chunks(IMPORT_MARKER_BATCH) {
            let keys: Vec<(String, String)> = chunk.iter().map(|(_, l)| (l.email.as_str().to_owned(), l.import_key())).collect();
            let pairs: Vec<(&str, &str)> = keys.iter().map(|(e, k)| (e.as_str(), k.as_str())).collect();
            let seen = match self.store.import_markers(&pairs).await {
                Ok(seen) => seen,
                Err(e) => {
                    let error = LineError::from_error(&e);
                    results.extend(chunk.iter().map(|(n, _)| LineResult { line: *n, outcome: Outcome::Failed(error.clone()) }));
                    continue;
                }
            };
            let (store, clock, actor) = (self.store, self.clock, self.actor);
            // Built eagerly (not in a stream's closure), so the future stays `Send` for axum.
            let writes: Vec<_> = chunk
                .iter()
                .zip(seen)
                .map(|((number, line), seen)| {
                    let number = *number;
                    let write = import_one(store, clock, actor, line, seen, now);
                    async move { LineResult { line: number, outcome: write.await } }
                })
                .collect();
            let outcomes: Vec<LineResult> = futures::stream::iter(writes).buffer_unordered(CONCURRENCY).collect().await;
            results.extend(outcomes);
        }
        results.sort_by_key(|r| r.line);
        for r in &results {
            match &r.outcome {
                Outcome::Created { scheme, .. } => {
                    self.summary.created += 1;
                    *self.summary.schemes.entry(scheme.unwrap_or("none")).or_default() += 1;
                }
                Outcome::Unchanged { .. } => self.summary.unchanged += 1,
                Outcome::Failed(_) => self.summary.failed += 1,
            }
        }
        results
    }

    /// Refuses a line whose email, import key or username an earlier line of the run has.
    fn first_in_run(&mut self, number: usize, line: ImportLine) -> std::result::Result<ImportLine, LineError> {
        for (seen, value, what) in [
            (&self.emails, line.email.as_str().to_owned(), "email"),
            (&self.keys, line.import_key(), "externalId"),
            (&self.usernames, line.username.key(), "username"),
        ] {
            if let Some(first) = seen.get(&value) {
                return Err(LineError::new("CONFLICT", format!("same {what} as line {first}")));
            }
        }
        self.emails.insert(line.email.as_str().to_owned(), number);
        self.keys.insert(line.import_key(), number);
        self.usernames.insert(line.username.key(), number);
        Ok(line)
    }

    /// Ends the run: its one admin audit entry (counts and schemes only, nothing personal).
    pub async fn finish(self) -> Result<Summary> {
        let s = &self.summary;
        let schemes: Vec<String> = s.schemes.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        let detail = format!(
            "lines={} created={} unchanged={} failed={} invited={} schemes={}",
            s.lines,
            s.created,
            s.unchanged,
            s.failed,
            s.invited,
            schemes.join(",")
        );
        let entry = super::admin::audit_entry(self.clock, self.actor, "user.import", "users", Some(detail));
        self.store.put_audit(&entry).await?;
        tracing::info!(actor = %self.actor.id, lines = s.lines, created = s.created, unchanged = s.unchanged, failed = s.failed, "import run");
        Ok(self.summary)
    }
}

/// Decides and, for a new account, writes one line (docs/migration.md, "Idempotency").
async fn import_one(store: &Store, clock: &dyn Clock, actor: &Actor, line: &ImportLine, seen: ImportSeen, now: i64) -> Outcome {
    let mut stale = None;
    match (&seen.imported_as, &seen.email_owner) {
        (Some(imported), Some(owner)) if imported == owner => return Outcome::Unchanged { id: imported.clone() },
        (Some(imported), owner) => match store.get_user(imported).await {
            // The marker of an account that has since been purged: imported anew.
            Ok(None) if owner.is_none() => stale = Some(imported.clone()),
            Ok(None) => return Outcome::Failed(LineError::from_error(&Error::EmailTaken)),
            Ok(Some(_)) => {
                return Outcome::Failed(LineError::new(
                    "CONFLICT",
                    format!("this external id was imported before as {imported}, which now has another email"),
                ));
            }
            Err(e) => return Outcome::Failed(LineError::from_error(&e)),
        },
        (None, Some(owner)) => {
            // Our own export read back into the same table: the external id is the account's id.
            if line.external_id.as_deref() == Some(owner.as_str()) {
                return Outcome::Unchanged { id: owner.clone() };
            }
            return Outcome::Failed(LineError::from_error(&Error::EmailTaken));
        }
        (None, None) => {}
    }
    let user = new_user(clock, line, now);
    let id = user.id.clone();
    let activity = Activity {
        id: new_ulid(clock.now()),
        kind: ActivityKind::Registered,
        at: now,
        ip: actor.client.ip.clone(),
        user_agent: actor.client.user_agent.clone(),
        detail: Some(format!("imported by {}", actor.role)),
        actor: Some(actor.id.clone()),
    };
    let event = super::events::imported(clock, &user, &actor.id, line.external_id.as_deref());
    let new = NewUser {
        user,
        activity,
        // Imported accounts are never purged for staying unverified: someone chose to bring them.
        unverified_purge_at: None,
        activation_token: None,
        audit: None,
        mail_counter: None,
        events: vec![event],
    };
    match store.create_imported_user(&new, &line.import_key(), line.external_id.as_deref(), stale.as_ref()).await {
        Ok(()) => Outcome::Created { id, scheme: line.scheme.map(legacy_hashes::Scheme::as_str) },
        Err(Error::UsernameTaken) if line.username_derived => Outcome::Failed(LineError::new(
            "USERNAME_TAKEN",
            format!("the username derived from the email ({}) is taken; give the line a username", line.username),
        )),
        Err(e) => Outcome::Failed(LineError::from_error(&e)),
    }
}

fn new_user(clock: &dyn Clock, line: &ImportLine, now: i64) -> User {
    let id = UserId::generate(clock.now());
    let hash = line.password_hash.clone().unwrap_or_else(|| NO_PASSWORD.to_owned());
    let mut user = User::new_account(id, &line.username, &line.email, hash, line.role, None, now);
    user.email_verified = line.email_verified;
    user.created_at = line.created_at.unwrap_or(now);
    let p = &line.profile;
    for (field, value) in
        [(&mut user.name, &p.name), (&mut user.bio, &p.bio), (&mut user.location, &p.location), (&mut user.website, &p.website)]
    {
        if let Some(v) = value {
            field.clone_from(v);
        }
    }
    if let Some(theme) = p.theme {
        user.preferences.theme = theme;
    }
    if let Some(language) = &p.language {
        user.preferences.language = language.clone();
    }
    if let Some(timezone) = &p.timezone {
        user.preferences.timezone = timezone.clone();
    }
    user
}

/// Splits a file's or a body's text into `(line number, line)`, leaving out blank lines.
pub fn numbered_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty()).collect()
}

/// What `POST /api/admin/users/import` answers.
pub struct ImportReport {
    pub results: Vec<LineResult>,
    pub summary: Summary,
}

/// `POST /api/admin/users/import`: at most [`MAX_LINES_PER_CALL`] lines, one run (one audit
/// entry); with `invite`, each account created without a hash is mailed a link to set its
/// password (the password-reset mail).
pub async fn import_request(app: &App, actor: &Actor, body: &str, invite: bool) -> Result<ImportReport> {
    let lines = numbered_lines(body);
    if lines.len() > MAX_LINES_PER_CALL {
        return Err(Error::PayloadTooLarge);
    }
    if lines.is_empty() {
        return Err(Error::field("body", "must hold at least one JSON object per line"));
    }
    let mut importer = Importer::new(&app.store, app.clock.as_ref(), actor);
    let results = importer.import(&lines).await;
    if invite {
        let ids: Vec<&UserId> = results
            .iter()
            .filter_map(|r| match &r.outcome {
                Outcome::Created { id, scheme: None } => Some(id),
                _ => None,
            })
            .collect();
        importer.summary.invited = invite_all(app, actor, &ids).await;
    }
    let summary = importer.finish().await?;
    Ok(ImportReport { results, summary })
}

/// Mails each of `ids` (accounts created without a hash) the password-reset link that invites
/// them to choose a password; returns how many were sent. A failure is logged and skipped.
pub async fn invite_all(app: &App, actor: &Actor, ids: &[&UserId]) -> usize {
    let mut sent = 0;
    for id in ids {
        let invited = async {
            let Some(user) = app.store.get_user(id).await? else { return Ok(false) };
            if !super::mailing::reserve(app, user.email.as_str(), "password-reset").await? {
                return Ok(false);
            }
            super::password_reset::mail_reset_link(app, &user, &actor.client, app.now()).await
        };
        match invited.await {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(e) => tracing::error!(user = %id, error = format!("{e:#}"), "invitation not sent"),
        }
    }
    sent
}

// ---- export ----------------------------------------------------------------------------------

/// The import line of an account (exactly what [`parse_line`] reads): its hash as stored —
/// argon2id once the person signed in since the import, the original scheme otherwise — and
/// its external id, or its own id for an account that was not imported.
pub fn export_line(exported: &ExportedUser) -> Value {
    let u = &exported.user;
    let mut line = json!({
        "externalId": exported.external_id.clone().unwrap_or_else(|| u.id.to_string()),
        "email": u.email.as_str(),
        "username": u.username.as_str(),
        "emailVerified": u.email_verified,
        "role": u.role.as_str(),
        "createdAt": rfc3339(u.created_at),
        "preferences": {
            "theme": u.preferences.theme.as_str(),
            "language": u.preferences.language.as_str(),
            "timezone": u.preferences.timezone.as_str(),
        },
    });
    for (k, v) in [("name", &u.name), ("bio", &u.bio), ("location", &u.location), ("website", &u.website)] {
        if let Some(v) = v {
            line[k] = Value::String(v.clone());
        }
    }
    if legacy_hashes::parse(&u.password_hash).is_ok() {
        line["passwordHash"] = Value::String(u.password_hash.clone());
    }
    line
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub users: usize,
    /// Accounts whose deletion is scheduled (by them or an admin): left out.
    pub skipped_deleting: usize,
    /// Accounts without a password hash (exported without `passwordHash`).
    pub without_password: usize,
}

/// Every account, one [`export_line`] each, handed to `write` shard by shard in creation order;
/// `progress` after each page with the count so far. For the operator command only: no HTTP
/// route exports hashes.
pub async fn export(
    store: &Store,
    mut write: impl FnMut(&str) -> std::io::Result<()>,
    mut progress: impl FnMut(usize),
) -> anyhow::Result<ExportSummary> {
    let mut summary = ExportSummary::default();
    for shard in 0..USER_SHARDS {
        let mut after: Option<UserId> = None;
        loop {
            let (users, next) = store.export_page(shard, after.as_ref(), 100).await.map_err(|e| anyhow::anyhow!("{e:#}"))?;
            for exported in &users {
                if exported.user.deletion_scheduled_at.is_some() {
                    summary.skipped_deleting += 1;
                    continue;
                }
                let line = export_line(exported);
                if line.get("passwordHash").is_none() {
                    summary.without_password += 1;
                }
                write(&line.to_string())?;
                summary.users += 1;
            }
            progress(summary.users);
            match next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_complete_line_parses() {
        let line = parse_line(
            r#"{"externalId":"auth0|1","email":"Ada@Example.com","username":"ada","emailVerified":true,"role":"donator",
                "createdAt":"2020-01-02T03:04:05Z","name":"Ada Lovelace","website":"https://ada.example",
                "preferences":{"theme":"dark","language":"es","timezone":"Europe/Madrid"},
                "passwordHash":"$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}"#,
            NOW,
        )
        .unwrap();
        assert_eq!(line.email.as_str(), "ada@example.com");
        assert_eq!((line.role, line.email_verified, line.created_at), (Role::Donator, true, Some(1_577_934_245)));
        assert_eq!(line.scheme, Some(legacy_hashes::Scheme::Bcrypt));
        assert_eq!(line.import_key(), "id:auth0|1");
    }

    #[test]
    fn unknown_fields_refuse_the_line() {
        for field in ["mfaEnabled", "bannedUntil", "id", "passwordChangedAt"] {
            let text = format!(r#"{{"email":"a@example.com","{field}":true}}"#);
            let e = parse_line(&text, NOW).unwrap_err();
            assert_eq!(e.code, "VALIDATION_FAILED");
            assert_eq!(e.details[0].field, field, "{e:?}");
        }
    }

    #[test]
    fn every_failing_field_is_listed() {
        let e = parse_line(
            r#"{"email":"nope","username":"a b","role":"root","createdAt":"2999-01-01T00:00:00Z","passwordHash":"$md5$x","name":"x"}"#,
            NOW,
        )
        .unwrap_err();
        let fields: Vec<&str> = e.details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["email", "username", "role", "createdAt", "name", "passwordHash"]);
    }

    #[test]
    fn a_line_that_is_not_an_object_is_invalid_json() {
        for text in ["{", "[]", "\"x\"", "42", "null"] {
            assert_eq!(parse_line(text, NOW).unwrap_err().code, "INVALID_JSON", "{text}");
        }
    }

    #[test]
    fn a_missing_username_is_derived_from_the_email_the_same_way_every_time() {
        let a = parse_line(r#"{"email":"jo.hn+x@example.com"}"#, NOW).unwrap();
        let b = parse_line(r#"{"email":"jo.hn+x@example.com"}"#, NOW).unwrap();
        let other = parse_line(r#"{"email":"jo.hn+x@example.org"}"#, NOW).unwrap();
        assert!(a.username_derived);
        assert_eq!(a.username, b.username);
        assert_ne!(a.username, other.username);
        assert!(a.username.as_str().starts_with("john_x_") || a.username.as_str().starts_with("johnx_"), "{}", a.username);
        assert_eq!(a.import_key(), "email:jo.hn+x@example.com");
    }

    #[test]
    fn blank_lines_keep_the_numbering() {
        assert_eq!(numbered_lines("a\n\n  \nb\r\n"), vec![(1, "a"), (4, "b")]);
    }

    #[test]
    fn an_exported_account_reads_back_as_the_same_line() {
        let line = parse_line(
            r#"{"externalId":"x-1","email":"ada@example.com","username":"ada","emailVerified":true,"createdAt":"2020-01-02T03:04:05Z",
                "bio":"hi","passwordHash":"$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}"#,
            NOW,
        )
        .unwrap();
        let user = new_user(&crate::clock::SystemClock, &line, NOW);
        let text = export_line(&ExportedUser { user, external_id: line.external_id.clone() }).to_string();
        let again = parse_line(&text, NOW).unwrap();
        assert_eq!(again.password_hash, line.password_hash);
        assert_eq!(
            (again.email, again.username, again.created_at, again.email_verified),
            (line.email, line.username, line.created_at, true)
        );
        assert_eq!(again.profile.bio, Some(Some("hi".into())));
    }
}
