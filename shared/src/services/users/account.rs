//! Credentials the signed-in user changes: the password (`PUT /me/password`) and the email
//! address (`POST /me/email`, completed by `POST /api/auth/confirm-email`).
//!
//! Both ask for the current password. A wrong one counts as a failed login (the same lockout
//! as `/auth/login`), so a stolen access token cannot be used to guess the password.

use crate::App;
use crate::domain::ClientInfo;
use crate::domain::EmailChangeToken;
use crate::domain::{ActivityKind, Email, PasswordPolicyInput, User};
use crate::error::{Error, FieldError, Result};
use crate::mail::{self, Lang, SecurityEvent};
use crate::services::mailing::{self, MAIL_INTERVAL_SECS};
use crate::services::{Principal, activity};
use crate::tokens;

/// Email-change links are valid 1 h.
pub const EMAIL_CHANGE_TTL_SECS: i64 = 3600;

fn lang(user: &User) -> Lang {
    Lang::from_primary(user.preferences.language.primary())
}

/// Checks the caller's current password, counting a wrong one as a failed login (the check is
/// reserved on the account before argon2: `services::sign_in::confirm_password`).
async fn check_current_password(app: &App, user: &User, given: &str) -> Result<()> {
    crate::services::sign_in::check_password(app, user, given).await
}

pub struct PasswordChange {
    pub current: String,
    pub new: String,
    pub confirm: String,
}

pub struct PasswordChanged {
    pub changed_at: i64,
    pub sessions_revoked: usize,
}

/// Sets a new password; every other session ends, the calling one stays.
pub async fn change_password(app: &App, principal: &Principal, input: PasswordChange, client: &ClientInfo) -> Result<PasswordChanged> {
    let user = &principal.user;
    if input.new != input.confirm {
        return Err(Error::field("confirmPassword", "must match newPassword"));
    }
    let ctx = PasswordPolicyInput { username: user.username.as_str(), email: user.email.as_str() };
    let password = crate::services::password_policy::accept_new(app, &input.new, "newPassword", &ctx).await?;
    if input.new == input.current {
        return Err(Error::WeakPassword(vec![FieldError::new("newPassword", "must differ from the current password")]));
    }
    check_current_password(app, user, &input.current).await?;
    let new_hash = app.hasher.hash(password.expose()).await.map_err(Error::internal)?;
    let now = app.now();
    let entry = activity::entry(app, ActivityKind::PasswordChanged, client, None);
    let event = crate::services::events::password_changed(&*app.clock, &user.id, "change", None);
    if !app.store.change_password(&user.id, &user.password_hash, &new_hash, (&entry, &event), now, &principal.session.id).await? {
        // Changed by someone else (another session, a reset) since this request read it.
        return Err(Error::Conflict);
    }
    let sessions_revoked =
        crate::services::password_reset::end_sessions_after_password_change(app, &user.id, Some(&principal.session.id)).await;
    tracing::info!(user = %user.id, sessions_revoked, "password changed");
    let notice = mail::security_notice(lang(user), user.email.as_str(), user.username.as_str(), SecurityEvent::PasswordChanged);
    if let Err(e) = mailing::send(app, &notice).await {
        tracing::error!(user = %user.id, error = format!("{e:#}"), "password change notice failed");
    }
    Ok(PasswordChanged { changed_at: now, sessions_revoked })
}

/// Starts an email change: a single-use, 1-hour link to the new address and a notice to the
/// current one. Only the newest link works. Whether the new address is taken is decided when
/// the link is opened (only its owner learns it), so this answer reveals nothing about it.
pub async fn request_email_change(app: &App, principal: &Principal, new_email: &str, password: &str, client: &ClientInfo) -> Result<()> {
    let user = &principal.user;
    let new_email = Email::parse(new_email, "newEmail").map_err(|e| Error::Validation(vec![e]))?;
    if new_email == user.email {
        return Err(Error::field("newEmail", "is already the address of this account"));
    }
    let now = app.now();
    if let Some(pending) = &user.email_change {
        let wait = pending.sent_at + MAIL_INTERVAL_SECS - now;
        if wait > 0 {
            return Err(Error::RateLimited { retry_after_secs: wait as u64 });
        }
    }
    check_current_password(app, user, password).await?;
    let raw = tokens::random_token(32);
    let token = EmailChangeToken {
        hash: tokens::sha256_hex(&raw),
        user_id: user.id.clone(),
        old_email: user.email.as_str().to_owned(),
        new_email: new_email.as_str().to_owned(),
        expires_at: now + EMAIL_CHANGE_TTL_SECS,
    };
    let entry = activity::entry(app, ActivityKind::EmailChangeRequested, client, Some(format!("to {}", new_email.redacted())));
    if !app.store.start_email_change(user, &token, &entry, now).await? {
        return Err(Error::Conflict);
    }
    tracing::info!(user = %user.id, to = %new_email.redacted(), "email change requested");
    let link = format!("{}/confirm-email?token={raw}", app.config.public_base_url);
    let confirm = mail::email_change_confirmation(lang(user), new_email.as_str(), user.username.as_str(), &link);
    if let Err(e) = mailing::send(app, &confirm).await {
        tracing::error!(user = %user.id, error = format!("{e:#}"), "email change confirmation failed");
    }
    let notice = mail::email_change_notice(lang(user), user.email.as_str(), user.username.as_str(), &new_email.redacted());
    if let Err(e) = mailing::send(app, &notice).await {
        tracing::error!(user = %user.id, error = format!("{e:#}"), "email change notice failed");
    }
    Ok(())
}

/// Completes an email change from the mailed link (public: the token is the credential).
pub async fn confirm_email_change(app: &App, raw_token: &str, client: &ClientInfo) -> Result<()> {
    let hash = tokens::sha256_hex(raw_token);
    let Some(token) = app.store.get_email_change_token(&hash).await? else { return Err(Error::InvalidToken) };
    let now = app.now();
    if token.expires_at <= now {
        return Err(Error::InvalidToken);
    }
    let entry = activity::entry(app, ActivityKind::EmailChanged, client, None);
    let event = crate::services::events::email_changed(&*app.clock, &token.user_id, &token.new_email, None);
    app.store.confirm_email_change(&token, &entry, now, &event).await?;
    tracing::info!(user = %token.user_id, "email changed");
    Ok(())
}
