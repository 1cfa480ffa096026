//! Account settings (SPEC §3.2 `/me/settings`): three typed groups, their defaults for a new
//! account, and a validated partial change. Defaults and their reasons: `docs/decisions.md`.

use crate::error::FieldError;

/// Which notifications the user wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSettings {
    pub email: bool,
    pub push: bool,
    pub uploads: bool,
    pub sharing: bool,
    pub storage: bool,
    pub security: bool,
    pub marketing: bool,
}

/// What others may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivacySettings {
    pub public_profile: bool,
    pub show_activity: bool,
    pub allow_indexing: bool,
}

/// How the product's clients behave for this user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSettings {
    pub auto_upload: bool,
    pub compression_enabled: bool,
    pub thumbnail_generation: bool,
    pub default_folder: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub notifications: NotificationSettings,
    pub privacy: PrivacySettings,
    pub app: AppSettings,
    /// Unix seconds of the last change (the account's creation for untouched defaults).
    pub updated_at: i64,
}

impl Settings {
    /// What a new account starts with: security mail on, marketing off (opt-in, as consent law
    /// asks), push off until a device registers, nothing public.
    pub fn defaults(now: i64) -> Self {
        Self {
            notifications: NotificationSettings {
                email: true,
                push: false,
                uploads: true,
                sharing: true,
                storage: true,
                security: true,
                marketing: false,
            },
            privacy: PrivacySettings { public_profile: false, show_activity: false, allow_indexing: false },
            app: AppSettings {
                auto_upload: false,
                compression_enabled: true,
                thumbnail_generation: true,
                default_folder: DEFAULT_FOLDER.to_owned(),
            },
            updated_at: now,
        }
    }

    /// Applies a validated change in memory (the store applies the same change with one
    /// `UpdateItem`; this is for items written before settings existed).
    pub fn apply(&mut self, change: &SettingsChange, now: i64) {
        for (group, key, value) in &change.entries {
            match (group, *key, value) {
                (SettingGroup::Notifications, k, SettingValue::Bool(v)) => {
                    let n = &mut self.notifications;
                    let slot = match k {
                        "email" => &mut n.email,
                        "push" => &mut n.push,
                        "uploads" => &mut n.uploads,
                        "sharing" => &mut n.sharing,
                        "storage" => &mut n.storage,
                        "security" => &mut n.security,
                        _ => &mut n.marketing,
                    };
                    *slot = *v;
                }
                (SettingGroup::Privacy, k, SettingValue::Bool(v)) => {
                    let p = &mut self.privacy;
                    let slot = match k {
                        "publicProfile" => &mut p.public_profile,
                        "showActivity" => &mut p.show_activity,
                        _ => &mut p.allow_indexing,
                    };
                    *slot = *v;
                }
                (SettingGroup::App, k, SettingValue::Bool(v)) => {
                    let a = &mut self.app;
                    let slot = match k {
                        "autoUpload" => &mut a.auto_upload,
                        "compressionEnabled" => &mut a.compression_enabled,
                        _ => &mut a.thumbnail_generation,
                    };
                    *slot = *v;
                }
                (SettingGroup::App, _, SettingValue::Text(v)) => self.app.default_folder = v.clone(),
                // Text values exist only for `app.defaultFolder`; `parse` never builds others.
                (_, _, SettingValue::Text(_)) => {}
            }
        }
        self.updated_at = now;
    }
}

pub const DEFAULT_FOLDER: &str = "/uploads";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingGroup {
    Notifications,
    Privacy,
    App,
}

impl SettingGroup {
    /// The stored (and wire) name of the group.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notifications => "notifications",
            Self::Privacy => "privacy",
            Self::App => "app",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    Bool(bool),
    Text(String),
}

/// A validated partial change: `(group, key, value)` for each field the client sent. Keys are
/// the wire names (`publicProfile`), which are also the stored attribute names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsChange {
    pub entries: Vec<(SettingGroup, &'static str, SettingValue)>,
}

/// One boolean field as sent: its wire name and value (`None` = not sent).
pub type FlagInput = (&'static str, Option<bool>);

/// Raw input: each field as sent.
#[derive(Debug)]
pub struct SettingsInput<'a> {
    pub notifications: [FlagInput; 7],
    pub privacy: [FlagInput; 3],
    pub app: [FlagInput; 3],
    pub default_folder: Option<&'a str>,
}

