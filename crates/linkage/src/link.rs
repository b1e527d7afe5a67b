//! Scoring, deciding and explaining: the per-subject answer.
//!
//! Every candidate taxpayer gets a match weight — the prior log-odds plus one weight per
//! field — and a posterior probability. The subject's outcome is `match` only when the best
//! candidate is near-certain, agrees on name (and on TIN when one was supplied), and leads
//! every other candidate by a wide margin; a plausible second candidate (a twin, a relative at
//! the same address, a namesake) makes it `review`, and so does anything in the uncertain
//! band. Each decision carries the weights that produced it.

use std::fmt::Write as _;

use rayon::prelude::*;
use serde::Serialize;

use crosscheck_contract::Outcome;

use crate::compare::{
    self, ADDRESS, Comparison, DOB, FAMILY, FIELDS, GIVEN, LEVELS, MIDDLE, MISSING, Prepared, TIN,
};
use crate::index::Index;
use crate::model::{Model, Vector, posteriors};

/// One field's contribution to a match weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Field name.
    pub field: &'static str,
    /// Level name (`exact`, `similar`, `missing`, …).
    pub level: &'static str,
    /// Weight in bits (log2 Bayes factor).
    pub weight: f64,
    /// How u was adjusted, if it was: `term_frequency` (a common name is weaker evidence).
    pub adjustment: Option<&'static str>,
}

/// A candidate with its score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    /// Index of the taxpayer in [`Index::taxpayers`].
    pub taxpayer: u32,
    /// Match weight: prior plus every field's weight, in bits.
    pub weight: f64,
    /// Posterior probability that this taxpayer is the subject.
    pub probability: f64,
    /// Per-field evidence.
    pub evidence: Vec<Evidence>,
    /// Whether the names agreed best with given and family swapped.
    pub swapped: bool,
    /// Tax year of the address that agreed best.
    pub address_year: Option<u16>,
}

/// The answer for one subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// `match`, `review` or `no_match`.
    #[serde(serialize_with = "outcome_str")]
    pub outcome: Outcome,
    /// Best candidate.
    pub best: Option<Scored>,
    /// Second-best candidate.
    pub runner_up: Option<Scored>,
    /// Candidates compared.
    pub candidates: usize,
    /// Posterior probability that the subject is a relative living with one of the
    /// candidates who is not in the extract ([`crate::model::Household`]).
    pub relative: f64,
    /// Why the outcome is not `match` when a best candidate exists.
    pub reason: Option<Reason>,
}

/// Why a subject whose best candidate was plausible was not matched automatically (the
/// result file's `reason` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Too little agrees to put before a reviewer ([`reviewable`]); the outcome is
    /// `no_match`.
    BelowMinimumIdentifiers,
    /// Below the match probability, with a second candidate that is itself plausible.
    CloseCompetitor,
    /// Below the match probability because the subject may be a relative living with the
    /// candidate who is not in the extract (a twin, a son named for his father).
    PossibleRelative,
    /// Below the match probability.
    Uncertain,
    /// The names do not agree as rule 18 asks ([`names_agree`]).
    NameNotInAgreement,
    /// The subject's TIN is not the candidate's (rule 18).
    TinNotInAgreement,
    /// No date of birth or TIN backs the names ([`corroborated`]).
    NotCorroborated,
}

