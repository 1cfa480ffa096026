//! `accounts-core`: everything the Lambda functions share.
//!
//! Dependencies point one way: [`domain`] ← ([`store`], adapters) ← [`services`] ← ([`http`], [`api`]) ← [`app`].
//!
//! - [`domain`]: validated values and entities, and the types two layers share
//!   ([`ClientInfo`](domain::ClientInfo), [`Secret`](domain::Secret), the API key prefix); it
//!   imports no other layer, not even [`config`].
//! - [`store`] and the adapters ([`avatars`], [`mail`], [`i18n`], [`objects`], [`payments`], [`passwords`],
//!   [`tokens`], [`captcha`], [`crypto`], [`kms`], [`secrets`], [`outbound`], [`breached`], [`metrics`], [`legacy_hashes`]) own their SDKs and crates and never
//!   import a layer above them; a port such as [`payments::PaymentProvider`] lives with its adapter.
//! - [`services`]: the use cases; never `http` or `api`, and neither `aws_sdk_*` nor
//!   `lambda_http` (nor does `domain`).
//! - [`http`] (extractors, replies, router glue) and [`api`] (routes): never [`store`]; a
//!   handler calls one service.
//! - [`app`]: builds [`App`] and serves a group's router.
//!
//! [`error`] and [`clock`] are used by every layer and [`config`] by every layer but `domain`;
//! the JSON envelope errors and replies answer in is written once, below `http`. The `layering`
//! test (`src/layering.rs`) reads the sources and fails on an edge that points the wrong way.

pub mod api;
pub mod app;
pub mod avatars;
pub mod breached;
pub mod captcha;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod domain;
pub(crate) mod envelope;
pub mod error;
pub mod http;
pub mod i18n;
pub mod kms;
#[cfg(test)]
mod layering;
pub mod legacy_hashes;
pub mod mail;
pub mod metrics;
pub mod objects;
pub mod outbound;
pub mod passwords;
pub mod payments;
#[cfg(feature = "test-support")]
pub mod sdk_calls;
pub mod secrets;
pub mod services;
pub mod store;
pub mod tokens;
pub mod web;

pub use app::App;
pub use error::{Error, Result};
