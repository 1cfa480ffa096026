//! Password hashing: argon2id with explicit parameters, always on a blocking thread (the hash
//! takes ~20 ms of CPU and must not stall the async runtime). Unknown users are verified against
//! a dummy hash so that timing does not tell whether an account exists.

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
}

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
        Self { cost, dummy: OnceCell::new() }
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

    /// Checks `password` against `stored`, or against a dummy hash when there is no user.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> anyhow::Result<Verified> {
        let (hash, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => (self.dummy().await?.to_owned(), false),
        };
        let cost = self.cost;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || -> anyhow::Result<Verified> {
            let Ok(parsed) = PasswordHash::new(&hash) else { return Ok(Verified::No) };
            let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
            if !(matches && real) {
                return Ok(Verified::No);
            }
            let current = Params::try_from(&parsed).ok().map(|p| (p.m_cost(), p.t_cost(), p.p_cost()));
            let wanted = (cost.memory_kib, cost.iterations, cost.parallelism);
            let algorithm_ok = parsed.algorithm.as_str() == "argon2id";
            if current == Some(wanted) && algorithm_ok {
                Ok(Verified::Yes)
            } else {
                Ok(Verified::YesRehashed(Self::hash_blocking(cost, &password)?))
            }
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
    async fn a_garbage_stored_hash_does_not_verify() {
        let hasher = PasswordHasher::new(HashCost::TEST_ONLY);
        assert_eq!(hasher.verify("x", Some("not-a-hash")).await.unwrap(), Verified::No);
    }
}
