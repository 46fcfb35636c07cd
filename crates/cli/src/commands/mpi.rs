//! `sejahtera mpi`: Alkire–Foster multidimensional poverty per group from a
//! CSV or Parquet file of 0/1 deprivation indicators.
//!
//! Output columns: the `--by` columns, then `n,population,poor_population,h,a,m0`,
//! then `censored_hc_<indicator>` for every indicator and
//! `contribution_<indicator>` for every indicator, in the order given.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use sejahtera_measure::{GroupedMpi, MeasureError, Mpi, MpiSpec, mpi, mpi_by};

use super::measure::{
    ALL, Cell, ColumnSpec, Format, Groups, OutputTable, TextColumn, read_columns, write_table,
};

/// Arguments of `sejahtera mpi`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Input file: `.csv` or `.parquet`, one row per person or household.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Deprivation indicator column (values 0 or 1) and its weight, e.g.
    /// `--indicator water=0.25`; repeat for every indicator. Weights sum to 1.
    #[arg(long = "indicator", value_name = "COL=WEIGHT", required = true, value_parser = parse_indicator)]
    pub indicators: Vec<(String, f64)>,
    /// Poverty cutoff k in (0, 1]: poor when the weighted deprivation score ≥ k.
    #[arg(long, value_name = "K")]
    pub cutoff: f64,
    /// Group by this column (repeatable).
    #[arg(long = "by", value_name = "COL")]
    pub by: Vec<String>,
    /// Column of sampling weights (> 0); every row weighs 1 without it.
    #[arg(long, value_name = "COL")]
    pub weight: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
}

fn parse_indicator(s: &str) -> Result<(String, f64), String> {
    let (col, w) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("`{s}`: expected COL=WEIGHT"))?;
    let w: f64 = w
        .trim()
        .parse()
        .map_err(|_| format!("`{s}`: weight `{w}` is not a number"))?;
    if col.is_empty() {
        return Err(format!("`{s}`: empty column name"));
    }
    Ok((col.to_owned(), w))
}

