//! The admin console's pages (`/admin/*`, SPEC §3.8 with §3.4's rules), handler-level: who gets
//! the console and who a plain 404, what each role is offered and what the server refuses even
//! from a forged form, the CSRF and Origin checks of every post, the confirmation of a ban and a
//! deletion, each documented error next to its field, the filters and the cursors (a tampered
//! one included), unknown users, the audit trail, and the headers. The journey in a real browser
//! is in tests/api/browser.rs.

use crate::helpers::{ISSUER, PASSWORD, TestApp, TestUser};
use crate::pages::{Browser, Html, PageClient};
use accounts_core::clock::rfc3339;
use accounts_core::domain::{Role, UserId};
use accounts_core::services::admin::{self as svc, Action, Actor, NewAccount};
use std::collections::HashSet;

/// Form fields as a test posts them.
type Fields<'a> = Vec<(&'a str, &'a str)>;

/// An activated account with `role`, made the way `accounts-admin create-admin` makes the
/// first admin; successive ids sort in the order they were made.
async fn account(t: &TestApp, username: &str, role: &str) -> TestUser {
    let id = t.account_as_cli(username, role).await;
    t.clock.advance(time::Duration::milliseconds(2));
    TestUser { id, username: username.into(), email: format!("{username}@example.com"), access: String::new(), refresh: String::new() }
}

/// A browser signed in as `u` through the sign-in page.
async fn console<'a>(t: &'a TestApp, u: &TestUser) -> Browser<'a> {
    Browser::signed_in(t, u).await
}

async fn role_of(t: &TestApp, id: &str) -> Role {
    t.app.store.get_user(&UserId::parse(id).unwrap()).await.unwrap().unwrap().role
}

/// `datetime-local` for `secs` from the app's now (UTC, minutes).
fn local_in(t: &TestApp, secs: i64) -> String {
    rfc3339(t.app.now() + secs).chars().take(16).collect()
}

fn user_page(id: &str) -> String {
    format!("/admin/users/{id}")
}

/// The users of a table page, in order (`data-user` of each row).
fn rows(page: &Html) -> Vec<String> {
    page.body.split("data-user=\"").skip(1).map(|rest| rest[..rest.find('"').unwrap()].to_owned()).collect()
}

/// The `href` of the link with this id, entities decoded (askama writes `&` as `&#38;`).
fn link(page: &Html, id: &str) -> Option<String> {
    page.attr(id, "href").map(|h| h.replace("&#38;", "&").replace("&amp;", "&"))
}

#[tokio::test]
async fn the_console_is_the_sites_plain_404_for_everyone_but_staff() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let plain = account(&t, "plain_pat", "user").await;
    let donator = account(&t, "donor_dee", "donator").await;
    let paths = ["/admin", "/admin/audit", "/admin/users/new", &user_page(&admin.id), &user_page(&plain.id)];

    // Signed out: exactly the page of a path that does not exist, and no cookie either.
    let mut stranger = PageClient::new(&t);
    let missing = stranger.get("/no-such-page").await;
    assert_eq!(missing.status, 404);
    for path in paths {
        let r = PageClient::new(&t).get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.text(), missing.text(), "{path} looks like any missing page");
        assert!(r.headers.get("set-cookie").is_none(), "{path} sets no cookie: {:?}", r.headers.get("set-cookie"));
        assert_eq!(r.headers["cache-control"], "no-store");
    }
    // Signed in without a staff role: the same page; and a valid form post changes nothing.
    for u in [&plain, &donator] {
        let mut b = console(&t, u).await;
        for path in paths {
            let r = b.get(path).await.status(404);
            assert_eq!(r.body, missing.text(), "{path} for {}", u.username);
        }
        let csrf = b.get("/account").await.ok().csrf();
        let r = b.post(&format!("{}/role", user_page(&u.id)), &[("csrf", &csrf), ("role", "admin")]).await.status(404);
        assert_eq!(r.body, missing.text());
        assert_eq!(role_of(&t, &u.id).await, if u.username == "plain_pat" { Role::User } else { Role::Donator });
        assert!(!b.get("/account").await.ok().body.contains("href=\"/admin\""), "the console is not linked for them");
    }
    // An unactivated moderator is not staff yet.
    let input = NewAccount {
        username: "fresh_mod".into(),
        email: "fresh_mod@console.example.com".into(),
        password: PASSWORD.into(),
        role: "moderator".into(),
        email_verified: false,
    };
    svc::create_user(&t.app, &Actor::cli(), input).await.unwrap();
    let mut b = PageClient::new(&t);
    assert_eq!(b.sign_in("fresh_mod", PASSWORD).await.status, 303);
    assert_eq!(b.get("/admin").await.status, 404);
    // Staff see the console, linked from every page's header.
    let mut b = console(&t, &admin).await;
    assert!(b.get("/account").await.ok().body.contains("href=\"/admin\""));
    b.get("/admin").await.ok();
}

