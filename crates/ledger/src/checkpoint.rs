//! Signed checkpoints (tree heads) and entry receipts, Ed25519.
//!
//! A checkpoint commits to the whole ledger at one size: `(size, root, time)`, signed by
//! the ledger key and exported to an outside witness (an oversight body), so the custodian
//! cannot quietly rewrite history. A receipt is the ledger key's signature over one entry's
//! `(seq, leaf hash)`, made when it is appended; it authenticates entries written since the
//! last checkpoint and pinpoints an edited entry.

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::merkle::Hash;

/// What signs checkpoints and receipts. Implementations keep the private key out of reach
/// (a file named in configuration today; an HSM later).
pub trait Signer: Send + Sync {
    /// Signs `message`.
    fn sign(&self, message: &[u8]) -> [u8; 64];
    /// The public key that verifies the signatures.
    fn public_key(&self) -> PublicKey;
}

/// An Ed25519 signer from a 32-byte seed.
pub struct Ed25519Signer(SigningKey);

impl Ed25519Signer {
    /// The signer whose private key is `seed`.
    pub fn from_seed(seed: [u8; 32]) -> Ed25519Signer {
        Ed25519Signer(SigningKey::from_bytes(&seed))
    }
}

impl Signer for Ed25519Signer {
    fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }
}

/// An Ed25519 public key: all a verifier needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// Whether `signature` is this key's over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        VerifyingKey::from_bytes(&self.0)
            .is_ok_and(|k| k.verify(message, &Signature::from_bytes(signature)).is_ok())
    }
}

/// A tree head: the ledger at one size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Number of entries.
    pub size: u64,
    /// Merkle root of those entries, hex.
    pub root: String,
    /// Milliseconds since the Unix epoch when it was issued.
    pub time_ms: i64,
    /// Ed25519 signature over [`Checkpoint::message`], hex.
    pub signature: String,
}

impl Checkpoint {
    /// The signed bytes: `crosscheck-ledger/v1 checkpoint`, size, root and time, one per line.
    pub fn message(size: u64, root: &Hash, time_ms: i64) -> Vec<u8> {
        format!(
            "crosscheck-ledger/v1 checkpoint\n{size}\n{}\n{time_ms}\n",
            hex::encode(root)
        )
        .into_bytes()
    }

    /// Issues a signed checkpoint.
    pub fn sign(size: u64, root: &Hash, time_ms: i64, signer: &dyn Signer) -> Checkpoint {
        let signature = signer.sign(&Checkpoint::message(size, root, time_ms));
        Checkpoint {
            size,
            root: hex::encode(root),
            time_ms,
            signature: hex::encode(signature),
        }
    }

    /// The root as bytes, if well-formed.
    pub fn root_hash(&self) -> Option<Hash> {
        hex::decode(&self.root).ok()?.try_into().ok()
    }

    /// Whether the signature is `key`'s over this checkpoint.
    pub fn verify(&self, key: &PublicKey) -> bool {
        let (Some(root), Ok(sig)) = (self.root_hash(), hex::decode(&self.signature)) else {
            return false;
        };
        let Ok(sig) = <[u8; 64]>::try_from(sig) else {
            return false;
        };
        key.verify(&Checkpoint::message(self.size, &root, self.time_ms), &sig)
    }
}

/// The signed bytes of an entry receipt.
pub fn receipt_message(seq: u64, leaf: &Hash) -> Vec<u8> {
    format!("crosscheck-ledger/v1 entry\n{seq}\n{}\n", hex::encode(leaf)).into_bytes()
}
