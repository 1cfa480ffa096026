//! Sign-up, activation, login, token refresh, logout and password reset (SPEC §3.1).

use super::limits::{self, Action};
use super::outbox;
use super::{Principal, activity};
use crate::App;
use crate::domain::ClientInfo;
use crate::domain::{ActivationState, ActivityKind, Email, Password, PasswordPolicyInput, SessionId, User, UserId, Username};
use crate::error::{BanInfo, Error, Result};
use crate::mail::{self, Lang};
use crate::passwords::Verified;
use crate::store::{LinkToken, LoginName, NewUser, RefreshRecord, Session, TokenKind};
use crate::tokens::{self, REFRESH_TOKEN_TTL_SECS, TokenRejection};

/// Activation codes and links are valid 24 h; 5 wrong codes use a code up.
pub const ACTIVATION_TTL_SECS: i64 = 24 * 3600;
pub const ACTIVATION_MAX_ATTEMPTS: u32 = 5;
/// Reset links are valid 1 h.
pub const RESET_TTL_SECS: i64 = 3600;
/// At most one activation or reset mail per account per minute.
pub const MAIL_INTERVAL_SECS: i64 = 60;
/// Captchas are valid 5 minutes.
pub const CAPTCHA_TTL_SECS: i64 = 300;

// ---- authentication -------------------------------------------------------------------------

/// Checks an access token and that its session still exists; one DynamoDB round trip.
pub async fn authenticate(app: &App, token: &str) -> Result<Principal> {
    let now = app.now();
    let claims = app.tokens.verify_access(token, now).map_err(|r| match r {
        TokenRejection::Expired => Error::TokenExpired,
        TokenRejection::Invalid => Error::Unauthenticated,
    })?;
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

/// Checks an API key: known, active, not expired, and its owner in good standing. Two reads
/// (the key by its hash, then the owner); use is recorded at most once a minute.
pub async fn authenticate_key(app: &App, secret: &str) -> Result<(User, crate::store::ApiKeyRecord)> {
    use crate::store::KeyStatus;
    if !secret.starts_with(crate::domain::API_KEY_PREFIX) || secret.len() > 128 {
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
                app.store.retire_api_key(&key, KeyStatus::Expired, now, Some(&entry)).await?;
            }
            return Err(Error::Unauthenticated);
        }
    }
    let Some(user) = app.store.get_user(&key.user_id).await? else { return Err(Error::Unauthenticated) };
    if let Some(e) = refusal(&user, now) {
        return Err(e);
    }
    if !user.email_verified {
        return Err(Error::AccountNotActivated);
    }
    app.store.touch_api_key(&key, now, KEY_TOUCH_INTERVAL_SECS).await?;
    Ok((user, key))
}

/// `lastUsedAt` of a key moves at most once a minute.
pub const KEY_TOUCH_INTERVAL_SECS: i64 = 60;

/// Why an account with a correct credential may still not act.
fn refusal(user: &User, now: i64) -> Option<Error> {
    if user.deletion_scheduled_at.is_some() {
        return Some(Error::AccountPendingDeletion);
    }
    if user.is_banned(now) {
        return Some(Error::AccountBanned(BanInfo {
            banned_until: user.banned_until.flatten().map(crate::clock::rfc3339),
            ban_reason: user.ban_reason.clone(),
        }));
    }
    None
}

// ---- captcha --------------------------------------------------------------------------------

pub struct IssuedCaptcha {
    pub id: String,
    pub image: String,
    pub expires_in: i64,
}

pub async fn captcha(app: &App, client: &ClientInfo) -> Result<IssuedCaptcha> {
    limits::count_attempt(app, Action::Captcha, client).await?;
    let image = tokio::task::spawn_blocking(crate::captcha::generate).await.map_err(Error::internal)?.map_err(Error::internal)?;
    let id = format!("cap_{}", crate::domain::new_ulid(app.clock.now()));
    let answer_hash = app.tokens.code_hash("captcha", &id, &image.answer);
    app.store.put_captcha(&id, &answer_hash, app.now() + CAPTCHA_TTL_SECS).await?;
    Ok(IssuedCaptcha { id, image: image.data_url, expires_in: CAPTCHA_TTL_SECS })
}

