//! RELIABILITY B1 at T0 size, and B2's application kills at the same size on PostgreSQL
//! (`CROSSCHECK_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`; the
//! test makes and drops a database of its own): the real `crosscheck` binary is killed with SIGKILL at a
//! random instant while it takes in a signed batch and while it releases one, restarted,
//! and the client retries with the same Idempotency-Key (or the same release). Afterwards
//! the store must hold exactly one request per key, no request left in `accepted`, one
//! `release.disclosed` ledger entry per released (confirmed) record — none lost, none
//! doubled — a ledger that verifies and (SQLite) a file that passes `integrity_check`.
//! B2's database crashes (`pg_ctl stop -m immediate`) are not part of this test.
//!
//! The kill instants come from a seeded RNG; the seed is printed, and
//! `CROSSCHECK_CRASH_SEED=N` replays its draws (the kill windows follow measured call
//! durations, so a replay lands close to, not exactly at, the same instants).

// A test that reports its seed and what each kill hit.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use sqlx::{Connection, Row};

use crosscheck_contract::Subject;
use crosscheck_ledger::entry::Entry;

const BIN: &str = env!("CARGO_BIN_EXE_crosscheck");
/// Rounds; each kills the server once during intake, and all but the first once more
/// during a release (the last request is released, with a kill, after the rounds).
const ROUNDS: usize = 5;
/// Subjects per request.
const BATCH: usize = 200;
/// The kill lands this many milliseconds (at most) after the call is sent.
const MAX_DELAY_MS: u64 = 1_500;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The `crosscheck serve` process, restarted as often as it is killed.
struct Server {
    child: Option<Child>,
    base: String,
    data_dir: PathBuf,
    database: Option<String>,
    logs: PathBuf,
    starts: usize,
    client: reqwest::Client,
}

impl Server {
    fn new(data_dir: &Path, database: Option<String>, logs: &Path) -> Server {
        Server {
            child: None,
            base: String::new(),
            data_dir: data_dir.to_path_buf(),
            database,
            logs: logs.to_path_buf(),
            starts: 0,
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(120))
                .build()
                .expect("an HTTP client"),
        }
    }

    /// Starts the server on a free port, waits for its "listening on" line (printed after
    /// the start-up `resume()`) and for `/healthz`.
    async fn start(&mut self) {
        assert!(self.child.is_none(), "the server is already running");
        self.starts += 1;
        let log = self.logs.join(format!("serve-{}.log", self.starts));
        let file = std::fs::File::create(&log).expect("a log file");
        let child = Command::new(BIN)
            .args(["serve", "--data-dir"])
            .arg(&self.data_dir)
            .args(database_args(self.database.as_deref()))
            // A signed checkpoint every second, so kills also land around checkpoints.
            .args(["--listen", "127.0.0.1:0", "--checkpoint-every", "1"])
            .stdout(Stdio::from(file.try_clone().expect("a log handle")))
            .stderr(Stdio::from(file))
            .stdin(Stdio::null())
            .spawn()
            .expect("the binary starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        self.base = loop {
            let out = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(base) = listening_address(&out) {
                break base;
            }
            if let Some(status) = self.exited() {
                panic!("the server exited ({status}) while starting:\n{out}");
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start in 60 s:\n{out}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
        loop {
            let last = match self
                .client
                .get(format!("{}/healthz", self.base))
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => break,
                Ok(r) => format!("status {}", r.status()),
                Err(e) => format!("{e}"),
            };
            if let Some(status) = self.exited() {
                panic!(
                    "the server exited ({status}) after it began listening:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "/healthz did not answer in 60 s (last: {last}):\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// How the server ended, if it has.
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    /// `kill -9`, and reaps the process.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The address in the server's "listening on http://ADDR …" line, once that line is
/// whole: stderr reaches the log in several writes, and a line read halfway through
/// (`http://127.0.0.1`, no port yet) would send every call to the wrong place.
fn listening_address(log: &str) -> Option<String> {
    let rest = &log[log.find("listening on http://")? + "listening on ".len()..];
    let line = &rest[..rest.find('\n')?];
    Some(line.split_whitespace().next()?.to_string())
}

#[test]
fn the_address_is_read_only_from_a_whole_line() {
    let line = "serve: listening on http://127.0.0.1:37565 (OpenAPI at /api/openapi.json)\n";
    for cut in 0..line.len() {
        assert_eq!(listening_address(&line[..cut]), None, "{}", &line[..cut]);
    }
    assert_eq!(
        listening_address(line).as_deref(),
        Some("http://127.0.0.1:37565")
    );
}

/// How a call authenticates.
enum Auth<'a> {
    Bearer(&'a str),
    Session { cookie: &'a str, csrf: &'a str },
}

/// An answer: status and body.
struct Resp {
    status: u16,
    text: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.text))
    }

    #[track_caller]
    fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text);
        self.json()
    }
}

