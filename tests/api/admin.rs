//! `/api/admin/*`: listing, reading, creating, changing, banning, deleting and restoring users;
//! who may do what; the admin audit trail; the first-admin bootstrap.

use crate::helpers::{PASSWORD, TestApp, TestUser};
use accounts_core::api::admin::{Access, routes};
use accounts_core::domain::Role;
use accounts_core::domain::{SortField, UserQuery};
use accounts_core::services::admin::{self as svc, Actor, NewAccount};
use accounts_core::store::SeedUser;
use http::Method;
use serde_json::{Value, json};
use std::collections::HashSet;

// ---- helpers -------------------------------------------------------------------------------------

/// Creates an activated admin the way `accounts-admin create-admin` does.
async fn bootstrap_admin(t: &TestApp, username: &str) -> TestUser {
    let email = format!("{}@admins.example.com", username.to_lowercase());
    let input = NewAccount {
        username: username.into(),
        email: email.clone(),
        password: PASSWORD.into(),
        role: "admin".into(),
        email_verified: true,
    };
    let created = svc::create_account(&t.app.store, &t.app.hasher, t.app.clock.as_ref(), None, Default::default(), &Actor::cli(), input)
        .await
        .unwrap();
    signed_in(t, created.user.id.to_string(), username, &email).await
}

/// Moves the test clock a little, so ids minted by successive steps (ULIDs: millisecond
/// time + randomness) sort in the order the steps happened.
fn tick(t: &TestApp) {
    t.clock.advance(time::Duration::milliseconds(2));
}

async fn signed_in(t: &TestApp, id: String, username: &str, email: &str) -> TestUser {
    tick(t);
    let l = t.login(username, PASSWORD).await;
    l.assert(200, None);
    TestUser {
        id,
        username: username.into(),
        email: email.into(),
        access: l.data()["accessToken"].as_str().unwrap().into(),
        refresh: l.data()["refreshToken"].as_str().unwrap().into(),
    }
}

/// An activated, signed-in account with `role`, created by `admin` through the API.
async fn member(t: &TestApp, admin: &TestUser, role: &str) -> TestUser {
    tick(t);
    let (username, email) = t.new_identity();
    let r = t
        .post(
            "/api/admin/users",
            json!({"username": username, "email": email, "password": PASSWORD, "role": role, "emailVerified": true}),
            Some(&admin.access),
        )
        .await;
    r.assert(201, None);
    signed_in(t, r.data()["id"].as_str().unwrap().into(), &username, &email).await
}

fn user_path(id: &str, rest: &str) -> String {
    format!("/api/admin/users/{id}{rest}")
}

