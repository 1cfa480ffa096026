//! The password policy (SPEC §3.1), one configured rule for every place a password is set:
//! - `classic` (seed 000's): 8–128 characters, upper + lower + digit, not containing the
//!   username or the email's local part, not one of the 10 000 most common passwords;
//! - `nist` (NIST SP 800-63B-4 §3.1.1.2): at least the configured minimum (15 by default: a
//!   password that is the only factor; down to 8 for deployments that require a second factor),
//!   at most 128, no composition rules, length counted in code points after NFKC, and the
//!   *whole* (normalised, case-folded) password compared against the common list and the
//!   context words (username, email, its local part), never substrings.
//!
//! The password is hashed as typed (login compares the same bytes); normalisation only decides
//! what is counted and compared. The breached-password screen is a network call and lives in
//! `services::passwords`.

use super::Secret;
use crate::error::FieldError;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

/// Every policy accepts passwords up to this many characters (NIST: at least 64).
pub const MAX_PASSWORD_CHARS: usize = 128;
/// The lowest minimum length an operator may configure.
pub const MIN_PASSWORD_LENGTH_FLOOR: usize = 8;
/// The highest minimum length an operator may configure (NIST: at least 64 must be accepted).
pub const MIN_PASSWORD_LENGTH_CEILING: usize = 64;

/// Which rules a new password must meet (`PASSWORD_POLICY`, `PASSWORD_MIN_LENGTH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordPolicy {
    /// Length, upper + lower + digit, no username/email inside, not common.
    Classic { min_length: usize },
    /// NIST SP 800-63B-4: length after NFKC, whole-password blocklist, no composition rules.
    Nist { min_length: usize },
}

impl PasswordPolicy {
    pub const CLASSIC_DEFAULT_MIN: usize = 8;
    pub const NIST_DEFAULT_MIN: usize = 15;

    /// `classic` or `nist`, with the minimum length (`None`: that policy's default).
    pub fn parse(name: &str, min_length: Option<usize>) -> Result<Self, String> {
        let check = |min: usize| {
            if (MIN_PASSWORD_LENGTH_FLOOR..=MIN_PASSWORD_LENGTH_CEILING).contains(&min) {
                Ok(min)
            } else {
                Err(format!("PASSWORD_MIN_LENGTH must be {MIN_PASSWORD_LENGTH_FLOOR}-{MIN_PASSWORD_LENGTH_CEILING}"))
            }
        };
        match name {
            "classic" => Ok(Self::Classic { min_length: check(min_length.unwrap_or(Self::CLASSIC_DEFAULT_MIN))? }),
            "nist" => Ok(Self::Nist { min_length: check(min_length.unwrap_or(Self::NIST_DEFAULT_MIN))? }),
            _ => Err("PASSWORD_POLICY must be classic or nist".to_owned()),
        }
    }

