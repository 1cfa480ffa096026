//! The browser tests' harness (browser.rs): a [`Site`] (a `TestApp` served over real HTTP on
//! 127.0.0.1, dispatched like API Gateway), a [`Browser`] (Debian's headless Chromium driven by
//! its chromedriver through the `fantoccini` WebDriver client), axe-core and screenshots.
//!
//! What it needs is installed by `infra/tools.sh` (`make test` runs it): /usr/bin/chromium,
//! /usr/bin/chromedriver and tests/browser/node_modules/axe-core. Without them a browser test
//! fails saying so; it never skips silently.
//!
//! The browser tests share the machine with every other test of this binary: each opens one
//! chromedriver (one Chromium), waits generously (pages may take seconds under load) and kills
//! its processes when dropped, whether the test passed or not.

use crate::helpers::{Gateway, TestApp, request_context};
use accounts_core::config::Config;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use http::StatusCode;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a page, a script or an element may take on a loaded machine.
pub const PATIENCE: Duration = Duration::from_secs(90);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn axe_script_path() -> PathBuf {
    repo_root().join("tests/browser/node_modules/axe-core/axe.min.js")
}

/// Fails the test (never skips it) when a tool `infra/tools.sh` installs is missing.
fn require_tools() {
    let missing: Vec<String> = [PathBuf::from(CHROMIUM), PathBuf::from(CHROMEDRIVER), axe_script_path()]
        .into_iter()
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "the browser tests need {} : run `infra/tools.sh` (make test does) to install Debian's chromium + chromium-driver and axe-core",
        missing.join(", ")
    );
}

// ---- the site ----------------------------------------------------------------------------

/// A [`TestApp`] served over HTTP at `http://127.0.0.1:PORT`, its public base URL and issuer,
/// so the browser gets the cookies and links a deployment would give it (plain http: the
/// cookies have unprefixed names). Requests are dispatched like API Gateway: by path prefix to
/// the functions of `gateway_routes`, whose last entry (the web function, API Gateway's
/// `$default` route) takes every other path; a gateway without a default would answer 404.
/// Derefs to its `TestApp` (mail, clock, store).
pub struct Site {
    pub t: TestApp,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    server: tokio::task::JoinHandle<()>,
}

impl std::ops::Deref for Site {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.t
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Site {
    /// Binds the port first (the configuration must name it), then builds the app with
    /// `customise` applied after the base URL and issuer are set.
    pub async fn start(customise: impl FnOnce(&mut Config)) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let t = TestApp::spawn_with(|config| {
            config.public_base_url = base.clone();
            config.jwt_issuer = base.clone();
            customise(config);
        })
        .await;
        let gateway = Router::new().fallback(dispatch).with_state(t.gateway());
        let server = tokio::spawn(async move {
            axum::serve(listener, gateway.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
        });
        Self { t, base, server }
    }

    /// The absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// What API Gateway does with a request: attach its request context (the source address) and
/// hand it to the function that serves its path.
async fn dispatch(State(gateway): State<Gateway>, ConnectInfo(peer): ConnectInfo<SocketAddr>, mut request: Request) -> Response {
    request.extensions_mut().insert(request_context(&peer.ip().to_string()));
    match gateway.router_for(request.uri().path()) {
        Some(router) => match router.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
        None => (StatusCode::NOT_FOUND, [("content-type", "application/json")], Body::from(r#"{"message":"Not Found"}"#)).into_response(),
    }
}

// ---- the browser -------------------------------------------------------------------------

/// One headless Chromium behind its own chromedriver. Dropping it kills both and removes the
/// profile directory.
pub struct Browser {
    pub client: Client,
    _driver: Driver,
}

impl std::ops::Deref for Browser {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

/// A running chromedriver, started in a process group of its own (Chromium and its helpers
/// inherit it), its WebDriver session once there is one, and Chromium's fresh profile.
///
/// Dropping it (a test that ended, passed or failed, or a start that failed half-way) ends the
/// session, which makes chromedriver quit Chromium cleanly (its crash handlers included), then
/// kills, each by its id, chromedriver and whatever of its group is still alive: no browser
/// outlives its test.
struct Driver {
    child: Child,
    port: u16,
    session: Option<String>,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(session) = &self.session {
            // Blocking, in a destructor that may run on a runtime thread: one local call,
            // bounded.
            let agent = ureq::Agent::new_with_config(ureq::config::Config::builder().timeout_global(Some(Duration::from_secs(30))).build());
            let _ = agent.delete(format!("http://127.0.0.1:{}/session/{session}", self.port)).call();
        }
        let group = self.child.id();
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in processes_in_group(group) {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).stderr(Stdio::null()).status();
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The ids of the live processes whose process group is `group` (from /proc).
fn processes_in_group(group: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // /proc/PID/stat: `pid (comm) state ppid pgrp ...`; comm may hold spaces.
            std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().is_some_and(|stat| {
                let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
                fields.first() != Some(&"Z") && fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(group)
            })
        })
        .collect()
}

/// `Emulation.*` and other Chrome DevTools commands, sent through chromedriver's
/// `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({"cmd": self.cmd, "params": self.params}).to_string()))
    }
}

/// `prefers-color-scheme` as the page sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Light,
    Dark,
}

impl Scheme {
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Light => "light",
            Scheme::Dark => "dark",
        }
    }
}

