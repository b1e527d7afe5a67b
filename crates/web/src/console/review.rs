//! A reviewer's queue and the decision page.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use crosscheck_linkage::normalise;
use crosscheck_policy::Action;
use crosscheck_store::requests::SubjectRow;

use super::{Chrome, CsrfForm, allow, chrome, page, see_other, when};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::matcher::Candidate;
use crate::service::{AddressByYear, REVIEW_REASONS, ReviewItem};

/// One open item of a queue, with its request's arrival time (the queue's order).
struct Open {
    row: SubjectRow,
    received_ms: i64,
}

impl Open {
    fn id(&self) -> String {
        format!("{}.{}", self.row.request_id, self.row.position)
    }
}

/// The caller's open items, oldest request first, then in request order.
async fn open_items(state: &AppState, caller: &Caller) -> ApiResult<Vec<Open>> {
    let rows = state.store.queue(&caller.user.id, "in_review").await?;
    let mut received: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rows {
        if !received.contains_key(&r.request_id) {
            let at = state
                .store
                .request(&r.request_id)
                .await?
                .map_or(i64::MAX, |q| q.created_ms);
            received.insert(r.request_id.clone(), at);
        }
    }
    let mut open: Vec<Open> = rows
        .into_iter()
        .map(|row| Open {
            received_ms: received.get(&row.request_id).copied().unwrap_or(i64::MAX),
            row,
        })
        .collect();
    open.sort_by(|a, b| {
        (a.received_ms, &a.row.request_id, a.row.position).cmp(&(
            b.received_ms,
            &b.row.request_id,
            b.row.position,
        ))
    });
    Ok(open)
}

/// A row of the queue table.
pub struct QueueRow {
    id: String,
    request_id: String,
    position: u64,
    outcome: String,
    received: String,
}

/// A count with its label, and whether it is the filter in force.
pub struct Count {
    value: String,
    n: usize,
    selected: bool,
}

#[derive(Template)]
#[template(path = "queue.html", config = "src/console/askama.toml")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<QueueRow>,
    total: usize,
    decided: usize,
    outcomes: Vec<Count>,
    requests: Vec<Count>,
    request: String,
    outcome: String,
    done: Option<String>,
}

/// Query of the queue page.
#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    request: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    done: Option<String>,
}

fn counts<'a>(values: impl Iterator<Item = &'a str>, selected: &str) -> Vec<Count> {
    let mut m: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values {
        *m.entry(v).or_default() += 1;
    }
    m.into_iter()
        .map(|(v, n)| Count {
            value: v.to_string(),
            n,
            selected: v == selected,
        })
        .collect()
}

/// `GET /console/queue`: the caller's open items, oldest first, filterable by request and
/// outcome, with counts.
pub async fn queue(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<QueueQuery>,
) -> ApiResult<Response> {
    allow(&state, &caller, Action::ReadQueue)?;
    let open = open_items(&state, &caller).await?;
    let mut decided = 0;
    for s in ["confirmed", "refuted", "released", "retracted"] {
        decided += state.store.queue(&caller.user.id, s).await?.len();
    }
    let outcomes = counts(open.iter().map(|o| o.row.outcome.as_str()), &q.outcome);
    let requests = counts(open.iter().map(|o| o.row.request_id.as_str()), &q.request);
    let rows = open
        .iter()
        .filter(|o| q.request.is_empty() || o.row.request_id == q.request)
        .filter(|o| q.outcome.is_empty() || o.row.outcome == q.outcome)
        .map(|o| QueueRow {
            id: o.id(),
            request_id: o.row.request_id.clone(),
            position: o.row.position,
            outcome: o.row.outcome.clone(),
            received: when(o.received_ms),
        })
        .collect();
    page(&QueuePage {
        chrome: chrome(&state, &caller, "/console/queue").await?,
        rows,
        total: open.len(),
        decided,
        outcomes,
        requests,
        request: q.request,
        outcome: q.outcome,
        done: q.done,
    })
}

/// One field of the side-by-side comparison.
pub struct FieldRow {
    label: &'static str,
    subject: String,
    candidate: String,
    subject_norm: String,
    candidate_norm: String,
    /// `same`, `differs` or `missing` (a CSS class and, in words, for screen readers).
    verdict: &'static str,
}

