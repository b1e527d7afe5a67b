//! crosscheck-policy: who may do what.
//!
//! Every request to crosscheck's web surfaces is authorized here before anything else
//! happens. A [`Principal`] (a user id, their [`Role`] and, for requesters, their agency) asks
//! to do an [`Action`] on a [`Resource`] (the system, a request, a review item or a release,
//! with the facts the rules need: agency, who it is assigned to, who configured it, who
//! determined it). The [`Authorizer`] turns these into Cedar entities, evaluates the Cedar
//! policies and returns a [`Decision`] naming the policies that made it.
//!
//! The policies ship in `policies/crosscheck.cedar` ([`SHIPPED_POLICIES`]), one policy per
//! rule, each with an `@id` and a comment citing its source in DESIGN.md or RULES.md. They are
//! validated against the Cedar schema `policies/crosscheck.cedarschema` ([`SCHEMA`]) when the
//! [`Authorizer`] is built, so a misspelt action or attribute stops startup. Operators may
//! replace them with [`Authorizer::from_text`]. docs/authorization.md has the full
//! role × action table.
//!
//! ```
//! use crosscheck_policy::{Action, Authorizer, Principal, Resource, Role};
//!
//! let authorizer = Authorizer::new()?;
//! let reviewer = Principal { id: "u-17".into(), role: Role::Reviewer, agency: None };
//! let item = Resource::ReviewItem {
//!     id: "ri-1".into(),
//!     agency: "agency-a".into(),
//!     assigned_to: Some("u-17".into()),
//!     configured_by: Some("u-3".into()),
//! };
//! let decision = authorizer.decide(&reviewer, Action::DecideReviewItem, &item);
//! assert!(decision.allowed);
//! assert_eq!(decision.reasons, ["reviewer-assigned-items"]);
//!
//! // Nobody browses taxpayer records.
//! let decision = authorizer.decide(&reviewer, Action::SearchTaxpayers, &Resource::System);
//! assert!(!decision.allowed);
//! assert_eq!(decision.reasons, ["nobody-searches-taxpayers"]);
//! # Ok::<(), crosscheck_policy::PolicyError>(())
//! ```

mod authorizer;
mod error;
mod model;

pub use authorizer::{Authorizer, Decision, SCHEMA, SHIPPED_POLICIES};
pub use error::PolicyError;
pub use model::{Action, Principal, Resource, ResourceKind, Role};

#[cfg(test)]
mod tests;
