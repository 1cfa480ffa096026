//! Two-factor authentication with TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step) and ten
//! single-use backup codes (SPEC §3.2, seed 004). Seeds are sealed at rest; a time step is
//! accepted once; backup codes are stored as keyed hashes and shown only when generated.

use super::{Principal, activity};
use crate::App;
use crate::domain::ClientInfo;
use crate::domain::MfaState;
use crate::domain::{ActivityKind, User};
use crate::error::{Error, Result};
use crate::mail::{self, Lang, SecurityEvent};
use base64::Engine as _;
use totp_rs::{Secret, Totp};

pub const BACKUP_CODE_COUNT: usize = 10;
/// The MFA step of a login is valid 5 minutes.
pub const MFA_TOKEN_TTL_SECS: i64 = 300;
pub const MFA_TOKEN_TYPE: &str = "mfa";

/// What the user needs to add the account to an authenticator.
pub struct Enrolment {
    pub secret: String,
    pub otpauth_url: String,
    pub qr_code: String,
}

fn totp(app: &App, user: &User, seed: Vec<u8>) -> Result<Totp> {
    totp_rs::Builder::new()
        .with_secret(Secret::from(seed))
        .with_issuer(Some(app.config.jwt_issuer.replace(':', "")))
        .with_account_name(user.email.as_str().replace(':', ""))
        .build()
        .map_err(|e| Error::internal(anyhow::anyhow!("totp: {e}")))
}

/// `POST /me/mfa/totp {password}`: a new seed, pending until a code from it is verified.
pub async fn start(app: &App, principal: &Principal, password: &str) -> Result<Enrolment> {
    let user = &principal.user;
    // Counted and locked like a login (SPEC §6): a stolen session is no password oracle.
    super::sign_in::check_password(app, user, password).await?;
    if user.mfa_enabled {
        return Err(Error::Conflict);
    }
    let mut seed = vec![0u8; 20];
    getrandom::fill(&mut seed).map_err(|e| Error::internal(anyhow::anyhow!("random seed: {e}")))?;
    let sealed = app.secret_box()?.seal(&seed, user.id.as_str()).map_err(Error::internal)?;
    if !app.store.set_mfa_pending(&user.id, &sealed).await? {
        return Err(Error::Conflict);
    }
    let secret = Secret::from(seed.clone()).to_base32();
    let t = totp(app, user, seed)?;
    let otpauth_url = t.to_url().map_err(|e| Error::internal(anyhow::anyhow!("otpauth url: {e}")))?;
    let png = tokio::task::spawn_blocking(move || t.to_qr_png())
        .await
        .map_err(Error::internal)?
        .map_err(|e| Error::internal(anyhow::anyhow!("qr: {e}")))?;
    Ok(Enrolment {
        secret,
        otpauth_url,
        qr_code: format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png)),
    })
}

