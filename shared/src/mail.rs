//! Outgoing mail through SES, and its templates (text + HTML, English and Spanish, picked from
//! the user's `preferences.language`, English otherwise). The words come from the message
//! catalog ([`crate::i18n`], `shared/locales/*/mail.ftl`); the structure of each mail, and the
//! HTML escaping of everything put into it, stay here. Codes appear in both parts because
//! some clients (and the local emulator) show only one.

use anyhow::Context as _;
use aws_sdk_ses::types::{Body, Content, Destination, Message};

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// What kind of mail it is (`activation`, `password-reset`, …): the SES message tag `kind`
    /// and the dimension of the per-kind metrics (letters, digits, `-` only).
    pub kind: &'static str,
}

#[derive(Debug, Clone)]
pub struct Mailer {
    ses: aws_sdk_ses::Client,
    from: String,
    /// The SES configuration set named on every mail (`MAIL_CONFIGURATION_SET`), if any.
    configuration_set: Option<String>,
}

impl Mailer {
    pub fn new(ses: aws_sdk_ses::Client, from: String) -> Self {
        Self { ses, from, configuration_set: None }
    }

    /// Mail through `set` (DKIM domain, bounce and complaint notifications, per-kind metrics).
    pub fn with_configuration_set(mut self, set: Option<String>) -> Self {
        self.configuration_set = set;
        self
    }

    pub async fn send(&self, mail: &Mail) -> anyhow::Result<()> {
        let content = |s: &str| Content::builder().data(s).charset("UTF-8").build();
        let message = Message::builder()
            .subject(content(&mail.subject)?)
            .body(Body::builder().text(content(&mail.text)?).html(content(&mail.html)?).build())
            .build();
        let mut request =
            self.ses.send_email().source(&self.from).destination(Destination::builder().to_addresses(&mail.to).build()).message(message);
        if let Some(set) = &self.configuration_set {
            // The tag comes back in the set's bounce/complaint notifications and metrics.
            request =
                request.configuration_set_name(set).tags(aws_sdk_ses::types::MessageTag::builder().name("kind").value(mail.kind).build()?);
        }
        request.send().await.context("SES SendEmail")?;
        Ok(())
    }
}

pub use crate::i18n::Lang;
use crate::i18n::{text, text_with};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn html_page(greeting: &str, paragraphs: &[String], code: Option<&str>, link: Option<(&str, &str)>) -> String {
    let mut body = format!("<p>{}</p>", escape(greeting));
    for p in paragraphs {
        body.push_str(&format!("<p>{}</p>", escape(p)));
    }
    if let Some(code) = code {
        body.push_str(&format!(
            "<p style=\"font-size:24px;letter-spacing:4px;font-family:monospace\"><strong>{}</strong></p>",
            escape(code)
        ));
    }
    if let Some((label, url)) = link {
        body.push_str(&format!("<p><a href=\"{0}\">{1}</a></p><p>{0}</p>", escape(url), escape(label)));
    }
    format!("<!doctype html><html><body style=\"font-family:sans-serif\">{body}</body></html>")
}

/// `Hello {username},` / `Hola {username}:`.
fn greeting(lang: Lang, username: &str) -> String {
    text_with(lang, "greeting", &[("username", username)])
}

/// The activation mail: a 6-digit code and a link, both valid 24 h.
pub fn activation(lang: Lang, to: &str, username: &str, code: &str, link: &str) -> Mail {
    let greeting = greeting(lang, username);
    let lines = [text(lang, "activation-intro"), text(lang, "activation-ignore")];
    Mail {
        to: to.to_owned(),
        subject: text(lang, "activation-subject"),
        text: format!("{greeting}\n\n{}\n\n{code}\n\n{link}\n\n{}\n", lines[0], lines[1]),
        html: html_page(&greeting, &lines, Some(code), Some((&text(lang, "activation-link"), link))),
        kind: "activation",
    }
}

/// The password reset mail: a single-use link valid 1 h.
pub fn password_reset(lang: Lang, to: &str, username: &str, link: &str) -> Mail {
    let greeting = greeting(lang, username);
    let lines = [text(lang, "password-reset-intro"), text(lang, "password-reset-ignore")];
    Mail {
        to: to.to_owned(),
        subject: text(lang, "password-reset-subject"),
        text: format!("{greeting}\n\n{}\n\n{link}\n\n{}\n", lines[0], lines[1]),
        html: html_page(&greeting, &lines, None, Some((&text(lang, "password-reset-link"), link))),
        kind: "password-reset",
    }
}

