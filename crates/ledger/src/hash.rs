//! RFC 6962 / RFC 9162 hashing: `SHA-256(0x00 || entry)` for leaves and
//! `SHA-256(0x01 || left || right)` for interior nodes.
//!
//! The node hash is computed with the SHA-256 compression function directly on the two
//! padded blocks (the input is always 65 bytes), which avoids the streaming buffer of
//! the `Digest` API. `sha2` selects the SHA-NI instructions at run time when the CPU has
//! them. Both functions are checked against the plain `Digest` formulation and the
//! RFC 6962 test vectors in the tests.

use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256};

pub use tlog_tiles::Hash;

/// Size of a SHA-256 hash in bytes.
pub const HASH_SIZE: usize = 32;

/// Hash of the empty tree (`SHA-256("")`, RFC 6962 section 2.1).
pub const EMPTY_ROOT: Hash = tlog_tiles::EMPTY_HASH;

const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// Leaf hash of an entry: `SHA-256(0x00 || entry)`.
///
/// ```
/// let h = sejahtera_ledger::leaf_hash(b"");
/// // RFC 6962 test vector: the hash of the empty leaf.
/// assert_eq!(h.to_string(), "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=");
/// ```
#[must_use]
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// Interior node hash: `SHA-256(0x01 || left || right)`.
///
/// ```
/// use sejahtera_ledger::{leaf_hash, node_hash};
/// let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
/// assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
/// ```
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    // 65 bytes of input, padded to two 64-byte blocks: 0x80 marker and the bit length 520.
    let mut b0 = [0u8; 64];
    let mut b1 = [0u8; 64];
    b0[0] = 1;
    b0[1..33].copy_from_slice(&left.0);
    b0[33..64].copy_from_slice(&right.0[..31]);
    b1[0] = right.0[31];
    b1[1] = 0x80;
    b1[62] = 0x02;
    b1[63] = 0x08;
    let mut state = IV;
    sha2::compress256(
        &mut state,
        &[GenericArray::from(b0), GenericArray::from(b1)],
    );
    let mut out = [0u8; HASH_SIZE];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    Hash(out)
}

/// Root of a complete subtree given its `2^k` leaves (at any level) as concatenated
/// 32-byte hashes. Used for hash tiles, whose rows are complete subtrees.
///
/// Returns `None` when `data` is empty, not a multiple of 32 bytes, or the number of
/// hashes is not a power of two.
#[must_use]
pub fn subtree_root(data: &[u8]) -> Option<Hash> {
    let n = data.len() / HASH_SIZE;
    if n == 0 || !data.len().is_multiple_of(HASH_SIZE) || !n.is_power_of_two() {
        return None;
    }
    let mut level: Vec<Hash> = data
        .chunks_exact(HASH_SIZE)
        .map(|c| {
            let mut h = [0u8; HASH_SIZE];
            h.copy_from_slice(c);
            Hash(h)
        })
        .collect();
    while level.len() > 1 {
        let next: Vec<Hash> = level
            .chunks_exact(2)
            .map(|p| node_hash(&p[0], &p[1]))
            .collect();
        level = next;
    }
    Some(level[0])
}

/// Reads the `i`th 32-byte hash of a tile's data.
pub(crate) fn hash_at(data: &[u8], i: usize) -> Hash {
    let mut h = [0u8; HASH_SIZE];
    h.copy_from_slice(&data[i * HASH_SIZE..(i + 1) * HASH_SIZE]);
    Hash(h)
}

/// Decodes a standard base64 string into a hash.
///
/// # Errors
/// Returns a message when the text is not base64 or not 32 bytes long.
pub fn parse_hash(s: &str) -> Result<Hash, String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| format!("not base64 ({e})"))?;
    let arr: [u8; HASH_SIZE] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("expected 32 bytes, got {}", b.len()))?;
    Ok(Hash(arr))
}

/// Encodes a hash as standard base64 (with padding), as used in checkpoints and proofs.
#[must_use]
pub fn hash_b64(h: &Hash) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(h.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_node(l: &Hash, r: &Hash) -> Hash {
        let mut h = Sha256::new();
        h.update([1u8]);
        h.update(l.0);
        h.update(r.0);
        Hash(h.finalize().into())
    }

    #[test]
    fn node_hash_matches_digest_formulation() {
        for i in 0..50u8 {
            let a = leaf_hash(&[i]);
            let b = leaf_hash(&[i, i, 7]);
            assert_eq!(node_hash(&a, &b), naive_node(&a, &b));
            assert_eq!(node_hash(&b, &a), naive_node(&b, &a));
        }
        assert_eq!(
            node_hash(&Hash([0xff; 32]), &Hash([0; 32])),
            naive_node(&Hash([0xff; 32]), &Hash([0; 32]))
        );
    }

    #[test]
    fn leaf_hash_matches_tlog_tiles() {
        for s in [&b""[..], b"a", &[0u8; 300], &[7u8; 64], &[9u8; 55]] {
            assert_eq!(leaf_hash(s), tlog_tiles::record_hash(s));
        }
    }

    #[test]
    fn subtree_root_rejects_non_power_of_two() {
        assert!(subtree_root(&[0u8; 96]).is_none());
        assert!(subtree_root(&[]).is_none());
        assert!(subtree_root(&[0u8; 33]).is_none());
        let a = leaf_hash(b"a");
        assert_eq!(subtree_root(&a.0), Some(a));
    }

    #[test]
    fn parse_hash_round_trip_and_errors() {
        let h = leaf_hash(b"x");
        assert_eq!(parse_hash(&hash_b64(&h)).unwrap(), h);
        assert!(parse_hash("AAAA").unwrap_err().contains("32 bytes"));
        assert!(parse_hash("!!").unwrap_err().contains("base64"));
    }
}
