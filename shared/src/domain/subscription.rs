//! A paid subscription: its plan, monthly billing periods counted from an anchor, cancellation
//! at period end, the payment method on file, an applied coupon and a credit balance, and the
//! arithmetic of prorations. No AWS, no payment provider here.

use super::plan::{PlanId, discounted};
use super::{SubscriptionId, UserId};
use time::{Date, Month, OffsetDateTime};

/// Where a subscription stands (the wire form is upper case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    /// Paid for the current period.
    Active,
    /// Created, but the first payment needs the customer's action (e.g. 3-D Secure).
    Incomplete,
    /// Cancelled and past its last period: the account is back on FREE.
    Canceled,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Incomplete => "INCOMPLETE",
            Self::Canceled => "CANCELED",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "ACTIVE" => Some(Self::Active),
            "INCOMPLETE" => Some(Self::Incomplete),
            "CANCELED" => Some(Self::Canceled),
            _ => None,
        }
    }
}

/// The payment method on file, as the provider describes it (never a card number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub payment_method_id: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: u8,
    pub exp_year: u16,
}

/// A coupon as applied to one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedCoupon {
    pub code: String,
    pub percent_off: u8,
    /// The discount stops applying at this time (`None`: for ever).
    pub ends_at: Option<i64>,
}

impl AppliedCoupon {
    pub fn active_at(&self, t: i64) -> bool {
        self.ends_at.is_none_or(|end| t < end)
    }
}

/// A stored subscription (`USER#<id> / SUBSCRIPTION`). Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: SubscriptionId,
    pub user_id: UserId,
    pub plan: PlanId,
    /// `Active` or `Incomplete` as stored; `Canceled` is what a lapsed one reads as.
    pub status: SubscriptionStatus,
    /// Billing periods are whole calendar months from here.
    pub anchor: i64,
    /// Set by `cancel`: the end of the period the subscription stops at.
    pub cancel_at: Option<i64>,
    pub payment_method: Option<Card>,
    pub coupon: Option<AppliedCoupon>,
    /// Credit from downgrades, in cents, taken off the next bill.
    pub credit_cents: i64,
    /// What the client needs to finish a payment that requires action (`Incomplete` only).
    pub client_secret: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Optimistic lock: every write checks the version it read.
    pub version: i64,
}

impl Subscription {
    /// The status at `now`: a cancelled subscription whose last period is over has lapsed.
    pub fn status_at(&self, now: i64) -> SubscriptionStatus {
        match self.cancel_at {
            Some(end) if end <= now && self.status == SubscriptionStatus::Active => SubscriptionStatus::Canceled,
            _ => self.status,
        }
    }

    /// Active and not lapsed.
    pub fn is_live(&self, now: i64) -> bool {
        self.status_at(now) == SubscriptionStatus::Active
    }

    /// `(start, end)` of the billing period at `now` (the last one, once lapsed).
    pub fn period_at(&self, now: i64) -> (i64, i64) {
        let at = match self.cancel_at {
            Some(end) if end <= now => end - 1,
            _ => now,
        };
        period_containing(self.anchor, at)
    }

    /// The monthly price of `plan` for this subscription at `t` (coupon applied).
    pub fn price_at(&self, plan: PlanId, t: i64) -> i64 {
        let price = plan.plan().price_cents;
        match &self.coupon {
            Some(c) if c.active_at(t) => discounted(price, c.percent_off),
            _ => price,
        }
    }

    /// `(date, amount in cents)` of the next charge, or `None` when it will not renew.
    pub fn next_billing(&self, now: i64) -> Option<(i64, i64)> {
        if !self.is_live(now) || self.cancel_at.is_some() {
            return None;
        }
        let (_, end) = self.period_at(now);
        Some((end, (self.price_at(self.plan, end) - self.credit_cents).max(0)))
    }
}

/// The plan a user may use at `now`: the stored plan, unless its paid time ran out.
pub fn effective_plan(stored: PlanId, plan_expires_at: Option<i64>, now: i64) -> PlanId {
    match plan_expires_at {
        Some(t) if t <= now => PlanId::Free,
        _ => stored,
    }
}

/// The difference between two monthly prices for what is left of a period, in cents
/// (positive: to charge now; negative: a credit). Rounded to the nearest cent.
pub fn proration(old_cents: i64, new_cents: i64, period: (i64, i64), now: i64) -> i64 {
    let (start, end) = period;
    let total = i128::from((end - start).max(1));
    let left = i128::from((end - now).clamp(0, end - start));
    let diff = i128::from(new_cents - old_cents);
    let scaled = diff * left;
    // Round half away from zero.
    let rounded = if scaled >= 0 { (scaled + total / 2) / total } else { (scaled - total / 2) / total };
    rounded as i64
}

/// `t` plus `months` calendar months, keeping the time of day; the day is clamped to the end
/// of a shorter month (31 January + 1 month = 29 February in a leap year).
pub fn add_months(t: i64, months: i64) -> i64 {
    let Ok(at) = OffsetDateTime::from_unix_timestamp(t) else { return t };
    let index = i64::from(at.year()) * 12 + i64::from(u8::from(at.month())) - 1 + months;
    let year = index.div_euclid(12) as i32;
    let month = Month::try_from((index.rem_euclid(12) + 1) as u8).unwrap_or(Month::January);
    let last = time::util::days_in_month(month, year);
    let Ok(date) = Date::from_calendar_date(year, month, at.day().min(last)) else { return t };
    date.with_time(at.time()).assume_utc().unix_timestamp()
}

