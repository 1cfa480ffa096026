//! `Config::from_env()`: the only reader of environment variables. Every missing or malformed
//! setting is collected and reported in one error that names each variable, so a function
//! stops at start with a message an operator can act on.

use crate::domain::{LockoutPolicy, RateLimit};
use std::fmt;

// The types of two settings, defined where they are used and re-exported here so a setting's
// type is found beside it.
pub use crate::domain::Secret;
pub use crate::passwords::HashCost;
pub use crate::payments::PaymentProviderKind;
pub use crate::secrets::KeySet;

#[derive(Debug, Clone)]
pub enum KeySetSource {
    Value(KeySet),
    SsmParameter(String),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub table_name: String,
    pub bucket_name: String,
    pub mail_from: String,
    pub public_base_url: String,
    /// `JWT_ISSUER`: the https base URL the API is served from (`iss` of access tokens); or
    /// read at start from the SSM parameter `JWT_ISSUER_PARAMETER` names (then empty here).
    pub jwt_issuer: String,
    pub jwt_issuer_parameter: Option<String>,
    pub jwt_audience: String,
    /// `SIGNING_KEY`: the KMS key (id, ARN or alias) that starts an empty signing-key ring. Set
    /// only where access tokens are issued (the auth function); without it a function can
    /// verify tokens but never sign one.
    pub signing_kms_key: Option<String>,
    /// `CODE_PEPPER` / `CODE_PEPPER_PARAMETER`: keys the hashes of codes and counters; only the
    /// functions that hash codes or send mail are given it (`None` elsewhere).
    pub code_pepper: Option<KeySetSource>,
    /// `MFA_SEAL_KEY` / `MFA_SEAL_KEY_PARAMETER`: seals TOTP seeds; only the functions that
    /// enrol or check TOTP codes are given it.
    pub mfa_seal_key: Option<KeySetSource>,
    pub require_captcha: bool,
    pub unverified_ttl_days: u32,
    pub deletion_grace_days: u32,
    pub endpoint_url: Option<String>,
    pub log_level: String,
    pub hash_cost: HashCost,
    /// `COUPONS` (local and tests) or, deployed, the SSM SecureString `COUPONS_PARAMETER`
    /// names (read at start, then here): promotion codes accepted by `POST /api/subscription`.
    pub coupons: Vec<crate::domain::Coupon>,
    pub coupons_parameter: Option<String>,
    /// `RATE_LIMIT_COUPON`: coupon codes an account may try (per account and per address).
    pub coupon_attempts: RateLimit,
    /// `PAYMENT_PROVIDER`: `none` (the default: payments refused) or `sandbox`.
    pub payment_provider: PaymentProviderKind,
    /// `RATE_LIMIT_*`: per-client-address and per-recipient limits.
    pub limits: RateLimits,
    /// `LOGIN_LOCKOUT_*`: the per-account lockout after failed logins.
    pub lockout: LockoutPolicy,
    /// `CORS_ALLOWED_ORIGINS`: exact origins (`scheme://host[:port]`) a browser may call from;
    /// empty means no CORS headers at all.
    pub cors_allowed_origins: Vec<String>,
    /// `PASSWORD_POLICY`, `PASSWORD_MIN_LENGTH`, `BREACHED_PASSWORD_CHECK`, `HIBP_*`.
    pub passwords: PasswordSettings,
    /// `CAPTCHA_PROVIDER`, `CAPTCHA_SECRET(_PARAMETER)`, `CAPTCHA_VERIFY_URL`, `CAPTCHA_TIMEOUT_MS`.
    pub captcha: CaptchaSettings,
    /// `PASSWORD_CHECK_FLOOR_MS` (0-5000, default 0): the least time a password check takes, so
    /// accounts imported with a slower hash scheme than argon2id look like every other account
    /// and like no account (docs/migration.md, "Timing").
    pub password_check_floor: std::time::Duration,
    /// `MAIL_CONFIGURATION_SET`, `METRICS_NAMESPACE`, `LOG_FORMAT` and the function's name.
    pub operations: OperationsSettings,
}

/// Fixed-window limits on the endpoints an anonymous client can use to guess, spam or burn
/// resources. Defaults follow what Cognito, Supabase Auth and Ory Kratos ship with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `POST /api/auth/register` attempts per client address.
    pub register: RateLimit,
    /// Failed `POST /api/auth/login` attempts per client address (successes do not count).
    pub login_failures: RateLimit,
    /// `POST /api/auth/forgot-password` per client address.
    pub forgot_password: RateLimit,
    /// `POST /api/auth/resend-activation` per client address.
    pub resend_activation: RateLimit,
    /// `GET /api/auth/captcha` per client address.
    pub captcha: RateLimit,
    /// `POST /api/users/recover` per client address.
    pub recover: RateLimit,
    /// `POST /api/auth/mfa` and `POST /api/users/me/mfa/totp/verify` per client address.
    pub mfa_verify: RateLimit,
    /// Mails of every kind per recipient address.
    pub mail_per_recipient: RateLimit,
}

