//! Outgoing mail through SES, and its templates (text + HTML, English and Spanish, picked from
//! the user's `preferences.language`, English otherwise). Codes appear in both parts because
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
}

#[derive(Debug, Clone)]
pub struct Mailer {
    ses: aws_sdk_ses::Client,
    from: String,
}

impl Mailer {
    pub fn new(ses: aws_sdk_ses::Client, from: String) -> Self {
        Self { ses, from }
    }

    pub async fn send(&self, mail: &Mail) -> anyhow::Result<()> {
        let content = |s: &str| Content::builder().data(s).charset("UTF-8").build();
        let message = Message::builder()
            .subject(content(&mail.subject)?)
            .body(Body::builder().text(content(&mail.text)?).html(content(&mail.html)?).build())
            .build();
        self.ses
            .send_email()
            .source(&self.from)
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .message(message)
            .send()
            .await
            .context("SES SendEmail")?;
        Ok(())
    }
}

/// Which language a template is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}

impl Lang {
    /// From a BCP 47 primary subtag; anything we have no templates for is English.
    pub fn from_primary(primary: &str) -> Self {
        match primary {
            "es" => Lang::Es,
            _ => Lang::En,
        }
    }
}

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

/// The activation mail: a 6-digit code and a link, both valid 24 h.
pub fn activation(lang: Lang, to: &str, username: &str, code: &str, link: &str) -> Mail {
    let (subject, greeting, lines, label) = match lang {
        Lang::En => (
            "Activate your account",
            format!("Hello {username},"),
            vec![
                "Welcome! Enter this code to activate your account, or open the link below. Both are valid for 24 hours.".to_owned(),
                "If you did not sign up, ignore this message.".to_owned(),
            ],
            "Activate my account",
        ),
        Lang::Es => (
            "Activa tu cuenta",
            format!("Hola {username}:"),
            vec![
                "¡Bienvenido! Introduce este código para activar tu cuenta o abre el enlace de abajo. Ambos son válidos durante 24 horas."
                    .to_owned(),
                "Si no te has registrado, ignora este mensaje.".to_owned(),
            ],
            "Activar mi cuenta",
        ),
    };
    Mail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("{greeting}\n\n{}\n\n{code}\n\n{link}\n\n{}\n", lines[0], lines[1]),
        html: html_page(&greeting, &lines, Some(code), Some((label, link))),
    }
}

/// The password reset mail: a single-use link valid 1 h.
pub fn password_reset(lang: Lang, to: &str, username: &str, link: &str) -> Mail {
    let (subject, greeting, lines, label) = match lang {
        Lang::En => (
            "Reset your password",
            format!("Hello {username},"),
            vec![
                "Someone asked to reset the password of your account. Open the link below within 1 hour to choose a new one; it works once. A new password signs out every session and revokes all your API keys.".to_owned(),
                "If it was not you, ignore this message: your password stays as it is.".to_owned(),
            ],
            "Choose a new password",
        ),
        Lang::Es => (
            "Restablece tu contraseña",
            format!("Hola {username}:"),
            vec![
                "Alguien ha pedido restablecer la contraseña de tu cuenta. Abre el enlace de abajo en menos de 1 hora para elegir una nueva; solo funciona una vez. Una contraseña nueva cierra todas las sesiones y revoca todas tus claves de API.".to_owned(),
                "Si no has sido tú, ignora este mensaje: tu contraseña no cambia.".to_owned(),
            ],
            "Elegir una contraseña nueva",
        ),
    };
    Mail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("{greeting}\n\n{}\n\n{link}\n\n{}\n", lines[0], lines[1]),
        html: html_page(&greeting, &lines, None, Some((label, link))),
    }
}

/// The link that completes an email change, sent to the new address (1 h, single use).
pub fn email_change_confirmation(lang: Lang, to: &str, username: &str, link: &str) -> Mail {
    let (subject, greeting, lines, label) = match lang {
        Lang::En => (
            "Confirm your new email address",
            format!("Hello {username},"),
            vec![
                "Open the link below within 1 hour to make this the email address of your account; it works once.".to_owned(),
                "If you did not ask for this, ignore this message: nothing changes.".to_owned(),
            ],
            "Confirm this address",
        ),
        Lang::Es => (
            "Confirma tu nueva dirección de correo",
            format!("Hola {username}:"),
            vec![
                "Abre el enlace de abajo en menos de 1 hora para que esta sea la dirección de correo de tu cuenta; solo funciona una vez."
                    .to_owned(),
                "Si no lo has pedido, ignora este mensaje: no cambiará nada.".to_owned(),
            ],
            "Confirmar esta dirección",
        ),
    };
    Mail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("{greeting}\n\n{}\n\n{link}\n\n{}\n", lines[0], lines[1]),
        html: html_page(&greeting, &lines, None, Some((label, link))),
    }
}

