//! The hosted pages before sign-in (shared/src/web/public.rs), without a browser: every page's
//! headers, its forms' CSRF and Origin checks, the session cookies, the mailed-link pages that
//! never act on GET or HEAD, and each error path of sign-up, sign-in, the MFA step, reset and
//! recovery. The journey in a real browser is tests/api/browser.rs.

use crate::helpers::{ISSUER, PASSWORD, TestApp};
use crate::pages::PageClient;
use serde_json::json;

#[tokio::test]
async fn every_page_has_the_security_headers_and_a_csrf_token_in_its_forms() {
    let t = TestApp::spawn().await;
    let mut b = PageClient::new(&t);
    for path in ["/sign-in", "/sign-up", "/forgot-password", "/recover"] {
        let r = b.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.headers["content-type"], "text/html; charset=utf-8", "{path}");
        let csp = r.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(r.headers["x-frame-options"], "DENY");
        assert_eq!(r.headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(r.headers["cache-control"], "no-store", "{path}");
        assert!(r.text().contains("<html lang=\"en\""), "{path}");
        assert!(!b.csrf(&r).is_empty(), "{path} has a form with a csrf token");
    }
    // The CSRF cookie is HttpOnly, Secure, Lax, for the whole site, and __Host- over https.
    let r = PageClient::new(&t).get("/sign-in").await;
    let set: Vec<_> = r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(
        set.iter().any(|c| c.starts_with("__Host-csrf=") && c.contains("Path=/;") && c.contains("HttpOnly; Secure; SameSite=Lax")),
        "{set:?}"
    );
}

#[tokio::test]
async fn a_form_post_without_the_csrf_token_or_from_another_origin_is_refused_with_a_page() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = PageClient::new(&t);
    let page = b.get("/sign-in").await;
    let token = b.csrf(&page);
    let form = [("login", u.username.as_str()), ("password", PASSWORD)];
    // No token, a wrong token, another visitor's token: 403 pages, nobody signed in.
    for csrf in ["", "t1:0000", &PageClient::new(&t).fresh_csrf().await] {
        let mut fields = form.to_vec();
        fields.push(("csrf", csrf));
        let r = b.post("/sign-in", &fields).await;
        assert_eq!(r.status, 403, "csrf {csrf:?}: {}", r.text());
        assert!(r.text().contains("<h1>") && r.headers["content-type"] == "text/html; charset=utf-8");
        assert!(r.headers.get("set-cookie").is_none(), "a refused post sets no cookie");
    }
    // The right token from a foreign origin: refused too.
    let mut fields = form.to_vec();
    fields.push(("csrf", &token));
    let r = b.post_from("https://evil.example", "/sign-in", &fields).await;
    assert_eq!(r.status, 403);
    // `Origin: null` (a no-referrer page) passes only with Sec-Fetch-Site: same-origin.
    let r = b.post_with("/sign-in", &fields, &[("origin", "null"), ("sec-fetch-site", "cross-site")]).await;
    assert_eq!(r.status, 403);
    let r = b.post_with("/sign-in", &fields, &[("origin", "null"), ("sec-fetch-site", "same-origin")]).await;
    assert_eq!(r.status, 303, "{}", r.text());
    // Not a form at all.
    let r =
        b.post_raw("/sign-in", "application/json", &json!({"login": u.username, "password": PASSWORD, "csrf": token}).to_string()).await;
    assert_eq!(r.status, 415);
}

