//! Access tokens anyone can verify (SPEC §3.1 "Signing keys"): the issuing function signs with
//! the ring's current key in KMS; every function verifies with the public key a token names,
//! from a copy of the ring it keeps; the JWKS and OpenID discovery documents publish the ring;
//! [`rotate`] is the operator's rotation step.
//!
//! Costs: a verifier reads the ring once per instance (the cold start's connection warm-up is
//! that read, `App::from_config`), again when it is an hour old, and for an unknown `kid` at
//! most once per 30 s whatever arrives (a `kid` that is not even thumbprint-shaped is refused
//! without a read). The issuer reads it when its copy is 5 min old; a token costs one KMS `Sign`.

use crate::App;
use crate::domain::{
    ACCESS_TOKEN_TTL_SECS, ISSUER_RING_MAX_AGE_SECS, JWKS_MAX_AGE_SECS, KeyRing, KeyRole, Role, RotationRefused, SessionId, SigningKey,
    UserId, plausible_kid,
};
use crate::error::{Error, Result};
use crate::kms::Kms;
use crate::store::Store;
use crate::tokens::{AccessClaims, AccessTokens, KeyCache, TokenRejection};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// A verifier reads the ring again after this long, so a key an operator removed stops being
/// accepted everywhere within the hour.
const VERIFIER_RING_MAX_AGE: Duration = Duration::from_secs(3600);

/// A signed access token for a session, and its lifetime in seconds.
pub async fn issue_access(app: &App, user: &UserId, session: &SessionId, role: Role) -> Result<(String, i64)> {
    let now = app.now();
    let kms =
        app.kms.as_ref().ok_or_else(|| Error::internal(anyhow::anyhow!("this function has no SIGNING_KEY: it cannot issue tokens")))?;
    let ring = ring_for_signing(app, kms, now).await?;
    let key = ring.current(now).ok_or_else(|| Error::internal(anyhow::anyhow!("the key ring has no current key")))?;
    let claims = app.access_tokens.claims(user, session, role, now);
    let input = AccessTokens::signing_input(&claims, &key.kid).map_err(Error::internal)?;
    let signature = kms.sign(&key.key_ref, input.as_bytes()).await?;
    Ok((AccessTokens::assemble(&input, &signature), ACCESS_TOKEN_TTL_SECS))
}

/// The claims of a valid access token: signed by a published key, for this issuer and
/// audience, not expired. Whether its session still exists is the caller's next question.
pub async fn verify_access(app: &App, token: &str) -> Result<AccessClaims> {
    let now = app.now();
    let refused = |r: TokenRejection| match r {
        TokenRejection::Expired => Error::TokenExpired,
        TokenRejection::Invalid => Error::Unauthenticated,
    };
    let kid = AccessTokens::kid(token).filter(|k| plausible_kid(k)).ok_or(Error::Unauthenticated)?;
    let ring = ring_for_verifying(app).await?;
    if let Some(key) = ring.verifying_key(&kid, now) {
        return app.access_tokens.verify(token, key, now).map_err(refused);
    }
    let Some(ring) = refresh_for_unknown_kid(app).await? else { return Err(Error::Unauthenticated) };
    let key = ring.verifying_key(&kid, now).ok_or(Error::Unauthenticated)?;
    app.access_tokens.verify(token, key, now).map_err(refused)
}

/// Reads the ring into the instance's cache (the cold start's warm-up call).
pub async fn load(app: &App) -> Result<Arc<KeyRing>> {
    let ring = app.store.get_key_ring().await?;
    Ok(app.keys.put(ring, app.now()))
}

async fn ring_for_verifying(app: &App) -> Result<Arc<KeyRing>> {
    match app.keys.get() {
        Some(c) if c.read_at.elapsed() < VERIFIER_RING_MAX_AGE => Ok(c.ring),
        _ => {
            let _gate = app.keys.refresh.lock().await;
            match app.keys.get() {
                Some(c) if c.read_at.elapsed() < VERIFIER_RING_MAX_AGE => Ok(c.ring),
                _ => load(app).await,
            }
        }
    }
}