/// Tells the current address that a change to `new_redacted` was asked for.
pub fn email_change_notice(lang: Lang, to: &str, username: &str, new_redacted: &str) -> Mail {
    let (subject, greeting, lines) = match lang {
        Lang::En => (
            "Your email address is about to change",
            format!("Hello {username},"),
            vec![
                format!(
                    "Someone signed in to your account asked to change its email address to {new_redacted}. This address keeps working until the link sent there is opened."
                ),
                "If it was not you, change your password at once and sign out your other sessions.".to_owned(),
            ],
        ),
        Lang::Es => (
            "Tu dirección de correo va a cambiar",
            format!("Hola {username}:"),
            vec![
                format!(
                    "Alguien con acceso a tu cuenta ha pedido cambiar su dirección de correo a {new_redacted}. Esta dirección sigue funcionando hasta que se abra el enlace enviado allí."
                ),
                "Si no has sido tú, cambia tu contraseña de inmediato y cierra tus otras sesiones.".to_owned(),
            ],
        ),
    };
    Mail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("{greeting}\n\n{}\n\n{}\n", lines[0], lines[1]),
        html: html_page(&greeting, &lines, None, None),
    }
}

/// Confirms a scheduled deletion and says how to undo it.
pub fn deletion_scheduled(lang: Lang, to: &str, username: &str, purge_date: &str, recovery_code: &str) -> Mail {
    let (subject, greeting, lines) = match lang {
        Lang::En => (
            "Your account will be deleted",
            format!("Hello {username},"),
            vec![
                format!(
                    "Your account is scheduled for permanent deletion on {purge_date}. Until then you can restore it with this recovery code and your email address (POST /api/users/recover)."
                ),
                "If you did not ask for this, restore the account at once and change your password.".to_owned(),
            ],
        ),
        Lang::Es => (
            "Tu cuenta se eliminará",
            format!("Hola {username}:"),
            vec![
                format!(
                    "Tu cuenta se eliminará definitivamente el {purge_date}. Hasta entonces puedes restaurarla con este código de recuperación y tu correo (POST /api/users/recover)."
                ),
                "Si no lo has pedido tú, restaura la cuenta de inmediato y cambia tu contraseña.".to_owned(),
            ],
        ),
    };
    Mail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("{greeting}\n\n{}\n\n{recovery_code}\n\n{}\n", lines[0], lines[1]),
        html: html_page(&greeting, &lines, Some(recovery_code), None),
    }
}

/// A notice that something security-relevant happened to the account.
pub fn security_notice(lang: Lang, to: &str, username: &str, what: SecurityEvent) -> Mail {
    use SecurityEvent::*;
    let (subject, line) = match (lang, what) {
        (Lang::En, PasswordChanged) => {
            ("Your password was changed", "The password of your account was just changed and your other sessions were signed out.")
        }
        (Lang::Es, PasswordChanged) => {
            ("Tu contraseña ha cambiado", "Se acaba de cambiar la contraseña de tu cuenta y se han cerrado tus otras sesiones.")
        }
        (Lang::En, MfaEnabled) => ("Two-factor authentication is on", "Two-factor authentication was just turned on for your account."),
        (Lang::Es, MfaEnabled) => {
            ("La verificación en dos pasos está activada", "Se acaba de activar la verificación en dos pasos en tu cuenta.")
        }
        (Lang::En, MfaDisabled) => ("Two-factor authentication is off", "Two-factor authentication was just turned off for your account."),
        (Lang::Es, MfaDisabled) => {
            ("La verificación en dos pasos está desactivada", "Se acaba de desactivar la verificación en dos pasos en tu cuenta.")
        }
        (Lang::En, AccountRecovered) => ("Your account was restored", "Your account was restored and will not be deleted."),
        (Lang::Es, AccountRecovered) => ("Tu cuenta se ha restaurado", "Tu cuenta se ha restaurado y no se eliminará."),
        (Lang::En, ApiKeyCreated) => ("A new API key was created", "A new API key was just created for your account."),
        (Lang::Es, ApiKeyCreated) => ("Se ha creado una clave de API", "Se acaba de crear una clave de API nueva para tu cuenta."),
    };
    let (greeting, tail) = match lang {
        Lang::En => (format!("Hello {username},"), "If it was not you, reset your password at once and review your account."),
        Lang::Es => (format!("Hola {username}:"), "Si no has sido tú, restablece tu contraseña de inmediato y revisa tu cuenta."),
    };
    let lines = vec![line.to_owned(), tail.to_owned()];
    Mail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("{greeting}\n\n{line}\n\n{tail}\n"),
        html: html_page(&greeting, &lines, None, None),
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
    let (subject, line) = match what {
        AskedFor::PasswordReset => {
            ("Password reset requested", "Someone asked to reset the password of an account with this address, but no account uses it.")
        }
        AskedFor::Activation => (
            "Activation code requested",
            "Someone asked for an activation code for this address, but no account waiting to be activated uses it. If you already activated your account, just sign in.",
        ),
    };
    let greeting = "Hello,";
    let tail = "If it was not you, ignore this message: nothing was changed.";
    let lines = vec![line.to_owned(), tail.to_owned()];
    Mail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("{greeting}\n\n{line}\n\n{tail}\n"),
        html: html_page(greeting, &lines, None, None),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_activation_code_and_link_are_in_both_parts() {
        let m = activation(Lang::En, "a@example.com", "alice", "123456", "https://x/api/auth/activate?token=t");
        for part in [&m.text, &m.html] {
            assert!(part.contains("123456"));
            assert!(part.contains("https://x/api/auth/activate?token=t"));
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
}
