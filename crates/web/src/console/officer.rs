//! Requests: the disclosure officer's page (envelope, gate findings per rule, held decision,
//! per-record release approval, batch dashboard) and, for a requester, status only.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use crosscheck_gateway::{GateReport, SignedRequest};
use crosscheck_policy::{Action, Resource, Role};
use crosscheck_store::requests::RequestRow;

use super::{Chrome, CsrfForm, chrome, page, see_other, when};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::service::{RequestView, SubjectDoc};

/// A line of the requests list.
pub struct RequestLine {
    id: String,
    agency: String,
    state: String,
    received: String,
    subjects: u64,
}

/// A released request whose end-of-use certification is overdue (RULES 27).
pub struct OverdueLine {
    id: String,
    agency: String,
    due: String,
    escalated: String,
}

#[derive(Template)]
#[template(path = "requests.html", config = "src/console/askama.toml")]
struct RequestsPage {
    chrome: Chrome,
    requester: bool,
    overdue: Vec<OverdueLine>,
    lines: Vec<RequestLine>,
}

/// `GET /console/requests`: every request for custodian staff who may list them; a
/// requester's own agency's only.
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let agency = crate::auth::listing_scope(&state, &caller)?;
    let requester = caller.principal.role == Role::Requester;
    let mut rows = state.store.requests(agency.as_deref()).await?;
    rows.sort_by_key(|r| std::cmp::Reverse(r.created_ms));
    let lines = rows
        .iter()
        .map(|r| RequestLine {
            id: r.id.clone(),
            agency: r.agency.clone(),
            state: r.state.replace('_', " "),
            received: when(r.created_ms),
            subjects: r.subjects,
        })
        .collect();
    let overdue = state
        .store
        .overdue_end_of_use(state.store.now_ms(), agency.as_deref())
        .await?
        .into_iter()
        .map(|o| OverdueLine {
            id: o.request_id,
            agency: o.agency,
            due: when(o.due_ms),
            escalated: o.escalated_ms.map(when).unwrap_or_else(|| "not yet".into()),
        })
        .collect();
    page(&RequestsPage {
        chrome: chrome(&state, &caller, "/console/requests").await?,
        requester,
        overdue,
        lines,
    })
}

/// The requester's page: the same view the API gives them, nothing of the custodian's.
#[derive(Template)]
#[template(path = "request_status.html", config = "src/console/askama.toml")]
struct StatusPage {
    chrome: Chrome,
    view: RequestView,
    received: String,
}

/// One finding grouped by rule.
pub struct RuleLine {
    rule: u8,
    code: String,
    action: String,
    scope: String,
    message: String,
}

/// One subject of the officer's table.
pub struct SubjectLine {
    position: u64,
    reference: String,
    state: String,
    outcome: String,
    weight: String,
    assigned_to: String,
    determination: String,
    confirmed: bool,
}

/// One bar of the match-weight histogram.
pub struct Bin {
    x: i64,
    y: i64,
    width: i64,
    height: i64,
    label_x: i64,
    label: String,
    n: usize,
}

/// The batch's match weights, binned.
pub struct Histogram {
    bins: Vec<Bin>,
    max: usize,
    total: usize,
}

