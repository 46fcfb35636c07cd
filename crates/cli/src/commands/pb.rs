//! `sejahtera pb`: participatory budgeting on Pabulib `.pb` files.
//!
//! `pb solve FILE.pb --rule greedy|mes|phragmen [--completion none|add1|greedy]
//! [--sat cost|cardinality|points] [--format json|table]` runs a rule and prints the funded
//! projects with an explanation for every project; `pb convert` turns a `.pb` file into a
//! JSON (meta + projects) and CSV (votes) pair for spreadsheets, and back.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use sejahtera_pb::number::{Q, format_decimal};
use sejahtera_pb::{Completion, Options, Rule, Satisfaction, explain, pabulib};

/// Participatory budgeting (Pabulib .pb files): solve with a rule, convert formats.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run a rule on a .pb file and explain the outcome.
    Solve(SolveArgs),
    /// Convert between .pb and a JSON (meta + projects) / CSV (votes) pair.
    Convert(ConvertArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RuleArg {
    Greedy,
    Mes,
    Phragmen,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CompletionArg {
    None,
    Add1,
    Greedy,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SatArg {
    Cost,
    Cardinality,
    Points,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Table,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Lang {
    Id,
    En,
}

#[derive(Debug, clap::Args)]
struct SolveArgs {
    /// The .pb file.
    file: PathBuf,
    /// The rule.
    #[arg(long, value_enum)]
    rule: RuleArg,
    /// Completion of MES (ignored by the other rules).
    #[arg(long, value_enum, default_value = "none")]
    completion: CompletionArg,
    /// Satisfaction measure; default: points for cumulative/scoring ballots, cost otherwise.
    #[arg(long, value_enum)]
    sat: Option<SatArg>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Language of the table's explanations (JSON carries both).
    #[arg(long, value_enum, default_value = "id")]
    lang: Lang,
    /// Print read+parse and rule times (milliseconds) to standard error.
    #[arg(long)]
    timings: bool,
}

#[derive(Debug, clap::Args)]
struct ConvertArgs {
    /// Input: a .pb file, or a .json file (meta + projects) with its votes CSV.
    input: PathBuf,
    /// Output: for a .pb input, the .json path (the .csv is written next to it with the same
    /// stem); for a .json input, the .pb path ("-" or absent: standard output).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Votes CSV for a .json input (default: same stem as the input, extension .csv).
    #[arg(long)]
    votes: Option<PathBuf>,
}

/// Runs `sejahtera pb`.
pub async fn run(args: Args, _g: &crate::Global) -> anyhow::Result<ExitCode> {
    match args.cmd {
        Cmd::Solve(a) => solve(a),
        Cmd::Convert(a) => convert(a),
    }
}

fn read(path: &Path) -> anyhow::Result<pabulib::Election> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    // The parser keeps the text (no copy of the VOTES section).
    pabulib::parse_owned(text).with_context(|| format!("{}", path.display()))
}

fn num(q: &Q) -> serde_json::Value {
    if q.is_integer()
        && let Ok(n) = format_decimal(q).parse::<i64>()
    {
        return n.into();
    }
    serde_json::Number::from_f64(sejahtera_pb::number::to_f64(q))
        .map(Into::into)
        .unwrap_or(serde_json::Value::Null)
}

fn solve(a: SolveArgs) -> anyhow::Result<ExitCode> {
    let c0 = thread_cpu_ns();
    let t0 = std::time::Instant::now();
    let e = read(&a.file)?;
    let t_parse = t0.elapsed();
    let c1 = thread_cpu_ns();
    let rule = match a.rule {
        RuleArg::Greedy => Rule::Greedy,
        RuleArg::Mes => Rule::Mes,
        RuleArg::Phragmen => Rule::Phragmen,
    };
    let completion = match a.completion {
        CompletionArg::None => Completion::None,
        CompletionArg::Add1 => Completion::Add1,
        CompletionArg::Greedy => Completion::Greedy,
    };
    let sat = match a.sat {
        Some(SatArg::Cost) => Satisfaction::Cost,
        Some(SatArg::Cardinality) => Satisfaction::Cardinality,
        Some(SatArg::Points) => Satisfaction::Points,
        None => Satisfaction::default_for(e.vote_type),
    };
    let out = sejahtera_pb::solve(
        &e,
        &Options {
            rule,
            sat,
            completion,
        },
    )
    .with_context(|| format!("{}", a.file.display()))?;
    let t_rule = t0.elapsed() - t_parse;
    let c2 = thread_cpu_ns();
    if a.timings {
        eprintln!(
            "timings: parse_ms={:.3} rule_ms={:.3} mes_iterations={} exact_fallbacks={} cpu_parse_ms={:.3} cpu_rule_ms={:.3}",
            t_parse.as_secs_f64() * 1e3,
            t_rule.as_secs_f64() * 1e3,
            out.mes_iterations,
            out.exact_fallbacks,
            (c1 - c0) as f64 / 1e6,
            (c2 - c1) as f64 / 1e6
        );
    }
    let expl = explain::explain(&e, &out);
    let selected: Vec<&str> = out
        .selected()
        .iter()
        .map(|&p| e.projects[p].id.as_str())
        .collect();
    let rule_name = match a.rule {
        RuleArg::Greedy => "greedy",
        RuleArg::Mes => "mes",
        RuleArg::Phragmen => "phragmen",
    };
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    match a.format {
        Format::Json => {
            let v = serde_json::json!({
                "rule": rule_name,
                "selected": selected,
                "total_cost": num(&out.total_cost),
                "budget": num(&e.budget),
                "explanations": expl,
            });
            serde_json::to_writer(&mut w, &v)?;
            writeln!(w)?;
        }
        Format::Table => {
            let id = matches!(a.lang, Lang::Id);
            writeln!(
                w,
                "{} {rule_name} · {} · {}: {} / {}",
                if id { "aturan" } else { "rule" },
                sat.pabutools_name(),
                if id {
                    "total biaya / anggaran"
                } else {
                    "total cost / budget"
                },
                format_decimal(&out.total_cost),
                format_decimal(&e.budget)
            )?;
            writeln!(
                w,
                "{:>4}  {:<12} {:>14} {:>10}  name",
                "#", "project", "cost", "supporters"
            )?;
            for (i, &p) in out.selected().iter().enumerate() {
                let pr = &e.projects[p];
                writeln!(
                    w,
                    "{:>4}  {:<12} {:>14} {:>10}  {}",
                    i + 1,
                    pr.id,
                    format_decimal(&pr.cost),
                    out.supporters[p],
                    e.project_name(p)
                )?;
            }
            writeln!(w)?;
            for x in &expl {
                writeln!(w, "- {}", if id { &x.text_id } else { &x.text_en })?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn convert(a: ConvertArgs) -> anyhow::Result<ExitCode> {
    let ext = a
        .input
        .extension()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "pb" => {
            let e = read(&a.input)?;
            let json_path = a
                .out
                .clone()
                .unwrap_or_else(|| a.input.with_extension("json"));
            let csv_path = json_path.with_extension("csv");
            let meta: serde_json::Map<String, serde_json::Value> = e
                .meta
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect();
            let projects: Vec<serde_json::Value> = e
                .projects
                .iter()
                .map(|p| {
                    let m: serde_json::Map<String, serde_json::Value> = e
                        .project_columns
                        .iter()
                        .zip(&p.values)
                        .map(|(c, v)| (c.clone(), v.clone().into()))
                        .collect();
                    serde_json::Value::Object(m)
                })
                .collect();
            let doc = serde_json::json!({
                "meta": meta,
                "project_columns": e.project_columns,
                "projects": projects,
            });
            std::fs::write(&json_path, serde_json::to_string_pretty(&doc)? + "\n")
                .with_context(|| format!("cannot write {}", json_path.display()))?;
            let mut wtr = csv::Writer::from_path(&csv_path)
                .with_context(|| format!("cannot write {}", csv_path.display()))?;
            wtr.write_record(&e.vote_columns)?;
            for i in 0..e.votes.len() {
                wtr.write_record(e.vote_row(i))?;
            }
            wtr.flush()?;
            eprintln!("wrote {} and {}", json_path.display(), csv_path.display());
        }
        "json" => {
            let text = std::fs::read_to_string(&a.input)
                .with_context(|| format!("cannot read {}", a.input.display()))?;
            let doc: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not valid JSON", a.input.display()))?;
            let votes_path = a
                .votes
                .clone()
                .unwrap_or_else(|| a.input.with_extension("csv"));
            let s = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => "None".to_owned(),
                other => other.to_string(),
            };
            let q = |f: &str| {
                if f.contains([';', '"']) {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f.to_owned()
                }
            };
            let mut pb = String::from("META\nkey;value\n");
            let Some(meta) = doc.get("meta").and_then(|m| m.as_object()) else {
                bail!("{}: missing object `meta`", a.input.display());
            };
            for (k, v) in meta {
                pb.push_str(&format!("{};{}\n", q(k), q(&s(v))));
            }
            let Some(projects) = doc.get("projects").and_then(|m| m.as_array()) else {
                bail!("{}: missing array `projects`", a.input.display());
            };
            let cols: Vec<String> = match doc.get("project_columns").and_then(|c| c.as_array()) {
                Some(c) => c.iter().map(&s).collect(),
                None => {
                    let mut c = vec!["project_id".to_owned(), "cost".to_owned()];
                    for p in projects {
                        for k in p
                            .as_object()
                            .map(|o| o.keys().cloned().collect::<Vec<_>>())
                            .unwrap_or_default()
                        {
                            if !c.contains(&k) {
                                c.push(k);
                            }
                        }
                    }
                    c
                }
            };
            pb.push_str("PROJECTS\n");
            pb.push_str(&cols.iter().map(|c| q(c)).collect::<Vec<_>>().join(";"));
            pb.push('\n');
            for (i, p) in projects.iter().enumerate() {
                let row: Vec<String> = cols
                    .iter()
                    .map(|c| p.get(c).map(&s).unwrap_or_else(|| "None".to_owned()))
                    .map(|v| q(&v))
                    .collect();
                if p.get("project_id").is_none() {
                    bail!(
                        "{}: project #{} has no `project_id`",
                        a.input.display(),
                        i + 1
                    );
                }
                pb.push_str(&row.join(";"));
                pb.push('\n');
            }
            let mut rdr = csv::Reader::from_path(&votes_path)
                .with_context(|| format!("cannot read {}", votes_path.display()))?;
            let header: Vec<String> = rdr.headers()?.iter().map(str::to_owned).collect();
            pb.push_str("VOTES\n");
            pb.push_str(&header.iter().map(|c| q(c)).collect::<Vec<_>>().join(";"));
            pb.push('\n');
            for (i, rec) in rdr.records().enumerate() {
                let rec =
                    rec.with_context(|| format!("{}: row {}", votes_path.display(), i + 2))?;
                pb.push_str(&rec.iter().map(q).collect::<Vec<_>>().join(";"));
                pb.push('\n');
            }
            // Validate by parsing, then write the canonical form.
            let e = pabulib::parse(&pb).map_err(|err| match err {
                sejahtera_pb::PbError::Parse {
                    line,
                    column,
                    reason,
                } => {
                    let meta_lines = 2 + meta.len();
                    let proj_lines = 2 + projects.len();
                    let place = if line <= meta_lines {
                        format!("{}: meta", a.input.display())
                    } else if line <= meta_lines + proj_lines {
                        format!("{}: project #{}", a.input.display(), line - meta_lines - 2)
                    } else {
                        format!(
                            "{}: row {}",
                            votes_path.display(),
                            line - meta_lines - proj_lines - 1
                        )
                    };
                    anyhow::anyhow!(
                        "{place}{}: {reason}",
                        column
                            .map(|c| format!(", column `{c}`"))
                            .unwrap_or_default()
                    )
                }
                other => anyhow::anyhow!("{}: {other}", a.input.display()),
            })?;
            let text = pabulib::write(&e);
            match a.out.as_deref() {
                None => std::io::stdout().write_all(text.as_bytes())?,
                Some(p) if p == Path::new("-") => std::io::stdout().write_all(text.as_bytes())?,
                Some(p) => std::fs::write(p, text)
                    .with_context(|| format!("cannot write {}", p.display()))?,
            }
        }
        _ => bail!("{}: expected a .pb or .json file", a.input.display()),
    }
    Ok(ExitCode::SUCCESS)
}

/// CPU time of the calling thread in nanoseconds (Linux `/proc/thread-self/schedstat`), for
/// `--timings` on a shared machine where wall time is inflated by other processes.
///
/// The kernel brings that figure up to date only at a scheduler tick or switch (up to 4 ms old,
/// as long as the rule on a large file); `yield_now` makes it switch first.
fn thread_cpu_ns() -> u64 {
    std::thread::yield_now();
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
