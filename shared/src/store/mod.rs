//! DynamoDB single-table store. Owns item ↔ domain mapping, keys, conditional writes and the
//! classification of SDK errors into [`Error`] kinds. Every access pattern and key is listed in
//! `docs/table-design.md`; uniqueness uses marker items in one transaction, counters use `ADD`.
//! The records it reads and writes are `domain` types; what is here is only how they are kept.
//!
//! One file per kind of item or access pattern: `user_codec` (the user item ⇄ `User`, its keys
//! and markers), `user_index` (its listing and search index attributes), `users` (creating and
//! reading accounts, login bookkeeping), `activation` (activation and reset writes),
//! `user_list` (the admin lists: plan, shard reads, merge, cursor), `admin` (admin changes and
//! the admin count), `audit`, `activity`, `sessions`, `api_keys`, `links` (link tokens),
//! `captchas`, `rate_limits`, `suppression` (the mail suppression list), `mfa`, `once` (single-use markers), `outbox` (lifecycle events, SPEC §3.11), `migration` (import markers, export pages), `account` (settings, email change), `lifecycle` (deletion
//! and the purge queue), `uploads`, `usage`, `billing`, and `seed` (test tables only).

mod account;
mod activation;
mod activity;
mod admin;
mod api_keys;
mod audit;
mod billing;
mod captchas;
mod lifecycle;
mod links;
mod mfa;
mod migration;
mod once;
pub mod outbox;
mod rate_limits;
#[cfg(feature = "test-support")]
mod seed;
mod sessions;
mod signing_keys;
mod suppression;
mod uploads;
mod usage;
mod user_codec;
mod user_index;
mod user_list;
mod users;

pub use admin::{AdminChange, ChangeRefused};
pub use billing::{ApiRequestCount, PlanChange, SubscriptionRefusal, SubscriptionWrite};
pub use lifecycle::{DueAccount, PURGE_SHARDS, PurgeKind, ScheduledDeletion, shard_of};
pub use migration::{ExportedUser, IMPORT_MARKER_BATCH, ImportSeen};
#[cfg(feature = "test-support")]
pub use seed::SeedUser;
pub use suppression::MailSlot;
pub use uploads::{BatchDeletion, MAX_DELETES_PER_TRANSACTION, QuotaRefusal, Reservation, StalePendingUpload, deletion_chunks};
pub use usage::DAY_RETENTION_SECS;
pub use user_index::USER_SHARDS;
pub use user_list::{UserCursor, UserPage};
pub use users::{Account, LoginName, NewUser, UserPatch};

