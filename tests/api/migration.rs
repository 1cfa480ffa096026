//! Migration (SPEC §3.12, docs/migration.md): users imported with password hashes that
//! independent libraries made at test time (tests/migration/make_hashes.py: Python's bcrypt,
//! argon2-cffi, passlib, hashlib.scrypt, Django's hashers, Firebase's algorithm with
//! cryptography's AES), plus Firebase's own published vector, sign in with their passwords; the
//! hash becomes argon2id; a second run changes nothing; the export reads back into a fresh table
//! and its users sign in again. Then every error path: malformed lines, unknown schemes, absurd
//! parameters, duplicates in a file and against existing accounts, over-limit calls, callers
//! other than admins.

use crate::credentials::admin;
use crate::helpers::{PASSWORD, Resp, TestApp};
use accounts_core::services::admin::Actor;
use accounts_core::services::migration;
use axum::body::Body;
use http::Request;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Firebase's published test vector (firebase/scrypt's README): its project parameters and one
/// user's salt and hash, with that user's password.
const FIREBASE_VECTOR: &str = "$firescrypt$ln=14,r=8,p=1$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$Bw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";
const FIREBASE_PASSWORD: &str = "user1password";

/// One generated account: its line's scheme name, password and hash.
#[derive(Clone, Debug)]
struct Made {
    scheme: String,
    password: String,
    hash: String,
}

/// The hashes of tests/migration/make_hashes.py, made once per test binary (Django's PBKDF2
/// takes a second).
async fn made() -> Vec<Made> {
    static MADE: tokio::sync::OnceCell<Vec<Made>> = tokio::sync::OnceCell::const_new();
    MADE.get_or_init(|| async {
        tokio::task::spawn_blocking(|| {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
            let venv = std::env::var("ACCOUNTS_VENV").map(std::path::PathBuf::from).unwrap_or_else(|_| root.join(".tools/venv"));
            let out = std::process::Command::new(venv.join("bin/python"))
                .arg(root.join("tests/migration/make_hashes.py"))
                .output()
                .expect("the venv's python (infra/tools.sh installs it)");
            assert!(out.status.success(), "make_hashes.py failed: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(|l| {
                    let v: Value = serde_json::from_str(l).unwrap();
                    Made {
                        scheme: v["scheme"].as_str().unwrap().into(),
                        password: v["password"].as_str().unwrap().into(),
                        hash: v["hash"].as_str().unwrap().into(),
                    }
                })
                .collect()
        })
        .await
        .unwrap()
    })
    .await
    .clone()
}

/// What the import reports as the scheme of a generated line.
fn reported_scheme(made: &str) -> &'static str {
    match made {
        "bcrypt-2b" | "bcrypt-2a" | "bcrypt-2y" => "bcrypt",
        "argon2id" => "argon2id",
        "argon2i" => "argon2i",
        "pbkdf2-sha256" => "pbkdf2-sha256",
        "pbkdf2-sha512" => "pbkdf2-sha512",
        "scrypt" => "scrypt",
        "django-pbkdf2-sha256" => "django-pbkdf2-sha256",
        "django-argon2" => "django-argon2",
        "django-bcrypt-sha256" => "django-bcrypt-sha256",
        "firebase-scrypt" => "firebase-scrypt",
        other => panic!("unknown scheme {other}"),
    }
}

/// Sends `body` as `application/x-ndjson` to the import route.
pub(crate) async fn import(t: &TestApp, token: Option<&str>, body: &str, query: &str) -> Resp {
    let mut builder =
        Request::builder().method("POST").uri(format!("/api/admin/users/import{query}")).header("content-type", "application/x-ndjson");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    t.send(builder.body(Body::from(body.to_owned())).unwrap()).await
}

fn lines(values: &[Value]) -> String {
    values.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")
}

