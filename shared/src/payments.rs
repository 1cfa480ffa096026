//! The payment port ([`PaymentProvider`], [`ChargeRequest`], [`PaymentOutcome`]) and the
//! shipped adapter, for the subscription flows of `services::billing`.
//!
//! The port is declared here, beside its adapter, rather than in the service that uses it:
//! adapters sit below the services in the dependency rule (`lib.rs`), so an adapter that
//! implemented a trait of `services` would point upward.
//!
//! The shipped [`SandboxProvider`] moves no money: it answers by the payment method id, with
//! the test ids Stripe users know, so every billing flow (success, decline, customer action)
//! can be tried and tested. A real provider implements the same [`PaymentProvider`] trait and
//! is chosen in `App::new` by `PAYMENT_PROVIDER` ([`PaymentProviderKind`]); a deployment that
//! names none gets [`NoProvider`], which refuses payments, never the sandbox.
//!
//! | payment method id | result |
//! | --- | --- |
//! | `pm_card_visa` | succeeds (visa, last4 4242) |
//! | `pm_card_mastercard` | succeeds (mastercard, last4 4444) |
//! | `pm_card_chargeDeclined` | declined, `card_declined` → 402 `PAYMENT_FAILED` |
//! | `pm_card_chargeDeclinedInsufficientFunds` | declined, `insufficient_funds` → 402 |
//! | `pm_card_authenticationRequired` | requires the customer's action (3-D Secure): a client secret |
//! | anything else | unknown payment method → 400 `VALIDATION_FAILED` |

use crate::domain::Card;
use crate::error::Result;
use crate::tokens::random_token;
use std::future::Future;
use std::pin::Pin;

// ---- the port ---------------------------------------------------------------------------------

/// A future a provider returns (object-safe, so `App` can hold any provider).
pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// One charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// The user id: the provider's customer reference.
    pub customer: String,
    pub payment_method_id: String,
    pub amount_cents: i64,
    pub currency: &'static str,
    pub description: String,
    /// Repeating a request with the same key must not charge twice.
    pub idempotency_key: String,
}

/// What the provider answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// Charged (or, for [`PaymentProvider::attach`], usable); `charge_id` is `None` for attach.
    Succeeded { card: Card, charge_id: Option<String> },
    /// The customer must act (3-D Secure) with this client secret before money moves.
    RequiresAction { client_secret: String },
    /// The issuer said no.
    Declined { decline_code: String, message: String },
    /// The provider knows no such payment method.
    UnknownPaymentMethod,
}

/// The port a payment provider implements. Amounts are in minor units.
pub trait PaymentProvider: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    /// Checks that a payment method can be charged later (no money moves) and describes it.
    fn attach<'a>(&'a self, customer: &'a str, payment_method_id: &'a str) -> ProviderFuture<'a, PaymentOutcome>;
    fn charge(&self, request: ChargeRequest) -> ProviderFuture<'_, PaymentOutcome>;
    /// Gives a charge back (used when our own write fails after the money moved).
    fn refund<'a>(&'a self, charge_id: &'a str) -> ProviderFuture<'a, ()>;
}

// ---- choosing one ---------------------------------------------------------------------------------

/// `PAYMENT_PROVIDER`: which provider a deployment takes payments with. There is no silent
/// default to the sandbox: unset means [`PaymentProviderKind::None`], which refuses every
/// payment with a clear error, so a stack deployed without a choice cannot hand out paid
/// plans for a test card number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PaymentProviderKind {
    /// No provider: paid plans cannot be bought (`402 PAYMENT_FAILED`, `payments_disabled`).
    #[default]
    None,
    /// The [`SandboxProvider`]: moves no money, accepts the test cards. Local and test only.
    Sandbox,
}

impl PaymentProviderKind {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "none" => Some(Self::None),
            "sandbox" => Some(Self::Sandbox),
            _ => None,
        }
    }

    /// The provider `App` holds.
    pub fn provider(self) -> std::sync::Arc<dyn PaymentProvider> {
        match self {
            Self::None => std::sync::Arc::new(NoProvider),
            Self::Sandbox => std::sync::Arc::new(SandboxProvider),
        }
    }
}

/// The provider of a deployment that takes no payments: every attach or charge is refused.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProvider;

fn payments_disabled() -> crate::error::Error {
    crate::error::Error::PaymentFailed {
        decline_code: "payments_disabled".into(),
        message: "this deployment takes no payments (PAYMENT_PROVIDER=none)".into(),
    }
}

impl PaymentProvider for NoProvider {
    fn name(&self) -> &'static str {
        "none"
    }

    fn attach<'a>(&'a self, _customer: &'a str, _payment_method_id: &'a str) -> ProviderFuture<'a, PaymentOutcome> {
        Box::pin(async { Err(payments_disabled()) })
    }

    fn charge(&self, _request: ChargeRequest) -> ProviderFuture<'_, PaymentOutcome> {
        Box::pin(async { Err(payments_disabled()) })
    }

    fn refund<'a>(&'a self, charge_id: &'a str) -> ProviderFuture<'a, ()> {
        // Nothing was ever charged through it; a refund is a bug elsewhere, not the client's.
        tracing::error!(charge = charge_id, "refund asked of the no-payments provider");
        Box::pin(async { Err(payments_disabled()) })
    }
}

// ---- the sandbox adapter ------------------------------------------------------------------------

