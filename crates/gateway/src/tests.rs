//! Tests of the gate, rule by rule, and of the 2025–2026 failures RULES.md lists.

use std::collections::BTreeMap;

use crosscheck_contract::Date;
use proptest::prelude::*;

use crate::envelope::tests::{key, request, subject};
use crate::envelope::{CourtOrder, Recipient, public_key_hex};
use crate::*;

/// A registry and counters the gate reads, owned so that a [`Context`] can borrow them.
struct Fixture {
    agency: Agency,
    signer: SignerRecord,
    matters: BTreeMap<String, u64>,
    today_count: u64,
    signature_valid: bool,
    no_agency: bool,
    no_signer: bool,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            agency: Agency {
                id: "DHS-ICE".into(),
                name: "Immigration and Customs Enforcement".into(),
                address: "500 12th St SW, Washington, DC 20536".into(),
                agreement: Agreement::example("DHS-ICE"),
                safeguards: Safeguards {
                    ssr_accepted: true,
                    open_findings: 0,
                    open_findings_with_accepted_plan: 0,
                },
                hold: None,
            },
            signer: SignerRecord {
                id: "sig-1".into(),
                agency: "DHS-ICE".into(),
                name: "Agency Head".into(),
                role: SignerRole::AgencyHead,
                public_key: public_key_hex(&key(7)),
                active: true,
            },
            matters: BTreeMap::new(),
            today_count: 0,
            signature_valid: true,
            no_agency: false,
            no_signer: false,
        }
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            agency: (!self.no_agency).then_some(&self.agency),
            signer: (!self.no_signer).then_some(&self.signer),
            signature_valid: self.signature_valid,
            official_matters: &self.matters,
            agency_subjects_today: self.today_count,
            today: today(),
        }
    }

    fn gate(&self, r: &Request) -> GateReport {
        gate(r, &self.ctx())
    }
}

fn today() -> Date {
    Date::new(2026, 3, 1).unwrap()
}

fn run(r: &Request) -> GateReport {
    Fixture::new().gate(r)
}

fn codes(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.code.as_str()).collect()
}

fn request_codes(report: &GateReport) -> Vec<&str> {
    codes(&report.request)
        .into_iter()
        .filter(|c| *c != "batch_statistics")
        .collect()
}

fn subject_codes(report: &GateReport, i: usize) -> Vec<&str> {
    codes(&report.subjects[i].findings)
}

/// A request with a single subject.
fn one(s: SubjectEntry) -> Request {
    let mut r = request();
    r.subjects = vec![s];
    r
}

/// Gates a single-subject request and returns its subject codes and outcome.
fn decide(s: SubjectEntry) -> (Vec<String>, Outcome) {
    let report = run(&one(s));
    assert!(request_codes(&report).is_empty(), "{:?}", report.request);
    let c = subject_codes(&report, 0)
        .into_iter()
        .map(str::to_owned)
        .collect();
    (c, report.subject_outcome(0))
}

fn with_address(
    street: Option<&str>,
    city: Option<&str>,
    state: Option<&str>,
    zip: Option<&str>,
) -> SubjectEntry {
    SubjectEntry {
        street: street.map(str::to_owned),
        unit: None,
        city: city.map(str::to_owned),
        state: state.map(str::to_owned),
        zip: zip.map(str::to_owned),
        ..subject("S1")
    }
}

fn assert_rejected_with(s: SubjectEntry, code: &str) {
    let (c, outcome) = decide(s);
    assert_eq!(outcome, Outcome::Rejected, "{c:?}");
    assert!(c.iter().any(|x| x == code), "expected {code} in {c:?}");
}

fn assert_accepted(s: SubjectEntry) {
    let (c, outcome) = decide(s);
    assert_eq!(outcome, Outcome::Accepted, "{c:?}");
}

// ----------------------------------------------------------------------------------------
// The whole request

#[test]
fn a_well_formed_request_is_accepted_with_only_a_batch_log() {
    let report = run(&request());
    assert_eq!(report.request_outcome(), Outcome::Accepted);
    assert_eq!(codes(&report.request), ["batch_statistics"]);
    assert_eq!(report.request[0].action, Action::Log);
    for i in 0..report.subjects.len() {
        assert!(
            report.subjects[i].findings.is_empty(),
            "{:?}",
            report.subjects[i]
        );
        assert_eq!(report.subject_outcome(i), Outcome::Accepted);
    }
}

#[test]
fn an_index_beyond_the_report_is_rejected() {
    assert_eq!(run(&request()).subject_outcome(99), Outcome::Rejected);
}

// Rule 1

#[test]
fn a_request_without_a_legal_basis_is_rejected() {
    let mut r = request();
    r.envelope.legal_basis = None;
    let report = run(&r);
    assert_eq!(request_codes(&report), ["no_lawful_basis_declared"]);
    assert_eq!(report.request_outcome(), Outcome::Rejected);
    r.envelope.legal_basis = Some("  ".into());
    assert_eq!(request_codes(&run(&r)), ["no_lawful_basis_declared"]);
}

#[test]
fn an_unsupported_legal_basis_is_rejected() {
    let mut r = request();
    r.envelope.legal_basis = Some("i7".into());
    assert_eq!(request_codes(&run(&r)), ["unsupported_legal_basis"]);
}

#[test]
fn a_legal_basis_the_agreement_does_not_allow_is_rejected() {
    let mut r = request();
    r.envelope.legal_basis = Some("i1".into());
    r.envelope.court_order = Some(order());
    let report = run(&r);
    assert!(request_codes(&report).contains(&"legal_basis_not_in_agreement"));
    assert_eq!(report.request_outcome(), Outcome::Rejected);
}

// Rule 2

#[test]
fn return_content_on_the_written_request_path_requires_a_court_order() {
    for class in ["return", "income", "employer", "dependents"] {
        let mut r = request();
        r.envelope.data_class = Some(class.into());
        let report = run(&r);
        assert_eq!(request_codes(&report), ["requires_court_order"], "{class}");
        assert_eq!(report.request_outcome(), Outcome::Rejected);
    }
}

#[test]
fn a_request_without_a_data_class_is_rejected() {
    let mut r = request();
    r.envelope.data_class = None;
    assert_eq!(request_codes(&run(&r)), ["data_class_missing"]);
}

