//! Use cases, one module per endpoint group. They take the [`App`](crate::App) and validated
//! domain values and return domain results; no HTTP and no AWS SDK types here.

pub mod activity;
pub mod admin;
pub mod api_keys;
pub mod authn;
pub mod billing;
pub mod events;
pub mod export;
pub mod lifecycle;
pub mod limits;
pub mod mailing;
pub mod mfa;
pub mod migration;
pub mod password_policy;
pub mod password_reset;
pub mod purge;
pub mod sign_in;
pub mod sign_up;
pub mod signing;
pub mod suppression;
pub mod uploads;
pub mod usage;
pub mod users;

use crate::domain::Session;
use crate::domain::{ApiKeyId, Scope, User};

/// An authenticated caller: the account and the session its token belongs to.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub session: Session,
}

/// How a caller of a key-friendly route authenticated.
#[derive(Debug, Clone)]
pub enum Via {
    Session(Session),
    ApiKey { id: ApiKeyId, scopes: Vec<Scope> },
}

/// The caller of a route that accepts both access tokens and API keys.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub via: Via,
}

impl From<Principal> for Caller {
    fn from(p: Principal) -> Self {
        Caller { user: p.user, via: Via::Session(p.session) }
    }
}
