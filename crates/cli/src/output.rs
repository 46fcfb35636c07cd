//! Output of tabular data as an aligned table, CSV or JSON.

use std::io::Write;

/// How data is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// Comma-separated values with a header.
    Csv,
    /// A JSON array of objects.
    Json,
}

/// A table of text cells with named columns; `None` prints as an empty cell (null in JSON).
pub struct Rows {
    /// Column names.
    pub columns: Vec<String>,
    /// The cells.
    pub rows: Vec<Vec<Option<String>>>,
    /// Columns printed as JSON numbers (when parseable).
    pub numeric: Vec<bool>,
}

impl Rows {
    /// A table with these columns, none numeric.
    pub fn new(columns: &[&str]) -> Rows {
        Rows {
            columns: columns.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
            numeric: vec![false; columns.len()],
        }
    }

    /// Marks columns as numeric for JSON.
    pub fn numeric(mut self, names: &[&str]) -> Rows {
        for (i, c) in self.columns.iter().enumerate() {
            if names.contains(&c.as_str()) {
                self.numeric[i] = true;
            }
        }
        self
    }

    /// Appends a row.
    pub fn push(&mut self, row: Vec<Option<String>>) {
        self.rows.push(row);
    }

    /// Prints in the chosen format.
    pub fn print(&self, format: Format, out: &mut dyn Write) -> anyhow::Result<()> {
        match format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(&self.columns)?;
                for r in &self.rows {
                    w.write_record(r.iter().map(|c| c.as_deref().unwrap_or("")))?;
                }
                w.flush()?;
            }
            Format::Json => {
                let arr: Vec<serde_json::Value> = self
                    .rows
                    .iter()
                    .map(|r| {
                        let mut m = serde_json::Map::new();
                        for (i, c) in self.columns.iter().enumerate() {
                            let v = match r.get(i).cloned().flatten() {
                                None => serde_json::Value::Null,
                                Some(s) if self.numeric[i] => s
                                    .parse::<i64>()
                                    .map(serde_json::Value::from)
                                    .or_else(|_| s.parse::<f64>().map(serde_json::Value::from))
                                    .unwrap_or(serde_json::Value::String(s)),
                                Some(s) => serde_json::Value::String(s),
                            };
                            m.insert(c.clone(), v);
                        }
                        serde_json::Value::Object(m)
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut *out, &arr)?;
                writeln!(out)?;
            }
            Format::Table => {
                let mut widths: Vec<usize> =
                    self.columns.iter().map(|c| c.chars().count()).collect();
                for r in &self.rows {
                    for (i, c) in r.iter().enumerate() {
                        widths[i] = widths[i].max(c.as_deref().unwrap_or("").chars().count());
                    }
                }
                let line = |cells: Vec<&str>, out: &mut dyn Write| -> std::io::Result<()> {
                    let parts: Vec<String> = cells
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            let pad = widths[i].saturating_sub(c.chars().count());
                            if self.numeric[i] {
                                format!("{}{}", " ".repeat(pad), c)
                            } else {
                                format!("{}{}", c, " ".repeat(pad))
                            }
                        })
                        .collect();
                    writeln!(out, "{}", parts.join("  ").trim_end())
                };
                line(self.columns.iter().map(String::as_str).collect(), out)?;
                line(
                    widths
                        .iter()
                        .map(|w| "-".repeat(*w))
                        .collect::<Vec<_>>()
                        .iter()
                        .map(String::as_str)
                        .collect(),
                    out,
                )?;
                for r in &self.rows {
                    line(r.iter().map(|c| c.as_deref().unwrap_or("")).collect(), out)?;
                }
            }
        }
        Ok(())
    }
}
