//! Regression tests of the security review (issue #13), each named after what it
//! guards: login throttling under parallel attempts and behind a proxy, the
//! open redirect, unbounded metrics labels, bounded referral amounts, duplicate
//! names, an agency operator's window into the registry, the partner's view
//! after a refused update, and uploads (size, streaming, messages).

mod common;

use common::{PASSWORD, TestApp, hidden, households_of, post_json};
use sejahtera_app::accounts::ThrottlePolicy;
use serde_json::{Value, json};

fn message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn get_json(c: &reqwest::Client, url: String) -> (u16, Value) {
    let r = c.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

sejahtera_testkit::on_both_backends! {
async fn parallel_wrong_passwords_are_checked_at_most_the_limit(db) {
    // The default policy: 5 per account, 20 per address in 15 minutes.
    let app = TestApp::with_throttle(db, ThrottlePolicy::default()).await;
    let mut tasks = Vec::new();
    for _ in 0..60 {
        let c = app.client();
        let url = app.url("/api/v1/session");
        tasks.push(tokio::spawn(async move {
            c.post(url)
                .json(&json!({"username": "planner", "password": "wrong-password"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut checked = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            401 => checked += 1,
            429 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(
        (checked, refused),
        (5, 55),
        "exactly the limit is checked, the rest refused"
    );
    app.stop().await;
}

async fn behind_a_trusted_proxy_failures_count_per_client_not_per_proxy(db) {
    let app = TestApp::behind_proxy(db, ThrottlePolicy {
        per_account: 100,
        per_address: 3,
        window: std::time::Duration::from_secs(600),
    })
    .await;
    let c = app.client();
    let attempt = |client_ip: &'static str, user: &'static str, password: &'static str| {
        c.post(app.url("/api/v1/session"))
            .header("x-forwarded-for", client_ip)
            .json(&json!({"username": user, "password": password}))
            .send()
    };
    for user in ["nobody1", "nobody2", "nobody3"] {
        let r = attempt("203.0.113.1", user, "wrong-password")
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    // That client is locked out …
    let r = attempt("203.0.113.1", "planner", PASSWORD).await.unwrap();
    assert_eq!(r.status(), 429);
    // … and every other user behind the same proxy is not.
    let r = attempt("203.0.113.2", "planner", PASSWORD).await.unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
}

async fn forwarded_for_is_ignored_without_a_trusted_proxy(db) {
    let app = TestApp::with_throttle(db, ThrottlePolicy {
        per_account: 100,
        per_address: 3,
        window: std::time::Duration::from_secs(600),
    })
    .await;
    let c = app.client();
    // An attacker rotating X-Forwarded-For still counts as one address.
    for (i, user) in ["a1", "a2", "a3"].into_iter().enumerate() {
        let r = c
            .post(app.url("/api/v1/session"))
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .json(&json!({"username": user, "password": "wrong-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = c
        .post(app.url("/api/v1/session"))
        .header("x-forwarded-for", "198.51.100.99")
        .json(&json!({"username": "planner", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    app.stop().await;
}

async fn lang_next_never_leaves_the_site_nor_fails(db) {
    let app = TestApp::empty(db).await;
    let c = app.client();
    for next in [
        "/%09/evil.com",
        "/%0a/evil.com",
        "/%7f",
        "//evil.com",
        "/%5cevil.com",
        "https://evil.com",
    ] {
        let r = c
            .get(app.url(&format!("/lang/en?next={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{next}");
        assert_eq!(r.headers()["location"], "/", "{next}");
    }
    let r = c
        .get(app.url("/lang/en?next=/program%3Fx%3D1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/program?x=1");
    app.stop().await;
}

async fn invented_http_methods_do_not_grow_the_metrics(db) {
    let app = TestApp::empty(db).await;
    let (c, _) = app.api_login("admin").await;
    let size = || async {
        c.get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    // Warm every label this test produces once.
    let method = reqwest::Method::from_bytes(b"WARMUP").unwrap();
    c.request(method, app.url("/")).send().await.unwrap();
    size().await;
    let before = size().await.len();
    for i in 0..200 {
        let name = format!("X{i}{}", "Y".repeat(2000));
        let method = reqwest::Method::from_bytes(name.as_bytes()).unwrap();
        c.request(method, app.url("/")).send().await.unwrap();
    }
    let after = size().await;
    assert!(after.contains("method=\"OTHER\""));
    assert!(!after.contains("YYYY"));
    // Only counter values changed (a few digits), no new series.
    assert!(after.len() < before + 200, "{} -> {}", before, after.len());
    app.stop().await;
}

async fn metrics_are_for_administrators_or_the_scrapers_token(db) {
    let app = TestApp::configured(db, |c| c.metrics_token = Some("scrape-secret-123".into())).await;
    let c = app.client();
    let get = |auth: Option<&'static str>| {
        let mut r = c.get(app.url("/metrics"));
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.send()
    };
    assert_eq!(get(None).await.unwrap().status(), 401);
    assert_eq!(get(Some("Bearer wrong")).await.unwrap().status(), 401);
    let r = get(Some("Bearer scrape-secret-123")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("sejahtera_http_requests_total")
    );
    let (planner, _) = app.api_login("planner").await;
    assert_eq!(
        planner
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let (admin, _) = app.api_login("admin").await;
    assert_eq!(
        admin
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.stop().await;
}
}

/// A referral of the demo's bank in the given status, as its partner account sees it.
async fn bank_referral(app: &TestApp, partner: &reqwest::Client, status: &str) -> Option<i64> {
    let (_, v) = get_json(partner, app.url("/api/v1/referrals")).await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == status)
        .and_then(|r| r["id"].as_i64())
}

sejahtera_testkit::on_both_backends! {
async fn referral_amounts_are_bounded_so_public_sums_cannot_wrap(db) {
    let app = TestApp::with_demo(db).await;
    let (partner, csrf) = app.api_login("partner").await;
    let rid = match bank_referral(&app, &partner, "accepted").await {
        Some(r) => r,
        None => bank_referral(&app, &partner, "referred")
            .await
            .expect("the demo bank has open referrals"),
    };
    let url = app.url(&format!("/api/v1/referrals/{rid}/status"));
    let r = post_json(
        &partner,
        url.clone(),
        &csrf,
        json!({"status": "completed", "result": "KUR", "amount": i64::MAX}),
    )
    .await;
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert!(status == 409 || status == 400, "{status} {v}");
    // A referral still "referred" moves to accepted first; either way the amount was refused.
    assert!(
        message(&v).contains("at most") || message(&v).contains("cannot become"),
        "{v}"
    );
    // Public sums never go negative.
    let (_, list) = get_json(&app.client(), app.url("/api/v1/programs")).await;
    for p in list["items"].as_array().unwrap() {
        let id = p["id"].as_i64().unwrap();
        let (_, detail) = get_json(&app.client(), app.url(&format!("/api/v1/programs/{id}"))).await;
        let amount = &detail["stats"]["referral_amount"];
        if let Some(a) = amount.as_i64() {
            assert!(a >= 0, "{detail}");
        }
    }
    app.stop().await;
}

async fn a_duplicate_program_name_is_a_409_with_a_message(db) {
    let app = TestApp::with_demo(db).await;
    let (agency, csrf) = app.api_login("agency").await;
    let body = json!({"name": "Pelatihan Menjahit Perempuan Kota Kupang", "sector": "pemberdayaan_perempuan",
        "agency": sejahtera_demo::programs::AGENCY_P3A_KUPANG, "kind": "pelatihan",
        "start": "2026-01-01", "end": "2026-12-31", "budget": 1_000_000, "capacity": 5,
        "eligibility": "di_wilayah(\"53.71\")"});
    let r = post_json(&agency, app.url("/api/v1/programs"), &csrf, body).await;
    assert_eq!(r.status(), 409);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "refused");
    assert!(message(&v).contains("sudah ada; pilih nama lain"), "{v}");
    // The same name in other case or with other spaces is the same name.
    let body = json!({"name": "pelatihan  menjahit\u{a0}perempuan KOTA Kupang ", "sector": "pemberdayaan_perempuan",
        "agency": sejahtera_demo::programs::AGENCY_P3A_KUPANG, "kind": "pelatihan",
        "start": "2026-01-01", "end": "2026-12-31", "budget": 1_000_000, "capacity": 5,
        "eligibility": "di_wilayah(\"53.71\")"});
    let r = post_json(&agency, app.url("/api/v1/programs"), &csrf, body).await;
    assert_eq!(r.status(), 409);
    app.stop().await;
}

async fn agency_operators_cannot_use_decisions_to_look_up_the_registry(db) {
    let app = TestApp::with_demo(db).await;
    let (agency, csrf) = app.api_login("agency").await;
    let agency_name = sejahtera_demo::programs::AGENCY_P3A_KUPANG;
    // A program for one Kupang village.
    let r = post_json(
        &agency,
        app.url("/api/v1/programs"),
        &csrf,
        json!({"name": "Uji akses", "sector": "pemberdayaan_perempuan", "agency": agency_name,
               "kind": "pelatihan", "start": "2026-01-01", "end": "2026-12-31", "budget": 1_000_000,
               "capacity": 0, "eligibility": "di_wilayah(\"53.71.04.1001\")"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let url = app.url(&format!("/api/v1/programs/{id}/decisions"));
    let decide = |kk: &str| json!({"no_kk": kk, "action": "propose", "why": "uji"});
    // A Sarolangun household exists but is outside the program's eligibility;
    // a well-formed KK that is in no registry: the same answer, word for word.
    let sarolangun = households_of(&app.db, "15.03.01.2001").await;
    let outside = sarolangun.first().expect("demo households in Sarolangun");
    let r1 = post_json(&agency, url.clone(), &csrf, decide(outside)).await;
    let s1 = r1.status();
    let v1: Value = r1.json().await.unwrap();
    let r2 = post_json(&agency, url.clone(), &csrf, decide("5371049999990001")).await;
    let s2 = r2.status();
    let v2: Value = r2.json().await.unwrap();
    assert_eq!(s1, 409);
    assert_eq!(s2, 409);
    let normalise = |m: String| {
        m.replace(outside.as_str(), "KK")
            .replace("5371049999990001", "KK")
    };
    assert_eq!(normalise(message(&v1)), normalise(message(&v2)));
    assert!(message(&v1).contains("bukan calon peserta"), "{v1}");
    // Nothing was recorded, so the enrollment list shows nobody.
    let (_, list) = get_json(
        &agency,
        app.url(&format!("/api/v1/programs/{id}/enrollments")),
    )
    .await;
    assert_eq!(list["total"], 0, "{list}");
    // A household of the village is a candidate.
    let inside = households_of(&app.db, "53.71.04.1001").await;
    let r = post_json(&agency, url, &csrf, decide(&inside[0])).await;
    assert_eq!(r.status(), 201);
    // Naming a participant is for enrollment only, and a wrong one is refused
    // without echoing any number.
    let url = app.url(&format!("/api/v1/programs/{id}/decisions"));
    let r = post_json(
        &agency,
        url.clone(),
        &csrf,
        json!({"no_kk": inside[1], "action": "propose", "why": "uji", "participant": "5371010101010001"}),
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = post_json(
        &agency,
        url,
        &csrf,
        json!({"no_kk": inside[0], "action": "enroll", "why": "uji", "participant": "5371010101010001"}),
    )
    .await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(!common::has_16_digit_number(&message(&v)), "{v}");

    // An expression that matches everyone does not open other regions: the
    // operator works for Kota Kupang, and a Sarolangun household is refused with
    // the words an unknown KK gets.
    let r = post_json(
        &agency,
        app.url("/api/v1/programs"),
        &csrf,
        json!({"name": "Semua orang", "sector": "pemberdayaan_perempuan", "agency": agency_name,
               "kind": "pelatihan", "start": "2026-01-01", "end": "2026-12-31", "budget": 1_000_000,
               "capacity": 0, "eligibility": "true"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let everyone = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let url = app.url(&format!("/api/v1/programs/{everyone}/decisions"));
    let r1 = post_json(&agency, url.clone(), &csrf, decide(outside)).await;
    assert_eq!(r1.status(), 409);
    let m1 = message(&r1.json().await.unwrap());
    let r2 = post_json(&agency, url.clone(), &csrf, decide("1503019999990001")).await;
    assert_eq!(r2.status(), 409);
    let m2 = message(&r2.json().await.unwrap());
    assert_eq!(
        m1.replace(outside.as_str(), "KK"),
        m2.replace("1503019999990001", "KK")
    );
    // Its dry run counts only Kota Kupang.
    let (status, run) = get_json(
        &agency,
        app.url(&format!("/api/v1/programs/{everyone}/dry-run")),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        run["villages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["village"].as_str().unwrap().starts_with("53.71.")),
        "{run}"
    );
    // A village operator has no dry run of a program.
    let (village, _) = app.api_login("op.oebobo").await;
    let (status, _) = get_json(
        &village,
        app.url(&format!("/api/v1/programs/{everyone}/dry-run")),
    )
    .await;
    assert_eq!(status, 403);
    app.stop().await;
}

async fn dry_run_counts_are_protected_for_agency_operators(db) {
    let app = TestApp::with_demo(db).await;
    let (agency, csrf) = app.api_login("agency").await;
    let agency_name = sejahtera_demo::programs::AGENCY_P3A_KUPANG;
    // An expression written to single out very few households.
    let r = post_json(
        &agency,
        app.url("/api/v1/programs"),
        &csrf,
        json!({"name": "Satu keluarga", "sector": "pemberdayaan_perempuan", "agency": agency_name,
               "kind": "pelatihan", "start": "2026-01-01", "end": "2026-12-31", "budget": 1_000_000,
               "capacity": 0,
               "eligibility": "di_wilayah(\"53.71\") and jumlah_anggota >= 9"}),
    )
    .await;
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let (status, run) = get_json(&agency, app.url(&format!("/api/v1/programs/{id}/dry-run"))).await;
    assert_eq!(status, 200);
    for v in run["villages"].as_array().unwrap() {
        if let Some(n) = v["households"].as_u64() {
            assert!(n == 0 || n >= 5, "a small count is shown: {v}");
        } else {
            assert_eq!(v["suppressed"], true);
        }
    }
    // A planner sees every count.
    let (planner, _) = app.api_login("planner").await;
    let (_, full) = get_json(&planner, app.url(&format!("/api/v1/programs/{id}/dry-run"))).await;
    let full = full["villages"].as_array().unwrap();
    assert!(full.iter().all(|v| v["households"].is_u64()));
    // The test means something: there are small counts, and they were hidden.
    assert!(
        full.iter()
            .any(|v| (1..5).contains(&v["households"].as_u64().unwrap())),
        "{full:?}"
    );
    assert!(
        run["villages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["suppressed"] == true)
            .count()
            >= 2
    );
    app.stop().await;
}

async fn a_partners_refused_referral_update_does_not_open_the_program_page(db) {
    let app = TestApp::with_demo(db).await;
    let partner = app.form_login("partner").await;
    let page = partner
        .get(app.url("/staff/referrals"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let (api, _) = app.api_login("partner").await;
    let rid = bank_referral(&app, &api, "referred")
        .await
        .or(bank_referral(&app, &api, "accepted").await)
        .expect("an open referral");
    // Program 1 is not the bank's; a refused update must not render its staff page.
    let r = partner
        .post(app.url(&format!("/staff/referrals/{rid}")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("status", "graduated"),
            ("back", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"referrals\"") || html.contains("/staff/referrals/"),
        "the referrals page is shown again"
    );
    assert!(
        !html.contains("id=\"dry-run"),
        "the program's staff page was shown"
    );
    assert!(!html.contains("/sessions/"), "sessions were shown");
    app.stop().await;
}
}

/// A households CSV of `rows` rows for one village, `pad` bytes of address each.
fn households_csv(rows: usize, pad: usize) -> Vec<u8> {
    let mut out =
        sejahtera_app::import::template(sejahtera_app::import::Kind::Households).into_bytes();
    let header = String::from_utf8(out.clone()).unwrap();
    let columns: Vec<&str> = header.lines().next().unwrap().split(',').collect();
    out.truncate(header.lines().next().unwrap().len() + 1);
    for i in 0..rows {
        let row: Vec<String> = columns
            .iter()
            .map(|c| match *c {
                "no_kk" => format!("53710410019{i:05}"),
                "kode_wilayah" => "53.71.04.1001".into(),
                "alamat" => "Jl. ".to_string() + &"x".repeat(pad),
                "pengeluaran_bulanan" => "1500000".into(),
                _ => String::new(),
            })
            .collect();
        out.extend_from_slice(row.join(",").as_bytes());
        out.push(b'\n');
    }
    out
}

sejahtera_testkit::on_both_backends! {
async fn uploads_over_two_mib_are_imported_and_over_the_limit_refused(db) {
    let app = TestApp::empty(db).await;
    let (admin, csrf) = app.api_login("admin").await;
    // ~3 MiB: over the framework's 2 MiB default.
    let body = households_csv(3000, 1000);
    assert!(body.len() > 2 * 1024 * 1024);
    let r = admin
        .post(app.url("/api/v1/imports/households?format=csv"))
        .header("x-csrf-token", &csrf)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["accepted"].as_u64().unwrap() + v["rejected"].as_u64().unwrap(),
        3000,
        "{v}"
    );
    // Over 64 MiB: refused with 413 and the JSON envelope.
    let big = vec![b'a'; 65 * 1024 * 1024];
    let r = admin
        .post(app.url("/api/v1/imports/households?format=csv"))
        .header("x-csrf-token", &csrf)
        .body(big)
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status(), 413);
    } // (the server may close the connection before the client has sent everything)
    // The console form takes the same file.
    let form_client = app.form_login("admin").await;
    let page = form_client
        .get(app.url("/staff/import"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", hidden(&page, "csrf"))
        .text("kind", "households")
        .part(
            "file",
            reqwest::multipart::Part::bytes(households_csv(3000, 1000)).file_name("rumah.csv"),
        );
    let r = form_client
        .post(app.url("/staff/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
}

async fn import_errors_name_the_users_file_not_a_server_path(db) {
    let app = TestApp::empty(db).await;
    let form_client = app.form_login("admin").await;
    let page = form_client
        .get(app.url("/staff/import"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", hidden(&page, "csrf"))
        .text("kind", "households")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"not a zip file".to_vec())
                .file_name("data warga.xlsx"),
        );
    let r = form_client
        .post(app.url("/staff/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("data warga.xlsx"), "the user's file is named");
    let tmp = std::env::temp_dir().display().to_string();
    assert!(!html.contains(&tmp), "a server path is shown");
    assert!(!html.contains("upload.xlsx"));
    // The API says the same without a path.
    let (admin, csrf) = app.api_login("admin").await;
    let r = admin
        .post(app.url("/api/v1/imports/households?format=xlsx"))
        .header("x-csrf-token", &csrf)
        .body(b"not a zip file".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(!message(&v).contains(&tmp), "{v}");
    app.stop().await;
}
}

/// The id of a demo program run by the demo agency operator.
async fn agency_program(app: &TestApp) -> i64 {
    let (_, list) = get_json(&app.client(), app.url("/api/v1/programs")).await;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["agency"] == sejahtera_demo::programs::AGENCY_P3A_KUPANG)
        .and_then(|p| p["id"].as_i64())
        .expect("the demo agency runs a program")
}

sejahtera_testkit::on_both_backends! {
async fn large_outcome_imports_give_a_bounded_report_and_do_not_stall_healthz(db) {
    let app = TestApp::with_demo(db).await;
    let (agency, csrf) = app.api_login("agency").await;
    let id = agency_program(&app).await;
    // Two imports of 4 MB of bad lines at once (as many as the server's worker threads).
    let mut body = b"no_kk,tanggal\n".to_vec();
    body.extend(std::iter::repeat_n(*b"1\n", 2_000_000).flatten());
    let mut imports = Vec::new();
    for _ in 0..2 {
        let (c, url, csrf, body) = (
            agency.clone(),
            app.url(&format!("/api/v1/programs/{id}/outcomes/import")),
            csrf.clone(),
            body.clone(),
        );
        imports.push(tokio::spawn(async move {
            let r = c
                .post(url)
                .header("x-csrf-token", csrf)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            (status, text)
        }));
    }
    // Meanwhile the server answers at once.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        app.client().get(app.url("/healthz")).send(),
    )
    .await
    .expect("/healthz answered within 5 s during two large imports")
    .unwrap();
    assert!(r.status().is_success());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    for t in imports {
        let (status, text) = t.await.unwrap();
        assert_eq!(status, 200, "{}", &text[..text.len().min(500)]);
        // The report lists the first rejects and counts the rest: a bounded answer.
        assert!(text.len() < 1_000_000, "{} bytes", text.len());
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["rejected_total"], 2_000_000);
        assert_eq!(
            v["rejected"].as_array().unwrap().len(),
            sejahtera_app::delivery::MAX_LISTED_REJECTS
        );
        assert_eq!(
            v["more_rejected"],
            2_000_000 - sejahtera_app::delivery::MAX_LISTED_REJECTS as u64
        );
    }
    // A record over the reader's limit is refused with a message naming the limit,
    // not the server's temporary path.
    let mut huge = b"no_kk,tanggal\n1234567890123456,\"".to_vec();
    huge.extend(std::iter::repeat_n(b'9', (1 << 20) + 10));
    huge.extend_from_slice(b"\"\n");
    let r = agency
        .post(app.url(&format!("/api/v1/programs/{id}/outcomes/import")))
        .header("x-csrf-token", &csrf)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(message(&v).contains("line 2"), "{v}");
    assert!(
        !message(&v).contains(&std::env::temp_dir().display().to_string()),
        "{v}"
    );
    app.stop().await;
}
}

/// Signs in through the API without a cookie jar: the session cookie (`name=value`)
/// and the CSRF token.
async fn session_cookie(app: &TestApp, user: &str) -> (String, String) {
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login as {user}");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("; ");
    let v: Value = r.json().await.unwrap();
    (cookie, v["csrf_token"].as_str().unwrap().to_string())
}

/// Sends a POST announcing a 60 MiB body but only `start` of it, and returns the
/// status the server answers with while the rest never comes (`None` when it keeps
/// waiting for the body for 5 s: it was reading — staging — the upload).
async fn answer_before_the_body(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    start: &[u8],
) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.url("").trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\n",
        60 * 1024 * 1024
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(start).await.unwrap();
    // More of the file than any buffer would hold before a handler runs.
    let _ = s.write_all(&vec![b'1'; 256 * 1024]).await;
    let mut got = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let mut buf = [0u8; 1024];
        while !got.windows(2).any(|w| w == b"\r\n") {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()?;
    let line = String::from_utf8_lossy(&got).to_string();
    line.split(' ').nth(1).and_then(|c| c.parse().ok())
}

sejahtera_testkit::on_both_backends! {
async fn uploads_are_refused_before_they_are_staged(db) {
    let app = TestApp::with_demo(db).await;
    let program = agency_program(&app).await;
    let outcomes_api = format!("/api/v1/programs/{program}/outcomes/import");
    let outcomes_page = format!("/staff/programs/{program}/outcomes/import");
    // Roles that may not import: refused at once, while the body is still coming.
    for user in ["planner", "auditor", "op.oebobo"] {
        let (cookie, csrf) = session_cookie(&app, user).await;
        let h = [
            ("cookie", cookie.as_str()),
            ("x-csrf-token", csrf.as_str()),
            ("content-type", "text/csv"),
        ];
        assert_eq!(
            answer_before_the_body(&app, &outcomes_api, &h, b"no_kk,tanggal\n").await,
            Some(403),
            "{user}: outcome import (API)"
        );
    }
    for user in ["planner", "auditor", "agency"] {
        let (cookie, csrf) = session_cookie(&app, user).await;
        let h = [
            ("cookie", cookie.as_str()),
            ("x-csrf-token", csrf.as_str()),
            ("content-type", "text/csv"),
        ];
        assert_eq!(
            answer_before_the_body(
                &app,
                "/api/v1/imports/households?format=csv",
                &h,
                b"no_kk\n"
            )
            .await,
            Some(403),
            "{user}: registry import (API)"
        );
    }
    // The console forms: the role first, then the CSRF field, which must come before the file.
    let multipart = |csrf: Option<&str>, file_first: bool| {
        let csrf_part = csrf
            .map(|t| {
                format!("--XYZ\r\ncontent-disposition: form-data; name=\"csrf\"\r\n\r\n{t}\r\n")
            })
            .unwrap_or_default();
        let kind = "--XYZ\r\ncontent-disposition: form-data; name=\"kind\"\r\n\r\nhouseholds\r\n";
        let file = "--XYZ\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\ncontent-type: text/csv\r\n\r\nno_kk,tanggal\r\n";
        if file_first {
            format!("{kind}{file}{csrf_part}")
        } else {
            format!("{csrf_part}{kind}{file}")
        }
    };
    let form_type = "multipart/form-data; boundary=XYZ";
    let (cookie, csrf) = session_cookie(&app, "planner").await;
    let h = [("cookie", cookie.as_str()), ("content-type", form_type)];
    for path in ["/staff/import", outcomes_page.as_str()] {
        let body = multipart(Some(&csrf), false);
        assert_eq!(
            answer_before_the_body(&app, path, &h, body.as_bytes()).await,
            Some(403),
            "planner: {path}"
        );
    }
    for (user, path) in [
        ("admin", "/staff/import"),
        ("agency", outcomes_page.as_str()),
    ] {
        let (cookie, csrf) = session_cookie(&app, user).await;
        let h = [("cookie", cookie.as_str()), ("content-type", form_type)];
        for body in [
            multipart(Some(&csrf), true),
            multipart(None, false),
            multipart(Some("wrong"), false),
        ] {
            assert_eq!(
                answer_before_the_body(&app, path, &h, body.as_bytes()).await,
                Some(403),
                "{user}: {path}: {body}"
            );
        }
    }
    app.stop().await;
}

async fn error_answers_are_not_stored_by_caches(db) {
    let app = TestApp::with_demo(db).await;
    let (agency, csrf) = app.api_login("agency").await;
    let no_store = |r: &reqwest::Response| {
        r.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    // A refusal of a handler (409, may echo what was sent).
    let body = json!({"name": "Pelatihan Menjahit Perempuan Kota Kupang", "sector": "pemberdayaan_perempuan",
        "agency": sejahtera_demo::programs::AGENCY_P3A_KUPANG, "kind": "pelatihan",
        "start": "2026-01-01", "end": "2026-12-31", "budget": 1_000_000, "capacity": 5,
        "eligibility": "di_wilayah(\"53.71\")"});
    let r = post_json(&agency, app.url("/api/v1/programs"), &csrf, body).await;
    assert_eq!(r.status(), 409);
    assert_eq!(no_store(&r).as_deref(), Some("no-store"));
    // The framework's rejections wrapped into the envelope: malformed JSON, unknown path.
    let r = agency
        .post(app.url("/api/v1/programs"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(no_store(&r).as_deref(), Some("no-store"));
    // An unknown API path, not signed in (401), and an error page.
    for (path, status) in [
        ("/api/v1/nothing-here", 404),
        ("/api/v1/referrals", 401),
        ("/program/999999", 404),
    ] {
        let r = app.client().get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), status, "{path}");
        assert_eq!(no_store(&r).as_deref(), Some("no-store"), "{path}");
    }
    app.stop().await;
}

async fn referral_lists_range_check_the_program_id(db) {
    let app = TestApp::with_demo(db).await;
    let (agency, _) = app.api_login("agency").await;
    for bad in ["-5", "0"] {
        let (status, v) = get_json(
            &agency,
            app.url(&format!("/api/v1/referrals?program={bad}")),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {v}");
        assert!(message(&v).starts_with("program"), "{v}");
    }
    let id = agency_program(&app).await;
    let (status, _) = get_json(&agency, app.url(&format!("/api/v1/referrals?program={id}"))).await;
    assert_eq!(status, 200);
    app.stop().await;
}

async fn a_huge_search_page_is_refused_not_wrapped(db) {
    let app = TestApp::with_demo(db).await;
    let c = app.form_login("op.oebobo").await;
    let page = c
        .get(app.url("/staff/households"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let max = u64::MAX.to_string();
    for p in [max.as_str(), "0", "100001"] {
        let r = c
            .post(app.url("/staff/households"))
            .form(&[("csrf", csrf.as_str()), ("q", "siti"), ("page", p)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "page {p}");
    }
    let r = c
        .post(app.url("/staff/households"))
        .form(&[("csrf", csrf.as_str()), ("q", "siti"), ("page", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The use case itself never wraps, whatever a caller passes.
    let store = sejahtera_app::db::open(&(&app.db).into()).await.unwrap();
    let regions = store.regions().await.unwrap();
    let actor = sejahtera_domain::access::Actor::console();
    let e =
        sejahtera_app::households::search(&store, &regions, &actor, "siti", u64::MAX, 200).await;
    assert!(e.is_err());
    store.close().await;
    app.stop().await;
}

/// An upload form of many parts is refused (400) before its file is read: the
/// one multipart reader counts the parts.
async fn an_upload_form_of_too_many_parts_is_refused(db) {
    let app = TestApp::empty(db).await;
    let (cookie, csrf) = session_cookie(&app, "admin").await;
    let mut form = reqwest::multipart::Form::new().text("csrf", csrf.clone());
    for i in 0..20 {
        form = form.text(format!("x{i}"), "");
    }
    form = form.text("kind", "households").part(
        "file",
        reqwest::multipart::Part::bytes(b"no_kk\n".to_vec()).file_name("a.csv"),
    );
    let r = reqwest::Client::new()
        .post(app.url("/staff/import"))
        .header("cookie", &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("more than 16 fields"));
    // Within the limit, unknown fields are skipped and the form is read.
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("extra", "ignored")
        .text("kind", "households")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"no_kk\n".to_vec()).file_name("a.csv"),
        );
    let r = reqwest::Client::new()
        .post(app.url("/staff/import"))
        .header("cookie", &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 403);
    assert!(!r.text().await.unwrap().contains("more than 16 fields"));
    app.stop().await;
}

}
