//! What every page answer shares: the layout's context ([`Chrome`]), the state of a submitted
//! form ([`FormState`]), and the response with the headers SPEC §3.8 asks for: a
//! `Content-Security-Policy` without `unsafe-inline`, `frame-ancestors 'none'`, and
//! `Referrer-Policy: no-referrer` on pages whose address carries a token (`same-origin`
//! elsewhere, so form posts keep a real `Origin`).

use super::assets;
use super::session::Visitor;
use crate::error::{Error, FieldError};
use crate::i18n::{self, Lang};
use crate::services::admin::Action;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Scripts and styles only from our origin (the embedded static files); images also as `data:`
/// (the captcha, the TOTP QR code); forms post only to us; no framing, no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The layout's context: language, theme, CSRF token, who is signed in, the asset names.
pub struct Chrome {
    pub lang: Lang,
    pub theme: Option<&'static str>,
    pub csrf: String,
    /// The signed-in account's username (the header then shows the account link and sign-out).
    pub username: Option<String>,
    /// The signed-in account is staff (moderator or admin): the header links the console.
    pub staff: bool,
    pub css: &'static str,
    pub js: &'static str,
    /// What a new password must be (the configured policy), for the hint under such fields.
    pub password_hint: String,
}

impl Chrome {
    pub fn of(visitor: &Visitor) -> Self {
        Self {
            lang: visitor.lang,
            theme: visitor.theme,
            csrf: visitor.csrf.clone(),
            username: visitor.principal.as_ref().map(|p| p.user.username.as_str().to_owned()),
            staff: visitor.principal.as_ref().is_some_and(|p| Action::Read.allowed_for(p.user.role) && p.user.email_verified),
            css: assets::css_path(),
            js: assets::js_path(),
            password_hint: visitor.password_hint.clone(),
        }
    }

    /// The layout for an answer that looks at no session (no token, nobody signed in).
    pub fn anonymous(lang: Lang) -> Self {
        Self {
            lang,
            theme: None,
            csrf: String::new(),
            username: None,
            staff: false,
            css: assets::css_path(),
            js: assets::js_path(),
            password_hint: String::new(),
        }
    }

    /// A message of the catalog in the page's language.
    pub fn t(&self, id: &str) -> String {
        i18n::text(self.lang, id)
    }

    /// A message with one argument.
    pub fn t1(&self, id: &str, name: &str, value: &str) -> String {
        i18n::text_with(self.lang, id, &[(name, value)])
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
}

/// A submitted form coming back: what was typed (never passwords) and what was wrong with it.
#[derive(Default)]
pub struct FormState {
    values: Vec<(String, String)>,
    errors: Vec<FieldError>,
    /// A form-level message (`role="alert"`).
    pub alert: Option<String>,
}

impl FormState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps a typed value so the form shows it again.
    pub fn keep(mut self, field: &str, value: &str) -> Self {
        self.values.push((field.to_owned(), value.to_owned()));
        self
    }

    /// The form after `error`: field errors next to their fields, anything else as the alert.
    /// The services name fields as the JSON API does (`newPassword`, `preferences.theme`);
    /// a page's field is the snake-case last segment (`new_password`, `theme`).
    pub fn failed(mut self, lang: Lang, error: &Error) -> Self {
        match error {
            Error::Validation(fields) | Error::WeakPassword(fields) => {
                self.errors = fields.iter().map(|e| FieldError::new(page_field(&e.field), field_message(lang, &e.message))).collect();
                self.alert = Some(i18n::text(lang, "form-has-errors"));
            }
            other => self.alert = Some(error_message(lang, other)),
        }
        self
    }

    /// [`FormState::failed`], and an error that is about one input without naming it (a wrong
    /// password, a wrong code, a refused file) is also shown next to `field`.
    pub fn failed_at(self, lang: Lang, error: &Error, field: &str) -> Self {
        let mut state = self.failed(lang, error);
        if matches!(
            error,
            Error::InvalidPassword
                | Error::InvalidCredentials
                | Error::InvalidCode
                | Error::CodeExpired
                | Error::UnsupportedMediaType
                | Error::PayloadTooLarge
        ) {
            state.errors.push(FieldError::new(field, error_message(lang, error)));
        }
        state
    }

