//! `Config::from_env()`: the only reader of environment variables. Every missing or malformed
//! setting is collected and reported in one error that names each variable, so a function
//! stops at start with a message an operator can act on.

use std::fmt;

/// Argon2id cost. Production uses OWASP's recommendation; only tests choose cheaper values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashCost {
    /// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
    pub const OWASP: Self = Self { memory_kib: 19_456, iterations: 2, parallelism: 1 };
    /// For tests only: fast, still argon2id.
    pub const TEST_ONLY: Self = Self { memory_kib: 64, iterations: 1, parallelism: 1 };
}

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

/// Where the JWT signing key comes from.
#[derive(Debug, Clone)]
pub enum SigningKeySource {
    /// `JWT_SECRET`: the key itself (local runs and tests).
    Value(Secret),
    /// `JWT_SECRET_PARAMETER`: an SSM SecureString read once at cold start (AWS).
    SsmParameter(String),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub bucket_name: String,
    pub mail_from: String,
    pub public_base_url: String,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub signing_key: SigningKeySource,
    pub require_captcha: bool,
    pub unverified_ttl_days: u32,
    pub deletion_grace_days: u32,
    pub endpoint_url: Option<String>,
    pub log_level: String,
    pub hash_cost: HashCost,
    /// `COUPONS`: promotion codes accepted by `POST /api/subscription`.
    pub coupons: Vec<crate::domain::Coupon>,
}

