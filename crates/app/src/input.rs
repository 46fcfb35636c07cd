//! Reading tabular input: CSV (UTF-8 with or without BOM, `,` or `;` detected,
//! LF or CRLF, quoted fields) and XLSX/XLS/ODS (the first sheet).
//!
//! Rows come out as text fields with the line number a spreadsheet user sees:
//! for CSV the 1-based line where the record starts (the header is line 1), for a
//! workbook the sheet row number.
//!
//! Input comes from the internet (web uploads), so every size is limited before the
//! memory is taken (security issue #13, see `docs/import.md`, "Limits"): a CSV record is at
//! most [`MAX_RECORD_BYTES`] long with at most [`MAX_FIELDS`] fields and a header of at most
//! [`MAX_COLUMNS`] cells; a sheet is read cell by cell (never as one rectangle sized by the
//! file's own claims) and may span at most [`MAX_COLUMNS`] columns and [`MAX_ROWS`] rows
//! and hold at most [`MAX_CELLS`] non-empty cells.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use calamine::{Data, DataRef, Ods, Reader, Xls, Xlsb, Xlsx};

/// The longest CSV record read, in bytes (a quoted line break does not end a record).
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// The most fields a CSV record may have.
pub const MAX_FIELDS: usize = 1024;
/// The most columns read: header cells of a CSV file, or the width of a sheet.
pub const MAX_COLUMNS: usize = 256;
/// The most rows a sheet may span.
pub const MAX_ROWS: usize = 2_000_000;
/// The most non-empty cells read from a sheet.
pub const MAX_CELLS: usize = 20_000_000;
/// The largest .xls or .ods file read (calamine parses these whole when opening them, so
/// the only bound available before the memory is taken is the file size; the web upload
/// accepts only .csv and .xlsx).
pub const MAX_LEGACY_WORKBOOK_BYTES: u64 = 16 << 20;

/// Why a file cannot be used at all (nothing is written).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file cannot be opened or read.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// The cause.
        reason: String,
    },
    /// The file has no header row.
    #[error("{path}: the file is empty (no header row)")]
    Empty {
        /// The file.
        path: String,
    },
    /// The header is not valid.
    #[error("{path}: line {line}: {reason}")]
    BadHeader {
        /// The file.
        path: String,
        /// The header's line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The file exceeds a size limit (nothing beyond the limit was read into memory).
    #[error("{path}: {reason}")]
    TooLarge {
        /// The file.
        path: String,
        /// Which limit, and where.
        reason: String,
    },
}

/// One data row.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// Line (CSV) or sheet row (workbook) number, 1-based; the header is line 1.
    pub line: usize,
    /// The fields as text (lossily decoded when `bad_utf8` is set).
    pub fields: Vec<String>,
    /// Index of the first field that was not valid UTF-8, if any.
    pub bad_utf8: Option<usize>,
    /// Bytes of the input consumed so far (for progress), CSV only.
    pub bytes_read: u64,
}

impl RawRow {
    /// The row as one CSV line (for the rejects report).
    pub fn raw(&self, delimiter: u8) -> String {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(vec![]);
        let _ = w.write_record(&self.fields);
        let bytes = w.into_inner().unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .trim_end_matches('\n')
            .to_string()
    }

    /// Whether every field is empty or blank (an empty spreadsheet row).
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }
}

/// An opened table: its header and its rows.
pub struct Table {
    /// Header cells as written (trimmed, BOM removed).
    pub header: Vec<String>,
    /// The delimiter (for CSV; `,` for workbooks), used to render raw rows.
    pub delimiter: u8,
    /// Total input size in bytes (CSV) or rows (workbook), for progress.
    pub size: u64,
    /// Whether `size` counts bytes (CSV) rather than rows.
    pub size_in_bytes: bool,
    rows: Box<dyn Iterator<Item = Result<RawRow, InputError>> + Send>,
}

impl Iterator for Table {
    type Item = Result<RawRow, InputError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rows.next()
    }
}

/// Whether a path names a spreadsheet workbook rather than CSV.
pub fn is_workbook(path: &Path) -> bool {
    matches!(
        path.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some("xlsx" | "xlsm" | "xlsb" | "xls" | "ods")
    )
}

/// Opens a CSV or workbook file.
pub fn open_table(path: &Path) -> Result<Table, InputError> {
    if is_workbook(path) {
        open_workbook(path)
    } else {
        open_csv(path)
    }
}

