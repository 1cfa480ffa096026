//! User items and their uniqueness markers.
//!
//! `USER#<id> / PROFILE` holds the account; `EMAIL#<email> / EMAIL` and
//! `USERNAME#<lower(username)> / USERNAME` are markers written in the same transaction with
//! `attribute_not_exists`, so uniqueness holds under any concurrency.

use super::{Item, Store, b, get_b, get_n, get_s, is_condition_failure, key, n, req_s, s, sdk_error};
use crate::domain::{
    ActivationState, AppSettings, Language, NotificationSettings, PendingEmailChange, Preferences, PrivacySettings, ProfileUpdate, Role,
    Settings, Theme, Timezone, User, UserId,
};
use crate::error::Error;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use std::collections::HashMap;

pub(crate) const PROFILE: &str = "PROFILE";

pub(crate) fn user_pk(id: &UserId) -> String {
    format!("USER#{id}")
}
pub(crate) fn email_pk(email: &str) -> String {
    format!("EMAIL#{email}")
}
pub(crate) fn username_pk(username_key: &str) -> String {
    format!("USERNAME#{username_key}")
}

/// What register (and an admin's create) writes besides the user item itself.
pub struct NewUser {
    pub user: User,
    /// The "registered" entry of the activity log.
    pub activity: crate::domain::Activity,
    /// When the account is purged if it is never activated (queued in the same transaction);
    /// `None` for an account created already activated.
    pub unverified_purge_at: Option<i64>,
    /// The activation link token item (`TOKEN#<hash>`), written in the same transaction;
    /// `None` for an account created already activated.
    pub activation_token: Option<super::LinkToken>,
    /// The admin audit entry, when an admin (or the bootstrap CLI) creates the account.
    pub audit: Option<super::AuditEntry>,
    /// `(counter pk, window end)`: the recipient's mail counter, counted in the same
    /// transaction for the activation mail that follows (saves a round trip per sign-up).
    pub mail_counter: Option<(String, i64)>,
}

/// A change to an existing user, applied with one `UpdateItem`.
pub type UserPatch = ProfileUpdate;

pub(crate) fn user_to_item(u: &User) -> Item {
    let mut item = key(user_pk(&u.id), PROFILE);
    let mut put = |k: &str, v: AttributeValue| {
        item.insert(k.to_owned(), v);
    };
    put("type", s("user"));
    put("id", s(u.id.as_str()));
    put("username", s(&u.username));
    put("usernameKey", s(u.username.to_ascii_lowercase()));
    put("email", s(&u.email));
    put("passwordHash", s(&u.password_hash));
    put("role", s(u.role.as_str()));
    put("plan", s(&u.plan));
    put("theme", s(u.preferences.theme.as_str()));
    put("language", s(u.preferences.language.as_str()));
    put("timezone", s(u.preferences.timezone.as_str()));
    put("emailVerified", b(u.email_verified));
    put("mfaEnabled", b(u.mfa_enabled));
    put("createdAt", n(u.created_at));
    put("updatedAt", n(u.updated_at));
    put("failedLogins", n(i64::from(u.failed_logins)));
    put("version", n(u.version));
    // Every user is in the listing and search indexes from the start (store/admin.rs).
    for (k, v) in super::admin::index_attributes(u) {
        put(k, v);
    }
    for (k, v) in [
        ("name", &u.name),
        ("bio", &u.bio),
        ("location", &u.location),
        ("website", &u.website),
        ("avatarKey", &u.avatar_key),
        ("banReason", &u.ban_reason),
    ] {
        if let Some(v) = v {
            put(k, s(v));
        }
    }
    if let Some(t) = u.last_login_at {
        put("lastLoginAt", n(t));
    }
    if let Some(t) = u.plan_expires_at {
        put("planExpiresAt", n(t));
    }
    match u.banned_until {
        Some(None) => put("banned", b(true)),
        Some(Some(until)) => {
            put("banned", b(true));
            put("bannedUntil", n(until));
        }
        None => {}
    }
    if let Some(t) = u.deletion_scheduled_at {
        put("deletionScheduledAt", n(t));
    }
    put("settings", settings_to_attr(&u.settings));
    if let Some(c) = &u.email_change {
        put("emailChangeTokenHash", s(&c.token_hash));
        put("emailChangeSentAt", n(c.sent_at));
    }
    if let Some(t) = u.purge_at {
        put("purgeAt", n(t));
    }
    if let Some(c) = &u.session_cutoff {
        put("sessionEpoch", n(c.epoch));
        if let Some(keep) = &c.keep {
            put("sessionEpochKeep", s(keep));
        }
    }
    if let Some(by) = &u.deleted_by {
        put("deletedBy", s(by));
    }
    if let Some(a) = &u.activation {
        put("actCodeHash", s(&a.code_hash));
        put("actTokenHash", s(&a.token_hash));
        put("actExpiresAt", n(a.expires_at));
        put("actAttempts", n(i64::from(a.attempts)));
        put("actSentAt", n(a.sent_at));
    }
    item
}

