//! The user entity and its identifying values.

use super::{PlanId, Preferences, SessionId, Settings, UsageCounters, UserId};
use crate::error::FieldError;

/// An email address, trimmed and lower-cased (SPEC §3.1: normalised to lower case, unique).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let normalised = raw.trim().to_lowercase();
        if normalised.len() > 254 || !email_address::EmailAddress::is_valid(&normalised) {
            return Err(FieldError::new(field, "must be a valid email address"));
        }
        // Addresses without a dot in the domain (`a@localhost`) are valid RFC 5322 but not deliverable.
        let domain = normalised.rsplit('@').next().unwrap_or_default();
        if !domain.contains('.') || domain.starts_with('[') {
            return Err(FieldError::new(field, "must be a valid email address"));
        }
        Ok(Self(normalised))
    }

    /// An address as the store holds it: it was parsed when it was written, so it is not
    /// checked again (a read never fails on a rule that changed since).
    pub(crate) fn from_stored(stored: String) -> Self {
        Self(stored)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs: `a***@example.com`.
    pub fn redacted(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or((&self.0, ""));
        format!("{}***@{domain}", local.chars().next().unwrap_or('*'))
    }
}

/// A username: 3–30 of `[A-Za-z0-9_]`, shown as typed, unique case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// A username is public (profiles show it), so it prints as itself; an [`Email`] has no
/// `Display`, so it cannot reach a log or a message without an explicit `as_str`/`redacted`.
impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Username {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let ok_chars = raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !(3..=30).contains(&raw.len()) || !ok_chars {
            return Err(FieldError::new(field, "must be 3-30 characters of letters, digits and _"));
        }
        Ok(Self(raw.to_owned()))
    }
    /// A username as the store holds it (parsed when it was written; see [`Email::from_stored`]).
    pub(crate) fn from_stored(stored: String) -> Self {
        Self(stored)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The uniqueness key.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Donator,
    Moderator,
    Admin,
}

impl Role {
    pub const ALL: [Self; 4] = [Self::User, Self::Donator, Self::Moderator, Self::Admin];

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "user" => Some(Self::User),
            "donator" => Some(Self::Donator),
            "moderator" => Some(Self::Moderator),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Donator => "donator",
            Self::Moderator => "moderator",
            Self::Admin => "admin",
        }
    }
}

/// What the account is allowed to do right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    Unverified,
    Banned,
    /// The user asked for deletion (self-service); the grace period runs.
    PendingDeletion,
    /// An admin soft-deleted the account; the grace period runs.
    Deleted,
}

impl UserStatus {
    pub const ALL: [Self; 5] = [Self::Active, Self::Unverified, Self::Banned, Self::PendingDeletion, Self::Deleted];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Unverified => "unverified",
            Self::Banned => "banned",
            Self::PendingDeletion => "pending_deletion",
            Self::Deleted => "deleted",
        }
    }
}

/// A user's rating (seed 001): a whole number in `-1_000_000_000..=1_000_000_000`, so it fits
/// a fixed-width, order-preserving index key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rating(i64);

impl Rating {
    pub const MIN: i64 = -1_000_000_000;
    pub const MAX: i64 = 1_000_000_000;

    pub fn parse(raw: i64, field: &str) -> Result<Self, FieldError> {
        if (Self::MIN..=Self::MAX).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(FieldError::new(field, "must be a whole number from -1000000000 to 1000000000"))
        }
    }
    /// A stored value, clamped into range (never fails on read).
    pub fn clamped(raw: i64) -> Self {
        Self(raw.clamp(Self::MIN, Self::MAX))
    }
    pub fn value(self) -> i64 {
        self.0
    }
    /// Fixed-width and non-negative, so string order is numeric order.
    pub fn sort_key(self) -> String {
        format!("{:010}", self.0 - Self::MIN)
    }
}

/// The pending activation of a new account: a 6-digit code and a link token, both stored as hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationState {
    pub code_hash: String,
    pub token_hash: String,
    pub expires_at: i64,
    pub attempts: u32,
    pub sent_at: i64,
}

