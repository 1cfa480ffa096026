//! The pages a visitor uses before (or instead of) signing in: sign-up, activation, sign-in with
//! its second step, sign-out, forgotten and reset passwords, email confirmation and the
//! recovery of an account pending deletion. Each POST calls the service its JSON route calls.
//!
//! A page reached from a mailed link (`/activate`, `/reset-password`, `/confirm-email`) only
//! shows a button on `GET` (and `HEAD`): mail scanners that prefetch links use nothing up.

use super::page::{Chrome, FormState, MessagePage, Page};
use super::{Submitted, Visitor, safe_next};
use crate::App;
use crate::error::Error;
use crate::http::RouteTable;
use crate::services::{lifecycle, password_reset, sign_in, sign_up};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::Arc;

pub fn table() -> RouteTable {
    RouteTable::new()
        .route("/", get(home))
        .route("/sign-up", get(sign_up_page).post(sign_up_submit))
        .route("/activate", get(activate_page).post(activate_submit))
        .route("/sign-in", get(sign_in_page).post(sign_in_submit))
        .route("/sign-in/mfa", post(mfa_submit))
        .route("/sign-out", post(sign_out))
        .route("/forgot-password", get(forgot_page).post(forgot_submit))
        .route("/reset-password", get(reset_page).post(reset_submit))
        .route("/confirm-email", get(confirm_page).post(confirm_submit))
        .route("/recover", get(recover_page).post(recover_submit))
}

/// The longest token any of our links carries (the services refuse longer ones too).
const MAX_TOKEN: usize = 128;

async fn home(mut visitor: Visitor) -> Page {
    let to = if visitor.principal.is_some() { "/account" } else { "/sign-in" };
    Page::redirect(&mut visitor, to)
}

fn message(visitor: &mut Visitor, status: StatusCode, title: &str, text: String, next: Option<(&str, &str)>) -> Page {
    let c = Chrome::of(visitor);
    let next = next.map(|(href, label)| (href.to_owned(), c.t(label)));
    let title = c.t(title);
    Page::render_status(visitor, status, &MessagePage { c, title, message: text, next })
}

