//! Versioned secrets (SPEC §3.1 "Signing keys", §5): the code pepper and the key that seals MFA
//! seeds are each a [`KeySet`] of named keys, `id:material[,id:material…]`. The first key is
//! the current one (it hashes and seals everything new); the others are still accepted, so a
//! rotation prepends a new id and removes the old one once nothing stored uses it. What a key
//! protects records its id (`<id>:<value>`); a value without one predates versioning and
//! belongs to [`LEGACY_ID`] (`v0`), so `v0:<the old JWT_SECRET>` keeps those values valid.
//!
//! Pure: no AWS, no clock. [`CodePepper`] keys the hashes of short codes; the sealing key is
//! used by [`crate::crypto::SecretBox`]; [`KeySet::derive`] gives other per-purpose keys.

use crate::domain::Secret;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// The key id of values stored before keys had ids (derived from the old `JWT_SECRET`).
pub const LEGACY_ID: &str = "v0";
/// The least material a key may have (as for the signing key it replaces).
pub const MIN_KEY_BYTES: usize = 32;
const MAX_ID_LEN: usize = 16;

/// Named keys, the current one first. `Debug` shows the ids only.
#[derive(Clone)]
pub struct KeySet {
    keys: Vec<(String, Secret)>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet").field("ids", &self.ids().collect::<Vec<_>>()).finish_non_exhaustive()
    }
}

impl KeySet {
    /// Parses `id:material[,id:material…]`: ids of 1-16 characters `a-z0-9`, each once;
    /// material (everything after the id's `:`, without surrounding whitespace) of at least
    /// 32 bytes. An error names entries by position and id, never by material.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut keys: Vec<(String, Secret)> = Vec::new();
        for (n, entry) in text.split(',').map(str::trim).enumerate() {
            let n = n + 1;
            let Some((id, material)) = entry.split_once(':') else {
                return Err(format!("entry {n} is not id:secret"));
            };
            let (id, material) = (id.trim(), material.trim());
            if id.is_empty() || id.len() > MAX_ID_LEN || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
                return Err(format!("entry {n}: the key id must be 1-{MAX_ID_LEN} characters a-z0-9"));
            }
            if keys.iter().any(|(seen, _)| seen == id) {
                return Err(format!("key id {id} appears twice"));
            }
            if material.len() < MIN_KEY_BYTES {
                return Err(format!("key {id} must be at least {MIN_KEY_BYTES} bytes"));
            }
            keys.push((id.to_owned(), Secret::new(material)));
        }
        Ok(Self { keys })
    }

    /// The ids, the current one first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(id, _)| id.as_str())
    }

    /// The id of the current key.
    pub fn current_id(&self) -> &str {
        // `parse` never yields an empty set: `split` gives at least one entry.
        self.keys.first().map_or(LEGACY_ID, |(id, _)| id.as_str())
    }

    fn material(&self, id: &str) -> Option<&[u8]> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, m)| m.expose().as_bytes())
    }

    /// A 256-bit key for `label` from the current key: `(id, SHA-256(label ‖ ":" ‖ material))`.
    /// Each use has its own fixed label, so two uses of one key set never share a key.
    pub fn derive(&self, label: &str) -> (String, [u8; 32]) {
        let id = self.current_id();
        let key = self.derive_for(id, label).unwrap_or_default();
        (id.to_owned(), key)
    }

    /// [`KeySet::derive`] with the key named `id`; `None` when the set has no such key.
    pub fn derive_for(&self, id: &str, label: &str) -> Option<[u8; 32]> {
        let material = self.material(id)?;
        let mut h = Sha256::new();
        h.update(label.as_bytes());
        h.update(b":");
        h.update(material);
        Some(h.finalize().into())
    }

    /// Every key derived for `label`, the current one first.
    pub fn derive_all(&self, label: &str) -> Vec<(String, [u8; 32])> {
        self.ids().filter_map(|id| self.derive_for(id, label).map(|k| (id.to_owned(), k))).collect()
    }
}

/// Splits a stored `<id>:<value>` into its key id and value; a value without an id is
/// [`LEGACY_ID`]'s. Neither hex nor standard base64 contains `:`.
pub fn split_versioned(stored: &str) -> (&str, &str) {
    stored.split_once(':').unwrap_or((LEGACY_ID, stored))
}

/// The label of the pepper: `SHA-256("code-pepper:" ‖ material)`, as derived from the signing
/// key before the pepper had keys of its own (so `v0:<old JWT_SECRET>` keeps old hashes valid).
const PEPPER_LABEL: &str = "code-pepper";

/// Keyed hashes of short codes (activation, recovery and backup codes, captcha answers, the
/// mail counters' recipient keys), so a leaked table does not give them away by brute force.
pub struct CodePepper {
    keys: KeySet,
    /// `(id, pepper)` of the current key, which hashes everything new.
    current: (String, [u8; 32]),
    /// `(id, pepper)` of every key, the current one first.
    peppers: Vec<(String, [u8; 32])>,
}

