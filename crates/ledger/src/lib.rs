//! What happened, provably: the tamper-evident ledger of crosscheck.
//!
//! This first part is the Merkle log of RFC 6962 / RFC 9162 ([`merkle`]): an append-only
//! tree over entry hashes whose root (the tree head) commits to every entry, with inclusion
//! proofs (this entry is in the log) and consistency proofs (this log extends the one an
//! auditor saw before) that anyone can check with nothing but hashes. Entry encoding,
//! signed checkpoints, storage and the `crosscheck ledger` commands build on it (issue 4).
//!
//! ```
//! use crosscheck_ledger::merkle::{leaf_hash, verify_consistency, verify_inclusion, Tree};
//! let mut tree = Tree::new();
//! for entry in ["request 1 received", "request 1 rejected: no lawful basis", "request 2 received"] {
//!     tree.push(leaf_hash(entry.as_bytes()));
//! }
//! let root = tree.root(3).unwrap();
//! let proof = tree.inclusion_proof(1, 3).unwrap();
//! assert!(verify_inclusion(&leaf_hash(b"request 1 rejected: no lawful basis"), 1, 3, &proof, &root));
//! let old = tree.root(2).unwrap();
//! assert!(verify_consistency(2, 3, &old, &root, &tree.consistency_proof(2, 3).unwrap()));
//! ```

pub mod merkle;
