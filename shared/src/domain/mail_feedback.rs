//! Mail that must not be sent again: the suppression of an address after a hard bounce or a
//! complaint, and the SES notifications that tell us so (docs/operations.md, "Mail").
//!
//! SES publishes bounces and complaints to SNS in two shapes: the configuration set's *event
//! publishing* (`eventType`, what template.yaml subscribes the mail-events function to) and the
//! older *identity notifications* (`notificationType`). Both are parsed here, from the JSON a
//! peer sent: nothing in them is trusted beyond its shape, and nothing panics on any input.

use serde_json::Value;

/// Why mail to an address stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionReason {
    /// A permanent bounce: the address does not exist or refuses mail for good.
    Bounce,
    /// Its owner marked one of our mails as spam.
    Complaint,
}

impl SuppressionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bounce => "bounce",
            Self::Complaint => "complaint",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bounce" => Some(Self::Bounce),
            "complaint" => Some(Self::Complaint),
            _ => None,
        }
    }
}

/// The suppression of an address as the account shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSuppression {
    pub reason: SuppressionReason,
    /// SES's sub-type (`General`, `NoEmail`, `Suppressed`, … for bounces; the feedback type,
    /// e.g. `abuse`, for complaints), when it gave one.
    pub detail: Option<String>,
    /// When the address was first suppressed (unix seconds).
    pub since: i64,
}

/// One address a notification asks us to stop mailing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppress {
    /// Lower-cased, trimmed; at most 254 characters with one `@`.
    pub address: String,
    pub reason: SuppressionReason,
    pub detail: Option<String>,
    /// The kind of mail that bounced or was complained about (our `kind` tag), when known.
    pub kind: Option<String>,
}

/// What one SES notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feedback {
    /// Addresses to suppress (a hard bounce, a complaint).
    Suppress(Vec<Suppress>),
    /// A transient bounce (mailbox full, greylisting, …): SES retried already; nothing to do.
    Transient { recipients: usize },
    /// Another kind of event (delivery, send, …) or a shape we do not know: ignored.
    Ignored(&'static str),
}

/// Longest address SMTP allows (RFC 5321 path limit): anything longer is not an address.
const MAX_ADDRESS: usize = 254;
const MAX_DETAIL: usize = 64;

/// Parses an SES bounce or complaint notification (the `Message` of an SNS record).
pub fn parse_notification(message: &str) -> Feedback {
    let Ok(doc) = serde_json::from_str::<Value>(message) else { return Feedback::Ignored("not JSON") };
    let kind = doc.get("eventType").or_else(|| doc.get("notificationType")).and_then(Value::as_str).unwrap_or_default();
    let tag = mail_kind(&doc);
    match kind {
        "Bounce" => {
            let bounce = &doc["bounce"];
            let recipients = addresses(&bounce["bouncedRecipients"]);
            if bounce["bounceType"].as_str() != Some("Permanent") {
                return Feedback::Transient { recipients: recipients.len() };
            }
            let detail = short(bounce["bounceSubType"].as_str());
            Feedback::Suppress(
                recipients
                    .into_iter()
                    .map(|address| Suppress { address, reason: SuppressionReason::Bounce, detail: detail.clone(), kind: tag.clone() })
                    .collect(),
            )
        }
        "Complaint" => {
            let complaint = &doc["complaint"];
            // A feedback report saying "not-spam" is not a complaint against us.
            if complaint["complaintFeedbackType"].as_str() == Some("not-spam") {
                return Feedback::Ignored("not-spam feedback");
            }
            let detail = short(complaint["complaintFeedbackType"].as_str());
            Feedback::Suppress(
                addresses(&complaint["complainedRecipients"])
                    .into_iter()
                    .map(|address| Suppress { address, reason: SuppressionReason::Complaint, detail: detail.clone(), kind: tag.clone() })
                    .collect(),
            )
        }
        "" => Feedback::Ignored("no event type"),
        _ => Feedback::Ignored("not a bounce or complaint"),
    }
}

/// The well-formed, distinct addresses of `[{emailAddress}, …]`, lower-cased.
fn addresses(list: &Value) -> Vec<String> {
    let mut out: Vec<String> =
        list.as_array().into_iter().flatten().filter_map(|r| r["emailAddress"].as_str()).filter_map(normalise_address).collect();
    out.sort();
    out.dedup();
    out
}

