//! Per-client-address limits on the endpoints an anonymous caller can use to guess codes, spam
//! mail or burn CPU: one fixed-window counter per (action, address, window), counted with one
//! conditional `UpdateItem` *before* the expensive work (argon2, mail, captcha drawing), so a
//! flood is refused cheaply. The address is the one API Gateway saw (`ClientInfo::ip`), never a
//! client-sent header; an IPv6 address counts as its /64. Limits come from `Config::limits`
//! (`RATE_LIMIT_*`).

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

/// The counter item of `scope` for `subject` in the window `now` falls in. A subject that is an
/// IPv6 address counts as its /64 ([`address_subject`]).
pub(crate) fn counter_key(scope: &str, subject: &str, window_index: i64) -> String {
    format!("RATE#{scope}#{}#{window_index}", address_subject(subject))
}

/// What a client address counts as: an IPv4 address (also one mapped into IPv6) as itself, an
/// IPv6 address as its /64 prefix (`2001:db8:1:2::/64`): one subscriber usually gets a whole
/// /64 and can pick any of its 2^64 addresses, so counting per address would limit nothing.
/// Anything else (a mail counter's hash, "unknown") is returned as it is.
pub(crate) fn address_subject(subject: &str) -> std::borrow::Cow<'_, str> {
    use std::net::{IpAddr, Ipv6Addr};
    match subject.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string().into(),
            None => {
                let s = v6.segments();
                format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0)).into()
            }
        },
        _ => subject.into(),
    }
}

/// Counts one attempt of `scope` from the caller's address (a scope of its own, outside
/// [`Action`], with its limit given); `429 RATE_LIMITED` once the window's budget is spent.
pub async fn count_address_attempt(app: &App, scope: &str, client: &ClientInfo, limit: RateLimit) -> Result<()> {
    let now = app.now();
    let window = limit.window(now);
    if app.store.take_slot(&counter_key(scope, &client.ip, window.index), limit.max, window.ends_at).await? {
        return Ok(());
    }
    tracing::info!(ip = %client.ip, scope, limit = %limit, "rate limited");
    Err(Error::RateLimited { retry_after_secs: window.retry_after(now) })
}

/// Counts one attempt of `scope` by the signed-in account `user` (for guesses that need an
/// account, e.g. coupon codes); `429 RATE_LIMITED` once the window's budget is spent.
pub async fn count_account_attempt(app: &App, scope: &str, user: &crate::domain::UserId, limit: RateLimit) -> Result<()> {
    let now = app.now();
    let window = limit.window(now);
    if app.store.take_slot(&counter_key(scope, user.as_str(), window.index), limit.max, window.ends_at).await? {
        return Ok(());
    }
    tracing::info!(user = %user, scope, limit = %limit, "account rate limited");
    Err(Error::RateLimited { retry_after_secs: window.retry_after(now) })
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
    fn ipv6_clients_count_per_64_and_ipv4_per_address() {
        let a = counter_key("login-fail", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", 7);
        assert_eq!(a, "RATE#login-fail#2001:db8:1:2::/64#7");
        assert_eq!(counter_key("login-fail", "2001:0db8:0001:0002::1", 7), a, "every address of the /64 shares one counter");
        assert_ne!(counter_key("login-fail", "2001:db8:1:3::1", 7), a, "the next /64 has its own");
        assert_eq!(counter_key("x", "::ffff:203.0.113.7", 1), counter_key("x", "203.0.113.7", 1), "IPv4 mapped into IPv6 is IPv4");
        assert_eq!(counter_key("x", "203.0.113.7", 1), "RATE#x#203.0.113.7#1");
        for other in ["unknown", "9f86d081884c7d65", "", "2001:db8::zz"] {
            assert_eq!(address_subject(other), other);
        }
    }

    #[test]
    fn every_action_has_its_own_counter_scope() {
        let all = [Action::Register, Action::ForgotPassword, Action::ResendActivation, Action::Captcha, Action::Recover, Action::MfaVerify];
        let keys: std::collections::HashSet<_> = all.iter().map(|a| a.key()).collect();
        assert_eq!(keys.len(), all.len());
        assert!(!keys.contains("login-fail") && !keys.contains("mail"));
    }
}
