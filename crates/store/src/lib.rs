//! Where crosscheck's state lives: one SQLite file by default, PostgreSQL in production,
//! behind one [`Store`] with the same behaviour on both (one conformance suite proves it).
//!
//! Three promises hold by construction:
//!
//! - **No entry, no change.** Every state change runs in a [`Tx`], and [`Tx::commit`]
//!   refuses to commit a transaction that did not append at least one ledger entry
//!   ([`Tx::record`]). The entry and the change commit together or not at all, so when the
//!   ledger cannot be written nothing changes ([`StoreError::AuditUnavailable`]).
//! - **Personal data is sealed at rest.** Names, dates of birth, TINs and addresses are
//!   stored only inside `sealed` columns (XChaCha20-Poly1305 under a key that lives outside
//!   the database, bound to the row it belongs to) or as keyed HMACs for lookups.
//! - **Durable or nothing.** SQLite runs in WAL mode with `synchronous=FULL`; PostgreSQL
//!   must have `fsync`, `synchronous_commit` and `full_page_writes` on. [`Store::open`]
//!   refuses to start otherwise.
//!
//! ```no_run
//! # async fn example() -> Result<(), crosscheck_store::StoreError> {
//! use crosscheck_store::{Keys, Store};
//! let store = Store::open("sqlite://data/crosscheck.db", Keys::generate()).await?;
//! let mut tx = store.begin().await?;
//! tx.record(crosscheck_ledger::entry::Draft {
//!     actor: "system".into(),
//!     action: "store.opened".into(),
//!     outcome: "ok".into(),
//!     ..Default::default()
//! })
//! .await?;
//! tx.commit().await?;
//! # Ok(()) }
//! ```

mod crypt;
pub mod ledger;
pub mod registry;
pub mod requests;
pub mod returns;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Row};

use crosscheck_ledger::accounting;
use crosscheck_ledger::checkpoint::{Ed25519Signer, PublicKey, Signer};
use crosscheck_ledger::entry::{Draft, PersonalKey};
use crosscheck_ledger::merkle::leaf_hash;

pub use crypt::Cipher;

/// The two database engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One file, WAL, `synchronous=FULL`: the embedded default.
    Sqlite,
    /// PostgreSQL: production.
    Postgres,
}

/// What went wrong in the store. Messages carry identifiers and counts, never personal
/// values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed an operation.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("schema migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database was migrated by a newer crosscheck; this program must not write to it.
    #[error(
        "the database's schema (migration {0}) is newer than this program knows; run the crosscheck release that created it, or a later one"
    )]
    SchemaTooNew(i64),
    /// The database is configured so that a committed change could be lost.
    #[error("refusing to start: {0}")]
    Unsafe(String),
    /// The ledger could not be written; the change it would record was not made.
    #[error("the ledger cannot be written, so nothing was changed: {0}")]
    AuditUnavailable(sqlx::Error),
    /// A transaction tried to commit a change without a ledger entry.
    #[error("refusing to commit a change that has no ledger entry")]
    Unaudited,
    /// A sealed value did not open: wrong key, or the row was altered or moved.
    #[error("sealed data in {table} row {row} does not open with this key")]
    Sealed {
        /// Table.
        table: &'static str,
        /// Row identifier.
        row: String,
    },
    /// Stored data is not what this program wrote.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The URL names no supported database.
    #[error("unsupported database URL (expected sqlite://PATH or postgres://…): {0}")]
    Url(String),
}

/// The keys the store works with; each comes from a file or environment variable named in
/// the configuration, never from the database.
#[derive(Clone)]
pub struct Keys {
    /// Seals personal data at rest.
    pub data: [u8; 32],
    /// HMACs personal values in ledger entries and lookup columns (auditors hold it too).
    pub personal: PersonalKey,
    /// Signs ledger receipts and checkpoints.
    pub signer: Arc<dyn Signer>,
}

impl Keys {
    /// Three fresh random keys (tests and first start of the embedded default).
    pub fn generate() -> Keys {
        Keys::from_bytes(random_32(), random_32(), random_32())
    }