/// The monthly period (from `anchor`) that contains `t` (the first one for `t` < `anchor`).
pub fn period_containing(anchor: i64, t: i64) -> (i64, i64) {
    if t < anchor {
        return (anchor, add_months(anchor, 1));
    }
    // Estimate by average month length, then correct: at most a step or two either way.
    let mut k = (t - anchor) / 2_629_746;
    while k > 0 && add_months(anchor, k) > t {
        k -= 1;
    }
    while add_months(anchor, k + 1) <= t {
        k += 1;
    }
    (add_months(anchor, k), add_months(anchor, k + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn ts(t: OffsetDateTime) -> i64 {
        t.unix_timestamp()
    }

    #[test]
    fn months_are_added_by_the_calendar_with_the_day_clamped() {
        assert_eq!(add_months(ts(datetime!(2024-01-31 10:00 UTC)), 1), ts(datetime!(2024-02-29 10:00 UTC)));
        assert_eq!(add_months(ts(datetime!(2023-01-31 10:00 UTC)), 1), ts(datetime!(2023-02-28 10:00 UTC)));
        assert_eq!(add_months(ts(datetime!(2024-11-15 00:00 UTC)), 3), ts(datetime!(2025-02-15 00:00 UTC)));
        assert_eq!(add_months(ts(datetime!(2024-03-15 00:00 UTC)), -3), ts(datetime!(2023-12-15 00:00 UTC)));
    }

    #[test]
    fn the_period_containing_a_time_is_found_from_the_anchor() {
        let anchor = ts(datetime!(2024-01-31 12:00 UTC));
        assert_eq!(period_containing(anchor, anchor), (anchor, ts(datetime!(2024-02-29 12:00 UTC))));
        let t = ts(datetime!(2024-05-01 00:00 UTC));
        assert_eq!(period_containing(anchor, t), (ts(datetime!(2024-04-30 12:00 UTC)), ts(datetime!(2024-05-31 12:00 UTC))));
        let end = ts(datetime!(2024-02-29 12:00 UTC));
        assert_eq!(period_containing(anchor, end).0, end, "a period's end is the next one's start");
    }

    #[test]
    fn proration_charges_the_difference_for_the_time_left() {
        let period = (0, 30 * 86_400);
        assert_eq!(proration(2_999, 19_900, period, 0), 16_901, "whole period left");
        assert_eq!(proration(2_999, 19_900, period, 20 * 86_400), 5_634, "a third left: 16901 / 3 = 5633.67");
        assert_eq!(proration(19_900, 2_999, period, 15 * 86_400), -8_451, "a credit when going down: -16901 / 2 = -8450.5");
        assert_eq!(proration(2_999, 19_900, period, 30 * 86_400), 0, "nothing left");
        assert_eq!(proration(2_999, 19_900, period, 40 * 86_400), 0);
    }

    #[test]
    fn a_cancelled_subscription_lapses_at_its_period_end_and_the_plan_falls_back_to_free() {
        let anchor = ts(datetime!(2024-01-10 00:00 UTC));
        let end = ts(datetime!(2024-02-10 00:00 UTC));
        let sub = Subscription {
            id: SubscriptionId::parse("sub_01HZY8J6W8K1M2N3P4Q5R6S7T8").unwrap(),
            user_id: UserId::parse("usr_01HZY8J6W8K1M2N3P4Q5R6S7T8").unwrap(),
            plan: PlanId::Premium,
            status: SubscriptionStatus::Active,
            anchor,
            cancel_at: Some(end),
            payment_method: None,
            coupon: None,
            credit_cents: 0,
            client_secret: None,
            created_at: anchor,
            updated_at: anchor,
            version: 1,
        };
        assert_eq!(sub.status_at(end - 1), SubscriptionStatus::Active);
        assert_eq!(sub.status_at(end), SubscriptionStatus::Canceled);
        assert_eq!(sub.period_at(end + 90 * 86_400), (anchor, end), "a lapsed subscription shows its last period");
        assert_eq!(sub.next_billing(end - 1), None, "a cancelled subscription does not renew");
        assert_eq!(effective_plan(PlanId::Premium, Some(end), end - 1), PlanId::Premium);
        assert_eq!(effective_plan(PlanId::Premium, Some(end), end), PlanId::Free);
        assert_eq!(effective_plan(PlanId::Enterprise, None, end), PlanId::Enterprise);
    }

    #[test]
    fn the_next_bill_applies_the_coupon_while_it_lasts_and_the_credit() {
        let anchor = ts(datetime!(2024-01-10 00:00 UTC));
        let mut sub = Subscription {
            id: SubscriptionId::parse("sub_01HZY8J6W8K1M2N3P4Q5R6S7T8").unwrap(),
            user_id: UserId::parse("usr_01HZY8J6W8K1M2N3P4Q5R6S7T8").unwrap(),
            plan: PlanId::Premium,
            status: SubscriptionStatus::Active,
            anchor,
            cancel_at: None,
            payment_method: None,
            coupon: Some(AppliedCoupon { code: "X".into(), percent_off: 20, ends_at: Some(add_months(anchor, 2)) }),
            credit_cents: 100,
            client_secret: None,
            created_at: anchor,
            updated_at: anchor,
            version: 1,
        };
        assert_eq!(sub.next_billing(anchor), Some((add_months(anchor, 1), 2_399 - 100)));
        assert_eq!(sub.next_billing(add_months(anchor, 1)), Some((add_months(anchor, 2), 2_999 - 100)), "the coupon has ended");
        sub.credit_cents = 10_000;
        assert_eq!(sub.next_billing(anchor).unwrap().1, 0, "never a negative bill");
    }
}
