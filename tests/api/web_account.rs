//! The account console's pages (`/account/*`, SPEC §3.8), handler-level: every section renders
//! for a signed-in person, sends a signed-out one to sign in, refuses a post without the CSRF
//! token, does what its JSON route does (checked through the JSON API), and shows each
//! documented error next to its field.

use crate::helpers::{PASSWORD, TestApp};
use crate::pages::{Browser, Html};
use image::{ImageFormat, Rgb, RgbImage};
use serde_json::json;
use std::io::Cursor;

/// Every section: its path and an id its page must carry.
const SECTIONS: [(&str, &str); 12] = [
    ("/account", "sign-out"),
    ("/account/profile", "avatar-upload"),
    ("/account/preferences", "preferences"),
    ("/account/settings", "settings"),
    ("/account/password", "password"),
    ("/account/email", "email"),
    ("/account/mfa", "mfa-start"),
    ("/account/sessions", "sessions-list"),
    ("/account/api-keys", "api-key-create"),
    ("/account/activity", "activity"),
    ("/account/export", "export-download"),
    ("/account/delete", "delete"),
];

/// Every form post of the console (with the fields it needs, minus the token).
const POSTS: [(&str, &[(&str, &str)]); 14] = [
    ("/account/resend-activation", &[]),
    ("/account/avatar/remove", &[]),
    ("/account/profile", &[("name", "Mallory")]),
    ("/account/preferences", &[("theme", "dark"), ("language", "es"), ("timezone", "UTC")]),
    ("/account/settings", &[("default_folder", "/x")]),
    ("/account/password", &[("current_password", PASSWORD), ("new_password", "An0ther-Good-Pass")]),
    ("/account/email", &[("new_email", "mallory@example.com"), ("password", PASSWORD)]),
    ("/account/mfa/start", &[("password", PASSWORD)]),
    ("/account/mfa/verify", &[("code", "123456")]),
    ("/account/mfa/manage", &[("password", PASSWORD), ("code", "123456"), ("action", "disable")]),
    ("/account/sessions/ses_01ARZ3NDEKTSV4RRFFQ69G5FAV/revoke", &[]),
    ("/account/api-keys", &[("name", "ci"), ("scopes", "read")]),
    ("/account/api-keys/key_01ARZ3NDEKTSV4RRFFQ69G5FAV/revoke", &[]),
    ("/account/delete", &[("password", PASSWORD)]),
];

fn png() -> Vec<u8> {
    let img = RgbImage::from_pixel(64, 64, Rgb([200, 40, 90]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

fn totp_now(t: &TestApp, secret: &str) -> String {
    let totp = totp_rs::Builder::new().with_secret(totp_rs::Secret::try_from_base32(secret).unwrap()).build_noncompliant();
    totp.generate(t.app.now() as u64).to_string()
}

#[tokio::test]
async fn every_section_renders_with_its_heading_nav_and_forms() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    for (path, id) in SECTIONS {
        let page = b.get(path).await.ok();
        assert!(page.body.contains("<h1>"), "{path}: {}", page.body);
        assert!(page.has_id(id), "{path} lacks #{id}");
        assert!(page.body.contains("<nav class=\"sections\""), "{path}");
        assert!(page.body.contains(&format!("<a href=\"{path}\" aria-current=\"page\">")), "{path} is not marked current");
        assert_eq!(page.body.matches("aria-current=\"page\"").count(), 1, "{path}");
        assert!(!page.body.contains("<script>") && !page.body.contains("style="), "{path} has inline script or style");
        assert_eq!(page.headers["cache-control"], "no-store", "{path}");
    }
    let profile = b.get("/account/profile").await.ok();
    assert!(profile.body.contains("<img class=\"avatar\""));
    assert!(profile.body.contains("enctype=\"multipart/form-data\""));
    let sessions = b.get("/account/sessions").await.ok();
    assert!(sessions.body.contains("data-session=\"ses_"), "{}", sessions.body);
}

#[tokio::test]
async fn a_signed_out_visitor_is_sent_to_sign_in_and_brought_back() {
    let t = TestApp::spawn().await;
    let mut b = Browser::new(&t);
    for (path, _) in SECTIONS {
        let page = b.get(path).await;
        let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
        page.redirects_to(&format!("/sign-in?next={next}"));
    }
    b.get("/account/export.json").await.redirects_to("/sign-in?next=%2Faccount%2Fexport");
}

#[tokio::test]
async fn a_post_without_the_token_or_from_another_site_is_refused_and_changes_nothing() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    for (path, fields) in POSTS {
        let page = b.post(path, fields).await.status(403);
        assert!(page.body.contains("<h1>"), "{path}");
        let mut wrong = vec![("csrf", "not-the-token")];
        wrong.extend_from_slice(fields);
        b.post(path, &wrong).await.status(403);
    }
    // The right token from a foreign page is refused too.
    let csrf = b.get("/account/profile").await.ok().csrf();
    let body = format!("csrf={csrf}&name=Mallory");
    let request = http::Request::builder()
        .method("POST")
        .uri("/account/profile")
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("__Host-csrf={}; __Host-access_token={}", b.cookie("__Host-csrf").unwrap(), b.access_token()))
        .body(axum::body::Body::from(body))
        .unwrap();
    assert_eq!(t.send(request).await.status, 403);
    // The avatar's multipart form checks its token first.
    b.post_multipart("/account/avatar", &[("csrf", "not-the-token")], ("avatar", "image/png", &png())).await.status(403);
    b.post_multipart("/account/avatar", &[], ("avatar", "image/png", &png())).await.status(403);
    let me = t.get("/api/users/me", Some(&u.access)).await;
    assert_eq!(me.data()["name"], serde_json::Value::Null);
    assert_eq!(me.data()["avatarUrl"], serde_json::Value::Null);
    assert_eq!(me.data()["preferences"]["language"], "en");
    t.login(&u.username, PASSWORD).await.assert(200, None);
}

