//! File store: appends across tile boundaries, reopen, proofs from tiles, torn-tail
//! recovery, locking, verification.

use std::fs;
use std::path::Path;

use sejahtera_ledger::tiles::{TileId, TileKind};
use sejahtera_ledger::{FileLog, LogReader, MemoryTree, StoreError, verify_log};

fn entry(i: u64) -> Vec<u8> {
    format!("entry {i:06} {}", "x".repeat((i % 37) as usize)).into_bytes()
}

fn new_log(dir: &Path) -> String {
    FileLog::init(dir, "test.example/ledger").unwrap()
}

fn append_range(log: &mut FileLog, from: u64, to: u64) {
    let batch: Vec<Vec<u8>> = (from..to).map(entry).collect();
    let r = log.append(&batch).unwrap();
    assert_eq!(r, from..to);
}

#[test]
fn appends_across_tiles_match_the_in_memory_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let vkey = new_log(&dir);
    assert!(vkey.starts_with("test.example/ledger+"));
    let mut mem = MemoryTree::new();
    let (mut log, rec) = FileLog::open(&dir).unwrap();
    assert_eq!(rec, Default::default());
    let cuts = [1u64, 2, 255, 256, 257, 511, 600, 700];
    let mut from = 0;
    for &to in &cuts {
        append_range(&mut log, from, to);
        for i in from..to {
            mem.push(&entry(i));
        }
        assert_eq!(log.root(), mem.root(to).unwrap(), "root at {to}");
        log.save_checkpoint().unwrap();
        from = to;
    }
    drop(log);

    let (log, rec) = FileLog::open(&dir).unwrap();
    assert!(rec.removed_torn.is_empty());
    assert_eq!(log.size(), 700);
    drop(log);
    let r = LogReader::open(&dir).unwrap();
    for i in (0..700).step_by(7).chain([255, 256, 511, 512, 699]) {
        assert_eq!(r.entry(i).unwrap(), entry(i));
        let p = r.prove_inclusion(i, None).unwrap();
        assert_eq!(p, mem.prove_inclusion(i, 700).unwrap(), "proof of {i}");
        p.verify().unwrap();
    }
    for &size in &cuts {
        assert_eq!(r.root_at(size).unwrap(), mem.root(size).unwrap());
        let p = r.prove_inclusion(size - 1, Some(size)).unwrap();
        assert_eq!(p, mem.prove_inclusion(size - 1, size).unwrap());
        for &old in cuts.iter().filter(|&&o| o <= size) {
            let c = r.prove_consistency(old, Some(size)).unwrap();
            assert_eq!(
                c,
                mem.prove_consistency(old, size).unwrap(),
                "{old} -> {size}"
            );
        }
    }
    let report = verify_log(&dir, None).unwrap();
    assert_eq!(report.size, 700);
    assert_eq!(report.checkpoints, 1 + 1 + cuts.len());
    assert!(report.uncommitted.is_empty());
    // Full tiles exist, their partial tiles are gone.
    assert!(dir.join("tile/0/001").exists());
    assert!(!dir.join("tile/0/001.p").exists());
    assert!(dir.join("tile/0/002.p/188").exists());
    assert!(dir.join("tile/1/000.p/2").exists());
    assert!(dir.join("tile/entries/002.p/188").exists());
}

#[test]
fn level_two_tiles_after_65536_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    new_log(&dir);
    let (mut log, _) = FileLog::open(&dir).unwrap();
    let mut mem = MemoryTree::new();
    for (from, to) in [(0u64, 40_000u64), (40_000, 65_536), (65_536, 66_000)] {
        let batch: Vec<Vec<u8>> = (from..to).map(|i| i.to_be_bytes().to_vec()).collect();
        log.append(&batch).unwrap();
        for b in &batch {
            mem.push(b);
        }
        assert_eq!(log.root(), mem.root(to).unwrap());
    }
    assert!(dir.join("tile/2/000.p/1").exists());
    assert!(dir.join("tile/1/000").exists());
    drop(log);
    let r = LogReader::open(&dir).unwrap();
    for i in [0u64, 1, 65_535, 65_536, 65_999, 12_345] {
        assert_eq!(
            r.prove_inclusion(i, None).unwrap(),
            mem.prove_inclusion(i, 66_000).unwrap()
        );
    }
    let c = r.prove_consistency(40_000, None).unwrap();
    assert_eq!(c, mem.prove_consistency(40_000, 66_000).unwrap());
    verify_log(&dir, None).unwrap();
}