fn request_builder(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    auth: &Auth<'_>,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> reqwest::RequestBuilder {
    let mut b = client.request(method, url);
    match auth {
        Auth::Bearer(t) => b = b.header("authorization", format!("Bearer {t}")),
        Auth::Session { cookie, csrf } => {
            b = b
                .header("cookie", format!("__Host-crosscheck={cookie}"))
                .header("x-csrf-token", *csrf);
        }
    }
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    if let Some(body) = body {
        b = b.header("content-type", "application/json").body(body);
    }
    b
}

async fn send(b: reqwest::RequestBuilder) -> reqwest::Result<Resp> {
    let r = b.send().await?;
    let status = r.status().as_u16();
    let text = r.text().await?;
    Ok(Resp { status, text })
}

impl Server {
    async fn call(
        &self,
        method: &str,
        path: &str,
        auth: &Auth<'_>,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        send(request_builder(
            &self.client,
            method,
            self.url(path),
            auth,
            headers,
            body,
        ))
        .await
        .unwrap_or_else(|e| panic!("{path}: the running server does not answer: {e}"))
    }

    /// Sends one call, kills the server `delay` after sending, restarts it, and returns
    /// the answer if one arrived before the kill, with how long it took.
    async fn call_then_kill(
        &mut self,
        path: &str,
        auth: &Auth<'_>,
        headers: &[(&str, &str)],
        body: String,
        delay: Duration,
    ) -> Option<(Resp, Duration)> {
        let b = request_builder(
            &self.client,
            reqwest::Method::POST,
            self.url(path),
            auth,
            headers,
            Some(body),
        );
        let sent = Instant::now();
        let call = tokio::spawn(async move {
            let r = send(b).await;
            (r, sent.elapsed())
        });
        tokio::time::sleep(delay).await;
        self.kill();
        let (first, took) = call.await.expect("the call task does not panic");
        self.start().await;
        first.ok().map(|r| (r, took))
    }
}

