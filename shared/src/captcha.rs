//! Captchas. The built-in one (seed 002, for local and offline use): a distorted 5-character
//! text rendered to PNG by the `captcha` crate; only the answer's keyed hash is stored and the
//! answer is compared case-insensitively. Distorted text excludes people who cannot read it
//! (W3C, "Inaccessibility of CAPTCHA"), so a deployment can instead name a provider
//! (`CAPTCHA_PROVIDER=turnstile|hcaptcha`): the browser solves the provider's widget and sends
//! its token, which [`ProviderVerifier`] checks server-side with the provider's siteverify
//! endpoint (`secret`, `response`, `remoteip`, form-encoded; JSON `{success, error-codes}`).

use crate::outbound::{OutboundClient, OutboundError};
use base64::Engine as _;
use std::time::Duration;

/// A third-party captcha (the port: each is a siteverify endpoint speaking the same protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Turnstile,
    HCaptcha,
}

impl Provider {
    /// The documented siteverify endpoint.
    pub fn default_verify_url(self) -> &'static str {
        match self {
            Self::Turnstile => "https://challenges.cloudflare.com/turnstile/v0/siteverify",
            Self::HCaptcha => "https://api.hcaptcha.com/siteverify",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Turnstile => "turnstile",
            Self::HCaptcha => "hcaptcha",
        }
    }
}

/// Tokens longer than this are refused without a call (Turnstile's are at most 2048 characters).
pub const MAX_TOKEN_LEN: usize = 4096;

/// What the provider said about one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// Refused, with the provider's `error-codes` (`invalid-input-response`, `timeout-or-duplicate`, …).
    Failed(Vec<String>),
    /// No usable answer in time: the caller refuses the request (never lets it through).
    Unavailable(String),
}

/// Server-side verification of a provider's tokens.
#[derive(Debug, Clone)]
pub struct ProviderVerifier {
    provider: Provider,
    client: OutboundClient,
    secret: crate::domain::Secret,
    verify_url: String,
    timeout: Duration,
}

/// Reads a siteverify answer.
pub fn parse_siteverify(body: &[u8]) -> Result<Verdict, String> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|_| "the answer is not JSON".to_owned())?;
    let codes: Vec<String> = v
        .get("error-codes")
        .and_then(|c| c.as_array())
        .map(|c| c.iter().filter_map(|x| x.as_str()).map(str::to_owned).collect())
        .unwrap_or_default();
    match v.get("success").and_then(serde_json::Value::as_bool) {
        Some(true) => Ok(Verdict::Passed),
        Some(false) => Ok(Verdict::Failed(codes)),
        None => Err("the answer has no boolean success".to_owned()),
    }
}

impl ProviderVerifier {
    pub fn new(
        provider: Provider,
        client: OutboundClient,
        secret: crate::domain::Secret,
        verify_url: Option<&str>,
        timeout_ms: u64,
    ) -> Self {
        let verify_url = verify_url.unwrap_or(provider.default_verify_url()).to_owned();
        Self { provider, client, secret, verify_url, timeout: Duration::from_millis(timeout_ms) }
    }

    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Checks `token` (the widget's response) for a client at `remote_ip`.
    pub async fn verify(&self, token: &str, remote_ip: &str) -> Verdict {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Verdict::Failed(vec!["invalid-input-response".into()]);
        }
        let mut form = vec![("secret", self.secret.expose()), ("response", token)];
        if remote_ip.parse::<std::net::IpAddr>().is_ok() {
            form.push(("remoteip", remote_ip));
        }
        match self.client.post_form(&self.verify_url, &form, self.timeout).await {
            Ok(r) if r.status == 200 => parse_siteverify(&r.body).unwrap_or_else(Verdict::Unavailable),
            Ok(r) => Verdict::Unavailable(format!("siteverify answered {}", r.status)),
            Err(OutboundError::Timeout(ms)) => Verdict::Unavailable(format!("siteverify gave no answer within {ms} ms")),
            Err(OutboundError::Failed(e)) => Verdict::Unavailable(e),
        }
    }
}

/// Characters that cannot be confused with one another (no 0/O, 1/l/I, 5/S, …).
const ALPHABET: &[char] =
    &['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'k', 'm', 'n', 'p', 'r', 't', 'w', 'x', 'y', '2', '3', '4', '6', '7', '8', '9'];

pub struct CaptchaImage {
    pub answer: String,
    /// `data:image/png;base64,…`
    pub data_url: String,
}

pub fn generate() -> anyhow::Result<CaptchaImage> {
    let mut c = captcha::Captcha::new();
    c.set_chars(ALPHABET)
        .add_chars(5)
        .apply_filter(captcha::filters::Noise::new(0.2))
        .apply_filter(captcha::filters::Wave::new(2.0, 12.0))
        .view(200, 70);
    let png = c.as_png().ok_or_else(|| anyhow::anyhow!("captcha PNG encoding failed"))?;
    Ok(CaptchaImage {
        answer: c.chars_as_string().to_lowercase(),
        data_url: format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png)),
    })
}

/// The form an answer is compared in.
pub fn normalise_answer(raw: &str) -> String {
    raw.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_captcha_is_a_png_data_url_with_a_five_character_answer() {
        let c = generate().unwrap();
        assert_eq!(c.answer.chars().count(), 5);
        assert!(c.answer.chars().all(|ch| ALPHABET.contains(&ch)));
        let b64 = c.data_url.strip_prefix("data:image/png;base64,").unwrap();
        let png = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn siteverify_answers_are_read_as_documented() {
        assert_eq!(parse_siteverify(br#"{"success": true, "error-codes": [], "hostname": "example.com"}"#), Ok(Verdict::Passed));
        assert_eq!(
            parse_siteverify(br#"{"success": false, "error-codes": ["invalid-input-response", "timeout-or-duplicate"]}"#),
            Ok(Verdict::Failed(vec!["invalid-input-response".into(), "timeout-or-duplicate".into()]))
        );
        assert_eq!(parse_siteverify(br#"{"success": false}"#), Ok(Verdict::Failed(vec![])));
        for bad in [&b"<html>"[..], br#"{"success": "true"}"#, br#"{}"#, b""] {
            assert!(parse_siteverify(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn answers_compare_case_insensitively() {
        assert_eq!(normalise_answer(" AbC12 "), "abc12");
    }
}
