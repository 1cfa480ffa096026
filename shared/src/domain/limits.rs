//! Abuse-protection policies as values: fixed-window rate limits (`10/3600` = 10 per hour) and
//! the per-account login lockout. Pure arithmetic on Unix seconds; the counters themselves live
//! in the store (`RATE#…` items) and the configuration reads the values from the environment.

/// At most `max` events per fixed window of `window_secs` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max: u32,
    pub window_secs: i64,
}

/// A fixed window of a [`RateLimit`]: its number (part of the counter key) and its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub index: i64,
    pub ends_at: i64,
}

impl Window {
    /// Seconds from `now` to the window's end (at least 1): the `Retry-After` of a refusal.
    pub fn retry_after(&self, now: i64) -> u64 {
        u64::try_from((self.ends_at - now).max(1)).unwrap_or(1)
    }
}

impl RateLimit {
    pub const fn new(max: u32, window_secs: i64) -> Self {
        Self { max, window_secs }
    }

    /// Parses `<count>/<seconds>`, e.g. `10/3600`: count 1–1 000 000, window 1 s–1 day.
    pub fn parse(text: &str) -> Result<Self, String> {
        let malformed = || format!("must be <count>/<seconds> (e.g. 10/3600), not {text:?}");
        let (max, window) = text.trim().split_once('/').ok_or_else(malformed)?;
        let max: u32 = max.trim().parse().map_err(|_| malformed())?;
        let window_secs: i64 = window.trim().parse().map_err(|_| malformed())?;
        if !(1..=1_000_000).contains(&max) {
            return Err(format!("count must be 1-1000000, not {max}"));
        }
        if !(1..=86_400).contains(&window_secs) {
            return Err(format!("window must be 1-86400 seconds, not {window_secs}"));
        }
        Ok(Self { max, window_secs })
    }

    /// The window `now` falls in.
    pub fn window(&self, now: i64) -> Window {
        let index = now.div_euclid(self.window_secs);
        Window { index, ends_at: (index + 1) * self.window_secs }
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.max, self.window_secs)
    }
}

/// Per-account login lockout: after `threshold` consecutive failures the account waits
/// `base_secs`, doubling with every further failure, never more than `max_secs` (kept short so
/// an attacker who knows a username cannot lock its owner out for long).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub threshold: u32,
    pub base_secs: i64,
    pub max_secs: i64,
}

impl LockoutPolicy {
    /// 5 free failures, then 30 s, 60 s, 120 s, … capped at 15 minutes.
    pub const DEFAULT: Self = Self { threshold: 5, base_secs: 30, max_secs: 900 };

    /// How long the account waits after its `failures`-th failure (`None` below the threshold).
    pub fn wait_secs(&self, failures: u32) -> Option<i64> {
        if failures < self.threshold {
            return None;
        }
        let exponent = (failures - self.threshold).min(20);
        Some(self.base_secs.saturating_mul(1_i64 << exponent).min(self.max_secs))
    }

    /// Seconds still to wait after `failures` failures, the last one at `last_failure_at`.
    pub fn remaining(&self, failures: u32, last_failure_at: Option<i64>, now: i64) -> Option<u64> {
        let wait = self.wait_secs(failures)?;
        let remaining = last_failure_at? + wait - now;
        u64::try_from(remaining).ok().filter(|r| *r > 0)
    }
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_a_count_per_window_in_seconds() {
        assert_eq!(RateLimit::parse("10/3600"), Ok(RateLimit::new(10, 3600)));
        assert_eq!(RateLimit::parse(" 5 / 60 "), Ok(RateLimit::new(5, 60)));
        assert_eq!(RateLimit::new(20, 900).to_string(), "20/900");
    }

    #[test]
    fn malformed_or_out_of_range_limits_are_refused() {
        for bad in ["", "10", "10/", "/60", "ten/60", "10/1h", "0/60", "10/0", "10/86401", "-1/60", "10/60/5"] {
            assert!(RateLimit::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn windows_are_fixed_and_retry_after_counts_to_their_end() {
        let limit = RateLimit::new(5, 3600);
        let w = limit.window(7_200 + 100);
        assert_eq!(w, Window { index: 2, ends_at: 10_800 });
        assert_eq!(w.retry_after(7_300), 3_500);
        assert_eq!(w.retry_after(10_800), 1);
        assert_eq!(limit.window(10_800).index, 3);
    }

    #[test]
    fn lockout_grows_from_the_threshold_and_is_capped() {
        let p = LockoutPolicy::DEFAULT;
        assert_eq!(p.remaining(4, Some(1_000), 1_000), None);
        assert_eq!(p.remaining(5, Some(1_000), 1_000), Some(30));
        assert_eq!(p.remaining(6, Some(1_000), 1_000), Some(60));
        assert_eq!(p.remaining(7, Some(1_000), 1_010), Some(110));
        assert_eq!(p.remaining(5, Some(1_000), 1_030), None);
        assert_eq!(p.remaining(50, Some(1_000), 1_000), Some(900));
        assert_eq!(p.remaining(u32::MAX, Some(1_000), 1_000), Some(900));
        assert_eq!((p.wait_secs(4), p.wait_secs(5), p.wait_secs(7)), (None, Some(30), Some(120)));
    }

    #[test]
    fn a_custom_lockout_policy_is_honoured() {
        let p = LockoutPolicy { threshold: 3, base_secs: 10, max_secs: 60 };
        assert_eq!(p.remaining(2, Some(0), 0), None);
        assert_eq!(p.remaining(3, Some(0), 0), Some(10));
        assert_eq!(p.remaining(10, Some(0), 0), Some(60));
    }
}
