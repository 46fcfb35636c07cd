//! Benchmark helper for `bench/ledger/run.sh` (not part of the library).
//!
//! * `gen N` — writes N JSON events of about 300 canonical bytes, one per line, to stdout;
//! * `hash SECONDS` — single-core leaf-hash throughput on 301-byte inputs (0x00 || 300-byte
//!   entry) and node-hash throughput, in MB/s of hashed input;
//! * `prove DIR COUNT` — inclusion proofs for COUNT random entries from the tiles of the log
//!   at DIR; prints the median and 99th percentile latency in microseconds;
//! * `append DIR FILE` — the pipeline of `sejahtera ledger append` (a reader thread parses and
//!   canonicalizes each JSON line, the main thread group-commits up to 65,536 entries per
//!   fsync round) on an existing log; `-` reads standard input;
//! * `verify DIR` — `verify_log`, as `sejahtera ledger verify` runs it.

use std::io::Write;
use std::time::Instant;

use std::io::BufRead;
use std::sync::mpsc;

use sejahtera_ledger::{Event, FileLog, LogReader, leaf_hash, node_hash, verify_log};

fn append(dir: &std::path::Path, file: &str) -> u64 {
    let (mut log, _) = FileLog::open(dir).expect("open log");
    let input: Box<dyn std::io::Read + Send> = if file == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(file).expect("open input"))
    };
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(65_536);
    let reader = std::thread::spawn(move || {
        let r = std::io::BufReader::with_capacity(1 << 20, input);
        for (n, line) in r.lines().enumerate() {
            let line = line.expect("read");
            if line.trim().is_empty() {
                continue;
            }
            let ev = Event::parse_json(&line).unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
            if tx.send(ev.canonical_bytes()).is_err() {
                return;
            }
        }
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut group = Vec::new();
    while let Ok(first) = rx.recv() {
        group.push(first);
        while group.len() < 65_536 {
            match rx.try_recv() {
                Ok(e) => group.push(e),
                Err(_) => break,
            }
        }
        for i in log.append(&group).expect("append") {
            writeln!(out, "{i}").expect("write");
        }
        out.flush().expect("flush");
        group.clear();
    }
    reader.join().expect("reader");
    log.size()
}

fn event(i: u64) -> String {
    format!(
        concat!(
            r#"{{"kind":"disbursement","time":"2026-{:02}-{:02}T{:02}:{:02}:{:02}Z","#,
            r#""actor":{{"role":"agency_operator","user":"u-{:06}"}},"#,
            r#""subjects":["hh:{:08x}.{:08x}","p:{:08x}.{:08x}"],"#,
            r#""amounts":{{"disbursed":{},"allocated":{}}},"#,
            r#""refs":["budget:1.02.03.{:04}","sp2d:2026/{:08}","program:pelatihan-nelayan-{:03}"]}}"#
        ),
        1 + i % 12,
        1 + i % 28,
        i % 24,
        i % 60,
        (i / 60) % 60,
        i % 997,
        i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32,
        i.wrapping_mul(0x9e37_79b9_7f4a_7c15) & 0xffff_ffff,
        i.wrapping_mul(0xc2b2_ae3d_27d4_eb4f) >> 32,
        i.wrapping_mul(0xc2b2_ae3d_27d4_eb4f) & 0xffff_ffff,
        250_000 + (i % 400) * 12_500,
        5_000_000 + (i % 77) * 100_000,
        i % 9973,
        i,
        i % 211,
    )
}

/// CPU time (user + system) of this process in seconds, from /proc/self/stat (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let f: Vec<f64> = rest.split(' ').map(|x| x.parse().unwrap_or(0.0)).collect();
    // fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command name; 100 ticks/s
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") => {
            let n: u64 = args[2].parse().expect("N");
            let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            for i in 0..n {
                writeln!(out, "{}", event(i)).expect("write");
            }
        }
        Some("hash") => {
            let secs: f64 = args.get(2).map_or(3.0, |s| s.parse().expect("seconds"));
            let entry = [0x5au8; 300];
            let cpu0 = cpu_seconds();
            let start = Instant::now();
            let mut n = 0u64;
            let mut acc = 0u8;
            while start.elapsed().as_secs_f64() < secs {
                for _ in 0..10_000 {
                    acc ^= leaf_hash(&entry).0[0];
                }
                n += 10_000;
            }
            let t = start.elapsed().as_secs_f64();
            let cpu = cpu_seconds() - cpu0;
            println!("leaf_hash_301B_MBps {:.1}", n as f64 * 301.0 / t / 1e6);
            println!(
                "leaf_hash_301B_MBps_per_cpu_second {:.1} (cpu {cpu:.2} s of {t:.2} s)",
                n as f64 * 301.0 / cpu / 1e6
            );
            println!("leaf_hashes_per_s {:.0}", n as f64 / t);
            let mut h = leaf_hash(b"x");
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed().as_secs_f64() < secs {
                for _ in 0..10_000 {
                    h = node_hash(&h, &h);
                }
                n += 10_000;
            }
            let t = start.elapsed().as_secs_f64();
            println!("node_hash_65B_MBps {:.1}", n as f64 * 65.0 / t / 1e6);
            println!(
                "node_hashes_per_s {:.0} (check {} {})",
                n as f64 / t,
                acc,
                h.0[0]
            );
        }
        Some("prove") => {
            let dir = std::path::Path::new(&args[2]);
            let count: usize = args[3].parse().expect("COUNT");
            let r = LogReader::open(dir).expect("open log");
            let size = r.size();
            let mut x = 0x2545_f491_4f6c_dd1du64;
            let mut times = Vec::with_capacity(count);
            for _ in 0..count {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = x % size;
                let t = Instant::now();
                let p = r.prove_inclusion(i, None).expect("prove");
                times.push(t.elapsed().as_secs_f64() * 1e6);
                assert!(p.verify().is_ok());
            }
            times.sort_by(f64::total_cmp);
            println!(
                "prove_us median {:.1} p99 {:.1} (size {size}, {count} random entries)",
                times[count / 2],
                times[count * 99 / 100]
            );
        }
        Some("init") => {
            println!(
                "{}",
                FileLog::init(std::path::Path::new(&args[2]), &args[3]).expect("init")
            );
        }
        Some("append") => {
            let n = append(std::path::Path::new(&args[2]), &args[3]);
            eprintln!("log size {n}");
        }
        Some("verify") => {
            let rep = verify_log(std::path::Path::new(&args[2]), None).expect("verify");
            println!(
                "ok: {} entries, {} checkpoints, {} files",
                rep.size, rep.checkpoints, rep.files
            );
        }
        _ => {
            eprintln!(
                "usage: ledger_bench gen N | init DIR ORIGIN | hash SECONDS | prove DIR COUNT | append DIR FILE | verify DIR"
            );
            std::process::exit(2);
        }
    }
}
