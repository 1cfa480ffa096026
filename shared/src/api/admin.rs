//! `/api/admin/*` (SPEC §3.4): user administration and moderation.
//!
//! Every route is declared once in [`routes`] with its access level; the router is built from
//! that list only, and each route gets the policy layer of its level, which authenticates the
//! caller (activated account) and checks the role before the handler runs. A route cannot be
//! added without a level, and the integration tests walk the same list with every role.

use crate::App;
use crate::clock::rfc3339;
use crate::domain::{Role, User, UserStatus};
use crate::error::{Error, FieldError, Result};
use crate::http::{self, Authenticated, ClientInfo, Json, Query, Reply};
use crate::services::Principal;
use crate::services::admin::{self as svc, Actor};
use crate::store::{AuditEntry, StreamPosition, UserQuery};
use axum::Router;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post};
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize};
use std::sync::Arc;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Moderators and admins.
    Moderator,
    /// Admins only.
    Admin,
}

impl Access {
    pub fn allows(self, role: Role) -> bool {
        match self {
            Access::Moderator => matches!(role, Role::Moderator | Role::Admin),
            Access::Admin => role == Role::Admin,
        }
    }
}

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
        (r(Method::GET, "/api/admin/users/{id}", Moderator), get(get_user)),
        (r(Method::PATCH, "/api/admin/users/{id}", Admin), patch(update_user)),
        (r(Method::DELETE, "/api/admin/users/{id}", Admin), delete(delete_user)),
        (r(Method::GET, "/api/admin/users/{id}/activity", Moderator), get(user_activity)),
        (r(Method::POST, "/api/admin/users/{id}/ban", Moderator), post(ban)),
        (r(Method::POST, "/api/admin/users/{id}/unban", Moderator), post(unban)),
        (r(Method::POST, "/api/admin/users/{id}/restore", Admin), post(restore)),
        (r(Method::GET, "/api/admin/audit", Admin), get(audit_trail)),
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

// ---- responses ------------------------------------------------------------------------------------

/// A user as administrators see it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminUserResponse {
    pub id: String,
    pub username: String,
    pub email: String,
    pub name: Option<String>,
    pub role: &'static str,
    pub rating: i64,
    pub plan: String,
    pub status: &'static str,
    pub email_verified: bool,
    pub mfa_enabled: bool,
    pub banned_until: Option<String>,
    pub ban_reason: Option<String>,
    pub deletion_scheduled_at: Option<String>,
    pub purge_at: Option<String>,
    pub deleted_by: Option<String>,
    pub last_login_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl AdminUserResponse {
    pub fn new(app: &App, u: &User) -> Self {
        let status = svc::status_now(app, u);
        // A ban that has expired is history, not state.
        let banned = status == UserStatus::Banned;
        Self {
            id: u.id.to_string(),
            username: u.username.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.as_str(),
            rating: u.rating,
            plan: u.plan.clone(),
            status: status.as_str(),
            email_verified: u.email_verified,
            mfa_enabled: u.mfa_enabled,
            banned_until: if banned { u.banned_until.flatten().map(rfc3339) } else { None },
            ban_reason: if banned { u.ban_reason.clone() } else { None },
            deletion_scheduled_at: u.deletion_scheduled_at.map(rfc3339),
            purge_at: u.purge_at.map(rfc3339),
            deleted_by: u.deleted_by.clone(),
            last_login_at: u.last_login_at.map(rfc3339),
            created_at: rfc3339(u.created_at),
            updated_at: rfc3339(u.updated_at),
        }
    }
}

fn actor(p: &Principal, client: &ClientInfo) -> Actor {
    Actor::from_principal(p, client)
}

// ---- list ----------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    limit: Option<String>,
    cursor: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    role: Option<String>,
    status: Option<String>,
    q: Option<String>,
}

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

fn parse_limit(raw: Option<&str>) -> std::result::Result<usize, FieldError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(FieldError::new("limit", "must be a whole number from 1 to 100")),
        },
    }
}

/// The opaque list cursor: base64url of `{"f": <query fingerprint>, "p": [position…]}` with a
/// position per stream: `0` not started, `1` done, `[sortValue, userId]` after that entry.
#[derive(Serialize, Deserialize)]
struct CursorBody {
    f: String,
    p: Vec<serde_json::Value>,
}

