//! Who may use what: one table with a row for every route the server answers
//! (API operations and pages), each row naming the roles allowed. Every role is
//! tried on every row against one demo server; a role outside the row must get
//! 401 or 403 (pages: or a redirect to the sign-in form), a role inside it must
//! not (2xx, 3xx, or a 4xx such as 404/409 for a missing object or a refused
//! rule). No row may answer 5xx.
//!
//! The table is the single source of the decision: `every_route_has_a_row`
//! fails when the router answers a (path, method) the table does not list, so a
//! new route cannot ship without saying who may use it.

mod common;

use common::{PASSWORD, TestApp};
use sejahtera_demo::programs::AGENCY_P3A_KUPANG;
use serde_json::{Value, json};

/// The roles tried on every row. The agency operator appears twice: on its own
/// agency's program ([`Who::Agency`]) and on another agency's ([`Who::AgencyOther`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Citizen,
    Village,
    Agency,
    AgencyOther,
    Planner,
    Auditor,
    Admin,
    Partner,
}

use Who::*;

const EVERYONE: &[Who] = &[
    Anonymous,
    Citizen,
    Village,
    Agency,
    AgencyOther,
    Planner,
    Auditor,
    Admin,
    Partner,
];
const SIGNED_IN: &[Who] = &[
    Citizen,
    Village,
    Agency,
    AgencyOther,
    Planner,
    Auditor,
    Admin,
    Partner,
];
/// Government staff (the console).
const STAFF: &[Who] = &[Village, Agency, AgencyOther, Planner, Auditor, Admin];
/// Who reads the household registry (village operators: their villages only).
const REGISTRY_READERS: &[Who] = &[Village, Planner, Auditor, Admin];
/// Who changes the registry (village operators: their villages only).
const REGISTRY_WRITERS: &[Who] = &[Village, Admin];
/// Region-wide planning analytics.
const PLANNING: &[Who] = &[Planner, Auditor, Admin];
const ADMIN: &[Who] = &[Admin];
/// Who runs a program: its agency and admins.
const RUNNERS: &[Who] = &[Agency, Admin];
/// Who sees a program's participants (village operators: their villages only).
const PARTICIPANT_READERS: &[Who] = &[Village, Agency, Planner, Auditor, Admin];
/// The evaluation panel.
const EVALUATORS: &[Who] = &[Agency, Planner, Auditor, Admin];
/// Who moves a referral on: the partner it is addressed to, the program's agency, admins.
const REFERRAL_HANDLERS: &[Who] = &[Partner, Agency, Admin];

impl Who {
    fn username(self) -> Option<&'static str> {
        Some(match self {
            Anonymous => return None,
            Citizen => "citizen",
            Village => "op.oebobo",
            Agency | AgencyOther => "agency",
            Planner => "planner",
            Auditor => "auditor",
            Admin => "admin",
            Partner => "partner",
        })
    }
}

/// The demo's objects the rows point at.
struct Ctx {
    /// A program of the agency operator's agency, and one of another agency.
    own: i64,
    other: i64,
    other_agency: String,
    /// A household in each program, a training session of each.
    own_kk: String,
    other_kk: String,
    own_session: i64,
    other_session: i64,
    /// A referral of each program, and one addressed to the partner's bank.
    own_referral: i64,
    other_referral: i64,
    bank_referral: i64,
}

impl Ctx {
    fn program(&self, w: Who) -> i64 {
        if w == AgencyOther {
            self.other
        } else {
            self.own
        }
    }
    fn kk(&self, w: Who) -> String {
        if w == AgencyOther {
            self.other_kk.clone()
        } else {
            self.own_kk.clone()
        }
    }
    fn session(&self, w: Who) -> (i64, i64) {
        if w == AgencyOther {
            (self.other, self.other_session)
        } else {
            (self.own, self.own_session)
        }
    }
    fn referral(&self, w: Who) -> i64 {
        match w {
            AgencyOther => self.other_referral,
            Partner => self.bank_referral,
            _ => self.own_referral,
        }
    }
    fn agency(&self, w: Who) -> String {
        if w == AgencyOther {
            self.other_agency.clone()
        } else {
            AGENCY_P3A_KUPANG.to_string()
        }
    }
}