#[tokio::test]
async fn signing_in_sets_the_session_cookies_and_goes_to_the_account_or_next() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = PageClient::new(&t);
    let r = b.sign_in(&u.username, PASSWORD).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], "/account");
    let set: Vec<_> = r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    for name in ["__Host-access_token=", "__Host-session=rt_"] {
        assert!(
            set.iter().any(|c| c.starts_with(name) && c.contains("Path=/;") && c.contains("HttpOnly; Secure; SameSite=Lax")),
            "{set:?}"
        );
    }
    let account = b.get("/account").await;
    assert_eq!(account.status, 200);
    assert!(account.text().contains(&u.email), "{}", account.text());
    // The page's session is a real session: the JSON API takes its access cookie.
    let access = b.cookie("__Host-access_token").unwrap();
    t.get("/api/users/me", Some(&access)).await.assert(200, None);
    // Signed in already: /sign-in and / lead to the account.
    assert_eq!(b.get("/sign-in").await.headers["location"], "/account");
    assert_eq!(b.get("/").await.headers["location"], "/account");

    // By email, with a next path of ours; a next elsewhere is ignored.
    let mut b = PageClient::new(&t);
    let page = b.get("/sign-in?next=/account/sessions").await;
    assert!(page.text().contains("value=\"/account/sessions\""));
    let csrf = b.csrf(&page);
    let r = b.post("/sign-in", &[("login", &u.email), ("password", PASSWORD), ("next", "/account/sessions"), ("csrf", &csrf)]).await;
    assert_eq!(r.headers["location"], "/account/sessions");
    let mut b = PageClient::new(&t);
    let csrf = b.fresh_csrf().await;
    let r = b.post("/sign-in", &[("login", &u.email), ("password", PASSWORD), ("next", "//evil.example/x"), ("csrf", &csrf)]).await;
    assert_eq!(r.headers["location"], "/account");
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_with_the_login_kept_and_no_enumeration() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = PageClient::new(&t);
    let wrong = b.sign_in(&u.username, "Wrong-Pass-123").await;
    let unknown = b.sign_in("nobody_here", "Wrong-Pass-123").await;
    for r in [&wrong, &unknown] {
        assert_eq!(r.status, 401);
        assert!(r.text().contains("role=\"alert\""), "{}", r.text());
        assert!(r.text().contains("<form id=\"sign-in\""));
        assert!(r.headers.get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().contains("session=rt_")));
    }
    assert!(wrong.text().contains(&format!("value=\"{}\"", u.username)), "the login is kept");
    assert!(!wrong.text().contains("Wrong-Pass-123"), "a password is never echoed");
    // Same page for a known and an unknown account, but for the login typed back.
    assert_eq!(
        wrong.text().replace(&u.username, "X"),
        unknown.text().replace("nobody_here", "X").replace(&b.csrf(&unknown), &b.csrf(&wrong))
    );
}

#[tokio::test]
async fn sign_up_registers_and_mails_a_link_to_the_activation_page() {
    let t = TestApp::spawn().await;
    let (username, email) = t.new_identity();
    let mut b = PageClient::new(&t);
    let csrf = b.fresh_csrf().await;
    let r = b.post("/sign-up", &[("username", &username), ("email", &email), ("password", PASSWORD), ("csrf", &csrf)]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains(&email) && r.text().contains("class=\"alert ok\""), "{}", r.text());
    let (_, body) = t.last_mail(&email).await;
    assert!(body.contains("http://accounts.test/activate?token="), "the mail links the page: {body}");

    // Errors come back next to their fields, with what was typed kept (never the password).
    let csrf = b.fresh_csrf().await;
    let r = b.post("/sign-up", &[("username", "x"), ("email", "not-an-address"), ("password", "short"), ("csrf", &csrf)]).await;
    assert_eq!(r.status, 400, "{}", r.text());
    let html = r.text();
    for field in ["username", "email"] {
        assert!(html.contains(&format!("id=\"{field}-error\"")), "{field}: {html}");
        assert!(html.contains(&format!("aria-describedby=\"{field}-error\"")), "{field}");
    }
    assert!(html.contains("value=\"not-an-address\"") && !html.contains("value=\"short\""));
    // A taken email and a weak password each say so.
    let csrf = b.fresh_csrf().await;
    let r = b.post("/sign-up", &[("username", "someone_else"), ("email", &email), ("password", PASSWORD), ("csrf", &csrf)]).await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("role=\"alert\""));
    let csrf = b.fresh_csrf().await;
    let (u2, e2) = t.new_identity();
    let r = b.post("/sign-up", &[("username", &u2), ("email", &e2), ("password", "alllowercase"), ("csrf", &csrf)]).await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert!(r.text().contains("id=\"password-error\""), "{}", r.text());
}