pub(crate) fn user_from_item(item: &Item) -> Result<User, Error> {
    let id = UserId::parse(&req_s(item, "id")?).ok_or_else(|| Error::internal(anyhow::anyhow!("stored user id malformed")))?;
    let defaults = Preferences::default();
    let activation = match (get_s(item, "actCodeHash"), get_s(item, "actTokenHash")) {
        (Some(code_hash), Some(token_hash)) => Some(ActivationState {
            code_hash,
            token_hash,
            expires_at: get_n(item, "actExpiresAt").unwrap_or(0),
            attempts: get_n(item, "actAttempts").unwrap_or(0).try_into().unwrap_or(u32::MAX),
            sent_at: get_n(item, "actSentAt").unwrap_or(0),
        }),
        _ => None,
    };
    Ok(User {
        id,
        username: req_s(item, "username")?,
        email: req_s(item, "email")?,
        password_hash: req_s(item, "passwordHash")?,
        role: get_s(item, "role").as_deref().and_then(Role::parse).unwrap_or(Role::User),
        plan: get_s(item, "plan").unwrap_or_else(|| "FREE".into()),
        plan_expires_at: get_n(item, "planExpiresAt"),
        usage: super::usage::counters_from_item(item),
        name: get_s(item, "name"),
        bio: get_s(item, "bio"),
        location: get_s(item, "location"),
        website: get_s(item, "website"),
        avatar_key: get_s(item, "avatarKey"),
        preferences: Preferences {
            theme: get_s(item, "theme").as_deref().and_then(Theme::parse).unwrap_or(defaults.theme),
            language: get_s(item, "language").as_deref().and_then(Language::parse).unwrap_or(defaults.language),
            timezone: get_s(item, "timezone").as_deref().and_then(Timezone::parse).unwrap_or(defaults.timezone),
        },
        email_verified: get_b(item, "emailVerified").unwrap_or(false),
        mfa_enabled: get_b(item, "mfaEnabled").unwrap_or(false),
        created_at: get_n(item, "createdAt").unwrap_or(0),
        updated_at: get_n(item, "updatedAt").unwrap_or(0),
        last_login_at: get_n(item, "lastLoginAt"),
        banned_until: get_b(item, "banned").filter(|b| *b).map(|_| get_n(item, "bannedUntil")),
        ban_reason: get_s(item, "banReason"),
        deletion_scheduled_at: get_n(item, "deletionScheduledAt"),
        purge_at: get_n(item, "purgeAt"),
        deleted_by: get_s(item, "deletedBy"),
        rating: crate::domain::Rating::clamped(get_n(item, "rating").unwrap_or(0)).value(),
        failed_logins: get_n(item, "failedLogins").unwrap_or(0).try_into().unwrap_or(u32::MAX),
        last_failed_login_at: get_n(item, "lastFailedLoginAt"),
        activation,
        reset_token_hash: get_s(item, "resetTokenHash"),
        reset_sent_at: get_n(item, "resetSentAt"),
        settings: settings_from_attr(item.get("settings"), get_n(item, "createdAt").unwrap_or(0)),
        email_change: get_s(item, "emailChangeTokenHash")
            .map(|token_hash| PendingEmailChange { token_hash, sent_at: get_n(item, "emailChangeSentAt").unwrap_or(0) }),
        session_cutoff: get_n(item, "sessionEpoch")
            .map(|epoch| crate::domain::SessionCutoff { epoch, keep: get_s(item, "sessionEpochKeep") }),
        version: get_n(item, "version").unwrap_or(0),
    })
}

