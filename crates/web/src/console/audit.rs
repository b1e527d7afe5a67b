//! The auditor's pages: per-agency totals, the latest signed checkpoint, verification of the
//! ledger, the accounting for one taxpayer (the TIN is searched through its HMAC), and the
//! ledger's entries (which hold HMACs, never personal values).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crosscheck_ledger::accounting;
use crosscheck_ledger::entry::Entry;
use crosscheck_policy::Action;

use super::{Chrome, CsrfForm, allow, chrome, may, page, when};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::service::draft;

/// One row of the per-agency table.
pub struct AgencyLine {
    agency: String,
    year: i32,
    requests: u64,
    subjects: u64,
    disclosures: u64,
    taxpayers: u64,
    purposes: String,
}

/// A ledger entry as shown.
pub struct EntryLine {
    seq: u64,
    time: String,
    actor: String,
    action: String,
    objects: String,
    outcome: String,
}

impl EntryLine {
    fn of(e: &Entry) -> EntryLine {
        EntryLine {
            seq: e.seq,
            time: when(e.time_ms),
            actor: e.actor.clone(),
            action: e.action.clone(),
            objects: e
                .objects
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
            outcome: e.outcome.clone(),
        }
    }
}

/// The latest checkpoint as shown.
pub struct CheckpointLine {
    size: u64,
    root: String,
    time: String,
    signature: String,
}

/// Result of a verification.
pub struct Verification {
    ok: bool,
    text: String,
}

#[derive(Template)]
#[template(path = "audit.html", config = "src/console/askama.toml")]
struct AuditPage {
    chrome: Chrome,
    agencies: Vec<AgencyLine>,
    checkpoint: Option<CheckpointLine>,
    public_key: String,
    size: u64,
    verification: Option<Verification>,
    may_verify: bool,
    entries: Option<Vec<EntryLine>>,
    action: String,
    actor: String,
}

/// Filters of the entries table.
#[derive(Deserialize, Default)]
pub struct EntryQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
}

async fn audit_page(
    state: &AppState,
    caller: &Caller,
    q: EntryQuery,
    verification: Option<Verification>,
) -> ApiResult<Response> {
    allow(state, caller, Action::ReadAccounting)?;
    let decoded = state.store.decoded_entries().await?;
    let agencies = accounting::per_agency_year(&decoded)
        .into_iter()
        .map(|((agency, year), t)| AgencyLine {
            agency,
            year,
            requests: t.requests,
            subjects: t.subjects,
            disclosures: t.disclosures,
            taxpayers: t.taxpayers,
            purposes: t
                .purposes
                .iter()
                .map(|(s, n)| format!("{s} ({n})"))
                .collect::<Vec<_>>()
                .join("; "),
        })
        .collect();
    let checkpoint = state
        .store
        .latest_checkpoint()
        .await?
        .map(|c| CheckpointLine {
            size: c.size,
            root: c.root.clone(),
            time: when(c.time_ms),
            signature: c.signature.clone(),
        });
    let entries = may(state, caller, Action::ReadLedger).then(|| {
        decoded
            .iter()
            .rev()
            .filter(|e| q.action.is_empty() || e.action == q.action)
            .filter(|e| q.actor.is_empty() || e.actor == q.actor)
            .take(200)
            .map(EntryLine::of)
            .collect()
    });
    page(&AuditPage {
        chrome: chrome(state, caller, "/console/audit").await?,
        agencies,
        checkpoint,
        public_key: hex::encode(state.store.public_key().0),
        size: decoded.len() as u64,
        verification,
        may_verify: may(state, caller, Action::VerifyLedger),
        entries,
        action: q.action,
        actor: q.actor,
    })
}

/// `GET /console/audit`.
pub async fn overview(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<EntryQuery>,
) -> ApiResult<Response> {
    audit_page(&state, &caller, q, None).await
}

/// `POST /console/audit/verify`: signs a checkpoint of the ledger as it stands, then checks
/// every entry and every checkpoint with only the public key.
pub async fn verify(State(state): State<AppState>, form: CsrfForm) -> ApiResult<Response> {
    let caller = form.caller;
    allow(&state, &caller, Action::VerifyLedger)?;
    state.store.checkpoint().await?;
    let v = match state.store.verify_ledger(None).await? {
        Ok(v) => Verification {
            ok: true,
            text: format!(
                "The ledger verifies: {} entries and {} signed checkpoints, checked with the public key only.",
                v.entries, v.checkpoints
            ),
        },
        Err(t) => Verification {
            ok: false,
            text: format!("The ledger does not verify: {t}"),
        },
    };
    audit_page(&state, &caller, EntryQuery::default(), Some(v)).await
}

#[derive(Template)]
#[template(path = "taxpayer.html", config = "src/console/askama.toml")]
struct TaxpayerPage {
    chrome: Chrome,
    tin: String,
    disclosures: usize,
    entries: Vec<EntryLine>,
}

/// `POST /console/audit/taxpayer`: the accounting of one taxpayer, found by the HMAC of the
/// TIN entered (a POST, so the TIN stays out of URLs and logs; the search is a ledger entry).
pub async fn taxpayer(State(state): State<AppState>, form: CsrfForm) -> ApiResult<Response> {
    let caller = &form.caller;
    allow(&state, caller, Action::ReadAccounting)?;
    let tin = crosscheck_contract::Tin::parse(&form.text("tin"))
        .map_err(|_| ApiError::invalid("TIN: not a valid SSN or ITIN"))?
        .digits();
    let found = state.store.taxpayer_entries(&tin).await?;
    let mut tx = state.store.begin().await?;
    let mut d = draft(
        &caller.user.id,
        "accounting.searched",
        &[],
        &format!("{} entries", found.len()),
    );
    d.personal.insert(accounting::TIN.into(), tin.clone());
    tx.record(d).await?;
    tx.commit().await?;
    page(&TaxpayerPage {
        chrome: chrome(&state, caller, "/console/audit").await?,
        tin: format!("•••-••-{}", &tin[tin.len().saturating_sub(4)..]),
        disclosures: found
            .iter()
            .filter(|e| e.action == accounting::DISCLOSURE)
            .count(),
        entries: found.iter().map(EntryLine::of).collect(),
    })
}
