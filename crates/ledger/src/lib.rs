//! # sejahtera-ledger
//!
//! A tamper-evident, publicly verifiable log of every decision and every Rupiah:
//!
//! * [`Event`] — the versioned canonical encoding of a ledger event (RFC 8785 JSON);
//! * RFC 6962 hashing ([`leaf_hash`], [`node_hash`]), inclusion and consistency proofs
//!   ([`InclusionProof`], [`ConsistencyProof`]) verifiable with no access to the log;
//! * signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed-notes with Ed25519
//!   ([`sign_checkpoint`], [`verify_checkpoint`], [`generate_key`]);
//! * [`tiles`] — C2SP tlog-tiles coordinates and entry bundles;
//! * [`store`] — the file store (the only I/O in this crate): group commit with `fsync`,
//!   torn-tail recovery, full verification.
//!
//! The Merkle-tree arithmetic and the note format come from the `tlog_tiles` and
//! `signed_note` crates (ports of Go's `sumdb/tlog` and `sumdb/note`).
//!
//! ```
//! use sejahtera_ledger::{Event, MemoryTree};
//! let ev = Event::parse_json(r#"{"kind":"disbursement","time":"2026-01-05T03:04:05Z",
//!     "actor":{"role":"agency_operator","user":"u-17"},"amounts":{"disbursed":1250000}}"#)?;
//! let mut tree = MemoryTree::new();
//! let i = tree.push(&ev.canonical_bytes());
//! tree.push(b"another entry");
//! let proof = tree.prove_inclusion(i, tree.size())?;
//! assert_eq!(proof.leaf_hash, ev.leaf_hash());
//! proof.verify()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub mod checkpoint;
pub mod entry;
pub mod hash;
pub mod proof;
pub mod store;
pub mod tiles;

pub use checkpoint::{
    CheckpointError, KeyPair, VerifiedCheckpoint, generate_key, sign_checkpoint, verify_checkpoint,
};
pub use entry::{Actor, Event, EventError};
pub use hash::{EMPTY_ROOT, Hash, hash_b64, leaf_hash, node_hash, parse_hash};
pub use proof::{
    ConsistencyProof, InclusionProof, MemoryTree, ProofError, verify_consistency, verify_inclusion,
};
pub use store::{FileLog, LogReader, Recovery, StoreError, VerifyReport, verify_log};
