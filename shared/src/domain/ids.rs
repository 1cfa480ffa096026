//! Opaque, prefixed, sortable identifiers (`usr_…`, `ses_…`, `upl_…`, `sub_…`).

use std::fmt;
use std::sync::Mutex;
use time::OffsetDateTime;

/// One monotonic generator per process: ids made in the same millisecond still sort in the
/// order they were made (the activity log relies on it).
static GENERATOR: Mutex<Option<ulid::Generator>> = Mutex::new(None);

/// A ULID for `now`, in Crockford base32, so ids sort by creation time.
pub fn new_ulid(now: OffsetDateTime) -> String {
    let mut guard = GENERATOR.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let generator = guard.get_or_insert_with(ulid::Generator::new);
    // Overflow needs 2^80 ids in one millisecond; fall back to a random one rather than fail.
    generator.generate_from_datetime(now.into()).unwrap_or_else(|_| ulid::Ulid::from_datetime(now.into())).to_string()
}

macro_rules! prefixed_id {
    ($name:ident, $prefix:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn generate(now: OffsetDateTime) -> Self {
                Self(format!("{}{}", $prefix, new_ulid(now)))
            }

            /// Accepts only `<prefix><26-char ULID>`; anything else is not an id of ours.
            pub fn parse(raw: &str) -> Option<Self> {
                let body = raw.strip_prefix($prefix)?;
                ulid::Ulid::from_string(body).ok()?;
                Some(Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

prefixed_id!(UserId, "usr_");
prefixed_id!(SessionId, "ses_");
prefixed_id!(ApiKeyId, "key_");
prefixed_id!(UploadId, "upl_");
prefixed_id!(SubscriptionId, "sub_");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_carry_their_prefix_and_parse_back() {
        let id = UserId::generate(OffsetDateTime::now_utc());
        assert!(id.as_str().starts_with("usr_"));
        assert_eq!(UserId::parse(id.as_str()), Some(id));
    }

    #[test]
    fn ids_of_another_type_or_garbage_do_not_parse() {
        let session = SessionId::generate(OffsetDateTime::now_utc());
        assert_eq!(UserId::parse(session.as_str()), None);
        assert_eq!(UserId::parse("usr_not-a-ulid"), None);
        assert_eq!(UserId::parse(""), None);
    }

    #[test]
    fn ids_made_in_the_same_millisecond_keep_their_order() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let ids: Vec<String> = (0..50).map(|_| new_ulid(t)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let a = UserId::generate(t);
        let b = UserId::generate(t + time::Duration::seconds(1));
        assert!(a.as_str() < b.as_str());
    }
}