#[tokio::test]
async fn each_role_is_offered_exactly_what_spec_3_4_lets_it_do() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let moderator = account(&t, "mod_mia", "moderator").await;
    let user = account(&t, "plain_pat", "user").await;
    let other_admin = account(&t, "second_admin", "admin").await;
    let forms = ["edit", "role-form", "ban", "unban", "delete", "restore"];
    let offered = |page: &Html| -> Vec<&str> { forms.iter().copied().filter(|f| page.has_id(f)).collect() };

    let mut a = console(&t, &admin).await;
    let nav = a.get("/admin").await.ok();
    assert!(nav.body.contains("href=\"/admin/users/new\"") && nav.body.contains("href=\"/admin/audit\""));
    assert_eq!(offered(&a.get(&user_page(&user.id)).await.ok()), ["edit", "role-form", "ban", "delete"]);
    assert_eq!(offered(&a.get(&user_page(&other_admin.id)).await.ok()), ["edit", "role-form", "ban", "delete"]);
    // Not on themselves: no role change, ban or deletion.
    assert_eq!(offered(&a.get(&user_page(&admin.id)).await.ok()), ["edit"]);

    let mut m = console(&t, &moderator).await;
    let nav = m.get("/admin").await.ok();
    assert!(!nav.body.contains("href=\"/admin/users/new\"") && !nav.body.contains("href=\"/admin/audit\""), "{}", nav.body);
    assert_eq!(offered(&m.get(&user_page(&user.id)).await.ok()), ["ban"]);
    // Staff are out of a moderator's reach; so is the moderator.
    for id in [&admin.id, &other_admin.id, &moderator.id] {
        let page = m.get(&user_page(id)).await.ok();
        assert_eq!(offered(&page), Vec::<&str>::new(), "{id}");
        assert!(page.has_id("no-actions"));
    }
    // A banned user: the moderator may lift it; a deleted one: the admin may restore it.
    a.submit(
        &user_page(&user.id),
        &format!("{}/ban", user_page(&user.id)),
        &[("ban_reason", "spam"), ("ban_length", "permanent"), ("confirm", "yes")],
    )
    .await
    .redirects_to(&format!("{}?done=banned", user_page(&user.id)));
    assert_eq!(offered(&m.get(&user_page(&user.id)).await.ok()), ["ban", "unban"]);
    a.submit(&user_page(&user.id), &format!("{}/delete", user_page(&user.id)), &[("confirm", "yes")]).await.status(303);
    assert_eq!(offered(&a.get(&user_page(&user.id)).await.ok()), ["edit", "role-form", "ban", "unban", "restore"]);

    // The console's levels are the API's, route by route.
    let api: Vec<_> = accounts_core::api::admin::routes();
    let level = |method: &str, path: &str| api.iter().find(|r| r.method == method && r.path == path).unwrap().access;
    assert_eq!(Action::Read.access(), level("GET", "/api/admin/users/{id}"));
    assert_eq!(Action::Create.access(), level("POST", "/api/admin/users"));
    assert_eq!(Action::Change.access(), level("PATCH", "/api/admin/users/{id}"));
    assert_eq!(Action::Moderate.access(), level("POST", "/api/admin/users/{id}/ban"));
    assert_eq!(Action::Moderate.access(), level("POST", "/api/admin/users/{id}/unban"));
    assert_eq!(Action::Delete.access(), level("DELETE", "/api/admin/users/{id}"));
    assert_eq!(Action::Restore.access(), level("POST", "/api/admin/users/{id}/restore"));
    assert_eq!(Action::Audit.access(), level("GET", "/api/admin/audit"));
    assert_eq!(Action::ALL.len(), 7);
}

