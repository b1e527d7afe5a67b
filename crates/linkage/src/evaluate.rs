//! Scoring a link result against ground truth.
//!
//! An automatic `match` is right only when its TIN is one of the subject's own TINs. Precision
//! and recall are those of automatic matches: the figures that decide how often law
//! enforcement is sent to the wrong door (precision) and how much work is left to reviewers
//! (recall, review rate). Every figure is broken down by kind of subject, name origin and
//! distortion so a weakness cannot hide in an average.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Serialize;

use crosscheck_contract::{LinkResult, Outcome, Subject, Truth};

use crate::index::{BlockingMiss, Index, prepare};

/// Counts for one slice of the subjects (all, one kind, one origin, one distortion).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Slice {
    /// Subjects in the slice.
    pub subjects: u64,
    /// Subjects who are in the extract (truth names at least one TIN).
    pub findable: u64,
    /// Automatic matches.
    pub matches: u64,
    /// Automatic matches to one of the subject's own TINs.
    pub correct_matches: u64,
    /// Automatic matches to someone else: the errors that matter most.
    pub wrong_matches: u64,
    /// Subjects sent to review.
    pub reviews: u64,
    /// Reviews whose candidate is the subject's own TIN.
    pub correct_reviews: u64,
    /// `no_match` decisions.
    pub no_matches: u64,
    /// `no_match` decisions for findable subjects.
    pub missed: u64,
}

/// Ratios derived from a [`Slice`]; `None` where the denominator is zero.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rates {
    /// correct matches / matches.
    pub precision: Option<f64>,
    /// correct matches / findable.
    pub recall: Option<f64>,
    /// Harmonic mean of precision and recall.
    pub f1: Option<f64>,
    /// reviews / subjects.
    pub review_rate: Option<f64>,
    /// (correct matches + correct reviews) / findable: what a reviewer can reach.
    pub recall_with_review: Option<f64>,
    /// wrong matches / subjects.
    pub wrong_match_rate: Option<f64>,
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl Slice {
    fn add(&mut self, findable: bool, outcome: Outcome, right: bool) {
        self.subjects += 1;
        self.findable += u64::from(findable);
        match outcome {
            Outcome::Match => {
                self.matches += 1;
                self.correct_matches += u64::from(right);
                self.wrong_matches += u64::from(!right);
            }
            Outcome::Review => {
                self.reviews += 1;
                self.correct_reviews += u64::from(right);
            }
            Outcome::NoMatch => {
                self.no_matches += 1;
                self.missed += u64::from(findable);
            }
        }
    }

    /// The derived ratios.
    pub fn rates(&self) -> Rates {
        let precision = ratio(self.correct_matches, self.matches);
        let recall = ratio(self.correct_matches, self.findable);
        let f1 = match (precision, recall) {
            (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
            (Some(_), Some(_)) => Some(0.0),
            _ => None,
        };
        Rates {
            precision,
            recall,
            f1,
            review_rate: ratio(self.reviews, self.subjects),
            recall_with_review: ratio(self.correct_matches + self.correct_reviews, self.findable),
            wrong_match_rate: ratio(self.wrong_matches, self.subjects),
        }
    }
}

/// A slice with its ratios, as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    /// The counts.
    #[serde(flatten)]
    pub counts: Slice,
    /// The ratios.
    #[serde(flatten)]
    pub rates: Rates,
}

impl From<&Slice> for Line {
    fn from(s: &Slice) -> Line {
        Line {
            counts: s.clone(),
            rates: s.rates(),
        }
    }
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// All subjects with both a truth and a result row.
    pub overall: Line,
    /// By kind of subject (`filer`, `non_filer`, `namesake`, `relative`, …).
    pub by_kind: BTreeMap<String, Line>,
    /// By name origin.
    pub by_origin: BTreeMap<String, Line>,
    /// By why a subject with a candidate was not matched automatically (the result's
    /// `reason`): how many of the subjects each rule held back were right candidates.
    pub by_reason: BTreeMap<String, Line>,
    /// By distortion (a subject counts once under each distortion it has).
    pub by_distortion: BTreeMap<String, Line>,
    /// By identifiers in the request (see [`by_identifiers`]); empty unless computed.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub by_identifiers: BTreeMap<String, Line>,
    /// Subject ids in the truth without a result row.
    pub missing_results: u64,
    /// Result rows whose subject is not in the truth.
    pub unknown_results: u64,
    /// How much of the truth survives blocking, when the extract and subjects were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocking: Option<Blocking>,
}