/// What the officer's page shows.
#[derive(Template)]
#[template(path = "request.html", config = "src/console/askama.toml")]
struct OfficerPage {
    chrome: Chrome,
    row: RequestRow,
    state: String,
    received: String,
    envelope: Vec<(&'static str, String)>,
    recipients: Vec<(String, String)>,
    rules: Vec<RuleLine>,
    subjects: Vec<SubjectLine>,
    outcomes: Vec<(String, usize)>,
    states: Vec<(String, usize)>,
    histogram: Histogram,
    decided: usize,
    to_decide: usize,
    percent: usize,
    held: bool,
    releasable: bool,
    notice: Option<String>,
}

/// Query of the request page.
#[derive(Deserialize)]
pub struct NoticeQuery {
    #[serde(default)]
    done: Option<String>,
}

fn histogram(weights: &[f64]) -> Histogram {
    const W: f64 = 560.0;
    const H: f64 = 140.0;
    if weights.is_empty() {
        return Histogram {
            bins: Vec::new(),
            max: 0,
            total: 0,
        };
    }
    let lo = weights
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .floor();
    let hi = weights
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .floor()
        + 1.0;
    let width = ((hi - lo) / 12.0).ceil().max(1.0);
    let n = (((hi - lo) / width).ceil() as usize).max(1);
    let mut counts = vec![0usize; n];
    for w in weights {
        let i = (((w - lo) / width).floor() as usize).min(n - 1);
        counts[i] += 1;
    }
    let max = counts.iter().copied().max().unwrap_or(1).max(1);
    let bw = W / n as f64;
    let bins = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let h = (c as f64 / max as f64 * H).round() as i64;
            let from = lo + i as f64 * width;
            Bin {
                x: 40 + (i as f64 * bw).round() as i64,
                y: 22 + H as i64 - h,
                width: (bw - 2.0).max(1.0).round() as i64,
                height: h,
                label_x: 40 + ((i as f64 + 0.5) * bw).round() as i64,
                label: format!("{from:.0}"),
                n: c,
            }
        })
        .collect();
    Histogram {
        bins,
        max,
        total: weights.len(),
    }
}

fn tally<'a>(values: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for v in values {
        *m.entry(v.replace('_', " ")).or_default() += 1;
    }
    m.into_iter().collect()
}

/// Whether the caller sees the custodian's side of this request (the officer's page): the
/// policy decides, by whether they may decide it when held.
fn custodian_view(state: &AppState, caller: &Caller, row: &RequestRow) -> bool {
    state
        .authz
        .decide(
            &caller.principal,
            Action::DecideHeldRequest,
            &Resource::Request {
                id: row.id.clone(),
                agency: row.agency.clone(),
                configured_by: row.configured_by.clone(),
            },
        )
        .allowed
}

/// `GET /console/requests/{id}`.
pub async fn request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> ApiResult<Response> {
    let row = state
        .visible_request(&caller, &id, Action::ReadRequest)
        .await?;
    if !custodian_view(&state, &caller, &row) {
        let view = state.request_view(&row).await?;
        return page(&StatusPage {
            chrome: chrome(&state, &caller, "/console/requests").await?,
            received: when(view.created_ms),
            view,
        });
    }
    let signed: SignedRequest = state.store.request_document(&id).await?;
    let e = &signed.request.envelope;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
    let mut envelope = vec![
        ("Agency reference", e.request_ref.clone()),
        ("Agency", e.agency.clone()),
        ("Legal basis", opt(&e.legal_basis)),
        ("Data class", opt(&e.data_class)),
        ("Statute", opt(&e.statute)),
        ("Signed by", e.signer.clone()),
        ("Use attestation", opt(&e.use_attestation)),
        ("Tax years", e.tax_years.join(", ")),
        ("Subjects", row.subjects.to_string()),
    ];
    if let Some(o) = &e.court_order {
        envelope.push((
            "Court order",
            format!("{} ({}, {})", o.document_ref, o.court_kind, o.scope),
        ));
    }
    let recipients = e
        .recipients
        .iter()
        .map(|r| (r.name.clone(), r.title.clone()))
        .collect();

    let report: GateReport = serde_json::from_str(&row.gate).map_err(ApiError::internal)?;
    let rules = rule_lines(&report);
    let rows = state.store.subjects(&id).await?;
    let mut subjects = Vec::new();
    let mut weights = Vec::new();
    for s in &rows {
        let doc: SubjectDoc = state.store.subject_document(&id, s.position).await?;
        let weight = doc
            .found
            .as_ref()
            .and_then(|f| f.best.as_ref())
            .map(|b| b.weight);
        if let Some(w) = weight {
            weights.push(w);
        }
        let determination = match &doc.determination {
            Some(d) => format!("{} ({}) by {}", d.decision, d.reason_code, d.by),
            None => s
                .reason_code
                .clone()
                .map_or_else(String::new, |r| r.replace('_', " ")),
        };
        subjects.push(SubjectLine {
            position: s.position,
            reference: doc.entry.subject_id.clone(),
            state: s.state.replace('_', " "),
            outcome: s.outcome.replace('_', " "),
            weight: weight.map_or_else(String::new, |w| format!("{w:+.2}")),
            assigned_to: s.assigned_to.clone().unwrap_or_default(),
            determination,
            confirmed: s.state == "confirmed",
        });
    }
    let decided = rows.iter().filter(|s| s.determined_by.is_some()).count();
    let to_decide = decided + rows.iter().filter(|s| s.state == "in_review").count();
    let percent = (decided * 100).checked_div(to_decide).unwrap_or(100);
    page(&OfficerPage {
        chrome: chrome(&state, &caller, "/console/requests").await?,
        state: row.state.replace('_', " "),
        received: when(row.created_ms),
        envelope,
        recipients,
        rules,
        outcomes: tally(rows.iter().map(|s| s.outcome.as_str())),
        states: tally(rows.iter().map(|s| s.state.as_str())),
        histogram: histogram(&weights),
        subjects,
        decided,
        to_decide,
        percent,
        held: row.state == "held",
        releasable: row.state == "decided",
        notice: q.done,
        row,
    })
}