/// Every page of a list, following `nextCursor`; the ids in order.
async fn walk(t: &TestApp, token: &str, query: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..200 {
        let mut path = format!("/api/admin/users?limit={limit}{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let r = t.get(&path, Some(token)).await;
        r.assert(200, None);
        assert_eq!(r.body["page"]["limit"], limit);
        let page = r.data().as_array().unwrap();
        assert!(page.len() <= limit);
        out.extend(page.iter().cloned());
        match r.body["page"]["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
    panic!("more than 200 pages");
}

fn ids(users: &[Value]) -> Vec<String> {
    users.iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect()
}

// ---- authorisation matrix ------------------------------------------------------------------------

/// The routes this test expects, with their access level. A route added to the router without
/// being added here (with a deliberate level) fails `every_route_is_declared_with_its_access_level`.
fn expected_routes() -> Vec<(Method, &'static str, Access)> {
    use Access::{Admin, Moderator};
    vec![
        (Method::GET, "/api/admin/users", Moderator),
        (Method::POST, "/api/admin/users", Admin),
        (Method::POST, "/api/admin/users/import", Admin),
        (Method::GET, "/api/admin/users/{id}", Moderator),
        (Method::PATCH, "/api/admin/users/{id}", Admin),
        (Method::DELETE, "/api/admin/users/{id}", Admin),
        (Method::GET, "/api/admin/users/{id}/activity", Moderator),
        (Method::POST, "/api/admin/users/{id}/ban", Moderator),
        (Method::POST, "/api/admin/users/{id}/unban", Moderator),
        (Method::POST, "/api/admin/users/{id}/restore", Admin),
        (Method::GET, "/api/admin/audit", Admin),
        (Method::DELETE, "/api/admin/users/{id}/mail-suppression", Admin),
    ]
}

#[test]
fn every_route_is_declared_with_its_access_level() {
    let declared: Vec<(Method, &str, Access)> = routes().into_iter().map(|r| (r.method, r.path, r.access)).collect();
    assert_eq!(declared, expected_routes(), "a route was added, removed or changed level: update expected_routes() deliberately");
}

#[tokio::test]
async fn the_authorisation_matrix_holds_for_every_route_and_role() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let moderator = member(&t, &admin, "moderator").await;
    let donator = member(&t, &admin, "donator").await;
    let user = member(&t, &admin, "user").await;
    let target = member(&t, &admin, "user").await;
    let unactivated = t.unactivated_user().await;
    let logged_out = member(&t, &admin, "admin").await;
    t.post("/api/auth/logout", json!({}), Some(&logged_out.access)).await.assert(200, None);

    for route in routes() {
        let path = route.path.replace("{id}", &target.id);
        // A body the handler accepts for the routes that need one (so success shows as 2xx).
        let body = match (route.method.as_str(), route.path) {
            ("POST", "/api/admin/users") => {
                Some(json!({"username": "made_here", "email": "made-here@example.com", "password": PASSWORD, "role": "user"}))
            }
            ("PATCH", _) => Some(json!({"rating": 5})),
            ("POST", p) if p.ends_with("/ban") => Some(json!({"banReason": "matrix"})),
            ("POST", _) => Some(json!({})),
            _ => None,
        };
        let call = |token: Option<String>| {
            let (method, path, body) = (route.method.as_str().to_owned(), path.clone(), body.clone());
            let t = &t;
            async move {
                if path.ends_with("/import") {
                    // The import reads NDJSON: one new account per call.
                    let line = json!({"email": format!("{}@import.example.com", t.new_identity().0)});
                    let mut request = http::Request::builder().method("POST").uri(&path).header("content-type", "application/x-ndjson");
                    if let Some(token) = &token {
                        request = request.header("authorization", format!("Bearer {token}"));
                    }
                    return t.send(request.body(axum::body::Body::from(line.to_string())).unwrap()).await;
                }
                t.call(&method, &path, body, token.as_deref()).await
            }
        };
        let label = format!("{} {}", route.method, route.path);
        call(None).await.assert(401, Some("UNAUTHENTICATED"));
        call(Some(logged_out.access.clone())).await.assert(401, Some("UNAUTHENTICATED"));
        call(Some(unactivated.access.clone())).await.assert(403, Some("ACCOUNT_NOT_ACTIVATED"));
        call(Some(user.access.clone())).await.assert(403, Some("FORBIDDEN"));
        call(Some(donator.access.clone())).await.assert(403, Some("FORBIDDEN"));
        let m = call(Some(moderator.access.clone())).await;
        match route.access {
            Access::Admin => {
                m.assert(403, Some("FORBIDDEN"));
            }
            Access::Moderator => assert!((200..300).contains(&m.status), "moderator refused on {label}: {}", m.body),
        }
        let a = call(Some(admin.access.clone())).await;
        assert!((200..300).contains(&a.status), "admin refused on {label}: {} {}", a.status, a.body);
    }
}

// ---- listing -------------------------------------------------------------------------------------

/// Seeds activated users straight into the table (no transaction each: fast on the emulator);
/// returns `(id, username, email)` in the order given.
async fn many_users(t: &TestApp, accounts: Vec<(String, String, i64)>) -> Vec<(String, String, String)> {
    let hash = t.app.hasher.hash(PASSWORD).await.unwrap();
    let seeds: Vec<SeedUser> = accounts
        .iter()
        .map(|(username, email, rating)| SeedUser {
            username: username.clone(),
            email: email.clone(),
            password_hash: hash.clone(),
            role: Role::User,
            rating: *rating,
        })
        .collect();
    let ids = t.app.store.seed_users(&seeds, t.app.clock.now()).await.unwrap();
    ids.into_iter().zip(accounts).map(|(id, (u, e, _))| (id.to_string(), u, e)).collect()
}

#[tokio::test]
async fn pages_never_repeat_or_skip_a_user_in_any_order() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "Root_Admin").await;
    // Ratings with many ties, so the tie-break (the id) is exercised too.
    let accounts: Vec<(String, String, i64)> =
        (0..300).map(|i| (format!("{}Pg_{i:03}", ["a", "B", "c", "D"][i % 4]), format!("pg{i}@example.com"), (i as i64 % 7) - 3)).collect();
    let created = many_users(&t, accounts.clone()).await;
    let mut ratings: std::collections::HashMap<String, i64> =
        created.iter().zip(&accounts).map(|((id, _, _), (_, _, r))| (id.clone(), *r)).collect();
    ratings.insert(admin.id.clone(), 0);
    // One rating changed through the API: the index follows.
    let (moved, _, _) = &created[5];
    t.call("PATCH", &user_path(moved, ""), Some(json!({"rating": 1_000_000_000})), Some(&admin.access)).await.assert(200, None);
    ratings.insert(moved.clone(), 1_000_000_000);
    let mut everyone: Vec<(String, String)> = created.iter().map(|(id, name, _)| (id.clone(), name.to_lowercase())).collect();
    everyone.push((admin.id.clone(), admin.username.to_lowercase()));

    let mut by_created: Vec<String> = everyone.iter().map(|(id, _)| id.clone()).collect();
    by_created.sort();
    let mut by_name = everyone.clone();
    by_name.sort_by(|a, b| a.1.cmp(&b.1));
    let by_name: Vec<String> = by_name.into_iter().map(|(id, _)| id).collect();
    let mut by_rating: Vec<String> = by_created.clone();
    by_rating.sort_by_key(|id| (ratings[id], id.clone()));

    for (sort, expected) in [("createdAt", &by_created), ("username", &by_name), ("rating", &by_rating)] {
        for order in ["asc", "desc"] {
            let listed = ids(&walk(&t, &admin.access, &format!("&sort={sort}&order={order}"), 37).await);
            let unique: HashSet<&String> = listed.iter().collect();
            assert_eq!(unique.len(), listed.len(), "a user repeated ({sort} {order})");
            let mut want = expected.clone();
            if order == "desc" {
                want.reverse();
            }
            assert_eq!(listed, want, "order or membership differs ({sort} {order})");
        }
    }
    // Small pages make a shard run short of its share now and then, so the merge takes more
    // rounds of queries for those pages; the walk must still be exact.
    let query = UserQuery { sort: SortField::Rating, descending: false, role: None, status: None, q: None };
    let (mut walked, mut positions) = (Vec::new(), None);
    loop {
        let page = t.app.store.list_users(&query, positions, 4, t.app.now()).await.unwrap();
        assert!(page.users.len() == 4 || page.next.is_none(), "an unfiltered page is full unless it is the last");
        walked.extend(page.users.iter().map(|u| u.id.to_string()));
        match page.next {
            Some(next) => positions = Some(next),
            None => break,
        }
    }
    assert_eq!(walked, by_rating);
    // Seed 001's `page` walks the same pages.
    let second = t.get("/api/admin/users?sort=username&limit=37&page=2", Some(&admin.access)).await;
    second.assert(200, None);
    assert_eq!(ids(second.data().as_array().unwrap()), by_name[37..74].to_vec());
    // The default: createdAt ascending, 20 a page.
    let first = t.get("/api/admin/users", Some(&admin.access)).await;
    assert_eq!(first.body["page"]["limit"], 20);
    assert_eq!(ids(first.data().as_array().unwrap()), by_created[..20].to_vec());
    // Keep the shared emulator small for the other tests.
    t.dynamo.delete_table().table_name(&t.table).send().await.unwrap();
}