/// Blocking quality: do the subjects' own taxpayers reach comparison at all?
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blocking {
    /// Subjects in the extract (truth names a TIN) that were found in the subject file.
    pub findable: u64,
    /// Of those, subjects with one of their own TINs among their candidates.
    pub reachable: u64,
    /// reachable / findable: the ceiling on recall that blocking leaves.
    pub recall: Option<f64>,
    /// Mean number of candidates compared per subject (all subjects).
    pub mean_candidates: f64,
    /// Findable subjects whose own taxpayer missed comparison, by why (see
    /// [`crate::index::BlockingMiss`]).
    pub missed_by_reason: BTreeMap<String, u64>,
    /// The same subjects, counted once under each of their distortions.
    pub missed_by_distortion: BTreeMap<String, u64>,
    /// Their subject ids (for diagnosis; ids only, never personal values).
    pub missed_subjects: Vec<String>,
}

/// Measures blocking against the truth: for every subject, its candidates in `index`.
pub fn blocking(index: &Index, subjects: &[Subject], truth: &[Truth]) -> Blocking {
    use rayon::prelude::*;
    let by_id: HashMap<&str, &Truth> = truth.iter().map(|t| (t.subject_id.as_str(), t)).collect();
    let own = |t: &Truth, c: u32| {
        index.taxpayers[c as usize]
            .tins
            .iter()
            .any(|tin| t.tins.contains(&tin.digits()))
    };
    let by_tin: HashMap<String, u32> = index
        .taxpayers
        .iter()
        .enumerate()
        .flat_map(|(i, t)| t.tins.iter().map(move |tin| (tin.digits(), i as u32)))
        .collect();
    type Outcome<'a> = (usize, Option<bool>, Option<(&'a Truth, BlockingMiss)>);
    let per_subject: Vec<Outcome> = subjects
        .par_iter()
        .map(|s| {
            let p = prepare(s);
            let candidates = index.candidates(&p);
            let truth = by_id
                .get(s.subject_id.as_str())
                .copied()
                .filter(|t| !t.tins.is_empty());
            let reachable = truth.map(|t| candidates.iter().any(|&c| own(t, c)));
            let miss = match (truth, reachable) {
                (Some(t), Some(false)) => t
                    .tins
                    .iter()
                    .filter_map(|tin| by_tin.get(tin.as_str()))
                    .filter_map(|&c| index.blocking_miss(&p, c))
                    .max()
                    .map(|why| (t, why)),
                _ => None,
            };
            (candidates.len(), reachable, miss)
        })
        .collect();
    let findable = per_subject.iter().filter(|(_, r, _)| r.is_some()).count() as u64;
    let reachable = per_subject
        .iter()
        .filter(|(_, r, _)| *r == Some(true))
        .count() as u64;
    let total: usize = per_subject.iter().map(|(n, _, _)| n).sum();
    let mut missed_by_reason = BTreeMap::new();
    let mut missed_by_distortion = BTreeMap::new();
    let mut missed_subjects = Vec::new();
    for (t, why) in per_subject.iter().filter_map(|(_, _, m)| *m) {
        *missed_by_reason.entry(why.label().to_owned()).or_default() += 1;
        for d in &t.distortions {
            *missed_by_distortion.entry(d.clone()).or_default() += 1;
        }
        missed_subjects.push(t.subject_id.clone());
    }
    Blocking {
        findable,
        reachable,
        recall: ratio(reachable, findable),
        mean_candidates: total as f64 / per_subject.len().max(1) as f64,
        missed_by_reason,
        missed_by_distortion,
        missed_subjects,
    }
}

