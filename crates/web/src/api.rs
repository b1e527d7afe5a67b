//! The JSON API: one table of routes (method, path, the policy action it needs, summary)
//! from which the router, the OpenAPI document and the authorization-matrix test are all
//! built, so a route cannot exist without its row.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use crosscheck_gateway::{Agency, CourtHold, Request, SignedRequest, SignerRecord, SubjectEntry};
use crosscheck_ledger::accounting;
use crosscheck_policy::{Action, Resource};

use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult};
use crate::service::draft;

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
    ),
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
    ),
    route(
        "POST",
        "/api/login",
        None,
        false,
        "log in with user and password; sets the session cookie, returns the CSRF token",
    ),
    route("POST", "/api/logout", None, true, "end the session"),
    route(
        "POST",
        "/api/requests",
        Some(Action::SubmitRequest),
        true,
        "submit a signed request (JSON; header Idempotency-Key)",
    ),
    route(
        "POST",
        "/api/requests/batch",
        Some(Action::SubmitRequest),
        true,
        "submit a signed request whose subjects come as CSV or JSON lines text",
    ),
    route(
        "GET",
        "/api/requests",
        Some(Action::ListRequests),
        true,
        "list requests (a requester sees only its agency's)",
    ),
    route(
        "GET",
        "/api/requests/{id}",
        Some(Action::ReadRequest),
        true,
        "a request's state, gate findings and per-subject status",
    ),
    route(
        "GET",
        "/api/requests/{id}/response",
        Some(Action::ReadResponse),
        true,
        "the released response",
    ),
    route(
        "POST",
        "/api/requests/{id}/end-of-use",
        Some(Action::CertifyEndOfUse),
        true,
        "certify destruction or continued safeguarding",
    ),
    route(
        "POST",
        "/api/requests/{id}/misidentification",
        Some(Action::ReportMisidentification),
        true,
        "report a misidentified subject; the disclosure is retracted",
    ),
    route(
        "POST",
        "/api/requests/{id}/decision",
        Some(Action::DecideHeldRequest),
        true,
        "a disclosure officer accepts or rejects a held request",
    ),
    route(
        "POST",
        "/api/requests/{id}/release",
        Some(Action::ApproveRelease),
        true,
        "approve the release, record by record",
    ),
    route(
        "GET",
        "/api/review/queue",
        Some(Action::ReadQueue),
        true,
        "the caller's review queue",
    ),
    route(
        "GET",
        "/api/review/items/{id}",
        Some(Action::ReadReviewItem),
        true,
        "a candidate match with its evidence",
    ),
    route(
        "POST",
        "/api/review/items/{id}/decision",
        Some(Action::DecideReviewItem),
        true,
        "confirm or refute a candidate match",
    ),
    route(
        "GET",
        "/api/admin/agencies",
        Some(Action::ManageRegistry),
        true,
        "list agencies and agreements",
    ),
    route(
        "PUT",
        "/api/admin/agencies/{id}",
        Some(Action::ManageRegistry),
        true,
        "create or replace an agency and its agreement",
    ),
    route(
        "POST",
        "/api/admin/agencies/{id}/hold",
        Some(Action::ManageRegistry),
        true,
        "suspend disclosures to an agency (court order)",
    ),
    route(
        "DELETE",
        "/api/admin/agencies/{id}/hold",
        Some(Action::ManageRegistry),
        true,
        "lift a court-order hold",
    ),
    route(
        "PUT",
        "/api/admin/signers/{id}",
        Some(Action::ManageRegistry),
        true,
        "register an authorized signer and its public key",
    ),
    route(
        "POST",
        "/api/admin/flags",
        Some(Action::ManageRegistry),
        true,
        "set or clear a § 6103(i)(6) flag on a taxpayer",
    ),
    route(
        "GET",
        "/api/admin/users",
        Some(Action::ManageUsers),
        true,
        "list users",
    ),
    route(
        "PUT",
        "/api/admin/users/{id}",
        Some(Action::ManageUsers),
        true,
        "create or change a user (role, agency, password, active)",
    ),
    route(
        "POST",
        "/api/admin/users/{id}/tokens",
        Some(Action::ManageUsers),
        true,
        "issue an API token (shown once)",
    ),
    route(
        "GET",
        "/api/ledger/checkpoint",
        Some(Action::ReadLedger),
        true,
        "a fresh signed checkpoint",
    ),
    route(
        "GET",
        "/api/ledger/proof",
        Some(Action::ReadLedger),
        true,
        "inclusion (entry, size) or consistency (from, to) proof",
    ),
    route(
        "POST",
        "/api/ledger/verify",
        Some(Action::VerifyLedger),
        true,
        "verify the whole ledger now",
    ),
    route(
        "POST",
        "/api/accounting/taxpayer",
        Some(Action::ReadAccounting),
        true,
        "disclosure accounting for one TIN (searched by HMAC)",
    ),
    route(
        "GET",
        "/api/accounting/agencies",
        Some(Action::ReadAccounting),
        true,
        "per agency, per year totals",
    ),
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

