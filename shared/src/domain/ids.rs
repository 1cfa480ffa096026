//! Opaque, prefixed, sortable identifiers (`usr_…`, `ses_…`, `upl_…`, `sub_…`).

use std::fmt;
use std::sync::Mutex;
use time::OffsetDateTime;

/// Monotonic generators, one per calendar month of the time asked for: ids made in the same
/// millisecond still sort in the order they were made (the activity log relies on it), and an
/// id's time never leaves the month of the `now` it was made for (the audit trail finds an
/// entry's monthly partition from its id). A function has one clock, so one or two entries; the
/// tests run many clocks in one process, some moved by months or years, and with a single
/// generator one test's ids carried another test's (later) time.
static GENERATORS: Mutex<Vec<((i32, u8), ulid::Generator)>> = Mutex::new(Vec::new());

/// The most months kept (the oldest is dropped first).
const MONTHS_KEPT: usize = 64;

/// A ULID for `now`, in Crockford base32, so ids sort by creation time.
pub fn new_ulid(now: OffsetDateTime) -> String {
    let month = (now.year(), u8::from(now.month()));
    let mut guard = GENERATORS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let at = match guard.iter().position(|(m, _)| *m == month) {
        Some(at) => at,
        None => {
            if guard.len() >= MONTHS_KEPT {
                guard.remove(0);
            }
            guard.push((month, ulid::Generator::new()));
            guard.len() - 1
        }
    };
    let generator = &mut guard[at].1;
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
    fn an_id_keeps_the_month_of_its_time_even_after_ids_of_a_later_clock() {
        let month = |id: &str| {
            let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ulid::Ulid::from_string(id).unwrap().timestamp_ms()) * 1_000_000);
            let t = t.unwrap();
            (t.year(), u8::from(t.month()))
        };
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let later = now + time::Duration::days(400);
        let mut mine = Vec::new();
        for _ in 0..20 {
            mine.push(new_ulid(now));
            let theirs = new_ulid(later);
            assert_eq!(month(&theirs), (later.year(), u8::from(later.month())));
        }
        assert!(mine.iter().all(|id| month(id) == (now.year(), u8::from(now.month()))), "{mine:?}");
        assert!(mine.windows(2).all(|w| w[0] < w[1]), "still in the order made");
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let a = UserId::generate(t);
        let b = UserId::generate(t + time::Duration::seconds(1));
        assert!(a.as_str() < b.as_str());
    }
}
