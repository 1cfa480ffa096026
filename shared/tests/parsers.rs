//! Property tests (issue 22, finding 1): every parser of client input answers an error (or a
//! valid value) for any string, never a panic; release builds abort on panic, so one
//! reachable panic lets any client kill an instance. Each input is arbitrary Unicode, mixed with
//! strings built near the accepted shapes (digits and units, `@`, separators, multi-byte
//! characters at the edges) where the byte-index mistakes live. A value a parser accepts must
//! also be one it accepts again (its canonical form), so "Ok" is never garbage.

// Test code may unwrap and panic: a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use accounts_core::captcha::normalise_answer;
use accounts_core::domain::{
    APP_BOOL_KEYS, ApiKeyId, ContentType, Coupon, Email, Filename, KeyStatus, Language, NOTIFICATION_KEYS, PRIVACY_KEYS, Password,
    PasswordPolicyInput, PlanId, RateLimit, Rating, Role, Scope, SessionId, SettingsChange, SettingsInput, SortField, SubscriptionId,
    Theme, Timezone, TokenKind, UploadId, UploadKind, UserId, UserQuery, UserStatus, Username, parse_day, parse_expires_in, parse_key_name,
    parse_scopes,
};
use accounts_core::domain::{PasswordPolicy, ProfileInput, ProfileUpdate};
use accounts_core::services::usage::Period;
use accounts_core::store::UserCursor;
use base64::Engine as _;
use proptest::prelude::*;

/// Arbitrary Unicode, or a string near the shapes the parsers accept.
fn input() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        // digits, units, separators and a few multi-byte characters, in any order
        "[0-9a-zA-Z_@./:,\\- +€чé\u{301}\u{1F600}٣]{0,40}",
        // a number with a unit that may be multi-byte
        ("-?[0-9]{0,20}", "[hdsm€ч\u{1F600}]?").prop_map(|(n, u)| format!("{n}{u}")),
        // prefixes of ids and cursors followed by anything
        ("(usr_|key_|ses_|sub_|upl_|act_)?", "[0-9A-Za-z€]{0,30}").prop_map(|(p, b)| format!("{p}{b}")),
        // an address with a multi-byte character anywhere
        ("[a-z€]{0,10}", "[a-z.€ч]{0,20}").prop_map(|(l, d)| format!("{l}@{d}")),
    ]
}

