//! The stream-driven `events` function: wiring only. The relay (DynamoDB Streams outbox records
//! → EventBridge `PutEvents`) is `accounts_events::Relay`.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    accounts_events::run().await
}
