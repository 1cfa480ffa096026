//! `App`: configuration, clock and every adapter, built once per cold start and shared by
//! all requests as `Arc<App>`. No global statics, so tests build their own.

use crate::avatars::AvatarObjects;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, KeySetSource};
use crate::crypto::SecretBox;
use crate::domain::Secret;
use crate::kms::Kms;
use crate::mail::Mailer;
use crate::objects::ObjectStore;
use crate::passwords::PasswordHasher;
use crate::payments::PaymentProvider;
use crate::secrets::{CodePepper, KeySet};
use crate::store::Store;
use crate::tokens::{AccessTokens, KeyCache, PurposeTokens};
use anyhow::Context as _;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub struct App {
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub store: Store,
    /// S3, for avatars and uploads (path-style when pointed at a local emulator).
    pub s3: aws_sdk_s3::Client,
    /// Uploaded objects: presigned URLs, existence checks, deletion.
    pub objects: ObjectStore,
    /// Where subscription payments go (`PAYMENT_PROVIDER`: none, or the sandbox when chosen).
    pub payments: Arc<dyn PaymentProvider>,
    /// Avatar objects in `config.bucket_name`.
    pub avatars: AvatarObjects,
    pub mailer: Mailer,
    pub hasher: PasswordHasher,
    /// The MFA step token of a login: HS256 under a key derived from the code pepper, so only
    /// functions with the pepper (auth) mint or check one; `None` without a pepper.
    pub purpose_tokens: Option<PurposeTokens>,
    /// Builds and verifies RS256 access tokens (the keys come from `keys`).
    pub access_tokens: AccessTokens,
    /// This instance's copy of the signing-key ring.
    pub keys: KeyCache,
    /// KMS, where access tokens are signed: only with `SIGNING_KEY` (the issuing function).
    pub kms: Option<Kms>,
    /// Keys the hashes of codes and the mail counters (`CODE_PEPPER`); `None` in a function
    /// that is not given it (see [`App::code_pepper`]).
    pub pepper: Option<CodePepper>,
    /// Encrypts secrets kept at rest, the TOTP seeds (`MFA_SEAL_KEY`); `None` in a function
    /// that is not given it (see [`App::secret_box`]).
    pub secrets: Option<SecretBox>,
    /// The Pwned Passwords range client (`BREACHED_PASSWORD_CHECK=hibp`); `None` when off.
    pub breached: Option<crate::breached::BreachedPasswords>,
    /// The captcha provider's token verification (`CAPTCHA_PROVIDER`); `None`: the built-in image.
    pub captcha_provider: Option<crate::captcha::ProviderVerifier>,
    /// Sign-ups, sign-ins, failures, lockouts, mail outcomes, purge runs: embedded-metric lines.
    pub metrics: crate::metrics::Metrics,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Attempts per AWS operation (the first one and two retries), for every client.
pub const SDK_MAX_ATTEMPTS: u32 = 3;
/// The base of the first retry's backoff (standard mode: a random delay up to this, then up
/// to twice as long, capped by the SDK's 20 s maximum).
pub const SDK_INITIAL_BACKOFF: Duration = Duration::from_millis(20);
/// Connecting, one attempt, and one operation with all its retries. The operation budget is
/// half the HTTP functions' Lambda timeout (template.yaml `Globals.Function.Timeout`, 10 s),
/// so a request that makes one slow call still answers `503` itself instead of timing out.
pub const SDK_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
pub const SDK_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
pub const SDK_OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// SDK settings for an API: a fast first retry, [`SDK_MAX_ATTEMPTS`] attempts, and a total
/// budget well under the Lambda timeout (10 s), so a slow dependency becomes a 503, not a
/// Lambda timeout. The reasoning and what becomes a 503 are in docs/resilience.md.
pub fn sdk_settings(loader: aws_config::ConfigLoader) -> aws_config::ConfigLoader {
    sdk_settings_within(loader, SDK_ATTEMPT_TIMEOUT, SDK_OPERATION_TIMEOUT)
}

/// [`sdk_settings`] with other attempt and operation budgets (the operator command's bulk
/// import and export are not bound by a Lambda timeout).
pub fn sdk_settings_within(loader: aws_config::ConfigLoader, attempt: Duration, operation: Duration) -> aws_config::ConfigLoader {
    loader
        .retry_config(RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS).with_initial_backoff(SDK_INITIAL_BACKOFF))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(SDK_CONNECT_TIMEOUT)
                .operation_attempt_timeout(attempt)
                .operation_timeout(operation)
                .build(),
        )
}

