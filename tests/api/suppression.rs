//! The mail suppression list (issue 20): SES's bounce and complaint notifications, as SNS
//! delivers them to the mail-events function, put an address on the list; from then on no mail
//! goes to it (and nothing tells the caller: every endpoint answers as it always does), the
//! account shows it, and an admin can clear it.

use crate::credentials::admin;
use crate::helpers::{PASSWORD, TestApp};
use crate::pages::Browser;
use serde_json::{Value, json};

/// The SNS event Lambda hands the mail-events function: one record whose `Message` is an SES
/// event-publishing notification (the shape of SES's "Examples of event data").
fn sns_event(notification: Value) -> Value {
    json!({"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:mail-events:1",
        "Sns": {"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:mail-events",
                "Subject": null, "Message": notification.to_string(), "Timestamp": "2026-12-07T00:00:00.000Z"}
    }]})
}

fn hard_bounce(address: &str, kind: &str) -> Value {
    json!({"eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "bouncedRecipients": [{"emailAddress": address, "status": "5.1.1", "action": "failed"}],
                   "timestamp": "2026-12-07T00:00:00.000Z", "feedbackId": "f-1"},
        "mail": {"messageId": "x-1", "destination": [address], "tags": {"kind": [kind]}}})
}

fn complaint(address: &str) -> Value {
    json!({"eventType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": address}], "complaintFeedbackType": "abuse", "timestamp": "2026-12-07T00:00:00.000Z"},
        "mail": {"messageId": "x-2", "destination": [address], "tags": {"kind": ["activation"]}}})
}

async fn notify(t: &TestApp, notification: Value) -> accounts_core::services::suppression::Report {
    accounts_core::services::suppression::record_notifications(&t.app, &sns_event(notification)).await.unwrap()
}

#[tokio::test]
async fn a_suppressed_address_gets_no_mail_and_every_caller_gets_its_usual_answer() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let report = notify(&t, hard_bounce(&u.email.to_uppercase(), "activation")).await;
    assert_eq!(report.suppressed, 1);

    // The account shows it, read with the user item (no extra call).
    let me = t.get("/api/users/me", Some(&u.access)).await;
    me.assert(200, None);
    assert_eq!(me.data()["mailSuppression"]["reason"], "bounce", "{}", me.body);
    assert_eq!(me.data()["mailSuppression"]["detail"], "General");

    let mails_before = t.mails_to(&u.email).await.len();
    // Forgot password and resend answer 202 as for anyone; a security notice's trigger answers
    // as always; no mail leaves.
    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);
    t.post("/api/auth/resend-activation", json!({"email": u.email}), None).await.assert(202, None);
    let key = t.post("/api/api-keys", json!({"name": "ci"}), Some(&u.access)).await;
    key.assert(201, None);
    assert_eq!(t.mails_to(&u.email).await.len(), mails_before, "mail went to a suppressed address");
    assert_eq!(t.metric_count("MailSuppressed", Some("password-reset")), 1);
    assert_eq!(t.metric_count("MailSuppressed", Some("security-api-key-created")), 1);
    assert_eq!(t.metric_count("MailSent", Some("password-reset")), 0);

    // The same answer for an address nobody has: the list tells nothing.
    let nobody = t.post("/api/auth/forgot-password", json!({"email": "nobody-here@example.com"}), None).await;
    nobody.assert(202, None);
    let known = t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await;
    assert_eq!(known.body, nobody.body);

    // An admin sees it and clears it; mail goes again.
    let a = admin(&t).await;
    let view = t.get(&format!("/api/admin/users/{}", u.id), Some(&a.access)).await;
    view.assert(200, None);
    assert_eq!(view.data()["mailSuppression"]["reason"], "bounce");
    let cleared = t.call("DELETE", &format!("/api/admin/users/{}/mail-suppression", u.id), None, Some(&a.access)).await;
    cleared.assert(200, None);
    assert!(cleared.data()["mailSuppression"].is_null(), "{}", cleared.body);
    assert!(t.app.store.suppression(&u.email).await.unwrap().is_none(), "the list item is gone");
    // By actor: the month partition follows the time in the entry's id (see migration.rs).
    let audit = t.get(&format!("/api/admin/audit?actor={}", a.id), Some(&a.access)).await;
    assert!(audit.data().as_array().unwrap().iter().any(|e| e["action"] == "user.mail_suppression.clear"), "{}", audit.body);
    assert!(t.get("/api/users/me", Some(&u.access)).await.data()["mailSuppression"].is_null());
    t.clock.advance(time::Duration::minutes(2));
    t.post("/api/auth/forgot-password", json!({"email": u.email}), None).await.assert(202, None);
    assert_eq!(t.mails_to(&u.email).await.len(), mails_before + 1, "after clearing, the reset link is mailed");
    // Clearing again changes nothing.
    t.call("DELETE", &format!("/api/admin/users/{}/mail-suppression", u.id), None, Some(&a.access)).await.assert(200, None);
}