#[tokio::test]
async fn the_server_refuses_every_action_a_role_may_not_take_even_from_a_forged_form() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let moderator = account(&t, "mod_mia", "moderator").await;
    let target = account(&t, "plain_pat", "user").await;
    let page = user_page(&target.id);
    let until = local_in(&t, 3 * 86_400);
    // (action, fields, what an admin gets, what a moderator gets): each post carries the token
    // of a page the moderator may open, so only the role decides.
    let posts: [(&str, Fields, u16, u16); 7] = [
        ("edit", vec![("username", "renamed_pat"), ("email", "pat@console.example.com"), ("full_name", "Pat"), ("rating", "7")], 303, 403),
        ("role", vec![("role", "moderator")], 303, 403),
        ("ban", vec![("ban_reason", "spam"), ("ban_length", "until"), ("banned_until", &until), ("confirm", "yes")], 303, 303),
        ("unban", vec![], 303, 303),
        ("delete", vec![("confirm", "yes")], 303, 403),
        ("restore", vec![], 303, 403),
        ("create", vec![("username", "new_nia"), ("email", "nia@console.example.com"), ("password", PASSWORD), ("role", "user")], 303, 403),
    ];
    let mut m = console(&t, &moderator).await;
    for (action, fields, _, expected) in &posts {
        let to = if *action == "create" { "/admin/users/new".to_owned() } else { format!("{page}/{action}") };
        let r = m.submit(&page, &to, fields).await;
        assert_eq!(r.status, *expected, "moderator {action}: {}", r.body);
        if *expected == 403 {
            assert!(r.body.contains("<h1>"), "a page says why");
        }
    }
    // Nothing the moderator may not do happened; what it may do did (banned, then unbanned).
    let u = t.app.store.get_user(&UserId::parse(&target.id).unwrap()).await.unwrap().unwrap();
    assert_eq!((u.role, u.username.as_str(), u.rating, u.deletion_scheduled_at), (Role::User, "plain_pat", 0, None));
    assert_eq!(u.banned_until, None, "banned and unbanned");
    assert_eq!(t.login("new_nia", PASSWORD).await.status, 401, "no account was created");
    // Admin-only pages.
    m.get("/admin/audit").await.status(403);
    m.get("/admin/users/new").await.status(403);

    let mut a = console(&t, &admin).await;
    for (action, fields, expected, _) in &posts {
        let to = if *action == "create" { "/admin/users/new".to_owned() } else { format!("{page}/{action}") };
        let r = a.submit(&page, &to, fields).await;
        assert_eq!(r.status, *expected, "admin {action}: {}", r.body);
    }
    let u = t.app.store.get_user(&UserId::parse(&target.id).unwrap()).await.unwrap().unwrap();
    assert_eq!((u.role, u.username.as_str(), u.rating, u.deletion_scheduled_at), (Role::Moderator, "renamed_pat", 7, None));
    // Every change is in the audit trail, with its actor.
    let (entries, _) = svc::audit_trail(&t.app, Some(&moderator.id), None, None, 50).await.unwrap();
    let actions: HashSet<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, HashSet::from(["user.ban", "user.unban"]));
    let (entries, _) = svc::audit_trail(&t.app, Some(&admin.id), None, None, 50).await.unwrap();
    let actions: HashSet<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, HashSet::from(["user.update", "user.ban", "user.unban", "user.delete", "user.restore", "user.create"]));
}

#[tokio::test]
async fn the_target_rules_refuse_with_the_consoles_words() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let moderator = account(&t, "mod_mia", "moderator").await;
    let mut a = console(&t, &admin).await;
    // An admin forging posts against themselves: each refused, saying which rule.
    let own = user_page(&admin.id);
    let r = a.submit(&own, &format!("{own}/role"), &[("role", "user")]).await.status(403);
    assert!(r.body.contains("You cannot change your own role."), "{}", r.body);
    let r = a.submit(&own, &format!("{own}/ban"), &[("ban_reason", "x"), ("ban_length", "permanent")]).await.status(403);
    assert!(r.body.contains("You cannot ban yourself."), "{}", r.body);
    let r = a.submit(&own, &format!("{own}/delete"), &[]).await.status(403);
    assert!(r.body.contains("You cannot delete yourself here"), "{}", r.body);
    assert_eq!(role_of(&t, &admin.id).await, Role::Admin);
    // A moderator forging a ban of an admin.
    let mut m = console(&t, &moderator).await;
    let target = user_page(&admin.id);
    let r = m.submit(&target, &format!("{target}/ban"), &[("ban_reason", "x"), ("ban_length", "permanent"), ("confirm", "yes")]).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Moderators may act on users and donators only."), "{}", r.body);
    assert!(t.app.store.get_user(&UserId::parse(&admin.id).unwrap()).await.unwrap().unwrap().banned_until.is_none());
}

