//! The JSON API: one table of routes (method, path, the policy action it needs, summary,
//! the types of its bodies) from which the router, the OpenAPI document and the
//! authorization-matrix test are all built, so a route cannot exist without its row.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crosscheck_gateway::{Agency, CourtHold, Request, SignedRequest, SignerRecord, SubjectEntry};
use crosscheck_ledger::accounting;
use crosscheck_policy::Action;

use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE, allow, listing_scope};
use crate::error::{ApiError, ApiResult};
use crate::service::{RequestView, ResponseView, ReviewItem, draft};

/// One row of the route table.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// Path (axum and OpenAPI syntax: `{id}`).
    pub path: &'static str,
    /// The policy action the route needs; `None` for public routes and routes open to any
    /// authenticated caller (logout).
    pub action: Option<Action>,
    /// Whether the route needs authentication.
    pub authenticated: bool,
    /// One-line description.
    pub summary: &'static str,
    /// The JSON body the route takes, if any.
    pub takes: Option<SchemaFn>,
    /// The status of success.
    pub status: u16,
    /// The JSON body of success; `None` with status 204 is no body, with 200 plain text.
    pub answers: Option<SchemaFn>,
    /// Integer query parameters.
    pub query: &'static [&'static str],
}

/// Writes a body's JSON schema (or a reference to it) with a generator that collects the
/// named definitions for the OpenAPI document's components.
pub type SchemaFn = fn(&mut schemars::SchemaGenerator) -> schemars::Schema;

fn schema<T: schemars::JsonSchema>(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    generator.subschema_for::<T>()
}

const fn route(
    method: &'static str,
    path: &'static str,
    action: Option<Action>,
    authenticated: bool,
    summary: &'static str,
) -> Route {
    Route {
        method,
        path,
        action,
        authenticated,
        summary,
        takes: None,
        status: 200,
        answers: None,
        query: &[],
    }
}

impl Route {
    const fn takes(self, body: SchemaFn) -> Route {
        Route {
            takes: Some(body),
            ..self
        }
    }

    const fn answers(self, status: u16, body: SchemaFn) -> Route {
        Route {
            status,
            answers: Some(body),
            ..self
        }
    }

    const fn no_content(self) -> Route {
        Route {
            status: 204,
            answers: None,
            ..self
        }
    }

    const fn query(self, names: &'static [&'static str]) -> Route {
        Route {
            query: names,
            ..self
        }
    }
}