/// `settings` is one map attribute on the user item (`{notifications: M, privacy: M, app: M,
/// updatedAt: N}`), so reading it costs nothing beyond the auth read and a partial change is
/// one `UpdateItem` of nested paths.
pub(crate) fn settings_to_attr(x: &Settings) -> AttributeValue {
    let bools = |pairs: &[(&str, bool)]| {
        AttributeValue::M(pairs.iter().map(|(k, v)| ((*k).to_owned(), b(*v))).collect::<HashMap<String, AttributeValue>>())
    };
    let nt = &x.notifications;
    let notifications = bools(&[
        ("email", nt.email),
        ("push", nt.push),
        ("uploads", nt.uploads),
        ("sharing", nt.sharing),
        ("storage", nt.storage),
        ("security", nt.security),
        ("marketing", nt.marketing),
    ]);
    let p = &x.privacy;
    let privacy = bools(&[("publicProfile", p.public_profile), ("showActivity", p.show_activity), ("allowIndexing", p.allow_indexing)]);
    let a = &x.app;
    let mut app: HashMap<String, AttributeValue> =
        [("autoUpload", a.auto_upload), ("compressionEnabled", a.compression_enabled), ("thumbnailGeneration", a.thumbnail_generation)]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), b(*v)))
            .collect();
    app.insert("defaultFolder".into(), s(&a.default_folder));
    AttributeValue::M(HashMap::from([
        ("notifications".to_owned(), notifications),
        ("privacy".to_owned(), privacy),
        ("app".to_owned(), AttributeValue::M(app)),
        ("updatedAt".to_owned(), n(x.updated_at)),
    ]))
}

/// Reads the settings map; anything missing (an item written before settings existed, a key
/// added later) takes its default.
pub(crate) fn settings_from_attr(attr: Option<&AttributeValue>, created_at: i64) -> Settings {
    let d = Settings::defaults(created_at);
    let Some(AttributeValue::M(m)) = attr else { return d };
    let group = |name: &str| match m.get(name) {
        Some(AttributeValue::M(g)) => g.clone(),
        _ => HashMap::new(),
    };
    let (nt, p, a) = (group("notifications"), group("privacy"), group("app"));
    let flag = |g: &HashMap<String, AttributeValue>, k: &str, default: bool| get_b(g, k).unwrap_or(default);
    Settings {
        notifications: NotificationSettings {
            email: flag(&nt, "email", d.notifications.email),
            push: flag(&nt, "push", d.notifications.push),
            uploads: flag(&nt, "uploads", d.notifications.uploads),
            sharing: flag(&nt, "sharing", d.notifications.sharing),
            storage: flag(&nt, "storage", d.notifications.storage),
            security: flag(&nt, "security", d.notifications.security),
            marketing: flag(&nt, "marketing", d.notifications.marketing),
        },
        privacy: PrivacySettings {
            public_profile: flag(&p, "publicProfile", d.privacy.public_profile),
            show_activity: flag(&p, "showActivity", d.privacy.show_activity),
            allow_indexing: flag(&p, "allowIndexing", d.privacy.allow_indexing),
        },
        app: AppSettings {
            auto_upload: flag(&a, "autoUpload", d.app.auto_upload),
            compression_enabled: flag(&a, "compressionEnabled", d.app.compression_enabled),
            thumbnail_generation: flag(&a, "thumbnailGeneration", d.app.thumbnail_generation),
            default_folder: get_s(&a, "defaultFolder").unwrap_or(d.app.default_folder),
        },
        updated_at: get_n(m, "updatedAt").unwrap_or(created_at),
    }
}