impl App {
    /// Production start-up: config → SDK clients → signing key → warm connection.
    pub async fn from_config(config: Config) -> anyhow::Result<Arc<Self>> {
        Self::from_config_timed(config, &mut InitPhases::default()).await
    }

    /// [`App::from_config`], noting how long each of its steps took in `phases`.
    async fn from_config_timed(config: Config, phases: &mut InitPhases) -> anyhow::Result<Arc<Self>> {
        let mut step = std::time::Instant::now();
        let mut loader = sdk_settings(aws_config::defaults(BehaviorVersion::latest()));
        if let Some(url) = &config.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        phases.sdk_config = InitPhases::lap(&mut step);
        let app = Arc::new(Self::new(config, &sdk, Arc::new(SystemClock)).await?);
        phases.clients = InitPhases::lap(&mut step);
        // The first call warms the DynamoDB connection and loads the signing-key ring, so no
        // request pays for either.
        if let Err(e) = crate::services::signing::load(&app).await {
            tracing::warn!(error = format!("{e:#}"), "warm-up read of the key ring failed");
        }
        phases.warm_up = InitPhases::lap(&mut step);
        Ok(app)
    }

    /// Builds the app from explicit parts (tests pass their own SDK config and clock).
    pub async fn new(config: Config, sdk: &SdkConfig, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        Self::new_observed(config, sdk, clock, None).await
    }

    /// [`App::new`] with `interceptor` on the DynamoDB, S3 and SES clients (tests and
    /// benchmarks count and time the calls of a request with it).
    pub async fn new_observed(
        mut config: Config,
        sdk: &SdkConfig,
        clock: Arc<dyn Clock>,
        interceptor: Option<aws_sdk_dynamodb::config::SharedInterceptor>,
    ) -> anyhow::Result<Self> {
        let mut dynamo = aws_sdk_dynamodb::config::Builder::from(sdk);
        let mut ses = aws_sdk_ses::config::Builder::from(sdk);
        // Emulators serve buckets by path, not by virtual host.
        let mut kms = aws_sdk_kms::config::Builder::from(sdk);
        let mut s3 = aws_sdk_s3::config::Builder::from(sdk).force_path_style(config.endpoint_url.is_some() || sdk.endpoint_url().is_some());
        let mut ssm = aws_sdk_ssm::config::Builder::from(sdk);
        if let Some(i) = interceptor {
            dynamo.push_interceptor(i.clone());
            ses.push_interceptor(i.clone());
            kms.push_interceptor(i.clone());
            ssm.push_interceptor(i.clone());
            s3.push_interceptor(i);
        }
        let dynamo = aws_sdk_dynamodb::Client::from_conf(dynamo.build());
        let ses = aws_sdk_ses::Client::from_conf(ses.build());
        let s3 = aws_sdk_s3::Client::from_conf(s3.build());
        // Every secret named by a parameter comes from one SSM call.
        let parameters = read_parameters(&aws_sdk_ssm::Client::from_conf(ssm.build()), &named_parameters(&config)).await?;
        if let Some(name) = &config.jwt_issuer_parameter {
            let value = parameter(&parameters, "JWT_ISSUER_PARAMETER", name)?.expose().trim().trim_end_matches('/').to_owned();
            anyhow::ensure!(url::Url::parse(&value).is_ok_and(|u| u.scheme() == "https"), "JWT_ISSUER_PARAMETER must hold an https URL");
            if config.public_base_url.is_empty() {
                config.public_base_url = value.clone();
            }
            config.jwt_issuer = value;
        }
        if let Some(name) = &config.coupons_parameter {
            // The error names the variable and parameter, never the codes.
            config.coupons = crate::domain::Coupon::parse_list(parameter(&parameters, "COUPONS_PARAMETER", name)?.expose())
                .map_err(|_| anyhow::anyhow!("COUPONS_PARAMETER {name} must hold CODE:PERCENT[:MONTHS][,...]"))?;
        }
        let pepper = key_set(&parameters, "CODE_PEPPER_PARAMETER", config.code_pepper.as_ref())?.map(CodePepper::new);
        let purpose_tokens = pepper.as_ref().map(|p| {
            let (id, key) = p.derive("purpose-token");
            PurposeTokens::new(&id, &key, &config.jwt_issuer, &config.jwt_audience)
        });
        let secrets =
            key_set(&parameters, "MFA_SEAL_KEY_PARAMETER", config.mfa_seal_key.as_ref())?.map(|keys| SecretBox::new(&keys)).transpose()?;
        let breached = match &config.passwords.breached {
            crate::config::BreachedPasswordCheck::Off => None,
            crate::config::BreachedPasswordCheck::Hibp { range_url, timeout_ms, .. } => {
                Some(crate::breached::BreachedPasswords::new(crate::outbound::OutboundClient::new()?, range_url, *timeout_ms))
            }
        };
        let captcha_provider = match &config.captcha {
            crate::config::CaptchaSettings::Builtin => None,
            crate::config::CaptchaSettings::Provider { provider, secret, verify_url, timeout_ms } => {
                let secret = match secret {
                    crate::config::SecretSource::Value(v) => v.clone(),
                    crate::config::SecretSource::SsmParameter(name) => parameter(&parameters, "CAPTCHA_SECRET_PARAMETER", name)?.clone(),
                };
                let client = crate::outbound::OutboundClient::new()?;
                Some(crate::captcha::ProviderVerifier::new(*provider, client, secret, verify_url.as_deref(), *timeout_ms))
            }
        };
        Ok(Self {
            breached,
            captcha_provider,
            store: Store::new(dynamo, &config.table_name),
            objects: ObjectStore::new(s3.clone(), &config.bucket_name),
            payments: config.payment_provider.provider(),
            avatars: AvatarObjects::new(s3.clone(), &config.bucket_name),
            s3,
            mailer: Mailer::new(ses, config.mail_from.clone()).with_configuration_set(config.operations.mail_configuration_set.clone()),
            metrics: crate::metrics::Metrics::stdout(&config.operations.metrics_namespace),
            hasher: PasswordHasher::new(config.hash_cost).with_floor(config.password_check_floor),
            purpose_tokens,
            access_tokens: AccessTokens::new(&config.jwt_issuer, &config.jwt_audience),
            keys: KeyCache::default(),
            kms: config.signing_kms_key.is_some().then(|| Kms::new(aws_sdk_kms::Client::from_conf(kms.build()))),
            pepper,
            secrets,
            clock,
            config,
        })
    }

