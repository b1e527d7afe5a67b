//! Errors of loading policies and of parsing role and action names.

/// Why a policy set could not be loaded, or a role or action name was not recognised.
///
/// Loading errors happen at startup ([`Authorizer::new`](crate::Authorizer::new),
/// [`Authorizer::from_text`](crate::Authorizer::from_text)); a decision itself never fails
/// (see [`Decision`](crate::Decision)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The Cedar schema does not parse or is inconsistent. With the shipped schema this is a
    /// build defect, caught by the crate's tests.
    #[error("the Cedar schema is invalid: {message}")]
    Schema {
        /// Cedar's description of the problem.
        message: String,
    },
    /// The policy text is not valid Cedar syntax.
    #[error("the policy text does not parse: {message}")]
    Parse {
        /// Cedar's description of each syntax error, joined with "; ".
        message: String,
    },
    /// The policy text contains no policy: it would deny everything, which is never intended.
    #[error("the policy text contains no policies")]
    Empty,
    /// A policy has no `@id("...")` annotation. Decisions name the policies that made them by
    /// this id, so every policy needs one.
    #[error(
        "policy number {position} (counting from 0, in file order) has no @id(\"...\") annotation"
    )]
    MissingId {
        /// The policy's position in the text.
        position: usize,
    },
    /// Two policies carry the same `@id`, so a decision could not say which one made it.
    #[error("more than one policy has @id({id:?})")]
    DuplicateId {
        /// The repeated id.
        id: String,
    },
    /// The text contains a policy template (with `?principal` or `?resource` slots).
    /// crosscheck does not link templates; write the rule as a policy.
    #[error("policy {id:?} is a template; crosscheck accepts only static policies")]
    Template {
        /// The template's `@id`, or its position if it has none.
        id: String,
    },
    /// The policies parse but do not type-check against the crosscheck schema (in strict
    /// mode): a misspelt action, entity type, role or attribute, a missing `has` guard on an
    /// optional attribute, or a comparison of unlike types.
    #[error("the policies do not validate against the crosscheck schema: {}", .problems.join("; "))]
    Validation {
        /// One entry per problem, each naming the policy by its `@id`.
        problems: Vec<String>,
    },
    /// A role name is not one of [`Role::ALL`](crate::Role::ALL).
    #[error("unknown role {given:?}")]
    UnknownRole {
        /// The name that was given.
        given: String,
    },
    /// An action name is not one of [`Action::ALL`](crate::Action::ALL).
    #[error("unknown action {given:?}")]
    UnknownAction {
        /// The name that was given.
        given: String,
    },
}