/// Every problem found in the environment, each naming its variable.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.0.join("; "))
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment in production, a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let mut required = |name: &str| match lookup(name).map(|v| v.trim().to_owned()) {
            Some(v) if !v.is_empty() => v,
            _ => {
                problems.push(format!("{name} is required"));
                String::new()
            }
        };
        let table_name = required("TABLE_NAME");
        let bucket_name = required("BUCKET_NAME");
        let mail_from = required("MAIL_FROM");
        let public_base_url = required("PUBLIC_BASE_URL");
        let jwt_issuer = required("JWT_ISSUER");
        let jwt_audience = required("JWT_AUDIENCE");

        if !mail_from.is_empty() && !email_address::EmailAddress::is_valid(&mail_from) {
            problems.push("MAIL_FROM must be an email address".into());
        }
        if !public_base_url.is_empty() {
            match url::Url::parse(&public_base_url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => problems.push("PUBLIC_BASE_URL must be an http(s) URL".into()),
            }
        }

        let non_empty = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let signing_key = match (non_empty("JWT_SECRET"), non_empty("JWT_SECRET_PARAMETER")) {
            (Some(_), Some(_)) => {
                problems.push("set only one of JWT_SECRET and JWT_SECRET_PARAMETER".into());
                SigningKeySource::Value(Secret::new(""))
            }
            (Some(v), None) if v.len() < 32 => {
                problems.push("JWT_SECRET must be at least 32 bytes".into());
                SigningKeySource::Value(Secret::new(""))
            }
            (Some(v), None) => SigningKeySource::Value(Secret::new(v)),
            (None, Some(p)) => SigningKeySource::SsmParameter(p),
            (None, None) => {
                problems.push("JWT_SECRET or JWT_SECRET_PARAMETER is required".into());
                SigningKeySource::Value(Secret::new(""))
            }
        };

        let require_captcha = match non_empty("REQUIRE_CAPTCHA").as_deref().map(str::trim) {
            None => true,
            Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(_) => {
                problems.push("REQUIRE_CAPTCHA must be true or false".into());
                true
            }
        };
        let mut days = |name: &str, default: u32| match non_empty(name) {
            None => default,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(d) if (1..=3650).contains(&d) => d,
                _ => {
                    problems.push(format!("{name} must be a whole number of days (1-3650)"));
                    default
                }
            },
        };
        let unverified_ttl_days = days("UNVERIFIED_TTL_DAYS", 7);
        let deletion_grace_days = days("DELETION_GRACE_DAYS", 7);

        let coupons = match crate::domain::Coupon::parse_list(&lookup("COUPONS").unwrap_or_default()) {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("COUPONS: {e}"));
                Vec::new()
            }
        };

        let endpoint_url = non_empty("AWS_ENDPOINT_URL");
        let log_level = non_empty("LOG_LEVEL").unwrap_or_else(|| "info".into());
        if !matches!(log_level.as_str(), "error" | "warn" | "info" | "debug" | "trace") {
            problems.push("LOG_LEVEL must be one of error, warn, info, debug, trace".into());
        }

        if !problems.is_empty() {
            return Err(ConfigError(problems));
        }
        Ok(Self {
            table_name,
            bucket_name,
            mail_from,
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            jwt_issuer,
            jwt_audience,
            signing_key,
            require_captcha,
            unverified_ttl_days,
            deletion_grace_days,
            endpoint_url,
            log_level,
            hash_cost: HashCost::OWASP,
            coupons,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |k| map.get(k).cloned()
    }

    const GOOD: &[(&str, &str)] = &[
        ("TABLE_NAME", "accounts"),
        ("BUCKET_NAME", "bucket"),
        ("MAIL_FROM", "no-reply@example.com"),
        ("PUBLIC_BASE_URL", "https://example.com/"),
        ("JWT_ISSUER", "iss"),
        ("JWT_AUDIENCE", "aud"),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
    ];

    #[test]
    fn a_complete_environment_gives_defaults_for_optional_settings() {
        let config = Config::from_lookup(env(GOOD)).unwrap();
        assert!(config.require_captcha);
        assert_eq!(config.deletion_grace_days, 7);
        assert_eq!(config.unverified_ttl_days, 7);
        assert_eq!(config.public_base_url, "https://example.com");
        assert_eq!(config.hash_cost, HashCost::OWASP);
    }

    #[test]
    fn every_missing_variable_is_named_in_one_error() {
        let err = Config::from_lookup(env(&[])).unwrap_err();
        for name in ["TABLE_NAME", "BUCKET_NAME", "MAIL_FROM", "PUBLIC_BASE_URL", "JWT_ISSUER", "JWT_AUDIENCE", "JWT_SECRET"] {
            assert!(err.to_string().contains(name), "{name} missing from {err}");
        }
    }

    #[test]
    fn malformed_values_are_named() {
        let mut pairs = GOOD.to_vec();
        pairs.extend([("REQUIRE_CAPTCHA", "maybe"), ("DELETION_GRACE_DAYS", "-1"), ("JWT_SECRET_PARAMETER", "/x")]);
        let err = Config::from_lookup(env(&pairs)).unwrap_err().to_string();
        assert!(err.contains("REQUIRE_CAPTCHA"));
        assert!(err.contains("DELETION_GRACE_DAYS"));
        assert!(err.contains("only one of JWT_SECRET"));
    }

    #[test]
    fn coupons_are_optional_and_a_malformed_list_is_named() {
        assert!(Config::from_lookup(env(GOOD)).unwrap().coupons.is_empty());
        let mut pairs = GOOD.to_vec();
        pairs.push(("COUPONS", "WELCOME20:20:3"));
        assert_eq!(Config::from_lookup(env(&pairs)).unwrap().coupons[0].code, "WELCOME20");
        pairs.pop();
        pairs.push(("COUPONS", "WELCOME20:200"));
        let err = Config::from_lookup(env(&pairs)).unwrap_err().to_string();
        assert!(err.contains("COUPONS"), "{err}");
    }

    #[test]
    fn a_short_signing_key_is_refused() {
        let mut pairs = GOOD.to_vec();
        pairs.retain(|(k, _)| *k != "JWT_SECRET");
        pairs.push(("JWT_SECRET", "short"));
        let err = Config::from_lookup(env(&pairs)).unwrap_err().to_string();
        assert!(err.contains("at least 32 bytes"));
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let config = Config::from_lookup(env(GOOD)).unwrap();
        assert!(!format!("{config:?}").contains("0123456789abcdef"));
    }
}
