//! Gateway benchmarks (issue 4 and issue 5 targets), measured over real sockets and real
//! databases on this machine. `cargo bench -p crosscheck-cli --bench gateway`.
//!
//! 1. Durable ledger append: entries/s with one commit per entry and batched commits, SQLite
//!    (WAL, synchronous=FULL) and PostgreSQL.
//! 2. Single-subject verification through the API — a signed one-subject request: HTTP,
//!    authentication, authorization, signature check, the legal gate, matching, and its
//!    ledger entries committed durably — at 16 concurrent clients for a fixed time; requests/s
//!    and p50/p99, each backend, beside `GET /healthz` on the same server as the baseline.
//! 3. A 20,000-subject batch from intake to review queue.
//!
//! 4. With `BENCH_LEDGER=N` instead: a ledger of N entries in the store — append, first
//!    checkpoint, full verification from the store, proof latency.
//!
//! Sizes come from the environment: `BENCH_PEOPLE` (default 20,000), `BENCH_BATCH`
//! (20,000), `BENCH_SECONDS` (20), `BENCH_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`; `off` skips PostgreSQL).
#![allow(clippy::print_stdout, clippy::print_stderr, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor};

use crosscheck_contract::Subject;
use crosscheck_gateway::{Agency, sign};
use crosscheck_ledger::entry::Draft;
use crosscheck_store::{Keys, Store};
use crosscheck_web::matcher::Matcher;
use crosscheck_web::{AppState, Limits, demo};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Db {
    url: String,
    label: &'static str,
    cleanup: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

async fn databases() -> Vec<Db> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut out = vec![Db {
        url: format!("sqlite://{}", dir.path().join("bench.db").display()),
        label: "SQLite",
        cleanup: None,
        _dir: Some(dir),
    }];
    let admin = std::env::var("BENCH_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if admin != "off" {
        let name = format!(
            "crosscheck_bench_{}",
            hex::encode(&crosscheck_store::random_32()[..6])
        );
        match sqlx::PgConnection::connect(&admin).await {
            Ok(mut c) => {
                c.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("CREATE DATABASE");
                let base = &admin[..admin.rfind('/').expect("a database in the URL")];
                out.push(Db {
                    url: format!("{base}/{name}"),
                    label: "PostgreSQL",
                    cleanup: Some((admin.clone(), name)),
                    _dir: None,
                });
            }
            Err(e) => eprintln!("PostgreSQL not reachable ({e}); its figures are NOT RUN"),
        }
    }
    out
}

async fn drop_db(db: &Db) {
    let Some((admin, name)) = &db.cleanup else {
        return;
    };
    if let Ok(mut c) = sqlx::PgConnection::connect(admin).await {
        let _ = c
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
    }
}

async fn append_rate(store: &Store, per_commit: usize, total: usize) -> f64 {
    let started = Instant::now();
    let mut done = 0;
    while done < total {
        let mut tx = store.begin().await.expect("begin");
        for _ in 0..per_commit {
            tx.record(Draft {
                actor: "bench".into(),
                action: "bench.appended".into(),
                outcome: "ok".into(),
                ..Default::default()
            })
            .await
            .expect("append");
        }
        tx.commit().await.expect("commit");
        done += per_commit;
    }
    done as f64 / started.elapsed().as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

/// Runs `make` from `clients` tasks for `seconds`; returns (requests/s, p50 ms, p99 ms, errors).
async fn load<F, Fut>(clients: usize, seconds: u64, make: F) -> (f64, f64, f64, usize)
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let make = Arc::new(make);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let make = Arc::clone(&make);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            let mut n = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                if !make(c, n).await {
                    errors += 1;
                }
                lat.push(t.elapsed());
                n += 1;
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("client task");
        all.extend(lat);
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort();
    (
        all.len() as f64 / secs,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        errors,
    )
}