impl RateLimits {
    pub const DEFAULT: Self = Self {
        register: RateLimit::new(10, 3600),
        login_failures: RateLimit::new(20, 900),
        forgot_password: RateLimit::new(5, 3600),
        resend_activation: RateLimit::new(5, 3600),
        captcha: RateLimit::new(30, 600),
        recover: RateLimit::new(10, 3600),
        mfa_verify: RateLimit::new(10, 300),
        mail_per_recipient: RateLimit::new(5, 3600),
    };
}

/// Coupon codes one account (and one address) may try per hour: enough for typos, too few to
/// guess a code.
pub const DEFAULT_COUPON_ATTEMPTS: RateLimit = RateLimit::new(10, 3600);

impl Default for RateLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
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
        // Where mail links lead: the hosted pages, served from the API's own origin, unless a
        // product with its own front-end names it (SPEC §3.8). Empty: the issuer (set below or,
        // in AWS, once the issuer is read from SSM at start).
        let public_base_url = lookup("PUBLIC_BASE_URL").map(|v| v.trim().to_owned()).unwrap_or_default();
        // JWT_ISSUER, or (AWS) the SSM parameter holding it: a function cannot name the API it
        // serves in its own template without a circular dependency.
        let jwt_issuer_parameter = lookup("JWT_ISSUER_PARAMETER").map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let jwt_issuer = match &jwt_issuer_parameter {
            Some(_) => lookup("JWT_ISSUER").unwrap_or_default().trim().to_owned(),
            None => required("JWT_ISSUER"),
        };
        let jwt_audience = required("JWT_AUDIENCE");

        if !mail_from.is_empty() && !email_address::EmailAddress::is_valid(&mail_from) {
            problems.push("MAIL_FROM must be an email address".into());
        }
        if !jwt_issuer.is_empty() {
            // The issuer is the base URL the discovery documents are served from.
            match url::Url::parse(&jwt_issuer) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.query().is_none() && u.fragment().is_none() => {}
                _ => problems.push("JWT_ISSUER must be the http(s) base URL the API is served from".into()),
            }
        }
        if !public_base_url.is_empty() {
            match url::Url::parse(&public_base_url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => problems.push("PUBLIC_BASE_URL must be an http(s) URL".into()),
            }
        }

        let non_empty = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let signing_kms_key = non_empty("SIGNING_KEY").map(|v| v.trim().to_owned());
        let mut key_set = |name: &str| {
            let parameter = format!("{name}_PARAMETER");
            match (non_empty(name), non_empty(&parameter)) {
                (Some(_), Some(_)) => {
                    problems.push(format!("set only one of {name} and {parameter}"));
                    None
                }
                (Some(v), None) => match KeySet::parse(&v) {
                    Ok(keys) => Some(KeySetSource::Value(keys)),
                    Err(e) => {
                        problems.push(format!("{name} must be id:secret[,id:secret...]: {e}"));
                        None
                    }
                },
                (None, Some(p)) => Some(KeySetSource::SsmParameter(p.trim().to_owned())),
                (None, None) => None,
            }
        };
        let code_pepper = key_set("CODE_PEPPER");
        let mfa_seal_key = key_set("MFA_SEAL_KEY");

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
        let coupons_parameter = non_empty("COUPONS_PARAMETER").map(|v| v.trim().to_owned());
        if coupons_parameter.is_some() && !coupons.is_empty() {
            problems.push("set only one of COUPONS and COUPONS_PARAMETER".into());
        }
        let payment_provider = match non_empty("PAYMENT_PROVIDER") {
            None => PaymentProviderKind::None,
            Some(v) => PaymentProviderKind::parse(&v).unwrap_or_else(|| {
                problems.push("PAYMENT_PROVIDER must be none or sandbox".into());
                PaymentProviderKind::None
            }),
        };

        let mut limit = |name: &str, default: RateLimit| match non_empty(name) {
            None => default,
            Some(v) => RateLimit::parse(&v).unwrap_or_else(|e| {
                problems.push(format!("{name} {e}"));
                default
            }),
        };
        let coupon_attempts = limit("RATE_LIMIT_COUPON", DEFAULT_COUPON_ATTEMPTS);
        let d = RateLimits::DEFAULT;
        let limits = RateLimits {
            register: limit("RATE_LIMIT_REGISTER", d.register),
            login_failures: limit("RATE_LIMIT_LOGIN_FAILURES", d.login_failures),
            forgot_password: limit("RATE_LIMIT_FORGOT_PASSWORD", d.forgot_password),
            resend_activation: limit("RATE_LIMIT_RESEND_ACTIVATION", d.resend_activation),
            captcha: limit("RATE_LIMIT_CAPTCHA", d.captcha),
            recover: limit("RATE_LIMIT_RECOVER", d.recover),
            mfa_verify: limit("RATE_LIMIT_MFA_VERIFY", d.mfa_verify),
            mail_per_recipient: limit("RATE_LIMIT_MAIL_PER_RECIPIENT", d.mail_per_recipient),
        };

        let mut whole = |name: &str, default: i64, range: std::ops::RangeInclusive<i64>| match non_empty(name) {
            None => default,
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if range.contains(&n) => n,
                _ => {
                    problems.push(format!("{name} must be a whole number from {} to {}", range.start(), range.end()));
                    default
                }
            },
        };
        let dl = LockoutPolicy::DEFAULT;
        let threshold = whole("LOGIN_LOCKOUT_THRESHOLD", i64::from(dl.threshold), 1..=100);
        let base_secs = whole("LOGIN_LOCKOUT_BASE_SECS", dl.base_secs, 1..=3600);
        // The cap is what keeps the lockout from becoming a denial of service against the owner.
        let max_secs = whole("LOGIN_LOCKOUT_MAX_SECS", dl.max_secs, 1..=3600);
        if base_secs > max_secs {
            problems.push("LOGIN_LOCKOUT_BASE_SECS must not exceed LOGIN_LOCKOUT_MAX_SECS".into());
        }
        let lockout = LockoutPolicy { threshold: u32::try_from(threshold).unwrap_or(dl.threshold), base_secs, max_secs };

        let cors_allowed_origins = match parse_origins(&lookup("CORS_ALLOWED_ORIGINS").unwrap_or_default()) {
            Ok(origins) => origins,
            Err(e) => {
                problems.push(format!("CORS_ALLOWED_ORIGINS: {e}"));
                Vec::new()
            }
        };

        let endpoint_url = non_empty("AWS_ENDPOINT_URL");
        let log_level = non_empty("LOG_LEVEL").unwrap_or_else(|| "info".into());
        if !matches!(log_level.as_str(), "error" | "warn" | "info" | "debug" | "trace") {
            problems.push("LOG_LEVEL must be one of error, warn, info, debug, trace".into());
        }

        let passwords = PasswordSettings::from_lookup(&lookup, &mut problems);
        let captcha = CaptchaSettings::from_lookup(&lookup, &mut problems);
        let password_check_floor = match lookup("PASSWORD_CHECK_FLOOR_MS").map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
            None => std::time::Duration::ZERO,
            Some(v) => match v.parse::<u64>() {
                Ok(ms) if ms <= 5000 => std::time::Duration::from_millis(ms),
                _ => {
                    problems.push("PASSWORD_CHECK_FLOOR_MS must be a whole number of milliseconds (0-5000)".into());
                    std::time::Duration::ZERO
                }
            },
        };
        let operations = OperationsSettings::from_lookup(&lookup, &mut problems);

        if !problems.is_empty() {
            return Err(ConfigError(problems));
        }
        Ok(Self {
            table_name,
            bucket_name,
            mail_from,
            public_base_url: if public_base_url.is_empty() { &jwt_issuer } else { &public_base_url }.trim_end_matches('/').to_owned(),
            jwt_issuer: jwt_issuer.trim_end_matches('/').to_owned(),
            jwt_issuer_parameter,
            jwt_audience,
            signing_kms_key,
            code_pepper,
            mfa_seal_key,
            require_captcha,
            unverified_ttl_days,
            deletion_grace_days,
            endpoint_url,
            log_level,
            hash_cost: HashCost::OWASP,
            coupons,
            coupons_parameter,
            coupon_attempts,
            payment_provider,
            limits,
            lockout,
            cors_allowed_origins,
            passwords,
            captcha,
            password_check_floor,
            operations,
        })
    }
}