/// SES may report `"Name" <a@b>`; we keep the bare address, lower-cased, when it looks like one.
pub fn normalise_address(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let bare = match (raw.rfind('<'), raw.ends_with('>')) {
        (Some(i), true) => &raw[i + 1..raw.len() - 1],
        _ => raw,
    };
    let bare = bare.trim().to_lowercase();
    let (local, domain) = bare.split_once('@')?;
    let plausible = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && bare.len() <= MAX_ADDRESS
        && !bare.chars().any(|c| c.is_whitespace() || c.is_control());
    plausible.then_some(bare)
}

/// Our `kind` tag of the mail (event publishing carries `mail.tags.kind: [value]`).
fn mail_kind(doc: &Value) -> Option<String> {
    let value = doc["mail"]["tags"]["kind"].get(0).and_then(Value::as_str)?;
    (!value.is_empty() && value.len() <= MAX_DETAIL && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| value.to_owned())
}

fn short(s: Option<&str>) -> Option<String> {
    s.map(|s| s.chars().filter(|c| !c.is_control()).take(MAX_DETAIL).collect::<String>()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The event-publishing bounce of SES's documentation ("Examples of event data that Amazon
    /// SES publishes to Amazon SNS"), with our `kind` tag.
    const EVENT_BOUNCE: &str = r#"{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",
      "bouncedRecipients":[{"emailAddress":"Recipient@Example.com","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],
      "timestamp":"2017-08-05T00:41:02.669Z","feedbackId":"01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000","reportingMTA":"dsn; mta.example.com"},
      "mail":{"timestamp":"2017-08-05T00:40:02.012Z","source":"Sender Name <sender@example.com>","sendingAccountId":"123456789012",
      "messageId":"EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000","destination":["recipient@example.com"],
      "tags":{"ses:configuration-set":["ConfigSet"],"kind":["activation"]}}}"#;

    const EVENT_COMPLAINT: &str = r#"{"eventType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"recipient@example.com"}],
      "timestamp":"2017-08-05T00:41:02.669Z","feedbackId":"01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000",
      "userAgent":"Mozilla/5.0","complaintFeedbackType":"abuse","arrivalDate":"2017-08-05T00:41:02.669Z"},
      "mail":{"timestamp":"2017-08-05T00:40:01.123Z","source":"sender@example.com","messageId":"EXAMPLE","destination":["recipient@example.com"],
      "tags":{"kind":["password-reset"]}}}"#;

    #[test]
    fn a_hard_bounce_suppresses_its_recipients_with_the_mail_kind() {
        let Feedback::Suppress(list) = parse_notification(EVENT_BOUNCE) else { panic!("not a suppression") };
        assert_eq!(
            list,
            vec![Suppress {
                address: "recipient@example.com".into(),
                reason: SuppressionReason::Bounce,
                detail: Some("General".into()),
                kind: Some("activation".into())
            }]
        );
    }

    #[test]
    fn a_complaint_suppresses_and_a_not_spam_report_does_not() {
        let Feedback::Suppress(list) = parse_notification(EVENT_COMPLAINT) else { panic!("not a suppression") };
        assert_eq!(list[0].reason, SuppressionReason::Complaint);
        assert_eq!(list[0].detail.as_deref(), Some("abuse"));
        let not_spam = EVENT_COMPLAINT.replace("\"abuse\"", "\"not-spam\"");
        assert_eq!(parse_notification(&not_spam), Feedback::Ignored("not-spam feedback"));
    }

    #[test]
    fn a_transient_bounce_suppresses_nothing() {
        let soft = EVENT_BOUNCE.replace("\"Permanent\"", "\"Transient\"");
        assert_eq!(parse_notification(&soft), Feedback::Transient { recipients: 1 });
    }

    #[test]
    fn identity_notifications_are_read_too() {
        // The older format (`notificationType`), as in SES's "Amazon SNS notification contents".
        let legacy = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"NoEmail",
          "bouncedRecipients":[{"emailAddress":"\"Jane\" <jane@example.com>"},{"emailAddress":"JANE@example.com"},{"emailAddress":"not an address"}]},
          "mail":{"messageId":"x","destination":["jane@example.com"]}}"#;
        let Feedback::Suppress(list) = parse_notification(legacy) else { panic!("not a suppression") };
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0].address, "jane@example.com");
        assert_eq!(list[0].kind, None);
    }

    #[test]
    fn deliveries_and_garbage_are_ignored() {
        assert_eq!(parse_notification(r#"{"eventType":"Delivery","delivery":{}}"#), Feedback::Ignored("not a bounce or complaint"));
        assert_eq!(parse_notification("{}"), Feedback::Ignored("no event type"));
        assert_eq!(parse_notification("<xml/>"), Feedback::Ignored("not JSON"));
        assert_eq!(parse_notification(r#"{"eventType":"Bounce"}"#), Feedback::Transient { recipients: 0 });
    }
}