enum Body {
    None,
    Json(Value),
    /// Form fields; the session's `csrf` is added.
    Form(Vec<(&'static str, String)>),
    /// Multipart fields and a file (name, content); the session's `csrf` is added.
    Multipart(Vec<(&'static str, String)>, &'static str, String),
    Csv(String),
    /// Sign in through the API with the role's own credentials, on a fresh client.
    ApiLogin,
    /// Sign in through the form with the role's own credentials, on a fresh client.
    PageLogin,
    /// Sign out a fresh session of the role (not the shared one).
    Logout,
}

struct Row {
    method: &'static str,
    route: &'static str,
    allowed: &'static [Who],
    request: fn(&Ctx, Who) -> (String, Body),
}

fn get(
    route: &'static str,
    allowed: &'static [Who],
    request: fn(&Ctx, Who) -> (String, Body),
) -> Row {
    Row {
        method: "get",
        route,
        allowed,
        request,
    }
}

fn post(
    route: &'static str,
    allowed: &'static [Who],
    request: fn(&Ctx, Who) -> (String, Body),
) -> Row {
    Row {
        method: "post",
        route,
        allowed,
        request,
    }
}

fn path(p: &str) -> (String, Body) {
    (p.to_string(), Body::None)
}

fn form(p: String, fields: &[(&'static str, &str)]) -> (String, Body) {
    (
        p,
        Body::Form(fields.iter().map(|(k, v)| (*k, v.to_string())).collect()),
    )
}

fn program_json(agency: &str) -> Value {
    json!({"name": "Uji akses peran", "sector": "pemberdayaan_perempuan", "agency": agency,
        "kind": "pelatihan", "start": "2026-01-01", "end": "2026-12-31", "budget": 1_000_000,
        "capacity": 0, "eligibility": "di_wilayah(\"53.71\")"})
}

const CSV_HEADER_ONLY: &str = "no_kk,kode_wilayah\n";
const OUTCOMES_CSV: &str = "no_kk,tanggal,usaha,pendapatan_bulanan,bekerja\n";

/// Every route of the server, with who may use it.
fn table() -> Vec<Row> {
    vec![
        // ---- API: public --------------------------------------------------
        get("/api/v1/openapi.json", EVERYONE, |_, _| {
            path("/api/v1/openapi.json")
        }),
        get("/api/v1/regions", EVERYONE, |_, _| {
            path("/api/v1/regions?per_page=5")
        }),
        get("/api/v1/regions/{code}", EVERYONE, |_, _| {
            path("/api/v1/regions/53.71")
        }),
        get("/api/v1/programs", EVERYONE, |_, _| {
            path("/api/v1/programs")
        }),
        get("/api/v1/programs/{id}", EVERYONE, |c, w| {
            path(&format!("/api/v1/programs/{}", c.program(w)))
        }),
        // ---- API: session -------------------------------------------------
        // Anyone may sign in; the anonymous row has no account (401).
        post("/api/v1/session", SIGNED_IN, |_, _| {
            ("/api/v1/session".into(), Body::ApiLogin)
        }),
        Row {
            method: "delete",
            route: "/api/v1/session",
            allowed: SIGNED_IN,
            request: |_, _| ("/api/v1/session".into(), Body::Logout),
        },
        get("/api/v1/me", SIGNED_IN, |_, _| path("/api/v1/me")),
        // ---- API: registry ------------------------------------------------
        post("/api/v1/households/search", REGISTRY_READERS, |_, _| {
            (
                "/api/v1/households/search".into(),
                Body::Json(json!({"q": "Budi"})),
            )
        }),
        get(
            "/api/v1/households/{reference}",
            REGISTRY_READERS,
            |_, _| path("/api/v1/households/0123456789abcdef01234567"),
        ),
        post("/api/v1/imports/{kind}", REGISTRY_WRITERS, |_, _| {
            (
                "/api/v1/imports/households".into(),
                Body::Csv(CSV_HEADER_ONLY.into()),
            )
        }),
        get("/api/v1/imports/{run}/rejects", STAFF, |_, _| {
            path("/api/v1/imports/999999/rejects")
        }),
        post("/api/v1/targeting", PLANNING, |_, _| {
            (
                "/api/v1/targeting".into(),
                Body::Json(json!({"select": "desil <= 4"})),
            )
        }),
        // ---- API: users ---------------------------------------------------
        get("/api/v1/users", ADMIN, |_, _| path("/api/v1/users")),
        post("/api/v1/users", ADMIN, |_, _| {
            (
                "/api/v1/users".into(),
                Body::Json(
                    json!({"username": "uji.akses", "role": "planner", "password": "kata-sandi-uji-123"}),
                ),
            )
        }),
        post("/api/v1/users/{id}/status", ADMIN, |_, _| {
            (
                "/api/v1/users/999999/status".into(),
                Body::Json(json!({"disabled": true})),
            )
        }),
        // ---- API: programs ------------------------------------------------
        post("/api/v1/programs", RUNNERS, |c, w| {
            (
                "/api/v1/programs".into(),
                Body::Json(program_json(&c.agency(w))),
            )
        }),
        // Aggregates; small counts suppressed for those outside the program.
        get("/api/v1/programs/{id}/dry-run", EVALUATORS, |c, w| {
            path(&format!("/api/v1/programs/{}/dry-run", c.program(w)))
        }),
        get(
            "/api/v1/programs/{id}/enrollments",
            PARTICIPANT_READERS,
            |c, w| path(&format!("/api/v1/programs/{}/enrollments", c.program(w))),
        ),
        post("/api/v1/programs/{id}/decisions", RUNNERS, |c, w| {
            (
                format!("/api/v1/programs/{}/decisions", c.program(w)),
                Body::Json(json!({"no_kk": c.kk(w), "action": "propose", "why": "uji akses"})),
            )
        }),
        get("/api/v1/programs/{id}/sessions", STAFF, |c, w| {
            path(&format!("/api/v1/programs/{}/sessions", c.program(w)))
        }),
        post("/api/v1/programs/{id}/sessions", RUNNERS, |c, w| {
            (
                format!("/api/v1/programs/{}/sessions", c.program(w)),
                Body::Json(json!({"date": "2026-06-01", "topic": "Uji akses"})),
            )
        }),
        post("/api/v1/sessions/{id}/attendance", RUNNERS, |c, w| {
            (
                format!("/api/v1/sessions/{}/attendance", c.session(w).1),
                Body::Json(json!({"marks": [{"no_kk": c.kk(w), "present": true}]})),
            )
        }),
        get(
            "/api/v1/programs/{id}/visits",
            PARTICIPANT_READERS,
            |c, w| path(&format!("/api/v1/programs/{}/visits", c.program(w))),
        ),
        post("/api/v1/programs/{id}/visits", RUNNERS, |c, w| {
            (
                format!("/api/v1/programs/{}/visits", c.program(w)),
                Body::Json(json!({"no_kk": c.kk(w), "date": "2026-06-01", "notes": "uji"})),
            )
        }),
        post("/api/v1/programs/{id}/referrals", RUNNERS, |c, w| {
            (
                format!("/api/v1/programs/{}/referrals", c.program(w)),
                Body::Json(json!({"no_kk": c.kk(w), "partner": 1, "service": "kur"})),
            )
        }),
        // Each role sees its own referrals (a citizen: none; checked below).
        get("/api/v1/referrals", SIGNED_IN, |_, _| {
            path("/api/v1/referrals")
        }),
        post(
            "/api/v1/referrals/{id}/status",
            REFERRAL_HANDLERS,
            |c, w| {
                (
                    format!("/api/v1/referrals/{}/status", c.referral(w)),
                    Body::Json(json!({"status": "accepted"})),
                )
            },
        ),
        get(
            "/api/v1/programs/{id}/outcomes",
            PARTICIPANT_READERS,
            |c, w| path(&format!("/api/v1/programs/{}/outcomes", c.program(w))),
        ),
        post("/api/v1/programs/{id}/outcomes", RUNNERS, |c, w| {
            (
                format!("/api/v1/programs/{}/outcomes", c.program(w)),
                Body::Json(
                    json!({"outcomes": [{"no_kk": c.kk(w), "date": "2026-06-01", "employed": true}]}),
                ),
            )
        }),
        post("/api/v1/programs/{id}/outcomes/import", RUNNERS, |c, w| {
            (
                format!("/api/v1/programs/{}/outcomes/import", c.program(w)),
                Body::Csv(OUTCOMES_CSV.into()),
            )
        }),
        get("/api/v1/programs/{id}/panel", EVALUATORS, |c, w| {
            path(&format!("/api/v1/programs/{}/panel", c.program(w)))
        }),
        get("/api/v1/partners", STAFF, |_, _| path("/api/v1/partners")),
        post("/api/v1/partners", ADMIN, |_, _| {
            (
                "/api/v1/partners".into(),
                Body::Json(
                    json!({"name": "Mitra uji akses", "kind": "usaha", "services": ["akses_pasar"]}),
                ),
            )
        }),
        // ---- pages: public ------------------------------------------------
        get("/", EVERYONE, |_, _| path("/")),
        get("/wilayah/{code}", EVERYONE, |_, _| path("/wilayah/53.71")),
        get("/static/style.css", EVERYONE, |_, _| {
            path("/static/style.css")
        }),
        get("/lang/{lang}", EVERYONE, |_, _| path("/lang/en?next=/")),
        get("/login", EVERYONE, |_, _| path("/login")),
        post("/login", SIGNED_IN, |_, _| {
            ("/login".into(), Body::PageLogin)
        }),
        post("/logout", SIGNED_IN, |_, _| {
            ("/logout".into(), Body::Logout)
        }),
        get("/program", EVERYONE, |_, _| path("/program")),
        get("/program/{id}", EVERYONE, |c, w| {
            path(&format!("/program/{}", c.program(w)))
        }),
        get("/healthz", EVERYONE, |_, _| path("/healthz")),
        get("/metrics", ADMIN, |_, _| path("/metrics")),
        // ---- pages: console -----------------------------------------------
        get("/staff", STAFF, |_, _| path("/staff")),
        get("/staff/households", REGISTRY_READERS, |_, _| {
            path("/staff/households")
        }),
        post("/staff/households", REGISTRY_READERS, |_, _| {
            form("/staff/households".into(), &[("q", "Budi")])
        }),
        get("/staff/households/{reference}", REGISTRY_READERS, |_, _| {
            path("/staff/households/0123456789abcdef01234567")
        }),
        get("/staff/import", REGISTRY_WRITERS, |_, _| {
            path("/staff/import")
        }),
        post("/staff/import", REGISTRY_WRITERS, |_, _| {
            (
                "/staff/import".into(),
                Body::Multipart(
                    vec![("kind", "households".into())],
                    "rumah_tangga.csv",
                    CSV_HEADER_ONLY.into(),
                ),
            )
        }),
        get("/staff/import/template/{file}", REGISTRY_WRITERS, |_, _| {
            path("/staff/import/template/households.csv")
        }),
        get("/staff/import/{run}/rejects.csv", STAFF, |_, _| {
            path("/staff/import/999999/rejects.csv")
        }),
        get("/staff/targeting", PLANNING, |_, _| {
            path("/staff/targeting")
        }),
        post("/staff/targeting", PLANNING, |_, _| {
            form("/staff/targeting".into(), &[("select", "desil <= 4")])
        }),
        get("/staff/users", ADMIN, |_, _| path("/staff/users")),
        post("/staff/users", ADMIN, |_, _| {
            form(
                "/staff/users".into(),
                &[
                    ("username", "uji.akses.form"),
                    ("role", "planner"),
                    ("password", "kata-sandi-uji-123"),
                ],
            )
        }),
        post("/staff/users/{id}/status", ADMIN, |_, _| {
            form("/staff/users/999999/status".into(), &[("disabled", "true")])
        }),
        get("/staff/programs", STAFF, |_, _| path("/staff/programs")),
        post("/staff/programs", RUNNERS, |c, w| {
            let agency = c.agency(w);
            form(
                "/staff/programs".into(),
                &[
                    ("name", "Uji akses formulir"),
                    ("sector", "pemberdayaan_perempuan"),
                    ("agency", &agency),
                    ("kind", "pelatihan"),
                    ("start", "2026-01-01"),
                    ("end", "2026-12-31"),
                    ("budget", "1000000"),
                    ("eligibility", "di_wilayah(\"53.71\")"),
                ],
            )
        }),
        get("/staff/programs/{id}", STAFF, |c, w| {
            path(&format!("/staff/programs/{}", c.program(w)))
        }),
        post("/staff/programs/{id}/decisions", RUNNERS, |c, w| {
            let kk = c.kk(w);
            form(
                format!("/staff/programs/{}/decisions", c.program(w)),
                &[("no_kk", &kk), ("action", "propose"), ("why", "uji akses")],
            )
        }),
        post("/staff/programs/{id}/sessions", RUNNERS, |c, w| {
            form(
                format!("/staff/programs/{}/sessions", c.program(w)),
                &[("date", "2026-06-01"), ("topic", "Uji akses")],
            )
        }),
        // The attendance form lists participants by name: for the program's runners.
        get("/staff/programs/{id}/sessions/{sid}", RUNNERS, |c, w| {
            let (p, s) = c.session(w);
            path(&format!("/staff/programs/{p}/sessions/{s}"))
        }),
        post("/staff/programs/{id}/sessions/{sid}", RUNNERS, |c, w| {
            let (p, s) = c.session(w);
            let listed = format!("listed_{}", c.kk(w));
            (
                format!("/staff/programs/{p}/sessions/{s}"),
                Body::Form(vec![(Box::leak(listed.into_boxed_str()), "on".into())]),
            )
        }),
        post("/staff/programs/{id}/visits", RUNNERS, |c, w| {
            let kk = c.kk(w);
            form(
                format!("/staff/programs/{}/visits", c.program(w)),
                &[("no_kk", &kk), ("date", "2026-06-01"), ("notes", "uji")],
            )
        }),
        post("/staff/programs/{id}/referrals", RUNNERS, |c, w| {
            let kk = c.kk(w);
            form(
                format!("/staff/programs/{}/referrals", c.program(w)),
                &[("no_kk", &kk), ("partner", "1"), ("service", "kur")],
            )
        }),
        post("/staff/programs/{id}/outcomes", RUNNERS, |c, w| {
            let kk = c.kk(w);
            form(
                format!("/staff/programs/{}/outcomes", c.program(w)),
                &[("no_kk", &kk), ("date", "2026-06-01"), ("employed", "ya")],
            )
        }),
        post("/staff/programs/{id}/outcomes/import", RUNNERS, |c, w| {
            (
                format!("/staff/programs/{}/outcomes/import", c.program(w)),
                Body::Multipart(vec![], "hasil.csv", OUTCOMES_CSV.into()),
            )
        }),
        get(
            "/staff/referrals",
            &[
                Partner,
                Village,
                Agency,
                AgencyOther,
                Planner,
                Auditor,
                Admin,
            ],
            |_, _| path("/staff/referrals"),
        ),
        post("/staff/referrals/{rid}", REFERRAL_HANDLERS, |c, w| {
            form(
                format!("/staff/referrals/{}", c.referral(w)),
                &[("status", "accepted")],
            )
        }),
    ]
}

/// The demo's objects for the rows, found through the API as an admin.
async fn context(app: &TestApp) -> Ctx {
    let (admin, _) = app.api_login("admin").await;
    let get = |p: String| {
        let admin = admin.clone();
        let url = app.url(&p);
        async move {
            admin
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let programs = get("/api/v1/programs".into()).await;
    let programs = programs["items"].as_array().unwrap();
    let own = programs
        .iter()
        .find(|p| p["agency"] == AGENCY_P3A_KUPANG)
        .unwrap();
    let other = programs
        .iter()
        .find(|p| p["agency"] != AGENCY_P3A_KUPANG)
        .unwrap();
    let id = |p: &Value| p["id"].as_i64().unwrap();
    let first_kk = |v: Value| v["items"][0]["no_kk"].as_str().unwrap().to_string();
    let first_id = |v: Value| v["items"][0]["id"].as_i64().unwrap();
    let referrals = get("/api/v1/referrals".into()).await;
    let referrals = referrals["items"].as_array().unwrap();
    let referral_of = |f: &dyn Fn(&Value) -> bool| {
        referrals.iter().find(|r| f(r)).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    Ctx {
        own: id(own),
        other: id(other),
        other_agency: other["agency"].as_str().unwrap().to_string(),
        own_kk: first_kk(get(format!("/api/v1/programs/{}/enrollments", id(own))).await),
        other_kk: first_kk(get(format!("/api/v1/programs/{}/enrollments", id(other))).await),
        own_session: first_id(get(format!("/api/v1/programs/{}/sessions", id(own))).await),
        other_session: first_id(get(format!("/api/v1/programs/{}/sessions", id(other))).await),
        own_referral: referral_of(&|r| r["program"] == own["id"]),
        other_referral: referral_of(&|r| {
            r["partner"] != 1
                && programs
                    .iter()
                    .any(|p| p["id"] == r["program"] && p["agency"] != AGENCY_P3A_KUPANG)
        }),
        bank_referral: referral_of(&|r| r["partner"] == 1),
    }
}

/// Sends one row's request as one role; returns the status and, for a
/// redirect, where to.
async fn send(
    app: &TestApp,
    clients: &[(Who, reqwest::Client, String)],
    row: &Row,
    ctx: &Ctx,
    who: Who,
) -> (u16, String) {
    let (p, body) = (row.request)(ctx, who);
    let url = app.url(&p);
    let (mut c, mut csrf) = clients
        .iter()
        .find(|(w, _, _)| *w == who)
        .map(|(_, c, t)| (c.clone(), t.clone()))
        .unwrap();
    let user = who.username();
    let method = reqwest::Method::from_bytes(row.method.to_uppercase().as_bytes()).unwrap();
    let r = match body {
        Body::None => c.request(method, url).send().await.unwrap(),
        Body::Json(v) => c
            .request(method, url)
            .header("x-csrf-token", &csrf)
            .json(&v)
            .send()
            .await
            .unwrap(),
        Body::Form(mut f) => {
            f.push(("csrf", csrf));
            c.request(method, url).form(&f).send().await.unwrap()
        }
        Body::Multipart(fields, name, content) => {
            let mut m = reqwest::multipart::Form::new().text("csrf", csrf);
            for (k, v) in fields {
                m = m.text(k, v);
            }
            m = m.part(
                "file",
                reqwest::multipart::Part::text(content).file_name(name),
            );
            c.request(method, url).multipart(m).send().await.unwrap()
        }
        Body::Csv(s) => c
            .request(method, url)
            .header("x-csrf-token", &csrf)
            .header("content-type", "text/csv")
            .body(s)
            .send()
            .await
            .unwrap(),
        Body::ApiLogin => app
            .client()
            .request(method, url)
            .json(&json!({"username": user.unwrap_or("nobody"), "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
        Body::PageLogin => {
            let c = app.client();
            let page = c
                .get(app.url("/login"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let token = common::hidden(&page, "csrf");
            c.request(method, url)
                .form(&[
                    ("csrf", token.as_str()),
                    ("username", user.unwrap_or("nobody")),
                    ("password", PASSWORD),
                ])
                .send()
                .await
                .unwrap()
        }
        Body::Logout => {
            if let Some(u) = user {
                (c, csrf) = app.api_login(u).await;
            }
            c.request(method, url)
                .header("x-csrf-token", &csrf)
                .form(&[("csrf", csrf.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (r.status().as_u16(), location)
}

/// Whether an answer refuses the role: 401, 403, or (pages) a redirect to sign in.
fn refused(status: u16, location: &str) -> bool {
    status == 401
        || status == 403
        || ((300..400).contains(&status) && location.starts_with("/login"))
}

sejahtera_testkit::on_both_backends! {
async fn every_role_gets_exactly_the_access_the_table_gives(db) {
    let app = TestApp::with_demo(db).await;
    let ctx = context(&app).await;
    let mut clients = Vec::new();
    for who in EVERYONE {
        let (c, csrf) = match who.username() {
            Some(u) => app.api_login(u).await,
            None => (app.client(), String::new()),
        };
        clients.push((*who, c, csrf));
    }
    let mut wrong = Vec::new();
    for row in table() {
        for who in EVERYONE {
            let (status, location) = send(&app, &clients, &row, &ctx, *who).await;
            let allowed = row.allowed.contains(who);
            if status >= 500 {
                wrong.push(format!(
                    "{} {} as {who:?}: server error {status}",
                    row.method, row.route
                ));
            } else if allowed == refused(status, &location) {
                wrong.push(format!(
                    "{} {} as {who:?}: {status} {location} but the table says {}",
                    row.method,
                    row.route,
                    if allowed { "allowed" } else { "refused" }
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // Where a list is open to a role, it holds only what the role may see.
    let list = |who: Who| {
        let c = clients
            .iter()
            .find(|(w, _, _)| *w == who)
            .unwrap()
            .1
            .clone();
        let url = app.url("/api/v1/referrals");
        async move {
            c.get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(list(Citizen).await["items"], json!([]));
    let bank = list(Partner).await;
    assert!(!bank["items"].as_array().unwrap().is_empty());
    assert!(
        bank["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["partner"] == 1),
        "{bank}"
    );
    app.stop().await;
}

async fn every_route_has_a_row(db) {
    let app = TestApp::empty(db).await;
    let live = common::live_routes(&app).await;
    let mut rows: Vec<(String, String)> = table()
        .iter()
        .map(|r| (r.route.to_string(), r.method.to_string()))
        .collect();
    rows.sort();
    let missing: Vec<_> = live.iter().filter(|r| !rows.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the access table: {missing:?}"
    );
    let stale: Vec<_> = rows.iter().filter(|r| !live.contains(r)).collect();
    assert!(
        stale.is_empty(),
        "rows for routes the server does not answer: {stale:?}"
    );
    let mut seen = rows.clone();
    seen.dedup();
    assert_eq!(seen.len(), rows.len(), "a route has two rows");
    app.stop().await;
}
}
