//! `TestApp`: a running gateway on `127.0.0.1:0` over a fresh database (a temporary SQLite
//! file, or a PostgreSQL database of its own), seeded with the demo registry and a small
//! synthetic extract, plus a small HTTP client and the flows the tests share.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sqlx::{Connection, Executor, Row};

use crosscheck_contract::{Subject, TaxReturn, Truth};
use crosscheck_gateway::{Request, sign};
use crosscheck_linkage::model::Model;
use crosscheck_store::{Keys, Store};
use crosscheck_synth::{SubjectKind, SynthConfig, generate};
use crosscheck_web::demo::{self, Accounts};
use crosscheck_web::matcher::Matcher;
use crosscheck_web::{AppState, Limits};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The synthetic extract and the model trained on it, made once per test binary.
pub struct Shared {
    pub returns: Vec<TaxReturn>,
    pub subjects: Vec<Subject>,
    pub truth: Vec<Truth>,
    pub kinds: Vec<SubjectKind>,
    pub model: Model,
}

/// 1,500 people (about 5,000 returns), 400 subjects (about 240 filers with a complete
/// address), a fixed seed: small enough that a test spawns in about two seconds.
pub fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let data = generate(&SynthConfig::sized(1_500, 400, 20_260_226));
        let model = Matcher::train(&data.returns, &data.subjects, 7);
        Shared {
            returns: data.returns,
            subjects: data.subjects,
            truth: data.truth,
            kinds: data.kinds,
            model,
        }
    })
}

impl Shared {
    /// The truth row of a synthetic subject.
    pub fn truth_of(&self, subject_id: &str) -> Option<&Truth> {
        self.truth.iter().find(|t| t.subject_id == subject_id)
    }

    /// Synthetic filers with a complete address (they pass the gate and usually have a
    /// candidate), skipping the first `skip`.
    pub fn filers(&self, skip: usize, n: usize) -> Vec<Subject> {
        self.subjects
            .iter()
            .zip(&self.kinds)
            .filter(|(s, k)| {
                **k == SubjectKind::Filer
                    && s.street.is_some()
                    && s.city.is_some()
                    && s.state.is_some()
                    && s.zip.is_some()
                    && s.given_name.is_some()
                    && s.family_name.is_some()
            })
            .map(|(s, _)| s.clone())
            .skip(skip)
            .take(n)
            .collect()
    }

    /// Synthetic subjects that are not filers (non-filers, namesakes, relatives).
    pub fn others(&self, skip: usize, n: usize) -> Vec<Subject> {
        self.subjects
            .iter()
            .zip(&self.kinds)
            .filter(|(_, k)| **k != SubjectKind::Filer)
            .map(|(s, _)| s.clone())
            .skip(skip)
            .take(n)
            .collect()
    }

    /// The returns of one TIN.
    pub fn returns_of(&self, tin: &str) -> Vec<&TaxReturn> {
        self.returns
            .iter()
            .filter(|r| r.tin.digits() == tin)
            .collect()
    }
}

