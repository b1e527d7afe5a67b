//! The ledger as stored: entries appended by [`crate::Tx::record`], checkpoints issued here,
//! and verification, proofs and accounting over what the database holds.

use std::collections::BTreeSet;

use sqlx::{Any, Row};

use crosscheck_ledger::accounting;
use crosscheck_ledger::checkpoint::Checkpoint;
use crosscheck_ledger::entry::Entry;
use crosscheck_ledger::export::{self, Proof};
use crosscheck_ledger::ledger::{Stored, Tamper, Verified, verify};
use crosscheck_ledger::merkle::{ProofError, Tree, leaf_hash};

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
        let tree = self.synced_tree().await?;
        let size = tree.len();
        if let Some(c) = self.latest_checkpoint().await?.filter(|c| c.size == size) {
            return Ok(c);
        }
        let root = tree
            .root(size)
            .expect("the tree's own size is always provable");
        drop(tree);
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

    /// The Merkle tree of the committed entries, kept in memory and brought up to date with
    /// the entries committed since the last call (O(new entries), not O(ledger)). Sequence
    /// order is commit order (ADR 0002), so the committed entries are always a prefix.
    async fn synced_tree(&self) -> Result<tokio::sync::MutexGuard<'_, Tree>, StoreError> {
        let mut tree = self.tree.lock().await;
        let from = i64::try_from(tree.len()).unwrap_or(i64::MAX);
        let rows = sqlx::query("SELECT seq, body FROM ledger_entries WHERE seq >= $1 ORDER BY seq")
            .bind(from)
            .fetch_all(self.pool())
            .await?;
        for r in &rows {
            let seq: i64 = r.try_get("seq")?;
            if seq != i64::try_from(tree.len()).unwrap_or(i64::MAX) {
                return Err(StoreError::Corrupt(format!(
                    "ledger entry {} is missing (found {seq})",
                    tree.len()
                )));
            }
            let body: Vec<u8> = r.try_get("body")?;
            tree.push(leaf_hash(&body));
        }
        Ok(tree)
    }

    /// Verifies the stored ledger with only its public key: every entry, every checkpoint,
    /// and `retained` (a checkpoint an auditor kept) if given; then that the accounting
    /// index by TIN holds exactly the entries that carry a TIN (so a deleted index row
    /// cannot hide a disclosure from a taxpayer's accounting).
    pub async fn verify_ledger(
        &self,
        retained: Option<&Checkpoint>,
    ) -> Result<Result<Verified, Tamper>, StoreError> {
        let entries = self.ledger_entries().await?;
        let checkpoints = self.checkpoints().await?;
        let verified = match verify(&entries, &checkpoints, retained, &self.public_key()) {
            Ok(v) => v,
            Err(t) => return Ok(Err(t)),
        };
        let indexed = self.tins_indexed().await?;
        let mut expected = BTreeSet::new();
        for (seq, stored) in entries.iter().enumerate().take(indexed) {
            let entry = Entry::decode(&stored.bytes)
                .map_err(|e| StoreError::Corrupt(format!("ledger entry {seq}: {e}")))?;
            if let Some(mac) = entry.personal.get(accounting::TIN) {
                expected.insert((mac.clone(), seq as u64));
            }
        }
        let rows = sqlx::query("SELECT tin_mac, seq FROM ledger_tins")
            .fetch_all(self.pool())
            .await?;
        let mut found = BTreeSet::new();
        for r in &rows {
            let seq: i64 = r.try_get(1)?;
            found.insert((
                r.try_get::<String, _>(0)?,
                u64::try_from(seq).unwrap_or(u64::MAX),
            ));
        }
        let first = expected
            .symmetric_difference(&found)
            .map(|(_, seq)| *seq)
            .min();
        if let Some(index) = first {
            return Ok(Err(Tamper::Entry {
                index,
                reason: "the accounting index by TIN disagrees with the entry",
            }));
        }
        Ok(Ok(verified))
    }

    /// How many leading entries the TIN index covers.
    async fn tins_indexed(&self) -> Result<usize, StoreError> {
        let n: i64 = sqlx::query("SELECT tins_indexed FROM ledger_head WHERE id = 1")
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Brings the TIN index up to the ledger's size: entries written before the index
    /// existed (migration 0006) are indexed once, at start.
    pub(crate) async fn index_tins(&self) -> Result<(), StoreError> {
        let _writer = match &self.writer {
            Some(w) => Some(w.lock().await),
            None => None,
        };
        let mut tx = self.pool().begin().await?;
        let head = sqlx::query("SELECT size, tins_indexed FROM ledger_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let (size, indexed): (i64, i64) = (head.try_get(0)?, head.try_get(1)?);
        if indexed >= size {
            return Ok(());
        }
        let rows = sqlx::query("SELECT seq, body FROM ledger_entries WHERE seq >= $1 AND seq < $2")
            .bind(indexed)
            .bind(size)
            .fetch_all(&mut *tx)
            .await?;
        let mut tins = Vec::new();
        for r in &rows {
            let seq: i64 = r.try_get(0)?;
            let body: Vec<u8> = r.try_get(1)?;
            let entry = Entry::decode(&body)
                .map_err(|e| StoreError::Corrupt(format!("ledger entry {seq}: {e}")))?;
            if let Some(mac) = entry.personal.get(accounting::TIN) {
                tins.push((mac.clone(), seq));
            }
        }
        insert_tins(&mut tx, &tins).await?;
        sqlx::query("UPDATE ledger_head SET tins_indexed = $1 WHERE id = 1 AND tins_indexed = $2")
            .bind(size)
            .bind(indexed)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The ledger entries about the taxpayer with `tin` (nine digits), in ledger order,
    /// through the TIN index (RULES 29).
    pub async fn taxpayer_entries(&self, tin: &str) -> Result<Vec<Entry>, StoreError> {
        let mac = self.personal_key().mac(accounting::TIN, tin);
        let rows = sqlx::query(
            "SELECT e.seq, e.body FROM ledger_tins t JOIN ledger_entries e ON e.seq = t.seq \
             WHERE t.tin_mac = $1 ORDER BY e.seq",
        )
        .bind(mac.clone())
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let seq: i64 = r.try_get(0)?;
            let body: Vec<u8> = r.try_get(1)?;
            let entry = Entry::decode(&body)
                .map_err(|e| StoreError::Corrupt(format!("ledger entry {seq}: {e}")))?;
            if entry.personal.get(accounting::TIN) == Some(&mac) {
                out.push(entry);
            }
        }
        Ok(out)
    }

    /// Inclusion proof of entry `seq` in the ledger of `size` entries.
    pub async fn prove_inclusion(
        &self,
        seq: u64,
        size: u64,
    ) -> Result<Result<Proof, ProofError>, StoreError> {
        let tree = self.synced_tree().await?;
        let path = match tree.inclusion_proof(seq, size) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        drop(tree);
        let body: Vec<u8> = sqlx::query("SELECT body FROM ledger_entries WHERE seq = $1")
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        Ok(Ok(Proof::Inclusion {
            index: seq,
            size,
            entry: String::from_utf8_lossy(&body).into_owned(),
            path: path.iter().map(hex::encode).collect(),
        }))
    }

    /// Consistency proof between sizes `first` and `second`.
    pub async fn prove_consistency(
        &self,
        first: u64,
        second: u64,
    ) -> Result<Result<Proof, ProofError>, StoreError> {
        let tree = self.synced_tree().await?;
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

/// Adds `(tin_mac, seq)` rows to the TIN index in `tx`.
pub(crate) async fn insert_tins(
    tx: &mut sqlx::Transaction<'static, Any>,
    tins: &[(String, i64)],
) -> Result<(), sqlx::Error> {
    for chunk in tins.chunks(500) {
        let mut sql = String::from("INSERT INTO ledger_tins (tin_mac, seq) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("(${}, ${})", 2 * i + 1, 2 * i + 2));
        }
        let mut q = sqlx::query(&sql);
        for (mac, seq) in chunk {
            q = q.bind(mac.clone()).bind(*seq);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
