//! Credentials the service issues: access JWTs (HS256 pinned, `kid` header, `iss`/`aud`/`exp`/`sub`
//! required, expiry checked against the injected clock), opaque random tokens stored only as
//! SHA-256, short numeric codes stored as keyed hashes, and constant-time comparison.

use crate::domain::{Role, Secret, SessionId, UserId};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Access tokens live 15 minutes (SPEC §3.1: ≤ 15 min).
pub const ACCESS_TOKEN_TTL_SECS: i64 = 15 * 60;
/// Refresh tokens live 30 days.
pub const REFRESH_TOKEN_TTL_SECS: i64 = 30 * 24 * 3600;

const ALGORITHM: Algorithm = Algorithm::HS256;
const ACCESS_TYPE: &str = "access";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub sid: String,
    pub role: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// Purpose of the token, so a token minted for another step is never an access token.
    pub typ: String,
}

/// A short-lived single-purpose token (e.g. the MFA step of a login): not an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PurposeClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub typ: String,
}

/// Why an access token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenRejection {
    Expired,
    Invalid,
}

/// Signs and checks access tokens and derives keyed hashes for codes.
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    kid: String,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl TokenService {
    pub fn new(secret: &Secret, issuer: &str, audience: &str) -> Self {
        let key = secret.expose().as_bytes();
        let mut validation = Validation::new(ALGORITHM);
        validation.algorithms = vec![ALGORITHM];
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        // Expiry is checked against the injected clock (see `verify_access`).
        validation.validate_exp = false;
        validation.leeway = 0;
        // The key id names the key without revealing it, so keys can rotate.
        let kid = hex(&Sha256::digest([b"kid:".as_slice(), key].concat()))[..16].to_owned();
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
            kid,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    /// A signed access token for a session, and its lifetime in seconds.
    pub fn issue_access(&self, user: &UserId, session: &SessionId, role: Role, now: i64) -> anyhow::Result<(String, i64)> {
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user.to_string(),
            sid: session.to_string(),
            role: role.as_str().to_owned(),
            exp: now + ACCESS_TOKEN_TTL_SECS,
            iat: now,
            jti: random_token(16),
            typ: ACCESS_TYPE.to_owned(),
        };
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(self.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)?;
        Ok((token, ACCESS_TOKEN_TTL_SECS))
    }

    pub fn verify_access(&self, token: &str, now: i64) -> Result<AccessClaims, TokenRejection> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenRejection::Invalid)?;
        if header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(TokenRejection::Invalid);
        }
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => TokenRejection::Expired,
            _ => TokenRejection::Invalid,
        })?;
        let claims = data.claims;
        if claims.typ != ACCESS_TYPE {
            return Err(TokenRejection::Invalid);
        }
        if claims.exp <= now {
            return Err(TokenRejection::Expired);
        }
        Ok(claims)
    }

    /// A token for one purpose (`typ`), valid `ttl` seconds.
    pub fn issue_purpose(&self, subject: &str, typ: &str, ttl: i64, now: i64) -> anyhow::Result<String> {
        anyhow::ensure!(typ != ACCESS_TYPE, "purpose tokens are never access tokens");
        let claims = PurposeClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.to_owned(),
            exp: now + ttl,
            iat: now,
            jti: random_token(16),
            typ: typ.to_owned(),
        };
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, &claims, &self.encoding)?)
    }

    /// Checks a purpose token: signature, issuer, audience, purpose and expiry.
    pub fn verify_purpose(&self, token: &str, typ: &str, now: i64) -> Result<PurposeClaims, TokenRejection> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenRejection::Invalid)?;
        if header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(TokenRejection::Invalid);
        }
        let claims =
            jsonwebtoken::decode::<PurposeClaims>(token, &self.decoding, &self.validation).map_err(|_| TokenRejection::Invalid)?.claims;
        if claims.typ != typ {
            return Err(TokenRejection::Invalid);
        }
        if claims.exp <= now {
            return Err(TokenRejection::Expired);
        }
        Ok(claims)
    }
}

/// `bytes` of OS randomness, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    fill_random(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A uniformly random string of `len` decimal digits.
pub fn random_digits(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut b = [0u8; 1];
        fill_random(&mut b);
        // Rejection sampling: 250..=255 would bias toward low digits.
        if b[0] < 250 {
            out.push(char::from(b'0' + b[0] % 10));
        }
    }
    out
}

fn fill_random(buf: &mut [u8]) {
    // The OS generator failing is not recoverable and not caused by a client.
    #[allow(clippy::expect_used)]
    getrandom::fill(buf).expect("OS random number generator unavailable");
}

