//! RELIABILITY A4 at T0 size on the stored ledger: a 10,000-entry ledger in a SQLite file,
//! 100 random single mutations made directly in the database (byte flip, delete, swap,
//! insert, truncate the tail, a checkpoint re-signed with a foreign key, rollback to an
//! older copy) — every one detected, the first bad entry named for in-place edits — and no
//! false alarm on the clean copy.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::{Connection, Executor, Row};

use crosscheck_ledger::checkpoint::{Checkpoint, Ed25519Signer};
use crosscheck_ledger::entry::Draft;
use crosscheck_ledger::ledger::Tamper;
use crosscheck_store::{Keys, Store};

const ENTRIES: u64 = 10_000;
const MUTATIONS: usize = 100;

async fn build(path: &std::path::Path, keys: &Keys) -> Checkpoint {
    let store = Store::open(&format!("sqlite://{}", path.display()), keys.clone())
        .await
        .unwrap();
    let mut head = None;
    for batch in 0..(ENTRIES / 1_000) {
        let mut tx = store.begin().await.unwrap();
        for i in 0..1_000 {
            tx.record(Draft {
                actor: "tester".into(),
                action: "test.appended".into(),
                objects: [("n".to_string(), (batch * 1_000 + i).to_string())].into(),
                outcome: "ok".into(),
                personal: [("tin".to_string(), format!("{:09}", 100_000_000 + i))].into(),
            })
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        head = Some(store.checkpoint().await.unwrap());
    }
    store.close().await;
    head.unwrap()
}

/// A consistent, self-contained copy of a live SQLite database (its WAL included).
async fn snapshot(from: &std::path::Path, to: &std::path::Path) {
    let mut c = raw(from).await;
    sqlx::query(&format!("VACUUM INTO '{}'", to.display()))
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
}

async fn raw(path: &std::path::Path) -> sqlx::SqliteConnection {
    sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap()
}

async fn body(c: &mut sqlx::SqliteConnection, seq: i64) -> Vec<u8> {
    sqlx::query("SELECT body FROM ledger_entries WHERE seq = ?")
        .bind(seq)
        .fetch_one(&mut *c)
        .await
        .unwrap()
        .get(0)
}

async fn set_body(c: &mut sqlx::SqliteConnection, seq: i64, b: Vec<u8>) {
    sqlx::query("UPDATE ledger_entries SET body = ? WHERE seq = ?")
        .bind(b)
        .bind(seq)
        .execute(&mut *c)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_single_mutation_of_a_stored_ledger_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let built = dir.path().join("built.db");
    let keys = Keys::generate();
    let head = build(&built, &keys).await;
    // Self-contained snapshots (no WAL beside them) to copy for each mutation: the clean
    // ledger, and an older one (the first 5,000 entries and their checkpoints) for rollback.
    let clean = dir.path().join("clean.db");
    snapshot(&built, &clean).await;
    let trimmed = dir.path().join("trimmed.db");
    std::fs::copy(&clean, &trimmed).unwrap();
    {
        let mut c = raw(&trimmed).await;
        c.execute("DELETE FROM ledger_entries WHERE seq >= 5000")
            .await
            .unwrap();
        c.execute("DELETE FROM checkpoints WHERE size > 5000")
            .await
            .unwrap();
        c.execute("UPDATE ledger_head SET size = 5000")
            .await
            .unwrap();
        c.close().await.unwrap();
    }
    let older = dir.path().join("older.db");
    snapshot(&trimmed, &older).await;

    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let foreign = Ed25519Signer::from_seed([42; 32]);
    let mut detected = 0;
    for m in 0..MUTATIONS {
        let copy = dir.path().join(format!("m{m}.db"));
        let kind = m % 7;
        std::fs::copy(if kind == 6 { &older } else { &clean }, &copy).unwrap();
        let mut c = raw(&copy).await;
        let at = rng.random_range(0..ENTRIES as i64 - 1);
        // The entry an in-place edit must be named at, if any.
        let expect: Option<i64> = match kind {
            0 => {
                let mut b = body(&mut c, at).await;
                let i = rng.random_range(0..b.len());
                b[i] ^= 1 << rng.random_range(0..8);
                set_body(&mut c, at, b).await;
                Some(at)
            }
            1 => {
                sqlx::query("DELETE FROM ledger_entries WHERE seq = ?")
                    .bind(at)
                    .execute(&mut c)
                    .await
                    .unwrap();
                sqlx::query("UPDATE ledger_entries SET seq = seq - 1 WHERE seq > ?")
                    .bind(at)
                    .execute(&mut c)
                    .await
                    .unwrap();
                Some(at)
            }
            2 => {
                let (a, b) = (body(&mut c, at).await, body(&mut c, at + 1).await);
                set_body(&mut c, at, b).await;
                set_body(&mut c, at + 1, a).await;
                Some(at)
            }
            3 => {
                // Insert a forged copy of entry `at` before it, shifting the rest.
                let forged = body(&mut c, at).await;
                sqlx::query("UPDATE ledger_entries SET seq = -seq - 1 WHERE seq >= ?")
                    .bind(at)
                    .execute(&mut c)
                    .await
                    .unwrap();
                sqlx::query("UPDATE ledger_entries SET seq = -seq WHERE seq < 0")
                    .bind(at)
                    .execute(&mut c)
                    .await
                    .unwrap();
                sqlx::query("INSERT INTO ledger_entries (seq, body, receipt) VALUES (?, ?, ?)")
                    .bind(at)
                    .bind(forged)
                    .bind(vec![0u8; 64])
                    .execute(&mut c)
                    .await
                    .unwrap();
                Some(at)
            }
            4 => {
                sqlx::query("DELETE FROM ledger_entries WHERE seq >= ?")
                    .bind(at)
                    .execute(&mut c)
                    .await
                    .unwrap();
                None
            }
            5 => {
                let row = sqlx::query(
                    "SELECT size, body FROM checkpoints ORDER BY size LIMIT 1 OFFSET 3",
                )
                .fetch_one(&mut c)
                .await
                .unwrap();
                let cp: Checkpoint = serde_json::from_str(row.get::<&str, _>(1)).unwrap();
                let root = cp.root_hash().unwrap();
                let forged = Checkpoint::sign(cp.size, &root, cp.time_ms, &foreign);
                sqlx::query("UPDATE checkpoints SET body = ? WHERE size = ?")
                    .bind(serde_json::to_string(&forged).unwrap())
                    .bind(row.get::<i64, _>(0))
                    .execute(&mut c)
                    .await
                    .unwrap();
                None
            }
            _ => None, // rollback: the older copy against the retained head
        };
        c.close().await.unwrap();
        let store = Store::open(&format!("sqlite://{}", copy.display()), keys.clone())
            .await
            .unwrap();
        let result = store.verify_ledger(Some(&head)).await.unwrap();
        store.close().await;
        match (result, expect) {
            (Ok(_), _) => panic!("mutation {m} (kind {kind} at {at}) was not detected"),
            (Err(Tamper::Entry { index, .. }), Some(want)) => {
                assert_eq!(
                    index, want as u64,
                    "mutation {m} (kind {kind}) named the wrong entry"
                );
                detected += 1;
            }
            (Err(_), _) => detected += 1,
        }
        std::fs::remove_file(&copy).ok();
    }
    assert_eq!(detected, MUTATIONS);

    let store = Store::open(&format!("sqlite://{}", clean.display()), keys)
        .await
        .unwrap();
    for _ in 0..3 {
        let v = store
            .verify_ledger(Some(&head))
            .await
            .unwrap()
            .expect("no false alarm");
        assert_eq!(v.entries, ENTRIES);
    }
    store.close().await;
}
