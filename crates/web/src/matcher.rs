//! The online matcher: the blocking index built from the store's returns, and the model.

use serde::{Deserialize, Serialize};

use crosscheck_contract::{Outcome, Subject, TaxReturn};
use crosscheck_gateway::LastKnownAddress;
use crosscheck_linkage::index::{Index, prepare};
use crosscheck_linkage::link::{self, Scored};
use crosscheck_linkage::model::Model;

/// The index and the model the gateway matches with.
pub struct Matcher {
    index: Index,
    model: Model,
}

/// One field's weight, as a reviewer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldWeight {
    /// Field (`name`, `dob`, `address`, `tin`, …).
    pub field: String,
    /// Agreement level (`exact`, `similar`, `missing`, …).
    pub level: String,
    /// Weight in bits.
    pub weight: f64,
    /// Why u was adjusted, if it was.
    pub adjustment: Option<String>,
}

/// A scored candidate taxpayer (custodian-internal; sealed at rest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The taxpayer's current TIN.
    pub tin: String,
    /// Posterior probability.
    pub probability: f64,
    /// Match weight in bits.
    pub weight: f64,
    /// Each field's contribution.
    pub evidence: Vec<FieldWeight>,
    /// Whether given and family names agreed best swapped.
    pub swapped: bool,
    /// Tax year of the address that agreed best.
    pub address_year: Option<u16>,
    /// The address on the most recent return.
    pub last_address: LastKnownAddress,
}

/// The matcher's answer for one subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Found {
    /// `match`, `review` or `no_match`.
    pub outcome: String,
    /// The best candidate.
    pub best: Option<Candidate>,
    /// The runner-up and why it lost (its weight is lower by the margin shown).
    pub runner_up: Option<Candidate>,
    /// Why the outcome is not `match` when there is a best candidate.
    pub reason: Option<String>,
    /// Candidates compared.
    pub candidates: usize,
}

impl Matcher {
    /// Builds the index over `returns`.
    pub fn build(returns: &[TaxReturn], model: Model) -> Matcher {
        Matcher {
            index: Index::build(returns),
            model,
        }
    }

    /// Taxpayers in the index.
    pub fn taxpayers(&self) -> usize {
        self.index.len()
    }

    /// Trains a model without labels on `subjects` against `returns` (what `crosscheck
    /// train` does), for the demo and for first start with a subject sample.
    pub fn train(returns: &[TaxReturn], subjects: &[Subject], seed: u64) -> Model {
        let index = Index::build(returns);
        let prepared: Vec<_> = subjects.iter().map(prepare).collect();
        let compared = link::compare_all(&index, &prepared, &|_| {});
        link::train(&index, &prepared, &compared, seed)
    }

    fn candidate(&self, s: &Scored) -> Candidate {
        let t = &self.index.taxpayers[s.taxpayer as usize];
        Candidate {
            tin: t.tin().digits(),
            probability: s.probability,
            weight: s.weight,
            evidence: s
                .evidence
                .iter()
                .map(|e| FieldWeight {
                    field: e.field.to_string(),
                    level: e.level.to_string(),
                    weight: e.weight,
                    adjustment: e.adjustment.map(str::to_string),
                })
                .collect(),
            swapped: s.swapped,
            address_year: s.address_year,
            last_address: LastKnownAddress {
                street: t.last.street().to_string(),
                unit: t.last.unit().map(str::to_string),
                city: t.last.city().to_string(),
                state: t.last.state().to_string(),
                zip: t.last.zip().to_string(),
                tax_year: t.last.tax_year,
            },
        }
    }

    /// Links `subjects` (over all cores; order kept).
    pub fn link(&self, subjects: &[Subject]) -> Vec<Found> {
        let prepared: Vec<_> = subjects.iter().map(prepare).collect();
        let compared = link::compare_all(&self.index, &prepared, &|_| {});
        prepared
            .iter()
            .zip(&compared)
            .map(|(p, c)| {
                let d = link::decide(&self.model, &self.index, p, c);
                Found {
                    outcome: match d.outcome {
                        Outcome::Match => "match",
                        Outcome::Review => "review",
                        Outcome::NoMatch => "no_match",
                    }
                    .to_string(),
                    best: d.best.as_ref().map(|s| self.candidate(s)),
                    runner_up: d.runner_up.as_ref().map(|s| self.candidate(s)),
                    reason: d.reason.map(|r| r.as_str().to_owned()),
                    candidates: d.candidates,
                }
            })
            .collect()
    }
}
