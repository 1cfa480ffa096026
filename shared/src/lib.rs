//! `accounts-core`: everything the Lambda functions share.
//!
//! Dependencies point one way: [`domain`] ← [`services`] ← ([`store`], adapters, [`api`]/[`http`]) ← [`app`].
//! `domain` and `services` import neither `aws_sdk_*` nor `lambda_http`; the adapters
//! ([`store`], [`avatars`], [`mail`], [`objects`], [`payments`], [`passwords`], [`tokens`], [`captcha`]) own their SDKs and crates.

pub mod api;
pub mod app;
pub mod avatars;
pub mod captcha;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod error;
pub mod http;
pub mod mail;
pub mod objects;
pub mod passwords;
pub mod payments;
#[cfg(feature = "test-support")]
pub mod sdk_calls;
pub mod services;
pub mod store;
pub mod tokens;

pub use app::App;
pub use error::{Error, Result};
