//! The fuzz target's checks, one copy for two callers: the fuzz target
//! (`fuzz_targets/ledger.rs`) and the corpus replay of `cargo test`
//! (`crates/ledger/tests/fuzz_corpus.rs`), which include this file with `#[path]`.
//! The first byte picks the parser; nothing may panic and accepted input must round-trip.

use std::sync::OnceLock;

use sejahtera_ledger::checkpoint::{check_origin, verifier_name};
use sejahtera_ledger::tiles::{TileId, parse_bundle, push_bundle_entry};
use sejahtera_ledger::{
    Event, Hash, KeyPair, generate_key, hash_b64, parse_hash, sign_checkpoint, verify_checkpoint,
    verify_consistency, verify_inclusion,
};

fn key() -> &'static KeyPair {
    static KEY: OnceLock<KeyPair> = OnceLock::new();
    KEY.get_or_init(|| generate_key("example.org/sejahtera").unwrap())
}

fn hashes(data: &[u8]) -> Vec<Hash> {
    data.chunks_exact(32)
        .map(|c| Hash(c.try_into().unwrap()))
        .collect()
}

fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    for (i, x) in data.iter().skip(at).take(8).enumerate() {
        b[i] = *x;
    }
    // Mostly small sizes, sometimes huge ones.
    let n = u64::from_le_bytes(b);
    if n & 1 == 0 { n >> 40 } else { n }
}

/// Runs the checks on one input; panics if one fails.
pub fn check(data: &[u8]) {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let text = std::str::from_utf8(body).ok();
    match sel % 8 {
        0 | 1 => {
            let Some(text) = text else { return };
            if let Ok(ev) = Event::parse_json(text) {
                let canon = ev.canonical_bytes();
                let again = Event::parse_json(std::str::from_utf8(&canon).unwrap())
                    .expect("canonical bytes parse");
                assert_eq!(again.canonical_bytes(), canon);
                let _ = ev.leaf_hash();
            }
        }
        2 => {
            let Some(text) = text else { return };
            if let Some(t) = TileId::parse(text) {
                assert_eq!(t.path(), text, "only the canonical spelling is accepted");
            }
        }
        3 => {
            if let Ok(entries) = parse_bundle(body) {
                let mut again = Vec::new();
                for e in &entries {
                    push_bundle_entry(&mut again, e);
                }
                assert_eq!(again, body);
            }
        }
        4 => {
            let Some(text) = text else { return };
            if let Ok(h) = parse_hash(text) {
                assert_eq!(parse_hash(&hash_b64(&h)), Ok(h));
            }
            let _ = check_origin(text);
            let _ = verifier_name(text);
        }
        5 => {
            // A signed note: arbitrary, or a valid one with the fuzzer's bytes appended.
            let k = key();
            let _ = verify_checkpoint(&k.verifier, body);
            if let Some(text) = text {
                let _ = verify_checkpoint(text, body);
            }
        }
        6 => {
            let k = key();
            let size = u64_at(body, 0);
            let root = Hash([body.first().copied().unwrap_or(0); 32]);
            if let Ok(note) = sign_checkpoint(&k.private, "example.org/sejahtera", size, &root) {
                let v = verify_checkpoint(&k.verifier, &note).expect("own checkpoint verifies");
                assert_eq!((v.size, v.root), (size, root));
                let mut bad = note.clone();
                bad.extend_from_slice(body);
                let _ = verify_checkpoint(&k.verifier, &bad);
            }
        }
        _ => {
            let (a, b) = (u64_at(body, 0), u64_at(body, 8));
            let rest = body.get(16..).unwrap_or(&[]);
            let hs = hashes(rest);
            let leaf = hs.first().copied().unwrap_or(Hash([0; 32]));
            let root = hs.last().copied().unwrap_or(Hash([1; 32]));
            let _ = verify_inclusion(a, b, &leaf, &hs, &root);
            let _ = verify_consistency(a, b, &leaf, &root, &hs);
        }
    }
}
