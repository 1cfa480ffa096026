//! Use cases, one module per endpoint group. They take the [`App`](crate::App) and validated
//! domain values and return domain results; no HTTP and no AWS SDK types here.

pub mod activity;
pub mod admin;
pub mod auth;
pub mod users;

use crate::domain::User;
use crate::store::Session;

/// An authenticated caller: the account and the session its token belongs to.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub session: Session,
}