#[test]
fn taxpayer_identity_may_be_spelled_with_spaces_and_capitals() {
    let mut r = request();
    r.envelope.data_class = Some("Taxpayer Identity".into());
    assert_eq!(run(&r).request_outcome(), Outcome::Accepted);
}

// Rule 3

fn order() -> CourtOrder {
    CourtOrder {
        document_ref: "ORD-2026-17".into(),
        judge: "Hon. A. Judge".into(),
        court_kind: "district".into(),
        agency: "DHS-ICE".into(),
        tax_years: vec!["2023".into(), "2024".into()],
        scope: "last known address and income of the named subjects".into(),
        applicant_official: "Assistant Attorney General".into(),
    }
}

fn court_fixture() -> Fixture {
    let mut fx = Fixture::new();
    fx.agency.agreement.legal_paths = vec!["i2".into(), "i1".into(), "i5".into()];
    fx
}

fn court_request() -> Request {
    let mut r = request();
    r.envelope.legal_basis = Some("i1".into());
    r.envelope.data_class = Some("income".into());
    r.envelope.court_order = Some(order());
    r
}

#[test]
fn a_complete_court_order_is_held_to_confirm_its_authenticity() {
    let report = court_fixture().gate(&court_request());
    assert_eq!(
        request_codes(&report),
        ["court_order_authenticity_unconfirmed"]
    );
    assert_eq!(report.request[0].action, Action::Human);
    assert_eq!(report.request_outcome(), Outcome::Held);
    assert_eq!(report.subject_outcome(0), Outcome::Held);
}

#[test]
fn the_court_order_path_without_an_order_is_rejected() {
    let mut r = court_request();
    r.envelope.court_order = None;
    let report = court_fixture().gate(&r);
    assert_eq!(request_codes(&report), ["court_order_missing"]);
    assert_eq!(report.request_outcome(), Outcome::Rejected);
}

#[test]
fn each_missing_court_order_element_is_named() {
    type Blank = fn(&mut CourtOrder);
    let cases: [(Blank, &str); 7] = [
        (|o| o.document_ref.clear(), "court_order_document_missing"),
        (|o| o.judge.clear(), "court_order_judge_missing"),
        (
            |o| o.court_kind.clear(),
            "court_order_not_district_or_magistrate",
        ),
        (|o| o.agency.clear(), "court_order_agency_missing"),
        (|o| o.tax_years.clear(), "court_order_tax_years_missing"),
        (|o| o.scope = " ".into(), "court_order_scope_missing"),
        (
            |o| o.applicant_official.clear(),
            "court_order_applicant_missing",
        ),
    ];
    for (blank, code) in cases {
        let mut r = court_request();
        if let Some(o) = r.envelope.court_order.as_mut() {
            blank(o);
        }
        let report = court_fixture().gate(&r);
        assert_eq!(
            request_codes(&report),
            [code, "court_order_authenticity_unconfirmed"],
            "{code}"
        );
        assert_eq!(report.request_outcome(), Outcome::Rejected);
    }
}

#[test]
fn a_court_order_from_a_state_court_is_rejected() {
    let mut r = court_request();
    if let Some(o) = r.envelope.court_order.as_mut() {
        o.court_kind = "state superior".into();
    }
    assert!(
        request_codes(&court_fixture().gate(&r))
            .contains(&"court_order_not_district_or_magistrate")
    );
}

#[test]
fn a_magistrate_order_naming_the_agency_by_its_full_name_is_accepted_pending_authenticity() {
    let mut r = court_request();
    if let Some(o) = r.envelope.court_order.as_mut() {
        o.court_kind = "Magistrate".into();
        o.agency = "immigration and customs enforcement".into();
    }
    assert_eq!(
        request_codes(&court_fixture().gate(&r)),
        ["court_order_authenticity_unconfirmed"]
    );
}

#[test]
fn a_court_order_naming_another_agency_is_rejected() {
    let mut r = court_request();
    if let Some(o) = r.envelope.court_order.as_mut() {
        o.agency = "FBI".into();
    }
    assert!(request_codes(&court_fixture().gate(&r)).contains(&"court_order_names_another_agency"));
}

#[test]
fn tax_years_beyond_the_court_order_are_rejected() {
    let mut r = court_request();
    r.envelope.tax_years.push("2022".into());
    assert!(request_codes(&court_fixture().gate(&r)).contains(&"tax_years_outside_court_order"));
}

#[test]
fn return_content_under_a_court_order_is_not_refused_by_rule_2() {
    let report = court_fixture().gate(&court_request());
    assert!(!request_codes(&report).contains(&"requires_court_order"));
}

// Rule 4

#[test]
fn an_unknown_signer_is_rejected() {
    let mut fx = Fixture::new();
    fx.no_signer = true;
    let report = fx.gate(&request());
    assert_eq!(request_codes(&report), ["unknown_signer"]);
    assert_eq!(report.request_outcome(), Outcome::Rejected);
}

#[test]
fn a_signer_record_for_a_different_official_is_rejected() {
    let mut fx = Fixture::new();
    fx.signer.id = "sig-2".into();
    assert_eq!(request_codes(&fx.gate(&request())), ["unknown_signer"]);
}

#[test]
fn an_inactive_signer_is_rejected() {
    let mut fx = Fixture::new();
    fx.signer.active = false;
    assert_eq!(request_codes(&fx.gate(&request())), ["signer_inactive"]);
}

#[test]
fn a_signer_of_another_agency_is_rejected() {
    let mut fx = Fixture::new();
    fx.signer.agency = "FBI".into();
    assert_eq!(
        request_codes(&fx.gate(&request())),
        ["signer_of_another_agency"]
    );
}

#[test]
fn a_bad_signature_is_rejected() {
    let mut fx = Fixture::new();
    fx.signature_valid = false;
    let report = fx.gate(&request());
    assert_eq!(request_codes(&report), ["signature_invalid"]);
    assert_eq!(report.request_outcome(), Outcome::Rejected);
}

#[test]
fn a_tampered_request_fails_verification_and_is_rejected() {
    let signed = sign(request(), &key(7));
    let mut tampered = signed.clone();
    tampered.request.envelope.tax_years = vec!["2019".into()];
    let mut fx = Fixture::new();
    fx.signature_valid = tampered.verify(&fx.signer.public_key);
    assert!(!fx.signature_valid);
    assert_eq!(
        fx.gate(&tampered.request).request_outcome(),
        Outcome::Rejected
    );
    fx.signature_valid = signed.verify(&fx.signer.public_key);
    assert_eq!(
        fx.gate(&signed.request).request_outcome(),
        Outcome::Accepted
    );
}