    pub fn min_length(self) -> usize {
        match self {
            Self::Classic { min_length } | Self::Nist { min_length } => min_length,
        }
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self::Classic { min_length: Self::CLASSIC_DEFAULT_MIN }
    }
}

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
    /// Checks every rule of `policy` and reports each one that fails, under `field`.
    pub fn parse(raw: &str, field: &str, ctx: &PasswordPolicyInput<'_>, policy: PasswordPolicy) -> Result<Self, Vec<FieldError>> {
        match policy {
            PasswordPolicy::Classic { min_length } => Self::parse_classic(raw, field, ctx, min_length),
            PasswordPolicy::Nist { min_length } => Self::parse_nist(raw, field, ctx, min_length),
        }
    }

    fn parse_nist(raw: &str, field: &str, ctx: &PasswordPolicyInput<'_>, min_length: usize) -> Result<Self, Vec<FieldError>> {
        let mut failures = Vec::new();
        let mut fail = |m: String| failures.push(FieldError::new(field, m));
        let normalised: String = raw.nfkc().collect();
        let chars = normalised.chars().count();
        if chars < min_length {
            fail(format!("must be at least {min_length} characters (counted after Unicode NFKC normalisation)"));
        }
        if chars > MAX_PASSWORD_CHARS {
            fail(format!("must be at most {MAX_PASSWORD_CHARS} characters"));
        }
        let folded = normalised.to_lowercase();
        let email = ctx.email.to_lowercase();
        let local = email.split('@').next().unwrap_or_default();
        if [ctx.username.to_lowercase().as_str(), email.as_str(), local].iter().any(|w| !w.is_empty() && folded == *w) {
            fail("must not be the username or the email address".to_owned());
        }
        if is_common(&folded) {
            fail("is one of the most common passwords".to_owned());
        }
        if failures.is_empty() { Ok(Self(Secret::new(raw))) } else { Err(failures) }
    }

    fn parse_classic(raw: &str, field: &str, ctx: &PasswordPolicyInput<'_>, min_length: usize) -> Result<Self, Vec<FieldError>> {
        let mut failures = Vec::new();
        let min_message = format!("must be at least {min_length} characters");
        let mut fail = |m: &str| failures.push(FieldError::new(field, m));
        let chars = raw.chars().count();
        if chars < min_length {
            fail(&min_message);
        }
        if chars > MAX_PASSWORD_CHARS {
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
    const CLASSIC: PasswordPolicy = PasswordPolicy::Classic { min_length: 8 };
    const NIST: PasswordPolicy = PasswordPolicy::Nist { min_length: 15 };

    fn rules(raw: &str) -> Vec<String> {
        rules_of(raw, CLASSIC)
    }

    fn rules_of(raw: &str, policy: PasswordPolicy) -> Vec<String> {
        Password::parse(raw, "password", &CTX, policy).err().unwrap_or_default().into_iter().map(|f| f.message).collect()
    }

    #[test]
    fn a_strong_password_passes() {
        assert!(Password::parse("Tr0ub4dor&3horse", "password", &CTX, CLASSIC).is_ok());
    }

    #[test]
    fn policies_parse_from_their_names_with_a_bounded_minimum() {
        assert_eq!(PasswordPolicy::parse("classic", None), Ok(PasswordPolicy::Classic { min_length: 8 }));
        assert_eq!(PasswordPolicy::parse("nist", None), Ok(PasswordPolicy::Nist { min_length: 15 }));
        assert_eq!(PasswordPolicy::parse("nist", Some(8)), Ok(PasswordPolicy::Nist { min_length: 8 }));
        assert!(PasswordPolicy::parse("nist", Some(7)).is_err());
        assert!(PasswordPolicy::parse("nist", Some(65)).is_err());
        assert!(PasswordPolicy::parse("strict", None).is_err());
        assert_eq!(PasswordPolicy::default(), CLASSIC);
    }

    #[test]
    fn nist_needs_fifteen_characters_and_no_composition() {
        assert!(rules_of("correct horse b", NIST).is_empty(), "15 lower-case letters and spaces are enough");
        assert!(rules_of("all lower case words here", NIST).is_empty());
        let short = rules_of("Tr0ub4dor&3hor", NIST);
        assert_eq!(short.len(), 1, "{short:?}");
        assert!(short[0].contains("at least 15"), "the failed rule is named: {short:?}");
        assert!(rules_of("abcdefgh", PasswordPolicy::Nist { min_length: 8 }).is_empty(), "lowered to 8 for MFA deployments");
    }

    #[test]
    fn nist_accepts_64_and_more_and_refuses_over_128() {
        assert!(rules_of(&"x".repeat(64), NIST).is_empty());
        assert!(rules_of(&"x".repeat(128), NIST).is_empty());
        assert!(rules_of(&"x".repeat(129), NIST).iter().any(|m| m.contains("at most 128")));
    }

    #[test]
    fn nist_counts_code_points_after_nfkc() {
        // 15 code points of "é" as one precomposed code point: 30 bytes, 15 characters.
        assert!(rules_of(&"\u{e9}".repeat(15), NIST).is_empty());
        // "e" + combining acute composes under NFKC into one code point: 14 after normalisation.
        let decomposed = "e\u{301}".repeat(14);
        assert_eq!(decomposed.chars().count(), 28);
        assert!(rules_of(&decomposed, NIST).iter().any(|m| m.contains("at least 15")));
        // Compatibility forms fold: "ﬁ" (one code point) is "fi" (two) after NFKC.
        assert!(rules_of(&"\u{fb01}".repeat(8), NIST).is_empty(), "16 code points after NFKC");
        // Emoji count one code point each.
        assert!(rules_of(&"🔑".repeat(14), NIST).iter().any(|m| m.contains("at least 15")));
    }

    #[test]
    fn nist_compares_the_whole_password_with_the_list_and_context_not_substrings() {
        let p = PasswordPolicy::Nist { min_length: 8 };
        assert!(rules_of("Password1", p).iter().any(|m| m.contains("most common")), "whole match, case-folded");
        assert!(rules_of("my password1 is long", p).is_empty(), "containing a common password is fine");
        assert!(rules_of("ALICE_W!", p).is_empty(), "not equal to the username");
        assert!(rules_of("ALICE_W1", p).is_empty());
        assert!(rules_of("Alice_W_", p).is_empty());
        let ctx_user = PasswordPolicyInput { username: "longusername", email: "x@example.com" };
        let err = Password::parse("LongUserName", "password", &ctx_user, p).err().unwrap();
        assert!(err[0].message.contains("username or the email"), "{err:?}");
        assert!(rules_of("alice.wonder@example.com", p).iter().any(|m| m.contains("email")));
        assert!(rules_of("Alice.Wonder", p).iter().any(|m| m.contains("email")), "the local part too");
        assert!(rules_of("alice.wonder is me", p).is_empty(), "containing it is fine");
        // The full-width form of a common password folds to it under NFKC.
        assert!(rules_of("\u{ff50}\u{ff41}\u{ff53}\u{ff53}\u{ff57}\u{ff4f}\u{ff52}\u{ff44}", p).iter().any(|m| m.contains("most common")));
    }

    #[test]
    fn classic_takes_a_configured_minimum() {
        assert!(rules_of("Abcdefg1", PasswordPolicy::Classic { min_length: 10 }).iter().any(|m| m.contains("at least 10")));
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
        let p = Password::parse("Tr0ub4dor&3horse", "password", &CTX, CLASSIC).unwrap();
        assert!(!format!("{p:?}").contains("Tr0ub4dor"));
    }
}
