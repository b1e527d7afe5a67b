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

pub use crate::compare::Vector;
use crate::compare::{DOB, FIELDS, GIVEN, LEVELS, MIDDLE, MISSING, TIN};

/// The format version this build reads and writes.
pub const VERSION: u32 = 3;

/// Pseudo-pairs, agreeing as strangers do, added to the relatives' observed pairs: with few
/// households in the extract, a relative looks like a stranger on given name and date of
/// birth.
pub const RELATIVE_PSEUDO_PAIRS: f64 = 10.0;

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

/// The third class of the posterior, beside "this taxpayer" and "nobody in the extract":
/// *a relative who lives with this taxpayer and is not in the extract* — a twin, a son named
/// for his father, a sibling who never filed. Such a person agrees with the taxpayer on
/// family name and address exactly as the taxpayer would, so only the given and middle
/// names, the date of birth and the TIN tell them apart; how relatives agree on the first
/// three is learnt from taxpayers who file from one address under one family name, jointly,
/// because they are far from independent at home (twins share a birthday and differ in
/// name, a junior shares both names and differs in birthday).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    /// Prior probability that a subject is such a relative of someone in the extract, shared
    /// equally by every taxpayer, like λ; estimated with λ by EM over subjects.
    pub share: f64,
    /// P(given-name level, date-of-birth level | two relatives living together): one row per
    /// given-name level, one column per date-of-birth level (levels as in `fields`).
    pub given_dob: Vec<Vec<f64>>,
    /// P(given-name level, middle-name level | two relatives living together who both write
    /// a middle name): one row per given-name level, one column per middle-name level. A
    /// son named for his father shares both names; a mother and daughter of one given name
    /// rarely share the middle one. (Absent from files of format version 2, which are
    /// refused by version.)
    #[serde(default)]
    pub given_middle: Vec<Vec<f64>>,
}

impl Default for Household {
    /// A starting point for training: one subject in ten, agreement levels all alike.
    fn default() -> Household {
        let alike = |columns: usize| {
            let cells = (LEVELS[GIVEN].len() * LEVELS[columns].len()) as f64;
            vec![vec![1.0 / cells; LEVELS[columns].len()]; LEVELS[GIVEN].len()]
        };
        Household {
            share: 0.1,
            given_dob: alike(DOB),
            given_middle: alike(MIDDLE),
        }
    }
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
    /// The relatives class: how relatives living together agree, and how many subjects are one.
    /// (Absent from version-1 files, which [`Model::validate`] then refuses by version.)
    #[serde(default)]
    pub household: Household,
    /// Decision thresholds.
    pub thresholds: Thresholds,
    /// Term-frequency tables' provenance.
    pub term_frequencies: TfProvenance,
    /// Training statistics: pairs sampled for u, candidate pairs and EM iterations for m.
    pub training: BTreeMap<String, f64>,
}