// ---- password policy and breached-password screening (SPEC §3.1) ----------------------------

pub use crate::domain::PasswordPolicy;

/// The Pwned Passwords range API (k-anonymity: only 5 hex digits of the SHA-1 leave).
pub const HIBP_DEFAULT_RANGE_URL: &str = "https://api.pwnedpasswords.com/range/";

/// Whether new passwords are screened against known breaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreachedPasswordCheck {
    Off,
    /// `BREACHED_PASSWORD_CHECK=hibp`: the range API at `range_url` (`HIBP_RANGE_URL`, the prefix
    /// is appended), answered within `timeout_ms` (`HIBP_TIMEOUT_MS`); when it is not,
    /// `fail_open` (`HIBP_FAIL=open`, the default) accepts the password and logs the outage,
    /// `closed` refuses it with `503`.
    Hibp {
        range_url: String,
        timeout_ms: u64,
        fail_open: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordSettings {
    pub policy: PasswordPolicy,
    pub breached: BreachedPasswordCheck,
}

impl Default for PasswordSettings {
    fn default() -> Self {
        Self { policy: PasswordPolicy::default(), breached: BreachedPasswordCheck::Off }
    }
}

impl PasswordSettings {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>, problems: &mut Vec<String>) -> Self {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let min_length = match get("PASSWORD_MIN_LENGTH") {
            None => None,
            Some(v) => match v.parse::<usize>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push("PASSWORD_MIN_LENGTH must be a whole number (8-64)".into());
                    None
                }
            },
        };
        let policy = PasswordPolicy::parse(get("PASSWORD_POLICY").as_deref().unwrap_or("classic"), min_length).unwrap_or_else(|e| {
            problems.push(e);
            PasswordPolicy::default()
        });
        let breached = match get("BREACHED_PASSWORD_CHECK").as_deref().unwrap_or("off") {
            "off" => BreachedPasswordCheck::Off,
            "hibp" => {
                let range_url = get("HIBP_RANGE_URL").unwrap_or_else(|| HIBP_DEFAULT_RANGE_URL.to_owned());
                match url::Url::parse(&range_url) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") && u.query().is_none() && u.fragment().is_none() => {}
                    _ => problems.push("HIBP_RANGE_URL must be an http(s) URL the 5-digit prefix is appended to".into()),
                }
                let timeout_ms = match get("HIBP_TIMEOUT_MS").map(|v| v.parse::<u64>()) {
                    None => 1500,
                    Some(Ok(ms)) if (50..=10_000).contains(&ms) => ms,
                    Some(_) => {
                        problems.push("HIBP_TIMEOUT_MS must be 50-10000".into());
                        1500
                    }
                };
                let fail_open = match get("HIBP_FAIL").as_deref().unwrap_or("open") {
                    "open" => true,
                    "closed" => false,
                    _ => {
                        problems.push("HIBP_FAIL must be open or closed".into());
                        true
                    }
                };
                BreachedPasswordCheck::Hibp { range_url, timeout_ms, fail_open }
            }
            _ => {
                problems.push("BREACHED_PASSWORD_CHECK must be off or hibp".into());
                BreachedPasswordCheck::Off
            }
        };
        Self { policy, breached }
    }
}

