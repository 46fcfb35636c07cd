//! Benchmark driver for `bench/measure/run.sh`.
//!
//! `bench_measure gen DIR ROWS GROUPS` writes deterministic synthetic columns
//! (raw little-endian files: income, weight, line as f64; group, cluster as
//! u32) to DIR. `bench_measure run DIR RUNS OUT.csv` loads them, measures every
//! group and the total RUNS times, prints the timings, the median and the peak
//! memory, and writes the indicators (group -1 is the total) to OUT.csv.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use sejahtera_measure::{Indicators, Line, Sample, measure_by};

/// SplitMix64: a small deterministic generator (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

fn write_f64(path: &Path, v: &[f64]) {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).expect("write column");
}

fn write_u32(path: &Path, v: &[u32]) {
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).expect("write column");
}

fn read_f64(path: &Path) -> Vec<f64> {
    let b = std::fs::read(path).expect("read column");
    b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect()
}

fn read_u32(path: &Path) -> Vec<u32> {
    let b = std::fs::read(path).expect("read column");
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect()
}

fn generate(dir: &Path, rows: usize, groups: u32) {
    std::fs::create_dir_all(dir).expect("create data dir");
    let mut rng = Rng(20_260_323);
    let effect: Vec<f64> = (0..groups).map(|_| 0.25 * rng.normal()).collect();
    let spread: Vec<f64> = (0..groups).map(|_| 0.45 + 0.3 * rng.uniform()).collect();
    let (mut y, mut w, mut z, mut g, mut c) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    for _ in 0..rows {
        let gi = (rng.next() % groups as u64) as u32;
        let k = (rng.next() % 20) as u32;
        // Monthly consumption per capita in whole Rupiah: lognormal around
        // Rp 900k, many ties; about 1 in 10,000 persons report zero.
        let inc = if rng.next().is_multiple_of(10_000) {
            0.0
        } else {
            (13.7 + effect[gi as usize] + spread[gi as usize] * rng.normal())
                .exp()
                .round()
        };
        y.push(inc);
        w.push(((20.0 + 480.0 * rng.uniform()) * 100.0).round() / 100.0);
        // Urban and rural poverty lines of the cluster.
        z.push(if k < 8 { 612_475.0 } else { 560_310.0 });
        g.push(gi);
        c.push(gi * 20 + k);
    }
    write_f64(&dir.join("income.f64"), &y);
    write_f64(&dir.join("weight.f64"), &w);
    write_f64(&dir.join("line.f64"), &z);
    write_u32(&dir.join("group.u32"), &g);
    write_u32(&dir.join("cluster.u32"), &c);
    println!("wrote {rows} rows in {groups} groups to {}", dir.display());
}

/// CPU seconds (user + system) of this process so far.
fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = s.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn vm_hwm_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn fmt(x: f64) -> String {
    if x == 0.0 { "0".into() } else { format!("{x}") }
}

fn opt(x: Option<f64>) -> String {
    x.map(fmt).unwrap_or_default()
}

fn row(g: i64, i: &Indicators) -> String {
    let mut cells = vec![
        g.to_string(),
        i.n.to_string(),
        fmt(i.population),
        fmt(i.mean),
        fmt(i.median),
    ];
    cells.extend(i.fgt.iter().map(|&x| fmt(x)));
    cells.extend(i.fgt_se.iter().map(|&x| fmt(x)));
    cells.extend([opt(i.gini), opt(i.theil_t), opt(i.mld)]);
    cells.extend(i.atkinson.iter().map(|&x| opt(x)));
    cells.push(opt(i.palma));
    cells.push(fmt(i.poor_population));
    cells.join(",")
}

