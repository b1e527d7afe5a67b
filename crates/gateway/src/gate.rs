//! The legal gate: may this request, and each person in it, be answered?
//!
//! [`gate`] decides RULES.md rules 1–16, 24, 25 and 35 (and the accounting element of rule
//! 28 that a request must carry) before anything is matched. It returns a [`GateReport`]:
//! request-level [`Finding`]s, which affect every subject, and one [`SubjectGate`] per
//! subject, decided on its own (rule 7). Each finding carries a stable reason code from
//! [`ReasonCode`], the rule, and the action: [`Action::Reject`], [`Action::Human`] (a
//! disclosure officer decides; nothing is released meanwhile) or [`Action::Log`].
//!
//! Findings name defects of the request only. Their messages never quote a personal value
//! and never say anything about a taxpayer (rule 22).

use std::collections::{BTreeMap, BTreeSet};

use crosscheck_contract::{Date, Tin, TinError, TinKind};
use crosscheck_linkage::normalise::{fold, name_field};
use serde::{Deserialize, Serialize};

use crate::agreement::{Agency, Agreement, SignerRecord, SignerRole};
use crate::code::ReasonCode;
use crate::envelope::{CRIMINAL_USE_ONLY, LegalBasis, Request, SubjectEntry, TAXPAYER_IDENTITY};

/// What the gate does about a finding.
#[derive(
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Refuse (the request, the subject, or — for rules 15 and 16 — one field).
    Reject,
    /// Route to a custodian disclosure officer; nothing is released meanwhile.
    Human,
    /// Record and continue.
    Log,
}

/// One defect (or noteworthy fact) of a request.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
pub struct Finding {
    /// The RULES.md rule.
    pub rule: u8,
    /// Stable snake_case reason code (see [`ReasonCode`]).
    #[schemars(schema_with = "crate::code::reason_code_schema")]
    pub code: String,
    /// What happens because of it.
    pub action: Action,
    /// The element of the request concerned (`street`, `tin`, `recipients[0]`), if one.
    pub field: Option<String>,
    /// A sentence naming the defect in the request; never a personal value.
    pub message: String,
}

impl Finding {
    /// A finding for `code`, its rule, action and description.
    pub fn new(code: ReasonCode, field: Option<&str>) -> Finding {
        Finding {
            rule: code.rule(),
            code: code.as_str().to_owned(),
            action: code.action(),
            field: field.map(str::to_owned),
            message: code.description().to_owned(),
        }
    }

    /// The same finding with counts or limits appended to the message. Callers pass only
    /// numbers and configuration values, never personal data.
    fn detail(mut self, detail: impl std::fmt::Display) -> Finding {
        self.message = format!("{} ({detail})", self.message);
        self
    }

    /// The reason code, if it is one of ours.
    pub fn reason_code(&self) -> Option<ReasonCode> {
        ReasonCode::parse(&self.code)
    }

    /// Whether this finding removes one field of the subject instead of deciding the subject
    /// (rules 15 and 16: the record may proceed without the bad TIN or date of birth).
    pub fn drops_field(&self) -> bool {
        self.reason_code().is_some_and(ReasonCode::drops_field)
    }

    /// Whether this finding rejects what it is attached to (the request or the subject).
    pub fn rejects(&self) -> bool {
        self.action == Action::Reject && !self.drops_field()
    }
}

/// What the gate needs to know besides the request. Everything arrives as a value: the gate
/// does no I/O and reads no clock.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The registry entry of the agency the envelope names, if there is one.
    pub agency: Option<&'a Agency>,
    /// The registry entry of the signer the envelope names, if there is one.
    pub signer: Option<&'a SignerRecord>,
    /// Whether [`crate::SignedRequest::verify`] succeeded under the signer's key.
    pub signature_valid: bool,
    /// Matters each recipient was already attested for before this request, keyed by name
    /// (compared after [`official_key`] folding).
    pub official_matters: &'a BTreeMap<String, u64>,
    /// Subjects the agency has already submitted today.
    pub agency_subjects_today: u64,
    /// Today, for the date checks (rules 6, 11, 16).
    pub today: Date,
}

/// The decision about one subject.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
pub struct SubjectGate {
    /// The requester's reference for the subject.
    pub subject_id: String,
    /// The subject's own findings (request-level findings are in [`GateReport::request`]).
    pub findings: Vec<Finding>,
}

/// The gate's decision about a request.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
pub struct GateReport {
    /// Findings about the envelope; a rejection here rejects every subject.
    pub request: Vec<Finding>,
    /// One entry per subject, in request order.
    pub subjects: Vec<SubjectGate>,
}

/// Where a request or a subject stands after the gate.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// May proceed to matching.
    Accepted,
    /// Waits for a disclosure officer.
    Held,
    /// Refused; the response carries the reason codes.
    Rejected,
}