    /// What is wrong with a field (by its page name: [`FormState::failed`] maps the API's),
    /// every rule it broke (a weak password can break several), if it failed.
    pub fn error(&self, field: &str) -> Option<String> {
        let messages: Vec<&str> = self.errors.iter().filter(|e| e.field == field).map(|e| e.message.as_str()).collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    }

    pub fn value(&self, field: &str) -> &str {
        self.values.iter().find(|(f, _)| f == field).map(|(_, v)| v.as_str()).unwrap_or_default()
    }
}

/// A field error's message for a person: the catalog's `field-<message>` in the page's language
/// (the domain's English message with its numbers taken out as `$n` and `$m`: "must be at least
/// 8 characters" is `field-must-be-at-least-n-characters`), else the message itself; either way a
/// sentence.
fn field_message(lang: Lang, message: &str) -> String {
    let mut slug = String::from("field-");
    let mut numbers: Vec<String> = Vec::new();
    let mut digits = String::new();
    let mut chars = message.chars().chain(std::iter::once(' ')).peekable();
    let mut after_space = true;
    while let Some(ch) = chars.next() {
        // A minus sign before a number ("from -1000 to 1000") belongs to it; "3-30" is a range.
        let sign = ch == '-' && after_space && digits.is_empty() && chars.peek().is_some_and(char::is_ascii_digit);
        after_space = ch == ' ';
        if ch.is_ascii_digit() || sign {
            digits.push(ch);
            continue;
        }
        if !digits.is_empty() {
            numbers.push(std::mem::take(&mut digits));
            slug.push('n');
        }
        if ch.is_ascii_alphanumeric() {
            slug.push(ch.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if i18n::has(lang, slug) {
        let args: Vec<(&str, &str)> = ["n", "m"].into_iter().zip(numbers.iter().map(String::as_str)).collect();
        return i18n::text_with(lang, slug, &args);
    }
    let mut chars = message.chars();
    let mut sentence: String = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    sentence.push_str(chars.as_str());
    if !sentence.ends_with('.') {
        sentence.push('.');
    }
    sentence
}

/// `preferences.theme` → `theme`, `newPassword` → `new_password`.
fn page_field(api_field: &str) -> String {
    let last = api_field.rsplit('.').next().unwrap_or(api_field);
    let mut out = String::with_capacity(last.len() + 4);
    for ch in last.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// A time for people: `2026-12-02 16:04 UTC` (the `datetime` attribute carries RFC 3339).
pub struct When {
    pub iso: String,
    pub text: String,
}

impl When {
    pub fn at(epoch: i64) -> Self {
        Self::of(crate::clock::rfc3339(epoch))
    }

    /// From an RFC 3339 UTC time as the services write it (`2026-12-02T16:04:05Z`).
    pub fn of(iso: String) -> Self {
        let text = iso.get(..16).map_or_else(|| iso.clone(), |s| format!("{} UTC", s.replacen('T', " ", 1)));
        Self { iso, text }
    }
}

/// Why a banned account cannot sign in, as the login answer gives it (SPEC §3.1): until when
/// (or for good) and the reason the moderator wrote.
fn ban_message(lang: Lang, info: &crate::error::BanInfo) -> String {
    let mut text = match &info.banned_until {
        Some(until) => i18n::text_with(lang, "error-ACCOUNT_BANNED-until", &[("until", &When::of(until.clone()).text)]),
        None => i18n::text(lang, "error-ACCOUNT_BANNED"),
    };
    if let Some(reason) = info.ban_reason.as_deref().filter(|r| !r.is_empty()) {
        text.push(' ');
        text.push_str(&i18n::text_with(lang, "error-ACCOUNT_BANNED-reason", &[("reason", reason)]));
    }
    text
}

/// The person-facing text of an error: the catalog's `error-<CODE>` in the page's language,
/// else the error's own (English) message; a 5xx never shows internals. A ban says until when
/// and why.
pub fn error_message(lang: Lang, error: &Error) -> String {
    if let Error::AccountBanned(info) = error {
        return ban_message(lang, info);
    }
    let id = format!("error-{}", error.code());
    if i18n::has(lang, &id) {
        i18n::text(lang, &id)
    } else if error.status().is_server_error() {
        i18n::text(lang, "error-INTERNAL")
    } else {
        error.to_string()
    }
}

/// An HTML answer with the pages' security headers and the visitor's cookies.
pub struct Page {
    status: StatusCode,
    body: String,
    location: Option<String>,
    cookies: Vec<HeaderValue>,
    token_in_address: bool,
}

impl Page {
    /// `template` rendered with status 200.
    pub fn render(visitor: &mut Visitor, template: &impl Template) -> Self {
        Self::render_status(visitor, StatusCode::OK, template)
    }

    pub fn render_status(visitor: &mut Visitor, status: StatusCode, template: &impl Template) -> Self {
        match template.render() {
            Ok(body) => Self { status, body, location: None, cookies: visitor.take_cookies(), token_in_address: false },
            Err(e) => {
                tracing::error!(error = %e, "template failed to render");
                Self {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    body: "<!doctype html><title>Error</title><p>Something went wrong.</p>".into(),
                    location: None,
                    cookies: visitor.take_cookies(),
                    token_in_address: false,
                }
            }
        }
    }

    /// A page without a visitor (a refused post: nothing about the session is touched).
    pub fn bare(status: StatusCode, body: String) -> Self {
        Self { status, body, location: None, cookies: Vec::new(), token_in_address: true }
    }

    /// `303 See Other` to a path of ours (after a successful form post).
    pub fn redirect(visitor: &mut Visitor, to: &str) -> Self {
        Self {
            status: StatusCode::SEE_OTHER,
            body: String::new(),
            location: Some(to.to_owned()),
            cookies: visitor.take_cookies(),
            token_in_address: false,
        }
    }

    /// The page was reached with a token in its address: send no `Referer` from it.
    pub fn token_in_address(mut self) -> Self {
        self.token_in_address = true;
        self
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        let referrer = if self.token_in_address { "no-referrer" } else { "same-origin" };
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
        if let Some(v) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(header::LOCATION, v);
        }
        for c in self.cookies {
            headers.append(header::SET_COOKIE, c);
        }
        response
    }
}

/// A page that is only a heading and a message (errors, 404, the CSRF refusal).
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub c: Chrome,
    pub title: String,
    pub message: String,
    /// A link onwards: `(href, label)`.
    pub next: Option<(String, String)>,
}

/// The answer to a page request that failed outside any form: the error's status and message.
pub fn error_page(visitor: &mut Visitor, error: &Error) -> Page {
    let c = Chrome::of(visitor);
    let status = error.status();
    let title = c.t(if status == StatusCode::NOT_FOUND {
        "page-not-found"
    } else if status == StatusCode::FORBIDDEN {
        "page-forbidden"
    } else {
        "page-error"
    });
    let message = error_message(visitor.lang, error);
    let next = Some(("/".to_owned(), c.t("nav-home")));
    Page::render_status(visitor, status, &MessagePage { c, title, message, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_go_next_to_their_fields_and_other_errors_to_the_alert() {
        let form = FormState::new().failed(Lang::En, &Error::field("email", "is not a valid address"));
        assert_eq!(form.error("email").as_deref(), Some("Is not a valid address."));
        assert_eq!(form.error("username"), None);
        let form = FormState::new().failed(Lang::En, &Error::field("newPassword", "is too short"));
        assert_eq!(form.error("new_password").as_deref(), Some("Is too short."), "the API's field names are the form's");
        let form = FormState::new().failed(Lang::En, &Error::InvalidCredentials);
        assert!(form.alert.is_some());
        assert_eq!(form.error("password"), None);
    }

    #[test]
    fn the_api_names_of_fields_become_the_names_of_page_fields() {
        let form = FormState::new().failed(Lang::En, &Error::field("newPassword", "is too short"));
        assert_eq!(form.error("new_password").as_deref(), Some("Is too short."));
        let form = FormState::new().failed(Lang::En, &Error::field("preferences.timezone", "must be an IANA time zone"));
        assert_eq!(form.error("timezone").as_deref(), Some("Choose a time zone from the IANA list, such as Europe/Madrid."));
        let form = FormState::new().failed(Lang::En, &Error::field("app.defaultFolder", "bad"));
        assert_eq!(form.error("default_folder").as_deref(), Some("Bad."));
    }

    #[test]
    fn field_messages_are_in_the_pages_language_with_their_numbers_and_every_rule_broken_is_shown() {
        let weak = Error::WeakPassword(vec![
            FieldError::new("password", "must be at least 12 characters"),
            FieldError::new("password", "must contain a digit"),
        ]);
        let es = FormState::new().failed(Lang::Es, &weak).error("password").unwrap();
        assert_eq!(es, "Debe tener al menos 12 caracteres. Debe contener un dígito.");
        let en = FormState::new().failed(Lang::En, &weak).error("password").unwrap();
        assert_eq!(en, "Must be at least 12 characters. Must contain a digit.");
        // The domain's own messages are in the catalog (a renamed message would fall back to English).
        let username = crate::domain::Username::parse("x", "username").unwrap_err();
        let es = FormState::new().failed(Lang::Es, &Error::Validation(vec![username])).error("username").unwrap();
        assert_eq!(es, "Debe tener de 3 a 30 caracteres: letras, dígitos y _.");
        let email = crate::domain::Email::parse("nope", "email").unwrap_err();
        let es = FormState::new().failed(Lang::Es, &Error::Validation(vec![email])).error("email").unwrap();
        assert_eq!(es, "Escribe una dirección de correo válida.");
        // A negative number keeps its sign; a range keeps both ends.
        let rating = field_message(Lang::En, "must be a whole number from -1000000000 to 1000000000");
        assert_eq!(rating, "Must be a whole number from -1000000000 to 1000000000.");
        assert_eq!(
            field_message(Lang::En, "must be 3-30 characters of letters, digits and _"),
            "Must be 3 to 30 characters: letters, digits and _."
        );
        // Unknown to the catalog: the message itself, as a sentence.
        assert_eq!(field_message(Lang::Es, "is not an accepted field"), "Is not an accepted field.");
    }

    #[test]
    fn a_wrong_password_shows_next_to_the_password_field_and_in_the_alert() {
        let form = FormState::new().failed_at(Lang::En, &Error::InvalidPassword, "current_password");
        assert!(form.error("current_password").is_some());
        assert!(form.alert.is_some());
        let form = FormState::new().failed_at(Lang::En, &Error::Conflict, "current_password");
        assert_eq!(form.error("current_password"), None);
    }

    #[test]
    fn a_ban_says_until_when_and_why_or_that_it_is_permanent() {
        use crate::error::BanInfo;
        let until = BanInfo { banned_until: Some("2036-03-04T05:06:07Z".into()), ban_reason: Some("Spam in the forum".into()) };
        let text = error_message(Lang::En, &Error::AccountBanned(until));
        assert!(text.contains("2036-03-04 05:06 UTC") && text.contains("Spam in the forum"), "{text}");
        let es =
            error_message(Lang::Es, &Error::AccountBanned(BanInfo { banned_until: Some("2036-03-04T05:06:07Z".into()), ban_reason: None }));
        assert!(es.contains("2036-03-04 05:06 UTC") && !es.contains("Reason"), "{es}");
        let permanent = error_message(Lang::En, &Error::AccountBanned(BanInfo { banned_until: None, ban_reason: Some("Fraud".into()) }));
        assert!(permanent.starts_with(&i18n::text(Lang::En, "error-ACCOUNT_BANNED")) && permanent.contains("Fraud"), "{permanent}");
    }

    #[test]
    fn a_server_error_never_shows_its_cause() {
        let text = error_message(Lang::En, &Error::internal(anyhow::anyhow!("table accounts-prod: secret detail")));
        assert!(!text.contains("secret detail"), "{text}");
    }

    #[test]
    fn the_policy_allows_no_inline_script_or_style_and_no_framing() {
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
        assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self'"));
    }
}
