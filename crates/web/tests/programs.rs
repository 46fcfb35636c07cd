//! Programs through the web: public pages and API with aggregates only; the
//! enrollment lifecycle and delivery through the API with every refusal and
//! its message; roles (agency, planner, village operator, partner, citizen);
//! the staff pages' forms.

mod common;

use common::{TestApp, has_16_digit_number, hidden, households_of, post_json};
use serde_json::{Value, json};

async fn get_json(c: &reqwest::Client, url: String) -> (u16, Value) {
    let r = c.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// [`post_json`] asking for English answers.
async fn post_json_en(
    c: &reqwest::Client,
    url: String,
    csrf: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    common::post_json_in(c, url, csrf, body, Some("en-US,en;q=0.9,id;q=0.8")).await
}

fn message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

sejahtera_testkit::on_both_backends! {
async fn public_program_pages_and_api_show_aggregates_only(db) {
    let app = TestApp::with_demo(db).await;
    let c = app.client();
    let list = c.get(app.url("/program")).send().await.unwrap();
    assert_eq!(list.status(), 200);
    let html = list.text().await.unwrap();
    assert!(html.contains("Pelatihan Menjahit Perempuan Kota Kupang"));
    assert!(html.contains("Kelompok Kerajinan Serat Alam Perempuan Sarolangun"));
    assert!(!has_16_digit_number(&html));
    let (status, v) = get_json(&c, app.url("/api/v1/programs")).await;
    assert_eq!(status, 200);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 6);
    for p in items {
        let id = p["id"].as_i64().unwrap();
        let page = c
            .get(app.url(&format!("/program/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"by-district\""));
        assert!(
            !has_16_digit_number(&page),
            "program {id} page shows a KK or NIK"
        );
        let (status, d) = get_json(&c, app.url(&format!("/api/v1/programs/{id}"))).await;
        assert_eq!(status, 200);
        assert!(!has_16_digit_number(&d.to_string()));
        let s = &d["stats"];
        assert!(s["participants"].as_u64().unwrap() > 0);
        // Small cells are null and flagged; every shown cell is 0 or at least 5.
        for row in s["by_district"].as_array().unwrap() {
            for k in ["women", "men", "total"] {
                let cell = &row[k];
                match cell["value"].as_u64() {
                    Some(n) => assert!(n == 0 || n >= 5, "{cell}"),
                    None => assert_eq!(cell["suppressed"], true),
                }
            }
        }
    }
    // The sewing course ended in June 2026: it has graduates and a graduation rate,
    // unless a suppressed graduated or exited count stands beside it (the rate would
    // reveal it). Status and referral counts are protected like district cells.
    let (_, sewing) = get_json(&c, app.url("/api/v1/programs/1")).await;
    let st = &sewing["stats"];
    match st["graduation_rate"].as_f64() {
        Some(r) => assert!(r > 0.5, "{st}"),
        None => assert!(
            st["by_status"]["graduated"]["suppressed"] == true
                || st["by_status"]["exited"]["suppressed"] == true,
            "{st}"
        ),
    }
    assert!(
        st["by_status"]["graduated"]["value"]
            .as_u64()
            .is_none_or(|g| g > 0)
    );
    for group in ["by_status", "referrals"] {
        for (_, cell) in st[group].as_object().unwrap() {
            match cell["value"].as_u64() {
                Some(n) => assert!(n == 0 || n >= 5, "{group}: {cell}"),
                None => assert_eq!(cell["suppressed"], true),
            }
        }
    }
    // Nothing personal without signing in.
    for path in [
        "/api/v1/programs/1/enrollments",
        "/api/v1/programs/1/visits",
        "/api/v1/programs/1/outcomes",
        "/api/v1/programs/1/panel",
        "/api/v1/referrals",
    ] {
        let (status, _) = get_json(&c, app.url(path)).await;
        assert_eq!(status, 401, "{path}");
    }
    let r = c.get(app.url("/staff/programs/1")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let (status, _) = get_json(&c, app.url("/api/v1/programs/999")).await;
    assert_eq!(status, 404);
    app.stop().await;
}

async fn the_lifecycle_through_the_api_enforces_rules_and_roles(db) {
    let app = TestApp::with_demo(db).await;
    let (agency, csrf) = app.api_login("agency").await;
    let kupang = households_of(&app.db, "53.71.04.1001").await;
    let other = households_of(&app.db, "53.71.01.1001").await;
    assert!(kupang.len() >= 2 && other.len() >= 2);
    let (_, partners) = get_json(&agency, app.url("/api/v1/partners")).await;
    let bank = partners["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Bank NTT Cabang Kupang (demo)")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let agency_name = "Dinas Pemberdayaan Perempuan dan Perlindungan Anak Kota Kupang";
    let new = |name: &str, capacity: u32, exclusive: Vec<i64>| {
        json!({"name": name, "sector": "pemberdayaan_perempuan", "agency": agency_name, "kind": "pelatihan",
               "start": "2026-01-01", "end": "2026-12-31", "budget": 50_000_000, "capacity": capacity,
               "quotas": {"53.71.04.1001": 1}, "eligibility": "di_wilayah(\"53.71\")",
               "exclusive_with": exclusive, "partners": [bank]})
    };
    // Define: refused for another agency's name, a bad expression, or a missing CSRF token.
    let mut foreign = new("Program lain", 2, vec![]);
    foreign["agency"] = json!("Dinas Pertanian");
    let r = post_json(&agency, app.url("/api/v1/programs"), &csrf, foreign).await;
    assert_eq!(r.status(), 403);
    let mut bad = new("Program rusak", 2, vec![]);
    bad["eligibility"] = json!("desil <=");
    let r = post_json(&agency, app.url("/api/v1/programs"), &csrf, bad.clone()).await;
    assert_eq!(r.status(), 400);
    // In Indonesian by default, in English when the request asks for it; same code.
    let v: Value = r.json().await.unwrap();
    assert!(message(&v).starts_with("Syarat kelayakan Program rusak tidak dapat dibaca"), "{v}");
    assert_eq!(v["error"]["code"], "bad_request");
    let r = post_json_en(&agency, app.url("/api/v1/programs"), &csrf, bad).await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(message(&v).starts_with("eligibility of Program rusak"), "{v}");
    assert_eq!(v["error"]["code"], "bad_request");
    let r = post_json(
        &agency,
        app.url("/api/v1/programs"),
        "wrong",
        new("X", 2, vec![]),
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = post_json(
        &agency,
        app.url("/api/v1/programs"),
        &csrf,
        new("Menjahit lanjutan", 2, vec![]),
    )
    .await;
    assert_eq!(r.status(), 201);
    let a = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = post_json(
        &agency,
        app.url("/api/v1/programs"),
        &csrf,
        new("Tata boga lanjutan", 0, vec![a]),
    )
    .await;
    assert_eq!(r.status(), 201);
    let b = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let decide = |program: i64, kk: &str, action: &str| {
        json!({"no_kk": kk, "action": action, "why": "rapat penetapan", "reason": "pindah domisili"})
            .as_object()
            .cloned()
            .map(|mut o| {
                o.insert("program".into(), json!(program));
                Value::Object(o)
            })
            .unwrap()
    };
    let url = |p: i64| app.url(&format!("/api/v1/programs/{p}/decisions"));
    let r = post_json(&agency, url(a), &csrf, decide(a, &kupang[0], "enroll")).await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "enrolled");
    // Quota of the village.
    let r = post_json_en(&agency, url(a), &csrf, decide(a, &kupang[1], "enroll")).await;
    assert_eq!(r.status(), 409);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "refused");
    assert_eq!(
        message(&v),
        "the quota of 1 households for village 53.71.04.1001 in Menjahit lanjutan is used up"
    );
    // Capacity.
    assert_eq!(
        post_json(&agency, url(a), &csrf, decide(a, &other[0], "enroll"))
            .await
            .status(),
        201
    );
    let r = post_json(&agency, url(a), &csrf, decide(a, &other[1], "enroll")).await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        message(&r.json().await.unwrap()),
        "Menjahit lanjutan sudah mencapai kapasitasnya, 2 keluarga."
    );
    // Exclusivity.
    let r = post_json_en(&agency, url(b), &csrf, decide(b, &other[0], "enroll")).await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        message(&r.json().await.unwrap()),
        "the household is already enrolled in Menjahit lanjutan, which is exclusive with Tata boga lanjutan"
    );
    // Lifecycle.
    let r = post_json(&agency, url(a), &csrf, decide(a, &other[0], "graduate")).await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        message(&r.json().await.unwrap()),
        "Tidak dapat meluluskan keluarga yang berstatus terdaftar dalam Menjahit lanjutan."
    );
    let r = post_json_en(&agency, url(a), &csrf, decide(a, &other[0], "graduate")).await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        message(&r.json().await.unwrap()),
        "cannot graduate a household that is enrolled in Menjahit lanjutan"
    );
    let r = post_json(&agency, url(a), &csrf, decide(a, &other[0], "fly")).await;
    assert_eq!(r.status(), 400);
    assert!(message(&r.json().await.unwrap()).contains("allowed propose, enroll"));
    let r = post_json(
        &agency,
        url(a),
        &csrf,
        json!({"no_kk": "123", "action": "enroll", "why": "x"}),
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = post_json(&agency, url(999), &csrf, decide(999, &other[0], "enroll")).await;
    assert_eq!(r.status(), 404);
    // Other roles may not decide.
    for user in ["planner", "op.oebobo", "auditor"] {
        let (c, t) = app.api_login(user).await;
        let r = post_json(&c, url(a), &t, decide(a, &other[1], "propose")).await;
        assert_eq!(r.status(), 403, "{user}");
    }
    for user in ["citizen", "partner"] {
        let (c, t) = app.api_login(user).await;
        let r = post_json(&c, url(a), &t, decide(a, &other[1], "propose")).await;
        assert_eq!(r.status(), 403, "{user}");
    }
    // Enrollments: the agency and planners see all; a village operator only theirs; others nothing.
    let (status, all) = get_json(
        &agency,
        app.url(&format!("/api/v1/programs/{a}/enrollments")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(all["total"], 2);
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["participant"].is_string())
    );
    let (op, _) = app.api_login("op.oebobo").await;
    let (_, mine) = get_json(&op, app.url(&format!("/api/v1/programs/{a}/enrollments"))).await;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["no_kk"], kupang[0].as_str());
    for user in ["citizen", "partner"] {
        let (c, _) = app.api_login(user).await;
        let (status, _) = get_json(&c, app.url(&format!("/api/v1/programs/{a}/enrollments"))).await;
        assert_eq!(status, 403, "{user}");
    }

    // Delivery: sessions, attendance, visits, referrals, outcomes.
    let r = post_json(
        &agency,
        app.url(&format!("/api/v1/programs/{a}/sessions")),
        &csrf,
        json!({"date": "2027-02-01", "topic": "Pola"}),
    )
    .await;
    assert_eq!(r.status(), 409);
    assert!(message(&r.json().await.unwrap()).contains("berada di luar periode program"));
    let r = post_json(
        &agency,
        app.url(&format!("/api/v1/programs/{a}/sessions")),
        &csrf,
        json!({"date": "2026-03-02", "topic": "Pola dasar", "place": "Aula"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let sid = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = post_json_en(&agency, app.url(&format!("/api/v1/sessions/{sid}/attendance")), &csrf,
        json!({"marks": [{"no_kk": kupang[0], "present": true}, {"no_kk": other[1], "present": true}]})).await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        message(&r.json().await.unwrap()),
        format!(
            "nothing recorded: household {} has never been enrolled in Menjahit lanjutan",
            other[1]
        )
    );
    let r = post_json(&agency, app.url(&format!("/api/v1/sessions/{sid}/attendance")), &csrf,
        json!({"marks": [{"no_kk": kupang[0], "present": true}, {"no_kk": other[0], "present": false}]})).await;
    assert_eq!(r.status(), 200);
    let (_, sessions) = get_json(&agency, app.url(&format!("/api/v1/programs/{a}/sessions"))).await;
    assert_eq!(sessions["items"][0]["present"], 1);
    assert_eq!(sessions["items"][0]["absent"], 1);
    let r = post_json(
        &agency,
        app.url(&format!("/api/v1/programs/{a}/visits")),
        &csrf,
        json!({"no_kk": kupang[0], "date": "2026-04-01", "notes": "cek mesin jahit"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = post_json_en(&agency, app.url(&format!("/api/v1/programs/{a}/referrals")), &csrf,
        json!({"no_kk": kupang[0], "partner": bank, "service": "akses_pasar", "date": "2026-05-01"})).await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        message(&r.json().await.unwrap()),
        "Bank NTT Cabang Kupang (demo) does not offer akses_pasar (it offers: kur, tabungan)"
    );
    let r = post_json(
        &agency,
        app.url(&format!("/api/v1/programs/{a}/referrals")),
        &csrf,
        json!({"no_kk": kupang[0], "partner": bank, "service": "kur", "date": "2026-05-01"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let rid = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // The bank's account sees its referrals and moves this one on; a skip is refused.
    let (teller, tcsrf) = app.api_login("partner").await;
    let (_, mine) = get_json(&teller, app.url("/api/v1/referrals")).await;
    let items = mine["items"].as_array().unwrap();
    assert!(items.iter().any(|r| r["id"] == rid));
    assert!(items.iter().all(|r| r["partner"] == bank));
    let status_url = app.url(&format!("/api/v1/referrals/{rid}/status"));
    let r = post_json_en(
        &teller,
        status_url.clone(),
        &tcsrf,
        json!({"status": "completed", "result": "ok"}),
    )
    .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        message(&r.json().await.unwrap()),
        "a referral that is referred cannot become completed"
    );
    let r = post_json(
        &teller,
        status_url.clone(),
        &tcsrf,
        json!({"status": "accepted", "date": "2026-05-10"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = post_json(&teller, status_url.clone(), &tcsrf,
        json!({"status": "completed", "result": "KUR mikro disalurkan", "amount": 10_000_000, "date": "2026-05-20"})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["amount"], 10_000_000);
    let (citizen, ccsrf) = app.api_login("citizen").await;
    let r = post_json(
        &citizen,
        status_url,
        &ccsrf,
        json!({"status": "rejected", "result": "x"}),
    )
    .await;
    assert_eq!(r.status(), 403);
    // Outcomes: entered, then imported with good and bad rows.
    let r = post_json(
        &agency,
        app.url(&format!("/api/v1/programs/{a}/outcomes")),
        &csrf,
        json!({"outcomes": [{"no_kk": kupang[0], "date": "2099-01-01", "income": 1}]}),
    )
    .await;
    assert_eq!(r.status(), 409);
    let r = post_json(&agency, app.url(&format!("/api/v1/programs/{a}/outcomes")), &csrf,
        json!({"outcomes": [{"no_kk": kupang[0], "date": "2026-06-01", "business": true, "income": 1_500_000}]})).await;
    assert_eq!(r.status(), 201);
    let csv = format!(
        "no_kk,tanggal,usaha,pendapatan_bulanan,bekerja\n{},2026-09-01,ya,1.800.000,ya\n{},2026-09-01,ya,1,ya\n",
        other[0], other[1]
    );
    let r = agency
        .post(app.url(&format!("/api/v1/programs/{a}/outcomes/import")))
        .header("x-csrf-token", &csrf)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["accepted"], 1);
    assert_eq!(report["rejected"][0]["line"], 3);
    assert_eq!(report["rejected"][0]["column"], "no_kk");
    let (_, outcomes) = get_json(&agency, app.url(&format!("/api/v1/programs/{a}/outcomes"))).await;
    assert_eq!(outcomes["items"].as_array().unwrap().len(), 2);
    // The public aggregates follow, without personal data.
    let (_, d) = get_json(&app.client(), app.url(&format!("/api/v1/programs/{a}"))).await;
    assert_eq!(d["stats"]["participants"], 2);
    assert_eq!(d["stats"]["businesses_started"], 2);
    // A single completed referral: its amount (one household's credit) is suppressed.
    assert_eq!(d["stats"]["referral_amount"], Value::Null);
    assert_eq!(d["stats"]["referrals"]["completed"]["suppressed"], true);
    assert_eq!(d["stats"]["by_status"]["enrolled"]["suppressed"], true);
    assert!(!has_16_digit_number(&d.to_string()));
    // Planners read the evaluation panel; the targeting of the enrollees is scored.
    let (planner, pcsrf) = app.api_login("planner").await;
    let (status, panel) = get_json(&planner, app.url(&format!("/api/v1/programs/{a}/panel"))).await;
    assert_eq!(status, 200);
    assert!(!has_16_digit_number(&panel.to_string()));
    let r = post_json(
        &planner,
        app.url("/api/v1/targeting"),
        &pcsrf,
        json!({"program": a}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["total"]["selected"], 2);
    app.stop().await;
}

async fn staff_pages_run_a_program_with_forms(db) {
    let app = TestApp::with_demo(db).await;
    let c = app.form_login("agency").await;
    let list = c
        .get(app.url("/staff/programs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("id=\"new-program\""));
    let page = c
        .get(app.url("/staff/programs/1?dry_run=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let page = page.text().await.unwrap();
    for id in [
        "id=\"dry-run\"",
        "id=\"enrollees\"",
        "id=\"decide\"",
        "id=\"sessions\"",
        "id=\"new-outcome\"",
    ] {
        assert!(page.contains(id), "{id}");
    }
    let csrf = hidden(&page, "csrf");
    // A household not in the programme cannot be graduated: the page says why (409).
    // (A Sarolangun household is never a candidate of a Kupang programme.)
    let kk = households_of(&app.db, "15.03.03.1001").await[0].clone();
    let r = c
        .post(app.url("/staff/programs/1/decisions"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("no_kk", kk.as_str()),
            ("action", "graduate"),
            ("why", "uji"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let body = r.text().await.unwrap();
    assert!(body.contains("id=\"refusal\""));
    assert!(
        body.contains("bukan calon peserta Pelatihan Menjahit Perempuan Kota Kupang"),
        "{body}"
    );
    // A session through the form, then its attendance page.
    let r = c
        .post(app.url("/staff/programs/1/sessions"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("date", "2026-03-03"),
            ("topic", "Menjahit pola"),
            ("place", "Aula"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/staff/programs/1?done=session");
    let page = c
        .get(app.url("/staff/programs/1?done=session"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"done\""));
    let sid = page
        .split("/staff/programs/1/sessions/")
        .filter_map(|s| s.split('"').next()?.parse::<i64>().ok())
        .max()
        .unwrap();
    let form = c
        .get(app.url(&format!("/staff/programs/1/sessions/{sid}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let listed: Vec<String> = form
        .split("name=\"listed_")
        .skip(1)
        .map(|s| s[..16].to_string())
        .collect();
    assert!(!listed.is_empty());
    let mut fields = vec![("csrf".to_string(), csrf.clone())];
    for (i, kk) in listed.iter().enumerate() {
        fields.push((format!("listed_{kk}"), "1".into()));
        if i % 2 == 0 {
            fields.push((format!("present_{kk}"), "1".into()));
        }
    }
    let r = c
        .post(app.url(&format!("/staff/programs/1/sessions/{sid}")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (api, _) = app.api_login("agency").await;
    let (_, sessions) = get_json(&api, app.url("/api/v1/programs/1/sessions")).await;
    let s = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == sid)
        .unwrap()
        .clone();
    assert_eq!(
        s["present"].as_u64().unwrap() as usize,
        listed.len().div_ceil(2)
    );
    // Another agency's operator sees the aggregates but no participant list or forms.
    let planner = app.form_login("planner").await;
    let page = planner
        .get(app.url("/staff/programs/1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"enrollees\""));
    assert!(!page.contains("id=\"decide\""));
    let op = app.form_login("op.alak").await;
    let page = op
        .get(app.url("/staff/programs/3"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("id=\"decide\""));
    // Planners score a program's enrollees on the targeting page.
    let page = planner
        .get(app.url("/staff/targeting"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let pcsrf = hidden(&page, "csrf");
    let r = planner
        .post(app.url("/staff/targeting"))
        .form(&[("csrf", pcsrf.as_str()), ("select", ""), ("program", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("id=\"targeting\""));
    assert!(body.contains("<option value=\"1\" selected>"));
    // A program defined through the form, exclusive with the sewing course.
    let list = c
        .get(app.url("/staff/programs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fcsrf = hidden(&list, "csrf");
    let r = c
        .post(app.url("/staff/programs"))
        .form(&[
            ("csrf", fcsrf.as_str()),
            ("name", "Pelatihan bordir"),
            ("sector", "pemberdayaan_perempuan"),
            ("kind", "pelatihan"),
            (
                "agency",
                "Dinas Pemberdayaan Perempuan dan Perlindungan Anak Kota Kupang",
            ),
            ("start", "2026-01-05"),
            ("end", "2026-12-20"),
            ("budget", "75.000.000"),
            ("capacity", "20"),
            ("quotas", "53.71.04.1001=5"),
            ("eligibility", "desil <= 4"),
            ("exclusive_with", "1"),
            ("partners", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let page = c
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Pelatihan bordir") && page.contains("Rp 75.000.000"));
    // A bad expression comes back on the form with the reason.
    let r = c
        .post(app.url("/staff/programs"))
        .form(&[
            ("csrf", fcsrf.as_str()),
            ("name", "Rusak"),
            ("sector", "umkm"),
            ("kind", "pelatihan"),
            (
                "agency",
                "Dinas Pemberdayaan Perempuan dan Perlindungan Anak Kota Kupang",
            ),
            ("start", "2026-01-05"),
            ("end", "2026-12-20"),
            ("budget", "1"),
            ("eligibility", "desil <="),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("eligibility"));
    // The partner's referrals page lists only its referrals.
    let teller = app.form_login("partner").await;
    let r = teller
        .get(app.url("/staff/referrals"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let citizen = app.form_login("citizen").await;
    let r = citizen
        .get(app.url("/staff/referrals"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    app.stop().await;
}
}
