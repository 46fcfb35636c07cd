//! The OpenAPI 3 document of `/api/v1`, served at `/api/v1/openapi.json`.
//! A test checks that every API route is documented and nothing else is.

use axum::Json;
use serde_json::{Value, json};

use crate::error::limits;

/// Every documented (path, method) pair, as the router mounts them under `/api/v1`.
#[cfg(test)]
pub(crate) const OPERATIONS: &[(&str, &str)] = &[
    ("/openapi.json", "get"),
    ("/regions", "get"),
    ("/regions/{code}", "get"),
    ("/session", "post"),
    ("/session", "delete"),
    ("/me", "get"),
    ("/households/search", "post"),
    ("/households/{reference}", "get"),
    ("/imports/{kind}", "post"),
    ("/imports/{run}/rejects", "get"),
    ("/targeting", "post"),
    ("/users", "get"),
    ("/users", "post"),
    ("/users/{id}/status", "post"),
    ("/programs", "get"),
    ("/programs", "post"),
    ("/programs/{id}", "get"),
    ("/programs/{id}/dry-run", "get"),
    ("/programs/{id}/enrollments", "get"),
    ("/programs/{id}/decisions", "post"),
    ("/programs/{id}/sessions", "get"),
    ("/programs/{id}/sessions", "post"),
    ("/sessions/{id}/attendance", "post"),
    ("/programs/{id}/visits", "get"),
    ("/programs/{id}/visits", "post"),
    ("/programs/{id}/referrals", "post"),
    ("/referrals", "get"),
    ("/referrals/{id}/status", "post"),
    ("/programs/{id}/outcomes", "get"),
    ("/programs/{id}/outcomes", "post"),
    ("/programs/{id}/outcomes/import", "post"),
    ("/programs/{id}/panel", "get"),
    ("/partners", "get"),
    ("/partners", "post"),
];

fn id_param() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": id_schema()})
}

/// An id: a positive 64-bit integer.
fn id_schema() -> Value {
    json!({"type": "integer", "format": "int64", "minimum": 1, "maximum": i64::MAX})
}

/// A Kemendagri region code, with or without dots (as `RegionCode::parse` accepts).
pub(crate) const REGION_CODE_PATTERN: &str = r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{10}|[0-9]{2}\.[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}|[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4})$";

/// The region of an agency operator: a province or regency code.
fn agency_region_schema() -> Value {
    json!({"type": "string", "pattern": "^[0-9]{2}(\\.?[0-9]{2})?$",
           "description": "regency or province an agency operator works for (required for agency operators)"})
}

fn region_code_schema() -> Value {
    json!({"type": "string", "pattern": REGION_CODE_PATTERN, "maxLength": 13})
}

fn body(required: &[&str], properties: Value) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "required": required, "properties": properties}}}})
}

/// A state-changing call on a program (the usual errors).
fn write_op(summary: &str, req: Value, created: &str) -> Value {
    json!({"summary": summary, "security": [{"session": []}], "parameters": [csrf(), id_param()], "requestBody": req,
        "responses": {"201": ok(created, json!({"type": "object"})), "400": err("Invalid field"), "401": err("Not signed in"),
            "403": err("Not the program's agency (or an admin), or missing CSRF token"), "404": err("No such program"),
            "409": err("Refused by a rule (capacity, quota, exclusivity, lifecycle, participant, period, partner…); the message says why")}})
}

/// A read of a program's personal data (scoped by role).
fn read_op(summary: &str, item: Value) -> Value {
    json!({"summary": summary, "security": [{"session": []}], "parameters": [id_param()],
        "responses": {"200": ok("Items", json!({"type": "object", "properties": {"items": {"type": "array", "items": item}}})),
            "401": err("Not signed in"), "403": err("Role may not see this program's participants"), "404": err("No such program")}})
}

