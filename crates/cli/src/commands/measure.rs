//! `sejahtera measure`: poverty and inequality indicators per group from a
//! CSV or Parquet file.
//!
//! The command is an adapter: it reads the columns, encodes the group keys
//! and calls [`sejahtera_measure::measure_by`]. Other sources (the registry)
//! feed [`measure_table`] with in-memory columns and print the result with
//! [`write_table`].
//!
//! Numbers are printed with Rust's shortest round-trip representation in
//! positional notation (`{}` on `f64`): `1234` for 1234.0, `0.1`, never an
//! exponent; `-0` prints as `0`. Undefined values are empty CSV cells, JSON
//! `null`, and blank in the table.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use sejahtera_measure::{
    GroupedIndicators, Indicators, Line, MeasureError, Sample, measure, measure_by,
};

/// Output format of the data commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// A JSON array of objects, one per output row, keys in column order.
    Json,
    /// An aligned text table for people.
    Table,
}

/// Arguments of `sejahtera measure`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Input file: `.csv` or `.parquet`, one row per person.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "from_registry",
        conflicts_with = "from_registry"
    )]
    pub input: Option<PathBuf>,
    /// Column of income or consumption per capita (≥ 0).
    #[arg(long, value_name = "COL", required_unless_present = "from_registry")]
    pub income: Option<String>,
    /// Measure the stored registry instead of a file: each person's household's
    /// per-capita consumption, weight 1, grouped by `--level`.
    #[arg(long, conflicts_with_all = ["income", "weight", "by", "cluster", "strata"])]
    pub from_registry: bool,
    /// With `--from-registry`: one row per region at this level.
    #[arg(
        long,
        value_enum,
        default_value = "regency",
        requires = "from_registry"
    )]
    pub level: RegistryLevel,
    /// Column of sampling weights (> 0); every row weighs 1 without it.
    #[arg(long, value_name = "COL")]
    pub weight: Option<String>,
    /// Poverty line for every row (> 0).
    #[arg(
        long,
        value_name = "AMOUNT",
        required_unless_present_any = ["line_col", "from_registry"],
        conflicts_with = "line_col"
    )]
    pub line: Option<f64>,
    /// Column holding each row's poverty line (> 0). With `--from-registry` the only
    /// column is `garis_kemiskinan`, each regency's stored poverty line (the default).
    #[arg(long = "line-col", value_name = "COL")]
    pub line_col: Option<String>,
    /// Group by this column (repeatable: groups are the combinations).
    #[arg(long = "by", value_name = "COL")]
    pub by: Vec<String>,
    /// Column of cluster (PSU) identifiers for the standard errors.
    #[arg(long, value_name = "COL")]
    pub cluster: Option<String>,
    /// Column of stratum identifiers for the standard errors.
    #[arg(long, value_name = "COL")]
    pub strata: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
}

/// The statistic columns of `sejahtera measure`, after the `--by` columns.
pub const MEASURE_COLUMNS: [&str; 18] = [
    "n",
    "population",
    "mean",
    "median",
    "p0",
    "p1",
    "p2",
    "p0_se",
    "p1_se",
    "p2_se",
    "gini",
    "theil_t",
    "mld",
    "atkinson_0_5",
    "atkinson_1",
    "atkinson_2",
    "palma",
    "poor_population",
];

/// Label of the `--by` cells of the whole-input row.
pub const ALL: &str = "(all)";

/// The registry level of `--from-registry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RegistryLevel {
    /// One row per regency/city.
    Regency,
    /// One row per district (kecamatan).
    District,
    /// One row per village (desa/kelurahan).
    Village,
}

/// The registry's poverty-line column for `--from-registry --line-col`.
pub const REGISTRY_LINE_COLUMN: &str = "garis_kemiskinan";

