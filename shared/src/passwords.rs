//! Password hashing: argon2id with explicit parameters, always on a blocking thread (the hash
//! takes ~20 ms of CPU and must not stall the async runtime). Unknown users are verified against
//! a dummy hash so that timing does not tell whether an account exists.
//!
//! Imported accounts may hold a hash of another system (`legacy_hashes.rs`: bcrypt, scrypt,
//! PBKDF2, Firebase scrypt, argon2i): it is verified by its own scheme and, once the password is
//! right, replaced by an argon2id hash (the same rehash as a change of parameters). Those schemes
//! cost more or less than argon2id, so an optional floor ([`PasswordHasher::with_floor`],
//! `PASSWORD_CHECK_FLOOR_MS`) makes every check, of a known or an unknown account, take at least
//! as long as the slowest imported hash does (docs/migration.md, "Timing").

use anyhow::Context as _;
use argon2::password_hash::{PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use tokio::sync::OnceCell;

/// Argon2id cost. Production uses OWASP's recommendation; only tests choose cheaper values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashCost {
    /// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
    pub const OWASP: Self = Self { memory_kib: 19_456, iterations: 2, parallelism: 1 };
    /// For tests only: fast, still argon2id.
    pub const TEST_ONLY: Self = Self { memory_kib: 64, iterations: 1, parallelism: 1 };
}

#[derive(Debug)]
pub struct PasswordHasher {
    cost: HashCost,
    dummy: OnceCell<String>,
    /// The least time a [`PasswordHasher::verify`] takes (zero: no floor).
    floor: std::time::Duration,
}

/// What an account imported without a password hash stores: no password matches it (the check
/// costs the dummy's work); the person signs in after a password reset.
pub const NO_PASSWORD: &str = "!no-password";

/// The outcome of checking a password against a stored hash.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, but hashed with other parameters than today's: store this new hash.
    YesRehashed(String),
}

impl Verified {
    pub fn ok(&self) -> bool {
        !matches!(self, Verified::No)
    }
}

impl PasswordHasher {
    pub fn new(cost: HashCost) -> Self {
        Self { cost, dummy: OnceCell::new(), floor: std::time::Duration::ZERO }
    }

    /// Every [`PasswordHasher::verify`] returns no sooner than `floor` after it began (it waits,
    /// without using CPU), so the slowest imported scheme sets the time of every check.
    pub fn with_floor(mut self, floor: std::time::Duration) -> Self {
        self.floor = floor;
        self
    }