#[tokio::test]
async fn with_the_captcha_on_sign_up_shows_the_image_and_needs_its_answer() {
    let t = TestApp::spawn_with(|c| c.require_captcha = true).await;
    let mut b = PageClient::new(&t);
    let page = b.get("/sign-up").await;
    let html = page.text();
    assert!(html.contains("id=\"captcha-image\" src=\"data:image/png;base64,"), "{html}");
    let id = PageClient::hidden(&html, "captcha_id").unwrap();
    // Plant a known answer under the id the page shows (the image is for people).
    let hash = t.app.code_pepper().unwrap().hash("captcha", &id, "k7m2x");
    t.app.store.put_captcha(&id, &hash, t.app.now() + 300).await.unwrap();
    let csrf = b.csrf(&page);
    let (username, email) = t.new_identity();
    let wrong = b
        .post(
            "/sign-up",
            &[
                ("username", &username),
                ("email", &email),
                ("password", PASSWORD),
                ("captcha_id", &id),
                ("captcha", "zzzzz"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.text().contains("id=\"captcha-image\""), "a new captcha comes with the error");
    // The wrong answer used that captcha up; a fresh one with the right answer works.
    let id2 = PageClient::hidden(&wrong.text(), "captcha_id").unwrap();
    assert_ne!(id, id2);
    let hash = t.app.code_pepper().unwrap().hash("captcha", &id2, "k7m2x");
    t.app.store.put_captcha(&id2, &hash, t.app.now() + 300).await.unwrap();
    let r = b
        .post(
            "/sign-up",
            &[
                ("username", &username),
                ("email", &email),
                ("password", PASSWORD),
                ("captcha_id", &id2),
                ("captcha", "K7M2X"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

#[tokio::test]
async fn the_activation_link_acts_only_on_the_pages_button_so_a_prefetch_uses_nothing() {
    let t = TestApp::spawn().await;
    let u = t.unactivated_user().await;
    let token = t.mailed_token(&u.email).await;
    let mut b = PageClient::new(&t);
    // What mail scanners do: GET and HEAD the link, several times.
    for method in ["HEAD", "GET", "GET"] {
        let r = b.request(method, &format!("/activate?token={token}")).await;
        assert_eq!(r.status, 200, "{method}");
        assert_eq!(r.headers["referrer-policy"], "no-referrer", "a page with a token in its address");
    }
    let status = t.get("/api/auth/status", Some(&u.access)).await;
    assert_eq!(status.data()["isConfirmed"], false, "nothing was used up");
    let page = b.get(&format!("/activate?token={token}")).await;
    assert!(page.text().contains("<form id=\"activate\""), "{}", page.text());
    assert_eq!(PageClient::hidden(&page.text(), "token").as_deref(), Some(token.as_str()));
    let csrf = b.csrf(&page);
    let r = b.post("/activate", &[("token", &token), ("csrf", &csrf)]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(t.get("/api/auth/status", Some(&u.access)).await.data()["isConfirmed"], true);
    // The link works once.
    let again = b.post("/activate", &[("token", &token), ("csrf", &csrf)]).await;
    assert_eq!(again.status, 400);
    assert!(again.text().contains("role=\"alert\""));
    // No token, or an absurd one: an error page, not a form.
    assert_eq!(b.get("/activate").await.status, 400);
    assert_eq!(b.get(&format!("/activate?token={}", "a".repeat(500))).await.status, 400);
}

#[tokio::test]
async fn the_mfa_step_asks_for_a_code_and_keeps_asking_after_a_wrong_one() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let (secret, backup) = crate::mfa::enable(&t, &u).await;
    let mut b = PageClient::new(&t);
    let step = b.sign_in(&u.username, PASSWORD).await;
    assert_eq!(step.status, 200, "{}", step.text());
    assert!(step.text().contains("<form id=\"mfa\""), "{}", step.text());
    assert!(b.cookie("__Host-session").is_none(), "no session before the second factor");
    let mfa_token = PageClient::hidden(&step.text(), "mfa_token").unwrap();
    let csrf = b.csrf(&step);
    let wrong = b.post("/sign-in/mfa", &[("mfa_token", &mfa_token), ("code", "000000"), ("csrf", &csrf)]).await;
    assert_eq!(wrong.status, 400, "{}", wrong.text());
    assert!(wrong.text().contains("<form id=\"mfa\"") && wrong.text().contains("role=\"alert\""));
    t.clock.advance(time::Duration::seconds(30));
    let code = crate::mfa::code_at(&t, &secret);
    let ok = b.post("/sign-in/mfa", &[("mfa_token", &mfa_token), ("code", &code), ("csrf", &csrf)]).await;
    assert_eq!(ok.status, 303, "{}", ok.text());
    assert!(b.cookie("__Host-session").is_some());
    // A backup code works as the second factor too.
    let mut b = PageClient::new(&t);
    let step = b.sign_in(&u.username, PASSWORD).await;
    let mfa_token = PageClient::hidden(&step.text(), "mfa_token").unwrap();
    let csrf = b.csrf(&step);
    let ok = b.post("/sign-in/mfa", &[("mfa_token", &mfa_token), ("code", &backup[0]), ("csrf", &csrf)]).await;
    assert_eq!(ok.status, 303, "{}", ok.text());
    // A forged step token: back to the sign-in form.
    let csrf = b.fresh_csrf().await;
    let r = b.post("/sign-in/mfa", &[("mfa_token", "forged"), ("code", "123456"), ("csrf", &csrf)]).await;
    assert_eq!(r.status, 401);
    assert!(r.text().contains("<form id=\"sign-in\""));
}

#[tokio::test]
async fn an_expired_access_cookie_is_renewed_from_the_session_cookie_and_sign_out_ends_both() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = PageClient::new(&t);
    b.sign_in(&u.username, PASSWORD).await;
    let first_refresh = b.cookie("__Host-session").unwrap();
    t.clock.advance(time::Duration::minutes(16));
    let r = b.get("/account").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let renewed = b.cookie("__Host-session").unwrap();
    assert_ne!(renewed, first_refresh, "the refresh token was rotated");
    // The old refresh token presented again ends the session (reuse), as in the API.
    let mut thief = PageClient::new(&t);
    thief.set_cookie("__Host-session", &first_refresh);
    assert_eq!(thief.get("/account").await.status, 303);
    assert_eq!(b.get("/account").await.status, 303, "the session was ended for both holders");

    // Sign-out ends the session in the store and clears the cookies.
    let mut b = PageClient::new(&t);
    b.sign_in(&u.username, PASSWORD).await;
    let access = b.cookie("__Host-access_token").unwrap();
    let page = b.get("/account").await;
    let csrf = b.csrf(&page);
    let r = b.post("/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], "/sign-in");
    assert!(b.cookie("__Host-session").is_none() && b.cookie("__Host-access_token").is_none());
    t.get("/api/users/me", Some(&access)).await.assert(401, None);
}

#[tokio::test]
async fn forgot_and_reset_password_work_through_the_pages_and_say_the_same_for_unknown_addresses() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = PageClient::new(&t);
    let csrf = b.fresh_csrf().await;
    let known = b.post("/forgot-password", &[("email", &u.email), ("csrf", &csrf)]).await;
    let unknown = b.post("/forgot-password", &[("email", "nobody@example.com"), ("csrf", &csrf)]).await;
    assert_eq!(known.status, 200);
    assert_eq!(known.text(), unknown.text());
    let bad = b.post("/forgot-password", &[("email", "nope"), ("csrf", &csrf)]).await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("id=\"email-error\""), "{}", bad.text());

    let (_, mail) = t.last_mail(&u.email).await;
    assert!(mail.contains("http://accounts.test/reset-password?token="), "{mail}");
    let token = t.mailed_token(&u.email).await;
    let page = b.get(&format!("/reset-password?token={token}")).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.headers["referrer-policy"], "no-referrer");
    let csrf = b.csrf(&page);
    let weak = b.post("/reset-password", &[("token", &token), ("new_password", "weak"), ("csrf", &csrf)]).await;
    assert_eq!(weak.status, 422, "{}", weak.text());
    assert!(weak.text().contains("id=\"new_password-error\""), "{}", weak.text());
    let ok = b.post("/reset-password", &[("token", &token), ("new_password", "An0ther-Secret-Pass"), ("csrf", &csrf)]).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let used = b.post("/reset-password", &[("token", &token), ("new_password", "Yet-An0ther-Pass"), ("csrf", &csrf)]).await;
    assert_eq!(used.status, 400);
    t.login(&u.username, "An0ther-Secret-Pass").await.assert(200, None);
}

#[tokio::test]
async fn recovery_with_a_wrong_code_says_so_next_to_the_form() {
    let t = TestApp::spawn().await;
    let mut b = PageClient::new(&t);
    let csrf = b.fresh_csrf().await;
    let r = b.post("/recover", &[("email", "nobody@example.com"), ("code", "123456"), ("csrf", &csrf)]).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("role=\"alert\"") && r.text().contains("<form id=\"recover\""));
    assert!(r.text().contains("value=\"nobody@example.com\""));
}

#[tokio::test]
async fn pages_speak_the_browsers_language_and_unknown_paths_are_html_404s() {
    let t = TestApp::spawn().await;
    let mut b = PageClient::new(&t);
    b.accept_language("es-ES,es;q=0.9,en;q=0.5");
    let r = b.get("/sign-in").await;
    assert!(r.text().contains("<html lang=\"es\""), "{}", r.text());
    assert!(r.text().contains("Iniciar sesión"), "{}", r.text());
    let missing = PageClient::new(&t).get("/no-such-page").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.headers["content-type"], "text/html; charset=utf-8");
    // Signed out, /account leads to sign-in and back.
    let r = PageClient::new(&t).get("/account").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], "/sign-in?next=%2Faccount");
    // The API keeps its JSON 404s; the pages' router is only the fallback, and what falls through
    // to it under /api/ or /.well-known/ still answers in the envelope.
    t.get("/api/users/nothing-here/at-all", None).await.assert(404, None);
    for path in ["/api", "/api/nowhere", "/api/authx/login", "/.well-known/nothing"] {
        let r = t.get(path, None).await;
        r.assert(404, Some("NOT_FOUND"));
        assert_eq!(r.headers["content-type"], "application/json", "{path}");
    }
    let r = t.call("DELETE", "/sign-in", None, None).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.headers["content-type"], "text/html; charset=utf-8");
    let _ = ISSUER;
}

