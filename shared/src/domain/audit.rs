//! The admin audit trail's entries.

/// One entry of the admin audit trail: who did what to whom, when. Never holds a secret or
/// personal data (ids and field names only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// A ULID (time-ordered).
    pub id: String,
    pub at: i64,
    /// The admin or moderator (`cli` for the bootstrap command).
    pub actor: String,
    pub actor_role: String,
    /// e.g. `user.ban`, `user.update`.
    pub action: String,
    pub target: String,
    pub detail: Option<String>,
    pub ip: String,
}