#[tokio::test]
async fn prefix_search_finds_exactly_the_users_whose_username_or_email_starts_with_it() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let names = [
        ("Alpha_one", "alpha_one@example.com"), // both match: listed once
        ("alphabet", "letters@example.com"),    // username only
        ("ALPINE_x", "x@example.com"),          // username, other case
        ("zed", "alps@example.org"),            // email only
        ("beta", "beta@alpha.example.com"),     // "alpha" inside, not a prefix
        ("alq", "al@example.com"),              // a near miss
        ("alp", "different@example.com"),       // exactly the prefix
        ("Balpha", "b@example.com"),            // not a prefix
    ];
    let created = many_users(&t, names.iter().map(|(u, e)| ((*u).into(), (*e).into(), 0)).collect()).await;
    let id_of = |name: &str| created.iter().find(|(_, u, _)| u == name).unwrap().0.clone();

    let found = walk(&t, &admin.access, "&q=ALP", 2).await;
    let mut got = ids(&found);
    got.sort();
    let mut want: Vec<String> = ["Alpha_one", "alphabet", "ALPINE_x", "zed", "alp"].iter().map(|n| id_of(n)).collect();
    want.sort();
    assert_eq!(got, want);
    // Ordered by the matched text: usernames alp, alpha_one, alphabet, alpine_x and email alps@…
    let names_in_order: Vec<&str> = found.iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names_in_order, vec!["alp", "Alpha_one", "alphabet", "ALPINE_x", "zed"]);
    let desc: Vec<String> = ids(&walk(&t, &admin.access, "&q=alp&order=desc", 3).await);
    assert_eq!(desc, ids(&found).into_iter().rev().collect::<Vec<_>>());

    // A prefix only an email can have searches emails only.
    let found = ids(&walk(&t, &admin.access, "&q=alps@", 10).await);
    assert_eq!(found, vec![id_of("zed")]);
    // Nothing matches: an empty page and no cursor.
    let none = t.get("/api/admin/users?q=qqq", Some(&admin.access)).await;
    none.assert(200, None);
    assert_eq!(none.data(), &json!([]));
    assert_eq!(none.body["page"]["nextCursor"], Value::Null);
    // q goes with the username order only.
    t.get("/api/admin/users?q=alp&sort=rating", Some(&admin.access)).await.assert(400, Some("VALIDATION_FAILED"));
}

#[tokio::test]
async fn filters_by_role_and_status_including_expired_temporary_bans() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let moderator = member(&t, &admin, "moderator").await;
    let donator = member(&t, &admin, "donator").await;
    let plain = member(&t, &admin, "user").await;
    let banned_for_ever = member(&t, &admin, "user").await;
    let banned_for_an_hour = member(&t, &admin, "donator").await;
    let deleted = member(&t, &admin, "user").await;
    let unverified = t.unactivated_user().await;
    let until = time::OffsetDateTime::from_unix_timestamp(t.app.now() + 3600)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    t.post(&user_path(&banned_for_ever.id, "/ban"), json!({"banReason": "spam"}), Some(&admin.access)).await.assert(200, None);
    t.post(&user_path(&banned_for_an_hour.id, "/ban"), json!({"banReason": "cool off", "bannedUntil": until}), Some(&admin.access))
        .await
        .assert(200, None);
    t.call("DELETE", &user_path(&deleted.id, ""), None, Some(&admin.access)).await.assert(200, None);

    let set = |users: Vec<Value>| -> HashSet<String> { ids(&users).into_iter().collect() };
    let want = |list: &[&TestUser]| -> HashSet<String> { list.iter().map(|u| u.id.clone()).collect() };
    let token = std::cell::RefCell::new(admin.access.clone());
    let list = |q: &'static str| {
        let t = &t;
        let token = token.borrow().clone();
        async move { walk(t, &token, q, 3).await }
    };
    assert_eq!(set(list("&role=admin").await), want(&[&admin]));
    assert_eq!(set(list("&role=moderator").await), want(&[&moderator]));
    assert_eq!(set(list("&role=donator").await), want(&[&donator, &banned_for_an_hour]));
    assert_eq!(set(list("&status=banned").await), want(&[&banned_for_ever, &banned_for_an_hour]));
    assert_eq!(set(list("&status=banned&role=donator").await), want(&[&banned_for_an_hour]));
    assert_eq!(set(list("&status=deleted").await), want(&[&deleted]));
    assert_eq!(set(list("&status=pending_deletion").await), HashSet::new());
    assert_eq!(set(list("&status=unverified").await), want(&[&unverified]));
    assert_eq!(set(list("&status=active").await), want(&[&admin, &moderator, &donator, &plain]));
    assert_eq!(set(list("&status=active&role=admin").await), want(&[&admin]));
    let listed = list("&status=banned&sort=username").await;
    assert!(listed.iter().all(|u| u["status"] == "banned" && u["banReason"].is_string()));

    // An hour later the temporary ban has lifted by itself: listed as active, not banned.
    t.clock.advance(time::Duration::seconds(3601));
    let admin = signed_in(&t, admin.id.clone(), &admin.username, &admin.email).await;
    *token.borrow_mut() = admin.access.clone();
    assert_eq!(set(list("&status=banned").await), want(&[&banned_for_ever]));
    assert_eq!(set(list("&status=active").await), want(&[&admin, &moderator, &donator, &plain, &banned_for_an_hour]));
    assert_eq!(set(list("&status=active&role=donator&sort=rating").await), want(&[&donator, &banned_for_an_hour]));
    let lifted = t.get(&user_path(&banned_for_an_hour.id, ""), Some(&admin.access)).await;
    lifted.assert(200, None);
    assert_eq!(lifted.data()["status"], "active");
    assert_eq!(lifted.data()["bannedUntil"], Value::Null);
    // Activation moves an account from unverified to active in the lists.
    let code = t.activation_code(&unverified.email).await;
    let unverified = signed_in(&t, unverified.id.clone(), &unverified.username, &unverified.email).await;
    t.post("/api/auth/activate", json!({"code": code}), Some(&unverified.access)).await.assert(200, None);
    assert_eq!(set(list("&status=unverified").await), HashSet::new());
    assert!(set(list("&status=active").await).contains(&unverified.id));
}

