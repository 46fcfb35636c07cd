//! Whole-database copies between backends (`sejahtera db copy`).
//!
//! [`TABLES`] lists every table a copy carries, parents before children, with the
//! columns copied and the kind of each value. Both backends hold these tables with
//! these columns; each reads a table as a stream of [`Value`] rows in key order and
//! loads rows inside one transaction ([`TableLoad`]), so a copy is all or nothing.
//! Sign-in attempt counters (`login_attempts`) are not copied: they are throttling
//! state that expires within the hour.

use async_trait::async_trait;
use futures_util::stream::BoxStream;

use crate::Result;

/// The kind of a copied value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit integer.
    Int,
    /// A double.
    Real,
    /// Text.
    Text,
    /// Bytes.
    Blob,
    /// A yes/no stored as 0/1 (or a boolean, as the backend prefers).
    Flag,
}

/// A copied column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Its name.
    pub name: &'static str,
    /// Its kind.
    pub kind: Kind,
}

/// A copied table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    /// Its name.
    pub name: &'static str,
    /// The columns copied, in order.
    pub columns: &'static [Column],
    /// The key columns rows are read in the order of.
    pub key: &'static [&'static str],
    /// A generated id column whose sequence a backend moves past the copied ids.
    pub identity: Option<&'static str>,
}

/// One copied value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// An integer (also a flag: 0 or 1).
    Int(i64),
    /// A double.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