pub(crate) fn marker(pk: String, sk: &str, user: &UserId) -> Item {
    let mut item = key(pk, sk);
    item.insert("userId".into(), s(user.as_str()));
    item
}

/// Which identifier a login names.
pub enum LoginName<'a> {
    Email(&'a str),
    Username(&'a str),
}

impl Store {
    /// Register (and an admin's create): the user, both uniqueness markers, the activation link
    /// token, the activity entry and, for an admin account, the admin count — all or nothing.
    pub async fn create_user(&self, new: &NewUser) -> Result<(), Error> {
        let u = &new.user;
        let not_exists = "attribute_not_exists(pk)";
        let put = |item: Item| Put::builder().table_name(&self.table).set_item(Some(item)).condition_expression(not_exists).build();
        // The user item says whose it is when its put fails: a retry after a lost response.
        let user_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(user_to_item(u)))
            .condition_expression(not_exists)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()?;
        let mut items = vec![
            TransactWriteItem::builder().put(user_put).build(),
            TransactWriteItem::builder().put(put(marker(email_pk(&u.email), "EMAIL", &u.id))?).build(),
            TransactWriteItem::builder().put(put(marker(username_pk(&u.username.to_ascii_lowercase()), "USERNAME", &u.id))?).build(),
            super::activity::activity_put(self, &u.id, &new.activity)?,
        ];
        if let Some(due) = new.unverified_purge_at {
            items.push(super::lifecycle::queue_put(self, &u.id, due, super::lifecycle::PurgeKind::Unverified)?);
        }
        if let Some(token) = &new.activation_token {
            items.push(TransactWriteItem::builder().put(put(super::tokens::link_token_item(token))?).build());
        }
        if u.is_counted_admin() {
            items.push(self.admin_count_change(1)?);
        }
        if let Some(audit) = &new.audit {
            items.push(self.audit_put(audit)?);
        }
        if let Some((pk, expires_at)) = &new.mail_counter {
            items.push(self.counter_add(pk, *expires_at)?);
        }
        match self.transact_detailed("register", items).await? {
            Ok(()) => Ok(()),
            // Our new id is a fresh ULID: only this transaction's own first attempt wrote it.
            Err(reasons) if reasons.first().is_some_and(|r| r.holds("id", u.id.as_str())) => {
                tracing::info!(user = %u.id, "register: a retried transaction found its own first attempt committed");
                Ok(())
            }
            Err(reasons) => {
                let failed = |i: usize| reasons.get(i).is_some_and(super::CancelReason::condition_failed);
                if failed(1) {
                    Err(Error::EmailTaken)
                } else if failed(2) {
                    Err(Error::UsernameTaken)
                } else {
                    Err(Error::Conflict)
                }
            }
        }
    }

    /// Strongly consistent read of one user.
    pub async fn get_user(&self, id: &UserId) -> Result<Option<User>, Error> {
        self.user_item(id, "get user").await?.as_ref().map(user_from_item).transpose()
    }

    /// The raw user item (strongly consistent), for readers that need attributes beyond `User`.
    pub(crate) async fn user_item(&self, id: &UserId, op: &str) -> Result<Option<Item>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error(op, e))?;
        Ok(out.item)
    }

    /// Adds one to a per-user attempt counter (`attr`) while `guard` exists and the counter is
    /// under `max`; false once the attempts are used up (or nothing is pending).
    pub(crate) async fn count_attempt(&self, id: &UserId, attr: &str, guard: &str, max: u32, op: &str) -> Result<bool, Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression(format!("ADD {attr} :one"))
            .condition_expression(format!("attribute_exists({guard}) AND {attr} < :max"))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(i64::from(max)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failure(&e) => Ok(false),
            Err(e) => Err(sdk_error(op, e)),
        }
    }

    /// Resolves a login name to a user id, and reads a counter item in the same round trip
    /// (the client address's recent failures).
    pub async fn resolve_login(&self, name: LoginName<'_>, counter_pk: &str) -> Result<(Option<UserId>, i64), Error> {
        let (pk, sk) = match name {
            LoginName::Email(e) => (email_pk(e), "EMAIL"),
            LoginName::Username(u) => (username_pk(&u.to_ascii_lowercase()), "USERNAME"),
        };
        let keys = KeysAndAttributes::builder().keys(key(pk.clone(), sk)).keys(key(counter_pk, "RATE")).consistent_read(true).build()?;
        let out = self.client.batch_get_item().request_items(&self.table, keys).send().await.map_err(|e| sdk_error("resolve login", e))?;
        let items = out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default();
        let mut user = None;
        let mut failures = 0;
        for item in &items {
            if get_s(item, "pk").as_deref() == Some(pk.as_str()) {
                user = get_s(item, "userId").as_deref().and_then(UserId::parse);
            } else {
                failures = get_n(item, "count").unwrap_or(0);
            }
        }
        Ok((user, failures))
    }

    /// Looks up the user id behind an email marker.
    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<UserId>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(email_pk(email), "EMAIL")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("get email marker", e))?;
        Ok(out.item.and_then(|i| get_s(&i, "userId")).as_deref().and_then(UserId::parse))
    }

    /// Counts a failed password for the account (the lockout reads it back).
    pub async fn record_login_failure(&self, id: &UserId, now: i64) -> Result<(), Error> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression("ADD failedLogins :one SET lastFailedLoginAt = :now")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(sdk_error("record login failure", e)),
        }
    }

    /// Stores a password hash made with today's parameters (after a successful verification).
    pub async fn upgrade_password_hash(&self, id: &UserId, hash: &str) -> Result<(), Error> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression("SET passwordHash = :p")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":p", s(hash))
            .send()
            .await
            .map_err(|e| sdk_error("upgrade password hash", e))?;
        Ok(())
    }

    /// Applies a validated profile change and returns the updated user.
    pub async fn update_profile(&self, id: &UserId, patch: &UserPatch, now: i64) -> Result<User, Error> {
        let mut sets = vec!["updatedAt = :now".to_owned(), "version = version + :one".to_owned()];
        let mut removes = Vec::new();
        let mut values: HashMap<String, AttributeValue> = HashMap::from([(":now".into(), n(now)), (":one".into(), n(1))]);
        for (attr, change) in [("name", &patch.name), ("bio", &patch.bio), ("location", &patch.location), ("website", &patch.website)] {
            match change {
                Some(Some(v)) => {
                    sets.push(format!("{attr} = :{attr}"));
                    values.insert(format!(":{attr}"), s(v));
                }
                Some(None) => removes.push(attr.to_owned()),
                None => {}
            }
        }
        let prefs = [
            ("theme", patch.theme.map(|t| t.as_str().to_owned())),
            ("language", patch.language.as_ref().map(|l| l.as_str().to_owned())),
            ("timezone", patch.timezone.as_ref().map(|t| t.as_str().to_owned())),
        ];
        for (attr, value) in prefs {
            if let Some(v) = value {
                sets.push(format!("{attr} = :{attr}"));
                values.insert(format!(":{attr}"), s(v));
            }
        }
        // `name` and `location` are DynamoDB reserved words: alias every attribute we touch.
        let mut expression = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        let mut names = HashMap::new();
        for attr in ["name", "bio", "location", "website", "theme", "language", "timezone", "version", "updatedAt"] {
            if expression.contains(attr) {
                expression = replace_attr(&expression, attr);
                names.insert(format!("#{attr}"), attr.to_owned());
            }
        }
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression(expression)
            .condition_expression("attribute_exists(pk)")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match out {
            Ok(o) => o.attributes.as_ref().map(user_from_item).transpose()?.ok_or(Error::UserNotFound),
            Err(e) if is_condition_failure(&e) => Err(Error::UserNotFound),
            Err(e) => Err(sdk_error("update profile", e)),
        }
    }

    /// Activation by link or code: marks the email verified and removes the activation state
    /// and its link token, only if the state is still the one the caller saw. An account whose
    /// stored status is `unverified` moves to `active` in the listing indexes in the same write;
    /// one that is banned or deleted meanwhile keeps its status (a second, rare attempt).
    pub async fn complete_activation(&self, id: &UserId, token_hash: &str, now: i64) -> Result<bool, Error> {
        for move_status in [true, false] {
            let mut expression =
                "SET emailVerified = :t, updatedAt = :now, version = version + :one REMOVE actCodeHash, actTokenHash, actExpiresAt, actAttempts, actSentAt"
                    .to_owned();
            let mut condition = "actTokenHash = :h AND actExpiresAt > :now".to_owned();
            let mut update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(user_pk(id), PROFILE)))
                .expression_attribute_values(":t", b(true))
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":h", s(token_hash));
            if move_status {
                let (status_attr, status_key) = super::admin::status_index_value(id, crate::domain::UserStatus::Active);
                expression = expression.replacen("SET ", &format!("SET {status_attr} = :sk, ustatus = :active, "), 1);
                condition.push_str(" AND ustatus = :unverified");
                update = update
                    .expression_attribute_values(":sk", s(status_key))
                    .expression_attribute_values(":active", s(crate::domain::UserStatus::Active.as_str()))
                    .expression_attribute_values(":unverified", s(crate::domain::UserStatus::Unverified.as_str()));
            }
            let update = update.update_expression(expression).condition_expression(condition).build()?;
            let delete =
                Delete::builder().table_name(&self.table).set_key(Some(key(super::tokens::token_pk(token_hash), "TOKEN"))).build()?;
            let items = vec![TransactWriteItem::builder().update(update).build(), TransactWriteItem::builder().delete(delete).build()];
            if self.transact("activate", items).await?.is_ok() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Counts a wrong activation code; fails (false) once the attempts are used up.
    pub async fn count_activation_attempt(&self, id: &UserId, max: u32) -> Result<bool, Error> {
        self.count_attempt(id, "actAttempts", "actCodeHash", max, "count activation attempt").await
    }

    /// Replaces the pending activation (new code and link), unless one was sent less than
    /// `min_interval` seconds ago. Returns false when throttled or already activated.
    pub async fn replace_activation(
        &self,
        id: &UserId,
        old_token_hash: Option<&str>,
        next: &ActivationState,
        token: &super::LinkToken,
        min_interval: i64,
    ) -> Result<bool, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression("SET actCodeHash = :c, actTokenHash = :h, actExpiresAt = :e, actAttempts = :zero, actSentAt = :now")
            .condition_expression("emailVerified = :f AND (attribute_not_exists(actSentAt) OR actSentAt <= :cutoff)")
            .expression_attribute_values(":c", s(&next.code_hash))
            .expression_attribute_values(":h", s(&next.token_hash))
            .expression_attribute_values(":e", n(next.expires_at))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":now", n(next.sent_at))
            .expression_attribute_values(":f", b(false))
            .expression_attribute_values(":cutoff", n(next.sent_at - min_interval))
            .build()?;
        let put = Put::builder().table_name(&self.table).set_item(Some(super::tokens::link_token_item(token))).build()?;
        let mut items = vec![TransactWriteItem::builder().update(update).build(), TransactWriteItem::builder().put(put).build()];
        if let Some(old) = old_token_hash {
            let delete = Delete::builder().table_name(&self.table).set_key(Some(key(super::tokens::token_pk(old), "TOKEN"))).build()?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        Ok(self.transact("resend activation", items).await?.is_ok())
    }

    /// Starts a password reset: remembers the newest token's hash on the user (so only the
    /// newest link works) unless a reset mail went out less than `min_interval` seconds ago.
    pub async fn start_reset(&self, user: &User, token: &super::LinkToken, now: i64, min_interval: i64) -> Result<bool, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(&user.id), PROFILE)))
            .update_expression("SET resetTokenHash = :h, resetSentAt = :now")
            .condition_expression("attribute_exists(pk) AND (attribute_not_exists(resetSentAt) OR resetSentAt <= :cutoff)")
            .expression_attribute_values(":h", s(&token.hash))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":cutoff", n(now - min_interval))
            .build()?;
        let put = Put::builder().table_name(&self.table).set_item(Some(super::tokens::link_token_item(token))).build()?;
        let mut items = vec![TransactWriteItem::builder().update(update).build(), TransactWriteItem::builder().put(put).build()];
        if let Some(old) = &user.reset_token_hash {
            let delete = Delete::builder().table_name(&self.table).set_key(Some(key(super::tokens::token_pk(old), "TOKEN"))).build()?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        Ok(self.transact("start reset", items).await?.is_ok())
    }

    /// Sets the new password and consumes the reset token, only if it is still the newest one.
    /// A pending email change is voided too: whoever asked for it knew the old password.
    /// Every session opened before is refused from then on (`ADD sessionEpoch`, no session kept:
    /// `User::session_cut_off`).
    pub async fn complete_reset(&self, id: &UserId, token_hash: &str, password_hash: &str, now: i64) -> Result<bool, Error> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(id), PROFILE)))
            .update_expression("SET passwordHash = :p, updatedAt = :now, failedLogins = :zero, passwordChangedAt = :now, version = version + :one ADD sessionEpoch :one REMOVE resetTokenHash, lastFailedLoginAt, emailChangeTokenHash, emailChangeSentAt, sessionEpochKeep")
            .condition_expression("resetTokenHash = :h")
            .expression_attribute_values(":p", s(password_hash))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":h", s(token_hash))
            .build()?;
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(super::tokens::token_pk(token_hash), "TOKEN")))
            .condition_expression("attribute_exists(pk)")
            .build()?;
        let items = vec![TransactWriteItem::builder().update(update).build(), TransactWriteItem::builder().delete(delete).build()];
        Ok(self.transact("complete reset", items).await?.is_ok())
    }
}

/// Replaces whole-word occurrences of `attr` with `#attr` in an update expression.
fn replace_attr(expression: &str, attr: &str) -> String {
    let mut out = String::with_capacity(expression.len() + 8);
    let bytes = expression.as_bytes();
    let mut i = 0;
    while i < expression.len() {
        let rest = &expression[i..];
        let before_ok =
            i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b':' || bytes[i - 1] == b'#' || bytes[i - 1] == b'_');
        let after = i + attr.len();
        let after_ok = after >= expression.len() || !(bytes[after].is_ascii_alphanumeric() || bytes[after] == b'_');
        if rest.starts_with(attr) && before_ok && after_ok {
            out.push('#');
            out.push_str(attr);
            i = after;
        } else {
            let ch = rest.chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names_are_aliased_but_placeholders_are_not() {
        assert_eq!(replace_attr("SET name = :name, bio = :bio REMOVE location", "name"), "SET #name = :name, bio = :bio REMOVE location");
        assert_eq!(replace_attr("SET location = :location", "location"), "SET #location = :location");
        assert_eq!(replace_attr("SET username = :u", "name"), "SET username = :u");
    }
}
