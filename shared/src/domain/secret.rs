//! [`Secret`]: a string that must never reach a log (signing keys, passwords in transit).
//! It lives in the domain because [`Password`](super::Password) wraps one; configuration and
//! the token service use the same type.

use std::fmt;

/// A secret that never shows up in `Debug` output or logs.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}
