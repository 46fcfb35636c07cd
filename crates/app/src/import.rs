//! Import of households and persons from CSV or a workbook.
//!
//! Every row is validated; rejected rows go to a rejects CSV (`line,column,reason,raw`)
//! and every accepted row is written in one transaction, so a failure or a kill in
//! the middle leaves the store as it was. Households are keyed by `no_kk` and persons
//! by `nik`: re-importing the same file changes nothing.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use sejahtera_domain::codes::Hubungan;
use sejahtera_domain::registry::{
    FieldError, HOUSEHOLD_COLUMNS, HOUSEHOLD_REQUIRED, Household, PERSON_COLUMNS, PERSON_REQUIRED,
    Person, RowValues, parse_household, parse_person,
};
use sejahtera_domain::{RegionCode, Regions};
use sejahtera_store::{ImportRun, Store, WriteStats};

use crate::input::{InputError, RawRow, open_table};
use crate::progress::Progress;

/// What is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Households (one row per family card).
    Households,
    /// Persons (one row per NIK); their households must be stored first.
    Persons,
}

impl Kind {
    /// `households` or `persons`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Households => "households",
            Kind::Persons => "persons",
        }
    }
    /// The columns of this kind, in template order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::Households => HOUSEHOLD_COLUMNS,
            Kind::Persons => PERSON_COLUMNS,
        }
    }
    /// The required columns.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Kind::Households => HOUSEHOLD_REQUIRED,
            Kind::Persons => PERSON_REQUIRED,
        }
    }
}

/// The empty template: the header line of a kind's CSV.
pub fn template(kind: Kind) -> String {
    format!("{}\n", kind.columns().join(","))
}

/// The reason of every reject caused by the scope of an import (a village outside it, a
/// KK stored outside it, or a KK not stored at all): deliberately one wording, so a village
/// operator cannot tell from it whether a KK exists in another village.
pub const NOT_IN_SCOPE: &str = "the household is outside the villages you may edit";

/// A rejected row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// 1-based line (CSV) or sheet row (workbook); the header is line 1.
    pub line: usize,
    /// The column at fault (empty for a problem with the whole row).
    pub column: String,
    /// Why the row was rejected.
    pub reason: String,
    /// The row as it was read.
    pub raw: String,
}

/// A warning about an accepted row or the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The line it concerns (the header's line for unknown columns).
    pub line: usize,
    /// The column it concerns.
    pub column: String,
    /// The message.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.column, self.message)
    }
}

/// The outcome of an import that could read its input.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// Rows accepted (and stored).
    pub accepted: u64,
    /// Rows rejected (written to the rejects file).
    pub rejected: u64,
    /// Warnings (unknown columns, data-quality flags).
    pub warnings: Vec<Warning>,
    /// Notes that are not warnings (e.g. a household repeated in the file).
    pub notes: Vec<String>,
    /// What the write changed.
    pub stats: WriteStats,
    /// Where the rejects were written.
    pub rejects_path: PathBuf,
    /// The id of the recorded import run.
    pub run_id: Option<i64>,
}

/// Why an import stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input cannot be read.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Required columns are missing from the header.
    #[error(
        "{path}: missing required column(s) {missing} (the header has: {found}); nothing was imported"
    )]
    MissingColumns {
        /// The file.
        path: String,
        /// The missing columns, comma separated.
        missing: String,
        /// The header as read.
        found: String,
    },
    /// A column appears twice in the header.
    #[error(
        "{path}: line 1: column {column:?} appears twice (columns {first} and {second}); nothing was imported"
    )]
    DuplicateColumn {
        /// The file.
        path: String,
        /// The column.
        column: String,
        /// Its first 1-based position.
        first: usize,
        /// Its second 1-based position.
        second: usize,
    },
    /// The rejects file cannot be written.
    #[error("cannot write the rejects file {path}: {reason}; nothing was imported")]
    Rejects {
        /// The rejects file.
        path: String,
        /// The cause.
        reason: String,
    },
    /// The store failed; the transaction was rolled back.
    #[error("storing the rows failed, nothing was imported: {0}")]
    Store(#[from] sejahtera_store::StoreError),
}