impl GateReport {
    /// The request as a whole: rejected if the envelope is defective or no subject can
    /// proceed; held if any finding (request or subject) needs a person; else accepted.
    pub fn request_outcome(&self) -> Outcome {
        if self.request.iter().any(Finding::rejects) {
            return Outcome::Rejected;
        }
        let outcomes: Vec<Outcome> = (0..self.subjects.len())
            .map(|i| self.subject_outcome(i))
            .collect();
        if !outcomes.is_empty() && outcomes.iter().all(|o| *o == Outcome::Rejected) {
            return Outcome::Rejected;
        }
        if self.request.iter().any(|f| f.action == Action::Human)
            || outcomes.contains(&Outcome::Held)
        {
            return Outcome::Held;
        }
        Outcome::Accepted
    }

    /// Subject `index`: rejected by any request-level or subject-level rejection (a dropped
    /// TIN or date of birth does not count), held by any request-level or subject-level
    /// Human finding, else accepted. An index out of range is rejected (fail closed).
    pub fn subject_outcome(&self, index: usize) -> Outcome {
        let Some(subject) = self.subjects.get(index) else {
            return Outcome::Rejected;
        };
        if self.request.iter().any(Finding::rejects)
            || subject.findings.iter().any(Finding::rejects)
        {
            return Outcome::Rejected;
        }
        if self
            .request
            .iter()
            .chain(&subject.findings)
            .any(|f| f.action == Action::Human)
        {
            return Outcome::Held;
        }
        Outcome::Accepted
    }

    /// The reason codes a rejection of subject `index` carries: every rejecting code of the
    /// request and the subject, first occurrence order, without repeats.
    pub fn rejection_reasons(&self, index: usize) -> Vec<String> {
        let subject = self.subjects.get(index).map(|s| s.findings.as_slice());
        let mut out: Vec<String> = Vec::new();
        for f in self.request.iter().chain(subject.unwrap_or_default()) {
            if f.action == Action::Reject && !out.contains(&f.code) {
                out.push(f.code.clone());
            }
        }
        out
    }
}

/// The key under which [`Context::official_matters`] counts a recipient: the name folded to
/// upper-case ASCII words (`José  O'Neil` → `JOSE ONEIL`).
pub fn official_key(name: &str) -> String {
    fold(name)
}

/// Decides rules 1–16, 24, 25 and 35 for a request.
pub fn gate(request: &Request, ctx: &Context) -> GateReport {
    let mut findings = Vec::new();
    let agreement = request_checks(request, ctx, &mut findings);
    let subjects = subject_checks(request, agreement, ctx);
    let mut report = GateReport {
        request: findings,
        subjects,
    };
    let (mut accepted, mut held, mut rejected) = (0usize, 0usize, 0usize);
    for s in &report.subjects {
        if s.findings.iter().any(Finding::rejects) {
            rejected += 1;
        } else if s.findings.iter().any(|f| f.action == Action::Human) {
            held += 1;
        } else {
            accepted += 1;
        }
    }
    report.request.push(
        Finding::new(ReasonCode::BatchStatistics, None).detail(format_args!(
            "{} records: {accepted} passed, {held} held, {rejected} rejected on their own elements",
            report.subjects.len()
        )),
    );
    report
}

/// The subject entry without the fields the gate rejected (rules 15 and 16, a placeholder
/// unit), as it goes to matching.
pub fn sanitized_subject(entry: &SubjectEntry, gate: &SubjectGate) -> SubjectEntry {
    let mut out = entry.clone();
    for f in gate.findings.iter().filter(|f| f.drops_field()) {
        match f.field.as_deref() {
            Some("tin") => {
                out.tin = None;
                out.tin_kind = None;
            }
            Some("dob") => out.dob = None,
            Some("unit") => out.unit = None,
            _ => {}
        }
    }
    out
}

/// Rule 21, checked before release: a confidential-informant flag or an open civil or
/// criminal tax investigation on the account blocks release until a disclosure officer
/// documents a § 6103(i)(6) determination. The finding says nothing about which condition.
pub fn release_checks(informant_or_tax_investigation_flag: bool) -> Vec<Finding> {
    if informant_or_tax_investigation_flag {
        vec![Finding::new(ReasonCode::ReleaseNeedsI6Determination, None)]
    } else {
        Vec::new()
    }
}

