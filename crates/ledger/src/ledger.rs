//! The ledger: appending entries, issuing checkpoints, proving, and verifying a stored copy.

use crate::checkpoint::{Checkpoint, PublicKey, Signer, receipt_message};
use crate::entry::{Draft, Entry, PersonalKey};
use crate::merkle::{Hash, ProofError, Tree, leaf_hash, verify_consistency};

/// One stored entry: its canonical bytes and the ledger key's receipt for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Canonical entry bytes (the Merkle leaf).
    pub bytes: Vec<u8>,
    /// Signature over `(seq, leaf hash)`.
    pub receipt: [u8; 64],
}

/// An append-only ledger held in memory. Storage adapters persist [`Stored`] rows and
/// [`Checkpoint`]s in the same transaction as the change they record (issue 5's store).
pub struct Ledger {
    tree: Tree,
    entries: Vec<Stored>,
    checkpoints: Vec<Checkpoint>,
    signer: Box<dyn Signer>,
    key: PersonalKey,
}

impl Ledger {
    /// An empty ledger signing with `signer` and HMACing personal values with `key`.
    pub fn new(signer: Box<dyn Signer>, key: PersonalKey) -> Ledger {
        Ledger {
            tree: Tree::new(),
            entries: Vec::new(),
            checkpoints: Vec::new(),
            signer,
            key,
        }
    }

    /// Appends an entry at `time_ms` and returns its sequence number.
    pub fn append(&mut self, draft: Draft, time_ms: i64) -> u64 {
        let seq = self.tree.len();
        let bytes = draft.seal(seq, time_ms, &self.key).encode();
        let leaf = leaf_hash(&bytes);
        let receipt = self.signer.sign(&receipt_message(seq, &leaf));
        self.tree.push(leaf);
        self.entries.push(Stored { bytes, receipt });
        seq
    }

    /// Issues (and keeps) a signed checkpoint of the current size.
    pub fn checkpoint(&mut self, time_ms: i64) -> Checkpoint {
        let size = self.tree.len();
        let root = self
            .tree
            .root(size)
            .expect("the current size is always in the tree");
        let c = Checkpoint::sign(size, &root, time_ms, self.signer.as_ref());
        self.checkpoints.push(c.clone());
        c
    }

    /// The stored entries.
    pub fn entries(&self) -> &[Stored] {
        &self.entries
    }

    /// The checkpoints issued so far.
    pub fn checkpoints(&self) -> &[Checkpoint] {
        &self.checkpoints
    }

    /// Inclusion proof of entry `seq` in the ledger of `size` entries.
    pub fn inclusion_proof(&self, seq: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.tree.inclusion_proof(seq, size)
    }

    /// Consistency proof between sizes `first` and `second`.
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, ProofError> {
        self.tree.consistency_proof(first, second)
    }

    /// An exportable inclusion proof of entry `seq` in the ledger of `size` entries.
    pub fn prove_inclusion(&self, seq: u64, size: u64) -> Result<crate::export::Proof, ProofError> {
        crate::export::prove_inclusion(&self.tree, &self.entries, seq, size)
    }

    /// An exportable consistency proof between sizes `first` and `second`.
    pub fn prove_consistency(
        &self,
        first: u64,
        second: u64,
    ) -> Result<crate::export::Proof, ProofError> {
        crate::export::prove_consistency(&self.tree, first, second)
    }

    /// The public key verifiers need.
    pub fn public_key(&self) -> PublicKey {
        self.signer.public_key()
    }
}

/// What verification found wrong. Entry problems name the first bad entry exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Tamper {
    /// Entry `index` is not what was written (edited, moved, inserted or removed there).
    #[error("entry {index} is not what was written: {reason}")]
    Entry {
        /// The first bad entry.
        index: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Checkpoint `index` is not valid.
    #[error("checkpoint {index} is not valid: {reason}")]
    Checkpoint {
        /// Position in the checkpoint list (the retained head is the last).
        index: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A checkpoint covers more entries than the ledger holds: the tail was cut or the
    /// ledger rolled back.
    #[error(
        "checkpoint {index} covers {size} entries but the ledger holds {len}: entries were removed"
    )]
    Truncated {
        /// The checkpoint.
        index: usize,
        /// Its size.
        size: u64,
        /// Entries present.
        len: u64,
    },
}

