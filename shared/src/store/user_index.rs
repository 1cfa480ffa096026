//! The listing and search index attributes of a user item (written by register and kept
//! current by every writer of role, status, username, email or rating — see
//! docs/table-design.md):
//! - `lsAll = USERS#<shard>`, `lsRole = ROLE#<role>#<shard>`, `lsStatus = STATUS#<status>#<shard>`
//!   partition the "all users" and the per-role / per-status lists over [`USER_SHARDS`] shards
//!   (a hash of the id), each sorted three ways: `id` (a ULID: creation order), `usernameKey`,
//!   `ratingKey`;
//! - `pfxName = UN#<first char of usernameKey>` / `pfxEmail = EM#<first char of email>` serve
//!   prefix search with `begins_with` on `usernameKey` / `email`.
//!
//! The user lists (`user_list.rs`) read them; every writer of a user item derives them here.

use super::{n, s};
use crate::domain::{Rating, User, UserId, UserStatus};
use aws_sdk_dynamodb::types::AttributeValue;
use sha2::{Digest, Sha256};

/// How many partitions the user lists are spread over. A constant of the table: changing it
/// means rewriting every user's index attributes.
pub const USER_SHARDS: u32 = 8;

pub(crate) fn shard(id: &UserId) -> u32 {
    let digest = Sha256::digest(id.as_str().as_bytes());
    u32::from(digest[0]) % USER_SHARDS
}

pub(crate) fn first_char(value: &str) -> char {
    value.chars().next().unwrap_or('_')
}

/// The `lsStatus` attribute and its value for `status`.
pub(crate) fn status_index_value(id: &UserId, status: UserStatus) -> (&'static str, String) {
    ("lsStatus", format!("STATUS#{}#{}", status.as_str(), shard(id)))
}

/// Every index attribute of a user item, derived from the user.
pub(crate) fn index_attributes(u: &User) -> Vec<(&'static str, AttributeValue)> {
    let shard = shard(&u.id);
    let status = u.stored_status();
    let username_key = u.username.key();
    vec![
        ("ustatus", s(status.as_str())),
        ("lsAll", s(format!("USERS#{shard}"))),
        ("lsRole", s(format!("ROLE#{}#{shard}", u.role.as_str()))),
        ("lsStatus", s(format!("STATUS#{}#{shard}", status.as_str()))),
        ("rating", n(u.rating)),
        ("ratingKey", s(format!("{}#{}", Rating::clamped(u.rating).sort_key(), u.id))),
        ("pfxName", s(format!("UN#{}", first_char(&username_key)))),
        ("pfxEmail", s(format!("EM#{}", first_char(u.email.as_str())))),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_spread_ids_and_stay_in_range() {
        let now = time::OffsetDateTime::now_utc();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..400 {
            let s = shard(&UserId::generate(now));
            assert!(s < USER_SHARDS);
            seen.insert(s);
        }
        assert_eq!(seen.len(), USER_SHARDS as usize);
    }
}
