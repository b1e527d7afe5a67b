//! The stable reason codes of the gate, with the rule each one enforces and its action.
//!
//! One table, one place: [`ReasonCode::ALL`] lists every code the gate can emit, and
//! `docs/gateway.md` reproduces it. Codes and descriptions name a defect in the *request*;
//! none says anything about a taxpayer (rule 22).

use crate::gate::Action;

macro_rules! reason_codes {
    ($( $(#[$doc:meta])* $variant:ident = ($code:literal, $rule:literal, $action:ident, $drops:literal, $text:literal), )*) => {
        /// A stable, snake_case reason code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ReasonCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ReasonCode {
            /// Every code, in rule order as written here.
            pub const ALL: &'static [ReasonCode] = &[$(ReasonCode::$variant,)*];

            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(ReasonCode::$variant => $code,)* }
            }

            /// The RULES.md rule the code enforces.
            pub fn rule(self) -> u8 {
                match self { $(ReasonCode::$variant => $rule,)* }
            }

            /// What the gate does when it finds this defect.
            pub fn action(self) -> Action {
                match self { $(ReasonCode::$variant => Action::$action,)* }
            }

            /// Whether the finding drops one field of the subject instead of deciding the
            /// subject (rules 15 and 16; a placeholder unit).
            pub fn drops_field(self) -> bool {
                match self { $(ReasonCode::$variant => $drops,)* }
            }

            /// A one-sentence description of the defect in the request.
            pub fn description(self) -> &'static str {
                match self { $(ReasonCode::$variant => $text,)* }
            }
        }
    };
}

/// The JSON schema of a reason code on the wire: one of [`ReasonCode::ALL`].
pub(crate) fn reason_code_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let codes: Vec<&str> = ReasonCode::ALL.iter().map(|c| c.as_str()).collect();
    schemars::json_schema!({
        "type": "string",
        "description": "A stable reason code naming a defect of the request (docs/gateway.md).",
        "enum": codes,
    })
}

