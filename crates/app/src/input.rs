//! Reading tabular input: CSV (UTF-8 with or without BOM, `,` or `;` detected,
//! LF or CRLF, quoted fields) and XLSX/XLS/ODS (the first sheet).
//!
//! Rows come out as text fields with the line number a spreadsheet user sees:
//! for CSV the 1-based line where the record starts (the header is line 1), for a
//! workbook the sheet row number.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

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
    let mut file = File::open(path).map_err(|e| unreadable(path, e))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
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
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(reader);
    let mut rec = csv::ByteRecord::new();
    let got = csv
        .read_byte_record(&mut rec)
        .map_err(|e| unreadable(path, e))?;
    if !got {
        return Err(InputError::Empty {
            path: path.display().to_string(),
        });
    }
    let header_line = rec.position().map(|p| p.line() as usize).unwrap_or(1);
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
                Some(Err(InputError::Unreadable {
                    path: path_s.clone(),
                    reason: e.to_string(),
                }))
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
    let mut wb = open_workbook_auto(path).map_err(|e| unreadable(path, e))?;
    let first = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| InputError::Empty {
            path: path.display().to_string(),
        })?;
    let range = wb
        .worksheet_range(&first)
        .map_err(|e| unreadable(path, e))?;
    let (start_row, _) = range.start().unwrap_or((0, 0));
    let mut rows = range.rows();
    let header: Vec<String> = match rows.next() {
        Some(r) => r
            .iter()
            .map(|c| {
                cell_text(c)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect(),
        None => {
            return Err(InputError::Empty {
                path: path.display().to_string(),
            });
        }
    };
    let data: Vec<RawRow> = rows
        .enumerate()
        .map(|(i, r)| RawRow {
            // Sheet rows are 1-based; the header is row start_row + 1.
            line: start_row as usize + i + 2,
            fields: r.iter().map(cell_text).collect(),
            bad_utf8: None,
            bytes_read: (i + 1) as u64,
        })
        .collect();
    let size = data.len() as u64;
    Ok(Table {
        header,
        delimiter: b',',
        size,
        size_in_bytes: false,
        rows: Box::new(data.into_iter().map(Ok)),
    })
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
}