/// The programs part of the document.
fn program_paths() -> Value {
    let obj = json!({"type": "object"});
    json!({
      "/programs": {
        "get": {"summary": "Programs with their public aggregates (no personal data)", "responses": {"200": ok("Programs", paged(json!({"$ref": "#/components/schemas/Program"})))}},
        "post": {"summary": "Define a program (admins; agency operators for their own agency)", "security": [{"session": []}], "parameters": [csrf()],
          "requestBody": body(&["name", "sector", "agency", "kind", "start", "end", "budget", "eligibility"], json!({
            "name": {"type": "string"}, "sector": {"type": "string", "enum": ["pertanian", "perikanan", "industri_kreatif", "umkm", "pemberdayaan_perempuan", "infrastruktur", "kesehatan", "air_bersih", "pendidikan"]},
            "agency": {"type": "string"}, "kind": {"type": "string", "enum": ["pelatihan", "pendampingan", "hibah", "akses_pasar", "akses_kredit", "layanan"]},
            "start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"}, "budget": {"type": "integer", "description": "Rupiah"},
            "capacity": {"type": "integer", "description": "0: no limit"}, "quotas": {"type": "object", "additionalProperties": {"type": "integer"}, "description": "village code → most households"},
            "eligibility": {"type": "string", "example": "desil <= 4 and kepala.jenis_kelamin == \"P\""},
            "exclusive_with": {"type": "array", "items": {"type": "integer"}}, "partners": {"type": "array", "items": {"type": "integer"}}})),
          "responses": {"201": ok("Created", obj.clone()), "400": err("Invalid field, expression or period"), "401": err("Not signed in"), "403": err("Not this agency's operator, or missing CSRF token"), "409": err("A program of that name already exists")}}},
      "/programs/{id}": {"get": {"summary": "A program and its public aggregates: participants by district and sex (cells under 5 suppressed), status counts, graduation rate, businesses started, sessions, attendance, referrals",
        "parameters": [id_param()], "responses": {"200": ok("Program and stats", json!({"type": "object", "properties": {"program": {"$ref": "#/components/schemas/Program"}, "stats": {"$ref": "#/components/schemas/ProgramStats"}}})), "404": err("No such program")}}},
      "/programs/{id}/dry-run": {"get": {"summary": "Households matching the eligibility expression per village, before launch (the program's agency — its region only, small counts protected — planners, auditors, admins)", "security": [{"session": []}], "parameters": [id_param()],
        "responses": {"200": ok("Counts per village", obj.clone()), "401": err("Not signed in"), "403": err("Not the program's agency, a planner, an auditor or an admin"), "404": err("No such program")}}},
      "/programs/{id}/enrollments": {"get": read_op("Candidates and participants with status, participant name, attendance and latest outcome (personal data, scoped)", obj.clone())},
      "/programs/{id}/decisions": {"post": write_op("Record a decision: propose, enroll, activate, graduate, exit (with reason) or correct (with to); an append-only event",
          body(&["no_kk", "action", "why"], json!({"no_kk": {"type": "string"}, "action": {"type": "string", "enum": ["propose", "enroll", "activate", "graduate", "exit", "correct"]},
            "why": {"type": "string"}, "reason": {"type": "string"}, "to": {"type": "string"}, "participant": {"type": "string", "description": "NIK of the member taking part (default: the head)"}})), "Recorded")},
      "/programs/{id}/sessions": {
        "get": {"summary": "Training sessions with attendance counts (staff)", "security": [{"session": []}], "parameters": [id_param()],
          "responses": {"200": ok("Sessions", obj.clone()), "401": err("Not signed in"), "404": err("No such program")}},
        "post": write_op("Add a training session (within the program's period)", body(&["date", "topic"], json!({"date": {"type": "string", "format": "date"}, "topic": {"type": "string"}, "place": {"type": "string"}})), "Created")},
      "/sessions/{id}/attendance": {"post": write_op("Record attendance (participants only; all or nothing)",
          body(&["marks"], json!({"marks": {"type": "array", "items": {"type": "object", "required": ["no_kk", "present"], "properties": {"no_kk": {"type": "string"}, "present": {"type": "boolean"}}}}})), "Recorded")},
      "/programs/{id}/visits": {
        "get": read_op("Mentoring visits (personal data, scoped)", obj.clone()),
        "post": write_op("Record a mentoring visit", body(&["no_kk", "date", "notes"], json!({"no_kk": {"type": "string"}, "date": {"type": "string", "format": "date"}, "notes": {"type": "string"}})), "Created")},
      "/programs/{id}/referrals": {"post": write_op("Refer a participant to one of the program's partners for a service it offers",
          body(&["no_kk", "partner", "service"], json!({"no_kk": {"type": "string"}, "partner": {"type": "integer"}, "service": {"type": "string", "enum": ["kur", "kredit", "tabungan", "akses_pasar", "sarana", "pelatihan"]}, "date": {"type": "string", "format": "date"}})), "Created")},
      "/referrals": {"get": {"summary": "Referrals you may see: a partner account sees those addressed to it; staff those of programs they may see",
          "security": [{"session": []}], "parameters": [{"name": "program", "in": "query", "schema": id_schema()}],
          "responses": {"200": ok("Referrals", obj.clone()), "401": err("Not signed in")}}},
      "/referrals/{id}/status": {"post": {"summary": "Move a referral on: referred → accepted | rejected, accepted → completed | rejected (a result is needed to complete or reject); by the partner or the program's agency",
          "security": [{"session": []}], "parameters": [csrf(), id_param()],
          "requestBody": body(&["status"], json!({"status": {"type": "string", "enum": ["accepted", "rejected", "completed"]}, "result": {"type": "string"}, "amount": {"type": "integer"}, "date": {"type": "string", "format": "date"}})),
          "responses": {"200": ok("The referral", obj.clone()), "400": err("Invalid field"), "401": err("Not signed in"), "403": err("Not the partner or the program's agency"), "404": err("No such referral"), "409": err("Not a valid next status, or no result")}}},
      "/programs/{id}/outcomes": {
        "get": read_op("Outcomes, latest per household and day (personal data, scoped)", obj.clone()),
        "post": write_op("Record outcomes (all or nothing)", body(&["outcomes"], json!({"outcomes": {"type": "array", "items": {"type": "object", "required": ["no_kk", "date"], "properties": {
            "no_kk": {"type": "string"}, "date": {"type": "string", "format": "date"}, "business": {"type": "boolean"}, "income": {"type": "integer"}, "employed": {"type": "boolean"}}}}})), "Recorded")},
      "/programs/{id}/outcomes/import": {"post": {"summary": "Import outcomes from CSV (no_kk,tanggal,usaha,pendapatan_bulanan,bekerja): good rows stored, each bad row named with line, column and reason",
          "security": [{"session": []}], "parameters": [csrf(), id_param()], "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}}}},
          "responses": {"200": ok("accepted and rejected rows", obj.clone()), "400": err("Unusable header"), "401": err("Not signed in"), "403": err("Not the program's agency"), "404": err("No such program")}}},
      "/programs/{id}/panel": {"get": {"summary": "The evaluation panel (unit, period, first_treated, income, business, employed; units are numbers, not KK) for `sejahtera evaluate did`",
          "security": [{"session": []}], "parameters": [id_param()],
          "responses": {"200": ok("Rows", obj.clone()), "401": err("Not signed in"), "403": err("Not a planner, auditor or the program's agency"), "404": err("No such program")}}},
      "/partners": {
        "get": {"summary": "Partners (staff)", "security": [{"session": []}], "responses": {"200": ok("Partners", obj.clone()), "401": err("Not signed in")}},
        "post": {"summary": "Register a partner (admins)", "security": [{"session": []}], "parameters": [csrf()],
          "requestBody": body(&["name", "kind", "services"], json!({"name": {"type": "string"}, "kind": {"type": "string", "enum": ["bank", "koperasi", "usaha", "lainnya"]},
            "services": {"type": "array", "items": {"type": "string"}}, "contact": {"type": "string"}})),
          "responses": {"201": ok("Created", obj), "400": err("Invalid field"), "401": err("Not signed in"), "403": err("Not an admin")}}}
    })
}