/// Text of a free field, trimmed; `None` when absent or blank.
fn present(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Folded values that stand for "nothing" in any free-text field.
const PLACEHOLDERS: &[&str] = &[
    "UNKNOWN",
    "UNK",
    "UNKN",
    "NONE",
    "N A",
    "NA",
    "N",
    "NULL",
    "NIL",
    "TBD",
    "TBA",
    "X",
    "XX",
    "XXX",
    "NO",
    "NOT APPLICABLE",
    "NOT AVAILABLE",
    "NOT PROVIDED",
    "NOT GIVEN",
    "NOT KNOWN",
    "REFUSED",
    "DECLINED",
    "DONT KNOW",
    "TEST",
];

/// Phrases that make an address element placeholder text wherever they occur in it.
const ADDRESS_PLACEHOLDER_PHRASES: &[&[&str]] = &[
    &["UNKNOWN"],
    &["UNK"],
    &["FAILED", "TO", "PROVIDE"],
    &["FAIL", "TO", "PROVIDE"],
    &["NOT", "PROVIDED"],
    &["NOT", "AVAILABLE"],
    &["NOT", "APPLICABLE"],
    &["NOT", "KNOWN"],
    &["DONT", "CARE"],
    &["DO", "NOT", "CARE"],
    &["DONT", "KNOW"],
    &["NO", "ADDRESS"],
    &["NO", "STREET"],
    &["TBD"],
    &["NULL"],
    &["NONE"],
    &["REFUSED"],
    &["ZIP"],
    &["ZIPCODE"],
];

fn is_placeholder(folded: &str) -> bool {
    PLACEHOLDERS.contains(&folded)
}

fn contains_placeholder_phrase(tokens: &[&str]) -> bool {
    ADDRESS_PLACEHOLDER_PHRASES
        .iter()
        .any(|p| tokens.windows(p.len()).any(|w| w == *p))
}

/// Folds an address element; `#` counts as a unit designator as USPS writes it.
fn fold_address(s: &str) -> String {
    fold(&s.replace('#', " UNIT "))
}

fn request_checks<'a>(
    request: &Request,
    ctx: &Context<'a>,
    out: &mut Vec<Finding>,
) -> Option<&'a Agreement> {
    let env = &request.envelope;
    let reject =
        |out: &mut Vec<Finding>, code, field: &str| out.push(Finding::new(code, Some(field)));

    // Rule 4 (agency), 24 and 25: who is asking, and may they receive anything?
    let agency = ctx.agency.filter(|a| a.id.trim() == env.agency.trim());
    match agency {
        None => reject(out, ReasonCode::UnknownAgency, "agency"),
        Some(a) => {
            if let Some(hold) = &a.hold {
                out.push(
                    Finding::new(ReasonCode::DisclosuresSuspendedByCourtOrder, Some("agency"))
                        .detail(format_args!("order {}", hold.order_ref.trim())),
                );
            }
            if !a.safeguards.ssr_accepted {
                reject(out, ReasonCode::SafeguardReportNotAccepted, "agency");
            }
            if a.safeguards.open_findings > a.safeguards.open_findings_with_accepted_plan {
                out.push(
                    Finding::new(ReasonCode::SafeguardFindingsWithoutPlan, Some("agency")).detail(
                        format_args!(
                            "{} open, {} with an accepted plan",
                            a.safeguards.open_findings,
                            a.safeguards.open_findings_with_accepted_plan
                        ),
                    ),
                );
            }
        }
    }
    let agreement = agency.map(|a| &a.agreement);

    // Rule 1: legal basis.
    let basis = match present(env.legal_basis.as_deref()) {
        None => {
            reject(out, ReasonCode::NoLawfulBasisDeclared, "legal_basis");
            None
        }
        Some(b) => match LegalBasis::parse(b) {
            None => {
                reject(out, ReasonCode::UnsupportedLegalBasis, "legal_basis");
                None
            }
            Some(basis) => {
                if agreement.is_some_and(|a| !a.allows_path(basis)) {
                    reject(out, ReasonCode::LegalBasisNotInAgreement, "legal_basis");
                }
                Some(basis)
            }
        },
    };

    // Rule 2: data class matches the path.
    match present(env.data_class.as_deref()) {
        None => reject(out, ReasonCode::DataClassMissing, "data_class"),
        Some(class) => {
            let class: String = fold(class).to_ascii_lowercase().replace(' ', "_");
            if basis == Some(LegalBasis::I2) && class != TAXPAYER_IDENTITY {
                reject(out, ReasonCode::RequiresCourtOrder, "data_class");
            }
        }
    }

    // Rule 3: the court-order path.
    if basis.is_some_and(LegalBasis::is_court_order) {
        court_order_checks(request, agency, out);
    }

    // Rule 4: the signer.
    signer_checks(request, ctx, out);

    // Rule 5: designated criminal statute.
    match present(env.statute.as_deref()) {
        None => reject(out, ReasonCode::StatuteMissing, "statute"),
        Some(s) => {
            if agreement.is_some_and(|a| !a.allows_statute(s)) {
                reject(out, ReasonCode::StatuteNotDesignated, "statute");
            }
        }
    }

    // Rule 7: someone must be named.
    if request.subjects.is_empty() {
        reject(out, ReasonCode::NoSubjects, "subjects");
    }

    // Rule 11: specific tax years.
    tax_year_checks(&env.tax_years, ctx.today, "tax_years", out);

    // Rule 13 (and the accounting element of rule 28): named, engaged recipients.
    recipient_checks(request, agreement, ctx, out);

    // Rule 14: use attestation.
    match present(env.use_attestation.as_deref()) {
        None => reject(out, ReasonCode::UseAttestationMissing, "use_attestation"),
        Some(u) => {
            if fold(u).to_ascii_lowercase().replace(' ', "_") != CRIMINAL_USE_ONLY {
                reject(
                    out,
                    ReasonCode::UseNotLimitedToCriminalInvestigation,
                    "use_attestation",
                );
            }
        }
    }

    // Rule 35: volume guard.
    if let Some(a) = agreement {
        let n = request.subjects.len() as u64;
        if n > a.max_subjects_per_request {
            out.push(
                Finding::new(ReasonCode::RequestOverSubjectLimit, Some("subjects")).detail(
                    format_args!("{n} records, limit {}", a.max_subjects_per_request),
                ),
            );
        }
        let day = ctx.agency_subjects_today.saturating_add(n);
        if day > a.max_subjects_per_day {
            out.push(
                Finding::new(ReasonCode::AgencyOverDailyLimit, Some("subjects")).detail(
                    format_args!(
                        "{day} records today with this request, limit {}",
                        a.max_subjects_per_day
                    ),
                ),
            );
        }
    }
    agreement
}

