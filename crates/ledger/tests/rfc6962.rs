//! RFC 6962 test vectors (google/certificate-transparency `merkle_tree_test`, the same data
//! as transparency-dev/merkle `testonly`) and property tests against a naive recursive
//! implementation written straight from RFC 6962 section 2.1.

use proptest::prelude::*;
use sejahtera_ledger::{
    EMPTY_ROOT, Hash, MemoryTree, leaf_hash, node_hash, verify_consistency, verify_inclusion,
};

const LEAVES: [&[u8]; 8] = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
];

const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn hex(h: &Hash) -> String {
    h.0.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Hash {
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    Hash(out)
}

fn vector_tree() -> MemoryTree {
    let mut t = MemoryTree::new();
    for l in LEAVES {
        t.push(l);
    }
    t
}

#[test]
fn rfc6962_roots_for_sizes_0_to_8() {
    let t = vector_tree();
    for (n, want) in ROOTS.iter().enumerate() {
        assert_eq!(hex(&t.root(n as u64).unwrap()), *want, "size {n}");
    }
    assert_eq!(hex(&EMPTY_ROOT), ROOTS[0]);
}

#[test]
fn rfc6962_inclusion_proofs() {
    let t = vector_tree();
    let cases: [(u64, u64, &[&str]); 5] = [
        (0, 1, &[]),
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (i, n, want) in cases {
        let p = t.prove_inclusion(i, n).unwrap();
        let got: Vec<String> = p.hashes.iter().map(hex).collect();
        assert_eq!(got, want, "leaf {i} of {n}");
        assert_eq!(hex(&p.root), ROOTS[n as usize]);
        verify_inclusion(
            i,
            n,
            &leaf_hash(LEAVES[i as usize]),
            &p.hashes,
            &unhex(ROOTS[n as usize]),
        )
        .unwrap();
    }
}

#[test]
fn rfc6962_consistency_proofs() {
    let t = vector_tree();
    let cases: [(u64, u64, &[&str]); 4] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (m, n, want) in cases {
        let p = t.prove_consistency(m, n).unwrap();
        let got: Vec<String> = p.hashes.iter().map(hex).collect();
        assert_eq!(got, want, "{m} -> {n}");
        verify_consistency(
            m,
            n,
            &unhex(ROOTS[m as usize]),
            &unhex(ROOTS[n as usize]),
            &p.hashes,
        )
        .unwrap();
    }
}

// ---- naive reference, straight from RFC 6962 section 2.1 ----

fn split(n: usize) -> usize {
    // largest power of two smaller than n
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => EMPTY_ROOT,
        1 => d[0],
        n => {
            let k = split(n);
            node_hash(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = split(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = split(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

fn leaves(n: usize) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
        .collect()
}

fn flip(h: &mut Hash, bit: usize) {
    h.0[(bit / 8) % 32] ^= 1 << (bit % 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// For 1 <= m <= n <= 300: the library agrees with the naive reference, the proofs
    /// verify, and any altered proof hash, root, size, index or leaf fails.
    #[test]
    fn proofs_match_reference_and_detect_any_alteration(
        n in 1usize..=300, m_frac in 0.0f64..1.0, bit in 0usize..256, pick in 0usize..1000
    ) {
        let all = leaves(n + 3);
        let d = &all[..n];
        let mut t = MemoryTree::new();
        for h in &all { t.push_leaf_hash(*h); }
        let m = 1 + ((n - 1) as f64 * m_frac) as usize; // 1..=n
        let i = m - 1; // a leaf index below n
        let root = mth(d);
        prop_assert_eq!(t.root(n as u64).unwrap(), root);

        // Inclusion.
        let p = t.prove_inclusion(i as u64, n as u64).unwrap();
        prop_assert_eq!(&p.hashes, &path(i, d));
        prop_assert!(p.verify().is_ok());
        if !p.hashes.is_empty() {
            let mut q = p.clone();
            let j = pick % q.hashes.len();
            flip(&mut q.hashes[j], bit);
            prop_assert!(q.verify().is_err(), "altered hash {}", j);
            let mut q = p.clone();
            q.hashes.pop();
            prop_assert!(q.verify().is_err(), "shortened proof");
        }
        let mut q = p.clone();
        q.hashes.push(root);
        prop_assert!(q.verify().is_err(), "extended proof");
        let mut q = p.clone();
        flip(&mut q.root, bit);
        prop_assert!(q.verify().is_err(), "altered root");
        let mut q = p.clone();
        flip(&mut q.leaf_hash, bit);
        prop_assert!(q.verify().is_err(), "altered leaf");
        // A size is only meaningful with its root (the signed checkpoint binds the two):
        // the proof must fail against every other (size, root) pair of the same log.
        let sizes = [n.saturating_sub(1), n + 1, n + 2, n + 3, 1 + pick % (n + 3)];
        for other in sizes.into_iter().filter(|&s| s != n && s > i) {
            let mut q = p.clone();
            q.size = other as u64;
            q.root = mth(&all[..other]);
            prop_assert!(q.verify().is_err(), "altered size {}", other);
        }
        if n > 1 {
            let mut q = p.clone();
            q.index = ((i + 1 + pick % (n - 1)) % n) as u64;
            prop_assert!(q.verify().is_err(), "altered index");
        }

        // Consistency.
        let c = t.prove_consistency(m as u64, n as u64).unwrap();
        prop_assert_eq!(&c.hashes, &subproof(m, d, true));
        prop_assert_eq!(c.old_root, mth(&d[..m]));
        prop_assert!(c.verify().is_ok());
        if !c.hashes.is_empty() {
            let mut q = c.clone();
            let j = pick % q.hashes.len();
            flip(&mut q.hashes[j], bit);
            prop_assert!(q.verify().is_err(), "altered consistency hash {}", j);
        }
        let mut q = c.clone();
        flip(&mut q.old_root, bit);
        prop_assert!(q.verify().is_err(), "altered old root");
        let mut q = c.clone();
        flip(&mut q.root, bit);
        prop_assert!(q.verify().is_err(), "altered new root");
        for other in sizes.into_iter().filter(|&s| s != n && s >= m) {
            let mut q = c.clone();
            q.size = other as u64;
            q.root = mth(&all[..other]);
            prop_assert!(q.verify().is_err(), "altered new size {}", other);
        }
        let olds = [m.saturating_sub(1), m + 1, 1 + pick % n];
        for other in olds.into_iter().filter(|&s| s != m && s >= 1 && s <= n) {
            let mut q = c.clone();
            q.old = other as u64;
            q.old_root = mth(&all[..other]);
            prop_assert!(q.verify().is_err(), "altered old size {}", other);
        }
    }
}

#[test]
fn every_proof_of_every_tree_up_to_64_verifies() {
    let d = leaves(64);
    let mut t = MemoryTree::new();
    for h in &d {
        t.push_leaf_hash(*h);
    }
    for n in 1..=64usize {
        for m in 1..=n {
            let p = t.prove_inclusion((m - 1) as u64, n as u64).unwrap();
            assert_eq!(p.hashes, path(m - 1, &d[..n]));
            p.verify().unwrap();
            let c = t.prove_consistency(m as u64, n as u64).unwrap();
            assert_eq!(c.hashes, subproof(m, &d[..n], true));
            c.verify().unwrap();
        }
    }
}

#[test]
fn proof_json_has_the_documented_shape() {
    let t = vector_tree();
    let p = t.prove_inclusion(5, 8).unwrap();
    let v: serde_json::Value = serde_json::to_value(&p).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    for k in ["index", "size", "leaf_hash", "root", "hashes"] {
        assert!(keys.contains(&k), "{k} in {keys:?}");
    }
    assert_eq!(keys.len(), 5);
    let text = serde_json::to_string(&p).unwrap();
    assert!(
        text.starts_with(r#"{"index":5,"size":8,"leaf_hash":""#),
        "{text}"
    );
    let back: sejahtera_ledger::InclusionProof = serde_json::from_str(&text).unwrap();
    assert_eq!(back, p);
    let c = t.prove_consistency(6, 8).unwrap();
    let text = serde_json::to_string(&c).unwrap();
    assert!(
        text.starts_with(r#"{"old":6,"size":8,"old_root":""#),
        "{text}"
    );
}

#[test]
fn consistency_from_the_empty_tree() {
    verify_consistency(0, 5, &EMPTY_ROOT, &unhex(ROOTS[5]), &[]).unwrap();
    assert!(verify_consistency(0, 5, &unhex(ROOTS[1]), &unhex(ROOTS[5]), &[]).is_err());
    assert!(verify_consistency(6, 5, &unhex(ROOTS[5]), &unhex(ROOTS[5]), &[]).is_err());
}
