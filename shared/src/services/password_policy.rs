//! The one check every new password goes through (register, reset, change, admin create and
//! change): the configured policy (`PASSWORD_POLICY`, domain `Password::parse`), then, with
//! `BREACHED_PASSWORD_CHECK=hibp`, the Pwned Passwords range screen. When the range API gives no
//! answer in time the password is accepted and the outage logged (fail-open, the default: a
//! third-party outage must not stop sign-ups), or refused with `503` under `HIBP_FAIL=closed`.
//! The log line never carries the password, its hash or the user.

use crate::App;
use crate::breached::Screening;
use crate::config::BreachedPasswordCheck;
use crate::domain::{Password, PasswordPolicyInput};
use crate::error::{Error, FieldError, Result};

/// Checks `raw` as a new password (`field` names it in the `422 WEAK_PASSWORD` details, one
/// entry per failed rule).
pub async fn accept_new(app: &App, raw: &str, field: &str, ctx: &PasswordPolicyInput<'_>) -> Result<Password> {
    let password = Password::parse(raw, field, ctx, app.config.passwords.policy).map_err(Error::WeakPassword)?;
    screen_breached(app, raw, field).await?;
    Ok(password)
}

/// The breached-password screen alone (for callers that checked the policy already, such as
/// account creation, whose policy check runs where no `App` is).
pub async fn screen_breached(app: &App, raw: &str, field: &str) -> Result<()> {
    let (Some(screen), BreachedPasswordCheck::Hibp { fail_open, .. }) = (&app.breached, &app.config.passwords.breached) else {
        return Ok(());
    };
    match screen.screen(raw).await {
        Screening::NotFound => Ok(()),
        Screening::Breached(_) => {
            Err(Error::WeakPassword(vec![FieldError::new(field, "appears in known data breaches (Pwned Passwords); choose another")]))
        }
        Screening::Unavailable(reason) if *fail_open => {
            tracing::warn!(%reason, "breached-password check unavailable; password accepted (fail-open)");
            Ok(())
        }
        Screening::Unavailable(reason) => {
            tracing::error!(%reason, "breached-password check unavailable; password refused (HIBP_FAIL=closed)");
            Err(Error::DependencyUnavailable(anyhow::anyhow!("breached-password check unavailable: {reason}")))
        }
    }
}