/// The sandbox's test payment methods.
pub const SANDBOX_VISA: &str = "pm_card_visa";
pub const SANDBOX_MASTERCARD: &str = "pm_card_mastercard";
pub const SANDBOX_DECLINED: &str = "pm_card_chargeDeclined";
pub const SANDBOX_INSUFFICIENT_FUNDS: &str = "pm_card_chargeDeclinedInsufficientFunds";
pub const SANDBOX_AUTHENTICATION_REQUIRED: &str = "pm_card_authenticationRequired";

/// A provider that moves no money and answers by test payment method id.
#[derive(Debug, Default, Clone, Copy)]
pub struct SandboxProvider;

fn card(id: &str, brand: &str, last4: &str) -> Card {
    Card { payment_method_id: id.to_owned(), brand: brand.to_owned(), last4: last4.to_owned(), exp_month: 12, exp_year: 2034 }
}

impl SandboxProvider {
    fn outcome(&self, payment_method_id: &str, charge: bool) -> PaymentOutcome {
        let charge_id = || charge.then(|| format!("ch_sandbox_{}", random_token(12)));
        match payment_method_id {
            SANDBOX_VISA => PaymentOutcome::Succeeded { card: card(SANDBOX_VISA, "visa", "4242"), charge_id: charge_id() },
            SANDBOX_MASTERCARD => {
                PaymentOutcome::Succeeded { card: card(SANDBOX_MASTERCARD, "mastercard", "4444"), charge_id: charge_id() }
            }
            SANDBOX_DECLINED => PaymentOutcome::Declined { decline_code: "card_declined".into(), message: "the card was declined".into() },
            SANDBOX_INSUFFICIENT_FUNDS => {
                PaymentOutcome::Declined { decline_code: "insufficient_funds".into(), message: "the card has insufficient funds".into() }
            }
            SANDBOX_AUTHENTICATION_REQUIRED => {
                PaymentOutcome::RequiresAction { client_secret: format!("pi_sandbox_{}_secret_{}", random_token(9), random_token(12)) }
            }
            _ => PaymentOutcome::UnknownPaymentMethod,
        }
    }
}

impl PaymentProvider for SandboxProvider {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn attach<'a>(&'a self, _customer: &'a str, payment_method_id: &'a str) -> ProviderFuture<'a, PaymentOutcome> {
        let outcome = self.outcome(payment_method_id, false);
        Box::pin(async move { Ok(outcome) })
    }

    fn charge(&self, request: ChargeRequest) -> ProviderFuture<'_, PaymentOutcome> {
        let outcome = self.outcome(&request.payment_method_id, true);
        tracing::info!(
            provider = "sandbox",
            customer = %request.customer,
            amount_cents = request.amount_cents,
            currency = request.currency,
            idempotency_key = %request.idempotency_key,
            succeeded = matches!(outcome, PaymentOutcome::Succeeded { .. }),
            "charge"
        );
        Box::pin(async move { Ok(outcome) })
    }

    fn refund<'a>(&'a self, charge_id: &'a str) -> ProviderFuture<'a, ()> {
        tracing::info!(provider = "sandbox", charge = charge_id, "refund");
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(pm: &str) -> PaymentOutcome {
        let request = ChargeRequest {
            customer: "usr_x".into(),
            payment_method_id: pm.into(),
            amount_cents: 100,
            currency: "USD",
            description: "test".into(),
            idempotency_key: "k".into(),
        };
        ready(SandboxProvider.charge(request))
    }

    /// The sandbox's futures are ready at once.
    fn ready<T>(f: ProviderFuture<'_, T>) -> T {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f).unwrap()
    }

    #[test]
    fn the_documented_test_payment_methods_behave_as_documented() {
        assert!(matches!(charge(SANDBOX_VISA), PaymentOutcome::Succeeded { ref card, charge_id: Some(_) } if card.last4 == "4242"));
        assert!(matches!(charge(SANDBOX_MASTERCARD), PaymentOutcome::Succeeded { ref card, .. } if card.brand == "mastercard"));
        assert!(matches!(charge(SANDBOX_DECLINED), PaymentOutcome::Declined { ref decline_code, .. } if decline_code == "card_declined"));
        assert!(
            matches!(charge(SANDBOX_INSUFFICIENT_FUNDS), PaymentOutcome::Declined { ref decline_code, .. } if decline_code == "insufficient_funds")
        );
        assert!(
            matches!(charge(SANDBOX_AUTHENTICATION_REQUIRED), PaymentOutcome::RequiresAction { ref client_secret } if client_secret.contains("_secret_"))
        );
        assert_eq!(charge("pm_card_unknown"), PaymentOutcome::UnknownPaymentMethod);
    }

    #[test]
    fn without_a_chosen_provider_every_payment_is_refused_clearly() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let provider = PaymentProviderKind::default().provider();
        assert_eq!(provider.name(), "none");
        let request = ChargeRequest {
            customer: "usr_x".into(),
            payment_method_id: SANDBOX_VISA.into(),
            amount_cents: 100,
            currency: "USD",
            description: "test".into(),
            idempotency_key: "k".into(),
        };
        let err = rt.block_on(provider.charge(request)).unwrap_err();
        assert!(matches!(err, crate::error::Error::PaymentFailed { ref decline_code, .. } if decline_code == "payments_disabled"));
        assert!(rt.block_on(provider.attach("usr_x", SANDBOX_VISA)).is_err());
        assert_eq!(PaymentProviderKind::parse("sandbox"), Some(PaymentProviderKind::Sandbox));
        assert_eq!(PaymentProviderKind::parse("stripe"), None);
    }

    #[test]
    fn attaching_moves_no_money() {
        let outcome = ready(SandboxProvider.attach("usr_x", SANDBOX_VISA));
        assert!(matches!(outcome, PaymentOutcome::Succeeded { charge_id: None, .. }));
    }
}