fn admin_url() -> String {
    std::env::var("CROSSCHECK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh database; a PostgreSQL one is dropped when this is dropped (also after a panic).
struct Db {
    url: String,
    pg_database: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    async fn new(backend: Backend) -> Db {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                Db {
                    url: format!("sqlite://{}", dir.path().join("crosscheck.db").display()),
                    pg_database: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let name = format!(
                    "crosscheck_web_test_{}",
                    hex::encode(&crosscheck_store::random_32()[..8])
                );
                let mut admin = sqlx::PgConnection::connect(&admin_url()).await.expect(
                    "PostgreSQL at CROSSCHECK_TEST_POSTGRES (start it: pg_ctlcluster … main start)",
                );
                admin
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create the test database");
                let base = admin_url();
                let url = format!("{}/{name}", &base[..base.rfind('/').expect("a URL path")]);
                Db {
                    url,
                    pg_database: Some(name),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(name) = self.pg_database.take() {
            // Drop runs inside the test's runtime: do the async work on a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                rt.block_on(async {
                    if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url()).await {
                        let _ = admin
                            .execute(
                                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                            )
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// How a call authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No credentials.
    None,
    /// `Authorization: Bearer …`.
    Bearer(String),
    /// The session cookie, and the CSRF token sent with changes (`None`: not sent).
    Session {
        cookie: String,
        csrf: Option<String>,
    },
}

/// An answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.text))
    }

    /// The error code of an error body.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }

    /// Panics unless the status is `want`.
    #[track_caller]
    pub fn expect(&self, want: u16) -> &Resp {
        assert_eq!(self.status, want, "body: {}", self.text);
        self
    }
}

/// The demo user ids, one per role (two reviewers).
pub const USERS: &[&str] = &[
    "admin",
    "officer",
    "reviewer-1",
    "reviewer-2",
    "auditor",
    "requester",
];

/// A running gateway over a fresh database.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub accounts: Accounts,
    /// API tokens by user id (issued through the admin API; the requester's from `seed`).
    pub tokens: BTreeMap<String, String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    db: Db,
}

impl TestApp {
    /// Opens a fresh store, seeds the demo registry, imports the synthetic extract, installs
    /// the matcher and serves on `127.0.0.1:0`.
    pub async fn spawn(backend: Backend) -> TestApp {
        let data = shared();
        let db = Db::new(backend).await;
        let store = Store::open(&db.url, Keys::generate())
            .await
            .expect("open the store");
        let state = AppState::new(store, Limits::default()).expect("the shipped policies load");
        let accounts = demo::seed(&state, [9; 32], true)
            .await
            .expect("seed the demo registry");
        state
            .store
            .import_returns("operator:test", &data.returns, |_| {})
            .await
            .expect("import the extract");
        state.set_matcher(Matcher::build(&data.returns, data.model.clone()));

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a port");
        let base = format!("http://{}", listener.local_addr().expect("an address"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(crosscheck_web::serve(listener, state.clone(), async {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("an HTTP client");
        let mut app = TestApp {
            base,
            client,
            state,
            tokens: BTreeMap::new(),
            shutdown: Some(tx),
            server: Some(server),
            db,
            accounts,
        };
        app.tokens
            .insert("requester".into(), app.accounts.requester_token.clone());
        let admin = app.login("admin").await;
        for user in USERS.iter().filter(|u| **u != "requester") {
            let r = app
                .post(
                    &format!("/api/admin/users/{user}/tokens"),
                    &admin,
                    &json!({}),
                )
                .await;
            r.expect(200);
            app.tokens.insert(
                (*user).to_string(),
                r.json()["token"].as_str().expect("a token").to_string(),
            );
        }
        app
    }

    /// Stops the server (the database goes with `self`).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.state.store.close().await;
    }

    /// The password `seed` printed for `user`.
    pub fn password(&self, user: &str) -> String {
        self.accounts
            .people
            .iter()
            .find(|(_, id, _)| id == user)
            .map(|(_, _, p)| p.clone())
            .expect("a seeded user")
    }

    /// `user`'s API token.
    pub fn token(&self, user: &str) -> Auth {
        Auth::Bearer(self.tokens.get(user).expect("a token for the user").clone())
    }

    /// Logs `user` in with the printed password: the session cookie and the CSRF token.
    pub async fn login(&self, user: &str) -> Auth {
        let r = self
            .post(
                "/api/login",
                &Auth::None,
                &json!({"user": user, "password": self.password(user)}),
            )
            .await;
        r.expect(200);
        let set = r
            .headers
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("a session cookie");
        let value = set
            .split(';')
            .next()
            .and_then(|c| c.strip_prefix("__Host-crosscheck="))
            .expect("the __Host- cookie");
        Auth::Session {
            cookie: value.to_string(),
            csrf: Some(r.json()["csrf_token"].as_str().expect("csrf").to_string()),
        }
    }

    /// One HTTP call.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        auth: &Auth,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let changes = !matches!(method.as_str(), "GET" | "HEAD");
        let mut b = self.client.request(method, format!("{}{path}", self.base));
        match auth {
            Auth::None => {}
            Auth::Bearer(t) => b = b.header("authorization", format!("Bearer {t}")),
            Auth::Session { cookie, csrf } => {
                b = b.header("cookie", format!("__Host-crosscheck={cookie}"));
                if let (true, Some(c)) = (changes, csrf) {
                    b = b.header("x-csrf-token", c);
                }
            }
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        if let Some(body) = body {
            b = b.header("content-type", "application/json").body(body);
        }
        let r = b.send().await.expect("the server answers");
        Resp {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            text: r.text().await.expect("a body"),
        }
    }

    pub async fn get(&self, path: &str, auth: &Auth) -> Resp {
        self.call("GET", path, auth, &[], None).await
    }

    pub async fn post(&self, path: &str, auth: &Auth, body: &Value) -> Resp {
        self.call("POST", path, auth, &[], Some(body.to_string().into_bytes()))
            .await
    }

    pub async fn put(&self, path: &str, auth: &Auth, body: &Value) -> Resp {
        self.call("PUT", path, auth, &[], Some(body.to_string().into_bytes()))
            .await
    }

    /// A demo request for `subjects`, signed by the demo agency head, as JSON.
    pub fn signed(&self, request: Request) -> Value {
        serde_json::to_value(sign(request, &self.accounts.signer_key)).expect("JSON")
    }

    /// Submits `request` as the requester with `key` as Idempotency-Key.
    pub async fn submit_request(&self, request: Request, key: &str) -> Resp {
        let body = self.signed(request).to_string().into_bytes();
        self.call(
            "POST",
            "/api/requests",
            &self.token("requester"),
            &[("idempotency-key", key)],
            Some(body),
        )
        .await
    }

    /// Submits a demo request for `subjects`; panics unless it is created.
    pub async fn submit(&self, request_ref: &str, subjects: &[Subject]) -> Value {
        let r = self
            .submit_request(demo::request(request_ref, subjects), request_ref)
            .await;
        r.expect(201);
        r.json()
    }

    /// Every review item of `request_id` in either reviewer's queue: (item id, reviewer).
    pub async fn items_of(&self, request_id: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for reviewer in ["reviewer-1", "reviewer-2"] {
            let q = self.get("/api/review/queue", &self.token(reviewer)).await;
            q.expect(200);
            for item in q.json()["items"].as_array().expect("items") {
                if item["request_id"] == request_id {
                    out.push((
                        item["id"].as_str().expect("an id").to_string(),
                        reviewer.to_string(),
                    ));
                }
            }
        }
        out
    }

    /// Reviews every item of `request_id` as its assigned reviewer: confirm when the
    /// candidate is the same person by the synthetic truth, else refute. Returns
    /// position → (decision, candidate TIN).
    pub async fn review_all(&self, request_id: &str) -> BTreeMap<u64, (String, String)> {
        let mut out = BTreeMap::new();
        for (item, reviewer) in self.items_of(request_id).await {
            let auth = self.token(&reviewer);
            let opened = self.get(&format!("/api/review/items/{item}"), &auth).await;
            opened.expect(200);
            let v = opened.json();
            let (decision, reason) = decide_by_truth(&v);
            self.post(
                &format!("/api/review/items/{item}/decision"),
                &auth,
                &json!({"decision": decision, "reason_code": reason, "note": "checked"}),
            )
            .await
            .expect(204);
            let position: u64 = item.rsplit('.').next().unwrap().parse().unwrap();
            out.insert(
                position,
                (
                    decision.to_string(),
                    v["candidate"]["tin"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ),
            );
        }
        out
    }

    /// The request as the requester sees it.
    pub async fn request_view(&self, id: &str) -> Value {
        let r = self
            .get(&format!("/api/requests/{id}"), &self.token("requester"))
            .await;
        r.expect(200);
        r.json()
    }

    /// A raw connection that bypasses the store.
    pub async fn raw(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.db.url)
            .await
            .expect("a raw connection")
    }

    /// Rows in `table`.
    pub async fn count(&self, table: &str) -> i64 {
        self.scalar(&format!("SELECT COUNT(*) FROM {table}")).await
    }

    /// The one integer `sql` answers (a raw query, outside the store).
    pub async fn scalar(&self, sql: &str) -> i64 {
        let mut raw = self.raw().await;
        let n: i64 = sqlx::query(sql)
            .fetch_one(&mut raw)
            .await
            .expect("a count")
            .try_get(0)
            .expect("an integer");
        let _ = raw.close().await;
        n
    }
}

/// Confirm when the candidate is one of the subject's true TINs, else refute.
pub fn decide_by_truth(item: &Value) -> (&'static str, &'static str) {
    let subject_id = item["subject"]["subject_id"].as_str().unwrap_or_default();
    let tin = item["candidate"]["tin"].as_str().unwrap_or_default();
    let same = shared()
        .truth_of(subject_id)
        .is_some_and(|t| t.tins.iter().any(|x| x == tin));
    if same && !tin.is_empty() {
        ("confirm", "identity_confirmed")
    } else {
        ("refute", "different_person")
    }
}

/// A request reviewed to `decided` with at least one confirmed record: its id, the subjects
/// and the review decisions.
pub struct Decided {
    pub id: String,
    pub subjects: Vec<Subject>,
    pub decisions: BTreeMap<u64, (String, String)>,
}

impl Decided {
    /// Positions of confirmed records.
    pub fn confirmed(&self) -> Vec<u64> {
        self.decisions
            .iter()
            .filter(|(_, (d, _))| d == "confirm")
            .map(|(p, _)| *p)
            .collect()
    }
}

impl TestApp {
    /// Submits `n` synthetic filers (from `skip`) and reviews them all.
    pub async fn decided_request(&self, request_ref: &str, skip: usize, n: usize) -> Decided {
        let subjects = shared().filers(skip, n);
        let view = self.submit(request_ref, &subjects).await;
        let id = view["id"].as_str().expect("an id").to_string();
        let decisions = self.review_all(&id).await;
        let d = Decided {
            id,
            subjects,
            decisions,
        };
        assert!(
            !d.confirmed().is_empty(),
            "no synthetic filer of {request_ref} was confirmed: {:?}",
            d.decisions
        );
        assert_eq!(self.request_view(&d.id).await["state"], "decided");
        d
    }

    /// Releases `id` as the officer, approving `approve`.
    pub async fn release(&self, id: &str, approve: &[u64]) -> Resp {
        self.post(
            &format!("/api/requests/{id}/release"),
            &self.token("officer"),
            &json!({ "approve": approve }),
        )
        .await
    }
}