    pub fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    /// Counts one `metric` now (an embedded-metric log line: no call).
    pub fn count(&self, metric: crate::metrics::Metric) {
        self.metrics.count(metric, self.now_ms());
    }

    /// Counts one mail of `kind` with what became of it, in total and per kind.
    pub fn count_mail(&self, outcome: crate::metrics::MailOutcome, kind: &str) {
        self.metrics.mail(outcome, kind, self.now_ms());
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().unix_timestamp_nanos().checked_div(1_000_000).and_then(|ms| i64::try_from(ms).ok()).unwrap_or(0)
    }

    /// The code pepper. A function that is not given one (template.yaml gives it only to the
    /// functions that hash codes or send mail) answers 500 and logs which setting it lacks.
    pub fn code_pepper(&self) -> crate::Result<&CodePepper> {
        self.pepper.as_ref().ok_or_else(|| crate::Error::internal(anyhow::anyhow!("CODE_PEPPER (or CODE_PEPPER_PARAMETER) is not set")))
    }

    /// The MFA step tokens; like [`App::code_pepper`] (they are keyed by it).
    pub fn purpose_tokens(&self) -> crate::Result<&PurposeTokens> {
        self.purpose_tokens
            .as_ref()
            .ok_or_else(|| crate::Error::internal(anyhow::anyhow!("CODE_PEPPER (or CODE_PEPPER_PARAMETER) is not set")))
    }

    /// The box that seals TOTP seeds; like [`App::code_pepper`], for `MFA_SEAL_KEY`.
    pub fn secret_box(&self) -> crate::Result<&SecretBox> {
        self.secrets.as_ref().ok_or_else(|| crate::Error::internal(anyhow::anyhow!("MFA_SEAL_KEY (or MFA_SEAL_KEY_PARAMETER) is not set")))
    }
}

// ---- secrets from SSM ---------------------------------------------------------------------------

