//! Sign-in (SPEC §3.1): login with a password and, when enabled, a second factor; refreshing
//! the token pair; logout of one or every session.

use super::authn::refusal;
use super::limits::{self, Action};
use super::{Principal, activity};
use crate::App;
use crate::domain::{ActivityKind, ClientInfo, RefreshRecord, Rotation, Session, SessionId, User, UserId};
use crate::error::{Error, Result};
use crate::metrics::Metric;
use crate::passwords::Verified;
use crate::store::{Account, LoginName};
use crate::tokens::{self, REFRESH_TOKEN_TTL_SECS};

pub struct Credentials {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: String,
}

/// What a successful login or refresh hands out.
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub user: User,
}

pub async fn login(app: &App, input: Credentials, client: &ClientInfo) -> Result<Tokens> {
    let name = match (&input.email, &input.username) {
        (Some(e), _) => LoginName::Email(e.trim()),
        (None, Some(u)) => LoginName::Username(u.trim()),
        (None, None) => return Err(Error::field("username", "username or email is required")),
    };
    if input.password.is_empty() || input.password.len() > 1024 {
        return Err(Error::InvalidCredentials);
    }
    let email_lower;
    let name = match name {
        LoginName::Email(e) => {
            email_lower = e.to_lowercase();
            LoginName::Email(&email_lower)
        }
        other => other,
    };
    let now = app.now();
    let lockout = &app.config.lockout;
    // Failures, not attempts, count per address: many users behind one NAT may sign in, but
    // guessing is cut off. The address's slot is taken (a conditional write) before anything
    // else and given back by a correct password, in the session's transaction.
    let limit = app.config.limits.login_failures;
    let window = limit.window(now);
    let counter = limits::counter_key("login-fail", &client.ip, window.index);
    if !app.store.take_slot(&counter, limit.max, window.ends_at).await? {
        tracing::info!(ip = %client.ip, limit = %limit, "login rate limited");
        return Err(Error::RateLimited { retry_after_secs: window.retry_after(now) });
    }
    // Same answer, same work (SPEC §6): an unknown name makes the same reads and writes as a
    // wrong password, on a decoy key no item has (docs/decisions.md, "Throttles before the hash").
    let decoy = decoy_subject(&name);
    let user_id = app.store.resolve_login(name).await?;
    let account = match &user_id {
        Some(id) => Account::User(id),
        None => Account::Unknown(&decoy),
    };
    let user = app.store.get_account(account).await?;
    if let Some(wait) = user.as_ref().and_then(|u| u.lockout_remaining(now, lockout)) {
        app.count(Metric::Lockouts);
        return Err(Error::RateLimited { retry_after_secs: wait });
    }
    // The account's check is reserved (counted as a failure) before the hash; for an unknown
    // name the same conditional write fails on the decoy key and writes nothing.
    let reserved = app.store.reserve_password_check(account, user.as_ref(), lockout, now).await?;
    if let (Some(u), false) = (&user, reserved) {
        app.count(Metric::Lockouts);
        return Err(Error::RateLimited { retry_after_secs: refused_wait(app, u, now) });
    }
    // The same argon2 work whether or not the account exists.
    let verified = app.hasher.verify(&input.password, user.as_ref().map(|u| u.password_hash.as_str())).await.map_err(Error::internal)?;
    let (Some(user), true) = (user, verified.ok()) else {
        let entry = activity::entry(app, ActivityKind::LoginFailed, client, None);
        if let Err(e) = app.store.record_account_activity(account, &entry).await {
            tracing::error!(error = %e, "login failure activity not recorded");
        }
        tracing::info!(ip = %client.ip, "login failed");
        app.count(Metric::SignInFailures);
        return Err(Error::InvalidCredentials);
    };
    if let Some(e) = refusal(&user, now) {
        give_back(app, &user, now, &counter).await?;
        return Err(e);
    }
    let rehash = match verified {
        Verified::YesRehashed(h) => Some(h),
        _ => None,
    };
    if user.mfa_enabled {
        // The password was right: its reservations go back; the second step reserves its own.
        give_back(app, &user, now, &counter).await?;
        if let Some(hash) = rehash {
            // Keep the upgraded hash even though the login continues in a second step.
            app.store.upgrade_password_hash(&user.id, &hash).await?;
        }
        return Err(mfa_step(app, &user, now)?);
    }
    start_session(app, user, rehash.as_deref(), client, None, Some((&counter, window.ends_at))).await
}