reason_codes! {
    /// Rule 1: no legal basis.
    NoLawfulBasisDeclared = ("no_lawful_basis_declared", 1, Reject, false, "the request declares no legal basis"),
    /// Rule 1: a basis other than i2, i1, i5.
    UnsupportedLegalBasis = ("unsupported_legal_basis", 1, Reject, false, "the declared legal basis is not (i)(2), (i)(1) or (i)(5)"),
    /// Rule 1: a path the agreement does not allow.
    LegalBasisNotInAgreement = ("legal_basis_not_in_agreement", 1, Reject, false, "the agency's agreement does not allow the declared legal basis"),
    /// Rule 2: no data class.
    DataClassMissing = ("data_class_missing", 2, Reject, false, "the request does not state which class of data it asks for"),
    /// Rule 2: return content on the written-request path.
    RequiresCourtOrder = ("requires_court_order", 2, Reject, false, "the data class requested requires a court order under (i)(1); an (i)(2) request may ask for taxpayer identity only"),
    /// Rule 3: no order on a court-order path.
    CourtOrderMissing = ("court_order_missing", 3, Reject, false, "the court-order path is declared but no order is attached"),
    /// Rule 3.
    CourtOrderDocumentMissing = ("court_order_document_missing", 3, Reject, false, "the court order gives no document reference"),
    /// Rule 3.
    CourtOrderJudgeMissing = ("court_order_judge_missing", 3, Reject, false, "the court order names no issuing judge"),
    /// Rule 3.
    CourtOrderNotDistrictOrMagistrate = ("court_order_not_district_or_magistrate", 3, Reject, false, "the court order is not from a federal district or magistrate judge"),
    /// Rule 3.
    CourtOrderAgencyMissing = ("court_order_agency_missing", 3, Reject, false, "the court order names no agency"),
    /// Rule 3.
    CourtOrderNamesAnotherAgency = ("court_order_names_another_agency", 3, Reject, false, "the court order names an agency other than the requester"),
    /// Rule 3.
    CourtOrderTaxYearsMissing = ("court_order_tax_years_missing", 3, Reject, false, "the court order names no taxable periods"),
    /// Rule 3.
    CourtOrderScopeMissing = ("court_order_scope_missing", 3, Reject, false, "the court order states no scope"),
    /// Rule 3.
    CourtOrderApplicantMissing = ("court_order_applicant_missing", 3, Reject, false, "the court order names no authorizing official for the application"),
    /// Rule 3.
    TaxYearsOutsideCourtOrder = ("tax_years_outside_court_order", 3, Reject, false, "the request asks for tax years the court order does not cover"),
    /// Rule 3: a person confirms the order is genuine.
    CourtOrderAuthenticityUnconfirmed = ("court_order_authenticity_unconfirmed", 3, Human, false, "a disclosure officer must confirm the court order is authentic"),
    /// Rule 4: the agency is not in the registry.
    UnknownAgency = ("unknown_agency", 4, Reject, false, "the requesting agency is not in the registry"),
    /// Rule 4.
    UnknownSigner = ("unknown_signer", 4, Reject, false, "the signer is not in the registry of officials who may sign"),
    /// Rule 4.
    SignerInactive = ("signer_inactive", 4, Reject, false, "the signer may no longer sign"),
    /// Rule 4.
    SignerOfAnotherAgency = ("signer_of_another_agency", 4, Reject, false, "the signer signs for a different agency"),
    /// Rule 4.
    SignatureInvalid = ("signature_invalid", 4, Reject, false, "the signature does not verify under the signer's registered key"),
    /// Rule 4: component head, contested (*Centro*).
    SignerHeadsComponent = ("signer_heads_component", 4, Human, false, "the signer heads a component rather than the department; disclosure counsel decides"),
    /// Rule 5.
    StatuteMissing = ("statute_missing", 5, Reject, false, "the request cites no criminal statute"),
    /// Rule 5.
    StatuteNotDesignated = ("statute_not_designated", 5, Reject, false, "the cited statute is not a designated federal criminal statute under the agreement"),
    /// Rule 6.
    CaseNumberMissing = ("case_number_missing", 6, Reject, false, "the record gives no criminal case number"),
    /// Rule 6.
    RemovalOrderDateMissing = ("removal_order_date_missing", 6, Reject, false, "the record gives no final removal order date"),
    /// Rule 6.
    RemovalOrderDateInvalid = ("removal_order_date_invalid", 6, Reject, false, "the record's removal order date is not a valid past date"),
    /// Rule 7: an empty request.
    NoSubjects = ("no_subjects", 7, Reject, false, "the request names no one"),
    /// Rule 7.
    SubjectIdMissing = ("subject_id_missing", 7, Reject, false, "the record has no subject id"),
    /// Rule 7.
    SubjectIdDuplicate = ("subject_id_duplicate", 7, Reject, false, "the subject id is used by more than one record in the request"),
    /// Rule 7: statistics of the batch, logged.
    BatchStatistics = ("batch_statistics", 7, Log, false, "records were decided individually"),
    /// Rule 8.
    GivenNameMissing = ("given_name_missing", 8, Reject, false, "the record's given name is missing or a placeholder"),
    /// Rule 8.
    FamilyNameMissing = ("family_name_missing", 8, Reject, false, "the record's family name is missing or a placeholder"),
    /// Rule 9: an element of the address is missing.
    AddressIncomplete = ("address_incomplete", 9, Reject, false, "an element of the address (delivery line, city, state, ZIP) is missing"),
    /// Rule 9: placeholder text where an address element belongs.
    AddressPlaceholder = ("address_placeholder", 9, Reject, false, "an address element is placeholder text, not an address"),
    /// Rule 9: the delivery line is not one.
    AddressStreetIncomplete = ("address_street_incomplete", 9, Reject, false, "the delivery line is not a house number and street, PO box, rural route or military form"),
    /// Rule 9.
    AddressZipInvalid = ("address_zip_invalid", 9, Reject, false, "the ZIP code is not 5 or 9 digits"),
    /// Rule 9.
    AddressZipAllZero = ("address_zip_all_zero", 9, Reject, false, "the ZIP code is all zeros"),
    /// Rule 9.
    AddressStateInvalid = ("address_state_invalid", 9, Reject, false, "the state is not a US state, territory or military state code"),
    /// Rule 9.
    AddressMilitaryFormInconsistent = ("address_military_form_inconsistent", 9, Reject, false, "APO/FPO/DPO, AA/AE/AP and the military delivery line must go together"),
    /// Rule 9: a placeholder unit is ignored.
    UnitPlaceholderIgnored = ("unit_placeholder_ignored", 9, Log, true, "the unit is placeholder text and is ignored"),
    /// Rule 10.
    NoTinOnlyPath = ("no_tin_only_path", 10, Reject, false, "without a complete address the record cannot proceed on its TIN"),
    /// Rule 11.
    TaxYearsMissing = ("tax_years_missing", 11, Reject, false, "the request names no tax year"),
    /// Rule 11.
    TaxYearNotSpecific = ("tax_year_not_specific", 11, Reject, false, "a taxable period is not a specific four-digit tax year"),
    /// Rule 11.
    TaxYearOutOfRange = ("tax_year_out_of_range", 11, Reject, false, "a tax year is in the future or before 1913"),
    /// Rule 12.
    ReasonMissing = ("reason_missing", 12, Reject, false, "the record states no reason why disclosure is relevant"),
    /// Rule 12.
    ReasonRepeatedVerbatim = ("reason_repeated_verbatim", 12, Human, false, "the same reason text is repeated across more records than the agreement allows"),
    /// Rule 13.
    NoNamedRecipients = ("no_named_recipients", 13, Reject, false, "the request names no recipient officer or employee"),
    /// Rule 13.
    RecipientNameMissing = ("recipient_name_missing", 13, Reject, false, "a recipient has no name"),
    /// Rule 13.
    RecipientEngagementNotAttested = ("recipient_engagement_not_attested", 13, Reject, false, "a recipient does not attest personal and direct engagement"),
    /// Rule 13.
    RecipientTitleMissing = ("recipient_title_missing", 13, Log, false, "a recipient has no title"),
    /// Rule 13.
    OfficialMattersOverLimit = ("official_matters_over_limit", 13, Human, false, "a named recipient would be attested for more matters than the agreement allows"),
    /// Rule 28: accounting needs each recipient's address.
    RecipientOfficeAddressMissing = ("recipient_office_address_missing", 28, Reject, false, "a recipient has no office address for the accounting of disclosures"),
    /// Rule 14.
    UseAttestationMissing = ("use_attestation_missing", 14, Reject, false, "the request carries no use attestation"),
    /// Rule 14.
    UseNotLimitedToCriminalInvestigation = ("use_not_limited_to_criminal_investigation", 14, Reject, false, "the use attestation is not criminal_investigation_only"),
    /// Rule 15.
    TinMalformed = ("tin_malformed", 15, Reject, true, "the TIN is not nine digits"),
    /// Rule 15.
    TinSsnAreaNeverIssued = ("tin_ssn_area_never_issued", 15, Reject, true, "the SSN area is 000 or 666, never issued"),
    /// Rule 15.
    TinSsnGroupNeverIssued = ("tin_ssn_group_never_issued", 15, Reject, true, "the SSN group is 00, never issued"),
    /// Rule 15.
    TinSsnSerialNeverIssued = ("tin_ssn_serial_never_issued", 15, Reject, true, "the SSN serial is 0000, never issued"),
    /// Rule 15.
    TinOutsideItinRanges = ("tin_outside_itin_ranges", 15, Reject, true, "a TIN starting with 9 is outside the ITIN and ATIN ranges"),
    /// Rule 15.
    TinClaimedSsnStartsWithNine = ("tin_claimed_ssn_starts_with_nine", 15, Reject, true, "a number claimed as an SSN starts with 9"),
    /// Rule 15.
    TinKindMismatch = ("tin_kind_mismatch", 15, Reject, true, "the TIN's shape does not match the kind claimed for it"),
    /// Rule 16.
    DobInvalid = ("dob_invalid", 16, Reject, true, "the date of birth is not a calendar date"),
    /// Rule 16.
    DobImplausible = ("dob_implausible", 16, Reject, true, "the date of birth is in the future or more than 120 years ago"),
    /// Rule 21.
    ReleaseNeedsI6Determination = ("release_needs_i6_determination", 21, Human, false, "release is blocked until a disclosure officer documents a (i)(6) determination"),
    /// Rule 24.
    DisclosuresSuspendedByCourtOrder = ("disclosures_suspended_by_court_order", 24, Reject, false, "disclosures to the agency are suspended by court order"),
    /// Rule 25.
    SafeguardReportNotAccepted = ("safeguard_report_not_accepted", 25, Reject, false, "the agency has no current accepted Safeguard Security Report"),
    /// Rule 25.
    SafeguardFindingsWithoutPlan = ("safeguard_findings_without_plan", 25, Reject, false, "the agency has open safeguard findings without an accepted corrective action plan"),
    /// Rule 35.
    RequestOverSubjectLimit = ("request_over_subject_limit", 35, Human, false, "the request names more people than the agreement's per-request limit"),
    /// Rule 35.
    AgencyOverDailyLimit = ("agency_over_daily_limit", 35, Human, false, "the request would take the agency over its daily limit"),
}

impl ReasonCode {
    /// The code with this wire spelling.
    pub fn parse(s: &str) -> Option<ReasonCode> {
        ReasonCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_parse_back() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ReasonCode::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "duplicate {s}");
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{s}"
            );
            assert_eq!(ReasonCode::parse(s), Some(*c));
        }
        assert_eq!(ReasonCode::parse("nope"), None);
    }

    #[test]
    fn the_documented_table_lists_every_code_with_its_rule_and_action() {
        let doc = include_str!("../../../docs/gateway.md");
        for c in ReasonCode::ALL {
            let action = match c.action() {
                Action::Reject => "REJECT",
                Action::Human => "HUMAN",
                Action::Log => "LOG",
            };
            let row = format!("| {} | `{}` | {action}", c.rule(), c.as_str());
            assert!(doc.contains(&row), "docs/gateway.md lacks {row}");
        }
    }

    #[test]
    fn only_rules_15_16_and_the_unit_placeholder_drop_a_field() {
        for c in ReasonCode::ALL {
            let expected = matches!(c.rule(), 15 | 16) || *c == ReasonCode::UnitPlaceholderIgnored;
            assert_eq!(c.drops_field(), expected, "{c}");
        }
    }
}