// ---- sign-up ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "sign_up.html")]
struct SignUpPage {
    c: Chrome,
    form: FormState,
    /// `(id, PNG data URL)` of the built-in captcha when one is required.
    captcha: Option<(String, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignUpForm {
    username: String,
    email: String,
    password: String,
    captcha_id: String,
    captcha: String,
}

async fn sign_up_form(app: &App, visitor: &mut Visitor, status: StatusCode, form: FormState) -> Page {
    let captcha = if app.config.require_captcha {
        match sign_up::captcha(app, &visitor.client).await {
            Ok(c) => Some((c.id, c.image)),
            Err(e) => return super::page::error_page(visitor, &e),
        }
    } else {
        None
    };
    let page = SignUpPage { c: Chrome::of(visitor), form, captcha };
    Page::render_status(visitor, status, &page)
}

async fn sign_up_page(State(app): State<Arc<App>>, mut visitor: Visitor) -> Page {
    sign_up_form(&app, &mut visitor, StatusCode::OK, FormState::new()).await
}

async fn sign_up_submit(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<SignUpForm>) -> Page {
    let captcha = (!form.captcha.is_empty()).then(|| (form.captcha_id.clone(), form.captcha.clone()));
    let registration = sign_up::Registration {
        username: form.username.clone(),
        email: form.email.clone(),
        password: form.password,
        captcha,
        language: crate::domain::Language::parse(visitor.lang.code()),
    };
    match sign_up::register(&app, registration, &visitor.client).await {
        Ok(done) => {
            let text = if done.mail_sent { "sign-up-done-text" } else { "sign-up-done-no-mail" };
            let text = Chrome::of(&visitor).t1(text, "email", done.user.email.as_str());
            message(&mut visitor, StatusCode::OK, "sign-up-done-title", text, Some(("/sign-in", "nav-sign-in")))
        }
        Err(e) => {
            let state = FormState::new().keep("username", &form.username).keep("email", &form.email).failed(visitor.lang, &e);
            sign_up_form(&app, &mut visitor, e.status(), state).await
        }
    }
}

// ---- pages reached from a mailed link ------------------------------------------------------------

/// A page whose only content is a button that posts the link's token.
#[derive(Template)]
#[template(path = "token_action.html")]
struct TokenActionPage {
    c: Chrome,
    form_id: &'static str,
    title: String,
    intro: String,
    button: String,
    token: String,
    alert: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenQuery {
    token: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    token: String,
}

/// `(form id, the catalog's prefix)` of each link page.
fn token_page(visitor: &mut Visitor, which: (&'static str, &str), token: String, alert: Option<String>, status: StatusCode) -> Page {
    let c = Chrome::of(visitor);
    let (form_id, prefix) = which;
    let page = TokenActionPage {
        form_id,
        title: c.t(&format!("{prefix}-title")),
        intro: c.t(&format!("{prefix}-intro")),
        button: c.t(&format!("{prefix}-button")),
        token,
        alert,
        c,
    };
    Page::render_status(visitor, status, &page).token_in_address()
}

const ACTIVATE: (&str, &str) = ("activate", "activate");
const CONFIRM_EMAIL: (&str, &str) = ("confirm-email", "confirm-email");

fn link_token(raw: String) -> Option<String> {
    (!raw.is_empty() && raw.len() <= MAX_TOKEN).then_some(raw)
}

/// `GET` of a link page: the button, never the action.
fn link_page(visitor: &mut Visitor, which: (&'static str, &str), token: String) -> Page {
    match link_token(token) {
        Some(token) => token_page(visitor, which, token, None, StatusCode::OK),
        None => super::page::error_page(visitor, &Error::InvalidToken).token_in_address(),
    }
}

/// The answer to a link page's button: done, or the button again with why not.
fn link_done(visitor: &mut Visitor, which: (&'static str, &str), token: String, result: crate::Result<()>) -> Page {
    let prefix = which.1;
    match result {
        Ok(()) => {
            let text = Chrome::of(visitor).t(&format!("{prefix}-done-text"));
            message(visitor, StatusCode::OK, &format!("{prefix}-done-title"), text, Some(("/sign-in", "nav-sign-in"))).token_in_address()
        }
        Err(e) => {
            let alert = Some(super::page::error_message(visitor.lang, &e));
            token_page(visitor, which, token, alert, e.status())
        }
    }
}

async fn activate_page(mut visitor: Visitor, Query(q): Query<TokenQuery>) -> Page {
    link_page(&mut visitor, ACTIVATE, q.token)
}

async fn activate_submit(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<TokenForm>) -> Page {
    let Some(token) = link_token(form.token) else { return super::page::error_page(&mut visitor, &Error::InvalidToken) };
    let result = sign_up::activate_with_token(&app, &token, &visitor.client).await;
    link_done(&mut visitor, ACTIVATE, token, result)
}

async fn confirm_page(mut visitor: Visitor, Query(q): Query<TokenQuery>) -> Page {
    link_page(&mut visitor, CONFIRM_EMAIL, q.token)
}

async fn confirm_submit(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<TokenForm>) -> Page {
    let Some(token) = link_token(form.token) else { return super::page::error_page(&mut visitor, &Error::InvalidToken) };
    let result = crate::services::users::account::confirm_email_change(&app, &token, &visitor.client).await;
    link_done(&mut visitor, CONFIRM_EMAIL, token, result)
}

// ---- sign-in -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    c: Chrome,
    form: FormState,
    next: String,
    /// Why the visitor is here (`?done=password`: the password was just changed).
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "mfa.html")]
struct MfaPage {
    c: Chrome,
    form: FormState,
    mfa_token: String,
    next: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignInForm {
    login: String,
    password: String,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MfaForm {
    mfa_token: String,
    code: String,
    next: Option<String>,
}

async fn sign_in_page(mut visitor: Visitor, Query(q): Query<NextQuery>) -> Page {
    let next = safe_next(q.next.as_deref()).to_owned();
    if visitor.principal.is_some() {
        return Page::redirect(&mut visitor, &next);
    }
    let c = Chrome::of(&visitor);
    let notice = (q.done.as_deref() == Some("password")).then(|| c.t("sign-in-password-changed"));
    let page = SignInPage { c, form: FormState::new(), next, notice };
    Page::render(&mut visitor, &page)
}

/// A session started: its cookies, then on to where the visitor was going.
fn signed_in(app: &App, visitor: &mut Visitor, tokens: &sign_in::Tokens, next: &str) -> Page {
    visitor.sign_in(app, tokens);
    Page::redirect(visitor, next)
}

async fn sign_in_submit(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<SignInForm>) -> Page {
    let next = safe_next(form.next.as_deref()).to_owned();
    let login = form.login.trim().to_owned();
    let credentials = if login.contains('@') {
        sign_in::Credentials { username: None, email: Some(login.clone()), password: form.password }
    } else {
        sign_in::Credentials { username: Some(login.clone()), email: None, password: form.password }
    };
    match sign_in::login(&app, credentials, &visitor.client).await {
        Ok(tokens) => signed_in(&app, &mut visitor, &tokens, &next),
        Err(Error::MfaRequired { mfa_token, .. }) => {
            let page = MfaPage { c: Chrome::of(&visitor), form: FormState::new(), mfa_token, next };
            Page::render(&mut visitor, &page)
        }
        Err(e) => {
            let page = SignInPage {
                c: Chrome::of(&visitor),
                form: FormState::new().keep("login", &login).failed(visitor.lang, &e),
                next,
                notice: None,
            };
            Page::render_status(&mut visitor, e.status(), &page)
        }
    }
}

async fn mfa_submit(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<MfaForm>) -> Page {
    let next = safe_next(form.next.as_deref()).to_owned();
    match sign_in::complete_mfa(&app, &form.mfa_token, form.code.trim(), &visitor.client).await {
        Ok(tokens) => signed_in(&app, &mut visitor, &tokens, &next),
        Err(e @ (Error::InvalidCode | Error::Validation(_))) => {
            // The step token is still good: ask again.
            let state = FormState::new().failed(visitor.lang, &e);
            let page = MfaPage { c: Chrome::of(&visitor), form: state, mfa_token: form.mfa_token, next };
            Page::render_status(&mut visitor, e.status(), &page)
        }
        Err(e) => {
            let page = SignInPage { c: Chrome::of(&visitor), form: FormState::new().failed(visitor.lang, &e), next, notice: None };
            Page::render_status(&mut visitor, e.status(), &page)
        }
    }
}

#[derive(Deserialize, Default)]
struct Empty {}

async fn sign_out(State(app): State<Arc<App>>, Submitted(mut visitor, Empty {}): Submitted<Empty>) -> Page {
    if let Some(p) = visitor.principal.clone()
        && let Err(e) = sign_in::logout(&app, &p, &visitor.client).await
    {
        // The cookies go anyway; the session then ends by itself.
        tracing::warn!(error = %e, "sign-out could not end the session");
    }
    visitor.sign_out(&app);
    Page::redirect(&mut visitor, "/sign-in")
}

// ---- passwords -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage {
    c: Chrome,
    form: FormState,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    email: String,
}

async fn forgot_page(mut visitor: Visitor) -> Page {
    let page = ForgotPage { c: Chrome::of(&visitor), form: FormState::new() };
    Page::render(&mut visitor, &page)
}

async fn forgot_submit(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<EmailForm>) -> Page {
    match password_reset::forgot_password(&app, &form.email, &visitor.client).await {
        Ok(()) => {
            let text = Chrome::of(&visitor).t("forgot-done-text");
            message(&mut visitor, StatusCode::OK, "forgot-done-title", text, Some(("/sign-in", "nav-sign-in")))
        }
        Err(e) => {
            let page = ForgotPage { c: Chrome::of(&visitor), form: FormState::new().keep("email", &form.email).failed(visitor.lang, &e) };
            Page::render_status(&mut visitor, e.status(), &page)
        }
    }
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPage {
    c: Chrome,
    form: FormState,
    token: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResetForm {
    token: String,
    new_password: String,
}

async fn reset_page(mut visitor: Visitor, Query(q): Query<TokenQuery>) -> Page {
    let Some(token) = link_token(q.token) else {
        return super::page::error_page(&mut visitor, &Error::InvalidToken).token_in_address();
    };
    let page = ResetPage { c: Chrome::of(&visitor), form: FormState::new(), token };
    Page::render(&mut visitor, &page).token_in_address()
}

async fn reset_submit(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<ResetForm>) -> Page {
    let Some(token) = link_token(form.token) else { return super::page::error_page(&mut visitor, &Error::InvalidToken) };
    match password_reset::reset_password(&app, &token, &form.new_password, &visitor.client).await {
        Ok(()) => {
            let text = Chrome::of(&visitor).t("reset-done-text");
            message(&mut visitor, StatusCode::OK, "reset-done-title", text, Some(("/sign-in", "nav-sign-in"))).token_in_address()
        }
        Err(e) => {
            let page = ResetPage { c: Chrome::of(&visitor), form: FormState::new().failed(visitor.lang, &e), token };
            Page::render_status(&mut visitor, e.status(), &page).token_in_address()
        }
    }
}

// ---- recovery of an account pending deletion --------------------------------------------------------

#[derive(Template)]
#[template(path = "recover.html")]
struct RecoverPage {
    c: Chrome,
    form: FormState,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RecoverForm {
    email: String,
    code: String,
}

async fn recover_page(mut visitor: Visitor) -> Page {
    let page = RecoverPage { c: Chrome::of(&visitor), form: FormState::new() };
    Page::render(&mut visitor, &page)
}

async fn recover_submit(State(app): State<Arc<App>>, Submitted(mut visitor, form): Submitted<RecoverForm>) -> Page {
    match lifecycle::recover(&app, &form.email, &form.code, &visitor.client).await {
        Ok(()) => {
            let text = Chrome::of(&visitor).t("recover-done-text");
            message(&mut visitor, StatusCode::OK, "recover-done-title", text, Some(("/sign-in", "nav-sign-in")))
        }
        Err(e) => {
            let page = RecoverPage { c: Chrome::of(&visitor), form: FormState::new().keep("email", &form.email).failed(visitor.lang, &e) };
            Page::render_status(&mut visitor, e.status(), &page)
        }
    }
}
