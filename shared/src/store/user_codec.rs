//! The user item ⇄ [`User`] codec and the keys of a user's items.
//!
//! `USER#<id> / PROFILE` holds the account; `EMAIL#<email> / EMAIL` and
//! `USERNAME#<lower(username)> / USERNAME` are its uniqueness markers (`userId` names the
//! owner). Every writer of a whole user item goes through [`user_to_item`], which also writes
//! the listing index attributes (`user_index.rs`).

use super::{Item, b, get_b, get_n, get_s, key, n, req_s, s};
use crate::domain::{
    ActivationState, AppSettings, Email, Language, NotificationSettings, PendingEmailChange, PlanId, Preferences, PrivacySettings, Role,
    Settings, Theme, Timezone, User, UserId, Username,
};
use crate::error::Error;
use aws_sdk_dynamodb::types::AttributeValue;
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

pub(crate) fn user_to_item(u: &User) -> Item {
    let mut item = key(user_pk(&u.id), PROFILE);
    let mut put = |k: &str, v: AttributeValue| {
        item.insert(k.to_owned(), v);
    };
    put("type", s("user"));
    put("id", s(u.id.as_str()));
    put("username", s(u.username.as_str()));
    put("usernameKey", s(u.username.key()));
    put("email", s(u.email.as_str()));
    put("passwordHash", s(&u.password_hash));
    put("role", s(u.role.as_str()));
    put("plan", s(u.plan.as_str()));
    put("theme", s(u.preferences.theme.as_str()));
    put("language", s(u.preferences.language.as_str()));
    put("timezone", s(u.preferences.timezone.as_str()));
    put("emailVerified", b(u.email_verified));
    put("mfaEnabled", b(u.mfa_enabled));
    put("createdAt", n(u.created_at));
    put("updatedAt", n(u.updated_at));
    put("failedLogins", n(i64::from(u.failed_logins)));
    put("version", n(u.version));
    // Every user is in the listing and search indexes from the start (store/user_index.rs).
    for (k, v) in super::user_index::index_attributes(u) {
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
    if u.key_epoch > 0 {
        put("keyEpoch", n(u.key_epoch));
    }
    if let Some(m) = &u.mail_suppression {
        for (k, v) in super::suppression::user_attributes(u.email.as_str(), m) {
            put(k, v);
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
        username: Username::from_stored(req_s(item, "username")?),
        email: Email::from_stored(req_s(item, "email")?),
        password_hash: req_s(item, "passwordHash")?,
        role: get_s(item, "role").as_deref().and_then(Role::parse).unwrap_or(Role::User),
        plan: get_s(item, "plan").map_or(PlanId::Free, |p| PlanId::from_stored(&p)),
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
        key_epoch: get_n(item, "keyEpoch").unwrap_or(0),
        mail_suppression: super::suppression::from_user_item(item),
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
