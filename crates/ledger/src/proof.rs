//! Inclusion and consistency proofs (RFC 6962 section 2.1.1 and 2.1.2), their JSON form,
//! and verification that needs nothing but the proof, a root and a size.
//!
//! Proof construction and checking use `tlog_tiles` (a port of Go's `sumdb/tlog`); hashes
//! in a proof are in RFC 6962 order, from the leaf (or the old tree) upward.

use serde::{Deserialize, Serialize};
use tlog_tiles::HashReader;

use crate::hash::{EMPTY_ROOT, Hash, hash_b64, leaf_hash, parse_hash};

/// A proof can never need more hashes than the height of a 2^64-leaf tree (twice, for
/// consistency proofs); longer inputs are rejected before any work is done.
const MAX_PROOF_HASHES: usize = 128;

/// Why a proof (or the material it is checked against) does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The index or sizes are out of range for the tree.
    #[error("invalid proof parameters: {0}")]
    Parameters(String),
    /// The hashes do not lead to the claimed root.
    #[error("proof does not verify: {0}")]
    Mismatch(String),
}

mod b64 {
    use super::{Hash, hash_b64, parse_hash};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hash_b64(h))
    }
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let s = String::deserialize(d)?;
        parse_hash(&s).map_err(serde::de::Error::custom)
    }
}

mod b64vec {
    use super::{Hash, hash_b64, parse_hash};
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for h in v {
            seq.serialize_element(&hash_b64(h))?;
        }
        seq.end()
    }
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter()
            .map(|s| parse_hash(s).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// Inclusion (audit) proof that the leaf at `index` is in the tree of `size` leaves with `root`.
///
/// JSON: `{"index":I,"size":N,"leaf_hash":B64,"root":B64,"hashes":[B64,…]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// Zero-based leaf index.
    pub index: u64,
    /// Tree size the proof is for.
    pub size: u64,
    /// RFC 6962 leaf hash of the entry.
    #[serde(with = "b64")]
    pub leaf_hash: Hash,
    /// Root hash of the tree of `size` leaves.
    #[serde(with = "b64")]
    pub root: Hash,
    /// Audit path, RFC 6962 order (sibling of the leaf first).
    #[serde(with = "b64vec")]
    pub hashes: Vec<Hash>,
}

/// Consistency proof that the tree of `old` leaves with `old_root` is a prefix of the tree of
/// `size` leaves with `root`.
///
/// JSON: `{"old":M,"size":N,"old_root":B64,"root":B64,"hashes":[B64,…]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// Size of the older tree.
    pub old: u64,
    /// Size of the newer tree.
    pub size: u64,
    /// Root of the older tree.
    #[serde(with = "b64")]
    pub old_root: Hash,
    /// Root of the newer tree.
    #[serde(with = "b64")]
    pub root: Hash,
    /// Consistency path, RFC 6962 order.
    #[serde(with = "b64vec")]
    pub hashes: Vec<Hash>,
}

impl InclusionProof {
    /// Checks the proof: the audit path must lead from `leaf_hash` at `index` to `root`.
    ///
    /// # Errors
    /// [`ProofError`] when the parameters are out of range or the path does not lead to the root.
    pub fn verify(&self) -> Result<(), ProofError> {
        verify_inclusion(
            self.index,
            self.size,
            &self.leaf_hash,
            &self.hashes,
            &self.root,
        )
    }
}

impl ConsistencyProof {
    /// Checks the proof: the path must connect `old_root` (size `old`) with `root` (size `size`).
    ///
    /// # Errors
    /// [`ProofError`] when the parameters are out of range or the hashes do not connect the roots.
    pub fn verify(&self) -> Result<(), ProofError> {
        verify_consistency(
            self.old,
            self.size,
            &self.old_root,
            &self.root,
            &self.hashes,
        )
    }
}

/// Verifies an inclusion proof (RFC 6962 section 2.1.1) without any access to the log.
///
/// # Errors
/// [`ProofError::Parameters`] if `index >= size`; [`ProofError::Mismatch`] if the path
/// does not lead to `root`.
///
/// ```
/// use sejahtera_ledger::{MemoryTree, leaf_hash, verify_inclusion};
/// let mut t = MemoryTree::new();
/// for e in ["a", "b", "c"] { t.push(e.as_bytes()); }
/// let p = t.prove_inclusion(1, 3).unwrap();
/// verify_inclusion(1, 3, &leaf_hash(b"b"), &p.hashes, &t.root(3).unwrap()).unwrap();
/// assert!(verify_inclusion(1, 3, &leaf_hash(b"x"), &p.hashes, &p.root).is_err());
/// ```
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    hashes: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::Parameters(format!(
            "index {index} is not below size {size}"
        )));
    }
    if hashes.len() > MAX_PROOF_HASHES {
        return Err(ProofError::Mismatch(format!(
            "{} hashes is longer than any proof",
            hashes.len()
        )));
    }
    tlog_tiles::check_record(&hashes.to_vec(), size, *root, index, *leaf).map_err(|_| {
        ProofError::Mismatch(format!(
            "audit path for leaf {index} does not lead to the root of size {size}"
        ))
    })
}