#[tokio::test]
async fn list_parameters_are_validated() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    for bad in [
        "limit=0",
        "limit=101",
        "limit=ten",
        "sort=login",
        "order=up",
        "role=owner",
        "status=gone",
        "page=0",
        "page=21",
        "cursor=bm90LWEtY3Vyc29y",
        "cursor=%%%",
        "page=2&cursor=x",
        "colour=red",
    ] {
        let r = t.get(&format!("/api/admin/users?{bad}"), Some(&admin.access)).await;
        r.assert(400, Some("VALIDATION_FAILED"));
    }
    // A cursor is bound to its query.
    member(&t, &admin, "user").await;
    let r = t.get("/api/admin/users?limit=1&sort=username", Some(&admin.access)).await;
    let cursor = r.body["page"]["nextCursor"].as_str().unwrap().to_owned();
    t.get(&format!("/api/admin/users?limit=1&sort=username&cursor={cursor}"), Some(&admin.access)).await.assert(200, None);
    t.get(&format!("/api/admin/users?limit=1&sort=rating&cursor={cursor}"), Some(&admin.access))
        .await
        .assert(400, Some("VALIDATION_FAILED"));
    // Upper-case order (seed 001) is accepted.
    t.get("/api/admin/users?order=DESC&limit=100", Some(&admin.access)).await.assert(200, None);
}

// ---- one user ------------------------------------------------------------------------------------

#[tokio::test]
async fn get_returns_the_admin_view_of_a_user_or_404() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let u = member(&t, &admin, "donator").await;
    let r = t.get(&user_path(&u.id, ""), Some(&admin.access)).await;
    r.assert(200, None);
    let d = r.data();
    for field in [
        "id",
        "username",
        "email",
        "name",
        "role",
        "rating",
        "plan",
        "status",
        "emailVerified",
        "mfaEnabled",
        "bannedUntil",
        "banReason",
        "deletionScheduledAt",
        "purgeAt",
        "deletedBy",
        "lastLoginAt",
        "createdAt",
        "updatedAt",
    ] {
        assert!(d.get(field).is_some(), "missing {field} in {d}");
    }
    assert_eq!(d["role"], "donator");
    assert_eq!(d["status"], "active");
    assert!(d.get("passwordHash").is_none());
    let unknown = format!("usr_{}", ulid::Ulid::new());
    t.get(&user_path(&unknown, ""), Some(&admin.access)).await.assert(404, Some("USER_NOT_FOUND"));
    t.get(&user_path("not-an-id", ""), Some(&admin.access)).await.assert(404, Some("USER_NOT_FOUND"));
}

#[tokio::test]
async fn a_users_activity_is_listed_newest_first_with_the_acting_admin() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let moderator = member(&t, &admin, "moderator").await;
    let u = member(&t, &admin, "user").await;
    tick(&t);
    t.post(&user_path(&u.id, "/ban"), json!({"banReason": "spam"}), Some(&moderator.access)).await.assert(200, None);
    tick(&t);
    t.post(&user_path(&u.id, "/unban"), json!({}), Some(&moderator.access)).await.assert(204, None);
    let r = t.get(&user_path(&u.id, "/activity?limit=2"), Some(&moderator.access)).await;
    r.assert(200, None);
    let page = r.data().as_array().unwrap();
    assert_eq!(page[0]["kind"], "account.unbanned");
    assert_eq!(page[0]["actor"], moderator.id.as_str());
    assert_eq!(page[1]["kind"], "account.banned");
    assert_eq!(page[1]["detail"], "permanent");
    let cursor = r.body["page"]["nextCursor"].as_str().unwrap();
    let rest = t.get(&user_path(&u.id, &format!("/activity?cursor={cursor}")), Some(&moderator.access)).await;
    let kinds: Vec<&str> = rest.data().as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["login.succeeded", "account.registered"]);
    assert_eq!(rest.data()[1]["actor"], admin.id.as_str(), "created by the admin");
    t.get(&user_path(&u.id, "/activity?cursor=garbage"), Some(&admin.access)).await.assert(400, Some("VALIDATION_FAILED"));
    t.get(&user_path(&u.id, "/activity?limit=500"), Some(&admin.access)).await.assert(400, Some("VALIDATION_FAILED"));
    let unknown = format!("usr_{}", ulid::Ulid::new());
    t.get(&user_path(&unknown, "/activity"), Some(&admin.access)).await.assert(404, Some("USER_NOT_FOUND"));
}

// ---- create --------------------------------------------------------------------------------------

#[tokio::test]
async fn an_admin_creates_activated_or_unactivated_accounts_with_a_role() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let r = t
        .post(
            "/api/admin/users",
            json!({"username": "Mod_Mary", "email": "Mary@Example.com", "password": PASSWORD, "role": "moderator", "emailVerified": true}),
            Some(&admin.access),
        )
        .await;
    r.assert(201, None);
    assert_eq!(r.data()["role"], "moderator");
    assert_eq!(r.data()["email"], "mary@example.com");
    assert_eq!(r.data()["status"], "active");
    let mary = signed_in(&t, r.data()["id"].as_str().unwrap().into(), "mod_mary", "mary@example.com").await;
    t.get("/api/admin/users", Some(&mary.access)).await.assert(200, None);

    // Not verified: the activation mail goes out and the code works.
    let r = t
        .post(
            "/api/admin/users",
            json!({"username": "newbie", "email": "newbie@example.com", "password": PASSWORD, "role": "user"}),
            Some(&admin.access),
        )
        .await;
    r.assert(201, None);
    assert_eq!(r.data()["emailVerified"], false);
    assert_eq!(r.data()["status"], "unverified");
    let newbie = signed_in(&t, r.data()["id"].as_str().unwrap().into(), "newbie", "newbie@example.com").await;
    let code = t.activation_code("newbie@example.com").await;
    t.post("/api/auth/activate", json!({"code": code}), Some(&newbie.access)).await.assert(200, None);

    // Uniqueness is register's: case-insensitive username, normalised email.
    let dup = |username: &str, email: &str| json!({"username": username, "email": email, "password": PASSWORD, "role": "user"});
    t.post("/api/admin/users", dup("NEWBIE", "other@example.com"), Some(&admin.access)).await.assert(409, Some("USERNAME_TAKEN"));
    t.post("/api/admin/users", dup("other", "NEWBIE@example.com"), Some(&admin.access)).await.assert(409, Some("EMAIL_TAKEN"));
    t.post(
        "/api/admin/users",
        json!({"username": "weak", "email": "weak@example.com", "password": "password", "role": "user"}),
        Some(&admin.access),
    )
    .await
    .assert(422, Some("WEAK_PASSWORD"));
    let r = t.post("/api/admin/users", json!({"email": "x@example.com"}), Some(&admin.access)).await;
    r.assert(400, Some("VALIDATION_FAILED"));
    let fields: Vec<&str> = r.body["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["username", "password", "role"]);
    t.post("/api/admin/users", json!({"username": "r", "email": "bad", "password": PASSWORD, "role": "owner"}), Some(&admin.access))
        .await
        .assert(400, Some("VALIDATION_FAILED"));
    t.post(
        "/api/admin/users",
        json!({"username": "xx_1", "email": "xx1@example.com", "password": PASSWORD, "role": "user", "rating": 5}),
        Some(&admin.access),
    )
    .await
    .assert(400, Some("VALIDATION_FAILED"));
    t.post_raw("/api/admin/users", "text/plain", "{}").await.assert(401, Some("UNAUTHENTICATED"));
}

