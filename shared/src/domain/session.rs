//! Sessions and their refresh tokens, as records: a session's existence is what keeps its
//! access tokens valid; a refresh token is stored only as its hash and is used once.

use super::{SessionId, UserId};

/// Access tokens live 15 minutes (SPEC §3.1: ≤ 15 min).
pub const ACCESS_TOKEN_TTL_SECS: i64 = 15 * 60;
/// Refresh tokens live 30 days.
pub const REFRESH_TOKEN_TTL_SECS: i64 = 30 * 24 * 3600;

/// One signed-in session of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: i64,
    pub ip: String,
    pub user_agent: String,
    /// The account's session epoch when it was opened (`User::session_cut_off`).
    pub epoch: i64,
}

/// One refresh token of a session, by the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    pub hash: String,
    pub user_id: UserId,
    pub session_id: SessionId,
    pub expires_at: i64,
    pub rotated: bool,
    /// Its session's epoch, so a refresh can be refused without reading the session.
    pub epoch: i64,
}

/// What became of a refresh attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    Rotated,
    /// The token was already used: someone replays an old token.
    Reused,
    /// The session has ended.
    SessionGone,
}