async fn run_from_registry(args: Args, g: &crate::Global) -> anyhow::Result<ExitCode> {
    use sejahtera_domain::region::Level;
    let level = match args.level {
        RegistryLevel::Regency => Level::Regency,
        RegistryLevel::District => Level::District,
        RegistryLevel::Village => Level::Village,
    };
    let (store, _) =
        sejahtera_app::regions::open(&g.db, &sejahtera_app::regions::default_data_dir()).await?;
    let cols = sejahtera_app::analytics::per_capita_by_person(&store, level).await?;
    store.close().await;
    if cols.income.is_empty() {
        bail!("the registry in {} has no persons to measure", g.db);
    }
    let line = match (args.line, args.line_col.as_deref()) {
        (Some(z), _) => LineInput::Constant(z),
        (None, None) | (None, Some(REGISTRY_LINE_COLUMN)) => {
            let mut values = Vec::with_capacity(cols.poverty_line.len());
            for (i, l) in cols.poverty_line.iter().enumerate() {
                match l {
                    Some(z) => values.push(*z),
                    None => bail!(
                        "no poverty line is stored for regency of {} (data/poverty_lines.csv); give one with --line AMOUNT",
                        cols.region[i]
                    ),
                }
            }
            LineInput::Column {
                name: REGISTRY_LINE_COLUMN.into(),
                values,
            }
        }
        (None, Some(other)) => bail!(
            "--line-col {other}: the registry's only poverty-line column is {REGISTRY_LINE_COLUMN}"
        ),
    };
    let level_name = match args.level {
        RegistryLevel::Regency => "regency",
        RegistryLevel::District => "district",
        RegistryLevel::Village => "village",
    };
    let input = MeasureInput {
        source: format!("registry {}", g.db),
        income_name: "pengeluaran_per_kapita".into(),
        weight_name: None,
        income: cols.income,
        weight: None,
        line,
        by: vec![(
            level_name.to_string(),
            TextColumn::from_values(cols.region.iter().map(String::as_str)),
        )],
        cluster: None,
        strata: None,
    };
    print_table(&measure_table(&input)?, args.format)
}

/// Prints a measurement to standard output.
fn print_table(table: &OutputTable, format: Format) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    write_table(table, format, &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `sejahtera measure`.
pub async fn run(args: Args, g: &crate::Global) -> anyhow::Result<ExitCode> {
    if args.from_registry {
        return run_from_registry(args, g).await;
    }
    let (Some(input_path), Some(income_col)) = (args.input.clone(), args.income.clone()) else {
        bail!("give --input FILE and --income COL, or --from-registry");
    };
    let mut specs = vec![ColumnSpec::number(&income_col)];
    if let Some(w) = &args.weight {
        specs.push(ColumnSpec::number(w));
    }
    if let Some(z) = &args.line_col {
        specs.push(ColumnSpec::number(z));
    }
    for b in &args.by {
        specs.push(ColumnSpec::text(b));
    }
    if let Some(c) = &args.cluster {
        specs.push(ColumnSpec::text(c));
    }
    if let Some(h) = &args.strata {
        specs.push(ColumnSpec::text(h));
    }
    let mut data = read_columns(&input_path, &specs)?;
    let income = data.take_number(&income_col);
    let weight = args.weight.as_ref().map(|w| data.take_number(w));
    let line = match (&args.line_col, args.line) {
        (Some(z), _) => LineInput::Column {
            name: z.clone(),
            values: data.take_number(z),
        },
        (None, Some(z)) => LineInput::Constant(z),
        (None, None) => bail!("give the poverty line with --line AMOUNT or --line-col COL"),
    };
    let by = args
        .by
        .iter()
        .map(|b| (b.clone(), data.take_text(b)))
        .collect();
    let input = MeasureInput {
        source: input_path.display().to_string(),
        income_name: income_col.clone(),
        weight_name: args.weight.clone(),
        income,
        weight,
        line,
        by,
        cluster: args.cluster.as_ref().map(|c| data.take_text(c)),
        strata: args.strata.as_ref().map(|h| data.take_text(h)),
    };
    print_table(&measure_table(&input)?, args.format)
}

/// The poverty line of a [`MeasureInput`].
#[derive(Debug, Clone, PartialEq)]
pub enum LineInput {
    /// One amount for every row.
    Constant(f64),
    /// One line per row, from the named column.
    Column {
        /// Column name, for error messages.
        name: String,
        /// The lines.
        values: Vec<f64>,
    },
}

/// In-memory columns of one measurement, whatever their source (file or
/// registry). Text columns are dictionary encoded.
#[derive(Debug, Clone)]
pub struct MeasureInput {
    /// Where the rows come from, for error messages (a file name, "registry").
    pub source: String,
    /// Name of the income column, for error messages.
    pub income_name: String,
    /// Name of the weight column, for error messages.
    pub weight_name: Option<String>,
    /// Income per capita of each row.
    pub income: Vec<f64>,
    /// Weight of each row (`None`: weight 1).
    pub weight: Option<Vec<f64>>,
    /// The poverty line.
    pub line: LineInput,
    /// Group-by columns: name and values.
    pub by: Vec<(String, TextColumn)>,
    /// Cluster identifiers.
    pub cluster: Option<TextColumn>,
    /// Stratum identifiers.
    pub strata: Option<TextColumn>,
}

/// A dictionary-encoded text column: `dict[codes[i]]` is row `i`'s value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextColumn {
    /// Distinct values, in order of first appearance.
    pub dict: Vec<String>,
    /// Code of each row.
    pub codes: Vec<u32>,
    index: HashMap<String, u32>,
}