fn court_order_checks(request: &Request, agency: Option<&Agency>, out: &mut Vec<Finding>) {
    let env = &request.envelope;
    let Some(order) = &env.court_order else {
        out.push(Finding::new(
            ReasonCode::CourtOrderMissing,
            Some("court_order"),
        ));
        return;
    };
    let mut missing = |value: &str, code, field: &str| {
        if value.trim().is_empty() {
            out.push(Finding::new(code, Some(field)));
            true
        } else {
            false
        }
    };
    missing(
        &order.document_ref,
        ReasonCode::CourtOrderDocumentMissing,
        "court_order.document_ref",
    );
    missing(
        &order.judge,
        ReasonCode::CourtOrderJudgeMissing,
        "court_order.judge",
    );
    missing(
        &order.scope,
        ReasonCode::CourtOrderScopeMissing,
        "court_order.scope",
    );
    missing(
        &order.applicant_official,
        ReasonCode::CourtOrderApplicantMissing,
        "court_order.applicant_official",
    );
    let no_agency = missing(
        &order.agency,
        ReasonCode::CourtOrderAgencyMissing,
        "court_order.agency",
    );
    let kind = fold(&order.court_kind);
    if !matches!(kind.as_str(), "DISTRICT" | "MAGISTRATE") {
        out.push(Finding::new(
            ReasonCode::CourtOrderNotDistrictOrMagistrate,
            Some("court_order.court_kind"),
        ));
    }
    if !no_agency {
        let named = fold(&order.agency);
        let mut names = vec![fold(&env.agency)];
        if let Some(a) = agency {
            names.push(fold(&a.id));
            names.push(fold(&a.name));
        }
        if !names.iter().any(|n| !n.is_empty() && *n == named) {
            out.push(Finding::new(
                ReasonCode::CourtOrderNamesAnotherAgency,
                Some("court_order.agency"),
            ));
        }
    }
    if order.tax_years.iter().all(|y| y.trim().is_empty()) {
        out.push(Finding::new(
            ReasonCode::CourtOrderTaxYearsMissing,
            Some("court_order.tax_years"),
        ));
    } else {
        let covered: BTreeSet<&str> = order.tax_years.iter().map(|y| y.trim()).collect();
        if env.tax_years.iter().any(|y| !covered.contains(y.trim())) {
            out.push(Finding::new(
                ReasonCode::TaxYearsOutsideCourtOrder,
                Some("tax_years"),
            ));
        }
    }
    out.push(Finding::new(
        ReasonCode::CourtOrderAuthenticityUnconfirmed,
        Some("court_order"),
    ));
}