#[tokio::test]
async fn every_console_post_checks_the_csrf_token_and_the_origin_before_anything_else() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let target = account(&t, "plain_pat", "user").await;
    let mut a = console(&t, &admin).await;
    let page = user_page(&target.id);
    let token = a.get(&page).await.ok().csrf();
    let posts: [(String, Vec<(&str, &str)>); 7] = [
        (format!("{page}/edit"), vec![("username", "x_renamed"), ("email", "x@example.com"), ("rating", "1")]),
        (format!("{page}/role"), vec![("role", "admin")]),
        (format!("{page}/ban"), vec![("ban_reason", "x"), ("ban_length", "permanent"), ("confirm", "yes")]),
        (format!("{page}/unban"), vec![]),
        (format!("{page}/delete"), vec![("confirm", "yes")]),
        (format!("{page}/restore"), vec![]),
        (
            "/admin/users/new".to_owned(),
            vec![("username", "forged"), ("email", "forged@example.com"), ("password", PASSWORD), ("role", "admin")],
        ),
    ];
    let other = PageClient::new(&t).fresh_csrf().await;
    for (path, fields) in &posts {
        for csrf in ["", "t1:0000", other.as_str()] {
            let mut f = fields.clone();
            f.push(("csrf", csrf));
            let r = a.post(path, &f).await;
            assert_eq!(r.status, 403, "{path} with csrf {csrf:?}");
            assert!(r.headers.get("set-cookie").is_none());
        }
        let mut f = fields.clone();
        f.push(("csrf", &token));
        for headers in [vec![("origin", "https://evil.example")], vec![("origin", "null"), ("sec-fetch-site", "cross-site")]] {
            let r = a.post_with(path, &f, &headers).await;
            assert_eq!(r.status, 403, "{path} from {headers:?}");
        }
    }
    let u = t.app.store.get_user(&UserId::parse(&target.id).unwrap()).await.unwrap().unwrap();
    assert_eq!((u.role, u.username.as_str(), u.banned_until, u.deletion_scheduled_at), (Role::User, "plain_pat", None, None));
    assert!(svc::audit_trail(&t.app, Some(&admin.id), None, None, 10).await.unwrap().0.is_empty(), "nothing was done");
    let _ = ISSUER;
}

#[tokio::test]
async fn a_ban_is_confirmed_first_then_ends_sessions_shows_on_sign_in_and_is_audited() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let target = account(&t, "grace_h", "user").await;
    let mut victim = console(&t, &target).await;
    let mut a = console(&t, &admin).await;
    let page = user_page(&target.id);
    let until = local_in(&t, 2 * 86_400);
    let fields = [("ban_reason", "Spam in the forum"), ("ban_length", "until"), ("banned_until", until.as_str())];

    // The first post only asks: what will happen, and the same fields again with confirm=yes.
    let ask = a.submit(&page, &format!("{page}/ban"), &fields).await.ok();
    assert!(ask.has_id("confirm") && ask.body.contains("Spam in the forum"), "{}", ask.body);
    assert!(ask.body.contains(&format!("{} UTC", until.replace('T', " "))), "the end, in UTC: {}", ask.body);
    assert!(ask.body.contains("name=\"confirm\" value=\"yes\""));
    assert_eq!(link(&ask, "cancel").as_deref(), Some(page.as_str()));
    let u = t.app.store.get_user(&UserId::parse(&target.id).unwrap()).await.unwrap().unwrap();
    assert!(u.banned_until.is_none(), "asking bans nobody");
    victim.get("/account").await.ok();

    // Confirmed (the confirmation page's own form, its hidden fields as they are).
    let mut confirmed: Vec<(&str, &str)> = fields.to_vec();
    let csrf = ask.csrf();
    confirmed.push(("confirm", "yes"));
    confirmed.push(("csrf", &csrf));
    a.post(&format!("{page}/ban"), &confirmed).await.redirects_to(&format!("{page}?done=banned"));
    let shown = a.get(&format!("{page}?done=banned")).await.ok();
    assert!(shown.body.contains("The user is banned and was signed out everywhere."));
    assert!(shown.inner("span", "user-status").unwrap().contains("Banned until"), "{}", shown.body);
    assert!(shown.inner("span", "ban-reason").unwrap().contains("Spam in the forum"));
    assert_eq!(shown.inner("dd", "user-sessions").as_deref(), Some("0"), "every session ended");
    // The victim's session is over at once; signing in says until when and why.
    assert_eq!(victim.get("/account").await.status, 303);
    let mut b = PageClient::new(&t);
    let r = b.sign_in(&target.username, PASSWORD).await;
    assert_eq!(r.status, 403);
    assert!(r.text().contains(&format!("suspended until {} UTC", until.replace('T', " "))), "{}", r.text());
    assert!(r.text().contains("Reason: Spam in the forum"), "{}", r.text());
    // The audit trail (the page) has it, with the actor and the end.
    let audit = a.get("/admin/audit").await.ok();
    assert!(audit.body.contains("user.ban") && audit.body.contains(&admin.id) && audit.body.contains(&target.id), "{}", audit.body);
    // Lifted: signing in works again.
    a.submit(&page, &format!("{page}/unban"), &[]).await.redirects_to(&format!("{page}?done=unbanned"));
    assert_eq!(PageClient::new(&t).sign_in(&target.username, PASSWORD).await.status, 303);
}

