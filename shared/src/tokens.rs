//! Credentials the service issues:
//! - access JWTs, **RS256** with the signing key's RFC 7638 thumbprint as `kid`: built here
//!   ([`AccessTokens::signing_input`]), signed by KMS (the `kms` adapter; the private key never
//!   leaves it) and verified here with a public key only (`iss`/`aud`/`exp`/`sub` required, RS256
//!   pinned, expiry against the injected clock);
//! - purpose tokens (the MFA step of a login): HS256 under a key only the auth function holds,
//!   so no JWKS verifier can ever take one for an access token;
//! - opaque random tokens stored only as SHA-256, and constant-time comparison.

use crate::domain::{Role, SessionId, SigningKey, UserId};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::RwLock;
use std::time::Instant;
use subtle::ConstantTimeEq;

pub use crate::domain::{ACCESS_TOKEN_TTL_SECS, KeyRing, REFRESH_TOKEN_TTL_SECS};

const ACCESS_ALGORITHM: Algorithm = Algorithm::RS256;
const PURPOSE_ALGORITHM: Algorithm = Algorithm::HS256;
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

/// Why a token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenRejection {
    Expired,
    Invalid,
}

fn validation(algorithm: Algorithm, issuer: &str, audience: &str) -> Validation {
    let mut v = Validation::new(algorithm);
    // One algorithm only: an HS256 token "signed" with a public key, or `alg: none`, is refused.
    v.algorithms = vec![algorithm];
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v.set_issuer(&[issuer]);
    v.set_audience(&[audience]);
    // Expiry is checked against the injected clock (see `verify`).
    v.validate_exp = false;
    v.leeway = 0;
    v
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Builds and checks RS256 access tokens for one issuer and audience. Holds no key: signing
/// happens in KMS, verification takes the published key the token names.
#[derive(Debug)]
pub struct AccessTokens {
    issuer: String,
    audience: String,
    validation: Validation,
}

impl AccessTokens {
    pub fn new(issuer: &str, audience: &str) -> Self {
        Self { issuer: issuer.to_owned(), audience: audience.to_owned(), validation: validation(ACCESS_ALGORITHM, issuer, audience) }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The claims of a new access token for a session.
    pub fn claims(&self, user: &UserId, session: &SessionId, role: Role, now: i64) -> AccessClaims {
        AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user.to_string(),
            sid: session.to_string(),
            role: role.as_str().to_owned(),
            exp: now + ACCESS_TOKEN_TTL_SECS,
            iat: now,
            jti: random_token(16),
            typ: ACCESS_TYPE.to_owned(),
        }
    }

    /// `base64url(header).base64url(claims)`: what the key signs (RSASSA-PKCS1-v1_5 SHA-256).
    pub fn signing_input(claims: &AccessClaims, kid: &str) -> anyhow::Result<String> {
        let mut header = Header::new(ACCESS_ALGORITHM);
        header.kid = Some(kid.to_owned());
        Ok(format!("{}.{}", b64(&serde_json::to_vec(&header)?), b64(&serde_json::to_vec(claims)?)))
    }

    /// The token: the signing input and its signature.
    pub fn assemble(signing_input: &str, signature: &[u8]) -> String {
        format!("{signing_input}.{}", b64(signature))
    }

    /// The `kid` an RS256 token names, read without trusting anything else in it.
    pub fn kid(token: &str) -> Option<String> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        (header.alg == ACCESS_ALGORITHM).then_some(header.kid).flatten()
    }

    /// Checks a token against the published key it names: signature, issuer, audience, type
    /// and expiry.
    pub fn verify(&self, token: &str, key: &SigningKey, now: i64) -> Result<AccessClaims, TokenRejection> {
        if Self::kid(token).as_deref() != Some(key.kid.as_str()) {
            return Err(TokenRejection::Invalid);
        }
        let decoding = DecodingKey::from_rsa_components(&key.n, &key.e).map_err(|_| TokenRejection::Invalid)?;
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenRejection::Expired,
                _ => TokenRejection::Invalid,
            })?
            .claims;
        if claims.typ != ACCESS_TYPE {
            return Err(TokenRejection::Invalid);
        }
        if claims.exp <= now {
            return Err(TokenRejection::Expired);
        }
        Ok(claims)
    }
}