impl fmt::Debug for CodePepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodePepper").field("keys", &self.keys).finish_non_exhaustive()
    }
}

impl CodePepper {
    pub fn new(keys: KeySet) -> Self {
        let current = keys.derive(PEPPER_LABEL);
        let peppers = keys.derive_all(PEPPER_LABEL);
        Self { keys, current, peppers }
    }

    fn digest(pepper: &[u8; 32], purpose: &str, subject: &str, code: &str) -> String {
        let mut h = Sha256::new();
        h.update(pepper);
        h.update(purpose.as_bytes());
        h.update([0]);
        h.update(subject.as_bytes());
        h.update([0]);
        h.update(code.as_bytes());
        hex(&h.finalize())
    }

    /// `"<id>:<hex>"`: the hash of `code` for `purpose` and `subject` under the current key.
    pub fn hash(&self, purpose: &str, subject: &str, code: &str) -> String {
        let (id, pepper) = &self.current;
        format!("{id}:{}", Self::digest(pepper, purpose, subject, code))
    }

    /// Whether `stored` (a [`CodePepper::hash`], or an unprefixed hash of key `v0`) is the hash
    /// of `code`, under the key `stored` names; compared in constant time. A key no longer in
    /// the set matches nothing.
    pub fn matches(&self, stored: &str, purpose: &str, subject: &str, code: &str) -> bool {
        let (id, value) = split_versioned(stored);
        let Some((_, pepper)) = self.peppers.iter().find(|(k, _)| k == id) else { return false };
        let given = Self::digest(pepper, purpose, subject, code);
        given.as_bytes().ct_eq(value.as_bytes()).into()
    }

    /// [`KeySet::derive`] of the pepper's keys (another per-purpose key from the same secret).
    pub fn derive(&self, label: &str) -> (String, [u8; 32]) {
        self.keys.derive(label)
    }

    /// [`KeySet::derive_for`] of the pepper's keys.
    pub fn derive_for(&self, id: &str, label: &str) -> Option<[u8; 32]> {
        self.keys.derive_for(id, label)
    }