impl ActivationState {
    /// How long an activation code and link stay valid (SPEC §3.1: 24 hours).
    pub const TTL_SECS: i64 = 24 * 3600;

    /// A fresh activation sent at `now`: no wrong codes yet, valid for [`Self::TTL_SECS`].
    pub fn new(code_hash: String, token_hash: String, now: i64) -> Self {
        Self { code_hash, token_hash, expires_at: now + Self::TTL_SECS, attempts: 0, sent_at: now }
    }
}

/// A requested email change waiting for its link to be opened: only the newest link works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEmailChange {
    pub token_hash: String,
    pub sent_at: i64,
}

/// The sessions a password change or reset ended, as a rule rather than only as deletions. Every
/// change or reset moves the account's session `epoch` up by one; a session (and its refresh
/// tokens) carries the epoch it was opened in, and one from an earlier epoch is refused unless
/// it is `keep` (the session that changed the password; none for a reset). Deleting those
/// sessions afterwards is cleanup; if it fails, they are refused all the same
/// (docs/resilience.md). No clock is involved, so skew and same-millisecond races cannot matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCutoff {
    pub epoch: i64,
    pub keep: Option<String>,
}

/// A stored account. Times are Unix seconds.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    pub email: Email,
    pub password_hash: String,
    pub role: Role,
    /// The plan as stored; see [`User::effective_plan`].
    pub plan: PlanId,
    /// When a cancelled paid plan runs out (the end of its last paid period).
    pub plan_expires_at: Option<i64>,
    /// Storage and upload counters (kept with `ADD` on the user item).
    pub usage: UsageCounters,
    pub name: Option<String>,
    pub bio: Option<String>,
    pub location: Option<String>,
    pub website: Option<String>,
    pub avatar_key: Option<String>,
    pub preferences: Preferences,
    pub email_verified: bool,
    pub mfa_enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_login_at: Option<i64>,
    /// `Some(None)` = banned for ever.
    pub banned_until: Option<Option<i64>>,
    pub ban_reason: Option<String>,
    /// When the account was marked for deletion (by the user or an admin).
    pub deletion_scheduled_at: Option<i64>,
    /// When the purge may remove it for good (`deletion_scheduled_at` + grace period).
    pub purge_at: Option<i64>,
    /// The admin who soft-deleted the account (`None` when the user asked for deletion).
    pub deleted_by: Option<String>,
    pub rating: i64,
    pub failed_logins: u32,
    pub last_failed_login_at: Option<i64>,
    pub activation: Option<ActivationState>,
    pub reset_token_hash: Option<String>,
    pub reset_sent_at: Option<i64>,
    pub settings: Settings,
    pub email_change: Option<PendingEmailChange>,
    pub session_cutoff: Option<SessionCutoff>,
    /// Moved up by one by every password reset: an API key made in an earlier epoch is
    /// revoked ([`User::key_cut_off`]), in the reset's own transaction.
    pub key_epoch: i64,
    /// Mail to `email` stopped after a hard bounce or a complaint (the suppression list; set by
    /// the mail-events function, cleared by an admin or an address change).
    pub mail_suppression: Option<super::MailSuppression>,
    pub version: i64,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print hashes or personal data.
        f.debug_struct("User").field("id", &self.id).field("role", &self.role).finish_non_exhaustive()
    }
}

impl User {
    /// A new account as sign-up, an admin and the seeding of test tables create it: the FREE
    /// plan, default settings and preferences, no profile, version 1. With `activation` it
    /// waits for its email address to be confirmed; without, the address counts as verified.
    pub fn new_account(
        id: UserId,
        username: &Username,
        email: &Email,
        password_hash: String,
        role: Role,
        activation: Option<ActivationState>,
        now: i64,
    ) -> Self {
        Self {
            id,
            username: username.clone(),
            email: email.clone(),
            password_hash,
            role,
            plan: PlanId::Free,
            plan_expires_at: None,
            usage: UsageCounters::default(),
            name: None,
            bio: None,
            location: None,
            website: None,
            avatar_key: None,
            preferences: Preferences::default(),
            email_verified: activation.is_none(),
            mfa_enabled: false,
            created_at: now,
            updated_at: now,
            last_login_at: None,
            banned_until: None,
            ban_reason: None,
            deletion_scheduled_at: None,
            purge_at: None,
            deleted_by: None,
            rating: 0,
            failed_logins: 0,
            last_failed_login_at: None,
            activation,
            reset_token_hash: None,
            reset_sent_at: None,
            settings: Settings::defaults(now),
            email_change: None,
            session_cutoff: None,
            key_epoch: 0,
            mail_suppression: None,
            version: 1,
        }
    }

