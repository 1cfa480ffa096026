//! The routes of each endpoint group: parse input, call one service, shape output.

pub mod admin;
pub mod api_keys;
pub mod auth;
pub mod billing;
pub(crate) mod dto;
pub mod uploads;
pub mod users;
pub mod well_known;

pub use dto::UserResponse;

/// `(path prefix, router)` for every function, the first that matches wins, as API Gateway (template.yaml) and the
/// `cargo lambda watch` router send paths to them: what tests and the bench drive in process.
#[cfg(feature = "test-support")]
pub fn gateway_routes(app: &std::sync::Arc<crate::App>) -> Vec<(&'static str, axum::Router)> {
    vec![
        ("/api/auth", auth::router(app.clone())),
        ("/.well-known", auth::router(app.clone())),
        ("/api/users", users::router(app.clone())),
        ("/api/api-keys", api_keys::router(app.clone())),
        ("/api/uploads", uploads::router(app.clone())),
        ("/api/plans", billing::router(app.clone())),
        ("/api/subscription", billing::router(app.clone())),
        ("/api/admin", admin::router(app.clone())),
        // Last: the `$default` route, every other path.
        ("", crate::web::router(app.clone())),
    ]
}
