//! The files an oversight body receives: the ledger export, checkpoints, proofs and the
//! public key — all JSON, all checkable without database access.
//!
//! - Ledger export: JSON lines, one `{"entry": <entry JSON as a string>, "receipt": hex}` per
//!   entry in sequence order (the entry is kept as the exact bytes that were hashed).
//! - Checkpoints: a JSON array of [`Checkpoint`]s; one checkpoint alone is a JSON object.
//! - Proofs: [`Proof`] objects.
//! - Public key: 64 hex characters.

use serde::{Deserialize, Serialize};

use crate::checkpoint::{Checkpoint, PublicKey};
use crate::ledger::Stored;
use crate::merkle::{Hash, ProofError, Tree, leaf_hash, verify_consistency, verify_inclusion};

/// Why an export file cannot be read. Messages name the line, never the content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// A line of the ledger export is not a stored entry.
    #[error("line {line}: not a ledger export record ({reason})")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A JSON document is not what was expected.
    #[error("not a valid {what} document")]
    Document {
        /// What was expected.
        what: &'static str,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    entry: String,
    receipt: String,
}

/// Writes stored entries as the JSON-lines export.
pub fn write_entries(entries: &[Stored]) -> String {
    let mut out = String::new();
    for e in entries {
        let line = Line {
            entry: String::from_utf8_lossy(&e.bytes).into_owned(),
            receipt: hex::encode(e.receipt),
        };
        out.push_str(&serde_json::to_string(&line).expect("strings always serialise"));
        out.push('\n');
    }
    out
}

/// Reads the JSON-lines export.
pub fn read_entries(text: &str) -> Result<Vec<Stored>, ExportError> {
    let mut out = Vec::new();
    for (i, raw) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let line = i + 1;
        let rec: Line = serde_json::from_str(raw).map_err(|_| ExportError::Line {
            line,
            reason: "not a JSON record",
        })?;
        let receipt: [u8; 64] = hex::decode(&rec.receipt)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(ExportError::Line {
                line,
                reason: "receipt is not 64 bytes of hex",
            })?;
        out.push(Stored {
            bytes: rec.entry.into_bytes(),
            receipt,
        });
    }
    Ok(out)
}

/// Reads one checkpoint or an array of them.
pub fn read_checkpoints(text: &str) -> Result<Vec<Checkpoint>, ExportError> {
    if let Ok(one) = serde_json::from_str::<Checkpoint>(text) {
        return Ok(vec![one]);
    }
    serde_json::from_str(text).map_err(|_| ExportError::Document { what: "checkpoint" })
}

/// Reads a public key (64 hex characters, surrounding white space ignored).
pub fn read_public_key(text: &str) -> Result<PublicKey, ExportError> {
    hex::decode(text.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(PublicKey)
        .ok_or(ExportError::Document { what: "public key" })
}

/// A proof as exported by `crosscheck ledger prove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Proof {
    /// Entry `index` (whose canonical bytes are `entry`) is in the tree of `size` entries.
    Inclusion {
        /// Sequence number of the entry.
        index: u64,
        /// Tree size the proof is for.
        size: u64,
        /// The entry's canonical bytes, as text.
        entry: String,
        /// Audit path, hex hashes.
        path: Vec<String>,
    },
    /// The tree of `second` entries extends the tree of `first` entries.
    Consistency {
        /// The older size.
        first: u64,
        /// The newer size.
        second: u64,
        /// Proof nodes, hex hashes.
        path: Vec<String>,
    },
}

/// The Merkle tree over stored entries (e.g. a verified export).
pub fn tree_of(entries: &[Stored]) -> Tree {
    let mut tree = Tree::new();
    for e in entries {
        tree.push(leaf_hash(&e.bytes));
    }
    tree
}

/// An inclusion proof of entry `seq` in the first `size` of `entries` (`tree` is theirs).
pub fn prove_inclusion(
    tree: &Tree,
    entries: &[Stored],
    seq: u64,
    size: u64,
) -> Result<Proof, ProofError> {
    let path = tree.inclusion_proof(seq, size)?;
    Ok(Proof::Inclusion {
        index: seq,
        size,
        entry: String::from_utf8_lossy(&entries[seq as usize].bytes).into_owned(),
        path: path.iter().map(hex::encode).collect(),
    })
}