#[tokio::test]
async fn an_unactivated_account_is_asked_to_activate_and_can_have_the_mail_again() {
    let t = TestApp::spawn().await;
    let u = t.unactivated_user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    let overview = b.get("/account").await.ok();
    assert!(overview.has_id("resend-activation"));
    for (path, _) in SECTIONS.iter().skip(1) {
        let page = b.get(path).await.status(403);
        assert!(page.body.contains("account-not-activated-title") || page.body.contains("Activate"), "{path}");
    }
    let csrf = overview.csrf();
    b.post("/account/profile", &[("csrf", &csrf), ("name", "Nope")]).await.status(403);
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["name"], serde_json::Value::Null);
    let before = t.mails_to(&u.email).await.len();
    t.clock.advance(time::Duration::seconds(61));
    b.submit("/account", "/account/resend-activation", &[]).await.redirects_to("/account?done=activation-sent");
    assert!(b.get("/account?done=activation-sent").await.ok().body.contains("class=\"alert ok\" role=\"status\""));
    assert_eq!(t.mails_to(&u.email).await.len(), before + 1);
}

#[tokio::test]
async fn the_profile_form_saves_through_the_profile_service_and_shows_field_errors() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    let fields = [("name", "Ada Lovelace"), ("bio", "Counts things"), ("location", "London"), ("website", "https://ada.example")];
    b.submit("/account/profile", "/account/profile", &fields).await.redirects_to("/account/profile?done=saved");
    let me = t.get("/api/users/me", Some(&u.access)).await;
    assert_eq!(me.data()["name"], "Ada Lovelace");
    assert_eq!(me.data()["bio"], "Counts things");
    assert_eq!(me.data()["website"], "https://ada.example");
    let page = b.get("/account/profile?done=saved").await.ok();
    assert!(page.body.contains("class=\"alert ok\" role=\"status\""));
    assert!(page.body.contains("value=\"Ada Lovelace\""));

    let bad = b.submit("/account/profile", "/account/profile", &[("name", "Ada"), ("website", "ftp://nope")]).await.status(400);
    assert!(bad.field_error("website").is_some(), "{}", bad.body);
    assert!(bad.body.contains("aria-invalid=\"true\" aria-describedby=\"website-error\""));
    assert!(bad.body.contains("value=\"ftp://nope\""), "the typed value is kept");
    assert!(bad.body.contains("class=\"alert error\" role=\"alert\""));
    // Emptying a field clears it.
    b.submit("/account/profile", "/account/profile", &[("name", "Ada Lovelace"), ("bio", "")])
        .await
        .redirects_to("/account/profile?done=saved");
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["bio"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_avatar_upload_uses_the_avatar_service_and_shows_the_new_picture() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    let csrf = b.get("/account/profile").await.ok().csrf();
    b.post_multipart("/account/avatar", &[("csrf", &csrf)], ("avatar", "image/png", &png()))
        .await
        .redirects_to("/account/profile?done=avatar");
    let url = t.get("/api/users/me", Some(&u.access)).await.data()["avatarUrl"].as_str().unwrap().to_owned();
    let path = &url[url.find("/api/users/").unwrap()..];
    let page = b.get("/account/profile").await.ok();
    assert!(page.body.contains(&format!("<img class=\"avatar\" src=\"{path}\"")), "{}", page.body);
    assert_eq!(t.get(path, None).await.status, 200);

    let bad = b.post_multipart("/account/avatar", &[("csrf", &csrf)], ("avatar", "text/plain", b"not an image")).await;
    assert!(bad.status == 415 || bad.status == 400, "{}", bad.status);
    assert!(bad.field_error("avatar").is_some(), "{}", bad.body);
    let empty = b.post_multipart("/account/avatar", &[("csrf", &csrf)], ("avatar", "image/png", b"")).await.status(400);
    assert!(empty.field_error("avatar").is_some());

    assert!(page.has_id("avatar-remove"));
    b.submit("/account/profile", "/account/avatar/remove", &[]).await.redirects_to("/account/profile?done=avatar-removed");
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["avatarUrl"], serde_json::Value::Null);
    assert!(!b.get("/account/profile").await.ok().has_id("avatar-remove"), "nothing left to remove");
}

