//! The [`Authorizer`]: Cedar policies, validated against the crosscheck schema, deciding
//! requests built from [`Principal`], [`Action`] and [`Resource`].

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy as cedar;
use serde::{Deserialize, Serialize};

use crate::{Action, PolicyError, Principal, Resource, Role};

/// The shipped policies, `policies/crosscheck.cedar`, compiled into the binary.
pub const SHIPPED_POLICIES: &str = include_str!("../../../policies/crosscheck.cedar");

/// The Cedar schema every policy set is validated against,
/// `policies/crosscheck.cedarschema`, compiled into the binary.
pub const SCHEMA: &str = include_str!("../../../policies/crosscheck.cedarschema");

/// The id of the single `Crosscheck::System` entity that stands for [`Resource::System`].
const SYSTEM_ID: &str = "crosscheck";

/// The outcome of [`Authorizer::decide`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Whether the action may go ahead.
    pub allowed: bool,
    /// The `@id`s of the policies that determined the outcome, sorted: the permits that
    /// matched when allowed; the forbids that matched when denied by a forbid; empty when
    /// denied because no permit matched (default deny). Recorded in the audit log.
    pub reasons: Vec<String>,
    /// Problems that forced a deny, if any: a policy that failed to evaluate (its id is then
    /// also in `reasons`), or a resource of the wrong kind for the action. Cedar skips a policy
    /// that errors, which could drop a `forbid`; crosscheck therefore denies whenever this is
    /// not empty (fail closed). Empty for the shipped policies on well-formed input.
    pub errors: Vec<String>,
}

/// Makes authorization decisions with one validated Cedar policy set.
///
/// Build it once at startup and share it (`Arc<Authorizer>`; it is `Send + Sync`); a decision
/// takes microseconds (see docs/authorization.md).
#[derive(Debug, Clone)]
pub struct Authorizer {
    /// The policies, each under its `@id`.
    policies: cedar::PolicySet,
    /// The schema, used again per decision to type-check entities and the request.
    schema: cedar::Schema,
    /// Cedar's evaluator (stateless).
    engine: cedar::Authorizer,
    /// Pre-parsed entity type names and action ids, so a decision parses nothing.
    names: Names,
}

/// Cedar names built once at construction.
#[derive(Debug, Clone)]
struct Names {
    /// `Crosscheck::User`.
    user: cedar::EntityTypeName,
    /// `Crosscheck::Request`.
    request: cedar::EntityTypeName,
    /// `Crosscheck::ReviewItem`.
    review_item: cedar::EntityTypeName,
    /// `Crosscheck::Release`.
    release: cedar::EntityTypeName,
    /// `Crosscheck::System::"crosscheck"`.
    system: cedar::EntityUid,
    /// `Crosscheck::Role::"…"`, indexed like [`Role::ALL`].
    roles: Vec<cedar::EntityUid>,
    /// `Crosscheck::Action::"…"`, indexed like [`Action::ALL`].
    actions: Vec<cedar::EntityUid>,
    /// The action entities declared by the schema, with their groups as parents, indexed like
    /// [`Action::ALL`]. A decision passes the one it asks about, so that
    /// `action in Crosscheck::Action::"changes_state"` holds.
    action_entities: Vec<cedar::Entity>,
}

