//! The matcher's promises on hand-made hard cases and on synthetic data with known truth.

use crosscheck_contract::{Date, LinkResult, Outcome, Subject, TaxReturn, Tin};
use crosscheck_linkage::index::{Index, prepare};
use crosscheck_linkage::link;
use crosscheck_linkage::model::Model;
use crosscheck_synth::SynthConfig;

#[allow(clippy::too_many_arguments)]
fn ret(
    id: u32,
    tin: &str,
    year: u16,
    given: &str,
    family: &str,
    dob: &str,
    street: &str,
    zip: &str,
) -> TaxReturn {
    TaxReturn {
        return_id: format!("R{id}").into(),
        tin: Tin::parse(tin).unwrap(),
        tax_year: year,
        given_name: given.into(),
        middle_name: None,
        family_name: family.into(),
        dob: Date::parse_iso(dob).ok(),
        street: street.into(),
        unit: None,
        city: "HOUSTON".into(),
        state: "TX".into(),
        zip: zip.into(),
        employer_name: None,
    }
}

fn subject(given: &str, family: &str, dob: Option<&str>, street: &str, zip: &str) -> Subject {
    Subject {
        subject_id: "S".into(),
        given_name: Some(given.into()),
        family_name: Some(family.into()),
        dob: dob.map(Into::into),
        street: Some(street.into()),
        city: Some("Houston".into()),
        state: Some("TX".into()),
        zip: Some(zip.into()),
        ..Subject::default()
    }
}

fn config(people: usize, subjects: usize, seed: u64) -> SynthConfig {
    SynthConfig::sized(people, subjects, seed)
}

/// A hand-made household inside a synthetic background population.
fn trained() -> (Index, Model) {
    let data = crosscheck_synth::generate(&config(4_000, 600, 77));
    let mut returns = data.returns.clone();
    let mut id = 9_000_000;
    for year in 2021..=2024 {
        for (tin, given, dob) in [
            ("501-11-1111", "JOSE", "1960-05-10"),  // father
            ("501-11-1112", "JOSE", "1988-03-02"),  // son with the same name
            ("501-11-1113", "MARIA", "1995-08-21"), // twin
            ("501-11-1114", "MARTA", "1995-08-21"), // twin
        ] {
            id += 1;
            returns.push(ret(
                id,
                tin,
                year,
                given,
                "ZUBIZARRETA OLANO",
                dob,
                "77 HIGHLAND AVE",
                "77005",
            ));
        }
        // He goes by his middle name; his twin brother never filed.
        id += 1;
        returns.push(TaxReturn {
            middle_name: Some("JUAN".into()),
            ..ret(
                id,
                "501-11-1116",
                year,
                "RICARDO",
                "ECHEVERRIA",
                "1966-02-02",
                "701 VISTA CT",
                "77005",
            )
        });
        // Twin sisters whose names differ in two letters; only Shuang files.
        id += 1;
        returns.push(ret(
            id,
            "501-11-1117",
            year,
            "SHUANG",
            "LIANG",
            "1992-07-19",
            "9 BIRCH LN",
            "77005",
        ));
        // A common surname: its address agreement is strong evidence.
        id += 1;
        returns.push(ret(
            id,
            "501-11-1115",
            year,
            "EZEQUIEL",
            "GARCIA",
            "1978-02-17",
            "12 OAK ST",
            "77005",
        ));
    }
    let index = Index::build(&returns);
    let prepared: Vec<_> = data.subjects.iter().map(prepare).collect();
    let compared = link::compare_all(&index, &prepared, &|_| {});
    let model = link::train(&index, &prepared, &compared, 1);
    (index, model)
}

fn decide(index: &Index, model: &Model, s: &Subject) -> link::Decision {
    let p = prepare(s);
    let compared = link::compare_all(index, std::slice::from_ref(&p), &|_| {});
    link::decide(model, index, &p, &compared[0])
}