#[tokio::test]
async fn saving_spanish_and_dark_makes_the_next_page_spanish_and_dark() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    assert!(b.get("/account").await.ok().body.contains("<html lang=\"en\">"));
    let fields = [("theme", "dark"), ("language", "es"), ("timezone", "Europe/Madrid")];
    b.submit("/account/preferences", "/account/preferences", &fields).await.redirects_to("/account/preferences?done=saved");
    let page = b.get("/account/preferences").await.ok();
    assert!(page.body.contains("<html lang=\"es\" data-theme=\"dark\">"), "{}", &page.body[..200]);
    assert!(page.body.contains("<option value=\"es\" selected>"));
    let me = t.get("/api/users/me", Some(&u.access)).await;
    assert_eq!(me.data()["preferences"], json!({"theme": "dark", "language": "es", "timezone": "Europe/Madrid"}));

    let bad = b
        .submit("/account/preferences", "/account/preferences", &[("theme", "neon"), ("language", "es"), ("timezone", "Mars/Olympus")])
        .await
        .status(400);
    assert!(bad.field_error("theme").is_some(), "{}", bad.body);
    assert!(bad.field_error("timezone").is_some());
}

#[tokio::test]
async fn the_settings_form_sets_every_flag_to_its_checkbox() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    let fields = [("notifications_marketing", "on"), ("privacy_public_profile", "on"), ("default_folder", "/photos")];
    b.submit("/account/settings", "/account/settings", &fields).await.redirects_to("/account/settings?done=saved");
    let s = t.get("/api/users/me/settings", Some(&u.access)).await;
    assert_eq!(s.data()["notifications"]["marketing"], true);
    assert_eq!(s.data()["notifications"]["security"], false, "an unticked box is off");
    assert_eq!(s.data()["privacy"]["publicProfile"], true);
    assert_eq!(s.data()["app"]["defaultFolder"], "/photos");
    let page = b.get("/account/settings").await.ok();
    assert!(page.body.contains("id=\"notifications_marketing\" name=\"notifications_marketing\" type=\"checkbox\" value=\"on\" checked"));

    let bad = b.submit("/account/settings", "/account/settings", &[("default_folder", "../etc")]).await.status(400);
    assert!(bad.field_error("default_folder").is_some(), "{}", bad.body);
}

