//! Per-request authentication: who is calling, and may they call this route. An access token
//! ([`authenticate`]) names a session that must still exist; an API key ([`authorize_key`]) is
//! looked up, checked for the route's scope and metered against the plan's monthly request
//! limit, all here, so the HTTP extractors only read the credential and call one of the two.
//! Also [`refusal`]: why an account with a correct credential may still not act (sign-in uses it).

use super::billing::{limits_for, month_window};
use super::{Caller, Principal, Via, activity};
use crate::App;
use crate::clock::rfc3339;
use crate::domain::{API_KEY_PREFIX, ActivityKind, ClientInfo, KeyStatus, Scope, SessionId, User, UserId};
use crate::error::{BanInfo, Error, Result};
use crate::store::ApiRequestCount;
use crate::tokens;

/// `lastUsedAt` of a key moves at most once a minute.
pub const KEY_TOUCH_INTERVAL_SECS: i64 = 60;

/// Checks an access token and that its session still exists; one DynamoDB round trip.
pub async fn authenticate(app: &App, token: &str) -> Result<Principal> {
    let now = app.now();
    let claims = super::signing::verify_access(app, token).await?;
    let user_id = UserId::parse(&claims.sub).ok_or(Error::Unauthenticated)?;
    let session_id = SessionId::parse(&claims.sid).ok_or(Error::Unauthenticated)?;
    let (user, session) = app.store.get_user_and_session(&user_id, &session_id).await?;
    let (Some(user), Some(session)) = (user, session) else { return Err(Error::Unauthenticated) };
    if session.expires_at <= now || user.session_cut_off(&session.id, session.epoch) {
        return Err(Error::Unauthenticated);
    }
    if let Some(e) = refusal(&user, now) {
        return Err(e);
    }
    Ok(Principal { user, session })
}

/// The caller behind an API key, for a route that needs `scope`: the key is known, active and
/// not expired, its owner in good standing and activated, the key holds `scope`, and the request
/// fits the plan's monthly limit (then it is counted). Reads the key by its hash, then the owner;
/// records use at most once a minute; one `UpdateItem` meters the request.
pub async fn authorize_key(app: &App, secret: &str, scope: Scope) -> Result<Caller> {
    if !secret.starts_with(API_KEY_PREFIX) || secret.len() > 128 {
        return Err(Error::Unauthenticated);
    }
    let now = app.now();
    let Some(key) = app.store.get_api_key(&tokens::sha256_hex(secret)).await? else { return Err(Error::Unauthenticated) };
    match key.status_at(now) {
        KeyStatus::Active => {}
        KeyStatus::Revoked => return Err(Error::Unauthenticated),
        KeyStatus::Expired => {
            if key.status == KeyStatus::Active {
                // First use after expiry: free its slot and tell the owner's activity log.
                let entry = activity::entry(app, ActivityKind::ApiKeyExpiredUse, &ClientInfo::unknown(), Some(key.id.to_string()));
                app.store.retire_api_key(&key, KeyStatus::Expired, now, Some(&entry), None).await?;
            }
            return Err(Error::Unauthenticated);
        }
    }
    let Some(user) = app.store.get_user(&key.user_id).await? else { return Err(Error::Unauthenticated) };
    if user.key_cut_off(key.epoch) {
        // Revoked by a password reset (whose marking of the key may not have finished).
        return Err(Error::Unauthenticated);
    }
    if let Some(e) = refusal(&user, now) {
        return Err(e);
    }
    if !user.email_verified {
        return Err(Error::AccountNotActivated);
    }
    app.store.touch_api_key(&key, now, KEY_TOUCH_INTERVAL_SECS).await?;
    if !key.scopes.contains(&scope) {
        return Err(Error::ScopeRequired);
    }
    // Key-authenticated requests count against the plan's monthly limit (429 past it).
    count_api_request(app, &user).await?;
    Ok(Caller { user, via: Via::ApiKey { id: key.id, scopes: key.scopes } })
}

/// Why an account with a correct credential may still not act.
pub(super) fn refusal(user: &User, now: i64) -> Option<Error> {
    if user.deletion_scheduled_at.is_some() {
        return Some(Error::AccountPendingDeletion);
    }
    if user.is_banned(now) {
        return Some(Error::AccountBanned(BanInfo {
            banned_until: user.banned_until.flatten().map(rfc3339),
            ban_reason: user.ban_reason.clone(),
        }));
    }
    None
}

/// A counted request: the month's count so far, the plan's limit, and when the count resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiRequestUsage {
    pub used: i64,
    /// `None`: unlimited.
    pub limit: Option<i64>,
    pub resets_at: i64,
}

/// Counts one request that `user` made with an API key, atomically, against the effective
/// plan's monthly limit. [`authorize_key`] calls it once per key-authenticated request, before
/// the work: over the limit it answers `429 SUBSCRIPTION_LIMIT_EXCEEDED` with `Retry-After` =
/// seconds until the next UTC month, and the refused request is not counted. One `UpdateItem`.
pub async fn count_api_request(app: &App, user: &User) -> Result<ApiRequestUsage> {
    let now = app.clock.now();
    let (month, reset) = month_window(now);
    let limit = limits_for(user.effective_plan(now.unix_timestamp())).api_requests_per_month.max();
    // Keep the counter a month past its reset, then let TTL remove it.
    let expires_at = reset.unix_timestamp() + 31 * 86_400;
    match app.store.count_api_request(&user.id, &month, limit, expires_at).await? {
        ApiRequestCount::Counted(used) => Ok(ApiRequestUsage { used, limit, resets_at: reset.unix_timestamp() }),
        ApiRequestCount::OverLimit => Err(Error::SubscriptionLimitExceeded {
            retry_after_secs: Some((reset - now).whole_seconds().max(1) as u64),
            message: format!("{} API requests a month (the count resets {})", limit.unwrap_or(-1), rfc3339(reset.unix_timestamp())),
        }),
    }
}
