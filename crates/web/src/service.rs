//! The gateway's flows — intake, gate, match, review, release, after-care — each a few
//! store transactions whose every change is recorded in the ledger in the same transaction.
//!
//! Handlers call these after authentication; these call the pure gateway for every legal
//! decision and the policy engine for every authorization decision.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crosscheck_contract::Date;
use crosscheck_gateway::gate::official_key;
use crosscheck_gateway::response::rejected_in;
use crosscheck_gateway::{
    Agency, Context, GateReport, MatchOutcome, RequestEvent, RequestState, SignedRequest,
    SignerRecord, SubjectEntry, SubjectEvent, SubjectGate, SubjectResponse, SubjectState, disclose,
    gate, no_information, release_ready, sanitized_subject,
};
use crosscheck_ledger::accounting;
use crosscheck_ledger::entry::Draft;
use crosscheck_policy::{Action, Resource};
use crosscheck_store::requests::{RequestRow, SubjectRow};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::matcher::Found;

/// What is sealed with each subject: the (sanitised) entry, its gate decision, the match
/// and the reviewer's determination.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubjectDoc {
    /// The subject as requested, minus fields the gate rejected (rules 15, 16).
    pub entry: SubjectEntry,
    /// Its findings.
    pub gate: SubjectGate,
    /// The matcher's answer.
    pub found: Option<Found>,
    /// The reviewer's per-record determination.
    pub determination: Option<Determination>,
}

/// A reviewer's recorded decision about one candidate match (rule 20).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Determination {
    /// `confirm` or `refute`.
    pub decision: String,
    /// Reason code from the shipped list.
    pub reason_code: String,
    /// Free-text note.
    pub note: String,
    /// Who decided.
    pub by: String,
    /// When.
    pub at_ms: i64,
}

/// Reason codes a reviewer may record.
pub const REVIEW_REASONS: &[&str] = &[
    "identity_confirmed",
    "different_person",
    "relative_same_household",
    "insufficient_evidence",
    "conflicting_identifiers",
];

/// The status of one subject as the requester may see it: nothing that reveals whether the
/// person is a taxpayer before the response is released (rule 22).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct SubjectStatus {
    /// Position in the request.
    pub position: u64,
    /// `rejected`, `held`, `processing` or `answered`.
    pub status: String,
    /// Reason codes naming defects of the request (rejected subjects only).
    pub reasons: Vec<String>,
}

/// A request as its requester (and custodian staff) see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct RequestView {
    /// Request id.
    pub id: String,
    /// Agency.
    pub agency: String,
    /// Lifecycle state.
    pub state: String,
    /// When received (ms since epoch).
    pub created_ms: i64,
    /// Request-level findings of the gate (rule numbers, codes, actions).
    pub findings: Vec<crosscheck_gateway::Finding>,
    /// Per-subject status.
    pub subjects: Vec<SubjectStatus>,
}

/// The requester-safe view of a request from its rows.
fn view(row: &RequestRow, report: &GateReport, subjects: &[SubjectRow]) -> RequestView {
    let released = matches!(row.state.as_str(), "released" | "closed");
    RequestView {
        id: row.id.clone(),
        agency: row.agency.clone(),
        state: row.state.clone(),
        created_ms: row.created_ms,
        findings: report.request.clone(),
        subjects: subjects
            .iter()
            .map(|s| {
                let i = usize::try_from(s.position).unwrap_or(usize::MAX);
                let (status, reasons) = match s.state.as_str() {
                    "rejected" => ("rejected", report.rejection_reasons(i)),
                    "held" => ("held", Vec::new()),
                    _ if released => ("answered", Vec::new()),
                    _ => ("processing", Vec::new()),
                };
                SubjectStatus {
                    position: s.position,
                    status: status.to_string(),
                    reasons,
                }
            })
            .collect(),
    }
}

/// Ledger draft with object references.
pub fn draft(actor: &str, action: &str, objects: &[(&str, &str)], outcome: &str) -> Draft {
    Draft {
        actor: actor.to_string(),
        action: action.to_string(),
        objects: objects
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        outcome: outcome.to_string(),
        personal: BTreeMap::new(),
    }
}

fn with_tin(mut d: Draft, tin: Option<&str>) -> Draft {
    if let Some(t) = tin {
        d.personal
            .insert(accounting::TIN.to_string(), t.to_string());
    }
    d
}

fn subject_ref(request: &str, position: u64) -> String {
    format!("{request}.{position}")
}

/// Parses a review item id `REQUEST.POSITION`.
pub fn parse_item(id: &str) -> Option<(String, u64)> {
    let (request, position) = id.rsplit_once('.')?;
    Some((request.to_string(), position.parse().ok()?))
}

fn today(now_ms: i64) -> Date {
    let days = i32::try_from(now_ms.div_euclid(86_400_000)).unwrap_or(0);
    Date::from_unix_days(days).unwrap_or_else(|| Date::new(2026, 1, 1).expect("a valid date"))
}