#[tokio::test]
async fn a_password_change_checks_the_current_one_and_signs_every_session_out() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    let wrong = b
        .submit("/account/password", "/account/password", &[("current_password", "Wrong-Pass-123"), ("new_password", "An0ther-Good-Pass")])
        .await
        .status(400);
    assert!(wrong.field_error("current_password").is_some(), "{}", wrong.body);
    let weak =
        b.submit("/account/password", "/account/password", &[("current_password", PASSWORD), ("new_password", "short")]).await.status(422);
    assert!(weak.field_error("new_password").is_some(), "{}", weak.body);
    assert!(!weak.body.contains(PASSWORD), "a password is never sent back");

    let page_token = b.access_token();
    b.submit("/account/password", "/account/password", &[("current_password", PASSWORD), ("new_password", "An0ther-Good-Pass")])
        .await
        .redirects_to("/sign-in?done=password");
    assert!(b.cookie("__Host-access_token").is_none() && b.cookie("__Host-session").is_none(), "the browser is signed out");
    assert!(b.get("/sign-in?done=password").await.ok().body.contains("class=\"alert ok\" role=\"status\""));
    t.get("/api/users/me", Some(&page_token)).await.assert(401, None);
    t.get("/api/users/me", Some(&u.access)).await.assert(401, None);
    t.login(&u.username, "An0ther-Good-Pass").await.assert(200, None);
}

#[tokio::test]
async fn an_email_change_mails_the_new_address_and_says_the_same_for_a_taken_one() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let other = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    let wrong =
        b.submit("/account/email", "/account/email", &[("new_email", "new@example.com"), ("password", "Wrong-Pass-123")]).await.status(400);
    assert!(wrong.field_error("password").is_some(), "{}", wrong.body);
    assert!(wrong.body.contains("value=\"new@example.com\""));
    let same = b.submit("/account/email", "/account/email", &[("new_email", &u.email), ("password", PASSWORD)]).await.status(400);
    assert!(same.field_error("new_email").is_some(), "{}", same.body);
    let bad = b.submit("/account/email", "/account/email", &[("new_email", "not-an-address"), ("password", PASSWORD)]).await.status(400);
    assert!(bad.field_error("new_email").is_some());

    let (_, fresh) = t.new_identity();
    let done = b.submit("/account/email", "/account/email", &[("new_email", &fresh), ("password", PASSWORD)]).await.ok();
    assert!(done.body.contains("class=\"alert ok\" role=\"status\""));
    assert!(t.last_mail(&fresh).await.1.contains("/confirm-email?token="));
    t.clock.advance(time::Duration::seconds(61));
    let taken = b.submit("/account/email", "/account/email", &[("new_email", &other.email), ("password", PASSWORD)]).await.ok();
    assert!(taken.body.contains("class=\"alert ok\" role=\"status\""), "a taken address is not revealed");
}

#[tokio::test]
async fn mfa_enrols_with_the_qr_code_shows_backup_codes_once_and_turns_off() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    let wrong = b.submit("/account/mfa", "/account/mfa/start", &[("password", "Wrong-Pass-123")]).await.status(400);
    assert!(wrong.field_error("password").is_some(), "{}", wrong.body);

    let enrol = b.submit("/account/mfa", "/account/mfa/start", &[("password", PASSWORD)]).await.ok();
    assert!(enrol.body.contains("id=\"mfa-qr\" src=\"data:image/png;base64,"), "{}", enrol.body);
    let secret = enrol.inner("code", "mfa-secret").unwrap();
    assert!(enrol.has_id("mfa-verify"));
    let csrf = enrol.csrf();
    let bad = b.post("/account/mfa/verify", &[("csrf", &csrf), ("code", "000000")]).await.status(400);
    assert!(bad.field_error("code").is_some(), "{}", bad.body);
    assert!(bad.has_id("mfa-verify"), "the code is asked for again");
    let short = b.post("/account/mfa/verify", &[("csrf", &csrf), ("code", "12")]).await.status(400);
    assert!(short.field_error("code").is_some());

    let codes_page = b.post("/account/mfa/verify", &[("csrf", &csrf), ("code", &totp_now(&t, &secret))]).await.ok();
    assert_eq!(codes_page.headers["cache-control"], "no-store");
    let codes: Vec<String> =
        codes_page.inner("ol", "backup-codes").unwrap().split("<code>").skip(1).map(|c| c[..c.find('<').unwrap()].to_owned()).collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["mfaEnabled"], true);
    let status = b.get("/account/mfa").await.ok();
    assert!(status.has_id("mfa-manage") && !status.has_id("mfa-start"));
    assert!(!status.body.contains(&codes[0]), "backup codes are shown once");

    let regen = b
        .submit("/account/mfa", "/account/mfa/manage", &[("password", PASSWORD), ("code", &codes[0]), ("action", "regenerate")])
        .await
        .ok();
    let new_codes = regen.inner("ol", "backup-codes").unwrap();
    assert!(!new_codes.contains(&codes[1]), "new codes replace the old ones");
    let first_new = new_codes.split("<code>").nth(1).map(|c| c[..c.find('<').unwrap()].to_owned()).unwrap();

    let wrong_code = b
        .submit("/account/mfa", "/account/mfa/manage", &[("password", PASSWORD), ("code", "zzzz-zzzz"), ("action", "disable")])
        .await
        .status(400);
    assert!(wrong_code.field_error("code").is_some(), "{}", wrong_code.body);
    let wrong_pw = b
        .submit("/account/mfa", "/account/mfa/manage", &[("password", "Wrong-Pass-123"), ("code", &first_new), ("action", "disable")])
        .await
        .status(400);
    assert!(wrong_pw.field_error("password").is_some(), "{}", wrong_pw.body);
    b.submit("/account/mfa", "/account/mfa/manage", &[("password", PASSWORD), ("code", &first_new), ("action", "disable")])
        .await
        .redirects_to("/account/mfa?done=mfa-off");
    assert_eq!(t.get("/api/users/me", Some(&u.access)).await.data()["mfaEnabled"], false);
}

