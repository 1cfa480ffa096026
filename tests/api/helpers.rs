//! `TestApp`: the real routers and store, in process, against the moto emulator that
//! `make test` starts (`ACCOUNTS_TEST_ENDPOINT`). Each test gets its own table, created from
//! the Table resource of `template.yaml`, and its own clock.

use accounts_core::App;
use accounts_core::clock::ManualClock;
use accounts_core::config::{Config, HashCost, RateLimits};
use accounts_core::domain::RateLimit;
use accounts_core::sdk_calls::CallRecorder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType,
};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use axum::Router;
use axum::body::Body;
use http::{HeaderMap, Request};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::OnceCell;
use tower::ServiceExt;

pub const MAIL_FROM: &str = "no-reply@accounts.test";
pub const PASSWORD: &str = "Sup3r-Secret-Pass";
/// `JWT_ISSUER` of every test app.
pub const ISSUER: &str = "https://accounts.test";

/// The KMS key (ARN) every test app starts its ring with: one per test run, in the emulator.
pub async fn signing_key() -> String {
    static KEY: OnceCell<String> = OnceCell::const_new();
    KEY.get_or_init(|| async {
        let kms = accounts_core::kms::Kms::new(aws_sdk_kms::Client::new(&sdk_config().await));
        kms.create_signing_key("accounts-tests").await.unwrap()
    })
    .await
    .clone()
}
/// The keys every test app hashes codes and seals TOTP seeds with (`id:secret`, current first);
/// tests/api/secrets.rs builds apps with other key sets.
pub const CODE_PEPPER: &str = "t1:test-code-pepper-test-code-pepper-0123";
pub const MFA_SEAL_KEY: &str = "t1:test-mfa-seal-key-test-mfa-seal-key-0123";

pub fn endpoint() -> String {
    std::env::var("ACCOUNTS_TEST_ENDPOINT")
        .expect("ACCOUNTS_TEST_ENDPOINT is not set: run the integration tests with `make test`, which starts the emulator")
}

/// Where SES runs in tests: a second emulator of its own when `make test` starts one, so that
/// reading mail (`/moto-api/data.json` dumps everything the emulator holds) stays small and fast
/// however many tables the other tests created.
pub fn mail_endpoint() -> String {
    std::env::var("ACCOUNTS_TEST_MAIL_ENDPOINT").unwrap_or_else(|_| endpoint())
}

pub async fn sdk_config() -> aws_config::SdkConfig {
    sdk_config_for(endpoint()).await
}

async fn mail_client() -> aws_sdk_ses::Client {
    aws_sdk_ses::Client::new(&sdk_config_for(mail_endpoint()).await)
}

/// The app's own SES client: through `http` when given, observed by `calls`.
async fn app_mail_client(http: Option<&SharedHttpClient>, calls: &CallRecorder) -> aws_sdk_ses::Client {
    let mut sdk = sdk_config_for(mail_endpoint()).await;
    if let Some(http) = http {
        sdk = sdk.to_builder().http_client(http.clone()).build();
    }
    aws_sdk_ses::Client::from_conf(aws_sdk_ses::config::Builder::from(&sdk).interceptor(calls.interceptor()).build())
}

async fn sdk_config_for(endpoint: String) -> aws_config::SdkConfig {
    let creds = aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "tests");
    // Production's 2 s attempt timeout is for DynamoDB. The emulator stalls for seconds while
    // it serves `/moto-api/data.json` (see `mails_to`), and a timed-out attempt is retried while
    // moto still runs the first one: two copies of one transaction then race inside moto (which
    // snapshots the table per transaction and is not thread-safe), giving spurious 409s/500s.
    let patient = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .operation_attempt_timeout(std::time::Duration::from_secs(60))
        .operation_timeout(std::time::Duration::from_secs(120))
        .build();
    accounts_core::app::sdk_settings(aws_config::defaults(aws_config::BehaviorVersion::latest()))
        .timeout_config(patient)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .endpoint_url(endpoint)
        .load()
        .await
}

static SES_READY: OnceCell<()> = OnceCell::const_new();

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", ulid::Ulid::new().to_string().to_lowercase())
}

pub struct TestApp {
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub table: String,
    /// This test's bucket (same name as the table).
    pub bucket: String,
    /// Every AWS operation the app made (DynamoDB, S3, SES), once per operation however many
    /// attempts it took. Dropping the `TestApp` fails the test if any of them was a `Scan`.
    pub calls: CallRecorder,
    /// Which function API Gateway would send a path to.
    routes: Gateway,
}

