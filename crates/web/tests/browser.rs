//! Browser test in headless Chromium through ChromeDriver (Debian packages
//! `chromium` and `chromium-driver`, installed by `.ci/run`): the public portal
//! renders its map and indicator table, the language switches, a village
//! operator signs in and finds a household. Screenshots are saved under
//! `target/test-artifacts/browser/`.
//!
//! Without ChromeDriver the test is skipped, except under CI (`CI` set), where
//! a missing browser is a failure.

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{PASSWORD, TestApp};
use fantoccini::{Client, ClientBuilder, Locator};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts/browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(artifacts().join(name), png).unwrap();
}

/// Waits (up to 10 s) for an element of the page a click navigated to: a click
/// returns before the next page has loaded.
async fn arrive(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
}

async fn connect(port: u16) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--window-size=1200,1600"]
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(c) = ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not accept a session on {url}");
}

sejahtera_testkit::on_both_backends! {
async fn portal_language_sign_in_and_household_search_in_chromium(db) {
    if !std::path::Path::new(CHROMEDRIVER).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium and chromium-driver (.ci/run)"
        );
        eprintln!("skipped: {CHROMEDRIVER} not installed");
        return;
    }
    let app = TestApp::with_demo(db).await;
    let port = free_port();
    let _driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let c = connect(port).await;

    // Public portal: map and indicator table.
    c.goto(&app.url("/wilayah/53.71")).await.unwrap();
    let map = c.find(Locator::Css("svg.choropleth")).await.unwrap();
    let paths = map.find_all(Locator::Css("path")).await.unwrap();
    assert!(
        paths.len() >= 6,
        "district and village shapes: {}",
        paths.len()
    );
    let p0 = c
        .find(Locator::Css("#indicators td[data-k=p0]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(p0.contains('%'), "P0 shown: {p0}");
    let rows = c
        .find_all(Locator::Css("#children tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 6, "one row per district");
    let h = c
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(h.contains("Kota Kupang"));
    shot(&c, "01-portal-id.png").await;

    // Language switch.
    c.find(Locator::Css("#lang-switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrive(&c, "html[lang='en']").await;
    let th = c
        .find(Locator::Css("#indicators th"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(th, "Population");
    shot(&c, "02-portal-en.png").await;

    // Drill down to a district by clicking its row.
    c.find(Locator::Css("#children a[href='/wilayah/53.71.04']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrive(&c, "#children a[href='/wilayah/53.71.04.1001']").await;
    let h = c
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(h.contains("Oebobo"), "{h}");

    // A village operator signs in and searches a household of their village.
    let kk = common::households_of(&app.db, "53.71.04.1001").await;
    assert!(!kk.is_empty());
    c.goto(&app.url("/login")).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("op.oebobo")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    c.find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    arrive(&c, "ul.menu").await;
    let url = c.current_url().await.unwrap();
    assert!(url.path().ends_with("/staff"), "{url}");
    c.goto(&app.url("/staff/households")).await.unwrap();
    c.find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys(&kk[0])
        .await
        .unwrap();
    c.find(Locator::Id("search-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let result = arrive(&c, "#results tbody tr a").await;
    assert_eq!(result.text().await.unwrap(), kk[0]);
    shot(&c, "03-search.png").await;
    result.click().await.unwrap();
    arrive(&c, "#members tbody tr").await;
    let members = c.find_all(Locator::Css("#members tbody tr")).await.unwrap();
    assert!(!members.is_empty());
    let url = c.current_url().await.unwrap();
    assert!(
        !url.as_str().contains(&kk[0]),
        "no KK number in the URL: {url}"
    );
    shot(&c, "04-household.png").await;

    // A citizen on a phone-sized window reads a program's public page.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&app.url("/program")).await.unwrap();
    let first = arrive(&c, "#programs tbody tr a").await;
    first.click().await.unwrap();
    arrive(&c, "#by-district tbody tr").await;
    let text = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !common::has_16_digit_number(&text),
        "no KK or NIK on a public page"
    );
    shot(&c, "05-program-phone.png").await;

    c.close().await.unwrap();
    app.stop().await;
}
}
