//! The store conformance suite: every test runs against SQLite and PostgreSQL, each on a
//! fresh database. A behaviour difference between backends is a failing test.
//!
//! PostgreSQL is reached at `CROSSCHECK_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`); each test creates its own database there.

use std::future::Future;

use sqlx::{Connection, Executor};

use crosscheck_contract::{Date, TaxReturn, Tin};
use crosscheck_ledger::entry::Draft;
use crosscheck_ledger::ledger::Tamper;
use crosscheck_store::requests::{RequestRow, SubjectRow};
use crosscheck_store::{Keys, Store, StoreError};

struct Fresh {
    url: String,
    keys: Keys,
    pg_database: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

fn admin_url() -> String {
    std::env::var("CROSSCHECK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

impl Fresh {
    fn sqlite() -> Fresh {
        let dir = tempfile::tempdir().unwrap();
        Fresh {
            url: format!("sqlite://{}", dir.path().join("crosscheck.db").display()),
            keys: Keys::generate(),
            pg_database: None,
            _dir: Some(dir),
        }
    }

    async fn postgres() -> Fresh {
        let name = format!(
            "crosscheck_test_{}",
            hex::encode(&crosscheck_store::random_32()[..8])
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url()).await.expect(
            "PostgreSQL at CROSSCHECK_TEST_POSTGRES (start it: pg_ctlcluster … main start)",
        );
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        let base = admin_url();
        let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
        Fresh {
            url,
            keys: Keys::generate(),
            pg_database: Some(name),
            _dir: None,
        }
    }

    async fn open(&self) -> Store {
        Store::open(&self.url, self.keys.clone()).await.unwrap()
    }

    /// A raw connection that bypasses the store (to tamper, or to break the ledger).
    async fn raw(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.url).await.unwrap()
    }

    async fn cleanup(self, store: Store) {
        store.close().await;
        self.drop_database().await;
    }

    /// Drops a test's PostgreSQL database (SQLite's goes with its directory).
    async fn drop_database(self) {
        if let Some(name) = self.pg_database {
            let mut admin = sqlx::PgConnection::connect(&admin_url()).await.unwrap();
            admin
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .unwrap();
        }
    }
}

fn draft(action: &str) -> Draft {
    Draft {
        actor: "tester".into(),
        action: action.into(),
        outcome: "ok".into(),
        ..Default::default()
    }
}

fn ret(id: u32, given: &str, family: &str, street: &str) -> TaxReturn {
    TaxReturn {
        return_id: format!("R{id:06}").into(),
        tin: Tin::from_u32(123_451_000 + id).unwrap(),
        tax_year: 2020 + (id % 4) as u16,
        given_name: given.into(),
        middle_name: None,
        family_name: family.into(),
        dob: Some(Date::new(1980, 1 + (id % 12) as u8, 1 + (id % 28) as u8).unwrap()),
        street: street.into(),
        unit: None,
        city: "SPRINGFIELD".into(),
        state: "IL".into(),
        zip: "62704".into(),
        employer_name: Some("ACME".into()),
    }
}

fn request_row(id: &str, key: &str) -> RequestRow {
    RequestRow {
        id: id.into(),
        agency: "agency-a".into(),
        idempotency_key: key.into(),
        submitted_by: "requester-a".into(),
        configured_by: None,
        state: "received".into(),
        created_ms: 1_000,
        subjects: 1,
        gate: "{}".into(),
    }
}

async fn a_change_commits_with_its_ledger_entry_and_never_without(f: Fresh) {
    let store = f.open().await;
    let mut tx = store.begin().await.unwrap();
    tx.insert_request(&request_row("q1", "k1"), &"doc")
        .await
        .unwrap();
    assert!(matches!(tx.commit().await, Err(StoreError::Unaudited)));
    assert!(
        store.request("q1").await.unwrap().is_none(),
        "an unaudited change was committed"
    );

    let mut tx = store.begin().await.unwrap();
    tx.insert_request(&request_row("q1", "k1"), &"doc")
        .await
        .unwrap();
    let seq = tx.record(draft("request.received")).await.unwrap();
    assert_eq!(tx.commit().await.unwrap(), vec![seq]);
    assert_eq!(
        store.request("q1").await.unwrap().unwrap().state,
        "received"
    );
    assert_eq!(store.ledger_size().await.unwrap(), 1);
    assert_eq!(store.request_document::<String>("q1").await.unwrap(), "doc");
    f.cleanup(store).await;
}

async fn when_the_ledger_cannot_be_written_nothing_changes_and_repair_needs_no_restart(f: Fresh) {
    let store = f.open().await;
    let mut raw = f.raw().await;
    raw.execute("ALTER TABLE ledger_entries RENAME TO ledger_entries_away")
        .await
        .unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.insert_request(&request_row("q1", "k1"), &"doc")
        .await
        .unwrap();
    let err = tx.record(draft("request.received")).await.unwrap_err();
    assert!(matches!(err, StoreError::AuditUnavailable(_)), "{err}");
    drop(tx);
    assert!(store.request("q1").await.unwrap().is_none());
    raw.execute("ALTER TABLE ledger_entries_away RENAME TO ledger_entries")
        .await
        .unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.insert_request(&request_row("q1", "k1"), &"doc")
        .await
        .unwrap();
    tx.record(draft("request.received")).await.unwrap();
    tx.commit().await.unwrap();
    assert!(store.request("q1").await.unwrap().is_some());
    // The failed attempt left no gap: the ledger verifies.
    assert!(store.verify_ledger(None).await.unwrap().is_ok());
    f.cleanup(store).await;
}

async fn one_idempotency_key_names_one_request_per_agency(f: Fresh) {
    let store = f.open().await;
    let mut tx = store.begin().await.unwrap();
    tx.insert_request(&request_row("q1", "same"), &"doc")
        .await
        .unwrap();
    tx.record(draft("request.received")).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.insert_request(&request_row("q2", "same"), &"doc")
            .await
            .is_err()
    );
    drop(tx);
    assert_eq!(
        store
            .request_by_key("agency-a", "same")
            .await
            .unwrap()
            .unwrap()
            .id,
        "q1"
    );
    assert_eq!(store.requests(Some("agency-a")).await.unwrap().len(), 1);
    assert_eq!(store.requests(Some("agency-b")).await.unwrap().len(), 0);
    f.cleanup(store).await;
}

async fn returns_round_trip_sealed_and_reimport_adds_nothing(f: Fresh) {
    let store = f.open().await;
    let returns: Vec<TaxReturn> = (0..2_500)
        .map(|i| ret(i, "MARIA", "GARCIA LOPEZ", "12 ELM ST"))
        .collect();
    let mut seen = 0;
    let first = store
        .import_returns("operator", &returns, |n| seen = n)
        .await
        .unwrap();
    assert_eq!(
        (first.stored, first.already_present, seen),
        (2_500, 0, 2_500)
    );
    let again = store
        .import_returns("operator", &returns[..10], |_| {})
        .await
        .unwrap();
    assert_eq!((again.stored, again.already_present), (0, 10));
    assert_eq!(store.load_returns().await.unwrap(), returns);
    let tin = returns[7].tin.digits();
    assert_eq!(
        store.returns_of(&tin).await.unwrap(),
        vec![returns[7].clone()]
    );
    // Two chunks and one re-import: three ledger entries.
    assert_eq!(store.ledger_size().await.unwrap(), 3);
    f.cleanup(store).await;
}

async fn a_sealed_row_moved_or_opened_with_another_key_is_refused(f: Fresh) {
    let store = f.open().await;
    store
        .import_returns(
            "operator",
            &[
                ret(1, "ANA", "RUIZ", "1 OAK AVE"),
                ret(2, "LUIS", "SOTO", "2 OAK AVE"),
            ],
            |_| {},
        )
        .await
        .unwrap();
    let other = Store::open(&f.url, Keys::generate()).await.unwrap();
    assert!(matches!(
        other.load_returns().await,
        Err(StoreError::Sealed { .. })
    ));
    other.close().await;
    let mut raw = f.raw().await;
    raw.execute(
        "UPDATE taxpayer_returns SET sealed = (SELECT sealed FROM taxpayer_returns WHERE return_id = 'R000002') WHERE return_id = 'R000001'",
    )
    .await
    .unwrap();
    let err = store.load_returns().await.unwrap_err();
    assert!(err.to_string().contains("R000001"), "{err}");
    f.cleanup(store).await;
}

async fn checkpoints_verify_and_an_edited_entry_is_named(f: Fresh) {
    let store = f.open().await;
    for i in 0..20 {
        let mut tx = store.begin().await.unwrap();
        tx.record(draft(&format!("test.{i}"))).await.unwrap();
        tx.commit().await.unwrap();
        if i % 7 == 6 {
            store.checkpoint().await.unwrap();
        }
    }
    let head = store.checkpoint().await.unwrap();
    assert_eq!(head.size, 20);
    assert_eq!(
        store.checkpoint().await.unwrap(),
        head,
        "no new entries, no new checkpoint"
    );
    let ok = store.verify_ledger(Some(&head)).await.unwrap().unwrap();
    assert_eq!((ok.entries, ok.checkpoints), (20, 4));
    let proof = store.prove_inclusion(5, 20).await.unwrap().unwrap();
    assert!(
        proof
            .check(&store.checkpoints().await.unwrap(), &store.public_key())
            .is_ok()
    );
    let proof = store.prove_consistency(7, 20).await.unwrap().unwrap();
    assert!(
        proof
            .check(&store.checkpoints().await.unwrap(), &store.public_key())
            .is_ok()
    );

    let mut raw = f.raw().await;
    let body: Vec<u8> = sqlx::Row::get(
        &sqlx::query("SELECT body FROM ledger_entries WHERE seq = 9")
            .fetch_one(&mut raw)
            .await
            .unwrap(),
        0,
    );
    let edited = String::from_utf8(body).unwrap().replace("test.9", "test.X");
    sqlx::query("UPDATE ledger_entries SET body = $1 WHERE seq = 9")
        .bind(edited.into_bytes())
        .execute(&mut raw)
        .await
        .unwrap();
    match store.verify_ledger(Some(&head)).await.unwrap() {
        Err(Tamper::Entry { index, .. }) => assert_eq!(index, 9),
        other => panic!("edit not named: {other:?}"),
    }
    f.cleanup(store).await;
}

async fn subjects_queue_and_responses_follow_their_rows(f: Fresh) {
    let store = f.open().await;
    let mut tx = store.begin().await.unwrap();
    tx.insert_request(&request_row("q1", "k1"), &"doc")
        .await
        .unwrap();
    for p in 0..3u64 {
        let row = SubjectRow {
            request_id: "q1".into(),
            position: p,
            state: if p == 1 { "in_review" } else { "no_match" }.into(),
            outcome: "review".into(),
            assigned_to: (p == 1).then(|| "rev-1".to_string()),
            determined_by: None,
            reason_code: None,
            tin_mac: None,
        };
        tx.insert_subject(&row, &format!("subject {p}"))
            .await
            .unwrap();
    }
    tx.record(draft("request.matched")).await.unwrap();
    tx.commit().await.unwrap();
    let queue = store.queue("rev-1", "in_review").await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].position, 1);
    assert!(store.queue("rev-2", "in_review").await.unwrap().is_empty());
    assert_eq!(
        store.subject_document::<String>("q1", 2).await.unwrap(),
        "subject 2"
    );

    let mut tx = store.begin().await.unwrap();
    tx.set_response("q1", 0, &"no_information").await.unwrap();
    tx.add_release_approval("q1", 1, "officer-1", 5)
        .await
        .unwrap();
    tx.add_release_approval("q1", 1, "officer-1", 6)
        .await
        .unwrap();
    tx.record(draft("release.disclosed")).await.unwrap();
    tx.commit().await.unwrap();
    let responses = store.responses::<String>("q1").await.unwrap();
    assert_eq!(
        responses,
        vec![Some("no_information".to_string()), None, None]
    );
    assert_eq!(
        store.release_approvals("q1", 1).await.unwrap(),
        vec!["officer-1".to_string()]
    );
    assert_eq!(store.subjects_on_day("agency-a", 0).await.unwrap(), 1);
    assert_eq!(
        store.subjects_on_day("agency-a", 86_400_000).await.unwrap(),
        0
    );
    assert_eq!(store.subjects_on_day("agency-b", 0).await.unwrap(), 0);
    f.cleanup(store).await;
}

