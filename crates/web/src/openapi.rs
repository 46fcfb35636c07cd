//! The OpenAPI 3 document of `/api/v1`, served at `/api/v1/openapi.json`.
//!
//! The document is generated, not written: every API handler carries its
//! `#[utoipa::path]` (path, parameters, body, answers), every body and answer is
//! a `ToSchema` type, and [`crate::api::routes`] mounts the handlers with
//! `utoipa_axum::routes!`, which adds each handler to the router and its
//! operation to the document in one step — a route without documentation, or
//! documentation without a route, cannot be written. [`finish`] then adds what
//! every operation shares: the document's information and security scheme, the
//! ranges of every input (as `crate::error::limits` checks them) and every error
//! answer as the JSON envelope.

use std::sync::LazyLock;

use axum::Json;
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::error::limits;

/// A schema given as JSON (for answers whose types live in other crates, and
/// for the error envelope): a type that only documents.
macro_rules! doc_schema {
    ($(#[$m:meta])* $ty:ident = $name:literal, $schema:expr) => {
        $(#[$m])*
        pub(crate) struct $ty;
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                serde_json::from_value($schema).expect("a valid schema")
            }
        }
        impl utoipa::ToSchema for $ty {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($name)
            }
        }
    };
}
pub(crate) use doc_schema;

/// The error codes of the envelope (`crate::error`).
const ERROR_CODES: &[&str] = &[
    "bad_request",
    "unauthorized",
    "invalid_credentials",
    "forbidden",
    "not_found",
    "too_many_requests",
    "internal",
    "refused",
    "method_not_allowed",
    "payload_too_large",
    "unsupported_media_type",
    "unprocessable_entity",
    "timeout",
];

doc_schema!(
    /// The JSON error envelope `{"error":{"code":…,"message":…}}`.
    ErrorEnvelope = "Error",
    json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "enum": ERROR_CODES}, "message": {"type": "string"}}}}})
);

doc_schema!(
    /// Any JSON object (this document).
    AnyObject = "Object",
    json!({"type": "object"})
);

/// A region code, with or without dots (as `RegionCode::parse` accepts): the
/// pattern the region parameters and fields carry.
#[cfg(test)]
const REGION_CODE_PATTERN: &str = r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{10}|[0-9]{2}\.[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4})$";

/// The session's CSRF token, sent with every state-changing call.
#[derive(IntoParams)]
#[into_params(names("X-CSRF-Token"), parameter_in = Header)]
#[allow(dead_code)]
pub(crate) struct Csrf(
    /// The session's CSRF token (from POST /session or GET /me).
    String,
);

/// The document, made once.
static DOCUMENT: LazyLock<Value> = LazyLock::new(|| finish(crate::api::openapi()));

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3 document", body = AnyObject)))]
pub(crate) async fn document() -> Json<Value> {
    Json(DOCUMENT.clone())
}

/// The document as served: the generated paths and schemas, completed.
pub(crate) fn finish(api: utoipa::openapi::OpenApi) -> Value {
    let mut s = serde_json::to_value(api).expect("the document serializes");
    s["info"] = json!({
        "title": "Sejahtera API",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Public welfare indicators (aggregates only, small cells suppressed) and the staff registry. Staff calls use the session cookie from POST /session and send X-CSRF-Token on every state-changing call. Personal data is only returned to roles that may see it, within their villages."
    });
    s["servers"] = json!([{"url": "/api/v1"}]);
    s["components"]["securitySchemes"] =
        json!({"session": {"type": "apiKey", "in": "cookie", "name": "sj_session"}});
    let schemas = s["components"]["schemas"].clone();
    if let Some(paths) = s["paths"].as_object_mut() {
        for ops in paths.values_mut() {
            if let Some(ops) = ops.as_object_mut() {
                for op in ops.values_mut() {
                    // Request bodies inline (their ranges are the operation's).
                    if let Some(content) = op
                        .get_mut("requestBody")
                        .and_then(|b| b.get_mut("content"))
                        .and_then(Value::as_object_mut)
                    {
                        for media in content.values_mut() {
                            inline(&mut media["schema"], &schemas, 0);
                        }
                    }
                    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                        for p in params {
                            not_null(&mut p["schema"]);
                        }
                    }
                    complete(op);
                }
            }
        }
    }
    // OpenAPI 3.0, as the document has been from the start (and as more
    // clients read it): `nullable` instead of a `null` type.
    to_3_0(&mut s);
    s["openapi"] = json!("3.0.3");
    s
}

