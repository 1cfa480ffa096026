//! The routes of each endpoint group: parse input, call one service, shape output.

pub mod admin;
pub mod api_keys;
pub mod auth;
pub mod billing;
pub(crate) mod dto;
pub mod uploads;
pub mod users;
pub mod well_known;

pub use dto::UserResponse;
