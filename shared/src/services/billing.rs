//! Plans, subscriptions and the limits that depend on them (SPEC §3.6).
//!
//! - [`limits_for`]: a plan's limits, the one place other groups read them from.
//! - [`month_window`]: the UTC month API requests are counted in; the counting itself is part of
//!   key authorisation ([`super::authn::count_api_request`]), which meters every key-authenticated
//!   request (see docs/decisions.md, "API keys").
//! - [`subscribe`] / [`change`] / [`overview`]: the subscription flows. Payment goes through the
//!   [`PaymentProvider`](crate::payments::PaymentProvider) port of `payments.rs`, beside its sandbox adapter.
//!
//! Periods are calendar months from the subscription's anchor. Recurring charges at period end
//! are the provider's business (a real provider bills and reports back by webhook, not built
//! yet); the sandbox does not bill renewals. A cancelled plan ends at its period end without any
//! job: the user item carries `planExpiresAt` and [`crate::domain::User::effective_plan`] falls
//! back to FREE from that moment.

use super::Principal;
use crate::App;
use crate::domain::ClientInfo;
use crate::domain::{
    AppliedCoupon, Coupon, Limits, PlanId, Subscription, SubscriptionId, SubscriptionStatus, UsageCounters, User, add_months, proration,
};
use crate::error::{Error, FieldError, Result};
use crate::payments::{ChargeRequest, PaymentOutcome};
use crate::store::{PlanChange, SubscriptionRefusal, SubscriptionWrite};
use time::{Date, Month, OffsetDateTime};

/// A plan's limits (`Limit::Unlimited` is `-1` on the wire).
pub fn limits_for(plan: PlanId) -> Limits {
    plan.limits()
}

// ---- the monthly API request window ---------------------------------------------------------------

/// The UTC calendar month of `now` as `2024-01`, and the first instant of the next month.
pub fn month_window(now: OffsetDateTime) -> (String, OffsetDateTime) {
    let month = format!("{:04}-{:02}", now.year(), u8::from(now.month()));
    let (year, next) = if now.month() == Month::December { (now.year() + 1, Month::January) } else { (now.year(), now.month().next()) };
    let reset = Date::from_calendar_date(year, next, 1).map(|d| d.midnight().assume_utc()).unwrap_or(now);
    (month, reset)
}

// ---- reading ------------------------------------------------------------------------------------

/// Everything `GET /api/subscription` shows.
#[derive(Debug, Clone)]
pub struct Overview {
    /// `None` for an account that never subscribed.
    pub subscription: Option<Subscription>,
    pub effective_plan: PlanId,
    pub api_requests_used: i64,
    pub api_requests_reset_at: i64,
    pub now: i64,
}

/// The caller's subscription and usage: one `BatchGetItem` besides authentication.
pub async fn overview(app: &App, principal: &Principal) -> Result<Overview> {
    let now = app.clock.now();
    let (month, reset) = month_window(now);
    let (subscription, api_requests_used) = app.store.get_subscription_and_requests(&principal.user.id, &month).await?;
    Ok(Overview {
        subscription,
        effective_plan: principal.user.effective_plan(now.unix_timestamp()),
        api_requests_used,
        api_requests_reset_at: reset.unix_timestamp(),
        now: now.unix_timestamp(),
    })
}

// ---- subscribing ----------------------------------------------------------------------------------

/// `POST /api/subscription` input.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub plan_id: String,
    pub payment_method_id: Option<String>,
    pub coupon_code: Option<String>,
}

/// What subscribing or changing did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub subscription: Subscription,
    /// Charged now (positive) or credited to the next bill (negative), in cents.
    pub proration_cents: i64,
    /// When the change takes effect.
    pub effective_at: i64,
    /// `Some` when the customer must authenticate the payment first.
    pub client_secret: Option<String>,
}

fn required(value: Option<&str>, field: &str) -> std::result::Result<String, FieldError> {
    match value.map(str::trim) {
        Some(v) if !v.is_empty() && v.len() <= 255 => Ok(v.to_owned()),
        Some(v) if v.len() > 255 => Err(FieldError::new(field, "is too long")),
        _ => Err(FieldError::new(field, "is required")),
    }
}