/// The signing-key ring as one instance last read it. Verifiers keep it for the life of the
/// instance and read it again only for an unknown `kid` (at most once per
/// [`KeyCache::UNKNOWN_KID_REFRESH`]); issuers read it again when it is older than
/// [`crate::domain::ISSUER_RING_MAX_AGE_SECS`]. The logic is in `services::signing`.
#[derive(Debug, Default)]
pub struct KeyCache {
    pub(crate) ring: RwLock<Option<CachedRing>>,
    /// Serialises reads of the ring, and remembers the last one made for an unknown `kid`.
    pub(crate) refresh: tokio::sync::Mutex<Option<Instant>>,
}

#[derive(Debug, Clone)]
pub struct CachedRing {
    pub ring: std::sync::Arc<KeyRing>,
    /// When it was read, by the monotonic clock and by the app's clock.
    pub read_at: Instant,
    pub read_at_app: i64,
}

impl KeyCache {
    /// However many unknown `kid`s arrive, the ring is read again at most this often.
    pub const UNKNOWN_KID_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);

    pub fn get(&self) -> Option<CachedRing> {
        self.ring.read().ok().and_then(|g| g.clone())
    }

    pub fn put(&self, ring: KeyRing, now_app: i64) -> std::sync::Arc<KeyRing> {
        let ring = std::sync::Arc::new(ring);
        if let Ok(mut g) = self.ring.write() {
            *g = Some(CachedRing { ring: ring.clone(), read_at: Instant::now(), read_at_app: now_app });
        }
        ring
    }
}