fn err(desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn ok(desc: &str, schema: Value) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": schema}}})
}

fn page_params() -> Value {
    json!([
        {"name": "page", "in": "query", "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": limits::MAX_PAGE, "default": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "format": "int32", "minimum": 1, "maximum": limits::MAX_PER_PAGE, "default": 100}}
    ])
}

fn csrf() -> Value {
    json!({"name": "X-CSRF-Token", "in": "header", "required": true, "schema": {"type": "string"},
           "description": "The session's CSRF token (from POST /session or GET /me)."})
}

fn paged(item: Value) -> Value {
    json!({"type": "object", "required": ["items", "page", "per_page", "total"], "properties": {
        "items": {"type": "array", "items": item},
        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}}})
}

/// The core document (regions, session, registry, users).
fn core() -> Value {
    let fig = json!({"$ref": "#/components/schemas/RegionFigures"});
    json!({
      "openapi": "3.0.3",
      "info": {
        "title": "Sejahtera API",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Public welfare indicators (aggregates only, small cells suppressed) and the staff registry. Staff calls use the session cookie from POST /session and send X-CSRF-Token on every state-changing call. Personal data is only returned to roles that may see it, within their villages."
      },
      "servers": [{"url": "/api/v1"}],
      "components": {
        "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "sj_session"}},
        "schemas": {
          "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
              "code": {"type": "string", "enum": ["bad_request", "unauthorized", "invalid_credentials", "forbidden", "not_found", "too_many_requests", "internal"]},
              "message": {"type": "string"}}}}},
          "RegionFigures": {"type": "object", "required": ["code", "name", "level", "suppressed"], "properties": {
              "code": {"type": "string", "example": "53.71.01"}, "name": {"type": "string"},
              "level": {"type": "string", "enum": ["regency", "district", "village"]},
              "parent": {"type": "string", "nullable": true},
              "suppressed": {"type": "boolean", "description": "true when the region has fewer than 10 households: every figure is then null"},
              "households": {"type": "integer", "nullable": true}, "population": {"type": "integer", "nullable": true},
              "mean_consumption": {"type": "number", "nullable": true, "description": "Rupiah per capita per month"},
              "p0": {"type": "number", "nullable": true}, "p1": {"type": "number", "nullable": true}, "p2": {"type": "number", "nullable": true},
              "p0_se": {"type": "number", "nullable": true}, "gini": {"type": "number", "nullable": true},
              "lorenz": {"type": "array", "items": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}},
              "distribution": {"type": "array", "items": {"type": "integer"}, "description": "persons per bin of 0.25 × the poverty line; the last bin is open-ended"}}},
          "User": {"type": "object", "properties": {"id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"},
              "role": {"type": "string", "enum": ["admin", "planner", "agency_operator", "village_operator", "auditor", "partner", "citizen"]},
              "villages": {"type": "array", "items": {"type": "string"}}, "disabled": {"type": "boolean"}}},
          "HouseholdSummary": {"type": "object", "properties": {"ref": {"type": "string"}, "no_kk": {"type": "string"}, "village": {"type": "string"},
              "village_name": {"type": "string"}, "head_name": {"type": "string", "nullable": true}, "members": {"type": "integer"}}}
        }
      },
      "paths": {
        "/openapi.json": {"get": {"summary": "This document", "responses": {"200": ok("OpenAPI 3 document", json!({"type": "object"}))}}},
        "/regions": {"get": {"summary": "Indicators of every region (public)", "parameters": page_params().as_array().cloned().unwrap_or_default().into_iter().chain([
              json!({"name": "level", "in": "query", "schema": {"type": "string", "enum": ["regency", "district", "village"]}}),
              json!({"name": "parent", "in": "query", "schema": region_code_schema(), "description": "only regions under this code"})]).collect::<Vec<_>>(),
            "responses": {"200": ok("A page of regions", paged(fig.clone())), "400": err("Bad level or parent")}}},
        "/regions/{code}": {"get": {"summary": "A region's indicators, poverty line and children (public)",
            "parameters": [{"name": "code", "in": "path", "required": true, "schema": region_code_schema(), "example": "53.71"}],
            "responses": {"200": ok("The region", json!({"type": "object", "properties": {"region": fig, "poverty_line": {"type": "object", "nullable": true},
                "children": {"type": "array", "items": fig}, "min_households": {"type": "integer"}, "computed_at": {"type": "string", "format": "date-time"}}})),
                "400": err("Malformed code"), "404": err("Unknown region")}}},
        "/session": {
          "post": {"summary": "Sign in", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["username", "password"],
                "properties": {"username": {"type": "string"}, "password": {"type": "string", "format": "password"}}}}}},
            "responses": {"200": ok("Signed in; the session cookie is set", json!({"type": "object", "properties": {"csrf_token": {"type": "string"}, "user": {"$ref": "#/components/schemas/User"}}})),
                "401": err("Wrong username or password"), "429": err("Too many failed attempts (see Retry-After)")}},
          "delete": {"summary": "Sign out", "security": [{"session": []}], "parameters": [csrf()],
            "responses": {"204": {"description": "Signed out"}, "401": err("Not signed in"), "403": err("Missing CSRF token")}}},
        "/me": {"get": {"summary": "The signed-in user", "security": [{"session": []}],
            "responses": {"200": ok("The user and the CSRF token", json!({"type": "object"})), "401": err("Not signed in")}}},
        "/households/search": {"post": {"summary": "Search households by KK number, NIK or name within your villages (POST: the query never appears in a URL)",
            "security": [{"session": []}], "parameters": [csrf()],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["q"], "properties": {
                "q": {"type": "string", "maxLength": limits::SHORT}, "page": {"type": "integer", "format": "int64", "minimum": 1, "maximum": limits::MAX_PAGE, "default": 1},
                "per_page": {"type": "integer", "format": "int32", "minimum": 1, "maximum": limits::MAX_SEARCH_PER_PAGE, "default": 50}}}}}},
            "responses": {"200": ok("A page of households", paged(json!({"$ref": "#/components/schemas/HouseholdSummary"}))),
                "400": err("Unusable query"), "401": err("Not signed in"), "403": err("Role may not read the registry, or missing CSRF token")}}},
        "/households/{reference}": {"get": {"summary": "A household and its members", "security": [{"session": []}],
            "parameters": [{"name": "reference", "in": "path", "required": true, "schema": {"type": "string"}, "description": "pseudonymous reference from a search"}],
            "responses": {"200": ok("The household", json!({"type": "object"})), "401": err("Not signed in"), "403": err("Outside your villages"), "404": err("Unknown reference")}}},
        "/imports/{kind}": {"post": {"summary": "Import households or persons (CSV or XLSX body); rows outside your villages are rejected",
            "security": [{"session": []}],
            "parameters": [csrf(), {"name": "kind", "in": "path", "required": true, "schema": {"type": "string", "enum": ["households", "persons"]}},
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "xlsx"], "default": "csv"}}],
            "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}},
            "responses": {"200": ok("Imported (rejected rows listed in the rejects report)", json!({"type": "object", "properties": {
                "run_id": {"type": "integer"}, "accepted": {"type": "integer"}, "rejected": {"type": "integer"}, "warnings": {"type": "array"},
                "inserted": {"type": "integer"}, "updated": {"type": "integer"}, "unchanged": {"type": "integer"}, "rejects_url": {"type": "string"}}})),
                "400": err("Unusable file; nothing stored"), "401": err("Not signed in"), "403": err("Role may not change the registry, or missing CSRF token")}}},
        "/imports/{run}/rejects": {"get": {"summary": "The rejects report (CSV line,column,reason,raw) of your import", "security": [{"session": []}],
            "parameters": [{"name": "run", "in": "path", "required": true, "schema": id_schema()}],
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}, "401": err("Not signed in"), "404": err("No such report for you")}}},
        "/targeting": {"post": {"summary": "Targeting accuracy of a selection against true consumption, per district (planners, auditors, admins; aggregates only)",
            "security": [{"session": []}], "parameters": [csrf()],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["select"], "properties": {
                "select": {"type": "string", "example": "desil <= 4"}, "under": region_code_schema(), "program": id_schema(),
                "poor_share": {"type": "number", "minimum": 0, "maximum": 1, "description": "poor = the poorest share of each regency's households; absent: below the poverty line"}}}}}},
            "responses": {"200": ok("Confusion table and inclusion/exclusion errors per district and in total", json!({"type": "object"})),
                "400": err("Bad expression (with position) or no true consumption"), "401": err("Not signed in"), "403": err("Role may not see planning analytics, or missing CSRF token")}}},
        "/users": {
          "get": {"summary": "Users (admin)", "security": [{"session": []}], "parameters": page_params(),
            "responses": {"200": ok("A page of users", paged(json!({"$ref": "#/components/schemas/User"}))), "401": err("Not signed in"), "403": err("Not an admin")}},
          "post": {"summary": "Create a user (admin)", "security": [{"session": []}], "parameters": [csrf()],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["username", "role", "password"], "properties": {
                "username": {"type": "string"}, "display_name": {"type": "string"},
                "role": {"type": "string", "enum": ["admin", "planner", "agency_operator", "village_operator", "auditor", "partner", "citizen"]},
                "villages": {"type": "array", "items": region_code_schema()}, "password": {"type": "string", "format": "password", "minLength": 10},
                "agency": {"type": "string"}, "region": agency_region_schema(), "partner": id_schema()}}}}},
            "responses": {"201": ok("Created", json!({"type": "object"})), "400": err("Invalid field"), "401": err("Not signed in"), "403": err("Not an admin")}}},
        "/users/{id}/status": {"post": {"summary": "Enable or disable a user (admin)", "security": [{"session": []}],
            "parameters": [csrf(), id_param()],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["disabled"], "properties": {"disabled": {"type": "boolean"}}}}}},
            "responses": {"204": {"description": "Done"}, "400": err("Cannot disable yourself"), "401": err("Not signed in"), "403": err("Not an admin"), "404": err("No such user")}}}
      }
    })
}