/// Options of an import.
pub struct ImportOptions<'a> {
    /// Where to write the rejects CSV.
    pub rejects: PathBuf,
    /// Today's date (birth dates after it are rejected).
    pub today: NaiveDate,
    /// Progress receiver.
    pub progress: &'a dyn Progress,
    /// The villages the importing user may write (`None`: all). Rows of households
    /// outside them — in the file or already stored elsewhere — are rejected.
    pub scope: Option<BTreeSet<RegionCode>>,
}

/// The default rejects path: `<FILE>.rejects.csv`.
pub fn default_rejects_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".rejects.csv");
    PathBuf::from(s)
}

/// Maps the file's columns to a kind's known columns.
struct Columns {
    /// For each known column (in `Kind::columns` order): its index in the file.
    position: Vec<Option<usize>>,
    known: &'static [&'static str],
}

impl Columns {
    fn index_of(&self, column: &str) -> Option<usize> {
        let k = self.known.iter().position(|c| *c == column)?;
        self.position[k]
    }
}

struct Row<'a> {
    fields: &'a [String],
    cols: &'a Columns,
}

impl RowValues for Row<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        // A column the file lacks, or a short row, reads as absent.
        self.cols
            .index_of(column)
            .and_then(|i| self.fields.get(i))
            .map(String::as_str)
    }
}

fn map_header(
    kind: Kind,
    path: &Path,
    header: &[String],
    warnings: &mut Vec<Warning>,
) -> Result<Columns, ImportError> {
    let known = kind.columns();
    let mut position = vec![None; known.len()];
    for (i, h) in header.iter().enumerate() {
        let name = h.trim().to_ascii_lowercase();
        match known.iter().position(|c| *c == name) {
            Some(k) => {
                if let Some(first) = position[k] {
                    return Err(ImportError::DuplicateColumn {
                        path: path.display().to_string(),
                        column: name,
                        first: first + 1,
                        second: i + 1,
                    });
                }
                position[k] = Some(i);
            }
            None => warnings.push(Warning {
                line: 1,
                column: h.clone(),
                message: format!("unknown column {:?} (column {}) is ignored", h, i + 1),
            }),
        }
    }
    let missing: Vec<&str> = kind
        .required()
        .iter()
        .filter(|c| position[known.iter().position(|k| k == *c).unwrap_or(0)].is_none())
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns {
            path: path.display().to_string(),
            missing: missing.join(", "),
            found: header.join(","),
        });
    }
    Ok(Columns { position, known })
}

/// Collects rejects into a CSV file as they happen.
struct RejectWriter {
    w: csv::Writer<std::io::BufWriter<std::fs::File>>,
    path: PathBuf,
    count: u64,
}