// ---- patch ---------------------------------------------------------------------------------------

#[tokio::test]
async fn patch_moves_username_and_email_markers_in_one_transaction() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let u = member(&t, &admin, "user").await;
    let other = member(&t, &admin, "user").await;
    // Taken username with a free email: nothing moves, not even the email.
    let r = t
        .call(
            "PATCH",
            &user_path(&u.id, ""),
            Some(json!({"username": other.username.to_uppercase(), "email": "free@example.com"})),
            Some(&admin.access),
        )
        .await;
    r.assert(409, Some("USERNAME_TAKEN"));
    let r =
        t.call("PATCH", &user_path(&u.id, ""), Some(json!({"username": "fresh_name", "email": other.email})), Some(&admin.access)).await;
    r.assert(409, Some("EMAIL_TAKEN"));
    let now = t.get(&user_path(&u.id, ""), Some(&admin.access)).await;
    assert_eq!(now.data()["username"], u.username.as_str());
    assert_eq!(now.data()["email"], u.email.as_str());
    t.register("fresh_name", "free@example.com", PASSWORD).await.assert(201, None);

    let r = t
        .call(
            "PATCH",
            &user_path(&u.id, ""),
            Some(json!({"username": "Renamed_User", "email": "Renamed@Example.com"})),
            Some(&admin.access),
        )
        .await;
    r.assert(200, None);
    assert_eq!(r.data()["username"], "Renamed_User");
    assert_eq!(r.data()["email"], "renamed@example.com");
    // The old names are free again, the new ones are taken, login uses the new ones.
    t.register(&u.username, &u.email, PASSWORD).await.assert(201, None);
    t.register("renamed_user", "else@example.com", PASSWORD).await.assert(409, Some("USERNAME_TAKEN"));
    t.login("renamed@example.com", PASSWORD).await.assert(200, None);
    // The search indexes follow.
    let found = walk(&t, &admin.access, "&q=renamed", 10).await;
    assert_eq!(ids(&found), vec![u.id.clone()]);
    let markers = t
        .all_items()
        .await
        .into_iter()
        .filter(|i| {
            let pk = i["pk"].as_s().unwrap();
            i.get("userId").and_then(|v| v.as_s().ok()) == Some(&u.id) && (pk.starts_with("EMAIL#") || pk.starts_with("USERNAME#"))
        })
        .count();
    assert_eq!(markers, 2, "exactly one email and one username marker");
}

#[tokio::test]
async fn patch_sets_password_name_rating_verification_and_role() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let u = member(&t, &admin, "user").await;
    let r = t
        .call(
            "PATCH",
            &user_path(&u.id, ""),
            Some(json!({"fullName": "Ada Lovelace", "rating": -42, "role": "donator"})),
            Some(&admin.access),
        )
        .await;
    r.assert(200, None);
    assert_eq!(
        (r.data()["name"].as_str(), r.data()["rating"].as_i64(), r.data()["role"].as_str()),
        (Some("Ada Lovelace"), Some(-42), Some("donator"))
    );
    let me = t.get("/api/users/me", Some(&u.access)).await;
    assert_eq!(me.data()["name"], "Ada Lovelace");
    assert_eq!(me.data()["role"], "donator");
    let r = t.call("PATCH", &user_path(&u.id, ""), Some(json!({"fullName": null})), Some(&admin.access)).await;
    assert_eq!(r.data()["name"], Value::Null);

    // A new password ends the user's sessions.
    let new_password = "An0ther-Strong-Pass";
    t.call("PATCH", &user_path(&u.id, ""), Some(json!({"password": new_password})), Some(&admin.access)).await.assert(200, None);
    t.get("/api/users/me", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.login(&u.username, PASSWORD).await.assert(401, Some("INVALID_CREDENTIALS"));
    t.login(&u.username, new_password).await.assert(200, None);

    // Unverify, then verify again.
    let r = t.call("PATCH", &user_path(&u.id, ""), Some(json!({"emailVerified": false})), Some(&admin.access)).await;
    assert_eq!(r.data()["status"], "unverified");
    let r = t.call("PATCH", &user_path(&u.id, ""), Some(json!({"emailVerified": true})), Some(&admin.access)).await;
    assert_eq!(r.data()["status"], "active");

    for bad in [
        json!({"rating": 1_000_000_001_i64}),
        json!({"rating": -1_000_000_001_i64}),
        json!({"username": "no spaces"}),
        json!({"email": "nope"}),
        json!({"fullName": "x"}),
        json!({"role": "owner"}),
        json!({"banReason": "mass assignment"}),
    ] {
        t.call("PATCH", &user_path(&u.id, ""), Some(bad.clone()), Some(&admin.access)).await.assert(400, Some("VALIDATION_FAILED"));
    }
    t.call("PATCH", &user_path(&u.id, ""), Some(json!({"rating": 1.5})), Some(&admin.access)).await.assert(400, Some("INVALID_JSON"));
    t.call("PATCH", &user_path(&u.id, ""), Some(json!({"password": "short"})), Some(&admin.access))
        .await
        .assert(422, Some("WEAK_PASSWORD"));
    let unknown = format!("usr_{}", ulid::Ulid::new());
    t.call("PATCH", &user_path(&unknown, ""), Some(json!({"rating": 1})), Some(&admin.access)).await.assert(404, Some("USER_NOT_FOUND"));
    // An empty change changes nothing and answers the user.
    t.call("PATCH", &user_path(&u.id, ""), Some(json!({})), Some(&admin.access)).await.assert(200, None);
}