const fn c(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

use Kind::{Blob, Flag, Int, Real, Text};

/// Every copied table, parents before children.
pub const TABLES: &[Table] = &[
    Table {
        name: "meta",
        columns: &[c("key", Text), c("value", Text)],
        key: &["key"],
        identity: None,
    },
    Table {
        name: "regions",
        columns: &[
            c("code", Text),
            c("name", Text),
            c("level", Text),
            c("parent_code", Text),
            c("type", Text),
            c("timezone", Text),
        ],
        // A parent's code is a prefix of its children's: key order puts it first.
        key: &["code"],
        identity: None,
    },
    Table {
        name: "households",
        columns: &[
            c("no_kk", Text),
            c("kode_wilayah", Text),
            c("rt", Text),
            c("rw", Text),
            c("alamat", Text),
            c("pengeluaran_bulanan", Int),
            c("lantai", Text),
            c("dinding", Text),
            c("atap", Text),
            c("sumber_air", Text),
            c("sanitasi", Text),
            c("listrik", Text),
            c("bahan_bakar", Text),
            c("status_rumah", Text),
        ],
        key: &["no_kk"],
        identity: None,
    },
    Table {
        name: "persons",
        columns: &[
            c("nik", Text),
            c("no_kk", Text),
            c("nama", Text),
            c("jenis_kelamin", Text),
            c("tanggal_lahir", Text),
            c("hubungan", Text),
            c("pendidikan", Text),
            c("pekerjaan", Text),
            c("sektor", Text),
            c("disabilitas", Text),
            c("status_kawin", Text),
            c("flags", Text),
        ],
        key: &["nik"],
        identity: None,
    },
    Table {
        name: "household_truth",
        columns: &[c("no_kk", Text), c("konsumsi_sebenarnya", Int)],
        key: &["no_kk"],
        identity: None,
    },
    Table {
        name: "household_welfare",
        columns: &[
            c("no_kk", Text),
            c("skor_pmt", Real),
            c("desil", Int),
            c("area", Text),
        ],
        key: &["no_kk"],
        identity: None,
    },
    Table {
        name: "household_refs",
        columns: &[c("ref", Text), c("no_kk", Text)],
        key: &["ref"],
        identity: None,
    },
    Table {
        name: "import_runs",
        columns: &[
            c("id", Int),
            c("kind", Text),
            c("file_name", Text),
            c("started_at", Text),
            c("accepted", Int),
            c("rejected", Int),
            c("warnings", Int),
            c("inserted", Int),
            c("updated", Int),
        ],
        key: &["id"],
        identity: Some("id"),
    },
    Table {
        name: "partners",
        columns: &[
            c("id", Int),
            c("name", Text),
            c("kind", Text),
            c("services", Text),
            c("contact", Text),
            c("created_at", Text),
        ],
        key: &["id"],
        identity: Some("id"),
    },
    Table {
        name: "users",
        columns: &[
            c("id", Int),
            c("username", Text),
            c("display_name", Text),
            c("role", Text),
            c("password_hash", Text),
            c("disabled", Flag),
            c("created_at", Text),
            c("agency", Text),
            c("partner_id", Int),
            c("region", Text),
        ],
        key: &["id"],
        identity: Some("id"),
    },
    Table {
        name: "user_villages",
        columns: &[c("user_id", Int), c("village_code", Text)],
        key: &["user_id", "village_code"],
        identity: None,
    },
    Table {
        name: "sessions",
        columns: &[
            c("token_hash", Text),
            c("user_id", Int),
            c("csrf_token", Text),
            c("created_at", Text),
            c("expires_at", Text),
        ],
        key: &["token_hash"],
        identity: None,
    },
    Table {
        name: "import_rejects",
        columns: &[c("run_id", Int), c("user_id", Int), c("content", Blob)],
        key: &["run_id"],
        identity: None,
    },
    Table {
        name: "programs",
        columns: &[
            c("id", Int),
            c("name", Text),
            c("sector", Text),
            c("agency", Text),
            c("kind", Text),
            c("start_date", Text),
            c("end_date", Text),
            c("budget", Int),
            c("capacity", Int),
            c("eligibility", Text),
            c("created_by", Int),
            c("created_at", Text),
        ],
        key: &["id"],
        identity: Some("id"),
    },
    Table {
        name: "program_quotas",
        columns: &[
            c("program_id", Int),
            c("village_code", Text),
            c("quota", Int),
        ],
        key: &["program_id", "village_code"],
        identity: None,
    },
    Table {
        name: "program_exclusions",
        columns: &[c("program_id", Int), c("other_id", Int)],
        key: &["program_id", "other_id"],
        identity: None,
    },
    Table {
        name: "program_partners",
        columns: &[c("program_id", Int), c("partner_id", Int)],
        key: &["program_id", "partner_id"],
        identity: None,
    },
    Table {
        name: "enrollment_events",
        columns: &[
            c("id", Int),
            c("program_id", Int),
            c("no_kk", Text),
            c("village_code", Text),
            c("status", Text),
            c("reason", Text),
            c("actor", Int),
            c("at", Text),
            c("why", Text),
            c("participant", Text),
        ],
        key: &["id"],
        identity: Some("id"),
    },
    Table {
        name: "program_sessions",
        columns: &[
            c("id", Int),
            c("program_id", Int),
            c("day", Text),
            c("topic", Text),
            c("place", Text),
            c("created_by", Int),
            c("created_at", Text),
        ],
        key: &["id"],
        identity: Some("id"),
    },
    Table {
        name: "attendance",
        columns: &[
            c("session_id", Int),
            c("no_kk", Text),
            c("present", Flag),
            c("recorded_by", Int),
            c("recorded_at", Text),
        ],
        key: &["session_id", "no_kk"],
        identity: None,
    },
    Table {
        name: "mentoring_visits",
        columns: &[
            c("id", Int),
            c("program_id", Int),
            c("no_kk", Text),
            c("day", Text),
            c("mentor", Int),
            c("notes", Text),
            c("recorded_at", Text),
        ],
        key: &["id"],
        identity: Some("id"),
    },
    Table {
        name: "referrals",
        columns: &[
            c("id", Int),
            c("program_id", Int),
            c("no_kk", Text),
            c("partner_id", Int),
            c("service", Text),
            c("referred_on", Text),
            c("created_by", Int),
        ],
        key: &["id"],
        identity: Some("id"),
    },
    Table {
        name: "referral_events",
        columns: &[
            c("id", Int),
            c("referral_id", Int),
            c("status", Text),
            c("result", Text),
            c("amount", Int),
            c("day", Text),
            c("actor", Int),
            c("at", Text),
        ],
        key: &["id"],
        identity: Some("id"),
    },
    Table {
        name: "outcomes",
        columns: &[
            c("id", Int),
            c("program_id", Int),
            c("no_kk", Text),
            c("day", Text),
            c("business", Flag),
            c("income", Int),
            c("employed", Flag),
            c("source", Text),
            c("actor", Int),
            c("at", Text),
        ],
        key: &["id"],
        identity: Some("id"),
    },
];

/// Reading and loading whole tables, for copies between backends.
#[async_trait]
pub trait CopyStore: Send + Sync {
    /// Rows stored in `table`.
    async fn row_count(&self, table: &Table) -> Result<u64>;

    /// The rows of `table` in key order, values in [`Table::columns`] order.
    fn read_rows<'a>(&'a self, table: &'a Table) -> BoxStream<'a, Result<Vec<Value>>>;

    /// Starts loading rows: one transaction, committed by [`TableLoad::commit`].
    async fn begin_load(&self) -> Result<Box<dyn TableLoad + '_>>;
}

/// Rows being loaded in one transaction (see [`CopyStore::begin_load`]).
#[async_trait]
pub trait TableLoad: Send {
    /// Inserts rows into `table` (values in [`Table::columns`] order).
    async fn insert(&mut self, table: &Table, rows: &[Vec<Value>]) -> Result<()>;

    /// Makes everything loaded durable (moving generated-id sequences past the
    /// copied ids, where the backend has them).
    async fn commit(self: Box<Self>) -> Result<()>;
}
