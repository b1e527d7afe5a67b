//! Agencies, their agreements, safeguards and court holds, and the registry of officials who
//! may sign.
//!
//! Everything an agreement decides (which legal paths and statutes, which response fields,
//! the volume limits, how many people approve a release) is configuration held here, never a
//! constant in the gate (RULES.md: "Agreement specific values belong in configuration").

use serde::{Deserialize, Serialize};

use crate::envelope::LegalBasis;

/// The terms agreed with one requesting agency.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
pub struct Agreement {
    /// The agency this agreement is with (registry id).
    pub agency: String,
    /// The legal paths the agency may use: `i2`, `i1`, `i5` (rule 1).
    pub legal_paths: Vec<String>,
    /// The designated federal criminal statutes requests may cite (rule 5), compared
    /// tolerantly (see [`statute_key`]).
    pub statutes: Vec<String>,
    /// Whether each subject must carry a case number (rule 6).
    pub require_case_number: bool,
    /// Whether each subject must carry the date of a final removal order (rule 6).
    pub require_removal_order_date: bool,
    /// The only fields a response may carry (rule 23).
    pub response_fields: Vec<ResponseField>,
    /// Above this many subjects in one request, hold for the disclosure office (rule 35).
    pub max_subjects_per_request: u64,
    /// Above this many subjects per day for the agency, hold (rule 35).
    pub max_subjects_per_day: u64,
    /// Above this many matters attested by one named official, hold (rule 13).
    pub max_matters_per_official: u64,
    /// Above this many records with the same reason text, hold (rule 12).
    pub max_repeated_reason: u64,
    /// How many distinct disclosure officials approve each release: 1 or 2 (rule 20).
    pub release_approvals: u8,
    /// Days after release by which the recipient returns or destroys the data (rule 27).
    pub end_of_use_days: u32,
}

/// A field a response may disclose (rule 23). There is deliberately no variant for income,
/// employer, dependants, bank or household data.
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
pub enum ResponseField {
    /// Delivery line of the last known address.
    Street,
    /// Unit of the last known address.
    Unit,
    /// City of the last known address.
    City,
    /// State of the last known address.
    State,
    /// ZIP of the last known address.
    Zip,
    /// Tax year of the return the address comes from.
    TaxYear,
}

impl ResponseField {
    /// Every field, in response order.
    pub const ALL: [ResponseField; 6] = [
        ResponseField::Street,
        ResponseField::Unit,
        ResponseField::City,
        ResponseField::State,
        ResponseField::Zip,
        ResponseField::TaxYear,
    ];

    /// The key of this field in a response.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseField::Street => "street",
            ResponseField::Unit => "unit",
            ResponseField::City => "city",
            ResponseField::State => "state",
            ResponseField::Zip => "zip",
            ResponseField::TaxYear => "tax_year",
        }
    }
}

/// Why an agreement cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgreementError {
    /// The agency id is empty.
    #[error("the agreement names no agency")]
    NoAgency,
    /// No legal path is allowed.
    #[error("the agreement allows no legal path")]
    NoLegalPaths,
    /// A legal path other than `i2`, `i1`, `i5`.
    #[error("legal path {0:?} is not one of i2, i1, i5")]
    UnknownLegalPath(String),
    /// No designated statute is listed.
    #[error("the agreement lists no designated criminal statute")]
    NoStatutes,
    /// The response schema is empty.
    #[error("the agreement allows no response field")]
    NoResponseFields,
    /// A volume or count limit is zero, so nothing could ever be processed.
    #[error("limit {0} must be at least 1")]
    ZeroLimit(&'static str),
    /// `release_approvals` is neither 1 nor 2.
    #[error("release approvals must be 1 or 2, not {0}")]
    ReleaseApprovals(u8),
    /// End-of-use is due on the day of release or never.
    #[error("end-of-use days must be at least 1")]
    EndOfUseDays,
}

impl Agreement {
    /// Sensible defaults for the (i)(2) written-request path, as in the 2025 agreement:
    /// taxpayer identity only, `8 U.S.C. 1253(a)(1)`, case number and removal order date
    /// required, last known address and its tax year as the only output, at most 500 subjects
    /// per request and 2,000 per day, 50 matters per official, the same reason text on at most
    /// 25 records, two-person release approval, end of use after 90 days.
    pub fn example(agency: &str) -> Agreement {
        Agreement {
            agency: agency.to_owned(),
            legal_paths: vec!["i2".to_owned()],
            statutes: vec!["8 U.S.C. 1253(a)(1)".to_owned()],
            require_case_number: true,
            require_removal_order_date: true,
            response_fields: ResponseField::ALL.to_vec(),
            max_subjects_per_request: 500,
            max_subjects_per_day: 2_000,
            max_matters_per_official: 50,
            max_repeated_reason: 25,
            release_approvals: 2,
            end_of_use_days: 90,
        }
    }