impl TextColumn {
    /// Appends a row's value.
    pub fn push(&mut self, v: &str) {
        let code = match self.index.get(v) {
            Some(&c) => c,
            None => {
                let c = self.dict.len() as u32;
                self.dict.push(v.to_owned());
                self.index.insert(v.to_owned(), c);
                c
            }
        };
        self.codes.push(code);
    }

    /// Builds a column from row values (for adapters feeding in-memory
    /// columns, such as the registry).
    #[allow(dead_code)]
    pub fn from_values<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut c = TextColumn::default();
        for v in values {
            c.push(v);
        }
        c
    }

    /// The value of row `i`.
    pub fn get(&self, i: usize) -> &str {
        &self.dict[self.codes[i] as usize]
    }
}

/// An output table: header and rows of cells (`None` = undefined value).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputTable {
    /// Column names.
    pub columns: Vec<String>,
    /// Cells of each row.
    pub rows: Vec<Vec<Cell>>,
}

/// One output cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A group key.
    Text(String),
    /// A count.
    Count(usize),
    /// A statistic.
    Number(f64),
    /// An undefined statistic.
    Empty,
}

impl Cell {
    fn num(x: f64) -> Cell {
        if x.is_finite() {
            Cell::Number(x)
        } else {
            Cell::Empty
        }
    }

    fn opt(x: Option<f64>) -> Cell {
        x.map_or(Cell::Empty, Cell::num)
    }
}

/// Formats a finite f64 with the shortest round-trip digits (`-0` as `0`).
pub fn format_number(x: f64) -> String {
    if x == 0.0 {
        "0".to_owned()
    } else {
        format!("{x}")
    }
}

/// Encoded groups: the code of each row, and the key values of each code.
pub(crate) struct Groups {
    pub(crate) codes: Vec<u32>,
    pub(crate) keys: Vec<Vec<String>>,
}

