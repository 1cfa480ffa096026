//! The TOTP second factor's stored state.

/// The second-factor state of a user (sealed secrets; hashes only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MfaState {
    pub enabled: bool,
    pub secret: Option<String>,
    pub pending: Option<String>,
    pub last_step: Option<i64>,
    pub backup_hashes: Vec<String>,
}