/// Posterior probability of each hypothesis, given each one's log2 odds against "nobody in
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
    #[error(
        "model format version {0} is not supported (this build reads version {VERSION}; `crosscheck train` writes one)"
    )]
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
                        })
                        .collect(),
                }
            })
            .collect();
        Model {
            version: VERSION,
            lambda: 0.5,
            fields,
            household: Household::default(),
            thresholds: Thresholds::default(),
            term_frequencies: TfProvenance {
                source: "counted over the taxpayers of the extract being linked (distinct names per taxpayer)".into(),
                taxpayers: 0,
            },
            training: BTreeMap::new(),
        }
    }

    /// The weight (log2 Bayes factor) of `level` of `field`, with `u` replaced by `u_instead`
    /// (a term frequency) when one is given.
    pub fn weight(&self, field: usize, level: u8, u_instead: Option<f64>) -> f64 {
        if level == MISSING {
            return 0.0;
        }
        let l = &self.fields[field].levels[level as usize];
        let u = u_instead.map_or(l.u, |t| t.max(1e-7));
        (l.m / u).log2()
    }

    /// Prior probability that a subject is nobody in the extract nor a relative living with
    /// someone in it.
    fn nobody(&self) -> f64 {
        (1.0 - self.lambda - self.household.share).max(1e-9)
    }

    /// Sets how relatives living together agree from pairs of them (`[given level, middle
    /// level, date-of-birth level]` per pair; given name and date of birth present, the
    /// middle name [`MISSING`] when either has none): the given-name × date-of-birth table
    /// from every pair, the given-name × middle-name table from the pairs with both middle
    /// names. Each is smoothed towards strangers' agreement ([`RELATIVE_PSEUDO_PAIRS`]).
    pub fn set_household(&mut self, pairs: &[[u8; 3]]) {
        let table = |columns: usize, pairs: &mut dyn Iterator<Item = (u8, u8)>| {
            let (given, other) = (&self.fields[GIVEN].levels, &self.fields[columns].levels);
            let mut counts = vec![vec![0u64; other.len()]; given.len()];
            let mut n = RELATIVE_PSEUDO_PAIRS;
            for (g, o) in pairs {
                counts[g as usize][o as usize] += 1;
                n += 1.0;
            }
            given
                .iter()
                .zip(counts)
                .map(|(g, row)| {
                    other
                        .iter()
                        .zip(row)
                        .map(|(o, c)| (c as f64 + RELATIVE_PSEUDO_PAIRS * g.u * o.u) / n)
                        .collect()
                })
                .collect::<Vec<Vec<f64>>>()
        };
        let given_dob = table(DOB, &mut pairs.iter().map(|&[g, _, d]| (g, d)));
        let given_middle = table(
            MIDDLE,
            &mut pairs
                .iter()
                .filter(|p| p[1] != MISSING)
                .map(|&[g, m, _]| (g, m)),
        );
        self.household.given_dob = given_dob;
        self.household.given_middle = given_middle;
    }

    /// log2 of how much likelier a comparison's given name, middle name, date of birth and
    /// TIN are from a relative living with the taxpayer than from the taxpayer (priors not
    /// included): the relative agrees on family name and address as the taxpayer would, on
    /// given name, middle name and date of birth as relatives do, and on the TIN as a
    /// stranger does (it is their own). The middle name is taken to depend on the date of
    /// birth only through the given name.
    pub fn relative_evidence(&self, levels: &Vector) -> f64 {
        let (g, mid, d) = (levels[GIVEN], levels[MIDDLE], levels[DOB]);
        let h = &self.household;
        // P(column level | given level) from a joint table; the column's marginal when the
        // given name is missing; 1 when the column is.
        let conditional = |table: &[Vec<f64>], column: u8| -> f64 {
            if column == MISSING {
                return 1.0;
            }
            let column = column as usize;
            if g == MISSING {
                table.iter().map(|row| row[column]).sum()
            } else {
                let row = &table[g as usize];
                row[column] / row.iter().sum::<f64>()
            }
        };
        let given: f64 = if g == MISSING {
            1.0
        } else {
            h.given_dob[g as usize].iter().sum()
        };
        let joint = given * conditional(&h.given_dob, d) * conditional(&h.given_middle, mid);
        let m = |f: usize, l: u8| {
            if l == MISSING {
                1.0
            } else {
                self.fields[f].levels[l as usize].m
            }
        };
        (joint.max(1e-12) / (m(GIVEN, g) * m(DOB, d) * m(MIDDLE, mid))).log2()
            - self.weight(TIN, levels[TIN], None)
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
        if self.version != VERSION {
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
        probability("household.share".into(), self.household.share)?;
        if self.lambda + self.household.share >= 1.0 {
            return Err(ModelError::Probability {
                what: "lambda + household.share (below 1)".into(),
            });
        }
        for (name, h, columns) in [
            ("given_dob", &self.household.given_dob, DOB),
            ("given_middle", &self.household.given_middle, MIDDLE),
        ] {
            let (rows, columns) = (LEVELS[GIVEN].len(), LEVELS[columns].len());
            if h.len() != rows || h.iter().any(|row| row.len() != columns) {
                return Err(ModelError::Probability {
                    what: format!("household.{name} ({rows} rows of {columns})"),
                });
            }
            for (g, row) in h.iter().enumerate() {
                for (c, &p) in row.iter().enumerate() {
                    probability(format!("household.{name}[{g}][{c}]"), p)?;
                }
            }
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
            }
        }
        Ok(())
    }

    /// log2 of the prior odds that a subject is one particular taxpayer of `taxpayers`
    /// rather than nobody in the extract: λ is shared equally by every taxpayer, so a bigger
    /// extract asks for more evidence.
    pub fn candidate_prior(&self, taxpayers: usize) -> f64 {
        (self.lambda / self.nobody()).log2() - (taxpayers.max(1) as f64).log2()
    }

    /// log2 of the prior odds that a subject is a relative living with one particular
    /// taxpayer of `taxpayers`, not in the extract, rather than nobody in it.
    pub fn relative_prior(&self, taxpayers: usize) -> f64 {
        (self.household.share / self.nobody()).log2() - (taxpayers.max(1) as f64).log2()
    }

    /// Estimates λ, the prior probability that a subject is someone in the extract, and the
    /// share of subjects who are a relative living with someone in it, by EM over subjects:
    /// each item holds, per candidate of one subject among `taxpayers`, the match weight
    /// (without prior) and the [`relative_evidence`](Model::relative_evidence). Returns the
    /// iterations run.
    pub fn fit_priors(&mut self, subjects: &[Vec<(f64, f64)>], taxpayers: usize) -> usize {
        use rayon::prelude::*;
        for iter in 1..=200 {
            let (prior, relative) = (
                self.candidate_prior(taxpayers),
                self.relative_prior(taxpayers),
            );
            // Summed per fixed chunk on every core, then chunk by chunk in order: the same
            // floating-point sums whatever the number of threads.
            let sums: Vec<(f64, f64)> = subjects
                .par_chunks(1024)
                .map(|chunk| {
                    let mut scratch = Vec::new();
                    let (mut matches, mut relatives) = (0.0, 0.0);
                    for candidates in chunk {
                        scratch.clear();
                        scratch.extend(candidates.iter().map(|(w, _)| w + prior));
                        scratch.extend(candidates.iter().map(|(w, r)| w + r + relative));
                        let p = posteriors(&scratch);
                        let (m, r) = p.split_at(candidates.len());
                        matches += m.iter().sum::<f64>();
                        relatives += r.iter().sum::<f64>();
                    }
                    (matches, relatives)
                })
                .collect();
            let (matches, relatives) = sums
                .iter()
                .fold((0.0, 0.0), |(a, b), (m, r)| (a + m, b + r));
            let n = subjects.len().max(1) as f64;
            let lambda = (matches / n).clamp(1e-6, 1.0 - 2e-6);
            let share = (relatives / n).clamp(1e-6, 1.0 - 1e-6 - lambda);
            let change = (lambda - self.lambda)
                .abs()
                .max((share - self.household.share).abs());
            self.lambda = lambda;
            self.household.share = share;
            if change < 1e-7 {
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
        // Known parameters: six fields, as in the real model.
        let truth_m: [&[f64]; FIELDS.len()] = [
            &[0.80, 0.08, 0.05, 0.04, 0.03],
            &[0.75, 0.12, 0.06, 0.04, 0.03],
            &[0.85, 0.04, 0.04, 0.03, 0.04],
            &[0.60, 0.10, 0.10, 0.10, 0.10],
            &[0.90, 0.05, 0.05],
            &[0.55, 0.05, 0.30, 0.10],
        ];
        let truth_u: [&[f64]; FIELDS.len()] = [
            &[0.02, 0.01, 0.03, 0.10, 0.84],
            &[0.30, 0.10, 0.05, 0.10, 0.45],
            &[0.002, 0.001, 0.01, 0.05, 0.937],
            &[0.05, 0.03, 0.20, 0.30, 0.42],
            &[0.001, 0.004, 0.995],
            &[0.02, 0.01, 0.07, 0.90],
        ];
        let lambda = 0.2;
        let mut rng = Lcg(7);
        let mut patterns: BTreeMap<Vector, u64> = BTreeMap::new();
        for _ in 0..400_000 {
            let is_match = rng.next_f64() < lambda;
            let mut v = [0u8; FIELDS.len()];
            for f in 0..FIELDS.len() {
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
        for f in 0..FIELDS.len() {
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
    fn em_over_subjects_recovers_the_shares_of_matches_and_of_relatives() {
        // Three classes with known shares; each subject has one candidate (one taxpayer) and
        // shows one of three patterns, whose likelihood under each class is known.
        let (lambda, share) = (0.5, 0.2);
        let likelihood = |class: usize| -> [f64; 3] {
            match class {
                0 => [0.80, 0.15, 0.05], // the taxpayer
                1 => [0.10, 0.80, 0.10], // a relative living with them
                _ => [0.02, 0.08, 0.90], // nobody in the extract
            }
        };
        let mut rng = Lcg(11);
        let mut subjects = Vec::new();
        for _ in 0..100_000 {
            let r = rng.next_f64();
            let class = if r < lambda {
                0
            } else if r < lambda + share {
                1
            } else {
                2
            };
            let pattern = draw(&mut rng, &likelihood(class)) as usize;
            let [m, h, n] = [0, 1, 2].map(|c| likelihood(c)[pattern]);
            subjects.push(vec![((m / n).log2(), (h / m).log2())]);
        }
        let mut model = Model::initial();
        let iters = model.fit_priors(&subjects, 1);
        assert!(iters < 200, "EM converged");
        assert!((model.lambda - lambda).abs() < 0.02, "λ {}", model.lambda);
        assert!(
            (model.household.share - share).abs() < 0.02,
            "share {}",
            model.household.share
        );
    }

    #[test]
    fn relatives_are_told_from_the_taxpayer_by_given_name_and_birth_date_jointly() {
        let mut model = Model::initial();
        // The taxpayer's own records: names and birth dates agree, rarely differ.
        model.fields[GIVEN].levels[0].m = 0.9;
        model.fields[GIVEN].levels[4].m = 0.01;
        model.fields[DOB].levels[0].m = 0.9;
        model.fields[TIN].levels[0].u = 1e-6;
        // Twins (name differs, birthday agrees), juniors (the reverse), the rest; middle
        // names not written.
        let mut pairs = vec![[4, MISSING, 0]; 30];
        pairs.extend(vec![[0, MISSING, 4]; 50]);
        pairs.extend(vec![[4, MISSING, 4]; 920]);
        model.set_household(&pairs);
        let total: f64 = model.household.given_dob.iter().flatten().sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        let v = |given, dob, tin| [given, 0, dob, 0, tin, MISSING];
        // A different given name on the right birthday is likelier from a twin.
        assert!(model.relative_evidence(&v(4, 0, MISSING)) > 0.0);
        // Name and birthday both exact: never seen at home, far likelier the taxpayer,
        // although each alone is common there.
        assert!(model.relative_evidence(&v(0, 0, MISSING)) < -10.0);
        // The taxpayer's own TIN rules a relative out.
        assert!(
            model.relative_evidence(&v(4, 0, 0)) < model.relative_evidence(&v(4, 0, MISSING)) - 5.0
        );
        // Without given name and date of birth only the TIN speaks.
        assert_eq!(model.relative_evidence(&v(MISSING, MISSING, MISSING)), 0.0);
    }

    #[test]
    fn a_middle_name_tells_a_junior_from_a_mother_and_daughter_of_one_given_name() {
        let mut model = Model::initial();
        model.fields[GIVEN].levels[0].m = 0.9;
        model.fields[MIDDLE].levels[0].m = 0.8;
        model.fields[MIDDLE].levels[3].m = 0.02;
        // At home, relatives of one given name are juniors (both names shared) or mothers
        // and daughters (middle names differ), in equal numbers; relatives of different
        // given names rarely share a middle name.
        let mut pairs = vec![[0, 0, 4]; 20];
        pairs.extend(vec![[0, 3, 4]; 20]);
        pairs.extend(vec![[4, 3, 4]; 900]);
        pairs.extend(vec![[4, 0, 4]; 10]);
        model.set_household(&pairs);
        let total: f64 = model.household.given_middle.iter().flatten().sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        let with_middle = |middle| model.relative_evidence(&[0, 0, MISSING, 0, MISSING, middle]);
        let unknown = with_middle(MISSING);
        // A different middle name under the same given name: a relative, far likelier than
        // the taxpayer who writes hers the same way every year.
        assert!(
            with_middle(3) > unknown + 3.0,
            "{} vs {unknown}",
            with_middle(3)
        );
        // The same middle name: a junior is still possible, but less so than unknown.
        assert!(with_middle(0) < unknown, "{} vs {unknown}", with_middle(0));
        assert!(with_middle(0) > -10.0, "a junior shares both names");
    }

    #[test]
    fn a_model_that_does_not_fit_this_build_is_refused() {
        assert_eq!(Model::initial().validate(), Ok(()));
        let mut m = Model::initial();
        m.fields.pop();
        assert!(matches!(
            m.validate(),
            Err(ModelError::Shape { index: MIDDLE, .. })
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
    fn a_relatives_class_that_cannot_be_used_is_refused() {
        let refused = |edit: fn(&mut Model)| {
            let mut m = Model::initial();
            edit(&mut m);
            m.validate().unwrap_err().to_string()
        };
        assert!(refused(|m| m.household.share = 0.0).contains("household.share"));
        assert!(refused(|m| m.household.share = 1.0 - m.lambda).contains("lambda + household"));
        assert!(refused(|m| drop(m.household.given_dob.pop())).contains("household.given_dob"));
        assert!(refused(|m| m.household.given_dob[2].push(0.1)).contains("household.given_dob"));
        assert!(refused(|m| m.household.given_dob[1][3] = f64::NAN).contains("given_dob[1][3]"));
        assert!(refused(|m| m.household.given_middle.clear()).contains("household.given_middle"));
        assert!(refused(|m| m.household.given_middle[4][3] = 0.0).contains("given_middle[4][3]"));
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
