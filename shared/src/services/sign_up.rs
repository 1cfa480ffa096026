//! Sign-up (SPEC §3.1): the captcha, registration, and activation by code or by the mailed
//! link, and resending them.

use super::limits::{self, Action};
use super::{Principal, activity};
use super::{events, mailing};
use crate::App;
use crate::domain::{
    ActivationState, ActivityKind, ClientInfo, Email, Language, LinkToken, Password, PasswordPolicyInput, Role, TokenKind, User, UserId,
    Username,
};
use crate::error::{Error, FieldError, Result};
use crate::mail::{self, Lang};
use crate::secrets::CodePepper;
use crate::store::{Account, NewUser};
use crate::tokens;

/// Activation codes and links are valid 24 h ([`ActivationState::TTL_SECS`]); 5 wrong codes use a code up.
pub const ACTIVATION_MAX_ATTEMPTS: u32 = 5;
/// Captchas are valid 5 minutes.
pub const CAPTCHA_TTL_SECS: i64 = 300;

pub struct IssuedCaptcha {
    pub id: String,
    pub image: String,
    pub expires_in: i64,
}

pub async fn captcha(app: &App, client: &ClientInfo) -> Result<IssuedCaptcha> {
    limits::count_attempt(app, Action::Captcha, client).await?;
    let image = tokio::task::spawn_blocking(crate::captcha::generate).await.map_err(Error::internal)?.map_err(Error::internal)?;
    let id = format!("cap_{}", crate::domain::new_ulid(app.clock.now()));
    let answer_hash = app.code_pepper()?.hash("captcha", &id, &image.answer);
    app.store.put_captcha(&id, &answer_hash, app.now() + CAPTCHA_TTL_SECS).await?;
    Ok(IssuedCaptcha { id, image: image.data_url, expires_in: CAPTCHA_TTL_SECS })
}

async fn check_captcha(app: &App, captcha: Option<(String, String)>, client: &ClientInfo) -> Result<()> {
    if let Some(verifier) = &app.captcha_provider {
        // A provider's widget token arrives as `captcha` (no `captchaId`).
        let Some((_, token)) = captcha else { return Err(Error::InvalidCaptcha) };
        return match verifier.verify(&token, &client.ip).await {
            crate::captcha::Verdict::Passed => Ok(()),
            crate::captcha::Verdict::Failed(codes) => {
                tracing::info!(provider = verifier.provider().as_str(), codes = ?codes, "captcha refused");
                Err(Error::InvalidCaptcha)
            }
            crate::captcha::Verdict::Unavailable(reason) => {
                tracing::error!(provider = verifier.provider().as_str(), %reason, "captcha verification unavailable; refused");
                Err(Error::DependencyUnavailable(anyhow::anyhow!("captcha verification unavailable: {reason}")))
            }
        };
    }
    let Some((id, answer)) = captcha else { return Err(Error::InvalidCaptcha) };
    if id.len() > 64 || answer.len() > 32 {
        return Err(Error::InvalidCaptcha);
    }
    let pepper = app.code_pepper()?;
    let Some((stored, expires_at)) = app.store.take_captcha(&id).await? else { return Err(Error::InvalidCaptcha) };
    if expires_at <= app.now() || !pepper.matches(&stored, "captcha", &id, &crate::captcha::normalise_answer(&answer)) {
        return Err(Error::InvalidCaptcha);
    }
    Ok(())
}

pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    /// `(captchaId, answer)` when the client sent them.
    pub captcha: Option<(String, String)>,
    /// The language the person signed up in (the hosted pages'), kept as
    /// `preferences.language` so the activation mail and later pages speak it; `None`: English.
    pub language: Option<Language>,
}

pub struct Registered {
    pub user: User,
    /// False when the activation mail could not be sent (the account exists; resend works).
    pub mail_sent: bool,
}