fn encode_cursor(query: &UserQuery, positions: &[StreamPosition]) -> String {
    let p = positions
        .iter()
        .map(|pos| match pos {
            StreamPosition::Start => serde_json::json!(0),
            StreamPosition::Done => serde_json::json!(1),
            StreamPosition::After { sort_value, user_id } => serde_json::json!([sort_value, user_id]),
        })
        .collect();
    let body = CursorBody { f: query.fingerprint(), p };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).unwrap_or_default())
}

fn decode_cursor(raw: &str, query: &UserQuery) -> std::result::Result<Vec<StreamPosition>, FieldError> {
    let bad = || FieldError::new("cursor", "is malformed or does not belong to this query");
    if raw.len() > 8192 {
        return Err(bad());
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
    let body: CursorBody = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if body.f != query.fingerprint() || body.p.len() != crate::store::stream_count(query) {
        return Err(bad());
    }
    body.p
        .into_iter()
        .map(|v| match v {
            serde_json::Value::Number(n) if n.as_u64() == Some(0) => Ok(StreamPosition::Start),
            serde_json::Value::Number(n) if n.as_u64() == Some(1) => Ok(StreamPosition::Done),
            serde_json::Value::Array(a) => match a.as_slice() {
                [serde_json::Value::String(sort_value), serde_json::Value::String(user_id)]
                    if sort_value.len() <= 300 && crate::domain::UserId::parse(user_id).is_some() =>
                {
                    Ok(StreamPosition::After { sort_value: sort_value.clone(), user_id: user_id.clone() })
                }
                _ => Err(bad()),
            },
            _ => Err(bad()),
        })
        .collect()
}

async fn list_users(State(app): State<Arc<App>>, _staff: Staff, Query(params): Query<ListParams>) -> Result<Reply> {
    let mut errors = Vec::new();
    let limit = parse_limit(params.limit.as_deref()).map_err(|e| errors.push(e)).unwrap_or(DEFAULT_LIMIT);
    let q = params.q.as_deref().map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
    if q.as_ref().is_some_and(|q| q.chars().count() > 254 || q.chars().any(char::is_control)) {
        errors.push(FieldError::new("q", "must be at most 254 characters"));
    }
    let sort = svc::sort_for(params.sort.as_deref(), q.as_deref()).map_err(|e| errors.push(e)).ok();
    let descending = match params.order.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            errors.push(FieldError::new("order", "must be asc or desc"));
            false
        }
    };
    let role = match params.role.as_deref() {
        None => None,
        Some(raw) => Role::parse(raw).or_else(|| {
            errors.push(FieldError::new("role", "must be user, donator, moderator or admin"));
            None
        }),
    };
    let status = match params.status.as_deref() {
        None => None,
        Some(raw) => UserStatus::parse(raw).or_else(|| {
            errors.push(FieldError::new("status", "must be active, unverified, banned, pending_deletion or deleted"));
            None
        }),
    };
    let page = match params.page.as_deref() {
        None => 1,
        Some(raw) => match raw.trim().parse::<u32>() {
            Ok(p) if (1..=svc::MAX_PAGE).contains(&p) => p,
            _ => {
                errors.push(FieldError::new("page", "must be a whole number from 1 to 20 (use the cursor beyond)"));
                1
            }
        },
    };
    if params.page.is_some() && params.cursor.is_some() {
        errors.push(FieldError::new("page", "cannot be combined with cursor"));
    }
    let Some(sort) = sort else { return Err(Error::Validation(errors)) };
    let query = UserQuery { sort, descending, role, status, q };
    let positions = match params.cursor.as_deref() {
        Some(raw) if errors.is_empty() => Some(decode_cursor(raw, &query).map_err(|e| Error::Validation(vec![e]))?),
        _ => None,
    };
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let listed = svc::list_users(&app, svc::ListRequest { query: query.clone(), limit, positions, page }).await?;
    let data: Vec<AdminUserResponse> = listed.users.iter().map(|u| AdminUserResponse::new(&app, u)).collect();
    let next = listed.next.map(|p| encode_cursor(&query, &p));
    Ok(Reply::list(&data, next.as_deref(), limit))
}

// ---- one user -------------------------------------------------------------------------------------

