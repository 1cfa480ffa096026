//! The `admin` function: wiring only. Configuration, clients and the router come from
//! `accounts-core`; `lambda_http::run` drives the router.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    accounts_core::app::serve(accounts_core::api::admin::router).await
}