#[tokio::test]
async fn nobody_changes_their_own_role_and_the_last_admin_stays() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let r = t.call("PATCH", &user_path(&admin.id, ""), Some(json!({"role": "user"})), Some(&admin.access)).await;
    r.assert(403, Some("FORBIDDEN"));
    assert!(r.body["error"].as_str().unwrap().contains("own role"));
    // Other changes to oneself are fine (and the same role is no change).
    t.call("PATCH", &user_path(&admin.id, ""), Some(json!({"fullName": "Root", "role": "admin"})), Some(&admin.access))
        .await
        .assert(200, None);
    t.call("DELETE", &user_path(&admin.id, ""), None, Some(&admin.access)).await.assert(403, Some("FORBIDDEN"));
    t.post(&user_path(&admin.id, "/ban"), json!({"banReason": "x"}), Some(&admin.access)).await.assert(403, Some("FORBIDDEN"));

    // A second admin; once they are banned (even temporarily), the first is the last one in
    // good standing and cannot be demoted, banned or deleted — by the counter, atomically.
    let second = member(&t, &admin, "admin").await;
    assert_eq!(t.app.store.admin_count().await.unwrap(), 2);
    let until = time::OffsetDateTime::from_unix_timestamp(t.app.now() + 60)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    t.post(&user_path(&second.id, "/ban"), json!({"banReason": "brief", "bannedUntil": until}), Some(&admin.access))
        .await
        .assert(200, None);
    assert_eq!(t.app.store.admin_count().await.unwrap(), 1);
    t.clock.advance(time::Duration::seconds(61));
    let second = signed_in(&t, second.id.clone(), &second.username, &second.email).await;
    for (method, path, body) in [
        ("PATCH", user_path(&admin.id, ""), Some(json!({"role": "moderator"}))),
        ("DELETE", user_path(&admin.id, ""), None),
        ("POST", user_path(&admin.id, "/ban"), Some(json!({"banReason": "coup"}))),
    ] {
        let r = t.call(method, &path, body, Some(&second.access)).await;
        r.assert(403, Some("FORBIDDEN"));
        assert_eq!(r.body["error"], svc::LAST_ADMIN);
    }
    assert_eq!(t.get(&user_path(&admin.id, ""), Some(&admin.access)).await.data()["role"], "admin");
    // Unbanning counts the second admin again; then the first may be demoted.
    t.post(&user_path(&second.id, "/unban"), json!({}), Some(&admin.access)).await.assert(204, None);
    assert_eq!(t.app.store.admin_count().await.unwrap(), 2);
    t.call("PATCH", &user_path(&admin.id, ""), Some(json!({"role": "moderator"})), Some(&second.access)).await.assert(200, None);
    assert_eq!(t.app.store.admin_count().await.unwrap(), 1);
    // The demoted admin lost admin routes on their very next request.
    t.post("/api/admin/users", json!({}), Some(&admin.access)).await.assert(403, Some("FORBIDDEN"));
    t.get("/api/admin/users", Some(&admin.access)).await.assert(200, None);
}

#[tokio::test]
async fn of_two_admins_demoting_each_other_at_once_exactly_one_succeeds() {
    let t = TestApp::spawn().await;
    let a = bootstrap_admin(&t, "admin_a").await;
    let b = member(&t, &a, "admin").await;
    let demote = |actor: &TestUser, target: &TestUser| {
        let (token, path) = (actor.access.clone(), user_path(&target.id, ""));
        let t = &t;
        async move { t.call("PATCH", &path, Some(json!({"role": "user"})), Some(&token)).await }
    };
    let (ra, rb) = tokio::join!(demote(&a, &b), demote(&b, &a));
    let statuses = [ra.status, rb.status];
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}: {} / {}", ra.body, rb.body);
    let loser = if ra.status == 200 { &rb } else { &ra };
    // Refused by the rule, or by the transaction conflict of the same race.
    assert!(matches!((loser.status, loser.code()), (403, "FORBIDDEN") | (409, "CONFLICT")), "{}", loser.body);
    assert!(t.app.store.admin_count().await.unwrap() >= 1);
}

// ---- ban and unban -------------------------------------------------------------------------------

#[tokio::test]
async fn a_ban_refuses_the_existing_token_at_once_and_login_says_why() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let moderator = member(&t, &admin, "moderator").await;
    let u = member(&t, &admin, "user").await;
    t.get("/api/users/me", Some(&u.access)).await.assert(200, None);
    let r = t.post(&user_path(&u.id, "/ban"), json!({"banReason": "Spam", "bannedUntil": null}), Some(&moderator.access)).await;
    r.assert(200, None);
    assert_eq!(r.data(), &json!({"message": "User banned successfully", "until": null}));
    t.get("/api/users/me", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.post("/api/auth/refresh", json!({"refreshToken": u.refresh}), None).await.assert(403, Some("ACCOUNT_BANNED"));
    let l = t.login(&u.username, PASSWORD).await;
    l.assert(403, Some("ACCOUNT_BANNED"));
    assert_eq!(l.body["details"], json!({"bannedUntil": null, "banReason": "Spam"}));
    // Unban: 204, and the user is back.
    let r = t.post(&user_path(&u.id, "/unban"), json!({}), Some(&moderator.access)).await;
    r.assert(204, None);
    assert_eq!(r.body, Value::Null);
    t.login(&u.username, PASSWORD).await.assert(200, None);
    // Unbanning someone not banned is a no-op.
    t.post(&user_path(&u.id, "/unban"), json!({}), Some(&moderator.access)).await.assert(204, None);
}

