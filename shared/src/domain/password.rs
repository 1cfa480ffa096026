//! The password policy (SPEC §3.1): 8–128 characters, upper + lower + digit, not the username
//! or the email's local part, not one of the 10 000 most common passwords.

use super::Secret;
use crate::error::FieldError;
use std::sync::LazyLock;

/// The 10 000 most common passwords (lower-cased, sorted), from the zxcvbn frequency list.
static COMMON: &str = include_str!("common_passwords.txt");

/// A password that satisfies the policy. Its `Debug` is redacted.
#[derive(Debug, Clone)]
pub struct Password(Secret);

/// What the policy compares a new password against.
pub struct PasswordPolicyInput<'a> {
    pub username: &'a str,
    pub email: &'a str,
}

impl Password {
    /// Checks every rule and reports each one that fails, under `field`.
    pub fn parse(raw: &str, field: &str, ctx: &PasswordPolicyInput<'_>) -> Result<Self, Vec<FieldError>> {
        let mut failures = Vec::new();
        let mut fail = |m: &str| failures.push(FieldError::new(field, m));
        let chars = raw.chars().count();
        if chars < 8 {
            fail("must be at least 8 characters");
        }
        if chars > 128 {
            fail("must be at most 128 characters");
        }
        if !raw.chars().any(char::is_uppercase) {
            fail("must contain an upper-case letter");
        }
        if !raw.chars().any(char::is_lowercase) {
            fail("must contain a lower-case letter");
        }
        if !raw.chars().any(|c| c.is_ascii_digit()) {
            fail("must contain a digit");
        }
        let lower = raw.to_lowercase();
        let username = ctx.username.to_lowercase();
        let local = ctx.email.split('@').next().unwrap_or_default().to_lowercase();
        if (username.len() >= 3 && lower.contains(&username)) || (local.len() >= 3 && lower.contains(&local)) {
            fail("must not contain the username or email");
        }
        if is_common(&lower) {
            fail("is too common");
        }
        if failures.is_empty() { Ok(Self(Secret::new(raw))) } else { Err(failures) }
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

static COMMON_LIST: LazyLock<Vec<&'static str>> = LazyLock::new(|| COMMON.lines().collect());

fn is_common(lower: &str) -> bool {
    // The list is sorted, so a binary search is enough; it is split once per cold start.
    COMMON_LIST.binary_search(&lower).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: PasswordPolicyInput<'static> = PasswordPolicyInput { username: "alice_w", email: "alice.wonder@example.com" };

    fn rules(raw: &str) -> Vec<String> {
        Password::parse(raw, "password", &CTX).err().unwrap_or_default().into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn a_strong_password_passes() {
        assert!(Password::parse("Tr0ub4dor&3horse", "password", &CTX).is_ok());
    }

    #[test]
    fn each_failing_rule_is_reported() {
        let r = rules("abc");
        assert!(r.iter().any(|m| m.contains("at least 8")));
        assert!(r.iter().any(|m| m.contains("upper-case")));
        assert!(r.iter().any(|m| m.contains("digit")));
    }

    #[test]
    fn a_password_over_128_characters_is_refused() {
        assert!(rules(&format!("Aa1{}", "x".repeat(130))).iter().any(|m| m.contains("at most 128")));
    }

    #[test]
    fn a_password_containing_the_username_or_email_local_part_is_refused() {
        assert!(rules("xxAlice_W99").iter().any(|m| m.contains("username")));
        assert!(rules("Alice.Wonder1").iter().any(|m| m.contains("username or email")));
    }

    #[test]
    fn a_common_password_is_refused_whatever_its_case() {
        assert!(is_common("password1"));
        assert!(rules("Password1").iter().any(|m| m.contains("too common")));
    }

    #[test]
    fn the_common_list_is_sorted_so_binary_search_is_valid() {
        let lines: Vec<&str> = COMMON.lines().collect();
        assert!(lines.len() >= 10_000);
        assert!(lines.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let p = Password::parse("Tr0ub4dor&3horse", "password", &CTX).unwrap();
        assert!(!format!("{p:?}").contains("Tr0ub4dor"));
    }
}
