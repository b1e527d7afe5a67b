//! The four row types of the data contract (`DESIGN.md`, "Data contract").

use std::fmt;
use std::str::FromStr;

use compact_str::CompactString;

use crate::table::{Column, FieldIssue, Record, Values};
use crate::{Date, Tin};

const fn req(name: &'static str) -> Column {
    Column {
        name,
        required: true,
    }
}

const fn opt(name: &'static str) -> Column {
    Column {
        name,
        required: false,
    }
}

fn owned(v: Option<&str>) -> Option<String> {
    v.map(str::to_owned)
}

fn compact(v: Option<&str>) -> Option<CompactString> {
    v.map(CompactString::from)
}

fn cell(v: &Option<impl AsRef<str>>) -> String {
    v.as_ref()
        .map(|v| v.as_ref().to_owned())
        .unwrap_or_default()
}

/// Whether a ZIP code has 5 or 9 digits (dash or space allowed between).
fn is_zip(zip: &str) -> bool {
    let mut digits = 0;
    for b in zip.bytes() {
        match b {
            b'0'..=b'9' => digits += 1,
            b'-' | b' ' => {}
            _ => return false,
        }
    }
    matches!(digits, 5 | 9)
}

/// One filed return in the custodian's extract. Free text is kept as written; the linkage
/// normaliser standardises it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaxReturn {
    /// Unique id of this row in the extract.
    pub return_id: CompactString,
    /// The taxpayer's key: SSN or ITIN.
    pub tin: Tin,
    /// Four-digit year of the return.
    pub tax_year: u16,
    /// Given name as filed.
    pub given_name: CompactString,
    /// Middle name or initial, if any.
    pub middle_name: Option<CompactString>,
    /// Family name(s) as filed; may hold two surnames, a hyphenated pair or particles.
    pub family_name: CompactString,
    /// Date of birth, when the extract has it.
    pub dob: Option<Date>,
    /// Delivery line (house number and street, PO Box, rural route …).
    pub street: CompactString,
    /// Apartment, suite or unit, if any.
    pub unit: Option<CompactString>,
    /// City.
    pub city: CompactString,
    /// State (postal abbreviation or name).
    pub state: CompactString,
    /// ZIP code, 5 or 9 digits.
    pub zip: CompactString,
    /// Employer; custodian-internal and never disclosed.
    pub employer_name: Option<CompactString>,
}

impl Record for TaxReturn {
    const WHAT: &'static str = "taxpayer-return extract";
    const COLUMNS: &'static [Column] = &[
        req("return_id"),
        req("tin"),
        req("tax_year"),
        req("given_name"),
        opt("middle_name"),
        req("family_name"),
        opt("dob"),
        req("street"),
        opt("unit"),
        req("city"),
        req("state"),
        req("zip"),
        opt("employer_name"),
    ];

    fn from_values(v: &Values<'_>, warnings: &mut Vec<FieldIssue>) -> Result<Self, FieldIssue> {
        let tin =
            Tin::parse(v.required("tin")?).map_err(|e| FieldIssue::new("tin", e.to_string()))?;
        let year = v.required("tax_year")?;
        let tax_year = year
            .parse::<u16>()
            .ok()
            .filter(|y| (1900..=2100).contains(y) && year.len() == 4)
            .ok_or_else(|| FieldIssue::new("tax_year", "must be a four-digit year (1900-2100)"))?;
        let zip = v.required("zip")?;
        if !is_zip(zip) {
            return Err(FieldIssue::new("zip", "must have 5 or 9 digits"));
        }
        let dob = v.get("dob").and_then(|d| match Date::parse_iso(d) {
            Ok(date) => Some(date),
            Err(e) => {
                warnings.push(FieldIssue::new("dob", format!("{e}; treated as missing")));
                None
            }
        });
        Ok(TaxReturn {
            return_id: v.required("return_id")?.into(),
            tin,
            tax_year,
            given_name: v.required("given_name")?.into(),
            middle_name: compact(v.get("middle_name")),
            family_name: v.required("family_name")?.into(),
            dob,
            street: v.required("street")?.into(),
            unit: compact(v.get("unit")),
            city: v.required("city")?.into(),
            state: v.required("state")?.into(),
            zip: zip.into(),
            employer_name: compact(v.get("employer_name")),
        })
    }

    fn to_values(&self) -> Vec<String> {
        vec![
            self.return_id.to_string(),
            self.tin.to_string(),
            self.tax_year.to_string(),
            self.given_name.to_string(),
            cell(&self.middle_name),
            self.family_name.to_string(),
            self.dob.map(|d| d.to_string()).unwrap_or_default(),
            self.street.to_string(),
            cell(&self.unit),
            self.city.to_string(),
            self.state.to_string(),
            self.zip.to_string(),
            cell(&self.employer_name),
        ]
    }

    fn unique_key(&self) -> Option<&str> {
        Some(&self.return_id)
    }
}

