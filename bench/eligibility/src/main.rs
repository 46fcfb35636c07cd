//! Eligibility benchmark data and the Rust side of the benchmark.
//!
//! `bench_eligibility gen DIR` writes `households.parquet` and `persons.parquet`
//! (for DuckDB); `bench_eligibility run DIR RUNS THREADS` builds the same data
//! in memory as a columnar snapshot and times the count per district of
//! `desil <= 4 and kepala.jenis_kelamin == "P" and any(anggota, umur >= 18 and umur <= 55)`.
//!
//! Data: 2,500,000 households, 10,000,000 persons (sizes in pairs s, 8 - s with
//! s in 1..=7, so exactly 4 per household on average), 300 districts of 10 villages,
//! deciles uniform 1-10, a head first in every household (a woman in about 1 in 5),
//! ages 0-89, from a fixed-seed xorshift generator: the same every run.

use std::fs::File;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{ArrayRef, Int8Array, Int16Array, Int32Array, RecordBatch};
use sejahtera_domain::RegionCode;
use sejahtera_domain::eligibility::{Program, Snapshot};

const HOUSEHOLDS: usize = 2_500_000;
const DISTRICTS: usize = 300;
const VILLAGES_PER_DISTRICT: usize = 10;
/// The expression of the issue.
pub const EXPR: &str =
    "desil <= 4 and kepala.jenis_kelamin == \"P\" and any(anggota, umur >= 18 and umur <= 55)";

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Generates the data as rows of plain columns.
struct Data {
    hh_village: Vec<u32>,
    hh_desil: Vec<u8>,
    p_hh: Vec<u32>,
    p_sex: Vec<u8>, // 1 = L, 2 = P
    p_rel: Vec<u8>, // 1 = kepala, 2 = istri, 4 = anak
    p_age: Vec<i16>,
}

fn generate() -> Data {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut d = Data {
        hh_village: Vec::with_capacity(HOUSEHOLDS),
        hh_desil: Vec::with_capacity(HOUSEHOLDS),
        p_hh: Vec::with_capacity(4 * HOUSEHOLDS),
        p_sex: Vec::with_capacity(4 * HOUSEHOLDS),
        p_rel: Vec::with_capacity(4 * HOUSEHOLDS),
        p_age: Vec::with_capacity(4 * HOUSEHOLDS),
    };
    let mut pair = 0u64;
    for h in 0..HOUSEHOLDS {
        let size = if h % 2 == 0 {
            pair = 1 + r.below(7);
            pair
        } else {
            8 - pair
        };
        d.hh_village
            .push(r.below((DISTRICTS * VILLAGES_PER_DISTRICT) as u64) as u32);
        d.hh_desil.push(1 + r.below(10) as u8);
        let head_female = r.below(5) == 0;
        for m in 0..size {
            d.p_hh.push(h as u32);
            let (sex, rel, age) = if m == 0 {
                (if head_female { 2 } else { 1 }, 1, 20 + r.below(70) as i16)
            } else {
                (
                    1 + r.below(2) as u8,
                    if m == 1 { 2 } else { 4 },
                    r.below(90) as i16,
                )
            };
            d.p_sex.push(sex);
            d.p_rel.push(rel);
            d.p_age.push(age);
        }
    }
    d
}

fn district_of_village(v: usize) -> usize {
    v / VILLAGES_PER_DISTRICT
}

fn village_code(v: usize) -> RegionCode {
    let d = district_of_village(v);
    // 30 regencies of 10 districts, 10 villages each.
    let code = format!(
        "53.{:02}.{:02}.{}",
        d / 10 + 1,
        d % 10 + 1,
        1001 + v % VILLAGES_PER_DISTRICT
    );
    RegionCode::parse(&code).expect("valid code")
}

fn snapshot(d: &Data) -> Snapshot {
    let mut s = Snapshot::new();
    for v in 0..DISTRICTS * VILLAGES_PER_DISTRICT {
        s.add_village(village_code(v));
    }
    let mut p = 0usize;
    for h in 0..d.hh_village.len() {
        s.push_household(d.hh_village[h], Some(d.hh_desil[h]), None, 0, [0; 8]);
        while p < d.p_hh.len() && d.p_hh[p] as usize == h {
            s.push_member(Some(d.p_age[p]), [d.p_sex[p], d.p_rel[p], 0, 0, 0, 0]);
            p += 1;
        }
    }
    s
}

fn write_parquet(path: &std::path::Path, batch: &RecordBatch) {
    let f = File::create(path).expect("create parquet");
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).expect("writer");
    w.write(batch).expect("write");
    w.close().expect("close");
}