#[test]
fn household_twin_and_namesake_cases_are_never_matched_automatically() {
    let (index, model) = trained();
    let tin_of = |t: u32| index.taxpayers[t as usize].tin().digits();
    let cases = [
        (
            "father or son, no date of birth",
            subject(
                "Jose",
                "Zubizarreta Olano",
                None,
                "77 Highland Avenue",
                "77005",
            ),
        ),
        (
            "non-filing relative",
            subject(
                "Lucia",
                "Zubizarreta",
                Some("1999-12-01"),
                "77 Highland Ave",
                "77005",
            ),
        ),
        (
            "namesake elsewhere",
            subject(
                "Jose",
                "Zubizarreta Olano",
                Some("1971-01-15"),
                "12 Elm St",
                "77099",
            ),
        ),
        (
            "a third sister on the twins' birthday",
            subject(
                "Marisa",
                "Zubizarreta",
                Some("1995-08-21"),
                "77 Highland Ave",
                "77005",
            ),
        ),
        // A brother of the same name and birthday, eight years older (1970 for 1978: one
        // digit apart), at the same address, who never filed.
        (
            "same-named brother, one year digit apart",
            subject(
                "Ezequiel",
                "Garcia",
                Some("1970-02-17"),
                "12 Oak St",
                "77005",
            ),
        ),
        // A mistyped surname counts the bearers of the filed one for the shared address:
        // as rare here as spelled right, so as cautious.
        (
            "non-filing relative, surname mistyped",
            subject(
                "Lucia",
                "Zubizareta Olano",
                Some("1999-12-01"),
                "77 Highland Ave",
                "77005",
            ),
        ),
        (
            "a third sister on the twins' birthday, surname mistyped",
            subject(
                "Marisa",
                "Zubizarreta Olamo",
                Some("1995-08-21"),
                "77 Highland Ave",
                "77005",
            ),
        ),
    ];
    for (what, s) in &cases {
        let d = decide(&index, &model, s);
        assert_ne!(d.outcome, Outcome::Match, "{what}: {d:?}");
    }
    let d = decide(
        &index,
        &model,
        &subject(
            "José",
            "Zubizarreta-Olano",
            Some("05/10/1960"),
            "77 Highland Ave",
            "77005",
        ),
    );
    assert_eq!(d.outcome, Outcome::Match, "{d:?}");
    assert_eq!(tin_of(d.best.unwrap().taxpayer), "501111111");
    let d = decide(
        &index,
        &model,
        &subject(
            "Marta",
            "Zubizarreta Olano",
            Some("1995-08-21"),
            "77 Highland Ave",
            "77005",
        ),
    );
    assert_eq!(tin_of(d.best.unwrap().taxpayer), "501111114");
    assert_eq!(
        tin_of(d.runner_up.unwrap().taxpayer),
        "501111113",
        "the other twin is the runner-up"
    );
}

/// A twin who never filed agrees with her filing sister on family name, address and birth
/// date; a given name that agrees only as closely as twins' names often do is no
/// identification. The filer herself still matches, also with her ZIP mistyped.
#[test]
fn a_non_filing_twin_whose_name_nearly_agrees_is_not_matched_to_her_sister() {
    let (index, model) = trained();
    let tin_of = |t: u32| index.taxpayers[t as usize].tin().digits();
    let twin = subject("Sheng", "Liang", Some("1992-07-19"), "9 Birch Ln", "77005");
    let d = decide(&index, &model, &twin);
    assert_ne!(d.outcome, Outcome::Match, "{d:?}");
    assert_eq!(tin_of(d.best.as_ref().unwrap().taxpayer), "501111117");
    // Held back by the sister's unseen twin, not by anything else.
    assert_eq!(d.reason, Some(link::Reason::PossibleRelative), "{d:?}");
    assert!(d.relative > 0.001, "{d:?}");
    for herself in [
        subject("Shuang", "Liang", Some("1992-07-19"), "9 Birch Ln", "77005"),
        subject(
            "Shuang",
            "Liang",
            Some("1992-07-19"),
            "9 Birch Lane",
            "77050",
        ),
    ] {
        let d = decide(&index, &model, &herself);
        assert_eq!(d.outcome, Outcome::Match, "{herself:?}: {d:?}");
        assert_eq!(tin_of(d.best.unwrap().taxpayer), "501111117");
    }
}