/// A fresh ring for an unknown `kid`, unless one was read for that reason in the last
/// [`KeyCache::UNKNOWN_KID_REFRESH`] (then `None`: a flood of bogus `kid`s costs one read).
async fn refresh_for_unknown_kid(app: &App) -> Result<Option<Arc<KeyRing>>> {
    let mut last = app.keys.refresh.lock().await;
    if last.is_some_and(|t| t.elapsed() < KeyCache::UNKNOWN_KID_REFRESH) {
        return Ok(None);
    }
    *last = Some(std::time::Instant::now());
    Ok(Some(load(app).await?))
}

/// Makes sure the ring has a current key (starting it from `SIGNING_KEY` when empty) and this
/// instance a fresh copy of it.
pub async fn ensure_ring(app: &App) -> Result<Arc<KeyRing>> {
    let kms = app.kms.as_ref().ok_or_else(|| Error::internal(anyhow::anyhow!("SIGNING_KEY is not set")))?;
    ring_for_signing(app, kms, app.now()).await
}

/// The ring as the issuer must see it: at most [`ISSUER_RING_MAX_AGE_SECS`] old (by the
/// monotonic clock and by the app's), with a current key. An empty ring gets its first key
/// from `SIGNING_KEY` (the stack's initial KMS key).
async fn ring_for_signing(app: &App, kms: &Kms, now: i64) -> Result<Arc<KeyRing>> {
    let fresh = |c: &crate::tokens::CachedRing| {
        c.read_at.elapsed() < Duration::from_secs(ISSUER_RING_MAX_AGE_SECS as u64)
            && now - c.read_at_app < ISSUER_RING_MAX_AGE_SECS
            && c.ring.current(now).is_some()
    };
    if let Some(c) = app.keys.get().filter(fresh) {
        return Ok(c.ring);
    }
    let _gate = app.keys.refresh.lock().await;
    if let Some(c) = app.keys.get().filter(fresh) {
        return Ok(c.ring);
    }
    let mut ring = app.store.get_key_ring().await?;
    if ring.is_empty() {
        let key_ref = app.config.signing_kms_key.as_deref().ok_or_else(|| Error::internal(anyhow::anyhow!("SIGNING_KEY is not set")))?;
        ring = first_key(&app.store, kms, key_ref, now).await?;
    }
    Ok(app.keys.put(ring, now))
}

/// Starts an empty ring with `key_ref`, signing at once; the ring as stored (another instance
/// may have started it first).
async fn first_key(store: &Store, kms: &Kms, key_ref: &str, now: i64) -> Result<KeyRing> {
    let ring = KeyRing::first(kms.signing_key(key_ref, now, now).await?);
    if store.put_key_ring(&ring).await? {
        tracing::info!(kid = %ring.keys()[0].kid, "signing key ring started");
    }
    store.get_key_ring().await
}

/// The ring's keys with their roles at `now`, current first (for the JWKS and the CLI).
pub fn published(ring: &KeyRing, now: i64) -> Vec<(&SigningKey, KeyRole)> {
    let order = |r: KeyRole| match r {
        KeyRole::Current => 0,
        KeyRole::Next => 1,
        KeyRole::Previous => 2,
        KeyRole::Expired => 3,
    };
    let mut keys: Vec<_> = ring.roles(now).filter(|(_, r)| *r != KeyRole::Expired).collect();
    keys.sort_by_key(|(_, r)| order(*r));
    keys
}

/// `GET /.well-known/jwks.json` (RFC 7517).
#[derive(Debug, Serialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

#[derive(Debug, Serialize)]
pub struct Jwk {
    pub kty: &'static str,
    #[serde(rename = "use")]
    pub use_: &'static str,
    pub alg: &'static str,
    pub kid: String,
    pub n: String,
    pub e: String,
}

/// The published keys, as fresh as the issuer's own copy (a next key shows within
/// [`ISSUER_RING_MAX_AGE_SECS`]; [`crate::domain::PUBLISH_LEAD_SECS`] allows for it).
pub async fn jwks(app: &App) -> Result<Jwks> {
    let now = app.now();
    let ring = match app.keys.get() {
        Some(c)
            if c.read_at.elapsed() < Duration::from_secs(ISSUER_RING_MAX_AGE_SECS as u64)
                && now - c.read_at_app < ISSUER_RING_MAX_AGE_SECS =>
        {
            c.ring
        }
        _ => load(app).await?,
    };
    // Before the first token, the issuing function starts the ring, so the document is never
    // empty for a verifier that looks first.
    let ring = if ring.is_empty() && app.kms.is_some() { ensure_ring(app).await? } else { ring };
    let keys = published(&ring, now)
        .into_iter()
        .map(|(k, _)| Jwk { kty: "RSA", use_: "sig", alg: "RS256", kid: k.kid.clone(), n: k.n.clone(), e: k.e.clone() })
        .collect();
    Ok(Jwks { keys })
}

