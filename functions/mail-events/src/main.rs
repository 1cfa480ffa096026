//! The `mail-events` function: wiring only. SES bounce and complaint notifications arrive
//! through SNS; `accounts_core::app::serve_mail_events` puts the addresses on the suppression
//! list (`accounts_core::services::suppression`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    accounts_core::app::serve_mail_events().await
}
