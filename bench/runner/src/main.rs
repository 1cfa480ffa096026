//! `accounts-bench`: the in-process half of `make bench` (infra/bench.sh runs it in release).
//!
//! Builds the real `App` and routers against the emulator named by the environment (the same
//! `Config::from_env` the functions use; infra/bench.sh creates the table from template.yaml
//! with infra/bootstrap.py), with argon2id at OWASP parameters (`HashCost::OWASP`, as deployed)
//! and a [`CallRecorder`] on every SDK client. Then, for each endpoint, it sends warm requests
//! one after the other and records per request: the total time, the time spent inside SDK calls
//! (the emulator's share) and the AWS operations. It also times argon2id hashing on its own.
//! The results go, as JSON, to the file named by the first argument; infra/bench.py turns them
//! into docs/benchmarks.md and compares the DynamoDB calls with docs/table-design.md. Each
//! endpoint also reports what its last request sent to DynamoDB and got back (the [`Observer`]
//! interceptor), from which docs/cost.md counts the capacity units a request consumes.
//!
//! `accounts-bench seed-cold OUT.json` instead seeds the one public profile the cold-start
//! runs read (`GET /api/users/{id}`, for the `users` function and its Node.js and Python peers)
//! and writes its id.

use accounts_core::App;
use accounts_core::clock::SystemClock;
use accounts_core::config::{Config, HashCost};
use accounts_core::domain::Role;
use accounts_core::sdk_calls::{Call, CallRecorder};
use accounts_core::store::SeedUser;
use anyhow::{Context as _, bail};
use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents, SharedInterceptor};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use axum::Router;
use axum::body::Body;
use http::Request;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tower::ServiceExt as _;

const PASSWORD: &str = "Bench-Pass-2026";

/// What each DynamoDB call of a request sent and got back, as JSON (`{"operation", "request",
/// "response"}`): which items it wrote and read, for the capacity units in docs/cost.md.
#[derive(Debug, Clone, Default)]
struct Wire {
    log: Arc<Mutex<Vec<Value>>>,
}

impl Wire {
    fn take(&self) -> Vec<Value> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// The request body of the attempt under way (kept until its answer is read).
#[derive(Debug, Clone)]
struct SentBody(Value);

impl Storable for SentBody {
    type Storer = StoreReplace<Self>;
}

/// The SDK interceptor of the bench: the [`CallRecorder`] (operations and their time) and the
/// [`Wire`] log of DynamoDB bodies, in one (`App::new_observed` takes one interceptor).
#[derive(Debug, Clone)]
struct Observer {
    recorder: CallRecorder,
    wire: Wire,
}

fn is_dynamodb(cfg: &ConfigBag) -> bool {
    cfg.load::<Metadata>().is_some_and(|m| m.service() == "DynamoDB")
}

impl Intercept for Observer {
    fn name(&self) -> &'static str {
        "BenchObserver"
    }