#[test]
fn a_component_head_signature_is_held_for_disclosure_counsel() {
    let mut fx = Fixture::new();
    fx.signer.role = SignerRole::ComponentHead;
    let report = fx.gate(&request());
    assert_eq!(request_codes(&report), ["signer_heads_component"]);
    assert_eq!(report.request_outcome(), Outcome::Held);
    assert_eq!(report.subject_outcome(1), Outcome::Held);
}

#[test]
fn an_inspector_general_or_a_doj_listed_official_may_sign() {
    for role in [SignerRole::InspectorGeneral, SignerRole::DojListedOfficial] {
        let mut fx = Fixture::new();
        fx.signer.role = role;
        assert_eq!(fx.gate(&request()).request_outcome(), Outcome::Accepted);
    }
}

#[test]
fn an_agency_not_in_the_registry_is_rejected() {
    let mut fx = Fixture::new();
    fx.no_agency = true;
    let report = fx.gate(&request());
    assert!(request_codes(&report).contains(&"unknown_agency"));
    assert_eq!(report.request_outcome(), Outcome::Rejected);
    let mut fx = Fixture::new();
    fx.agency.id = "OTHER".into();
    assert!(request_codes(&fx.gate(&request())).contains(&"unknown_agency"));
}

// Rule 5

#[test]
fn a_request_without_a_statute_is_rejected() {
    let mut r = request();
    r.envelope.statute = None;
    assert_eq!(request_codes(&run(&r)), ["statute_missing"]);
}

#[test]
fn a_civil_provision_is_rejected() {
    let mut r = request();
    r.envelope.statute = Some("8 U.S.C. § 1227(a)(1)".into());
    let report = run(&r);
    assert_eq!(request_codes(&report), ["statute_not_designated"]);
    assert_eq!(report.request_outcome(), Outcome::Rejected);
}

#[test]
fn statute_spelling_variants_are_accepted() {
    for s in [
        "8 USC 1253(a)(1)",
        "8 u.s.c. §1253 (a)(1)",
        "8 U.S.C. 1253(A)(1)",
    ] {
        let mut r = request();
        r.envelope.statute = Some(s.into());
        assert_eq!(run(&r).request_outcome(), Outcome::Accepted, "{s}");
    }
}

// Rule 6

#[test]
fn a_record_without_a_case_number_is_rejected_when_the_agreement_requires_one() {
    for missing in [None, Some(""), Some("N/A")] {
        let s = SubjectEntry {
            case_number: missing.map(str::to_owned),
            ..subject("S1")
        };
        assert_rejected_with(s, "case_number_missing");
    }
}

#[test]
fn a_record_without_a_case_number_passes_when_the_agreement_does_not_require_one() {
    let mut fx = Fixture::new();
    fx.agency.agreement.require_case_number = false;
    let r = one(SubjectEntry {
        case_number: None,
        ..subject("S1")
    });
    assert_eq!(fx.gate(&r).subject_outcome(0), Outcome::Accepted);
}

#[test]
fn a_record_without_a_removal_order_date_is_rejected_when_the_agreement_requires_one() {
    assert_rejected_with(
        SubjectEntry {
            removal_order_date: None,
            ..subject("S1")
        },
        "removal_order_date_missing",
    );
    let mut fx = Fixture::new();
    fx.agency.agreement.require_removal_order_date = false;
    let r = one(SubjectEntry {
        removal_order_date: None,
        ..subject("S1")
    });
    assert_eq!(fx.gate(&r).subject_outcome(0), Outcome::Accepted);
}

#[test]
fn an_impossible_or_future_removal_order_date_is_rejected() {
    for d in ["2024-02-30", "soon", "2026-03-02"] {
        assert_rejected_with(
            SubjectEntry {
                removal_order_date: Some(d.into()),
                ..subject("S1")
            },
            "removal_order_date_invalid",
        );
    }
    assert_accepted(SubjectEntry {
        removal_order_date: Some("03/01/2026".into()),
        ..subject("S1")
    });
}

// Rule 7

#[test]
fn a_bad_record_does_not_reject_the_others() {
    let mut r = request();
    r.subjects[0].street = Some("UNKNOWN ADDRESS".into());
    let report = run(&r);
    assert_eq!(report.subject_outcome(0), Outcome::Rejected);
    assert_eq!(report.subject_outcome(1), Outcome::Accepted);
    assert_eq!(report.request_outcome(), Outcome::Accepted);
}

#[test]
fn an_envelope_defect_rejects_every_record() {
    let mut r = request();
    r.envelope.use_attestation = None;
    let report = run(&r);
    assert!(report.subjects.iter().all(|s| s.findings.is_empty()));
    for i in 0..report.subjects.len() {
        assert_eq!(report.subject_outcome(i), Outcome::Rejected);
        assert_eq!(report.rejection_reasons(i), ["use_attestation_missing"]);
    }
}

#[test]
fn a_request_whose_every_record_is_rejected_is_rejected() {
    let mut r = request();
    for s in &mut r.subjects {
        s.reason = None;
    }
    assert_eq!(run(&r).request_outcome(), Outcome::Rejected);
}

#[test]
fn a_request_naming_no_one_is_rejected() {
    let mut r = request();
    r.subjects.clear();
    let report = run(&r);
    assert!(request_codes(&report).contains(&"no_subjects"));
    assert_eq!(report.request_outcome(), Outcome::Rejected);
}

#[test]
fn records_without_an_id_or_sharing_one_are_rejected() {
    let mut r = request();
    r.subjects[1].subject_id = r.subjects[0].subject_id.clone();
    r.subjects.push(SubjectEntry {
        subject_id: " ".into(),
        ..subject("S3")
    });
    let report = run(&r);
    assert!(subject_codes(&report, 0).contains(&"subject_id_duplicate"));
    assert!(subject_codes(&report, 1).contains(&"subject_id_duplicate"));
    assert!(subject_codes(&report, 2).contains(&"subject_id_missing"));
}

#[test]
fn batch_statistics_are_logged_with_counts_only() {
    let mut r = request();
    r.subjects[0].given_name = Some("FNU".into());
    let report = run(&r);
    let stats = report
        .request
        .iter()
        .find(|f| f.code == "batch_statistics")
        .unwrap();
    assert_eq!(stats.action, Action::Log);
    assert!(
        stats
            .message
            .contains("2 records: 1 passed, 0 held, 1 rejected"),
        "{}",
        stats.message
    );
}

