//! The mail suppression list's use cases: recording SES bounce and complaint notifications
//! (the `mail-events` function) — clearing one is an admin's change (`admin::clear_mail_suppression`).
//! Where the list is checked: `mailing` (every mail's slot) and `sign_up` (the registration
//! transaction); docs/operations.md "Mail".

use crate::App;
use crate::domain::{Feedback, parse_notification};
use crate::error::Result;
use serde_json::Value;

/// What one invocation did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Addresses put on the list (or found there already).
    pub suppressed: usize,
    /// Notifications that asked for nothing (deliveries, transient bounces, other shapes).
    pub ignored: usize,
}

/// Records every bounce and complaint in an SNS event (`Records[].Sns.Message`, each an SES
/// notification). Idempotent, so a redelivered event changes nothing; an error (DynamoDB) fails
/// the invocation and Lambda retries it. Logs ids and reasons, never an address.
pub async fn record_notifications(app: &App, event: &Value) -> Result<Report> {
    let mut report = Report::default();
    let records = event["Records"].as_array().map(Vec::as_slice).unwrap_or_default();
    for record in records {
        let Some(message) = record["Sns"]["Message"].as_str() else {
            report.ignored += 1;
            continue;
        };
        match parse_notification(message) {
            Feedback::Suppress(list) => {
                for s in list {
                    let (m, user) = app.store.record_suppression(&s, app.now()).await?;
                    report.suppressed += 1;
                    tracing::info!(
                        reason = m.reason.as_str(),
                        detail = m.detail.as_deref().unwrap_or(""),
                        kind = s.kind.as_deref().unwrap_or("unknown"),
                        user = user.as_ref().map(|u| u.to_string()).unwrap_or_default(),
                        "address suppressed"
                    );
                }
            }
            Feedback::Transient { recipients } => {
                report.ignored += 1;
                tracing::info!(recipients, "transient bounce: nothing suppressed");
            }
            Feedback::Ignored(why) => {
                report.ignored += 1;
                tracing::info!(why, "notification ignored");
            }
        }
    }
    Ok(report)
}
