//! The lifecycle events of SPEC §3.11, built in one place: which kind a change emits and what
//! its `data` holds (docs/events.md lists them). The store writes each one in the transaction of
//! its change (the outbox); nothing here publishes. Never a secret: no password or its hash, no
//! token, code, key secret, recovery code or MFA seed; personal data only where the kind needs
//! it (`user.created`, `user.updated`, `user.email_changed`, `user.banned`'s reason,
//! `apikey.created`'s name), and none in `user.purged`.

use crate::clock::Clock;
use crate::clock::rfc3339;
use crate::domain::{Event, EventKind, PlanId, Role, User, UserId, new_ulid};
use serde_json::{Value, json};

/// The actor of changes no person made (the purge).
pub const SYSTEM_ACTOR: &str = "system";

/// A new event of `kind` about `user`, now.
pub fn new(clock: &dyn Clock, kind: EventKind, user: &UserId, actor: Option<&str>, data: Value) -> Event {
    Event {
        id: format!("evt_{}", new_ulid(clock.now())),
        kind,
        occurred_at: clock.now_unix(),
        user_id: user.clone(),
        actor: actor.map(str::to_owned),
        data,
    }
}

/// `user.created`: the account as downstream systems need it to create their record.
pub fn created(clock: &dyn Clock, user: &User, actor: Option<&str>) -> Event {
    let data = json!({
        "username": user.username.as_str(),
        "email": user.email.as_str(),
        "emailVerified": user.email_verified,
        "role": user.role.as_str(),
        "plan": user.plan.as_str(),
        "createdAt": rfc3339(user.created_at),
        "via": if actor.is_some() { "admin" } else { "sign-up" },
    });
    new(clock, EventKind::UserCreated, &user.id, actor, data)
}

/// `user.created` of an imported account (SPEC §3.12): as [`created`], with `via` and `source`
/// `import` and the external id it was imported with (never the hash or its scheme).
pub fn imported(clock: &dyn Clock, user: &User, actor: &str, external_id: Option<&str>) -> Event {
    let mut event = created(clock, user, Some(actor));
    event.data["via"] = "import".into();
    event.data["source"] = "import".into();
    event.data["externalId"] = external_id.into();
    event
}

/// `user.activated`: `method` is `code`, `link` or `admin`.
pub fn activated(clock: &dyn Clock, user: &UserId, method: &str, actor: Option<&str>) -> Event {
    new(clock, EventKind::UserActivated, user, actor, json!({ "method": method }))
}

/// `user.updated`: the names of the changed profile fields and their new values (`null` when
/// cleared). `changes` holds only fields of the public profile and preferences.
pub fn updated(clock: &dyn Clock, user: &UserId, changes: serde_json::Map<String, Value>, actor: Option<&str>) -> Event {
    let fields: Vec<String> = changes.keys().cloned().collect();
    new(clock, EventKind::UserUpdated, user, actor, json!({ "fields": fields, "changes": changes }))
}

/// `user.email_changed`: the new address (the old one is what consumers hold already).
pub fn email_changed(clock: &dyn Clock, user: &UserId, new_email: &str, actor: Option<&str>) -> Event {
    new(clock, EventKind::UserEmailChanged, user, actor, json!({ "email": new_email }))
}

/// `user.password_changed`: `method` is `change`, `reset` or `admin`; never the password.
pub fn password_changed(clock: &dyn Clock, user: &UserId, method: &str, actor: Option<&str>) -> Event {
    new(clock, EventKind::UserPasswordChanged, user, actor, json!({ "method": method, "sessionsEnded": true }))
}

/// `user.mfa_enabled` / `user.mfa_disabled` (TOTP).
pub fn mfa(clock: &dyn Clock, user: &UserId, enabled: bool) -> Event {
    let kind = if enabled { EventKind::UserMfaEnabled } else { EventKind::UserMfaDisabled };
    new(clock, kind, user, None, json!({ "method": "totp" }))
}

/// `user.banned`: until when (`null`: permanent) and the moderator's reason.
pub fn banned(clock: &dyn Clock, user: &UserId, until: Option<i64>, reason: &str, actor: &str) -> Event {
    new(clock, EventKind::UserBanned, user, Some(actor), json!({ "until": until.map(rfc3339), "reason": reason }))
}

pub fn unbanned(clock: &dyn Clock, user: &UserId, actor: &str) -> Event {
    new(clock, EventKind::UserUnbanned, user, Some(actor), json!({}))
}

pub fn role_changed(clock: &dyn Clock, user: &UserId, from: Role, to: Role, actor: &str) -> Event {
    new(clock, EventKind::UserRoleChanged, user, Some(actor), json!({ "from": from.as_str(), "to": to.as_str() }))
}

/// `user.deletion_scheduled`: when the purge may remove the account; `by` is `user` or `admin`
/// (the user's free-text reason is not published).
pub fn deletion_scheduled(clock: &dyn Clock, user: &UserId, purge_at: i64, actor: Option<&str>) -> Event {
    let by = if actor.is_some() { "admin" } else { "user" };
    new(clock, EventKind::UserDeletionScheduled, user, actor, json!({ "purgeAt": rfc3339(purge_at), "by": by }))
}

pub fn restored(clock: &dyn Clock, user: &UserId, actor: Option<&str>) -> Event {
    let by = if actor.is_some() { "admin" } else { "user" };
    new(clock, EventKind::UserRestored, user, actor, json!({ "by": by }))
}

/// `user.purged`: only why (`deletion` or `unverified`); nothing personal, by design: a
/// consumer deletes what it holds under `userId`.
pub fn purged(clock: &dyn Clock, user: &UserId, reason: &str) -> Event {
    new(clock, EventKind::UserPurged, user, Some(SYSTEM_ACTOR), json!({ "reason": reason }))
}

/// `user.plan_changed`: `action` is what the subscription call did (`subscribe`, `upgrade`,
/// `downgrade`, `cancel`, `reactivate`).
pub fn plan_changed(clock: &dyn Clock, user: &UserId, from: &PlanId, to: &PlanId, action: &str, expires_at: Option<i64>) -> Event {
    let data = json!({ "from": from.as_str(), "to": to.as_str(), "action": action, "expiresAt": expires_at.map(rfc3339) });
    new(clock, EventKind::UserPlanChanged, user, None, data)
}

/// `apikey.created`: id, name, scopes and expiry; never the secret or its prefix.
pub fn api_key_created(clock: &dyn Clock, user: &UserId, key_id: &str, name: &str, scopes: &[&str], expires_at: Option<i64>) -> Event {
    let data = json!({ "keyId": key_id, "name": name, "scopes": scopes, "expiresAt": expires_at.map(rfc3339) });
    new(clock, EventKind::ApiKeyCreated, user, None, data)
}

pub fn api_key_revoked(clock: &dyn Clock, user: &UserId, key_id: &str) -> Event {
    new(clock, EventKind::ApiKeyRevoked, user, None, json!({ "keyId": key_id }))
}

pub fn session_revoked(clock: &dyn Clock, user: &UserId, session_id: &str) -> Event {
    new(clock, EventKind::SessionRevoked, user, None, json!({ "sessionId": session_id }))
}
