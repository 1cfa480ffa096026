//! Single-use link tokens (activation, password reset, email change) as records: stored only
//! as the hash of the secret the link carries, with an expiry.

use super::UserId;

/// What a link token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Activation,
    PasswordReset,
    EmailChange,
}

impl TokenKind {
    /// The stored name of the kind (never change one: tokens in flight carry it).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activation => "activation",
            Self::PasswordReset => "reset",
            Self::EmailChange => "email-change",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "activation" => Some(Self::Activation),
            "reset" => Some(Self::PasswordReset),
            "email-change" => Some(Self::EmailChange),
            _ => None,
        }
    }
}

/// A link token: whose it is, what for, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkToken {
    pub hash: String,
    pub kind: TokenKind,
    pub user_id: UserId,
    pub expires_at: i64,
}

/// A pending email change's link token: which account, from which address to which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChangeToken {
    pub hash: String,
    pub user_id: UserId,
    pub old_email: String,
    pub new_email: String,
    pub expires_at: i64,
}