/// Scores `results` against `truth`.
pub fn evaluate(truth: &[Truth], results: &[LinkResult]) -> Report {
    let label = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_owned());
    let t = Tally::new(truth, results);
    Report {
        overall: t
            .slices(|_, _| vec![String::new()])
            .remove("")
            .unwrap_or_else(|| Line::from(&Slice::default())),
        by_kind: t.slices(|t, _| vec![label(&t.kind)]),
        by_origin: t.slices(|t, _| vec![label(&t.origin)]),
        by_reason: t.slices(|_, r| r.reason.iter().cloned().collect()),
        by_distortion: t.slices(|t, _| {
            if t.distortions.is_empty() {
                vec!["(none)".to_owned()]
            } else {
                t.distortions.clone()
            }
        }),
        by_identifiers: BTreeMap::new(),
        missing_results: t.missing,
        unknown_results: (results.len() - t.joined.len()) as u64,
        blocking: None,
    }
}

/// Splits the subjects by the person-level identifiers their request carries: with a date of
/// birth or a TIN (what an automatic match needs), or with neither — and the first group by
/// origin too, so that a gap between origins cannot hide behind missing identifiers.
pub fn by_identifiers(
    truth: &[Truth],
    results: &[LinkResult],
    subjects: &[Subject],
) -> BTreeMap<String, Line> {
    let identified: HashMap<&str, bool> = subjects
        .iter()
        .map(|s| {
            let p = prepare(s);
            (s.subject_id.as_str(), p.dob.is_some() || p.tin.is_some())
        })
        .collect();
    Tally::new(truth, results).slices(|t, _| match identified.get(t.subject_id.as_str()) {
        Some(true) => {
            let origin = t.origin.clone().unwrap_or_else(|| "(none)".to_owned());
            vec![
                "date of birth or TIN".to_owned(),
                format!("date of birth or TIN / {origin}"),
            ]
        }
        Some(false) => vec!["neither".to_owned()],
        None => vec!["(not in subject file)".to_owned()],
    })
}

/// Truth rows joined to their results, ready to be sliced.
struct Tally<'a> {
    joined: Vec<(&'a Truth, &'a LinkResult)>,
    missing: u64,
}

impl<'a> Tally<'a> {
    fn new(truth: &'a [Truth], results: &'a [LinkResult]) -> Tally<'a> {
        let by_id: HashMap<&str, &LinkResult> =
            results.iter().map(|r| (r.subject_id.as_str(), r)).collect();
        let mut joined = Vec::with_capacity(truth.len());
        let mut missing = 0;
        for t in truth {
            match by_id.get(t.subject_id.as_str()) {
                Some(r) => joined.push((t, *r)),
                None => missing += 1,
            }
        }
        Tally { joined, missing }
    }

    /// One line per key; a subject counts under every key `keys` gives it.
    fn slices(&self, keys: impl Fn(&Truth, &LinkResult) -> Vec<String>) -> BTreeMap<String, Line> {
        let mut out: BTreeMap<String, Slice> = BTreeMap::new();
        for (t, r) in &self.joined {
            let right = r.tin.as_ref().is_some_and(|tin| t.tins.contains(tin));
            for k in keys(t, r) {
                out.entry(k)
                    .or_default()
                    .add(!t.tins.is_empty(), r.outcome, right);
            }
        }
        out.iter()
            .map(|(k, s)| (k.clone(), Line::from(s)))
            .collect()
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{:.2}%", x * 100.0))
}

fn precise(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.4}"))
}

