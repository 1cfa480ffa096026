//! The scheduled `purge` function: wiring only. The purge itself is
//! `accounts_core::services::purge`; `serve_purge` runs it under `lambda_runtime`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    accounts_core::app::serve_purge().await
}