fn declined(decline_code: &str, message: &str) -> Error {
    Error::PaymentFailed { decline_code: decline_code.to_owned(), message: message.to_owned() }
}

/// Subscribes a user on FREE (or whose subscription lapsed or never completed) to a paid plan:
/// charges the first month (coupon applied), then switches the plan. A payment that needs the
/// customer's action leaves an `INCOMPLETE` subscription and the plan unchanged; it completes
/// with `update_payment_method`.
pub async fn subscribe(app: &App, principal: &Principal, input: NewSubscription, client: &ClientInfo) -> Result<Outcome> {
    let plan = PlanId::parse(&input.plan_id).ok_or(Error::PlanNotFound)?;
    if !plan.is_paid() {
        return Err(Error::field("planId", "FREE needs no subscription; to leave a paid plan, cancel it (PUT action cancel)"));
    }
    let mut errors = Vec::new();
    let payment_method = required(input.payment_method_id.as_deref(), "paymentMethodId").map_err(|e| errors.push(e)).ok();
    let coupon = match input.coupon_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => {
            // Each try is counted, conditionally, before the code is looked at: parallel
            // guesses get no more than the budget (per account and per address).
            let limit = app.config.coupon_attempts;
            super::limits::count_account_attempt(app, "coupon", &principal.user.id, limit).await?;
            super::limits::count_address_attempt(app, "coupon-ip", client, limit).await?;
            Coupon::find(&app.config.coupons, code).map_err(|e| errors.push(e)).ok()
        }
        None => None,
    };
    let (Some(payment_method), true) = (payment_method, errors.is_empty()) else { return Err(Error::Validation(errors)) };

    let now = app.now();
    let user = &principal.user;
    let existing = app.store.get_subscription(&user.id).await?;
    if existing.as_ref().is_some_and(|s| s.is_live(now)) {
        return Err(Error::InvalidState("already subscribed: change the plan with PUT /api/subscription"));
    }
    let id = SubscriptionId::generate(app.clock.now());
    let mut subscription = Subscription {
        id: id.clone(),
        user_id: user.id.clone(),
        plan,
        status: SubscriptionStatus::Active,
        anchor: now,
        cancel_at: None,
        payment_method: None,
        coupon: coupon.map(|c| AppliedCoupon {
            code: c.code.clone(),
            percent_off: c.percent_off,
            ends_at: c.duration_months.map(|m| add_months(now, i64::from(m))),
        }),
        credit_cents: 0,
        client_secret: None,
        created_at: now,
        updated_at: now,
        version: existing.as_ref().map_or(1, |s| s.version + 1),
    };
    let amount = subscription.price_at(plan, now);
    let request = ChargeRequest {
        customer: user.id.to_string(),
        payment_method_id: payment_method,
        amount_cents: amount,
        currency: plan.plan().currency,
        description: format!("{} plan, first month", plan.plan().name),
        idempotency_key: id.to_string(),
    };
    let (plan_change, charge_id) = match app.payments.charge(request).await? {
        PaymentOutcome::Succeeded { card, charge_id } => {
            subscription.payment_method = Some(card);
            (PlanChange::Switch { from: user.plan, to: plan, fits: None }, charge_id)
        }
        PaymentOutcome::RequiresAction { client_secret } => {
            subscription.status = SubscriptionStatus::Incomplete;
            subscription.client_secret = Some(client_secret);
            (PlanChange::Keep, None)
        }
        PaymentOutcome::Declined { decline_code, message } => return Err(declined(&decline_code, &message)),
        PaymentOutcome::UnknownPaymentMethod => return Err(Error::field("paymentMethodId", "is not a known payment method")),
    };
    let write = SubscriptionWrite { subscription: &subscription, replaces_version: existing.map(|s| s.version), plan: plan_change };
    save(app, &write, charge_id.as_deref()).await?;
    tracing::info!(user = %user.id, subscription = %subscription.id, plan = plan.as_str(), status = subscription.status.as_str(), "subscribed");
    let client_secret = subscription.client_secret.clone();
    Ok(Outcome { subscription, proration_cents: amount, effective_at: now, client_secret })
}

