//! Lifecycle events (SPEC §3.11): what downstream systems learn about an account. An event is
//! written to the table's outbox in the same transaction as the change it reports and published
//! on EventBridge by the `events` function; the kinds and the data each carries are in
//! `docs/events.md`. An event never holds a secret (no hash, token, code or key), and personal
//! data only where its kind needs it.

use super::UserId;

/// The kinds, as their stable `DetailType` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    UserCreated,
    UserActivated,
    UserUpdated,
    UserEmailChanged,
    UserPasswordChanged,
    UserMfaEnabled,
    UserMfaDisabled,
    UserBanned,
    UserUnbanned,
    UserRoleChanged,
    UserDeletionScheduled,
    UserRestored,
    UserPurged,
    UserPlanChanged,
    ApiKeyCreated,
    ApiKeyRevoked,
    SessionRevoked,
}

impl EventKind {
    pub const ALL: [EventKind; 17] = [
        EventKind::UserCreated,
        EventKind::UserActivated,
        EventKind::UserUpdated,
        EventKind::UserEmailChanged,
        EventKind::UserPasswordChanged,
        EventKind::UserMfaEnabled,
        EventKind::UserMfaDisabled,
        EventKind::UserBanned,
        EventKind::UserUnbanned,
        EventKind::UserRoleChanged,
        EventKind::UserDeletionScheduled,
        EventKind::UserRestored,
        EventKind::UserPurged,
        EventKind::UserPlanChanged,
        EventKind::ApiKeyCreated,
        EventKind::ApiKeyRevoked,
        EventKind::SessionRevoked,
    ];

    pub fn as_str(self) -> &'static str {
        use EventKind::*;
        match self {
            UserCreated => "user.created",
            UserActivated => "user.activated",
            UserUpdated => "user.updated",
            UserEmailChanged => "user.email_changed",
            UserPasswordChanged => "user.password_changed",
            UserMfaEnabled => "user.mfa_enabled",
            UserMfaDisabled => "user.mfa_disabled",
            UserBanned => "user.banned",
            UserUnbanned => "user.unbanned",
            UserRoleChanged => "user.role_changed",
            UserDeletionScheduled => "user.deletion_scheduled",
            UserRestored => "user.restored",
            UserPurged => "user.purged",
            UserPlanChanged => "user.plan_changed",
            ApiKeyCreated => "apikey.created",
            ApiKeyRevoked => "apikey.revoked",
            SessionRevoked => "session.revoked",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One event as it goes into the outbox: the envelope's `Detail`
/// (`{id, type, occurredAt, userId, actor?, data}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `evt_<ULID>`: unique, the consumers' de-duplication key.
    pub id: String,
    pub kind: EventKind,
    /// Unix seconds of the change.
    pub occurred_at: i64,
    pub user_id: UserId,
    /// Who made the change when it was not the user: an admin's or moderator's id, or `system`
    /// (the purge).
    pub actor: Option<String>,
    /// The kind's data (docs/events.md); an object, never a secret.
    pub data: serde_json::Value,
}

impl Event {
    /// The `Detail` JSON object published on EventBridge.
    pub fn detail(&self) -> serde_json::Value {
        let mut detail = serde_json::json!({
            "id": self.id,
            "type": self.kind.as_str(),
            "occurredAt": crate::clock::rfc3339(self.occurred_at),
            "userId": self.user_id.as_str(),
            "data": self.data,
        });
        if let Some(actor) = &self.actor {
            detail["actor"] = serde_json::Value::String(actor.clone());
        }
        detail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_distinct_name_that_parses_back() {
        let names: std::collections::HashSet<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), EventKind::ALL.len());
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("user.nothing"), None);
    }

    #[test]
    fn the_detail_is_the_documented_envelope() {
        let user = UserId::parse("usr_01HZZZZZZZZZZZZZZZZZZZZZZZ").unwrap();
        let event = Event {
            id: "evt_01J0000000000000000000000".into(),
            kind: EventKind::UserBanned,
            occurred_at: 0,
            user_id: user,
            actor: Some("usr_01HAAAAAAAAAAAAAAAAAAAAAAA".into()),
            data: serde_json::json!({"until": null}),
        };
        let detail = event.detail();
        assert_eq!(detail["type"], "user.banned");
        assert_eq!(detail["occurredAt"], "1970-01-01T00:00:00Z");
        assert_eq!(detail["userId"], "usr_01HZZZZZZZZZZZZZZZZZZZZZZZ");
        assert_eq!(detail["actor"], "usr_01HAAAAAAAAAAAAAAAAAAAAAAA");
        let without = Event { actor: None, ..event }.detail();
        assert!(without.get("actor").is_none(), "actor is left out when the user acted: {without}");
    }
}