#[tokio::test]
async fn sessions_are_listed_with_the_current_one_marked_and_others_can_be_signed_out() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    let page = b.get("/account/sessions").await.ok();
    assert_eq!(page.body.matches("data-current=\"true\"").count(), 1, "{}", page.body);
    assert_eq!(page.body.matches("data-current=\"false\"").count(), 1, "the API login of t.user()");
    let other =
        page.body.split("data-session=\"").skip(1).find(|row| row[..row.find('>').unwrap()].contains("data-current=\"false\"")).unwrap();
    let other_id = &other[..other.find('"').unwrap()];
    assert!(page.body.contains(&format!("action=\"/account/sessions/{other_id}/revoke\"")));
    assert_eq!(page.body.matches("/revoke\"").count(), 1, "the current session has no revoke form");

    let unknown = b.submit("/account/sessions", "/account/sessions/ses_01ARZ3NDEKTSV4RRFFQ69G5FAV/revoke", &[]).await.status(404);
    assert!(unknown.body.contains("class=\"alert error\" role=\"alert\""));
    assert!(unknown.body.contains("data-current=\"true\""), "the list is shown again");
    b.submit("/account/sessions", &format!("/account/sessions/{other_id}/revoke"), &[])
        .await
        .redirects_to("/account/sessions?done=session-revoked");
    t.get("/api/users/me", Some(&u.access)).await.assert(401, None);
    let after = b.get("/account/sessions").await.ok();
    assert!(!after.body.contains(other_id));
}

#[tokio::test]
async fn an_api_key_is_shown_once_works_and_can_be_revoked() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    let no_name = b.submit("/account/api-keys", "/account/api-keys", &[("name", ""), ("scopes", "read")]).await.status(400);
    assert!(no_name.field_error("name").is_some(), "{}", no_name.body);
    let no_scope = b.submit("/account/api-keys", "/account/api-keys", &[("name", "ci")]).await.status(400);
    assert!(no_scope.field_error("scopes").is_some(), "{}", no_scope.body);

    let created = b
        .submit("/account/api-keys", "/account/api-keys", &[("name", "ci"), ("scopes", "read"), ("scopes", "write"), ("expires_in", "30d")])
        .await
        .ok();
    assert_eq!(created.headers["cache-control"], "no-store");
    let secret = created.inner("code", "api-key-secret").unwrap();
    assert!(secret.starts_with("uk_"), "{secret}");
    let me = t.call_with_key("GET", "/api/users/me", None, &secret).await;
    me.assert(200, None);
    let keys = t.get("/api/api-keys", Some(&u.access)).await;
    let key = &keys.data()[0];
    assert_eq!(key["scopes"], json!(["read", "write"]));
    assert!(key["expiresAt"].is_string());
    let list = b.get("/account/api-keys").await.ok();
    assert!(!list.body.contains(&secret), "the secret is shown once");
    let id = key["id"].as_str().unwrap();
    assert!(list.body.contains(&format!("action=\"/account/api-keys/{id}/revoke\"")));

    let unknown = b.submit("/account/api-keys", "/account/api-keys/key_01ARZ3NDEKTSV4RRFFQ69G5FAV/revoke", &[]).await.status(404);
    assert!(unknown.body.contains("class=\"alert error\" role=\"alert\""));
    b.submit("/account/api-keys", &format!("/account/api-keys/{id}/revoke"), &[]).await.redirects_to("/account/api-keys?done=key-revoked");
    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(401, None);
}