/// Stores a change; if it cannot be stored after money moved, gives the money back.
/// `user.plan_changed` for a write that changes the plan now or when it runs out (none for a
/// write that keeps it: a payment method, an incomplete first payment).
fn plan_event(app: &App, write: &SubscriptionWrite<'_>) -> Option<crate::domain::Event> {
    let user = &write.subscription.user_id;
    let (from, to, action, expires_at) = match &write.plan {
        PlanChange::Keep => return None,
        PlanChange::Switch { from, to, .. } => {
            let action = if *from == PlanId::Free {
                "subscribe"
            } else if to > from {
                "upgrade"
            } else {
                "downgrade"
            };
            (*from, *to, action, None)
        }
        PlanChange::ExpireAt { plan, at: Some(t) } => (*plan, PlanId::Free, "cancel", Some(*t)),
        PlanChange::ExpireAt { plan, at: None } => (*plan, *plan, "reactivate", None),
    };
    Some(super::events::plan_changed(&*app.clock, user, &from, &to, action, expires_at))
}

async fn save(app: &App, write: &SubscriptionWrite<'_>, charge_id: Option<&str>) -> Result<()> {
    let events: Vec<crate::domain::Event> = plan_event(app, write).into_iter().collect();
    let refusal = match app.store.save_subscription(write, &events).await {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(refusal)) => refusal,
        Err(e) => {
            refund(app, charge_id).await;
            return Err(e);
        }
    };
    refund(app, charge_id).await;
    match refusal {
        SubscriptionRefusal::Changed => Err(Error::Conflict),
        SubscriptionRefusal::OverLimits(usage) => {
            let PlanChange::Switch { to, .. } = &write.plan else { return Err(Error::Conflict) };
            Err(over_limits(*to, &usage))
        }
    }
}

async fn refund(app: &App, charge_id: Option<&str>) {
    if let Some(id) = charge_id
        && let Err(e) = app.payments.refund(id).await
    {
        tracing::error!(charge = id, error = %e, "refund after a failed subscription write failed; reconcile by hand");
    }
}

/// The refusal of a downgrade, naming each limit the usage is over.
fn over_limits(plan: PlanId, usage: &UsageCounters) -> Error {
    let limits = limits_for(plan);
    let name = plan.as_str();
    let mut fields = Vec::new();
    if !limits.storage_bytes.allows(usage.storage_committed) {
        let allowed = limits.storage_bytes.as_wire();
        fields.push(FieldError::new("storage", format!("{} bytes stored or reserved; {name} allows {allowed}", usage.storage_committed)));
    }
    if !limits.uploads.allows(usage.uploads_committed) {
        fields.push(FieldError::new("uploads", format!("{} files; {name} allows {}", usage.uploads_committed, limits.uploads.as_wire())));
    }
    if !limits.api_keys.allows(usage.api_keys_active) {
        fields.push(FieldError::new(
            "apiKeys",
            format!("{} active API keys; {name} allows {}", usage.api_keys_active, limits.api_keys.as_wire()),
        ));
    }
    Error::UsageOverPlanLimits(fields)
}

/// Whether `usage` fits every limit of `plan`.
fn fits(plan: PlanId, usage: &UsageCounters) -> bool {
    let limits = limits_for(plan);
    limits.storage_bytes.allows(usage.storage_committed)
        && limits.uploads.allows(usage.uploads_committed)
        && limits.api_keys.allows(usage.api_keys_active)
}

// ---- changing ----------------------------------------------------------------------------------------

/// `PUT /api/subscription` actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Upgrade { plan_id: String, payment_method_id: Option<String> },
    Downgrade { plan_id: String },
    Cancel,
    Reactivate,
    UpdatePaymentMethod { payment_method_id: String },
}