/// Rewrites the 3.1 forms utoipa writes into their 3.0 equivalents:
/// `"type": ["integer", "null"]` and `"oneOf": [X, {"type": "null"}]` become
/// `"nullable": true`, and `propertyNames` (3.1 only) goes.
fn to_3_0(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.remove("propertyNames");
            if let Some(Value::Array(types)) = o.get("type") {
                let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                if rest.len() < types.len() {
                    o.insert("nullable".into(), json!(true));
                }
                if rest.len() == 1 {
                    o.insert("type".into(), rest[0].clone());
                }
            }
            if let Some(Value::Array(one_of)) = o.get("oneOf") {
                let rest: Vec<Value> = one_of
                    .iter()
                    .filter(|s| s["type"] != "null")
                    .cloned()
                    .collect();
                if rest.len() == 1 && rest.len() < one_of.len() {
                    o.remove("oneOf");
                    let only = rest[0].clone();
                    if only.get("$ref").is_some() {
                        o.insert("allOf".into(), json!([only]));
                    } else if let Value::Object(fields) = only {
                        for (k, x) in fields {
                            o.entry(k).or_insert(x);
                        }
                    }
                    o.insert("nullable".into(), json!(true));
                }
            }
            for x in o.values_mut() {
                to_3_0(x);
            }
        }
        Value::Array(a) => {
            for x in a {
                to_3_0(x);
            }
        }
        _ => {}
    }
}

/// An error answer: the envelope.
fn err(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

/// A parameter is absent or has a value, never `null`: drops the `null` that
/// an `Option` adds to its schema.
fn not_null(schema: &mut Value) {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            schema["type"] = types[0].clone();
        }
    }
    if let Some(one_of) = schema.get("oneOf").and_then(Value::as_array) {
        let rest: Vec<&Value> = one_of.iter().filter(|s| s["type"] != "null").collect();
        if rest.len() == 1 {
            *schema = rest[0].clone();
        }
    }
}

/// Replaces `$ref`s to component schemas with the schemas themselves.
fn inline(v: &mut Value, schemas: &Value, depth: usize) {
    if depth > 8 {
        return;
    }
    if let Some(name) = v
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        && let Some(target) = schemas.get(name)
    {
        *v = target.clone();
    }
    match v {
        Value::Object(o) => {
            for x in o.values_mut() {
                inline(x, schemas, depth + 1);
            }
        }
        Value::Array(a) => {
            for x in a {
                inline(x, schemas, depth + 1);
            }
        }
        _ => {}
    }
}

