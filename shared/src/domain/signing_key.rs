//! The signing-key ring: the RS256 keys access tokens are signed with, and which of them signs,
//! which verifiers accept and which the JWKS publishes at a given time (SPEC §3.1 "Signing keys").
//!
//! A key's role follows from times alone, so every function agrees without being told:
//! - **next**: `signs_from` is in the future. Published (so API Gateway's JWT authorizer, which
//!   caches a JWKS for 2 h, and every other verifier know it before the first token it signs);
//! - **current**: the latest key whose `signs_from` has passed. Signs every new token;
//! - **previous**: superseded by a later current key less than [`RETAIN_AFTER_SUPERSEDED_SECS`]
//!   ago (its last tokens may still be alive, and cached JWKS documents may still name it);
//! - **expired**: superseded before that. Dropped from the ring by the next rotation step.
//!
//! Pure: no AWS, times are passed in. The private keys live in KMS; the ring holds their ARNs.

use super::ACCESS_TOKEN_TTL_SECS;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long API Gateway's HTTP API JWT authorizer caches a JWKS.
pub const GATEWAY_JWKS_CACHE_SECS: i64 = 2 * 3600;
/// How stale an issuing function's copy of the ring may get before it reads it again.
pub const ISSUER_RING_MAX_AGE_SECS: i64 = 5 * 60;
/// How long a client may cache the JWKS and discovery documents (`Cache-Control: max-age`).
pub const JWKS_MAX_AGE_SECS: i64 = 5 * 60;
/// A new key is published this long before it signs: the gateway's cache time, plus the time
/// the serving function may take to notice the key, plus a client's cache time of the document.
pub const PUBLISH_LEAD_SECS: i64 = GATEWAY_JWKS_CACHE_SECS + ISSUER_RING_MAX_AGE_SECS + JWKS_MAX_AGE_SECS;
/// A superseded key stays published until every token it signed has expired (an issuer may
/// sign with it until it notices the switch), plus the gateway's cache time (SPEC §3.1).
pub const RETAIN_AFTER_SUPERSEDED_SECS: i64 = ISSUER_RING_MAX_AGE_SECS + ACCESS_TOKEN_TTL_SECS + GATEWAY_JWKS_CACHE_SECS;

/// One RS256 key: its public half as JWK members, where its private half lives, and when it
/// starts to sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningKey {
    /// RFC 7638 thumbprint of the public key (base64url SHA-256).
    pub kid: String,
    /// The KMS key (ARN) that holds the private key.
    pub key_ref: String,
    /// Modulus, base64url without padding.
    pub n: String,
    /// Public exponent, base64url without padding.
    pub e: String,
    pub created_at: i64,
    pub signs_from: i64,
}

impl SigningKey {
    /// A key from its public components (big-endian bytes, as KMS's public key gives them).
    pub fn new(key_ref: String, modulus: &[u8], exponent: &[u8], created_at: i64, signs_from: i64) -> Self {
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let (n, e) = (b64(strip_leading_zeros(modulus)), b64(strip_leading_zeros(exponent)));
        Self { kid: thumbprint(&n, &e), key_ref, n, e, created_at, signs_from }
    }
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[first..]
}

/// The RFC 7638 JWK thumbprint of an RSA public key: SHA-256 over the required members in
/// lexicographic order, without whitespace, base64url.
pub fn thumbprint(n: &str, e: &str) -> String {
    // `n` and `e` are base64url (no characters JSON would escape), so the format is exact.
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// Whether `kid` has the shape of a thumbprint (43 base64url characters): anything else is
/// refused without looking any key up.
pub fn plausible_kid(kid: &str) -> bool {
    kid.len() == 43 && kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    Next,
    Current,
    Previous,
    Expired,
}

impl KeyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Current => "current",
            Self::Previous => "previous",
            Self::Expired => "expired",
        }
    }
}

/// The keys, ordered by `signs_from`, and the version the store's conditional write checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRing {
    keys: Vec<SigningKey>,
    pub version: u64,
}

/// Why a rotation step changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotationRefused {
    /// A next key is already published and starts signing at this time.
    AlreadyUnderWay { kid: String, signs_from: i64 },
}

impl KeyRing {
    pub fn new(mut keys: Vec<SigningKey>, version: u64) -> Self {
        keys.sort_by_key(|k| k.signs_from);
        Self { keys, version }
    }

    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The role of the key at `index` at `now`.
    fn role_at(&self, index: usize, now: i64) -> KeyRole {
        let key = &self.keys[index];
        if key.signs_from > now {
            return KeyRole::Next;
        }
        // The first later key that has started signing supersedes this one.
        match self.keys[index + 1..].iter().find(|k| k.signs_from <= now) {
            None => KeyRole::Current,
            Some(later) if now < later.signs_from + RETAIN_AFTER_SUPERSEDED_SECS => KeyRole::Previous,
            Some(_) => KeyRole::Expired,
        }
    }

    /// Every key with its role at `now`.
    pub fn roles(&self, now: i64) -> impl Iterator<Item = (&SigningKey, KeyRole)> {
        (0..self.keys.len()).map(move |i| (&self.keys[i], self.role_at(i, now)))
    }

    /// The key that signs at `now`.
    pub fn current(&self, now: i64) -> Option<&SigningKey> {
        self.roles(now).find(|(_, r)| *r == KeyRole::Current).map(|(k, _)| k)
    }

    /// The keys a verifier accepts and the JWKS publishes at `now`: next, current and previous.
    pub fn published(&self, now: i64) -> impl Iterator<Item = &SigningKey> {
        self.roles(now).filter(|(_, r)| *r != KeyRole::Expired).map(|(k, _)| k)
    }