#[tokio::test]
async fn ban_input_errors_are_shown_next_to_their_fields_and_change_nothing() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let target = account(&t, "plain_pat", "user").await;
    let mut a = console(&t, &admin).await;
    let page = user_page(&target.id);
    let past = local_in(&t, -3600);
    let long = "x".repeat(256);
    let cases: [(Fields, &str, &str); 5] = [
        (vec![("ban_reason", ""), ("ban_length", "permanent")], "ban_reason", "This field is required."),
        (vec![("ban_reason", "spam"), ("ban_length", "until"), ("banned_until", "")], "banned_until", "This field is required."),
        (vec![("ban_reason", "spam"), ("ban_length", "until"), ("banned_until", "next tuesday")], "banned_until", "Enter a date and time."),
        (vec![("ban_reason", "spam"), ("ban_length", "until"), ("banned_until", &past)], "banned_until", "Must be in the future."),
        (vec![("ban_reason", long.as_str()), ("ban_length", "permanent")], "ban_reason", "Must be at most 255 characters."),
    ];
    for (fields, field, message) in cases {
        for confirm in ["", "yes"] {
            let mut f = fields.clone();
            f.push(("confirm", confirm));
            let r = a.submit(&page, &format!("{page}/ban"), &f).await.status(400);
            assert_eq!(r.field_error(field).as_deref(), Some(message), "{fields:?}: {}", r.body);
            assert!(r.has_id("ban"), "the form again");
        }
    }
    // A reason with a line break is refused (it is shown on one line to the user).
    let r = a.submit(&page, &format!("{page}/ban"), &[("ban_reason", "a\nb"), ("ban_length", "permanent")]).await.status(400);
    assert!(r.field_error("ban_reason").is_some());
    let u = t.app.store.get_user(&UserId::parse(&target.id).unwrap()).await.unwrap().unwrap();
    assert!(u.banned_until.is_none());
}

#[tokio::test]
async fn deletion_is_confirmed_with_its_grace_period_and_restore_undoes_it() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let target = account(&t, "plain_pat", "user").await;
    let mut a = console(&t, &admin).await;
    let page = user_page(&target.id);
    let ask = a.submit(&page, &format!("{page}/delete"), &[]).await.ok();
    let purge = rfc3339(t.app.now() + 7 * 86_400);
    assert!(ask.body.contains("(7 days from now)") && ask.body.contains(&purge[..10]), "{}", ask.body);
    assert!(t.app.store.get_user(&UserId::parse(&target.id).unwrap()).await.unwrap().unwrap().deletion_scheduled_at.is_none());
    let csrf = ask.csrf();
    a.post(&format!("{page}/delete"), &[("csrf", &csrf), ("confirm", "yes")]).await.redirects_to(&format!("{page}?done=deleted"));
    let shown = a.get(&page).await.ok();
    assert!(shown.inner("span", "user-status").unwrap().contains("Deleted by staff"));
    assert!(shown.inner("p", "deletion").unwrap().contains(&purge[..10]), "{}", shown.body);
    assert!(shown.has_id("restore") && !shown.has_id("delete"));
    assert_eq!(PageClient::new(&t).sign_in(&target.username, PASSWORD).await.status, 403);
    a.submit(&page, &format!("{page}/restore"), &[]).await.redirects_to(&format!("{page}?done=restored"));
    assert_eq!(PageClient::new(&t).sign_in(&target.username, PASSWORD).await.status, 303);
}