    /// The key set (ids, for logs and tests).
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }
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

    const OLD: &str = "0123456789abcdef0123456789abcdef";
    const NEW: &str = "a-new-pepper-key-a-new-pepper-key-1";
    const NEWER: &str = "a-newer-pepper-key-a-newer-pepper-key";

    fn keys(text: &str) -> KeySet {
        KeySet::parse(text).unwrap()
    }

    #[test]
    fn a_key_set_lists_its_ids_current_first() {
        let k = keys(&format!("k2:{NEWER}, k1:{NEW},v0:{OLD}"));
        assert_eq!(k.ids().collect::<Vec<_>>(), ["k2", "k1", "v0"]);
        assert_eq!(k.current_id(), "k2");
    }

    #[test]
    fn material_may_contain_colons_and_is_taken_without_surrounding_whitespace() {
        let k = keys(&format!(" k1: {OLD}:x \n"));
        assert_eq!(k.derive_for("k1", "l"), keys(&format!("k1:{OLD}:x")).derive_for("k1", "l"));
    }

    #[test]
    fn malformed_key_sets_are_refused_with_a_reason() {
        for (text, reason) in [
            ("", "entry 1 is not id:secret"),
            (OLD, "entry 1 is not id:secret"),
            (&format!("k1:{OLD},"), "entry 2 is not id:secret"),
            (&format!(":{OLD}"), "entry 1: the key id must be"),
            (&format!("K1:{OLD}"), "entry 1: the key id must be"),
            (&format!("k-1:{OLD}"), "entry 1: the key id must be"),
            (&format!("abcdefghijklmnopq:{OLD}"), "entry 1: the key id must be"),
            (&format!("k1:{OLD},k1:{NEW}"), "key id k1 appears twice"),
            ("k1:too-short", "key k1 must be at least 32 bytes"),
        ] {
            let err = KeySet::parse(text).unwrap_err();
            assert!(err.contains(reason), "{text:?}: {err}");
        }
        assert!(KeySet::parse(&format!("abcdefghijklmnop:{OLD}")).is_ok(), "16 characters is the longest id");
    }

    #[test]
    fn errors_and_debug_output_never_show_key_material() {
        let k = keys(&format!("k1:{NEW},v0:{OLD}"));
        let shown = format!("{k:?} {:?}", CodePepper::new(k.clone()));
        assert!(shown.contains("k1") && shown.contains("v0"), "{shown}");
        assert!(!shown.contains(NEW) && !shown.contains(OLD), "{shown}");
        let err = KeySet::parse(&format!("{OLD}x:{NEW},k1:short")).unwrap_err();
        assert!(!err.contains(OLD) && !err.contains(NEW), "{err}");
    }

    #[test]
    fn derivation_is_sha256_of_label_and_material_for_any_id() {
        let expected: [u8; 32] = Sha256::digest(format!("code-pepper:{OLD}")).into();
        let k = keys(&format!("k1:{NEW},v0:{OLD}"));
        assert_eq!(k.derive_for("v0", "code-pepper"), Some(expected));
        assert_eq!(keys(&format!("zz:{OLD}")).derive("code-pepper"), ("zz".to_owned(), expected));
        assert_eq!(k.derive("code-pepper").0, "k1");
        assert_ne!(k.derive("code-pepper").1, expected);
        assert_ne!(k.derive("purpose-token").1, k.derive("code-pepper").1);
        assert_eq!(k.derive_for("k9", "code-pepper"), None);
    }

    /// Computed with Python's hashlib from the pre-versioning `TokenService::code_hash`:
    /// `sha256(sha256(b"code-pepper:" + OLD) + b"activation\0usr_1\0123456")`.
    const LEGACY_ACTIVATION_HASH: &str = "d3abd29c14f416e661bf2c622acf4f7a395ac58caa17b09f6a9d667fcf56e518";

    #[test]
    fn a_hash_made_before_versioning_matches_under_v0() {
        let p = CodePepper::new(keys(&format!("k1:{NEW},v0:{OLD}")));
        assert!(p.matches(LEGACY_ACTIVATION_HASH, "activation", "usr_1", "123456"));
        assert!(p.matches(&format!("v0:{LEGACY_ACTIVATION_HASH}"), "activation", "usr_1", "123456"));
        assert!(!p.matches(LEGACY_ACTIVATION_HASH, "activation", "usr_1", "123457"));
        assert_eq!(
            CodePepper::new(keys(&format!("v0:{OLD}"))).hash("activation", "usr_1", "123456"),
            format!("v0:{LEGACY_ACTIVATION_HASH}")
        );
        // Without v0 in the set, legacy hashes match nothing.
        assert!(!CodePepper::new(keys(&format!("k1:{NEW}"))).matches(LEGACY_ACTIVATION_HASH, "activation", "usr_1", "123456"));
    }

    #[test]
    fn hashes_name_the_current_key_and_depend_on_purpose_subject_code_and_key() {
        let p = CodePepper::new(keys(&format!("k1:{NEW},v0:{OLD}")));
        let h = p.hash("activation", "usr_1", "123456");
        assert!(h.starts_with("k1:") && h.len() == 3 + 64, "{h}");
        assert_eq!(h, p.hash("activation", "usr_1", "123456"));
        assert_ne!(h, p.hash("recovery", "usr_1", "123456"));
        assert_ne!(h, p.hash("activation", "usr_2", "123456"));
        assert_ne!(h, p.hash("activation", "usr_1", "123457"));
        assert_ne!(h[3..], CodePepper::new(keys(&format!("k1:{OLD}"))).hash("activation", "usr_1", "123456")[3..]);
    }

    #[test]
    fn after_a_rotation_old_hashes_still_match_and_new_ones_use_the_new_key() {
        let before = CodePepper::new(keys(&format!("k1:{NEW},v0:{OLD}")));
        let old_hash = before.hash("recovery", "usr_1", "code");
        let after = CodePepper::new(keys(&format!("k2:{NEWER},k1:{NEW},v0:{OLD}")));
        assert!(after.matches(&old_hash, "recovery", "usr_1", "code"));
        assert!(!after.matches(&old_hash, "recovery", "usr_1", "other"));
        let new_hash = after.hash("recovery", "usr_1", "code");
        assert!(new_hash.starts_with("k2:"), "{new_hash}");
        assert!(after.matches(&new_hash, "recovery", "usr_1", "code"));
        // The old set does not know k2; once k1 is dropped, k1's hashes stop matching.
        assert!(!before.matches(&new_hash, "recovery", "usr_1", "code"));
        let dropped = CodePepper::new(keys(&format!("k2:{NEWER}")));
        assert!(!dropped.matches(&old_hash, "recovery", "usr_1", "code"));
    }

    #[test]
    fn a_hash_relabelled_with_another_key_id_does_not_match() {
        let p = CodePepper::new(keys(&format!("k2:{NEWER},k1:{NEW}")));
        let h = p.hash("captcha", "cap_1", "k7m2x");
        let relabelled = format!("k1:{}", &h[3..]);
        assert!(!p.matches(&relabelled, "captcha", "cap_1", "k7m2x"));
        assert!(!p.matches("", "captcha", "cap_1", "k7m2x"));
        assert!(!p.matches("k2:", "captcha", "cap_1", "k7m2x"));
        assert!(!p.matches("k9:00", "captcha", "cap_1", "k7m2x"));
    }

    #[test]
    fn split_versioned_treats_an_unprefixed_value_as_v0() {
        assert_eq!(split_versioned("k1:abc"), ("k1", "abc"));
        assert_eq!(split_versioned("abc"), ("v0", "abc"));
        assert_eq!(split_versioned("k1:a:b"), ("k1", "a:b"));
    }
}