impl Reason {
    /// The name written to result files.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::BelowMinimumIdentifiers => "below_minimum_identifiers",
            Reason::CloseCompetitor => "close_competitor",
            Reason::PossibleRelative => "possible_relative",
            Reason::Uncertain => "uncertain",
            Reason::NameNotInAgreement => "name_not_in_agreement",
            Reason::TinNotInAgreement => "tin_not_in_agreement",
            Reason::NotCorroborated => "not_corroborated",
        }
    }

    /// Every reason, in the order the rules are tried.
    pub const ALL: [Reason; 7] = [
        Reason::BelowMinimumIdentifiers,
        Reason::CloseCompetitor,
        Reason::PossibleRelative,
        Reason::Uncertain,
        Reason::NameNotInAgreement,
        Reason::TinNotInAgreement,
        Reason::NotCorroborated,
    ];

    /// The reason written as `code` in a result file, if it is one.
    pub fn parse(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == code)
    }

    /// A result file's reason `code` in words, with the code after it; a code this build
    /// does not know is shown as it is.
    pub fn in_words(code: &str) -> String {
        match Reason::parse(code) {
            Some(r) => format!("{} ({code})", r.describe()),
            None => code.to_owned(),
        }
    }

    /// What the reason means, in words for the reviewer who sees it.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::BelowMinimumIdentifiers => {
                "too little agrees to identify anyone: a name, without a date of birth, address or TIN in agreement"
            }
            Reason::CloseCompetitor => {
                "another taxpayer is almost as likely to be this person (twins who both file, a father and son of one name, a namesake)"
            }
            Reason::PossibleRelative => {
                "a relative living with this taxpayer who is not in the tax data (a twin, a son named for his father) could be the person asked about: the given and middle names and the date of birth agree no better than a relative's would"
            }
            Reason::Uncertain => "the evidence falls short of the automatic-match threshold",
            Reason::NameNotInAgreement => {
                "the names do not agree as rule 18 requires (the family name at least weakly, the given name at least weakly or left out)"
            }
            Reason::TinNotInAgreement => "the TIN in the request is not this taxpayer's (rule 18)",
            Reason::NotCorroborated => {
                "no date of birth or TIN backs the names, and names and addresses are shared within families"
            }
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

fn outcome_str<S: serde::Serializer>(o: &Outcome, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(o.as_str())
}

/// The candidates of one subject, compared.
pub type Compared = Vec<(u32, Comparison)>;

