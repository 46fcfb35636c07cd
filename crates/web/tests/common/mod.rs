//! Test helpers: a server on port 0 with a fresh database (SQLite or PostgreSQL,
//! from a [`TestDb`]), built by the same builder as `sejahtera serve`.

#![allow(dead_code)]

use std::time::Duration;

use sejahtera_app::DbUrl;
use sejahtera_app::accounts::{CreateUser, ThrottlePolicy, create_user};
use sejahtera_app::{Clock, SystemClock};
use sejahtera_demo::registry::{DemoOptions, seed};
use sejahtera_domain::access::Role;
use sejahtera_testkit::db::TestDb;
use sejahtera_web::{Config, Server};

/// The password of every test user.
pub const PASSWORD: &str = "test-password-123";

/// A running test server.
pub struct TestApp {
    pub base: String,
    /// The database the server runs on.
    pub db: DbUrl,
    /// The test database (kept for as long as the server runs).
    pub test_db: TestDb,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// A server on a fresh database with a small demo registry and one user per role.
    pub async fn with_demo(db: TestDb) -> TestApp {
        Self::start(db, true, ThrottlePolicy::default()).await
    }

    /// A server on a fresh database with regions only (and the users).
    pub async fn empty(db: TestDb) -> TestApp {
        Self::start(db, false, ThrottlePolicy::default()).await
    }

    /// A server with a strict login throttle.
    pub async fn with_throttle(db: TestDb, policy: ThrottlePolicy) -> TestApp {
        Self::start(db, false, policy).await
    }

    /// A server behind a reverse proxy on 127.0.0.1 (it trusts that address's
    /// `X-Forwarded-For`), with a strict login throttle.
    pub async fn behind_proxy(db: TestDb, policy: ThrottlePolicy) -> TestApp {
        Self::start_with(db, false, |c| {
            c.throttle = policy;
            c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        })
        .await
    }

    /// A server on regions only (and the users) whose configuration `configure` adjusts.
    pub async fn configured(db: TestDb, configure: impl FnOnce(&mut Config)) -> TestApp {
        Self::start_with(db, false, configure).await
    }

    async fn start(test_db: TestDb, demo: bool, throttle: ThrottlePolicy) -> TestApp {
        Self::start_with(test_db, demo, |c| c.throttle = throttle).await
    }

    async fn start_with(
        test_db: TestDb,
        demo: bool,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let db = DbUrl::parse(&test_db.url).unwrap();
        let data = sejahtera_app::regions::default_data_dir();
        let (store, regions) = sejahtera_app::regions::init(&db, &data).await.unwrap();
        if demo {
            seed(
                &store,
                &regions,
                DemoOptions {
                    seed: 7,
                    scale: 0.01,
                },
                SystemClock.today(),
                &sejahtera_app::NoProgress,
            )
            .await
            .unwrap();
        }
        // The demo's programs and partners (a partner, at least, in an empty database).
        if demo {
            sejahtera_demo::programs::seed_programs(
                &store,
                &regions,
                7,
                SystemClock.today(),
                &|_| 0,
                &sejahtera_app::NoProgress,
            )
            .await
            .unwrap();
        } else {
            sejahtera_app::delivery::create_partner(
                &store,
                &sejahtera_domain::access::Actor::console(),
                &sejahtera_domain::delivery::Partner {
                    id: 0,
                    name: "Bank NTT Cabang Kupang (demo)".into(),
                    kind: sejahtera_domain::delivery::PartnerKind::Bank,
                    services: [sejahtera_domain::delivery::Service::Kur]
                        .into_iter()
                        .collect(),
                    contact: String::new(),
                },
            )
            .await
            .unwrap();
        }
        let bank = store
            .partners()
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.name == "Bank NTT Cabang Kupang (demo)")
            .unwrap()
            .id;
        let users: &[(&str, Role, &[&str])] = &[
            ("admin", Role::Admin, &[]),
            ("planner", Role::Planner, &[]),
            ("auditor", Role::Auditor, &[]),
            ("agency", Role::AgencyOperator, &[]),
            ("partner", Role::Partner, &[]),
            ("citizen", Role::Citizen, &[]),
            ("op.oebobo", Role::VillageOperator, &["53.71.04.1001"]),
            ("op.alak", Role::VillageOperator, &["53.71.01.1001"]),
        ];
        for (name, role, villages) in users {
            create_user(
                &store,
                &regions,
                &CreateUser {
                    username: name.to_string(),
                    display_name: format!("Test {name}"),
                    role: *role,
                    villages: villages.iter().map(|v| v.to_string()).collect(),
                    password: PASSWORD.into(),
                    agency: (*role == Role::AgencyOperator)
                        .then(|| sejahtera_demo::programs::AGENCY_P3A_KUPANG.to_string()),
                    region: (*role == Role::AgencyOperator).then(|| "53.71".to_string()),
                    partner: (*role == Role::Partner).then_some(bank),
                },
            )
            .await
            .unwrap();
        }
        store.close().await;
        let mut config = Config::new("127.0.0.1:0".parse().unwrap(), db.clone(), data);
        config.poll_interval = Duration::from_millis(100);
        configure(&mut config);
        let server = Server::build(config).await.unwrap();
        let base = format!("http://{}", server.local_addr());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(server.run(async move {
            let _ = rx.await;
        }));
        TestApp {
            base,
            db,
            test_db,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client with its own cookie jar that does not follow redirects.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Signs in through the API; returns the client and its CSRF token.
    pub async fn api_login(&self, user: &str) -> (reqwest::Client, String) {
        let c = self.client();
        let r = c
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({"username": user, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login as {user}");
        let v: serde_json::Value = r.json().await.unwrap();
        (c, v["csrf_token"].as_str().unwrap().to_string())
    }

    /// Signs in through the login form; returns the client.
    pub async fn form_login(&self, user: &str) -> reqwest::Client {
        let c = self.client();
        let page = c
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&page, "csrf");
        let r = c
            .post(self.url("/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", user),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "form login as {user}");
        c
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
    }
}

/// A JSON POST with the session's CSRF token, as the API expects.
pub async fn post_json(
    c: &reqwest::Client,
    url: String,
    csrf: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    post_json_in(c, url, csrf, body, None).await
}

/// [`post_json`] with an `Accept-Language` header (`None`: none sent).
pub async fn post_json_in(
    c: &reqwest::Client,
    url: String,
    csrf: &str,
    body: serde_json::Value,
    accept_language: Option<&str>,
) -> reqwest::Response {
    let mut rq = c.post(url).header("x-csrf-token", csrf);
    if let Some(l) = accept_language {
        rq = rq.header("accept-language", l);
    }
    rq.json(&body).send().await.unwrap()
}

/// The value of the first hidden input named `name` in a page.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field"))
        + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

/// Whether a text contains a whole number of exactly 16 digits (a NIK or KK
/// number); the decimal places of a fraction do not count.
pub fn has_16_digit_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let after_point = start > 0 && (b[start - 1] == b'.' || b[start - 1] == b',');
            if i - start == 16 && !after_point {
                return true;
            }
        } else {
            i += 1;
        }
    }
    false
}

