//! Encryption at rest for secrets the service must read back (the TOTP seed): AES-256-GCM from
//! aws-lc-rs (already linked for TLS and JWT), a random 96-bit nonce per message, and associated
//! data that binds a ciphertext to its owner so it cannot be moved to another account. Keys come
//! from a [`KeySet`] (`MFA_SEAL_KEY`): a sealed value names the key that sealed it
//! (`<id>:<base64>`); an unnamed one was sealed before keys had ids and is opened with `v0`.

use crate::secrets::{KeySet, split_versioned};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;

/// The label of the sealing key: `SHA-256("accounts:secret-box:v1:" ‖ material)`, as derived
/// from the signing key before the seal key had keys of its own.
const LABEL: &str = "accounts:secret-box:v1";

pub struct SecretBox {
    /// `(id, key)` of every key of the set, the current one first.
    keys: Vec<(String, LessSafeKey)>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("SecretBox").field("ids", &ids).finish_non_exhaustive()
    }
}

impl SecretBox {
    /// An AES key per key of `keys`, each derived with this box's own label, so other uses of
    /// the same material never share a key with it.
    pub fn new(keys: &KeySet) -> anyhow::Result<Self> {
        let keys = keys
            .derive_all(LABEL)
            .into_iter()
            .map(|(id, derived)| {
                let key = UnboundKey::new(&AES_256_GCM, &derived).map_err(|_| anyhow::anyhow!("invalid AES key"))?;
                Ok((id, LessSafeKey::new(key)))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(!keys.is_empty(), "the seal key set is empty");
        Ok(Self { keys })
    }

    /// `<id>:base64(nonce ‖ ciphertext ‖ tag)`, under the current key.
    pub fn seal(&self, plaintext: &[u8], owner: &str) -> anyhow::Result<String> {
        let (id, key) = self.keys.first().ok_or_else(|| anyhow::anyhow!("no seal key"))?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("random nonce: {e}"))?;
        let mut buf = plaintext.to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(owner.as_bytes()), &mut buf)
            .map_err(|_| anyhow::anyhow!("seal failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(format!("{id}:{}", base64::engine::general_purpose::STANDARD.encode(out)))
    }

    /// The plaintext, or `None` when the value was tampered with, is for another owner, or was
    /// sealed with a key this box does not have (or another key under the same id).
    pub fn open(&self, sealed: &str, owner: &str) -> Option<Vec<u8>> {
        let (id, value) = split_versioned(sealed);
        let (_, key) = self.keys.iter().find(|(k, _)| k == id)?;
        let raw = base64::engine::general_purpose::STANDARD.decode(value).ok()?;
        if raw.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return None;
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = rest.to_vec();
        let plain = key.open_in_place(nonce, Aad::from(owner.as_bytes()), &mut buf).ok()?;
        Some(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "master-key-master-key-master-key";
    const NEW: &str = "another-key-another-key-another-k";
    const NEWER: &str = "a-third-key-a-third-key-a-third-k";

    fn sealer(text: &str) -> SecretBox {
        SecretBox::new(&KeySet::parse(text).unwrap()).unwrap()
    }

    /// Sealed before versioning (`SecretBox::derive(OLD)`), computed independently with Python's
    /// `cryptography`: AES-256-GCM, key `sha256(b"accounts:secret-box:v1:" + OLD)`, nonce
    /// 00..0b, associated data `usr_1`, plaintext `JBSWY3DPEHPK3PXP`.
    const LEGACY_SEALED: &str = "AAECAwQFBgcICQoLI+SNSUNcDKUh5oU0Zg0o01sz1RySaFMS8yzig32tEy8=";

    #[test]
    fn a_value_sealed_before_versioning_opens_under_v0() {
        let b = sealer(&format!("k1:{NEW},v0:{OLD}"));
        assert_eq!(b.open(LEGACY_SEALED, "usr_1").unwrap(), b"JBSWY3DPEHPK3PXP");
        assert_eq!(b.open(&format!("v0:{LEGACY_SEALED}"), "usr_1").unwrap(), b"JBSWY3DPEHPK3PXP");
        assert_eq!(b.open(LEGACY_SEALED, "usr_2"), None);
        assert_eq!(sealer(&format!("k1:{NEW}")).open(LEGACY_SEALED, "usr_1"), None, "without v0 it cannot be opened");
        assert_eq!(sealer(&format!("v0:{NEW}")).open(LEGACY_SEALED, "usr_1"), None, "v0 must be the old key");
    }

    #[test]
    fn a_sealed_value_names_the_current_key_and_opens_only_for_its_owner_and_key() {
        let b = sealer(&format!("k1:{OLD}"));
        let sealed = b.seal(b"JBSWY3DPEHPK3PXP", "usr_1").unwrap();
        assert!(sealed.starts_with("k1:"), "{sealed}");
        assert!(!sealed.contains("JBSWY3DP"));
        assert_eq!(b.open(&sealed, "usr_1").unwrap(), b"JBSWY3DPEHPK3PXP");
        assert_eq!(b.open(&sealed, "usr_2"), None);
        assert_eq!(sealer(&format!("k1:{NEW}")).open(&sealed, "usr_1"), None, "another key under the same id");
        assert_eq!(sealer(&format!("k2:{OLD}")).open(&sealed, "usr_1"), None, "no key k1");
    }

    #[test]
    fn after_a_rotation_values_sealed_under_the_previous_key_still_open() {
        let before = sealer(&format!("k1:{NEW},v0:{OLD}"));
        let old = before.seal(b"seed", "u").unwrap();
        let after = sealer(&format!("k2:{NEWER},k1:{NEW},v0:{OLD}"));
        assert_eq!(after.open(&old, "u").unwrap(), b"seed");
        assert_eq!(after.open(LEGACY_SEALED, "usr_1").unwrap(), b"JBSWY3DPEHPK3PXP");
        let new = after.seal(b"seed", "u").unwrap();
        assert!(new.starts_with("k2:"), "{new}");
        assert_eq!(before.open(&new, "u"), None);
        // Relabelling a ciphertext with another id does not make another key open it.
        assert_eq!(after.open(&new.replacen("k2:", "k1:", 1), "u"), None);
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts_and_tampering_is_detected() {
        let b = sealer(&format!("k1:{OLD}"));
        let one = b.seal(b"x", "u").unwrap();
        assert_ne!(one, b.seal(b"x", "u").unwrap());
        let (_, value) = split_versioned(&one);
        let mut raw = base64::engine::general_purpose::STANDARD.decode(value).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        assert_eq!(b.open(&format!("k1:{}", base64::engine::general_purpose::STANDARD.encode(raw)), "u"), None);
        assert_eq!(b.open("k1:not base64!", "u"), None);
        assert_eq!(b.open("k1:", "u"), None);
        assert_eq!(b.open("", "u"), None);
    }

    #[test]
    fn debug_output_shows_key_ids_only() {
        let shown = format!("{:?}", sealer(&format!("k1:{NEW},v0:{OLD}")));
        assert!(shown.contains("k1") && shown.contains("v0") && !shown.contains(OLD), "{shown}");
    }
}