#[tokio::test]
async fn a_temporary_ban_lifts_itself_at_banned_until() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let u = member(&t, &admin, "donator").await;
    let until_unix = t.app.now() + 7200;
    let until =
        time::OffsetDateTime::from_unix_timestamp(until_unix).unwrap().format(&time::format_description::well_known::Rfc3339).unwrap();
    let r = t.post(&user_path(&u.id, "/ban"), json!({"banReason": "cool off", "bannedUntil": until}), Some(&admin.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["until"], until.as_str());
    t.get("/api/users/me", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    let l = t.login(&u.username, PASSWORD).await;
    l.assert(403, Some("ACCOUNT_BANNED"));
    assert_eq!(l.body["details"]["bannedUntil"], until.as_str());
    t.clock.advance(time::Duration::seconds(7199));
    t.login(&u.username, PASSWORD).await.assert(403, Some("ACCOUNT_BANNED"));
    t.clock.advance(time::Duration::seconds(1));
    let fresh = signed_in(&t, u.id.clone(), &u.username, &u.email).await;
    t.get("/api/users/me", Some(&fresh.access)).await.assert(200, None);
}

#[tokio::test]
async fn moderators_ban_only_ordinary_users_and_nobody_bans_themselves() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let moderator = member(&t, &admin, "moderator").await;
    let other_moderator = member(&t, &admin, "moderator").await;
    let donator = member(&t, &admin, "donator").await;
    let body = json!({"banReason": "x"});
    for target in [&admin.id, &other_moderator.id] {
        t.post(&user_path(target, "/ban"), body.clone(), Some(&moderator.access)).await.assert(403, Some("FORBIDDEN"));
        t.post(&user_path(target, "/unban"), json!({}), Some(&moderator.access)).await.assert(403, Some("FORBIDDEN"));
    }
    t.post(&user_path(&moderator.id, "/ban"), body.clone(), Some(&moderator.access)).await.assert(403, Some("FORBIDDEN"));
    t.post(&user_path(&donator.id, "/ban"), body.clone(), Some(&moderator.access)).await.assert(200, None);
    // An admin may ban a moderator.
    t.post(&user_path(&other_moderator.id, "/ban"), body, Some(&admin.access)).await.assert(200, None);
    // Moderators do not change users.
    t.call("PATCH", &user_path(&donator.id, ""), Some(json!({"role": "user"})), Some(&moderator.access))
        .await
        .assert(403, Some("FORBIDDEN"));
}

#[tokio::test]
async fn ban_input_is_validated() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let u = member(&t, &admin, "user").await;
    let past =
        time::OffsetDateTime::from_unix_timestamp(t.app.now() - 1).unwrap().format(&time::format_description::well_known::Rfc3339).unwrap();
    for bad in [
        json!({}),
        json!({"banReason": ""}),
        json!({"banReason": "x".repeat(256)}),
        json!({"banReason": "ok", "bannedUntil": "tomorrow"}),
        json!({"banReason": "ok", "bannedUntil": past}),
        json!({"banReason": "ok", "until": null}),
    ] {
        t.post(&user_path(&u.id, "/ban"), bad.clone(), Some(&admin.access)).await.assert(400, Some("VALIDATION_FAILED"));
    }
    // 255 characters and seed 001's empty string for "permanent" are fine.
    let r = t.post(&user_path(&u.id, "/ban"), json!({"banReason": "x".repeat(255), "bannedUntil": ""}), Some(&admin.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["until"], Value::Null);
    let unknown = format!("usr_{}", ulid::Ulid::new());
    t.post(&user_path(&unknown, "/ban"), json!({"banReason": "x"}), Some(&admin.access)).await.assert(404, Some("USER_NOT_FOUND"));
    t.post(&user_path(&unknown, "/unban"), json!({}), Some(&admin.access)).await.assert(404, Some("USER_NOT_FOUND"));
}

// ---- soft delete and restore ---------------------------------------------------------------------

#[tokio::test]
async fn soft_delete_ends_sessions_blocks_login_and_restore_undoes_it() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let u = member(&t, &admin, "user").await;
    let r = t.call("DELETE", &user_path(&u.id, ""), None, Some(&admin.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["message"], "User deleted successfully");
    let scheduled = r.data()["deletionScheduledAt"].as_str().unwrap().to_owned();
    let purge = r.data()["purgeAt"].as_str().unwrap();
    let purge_unix = time::OffsetDateTime::parse(purge, &time::format_description::well_known::Rfc3339).unwrap().unix_timestamp();
    assert_eq!(purge_unix, t.app.now() + 7 * 86_400, "DELETION_GRACE_DAYS");
    t.get("/api/users/me", Some(&u.access)).await.assert(401, Some("UNAUTHENTICATED"));
    t.login(&u.username, PASSWORD).await.assert(403, Some("ACCOUNT_PENDING_DELETION"));
    let view = t.get(&user_path(&u.id, ""), Some(&admin.access)).await;
    assert_eq!(view.data()["status"], "deleted");
    assert_eq!(view.data()["deletedBy"], admin.id.as_str());
    // Deleting again changes nothing.
    let again = t.call("DELETE", &user_path(&u.id, ""), None, Some(&admin.access)).await;
    assert_eq!(again.data()["deletionScheduledAt"], scheduled.as_str());

    let r = t.post(&user_path(&u.id, "/restore"), json!({}), Some(&admin.access)).await;
    r.assert(200, None);
    assert_eq!(r.data()["status"], "active");
    assert_eq!(r.data()["purgeAt"], Value::Null);
    t.login(&u.username, PASSWORD).await.assert(200, None);
    // Restoring an account that is not deleted is a no-op.
    t.post(&user_path(&u.id, "/restore"), json!({}), Some(&admin.access)).await.assert(200, None);
    let unknown = format!("usr_{}", ulid::Ulid::new());
    t.call("DELETE", &user_path(&unknown, ""), None, Some(&admin.access)).await.assert(404, Some("USER_NOT_FOUND"));
    t.post(&user_path(&unknown, "/restore"), json!({}), Some(&admin.access)).await.assert(404, Some("USER_NOT_FOUND"));
}

