//! API keys: what a key may do (scopes), its name and its lifetime, and the stored key record.

use super::{ApiKeyId, UserId};
use crate::error::FieldError;

/// Every API key secret starts with this; it must never change (clients and secret scanners
/// match it, and the HTTP layer tells a key from an access token by it).
pub const API_KEY_PREFIX: &str = "uk_";

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Revoked,
    Expired,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }

    /// Reads a stored status; anything unknown counts as revoked (a key fails closed).
    pub fn parse(raw: &str) -> Self {
        match raw {
            "active" => Self::Active,
            "expired" => Self::Expired,
            _ => Self::Revoked,
        }
    }
}

/// A stored key. Never holds the secret, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub hash: String,
    pub id: ApiKeyId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub status: KeyStatus,
    /// The owner's key epoch when the key was made (`User::key_cut_off`).
    pub epoch: i64,
}

impl ApiKeyRecord {
    /// The status a client sees: an active key past its expiry is expired.
    pub fn status_at(&self, now: i64) -> KeyStatus {
        match (self.status, self.expires_at) {
            (KeyStatus::Active, Some(e)) if e <= now => KeyStatus::Expired,
            (s, _) => s,
        }
    }
}

/// What a key may do. `read` reaches the GET routes SPEC marks key-friendly, `write` the
/// changes it allows (profile, settings, avatar, uploads). A key never manages keys, password,
/// email, MFA, sessions, export or deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

/// The longest a key may live: one year (`expiresIn` in seconds or `"<n>h"`/`"<n>d"`).
pub const MAX_KEY_LIFETIME_SECS: i64 = 365 * 24 * 3600;

/// Parses `expiresIn`: `"24h"`, `"30d"`, or a number of seconds (60 s to one year).
pub fn parse_expires_in(raw: &serde_json::Value) -> Result<i64, FieldError> {
    let bad = || FieldError::new("expiresIn", "must be like \"24h\", \"30d\" or a number of seconds (60 to 31536000)");
    let secs = match raw {
        serde_json::Value::Number(n) => n.as_i64().ok_or_else(bad)?,
        serde_json::Value::String(s) => {
            let s = s.trim();
            // The unit is the last character, which may be several bytes long ("1€").
            let last = s.char_indices().next_back().map_or(0, |(i, _)| i);
            let (digits, unit) = s.split_at(last);
            let n: i64 = digits.parse().map_err(|_| bad())?;
            match unit {
                "h" => n.checked_mul(3600).ok_or_else(bad)?,
                "d" => n.checked_mul(86_400).ok_or_else(bad)?,
                "s" => n,
                _ => return Err(bad()),
            }
        }
        _ => return Err(bad()),
    };
    if !(60..=MAX_KEY_LIFETIME_SECS).contains(&secs) {
        return Err(bad());
    }
    Ok(secs)
}

/// A key's display name: 1–64 printable characters.
pub fn parse_key_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(FieldError::new("name", "must be 1-64 printable characters"));
    }
    Ok(name.to_owned())
}

/// Parses `scopes` (default `["read"]`): a non-empty list of known scopes, deduplicated.
pub fn parse_scopes(raw: Option<&[String]>) -> Result<Vec<Scope>, FieldError> {
    let Some(raw) = raw else { return Ok(vec![Scope::Read]) };
    let mut scopes = Vec::new();
    for s in raw {
        let scope = Scope::parse(s).ok_or_else(|| FieldError::new("scopes", "each scope must be read or write"))?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if scopes.is_empty() {
        return Err(FieldError::new("scopes", "must name at least one scope"));
    }
    scopes.sort();
    Ok(scopes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expires_in_accepts_hours_days_and_seconds() {
        assert_eq!(parse_expires_in(&json!("24h")).unwrap(), 86_400);
        assert_eq!(parse_expires_in(&json!("30d")).unwrap(), 2_592_000);
        assert_eq!(parse_expires_in(&json!(3600)).unwrap(), 3600);
    }

    #[test]
    fn expires_in_refuses_nonsense_and_out_of_range_values() {
        for bad in [
            json!("tomorrow"),
            json!("10"),
            json!("-1d"),
            json!(0),
            json!(59),
            json!("366d"),
            json!(1.5),
            json!(null),
            json!("99999999999999999999d"),
        ] {
            assert!(parse_expires_in(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn expires_in_with_a_multibyte_last_character_is_refused_not_a_panic() {
        // "1€": the last character is 3 bytes; splitting one byte before the end panicked.
        for bad in ["1€", "€", "24ч", "7d\u{301}", "٣d", "1\u{1F600}"] {
            assert!(parse_expires_in(&json!(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn scopes_default_to_read_and_refuse_unknown_ones() {
        assert_eq!(parse_scopes(None).unwrap(), [Scope::Read]);
        assert_eq!(parse_scopes(Some(&["write".into(), "read".into(), "write".into()])).unwrap(), [Scope::Read, Scope::Write]);
        assert!(parse_scopes(Some(&["admin".into()])).is_err());
        assert!(parse_scopes(Some(&[])).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_key_name("  ci ").unwrap(), "ci");
        assert!(parse_key_name("").is_err());
        assert!(parse_key_name(&"x".repeat(65)).is_err());
        assert!(parse_key_name("a\nb").is_err());
    }
}
