//! The authenticated caller. A bearer access token (or the HttpOnly access cookie set at login,
//! for an unsafe method only from an allowed origin: `browser.rs`) is checked, then the user and the session are read in one round trip: a session that was
//! ended (logout, password change, ban, deletion) rejects its tokens at once.
//!
//! API keys (`X-API-Key: uk_…` or `Authorization: Bearer uk_…`) are accepted only by the
//! key-friendly extractors ([`ReadAccess`], [`WriteAccess`], [`ReadAccessMaybeUnactivated`]) and
//! only with the scope the extractor names; every other route answers a key with
//! `403 SCOPE_REQUIRED`, so a key can never manage keys, password, email, MFA, sessions or deletion.
//! The extractors only read the credential: checking it (and, for a key, its scope and the
//! monthly metering) is [`services::authn`](crate::services::authn)'s.

use crate::App;
use crate::domain::{API_KEY_PREFIX, Scope};
use crate::error::Error;
use crate::services::{Caller, Principal, authn};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use std::sync::Arc;

/// A caller with a session whose account is activated.
pub struct Authenticated(pub Principal);

/// A caller with a session whose account may not be activated yet (SPEC §3.1: `/users/me`,
/// `/auth/activate`, `/resend-activation`, `/status`, `/logout`).
pub struct MaybeUnactivated(pub Principal);

/// A session, or an API key with the `read` scope.
pub struct ReadAccess(pub Caller);

/// A session, or an API key with the `write` scope.
pub struct WriteAccess(pub Caller);

/// Like [`ReadAccess`], but an unactivated session is let through (`GET /users/me`).
pub struct ReadAccessMaybeUnactivated(pub Caller);

/// The token after `Bearer `, if the request has one.
pub fn bearer_token(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The API key the request carries, if any.
pub fn api_key(parts: &Parts) -> Option<String> {
    let header_key = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(|v| v.trim().to_owned());
    header_key.or_else(|| bearer_token(parts).filter(|t| t.starts_with(API_KEY_PREFIX)))
}

async fn principal(parts: &Parts, app: &App) -> Result<Principal, Error> {
    if api_key(parts).is_some() {
        return Err(Error::ScopeRequired);
    }
    let token = match bearer_token(parts) {
        Some(token) => token,
        None => {
            let token = super::read_cookie(&parts.headers, super::cookie_names(&app.config).access).ok_or(Error::Unauthenticated)?;
            // A browser sends cookies on its own: check who asked before anything else.
            super::check_origin(&parts.method, &parts.headers, &app.config)?;
            token
        }
    };
    authn::authenticate(app, &token).await
}

async fn caller(parts: &Parts, app: &App, scope: Scope, allow_unactivated: bool) -> Result<Caller, Error> {
    if let Some(secret) = api_key(parts) {
        // Lookup, scope and the monthly metering are the service's; this only finds the key.
        return authn::authorize_key(app, &secret, scope).await;
    }
    let p = principal(parts, app).await?;
    if !allow_unactivated && !p.user.email_verified {
        return Err(Error::AccountNotActivated);
    }
    Ok(p.into())
}

impl FromRequestParts<Arc<App>> for MaybeUnactivated {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        principal(parts, app).await.map(MaybeUnactivated)
    }
}

impl FromRequestParts<Arc<App>> for Authenticated {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        let p = principal(parts, app).await?;
        if !p.user.email_verified {
            return Err(Error::AccountNotActivated);
        }
        Ok(Authenticated(p))
    }
}

impl FromRequestParts<Arc<App>> for ReadAccess {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        caller(parts, app, Scope::Read, false).await.map(ReadAccess)
    }
}

impl FromRequestParts<Arc<App>> for WriteAccess {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        caller(parts, app, Scope::Write, false).await.map(WriteAccess)
    }
}

impl FromRequestParts<Arc<App>> for ReadAccessMaybeUnactivated {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Self::Rejection> {
        caller(parts, app, Scope::Read, true).await.map(ReadAccessMaybeUnactivated)
    }
}
