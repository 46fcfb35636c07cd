//! `sejahtera evaluate`: program impact (staggered DiD, two-period doubly
//! robust DiD, synthetic control) and indicator-target tracking from CSV files.
//!
//! Results go to stdout as JSON (default) or CSV; errors go to stderr naming
//! the file, row and column. Exit code 0 on success, 2 on bad input.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use serde_json::{Value, json};

use sejahtera_evaluate::drdid::{self, DrDidMethod, TwoPeriodPanel};
use sejahtera_evaluate::staggered::{
    self, AggregateOptions, AggregationType, AttGtOptions, BasePeriod, ControlGroup, LongPanel,
    Method,
};
use sejahtera_evaluate::stats::norm_quantile;
use sejahtera_evaluate::{synth, target};

/// Evaluate program impact or track indicator targets.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Staggered difference-in-differences (Callaway & Sant'Anna): ATT(g,t) and an aggregate.
    Did(DidArgs),
    /// Two-period difference-in-differences with covariates (Sant'Anna & Zhao).
    Drdid(DrdidArgs),
    /// Synthetic control, synthetic DiD or plain DiD for one treated unit.
    Synth(SynthArgs),
    /// Indicator targets: achievement %, colour band, gap and projection.
    Target(TargetArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Control {
    Never,
    Notyet,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DidMethod {
    Reg,
    Ipw,
    Dr,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Agg {
    Simple,
    Group,
    Dynamic,
    Calendar,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Base {
    Varying,
    Universal,
}

#[derive(Debug, clap::Args)]
struct DidArgs {
    /// Long panel CSV (one row per unit and period).
    #[arg(long)]
    input: PathBuf,
    /// Outcome column.
    #[arg(long)]
    y: String,
    /// Unit identifier column.
    #[arg(long)]
    id: String,
    /// Period column (integer).
    #[arg(long)]
    time: String,
    /// First treated period column (0 = never treated).
    #[arg(long)]
    group: String,
    /// Comparison units: never treated or not yet treated.
    #[arg(long, value_enum, default_value = "never")]
    control: Control,
    /// Estimator within each (g,t) cell.
    #[arg(long, value_enum, default_value = "dr")]
    method: DidMethod,
    /// Covariate columns, comma separated.
    #[arg(long, value_delimiter = ',')]
    covariates: Vec<String>,
    /// Aggregation of the ATT(g,t).
    #[arg(long, value_enum, default_value = "simple")]
    aggregate: Agg,
    /// Dynamic aggregation: keep cohorts observed at least this many periods after treatment.
    #[arg(long)]
    balance_e: Option<i64>,
    /// Base period convention.
    #[arg(long, value_enum, default_value = "varying")]
    base_period: Base,
    /// Periods of anticipation.
    #[arg(long, default_value_t = 0)]
    anticipation: i64,
    /// Multiplier-bootstrap iterations (0 = analytic standard errors only).
    #[arg(long, default_value_t = 0)]
    bootstrap: usize,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Significance level of the confidence intervals.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
}

#[derive(Debug, clap::Args)]
struct DrdidArgs {
    /// Two-period long panel CSV.
    #[arg(long)]
    input: PathBuf,
    /// Outcome column.
    #[arg(long)]
    y: String,
    /// Unit identifier column.
    #[arg(long)]
    id: String,
    /// Period column (exactly two distinct values; the later is "post").
    #[arg(long)]
    time: String,
    /// Treatment indicator column (1 = treated unit, 0 = comparison; constant within unit).
    #[arg(long)]
    treat: String,
    /// Covariate columns, comma separated (values from the pre period are used).
    #[arg(long, value_delimiter = ',')]
    covariates: Vec<String>,
    /// Estimator.
    #[arg(long, default_value = "dr_imp", value_parser = ["reg", "ipw", "std_ipw", "dr_trad", "dr_imp"])]
    method: String,
    /// Significance level of the confidence interval.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SynthMethod {
    Sc,
    Sdid,
    Did,
}

#[derive(Debug, clap::Args)]
struct SynthArgs {
    /// Balanced long panel CSV.
    #[arg(long)]
    input: PathBuf,
    /// Unit column.
    #[arg(long)]
    unit: String,
    /// Period column (integer).
    #[arg(long)]
    time: String,
    /// Outcome column.
    #[arg(long)]
    y: String,
    /// The treated unit.
    #[arg(long)]
    treated: String,
    /// First treated period.
    #[arg(long)]
    from: i64,
    /// Estimator.
    #[arg(long, value_enum, default_value = "sdid")]
    method: SynthMethod,
    /// Placebo replications for the standard error (0 = none).
    #[arg(long, default_value_t = 200)]
    placebo: usize,
    /// Seed of the placebo draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
}

#[derive(Debug, clap::Args)]
struct TargetArgs {
    /// CSV with columns indicator, polarity (higher|lower), year, target, actual
    /// (empty when not yet measured) and optionally baseline and baseline_year.
    #[arg(long)]
    input: PathBuf,
    /// Last year of the plan period (default: the last year with a target).
    #[arg(long)]
    plan_end: Option<i64>,
    /// Colour bands as `threshold:label` pairs from best to worst.
    #[arg(
        long,
        default_value = "91:very good,76:good,66:fair,51:poor,0:very poor"
    )]
    bands: String,
    /// Formula for lower-is-better indicators: `inverse` (target/actual × 100) or
    /// `difference` ((2·target − actual)/target × 100).
    #[arg(long, default_value = "inverse", value_parser = ["inverse", "difference"])]
    lower_formula: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
}

/// Run `sejahtera evaluate …`.
pub async fn run(args: Args, _g: &crate::Global) -> anyhow::Result<ExitCode> {
    let out = match args.cmd {
        Cmd::Did(a) => run_did(&a),
        Cmd::Drdid(a) => run_drdid(&a),
        Cmd::Synth(a) => run_synth(&a),
        Cmd::Target(a) => run_target(&a),
    };
    match out {
        Ok(text) => {
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}

/// A CSV table read as strings, with column lookup by name.
struct Table {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(path: &Path) -> anyhow::Result<Table> {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let header: Vec<String> = rdr
            .headers()
            .with_context(|| format!("{}: cannot read the header", path.display()))?
            .iter()
            .map(str::to_owned)
            .collect();
        let mut rows = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec =
                rec.with_context(|| format!("{}: line {}: malformed CSV", path.display(), i + 2))?;
            rows.push(rec.iter().map(str::to_owned).collect());
        }
        if rows.is_empty() {
            bail!("{}: no data rows", path.display());
        }
        Ok(Table {
            path: path.to_owned(),
            header,
            rows,
        })
    }

    fn col(&self, name: &str) -> anyhow::Result<usize> {
        self.header.iter().position(|h| h == name).with_context(|| {
            format!(
                "{}: no column `{name}` (columns: {})",
                self.path.display(),
                self.header.join(", ")
            )
        })
    }

    fn strings(&self, name: &str) -> anyhow::Result<Vec<&str>> {
        let c = self.col(name)?;
        Ok(self
            .rows
            .iter()
            .map(|r| r.get(c).map_or("", String::as_str))
            .collect())
    }

    fn f64s(&self, name: &str) -> anyhow::Result<Vec<f64>> {
        let c = self.col(name)?;
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let s = r.get(c).map_or("", String::as_str);
                match s.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(v),
                    _ => bail!(
                        "{}: line {}, column `{name}`: `{s}` is not a finite number",
                        self.path.display(),
                        i + 2
                    ),
                }
            })
            .collect()
    }

    fn i64s(&self, name: &str) -> anyhow::Result<Vec<i64>> {
        let c = self.col(name)?;
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let s = r.get(c).map_or("", String::as_str);
                s.parse::<i64>()
                    .or_else(|e| match s.parse::<f64>() {
                        Ok(v) if v.fract() == 0.0 && v.abs() < 9e15 => Ok(v as i64),
                        _ => Err(e),
                    })
                    .with_context(|| {
                        format!(
                            "{}: line {}, column `{name}`: `{s}` is not an integer",
                            self.path.display(),
                            i + 2
                        )
                    })
            })
            .collect()
    }

    /// Unit identifiers mapped to dense codes in sorted order (numeric ids
    /// sorted numerically), so results never depend on row order.
    fn unit_codes(&self, name: &str) -> anyhow::Result<(Vec<u64>, Vec<String>)> {
        let raw = self.strings(name)?;
        if let Some(i) = raw.iter().position(|s| s.is_empty()) {
            bail!(
                "{}: line {}, column `{name}`: empty unit identifier",
                self.path.display(),
                i + 2
            );
        }
        let mut uniq: Vec<&str> = raw.clone();
        uniq.sort_unstable();
        uniq.dedup();
        if uniq.iter().all(|s| s.parse::<i128>().is_ok()) {
            uniq.sort_by_key(|s| s.parse::<i128>().unwrap_or_default());
        }
        let code: HashMap<&str, u64> = uniq
            .iter()
            .enumerate()
            .map(|(i, s)| (*s, i as u64))
            .collect();
        Ok((
            raw.iter().map(|s| code[s]).collect(),
            uniq.iter().map(|s| (*s).to_owned()).collect(),
        ))
    }
}

