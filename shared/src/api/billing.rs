//! `/api/plans` (public) and `/api/subscription` (SPEC §3.6, seed 004's shapes).

use crate::App;
use crate::clock::rfc3339;
use crate::domain::{Plan, PlanId, SubscriptionStatus, cents_to_amount, plans};
use crate::error::{Error, FieldError, Result};
use crate::http::{self, Authenticated, ClientInfo, Json, Reply};
use crate::services::billing::{self as svc, Change, NewSubscription, Outcome};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub fn router(app: Arc<App>) -> Router {
    table().finish(app)
}

/// The group's routes (see [`http::RouteTable`]).
pub fn table() -> http::RouteTable {
    http::RouteTable::new()
        .route("/api/plans", get(list_plans))
        .route("/api/subscription", get(get_subscription).post(create_subscription).put(update_subscription))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LimitsResponse {
    storage_bytes: i64,
    uploads: i64,
    api_keys: i64,
    api_requests_per_month: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanResponse {
    id: &'static str,
    name: &'static str,
    price: f64,
    currency: &'static str,
    interval: &'static str,
    /// `-1` = unlimited.
    limits: LimitsResponse,
    features: &'static [&'static str],
}

impl From<&Plan> for PlanResponse {
    fn from(p: &Plan) -> Self {
        Self {
            id: p.id.as_str(),
            name: p.name,
            price: cents_to_amount(p.price_cents),
            currency: p.currency,
            interval: p.interval,
            limits: LimitsResponse {
                storage_bytes: p.limits.storage_bytes.as_wire(),
                uploads: p.limits.uploads.as_wire(),
                api_keys: p.limits.api_keys.as_wire(),
                api_requests_per_month: p.limits.api_requests_per_month.as_wire(),
            },
            features: p.features,
        }
    }
}

/// Public: anyone may see what the plans cost and allow.
async fn list_plans() -> Reply {
    let data: Vec<PlanResponse> = plans().iter().map(PlanResponse::from).collect();
    Reply::ok(&data).header(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("public, max-age=300"))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageResponse {
    uploads_count: i64,
    uploads_limit: i64,
    storage_used: i64,
    storage_limit: i64,
    api_keys_count: i64,
    api_keys_limit: i64,
    api_requests_used: i64,
    api_requests_limit: i64,
    /// When `apiRequestsUsed` starts again from zero (the next UTC month).
    reset_date: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PaymentMethodResponse {
    r#type: &'static str,
    brand: String,
    last4: String,
    expiry_month: u8,
    expiry_year: u16,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CouponResponse {
    code: String,
    percent_off: u8,
    ends_at: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NextBilling {
    date: String,
    amount: f64,
    currency: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionResponse {
    /// `null` for an account that never subscribed (on FREE).
    id: Option<String>,
    /// The subscribed plan (`FREE` without a subscription).
    r#type: &'static str,
    status: &'static str,
    /// The plan whose limits apply now.
    effective_plan: &'static str,
    current_period_start: Option<String>,
    current_period_end: Option<String>,
    cancel_at_period_end: bool,
    trial_end: Option<String>,
    plan: PlanResponse,
    usage: UsageResponse,
    payment_method: Option<PaymentMethodResponse>,
    coupon: Option<CouponResponse>,
    /// Credit from downgrades, taken off the next bill.
    credit: f64,
    next_billing: Option<NextBilling>,
}

async fn get_subscription(State(app): State<Arc<App>>, Authenticated(p): Authenticated) -> Result<Reply> {
    let o = svc::overview(&app, &p).await?;
    let limits = svc::limits_for(o.effective_plan);
    let counters = p.user.usage;
    let usage = UsageResponse {
        uploads_count: counters.uploads_count,
        uploads_limit: limits.uploads.as_wire(),
        storage_used: counters.storage_used,
        storage_limit: limits.storage_bytes.as_wire(),
        api_keys_count: counters.api_keys_active,
        api_keys_limit: limits.api_keys.as_wire(),
        api_requests_used: o.api_requests_used,
        api_requests_limit: limits.api_requests_per_month.as_wire(),
        reset_date: rfc3339(o.api_requests_reset_at),
    };
    let now = o.now;
    let response = match &o.subscription {
        None => SubscriptionResponse {
            id: None,
            r#type: PlanId::Free.as_str(),
            status: SubscriptionStatus::Active.as_str(),
            effective_plan: o.effective_plan.as_str(),
            current_period_start: None,
            current_period_end: None,
            cancel_at_period_end: false,
            trial_end: None,
            plan: PlanResponse::from(PlanId::Free.plan()),
            usage,
            payment_method: None,
            coupon: None,
            credit: 0.0,
            next_billing: None,
        },
        Some(s) => {
            let (start, end) = s.period_at(now);
            let active = s.status != SubscriptionStatus::Incomplete;
            SubscriptionResponse {
                id: Some(s.id.to_string()),
                r#type: s.plan.as_str(),
                status: s.status_at(now).as_str(),
                effective_plan: o.effective_plan.as_str(),
                current_period_start: active.then(|| rfc3339(start)),
                current_period_end: active.then(|| rfc3339(end)),
                cancel_at_period_end: s.cancel_at.is_some(),
                trial_end: None,
                plan: PlanResponse::from(s.plan.plan()),
                usage,
                payment_method: s.payment_method.as_ref().map(|c| PaymentMethodResponse {
                    r#type: "card",
                    brand: c.brand.clone(),
                    last4: c.last4.clone(),
                    expiry_month: c.exp_month,
                    expiry_year: c.exp_year,
                }),
                coupon: s.coupon.as_ref().map(|c| CouponResponse {
                    code: c.code.clone(),
                    percent_off: c.percent_off,
                    ends_at: c.ends_at.map(rfc3339),
                }),
                credit: cents_to_amount(s.credit_cents),
                next_billing: s.next_billing(now).map(|(date, cents)| NextBilling {
                    date: rfc3339(date),
                    amount: cents_to_amount(cents),
                    currency: s.plan.plan().currency,
                }),
            }
        }
    };
    Ok(Reply::ok(&response))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateRequest {
    plan_id: Option<String>,
    payment_method_id: Option<String>,
    coupon_code: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NextAction {
    r#type: &'static str,
    client_secret: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateResponse {
    subscription_id: String,
    status: &'static str,
    plan: &'static str,
    client_secret: Option<String>,
    requires_action: bool,
    next_action: Option<NextAction>,
    /// What was charged for the first month.
    amount: f64,
    current_period_end: Option<String>,
}

async fn create_subscription(
    State(app): State<Arc<App>>,
    Authenticated(p): Authenticated,
    client: ClientInfo,
    Json(body): Json<CreateRequest>,
) -> Result<Reply> {
    let Some(plan_id) = body.plan_id else { return Err(Error::field("planId", "is required")) };
    let new = NewSubscription { plan_id, payment_method_id: body.payment_method_id, coupon_code: body.coupon_code };
    let o = svc::subscribe(&app, &p, new, &client).await?;
    let requires_action = o.client_secret.is_some();
    let active = o.subscription.status == SubscriptionStatus::Active;
    Ok(Reply::with_status(
        axum::http::StatusCode::CREATED,
        &CreateResponse {
            subscription_id: o.subscription.id.to_string(),
            status: o.subscription.status.as_str(),
            plan: o.subscription.plan.as_str(),
            next_action: o.client_secret.clone().map(|client_secret| NextAction { r#type: "authenticate", client_secret }),
            client_secret: o.client_secret,
            requires_action,
            amount: if active { cents_to_amount(o.proration_cents) } else { 0.0 },
            current_period_end: active.then(|| rfc3339(o.subscription.period_at(o.effective_at).1)),
        },
        if requires_action { Some("The payment needs the customer's authentication") } else { Some("Subscription created") },
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UpdateRequest {
    action: Option<String>,
    plan_id: Option<String>,
    payment_method_id: Option<String>,
    /// Seed 004 sends it; only `create_prorations` (what we do) is accepted.
    proration_behavior: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateResponse {
    subscription_id: String,
    status: &'static str,
    plan: &'static str,
    /// Charged now (positive) or credited to the next bill (negative).
    proration_amount: f64,
    effective_date: String,
    cancel_at_period_end: bool,
    requires_action: bool,
    client_secret: Option<String>,
}

fn parse_change(body: UpdateRequest) -> Result<Change> {
    let mut errors = Vec::new();
    if body.proration_behavior.as_deref().is_some_and(|b| b != "create_prorations") {
        errors.push(FieldError::new("prorationBehavior", "only create_prorations is supported"));
    }
    let unused = |errors: &mut Vec<FieldError>, field: &str, present: bool| {
        if present {
            errors.push(FieldError::new(field, "is not used by this action"));
        }
    };
    let change = match body.action.as_deref() {
        Some("upgrade") => {
            Some(Change::Upgrade { plan_id: body.plan_id.clone().unwrap_or_default(), payment_method_id: body.payment_method_id.clone() })
        }
        Some("downgrade") => {
            unused(&mut errors, "paymentMethodId", body.payment_method_id.is_some());
            Some(Change::Downgrade { plan_id: body.plan_id.clone().unwrap_or_default() })
        }
        Some(a @ ("cancel" | "reactivate")) => {
            unused(&mut errors, "planId", body.plan_id.is_some());
            unused(&mut errors, "paymentMethodId", body.payment_method_id.is_some());
            Some(if a == "cancel" { Change::Cancel } else { Change::Reactivate })
        }
        Some("update_payment_method") => {
            unused(&mut errors, "planId", body.plan_id.is_some());
            Some(Change::UpdatePaymentMethod { payment_method_id: body.payment_method_id.clone().unwrap_or_default() })
        }
        Some(_) => {
            errors.push(FieldError::new("action", "must be one of upgrade, downgrade, cancel, reactivate, update_payment_method"));
            None
        }
        None => {
            errors.push(FieldError::new("action", "is required"));
            None
        }
    };
    match change {
        Some(c) if errors.is_empty() => Ok(c),
        _ => Err(Error::Validation(errors)),
    }
}

fn update_response(o: Outcome) -> UpdateResponse {
    UpdateResponse {
        subscription_id: o.subscription.id.to_string(),
        status: o.subscription.status_at(o.subscription.updated_at).as_str(),
        plan: o.subscription.plan.as_str(),
        proration_amount: cents_to_amount(o.proration_cents),
        effective_date: rfc3339(o.effective_at),
        // An abandoned incomplete subscription is cancelled outright, not at a period end.
        cancel_at_period_end: o.subscription.cancel_at.is_some() && o.subscription.status == SubscriptionStatus::Active,
        requires_action: o.client_secret.is_some(),
        client_secret: o.client_secret,
    }
}

async fn update_subscription(
    State(app): State<Arc<App>>,
    Authenticated(p): Authenticated,
    Json(body): Json<UpdateRequest>,
) -> Result<Reply> {
    let change = parse_change(body)?;
    let outcome = svc::change(&app, &p, change).await?;
    Ok(Reply::ok(&update_response(outcome)))
}