#[test]
fn every_reason_reads_back_from_its_code_and_says_what_it_means() {
    for r in link::Reason::ALL {
        assert_eq!(link::Reason::parse(r.as_str()), Some(r));
        assert!(r.describe().len() > 30, "{r:?}");
    }
    assert_eq!(link::Reason::parse("close competitor"), None);
    // What the review console shows: the words, then the code; an unknown code as it is.
    let shown = link::Reason::in_words("possible_relative");
    assert!(
        shown.starts_with("a relative living with this taxpayer")
            && shown.ends_with("(possible_relative)"),
        "{shown}"
    );
    assert_eq!(
        link::Reason::in_words("from_a_newer_build"),
        "from_a_newer_build"
    );
}

/// Someone may go by their middle name, and then writes their first name as the middle, as
/// its initial, or not at all; a subject whose given name is a filer's middle name but who
/// gives a different middle name of their own is someone else — a twin named for his
/// brother's middle name has the same surname, birthday and address.
#[test]
fn a_middle_name_used_as_the_given_name_must_leave_the_other_name_in_agreement() {
    let (index, model) = trained();
    let tin_of = |t: u32| index.taxpayers[t as usize].tin().digits();
    let with_middle = |middle: &str| Subject {
        middle_name: Some(middle.into()),
        ..subject(
            "Juan",
            "Echeverria",
            Some("1966-02-02"),
            "701 Vista Ct",
            "77005",
        )
    };
    let twin = decide(&index, &model, &with_middle("Pedro"));
    assert_ne!(twin.outcome, Outcome::Match, "{twin:?}");
    for going_by_middle in [
        subject(
            "Juan",
            "Echeverria",
            Some("1966-02-02"),
            "701 Vista Ct",
            "77005",
        ),
        with_middle("Ricardo"),
        with_middle("R"),
    ] {
        let d = decide(&index, &model, &going_by_middle);
        assert_eq!(d.outcome, Outcome::Match, "{going_by_middle:?}: {d:?}");
        assert_eq!(tin_of(d.best.unwrap().taxpayer), "501111116");
    }
}

/// A subject's own TIN, with the names in agreement, identifies them even where another
/// field was mistyped or left out — the way benchmark records (FEBRL) and real requests are
/// damaged — while a missing given name without the TIN still cannot tell twins apart.
#[test]
fn the_taxpayers_own_tin_identifies_a_subject_with_a_missing_given_name_or_a_wrong_birth_date() {
    let (index, model) = trained();
    let tin_of = |t: u32| index.taxpayers[t as usize].tin().digits();
    let with_tin = |mut s: Subject, tin: &str| {
        s.tin = Some(tin.into());
        s
    };
    let no_given = |mut s: Subject| {
        s.given_name = None;
        s
    };
    let twin = subject(
        "Marta",
        "Zubizarreta Olano",
        Some("1995-08-21"),
        "77 Highland Ave",
        "77005",
    );
    // Given name missing: the father's TIN tells him from his son, who shares his name,
    // address and (one digit off) his TIN.
    let father = subject(
        "Jose",
        "Zubizarreta Olano",
        Some("1960-05-10"),
        "77 Highland Ave",
        "77005",
    );
    let d = decide(
        &index,
        &model,
        &with_tin(no_given(father.clone()), "501-11-1111"),
    );
    assert_eq!(d.outcome, Outcome::Match, "{d:?}");
    assert_eq!(tin_of(d.best.unwrap().taxpayer), "501111111");
    // Without the given name nothing else tells one twin from the other ...
    let d = decide(&index, &model, &no_given(twin.clone()));
    assert_ne!(d.outcome, Outcome::Match, "{d:?}");
    // ... and their TINs are consecutive, as twins' often are: her own TIN makes her the best
    // candidate, and a mistyped one would point at her sister, so a person still decides.
    let d = decide(
        &index,
        &model,
        &with_tin(no_given(twin.clone()), "501-11-1114"),
    );
    assert_eq!(d.outcome, Outcome::Review, "{d:?}");
    assert_eq!(tin_of(d.best.unwrap().taxpayer), "501111114");
    // A mistyped date of birth: her TIN and names still identify her.
    let mut typo = with_tin(twin.clone(), "501-11-1114");
    typo.dob = Some("1959-08-21".into());
    let d = decide(&index, &model, &typo);
    assert_eq!(d.outcome, Outcome::Match, "{d:?}");
    assert_eq!(tin_of(d.best.unwrap().taxpayer), "501111114");
    // The law's floor stays: a supplied TIN that does not agree, or a name that does not,
    // is a person's decision (RULES 18).
    let d = decide(&index, &model, &with_tin(twin.clone(), "601-11-1114"));
    assert_eq!(d.outcome, Outcome::Review, "{d:?}");
    assert_eq!(d.reason, Some(link::Reason::TinNotInAgreement));
    let mut renamed = with_tin(father.clone(), "501-11-1111");
    renamed.given_name = Some("Pedro".into());
    let d = decide(&index, &model, &renamed);
    assert_eq!(d.outcome, Outcome::Review, "{d:?}");
    assert_eq!(d.reason, Some(link::Reason::NameNotInAgreement));
}

