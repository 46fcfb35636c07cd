//! Crashes: a child process appends in random group sizes and reports every acknowledged
//! size; the parent kills it with SIGKILL at random moments, many times. After each kill the
//! log must reopen, keep every acknowledged entry with its exact bytes, stay consistent with
//! every earlier acknowledged checkpoint, and verify.
//!
//! The child is this same test binary, re-run with `CRASH_CHILD_DIR` set so that
//! `crash_child_appender` does the appending.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sejahtera_ledger::{FileLog, LogReader, verify_log};

fn entry(i: u64) -> Vec<u8> {
    let pad = "abcdefghij".repeat(1 + (i % 29) as usize);
    format!("{{\"i\":{i},\"pad\":\"{pad}\"}}").into_bytes()
}

/// Not a test of its own: the body of the child process (does nothing unless
/// `CRASH_CHILD_DIR` is set).
#[test]
fn crash_child_appender() {
    let Ok(dir) = std::env::var("CRASH_CHILD_DIR") else {
        return;
    };
    let seed: u64 = std::env::var("CRASH_CHILD_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let (mut log, _) = FileLog::open(Path::new(&dir)).unwrap();
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    loop {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let n = 1 + (x >> 33) % 300;
        let from = log.size();
        let batch: Vec<Vec<u8>> = (from..from + n).map(entry).collect();
        let r = log.append(&batch).unwrap();
        println!("ack {}", r.end);
        if r.end > 200_000 {
            return;
        }
    }
}

#[test]
fn kill_9_during_appends_loses_no_acknowledged_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    FileLog::init(&dir, "crash.example/ledger").unwrap();
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let mut acked_total = 0u64;
    let mut prev: Option<(u64, sejahtera_ledger::Hash)> = None;
    let mut rounds = 0;
    let mut rng = 0x9e3779b97f4a7c15u64;
    while rounds < 25 && started.elapsed() < Duration::from_secs(25) {
        rounds += 1;
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child_appender",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CRASH_CHILD_DIR", &dir)
            .env("CRASH_CHILD_SEED", rounds.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line.strip_prefix("ack ") {
                    let _ = tx.send(n.parse::<u64>().unwrap());
                }
            }
        });
        // Wait for the first acknowledgement, then kill at a random moment.
        let first = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("child acknowledged nothing");
        let mut acked = first;
        std::thread::sleep(Duration::from_millis((rng >> 40) % 60));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        reader.join().unwrap();
        while let Ok(n) = rx.try_recv() {
            acked = acked.max(n);
        }
        assert!(acked >= acked_total);
        acked_total = acked;

        // Reopen: recovery cuts any torn tail; every acknowledged entry is there.
        let (log, _rec) = FileLog::open(&dir).unwrap();
        let size = log.size();
        assert!(
            size >= acked,
            "round {rounds}: size {size} < acknowledged {acked}"
        );
        drop(log);
        let r = LogReader::open(&dir).unwrap();
        for i in (0..size).step_by(97).chain(acked.saturating_sub(5)..size) {
            assert_eq!(r.entry(i).unwrap(), entry(i), "round {rounds}: entry {i}");
        }
        if let Some((old, old_root)) = prev {
            let c = r.prove_consistency(old, None).unwrap();
            assert_eq!(c.old_root, old_root, "round {rounds}: history rewritten");
            c.verify().unwrap();
        }
        prev = Some((size, r.root()));
        let report = verify_log(&dir, None).unwrap();
        assert_eq!(report.size, size);
        assert!(report.uncommitted.is_empty());
    }
    assert!(rounds >= 5, "only {rounds} rounds");
    assert!(acked_total > 0);
}
