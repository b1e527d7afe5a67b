//! The Fellegi–Sunter model: m and u per comparison level, the prior λ, and their training.
//!
//! A level's weight is `log2(m / u)`: how many times more likely that agreement is between
//! records of one person (m) than between records of two people (u). u comes from random
//! pairs (almost all are two people); m and λ from expectation–maximisation over the blocked
//! candidate pairs, no labels needed. Exact name agreements use term frequencies: agreeing
//! on `GARCIA` is weaker evidence than agreeing on a rare surname, so their u is the share of
//! taxpayers carrying that name.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::compare::{FIELDS, LEVELS, MISSING};

/// Position of the TIN in the comparison vector.
const TIN: usize = 4;

/// Numbers one digit (9 × 9) or one adjacent transposition (8) away from a nine-digit TIN.
pub const TIN_NEIGHBOURS: f64 = 89.0;

/// Probabilities of one comparison level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Level {
    /// Level name (`exact`, `similar`, …).
    pub name: String,
    /// P(level | same person).
    pub m: f64,
    /// P(level | different people).
    pub u: f64,
    /// For the address: how many more of a person's namesakes share this level with them
    /// than chance explains — relatives living together. Among `n` taxpayers with one
    /// surname, P(level | different people) ≈ u + excess / (n − 1): two people named
    /// `GARCIA` are mostly strangers, two with a rare surname mostly family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_family_excess: Option<f64>,
}

/// The levels of one field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Field name (`given`, `family`, `dob`, `address`, `tin`).
    pub name: String,
    /// Levels, strongest first.
    pub levels: Vec<Level>,
}

/// When a subject is matched automatically, sent to review, or not matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Minimum posterior probability of the best candidate for an automatic match.
    pub match_probability: f64,
    /// Minimum posterior probability for review (below: `no_match`).
    pub review_probability: f64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            match_probability: 0.999,
            review_probability: 0.5,
        }
    }
}

/// Where the term-frequency tables come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TfProvenance {
    /// How the tables are built.
    pub source: String,
    /// Taxpayers counted when the model was trained.
    pub taxpayers: u64,
}

/// A trained model, saved as readable JSON by `crosscheck train`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Format version of this file.
    pub version: u32,
    /// Prior probability that a subject is someone in the extract; shared equally by every
    /// taxpayer of the extract being linked against (see [`Model::candidate_prior`]).
    pub lambda: f64,
    /// Comparison fields with their levels.
    pub fields: Vec<Field>,
    /// Decision thresholds.
    pub thresholds: Thresholds,
    /// Term-frequency tables' provenance.
    pub term_frequencies: TfProvenance,
    /// Training statistics: pairs sampled for u, candidate pairs and EM iterations for m.
    pub training: BTreeMap<String, f64>,
}

/// Posterior probability of each candidate, given each one's log2 odds against "nobody in
/// the extract" (prior included): `2^w_i / (1 + Σ 2^w_j)`, computed without overflow.
pub fn posteriors(log2_odds: &[f64]) -> Vec<f64> {
    let top = log2_odds.iter().copied().fold(0.0, f64::max);
    let denominator = (-top).exp2() + log2_odds.iter().map(|w| (w - top).exp2()).sum::<f64>();
    log2_odds
        .iter()
        .map(|w| (w - top).exp2() / denominator)
        .collect()
}

/// Why a model file cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The format version is not one this build reads.
    #[error("model format version {0} is not supported (this build reads version 1)")]
    Version(u32),
    /// Fields or levels differ from this build's comparisons.
    #[error("model field {index} should be `{expected}` with levels {levels}")]
    Shape {
        /// Position of the field.
        index: usize,
        /// The field this build expects there.
        expected: &'static str,
        /// The levels this build expects, comma-separated.
        levels: String,
    },
    /// A probability is not a number in (0, 1].
    #[error("model {what} must be a probability in (0, 1]")]
    Probability {
        /// Which value (`lambda`, `given.exact.m`, …).
        what: String,
    },
}

/// A comparison vector: one level per field, [`MISSING`] where not comparable.
pub type Vector = [u8; 5];