/// Verifies a consistency proof (RFC 6962 section 2.1.2) without any access to the log.
///
/// `old == size` requires an empty proof and equal roots; `old == 0` requires an empty
/// proof and the empty-tree hash as `old_root`.
///
/// # Errors
/// [`ProofError::Parameters`] if `old > size`; [`ProofError::Mismatch`] if the hashes do
/// not connect the two roots.
pub fn verify_consistency(
    old: u64,
    size: u64,
    old_root: &Hash,
    root: &Hash,
    hashes: &[Hash],
) -> Result<(), ProofError> {
    if old > size {
        return Err(ProofError::Parameters(format!(
            "old size {old} is larger than size {size}"
        )));
    }
    if hashes.len() > MAX_PROOF_HASHES {
        return Err(ProofError::Mismatch(format!(
            "{} hashes is longer than any proof",
            hashes.len()
        )));
    }
    if old == 0 {
        if *old_root == EMPTY_ROOT && hashes.is_empty() {
            return Ok(());
        }
        return Err(ProofError::Mismatch(
            "the empty tree needs an empty proof and the empty root".into(),
        ));
    }
    tlog_tiles::check_tree(&hashes.to_vec(), size, *root, old, *old_root).map_err(|_| {
        ProofError::Mismatch(format!(
            "hashes do not connect the tree of size {old} to the tree of size {size}"
        ))
    })
}

/// An in-memory Merkle tree over the stored-hash layout of `tlog_tiles` (every complete
/// subtree hash, in the order they are completed). Useful for tests, examples and small
/// logs; the file store ([`crate::store`]) keeps the same hashes in tiles.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    stored: Vec<Hash>,
    size: u64,
}

impl HashReader for MemoryTree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.stored.get(i).copied())
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

impl MemoryTree {
    /// An empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends an entry and returns its index.
    pub fn push(&mut self, entry: &[u8]) -> u64 {
        self.push_leaf_hash(leaf_hash(entry))
    }

    /// Appends a precomputed leaf hash and returns its index.
    pub fn push_leaf_hash(&mut self, h: Hash) -> u64 {
        let n = self.size;
        // Reading our own stored hashes cannot fail.
        let hashes = tlog_tiles::stored_hashes_for_record_hash(n, h, self).unwrap_or_default();
        self.stored.extend(hashes);
        self.size += 1;
        n
    }

    /// Root of the tree made of the first `size` leaves.
    ///
    /// # Errors
    /// [`ProofError::Parameters`] if `size` exceeds the number of leaves.
    pub fn root(&self, size: u64) -> Result<Hash, ProofError> {
        if size > self.size {
            return Err(ProofError::Parameters(format!(
                "size {size} is beyond the tree size {}",
                self.size
            )));
        }
        tlog_tiles::tree_hash(size, self).map_err(|e| ProofError::Parameters(e.to_string()))
    }

    /// Inclusion proof for leaf `index` in the tree of the first `size` leaves.
    ///
    /// # Errors
    /// [`ProofError::Parameters`] unless `index < size <= self.size()`.
    pub fn prove_inclusion(&self, index: u64, size: u64) -> Result<InclusionProof, ProofError> {
        if index >= size || size > self.size {
            return Err(ProofError::Parameters(format!(
                "need index < size <= {}, got index {index}, size {size}",
                self.size
            )));
        }
        let hashes = tlog_tiles::prove_record(size, index, self)
            .map_err(|e| ProofError::Parameters(e.to_string()))?;
        let leaf = self
            .read_hashes(&[tlog_tiles::stored_hash_index(0, index)])
            .map_err(|e| ProofError::Parameters(e.to_string()))?[0];
        Ok(InclusionProof {
            index,
            size,
            leaf_hash: leaf,
            root: self.root(size)?,
            hashes,
        })
    }

    /// Consistency proof between the first `old` and the first `size` leaves.
    ///
    /// # Errors
    /// [`ProofError::Parameters`] unless `old <= size <= self.size()`.
    pub fn prove_consistency(&self, old: u64, size: u64) -> Result<ConsistencyProof, ProofError> {
        if old > size || size > self.size {
            return Err(ProofError::Parameters(format!(
                "need old <= size <= {}, got old {old}, size {size}",
                self.size
            )));
        }
        let hashes = if old == 0 {
            Vec::new()
        } else {
            tlog_tiles::prove_tree(size, old, self)
                .map_err(|e| ProofError::Parameters(e.to_string()))?
        };
        Ok(ConsistencyProof {
            old,
            size,
            old_root: self.root(old)?,
            root: self.root(size)?,
            hashes,
        })
    }
}