fn run(dir: &Path, runs: usize, out: &Path) {
    let y = read_f64(&dir.join("income.f64"));
    let w = read_f64(&dir.join("weight.f64"));
    let z = read_f64(&dir.join("line.f64"));
    let g = read_u32(&dir.join("group.u32"));
    let c = read_u32(&dir.join("cluster.u32"));
    let n_groups = g.iter().max().map_or(0, |&m| m as usize + 1);
    let input_bytes = (y.len() + w.len() + z.len()) * 8 + (g.len() + c.len()) * 4;
    let base_kib = vm_hwm_kib().unwrap_or(0);
    let sample = Sample::new(&y, Line::PerRow(&z))
        .with_weight(&w)
        .with_cluster(&c);
    if std::env::var("PHASES").is_ok() {
        let c0 = cpu_seconds();
        sample.validate().unwrap();
        let c1 = cpu_seconds();
        println!("validate cpu {:.2}", c1 - c0);
        let _ = sejahtera_measure::measure(&sample).unwrap();
        let c2 = cpu_seconds();
        println!("total cpu {:.2}", c2 - c1);
        let s2 = Sample::new(&y, Line::PerRow(&z)).with_weight(&w);
        let _ = sejahtera_measure::measure(&s2).unwrap();
        let c3 = cpu_seconds();
        println!("total unclustered cpu {:.2}", c3 - c2);
        let mut pairs: Vec<(f64, f64)> = y.iter().zip(&w).map(|(a, b)| (*a, *b)).collect();
        let c4 = cpu_seconds();
        use rayon::prelude::*;
        pairs.par_sort_unstable_by_key(|p| p.0.to_bits());
        let c5 = cpu_seconds();
        println!("sort pairs cpu {:.2}", c5 - c4);
        let _ = measure_by(&sample, &g, n_groups).unwrap();
        let c6 = cpu_seconds();
        println!("measure_by cpu {:.2}", c6 - c5);
    }
    let mut times = Vec::new();
    let mut last = None;
    for r in 0..runs {
        let c0 = cpu_seconds();
        let t0 = Instant::now();
        let res = measure_by(&sample, &g, n_groups).expect("valid bench data");
        let dt = t0.elapsed().as_secs_f64();
        println!(
            "run {}: {:.3} s wall, {:.2} s CPU",
            r + 1,
            dt,
            cpu_seconds() - c0
        );
        times.push(dt);
        last = Some(res);
        // Free the previous result before the next run.
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let hwm = vm_hwm_kib().unwrap_or(0);
    println!(
        "rows {} groups {} threads {}",
        y.len(),
        n_groups,
        rayon::current_num_threads()
    );
    println!("median {median:.3} s");
    println!(
        "input columns {:.1} MiB; peak RSS {:.1} MiB (before measuring {:.1} MiB); peak / input = {:.2}",
        input_bytes as f64 / 1048576.0,
        hwm as f64 / 1024.0,
        base_kib as f64 / 1024.0,
        hwm as f64 * 1024.0 / input_bytes as f64
    );
    let res = last.expect("at least one run");
    let mut f = std::io::BufWriter::new(std::fs::File::create(out).expect("create output"));
    writeln!(f, "g,n,population,mean,median,p0,p1,p2,p0_se,p1_se,p2_se,gini,theil_t,mld,atkinson_0_5,atkinson_1,atkinson_2,palma,poor_population").expect("write");
    for (gi, ind) in res.groups.iter().enumerate() {
        if let Some(ind) = ind {
            writeln!(f, "{}", row(gi as i64, ind)).expect("write");
        }
    }
    if let Some(t) = &res.total {
        writeln!(f, "{}", row(-1, t)).expect("write");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") if args.len() == 5 => generate(
            Path::new(&args[2]),
            args[3].parse().expect("ROWS"),
            args[4].parse().expect("GROUPS"),
        ),
        Some("run") if args.len() == 5 => run(
            Path::new(&args[2]),
            args[3].parse().expect("RUNS"),
            Path::new(&args[4]),
        ),
        _ => {
            eprintln!(
                "usage: bench_measure gen DIR ROWS GROUPS | bench_measure run DIR RUNS OUT.csv"
            );
            std::process::exit(2);
        }
    }
}
