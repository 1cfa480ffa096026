//! The one integration-test binary: real routers and store against the local emulator.

mod auth;
mod helpers;
mod users;