/// Ten new backup codes (`xxxx-xxxx`, ~41 bits each) and their keyed hashes (current key).
fn backup_codes(app: &App, user: &User) -> Result<(Vec<String>, Vec<String>)> {
    let pepper = app.code_pepper()?;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut codes = Vec::with_capacity(BACKUP_CODE_COUNT);
    while codes.len() < BACKUP_CODE_COUNT {
        let mut raw = [0u8; 8];
        // The OS generator failing is not caused by a client; fall back to a retry.
        if getrandom::fill(&mut raw).is_err() {
            continue;
        }
        let chars: String = raw.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
        let code = format!("{}-{}", &chars[..4], &chars[4..]);
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    let hashes = codes.iter().map(|c| pepper.hash(BACKUP_PURPOSE, user.id.as_str(), &normalise_backup(c))).collect();
    Ok((codes, hashes))
}

const BACKUP_PURPOSE: &str = "mfa-backup";

fn normalise_backup(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase()
}

fn is_totp_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

/// The time step `code` is valid for under `seed`, if any (±1 step).
fn matching_step(app: &App, user: &User, seed: Vec<u8>, code: &str) -> Result<Option<i64>> {
    let t = totp(app, user, seed)?;
    let now = u64::try_from(app.now()).unwrap_or(0);
    Ok(t.check(code, now).and_then(|step| i64::try_from(step).ok()))
}

/// `POST /me/mfa/totp/verify {code}`: turns MFA on and returns the backup codes, once.
pub async fn verify(app: &App, principal: &Principal, code: &str, client: &ClientInfo) -> Result<Vec<String>> {
    let user = &principal.user;
    let code = code.trim();
    if !is_totp_code(code) {
        return Err(Error::field("code", "must be 6 digits"));
    }
    super::limits::count_attempt(app, super::limits::Action::MfaVerify, client).await?;
    let (_, state) = app.store.get_user_and_mfa(&user.id).await?.ok_or(Error::Unauthenticated)?;
    if state.enabled {
        return Err(Error::Conflict);
    }
    let pending = state.pending.ok_or(Error::InvalidCode)?;
    let seed = app.secret_box()?.open(&pending, user.id.as_str()).ok_or(Error::InvalidCode)?;
    let step = matching_step(app, user, seed, code)?.ok_or(Error::InvalidCode)?;
    let (codes, hashes) = backup_codes(app, user)?;
    let entry = activity::entry(app, ActivityKind::MfaEnabled, client, None);
    let event = super::events::mfa(&*app.clock, &user.id, true);
    if !app.store.enable_mfa(&user.id, &pending, step, &hashes, &entry, &event).await? {
        return Err(Error::InvalidCode);
    }
    notify(app, user, SecurityEvent::MfaEnabled).await;
    Ok(codes)
}

/// Checks a second factor: a TOTP code (each step once) or a backup code (each once).
pub async fn check_factor(app: &App, user: &User, state: &MfaState, code: &str, client: &ClientInfo) -> Result<bool> {
    let code = code.trim();
    if code.is_empty() || code.len() > 32 {
        return Ok(false);
    }
    if is_totp_code(code) {
        let sealer = app.secret_box()?;
        let Some(seed) = state.secret.as_deref().and_then(|s| sealer.open(s, user.id.as_str())) else { return Ok(false) };
        let Some(step) = matching_step(app, user, seed, code)? else { return Ok(false) };
        return app.store.use_totp_step(&user.id, step).await;
    }
    // Each stored hash names its key: the one that matches is the one to consume, whichever
    // key (or the legacy unprefixed form) it was made with.
    let (pepper, given) = (app.code_pepper()?, normalise_backup(code));
    let Some(stored) = state.backup_hashes.iter().find(|h| pepper.matches(h, BACKUP_PURPOSE, user.id.as_str(), &given)) else {
        return Ok(false);
    };
    let used = app.store.use_backup_code(&user.id, stored).await?;
    if used {
        activity::record(app, &user.id, ActivityKind::MfaBackupCodeUsed, client, Some(format!("{} left", state.backup_hashes.len() - 1)))
            .await;
    }
    Ok(used)
}

async fn password_and_factor(app: &App, principal: &Principal, password: &str, code: &str, client: &ClientInfo) -> Result<()> {
    let user = &principal.user;
    // The password's check is reserved on the account (login's lockout); a wrong second factor
    // keeps it counted as a failure too, so neither can be guessed through a session.
    let reserved = super::sign_in::confirm_password(app, user, password).await?;
    let (_, state) = app.store.get_user_and_mfa(&user.id).await?.ok_or(Error::Unauthenticated)?;
    if !state.enabled {
        reserved.give_back(app).await?;
        return Err(Error::Conflict);
    }
    if !check_factor(app, user, &state, code, client).await? {
        return Err(Error::InvalidCode);
    }
    reserved.give_back(app).await
}

/// `POST /me/mfa/backup-codes {password, code}`: ten new codes; the old ones stop working.
pub async fn regenerate_backup_codes(
    app: &App,
    principal: &Principal,
    password: &str,
    code: &str,
    client: &ClientInfo,
) -> Result<Vec<String>> {
    password_and_factor(app, principal, password, code, client).await?;
    let (codes, hashes) = backup_codes(app, &principal.user)?;
    if !app.store.replace_backup_codes(&principal.user.id, &hashes).await? {
        return Err(Error::Conflict);
    }
    activity::record(app, &principal.user.id, ActivityKind::MfaBackupCodesRegenerated, client, None).await;
    Ok(codes)
}

/// `DELETE /me/mfa {password, code}`.
pub async fn disable(app: &App, principal: &Principal, password: &str, code: &str, client: &ClientInfo) -> Result<()> {
    password_and_factor(app, principal, password, code, client).await?;
    if !app.store.disable_mfa(&principal.user.id, &super::events::mfa(&*app.clock, &principal.user.id, false)).await? {
        return Err(Error::Conflict);
    }
    activity::record(app, &principal.user.id, ActivityKind::MfaDisabled, client, None).await;
    notify(app, &principal.user, SecurityEvent::MfaDisabled).await;
    Ok(())
}

async fn notify(app: &App, user: &User, event: SecurityEvent) {
    let message =
        mail::security_notice(Lang::from_primary(user.preferences.language.primary()), user.email.as_str(), user.username.as_str(), event);
    if let Err(e) = super::mailing::send(app, &message).await {
        tracing::error!(user = %user.id, error = format!("{e:#}"), "mfa notice mail failed");
    }
}