/// Where one rule's finding applies.
struct Applies {
    action: String,
    message: String,
    subjects: Vec<u64>,
    request: bool,
}

/// The gate's findings grouped by rule and code, with what each concerns.
fn rule_lines(report: &GateReport) -> Vec<RuleLine> {
    let mut by_rule: BTreeMap<(u8, String), Applies> = BTreeMap::new();
    for f in &report.request {
        by_rule
            .entry((f.rule, f.code.clone()))
            .or_insert_with(|| applies(f))
            .request = true;
    }
    for (i, s) in report.subjects.iter().enumerate() {
        for f in &s.findings {
            by_rule
                .entry((f.rule, f.code.clone()))
                .or_insert_with(|| applies(f))
                .subjects
                .push(i as u64);
        }
    }
    by_rule
        .into_iter()
        .map(|((rule, code), a)| RuleLine {
            rule,
            code,
            scope: match (a.request, a.subjects.len()) {
                (true, 0) => "the request".into(),
                (true, n) => format!("the request and {n} subject(s)"),
                (false, n) if n <= 6 => format!(
                    "subject(s) {}",
                    a.subjects
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                (false, n) => format!("{n} subjects"),
            },
            action: a.action,
            message: a.message,
        })
        .collect()
}

fn applies(f: &crosscheck_gateway::Finding) -> Applies {
    Applies {
        action: action_word(&f.action),
        message: f.message.clone(),
        subjects: Vec::new(),
        request: false,
    }
}

fn action_word(a: &crosscheck_gateway::gate::Action) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `POST /console/requests/{id}/held`: accept or reject a held request.
pub async fn held(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: CsrfForm,
) -> ApiResult<Response> {
    let accept = match form.get("decision") {
        Some("accept") => true,
        Some("reject") => false,
        _ => return Err(ApiError::invalid("decision must be accept or reject")),
    };
    state
        .decide_held(&form.caller, &id, accept, &form.text("note"))
        .await?;
    let done = if accept { "accepted" } else { "rejected" };
    Ok(see_other(&format!("/console/requests/{id}?done={done}")))
}

/// `POST /console/requests/{id}/release`: release with one approval per confirmed record.
pub async fn release(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: CsrfForm,
) -> ApiResult<Response> {
    let approve: Vec<u64> = form
        .all("approve")
        .iter()
        .map(|p| {
            p.parse()
                .map_err(|_| ApiError::invalid("approve: record positions"))
        })
        .collect::<Result<_, _>>()?;
    state.release(&form.caller, &id, &approve).await?;
    Ok(see_other(&format!("/console/requests/{id}?done=released")))
}