async fn concurrent_writers_get_distinct_gapless_sequence_numbers(f: Fresh) {
    let store = f.open().await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                let mut tx = store.begin().await.unwrap();
                tx.record(draft(&format!("t{t}.{i}"))).await.unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.ledger_size().await.unwrap(), 200);
    assert!(store.verify_ledger(None).await.unwrap().is_ok());
    f.cleanup(store).await;
}

async fn entries_recorded_together_get_consecutive_numbers_and_verify(f: Fresh) {
    let store = f.open().await;
    let mut tx = store.begin().await.unwrap();
    tx.record(draft("first")).await.unwrap();
    let seqs = tx
        .record_all((0..1_200).map(|i| draft(&format!("batch.{i}"))).collect())
        .await
        .unwrap();
    assert_eq!(seqs, (1..1_201).collect::<Vec<u64>>());
    assert!(tx.record_all(Vec::new()).await.unwrap().is_empty());
    assert_eq!(tx.commit().await.unwrap().len(), 1_201);
    let head = store.checkpoint().await.unwrap();
    assert_eq!(head.size, 1_201);
    assert!(store.verify_ledger(Some(&head)).await.unwrap().is_ok());
    f.cleanup(store).await;
}

async fn an_officer_note_reads_back_only_from_its_own_request(f: Fresh) {
    let store = f.open().await;
    let mut tx = store.begin().await.unwrap();
    tx.insert_request(&request_row("q1", "k1"), &"doc")
        .await
        .unwrap();
    tx.insert_request(&request_row("q2", "k2"), &"doc")
        .await
        .unwrap();
    tx.set_officer_note("q1", "volume justified by case A-1")
        .await
        .unwrap();
    tx.record(draft("request.officer_decided")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        store.officer_note("q1").await.unwrap().as_deref(),
        Some("volume justified by case A-1")
    );
    assert_eq!(store.officer_note("q2").await.unwrap(), None);
    let mut raw = f.raw().await;
    raw.execute("UPDATE requests SET officer_note = (SELECT officer_note FROM requests WHERE id = 'q1') WHERE id = 'q2'")
        .await
        .unwrap();
    assert!(matches!(
        store.officer_note("q2").await,
        Err(StoreError::Sealed { .. })
    ));
    f.cleanup(store).await;
}