/// Every route of the API.
pub const ROUTES: &[Route] = &[
    route(
        "GET",
        "/healthz",
        None,
        false,
        "liveness: the store answers",
    )
    .answers(200, schema::<Health>),
    route(
        "GET",
        "/metrics",
        None,
        false,
        "Prometheus metrics (no personal data)",
    ),
    route(
        "GET",
        "/api/openapi.json",
        None,
        false,
        "this API as OpenAPI 3",
    )
    .answers(200, schema::<Value>),
    route(
        "POST",
        "/api/login",
        None,
        false,
        "log in with user and password; sets the session cookie, returns the CSRF token",
    )
    .takes(schema::<Login>)
    .answers(200, schema::<LoggedIn>),
    route("POST", "/api/logout", None, true, "end the session").no_content(),
    route(
        "POST",
        "/api/requests",
        Some(Action::SubmitRequest),
        true,
        "submit a signed request (JSON; header Idempotency-Key)",
    )
    .takes(schema::<SignedRequest>)
    .answers(201, schema::<RequestView>),
    route(
        "POST",
        "/api/requests/batch",
        Some(Action::SubmitRequest),
        true,
        "submit a signed request whose subjects come as CSV or JSON lines text",
    )
    .takes(schema::<Batch>)
    .answers(201, schema::<RequestView>),
    route(
        "GET",
        "/api/requests",
        Some(Action::ListRequests),
        true,
        "list requests (a requester sees only its agency's)",
    )
    .answers(200, schema::<RequestList>),
    route(
        "GET",
        "/api/end-of-use/overdue",
        Some(Action::ListRequests),
        true,
        "released requests whose end-of-use certification is overdue (a requester sees only its agency's)",
    )
    .answers(200, schema::<OverdueList>),
    route(
        "GET",
        "/api/requests/{id}",
        Some(Action::ReadRequest),
        true,
        "a request's state, gate findings and per-subject status",
    )
    .answers(200, schema::<RequestView>),
    route(
        "GET",
        "/api/requests/{id}/response",
        Some(Action::ReadResponse),
        true,
        "the released response",
    )
    .answers(200, schema::<ResponseView>),
    route(
        "POST",
        "/api/requests/{id}/end-of-use",
        Some(Action::CertifyEndOfUse),
        true,
        "certify destruction or continued safeguarding",
    )
    .takes(schema::<EndOfUse>)
    .answers(200, schema::<RequestView>),
    route(
        "POST",
        "/api/requests/{id}/misidentification",
        Some(Action::ReportMisidentification),
        true,
        "report a misidentified subject; the disclosure is retracted",
    )
    .takes(schema::<Misidentification>)
    .no_content(),
    route(
        "POST",
        "/api/requests/{id}/decision",
        Some(Action::DecideHeldRequest),
        true,
        "a disclosure officer accepts or rejects a held request",
    )
    .takes(schema::<HeldDecision>)
    .answers(200, schema::<RequestView>),
    route(
        "POST",
        "/api/requests/{id}/release",
        Some(Action::ApproveRelease),
        true,
        "approve the release, record by record",
    )
    .takes(schema::<Release>)
    .answers(200, schema::<RequestView>),
    route(
        "GET",
        "/api/review/queue",
        Some(Action::ReadQueue),
        true,
        "the caller's review queue",
    )
    .answers(200, schema::<Queue>),
    route(
        "GET",
        "/api/review/items/{id}",
        Some(Action::ReadReviewItem),
        true,
        "a candidate match with its evidence",
    )
    .answers(200, schema::<ReviewItem>),
    route(
        "POST",
        "/api/review/items/{id}/decision",
        Some(Action::DecideReviewItem),
        true,
        "confirm or refute a candidate match",
    )
    .takes(schema::<ItemDecision>)
    .no_content(),
    route(
        "GET",
        "/api/admin/agencies",
        Some(Action::ManageRegistry),
        true,
        "list agencies and agreements",
    )
    .answers(200, schema::<Vec<Agency>>),
    route(
        "PUT",
        "/api/admin/agencies/{id}",
        Some(Action::ManageRegistry),
        true,
        "create or replace an agency and its agreement",
    )
    .takes(schema::<Agency>)
    .answers(200, schema::<Agency>),
    route(
        "POST",
        "/api/admin/agencies/{id}/hold",
        Some(Action::ManageRegistry),
        true,
        "suspend disclosures to an agency (court order)",
    )
    .takes(schema::<Hold>)
    .answers(200, schema::<Agency>),
    route(
        "DELETE",
        "/api/admin/agencies/{id}/hold",
        Some(Action::ManageRegistry),
        true,
        "lift a court-order hold",
    )
    .answers(200, schema::<Agency>),
    route(
        "PUT",
        "/api/admin/signers/{id}",
        Some(Action::ManageRegistry),
        true,
        "register an authorized signer and its public key",
    )
    .takes(schema::<SignerRecord>)
    .answers(200, schema::<SignerRecord>),
    route(
        "POST",
        "/api/admin/flags",
        Some(Action::ManageRegistry),
        true,
        "set or clear a § 6103(i)(6) flag on a taxpayer",
    )
    .takes(schema::<Flag>)
    .no_content(),
    route(
        "GET",
        "/api/admin/users",
        Some(Action::ManageUsers),
        true,
        "list users",
    )
    .answers(200, schema::<Vec<UserView>>),
    route(
        "PUT",
        "/api/admin/users/{id}",
        Some(Action::ManageUsers),
        true,
        "create or change a user (role, agency, password, active)",
    )
    .takes(schema::<PutUser>)
    .answers(200, schema::<UserView>),
    route(
        "POST",
        "/api/admin/users/{id}/tokens",
        Some(Action::ManageUsers),
        true,
        "issue an API token (shown once)",
    )
    .answers(200, schema::<IssuedToken>),
    route(
        "GET",
        "/api/ledger/checkpoint",
        Some(Action::ReadLedger),
        true,
        "a fresh signed checkpoint",
    )
    .answers(200, schema::<SignedCheckpoint>),
    route(
        "GET",
        "/api/ledger/proof",
        Some(Action::ReadLedger),
        true,
        "inclusion (entry, size) or consistency (from, to) proof",
    )
    .query(&["entry", "size", "from", "to"])
    .answers(200, schema::<Value>),
    route(
        "POST",
        "/api/ledger/verify",
        Some(Action::VerifyLedger),
        true,
        "verify the whole ledger now",
    )
    .answers(200, schema::<Verification>),
    route(
        "POST",
        "/api/accounting/taxpayer",
        Some(Action::ReadAccounting),
        true,
        "disclosure accounting for one TIN (searched by HMAC)",
    )
    .takes(schema::<TaxpayerQuery>)
    .answers(200, schema::<TaxpayerAccounting>),
    route(
        "GET",
        "/api/accounting/agencies",
        Some(Action::ReadAccounting),
        true,
        "per agency, per year totals",
    )
    .answers(200, schema::<AgencyTotals>),
];