/// One person sought by the requester, as the requester knows them. Every field but the id
/// is optional and kept as written: judging whether the request is complete is the legal
/// gate's job, standardising it the normaliser's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    /// The requester's reference, unique in the file.
    pub subject_id: String,
    /// Given name.
    pub given_name: Option<String>,
    /// Middle name or initial.
    pub middle_name: Option<String>,
    /// Family name(s).
    pub family_name: Option<String>,
    /// Date of birth as written (`YYYY-MM-DD`, `MM/DD/YYYY`, `MM-DD-YYYY`, `YYYY/MM/DD` or `YYYYMMDD`).
    pub dob: Option<String>,
    /// Delivery line.
    pub street: Option<String>,
    /// Unit.
    pub unit: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State.
    pub state: Option<String>,
    /// ZIP code.
    pub zip: Option<String>,
    /// A TIN, if the requester has one.
    pub tin: Option<String>,
}

impl Record for Subject {
    const WHAT: &'static str = "subject file";
    const COLUMNS: &'static [Column] = &[
        req("subject_id"),
        opt("given_name"),
        opt("middle_name"),
        opt("family_name"),
        opt("dob"),
        opt("street"),
        opt("unit"),
        opt("city"),
        opt("state"),
        opt("zip"),
        opt("tin"),
    ];

    fn from_values(v: &Values<'_>, _: &mut Vec<FieldIssue>) -> Result<Self, FieldIssue> {
        Ok(Subject {
            subject_id: v.required("subject_id")?.to_owned(),
            given_name: owned(v.get("given_name")),
            middle_name: owned(v.get("middle_name")),
            family_name: owned(v.get("family_name")),
            dob: owned(v.get("dob")),
            street: owned(v.get("street")),
            unit: owned(v.get("unit")),
            city: owned(v.get("city")),
            state: owned(v.get("state")),
            zip: owned(v.get("zip")),
            tin: owned(v.get("tin")),
        })
    }

    fn to_values(&self) -> Vec<String> {
        [
            &Some(self.subject_id.clone()),
            &self.given_name,
            &self.middle_name,
            &self.family_name,
            &self.dob,
            &self.street,
            &self.unit,
            &self.city,
            &self.state,
            &self.zip,
            &self.tin,
        ]
        .into_iter()
        .map(cell)
        .collect()
    }

    fn unique_key(&self) -> Option<&str> {
        Some(&self.subject_id)
    }
}

/// Ground truth for one subject: who they really are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Truth {
    /// The subject this row is about.
    pub subject_id: String,
    /// What kind of subject (`filer`, `non_filer`, `namesake`, `relative`, or any label an
    /// external benchmark uses); used to break wrong matches down.
    pub kind: Option<String>,
    /// The TINs (9 digits each) that are this same person; empty when the person is not in
    /// the extract. A match to any of them is right.
    pub tins: Vec<String>,
    /// Name origin, for per-origin recall.
    pub origin: Option<String>,
    /// Distortions applied to the subject's fields, for per-distortion recall.
    pub distortions: Vec<String>,
}

fn split_list(v: Option<&str>) -> Vec<String> {
    v.map(|s| {
        s.split(';')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

impl Record for Truth {
    const WHAT: &'static str = "truth file";
    const COLUMNS: &'static [Column] = &[
        req("subject_id"),
        opt("kind"),
        req("tins"),
        opt("origin"),
        opt("distortions"),
    ];

    fn from_values(v: &Values<'_>, _: &mut Vec<FieldIssue>) -> Result<Self, FieldIssue> {
        let mut tins = Vec::new();
        for t in split_list(v.get("tins")) {
            let tin = Tin::parse(&t).map_err(|e| FieldIssue::new("tins", e.to_string()))?;
            tins.push(tin.digits());
        }
        Ok(Truth {
            subject_id: v.required("subject_id")?.to_owned(),
            kind: owned(v.get("kind")),
            tins,
            origin: owned(v.get("origin")),
            distortions: split_list(v.get("distortions")),
        })
    }

    fn to_values(&self) -> Vec<String> {
        vec![
            self.subject_id.clone(),
            cell(&self.kind),
            self.tins.join(";"),
            cell(&self.origin),
            self.distortions.join(";"),
        ]
    }

    fn unique_key(&self) -> Option<&str> {
        Some(&self.subject_id)
    }
}

/// The per-subject decision of the matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// One taxpayer, strong evidence, no close competitor.
    Match,
    /// Uncertain or ambiguous: a person decides.
    Review,
    /// No taxpayer is a plausible match.
    NoMatch,
}

impl Outcome {
    /// All outcomes, in report order.
    pub const ALL: [Outcome; 3] = [Outcome::Match, Outcome::Review, Outcome::NoMatch];

    /// The contract spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Match => "match",
            Outcome::Review => "review",
            Outcome::NoMatch => "no_match",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Outcome {
    type Err = FieldIssue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "match" => Ok(Outcome::Match),
            "review" => Ok(Outcome::Review),
            "no_match" => Ok(Outcome::NoMatch),
            _ => Err(FieldIssue::new(
                "outcome",
                "must be match, review or no_match",
            )),
        }
    }
}

