//! Signed checkpoints: C2SP tlog-checkpoint bodies wrapped in C2SP signed-notes with
//! Ed25519 keys, via the `tlog_tiles` and `signed_note` crates.
//!
//! A checkpoint note looks like
//!
//! ```text
//! sejahtera.kupangkota.go.id/ledger
//! 3
//! 0q7hUHz1Ud5ThG+8xmHyxYK7TOVPuq8wn3WE3vD34Ac=
//!
//! — sejahtera.kupangkota.go.id/ledger Az3grlQ0y6…
//! ```
//!
//! The verifier key is `<name>+<8 hex digits key id>+<base64 of 0x01 || public key>` and the
//! private key `PRIVATE+KEY+<name>+<key id>+<base64 of 0x01 || seed>` (the `note` format of
//! Go's `sumdb`). The key name is the log origin.

use base64::Engine;
use rand::RngCore;
use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::Checkpoint;

use crate::hash::Hash;

/// Problems with keys or checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The origin is not a valid key name.
    #[error("invalid origin {0:?}: must be non-empty, without spaces or '+'")]
    Origin(String),
    /// A key string could not be parsed.
    #[error("invalid {kind} key: {reason}")]
    Key {
        /// `verifier` or `private`.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The note or checkpoint body is malformed.
    #[error("malformed checkpoint: {0}")]
    Malformed(String),
    /// The note is not signed by the given key, or the signature is wrong.
    #[error("checkpoint signature does not verify: {0}")]
    Signature(String),
}

/// A key pair for signing checkpoints of one log.
#[derive(Clone)]
pub struct KeyPair {
    /// Encoded private key (`PRIVATE+KEY+…`): keep secret.
    pub private: String,
    /// Encoded verifier key (`name+id+base64`): publish it.
    pub verifier: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

/// Checks that `origin` can name a key (non-empty, no whitespace, no `+`).
///
/// # Errors
/// [`CheckpointError::Origin`] otherwise.
pub fn check_origin(origin: &str) -> Result<(), CheckpointError> {
    if signed_note::is_key_name_valid(origin) && !origin.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(CheckpointError::Origin(origin.to_string()))
    }
}

fn encode_private(origin: &str, seed: &[u8; 32]) -> KeyPair {
    let sk = ed25519_dalek::SigningKey::from_bytes(seed);
    let verifier = signed_note::new_ed25519_verifier_key(origin, &sk.verifying_key());
    let mut pubkey = vec![1u8];
    pubkey.extend_from_slice(sk.verifying_key().as_bytes());
    let mut privkey = vec![1u8];
    privkey.extend_from_slice(seed);
    let private = format!(
        "PRIVATE+KEY+{origin}+{:08x}+{}",
        signed_note::key_id(origin, &pubkey),
        base64::engine::general_purpose::STANDARD.encode(privkey)
    );
    KeyPair { private, verifier }
}

/// Generates a fresh Ed25519 key pair named after the log origin, from the operating
/// system's randomness (through `rand`'s thread generator, a CSPRNG seeded by the OS).
///
/// # Errors
/// [`CheckpointError::Origin`] for an invalid origin.
///
/// ```
/// let kp = sejahtera_ledger::generate_key("example.go.id/ledger").unwrap();
/// assert!(kp.verifier.starts_with("example.go.id/ledger+"));
/// assert!(kp.private.starts_with("PRIVATE+KEY+example.go.id/ledger+"));
/// ```
pub fn generate_key(origin: &str) -> Result<KeyPair, CheckpointError> {
    check_origin(origin)?;
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    Ok(encode_private(origin, &seed))
}

/// Rebuilds the verifier key that belongs to an encoded private key, checking the key id.
///
/// # Errors
/// [`CheckpointError::Key`] if the private key is malformed or its id does not match.
pub fn verifier_for_private(private: &str) -> Result<String, CheckpointError> {
    let bad = |reason: &str| CheckpointError::Key {
        kind: "private",
        reason: reason.to_string(),
    };
    StandardSigner::new(private).map_err(|e| bad(&e.to_string()))?;
    let mut parts = private.splitn(5, '+');
    let (_, _, name, _, b64) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    );
    let (Some(name), Some(b64)) = (name, b64) else {
        return Err(bad("expected PRIVATE+KEY+name+id+key"));
    };
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| bad(&e.to_string()))?;
    let seed: [u8; 32] = raw
        .get(1..)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| bad("expected 33 bytes of key data"))?;
    let kp = encode_private(name, &seed);
    if kp.private != private {
        return Err(bad("not in canonical form"));
    }
    Ok(kp.verifier)
}

/// Parses a verifier key and returns its name (the log origin).
///
/// # Errors
/// [`CheckpointError::Key`] if the key is malformed or its id does not match.
pub fn verifier_name(vkey: &str) -> Result<String, CheckpointError> {
    let v = StandardVerifier::new(vkey).map_err(|e| CheckpointError::Key {
        kind: "verifier",
        reason: e.to_string(),
    })?;
    Ok(signed_note::Verifier::name(&v).to_string())
}