#[tokio::test]
async fn edit_role_and_create_go_through_the_admin_services_with_errors_next_to_fields() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let target = account(&t, "plain_pat", "user").await;
    account(&t, "taken_tom", "user").await;
    let mut a = console(&t, &admin).await;
    let page = user_page(&target.id);
    let edit = format!("{page}/edit");
    let good = [
        ("username", "pat_renamed"),
        ("email", "Pat@Example.com"),
        ("full_name", "Pat Smith"),
        ("rating", "-42"),
        ("email_verified", "on"),
    ];
    a.submit(&page, &edit, &good).await.redirects_to(&format!("{page}?done=saved"));
    let u = svc::get_user(&t.app, &target.id).await.unwrap();
    assert_eq!(
        (u.username.as_str(), u.email.as_str(), u.name.as_deref(), u.rating),
        ("pat_renamed", "pat@example.com", Some("Pat Smith"), -42)
    );
    // Each error next to its field, what was typed kept.
    let r = a.submit(&page, &edit, &[("username", "pat_renamed"), ("email", "pat@example.com"), ("rating", "lots")]).await.status(400);
    assert_eq!(r.field_error("rating").as_deref(), Some("Must be a whole number."));
    assert!(r.body.contains("value=\"lots\""));
    let r = a.submit(&page, &edit, &[("username", "x"), ("email", "not-an-address"), ("rating", "1")]).await.status(400);
    assert!(r.field_error("username").is_some() && r.field_error("email").is_some(), "{}", r.body);
    let r =
        a.submit(&page, &edit, &[("username", "pat_renamed"), ("email", "pat@example.com"), ("rating", "2000000000")]).await.status(400);
    assert_eq!(r.field_error("rating").as_deref(), Some("Must be a whole number from -1000000000 to 1000000000."));
    let r = a.submit(&page, &edit, &[("username", "taken_tom"), ("email", "pat@example.com"), ("rating", "1")]).await.status(409);
    assert!(r.body.contains("This username is taken."), "{}", r.body);
    // The role.
    let role = format!("{page}/role");
    a.submit(&page, &role, &[("role", "donator")]).await.redirects_to(&format!("{page}?done=role"));
    assert_eq!(role_of(&t, &target.id).await, Role::Donator);
    let r = a.submit(&page, &role, &[("role", "emperor")]).await.status(400);
    assert!(r.field_error("role").is_some());
    // Creating a user: a weak password and a taken address are refused, a good one redirects to
    // the new user's page.
    let create = |username: &'static str, email: &'static str, password: &'static str| {
        [("username", username), ("email", email), ("password", password), ("role", "moderator"), ("email_verified", "on")]
    };
    let r = a.submit("/admin/users/new", "/admin/users/new", &create("new_nia", "nia@example.com", "short")).await.status(422);
    assert!(r.field_error("password").is_some() && r.body.contains("value=\"new_nia\""), "{}", r.body);
    let r = a.submit("/admin/users/new", "/admin/users/new", &create("new_nia", "pat@example.com", PASSWORD)).await.status(409);
    assert!(r.body.contains("An account with this email address already exists."));
    let r = a.submit("/admin/users/new", "/admin/users/new", &create("new_nia", "nia@example.com", PASSWORD)).await.status(303);
    let location = r.location().to_owned();
    assert!(location.starts_with("/admin/users/usr_") && location.ends_with("?done=created"), "{location}");
    let created = a.get(&location).await.ok();
    assert!(created.body.contains("The user was created.") && created.inner("dd", "user-role").as_deref() == Some("Moderator"));
    assert_eq!(PageClient::new(&t).sign_in("new_nia", PASSWORD).await.status, 303, "verified: can sign in at once");
}

#[tokio::test]
async fn unknown_or_malformed_user_ids_are_404_pages_for_every_action() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let mut a = console(&t, &admin).await;
    let token = a.get("/admin").await.ok().csrf();
    for id in ["usr_01ARZ3NDEKTSV4RRFFQ69G5FAV", "nobody", "usr_%E2%82%AC"] {
        let page = format!("/admin/users/{id}");
        let r = a.get(&page).await.status(404);
        assert!(r.body.contains("There is no user with this id."), "{}", r.body);
        for (action, fields) in [
            ("edit", vec![("username", "a_b_c"), ("email", "a@b.example"), ("rating", "1")]),
            ("role", vec![("role", "user")]),
            ("ban", vec![("ban_reason", "x"), ("ban_length", "permanent")]),
            ("ban", vec![("ban_reason", "x"), ("ban_length", "permanent"), ("confirm", "yes")]),
            ("unban", vec![]),
            ("delete", vec![]),
            ("delete", vec![("confirm", "yes")]),
            ("restore", vec![]),
        ] {
            let mut f = fields.clone();
            f.push(("csrf", &token));
            let r = a.post(&format!("{page}/{action}"), &f).await;
            assert_eq!(r.status, 404, "{action} on {id}: {}", r.body);
        }
    }
    // A malformed activity cursor is a 400 page, not a crash.
    let r = a.get(&format!("{}?activity=%3Cscript%3E", user_page(&admin.id))).await.status(400);
    assert!(!r.body.contains("<script>"));
}