fn subject_state(row: &SubjectRow) -> ApiResult<SubjectState> {
    SubjectState::parse(&row.state).map_err(ApiError::internal)
}

fn request_state(row: &RequestRow) -> ApiResult<RequestState> {
    RequestState::parse(&row.state).map_err(ApiError::internal)
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(lifecycle)`
fn lifecycle(e: crosscheck_gateway::LifecycleError) -> ApiError {
    ApiError::conflict(e.to_string())
}

impl AppState {
    /// Loads a request the caller may act on with `action`; anything else (absent or not
    /// theirs) is the same 404.
    pub async fn visible_request(
        &self,
        caller: &Caller,
        id: &str,
        action: Action,
    ) -> ApiResult<RequestRow> {
        let row = self
            .store
            .request(id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let resource = Resource::Request {
            id: row.id.clone(),
            agency: row.agency.clone(),
            configured_by: row.configured_by.clone(),
        };
        if self
            .authz
            .decide(&caller.principal, action, &resource)
            .allowed
        {
            Ok(row)
        } else {
            Err(ApiError::not_found())
        }
    }

    /// The requester-safe view of a request.
    pub async fn request_view(&self, row: &RequestRow) -> ApiResult<RequestView> {
        let report: GateReport = serde_json::from_str(&row.gate).map_err(ApiError::internal)?;
        let subjects = self.store.subjects(&row.id).await?;
        Ok(view(row, &report, &subjects))
    }

    /// Intake: stores a signed request, gates it (RULES 1–16, 24, 25, 35), and matches it
    /// when it passes. A retry with the same idempotency key returns the first request.
    /// Returns the view and whether it was created now.
    pub async fn submit(
        &self,
        caller: &Caller,
        signed: SignedRequest,
        idempotency_key: &str,
    ) -> ApiResult<(RequestView, bool)> {
        let agency_id = caller
            .principal
            .agency
            .clone()
            .ok_or_else(ApiError::forbidden)?;
        if signed.request.envelope.agency != agency_id {
            return Err(ApiError::unprocessable(
                "the envelope names an agency other than the one your credentials belong to",
            ));
        }
        let digest = hex::encode(signed.request.canonical_bytes());
        if let Some(existing) = self
            .store
            .request_by_key(&agency_id, idempotency_key)
            .await?
        {
            let first: SignedRequest = self.store.request_document(&existing.id).await?;
            if hex::encode(first.request.canonical_bytes()) != digest {
                return Err(ApiError::new(
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for a different request",
                ));
            }
            return Ok((self.request_view(&existing).await?, false));
        }

        let now = self.store.now_ms();
        let agency: Option<Agency> = self.store.agency(&agency_id).await?;
        let signer: Option<SignerRecord> =
            self.store.signer(&signed.request.envelope.signer).await?;
        let signature_valid = signer
            .as_ref()
            .is_some_and(|s| signed.verify(&s.public_key));
        let mut recipients: Vec<String> = signed
            .request
            .envelope
            .recipients
            .iter()
            .map(|r| official_key(&r.name))
            .collect();
        recipients.sort();
        recipients.dedup();
        let macs: Vec<String> = recipients
            .iter()
            .map(|k| self.store.personal_key().mac("official", k))
            .collect();
        let counts = self.store.official_matters(&agency_id, &macs).await?;
        let official_matters: BTreeMap<String, u64> =
            recipients.iter().cloned().zip(counts).collect();
        let agency_subjects_today = self.store.subjects_on_day(&agency_id, now).await?;
        let report = gate(
            &signed.request,
            &Context {
                agency: agency.as_ref(),
                signer: signer.as_ref(),
                signature_valid,
                official_matters: &official_matters,
                agency_subjects_today,
                today: today(now),
            },
        );
        let outcome = report.request_outcome();
        let mut state = RequestState::Received
            .apply(RequestEvent::Gated(outcome))
            .map_err(ApiError::internal)?;
        let id = format!("rq-{}", hex::encode(&crosscheck_store::random_32()[..8]));
        let statute = signed.request.envelope.statute.clone().unwrap_or_default();
        let actor = caller.user.id.as_str();

        // Gate every subject, then (when the request passed and an index is loaded) match
        // the accepted ones before taking the write lock: the whole intake — request,
        // subjects, gate decisions, matches and their ledger entries — is one transaction.
        let mut subjects: Vec<(SubjectRow, SubjectDoc)> = Vec::new();
        let mut drafts = vec![draft(
            actor,
            accounting::REQUEST_RECEIVED,
            &[
                ("request", &id),
                (accounting::AGENCY, &agency_id),
                (accounting::STATUTE, &statute),
            ],
            state.as_str(),
        )];
        for (i, entry) in signed.request.subjects.iter().enumerate() {
            let sg = report.subjects.get(i).cloned().unwrap_or(SubjectGate {
                subject_id: entry.subject_id.clone(),
                findings: Vec::new(),
            });
            let st = SubjectState::gated(report.subject_outcome(i));
            let reasons = report.rejection_reasons(i);
            let position = i as u64;
            let outcome_text = if reasons.is_empty() {
                st.as_str().to_string()
            } else {
                format!("{}: {}", st.as_str(), reasons.join(","))
            };
            drafts.push(draft(
                actor,
                "gate.decided",
                &[
                    ("request", &id),
                    (accounting::AGENCY, &agency_id),
                    (accounting::SUBJECT, &subject_ref(&id, position)),
                ],
                &outcome_text,
            ));
            subjects.push((
                SubjectRow {
                    request_id: id.clone(),
                    position,
                    state: st.as_str().to_string(),
                    outcome: "-".into(),
                    assigned_to: None,
                    determined_by: None,
                    reason_code: reasons.first().cloned(),
                    tin_mac: None,
                },
                SubjectDoc {
                    entry: sanitized_subject(entry, &sg),
                    gate: sg,
                    found: None,
                    determination: None,
                },
            ));
        }
        if let Some(matcher) = self.matcher().filter(|_| state == RequestState::Accepted) {
            let reviewers = self.reviewers(None).await?;
            let (next, more) = self
                .apply_matches(&id, &agency_id, &mut subjects, matcher, &reviewers)
                .await?;
            state = next;
            drafts.extend(more);
        }
        let row = RequestRow {
            id: id.clone(),
            agency: agency_id.clone(),
            idempotency_key: idempotency_key.to_string(),
            submitted_by: caller.user.id.clone(),
            configured_by: None,
            state: state.as_str().to_string(),
            created_ms: now,
            subjects: signed.request.subjects.len() as u64,
            gate: serde_json::to_string(&report).map_err(ApiError::internal)?,
        };

        let mut tx = self.store.begin().await?;
        if let Err(e) = tx.insert_request(&row, &signed).await {
            // A concurrent retry with the same key won the race: answer as a retry.
            drop(tx);
            if let Some(existing) = self
                .store
                .request_by_key(&agency_id, idempotency_key)
                .await?
            {
                return Ok((self.request_view(&existing).await?, false));
            }
            return Err(e.into());
        }
        for (row, doc) in &subjects {
            tx.insert_subject(row, doc).await?;
        }
        if state != RequestState::Rejected {
            for mac in &macs {
                tx.add_official_matters(&agency_id, mac, signed.request.matters())
                    .await?;
            }
        }
        tx.record_all(drafts).await?;
        tx.commit().await?;
        self.metrics.inc("crosscheck_requests_received_total");
        let rows: Vec<SubjectRow> = subjects.into_iter().map(|(r, _)| r).collect();
        Ok((view(&row, &report, &rows), true))
    }

    /// Active reviewers, except the person who configured the request.
    async fn reviewers(&self, configured_by: Option<&str>) -> ApiResult<Vec<String>> {
        Ok(self
            .store
            .users()
            .await?
            .into_iter()
            .filter(|u| u.active && u.role == "reviewer")
            .map(|u| u.id)
            .filter(|u| Some(u.as_str()) != configured_by)
            .collect())
    }

    /// Matches the queued subjects among `subjects` (on a blocking thread, over all cores),
    /// moves each to `in_review` (assigned round-robin to `reviewers`) or `no_match`, and
    /// returns the request's next state with the ledger drafts that record it all.
    async fn apply_matches(
        &self,
        id: &str,
        agency: &str,
        subjects: &mut [(SubjectRow, SubjectDoc)],
        matcher: Arc<crate::matcher::Matcher>,
        reviewers: &[String],
    ) -> ApiResult<(RequestState, Vec<Draft>)> {
        let queued: Vec<usize> = subjects
            .iter()
            .enumerate()
            .filter(|(_, (s, _))| s.state == SubjectState::Queued.as_str())
            .map(|(i, _)| i)
            .collect();
        let contract: Vec<_> = queued
            .iter()
            .map(|&i| subjects[i].1.entry.to_contract())
            .collect();
        let found = tokio::task::spawn_blocking(move || matcher.link(&contract))
            .await
            .map_err(ApiError::internal)?;
        let mut drafts = Vec::with_capacity(queued.len() + 1);
        let mut needs_review = false;
        for (n, (i, f)) in queued.into_iter().zip(found).enumerate() {
            let (s, doc) = &mut subjects[i];
            let outcome = match f.outcome.as_str() {
                "match" => MatchOutcome::Match,
                "review" => MatchOutcome::Review,
                _ => MatchOutcome::NoMatch,
            };
            let next = SubjectState::Queued
                .apply(SubjectEvent::Matched { outcome })
                .map_err(ApiError::internal)?;
            needs_review |= next == SubjectState::InReview;
            let tin = f.best.as_ref().map(|b| b.tin.clone());
            s.state = next.as_str().to_string();
            s.outcome = f.outcome.clone();
            s.tin_mac = tin
                .as_ref()
                .map(|t| self.store.personal_key().mac(accounting::TIN, t));
            if next == SubjectState::InReview && !reviewers.is_empty() {
                s.assigned_to = Some(reviewers[n % reviewers.len()].clone());
            }
            doc.found = Some(f);
            drafts.push(with_tin(
                draft(
                    "matcher",
                    "match.scored",
                    &[
                        ("request", id),
                        (accounting::AGENCY, agency),
                        (accounting::SUBJECT, &subject_ref(id, s.position)),
                    ],
                    &s.outcome,
                ),
                tin.as_deref(),
            ));
        }
        let mut next = RequestState::Accepted
            .apply(RequestEvent::Matched { needs_review })
            .map_err(ApiError::internal)?;
        if next == RequestState::Matched {
            next = next
                .apply(RequestEvent::AllDecided)
                .map_err(ApiError::internal)?;
        }
        drafts.push(draft(
            "matcher",
            "request.matched",
            &[("request", id), (accounting::AGENCY, agency)],
            next.as_str(),
        ));
        Ok((next, drafts))
    }

    /// Matches every queued subject of an accepted request (one accepted by an officer, or
    /// left `accepted` by a restart or a missing index) and puts candidates in reviewers'
    /// queues. Safe to call again: it only picks up an `accepted` request.
    pub async fn match_request(&self, id: &str) -> ApiResult<()> {
        let Some(matcher) = self.matcher() else {
            return Err(ApiError::new(
                "matching_unavailable",
                "the matching index is not loaded; the request waits in state accepted",
            ));
        };
        let row = self
            .store
            .request(id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        if request_state(&row)? != RequestState::Accepted {
            return Ok(());
        }
        let mut subjects = Vec::new();
        for s in self.store.subjects(id).await? {
            if subject_state(&s)? == SubjectState::Queued {
                let doc: SubjectDoc = self.store.subject_document(id, s.position).await?;
                subjects.push((s, doc));
            }
        }
        let reviewers = self.reviewers(row.configured_by.as_deref()).await?;
        let (next, drafts) = self
            .apply_matches(id, &row.agency, &mut subjects, matcher, &reviewers)
            .await?;
        let mut tx = self.store.begin().await?;
        // Matched once, even if a restart's resume and an officer's acceptance race.
        if !tx
            .transition_request(id, RequestState::Accepted.as_str(), next.as_str())
            .await?
        {
            tx.rollback().await?;
            return Ok(());
        }
        for (s, doc) in &subjects {
            tx.update_subject(s).await?;
            tx.set_subject_document(id, s.position, doc).await?;
        }
        tx.record_all(drafts).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Matches every request left `accepted` (after a restart or a missing index) and marks
    /// `decided` every request whose review finished just before a crash.
    pub async fn resume(&self) -> ApiResult<usize> {
        let mut n = 0;
        for r in self.store.requests(None).await? {
            if r.state == RequestState::Accepted.as_str() {
                self.match_request(&r.id).await?;
                n += 1;
            } else if r.state == RequestState::InReview.as_str() {
                self.settle(&r.id).await?;
            }
        }
        Ok(n)
    }

    /// A disclosure officer's decision on a held request: accept (it proceeds to matching,
    /// and the officer becomes its configurer, who may not review it) or reject.
    pub async fn decide_held(
        &self,
        caller: &Caller,
        id: &str,
        accept: bool,
        note: &str,
    ) -> ApiResult<RequestView> {
        let row = self
            .visible_request(caller, id, Action::DecideHeldRequest)
            .await?;
        let event = if accept {
            RequestEvent::OfficerAccepted
        } else {
            RequestEvent::OfficerRejected
        };
        let next = request_state(&row)?.apply(event).map_err(lifecycle)?;
        let sub_event = if accept {
            SubjectEvent::OfficerAccepted
        } else {
            SubjectEvent::OfficerRejected
        };
        let mut tx = self.store.begin().await?;
        for mut s in self.store.subjects(id).await? {
            if subject_state(&s)? == SubjectState::Held {
                s.state = SubjectState::Held
                    .apply(sub_event)
                    .map_err(lifecycle)?
                    .as_str()
                    .to_string();
                if !accept {
                    s.reason_code = Some("rejected_by_disclosure_officer".into());
                }
                tx.update_subject(&s).await?;
            }
        }
        if !tx
            .transition_request(id, RequestState::Held.as_str(), next.as_str())
            .await?
        {
            tx.rollback().await?;
            return Err(ApiError::conflict("the request was decided meanwhile"));
        }
        tx.set_request_state(id, next.as_str(), Some(&caller.user.id))
            .await?;
        if !note.trim().is_empty() {
            tx.set_officer_note(id, note).await?;
        }
        tx.record(draft(
            &caller.user.id,
            "request.officer_decided",
            &[("request", id), (accounting::AGENCY, &row.agency)],
            if accept { "accepted" } else { "rejected" },
        ))
        .await?;
        tx.commit().await?;
        if next == RequestState::Accepted {
            self.match_request(id).await?;
        }
        let row = self
            .store
            .request(id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        self.request_view(&row).await
    }

    /// Loads a review item the caller may act on with `action` (404 otherwise).
    pub async fn visible_item(
        &self,
        caller: &Caller,
        item: &str,
        action: Action,
    ) -> ApiResult<(RequestRow, SubjectRow)> {
        let (request_id, position) = parse_item(item).ok_or_else(ApiError::not_found)?;
        let row = self
            .store
            .request(&request_id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let subject = self
            .store
            .subject(&request_id, position)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let resource = Resource::ReviewItem {
            id: item.to_string(),
            agency: row.agency.clone(),
            assigned_to: subject.assigned_to.clone(),
            configured_by: row.configured_by.clone(),
        };
        if self
            .authz
            .decide(&caller.principal, action, &resource)
            .allowed
        {
            Ok((row, subject))
        } else {
            Err(ApiError::not_found())
        }
    }

    /// A reviewer opens a candidate match: the subject, the candidate's identity fields and
    /// address history, and the evidence. The opening is a ledger entry (rule 30).
    pub async fn open_item(&self, caller: &Caller, item: &str) -> ApiResult<ReviewItem> {
        let (row, subject) = self
            .visible_item(caller, item, Action::ReadReviewItem)
            .await?;
        let doc: SubjectDoc = self
            .store
            .subject_document(&row.id, subject.position)
            .await?;
        let best = doc.found.as_ref().and_then(|f| f.best.clone());
        let history = match &best {
            Some(b) => self.store.returns_of(&b.tin).await?,
            None => Vec::new(),
        };
        let mut tx = self.store.begin().await?;
        tx.record(with_tin(
            draft(
                &caller.user.id,
                "review.opened",
                &[
                    ("request", &row.id),
                    (accounting::AGENCY, &row.agency),
                    (accounting::SUBJECT, &subject_ref(&row.id, subject.position)),
                ],
                "ok",
            ),
            best.as_ref().map(|b| b.tin.as_str()),
        ))
        .await?;
        tx.commit().await?;
        let latest = history.last();
        Ok(ReviewItem {
            id: item.to_string(),
            request_id: row.id.clone(),
            state: subject.state.clone(),
            outcome: subject.outcome.clone(),
            subject: doc.entry,
            candidate: latest.map(|r| TaxpayerView {
                tin: r.tin.digits(),
                given_name: r.given_name.to_string(),
                middle_name: r.middle_name.as_deref().map(str::to_owned),
                family_name: r.family_name.to_string(),
                dob: r.dob.map(|d| d.to_string()),
            }),
            addresses: history
                .iter()
                .map(|r| AddressByYear {
                    tax_year: r.tax_year,
                    street: r.street.to_string(),
                    unit: r.unit.as_deref().map(str::to_owned),
                    city: r.city.to_string(),
                    state: r.state.to_string(),
                    zip: r.zip.to_string(),
                })
                .collect(),
            found: doc.found,
            determination: doc.determination,
        })
    }

    /// A reviewer's per-record determination: `confirm` or `refute`, with a reason code.
    pub async fn decide_item(
        &self,
        caller: &Caller,
        item: &str,
        decision: &str,
        reason_code: &str,
        note: &str,
    ) -> ApiResult<()> {
        let (row, mut subject) = self
            .visible_item(caller, item, Action::DecideReviewItem)
            .await?;
        if !REVIEW_REASONS.contains(&reason_code) {
            return Err(ApiError::invalid(format!(
                "reason_code must be one of {}",
                REVIEW_REASONS.join(", ")
            )));
        }
        let event = match decision {
            "confirm" => SubjectEvent::ReviewerConfirmed,
            "refute" => SubjectEvent::ReviewerRefuted,
            _ => return Err(ApiError::invalid("decision must be confirm or refute")),
        };
        let next = subject_state(&subject)?.apply(event).map_err(lifecycle)?;
        let mut doc: SubjectDoc = self
            .store
            .subject_document(&row.id, subject.position)
            .await?;
        let now = self.store.now_ms();
        doc.determination = Some(Determination {
            decision: decision.to_string(),
            reason_code: reason_code.to_string(),
            note: note.to_string(),
            by: caller.user.id.clone(),
            at_ms: now,
        });
        subject.state = next.as_str().to_string();
        subject.determined_by = Some(caller.user.id.clone());
        subject.reason_code = Some(reason_code.to_string());
        let mut tx = self.store.begin().await?;
        if !tx
            .update_subject_if(&subject, SubjectState::InReview.as_str())
            .await?
        {
            tx.rollback().await?;
            return Err(ApiError::conflict("this item was decided meanwhile"));
        }
        tx.set_subject_document(&row.id, subject.position, &doc)
            .await?;
        tx.record(draft(
            &caller.user.id,
            "review.decided",
            &[
                ("request", &row.id),
                (accounting::AGENCY, &row.agency),
                (accounting::SUBJECT, &subject_ref(&row.id, subject.position)),
            ],
            &format!("{decision}: {reason_code}"),
        ))
        .await?;
        tx.commit().await?;
        // The decision is committed; if settling the request fails now, the next decision,
        // the release or a restart settles it.
        if let Err(e) = self.settle(&row.id).await {
            tracing::warn!(request = %row.id, code = e.code(), "request not settled after a decision");
        }
        Ok(())
    }

    /// Marks a request `decided` once none of its items waits for a reviewer. Two reviewers
    /// finishing the last items at once both call this after their commits; the conditional
    /// transition lets exactly one of them record it. Also run at start-up (a crash between a
    /// decision and this step leaves nothing stuck).
    async fn settle(&self, id: &str) -> ApiResult<()> {
        let subjects = self.store.subjects(id).await?;
        if subjects
            .iter()
            .any(|s| s.state == SubjectState::InReview.as_str())
        {
            return Ok(());
        }
        let Some(row) = self.store.request(id).await? else {
            return Ok(());
        };
        let mut tx = self.store.begin().await?;
        if tx
            .transition_request(
                id,
                RequestState::InReview.as_str(),
                RequestState::Decided.as_str(),
            )
            .await?
        {
            tx.record(draft(
                "gateway",
                "request.decided",
                &[("request", id), (accounting::AGENCY, &row.agency)],
                RequestState::Decided.as_str(),
            ))
            .await?;
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(())
    }

    /// Release: per-record approval of every confirmed subject (listed by position), with a
    /// second person where the agreement requires it; every subject gets its response and
    /// every disclosure its ledger entry, in one transaction.
    pub async fn release(
        &self,
        caller: &Caller,
        id: &str,
        approve: &[u64],
    ) -> ApiResult<RequestView> {
        let row = self
            .visible_request(caller, id, Action::ReadRequest)
            .await?;
        // Only a caller who may approve some release gets past this point: the checks below
        // answer with the request's state and which records were confirmed, which a
        // requester must not learn before release (rule 22).
        let someone_else = Resource::Release {
            request: id.to_string(),
            agency: row.agency.clone(),
            determined_by: vec![String::new()],
            approvals_required: 1,
        };
        if !self
            .authz
            .decide(&caller.principal, Action::ApproveRelease, &someone_else)
            .allowed
        {
            return Err(ApiError::forbidden());
        }
        // A request whose last review committed without its `decided` transition (the
        // ledger failed in between) is settled here rather than left waiting.
        let row = if row.state == RequestState::InReview.as_str() {
            self.settle(id).await?;
            self.store
                .request(id)
                .await?
                .ok_or_else(ApiError::not_found)?
        } else {
            row
        };
        let subjects = self.store.subjects(id).await?;
        let states: Vec<SubjectState> = subjects
            .iter()
            .map(subject_state)
            .collect::<Result<_, _>>()?;
        release_ready(&states).map_err(lifecycle)?;
        let next = request_state(&row)?
            .apply(RequestEvent::Released)
            .map_err(lifecycle)?;
        let agency: Agency = self
            .store
            .agency(&row.agency)
            .await?
            .ok_or_else(|| ApiError::conflict("the agency is no longer registered"))?;
        if let Some(hold) = &agency.hold {
            return Err(ApiError::unprocessable(format!(
                "disclosures to this agency are suspended by court order {}",
                hold.order_ref
            )));
        }
        if !agency.safeguards.in_place() {
            return Err(ApiError::unprocessable(
                "the agency's safeguards are not in place (rule 25): releases are held",
            ));
        }
        let confirmed: Vec<&SubjectRow> =
            subjects.iter().filter(|s| s.state == "confirmed").collect();
        let missing: Vec<u64> = confirmed
            .iter()
            .map(|s| s.position)
            .filter(|p| !approve.contains(p))
            .collect();
        let extra: Vec<u64> = approve
            .iter()
            .copied()
            .filter(|p| !confirmed.iter().any(|s| s.position == *p))
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            return Err(ApiError::unprocessable(format!(
                "each confirmed record needs its own approval: not approved {missing:?}, not confirmed {extra:?}"
            )));
        }
        // Everyone who recorded a per-record determination (confirm or refute). A request in
        // which no record needed a person (every subject rejected or without a candidate)
        // discloses nothing; its no-information answers rest on the matcher's finding.
        let mut determined_by: Vec<String> = subjects
            .iter()
            .filter_map(|s| s.determined_by.clone())
            .collect();
        if confirmed.is_empty() && determined_by.is_empty() {
            determined_by.push("matcher".into());
        }
        let resource = Resource::Release {
            request: id.to_string(),
            agency: row.agency.clone(),
            determined_by,
            approvals_required: agency.agreement.release_approvals,
        };
        if !self
            .authz
            .decide(&caller.principal, Action::ApproveRelease, &resource)
            .allowed
        {
            return Err(ApiError::forbidden());
        }
        for s in &confirmed {
            let flagged = match &s.tin_mac {
                Some(mac) => self.store.account_flagged(mac).await?,
                None => false,
            };
            if flagged {
                return Err(ApiError::conflict(format!(
                    "record {} awaits a § 6103(i)(6) determination (rule 21); nothing was released",
                    s.position
                )));
            }
        }
        let report: GateReport = serde_json::from_str(&row.gate).map_err(ApiError::internal)?;
        let request: SignedRequest = self.store.request_document(id).await?;
        let statute = request.request.envelope.statute.clone().unwrap_or_default();
        let now = self.store.now_ms();
        let mut tx = self.store.begin().await?;
        // Exactly one release per request, however many officers press the button at once.
        if !tx
            .transition_request(id, request_state(&row)?.as_str(), next.as_str())
            .await?
        {
            tx.rollback().await?;
            return Err(ApiError::conflict("the request was released meanwhile"));
        }
        for s in &subjects {
            let doc: SubjectDoc = self.store.subject_document(id, s.position).await?;
            let sid = doc.entry.subject_id.clone();
            let i = usize::try_from(s.position).unwrap_or(usize::MAX);
            let sref = subject_ref(id, s.position);
            let objects = [
                ("request", id),
                (accounting::AGENCY, row.agency.as_str()),
                (accounting::STATUTE, statute.as_str()),
                (accounting::SUBJECT, sref.as_str()),
            ];
            let (response, entry) = match s.state.as_str() {
                "confirmed" => {
                    let best = doc
                        .found
                        .as_ref()
                        .and_then(|f| f.best.as_ref())
                        .ok_or_else(|| {
                            ApiError::internal("confirmed subject without a candidate")
                        })?;
                    let mut released = s.clone();
                    released.state = SubjectState::Confirmed
                        .apply(SubjectEvent::Released)
                        .map_err(lifecycle)?
                        .as_str()
                        .to_string();
                    tx.update_subject(&released).await?;
                    tx.add_release_approval(id, s.position, &caller.user.id, now)
                        .await?;
                    let fields: Vec<&str> = agency
                        .agreement
                        .response_fields
                        .iter()
                        .map(|f| f.as_str())
                        .collect();
                    (
                        disclose(&agency.agreement, &sid, &best.last_address),
                        with_tin(
                            draft(
                                &caller.user.id,
                                accounting::DISCLOSURE,
                                &objects,
                                &fields.join(","),
                            ),
                            Some(&best.tin),
                        ),
                    )
                }
                "rejected" => (
                    rejected_in(&report, i),
                    draft(&caller.user.id, "release.rejected", &objects, "rejected"),
                ),
                _ => (
                    no_information(&sid),
                    draft(
                        &caller.user.id,
                        "release.no_information",
                        &objects,
                        "no_information",
                    ),
                ),
            };
            tx.set_response(id, s.position, &response).await?;
            tx.record(entry).await?;
        }
        let due = now + i64::from(agency.agreement.end_of_use_days) * 86_400_000;
        tx.set_end_of_use_due(id, due).await?;
        tx.record(draft(
            &caller.user.id,
            "request.released",
            &[("request", id), (accounting::AGENCY, &row.agency)],
            &format!("end of use due {}", today(due)),
        ))
        .await?;
        tx.commit().await?;
        self.metrics.inc("crosscheck_releases_total");
        let row = self
            .store
            .request(id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        self.request_view(&row).await
    }

    /// The released response of a request, read by its requester (a ledger entry records
    /// the transmission).
    pub async fn response(&self, caller: &Caller, id: &str) -> ApiResult<ResponseView> {
        let row = self
            .visible_request(caller, id, Action::ReadResponse)
            .await?;
        if !matches!(row.state.as_str(), "released" | "closed") {
            return Err(ApiError::conflict(format!(
                "the response is not released (request is {})",
                row.state
            )));
        }
        let responses: Vec<Option<SubjectResponse>> = self.store.responses(id).await?;
        let subjects = self.store.subjects(id).await?;
        let retracted: Vec<u64> = subjects
            .iter()
            .filter(|s| s.state == "retracted")
            .map(|s| s.position)
            .collect();
        let mut tx = self.store.begin().await?;
        tx.record(draft(
            &caller.user.id,
            "response.read",
            &[("request", id), (accounting::AGENCY, &row.agency)],
            "ok",
        ))
        .await?;
        tx.commit().await?;
        let due = self.store.end_of_use(id).await?;
        Ok(ResponseView {
            request_id: id.to_string(),
            subjects: responses
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    if retracted.contains(&(i as u64)) {
                        None
                    } else {
                        r
                    }
                })
                .collect(),
            retracted,
            end_of_use_due_ms: due.map(|d| d.0),
            end_of_use_certified_ms: due.and_then(|d| d.1),
        })
    }

    /// A misidentification report from the recipient (rule 34): the disclosure is retracted
    /// and a retrieval notice issued (rule 33).
    pub async fn report_misidentification(
        &self,
        caller: &Caller,
        id: &str,
        position: u64,
        note: &str,
    ) -> ApiResult<()> {
        let row = self
            .visible_request(caller, id, Action::ReportMisidentification)
            .await?;
        let mut subject = self
            .store
            .subject(id, position)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let next = subject_state(&subject)?
            .apply(SubjectEvent::Retracted)
            .map_err(lifecycle)?;
        subject.state = next.as_str().to_string();
        let report_id = format!("mr-{}", hex::encode(&crosscheck_store::random_32()[..8]));
        let doc: SubjectDoc = self.store.subject_document(id, position).await?;
        let tin = doc
            .found
            .as_ref()
            .and_then(|f| f.best.as_ref())
            .map(|b| b.tin.clone());
        let mut tx = self.store.begin().await?;
        tx.update_subject(&subject).await?;
        tx.add_misidentification_report(&report_id, id, position, self.store.now_ms(), &note)
            .await?;
        tx.record(with_tin(
            draft(
                &caller.user.id,
                "release.retracted",
                &[
                    ("request", id),
                    (accounting::AGENCY, &row.agency),
                    (accounting::SUBJECT, &subject_ref(id, position)),
                    ("report", &report_id),
                ],
                "retrieval_notice_issued",
            ),
            tin.as_deref(),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Escalates every end of use that is overdue at `now_ms` and not yet escalated (RULES 27:
    /// LOG and escalate to HUMAN): each gets one `end_of_use.overdue` ledger entry, in the
    /// transaction that marks it, and appears on the disclosure officers' dashboard until the
    /// recipient certifies. Returns how many were escalated now.
    pub async fn escalate_overdue(&self, now_ms: i64) -> ApiResult<usize> {
        let mut escalated = 0;
        for o in self.store.overdue_end_of_use(now_ms, None).await? {
            if o.escalated_ms.is_some() {
                continue;
            }
            let mut tx = self.store.begin().await?;
            if !tx.escalate_end_of_use(&o.request_id, now_ms).await? {
                continue;
            }
            let days_late = (now_ms - o.due_ms) / 86_400_000;
            tx.record(draft(
                "system",
                "end_of_use.overdue",
                &[("request", &o.request_id), (accounting::AGENCY, &o.agency)],
                &format!("escalated: certification {days_late} days late"),
            ))
            .await?;
            tx.commit().await?;
            self.metrics.inc("crosscheck_end_of_use_escalations_total");
            escalated += 1;
        }
        Ok(escalated)
    }

    /// The recipient's end-of-use certification (rule 27); closes the request.
    pub async fn certify_end_of_use(
        &self,
        caller: &Caller,
        id: &str,
        certification: &str,
    ) -> ApiResult<RequestView> {
        let row = self
            .visible_request(caller, id, Action::CertifyEndOfUse)
            .await?;
        if !matches!(certification, "destroyed" | "safeguarded") {
            return Err(ApiError::invalid(
                "certification must be destroyed or safeguarded",
            ));
        }
        let next = request_state(&row)?
            .apply(RequestEvent::Closed)
            .map_err(lifecycle)?;
        let mut tx = self.store.begin().await?;
        tx.certify_end_of_use(id, certification, self.store.now_ms())
            .await?;
        tx.set_request_state(id, next.as_str(), None).await?;
        tx.record(draft(
            &caller.user.id,
            "end_of_use.certified",
            &[("request", id), (accounting::AGENCY, &row.agency)],
            certification,
        ))
        .await?;
        tx.commit().await?;
        let row = self
            .store
            .request(id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        self.request_view(&row).await
    }
}

/// What a reviewer sees of one candidate match.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReviewItem {
    /// Item id (`REQUEST.POSITION`).
    pub id: String,
    /// Its request.
    pub request_id: String,
    /// Subject state.
    pub state: String,
    /// Matcher outcome.
    pub outcome: String,
    /// The subject as requested.
    pub subject: SubjectEntry,
    /// The candidate taxpayer's identity fields on their latest return.
    pub candidate: Option<TaxpayerView>,
    /// The candidate's address by tax year.
    pub addresses: Vec<AddressByYear>,
    /// The evidence: the matcher's decision with each field's weight and the runner-up
    /// (`docs/linkage.md`).
    #[schemars(with = "Option<serde_json::Value>")]
    pub found: Option<Found>,
    /// A determination already recorded.
    pub determination: Option<Determination>,
}

/// The identity fields of a taxpayer a reviewer needs (nothing else of the return).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TaxpayerView {
    /// TIN.
    pub tin: String,
    /// Given name.
    pub given_name: String,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Family name.
    pub family_name: String,
    /// Date of birth.
    pub dob: Option<String>,
}

/// One address of the candidate's history.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AddressByYear {
    /// Tax year.
    pub tax_year: u16,
    /// Street.
    pub street: String,
    /// Unit.
    pub unit: Option<String>,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// ZIP.
    pub zip: String,
}

/// The released response.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ResponseView {
    /// Request id.
    pub request_id: String,
    /// Per subject, in request order (`null` where retracted).
    pub subjects: Vec<Option<SubjectResponse>>,
    /// Positions whose disclosure was retracted: the recipient must retrieve and dispose of it.
    pub retracted: Vec<u64>,
    /// End-of-use due date.
    pub end_of_use_due_ms: Option<i64>,
    /// When end of use was certified.
    pub end_of_use_certified_ms: Option<i64>,
}

/// Shared handle to the matcher.
pub type SharedMatcher = Arc<crate::matcher::Matcher>;