/// A new account's username, email and password, checked by the rules of sign-up: the field
/// errors of the username, the email and `also` (one the caller found, such as admin's role)
/// as one `VALIDATION_ERROR`, then the password policy, which compares against both. Sign-up,
/// the admin API and the bootstrap command create accounts through this one check.
pub(crate) fn parse_new_account(
    username: &str,
    email: &str,
    password: &str,
    also: Option<FieldError>,
    policy: crate::domain::PasswordPolicy,
) -> Result<(Username, Email, Password)> {
    let mut errors = Vec::new();
    let username = Username::parse(username, "username").map_err(|e| errors.push(e)).ok();
    let email = Email::parse(email, "email").map_err(|e| errors.push(e)).ok();
    errors.extend(also);
    let (Some(username), Some(email), true) = (username, email, errors.is_empty()) else { return Err(Error::Validation(errors)) };
    let ctx = PasswordPolicyInput { username: username.as_str(), email: email.as_str() };
    let password = Password::parse(password, "password", &ctx, policy).map_err(Error::WeakPassword)?;
    Ok((username, email, password))
}

/// A fresh activation of `user`: what is stored (hashes only) and the code and link token to
/// mail, which exist nowhere else.
pub(crate) struct IssuedActivation {
    pub state: ActivationState,
    pub token: LinkToken,
    pub code: String,
    pub link_token: String,
}

/// Draws a new 6-digit code and link token for `user` at `now` (sign-up, resend, admin create).
pub(crate) fn issue_activation(codes: &CodePepper, user: &UserId, now: i64) -> IssuedActivation {
    let code = tokens::random_digits(6);
    let link_token = tokens::random_token(32);
    let state = ActivationState::new(codes.hash("activation", user.as_str(), &code), tokens::sha256_hex(&link_token), now);
    let token =
        LinkToken { hash: state.token_hash.clone(), kind: TokenKind::Activation, user_id: user.clone(), expires_at: state.expires_at };
    IssuedActivation { state, token, code, link_token }
}

pub async fn register(app: &App, input: Registration, client: &ClientInfo) -> Result<Registered> {
    let (username, email, password) = parse_new_account(&input.username, &input.email, &input.password, None, app.config.passwords.policy)?;
    // Counted once the input is known to be well-formed, before the captcha, argon2 and mail.
    limits::count_attempt(app, Action::Register, client).await?;
    if app.config.require_captcha {
        check_captcha(app, input.captcha, client).await?;
    }
    super::password_policy::screen_breached(app, password.expose(), "password").await?;

    let now = app.now();
    let id = UserId::generate(app.clock.now());
    let password_hash = app.hasher.hash(password.expose()).await.map_err(Error::internal)?;
    let issued = issue_activation(app.code_pepper()?, &id, now);
    let mut user = User::new_account(id, &username, &email, password_hash, Role::User, Some(issued.state), now);
    if let Some(language) = input.language {
        user.preferences.language = language;
    }
    let entry = activity::entry(app, ActivityKind::Registered, client, None);
    let unverified_purge_at = Some(now + i64::from(app.config.unverified_ttl_days) * 86_400);
    // The activation mail is counted on the recipient's mail counter inside the transaction,
    // without the limit's condition: the address has no account (the email marker is created
    // in the same transaction), so sign-up mails an address once per account at most, and
    // later mails (resend, reset) still see this one counted.
    let mail_counter = Some(mailing::counter(app, email.as_str())?);
    // The same transaction checks the suppression list (a bounced or complaining address gets
    // its account, but no mail).
    let suppressed = app
        .store
        .create_user_checking_mail(&NewUser {
            user: user.clone(),
            activation_token: Some(issued.token),
            activity: entry,
            audit: None,
            unverified_purge_at,
            mail_counter,
            events: vec![events::created(&*app.clock, &user, None)],
        })
        .await?;
    tracing::info!(user = %user.id, email = %email.redacted(), "user registered");
    app.count(crate::metrics::Metric::SignUps);

    let mail = activation_mail(app, &user, &issued.code, &issued.link_token);
    let mail_sent = match suppressed {
        Some(m) => {
            tracing::info!(user = %user.id, reason = m.reason.as_str(), "activation mail not sent: the address is on the suppression list");
            app.count_mail(crate::metrics::MailOutcome::Suppressed, mail.kind);
            user.mail_suppression = Some(m);
            false
        }
        None => sent(&user, mailing::send_reserved(app, &mail).await.map(|()| mailing::Delivery::Sent)),
    };
    Ok(Registered { user, mail_sent })
}

fn activation_mail(app: &App, user: &User, code: &str, link_token: &str) -> mail::Mail {
    // The hosted page, whose button POSTs the token: a link never acts on GET (SPEC §3.8), since
    // mail scanners and previews open links. `GET /api/auth/activate?token=` still works for
    // API callers.
    let link = format!("{}/activate?token={link_token}", app.config.public_base_url);
    let lang = Lang::from_primary(user.preferences.language.primary());
    mail::activation(lang, user.email.as_str(), user.username.as_str(), code, &link)
}