async fn check_captcha(app: &App, captcha: Option<(String, String)>) -> Result<()> {
    let Some((id, answer)) = captcha else { return Err(Error::InvalidCaptcha) };
    if id.len() > 64 || answer.len() > 32 {
        return Err(Error::InvalidCaptcha);
    }
    let Some((stored, expires_at)) = app.store.take_captcha(&id).await? else { return Err(Error::InvalidCaptcha) };
    let given = app.tokens.code_hash("captcha", &id, &crate::captcha::normalise_answer(&answer));
    if expires_at <= app.now() || !tokens::constant_time_eq(&stored, &given) {
        return Err(Error::InvalidCaptcha);
    }
    Ok(())
}

// ---- registration and activation --------------------------------------------------------------

pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    /// `(captchaId, answer)` when the client sent them.
    pub captcha: Option<(String, String)>,
}

pub struct Registered {
    pub user: User,
    /// False when the activation mail could not be sent (the account exists; resend works).
    pub mail_sent: bool,
}

pub async fn register(app: &App, input: Registration, client: &ClientInfo) -> Result<Registered> {
    let mut errors = Vec::new();
    let username = Username::parse(&input.username, "username").map_err(|e| errors.push(e)).ok();
    let email = Email::parse(&input.email, "email").map_err(|e| errors.push(e)).ok();
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let (Some(username), Some(email)) = (username, email) else { return Err(Error::Validation(errors)) };
    let ctx = PasswordPolicyInput { username: username.as_str(), email: email.as_str() };
    let password = Password::parse(&input.password, "password", &ctx).map_err(Error::WeakPassword)?;
    // Counted once the input is known to be well-formed, before the captcha, argon2 and mail.
    limits::count_attempt(app, Action::Register, client).await?;
    if app.config.require_captcha {
        check_captcha(app, input.captcha).await?;
    }

    let now = app.now();
    let id = UserId::generate(app.clock.now());
    let code = tokens::random_digits(6);
    let link_token = tokens::random_token(32);
    let activation = ActivationState {
        code_hash: app.tokens.code_hash("activation", id.as_str(), &code),
        token_hash: tokens::sha256_hex(&link_token),
        expires_at: now + ACTIVATION_TTL_SECS,
        attempts: 0,
        sent_at: now,
    };
    let user = User {
        id: id.clone(),
        username: username.as_str().to_owned(),
        email: email.as_str().to_owned(),
        password_hash: app.hasher.hash(password.expose()).await.map_err(Error::internal)?,
        role: crate::domain::Role::User,
        plan: "FREE".into(),
        plan_expires_at: None,
        usage: Default::default(),
        name: None,
        bio: None,
        location: None,
        website: None,
        avatar_key: None,
        preferences: Default::default(),
        email_verified: false,
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
        activation: Some(activation.clone()),
        reset_token_hash: None,
        reset_sent_at: None,
        settings: crate::domain::Settings::defaults(now),
        email_change: None,
        session_cutoff: None,
        version: 1,
    };
    let token =
        LinkToken { hash: activation.token_hash.clone(), kind: TokenKind::Activation, user_id: id, expires_at: activation.expires_at };
    let entry = activity::entry(app, ActivityKind::Registered, client, None);
    let unverified_purge_at = Some(now + i64::from(app.config.unverified_ttl_days) * 86_400);
    // The activation mail is counted on the recipient's mail counter inside the transaction,
    // without the limit's condition: the address has no account (the email marker is created
    // in the same transaction), so sign-up mails an address once per account at most, and
    // later mails (resend, reset) still see this one counted.
    let mail_counter = Some(outbox::counter(app, email.as_str()));
    app.store
        .create_user(&NewUser {
            user: user.clone(),
            activation_token: Some(token),
            activity: entry,
            audit: None,
            unverified_purge_at,
            mail_counter,
        })
        .await?;
    tracing::info!(user = %user.id, email = %email.redacted(), "user registered");

    let mail_sent =
        sent(&user, outbox::send_reserved(app, &activation_mail(app, &user, &code, &link_token)).await.map(|()| outbox::Delivery::Sent));
    Ok(Registered { user, mail_sent })
}