/// Fills in what every operation shares: the ranges of its inputs (integer
/// formats and bounds, string lengths, list sizes, as `crate::error::limits`
/// checks them) and every error it can answer, each as the JSON envelope.
fn complete(op: &mut Value) {
    // `get_mut`, not indexing: indexing a missing key would insert a null.
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params {
            let name = p["name"].as_str().unwrap_or_default().to_string();
            bound(&name, &mut p["schema"]);
        }
    }
    let mut json_body = false;
    let mut any_body = false;
    if let Some(content) = op
        .get_mut("requestBody")
        .and_then(|b| b.get_mut("content"))
        .and_then(Value::as_object_mut)
    {
        any_body = true;
        for (ct, media) in content.iter_mut() {
            // Files (CSV, XLSX) are limited by size, not by a schema.
            if ct == "application/json" {
                json_body = true;
                bound("", &mut media["schema"]);
            }
        }
    }
    let has_params = op["parameters"].as_array().is_some_and(|p| !p.is_empty());
    let has_path = op["parameters"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p["in"] == "path"));
    let secured = op.get("security").is_some();
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let mut add = |status: &str, desc: &str| {
        responses
            .entry(status.to_string())
            .or_insert_with(|| err(desc));
    };
    if has_params || json_body {
        add(
            "400",
            "Malformed or out-of-range input; the message names the field",
        );
    }
    if secured {
        add("401", "Not signed in");
        add("403", "Role may not do this, or missing CSRF token");
    }
    if has_path {
        add("404", "Not found");
    }
    if any_body {
        add("413", "Request body too large");
    }
    if json_body {
        add("415", "Content-Type is not application/json");
        add(
            "422",
            "The JSON body does not have the expected fields and types",
        );
    }
    add("500", "Internal error; the cause has been logged");
    if let Some(r) = responses.get_mut("429") {
        r["headers"] = json!({"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}});
    }
}

/// Adds the accepted ranges to a parameter or body schema (recursively).
fn bound(name: &str, schema: &mut Value) {
    let Some(o) = schema.as_object_mut() else {
        return;
    };
    match kind(o).as_deref() {
        Some("integer") => {
            let (min, max, format): (i64, i64, &str) = match name {
                "budget" => (0, limits::MAX_BUDGET, "int64"),
                "amount" => (0, limits::MAX_AMOUNT, "int64"),
                "income" => (0, limits::MAX_INCOME, "int64"),
                "capacity" | "quotas" => (0, i64::from(limits::MAX_CAPACITY), "int32"),
                _ => (1, i64::MAX, "int64"),
            };
            o.entry("format").or_insert(json!(format));
            o.entry("minimum").or_insert(json!(min));
            o.entry("maximum").or_insert(json!(max));
        }
        Some("string") if !o.contains_key("enum") && !o.contains_key("format") => {
            match name {
                // KK and NIK numbers: 16 digits (surrounding spaces are trimmed).
                "no_kk" | "participant" => {
                    o.entry("pattern").or_insert(json!("^\\s*[0-9]{16}\\s*$"));
                }
                // Fields that must say something.
                "name" | "username" | "topic" | "eligibility" | "why" | "notes" => {
                    o.entry("minLength").or_insert(json!(1));
                    o.entry("pattern").or_insert(json!("\\S"));
                }
                _ => {}
            }
            let max = match name {
                "eligibility" | "why" | "notes" | "result" | "select" => limits::LONG,
                "password" => limits::PASSWORD,
                _ => limits::SHORT,
            };
            o.entry("maxLength").or_insert(json!(max));
        }
        Some("string") if o.get("format").and_then(Value::as_str) == Some("password") => {
            o.entry("maxLength").or_insert(json!(limits::PASSWORD));
        }
        Some("array") => {
            let max = if name == "services" {
                20
            } else {
                limits::MAX_ITEMS
            };
            o.entry("maxItems").or_insert(json!(max));
            if let Some(items) = o.get_mut("items") {
                bound(name, items);
            }
        }
        Some("object") => {
            if let Some(Value::Object(props)) = o.get_mut("properties") {
                for (k, v) in props.iter_mut() {
                    bound(k, v);
                }
            }
            if name == "quotas" {
                o.entry("maxProperties").or_insert(json!(limits::MAX_ITEMS));
                if let Some(v) = o.get_mut("additionalProperties") {
                    bound(name, v);
                }
            }
        }
        _ => {}
    }
}

/// The type of a schema (`["integer", "null"]`: integer).
fn kind(o: &serde_json::Map<String, Value>) -> Option<String> {
    match o.get("type")? {
        Value::String(t) => Some(t.clone()),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The API modules' sources (the handlers and their routers).
    const SOURCES: &[&str] = &[
        include_str!("api.rs"),
        include_str!("openapi.rs"),
        include_str!("portal/api.rs"),
        include_str!("users/api.rs"),
        include_str!("households/api.rs"),
        include_str!("imports/api.rs"),
        include_str!("targeting/api.rs"),
        include_str!("programs/api.rs"),
        include_str!("referrals/api.rs"),
        include_str!("partners/api.rs"),
    ];

    #[test]
    fn every_operation_is_documented_and_nothing_else() {
        let s = finish(crate::api::openapi());
        let paths = s["paths"].as_object().unwrap();
        let operations: usize = paths
            .values()
            .map(|ops| ops.as_object().unwrap().len())
            .sum();
        // Every handler is mounted with `routes!` (which documents it); none
        // with a plain `.route(` (which would not).
        let src = SOURCES.concat();
        assert_eq!(src.matches(&format!(".{}(\"", "route")).count(), 0);
        assert_eq!(
            src.matches(&format!("#[utoipa::{}(", "path")).count(),
            operations
        );
        assert_eq!(operations, 34);
        let codes = &s["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
            ["enum"];
        assert!(codes.as_array().unwrap().contains(&json!("refused")));
        assert_eq!(s["info"]["title"], "Sejahtera API");
        assert_eq!(
            s["paths"]["/regions/{code}"]["get"]["parameters"][0]["schema"]["pattern"],
            REGION_CODE_PATTERN
        );
        assert_eq!(
            s["components"]["securitySchemes"]["session"]["name"],
            "sj_session"
        );
    }
}
