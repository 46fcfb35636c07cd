//! Ledger events and their canonical encoding (version 1).
//!
//! A leaf of the log is the canonical JSON text of an [`Event`], per RFC 8785 (JSON
//! Canonicalization Scheme): object members sorted by key, no insignificant whitespace,
//! integers written in plain decimal, UTF-8, no trailing newline. Every field is always
//! present in the canonical form (empty arrays and objects included), so one event has
//! exactly one encoding. The leaf hash is `SHA-256(0x00 || canonical bytes)`.
//!
//! Example (one line in the log):
//!
//! ```text
//! {"actor":{"role":"agency_operator","user":"u-17"},"amounts":{"disbursed":1250000},"kind":"disbursement","refs":["budget:1.02.03"],"subjects":["hh:9f2c1a"],"time":"2026-01-05T03:04:05Z","v":1}
//! ```
//!
//! Every string is restricted to a small ASCII alphabet (see the field docs), so the
//! canonical form never needs JSON escapes; amounts are integer Rupiah within
//! ±(2^53 − 1) so that every JCS implementation (which follows ECMAScript numbers)
//! writes them identically. Subject and user ids are pseudonyms: a run of 16 digits (a
//! NIK or KK number) is rejected anywhere, and spaces (names) are not in the alphabet.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Current version of the canonical encoding (the `"v"` member).
pub const EVENT_VERSION: u64 = 1;

/// Largest amount magnitude accepted: 2^53 − 1, exactly representable in every JSON
/// implementation.
pub const MAX_AMOUNT: i64 = (1 << 53) - 1;

/// Roles allowed as `actor.role` (the roles of the platform, plus `system` for automated jobs).
pub const ROLES: [&str; 8] = [
    "admin",
    "planner",
    "agency_operator",
    "village_operator",
    "auditor",
    "partner",
    "citizen",
    "system",
];

/// Who performed the action.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// One of [`ROLES`].
    pub role: String,
    /// Pseudonymous user id: 1–128 characters of `A-Z a-z 0-9 _ . : -`.
    pub user: String,
}

/// One ledger event: a decision about a person or a money movement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Event kind, e.g. `disbursement`, `enrollment`, `budget.change`:
    /// 1–64 characters of `a-z 0-9 _ . -`, starting with a letter or digit.
    pub kind: String,
    /// UTC time with second precision, `YYYY-MM-DDTHH:MM:SSZ`.
    pub time: String,
    /// Acting role and user.
    pub actor: Actor,
    /// Pseudonymous subject ids (households, persons, projects): same alphabet as user ids.
    pub subjects: Vec<String>,
    /// Named amounts in integer Rupiah; names are 1–64 characters of `a-z 0-9 _`, starting with a letter.
    pub amounts: BTreeMap<String, i64>,
    /// References to other records (budget lines, documents, earlier ledger indexes):
    /// 1–256 characters of `A-Z a-z 0-9 _ . : / # -`.
    pub refs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    v: Option<u64>,
    kind: String,
    time: String,
    actor: Actor,
    #[serde(default)]
    subjects: Vec<String>,
    #[serde(default)]
    amounts: BTreeMap<String, i64>,
    #[serde(default)]
    refs: Vec<String>,
}

/// Why an event was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Not valid JSON or not the event shape (serde's message includes the column).
    #[error("invalid JSON event: {0}")]
    Json(String),
    /// A field has a value outside its allowed form.
    #[error("field `{field}`: {reason}")]
    Field {
        /// The offending field (dotted path).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn field_err(field: impl Into<String>, reason: impl Into<String>) -> EventError {
    EventError::Field {
        field: field.into(),
        reason: reason.into(),
    }
}

