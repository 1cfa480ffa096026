//! SPEC §6 "Nothing crashes on input", at the HTTP edge: arbitrary query strings on every route
//! that reads one, arbitrary multipart bodies on the avatar upload, and JSON numbers at the
//! edges on the routes that take numbers, through the real routers. Whatever arrives, the answer
//! is never a 5xx (a panic would surface as one, or abort the test). The domain parsers have
//! their own properties (shared/tests/parsers.rs); this covers the extractors and the api layer.

use crate::helpers::TestApp;
use axum::body::Body;
use http::Request;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// `n` samples of `strategy` from a fixed seed (reproducible; a failure names its input).
fn samples<S: Strategy>(strategy: S, n: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..n).map(|_| strategy.new_tree(&mut runner).unwrap().current()).collect()
}

/// A raw query string: arbitrary text percent-encoded, and the shapes the routes expect
/// (known keys with odd values, repeated keys, bare `=`/`&`, broken escapes).
fn query_strings() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        any::<String>().prop_map(|s| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()),
        "[0-9-]{0,25}",
        Just("%".to_owned()),
        Just("%zz".to_owned()),
        Just("%FF%FE".to_owned()),
        Just("99999999999999999999999".to_owned()),
        Just("1e309".to_owned()),
    ];
    let key = prop_oneof![
        Just("limit"),
        Just("cursor"),
        Just("month"),
        Just("q"),
        Just("sort"),
        Just("order"),
        Just("role"),
        Just("status"),
        Just("token"),
        Just("days"),
        Just("from"),
        Just("to"),
        Just("kind"),
    ];
    proptest::collection::vec((key, value), 0..5)
        .prop_map(|pairs| pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"))
}

#[tokio::test]
async fn arbitrary_query_strings_never_make_a_route_answer_5xx() {
    let t = TestApp::spawn().await;
    let user = t.user().await;
    let admin = crate::credentials::admin(&t).await;
    let routes: &[(&str, Option<&str>)] = &[
        ("/api/auth/activate", None),
        ("/api/uploads", Some(user.access.as_str())),
        ("/api/users/me/activity", Some(user.access.as_str())),
        ("/api/users/me/usage", Some(user.access.as_str())),
        ("/api/users/me/stats", Some(user.access.as_str())),
        ("/api/users/me/sessions", Some(user.access.as_str())),
        ("/api/api-keys", Some(user.access.as_str())),
        ("/api/admin/users", Some(admin.access.as_str())),
        ("/api/admin/audit", Some(admin.access.as_str())),
        ("/api/plans", None),
    ];
    for q in samples(query_strings(), 40) {
        for (path, token) in routes {
            let mut request = Request::builder().method("GET").uri(format!("{path}?{q}"));
            if let Some(token) = token {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            let Ok(request) = request.body(Body::empty()) else { continue };
            let r = t.send(request).await;
            assert!(r.status < 500, "GET {path}?{q} answered {}: {}", r.status, r.body);
        }
    }
}

/// A multipart body: a well-formed frame around arbitrary parts, or arbitrary bytes.
fn multipart_bodies() -> impl Strategy<Value = (String, Vec<u8>)> {
    let part = (
        prop_oneof![Just("avatar".to_owned()), any::<String>(), Just(String::new())],
        prop_oneof![Just("image/png".to_owned()), Just("application/octet-stream".to_owned()), any::<String>()],
        proptest::collection::vec(any::<u8>(), 0..300),
    );
    prop_oneof![
        proptest::collection::vec(part, 0..3).prop_map(|parts| {
            let mut body = Vec::new();
            for (name, ctype, bytes) in parts {
                body.extend_from_slice(
                    format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"a\"\r\nContent-Type: {ctype}\r\n\r\n")
                        .as_bytes(),
                );
                body.extend_from_slice(&bytes);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(b"--XyZ--\r\n");
            ("multipart/form-data; boundary=XyZ".to_owned(), body)
        }),
        (any::<String>(), proptest::collection::vec(any::<u8>(), 0..300))
            .prop_map(|(boundary, bytes)| (format!("multipart/form-data; boundary={boundary}"), bytes)),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(|bytes| ("multipart/form-data".to_owned(), bytes)),
    ]
}

#[tokio::test]
async fn arbitrary_multipart_bodies_never_make_the_avatar_upload_answer_5xx() {
    let t = TestApp::spawn().await;
    let user = t.user().await;
    for (content_type, body) in samples(multipart_bodies(), 60) {
        for method in ["POST", "PATCH"] {
            let Ok(request) = Request::builder()
                .method(method)
                .uri("/api/users/me/avatar")
                .header("authorization", format!("Bearer {}", user.access))
                .header("content-type", content_type.as_str())
                .body(Body::from(body.clone()))
            else {
                continue;
            };
            let r = t.send(request).await;
            assert!(r.status < 500, "{method} avatar ({content_type:?}, {} bytes) answered {}: {}", body.len(), r.status, r.body);
        }
    }
}

/// JSON numbers at the edges, in every field that takes a number (and some that do not).
fn edge_numbers() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1e309".to_owned()),
        Just("-1e309".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("-9223372036854775809".to_owned()),
        Just("9223372036854775807".to_owned()),
        Just("0.000000000000000000000000000001".to_owned()),
        Just("-0".to_owned()),
        Just("1E+2".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| f.to_string()),
        "[0-9]{20,60}",
    ]
}

#[tokio::test]
async fn json_numbers_at_the_edges_never_make_a_route_answer_5xx() {
    let t = TestApp::spawn().await;
    let user = t.user().await;
    let bodies: &[(&str, &str, &str)] = &[
        ("POST", "/api/api-keys", r#"{"name":"k","scopes":["read"],"expiresIn":N}"#),
        ("POST", "/api/uploads", r#"{"filename":"a.png","contentType":"image/png","size":N}"#),
        ("PATCH", "/api/users/me", r#"{"name":N,"bio":"x"}"#),
        ("PUT", "/api/users/me/settings", r#"{"app":{"autoUpload":N}}"#),
        ("POST", "/api/subscription", r#"{"plan":"PRO","paymentMethodId":"pm_card_visa","months":N}"#),
        ("POST", "/api/auth/login", r#"{"username":N,"password":"x"}"#),
    ];
    for n in samples(edge_numbers(), 25) {
        for (method, path, template) in bodies {
            let body = template.replace('N', &n);
            let request = Request::builder()
                .method(*method)
                .uri(*path)
                .header("authorization", format!("Bearer {}", user.access))
                .header("content-type", "application/json")
                .body(Body::from(body.clone()))
                .unwrap();
            let r = t.send(request).await;
            assert!(r.status < 500, "{method} {path} {body} answered {}: {}", r.status, r.body);
        }
    }
}
