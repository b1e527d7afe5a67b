//! The authorization matrix (the specification, as plain data) and the rules it encodes.

use std::time::Instant;

use crate::{Action, Authorizer, Decision, PolicyError, Principal, Resource, ResourceKind, Role};

/// The id every test principal has.
const ME: &str = "user-me";
/// Another custodian employee.
const OTHER: &str = "user-other";
/// The requester's agency.
const OWN_AGENCY: &str = "agency-a";
/// Some other agency.
const OTHER_AGENCY: &str = "agency-b";

/// How the resource relates to the principal asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    /// No particular object: `Resource::System`.
    None,
    /// A request of the principal's agency (`agency-a`; for custodian staff just some agency).
    OwnAgency,
    /// A request of another agency.
    OtherAgency,
    /// A request of `agency-a` whose batch the principal configured.
    RequestConfiguredByMe,
    /// A review item in the principal's queue, configured by someone else.
    AssignedToMe,
    /// A review item in someone else's queue.
    AssignedToAnother,
    /// A review item in nobody's queue.
    Unassigned,
    /// A review item in the principal's queue whose batch the principal configured.
    ConfiguredByMe,
    /// A release determined by another reviewer, two approvals required.
    ReleaseDeterminedByAnother,
    /// A release the principal determined, two approvals required.
    ReleaseDeterminedByMe,
    /// A release the principal determined, one approval required.
    ReleaseDeterminedByMeOneApproval,
    /// A release with no recorded determination.
    ReleaseUndetermined,
}

const ALL_RELATIONS: &[Rel] = &[
    Rel::None,
    Rel::OwnAgency,
    Rel::OtherAgency,
    Rel::RequestConfiguredByMe,
    Rel::AssignedToMe,
    Rel::AssignedToAnother,
    Rel::Unassigned,
    Rel::ConfiguredByMe,
    Rel::ReleaseDeterminedByAnother,
    Rel::ReleaseDeterminedByMe,
    Rel::ReleaseDeterminedByMeOneApproval,
    Rel::ReleaseUndetermined,
];

/// One row of the specification: for one action, the relations under which each role is
/// allowed. Everything not listed is denied.
struct Row {
    action: Action,
    requester: &'static [Rel],
    reviewer: &'static [Rel],
    officer: &'static [Rel],
    auditor: &'static [Rel],
    admin: &'static [Rel],
}

impl Row {
    fn allowed(&self, role: Role) -> &'static [Rel] {
        match role {
            Role::Requester => self.requester,
            Role::Reviewer => self.reviewer,
            Role::DisclosureOfficer => self.officer,
            Role::Auditor => self.auditor,
            Role::Admin => self.admin,
        }
    }
}

const NOBODY: &[Rel] = &[];
const SYSTEM: &[Rel] = &[Rel::None];
/// A request of the requester's own agency (configured by anyone).
const OWN_REQUESTS: &[Rel] = &[Rel::OwnAgency, Rel::RequestConfiguredByMe];
/// Every request, of any agency.
const ANY_REQUEST: &[Rel] = &[Rel::OwnAgency, Rel::OtherAgency, Rel::RequestConfiguredByMe];