#[tokio::test]
async fn the_table_searches_filters_and_sorts_and_refuses_bad_values_next_to_their_fields() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let mut ids = Vec::new();
    for name in ["ann_a", "anna_b", "bob_c", "annie_d"] {
        ids.push(account(&t, name, "user").await.id);
    }
    let donor = account(&t, "ann_donor", "donator").await;
    let mut a = console(&t, &admin).await;
    // Prefix search: username or email, ordered by name.
    let r = a.get("/admin?q=ANN").await.ok();
    let names: Vec<String> = rows(&r);
    assert_eq!(names, [ids[0].clone(), donor.id.clone(), ids[1].clone(), ids[3].clone()], "{}", r.body);
    assert!(r.body.contains("value=\"ANN\""), "the search stays in its field");
    // Role and status filters; the newest first by default.
    let r = a.get("/admin?role=donator").await.ok();
    assert_eq!(rows(&r), std::slice::from_ref(&donor.id));
    let r = a.get("/admin").await.ok();
    assert_eq!(rows(&r)[0], donor.id, "newest first");
    assert_eq!(r.inner("span", "admin-count").as_deref(), Some("Admins in good standing: 1."));
    assert_eq!(r.inner("span", "on-page").as_deref(), Some("6 users on this page."));
    let r = a.get("/admin?sort=username&order=asc&limit=2").await.ok();
    assert_eq!(rows(&r), [ids[0].clone(), donor.id.clone()]);
    assert!(r.has_id("page-next") && !r.has_id("page-previous"));
    let r = a.get("/admin?status=banned").await.ok();
    assert!(rows(&r).is_empty() && r.has_id("no-users"));
    // Bad values: 400, each next to its field, the form kept.
    for (query, field) in [
        ("role=emperor", "role"),
        ("status=asleep", "status"),
        ("sort=shoe_size", "sort"),
        ("order=sideways", "order"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("q=ann&sort=rating", "sort"),
    ] {
        let r = a.get(&format!("/admin?{query}")).await.status(400);
        assert!(r.field_error(field).is_some(), "{query}: {}", r.body);
        assert!(rows(&r).is_empty());
    }
    // A tampered cursor, another query's cursor and garbage: 400 and a way back to page one.
    let first = a.get("/admin?sort=username&order=asc&limit=2").await.ok();
    let next = link(&first, "page-next").unwrap();
    let cursor = next.split("cursor=").nth(1).unwrap().to_owned();
    for bad in [
        format!("/admin?sort=username&order=desc&limit=2&cursor={cursor}"),
        format!(
            "/admin?sort=username&order=asc&limit=2&cursor={}{}",
            &cursor[..cursor.len() - 1],
            if cursor.ends_with('A') { 'B' } else { 'A' }
        ),
        "/admin?cursor=not-a-cursor".to_owned(),
        "/admin?before=not-a-cursor".to_owned(),
        format!("/admin?sort=username&order=asc&limit=2&cursor={cursor}&before={cursor}"),
    ] {
        let r = a.get(&bad).await.status(400);
        assert!(r.body.contains("This page link is not valid for these filters") || r.field_error("before").is_some(), "{bad}: {}", r.body);
        assert!(r.has_id("page-first") || r.field_error("before").is_some(), "{bad}");
    }
}

#[tokio::test]
async fn next_and_previous_walk_every_user_once_and_come_back_to_the_same_pages() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let mut all = HashSet::from([admin.id.clone()]);
    let mut banned = Vec::new();
    for i in 0..23 {
        let u = account(&t, &format!("member_{i:02}"), "user").await;
        if i % 4 == 0 {
            banned.push(u.id.clone());
        }
        all.insert(u.id);
    }
    let token = t.login("root_admin", PASSWORD).await.data()["accessToken"].as_str().unwrap().to_owned();
    let principal = accounts_core::services::authn::authenticate(&t.app, &token).await.unwrap();
    let actor = Actor::from_principal(&principal, &accounts_core::domain::ClientInfo::unknown());
    for id in &banned {
        let request = svc::BanRequest::parse(None, Some("test"), t.app.now()).unwrap();
        svc::ban(&t.app, &principal, &actor, id, request).await.unwrap();
    }
    // 40 more, written directly (no argon2 each): pages wider than the shards need several
    // entries of every stream.
    let seeds: Vec<accounts_core::store::SeedUser> = (0..40)
        .map(|i| accounts_core::store::SeedUser {
            username: format!("bulk_{i:02}"),
            email: format!("bulk_{i:02}@example.com"),
            password_hash: "x".into(),
            role: Role::User,
            rating: i,
        })
        .collect();
    for id in t.app.store.seed_users(&seeds, t.app.clock.now()).await.unwrap() {
        all.insert(id.to_string());
    }
    let mut a = console(&t, &admin).await;
    // Unfiltered (8 shards) and filtered (the banned partitions' entries dropped by the filter),
    // in each order and sort.
    for (query, expected) in [
        ("limit=5", all.clone()),
        // Pages much wider than the shards: a page going back must fill in as few rounds as one
        // going on.
        ("limit=25", all.clone()),
        ("limit=4&sort=username&order=asc", all.clone()),
        ("limit=3&sort=rating&order=desc", all.clone()),
        ("limit=4&status=active", all.iter().filter(|id| !banned.contains(id)).cloned().collect::<HashSet<_>>()),
        ("limit=2&q=member_1", HashSet::new()),
    ] {
        let mut pages: Vec<Vec<String>> = Vec::new();
        let mut page = a.get(&format!("/admin?{query}")).await.ok();
        loop {
            pages.push(rows(&page));
            match link(&page, "page-next") {
                Some(next) => page = a.get(&next).await.ok(),
                None => break,
            }
            assert!(pages.len() < 40, "{query}: no end");
        }
        let seen: Vec<&String> = pages.iter().flatten().collect();
        let unique: HashSet<&String> = seen.iter().copied().collect();
        assert_eq!(seen.len(), unique.len(), "{query}: a user shown twice: {pages:?}");
        if !query.contains("q=") {
            assert_eq!(unique, expected.iter().collect(), "{query}: every user exactly once");
        } else {
            assert_eq!(unique.len(), 10, "{query}: member_10..member_19");
        }
        // Back from the last page to the first: the same pages, in reverse.
        for earlier in pages.iter().rev().skip(1) {
            let previous = link(&page, "page-previous").unwrap_or_else(|| panic!("{query}: no previous link on {:?}", rows(&page)));
            page = a.get(&previous).await.ok();
            assert_eq!(&rows(&page), earlier, "{query}: previous shows the page before");
        }
        assert!(!page.has_id("page-previous"), "{query}: the first page has no previous");
        assert!(link(&page, "page-next").is_some() || pages.len() == 1);
    }
}