impl Groups {
    /// Combines the `--by` columns into one dense group code per row.
    pub(crate) fn new(by: &[(String, TextColumn)], n: usize) -> Groups {
        if by.is_empty() {
            return Groups {
                codes: Vec::new(),
                keys: Vec::new(),
            };
        }
        if by.len() == 1 {
            let c = &by[0].1;
            return Groups {
                codes: c.codes.clone(),
                keys: c.dict.iter().map(|v| vec![v.clone()]).collect(),
            };
        }
        let mut index: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut keys = Vec::new();
        let mut codes = Vec::with_capacity(n);
        let mut tuple = Vec::with_capacity(by.len());
        for i in 0..n {
            tuple.clear();
            tuple.extend(by.iter().map(|(_, c)| c.codes[i]));
            let code = match index.get(&tuple) {
                Some(&g) => g,
                None => {
                    let g = keys.len() as u32;
                    keys.push(by.iter().map(|(_, c)| c.get(i).to_owned()).collect());
                    index.insert(tuple.clone(), g);
                    g
                }
            };
            codes.push(code);
        }
        Groups { codes, keys }
    }

    /// Group codes in ascending order of their keys, compared as strings.
    pub(crate) fn sorted(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.keys.len()).collect();
        order.sort_by(|&a, &b| self.keys[a].cmp(&self.keys[b]));
        order
    }
}

/// Describes a library error in terms of the input's columns and rows
/// (rows numbered from 1, the header not counted).
fn describe(e: &MeasureError, input: &MeasureInput) -> anyhow::Error {
    let src = &input.source;
    match e {
        MeasureError::InvalidIncome { row, value } => anyhow!(
            "{src}: row {}, column `{}`: income {value} is not a finite non-negative number",
            row + 1,
            input.income_name
        ),
        MeasureError::InvalidWeight { row, value } => anyhow!(
            "{src}: row {}, column `{}`: weight {value} is not a finite positive number",
            row + 1,
            input.weight_name.as_deref().unwrap_or("weight")
        ),
        MeasureError::InvalidLine { row, value } => match &input.line {
            LineInput::Constant(_) => {
                anyhow!("--line {value}: the poverty line must be a finite positive number")
            }
            LineInput::Column { name, .. } => anyhow!(
                "{src}: row {}, column `{name}`: poverty line {value} is not a finite positive number",
                row + 1
            ),
        },
        other => anyhow!("{src}: {other}"),
    }
}

/// Measures every group of `input` and the whole input: the rows of the
/// `sejahtera measure` output, groups in ascending order of their keys
/// (compared as strings), then the `(all)` row.
pub fn measure_table(input: &MeasureInput) -> anyhow::Result<OutputTable> {
    let n = input.income.len();
    let groups = Groups::new(&input.by, n);
    let mut sample = Sample::new(
        &input.income,
        match &input.line {
            LineInput::Constant(z) => Line::Constant(*z),
            LineInput::Column { values, .. } => Line::PerRow(values),
        },
    );
    if let Some(w) = &input.weight {
        sample = sample.with_weight(w);
    }
    if let Some(c) = &input.cluster {
        sample = sample.with_cluster(&c.codes);
    }
    if let Some(h) = &input.strata {
        sample = sample.with_strata(&h.codes);
    }
    let result = if input.by.is_empty() {
        let total = measure(&sample).map_err(|e| describe(&e, input))?;
        GroupedIndicators {
            groups: vec![],
            total,
        }
    } else {
        measure_by(&sample, &groups.codes, groups.keys.len()).map_err(|e| describe(&e, input))?
    };
    let mut columns: Vec<String> = input.by.iter().map(|(name, _)| name.clone()).collect();
    columns.extend(MEASURE_COLUMNS.iter().map(|c| c.to_string()));
    let mut rows = Vec::new();
    if !input.by.is_empty() {
        for g in groups.sorted() {
            if let Some(ind) = &result.groups[g] {
                rows.push(indicator_row(
                    groups.keys[g]
                        .iter()
                        .map(|k| Cell::Text(k.clone()))
                        .collect(),
                    ind,
                ));
            }
        }
    }
    let all: Vec<Cell> = input
        .by
        .iter()
        .map(|_| Cell::Text(ALL.to_owned()))
        .collect();
    match &result.total {
        Some(ind) => rows.push(indicator_row(all, ind)),
        None => {
            let mut row = all;
            row.push(Cell::Count(0));
            row.push(Cell::Number(0.0));
            row.extend((2..MEASURE_COLUMNS.len() - 1).map(|_| Cell::Empty));
            row.push(Cell::Number(0.0));
            rows.push(row);
        }
    }
    Ok(OutputTable { columns, rows })
}

