//! The `web` function: wiring only. It serves the hosted pages (every path outside `/api` and
//! `/.well-known`); configuration, clients and the router come from `accounts-core`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    accounts_core::app::serve(accounts_core::web::router).await
}