fn signer_checks(request: &Request, ctx: &Context, out: &mut Vec<Finding>) {
    let env = &request.envelope;
    let signer = ctx
        .signer
        .filter(|s| s.id.trim() == env.signer.trim() && !s.id.trim().is_empty());
    let Some(signer) = signer else {
        out.push(Finding::new(ReasonCode::UnknownSigner, Some("signer")));
        return;
    };
    if !signer.active {
        out.push(Finding::new(ReasonCode::SignerInactive, Some("signer")));
    }
    if signer.agency.trim() != env.agency.trim() {
        out.push(Finding::new(
            ReasonCode::SignerOfAnotherAgency,
            Some("signer"),
        ));
    }
    if !ctx.signature_valid {
        out.push(Finding::new(
            ReasonCode::SignatureInvalid,
            Some("signature"),
        ));
    }
    if signer.role == SignerRole::ComponentHead {
        out.push(Finding::new(
            ReasonCode::SignerHeadsComponent,
            Some("signer"),
        ));
    }
}

fn tax_year_checks(years: &[String], today: Date, field: &str, out: &mut Vec<Finding>) {
    if years.iter().all(|y| y.trim().is_empty()) {
        out.push(Finding::new(ReasonCode::TaxYearsMissing, Some(field)));
        return;
    }
    let mut not_specific = false;
    let mut out_of_range = false;
    for y in years {
        let y = y.trim();
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            not_specific = true;
            continue;
        }
        match y.parse::<u16>() {
            Ok(year) if (1913..=today.year()).contains(&year) => {}
            Ok(_) => out_of_range = true,
            Err(_) => not_specific = true,
        }
    }
    if not_specific {
        out.push(Finding::new(ReasonCode::TaxYearNotSpecific, Some(field)));
    }
    if out_of_range {
        out.push(Finding::new(ReasonCode::TaxYearOutOfRange, Some(field)));
    }
}

fn recipient_checks(
    request: &Request,
    agreement: Option<&Agreement>,
    ctx: &Context,
    out: &mut Vec<Finding>,
) {
    let recipients = &request.envelope.recipients;
    if recipients.is_empty() {
        out.push(Finding::new(
            ReasonCode::NoNamedRecipients,
            Some("recipients"),
        ));
        return;
    }
    let matters = request.matters();
    let mut counted = BTreeSet::new();
    for (i, r) in recipients.iter().enumerate() {
        let field = format!("recipients[{i}]");
        let key = official_key(&r.name);
        if key.is_empty() || is_placeholder(&key) {
            out.push(Finding::new(ReasonCode::RecipientNameMissing, Some(&field)));
        }
        if !r.attests_personal_engagement {
            out.push(Finding::new(
                ReasonCode::RecipientEngagementNotAttested,
                Some(&field),
            ));
        }
        if r.title.trim().is_empty() {
            out.push(Finding::new(
                ReasonCode::RecipientTitleMissing,
                Some(&field),
            ));
        }
        if r.office_address.trim().is_empty() {
            out.push(Finding::new(
                ReasonCode::RecipientOfficeAddressMissing,
                Some(&field),
            ));
        }
        if key.is_empty() || !counted.insert(key.clone()) {
            continue;
        }
        if let Some(a) = agreement {
            let before: u64 = ctx
                .official_matters
                .iter()
                .filter(|(name, _)| official_key(name) == key)
                .fold(0u64, |acc, (_, n)| acc.saturating_add(*n));
            let total = before.saturating_add(matters);
            if total > a.max_matters_per_official {
                out.push(
                    Finding::new(ReasonCode::OfficialMattersOverLimit, Some(&field)).detail(
                        format_args!(
                            "{total} matters with this request, limit {}",
                            a.max_matters_per_official
                        ),
                    ),
                );
            }
        }
    }
}

fn subject_checks(
    request: &Request,
    agreement: Option<&Agreement>,
    ctx: &Context,
) -> Vec<SubjectGate> {
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    for s in &request.subjects {
        *ids.entry(s.subject_id.trim()).or_default() += 1;
        if let Some(r) = present(s.reason.as_deref()) {
            let key = fold(r);
            if !key.is_empty() {
                let n = reasons.entry(key).or_default();
                *n = n.saturating_add(1);
            }
        }
    }
    request
        .subjects
        .iter()
        .map(|s| {
            let mut f = Vec::new();
            let id = s.subject_id.trim();
            if id.is_empty() {
                f.push(Finding::new(
                    ReasonCode::SubjectIdMissing,
                    Some("subject_id"),
                ));
            } else if ids.get(id).copied().unwrap_or(0) > 1 {
                f.push(Finding::new(
                    ReasonCode::SubjectIdDuplicate,
                    Some("subject_id"),
                ));
            }
            case_checks(s, agreement, ctx.today, &mut f);
            name_checks(s, &mut f);
            let address_ok = address_checks(s, &mut f);
            tin_checks(s, &mut f);
            if !address_ok && present(s.tin.as_deref()).is_some() {
                f.push(Finding::new(ReasonCode::NoTinOnlyPath, Some("tin")));
            }
            dob_checks(s, ctx.today, &mut f);
            reason_checks(s, agreement, &reasons, &mut f);
            SubjectGate {
                subject_id: s.subject_id.clone(),
                findings: f,
            }
        })
        .collect()
}