/// Reads a table from bytes in memory, as [`open_table`] reads a file: `name` (a file name)
/// picks the format by its extension and names the input in errors. For tests and fuzzing.
pub fn read_table_bytes(name: &str, bytes: Vec<u8>) -> Result<Table, InputError> {
    let path = Path::new(name);
    if is_workbook(path) {
        let len = bytes.len() as u64;
        read_workbook(path, std::io::Cursor::new(bytes), len)
    } else {
        let size = bytes.len() as u64;
        read_csv(path, std::io::Cursor::new(bytes), size)
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> InputError {
    InputError::Unreadable {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Picks `;` when the header line has more semicolons than commas outside quotes.
fn detect_delimiter(head: &[u8]) -> u8 {
    let (mut commas, mut semis, mut quoted) = (0usize, 0usize, false);
    for &b in head {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semis += 1,
            b'\n' if !quoted => break,
            _ => {}
        }
    }
    if semis > commas { b';' } else { b',' }
}

fn open_csv(path: &Path) -> Result<Table, InputError> {
    let file = File::open(path).map_err(|e| unreadable(path, e))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    read_csv(path, file, size)
}

fn read_csv<R: Read + Send + 'static>(
    path: &Path,
    mut file: R,
    size: u64,
) -> Result<Table, InputError> {
    // Sniff the BOM and the delimiter from the first 64 KiB.
    let mut head = vec![0u8; 64 * 1024];
    let mut n = 0;
    loop {
        let k = file.read(&mut head[n..]).map_err(|e| unreadable(path, e))?;
        if k == 0 {
            break;
        }
        n += k;
        if n == head.len() {
            break;
        }
    }
    head.truncate(n);
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let body_start = if bom { 3 } else { 0 };
    let delimiter = detect_delimiter(&head[body_start..]);
    let reader = std::io::Cursor::new(head).chain(file);
    // The csv crate counts a CRLF record's line from the '\r', which puts every
    // later record one line early: normalise CRLF to LF so line numbers are exact.
    let mut reader = CrlfToLf::new(BufReader::with_capacity(1 << 20, reader));
    if bom {
        let mut skip = [0u8; 3];
        reader
            .read_exact(&mut skip)
            .map_err(|e| unreadable(path, e))?;
    }
    // Refuses an over-long record or one with too many fields before the csv crate
    // buffers it (it grows one record without bound).
    let reader = RecordLimits::new(reader, delimiter);
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(reader);
    let mut rec = csv::ByteRecord::new();
    let got = csv
        .read_byte_record(&mut rec)
        .map_err(|e| csv_error(path, e))?;
    if !got {
        return Err(InputError::Empty {
            path: path.display().to_string(),
        });
    }
    let header_line = rec.position().map(|p| p.line() as usize).unwrap_or(1);
    if rec.len() > MAX_COLUMNS {
        return Err(InputError::TooLarge {
            path: path.display().to_string(),
            reason: format!(
                "line {header_line}: the header has {} cells; at most {MAX_COLUMNS} columns are read",
                rec.len()
            ),
        });
    }
    let mut header = Vec::with_capacity(rec.len());
    for (i, f) in rec.iter().enumerate() {
        let s = std::str::from_utf8(f).map_err(|_| InputError::BadHeader {
            path: path.display().to_string(),
            line: header_line,
            reason: format!(
                "header cell {} is not valid UTF-8 (save the file as CSV UTF-8)",
                i + 1
            ),
        })?;
        header.push(s.trim().to_string());
    }
    let path_s = path.display().to_string();
    let mut done = false;
    let rows = std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut rec = csv::ByteRecord::new();
        match csv.read_byte_record(&mut rec) {
            Ok(false) => {
                done = true;
                None
            }
            Ok(true) => {
                let pos = rec.position().cloned();
                let line = pos.as_ref().map(|p| p.line() as usize).unwrap_or(0);
                let mut bad_utf8 = None;
                let fields = rec
                    .iter()
                    .enumerate()
                    .map(|(i, f)| match std::str::from_utf8(f) {
                        Ok(s) => s.to_string(),
                        Err(_) => {
                            bad_utf8.get_or_insert(i);
                            String::from_utf8_lossy(f).into_owned()
                        }
                    })
                    .collect();
                let bytes_read = csv.position().byte();
                Some(Ok(RawRow {
                    line,
                    fields,
                    bad_utf8,
                    bytes_read,
                }))
            }
            Err(e) => {
                done = true;
                Some(Err(csv_error(Path::new(&path_s), e)))
            }
        }
    });
    Ok(Table {
        header,
        delimiter,
        size,
        size_in_bytes: true,
        rows: Box::new(rows),
    })
}