#[tokio::test]
async fn signing_up_with_a_suppressed_address_creates_the_account_without_mailing_it() {
    let t = TestApp::spawn().await;
    let (username, email) = t.new_identity();
    // A complaint about an address no account has yet (an earlier, purged sign-up, say).
    notify(&t, complaint(&email)).await;
    let r = t.register(&username, &email, PASSWORD).await;
    r.assert(201, None);
    assert_eq!(r.data()["mailSuppression"]["reason"], "complaint", "{}", r.body);
    assert!(t.mails_to(&email).await.is_empty(), "the activation mail went to a suppressed address");
    assert_eq!(t.metric_count("MailSuppressed", Some("activation")), 1);
    assert_eq!(t.metric_count("SignUps", None), 1);
    // The account exists and shows why no mail came.
    let l = t.login(&username, PASSWORD).await;
    l.assert(200, None);
    let me = t.get("/api/users/me", Some(l.data()["accessToken"].as_str().unwrap())).await;
    assert_eq!(me.data()["mailSuppression"]["reason"], "complaint");
    // Another sign-up, with an address that is not suppressed, is mailed as always.
    let (other, other_email) = t.new_identity();
    t.register(&other, &other_email, PASSWORD).await.assert(201, None);
    assert_eq!(t.mails_to(&other_email).await.len(), 1);
}

#[tokio::test]
async fn notifications_are_idempotent_and_only_hard_bounces_and_complaints_suppress() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let soft = {
        let mut n = hard_bounce(&u.email, "password-reset");
        n["bounce"]["bounceType"] = json!("Transient");
        n
    };
    let delivery = json!({"eventType": "Delivery", "delivery": {"recipients": [u.email]}, "mail": {"messageId": "d"}});
    let r = notify(&t, soft).await;
    assert_eq!((r.suppressed, r.ignored), (0, 1));
    notify(&t, delivery).await;
    assert!(t.app.store.suppression(&u.email).await.unwrap().is_none());
    assert!(t.get("/api/users/me", Some(&u.access)).await.data()["mailSuppression"].is_null());

    notify(&t, hard_bounce(&u.email, "password-reset")).await;
    let first = t.app.store.suppression(&u.email).await.unwrap().unwrap();
    t.clock.advance(time::Duration::hours(1));
    // SNS may deliver twice; a later complaint keeps the first reason and time.
    notify(&t, hard_bounce(&u.email, "password-reset")).await;
    notify(&t, complaint(&u.email)).await;
    assert_eq!(t.app.store.suppression(&u.email).await.unwrap().unwrap(), first);
    // Garbage from the topic is ignored, not an error (nothing to retry).
    let garbage = json!({"Records": [{"Sns": {"Message": "not json"}}, {"nothing": 1}]});
    let r = accounts_core::services::suppression::record_notifications(&t.app, &garbage).await.unwrap();
    assert_eq!((r.suppressed, r.ignored), (0, 2));
}