/// `(variable, parameter name)` of every secret `config` names by an SSM parameter.
fn named_parameters(config: &Config) -> Vec<(&'static str, &str)> {
    let mut named = Vec::new();
    if let Some(name) = &config.jwt_issuer_parameter {
        named.push(("JWT_ISSUER_PARAMETER", name.as_str()));
    }
    if let Some(KeySetSource::SsmParameter(name)) = &config.code_pepper {
        named.push(("CODE_PEPPER_PARAMETER", name.as_str()));
    }
    if let Some(KeySetSource::SsmParameter(name)) = &config.mfa_seal_key {
        named.push(("MFA_SEAL_KEY_PARAMETER", name.as_str()));
    }
    if let Some(name) = &config.coupons_parameter {
        named.push(("COUPONS_PARAMETER", name.as_str()));
    }
    named
}

/// The SecureStrings `wanted` names, decrypted, in one `GetParameters` call (none when nothing
/// is named), by parameter name. A parameter that does not exist is named with its variable.
async fn read_parameters(ssm: &aws_sdk_ssm::Client, wanted: &[(&'static str, &str)]) -> anyhow::Result<HashMap<String, Secret>> {
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let mut names: Vec<String> = wanted.iter().map(|(_, name)| (*name).to_owned()).collect();
    names.sort();
    names.dedup();
    let variables = wanted.iter().map(|(var, name)| format!("{var} {name}")).collect::<Vec<_>>().join(", ");
    let out =
        ssm.get_parameters().set_names(Some(names)).with_decryption(true).send().await.with_context(|| format!("reading {variables}"))?;
    let found: HashMap<String, Secret> =
        out.parameters().iter().filter_map(|p| Some((p.name()?.to_owned(), Secret::new(p.value()?)))).collect();
    for (var, name) in wanted {
        anyhow::ensure!(found.contains_key(*name), "{var} {name}: no such parameter, or it has no value");
    }
    Ok(found)
}

fn parameter<'a>(parameters: &'a HashMap<String, Secret>, var: &str, name: &str) -> anyhow::Result<&'a Secret> {
    parameters.get(name).with_context(|| format!("{var} {name} was not read"))
}

/// The key set of a versioned secret: the configured value, or the parameter's, parsed.
fn key_set(parameters: &HashMap<String, Secret>, var: &str, source: Option<&KeySetSource>) -> anyhow::Result<Option<KeySet>> {
    match source {
        None => Ok(None),
        Some(KeySetSource::Value(keys)) => Ok(Some(keys.clone())),
        Some(KeySetSource::SsmParameter(name)) => {
            let keys = KeySet::parse(parameter(parameters, var, name)?.expose())
                .map_err(|e| anyhow::anyhow!("{var} {name} must hold id:secret[,id:secret...]: {e}"))?;
            Ok(Some(keys))
        }
    }
}

/// Logging for a function at `level` (from `LOG_LEVEL`), no ANSI colours in CloudWatch.
///
/// `LOG_FORMAT=json` (the default) writes one JSON object a line with tracing-subscriber's JSON
/// formatter (the `json` feature `lambda_runtime`'s tracing support already enables): the
/// event's fields at the top (`level`, `message`, ...), `span` the innermost span (the
/// request's: `request_id`, the API Gateway request id every answer carries as `x-request-id`,
/// `method`, `path`) and `spans` every open one, outermost first: `function` (the function's
/// name, [`function_span`]), then `Lambda runtime invoke` (`requestId`, Lambda's own). `text`
/// is the compact human form (`make dev`).
///
/// The runtime, the AWS SDK and the HTTP/TLS crates stay at `info` at most whatever the level:
/// at `trace` `lambda_runtime` logs every raw event (request bodies with passwords, tokens,
/// cookies) and the SDK and HTTP stacks log bodies and headers (issue 22, finding 9;
/// `functions/auth/tests/trace_logs.rs`). Targets match by prefix, so `aws_` covers every SDK crate.
pub fn init_logging(level: &str, format: crate::config::LogFormat) {
    use lambda_http::tracing::subscriber::{self, layer::SubscriberExt as _, util::SubscriberInitExt as _};
    let _ = subscriber::registry().with(logging_layer(level, format, std::io::stdout)).try_init();
}