impl SettingsChange {
    pub fn parse(input: SettingsInput<'_>) -> Result<Self, Vec<FieldError>> {
        let mut entries = Vec::new();
        let groups: [(SettingGroup, &[FlagInput]); 3] =
            [(SettingGroup::Notifications, &input.notifications), (SettingGroup::Privacy, &input.privacy), (SettingGroup::App, &input.app)];
        for (group, fields) in groups {
            for (key, value) in fields {
                if let Some(v) = value {
                    entries.push((group, *key, SettingValue::Bool(*v)));
                }
            }
        }
        if let Some(raw) = input.default_folder {
            let folder = raw.trim();
            let ok = folder.starts_with('/')
                && folder.chars().count() <= 255
                && !folder.chars().any(char::is_control)
                && !folder.split('/').any(|segment| segment == "..");
            if !ok {
                return Err(vec![FieldError::new(
                    "app.defaultFolder",
                    "must be a folder path starting with /, at most 255 characters, without control characters or ..",
                )]);
            }
            entries.push((SettingGroup::App, "defaultFolder", SettingValue::Text(folder.to_owned())));
        }
        Ok(Self { entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Every key of every group, in wire order (for the input arrays above).
pub const NOTIFICATION_KEYS: [&str; 7] = ["email", "push", "uploads", "sharing", "storage", "security", "marketing"];
pub const PRIVACY_KEYS: [&str; 3] = ["publicProfile", "showActivity", "allowIndexing"];
pub const APP_BOOL_KEYS: [&str; 3] = ["autoUpload", "compressionEnabled", "thumbnailGeneration"];

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SettingsInput<'static> {
        SettingsInput {
            notifications: NOTIFICATION_KEYS.map(|k| (k, None)),
            privacy: PRIVACY_KEYS.map(|k| (k, None)),
            app: APP_BOOL_KEYS.map(|k| (k, None)),
            default_folder: None,
        }
    }

    #[test]
    fn defaults_keep_security_mail_on_and_everything_public_or_promotional_off() {
        let d = Settings::defaults(7);
        assert!(d.notifications.security && d.notifications.email);
        assert!(!d.notifications.marketing);
        assert!(!d.privacy.public_profile && !d.privacy.allow_indexing && !d.privacy.show_activity);
        assert_eq!(d.updated_at, 7);
    }

    #[test]
    fn only_sent_fields_become_entries() {
        let mut i = input();
        i.privacy[0].1 = Some(true);
        i.notifications[6].1 = Some(true);
        let change = SettingsChange::parse(i).unwrap();
        assert_eq!(
            change.entries,
            vec![
                (SettingGroup::Notifications, "marketing", SettingValue::Bool(true)),
                (SettingGroup::Privacy, "publicProfile", SettingValue::Bool(true)),
            ]
        );
        assert!(SettingsChange::parse(input()).unwrap().is_empty());
    }

    #[test]
    fn a_default_folder_must_be_an_absolute_path_without_parent_segments() {
        for bad in ["uploads", "/a/../b", "/x\u{7}", &format!("/{}", "a".repeat(300))] {
            let mut i = input();
            i.default_folder = Some(bad);
            assert!(SettingsChange::parse(i).is_err(), "{bad}");
        }
        let mut i = input();
        i.default_folder = Some(" /photos/2024 ");
        let change = SettingsChange::parse(i).unwrap();
        assert_eq!(change.entries, vec![(SettingGroup::App, "defaultFolder", SettingValue::Text("/photos/2024".into()))]);
    }

    #[test]
    fn applying_a_change_moves_only_its_fields_and_the_time() {
        let mut s = Settings::defaults(1);
        let mut i = input();
        i.privacy[0].1 = Some(true);
        i.app[0].1 = Some(true);
        i.default_folder = Some("/x");
        s.apply(&SettingsChange::parse(i).unwrap(), 9);
        let mut expected = Settings::defaults(9);
        expected.privacy.public_profile = true;
        expected.app.auto_upload = true;
        expected.app.default_folder = "/x".into();
        assert_eq!(s, expected);
    }
}