    /// Keys from their bytes.
    pub fn from_bytes(data: [u8; 32], personal: [u8; 32], signing_seed: [u8; 32]) -> Keys {
        Keys {
            data,
            personal: PersonalKey::new(personal.to_vec()),
            signer: Arc::new(Ed25519Signer::from_seed(signing_seed)),
        }
    }
}

/// 32 random bytes from the operating system.
pub fn random_32() -> [u8; 32] {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the operating system's random source is available");
    b
}

/// Where the time comes from: the system clock in service, a fixed one in tests.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// The store: a connection pool, the keys, and (for SQLite) the single-writer gate.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    cipher: Cipher,
    personal: PersonalKey,
    signer: Arc<dyn Signer>,
    clock: Arc<dyn Clock>,
    /// SQLite has one writer: writers queue here instead of spinning on `SQLITE_BUSY`.
    writer: Option<Arc<tokio::sync::Mutex<()>>>,
    /// The Merkle tree of the committed entries, extended on demand (checkpoints, proofs).
    tree: Arc<tokio::sync::Mutex<crosscheck_ledger::merkle::Tree>>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens (creating if needed) the database at `url` — `sqlite://PATH` or a plain path for
    /// SQLite, `postgres://…` for PostgreSQL — checks its durability settings, and migrates
    /// the schema. Refuses a schema newer than this program.
    pub async fn open(url: &str, keys: Keys) -> Result<Store, StoreError> {
        Store::open_with_clock(url, keys, Arc::new(SystemClock)).await
    }

    /// [`Store::open`] with a given clock.
    pub async fn open_with_clock(
        url: &str,
        keys: Keys,
        clock: Arc<dyn Clock>,
    ) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            (Backend::Sqlite, format!("sqlite://{path}?mode=rwc"))
        } else if url.contains("://") {
            return Err(StoreError::Url(url.to_string()));
        } else {
            (Backend::Sqlite, format!("sqlite://{url}?mode=rwc"))
        };
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .connect(&url)
                    .await?
            }
        };
        let store = Store {
            pool,
            backend,
            cipher: Cipher::new(&keys.data),
            personal: keys.personal,
            signer: keys.signer,
            clock,
            writer: (backend == Backend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(()))),
            tree: Arc::new(tokio::sync::Mutex::new(
                crosscheck_ledger::merkle::Tree::new(),
            )),
        };
        store.check_durability().await?;
        let migrated = match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&store.pool).await,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&store.pool).await,
        };
        match migrated {
            Err(sqlx::migrate::MigrateError::VersionMissing(v)) => Err(StoreError::SchemaTooNew(v)),
            Err(e) => Err(e.into()),
            Ok(()) => {
                store.index_tins().await?;
                Ok(store)
            }
        }
    }

    /// Refuses settings under which an acknowledged change could be lost (RELIABILITY B5).
    async fn check_durability(&self) -> Result<(), StoreError> {
        let settings: Vec<(String, String)> = match self.backend {
            Backend::Sqlite => {
                let mode: String = sqlx::query("PRAGMA journal_mode")
                    .fetch_one(&self.pool)
                    .await?
                    .try_get(0)?;
                let sync: i64 = sqlx::query("PRAGMA synchronous")
                    .fetch_one(&self.pool)
                    .await?
                    .try_get(0)?;
                vec![
                    ("journal_mode".into(), mode),
                    ("synchronous".into(), sync.to_string()),
                ]
            }
            Backend::Postgres => {
                let mut out = Vec::new();
                for setting in ["fsync", "synchronous_commit", "full_page_writes"] {
                    let value: String = sqlx::query(&format!("SHOW {setting}"))
                        .fetch_one(&self.pool)
                        .await?
                        .try_get(0)?;
                    out.push((setting.to_string(), value));
                }
                out
            }
        };
        unsafe_setting(self.backend, &settings).map_or(Ok(()), |m| Err(StoreError::Unsafe(m)))
    }

    /// Which engine this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for read-only queries of the modules of this crate.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The sealing cipher.
    pub(crate) fn cipher(&self) -> &Cipher {
        &self.cipher
    }

    /// The HMAC key for personal values.
    pub fn personal_key(&self) -> &PersonalKey {
        &self.personal
    }

    /// The public key that verifies this ledger.
    pub fn public_key(&self) -> PublicKey {
        self.signer.public_key()
    }

    /// The store's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Begins a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`
    /// after the in-process writer gate), so two writers never deadlock on an upgrade.
    pub async fn begin(&self) -> Result<Tx<'_>, StoreError> {
        let guard = match &self.writer {
            Some(w) => Some(Arc::clone(w).lock_owned().await),
            None => None,
        };
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx {
            tx,
            store: self,
            recorded: Vec::new(),
            _writer: guard,
        })
    }

    /// Whether the database answers (the health check; costs one round trip).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").fetch_one(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// `PRAGMA integrity_check` on SQLite; PostgreSQL answers `ok` (use `pg_amcheck`).
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(sqlx::query("PRAGMA integrity_check")
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?),
            Backend::Postgres => Ok("ok".into()),
        }
    }
}