async fn get_user(State(app): State<Arc<App>>, _staff: Staff, Path(id): Path<String>) -> Result<Reply> {
    let user = svc::get_user(&app, &id).await?;
    Ok(Reply::ok(&AdminUserResponse::new(&app, &user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActivityParams {
    cursor: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActivityResponse {
    id: String,
    kind: String,
    at: String,
    ip: String,
    user_agent: String,
    detail: Option<String>,
    actor: Option<String>,
}

async fn user_activity(
    State(app): State<Arc<App>>,
    _staff: Staff,
    Path(id): Path<String>,
    Query(params): Query<ActivityParams>,
) -> Result<Reply> {
    let limit = parse_limit(params.limit.as_deref()).map_err(|e| Error::Validation(vec![e]))?;
    let cursor = params.cursor.as_deref().map(str::trim);
    if let Some(c) = cursor
        && c.strip_prefix("act_").and_then(|u| ulid::Ulid::from_string(u).ok()).is_none()
    {
        return Err(Error::field("cursor", "is malformed"));
    }
    let (records, next) = svc::user_activity(&app, &id, cursor, i32::try_from(limit).unwrap_or(20)).await?;
    let data: Vec<ActivityResponse> = records
        .into_iter()
        .map(|r| ActivityResponse {
            id: r.id,
            kind: r.kind,
            at: rfc3339(r.at),
            ip: r.ip,
            user_agent: r.user_agent,
            detail: r.detail,
            actor: r.actor,
        })
        .collect();
    Ok(Reply::list(&data, next.as_deref(), limit))
}

// ---- create and change ----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateUserRequest {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    role: Option<String>,
    email_verified: Option<bool>,
}

async fn create_user(
    State(app): State<Arc<App>>,
    Staff(p): Staff,
    client: ClientInfo,
    Json(body): Json<CreateUserRequest>,
) -> Result<Reply> {
    let missing: Vec<FieldError> =
        [("username", &body.username), ("email", &body.email), ("password", &body.password), ("role", &body.role)]
            .into_iter()
            .filter(|(_, v)| v.is_none())
            .map(|(f, _)| FieldError::new(f, "is required"))
            .collect();
    if !missing.is_empty() {
        return Err(Error::Validation(missing));
    }
    let input = svc::NewAccount {
        username: body.username.unwrap_or_default(),
        email: body.email.unwrap_or_default(),
        password: body.password.unwrap_or_default(),
        role: body.role.unwrap_or_default(),
        email_verified: body.email_verified.unwrap_or(false),
    };
    let user = svc::create_user(&app, &actor(&p, &client), input).await?;
    Ok(Reply::created(&AdminUserResponse::new(&app, &user)))
}

/// A field that tells "absent" from `null`.
#[derive(Default)]
enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Patch::Null, Patch::Value))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UpdateUserRequest {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    #[serde(default)]
    full_name: Patch<String>,
    role: Option<String>,
    rating: Option<i64>,
    email_verified: Option<bool>,
}

async fn update_user(
    State(app): State<Arc<App>>,
    Staff(p): Staff,
    client: ClientInfo,
    Path(id): Path<String>,
    Json(body): Json<UpdateUserRequest>,
) -> Result<Reply> {
    let changes = svc::UserChanges {
        username: body.username,
        email: body.email,
        password: body.password,
        full_name: match body.full_name {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(v) => Some(Some(v)),
        },
        role: body.role,
        rating: body.rating,
        email_verified: body.email_verified,
    };
    let user = svc::update_user(&app, &p, &actor(&p, &client), &id, changes).await?;
    Ok(Reply::ok(&AdminUserResponse::new(&app, &user)))
}

// ---- bans and deletion ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct BanRequestBody {
    banned_until: Option<String>,
    ban_reason: Option<String>,
}

#[derive(Serialize)]
struct BanResponse {
    message: &'static str,
    until: Option<String>,
}

async fn ban(
    State(app): State<Arc<App>>,
    Staff(p): Staff,
    client: ClientInfo,
    Path(id): Path<String>,
    Json(body): Json<BanRequestBody>,
) -> Result<Reply> {
    let request = svc::BanRequest::parse(body.banned_until.as_deref(), body.ban_reason.as_deref(), app.now())?;
    let until = svc::ban(&app, &p, &actor(&p, &client), &id, request).await?;
    const MESSAGE: &str = "User banned successfully";
    Ok(Reply::with_status(axum::http::StatusCode::OK, &BanResponse { message: MESSAGE, until: until.map(rfc3339) }, Some(MESSAGE)))
}

async fn unban(State(app): State<Arc<App>>, Staff(p): Staff, client: ClientInfo, Path(id): Path<String>) -> Result<Response> {
    svc::unban(&app, &p, &actor(&p, &client), &id).await?;
    Ok(http::no_content())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeleteResponse {
    message: &'static str,
    deletion_scheduled_at: Option<String>,
    purge_at: Option<String>,
}

async fn delete_user(State(app): State<Arc<App>>, Staff(p): Staff, client: ClientInfo, Path(id): Path<String>) -> Result<Reply> {
    let user = svc::delete_user(&app, &p, &actor(&p, &client), &id).await?;
    const MESSAGE: &str = "User deleted successfully";
    let body = DeleteResponse {
        message: MESSAGE,
        deletion_scheduled_at: user.deletion_scheduled_at.map(rfc3339),
        purge_at: user.purge_at.map(rfc3339),
    };
    Ok(Reply::with_status(axum::http::StatusCode::OK, &body, Some(MESSAGE)))
}

async fn restore(State(app): State<Arc<App>>, Staff(p): Staff, client: ClientInfo, Path(id): Path<String>) -> Result<Reply> {
    let user = svc::restore_user(&app, &actor(&p, &client), &id).await?;
    Ok(Reply::with_status(axum::http::StatusCode::OK, &AdminUserResponse::new(&app, &user), Some("User restored")))
}

// ---- audit trail ---------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    actor: Option<String>,
    month: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuditResponse {
    id: String,
    at: String,
    actor: String,
    actor_role: String,
    action: String,
    target: String,
    detail: Option<String>,
    ip: String,
}

async fn audit_trail(State(app): State<Arc<App>>, _staff: Staff, Query(params): Query<AuditParams>) -> Result<Reply> {
    let mut errors = Vec::new();
    let limit = parse_limit(params.limit.as_deref()).map_err(|e| errors.push(e)).unwrap_or(DEFAULT_LIMIT);
    if let Some(actor) = &params.actor
        && actor != "cli"
        && crate::domain::UserId::parse(actor).is_none()
    {
        errors.push(FieldError::new("actor", "must be a user id or cli"));
    }
    if let Some(month) = &params.month {
        let ok = month.len() == 7
            && month.as_bytes()[4] == b'-'
            && month[..4].parse::<u16>().is_ok()
            && month[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
        if !ok {
            errors.push(FieldError::new("month", "must be YYYY-MM"));
        }
    }
    let cursor = params.cursor.as_deref().map(str::trim);
    if let Some(c) = cursor
        && ulid::Ulid::from_string(c).is_err()
    {
        errors.push(FieldError::new("cursor", "is malformed"));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let (entries, next) =
        svc::audit_trail(&app, params.actor.as_deref(), params.month.as_deref(), cursor, i32::try_from(limit).unwrap_or(20)).await?;
    let data: Vec<AuditResponse> = entries.into_iter().map(audit_response).collect();
    Ok(Reply::list(&data, next.as_deref(), limit))
}

fn audit_response(a: AuditEntry) -> AuditResponse {
    AuditResponse {
        id: format!("aud_{}", a.id),
        at: rfc3339(a.at),
        actor: a.actor,
        actor_role: a.actor_role,
        action: a.action,
        target: a.target,
        detail: a.detail,
        ip: a.ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SortField;

    fn query() -> UserQuery {
        UserQuery { sort: SortField::Rating, descending: true, role: None, status: None, q: None }
    }

    #[test]
    fn cursors_round_trip() {
        let q = query();
        let mut positions = vec![StreamPosition::Start; crate::store::stream_count(&q)];
        positions[0] = StreamPosition::Done;
        positions[1] = StreamPosition::After { sort_value: "1000000005#x".into(), user_id: "usr_01HZY8J6W8K1M2N3P4Q5R6S7T8".into() };
        let raw = encode_cursor(&q, &positions);
        assert_eq!(decode_cursor(&raw, &q).unwrap(), positions);
    }

    #[test]
    fn a_cursor_of_another_query_or_garbage_is_refused() {
        let q = query();
        let raw = encode_cursor(&q, &vec![StreamPosition::Start; crate::store::stream_count(&q)]);
        let other = UserQuery { descending: false, ..query() };
        assert!(decode_cursor(&raw, &other).is_err());
        assert!(decode_cursor("not base64!", &q).is_err());
        let forged =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(r#"{{"f":"{}","p":[["x","usr_bad"]]}}"#, q.fingerprint()));
        assert!(decode_cursor(&forged, &q).is_err());
    }

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