/// Applies one change to the caller's subscription.
///
/// - `upgrade`: immediately; the difference for the rest of the period is charged now.
/// - `downgrade` to a lower paid plan: immediately, the difference credited to the next bill;
///   to FREE: at the period end (like `cancel`). Either way it is refused (409 `CONFLICT`,
///   details per limit) while usage is over the new plan's limits — atomically for paid plans.
/// - `cancel`: at the period end (`cancelAtPeriodEnd`); `reactivate` undoes that before then.
/// - `update_payment_method`: checks and stores the new method; on an `INCOMPLETE`
///   subscription it pays the first month with it and activates the plan.
pub async fn change(app: &App, principal: &Principal, change: Change) -> Result<Outcome> {
    let now = app.now();
    let user = &principal.user;
    let current = app.store.get_subscription(&user.id).await?.ok_or(Error::SubscriptionNotFound)?;
    let status = current.status_at(now);
    if status == SubscriptionStatus::Canceled {
        return Err(Error::SubscriptionNotFound);
    }
    if status == SubscriptionStatus::Incomplete && !matches!(change, Change::UpdatePaymentMethod { .. } | Change::Cancel) {
        return Err(Error::InvalidState(
            "the first payment needs the customer's action: complete it with update_payment_method, or cancel",
        ));
    }
    let mut next = current.clone();
    next.version = current.version + 1;
    next.updated_at = now;
    match change {
        Change::Upgrade { plan_id, payment_method_id } => upgrade(app, user, current, next, &plan_id, payment_method_id, now).await,
        Change::Downgrade { plan_id } => downgrade(app, user, current, next, &plan_id, now).await,
        Change::Cancel if status == SubscriptionStatus::Incomplete => {
            next.status = SubscriptionStatus::Canceled;
            next.client_secret = None;
            next.cancel_at = Some(now);
            let write = SubscriptionWrite { subscription: &next, replaces_version: Some(current.version), plan: PlanChange::Keep };
            save(app, &write, None).await?;
            Ok(Outcome { subscription: next, proration_cents: 0, effective_at: now, client_secret: None })
        }
        Change::Cancel => {
            let (_, end) = current.period_at(now);
            if current.cancel_at.is_some() {
                return Ok(Outcome { subscription: current, proration_cents: 0, effective_at: end, client_secret: None });
            }
            next.cancel_at = Some(end);
            let plan = PlanChange::ExpireAt { plan: user.plan, at: Some(end) };
            save(app, &SubscriptionWrite { subscription: &next, replaces_version: Some(current.version), plan }, None).await?;
            tracing::info!(user = %user.id, subscription = %next.id, "subscription cancelled at period end");
            Ok(Outcome { subscription: next, proration_cents: 0, effective_at: end, client_secret: None })
        }
        Change::Reactivate => {
            if current.cancel_at.is_none() {
                return Ok(Outcome { subscription: current, proration_cents: 0, effective_at: now, client_secret: None });
            }
            next.cancel_at = None;
            let plan = PlanChange::ExpireAt { plan: user.plan, at: None };
            save(app, &SubscriptionWrite { subscription: &next, replaces_version: Some(current.version), plan }, None).await?;
            Ok(Outcome { subscription: next, proration_cents: 0, effective_at: now, client_secret: None })
        }
        Change::UpdatePaymentMethod { payment_method_id } => update_payment_method(app, user, current, next, &payment_method_id, now).await,
    }
}

fn target_plan(plan_id: &str) -> Result<PlanId> {
    if plan_id.trim().is_empty() {
        return Err(Error::field("planId", "is required"));
    }
    PlanId::parse(plan_id).ok_or(Error::PlanNotFound)
}

