//! Per-client-address limits on the endpoints an anonymous caller can use to guess codes, spam
//! mail or burn CPU: one fixed-window counter per (action, address, window), counted with one
//! conditional `UpdateItem` *before* the expensive work (argon2, mail, captcha drawing), so a
//! flood is refused cheaply. The address is the one API Gateway saw (`ClientInfo::ip`), never a
//! client-sent header. Limits come from `Config::limits` (`RATE_LIMIT_*`).

use crate::App;
use crate::domain::ClientInfo;
use crate::domain::RateLimit;
use crate::error::{Error, Result};

/// What is being limited; the name is part of the counter key and must never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Register,
    ForgotPassword,
    ResendActivation,
    Captcha,
    Recover,
    MfaVerify,
}

impl Action {
    fn key(self) -> &'static str {
        match self {
            Action::Register => "register",
            Action::ForgotPassword => "forgot",
            Action::ResendActivation => "resend",
            Action::Captcha => "captcha",
            Action::Recover => "recover",
            Action::MfaVerify => "mfa",
        }
    }

    fn limit(self, app: &App) -> RateLimit {
        let l = &app.config.limits;
        match self {
            Action::Register => l.register,
            Action::ForgotPassword => l.forgot_password,
            Action::ResendActivation => l.resend_activation,
            Action::Captcha => l.captcha,
            Action::Recover => l.recover,
            Action::MfaVerify => l.mfa_verify,
        }
    }
}

/// The counter item of `scope` for `subject` in the window `now` falls in.
pub(crate) fn counter_key(scope: &str, subject: &str, window_index: i64) -> String {
    format!("RATE#{scope}#{subject}#{window_index}")
}

/// Counts one attempt of `action` from the caller's address; `429 RATE_LIMITED` with
/// `Retry-After` (seconds to the window's end) once the window's budget is spent.
pub async fn count_attempt(app: &App, action: Action, client: &ClientInfo) -> Result<()> {
    let limit = action.limit(app);
    let now = app.now();
    let window = limit.window(now);
    let key = counter_key(action.key(), &client.ip, window.index);
    if app.store.take_slot(&key, limit.max, window.ends_at).await? {
        return Ok(());
    }
    tracing::info!(ip = %client.ip, action = action.key(), limit = %limit, "rate limited");
    Err(Error::RateLimited { retry_after_secs: window.retry_after(now) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_keys_name_the_scope_the_address_and_the_window() {
        assert_eq!(counter_key("register", "203.0.113.7", 42), "RATE#register#203.0.113.7#42");
    }

    #[test]
    fn every_action_has_its_own_counter_scope() {
        let all = [Action::Register, Action::ForgotPassword, Action::ResendActivation, Action::Captcha, Action::Recover, Action::MfaVerify];
        let keys: std::collections::HashSet<_> = all.iter().map(|a| a.key()).collect();
        assert_eq!(keys.len(), all.len());
        assert!(!keys.contains("login-fail") && !keys.contains("mail"));
    }
}