// Rule 8

#[test]
fn placeholder_names_are_rejected() {
    for p in [
        "FNU",
        "LNU",
        "UNKNOWN",
        "N/A",
        "NONE",
        "not applicable",
        "",
        "  ",
        "123",
    ] {
        assert_rejected_with(
            SubjectEntry {
                given_name: Some(p.into()),
                ..subject("S1")
            },
            "given_name_missing",
        );
        assert_rejected_with(
            SubjectEntry {
                family_name: Some(p.into()),
                ..subject("S1")
            },
            "family_name_missing",
        );
    }
}

#[test]
fn a_record_without_a_family_name_is_rejected() {
    assert_rejected_with(
        SubjectEntry {
            family_name: None,
            ..subject("S1")
        },
        "family_name_missing",
    );
}

#[test]
fn real_names_in_any_form_are_accepted() {
    for (g, f) in [
        ("Na", "Li"),
        ("José", "de la Cruz"),
        ("MARY-ANN", "O'Brien"),
        ("bo", "nguyễn văn"),
    ] {
        assert_accepted(SubjectEntry {
            given_name: Some(g.into()),
            family_name: Some(f.into()),
            ..subject("S1")
        });
    }
}

// Rule 9: each refused form as its own test

#[test]
fn failed_to_provide_12345_is_not_an_address() {
    assert_rejected_with(
        with_address(
            Some("Failed to Provide 12345"),
            Some("Springfield"),
            Some("IL"),
            Some("12345"),
        ),
        "address_placeholder",
    );
    assert_rejected_with(
        with_address(
            Some("123 Main St"),
            Some("Springfield"),
            Some("IL"),
            Some("Failed to Provide 12345"),
        ),
        "address_placeholder",
    );
}

#[test]
fn unknown_address_is_not_an_address() {
    assert_rejected_with(
        with_address(
            Some("UNKNOWN ADDRESS"),
            Some("Springfield"),
            Some("IL"),
            Some("62704"),
        ),
        "address_placeholder",
    );
}

#[test]
fn a_bare_zip_with_no_street_is_not_an_address() {
    let (c, outcome) = decide(with_address(None, None, None, Some("62704")));
    assert_eq!(outcome, Outcome::Rejected);
    assert_eq!(
        c.iter().filter(|x| *x == "address_incomplete").count(),
        3,
        "{c:?}"
    );
    // A ZIP written where the street belongs is no better.
    assert_rejected_with(
        with_address(
            Some("62704"),
            Some("Springfield"),
            Some("IL"),
            Some("62704"),
        ),
        "address_street_incomplete",
    );
}

#[test]
fn an_all_zero_street_is_not_an_address() {
    assert_rejected_with(
        with_address(
            Some("00000"),
            Some("Springfield"),
            Some("IL"),
            Some("62704"),
        ),
        "address_street_incomplete",
    );
    assert_rejected_with(
        with_address(
            Some("0000 Main St"),
            Some("Springfield"),
            Some("IL"),
            Some("62704"),
        ),
        "address_street_incomplete",
    );
}

#[test]
fn an_all_zero_zip_is_not_an_address() {
    for z in ["00000", "00000-0000"] {
        assert_rejected_with(
            with_address(
                Some("123 Main St"),
                Some("Springfield"),
                Some("IL"),
                Some(z),
            ),
            "address_zip_all_zero",
        );
    }
}

#[test]
fn n_a_is_not_an_address() {
    assert_rejected_with(
        with_address(Some("N/A"), Some("Springfield"), Some("IL"), Some("62704")),
        "address_placeholder",
    );
    assert_rejected_with(
        with_address(Some("123 Main St"), Some("N/A"), Some("IL"), Some("62704")),
        "address_placeholder",
    );
}

#[test]
fn dont_care_is_not_an_address() {
    assert_rejected_with(
        with_address(
            Some("DON'T CARE"),
            Some("Springfield"),
            Some("IL"),
            Some("62704"),
        ),
        "address_placeholder",
    );
}

#[test]
fn a_street_name_without_a_house_number_is_incomplete() {
    for street in ["Main Street", "Apt 4", "123 Apt 4", "BOX", "PO BOX", "RR 2"] {
        assert_rejected_with(
            with_address(Some(street), Some("Springfield"), Some("IL"), Some("62704")),
            "address_street_incomplete",
        );
    }
}

#[test]
fn a_zip_that_is_not_5_or_9_digits_is_invalid() {
    for z in ["6270", "627041", "6270A", "62704-12"] {
        assert_rejected_with(
            with_address(
                Some("123 Main St"),
                Some("Springfield"),
                Some("IL"),
                Some(z),
            ),
            "address_zip_invalid",
        );
    }
}

#[test]
fn a_state_that_is_no_state_is_rejected() {
    for st in ["ZZ", "Atlantis", "I"] {
        assert_rejected_with(
            with_address(
                Some("123 Main St"),
                Some("Springfield"),
                Some(st),
                Some("62704"),
            ),
            "address_state_invalid",
        );
    }
}

#[test]
fn street_addresses_in_any_format_are_accepted() {
    for (street, city, state, zip) in [
        ("123 Main St", "Springfield", "IL", "62704"),
        ("123 main street apt 4b", "springfield", "il", "62704-1234"),
        ("12B N. Elm Ave #3", "Saint-Louis", "Missouri", "631010000"),
        ("4-5 Calle José Martí", "San Juan", "PR", "00901"),
        ("1600 Pennsylvania Ave NW", "Washington", "D.C.", "20500"),
    ] {
        assert_accepted(with_address(
            Some(street),
            Some(city),
            Some(state),
            Some(zip),
        ));
    }
}

#[test]
fn a_po_box_is_an_address() {
    for street in ["PO BOX 12", "P.O. Box 12", "Post Office Box 12", "POB 12"] {
        assert_accepted(with_address(
            Some(street),
            Some("Springfield"),
            Some("IL"),
            Some("62704"),
        ));
    }
}

#[test]
fn a_rural_route_is_an_address() {
    for street in ["RR 2 BOX 5", "Rural Route 2 Box 5", "HC 1 Box 3"] {
        assert_accepted(with_address(
            Some(street),
            Some("Tinytown"),
            Some("KS"),
            Some("67001"),
        ));
    }
}