    fn read_before_execution(&self, context: &BeforeSerializationInterceptorContextRef<'_>, cfg: &mut ConfigBag) -> Result<(), BoxError> {
        self.recorder.read_before_execution(context, cfg)
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if is_dynamodb(cfg) {
            let body = context.request().body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
            cfg.interceptor_state().store_put(SentBody(body));
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let (Some(SentBody(request)), Some(meta)) = (cfg.load::<SentBody>(), cfg.load::<Metadata>()) {
            let response = context.response().body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
            let entry = json!({"operation": meta.name(), "request": request, "response": response});
            self.wire.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(entry);
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.recorder.read_after_execution(context, runtime_components, cfg)
    }
}

/// A request to send: method, path (with query), JSON body, bearer token.
type Planned = (String, String, Option<Value>, Option<String>);

/// The routers of the functions, by the path prefix API Gateway sends to each.
struct Stack {
    app: Arc<App>,
    recorder: CallRecorder,
    wire: Wire,
    routes: Vec<(&'static str, Router)>,
    /// Every request gets its own client address, as from many clients, so per-address limits
    /// measure nothing here (they are tested in `make test`).
    next_ip: std::cell::Cell<u32>,
}

/// One measured request.
struct Sample {
    status: u16,
    total: Duration,
    calls: Vec<Call>,
    /// What its DynamoDB calls sent and got back ([`Wire`]).
    wire: Vec<Value>,
}

impl Stack {
    async fn new() -> anyhow::Result<Self> {
        let mut config = Config::from_env().map_err(|e| anyhow::anyhow!("{e}"))?;
        config.hash_cost = HashCost::OWASP;
        let mut loader = accounts_core::app::sdk_settings(aws_config::defaults(aws_config::BehaviorVersion::latest()));
        if let Some(url) = &config.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        let recorder = CallRecorder::new();
        let wire = Wire::default();
        let observer = SharedInterceptor::new(Observer { recorder: recorder.clone(), wire: wire.clone() });
        let app = Arc::new(App::new_observed(config, &sdk, Arc::new(SystemClock), Some(observer)).await?);
        accounts_core::services::signing::load(&app).await?;
        let routes = accounts_core::app::gateway_routes(&app);
        recorder.take();
        wire.take();
        Ok(Self { app, recorder, wire, routes, next_ip: std::cell::Cell::new(1) })
    }

    fn request(&self, method: &str, path: &str, body: Option<&Value>, token: Option<&str>) -> anyhow::Result<Request<Body>> {
        use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription};
        let n = self.next_ip.get();
        self.next_ip.set(n.wrapping_add(1));
        let mut description = ApiGatewayV2httpRequestContextHttpDescription::default();
        description.source_ip = Some(format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff));
        description.user_agent = Some("accounts-bench".into());
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.http = description;
        let mut builder = Request::builder().method(method).uri(path).header("user-agent", "accounts-bench");
        if let Some(t) = token {
            builder = builder.header("authorization", format!("Bearer {t}"));
        }
        let mut request = match body {
            Some(b) => builder.header("content-type", "application/json").body(Body::from(b.to_string()))?,
            None => builder.body(Body::empty())?,
        };
        request.extensions_mut().insert(lambda_http::request::RequestContext::ApiGatewayV2(context));
        Ok(request)
    }

    /// Sends one request to the router API Gateway would pick, timing it and taking its calls.
    async fn send(&self, method: &str, path: &str, body: Option<&Value>, token: Option<&str>) -> anyhow::Result<(Sample, Value)> {
        let router = self
            .routes
            .iter()
            .find(|(prefix, _)| path == *prefix || path.starts_with(&format!("{prefix}/")) || path.starts_with(&format!("{prefix}?")))
            .map(|(_, r)| r.clone())
            .with_context(|| format!("no function serves {path}"))?;
        let request = self.request(method, path, body, token)?;
        self.recorder.take();
        self.wire.take();
        let started = Instant::now();
        let response = router.oneshot(request).await?;
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await?;
        let total = started.elapsed();
        let calls = self.recorder.take();
        let wire = self.wire.take();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((Sample { status, total, calls, wire }, body))
    }

    /// An unmeasured request (set-up), which must answer `expected`.
    async fn call(&self, method: &str, path: &str, body: Option<Value>, token: Option<&str>, expected: u16) -> anyhow::Result<Value> {
        let (sample, body) = self.send(method, path, body.as_ref(), token).await?;
        if sample.status != expected {
            bail!("set-up {method} {path}: expected {expected}, got {}: {body}", sample.status);
        }
        Ok(body)
    }

    async fn login(&self, username: &str) -> anyhow::Result<(String, String)> {
        let a = self.call("POST", "/api/auth/login", Some(json!({"username": username, "password": PASSWORD})), None, 200).await?;
        let token = |name: &str| a["data"][name].as_str().map(str::to_owned).with_context(|| format!("login answer without {name}"));
        Ok((token("accessToken")?, token("refreshToken")?))
    }
}

/// What one endpoint's measurement reports.
struct Endpoint {
    /// `METHOD /path` as in the docs.
    name: String,
    /// The first cell of its row in docs/table-design.md's "calls per request" table.
    doc_row: &'static str,
    expected_status: u16,
    /// Mostly argon2: handler time here is the password hash, not our code.
    argon2: bool,
    samples: Vec<Sample>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl Endpoint {
    fn report(&self) -> Value {
        let mut totals: Vec<f64> = self.samples.iter().map(|s| millis(s.total)).collect();
        let sdk = |s: &Sample| s.calls.iter().map(|c| c.elapsed).sum::<Duration>();
        let mut overheads: Vec<f64> = self.samples.iter().map(|s| millis(s.total.saturating_sub(sdk(s)))).collect();
        let mut sdk_times: Vec<f64> = self.samples.iter().map(|s| millis(sdk(s))).collect();
        for v in [&mut totals, &mut overheads, &mut sdk_times] {
            v.sort_by(f64::total_cmp);
        }
        let mut statuses = BTreeMap::<String, usize>::new();
        let mut dynamo_counts = BTreeMap::<usize, usize>::new();
        let mut operations = BTreeMap::<String, usize>::new();
        for s in &self.samples {
            *statuses.entry(s.status.to_string()).or_default() += 1;
            *dynamo_counts.entry(s.calls.iter().filter(|c| c.service == "DynamoDB").count()).or_default() += 1;
            for c in &s.calls {
                *operations.entry(format!("{}:{}", c.service, c.operation)).or_default() += 1;
            }
        }
        // Calls that overlap (parallel queries) make "total - SDK time" an underestimate.
        let n = self.samples.len().max(1) as f64;
        json!({
            "name": self.name,
            "docRow": self.doc_row,
            "argon2": self.argon2,
            "expectedStatus": self.expected_status,
            "requests": self.samples.len(),
            "statuses": statuses,
            "totalMs": {"p50": percentile(&totals, 0.5), "p99": percentile(&totals, 0.99)},
            "sdkMs": {"p50": percentile(&sdk_times, 0.5), "p99": percentile(&sdk_times, 0.99)},
            "overheadMs": {"p50": percentile(&overheads, 0.5), "p99": percentile(&overheads, 0.99)},
            "dynamoCalls": dynamo_counts.iter().map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
            "operationsPerRequest": operations.iter().map(|(k, v)| (k.clone(), (*v as f64) / n)).collect::<BTreeMap<_, _>>(),
            "dynamoWire": self.samples.last().map(|s| s.wire.clone()).unwrap_or_default(),
        })
    }
}

struct Bench<'a> {
    stack: &'a Stack,
    /// Requests per endpoint (argon2-bound endpoints use `slow`).
    fast: usize,
    slow: usize,
    results: Vec<Endpoint>,
}

impl Bench<'_> {
    /// Measures `count` requests built by `make` (warm-up requests first, unmeasured).
    async fn measure<F>(&mut self, name: &str, doc_row: &'static str, expected: u16, argon2: bool, mut make: F) -> anyhow::Result<()>
    where
        F: FnMut(usize) -> Planned,
    {
        let count = if argon2 { self.slow } else { self.fast };
        let warm_up = if argon2 { 2 } else { 5 };
        let mut samples = Vec::with_capacity(count);
        for i in 0..count + warm_up {
            let (method, path, body, token) = make(i);
            let (sample, answer) = self.stack.send(&method, &path, body.as_ref(), token.as_deref()).await?;
            if sample.status >= 500 {
                bail!("{name}: {} {answer}", sample.status);
            }
            if i >= warm_up {
                samples.push(sample);
            }
        }
        self.results.push(Endpoint { name: name.to_owned(), doc_row, expected_status: expected, argon2, samples });
        Ok(())
    }

    /// Like [`Bench::measure`] for requests built beforehand (their set-up needs requests of
    /// its own, done unmeasured).
    async fn measure_prepared(&mut self, name: &str, doc_row: &'static str, expected: u16, requests: Vec<Planned>) -> anyhow::Result<()> {
        let mut samples = Vec::with_capacity(requests.len());
        for (method, path, body, token) in requests {
            let (sample, answer) = self.stack.send(&method, &path, body.as_ref(), token.as_deref()).await?;
            if sample.status >= 500 {
                bail!("{name}: {} {answer}", sample.status);
            }
            samples.push(sample);
        }
        self.results.push(Endpoint { name: name.to_owned(), doc_row, expected_status: expected, argon2: false, samples });
        Ok(())
    }
}

fn req(method: &str, path: impl Into<String>, body: Option<Value>, token: Option<&str>) -> Planned {
    (method.to_owned(), path.into(), body, token.map(str::to_owned))
}

async fn argon2_timing(app: &App, runs: usize) -> anyhow::Result<Value> {
    app.hasher.hash(PASSWORD).await?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        app.hasher.hash(PASSWORD).await?;
        times.push(millis(started.elapsed()));
    }
    times.sort_by(f64::total_cmp);
    let c = app.config.hash_cost;
    Ok(json!({
        "params": format!("argon2id m={} KiB, t={}, p={}", c.memory_kib, c.iterations, c.parallelism),
        "owasp": c == HashCost::OWASP,
        "runs": runs,
        "medianMs": percentile(&times, 0.5),
        "minMs": times.first().copied().unwrap_or_default(),
        "maxMs": times.last().copied().unwrap_or_default(),
    }))
}