impl Model {
    /// A starting point for training: m favours agreement, u disagreement.
    pub fn initial() -> Model {
        let fields = FIELDS
            .iter()
            .zip(LEVELS)
            .map(|(name, levels)| {
                let n = levels.len();
                let m: Vec<f64> = (0..n)
                    .map(|i| {
                        if i == 0 {
                            0.7
                        } else if i + 1 == n {
                            0.05
                        } else {
                            0.25 / (n - 2) as f64
                        }
                    })
                    .collect();
                let u: Vec<f64> = (0..n)
                    .map(|i| {
                        if i + 1 == n {
                            0.9
                        } else {
                            0.1 / (n - 1) as f64
                        }
                    })
                    .collect();
                Field {
                    name: (*name).to_owned(),
                    levels: levels
                        .iter()
                        .zip(m)
                        .zip(u)
                        .map(|((l, m), u)| Level {
                            name: (*l).to_owned(),
                            m,
                            u,
                            same_family_excess: None,
                        })
                        .collect(),
                }
            })
            .collect();
        Model {
            version: 1,
            lambda: 0.5,
            fields,
            thresholds: Thresholds::default(),
            term_frequencies: TfProvenance {
                source: "counted over the taxpayers of the extract being linked (distinct names per taxpayer)".into(),
                taxpayers: 0,
            },
            training: BTreeMap::new(),
        }
    }

    /// The weight (log2 Bayes factor) of `level` of `field`, with `u` replaced by `u_instead`
    /// (a term frequency, or the same-family u) when one is given.
    pub fn weight(&self, field: usize, level: u8, u_instead: Option<f64>) -> f64 {
        if level == MISSING {
            return 0.0;
        }
        let l = &self.fields[field].levels[level as usize];
        let u = u_instead.map_or(l.u, |t| t.max(1e-7));
        (l.m / u).log2()
    }

    /// Sets each level's same-family excess of `field` from pairs of different taxpayers who
    /// share a surname: `(level, number of taxpayers with that surname)` per pair.
    pub fn set_same_family_excess(&mut self, field: usize, pairs: &[(u8, u32)]) {
        let n = pairs.len().max(1) as f64;
        for (l, level) in self.fields[field].levels.iter_mut().enumerate() {
            let excess: f64 = pairs
                .iter()
                .map(|&(got, size)| {
                    (f64::from(u8::from(got as usize == l)) - level.u) * f64::from(size.max(2) - 1)
                })
                .sum::<f64>()
                / n;
            level.same_family_excess = Some(excess.max(0.0));
        }
    }

    /// u of `level` of `field` between different people who share a surname carried by
    /// `namesakes` taxpayers (unknown: treated as a rare name, the cautious reading).
    pub fn u_same_family(&self, field: usize, level: u8, namesakes: Option<f64>) -> Option<f64> {
        let l = self.fields[field].levels.get(level as usize)?;
        let excess = l.same_family_excess?;
        let others = namesakes.map_or(1.0, |n| (n - 1.0).max(1.0));
        Some((l.u + excess / others).min(0.999))
    }

    /// log2 of the prior odds.
    pub fn prior_weight(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }

    /// Sets u from level counts observed on random pairs (Laplace-smoothed).
    ///
    /// Two different people's TINs almost never agree or differ by one digit, so random
    /// pairs show neither and both u's sit at the smoothing floor — which would make a TIN one
    /// digit off as strong as an exact one. Every number has [`TIN_NEIGHBOURS`] numbers one
    /// digit or one transposition away, so between different people a near TIN is that many
    /// times likelier than an exact one: u(one digit) is at least that multiple of u(exact).
    pub fn set_u(&mut self, counts: &[Vec<u64>]) {
        for (field, c) in self.fields.iter_mut().zip(counts) {
            let total: u64 = c.iter().sum::<u64>() + c.len() as u64;
            for (level, n) in field.levels.iter_mut().zip(c) {
                level.u = (*n + 1) as f64 / total as f64;
            }
        }
        let tin = &mut self.fields[TIN].levels;
        tin[1].u = tin[1].u.max((TIN_NEIGHBOURS * tin[0].u).min(0.5));
    }

    /// Sets m from level counts among confident pairs (Laplace-smoothed).
    pub fn set_m(&mut self, counts: &[Vec<u64>]) {
        for (field, c) in self.fields.iter_mut().zip(counts) {
            let total: u64 = c.iter().sum::<u64>() + c.len() as u64;
            for (level, n) in field.levels.iter_mut().zip(c) {
                level.m = (*n + 1) as f64 / total as f64;
            }
        }
    }