#[test]
fn military_addresses_are_addresses() {
    for (street, city, state, zip) in [
        ("PSC 1234 BOX 5678", "APO", "AE", "09012"),
        ("UNIT 2050 BOX 4190", "APO", "AP", "96278"),
        ("PSC 802 Box 74", "FPO", "AE", "09499"),
        ("CMR 450 BOX 1", "DPO", "AA", "34001"),
    ] {
        assert_accepted(with_address(
            Some(street),
            Some(city),
            Some(state),
            Some(zip),
        ));
    }
}

#[test]
fn military_forms_that_do_not_go_together_are_rejected() {
    for (street, city, state) in [
        ("PSC 1234 BOX 5678", "APO", "NY"),
        ("PSC 1234 BOX 5678", "Springfield", "IL"),
        ("123 Main St", "Springfield", "AE"),
    ] {
        assert_rejected_with(
            with_address(Some(street), Some(city), Some(state), Some("09012")),
            "address_military_form_inconsistent",
        );
    }
}

#[test]
fn a_placeholder_unit_is_dropped_without_rejecting_the_record() {
    let s = SubjectEntry {
        unit: Some("N/A".into()),
        ..subject("S1")
    };
    let report = run(&one(s.clone()));
    assert_eq!(subject_codes(&report, 0), ["unit_placeholder_ignored"]);
    assert_eq!(report.subject_outcome(0), Outcome::Accepted);
    assert_eq!(sanitized_subject(&s, &report.subjects[0]).unit, None);
}

// Rule 10

#[test]
fn a_name_and_tin_record_without_an_address_is_rejected() {
    let s = SubjectEntry {
        tin: Some("123-45-6789".into()),
        ..with_address(None, None, None, None)
    };
    let (c, outcome) = decide(s);
    assert_eq!(outcome, Outcome::Rejected);
    assert!(c.contains(&"no_tin_only_path".to_owned()), "{c:?}");
}

#[test]
fn a_valid_tin_does_not_rescue_a_placeholder_address() {
    let s = SubjectEntry {
        tin: Some("123-45-6789".into()),
        ..with_address(
            Some("UNKNOWN"),
            Some("Springfield"),
            Some("IL"),
            Some("62704"),
        )
    };
    let (c, outcome) = decide(s);
    assert_eq!(outcome, Outcome::Rejected);
    assert!(c.contains(&"address_placeholder".to_owned()));
    assert!(c.contains(&"no_tin_only_path".to_owned()));
}

#[test]
fn a_tin_with_a_complete_address_passes_rule_10() {
    assert_accepted(SubjectEntry {
        tin: Some("123-45-6789".into()),
        ..subject("S1")
    });
}

// Rule 11

#[test]
fn a_request_without_tax_years_is_rejected() {
    let mut r = request();
    r.envelope.tax_years.clear();
    assert_eq!(request_codes(&run(&r)), ["tax_years_missing"]);
}

#[test]
fn all_years_is_not_a_specific_tax_year() {
    for y in ["all years", "ALL", "2019-2024", "24", "*"] {
        let mut r = request();
        r.envelope.tax_years = vec!["2024".into(), y.into()];
        let report = run(&r);
        assert_eq!(request_codes(&report), ["tax_year_not_specific"], "{y}");
        assert_eq!(report.request_outcome(), Outcome::Rejected);
    }
}

#[test]
fn a_future_tax_year_is_rejected() {
    let mut r = request();
    r.envelope.tax_years = vec!["2027".into()];
    assert_eq!(request_codes(&run(&r)), ["tax_year_out_of_range"]);
    r.envelope.tax_years = vec!["1900".into()];
    assert_eq!(request_codes(&run(&r)), ["tax_year_out_of_range"]);
    r.envelope.tax_years = vec!["2026".into()];
    assert_eq!(run(&r).request_outcome(), Outcome::Accepted);
}

// Rule 12

#[test]
fn a_record_without_a_reason_is_rejected() {
    for reason in [None, Some(""), Some("N/A"), Some("-")] {
        assert_rejected_with(
            SubjectEntry {
                reason: reason.map(str::to_owned),
                ..subject("S1")
            },
            "reason_missing",
        );
    }
}

fn same_reason_request(n: usize) -> Request {
    let mut r = request();
    r.subjects = (0..n)
        .map(|i| SubjectEntry {
            reason: Some("Subject of an immigration investigation".into()),
            ..subject(&format!("S{i}"))
        })
        .collect();
    r
}

#[test]
fn a_reason_repeated_verbatim_beyond_the_limit_holds_those_records() {
    let mut fx = Fixture::new();
    fx.agency.agreement.max_repeated_reason = 3;
    let mut r = same_reason_request(4);
    r.subjects[3].reason = Some("subject of an immigration investigation.".into());
    let report = fx.gate(&r);
    for i in 0..4 {
        assert_eq!(subject_codes(&report, i), ["reason_repeated_verbatim"]);
        assert_eq!(report.subject_outcome(i), Outcome::Held);
    }
    assert_eq!(report.request_outcome(), Outcome::Held);
}

#[test]
fn a_reason_repeated_up_to_the_limit_passes() {
    let mut fx = Fixture::new();
    fx.agency.agreement.max_repeated_reason = 3;
    assert_eq!(
        fx.gate(&same_reason_request(3)).request_outcome(),
        Outcome::Accepted
    );
}

// Rule 13

#[test]
fn a_request_naming_no_recipient_is_rejected() {
    let mut r = request();
    r.envelope.recipients.clear();
    assert_eq!(request_codes(&run(&r)), ["no_named_recipients"]);
}

#[test]
fn a_recipient_who_does_not_attest_engagement_is_rejected() {
    let mut r = request();
    r.envelope.recipients[0].attests_personal_engagement = false;
    let report = run(&r);
    assert_eq!(
        request_codes(&report),
        ["recipient_engagement_not_attested"]
    );
    assert_eq!(report.request[0].field.as_deref(), Some("recipients[0]"));
}

#[test]
fn a_recipient_without_a_name_is_rejected() {
    let mut r = request();
    r.envelope.recipients[0].name = "  ".into();
    assert_eq!(request_codes(&run(&r)), ["recipient_name_missing"]);
}

