//! What the requester receives for each subject.
//!
//! Three shapes, tagged by `status`: `disclosed` (only the agreement's allow-listed fields,
//! rule 23), `no_information` (identical whatever the reason — no match, reviewer refuted —
//! rule 22) and `rejected` (only reason codes naming defects of the request).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::agreement::{Agreement, ResponseField};
use crate::code::ReasonCode;
use crate::envelope::redacted;
use crate::gate::{Action, GateReport, SubjectGate};

/// The last known address of a confirmed taxpayer: the address on the most recent return.
/// Return information: its `Debug` form shows only the tax year.
#[derive(Serialize, Deserialize, Clone, PartialEq, schemars::JsonSchema)]
pub struct LastKnownAddress {
    /// Delivery line.
    pub street: String,
    /// Unit, if the return has one.
    pub unit: Option<String>,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// ZIP code.
    pub zip: String,
    /// Tax year of the return the address comes from.
    pub tax_year: u16,
}

impl std::fmt::Debug for LastKnownAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LastKnownAddress")
            .field("street", &format_args!("[redacted]"))
            .field("unit", &format_args!("{}", redacted(self.unit.as_deref())))
            .field("city", &format_args!("[redacted]"))
            .field("state", &format_args!("[redacted]"))
            .field("zip", &format_args!("[redacted]"))
            .field("tax_year", &self.tax_year)
            .finish()
    }
}

/// The answer about one subject. The `Debug` form of a disclosure names its fields, never
/// their values.
#[derive(Serialize, Deserialize, Clone, PartialEq, schemars::JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SubjectResponse {
    /// A confirmed match: the allow-listed fields only.
    Disclosed {
        /// The requester's reference.
        subject_id: String,
        /// Field name (see [`ResponseField::as_str`]) to value.
        fields: BTreeMap<String, String>,
    },
    /// Nothing is disclosed; says nothing about why.
    NoInformation {
        /// The requester's reference.
        subject_id: String,
    },
    /// The request for this subject was refused.
    Rejected {
        /// The requester's reference.
        subject_id: String,
        /// Reason codes naming defects of the request.
        reasons: Vec<String>,
    },
}

impl std::fmt::Debug for SubjectResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SubjectResponse::Disclosed { subject_id, fields } => f
                .debug_struct("Disclosed")
                .field("subject_id", subject_id)
                .field("fields", &fields.keys().collect::<Vec<_>>())
                .finish(),
            SubjectResponse::NoInformation { subject_id } => f
                .debug_struct("NoInformation")
                .field("subject_id", subject_id)
                .finish(),
            SubjectResponse::Rejected {
                subject_id,
                reasons,
            } => f
                .debug_struct("Rejected")
                .field("subject_id", subject_id)
                .field("reasons", reasons)
                .finish(),
        }
    }
}

/// Why a response may not leave (rules 22 and 23).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// A disclosed field is not in the agreement's allow-list.
    #[error("field {0:?} is not allowed by the agreement")]
    FieldNotAllowed(String),
    /// A rejection carries something other than a known request-defect reason code.
    #[error("a rejection may carry only reason codes")]
    NotAReasonCode,
}

/// The disclosed response: the last known address reduced to the agreement's allow-listed
/// fields (rule 23). An absent unit is omitted.
pub fn disclose(
    agreement: &Agreement,
    subject_id: &str,
    address: &LastKnownAddress,
) -> SubjectResponse {
    let mut fields = BTreeMap::new();
    for field in ResponseField::ALL {
        if !agreement.allows_field(field) {
            continue;
        }
        let value = match field {
            ResponseField::Street => Some(address.street.clone()),
            ResponseField::Unit => address.unit.clone().filter(|u| !u.trim().is_empty()),
            ResponseField::City => Some(address.city.clone()),
            ResponseField::State => Some(address.state.clone()),
            ResponseField::Zip => Some(address.zip.clone()),
            ResponseField::TaxYear => Some(address.tax_year.to_string()),
        };
        if let Some(v) = value {
            fields.insert(field.as_str().to_owned(), v);
        }
    }
    SubjectResponse::Disclosed {
        subject_id: subject_id.to_owned(),
        fields,
    }
}

/// The uniform "no information" response (rule 22): the same bytes whether nothing matched,
/// a reviewer refuted the match, or anything else kept the answer back.
pub fn no_information(subject_id: &str) -> SubjectResponse {
    SubjectResponse::NoInformation {
        subject_id: subject_id.to_owned(),
    }
}

/// The rejection of a subject by its own findings: the reason codes of its rejecting
/// findings (including dropped fields), nothing else. For a rejection that also reflects the
/// envelope use [`rejected_in`].
pub fn rejected(subject_id: &str, gate: &SubjectGate) -> SubjectResponse {
    let mut reasons: Vec<String> = Vec::new();
    for f in &gate.findings {
        if f.action == Action::Reject && !reasons.contains(&f.code) {
            reasons.push(f.code.clone());
        }
    }
    SubjectResponse::Rejected {
        subject_id: subject_id.to_owned(),
        reasons,
    }
}