/// THE SPECIFICATION. Written from DESIGN.md "Who uses it", RULES 20 and 31, independently of
/// policies/crosscheck.cedar; docs/authorization.md shows the same table.
const EXPECTED: &[Row] = &[
    Row {
        action: Action::SubmitRequest,
        requester: SYSTEM,
        reviewer: NOBODY,
        officer: NOBODY,
        auditor: NOBODY,
        admin: NOBODY,
    },
    Row {
        action: Action::ListRequests,
        requester: SYSTEM,
        reviewer: NOBODY,
        officer: SYSTEM,
        auditor: SYSTEM,
        admin: NOBODY,
    },
    Row {
        action: Action::ReadRequest,
        requester: OWN_REQUESTS,
        reviewer: NOBODY,
        officer: ANY_REQUEST,
        auditor: ANY_REQUEST,
        admin: NOBODY,
    },
    Row {
        action: Action::ReadResponse,
        requester: OWN_REQUESTS,
        reviewer: NOBODY,
        officer: NOBODY,
        auditor: NOBODY,
        admin: NOBODY,
    },
    Row {
        action: Action::CertifyEndOfUse,
        requester: OWN_REQUESTS,
        reviewer: NOBODY,
        officer: NOBODY,
        auditor: NOBODY,
        admin: NOBODY,
    },
    Row {
        action: Action::ReportMisidentification,
        requester: OWN_REQUESTS,
        reviewer: NOBODY,
        officer: NOBODY,
        auditor: NOBODY,
        admin: NOBODY,
    },
    Row {
        action: Action::ReadQueue,
        requester: NOBODY,
        reviewer: SYSTEM,
        officer: NOBODY,
        auditor: NOBODY,
        admin: NOBODY,
    },
    Row {
        action: Action::ReadReviewItem,
        requester: NOBODY,
        reviewer: &[Rel::AssignedToMe],
        officer: NOBODY,
        auditor: NOBODY,
        admin: NOBODY,
    },
    Row {
        action: Action::DecideReviewItem,
        requester: NOBODY,
        reviewer: &[Rel::AssignedToMe],
        officer: NOBODY,
        auditor: NOBODY,
        admin: NOBODY,
    },
    Row {
        action: Action::DecideHeldRequest,
        requester: NOBODY,
        reviewer: NOBODY,
        officer: ANY_REQUEST,
        auditor: NOBODY,
        admin: NOBODY,
    },
    Row {
        action: Action::ApproveRelease,
        requester: NOBODY,
        reviewer: NOBODY,
        officer: &[
            Rel::ReleaseDeterminedByAnother,
            Rel::ReleaseDeterminedByMeOneApproval,
        ],
        auditor: NOBODY,
        admin: NOBODY,
    },
    Row {
        action: Action::ManageRegistry,
        requester: NOBODY,
        reviewer: NOBODY,
        officer: SYSTEM,
        auditor: NOBODY,
        admin: SYSTEM,
    },
    Row {
        action: Action::ManageUsers,
        requester: NOBODY,
        reviewer: NOBODY,
        officer: NOBODY,
        auditor: NOBODY,
        admin: SYSTEM,
    },
    Row {
        action: Action::ImportReturns,
        requester: NOBODY,
        reviewer: NOBODY,
        officer: NOBODY,
        auditor: NOBODY,
        admin: SYSTEM,
    },
    Row {
        action: Action::ReadAccounting,
        requester: NOBODY,
        reviewer: NOBODY,
        officer: NOBODY,
        auditor: SYSTEM,
        admin: NOBODY,
    },
    Row {
        action: Action::ReadLedger,
        requester: NOBODY,
        reviewer: NOBODY,
        officer: NOBODY,
        auditor: SYSTEM,
        admin: NOBODY,
    },
    Row {
        action: Action::VerifyLedger,
        requester: NOBODY,
        reviewer: NOBODY,
        officer: NOBODY,
        auditor: SYSTEM,
        admin: NOBODY,
    },
    Row {
        action: Action::SearchTaxpayers,
        requester: NOBODY,
        reviewer: NOBODY,
        officer: NOBODY,
        auditor: NOBODY,
        admin: NOBODY,
    },
];

/// Actions that change state, written out independently of the schema's `changes_state` group.
const STATE_CHANGING: &[Action] = &[
    Action::SubmitRequest,
    Action::CertifyEndOfUse,
    Action::ReportMisidentification,
    Action::DecideReviewItem,
    Action::DecideHeldRequest,
    Action::ApproveRelease,
    Action::ManageRegistry,
    Action::ManageUsers,
    Action::ImportReturns,
];

fn authorizer() -> Authorizer {
    Authorizer::new().expect("the shipped policies load")
}