/// `https://app.example.com,http://localhost:3000`: exact origins, no paths, no wildcards
/// (an allowlist that reflects whatever a browser sends would let any site read account data).
fn parse_origins(text: &str) -> Result<Vec<String>, String> {
    let mut origins = Vec::new();
    for raw in text.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let url = url::Url::parse(raw).map_err(|_| format!("{raw:?} is not an origin (scheme://host[:port])"))?;
        let is_origin = matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some()
            && url.path() == "/"
            && !raw.ends_with('/')
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty();
        if !is_origin || raw.contains('*') {
            return Err(format!("{raw:?} is not an origin (scheme://host[:port], no path, no wildcard)"));
        }
        // Browsers send the serialised origin: lower-case scheme and host, no default port.
        origins.push(url.origin().ascii_serialization());
    }
    Ok(origins)
}

// ---- captcha provider ------------------------------------------------------------------------

pub use crate::captcha::Provider as CaptchaProvider;

/// Which captcha `register` checks when `REQUIRE_CAPTCHA` is on.
#[derive(Debug, Clone, Default)]
pub enum CaptchaSettings {
    /// The built-in image (`GET /api/auth/captcha`), for local and offline use.
    #[default]
    Builtin,
    /// A provider's widget token, verified with its siteverify endpoint.
    Provider {
        provider: CaptchaProvider,
        /// `CAPTCHA_SECRET` or (AWS) the SSM SecureString `CAPTCHA_SECRET_PARAMETER` names.
        secret: SecretSource,
        /// `CAPTCHA_VERIFY_URL`: overrides the provider's endpoint (tests, a proxy).
        verify_url: Option<String>,
        timeout_ms: u64,
    },
}

/// A secret given as a value (local runs, tests) or as the name of an SSM parameter.
#[derive(Debug, Clone)]
pub enum SecretSource {
    Value(Secret),
    SsmParameter(String),
}

impl CaptchaSettings {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>, problems: &mut Vec<String>) -> Self {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let provider = match get("CAPTCHA_PROVIDER").as_deref().unwrap_or("builtin") {
            "builtin" => return Self::Builtin,
            "turnstile" => CaptchaProvider::Turnstile,
            "hcaptcha" => CaptchaProvider::HCaptcha,
            _ => {
                problems.push("CAPTCHA_PROVIDER must be builtin, turnstile or hcaptcha".into());
                return Self::Builtin;
            }
        };
        let secret = match (get("CAPTCHA_SECRET"), get("CAPTCHA_SECRET_PARAMETER")) {
            (Some(v), None) => SecretSource::Value(Secret::new(v)),
            (None, Some(p)) => SecretSource::SsmParameter(p),
            (Some(_), Some(_)) => {
                problems.push("set only one of CAPTCHA_SECRET and CAPTCHA_SECRET_PARAMETER".into());
                return Self::Builtin;
            }
            (None, None) => {
                problems.push(format!("CAPTCHA_PROVIDER={} needs CAPTCHA_SECRET or CAPTCHA_SECRET_PARAMETER", provider.as_str()));
                return Self::Builtin;
            }
        };
        let verify_url = get("CAPTCHA_VERIFY_URL");
        if let Some(u) = &verify_url
            && !url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            problems.push("CAPTCHA_VERIFY_URL must be an http(s) URL".into());
        }
        let timeout_ms = match get("CAPTCHA_TIMEOUT_MS").map(|v| v.parse::<u64>()) {
            None => 3000,
            Some(Ok(ms)) if (50..=10_000).contains(&ms) => ms,
            Some(_) => {
                problems.push("CAPTCHA_TIMEOUT_MS must be 50-10000".into());
                3000
            }
        };
        Self::Provider { provider, secret, verify_url, timeout_ms }
    }
}

