//! Validated domain types and entities. Parse, don't validate: a value of these types is valid
//! for ever. No AWS, no HTTP here.

mod activity;
mod ids;
mod password;
mod profile;
mod user;

pub use activity::{ACTIVITY_RETENTION_SECS, Activity, ActivityKind};
pub use ids::{SessionId, UserId, new_ulid};
pub use password::{Password, PasswordPolicyInput};
pub use profile::{Language, Preferences, ProfileInput, ProfileUpdate, Theme, Timezone};
pub use user::{ActivationState, Email, Rating, Role, User, UserStatus, Username};
