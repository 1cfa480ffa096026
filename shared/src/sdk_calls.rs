//! Counts and times the AWS calls a request makes (tests and benchmarks only, feature
//! `test-support`): an SDK interceptor that records each operation once, however many
//! attempts (retries) it took, with the wall time the SDK spent on it.
//!
//! Attach it with [`crate::App::new_observed`]; read it with [`CallRecorder::take`].

use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents, SharedInterceptor};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One SDK operation: `service` as the SDK names it (`DynamoDB`, `S3`, `SES`), the operation
/// (`GetItem`, `TransactWriteItems`, …), and how long it took including retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub service: String,
    pub operation: String,
    pub elapsed: Duration,
}

/// Records every operation of every client it is attached to. Clones share one log.
#[derive(Debug, Clone, Default)]
pub struct CallRecorder {
    calls: Arc<Mutex<Vec<Call>>>,
}

#[derive(Debug, Clone)]
struct Started(Instant);

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

impl CallRecorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The interceptor to give an SDK client (or [`crate::App::new_observed`]).
    pub fn interceptor(&self) -> SharedInterceptor {
        SharedInterceptor::new(self.clone())
    }

    /// Every call recorded since the last `take`, oldest first; the log is emptied.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Puts calls taken earlier back in front of the log (to leave out what happened between).
    pub fn restore(&self, mut earlier: Vec<Call>) {
        let mut calls = self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        earlier.append(&mut calls);
        *calls = earlier;
    }

    /// The operations of `service` recorded since the last `take` (the log is emptied).
    pub fn take_operations(&self, service: &str) -> Vec<String> {
        self.take().into_iter().filter(|c| c.service == service).map(|c| c.operation).collect()
    }
}

impl Intercept for CallRecorder {
    fn name(&self) -> &'static str {
        "CallRecorder"
    }

    fn read_before_execution(&self, _context: &BeforeSerializationInterceptorContextRef<'_>, cfg: &mut ConfigBag) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started(Instant::now()));
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let elapsed = cfg.load::<Started>().map(|s| s.0.elapsed()).unwrap_or_default();
        let (service, operation) =
            cfg.load::<Metadata>().map(|m| (m.service().to_owned(), m.name().to_owned())).unwrap_or_else(|| ("?".into(), "?".into()));
        self.calls.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(Call { service, operation, elapsed });
        Ok(())
    }
}