/// Why `settings` (name, value as the database reports it) could lose an acknowledged
/// change, if they could.
pub fn unsafe_setting(backend: Backend, settings: &[(String, String)]) -> Option<String> {
    settings.iter().find_map(|(name, value)| {
        let bad = match (backend, name.as_str()) {
            (Backend::Sqlite, "journal_mode") => !value.eq_ignore_ascii_case("wal"),
            // 2 = FULL, 3 = EXTRA.
            (Backend::Sqlite, "synchronous") => value.parse::<i64>().map_or(true, |v| v < 2),
            (Backend::Postgres, _) => value == "off",
            _ => false,
        };
        bad.then(|| match backend {
            Backend::Sqlite => format!(
                "SQLite {name} is {value}; crosscheck needs journal_mode=WAL and synchronous=FULL"
            ),
            Backend::Postgres => format!(
                "PostgreSQL {name} is {value}; committed disclosures could be lost on a crash"
            ),
        })
    })
}

/// A transaction that must record what it changes in the ledger before it may commit.
pub struct Tx<'s> {
    tx: sqlx::Transaction<'static, Any>,
    store: &'s Store,
    recorded: Vec<u64>,
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx<'_> {
    /// The connection, for the statements of this crate's modules.
    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// The store this transaction belongs to.
    pub(crate) fn store(&self) -> &Store {
        self.store
    }

    /// Appends a ledger entry in this transaction and returns its sequence number. Fails with
    /// [`StoreError::AuditUnavailable`] when the ledger cannot be written.
    pub async fn record(&mut self, draft: Draft) -> Result<u64, StoreError> {
        let seqs = self.record_all(vec![draft]).await?;
        Ok(seqs[0])
    }

    /// Appends several entries in this transaction with one sequence reservation and
    /// multi-row inserts (what a batch of subjects needs); returns their sequence numbers.
    pub async fn record_all(&mut self, drafts: Vec<Draft>) -> Result<Vec<u64>, StoreError> {
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let seqs = self
            .append_all(drafts)
            .await
            .map_err(StoreError::AuditUnavailable)?;
        self.recorded.extend_from_slice(&seqs);
        Ok(seqs)
    }

    async fn append_all(&mut self, drafts: Vec<Draft>) -> Result<Vec<u64>, sqlx::Error> {
        let n = i64::try_from(drafts.len()).map_err(|_| sqlx::Error::RowNotFound)?;
        // The TIN index follows the ledger only while it is complete (it always is once the
        // store has caught up at start; see `ledger::index_tins`).
        let head = sqlx::query(
            "UPDATE ledger_head SET size = size + $1, \
             tins_indexed = CASE WHEN tins_indexed = size THEN tins_indexed + $1 ELSE tins_indexed END \
             WHERE id = 1 RETURNING size, tins_indexed",
        )
        .bind(n)
        .fetch_one(&mut *self.tx)
        .await?;
        let size: i64 = head.try_get(0)?;
        let indexing = head.try_get::<i64, _>(1)? == size;
        let first = u64::try_from(size - n).map_err(|_| sqlx::Error::RowNotFound)?;
        let now = self.store.now_ms();
        let mut tins: Vec<(String, i64)> = Vec::new();
        let rows: Vec<(i64, Vec<u8>, Vec<u8>)> = drafts
            .into_iter()
            .enumerate()
            .map(|(i, d)| {
                let seq = first + i as u64;
                let entry = d.seal(seq, now, &self.store.personal);
                if indexing && let Some(mac) = entry.personal.get(accounting::TIN) {
                    tins.push((mac.clone(), size - n + i as i64));
                }
                let bytes = entry.encode();
                let receipt =
                    self.store
                        .signer
                        .sign(&crosscheck_ledger::checkpoint::receipt_message(
                            seq,
                            &leaf_hash(&bytes),
                        ));
                (size - n + i as i64, bytes, receipt.to_vec())
            })
            .collect();
        for chunk in rows.chunks(500) {
            let mut sql = String::from("INSERT INTO ledger_entries (seq, body, receipt) VALUES ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3));
            }
            let mut q = sqlx::query(&sql);
            for (seq, body, receipt) in chunk {
                q = q.bind(*seq).bind(body.clone()).bind(receipt.clone());
            }
            q.execute(&mut *self.tx).await?;
        }
        ledger::insert_tins(&mut self.tx, &tins).await?;
        Ok((first..first + rows.len() as u64).collect())
    }

    /// Sequence numbers recorded so far.
    pub fn recorded(&self) -> &[u64] {
        &self.recorded
    }

    /// Commits the change and its ledger entries together.
    pub async fn commit(self) -> Result<Vec<u64>, StoreError> {
        if self.recorded.is_empty() {
            self.tx.rollback().await?;
            return Err(StoreError::Unaudited);
        }
        self.tx.commit().await?;
        Ok(self.recorded)
    }

    /// Abandons the change.
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// Reads an optional text column.
pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>, sqlx::Error> {
    row.try_get::<Option<String>, _>(col)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two backends' migrations are written by hand in two dialects; they must stay in
    /// step, version for version, so that one conformance suite describes both.
    #[test]
    fn both_backends_have_the_same_migrations() {
        let list = |m: &sqlx::migrate::Migrator| -> Vec<(i64, String)> {
            m.iter()
                .map(|m| (m.version, m.description.to_string()))
                .collect()
        };
        assert!(SQLITE_MIGRATIONS.iter().count() >= 4);
        assert_eq!(list(&SQLITE_MIGRATIONS), list(&POSTGRES_MIGRATIONS));
    }

    fn s(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn each_unsafe_durability_setting_is_refused_with_its_name() {
        let cases = [
            (
                Backend::Sqlite,
                s(&[("journal_mode", "delete"), ("synchronous", "2")]),
                "journal_mode",
            ),
            (
                Backend::Sqlite,
                s(&[("journal_mode", "wal"), ("synchronous", "1")]),
                "synchronous",
            ),
            (Backend::Postgres, s(&[("fsync", "off")]), "fsync"),
            (
                Backend::Postgres,
                s(&[("fsync", "on"), ("synchronous_commit", "off")]),
                "synchronous_commit",
            ),
            (
                Backend::Postgres,
                s(&[("full_page_writes", "off")]),
                "full_page_writes",
            ),
        ];
        for (backend, settings, name) in cases {
            let why = unsafe_setting(backend, &settings).expect("refused");
            assert!(why.contains(name), "{why}");
        }
        assert_eq!(
            unsafe_setting(
                Backend::Sqlite,
                &s(&[("journal_mode", "wal"), ("synchronous", "2")])
            ),
            None
        );
        assert_eq!(
            unsafe_setting(
                Backend::Sqlite,
                &s(&[("journal_mode", "WAL"), ("synchronous", "3")])
            ),
            None
        );
        assert_eq!(
            unsafe_setting(
                Backend::Postgres,
                &s(&[
                    ("fsync", "on"),
                    ("synchronous_commit", "remote_apply"),
                    ("full_page_writes", "on")
                ])
            ),
            None
        );
    }
}