/// The link that completes an email change, sent to the new address (1 h, single use).
pub fn email_change_confirmation(lang: Lang, to: &str, username: &str, link: &str) -> Mail {
    let greeting = greeting(lang, username);
    let lines = [text(lang, "email-change-confirmation-intro"), text(lang, "email-change-confirmation-ignore")];
    Mail {
        to: to.to_owned(),
        subject: text(lang, "email-change-confirmation-subject"),
        text: format!("{greeting}\n\n{}\n\n{link}\n\n{}\n", lines[0], lines[1]),
        html: html_page(&greeting, &lines, None, Some((&text(lang, "email-change-confirmation-link"), link))),
        kind: "email-change-confirmation",
    }
}

/// Tells the current address that a change to `new_redacted` was asked for.
pub fn email_change_notice(lang: Lang, to: &str, username: &str, new_redacted: &str) -> Mail {
    let greeting = greeting(lang, username);
    let lines = [text_with(lang, "email-change-notice-intro", &[("new_address", new_redacted)]), text(lang, "email-change-notice-advice")];
    Mail {
        to: to.to_owned(),
        subject: text(lang, "email-change-notice-subject"),
        text: format!("{greeting}\n\n{}\n\n{}\n", lines[0], lines[1]),
        html: html_page(&greeting, &lines, None, None),
        kind: "email-change-notice",
    }
}

/// Confirms a scheduled deletion and says how to undo it.
pub fn deletion_scheduled(lang: Lang, to: &str, username: &str, purge_date: &str, recovery_code: &str) -> Mail {
    let greeting = greeting(lang, username);
    let lines = [text_with(lang, "deletion-scheduled-intro", &[("purge_date", purge_date)]), text(lang, "deletion-scheduled-advice")];
    Mail {
        to: to.to_owned(),
        subject: text(lang, "deletion-scheduled-subject"),
        text: format!("{greeting}\n\n{}\n\n{recovery_code}\n\n{}\n", lines[0], lines[1]),
        html: html_page(&greeting, &lines, Some(recovery_code), None),
        kind: "deletion-scheduled",
    }
}

/// A notice that something security-relevant happened to the account.
pub fn security_notice(lang: Lang, to: &str, username: &str, what: SecurityEvent) -> Mail {
    let id = what.message_id();
    let greeting = greeting(lang, username);
    let (line, tail) = (text(lang, id), text(lang, "security-advice"));
    let mail_text = format!("{greeting}\n\n{line}\n\n{tail}\n");
    Mail {
        to: to.to_owned(),
        subject: text(lang, &format!("{id}-subject")),
        text: mail_text,
        html: html_page(&greeting, &[line, tail], None, None),
        kind: id,
    }
}

/// What an address with no matching account asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskedFor {
    /// `forgot-password` for an address no account has.
    PasswordReset,
    /// `resend-activation` for an address with no account waiting to be activated.
    Activation,
}