fn activation_mail(app: &App, user: &User, code: &str, link_token: &str) -> mail::Mail {
    let link = format!("{}/api/auth/activate?token={link_token}", app.config.public_base_url);
    let lang = Lang::from_primary(user.preferences.language.primary());
    mail::activation(lang, &user.email, &user.username, code, &link)
}

pub(crate) async fn send_activation(app: &App, user: &User, code: &str, link_token: &str) -> bool {
    sent(user, outbox::send(app, &activation_mail(app, user, code, link_token)).await)
}

/// Whether an activation mail went out; a failure is logged (the account stays either way).
fn sent(user: &User, result: anyhow::Result<outbox::Delivery>) -> bool {
    match result {
        Ok(outbox::Delivery::Sent) => true,
        Ok(outbox::Delivery::Limited) => false,
        Err(e) => {
            // The account stays; the user can ask for the mail again.
            tracing::error!(user = %user.id, error = format!("{e:#}"), "activation mail failed");
            false
        }
    }
}

/// `POST /activate {code}` by the signed-in (unactivated) user.
pub async fn activate_with_code(app: &App, principal: &Principal, code: &str, client: &ClientInfo) -> Result<()> {
    let user = &principal.user;
    if user.email_verified {
        return Ok(());
    }
    let Some(state) = &user.activation else { return Err(Error::InvalidCode) };
    let now = app.now();
    if state.expires_at <= now {
        return Err(Error::CodeExpired);
    }
    if state.attempts >= ACTIVATION_MAX_ATTEMPTS {
        return Err(Error::InvalidCode);
    }
    let given = app.tokens.code_hash("activation", user.id.as_str(), code.trim());
    if !tokens::constant_time_eq(&state.code_hash, &given) {
        app.store.count_activation_attempt(&user.id, ACTIVATION_MAX_ATTEMPTS).await?;
        return Err(Error::InvalidCode);
    }
    if !app.store.complete_activation(&user.id, &state.token_hash, now).await? {
        // Replaced, used up or expired in the meantime.
        return Err(Error::InvalidCode);
    }
    activity::record(app, &user.id, ActivityKind::Activated, client, Some("by code".into())).await;
    tracing::info!(user = %user.id, "account activated by code");
    Ok(())
}

/// `GET /activate?token=` from the mail link.
pub async fn activate_with_token(app: &App, token: &str, client: &ClientInfo) -> Result<()> {
    let hash = tokens::sha256_hex(token);
    let Some(found) = app.store.get_link_token(&hash).await? else { return Err(Error::InvalidToken) };
    if found.kind != TokenKind::Activation || found.expires_at <= app.now() {
        return Err(Error::InvalidToken);
    }
    if !app.store.complete_activation(&found.user_id, &hash, app.now()).await? {
        return Err(Error::InvalidToken);
    }
    activity::record(app, &found.user_id, ActivityKind::Activated, client, Some("by link".into())).await;
    tracing::info!(user = %found.user_id, "account activated by link");
    Ok(())
}

/// Sends a fresh code and link when the address belongs to an unactivated account. Says nothing
/// about whether it does (the caller always answers 202).
pub async fn resend_activation(app: &App, email: &str, client: &ClientInfo) -> Result<()> {
    let Ok(email) = Email::parse(email, "email") else { return Err(Error::field("email", "must be a valid email address")) };
    limits::count_attempt(app, Action::ResendActivation, client).await?;
    let Some(id) = app.store.user_id_by_email(email.as_str()).await? else { return Ok(()) };
    let Some(user) = app.store.get_user(&id).await? else { return Ok(()) };
    if user.email_verified {
        return Ok(());
    }
    let now = app.now();
    let code = tokens::random_digits(6);
    let link_token = tokens::random_token(32);
    let next = ActivationState {
        code_hash: app.tokens.code_hash("activation", id.as_str(), &code),
        token_hash: tokens::sha256_hex(&link_token),
        expires_at: now + ACTIVATION_TTL_SECS,
        attempts: 0,
        sent_at: now,
    };
    let token = LinkToken { hash: next.token_hash.clone(), kind: TokenKind::Activation, user_id: id.clone(), expires_at: next.expires_at };
    let old = user.activation.as_ref().map(|a| a.token_hash.as_str());
    // The mail slot first: a limited resend must not replace the code the user already has.
    if !outbox::reserve(app, &user.email).await? {
        return Ok(());
    }
    if app.store.replace_activation(&id, old, &next, &token, MAIL_INTERVAL_SECS).await? {
        if let Err(e) = outbox::send_reserved(app, &activation_mail(app, &user, &code, &link_token)).await {
            tracing::error!(user = %id, error = format!("{e:#}"), "activation mail failed");
        }
    } else {
        tracing::info!(user = %id, "activation resend throttled");
    }
    Ok(())
}