/// A CSV error as an input error: a limit of [`RecordLimits`] becomes
/// [`InputError::TooLarge`], anything else [`InputError::Unreadable`].
fn csv_error(path: &Path, e: csv::Error) -> InputError {
    if let csv::ErrorKind::Io(io) = e.kind()
        && let Some(limit) = io.get_ref().and_then(|e| e.downcast_ref::<LimitExceeded>())
    {
        return InputError::TooLarge {
            path: path.display().to_string(),
            reason: limit.0.clone(),
        };
    }
    unreadable(path, e)
}

/// A limit of [`RecordLimits`] was hit (the message names the line and the limit).
#[derive(Debug)]
struct LimitExceeded(String);

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LimitExceeded {}

/// Where [`RecordLimits`] is inside a record, following the csv crate's rules: a quote
/// opens a quoted field only at the start of a field, `""` inside one is a quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CsvState {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// Passes bytes through, failing with [`LimitExceeded`] as soon as a record grows longer
/// than [`MAX_RECORD_BYTES`] or gets more than [`MAX_FIELDS`] fields, so the csv crate never
/// buffers more than that. Reads the stream after CRLF normalisation.
struct RecordLimits<R> {
    inner: R,
    delimiter: u8,
    state: CsvState,
    /// Bytes of the current record so far.
    record_bytes: usize,
    /// Fields of the current record so far.
    fields: usize,
    /// Physical line (1-based) of the current byte, and of the current record's start.
    line: usize,
    record_line: usize,
    failed: Option<String>,
}

impl<R: Read> RecordLimits<R> {
    fn new(inner: R, delimiter: u8) -> Self {
        RecordLimits {
            inner,
            delimiter,
            state: CsvState::FieldStart,
            record_bytes: 0,
            fields: 1,
            line: 1,
            record_line: 1,
            failed: None,
        }
    }

    /// Follows one byte; `Err` with the message when a limit is exceeded.
    fn step(&mut self, b: u8) -> Result<(), String> {
        use CsvState::*;
        let end_of_record = matches!(b, b'\n' | b'\r') && self.state != Quoted;
        if b == b'\n' {
            self.line += 1;
        }
        if end_of_record {
            self.state = FieldStart;
            self.record_bytes = 0;
            self.fields = 1;
            self.record_line = self.line;
            return Ok(());
        }
        self.record_bytes += 1;
        if self.record_bytes > MAX_RECORD_BYTES {
            return Err(format!(
                "line {}: the record is longer than {} bytes (1 MiB); is the file really CSV, and are its quotes balanced?",
                self.record_line,
                thousands(MAX_RECORD_BYTES)
            ));
        }
        self.state = match (self.state, b) {
            (FieldStart | Unquoted | QuoteInQuoted, d) if d == self.delimiter => {
                self.fields += 1;
                if self.fields > MAX_FIELDS {
                    return Err(format!(
                        "line {}: the record has more than {MAX_FIELDS} fields",
                        self.record_line
                    ));
                }
                FieldStart
            }
            (FieldStart, b'"') => Quoted,
            (FieldStart | Unquoted, _) => Unquoted,
            (Quoted, b'"') => QuoteInQuoted,
            (Quoted, _) => Quoted,
            (QuoteInQuoted, b'"') => Quoted,
            (QuoteInQuoted, _) => Unquoted,
        };
        Ok(())
    }
}

impl<R: Read> Read for RecordLimits<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let limit = |m: &str| std::io::Error::other(LimitExceeded(m.to_string()));
        if let Some(m) = &self.failed {
            return Err(limit(m));
        }
        let n = self.inner.read(out)?;
        for (i, &b) in out[..n].iter().enumerate() {
            if let Err(m) = self.step(b) {
                // Hand over the bytes before the violation, so the records before it are
                // read as usual; the next read fails (inside the offending record).
                self.failed = Some(m.clone());
                if i == 0 {
                    return Err(limit(&m));
                }
                return Ok(i);
            }
        }
        Ok(n)
    }
}

/// Turns every CRLF into LF while streaming (a lone CR is kept).
struct CrlfToLf<R> {
    inner: R,
    pending_cr: bool,
    buf: Vec<u8>,
}

impl<R: Read> CrlfToLf<R> {
    fn new(inner: R) -> Self {
        CrlfToLf {
            inner,
            pending_cr: false,
            buf: vec![0; 1 << 16],
        }
    }
}