/// The layer [`init_logging`] installs, writing to `writer` (tests capture the lines with it).
pub fn logging_layer<S, W>(
    level: &str,
    format: crate::config::LogFormat,
    writer: W,
) -> Box<dyn lambda_http::tracing::subscriber::Layer<S> + Send + Sync>
where
    S: lambda_http::tracing::Subscriber + for<'a> lambda_http::tracing::subscriber::registry::LookupSpan<'a>,
    W: for<'w> lambda_http::tracing::subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use lambda_http::tracing::subscriber::filter::{LevelFilter, Targets};
    use lambda_http::tracing::subscriber::{self, Layer as _};
    const WIRE_TARGETS: [&str; 9] = ["lambda_runtime", "lambda_http", "aws_", "hyper", "h2", "rustls", "tower", "axum", "http"];
    let level = level.parse::<LevelFilter>().unwrap_or(LevelFilter::INFO);
    let wire = level.min(LevelFilter::INFO);
    let filter = Targets::new().with_default(level).with_targets(WIRE_TARGETS.map(|t| (t, wire)));
    match format {
        crate::config::LogFormat::Json => subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .with_target(false)
            .with_writer(writer)
            .with_filter(filter)
            .boxed(),
        crate::config::LogFormat::Text => {
            subscriber::fmt::layer().with_target(false).with_ansi(false).without_time().with_writer(writer).with_filter(filter).boxed()
        }
    }
}

/// The span every line of a function instance is logged in: `function` = its name
/// (`AWS_LAMBDA_FUNCTION_NAME`, else the binary's), so logs of several functions can be told
/// apart once they are read together.
pub fn function_span(config: &Config) -> tracing::Span {
    let name = config
        .operations
        .function_name
        .clone()
        .unwrap_or_else(|| std::env::args().next().and_then(|p| p.rsplit('/').next().map(str::to_owned)).unwrap_or_default());
    tracing::info_span!("function", function = %name)
}

/// How long each step of a cold start took, logged once as one line (`cold start phases`) when
/// the function is ready for its first event: `make bench` reads it to say where a cold start's
/// time goes (docs/benchmarks.md). Taking the times costs a few clock reads per cold start and
/// nothing per request.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct InitPhases {
    /// `Config::from_env`.
    pub config: Duration,
    /// The tracing subscriber.
    pub logging: Duration,
    /// `aws_config` defaults: region, credentials chain, retry/timeout settings, HTTP client.
    pub sdk_config: Duration,
    /// [`App::new`]: the SDK clients, the one SSM `GetParameters` when a secret is named there,
    /// keys parsed.
    pub clients: Duration,
    /// The warm-up call: the signing-key ring's `GetItem` (the first connection to DynamoDB).
    pub warm_up: Duration,
    /// The function's router.
    pub router: Duration,
}

impl InitPhases {
    /// The time since `*step`, which moves to now.
    fn lap(step: &mut std::time::Instant) -> Duration {
        let now = std::time::Instant::now();
        let elapsed = now.duration_since(*step);
        *step = now;
        elapsed
    }

    fn log(&self) {
        let us = |d: Duration| d.as_micros() as u64;
        let total = self.config + self.logging + self.sdk_config + self.clients + self.warm_up + self.router;
        tracing::info!(
            config_us = us(self.config),
            logging_us = us(self.logging),
            sdk_config_us = us(self.sdk_config),
            clients_us = us(self.clients),
            warm_up_us = us(self.warm_up),
            router_us = us(self.router),
            total_us = us(total),
            "cold start phases"
        );
    }
}

/// A cold start: configuration, logging at its level, then the app. A failure is logged once,
/// with its chain, before the runtime reports it.
async fn start(phases: &mut InitPhases) -> Result<Arc<App>, lambda_http::Error> {
    let mut step = std::time::Instant::now();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            init_logging("info", crate::config::LogFormat::Json);
            tracing::error!(error = %e, "start-up failed");
            return Err(e.into());
        }
    };
    phases.config = InitPhases::lap(&mut step);
    init_logging(&config.log_level, config.operations.log_format);
    phases.logging = InitPhases::lap(&mut step);
    App::from_config_timed(config, phases).await.map_err(|e| {
        tracing::error!(error = format!("{e:#}"), "start-up failed");
        e.into()
    })
}