/// API Gateway's routing: `(path prefix, router)` pairs, one per function, in
/// `accounts_core::app::gateway_routes` order. Cheap to clone (the routers share the `App`), so
/// a server task can own one (browser_support.rs's `Site`).
#[derive(Clone)]
pub struct Gateway(Vec<(&'static str, Router)>);

impl Gateway {
    pub fn new(app: &Arc<App>) -> Self {
        Self(accounts_core::app::gateway_routes(app))
    }

    /// The router of the function serving `path`: the first whose prefix is the path or one of
    /// its parent folders; `None` when no function serves it (API Gateway's 404).
    pub fn router_for(&self, path: &str) -> Option<Router> {
        self.0.iter().find(|(prefix, _)| path == *prefix || path.starts_with(&format!("{prefix}/"))).map(|(_, r)| r.clone())
    }
}

/// A response, with the body parsed as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
    #[track_caller]
    pub fn assert(&self, status: u16, code: Option<&str>) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.body);
        if let Some(code) = code {
            assert_eq!(self.code(), code, "unexpected code; body: {}", self.body);
            assert_eq!(self.body["success"], false);
        }
        self
    }
}

/// Limits high enough that no ordinary test meets them.
pub fn generous_limits() -> RateLimits {
    let lots = RateLimit::new(100_000, 3600);
    RateLimits {
        register: lots,
        login_failures: lots,
        forgot_password: lots,
        resend_activation: lots,
        captcha: lots,
        recover: lots,
        mfa_verify: lots,
        mail_per_recipient: lots,
    }
}

/// The request context API Gateway (HTTP API) attaches, with `ip` as the source address.
pub fn request_context(ip: &str) -> lambda_http::request::RequestContext {
    let mut ctx = lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
    ctx.http.source_ip = Some(ip.to_owned());
    lambda_http::request::RequestContext::ApiGatewayV2(ctx)
}

/// A registered (and, unless asked otherwise, activated and signed-in) user.
pub struct TestUser {
    pub id: String,
    pub username: String,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(customise: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_through(None, customise).await
    }

    /// [`TestApp::spawn_with`] whose app sends every AWS call (DynamoDB, S3 and SES) through
    /// `http` (a fault-injecting client, see `faults.rs`); the test's own `dynamo` client
    /// (scans, direct writes) still talks to the emulator directly.
    pub async fn spawn_through(http: Option<SharedHttpClient>, customise: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_full(http, false, customise).await
    }

    /// A `TestApp` whose table also has template.yaml's stream (the lifecycle-event tests read
    /// it). Off for the other tests: the emulator copies a table, stream records included, on
    /// every transaction, which would slow the big ones down for nothing.
    pub async fn spawn_with_stream() -> Self {
        Self::spawn_full(None, true, |_| {}).await
    }

