//! End-to-end tests in a real browser (Debian's headless Chromium through chromedriver; the
//! harness is browser_support.rs). Few and long: the edge cases live in handler-level tests.

use crate::browser_support::{Browser, Scheme, Site};
use crate::helpers::PASSWORD;

/// The harness end to end: a page served over HTTP by the gateway dispatch (the discovery
/// document, from the auth function), read in the browser; `prefers-color-scheme` emulation
/// that the page sees, across a reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_reads_pages_the_gateway_serves_and_can_prefer_dark() {
    let site = Site::start(|_| {}).await;
    let browser = Browser::start().await;

    browser.open(&site.url("/.well-known/openid-configuration")).await;
    let text = browser.text_of("body").await;
    let json = text.find('{').map(|start| &text[start..=text.rfind('}').unwrap()]).unwrap_or_else(|| panic!("no JSON on the page: {text}"));
    let discovery: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(discovery["issuer"], site.base.as_str(), "the app's issuer is the address the browser reached it at");
    assert_eq!(discovery["jwks_uri"], site.url("/.well-known/jwks.json"));

    // The form helpers: a form of a data: page, filled by typing, submitted with its button;
    // the browser lands on the answer (here the discovery document again, with the query).
    let form = format!(
        "data:text/html,<!doctype html><title>form</title><form id=probe method=get action='{}'><label for=q>Q</label><input id=q name=q value=old><label for=s>S</label><select id=s name=s><option value=a>A</option><option value=b>B</option></select><button type=submit>Go</button></form>",
        site.url("/.well-known/openid-configuration")
    );
    browser.open(&form).await;
    browser.fill("form#probe", &[("q", "typed value"), ("s", "b")]).await;
    browser.submit("form#probe").await;
    assert_eq!(browser.path().await, "/.well-known/openid-configuration?q=typed+value&s=b");
    assert!(!browser.has("form#probe").await, "the answer replaced the form's page");

    // Every other path goes to the web function (API Gateway's `$default`): its 404 is a page.
    browser.open(&site.url("/no-such-page")).await;
    assert!(browser.has("main#main h1").await, "an HTML 404: {}", browser.text_of("body").await);

    browser.open(&site.url("/.well-known/openid-configuration")).await;
    browser.set_color_scheme(Scheme::Dark).await;
    assert!(browser.prefers_dark().await, "the emulated scheme reaches matchMedia");
    browser.client.refresh().await.unwrap();
    assert!(browser.prefers_dark().await, "the emulation stays across a reload");
    browser.set_color_scheme(Scheme::Light).await;
    assert!(!browser.prefers_dark().await);
    let languages = browser.client.execute("return navigator.languages", vec![]).await.unwrap();
    assert_eq!(languages[0], "en");
}

/// The axe wiring can fail: an image without a text alternative (axe's critical `image-alt`)
/// is reported with its node, and a page without one is clean. The browser is a Spanish one,
/// and the pages answer it in Spanish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_reports_an_image_without_alt_text_in_a_spanish_browser() {
    let browser = Browser::start_in("es").await;
    let languages = browser.client.execute("return navigator.languages", vec![]).await.unwrap();
    assert_eq!(languages[0], "es", "the browser asks for Spanish pages");

    let page = |body: &str| {
        format!(
            "data:text/html,<!doctype html><html lang=en><head><title>axe</title></head><body><main><h1>axe</h1>{body}</main></body></html>"
        )
    };
    browser.open(&page("<img id=nameless src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>")).await;
    let violations = browser.axe().await;
    let image_alt = violations.iter().find(|v| v.id == "image-alt").unwrap_or_else(|| panic!("axe missed image-alt: {violations:?}"));
    assert_eq!(image_alt.impact, "critical");
    assert!(image_alt.nodes.iter().any(|(target, _, _)| target == "#nameless"), "{image_alt:?}");

    browser.open(&page("<img id=named alt='A dot' src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>")).await;
    browser.assert_accessible("a page whose image has alt text").await;

    let site = Site::start(|_| {}).await;
    for (path, name) in [("/sign-in", "sign-in-es"), ("/sign-up", "sign-up-es")] {
        browser.visit(&site, path, name).await;
        assert_eq!(browser.find("html").await.attr("lang").await.unwrap().as_deref(), Some("es"), "{path} in Spanish");
    }
}