fn case_checks(s: &SubjectEntry, agreement: Option<&Agreement>, today: Date, f: &mut Vec<Finding>) {
    let case = present(s.case_number.as_deref()).filter(|c| !is_placeholder(&fold(c)));
    if agreement.is_some_and(|a| a.require_case_number) && case.is_none() {
        f.push(Finding::new(
            ReasonCode::CaseNumberMissing,
            Some("case_number"),
        ));
    }
    let required = agreement.is_some_and(|a| a.require_removal_order_date);
    match present(s.removal_order_date.as_deref()) {
        None if required => f.push(Finding::new(
            ReasonCode::RemovalOrderDateMissing,
            Some("removal_order_date"),
        )),
        None => {}
        Some(d) => {
            let valid = Date::parse_any(d).is_ok_and(|d| d <= today && d.year() >= 1900);
            if !valid && required {
                f.push(Finding::new(
                    ReasonCode::RemovalOrderDateInvalid,
                    Some("removal_order_date"),
                ));
            }
        }
    }
}

/// Placeholders beyond those `name_field` already treats as missing. `NA` alone is absent on
/// purpose: it is a given name.
const NAME_PLACEHOLDERS: &[&str] = &[
    "UNK",
    "UNKN",
    "NULL",
    "NIL",
    "TBD",
    "NOT PROVIDED",
    "NOT AVAILABLE",
    "NOT KNOWN",
    "REFUSED",
];

fn name_checks(s: &SubjectEntry, f: &mut Vec<Finding>) {
    let is_name = |v: Option<&str>| {
        name_field(v).is_some_and(|n| {
            !NAME_PLACEHOLDERS.contains(&n.as_str()) && n.chars().any(|c| c.is_ascii_alphabetic())
        })
    };
    if !is_name(s.given_name.as_deref()) {
        f.push(Finding::new(
            ReasonCode::GivenNameMissing,
            Some("given_name"),
        ));
    }
    if !is_name(s.family_name.as_deref()) {
        f.push(Finding::new(
            ReasonCode::FamilyNameMissing,
            Some("family_name"),
        ));
    }
}

/// USPS state, territory and military state codes.
const STATE_CODES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW", "AA", "AE", "AP",
];

/// State and territory names, folded.
const STATE_NAMES: &[&str] = &[
    "ALABAMA",
    "ALASKA",
    "ARIZONA",
    "ARKANSAS",
    "CALIFORNIA",
    "COLORADO",
    "CONNECTICUT",
    "DELAWARE",
    "DISTRICT OF COLUMBIA",
    "FLORIDA",
    "GEORGIA",
    "HAWAII",
    "IDAHO",
    "ILLINOIS",
    "INDIANA",
    "IOWA",
    "KANSAS",
    "KENTUCKY",
    "LOUISIANA",
    "MAINE",
    "MARYLAND",
    "MASSACHUSETTS",
    "MICHIGAN",
    "MINNESOTA",
    "MISSISSIPPI",
    "MISSOURI",
    "MONTANA",
    "NEBRASKA",
    "NEVADA",
    "NEW HAMPSHIRE",
    "NEW JERSEY",
    "NEW MEXICO",
    "NEW YORK",
    "NORTH CAROLINA",
    "NORTH DAKOTA",
    "OHIO",
    "OKLAHOMA",
    "OREGON",
    "PENNSYLVANIA",
    "RHODE ISLAND",
    "SOUTH CAROLINA",
    "SOUTH DAKOTA",
    "TENNESSEE",
    "TEXAS",
    "UTAH",
    "VERMONT",
    "VIRGINIA",
    "WASHINGTON",
    "WEST VIRGINIA",
    "WISCONSIN",
    "WYOMING",
    "PUERTO RICO",
    "VIRGIN ISLANDS",
    "US VIRGIN ISLANDS",
    "GUAM",
    "AMERICAN SAMOA",
    "NORTHERN MARIANA ISLANDS",
];

const MILITARY_CITIES: &[&str] = &["APO", "FPO", "DPO"];
const MILITARY_STATES: &[&str] = &["AA", "AE", "AP"];

/// Secondary unit designators: a delivery line cannot be only one of these and a number.
const UNIT_DESIGNATORS: &[&str] = &[
    "APT",
    "APARTMENT",
    "UNIT",
    "STE",
    "SUITE",
    "RM",
    "ROOM",
    "FL",
    "FLOOR",
    "BLDG",
    "LOT",
    "SPC",
    "SPACE",
    "TRLR",
];

