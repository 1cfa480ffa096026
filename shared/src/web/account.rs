//! `/account` and its sections: the signed-in person's own account (SPEC §3.8).

use super::Visitor;
use super::page::{Chrome, Page};
use crate::http::RouteTable;
use askama::Template;
use axum::routing::get;

pub fn table() -> RouteTable {
    RouteTable::new().route("/account", get(overview))
}

#[derive(Template)]
#[template(path = "account/overview.html")]
struct Overview {
    c: Chrome,
    username: String,
    email: String,
}

/// A signed-out visitor is sent to sign in and brought back.
fn sign_in_first(visitor: &mut Visitor, here: &str) -> Page {
    Page::redirect(visitor, &format!("/sign-in?next={}", url::form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>()))
}

async fn overview(mut visitor: Visitor) -> Page {
    let Some(p) = visitor.principal.clone() else { return sign_in_first(&mut visitor, "/account") };
    let page = Overview { c: Chrome::of(&visitor), username: p.user.username.as_str().to_owned(), email: p.user.email.as_str().to_owned() };
    Page::render(&mut visitor, &page)
}