#[test]
fn every_decision_carries_its_evidence() {
    let (index, model) = trained();
    let d = decide(
        &index,
        &model,
        &subject(
            "Jose",
            "Zubizarreta Olano",
            Some("1960-05-10"),
            "77 Highland Ave",
            "77005",
        ),
    );
    let best = d.best.unwrap();
    assert_eq!(best.evidence.len(), 6);
    let s = link::evidence_string(&best);
    assert!(
        s.starts_with("given=exact:+") && s.contains("dob=exact:+"),
        "{s}"
    );
    assert!(
        best.evidence
            .iter()
            .find(|e| e.field == "family")
            .unwrap()
            .adjustment
            == Some("term_frequency")
    );
}

type Row = (Outcome, Option<String>, String);

struct Run {
    report: crosscheck_linkage::evaluate::Report,
    blocking: crosscheck_linkage::evaluate::Blocking,
    taxpayers: usize,
    rows: Vec<Row>,
    model: Model,
    findable_share: f64,
    relative_share: f64,
}

fn run(seed: u64) -> Run {
    let data = crosscheck_synth::generate(&config(20_000, 2_000, seed));
    let index = Index::build(&data.returns);
    let prepared: Vec<_> = data.subjects.iter().map(prepare).collect();
    let compared = link::compare_all(&index, &prepared, &|_| {});
    let model = link::train(&index, &prepared, &compared, 1);
    let mut rows = Vec::new();
    let mut results = Vec::new();
    for (i, s) in data.subjects.iter().enumerate() {
        let d = link::decide(&model, &index, &prepared[i], &compared[i]);
        let best = d.best.as_ref().filter(|_| d.outcome != Outcome::NoMatch);
        let tin = best.map(|b| index.taxpayers[b.taxpayer as usize].tin().digits());
        rows.push((
            d.outcome,
            tin.clone(),
            best.map(|b| format!("{:.9}", b.weight)).unwrap_or_default(),
        ));
        results.push(LinkResult::new(s.subject_id.clone(), d.outcome, tin));
    }
    let findable = data.truth.iter().filter(|t| !t.tins.is_empty()).count();
    Run {
        report: crosscheck_linkage::evaluate::evaluate(&data.truth, &results),
        blocking: crosscheck_linkage::evaluate::blocking(&index, &data.subjects, &data.truth),
        taxpayers: index.len(),
        rows,
        model,
        findable_share: findable as f64 / data.truth.len() as f64,
        relative_share: data
            .truth
            .iter()
            .filter(|t| t.kind.as_deref() == Some("relative"))
            .count() as f64
            / data.truth.len() as f64,
    }
}

/// The seed-2024 run, shared by the tests that only read it.
fn run_2024() -> &'static Run {
    static RUN: std::sync::OnceLock<Run> = std::sync::OnceLock::new();
    RUN.get_or_init(|| run(2024))
}

