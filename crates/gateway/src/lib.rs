//! The gateway domain of crosscheck: may this request be answered, and what is the answer?
//!
//! Pure and synchronous: no I/O, no clock (today arrives as a value), no async runtime. The
//! store and web crates call it; it calls only the contract and linkage crates.
//!
//! - [`envelope`]: the signed request an agency sends — [`Envelope`], [`SubjectEntry`],
//!   [`Request`], its [`Request::canonical_bytes`], and [`SignedRequest::verify`].
//! - [`agreement`]: what the custodian knows about the agency — its [`Agreement`] (legal paths,
//!   statutes, response fields, limits), [`Safeguards`], any [`CourtHold`], and the registry of
//!   officials who may sign ([`SignerRecord`]).
//! - [`mod@gate`]: [`gate()`] decides RULES.md rules 1–16, 24, 25 and 35 and returns a
//!   [`GateReport`] of [`Finding`]s with stable [`ReasonCode`]s; each subject is decided on its
//!   own (rule 7). [`sanitized_subject`] removes rejected fields before matching;
//!   [`release_checks`] is rule 21.
//! - [`lifecycle`]: the request and subject state machines; only a reviewer-confirmed subject
//!   can be released, and [`release_ready`] refuses while any subject is undecided.
//! - [`response`]: what the requester receives — allow-listed disclosures, the uniform
//!   `no_information`, or reason codes.
//!
//! The reason codes, the canonical form and the lifecycle diagrams are documented in
//! `docs/gateway.md`.
//!
//! ```
//! use std::collections::BTreeMap;
//! use crosscheck_contract::Date;
//! use crosscheck_gateway::*;
//!
//! // The agency signs its request.
//! let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
//! let request = Request {
//!     envelope: Envelope {
//!         request_ref: "REQ-1".into(),
//!         agency: "DHS".into(),
//!         legal_basis: Some("i2".into()),
//!         data_class: Some("taxpayer_identity".into()),
//!         statute: Some("8 USC § 1253(a)(1)".into()),
//!         signer: "head-1".into(),
//!         recipients: vec![Recipient {
//!             name: "Pat Agent".into(),
//!             title: "Special Agent".into(),
//!             office_address: "1 Federal Plaza, New York, NY 10278".into(),
//!             attests_personal_engagement: true,
//!         }],
//!         use_attestation: Some("criminal_investigation_only".into()),
//!         tax_years: vec!["2024".into()],
//!         court_order: None,
//!     },
//!     subjects: vec![
//!         SubjectEntry {
//!             subject_id: "S1".into(),
//!             given_name: Some("Ana".into()),
//!             family_name: Some("Garcia Lopez".into()),
//!             street: Some("123 Main St".into()),
//!             city: Some("Springfield".into()),
//!             state: Some("IL".into()),
//!             zip: Some("62704".into()),
//!             reason: Some("Named in removal case A-1; last seen in Springfield".into()),
//!             case_number: Some("A-1".into()),
//!             removal_order_date: Some("2024-03-01".into()),
//!             ..SubjectEntry::default()
//!         },
//!         SubjectEntry {
//!             subject_id: "S2".into(),
//!             given_name: Some("Bo".into()),
//!             family_name: Some("Li".into()),
//!             street: Some("Failed to Provide 12345".into()),
//!             zip: Some("12345".into()),
//!             tin: Some("123-45-6789".into()),
//!             reason: Some("Named in removal case A-2".into()),
//!             case_number: Some("A-2".into()),
//!             removal_order_date: Some("2024-03-01".into()),
//!             ..SubjectEntry::default()
//!         },
//!     ],
//! };
//! let signed = sign(request, &key);
//!
//! // The custodian checks it against its registry.
//! let agency = Agency {
//!     id: "DHS".into(),
//!     name: "Department of Homeland Security".into(),
//!     address: "Washington, DC".into(),
//!     agreement: Agreement::example("DHS"),
//!     safeguards: Safeguards { ssr_accepted: true, open_findings: 0, open_findings_with_accepted_plan: 0 },
//!     hold: None,
//! };
//! let signer = SignerRecord {
//!     id: "head-1".into(),
//!     agency: "DHS".into(),
//!     name: "Agency Head".into(),
//!     role: SignerRole::AgencyHead,
//!     public_key: envelope::public_key_hex(&key),
//!     active: true,
//! };
//! let matters = BTreeMap::new();
//! let ctx = Context {
//!     agency: Some(&agency),
//!     signer: Some(&signer),
//!     signature_valid: signed.verify(&signer.public_key),
//!     official_matters: &matters,
//!     agency_subjects_today: 0,
//!     today: Date::new(2026, 3, 1).unwrap(),
//! };
//! let report = gate(&signed.request, &ctx);
//! assert_eq!(report.request_outcome(), Outcome::Accepted);
//! assert_eq!(report.subject_outcome(0), Outcome::Accepted);
//! // "A zip code is not an address", and there is no TIN-only path.
//! assert_eq!(report.subject_outcome(1), Outcome::Rejected);
//! let answer = response::rejected_in(&report, 1);
//! let json = serde_json::to_string(&answer).unwrap();
//! assert!(json.contains("address_placeholder") && json.contains("no_tin_only_path"));
//! ```

pub mod agreement;
pub mod code;
pub mod envelope;
pub mod gate;
pub mod lifecycle;
pub mod response;

pub use agreement::{
    Agency, Agreement, AgreementError, CourtHold, ResponseField, Safeguards, SignerRecord,
    SignerRole,
};
pub use code::ReasonCode;
pub use envelope::{
    CourtOrder, Envelope, LegalBasis, Recipient, Request, SignedRequest, SubjectEntry, sign,
};
pub use gate::{
    Action, Context, Finding, GateReport, Outcome, SubjectGate, gate, release_checks,
    sanitized_subject,
};
pub use lifecycle::{
    LifecycleError, MatchOutcome, RequestEvent, RequestState, SubjectEvent, SubjectState,
    release_ready,
};
pub use response::{
    LastKnownAddress, ResponseError, SubjectResponse, disclose, no_information, rejected,
};

#[cfg(test)]
mod tests;
