//! What an administrator asks of the user list: its order, its filters and a prefix search.

use super::{Role, UserStatus};
use sha2::{Digest, Sha256};

/// The order of a user list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    Username,
    Rating,
}

impl SortField {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "createdAt" => Some(Self::CreatedAt),
            "username" => Some(Self::Username),
            "rating" => Some(Self::Rating),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreatedAt => "createdAt",
            Self::Username => "username",
            Self::Rating => "rating",
        }
    }
}

/// A validated list request. `q` is lower-cased; with `q` the order is that of the matched
/// username or email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery {
    pub sort: SortField,
    pub descending: bool,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    pub q: Option<String>,
}

impl UserQuery {
    /// A short fingerprint that ties a cursor to the query it was made for.
    pub fn fingerprint(&self) -> String {
        let text = format!(
            "{}|{}|{}|{}|{}",
            self.sort.as_str(),
            self.descending,
            self.role.map(Role::as_str).unwrap_or("-"),
            self.status.map(UserStatus::as_str).unwrap_or("-"),
            self.q.as_deref().unwrap_or("")
        );
        let digest = Sha256::digest(text.as_bytes());
        digest[..6].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The same list in the opposite order (what a "previous" page reads).
    pub fn reversed(&self) -> Self {
        Self { descending: !self.descending, ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(role: Option<Role>, status: Option<UserStatus>, q: Option<&str>) -> UserQuery {
        UserQuery { sort: SortField::CreatedAt, descending: false, role, status, q: q.map(str::to_owned) }
    }

    #[test]
    fn fingerprints_differ_between_queries() {
        assert_ne!(query(None, None, None).fingerprint(), query(Some(Role::User), None, None).fingerprint());
        assert_eq!(query(None, None, None).fingerprint(), query(None, None, None).fingerprint());
    }
}
