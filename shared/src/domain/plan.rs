//! Plans (FREE, PREMIUM, ENTERPRISE), their limits and prices, and coupons.
//!
//! Limits are enforced where the resource is used (uploads, API keys, key-authenticated
//! requests); this module only knows the numbers. On the wire `-1` means unlimited; in code an
//! unlimited limit is [`Limit::Unlimited`], so no caller can compare against `-1` by mistake.
//! Every limit of a higher plan is at least the same limit of a lower plan (a test holds this),
//! which is what lets a stale read of the FREE plan never be more generous than the truth.

use crate::error::FieldError;

const GIB: i64 = 1 << 30;

/// A plan, ordered by rank (`Free < Premium < Enterprise`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlanId {
    Free,
    Premium,
    Enterprise,
}

/// One limit of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Unlimited,
    Max(i64),
}

impl Limit {
    /// `-1` for unlimited, as the API shows it.
    pub fn as_wire(self) -> i64 {
        match self {
            Self::Unlimited => -1,
            Self::Max(n) => n,
        }
    }

    pub fn max(self) -> Option<i64> {
        match self {
            Self::Unlimited => None,
            Self::Max(n) => Some(n),
        }
    }

    /// Whether a total of `amount` stays within the limit.
    pub fn allows(self, amount: i64) -> bool {
        self.max().is_none_or(|max| amount <= max)
    }

    /// `used` as a percentage of the limit (`None` when unlimited).
    pub fn percentage(self, used: i64) -> Option<f64> {
        match self {
            Self::Unlimited => None,
            Self::Max(0) => Some(if used > 0 { 100.0 } else { 0.0 }),
            Self::Max(n) => Some(used as f64 * 100.0 / n as f64),
        }
    }
}

/// What a plan allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of uploads stored (completed plus reserved by pending uploads).
    pub storage_bytes: Limit,
    /// Upload records kept (completed plus pending).
    pub uploads: Limit,
    /// Active API keys.
    pub api_keys: Limit,
    /// Requests authenticated by an API key per calendar month (UTC).
    pub api_requests_per_month: Limit,
}

/// A plan's description, price and limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub id: PlanId,
    pub name: &'static str,
    /// Price per month in minor units (cents).
    pub price_cents: i64,
    pub currency: &'static str,
    pub interval: &'static str,
    pub limits: Limits,
    pub features: &'static [&'static str],
}

static PLANS: [Plan; 3] = [
    Plan {
        id: PlanId::Free,
        name: "Free",
        price_cents: 0,
        currency: "USD",
        interval: "month",
        limits: Limits {
            storage_bytes: Limit::Max(GIB),
            uploads: Limit::Max(1_000),
            api_keys: Limit::Max(10),
            api_requests_per_month: Limit::Max(1_000),
        },
        features: &["1 GiB storage", "1,000 files", "10 API keys", "1,000 API requests/month"],
    },
    Plan {
        id: PlanId::Premium,
        name: "Premium",
        price_cents: 2_999,
        currency: "USD",
        interval: "month",
        limits: Limits {
            storage_bytes: Limit::Max(100 * GIB),
            uploads: Limit::Unlimited,
            api_keys: Limit::Max(25),
            api_requests_per_month: Limit::Max(100_000),
        },
        features: &["100 GiB storage", "Unlimited files", "25 API keys", "100,000 API requests/month", "Animated avatars"],
    },
    Plan {
        id: PlanId::Enterprise,
        name: "Enterprise",
        price_cents: 19_900,
        currency: "USD",
        interval: "month",
        limits: Limits {
            storage_bytes: Limit::Unlimited,
            uploads: Limit::Unlimited,
            api_keys: Limit::Max(100),
            api_requests_per_month: Limit::Unlimited,
        },
        features: &["Unlimited storage", "Unlimited files", "100 API keys", "Unlimited API requests", "Animated avatars"],
    },
];

impl PlanId {
    pub const ALL: [PlanId; 3] = [PlanId::Free, PlanId::Premium, PlanId::Enterprise];

    /// A plan id as a client names it (`PREMIUM`, case-insensitive).
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(raw.trim()))
    }

    /// The plan stored on a user item; anything unknown is the most restrictive plan.
    pub fn from_stored(raw: &str) -> Self {
        Self::parse(raw).unwrap_or(Self::Free)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "FREE",
            Self::Premium => "PREMIUM",
            Self::Enterprise => "ENTERPRISE",
        }
    }

    pub fn plan(self) -> &'static Plan {
        &PLANS[self as usize]
    }

    pub fn limits(self) -> Limits {
        self.plan().limits
    }

    pub fn is_paid(self) -> bool {
        self != Self::Free
    }
}

/// Every plan, cheapest first.
pub fn plans() -> &'static [Plan] {
    &PLANS
}

/// A price in minor units as the API shows it (`2999` → `29.99`).
pub fn cents_to_amount(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// A promotion code from configuration (`COUPONS`): a percentage off every charge for a number
/// of months from the subscription's start (or for ever).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coupon {
    /// Upper case; matched case-insensitively.
    pub code: String,
    /// 1–100.
    pub percent_off: u8,
    /// `None`: for the whole life of the subscription.
    pub duration_months: Option<u32>,
}