#[cfg(test)]
mod captcha_settings_tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<CaptchaSettings, Vec<String>> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let mut problems = Vec::new();
        let s = CaptchaSettings::from_lookup(&|k: &str| map.get(k).cloned(), &mut problems);
        if problems.is_empty() { Ok(s) } else { Err(problems) }
    }

    #[test]
    fn the_builtin_captcha_by_default_and_a_provider_with_its_secret() {
        assert!(matches!(settings(&[]).unwrap(), CaptchaSettings::Builtin));
        let s = settings(&[("CAPTCHA_PROVIDER", "turnstile"), ("CAPTCHA_SECRET_PARAMETER", "/accounts/captcha")]).unwrap();
        assert!(matches!(
            s,
            CaptchaSettings::Provider {
                provider: CaptchaProvider::Turnstile,
                secret: SecretSource::SsmParameter(ref p),
                verify_url: None,
                timeout_ms: 3000
            } if p == "/accounts/captcha"
        ));
        let s = settings(&[("CAPTCHA_PROVIDER", "hcaptcha"), ("CAPTCHA_SECRET", "0x0000")]).unwrap();
        assert!(
            matches!(s, CaptchaSettings::Provider { provider: CaptchaProvider::HCaptcha, secret: SecretSource::Value(ref v), .. } if v.expose() == "0x0000")
        );
    }

    #[test]
    fn a_provider_without_a_secret_or_with_bad_values_is_refused() {
        assert!(settings(&[("CAPTCHA_PROVIDER", "hcaptcha")]).unwrap_err()[0].contains("CAPTCHA_SECRET"));
        assert!(settings(&[("CAPTCHA_PROVIDER", "recaptcha")]).is_err());
        let problems = settings(&[
            ("CAPTCHA_PROVIDER", "hcaptcha"),
            ("CAPTCHA_SECRET", "s"),
            ("CAPTCHA_VERIFY_URL", "nope"),
            ("CAPTCHA_TIMEOUT_MS", "1"),
        ])
        .unwrap_err();
        assert!(problems.iter().any(|p| p.contains("CAPTCHA_VERIFY_URL")) && problems.iter().any(|p| p.contains("CAPTCHA_TIMEOUT_MS")));
    }
}