use crate::error::Error;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// The table and its client.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Runs a transaction; on cancellation returns the per-item reason codes
    /// (`Some("ConditionalCheckFailed")`, `None` for items that were fine).
    async fn transact(&self, op: &str, items: Vec<TransactWriteItem>) -> Result<Result<(), Vec<Option<String>>>, Error> {
        Ok(self.transact_detailed(op, items).await?.map_err(|reasons| reasons.into_iter().map(|r| r.code).collect()))
    }

    /// [`Store::transact`], also returning the item as it was for every item written with
    /// `ReturnValuesOnConditionCheckFailure::AllOld` whose condition failed (to say *why*).
    ///
    /// A transaction that collides with another one on the same item is cancelled with
    /// `TransactionConflict` and wrote nothing: retrying it is safe and is what a client expects.
    async fn transact_detailed(&self, op: &str, items: Vec<TransactWriteItem>) -> Result<Result<(), Vec<CancelReason>>, Error> {
        let mut attempt = 0;
        loop {
            match self.transact_once(op, items.clone()).await {
                Err(Error::Conflict) if attempt < 3 => {
                    attempt += 1;
                    let mut jitter = [0u8; 1];
                    let _ = getrandom::fill(&mut jitter);
                    tokio::time::sleep(std::time::Duration::from_millis(10 * attempt + u64::from(jitter[0] % 20))).await;
                }
                other => return other,
            }
        }
    }

    /// One `TransactWriteItems` with its own `ClientRequestToken`. The SDK sends the same token
    /// on every retry of this call, so on DynamoDB a retry after a lost response is answered
    /// with the first attempt's success instead of being executed again (10-minute window).
    /// Emulators (moto 5.x) ignore the token: there a retry is cancelled by the items the first
    /// attempt wrote, which the callers recognise with [`CancelReason::holds`] (see
    /// docs/resilience.md).
    async fn transact_once(&self, op: &str, items: Vec<TransactWriteItem>) -> Result<Result<(), Vec<CancelReason>>, Error> {
        let mut token = [0u8; 16];
        getrandom::fill(&mut token).map_err(|e| Error::internal(anyhow::anyhow!("{op}: no randomness for the request token: {e}")))?;
        let token: String = token.iter().map(|b| format!("{b:02x}")).collect();
        match self.client.transact_write_items().set_transact_items(Some(items)).client_request_token(token).send().await {
            Ok(_) => Ok(Ok(())),
            Err(SdkError::ServiceError(e)) if matches!(e.err(), TransactWriteItemsError::TransactionCanceledException(_)) => {
                let TransactWriteItemsError::TransactionCanceledException(ex) = e.err() else { unreachable!() };
                let reasons: Vec<CancelReason> = ex
                    .cancellation_reasons()
                    .iter()
                    .map(|r| CancelReason { code: r.code().filter(|c| *c != "None").map(str::to_owned), item: r.item().cloned() })
                    .collect();
                if reasons.iter().any(|r| r.code.as_deref() == Some("ConditionalCheckFailed")) {
                    Ok(Err(reasons))
                } else if reasons.iter().any(|r| r.code.as_deref() == Some("TransactionConflict")) {
                    Err(Error::Conflict)
                } else {
                    Err(sdk_error(op, SdkError::ServiceError(e)))
                }
            }
            Err(e) => Err(sdk_error(op, e)),
        }
    }
}

impl Store {
    /// A `Query` of the items of partition `pk` whose sort key begins with `prefix` (a user's
    /// sessions, activity entries, uploads).
    fn query_prefix(&self, pk: String, prefix: &str) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
    }

    /// Every item `query` finds, all pages followed by the SDK's paginator (for reads whose
    /// result is small by design: a user's sessions, keys, items, a year of day items).
    async fn query_all(&self, op: &str, query: QueryFluentBuilder) -> Result<Vec<Item>, Error> {
        query.into_paginator().items().send().try_collect().await.map_err(|e| sdk_error(op, e))
    }
}

/// Why one item of a cancelled transaction failed.
#[derive(Debug, Clone)]
pub(crate) struct CancelReason {
    pub code: Option<String>,
    /// The item before the transaction, when asked for with `ReturnValuesOnConditionCheckFailure`.
    pub item: Option<Item>,
}

impl CancelReason {
    pub fn condition_failed(&self) -> bool {
        self.code.as_deref() == Some("ConditionalCheckFailed")
    }

    /// The item's condition failed and the item as it was (asked for with
    /// `ReturnValuesOnConditionCheckFailure::AllOld`) has `attr = value`. For the put of an item
    /// whose key is fresh (a new ULID, a random token's hash), finding it already there with
    /// our value means an earlier attempt of this same transaction committed and its response
    /// was lost: the retry's cancellation is our own success.
    pub fn holds(&self, attr: &str, value: &str) -> bool {
        self.condition_failed() && self.item.as_ref().and_then(|item| get_s(item, attr)).as_deref() == Some(value)
    }
}

impl Store {
    /// Deletes `keys` in batches of 25, retrying what `BatchWriteItem` leaves unprocessed under
    /// load (up to 5 attempts a batch, with backoff).
    pub(crate) async fn batch_delete(&self, op: &str, keys: &[Item]) -> Result<(), Error> {
        use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
        for chunk in keys.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|k| {
                    DeleteRequest::builder().set_key(Some(k.clone())).build().map(|d| WriteRequest::builder().delete_request(d).build())
                })
                .collect::<Result<_, _>>()?;
            for attempt in 0..5u32 {
                let out = self.client.batch_write_item().request_items(&self.table, requests).send().await.map_err(|e| sdk_error(op, e))?;
                requests = out.unprocessed_items.and_then(|mut m| m.remove(&self.table)).unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
                if attempt == 4 {
                    return Err(Error::DependencyUnavailable(anyhow::anyhow!("{op}: items left unprocessed after retries")));
                }
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
            }
        }
        Ok(())
    }
}

