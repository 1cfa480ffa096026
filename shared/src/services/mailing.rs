//! Rate-limited mail sending, the one way mail leaves the service (not an outbox: nothing is
//! queued; a mail is counted, then handed to SES in the request). A per-recipient limit (all kinds of mail together:
//! activation, reset, email change, security notices), then SES. The counter is keyed on a
//! keyed hash of the lower-cased address (`RATE#mail#<hash>#<window>`), so no address appears
//! in a key, and counted before sending. A limited mail is not sent and is logged without the
//! address; callers answer as they would have (no enumeration through the limit).
//!
//! The same conditional write checks the suppression list (an address that bounced hard or
//! complained, `store/suppression.rs`): a `TransactWriteItems` of the counter and a
//! `ConditionCheck`, so the check costs no call, and a known and an unknown address still make
//! the same calls. A suppressed mail is not sent and the caller answers as always. Every
//! outcome is counted per kind of mail (`MailSent`, `MailSuppressed`, `MailLimited`, `MailFailed`).

use crate::App;
use crate::mail::Mail;
use crate::metrics::MailOutcome;
use crate::store::MailSlot;

/// At most one activation or reset mail per account per minute (the per-account interval the
/// store's conditions enforce, on top of the per-recipient limit).
pub const MAIL_INTERVAL_SECS: i64 = 60;

/// What happened to a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// The recipient already had `RATE_LIMIT_MAIL_PER_RECIPIENT` mails this window.
    Limited,
    /// The address is on the suppression list (it bounced hard or complained).
    Suppressed,
}

/// The counter subject of a recipient: a hash keyed with the service's pepper, so a leaked
/// table does not confirm guessed addresses by hashing them. Always the current key (a counter
/// is only looked up, never compared): rotating the pepper starts every recipient's window
/// afresh, so for at most one window (1 h by default) a recipient may get twice the limit.
fn recipient_subject(app: &App, to: &str) -> crate::error::Result<String> {
    Ok(app.code_pepper()?.hash("mail-recipient", "", &to.trim().to_lowercase()))
}

/// `(counter pk, window end)` of the mail counter a mail to `to` counts on now.
pub fn counter(app: &App, to: &str) -> crate::error::Result<(String, i64)> {
    let window = app.config.limits.mail_per_recipient.window(app.now());
    Ok((super::limits::counter_key("mail", &recipient_subject(app, to)?, window.index), window.ends_at))
}

/// Takes one mail slot of `to`'s window for a mail of `kind`; `false` when the recipient is at
/// the limit or the address is suppressed (then nothing is counted, and the outcome is). Flows
/// that replace a code or link before mailing it (resend, forgot password) reserve first, so a
/// refused request leaves the previous, already mailed code valid.
pub async fn reserve(app: &App, to: &str, kind: &str) -> crate::error::Result<bool> {
    Ok(take(app, to, kind).await? == Delivery::Sent)
}

/// [`reserve`], saying why a mail may not go.
async fn take(app: &App, to: &str, kind: &str) -> crate::error::Result<Delivery> {
    let limit = app.config.limits.mail_per_recipient;
    let (key, ends_at) = counter(app, to)?;
    match app.store.take_mail_slot(&key, limit.max, ends_at, to).await? {
        MailSlot::Taken => Ok(Delivery::Sent),
        MailSlot::Limited => {
            tracing::warn!(limit = %limit, kind, "mail not sent: recipient limit reached");
            app.count_mail(MailOutcome::Limited, kind);
            Ok(Delivery::Limited)
        }
        MailSlot::Suppressed(m) => {
            tracing::info!(kind, reason = m.reason.as_str(), "mail not sent: the address is on the suppression list");
            app.count_mail(MailOutcome::Suppressed, kind);
            Ok(Delivery::Suppressed)
        }
    }
}

/// Sends `mail` unless its recipient is over the limit or suppressed. An error means the
/// counter or SES failed; the mail may then not have been sent.
pub async fn send(app: &App, mail: &Mail) -> anyhow::Result<Delivery> {
    match take(app, &mail.to, mail.kind).await? {
        Delivery::Sent => {
            send_reserved(app, mail).await?;
            Ok(Delivery::Sent)
        }
        refused => Ok(refused),
    }
}

/// Sends a mail whose slot [`reserve`] (or a transaction with [`counter`]) already took.
pub async fn send_reserved(app: &App, mail: &Mail) -> anyhow::Result<()> {
    match app.mailer.send(mail).await {
        Ok(()) => {
            app.count_mail(MailOutcome::Sent, mail.kind);
            Ok(())
        }
        Err(e) => {
            app.count_mail(MailOutcome::Failed, mail.kind);
            Err(e)
        }
    }
}