impl Names {
    fn new(schema: &cedar::Schema) -> Result<Names, PolicyError> {
        let type_name = |name: &str| {
            cedar::EntityTypeName::from_str(name).map_err(|err| PolicyError::Schema {
                message: format!("entity type name {name}: {err}"),
            })
        };
        let uid = |ty: &str, id: &str| {
            Ok::<_, PolicyError>(cedar::EntityUid::from_type_name_and_id(
                type_name(ty)?,
                cedar::EntityId::new(id),
            ))
        };
        let roles = Role::ALL
            .iter()
            .map(|role| uid("Crosscheck::Role", role.as_str()))
            .collect::<Result<Vec<_>, _>>()?;
        let actions = Action::ALL
            .iter()
            .map(|action| uid("Crosscheck::Action", action.as_str()))
            .collect::<Result<Vec<_>, _>>()?;
        let declared = schema
            .action_entities()
            .map_err(|err| PolicyError::Schema {
                message: format!("action entities: {err}"),
            })?;
        let action_entities = Action::ALL
            .iter()
            .zip(&actions)
            .map(|(action, uid)| {
                declared
                    .get(uid)
                    .cloned()
                    .ok_or_else(|| PolicyError::Schema {
                        message: format!("the schema does not declare action {action}"),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Names {
            user: type_name("Crosscheck::User")?,
            request: type_name("Crosscheck::Request")?,
            review_item: type_name("Crosscheck::ReviewItem")?,
            release: type_name("Crosscheck::Release")?,
            system: uid("Crosscheck::System", SYSTEM_ID)?,
            roles,
            actions,
            action_entities,
        })
    }

    fn user(&self, id: &str) -> cedar::EntityUid {
        cedar::EntityUid::from_type_name_and_id(self.user.clone(), cedar::EntityId::new(id))
    }

    fn user_ref(&self, id: &str) -> cedar::RestrictedExpression {
        cedar::RestrictedExpression::new_entity_uid(self.user(id))
    }
}

impl Authorizer {
    /// The shipped policies ([`SHIPPED_POLICIES`]), validated against [`SCHEMA`].
    ///
    /// # Errors
    /// Any [`PolicyError`] of [`Authorizer::from_text`]; the crate's tests show the shipped
    /// files produce none.
    pub fn new() -> Result<Authorizer, PolicyError> {
        Authorizer::from_text(SHIPPED_POLICIES)
    }

    /// Operator-supplied policies in Cedar syntax, validated exactly like the shipped ones:
    /// every policy needs a unique `@id("...")`, templates are refused, and the set must
    /// type-check in strict mode against the shipped schema ([`SCHEMA`]), so actions, roles,
    /// entity types and attributes are the ones crosscheck provides.
    ///
    /// # Errors
    /// [`PolicyError::Parse`], [`PolicyError::Empty`], [`PolicyError::Template`],
    /// [`PolicyError::MissingId`], [`PolicyError::DuplicateId`], [`PolicyError::Validation`];
    /// [`PolicyError::Schema`] only if the compiled-in schema were broken.
    pub fn from_text(policies: &str) -> Result<Authorizer, PolicyError> {
        let (schema, _warnings) =
            cedar::Schema::from_cedarschema_str(SCHEMA).map_err(|err| PolicyError::Schema {
                message: err.to_string(),
            })?;
        let names = Names::new(&schema)?;
        let parsed = cedar::PolicySet::from_str(policies).map_err(|errs| PolicyError::Parse {
            message: errs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        })?;
        if let Some(template) = parsed.templates().next() {
            return Err(PolicyError::Template {
                id: template
                    .annotation("id")
                    .map_or_else(|| template.id().to_string(), str::to_owned),
            });
        }
        let policies = with_annotated_ids(&parsed)?;
        let validation = cedar::Validator::new(schema.clone())
            .validate(&policies, cedar::ValidationMode::Strict);
        if !validation.validation_passed() {
            let mut problems: Vec<String> = validation
                .validation_errors()
                .map(ToString::to_string)
                .collect();
            problems.sort();
            return Err(PolicyError::Validation { problems });
        }
        Ok(Authorizer {
            policies,
            schema,
            engine: cedar::Authorizer::new(),
            names,
        })
    }

    /// The `@id`s of the loaded policies, sorted.
    pub fn policy_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .policies
            .policies()
            .map(|p| p.id().to_string())
            .collect();
        ids.sort();
        ids
    }

    /// May `who` do `action` on `on`?
    ///
    /// Never fails and never panics: anything that keeps Cedar from reaching a clean verdict
    /// (a resource of the wrong kind for the action, a policy that errors) is a deny, with the
    /// problem in [`Decision::errors`].
    pub fn decide(&self, who: &Principal, action: Action, on: &Resource) -> Decision {
        match self.evaluate(who, action, on) {
            Ok(decision) => decision,
            Err(problem) => Decision {
                allowed: false,
                reasons: Vec::new(),
                errors: vec![problem],
            },
        }
    }

    /// Builds the Cedar request and entities and runs the policies.
    fn evaluate(&self, who: &Principal, action: Action, on: &Resource) -> Result<Decision, String> {
        let names = &self.names;
        let action_uid = names
            .actions
            .get(action as usize)
            .ok_or_else(|| format!("no Cedar action for {action}"))?
            .clone();
        let principal_uid = names.user(&who.id);
        let (entities, resource_uid) = self.entities(who, action, on)?;
        // Entities are built here from typed Rust values, so they are not re-validated
        // against the schema per decision (that costs ~25 µs); a test checks every shape the
        // matrix produces against the schema, and a wrongly typed attribute would make a
        // policy error, which denies (see below). The request itself is validated: that is
        // what refuses a resource of the wrong kind for the action.
        let entities = cedar::Entities::from_entities(entities, None)
            .map_err(|err| format!("entities: {err}"))?;
        let request = cedar::Request::new(
            principal_uid,
            action_uid,
            resource_uid,
            cedar::Context::empty(),
            Some(&self.schema),
        )
        .map_err(|err| format!("{action} does not apply to this resource: {err}"))?;

        let response = self
            .engine
            .is_authorized(&request, &self.policies, &entities);
        let diagnostics = response.diagnostics();
        let errors: Vec<String> = diagnostics.errors().map(ToString::to_string).collect();
        let mut reasons: Vec<String> = if errors.is_empty() {
            diagnostics.reason().map(ToString::to_string).collect()
        } else {
            diagnostics
                .errors()
                .map(|cedar::AuthorizationError::PolicyEvaluationError(err)| {
                    err.policy_id().to_string()
                })
                .collect()
        };
        reasons.sort();
        reasons.dedup();
        Ok(Decision {
            allowed: errors.is_empty() && response.decision() == cedar::Decision::Allow,
            reasons,
            errors,
        })
    }

    /// The Cedar entities of one decision (principal, resource, action) and the resource's uid.
    pub(crate) fn entities(
        &self,
        who: &Principal,
        action: Action,
        on: &Resource,
    ) -> Result<(Vec<cedar::Entity>, cedar::EntityUid), String> {
        let names = &self.names;
        let action_entity = names
            .action_entities
            .get(action as usize)
            .ok_or_else(|| format!("no Cedar action entity for {action}"))?
            .clone();
        let role_uid = names
            .roles
            .get(who.role as usize)
            .ok_or_else(|| format!("no Cedar role for {}", who.role))?
            .clone();
        let mut principal_attrs = HashMap::new();
        if let Some(agency) = &who.agency {
            principal_attrs.insert(
                "agency".to_owned(),
                cedar::RestrictedExpression::new_string(agency.clone()),
            );
        }
        let principal = cedar::Entity::new(
            names.user(&who.id),
            principal_attrs,
            HashSet::from([role_uid]),
        )
        .map_err(|err| format!("principal entity: {err}"))?;
        let resource = self.resource_entity(on)?;
        let resource_uid = resource.uid();
        Ok((vec![principal, resource, action_entity], resource_uid))
    }

    /// The schema, for tests that check the entities [`Authorizer::entities`] builds.
    #[cfg(test)]
    pub(crate) fn schema(&self) -> &cedar::Schema {
        &self.schema
    }

    /// The Cedar entity standing for `on`, with the attributes the schema declares.
    fn resource_entity(&self, on: &Resource) -> Result<cedar::Entity, String> {
        let names = &self.names;
        let string = |value: &str| cedar::RestrictedExpression::new_string(value.to_owned());
        let (uid, attrs) = match on {
            Resource::System => (names.system.clone(), HashMap::new()),
            Resource::Request {
                id,
                agency,
                configured_by,
            } => {
                let mut attrs = HashMap::from([("agency".to_owned(), string(agency))]);
                if let Some(user) = configured_by {
                    attrs.insert("configured_by".to_owned(), names.user_ref(user));
                }
                (uid(&names.request, id), attrs)
            }
            Resource::ReviewItem {
                id,
                agency,
                assigned_to,
                configured_by,
            } => {
                let mut attrs = HashMap::from([("agency".to_owned(), string(agency))]);
                if let Some(user) = assigned_to {
                    attrs.insert("assigned_to".to_owned(), names.user_ref(user));
                }
                if let Some(user) = configured_by {
                    attrs.insert("configured_by".to_owned(), names.user_ref(user));
                }
                (uid(&names.review_item, id), attrs)
            }
            Resource::Release {
                request,
                agency,
                determined_by,
                approvals_required,
            } => {
                let attrs = HashMap::from([
                    ("request".to_owned(), string(request)),
                    ("agency".to_owned(), string(agency)),
                    (
                        "determined_by".to_owned(),
                        cedar::RestrictedExpression::new_set(
                            determined_by.iter().map(|user| names.user_ref(user)),
                        ),
                    ),
                    (
                        "approvals_required".to_owned(),
                        cedar::RestrictedExpression::new_long(i64::from(*approvals_required)),
                    ),
                ]);
                (uid(&names.release, request), attrs)
            }
        };
        cedar::Entity::new(uid, attrs, HashSet::new())
            .map_err(|err| format!("resource entity: {err}"))
    }
}

/// `ty::"id"`.
fn uid(ty: &cedar::EntityTypeName, id: &str) -> cedar::EntityUid {
    cedar::EntityUid::from_type_name_and_id(ty.clone(), cedar::EntityId::new(id))
}

/// The same policies, each renamed to its `@id` annotation (Cedar's parser numbers them
/// `policy0`, `policy1`, … in file order).
fn with_annotated_ids(parsed: &cedar::PolicySet) -> Result<cedar::PolicySet, PolicyError> {
    let mut in_order: Vec<(usize, &cedar::Policy)> = parsed
        .policies()
        .map(|policy| (position(policy.id()), policy))
        .collect();
    if in_order.is_empty() {
        return Err(PolicyError::Empty);
    }
    in_order.sort_by_key(|(position, _)| *position);
    let mut renamed = cedar::PolicySet::new();
    for (position, policy) in in_order {
        let id = match policy.annotation("id") {
            Some(id) if !id.trim().is_empty() => id,
            _ => return Err(PolicyError::MissingId { position }),
        };
        renamed
            .add(policy.new_id(cedar::PolicyId::new(id)))
            .map_err(|_| PolicyError::DuplicateId { id: id.to_owned() })?;
    }
    Ok(renamed)
}

/// The file position in a parser-assigned id `policyN`; `usize::MAX` for any other id.
fn position(id: &cedar::PolicyId) -> usize {
    id.to_string()
        .strip_prefix("policy")
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}