#[tokio::test]
async fn static_files_are_served_under_hashed_names_for_ever_and_others_are_404() {
    let t = TestApp::spawn().await;
    let mut b = PageClient::new(&t);
    let html = b.get("/sign-in").await.text();
    let css =
        html.split("href=\"").find_map(|s| s.split('"').next().filter(|p| p.starts_with("/static/app.") && p.ends_with(".css"))).unwrap();
    let js = html.split("src=\"").find_map(|s| s.split('"').next().filter(|p| p.ends_with(".js"))).unwrap();
    for (path, kind) in [(css, "text/css"), (js, "text/javascript")] {
        let r = b.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(r.headers["content-type"].to_str().unwrap().starts_with(kind));
        assert_eq!(r.headers["cache-control"], "public, max-age=31536000, immutable");
    }
    assert_eq!(b.get("/static/app.0000000000.css").await.status, 404);
}

#[tokio::test]
async fn the_email_change_link_is_confirmed_only_by_the_pages_button() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let new_email = format!("new-{}", u.email);
    t.post("/api/users/me/email", json!({"newEmail": new_email, "password": PASSWORD}), Some(&u.access)).await.assert(202, None);
    let (_, mail) = t.last_mail(&new_email).await;
    assert!(mail.contains("http://accounts.test/confirm-email?token="), "{mail}");
    let token = t.mailed_token(&new_email).await;
    let mut b = PageClient::new(&t);
    for method in ["HEAD", "GET"] {
        let r = b.request(method, &format!("/confirm-email?token={token}")).await;
        assert_eq!(r.status, 200, "{method}");
        assert_eq!(r.headers["referrer-policy"], "no-referrer");
    }
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["email"], u.email.as_str(), "a prefetch changes nothing");
    let page = b.get(&format!("/confirm-email?token={token}")).await;
    assert!(page.text().contains("<form id=\"confirm-email\""));
    let csrf = b.csrf(&page);
    let r = b.post("/confirm-email", &[("token", &token), ("csrf", &csrf)]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    t.login(&new_email, PASSWORD).await.assert(200, None);
    let again = b.post("/confirm-email", &[("token", &token), ("csrf", &csrf)]).await;
    assert_eq!(again.status, 400);
    assert!(again.text().contains("<form id=\"confirm-email\"") && again.text().contains("role=\"alert\""));
}

