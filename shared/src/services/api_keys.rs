//! API keys (SPEC §3.3): create (the secret is returned once and stored as SHA-256), list,
//! revoke; at most `max_active` active keys per user.

use super::{Principal, activity};
use crate::App;
use crate::domain::ClientInfo;
use crate::domain::{ActivityKind, ApiKeyId, Scope};
use crate::domain::{ApiKeyRecord, KeyStatus, User, parse_expires_in, parse_key_name, parse_scopes};
use crate::error::{Error, FieldError, Result};
use crate::mail::{self, Lang, SecurityEvent};
use crate::tokens;

pub struct NewKey {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub expires_in: Option<i64>,
}

impl NewKey {
    /// A key request as sent (by `POST /api/api-keys` or the API keys page): `name` is
    /// required, `scopes` defaults to `["read"]`, `expires_in` (`"30d"`, `"24h"` or seconds)
    /// to never. Every field's error at once.
    pub fn parse(name: Option<&str>, scopes: Option<&[String]>, expires_in: Option<&serde_json::Value>) -> Result<Self> {
        let mut errors = Vec::new();
        let name = match name {
            Some(n) => parse_key_name(n).map_err(|e| errors.push(e)).ok(),
            None => {
                errors.push(FieldError::new("name", "is required"));
                None
            }
        };
        let scopes = parse_scopes(scopes).map_err(|e| errors.push(e)).ok();
        let expires_in = match expires_in {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => parse_expires_in(v).map_err(|e| errors.push(e)).ok(),
        };
        match (name, scopes, errors.is_empty()) {
            (Some(name), Some(scopes), true) => Ok(Self { name, scopes, expires_in }),
            _ => Err(Error::Validation(errors)),
        }
    }
}

/// A created key: the record and, once, its secret.
pub struct CreatedKey {
    pub record: ApiKeyRecord,
    pub secret: String,
}

pub async fn create(app: &App, principal: &Principal, input: NewKey, client: &ClientInfo) -> Result<CreatedKey> {
    let now = app.now();
    let user = &principal.user;
    // `uk_` + 43 base64url characters: 256 random bits.
    let secret = format!("{}{}", crate::domain::API_KEY_PREFIX, tokens::random_token(32));
    let record = ApiKeyRecord {
        hash: tokens::sha256_hex(&secret),
        id: ApiKeyId::generate(app.clock.now()),
        user_id: user.id.clone(),
        name: input.name,
        prefix: secret.chars().take(10).collect(),
        scopes: input.scopes,
        created_at: now,
        expires_at: input.expires_in.map(|s| now + s),
        last_used_at: None,
        status: KeyStatus::Active,
        epoch: user.key_epoch,
    };
    // The plan decides how many keys may be active (FREE: 10).
    let max = super::billing::limits_for(user.effective_plan(now)).api_keys.max().unwrap_or(i64::MAX);
    let entry = activity::entry(app, ActivityKind::ApiKeyCreated, client, Some(format!("{} ({})", record.id, record.prefix)));
    let scopes: Vec<&str> = record.scopes.iter().map(|s| s.as_str()).collect();
    let event = super::events::api_key_created(&*app.clock, &user.id, record.id.as_str(), &record.name, &scopes, record.expires_at);
    if !app.store.create_api_key(&record, max, &entry, &event).await? {
        // At the limit: keys that expired still hold a slot until noticed. Free those, retry once.
        let mut freed = false;
        for k in app.store.list_api_keys(&user.id).await? {
            if k.status == KeyStatus::Active && k.status_at(now) == KeyStatus::Expired {
                freed |= app.store.retire_api_key(&k, KeyStatus::Expired, now, None, None).await?;
            } else if k.status == KeyStatus::Active && user.key_cut_off(k.epoch) {
                // Revoked by a reset whose cleanup did not finish.
                freed |= app.store.retire_api_key(&k, KeyStatus::Revoked, now, None, None).await?;
            }
        }
        if !freed || !app.store.create_api_key(&record, max, &entry, &event).await? {
            return Err(Error::SubscriptionLimitExceeded { retry_after_secs: None, message: format!("at most {max} active API keys") });
        }
    }
    let lang = Lang::from_primary(user.preferences.language.primary());
    let notice = mail::security_notice(lang, user.email.as_str(), user.username.as_str(), SecurityEvent::ApiKeyCreated);
    if let Err(e) = super::mailing::send(app, &notice).await {
        tracing::error!(user = %user.id, error = format!("{e:#}"), "key notice mail failed");
    }
    tracing::info!(user = %user.id, key = %record.id, "api key created");
    Ok(CreatedKey { record, secret })
}

pub async fn list(app: &App, principal: &Principal) -> Result<Vec<ApiKeyRecord>> {
    list_of(app, &principal.user).await
}

/// Every key of `user`, newest first, with the status it has (what the admin console shows).
pub async fn list_of(app: &App, user: &User) -> Result<Vec<ApiKeyRecord>> {
    let mut keys = app.store.list_api_keys(&user.id).await?;
    for k in &mut keys {
        // A reset revoked it even if marking it so afterwards failed.
        if k.status == KeyStatus::Active && user.key_cut_off(k.epoch) {
            k.status = KeyStatus::Revoked;
        }
    }
    Ok(keys)
}

/// Marks every key a password reset revoked (`User::key_cut_off` already refuses them) as
/// revoked, freeing their slots and writing `apikey.revoked` for each; returns how many. A
/// failure is logged and leaves the rest for [`create`]'s clean-up: it does not undo the reset.
pub(crate) async fn revoke_all_after_reset(app: &App, user: &crate::domain::UserId) -> usize {
    let keys = match app.store.list_api_keys(user).await {
        Ok(keys) => keys,
        Err(e) => {
            tracing::warn!(user = %user, error = format!("{e:#}"), "api keys not listed after a reset; the key epoch refuses them");
            return 0;
        }
    };
    let now = app.now();
    let mut revoked = 0;
    for k in keys.iter().filter(|k| k.status == KeyStatus::Active) {
        let entry = activity::entry(app, ActivityKind::ApiKeyRevoked, &ClientInfo::unknown(), Some(format!("{} (password reset)", k.id)));
        let event = super::events::api_key_revoked(&*app.clock, user, k.id.as_str());
        match app.store.retire_api_key(k, KeyStatus::Revoked, now, Some(&entry), Some(&event)).await {
            Ok(true) => revoked += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(user = %user, key = %k.id, error = format!("{e:#}"), "api key not marked revoked after a reset"),
        }
    }
    revoked
}

/// Revokes one of the caller's keys; another user's or an unknown id is `NOT_FOUND`.
pub async fn revoke(app: &App, principal: &Principal, id: &str, client: &ClientInfo) -> Result<()> {
    let id = ApiKeyId::parse(id).ok_or(Error::NotFound)?;
    let key = app.store.find_api_key(&principal.user.id, &id).await?.ok_or(Error::NotFound)?;
    if key.status != KeyStatus::Active {
        // Already revoked or expired: nothing left to do.
        return Ok(());
    }
    let entry = activity::entry(app, ActivityKind::ApiKeyRevoked, client, Some(key.id.to_string()));
    let event = super::events::api_key_revoked(&*app.clock, &principal.user.id, key.id.as_str());
    app.store.retire_api_key(&key, KeyStatus::Revoked, app.now(), Some(&entry), Some(&event)).await?;
    tracing::info!(user = %principal.user.id, key = %key.id, "api key revoked");
    Ok(())
}