// ---- login, refresh, logout ---------------------------------------------------------------

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
    // Failures, not attempts, count per address: many users behind one NAT may sign in, but
    // guessing is cut off. The counter is read in the same BatchGetItem as the login name, so
    // a successful login costs no extra call; only a failure writes it.
    let limit = app.config.limits.login_failures;
    let window = limit.window(now);
    let counter = limits::counter_key("login-fail", &client.ip, window.index);
    let (user_id, address_failures) = app.store.resolve_login(name, &counter).await?;
    if address_failures >= i64::from(limit.max) {
        tracing::info!(ip = %client.ip, limit = %limit, "login rate limited");
        return Err(Error::RateLimited { retry_after_secs: window.retry_after(now) });
    }
    let user = match &user_id {
        Some(id) => app.store.get_user(id).await?,
        None => None,
    };
    if let Some(wait) = user.as_ref().and_then(|u| u.lockout_remaining(now, &app.config.lockout)) {
        return Err(Error::RateLimited { retry_after_secs: wait });
    }
    // The same argon2 work whether or not the account exists.
    let verified = app.hasher.verify(&input.password, user.as_ref().map(|u| u.password_hash.as_str())).await.map_err(Error::internal)?;
    let (Some(user), true) = (user, verified.ok()) else {
        if let Some(id) = &user_id {
            app.store.record_login_failure(id, now).await?;
            activity::record(app, id, ActivityKind::LoginFailed, client, None).await;
        }
        app.store.take_slot(&counter, limit.max, window.ends_at).await?;
        tracing::info!(ip = %client.ip, "login failed");
        return Err(Error::InvalidCredentials);
    };
    if let Some(e) = refusal(&user, now) {
        return Err(e);
    }
    let rehash = match verified {
        Verified::YesRehashed(h) => Some(h),
        _ => None,
    };
    if user.mfa_enabled {
        if let Some(hash) = rehash {
            // Keep the upgraded hash even though the login continues in a second step.
            app.store.upgrade_password_hash(&user.id, &hash).await?;
        }
        let mfa_token = app
            .tokens
            .issue_purpose(user.id.as_str(), super::mfa::MFA_TOKEN_TYPE, super::mfa::MFA_TOKEN_TTL_SECS, now)
            .map_err(Error::internal)?;
        return Err(Error::MfaRequired { mfa_token, expires_in: super::mfa::MFA_TOKEN_TTL_SECS });
    }
    start_session(app, user, rehash.as_deref(), client, None).await
}

/// Opens a session for a user who proved who they are: the session, its first refresh token,
/// the login bookkeeping and the activity entry in one transaction.
async fn start_session(app: &App, user: User, rehash: Option<&str>, client: &ClientInfo, detail: Option<String>) -> Result<Tokens> {
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
    app.store.create_session(&session, &refresh, rehash, &entry, now).await?;
    let (access_token, expires_in) = app.tokens.issue_access(&user.id, &session.id, user.role, now).map_err(Error::internal)?;
    tracing::info!(user = %user.id, session = %session.id, "login succeeded");
    let mut user = user;
    user.last_login_at = Some(now);
    Ok(Tokens { access_token, refresh_token, expires_in, user })
}

