//! The one integration-test binary: real routers and store against the local emulator.

// Test code may unwrap and panic: a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod auth;
mod helpers;
mod users;