/// RELIABILITY B8: a database written by an older schema (migrations 0001–0003, before the
/// daily counters and the end-of-use escalation) opens, migrates, and keeps its history: the
/// volume guard's counters are backfilled from the stored requests and an old release's end
/// of use can be escalated. A database migrated by a newer program is refused, clearly.
async fn a_database_from_an_older_schema_migrates_and_a_newer_one_is_refused(f: Fresh) {
    let backend = if f.pg_database.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let old = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.as_str() < "0004" {
            std::fs::copy(&path, old.path().join(&name)).unwrap();
        }
    }
    sqlx::any::install_default_drivers();
    let url = if backend == "sqlite" {
        format!("{}?mode=rwc", f.url)
    } else {
        f.url.clone()
    };
    let mut raw = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(old.path())
        .await
        .unwrap()
        .run(&mut raw)
        .await
        .unwrap();
    let day = 86_400_000_i64;
    for (id, agency, created, subjects) in [
        ("old-1", "agency-a", 3 * day + 5, 4_i64),
        ("old-2", "agency-a", 3 * day + 9_000, 6),
        ("old-3", "agency-a", 4 * day + 1, 7),
        ("old-4", "agency-b", 3 * day + 1, 11),
    ] {
        sqlx::query(
            "INSERT INTO requests (id, agency, idempotency_key, submitted_by, state, created_ms, subjects, gate, sealed) \
             VALUES ($1, $2, $3, 'old-requester', 'released', $4, $5, '{}', $6)",
        )
        .bind(id)
        .bind(agency)
        .bind(format!("key-{id}"))
        .bind(created)
        .bind(subjects)
        .bind(vec![0u8; 4])
        .execute(&mut raw)
        .await
        .unwrap();
    }
    sqlx::query("INSERT INTO end_of_use (request_id, due_ms) VALUES ('old-1', $1)")
        .bind(5 * day)
        .execute(&mut raw)
        .await
        .unwrap();
    raw.close().await.unwrap();

    let store = f.open().await;
    assert_eq!(
        store.subjects_on_day("agency-a", 3 * day).await.unwrap(),
        10
    );
    assert_eq!(
        store
            .subjects_on_day("agency-a", 4 * day + 50)
            .await
            .unwrap(),
        7
    );
    assert_eq!(
        store.subjects_on_day("agency-b", 3 * day).await.unwrap(),
        11
    );
    let overdue = store.overdue_end_of_use(6 * day, None).await.unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(
        (overdue[0].request_id.as_str(), overdue[0].escalated_ms),
        ("old-1", None)
    );
    let mut tx = store.begin().await.unwrap();
    assert!(tx.escalate_end_of_use("old-1", 6 * day).await.unwrap());
    tx.record(draft("end_of_use.overdue")).await.unwrap();
    tx.commit().await.unwrap();
    store.close().await;

    // A migration this program does not know: refused, saying so.
    let mut raw = f.raw().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, $1, 0)",
    )
    .bind(vec![0u8; 48])
    .execute(&mut raw)
    .await
    .unwrap();
    raw.close().await.unwrap();
    let refused = Store::open(&f.url, f.keys.clone()).await;
    match refused {
        Err(e @ crosscheck_store::StoreError::SchemaTooNew(9999)) => {
            assert!(e.to_string().contains("newer than this program"), "{e}");
        }
        Err(e) => panic!("refused for the wrong reason: {e}"),
        Ok(_) => panic!("a newer schema was accepted"),
    }
    f.drop_database().await;
}