/// The kind of delivery line, as far as rule 9 cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DeliveryLine {
    /// House number and street name.
    Street,
    /// `PO BOX 12` and its spellings.
    PoBox,
    /// `RR 2 BOX 5`, `HC 1 BOX 3`.
    RuralRoute,
    /// `PSC 1234 BOX 5678`, `UNIT 1234 BOX 5678`, `CMR 450 BOX 1`.
    Military,
    /// Anything else: a ZIP-shaped string, a street without a number, a lone unit.
    Incomplete,
}

fn has_digit(t: &str) -> bool {
    t.bytes().any(|b| b.is_ascii_digit())
}

fn has_letter(t: &str) -> bool {
    t.bytes().any(|b| b.is_ascii_alphabetic())
}

/// `tokens` starts with `prefix`; returns what follows.
fn after<'t, 's>(tokens: &'t [&'s str], prefix: &[&str]) -> Option<&'t [&'s str]> {
    (tokens.len() >= prefix.len() && tokens[..prefix.len()] == *prefix)
        .then(|| &tokens[prefix.len()..])
}

/// `[number, "BOX", number, ..]` as rural routes and military addresses write it.
fn number_box_number(rest: &[&str]) -> bool {
    matches!(rest, [n, box_, m, ..] if has_digit(n) && *box_ == "BOX" && has_digit(m))
}

fn delivery_line(tokens: &[&str]) -> DeliveryLine {
    // PO box.
    for prefix in [
        &["POST", "OFFICE", "BOX"][..],
        &["P", "O", "BOX"],
        &["PO", "BOX"],
        &["POB"],
        &["BOX"],
    ] {
        if let Some(rest) = after(tokens, prefix) {
            return match rest.first() {
                Some(n) if has_digit(n) => DeliveryLine::PoBox,
                _ => DeliveryLine::Incomplete,
            };
        }
    }
    // Rural route and highway contract route.
    for prefix in [
        &["RURAL", "ROUTE"][..],
        &["HIGHWAY", "CONTRACT"],
        &["RR"],
        &["RFD"],
        &["HC"],
        &["HCR"],
    ] {
        if let Some(rest) = after(tokens, prefix) {
            return if number_box_number(rest) {
                DeliveryLine::RuralRoute
            } else {
                DeliveryLine::Incomplete
            };
        }
    }
    // Military.
    for prefix in ["PSC", "UNIT", "CMR"] {
        if let Some(rest) = after(tokens, &[prefix]) {
            return if number_box_number(rest) {
                DeliveryLine::Military
            } else {
                DeliveryLine::Incomplete
            };
        }
    }
    // House number and street name: a leading number not all zeros, then a word before any
    // unit designator.
    let Some((number, rest)) = tokens.split_first() else {
        return DeliveryLine::Incomplete;
    };
    let numbered = number.starts_with(|c: char| c.is_ascii_digit())
        && number.bytes().any(|b| b.is_ascii_digit() && b != b'0');
    let named = rest
        .iter()
        .take_while(|t| !UNIT_DESIGNATORS.contains(t))
        .any(|t| has_letter(t));
    if numbered && named {
        DeliveryLine::Street
    } else {
        DeliveryLine::Incomplete
    }
}

