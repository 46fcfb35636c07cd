//! Integration tests of the portal, the console and the API: each starts the
//! server on port 0 with a fresh database.

mod common;

use common::{PASSWORD, TestApp, has_16_digit_number, hidden};
use serde_json::Value;

const PUBLIC_PAGES: &[&str] = &[
    "/",
    "/wilayah/53.71",
    "/wilayah/53.71.04",
    "/wilayah/53.71.04.1001",
    "/wilayah/15.03",
    "/wilayah/15.03.03",
];

sejahtera_testkit::on_both_backends! {
async fn public_portal_shows_indicators_maps_and_charts_without_personal_data(db) {
    let app = TestApp::with_demo(db).await;
    let c = app.client();
    for path in PUBLIC_PAGES {
        let r = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let body = r.text().await.unwrap();
        assert!(
            body.len() <= 200 * 1024,
            "{path} weighs {} bytes",
            body.len()
        );
        assert!(
            !has_16_digit_number(&body),
            "{path} shows a 16-digit number"
        );
        assert!(!body.contains("<script"), "{path} needs no JavaScript");
    }
    let r = c.get(app.url("/wilayah/53.71")).send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let kupang = r.text().await.unwrap();
    assert!(kupang.contains("Kota Kupang"));
    assert!(kupang.contains("class=\"choropleth\""), "map");
    assert_eq!(
        kupang.matches("<svg class=\"choropleth\"").count(),
        2,
        "district and village maps"
    );
    assert!(kupang.contains("data-code=\"53.71.01\""), "district shape");
    assert!(
        kupang.contains("data-code=\"53.71.04.1001\""),
        "village shape"
    );
    assert!(kupang.contains("class=\"curve\""), "Lorenz curve");
    assert!(kupang.contains("class=\"dist\""), "distribution chart");
    assert!(kupang.contains("Rp 645.346"), "poverty line in Rupiah");
    assert!(kupang.contains("id=\"children\""), "district table");
    assert!(
        kupang.contains("href=\"/wilayah/53.71.04\""),
        "drill-down link"
    );
    assert!(kupang.contains("WITA"), "time in the region's zone");
    assert!(
        kupang.contains("Tingkat kemiskinan"),
        "Indonesian by default"
    );
    let sarolangun = c
        .get(app.url("/wilayah/15.03"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sarolangun.contains("WIB"));
    // Unknown and malformed codes.
    assert_eq!(
        c.get(app.url("/wilayah/99.99"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        c.get(app.url("/wilayah/abc"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    app.stop().await;
}

async fn api_regions_match_the_pages_and_carry_no_personal_data(db) {
    let app = TestApp::with_demo(db).await;
    let c = app.client();
    let v: Value = c
        .get(app.url("/api/v1/regions/53.71"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["region"]["code"], "53.71");
    assert_eq!(v["poverty_line"]["amount"], 645346);
    assert_eq!(v["children"].as_array().unwrap().len(), 6);
    let p0 = v["region"]["p0"].as_f64().unwrap();
    assert!(p0 > 0.02 && p0 < 0.2, "{p0}");
    let list: Value = c
        .get(app.url("/api/v1/regions?level=village&parent=53.71&per_page=10&page=2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 51);
    assert_eq!(list["page"], 2);
    assert_eq!(list["items"].as_array().unwrap().len(), 10);
    let all = c
        .get(app.url("/api/v1/regions?per_page=500"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!has_16_digit_number(&all));
    let bad = c
        .get(app.url("/api/v1/regions?level=planet"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let e: Value = bad.json().await.unwrap();
    assert_eq!(e["error"]["code"], "bad_request");
    let missing = c.get(app.url("/api/v1/nothing")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let e: Value = missing.json().await.unwrap();
    assert_eq!(e["error"]["code"], "not_found");
    let spec: Value = c
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(spec["openapi"], "3.0.3");
    assert!(spec["paths"]["/households/search"]["post"].is_object());
    app.stop().await;
}

async fn the_public_cannot_reach_any_personal_data_route(db) {
    let app = TestApp::with_demo(db).await;
    let c = app.client();
    for path in [
        "/staff",
        "/staff/households",
        "/staff/households/0123456789abcdef01234567",
        "/staff/import",
        "/staff/import/template/households.csv",
        "/staff/import/1/rejects.csv",
        "/staff/users",
    ] {
        let r = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert!(!has_16_digit_number(&r.text().await.unwrap()));
    }
    for path in [
        "/api/v1/me",
        "/api/v1/households/0123456789abcdef01234567",
        "/api/v1/users",
        "/api/v1/imports/1/rejects",
    ] {
        let r = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "unauthorized");
    }
    let r = c
        .post(app.url("/api/v1/households/search"))
        .json(&serde_json::json!({"q": "maria"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(app.url("/api/v1/imports/households"))
        .body("no_kk\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Citizens and partners have accounts but never see the registry.
    for who in ["citizen", "partner", "agency"] {
        let (c, csrf) = app.api_login(who).await;
        let r = common::post_json(
            &c,
            app.url("/api/v1/households/search"),
            &csrf,
            serde_json::json!({"q": "maria"}),
        )
        .await;
        assert_eq!(r.status(), 403, "{who}");
    }
    app.stop().await;
}
}

async fn search(c: &reqwest::Client, app: &TestApp, csrf: &str, q: &str) -> Value {
    let r = common::post_json(
        c,
        app.url("/api/v1/households/search"),
        csrf,
        serde_json::json!({"q": q, "per_page": 200}),
    )
    .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

sejahtera_testkit::on_both_backends! {
async fn a_village_operator_sees_only_their_villages(db) {
    let app = TestApp::with_demo(db).await;
    let oebobo = common::households_of(&app.db, "53.71.04.1001").await;
    let alak_kk = common::households_of(&app.db, "53.71.01.1001").await;
    assert!(!oebobo.is_empty() && !alak_kk.is_empty());
    let (op, csrf) = app.api_login("op.oebobo").await;
    let mine = search(&op, &app, &csrf, &oebobo[0]).await;
    let items = mine["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["village"], "53.71.04.1001");
    // Searching another village's KK number finds nothing for them.
    let none = search(&op, &app, &csrf, &alak_kk[0]).await;
    assert_eq!(none["total"], 0);
    // A name search stays within their village.
    let head = items[0]["head_name"].as_str().unwrap_or("Ndun").to_string();
    let by_name = search(&op, &app, &csrf, &head).await;
    assert!(
        by_name["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["village"] == "53.71.04.1001")
    );
    // A household of another village: 403 on the API and on the page.
    let (alak, lcsrf) = app.api_login("op.alak").await;
    let theirs = search(&alak, &app, &lcsrf, &alak_kk[0]).await;
    let other = theirs["items"][0]["ref"].as_str().unwrap().to_string();
    let r = op
        .get(app.url(&format!("/api/v1/households/{other}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(!has_16_digit_number(&body), "no data in the refusal");
    let page = app.form_login("op.oebobo").await;
    let r = page
        .get(app.url(&format!("/staff/households/{other}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(!has_16_digit_number(&r.text().await.unwrap()));
    // Their own household: members with NIK and flags.
    let own = items[0]["ref"].as_str().unwrap();
    let d: Value = op
        .get(app.url(&format!("/api/v1/households/{own}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["kode_wilayah"], "53.71.04.1001");
    assert!(!d["members"].as_array().unwrap().is_empty());
    let r = page
        .get(app.url(&format!("/staff/households/{own}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"members\""));
    // Search by KK number through the page form (POST: the number stays out of the URL).
    let no_kk = d["no_kk"].as_str().unwrap();
    let form = page
        .get(app.url("/staff/households"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf_field = hidden(&form, "csrf");
    let r = page
        .post(app.url("/staff/households"))
        .form(&[("csrf", csrf_field.as_str()), ("q", no_kk), ("page", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains(own));
    app.stop().await;
}

async fn forms_and_api_calls_without_a_valid_csrf_token_are_refused(db) {
    let app = TestApp::with_demo(db).await;
    let page = app.form_login("admin").await;
    for (path, form) in [
        ("/staff/households", vec![("q", "maria")]),
        (
            "/staff/users",
            vec![
                ("username", "x.y.z"),
                ("role", "planner"),
                ("password", "long-enough-pw"),
            ],
        ),
        ("/logout", vec![]),
    ] {
        let r = page.post(app.url(path)).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path} without a token");
        let mut with_bad = form.clone();
        with_bad.push(("csrf", "0000"));
        let r = page
            .post(app.url(path))
            .form(&with_bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path} with a wrong token");
    }
    // The user was not created.
    let (api, csrf) = app.api_login("admin").await;
    let users: Value = api
        .get(app.url("/api/v1/users"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        users["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["username"] != "x.y.z")
    );
    // API without the header.
    let r = api
        .post(app.url("/api/v1/users"))
        .json(&serde_json::json!({"username": "a.b.c", "role": "planner", "password": "long-enough-pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = common::post_json(
        &api,
        app.url("/api/v1/users"),
        &csrf,
        serde_json::json!({"username": "a.b.c", "role": "planner", "password": "long-enough-pw"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    // The sign-in form needs its double-submit token too.
    let fresh = app.client();
    let r = fresh
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    app.stop().await;
}

async fn wrong_passwords_throttle_the_account_even_for_the_right_password(db) {
    let app = TestApp::with_throttle(db, sejahtera_app::accounts::ThrottlePolicy {
        per_account: 3,
        per_address: 50,
        window: std::time::Duration::from_secs(600),
    })
    .await;
    let c = app.client();
    for _ in 0..3 {
        let r = c
            .post(app.url("/api/v1/session"))
            .json(&serde_json::json!({"username": "planner", "password": "wrong-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = c
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"username": "planner", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // Another account is not locked.
    let (_, _) = app.api_login("auditor").await;
    // The form shows the same refusal.
    let page = c
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "planner"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    app.stop().await;
}
}

const HOUSEHOLDS_HEADER: &str = "no_kk,kode_wilayah,rt,rw,alamat,pengeluaran_bulanan,lantai,dinding,atap,sumber_air,sanitasi,listrik,bahan_bakar,status_rumah";
const PERSONS_HEADER: &str = "nik,no_kk,nama,jenis_kelamin,tanggal_lahir,hubungan,pendidikan,pekerjaan,sektor,disabilitas,status_kawin";

/// 12 households in Namosain (53.71.01.1001) and 3 in Nunbaun Sabu (53.71.01.1002).
fn small_registry() -> (String, String) {
    let mut h = format!("{HOUSEHOLDS_HEADER}\n");
    let mut p = format!("{PERSONS_HEADER}\n");
    for i in 0..15u32 {
        let village = if i < 12 {
            "53.71.01.1001"
        } else {
            "53.71.01.1002"
        };
        let kk = format!("537101010199{:04}", i);
        let spend = if i % 2 == 0 { 1_000_000 } else { 4_000_000 };
        h.push_str(&format!(
            "{kk},{village},001,002,Jl. Uji {i},{spend},semen,tembok,seng,perpipaan,sendiri,pln_meter,gas,milik_sendiri\n"
        ));
        let nik = format!("53710112039{:05}", i);
        p.push_str(&format!(
            "{nik},{kk},Warga Uji {i},L,1990-03-12,kepala,sma,nelayan,perikanan,tidak,kawin\n"
        ));
        let nik2 = format!("53710152039{:05}", i);
        p.push_str(&format!(
            "{nik2},{kk},Istri Uji {i},P,1990-03-12,istri,sma,,,tidak,kawin\n"
        ));
    }
    (h, p)
}

async fn api_import(
    c: &reqwest::Client,
    app: &TestApp,
    csrf: &str,
    kind: &str,
    body: String,
) -> Value {
    let r = c
        .post(app.url(&format!("/api/v1/imports/{kind}")))
        .header("x-csrf-token", csrf)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    v
}

sejahtera_testkit::on_both_backends! {
async fn small_cells_are_suppressed_and_imports_invalidate_the_cache(db) {
    let app = TestApp::empty(db).await;
    let c = app.client();
    let before: Value = c
        .get(app.url("/api/v1/regions/53.71.01.1001"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(before["region"]["suppressed"], true);
    let (admin, csrf) = app.api_login("admin").await;
    let (h, p) = small_registry();
    let r = api_import(&admin, &app, &csrf, "households", h).await;
    assert_eq!(r["accepted"], 15);
    let r = api_import(&admin, &app, &csrf, "persons", p).await;
    assert_eq!(r["accepted"], 30, "{r}");
    // The cache notices the import at once (the import bumped the generation).
    let big: Value = c
        .get(app.url("/api/v1/regions/53.71.01.1001"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(big["region"]["suppressed"], false);
    assert_eq!(big["region"]["households"], 12);
    assert_eq!(big["region"]["population"], 24);
    // Per capita 500.000 (poor, below Rp 645.346) for half the households.
    assert_eq!(big["region"]["p0"], 0.5);
    let small: Value = c
        .get(app.url("/api/v1/regions/53.71.01.1002"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(small["region"]["suppressed"], true);
    assert!(small["region"]["households"].is_null());
    assert!(small["region"]["p0"].is_null());
    assert!(small["region"]["population"].is_null());
    // The page shows "—" for the small village.
    let page = c
        .get(app.url("/wilayah/53.71.01.1002"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-k=\"p0\">—"), "suppressed P0");
    assert!(page.contains("data-k=\"households\">—"));
    let page = c
        .get(app.url("/wilayah/53.71.01"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("50,00 %"),
        "the district's P0 from 15 households"
    );
    app.stop().await;
}

async fn a_village_operator_imports_only_their_villages_and_gets_the_rejects_report(db) {
    let app = TestApp::empty(db).await;
    let (op, csrf) = app.api_login("op.alak").await; // 53.71.01.1001 only
    let (h, _) = small_registry();
    let r = api_import(&op, &app, &csrf, "households", h).await;
    assert_eq!(r["accepted"], 12);
    assert_eq!(r["rejected"], 3);
    let url = r["rejects_url"].as_str().unwrap().to_string();
    let rejects = op.get(app.url(&url)).send().await.unwrap();
    assert_eq!(rejects.status(), 200);
    let text = rejects.text().await.unwrap();
    assert!(text.starts_with("line,column,reason,raw"));
    assert_eq!(text.matches("outside the villages you may edit").count(), 3);
    assert!(text.contains("\n14,kode_wilayah,"), "{text}");
    // Another operator cannot read that report.
    let (other, _) = app.api_login("op.oebobo").await;
    assert_eq!(other.get(app.url(&url)).send().await.unwrap().status(), 404);
    // Readers cannot import.
    let (planner, pcsrf) = app.api_login("planner").await;
    let r = planner
        .post(app.url("/api/v1/imports/households"))
        .header("x-csrf-token", &pcsrf)
        .body(format!("{HOUSEHOLDS_HEADER}\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Through the page: multipart upload with the form's token.
    let page = app.form_login("admin").await;
    let form = page
        .get(app.url("/staff/import"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden(&form, "csrf");
    let (h, _) = small_registry();
    let mp = reqwest::multipart::Form::new()
        .text("csrf", token)
        .text("kind", "households")
        .part(
            "file",
            reqwest::multipart::Part::bytes(h.into_bytes()).file_name("rumah_tangga.csv"),
        );
    let r = page
        .post(app.url("/staff/import"))
        .multipart(mp)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"accepted\">15<"), "{html}");
    assert!(html.contains("/rejects.csv"));
    app.stop().await;
}

async fn language_switch_and_formats(db) {
    let app = TestApp::with_demo(db).await;
    let c = app.client();
    let id = c
        .get(app.url("/wilayah/53.71"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(id.contains("lang=\"id\""));
    assert!(id.contains("Penduduk"));
    let r = c
        .get(app.url("/lang/en?next=/wilayah/53.71"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/wilayah/53.71");
    let en = c
        .get(app.url("/wilayah/53.71"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("lang=\"en\""));
    assert!(en.contains("Population"));
    assert!(
        en.contains("Rp 645.346"),
        "Rupiah keeps its Indonesian form"
    );
    // No open redirect.
    let r = c
        .get(app.url("/lang/id?next=//evil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");
    app.stop().await;
}

async fn health_metrics_and_user_administration(db) {
    let app = TestApp::empty(db).await;
    let c = app.client();
    assert_eq!(
        c.get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok\n"
    );
    c.get(app.url("/wilayah/53.71")).send().await.unwrap();
    // Metrics are for administrators (or a scraper's token), not the public.
    assert_eq!(
        c.get(app.url("/metrics")).send().await.unwrap().status(),
        401
    );
    let (admin, _) = app.api_login("admin").await;
    let m = admin
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("sejahtera_http_requests_total{method=\"GET\",route=\"/wilayah/{code}\",status=\"200\"} 1"), "{m}");
    assert!(m.contains("sejahtera_http_request_duration_seconds_bucket"));
    // Only admins manage users.
    let (planner, pcsrf) = app.api_login("planner").await;
    assert_eq!(
        planner
            .get(app.url("/api/v1/users"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let r = common::post_json(
        &planner,
        app.url("/api/v1/users"),
        &pcsrf,
        serde_json::json!({"username": "new.user", "role": "admin", "password": "long-enough-pw"}),
    )
    .await;
    assert_eq!(r.status(), 403);
    let (admin, csrf) = app.api_login("admin").await;
    // Validation errors name the problem.
    let r = common::post_json(&admin, app.url("/api/v1/users"), &csrf, serde_json::json!({"username": "op.x", "role": "village_operator", "password": "long-enough-pw"})).await;
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at least one village")
    );
    let r = common::post_json(&admin, app.url("/api/v1/users"), &csrf, serde_json::json!({"username": "op.x", "role": "village_operator", "villages": ["53.71.04.1001"], "password": "short"})).await;
    assert_eq!(r.status(), 400);
    let r = common::post_json(&admin, app.url("/api/v1/users"), &csrf, serde_json::json!({"username": "op.x", "role": "village_operator", "villages": ["53.71.04.1001"], "password": "long-enough-pw"})).await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // Disabling ends the user's sessions and blocks sign-in.
    let (opx, _) = {
        let c = app.client();
        let r = c
            .post(app.url("/api/v1/session"))
            .json(&serde_json::json!({"username": "op.x", "password": "long-enough-pw"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        (c, ())
    };
    assert_eq!(
        opx.get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let r = common::post_json(
        &admin,
        app.url(&format!("/api/v1/users/{id}/status")),
        &csrf,
        serde_json::json!({"disabled": true}),
    )
    .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        opx.get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Sign-out ends the session.
    let r = admin
        .delete(app.url("/api/v1/session"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        admin
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    app.stop().await;
}

async fn planners_see_targeting_accuracy_and_village_operators_do_not(db) {
    let app = TestApp::with_demo(db).await;
    let (planner, csrf) = app.api_login("planner").await;
    let r = common::post_json(
        &planner,
        app.url("/api/v1/targeting"),
        &csrf,
        serde_json::json!({"select": "desil <= 4"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let total = &v["total"];
    assert!(total["households"].as_u64().unwrap() > 0);
    assert!(total["selected"].as_u64().unwrap() > 0);
    let inc = total["inclusion_error"].as_f64().unwrap();
    let exc = total["exclusion_error"].as_f64().unwrap();
    assert!(
        (0.0..1.0).contains(&inc) && (0.0..1.0).contains(&exc),
        "{v}"
    );
    assert_eq!(v["districts"].as_array().unwrap().len(), 17);
    assert!(!has_16_digit_number(&v.to_string()));
    // A bad expression says where.
    let r = common::post_json(
        &planner,
        app.url("/api/v1/targeting"),
        &csrf,
        serde_json::json!({"select": "desil <= "}),
    )
    .await;
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["error"]["message"].as_str().unwrap().contains("column"),
        "{e}"
    );
    // Village operators do not see region-wide analytics.
    let (op, ocsrf) = app.api_login("op.oebobo").await;
    let r = common::post_json(
        &op,
        app.url("/api/v1/targeting"),
        &ocsrf,
        serde_json::json!({"select": "desil <= 4"}),
    )
    .await;
    assert_eq!(r.status(), 403);
    // The page.
    let page = app.form_login("planner").await;
    let form = page
        .get(app.url("/staff/targeting"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden(&form, "csrf");
    let r = page
        .post(app.url("/staff/targeting"))
        .form(&[
            ("csrf", token.as_str()),
            ("select", "desil <= 2"),
            ("poor_share", "0.2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"targeting\""));
    assert!(html.contains("(all)"));
    app.stop().await;
}
}