async fn run(out: &str, fast: usize, slow: usize) -> anyhow::Result<()> {
    let stack = Stack::new().await?;
    let app = stack.app.clone();
    let argon2 = argon2_timing(&app, 15).await?;

    // Accounts: seeded directly (activated, OWASP hash) so the set-up costs no mail.
    let tag = ulid::Ulid::new().to_string().to_lowercase();
    let hash = app.hasher.hash(PASSWORD).await?;
    let now = time::OffsetDateTime::from_unix_timestamp(app.now())?;
    let seed = |i: usize, role: Role| SeedUser {
        username: format!("b{}_{i}", &tag[tag.len() - 8..]),
        email: format!("bench-{}-{i}@example.com", &tag[tag.len() - 8..]),
        password_hash: hash.clone(),
        role,
        rating: 0,
    };
    let seeds: Vec<SeedUser> = (0..slow + 4).map(|i| seed(i, if i == 0 { Role::Admin } else { Role::User })).collect();
    let ids = app.store.seed_users(&seeds, now).await?;
    let main_user = seeds.get(1).context("no seeded user")?;
    let main_id = ids.get(1).context("no seeded user")?.to_string();
    let (access, _) = stack.login(&main_user.username).await?;
    let (admin_access, _) = stack.login(&seeds[0].username).await?;
    stack.recorder.take();

    let mut bench = Bench { stack: &stack, fast, slow, results: Vec::new() };
    let tok = Some(access.as_str());

    // auth
    bench.measure("GET /api/auth/captcha", "`GET /api/auth/captcha`", 200, false, |_| req("GET", "/api/auth/captcha", None, None)).await?;
    bench
        .measure("POST /api/auth/register", "`POST /api/auth/register`", 201, true, |i| {
            let body = json!({"username": format!("r{}_{i}", &tag[tag.len() - 10..]), "email": format!("reg-{tag}-{i}@example.com"), "password": PASSWORD});
            req("POST", "/api/auth/register", Some(body), None)
        })
        .await?;
    let username = main_user.username.clone();
    bench
        .measure("POST /api/auth/login", "`POST /api/auth/login`", 200, true, |_| {
            req("POST", "/api/auth/login", Some(json!({"username": username, "password": PASSWORD})), None)
        })
        .await?;
    bench.measure("GET /api/auth/status", "`GET /api/auth/status`", 200, false, |_| req("GET", "/api/auth/status", None, tok)).await?;

    // Refresh rotates: each request presents the token the previous one returned.
    let (_, mut token) = stack.login(&main_user.username).await?;
    let mut refresh_samples = Vec::new();
    for _ in 0..fast {
        let body = json!({"refreshToken": token});
        let (sample, answer) = stack.send("POST", "/api/auth/refresh", Some(&body), None).await?;
        token = match answer["data"]["refreshToken"].as_str() {
            Some(next) => next.to_owned(),
            // A refused rotation (its status is reported) ends the chain: start another.
            None => stack.login(&main_user.username).await?.1,
        };
        refresh_samples.push(sample);
    }
    bench.results.push(Endpoint {
        name: "POST /api/auth/refresh".into(),
        doc_row: "`POST /api/auth/refresh`",
        expected_status: 200,
        argon2: false,
        samples: refresh_samples,
    });

    // Logout ends a session: one fresh login per measured request (logins unmeasured).
    let mut logouts = Vec::new();
    for _ in 0..slow {
        let (a, _) = stack.login(&main_user.username).await?;
        logouts.push(req("POST", "/api/auth/logout", None, Some(&a)));
    }
    bench.measure_prepared("POST /api/auth/logout", "`POST /api/auth/logout`", 200, logouts).await?;

    // Forgot-password mails at most once a minute per account: one account per request.
    let forgot: Vec<_> =
        seeds.iter().skip(2).take(slow).map(|s| req("POST", "/api/auth/forgot-password", Some(json!({"email": s.email})), None)).collect();
    bench.measure_prepared("POST /api/auth/forgot-password", "`POST /api/auth/forgot-password`", 202, forgot).await?;

    // users
    bench.measure("GET /api/users/me", "`GET /api/users/me`", 200, false, |_| req("GET", "/api/users/me", None, tok)).await?;
    bench
        .measure("PATCH /api/users/me", "`PUT`/`PATCH /api/users/me`", 200, false, |i| {
            req("PATCH", "/api/users/me", Some(json!({"bio": format!("bio {i}")})), tok)
        })
        .await?;
    bench
        .measure("GET /api/users/me/settings", "`GET /api/users/me/settings`", 200, false, |_| {
            req("GET", "/api/users/me/settings", None, tok)
        })
        .await?;
    bench
        .measure("PUT /api/users/me/settings", "`PUT /api/users/me/settings`", 200, false, |i| {
            req("PUT", "/api/users/me/settings", Some(json!({"privacy": {"publicProfile": true, "showActivity": i % 2 == 0}})), tok)
        })
        .await?;
    let public = format!("/api/users/{main_id}");
    bench.measure("GET /api/users/{id}", "`GET /api/users/{id}`", 200, false, |_| req("GET", public.clone(), None, None)).await?;
    bench
        .measure("GET /api/users/me/sessions", "`GET /api/users/me/sessions`", 200, false, |_| {
            req("GET", "/api/users/me/sessions", None, tok)
        })
        .await?;
    bench
        .measure("GET /api/users/me/activity", "`GET /api/users/me/activity`", 200, false, |_| {
            req("GET", "/api/users/me/activity", None, tok)
        })
        .await?;
    bench
        .measure("GET /api/users/me/usage", "`GET /api/users/me/usage`", 200, false, |_| req("GET", "/api/users/me/usage", None, tok))
        .await?;
    bench
        .measure("GET /api/users/me/stats", "`GET /api/users/me/stats`", 200, false, |_| req("GET", "/api/users/me/stats", None, tok))
        .await?;

    // api-keys: create and revoke in turn, so the 10-key limit is never reached.
    bench.measure("GET /api/api-keys", "`GET /api/api-keys`", 200, false, |_| req("GET", "/api/api-keys", None, tok)).await?;
    let mut creates = Vec::new();
    let mut revokes = Vec::new();
    for i in 0..fast {
        let body = json!({"name": format!("bench {i}"), "scopes": ["read"]});
        let (sample, answer) = stack.send("POST", "/api/api-keys", Some(&body), tok).await?;
        let id = answer["data"]["id"].as_str().map(str::to_owned);
        creates.push(sample);
        // A refused creation (its status is reported) leaves nothing to revoke.
        if let Some(id) = id {
            let (sample, _) = stack.send("DELETE", &format!("/api/api-keys/{id}"), None, tok).await?;
            revokes.push(sample);
        }
    }
    bench.results.push(Endpoint {
        name: "POST /api/api-keys".into(),
        doc_row: "`POST /api/api-keys`",
        expected_status: 201,
        argon2: false,
        samples: creates,
    });
    bench.results.push(Endpoint {
        name: "DELETE /api/api-keys/{id}".into(),
        doc_row: "`DELETE /api/api-keys/{id}`",
        expected_status: 204,
        argon2: false,
        samples: revokes,
    });

    // uploads
    bench
        .measure("POST /api/uploads", "`POST /api/uploads`", 201, false, |i| {
            req("POST", "/api/uploads", Some(json!({"filename": format!("f{i}.txt"), "contentType": "text/plain", "size": 100})), tok)
        })
        .await?;
    bench.measure("GET /api/uploads", "`GET /api/uploads`", 200, false, |_| req("GET", "/api/uploads", None, tok)).await?;

    // billing
    bench.measure("GET /api/plans", "`GET /api/plans`", 200, false, |_| req("GET", "/api/plans", None, None)).await?;
    bench.measure("GET /api/subscription", "`GET /api/subscription`", 200, false, |_| req("GET", "/api/subscription", None, tok)).await?;

    // admin
    let admin = Some(admin_access.as_str());
    bench
        .measure("GET /api/admin/users", "`GET /api/admin/users`", 200, false, |_| req("GET", "/api/admin/users?limit=20", None, admin))
        .await?;
    let one = format!("/api/admin/users/{main_id}");
    bench.measure("GET /api/admin/users/{id}", "`GET /api/admin/users/{id}`", 200, false, |_| req("GET", one.clone(), None, admin)).await?;

    let endpoints: Vec<Value> = bench.results.iter().map(Endpoint::report).collect();
    let scans: usize = bench.results.iter().flat_map(|e| &e.samples).flat_map(|s| &s.calls).filter(|c| c.operation == "Scan").count();
    let report = json!({
        "hashCost": format!("{:?}", app.config.hash_cost),
        "argon2": argon2,
        "requestsPerEndpoint": {"fast": fast, "argon2": slow},
        "scanCalls": scans,
        "endpoints": endpoints,
    });
    std::fs::write(out, serde_json::to_string_pretty(&report)?).with_context(|| format!("writing {out}"))?;
    Ok(())
}