/// Signs and checks purpose tokens (HS256, pinned) under a key derived for that use alone.
pub struct PurposeTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    kid: String,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for PurposeTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PurposeTokens").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl PurposeTokens {
    /// `key_id` names the key (it goes into the `kid` header); `key` is 32 secret bytes.
    pub fn new(key_id: &str, key: &[u8; 32], issuer: &str, audience: &str) -> Self {
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation: validation(PURPOSE_ALGORITHM, issuer, audience),
            kid: key_id.to_owned(),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    /// A token for one purpose (`typ`), valid `ttl` seconds.
    pub fn issue(&self, subject: &str, typ: &str, ttl: i64, now: i64) -> anyhow::Result<String> {
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
        let mut header = Header::new(PURPOSE_ALGORITHM);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, &claims, &self.encoding)?)
    }

    /// Checks a purpose token: signature, issuer, audience, purpose and expiry.
    pub fn verify(&self, token: &str, typ: &str, now: i64) -> Result<PurposeClaims, TokenRejection> {
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
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
    use time::OffsetDateTime;

    /// A real RSA key standing in for KMS: signs exactly what KMS would (PKCS#1 v1.5, SHA-256).
    struct TestKey {
        pair: aws_lc_rs::rsa::KeyPair,
        public: SigningKey,
    }

    impl TestKey {
        fn new() -> Self {
            let pair = aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa2048).unwrap();
            let pk = pair.public_key();
            let public = SigningKey::new(
                "arn:test".into(),
                pk.modulus().big_endian_without_leading_zero(),
                pk.exponent().big_endian_without_leading_zero(),
                0,
                0,
            );
            Self { pair, public }
        }

        fn sign(&self, input: &str) -> String {
            let mut sig = vec![0; self.pair.public_modulus_len()];
            self.pair.sign(&RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), input.as_bytes(), &mut sig).unwrap();
            AccessTokens::assemble(input, &sig)
        }

        fn issue(&self, tokens: &AccessTokens, now: i64) -> (String, AccessClaims) {
            let (u, sid) = ids();
            let claims = tokens.claims(&u, &sid, Role::User, now);
            (self.sign(&AccessTokens::signing_input(&claims, &self.public.kid).unwrap()), claims)
        }
    }

    fn ids() -> (UserId, SessionId) {
        let now = OffsetDateTime::now_utc();
        (UserId::generate(now), SessionId::generate(now))
    }

    fn encode_part(json: &str) -> String {
        b64(json.as_bytes())
    }

    #[test]
    fn an_issued_token_verifies_with_the_public_key_until_it_expires() {
        let key = TestKey::new();
        let t = AccessTokens::new("iss", "aud");
        let (token, claims) = key.issue(&t, 1_000);
        assert_eq!(AccessTokens::kid(&token).as_deref(), Some(key.public.kid.as_str()));
        assert_eq!(t.verify(&token, &key.public, 1_000).unwrap(), claims);
        assert_eq!(claims.exp, 1_000 + ACCESS_TOKEN_TTL_SECS);
        assert_eq!(t.verify(&token, &key.public, 1_000 + ACCESS_TOKEN_TTL_SECS), Err(TokenRejection::Expired));
    }

    #[test]
    fn a_token_of_another_key_issuer_or_audience_is_invalid() {
        let (key, other) = (TestKey::new(), TestKey::new());
        let t = AccessTokens::new("iss", "aud");
        let (token, _) = key.issue(&t, 1_000);
        // The other key under the same kid (a forged header) does not verify the signature.
        let impostor = SigningKey { kid: key.public.kid.clone(), ..other.public.clone() };
        assert_eq!(t.verify(&token, &impostor, 1_000), Err(TokenRejection::Invalid));
        assert_eq!(t.verify(&token, &other.public, 1_000), Err(TokenRejection::Invalid));
        assert_eq!(AccessTokens::new("evil", "aud").verify(&token, &key.public, 1_000), Err(TokenRejection::Invalid));
        assert_eq!(AccessTokens::new("iss", "evil").verify(&token, &key.public, 1_000), Err(TokenRejection::Invalid));
    }

    #[test]
    fn hs256_and_unsigned_tokens_are_invalid_even_when_keyed_with_the_public_key() {
        let key = TestKey::new();
        let t = AccessTokens::new("iss", "aud");
        let (token, claims) = key.issue(&t, 1_000);
        let payload = token.split('.').nth(1).unwrap();
        // The classic algorithm confusion: HMAC keyed with the (public) modulus.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(key.public.kid.clone());
        let hs = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(key.public.n.as_bytes())).unwrap();
        assert_eq!(t.verify(&hs, &key.public, 1_000), Err(TokenRejection::Invalid));
        let none = encode_part(&format!(r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#, key.public.kid));
        assert_eq!(t.verify(&format!("{none}.{payload}."), &key.public, 1_000), Err(TokenRejection::Invalid));
        assert_eq!(AccessTokens::kid(&hs), None);
    }

    #[test]
    fn a_tampered_payload_or_a_missing_claim_is_invalid() {
        let key = TestKey::new();
        let t = AccessTokens::new("iss", "aud");
        let (token, _) = key.issue(&t, 1_000);
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let claims = String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        parts[1] = encode_part(&claims.replace("\"user\"", "\"admin\""));
        assert_eq!(t.verify(&parts.join("."), &key.public, 1_000), Err(TokenRejection::Invalid));

        let header = encode_part(&format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{}"}}"#, key.public.kid));
        let no_iss = key.sign(&format!("{header}.{}", encode_part(r#"{"aud":"aud","sub":"usr","exp":9999999999}"#)));
        assert_eq!(t.verify(&no_iss, &key.public, 1_000), Err(TokenRejection::Invalid));
        assert_eq!(t.verify("not a token", &key.public, 1_000), Err(TokenRejection::Invalid));
    }

    #[test]
    fn a_purpose_token_is_never_an_access_token_and_vice_versa() {
        let p = PurposeTokens::new("k1", &[7; 32], "iss", "aud");
        let key = TestKey::new();
        let t = AccessTokens::new("iss", "aud");
        let (u, _) = ids();
        let mfa = p.issue(u.as_str(), "mfa", 300, 1_000).unwrap();
        assert_eq!(t.verify(&mfa, &key.public, 1_000), Err(TokenRejection::Invalid));
        assert_eq!(AccessTokens::kid(&mfa), None);
        assert_eq!(p.verify(&mfa, "mfa", 1_000).unwrap().sub, u.as_str());
        assert_eq!(p.verify(&mfa, "other", 1_000), Err(TokenRejection::Invalid));
        assert_eq!(p.verify(&mfa, "mfa", 1_300), Err(TokenRejection::Expired));
        assert_eq!(PurposeTokens::new("k1", &[8; 32], "iss", "aud").verify(&mfa, "mfa", 1_000), Err(TokenRejection::Invalid));
        let (access, _) = key.issue(&t, 1_000);
        assert_eq!(p.verify(&access, "mfa", 1_000), Err(TokenRejection::Invalid));
        assert!(p.issue("x", "access", 1, 0).is_err());
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
