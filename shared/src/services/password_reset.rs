//! Password reset (SPEC §3.1): the mailed link, setting a new password with it, and ending the
//! sessions a password change or reset cut off (a reset also revokes every API key).

use super::limits::{self, Action};
use super::{activity, mailing};
use crate::App;
use crate::domain::{ActivityKind, ClientInfo, Email, LinkToken, PasswordPolicyInput, SessionId, TokenKind, UserId};
use crate::error::{Error, Result};
use crate::mail::{self, Lang};
use crate::store::Account;
use crate::tokens;

/// Reset links are valid 1 h.
pub const RESET_TTL_SECS: i64 = 3600;

/// Deletes the sessions a committed password change or reset ended (all but `keep`); returns
/// how many. The change's session cut-off already refuses them, so a failure here is logged and
/// leaves only items for TTL to remove: it does not undo or fail the committed change.
pub(crate) async fn end_sessions_after_password_change(app: &App, user: &UserId, keep: Option<&SessionId>) -> usize {
    match app.store.delete_sessions(user, keep).await {
        Ok(ended) => ended,
        Err(e) => {
            tracing::warn!(user = %user, error = format!("{e:#}"), "sessions not deleted after a password change; the cut-off refuses them");
            0
        }
    }
}

/// Mails a reset link when the address belongs to an account. Says nothing either way.
pub async fn forgot_password(app: &App, email: &str, client: &ClientInfo) -> Result<()> {
    let Ok(email) = Email::parse(email, "email") else { return Err(Error::field("email", "must be a valid email address")) };
    limits::count_attempt(app, Action::ForgotPassword, client).await?;
    // Same answer, same work (SPEC §6): an address no account has goes through the same reads,
    // the recipient's mail slot, the interval write (on a decoy key) and an SES send (a notice
    // that no account uses the address) — docs/decisions.md, "Throttles before the hash".
    let id = app.store.user_id_by_email(email.as_str()).await?;
    let decoy = super::sign_in::decoy_for("forgot", email.as_str());
    let account = match &id {
        Some(id) => Account::User(id),
        None => Account::Unknown(&decoy),
    };
    let user = app.store.get_account(account).await?;
    let now = app.now();
    // The mail slot first: a limited (or suppressed) request must not void the link the user
    // already has.
    let kind = if user.is_some() { "password-reset" } else { "no-account-password-reset" };
    if !mailing::reserve(app, email.as_str(), kind).await? {
        return Ok(());
    }
    let Some(user) = user else {
        if app.store.decoy_mail_interval(account, "resetSentAt", now, mailing::MAIL_INTERVAL_SECS).await? {
            let entry = activity::entry(app, ActivityKind::PasswordResetRequested, client, None);
            if let Err(e) = app.store.record_account_activity(account, &entry).await {
                tracing::error!(error = %e, "reset request activity not recorded");
            }
            if let Err(e) = mailing::send_reserved(app, &mail::no_account(email.as_str(), mail::AskedFor::PasswordReset)).await {
                tracing::error!(error = format!("{e:#}"), "no-account notice failed");
            }
        }
        return Ok(());
    };
    mail_reset_link(app, &user, client, now).await?;
    Ok(())
}

/// Starts a reset of `user`'s password and mails its link, once the recipient's mail slot is
/// taken: forgot-password, and the invitation of an account imported without a password
/// (`migration.rs`). False when the per-account interval refused it (nothing mailed).
pub(crate) async fn mail_reset_link(app: &App, user: &crate::domain::User, client: &ClientInfo, now: i64) -> Result<bool> {
    let id = user.id.clone();
    let raw = tokens::random_token(32);
    let token =
        LinkToken { hash: tokens::sha256_hex(&raw), kind: TokenKind::PasswordReset, user_id: id.clone(), expires_at: now + RESET_TTL_SECS };
    if !app.store.start_reset(user, &token, now, mailing::MAIL_INTERVAL_SECS).await? {
        tracing::info!(user = %id, "password reset mail throttled");
        return Ok(false);
    }
    activity::record(app, &id, ActivityKind::PasswordResetRequested, client, None).await;
    let link = format!("{}/reset-password?token={raw}", app.config.public_base_url);
    let message =
        mail::password_reset(Lang::from_primary(user.preferences.language.primary()), user.email.as_str(), user.username.as_str(), &link);
    if let Err(e) = mailing::send_reserved(app, &message).await {
        tracing::error!(user = %id, error = format!("{e:#}"), "reset mail failed");
    }
    Ok(true)
}

/// Sets a new password from a reset link and ends every session.
pub async fn reset_password(app: &App, token: &str, new_password: &str, client: &ClientInfo) -> Result<()> {
    let hash = tokens::sha256_hex(token);
    let Some(found) = app.store.get_link_token(&hash).await? else { return Err(Error::InvalidToken) };
    if found.kind != TokenKind::PasswordReset || found.expires_at <= app.now() {
        return Err(Error::InvalidToken);
    }
    let Some(user) = app.store.get_user(&found.user_id).await? else { return Err(Error::InvalidToken) };
    let ctx = PasswordPolicyInput { username: user.username.as_str(), email: user.email.as_str() };
    let password = super::password_policy::accept_new(app, new_password, "newPassword", &ctx).await?;
    let password_hash = app.hasher.hash(password.expose()).await.map_err(Error::internal)?;
    let event = super::events::password_changed(&*app.clock, &user.id, "reset", None);
    if !app.store.complete_reset(&user.id, &hash, &password_hash, app.now(), &event).await? {
        return Err(Error::InvalidToken);
    }
    let ended = end_sessions_after_password_change(app, &user.id, None).await;
    // The reset's key epoch already refuses every API key; this marks them revoked.
    let keys_revoked = super::api_keys::revoke_all_after_reset(app, &user.id).await;
    let detail = format!("{ended} sessions ended, {keys_revoked} API keys revoked");
    activity::record(app, &user.id, ActivityKind::PasswordReset, client, Some(detail)).await;
    tracing::info!(user = %user.id, sessions_ended = ended, keys_revoked, "password reset");
    Ok(())
}