/// The public profile the cold-start runs read: an activated account with a name and a bio,
/// made public through the API (as its owner would). Writes `{"userId": …}` to `out`.
async fn seed_cold(out: &str) -> anyhow::Result<()> {
    let stack = Stack::new().await?;
    let app = stack.app.clone();
    let tag = ulid::Ulid::new().to_string().to_lowercase();
    let seed = SeedUser {
        username: format!("cold_{}", &tag[tag.len() - 8..]),
        email: format!("cold-{}@example.com", &tag[tag.len() - 8..]),
        password_hash: app.hasher.hash(PASSWORD).await?,
        role: Role::User,
        rating: 0,
    };
    let now = time::OffsetDateTime::from_unix_timestamp(app.now())?;
    let ids = app.store.seed_users(std::slice::from_ref(&seed), now).await?;
    let id = ids.first().context("no seeded user")?.to_string();
    let (access, _) = stack.login(&seed.username).await?;
    let profile = json!({"name": "Cold Start", "bio": "The profile the cold-start runs read.", "location": "Lisbon"});
    stack.call("PATCH", "/api/users/me", Some(profile), Some(access.as_str()), 200).await?;
    let privacy = json!({"privacy": {"publicProfile": true}});
    stack.call("PUT", "/api/users/me/settings", Some(privacy), Some(access.as_str()), 200).await?;
    stack.call("GET", &format!("/api/users/{id}"), None, None, 200).await?;
    std::fs::write(out, serde_json::to_string_pretty(&json!({"userId": id}))?).with_context(|| format!("writing {out}"))?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let usage = "usage: accounts-bench OUT.json [REQUESTS [ARGON2_REQUESTS]] | accounts-bench seed-cold OUT.json";
    let mut args = std::env::args().skip(1);
    let first = args.next().context(usage)?;
    if first == "seed-cold" {
        return seed_cold(&args.next().context(usage)?).await;
    }
    let fast = args.next().map(|v| v.parse()).transpose()?.unwrap_or(100);
    let slow = args.next().map(|v| v.parse()).transpose()?.unwrap_or(20);
    run(&first, fast, slow).await
}