/// What a clean verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Entries verified.
    pub entries: u64,
    /// Checkpoints verified (including a retained head).
    pub checkpoints: usize,
}

/// Verifies a stored ledger with only the public key: every entry decodes canonically with
/// its own sequence number; every checkpoint is signed by `key`, in order, consistent with
/// the next and matches the recomputed tree; entries after the last checkpoint carry valid
/// receipts. `retained` is a checkpoint kept outside (by an auditor): it must match too, so
/// a truncated or rolled-back ledger is caught.
pub fn verify(
    entries: &[Stored],
    checkpoints: &[Checkpoint],
    retained: Option<&Checkpoint>,
    key: &PublicKey,
) -> Result<Verified, Tamper> {
    let receipt_ok = |i: usize| {
        key.verify(
            &receipt_message(i as u64, &leaf_hash(&entries[i].bytes)),
            &entries[i].receipt,
        )
    };
    let first_bad_receipt = |from: u64, to: u64| (from..to).find(|&i| !receipt_ok(i as usize));
    let all: Vec<&Checkpoint> = checkpoints.iter().chain(retained).collect();
    let mut tree = Tree::new();
    for (i, e) in entries.iter().enumerate() {
        let index = i as u64;
        let problem = match Entry::decode(&e.bytes) {
            Err(_) => Some("not a canonical entry"),
            Ok(entry) if entry.seq != index => Some("sequence number out of place"),
            Ok(_) => None,
        };
        if let Some(reason) = problem {
            // The symptom may come after the cause (a forged entry inserted before this one
            // pushes it out of place): the earliest entry since the last checkpoint that
            // still verifies whose receipt fails is the one to name.
            let verified = all
                .iter()
                .filter(|c| {
                    c.size <= index && c.verify(key) && c.root_hash() == tree.root(c.size).ok()
                })
                .map(|c| c.size)
                .max()
                .unwrap_or(0);
            return Err(match first_bad_receipt(verified, index) {
                Some(earlier) => Tamper::Entry {
                    index: earlier,
                    reason: "receipt does not match the entry",
                },
                None => Tamper::Entry { index, reason },
            });
        }
        tree.push(leaf_hash(&e.bytes));
    }
    let all: Vec<&Checkpoint> = checkpoints.iter().chain(retained).collect();
    let len = tree.len();
    let mut previous: Option<(u64, Hash)> = None;
    for (index, c) in all.iter().enumerate() {
        if !c.verify(key) {
            return Err(Tamper::Checkpoint {
                index,
                reason: "signature does not verify with the ledger key",
            });
        }
        if c.size > len {
            return Err(Tamper::Truncated {
                index,
                size: c.size,
                len,
            });
        }
        let root = tree.root(c.size).expect("size checked against the tree");
        if c.root_hash() != Some(root) {
            let from = previous.map_or(0, |(s, _)| s.min(c.size));
            return Err(match first_bad_receipt(from, c.size) {
                Some(i) => Tamper::Entry {
                    index: i,
                    reason: "receipt does not match the entry",
                },
                None => Tamper::Checkpoint {
                    index,
                    reason: "root does not match the entries",
                },
            });
        }
        if let Some((size, prev_root)) = previous
            && size <= c.size
        {
            let proof = tree
                .consistency_proof(size.max(1), c.size)
                .expect("sizes within the tree");
            if size > 0 && !verify_consistency(size, c.size, &prev_root, &root, &proof) {
                return Err(Tamper::Checkpoint {
                    index,
                    reason: "not consistent with the previous checkpoint",
                });
            }
        }
        if previous.is_none_or(|(s, _)| c.size >= s) {
            previous = Some((c.size, root));
        }
    }
    let covered = previous.map_or(0, |(s, _)| s);
    if let Some(i) = first_bad_receipt(covered, len) {
        return Err(Tamper::Entry {
            index: i,
            reason: "receipt does not match the entry",
        });
    }
    Ok(Verified {
        entries: len,
        checkpoints: all.len(),
    })
}