fn principal(role: Role) -> Principal {
    Principal {
        id: ME.to_owned(),
        role,
        agency: (role == Role::Requester).then(|| OWN_AGENCY.to_owned()),
    }
}

fn request(agency: &str, configured_by: Option<&str>) -> Resource {
    Resource::Request {
        id: "req-1".to_owned(),
        agency: agency.to_owned(),
        configured_by: configured_by.map(str::to_owned),
    }
}

fn review_item(assigned_to: Option<&str>, configured_by: Option<&str>) -> Resource {
    Resource::ReviewItem {
        id: "item-1".to_owned(),
        agency: OWN_AGENCY.to_owned(),
        assigned_to: assigned_to.map(str::to_owned),
        configured_by: configured_by.map(str::to_owned),
    }
}

fn release(determined_by: &[&str], approvals_required: u8) -> Resource {
    Resource::Release {
        request: "req-1".to_owned(),
        agency: OWN_AGENCY.to_owned(),
        determined_by: determined_by.iter().map(|id| (*id).to_owned()).collect(),
        approvals_required,
    }
}

fn resource(rel: Rel) -> Resource {
    match rel {
        Rel::None => Resource::System,
        Rel::OwnAgency => request(OWN_AGENCY, Some(OTHER)),
        Rel::OtherAgency => request(OTHER_AGENCY, Some(OTHER)),
        Rel::RequestConfiguredByMe => request(OWN_AGENCY, Some(ME)),
        Rel::AssignedToMe => review_item(Some(ME), Some(OTHER)),
        Rel::AssignedToAnother => review_item(Some(OTHER), Some(OTHER)),
        Rel::Unassigned => review_item(None, None),
        Rel::ConfiguredByMe => review_item(Some(ME), Some(ME)),
        Rel::ReleaseDeterminedByAnother => release(&[OTHER], 2),
        Rel::ReleaseDeterminedByMe => release(&[ME], 2),
        Rel::ReleaseDeterminedByMeOneApproval => release(&[ME], 1),
        Rel::ReleaseUndetermined => release(&[], 1),
    }
}

fn denied_by(decision: &Decision, policy: &str) -> bool {
    !decision.allowed && decision.reasons.iter().any(|id| id == policy)
}

#[test]
fn every_action_has_exactly_one_row_in_the_expected_table() {
    for action in Action::ALL {
        let rows = EXPECTED.iter().filter(|row| row.action == *action).count();
        assert_eq!(
            rows, 1,
            "{action} has {rows} rows in EXPECTED; it needs exactly one"
        );
    }
    assert_eq!(EXPECTED.len(), Action::ALL.len());
}

