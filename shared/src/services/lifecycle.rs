//! Account deletion with a grace period and recovery (SPEC §3.2, seed 000).
//!
//! Deleting schedules the purge `DELETION_GRACE_DAYS` ahead, ends every session and mails a
//! single-use recovery code (shown once, stored as a keyed hash). Within the grace period the
//! code and the email address restore the account; the purge function removes it afterwards.

use super::{Principal, activity};
use crate::App;
use crate::domain::ClientInfo;
use crate::domain::{ActivityKind, Email, User};
use crate::error::{Error, Result};
use crate::mail::{self, Lang, SecurityEvent};
use crate::store::{ChangeRefused, ScheduledDeletion};
use crate::tokens;

pub const CONFIRMATION: &str = "DELETE_MY_ACCOUNT";
/// Wrong recovery codes allowed per scheduled deletion.
pub const RECOVERY_MAX_ATTEMPTS: u32 = 5;

pub struct Scheduled {
    pub scheduled_at: i64,
    pub purge_at: i64,
    pub recovery_code: String,
}

const RECOVERY_PURPOSE: &str = "recovery";

/// Schedules the deletion of `user` at the user's own request, with a recovery code.
pub async fn schedule(app: &App, user: &User, reason: Option<&str>, client: &ClientInfo) -> Result<Scheduled> {
    let now = app.now();
    let after = user.with_deletion_scheduled(now, app.config.deletion_grace_days, None);
    let purge_at = after.purge_at.unwrap_or(now);
    let recovery_code = format!("recovery_{}", tokens::random_token(18));
    let hash = app.code_pepper()?.hash(RECOVERY_PURPOSE, user.id.as_str(), &recovery_code);
    let entry = activity::entry(app, ActivityKind::DeletionScheduled, client, None);
    let event = super::events::deletion_scheduled(&*app.clock, &user.id, purge_at, None);
    let d = ScheduledDeletion { recovery_hash: Some(&hash), reason, activity: &entry, audit: None, event: &event };
    app.store.schedule_deletion(user, &after, &d).await?.map_err(|why| match why {
        ChangeRefused::LastAdmin => Error::Refused("the last admin cannot be deleted"),
        _ => Error::Conflict,
    })?;
    let ended = app.store.delete_sessions(&user.id, None).await?;
    tracing::info!(user = %user.id, sessions_ended = ended, purge_at, "deletion scheduled");
    let lang = Lang::from_primary(user.preferences.language.primary());
    let message =
        mail::deletion_scheduled(lang, user.email.as_str(), user.username.as_str(), &crate::clock::rfc3339(purge_at), &recovery_code);
    if let Err(e) = super::mailing::send(app, &message).await {
        tracing::error!(user = %user.id, error = format!("{e:#}"), "deletion mail failed");
    }
    Ok(Scheduled { scheduled_at: now, purge_at, recovery_code })
}

/// `DELETE /api/users/me {password, confirmation, reason?}`.
pub async fn delete_own(
    app: &App,
    principal: &Principal,
    password: &str,
    confirmation: &str,
    reason: Option<&str>,
    client: &ClientInfo,
) -> Result<Scheduled> {
    if confirmation != CONFIRMATION {
        return Err(Error::field("confirmation", "must be DELETE_MY_ACCOUNT"));
    }
    if let Some(r) = reason
        && r.chars().count() > 500
    {
        return Err(Error::field("reason", "must be at most 500 characters"));
    }
    let user = &principal.user;
    // Counted and locked like a login (SPEC §6): a stolen session is no password oracle.
    super::sign_in::check_password(app, user, password).await?;
    schedule(app, user, reason.map(str::trim).filter(|r| !r.is_empty()), client).await
}

/// `POST /api/users/recover {email, recoveryCode}`: a wrong code, an unknown address and an
/// ended grace period all answer the same `INVALID_CODE`.
pub async fn recover(app: &App, email: &str, code: &str, client: &ClientInfo) -> Result<()> {
    let email = Email::parse(email, "email").map_err(|e| Error::Validation(vec![e]))?;
    if code.is_empty() || code.len() > 128 {
        return Err(Error::InvalidCode);
    }
    super::limits::count_attempt(app, super::limits::Action::Recover, client).await?;
    let now = app.now();
    let Some(id) = app.store.user_id_by_email(email.as_str()).await? else { return Err(Error::InvalidCode) };
    let Some((user, Some((purge_at, stored, attempts)))) = app.store.deletion_state(&id).await? else { return Err(Error::InvalidCode) };
    if purge_at <= now || attempts >= RECOVERY_MAX_ATTEMPTS {
        return Err(Error::InvalidCode);
    }
    // `stored` names the key it was made with (or is a legacy `v0` hash), so a code mailed before
    // a rotation of the pepper still matches.
    if !app.code_pepper()?.matches(&stored, RECOVERY_PURPOSE, id.as_str(), code.trim()) {
        app.store.count_recovery_attempt(&id, RECOVERY_MAX_ATTEMPTS).await?;
        return Err(Error::InvalidCode);
    }
    let entry = activity::entry(app, ActivityKind::DeletionRecovered, client, None);
    // Conditioned on the grace period still running (a purge at the same moment wins or loses
    // whole) and on the stored hash still being the one the code was just checked against
    // (exactly as stored, key id included): a deletion scheduled again meanwhile, with a new
    // code, makes this write fail instead of accepting the old code.
    let event = super::events::restored(&*app.clock, &id, None);
    if !app.store.cancel_deletion(&user, purge_at, Some(&stored), now, &entry, &event).await? {
        return Err(Error::InvalidCode);
    }
    tracing::info!(user = %id, "deletion cancelled by recovery");
    let message = mail::security_notice(
        Lang::from_primary(user.preferences.language.primary()),
        user.email.as_str(),
        user.username.as_str(),
        SecurityEvent::AccountRecovered,
    );
    if let Err(e) = super::mailing::send(app, &message).await {
        tracing::error!(user = %id, error = format!("{e:#}"), "recovery notice mail failed");
    }
    Ok(())
}