/// `POST /mfa {mfaToken, code}`: the second step of a login. Wrong codes count as failed logins
/// (same lockout as passwords).
pub async fn complete_mfa(app: &App, mfa_token: &str, code: &str, client: &ClientInfo) -> Result<Tokens> {
    let now = app.now();
    let claims = app.tokens.verify_purpose(mfa_token, super::mfa::MFA_TOKEN_TYPE, now).map_err(|_| Error::Unauthenticated)?;
    let user_id = UserId::parse(&claims.sub).ok_or(Error::Unauthenticated)?;
    limits::count_attempt(app, Action::MfaVerify, client).await?;
    let (user, state) = app.store.get_user_and_mfa(&user_id).await?.ok_or(Error::Unauthenticated)?;
    if let Some(wait) = user.lockout_remaining(now, &app.config.lockout) {
        return Err(Error::RateLimited { retry_after_secs: wait });
    }
    if let Some(e) = refusal(&user, now) {
        return Err(e);
    }
    if !state.enabled {
        return Err(Error::Unauthenticated);
    }
    if !super::mfa::check_factor(app, &user, &state, code, client).await? {
        app.store.record_login_failure(&user.id, now).await?;
        activity::record(app, &user.id, ActivityKind::LoginFailed, client, Some("second factor".into())).await;
        return Err(Error::InvalidCode);
    }
    start_session(app, user, None, client, Some("with second factor".into())).await
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
        crate::store::Rotation::Rotated => {}
        crate::store::Rotation::Reused => {
            app.store.delete_session(&user.id, &current.session_id).await?;
            activity::record(app, &user.id, ActivityKind::RefreshReuse, client, Some("concurrent".into())).await;
            tracing::warn!(user = %user.id, session = %current.session_id, "concurrent refresh token reuse: session revoked");
            return Err(Error::Unauthenticated);
        }
        crate::store::Rotation::SessionGone => return Err(Error::Unauthenticated),
    }
    let (access_token, expires_in) = app.tokens.issue_access(&user.id, &current.session_id, user.role, now).map_err(Error::internal)?;
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

// ---- password reset -------------------------------------------------------------------------

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
    let Some(id) = app.store.user_id_by_email(email.as_str()).await? else { return Ok(()) };
    let Some(user) = app.store.get_user(&id).await? else { return Ok(()) };
    let now = app.now();
    let raw = tokens::random_token(32);
    let token =
        LinkToken { hash: tokens::sha256_hex(&raw), kind: TokenKind::PasswordReset, user_id: id.clone(), expires_at: now + RESET_TTL_SECS };
    // The mail slot first: a limited request must not void the link the user already has.
    if !outbox::reserve(app, &user.email).await? {
        return Ok(());
    }
    if !app.store.start_reset(&user, &token, now, MAIL_INTERVAL_SECS).await? {
        tracing::info!(user = %id, "password reset mail throttled");
        return Ok(());
    }
    activity::record(app, &id, ActivityKind::PasswordResetRequested, client, None).await;
    let link = format!("{}/reset-password?token={raw}", app.config.public_base_url);
    let message = mail::password_reset(Lang::from_primary(user.preferences.language.primary()), &user.email, &user.username, &link);
    if let Err(e) = outbox::send_reserved(app, &message).await {
        tracing::error!(user = %id, error = format!("{e:#}"), "reset mail failed");
    }
    Ok(())
}

/// Sets a new password from a reset link and ends every session.
pub async fn reset_password(app: &App, token: &str, new_password: &str, client: &ClientInfo) -> Result<()> {
    let hash = tokens::sha256_hex(token);
    let Some(found) = app.store.get_link_token(&hash).await? else { return Err(Error::InvalidToken) };
    if found.kind != TokenKind::PasswordReset || found.expires_at <= app.now() {
        return Err(Error::InvalidToken);
    }
    let Some(user) = app.store.get_user(&found.user_id).await? else { return Err(Error::InvalidToken) };
    let ctx = PasswordPolicyInput { username: &user.username, email: &user.email };
    let password = Password::parse(new_password, "newPassword", &ctx).map_err(Error::WeakPassword)?;
    let password_hash = app.hasher.hash(password.expose()).await.map_err(Error::internal)?;
    if !app.store.complete_reset(&user.id, &hash, &password_hash, app.now()).await? {
        return Err(Error::InvalidToken);
    }
    let ended = end_sessions_after_password_change(app, &user.id, None).await;
    activity::record(app, &user.id, ActivityKind::PasswordReset, client, Some(format!("{ended} sessions ended"))).await;
    tracing::info!(user = %user.id, sessions_ended = ended, "password reset");
    Ok(())
}