/// A consistency proof between sizes `first` and `second` of `tree`.
pub fn prove_consistency(tree: &Tree, first: u64, second: u64) -> Result<Proof, ProofError> {
    let path = tree.consistency_proof(first, second)?;
    Ok(Proof::Consistency {
        first,
        second,
        path: path.iter().map(hex::encode).collect(),
    })
}

fn hashes(path: &[String]) -> Option<Vec<Hash>> {
    path.iter()
        .map(|h| hex::decode(h).ok()?.try_into().ok())
        .collect()
}

/// Why a proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofCheck {
    /// A checkpoint's signature does not verify with the key.
    #[error("checkpoint for size {0} is not signed by this key")]
    Signature(u64),
    /// The proof's sizes do not match the checkpoints given.
    #[error("the proof is for size {proof} but the checkpoint is for size {checkpoint}")]
    SizeMismatch {
        /// Size in the proof.
        proof: u64,
        /// Size in the checkpoint.
        checkpoint: u64,
    },
    /// The hashes do not lead to the signed root(s).
    #[error("the proof does not lead to the signed root")]
    Mismatch,
    /// The proof or checkpoint is malformed (bad hex, wrong kind).
    #[error("the proof is malformed")]
    Malformed,
}

impl Proof {
    /// Checks the proof against signed checkpoints and the public key alone. An inclusion
    /// proof needs the checkpoint of its size; a consistency proof needs both checkpoints.
    pub fn check(&self, checkpoints: &[Checkpoint], key: &PublicKey) -> Result<(), ProofCheck> {
        let signed =
            |size: u64| -> Result<Hash, ProofCheck> {
                let c = checkpoints.iter().find(|c| c.size == size).ok_or(
                    ProofCheck::SizeMismatch {
                        proof: size,
                        checkpoint: checkpoints.first().map_or(0, |c| c.size),
                    },
                )?;
                if !c.verify(key) {
                    return Err(ProofCheck::Signature(size));
                }
                c.root_hash().ok_or(ProofCheck::Malformed)
            };
        match self {
            Proof::Inclusion {
                index,
                size,
                entry,
                path,
            } => {
                let root = signed(*size)?;
                let path = hashes(path).ok_or(ProofCheck::Malformed)?;
                verify_inclusion(&leaf_hash(entry.as_bytes()), *index, *size, &path, &root)
                    .then_some(())
                    .ok_or(ProofCheck::Mismatch)
            }
            Proof::Consistency {
                first,
                second,
                path,
            } => {
                let (a, b) = (signed(*first)?, signed(*second)?);
                let path = hashes(path).ok_or(ProofCheck::Malformed)?;
                verify_consistency(*first, *second, &a, &b, &path)
                    .then_some(())
                    .ok_or(ProofCheck::Mismatch)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn readers_never_panic_on_any_text(text in "\\PC{0,300}") {
            let _ = read_entries(&text);
            let _ = read_checkpoints(&text);
            let _ = read_public_key(&text);
            let _ = serde_json::from_str::<Proof>(&text);
        }

        #[test]
        fn checking_any_proof_never_panics(
            index in any::<u64>(), size in any::<u64>(), first in any::<u64>(),
            path in proptest::collection::vec("[0-9a-f]{0,70}", 0..70),
        ) {
            let key = PublicKey([7; 32]);
            let c = Checkpoint { size, root: "00".repeat(32), time_ms: 0, signature: "11".repeat(64) };
            let inclusion = Proof::Inclusion { index, size, entry: String::new(), path: path.clone() };
            let consistency = Proof::Consistency { first, second: size, path };
            prop_assert!(inclusion.check(std::slice::from_ref(&c), &key).is_err());
            prop_assert!(consistency.check(&[c], &key).is_err());
        }

        #[test]
        fn verification_arithmetic_never_panics(
            index in any::<u64>(), size in any::<u64>(), first in any::<u64>(),
            path in proptest::collection::vec(any::<[u8; 32]>(), 0..70),
        ) {
            let _ = verify_inclusion(&[0; 32], index, size, &path, &[0; 32]);
            let _ = verify_consistency(first, size, &[0; 32], &[1; 32], &path);
            let _ = verify_inclusion(&[0; 32], index % 1000, size % 1000, &path, &[0; 32]);
            let _ = verify_consistency(first % 1000, size % 1000, &[0; 32], &[1; 32], &path);
        }
    }
}
