//! The authenticated caller. A bearer access token (or the HttpOnly access cookie set at login)
//! is checked, then the user and the session are read in one round trip: a session that was
//! ended (logout, password change, ban, deletion) rejects its tokens at once.

use crate::App;
use crate::error::Error;
use crate::services::{Principal, auth};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use std::sync::Arc;

pub const ACCESS_COOKIE: &str = "access_token";

/// A caller whose account is activated.
pub struct Authenticated(pub Principal);

/// A caller who may not have activated the account yet (SPEC §3.1: `/users/me`, `/auth/activate`,
/// `/resend-activation`, `/status`, `/logout`).
pub struct MaybeUnactivated(pub Principal);

/// The token after `Bearer `, if the request has one.
pub fn bearer_token(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

async fn principal(parts: &Parts, app: &App) -> Result<Principal, Error> {
    let token = bearer_token(parts).or_else(|| super::read_cookie(&parts.headers, ACCESS_COOKIE)).ok_or(Error::Unauthenticated)?;
    auth::authenticate(app, &token).await
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