/// Runs `sejahtera mpi`.
pub async fn run(args: Args, _g: &crate::Global) -> anyhow::Result<ExitCode> {
    let spec = MpiSpec::new(args.indicators.clone(), args.cutoff).map_err(|e| anyhow!("{e}"))?;
    let mut specs: Vec<ColumnSpec> = args
        .indicators
        .iter()
        .map(|(c, _)| ColumnSpec::number(c))
        .collect();
    if let Some(w) = &args.weight {
        specs.push(ColumnSpec::number(w));
    }
    for b in &args.by {
        specs.push(ColumnSpec::text(b));
    }
    let mut data = read_columns(&args.input, &specs)?;
    let cols: Vec<Vec<f64>> = args
        .indicators
        .iter()
        .map(|(c, _)| data.take_number(c))
        .collect();
    let weight = args.weight.as_ref().map(|w| data.take_number(w));
    let by: Vec<(String, TextColumn)> = args
        .by
        .iter()
        .map(|b| (b.clone(), data.take_text(b)))
        .collect();
    let src = args.input.display().to_string();
    let table = mpi_table(
        &src,
        &spec,
        &cols,
        weight.as_deref(),
        &by,
        args.weight.as_deref(),
    )?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    write_table(&table, args.format, &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Computes the `sejahtera mpi` output table from in-memory columns.
pub fn mpi_table(
    source: &str,
    spec: &MpiSpec,
    deprivations: &[Vec<f64>],
    weight: Option<&[f64]>,
    by: &[(String, TextColumn)],
    weight_name: Option<&str>,
) -> anyhow::Result<OutputTable> {
    let refs: Vec<&[f64]> = deprivations.iter().map(|c| c.as_slice()).collect();
    let n = refs.first().map_or(0, |c| c.len());
    let describe = |e: MeasureError| match e {
        MeasureError::InvalidDeprivation {
            row,
            indicator,
            value,
        } => {
            anyhow!(
                "{source}: row {}, column `{indicator}`: {value} is not 0 or 1",
                row + 1
            )
        }
        MeasureError::InvalidWeight { row, value } => anyhow!(
            "{source}: row {}, column `{}`: weight {value} is not a finite positive number",
            row + 1,
            weight_name.unwrap_or("weight")
        ),
        other => anyhow!("{source}: {other}"),
    };
    let groups = Groups::new(by, n);
    let result = if by.is_empty() {
        GroupedMpi {
            groups: vec![],
            total: mpi(spec, &refs, weight).map_err(describe)?,
        }
    } else {
        mpi_by(spec, &refs, weight, &groups.codes, groups.keys.len()).map_err(describe)?
    };
    let mut columns: Vec<String> = by.iter().map(|(b, _)| b.clone()).collect();
    columns.extend(["n", "population", "poor_population", "h", "a", "m0"].map(String::from));
    columns.extend(spec.names().iter().map(|c| format!("censored_hc_{c}")));
    columns.extend(spec.names().iter().map(|c| format!("contribution_{c}")));
    let mut rows = Vec::new();
    for g in groups.sorted() {
        if let Some(m) = &result.groups[g] {
            rows.push(mpi_row(
                groups.keys[g]
                    .iter()
                    .map(|k| Cell::Text(k.clone()))
                    .collect(),
                m,
            ));
        }
    }
    let all: Vec<Cell> = by.iter().map(|_| Cell::Text(ALL.to_owned())).collect();
    match &result.total {
        Some(m) => rows.push(mpi_row(all, m)),
        None => {
            if n != 0 {
                bail!("{source}: no result for {n} rows");
            }
            let mut row = all;
            row.push(Cell::Count(0));
            row.extend((1..columns.len() - by.len()).map(|_| Cell::Empty));
            rows.push(row);
        }
    }
    Ok(OutputTable { columns, rows })
}

fn num(x: f64) -> Cell {
    if x.is_finite() {
        Cell::Number(x)
    } else {
        Cell::Empty
    }
}

fn mpi_row(mut row: Vec<Cell>, m: &Mpi) -> Vec<Cell> {
    row.push(Cell::Count(m.n));
    row.extend([m.population, m.poor_population, m.h].map(num));
    row.push(m.a.map_or(Cell::Empty, num));
    row.push(num(m.m0));
    row.extend(m.censored_headcount.iter().map(|&c| num(c)));
    row.extend(m.contribution.iter().map(|c| c.map_or(Cell::Empty, num)));
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicator_argument_parses_col_equals_weight() {
        assert_eq!(parse_indicator("water=0.25"), Ok(("water".into(), 0.25)));
        assert!(parse_indicator("water").is_err());
        assert!(parse_indicator("water=x").is_err());
    }

    #[test]
    fn mpi_table_has_one_row_per_group_then_all() {
        let spec = MpiSpec::new(vec![("a".into(), 0.5), ("b".into(), 0.5)], 0.5).unwrap();
        let cols = vec![vec![1.0, 0.0, 1.0], vec![0.0, 0.0, 1.0]];
        let by = vec![("v".to_owned(), TextColumn::from_values(["y", "x", "y"]))];
        let t = mpi_table("t", &spec, &cols, None, &by, None).unwrap();
        assert_eq!(
            t.columns[..7],
            ["v", "n", "population", "poor_population", "h", "a", "m0"].map(String::from)
        );
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[0][0], Cell::Text("x".into()));
        assert_eq!(t.rows[0][4], Cell::Number(0.0));
        assert_eq!(t.rows[0][5], Cell::Empty);
        assert_eq!(t.rows[1][4], Cell::Number(1.0));
        assert_eq!(t.rows[2][0], Cell::Text("(all)".into()));
    }

    #[test]
    fn non_binary_indicator_names_row_and_column() {
        let spec = MpiSpec::new(vec![("a".into(), 1.0)], 0.5).unwrap();
        let e = mpi_table("f.csv", &spec, &[vec![0.0, 2.0]], None, &[], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 2") && e.contains("`a`"), "{e}");
    }
}