fn has_nik_like_run(s: &str) -> bool {
    let mut run = 0;
    for b in s.bytes() {
        if b.is_ascii_digit() {
            run += 1;
            if run >= 16 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

fn check_id(field: &str, s: &str, max: usize, extra: &[u8]) -> Result<(), EventError> {
    if s.is_empty() || s.len() > max {
        return Err(field_err(field, format!("must be 1 to {max} characters")));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || (c.is_ascii() && extra.contains(&(*c as u8)))))
    {
        return Err(field_err(
            field,
            format!(
                "character {c:?} not allowed (use A-Z a-z 0-9 and {:?})",
                String::from_utf8_lossy(extra)
            ),
        ));
    }
    if has_nik_like_run(s) {
        return Err(field_err(
            field,
            "contains 16 consecutive digits (looks like a NIK/KK number); use a pseudonymous id",
        ));
    }
    Ok(())
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn check_time(s: &str) -> Result<(), EventError> {
    let bad = || {
        field_err(
            "time",
            format!("{s:?} is not YYYY-MM-DDTHH:MM:SSZ (UTC, whole seconds)"),
        )
    };
    let b = s.as_bytes();
    if b.len() != 20 {
        return Err(bad());
    }
    let shape = b"dddd-dd-ddTdd:dd:ddZ";
    for (c, p) in b.iter().zip(shape) {
        let ok = if *p == b'd' {
            c.is_ascii_digit()
        } else {
            c == p
        };
        if !ok {
            return Err(bad());
        }
    }
    let num = |r: std::ops::Range<usize>| -> u32 { s[r].parse().unwrap_or(u32::MAX) };
    let (y, mo, d, h, mi, se) = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    );
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if y == 0 || d == 0 || d > days || h > 23 || mi > 59 || se > 59 {
        return Err(bad());
    }
    Ok(())
}

impl Event {
    /// Parses one JSON event (as written by a producer) and validates every field.
    ///
    /// `"v"` may be omitted (it defaults to [`EVENT_VERSION`]); `subjects`, `amounts` and
    /// `refs` may be omitted (empty). Unknown members are rejected, so personal data
    /// cannot slip in through an extra field.
    ///
    /// # Errors
    /// [`EventError::Json`] for malformed JSON, wrong types or unknown members;
    /// [`EventError::Field`] for values outside their allowed form.
    ///
    /// ```
    /// use sejahtera_ledger::Event;
    /// let e = Event::parse_json(r#"{"kind":"enrollment","time":"2026-02-01T00:00:00Z",
    ///     "actor":{"role":"agency_operator","user":"u-1"},"subjects":["p:ab12"]}"#).unwrap();
    /// assert_eq!(
    ///     String::from_utf8(e.canonical_bytes()).unwrap(),
    ///     r#"{"actor":{"role":"agency_operator","user":"u-1"},"amounts":{},"kind":"enrollment","refs":[],"subjects":["p:ab12"],"time":"2026-02-01T00:00:00Z","v":1}"#
    /// );
    /// assert!(Event::parse_json(r#"{"kind":"x","time":"2026-02-01T00:00:00Z",
    ///     "actor":{"role":"admin","user":"u"},"subjects":["5371010101900001"]}"#).is_err());
    /// ```
    pub fn parse_json(text: &str) -> Result<Self, EventError> {
        let raw: RawEvent =
            serde_json::from_str(text).map_err(|e| EventError::Json(e.to_string()))?;
        if let Some(v) = raw.v
            && v != EVENT_VERSION
        {
            return Err(field_err(
                "v",
                format!("unsupported version {v} (this build writes version {EVENT_VERSION})"),
            ));
        }
        let ev = Event {
            kind: raw.kind,
            time: raw.time,
            actor: raw.actor,
            subjects: raw.subjects,
            amounts: raw.amounts,
            refs: raw.refs,
        };
        ev.validate()?;
        Ok(ev)
    }

    /// Checks every field against its allowed form (see the field docs).
    ///
    /// # Errors
    /// [`EventError::Field`] naming the first offending field.
    pub fn validate(&self) -> Result<(), EventError> {
        let k = &self.kind;
        if k.is_empty()
            || k.len() > 64
            || !k
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"_.-".contains(&c))
            || !k.as_bytes()[0].is_ascii_alphanumeric()
        {
            return Err(field_err(
                "kind",
                format!(
                    "{k:?} must be 1-64 characters of a-z 0-9 _ . - starting with a letter or digit"
                ),
            ));
        }
        check_time(&self.time)?;
        if !ROLES.contains(&self.actor.role.as_str()) {
            return Err(field_err(
                "actor.role",
                format!("{:?} is not one of {}", self.actor.role, ROLES.join(", ")),
            ));
        }
        check_id("actor.user", &self.actor.user, 128, b"_.:-")?;
        if self.subjects.len() > 1000 {
            return Err(field_err("subjects", "at most 1000 subjects per event"));
        }
        for (i, s) in self.subjects.iter().enumerate() {
            check_id(&format!("subjects[{i}]"), s, 128, b"_.:-")?;
        }
        for (name, v) in &self.amounts {
            if name.is_empty()
                || name.len() > 64
                || !name.as_bytes()[0].is_ascii_lowercase()
                || !name
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
            {
                return Err(field_err(
                    format!("amounts.{name}"),
                    "amount names are 1-64 characters of a-z 0-9 _ starting with a letter",
                ));
            }
            if v.unsigned_abs() > MAX_AMOUNT.unsigned_abs() {
                return Err(field_err(
                    format!("amounts.{name}"),
                    format!("{v} is beyond ±(2^53 - 1) Rupiah"),
                ));
            }
        }
        if self.refs.len() > 1000 {
            return Err(field_err("refs", "at most 1000 references per event"));
        }
        for (i, r) in self.refs.iter().enumerate() {
            check_id(&format!("refs[{i}]"), r, 256, b"_.:/#-")?;
        }
        Ok(())
    }

    /// The canonical (RFC 8785) encoding of the event: the bytes stored in the log and hashed
    /// into its leaf. The event must be valid ([`Event::validate`]); every string is then
    /// plain ASCII without characters that need escaping.
    #[must_use]
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(256);
        let q = |out: &mut String, s: &str| {
            if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
                // Validated fields never need escapes.
                out.push('"');
                out.push_str(s);
                out.push('"');
            } else {
                // serde_json's escaping is the JCS escaping (\" \\ \b \f \n \r \t, \u00xx lowercase).
                out.push_str(&serde_json::to_string(s).unwrap_or_default());
            }
        };
        let list = |out: &mut String, items: &[String]| {
            out.push('[');
            for (i, s) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                q(out, s);
            }
            out.push(']');
        };
        out.push_str("{\"actor\":{\"role\":");
        q(&mut out, &self.actor.role);
        out.push_str(",\"user\":");
        q(&mut out, &self.actor.user);
        out.push_str("},\"amounts\":{");
        // BTreeMap orders by bytes; for ASCII keys this is the UTF-16 order JCS requires.
        for (i, (k, v)) in self.amounts.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            q(&mut out, k);
            out.push(':');
            out.push_str(&v.to_string());
        }
        out.push_str("},\"kind\":");
        q(&mut out, &self.kind);
        out.push_str(",\"refs\":");
        list(&mut out, &self.refs);
        out.push_str(",\"subjects\":");
        list(&mut out, &self.subjects);
        out.push_str(",\"time\":");
        q(&mut out, &self.time);
        out.push_str(",\"v\":");
        out.push_str(&EVENT_VERSION.to_string());
        out.push('}');
        out.into_bytes()
    }

    /// The RFC 6962 leaf hash of the canonical encoding.
    #[must_use]
    pub fn leaf_hash(&self) -> crate::Hash {
        crate::leaf_hash(&self.canonical_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"{"kind":"disbursement","time":"2026-01-05T03:04:05Z","actor":{"role":"agency_operator","user":"u-17"},"subjects":["hh:9f2c1a"],"amounts":{"disbursed":1250000},"refs":["budget:1.02.03"]}"#;

    #[test]
    fn canonical_form_is_sorted_and_compact() {
        let e = Event::parse_json(BASE).unwrap();
        assert_eq!(
            String::from_utf8(e.canonical_bytes()).unwrap(),
            r#"{"actor":{"role":"agency_operator","user":"u-17"},"amounts":{"disbursed":1250000},"kind":"disbursement","refs":["budget:1.02.03"],"subjects":["hh:9f2c1a"],"time":"2026-01-05T03:04:05Z","v":1}"#
        );
    }

    #[test]
    fn leaf_matches_the_python_recipe_in_docs() {
        // docs/ledger.md: json.dumps(ev, sort_keys=True, separators=(",", ":")) then
        // SHA-256(0x00 || bytes), computed with Python's hashlib.
        let e = Event::parse_json(BASE).unwrap();
        let hex: String = e.leaf_hash().0.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "07838b5d45233eb4837c039b56645e4ef727b932678ef3a6731020a63d138617"
        );
    }

    #[test]
    fn canonical_form_is_a_fixed_point() {
        let e = Event::parse_json(BASE).unwrap();
        let c = String::from_utf8(e.canonical_bytes()).unwrap();
        let e2 = Event::parse_json(&c).unwrap();
        assert_eq!(e, e2);
        assert_eq!(e2.canonical_bytes(), c.as_bytes());
    }

    #[test]
    fn member_order_and_whitespace_do_not_change_the_leaf() {
        let a = Event::parse_json(BASE).unwrap();
        let b = Event::parse_json(
            r#" { "amounts" : {"disbursed":1250000}, "refs":["budget:1.02.03"], "v":1,
               "subjects":["hh:9f2c1a"], "actor":{"user":"u-17","role":"agency_operator"},
               "time":"2026-01-05T03:04:05Z", "kind":"disbursement" } "#,
        )
        .unwrap();
        assert_eq!(a.leaf_hash(), b.leaf_hash());
    }

    #[test]
    fn amounts_are_sorted_by_key() {
        let e = Event::parse_json(r#"{"kind":"budget.change","time":"2026-01-05T03:04:05Z","actor":{"role":"planner","user":"p1"},"amounts":{"new":5,"allocated_before":-3,"b":0}}"#).unwrap();
        let c = String::from_utf8(e.canonical_bytes()).unwrap();
        assert!(
            c.contains(r#""amounts":{"allocated_before":-3,"b":0,"new":5}"#),
            "{c}"
        );
    }

    #[test]
    fn rejects_nik_in_any_id() {
        for json in [
            r#"{"kind":"x","time":"2026-01-05T03:04:05Z","actor":{"role":"admin","user":"5371014101900001"}}"#,
            r#"{"kind":"x","time":"2026-01-05T03:04:05Z","actor":{"role":"admin","user":"u"},"subjects":["nik:5371014101900001"]}"#,
            r#"{"kind":"x","time":"2026-01-05T03:04:05Z","actor":{"role":"admin","user":"u"},"refs":["doc/5371014101900001"]}"#,
        ] {
            let err = Event::parse_json(json).unwrap_err().to_string();
            assert!(err.contains("NIK"), "{err}");
        }
    }

    #[test]
    fn rejects_names_unknown_fields_and_floats() {
        let name = r#"{"kind":"x","time":"2026-01-05T03:04:05Z","actor":{"role":"admin","user":"u"},"subjects":["Budi Santoso"]}"#;
        assert!(
            Event::parse_json(name)
                .unwrap_err()
                .to_string()
                .contains("subjects[0]")
        );
        let extra = r#"{"kind":"x","time":"2026-01-05T03:04:05Z","actor":{"role":"admin","user":"u"},"nik":"1"}"#;
        assert!(
            Event::parse_json(extra)
                .unwrap_err()
                .to_string()
                .contains("unknown field")
        );
        let float = r#"{"kind":"x","time":"2026-01-05T03:04:05Z","actor":{"role":"admin","user":"u"},"amounts":{"a":1.5}}"#;
        assert!(matches!(Event::parse_json(float), Err(EventError::Json(_))));
        let big = r#"{"kind":"x","time":"2026-01-05T03:04:05Z","actor":{"role":"admin","user":"u"},"amounts":{"a":9007199254740992}}"#;
        assert!(
            Event::parse_json(big)
                .unwrap_err()
                .to_string()
                .contains("2^53")
        );
        let ok = r#"{"kind":"x","time":"2026-01-05T03:04:05Z","actor":{"role":"admin","user":"u"},"amounts":{"a":-9007199254740991}}"#;
        assert!(Event::parse_json(ok).is_ok());
    }

    #[test]
    fn rejects_bad_times_roles_and_versions() {
        for t in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.5Z",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00+08:00",
        ] {
            let j = format!(r#"{{"kind":"x","time":"{t}","actor":{{"role":"admin","user":"u"}}}}"#);
            assert!(Event::parse_json(&j).is_err(), "{t}");
        }
        let leap =
            r#"{"kind":"x","time":"2028-02-29T23:59:59Z","actor":{"role":"admin","user":"u"}}"#;
        assert!(Event::parse_json(leap).is_ok());
        let role =
            r#"{"kind":"x","time":"2026-01-05T03:04:05Z","actor":{"role":"mayor","user":"u"}}"#;
        assert!(
            Event::parse_json(role)
                .unwrap_err()
                .to_string()
                .contains("actor.role")
        );
        let v2 = r#"{"v":2,"kind":"x","time":"2026-01-05T03:04:05Z","actor":{"role":"admin","user":"u"}}"#;
        assert!(
            Event::parse_json(v2)
                .unwrap_err()
                .to_string()
                .contains("version")
        );
    }

    #[test]
    fn parse_error_names_the_column() {
        let err = Event::parse_json(r#"{"kind": "x", "time": }"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("column"), "{err}");
    }
}