#[tokio::test]
async fn the_audit_trail_is_newest_first_pages_filters_by_actor_and_refuses_bad_filters() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let mut a = console(&t, &admin).await;
    // 30 entries by the admin (created through the console) after the CLI's own.
    for i in 0..30 {
        let fields = [
            ("username", format!("made_{i:02}")),
            ("email", format!("made{i}@example.com")),
            ("password", PASSWORD.into()),
            ("role", "user".into()),
            ("email_verified", "on".into()),
        ];
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        a.submit("/admin/users/new", "/admin/users/new", &f).await.status(303);
        t.clock.advance(time::Duration::milliseconds(5));
    }
    let first = a.get("/admin/audit").await.ok();
    let entries = first.body.matches("<code>user.create</code>").count();
    assert_eq!(entries, 25, "a page of 25");
    // Newest first: the targets (ids made in time order) descend.
    let table = &first.body[first.body.find("id=\"audit\"").unwrap()..];
    let targets: Vec<&str> = table.split("<a href=\"/admin/users/").skip(1).map(|rest| &rest[..rest.find('"').unwrap()]).collect();
    assert_eq!(targets.len(), 25);
    assert!(targets.windows(2).all(|w| w[0] > w[1]), "{targets:?}");
    let more = link(&first, "audit-more").expect("a next page");
    let second = a.get(&more).await.ok();
    assert_eq!(second.body.matches("<code>user.create</code>").count(), 31 - 25, "the rest: 30 by the admin, 1 by the CLI");
    assert!(!second.has_id("audit-more") && second.has_id("audit-older-month"), "the month ends, the one before is offered");
    // By actor: only the admin's.
    let mine = a.get(&format!("/admin/audit?actor={}", admin.id)).await.ok();
    assert_eq!(mine.body.matches("<code>user.create</code>").count(), 25);
    assert!(!mine.body.contains("<code>cli</code>"));
    let cli = a.get("/admin/audit?actor=cli").await.ok();
    assert_eq!(cli.body.matches("<code>user.create</code>").count(), 1);
    // Bad filters: next to their fields.
    for (query, field) in [("actor=robert%27)%3B", "actor"), ("month=2026-13", "month"), ("month=last", "month")] {
        let r = a.get(&format!("/admin/audit?{query}")).await.status(400);
        assert!(r.field_error(field).is_some(), "{query}: {}", r.body);
    }
    let r = a.get("/admin/audit?cursor=x").await.status(400);
    assert!(r.body.contains("role=\"alert\""));
}

#[tokio::test]
async fn console_pages_are_never_cached_and_carry_the_pages_security_headers() {
    let t = TestApp::spawn().await;
    let admin = account(&t, "root_admin", "admin").await;
    let mut a = console(&t, &admin).await;
    let page = user_page(&admin.id);
    for path in ["/admin", "/admin/audit", "/admin/users/new", page.as_str()] {
        let r = a.get(path).await.ok();
        assert_eq!(r.headers["cache-control"], "no-store", "{path}");
        assert_eq!(r.headers["content-type"], "text/html; charset=utf-8");
        assert_eq!(r.headers["x-frame-options"], "DENY");
        assert!(!r.headers["content-security-policy"].to_str().unwrap().contains("unsafe-inline"));
        assert!(r.body.contains("<h1>") && r.body.contains("aria-current=\"page\"") || path == page, "{path}");
    }
    // The confirmation page too.
    let r = a.submit(&page, &format!("{page}/delete"), &[]).await;
    assert_eq!(r.headers["cache-control"], "no-store");
}