/// One row of `crosscheck link` output (custodian-internal).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkResult {
    /// From the subject file.
    pub subject_id: String,
    /// The decision.
    pub outcome: Outcome,
    /// Best candidate's TIN (9 digits); empty for `no_match`.
    pub tin: Option<String>,
    /// Posterior probability of the best candidate.
    pub match_probability: Option<f64>,
    /// Its log2 Bayes factor.
    pub match_weight: Option<f64>,
    /// Tax year of the return the last known address comes from.
    pub address_tax_year: Option<u16>,
    /// Last known address: delivery line.
    pub street: Option<String>,
    /// Last known address: unit.
    pub unit: Option<String>,
    /// Last known address: city.
    pub city: Option<String>,
    /// Last known address: state.
    pub state: Option<String>,
    /// Last known address: ZIP.
    pub zip: Option<String>,
    /// Second-best candidate's TIN, if any.
    pub runner_up_tin: Option<String>,
    /// Second-best candidate's match weight.
    pub runner_up_weight: Option<f64>,
    /// Per-field evidence, `field=level:+weight` separated by `;`.
    pub evidence: Option<String>,
    /// Why the outcome is not `match` though a candidate exists: one of the matcher's
    /// reasons (`crosscheck_linkage::link::Reason`, documented in `docs/linkage.md`).
    pub reason: Option<String>,
}

impl LinkResult {
    /// A result with only the decision and TIN; every other column empty.
    pub fn new(subject_id: impl Into<String>, outcome: Outcome, tin: Option<String>) -> LinkResult {
        LinkResult {
            subject_id: subject_id.into(),
            outcome,
            tin,
            match_probability: None,
            match_weight: None,
            address_tax_year: None,
            street: None,
            unit: None,
            city: None,
            state: None,
            zip: None,
            runner_up_tin: None,
            runner_up_weight: None,
            evidence: None,
            reason: None,
        }
    }
}

fn parse_f64(v: &Values<'_>, field: &'static str) -> Result<Option<f64>, FieldIssue> {
    v.get(field)
        .map(|s| {
            s.parse::<f64>()
                .map_err(|_| FieldIssue::new(field, "must be a number"))
        })
        .transpose()
}

fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.6}")).unwrap_or_default()
}

impl Record for LinkResult {
    const WHAT: &'static str = "link result";
    const COLUMNS: &'static [Column] = &[
        req("subject_id"),
        req("outcome"),
        req("tin"),
        opt("match_probability"),
        opt("match_weight"),
        opt("address_tax_year"),
        opt("street"),
        opt("unit"),
        opt("city"),
        opt("state"),
        opt("zip"),
        opt("runner_up_tin"),
        opt("runner_up_weight"),
        opt("evidence"),
        opt("reason"),
    ];

    fn from_values(v: &Values<'_>, _: &mut Vec<FieldIssue>) -> Result<Self, FieldIssue> {
        let outcome: Outcome = v.required("outcome")?.parse()?;
        let tin = v
            .get("tin")
            .map(|t| {
                Tin::parse(t)
                    .map(|t| t.digits())
                    .map_err(|e| FieldIssue::new("tin", e.to_string()))
            })
            .transpose()?;
        if outcome != Outcome::NoMatch && tin.is_none() {
            return Err(FieldIssue::new(
                "tin",
                "is required when the outcome is match or review",
            ));
        }
        let address_tax_year = v
            .get("address_tax_year")
            .map(|y| {
                y.parse::<u16>()
                    .map_err(|_| FieldIssue::new("address_tax_year", "must be a year"))
            })
            .transpose()?;
        Ok(LinkResult {
            subject_id: v.required("subject_id")?.to_owned(),
            outcome,
            tin,
            match_probability: parse_f64(v, "match_probability")?,
            match_weight: parse_f64(v, "match_weight")?,
            address_tax_year,
            street: owned(v.get("street")),
            unit: owned(v.get("unit")),
            city: owned(v.get("city")),
            state: owned(v.get("state")),
            zip: owned(v.get("zip")),
            runner_up_tin: owned(v.get("runner_up_tin")),
            runner_up_weight: parse_f64(v, "runner_up_weight")?,
            evidence: owned(v.get("evidence")),
            reason: owned(v.get("reason")),
        })
    }

    fn to_values(&self) -> Vec<String> {
        vec![
            self.subject_id.clone(),
            self.outcome.to_string(),
            cell(&self.tin),
            num(self.match_probability),
            num(self.match_weight),
            self.address_tax_year
                .map(|y| y.to_string())
                .unwrap_or_default(),
            cell(&self.street),
            cell(&self.unit),
            cell(&self.city),
            cell(&self.state),
            cell(&self.zip),
            cell(&self.runner_up_tin),
            num(self.runner_up_weight),
            cell(&self.evidence),
            cell(&self.reason),
        ]
    }

    fn unique_key(&self) -> Option<&str> {
        Some(&self.subject_id)
    }
}