/// Where the next kill of one kind of call lands, in ms after sending. Until a call of that
/// kind has been answered, uniformly in `0..=MAX_DELAY_MS`; after that the window is the
/// duration `w` of the last answered call, and the kill lands uniformly in `0..=w` or (half
/// the time) near the end, in `3w/4..=21w/20`, where the transaction commits and the
/// answer is on its way — the "committed but not acknowledged" case a retry must find.
struct Windows(BTreeMap<&'static str, u64>);

impl Windows {
    fn delay(&self, kind: &'static str, rng: &mut ChaCha8Rng) -> u64 {
        match self.0.get(kind) {
            None => rng.random_range(0..=MAX_DELAY_MS),
            Some(&w) if rng.random_bool(0.5) => rng.random_range(0..=w),
            Some(&w) => rng.random_range(w * 3 / 4..=w + w / 20).min(MAX_DELAY_MS),
        }
    }

    fn answered(&mut self, kind: &'static str, took: Duration) {
        let ms = u64::try_from(took.as_millis()).unwrap_or(MAX_DELAY_MS);
        self.0.insert(kind, ms.clamp(1, MAX_DELAY_MS));
    }
}

/// What one kill hit, for the report.
struct Kill {
    what: String,
    delay_ms: u64,
    /// The answer the client saw before the kill (status), if any.
    acked: Option<u16>,
    /// The status of the first retry after the restart.
    retry: u16,
    /// Whether that retry found the work done (intake 200, release 409).
    found_done: bool,
}

/// One request of the run.
struct Submitted {
    key: String,
    id: String,
    subjects: usize,
}

/// `--database URL` when the campaign runs on PostgreSQL.
fn database_args(database: Option<&str>) -> Vec<String> {
    database
        .map(|url| vec!["--database".to_string(), url.to_string()])
        .unwrap_or_default()
}

fn admin_url() -> String {
    std::env::var("CROSSCHECK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_killing_the_server_mid_batch_and_mid_release_loses_and_duplicates_nothing() {
    campaign(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killing_the_server_mid_batch_and_mid_release_loses_and_duplicates_nothing() {
    let name = format!(
        "crosscheck_crash_{}",
        hex::encode(&crosscheck_store::random_32()[..6])
    );
    let mut admin = sqlx::PgConnection::connect(&admin_url())
        .await
        .expect("PostgreSQL at CROSSCHECK_TEST_POSTGRES");
    sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create a database");
    let base = admin_url();
    let url = format!(
        "{}/{name}",
        &base[..base.rfind('/').expect("a database name")]
    );
    campaign(Some(url)).await;
    sqlx::Executor::execute(
        &mut admin,
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
    )
    .await
    .expect("drop the database");
}

async fn campaign(database: Option<String>) {
    let started = Instant::now();
    let seed: u64 = std::env::var("CROSSCHECK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    println!("crash test seed {seed} (replay: CROSSCHECK_CRASH_SEED={seed})");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);

    // 1. A demo data directory (no server; port 0 so a busy 8080 does not matter).
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path().join("D");
    let out = Command::new(BIN)
        .args(["demo", "--dir"])
        .arg(&d)
        .args([
            "--people",
            "3000",
            "--subjects",
            "1200",
            "--no-serve",
            "--request-subjects",
            "5",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(database_args(database.as_deref()))
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "demo: {}", text(&out.stderr));
    let gateway = d.join("gateway");
    let accounts: Value = serde_json::from_str(
        &std::fs::read_to_string(gateway.join("accounts.json")).expect("accounts.json"),
    )
    .expect("accounts.json is JSON");
    let password = |user: &str| -> String {
        accounts["people"]
            .as_array()
            .expect("people")
            .iter()
            .find(|p| p["user"] == user)
            .and_then(|p| p["password"].as_str())
            .unwrap_or_else(|| panic!("no password for {user}"))
            .to_string()
    };
    let requester_token = accounts["requester_token"]
        .as_str()
        .expect("requester_token")
        .to_string();
    let key_hex = std::fs::read_to_string(
        accounts["signer_key_file"]
            .as_str()
            .expect("signer_key_file"),
    )
    .expect("the signer key file");
    let seed_bytes: [u8; 32] = hex::decode(key_hex.trim())
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let signer = ed25519_dalek::SigningKey::from_bytes(&seed_bytes);
    let subjects: Vec<Subject> =
        crosscheck_contract::table::read::<Subject>(&d.join("subjects.csv"))
            .expect("subjects.csv")
            .records;
    assert!(
        subjects.len() >= 5 + (ROUNDS * BATCH),
        "{} subjects",
        subjects.len()
    );
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).expect("a log directory");

    // 2. Serve.
    let mut server = Server::new(&gateway, database.clone(), &logs);
    server.start().await;

    // 3. The admin raises the demo agreement's volume limits and issues API tokens to the
    //    officer and the reviewers (tokens survive restarts; sessions would too).
    let cookie = {
        let r = server
            .client
            .post(server.url("/api/login"))
            .header("content-type", "application/json")
            .body(json!({"user": "admin", "password": password("admin")}).to_string())
            .send()
            .await
            .expect("login answers");
        assert_eq!(r.status().as_u16(), 200);
        let set = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("a session cookie")
            .to_string();
        let csrf = r.json::<Value>().await.expect("JSON")["csrf_token"]
            .as_str()
            .expect("csrf")
            .to_string();
        let value = set
            .split(';')
            .next()
            .and_then(|c| c.strip_prefix("__Host-crosscheck="))
            .expect("the __Host- cookie")
            .to_string();
        (value, csrf)
    };
    let admin = Auth::Session {
        cookie: &cookie.0,
        csrf: &cookie.1,
    };
    let agencies = server
        .call("GET", "/api/admin/agencies", &admin, &[], None)
        .await
        .expect(200);
    let mut agency = agencies
        .as_array()
        .expect("a list")
        .iter()
        .find(|a| a["id"] == "demo-agency")
        .expect("the demo agency")
        .clone();
    for limit in [
        "max_subjects_per_request",
        "max_subjects_per_day",
        "max_matters_per_official",
        "max_repeated_reason",
    ] {
        agency["agreement"][limit] = json!(1_000_000);
    }
    server
        .call(
            "PUT",
            "/api/admin/agencies/demo-agency",
            &admin,
            &[],
            Some(agency.to_string()),
        )
        .await
        .expect(200);
    let mut tokens = BTreeMap::new();
    for user in ["officer", "reviewer-1", "reviewer-2"] {
        let t = server
            .call(
                "POST",
                &format!("/api/admin/users/{user}/tokens"),
                &admin,
                &[],
                Some("{}".into()),
            )
            .await
            .expect(200);
        tokens.insert(user, t["token"].as_str().expect("a token").to_string());
    }
    let requester = Auth::Bearer(&requester_token);
    let officer = Auth::Bearer(&tokens["officer"]);

    // 4. The rounds.
    let mut kills: Vec<Kill> = Vec::new();
    let mut windows = Windows(BTreeMap::new());
    let mut submitted: Vec<Submitted> = Vec::new();
    // request id → positions confirmed (and so disclosed on release)
    let mut released: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for round in 0..=ROUNDS {
        if round < ROUNDS {
            let chunk = &subjects[5 + round * BATCH..5 + (round + 1) * BATCH];
            let request_ref = format!("CRASH-{}", round + 1);
            let signed = crosscheck_gateway::sign(
                crosscheck_web::demo::request(&request_ref, chunk),
                &signer,
            );
            let body = serde_json::to_string(&signed).expect("JSON");
            let key = format!("crash-key-{}", round + 1);
            let delay = windows.delay("intake", &mut rng);
            let headers = [("idempotency-key", key.as_str())];
            let first = server
                .call_then_kill(
                    "/api/requests",
                    &requester,
                    &headers,
                    body.clone(),
                    Duration::from_millis(delay),
                )
                .await;
            let mut ids = Vec::new();
            if let Some((r, took)) = &first {
                windows.answered("intake", *took);
                assert!(
                    matches!(r.status, 200 | 201),
                    "intake answered {} before the kill: {}",
                    r.status,
                    r.text
                );
                ids.push(r.json()["id"].as_str().expect("an id").to_string());
            }
            // Retry with the same key until a 2xx, then once more: every answer names the
            // same request.
            let mut retry_status = None;
            for attempt in 0..2 {
                let r = server
                    .call(
                        "POST",
                        "/api/requests",
                        &requester,
                        &headers,
                        Some(body.clone()),
                    )
                    .await;
                assert!(
                    matches!(r.status, 200 | 201),
                    "retry {attempt} of {key} answered {}: {}",
                    r.status,
                    r.text
                );
                if attempt == 1 {
                    assert_eq!(r.status, 200, "a second retry must not create a request");
                }
                retry_status.get_or_insert(r.status);
                ids.push(r.json()["id"].as_str().expect("an id").to_string());
            }
            assert!(
                ids.windows(2).all(|w| w[0] == w[1]),
                "{key}: different request ids {ids:?}"
            );
            if first.is_some() {
                assert_eq!(
                    retry_status,
                    Some(200),
                    "{key} was acknowledged before the kill, so the retry must find it"
                );
            }
            let id = ids.remove(0);
            let view = server
                .call("GET", &format!("/api/requests/{id}"), &requester, &[], None)
                .await
                .expect(200);
            let state = view["state"].as_str().expect("a state").to_string();
            assert!(
                matches!(state.as_str(), "in_review" | "decided"),
                "{id} after the restart is {state}"
            );
            kills.push(Kill {
                what: format!("intake {key} ({id})"),
                delay_ms: delay,
                acked: first.as_ref().map(|(r, _)| r.status),
                retry: retry_status.unwrap_or_default(),
                found_done: retry_status == Some(200),
            });
            submitted.push(Submitted {
                key,
                id,
                subjects: chunk.len(),
            });
        }

        // Release the previous round's request: reviewers decide every item, then the
        // officer approves record by record while the server is killed.
        if round == 0 {
            continue;
        }
        let id = submitted[round - 1].id.clone();
        let mut confirmed = Vec::new();
        for reviewer in ["reviewer-1", "reviewer-2"] {
            let auth = Auth::Bearer(&tokens[reviewer]);
            let q = server
                .call("GET", "/api/review/queue", &auth, &[], None)
                .await
                .expect(200);
            for item in q["items"].as_array().expect("items") {
                if item["request_id"] != id.as_str() {
                    continue;
                }
                let (decision, reason) = if item["outcome"] == "match" {
                    ("confirm", "identity_confirmed")
                } else {
                    ("refute", "different_person")
                };
                assert!(
                    crosscheck_web::service::REVIEW_REASONS.contains(&reason),
                    "{reason}"
                );
                let item_id = item["id"].as_str().expect("an item id");
                let r = server
                    .call(
                        "POST",
                        &format!("/api/review/items/{item_id}/decision"),
                        &auth,
                        &[],
                        Some(
                            json!({"decision": decision, "reason_code": reason, "note": "crash test"})
                                .to_string(),
                        ),
                    )
                    .await;
                assert_eq!(r.status, 204, "{item_id}: {}", r.text);
                if decision == "confirm" {
                    confirmed.push(item["position"].as_u64().expect("a position"));
                }
            }
        }
        confirmed.sort_unstable();
        let view = server
            .call("GET", &format!("/api/requests/{id}"), &officer, &[], None)
            .await
            .expect(200);
        assert_eq!(view["state"], "decided", "{id} after review");
        let path = format!("/api/requests/{id}/release");
        let body = json!({ "approve": confirmed }).to_string();
        let delay = windows.delay("release", &mut rng);
        let first = server
            .call_then_kill(
                &path,
                &officer,
                &[],
                body.clone(),
                Duration::from_millis(delay),
            )
            .await;
        if let Some((r, took)) = &first {
            windows.answered("release", *took);
            assert_eq!(
                r.status, 200,
                "release answered before the kill: {}",
                r.text
            );
        }
        let retry = server.call("POST", &path, &officer, &[], Some(body)).await;
        match retry.status {
            200 => assert!(
                first.is_none(),
                "{id}: released twice (the first release was acknowledged)"
            ),
            409 => {}
            s => panic!("{id}: the release retry answered {s}: {}", retry.text),
        }
        let view = server
            .call("GET", &format!("/api/requests/{id}"), &officer, &[], None)
            .await
            .expect(200);
        assert_eq!(view["state"], "released", "{id} after the release retry");
        kills.push(Kill {
            what: format!("release {id} ({} confirmed)", confirmed.len()),
            delay_ms: delay,
            acked: first.as_ref().map(|(r, _)| r.status),
            retry: retry.status,
            found_done: retry.status == 409,
        });
        released.insert(id, confirmed);
    }

    // 5. Stop the server and check the store.
    server.kill();
    let elapsed_rounds = started.elapsed();

    let verify = Command::new(BIN)
        .args(["ledger", "verify", "--data-dir"])
        .arg(&gateway)
        .args(database_args(database.as_deref()))
        .output()
        .expect("the binary runs");
    assert!(
        verify.status.success(),
        "ledger verify: {}{}",
        text(&verify.stdout),
        text(&verify.stderr)
    );

    sqlx::any::install_default_drivers();
    let url = database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", gateway.join("crosscheck.db").display()));
    let mut conn = sqlx::AnyConnection::connect(&url)
        .await
        .expect("open the database");
    if database.is_none() {
        let integrity: String = sqlx::query("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await
            .expect("integrity_check")
            .get(0);
        assert_eq!(integrity, "ok");
    }

    // Exactly one request per idempotency key, and none left before matching.
    let rows = sqlx::query("SELECT id, idempotency_key, state, subjects FROM requests")
        .fetch_all(&mut conn)
        .await
        .expect("requests");
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &rows {
        let key: String = r.get("idempotency_key");
        let state: String = r.get("state");
        let id: String = r.get("id");
        assert!(
            !matches!(state.as_str(), "received" | "accepted"),
            "{id} is stuck in {state}"
        );
        by_key.entry(key).or_default().push(id);
    }
    assert_eq!(
        rows.len(),
        ROUNDS + 1,
        "the demo's request and one per round"
    );
    for s in &submitted {
        assert_eq!(
            by_key.get(&s.key),
            Some(&vec![s.id.clone()]),
            "{}: exactly one request",
            s.key
        );
    }
    for s in &submitted {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM subjects WHERE request_id = $1")
            .bind(&s.id)
            .fetch_one(&mut conn)
            .await
            .expect("a count")
            .get(0);
        assert_eq!(n, s.subjects as i64, "{}: subjects stored", s.id);
    }

    // One disclosure entry per confirmed, released record; none lost, none doubled.
    let bodies = sqlx::query("SELECT body FROM ledger_entries ORDER BY seq")
        .fetch_all(&mut conn)
        .await
        .expect("ledger entries");
    let entries: Vec<Entry> = bodies
        .iter()
        .map(|r| Entry::decode(&r.get::<Vec<u8>, _>(0)).expect("a ledger entry"))
        .collect();
    let expected: BTreeSet<String> = released
        .iter()
        .flat_map(|(id, positions)| positions.iter().map(move |p| format!("{id}.{p}")))
        .collect();
    let expected_count: usize = released.values().map(Vec::len).sum();
    let disclosed: Vec<String> = entries
        .iter()
        .filter(|e| e.action == "release.disclosed")
        .map(|e| e.objects.get("subject").cloned().unwrap_or_default())
        .collect();
    let disclosed_set: BTreeSet<String> = disclosed.iter().cloned().collect();
    assert_eq!(
        disclosed.len(),
        disclosed_set.len(),
        "a disclosure recorded twice"
    );
    assert_eq!(disclosed.len(), expected_count, "disclosure entries");
    assert_eq!(disclosed_set, expected, "disclosed records");
    let released_subjects: i64 =
        sqlx::query("SELECT COUNT(*) FROM subjects WHERE state = 'released'")
            .fetch_one(&mut conn)
            .await
            .expect("a count")
            .get(0);
    assert_eq!(
        released_subjects, expected_count as i64,
        "subjects in state released"
    );
    let approvals: i64 = sqlx::query("SELECT COUNT(*) FROM releases")
        .fetch_one(&mut conn)
        .await
        .expect("a count")
        .get(0);
    assert_eq!(approvals, expected_count as i64, "release approvals");
    // Every released request answered each subject once and was released once.
    for id in released.keys() {
        let of = |e: &&Entry| e.objects.get("request") == Some(id);
        let answered: Vec<&String> = entries
            .iter()
            .filter(of)
            .filter(|e| {
                matches!(
                    e.action.as_str(),
                    "release.disclosed" | "release.no_information" | "release.rejected"
                )
            })
            .filter_map(|e| e.objects.get("subject"))
            .collect();
        let unique: BTreeSet<&String> = answered.iter().copied().collect();
        assert_eq!(
            answered.len(),
            unique.len(),
            "{id}: a subject answered twice"
        );
        assert_eq!(answered.len(), BATCH, "{id}: every subject answered");
        let releases = entries
            .iter()
            .filter(of)
            .filter(|e| e.action == "request.released")
            .count();
        assert_eq!(releases, 1, "{id}: request.released entries");
        let state: String = sqlx::query("SELECT state FROM requests WHERE id = $1")
            .bind(id)
            .fetch_one(&mut conn)
            .await
            .expect("a request")
            .get(0);
        assert_eq!(state, "released", "{id}");
    }
    let received = entries
        .iter()
        .filter(|e| e.action == "request.received")
        .count();
    assert_eq!(received, ROUNDS + 1, "request.received entries");
    let checkpoints: i64 = sqlx::query("SELECT COUNT(*) FROM checkpoints")
        .fetch_one(&mut conn)
        .await
        .expect("a count")
        .get(0);
    let _ = conn.close().await;

    // The report.
    let acked = kills.iter().filter(|k| k.acked.is_some()).count();
    let before_commit = kills
        .iter()
        .filter(|k| k.acked.is_none() && !k.found_done)
        .count();
    for k in &kills {
        println!(
            "kill after {:>4} ms during {}: answer before the kill {}, first retry {}",
            k.delay_ms,
            k.what,
            k.acked.map_or("none".to_string(), |s| s.to_string()),
            k.retry
        );
    }
    println!(
        "kills: {acked} after the answer, {before_commit} before the commit (the retry did the \
         work), {} after the commit but before the answer (the retry found it done)",
        kills.len() - acked - before_commit
    );
    println!(
        "{} kills, {} server starts, {} requests of {BATCH} subjects, {} released, \
         {expected_count} disclosures (each recorded once), {} ledger entries and {checkpoints} checkpoints verified; \
         rounds {:.1} s, total {:.1} s",
        kills.len(),
        server.starts,
        submitted.len(),
        released.len(),
        entries.len(),
        elapsed_rounds.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