/// Selected columns of a large CSV, parsed while streaming (no per-cell strings kept).
struct Columns {
    /// Dense unit codes in sorted id order (numeric ids sorted numerically).
    unit: Vec<u64>,
    ints: Vec<Vec<i64>>,
    floats: Vec<Vec<f64>>,
}

impl Columns {
    fn read(path: &Path, id: &str, ints: &[&str], floats: &[&str]) -> anyhow::Result<Columns> {
        // The fast reader handles plain numeric CSV (no quotes, integer ids);
        // anything else, and every error, goes through the `csv` crate below.
        if let Some(c) = fast::read(path, id, ints, floats) {
            return Ok(c);
        }
        Self::read_general(path, id, ints, floats)
    }

    fn read_general(
        path: &Path,
        id: &str,
        ints: &[&str],
        floats: &[&str],
    ) -> anyhow::Result<Columns> {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let header = rdr
            .byte_headers()
            .with_context(|| format!("{}: cannot read the header", path.display()))?
            .clone();
        let find = |name: &str| -> anyhow::Result<usize> {
            header
                .iter()
                .position(|h| h == name.as_bytes())
                .with_context(|| {
                    format!(
                        "{}: no column `{name}` (columns: {})",
                        path.display(),
                        header
                            .iter()
                            .map(String::from_utf8_lossy)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
        };
        let id_c = find(id)?;
        let int_c: Vec<usize> = ints
            .iter()
            .map(|c| find(c))
            .collect::<anyhow::Result<_>>()?;
        let flt_c: Vec<usize> = floats
            .iter()
            .map(|c| find(c))
            .collect::<anyhow::Result<_>>()?;
        // Canonical integer ids (no sign, no leading zeros) are kept as numbers;
        // any other id switches to interning the text.
        let mut int_ids: Vec<u64> = Vec::new();
        let mut codes: HashMap<Vec<u8>, u64> = HashMap::new();
        let mut raw_ids: Vec<u64> = Vec::new();
        let mut int_mode = true;
        let mut out_i: Vec<Vec<i64>> = vec![Vec::new(); ints.len()];
        let mut out_f: Vec<Vec<f64>> = vec![Vec::new(); floats.len()];
        let mut rec = csv::ByteRecord::new();
        let mut line = 1usize;
        while rdr
            .read_byte_record(&mut rec)
            .with_context(|| format!("{}: line {}: malformed CSV", path.display(), line + 1))?
        {
            line += 1;
            let field = |c: usize| rec.get(c).unwrap_or(b"");
            let idv = field(id_c);
            if idv.is_empty() {
                bail!(
                    "{}: line {line}, column `{id}`: empty unit identifier",
                    path.display()
                );
            }
            let canonical = idv.len() <= 18
                && idv.iter().all(u8::is_ascii_digit)
                && (idv[0] != b'0' || idv.len() == 1);
            if int_mode && !canonical {
                int_mode = false;
                for v in int_ids.drain(..) {
                    let key = v.to_string().into_bytes();
                    let next = codes.len() as u64;
                    let c = *codes.entry(key).or_insert(next);
                    raw_ids.push(c);
                }
            }
            if int_mode {
                int_ids.push(idv.iter().fold(0u64, |a, d| a * 10 + u64::from(d - b'0')));
            } else {
                let code = match codes.get(idv) {
                    Some(c) => *c,
                    None => {
                        let c = codes.len() as u64;
                        codes.insert(idv.to_vec(), c);
                        c
                    }
                };
                raw_ids.push(code);
            }
            for (k, &c) in int_c.iter().enumerate() {
                let txt = std::str::from_utf8(field(c)).unwrap_or("");
                let v = txt
                    .parse::<i64>()
                    .ok()
                    .or_else(|| {
                        txt.parse::<f64>()
                            .ok()
                            .filter(|v| v.fract() == 0.0 && v.abs() < 9e15)
                            .map(|v| v as i64)
                    })
                    .with_context(|| {
                        format!(
                            "{}: line {line}, column `{}`: `{txt}` is not an integer",
                            path.display(),
                            ints[k]
                        )
                    })?;
                out_i[k].push(v);
            }
            for (k, &c) in flt_c.iter().enumerate() {
                let txt = std::str::from_utf8(field(c)).unwrap_or("");
                let v = txt
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .with_context(|| {
                        format!(
                            "{}: line {line}, column `{}`: `{txt}` is not a finite number",
                            path.display(),
                            floats[k]
                        )
                    })?;
                out_f[k].push(v);
            }
        }
        if raw_ids.is_empty() && int_ids.is_empty() {
            bail!("{}: no data rows", path.display());
        }
        if int_mode {
            // Numeric ids: dense codes in numeric order.
            let unit = dense_codes(int_ids);
            return Ok(Columns {
                unit,
                ints: out_i,
                floats: out_f,
            });
        }
        // Text ids: codes in sorted text order (numeric order when all are numbers).
        let mut names: Vec<(Vec<u8>, u64)> = codes.into_iter().collect();
        let numeric: Option<Vec<i128>> = names
            .iter()
            .map(|(n, _)| {
                std::str::from_utf8(n)
                    .ok()
                    .and_then(|s| s.parse::<i128>().ok())
            })
            .collect();
        match numeric {
            Some(nums) => {
                let mut idx: Vec<usize> = (0..names.len()).collect();
                idx.sort_by_key(|&i| (nums[i], names[i].0.clone()));
                names = idx.into_iter().map(|i| names[i].clone()).collect();
            }
            None => names.sort(),
        }
        let mut recode = vec![0u64; names.len()];
        for (new, (_, old)) in names.iter().enumerate() {
            recode[*old as usize] = new as u64;
        }
        let unit = raw_ids.iter().map(|c| recode[*c as usize]).collect();
        Ok(Columns {
            unit,
            ints: out_i,
            floats: out_f,
        })
    }
}

/// A parallel reader for plain numeric CSV files (the common case of a large
/// panel): the file is read in blocks; each block is split at line breaks
/// into one part per core, and the parts are parsed in parallel straight
/// from bytes. It gives up (returns `None`) on anything it does not handle
/// exactly like the `csv` crate path — quotes, ragged rows, non-canonical
/// integer ids, malformed numbers — so that path can read the file or
/// report the error with its line number.
mod fast {
    use std::io::Read;
    use std::path::Path;

    use super::{Columns, dense_codes};

    const BLOCK: usize = 4 << 20;

    /// Column positions of one file.
    struct Plan {
        ncols: usize,
        id: usize,
        ints: Vec<usize>,
        floats: Vec<usize>,
    }

    /// Columns parsed from one part of a block.
    #[derive(Default)]
    struct Part {
        ids: Vec<u64>,
        ints: Vec<Vec<i64>>,
        floats: Vec<Vec<f64>>,
    }

    pub(super) fn read(path: &Path, id: &str, ints: &[&str], floats: &[&str]) -> Option<Columns> {
        let mut file = std::fs::File::open(path).ok()?;
        let size = file.metadata().ok()?.len() as usize;
        let mut buf: Vec<u8> = Vec::with_capacity(BLOCK.min(size + 1) + 4096);
        // Header (the first line), after an optional UTF-8 byte-order mark.
        let mut carry = Vec::new();
        let header_end = loop {
            let got = fill(&mut file, &mut buf, BLOCK.min(size + 1))?;
            if let Some(p) = buf.iter().position(|b| *b == b'\n') {
                break p;
            }
            if got == 0 {
                return None;
            }
        };
        let start = if buf.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let header: Vec<&[u8]> = trim_cr(&buf[start..header_end])
            .split(|b| *b == b',')
            .collect();
        if header.iter().any(|h| h.contains(&b'"')) {
            return None;
        }
        let find = |name: &str| header.iter().position(|h| trim(h) == name.as_bytes());
        let plan = Plan {
            ncols: header.len(),
            id: find(id)?,
            ints: ints.iter().map(|c| find(c)).collect::<Option<_>>()?,
            floats: floats.iter().map(|c| find(c)).collect::<Option<_>>()?,
        };
        carry.extend_from_slice(&buf[header_end + 1..]);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let mut parts: Vec<Part> = (0..threads).map(|_| Part::default()).collect();
        // Reserve from the size of the first rows.
        let est = {
            let lines = carry.iter().filter(|b| **b == b'\n').count().max(1);
            (size as f64 / (carry.len().max(1) as f64 / lines as f64) * 1.02) as usize + 16
        };
        let mut out = Part {
            ids: Vec::with_capacity(est),
            ints: vec![Vec::with_capacity(est); plan.ints.len()],
            floats: vec![Vec::with_capacity(est); plan.floats.len()],
        };
        loop {
            buf.clear();
            buf.append(&mut carry);
            let got = fill(&mut file, &mut buf, BLOCK)?;
            let eof = got == 0;
            let end = if eof {
                buf.len()
            } else {
                match buf.iter().rposition(|b| *b == b'\n') {
                    Some(p) => p + 1,
                    None => {
                        // No complete line yet: keep everything and read on.
                        std::mem::swap(&mut carry, &mut buf);
                        continue;
                    }
                }
            };
            carry.extend_from_slice(&buf[end..]);
            let block = &buf[..end];
            // Split at line breaks into one part per thread.
            let mut bounds = vec![0];
            for t in 1..threads {
                let target = block.len() * t / threads;
                let from = (*bounds.last().expect("bounds")).max(target);
                let b = block[from..]
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(block.len(), |p| from + p + 1);
                bounds.push(b);
            }
            bounds.push(block.len());
            let ok = std::thread::scope(|sc| {
                let handles: Vec<_> = parts
                    .iter_mut()
                    .enumerate()
                    .map(|(t, part)| {
                        let piece = &block[bounds[t]..bounds[t + 1]];
                        let plan = &plan;
                        sc.spawn(move || parse_part(piece, plan, part))
                    })
                    .collect();
                handles.into_iter().all(|h| h.join().unwrap_or(false))
            });
            if !ok {
                return None;
            }
            for part in &mut parts {
                out.ids.append(&mut part.ids);
                for (o, p) in out.ints.iter_mut().zip(part.ints.iter_mut()) {
                    o.append(p);
                }
                for (o, p) in out.floats.iter_mut().zip(part.floats.iter_mut()) {
                    o.append(p);
                }
            }
            if eof {
                break;
            }
        }
        if out.ids.is_empty() {
            return None;
        }
        Some(Columns {
            unit: dense_codes(out.ids),
            ints: out.ints,
            floats: out.floats,
        })
    }

    /// Append up to `want` more bytes from `file`; returns how many were read.
    fn fill(file: &mut std::fs::File, buf: &mut Vec<u8>, want: usize) -> Option<usize> {
        file.take(want as u64).read_to_end(buf).ok()
    }

    fn trim_cr(line: &[u8]) -> &[u8] {
        line.strip_suffix(b"\r").unwrap_or(line)
    }

    fn trim(f: &[u8]) -> &[u8] {
        f.trim_ascii()
    }

    /// What the reader does with a column.
    #[derive(Clone, Copy)]
    enum Role {
        Skip,
        Id,
        Int(usize),
        Float(usize),
    }

    /// Parse the complete lines of `piece` field by field, in one scan;
    /// `false` to give up.
    fn parse_part(piece: &[u8], plan: &Plan, part: &mut Part) -> bool {
        part.ints.resize_with(plan.ints.len(), Vec::new);
        part.floats.resize_with(plan.floats.len(), Vec::new);
        if piece.contains(&b'"') {
            return false;
        }
        let mut roles = vec![Role::Skip; plan.ncols];
        for (k, &c) in plan.floats.iter().enumerate() {
            roles[c] = Role::Float(k);
        }
        for (k, &c) in plan.ints.iter().enumerate() {
            roles[c] = Role::Int(k);
        }
        roles[plan.id] = Role::Id;
        let last = plan.ncols - 1;
        let len = piece.len();
        let mut pos = 0;
        while pos < len {
            // Blank lines are skipped, as the csv crate does.
            if piece[pos] == b'\n' {
                pos += 1;
                continue;
            }
            if piece[pos] == b'\r' && piece.get(pos + 1) == Some(&b'\n') {
                pos += 2;
                continue;
            }
            for (c, role) in roles.iter().enumerate() {
                let rest = &piece[pos..];
                // Plain decimals are parsed while scanning for the delimiter;
                // other spellings take the general field parsers.
                let scanned = match *role {
                    Role::Float(k) => scan_decimal(rest).map(|(v, e)| {
                        part.floats[k].push(v);
                        e
                    }),
                    Role::Int(k) => scan_int(rest).map(|(v, e)| {
                        part.ints[k].push(v);
                        e
                    }),
                    Role::Id => scan_int(rest)
                        .filter(|(_, e)| rest[0].is_ascii_digit() && (rest[0] != b'0' || *e == 1))
                        .map(|(v, e)| {
                            part.ids.push(v as u64);
                            e
                        }),
                    Role::Skip => None,
                };
                let end = match scanned {
                    Some(e) => e,
                    None => {
                        let end = field_end(rest);
                        let field = trim(trim_cr(&rest[..end]));
                        match *role {
                            Role::Skip => {}
                            Role::Id => match canonical_id(field) {
                                Some(v) => part.ids.push(v),
                                None => return false,
                            },
                            Role::Int(k) => match int(field) {
                                Some(v) => part.ints[k].push(v),
                                None => return false,
                            },
                            Role::Float(k) => match float(field) {
                                Some(v) => part.floats[k].push(v),
                                None => return false,
                            },
                        }
                        end
                    }
                };
                // Every field but the last ends at a comma; the last at the line end.
                if (rest.get(end) == Some(&b',')) != (c < last) {
                    return false;
                }
                pos += end + 1;
            }
        }
        true
    }

    /// Offset of the first `,` or line feed in `rest` (or its length).
    #[inline]
    fn field_end(rest: &[u8]) -> usize {
        rest.iter()
            .position(|b| *b == b',' || *b == b'\n')
            .unwrap_or(rest.len())
    }

    /// The delimiter offset after a field's value ends at `i`: `,`, a line
    /// end or the end of `rest`.
    #[inline]
    fn delimiter(rest: &[u8], i: usize) -> Option<usize> {
        match rest.get(i) {
            None | Some(b',') | Some(b'\n') => Some(i),
            Some(b'\r') if rest.get(i + 1) == Some(&b'\n') => Some(i + 1),
            _ => None,
        }
    }

    /// A plain integer (`-12`, 1–18 digits, no blanks) at the start of
    /// `rest`: its value and the offset of the delimiter.
    #[inline]
    fn scan_int(rest: &[u8]) -> Option<(i64, usize)> {
        let neg = rest.first() == Some(&b'-');
        let start = usize::from(neg);
        let mut i = start;
        let mut v: i64 = 0;
        while i < rest.len() && rest[i].is_ascii_digit() {
            v = v * 10 + i64::from(rest[i] - b'0');
            i += 1;
            if i - start > 18 {
                return None;
            }
        }
        if i == start {
            return None;
        }
        let end = delimiter(rest, i)?;
        Some((if neg { -v } else { v }, end))
    }

    /// A plain decimal (`-12.345`, at most 15 significant digits, no
    /// exponent, no surrounding blanks) at the start of `rest`, followed by
    /// `,`, a line end or the end of `rest`: its value (exactly as
    /// `str::parse::<f64>`) and the offset of the delimiter.
    #[inline]
    fn scan_decimal(rest: &[u8]) -> Option<(f64, usize)> {
        let mut i = 0;
        let neg = rest.first() == Some(&b'-');
        if neg {
            i = 1;
        }
        let mut mant: u64 = 0;
        let start = i;
        while i < rest.len() && rest[i].is_ascii_digit() {
            mant = mant * 10 + u64::from(rest[i] - b'0');
            i += 1;
            if i - start > 15 {
                return None;
            }
        }
        let int_digits = i - start;
        let mut frac = 0usize;
        if i < rest.len() && rest[i] == b'.' {
            i += 1;
            // Eight digits at a time while they fit in the 15-digit budget.
            while int_digits + frac + 8 <= 15 {
                match eight_digits(rest, i) {
                    Some(e) => {
                        mant = mant * 100_000_000 + e;
                        frac += 8;
                        i += 8;
                    }
                    None => break,
                }
            }
            while i < rest.len() && rest[i].is_ascii_digit() {
                mant = mant * 10 + u64::from(rest[i] - b'0');
                frac += 1;
                i += 1;
                if int_digits + frac > 15 {
                    return None;
                }
            }
        }
        if int_digits + frac == 0 || frac > 22 {
            return None;
        }
        let end = delimiter(rest, i)?;
        let m = mant as f64; // exact: at most 15 digits in all
        let v = if frac == 0 { m } else { m / POW10[frac] };
        Some((if neg { -v } else { v }, end))
    }

    /// The value of the eight ASCII digits at `rest[i..i + 8]`, if they all are
    /// digits (SWAR: all eight checked and combined in a few word operations).
    #[inline]
    fn eight_digits(rest: &[u8], i: usize) -> Option<u64> {
        let b: [u8; 8] = rest.get(i..i + 8)?.try_into().ok()?;
        let v = u64::from_le_bytes(b);
        let hi = v & 0xF0F0_F0F0_F0F0_F0F0;
        let carry = (v.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4;
        if hi | carry != 0x3333_3333_3333_3333 {
            return None;
        }
        // Pairs, then quads, then the eight digits (first byte most significant).
        let d = v - 0x3030_3030_3030_3030;
        let d = (d * 10 + (d >> 8)) & 0x00FF_00FF_00FF_00FF;
        let d = (d * 100 + (d >> 16)) & 0x0000_FFFF_0000_FFFF;
        Some((d * 10_000 + (d >> 32)) & 0xFFFF_FFFF)
    }

    /// Digits only, no leading zero, at most 18 digits (as the general reader).
    fn canonical_id(f: &[u8]) -> Option<u64> {
        if f.is_empty() || f.len() > 18 || (f[0] == b'0' && f.len() > 1) {
            return None;
        }
        let mut v = 0u64;
        for &b in f {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u64::from(b - b'0');
        }
        Some(v)
    }

    /// An integer; other spellings (`3.0`) go through the standard parsers.
    fn int(f: &[u8]) -> Option<i64> {
        let (neg, digits) = match f.first() {
            Some(b'-') => (true, &f[1..]),
            Some(b'+') => (false, &f[1..]),
            _ => (false, f),
        };
        if !digits.is_empty() && digits.len() <= 18 && digits.iter().all(u8::is_ascii_digit) {
            let v = digits
                .iter()
                .fold(0i64, |a, d| a * 10 + i64::from(d - b'0'));
            return Some(if neg { -v } else { v });
        }
        let txt = std::str::from_utf8(f).ok()?;
        txt.parse::<i64>().ok().or_else(|| {
            txt.parse::<f64>()
                .ok()
                .filter(|v| v.fract() == 0.0 && v.abs() < 9e15)
                .map(|v| v as i64)
        })
    }

    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// A finite number, bit-identical to `str::parse::<f64>`: decimals with
    /// at most 15 significant digits and a small exponent take Clinger's
    /// exact fast path (one correctly rounded multiplication or division of
    /// two exact doubles); everything else goes to the standard parser.
    fn float(f: &[u8]) -> Option<f64> {
        fast_float(f).or_else(|| {
            std::str::from_utf8(f)
                .ok()?
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
        })
    }

    fn fast_float(f: &[u8]) -> Option<f64> {
        let mut i = 0;
        let neg = match f.first() {
            Some(b'-') => {
                i = 1;
                true
            }
            Some(b'+') => {
                i = 1;
                false
            }
            _ => false,
        };
        let mut mant: u64 = 0;
        let mut digits = 0usize; // significant digits kept in `mant`
        let mut exp: i64 = 0;
        let mut any = false;
        while i < f.len() && f[i].is_ascii_digit() {
            any = true;
            if mant != 0 || f[i] != b'0' {
                digits += 1;
            }
            mant = mant.wrapping_mul(10).wrapping_add(u64::from(f[i] - b'0'));
            i += 1;
        }
        if i < f.len() && f[i] == b'.' {
            i += 1;
            while i < f.len() && f[i].is_ascii_digit() {
                any = true;
                if mant != 0 || f[i] != b'0' {
                    digits += 1;
                }
                mant = mant.wrapping_mul(10).wrapping_add(u64::from(f[i] - b'0'));
                exp -= 1;
                i += 1;
            }
        }
        if !any || digits > 15 {
            return None;
        }
        if i < f.len() && (f[i] == b'e' || f[i] == b'E') {
            i += 1;
            let eneg = match f.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let start = i;
            let mut e: i64 = 0;
            while i < f.len() && f[i].is_ascii_digit() && i - start < 6 {
                e = e * 10 + i64::from(f[i] - b'0');
                i += 1;
            }
            if i == start {
                return None;
            }
            exp += if eneg { -e } else { e };
        }
        if i != f.len() {
            return None;
        }
        let m = mant as f64; // exact: at most 15 digits
        let v = if exp == 0 {
            m
        } else if (1..=22).contains(&exp) {
            m * POW10[exp as usize]
        } else if (-22..0).contains(&exp) {
            m / POW10[(-exp) as usize]
        } else {
            return None;
        };
        Some(if neg { -v } else { v })
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::path::Path;

        /// Unit codes, integer columns and float columns as bits.
        type Parsed = (Vec<u64>, Vec<Vec<i64>>, Vec<Vec<u64>>);

        fn columns(path: &Path, fast_path: bool) -> Option<Parsed> {
            let c = if fast_path {
                read(path, "id", &["time", "g"], &["y", "x"])?
            } else {
                Columns::read_general(path, "id", &["time", "g"], &["y", "x"]).ok()?
            };
            let bits = c
                .floats
                .iter()
                .map(|v| v.iter().map(|x| x.to_bits()).collect())
                .collect();
            Some((c.unit, c.ints, bits))
        }

        #[test]
        fn fast_reader_agrees_with_the_csv_crate_or_defers_to_it() {
            let dir =
                std::env::temp_dir().join(format!("sejahtera-eval-fast-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let cases: &[(&str, bool)] = &[
                // (content, whether the fast reader takes it)
                (
                    "id,time,g,y,x\n7,1,0,1.5,2\n3,1,2,-0.25,1e3\n7,2,0,2.5,2\n3,2,2,0.75,1000\n",
                    true,
                ),
                (
                    "\u{feff}id , time,g,y,x,extra\r\n10,1,0, 1.5 ,2,a\r\n\r\n2,1,3,+7,.5,b\r\n",
                    true,
                ),
                ("y,x,g,time,id\n1.0,2.0,0,2001,5\n3.0,4.0,2002,2001,4", true),
                ("id,time,g,y,x\n1,1,0,1.0,2\n1,2,0,3.0\n", false),
                ("id,time,g,y,x\n\"1\",1,0,1.0,2\n", false),
                ("id,time,g,y,x\nA1,1,0,1.0,2\nB2,1,0,3.0,4\n", false),
                ("id,time,g,y,x\n007,1,0,1.0,2\n", false),
                ("id,time,g,y,x\n1,1,0,abc,2\n", false),
                ("id,time,g,y,x\n1,1.0,0,12345678901234567890,2\n", true),
            ];
            for (k, (text, fast_ok)) in cases.iter().enumerate() {
                let path = dir.join(format!("{k}.csv"));
                std::fs::write(&path, text).unwrap();
                let fast = columns(&path, true);
                assert_eq!(fast.is_some(), *fast_ok, "case {k}");
                if let Some(f) = fast {
                    assert_eq!(Some(f), columns(&path, false), "case {k}");
                }
            }
            // Large enough for several parts and blocks' worth of line splitting.
            let mut text = String::from("id,time,g,y,x\n");
            for t in 1..=3 {
                for i in 0..20_000u64 {
                    let y = (i as f64 * 0.37 + t as f64).sin() * 100.0;
                    text.push_str(&format!(
                        "{},{t},{},{y:.7},{:.3e}\n",
                        i * 3 + 1,
                        (i % 4) * 2,
                        y / 7.0
                    ));
                }
            }
            let path = dir.join("big.csv");
            std::fs::write(&path, &text).unwrap();
            assert_eq!(columns(&path, true), columns(&path, false));
            assert!(columns(&path, true).is_some());
            std::fs::remove_dir_all(&dir).unwrap();
        }

        #[test]
        fn eight_digits_reads_eight_ascii_digits() {
            assert_eq!(eight_digits(b"12345678", 0), Some(12_345_678));
            assert_eq!(eight_digits(b"x00000009", 1), Some(9));
            assert_eq!(eight_digits(b"99999999,", 0), Some(99_999_999));
            for bad in [
                &b"1234567"[..],
                b"1234567,",
                b"1234/678",
                b"12345:78",
                b"a2345678",
            ] {
                assert_eq!(eight_digits(bad, 0), None, "{bad:?}");
            }
            let mut x: u64 = 12345;
            for _ in 0..10_000 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let n = (x >> 20) % 100_000_000;
                let t = format!("{n:08}");
                assert_eq!(eight_digits(t.as_bytes(), 0), Some(n), "{t}");
            }
        }

        #[test]
        fn fast_float_matches_std() {
            for s in [
                "0",
                "-0",
                "1",
                "-1.5",
                "3.14159",
                "0.1",
                "1e10",
                "1.25E-3",
                "+7",
                "123456789012345",
                "0.000001234",
                "-2.5e+21",
                "9007199254740993",
                "1234567890123456",
                ".5",
                "5.",
                "1e400",
                "nan",
                "",
                "-",
                "1e",
                "0x10",
                "1_0",
                "00012.50",
            ] {
                let a = float(s.as_bytes());
                let b = s.parse::<f64>().ok().filter(|v| v.is_finite());
                assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "{s}");
            }
        }

        #[test]
        fn scan_decimal_matches_std() {
            for s in [
                "0",
                "-0",
                "1.5",
                "-12.25",
                "5.",
                ".5",
                "0.1",
                "123456789012345",
                "1234567890123456",
                "0.000000000000001234",
                "3.14159265358979",
                "-",
                ".",
                "1e5",
                "1.5x",
                " 1",
                "1 ",
            ] {
                for tail in ["", ",", "\n", "\r\n", ",x"] {
                    let t = format!("{s}{tail}");
                    let want = s.parse::<f64>().ok();
                    if let Some((v, end)) = scan_decimal(t.as_bytes()) {
                        assert_eq!(Some(v.to_bits()), want.map(f64::to_bits), "{t:?}");
                        assert!(
                            matches!(t.as_bytes().get(end), None | Some(b',') | Some(b'\n')),
                            "{t:?}"
                        );
                    }
                }
            }
        }

        #[test]
        fn fast_float_random_decimals() {
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
            for _ in 0..20000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let m = (x % 10_000_000_000) as f64 / 1e4 - 5e5;
                let s = format!("{m:.6}");
                let e = format!("{:.9e}", m / 7.0);
                for t in [s, e] {
                    assert_eq!(
                        float(t.as_bytes()).map(f64::to_bits),
                        t.parse::<f64>().ok().map(f64::to_bits),
                        "{t}"
                    );
                }
            }
        }
    }
}

/// Dense codes `0..k` of integer ids, in numeric order.
fn dense_codes(mut ids: Vec<u64>) -> Vec<u64> {
    let (min, max) = ids
        .iter()
        .fold((u64::MAX, 0), |(a, b), v| (a.min(*v), b.max(*v)));
    if max - min < 4 * ids.len() as u64 + 16 {
        let mut code = vec![u64::MAX; (max - min) as usize + 1];
        for v in &ids {
            code[(v - min) as usize] = 0;
        }
        let mut next = 0;
        for c in code.iter_mut() {
            if *c == 0 {
                *c = next;
                next += 1;
            }
        }
        for v in ids.iter_mut() {
            *v = code[(*v - min) as usize];
        }
    } else {
        let mut uniq = ids.clone();
        uniq.sort_unstable();
        uniq.dedup();
        for v in ids.iter_mut() {
            *v = uniq.binary_search(v).expect("present") as u64;
        }
    }
    ids
}

fn num(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

fn csv_num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        String::new()
    }
}

fn run_did(a: &DidArgs) -> anyhow::Result<String> {
    if !(a.alpha > 0.0 && a.alpha < 1.0) {
        bail!("--alpha must be strictly between 0 and 1");
    }
    let mut float_cols = vec![a.y.as_str()];
    float_cols.extend(a.covariates.iter().map(String::as_str));
    let cols = Columns::read(&a.input, &a.id, &[&a.time, &a.group], &float_cols)?;
    let (unit, time, group) = (cols.unit, &cols.ints[0], &cols.ints[1]);
    let y = &cols.floats[0];
    let covs = &cols.floats[1..];
    let cov_refs: Vec<&[f64]> = covs.iter().map(Vec::as_slice).collect();
    let panel = LongPanel {
        unit: &unit,
        time,
        group,
        y,
        covariates: &cov_refs,
    };
    let opts = AttGtOptions {
        control: match a.control {
            Control::Never => ControlGroup::Never,
            Control::Notyet => ControlGroup::NotYet,
        },
        method: match a.method {
            DidMethod::Reg => Method::Reg,
            DidMethod::Ipw => Method::Ipw,
            DidMethod::Dr => Method::Dr,
        },
        base_period: match a.base_period {
            Base::Varying => BasePeriod::Varying,
            Base::Universal => BasePeriod::Universal,
        },
        anticipation: a.anticipation,
    };
    let r = staggered::att_gt(&panel, &opts).with_context(|| format!("{}", a.input.display()))?;
    let kind = match a.aggregate {
        Agg::Simple => AggregationType::Simple,
        Agg::Group => AggregationType::Group,
        Agg::Dynamic => AggregationType::Dynamic,
        Agg::Calendar => AggregationType::Calendar,
    };
    let agg = staggered::aggregate(
        &r,
        kind,
        &AggregateOptions {
            balance_e: a.balance_e,
            ..Default::default()
        },
    )?;
    let z = norm_quantile(1.0 - a.alpha / 2.0);
    let mut cell_se: Vec<f64> = r.cells.iter().map(|c| c.se).collect();
    let mut cell_crit = z;
    let mut agg_se = agg.se;
    let mut item_se: Vec<f64> = agg.items.iter().map(|i| i.se).collect();
    let mut item_crit = z;
    let mut boot_json = Value::Null;
    if a.bootstrap > 0 {
        let dense: Vec<Vec<f64>> = r.inf_func.iter().map(|f| f.to_dense(r.n)).collect();
        let infs: Vec<&[f64]> = dense.iter().map(Vec::as_slice).collect();
        let b = staggered::multiplier_bootstrap(&infs, a.bootstrap, a.seed, a.alpha)?;
        cell_se = b.se;
        if b.crit_val.is_finite() {
            cell_crit = b.crit_val.max(z);
        }
        let b2 = staggered::multiplier_bootstrap(
            &[agg.inf_func.as_slice()],
            a.bootstrap,
            a.seed,
            a.alpha,
        )?;
        agg_se = b2.se[0];
        if !agg.items.is_empty() {
            let ii: Vec<&[f64]> = agg.items.iter().map(|i| i.inf_func.as_slice()).collect();
            let b3 = staggered::multiplier_bootstrap(&ii, a.bootstrap, a.seed, a.alpha)?;
            item_se = b3.se;
            if b3.crit_val.is_finite() {
                item_crit = b3.crit_val.max(z);
            }
        }
        boot_json = json!({"iterations": a.bootstrap, "seed": a.seed, "uniform_crit_att_gt": num(cell_crit),
            "uniform_crit_aggregate": num(item_crit)});
    }
    let pre = staggered::pretest(&r);
    match a.format {
        Format::Json => {
            let att_gt: Vec<Value> = r
                .cells
                .iter()
                .zip(&cell_se)
                .map(|(c, se)| {
                    json!({"group": c.group, "time": c.time, "att": num(c.att), "se": num(*se),
                        "ci_lower": num(c.att - cell_crit * se), "ci_upper": num(c.att + cell_crit * se),
                        "post": c.post, "note": c.note})
                })
                .collect();
            let label = match kind {
                AggregationType::Group => "group",
                AggregationType::Dynamic => "event_time",
                AggregationType::Calendar => "time",
                AggregationType::Simple => "label",
            };
            let items: Vec<Value> = agg
                .items
                .iter()
                .zip(&item_se)
                .map(|(i, se)| {
                    let mut m = serde_json::Map::new();
                    m.insert(label.into(), json!(i.label));
                    m.insert("att".into(), num(i.att));
                    m.insert("se".into(), num(*se));
                    m.insert("ci_lower".into(), num(i.att - item_crit * se));
                    m.insert("ci_upper".into(), num(i.att + item_crit * se));
                    Value::Object(m)
                })
                .collect();
            let out = json!({
                "att_gt": att_gt,
                "aggregate": {"type": kind.name(), "att": num(agg.att), "se": num(agg_se),
                    "ci_lower": num(agg.att - z * agg_se), "ci_upper": num(agg.att + z * agg_se),
                    "details": items},
                "pretest": pre.map(|p| json!({"statistic": p.statistic, "df": p.df, "p_value": p.p_value})),
                "n": r.n,
                "n_dropped_first_period": r.dropped_first_period,
                "control": match a.control { Control::Never => "never", Control::Notyet => "notyet" },
                "method": match a.method { DidMethod::Reg => "reg", DidMethod::Ipw => "ipw", DidMethod::Dr => "dr" },
                "base_period": match a.base_period { Base::Varying => "varying", Base::Universal => "universal" },
                "alpha": a.alpha,
                "bootstrap": boot_json,
            });
            Ok(format!("{}\n", serde_json::to_string_pretty(&out)?))
        }
        Format::Csv => {
            let mut s = String::from("kind,group,time,event_time,att,se,ci_lower,ci_upper\n");
            for (c, se) in r.cells.iter().zip(&cell_se) {
                s += &format!(
                    "att_gt,{},{},{},{},{},{},{}\n",
                    c.group,
                    c.time,
                    c.time - c.group,
                    csv_num(c.att),
                    csv_num(*se),
                    csv_num(c.att - cell_crit * se),
                    csv_num(c.att + cell_crit * se)
                );
            }
            for (i, se) in agg.items.iter().zip(&item_se) {
                let (g, t, e) = match kind {
                    AggregationType::Group => (i.label.to_string(), String::new(), String::new()),
                    AggregationType::Dynamic => (String::new(), String::new(), i.label.to_string()),
                    _ => (String::new(), i.label.to_string(), String::new()),
                };
                s += &format!(
                    "{},{g},{t},{e},{},{},{},{}\n",
                    kind.name(),
                    csv_num(i.att),
                    csv_num(*se),
                    csv_num(i.att - item_crit * se),
                    csv_num(i.att + item_crit * se)
                );
            }
            s += &format!(
                "{}_overall,,,,{},{},{},{}\n",
                kind.name(),
                csv_num(agg.att),
                csv_num(agg_se),
                csv_num(agg.att - z * agg_se),
                csv_num(agg.att + z * agg_se)
            );
            Ok(s)
        }
    }
}

fn run_drdid(a: &DrdidArgs) -> anyhow::Result<String> {
    if !(a.alpha > 0.0 && a.alpha < 1.0) {
        bail!("--alpha must be strictly between 0 and 1");
    }
    let method = DrDidMethod::parse(&a.method)?;
    let t = Table::read(&a.input)?;
    let (unit, names) = t.unit_codes(&a.id)?;
    let time = t.i64s(&a.time)?;
    let treat = t.f64s(&a.treat)?;
    let y = t.f64s(&a.y)?;
    let covs: Vec<Vec<f64>> = a
        .covariates
        .iter()
        .map(|c| t.f64s(c))
        .collect::<anyhow::Result<_>>()?;
    let mut times = time.clone();
    times.sort_unstable();
    times.dedup();
    if times.len() != 2 {
        bail!(
            "{}: column `{}` must have exactly two periods, found {}",
            a.input.display(),
            a.time,
            times.len()
        );
    }
    let n = names.len();
    let mut y0 = vec![f64::NAN; n];
    let mut y1 = vec![f64::NAN; n];
    let mut d = vec![None; n];
    let mut x = vec![vec![f64::NAN; n]; covs.len()];
    for r in 0..unit.len() {
        let u = unit[r] as usize;
        let line = r + 2;
        let post = time[r] == times[1];
        let slot = if post { &mut y1[u] } else { &mut y0[u] };
        if !slot.is_nan() {
            bail!(
                "{}: line {line}: unit `{}` appears twice in period {}",
                a.input.display(),
                names[u],
                time[r]
            );
        }
        *slot = y[r];
        let v = treat[r];
        let di = if v == 1.0 {
            true
        } else if v == 0.0 {
            false
        } else {
            bail!(
                "{}: line {line}, column `{}`: treatment must be 0 or 1, got {v}",
                a.input.display(),
                a.treat
            )
        };
        match d[u] {
            None => d[u] = Some(di),
            Some(prev) if prev != di => {
                bail!(
                    "{}: line {line}: treatment of unit `{}` changes between periods",
                    a.input.display(),
                    names[u]
                )
            }
            _ => {}
        }
        if !post {
            for (c, col) in covs.iter().enumerate() {
                x[c][u] = col[r];
            }
        }
    }
    if let Some(u) = (0..n).find(|&u| y0[u].is_nan() || y1[u].is_nan()) {
        bail!(
            "{}: unit `{}` is not observed in both periods (the panel must be balanced)",
            a.input.display(),
            names[u]
        );
    }
    let d: Vec<bool> = d.into_iter().map(|v| v.unwrap_or(false)).collect();
    let xr: Vec<&[f64]> = x.iter().map(Vec::as_slice).collect();
    let p = TwoPeriodPanel::new(&y1, &y0, &d, &xr)?;
    let e = drdid::estimate(&p, method)?;
    let (lo, hi) = e.ci(a.alpha);
    match a.format {
        Format::Json => {
            let out = json!({"att": num(e.att), "se": num(e.se), "ci_lower": num(lo), "ci_upper": num(hi),
                "n": e.n, "n_treated": e.n_treated, "method": method.name(), "alpha": a.alpha});
            Ok(format!("{}\n", serde_json::to_string_pretty(&out)?))
        }
        Format::Csv => Ok(format!(
            "method,att,se,ci_lower,ci_upper,n,n_treated\n{},{},{},{},{},{},{}\n",
            method.name(),
            csv_num(e.att),
            csv_num(e.se),
            csv_num(lo),
            csv_num(hi),
            e.n,
            e.n_treated
        )),
    }
}

fn run_synth(a: &SynthArgs) -> anyhow::Result<String> {
    let t = Table::read(&a.input)?;
    let (unit, names) = t.unit_codes(&a.unit)?;
    let time = t.i64s(&a.time)?;
    let y = t.f64s(&a.y)?;
    let treated = names
        .iter()
        .position(|s| *s == a.treated)
        .with_context(|| {
            format!(
                "{}: treated unit `{}` not found in column `{}`",
                a.input.display(),
                a.treated,
                a.unit
            )
        })?;
    let panel = synth::SynthPanel::from_long(&unit, &time, &y, treated as u64, a.from)?;
    let method = match a.method {
        SynthMethod::Sc => synth::SynthMethod::Sc,
        SynthMethod::Sdid => synth::SynthMethod::Sdid,
        SynthMethod::Did => synth::SynthMethod::Did,
    };
    let est = synth::estimate(&panel, method)?;
    let se = if a.placebo > 0 {
        synth::placebo_se(&panel, method, a.placebo, a.seed)?
    } else {
        f64::NAN
    };
    let z = norm_quantile(0.975);
    let control_names: Vec<&str> = panel
        .control_ids()
        .iter()
        .map(|&u| names[u as usize].as_str())
        .collect();
    match a.format {
        Format::Json => {
            let mut w = serde_json::Map::new();
            for (name, wt) in control_names.iter().zip(&est.unit_weights) {
                w.insert((*name).to_owned(), json!(wt));
            }
            let mut tw = serde_json::Map::new();
            for (t, wt) in panel.pre_times().iter().zip(&est.time_weights) {
                tw.insert(t.to_string(), json!(wt));
            }
            let out = json!({"att": num(est.att), "se": num(se), "ci_lower": num(est.att - z * se),
                "ci_upper": num(est.att + z * se), "method": match a.method { SynthMethod::Sc => "sc", SynthMethod::Sdid => "sdid", SynthMethod::Did => "did" },
                "weights": w, "time_weights": tw, "n_controls": control_names.len(),
                "n_pre": panel.pre_times().len(), "n_post": panel.n_post(), "placebo": a.placebo});
            Ok(format!("{}\n", serde_json::to_string_pretty(&out)?))
        }
        Format::Csv => {
            let mut s = format!(
                "kind,key,value\natt,,{}\nse,,{}\n",
                csv_num(est.att),
                csv_num(se)
            );
            for (name, wt) in control_names.iter().zip(&est.unit_weights) {
                s += &format!("unit_weight,{name},{wt}\n");
            }
            for (t, wt) in panel.pre_times().iter().zip(&est.time_weights) {
                s += &format!("time_weight,{t},{wt}\n");
            }
            Ok(s)
        }
    }
}

fn run_target(a: &TargetArgs) -> anyhow::Result<String> {
    let t = Table::read(&a.input)?;
    let ind = t.strings("indicator")?;
    let pol = t.strings("polarity")?;
    let year = t.i64s("year")?;
    let tgt = t.f64s("target")?;
    let act_raw = t.strings("actual")?;
    let base = t.col("baseline").ok();
    let base_year = t.col("baseline_year").ok();
    let bands = target::Bands::parse(&a.bands)?;
    let formula = if a.lower_formula == "difference" {
        target::LowerFormula::Difference
    } else {
        target::LowerFormula::Inverse
    };
    let mut order: Vec<String> = Vec::new();
    let mut map: HashMap<String, target::Indicator> = HashMap::new();
    for r in 0..t.rows.len() {
        let line = r + 2;
        let polarity = target::Polarity::parse(pol[r])
            .with_context(|| format!("{}: line {line}", a.input.display()))?;
        let actual = if act_raw[r].is_empty() {
            None
        } else {
            Some(
                act_raw[r]
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .with_context(|| {
                        format!(
                            "{}: line {line}, column `actual`: `{}` is not a number",
                            a.input.display(),
                            act_raw[r]
                        )
                    })?,
            )
        };
        let parse_opt = |c: Option<usize>, name: &str| -> anyhow::Result<Option<f64>> {
            match c.map(|c| t.rows[r].get(c).map_or("", String::as_str)) {
                None | Some("") => Ok(None),
                Some(s) => s.parse::<f64>().map(Some).with_context(|| {
                    format!(
                        "{}: line {line}, column `{name}`: `{s}` is not a number",
                        a.input.display()
                    )
                }),
            }
        };
        let b = parse_opt(base, "baseline")?;
        let by = parse_opt(base_year, "baseline_year")?.map(|v| v as i64);
        let e = map.entry(ind[r].to_owned()).or_insert_with(|| {
            order.push(ind[r].to_owned());
            target::Indicator {
                name: ind[r].to_owned(),
                polarity,
                baseline: None,
                years: vec![],
            }
        });
        if e.polarity != polarity {
            bail!(
                "{}: line {line}: indicator `{}` changes polarity",
                a.input.display(),
                ind[r]
            );
        }
        if let Some(b) = b {
            e.baseline = Some((by.unwrap_or(year[r] - 1), b));
        }
        e.years.push(target::YearValue {
            year: year[r],
            target: tgt[r],
            actual,
        });
    }
    let mut reports = Vec::new();
    for name in &order {
        reports.push(target::evaluate(&map[name], a.plan_end, &bands, formula)?);
    }
    match a.format {
        Format::Json => {
            let v: Vec<Value> = reports
                .iter()
                .map(|r| {
                    json!({"indicator": r.name, "polarity": r.polarity.name(),
                    "years": r.years.iter().map(|y| json!({"year": y.year, "target": y.target, "actual": y.actual,
                        "achievement_pct": y.achievement.map(num), "band": y.band, "gap": y.gap.map(num)})).collect::<Vec<_>>(),
                    "projection": r.projection.as_ref().map(|p| json!({"year": p.year, "value": num(p.value),
                        "target": num(p.target), "achievement_pct": num(p.achievement), "band": p.band, "on_track": p.on_track}))})
                })
                .collect();
            Ok(format!(
                "{}\n",
                serde_json::to_string_pretty(&json!({"indicators": v}))?
            ))
        }
        Format::Csv => {
            let mut s =
                String::from("indicator,polarity,year,target,actual,achievement_pct,band,gap\n");
            for r in &reports {
                for y in &r.years {
                    s += &format!(
                        "{},{},{},{},{},{},{},{}\n",
                        csv_field(&r.name),
                        r.polarity.name(),
                        y.year,
                        y.target,
                        y.actual.map(|v| v.to_string()).unwrap_or_default(),
                        y.achievement.map(csv_num).unwrap_or_default(),
                        y.band.clone().unwrap_or_default(),
                        y.gap.map(csv_num).unwrap_or_default()
                    );
                }
            }
            Ok(s)
        }
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
