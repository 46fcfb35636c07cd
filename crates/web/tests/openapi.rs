//! The API contract: every answer under `/api/v1` is JSON (errors as the
//! envelope `{"error":{"code":…,"message":…}}`, the framework's own rejections
//! included), numeric inputs are range-checked, and the OpenAPI document and the
//! router cannot drift apart.

mod common;

use common::{TestApp, post_json};
use serde_json::{Value, json};

/// Asserts a response is the JSON error envelope with `status`; returns its code.
async fn envelope(r: reqwest::Response, status: u16, what: &str) -> String {
    assert_eq!(r.status().as_u16(), status, "{what}");
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        ct.starts_with("application/json"),
        "{what}: content type {ct}"
    );
    let v: Value = r.json().await.unwrap();
    let code = v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: {v}"));
    let message = v["error"]["message"].as_str().unwrap();
    assert!(!message.is_empty(), "{what}");
    for internal in [
        "i64",
        "u64",
        "u32",
        "struct ",
        "SearchBody",
        "Credentials",
        ".rs:",
    ] {
        assert!(!message.contains(internal), "{what}: {message}");
    }
    code.to_string()
}

sejahtera_testkit::on_both_backends! {
async fn framework_rejections_are_json_envelopes(db) {
    let app = TestApp::empty(db).await;
    let c = app.client();
    let (admin, csrf) = app.api_login("admin").await;

    // 400: malformed JSON.
    let r = c
        .post(app.url("/api/v1/session"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(envelope(r, 400, "bad json").await, "bad_request");

    // 422: JSON of the wrong shape.
    let r = c
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        envelope(r, 422, "wrong shape").await,
        "unprocessable_entity"
    );

    // 415: not JSON at all.
    let r = c
        .post(app.url("/api/v1/session"))
        .header("content-type", "text/plain")
        .body("username=admin")
        .send()
        .await
        .unwrap();
    assert_eq!(
        envelope(r, 415, "wrong content type").await,
        "unsupported_media_type"
    );

    // 400: a query that does not parse.
    let r = c
        .get(app.url("/api/v1/regions?page=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(envelope(r, 400, "bad query").await, "bad_request");

    // 400: a path parameter that does not parse.
    let r = c.get(app.url("/api/v1/programs/abc")).send().await.unwrap();
    assert_eq!(envelope(r, 400, "bad path").await, "bad_request");

    // 405: a method the route does not have (the Allow header is kept).
    let r = c.delete(app.url("/api/v1/regions")).send().await.unwrap();
    assert!(r.headers().get("allow").is_some());
    assert_eq!(envelope(r, 405, "method").await, "method_not_allowed");

    // 404: no such path, under the API and under another version.
    let r = c.get(app.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(envelope(r, 404, "unknown path").await, "not_found");
    let r = c.get(app.url("/api/v2/regions")).send().await.unwrap();
    assert_eq!(envelope(r, 404, "unknown version").await, "not_found");

    // 413: a JSON body over the limit (the framework's 2 MiB for JSON).
    let big = "x".repeat(3 * 1024 * 1024);
    let r = post_json(
        &admin,
        app.url("/api/v1/households/search"),
        &csrf,
        json!({"q": big}),
    )
    .await;
    assert_eq!(envelope(r, 413, "too large").await, "payload_too_large");

    // The pages keep their own (HTML or text) answers.
    let r = c.get(app.url("/nope-not-a-page")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    app.stop().await;
}

async fn numeric_inputs_out_of_range_are_400s_not_wraparounds(db) {
    let app = TestApp::empty(db).await;
    let c = app.client();
    for q in [
        "page=0",
        "page=100001",
        "page=18446744073709551615",
        "page=18446744073709551616",
        "per_page=0",
        "per_page=501",
        "per_page=4294967296",
        "page=-1",
    ] {
        let r = c
            .get(app.url(&format!("/api/v1/regions?{q}")))
            .send()
            .await
            .unwrap();
        assert_eq!(envelope(r, 400, q).await, "bad_request", "{q}");
    }
    let r = c
        .get(app.url("/api/v1/regions?page=100000&per_page=500"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the last page is an empty page");
    let (admin, csrf) = app.api_login("admin").await;
    let r = admin
        .get(app.url("/api/v1/users?page=9223372036854775808"))
        .send()
        .await
        .unwrap();
    assert_eq!(envelope(r, 400, "users page").await, "bad_request");
    for body in [
        json!({"q": "Budi", "page": u64::MAX}),
        json!({"q": "Budi", "page": 0}),
        json!({"q": "Budi", "per_page": 201}),
        json!({"q": "x".repeat(201)}),
    ] {
        let r = post_json(
            &admin,
            app.url("/api/v1/households/search"),
            &csrf,
            body.clone(),
        )
        .await;
        assert_eq!(envelope(r, 400, &body.to_string()).await, "bad_request");
    }
    // Amounts, capacities and ids of a program definition.
    let program = json!({"name": "Uji", "sector": "umkm", "agency": "Dinas Uji", "kind": "pelatihan",
        "start": "2026-01-01", "end": "2026-12-31", "budget": 1_000_000, "eligibility": "desil <= 4"});
    for (field, v) in [
        ("budget", json!(-1)),
        ("budget", json!(i64::MAX)),
        ("capacity", json!(10_000_001)),
        ("partners", json!([0])),
        ("exclusive_with", json!([-5])),
        ("quotas", json!({"53.71.04.1001": 10_000_001})),
        ("name", json!("n".repeat(201))),
    ] {
        let mut b = program.clone();
        b[field] = v;
        let r = post_json(&admin, app.url("/api/v1/programs"), &csrf, b).await;
        let what = format!("program {field}");
        assert_eq!(envelope(r, 400, &what).await, "bad_request");
    }
    // A referral amount out of range is refused before any lookup.
    let r = post_json(
        &admin,
        app.url("/api/v1/referrals/1/status"),
        &csrf,
        json!({"status": "completed", "result": "KUR", "amount": -1}),
    )
    .await;
    assert_eq!(envelope(r, 400, "negative amount").await, "bad_request");
    // An over-long password is refused without hashing it.
    let r = c
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "admin", "password": "p".repeat(1025)}))
        .send()
        .await
        .unwrap();
    assert_eq!(envelope(r, 400, "long password").await, "bad_request");
    app.stop().await;
}

/// The document and the router cannot drift: the (path, method) pairs the
/// server answers under /api/v1 are exactly the documented operations.
async fn the_document_lists_exactly_the_routes_the_router_answers(db) {
    let app = TestApp::empty(db).await;
    let doc: Value = app
        .client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut documented = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.push((format!("/api/v1{path}"), method.clone()));
        }
    }
    documented.sort();
    let live: Vec<(String, String)> = common::live_routes(&app)
        .await
        .into_iter()
        .filter(|(p, _)| p.starts_with("/api/"))
        .collect();
    assert_eq!(
        live, documented,
        "router (left) vs OpenAPI document (right)"
    );
    app.stop().await;
}

/// Every operation documents its inputs' ranges and every error it can give,
/// each as the JSON envelope.
async fn every_operation_documents_ranges_and_error_envelopes(db) {
    let app = TestApp::empty(db).await;
    let doc: Value = app
        .client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
        ["enum"]
        .as_array()
        .unwrap()
        .clone();
    for c in [
        "bad_request",
        "unauthorized",
        "forbidden",
        "not_found",
        "refused",
        "method_not_allowed",
        "payload_too_large",
        "unsupported_media_type",
        "unprocessable_entity",
        "too_many_requests",
        "internal",
    ] {
        assert!(codes.contains(&json!(c)), "{c}");
    }
    fn integers_are_bounded(at: &str, s: &Value) {
        match s["type"].as_str() {
            Some("integer") => {
                for k in ["format", "minimum", "maximum"] {
                    assert!(s.get(k).is_some(), "{at}: integer without {k}: {s}");
                }
            }
            Some("string") if s.get("enum").is_none() && s["format"] != "date" => {
                assert!(
                    s.get("maxLength").is_some(),
                    "{at}: string without maxLength: {s}"
                );
            }
            Some("array") => {
                assert!(s.get("maxItems").is_some(), "{at}: array without maxItems");
                integers_are_bounded(at, &s["items"]);
            }
            Some("object") => {
                if let Some(props) = s["properties"].as_object() {
                    for (k, v) in props {
                        integers_are_bounded(&format!("{at}.{k}"), v);
                    }
                }
            }
            _ => {}
        }
    }
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let at = format!("{method} {path}");
            for (k, v) in op.as_object().unwrap() {
                assert!(!v.is_null(), "{at}: {k} is null");
            }
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{at}");
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/Error",
                        "{at} {status}"
                    );
                }
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for p in &params {
                integers_are_bounded(&format!("{at} {}", p["name"]), &p["schema"]);
            }
            // Every path parameter is declared.
            for seg in path.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    params
                        .iter()
                        .any(|p| p["in"] == "path" && p["name"] == name),
                    "{at}: {name} not declared"
                );
            }
            if !params.is_empty() {
                assert!(responses.contains_key("400"), "{at}");
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{at}");
            }
            if op.get("security").is_some() {
                assert!(
                    responses.contains_key("401") && responses.contains_key("403"),
                    "{at}"
                );
            }
            if let Some(content) = op["requestBody"]["content"].as_object() {
                assert!(responses.contains_key("413"), "{at}");
                if let Some(media) = content.get("application/json") {
                    for s in ["400", "415", "422"] {
                        assert!(responses.contains_key(s), "{at} {s}");
                    }
                    integers_are_bounded(&at, &media["schema"]);
                }
            }
        }
    }
    // Region codes: the pattern accepts what the parser accepts.
    let pattern = doc["paths"]["/regions/{code}"]["get"]["parameters"][0]["schema"]["pattern"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        pattern.contains(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}"),
        "{pattern}"
    );
    app.stop().await;
}
}