/// Checks the caller's role may do `action` on the system (collection routes).
fn allow(state: &AppState, caller: &Caller, action: Action) -> ApiResult<()> {
    if state
        .authz
        .decide(&caller.principal, action, &Resource::System)
        .allowed
    {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
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

async fn healthz(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    state.store.ping().await?;
    Ok(Json(json!({"status": "ok"})))
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    user: String,
    password: String,
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
        Json(
            json!({"user": session.user.id, "role": session.user.role, "csrf_token": session.csrf}),
        ),
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    envelope: crosscheck_gateway::Envelope,
    #[serde(default)]
    subjects_csv: Option<String>,
    #[serde(default)]
    subjects_jsonl: Option<String>,
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

async fn list_requests(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    allow(&state, &caller, Action::ListRequests)?;
    let agency = match caller.principal.role {
        crosscheck_policy::Role::Requester => Some(
            caller
                .principal
                .agency
                .clone()
                .ok_or_else(ApiError::forbidden)?,
        ),
        _ => None,
    };
    let rows = state.store.requests(agency.as_deref()).await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|r| json!({"id": r.id, "agency": r.agency, "state": r.state, "created_ms": r.created_ms, "subjects": r.subjects}))
        .collect();
    Ok(Json(json!({ "requests": list })))
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EndOfUse {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Misidentification {
    position: u64,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeldDecision {
    accept: bool,
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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Release {
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

async fn queue(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    allow(&state, &caller, Action::ReadQueue)?;
    let items = state.store.queue(&caller.user.id, "in_review").await?;
    let list: Vec<Value> = items
        .iter()
        .map(|s| json!({"id": format!("{}.{}", s.request_id, s.position), "request_id": s.request_id, "position": s.position, "outcome": s.outcome}))
        .collect();
    Ok(Json(json!({"count": list.len(), "items": list})))
}

async fn review_item(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<crate::service::ReviewItem>> {
    Ok(Json(state.open_item(&caller, &id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemDecision {
    decision: String,
    reason_code: String,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Hold {
    order_ref: String,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Flag {
    tin: String,
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

async fn list_users(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    allow(&state, &caller, Action::ManageUsers)?;
    let users = state.store.users().await?;
    Ok(Json(json!(
        users
            .iter()
            .map(|u| json!({"id": u.id, "role": u.role, "agency": u.agency, "active": u.active}))
            .collect::<Vec<_>>()
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutUser {
    role: String,
    #[serde(default)]
    agency: Option<String>,
    #[serde(default)]
    password: Option<String>,
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
) -> ApiResult<Json<Value>> {
    allow(&state, &caller, Action::ManageUsers)?;
    let u: PutUser = body(&bytes)?;
    let change = crate::registry::UserChange {
        role: u.role,
        agency: u.agency,
        password: u.password,
        active: u.active,
    };
    let user = state.put_user(&caller.user.id, &id, change).await?;
    Ok(Json(
        json!({"id": user.id, "role": user.role, "agency": user.agency, "active": user.active}),
    ))
}

async fn issue_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    allow(&state, &caller, Action::ManageUsers)?;
    let token = state.issue_token(&caller.user.id, &id).await?;
    Ok(Json(json!({"user": id, "token": token})))
}

async fn checkpoint(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    allow(&state, &caller, Action::ReadLedger)?;
    let c = state.store.checkpoint().await?;
    Ok(Json(
        json!({"checkpoint": c, "public_key": hex::encode(state.store.public_key().0)}),
    ))
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

async fn verify_ledger(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    allow(&state, &caller, Action::VerifyLedger)?;
    Ok(Json(match state.store.verify_ledger(None).await? {
        Ok(v) => json!({"ok": true, "entries": v.entries, "checkpoints": v.checkpoints}),
        Err(t) => json!({"ok": false, "problem": t.to_string()}),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxpayerQuery {
    tin: String,
}

async fn accounting_taxpayer(
    State(state): State<AppState>,
    caller: Caller,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    allow(&state, &caller, Action::ReadAccounting)?;
    let q: TaxpayerQuery = body(&bytes)?;
    let tin = crosscheck_contract::Tin::parse(&q.tin)
        .map_err(|_| ApiError::invalid("tin: not a valid SSN or ITIN"))?;
    let entries = state.store.decoded_entries().await?;
    let found: Vec<_> =
        accounting::for_taxpayer(&entries, state.store.personal_key(), &tin.digits())
            .into_iter()
            .cloned()
            .collect();
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
    Ok(Json(json!({"disclosures": disclosures, "entries": found})))
}

async fn accounting_agencies(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    allow(&state, &caller, Action::ReadAccounting)?;
    let entries = state.store.decoded_entries().await?;
    let totals = accounting::per_agency_year(&entries);
    let rows: Vec<Value> = totals
        .iter()
        .map(|((agency, year), t)| json!({"agency": agency, "year": year, "totals": t}))
        .collect();
    Ok(Json(json!({"agencies": rows})))
}
