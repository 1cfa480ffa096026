//! `openapi.yaml` against what is really served: every route of every function's router is in
//! the document and every documented operation is served (method + path template), and every
//! documented path reaches the function that serves it through template.yaml's HttpApi events
//! and through `cargo lambda watch`'s router in Cargo.toml.
//!
//! The paths come from each group's `RouteTable` (the calls that build the router); the methods
//! of each path are asked of the router itself: a method it does not serve answers
//! `405 METHOD_NOT_ALLOWED`, so nothing here restates what the routers declare.

use crate::helpers::TestApp;
use accounts_core::api;
use axum::Router;
use axum::body::Body;
use http::Request;
use std::collections::{BTreeMap, BTreeSet};
use tower::ServiceExt;

const DOCUMENT: &str = include_str!("../../openapi.yaml");
const TEMPLATE: &str = include_str!("../../template.yaml");
const MANIFEST: &str = include_str!("../../Cargo.toml");

/// The methods an operation can have in the document (`OPTIONS` preflight is answered by the
/// CORS layer on every path and deliberately not documented per path; `HEAD` is axum's GET).
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// `(METHOD, path template)`.
type Operation = (String, String);

/// Every function's paths (from its route table) and its router.
fn functions(app: &TestApp) -> Vec<(&'static str, Vec<&'static str>, Router)> {
    let a = app.app.clone();
    vec![
        ("auth", api::auth::table().paths().to_vec(), api::auth::router(a.clone())),
        ("users", api::users::table().paths().to_vec(), api::users::router(a.clone())),
        ("api-keys", api::api_keys::table().paths().to_vec(), api::api_keys::router(a.clone())),
        ("uploads", api::uploads::table().paths().to_vec(), api::uploads::router(a.clone())),
        ("billing", api::billing::table().paths().to_vec(), api::billing::router(a.clone())),
        ("admin", api::admin::table(&a).paths().to_vec(), api::admin::router(a)),
    ]
}

/// A concrete path for a template: every `{param}` becomes a well-formed id that exists nowhere.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|segment| if segment.starts_with('{') { "usr_01JZZZZZZZZZZZZZZZZZZZZZZZ" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

/// What the routers serve, each operation with the function that serves it. A request without
/// credentials or body is harmless on every route (401, 404, 415, …), and only a method the
/// path does not serve answers 405.
async fn served(app: &TestApp) -> BTreeMap<Operation, &'static str> {
    let mut served = BTreeMap::new();
    for (function, paths, router) in functions(app) {
        assert!(!paths.is_empty(), "{function} registers no route");
        for path in paths {
            for method in METHODS {
                let request = Request::builder().method(method).uri(concrete(path)).body(Body::empty()).unwrap();
                let response = router.clone().oneshot(request).await.unwrap();
                if response.status() == 405 {
                    continue;
                }
                let previous = served.insert((method.to_owned(), path.to_owned()), function);
                assert!(previous.is_none_or(|p| p == function), "{method} {path} is served by {function} and {previous:?}");
            }
        }
    }
    served
}

fn document() -> serde_yaml::Value {
    serde_yaml::from_str(DOCUMENT).expect("openapi.yaml is YAML")
}

fn documented() -> BTreeSet<Operation> {
    let doc = document();
    let paths = doc["paths"].as_mapping().expect("openapi.yaml has paths");
    let mut operations = BTreeSet::new();
    for (path, item) in paths {
        let path = path.as_str().unwrap();
        for (key, _) in item.as_mapping().unwrap() {
            let key = key.as_str().unwrap();
            if ["get", "put", "post", "delete", "options", "head", "patch", "trace"].contains(&key) {
                operations.insert((key.to_ascii_uppercase(), path.to_owned()));
            }
        }
    }
    operations
}

#[tokio::test]
async fn every_route_the_routers_serve_is_in_the_openapi_document_and_every_documented_operation_is_served() {
    let app = TestApp::spawn().await;
    let served: BTreeSet<Operation> = served(&app).await.into_keys().collect();
    let documented = documented();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served but not in openapi.yaml: {undocumented:?}; in openapi.yaml but not served: {unserved:?}"
    );
    // The probe really tells served from not served: every group has paths with some methods
    // unserved, and an unserved method is refused in our envelope.
    assert!(served.len() < documented.len() * METHODS.len());
    assert!(served.contains(&("GET".into(), "/api/users/{id}/avatar".into())));
    assert!(!served.contains(&("POST".into(), "/api/users/{id}/avatar".into())));
}

#[test]
fn every_documented_operation_has_an_operation_id_a_tag_and_its_error_responses() {
    let doc = document();
    assert_eq!(doc["openapi"].as_str().unwrap(), "3.1.0");
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().unwrap() {
        for (method, op) in item.as_mapping().unwrap() {
            let name = format!("{} {}", method.as_str().unwrap(), path.as_str().unwrap());
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{name} has no operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            assert!(op["tags"].as_sequence().is_some_and(|t| t.len() == 1), "{name} needs exactly one tag");
            assert!(op["summary"].as_str().is_some(), "{name} has no summary");
            assert!(op["security"].as_sequence().is_some(), "{name} must say how it is authenticated (security: [] when public)");
            let responses = op["responses"].as_mapping().unwrap();
            let has = |status: &str| responses.contains_key(serde_yaml::Value::String(status.into()));
            assert!(has("500"), "{name} does not document 500");
            let json_body = !op["requestBody"]["content"]["application/json"].is_null();
            if json_body && op["requestBody"]["required"].as_bool() == Some(true) {
                assert!(has("400") && has("413") && has("415"), "{name} takes a JSON body: document 400, 413 and 415");
            }
            let authenticated = op["security"].as_sequence().unwrap().iter().any(|s| s.as_mapping().is_some_and(|m| !m.is_empty()));
            if authenticated && !op["security"].as_sequence().unwrap().iter().any(|s| s.as_mapping().is_some_and(|m| m.is_empty())) {
                assert!(has("401"), "{name} needs credentials: document 401");
            }
        }
    }
}

