//! The `events` function's settings, read once at start (the HTTP functions need none of them:
//! they only write the outbox). A missing or malformed one stops the function with a message
//! naming it, like `accounts_core::config::Config`.

/// `EVENT_BUS_NAME`, `EVENT_SOURCE`, `AWS_ENDPOINT_URL`, `LOG_LEVEL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsConfig {
    /// The bus events are put on (a name or an ARN).
    pub bus_name: String,
    /// The `Source` of every event (default `accounts`).
    pub source: String,
    /// A local emulator (moto), never set in AWS.
    pub endpoint_url: Option<String>,
    pub log_level: String,
    /// `AWS_LAMBDA_FUNCTION_NAME` (set by Lambda; `events` otherwise): named on every log line.
    pub function_name: String,
}

/// Every problem found, each naming its variable.
#[derive(Debug, PartialEq, Eq)]
pub struct EventsConfigError(pub Vec<String>);

impl std::fmt::Display for EventsConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid configuration: {}", self.0.join("; "))
    }
}

impl std::error::Error for EventsConfigError {}

/// EventBridge's rule for a bus name or ARN and a source: 1–256 of letters, digits and `._-/`
/// (and `:` in an ARN).
fn well_formed(value: &str, extra: &[char]) -> bool {
    (1..=256).contains(&value.len()) && value.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c) || extra.contains(&c))
}

impl EventsConfig {
    pub fn from_env() -> Result<Self, EventsConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, EventsConfigError> {
        let value = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mut problems = Vec::new();
        let bus_name = value("EVENT_BUS_NAME").unwrap_or_default();
        if bus_name.is_empty() {
            problems.push("EVENT_BUS_NAME is required".to_owned());
        } else if !well_formed(&bus_name, &[':']) {
            problems.push("EVENT_BUS_NAME must be a bus name or ARN (1-256 of letters, digits, . _ - / :)".to_owned());
        }
        let source = value("EVENT_SOURCE").unwrap_or_else(|| "accounts".to_owned());
        if !well_formed(&source, &[]) || source.starts_with("aws.") {
            problems.push("EVENT_SOURCE must be 1-256 of letters, digits, . _ - / and not start with aws.".to_owned());
        }
        let log_level = value("LOG_LEVEL").unwrap_or_else(|| "info".to_owned());
        if !matches!(log_level.as_str(), "error" | "warn" | "info" | "debug" | "trace") {
            problems.push("LOG_LEVEL must be one of error, warn, info, debug, trace".to_owned());
        }
        if !problems.is_empty() {
            return Err(EventsConfigError(problems));
        }
        let function_name = value("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| "events".to_owned());
        Ok(Self { bus_name, source, endpoint_url: value("AWS_ENDPOINT_URL"), log_level, function_name })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn the_bus_is_required_and_the_source_defaults_to_accounts() {
        let err = EventsConfig::from_lookup(env(&[])).unwrap_err().to_string();
        assert!(err.contains("EVENT_BUS_NAME is required"), "{err}");
        let config = EventsConfig::from_lookup(env(&[("EVENT_BUS_NAME", "accounts-events")])).unwrap();
        assert_eq!(config.source, "accounts");
        assert_eq!(config.bus_name, "accounts-events");
        assert_eq!(config.endpoint_url, None);
        let arn = "arn:aws:events:eu-west-1:123456789012:event-bus/accounts";
        assert_eq!(EventsConfig::from_lookup(env(&[("EVENT_BUS_NAME", arn)])).unwrap().bus_name, arn);
    }

    #[test]
    fn malformed_settings_are_named() {
        let err =
            EventsConfig::from_lookup(env(&[("EVENT_BUS_NAME", "has space"), ("EVENT_SOURCE", "aws.accounts"), ("LOG_LEVEL", "loud")]))
                .unwrap_err()
                .to_string();
        for name in ["EVENT_BUS_NAME", "EVENT_SOURCE", "LOG_LEVEL"] {
            assert!(err.contains(name), "{name} missing from {err}");
        }
    }
}