/// One user's way through the hosted pages, in the browser: sign-up with the captcha on, the
/// activation link (fetched by a mail scanner first), a forged form refused, sign-in, the
/// profile and an avatar upload, TOTP enrolment with its backup codes, sign-out, sign-in with
/// the TOTP step, another session revoked, a forgotten password reset by mail, the old password
/// refused and the new one working with a backup code.
/// axe runs on every page; each page kind is saved light and dark in docs/screenshots/.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_signs_up_signs_in_with_a_second_factor_and_resets_the_password_through_the_pages() {
    let site = Site::start(|c| c.require_captcha = true).await;
    let browser = Browser::start().await;
    // A fixed identity (the table is this test's own; no other test mails this address), so
    // the screenshots change only when the pages do.
    let (username, email) = ("ada_lovelace".to_owned(), "ada.lovelace.browser@example.com".to_owned());

    // Sign-up: the captcha's answer is in its image; plant one the test knows. (No picture of
    // this page: its captcha differs every run; sign-up-es-* shows the page.)
    browser.open(&site.url("/sign-up")).await;
    browser.check_page_unpictured("sign-up").await;
    assert!(browser.has("img#captcha-image").await);
    let captcha_id = browser.value_of("form#sign-up [name=\"captcha_id\"]").await;
    assert!(captcha_id.starts_with("cap_"), "{captcha_id}");
    site.plant_captcha_answer(&captcha_id, "k7m2x").await;
    browser.fill("form#sign-up", &[("username", &username), ("email", &email), ("password", PASSWORD), ("captcha", "k7m2x")]).await;
    browser.submit("form#sign-up").await;
    assert!(browser.has("div.alert.ok").await, "sign-up answers with a notice: {}", browser.text_of("main").await);
    browser.check_page("sign-up-done").await;

    // The activation link: a mail scanner's GET and HEAD do not use it up.
    let activation = site.mailed_link(&email, "/activate?token=").await;
    assert_eq!(site.prefetch(&activation).await, (200, 200), "a prefetched link shows the page");
    browser.open(&activation).await;
    browser.check_page("activate").await;
    browser.submit("form#activate").await;
    assert!(browser.has("main a[href=\"/sign-in\"]").await, "activated: {}", browser.text_of("main").await);
    browser.check_page("activated").await;

    // A form posted without its csrf field is refused with a page, not JSON, and signs no one in.
    browser.visit(&site, "/sign-in", "sign-in").await;
    browser.fill("form#sign-in", &[("login", &username), ("password", PASSWORD)]).await;
    browser.client.execute("document.querySelector('form#sign-in [name=\"csrf\"]').remove()", vec![]).await.unwrap();
    browser.submit("form#sign-in").await;
    browser.check_page("refused").await;
    assert!(!browser.text_of("body").await.trim_start().starts_with('{'), "a page, not JSON");
    browser.open(&site.url("/account")).await;
    assert!(browser.path().await.starts_with("/sign-in"), "not signed in: {}", browser.path().await);

    // Sign-in and the account console.
    browser.open(&site.url("/sign-in")).await;
    browser.fill("form#sign-in", &[("login", &username), ("password", PASSWORD)]).await;
    browser.submit("form#sign-in").await;
    assert_eq!(browser.path().await, "/account");
    assert!(browser.text_of("main").await.contains(&email));
    browser.check_page("account").await;

    // The profile: a name, and an avatar uploaded through the file field.
    browser.open(&site.url("/account/profile")).await;
    browser.fill("form#profile", &[("name", "Ada Lovelace"), ("location", "London")]).await;
    browser.submit("form#profile").await;
    assert!(browser.has("div.alert.ok").await, "profile saved: {}", browser.text_of("main").await);
    let avatar = std::env::temp_dir().join(format!("accounts-avatar-{}.png", std::process::id()));
    image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 160])).save(&avatar).unwrap();
    browser.find("form#avatar-upload input#avatar").await.send_keys(avatar.to_str().unwrap()).await.unwrap();
    browser.submit("form#avatar-upload").await;
    std::fs::remove_file(&avatar).ok();
    assert!(browser.has("div.alert.ok").await, "avatar uploaded: {}", browser.text_of("main").await);
    assert!(browser.has("img.avatar[src*=\"/avatar\"]").await, "the page shows the new avatar");
    browser.check_page("account-profile").await;
    let access = site.login(&username, PASSWORD).await.data()["accessToken"].as_str().unwrap().to_owned();
    let me = site.get("/api/users/me", Some(&access)).await;
    assert_eq!(me.data()["name"], "Ada Lovelace");
    assert!(me.data()["avatarUrl"].is_string(), "the avatar is the account's: {}", me.body);

    // TOTP through the pages: the password, then the QR code and its key, then a code from it;
    // the backup codes are shown once. (No pictures: the key and codes differ every run.)
    browser.open(&site.url("/account/mfa")).await;
    browser.check_page("account-mfa").await;
    browser.fill("form#mfa-start", &[("password", PASSWORD)]).await;
    browser.submit("form#mfa-start").await;
    assert!(browser.has("img#mfa-qr[src^=\"data:image/png;base64,\"]").await, "{}", browser.text_of("main").await);
    browser.check_page_unpictured("account-mfa-enrol").await;
    let secret = browser.text_of("code#mfa-secret").await.trim().to_owned();
    browser.fill("form#mfa-verify", &[("code", &crate::mfa::code_at(&site, &secret))]).await;
    browser.submit("form#mfa-verify").await;
    let backup: Vec<String> = browser.text_of("ol#backup-codes").await.split_whitespace().map(str::to_owned).collect();
    assert_eq!(backup.len(), 10, "ten backup codes, shown once: {backup:?}");
    browser.check_page_unpictured("account-backup-codes").await;
    browser.open(&site.url("/account/mfa")).await;
    assert!(!browser.has("ol#backup-codes").await, "the codes are not shown again");

    // Sign out; sign in again with the second factor.
    browser.submit("form#sign-out").await;
    assert_eq!(browser.path().await, "/sign-in");
    site.clock.advance(time::Duration::seconds(30));
    browser.fill("form#sign-in", &[("login", &email), ("password", PASSWORD)]).await;
    browser.submit("form#sign-in").await;
    browser.check_page("sign-in-mfa").await;
    browser.fill("form#mfa", &[("code", &crate::mfa::code_at(&site, &secret))]).await;
    browser.submit("form#mfa").await;
    assert_eq!(browser.path().await, "/account");

    // Another device's session (the API logins above), revoked from the sessions page.
    browser.open(&site.url("/account/sessions")).await;
    browser.check_page_unpictured("account-sessions").await;
    let others = browser.client.find_all(fantoccini::Locator::Css("tr[data-current=\"false\"]")).await.unwrap();
    assert!(!others.is_empty(), "the API sign-ins are other sessions");
    let other = others[0].attr("data-session").await.unwrap().unwrap();
    browser.submit(&format!("form#revoke-{other}")).await;
    assert!(!browser.has(&format!("tr[data-session=\"{other}\"]")).await, "revoked: {}", browser.text_of("main").await);
    assert!(browser.has("tr[data-current=\"true\"]").await, "this session stays");
    browser.submit("form#sign-out").await;

    // Forgotten password: the mailed link (fetched by a scanner first) sets a new one.
    browser.visit(&site, "/forgot-password", "forgot-password").await;
    browser.fill("form#forgot-password", &[("email", &email)]).await;
    browser.submit("form#forgot-password").await;
    assert!(browser.has("div.alert.ok").await, "{}", browser.text_of("main").await);
    let reset = site.mailed_link(&email, "/reset-password?token=").await;
    assert_eq!(site.prefetch(&reset).await, (200, 200));
    browser.open(&reset).await;
    browser.check_page("reset-password").await;
    let new_password = "An0ther-Long-Passphrase";
    browser.fill("form#reset-password", &[("new_password", new_password)]).await;
    browser.submit("form#reset-password").await;
    assert!(browser.has("main a[href=\"/sign-in\"]").await, "reset: {}", browser.text_of("main").await);

    browser.open(&site.url("/sign-in")).await;
    browser.fill("form#sign-in", &[("login", &username), ("password", PASSWORD)]).await;
    browser.submit("form#sign-in").await;
    assert!(browser.has("div.alert.error").await, "the old password no longer works: {}", browser.text_of("main").await);
    browser.check_page("sign-in-error").await;
    browser.fill("form#sign-in", &[("login", &username), ("password", new_password)]).await;
    browser.submit("form#sign-in").await;
    // One of the backup codes kept from the enrolment is the second factor this time.
    browser.fill("form#mfa", &[("code", &backup[0])]).await;
    browser.submit("form#mfa").await;
    assert_eq!(browser.path().await, "/account");
}