#[tokio::test]
async fn the_activity_table_pages_with_a_more_link() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    for _ in 0..21 {
        t.login(&u.username, PASSWORD).await.assert(200, None);
    }
    let mut b = Browser::signed_in(&t, &u).await;
    let first = b.get("/account/activity").await.ok();
    assert_eq!(first.body.matches("<tr>").count(), 1 + 20, "a header row and 20 entries");
    let more = first.attr("activity-more", "href").expect("a more link");
    assert!(more.starts_with("/account/activity?cursor=act_"), "{more}");
    let second = b.get(&more).await.ok();
    assert!(second.body.contains("login.succeeded") || second.body.contains("<tr>"));
    assert_ne!(second.body, first.body);
    b.get("/account/activity?cursor=nonsense").await.status(400);
}

#[tokio::test]
async fn the_export_download_is_the_json_apis_document_as_an_attachment() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    let file = b.get("/account/export.json").await.ok();
    assert!(file.headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(file.headers["content-type"], "application/json");
    assert_eq!(file.headers["cache-control"], "no-store");
    let document: serde_json::Value = serde_json::from_str(&file.body).unwrap();
    let api = t.get("/api/users/me/export", Some(&b.access_token())).await;
    api.assert(200, None);
    assert_eq!(&document, api.data());
    assert_eq!(document["profile"]["username"], u.username.as_str());
}

#[tokio::test]
async fn deletion_checks_the_password_and_shows_the_recovery_code_once() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    let wrong = b.submit("/account/delete", "/account/delete", &[("password", "Wrong-Pass-123"), ("reason", "testing")]).await.status(400);
    assert!(wrong.field_error("password").is_some(), "{}", wrong.body);
    assert!(wrong.body.contains(">testing</textarea>"), "the reason is kept");

    let done: Html = b.submit("/account/delete", "/account/delete", &[("password", PASSWORD), ("reason", "testing")]).await.ok();
    assert_eq!(done.headers["cache-control"], "no-store");
    let code = done.inner("code", "recovery-code").unwrap();
    assert!(done.body.contains("href=\"/recover\""));
    assert!(b.cookie("__Host-access_token").is_none(), "the browser is signed out");
    t.login(&u.username, PASSWORD).await.assert(403, Some("ACCOUNT_PENDING_DELETION"));
    t.post("/api/users/recover", json!({"email": u.email, "recoveryCode": code}), None).await.assert(200, None);
    t.login(&u.username, PASSWORD).await.assert(200, None);
}

#[tokio::test]
async fn nobody_revokes_another_accounts_session_or_key_through_the_pages() {
    let t = TestApp::spawn().await;
    let (owner, intruder) = (t.user().await, t.user().await);
    let key = t.post("/api/api-keys", json!({"name": "ci", "scopes": ["read"]}), Some(&owner.access)).await;
    let (key_id, secret) = (key.data()["id"].as_str().unwrap().to_owned(), key.data()["keySecret"].as_str().unwrap().to_owned());
    let sessions = t.get("/api/users/me/sessions", Some(&owner.access)).await;
    let session_id = sessions.data()[0]["id"].as_str().unwrap().to_owned();
    let mut b = Browser::signed_in(&t, &intruder).await;
    // The same answer as an id that does not exist: nothing is revealed, nothing is revoked.
    b.submit("/account/sessions", &format!("/account/sessions/{session_id}/revoke"), &[]).await.status(404);
    b.submit("/account/api-keys", &format!("/account/api-keys/{key_id}/revoke"), &[]).await.status(404);
    t.get("/api/users/me", Some(&owner.access)).await.assert(200, None);
    t.call_with_key("GET", "/api/users/me", None, &secret).await.assert(200, None);
}
