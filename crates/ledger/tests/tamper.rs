//! Tampering: flipping any single byte of any file in a log directory is reported by
//! `verify_log` as a verification failure.

use std::fs;
use std::path::{Path, PathBuf};

use sejahtera_ledger::{FileLog, verify_log};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A small log with every kind of file: full and partial hash tiles on two levels, full and
/// partial entry bundles, a superseded partial tile and bundle, stored checkpoints, keys.
fn build(dir: &Path) {
    FileLog::init(dir, "tamper.example/ledger").unwrap();
    let (mut log, _) = FileLog::open(dir).unwrap();
    let mut next = 0u64;
    for to in [100u64, 200, 260, 300] {
        let batch: Vec<Vec<u8>> = (next..to).map(|i| format!("e{i}").into_bytes()).collect();
        log.append(&batch).unwrap();
        log.save_checkpoint().unwrap();
        next = to;
    }
}

#[test]
fn flipping_any_byte_of_any_file_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    build(&dir);
    verify_log(&dir, None).unwrap();
    let all = files(&dir);
    let rel: Vec<String> = all
        .iter()
        .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
        .collect();
    for want in [
        "tile/0/000",
        "tile/0/001.p/4",
        "tile/0/001.p/44",
        "tile/1/000.p/1",
        "tile/entries/000",
        "tile/entries/001.p/4",
        "checkpoint",
        "vkey",
        "private/signer.key",
    ] {
        assert!(
            rel.contains(&want.to_string()),
            "{want} missing from {rel:?}"
        );
    }
    let mut checked = 0;
    for (path, rel) in all.iter().zip(&rel) {
        let orig = fs::read(path).unwrap();
        // Every byte of files up to 512 bytes; in larger files (tiles, bundles) every 11th
        // byte (a different offset in each 32-byte hash) and the first and last 64 bytes.
        let positions: Vec<usize> = if orig.len() > 512 {
            (0..orig.len())
                .filter(|i| i % 11 == 0 || *i < 64 || *i + 64 >= orig.len())
                .collect()
        } else {
            (0..orig.len()).collect()
        };
        for i in positions {
            let mut bad = orig.clone();
            bad[i] ^= [0x01, 0x80, 0xff][i % 3];
            fs::write(path, &bad).unwrap();
            match verify_log(&dir, None) {
                Ok(_) => panic!("flip of byte {i} of {rel} went unnoticed"),
                Err(e) => assert!(e.is_verification_failure(), "{rel} byte {i}: {e}"),
            }
            checked += 1;
        }
        fs::write(path, &orig).unwrap();
    }
    assert!(checked > 2000, "{checked}");
    verify_log(&dir, None).unwrap();
}

#[test]
fn truncating_or_deleting_any_file_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    build(&dir);
    for path in files(&dir) {
        let orig = fs::read(&path).unwrap();
        if orig.is_empty() {
            continue; // the writer's lock file holds no data
        }
        fs::write(&path, &orig[..orig.len() - 1]).unwrap();
        let e = verify_log(&dir, None).unwrap_err();
        assert!(e.is_verification_failure(), "{}: {e}", path.display());
        let mut longer = orig.clone();
        longer.push(b'\n');
        fs::write(&path, &longer).unwrap();
        assert!(
            verify_log(&dir, None).is_err(),
            "appended byte to {}",
            path.display()
        );
        fs::write(&path, &orig).unwrap();
    }
    verify_log(&dir, None).unwrap();
}

#[test]
fn a_different_pinned_key_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    build(&dir);
    let other = sejahtera_ledger::generate_key("tamper.example/ledger").unwrap();
    let e = verify_log(&dir, Some(&other.verifier)).unwrap_err();
    assert!(e.is_verification_failure());
    let own = fs::read_to_string(dir.join("vkey")).unwrap();
    verify_log(&dir, Some(own.trim_end())).unwrap();
}