#[tokio::test]
async fn a_suppression_follows_the_address_not_the_account() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    notify(&t, hard_bounce(&u.email, "activation")).await;
    // The user moves to a working address: the new one is mailed, the flag of the old is not shown.
    let new_email = format!("moved-{}", u.email);
    t.post("/api/users/me/email", json!({"newEmail": new_email, "password": PASSWORD}), Some(&u.access)).await.assert(202, None);
    let token = t.mailed_token(&new_email).await;
    t.post("/api/auth/confirm-email", json!({"token": token}), None).await.assert(200, None);
    let me = t.get("/api/users/me", Some(&u.access)).await;
    assert_eq!(me.data()["email"], new_email.as_str());
    assert!(me.data()["mailSuppression"].is_null(), "{}", me.body);
}

#[tokio::test]
async fn only_admins_clear_a_suppression_and_an_unknown_user_is_404() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    notify(&t, hard_bounce(&u.email, "activation")).await;
    let path = format!("/api/admin/users/{}/mail-suppression", u.id);
    t.call("DELETE", &path, None, None).await.assert(401, Some("UNAUTHENTICATED"));
    t.call("DELETE", &path, None, Some(&u.access)).await.assert(403, Some("FORBIDDEN"));
    let a = admin(&t).await;
    t.call("DELETE", "/api/admin/users/usr_01JZZZZZZZZZZZZZZZZZZZZZZZ/mail-suppression", None, Some(&a.access))
        .await
        .assert(404, Some("USER_NOT_FOUND"));
    // Still suppressed after the refusals.
    assert!(t.app.store.suppression(&u.email).await.unwrap().is_some());
}

#[tokio::test]
async fn the_account_page_says_why_no_mail_comes_in_english_and_spanish_until_an_admin_clears_it() {
    let t = TestApp::spawn().await;
    let u = t.user().await;
    let mut b = Browser::signed_in(&t, &u).await;
    assert!(!b.get("/account").await.ok().has_id("mail-suppressed"), "no notice while mail goes out");

    notify(&t, hard_bounce(&u.email, "password-reset")).await;
    let day = accounts_core::clock::rfc3339(t.app.now())[..10].to_owned();
    let page = b.get("/account").await.ok();
    let notice = page.inner("div", "mail-suppressed").unwrap_or_else(|| panic!("no notice: {}", page.body));
    assert!(notice.contains("a message to it bounced"), "{notice}");
    assert!(notice.contains(&day), "since when: {notice}");
    assert!(notice.contains("href=\"/account/email\""), "the way out: {notice}");
    assert!(!notice.contains(&u.email), "{notice}");

    // A complaint reads differently; in Spanish once the account's language is Spanish.
    t.call("PATCH", "/api/users/me", Some(json!({"preferences": {"language": "es"}})), Some(&u.access)).await.assert(200, None);
    let other = t.user().await;
    notify(&t, complaint(&other.email)).await;
    let mut ob = Browser::signed_in(&t, &other).await;
    let en = ob.get("/account").await.ok().inner("div", "mail-suppressed").unwrap();
    assert!(en.contains("reported as spam"), "{en}");
    let es = b.get("/account").await.ok();
    assert!(es.body.contains("<html lang=\"es\""));
    let es = es.inner("div", "mail-suppressed").unwrap();
    assert!(es.contains("no enviamos correos a esta dirección") && es.contains("fue devuelto"), "{es}");

    // Cleared by an admin: the notice goes.
    let a = admin(&t).await;
    t.call("DELETE", &format!("/api/admin/users/{}/mail-suppression", u.id), None, Some(&a.access)).await.assert(200, None);
    assert!(!b.get("/account").await.ok().has_id("mail-suppressed"));
}

#[tokio::test]
async fn an_unactivated_account_with_a_suppressed_address_is_told_why_and_offered_no_useless_resend() {
    let t = TestApp::spawn().await;
    let u = t.unactivated_user().await;
    notify(&t, hard_bounce(&u.email, "activation")).await;
    let mut b = Browser::signed_in(&t, &u).await;
    let page = b.get("/account").await.ok();
    let notice = page.inner("div", "mail-suppressed").unwrap_or_else(|| panic!("no notice: {}", page.body));
    assert!(notice.contains("activation email cannot reach you"), "{notice}");
    assert!(!notice.contains("/account/email"), "an unactivated account cannot change its address: {notice}");
    assert!(!page.has_id("resend-activation"), "a resend would send nothing");
}
