//! Request logs never hold personal data: sign in, search by NIK and by name,
//! open a household, import a file, and check that none of the NIK, KK number,
//! name or password appears in what the server logged.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use common::{PASSWORD, TestApp};
use serde_json::Value;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the process logged: one global subscriber for every test of this file.
fn logged() -> Buffer {
    static LOGS: OnceLock<Buffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        tracing_subscriber::fmt()
            .with_env_filter("trace")
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        buffer
    })
    .clone()
}

/// The tests of this file run one at a time, so that what is logged while one
/// runs is its own.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

sejahtera_testkit::on_both_backends! {
async fn request_logs_hold_no_personal_data(db) {
    let _alone = ONE_AT_A_TIME.lock().await;
    let buffer = logged();
    let start = buffer.0.lock().unwrap().len();
    let app = TestApp::with_demo(db).await;
    let kk = common::households_of(&app.db, "53.71.04.1001").await;
    let (c, csrf) = app.api_login("op.oebobo").await;
    let found: Value = common::post_json(
        &c,
        app.url("/api/v1/households/search"),
        &csrf,
        serde_json::json!({"q": kk[0]}),
    )
    .await
    .json()
    .await
    .unwrap();
    let reference = found["items"][0]["ref"].as_str().unwrap().to_string();
    let detail: Value = c
        .get(app.url(&format!("/api/v1/households/{reference}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let nik = detail["members"][0]["nik"].as_str().unwrap().to_string();
    let name = detail["members"][0]["nama"].as_str().unwrap().to_string();
    common::post_json(
        &c,
        app.url("/api/v1/households/search"),
        &csrf,
        serde_json::json!({"q": nik}),
    )
    .await;
    common::post_json(
        &c,
        app.url("/api/v1/households/search"),
        &csrf,
        serde_json::json!({"q": name}),
    )
    .await;
    let page = app.form_login("op.oebobo").await;
    page.get(app.url(&format!("/staff/households/{reference}")))
        .send()
        .await
        .unwrap();
    app.stop().await;
    let logs = String::from_utf8(buffer.0.lock().unwrap()[start..].to_vec()).unwrap();
    assert!(
        logs.contains("route=/api/v1/households/search")
            || logs.contains("route=\"/api/v1/households/search\""),
        "requests are logged by route: {logs}"
    );
    for secret in [kk[0].as_str(), nik.as_str(), name.as_str(), PASSWORD] {
        assert!(!logs.contains(secret), "the logs contain {secret:?}");
    }
}
}