/// How long a client may cache the two documents.
pub const DOCUMENT_MAX_AGE_SECS: i64 = JWKS_MAX_AGE_SECS;

/// `GET /.well-known/openid-configuration`: what a verifier needs to find the keys. Accounts
/// is not an OAuth authorization server, so no authorization or token endpoint is claimed.
#[derive(Debug, Serialize)]
pub struct Discovery {
    pub issuer: String,
    pub jwks_uri: String,
    pub id_token_signing_alg_values_supported: [&'static str; 1],
    pub subject_types_supported: [&'static str; 1],
    pub claims_supported: [&'static str; 9],
}

pub fn discovery(app: &App) -> Discovery {
    let issuer = app.access_tokens.issuer().trim_end_matches('/').to_owned();
    Discovery {
        jwks_uri: format!("{issuer}/.well-known/jwks.json"),
        issuer: app.access_tokens.issuer().to_owned(),
        id_token_signing_alg_values_supported: ["RS256"],
        subject_types_supported: ["public"],
        claims_supported: ["iss", "aud", "sub", "sid", "role", "exp", "iat", "jti", "typ"],
    }
}

/// What a rotation step did.
#[derive(Debug)]
pub enum Rotation {
    /// The ring was empty: its first key signs at once.
    Started(SigningKey),
    /// `next` is published and signs from its `signs_from`; `removed` keys left the ring and
    /// their KMS keys are scheduled for deletion.
    Rotated {
        next: SigningKey,
        removed: Vec<SigningKey>,
    },
    Refused(RotationRefused),
}

/// One rotation step (`accounts-admin rotate-signing-key`): a new KMS key tagged for `stack`
/// joins the ring as the next key and starts signing [`crate::domain::PUBLISH_LEAD_SECS`]
/// later; keys whose last tokens and cached JWKS copies have expired leave it. Refused while
/// an earlier next key has not started signing. A lost race with another step changes nothing
/// (the new KMS key is then scheduled for deletion).
pub async fn rotate(store: &Store, kms: &Kms, stack: &str, now: i64) -> Result<Rotation> {
    let ring = store.get_key_ring().await?;
    if let Some((pending, _)) = ring.roles(now).find(|(_, r)| *r == KeyRole::Next) {
        return Ok(Rotation::Refused(RotationRefused::AlreadyUnderWay { kid: pending.kid.clone(), signs_from: pending.signs_from }));
    }
    let arn = kms.create_signing_key(stack).await?;
    let key = kms.signing_key(&arn, now, now).await?;
    if ring.is_empty() {
        let first = KeyRing::first(key.clone());
        return if store.put_key_ring(&first).await? {
            Ok(Rotation::Started(key))
        } else {
            kms.schedule_deletion(&arn).await?;
            Err(Error::Conflict)
        };
    }
    let (next_ring, removed) = match ring.rotated(key, now) {
        Ok(r) => r,
        Err(refused) => {
            kms.schedule_deletion(&arn).await?;
            return Ok(Rotation::Refused(refused));
        }
    };
    if !store.put_key_ring(&next_ring).await? {
        kms.schedule_deletion(&arn).await?;
        return Err(Error::Conflict);
    }
    for old in &removed {
        // The ring no longer names it; a failure here leaves only an unused key behind.
        if let Err(e) = kms.schedule_deletion(&old.key_ref).await {
            tracing::warn!(kid = %old.kid, error = format!("{e:#}"), "could not schedule a retired signing key's deletion");
        }
    }
    let next = next_ring.keys().last().cloned().ok_or_else(|| Error::internal(anyhow::anyhow!("rotated ring is empty")))?;
    Ok(Rotation::Rotated { next, removed })
}