/// RULES 29: a taxpayer's accounting comes from the TIN index in ledger order; `ledger verify`
/// finds an index row deleted (a disclosure hidden from the accounting) or added, naming the
/// entry; a ledger written before the index existed is indexed when the store opens.
async fn the_tin_index_answers_a_taxpayers_accounting_and_verify_checks_it(f: Fresh) {
    let store = f.open().await;
    let about = |tin: Option<&str>, action: &str| {
        let mut d = draft(action);
        if let Some(tin) = tin {
            d.personal.insert("tin".into(), tin.into());
        }
        d
    };
    let mut tx = store.begin().await.unwrap();
    tx.record_all(vec![
        about(Some("123456789"), "match.scored"),
        about(None, "request.received"),
        about(Some("987654321"), "match.scored"),
    ])
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.record(about(Some("123456789"), "release.disclosed"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let actions = |entries: Vec<crosscheck_ledger::entry::Entry>| -> Vec<(u64, String)> {
        entries.into_iter().map(|e| (e.seq, e.action)).collect()
    };
    assert_eq!(
        actions(store.taxpayer_entries("123456789").await.unwrap()),
        vec![(0, "match.scored".into()), (3, "release.disclosed".into())]
    );
    assert_eq!(store.taxpayer_entries("111223333").await.unwrap().len(), 0);
    assert!(store.verify_ledger(None).await.unwrap().is_ok());

    // Deleting the disclosure's index row hides it from the accounting, and verify says so.
    let mut raw = f.raw().await;
    sqlx::query("DELETE FROM ledger_tins WHERE seq = 3")
        .execute(&mut raw)
        .await
        .unwrap();
    assert_eq!(store.taxpayer_entries("123456789").await.unwrap().len(), 1);
    match store.verify_ledger(None).await.unwrap() {
        Err(Tamper::Entry { index, .. }) => assert_eq!(index, 3),
        other => panic!("a deleted index row not found: {other:?}"),
    }
    // An index row pointing at an entry of someone else is found too.
    sqlx::query("INSERT INTO ledger_tins (tin_mac, seq) VALUES ('00', 1)")
        .execute(&mut raw)
        .await
        .unwrap();
    match store.verify_ledger(None).await.unwrap() {
        Err(Tamper::Entry { index, .. }) => assert_eq!(index, 1),
        other => panic!("a forged index row not found: {other:?}"),
    }

    // A ledger from before the index: emptied and marked unindexed, it is rebuilt at start.
    sqlx::query("DELETE FROM ledger_tins")
        .execute(&mut raw)
        .await
        .unwrap();
    sqlx::query("UPDATE ledger_head SET tins_indexed = 0")
        .execute(&mut raw)
        .await
        .unwrap();
    raw.close().await.unwrap();
    store.close().await;
    let store = f.open().await;
    assert_eq!(
        actions(store.taxpayer_entries("123456789").await.unwrap()),
        vec![(0, "match.scored".into()), (3, "release.disclosed".into())]
    );
    assert!(store.verify_ledger(None).await.unwrap().is_ok());
    let mut tx = store.begin().await.unwrap();
    tx.record(about(Some("987654321"), "release.disclosed"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.taxpayer_entries("987654321").await.unwrap().len(), 2);
    assert!(store.verify_ledger(None).await.unwrap().is_ok());
    f.cleanup(store).await;
}

async fn run<F, Fut>(test: F, backend: &str)
where
    F: Fn(Fresh) -> Fut,
    Fut: Future<Output = ()>,
{
    match backend {
        "sqlite" => test(Fresh::sqlite()).await,
        _ => test(Fresh::postgres().await).await,
    }
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::run(super::$name, "sqlite").await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::run(super::$name, "postgres").await })*
        }
    };
}