/// SHA-256 in lower-case hex: how opaque tokens are stored and looked up.
pub fn sha256_hex(value: &str) -> String {
    hex(&Sha256::digest(value.as_bytes()))
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn service() -> TokenService {
        TokenService::new(&Secret::new("0123456789abcdef0123456789abcdef"), "iss", "aud")
    }

    fn ids() -> (UserId, SessionId) {
        let now = OffsetDateTime::now_utc();
        (UserId::generate(now), SessionId::generate(now))
    }

    #[test]
    fn an_issued_token_verifies_until_it_expires() {
        let s = service();
        let (u, sid) = ids();
        let (token, ttl) = s.issue_access(&u, &sid, Role::User, 1_000).unwrap();
        assert_eq!(ttl, 900);
        let claims = s.verify_access(&token, 1_000).unwrap();
        assert_eq!(claims.sub, u.to_string());
        assert_eq!(claims.sid, sid.to_string());
        assert_eq!(s.verify_access(&token, 1_900), Err(TokenRejection::Expired));
    }

    #[test]
    fn a_token_from_another_key_issuer_or_audience_is_invalid() {
        let (u, sid) = ids();
        let (token, _) = service().issue_access(&u, &sid, Role::User, 1_000).unwrap();
        let other_key = TokenService::new(&Secret::new("another-key-another-key-another-key"), "iss", "aud");
        assert_eq!(other_key.verify_access(&token, 1_000), Err(TokenRejection::Invalid));
        let other_iss = TokenService::new(&Secret::new("0123456789abcdef0123456789abcdef"), "evil", "aud");
        assert_eq!(other_iss.verify_access(&token, 1_000), Err(TokenRejection::Invalid));
        let other_aud = TokenService::new(&Secret::new("0123456789abcdef0123456789abcdef"), "iss", "evil");
        assert_eq!(other_aud.verify_access(&token, 1_000), Err(TokenRejection::Invalid));
    }

    #[test]
    fn an_unsigned_alg_none_token_is_invalid() {
        let s = service();
        let (u, sid) = ids();
        let (token, _) = s.issue_access(&u, &sid, Role::Admin, 1_000).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#, s.kid));
        assert_eq!(s.verify_access(&format!("{header}.{payload}."), 1_000), Err(TokenRejection::Invalid));
    }

    #[test]
    fn a_tampered_payload_is_invalid() {
        let s = service();
        let (u, sid) = ids();
        let (token, _) = s.issue_access(&u, &sid, Role::User, 1_000).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let claims = String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.replace("\"user\"", "\"admin\""));
        assert_eq!(s.verify_access(&parts.join("."), 1_000), Err(TokenRejection::Invalid));
    }

    #[test]
    fn a_token_missing_a_required_claim_is_invalid() {
        let s = service();
        #[derive(Serialize)]
        struct NoIss {
            aud: String,
            sub: String,
            exp: i64,
        }
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(s.kid.clone());
        let token =
            jsonwebtoken::encode(&header, &NoIss { aud: "aud".into(), sub: "usr".into(), exp: 9_999_999_999 }, &s.encoding).unwrap();
        assert_eq!(s.verify_access(&token, 1_000), Err(TokenRejection::Invalid));
    }

    #[test]
    fn a_purpose_token_is_never_an_access_token_and_vice_versa() {
        let s = service();
        let (u, sid) = ids();
        let mfa = s.issue_purpose(u.as_str(), "mfa", 300, 1_000).unwrap();
        assert_eq!(s.verify_access(&mfa, 1_000), Err(TokenRejection::Invalid));
        assert_eq!(s.verify_purpose(&mfa, "mfa", 1_000).unwrap().sub, u.as_str());
        assert_eq!(s.verify_purpose(&mfa, "other", 1_000), Err(TokenRejection::Invalid));
        assert_eq!(s.verify_purpose(&mfa, "mfa", 1_300), Err(TokenRejection::Expired));
        let (access, _) = s.issue_access(&u, &sid, Role::User, 1_000).unwrap();
        assert_eq!(s.verify_purpose(&access, "mfa", 1_000), Err(TokenRejection::Invalid));
        assert!(s.issue_purpose("x", "access", 1, 0).is_err());
    }

    #[test]
    fn random_tokens_carry_256_bits_and_differ() {
        let a = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32));
    }

    #[test]
    fn random_digits_have_the_asked_length() {
        let code = random_digits(6);
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