fn gen_files(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let d = generate();
    let t = Instant::now();
    let n = d.hh_village.len();
    let mut size = vec![0i32; n];
    let mut head = vec![-1i32; n];
    for (p, &h) in d.p_hh.iter().enumerate() {
        size[h as usize] += 1;
        if d.p_rel[p] == 1 && head[h as usize] < 0 {
            head[h as usize] = p as i32;
        }
    }
    let hh = RecordBatch::try_from_iter([
        (
            "hh",
            Arc::new(Int32Array::from_iter_values(0..n as i32)) as ArrayRef,
        ),
        (
            "district",
            Arc::new(Int32Array::from_iter_values(
                d.hh_village
                    .iter()
                    .map(|&v| district_of_village(v as usize) as i32),
            )) as ArrayRef,
        ),
        (
            "village",
            Arc::new(Int32Array::from_iter_values(
                d.hh_village.iter().map(|&v| v as i32),
            )) as ArrayRef,
        ),
        (
            "desil",
            Arc::new(Int8Array::from_iter_values(
                d.hh_desil.iter().map(|&x| x as i8),
            )) as ArrayRef,
        ),
        ("head", Arc::new(Int32Array::from(head)) as ArrayRef),
        ("size", Arc::new(Int32Array::from(size)) as ArrayRef),
    ])
    .expect("households batch");
    write_parquet(&dir.join("households.parquet"), &hh);
    let np = d.p_hh.len();
    let persons = RecordBatch::try_from_iter([
        (
            "pid",
            Arc::new(Int32Array::from_iter_values(0..np as i32)) as ArrayRef,
        ),
        (
            "hh",
            Arc::new(Int32Array::from_iter_values(
                d.p_hh.iter().map(|&h| h as i32),
            )) as ArrayRef,
        ),
        (
            "jenis_kelamin",
            Arc::new(Int8Array::from_iter_values(
                d.p_sex.iter().map(|&x| x as i8),
            )) as ArrayRef,
        ),
        (
            "hubungan",
            Arc::new(Int8Array::from_iter_values(
                d.p_rel.iter().map(|&x| x as i8),
            )) as ArrayRef,
        ),
        (
            "umur",
            Arc::new(Int16Array::from(d.p_age.clone())) as ArrayRef,
        ),
    ])
    .expect("persons batch");
    write_parquet(&dir.join("persons.parquet"), &persons);
    eprintln!(
        "wrote {n} households and {np} persons to {} in {:.1} s",
        dir.display(),
        t.elapsed().as_secs_f64()
    );
}

/// CPU time (user + sys, all threads) of this process so far, from /proc/self/stat
/// (clock ticks of 1/100 s, the Linux default).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |x| x.1);
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    tick(11) + tick(12)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn run(dir: &std::path::Path, runs: usize, threads: usize) {
    let t = Instant::now();
    let d = generate();
    let s = snapshot(&d);
    drop(d);
    eprintln!(
        "snapshot: {} households, {} persons, built in {:.2} s",
        s.households(),
        s.persons(),
        t.elapsed().as_secs_f64()
    );
    let group_of_village: Vec<u32> = (0..s.villages.len())
        .map(|v| district_of_village(v) as u32)
        .collect();
    let mut times = Vec::new();
    let mut compile_times = Vec::new();
    let mut counts = Vec::new();
    let cpu0 = cpu_seconds();
    for i in 0..runs {
        let t0 = Instant::now();
        let program = Program::compile(EXPR).expect("expression");
        let t1 = Instant::now();
        let m = s.matches_threads(&program, threads);
        counts = s.count_by(&m, &group_of_village, DISTRICTS);
        let t2 = Instant::now();
        compile_times.push((t1 - t0).as_secs_f64());
        times.push((t2 - t1).as_secs_f64());
        eprintln!(
            "run {}: evaluate + count per district {:.4} s",
            i + 1,
            (t2 - t1).as_secs_f64()
        );
    }
    let cpu = cpu_seconds() - cpu0;
    let wall: f64 = times.iter().sum::<f64>() + compile_times.iter().sum::<f64>();
    println!("ours: CPU time of the {runs} timed runs {cpu:.2} s (user+sys) for {wall:.2} s wall");
    let total: (u64, u64) = counts.iter().fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
    println!(
        "ours: median {:.4} s (runs: {}), parse+check median {:.6} s, threads {threads}, matching households {}, persons {}",
        median(times.clone()),
        times
            .iter()
            .map(|t| format!("{t:.4}"))
            .collect::<Vec<_>>()
            .join(", "),
        median(compile_times),
        total.0,
        total.1
    );
    let mut w = String::from("district,households,persons\n");
    for (i, c) in counts.iter().enumerate() {
        w.push_str(&format!("{i},{},{}\n", c.0, c.1));
    }
    std::fs::write(dir.join("ours.csv"), w).expect("write ours.csv");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") => gen_files(std::path::Path::new(&args[2])),
        Some("run") => run(
            std::path::Path::new(&args[2]),
            args.get(3).and_then(|x| x.parse().ok()).unwrap_or(5),
            args.get(4).and_then(|x| x.parse().ok()).unwrap_or(2),
        ),
        _ => {
            eprintln!("usage: bench_eligibility gen DIR | run DIR [RUNS] [THREADS]");
            std::process::exit(2);
        }
    }
}