impl Report {
    /// The report as a plain-text table.
    pub fn to_table(&self) -> String {
        let o = &self.overall;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "subjects            {:>8}   findable (in extract) {}",
            o.counts.subjects, o.counts.findable
        );
        let _ = writeln!(
            s,
            "outcomes            match {}  review {}  no_match {}",
            o.counts.matches, o.counts.reviews, o.counts.no_matches
        );
        let _ = writeln!(
            s,
            "precision (auto)    {}   ({} wrong of {} matches)",
            precise(o.rates.precision),
            o.counts.wrong_matches,
            o.counts.matches
        );
        let _ = writeln!(s, "recall (auto)       {}", precise(o.rates.recall));
        let _ = writeln!(s, "F1 (auto)           {}", precise(o.rates.f1));
        let _ = writeln!(s, "review rate         {}", pct(o.rates.review_rate));
        let _ = writeln!(
            s,
            "recall with review  {}",
            precise(o.rates.recall_with_review)
        );
        if let Some(b) = &self.blocking {
            let _ = writeln!(
                s,
                "blocking recall     {}   ({} of {} findable subjects reach comparison; {:.1} candidates per subject)",
                precise(b.recall),
                b.reachable,
                b.findable,
                b.mean_candidates
            );
            if !b.missed_by_reason.is_empty() {
                let list = |m: &BTreeMap<String, u64>| {
                    let mut v: Vec<(&String, &u64)> = m.iter().collect();
                    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                    v.iter()
                        .map(|(k, n)| format!("{k} {n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let _ = writeln!(s, "  lost, by why      {}", list(&b.missed_by_reason));
                let _ = writeln!(s, "  lost, by distortion {}", list(&b.missed_by_distortion));
            }
        }
        if self.missing_results > 0 || self.unknown_results > 0 {
            let _ = writeln!(
                s,
                "warning: {} truth subjects have no result row; {} result rows have no truth",
                self.missing_results, self.unknown_results
            );
        }
        for (title, lines) in [
            ("identifiers", &self.by_identifiers),
            ("kind", &self.by_kind),
            ("origin", &self.by_origin),
            ("not matched, by why", &self.by_reason),
            ("distortion", &self.by_distortion),
        ] {
            if lines.is_empty() {
                continue;
            }
            let w = lines.keys().map(String::len).max().unwrap_or(0).max(18);
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "{title:<w$} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>10} {:>9}",
                "subjects", "findable", "match", "wrong", "review", "recall", "w/review", "wrong%"
            );
            for (k, l) in lines.iter() {
                let _ = writeln!(
                    s,
                    "{k:<w$} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10} {:>10} {:>9}",
                    l.counts.subjects,
                    l.counts.findable,
                    l.counts.matches,
                    l.counts.wrong_matches,
                    l.counts.reviews,
                    pct(l.rates.recall),
                    pct(l.rates.recall_with_review),
                    pct(l.rates.wrong_match_rate),
                );
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth(id: &str, kind: &str, tins: &[&str], origin: &str, distortions: &[&str]) -> Truth {
        Truth {
            subject_id: id.into(),
            kind: Some(kind.into()),
            tins: tins.iter().map(|t| (*t).to_owned()).collect(),
            origin: Some(origin.into()),
            distortions: distortions.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    fn result(id: &str, outcome: Outcome, tin: Option<&str>) -> LinkResult {
        LinkResult::new(id, outcome, tin.map(Into::into))
    }

    #[test]
    fn hand_made_case_gives_known_figures() {
        let truth = vec![
            truth(
                "a",
                "filer",
                &["111111111", "922700001"],
                "hispanic",
                &["typo_given"],
            ),
            truth("b", "filer", &["222222222"], "anglo", &[]),
            truth(
                "c",
                "filer",
                &["333333333"],
                "anglo",
                &["typo_given", "nickname"],
            ),
            truth("d", "relative", &[], "hispanic", &[]),
            truth("e", "namesake", &[], "anglo", &["nickname"]),
            truth("f", "filer", &["666000001"], "korean", &[]),
        ];
        let results = vec![
            result("a", Outcome::Match, Some("922700001")), // right (the person's ITIN)
            result("b", Outcome::Match, Some("999999999")), // wrong person
            LinkResult {
                reason: Some("name_not_in_agreement".into()),
                ..result("c", Outcome::Review, Some("333333333")) // review, right candidate
            },
            result("d", Outcome::Match, Some("111111111")), // relative matched: wrong
            result("e", Outcome::NoMatch, None),
            result("zz", Outcome::NoMatch, None),
        ];
        let r = evaluate(&truth, &results);
        let o = &r.overall;
        assert_eq!(o.counts.subjects, 5);
        assert_eq!(o.counts.findable, 3);
        assert_eq!(
            (
                o.counts.matches,
                o.counts.correct_matches,
                o.counts.wrong_matches
            ),
            (3, 1, 2)
        );
        assert_eq!(o.rates.precision, Some(1.0 / 3.0));
        assert_eq!(o.rates.recall, Some(1.0 / 3.0));
        assert!((o.rates.f1.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(o.rates.review_rate, Some(0.2));
        assert_eq!(o.rates.recall_with_review, Some(2.0 / 3.0));
        assert_eq!(r.missing_results, 1);
        assert_eq!(r.unknown_results, 1);
        assert_eq!(r.by_kind["relative"].counts.wrong_matches, 1);
        assert_eq!(r.by_kind["filer"].counts.wrong_matches, 1);
        assert_eq!(r.by_origin["hispanic"].rates.recall, Some(1.0));
        assert_eq!(r.by_origin["anglo"].rates.recall, Some(0.0));
        assert_eq!(r.by_distortion["typo_given"].counts.subjects, 2);
        assert_eq!(r.by_distortion["typo_given"].rates.recall, Some(0.5));
        assert_eq!(r.by_distortion["nickname"].rates.recall, Some(0.0));
        assert_eq!(r.by_distortion["(none)"].counts.subjects, 2);
        // Only results that give a reason are sliced by it.
        assert_eq!(r.by_reason.len(), 1);
        let held = &r.by_reason["name_not_in_agreement"];
        assert_eq!((held.counts.reviews, held.counts.correct_reviews), (1, 1));
    }

    #[test]
    fn subjects_split_by_the_identifiers_their_request_carries() {
        let truth = vec![
            truth("a", "filer", &["111111111"], "korean", &[]),
            truth("b", "filer", &["222222222"], "korean", &[]),
            truth("c", "filer", &["333333333"], "anglo", &[]),
        ];
        let results = vec![
            result("a", Outcome::Match, Some("111111111")),
            result("b", Outcome::Review, Some("222222222")),
            result("c", Outcome::Match, Some("333333333")),
        ];
        let subject = |id: &str, dob: Option<&str>, tin: Option<&str>| Subject {
            subject_id: id.into(),
            dob: dob.map(Into::into),
            tin: tin.map(Into::into),
            ..Subject::default()
        };
        let subjects = [
            subject("a", Some("1980-01-02"), None),
            subject("b", Some("not a date"), None),
            subject("c", None, Some("333-33-3333")),
        ];
        let lines = by_identifiers(&truth, &results, &subjects);
        assert_eq!(lines["date of birth or TIN"].counts.subjects, 2);
        assert_eq!(lines["date of birth or TIN"].rates.recall, Some(1.0));
        assert_eq!(lines["date of birth or TIN / korean"].counts.subjects, 1);
        assert_eq!(
            lines["neither"].counts.reviews, 1,
            "an unreadable date is no date"
        );
    }

    #[test]
    fn no_matches_gives_undefined_precision_not_a_panic() {
        let r = evaluate(
            &[truth("a", "filer", &["111111111"], "anglo", &[])],
            &[result("a", Outcome::NoMatch, None)],
        );
        assert_eq!(r.overall.rates.precision, None);
        assert_eq!(r.overall.rates.recall, Some(0.0));
        assert_eq!(r.overall.counts.missed, 1);
        assert!(r.to_table().contains("precision (auto)    n/a"));
    }
}