    /// Checks that a model (typically read from a file) fits this build: same fields and
    /// levels, every probability in (0, 1], thresholds ordered. Scoring trusts this.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.version != 1 {
            return Err(ModelError::Version(self.version));
        }
        let probability = |what: String, p: f64| {
            if p > 0.0 && p <= 1.0 {
                Ok(())
            } else {
                Err(ModelError::Probability { what })
            }
        };
        probability("lambda".into(), self.lambda)?;
        if self.lambda >= 1.0 {
            return Err(ModelError::Probability {
                what: "lambda (below 1)".into(),
            });
        }
        let t = &self.thresholds;
        probability("thresholds.match_probability".into(), t.match_probability)?;
        probability("thresholds.review_probability".into(), t.review_probability)?;
        if t.review_probability > t.match_probability {
            return Err(ModelError::Probability {
                what: "thresholds.review_probability (not above match_probability)".into(),
            });
        }
        if self.fields.len() != FIELDS.len() {
            let index = self.fields.len().min(FIELDS.len() - 1);
            return Err(ModelError::Shape {
                index,
                expected: FIELDS[index],
                levels: LEVELS[index].join(", "),
            });
        }
        for (index, (field, (name, levels))) in self
            .fields
            .iter()
            .zip(FIELDS.iter().zip(LEVELS))
            .enumerate()
        {
            let same = field.name == *name
                && field.levels.len() == levels.len()
                && field
                    .levels
                    .iter()
                    .zip(levels.iter())
                    .all(|(l, n)| l.name == *n);
            if !same {
                return Err(ModelError::Shape {
                    index,
                    expected: name,
                    levels: levels.join(", "),
                });
            }
            for l in &field.levels {
                probability(format!("{name}.{}.m", l.name), l.m)?;
                probability(format!("{name}.{}.u", l.name), l.u)?;
                if let Some(e) = l.same_family_excess
                    && !(e.is_finite() && e >= 0.0)
                {
                    return Err(ModelError::Probability {
                        what: format!("{name}.{}.same_family_excess", l.name),
                    });
                }
            }
        }
        Ok(())
    }

    /// log2 of the prior odds that a subject is one particular taxpayer of `taxpayers`
    /// rather than nobody in the extract: λ is shared equally by every taxpayer, so a bigger
    /// extract asks for more evidence.
    pub fn candidate_prior(&self, taxpayers: usize) -> f64 {
        self.prior_weight() - (taxpayers.max(1) as f64).log2()
    }

    /// Estimates λ, the prior probability that a subject is someone in the extract, by EM
    /// over subjects: each item holds the match weights (without prior) of one subject's
    /// candidates among `taxpayers`. Returns the iterations run.
    pub fn fit_lambda(&mut self, subjects: &[Vec<f64>], taxpayers: usize) -> usize {
        for iter in 1..=200 {
            let prior = self.candidate_prior(taxpayers);
            let mut sum = 0.0;
            let mut scratch = Vec::new();
            for weights in subjects {
                scratch.clear();
                scratch.extend(weights.iter().map(|w| w + prior));
                sum += posteriors(&scratch).iter().sum::<f64>();
            }
            let next = (sum / subjects.len().max(1) as f64).clamp(1e-6, 1.0 - 1e-6);
            let done = (next - self.lambda).abs() < 1e-7;
            self.lambda = next;
            if done {
                return iter;
            }
        }
        200
    }

    /// Expectation–maximisation of m and λ (and u unless `fix_u`) over pattern counts.
    /// Returns the number of iterations run.
    #[allow(clippy::needless_range_loop)] // fields are indexed in parallel arrays
    pub fn em(&mut self, patterns: &BTreeMap<Vector, u64>, fix_u: bool, max_iter: usize) -> usize {
        let n_fields = self.fields.len();
        for iter in 1..=max_iter {
            let mut m_acc: Vec<Vec<f64>> = self
                .fields
                .iter()
                .map(|f| vec![0.0; f.levels.len()])
                .collect();
            let mut u_acc = m_acc.clone();
            let (mut match_total, mut total) = (0.0, 0.0);
            for (v, &count) in patterns {
                let (mut pm, mut pu) = (self.lambda, 1.0 - self.lambda);
                for f in 0..n_fields {
                    if v[f] != MISSING {
                        let l = &self.fields[f].levels[v[f] as usize];
                        pm *= l.m;
                        pu *= l.u;
                    }
                }
                let p = if pm + pu > 0.0 { pm / (pm + pu) } else { 0.0 };
                let c = count as f64;
                match_total += c * p;
                total += c;
                for f in 0..n_fields {
                    if v[f] != MISSING {
                        m_acc[f][v[f] as usize] += c * p;
                        u_acc[f][v[f] as usize] += c * (1.0 - p);
                    }
                }
            }
            let old = self.clone();
            self.lambda = (match_total / total.max(1.0)).clamp(1e-9, 1.0 - 1e-9);
            for f in 0..n_fields {
                let (ms, us): (f64, f64) = (m_acc[f].iter().sum(), u_acc[f].iter().sum());
                let k = self.fields[f].levels.len() as f64;
                for (l, level) in self.fields[f].levels.iter_mut().enumerate() {
                    if ms > 0.0 {
                        level.m = ((m_acc[f][l] + 1e-6) / (ms + k * 1e-6)).max(1e-9);
                    }
                    if !fix_u && us > 0.0 {
                        level.u = ((u_acc[f][l] + 1e-6) / (us + k * 1e-6)).max(1e-9);
                    }
                }
            }
            let change = self
                .fields
                .iter()
                .zip(&old.fields)
                .flat_map(|(a, b)| {
                    a.levels
                        .iter()
                        .zip(&b.levels)
                        .map(|(x, y)| (x.m - y.m).abs().max((x.u - y.u).abs()))
                })
                .fold((self.lambda - old.lambda).abs(), f64::max);
            if change < 1e-6 {
                return iter;
            }
        }
        max_iter
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core_shim::Lcg;

    /// A tiny deterministic generator so the test needs no RNG crate.
    mod rand_core_shim {
        pub struct Lcg(pub u64);
        impl Lcg {
            pub fn next_f64(&mut self) -> f64 {
                self.0 = self
                    .0
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (self.0 >> 11) as f64 / (1u64 << 53) as f64
            }
        }
    }

    fn draw(rng: &mut Lcg, probs: &[f64]) -> u8 {
        let r = rng.next_f64();
        let mut acc = 0.0;
        for (i, p) in probs.iter().enumerate() {
            acc += p;
            if r < acc {
                return i as u8;
            }
        }
        (probs.len() - 1) as u8
    }

    #[test]
    fn em_recovers_known_m_and_u() {
        // Known parameters: five fields, as in the real model.
        let truth_m: [&[f64]; 5] = [
            &[0.80, 0.08, 0.05, 0.04, 0.03],
            &[0.75, 0.12, 0.06, 0.04, 0.03],
            &[0.85, 0.04, 0.04, 0.03, 0.04],
            &[0.60, 0.10, 0.10, 0.10, 0.10],
            &[0.90, 0.05, 0.05],
        ];
        let truth_u: [&[f64]; 5] = [
            &[0.02, 0.01, 0.03, 0.10, 0.84],
            &[0.30, 0.10, 0.05, 0.10, 0.45],
            &[0.002, 0.001, 0.01, 0.05, 0.937],
            &[0.05, 0.03, 0.20, 0.30, 0.42],
            &[0.001, 0.004, 0.995],
        ];
        let lambda = 0.2;
        let mut rng = Lcg(7);
        let mut patterns: BTreeMap<Vector, u64> = BTreeMap::new();
        for _ in 0..400_000 {
            let is_match = rng.next_f64() < lambda;
            let mut v = [0u8; 5];
            for f in 0..5 {
                v[f] = draw(&mut rng, if is_match { truth_m[f] } else { truth_u[f] });
            }
            *patterns.entry(v).or_default() += 1;
        }
        let mut model = Model::initial();
        let iters = model.em(&patterns, false, 500);
        assert!(iters < 500, "EM converged");
        assert!(
            (model.lambda - lambda).abs() < 0.02,
            "lambda {}",
            model.lambda
        );
        for f in 0..5 {
            for (l, level) in model.fields[f].levels.iter().enumerate() {
                assert!(
                    (level.m - truth_m[f][l]).abs() <= 0.02,
                    "m {f}/{l}: {} vs {}",
                    level.m,
                    truth_m[f][l]
                );
                assert!(
                    (level.u - truth_u[f][l]).abs() <= 0.02,
                    "u {f}/{l}: {} vs {}",
                    level.u,
                    truth_u[f][l]
                );
            }
        }
    }

    #[test]
    fn a_model_that_does_not_fit_this_build_is_refused() {
        assert_eq!(Model::initial().validate(), Ok(()));
        let mut m = Model::initial();
        m.fields.pop();
        assert!(matches!(
            m.validate(),
            Err(ModelError::Shape { index: 4, .. })
        ));
        let mut m = Model::initial();
        m.fields[2].levels[1].name = "close".into();
        assert!(m.validate().unwrap_err().to_string().contains("`dob`"));
        let mut m = Model::initial();
        m.fields[0].levels[0].m = f64::NAN;
        assert!(
            m.validate()
                .unwrap_err()
                .to_string()
                .contains("given.exact.m")
        );
        let mut m = Model::initial();
        m.lambda = 1.0;
        assert!(m.validate().is_err());
        let mut m = Model::initial();
        m.thresholds.review_probability = 0.9999;
        assert!(m.validate().is_err());
        let mut m = Model::initial();
        m.version = 2;
        assert_eq!(m.validate(), Err(ModelError::Version(2)));
    }

    #[test]
    fn term_frequency_makes_common_names_weaker_evidence() {
        let model = Model::initial();
        let common = model.weight(1, 0, Some(0.05));
        let rare = model.weight(1, 0, Some(0.0001));
        assert!(rare > common + 8.0);
        assert_eq!(model.weight(1, MISSING, None), 0.0);
    }
}
