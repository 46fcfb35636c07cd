//! Minimal stand-alone solver with the argument shape of `sejahtera pb solve` (JSON output only),
//! for running the conformance script without building the whole CLI:
//! `cargo run --release --example pb_solve -- pb solve FILE.pb --rule mes --completion add1 --sat cost --timings`.

use std::time::Instant;

use sejahtera_pb::{Completion, Options, Rule, Satisfaction, pabulib, solve};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "pb" && a != "solve")
        .collect();
    let mut file = None;
    let (mut rule, mut completion, mut sat, mut timings) = (None, Completion::None, None, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().unwrap_or_default();
        match a.as_str() {
            "--rule" => rule = Some(val()),
            "--completion" => {
                completion = match val().as_str() {
                    "add1" => Completion::Add1,
                    "greedy" => Completion::Greedy,
                    _ => Completion::None,
                }
            }
            "--sat" => sat = Some(val()),
            "--format" => {
                val();
            }
            "--timings" => timings = true,
            other => file = Some(other.to_owned()),
        }
    }
    let Some(file) = file else {
        eprintln!(
            "usage: pb_solve FILE.pb --rule greedy|mes|phragmen [--completion none|add1|greedy] [--sat cost|cardinality|points]"
        );
        std::process::exit(2);
    };
    let c0 = thread_cpu_ns();
    let t0 = Instant::now();
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        eprintln!("error: {file}: {e}");
        std::process::exit(2)
    });
    let e = pabulib::parse_owned(text).unwrap_or_else(|err| {
        eprintln!("error: {file}: {err}");
        std::process::exit(2)
    });
    let t_parse = t0.elapsed();
    let c1 = thread_cpu_ns();
    let rule = match rule.as_deref() {
        Some("greedy") => Rule::Greedy,
        Some("phragmen") => Rule::Phragmen,
        _ => Rule::Mes,
    };
    let sat = match sat.as_deref() {
        Some("cost") => Satisfaction::Cost,
        Some("cardinality") => Satisfaction::Cardinality,
        Some("points") => Satisfaction::Points,
        _ => Satisfaction::default_for(e.vote_type),
    };
    let out = solve(
        &e,
        &Options {
            rule,
            sat,
            completion,
        },
    )
    .unwrap_or_else(|err| {
        eprintln!("error: {file}: {err}");
        std::process::exit(2)
    });
    let t_rule = t0.elapsed() - t_parse;
    let c2 = thread_cpu_ns();
    if timings {
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
    let ids: Vec<String> = out
        .selected()
        .iter()
        .map(|&p| format!("\"{}\"", e.projects[p].id.replace('"', "\\\"")))
        .collect();
    println!("{{\"selected\":[{}]}}", ids.join(","));
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