/// A first factor other than the password checked out (a passkey, an email code or link, an
/// identity provider's ID token): the account's refusals apply as they do after a correct
/// password, an account with MFA gets the second step (`401 MFA_REQUIRED`), any other a session.
/// `how` names the factor in the activity entry ("with a passkey", …).
#[allow(dead_code)] // until its first caller (passkeys, email sign-in, OpenID Connect) lands
pub(crate) async fn after_first_factor(app: &App, user: User, client: &ClientInfo, how: &str) -> Result<Tokens> {
    let now = app.now();
    if let Some(e) = refusal(&user, now) {
        return Err(e);
    }
    if user.mfa_enabled {
        return Err(mfa_step(app, &user, now)?);
    }
    start_session(app, user, None, client, Some(how.to_owned()), None).await
}

/// The answer that sends a user whose first factor checked out to the second step: a short-lived
/// step token (single use, see [`complete_mfa`]) inside `MFA_REQUIRED`.
fn mfa_step(app: &App, user: &User, now: i64) -> Result<Error> {
    let mfa_token = app
        .purpose_tokens()?
        .issue(user.id.as_str(), super::mfa::MFA_TOKEN_TYPE, super::mfa::MFA_TOKEN_TTL_SECS, now)
        .map_err(Error::internal)?;
    Ok(Error::MfaRequired { mfa_token, expires_in: super::mfa::MFA_TOKEN_TTL_SECS })
}

/// A correct password that opens no session (refused account, MFA step next): the account's
/// reservation and the address's failure slot go back.
async fn give_back(app: &App, user: &User, reserved_at: i64, counter: &str) -> Result<()> {
    app.store.release_password_check(user, reserved_at).await?;
    app.store.release_slot(counter).await
}

/// The decoy subject of a login name or an address no account has: a hash of the purpose and
/// the name (so unknown names spread over many keys, like users do).
pub(crate) fn decoy_for(purpose: &str, name: &str) -> String {
    tokens::sha256_hex(&format!("{purpose}:{name}"))[..32].to_owned()
}

fn decoy_subject(name: &LoginName<'_>) -> String {
    match name {
        LoginName::Email(e) => decoy_for("login-email", e),
        LoginName::Username(u) => decoy_for("login-username", &u.to_ascii_lowercase()),
    }
}

/// `Retry-After` of a check the lockout refused when the account as read did not look locked
/// (parallel failures got there first): the wait of the failure that is now at least counted.
fn refused_wait(app: &App, user: &User, now: i64) -> u64 {
    let lockout = &app.config.lockout;
    lockout.remaining(user.failed_logins.saturating_add(1).max(lockout.threshold), Some(now), now).unwrap_or(1)
}

/// A password check reserved on a signed-in user's account (counted as a failed login until
/// [`Reserved::give_back`]): the endpoints that confirm a sensitive action with the password
/// (`PUT /me/password`, `POST /me/email`, MFA changes, `DELETE /me`) share login's lockout.
pub(crate) struct Reserved {
    seen: User,
    at: i64,
}

impl Reserved {
    /// The check passed: the reservation goes back.
    pub(crate) async fn give_back(self, app: &App) -> Result<()> {
        app.store.release_password_check(&self.seen, self.at).await
    }
}