fn indicator_row(mut row: Vec<Cell>, ind: &Indicators) -> Vec<Cell> {
    row.push(Cell::Count(ind.n));
    row.extend([ind.population, ind.mean, ind.median].map(Cell::num));
    row.extend(ind.fgt.map(Cell::num));
    row.extend(ind.fgt_se.map(Cell::num));
    row.extend([ind.gini, ind.theil_t, ind.mld].map(Cell::opt));
    row.extend(ind.atkinson.map(Cell::opt));
    row.push(Cell::opt(ind.palma));
    row.push(Cell::num(ind.poor_population));
    row
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Count(n) => n.to_string(),
        Cell::Number(x) => format_number(*x),
        Cell::Empty => String::new(),
    }
}

/// Writes a table as CSV, JSON or an aligned text table.
pub fn write_table(t: &OutputTable, format: Format, out: &mut dyn Write) -> anyhow::Result<()> {
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(&t.columns)?;
            for row in &t.rows {
                w.write_record(row.iter().map(cell_text))?;
            }
            w.flush()?;
        }
        Format::Json => {
            writeln!(out, "[")?;
            for (r, row) in t.rows.iter().enumerate() {
                write!(out, "  {{")?;
                for (i, (name, cell)) in t.columns.iter().zip(row).enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    let value = match cell {
                        Cell::Text(s) => serde_json::to_string(s)?,
                        Cell::Empty => "null".to_owned(),
                        c => cell_text(c),
                    };
                    write!(out, "{sep}{}: {value}", serde_json::to_string(name)?)?;
                }
                writeln!(out, "}}{}", if r + 1 < t.rows.len() { "," } else { "" })?;
            }
            writeln!(out, "]")?;
        }
        Format::Table => {
            let cells: Vec<Vec<String>> = t
                .rows
                .iter()
                .map(|r| r.iter().map(cell_text).collect())
                .collect();
            let widths: Vec<usize> = (0..t.columns.len())
                .map(|i| {
                    cells
                        .iter()
                        .map(|r| r[i].chars().count())
                        .chain([t.columns[i].chars().count()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |out: &mut dyn Write,
                        vals: &[String],
                        right: &dyn Fn(usize) -> bool|
             -> std::io::Result<()> {
                let parts: Vec<String> = vals
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        if right(i) {
                            format!("{v:>w$}", w = widths[i])
                        } else {
                            format!("{v:<w$}", w = widths[i])
                        }
                    })
                    .collect();
                writeln!(out, "{}", parts.join("  ").trim_end())
            };
            line(out, &t.columns, &|_| false)?;
            let sep: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            line(out, &sep, &|_| false)?;
            for (row, cells) in t.rows.iter().zip(&cells) {
                line(out, cells, &|i| !matches!(row[i], Cell::Text(_)))?;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Reading columns from CSV and Parquet files.

/// What to read from a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Parse every value as a number; empty or unparsable values are errors.
    Number,
    /// Keep values as text (dictionary encoded); empty values are allowed.
    Text,
}

/// A column to read.
#[derive(Debug, Clone)]
pub(crate) struct ColumnSpec {
    pub(crate) name: String,
    pub(crate) kind: Kind,
}

impl ColumnSpec {
    pub(crate) fn number(name: &str) -> Self {
        ColumnSpec {
            name: name.to_owned(),
            kind: Kind::Number,
        }
    }

    pub(crate) fn text(name: &str) -> Self {
        ColumnSpec {
            name: name.to_owned(),
            kind: Kind::Text,
        }
    }
}

/// Columns read from a file, by name.
#[derive(Debug, Default)]
pub(crate) struct Columns {
    pub(crate) rows: usize,
    numbers: HashMap<String, Vec<f64>>,
    texts: HashMap<String, TextColumn>,
}

impl Columns {
    /// The values of a numeric column (a copy if the name was requested twice).
    pub(crate) fn take_number(&mut self, name: &str) -> Vec<f64> {
        self.numbers.get(name).cloned().unwrap_or_default()
    }

    /// The values of a text column.
    pub(crate) fn take_text(&mut self, name: &str) -> TextColumn {
        self.texts.get(name).cloned().unwrap_or_default()
    }
}

/// Reads the requested columns of a `.csv` or `.parquet` file. Errors name the
/// file, the row (from 1, header not counted), the column and the reason.
pub(crate) fn read_columns(path: &Path, specs: &[ColumnSpec]) -> anyhow::Result<Columns> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("csv") => read_csv(path, specs),
        Some("parquet") | Some("pq") => read_parquet(path, specs),
        _ => bail!(
            "{}: unknown input format (expected a .csv or .parquet file)",
            path.display()
        ),
    }
}

fn parse_number(s: &str) -> Result<f64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty value".to_owned());
    }
    t.parse::<f64>()
        .map_err(|_| format!("`{s}` is not a number"))
}

