//! End-to-end tests in a real browser (Debian's headless Chromium through chromedriver; the
//! harness is browser_support.rs). Few and long: the edge cases live in handler-level tests.

use crate::browser_support::{Browser, Scheme, Site};

/// The harness end to end: a page served over HTTP by the gateway dispatch (the discovery
/// document, from the auth function), read in the browser; `prefers-color-scheme` emulation
/// that the page sees, across a reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_reads_pages_the_gateway_serves_and_can_prefer_dark() {
    let site = Site::start(|_| {}).await;
    let browser = Browser::start().await;

    browser.open(&site.url("/.well-known/openid-configuration")).await;
    let text = browser.text_of("body").await;
    let json = text.find('{').map(|start| &text[start..=text.rfind('}').unwrap()]).unwrap_or_else(|| panic!("no JSON on the page: {text}"));
    let discovery: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(discovery["issuer"], site.base.as_str(), "the app's issuer is the address the browser reached it at");
    assert_eq!(discovery["jwks_uri"], site.url("/.well-known/jwks.json"));

    // The form helpers: a form of a data: page, filled by typing, submitted with its button;
    // the browser lands on the answer (here the discovery document again, with the query).
    let form = format!(
        "data:text/html,<!doctype html><title>form</title><form id=probe method=get action='{}'><label for=q>Q</label><input id=q name=q value=old><label for=s>S</label><select id=s name=s><option value=a>A</option><option value=b>B</option></select><button type=submit>Go</button></form>",
        site.url("/.well-known/openid-configuration")
    );
    browser.open(&form).await;
    browser.fill("form#probe", &[("q", "typed value"), ("s", "b")]).await;
    browser.submit("form#probe").await;
    assert_eq!(browser.path().await, "/.well-known/openid-configuration?q=typed+value&s=b");
    assert!(!browser.has("form#probe").await, "the answer replaced the form's page");

    // A path no function serves is API Gateway's 404, not a page of ours.
    browser.open(&site.url("/no-such-function")).await;
    assert!(browser.text_of("body").await.contains("Not Found"));

    browser.open(&site.url("/.well-known/openid-configuration")).await;
    browser.set_color_scheme(Scheme::Dark).await;
    assert!(browser.prefers_dark().await, "the emulated scheme reaches matchMedia");
    browser.client.refresh().await.unwrap();
    assert!(browser.prefers_dark().await, "the emulation stays across a reload");
    browser.set_color_scheme(Scheme::Light).await;
    assert!(!browser.prefers_dark().await);
    let languages = browser.client.execute("return navigator.languages", vec![]).await.unwrap();
    assert_eq!(languages[0], "en");
}

/// The axe wiring can fail: an image without a text alternative (axe's critical `image-alt`)
/// is reported with its node, and a page without one is clean. The browser is a Spanish one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_reports_an_image_without_alt_text_in_a_spanish_browser() {
    let browser = Browser::start_in("es").await;
    let languages = browser.client.execute("return navigator.languages", vec![]).await.unwrap();
    assert_eq!(languages[0], "es", "the browser asks for Spanish pages");

    let page = |body: &str| {
        format!(
            "data:text/html,<!doctype html><html lang=en><head><title>axe</title></head><body><main><h1>axe</h1>{body}</main></body></html>"
        )
    };
    browser.open(&page("<img id=nameless src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>")).await;
    let violations = browser.axe().await;
    let image_alt = violations.iter().find(|v| v.id == "image-alt").unwrap_or_else(|| panic!("axe missed image-alt: {violations:?}"));
    assert_eq!(image_alt.impact, "critical");
    assert!(image_alt.nodes.iter().any(|(target, _, _)| target == "#nameless"), "{image_alt:?}");

    browser.open(&page("<img id=named alt='A dot' src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>")).await;
    browser.assert_accessible("a page whose image has alt text").await;
}
