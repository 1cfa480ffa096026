//! Validated domain types and entities. Parse, don't validate: a value of these types is valid
//! for ever. No AWS, no HTTP here.

mod activity;
mod api_key;
mod audit;
mod client;
mod event;
mod ids;
mod limits;
mod link_token;
mod mail_feedback;
mod mfa;
mod password;
mod plan;
mod profile;
mod secret;
mod session;
mod settings;
mod signing_key;
mod subscription;
mod upload;
mod user;
mod user_query;

pub use activity::{ACTIVITY_RETENTION_SECS, Activity, ActivityKind, ActivityRecord, parse_activity_cursor};
pub use api_key::{API_KEY_PREFIX, ApiKeyRecord, KeyStatus, MAX_KEY_LIFETIME_SECS, Scope, parse_expires_in, parse_key_name, parse_scopes};
pub use audit::AuditEntry;
pub use client::ClientInfo;
pub use event::{Event, EventKind};
pub use ids::{ApiKeyId, SessionId, SubscriptionId, UploadId, UserId, new_ulid};
pub use limits::{LockoutPolicy, RateLimit, Window};
pub use link_token::{EmailChangeToken, LinkToken, TokenKind};
pub use mail_feedback::{Feedback, MailSuppression, Suppress, SuppressionReason, normalise_address, parse_notification};
pub use mfa::MfaState;
pub use password::{MAX_PASSWORD_CHARS, Password, PasswordPolicy, PasswordPolicyInput};
pub use plan::{Coupon, Limit, Limits, Plan, PlanId, cents_to_amount, discounted, plans};
pub use profile::{Language, Preferences, ProfileInput, ProfileUpdate, Theme, Timezone};
pub use secret::Secret;
pub use session::{ACCESS_TOKEN_TTL_SECS, REFRESH_TOKEN_TTL_SECS, RefreshRecord, Rotation, Session};
pub use settings::{
    APP_BOOL_KEYS, AppSettings, NOTIFICATION_KEYS, NotificationSettings, PRIVACY_KEYS, PrivacySettings, SettingGroup, SettingValue,
    Settings, SettingsChange, SettingsInput,
};
pub use signing_key::{
    GATEWAY_JWKS_CACHE_SECS, ISSUER_RING_MAX_AGE_SECS, JWKS_MAX_AGE_SECS, KeyRing, KeyRole, PUBLISH_LEAD_SECS,
    RETAIN_AFTER_SUPERSEDED_SECS, RotationRefused, SigningKey, plausible_kid, thumbprint,
};
pub use subscription::{AppliedCoupon, Card, Subscription, SubscriptionStatus, add_months, effective_plan, period_containing, proration};
pub use upload::{
    ContentType, DayUsage, Filename, MAX_UPLOAD_BYTES, UPLOAD_HOLD_GRACE_SECS, UPLOAD_URL_TTL_SECS, Upload, UploadHold, UploadKind,
    UploadStatus, UsageCounters, day_string, parse_day, upload_object_key,
};
pub use user::{ActivationState, Email, PendingEmailChange, Rating, Role, SessionCutoff, User, UserStatus, Username};
pub use user_query::{SortField, UserQuery};
