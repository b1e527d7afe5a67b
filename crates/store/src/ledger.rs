//! The ledger as stored: entries appended by [`crate::Tx::record`], checkpoints issued here,
//! and verification, proofs and accounting over what the database holds.

use sqlx::Row;

use crosscheck_ledger::checkpoint::Checkpoint;
use crosscheck_ledger::entry::Entry;
use crosscheck_ledger::export::{self, Proof};
use crosscheck_ledger::ledger::{Stored, Tamper, Verified, verify};
use crosscheck_ledger::merkle::{ProofError, Tree};

use crate::{Store, StoreError};

impl Store {
    /// Every stored entry, in sequence order.
    pub async fn ledger_entries(&self) -> Result<Vec<Stored>, StoreError> {
        let rows = sqlx::query("SELECT seq, body, receipt FROM ledger_entries ORDER BY seq")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let receipt: Vec<u8> = r.try_get("receipt")?;
                let seq: i64 = r.try_get("seq")?;
                Ok(Stored {
                    bytes: r.try_get("body")?,
                    receipt: receipt.try_into().map_err(|_| {
                        StoreError::Corrupt(format!("ledger entry {seq} has a malformed receipt"))
                    })?,
                })
            })
            .collect()
    }

    /// Every checkpoint, oldest first.
    pub async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        let rows = sqlx::query("SELECT size, body FROM checkpoints ORDER BY size")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let body: String = r.try_get("body")?;
                let size: i64 = r.try_get("size")?;
                serde_json::from_str(&body).map_err(|_| {
                    StoreError::Corrupt(format!("checkpoint of size {size} is not JSON"))
                })
            })
            .collect()
    }

    /// The newest checkpoint, if any.
    pub async fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        Ok(self.checkpoints().await?.pop())
    }

    /// Number of entries committed.
    pub async fn ledger_size(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM ledger_entries")
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Signs and stores a checkpoint of the ledger as committed now (or returns the latest
    /// one if nothing was appended since). The tree is recomputed from the stored entries,
    /// so a checkpoint never vouches for anything the database does not hold.
    pub async fn checkpoint(&self) -> Result<Checkpoint, StoreError> {
        let entries = self.ledger_entries().await?;
        let latest = self.latest_checkpoint().await?;
        if let Some(c) = latest.filter(|c| c.size == entries.len() as u64) {
            return Ok(c);
        }
        let tree = export::tree_of(&entries);
        let size = tree.len();
        let root = tree
            .root(size)
            .expect("the tree's own size is always provable");
        let c = Checkpoint::sign(size, &root, self.now_ms(), self.signer.as_ref());
        let body = serde_json::to_string(&c).expect("a checkpoint always serialises");
        sqlx::query(
            "INSERT INTO checkpoints (size, body) VALUES ($1, $2) ON CONFLICT (size) DO NOTHING",
        )
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .bind(body)
        .execute(self.pool())
        .await?;
        Ok(c)
    }

    /// Verifies the stored ledger with only its public key: every entry, every checkpoint,
    /// and `retained` (a checkpoint an auditor kept) if given.
    pub async fn verify_ledger(
        &self,
        retained: Option<&Checkpoint>,
    ) -> Result<Result<Verified, Tamper>, StoreError> {
        let entries = self.ledger_entries().await?;
        let checkpoints = self.checkpoints().await?;
        Ok(verify(&entries, &checkpoints, retained, &self.public_key()))
    }

    /// The tree of the stored entries and the entries.
    async fn tree(&self) -> Result<(Tree, Vec<Stored>), StoreError> {
        let entries = self.ledger_entries().await?;
        Ok((export::tree_of(&entries), entries))
    }

    /// Inclusion proof of entry `seq` in the ledger of `size` entries.
    pub async fn prove_inclusion(
        &self,
        seq: u64,
        size: u64,
    ) -> Result<Result<Proof, ProofError>, StoreError> {
        let (tree, entries) = self.tree().await?;
        Ok(export::prove_inclusion(&tree, &entries, seq, size))
    }

    /// Consistency proof between sizes `first` and `second`.
    pub async fn prove_consistency(
        &self,
        first: u64,
        second: u64,
    ) -> Result<Result<Proof, ProofError>, StoreError> {
        let (tree, _) = self.tree().await?;
        Ok(export::prove_consistency(&tree, first, second))
    }

    /// Decoded entries (for accounting views).
    pub async fn decoded_entries(&self) -> Result<Vec<Entry>, StoreError> {
        self.ledger_entries()
            .await?
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Entry::decode(&s.bytes)
                    .map_err(|e| StoreError::Corrupt(format!("ledger entry {i}: {e}")))
            })
            .collect()
    }
}