async fn upgrade(
    app: &App,
    user: &User,
    current: Subscription,
    mut next: Subscription,
    plan_id: &str,
    payment_method_id: Option<String>,
    now: i64,
) -> Result<Outcome> {
    let to = target_plan(plan_id)?;
    if to <= current.plan {
        return Err(Error::field("planId", "must be a higher plan than the current one (use downgrade for a lower one)"));
    }
    let period = current.period_at(now);
    let amount = proration(current.price_at(current.plan, now), current.price_at(to, now), period, now);
    let method = match payment_method_id.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.to_owned(),
        None => current
            .payment_method
            .as_ref()
            .map(|c| c.payment_method_id.clone())
            .ok_or_else(|| Error::field("paymentMethodId", "is required"))?,
    };
    let request = ChargeRequest {
        customer: user.id.to_string(),
        payment_method_id: method,
        amount_cents: amount.max(0),
        currency: to.plan().currency,
        description: format!("Upgrade to {} (prorated)", to.plan().name),
        idempotency_key: format!("{}-v{}", current.id, next.version),
    };
    let charge_id = match app.payments.charge(request).await? {
        PaymentOutcome::Succeeded { card, charge_id } => {
            next.payment_method = Some(card);
            charge_id
        }
        PaymentOutcome::RequiresAction { .. } => {
            return Err(declined("authentication_required", "the payment method needs the customer's authentication; use another one"));
        }
        PaymentOutcome::Declined { decline_code, message } => return Err(declined(&decline_code, &message)),
        PaymentOutcome::UnknownPaymentMethod => return Err(Error::field("paymentMethodId", "is not a known payment method")),
    };
    next.plan = to;
    // Paying for more is a clear wish to stay: a pending cancellation is dropped.
    next.cancel_at = None;
    let plan = PlanChange::Switch { from: user.plan, to, fits: None };
    save(app, &SubscriptionWrite { subscription: &next, replaces_version: Some(current.version), plan }, charge_id.as_deref()).await?;
    tracing::info!(user = %user.id, subscription = %next.id, plan = to.as_str(), "subscription upgraded");
    Ok(Outcome { subscription: next, proration_cents: amount, effective_at: now, client_secret: None })
}

async fn downgrade(app: &App, user: &User, current: Subscription, mut next: Subscription, plan_id: &str, now: i64) -> Result<Outcome> {
    let to = target_plan(plan_id)?;
    if to >= current.plan {
        return Err(Error::field("planId", "must be a lower plan than the current one (use upgrade for a higher one)"));
    }
    let (_, end) = current.period_at(now);
    if to == PlanId::Free {
        // FREE has no subscription: leaving the paid plan is a cancellation at period end, but
        // only when what is stored already fits FREE (the plan stays paid until then).
        if !fits(PlanId::Free, &user.usage) {
            return Err(over_limits(PlanId::Free, &user.usage));
        }
        next.cancel_at = Some(end);
        let plan = PlanChange::ExpireAt { plan: user.plan, at: Some(end) };
        save(app, &SubscriptionWrite { subscription: &next, replaces_version: Some(current.version), plan }, None).await?;
        return Ok(Outcome { subscription: next, proration_cents: 0, effective_at: end, client_secret: None });
    }
    let period = current.period_at(now);
    let credit = proration(current.price_at(current.plan, now), current.price_at(to, now), period, now);
    next.plan = to;
    next.credit_cents = current.credit_cents - credit.min(0);
    next.cancel_at = None;
    let plan = PlanChange::Switch { from: user.plan, to, fits: Some(limits_for(to)) };
    save(app, &SubscriptionWrite { subscription: &next, replaces_version: Some(current.version), plan }, None).await?;
    tracing::info!(user = %user.id, subscription = %next.id, plan = to.as_str(), "subscription downgraded");
    Ok(Outcome { subscription: next, proration_cents: credit.min(0), effective_at: now, client_secret: None })
}