fn handler(r: &Route) -> MethodRouter<AppState> {
    match (r.method, r.path) {
        ("GET", "/healthz") => get(healthz),
        ("GET", "/metrics") => get(metrics),
        ("GET", "/api/openapi.json") => get(openapi),
        ("POST", "/api/login") => post(login),
        ("POST", "/api/logout") => post(logout),
        ("POST", "/api/requests") => post(submit),
        ("POST", "/api/requests/batch") => post(submit_batch),
        ("GET", "/api/requests") => get(list_requests),
        ("GET", "/api/end-of-use/overdue") => get(overdue_end_of_use),
        ("GET", "/api/requests/{id}") => get(read_request),
        ("GET", "/api/requests/{id}/response") => get(read_response),
        ("POST", "/api/requests/{id}/end-of-use") => post(end_of_use),
        ("POST", "/api/requests/{id}/misidentification") => post(misidentification),
        ("POST", "/api/requests/{id}/decision") => post(decide_held),
        ("POST", "/api/requests/{id}/release") => post(release),
        ("GET", "/api/review/queue") => get(queue),
        ("GET", "/api/review/items/{id}") => get(review_item),
        ("POST", "/api/review/items/{id}/decision") => post(decide_item),
        ("GET", "/api/admin/agencies") => get(list_agencies),
        ("PUT", "/api/admin/agencies/{id}") => put(put_agency),
        ("POST", "/api/admin/agencies/{id}/hold") => post(set_hold),
        ("DELETE", "/api/admin/agencies/{id}/hold") => delete(clear_hold),
        ("PUT", "/api/admin/signers/{id}") => put(put_signer),
        ("POST", "/api/admin/flags") => post(set_flag),
        ("GET", "/api/admin/users") => get(list_users),
        ("PUT", "/api/admin/users/{id}") => put(put_user),
        ("POST", "/api/admin/users/{id}/tokens") => post(issue_token),
        ("GET", "/api/ledger/checkpoint") => get(checkpoint),
        ("GET", "/api/ledger/proof") => get(proof),
        ("POST", "/api/ledger/verify") => post(verify_ledger),
        ("POST", "/api/accounting/taxpayer") => post(accounting_taxpayer),
        ("GET", "/api/accounting/agencies") => get(accounting_agencies),
        _ => unreachable_route(),
    }
}

/// A route row without a handler answers 500 (and the route-table test fails).
fn unreachable_route() -> MethodRouter<AppState> {
    get(|| async { ApiError::internal("route without handler") })
}