fn missing_columns(
    path: &Path,
    specs: &[ColumnSpec],
    have: &[String],
) -> anyhow::Result<Vec<usize>> {
    specs
        .iter()
        .map(|s| {
            have.iter().position(|h| *h == s.name).ok_or_else(|| {
                anyhow!(
                    "{}: no column `{}` (columns: {})",
                    path.display(),
                    s.name,
                    have.join(", ")
                )
            })
        })
        .collect()
}

fn read_csv(path: &Path, specs: &[ColumnSpec]) -> anyhow::Result<Columns> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let header: Vec<String> = rdr
        .headers()
        .with_context(|| format!("{}: cannot read the header", path.display()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    let idx = missing_columns(path, specs, &header)?;
    let mut cols = Columns::default();
    let mut numbers: Vec<Vec<f64>> = specs.iter().map(|_| Vec::new()).collect();
    let mut texts: Vec<TextColumn> = specs.iter().map(|_| TextColumn::default()).collect();
    let mut rec = csv::StringRecord::new();
    let mut row = 0usize;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => bail!("{}: row {}: {e}", path.display(), row + 1),
        }
        row += 1;
        for (k, spec) in specs.iter().enumerate() {
            let v = rec.get(idx[k]).unwrap_or("");
            match spec.kind {
                Kind::Number => match parse_number(v) {
                    Ok(x) => numbers[k].push(x),
                    Err(why) => {
                        let line = rec
                            .position()
                            .map(|p| format!(" (line {})", p.line()))
                            .unwrap_or_default();
                        bail!(
                            "{}: row {row}{line}, column `{}`: {why}",
                            path.display(),
                            spec.name
                        )
                    }
                },
                Kind::Text => texts[k].push(v),
            }
        }
    }
    cols.rows = row;
    for ((spec, nums), txt) in specs.iter().zip(numbers).zip(texts) {
        match spec.kind {
            Kind::Number => {
                cols.numbers.insert(spec.name.clone(), nums);
            }
            Kind::Text => {
                cols.texts.insert(spec.name.clone(), txt);
            }
        }
    }
    Ok(cols)
}

