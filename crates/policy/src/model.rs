//! The vocabulary of authorization: who ([`Principal`], [`Role`]), does what ([`Action`]), to
//! what ([`Resource`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::PolicyError;

/// What a signed-in user is in crosscheck; the rows of DESIGN.md "Who uses it".
///
/// The names (`as_str`, serde) are snake_case and are also the ids of the Cedar
/// `Crosscheck::Role` entities the policies test with `principal in Crosscheck::Role::"…"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An analyst or system of a requesting (law-enforcement) agency.
    Requester,
    /// A custodian employee who confirms or rejects candidate matches in their queue.
    Reviewer,
    /// A custodian disclosure officer: legal sufficiency, release approval, registry, holds.
    DisclosureOfficer,
    /// Oversight: reads the accounting and verifies the ledger; changes nothing.
    Auditor,
    /// The operator: users, registry, imports; never personal content.
    Admin,
}

impl Role {
    /// Every role, in declaration order.
    pub const ALL: &'static [Role] = &[
        Role::Requester,
        Role::Reviewer,
        Role::DisclosureOfficer,
        Role::Auditor,
        Role::Admin,
    ];

    /// The role's stable name: `requester`, `reviewer`, `disclosure_officer`, `auditor`, `admin`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Reviewer => "reviewer",
            Role::DisclosureOfficer => "disclosure_officer",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    /// The role named `name` (exactly as [`Role::as_str`] spells it).
    ///
    /// # Errors
    /// [`PolicyError::UnknownRole`] for any other string.
    pub fn parse(name: &str) -> Result<Role, PolicyError> {
        Role::ALL
            .iter()
            .copied()
            .find(|role| role.as_str() == name)
            .ok_or_else(|| PolicyError::UnknownRole {
                given: name.to_owned(),
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = PolicyError;

    fn from_str(name: &str) -> Result<Role, PolicyError> {
        Role::parse(name)
    }
}

/// The user asking for a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The user's stable id. Compared with [`Resource`] fields such as `assigned_to`,
    /// `configured_by` and `determined_by`, so it must be the same id those hold.
    pub id: String,
    /// What the user may do.
    pub role: Role,
    /// The requesting agency a requester works for; it scopes their requests to that agency.
    /// `None` for custodian staff (ignored for them if set). A requester without an agency
    /// can submit and list but reads no request.
    pub agency: Option<String>,
}

/// Something a user asks to do. One per route family of the web surfaces.
///
/// The names (`as_str`, serde) are snake_case and are also the ids of the Cedar
/// `Crosscheck::Action` entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Submit a signed request (on [`Resource::System`]).
    SubmitRequest,
    /// List requests (on [`Resource::System`]); the caller filters a requester's list to
    /// their agency.
    ListRequests,
    /// Read a request's envelope and status (on a [`Resource::Request`]).
    ReadRequest,
    /// Read a request's response (on a [`Resource::Request`]).
    ReadResponse,
    /// Certify end of use of a released response (on a [`Resource::Request`]; RULES 27).
    CertifyEndOfUse,
    /// Report a misidentification against a request (on a [`Resource::Request`]; RULES 34).
    ReportMisidentification,
    /// See one's own review queue (on [`Resource::System`]).
    ReadQueue,
    /// Open a candidate match (on a [`Resource::ReviewItem`]).
    ReadReviewItem,
    /// Confirm or reject a candidate match (on a [`Resource::ReviewItem`]).
    DecideReviewItem,
    /// Decide a request held for disclosure-office review (on a [`Resource::Request`]).
    DecideHeldRequest,
    /// Approve the release of a response (on a [`Resource::Release`]).
    ApproveRelease,
    /// Manage the agency registry, authorized signers and holds (on [`Resource::System`]).
    ManageRegistry,
    /// Manage user accounts and roles (on [`Resource::System`]).
    ManageUsers,
    /// Import the custodian's taxpayer-return extract (on [`Resource::System`]).
    ImportReturns,
    /// Read the accounting of disclosures (on [`Resource::System`]).
    ReadAccounting,
    /// Read ledger entries and checkpoints (on [`Resource::System`]).
    ReadLedger,
    /// Verify the ledger and its signed checkpoints (on [`Resource::System`]).
    VerifyLedger,
    /// Browse or search taxpayer records (on [`Resource::System`]). Allowed to nobody.
    SearchTaxpayers,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: &'static [Action] = &[
        Action::SubmitRequest,
        Action::ListRequests,
        Action::ReadRequest,
        Action::ReadResponse,
        Action::CertifyEndOfUse,
        Action::ReportMisidentification,
        Action::ReadQueue,
        Action::ReadReviewItem,
        Action::DecideReviewItem,
        Action::DecideHeldRequest,
        Action::ApproveRelease,
        Action::ManageRegistry,
        Action::ManageUsers,
        Action::ImportReturns,
        Action::ReadAccounting,
        Action::ReadLedger,
        Action::VerifyLedger,
        Action::SearchTaxpayers,
    ];

    /// The action's stable name, e.g. `submit_request`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::SubmitRequest => "submit_request",
            Action::ListRequests => "list_requests",
            Action::ReadRequest => "read_request",
            Action::ReadResponse => "read_response",
            Action::CertifyEndOfUse => "certify_end_of_use",
            Action::ReportMisidentification => "report_misidentification",
            Action::ReadQueue => "read_queue",
            Action::ReadReviewItem => "read_review_item",
            Action::DecideReviewItem => "decide_review_item",
            Action::DecideHeldRequest => "decide_held_request",
            Action::ApproveRelease => "approve_release",
            Action::ManageRegistry => "manage_registry",
            Action::ManageUsers => "manage_users",
            Action::ImportReturns => "import_returns",
            Action::ReadAccounting => "read_accounting",
            Action::ReadLedger => "read_ledger",
            Action::VerifyLedger => "verify_ledger",
            Action::SearchTaxpayers => "search_taxpayers",
        }
    }

    /// The action named `name` (exactly as [`Action::as_str`] spells it).
    ///
    /// # Errors
    /// [`PolicyError::UnknownAction`] for any other string.
    pub fn parse(name: &str) -> Result<Action, PolicyError> {
        Action::ALL
            .iter()
            .copied()
            .find(|action| action.as_str() == name)
            .ok_or_else(|| PolicyError::UnknownAction {
                given: name.to_owned(),
            })
    }

    /// The kind of [`Resource`] this action applies to. Asking about any other kind is denied.
    pub const fn resource_kind(self) -> ResourceKind {
        match self {
            Action::ReadRequest
            | Action::ReadResponse
            | Action::CertifyEndOfUse
            | Action::ReportMisidentification
            | Action::DecideHeldRequest => ResourceKind::Request,
            Action::ReadReviewItem | Action::DecideReviewItem => ResourceKind::ReviewItem,
            Action::ApproveRelease => ResourceKind::Release,
            Action::SubmitRequest
            | Action::ListRequests
            | Action::ReadQueue
            | Action::ManageRegistry
            | Action::ManageUsers
            | Action::ImportReturns
            | Action::ReadAccounting
            | Action::ReadLedger
            | Action::VerifyLedger
            | Action::SearchTaxpayers => ResourceKind::System,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = PolicyError;

    fn from_str(name: &str) -> Result<Action, PolicyError> {
        Action::parse(name)
    }
}

/// What an action is done to, with the facts about it that the policies need.
///
/// The caller loads these facts from the store before asking; the policy engine sees nothing
/// else (in particular no personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Resource {
    /// crosscheck as a whole: the resource of collection-level actions (submit, list, queue,
    /// registry, users, imports, accounting, ledger, search).
    System,
    /// One request.
    Request {
        /// The request id.
        id: String,
        /// The agency that submitted it; a requester reaches only their own agency's requests.
        agency: String,
        /// The custodian employee who configured its batch, if any. No shipped policy uses it
        /// yet; it is passed so that an operator's policy can.
        configured_by: Option<String>,
    },
    /// One candidate match in the review queue.
    ReviewItem {
        /// The review item id.
        id: String,
        /// The agency whose request produced it.
        agency: String,
        /// The reviewer whose queue holds it; only they may open it (RULES 31).
        assigned_to: Option<String>,
        /// Who configured the request's batch; they may never review it (RULES 20).
        configured_by: Option<String>,
    },
    /// The release of one request's response.
    Release {
        /// The request being released.
        request: String,
        /// The receiving agency.
        agency: String,
        /// The reviewers who recorded a confirming determination; a release without any is
        /// refused, and when two approvals are required none of them may approve it.
        determined_by: Vec<String>,
        /// How many people the agreement requires; 2 or more means a second, distinct person.
        approvals_required: u8,
    },
}

impl Resource {
    /// Which kind of resource this is.
    pub const fn kind(&self) -> ResourceKind {
        match self {
            Resource::System => ResourceKind::System,
            Resource::Request { .. } => ResourceKind::Request,
            Resource::ReviewItem { .. } => ResourceKind::ReviewItem,
            Resource::Release { .. } => ResourceKind::Release,
        }
    }
}

/// The kinds of [`Resource`], without their facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// [`Resource::System`].
    System,
    /// [`Resource::Request`].
    Request,
    /// [`Resource::ReviewItem`].
    ReviewItem,
    /// [`Resource::Release`].
    Release,
}