impl Coupon {
    /// `CODE:PERCENT[:MONTHS]`, comma-separated (`WELCOME20:20:3,TEAM50:50`). Empty → none.
    pub fn parse_list(raw: &str) -> Result<Vec<Coupon>, String> {
        let mut coupons: Vec<Coupon> = Vec::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let parts: Vec<&str> = entry.split(':').map(str::trim).collect();
            let bad = || format!("coupon `{entry}` must be CODE:PERCENT or CODE:PERCENT:MONTHS");
            let (code, percent, months) = match parts.as_slice() {
                [c, p] => (*c, *p, None),
                [c, p, m] => (*c, *p, Some(*m)),
                _ => return Err(bad()),
            };
            let code_ok = (3..=32).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !code_ok {
                return Err(format!("coupon code `{code}` must be 3-32 of A-Z, 0-9, _ and -"));
            }
            let percent_off = match percent.parse::<u8>() {
                Ok(p) if (1..=100).contains(&p) => p,
                _ => return Err(format!("coupon `{code}`: percent must be 1-100")),
            };
            let duration_months = match months.map(str::parse::<u32>) {
                None => None,
                Some(Ok(m)) if (1..=120).contains(&m) => Some(m),
                Some(_) => return Err(format!("coupon `{code}`: months must be 1-120")),
            };
            let code = code.to_ascii_uppercase();
            if coupons.iter().any(|c| c.code == code) {
                return Err(format!("coupon `{code}` is listed twice"));
            }
            coupons.push(Coupon { code, percent_off, duration_months });
        }
        Ok(coupons)
    }

    /// Finds `raw` among `coupons` (case-insensitive), or says why not.
    pub fn find<'a>(coupons: &'a [Coupon], raw: &str) -> Result<&'a Coupon, FieldError> {
        coupons
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| FieldError::new("couponCode", "is not a valid coupon"))
    }
}

/// `cents` less `percent_off` percent, rounded to the nearest cent.
pub fn discounted(cents: i64, percent_off: u8) -> i64 {
    let keep = 100 - i64::from(percent_off.min(100));
    (cents * keep + 50).div_euclid(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_looked_up_case_insensitively_and_unknown_ones_are_not() {
        assert_eq!(PlanId::parse("premium"), Some(PlanId::Premium));
        assert_eq!(PlanId::parse(" ENTERPRISE "), Some(PlanId::Enterprise));
        assert_eq!(PlanId::parse("GOLD"), None);
        assert_eq!(PlanId::from_stored("garbage"), PlanId::Free);
    }

    #[test]
    fn every_limit_of_a_higher_plan_is_at_least_that_of_a_lower_one() {
        let order = |l: Limit| l.max().unwrap_or(i64::MAX);
        for pair in PlanId::ALL.windows(2) {
            let (lo, hi) = (pair[0].limits(), pair[1].limits());
            for (a, b) in [
                (lo.storage_bytes, hi.storage_bytes),
                (lo.uploads, hi.uploads),
                (lo.api_keys, hi.api_keys),
                (lo.api_requests_per_month, hi.api_requests_per_month),
            ] {
                assert!(order(a) <= order(b), "{:?} vs {:?}", pair[0], pair[1]);
            }
            assert!(pair[0].plan().price_cents < pair[1].plan().price_cents);
        }
    }

    #[test]
    fn unlimited_shows_as_minus_one_and_allows_anything() {
        assert_eq!(Limit::Unlimited.as_wire(), -1);
        assert!(Limit::Unlimited.allows(i64::MAX));
        assert_eq!(Limit::Unlimited.percentage(10), None);
        assert!(Limit::Max(10).allows(10));
        assert!(!Limit::Max(10).allows(11));
        assert_eq!(Limit::Max(200).percentage(50), Some(25.0));
    }

    #[test]
    fn coupons_parse_from_configuration() {
        let list = Coupon::parse_list(" welcome20:20:3 , TEAM-50:50,").unwrap();
        assert_eq!(list[0], Coupon { code: "WELCOME20".into(), percent_off: 20, duration_months: Some(3) });
        assert_eq!(list[1], Coupon { code: "TEAM-50".into(), percent_off: 50, duration_months: None });
        assert_eq!(Coupon::find(&list, "Welcome20").unwrap().percent_off, 20);
        assert_eq!(Coupon::find(&list, "NOPE").unwrap_err().field, "couponCode");
        assert!(Coupon::parse_list("").unwrap().is_empty());
    }

    #[test]
    fn malformed_coupons_are_refused_with_a_reason() {
        for bad in ["X:10", "CODE", "CODE:0", "CODE:101", "CODE:10:0", "CODE:10:x", "A B:10", "DUP:10,dup:20"] {
            assert!(Coupon::parse_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn discounts_round_to_the_nearest_cent() {
        assert_eq!(discounted(2_999, 20), 2_399);
        assert_eq!(discounted(2_999, 100), 0);
        assert_eq!(discounted(999, 50), 500);
        assert_eq!(cents_to_amount(2_999), 29.99);
    }
}