/// Checks the signed-in `user`'s password under the login lockout: `429` while locked, the
/// check reserved by a conditional write before argon2 (so parallel guesses get no more than
/// the lockout allows), `400 INVALID_PASSWORD` for a wrong one, which stays counted. The caller
/// gives the reservation back once everything it asks for (e.g. a second factor too) checked out.
pub(crate) async fn confirm_password(app: &App, user: &User, given: &str) -> Result<Reserved> {
    let now = app.now();
    if let Some(wait) = user.lockout_remaining(now, &app.config.lockout) {
        return Err(Error::RateLimited { retry_after_secs: wait });
    }
    if given.is_empty() || given.len() > 1024 {
        return Err(Error::InvalidPassword);
    }
    if !app.store.reserve_password_check(Account::User(&user.id), Some(user), &app.config.lockout, now).await? {
        return Err(Error::RateLimited { retry_after_secs: refused_wait(app, user, now) });
    }
    let verified = app.hasher.verify(given, Some(&user.password_hash)).await.map_err(Error::internal)?;
    if !verified.ok() {
        return Err(Error::InvalidPassword);
    }
    Ok(Reserved { seen: user.clone(), at: now })
}

/// [`confirm_password`] for an action the password alone confirms.
pub(crate) async fn check_password(app: &App, user: &User, given: &str) -> Result<()> {
    confirm_password(app, user, given).await?.give_back(app).await
}

/// Opens a session for a user who proved who they are: the session, its first refresh token,
/// the login bookkeeping and the activity entry in one transaction.
async fn start_session(
    app: &App,
    user: User,
    rehash: Option<&str>,
    client: &ClientInfo,
    detail: Option<String>,
    release_slot: Option<(&str, i64)>,
) -> Result<Tokens> {
    let now = app.now();
    let session = Session {
        id: SessionId::generate(app.clock.now()),
        user_id: user.id.clone(),
        created_at: now,
        last_used_at: now,
        expires_at: now + REFRESH_TOKEN_TTL_SECS,
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        epoch: user.session_epoch(),
    };
    let refresh_token = format!("rt_{}", tokens::random_token(32));
    let refresh = RefreshRecord {
        hash: tokens::sha256_hex(&refresh_token),
        user_id: user.id.clone(),
        session_id: session.id.clone(),
        expires_at: session.expires_at,
        rotated: false,
        epoch: session.epoch,
    };
    let entry = activity::entry(app, ActivityKind::LoginSucceeded, client, detail);
    app.store.create_session(&session, &refresh, rehash, &entry, now, release_slot).await?;
    let (access_token, expires_in) = super::signing::issue_access(app, &user.id, &session.id, user.role).await?;
    tracing::info!(user = %user.id, session = %session.id, "login succeeded");
    app.count(Metric::SignIns);
    let mut user = user;
    user.last_login_at = Some(now);
    Ok(Tokens { access_token, refresh_token, expires_in, user })
}

/// `POST /mfa {mfaToken, code}`: the second step of a login. Wrong codes count as failed logins
/// (same lockout as passwords, reserved before the code is compared).
pub async fn complete_mfa(app: &App, mfa_token: &str, code: &str, client: &ClientInfo) -> Result<Tokens> {
    let now = app.now();
    let claims = app.purpose_tokens()?.verify(mfa_token, super::mfa::MFA_TOKEN_TYPE, now).map_err(|_| Error::Unauthenticated)?;
    let user_id = UserId::parse(&claims.sub).ok_or(Error::Unauthenticated)?;
    limits::count_attempt(app, Action::MfaVerify, client).await?;
    let (user, state) = app.store.get_user_and_mfa(&user_id).await?.ok_or(Error::Unauthenticated)?;
    if let Some(wait) = user.lockout_remaining(now, &app.config.lockout) {
        app.count(Metric::Lockouts);
        return Err(Error::RateLimited { retry_after_secs: wait });
    }
    if let Some(e) = refusal(&user, now) {
        return Err(e);
    }
    if !state.enabled {
        return Err(Error::Unauthenticated);
    }
    // The code's check is reserved on the account like a password's, before it is compared.
    if !app.store.reserve_password_check(Account::User(&user.id), Some(&user), &app.config.lockout, now).await? {
        app.count(Metric::Lockouts);
        return Err(Error::RateLimited { retry_after_secs: refused_wait(app, &user, now) });
    }
    if !super::mfa::check_factor(app, &user, &state, code, client).await? {
        activity::record(app, &user.id, ActivityKind::LoginFailed, client, Some("second factor".into())).await;
        app.count(Metric::SignInFailures);
        return Err(Error::InvalidCode);
    }
    // The step token is single use: a copy of it (a log, a proxy, a shoulder) opens no second
    // session. Marked after the factor check so a mistyped code does not cost a new login.
    if !app.store.use_once(super::mfa::MFA_TOKEN_TYPE, &claims.jti, claims.exp).await? {
        tracing::warn!(user = %user.id, "spent mfa step token presented again");
        return Err(Error::Unauthenticated);
    }
    start_session(app, user, None, client, Some("with second factor".into()), None).await
}

