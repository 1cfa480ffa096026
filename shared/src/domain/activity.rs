//! Security-relevant events recorded in a user's activity log (kept 90 days).

use crate::error::FieldError;

/// A cursor of the activity log as the list gave it out (`act_` and up to 36 letters or
/// digits); empty or absent: the first page.
pub fn parse_activity_cursor(raw: Option<&str>) -> Result<Option<&str>, FieldError> {
    match raw {
        None | Some("") => Ok(None),
        Some(c) if c.starts_with("act_") && c.len() <= 40 && c[4..].chars().all(|ch| ch.is_ascii_alphanumeric()) => Ok(Some(c)),
        Some(_) => Err(FieldError::new("cursor", "is not a cursor this endpoint gave out")),
    }
}

/// What happened. The string form is the stable, documented name clients see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Registered,
    Activated,
    LoginSucceeded,
    LoginFailed,
    Logout,
    LogoutAll,
    RefreshReuse,
    PasswordResetRequested,
    PasswordReset,
    PasswordChanged,
    EmailChangeRequested,
    EmailChanged,
    SessionRevoked,
    DeletionScheduled,
    DeletionRecovered,
    ApiKeyCreated,
    ApiKeyRevoked,
    ApiKeyExpiredUse,
    MfaEnabled,
    MfaDisabled,
    MfaBackupCodeUsed,
    MfaBackupCodesRegenerated,
    Banned,
    Unbanned,
    AdminUpdated,
    AdminDeleted,
    AdminRestored,
}

impl ActivityKind {
    pub fn as_str(self) -> &'static str {
        use ActivityKind::*;
        match self {
            Registered => "account.registered",
            Activated => "account.activated",
            LoginSucceeded => "login.succeeded",
            LoginFailed => "login.failed",
            Logout => "session.logout",
            LogoutAll => "session.logout_all",
            RefreshReuse => "session.refresh_reuse",
            PasswordResetRequested => "password.reset_requested",
            PasswordReset => "password.reset",
            PasswordChanged => "password.changed",
            EmailChangeRequested => "email.change_requested",
            EmailChanged => "email.changed",
            SessionRevoked => "session.revoked",
            DeletionScheduled => "account.deletion_scheduled",
            DeletionRecovered => "account.deletion_recovered",
            ApiKeyCreated => "apikey.created",
            ApiKeyRevoked => "apikey.revoked",
            ApiKeyExpiredUse => "apikey.expired_use",
            MfaEnabled => "mfa.enabled",
            MfaDisabled => "mfa.disabled",
            MfaBackupCodeUsed => "mfa.backup_code_used",
            MfaBackupCodesRegenerated => "mfa.backup_codes_regenerated",
            Banned => "account.banned",
            Unbanned => "account.unbanned",
            AdminUpdated => "admin.updated",
            AdminDeleted => "admin.deleted",
            AdminRestored => "admin.restored",
        }
    }
}

/// One entry of a user's activity log. Never holds a secret, token or code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub id: String,
    pub kind: ActivityKind,
    pub at: i64,
    pub ip: String,
    pub user_agent: String,
    /// A short, secret-free description (e.g. "via email", "by admin usr_…").
    pub detail: Option<String>,
    /// Who acted, when not the user (an admin or moderator id).
    pub actor: Option<String>,
}

/// A stored activity entry as read back (the kind as its stable string, so entries of kinds
/// that a later release renames still list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRecord {
    pub id: String,
    pub kind: String,
    pub at: i64,
    pub ip: String,
    pub user_agent: String,
    pub detail: Option<String>,
    pub actor: Option<String>,
}

/// Activity entries live 90 days.
pub const ACTIVITY_RETENTION_SECS: i64 = 90 * 24 * 3600;