#[test]
fn a_recipient_without_an_office_address_is_rejected_for_the_accounting() {
    let mut r = request();
    r.envelope.recipients[0].office_address.clear();
    let report = run(&r);
    assert_eq!(request_codes(&report), ["recipient_office_address_missing"]);
    assert_eq!(report.request[0].rule, 28);
}

#[test]
fn a_recipient_without_a_title_is_only_logged() {
    let mut r = request();
    r.envelope.recipients[0].title.clear();
    let report = run(&r);
    assert_eq!(request_codes(&report), ["recipient_title_missing"]);
    assert_eq!(report.request_outcome(), Outcome::Accepted);
}

#[test]
fn an_official_attested_for_more_matters_than_allowed_is_held() {
    let mut fx = Fixture::new();
    fx.agency.agreement.max_matters_per_official = 50;
    // The name is counted however it is written: 49 before, 2 matters in this request.
    fx.matters.insert("PAT OFFICER".into(), 49);
    let report = fx.gate(&request());
    assert_eq!(request_codes(&report), ["official_matters_over_limit"]);
    assert!(
        report.request[0].message.contains("51 matters"),
        "{}",
        report.request[0].message
    );
    assert_eq!(report.request_outcome(), Outcome::Held);
}

#[test]
fn an_official_up_to_the_matter_limit_passes() {
    let mut fx = Fixture::new();
    fx.agency.agreement.max_matters_per_official = 50;
    fx.matters.insert("Pat Officer".into(), 48);
    assert_eq!(fx.gate(&request()).request_outcome(), Outcome::Accepted);
}

#[test]
fn a_recipient_listed_twice_is_counted_once() {
    let mut fx = Fixture::new();
    fx.agency.agreement.max_matters_per_official = 2;
    let mut r = request();
    let again = Recipient {
        name: "pat  officer".into(),
        ..r.envelope.recipients[0].clone()
    };
    r.envelope.recipients.push(again);
    assert_eq!(fx.gate(&r).request_outcome(), Outcome::Accepted);
}

// Rule 14

#[test]
fn a_request_without_a_use_attestation_is_rejected() {
    let mut r = request();
    r.envelope.use_attestation = None;
    assert_eq!(request_codes(&run(&r)), ["use_attestation_missing"]);
}

#[test]
fn a_use_beyond_the_criminal_investigation_is_rejected() {
    for u in ["civil_enforcement", "criminal_and_civil", "removal"] {
        let mut r = request();
        r.envelope.use_attestation = Some(u.into());
        assert_eq!(
            request_codes(&run(&r)),
            ["use_not_limited_to_criminal_investigation"],
            "{u}"
        );
    }
    let mut r = request();
    r.envelope.use_attestation = Some("Criminal Investigation Only".into());
    assert_eq!(run(&r).request_outcome(), Outcome::Accepted);
}

// Rule 15

fn with_tin(tin: &str, kind: Option<&str>) -> SubjectEntry {
    SubjectEntry {
        tin: Some(tin.into()),
        tin_kind: kind.map(str::to_owned),
        ..subject("S1")
    }
}

#[test]
fn a_malformed_tin_is_dropped_and_the_record_proceeds_on_name_and_address() {
    for (tin, code) in [
        ("000-12-3456", "tin_ssn_area_never_issued"),
        ("666-12-3456", "tin_ssn_area_never_issued"),
        ("123-00-4567", "tin_ssn_group_never_issued"),
        ("123-45-0000", "tin_ssn_serial_never_issued"),
        ("912-12-3456", "tin_outside_itin_ranges"),
        ("12345678", "tin_malformed"),
        ("UNKNOWN", "tin_malformed"),
    ] {
        let s = with_tin(tin, None);
        let report = run(&one(s.clone()));
        assert_eq!(subject_codes(&report, 0), [code], "{tin}");
        let f = &report.subjects[0].findings[0];
        assert_eq!(
            (f.rule, f.action, f.field.as_deref()),
            (15, Action::Reject, Some("tin"))
        );
        assert!(f.drops_field());
        assert_eq!(report.subject_outcome(0), Outcome::Accepted, "{tin}");
        let clean = sanitized_subject(&s, &report.subjects[0]);
        assert_eq!(clean.tin, None);
        assert_eq!(clean.street, s.street);
    }
}

#[test]
fn a_number_claimed_as_an_ssn_but_starting_with_9_is_flagged() {
    let (c, outcome) = decide(with_tin("912-70-3456", Some("SSN")));
    assert_eq!(c, ["tin_claimed_ssn_starts_with_nine"]);
    assert_eq!(outcome, Outcome::Accepted);
}

#[test]
fn itins_and_atins_are_accepted_and_a_kind_mismatch_is_flagged() {
    assert_eq!(
        decide(with_tin("912-70-3456", None)).0,
        Vec::<String>::new()
    );
    assert_eq!(
        decide(with_tin("912-70-3456", Some("itin"))).0,
        Vec::<String>::new()
    );
    assert_eq!(
        decide(with_tin("912-93-3456", Some("ATIN"))).0,
        Vec::<String>::new()
    );
    assert_eq!(
        decide(with_tin("123-45-6789", Some("ITIN"))).0,
        ["tin_kind_mismatch"]
    );
}

#[test]
fn a_bad_tin_does_not_rescue_a_missing_name() {
    let s = SubjectEntry {
        given_name: Some("FNU".into()),
        ..with_tin("000-00-0000", None)
    };
    assert_eq!(decide(s).1, Outcome::Rejected);
}

// Rule 16

#[test]
fn an_invalid_date_of_birth_is_dropped_and_the_record_proceeds() {
    for (dob, code) in [
        ("2023-02-30", "dob_invalid"),
        ("yesterday", "dob_invalid"),
        ("2026-03-02", "dob_implausible"),
        ("1850-01-01", "dob_implausible"),
    ] {
        let s = SubjectEntry {
            dob: Some(dob.into()),
            ..subject("S1")
        };
        let report = run(&one(s.clone()));
        assert_eq!(subject_codes(&report, 0), [code], "{dob}");
        assert_eq!(report.subjects[0].findings[0].rule, 16);
        assert_eq!(report.subject_outcome(0), Outcome::Accepted);
        assert_eq!(sanitized_subject(&s, &report.subjects[0]).dob, None);
    }
}

#[test]
fn a_valid_date_of_birth_in_either_form_is_kept() {
    for dob in ["1984-07-04", "7/4/1984", "2026-03-01"] {
        let s = SubjectEntry {
            dob: Some(dob.into()),
            ..subject("S1")
        };
        let report = run(&one(s.clone()));
        assert!(report.subjects[0].findings.is_empty(), "{dob}");
        assert_eq!(sanitized_subject(&s, &report.subjects[0]), s);
    }
}