#[cfg(test)]
mod password_settings_tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<PasswordSettings, Vec<String>> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let mut problems = Vec::new();
        let s = PasswordSettings::from_lookup(&|k: &str| map.get(k).cloned(), &mut problems);
        if problems.is_empty() { Ok(s) } else { Err(problems) }
    }

    #[test]
    fn classic_and_no_breach_check_by_default() {
        assert_eq!(settings(&[]).unwrap(), PasswordSettings::default());
    }

    #[test]
    fn nist_with_a_minimum_and_the_hibp_check_parse() {
        let s = settings(&[("PASSWORD_POLICY", "nist"), ("PASSWORD_MIN_LENGTH", "8"), ("BREACHED_PASSWORD_CHECK", "hibp")]).unwrap();
        assert_eq!(s.policy, PasswordPolicy::Nist { min_length: 8 });
        assert_eq!(s.breached, BreachedPasswordCheck::Hibp { range_url: HIBP_DEFAULT_RANGE_URL.into(), timeout_ms: 1500, fail_open: true });
        let s = settings(&[
            ("BREACHED_PASSWORD_CHECK", "hibp"),
            ("HIBP_RANGE_URL", "http://127.0.0.1:8080/range/"),
            ("HIBP_TIMEOUT_MS", "200"),
            ("HIBP_FAIL", "closed"),
        ])
        .unwrap();
        assert_eq!(
            s.breached,
            BreachedPasswordCheck::Hibp { range_url: "http://127.0.0.1:8080/range/".into(), timeout_ms: 200, fail_open: false }
        );
    }

    #[test]
    fn bad_values_are_each_named() {
        let problems = settings(&[
            ("PASSWORD_POLICY", "strict"),
            ("PASSWORD_MIN_LENGTH", "abc"),
            ("BREACHED_PASSWORD_CHECK", "hibp"),
            ("HIBP_RANGE_URL", "ftp://x"),
            ("HIBP_TIMEOUT_MS", "0"),
            ("HIBP_FAIL", "maybe"),
        ])
        .unwrap_err();
        for name in ["PASSWORD_POLICY", "PASSWORD_MIN_LENGTH", "HIBP_RANGE_URL", "HIBP_TIMEOUT_MS", "HIBP_FAIL"] {
            assert!(problems.iter().any(|p| p.contains(name)), "{name}: {problems:?}");
        }
        assert!(settings(&[("PASSWORD_POLICY", "nist"), ("PASSWORD_MIN_LENGTH", "7")]).is_err());
        assert!(settings(&[("BREACHED_PASSWORD_CHECK", "yes")]).is_err());
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
        ("JWT_ISSUER", "https://accounts.example.com"),
        ("JWT_AUDIENCE", "aud"),
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
    fn mail_links_lead_to_the_hosted_pages_on_the_issuer_unless_a_front_end_is_named() {
        let without: Vec<_> = GOOD.iter().copied().filter(|(k, _)| *k != "PUBLIC_BASE_URL").collect();
        assert_eq!(Config::from_lookup(env(&without)).unwrap().public_base_url, "https://accounts.example.com");
        let mut empty = without.clone();
        empty.push(("PUBLIC_BASE_URL", " "));
        assert_eq!(Config::from_lookup(env(&empty)).unwrap().public_base_url, "https://accounts.example.com");
        assert_eq!(Config::from_lookup(env(GOOD)).unwrap().public_base_url, "https://example.com");
    }

    #[test]
    fn every_missing_variable_is_named_in_one_error() {
        let err = Config::from_lookup(env(&[])).unwrap_err();
        for name in ["TABLE_NAME", "BUCKET_NAME", "MAIL_FROM", "JWT_ISSUER", "JWT_AUDIENCE"] {
            assert!(err.to_string().contains(name), "{name} missing from {err}");
        }
    }

    #[test]
    fn malformed_values_are_named() {
        let mut pairs = GOOD.to_vec();
        pairs.extend([("REQUIRE_CAPTCHA", "maybe"), ("DELETION_GRACE_DAYS", "-1")]);
        let err = Config::from_lookup(env(&pairs)).unwrap_err().to_string();
        assert!(err.contains("REQUIRE_CAPTCHA"));
        assert!(err.contains("DELETION_GRACE_DAYS"));
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
    fn payments_are_off_unless_a_provider_is_named() {
        assert_eq!(Config::from_lookup(env(GOOD)).unwrap().payment_provider, PaymentProviderKind::None);
        let mut pairs = GOOD.to_vec();
        pairs.push(("PAYMENT_PROVIDER", "sandbox"));
        assert_eq!(Config::from_lookup(env(&pairs)).unwrap().payment_provider, PaymentProviderKind::Sandbox);
        pairs.pop();
        pairs.push(("PAYMENT_PROVIDER", "stripe"));
        assert!(Config::from_lookup(env(&pairs)).unwrap_err().to_string().contains("PAYMENT_PROVIDER"));
    }

    #[test]
    fn coupons_come_from_a_value_or_a_parameter_never_both_and_attempts_are_limited() {
        let mut pairs = GOOD.to_vec();
        pairs.push(("COUPONS_PARAMETER", "/accounts/coupons"));
        let config = Config::from_lookup(env(&pairs)).unwrap();
        assert_eq!(config.coupons_parameter.as_deref(), Some("/accounts/coupons"));
        assert_eq!(config.coupon_attempts, RateLimit::new(10, 3600));
        pairs.push(("COUPONS", "WELCOME20:20:3"));
        assert!(Config::from_lookup(env(&pairs)).unwrap_err().to_string().contains("set only one of COUPONS and COUPONS_PARAMETER"));
    }

    #[test]
    fn limits_and_lockout_have_documented_defaults() {
        let config = Config::from_lookup(env(GOOD)).unwrap();
        assert_eq!(config.limits, RateLimits::DEFAULT);
        assert_eq!(config.limits.register, RateLimit::new(10, 3600));
        assert_eq!(config.limits.login_failures, RateLimit::new(20, 900));
        assert_eq!(config.limits.mail_per_recipient, RateLimit::new(5, 3600));
        assert_eq!(config.lockout, LockoutPolicy { threshold: 5, base_secs: 30, max_secs: 900 });
        assert!(config.cors_allowed_origins.is_empty());
    }

    #[test]
    fn limits_and_lockout_can_be_set() {
        let mut pairs = GOOD.to_vec();
        pairs.extend([
            ("RATE_LIMIT_REGISTER", "3/60"),
            ("RATE_LIMIT_MFA_VERIFY", "7/120"),
            ("LOGIN_LOCKOUT_THRESHOLD", "3"),
            ("LOGIN_LOCKOUT_BASE_SECS", "10"),
            ("LOGIN_LOCKOUT_MAX_SECS", "600"),
        ]);
        let config = Config::from_lookup(env(&pairs)).unwrap();
        assert_eq!(config.limits.register, RateLimit::new(3, 60));
        assert_eq!(config.limits.mfa_verify, RateLimit::new(7, 120));
        assert_eq!(config.limits.captcha, RateLimits::DEFAULT.captcha);
        assert_eq!(config.lockout, LockoutPolicy { threshold: 3, base_secs: 10, max_secs: 600 });
    }

    #[test]
    fn malformed_limits_are_named() {
        let mut pairs = GOOD.to_vec();
        pairs.extend([
            ("RATE_LIMIT_REGISTER", "ten per hour"),
            ("RATE_LIMIT_MAIL_PER_RECIPIENT", "0/3600"),
            ("LOGIN_LOCKOUT_MAX_SECS", "86400"),
            ("LOGIN_LOCKOUT_THRESHOLD", "x"),
        ]);
        let err = Config::from_lookup(env(&pairs)).unwrap_err().to_string();
        for name in ["RATE_LIMIT_REGISTER", "RATE_LIMIT_MAIL_PER_RECIPIENT", "LOGIN_LOCKOUT_MAX_SECS", "LOGIN_LOCKOUT_THRESHOLD"] {
            assert!(err.contains(name), "{name} missing from {err}");
        }
        let mut pairs = GOOD.to_vec();
        pairs.extend([("LOGIN_LOCKOUT_BASE_SECS", "600"), ("LOGIN_LOCKOUT_MAX_SECS", "60")]);
        assert!(Config::from_lookup(env(&pairs)).unwrap_err().to_string().contains("LOGIN_LOCKOUT_BASE_SECS"));
    }

    #[test]
    fn cors_origins_are_exact_and_normalised() {
        let mut pairs = GOOD.to_vec();
        pairs.push(("CORS_ALLOWED_ORIGINS", " https://App.Example.com , http://localhost:3000,https://x.example.com:443"));
        let config = Config::from_lookup(env(&pairs)).unwrap();
        assert_eq!(config.cors_allowed_origins, ["https://app.example.com", "http://localhost:3000", "https://x.example.com"]);
    }

    #[test]
    fn cors_wildcards_paths_and_non_origins_are_refused() {
        for bad in ["*", "https://*.example.com", "https://example.com/app", "https://example.com/", "example.com", "ftp://example.com"] {
            let mut pairs = GOOD.to_vec();
            pairs.push(("CORS_ALLOWED_ORIGINS", bad));
            let err = Config::from_lookup(env(&pairs)).unwrap_err().to_string();
            assert!(err.contains("CORS_ALLOWED_ORIGINS"), "{bad}: {err}");
        }
    }

    /// `make dev`'s environment: `[workspace.metadata.lambda.env]` in the workspace manifest, and
    /// the names infra/dev.sh passes with `--env-var` (its defaults) so that a run can move them.
    fn local_stack_env() -> Vec<(String, String)> {
        let manifest = include_str!("../../Cargo.toml");
        let section = manifest.split("[workspace.metadata.lambda.env]").nth(1).unwrap().split("\n[").next().unwrap();
        let passed = [
            ("TABLE_NAME", "accounts"),
            ("BUCKET_NAME", "accounts-local"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            ("JWT_ISSUER", "http://127.0.0.1:9000"),
        ];
        section
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
            .chain(passed.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
            .collect()
    }

    #[test]
    fn the_local_stack_environment_is_valid_and_lifts_the_address_limits() {
        let vars = local_stack_env();
        let config = Config::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).unwrap();
        let l = config.limits;
        for limit in
            [l.register, l.login_failures, l.forgot_password, l.resend_activation, l.captcha, l.recover, l.mfa_verify, l.mail_per_recipient]
        {
            assert!(limit.max >= 10_000, "{limit}");
        }
        assert_eq!(config.lockout, LockoutPolicy::DEFAULT);
        assert!(matches!(config.code_pepper, Some(KeySetSource::Value(_))), "make dev hashes codes");
        assert!(matches!(config.mfa_seal_key, Some(KeySetSource::Value(_))), "make dev seals TOTP seeds");
    }

    #[test]
    fn the_issuer_is_an_http_base_url_and_signing_key_is_optional() {
        let config = Config::from_lookup(env(GOOD)).unwrap();
        assert_eq!(config.signing_kms_key, None);
        for bad in ["accounts", "ftp://x.example.com", "https://x.example.com/?a=1"] {
            let mut pairs = GOOD.to_vec();
            pairs.retain(|(k, _)| *k != "JWT_ISSUER");
            pairs.push(("JWT_ISSUER", bad));
            assert!(Config::from_lookup(env(&pairs)).unwrap_err().to_string().contains("JWT_ISSUER"), "{bad}");
        }
        let mut pairs = GOOD.to_vec();
        pairs.retain(|(k, _)| *k != "JWT_ISSUER");
        pairs.extend([("JWT_ISSUER", "https://auth.example.com/"), ("SIGNING_KEY", " alias/accounts-signing ")]);
        let config = Config::from_lookup(env(&pairs)).unwrap();
        assert_eq!(config.jwt_issuer, "https://auth.example.com");
        assert_eq!(config.signing_kms_key.as_deref(), Some("alias/accounts-signing"));
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let mut pairs = GOOD.to_vec();
        pairs.extend([("CODE_PEPPER", "k1:pepper-pepper-pepper-pepper-pepper"), ("MFA_SEAL_KEY", "k1:sealkey-sealkey-sealkey-sealkey-1")]);
        let shown = format!("{:?}", Config::from_lookup(env(&pairs)).unwrap());
        assert!(!shown.contains("pepper-pepper") && !shown.contains("sealkey-sealkey"), "{shown}");
    }

    #[test]
    fn the_code_pepper_and_the_seal_key_are_optional_and_come_from_a_value_or_a_parameter() {
        let config = Config::from_lookup(env(GOOD)).unwrap();
        assert!(config.code_pepper.is_none() && config.mfa_seal_key.is_none());
        let mut pairs = GOOD.to_vec();
        pairs.extend([
            ("CODE_PEPPER", "k2:pepper-two-pepper-two-pepper-two-1,k1:pepper-one-pepper-one-pepper-one-1"),
            ("MFA_SEAL_KEY_PARAMETER", "/accounts/mfa-seal-key"),
        ]);
        let config = Config::from_lookup(env(&pairs)).unwrap();
        let Some(KeySetSource::Value(keys)) = &config.code_pepper else { panic!("{:?}", config.code_pepper) };
        assert_eq!(keys.ids().collect::<Vec<_>>(), ["k2", "k1"]);
        assert!(matches!(&config.mfa_seal_key, Some(KeySetSource::SsmParameter(p)) if p == "/accounts/mfa-seal-key"));
    }

    #[test]
    fn a_malformed_or_doubly_set_pepper_or_seal_key_is_named() {
        let mut pairs = GOOD.to_vec();
        pairs.extend([
            ("CODE_PEPPER", "k1:short"),
            ("MFA_SEAL_KEY", "k1:sealkey-sealkey-sealkey-sealkey-1"),
            ("MFA_SEAL_KEY_PARAMETER", "/accounts/mfa-seal-key"),
        ]);
        let err = Config::from_lookup(env(&pairs)).unwrap_err().to_string();
        assert!(err.contains("CODE_PEPPER must be id:secret[,id:secret...]: key k1 must be at least 32 bytes"), "{err}");
        assert!(err.contains("set only one of MFA_SEAL_KEY and MFA_SEAL_KEY_PARAMETER"), "{err}");
        let mut pairs = GOOD.to_vec();
        pairs.push(("MFA_SEAL_KEY", "no-id-given-no-id-given-no-id-given"));
        let err = Config::from_lookup(env(&pairs)).unwrap_err().to_string();
        assert!(err.contains("MFA_SEAL_KEY must be id:secret"), "{err}");
        assert!(!err.contains("no-id-given"), "the error never shows the material: {err}");
    }

    #[test]
    fn the_password_check_floor_is_off_by_default_and_bounded() {
        assert!(Config::from_lookup(env(GOOD)).unwrap().password_check_floor.is_zero());
        let mut pairs = GOOD.to_vec();
        pairs.push(("PASSWORD_CHECK_FLOOR_MS", "250"));
        assert_eq!(Config::from_lookup(env(&pairs)).unwrap().password_check_floor, std::time::Duration::from_millis(250));
        for bad in ["-1", "5001", "fast"] {
            let mut pairs = GOOD.to_vec();
            pairs.push(("PASSWORD_CHECK_FLOOR_MS", bad));
            assert!(Config::from_lookup(env(&pairs)).unwrap_err().to_string().contains("PASSWORD_CHECK_FLOOR_MS"), "{bad}");
        }
    }
}

// ---- operations: mail delivery, metrics, logs (issue 20; docs/operations.md) -----------------

/// How the service reports on itself and sends mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationsSettings {
    /// `MAIL_CONFIGURATION_SET`: the SES configuration set every mail names (DKIM domain,
    /// bounce and complaint notifications, per-kind metrics); empty: none (local emulator).
    pub mail_configuration_set: Option<String>,
    /// `METRICS_NAMESPACE` (default `Accounts`): the CloudWatch namespace of the embedded-metric
    /// lines (sign-ups, sign-ins, failures, lockouts, mail, purge runs).
    pub metrics_namespace: String,
    /// `LOG_FORMAT`: `json` (the default: one JSON object a line, with the request id and the
    /// function) or `text` (easier on a terminal; `make dev`).
    pub log_format: LogFormat,
    /// `AWS_LAMBDA_FUNCTION_NAME` (set by Lambda and by `cargo lambda`): named on every log line.
    pub function_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

impl Default for OperationsSettings {
    fn default() -> Self {
        Self { mail_configuration_set: None, metrics_namespace: "Accounts".into(), log_format: LogFormat::Json, function_name: None }
    }
}

impl OperationsSettings {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>, problems: &mut Vec<String>) -> Self {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        // SES: 1-64 letters, digits, `_` and `-`. CloudWatch namespaces: up to 255 of these and `./#:`.
        let mail_configuration_set = get("MAIL_CONFIGURATION_SET");
        if mail_configuration_set
            .as_ref()
            .is_some_and(|v| v.len() > 64 || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        {
            problems.push("MAIL_CONFIGURATION_SET must be an SES configuration set name (letters, digits, _ and -, at most 64)".into());
        }
        let metrics_namespace = get("METRICS_NAMESPACE").unwrap_or_else(|| "Accounts".into());
        let namespace_ok = metrics_namespace.len() <= 255
            && !metrics_namespace.starts_with("AWS/")
            && metrics_namespace.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/#: ".contains(&b));
        if !namespace_ok {
            problems.push("METRICS_NAMESPACE must be a CloudWatch namespace (not AWS/...)".into());
        }
        let log_format = match get("LOG_FORMAT").as_deref().unwrap_or("json") {
            "json" => LogFormat::Json,
            "text" => LogFormat::Text,
            _ => {
                problems.push("LOG_FORMAT must be json or text".into());
                LogFormat::Json
            }
        };
        Self { mail_configuration_set, metrics_namespace, log_format, function_name: get("AWS_LAMBDA_FUNCTION_NAME") }
    }
}
