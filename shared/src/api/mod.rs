//! The routes of each endpoint group: parse input, call one service, shape output.

pub mod admin;
pub mod api_keys;
pub mod auth;
pub mod billing;
pub(crate) mod dto;
mod lifecycle;
mod mfa;
pub mod uploads;
pub mod usage;
pub mod users;

pub use dto::UserResponse;