fn query() -> UserQuery {
    UserQuery { sort: SortField::CreatedAt, descending: false, role: None, status: None, q: None }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn expires_in_strings_and_numbers_never_panic(s in input(), n in any::<i64>(), f in any::<f64>(), u in any::<u64>()) {
        for value in [serde_json::json!(s), serde_json::json!(n), serde_json::json!(f), serde_json::json!(u)] {
            if let Ok(secs) = parse_expires_in(&value) {
                prop_assert!((60..=accounts_core::domain::MAX_KEY_LIFETIME_SECS).contains(&secs));
            }
        }
        let euro = format!("{n}€");
        prop_assert!(parse_expires_in(&serde_json::json!(euro)).is_err());
    }

    #[test]
    fn identities_never_panic_and_accept_only_their_canonical_form(s in input()) {
        if let Ok(email) = Email::parse(&s, "email") {
            prop_assert_eq!(email.as_str(), email.as_str().trim().to_lowercase());
            prop_assert_eq!(Email::parse(email.as_str(), "email").map(|e| e.as_str().to_owned()), Ok(email.as_str().to_owned()));
            let _ = email.redacted();
        }
        if let Ok(name) = Username::parse(&s, "username") {
            prop_assert!(name.as_str().is_ascii());
            let _ = name.key();
        }
        for policy in [PasswordPolicy::Classic { min_length: 8 }, PasswordPolicy::Nist { min_length: 15 }] {
            let ctx = PasswordPolicyInput { username: &s, email: &s };
            let _ = Password::parse(&s, "password", &ctx, policy);
            let ctx = PasswordPolicyInput { username: "ada", email: "ada@example.com" };
            let _ = Password::parse(&s, "password", &ctx, policy);
        }
        let _ = accounts_core::breached::count_in_range(&s, "1E4C9B93F3F0682250B6CF8331B7EE68FD8");
        let _ = normalise_answer(&s);
    }

    #[test]
    fn ids_and_cursors_never_panic(s in input(), bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        for id in [
            UserId::parse(&s).map(|i| i.to_string()),
            ApiKeyId::parse(&s).map(|i| i.to_string()),
            SessionId::parse(&s).map(|i| i.to_string()),
            SubscriptionId::parse(&s).map(|i| i.to_string()),
            UploadId::parse(&s).map(|i| i.to_string()),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert_eq!(&id, &s);
        }
        // No string made without the server's encoder is a cursor of this query.
        prop_assert!(UserCursor::decode(&s, &query()).is_err());
        // valid base64 of garbage bytes, and of JSON-ish text, reaches the JSON decoder
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        prop_assert!(UserCursor::decode(&engine.encode(&bytes), &query()).is_err());
        let _ = UserCursor::decode(&engine.encode(format!("{{\"f\":\"{s}\",\"p\":[[\"{s}\",\"{s}\"],0,1]}}")), &query());
    }

    #[test]
    fn enumerations_and_small_values_never_panic(s in input(), n in any::<i64>()) {
        let _ = (Scope::parse(&s), KeyStatus::parse(&s), PlanId::parse(&s), PlanId::from_stored(&s), Role::parse(&s), UserStatus::parse(&s));
        let _ = (SortField::parse(&s), TokenKind::parse(&s), Theme::parse(&s), UploadKind::parse(&s), Period::parse(&s));
        let _ = (parse_day(&s), Timezone::parse(&s), Rating::parse(n, "rating"));
        if let Some(lang) = Language::parse(&s) {
            prop_assert_eq!(Language::parse(lang.as_str()).map(|l| l.as_str().to_owned()), Some(lang.as_str().to_owned()));
            let _ = lang.primary();
        }
        let _ = parse_key_name(&s);
        let _ = parse_scopes(Some(&[s.clone(), "read".to_owned()]));
        let _ = ContentType::parse(&s, "contentType");
        let _ = Filename::parse(&s, "filename");
    }

    #[test]
    fn admin_list_and_audit_requests_never_panic(a in input(), b in input(), c in input()) {
        use accounts_core::services::admin::{AuditRequest, ListInput, ListRequest, parse_month};
        let (a, b, c) = (Some(a.as_str()), Some(b.as_str()), Some(c.as_str()));
        for input in [
            ListInput { limit: a, cursor: b, before: c, page: a, sort: b, order: c, role: a, status: b, q: c },
            ListInput { q: a, sort: b, order: c, ..ListInput::default() },
            ListInput { role: a, status: b, limit: c, before: a, ..ListInput::default() },
        ] {
            if let Ok(request) = ListRequest::parse(input, 25) {
                prop_assert!((1..=100).contains(&request.limit));
            }
        }
        if let Ok(request) = AuditRequest::parse(a, b, c, a, 25) {
            prop_assert!((1..=100).contains(&request.limit));
            if let Some(month) = &request.month {
                prop_assert!(parse_month(month).is_some());
            }
        }
        if let Some((year, month)) = parse_month(a.unwrap_or_default()) {
            prop_assert_eq!(format!("{year:04}-{month:02}"), a.unwrap_or_default());
        }
    }

    #[test]
    fn configuration_strings_never_panic(s in input()) {
        let _ = RateLimit::parse(&s);
        let _ = Coupon::parse_list(&s);
        let _ = Coupon::parse_list(&format!("{s}:{s}:{s},{s}"));
    }

    #[test]
    fn profile_and_settings_input_never_panic(a in input(), b in input(), c in input(), flag in any::<Option<bool>>()) {
        let _ = ProfileUpdate::parse(ProfileInput {
            name: Some(Some(&a)),
            bio: Some(Some(&b)),
            location: Some(Some(&c)),
            website: Some(Some(&a)),
            theme: Some(&b),
            language: Some(&c),
            timezone: Some(&a),
        });
        let notifications = NOTIFICATION_KEYS.map(|k| (k, flag));
        let _ = SettingsChange::parse(SettingsInput {
            notifications,
            privacy: PRIVACY_KEYS.map(|k| (k, flag)),
            app: APP_BOOL_KEYS.map(|k| (k, flag)),
            default_folder: Some(&b),
        });
    }

    /// SES bounce and complaint notifications reach the mail-events function from a peer: any
    /// string, and any JSON of the notification's shape with arbitrary values, gives a verdict
    /// (never a panic), and every address it would suppress is lower-case, bounded and has one `@`.
    #[test]
    fn ses_notifications_never_panic_and_suppress_only_plausible_addresses(
        raw in input(), a in input(), b in input(), kind in input(), permanent in any::<bool>(), event in 0..4usize,
    ) {
        use accounts_core::domain::{Feedback, parse_notification};
        let event_type = ["Bounce", "Complaint", "Delivery", ""][event];
        let bounce_type = if permanent { "Permanent" } else { "Transient" };
        let shaped = serde_json::json!({
            "eventType": event_type,
            "bounce": {"bounceType": bounce_type, "bounceSubType": b, "bouncedRecipients": [{"emailAddress": a}, {"emailAddress": raw}, {"emailAddress": 7}]},
            "complaint": {"complaintFeedbackType": b, "complainedRecipients": [{"emailAddress": a}, "x", null]},
            "mail": {"tags": {"kind": [kind]}},
        })
        .to_string();
        for message in [raw.as_str(), shaped.as_str()] {
            if let Feedback::Suppress(list) = parse_notification(message) {
                for s in list {
                    prop_assert_eq!(s.address.clone(), s.address.to_lowercase());
                    prop_assert!(s.address.len() <= 254 && s.address.matches('@').count() == 1, "{:?}", s.address);
                    prop_assert!(s.detail.as_ref().is_none_or(|d| d.chars().count() <= 64));
                }
            }
        }
    }
}