// ---- the admin console ------------------------------------------------------------------------

/// 2036-03-03 09:30 UTC: the console's journey runs at this time (the test clock moves forward
/// to it), so the pictured pages — dates in the users table, a ban's end — are the same on every
/// run.
const CONSOLE_TIME: i64 = 2_088_149_400;

/// Signs in through the sign-in page, going on to `next`.
async fn console_sign_in(browser: &Browser, site: &Site, login: &str, next: &str) {
    browser.open(&site.url(&format!("/sign-in?next={next}"))).await;
    browser.fill("form#sign-in", &[("login", login), ("password", PASSWORD)]).await;
    browser.submit("form#sign-in").await;
}

/// The usernames of the users table's rows, in order.
async fn table_rows(browser: &Browser) -> Vec<String> {
    let mut out = Vec::new();
    for row in browser.client.find_all(fantoccini::Locator::Css("table#users tbody tr td:first-child a")).await.unwrap() {
        out.push(row.text().await.unwrap());
    }
    out
}

/// The console in the browser: the first admin (made as `make create-admin` makes it) signs in,
/// finds a user by prefix, bans them with a reason and an end picked in the date-time field,
/// confirms; that user's sign-in page says until when and why; the admin lifts the ban and the
/// user signs in. A moderator sees no role, create, delete or restore control and a role change
/// forged in the page is refused by the server; a plain user gets the 404 page at /admin; paging
/// through 60 more users 25 at a time shows each exactly once, and "Previous" comes back through
/// the same pages. axe runs on every console page; the stable ones are pictured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_admin_moderates_in_the_console_and_other_roles_see_only_what_they_may() {
    let site = Site::start(|_| {}).await;
    let now = site.app.now();
    if now < CONSOLE_TIME {
        site.clock.advance(time::Duration::seconds(CONSOLE_TIME - now));
    }
    site.account_as_cli("root", "admin").await;
    let grace = site.account_as_cli("grace_hopper", "user").await;
    site.account_as_cli("grace_kelly", "donator").await;
    site.account_as_cli("gracie_allen", "user").await;
    site.account_as_cli("mod_mia", "moderator").await;
    site.account_as_cli("plain_pat", "user").await;
    // 60 more, fast: the store's seeding (one batch write per 25 items).
    let hash = site.app.hasher.hash(PASSWORD).await.unwrap();
    let seeds: Vec<accounts_core::store::SeedUser> = (1..=60)
        .map(|i| accounts_core::store::SeedUser {
            username: format!("member_{i:02}"),
            email: format!("member_{i:02}@example.com"),
            password_hash: hash.clone(),
            role: accounts_core::domain::Role::User,
            rating: i,
        })
        .collect();
    site.app.store.seed_users(&seeds, site.app.clock.now()).await.unwrap();
    let browser = Browser::start().await;

    // Signed out, the console is a missing page like any other.
    browser.open(&site.url("/no-such-page")).await;
    let missing = browser.text_of("main").await;
    browser.open(&site.url("/admin")).await;
    assert_eq!(browser.text_of("main").await, missing);

    // The first admin signs in and searches by prefix.
    console_sign_in(&browser, &site, "root", "/admin").await;
    assert_eq!(browser.path().await, "/admin");
    assert!(browser.has("header a[href=\"/admin\"]").await, "staff have the console in the header");
    browser.check_page_unpictured("admin-users-all").await;
    browser.fill("form#user-filters", &[("q", "grac")]).await;
    browser.submit("form#user-filters").await;
    assert_eq!(table_rows(&browser).await, ["grace_hopper", "grace_kelly", "gracie_allen"]);
    browser.check_page("admin-users").await;

    // Her page; the ban with a reason and an end picked in the date-time field (typed as a
    // person's browser would fill it: the field's value).
    let link = browser.find(&format!("table#users a[href=\"/admin/users/{grace}\"]")).await;
    browser.click_and_wait(link).await;
    assert_eq!(browser.path().await, format!("/admin/users/{grace}"));
    for form in ["form#edit", "form#role-form", "form#ban", "form#delete"] {
        assert!(browser.has(form).await, "an admin has {form}");
    }
    browser.check_page_unpictured("admin-user").await;
    browser.fill("form#ban", &[("ban_reason", "Spamming the forum")]).await;
    assert_eq!(browser.find("input#banned_until").await.attr("type").await.unwrap().as_deref(), Some("datetime-local"));
    browser
        .client
        .execute("document.querySelector('input#banned_until').value = arguments[0]", vec![serde_json::json!("2036-03-10T12:00")])
        .await
        .unwrap();
    browser.submit("form#ban").await;
    // Asked first; nothing happened yet.
    let asked = browser.text_of("main").await;
    assert!(asked.contains("grace_hopper will be banned until 2036-03-10 12:00 UTC.") && asked.contains("Spamming the forum"), "{asked}");
    assert!(site.app.store.get_user(&accounts_core::domain::UserId::parse(&grace).unwrap()).await.unwrap().unwrap().banned_until.is_none());
    browser.check_page("admin-ban-confirm").await;
    browser.submit("form#confirm").await;
    assert_eq!(browser.path().await, format!("/admin/users/{grace}?done=banned"));
    assert!(browser.text_of("span#user-status").await.contains("Banned until 2036-03-10 12:00 UTC"));
    // In the audit trail.
    browser.open(&site.url("/admin/audit")).await;
    assert!(browser.text_of("table#audit tbody tr:first-child").await.contains("user.ban"));
    browser.check_page_unpictured("admin-audit").await;
    browser.visit(&site, "/admin/users/new", "admin-new-user").await;
    browser.submit("form#sign-out").await;

    // Her sign-in page says until when and why.
    browser.fill("form#sign-in", &[("login", "grace_hopper"), ("password", PASSWORD)]).await;
    browser.submit("form#sign-in").await;
    let refused = browser.text_of("div.alert.error").await;
    assert!(refused.contains("suspended until 2036-03-10 12:00 UTC") && refused.contains("Reason: Spamming the forum"), "{refused}");
    browser.check_page("sign-in-banned").await;

    // The admin lifts the ban; she signs in.
    console_sign_in(&browser, &site, "root", &format!("/admin/users/{grace}")).await;
    browser.submit("form#unban").await;
    assert!(browser.text_of("main").await.contains("The ban was lifted."));
    browser.submit("form#sign-out").await;
    console_sign_in(&browser, &site, "grace_hopper", "/account").await;
    assert_eq!(browser.path().await, "/account");
    assert!(!browser.has("header a[href=\"/admin\"]").await, "no console for her");
    browser.submit("form#sign-out").await;

    // A moderator: the table and a user's page with the ban only; a forged role change refused.
    console_sign_in(&browser, &site, "mod_mia", &format!("/admin/users/{grace}")).await;
    assert!(browser.has("form#ban").await);
    for form in ["form#edit", "form#role-form", "form#delete", "form#restore", "a[href=\"/admin/users/new\"]", "a[href=\"/admin/audit\"]"] {
        assert!(!browser.has(form).await, "a moderator has no {form}");
    }
    browser.check_page_unpictured("admin-user-moderator").await;
    let forge = format!(
        "const f = document.createElement('form'); f.id = 'forged'; f.method = 'post'; f.action = '/admin/users/{grace}/role';
         for (const [n, v] of [['csrf', document.querySelector('input[name=csrf]').value], ['role', 'admin']]) {{
           const i = document.createElement('input'); i.type = 'hidden'; i.name = n; i.value = v; f.appendChild(i); }}
         const b = document.createElement('button'); b.type = 'submit'; b.textContent = 'go'; f.appendChild(b);
         document.querySelector('main').appendChild(f);"
    );
    browser.client.execute(&forge, vec![]).await.unwrap();
    browser.submit("form#forged").await;
    assert_eq!(browser.text_of("h1").await, "Not allowed");
    browser.check_page_unpictured("admin-forbidden").await;
    let role = site.app.store.get_user(&accounts_core::domain::UserId::parse(&grace).unwrap()).await.unwrap().unwrap().role;
    assert_eq!(role, accounts_core::domain::Role::User, "the server refused the forged role change");
    browser.open(&site.url("/admin")).await;
    browser.submit("form#sign-out").await;

    // A plain user: the 404 page.
    console_sign_in(&browser, &site, "plain_pat", "/account").await;
    browser.open(&site.url("/admin")).await;
    assert_eq!(browser.text_of("main").await, missing);
    // (the 404 page is the anonymous one: no sign-out button on it)
    browser.open(&site.url("/account")).await;
    browser.submit("form#sign-out").await;

    // Paging: every user once, 25 a page (60 members and the 6 accounts above), then back.
    console_sign_in(&browser, &site, "root", "/admin?limit=25").await;
    let mut pages: Vec<Vec<String>> = Vec::new();
    loop {
        pages.push(table_rows(&browser).await);
        if !browser.has("a#page-next").await {
            break;
        }
        let next = browser.find("a#page-next").await;
        browser.click_and_wait(next).await;
        assert!(pages.len() < 10, "no last page");
    }
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [25, 25, 16]);
    let seen: Vec<&String> = pages.iter().flatten().collect();
    let unique: std::collections::HashSet<&String> = seen.iter().copied().collect();
    assert_eq!(unique.len(), 66, "each user exactly once");
    assert!((1..=60).all(|i| unique.contains(&format!("member_{i:02}"))));
    for earlier in pages.iter().rev().skip(1) {
        let previous = browser.find("a#page-previous").await;
        browser.click_and_wait(previous).await;
        assert_eq!(&table_rows(&browser).await, earlier, "previous shows the page before");
    }
    assert!(!browser.has("a#page-previous").await, "back on the first page");
}