fn read_parquet(path: &Path, specs: &[ColumnSpec]) -> anyhow::Result<Columns> {
    use arrow::array::{Array, Float64Array};
    use arrow::compute::{CastOptions, cast_with_options};
    use arrow::datatypes::DataType;
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    use parquet::arrow::ProjectionMask;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("{}: not a readable Parquet file", path.display()))?;
    let schema = builder.schema().clone();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let idx = missing_columns(path, specs, &names)?;
    let mut roots: Vec<usize> = idx.clone();
    roots.sort_unstable();
    roots.dedup();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(64 * 1024)
        .build()
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let mut cols = Columns::default();
    let mut numbers: Vec<Vec<f64>> = specs.iter().map(|_| Vec::new()).collect();
    let mut texts: Vec<TextColumn> = specs.iter().map(|_| TextColumn::default()).collect();
    let mut base = 0usize;
    let fmt = FormatOptions::default().with_null("");
    for batch in reader {
        let batch = batch
            .with_context(|| format!("{}: cannot read rows after row {base}", path.display()))?;
        for (k, spec) in specs.iter().enumerate() {
            let col = batch
                .column_by_name(&spec.name)
                .ok_or_else(|| anyhow!("{}: no column `{}`", path.display(), spec.name))?;
            match spec.kind {
                Kind::Number => {
                    let display = ArrayFormatter::try_new(col.as_ref(), &fmt)?;
                    let cast = cast_with_options(
                        col,
                        &DataType::Float64,
                        &CastOptions {
                            safe: true,
                            ..Default::default()
                        },
                    )
                    .map_err(|e| {
                        anyhow!(
                            "{}: column `{}` is not numeric: {e}",
                            path.display(),
                            spec.name
                        )
                    })?;
                    let f = cast
                        .as_any()
                        .downcast_ref::<Float64Array>()
                        .ok_or_else(|| {
                            anyhow!("{}: column `{}` is not numeric", path.display(), spec.name)
                        })?;
                    for i in 0..f.len() {
                        if f.is_null(i) {
                            let why = if col.is_null(i) {
                                "empty value".to_owned()
                            } else {
                                format!("`{}` is not a number", display.value(i))
                            };
                            bail!(
                                "{}: row {}, column `{}`: {why}",
                                path.display(),
                                base + i + 1,
                                spec.name
                            );
                        }
                        numbers[k].push(f.value(i));
                    }
                }
                Kind::Text => {
                    let display = ArrayFormatter::try_new(col.as_ref(), &fmt)?;
                    let mut s = String::new();
                    for i in 0..col.len() {
                        s.clear();
                        use std::fmt::Write as _;
                        write!(s, "{}", display.value(i))?;
                        texts[k].push(&s);
                    }
                }
            }
        }
        base += batch.num_rows();
    }
    cols.rows = base;
    for ((spec, nums), txt) in specs.iter().zip(numbers).zip(texts) {
        match spec.kind {
            Kind::Number => {
                cols.numbers.insert(spec.name.clone(), nums);
            }
            Kind::Text => {
                cols.texts.insert(spec.name.clone(), txt);
            }
        }
    }
    Ok(cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(income: &[f64], by: &[&str]) -> MeasureInput {
        MeasureInput {
            source: "test".into(),
            income_name: "inc".into(),
            weight_name: None,
            income: income.to_vec(),
            weight: None,
            line: LineInput::Constant(25.0),
            by: vec![(
                "village".into(),
                TextColumn::from_values(by.iter().copied()),
            )],
            cluster: None,
            strata: None,
        }
    }

    #[test]
    fn groups_are_sorted_as_strings_then_all() {
        let t = measure_table(&input(&[10.0, 20.0, 30.0, 40.0], &["b", "a", "10", "9"])).unwrap();
        let keys: Vec<&Cell> = t.rows.iter().map(|r| &r[0]).collect();
        let want = ["10", "9", "a", "b", "(all)"].map(|s| Cell::Text(s.into()));
        assert_eq!(keys, want.iter().collect::<Vec<_>>());
        assert_eq!(t.columns.len(), 1 + MEASURE_COLUMNS.len());
    }

    #[test]
    fn numbers_print_shortest_round_trip_without_trailing_zero() {
        assert_eq!(format_number(1234.0), "1234");
        assert_eq!(format_number(0.1), "0.1");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(1.0 / 3.0).parse::<f64>().unwrap(), 1.0 / 3.0);
    }

    #[test]
    fn undefined_values_are_empty_in_csv_and_null_in_json() {
        let t = measure_table(&input(&[0.0, 10.0], &["x", "x"])).unwrap();
        let mut csv = Vec::new();
        write_table(&t, Format::Csv, &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "village,n,population,mean,median,p0,p1,p2,p0_se,p1_se,p2_se,gini,theil_t,mld,atkinson_0_5,atkinson_1,atkinson_2,palma,poor_population"
        );
        // mld, atkinson_1 and atkinson_2 are undefined with a zero income
        assert!(lines[1].starts_with("x,2,2,5,0,"), "{}", lines[1]);
        assert!(lines[1].contains(",,,,"), "{}", lines[1]);
        let mut json = Vec::new();
        write_table(&t, Format::Json, &mut json).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v[0]["mld"], serde_json::Value::Null);
        assert_eq!(v[0]["n"], serde_json::json!(2));
        assert_eq!(v[1]["village"], serde_json::json!("(all)"));
    }

    fn temp_file(name: &str, contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, contents).unwrap();
        (dir, path)
    }

    #[test]
    fn csv_non_number_error_names_row_line_and_column() {
        let (_d, p) = temp_file("x.csv", b"v,inc\na,1\nb,x1\n");
        let e = read_columns(&p, &[ColumnSpec::number("inc")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("row 2 (line 3), column `inc`: `x1` is not a number"),
            "{e}"
        );
        let (_d, p) = temp_file("x.csv", b"v,inc\na,\n");
        let e = read_columns(&p, &[ColumnSpec::number("inc")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("row 1 (line 2), column `inc`: empty value"),
            "{e}"
        );
        let e = read_columns(&p, &[ColumnSpec::number("nope")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no column `nope`"), "{e}");
    }

    #[test]
    fn parquet_and_csv_inputs_give_the_same_table() {
        use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
        use arrow::record_batch::RecordBatch;
        use std::sync::Arc;
        let csv = b"desa,inc,w\nb,10,1\na,20,2\nb,35.5,1\na,0,3\n";
        let (_d, pc) = temp_file("x.csv", csv);
        let dir = tempfile::tempdir().unwrap();
        let pq = dir.path().join("x.parquet");
        let batch = RecordBatch::try_from_iter([
            (
                "desa",
                Arc::new(StringArray::from(vec!["b", "a", "b", "a"])) as ArrayRef,
            ),
            (
                "inc",
                Arc::new(Float64Array::from(vec![10.0, 20.0, 35.5, 0.0])) as ArrayRef,
            ),
            (
                "w",
                Arc::new(Int64Array::from(vec![1, 2, 1, 3])) as ArrayRef,
            ),
        ])
        .unwrap();
        let mut wr =
            parquet::arrow::ArrowWriter::try_new(File::create(&pq).unwrap(), batch.schema(), None)
                .unwrap();
        wr.write(&batch).unwrap();
        wr.close().unwrap();
        let specs = [
            ColumnSpec::number("inc"),
            ColumnSpec::number("w"),
            ColumnSpec::text("desa"),
        ];
        let table = |p: &Path| {
            let mut c = read_columns(p, &specs).unwrap();
            let mut i = input(&[], &[]);
            i.income = c.take_number("inc");
            i.weight = Some(c.take_number("w"));
            i.by = vec![("desa".into(), c.take_text("desa"))];
            measure_table(&i).unwrap()
        };
        let (a, b) = (table(&pc), table(&pq));
        assert_eq!(a, b);
        assert_eq!(a.rows.len(), 3);
        assert_eq!(a.rows[0][0], Cell::Text("a".into()));
        assert_eq!(a.rows[0][2], Cell::Number(5.0)); // population of a
    }

    #[test]
    fn bad_income_error_names_row_and_column() {
        let e = measure_table(&input(&[1.0, -2.0], &["a", "b"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 2") && e.contains("`inc`"), "{e}");
    }
}
