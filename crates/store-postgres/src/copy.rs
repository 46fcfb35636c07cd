//! Rows for `COPY … FROM STDIN` in PostgreSQL's text format.
//!
//! Columns are separated by a tab and rows end with a newline; `\N` is NULL; a
//! backslash, tab, newline and carriage return inside a value are written as `\\`,
//! `\t`, `\n` and `\r`. Every other character is sent as is (UTF-8). PostgreSQL text
//! cannot hold the NUL character: a value containing one is refused before it is sent.

use sejahtera_store::{Result, StoreError};
use sqlx::PgConnection;

/// Bytes sent per `CopyData` message (rows are never split across messages, which
/// PostgreSQL would accept anyway).
const FLUSH_BYTES: usize = 1 << 20;

/// A buffer of rows in COPY text format.
pub(crate) struct CopyRows {
    buf: Vec<u8>,
    first: bool,
    rows: u64,
}

impl CopyRows {
    pub(crate) fn new() -> CopyRows {
        CopyRows {
            buf: Vec::with_capacity(FLUSH_BYTES + 4096),
            first: true,
            rows: 0,
        }
    }

    fn sep(&mut self) {
        if !self.first {
            self.buf.push(b'\t');
        }
        self.first = false;
    }

    /// A text value (NULL when `None`).
    pub(crate) fn text(&mut self, v: Option<&str>) -> Result<&mut Self> {
        self.sep();
        let Some(v) = v else {
            self.buf.extend_from_slice(b"\\N");
            return Ok(self);
        };
        for &b in v.as_bytes() {
            match b {
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                0 => {
                    return Err(StoreError::Backend(
                        "a text value contains the NUL character, which PostgreSQL cannot store"
                            .into(),
                    ));
                }
                _ => self.buf.push(b),
            }
        }
        Ok(self)
    }

    /// A text value that is never NULL.
    pub(crate) fn str(&mut self, v: &str) -> Result<&mut Self> {
        self.text(Some(v))
    }

    /// An integer.
    pub(crate) fn int(&mut self, v: i64) -> &mut Self {
        self.sep();
        self.buf.extend_from_slice(v.to_string().as_bytes());
        self
    }

    /// A double-precision number, written so that PostgreSQL reads back the same bits.
    pub(crate) fn float(&mut self, v: f64) -> &mut Self {
        self.sep();
        let s = if v.is_nan() {
            "NaN".to_string()
        } else if v.is_infinite() {
            if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
        } else {
            // Shortest representation that reads back exactly.
            format!("{v:e}")
        };
        self.buf.extend_from_slice(s.as_bytes());
        self
    }

    /// Ends the current row.
    pub(crate) fn end(&mut self) {
        self.buf.push(b'\n');
        self.first = true;
        self.rows += 1;
    }

    fn full(&self) -> bool {
        self.buf.len() >= FLUSH_BYTES
    }
}

/// Runs `statement` (a `COPY … FROM STDIN`) and sends the rows `write` produces for
/// each item of `items`, calling `progress` with the number of items sent after every
/// message. Returns the rows copied.
pub(crate) async fn copy_in<T>(
    conn: &mut PgConnection,
    statement: &str,
    items: &[T],
    mut write: impl FnMut(&mut CopyRows, &T) -> Result<()>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<u64> {
    if items.is_empty() {
        return Ok(0);
    }
    let mut copy = conn.copy_in_raw(statement).await?;
    let mut rows = CopyRows::new();
    let mut pending = 0u64;
    for item in items {
        if let Err(e) = write(&mut rows, item) {
            copy.abort("a row could not be encoded").await?;
            return Err(e);
        }
        rows.end();
        pending += 1;
        if rows.full() {
            copy.send(rows.buf.as_slice()).await?;
            rows.buf.clear();
            progress(pending);
            pending = 0;
        }
    }
    if !rows.buf.is_empty() {
        copy.send(rows.buf.as_slice()).await?;
    }
    let n = copy.finish().await?;
    if pending > 0 {
        progress(pending);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_format_escapes() {
        let mut r = CopyRows::new();
        r.str("a\tb\nc\\d\re \"q\" 'x' é")
            .unwrap()
            .text(None)
            .unwrap()
            .str("")
            .unwrap()
            .int(-5)
            .float(0.1);
        r.end();
        assert_eq!(
            String::from_utf8(r.buf.clone()).unwrap(),
            "a\\tb\\nc\\\\d\\re \"q\" 'x' é\t\\N\t\t-5\t1e-1\n"
        );
        assert_eq!(r.rows, 1);
        assert!(r.str("nul\0").is_err());
    }

    #[test]
    fn floats_read_back_exactly() {
        for v in [0.1, 1.0 / 3.0, 12.345678901234567, 1e300, -2.5e-308, 0.0] {
            let mut r = CopyRows::new();
            r.float(v);
            let s = String::from_utf8(r.buf).unwrap();
            assert_eq!(s.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{s}");
        }
    }
}
