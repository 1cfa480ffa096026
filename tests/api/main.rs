//! The one integration-test binary: real routers and store against the local emulator.

// Test code may unwrap and panic: a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account;
mod admin;
mod api_keys;
mod auth;
mod avatars;
mod billing;
mod browser;
mod browser_support;
mod calls;
mod captcha_providers;
mod concurrency;
mod credentials;
mod csrf;
mod events;
mod fault_tolerance;
mod faults;
mod fuzz;
mod hardening;
mod helpers;
mod lifecycle;
mod limits;
mod mfa;
mod migration;
mod observability;
mod openapi;
mod operations;
mod pages;
mod password_policy;
mod peers;
mod release_build;
mod secrets;
mod serial;
mod sessions;
mod settings;
mod suppression;
mod tokens;
mod uploads;
mod usage;
mod users;
mod web;
mod web_account;
mod web_admin;