async fn update_payment_method(
    app: &App,
    user: &User,
    current: Subscription,
    mut next: Subscription,
    payment_method_id: &str,
    now: i64,
) -> Result<Outcome> {
    let method = required(Some(payment_method_id), "paymentMethodId").map_err(|e| Error::Validation(vec![e]))?;
    if current.status == SubscriptionStatus::Incomplete {
        // Finish the first payment with the new method.
        let amount = current.price_at(current.plan, now);
        let request = ChargeRequest {
            customer: user.id.to_string(),
            payment_method_id: method,
            amount_cents: amount,
            currency: current.plan.plan().currency,
            description: format!("{} plan, first month", current.plan.plan().name),
            idempotency_key: format!("{}-v{}", current.id, next.version),
        };
        return match app.payments.charge(request).await? {
            PaymentOutcome::Succeeded { card, charge_id } => {
                next.status = SubscriptionStatus::Active;
                next.payment_method = Some(card);
                next.client_secret = None;
                next.anchor = now;
                let plan = PlanChange::Switch { from: user.plan, to: current.plan, fits: None };
                save(app, &SubscriptionWrite { subscription: &next, replaces_version: Some(current.version), plan }, charge_id.as_deref())
                    .await?;
                tracing::info!(user = %user.id, subscription = %next.id, "incomplete subscription paid");
                Ok(Outcome { subscription: next, proration_cents: amount, effective_at: now, client_secret: None })
            }
            PaymentOutcome::RequiresAction { client_secret } => {
                next.client_secret = Some(client_secret.clone());
                save(
                    app,
                    &SubscriptionWrite { subscription: &next, replaces_version: Some(current.version), plan: PlanChange::Keep },
                    None,
                )
                .await?;
                Ok(Outcome { subscription: next, proration_cents: 0, effective_at: now, client_secret: Some(client_secret) })
            }
            PaymentOutcome::Declined { decline_code, message } => Err(declined(&decline_code, &message)),
            PaymentOutcome::UnknownPaymentMethod => Err(Error::field("paymentMethodId", "is not a known payment method")),
        };
    }
    match app.payments.attach(user.id.as_str(), &method).await? {
        PaymentOutcome::Succeeded { card, .. } => next.payment_method = Some(card),
        PaymentOutcome::RequiresAction { .. } => {
            return Err(declined("authentication_required", "the payment method needs the customer's authentication; use another one"));
        }
        PaymentOutcome::Declined { decline_code, message } => return Err(declined(&decline_code, &message)),
        PaymentOutcome::UnknownPaymentMethod => return Err(Error::field("paymentMethodId", "is not a known payment method")),
    }
    save(app, &SubscriptionWrite { subscription: &next, replaces_version: Some(current.version), plan: PlanChange::Keep }, None).await?;
    Ok(Outcome { subscription: next, proration_cents: 0, effective_at: now, client_secret: None })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_request_month_resets_at_the_first_of_the_next_utc_month() {
        let (month, reset) = month_window(datetime!(2024-01-31 23:59:59 UTC));
        assert_eq!(month, "2024-01");
        assert_eq!(reset, datetime!(2024-02-01 00:00 UTC));
        let (month, reset) = month_window(datetime!(2024-12-15 08:00 UTC));
        assert_eq!(month, "2024-12");
        assert_eq!(reset, datetime!(2025-01-01 00:00 UTC));
    }

    #[test]
    fn limits_come_from_the_plan_catalogue() {
        assert_eq!(limits_for(PlanId::Free).api_requests_per_month, crate::domain::Limit::Max(1_000));
        assert_eq!(limits_for(PlanId::Enterprise).api_requests_per_month.as_wire(), -1);
    }

    #[test]
    fn a_downgrade_refusal_names_each_limit_exceeded() {
        let mut usage = UsageCounters { storage_committed: 2 << 30, uploads_committed: 5, ..Default::default() };
        assert!(!fits(PlanId::Free, &usage));
        let Error::UsageOverPlanLimits(fields) = over_limits(PlanId::Free, &usage) else { panic!() };
        assert_eq!(fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["storage"]);
        usage.uploads_committed = 5_000;
        usage.api_keys_active = 11;
        let Error::UsageOverPlanLimits(fields) = over_limits(PlanId::Free, &usage) else { panic!() };
        assert_eq!(fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["storage", "uploads", "apiKeys"]);
        assert!(fits(PlanId::Enterprise, &usage));
    }
}
