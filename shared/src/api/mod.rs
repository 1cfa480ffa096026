//! The routes of each endpoint group: parse input, call one service, shape output.

pub mod api_keys;
pub mod auth;
mod dto;
mod lifecycle;
mod mfa;
pub mod users;

pub use dto::UserResponse;