/// The rejection of subject `index` of a report, carrying the envelope's rejecting codes as
/// well as the subject's. An index out of range gives a rejection without reasons.
pub fn rejected_in(report: &GateReport, index: usize) -> SubjectResponse {
    let subject_id = report
        .subjects
        .get(index)
        .map(|s| s.subject_id.clone())
        .unwrap_or_default();
    SubjectResponse::Rejected {
        subject_id,
        reasons: report.rejection_reasons(index),
    }
}

/// Checks a response before it leaves: disclosed fields must be allow-listed (rule 23) and a
/// rejection may carry only known reason codes (rule 22).
pub fn check_output(
    agreement: &Agreement,
    response: &SubjectResponse,
) -> Result<(), ResponseError> {
    match response {
        SubjectResponse::Disclosed { fields, .. } => {
            for key in fields.keys() {
                let allowed = ResponseField::ALL
                    .into_iter()
                    .any(|f| f.as_str() == key && agreement.allows_field(f));
                if !allowed {
                    return Err(ResponseError::FieldNotAllowed(key.clone()));
                }
            }
            Ok(())
        }
        SubjectResponse::NoInformation { .. } => Ok(()),
        SubjectResponse::Rejected { reasons, .. } => {
            if reasons.iter().all(|r| ReasonCode::parse(r).is_some()) {
                Ok(())
            } else {
                Err(ResponseError::NotAReasonCode)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::Finding;

    fn address() -> LastKnownAddress {
        LastKnownAddress {
            street: "12 ELM ST".into(),
            unit: None,
            city: "SPRINGFIELD".into(),
            state: "IL".into(),
            zip: "62704".into(),
            tax_year: 2024,
        }
    }

    #[test]
    fn disclosure_carries_only_allow_listed_fields() {
        let mut a = Agreement::example("X");
        a.response_fields = vec![ResponseField::City, ResponseField::TaxYear];
        let r = disclose(&a, "S1", &address());
        let SubjectResponse::Disclosed { fields, .. } = &r else {
            panic!("disclosed expected");
        };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["city", "tax_year"]);
        assert_eq!(check_output(&a, &r), Ok(()));
    }

    #[test]
    fn the_full_example_schema_discloses_the_address_and_year() {
        let a = Agreement::example("X");
        let mut addr = address();
        addr.unit = Some("4B".into());
        let json = serde_json::to_value(disclose(&a, "S1", &addr)).unwrap();
        assert_eq!(json["status"], "disclosed");
        assert_eq!(json["fields"]["unit"], "4B");
        assert_eq!(json["fields"]["tax_year"], "2024");
        assert_eq!(json["fields"].as_object().unwrap().len(), 6);
    }

    #[test]
    fn a_response_with_a_field_outside_the_allow_list_is_blocked() {
        let a = Agreement::example("X");
        let r = SubjectResponse::Disclosed {
            subject_id: "S1".into(),
            fields: BTreeMap::from([("employer".to_owned(), "ACME".to_owned())]),
        };
        assert_eq!(
            check_output(&a, &r),
            Err(ResponseError::FieldNotAllowed("employer".into()))
        );
    }

    #[test]
    fn no_information_serialises_identically_for_a_non_match_and_a_refuted_match() {
        let after_no_match = no_information("S9");
        let after_refuted = no_information("S9");
        assert_eq!(
            serde_json::to_string(&after_no_match).unwrap(),
            serde_json::to_string(&after_refuted).unwrap()
        );
        assert_eq!(
            serde_json::to_string(&after_no_match).unwrap(),
            r#"{"status":"no_information","subject_id":"S9"}"#
        );
    }

    #[test]
    fn a_rejection_carries_only_reason_codes() {
        let gate = SubjectGate {
            subject_id: "S1".into(),
            findings: vec![
                Finding::new(ReasonCode::AddressPlaceholder, Some("street")),
                Finding::new(ReasonCode::AddressPlaceholder, Some("city")),
                Finding::new(ReasonCode::ReasonRepeatedVerbatim, Some("reason")),
            ],
        };
        let r = rejected("S1", &gate);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"status":"rejected","subject_id":"S1","reasons":["address_placeholder"]}"#
        );
        assert_eq!(check_output(&Agreement::example("X"), &r), Ok(()));
        let leaky = SubjectResponse::Rejected {
            subject_id: "S1".into(),
            reasons: vec!["no taxpayer with that TIN".into()],
        };
        assert_eq!(
            check_output(&Agreement::example("X"), &leaky),
            Err(ResponseError::NotAReasonCode)
        );
    }

    #[test]
    fn debug_forms_show_no_address_value() {
        let a = address();
        let text = format!("{a:?} {:?}", disclose(&Agreement::example("X"), "S1", &a));
        assert!(text.contains("S1") && text.contains("street"));
        for secret in ["ELM", "SPRINGFIELD", "62704"] {
            assert!(!text.contains(secret), "{text}");
        }
    }

    #[test]
    fn responses_round_trip_through_json() {
        for r in [
            disclose(&Agreement::example("X"), "S1", &address()),
            no_information("S2"),
            SubjectResponse::Rejected {
                subject_id: "S3".into(),
                reasons: vec!["reason_missing".into()],
            },
        ] {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<SubjectResponse>(&json).unwrap(), r);
        }
    }
}