impl<R: Read> Read for CrlfToLf<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let want = out.len().min(self.buf.len());
            let n = self.inner.read(&mut self.buf[..want])?;
            if n == 0 {
                if self.pending_cr {
                    self.pending_cr = false;
                    out[0] = b'\r';
                    return Ok(1);
                }
                return Ok(0);
            }
            let mut w = 0;
            let mut i = 0;
            if self.pending_cr {
                self.pending_cr = false;
                if self.buf[0] != b'\n' {
                    out[w] = b'\r';
                    w += 1;
                }
            }
            while i < n {
                let b = self.buf[i];
                if b == b'\r' {
                    if i + 1 == n {
                        self.pending_cr = true;
                    } else if self.buf[i + 1] != b'\n' {
                        out[w] = b;
                        w += 1;
                    }
                } else {
                    if w == out.len() {
                        // Cannot happen: at most one byte is added (a held CR) and one dropped.
                        break;
                    }
                    out[w] = b;
                    w += 1;
                }
                i += 1;
            }
            if w > 0 {
                return Ok(w);
            }
        }
    }
}

/// A workbook cell as the text a user would type for it.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                format!("{:.0}", f)
            } else {
                // Decimal comma, as Indonesian spreadsheets write it.
                f.to_string().replace('.', ",")
            }
        }
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(d) => d.date().format("%Y-%m-%d").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn open_workbook(path: &Path) -> Result<Table, InputError> {
    let file = File::open(path).map_err(|e| unreadable(path, e))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    read_workbook(path, BufReader::new(file), len)
}

/// `0` → `A`, `25` → `Z`, `26` → `AA`, `16383` → `XFD`.
fn column_name(mut col: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}

/// The rectangle `start..=end` ((row, col), 0-based) as `A1:XFD1048576`.
fn cell_range(start: (u32, u32), end: (u32, u32)) -> String {
    format!(
        "{}{}:{}{}",
        column_name(start.1),
        u64::from(start.0) + 1,
        column_name(end.1),
        u64::from(end.0) + 1
    )
}

/// Refuses a sheet spanning more than [`MAX_COLUMNS`] columns or [`MAX_ROWS`] rows.
fn check_span(
    path: &Path,
    sheet: &str,
    start: (u32, u32),
    end: (u32, u32),
) -> Result<(), InputError> {
    let rows = u64::from(end.0.saturating_sub(start.0)) + 1;
    let cols = u64::from(end.1.saturating_sub(start.1)) + 1;
    if rows > MAX_ROWS as u64 || cols > MAX_COLUMNS as u64 {
        return Err(InputError::TooLarge {
            path: path.display().to_string(),
            reason: format!(
                "sheet {sheet:?} spans {rows} rows × {cols} columns ({}); at most {MAX_COLUMNS} columns and {} rows are read",
                cell_range(start, end),
                thousands(MAX_ROWS)
            ),
        });
    }
    Ok(())
}

/// A streamed cell as its position and an owned value.
fn owned(cell: calamine::Cell<DataRef<'_>>) -> ((u32, u32), Data) {
    (cell.get_position(), Data::from(cell.get_value().clone()))
}

/// The non-empty cells of a sheet, read one at a time, with their bounds.
struct SheetCells {
    /// (row, column, text), 0-based.
    cells: Vec<(u32, u32, String)>,
    start: (u32, u32),
    end: (u32, u32),
}

/// Collects the non-empty cells `next` yields, refusing (as soon as it is known, before
/// storing more) a sheet whose declared or actual extent or cell count exceeds the limits.
/// The declared dimensions (`<dimension ref=…>`) are checked first but not trusted: the
/// cells themselves are checked too.
fn collect_cells<E: std::fmt::Display>(
    path: &Path,
    sheet: &str,
    declared: Option<calamine::Dimensions>,
    mut next: impl FnMut() -> Result<Option<((u32, u32), Data)>, E>,
) -> Result<SheetCells, InputError> {
    if let Some(d) = declared
        && d.start.0 <= d.end.0
        && d.start.1 <= d.end.1
    {
        check_span(path, sheet, d.start, d.end)?;
    }
    let mut cells = Vec::new();
    let mut start = (u32::MAX, u32::MAX);
    let mut end = (0u32, 0u32);
    while let Some(((r, c), value)) = next().map_err(|e| unreadable(path, e))? {
        let text = cell_text(&value);
        if text.is_empty() {
            continue;
        }
        start = (start.0.min(r), start.1.min(c));
        end = (end.0.max(r), end.1.max(c));
        check_span(path, sheet, start, end)?;
        if cells.len() >= MAX_CELLS {
            return Err(InputError::TooLarge {
                path: path.display().to_string(),
                reason: format!(
                    "sheet {sheet:?} has more than {} non-empty cells; at most that many are read",
                    thousands(MAX_CELLS)
                ),
            });
        }
        cells.push((r, c, text));
    }
    Ok(SheetCells { cells, start, end })
}

