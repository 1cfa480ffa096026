//! The Pwned Passwords range API (haveibeenpwned.com), k-anonymity model: the password's SHA-1
//! is computed here, only its first 5 hex digits are sent (`GET <range_url><PREFIX>`), and the
//! answer (`SUFFIX:COUNT` lines, 35 hex digits each) is searched locally for the other 35.
//! `Add-Padding: true` makes the service pad every answer with zero-count suffixes, so the
//! answer's size does not tell an observer which prefix was asked. Nothing here logs the
//! password, its hash or the prefix.

use crate::outbound::{OutboundClient, OutboundError};
use std::time::Duration;

/// What the range API said about one password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screening {
    /// Seen in this many breaches' worth of passwords.
    Breached(u64),
    NotFound,
    /// No usable answer in time (timeout, connection error, a non-200, a malformed body).
    Unavailable(String),
}

/// The range client.
#[derive(Debug, Clone)]
pub struct BreachedPasswords {
    client: OutboundClient,
    range_url: String,
    timeout: Duration,
}

/// The upper-case hex SHA-1 of `password`, split into the 5-digit prefix that is sent and the
/// 35-digit suffix that never leaves.
pub fn sha1_prefix_and_suffix(password: &str) -> (String, String) {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, password.as_bytes());
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    let (prefix, suffix) = hex.split_at(5);
    (prefix.to_owned(), suffix.to_owned())
}

/// Finds `suffix` in a range answer. Padding lines (count 0) are not breaches. A body that is
/// not the documented format is `Err`.
pub fn count_in_range(body: &str, suffix: &str) -> Result<u64, String> {
    for line in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((s, count)) = line.split_once(':') else { return Err("a line without SUFFIX:COUNT".into()) };
        if s.len() != 35 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("a suffix that is not 35 hex digits".into());
        }
        let count: u64 = count.trim().parse().map_err(|_| "a count that is not a number".to_owned())?;
        if s.eq_ignore_ascii_case(suffix) {
            return Ok(count);
        }
    }
    Ok(0)
}

impl BreachedPasswords {
    /// `range_url` is the base the prefix is appended to (`https://api.pwnedpasswords.com/range/`).
    pub fn new(client: OutboundClient, range_url: &str, timeout_ms: u64) -> Self {
        let range_url = if range_url.ends_with('/') { range_url.to_owned() } else { format!("{range_url}/") };
        Self { client, range_url, timeout: Duration::from_millis(timeout_ms) }
    }

    /// Screens one password.
    pub async fn screen(&self, password: &str) -> Screening {
        let (prefix, suffix) = sha1_prefix_and_suffix(password);
        let url = format!("{}{prefix}", self.range_url);
        let headers = [("add-padding", "true"), ("user-agent", "accounts-breached-password-check")];
        match self.client.get(&url, &headers, self.timeout).await {
            Ok(r) if r.status == 200 => match count_in_range(&String::from_utf8_lossy(&r.body), &suffix) {
                Ok(0) => Screening::NotFound,
                Ok(n) => Screening::Breached(n),
                Err(e) => Screening::Unavailable(format!("malformed range answer: {e}")),
            },
            Ok(r) => Screening::Unavailable(format!("range API answered {}", r.status)),
            Err(OutboundError::Timeout(ms)) => Screening::Unavailable(format!("range API gave no answer within {ms} ms")),
            Err(OutboundError::Failed(e)) => Screening::Unavailable(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_five_digit_prefix_of_the_sha1_is_sent() {
        // SHA-1("password") = 5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8 (the API's own example).
        let (prefix, suffix) = sha1_prefix_and_suffix("password");
        assert_eq!(prefix, "5BAA6");
        assert_eq!(suffix, "1E4C9B93F3F0682250B6CF8331B7EE68FD8");
    }

    #[test]
    fn the_count_of_the_suffix_is_found_and_padding_is_not_a_breach() {
        let body = "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n1E4C9B93F3F0682250B6CF8331B7EE68FD8:9659365\r\n\
                    00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0\r\n";
        assert_eq!(count_in_range(body, "1E4C9B93F3F0682250B6CF8331B7EE68FD8"), Ok(9_659_365));
        assert_eq!(count_in_range(body, "1e4c9b93f3f0682250b6cf8331b7ee68fd8"), Ok(9_659_365), "case-insensitive");
        assert_eq!(count_in_range(body, "00D4F6E8FA6EECAD2A3AA415EEC418D38EC"), Ok(0), "padding");
        assert_eq!(count_in_range(body, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"), Ok(0));
        assert_eq!(count_in_range("", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"), Ok(0));
    }

    #[test]
    fn a_body_that_is_not_the_range_format_is_an_error_not_a_pass() {
        for bad in ["<html>busy</html>", "1E4C9B93F3F0682250B6CF8331B7EE68FD8", "XYZ:1", "1E4C9B93F3F0682250B6CF8331B7EE68FD8:many"] {
            assert!(count_in_range(bad, "1E4C9B93F3F0682250B6CF8331B7EE68FD8").is_err(), "{bad}");
        }
    }
}