    /// The account marked for deletion at `now` (by the user, or by the admin `deleted_by`):
    /// the purge may remove it once `grace_days` have passed. The one rule for both ways of
    /// deleting; the store writes it with the purge queue entry in one transaction.
    pub fn with_deletion_scheduled(&self, now: i64, grace_days: u32, deleted_by: Option<&str>) -> Self {
        let mut after = self.clone();
        after.deletion_scheduled_at = Some(now);
        after.purge_at = Some(now + i64::from(grace_days) * 86_400);
        after.deleted_by = deleted_by.map(str::to_owned);
        after.updated_at = now;
        after
    }

    /// The account with its scheduled deletion cleared (whoever asked for it).
    pub fn with_deletion_cleared(&self, now: i64) -> Self {
        let mut after = self.clone();
        after.deletion_scheduled_at = None;
        after.purge_at = None;
        after.deleted_by = None;
        after.updated_at = now;
        after
    }

    /// True when a password change or reset ended `session`, opened in `session_epoch` (see
    /// [`SessionCutoff`]).
    pub fn session_cut_off(&self, session: &SessionId, session_epoch: i64) -> bool {
        self.session_cutoff.as_ref().is_some_and(|c| session_epoch < c.epoch && c.keep.as_deref() != Some(session.as_str()))
    }

    /// True when a password reset revoked an API key made in `key_epoch` (the rule holds even
    /// if marking the key revoked afterwards failed).
    pub fn key_cut_off(&self, key_epoch: i64) -> bool {
        key_epoch < self.key_epoch
    }

    /// The epoch a session opened now belongs to.
    pub fn session_epoch(&self) -> i64 {
        self.session_cutoff.as_ref().map_or(0, |c| c.epoch)
    }

    pub fn is_banned(&self, now: i64) -> bool {
        match self.banned_until {
            Some(None) => true,
            Some(Some(until)) => until > now,
            None => false,
        }
    }

    /// The plan whose limits apply at `now`: a cancelled paid plan falls back to FREE at the
    /// end of its last period, without any write having to happen at that moment.
    pub fn effective_plan(&self, now: i64) -> PlanId {
        super::effective_plan(self.plan, self.plan_expires_at, now)
    }

    /// Paid plans unlock paid features (animated avatars).
    pub fn has_paid_plan(&self, now: i64) -> bool {
        self.effective_plan(now).is_paid()
    }

    pub fn status(&self, now: i64) -> UserStatus {
        if self.deletion_scheduled_at.is_some() {
            if self.deleted_by.is_some() { UserStatus::Deleted } else { UserStatus::PendingDeletion }
        } else if self.is_banned(now) {
            UserStatus::Banned
        } else if !self.email_verified {
            UserStatus::Unverified
        } else {
            UserStatus::Active
        }
    }

    /// The status as stored for the listing indexes: like [`User::status`] but without the
    /// clock, so a temporary ban counts as `Banned` until it is lifted by a write (listing
    /// re-checks `bannedUntil` against the clock; see docs/table-design.md).
    pub fn stored_status(&self) -> UserStatus {
        if self.banned_until.is_some() && self.deletion_scheduled_at.is_none() { UserStatus::Banned } else { self.status(i64::MIN) }
    }

    /// Counts towards the "at least one admin" rule: an admin with no ban on record and no
    /// deletion pending.
    pub fn is_counted_admin(&self) -> bool {
        self.role == Role::Admin && self.banned_until.is_none() && self.deletion_scheduled_at.is_none()
    }

