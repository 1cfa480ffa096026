//! Subscriptions and the monthly API request counter.
//!
//! `USER#<uid> / SUBSCRIPTION` is the user's (one) subscription, versioned for optimistic
//! locking. Every change to it is one transaction with the user item's `plan` (what limits
//! are read from), conditioned on the plan the caller saw, so a plan never changes behind a
//! reservation's back (see `uploads.rs`) and a downgrade is refused atomically when usage is
//! over the new plan's limits.
//!
//! `USER#<uid> / APIREQ#<yyyy-mm>` counts key-authenticated requests in a UTC calendar month:
//! `ADD count :one` conditioned on `count < limit`, so the counter stops exactly at the limit
//! under any concurrency (a refused request is not counted).

use super::usage::{API_KEYS_ACTIVE, STORAGE_COMMITTED, UPLOADS_COMMITTED, counters_from_item};
use super::user_codec::{PROFILE, user_pk};
use super::{Item, Store, get_n, get_s, is_condition_failure, key, n, req_s, s, sdk_error, ttl};
use crate::domain::{AppliedCoupon, Card, Event, Limits, PlanId, Subscription, SubscriptionId, SubscriptionStatus, UsageCounters, UserId};
use crate::error::Error;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

const SUBSCRIPTION: &str = "SUBSCRIPTION";

fn api_requests_sk(month: &str) -> String {
    format!("APIREQ#{month}")
}

fn subscription_item(x: &Subscription) -> Item {
    let mut item = key(user_pk(&x.user_id), SUBSCRIPTION);
    let mut put = |k: &str, v: AttributeValue| {
        item.insert(k.to_owned(), v);
    };
    put("type", s("subscription"));
    put("id", s(x.id.as_str()));
    put("userId", s(x.user_id.as_str()));
    put("plan", s(x.plan.as_str()));
    put("status", s(x.status.as_str()));
    put("anchor", n(x.anchor));
    put("creditCents", n(x.credit_cents));
    put("createdAt", n(x.created_at));
    put("updatedAt", n(x.updated_at));
    put("version", n(x.version));
    if let Some(t) = x.cancel_at {
        put("cancelAt", n(t));
    }
    if let Some(c) = &x.payment_method {
        put("pmId", s(&c.payment_method_id));
        put("pmBrand", s(&c.brand));
        put("pmLast4", s(&c.last4));
        put("pmExpMonth", n(i64::from(c.exp_month)));
        put("pmExpYear", n(i64::from(c.exp_year)));
    }
    if let Some(c) = &x.coupon {
        put("couponCode", s(&c.code));
        put("couponPercentOff", n(i64::from(c.percent_off)));
        if let Some(t) = c.ends_at {
            put("couponEndsAt", n(t));
        }
    }
    if let Some(secret) = &x.client_secret {
        put("clientSecret", s(secret));
    }
    item
}

fn subscription_from_item(item: &Item) -> Result<Subscription, Error> {
    let bad = |what: &str| Error::internal(anyhow::anyhow!("stored subscription has a malformed {what}"));
    let payment_method = get_s(item, "pmId").map(|payment_method_id| Card {
        payment_method_id,
        brand: get_s(item, "pmBrand").unwrap_or_default(),
        last4: get_s(item, "pmLast4").unwrap_or_default(),
        exp_month: get_n(item, "pmExpMonth").and_then(|v| u8::try_from(v).ok()).unwrap_or(0),
        exp_year: get_n(item, "pmExpYear").and_then(|v| u16::try_from(v).ok()).unwrap_or(0),
    });
    let coupon = get_s(item, "couponCode").map(|code| AppliedCoupon {
        code,
        percent_off: get_n(item, "couponPercentOff").and_then(|v| u8::try_from(v).ok()).unwrap_or(0),
        ends_at: get_n(item, "couponEndsAt"),
    });
    Ok(Subscription {
        id: SubscriptionId::parse(&req_s(item, "id")?).ok_or_else(|| bad("id"))?,
        user_id: UserId::parse(&req_s(item, "userId")?).ok_or_else(|| bad("userId"))?,
        plan: PlanId::parse(&req_s(item, "plan")?).ok_or_else(|| bad("plan"))?,
        status: get_s(item, "status").as_deref().and_then(SubscriptionStatus::parse).ok_or_else(|| bad("status"))?,
        anchor: get_n(item, "anchor").ok_or_else(|| bad("anchor"))?,
        cancel_at: get_n(item, "cancelAt"),
        payment_method,
        coupon,
        credit_cents: get_n(item, "creditCents").unwrap_or(0),
        client_secret: get_s(item, "clientSecret"),
        created_at: get_n(item, "createdAt").unwrap_or(0),
        updated_at: get_n(item, "updatedAt").unwrap_or(0),
        version: get_n(item, "version").unwrap_or(0),
    })
}