/// Rule 9; returns whether the address is complete.
fn address_checks(s: &SubjectEntry, f: &mut Vec<Finding>) -> bool {
    let before = f.len();
    let fields = [
        ("street", s.street.as_deref()),
        ("city", s.city.as_deref()),
        ("state", s.state.as_deref()),
        ("zip", s.zip.as_deref()),
    ];
    let mut folded: BTreeMap<&str, String> = BTreeMap::new();
    for (name, value) in fields {
        let text = value.map(fold_address).unwrap_or_default();
        let tokens: Vec<&str> = text.split(' ').filter(|t| !t.is_empty()).collect();
        if tokens.is_empty() {
            f.push(Finding::new(ReasonCode::AddressIncomplete, Some(name)));
        } else if is_placeholder(&text) || contains_placeholder_phrase(&tokens) {
            f.push(Finding::new(ReasonCode::AddressPlaceholder, Some(name)));
        } else {
            folded.insert(name, text);
        }
    }
    // The unit is optional; placeholder text there is ignored, not fatal.
    if let Some(unit) = present(s.unit.as_deref()) {
        let text = fold_address(unit);
        let tokens: Vec<&str> = text.split(' ').filter(|t| !t.is_empty()).collect();
        if is_placeholder(&text) || contains_placeholder_phrase(&tokens) {
            f.push(Finding::new(
                ReasonCode::UnitPlaceholderIgnored,
                Some("unit"),
            ));
        }
    }
    let line = folded.get("street").map(|street| {
        let tokens: Vec<&str> = street.split(' ').collect();
        let line = delivery_line(&tokens);
        if line == DeliveryLine::Incomplete {
            f.push(Finding::new(
                ReasonCode::AddressStreetIncomplete,
                Some("street"),
            ));
        }
        line
    });
    if let Some(zip) = s.zip.as_deref().filter(|_| folded.contains_key("zip")) {
        let digits: String = zip.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
        let digits = digits.trim();
        if !(digits.len() == 5 || digits.len() == 9) || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            f.push(Finding::new(ReasonCode::AddressZipInvalid, Some("zip")));
        } else if digits.bytes().take(5).all(|b| b == b'0') {
            f.push(Finding::new(ReasonCode::AddressZipAllZero, Some("zip")));
        }
    }
    let state = folded.get("state").map(|st| {
        let compact = st.replace(' ', "");
        let valid = (compact.len() == 2 && STATE_CODES.contains(&compact.as_str()))
            || STATE_NAMES.contains(&st.as_str());
        if !valid {
            f.push(Finding::new(ReasonCode::AddressStateInvalid, Some("state")));
        }
        compact
    });
    let city = folded.get("city").map(|c| c.replace(' ', ""));
    if let Some(city) = &city
        && !has_letter(city)
    {
        f.push(Finding::new(ReasonCode::AddressIncomplete, Some("city")));
    }
    let military_city = city
        .as_deref()
        .is_some_and(|c| MILITARY_CITIES.contains(&c));
    let military_state = state
        .as_deref()
        .is_some_and(|s| MILITARY_STATES.contains(&s));
    let military_line = line == Some(DeliveryLine::Military);
    let inconsistent = (city.is_some() && state.is_some() && military_city != military_state)
        || (military_line && city.is_some() && !military_city);
    if inconsistent {
        f.push(Finding::new(
            ReasonCode::AddressMilitaryFormInconsistent,
            Some("city"),
        ));
    }
    f.len() == before
        || f[before..]
            .iter()
            .all(|x| x.code == ReasonCode::UnitPlaceholderIgnored.as_str())
}

fn tin_checks(s: &SubjectEntry, f: &mut Vec<Finding>) {
    let Some(tin) = present(s.tin.as_deref()) else {
        return;
    };
    let code = match Tin::parse(tin) {
        Err(TinError::SsnArea) => Some(ReasonCode::TinSsnAreaNeverIssued),
        Err(TinError::SsnGroup) => Some(ReasonCode::TinSsnGroupNeverIssued),
        Err(TinError::SsnSerial) => Some(ReasonCode::TinSsnSerialNeverIssued),
        Err(TinError::NineRange) => Some(ReasonCode::TinOutsideItinRanges),
        Err(_) => Some(ReasonCode::TinMalformed),
        Ok(parsed) => {
            let claimed = present(s.tin_kind.as_deref()).map(fold);
            let starts_with_nine = tin.trim_start().starts_with('9');
            match claimed.as_deref() {
                Some("SSN") if starts_with_nine => Some(ReasonCode::TinClaimedSsnStartsWithNine),
                Some("SSN") | None => None,
                Some("ITIN") if parsed.kind() == TinKind::Itin => None,
                Some("ATIN") if parsed.kind() == TinKind::Atin => None,
                Some(_) => Some(ReasonCode::TinKindMismatch),
            }
        }
    };
    if let Some(code) = code {
        f.push(Finding::new(code, Some("tin")));
    }
}

fn dob_checks(s: &SubjectEntry, today: Date, f: &mut Vec<Finding>) {
    let Some(dob) = present(s.dob.as_deref()) else {
        return;
    };
    match Date::parse_any(dob) {
        Err(_) => f.push(Finding::new(ReasonCode::DobInvalid, Some("dob"))),
        Ok(d) => {
            let oldest = today.year().saturating_sub(120);
            if d > today || d.year() < oldest {
                f.push(Finding::new(ReasonCode::DobImplausible, Some("dob")));
            }
        }
    }
}

fn reason_checks(
    s: &SubjectEntry,
    agreement: Option<&Agreement>,
    reasons: &BTreeMap<String, u64>,
    f: &mut Vec<Finding>,
) {
    let reason = present(s.reason.as_deref()).map(fold);
    match reason {
        Some(r) if !r.is_empty() && !is_placeholder(&r) => {
            let n = reasons.get(&r).copied().unwrap_or(0);
            if let Some(a) = agreement
                && n > a.max_repeated_reason
            {
                f.push(
                    Finding::new(ReasonCode::ReasonRepeatedVerbatim, Some("reason"))
                        .detail(format_args!("{n} records, limit {}", a.max_repeated_reason)),
                );
            }
        }
        _ => f.push(Finding::new(ReasonCode::ReasonMissing, Some("reason"))),
    }
}