/// The mail an address gets when it asked for a reset link or an activation code and no
/// account matches: the same SES call as for a known address, so the answer's work does not
/// tell the two apart (SPEC §6), and the person learns that someone asked. English: there is no
/// account whose language to use.
pub fn no_account(to: &str, what: AskedFor) -> Mail {
    let lang = Lang::En;
    let id = match what {
        AskedFor::PasswordReset => "no-account-password-reset",
        AskedFor::Activation => "no-account-activation",
    };
    let greeting = text(lang, "greeting-anonymous");
    let (line, tail) = (text(lang, id), text(lang, "no-account-ignore"));
    let mail_text = format!("{greeting}\n\n{line}\n\n{tail}\n");
    Mail {
        to: to.to_owned(),
        subject: text(lang, &format!("{id}-subject")),
        text: mail_text,
        html: html_page(&greeting, &[line, tail], None, None),
        kind: id,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityEvent {
    PasswordChanged,
    MfaEnabled,
    MfaDisabled,
    ApiKeyCreated,
    AccountRecovered,
}

impl SecurityEvent {
    /// The catalog message of its line (`<id>-subject` is its subject).
    fn message_id(self) -> &'static str {
        match self {
            SecurityEvent::PasswordChanged => "security-password-changed",
            SecurityEvent::MfaEnabled => "security-mfa-enabled",
            SecurityEvent::MfaDisabled => "security-mfa-disabled",
            SecurityEvent::ApiKeyCreated => "security-api-key-created",
            SecurityEvent::AccountRecovered => "security-account-recovered",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_activation_code_and_link_are_in_both_parts() {
        let m = activation(Lang::En, "a@example.com", "alice", "123456", "https://x/activate?token=t");
        for part in [&m.text, &m.html] {
            assert!(part.contains("123456"));
            assert!(part.contains("https://x/activate?token=t"));
        }
    }

    #[test]
    fn spanish_users_get_spanish_mail_and_others_english() {
        assert_eq!(activation(Lang::from_primary("es"), "a@x.io", "a", "1", "l").subject, "Activa tu cuenta");
        assert_eq!(activation(Lang::from_primary("fr"), "a@x.io", "a", "1", "l").subject, "Activate your account");
    }

    #[test]
    fn the_no_account_notice_carries_no_link_or_code_and_says_what_was_asked() {
        let reset = no_account("a@x.io", AskedFor::PasswordReset);
        let activation = no_account("a@x.io", AskedFor::Activation);
        assert_ne!(reset.subject, activation.subject);
        for m in [&reset, &activation] {
            assert_eq!(m.to, "a@x.io");
            assert!(!m.text.contains("http") && !m.html.contains("href"), "{m:?}");
            assert!(m.text.contains("ignore this message"));
        }
    }

    #[test]
    fn html_is_escaped() {
        let m = password_reset(Lang::En, "a@x.io", "<b>", "https://x/?a=1&b=2");
        assert!(m.html.contains("&lt;b&gt;"));
        assert!(m.html.contains("a=1&amp;b=2"));
    }

    #[test]
    fn the_email_change_link_is_in_both_parts_and_the_notice_names_the_new_address() {
        let m = email_change_confirmation(Lang::Es, "new@example.com", "ana", "https://x/confirm-email?token=t");
        assert!(m.text.contains("https://x/confirm-email?token=t") && m.html.contains("https://x/confirm-email?token=t"));
        let n = email_change_notice(Lang::En, "old@example.com", "ana", "n***@example.com");
        assert!(n.text.contains("n***@example.com") && n.html.contains("n***@example.com"));
    }

    /// Every mail in both languages, every security event included.
    fn every_mail(lang: Lang) -> Vec<Mail> {
        let mut all = vec![
            activation(lang, "a@x.io", "ana", "123456", "https://x/activate?token=t"),
            password_reset(lang, "a@x.io", "ana", "https://x/reset-password?token=t"),
            email_change_confirmation(lang, "a@x.io", "ana", "https://x/confirm-email?token=t"),
            email_change_notice(lang, "a@x.io", "ana", "n***@x.io"),
            deletion_scheduled(lang, "a@x.io", "ana", "2026-12-09", "ABCD-EFGH"),
        ];
        let events = [
            SecurityEvent::PasswordChanged,
            SecurityEvent::MfaEnabled,
            SecurityEvent::MfaDisabled,
            SecurityEvent::ApiKeyCreated,
            SecurityEvent::AccountRecovered,
        ];
        all.extend(events.into_iter().map(|e| security_notice(lang, "a@x.io", "ana", e)));
        all.extend([AskedFor::PasswordReset, AskedFor::Activation].map(|w| no_account("a@x.io", w)));
        all
    }

    #[test]
    fn every_mail_is_worded_from_the_catalog_in_both_languages() {
        for lang in Lang::ALL {
            let mails = every_mail(lang);
            for m in &mails {
                // A missing message renders as its id (lower case, dashes, no spaces).
                let paragraphs: Vec<&str> = m.text.split("\n\n").collect();
                for line in std::iter::once(m.subject.as_str()).chain(paragraphs.iter().copied()) {
                    let line = line.trim();
                    let id_like = line.len() > 3 && line.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
                    assert!(!id_like, "{lang:?}: {line:?} looks like a missing message in {m:?}");
                }
                assert!(!m.text.contains('{') && !m.html.contains('{'), "an unresolved placeable in {m:?}");
                assert!(!m.text.contains('\u{2068}') && !m.html.contains('\u{2068}'), "isolation marks in {m:?}");
            }
            let subjects: std::collections::BTreeSet<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
            assert_eq!(subjects.len(), mails.len(), "every mail has a subject of its own");
        }
    }

    #[test]
    fn spanish_mail_keeps_its_wording_and_values() {
        let m = deletion_scheduled(Lang::Es, "a@x.io", "ana", "2026-12-09", "ABCD-EFGH");
        assert_eq!(m.subject, "Tu cuenta se eliminará");
        assert_eq!(
            m.text,
            "Hola ana:\n\nTu cuenta se eliminará definitivamente el 2026-12-09. Hasta entonces puedes restaurarla con este código de recuperación y tu correo (POST /api/users/recover).\n\nABCD-EFGH\n\nSi no lo has pedido tú, restaura la cuenta de inmediato y cambia tu contraseña.\n"
        );
        let n = security_notice(Lang::Es, "a@x.io", "ana", SecurityEvent::ApiKeyCreated);
        assert_eq!(n.subject, "Se ha creado una clave de API");
        assert!(n.text.contains("Se acaba de crear una clave de API nueva para tu cuenta."));
        let e = email_change_notice(Lang::En, "a@x.io", "<ana>", "n***@x.io");
        assert!(e.text.starts_with("Hello <ana>,\n\nSomeone signed in to your account asked to change its email address to n***@x.io."));
        assert!(e.html.contains("<p>Hello &lt;ana&gt;,</p>"), "{}", e.html);
    }
}
