//! `/api/admin/*` (SPEC §3.4): user administration and moderation.
//!
//! Every route is declared once in [`routes`] with its access level; the router is built from
//! that list only, and each route gets the policy layer of its level, which authenticates the
//! caller (activated account) and checks the role before the handler runs. A route cannot be
//! added without a level, and the integration tests walk the same list with every role.
//!
//! The handlers live in `users.rs` (listing, reading and changing users), `import.rs` (importing
//! users with their password hashes) and `audit.rs` (the admin audit trail); request and
//! response shapes beside them.

mod audit;
mod import;
mod users;

use crate::App;
use crate::error::{Error, FieldError, Result};
use crate::http::{self, Authenticated, ClientInfo};
use crate::services::Principal;
use crate::services::admin::Actor;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Request, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post};
use std::sync::Arc;
use users::{ban, clear_mail_suppression, create_user, delete_user, get_user, list_users, restore, unban, update_user, user_activity};

/// Who may call a route (the services' rule, shared with the console's pages).
pub use crate::services::admin::Access;

/// One route of the group: method, path (axum syntax) and access level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRoute {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// Every route with its handler. The only place routes are declared.
fn route_handlers() -> Vec<(AdminRoute, MethodRouter<Arc<App>>)> {
    use Access::{Admin, Moderator};
    let r = |method: Method, path: &'static str, access: Access| AdminRoute { method, path, access };
    vec![
        (r(Method::GET, "/api/admin/users", Moderator), get(list_users)),
        (r(Method::POST, "/api/admin/users", Admin), post(create_user)),
        (
            r(Method::POST, "/api/admin/users/import", Admin),
            post(import::import_users).layer(DefaultBodyLimit::max(import::MAX_IMPORT_BODY)),
        ),
        (r(Method::GET, "/api/admin/users/{id}", Moderator), get(get_user)),
        (r(Method::PATCH, "/api/admin/users/{id}", Admin), patch(update_user)),
        (r(Method::DELETE, "/api/admin/users/{id}", Admin), delete(delete_user)),
        (r(Method::GET, "/api/admin/users/{id}/activity", Moderator), get(user_activity)),
        (r(Method::POST, "/api/admin/users/{id}/ban", Moderator), post(ban)),
        (r(Method::POST, "/api/admin/users/{id}/unban", Moderator), post(unban)),
        (r(Method::POST, "/api/admin/users/{id}/restore", Admin), post(restore)),
        (r(Method::GET, "/api/admin/audit", Admin), get(audit::audit_trail)),
        (r(Method::DELETE, "/api/admin/users/{id}/mail-suppression", Admin), delete(clear_mail_suppression)),
    ]
}

/// The declared routes and their access levels (what the authorisation tests walk).
pub fn routes() -> Vec<AdminRoute> {
    route_handlers().into_iter().map(|(route, _)| route).collect()
}

pub fn router(app: Arc<App>) -> Router {
    table(&app).finish(app)
}

/// The group's routes, each behind the policy layer of its level (see [`http::RouteTable`]).
pub fn table(app: &Arc<App>) -> http::RouteTable {
    let mut table = http::RouteTable::new();
    for (route, handler) in route_handlers() {
        let layer = axum::middleware::from_fn_with_state((app.clone(), route.access), enforce);
        table = table.route(route.path, handler.route_layer(layer));
    }
    table
}

/// The policy layer: an activated caller whose role the route's level allows.
async fn enforce(State((app, access)): State<(Arc<App>, Access)>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let principal = match Authenticated::from_request_parts(&mut parts, &app).await {
        Ok(Authenticated(p)) => p,
        Err(e) => return e.into_response(),
    };
    if !access.allows(principal.user.role) {
        return Error::Forbidden.into_response();
    }
    parts.extensions.insert(Staff(principal));
    next.run(Request::from_parts(parts, body)).await
}

/// The caller, as checked by the route's policy layer.
#[derive(Clone)]
struct Staff(Principal);

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // Absent only if a route escaped the policy layer: refuse rather than serve.
        parts.extensions.get::<Staff>().cloned().ok_or(Error::Forbidden)
    }
}

/// The caller as its policy layer checked it, and the [`Actor`] its changes are recorded as.
struct Acting {
    principal: Principal,
    actor: Actor,
}

impl<S: Send + Sync> FromRequestParts<S> for Acting {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Staff(principal) = Staff::from_request_parts(parts, state).await?;
        let client = ClientInfo::from_request_parts(parts, state).await?;
        Ok(Self { actor: Actor::from_principal(&principal, &client), principal })
    }
}

/// A change to one user: the app, the caller and its [`Actor`] (as [`Acting`]), and the
/// target's id from the path — what every such handler starts from.
struct OnUser {
    app: Arc<App>,
    principal: Principal,
    actor: Actor,
    id: String,
}

impl FromRequestParts<Arc<App>> for OnUser {
    /// Each part answers as it would as a handler argument of its own.
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> std::result::Result<Self, Self::Rejection> {
        let Acting { principal, actor } = Acting::from_request_parts(parts, app).await.map_err(IntoResponse::into_response)?;
        let Path(id) = Path::<String>::from_request_parts(parts, app).await.map_err(IntoResponse::into_response)?;
        Ok(Self { app: app.clone(), principal, actor, id })
    }
}

// ---- paging ----------------------------------------------------------------------------------------

pub use crate::services::admin::{DEFAULT_LIMIT, MAX_LIMIT};

fn parse_limit(raw: Option<&str>) -> std::result::Result<usize, FieldError> {
    crate::services::admin::parse_limit(raw, DEFAULT_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    #[test]
    fn limits_outside_one_to_a_hundred_are_refused() {
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(parse_limit(Some("100")).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(parse_limit(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn moderators_reach_moderator_routes_only() {
        assert!(Access::Moderator.allows(Role::Moderator));
        assert!(Access::Moderator.allows(Role::Admin));
        assert!(!Access::Moderator.allows(Role::Donator));
        assert!(!Access::Admin.allows(Role::Moderator));
        assert!(Access::Admin.allows(Role::Admin));
    }
}