#[tokio::test]
async fn deleting_and_restoring_an_admin_moves_the_admin_count() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let second = member(&t, &admin, "admin").await;
    t.call("DELETE", &user_path(&second.id, ""), None, Some(&admin.access)).await.assert(200, None);
    assert_eq!(t.app.store.admin_count().await.unwrap(), 1);
    t.post(&user_path(&second.id, "/restore"), json!({}), Some(&admin.access)).await.assert(200, None);
    assert_eq!(t.app.store.admin_count().await.unwrap(), 2);
}

// ---- audit trail and bootstrap -------------------------------------------------------------------

#[tokio::test]
async fn every_admin_action_is_in_the_audit_trail_and_the_targets_activity() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "root_admin").await;
    let moderator = member(&t, &admin, "moderator").await;
    let u = member(&t, &admin, "user").await;
    tick(&t);
    t.call("PATCH", &user_path(&u.id, ""), Some(json!({"rating": 3})), Some(&admin.access)).await.assert(200, None);
    tick(&t);
    t.post(&user_path(&u.id, "/ban"), json!({"banReason": "x"}), Some(&moderator.access)).await.assert(200, None);
    tick(&t);
    t.post(&user_path(&u.id, "/unban"), json!({}), Some(&moderator.access)).await.assert(204, None);
    tick(&t);
    t.call("DELETE", &user_path(&u.id, ""), None, Some(&admin.access)).await.assert(200, None);
    tick(&t);
    t.post(&user_path(&u.id, "/restore"), json!({}), Some(&admin.access)).await.assert(200, None);

    let month = t.get("/api/admin/audit", Some(&admin.access)).await;
    month.assert(200, None);
    let trail: Vec<(String, String, String)> = month
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().into(), e["actor"].as_str().unwrap().into(), e["target"].as_str().unwrap().into()))
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("user.restore", &admin.id, &u.id),
        ("user.delete", &admin.id, &u.id),
        ("user.unban", &moderator.id, &u.id),
        ("user.ban", &moderator.id, &u.id),
        ("user.update", &admin.id, &u.id),
        ("user.create", &admin.id, &u.id),
        ("user.create", &admin.id, &moderator.id),
        ("user.create", &"cli".to_owned(), &admin.id),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).into(), (*b).clone(), (*c).clone()))
    .collect();
    assert_eq!(trail, expected);
    // The month's trail in pages of 3 is the same trail.
    let mut paged = Vec::new();
    let mut path = "/api/admin/audit?limit=3".to_owned();
    loop {
        let r = t.get(&path, Some(&admin.access)).await;
        r.assert(200, None);
        paged.extend(r.data().as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()));
        match r.body["page"]["nextCursor"].as_str() {
            Some(c) => path = format!("/api/admin/audit?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(paged, expected.iter().map(|(a, _, _)| a.clone()).collect::<Vec<_>>());
    let by_moderator = t.get(&format!("/api/admin/audit?actor={}&limit=1", moderator.id), Some(&admin.access)).await;
    assert_eq!(by_moderator.data()[0]["action"], "user.unban");
    let cursor = by_moderator.body["page"]["nextCursor"].as_str().unwrap();
    let next = t.get(&format!("/api/admin/audit?actor={}&cursor={cursor}", moderator.id), Some(&admin.access)).await;
    let actions: Vec<&str> = next.data().as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["user.ban"]);
    assert!(!month.body.to_string().contains(&u.email), "no personal data in the trail");
    t.get("/api/admin/audit?month=2024-13", Some(&admin.access)).await.assert(400, Some("VALIDATION_FAILED"));
    t.get("/api/admin/audit?actor=someone", Some(&admin.access)).await.assert(400, Some("VALIDATION_FAILED"));

    let activity = t.get(&user_path(&u.id, "/activity"), Some(&admin.access)).await;
    let kinds: Vec<(&str, &str)> = activity
        .data()
        .as_array()
        .unwrap()
        .iter()
        .take(5)
        .map(|a| (a["kind"].as_str().unwrap(), a["actor"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("admin.restored", admin.id.as_str()),
            ("admin.deleted", admin.id.as_str()),
            ("account.unbanned", moderator.id.as_str()),
            ("account.banned", moderator.id.as_str()),
            ("admin.updated", admin.id.as_str()),
        ]
    );
}

#[tokio::test]
async fn the_bootstrap_creates_an_activated_admin_and_refuses_taken_names_changing_nothing() {
    let t = TestApp::spawn().await;
    let admin = bootstrap_admin(&t, "first_admin").await;
    let me = t.get("/api/users/me", Some(&admin.access)).await;
    assert_eq!((me.data()["role"].as_str(), me.data()["emailVerified"].as_bool()), (Some("admin"), Some(true)));
    t.get("/api/admin/users", Some(&admin.access)).await.assert(200, None);
    assert_eq!(t.app.store.admin_count().await.unwrap(), 1);

    let before = t.all_items().await.len();
    let again = |username: &str, email: &str| NewAccount {
        username: username.into(),
        email: email.into(),
        password: PASSWORD.into(),
        role: "admin".into(),
        email_verified: true,
    };
    let store = &t.app.store;
    let err = svc::create_account(
        store,
        &t.app.hasher,
        t.app.clock.as_ref(),
        None,
        Default::default(),
        &Actor::cli(),
        again("FIRST_ADMIN", "new@example.com"),
    )
    .await;
    assert!(matches!(err, Err(accounts_core::Error::UsernameTaken)));
    let err = svc::create_account(
        store,
        &t.app.hasher,
        t.app.clock.as_ref(),
        None,
        Default::default(),
        &Actor::cli(),
        again("second", &admin.email),
    )
    .await;
    assert!(matches!(err, Err(accounts_core::Error::EmailTaken)));
    let err = svc::create_account(
        store,
        &t.app.hasher,
        t.app.clock.as_ref(),
        None,
        Default::default(),
        &Actor::cli(),
        again("third", "third@example.com"),
    )
    .await;
    assert!(err.is_ok(), "a second admin by the command is allowed");
    assert_eq!(t.all_items().await.len(), before + 6, "user, 2 markers, activity, audit, user.created; nothing from the refused attempts");
    assert_eq!(t.app.store.admin_count().await.unwrap(), 2);
}