/// What every function's `main` does: logging, the app, the group's router, the runtime.
pub async fn serve(router: fn(Arc<App>) -> axum::Router) -> Result<(), lambda_http::Error> {
    let mut phases = InitPhases::default();
    let app = start(&mut phases).await?;
    let span = function_span(&app.config);
    let mut step = std::time::Instant::now();
    let router = router(app);
    phases.router = InitPhases::lap(&mut step);
    phases.log();
    tracing::Instrument::instrument(lambda_http::run(router), span).await
}

/// The scheduled `purge` function: each invocation purges what is due and stops 5 s before the
/// Lambda deadline, logging one summary line and returning it (for `cargo lambda invoke`).
pub async fn serve_purge() -> Result<(), lambda_http::Error> {
    use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
    let mut phases = InitPhases::default();
    let app = start(&mut phases).await?;
    phases.log();
    let span = function_span(&app.config);
    let run = lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let app = app.clone();
        async move {
            let now_ms =
                || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(u64::MAX);
            let started = now_ms();
            // Lambda always sends a future deadline; local emulators may send none (0): then a
            // run gets a fixed 60 s budget.
            let deadline_ms = match event.context.deadline {
                d if d > started => d,
                _ => {
                    tracing::warn!("no usable invocation deadline; using a 60 s budget");
                    started + 60_000
                }
            };
            tracing::info!(budget_ms = deadline_ms - started, "purge started");
            let should_stop = move || now_ms().saturating_add(5_000) >= deadline_ms;
            let report = crate::services::purge::run(&app, should_stop).await.map_err(|e| {
                tracing::error!(error = %e, "purge failed");
                lambda_http::Error::from(e.to_string())
            })?;
            tracing::info!(
                deleted = report.deleted,
                unverified = report.unverified,
                skipped = report.skipped,
                stale_uploads = report.stale_uploads,
                released_holds = report.released_holds,
                items = report.items,
                objects = report.objects,
                complete = report.complete,
                "purge summary"
            );
            // The PurgeNotSucceeding alarm waits for this (two hours without one).
            app.count(crate::metrics::Metric::PurgeRuns);
            Ok::<_, lambda_http::Error>(serde_json::json!({
                "deleted": report.deleted, "unverified": report.unverified, "skipped": report.skipped, "staleUploads": report.stale_uploads,
                "releasedHolds": report.released_holds, "items": report.items, "objects": report.objects, "complete": report.complete,
            }))
        }
    }));
    tracing::Instrument::instrument(run, span).await
}

/// The `mail-events` function: SES bounce and complaint notifications, delivered by SNS, go to
/// the suppression list ([`crate::services::suppression::record_notifications`]). A record it
/// could not store fails the invocation, so Lambda retries it and then sends it to the DLQ.
pub async fn serve_mail_events() -> Result<(), lambda_http::Error> {
    use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
    let mut phases = InitPhases::default();
    let app = start(&mut phases).await?;
    phases.log();
    let span = function_span(&app.config);
    let run = lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let app = app.clone();
        async move {
            let report = crate::services::suppression::record_notifications(&app, &event.payload).await.map_err(|e| {
                tracing::error!(error = %e, "mail notifications not recorded");
                lambda_http::Error::from(e.to_string())
            })?;
            Ok::<_, lambda_http::Error>(serde_json::json!({"suppressed": report.suppressed, "ignored": report.ignored}))
        }
    }));
    tracing::Instrument::instrument(run, span).await
}

/// `(path prefix, router)` for every function, the first that matches wins, as API Gateway (template.yaml) and the
/// `cargo lambda watch` router send paths to them: what tests and the bench drive in process.
#[cfg(feature = "test-support")]
pub fn gateway_routes(app: &std::sync::Arc<crate::App>) -> Vec<(&'static str, axum::Router)> {
    vec![
        ("/api/auth", crate::api::auth::router(app.clone())),
        ("/.well-known", crate::api::auth::router(app.clone())),
        ("/api/users", crate::api::users::router(app.clone())),
        ("/api/api-keys", crate::api::api_keys::router(app.clone())),
        ("/api/uploads", crate::api::uploads::router(app.clone())),
        ("/api/plans", crate::api::billing::router(app.clone())),
        ("/api/subscription", crate::api::billing::router(app.clone())),
        ("/api/admin", crate::api::admin::router(app.clone())),
        // Last: the `$default` route, every other path.
        ("", crate::web::router(app.clone())),
    ]
}