conformance!(
    a_change_commits_with_its_ledger_entry_and_never_without,
    when_the_ledger_cannot_be_written_nothing_changes_and_repair_needs_no_restart,
    one_idempotency_key_names_one_request_per_agency,
    returns_round_trip_sealed_and_reimport_adds_nothing,
    a_sealed_row_moved_or_opened_with_another_key_is_refused,
    checkpoints_verify_and_an_edited_entry_is_named,
    subjects_queue_and_responses_follow_their_rows,
    concurrent_writers_get_distinct_gapless_sequence_numbers,
    entries_recorded_together_get_consecutive_numbers_and_verify,
    an_officer_note_reads_back_only_from_its_own_request,
    a_database_from_an_older_schema_migrates_and_a_newer_one_is_refused,
    the_tin_index_answers_a_taxpayers_accounting_and_verify_checks_it,
);

/// The raw SQLite file (database and WAL) holds no name, TIN, street or date of birth in
/// clear — only sealed values and HMACs (issue 5, "encrypted at rest").
#[tokio::test]
async fn the_raw_sqlite_file_holds_no_personal_value_in_clear() {
    let f = Fresh::sqlite();
    let store = f.open().await;
    let returns = vec![
        ret(
            11,
            "QUETZALCOATL",
            "XOCHIMILCO-HUERTA",
            "987 ZANZIBAR BOULEVARD",
        ),
        ret(12, "WILHELMINA", "OYELARAN", "4455 QUARTZITE CANYON RD"),
    ];
    store
        .import_returns("operator", &returns, |_| {})
        .await
        .unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.insert_request(&request_row("q1", "k1"), &"SUBJECT ZEBEDIAH PRZYBYLSKI")
        .await
        .unwrap();
    tx.record(Draft {
        personal: [("tin".to_string(), returns[0].tin.digits())].into(),
        ..draft("request.received")
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let path = f.url.strip_prefix("sqlite://").unwrap().to_string();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
    let mut canaries: Vec<String> = vec![
        "QUETZALCOATL".into(),
        "XOCHIMILCO".into(),
        "ZANZIBAR".into(),
        "WILHELMINA".into(),
        "OYELARAN".into(),
        "QUARTZITE".into(),
        "ZEBEDIAH".into(),
        "PRZYBYLSKI".into(),
        "SPRINGFIELD".into(),
        "ACME".into(),
    ];
    for r in &returns {
        canaries.push(r.tin.digits());
        canaries.push(r.dob.unwrap().to_string());
    }
    for c in canaries {
        assert!(
            !bytes.windows(c.len()).any(|w| w == c.as_bytes()),
            "{c} is in the database file in clear"
        );
    }
    f.cleanup(store).await;
}