/// The API router, built from [`ROUTES`].
pub fn router() -> axum::Router<AppState> {
    let mut by_path: Vec<(&str, MethodRouter<AppState>)> = Vec::new();
    for r in ROUTES {
        let h = handler(r);
        match by_path.iter_mut().find(|(p, _)| *p == r.path) {
            Some((_, existing)) => *existing = std::mem::take(existing).merge(h),
            None => by_path.push((r.path, h)),
        }
    }
    by_path
        .into_iter()
        .fold(axum::Router::new(), |router, (path, h)| {
            router.route(path, h)
        })
}

/// Parses a JSON body with a message naming the field at fault.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ApiError::invalid(format!("body at `{path}`: {}", inner.classify_message()))
    })
}

trait Classify {
    fn classify_message(&self) -> String;
}

impl Classify for serde_json::Error {
    /// The serde message without echoing input values.
    fn classify_message(&self) -> String {
        let msg = self.to_string();
        match self.classify() {
            serde_json::error::Category::Data => msg
                .split(" at line")
                .next()
                .map(|m| {
                    // Keep "missing field `x`", "unknown field `x`", "invalid type: …, expected …"
                    // but drop quoted values.
                    if m.starts_with("invalid value") || m.starts_with("invalid type") {
                        m.split(", expected")
                            .nth(1)
                            .map_or("invalid value".into(), |e| format!("expected{e}"))
                    } else {
                        m.to_string()
                    }
                })
                .unwrap_or_default(),
            _ => format!(
                "not valid JSON ({})",
                msg.split(" at line").next().unwrap_or("")
            ),
        }
    }
}

/// Liveness.
#[derive(Serialize, schemars::JsonSchema)]
struct Health {
    /// `ok` when the store answers.
    status: &'static str,
}

async fn healthz(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    state.store.ping().await?;
    Ok(Json(Health { status: "ok" }))
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::document())
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Login {
    /// User id.
    user: String,
    /// Password.
    password: String,
}

/// A session opened: the cookie is set; mutating requests send `csrf_token` in the
/// `x-csrf-token` header.
#[derive(Serialize, schemars::JsonSchema)]
struct LoggedIn {
    user: String,
    role: String,
    csrf_token: String,
}

async fn login(State(state): State<AppState>, bytes: axum::body::Bytes) -> ApiResult<Response> {
    let l: Login = body(&bytes)?;
    let Some(session) = state.log_in(&l.user, &l.password).await? else {
        return Err(ApiError::new(
            "unauthenticated",
            "unknown user or wrong password",
        ));
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict",
        session.token
    );
    Ok((
        [(axum::http::header::SET_COOKIE, cookie)],
        Json(LoggedIn {
            user: session.user.id,
            role: session.user.role,
            csrf_token: session.csrf,
        }),
    )
        .into_response())
}

async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let mut tx = state.store.begin().await?;
    if let crate::auth::Via::Session(hash) = &caller.via {
        tx.end_session(hash).await?;
    }
    tx.record(draft(&caller.user.id, "auth.logout", &[], "ok"))
        .await?;
    tx.commit().await?;
    let cookie = format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    Ok((
        [(axum::http::header::SET_COOKIE, cookie)],
        StatusCode::NO_CONTENT,
    )
        .into_response())
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<String> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| {
            ApiError::new(
                "idempotency_key_required",
                "send an Idempotency-Key header (1–200 characters) so a retry never creates a second request",
            )
        })?;
    Ok(key.to_string())
}

fn created(view: crate::service::RequestView, new: bool) -> Response {
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(view)).into_response()
}

