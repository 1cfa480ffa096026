//! Validated domain types and entities. Parse, don't validate: a value of these types is valid
//! for ever. No AWS, no HTTP here.

mod activity;
mod ids;
mod password;
mod profile;
mod settings;
mod user;

pub use activity::{ACTIVITY_RETENTION_SECS, Activity, ActivityKind};
pub use ids::{SessionId, UserId, new_ulid};
pub use password::{Password, PasswordPolicyInput};
pub use profile::{Language, Preferences, ProfileInput, ProfileUpdate, Theme, Timezone};
pub use settings::{
    APP_BOOL_KEYS, AppSettings, NOTIFICATION_KEYS, NotificationSettings, PRIVACY_KEYS, PrivacySettings, SettingGroup, SettingValue,
    Settings, SettingsChange, SettingsInput,
};
pub use user::{ActivationState, Email, PendingEmailChange, Role, User, UserStatus, Username};