/// Signs a checkpoint for `(origin, size, root)` with an encoded private key and returns
/// the signed note text.
///
/// # Errors
/// [`CheckpointError`] if the key is malformed or its name differs from `origin`.
pub fn sign_checkpoint(
    private: &str,
    origin: &str,
    size: u64,
    root: &Hash,
) -> Result<Vec<u8>, CheckpointError> {
    let signer = StandardSigner::new(private).map_err(|e| CheckpointError::Key {
        kind: "private",
        reason: e.to_string(),
    })?;
    if signed_note::Signer::name(&signer) != origin {
        return Err(CheckpointError::Key {
            kind: "private",
            reason: format!(
                "key is for {:?}, not {origin:?}",
                signed_note::Signer::name(&signer)
            ),
        });
    }
    let body = Checkpoint::new(origin, size, *root, "")
        .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    let mut note =
        Note::new(&body.to_bytes(), &[]).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    note.add_sigs(&[&signer])
        .map_err(|e| CheckpointError::Signature(e.to_string()))?;
    Ok(note.to_bytes())
}

/// A checkpoint whose signature has been verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCheckpoint {
    /// Log origin (first line; equal to the key name).
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
}

/// Verifies a signed checkpoint note against a verifier key: the note must carry a valid
/// signature by that key, and its origin line must equal the key name.
///
/// # Errors
/// [`CheckpointError`] describing the first problem found.
pub fn verify_checkpoint(vkey: &str, note: &[u8]) -> Result<VerifiedCheckpoint, CheckpointError> {
    let verifier = StandardVerifier::new(vkey).map_err(|e| CheckpointError::Key {
        kind: "verifier",
        reason: e.to_string(),
    })?;
    let name = signed_note::Verifier::name(&verifier).to_string();
    let parsed = Note::from_bytes(note).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    let list = VerifierList::new(vec![Box::new(verifier)]);
    parsed
        .verify(&list)
        .map_err(|e| CheckpointError::Signature(e.to_string()))?;
    let cp = Checkpoint::from_bytes(parsed.text())
        .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    if cp.origin() != name {
        return Err(CheckpointError::Signature(format!(
            "origin {:?} differs from the key name {name:?}",
            cp.origin()
        )));
    }
    Ok(VerifiedCheckpoint {
        origin: cp.origin().to_string(),
        size: cp.size(),
        root: *cp.hash(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leaf_hash;

    #[test]
    fn sign_and_verify_round_trip() {
        let kp = generate_key("sejahtera.kupangkota.go.id/ledger").unwrap();
        let root = leaf_hash(b"x");
        let note =
            sign_checkpoint(&kp.private, "sejahtera.kupangkota.go.id/ledger", 7, &root).unwrap();
        let text = String::from_utf8(note.clone()).unwrap();
        assert!(
            text.starts_with("sejahtera.kupangkota.go.id/ledger\n7\n"),
            "{text}"
        );
        assert!(
            text.contains("\n\n— sejahtera.kupangkota.go.id/ledger "),
            "{text}"
        );
        let cp = verify_checkpoint(&kp.verifier, &note).unwrap();
        assert_eq!((cp.size, cp.root), (7, root));
        assert_eq!(verifier_for_private(&kp.private).unwrap(), kp.verifier);
    }

    #[test]
    fn verifier_key_has_the_note_format() {
        let kp = generate_key("a.example/log").unwrap();
        let parts: Vec<&str> = kp.verifier.splitn(3, '+').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "a.example/log");
        assert_eq!(parts[1].len(), 8);
        assert!(parts[1].bytes().all(|c| c.is_ascii_hexdigit()));
        let raw = base64::engine::general_purpose::STANDARD
            .decode(parts[2])
            .unwrap();
        assert_eq!(raw.len(), 33);
        assert_eq!(raw[0], 1);
    }

    #[test]
    fn other_key_or_altered_text_fails() {
        let a = generate_key("log.example").unwrap();
        let b = generate_key("log.example").unwrap();
        let note = sign_checkpoint(&a.private, "log.example", 1, &leaf_hash(b"")).unwrap();
        assert!(verify_checkpoint(&b.verifier, &note).is_err());
        let mut altered = note.clone();
        altered[12] = b'2';
        assert!(verify_checkpoint(&a.verifier, &altered).is_err());
    }

    #[test]
    fn origin_must_be_a_key_name() {
        assert!(generate_key("has space").is_err());
        assert!(generate_key("a+b").is_err());
        assert!(generate_key("").is_err());
    }

    #[test]
    fn key_for_other_origin_cannot_sign() {
        let a = generate_key("one.example").unwrap();
        assert!(sign_checkpoint(&a.private, "two.example", 1, &leaf_hash(b"")).is_err());
    }
}