    /// Checks that the agreement can be applied.
    pub fn validate(&self) -> Result<(), AgreementError> {
        if self.agency.trim().is_empty() {
            return Err(AgreementError::NoAgency);
        }
        if self.legal_paths.is_empty() {
            return Err(AgreementError::NoLegalPaths);
        }
        if let Some(p) = self
            .legal_paths
            .iter()
            .find(|p| LegalBasis::parse(p).is_none())
        {
            return Err(AgreementError::UnknownLegalPath(p.clone()));
        }
        if self.statutes.iter().all(|s| statute_key(s).is_empty()) {
            return Err(AgreementError::NoStatutes);
        }
        if self.response_fields.is_empty() {
            return Err(AgreementError::NoResponseFields);
        }
        for (name, value) in [
            ("max_subjects_per_request", self.max_subjects_per_request),
            ("max_subjects_per_day", self.max_subjects_per_day),
            ("max_matters_per_official", self.max_matters_per_official),
            ("max_repeated_reason", self.max_repeated_reason),
        ] {
            if value == 0 {
                return Err(AgreementError::ZeroLimit(name));
            }
        }
        if !matches!(self.release_approvals, 1 | 2) {
            return Err(AgreementError::ReleaseApprovals(self.release_approvals));
        }
        if self.end_of_use_days == 0 {
            return Err(AgreementError::EndOfUseDays);
        }
        Ok(())
    }

    /// Whether the agreement allows this legal path.
    pub fn allows_path(&self, basis: LegalBasis) -> bool {
        self.legal_paths
            .iter()
            .any(|p| LegalBasis::parse(p) == Some(basis))
    }

    /// Whether `statute` is on the agreement's designated list, tolerant of spacing, `§`,
    /// case, and `USC` / `U.S.C.` spelling.
    pub fn allows_statute(&self, statute: &str) -> bool {
        let key = statute_key(statute);
        !key.is_empty() && self.statutes.iter().any(|s| statute_key(s) == key)
    }

    /// Whether a response may carry `field`.
    pub fn allows_field(&self, field: ResponseField) -> bool {
        self.response_fields.contains(&field)
    }
}

/// The comparison key of a statute citation: upper case, without whitespace, dots, `§` and
/// the words `SECTION`/`SEC`, so `8 U.S.C. § 1253(a)(1)`, `8 USC 1253(a)(1)` and
/// `8 u.s.c. §1253 (a) (1)` all give `8USC1253(A)(1)`.
pub fn statute_key(s: &str) -> String {
    let upper = s.to_uppercase().replace("SECTION", "").replace("SEC.", "");
    upper
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '§' | ','))
        .collect()
}

/// A requesting agency as the custodian's registry holds it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
pub struct Agency {
    /// Registry id, as requests name it in [`crate::Envelope::agency`].
    pub id: String,
    /// Full name, matched against the agency a court order names.
    pub name: String,
    /// Postal address, recorded in the accounting of disclosures.
    pub address: String,
    /// The terms that apply to its requests.
    pub agreement: Agreement,
    /// Its safeguards status (rule 25).
    pub safeguards: Safeguards,
    /// A court order suspending disclosures to it, while in force (rule 24).
    pub hold: Option<CourtHold>,
}

/// The recipient agency's safeguards status (rule 25, § 6103(p)(4)).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, schemars::JsonSchema)]
pub struct Safeguards {
    /// A current Safeguard Security Report has been accepted.
    pub ssr_accepted: bool,
    /// Open safeguard findings.
    pub open_findings: u32,
    /// Of those, how many have an accepted Corrective Action Plan with dates.
    pub open_findings_with_accepted_plan: u32,
}

impl Safeguards {
    /// Whether transfers to the agency may happen: an accepted SSR and every open finding
    /// covered by an accepted plan.
    pub fn in_place(&self) -> bool {
        self.ssr_accepted && self.open_findings_with_accepted_plan >= self.open_findings
    }
}