    async fn spawn_full(http: Option<SharedHttpClient>, stream: bool, customise: impl FnOnce(&mut Config)) -> Self {
        let sdk = sdk_config().await;
        let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
        SES_READY
            .get_or_init(|| async {
                mail_client().await.verify_email_identity().email_address(MAIL_FROM).send().await.unwrap();
            })
            .await;
        let signing_key = signing_key().await;
        let table = unique("accounts-test-");
        create_table_with(&dynamo, &table, stream).await;
        let bucket = table.clone();
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build())
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        let vars = [
            ("TABLE_NAME", table.as_str()),
            ("BUCKET_NAME", bucket.as_str()),
            ("MAIL_FROM", MAIL_FROM),
            ("PUBLIC_BASE_URL", "http://accounts.test"),
            ("JWT_ISSUER", ISSUER),
            ("JWT_AUDIENCE", "accounts-test-clients"),
            ("SIGNING_KEY", signing_key.as_str()),
            ("CODE_PEPPER", CODE_PEPPER),
            ("MFA_SEAL_KEY", MFA_SEAL_KEY),
            ("REQUIRE_CAPTCHA", "false"),
            ("COUPONS", "WELCOME20:20:3,FOREVER50:50"),
            ("PAYMENT_PROVIDER", "sandbox"),
        ];
        let mut config = Config::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())).unwrap();
        config.hash_cost = HashCost::TEST_ONLY;
        // Most tests register and mail many users from one (unknown) address in one app: lift
        // the per-address and per-recipient limits for them. The login-failure limit and the
        // lockout keep their defaults; tests/api/limits.rs sets the others back explicitly.
        config.limits = RateLimits { login_failures: RateLimits::DEFAULT.login_failures, ..generous_limits() };
        customise(&mut config);
        let clock = Arc::new(ManualClock::starting_now());
        let calls = CallRecorder::new();
        let app_sdk = match &http {
            Some(http) => sdk.to_builder().http_client(http.clone()).build(),
            None => sdk.clone(),
        };
        let mut app = App::new_observed(config, &app_sdk, clock.clone(), Some(calls.interceptor())).await.unwrap();
        app.mailer = accounts_core::mail::Mailer::new(app_mail_client(http.as_ref(), &calls).await, app.config.mail_from.clone());
        // Metric lines stay in memory, per app (tests/api/observability.rs reads them).
        app.metrics = accounts_core::metrics::Metrics::in_memory("Accounts/test");
        let app = Arc::new(app);
        // The ring's first key, as the first login of a deployed stack would start it; the
        // calls it took are not any request's.
        let start_up = calls.take();
        if app.kms.is_some() {
            accounts_core::services::signing::ensure_ring(&app).await.unwrap();
        }
        calls.take();
        calls.restore(start_up);
        let routes = Gateway::new(&app);
        Self { routes, app, clock, dynamo, table, bucket, calls }
    }

    /// The same table, bucket and clock served by a new cold start whose configuration
    /// `customise` changed (what a deploy that changes a setting does, e.g. a key rotation).
    pub async fn restarted(&self, customise: impl FnOnce(&mut Config)) -> Self {
        let mut config = self.app.config.clone();
        customise(&mut config);
        let calls = CallRecorder::new();
        let mut app = App::new_observed(config, &sdk_config().await, self.clock.clone(), Some(calls.interceptor())).await.unwrap();
        app.mailer = accounts_core::mail::Mailer::new(app_mail_client(None, &calls).await, app.config.mail_from.clone());
        app.metrics = accounts_core::metrics::Metrics::in_memory("Accounts/test");
        let app = Arc::new(app);
        let routes = Gateway::new(&app);
        Self {
            routes,
            app,
            clock: self.clock.clone(),
            dynamo: self.dynamo.clone(),
            table: self.table.clone(),
            bucket: self.bucket.clone(),
            calls,
        }
    }

    /// API Gateway's routing of this app (which function serves a path).
    pub fn gateway(&self) -> Gateway {
        self.routes.clone()
    }

    /// Sends a request to the function API Gateway would route it to.
    pub async fn send(&self, request: Request<Body>) -> Resp {
        let path = request.uri().path().to_owned();
        let router = self.routes.router_for(&path).unwrap_or_else(|| panic!("no function serves {path}"));
        let response = router.oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Resp { status, headers, body }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> Resp {
        self.call_from(None, method, path, body, token).await
    }

    /// [`TestApp::call`] as if API Gateway had seen the request come from `ip` (its request
    /// context's source IP; `None` is what in-process requests have: the address "unknown").
    pub async fn call_from(&self, ip: Option<&str>, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> Resp {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(ip) = ip {
            builder = builder.extension(request_context(ip));
        }
        if let Some(t) = token {
            builder = builder.header("authorization", format!("Bearer {t}"));
        }
        let request = match body {
            Some(b) => builder.header("content-type", "application/json").body(Body::from(b.to_string())).unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        };
        self.send(request).await
    }

    /// Sends a request authenticated with an API key in `X-API-Key`.
    pub async fn call_with_key(&self, method: &str, path: &str, body: Option<Value>, key: &str) -> Resp {
        let builder = Request::builder().method(method).uri(path).header("x-api-key", key);
        let request = match body {
            Some(b) => builder.header("content-type", "application/json").body(Body::from(b.to_string())).unwrap(),
            None => builder.body(Body::empty()).unwrap(),
        };
        self.send(request).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.call("GET", path, None, token).await
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Resp {
        self.call("POST", path, Some(body), token).await
    }

    /// Sends a raw body with the given content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> Resp {
        let request =
            Request::builder().method("POST").uri(path).header("content-type", content_type).body(Body::from(body.to_owned())).unwrap();
        self.send(request).await
    }

    pub fn new_identity(&self) -> (String, String) {
        let id = unique("");
        (format!("user_{}", &id[id.len() - 12..]), format!("{}@example.com", unique("u-")))
    }

    pub async fn register(&self, username: &str, email: &str, password: &str) -> Resp {
        self.post("/api/auth/register", serde_json::json!({"username": username, "email": email, "password": password}), None).await
    }

    pub async fn login(&self, login: &str, password: &str) -> Resp {
        let field = if login.contains('@') { "email" } else { "username" };
        self.post("/api/auth/login", serde_json::json!({field: login, "password": password}), None).await
    }

    /// Registers and signs in without activating.
    pub async fn unactivated_user(&self) -> TestUser {
        let (username, email) = self.new_identity();
        let r = self.register(&username, &email, PASSWORD).await;
        r.assert(201, None);
        let id = r.data()["id"].as_str().unwrap().to_owned();
        let l = self.login(&username, PASSWORD).await;
        l.assert(200, None);
        TestUser {
            id,
            username,
            email,
            access: l.data()["accessToken"].as_str().unwrap().into(),
            refresh: l.data()["refreshToken"].as_str().unwrap().into(),
        }
    }

    /// Registers, activates with the mailed code, and signs in.
    pub async fn user(&self) -> TestUser {
        let u = self.unactivated_user().await;
        let code = self.activation_code(&u.email).await;
        self.post("/api/auth/activate", serde_json::json!({"code": code}), Some(&u.access)).await.assert(200, None);
        u
    }

    /// An activated account with `role` (password [`PASSWORD`], address `<username>@example.com`)
    /// made as `accounts-admin create-admin` makes the first admin: the services'
    /// `create_account` with the `cli` actor. Its id.
    pub async fn account_as_cli(&self, username: &str, role: &str) -> String {
        use accounts_core::services::admin::{Actor, NewAccount, create_account};
        let input = NewAccount {
            username: username.into(),
            email: format!("{username}@example.com"),
            password: PASSWORD.into(),
            role: role.into(),
            email_verified: true,
        };
        let app = &self.app;
        let created = create_account(&app.store, &app.hasher, app.clock.as_ref(), None, Default::default(), &Actor::cli(), input).await;
        created.unwrap().user.id.to_string()
    }

    /// Every mail the emulator accepted for `to`, oldest first: `(subject, body)`.
    pub async fn mails_to(&self, to: &str) -> Vec<(String, String)> {
        let url = format!("{}/moto-api/data.json", mail_endpoint());
        // moto builds data.json from live objects without a lock: a table another test is
        // writing to at that moment can make it answer 500. Such a failure is transient: retry.
        let data: Value = tokio::task::spawn_blocking(move || {
            // The emulator dumps all its state here; under a loaded machine a read can fail: retry.
            let mut last_error = None;
            for attempt in 0..5 {
                // The dump grows with every test's data: lift ureq's 10 MiB default limit.
                match ureq::get(&url).call().map(|r| r.into_body().with_config().limit(1 << 30).read_to_string()) {
                    Ok(Ok(text)) => return serde_json::from_str(&text).unwrap(),
                    Ok(Err(e)) => last_error = Some(e.to_string()),
                    Err(e) => last_error = Some(e.to_string()),
                }
                std::thread::sleep(std::time::Duration::from_millis(200 << attempt));
            }
            panic!("reading mail from the emulator failed: {last_error:?}")
        })
        .await
        .unwrap();
        data["ses"]["Message"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m["destinations"]["ToAddresses"].as_array().is_some_and(|a| a.iter().any(|d| d == to)))
            .map(|m| (m["subject"].as_str().unwrap_or_default().to_owned(), m["body"].as_str().unwrap_or_default().to_owned()))
            .collect()
    }

    /// The metric lines this app wrote (embedded metric format), parsed.
    pub fn metric_lines(&self) -> Vec<Value> {
        self.app.metrics.lines().iter().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// How many of this app's metric lines count `name` (with `kind`, when given).
    pub fn metric_count(&self, name: &str, kind: Option<&str>) -> usize {
        self.metric_lines().iter().filter(|l| l[name] == 1 && kind.is_none_or(|k| l["kind"] == k)).count()
    }

    pub async fn last_mail(&self, to: &str) -> (String, String) {
        self.mails_to(to).await.pop().unwrap_or_else(|| panic!("no mail to {to}"))
    }

    /// The 6-digit code in the newest activation mail.
    pub async fn activation_code(&self, to: &str) -> String {
        let (_, body) = self.last_mail(to).await;
        // The code is the emphasised element; the greeting's username may hold digits too.
        let emphasised = body.split_once("<strong>").map_or(body.as_str(), |(_, rest)| rest);
        six_digits(emphasised).unwrap_or_else(|| panic!("no code in {body}"))
    }

    /// The `token=` value of the newest mail's link.
    pub async fn mailed_token(&self, to: &str) -> String {
        let (_, body) = self.last_mail(to).await;
        let start = body.find("token=").expect("a link with a token") + 6;
        body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
    }

    /// Every item of this test's table (tests only: requests never scan).
    /// Every item but the signing-key ring (which `spawn` started before any request).
    pub async fn all_items(&self) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let items = self.dynamo.scan().table_name(&self.table).send().await.unwrap().items.unwrap_or_default();
        items.into_iter().filter(|i| i.get("pk").and_then(|v| v.as_s().ok()).map(String::as_str) != Some("SIGNING")).collect()
    }

    /// Sets attributes on a user item directly (for states no endpoint creates yet).
    pub async fn set_user_attr(&self, user_id: &str, name: &str, value: aws_sdk_dynamodb::types::AttributeValue) {
        self.dynamo
            .update_item()
            .table_name(&self.table)
            .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("USER#{user_id}")))
            .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("PROFILE".into()))
            .update_expression("SET #a = :v")
            .expression_attribute_names("#a", name)
            .expression_attribute_values(":v", value)
            .send()
            .await
            .unwrap();
    }
}