    /// The published key named `kid`.
    pub fn verifying_key(&self, kid: &str, now: i64) -> Option<&SigningKey> {
        self.published(now).find(|k| k.kid == kid)
    }

    /// The first key of a new ring: it signs at once.
    pub fn first(key: SigningKey) -> Self {
        Self { keys: vec![key], version: 0 }
    }

    /// One rotation step at `now`: expired keys leave the ring (returned, so their KMS keys can
    /// be scheduled for deletion) and `next` joins it, starting to sign
    /// [`PUBLISH_LEAD_SECS`] later. Refused while an earlier next key has not started signing.
    pub fn rotated(&self, mut next: SigningKey, now: i64) -> Result<(KeyRing, Vec<SigningKey>), RotationRefused> {
        if let Some((pending, _)) = self.roles(now).find(|(_, r)| *r == KeyRole::Next) {
            return Err(RotationRefused::AlreadyUnderWay { kid: pending.kid.clone(), signs_from: pending.signs_from });
        }
        next.signs_from = now + PUBLISH_LEAD_SECS;
        let (mut kept, mut removed) = (Vec::new(), Vec::new());
        for (key, role) in self.roles(now) {
            if role == KeyRole::Expired { removed.push(key.clone()) } else { kept.push(key.clone()) }
        }
        kept.push(next);
        Ok((KeyRing { keys: kept, version: self.version }, removed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thumbprint_is_the_one_of_rfc_7638_section_3_1() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3o\
                 knjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQ\
                 vRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(thumbprint(n, "AQAB"), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        assert!(plausible_kid("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
        for bogus in ["", "abc", "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9X$", &"a".repeat(44)] {
            assert!(!plausible_kid(bogus), "{bogus:?}");
        }
    }

    #[test]
    fn a_key_is_built_from_big_endian_components_without_leading_zeros() {
        let k = SigningKey::new("arn:k".into(), &[0, 0, 0xc3, 0x01], &[0, 1, 0, 1], 5, 5);
        assert_eq!((k.n.as_str(), k.e.as_str()), ("wwE", "AQAB"));
        assert_eq!(k.kid, thumbprint("wwE", "AQAB"));
    }

    fn key(name: &str, signs_from: i64) -> SigningKey {
        SigningKey { kid: name.into(), key_ref: format!("arn:{name}"), n: "n".into(), e: "AQAB".into(), created_at: 0, signs_from }
    }

    fn roles(ring: &KeyRing, now: i64) -> Vec<(String, &'static str)> {
        ring.roles(now).map(|(k, r)| (k.kid.clone(), r.as_str())).collect()
    }

    #[test]
    fn a_rotation_publishes_first_then_signs_then_retires_the_old_key() {
        let t0 = 1_000_000;
        let ring = KeyRing::first(key("k1", t0));
        assert_eq!(ring.current(t0).unwrap().kid, "k1");

        let (ring, removed) = ring.rotated(key("k2", 0), t0 + 10).unwrap();
        assert!(removed.is_empty());
        let switch = t0 + 10 + PUBLISH_LEAD_SECS;
        // Published at once, signing only after the lead time (≥ the gateway's 2 h cache).
        const { assert!(PUBLISH_LEAD_SECS >= GATEWAY_JWKS_CACHE_SECS) };
        assert_eq!(roles(&ring, t0 + 10), [("k1".into(), "current"), ("k2".into(), "next")]);
        assert_eq!(ring.current(switch - 1).unwrap().kid, "k1");
        assert!(ring.verifying_key("k2", t0 + 10).is_some());
        assert_eq!(ring.current(switch).unwrap().kid, "k2");
        // The old key verifies until its last token and the gateway's cache have expired.
        assert_eq!(roles(&ring, switch), [("k1".into(), "previous"), ("k2".into(), "current")]);
        let last = switch + RETAIN_AFTER_SUPERSEDED_SECS - 1;
        const { assert!(RETAIN_AFTER_SUPERSEDED_SECS >= ACCESS_TOKEN_TTL_SECS + GATEWAY_JWKS_CACHE_SECS) };
        assert!(ring.verifying_key("k1", last).is_some());
        assert!(ring.verifying_key("k1", last + 1).is_none());
        assert_eq!(ring.published(last + 1).map(|k| k.kid.as_str()).collect::<Vec<_>>(), ["k2"]);
        assert!(ring.verifying_key("unknown", switch).is_none());

        // While a next key waits, another step is refused; later the expired key leaves.
        assert_eq!(ring.rotated(key("k3", 0), switch - 1), Err(RotationRefused::AlreadyUnderWay { kid: "k2".into(), signs_from: switch }));
        let (ring3, removed) = ring.rotated(key("k3", 0), last + 1).unwrap();
        assert_eq!(removed.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), ["k1"]);
        assert_eq!(roles(&ring3, last + 1), [("k2".into(), "current"), ("k3".into(), "next")]);
        // A step soon after the switch keeps the previous key.
        let (ring_soon, removed) = ring.rotated(key("k3", 0), switch + 60).unwrap();
        assert!(removed.is_empty());
        assert_eq!(ring_soon.keys().len(), 3);
    }

    #[test]
    fn an_empty_ring_has_no_key_to_sign_or_verify() {
        let ring = KeyRing::default();
        assert!(ring.current(0).is_none());
        assert!(ring.verifying_key("k", 0).is_none());
        assert_eq!(ring.published(0).count(), 0);
    }
}