#[test]
fn accuracy_on_a_small_synthetic_population_stays_above_its_floors() {
    // Floors sit a little below the figures measured when this test was last raised
    // (precision 1.0000, recall 0.868, review 6.95%, recall with review 0.984 on this seed)
    // so that a regression fails it; raise them as the matcher improves.
    let run = run_2024();
    let o = &run.report.overall.rates;
    assert!(o.precision.unwrap() >= 0.998, "precision {:?}", o.precision);
    assert!(o.recall.unwrap() >= 0.84, "recall {:?}", o.recall);
    assert!(
        o.recall_with_review.unwrap() >= 0.97,
        "recall with review {:?}",
        o.recall_with_review
    );
    assert!(
        o.review_rate.unwrap() <= 0.10,
        "review rate {:?}",
        o.review_rate
    );
    for kind in ["namesake", "relative", "non_filer"] {
        assert_eq!(run.report.by_kind[kind].counts.wrong_matches, 0, "{kind}");
    }
}

#[test]
fn blocking_keeps_true_pairs_and_few_candidates() {
    // RELIABILITY.md E3: ≥ 99.5% of true pairs survive blocking; candidate pairs ≤ 1% of all.
    let run = run_2024();
    let recall = run.blocking.recall.unwrap();
    assert!(recall >= 0.995, "blocking recall {recall}");
    assert!(
        run.blocking.mean_candidates <= 0.01 * run.taxpayers as f64,
        "{}",
        run.blocking.mean_candidates
    );
}

#[test]
fn training_estimates_the_share_of_subjects_in_the_extract_and_how_relatives_agree() {
    let run = run_2024();
    // λ is learnt without labels; the truth says what it should be.
    assert!(
        (run.model.lambda - run.findable_share).abs() < 0.05,
        "λ {} vs share in extract {}",
        run.model.lambda,
        run.findable_share
    );
    // Some of the non-filing relatives live with a filer under the same family name: the
    // relatives class claims a share of subjects, but not more than the relatives there are.
    let share = run.model.household.share;
    assert!(
        share > 0.01 && share < run.relative_share + 0.02,
        "relatives living with a taxpayer {share} vs relatives among subjects {}",
        run.relative_share
    );
    // Relatives living together agree on given name and birth date in their own way: twins
    // share a birthday and juniors a given name far more often than strangers do.
    let h = &run.model.household.given_dob;
    let u = |f: usize, l: usize| run.model.fields[f].levels[l].u;
    assert!(h[4][0] > 20.0 * u(0, 4) * u(2, 0), "twins {}", h[4][0]);
    assert!(h[0][4] > 3.0 * u(0, 0) * u(2, 4), "juniors {}", h[0][4]);
}

#[test]
fn the_same_input_gives_the_same_decisions_and_weights() {
    assert_eq!(run(5).rows, run(5).rows);
}

#[test]
fn a_given_name_common_within_its_family_name_is_weaker_evidence() {
    use crosscheck_linkage::compare::TermFrequencies;
    // 30 NGUYENs of whom 10 are THAO; 100 people of other names, none THAO.
    let mut returns = Vec::new();
    let mut tin = 123_450_001u32;
    let mut next = |given: &str, family: &str| {
        tin += 1;
        let t = Tin::from_u32(tin).unwrap().to_string();
        ret(
            tin,
            &t,
            2024,
            given,
            family,
            "1980-01-01",
            "1 MAIN ST",
            "77005",
        )
    };
    for i in 0..30 {
        returns.push(next(if i < 10 { "THAO" } else { "MINH" }, "NGUYEN"));
    }
    for i in 0..100 {
        returns.push(next(&format!("NAME{i}"), &format!("FAMILY{i}")));
    }
    let index = Index::build(&returns);
    let overall = index.given("THAO");
    let within = index.given_within_family("THAO", "NGUYEN");
    // Among the 29 other NGUYENs, 9 are THAO, plus 10 pseudo-bearers at the overall rate.
    let expected = (9.0 + 10.0 * overall) / (29.0 + 10.0);
    assert!((within - expected).abs() < 1e-12, "{within} vs {expected}");
    assert!(within > 2.0 * overall, "{within} vs {overall}");
}
