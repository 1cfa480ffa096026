//! The routes of each endpoint group: parse input, call one service, shape output.

pub mod admin;
pub mod auth;
mod dto;
pub mod users;

pub use dto::UserResponse;