pub(crate) async fn send_activation(app: &App, user: &User, code: &str, link_token: &str) -> bool {
    sent(user, mailing::send(app, &activation_mail(app, user, code, link_token)).await)
}

/// Whether an activation mail went out; a failure is logged (the account stays either way).
fn sent(user: &User, result: anyhow::Result<mailing::Delivery>) -> bool {
    match result {
        Ok(mailing::Delivery::Sent) => true,
        Ok(mailing::Delivery::Limited | mailing::Delivery::Suppressed) => false,
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
    // The attempt is counted (conditionally) before the code is compared, and the completing
    // write checks the count again: parallel guesses get no more than the limit between them.
    if state.attempts >= ACTIVATION_MAX_ATTEMPTS || !app.store.count_activation_attempt(&user.id, ACTIVATION_MAX_ATTEMPTS).await? {
        return Err(Error::InvalidCode);
    }
    if !app.code_pepper()?.matches(&state.code_hash, "activation", user.id.as_str(), code.trim()) {
        return Err(Error::InvalidCode);
    }
    let event = events::activated(&*app.clock, &user.id, "code", None);
    if !app.store.complete_activation(&user.id, &state.token_hash, now, &event, Some(ACTIVATION_MAX_ATTEMPTS)).await? {
        // Replaced, used up or expired in the meantime.
        return Err(Error::InvalidCode);
    }
    activity::record(app, &user.id, ActivityKind::Activated, client, Some("by code".into())).await;
    tracing::info!(user = %user.id, "account activated by code");
    Ok(())
}

/// `GET /api/auth/activate?token=`: the token of the mail's link, for API callers (the mail
/// itself links to the hosted `/activate` page).
pub async fn activate_with_token(app: &App, token: &str, client: &ClientInfo) -> Result<()> {
    let hash = tokens::sha256_hex(token);
    let Some(found) = app.store.get_link_token(&hash).await? else { return Err(Error::InvalidToken) };
    if found.kind != TokenKind::Activation || found.expires_at <= app.now() {
        return Err(Error::InvalidToken);
    }
    let event = events::activated(&*app.clock, &found.user_id, "link", None);
    if !app.store.complete_activation(&found.user_id, &hash, app.now(), &event, None).await? {
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
    // Same answer, same work (SPEC §6): an address with no account, or whose account is already
    // active, goes through the same reads, the recipient's mail slot, the interval write (on a
    // decoy key) and an SES send (a notice that nothing awaits activation there).
    let id = app.store.user_id_by_email(email.as_str()).await?;
    let decoy = super::sign_in::decoy_for("resend", email.as_str());
    let user = app.store.get_account(id.as_ref().map_or(Account::Unknown(&decoy), Account::User)).await?;
    let now = app.now();
    // The mail slot first: a limited (or suppressed) resend must not replace the code the user
    // already has.
    let kind = if user.as_ref().is_some_and(|u| !u.email_verified) { "activation" } else { "no-account-activation" };
    if !mailing::reserve(app, email.as_str(), kind).await? {
        return Ok(());
    }
    let Some(user) = user.filter(|u| !u.email_verified) else {
        if app.store.decoy_mail_interval(Account::Unknown(&decoy), "actSentAt", now, mailing::MAIL_INTERVAL_SECS).await?
            && let Err(e) = mailing::send_reserved(app, &mail::no_account(email.as_str(), mail::AskedFor::Activation)).await
        {
            tracing::error!(error = format!("{e:#}"), "no-account notice failed");
        }
        return Ok(());
    };
    let id = user.id.clone();
    let IssuedActivation { state: next, token, code, link_token } = issue_activation(app.code_pepper()?, &id, now);
    let old = user.activation.as_ref().map(|a| a.token_hash.as_str());
    if app.store.replace_activation(&id, old, &next, &token, mailing::MAIL_INTERVAL_SECS).await? {
        if let Err(e) = mailing::send_reserved(app, &activation_mail(app, &user, &code, &link_token)).await {
            tracing::error!(user = %id, error = format!("{e:#}"), "activation mail failed");
        }
    } else {
        tracing::info!(user = %id, "activation resend throttled");
    }
    Ok(())
}