/// What a subscription change does to the user item's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanChange {
    /// Leave the plan alone.
    Keep,
    /// Switch to `to` now (and clear any expiry), only while the stored plan is still `from`,
    /// and — for a downgrade — only while usage (storage, files, active API keys) fits `fits`.
    Switch { from: PlanId, to: PlanId, fits: Option<Limits> },
    /// The current plan runs out at `Some(t)` (cancel), or no longer runs out (`None`: reactivate).
    /// Only while the stored plan is still `plan`.
    ExpireAt { plan: PlanId, at: Option<i64> },
}

/// One subscription write: the new state, the version it replaces (`None`: there was none),
/// and the plan change that goes with it.
#[derive(Debug, Clone)]
pub struct SubscriptionWrite<'a> {
    pub subscription: &'a Subscription,
    pub replaces_version: Option<i64>,
    pub plan: PlanChange,
}

/// Why a subscription write did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionRefusal {
    /// The subscription or the plan changed since they were read.
    Changed,
    /// A downgrade would leave usage over the new plan's limits (the usage at that moment).
    OverLimits(UsageCounters),
}

/// The month's count after a counted request, or the refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiRequestCount {
    Counted(i64),
    OverLimit,
}

impl Store {
    pub async fn get_subscription(&self, user: &UserId) -> Result<Option<Subscription>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(user), SUBSCRIPTION)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("get subscription", e))?;
        out.item.as_ref().map(subscription_from_item).transpose()
    }

    /// The subscription and the month's API request count, in one round trip.
    pub async fn get_subscription_and_requests(&self, user: &UserId, month: &str) -> Result<(Option<Subscription>, i64), Error> {
        let keys = KeysAndAttributes::builder()
            .keys(key(user_pk(user), SUBSCRIPTION))
            .keys(key(user_pk(user), api_requests_sk(month)))
            .consistent_read(true)
            .build()?;
        let out =
            self.client.batch_get_item().request_items(&self.table, keys).send().await.map_err(|e| sdk_error("get subscription", e))?;
        let mut subscription = None;
        let mut requests = 0;
        for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
            if get_s(&item, "sk").as_deref() == Some(SUBSCRIPTION) {
                subscription = Some(subscription_from_item(&item)?);
            } else {
                requests = get_n(&item, "count").unwrap_or(0);
            }
        }
        Ok((subscription, requests))
    }

    /// Writes a subscription and its plan change atomically, with `events` (`user.plan_changed`)
    /// in the same transaction.
    pub async fn save_subscription(&self, w: &SubscriptionWrite<'_>, events: &[Event]) -> Result<Result<(), SubscriptionRefusal>, Error> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(subscription_item(w.subscription)));
        put = match w.replaces_version {
            Some(v) => put.condition_expression("version = :v").expression_attribute_values(":v", n(v)),
            None => put.condition_expression("attribute_not_exists(pk)"),
        };
        let mut items = vec![TransactWriteItem::builder().put(put.build()?).build()];
        let user_key = key(user_pk(&w.subscription.user_id), PROFILE);
        let now = w.subscription.updated_at;
        match &w.plan {
            PlanChange::Keep => {}
            PlanChange::Switch { from, to, fits } => {
                let mut conditions = vec!["#plan = :from".to_owned()];
                let mut update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(user_key))
                    .update_expression("SET #plan = :to, updatedAt = :now REMOVE planExpiresAt")
                    .expression_attribute_names("#plan", "plan")
                    .expression_attribute_values(":from", s(from.as_str()))
                    .expression_attribute_values(":to", s(to.as_str()))
                    .expression_attribute_values(":now", n(now))
                    .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
                if let Some(limits) = fits {
                    if let Some(max) = limits.storage_bytes.max() {
                        conditions.push(format!("(attribute_not_exists({STORAGE_COMMITTED}) OR {STORAGE_COMMITTED} <= :maxStorage)"));
                        update = update.expression_attribute_values(":maxStorage", n(max));
                    }
                    if let Some(max) = limits.uploads.max() {
                        conditions.push(format!("(attribute_not_exists({UPLOADS_COMMITTED}) OR {UPLOADS_COMMITTED} <= :maxUploads)"));
                        update = update.expression_attribute_values(":maxUploads", n(max));
                    }
                    if let Some(max) = limits.api_keys.max() {
                        conditions.push(format!("(attribute_not_exists({API_KEYS_ACTIVE}) OR {API_KEYS_ACTIVE} <= :maxKeys)"));
                        update = update.expression_attribute_values(":maxKeys", n(max));
                    }
                }
                let update = update.condition_expression(conditions.join(" AND ")).build()?;
                items.push(TransactWriteItem::builder().update(update).build());
            }
            PlanChange::ExpireAt { plan, at } => {
                let mut update = Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(user_key))
                    .condition_expression("#plan = :plan")
                    .expression_attribute_names("#plan", "plan")
                    .expression_attribute_values(":plan", s(plan.as_str()))
                    .expression_attribute_values(":now", n(now));
                update = match at {
                    Some(t) => {
                        update.update_expression("SET planExpiresAt = :at, updatedAt = :now").expression_attribute_values(":at", n(*t))
                    }
                    None => update.update_expression("SET updatedAt = :now REMOVE planExpiresAt"),
                };
                items.push(TransactWriteItem::builder().update(update.build()?).build());
            }
        }
        items.extend(super::outbox::outbox_puts(self, events)?);
        let Err(reasons) = self.transact_detailed("save subscription", items).await? else { return Ok(Ok(())) };
        if let (PlanChange::Switch { from, fits: Some(_), .. }, Some(old)) = (&w.plan, reasons.get(1).and_then(|r| r.item.as_ref())) {
            let still_same_plan = get_s(old, "plan").as_deref() == Some(from.as_str());
            if still_same_plan && !reasons[0].condition_failed() {
                return Ok(Err(SubscriptionRefusal::OverLimits(counters_from_item(old))));
            }
        }
        Ok(Err(SubscriptionRefusal::Changed))
    }

    /// Counts one key-authenticated request of `user` in `month` (`2024-01`), unless the count
    /// already reached `limit` (`None`: unlimited, always counted). The item expires at `expires_at`.
    pub async fn count_api_request(
        &self,
        user: &UserId,
        month: &str,
        limit: Option<i64>,
        expires_at: i64,
    ) -> Result<ApiRequestCount, Error> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(user), api_requests_sk(month))))
            .update_expression("ADD #count :one SET #ttl = :ttl")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":ttl", ttl(expires_at))
            .return_values(ReturnValue::UpdatedNew);
        if let Some(limit) = limit {
            update = update
                .condition_expression("attribute_not_exists(#count) OR #count < :limit")
                .expression_attribute_values(":limit", n(limit));
        }
        match update.send().await {
            Ok(out) => Ok(ApiRequestCount::Counted(out.attributes.as_ref().and_then(|a| get_n(a, "count")).unwrap_or(1))),
            Err(e) if is_condition_failure(&e) => Ok(ApiRequestCount::OverLimit),
            Err(e) => Err(sdk_error("count api request", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_round_trip_through_items() {
        let sub = Subscription {
            id: SubscriptionId::parse("sub_01HZY8J6W8K1M2N3P4Q5R6S7T8").unwrap(),
            user_id: UserId::parse("usr_01HZY8J6W8K1M2N3P4Q5R6S7T8").unwrap(),
            plan: PlanId::Premium,
            status: SubscriptionStatus::Active,
            anchor: 1_700_000_000,
            cancel_at: Some(1_702_000_000),
            payment_method: Some(Card {
                payment_method_id: "pm_card_visa".into(),
                brand: "visa".into(),
                last4: "4242".into(),
                exp_month: 12,
                exp_year: 2034,
            }),
            coupon: Some(AppliedCoupon { code: "WELCOME20".into(), percent_off: 20, ends_at: Some(1_708_000_000) }),
            credit_cents: 150,
            client_secret: Some("pi_x_secret_y".into()),
            created_at: 1_700_000_000,
            updated_at: 1_700_000_100,
            version: 3,
        };
        assert_eq!(subscription_from_item(&subscription_item(&sub)).unwrap(), sub);
    }
}