    /// Login lockout under `policy` (by default: after 5 failures, wait 30 s doubling per
    /// further failure, capped at 15 min). Returns the seconds left to wait, if any.
    pub fn lockout_remaining(&self, now: i64, policy: &super::LockoutPolicy) -> Option<u64> {
        policy.remaining(self.failed_logins, self.last_failed_login_at, now)
    }

    /// Animated avatars are a perk of donators and paid plans.
    /// Animated avatars are for donators and paid plans still in force at `now`.
    pub fn may_have_animated_avatar(&self, now: i64) -> bool {
        self.role == Role::Donator || self.has_paid_plan(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        let id = UserId::parse("usr_01HZY8J6W8K1M2N3P4Q5R6S7T8").unwrap();
        let (name, email) = (Username::parse("alice", "u").unwrap(), Email::parse("alice@example.com", "e").unwrap());
        User::new_account(id, &name, &email, "$argon2id$secret".into(), Role::User, None, 0)
    }

    #[test]
    fn a_password_change_cuts_off_the_sessions_of_earlier_epochs_except_the_one_that_made_it() {
        let now = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let (other, changer, later) = (SessionId::generate(now), SessionId::generate(now), SessionId::generate(now));
        let mut u = user();
        assert_eq!(u.session_epoch(), 0);
        assert!(!u.session_cut_off(&other, 0), "no cut-off before any change");
        u.session_cutoff = Some(SessionCutoff { epoch: 1, keep: Some(changer.as_str().to_owned()) });
        assert!(u.session_cut_off(&other, 0));
        assert!(!u.session_cut_off(&changer, 0), "the changing session stays");
        assert_eq!(u.session_epoch(), 1);
        assert!(!u.session_cut_off(&later, 1), "sessions opened after the change are fine");
        u.session_cutoff = Some(SessionCutoff { epoch: 2, keep: None });
        assert!(u.session_cut_off(&changer, 0), "a reset keeps no session");
        assert!(u.session_cut_off(&later, 1));
    }

    #[test]
    fn a_new_account_is_verified_exactly_when_it_waits_for_no_activation() {
        let u = user();
        assert!(u.email_verified && u.activation.is_none());
        assert_eq!((u.plan.as_str(), u.version, u.status(0)), ("FREE", 1, UserStatus::Active));
        let pending = ActivationState::new("code".into(), "link".into(), 100);
        assert_eq!((pending.expires_at, pending.attempts, pending.sent_at), (100 + ActivationState::TTL_SECS, 0, 100));
        let waiting = User::new_account(
            u.id.clone(),
            &Username::parse("bob", "u").unwrap(),
            &Email::parse("b@example.com", "e").unwrap(),
            "h".into(),
            Role::Admin,
            Some(pending),
            100,
        );
        assert!(!waiting.email_verified);
        assert_eq!((waiting.created_at, waiting.updated_at, waiting.status(100)), (100, 100, UserStatus::Unverified));
    }

    #[test]
    fn scheduling_a_deletion_sets_the_purge_after_the_grace_period_and_clearing_undoes_it() {
        let u = user();
        let by_self = u.with_deletion_scheduled(1_000, 30, None);
        assert_eq!((by_self.deletion_scheduled_at, by_self.purge_at, by_self.updated_at), (Some(1_000), Some(1_000 + 30 * 86_400), 1_000));
        assert_eq!(by_self.status(1_000), UserStatus::PendingDeletion);
        let by_admin = u.with_deletion_scheduled(1_000, 30, Some("usr_admin"));
        assert_eq!(by_admin.status(1_000), UserStatus::Deleted);
        let cleared = by_admin.with_deletion_cleared(2_000);
        assert_eq!((cleared.deletion_scheduled_at, cleared.purge_at, cleared.deleted_by.as_deref()), (None, None, None));
        assert_eq!((cleared.updated_at, cleared.status(2_000)), (2_000, UserStatus::Active));
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Alice@Example.COM ", "email").unwrap().as_str(), "alice@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in ["", "alice", "alice@", "@example.com", "a b@example.com", "alice@localhost"] {
            assert!(Email::parse(bad, "email").is_err(), "{bad}");
        }
    }

    #[test]
    fn redacted_emails_keep_only_the_first_letter_and_domain() {
        assert_eq!(Email::parse("alice@example.com", "e").unwrap().redacted(), "a***@example.com");
    }

    #[test]
    fn usernames_follow_the_spec_rule_and_compare_case_insensitively() {
        assert!(Username::parse("ab", "u").is_err());
        assert!(Username::parse(&"a".repeat(31), "u").is_err());
        assert!(Username::parse("bad-name", "u").is_err());
        assert!(Username::parse("Ünïcode", "u").is_err());
        let u = Username::parse("Alice_99", "u").unwrap();
        assert_eq!(u.as_str(), "Alice_99");
        assert_eq!(u.key(), "alice_99");
    }

    #[test]
    fn a_temporary_ban_lifts_when_its_time_passes() {
        let mut u = user();
        u.banned_until = Some(Some(100));
        assert_eq!(u.status(99), UserStatus::Banned);
        assert_eq!(u.status(100), UserStatus::Active);
        u.banned_until = Some(None);
        assert_eq!(u.status(i64::MAX), UserStatus::Banned);
    }

    #[test]
    fn admin_deletion_and_self_deletion_are_told_apart() {
        let mut u = user();
        u.deletion_scheduled_at = Some(10);
        assert_eq!(u.status(0), UserStatus::PendingDeletion);
        u.deleted_by = Some("usr_admin".into());
        assert_eq!(u.status(0), UserStatus::Deleted);
        u.banned_until = Some(None);
        assert_eq!(u.stored_status(), UserStatus::Deleted, "deletion outranks a ban");
    }

    #[test]
    fn an_expired_temporary_ban_is_still_stored_as_banned() {
        let mut u = user();
        u.banned_until = Some(Some(100));
        assert_eq!(u.stored_status(), UserStatus::Banned);
        assert_eq!(u.status(200), UserStatus::Active);
        u.banned_until = None;
        u.email_verified = false;
        assert_eq!(u.stored_status(), UserStatus::Unverified);
    }

    #[test]
    fn statuses_parse_from_their_wire_names() {
        for s in UserStatus::ALL {
            assert_eq!(UserStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(UserStatus::parse("Active"), None);
    }

    #[test]
    fn rating_sort_keys_order_like_the_numbers() {
        let keys: Vec<String> =
            [Rating::MIN, -5, 0, 7, 100, Rating::MAX].iter().map(|r| Rating::parse(*r, "r").unwrap().sort_key()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(keys.iter().all(|k| k.len() == 10));
        assert!(Rating::parse(Rating::MAX + 1, "r").is_err());
        assert!(Rating::parse(Rating::MIN - 1, "r").is_err());
    }

    #[test]
    fn only_admins_in_good_standing_are_counted() {
        let mut u = user();
        assert!(!u.is_counted_admin());
        u.role = Role::Admin;
        assert!(u.is_counted_admin());
        u.banned_until = Some(Some(1));
        assert!(!u.is_counted_admin(), "even an expired ban on record");
        u.banned_until = None;
        u.deletion_scheduled_at = Some(1);
        assert!(!u.is_counted_admin());
    }

    #[test]
    fn lockout_starts_after_five_failures_and_is_capped_at_fifteen_minutes() {
        let mut u = user();
        u.failed_logins = 4;
        u.last_failed_login_at = Some(1_000);
        let p = crate::domain::LockoutPolicy::DEFAULT;
        assert_eq!(u.lockout_remaining(1_000, &p), None);
        u.failed_logins = 5;
        assert_eq!(u.lockout_remaining(1_000, &p), Some(30));
        assert_eq!(u.lockout_remaining(1_030, &p), None);
        u.failed_logins = 50;
        assert_eq!(u.lockout_remaining(1_000, &p), Some(900));
    }

    #[test]
    fn debug_output_has_no_hash_or_email() {
        let text = format!("{:?}", user());
        assert!(!text.contains("argon2") && !text.contains("alice@"));
    }
}