#[test]
fn torn_tail_beyond_the_checkpoint_is_cut_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    new_log(&dir);
    let (mut log, _) = FileLog::open(&dir).unwrap();
    append_range(&mut log, 0, 250);
    let old_checkpoint = fs::read(dir.join("checkpoint")).unwrap();
    let old_root = log.root();
    // This commit completes tile 0 and writes into tile 1; then "crash" before its
    // checkpoint became durable: put the old commit record back.
    append_range(&mut log, 250, 300);
    drop(log);
    fs::write(dir.join("checkpoint"), &old_checkpoint).unwrap();
    // The superseded partial of tile 0 was deleted after the commit; recreate the state
    // of a crash before that deletion by writing it back from the full tile.
    let full0 = fs::read(dir.join("tile/0/000")).unwrap();
    fs::create_dir_all(dir.join("tile/0/000.p")).unwrap();
    fs::write(dir.join("tile/0/000.p/250"), &full0[..250 * 32]).unwrap();
    let full_e = fs::read(dir.join("tile/entries/000")).unwrap();
    let mut e250 = Vec::new();
    for i in 0..250 {
        sejahtera_ledger::tiles::push_bundle_entry(&mut e250, &entry(i));
    }
    assert!(full_e.starts_with(&e250));
    fs::create_dir_all(dir.join("tile/entries/000.p")).unwrap();
    fs::write(dir.join("tile/entries/000.p/250"), &e250).unwrap();

    // A reader sees the old size; verify reports the torn files as uncommitted only.
    let report = verify_log(&dir, None).unwrap();
    assert_eq!(report.size, 250);
    assert!(
        report.uncommitted.contains(&"tile/0/000".to_string()),
        "{:?}",
        report.uncommitted
    );

    let (mut log, rec) = FileLog::open(&dir).unwrap();
    assert_eq!(log.size(), 250);
    assert_eq!(log.root(), old_root);
    for p in [
        "tile/0/000",
        "tile/entries/000",
        "tile/0/001.p/44",
        "tile/entries/001.p/44",
        "tile/1/000.p/1",
    ] {
        assert!(
            rec.removed_torn.contains(&p.to_string()),
            "{p} in {:?}",
            rec.removed_torn
        );
        assert!(!dir.join(p).exists(), "{p}");
    }
    // Appending again produces the same tree as if the crash never happened.
    append_range(&mut log, 250, 300);
    let mut mem = MemoryTree::new();
    for i in 0..300 {
        mem.push(&entry(i));
    }
    assert_eq!(log.root(), mem.root(300).unwrap());
    drop(log);
    let report = verify_log(&dir, None).unwrap();
    assert!(report.uncommitted.is_empty());
}

#[test]
fn second_writer_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    new_log(&dir);
    let (_log, _) = FileLog::open(&dir).unwrap();
    assert!(matches!(FileLog::open(&dir), Err(StoreError::Locked(_))));
    // Readers need no lock.
    LogReader::open(&dir).unwrap();
}

#[test]
fn init_refuses_a_non_empty_directory_and_bad_origins() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("x"), b"x").unwrap();
    assert!(matches!(
        FileLog::init(tmp.path(), "a.example"),
        Err(StoreError::Usage(_))
    ));
    assert!(FileLog::init(&tmp.path().join("new"), "bad origin").is_err());
}

#[test]
fn private_key_is_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    new_log(&dir);
    let mode = fs::metadata(dir.join("private/signer.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let mode = fs::metadata(dir.join("private"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn out_of_range_requests_are_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    new_log(&dir);
    let (mut log, _) = FileLog::open(&dir).unwrap();
    append_range(&mut log, 0, 5);
    assert!(matches!(
        log.append(&[vec![0u8; 70_000]]),
        Err(StoreError::Usage(_))
    ));
    assert_eq!(log.size(), 5);
    let r = log.reader().unwrap();
    assert!(matches!(
        r.prove_inclusion(5, None),
        Err(StoreError::Usage(_))
    ));
    assert!(matches!(
        r.prove_inclusion(0, Some(6)),
        Err(StoreError::Usage(_))
    ));
    assert!(matches!(
        r.prove_consistency(0, None),
        Err(StoreError::Usage(_))
    ));
    assert!(matches!(
        r.prove_consistency(4, Some(3)),
        Err(StoreError::Usage(_))
    ));
    assert!(matches!(r.entry(5), Err(StoreError::Usage(_))));
}

#[test]
fn verify_names_a_missing_tile() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    new_log(&dir);
    let (mut log, _) = FileLog::open(&dir).unwrap();
    append_range(&mut log, 0, 300);
    drop(log);
    let id = TileId {
        kind: TileKind::Hash(0),
        index: 0,
        width: 256,
    };
    fs::remove_file(dir.join(id.path())).unwrap();
    let err = verify_log(&dir, None).unwrap_err();
    assert!(err.is_verification_failure());
    assert!(err.to_string().contains("tile/0/000"), "{err}");
}