/// A court order restricting disclosures to an agency (rule 24).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
pub struct CourtHold {
    /// The order's reference, stored with every refusal it causes.
    pub order_ref: String,
    /// Since when the order is in force (`YYYY-MM-DD`).
    pub since: String,
}

/// The role of an official who may sign (rule 4).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignerRole {
    /// Head of the federal agency.
    AgencyHead,
    /// Its Inspector General.
    InspectorGeneral,
    /// For the Department of Justice, an official listed in (i)(2)(A).
    DojListedOfficial,
    /// Head of a component rather than the department; legal sufficiency is contested, so a
    /// disclosure officer decides (rule 4, *Centro*).
    ComponentHead,
}

/// An official in the custodian-maintained signer registry (rule 4).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, schemars::JsonSchema)]
pub struct SignerRecord {
    /// Registry id, as requests name it in [`crate::Envelope::signer`].
    pub id: String,
    /// The agency the official signs for.
    pub agency: String,
    /// The official's name.
    pub name: String,
    /// The role that entitles (or may entitle) the official to sign.
    pub role: SignerRole,
    /// Hex of the 32-byte Ed25519 public key.
    pub public_key: String,
    /// Whether the official may sign today (false once they leave office).
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_agreement_is_valid() {
        let a = Agreement::example("DHS-ICE");
        assert_eq!(a.validate(), Ok(()));
        assert!(a.allows_path(LegalBasis::I2));
        assert!(!a.allows_path(LegalBasis::I1));
        assert!(a.allows_field(ResponseField::TaxYear));
    }

    #[test]
    fn statute_spelling_variants_compare_equal() {
        let a = Agreement::example("X");
        for s in [
            "8 U.S.C. 1253(a)(1)",
            "8 USC 1253(a)(1)",
            "8 U.S.C. § 1253(a)(1)",
            "8 u.s.c. §1253 (a) (1)",
            "8  usc  § 1253(A)(1)",
            "8 U.S.C. Section 1253(a)(1)",
        ] {
            assert!(a.allows_statute(s), "{s}");
        }
        for s in [
            "8 U.S.C. 1253(a)(2)",
            "8 U.S.C. 1227",
            "",
            "   ",
            "8 U.S.C. 1253",
        ] {
            assert!(!a.allows_statute(s), "{s}");
        }
    }

    #[test]
    fn invalid_agreements_are_refused_with_the_reason() {
        let ok = Agreement::example("X");
        let mut a = ok.clone();
        a.agency = " ".into();
        assert_eq!(a.validate(), Err(AgreementError::NoAgency));
        let mut a = ok.clone();
        a.legal_paths = vec!["i9".into()];
        assert_eq!(
            a.validate(),
            Err(AgreementError::UnknownLegalPath("i9".into()))
        );
        let mut a = ok.clone();
        a.legal_paths.clear();
        assert_eq!(a.validate(), Err(AgreementError::NoLegalPaths));
        let mut a = ok.clone();
        a.statutes = vec![" ".into()];
        assert_eq!(a.validate(), Err(AgreementError::NoStatutes));
        let mut a = ok.clone();
        a.response_fields.clear();
        assert_eq!(a.validate(), Err(AgreementError::NoResponseFields));
        let mut a = ok.clone();
        a.max_subjects_per_day = 0;
        assert_eq!(
            a.validate(),
            Err(AgreementError::ZeroLimit("max_subjects_per_day"))
        );
        let mut a = ok.clone();
        a.release_approvals = 3;
        assert_eq!(a.validate(), Err(AgreementError::ReleaseApprovals(3)));
        let mut a = ok;
        a.end_of_use_days = 0;
        assert_eq!(a.validate(), Err(AgreementError::EndOfUseDays));
    }

    #[test]
    fn safeguards_need_an_accepted_ssr_and_plans_for_every_finding() {
        let mut s = Safeguards {
            ssr_accepted: true,
            open_findings: 2,
            open_findings_with_accepted_plan: 2,
        };
        assert!(s.in_place());
        s.open_findings_with_accepted_plan = 1;
        assert!(!s.in_place());
        s = Safeguards {
            ssr_accepted: false,
            ..Safeguards::default()
        };
        assert!(!s.in_place());
    }

    #[test]
    fn agreements_round_trip_through_json() {
        let a = Agreement::example("X");
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains("\"tax_year\""));
        assert_eq!(serde_json::from_str::<Agreement>(&json).unwrap(), a);
    }
}