#[test]
fn every_role_action_and_relation_is_decided_as_the_table_says() {
    let authorizer = authorizer();
    let mut mismatches = Vec::new();
    let mut cases = 0;
    for row in EXPECTED {
        for role in Role::ALL {
            for rel in ALL_RELATIONS {
                cases += 1;
                let on = resource(*rel);
                let decision = authorizer.decide(&principal(*role), row.action, &on);
                let expected = row.allowed(*role).contains(rel);
                if decision.allowed != expected {
                    mismatches.push(format!(
                        "{role} {action} on {rel:?}: expected {expected}, got {decision:?}",
                        action = row.action
                    ));
                }
                // A resource of the action's kind is decided cleanly; any other kind is
                // refused with an error, never evaluated.
                let fits = on.kind() == row.action.resource_kind();
                if fits != decision.errors.is_empty() {
                    mismatches.push(format!(
                        "{role} {action} on {rel:?}: kind fits = {fits}, but errors = {errors:?}",
                        action = row.action,
                        errors = decision.errors
                    ));
                }
                if decision.allowed && decision.reasons.is_empty() {
                    mismatches.push(format!(
                        "{role} {action} on {rel:?}: allowed without a reason",
                        action = row.action
                    ));
                }
            }
        }
    }
    assert_eq!(
        cases,
        Role::ALL.len() * Action::ALL.len() * ALL_RELATIONS.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {cases} cases differ from EXPECTED:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn authorizer_new_succeeds_and_loads_every_shipped_policy() {
    let ids = authorizer().policy_ids();
    assert_eq!(
        ids,
        [
            "admin-manage-users-registry-imports",
            "admin-no-personal-content",
            "auditor-never-changes-state",
            "auditor-read-accounting-and-ledger",
            "auditor-read-requests",
            "no-release-without-determination",
            "no-review-of-own-configuration",
            "nobody-searches-taxpayers",
            "officer-approve-release",
            "officer-decide-held-requests",
            "officer-manage-registry",
            "officer-read-requests",
            "requester-never-other-agency",
            "requester-only-requester-actions",
            "requester-own-agency-requests",
            "requester-submit-and-list",
            "review-item-only-in-own-queue",
            "reviewer-assigned-items",
            "reviewer-read-queue",
            "second-person-rule",
        ]
    );
}

#[test]
fn every_shipped_policy_cites_its_source_in_the_comment_above_it() {
    let lines: Vec<&str> = crate::SHIPPED_POLICIES.lines().collect();
    let mut seen = 0;
    for (at, line) in lines.iter().enumerate() {
        if !line.starts_with("@id(") {
            continue;
        }
        seen += 1;
        let comment: Vec<&str> = lines[..at]
            .iter()
            .rev()
            .take_while(|l| l.starts_with("//"))
            .copied()
            .collect();
        let cites = comment
            .iter()
            .any(|l| l.contains("DESIGN.md") || l.contains("RULES"));
        assert!(
            cites,
            "{line} has no comment citing DESIGN.md or RULES: {comment:?}"
        );
    }
    assert_eq!(seen, authorizer().policy_ids().len());
}

#[test]
fn the_authorization_guide_names_every_shipped_policy() {
    let guide = include_str!("../../../docs/authorization.md");
    for id in authorizer().policy_ids() {
        assert!(
            guide.contains(&format!("`{id}`")),
            "docs/authorization.md misses `{id}`"
        );
    }
}

#[test]
fn requester_can_never_read_another_agencys_request() {
    let authorizer = authorizer();
    let requester = principal(Role::Requester);
    for action in [
        Action::ReadRequest,
        Action::ReadResponse,
        Action::CertifyEndOfUse,
        Action::ReportMisidentification,
    ] {
        let decision = authorizer.decide(&requester, action, &request(OTHER_AGENCY, None));
        assert!(
            denied_by(&decision, "requester-never-other-agency"),
            "{action}: {decision:?}"
        );
        let decision = authorizer.decide(&requester, action, &request(OWN_AGENCY, None));
        assert!(decision.allowed, "{action}: {decision:?}");
    }
}

#[test]
fn requester_without_an_agency_reads_no_request() {
    let authorizer = authorizer();
    let requester = Principal {
        agency: None,
        ..principal(Role::Requester)
    };
    let decision = authorizer.decide(&requester, Action::ReadRequest, &request(OWN_AGENCY, None));
    assert!(
        denied_by(&decision, "requester-never-other-agency"),
        "{decision:?}"
    );
    assert!(
        authorizer
            .decide(&requester, Action::SubmitRequest, &Resource::System)
            .allowed
    );
}

#[test]
fn requester_never_touches_custodian_data() {
    let authorizer = authorizer();
    let requester = principal(Role::Requester);
    for action in [
        Action::ReadQueue,
        Action::SearchTaxpayers,
        Action::ReadAccounting,
    ] {
        let decision = authorizer.decide(&requester, action, &Resource::System);
        assert!(
            denied_by(&decision, "requester-only-requester-actions"),
            "{decision:?}"
        );
    }
    let decision = authorizer.decide(
        &requester,
        Action::ReadReviewItem,
        &review_item(Some(ME), None),
    );
    assert!(
        denied_by(&decision, "requester-only-requester-actions"),
        "{decision:?}"
    );
}

#[test]
fn reviewer_cannot_open_an_item_not_assigned_to_them() {
    let authorizer = authorizer();
    let reviewer = principal(Role::Reviewer);
    for item in [review_item(Some(OTHER), None), review_item(None, None)] {
        for action in [Action::ReadReviewItem, Action::DecideReviewItem] {
            let decision = authorizer.decide(&reviewer, action, &item);
            assert!(
                denied_by(&decision, "review-item-only-in-own-queue"),
                "{decision:?}"
            );
        }
    }
    let decision = authorizer.decide(
        &reviewer,
        Action::ReadReviewItem,
        &review_item(Some(ME), None),
    );
    assert!(decision.allowed, "{decision:?}");
    assert_eq!(decision.reasons, ["reviewer-assigned-items"]);
}

#[test]
fn reviewer_cannot_decide_an_item_of_a_request_they_configured() {
    let authorizer = authorizer();
    let item = review_item(Some(ME), Some(ME));
    for role in Role::ALL {
        for action in [Action::ReadReviewItem, Action::DecideReviewItem] {
            let decision = authorizer.decide(&principal(*role), action, &item);
            assert!(!decision.allowed, "{role} {action}: {decision:?}");
        }
    }
    let decision = authorizer.decide(&principal(Role::Reviewer), Action::DecideReviewItem, &item);
    assert_eq!(decision.reasons, ["no-review-of-own-configuration"]);
}

#[test]
fn officer_cannot_be_the_second_approver_of_their_own_determination_when_two_are_required() {
    let authorizer = authorizer();
    let officer = principal(Role::DisclosureOfficer);
    for required in [2, 3, u8::MAX] {
        for determined_by in [&[ME][..], &[OTHER, ME][..]] {
            let decision = authorizer.decide(
                &officer,
                Action::ApproveRelease,
                &release(determined_by, required),
            );
            assert!(denied_by(&decision, "second-person-rule"), "{decision:?}");
        }
        let decision = authorizer.decide(
            &officer,
            Action::ApproveRelease,
            &release(&[OTHER], required),
        );
        assert!(decision.allowed, "{decision:?}");
    }
}

#[test]
fn officer_can_approve_their_own_determination_when_one_approval_is_required() {
    let authorizer = authorizer();
    let officer = principal(Role::DisclosureOfficer);
    for required in [0, 1] {
        let decision =
            authorizer.decide(&officer, Action::ApproveRelease, &release(&[ME], required));
        assert!(decision.allowed, "{decision:?}");
        assert_eq!(decision.reasons, ["officer-approve-release"]);
    }
}

#[test]
fn release_without_a_recorded_determination_is_refused() {
    let authorizer = authorizer();
    let officer = principal(Role::DisclosureOfficer);
    let decision = authorizer.decide(&officer, Action::ApproveRelease, &release(&[], 1));
    assert!(
        denied_by(&decision, "no-release-without-determination"),
        "{decision:?}"
    );
}

#[test]
fn nobody_can_search_taxpayers() {
    let authorizer = authorizer();
    for role in Role::ALL {
        let decision = authorizer.decide(
            &principal(*role),
            Action::SearchTaxpayers,
            &Resource::System,
        );
        assert!(
            denied_by(&decision, "nobody-searches-taxpayers"),
            "{role}: {decision:?}"
        );
    }
}

#[test]
fn auditor_changes_nothing() {
    let authorizer = authorizer();
    let auditor = principal(Role::Auditor);
    for action in STATE_CHANGING {
        for rel in ALL_RELATIONS {
            let on = resource(*rel);
            let decision = authorizer.decide(&auditor, *action, &on);
            assert!(!decision.allowed, "{action} on {rel:?}: {decision:?}");
            if on.kind() == action.resource_kind() {
                assert!(
                    denied_by(&decision, "auditor-never-changes-state"),
                    "{decision:?}"
                );
            }
        }
    }
}

#[test]
fn admin_sees_no_review_items_responses_or_accounting() {
    let authorizer = authorizer();
    let admin = principal(Role::Admin);
    let cases = [
        (Action::ReadQueue, Resource::System),
        (Action::ReadReviewItem, review_item(Some(ME), None)),
        (Action::DecideReviewItem, review_item(Some(ME), None)),
        (Action::ReadResponse, request(OWN_AGENCY, None)),
        (Action::ReadAccounting, Resource::System),
    ];
    for (action, on) in cases {
        let decision = authorizer.decide(&admin, action, &on);
        assert!(
            denied_by(&decision, "admin-no-personal-content"),
            "{action}: {decision:?}"
        );
    }
}

#[test]
fn a_resource_of_the_wrong_kind_is_denied_with_an_error() {
    let decision = authorizer().decide(
        &principal(Role::DisclosureOfficer),
        Action::ApproveRelease,
        &request(OWN_AGENCY, None),
    );
    assert!(!decision.allowed);
    assert!(decision.reasons.is_empty());
    assert_eq!(decision.errors.len(), 1, "{decision:?}");
    assert!(
        decision.errors[0].contains("approve_release"),
        "{decision:?}"
    );
}

#[test]
fn hostile_ids_and_agencies_are_decided_without_panicking() {
    let authorizer = authorizer();
    let hostile = [
        "",
        "\"",
        "\\",
        "a\"::b",
        "Crosscheck::User::\"user-me\"",
        "\u{0}",
        "\u{202e}rtl",
        "名前",
        &"x".repeat(10_000),
    ];
    for text in hostile {
        for role in Role::ALL {
            let who = Principal {
                id: text.to_owned(),
                role: *role,
                agency: Some(text.to_owned()),
            };
            let on = [
                Resource::Request {
                    id: text.to_owned(),
                    agency: text.to_owned(),
                    configured_by: Some(text.to_owned()),
                },
                Resource::ReviewItem {
                    id: text.to_owned(),
                    agency: text.to_owned(),
                    assigned_to: Some(text.to_owned()),
                    configured_by: None,
                },
                Resource::Release {
                    request: text.to_owned(),
                    agency: text.to_owned(),
                    determined_by: vec![text.to_owned(), text.to_owned()],
                    approvals_required: 2,
                },
            ];
            for resource in &on {
                for action in Action::ALL {
                    let decision = authorizer.decide(&who, *action, resource);
                    if resource.kind() == action.resource_kind() {
                        assert!(decision.errors.is_empty(), "{decision:?}");
                    }
                }
            }
        }
    }
    // An id is compared as a whole string: "user-me" is not "Crosscheck::User::\"user-me\"".
    let decision = authorizer.decide(
        &principal(Role::Reviewer),
        Action::ReadReviewItem,
        &review_item(Some("Crosscheck::User::\"user-me\""), None),
    );
    assert!(!decision.allowed);
}

#[test]
fn forbid_beats_permit_and_the_default_is_deny() {
    let authorizer = Authorizer::from_text(
        r#"
        @id("everyone-everything")
        permit (principal, action, resource);

        @id("no-imports")
        forbid (principal, action == Crosscheck::Action::"import_returns", resource);
        "#,
    )
    .expect("valid policies");
    let admin = principal(Role::Admin);
    let decision = authorizer.decide(&admin, Action::ImportReturns, &Resource::System);
    assert_eq!(
        decision,
        Decision {
            allowed: false,
            reasons: vec!["no-imports".to_owned()],
            errors: vec![],
        }
    );
    assert!(
        authorizer
            .decide(&admin, Action::ManageUsers, &Resource::System)
            .allowed
    );

    let narrow = Authorizer::from_text(
        r#"@id("only-ledger") permit (principal, action == Crosscheck::Action::"read_ledger", resource);"#,
    )
    .expect("valid policies");
    let decision = narrow.decide(&admin, Action::ManageUsers, &Resource::System);
    assert!(!decision.allowed);
    assert!(
        decision.reasons.is_empty() && decision.errors.is_empty(),
        "{decision:?}"
    );
}

#[test]
fn malformed_policy_text_gives_a_parse_error_naming_the_problem() {
    let err = Authorizer::from_text(r#"@id("x") permit (principal, action, resource"#)
        .expect_err("unterminated policy");
    let PolicyError::Parse { message } = &err else {
        panic!("expected a parse error, got {err:?}");
    };
    assert!(message.contains("unexpected end of input"), "{message}");
    assert!(
        err.to_string()
            .starts_with("the policy text does not parse"),
        "{err}"
    );

    let err = Authorizer::from_text(r#"@id("x") permt (principal, action, resource);"#)
        .expect_err("misspelt effect");
    assert!(err.to_string().contains("permt"), "{err}");
}

#[test]
fn misspelt_action_role_or_attribute_is_a_validation_error_naming_the_policy() {
    let cases = [
        (
            r#"@id("typo-action") permit (principal, action == Crosscheck::Action::"aprove_release", resource);"#,
            "aprove_release",
        ),
        (
            r#"@id("typo-role") permit (principal in Crosscheck::Role::"reviwer", action, resource);"#,
            "reviwer",
        ),
        (
            r#"@id("typo-attribute") permit (principal, action == Crosscheck::Action::"read_review_item", resource)
               when { resource.asigned_to == principal };"#,
            "asigned_to",
        ),
        (
            r#"@id("unguarded-optional") permit (principal, action == Crosscheck::Action::"read_review_item", resource)
               when { resource.assigned_to == principal };"#,
            "assigned_to",
        ),
    ];
    for (text, word) in cases {
        let err = Authorizer::from_text(text).expect_err(word);
        let PolicyError::Validation { problems } = &err else {
            panic!("expected a validation error for {word}, got {err:?}");
        };
        let all = problems.join("; ");
        assert!(all.contains(word), "{word}: {all}");
        let id = text.split('"').nth(1).expect("the case has an @id");
        assert!(all.contains(id), "{id}: {all}");
    }
}

#[test]
fn policies_without_a_unique_id_templates_and_empty_text_are_refused() {
    let err = Authorizer::from_text(
        r#"@id("a") permit (principal, action, resource);
           forbid (principal, action, resource);"#,
    )
    .expect_err("second policy has no id");
    assert_eq!(err, PolicyError::MissingId { position: 1 });

    let err = Authorizer::from_text(
        r#"@id("a") permit (principal, action, resource);
           @id("a") forbid (principal, action, resource);"#,
    )
    .expect_err("duplicate id");
    assert_eq!(err, PolicyError::DuplicateId { id: "a".to_owned() });

    let err =
        Authorizer::from_text(r#"@id("t") permit (principal == ?principal, action, resource);"#)
            .expect_err("template");
    assert_eq!(err, PolicyError::Template { id: "t".to_owned() });

    let err = Authorizer::from_text("// nothing here\n").expect_err("empty");
    assert_eq!(err, PolicyError::Empty);
}

#[test]
fn role_and_action_names_round_trip_through_parse_and_serde() {
    for role in Role::ALL {
        assert_eq!(Role::parse(role.as_str()), Ok(*role));
        assert_eq!(role.as_str().parse::<Role>(), Ok(*role));
        let json = serde_json::to_string(role).expect("serialises");
        assert_eq!(json, format!("\"{}\"", role.as_str()));
    }
    for action in Action::ALL {
        assert_eq!(Action::parse(action.as_str()), Ok(*action));
        let json = serde_json::to_string(action).expect("serialises");
        assert_eq!(json, format!("\"{}\"", action.as_str()));
    }
    assert_eq!(
        Role::parse("Reviewer"),
        Err(PolicyError::UnknownRole {
            given: "Reviewer".to_owned()
        })
    );
    assert_eq!(
        Action::parse(""),
        Err(PolicyError::UnknownAction {
            given: String::new()
        })
    );
}

#[test]
fn resources_serialise_with_a_kind_tag() {
    let json = serde_json::to_value(review_item(Some(ME), None)).expect("serialises");
    assert_eq!(json["kind"], "review_item");
    let back: Resource = serde_json::from_value(json).expect("deserialises");
    assert_eq!(back, review_item(Some(ME), None));
    assert_eq!(Resource::System.kind(), ResourceKind::System);
}

#[test]
fn authorizer_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Authorizer>();
}

/// Prints the cost of one decision; run with
/// `cargo test -p crosscheck-policy --release -- --ignored --nocapture decision_speed`.
#[test]
#[ignore = "a measurement, not a check; run by hand and copy the figure to docs/authorization.md"]
#[expect(clippy::print_stdout, reason = "the measurement is the output")]
fn decision_speed() {
    let authorizer = authorizer();
    let cases: Vec<(Principal, Action, Resource)> = EXPECTED
        .iter()
        .flat_map(|row| {
            Role::ALL.iter().flat_map(move |role| {
                ALL_RELATIONS
                    .iter()
                    .filter(move |rel| resource(**rel).kind() == row.action.resource_kind())
                    .map(move |rel| (principal(*role), row.action, resource(*rel)))
            })
        })
        .collect();
    let rounds = 200;
    let mut allowed = 0usize;
    let start = Instant::now();
    for _ in 0..rounds {
        for (who, action, on) in &cases {
            allowed += usize::from(authorizer.decide(who, *action, on).allowed);
        }
    }
    let elapsed = start.elapsed();
    let decisions = rounds * cases.len();
    let micros = elapsed.as_secs_f64() * 1e6 / decisions as f64;
    println!(
        "{decisions} decisions ({allowed} allowed) in {elapsed:?}: {micros:.1} µs per decision"
    );
}

#[test]
fn the_entities_built_for_every_case_conform_to_the_schema() {
    let authorizer = authorizer();
    for role in Role::ALL {
        for who in [
            principal(*role),
            Principal {
                agency: Some(OTHER_AGENCY.to_owned()),
                ..principal(*role)
            },
            Principal {
                agency: None,
                ..principal(*role)
            },
        ] {
            for action in Action::ALL {
                for rel in ALL_RELATIONS {
                    let (entities, _) = authorizer
                        .entities(&who, *action, &resource(*rel))
                        .expect("entities build");
                    let checked =
                        cedar_policy::Entities::from_entities(entities, Some(authorizer.schema()));
                    assert!(checked.is_ok(), "{role} {action} {rel:?}: {checked:?}");
                }
            }
        }
    }
}

#[test]
fn a_policy_that_can_never_apply_is_refused() {
    let err = Authorizer::from_text(
        r#"@id("impossible") permit (
            principal,
            action == Crosscheck::Action::"list_requests",
            resource is Crosscheck::Request
        );"#,
    )
    .expect_err("list_requests applies to System only");
    assert!(matches!(err, PolicyError::Validation { .. }), "{err:?}");
    assert!(err.to_string().contains("impossible"), "{err}");
}

#[test]
fn a_forbid_that_fails_to_evaluate_still_denies() {
    // Cedar alone would skip the overflowing forbid and allow; crosscheck fails closed.
    let authorizer = Authorizer::from_text(
        r#"
        @id("everyone-everything")
        permit (principal, action, resource);

        @id("overflows")
        forbid (principal, action, resource is Crosscheck::Release)
        when { resource.approvals_required * 9223372036854775807 > 0 };
        "#,
    )
    .expect("valid policies");
    let decision = authorizer.decide(
        &principal(Role::DisclosureOfficer),
        Action::ApproveRelease,
        &release(&[OTHER], 2),
    );
    assert!(!decision.allowed, "{decision:?}");
    assert_eq!(decision.reasons, ["overflows"]);
    assert_eq!(decision.errors.len(), 1, "{decision:?}");
}