/// KK numbers of stored households of a village (read straight from the database).
pub async fn households_of(db: &DbUrl, village: &str) -> Vec<String> {
    let store = sejahtera_app::db::open(db).await.unwrap();
    let mut out = Vec::new();
    store
        .for_each_household(&mut |h| {
            if h.kode_wilayah.as_str() == village {
                out.push(h.no_kk.to_string());
            }
            Ok(())
        })
        .await
        .unwrap();
    store.close().await;
    out
}

/// The web crate's route modules (path prefix, source), for [`live_routes`].
pub const ROUTE_SOURCES: &[(&str, &str)] = &[
    ("", include_str!("../../src/portal/pages.rs")),
    ("", include_str!("../../src/users/pages.rs")),
    ("", include_str!("../../src/households/pages.rs")),
    ("", include_str!("../../src/imports/pages.rs")),
    ("", include_str!("../../src/targeting/pages.rs")),
    ("", include_str!("../../src/programs/pages.rs")),
    ("", include_str!("../../src/referrals/pages.rs")),
    ("", include_str!("../../src/metrics.rs")),
    ("/api/v1", include_str!("../../src/openapi.rs")),
    ("/api/v1", include_str!("../../src/portal/api.rs")),
    ("/api/v1", include_str!("../../src/users/api.rs")),
    ("/api/v1", include_str!("../../src/households/api.rs")),
    ("/api/v1", include_str!("../../src/imports/api.rs")),
    ("/api/v1", include_str!("../../src/targeting/api.rs")),
    ("/api/v1", include_str!("../../src/programs/api.rs")),
    ("/api/v1", include_str!("../../src/referrals/api.rs")),
    ("/api/v1", include_str!("../../src/partners/api.rs")),
];

/// The paths of every `.route("PATH", …)` registration (pages) and every
/// `#[utoipa::path(…, path = "PATH", …)]` handler (API, mounted with
/// `utoipa_axum::routes!`) in the route modules, with their mount prefix.
pub fn registered_paths() -> Vec<String> {
    let mut out = Vec::new();
    for (prefix, src) in ROUTE_SOURCES {
        for marker in [".route(", "#[utoipa::path("] {
            let mut rest = *src;
            while let Some(i) = rest.find(marker) {
                rest = &rest[i + marker.len()..];
                let at = if marker == ".route(" {
                    rest.trim_start()
                } else {
                    match rest.find("path = ") {
                        Some(j) => &rest[j + "path = ".len()..],
                        None => continue,
                    }
                };
                if let Some(r) = at.strip_prefix('"') {
                    let end = r.find('"').unwrap();
                    out.push(format!("{prefix}{}", &r[..end]));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A concrete URL path for a route pattern (`{param}` → `1`).
pub fn sample_path(pattern: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('}').unwrap() + i;
        out.push('1');
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The routes the running server really answers: each registered path with
/// each method its router accepts, as (path, lowercase method), read from the
/// `Allow` header of the 405 to a method no route has (HEAD, implied by GET,
/// left out). A path that does not answer 405 fails the test.
pub async fn live_routes(app: &TestApp) -> Vec<(String, String)> {
    let c = app.client();
    let mut out = Vec::new();
    for path in registered_paths() {
        let r = c
            .request(reqwest::Method::PATCH, app.url(&sample_path(&path)))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            405,
            "PATCH {path}: a route without PATCH answers 405"
        );
        let allow = r
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        for m in allow.split(',').map(str::trim).filter(|m| !m.is_empty()) {
            if m != "head" {
                out.push((path.clone(), m.to_string()));
            }
        }
    }
    out.sort();
    out
}