// Rule 21

#[test]
fn a_flagged_account_blocks_release_for_a_human_determination() {
    let f = release_checks(true);
    assert_eq!(codes(&f), ["release_needs_i6_determination"]);
    assert_eq!((f[0].rule, f[0].action), (21, Action::Human));
    assert!(release_checks(false).is_empty());
}

// Rule 24

#[test]
fn a_court_hold_suspends_every_disclosure_to_the_agency() {
    let mut fx = Fixture::new();
    fx.agency.hold = Some(CourtHold {
        order_ref: "1:25-cv-01234 ECF 42".into(),
        since: "2025-11-21".into(),
    });
    let report = fx.gate(&request());
    assert_eq!(
        request_codes(&report),
        ["disclosures_suspended_by_court_order"]
    );
    assert_eq!(report.request[0].rule, 24);
    assert!(report.request[0].message.contains("1:25-cv-01234 ECF 42"));
    assert_eq!(report.request_outcome(), Outcome::Rejected);
    assert_eq!(report.subject_outcome(0), Outcome::Rejected);
}

// Rule 25

#[test]
fn an_agency_without_an_accepted_safeguard_report_is_rejected() {
    let mut fx = Fixture::new();
    fx.agency.safeguards.ssr_accepted = false;
    let report = fx.gate(&request());
    assert_eq!(request_codes(&report), ["safeguard_report_not_accepted"]);
    assert_eq!(report.request_outcome(), Outcome::Rejected);
}

#[test]
fn open_safeguard_findings_without_a_plan_are_rejected_and_with_one_pass() {
    let mut fx = Fixture::new();
    fx.agency.safeguards.open_findings = 3;
    fx.agency.safeguards.open_findings_with_accepted_plan = 2;
    assert_eq!(
        request_codes(&fx.gate(&request())),
        ["safeguard_findings_without_plan"]
    );
    fx.agency.safeguards.open_findings_with_accepted_plan = 3;
    assert_eq!(fx.gate(&request()).request_outcome(), Outcome::Accepted);
}

// Rule 35

#[test]
fn a_request_above_the_per_request_limit_is_held() {
    let mut fx = Fixture::new();
    fx.agency.agreement.max_subjects_per_request = 1;
    let report = fx.gate(&request());
    assert_eq!(request_codes(&report), ["request_over_subject_limit"]);
    assert_eq!(report.request_outcome(), Outcome::Held);
    fx.agency.agreement.max_subjects_per_request = 2;
    assert_eq!(fx.gate(&request()).request_outcome(), Outcome::Accepted);
}

#[test]
fn an_agency_above_its_daily_limit_is_held() {
    let mut fx = Fixture::new();
    fx.agency.agreement.max_subjects_per_day = 100;
    fx.today_count = 99;
    let report = fx.gate(&request());
    assert_eq!(request_codes(&report), ["agency_over_daily_limit"]);
    assert_eq!(report.request_outcome(), Outcome::Held);
    fx.today_count = 98;
    assert_eq!(fx.gate(&request()).request_outcome(), Outcome::Accepted);
}

// Rule 22 for the gate: findings never carry personal values.

#[test]
fn findings_never_quote_a_personal_value() {
    let mut r = request();
    let secret = "Zyxwvut";
    r.subjects = vec![SubjectEntry {
        subject_id: "S1".into(),
        given_name: Some(format!("{secret} FNU")),
        middle_name: Some(secret.into()),
        family_name: Some("UNKNOWN".into()),
        dob: Some(format!("{secret}-01-01")),
        street: Some(format!("UNKNOWN {secret}")),
        unit: Some(format!("N/A {secret}")),
        city: Some(format!("{secret} 999")),
        state: Some(secret.into()),
        zip: Some(format!("{secret}1")),
        tin: Some(format!("{secret}-99")),
        tin_kind: Some(secret.into()),
        reason: Some(String::new()),
        case_number: None,
        removal_order_date: Some(secret.into()),
    }];
    r.envelope.recipients[0].name = secret.into();
    let report = run(&r);
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        !json.to_lowercase().contains(&secret.to_lowercase()),
        "{json}"
    );
    assert!(report.subjects[0].findings.len() >= 8);
}

#[test]
fn every_emitted_code_is_in_the_table_with_its_rule_and_action() {
    let mut r = request();
    r.subjects[0].street = Some("N/A".into());
    r.subjects[1].tin = Some("000-12-3456".into());
    r.envelope.statute = None;
    let mut fx = Fixture::new();
    fx.signer.role = SignerRole::ComponentHead;
    let report = fx.gate(&r);
    for f in report
        .request
        .iter()
        .chain(report.subjects.iter().flat_map(|s| &s.findings))
    {
        let code = ReasonCode::parse(&f.code).unwrap();
        assert_eq!((code.rule(), code.action()), (f.rule, f.action));
    }
}

// Proptest: any text in any field

fn any_text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        "\\PC{0,40}".prop_map(Some),
        any::<String>().prop_map(Some),
        "[0-9 -]{0,12}".prop_map(Some),
    ]
}

