//! Profile fields a user edits about themselves, and their preferences.

use crate::error::FieldError;
use std::sync::LazyLock;

static TIMEZONES: &str = include_str!("timezones.txt");
static TIMEZONE_LIST: LazyLock<Vec<&'static str>> = LazyLock::new(|| TIMEZONES.lines().collect());

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
    Auto,
}

impl Theme {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "light" => Some(Self::Light),
            "dark" => Some(Self::Dark),
            "auto" => Some(Self::Auto),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
            Self::Auto => "auto",
        }
    }
}

/// A BCP 47 language tag in its canonical case (`en`, `pt-BR`, `zh-Hant-TW`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language(String);

impl Language {
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.split('-');
        let primary = parts.next()?;
        if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let mut out = primary.to_ascii_lowercase();
        for part in parts {
            if !(1..=8).contains(&part.len()) || !part.chars().all(|c| c.is_ascii_alphanumeric()) {
                return None;
            }
            out.push('-');
            match part.len() {
                2 if part.chars().all(|c| c.is_ascii_alphabetic()) => out.push_str(&part.to_ascii_uppercase()),
                4 if part.chars().all(|c| c.is_ascii_alphabetic()) => {
                    out.push_str(&part[..1].to_ascii_uppercase());
                    out.push_str(&part[1..].to_ascii_lowercase());
                }
                _ => out.push_str(&part.to_ascii_lowercase()),
            }
        }
        (out.len() <= 35).then_some(Self(out))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The primary subtag (`pt` for `pt-BR`), which picks mail templates.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or("en")
    }
}

/// An IANA time zone name known to the bundled tz database list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timezone(String);

impl Timezone {
    pub fn parse(raw: &str) -> Option<Self> {
        TIMEZONE_LIST.binary_search(&raw).is_ok().then(|| Self(raw.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    pub theme: Theme,
    pub language: Language,
    pub timezone: Timezone,
}

impl Default for Preferences {
    fn default() -> Self {
        Self { theme: Theme::Auto, language: Language("en".into()), timezone: Timezone("UTC".into()) }
    }
}

/// A validated partial profile change. `None` = leave as is; `Some(None)` = clear.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileUpdate {
    pub name: Option<Option<String>>,
    pub bio: Option<Option<String>>,
    pub location: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub theme: Option<Theme>,
    pub language: Option<Language>,
    pub timezone: Option<Timezone>,
}

/// Raw input for [`ProfileUpdate::parse`]; the outer `Option` says whether the field was sent.
#[derive(Debug, Default)]
pub struct ProfileInput<'a> {
    pub name: Option<Option<&'a str>>,
    pub bio: Option<Option<&'a str>>,
    pub location: Option<Option<&'a str>>,
    pub website: Option<Option<&'a str>>,
    pub theme: Option<&'a str>,
    pub language: Option<&'a str>,
    pub timezone: Option<&'a str>,
}

impl ProfileUpdate {
    pub fn parse(input: ProfileInput<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut text = |field: &str, value: Option<Option<&str>>, min: usize, max: usize| -> Option<Option<String>> {
            let value = value?;
            let Some(raw) = value else { return Some(None) };
            let trimmed = raw.trim();
            let len = trimmed.chars().count();
            if trimmed.is_empty() {
                return Some(None);
            }
            if len < min || len > max {
                errors.push(FieldError::new(field, format!("must be {min}-{max} characters")));
                return None;
            }
            if trimmed.chars().any(|c| c.is_control() && c != '\n') {
                errors.push(FieldError::new(field, "must not contain control characters"));
                return None;
            }
            Some(Some(trimmed.to_owned()))
        };
        let name = text("name", input.name, 2, 50);
        let bio = text("bio", input.bio, 0, 200);
        let location = text("location", input.location, 0, 100);
        let website = text("website", input.website, 0, 2048);
        if let Some(Some(url)) = &website {
            match url::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
                _ => errors.push(FieldError::new("website", "must be an http or https URL")),
            }
        }
        let theme = input.theme.map(|t| Theme::parse(t).ok_or(()));
        if matches!(theme, Some(Err(()))) {
            errors.push(FieldError::new("preferences.theme", "must be light, dark or auto"));
        }
        let language = input.language.map(|l| Language::parse(l).ok_or(()));
        if matches!(language, Some(Err(()))) {
            errors.push(FieldError::new("preferences.language", "must be a BCP 47 language tag"));
        }
        let timezone = input.timezone.map(|t| Timezone::parse(t).ok_or(()));
        if matches!(timezone, Some(Err(()))) {
            errors.push(FieldError::new("preferences.timezone", "must be an IANA time zone"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            name,
            bio,
            location,
            website,
            theme: theme.and_then(Result::ok),
            language: language.and_then(Result::ok),
            timezone: timezone.and_then(Result::ok),
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_canonicalised() {
        assert_eq!(Language::parse("pt-br").unwrap().as_str(), "pt-BR");
        assert_eq!(Language::parse("ZH-hant-tw").unwrap().as_str(), "zh-Hant-TW");
        assert_eq!(Language::parse("es").unwrap().primary(), "es");
    }

    #[test]
    fn malformed_language_tags_are_refused() {
        for bad in ["", "e", "english", "en_US", "en--US", "e1"] {
            assert!(Language::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn only_known_iana_time_zones_are_accepted() {
        assert!(Timezone::parse("Europe/Paris").is_some());
        assert!(Timezone::parse("UTC").is_some());
        assert!(Timezone::parse("Mars/Olympus").is_none());
        assert!(Timezone::parse("europe/paris").is_none());
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let errors = ProfileUpdate::parse(ProfileInput {
            name: Some(Some("x")),
            bio: Some(Some(&"b".repeat(201))),
            website: Some(Some("javascript:alert(1)")),
            theme: Some("neon"),
            language: Some("??"),
            timezone: Some("Nowhere"),
            ..Default::default()
        })
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "bio", "website", "preferences.theme", "preferences.language", "preferences.timezone"]);
    }

    #[test]
    fn null_or_blank_clears_a_field_and_absent_leaves_it() {
        let update = ProfileUpdate::parse(ProfileInput { bio: Some(None), location: Some(Some("  ")), ..Default::default() }).unwrap();
        assert_eq!(update.bio, Some(None));
        assert_eq!(update.location, Some(None));
        assert_eq!(update.name, None);
    }
}