fn row(
    label: &'static str,
    subject: Option<&str>,
    candidate: Option<&str>,
    norm: fn(&str) -> String,
) -> FieldRow {
    fn clean(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    let (s, c) = (clean(subject), clean(candidate));
    let (sn, cn) = (
        s.map(norm).unwrap_or_default(),
        c.map(norm).unwrap_or_default(),
    );
    let verdict = if sn.is_empty() || cn.is_empty() {
        "missing"
    } else if sn == cn {
        "same"
    } else {
        "differs"
    };
    FieldRow {
        label,
        subject: s.unwrap_or("").to_string(),
        candidate: c.unwrap_or("").to_string(),
        subject_norm: sn,
        candidate_norm: cn,
        verdict,
    }
}

fn norm_name(v: &str) -> String {
    normalise::name_field(Some(v)).unwrap_or_default()
}

fn norm_dob(v: &str) -> String {
    normalise::dob(Some(v))
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn norm_zip(v: &str) -> String {
    v.chars().filter(char::is_ascii_digit).take(5).collect()
}

fn norm_digits(v: &str) -> String {
    v.chars().filter(char::is_ascii_digit).collect()
}

/// The subject and the candidate field by field; the candidate's address is the one of the
/// tax year that agreed best (or the latest).
fn compare(item: &ReviewItem, address: Option<&AddressByYear>) -> Vec<FieldRow> {
    let s = &item.subject;
    let c = item.candidate.as_ref();
    let a = address;
    vec![
        row(
            "Given name",
            s.given_name.as_deref(),
            c.map(|c| c.given_name.as_str()),
            norm_name,
        ),
        row(
            "Middle name",
            s.middle_name.as_deref(),
            c.and_then(|c| c.middle_name.as_deref()),
            norm_name,
        ),
        row(
            "Family name",
            s.family_name.as_deref(),
            c.map(|c| c.family_name.as_str()),
            norm_name,
        ),
        row(
            "Date of birth",
            s.dob.as_deref(),
            c.and_then(|c| c.dob.as_deref()),
            norm_dob,
        ),
        row(
            "Street",
            s.street.as_deref(),
            a.map(|a| a.street.as_str()),
            normalise::fold,
        ),
        row(
            "Unit",
            s.unit.as_deref(),
            a.and_then(|a| a.unit.as_deref()),
            normalise::fold,
        ),
        row(
            "City",
            s.city.as_deref(),
            a.map(|a| a.city.as_str()),
            normalise::fold,
        ),
        row(
            "State",
            s.state.as_deref(),
            a.map(|a| a.state.as_str()),
            normalise::fold,
        ),
        row("ZIP", s.zip.as_deref(), a.map(|a| a.zip.as_str()), norm_zip),
        row(
            "TIN",
            s.tin.as_deref(),
            c.map(|c| c.tin.as_str()),
            norm_digits,
        ),
    ]
}

/// One bar of the waterfall, in SVG user units.
pub struct Bar {
    label: String,
    detail: String,
    value: String,
    y: i64,
    text_y: i64,
    x: i64,
    width: i64,
    /// `pos`, `neg`, `start` or `total`.
    kind: &'static str,
}

/// A waterfall: from the prior, each field's weight, to the final match weight.
pub struct Waterfall {
    bars: Vec<Bar>,
    height: i64,
    zero_x: i64,
    axis_y: i64,
    ticks: Vec<(i64, String)>,
    summary: String,
}

const CHART_LEFT: f64 = 170.0;
const CHART_WIDTH: f64 = 520.0;
const ROW: i64 = 26;

fn waterfall(c: &Candidate) -> Waterfall {
    let sum: f64 = c.evidence.iter().map(|e| e.weight).sum();
    let prior = c.weight - sum;
    let mut steps: Vec<(String, String, f64, f64, &'static str)> = Vec::new();
    steps.push((
        "prior".into(),
        "before any field".into(),
        0.0,
        prior,
        "start",
    ));
    let mut run = prior;
    for e in &c.evidence {
        let detail = match &e.adjustment {
            Some(a) => format!("{} ({a})", e.level),
            None => e.level.clone(),
        };
        let kind = if e.weight >= 0.0 { "pos" } else { "neg" };
        steps.push((e.field.clone(), detail, run, run + e.weight, kind));
        run += e.weight;
    }
    steps.push((
        "match weight".into(),
        format!("probability {:.4}", c.probability),
        0.0,
        c.weight,
        "total",
    ));
    let lo = steps
        .iter()
        .flat_map(|s| [s.2, s.3])
        .fold(0.0f64, f64::min)
        .floor();
    let hi = steps
        .iter()
        .flat_map(|s| [s.2, s.3])
        .fold(0.0f64, f64::max)
        .ceil();
    let span = (hi - lo).max(1.0);
    let x = |v: f64| (CHART_LEFT + (v - lo) / span * CHART_WIDTH).round() as i64;
    let bars: Vec<Bar> = steps
        .iter()
        .enumerate()
        .map(|(i, (label, detail, from, to, kind))| {
            let y = 10 + i as i64 * ROW;
            let (a, b) = (x(from.min(*to)), x(from.max(*to)));
            let shown = if *kind == "start" || *kind == "total" {
                *to
            } else {
                to - from
            };
            Bar {
                label: label.clone(),
                detail: detail.clone(),
                value: format!("{shown:+.2}"),
                y,
                text_y: y + 15,
                x: a,
                width: (b - a).max(2),
                kind,
            }
        })
        .collect();
    let axis_y = 10 + bars.len() as i64 * ROW + 4;
    let step = ((span / 8.0).ceil()).max(1.0);
    let mut ticks = Vec::new();
    let mut t = (lo / step).ceil() * step;
    while t <= hi {
        ticks.push((x(t), format!("{t:.0}")));
        t += step;
    }
    Waterfall {
        zero_x: x(0.0),
        height: axis_y + 24,
        axis_y,
        ticks,
        summary: format!(
            "Match weight {:+.2} bits (probability {:.4}) from a prior of {prior:+.2} bits and {} field weights",
            c.weight,
            c.probability,
            c.evidence.len()
        ),
        bars,
    }
}

/// How the runner-up compares with the best candidate, field by field.
pub struct RunnerUp {
    tin: String,
    weight: String,
    probability: String,
    margin: String,
    fields: Vec<(String, String, String, String)>,
}

fn masked(tin: &str) -> String {
    let digits: Vec<char> = tin.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("•••-••-{tail}")
}

fn runner_up(best: &Candidate, r: &Candidate) -> RunnerUp {
    let mut fields: Vec<(String, String, String, String)> = Vec::new();
    for e in &best.evidence {
        let other = r.evidence.iter().find(|o| o.field == e.field);
        let ow = other.map_or(0.0, |o| o.weight);
        fields.push((
            e.field.clone(),
            format!("{:+.2} ({})", e.weight, e.level),
            other.map_or("—".into(), |o| format!("{:+.2} ({})", o.weight, o.level)),
            format!("{:+.2}", e.weight - ow),
        ));
    }
    RunnerUp {
        tin: masked(&r.tin),
        weight: format!("{:+.2}", r.weight),
        probability: format!("{:.4}", r.probability),
        margin: format!("{:.2}", best.weight - r.weight),
        fields,
    }
}

#[derive(Template)]
#[template(path = "item.html", config = "src/console/askama.toml")]
struct ItemPage {
    chrome: Chrome,
    item: ReviewItem,
    fields: Vec<FieldRow>,
    compared_year: String,
    waterfall: Option<Waterfall>,
    evidence: Vec<(String, String, String, String)>,
    runner_up: Option<RunnerUp>,
    reason: Option<String>,
    candidates: usize,
    reasons: &'static [&'static str],
    open: bool,
    prev: Option<String>,
    next: Option<String>,
    left: usize,
}

/// `GET /console/items/{id}`: the decision page (opening it is a ledger entry, rule 30).
pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let item = state.open_item(&caller, &id).await?;
    let open_list = open_items(&state, &caller).await?;
    let at = open_list.iter().position(|o| o.id() == id);
    let (prev, next) = match at {
        Some(i) => (
            i.checked_sub(1).map(|p| open_list[p].id()),
            open_list.get(i + 1).map(Open::id),
        ),
        None => (None, open_list.first().map(Open::id)),
    };
    let best = item.found.as_ref().and_then(|f| f.best.as_ref());
    let year = best.and_then(|b| b.address_year);
    let address = year
        .and_then(|y| item.addresses.iter().find(|a| a.tax_year == y))
        .or(item.addresses.last());
    let compared_year = address.map_or(String::new(), |a| a.tax_year.to_string());
    let fields = compare(&item, address);
    let evidence = best.map_or(Vec::new(), |b| {
        b.evidence
            .iter()
            .map(|e| {
                (
                    e.field.clone(),
                    e.level.clone(),
                    format!("{:+.2}", e.weight),
                    e.adjustment.clone().unwrap_or_default(),
                )
            })
            .collect()
    });
    let runner = match (best, item.found.as_ref().and_then(|f| f.runner_up.as_ref())) {
        (Some(b), Some(r)) => Some(runner_up(b, r)),
        _ => None,
    };
    page(&ItemPage {
        chrome: chrome(&state, &caller, "/console/queue").await?,
        fields,
        compared_year,
        waterfall: best.map(waterfall),
        evidence,
        runner_up: runner,
        reason: item
            .found
            .as_ref()
            .and_then(|f| f.reason.as_deref())
            .map(crosscheck_linkage::link::Reason::in_words),
        candidates: item.found.as_ref().map_or(0, |f| f.candidates),
        reasons: REVIEW_REASONS,
        open: item.state == "in_review",
        prev,
        next,
        left: open_list.len(),
        item,
    })
}

/// `POST /console/items/{id}/decision`: confirm or refute with a reason code and a note,
/// then on to the next open item.
pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: CsrfForm,
) -> ApiResult<Response> {
    let caller = &form.caller;
    let before = open_items(&state, caller).await?;
    let at = before.iter().position(|o| o.id() == id);
    state
        .decide_item(
            caller,
            &id,
            &form.text("decision"),
            &form.text("reason_code"),
            &form.text("note"),
        )
        .await?;
    // The next item: the one after this in queue order, else the first still open.
    let next = at
        .and_then(|i| before.get(i + 1))
        .or_else(|| before.iter().find(|o| o.id() != id))
        .map(Open::id);
    Ok(match next {
        Some(n) => see_other(&format!("/console/items/{n}")),
        None => see_other(&format!("/console/queue?done={id}")),
    })
}