prop_compose! {
    fn any_subject()(
        id in any::<String>(),
        a in any_text(), b in any_text(), c in any_text(), d in any_text(), e in any_text(),
        f in any_text(), g in any_text(), h in any_text(), i in any_text(), j in any_text(),
        k in any_text(), l in any_text(), m in any_text(), n in any_text(),
    ) -> SubjectEntry {
        SubjectEntry {
            subject_id: id, given_name: a, middle_name: b, family_name: c, dob: d, street: e,
            unit: f, city: g, state: h, zip: i, tin: j, tin_kind: k, reason: l, case_number: m,
            removal_order_date: n,
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_strings_in_any_subject_field_never_panic_the_gate(
        subjects in proptest::collection::vec(any_subject(), 0..4),
        statute in any_text(),
        basis in any_text(),
        years in proptest::collection::vec(any::<String>(), 0..3),
    ) {
        let mut r = request();
        r.subjects = subjects;
        r.envelope.statute = statute;
        r.envelope.legal_basis = basis;
        r.envelope.tax_years = years;
        let report = run(&r);
        prop_assert_eq!(report.subjects.len(), r.subjects.len());
        let _ = report.request_outcome();
        for (i, s) in r.subjects.iter().enumerate() {
            let outcome = report.subject_outcome(i);
            let clean = sanitized_subject(s, &report.subjects[i]);
            prop_assert_eq!(&clean.street, &s.street);
            if outcome == Outcome::Rejected {
                prop_assert!(!report.rejection_reasons(i).is_empty());
            }
            let _ = response::rejected_in(&report, i);
        }
    }

    #[test]
    fn a_well_formed_subject_stays_accepted_whatever_its_neighbours_hold(other in any_subject()) {
        let mut r = request();
        r.subjects = vec![subject("GOOD"), other];
        prop_assume!(r.subjects[1].subject_id.trim() != "GOOD");
        let report = run(&r);
        prop_assert_ne!(report.subject_outcome(0), Outcome::Rejected);
    }
}

// ----------------------------------------------------------------------------------------
// The 2025–2026 failures RULES.md lists, one test each.

mod failures_2025 {
    use super::*;
    use crate::lifecycle::MatchOutcome;

    #[test]
    fn failure_1_zip_shaped_strings_were_honoured_as_addresses() {
        for (street, zip) in [
            (Some("Failed to Provide 12345"), "12345"),
            (Some("Unknown Address"), "12345"),
            (None, "12345"),
            (Some("00000"), "00000"),
        ] {
            let (_, outcome) = decide(with_address(
                street,
                Some("Springfield"),
                Some("IL"),
                Some(zip),
            ));
            assert_eq!(outcome, Outcome::Rejected, "{street:?} {zip}");
        }
    }

    #[test]
    fn failure_2_a_name_and_tin_path_skipped_the_address() {
        let s = SubjectEntry {
            tin: Some("123-45-6789".into()),
            ..with_address(None, None, None, Some("12345"))
        };
        let report = run(&one(s));
        assert_eq!(report.subject_outcome(0), Outcome::Rejected);
        assert!(
            report
                .rejection_reasons(0)
                .contains(&"no_tin_only_path".to_owned())
        );
    }

    #[test]
    fn failure_3_one_official_attested_engagement_in_a_million_matters() {
        let mut fx = Fixture::new();
        fx.matters.insert("Pat Officer".into(), 1_280_000);
        let report = fx.gate(&request());
        assert_eq!(request_codes(&report), ["official_matters_over_limit"]);
        assert_eq!(report.request_outcome(), Outcome::Held);
    }

    #[test]
    fn failure_4_use_was_not_limited_to_the_criminal_investigation() {
        let mut r = request();
        r.envelope.use_attestation = Some("civil_immigration_enforcement".into());
        assert_eq!(run(&r).request_outcome(), Outcome::Rejected);
    }

    #[test]
    fn failure_5_one_bulk_approval_replaced_per_taxpayer_determinations() {
        // The gate decides each record; a volume like 2025's is held before processing.
        let mut r = request();
        r.subjects = (0..600).map(|i| subject(&format!("S{i}"))).collect();
        let report = run(&r);
        assert_eq!(report.subjects.len(), 600);
        assert!(request_codes(&report).contains(&"request_over_subject_limit"));
        assert_eq!(report.request_outcome(), Outcome::Held);
        // No event approves a file: a subject reaches Released only via its own confirmation.
        let queued = SubjectState::Received
            .apply(SubjectEvent::Gated(Outcome::Accepted))
            .unwrap();
        assert!(queued.apply(SubjectEvent::Released).is_err());
        let matched = queued
            .apply(SubjectEvent::Matched {
                outcome: MatchOutcome::Match,
            })
            .unwrap();
        assert!(matched.apply(SubjectEvent::Released).is_err());
        assert!(release_ready(&[SubjectState::Confirmed, matched]).is_err());
    }

    #[test]
    fn failure_6_formatting_variation_changed_the_decision() {
        let plain = subject("S1");
        let messy = SubjectEntry {
            given_name: Some("  ana ".into()),
            family_name: Some("GARCIA-LOPEZ".into()),
            street: Some("123  main   STREET".into()),
            unit: Some("#4b".into()),
            city: Some("SPRINGFIELD".into()),
            state: Some("illinois".into()),
            zip: Some("62704-0001".into()),
            dob: Some("7/4/1984".into()),
            ..subject("S1")
        };
        assert_eq!(decide(plain), decide(messy));
        let mut r = request();
        r.envelope.statute = Some("8 usc §1253 (a)(1)".into());
        assert_eq!(run(&r).request_outcome(), Outcome::Accepted);
    }

    #[test]
    fn failure_7_the_recipients_safeguards_were_not_in_place() {
        let mut fx = Fixture::new();
        fx.agency.safeguards.open_findings = 4;
        assert_eq!(fx.gate(&request()).request_outcome(), Outcome::Rejected);
    }

    #[test]
    fn failure_8_use_had_to_be_stopped_by_court_order() {
        let mut fx = Fixture::new();
        fx.agency.hold = Some(CourtHold {
            order_ref: "stay of 2025-11-21".into(),
            since: "2025-11-21".into(),
        });
        let report = fx.gate(&request());
        assert_eq!(report.request_outcome(), Outcome::Rejected);
        assert_eq!(
            report.rejection_reasons(0),
            ["disclosures_suspended_by_court_order"]
        );
    }

    #[test]
    fn failure_9_shared_surnames_and_households_risked_misidentification() {
        // An ambiguous match waits for a reviewer, a refuted one answers no_information, and a
        // released one can be retracted after a misidentification report.
        let in_review = SubjectState::Queued
            .apply(SubjectEvent::Matched {
                outcome: MatchOutcome::Review,
            })
            .unwrap();
        assert_eq!(in_review, SubjectState::InReview);
        assert!(in_review.apply(SubjectEvent::Released).is_err());
        assert_eq!(
            in_review.apply(SubjectEvent::ReviewerRefuted),
            Ok(SubjectState::Refuted)
        );
        let released = in_review
            .apply(SubjectEvent::ReviewerConfirmed)
            .and_then(|s| s.apply(SubjectEvent::Released))
            .unwrap();
        assert_eq!(
            released.apply(SubjectEvent::Retracted),
            Ok(SubjectState::Retracted)
        );
        assert_eq!(
            serde_json::to_string(&no_information("S1")).unwrap(),
            r#"{"status":"no_information","subject_id":"S1"}"#
        );
    }
}