/// The document.
pub(crate) fn spec() -> Value {
    full()
}

pub(crate) async fn document() -> Json<Value> {
    Json(spec())
}

/// The whole document: the core paths and the programs' paths.
fn full() -> Value {
    let mut s = core();
    if let (Some(paths), Value::Object(more)) = (s["paths"].as_object_mut(), program_paths()) {
        paths.extend(more);
    }
    if let Some(schemas) = s["components"]["schemas"].as_object_mut() {
        schemas.insert("Program".into(), json!({"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "sector": {"type": "string"}, "agency": {"type": "string"}, "kind": {"type": "string"},
            "start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"}, "budget": {"type": "integer"}, "capacity": {"type": "integer"},
            "eligibility": {"type": "string"}, "quotas": {"type": "object"}, "exclusive_with": {"type": "array", "items": {"type": "integer"}},
            "partners": {"type": "array", "items": {"type": "object"}}}}));
        schemas.insert("ProgramStats".into(), json!({"type": "object", "properties": {
            "participants": {"type": "integer", "description": "households that have held a place"},
            "by_status": {"type": "object", "description": "each {value, suppressed}, protected as a table whose total is participants"}, "by_district": {"type": "array", "items": {"type": "object", "description": "district, name, women, men, total: each {value, suppressed}; 1–4 suppressed"}},
            "graduation_rate": {"type": "number", "nullable": true, "description": "graduated / (graduated + exited)"},
            "businesses_started": {"type": "integer"}, "followed_up": {"type": "integer"}, "sessions": {"type": "integer"},
            "attendance_rate": {"type": "number", "nullable": true}, "visits": {"type": "integer"}, "referrals": {"type": "object", "description": "by status, each {value, suppressed}"}, "referral_amount": {"type": "integer", "nullable": true, "description": "null (suppressed) unless at least 5 completed referrals stand behind it"}}}));
    }
    if let Some(codes) =
        s["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
            .as_array_mut()
    {
        for c in [
            "refused",
            "method_not_allowed",
            "payload_too_large",
            "unsupported_media_type",
            "unprocessable_entity",
            "timeout",
        ] {
            codes.push(json!(c));
        }
    }
    // Attendance answers 200 (the marks recorded), not 201.
    if let Some(r) = s
        .pointer_mut("/paths/~1sessions~1{id}~1attendance/post/responses")
        .and_then(Value::as_object_mut)
        && let Some(created) = r.remove("201")
    {
        r.insert("200".into(), created);
    }
    if let Some(paths) = s["paths"].as_object_mut() {
        for ops in paths.values_mut() {
            if let Some(ops) = ops.as_object_mut() {
                for op in ops.values_mut() {
                    complete(op);
                }
            }
        }
    }
    s
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
            json_body |= ct == "application/json";
            bound("", &mut media["schema"]);
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
    match o.get("type").and_then(Value::as_str) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_documented_and_nothing_else() {
        let s = spec();
        let paths = s["paths"].as_object().unwrap();
        let mut documented = Vec::new();
        for (p, ops) in paths {
            for m in ops.as_object().unwrap().keys() {
                documented.push((p.clone(), m.clone()));
            }
        }
        documented.sort();
        let mut expected: Vec<(String, String)> = OPERATIONS
            .iter()
            .map(|(p, m)| (p.to_string(), m.to_string()))
            .collect();
        expected.sort();
        assert_eq!(documented, expected);
        // The router mounts exactly these paths.
        let src = concat!(
            include_str!("api.rs"),
            include_str!("portal/api.rs"),
            include_str!("users/api.rs"),
            include_str!("households/api.rs"),
            include_str!("imports/api.rs"),
            include_str!("targeting/api.rs"),
            include_str!("programs/api.rs"),
            include_str!("referrals/api.rs"),
            include_str!("partners/api.rs"),
        );
        for (p, _) in OPERATIONS {
            assert!(
                src.contains(&format!(".route(\"{p}\"")),
                "{p} is not routed"
            );
        }
        assert_eq!(src.matches(".route(\"").count(), paths.len());
        assert!(s["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("refused")));
    }
}