async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Response> {
    allow(&state, &caller, Action::SubmitRequest)?;
    let key = idempotency_key(&headers)?;
    let signed: SignedRequest = body(&bytes)?;
    let (view, new) = state.submit(&caller, signed, &key).await?;
    Ok(created(view, new))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Batch {
    /// The envelope, as in a JSON request.
    envelope: crosscheck_gateway::Envelope,
    /// The subjects as CSV text with a header row naming the subject fields.
    #[serde(default)]
    subjects_csv: Option<String>,
    /// The subjects as JSON lines, one subject object per line.
    #[serde(default)]
    subjects_jsonl: Option<String>,
    /// Hex Ed25519 signature over the canonical bytes of the request the envelope and the
    /// parsed subjects make (`docs/gateway.md`).
    signature: String,
}

/// Subjects from CSV text (header row; columns named as [`SubjectEntry`]'s fields).
fn subjects_from_csv(text: &str) -> ApiResult<Vec<SubjectEntry>> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ApiError::invalid(format!("subjects_csv header: {e}")))?
        .clone();
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let row = i + 2;
        let rec =
            rec.map_err(|_| ApiError::invalid(format!("subjects_csv row {row}: not valid CSV")))?;
        let mut obj = serde_json::Map::new();
        for (h, v) in headers.iter().zip(rec.iter()) {
            if !v.trim().is_empty() {
                obj.insert(h.trim().to_string(), Value::String(v.to_string()));
            }
        }
        let entry: SubjectEntry = serde_json::from_value(Value::Object(obj)).map_err(|e| {
            ApiError::invalid(format!("subjects_csv row {row}: {}", e.classify_message()))
        })?;
        out.push(entry);
    }
    Ok(out)
}

fn subjects_from_jsonl(text: &str) -> ApiResult<Vec<SubjectEntry>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e: serde_json::Error| {
                ApiError::invalid(format!(
                    "subjects_jsonl line {}: {}",
                    i + 1,
                    e.classify_message()
                ))
            })
        })
        .collect()
}