/// An import line (docs/migration.md) near the accepted shape: the documented fields (and a
/// stranger) with values from [`input`], booleans, numbers and nulls, and password hashes that
/// start like every accepted scheme, followed by anything.
fn import_line() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        Just("externalId"),
        Just("email"),
        Just("username"),
        Just("emailVerified"),
        Just("role"),
        Just("createdAt"),
        Just("name"),
        Just("bio"),
        Just("website"),
        Just("preferences"),
        Just("passwordHash"),
        Just("mfaEnabled"),
    ];
    let hash = (
        prop_oneof![
            Just("$2b$"),
            Just("$2y$10$"),
            Just("$argon2id$v=19$m="),
            Just("$argon2i$"),
            Just("$scrypt$ln="),
            Just("$pbkdf2-sha256$"),
            Just("$pbkdf2-sha512$i="),
            Just("pbkdf2_sha256$"),
            Just("argon2$argon2id$"),
            Just("bcrypt_sha256$$2b$"),
            Just("$firescrypt$ln="),
        ],
        "[0-9a-zA-Z$=,./+]{0,90}",
    )
        .prop_map(|(p, rest)| format!("{p}{rest}"));
    let value = prop_oneof![
        input().prop_map(serde_json::Value::String),
        hash.prop_map(serde_json::Value::String),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        Just(serde_json::Value::Null),
        input().prop_map(|s| serde_json::json!({"theme": s, "language": s, "timezone": s})),
    ];
    prop_oneof![
        input(),
        proptest::collection::vec((field, value), 0..8).prop_map(|pairs| {
            let map: serde_json::Map<String, serde_json::Value> = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            serde_json::Value::Object(map).to_string()
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    /// The import's line parser and the hash recogniser never panic; a line they accept has a
    /// valid email and username, and a hash only with a scheme the recogniser accepts again.
    #[test]
    fn import_lines_never_panic_and_accepted_ones_round_trip(line in import_line(), hash in input()) {
        use accounts_core::services::migration::parse_line;
        let _ = accounts_core::legacy_hashes::parse(&hash);
        let now = 1_800_000_000;
        if let Ok(parsed) = parse_line(&line, now) {
            prop_assert!(Email::parse(parsed.email.as_str(), "email").is_ok());
            prop_assert!(Username::parse(parsed.username.as_str(), "username").is_ok());
            prop_assert_eq!(parsed.password_hash.is_some(), parsed.scheme.is_some());
            if let Some(h) = &parsed.password_hash {
                prop_assert!(accounts_core::legacy_hashes::parse(h).is_ok());
            }
        }
    }
}