impl Browser {
    /// An English-speaking browser (`Accept-Language: en`), 1280x900.
    pub async fn start() -> Self {
        Self::start_in("en").await
    }

    /// A browser whose language (`--lang`, and the `Accept-Language` it sends) is `language`.
    pub async fn start_in(language: &str) -> Self {
        require_tools();
        let port = free_port();
        let profile = std::env::temp_dir().join(format!("accounts-chromium-{}", ulid::Ulid::new().to_string().to_lowercase()));
        std::fs::create_dir_all(&profile).unwrap();
        let mut command = Command::new(CHROMEDRIVER);
        command.arg(format!("--port={port}")).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().unwrap_or_else(|e| panic!("starting {CHROMEDRIVER} failed ({e}): run `infra/tools.sh`"));
        // From here on a failure (a panic) drops it, which kills the driver.
        let mut driver = Driver { child, port, session: None, profile: profile.clone() };
        let webdriver = format!("http://127.0.0.1:{port}");
        wait_until_listening(port).await;
        let caps = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"pageLoad": PATIENCE.as_millis() as u64, "script": PATIENCE.as_millis() as u64, "implicit": 0},
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    "--disable-sync",
                    "--disable-quic",
                    "--disable-dev-shm-usage",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--lang={language}"),
                ],
                "prefs": {"intl.accept_languages": language},
            },
        });
        let caps = match caps {
            Value::Object(map) => map,
            _ => unreachable!("a JSON object literal"),
        };
        let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps);
        let mut last = None;
        // chromedriver may accept connections a moment before it accepts sessions; Chromium
        // may take long to start on a loaded machine.
        let started = Instant::now();
        let client = loop {
            match builder.connect(&webdriver).await {
                Ok(client) => break client,
                Err(e) if started.elapsed() < PATIENCE => {
                    last = Some(e.to_string());
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => panic!("no WebDriver session from {CHROMEDRIVER} ({e}; before: {last:?})"),
            }
        };
        driver.session = client.session_id().await.unwrap();
        Self { client, _driver: driver }
    }

    /// Emulates `prefers-color-scheme: scheme` in this tab (it stays across navigations).
    pub async fn set_color_scheme(&self, scheme: Scheme) {
        self.client
            .issue_cmd(Cdp {
                cmd: "Emulation.setEmulatedMedia",
                params: json!({"features": [{"name": "prefers-color-scheme", "value": scheme.name()}]}),
            })
            .await
            .unwrap();
    }

    /// What `matchMedia('(prefers-color-scheme: dark)')` says on the current page.
    pub async fn prefers_dark(&self) -> bool {
        self.client.execute("return matchMedia('(prefers-color-scheme: dark)').matches", vec![]).await.unwrap() == json!(true)
    }

    /// Opens `url` and waits for the page to have loaded.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("opening {url} failed: {e}"));
        self.wait_loaded().await;
    }

    async fn wait_loaded(&self) {
        let started = Instant::now();
        loop {
            if self.client.execute("return document.readyState", vec![]).await.ok() == Some(json!("complete")) {
                return;
            }
            assert!(started.elapsed() < PATIENCE, "the page did not finish loading in {PATIENCE:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The element `css` matches, waiting for it to appear.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("no element matches {css} on {:?}: {e}", self.client.current_url().await.ok()),
        }
    }

    /// The visible text of the element `css` matches.
    pub async fn text_of(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Whether some element matches `css` now (no waiting).
    pub async fn has(&self, css: &str) -> bool {
        !self.client.find_all(Locator::Css(css)).await.unwrap().is_empty()
    }

    /// Types each value into the field of `form` named so (typing, as a user would: the field
    /// is cleared first); a `<select>` gets the option of that value, a file input the path.
    pub async fn fill(&self, form: &str, fields: &[(&str, &str)]) {
        for (name, value) in fields {
            let field = self.find(&format!("{form} [name=\"{name}\"]")).await;
            let tag = field.tag_name().await.unwrap();
            let kind = field.attr("type").await.unwrap().unwrap_or_default();
            if tag.eq_ignore_ascii_case("select") {
                field.select_by_value(value).await.unwrap_or_else(|e| panic!("{form} {name}: no option {value}: {e}"));
            } else if kind == "checkbox" || kind == "radio" {
                if field.is_selected().await.unwrap() != (*value == "true") {
                    field.click().await.unwrap();
                }
            } else {
                if kind != "file" {
                    field.clear().await.unwrap();
                }
                field.send_keys(value).await.unwrap_or_else(|e| panic!("typing into {form} {name} failed: {e}"));
            }
        }
    }

    /// Clicks the submit button of `form` and waits for the page the answer is.
    pub async fn submit(&self, form: &str) {
        let button = self.find(&format!("{form} button[type=\"submit\"]")).await;
        self.click_and_wait(button).await;
    }

    /// Clicks `element` and waits until the page it was on is gone and the next has loaded.
    pub async fn click_and_wait(&self, element: fantoccini::elements::Element) {
        let old_page = self.client.find(Locator::Css("html")).await.unwrap();
        element.click().await.unwrap();
        let started = Instant::now();
        loop {
            match old_page.tag_name().await {
                Err(CmdError::Standard(e)) if e.error == ErrorStatus::StaleElementReference => break,
                _ => {}
            }
            assert!(started.elapsed() < PATIENCE, "clicking did not lead to another page in {PATIENCE:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.wait_loaded().await;
    }

    /// The current page's path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Saves a PNG of the viewport as docs/screenshots/`name` (e.g. `sign-in-dark.png`).
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "the screenshot of {name} is not a PNG");
        let dir = repo_root().join("docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }

    /// Light and dark screenshots of the current page: docs/screenshots/`page`-light.png and
    /// -dark.png (the page is reloaded under each scheme; the scheme is left light).
    pub async fn screenshots(&self, page: &str) {
        for scheme in [Scheme::Dark, Scheme::Light] {
            self.set_color_scheme(scheme).await;
            self.screenshot(&format!("{page}-{}.png", scheme.name())).await;
        }
    }

    /// axe-core's serious and critical violations on the current page.
    pub async fn axe(&self) -> Vec<Violation> {
        let source = std::fs::read_to_string(axe_script_path()).unwrap();
        // The script defines `window.axe`; injected through WebDriver, so a page's CSP does not
        // stop it.
        self.client.execute(&source, vec![]).await.unwrap();
        let script = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ['violations']})
              .then(r => done({violations: r.violations.map(v => ({
                  id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                  nodes: v.nodes.map(n => ({target: n.target.map(String), html: n.html, summary: n.failureSummary || ''}))}))}))
              .catch(e => done({error: String(e)}));
        "#;
        let result = self.client.execute_async(script, vec![]).await.unwrap();
        assert!(result["error"].is_null(), "axe.run failed: {}", result["error"]);
        let violations = result["violations"].as_array().unwrap_or_else(|| panic!("axe.run answered {result}"));
        violations.iter().map(Violation::from_json).filter(|v| matches!(v.impact.as_str(), "serious" | "critical")).collect()
    }

    /// Fails, listing each rule, its help and the nodes, if axe finds a serious or critical
    /// violation on the current page (`page` names it in the message).
    pub async fn assert_accessible(&self, page: &str) {
        let violations = self.axe().await;
        assert!(
            violations.is_empty(),
            "axe found {} serious/critical violation(s) on {page} ({}):\n{}",
            violations.len(),
            self.path().await,
            violations.iter().map(Violation::describe).collect::<Vec<_>>().join("\n")
        );
    }
}

/// One axe-core rule a page breaks, with the nodes that break it.
#[derive(Debug)]
pub struct Violation {
    pub id: String,
    pub impact: String,
    pub help: String,
    pub help_url: String,
    /// `(CSS target, the node's HTML, axe's summary of what to fix)`.
    pub nodes: Vec<(String, String, String)>,
}

impl Violation {
    fn from_json(v: &Value) -> Self {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        Self {
            id: text(&v["id"]),
            impact: text(&v["impact"]),
            help: text(&v["help"]),
            help_url: text(&v["helpUrl"]),
            nodes: v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| {
                    let target = n["target"].as_array().into_iter().flatten().map(text).collect::<Vec<_>>().join(" ");
                    (target, text(&n["html"]), text(&n["summary"]))
                })
                .collect(),
        }
    }

    fn describe(&self) -> String {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|(target, html, summary)| format!("    {target}  {html}\n      {}", summary.replace('\n', "\n      ")))
            .collect();
        format!("  {} [{}]: {} ({})\n{}", self.id, self.impact, self.help, self.help_url, nodes.join("\n"))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn wait_until_listening(port: u16) {
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(started.elapsed() < PATIENCE, "{CHROMEDRIVER} did not listen on port {port} in {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---- what the pages' tests need from the app ----------------------------------------------

impl Site {
    /// The newest mail to `to`'s link to `path` (e.g. `/reset-password`), absolute, as the
    /// user would click it.
    pub async fn mailed_link(&self, to: &str, path: &str) -> String {
        let (_, body) = self.last_mail(to).await;
        let start = self.url(path);
        let at = body.find(&start).unwrap_or_else(|| panic!("no link to {start} in the mail to {to}: {body}"));
        body[at..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | '<' | '>'))
            .collect::<String>()
            .replace("&amp;", "&")
    }

    /// Replaces the answer of the captcha `id` (the one the page shows) by `answer`, as the
    /// image would have shown it.
    pub async fn plant_captcha_answer(&self, id: &str, answer: &str) {
        let hash = self.app.code_pepper().unwrap().hash("captcha", id, answer);
        self.app.store.put_captcha(id, &hash, self.app.now() + 300).await.unwrap();
    }

    /// What a mail scanner or a link preview does before the user clicks: `GET` and `HEAD`
    /// the link (no cookies, no JavaScript). The statuses, for the test to look at.
    pub async fn prefetch(&self, link: &str) -> (u16, u16) {
        let link = link.to_owned();
        tokio::task::spawn_blocking(move || {
            let agent = ureq::Agent::new_with_config(
                ureq::config::Config::builder().http_status_as_error(false).timeout_global(Some(PATIENCE)).build(),
            );
            let get = agent.get(&link).call().unwrap().status().as_u16();
            let head = agent.head(&link).call().unwrap().status().as_u16();
            (get, head)
        })
        .await
        .unwrap()
    }
}

impl Browser {
    /// The `value` attribute of the element `css` matches (e.g. a hidden field).
    pub async fn value_of(&self, css: &str) -> String {
        self.find(css).await.prop("value").await.unwrap().unwrap_or_default()
    }

    /// Opens `path` of `site`, checks it with axe and saves its light and dark screenshots
    /// as docs/screenshots/`name`-{light,dark}.png.
    pub async fn visit(&self, site: &Site, path: &str, name: &str) {
        self.open(&site.url(path)).await;
        self.check_page(name).await;
    }

    /// The pages' contract (`<html lang>`, `<main id="main">`, an
    /// `<h1>`), axe, and the light and dark screenshots of the page the browser is on.
    pub async fn check_page(&self, name: &str) {
        self.check_page_unpictured(name).await;
        self.screenshots(name).await;
    }

    /// [`Browser::check_page`] without the screenshots: for a page that differs on every run
    /// (the captcha's image), whose picture would change docs/screenshots/ each time.
    pub async fn check_page_unpictured(&self, name: &str) {
        let path = self.path().await;
        for part in ["html[lang]", "main#main", "h1"] {
            assert!(self.has(part).await, "{name} ({path}) has no {part}: {}", self.text_of("body").await);
        }
        self.assert_accessible(name).await;
    }
}
