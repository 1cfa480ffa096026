//! The cold-start baseline of `make bench`: a hello-world `lambda_http` bootstrap with the
//! functions' `lambda_http` and `tokio`, built with the same release profile in the same run.
//! Its init does nothing, so a function's cold start divided by this one's is what our own
//! start-up (configuration, SDK clients, the warm-up call, the router) costs.

use lambda_http::{Body, Error, Request, Response, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_request: Request| async { Ok::<_, Error>(Response::new(Body::from("hello"))) })).await
}
