//! [`RouteTable`]: how every group declares its routes. It registers each path with axum and
//! remembers it, so the list of paths a function serves comes from the same calls that build
//! its router and cannot drift from it (the OpenAPI coverage test in `tests/api/openapi.rs`
//! walks this list; the methods of each path are found by asking the router itself).

use crate::App;
use axum::Router;
use axum::routing::MethodRouter;
use std::sync::Arc;

/// A group's routes before the state and the shared layers are added.
#[derive(Default)]
pub struct RouteTable {
    router: Router<Arc<App>>,
    paths: Vec<&'static str>,
}

impl RouteTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// `Router::route`, remembering the path.
    pub fn route(mut self, path: &'static str, methods: MethodRouter<Arc<App>>) -> Self {
        self.router = self.router.route(path, methods);
        self.paths.push(path);
        self
    }

    /// `Router::merge`, keeping the other table's paths.
    pub fn merge(mut self, other: RouteTable) -> Self {
        self.router = self.router.merge(other.router);
        self.paths.extend(other.paths);
        self
    }

    /// Every path registered, in axum syntax (`/api/users/{id}`).
    pub fn paths(&self) -> &[&'static str] {
        &self.paths
    }

    /// The routes without state or layers (the pages add HTML fallbacks of their own).
    pub fn into_inner(self) -> Router<Arc<App>> {
        self.router
    }

    /// The group's router: the state, then the layers and fallbacks every group gets.
    pub fn finish(self, app: Arc<App>) -> Router {
        super::finish(self.router.with_state(app.clone()), &app.config)
    }
}