async fn submit_batch(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Response> {
    allow(&state, &caller, Action::SubmitRequest)?;
    let key = idempotency_key(&headers)?;
    let b: Batch = body(&bytes)?;
    let subjects = match (&b.subjects_csv, &b.subjects_jsonl) {
        (Some(csv), None) => subjects_from_csv(csv)?,
        (None, Some(jsonl)) => subjects_from_jsonl(jsonl)?,
        _ => {
            return Err(ApiError::invalid(
                "send exactly one of subjects_csv and subjects_jsonl",
            ));
        }
    };
    let signed = SignedRequest {
        request: Request {
            envelope: b.envelope,
            subjects,
        },
        signature: b.signature,
    };
    let (view, new) = state.submit(&caller, signed, &key).await?;
    Ok(created(view, new))
}

/// Requests, newest first.
#[derive(Serialize, schemars::JsonSchema)]
struct RequestList {
    requests: Vec<RequestSummary>,
}

/// One request in a list.
#[derive(Serialize, schemars::JsonSchema)]
struct RequestSummary {
    id: String,
    agency: String,
    state: String,
    created_ms: i64,
    subjects: u64,
}

async fn list_requests(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<RequestList>> {
    let agency = listing_scope(&state, &caller)?;
    let rows = state.store.requests(agency.as_deref()).await?;
    let requests = rows
        .into_iter()
        .map(|r| RequestSummary {
            id: r.id,
            agency: r.agency,
            state: r.state,
            created_ms: r.created_ms,
            subjects: r.subjects,
        })
        .collect();
    Ok(Json(RequestList { requests }))
}

/// Released requests whose end-of-use certification is overdue (RULES 27), oldest due first.
#[derive(Serialize, schemars::JsonSchema)]
struct OverdueList {
    overdue: Vec<Overdue>,
}

/// One overdue end-of-use certification.
#[derive(Serialize, schemars::JsonSchema)]
struct Overdue {
    request_id: String,
    agency: String,
    /// When certification was due (ms since epoch).
    due_ms: i64,
    /// When it was escalated to the disclosure office (ms since epoch), once it has been.
    escalated_ms: Option<i64>,
}

async fn overdue_end_of_use(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<OverdueList>> {
    let agency = listing_scope(&state, &caller)?;
    let overdue = state
        .store
        .overdue_end_of_use(state.store.now_ms(), agency.as_deref())
        .await?
        .into_iter()
        .map(|o| Overdue {
            request_id: o.request_id,
            agency: o.agency,
            due_ms: o.due_ms,
            escalated_ms: o.escalated_ms,
        })
        .collect();
    Ok(Json(OverdueList { overdue }))
}

async fn read_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<crate::service::RequestView>> {
    let row = state
        .visible_request(&caller, &id, Action::ReadRequest)
        .await?;
    Ok(Json(state.request_view(&row).await?))
}

async fn read_response(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<crate::service::ResponseView>> {
    Ok(Json(state.response(&caller, &id).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct EndOfUse {
    /// `destroyed` or `safeguarded` with the recipient's statement.
    certification: String,
}

async fn end_of_use(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<crate::service::RequestView>> {
    let b: EndOfUse = body(&bytes)?;
    Ok(Json(
        state
            .certify_end_of_use(&caller, &id, &b.certification)
            .await?,
    ))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Misidentification {
    /// Position of the misidentified subject in the request.
    position: u64,
    /// What was wrong (no personal data needed).
    #[serde(default)]
    note: String,
}

async fn misidentification(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    let b: Misidentification = body(&bytes)?;
    state
        .report_misidentification(&caller, &id, b.position, &b.note)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct HeldDecision {
    /// Accept (process the request) or reject it.
    accept: bool,
    /// The officer's rationale.
    #[serde(default)]
    note: String,
}

async fn decide_held(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<crate::service::RequestView>> {
    let b: HeldDecision = body(&bytes)?;
    Ok(Json(
        state.decide_held(&caller, &id, b.accept, &b.note).await?,
    ))
}

/// A release approval. `approve` lists each confirmed record by position: a file-level
/// approval (`"all": true`) does not exist (RULES 7; the 2025 bulk approval).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Release {
    /// Positions of the confirmed records this officer approves, each named.
    approve: Vec<u64>,
}

async fn release(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<crate::service::RequestView>> {
    let b: Release = body(&bytes)?;
    Ok(Json(state.release(&caller, &id, &b.approve).await?))
}

/// The caller's review queue, oldest first.
#[derive(Serialize, schemars::JsonSchema)]
struct Queue {
    count: usize,
    items: Vec<QueueItem>,
}

/// One item of a review queue.
#[derive(Serialize, schemars::JsonSchema)]
struct QueueItem {
    /// `REQUEST.POSITION`, as `/api/review/items/{id}` takes it.
    id: String,
    request_id: String,
    position: u64,
    /// The matcher's outcome (`match` or `review`).
    outcome: String,
}

async fn queue(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Queue>> {
    allow(&state, &caller, Action::ReadQueue)?;
    let items = state.store.queue(&caller.user.id, "in_review").await?;
    let items: Vec<QueueItem> = items
        .into_iter()
        .map(|s| QueueItem {
            id: format!("{}.{}", s.request_id, s.position),
            request_id: s.request_id,
            position: s.position,
            outcome: s.outcome,
        })
        .collect();
    Ok(Json(Queue {
        count: items.len(),
        items,
    }))
}

async fn review_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<crate::service::ReviewItem>> {
    Ok(Json(state.open_item(&caller, &id).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ItemDecision {
    /// `confirm` or `refute`.
    decision: String,
    /// A reason code from the shipped list (`docs/console.md`).
    reason_code: String,
    /// The reviewer's note.
    #[serde(default)]
    note: String,
}

async fn decide_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    let b: ItemDecision = body(&bytes)?;
    state
        .decide_item(&caller, &id, &b.decision, &b.reason_code, &b.note)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_agencies(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<Agency>>> {
    allow(&state, &caller, Action::ManageRegistry)?;
    Ok(Json(state.store.agencies().await?))
}

async fn put_agency(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<Agency>> {
    allow(&state, &caller, Action::ManageRegistry)?;
    let agency: Agency = body(&bytes)?;
    if agency.id != id {
        return Err(ApiError::invalid("body `id` differs from the path"));
    }
    Ok(Json(state.put_agency(&caller.user.id, agency).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Hold {
    /// The court order's reference.
    order_ref: String,
    /// Date the order took effect (ISO 8601).
    since: String,
}

async fn set_hold(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<Agency>> {
    allow(&state, &caller, Action::ManageRegistry)?;
    let h: Hold = body(&bytes)?;
    let hold = CourtHold {
        order_ref: h.order_ref,
        since: h.since,
    };
    Ok(Json(
        state.set_hold(&caller.user.id, &id, Some(hold)).await?,
    ))
}

async fn clear_hold(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Agency>> {
    allow(&state, &caller, Action::ManageRegistry)?;
    Ok(Json(state.set_hold(&caller.user.id, &id, None).await?))
}

async fn put_signer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<SignerRecord>> {
    allow(&state, &caller, Action::ManageRegistry)?;
    let signer: SignerRecord = body(&bytes)?;
    if signer.id != id {
        return Err(ApiError::invalid("body `id` differs from the path"));
    }
    Ok(Json(state.put_signer(&caller.user.id, signer).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct Flag {
    /// The taxpayer's TIN (stored only as an HMAC).
    tin: String,
    /// The reason for the flag; absent clears it.
    note: Option<String>,
}

async fn set_flag(
    State(state): State<AppState>,
    caller: Caller,
    bytes: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    allow(&state, &caller, Action::ManageRegistry)?;
    let f: Flag = body(&bytes)?;
    state
        .set_flag(&caller.user.id, &f.tin, f.note.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An account as administrators see it (never its password hash).
#[derive(Serialize, schemars::JsonSchema)]
struct UserView {
    id: String,
    role: String,
    agency: Option<String>,
    active: bool,
}

impl From<crosscheck_store::registry::User> for UserView {
    fn from(u: crosscheck_store::registry::User) -> UserView {
        UserView {
            id: u.id,
            role: u.role,
            agency: u.agency,
            active: u.active,
        }
    }
}

async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<UserView>>> {
    allow(&state, &caller, Action::ManageUsers)?;
    let users = state.store.users().await?;
    Ok(Json(users.into_iter().map(UserView::from).collect()))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct PutUser {
    /// `requester`, `reviewer`, `officer`, `auditor` or `admin`.
    role: String,
    /// The agency of a requester.
    #[serde(default)]
    agency: Option<String>,
    /// A new password (hashed with Argon2id); absent keeps the old one.
    #[serde(default)]
    password: Option<String>,
    /// Whether the account may log in; disabling ends its sessions.
    #[serde(default = "yes")]
    active: bool,
}

fn yes() -> bool {
    true
}

async fn put_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<UserView>> {
    allow(&state, &caller, Action::ManageUsers)?;
    let u: PutUser = body(&bytes)?;
    let change = crate::registry::UserChange {
        role: u.role,
        agency: u.agency,
        password: u.password,
        active: u.active,
    };
    let user = state.put_user(&caller.user.id, &id, change).await?;
    Ok(Json(UserView::from(user)))
}

async fn issue_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<IssuedToken>> {
    allow(&state, &caller, Action::ManageUsers)?;
    let token = state.issue_token(&caller.user.id, &id).await?;
    Ok(Json(IssuedToken { user: id, token }))
}

/// A new API token, shown once (only its hash is stored).
#[derive(Serialize, schemars::JsonSchema)]
struct IssuedToken {
    user: String,
    token: String,
}

/// The latest signed checkpoint with the key to check it against.
#[derive(Serialize, schemars::JsonSchema)]
struct SignedCheckpoint {
    /// Size, Merkle root, time and Ed25519 signature (`docs/ledger.md`).
    #[schemars(with = "Value")]
    checkpoint: crosscheck_ledger::checkpoint::Checkpoint,
    /// Hex of the gateway's ledger public key.
    public_key: String,
}

async fn checkpoint(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<SignedCheckpoint>> {
    allow(&state, &caller, Action::ReadLedger)?;
    let checkpoint = state.store.checkpoint().await?;
    Ok(Json(SignedCheckpoint {
        checkpoint,
        public_key: hex::encode(state.store.public_key().0),
    }))
}

#[derive(Deserialize)]
struct ProofQuery {
    entry: Option<u64>,
    size: Option<u64>,
    from: Option<u64>,
    to: Option<u64>,
}

async fn proof(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ProofQuery>,
) -> ApiResult<Json<Value>> {
    allow(&state, &caller, Action::ReadLedger)?;
    let proof = match (q.entry, q.size, q.from, q.to) {
        (Some(entry), Some(size), None, None) => state.store.prove_inclusion(entry, size).await?,
        (None, None, Some(from), Some(to)) => state.store.prove_consistency(from, to).await?,
        _ => return Err(ApiError::invalid("give entry and size, or from and to")),
    };
    let proof = proof.map_err(|e| ApiError::invalid(e.to_string()))?;
    Ok(Json(
        serde_json::to_value(proof).map_err(ApiError::internal)?,
    ))
}

/// The outcome of a full verification of the stored ledger.
#[derive(Serialize, schemars::JsonSchema)]
struct Verification {
    ok: bool,
    /// Entries verified (when `ok`).
    #[serde(skip_serializing_if = "Option::is_none")]
    entries: Option<u64>,
    /// Checkpoints verified (when `ok`).
    #[serde(skip_serializing_if = "Option::is_none")]
    checkpoints: Option<u64>,
    /// The first problem found, naming the entry (when not `ok`).
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

async fn verify_ledger(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Verification>> {
    allow(&state, &caller, Action::VerifyLedger)?;
    Ok(Json(match state.store.verify_ledger(None).await? {
        Ok(v) => Verification {
            ok: true,
            entries: Some(v.entries),
            checkpoints: Some(v.checkpoints as u64),
            problem: None,
        },
        Err(t) => Verification {
            ok: false,
            entries: None,
            checkpoints: None,
            problem: Some(t.to_string()),
        },
    }))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct TaxpayerQuery {
    /// The taxpayer's TIN.
    tin: String,
}

async fn accounting_taxpayer(
    State(state): State<AppState>,
    caller: Caller,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<TaxpayerAccounting>> {
    allow(&state, &caller, Action::ReadAccounting)?;
    let q: TaxpayerQuery = body(&bytes)?;
    let tin = crosscheck_contract::Tin::parse(&q.tin)
        .map_err(|_| ApiError::invalid("tin: not a valid SSN or ITIN"))?;
    let found = state.store.taxpayer_entries(&tin.digits()).await?;
    let mut tx = state.store.begin().await?;
    let mut d = draft(
        &caller.user.id,
        "accounting.searched",
        &[],
        &format!("{} entries", found.len()),
    );
    d.personal.insert(accounting::TIN.into(), tin.digits());
    tx.record(d).await?;
    tx.commit().await?;
    let disclosures = found
        .iter()
        .filter(|e| e.action == accounting::DISCLOSURE)
        .count();
    Ok(Json(TaxpayerAccounting {
        disclosures,
        entries: found,
    }))
}

/// Every ledger entry about one taxpayer (RULES 29), found through the TIN's HMAC.
#[derive(Serialize, schemars::JsonSchema)]
struct TaxpayerAccounting {
    /// How many of the entries are disclosures.
    disclosures: usize,
    /// The entries (`docs/ledger.md` describes their fields).
    #[schemars(with = "Vec<Value>")]
    entries: Vec<crosscheck_ledger::entry::Entry>,
}

/// Totals per agency and year for the § 6103(p)(3)(C) report.
#[derive(Serialize, schemars::JsonSchema)]
struct AgencyTotals {
    agencies: Vec<AgencyYear>,
}

/// One agency's totals in one year.
#[derive(Serialize, schemars::JsonSchema)]
struct AgencyYear {
    agency: String,
    year: i32,
    /// Requests, disclosures, subjects, taxpayers and purposes (`docs/ledger.md`).
    #[schemars(with = "Value")]
    totals: accounting::Totals,
}

async fn accounting_agencies(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<AgencyTotals>> {
    allow(&state, &caller, Action::ReadAccounting)?;
    let entries = state.store.decoded_entries().await?;
    let totals = accounting::per_agency_year(&entries);
    let agencies = totals
        .into_iter()
        .map(|((agency, year), totals)| AgencyYear {
            agency,
            year,
            totals,
        })
        .collect();
    Ok(Json(AgencyTotals { agencies }))
}