/// Throttling, timeouts and connection failures are the dependency's fault (503, retry);
/// anything else is ours (500). Both keep the SDK's error and its source chain for the log
/// (`{:#}` where the response is made). Not the SDK's `DisplayErrorContext`: it appends the
/// error's `Debug` form, which holds the raw response body, and a DynamoDB error body can carry
/// item values (personal data) that must not reach a log.
pub(crate) fn sdk_error<E, R>(op: &str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let transient = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ServiceError(e) => matches!(
            e.err().code(),
            Some(
                "ProvisionedThroughputExceededException"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "InternalServerError"
                    | "ServiceUnavailable"
            )
        ),
        _ => false,
    };
    let context = anyhow::Error::new(err).context(op.to_owned());
    if transient { Error::DependencyUnavailable(context) } else { Error::Internal(context) }
}

pub(crate) fn is_condition_failure<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    matches!(err, SdkError::ServiceError(e) if e.err().code() == Some("ConditionalCheckFailedException"))
}

impl From<aws_sdk_dynamodb::error::BuildError> for Error {
    fn from(e: aws_sdk_dynamodb::error::BuildError) -> Self {
        Error::Internal(anyhow::anyhow!("dynamodb request build: {e}"))
    }
}

// ---- attribute helpers -------------------------------------------------------------------

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn b(v: bool) -> AttributeValue {
    AttributeValue::Bool(v)
}

pub(crate) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

pub(crate) fn get_s(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

pub(crate) fn get_n(item: &Item, name: &str) -> Option<i64> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}

pub(crate) fn get_b(item: &Item, name: &str) -> Option<bool> {
    item.get(name).and_then(|v| v.as_bool().ok()).copied()
}

pub(crate) fn req_s(item: &Item, name: &str) -> Result<String, Error> {
    get_s(item, name).ok_or_else(|| Error::Internal(anyhow::anyhow!("stored item lacks attribute {name}")))
}

/// Marks an item that is keyed by something else (a token hash) as belonging to `user`, so the
/// purge can find it through `gsi1` (`gsi1pk = OWNED#<userId>`).
pub(crate) fn owned_by(item: &mut Item, user: &crate::domain::UserId) {
    let pk = get_s(item, "pk").unwrap_or_default();
    item.insert("gsi1pk".into(), s(format!("OWNED#{user}")));
    item.insert("gsi1sk".into(), s(pk));
}

/// A fixed-width upper bound for TTL: DynamoDB deletes the item some time after this.
pub(crate) fn ttl(expires_at: i64) -> AttributeValue {
    n(expires_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    fn service_error(code: &str, body: &'static str) -> SdkError<GetItemError, HttpResponse> {
        let meta = ErrorMetadata::builder().code(code).message("the request failed").build();
        let raw = HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body));
        SdkError::service_error(GetItemError::generic(meta), raw)
    }

    #[test]
    fn a_logged_store_error_names_the_operation_and_the_cause_but_not_the_response_body() {
        let err = sdk_error("get user", service_error("ValidationException", r#"{"Item":{"email":{"S":"ada@example.com"}}}"#));
        let Error::Internal(cause) = err else { panic!("a validation failure is ours: {err:?}") };
        let logged = format!("{cause:#}");
        assert!(logged.starts_with("get user: "), "{logged}");
        assert!(logged.contains("ValidationException") || logged.contains("the request failed"), "{logged}");
        assert!(!logged.contains("ada@example.com"), "the raw body reached the log text: {logged}");
    }

    #[test]
    fn throttling_is_the_dependencys_fault_and_other_service_errors_are_ours() {
        assert!(matches!(sdk_error("q", service_error("ThrottlingException", "")), Error::DependencyUnavailable(_)));
        assert!(matches!(sdk_error("q", service_error("ProvisionedThroughputExceededException", "")), Error::DependencyUnavailable(_)));
        assert!(matches!(sdk_error("q", service_error("ResourceNotFoundException", "")), Error::Internal(_)));
    }
}
