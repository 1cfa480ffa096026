//! Seeding a table with many activated accounts at once, for tests and benchmarks only
//! (compiled with the `test-support` feature).

use super::user_codec::{email_pk, marker, user_to_item, username_pk};
use super::{Store, sdk_error};
use crate::domain::{Email, Role, User, UserId, Username};
use crate::error::Error;

/// An account for [`Store::seed_users`].
#[derive(Debug, Clone)]
pub struct SeedUser {
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub rating: i64,
}

impl Store {
    /// Writes activated accounts (user item and both markers) with `BatchWriteItem`: fast, but
    /// **without uniqueness checks** and without the admin count. Only for filling a test or
    /// benchmark table; compiled only with the `test-support` feature.
    pub async fn seed_users(&self, seeds: &[SeedUser], now: time::OffsetDateTime) -> Result<Vec<UserId>, Error> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let mut ids = Vec::with_capacity(seeds.len());
        let mut requests = Vec::new();
        for seed in seeds {
            let id = UserId::generate(now);
            // Seeds are written without the checks of sign-up, but never with a name or an
            // address sign-up would refuse.
            let username = Username::parse(&seed.username, "username").map_err(|e| Error::Validation(vec![e]))?;
            let email = Email::parse(&seed.email, "email").map_err(|e| Error::Validation(vec![e]))?;
            let mut user =
                User::new_account(id.clone(), &username, &email, seed.password_hash.clone(), seed.role, None, now.unix_timestamp());
            user.rating = seed.rating;
            for item in [
                user_to_item(&user),
                marker(email_pk(user.email.as_str()), "EMAIL", &id),
                marker(username_pk(&user.username.key()), "USERNAME", &id),
            ] {
                requests.push(WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(item)).build()?).build());
            }
            ids.push(id);
        }
        for chunk in requests.chunks(25) {
            let mut pending = chunk.to_vec();
            for attempt in 0..8 {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| sdk_error("seed users", e))?;
                pending = out.unprocessed_items.and_then(|mut m| m.remove(&self.table)).unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                if attempt == 7 {
                    return Err(Error::DependencyUnavailable(anyhow::anyhow!("seed left items unprocessed")));
                }
            }
        }
        Ok(ids)
    }
}