/// Which function API Gateway (`{proxy+}`, the most specific route wins) or cargo-lambda's
/// router (`{*rest}`, static before catch-all) sends `path` to.
fn route_to<'a>(routes: &'a [(String, String, String)], method: &str, path: &str) -> Option<&'a str> {
    let candidates = routes.iter().filter(|(m, _, _)| m == "ANY" || m == method);
    let mut best: Option<(usize, &str)> = None;
    for (_, pattern, function) in candidates {
        let specificity = if let Some(prefix) = pattern.strip_suffix("/{proxy+}").or_else(|| pattern.strip_suffix("/{*rest}")) {
            let rest = path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/'));
            if rest.is_none_or(str::is_empty) {
                continue;
            }
            prefix.len()
        } else if pattern == path {
            usize::MAX
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, function));
        }
    }
    best.map(|(_, f)| f)
}

/// `(method, path, function)` for each HttpApi event of template.yaml (function from CodeUri).
fn template_routes() -> Vec<(String, String, String)> {
    let template: serde_yaml::Value = serde_yaml::from_str(TEMPLATE).unwrap();
    let mut routes = Vec::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let code_uri = resource["Properties"]["CodeUri"].as_str().unwrap();
        let function = code_uri.trim_end_matches('/').rsplit('/').next().unwrap().to_owned();
        let Some(events) = resource["Properties"]["Events"].as_mapping() else { continue };
        for (_, event) in events {
            if event["Type"].as_str() == Some("HttpApi") {
                let p = &event["Properties"];
                routes.push((p["Method"].as_str().unwrap().to_ascii_uppercase(), p["Path"].as_str().unwrap().to_owned(), function.clone()));
            }
        }
    }
    routes
}

/// `(ANY, pattern, function)` from `[workspace.metadata.lambda.watch.router]` in Cargo.toml.
fn watch_routes() -> Vec<(String, String, String)> {
    let section = MANIFEST.split("[workspace.metadata.lambda.watch.router]").nth(1).expect("Cargo.toml has the watch router");
    section
        .lines()
        .take_while(|line| !line.trim_start().starts_with('['))
        .filter_map(|line| line.split_once('='))
        .map(|(pattern, function)| {
            let unquote = |s: &str| s.trim().trim_matches('"').to_owned();
            ("ANY".to_owned(), unquote(pattern), unquote(function))
        })
        .filter(|(_, pattern, _)| pattern.starts_with('/'))
        .collect()
}

#[tokio::test]
async fn every_documented_path_reaches_the_function_that_serves_it_through_the_template_and_cargo_lambda_watch() {
    let app = TestApp::spawn().await;
    let served = served(&app).await;
    let (template, watch) = (template_routes(), watch_routes());
    assert!(template.len() >= 6 && watch.len() >= 6, "template: {template:?}; watch: {watch:?}");
    for (method, path) in documented() {
        let function = served.get(&(method.clone(), path.clone())).copied();
        let concrete = concrete(&path);
        assert_eq!(route_to(&template, &method, &concrete), function, "template.yaml sends {method} {path} elsewhere");
        assert_eq!(route_to(&watch, &method, &concrete), function, "Cargo.toml's watch router sends {method} {path} elsewhere");
    }
}

#[test]
fn the_gateway_route_matcher_prefers_the_most_specific_route() {
    let routes = vec![
        ("ANY".into(), "/api/users".into(), "users".into()),
        ("ANY".into(), "/api/users/{proxy+}".into(), "users".into()),
        ("ANY".into(), "/api/users/me/special".into(), "other".into()),
        ("ANY".into(), "/api/auth/{proxy+}".into(), "auth".into()),
    ];
    assert_eq!(route_to(&routes, "GET", "/api/users"), Some("users"));
    assert_eq!(route_to(&routes, "GET", "/api/users/me"), Some("users"));
    assert_eq!(route_to(&routes, "GET", "/api/users/me/special"), Some("other"));
    assert_eq!(route_to(&routes, "POST", "/api/auth"), None, "a greedy path needs at least one segment");
    assert_eq!(route_to(&routes, "POST", "/api/authx/login"), None);
}

/// The contract run's fuzzing found that `cargo lambda watch` answers a body that is not UTF-8
/// with a 500 of its own (it cannot put it into the event); the functions themselves must
/// answer it in our envelope, as invalid JSON.
#[tokio::test]
async fn a_json_body_that_is_not_utf8_is_invalid_json_and_never_a_server_error() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    for (method, path, token) in [
        ("POST", "/api/auth/login", None),
        ("POST", "/api/auth/register", None),
        ("POST", "/api/auth/refresh", None),
        ("PATCH", "/api/users/me", Some(user.access.as_str())),
        ("POST", "/api/api-keys", Some(user.access.as_str())),
        ("POST", "/api/uploads", Some(user.access.as_str())),
        ("POST", "/api/subscription", Some(user.access.as_str())),
    ] {
        let mut request = Request::builder().method(method).uri(path).header("content-type", "application/json");
        if let Some(t) = token {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        let response = app.send(request.body(Body::from(vec![0x8f, 0xe3, b'{', b'}', 0xff])).unwrap()).await;
        response.assert(400, Some("INVALID_JSON"));
        assert_eq!(response.headers["content-type"], "application/json", "{method} {path}");
    }
}