/// `(email, password, scheme)` of one account per generated hash and Firebase's vector.
fn accounts(t: &TestApp, made: &[Made]) -> (Vec<Value>, Vec<(String, String, &'static str)>) {
    let mut body = Vec::new();
    let mut who = Vec::new();
    let mut all: Vec<(String, String, String)> = made.iter().map(|m| (m.scheme.clone(), m.password.clone(), m.hash.clone())).collect();
    all.push(("firebase-scrypt".into(), FIREBASE_PASSWORD.into(), FIREBASE_VECTOR.into()));
    for (i, (scheme, password, hash)) in all.into_iter().enumerate() {
        let (username, email) = t.new_identity();
        body.push(json!({
            "externalId": format!("legacy-{i}-{username}"),
            "email": email,
            "username": username,
            "emailVerified": true,
            "createdAt": "2021-03-04T05:06:07Z",
            "name": "Imported Person",
            "passwordHash": hash,
        }));
        who.push((email, password, reported_scheme(&scheme)));
    }
    (body, who)
}

async fn stored_hash(t: &TestApp, email: &str) -> String {
    let id = t.app.store.user_id_by_email(email).await.unwrap().unwrap();
    t.app.store.get_user(&id).await.unwrap().unwrap().password_hash
}

fn statuses(r: &Resp) -> Vec<(u64, String)> {
    r.data()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["line"].as_u64().unwrap(), x["status"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn hashes_of_every_scheme_sign_in_are_rehashed_re_import_changes_nothing_and_the_export_moves_them() {
    let made = made().await;
    assert_eq!(made.len(), 12, "one hash per library and scheme");
    let t = TestApp::spawn().await;
    let root = admin(&t).await;
    let (mut body, who) = accounts(&t, &made);
    // A Cognito user: no hash, signs in after a reset.
    let (cognito_name, cognito_email) = t.new_identity();
    body.push(json!({"externalId": "cognito-sub-1", "email": cognito_email, "username": cognito_name, "emailVerified": true}));
    let text = lines(&body);

    let r = import(&t, Some(&root.access), &text, "").await;
    r.assert(200, None);
    let results = r.data()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), who.len() + 1);
    for (i, (_, _, scheme)) in who.iter().enumerate() {
        assert_eq!(results[i]["line"], i + 1);
        assert_eq!(results[i]["status"], "created", "line {}: {}", i + 1, results[i]);
        assert_eq!(results[i]["scheme"], *scheme);
    }
    assert_eq!(results[who.len()]["scheme"], "none");
    assert_eq!(r.data()["summary"]["created"], who.len() + 1);
    assert!(!r.body.to_string().contains("$2b$"), "an answer never holds a hash");

    // Half sign in before the export (their hash becomes argon2id), half after.
    let (early, late) = who.split_at(who.len() / 2);
    for (email, password, scheme) in early {
        assert!(!stored_hash(&t, email).await.starts_with("$argon2id$v=19$m=64,"), "{scheme}: not yet today's argon2id");
        t.login(email, "Wrong-Password-1").await.assert(401, Some("INVALID_CREDENTIALS"));
        let l = t.login(email, password).await;
        l.assert(200, None);
        assert_eq!(l.data()["user"]["name"], "Imported Person");
        assert!(stored_hash(&t, email).await.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{scheme}: rehashed to argon2id on sign-in");
        t.login(email, password).await.assert(200, None);
    }
    t.login(&cognito_email, "").await.assert(401, None);
    t.login(&cognito_email, accounts_core::passwords::NO_PASSWORD).await.assert(401, Some("INVALID_CREDENTIALS"));

    // The same file again: nothing written.
    let items_before = t.all_items().await.len();
    t.calls.take();
    let again = import(&t, Some(&root.access), &text, "").await;
    again.assert(200, None);
    assert!(statuses(&again).iter().all(|(_, s)| s == "unchanged"), "{}", again.body);
    assert_eq!(again.data()["summary"]["unchanged"], who.len() + 1);
    let writes: Vec<_> = t.calls.take().into_iter().filter(|c| c.operation == "TransactWriteItems" || c.operation == "PutItem").collect();
    assert_eq!(writes.len(), 1, "only the run's audit entry is written: {writes:?}");
    assert_eq!(t.all_items().await.len(), items_before + 1, "one audit entry, nothing else");

    // Export, then import the export into a fresh table: everyone signs in there.
    let mut exported = Vec::new();
    let summary = migration::export(
        &t.app.store,
        |l| {
            exported.push(l.to_owned());
            Ok(())
        },
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.users, who.len() + 2, "the imported users and the admin");
    let by_email: HashMap<String, Value> =
        exported.iter().map(|l| serde_json::from_str::<Value>(l).unwrap()).map(|v| (v["email"].as_str().unwrap().to_owned(), v)).collect();
    for (email, _, scheme) in early {
        assert!(by_email[email]["passwordHash"].as_str().unwrap().starts_with("$argon2id$"), "{scheme}: exported as argon2id");
    }
    for ((email, _, _), original) in late.iter().zip(body[early.len()..].iter()) {
        assert_eq!(by_email[email]["passwordHash"], original["passwordHash"], "not signed in since: the original hash");
        assert_eq!(by_email[email]["externalId"], original["externalId"]);
        assert_eq!(by_email[email]["createdAt"], "2021-03-04T05:06:07Z");
    }
    assert!(by_email[&cognito_email].get("passwordHash").is_none());
    assert_eq!(by_email[&root.email]["externalId"], root.id.as_str(), "a native account's own id is its external id");

    let fresh = TestApp::spawn().await;
    let other_admin = admin(&fresh).await;
    let moved = import(&fresh, Some(&other_admin.access), &exported.join("\n"), "").await;
    moved.assert(200, None);
    let moved_statuses = statuses(&moved);
    let failed: Vec<_> = moved_statuses.iter().filter(|(_, s)| s != "created").collect();
    assert!(failed.is_empty(), "{}", moved.body);
    for (email, password, scheme) in &who {
        let l = fresh.login(email, password).await;
        assert_eq!(l.status, 200, "{scheme} after the move: {}", l.body);
    }
    fresh.login(&root.email, PASSWORD).await.assert(200, None);
    // Reading the export back into the table it came from changes nothing either.
    let back = import(&t, Some(&root.access), &exported.join("\n"), "").await;
    assert!(statuses(&back).iter().all(|(_, s)| s == "unchanged"), "{}", back.body);
}

#[tokio::test]
async fn a_malformed_or_conflicting_line_is_reported_by_number_and_the_others_are_imported() {
    let t = TestApp::spawn().await;
    let root = admin(&t).await;
    let existing = t.user().await;
    let bcrypt4 = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
    let good = |i: usize| {
        let (u, e) = t.new_identity();
        json!({"externalId": format!("ok-{i}"), "username": u, "email": e, "passwordHash": bcrypt4})
    };
    let (dup_name, dup_email) = t.new_identity();
    let body = [
        good(1).to_string(),                                                            // 1
        "{not json".into(),                                                             // 2
        json!({"email": "a1@example.com", "passwordHash": "$md5$abc$def"}).to_string(), // 3
        json!({"email": "a2@example.com", "passwordHash": "$2b$31$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}).to_string(), // 4
        json!({"email": "a3@example.com", "passwordHash": "$scrypt$ln=30,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}).to_string(), // 5
        json!({"email": "a4@example.com", "mfaEnabled": true}).to_string(),             // 6
        String::new(),                                                                  // 7 (blank)
        json!({"externalId": "x-1", "username": dup_name, "email": dup_email}).to_string(), // 8
        json!({"externalId": "x-2", "email": dup_email}).to_string(),                   // 9: same email
        json!({"externalId": "x-1", "email": "other@example.com"}).to_string(),         // 10: same external id
        json!({"email": existing.email, "passwordHash": bcrypt4}).to_string(),          // 11: an account has it
        json!({"email": "a5@example.com", "username": existing.username}).to_string(),  // 12: username taken
        json!({"email": "a6@example.com", "role": "root", "createdAt": "yesterday"}).to_string(), // 13
        json!({"email": "a7@example.com", "passwordHash": "pbkdf2_sha256$99999999$salt$aGFzaGhhc2hoYXNoaGFzaA=="}).to_string(), // 14
        "[1,2]".into(),                                                                 // 15
        good(2).to_string(),                                                            // 16
    ]
    .join("\n");
    let r = import(&t, Some(&root.access), &body, "").await;
    r.assert(200, None);
    let by_line: HashMap<u64, Value> =
        r.data()["results"].as_array().unwrap().iter().map(|x| (x["line"].as_u64().unwrap(), x.clone())).collect();
    assert!(!by_line.contains_key(&7), "a blank line has no result but keeps the numbering");
    let expect = |line: u64, status: &str, code: Option<&str>| {
        let x = &by_line[&line];
        assert_eq!(x["status"], status, "line {line}: {x}");
        if let Some(code) = code {
            assert_eq!(x["code"], code, "line {line}: {x}");
        }
    };
    expect(1, "created", None);
    expect(2, "failed", Some("INVALID_JSON"));
    expect(3, "failed", Some("VALIDATION_FAILED"));
    assert!(by_line[&3]["details"][0]["message"].as_str().unwrap().contains("unknown password hash scheme"));
    expect(4, "failed", Some("VALIDATION_FAILED"));
    assert!(by_line[&4]["details"][0]["message"].as_str().unwrap().contains("bcrypt cost must be 4-14"));
    expect(5, "failed", Some("VALIDATION_FAILED"));
    assert!(by_line[&5]["details"][0]["message"].as_str().unwrap().contains("scrypt parameters"));
    expect(6, "failed", Some("VALIDATION_FAILED"));
    assert_eq!(by_line[&6]["details"][0]["field"], "mfaEnabled");
    expect(8, "created", None);
    expect(9, "failed", Some("CONFLICT"));
    assert!(by_line[&9]["error"].as_str().unwrap().contains("same email as line 8"));
    expect(10, "failed", Some("CONFLICT"));
    assert!(by_line[&10]["error"].as_str().unwrap().contains("same externalId as line 8"));
    expect(11, "failed", Some("EMAIL_TAKEN"));
    expect(12, "failed", Some("USERNAME_TAKEN"));
    expect(13, "failed", Some("VALIDATION_FAILED"));
    let fields: Vec<&str> = by_line[&13]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["role", "createdAt"]);
    expect(14, "failed", Some("VALIDATION_FAILED"));
    expect(15, "failed", Some("INVALID_JSON"));
    expect(16, "created", None);
    assert_eq!(r.data()["summary"]["created"], 3);
    assert_eq!(r.data()["summary"]["failed"], 12);
    // The existing account is untouched; nothing of a refused line was stored.
    t.login(&existing.email, PASSWORD).await.assert(200, None);
    for email in ["a1@example.com", "a2@example.com", "a3@example.com", "a4@example.com", "a6@example.com", "a7@example.com"] {
        assert!(t.app.store.user_id_by_email(email).await.unwrap().is_none(), "{email}");
    }
}

#[tokio::test]
async fn only_admins_import_and_a_call_is_bounded() {
    let t = TestApp::spawn().await;
    let root = admin(&t).await;
    let user = t.user().await;
    let line = json!({"email": "x@example.com"}).to_string();
    import(&t, None, &line, "").await.assert(401, Some("UNAUTHENTICATED"));
    import(&t, Some(&user.access), &line, "").await.assert(403, Some("FORBIDDEN"));
    t.call("PATCH", &format!("/api/admin/users/{}", user.id), Some(json!({"role": "moderator"})), Some(&root.access))
        .await
        .assert(200, None);
    let moderator = t.login(&user.username, PASSWORD).await;
    import(&t, Some(moderator.data()["accessToken"].as_str().unwrap()), &line, "").await.assert(403, Some("FORBIDDEN"));

    let many: Vec<String> = (0..1001).map(|i| json!({"email": format!("many-{i}@example.com")}).to_string()).collect();
    import(&t, Some(&root.access), &many.join("\n"), "").await.assert(413, Some("PAYLOAD_TOO_LARGE"));
    let json_body = Request::builder()
        .method("POST")
        .uri("/api/admin/users/import")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", root.access))
        .body(Body::from(line.clone()))
        .unwrap();
    t.send(json_body).await.assert(415, Some("UNSUPPORTED_MEDIA_TYPE"));
    import(&t, Some(&root.access), "\n \n", "").await.assert(400, Some("VALIDATION_FAILED"));
    import(&t, Some(&root.access), &line, "?invite=maybe").await.assert(400, Some("VALIDATION_FAILED"));
    import(&t, Some(&root.access), &line, "?dryRun=true").await.assert(400, Some("VALIDATION_FAILED"));
    assert!(t.app.store.user_id_by_email("many-0@example.com").await.unwrap().is_none(), "an over-limit call imports nothing");
    assert!(t.app.store.user_id_by_email("x@example.com").await.unwrap().is_none());
}

#[tokio::test]
async fn an_import_emits_user_created_with_source_import_and_one_audit_entry_per_run() {
    let t = TestApp::spawn().await;
    let root = admin(&t).await;
    let (username, email) = t.new_identity();
    let body = lines(&[json!({"externalId": "ev-1", "email": email, "username": username, "emailVerified": true})]);
    let r = import(&t, Some(&root.access), &body, "").await;
    let id = r.data()["results"][0]["id"].as_str().unwrap().to_owned();
    let events: Vec<Value> = t
        .all_items()
        .await
        .into_iter()
        .filter(|i| i["pk"].as_s().unwrap() == &format!("USER#{id}") && i["sk"].as_s().unwrap().starts_with("EVT#"))
        .map(|i| serde_json::from_str(i["detail"].as_s().unwrap()).unwrap())
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e["type"], "user.created");
    assert_eq!(e["actor"], root.id.as_str());
    assert_eq!((&e["data"]["source"], &e["data"]["via"], &e["data"]["externalId"]), (&json!("import"), &json!("import"), &json!("ev-1")));
    assert!(!e.to_string().contains("passwordHash"));
    import(&t, Some(&root.access), &body, "").await.assert(200, None);

    // By actor: the month partition follows the time in the entry's id, which other tests'
    // advanced clocks can carry on in this process (one monotonic id generator).
    let audit = t.get(&format!("/api/admin/audit?actor={}", root.id), Some(&root.access)).await;
    let runs: Vec<&Value> = audit.data().as_array().unwrap().iter().filter(|a| a["action"] == "user.import").collect();
    assert_eq!(runs.len(), 2, "one entry per run: {}", audit.body);
    assert!(runs.iter().any(|a| a["detail"].as_str().unwrap().contains("created=1")));
    assert!(runs.iter().any(|a| a["detail"].as_str().unwrap().contains("unchanged=1")));
    assert!(!audit.body.to_string().contains(&email), "no personal data in the audit trail");
}

#[tokio::test]
async fn accounts_imported_without_a_hash_are_invited_to_choose_a_password() {
    let t = TestApp::spawn().await;
    let root = admin(&t).await;
    let (username, email) = t.new_identity();
    let body = lines(&[json!({"externalId": "us-east-1_abc:sub-1", "email": email, "username": username, "emailVerified": true})]);
    let r = import(&t, Some(&root.access), &body, "?invite=true").await;
    r.assert(200, None);
    assert_eq!(r.data()["summary"]["invited"], 1);
    t.login(&email, "Anything-Goes-1").await.assert(401, Some("INVALID_CREDENTIALS"));
    let token = t.mailed_token(&email).await;
    t.post("/api/auth/reset-password", json!({"token": token, "newPassword": "Chosen-After-Import-7"}), None).await.assert(200, None);
    t.login(&email, "Chosen-After-Import-7").await.assert(200, None);
}

/// The import service is the same code for the command line: a run over a file's lines (what
/// `accounts-admin import` hands it in chunks) reports duplicates across chunks by line number.
#[tokio::test]
async fn a_run_over_several_chunks_reports_duplicates_against_the_first_line() {
    let t = TestApp::spawn().await;
    let (name, email) = t.new_identity();
    let first = json!({"username": name, "email": email}).to_string();
    let actor = Actor::cli();
    let mut importer = migration::Importer::new(&t.app.store, t.app.clock.as_ref(), &actor);
    let a = importer.import(&[(3, first.as_str())]).await;
    assert!(matches!(a[0].outcome, migration::Outcome::Created { .. }), "{a:?}");
    let b = importer.import(&[(900, first.as_str())]).await;
    match &b[0].outcome {
        migration::Outcome::Failed(e) => assert!(e.message.contains("line 3"), "{e:?}"),
        other => panic!("{other:?}"),
    }
    let summary = importer.finish().await.unwrap();
    assert_eq!((summary.lines, summary.created, summary.failed), (2, 1, 1));
}
