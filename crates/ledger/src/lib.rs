//! What happened, provably: the tamper-evident ledger of crosscheck.
//!
//! - [`merkle`]: the Merkle log of RFC 6962 / RFC 9162 — an append-only tree over entry
//!   hashes whose root commits to every entry, with inclusion proofs (this entry is in the
//!   log) and consistency proofs (this log extends the one an auditor saw) that anyone can
//!   check with nothing but hashes.
//! - [`entry`]: canonical entries with personal values only as keyed HMACs.
//! - [`checkpoint`]: Ed25519-signed tree heads and per-entry receipts, behind a `Signer`.
//! - [`ledger`]: appending, checkpointing, proving, and [`ledger::verify`], which needs only
//!   the public key and names the first bad entry exactly.
//!
//! - [`accounting`]: everything concerning one taxpayer (found by the HMAC of the TIN) and
//!   per-agency, per-year totals, as § 6103(p)(3) requires.
//! - [`export`]: the files an oversight body receives (ledger export, checkpoints, proofs,
//!   public key) and [`export::Proof::check`], which needs nothing else.
//!
//! Storage in the gateway's database, in the same transaction as the change an entry records,
//! is the remaining work of issue 4 (it comes with the gateway's store).
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

pub mod accounting;
pub mod checkpoint;
pub mod entry;
pub mod export;
pub mod ledger;
pub mod merkle;
