//! Encryption at rest for secrets the service must read back (the TOTP seed): AES-256-GCM from
//! aws-lc-rs (already linked for TLS and JWT), a random 96-bit nonce per message, and associated
//! data that binds a ciphertext to its owner so it cannot be moved to another account.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;
use sha2::{Digest, Sha256};

pub struct SecretBox {
    key: LessSafeKey,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    /// Derives the encryption key from the service's signing key with its own label, so the two
    /// uses of the key material never share a key.
    pub fn derive(master: &[u8]) -> anyhow::Result<Self> {
        let derived = Sha256::digest([b"accounts:secret-box:v1:".as_slice(), master].concat());
        let key = UnboundKey::new(&AES_256_GCM, &derived).map_err(|_| anyhow::anyhow!("invalid AES key"))?;
        Ok(Self { key: LessSafeKey::new(key) })
    }

    /// `base64(nonce ‖ ciphertext ‖ tag)`.
    pub fn seal(&self, plaintext: &[u8], owner: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("random nonce: {e}"))?;
        let mut buf = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(owner.as_bytes()), &mut buf)
            .map_err(|_| anyhow::anyhow!("seal failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// The plaintext, or `None` when the value was tampered with, is for another owner, or was
    /// sealed with another key.
    pub fn open(&self, sealed: &str, owner: &str) -> Option<Vec<u8>> {
        let raw = base64::engine::general_purpose::STANDARD.decode(sealed).ok()?;
        if raw.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return None;
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = rest.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::from(owner.as_bytes()), &mut buf).ok()?;
        Some(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_for_its_owner_and_key() {
        let b = SecretBox::derive(b"master-key-master-key-master-key").unwrap();
        let sealed = b.seal(b"JBSWY3DPEHPK3PXP", "usr_1").unwrap();
        assert!(!sealed.contains("JBSWY3DP"));
        assert_eq!(b.open(&sealed, "usr_1").unwrap(), b"JBSWY3DPEHPK3PXP");
        assert_eq!(b.open(&sealed, "usr_2"), None);
        let other = SecretBox::derive(b"another-key-another-key-another-k").unwrap();
        assert_eq!(other.open(&sealed, "usr_1"), None);
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts_and_tampering_is_detected() {
        let b = SecretBox::derive(b"master-key-master-key-master-key").unwrap();
        let one = b.seal(b"x", "u").unwrap();
        assert_ne!(one, b.seal(b"x", "u").unwrap());
        let mut raw = base64::engine::general_purpose::STANDARD.decode(&one).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        assert_eq!(b.open(&base64::engine::general_purpose::STANDARD.encode(raw), "u"), None);
        assert_eq!(b.open("not base64!", "u"), None);
        assert_eq!(b.open("", "u"), None);
    }
}