async fn gateway(
    db: &Db,
    returns: &[crosscheck_contract::TaxReturn],
    subjects: &[Subject],
    model: &crosscheck_linkage::model::Model,
) {
    let seconds = env("BENCH_SECONDS", 20) as u64;
    let batch = env("BENCH_BATCH", 20_000).min(subjects.len());
    let store = Store::open(&db.url, Keys::generate()).await.expect("store");

    for (per_commit, total) in [(1usize, 2_000usize), (100, 20_000), (1_000, 50_000)] {
        let rate = append_rate(&store, per_commit, total).await;
        println!(
            "| {} | durable ledger append, {per_commit} per commit | {rate:.0} entries/s |",
            db.label
        );
    }

    store
        .import_returns("bench", returns, |_| {})
        .await
        .expect("import");
    let state = AppState::new(
        store,
        Limits {
            per_minute: u32::MAX,
            ..Limits::default()
        },
    )
    .expect("policies");
    state.set_matcher(Matcher::build(returns, model.clone()));
    let accounts = demo::seed(&state, [5; 32], false).await.expect("seed");
    // Volume limits high enough for a benchmark (the guard itself is tested elsewhere).
    let mut agency: Agency = state
        .store
        .agency(demo::AGENCY)
        .await
        .expect("agency")
        .expect("seeded");
    agency.agreement.max_subjects_per_request = 1_000_000;
    agency.agreement.max_subjects_per_day = 100_000_000;
    agency.agreement.max_matters_per_official = 100_000_000;
    agency.agreement.max_repeated_reason = 100_000_000;
    let mut tx = state.store.begin().await.expect("begin");
    tx.put_agency(demo::AGENCY, &agency).await.expect("agency");
    tx.record(Draft {
        actor: "bench".into(),
        action: "registry.agency_put".into(),
        outcome: "ok".into(),
        ..Default::default()
    })
    .await
    .expect("record");
    tx.commit().await.expect("commit");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crosscheck_web::serve(listener, state.clone(), async {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let auth = format!("Bearer {}", accounts.requester_token);

    // Baseline: the same stack without the work.
    let (c2, u2) = (client.clone(), url.clone());
    let (base_rps, base_p50, base_p99, base_err) = load(16, seconds.min(10), move |_, _| {
        let (c, u) = (c2.clone(), u2.clone());
        async move {
            c.get(format!("{u}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        }
    })
    .await;
    println!(
        "| {} | GET /healthz (baseline) | {base_rps:.0} req/s, p50 {base_p50:.2} ms, p99 {base_p99:.2} ms, {base_err} errors |",
        db.label
    );

    // Pre-sign one-subject requests (the agency signs; not the custodian's cost).
    let bodies: Arc<Vec<String>> = Arc::new(
        (0..4_000)
            .map(|i| {
                let s = &subjects[i % subjects.len()];
                let signed = sign(
                    demo::request(&format!("B-{i}"), std::slice::from_ref(s)),
                    &accounts.signer_key,
                );
                serde_json::to_string(&signed).expect("json")
            })
            .collect(),
    );
    let (c3, u3, a3, b3) = (
        client.clone(),
        url.clone(),
        auth.clone(),
        Arc::clone(&bodies),
    );
    let (rps, p50, p99, errors) = load(16, seconds, move |c, n| {
        let (client, u, a, bodies) = (c3.clone(), u3.clone(), a3.clone(), Arc::clone(&b3));
        async move {
            let body = bodies[(c * 7919 + n) % bodies.len()].clone();
            client
                .post(format!("{u}/api/requests"))
                .header("authorization", a)
                .header("content-type", "application/json")
                .header("idempotency-key", format!("k-{c}-{n}"))
                .body(body)
                .send()
                .await
                .is_ok_and(|r| r.status().as_u16() == 201)
        }
    })
    .await;
    println!(
        "| {} | single-subject verification (POST /api/requests, 16 clients, {seconds} s) | {rps:.0} req/s, p50 {p50:.1} ms, p99 {p99:.1} ms, {errors} errors; {:.2}x of baseline req/s |",
        db.label,
        rps / base_rps
    );

    // A large batch from intake to review queue.
    let signed = sign(
        demo::request("BATCH-1", &subjects[..batch]),
        &accounts.signer_key,
    );
    let body = serde_json::to_string(&signed).expect("json");
    let t = Instant::now();
    let r = client
        .post(format!("{url}/api/requests"))
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .header("idempotency-key", "batch-1")
        .body(body)
        .timeout(Duration::from_secs(600))
        .send()
        .await
        .expect("batch");
    let status = r.status();
    let view: serde_json::Value = r.json().await.unwrap_or_default();
    println!(
        "| {} | {batch}-subject batch, intake to review queue | {:.1} s (HTTP {status}, state {}) |",
        db.label,
        t.elapsed().as_secs_f64(),
        view["state"]
    );
    let _ = stop_tx.send(());
    let _ = server.await;
    state.store.close().await;
}

/// A large ledger in the store: appended in commits of 1,000, then one checkpoint (the tree
/// built from the store), full verification from the store, and proofs from the cached tree.
async fn ledger_at_scale(entries: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("ledger.db").display());
    let store = Store::open(&url, Keys::generate()).await.expect("store");
    let t = Instant::now();
    let rate = append_rate(&store, 1_000, entries).await;
    let appended = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let head = store.checkpoint().await.expect("checkpoint");
    let first_checkpoint = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let verified = store
        .verify_ledger(Some(&head))
        .await
        .expect("read")
        .expect("a clean ledger verifies");
    let verify = t.elapsed().as_secs_f64();
    let mut lat = Vec::new();
    for i in 0..1_000u64 {
        let seq = (i * 7_919) % head.size;
        let t = Instant::now();
        store
            .prove_inclusion(seq, head.size)
            .await
            .expect("read")
            .expect("proof");
        store
            .prove_consistency(seq.max(1), head.size)
            .await
            .expect("read")
            .expect("proof");
        lat.push(t.elapsed());
    }
    lat.sort();
    println!(
        "| SQLite | ledger of {} entries in the store | appended in {appended:.1} s ({rate:.0}/s, 1,000 per commit); first checkpoint {first_checkpoint:.1} s; full verification from the store {verify:.1} s; inclusion + consistency proof p50 {:.2} ms, p99 {:.2} ms |",
        verified.entries,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99)
    );
    store.close().await;
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing we use.
    if let Ok(n) = std::env::var("BENCH_LEDGER") {
        let n: usize = n.parse().expect("BENCH_LEDGER is a number of entries");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        println!("| backend | measure | result |\n| --- | --- | --- |");
        rt.block_on(ledger_at_scale(n));
        return;
    }
    let people = env("BENCH_PEOPLE", 20_000);
    let batch = env("BENCH_BATCH", 20_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    eprintln!("generating {people} people and {batch} subjects …");
    let data = crosscheck_synth::generate(&crosscheck_synth::SynthConfig::sized(people, batch, 11));
    eprintln!("training the model …");
    let model = Matcher::train(&data.returns, &data.subjects, 1);
    println!(
        "\ngateway benchmark: {} returns ({people} people), {} subjects; {} cores\n",
        data.returns.len(),
        data.subjects.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("| backend | measure | result |\n| --- | --- | --- |");
    rt.block_on(async {
        for db in databases().await {
            gateway(&db, &data.returns, &data.subjects, &model).await;
            drop_db(&db).await;
        }
    });
}