/// Exchanges a refresh token for a new pair. Presenting a token that was already exchanged
/// ends its whole session: one of the two holders is not the user.
pub async fn refresh(app: &App, token: &str, client: &ClientInfo) -> Result<Tokens> {
    if !token.starts_with("rt_") || token.len() > 128 {
        return Err(Error::Unauthenticated);
    }
    let now = app.now();
    let Some(current) = app.store.get_refresh(&tokens::sha256_hex(token)).await? else { return Err(Error::Unauthenticated) };
    if current.rotated {
        app.store.delete_session(&current.user_id, &current.session_id).await?;
        activity::record(app, &current.user_id, ActivityKind::RefreshReuse, client, None).await;
        tracing::warn!(user = %current.user_id, session = %current.session_id, "refresh token reuse: session revoked");
        return Err(Error::Unauthenticated);
    }
    if current.expires_at <= now {
        return Err(Error::Unauthenticated);
    }
    let Some(user) = app.store.get_user(&current.user_id).await? else { return Err(Error::Unauthenticated) };
    if user.session_cut_off(&current.session_id, current.epoch) {
        // Ended by a password change or reset whose session cleanup had not finished.
        return Err(Error::Unauthenticated);
    }
    if let Some(e) = refusal(&user, now) {
        app.store.delete_session(&user.id, &current.session_id).await?;
        return Err(e);
    }
    let refresh_token = format!("rt_{}", tokens::random_token(32));
    let next = RefreshRecord {
        hash: tokens::sha256_hex(&refresh_token),
        user_id: user.id.clone(),
        session_id: current.session_id.clone(),
        expires_at: current.expires_at,
        rotated: false,
        epoch: current.epoch,
    };
    match app.store.rotate_refresh(&current, &next, now).await? {
        Rotation::Rotated => {}
        Rotation::Reused => {
            app.store.delete_session(&user.id, &current.session_id).await?;
            activity::record(app, &user.id, ActivityKind::RefreshReuse, client, Some("concurrent".into())).await;
            tracing::warn!(user = %user.id, session = %current.session_id, "concurrent refresh token reuse: session revoked");
            return Err(Error::Unauthenticated);
        }
        Rotation::SessionGone => return Err(Error::Unauthenticated),
    }
    let (access_token, expires_in) = super::signing::issue_access(app, &user.id, &current.session_id, user.role).await?;
    Ok(Tokens { access_token, refresh_token, expires_in, user })
}

pub async fn logout(app: &App, principal: &Principal, client: &ClientInfo) -> Result<()> {
    app.store.delete_session(&principal.user.id, &principal.session.id).await?;
    activity::record(app, &principal.user.id, ActivityKind::Logout, client, None).await;
    Ok(())
}

/// Ends every session of the caller; returns how many.
pub async fn logout_all(app: &App, principal: &Principal, client: &ClientInfo) -> Result<usize> {
    let ended = app.store.delete_sessions(&principal.user.id, None).await?;
    activity::record(app, &principal.user.id, ActivityKind::LogoutAll, client, Some(format!("{ended} sessions"))).await;
    Ok(ended)
}