impl Drop for TestApp {
    /// No request path may scan the table (docs/table-design.md): checked after every test.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let scans = self.calls.take().into_iter().filter(|c| c.service == "DynamoDB" && c.operation == "Scan").count();
        assert_eq!(scans, 0, "a request made {scans} DynamoDB Scan call(s); no request path may scan");
    }
}

fn six_digits(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5)).find_map(|i| {
        let window = &bytes[i..i + 6];
        let bounded = (i == 0 || !bytes[i - 1].is_ascii_digit()) && bytes.get(i + 6).is_none_or(|b| !b.is_ascii_digit());
        (bounded && window.iter().all(u8::is_ascii_digit)).then(|| String::from_utf8_lossy(window).into_owned())
    })
}

/// Creates `name` with the key schema, GSIs and TTL of template.yaml's Table resource, and its
/// `StreamSpecification` when `stream`.
pub async fn create_table_with(client: &aws_sdk_dynamodb::Client, name: &str, stream: bool) {
    let template: serde_yaml::Value = serde_yaml::from_str(include_str!("../../template.yaml")).unwrap();
    let props = &template["Resources"]["Table"]["Properties"];
    let attr_type = |t: &str| match t {
        "S" => ScalarAttributeType::S,
        "N" => ScalarAttributeType::N,
        _ => ScalarAttributeType::B,
    };
    let key_schema = |v: &serde_yaml::Value| -> Vec<KeySchemaElement> {
        v.as_sequence()
            .unwrap()
            .iter()
            .map(|k| {
                KeySchemaElement::builder()
                    .attribute_name(k["AttributeName"].as_str().unwrap())
                    .key_type(if k["KeyType"] == "HASH" { KeyType::Hash } else { KeyType::Range })
                    .build()
                    .unwrap()
            })
            .collect()
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&props["KeySchema"])));
    for a in props["AttributeDefinitions"].as_sequence().unwrap() {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(a["AttributeName"].as_str().unwrap())
                .attribute_type(attr_type(a["AttributeType"].as_str().unwrap()))
                .build()
                .unwrap(),
        );
    }
    for g in props["GlobalSecondaryIndexes"].as_sequence().into_iter().flatten() {
        let projection = match g["Projection"]["ProjectionType"].as_str() {
            Some("KEYS_ONLY") => Projection::builder().projection_type(ProjectionType::KeysOnly).build(),
            Some("INCLUDE") => Projection::builder()
                .projection_type(ProjectionType::Include)
                .set_non_key_attributes(Some(
                    g["Projection"]["NonKeyAttributes"].as_sequence().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect(),
                ))
                .build(),
            _ => Projection::builder().projection_type(ProjectionType::All).build(),
        };
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(g["IndexName"].as_str().unwrap())
                .set_key_schema(Some(key_schema(&g["KeySchema"])))
                .projection(projection)
                .build()
                .unwrap(),
        );
    }
    if stream {
        let view = match props["StreamSpecification"]["StreamViewType"].as_str().expect("template.yaml's Table has a stream") {
            "NEW_IMAGE" => aws_sdk_dynamodb::types::StreamViewType::NewImage,
            "NEW_AND_OLD_IMAGES" => aws_sdk_dynamodb::types::StreamViewType::NewAndOldImages,
            other => panic!("the events function needs new images, not {other}"),
        };
        request = request.stream_specification(
            aws_sdk_dynamodb::types::StreamSpecification::builder().stream_enabled(true).stream_view_type(view).build().unwrap(),
        );
    }
    request.send().await.unwrap();
}

#[test]
fn six_digit_codes_are_found_only_alone() {
    assert_eq!(six_digits("<strong>123456</strong>"), Some("123456".into()));
    assert_eq!(six_digits("1234567 and 654321."), Some("654321".into()));
    assert_eq!(six_digits("no code"), None);
}