/// Turns the sheet's cells into the header (its first non-empty row) and dense data rows
/// from the leftmost to the rightmost non-empty column, one row at a time.
fn sheet_table(path: &Path, sheet: SheetCells) -> Result<Table, InputError> {
    let SheetCells {
        mut cells,
        start,
        end,
    } = sheet;
    if cells.is_empty() {
        return Err(InputError::Empty {
            path: path.display().to_string(),
        });
    }
    // Cells usually come in order; a later duplicate wins, as in calamine's ranges.
    cells.sort_by_key(|&(r, c, _)| (r, c));
    let width = (end.1 - start.1) as usize + 1;
    let mut cells = cells.into_iter().peekable();
    let mut dense_row = move |row: u32| {
        let mut fields = vec![String::new(); width];
        while let Some((_, c, text)) = cells.next_if(|&(r, _, _)| r == row) {
            fields[(c - start.1) as usize] = text;
        }
        fields
    };
    let header = dense_row(start.0)
        .into_iter()
        .map(|c| c.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let rows = (start.0 + 1..=end.0).map(move |row| {
        Ok(RawRow {
            // Sheet rows are 1-based.
            line: row as usize + 1,
            fields: dense_row(row),
            bad_utf8: None,
            bytes_read: u64::from(row - start.0),
        })
    });
    Ok(Table {
        header,
        delimiter: b',',
        size: u64::from(end.0 - start.0),
        size_in_bytes: false,
        rows: Box::new(rows),
    })
}

/// The most bytes the shared strings of an .xlsx file may hold once decompressed
/// (calamine keeps every shared string in memory).
pub const MAX_SHARED_STRINGS_BYTES: u64 = 256 << 20;

/// Checks an .xlsx package before calamine opens it. calamine reserves room for as
/// many shared strings as the file's `uniqueCount` says (`uniqueCount="10000000000"`
/// in a 1.6 KB file asked for 240 GB and aborted) and keeps every shared string in
/// memory, so the declared count is checked against [`MAX_CELLS`] and the strings'
/// decompressed size — counted while decompressing, not taken from the zip
/// header, which can lie — against [`MAX_SHARED_STRINGS_BYTES`].
fn check_xlsx_package<R: Read + Seek>(path: &Path, r: &mut R) -> Result<(), InputError> {
    let too_large = |reason: String| InputError::TooLarge {
        path: path.display().to_string(),
        reason,
    };
    {
        let mut zip = zip::ZipArchive::new(&mut *r).map_err(|e| unreadable(path, e))?;
        let parts: Vec<String> = zip
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.into_owned()))
            .filter(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"))
            .collect();
        for name in parts {
            let mut part = zip.by_name(&name).map_err(|e| unreadable(path, e))?;
            let mut head = Vec::with_capacity(64 * 1024);
            (&mut part)
                .take(64 * 1024)
                .read_to_end(&mut head)
                .map_err(|e| unreadable(path, e))?;
            // The `<sst …>` start tag and its counts come first.
            let Some(start) = find(&head, b"sst ").or_else(|| find(&head, b"sst>")) else {
                return Err(unreadable(
                    path,
                    format!("{name}: no <sst> element in its first 64 KiB"),
                ));
            };
            let tag_end = head[start..]
                .iter()
                .position(|b| *b == b'>')
                .map_or(head.len(), |e| start + e);
            let tag = &head[start..tag_end];
            for attr in [&b"uniqueCount=\""[..], &b"count=\""[..]] {
                if let Some(at) = find(tag, attr) {
                    let digits: Vec<u8> = tag[at + attr.len()..]
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .copied()
                        .collect();
                    let n: u128 = std::str::from_utf8(&digits)
                        .ok()
                        .and_then(|d| d.parse().ok())
                        .unwrap_or(u128::MAX);
                    if n > MAX_CELLS as u128 {
                        return Err(too_large(format!(
                            "{name} declares {} shared strings; at most {MAX_CELLS} are read",
                            String::from_utf8_lossy(&digits)
                        )));
                    }
                }
            }
            // Count the rest while decompressing.
            let mut total = head.len() as u64;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = part.read(&mut buf).map_err(|e| unreadable(path, e))?;
                if n == 0 {
                    break;
                }
                total += n as u64;
                if total > MAX_SHARED_STRINGS_BYTES {
                    return Err(too_large(format!(
                        "{name} holds more than {} MiB of shared strings",
                        MAX_SHARED_STRINGS_BYTES >> 20
                    )));
                }
            }
        }
    }
    r.seek(std::io::SeekFrom::Start(0))
        .map_err(|e| unreadable(path, e))?;
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads the first sheet of a workbook. .xlsx/.xlsm/.xlsb are streamed cell by cell;
/// .xls/.ods are parsed whole by calamine when opened, so they are refused above
/// [`MAX_LEGACY_WORKBOOK_BYTES`] and their extent is checked before it is used.
fn read_workbook<RS: Read + Seek + Send + 'static>(
    path: &Path,
    rs: RS,
    len: u64,
) -> Result<Table, InputError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let empty = || InputError::Empty {
        path: path.display().to_string(),
    };
    match ext.as_str() {
        "xlsx" | "xlsm" => {
            let mut rs = rs;
            check_xlsx_package(path, &mut rs)?;
            let mut wb: Xlsx<RS> = Xlsx::new(rs).map_err(|e| unreadable(path, e))?;
            let first = wb.sheet_names().first().cloned().ok_or_else(empty)?;
            let mut reader = wb
                .worksheet_cells_reader(&first)
                .map_err(|e| unreadable(path, e))?;
            let declared = Some(reader.dimensions());
            let cells = collect_cells(path, &first, declared, || {
                reader.next_cell().map(|c| c.map(owned))
            })?;
            sheet_table(path, cells)
        }
        "xlsb" => {
            let mut wb: Xlsb<RS> = Xlsb::new(rs).map_err(|e| unreadable(path, e))?;
            let first = wb.sheet_names().first().cloned().ok_or_else(empty)?;
            let mut reader = wb
                .worksheet_cells_reader(&first)
                .map_err(|e| unreadable(path, e))?;
            let declared = Some(reader.dimensions());
            let cells = collect_cells(path, &first, declared, || {
                reader.next_cell().map(|c| c.map(owned))
            })?;
            sheet_table(path, cells)
        }
        _ => {
            if len > MAX_LEGACY_WORKBOOK_BYTES {
                return Err(InputError::TooLarge {
                    path: path.display().to_string(),
                    reason: format!(
                        "the file is {} bytes; .{ext} files are read up to {} bytes (save it as .xlsx or .csv)",
                        thousands(len as usize),
                        thousands(MAX_LEGACY_WORKBOOK_BYTES as usize)
                    ),
                });
            }
            let (first, range) = if ext == "ods" {
                let mut wb: Ods<RS> = Ods::new(rs).map_err(|e| unreadable(path, e))?;
                let first = wb.sheet_names().first().cloned().ok_or_else(empty)?;
                let r = wb
                    .worksheet_range(&first)
                    .map_err(|e| unreadable(path, e))?;
                (first, r)
            } else {
                let mut wb: Xls<RS> = Xls::new(rs).map_err(|e| unreadable(path, e))?;
                let first = wb.sheet_names().first().cloned().ok_or_else(empty)?;
                let r = wb
                    .worksheet_range(&first)
                    .map_err(|e| unreadable(path, e))?;
                (first, r)
            };
            let (Some(start), Some(end)) = (range.start(), range.end()) else {
                return Err(empty());
            };
            check_span(path, &first, start, end)?;
            let mut used = range.used_cells();
            let cells = collect_cells(path, &first, None, || {
                Ok::<_, std::convert::Infallible>(
                    used.next()
                        .map(|(r, c, d)| ((start.0 + r as u32, start.1 + c as u32), d.clone())),
                )
            })?;
            sheet_table(path, cells)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn read_all(p: &Path) -> (Vec<String>, Vec<RawRow>) {
        let t = open_table(p).unwrap();
        let h = t.header.clone();
        (h, t.map(|r| r.unwrap()).collect())
    }

    #[test]
    fn bom_semicolon_crlf_and_quotes() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            &d,
            "a.csv",
            b"\xEF\xBB\xBFa;b\r\n\"x;1\";\"multi\r\nline\"\r\n2;3\r\n",
        );
        let (h, rows) = read_all(&p);
        assert_eq!(h, ["a", "b"]);
        assert_eq!(
            rows[0].fields,
            ["x;1", "multi\nline"],
            "line breaks inside fields are normalised to LF"
        );
        assert_eq!(rows[0].line, 2);
        assert_eq!(
            rows[1].line, 4,
            "a record after a two-line field starts on line 4"
        );
        assert_eq!(rows[1].fields, ["2", "3"]);
    }

    #[test]
    fn crlf_normalisation_across_chunk_boundaries() {
        let text: Vec<u8> = b"ab\r\ncd\rx\r\n".repeat(5000);
        let mut out = Vec::new();
        // A reader that returns one byte at a time exercises the held CR.
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        CrlfToLf::new(OneByte(&text)).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"ab\ncd\rx\n".repeat(5000));
        let mut out2 = Vec::new();
        CrlfToLf::new(&text[..]).read_to_end(&mut out2).unwrap();
        assert_eq!(out2, out);
    }

    #[test]
    fn invalid_utf8_is_marked_not_fatal() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "a.csv", b"a,b\nok,\xff\xfe\n");
        let (_, rows) = read_all(&p);
        assert_eq!(rows[0].bad_utf8, Some(1));
    }

    #[test]
    fn empty_file_is_unusable() {
        let d = tempfile::tempdir().unwrap();
        let p = write(&d, "a.csv", b"");
        assert!(matches!(open_table(&p), Err(InputError::Empty { .. })));
        assert!(matches!(
            open_table(&d.path().join("missing.csv")),
            Err(InputError::Unreadable { .. })
        ));
    }

    #[test]
    fn delimiter_detection_ignores_quoted_separators() {
        assert_eq!(detect_delimiter(b"\"a,b,c\";d;e\n1,2,3"), b';');
        assert_eq!(detect_delimiter(b"a,b;c,d\n"), b',');
    }

    fn too_large(r: Result<Table, InputError>) -> String {
        match r {
            Err(InputError::TooLarge { path, reason }) => format!("{path}: {reason}"),
            Err(e) => panic!("expected a size limit, got {e}"),
            Ok(_) => panic!("expected a size limit, got a table"),
        }
    }

    fn first_error(t: Table) -> String {
        match t.into_iter().find_map(|r| r.err()) {
            Some(InputError::TooLarge { path, reason }) => format!("{path}: {reason}"),
            Some(e) => panic!("expected a size limit, got {e}"),
            None => panic!("expected a size limit, every row was read"),
        }
    }

    /// The 1.5 KB file of issue #13: A1 and XFD1048576 made calamine allocate the whole
    /// 2^34-cell rectangle (512 GiB) and abort.
    #[test]
    fn xlsx_with_a1_and_the_last_cell_is_refused_not_allocated() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "nik").unwrap();
        ws.write_string(1_048_575, 16_383, "x").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        assert!(bytes.len() < 8 * 1024, "{} bytes", bytes.len());
        let msg = too_large(read_table_bytes("households.xlsx", bytes));
        assert_eq!(
            msg,
            "households.xlsx: sheet \"Sheet1\" spans 1048576 rows × 16384 columns (A1:XFD1048576); at most 256 columns and 2,000,000 rows are read"
        );
    }

    /// calamine reserved `uniqueCount` shared strings before any other check: a
    /// 1.6 KB file declaring 10^10 of them asked for 240 GB and aborted.
    #[test]
    fn xlsx_declaring_ten_billion_shared_strings_is_refused_not_allocated() {
        for (bytes, count) in [
            (
                &include_bytes!("../tests/data/shared-strings-uniquecount-1e10.xlsx")[..],
                "10000000000",
            ),
            (
                &include_bytes!("../tests/data/shared-strings-uniquecount-1e17.xlsx")[..],
                "99999999999999999",
            ),
        ] {
            assert!(bytes.len() < 2048);
            let msg = too_large(read_table_bytes("warga.xlsx", bytes.to_vec()));
            assert!(
                msg.contains(&format!("declares {count} shared strings")),
                "{msg}"
            );
        }
        // An ordinary workbook with shared strings still reads.
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "nama").unwrap();
        ws.write_string(1, 0, "Siti").unwrap();
        let t = read_table_bytes("ok.xlsx", wb.save_to_buffer().unwrap()).unwrap();
        assert_eq!(t.header, ["nama"]);
    }

    /// A sheet whose `<dimension>` claims a small range but whose cells lie far apart is
    /// refused from the cells themselves.
    #[test]
    fn xlsx_cells_are_checked_not_only_the_declared_dimension() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "nik").unwrap();
        ws.write_string(3, 300, "x").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "wide.xlsx", &bytes);
        let msg = too_large(open_table(&p));
        assert!(msg.contains("spans 4 rows × 301 columns (A1:KO4)"), "{msg}");
        // Within the limits: header in the first non-empty row, columns from the leftmost
        // non-empty one, line numbers are sheet rows, gaps are blank rows.
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(2, 1, "a").unwrap();
        ws.write_string(2, 2, "b").unwrap();
        ws.write_number(3, 2, 7).unwrap();
        ws.write_string(5, 1, "z").unwrap();
        let p = write(&dir, "ok.xlsx", &wb.save_to_buffer().unwrap());
        let (h, rows) = read_all(&p);
        assert_eq!(h, ["a", "b"]);
        let got: Vec<(usize, Vec<String>)> = rows.into_iter().map(|r| (r.line, r.fields)).collect();
        assert_eq!(
            got,
            [
                (4, vec!["".to_string(), "7".to_string()]),
                (5, vec!["".to_string(), "".to_string()]),
                (6, vec!["z".to_string(), "".to_string()]),
            ]
        );
    }

    #[test]
    fn csv_without_a_newline_is_refused_at_one_mebibyte() {
        // 2 MiB with no newline: the csv crate would grow one record without bound.
        let mut bytes = b"nik,nama\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 2 << 20));
        let t = read_table_bytes("big.csv", bytes).unwrap();
        assert_eq!(
            first_error(t),
            "big.csv: line 2: the record is longer than 1,048,576 bytes (1 MiB); is the file really CSV, and are its quotes balanced?"
        );
        // An unbalanced quote makes the rest of the file one field: refused the same way.
        let mut bytes = b"nik,nama\n1,\"open\n".to_vec();
        bytes.extend(b"2,ok\n".repeat(300_000));
        let t = read_table_bytes("quote.csv", bytes).unwrap();
        assert!(first_error(t).starts_with("quote.csv: line 2: the record is longer"));
        // The header is a record too.
        let bytes = vec![b'a'; 3 << 20];
        let msg = too_large(read_table_bytes("h.csv", bytes));
        assert!(
            msg.starts_with("h.csv: line 1: the record is longer"),
            "{msg}"
        );
    }

    #[test]
    fn csv_record_with_too_many_fields_is_refused() {
        let mut bytes = b"a,b\n1,2\n".to_vec();
        bytes.extend(b",".repeat(5000));
        bytes.push(b'\n');
        let t = read_table_bytes("f.csv", bytes).unwrap();
        assert_eq!(
            first_error(t),
            "f.csv: line 3: the record has more than 1024 fields"
        );
        let header = vec!["c"; 300].join(";");
        let msg = too_large(read_table_bytes("h.csv", header.into_bytes()));
        assert_eq!(
            msg,
            "h.csv: line 1: the header has 300 cells; at most 256 columns are read"
        );
    }

    #[test]
    fn csv_limits_follow_quotes_like_the_csv_crate() {
        // Many long lines, quoted line breaks, `""` and a stray quote inside an unquoted
        // field (literal for the csv crate) do not add up to one record.
        let mut bytes = b"a,b\n".to_vec();
        let line = format!("x{}y\"z,\"q\"\"\nw\"\n", "-".repeat(1000));
        for _ in 0..3000 {
            bytes.extend(line.as_bytes());
        }
        let t = read_table_bytes("ok.csv", bytes).unwrap();
        let rows: Vec<RawRow> = t.map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 3000);
        assert_eq!(rows[1].line, 4);
        assert_eq!(rows[0].fields[1], "q\"\nw");
        // A quoted field may hold line breaks up to the record limit.
        let mut bytes = b"a\n\"".to_vec();
        bytes.extend(b"x\n".repeat(600_000));
        bytes.extend(b"\"\n");
        let t = read_table_bytes("q.csv", bytes).unwrap();
        assert!(first_error(t).starts_with("q.csv: line 2: the record is longer"));
    }

    #[test]
    fn column_names_and_ranges() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
        assert_eq!(column_name(16_383), "XFD");
        assert_eq!(cell_range((0, 0), (1_048_575, 16_383)), "A1:XFD1048576");
        assert_eq!(thousands(2_000_000), "2,000,000");
        assert_eq!(thousands(999), "999");
    }
}