/// Finds and compares every candidate of every subject, over all cores; order is kept.
pub fn compare_all(
    index: &Index,
    subjects: &[Prepared],
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<Compared> {
    subjects
        .par_iter()
        .map(|s| {
            let out = index
                .candidates(s)
                .into_iter()
                .map(|t| (t, compare::compare(s, &index.taxpayers[t as usize], index)))
                .collect();
            progress(1);
            out
        })
        .collect()
}

/// Rounds of re-estimating m.
pub const TRAINING_ROUNDS: usize = 3;

/// Bits of evidence the other fields must carry before a pair counts towards a field's m.
pub const LOO_BITS: f64 = 30.0;

/// Pairs sampled to estimate u.
pub const U_SAMPLE_PAIRS: usize = 200_000;

/// Trains a model without labels: u from random subject–taxpayer pairs, m from pairs the
/// other fields already identify, and λ (the share of subjects who are in the extract) by EM
/// over every subject's candidates.
pub fn train(index: &Index, subjects: &[Prepared], compared: &[Compared], seed: u64) -> Model {
    let mut model = Model::initial();
    let mut counts: Vec<Vec<u64>> = LEVELS.iter().map(|l| vec![0; l.len()]).collect();
    if !subjects.is_empty() && !index.is_empty() {
        let mut rng = crate::SplitMix(seed);
        let pairs: Vec<(usize, usize)> = (0..U_SAMPLE_PAIRS)
            .map(|_| {
                (
                    (rng.next() % subjects.len() as u64) as usize,
                    (rng.next() % index.len() as u64) as usize,
                )
            })
            .collect();
        let vectors: Vec<Vector> = pairs
            .par_iter()
            .map(|&(s, t)| compare::compare(&subjects[s], &index.taxpayers[t], index).levels)
            .collect();
        for v in vectors {
            for (f, l) in v.iter().enumerate() {
                if *l != MISSING {
                    counts[f][*l as usize] += 1;
                }
            }
        }
    }
    model.set_u(&counts);
    // m by leave-one-out agreement: EM over blocked pairs learns "shares a surname" as the
    // match class (blocks are full of namesakes and relatives), so each field's m is read
    // off the best candidates whose *other* fields alone are overwhelming evidence
    // (≥ LOO_BITS): under the model's own conditional-independence assumption those are
    // matches, and the field's level among them estimates its m. Each round's weights choose
    // the next round's best candidates.
    let mut confident = 0u64;
    for _ in 0..TRAINING_ROUNDS {
        // Whole-number counts, summed over all cores: the same in any order.
        let zero = || (LEVELS.map(|l| vec![0u64; l.len()]), 0u64);
        let (m_counts, round_confident) = compared
            .par_iter()
            .map(|cands| levels_for_m(&model, cands))
            .fold(zero, |(mut m_counts, confident), levels| {
                for (f, level) in levels.iter().enumerate() {
                    if let Some(l) = level {
                        m_counts[f][*l as usize] += 1;
                    }
                }
                (
                    m_counts,
                    confident + u64::from(levels.iter().any(Option::is_some)),
                )
            })
            .reduce(zero, |(mut a, n), (b, k)| {
                for (x, y) in a.iter_mut().zip(&b) {
                    for (p, q) in x.iter_mut().zip(y) {
                        *p += q;
                    }
                }
                (a, n + k)
            });
        confident = round_confident;
        model.set_m(&m_counts);
    }
    // Relatives living together: how they agree on given name and date of birth, read off
    // taxpayers who file from one address under one family name.
    let relatives = relative_pairs(index);
    model.set_household(&relatives);
    model
        .training
        .insert("relative_pairs".into(), relatives.len() as f64);
    let weights: Vec<Vec<(f64, f64)>> = compared
        .par_iter()
        .map(|cands| {
            cands
                .iter()
                .map(|(_, c)| (weight(&model, c), model.relative_evidence(&c.levels)))
                .collect()
        })
        .collect();
    let iterations = model.fit_priors(&weights, index.len());
    let pairs: u64 = compared.iter().map(|c| c.len() as u64).sum();
    model
        .training
        .insert("confident_pairs_for_m".into(), confident as f64);
    model.term_frequencies.taxpayers = index.len() as u64;
    model
        .training
        .insert("u_sample_pairs".into(), U_SAMPLE_PAIRS as f64);
    model
        .training
        .insert("candidate_pairs".into(), pairs as f64);
    model
        .training
        .insert("lambda_em_iterations".into(), iterations as f64);
    model
}

/// Pairs of co-resident taxpayers taken per address to learn how relatives agree.
pub const RELATIVE_PAIRS_PER_ADDRESS: usize = 10;

/// The given-name, middle-name and date-of-birth levels between taxpayers who file from one
/// address under one family name (exact, or one surname of a compound one): relatives
/// living together. Pairs agreeing exactly on given name and birth date are left out: they
/// are one person with two records.
fn relative_pairs(index: &Index) -> Vec<[u8; 3]> {
    index
        .co_resident_pairs(RELATIVE_PAIRS_PER_ADDRESS)
        .par_iter()
        .filter_map(|&(a, b)| {
            let a = &index.taxpayers[a as usize];
            let (_, address) = a.addresses.last()?;
            let one = Prepared::new(
                a.names.first()?.clone(),
                a.dobs.first().copied(),
                address.clone(),
                None,
            );
            let levels = compare::compare(&one, &index.taxpayers[b as usize], index).levels;
            let (given, dob) = (levels[GIVEN], levels[DOB]);
            // Exact name and birth date at one address is one person under two numbers (an
            // ITIN the index could not join to its SSN, a duplicate record), not relatives.
            let relatives = levels[FAMILY] <= 1 && given != MISSING && dob != MISSING;
            (relatives && (given, dob) != (0, 0)).then_some([given, levels[MIDDLE], dob])
        })
        .collect()
}

/// The level each field of a subject's best candidate adds to that field's m count, if
/// any: a field counts when the *other* fields alone carry at least [`LOO_BITS`] and include
/// a person-level identifier.
fn levels_for_m(model: &Model, cands: &Compared) -> [Option<u8>; FIELDS.len()] {
    let mut out = [None; FIELDS.len()];
    let Some(best) = best_of(model, cands) else {
        return out;
    };
    let c = &cands[best].1;
    let fields = field_weights(model, c);
    let total: f64 = fields.iter().map(|(w, _)| w).sum();
    for (f, (w, _)) in fields.iter().enumerate() {
        let level = c.levels[f];
        // Names and addresses are shared within households (juniors, twins), so
        // "confident" also needs a person-level identifier among the other fields.
        let identified = (f != DOB && c.levels[DOB] <= 1) || (f != TIN && c.levels[TIN] == 0);
        if level != MISSING && identified && total - w >= LOO_BITS {
            out[f] = Some(level);
        }
    }
    out
}

/// Each field's weight for one comparison, and whether u was adjusted (an exactly agreeing
/// name's term frequency).
fn field_weights(model: &Model, c: &Comparison) -> [(f64, Option<&'static str>); FIELDS.len()] {
    let mut out = [(0.0, None); FIELDS.len()];
    for (f, &level) in c.levels.iter().enumerate() {
        let u_instead = match (f, level) {
            (GIVEN, 0) => c.tf.given,
            (FAMILY, 0 | 1) => c.tf.family,
            (MIDDLE, 0) => c.tf.middle,
            _ => None,
        };
        out[f] = (
            model.weight(f, level, u_instead),
            u_instead.map(|_| "term_frequency"),
        );
    }
    out
}

/// The match weight of one comparison without the prior (sum of the field weights).
pub fn weight(model: &Model, c: &Comparison) -> f64 {
    field_weights(model, c).iter().map(|(w, _)| w).sum()
}

/// Position of the best-weighted candidate (ties to the lower taxpayer index).
fn best_of(model: &Model, cands: &Compared) -> Option<usize> {
    (0..cands.len()).max_by(|&a, &b| {
        weight(model, &cands[a].1)
            .total_cmp(&weight(model, &cands[b].1))
            .then(cands[b].0.cmp(&cands[a].0))
    })
}

/// Scores one comparison with its per-field evidence; `probability` is left for
/// [`decide`], which knows the other candidates.
pub fn score(model: &Model, taxpayer: u32, c: &Comparison) -> Scored {
    let fields = field_weights(model, c);
    let evidence = fields
        .iter()
        .enumerate()
        .map(|(f, &(w, tf))| Evidence {
            field: FIELDS[f],
            level: if c.levels[f] == MISSING {
                "missing"
            } else {
                LEVELS[f][c.levels[f] as usize]
            },
            weight: w,
            adjustment: tf,
        })
        .collect();
    Scored {
        taxpayer,
        weight: fields.iter().map(|(w, _)| w).sum(),
        probability: f64::NAN,
        evidence,
        swapped: c.swapped,
        address_year: c.address_year,
    }
}

/// Decides one subject from its compared candidates.
///
/// Probabilities are posterior over "one of the taxpayers", "a relative living with one of
/// them who is not in the extract", or "nobody in the extract": each taxpayer's prior is λ
/// shared equally by the whole extract, each one's relative's the household share shared
/// likewise, nobody's the rest (taxpayers outside the blocks have negligible weight and are
/// left out of the sum). Two strong candidates (twins who both file) therefore share the
/// probability and neither is matched automatically, and a candidate whose given name and
/// birth date agree no better than a sibling's would loses it to the relative.
/// `weight` is reported as log2 of the posterior odds of the candidate against nobody.
pub fn decide(model: &Model, index: &Index, subject: &Prepared, compared: &Compared) -> Decision {
    let prior = model.candidate_prior(index.len());
    let relative_prior = model.relative_prior(index.len());
    let weights: Vec<f64> = compared
        .iter()
        .map(|(_, c)| weight(model, c) + prior)
        .collect();
    let mut hypotheses = weights.clone();
    hypotheses.extend(
        compared
            .iter()
            .zip(&weights)
            .map(|((_, c), w)| w - prior + relative_prior + model.relative_evidence(&c.levels)),
    );
    let all = posteriors(&hypotheses);
    let (probabilities, relatives) = all.split_at(compared.len());
    let relative: f64 = relatives.iter().sum();
    let mut order: Vec<usize> = (0..compared.len()).collect();
    order.sort_by(|&a, &b| {
        weights[b]
            .total_cmp(&weights[a])
            .then(compared[a].0.cmp(&compared[b].0))
    });
    let scored = |i: usize| {
        let (t, c) = &compared[i];
        let mut s = score(model, *t, c);
        s.weight = weights[i];
        s.probability = probabilities[i];
        s
    };
    let best = order.first().map(|&i| scored(i));
    let runner_up = order.get(1).map(|&i| scored(i));
    let levels = order
        .first()
        .map_or([MISSING; FIELDS.len()], |&i| compared[i].1.levels);
    let candidates = compared.len();
    let t = &model.thresholds;
    let (outcome, reason) = match &best {
        None => (Outcome::NoMatch, None),
        Some(b) if b.probability < t.review_probability => (Outcome::NoMatch, None),
        Some(_) if !reviewable(&levels) => {
            (Outcome::NoMatch, Some(Reason::BelowMinimumIdentifiers))
        }
        Some(b) => {
            let reason = if b.probability < t.match_probability {
                // The likelier alternative to the best candidate names the reason.
                let other = runner_up.as_ref().map_or(0.0, |r| r.probability);
                Some(if other.max(relative) < 1.0 - t.match_probability {
                    Reason::Uncertain
                } else if relative > other {
                    Reason::PossibleRelative
                } else {
                    Reason::CloseCompetitor
                })
            } else if !names_agree(&levels) {
                Some(Reason::NameNotInAgreement)
            } else if subject.tin.is_some() && levels[TIN] != 0 {
                Some(Reason::TinNotInAgreement)
            } else if !corroborated(&levels) {
                Some(Reason::NotCorroborated)
            } else {
                None
            };
            (
                if reason.is_some() {
                    Outcome::Review
                } else {
                    Outcome::Match
                },
                reason,
            )
        }
    };
    Decision {
        outcome,
        best,
        runner_up,
        candidates,
        relative,
        reason,
    }
}

/// Whether the names agree as RULES.md rule 18 asks: the family name (the IRS name control
/// is read from it) at least weakly, and the given name at least weakly or left out. A
/// different name is never matched automatically, however strong the rest: a relative at
/// the same address differs exactly there.
pub fn names_agree(levels: &Vector) -> bool {
    let (given, family) = (levels[GIVEN], levels[FAMILY]);
    family <= 3 && (given <= 3 || given == MISSING)
}

/// Whether a person-level identifier backs the names. The taxpayer's own TIN does, whatever
/// else was mistyped (TINs are never shared, and rule 18 has already checked the names);
/// otherwise the given name must be there (twins share everything else) and the date of
/// birth exact, day and month swapped, or one digit off with the address in agreement — and
/// neither date of birth nor TIN in disagreement. Names and addresses are shared within
/// families (a son named for his father who never filed lives at the same address), so
/// without a date of birth or TIN nothing is released automatically (rules 18, 19).
pub fn corroborated(levels: &Vector) -> bool {
    let (given, dob, address, tin) = (levels[GIVEN], levels[DOB], levels[ADDRESS], levels[TIN]);
    if tin == 0 {
        return true;
    }
    let contradicted = dob == 4 || tin == 2;
    let identified = given != MISSING && (dob <= 1 || (dob == 2 && address <= 1));
    identified && !contradicted
}

/// The minimum identifier set below which a person is not asked to review (as SAVE and
/// CBSV refuse to answer below theirs): some agreement on a name, and on at least one of
/// date of birth, address (same ZIP or better) or TIN. Name agreement alone is `no_match`.
pub fn reviewable(levels: &Vector) -> bool {
    let name = levels[GIVEN] <= 3 || levels[FAMILY] <= 3;
    let (dob, address, tin) = (levels[DOB], levels[ADDRESS], levels[TIN]);
    let other = dob <= 3 || address <= 2 || tin <= 1;
    name && other
}

/// The evidence of a scored candidate as `field=level:+w;…` (the result file's column).
pub fn evidence_string(s: &Scored) -> String {
    let mut out = String::new();
    for e in &s.evidence {
        let _ = write!(
            out,
            "{}={}:{:+.2}{};",
            e.field,
            e.level,
            e.weight,
            if e.adjustment.is_some() { "(tf)" } else { "" }
        );
    }
    if s.swapped {
        out.push_str("names_swapped;");
    }
    out.pop();
    out
}