    fn argon(cost: HashCost) -> anyhow::Result<Argon2<'static>> {
        let params =
            Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None).map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    fn hash_blocking(cost: HashCost, password: &str) -> anyhow::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        let hash = Self::argon(cost)?.hash_password(password.as_bytes(), &salt).map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))?;
        Ok(hash.to_string())
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let cost = self.cost;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || Self::hash_blocking(cost, &password)).await.context("hashing task")?
    }

    /// Checks `password` against `stored`, or against a dummy hash when there is no user. A
    /// stored hash of another scheme (`legacy_hashes.rs`) is verified by that scheme and, when it
    /// matches, comes back as [`Verified::YesRehashed`]; one that is no hash at all
    /// ([`NO_PASSWORD`], garbage) costs the dummy's work and never matches.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> anyhow::Result<Verified> {
        let started = tokio::time::Instant::now();
        let verified = self.verify_now(password, stored).await;
        if !self.floor.is_zero() {
            tokio::time::sleep_until(started + self.floor).await;
        }
        verified
    }

    async fn verify_now(&self, password: &str, stored: Option<&str>) -> anyhow::Result<Verified> {
        let dummy = self.dummy().await?.to_owned();
        let (hash, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => (dummy.clone(), false),
        };
        let cost = self.cost;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || -> anyhow::Result<Verified> {
            let argon2id = PasswordHash::new(&hash).ok().filter(|p| p.algorithm.as_str() == "argon2id");
            let Some(parsed) = argon2id else {
                let matches = match crate::legacy_hashes::parse(&hash) {
                    Ok(legacy) => legacy.verify(&password),
                    Err(_) => {
                        // No usable hash: the same work as for an unknown account, never a match.
                        if let Ok(d) = PasswordHash::new(&dummy) {
                            let _ = Argon2::default().verify_password(password.as_bytes(), &d);
                        }
                        false
                    }
                };
                return if matches && real { Ok(Verified::YesRehashed(Self::hash_blocking(cost, &password)?)) } else { Ok(Verified::No) };
            };
            let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
            if !(matches && real) {
                return Ok(Verified::No);
            }
            let current = Params::try_from(&parsed).ok().map(|p| (p.m_cost(), p.t_cost(), p.p_cost()));
            let wanted = (cost.memory_kib, cost.iterations, cost.parallelism);
            if current == Some(wanted) { Ok(Verified::Yes) } else { Ok(Verified::YesRehashed(Self::hash_blocking(cost, &password)?)) }
        })
        .await
        .context("verify task")?
    }

    async fn dummy(&self) -> anyhow::Result<&String> {
        let cost = self.cost;
        self.dummy
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || Self::hash_blocking(cost, "dummy-password-for-timing"))
                    .await
                    .context("dummy hash task")?
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let hasher = PasswordHasher::new(HashCost::TEST_ONLY);
        let hash = hasher.hash("Correct1Horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_eq!(hasher.verify("Correct1Horse", Some(&hash)).await.unwrap(), Verified::Yes);
        assert_eq!(hasher.verify("Wrong1Horse", Some(&hash)).await.unwrap(), Verified::No);
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies_even_with_the_dummy_password() {
        let hasher = PasswordHasher::new(HashCost::TEST_ONLY);
        assert_eq!(hasher.verify("dummy-password-for-timing", None).await.unwrap(), Verified::No);
    }

    #[tokio::test]
    async fn a_hash_with_old_parameters_is_upgraded_on_success() {
        let old = PasswordHasher::new(HashCost { memory_kib: 32, iterations: 1, parallelism: 1 });
        let hash = old.hash("Correct1Horse").await.unwrap();
        let new = PasswordHasher::new(HashCost::TEST_ONLY);
        match new.verify("Correct1Horse", Some(&hash)).await.unwrap() {
            Verified::YesRehashed(h) => assert!(h.contains("m=64,t=1,p=1")),
            other => panic!("expected a rehash, got {other:?}"),
        }
    }

    #[test]
    fn production_cost_is_owasp() {
        assert_eq!(HashCost::OWASP, HashCost { memory_kib: 19_456, iterations: 2, parallelism: 1 });
    }

    #[tokio::test]
    async fn an_imported_bcrypt_hash_verifies_and_is_replaced_by_argon2id() {
        let hasher = PasswordHasher::new(HashCost::TEST_ONLY);
        let imported = bcrypt::hash("Correct1Horse", 4).unwrap();
        match hasher.verify("Correct1Horse", Some(&imported)).await.unwrap() {
            Verified::YesRehashed(h) => assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{h}"),
            other => panic!("expected a rehash, got {other:?}"),
        }
        assert_eq!(hasher.verify("Wrong1Horse", Some(&imported)).await.unwrap(), Verified::No);
    }

    #[tokio::test]
    async fn an_imported_argon2i_hash_is_rehashed_to_argon2id() {
        let salt = SaltString::generate(&mut OsRng);
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::new(64, 1, 1, None).unwrap());
        let hash = argon2i.hash_password(b"Correct1Horse", &salt).unwrap().to_string();
        let hasher = PasswordHasher::new(HashCost::TEST_ONLY);
        assert!(
            matches!(hasher.verify("Correct1Horse", Some(&hash)).await.unwrap(), Verified::YesRehashed(h) if h.starts_with("$argon2id$"))
        );
    }

    #[tokio::test]
    async fn an_account_without_a_password_never_verifies() {
        let hasher = PasswordHasher::new(HashCost::TEST_ONLY);
        for given in ["", NO_PASSWORD, "dummy-password-for-timing"] {
            assert_eq!(hasher.verify(given, Some(NO_PASSWORD)).await.unwrap(), Verified::No);
        }
    }

    /// The floor holds for a known account of every kind and for an unknown one: none returns
    /// sooner (docs/migration.md, "Timing", has the times measured without a floor).
    #[tokio::test]
    async fn with_a_floor_no_check_returns_sooner() {
        let floor = std::time::Duration::from_millis(60);
        let hasher = PasswordHasher::new(HashCost::TEST_ONLY).with_floor(floor);
        let argon2id = hasher.hash("Correct1Horse").await.unwrap();
        let bcrypt = bcrypt::hash("Correct1Horse", 4).unwrap();
        for stored in [None, Some(argon2id.as_str()), Some(bcrypt.as_str()), Some(NO_PASSWORD)] {
            let started = std::time::Instant::now();
            hasher.verify("Wrong1Horse", stored).await.unwrap();
            assert!(started.elapsed() >= floor, "{:?} returned after {:?}", stored.map(|s| &s[..4]), started.elapsed());
        }
    }

    #[tokio::test]
    async fn a_garbage_stored_hash_does_not_verify() {
        let hasher = PasswordHasher::new(HashCost::TEST_ONLY);
        assert_eq!(hasher.verify("x", Some("not-a-hash")).await.unwrap(), Verified::No);
    }
}