#[tokio::test]
async fn signing_up_in_spanish_keeps_spanish_for_the_mail_and_the_account() {
    let t = TestApp::spawn().await;
    let (username, email) = t.new_identity();
    let mut b = PageClient::new(&t);
    b.accept_language("es");
    let csrf = b.fresh_csrf().await;
    let r = b.post("/sign-up", &[("username", &username), ("email", &email), ("password", PASSWORD), ("csrf", &csrf)]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<html lang=\"es\""));
    let (subject, _) = t.last_mail(&email).await;
    assert_eq!(subject, "Activa tu cuenta");
    // Signed in later from a browser that asks for English, the account's language wins.
    let token = t.mailed_token(&email).await;
    t.get(&format!("/api/auth/activate?token={token}"), None).await.assert(200, None);
    let mut b = PageClient::new(&t);
    b.accept_language("en");
    b.sign_in(&username, PASSWORD).await;
    assert!(b.get("/account").await.text().contains("<html lang=\"es\""));
    // The JSON API's register leaves the default (English).
    let (u2, e2) = t.new_identity();
    t.register(&u2, &e2, PASSWORD).await.assert(201, None);
    assert_eq!(t.last_mail(&e2).await.0, "Activate your account");
}

#[tokio::test]
async fn a_path_with_no_page_costs_no_store_call_even_for_a_signed_in_browser() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = PageClient::new(&t);
    b.sign_in(&u.username, PASSWORD).await;
    // The access token has expired: a page would rotate the refresh token; a 404 must not.
    t.clock.advance(time::Duration::minutes(16));
    let session = b.cookie("__Host-session").unwrap();
    t.calls.take();
    let r = b.get("/favicon.ico").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.headers["content-type"], "text/html; charset=utf-8");
    assert!(r.text().contains("<h1>"));
    assert!(t.calls.take_operations("DynamoDB").is_empty(), "a 404 reads no session");
    assert!(r.headers.get("set-cookie").is_none());
    assert_eq!(b.cookie("__Host-session").unwrap(), session, "nothing was rotated");
    assert_eq!(b.get("/account").await.status, 200, "the session is still good for a page");
}

#[tokio::test]
async fn an_oversized_or_unreadable_form_is_refused_with_a_page_and_changes_nothing() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = PageClient::new(&t);
    let csrf = b.fresh_csrf().await;
    let huge = "x".repeat(20 * 1024);
    let r = b.post("/sign-in", &[("login", &u.username), ("password", &huge), ("csrf", &csrf)]).await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("<h1>"));
    // A form that does not fit the page's (a field sent twice): a 400 page, nobody signed in.
    let body = format!("csrf={csrf}&login={}&login=someone&password={PASSWORD}", u.username);
    let r = b.post_raw("/sign-in", "application/x-www-form-urlencoded", &body).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("<h1>") && b.cookie("__Host-session").is_none());
}