impl RejectWriter {
    fn create(path: &Path) -> Result<RejectWriter, ImportError> {
        let err = |e: &dyn std::fmt::Display| ImportError::Rejects {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let f = std::fs::File::create(path).map_err(|e| err(&e))?;
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
        w.write_record(["line", "column", "reason", "raw"])
            .map_err(|e| err(&e))?;
        Ok(RejectWriter {
            w,
            path: path.to_path_buf(),
            count: 0,
        })
    }
    fn push(&mut self, r: Reject) -> Result<(), ImportError> {
        self.count += 1;
        self.w
            .write_record([r.line.to_string(), r.column, r.reason, r.raw])
            .map_err(|e| ImportError::Rejects {
                path: self.path.display().to_string(),
                reason: e.to_string(),
            })
    }
    fn finish(mut self) -> Result<u64, ImportError> {
        self.w.flush().map_err(|e| ImportError::Rejects {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(self.count)
    }
}

fn field_reject(row: &RawRow, delimiter: u8, e: FieldError) -> Reject {
    Reject {
        line: row.line,
        column: e.column.to_string(),
        reason: e.reason,
        raw: row.raw(delimiter),
    }
}

/// Checks a row's shape: valid UTF-8 and no non-empty cells beyond the header.
fn shape_reject(row: &RawRow, header: &[String], delimiter: u8) -> Option<Reject> {
    if let Some(i) = row.bad_utf8 {
        return Some(Reject {
            line: row.line,
            column: header.get(i).cloned().unwrap_or_default(),
            reason: "text is not valid UTF-8 (save the file as CSV UTF-8)".into(),
            raw: row.raw(delimiter),
        });
    }
    if row.fields.len() > header.len()
        && row.fields[header.len()..]
            .iter()
            .any(|f| !f.trim().is_empty())
    {
        return Some(Reject {
            line: row.line,
            column: String::new(),
            reason: format!(
                "row has {} fields but the header has {}",
                row.fields.len(),
                header.len()
            ),
            raw: row.raw(delimiter),
        });
    }
    None
}

/// A validated batch on its way from the validating thread to the writer.
enum Batch {
    Households(Vec<Household>),
    Persons(Vec<Person>),
}

/// Rows per batch handed from validation to the writer.
const BATCH_ROWS: usize = 4096;

/// What validation found, besides the rows it sent to the writer.
struct Validated {
    accepted: u64,
    /// Accepted rows whose key was not stored before (distinct keys).
    new_keys: u64,
    /// Rows sent to the writer (after merging repeats within one batch).
    sent: u64,
    warnings: Vec<Warning>,
    notes: Vec<String>,
    rejected: u64,
}

/// Everything the validating thread needs, owned.
struct Validation {
    kind: Kind,
    table: crate::input::Table,
    cols: Columns,
    header: Vec<String>,
    regions: Regions,
    households: HashSet<u64>,
    persons: sejahtera_store::PersonKeys,
    today: NaiveDate,
    /// With a scope: the villages allowed and the stored households outside them.
    scope: Option<(BTreeSet<RegionCode>, HashSet<u64>)>,
    rejects: RejectWriter,
    warnings: Vec<Warning>,
}

impl Validation {
    /// The next row worth validating: blank rows are skipped, and rows of the wrong
    /// shape (text that is not UTF-8, cells beyond the header) go straight to the rejects.
    fn next_row(&mut self) -> Option<Result<RawRow, ImportError>> {
        loop {
            let row = match self.table.next()? {
                Ok(r) => r,
                Err(e) => return Some(Err(e.into())),
            };
            if row.is_blank() {
                continue;
            }
            match shape_reject(&row, &self.header, self.table.delimiter) {
                Some(r) => {
                    if let Err(e) = self.rejects.push(r) {
                        return Some(Err(e));
                    }
                }
                None => return Some(Ok(row)),
            }
        }
    }

    /// Validates every row, handing accepted rows to `send` in batches together
    /// with the bytes read so far. Stops early when `send` returns false (the
    /// writer failed).
    fn run(mut self, send: &mut dyn FnMut(Batch, u64) -> bool) -> Result<Validated, ImportError> {
        let delimiter = self.table.delimiter;
        let mut notes = Vec::new();
        let mut accepted = 0u64;
        let mut new_keys = 0u64;
        let mut sent = 0u64;
        let mut bytes = 0u64;
        match self.kind {
            Kind::Households => {
                let mut first_line: HashMap<u64, usize> = HashMap::new();
                let mut batch: Vec<Household> = Vec::with_capacity(BATCH_ROWS);
                let mut in_batch: HashMap<u64, usize> = HashMap::new();
                while let Some(row) = self.next_row() {
                    let row = row?;
                    bytes = row.bytes_read;
                    let h = match parse_household(
                        &Row {
                            fields: &row.fields,
                            cols: &self.cols,
                        },
                        |c| self.regions.is_village(c),
                    ) {
                        Ok(h) => h,
                        Err(e) => {
                            self.rejects.push(field_reject(&row, delimiter, e))?;
                            continue;
                        }
                    };
                    let kk = h.no_kk.as_u64();
                    if let Some((allowed, outside)) = &self.scope {
                        // One reason, whether the row names a village outside the scope or
                        // its no_kk is stored in such a village: the wording must not tell
                        // the operator that a KK exists elsewhere (security issue #13).
                        if !allowed.contains(&h.kode_wilayah) || outside.contains(&kk) {
                            self.rejects.push(Reject {
                                line: row.line,
                                column: "kode_wilayah".into(),
                                reason: NOT_IN_SCOPE.into(),
                                raw: row.raw(delimiter),
                            })?;
                            continue;
                        }
                    }
                    accepted += 1;
                    match first_line.get(&kk) {
                        Some(first) => notes.push(format!(
                            "line {}: no_kk repeats line {first}; the later row replaces the earlier one",
                            row.line
                        )),
                        None => {
                            first_line.insert(kk, row.line);
                            if !self.households.contains(&kk) {
                                new_keys += 1;
                            }
                        }
                    }
                    match in_batch.get(&kk) {
                        Some(&i) => batch[i] = h,
                        None => {
                            in_batch.insert(kk, batch.len());
                            batch.push(h);
                        }
                    }
                    if batch.len() >= BATCH_ROWS {
                        sent += batch.len() as u64;
                        in_batch.clear();
                        if !send(Batch::Households(std::mem::take(&mut batch)), bytes) {
                            break;
                        }
                    }
                }
                if !batch.is_empty() {
                    sent += batch.len() as u64;
                    send(Batch::Households(batch), bytes);
                }
            }
            Kind::Persons => {
                let mut seen_nik: HashMap<u64, usize> = HashMap::new(); // nik -> line
                let mut head_in_file: HashMap<u64, (u64, usize)> = HashMap::new(); // kk -> (nik, line)
                let mut batch: Vec<Person> = Vec::with_capacity(BATCH_ROWS);
                while let Some(row) = self.next_row() {
                    let row = row?;
                    bytes = row.bytes_read;
                    let p = match parse_person(
                        &Row {
                            fields: &row.fields,
                            cols: &self.cols,
                        },
                        self.today,
                    ) {
                        Ok(p) => p,
                        Err(e) => {
                            self.rejects.push(field_reject(&row, delimiter, e))?;
                            continue;
                        }
                    };
                    let (nik, kk) = (p.nik.as_u64(), p.no_kk.as_u64());
                    let reject = |column: &str, reason: String| Reject {
                        line: row.line,
                        column: column.into(),
                        reason,
                        raw: row.raw(delimiter),
                    };
                    if let Some(first) = seen_nik.get(&nik) {
                        self.rejects.push(reject(
                            "nik",
                            format!("NIK appears again in this file (first at line {first})"),
                        ))?;
                        continue;
                    }
                    if let Some((_, outside)) = &self.scope {
                        // With a scope, a household that does not exist and one stored in
                        // a village outside the scope get the same reason, so the wording
                        // does not reveal which KK exist elsewhere (security issue #13).
                        if !self.households.contains(&kk) || outside.contains(&kk) {
                            self.rejects.push(reject("no_kk", NOT_IN_SCOPE.into()))?;
                            continue;
                        }
                    } else if !self.households.contains(&kk) {
                        self.rejects.push(reject(
                            "no_kk",
                            format!(
                                "household {} is not in the registry (import households first)",
                                p.no_kk
                            ),
                        ))?;
                        continue;
                    }
                    let stored_kk = self.persons.household_of.get(&nik).copied();
                    if stored_kk.is_some_and(|s| s != kk) {
                        self.rejects.push(reject(
                            "no_kk",
                            "NIK is already registered in another household (moving a person is a separate, audited operation)"
                                .into(),
                        ))?;
                        continue;
                    }
                    if p.hubungan == Some(Hubungan::Kepala) {
                        let other_head = match head_in_file.get(&kk) {
                            Some(&(h, line)) if h != nik => {
                                Some(format!("line {line} of this file"))
                            }
                            Some(_) => None,
                            None => match self.persons.head_of.get(&kk) {
                                Some(&h) if h != nik => Some("the registry".to_string()),
                                _ => None,
                            },
                        };
                        if let Some(where_) = other_head {
                            self.rejects.push(reject(
                                "hubungan",
                                format!("household already has a kepala (head) at {where_}; a household has one head"),
                            ))?;
                            continue;
                        }
                        head_in_file.insert(kk, (nik, row.line));
                    }
                    seen_nik.insert(nik, row.line);
                    if !p.flags.is_empty() {
                        self.warnings.push(Warning {
                            line: row.line,
                            column: "nik".into(),
                            message: format!(
                                "accepted with data-quality flag(s): {}",
                                p.flags
                                    .iter()
                                    .map(|f| f.describe())
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            ),
                        });
                    }
                    accepted += 1;
                    if stored_kk.is_none() {
                        new_keys += 1;
                    }
                    batch.push(p);
                    if batch.len() >= BATCH_ROWS {
                        sent += batch.len() as u64;
                        if !send(Batch::Persons(std::mem::take(&mut batch)), bytes) {
                            break;
                        }
                    }
                }
                if !batch.is_empty() {
                    sent += batch.len() as u64;
                    send(Batch::Persons(batch), bytes);
                }
            }
        }
        let rejected = self.rejects.finish()?;
        Ok(Validated {
            accepted,
            new_keys,
            sent,
            warnings: self.warnings,
            notes,
            rejected,
        })
    }
}

/// Imports a file of households or persons into the store.
///
/// Validation runs on its own thread and hands accepted rows in batches to the
/// writer, which stores them inside one transaction; the transaction commits only
/// after the last row, so an error (or a kill) anywhere leaves the store as it was.
pub async fn import(
    store: &Store,
    regions: &Regions,
    kind: Kind,
    path: &Path,
    opts: &ImportOptions<'_>,
) -> Result<ImportReport, ImportError> {
    let mut table = open_table(path)?;
    let mut warnings = Vec::new();
    let cols = map_header(kind, path, &table.header, &mut warnings)?;
    let header = std::mem::take(&mut table.header);
    let rejects = RejectWriter::create(&opts.rejects)?;
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let households = store.household_keys().await?;
    let persons = match kind {
        Kind::Persons => store.person_keys().await?,
        Kind::Households => Default::default(),
    };
    let scope = match &opts.scope {
        None => None,
        Some(allowed) => {
            let codes: Vec<String> = allowed.iter().map(|c| c.to_string()).collect();
            Some((allowed.clone(), store.household_keys_outside(&codes).await?))
        }
    };
    let progress = opts.progress;
    progress.start(&format!("importing {file_name}"), Some(table.size));
    let validation = Validation {
        kind,
        table,
        cols,
        header,
        regions: regions.clone(),
        households,
        persons,
        today: opts.today,
        scope,
        rejects,
        warnings,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Batch, u64)>(4);
    let validator = tokio::task::spawn_blocking(move || {
        validation.run(&mut |batch, bytes| tx.blocking_send((batch, bytes)).is_ok())
    });
    let mut bulk = store.begin_bulk().await?;
    let mut changed = 0u64;
    let mut shown = 0u64;
    let mut write_error = None;
    while let Some((batch, bytes)) = rx.recv().await {
        let r = match &batch {
            Batch::Households(rows) => bulk.households(rows).await,
            Batch::Persons(rows) => bulk.persons(rows).await,
        };
        match r {
            Ok(n) => changed += n,
            Err(e) => {
                write_error = Some(e);
                break;
            }
        }
        if bytes > shown {
            progress.advance(bytes - shown);
            shown = bytes;
        }
    }
    drop(rx); // stops the validator if the writer failed
    let validated = validator.await.map_err(|e| ImportError::Rejects {
        path: opts.rejects.display().to_string(),
        reason: e.to_string(),
    })??;
    if let Some(e) = write_error {
        progress.finish();
        return Err(e.into());
    }
    // A backend that staged the rows (PostgreSQL: COPY) writes them now, in the
    // same transaction.
    match bulk.finish().await {
        Ok(n) => changed += n,
        Err(e) => {
            progress.finish();
            return Err(e.into());
        }
    }
    let run = ImportRun {
        kind: kind.as_str().into(),
        file_name,
        accepted: validated.accepted,
        rejected: validated.rejected,
        warnings: validated.warnings.len() as u64,
    };
    let stats = bulk
        .record_run(&run, validated.sent, validated.new_keys, changed)
        .await?;
    let run_id = bulk.run_id();
    bulk.commit().await?;
    progress.finish();
    Ok(ImportReport {
        accepted: validated.accepted,
        rejected: validated.rejected,
        warnings: validated.warnings,
        notes: validated.notes,
        stats,
        rejects_path: opts.rejects.clone(),
        run_id,
    })
}
