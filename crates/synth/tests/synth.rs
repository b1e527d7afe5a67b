//! The generator's promises: determinism, valid identifiers, and the documented rates.

use std::collections::HashMap;

use crosscheck_contract::{Format, Tin, table};
use crosscheck_synth::population::SurnameStyle;
use crosscheck_synth::{Rates, SubjectKind, SynthConfig, generate, write_dir};

fn config(people: usize, subjects: usize, seed: u64) -> SynthConfig {
    SynthConfig::sized(people, subjects, seed)
}

#[test]
fn the_same_seed_gives_the_same_bytes_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    for format in [Format::Csv, Format::Parquet] {
        let a = write_dir(
            &config(3_000, 300, 42),
            &dir.path().join("a"),
            format,
            &mut |_, _, _| {},
        )
        .unwrap();
        let b = write_dir(
            &config(3_000, 300, 42),
            &dir.path().join("b"),
            format,
            &mut |_, _, _| {},
        )
        .unwrap();
        let c = write_dir(
            &config(3_000, 300, 43),
            &dir.path().join("c"),
            format,
            &mut |_, _, _| {},
        )
        .unwrap();
        for (x, y, z) in [
            (&a.returns, &b.returns, &c.returns),
            (&a.subjects, &b.subjects, &c.subjects),
            (&a.truth, &b.truth, &c.truth),
        ] {
            let (x, y, z) = (
                std::fs::read(x).unwrap(),
                std::fs::read(y).unwrap(),
                std::fs::read(z).unwrap(),
            );
            assert_eq!(x, y, "{format:?}");
            assert_ne!(x, z, "{format:?}");
        }
    }
}

#[test]
fn more_subjects_leave_the_returns_unchanged() {
    let a = generate(&config(2_000, 100, 5));
    let b = generate(&config(2_000, 400, 5));
    assert_eq!(a.returns, b.returns);
    assert_eq!(a.subjects[..100], b.subjects[..100]);
}

#[test]
fn written_files_read_back_without_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let w = write_dir(
        &config(2_000, 200, 9),
        dir.path(),
        Format::Csv,
        &mut |_, _, _| {},
    )
    .unwrap();
    let returns = table::read::<crosscheck_contract::TaxReturn>(&w.returns).unwrap();
    assert!(returns.rejected.is_empty() && returns.warnings.is_empty());
    assert_eq!(returns.records.len() as u64, w.return_rows);
    let subjects = table::read::<crosscheck_contract::Subject>(&w.subjects).unwrap();
    assert!(subjects.rejected.is_empty());
    let truth = table::read::<crosscheck_contract::Truth>(&w.truth).unwrap();
    assert!(truth.rejected.is_empty());
    assert_eq!(truth.records.len(), 200);
}

#[test]
fn every_tin_has_a_valid_shape_and_is_one_persons() {
    let data = generate(&config(20_000, 10, 3));
    let mut owner: HashMap<Tin, usize> = HashMap::new();
    for (i, p) in data.population.people.iter().enumerate() {
        for (tin, _) in &p.tins {
            assert_eq!(Tin::parse(&tin.to_string()), Ok(*tin));
            assert!(owner.insert(*tin, i).is_none(), "a TIN was issued twice");
        }
    }
    let itin_then_ssn = data
        .population
        .people
        .iter()
        .filter(|p| p.tins.len() == 2)
        .count();
    assert!(
        itin_then_ssn > 100,
        "some people move from an ITIN to an SSN: {itin_then_ssn}"
    );
    for r in &data.returns {
        assert!(owner.contains_key(&r.tin));
    }
}

#[test]
fn the_population_has_the_hard_cases() {
    let data = generate(&config(20_000, 10, 11));
    let people = &data.population.people;
    let mut twins = 0;
    let mut juniors = 0;
    let mut shared_household_surname = 0;
    for w in people.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if a.household == b.household {
            if a.dob == b.dob && a.given != b.given {
                twins += 1;
            }
            if a.given == b.given && a.surnames[0] == b.surnames[0] && a.dob != b.dob {
                juniors += 1;
            }
            if a.surnames[0] == b.surnames[0] {
                shared_household_surname += 1;
            }
        }
    }
    // Juniors follow their father, who may not be adjacent; count them over households.
    let mut by_household: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, p) in people.iter().enumerate() {
        by_household.entry(p.household).or_default().push(i);
    }
    for members in by_household.values() {
        for &i in members {
            for &j in members {
                if i < j
                    && people[i].given == people[j].given
                    && people[i].surnames == people[j].surnames
                {
                    juniors += 1;
                }
            }
        }
    }
    assert!(twins > 20, "twins: {twins}");
    assert!(juniors > 50, "parent/child pairs with one name: {juniors}");
    assert!(
        shared_household_surname > 2_000,
        "{shared_household_surname}"
    );
    let two_surnames = people.iter().filter(|p| p.surnames.len() == 2).count();
    let hyphen = people
        .iter()
        .filter(|p| p.surnames.len() == 2 && p.style == SurnameStyle::Hyphen)
        .count();
    assert!(
        two_surnames > 2_000 && hyphen > 200,
        "{two_surnames} {hyphen}"
    );
    assert!(
        data.returns
            .iter()
            .any(|r| r.family_name.contains("DE LA "))
    );
    assert!(
        data.returns
            .iter()
            .any(|r| r.middle_name.as_deref().is_some_and(|m| m.len() == 1))
    );
    // Moves: some people file from more than one address.
    let movers = people
        .iter()
        .filter(|p| p.addresses.len() > 1 && p.filed != 0)
        .count();
    assert!(movers > 2_000, "{movers}");
}

#[test]
fn siblings_other_than_twins_are_born_apart_and_no_two_share_a_given_name() {
    let data = generate(&config(20_000, 10, 11));
    let people = &data.population.people;
    let months = |p: &crosscheck_synth::population::Person| {
        i32::from(p.dob.year()) * 12 + i32::from(p.dob.month())
    };
    let (mut pairs, mut twins) = (0, 0);
    // Everyone is listed household by household, the householder first; the children are
    // the members born at least 18 years after the householder.
    for household in people.chunk_by(|a, b| a.household == b.household) {
        let head = household[0].dob.year();
        let children: Vec<_> = household
            .iter()
            .filter(|p| p.dob.year() >= head + 18)
            .collect();
        for (i, a) in children.iter().enumerate() {
            for b in &children[i + 1..] {
                pairs += 1;
                assert_ne!(a.given, b.given, "siblings of one given name");
                if a.dob == b.dob {
                    twins += 1;
                } else {
                    let apart = (months(a) - months(b)).abs();
                    assert!(
                        apart >= 10,
                        "siblings {} and {} born {apart} months apart",
                        a.dob,
                        b.dob
                    );
                }
            }
        }
    }
    assert!(
        pairs > 1_000 && twins > 20,
        "{pairs} sibling pairs, {twins} twins"
    );
}

/// Counts a distortion over the subjects it applies to.
fn rate(hits: usize, applicable: usize) -> f64 {
    assert!(
        applicable > 200,
        "too few applicable subjects ({applicable}) to check a rate"
    );
    hits as f64 / applicable as f64
}

fn assert_near(name: &str, observed: f64, expected: f64) {
    // Binomial tolerance: 4 standard deviations at n >= 200, plus a floor.
    let tol = (4.0 * (expected * (1.0 - expected) / 200.0).sqrt()).max(0.01);
    assert!(
        (observed - expected).abs() <= tol,
        "{name}: observed {observed:.4}, documented {expected:.4}"
    );
}

#[test]
fn subject_kinds_and_distortions_occur_at_their_documented_rates() {
    let data = generate(&config(60_000, 20_000, 2026));
    let r = Rates::default();
    let n = data.kinds.len();
    for (i, kind) in SubjectKind::ALL.iter().enumerate() {
        let observed = data.kinds.iter().filter(|k| *k == kind).count() as f64 / n as f64;
        assert_near(kind.as_str(), observed, r.subject_kinds[i]);
    }
    let d = &r.distortions;
    let has = |t: &crosscheck_contract::Truth, name: &str| t.distortions.iter().any(|x| x == name);
    let all: Vec<&crosscheck_contract::Truth> = data.truth.iter().collect();
    let count =
        |pred: &dyn Fn(&crosscheck_contract::Truth) -> bool, name: &str| -> (usize, usize) {
            let applicable: Vec<_> = all.iter().filter(|t| pred(t)).collect();
            (
                applicable.iter().filter(|t| has(t, name)).count(),
                applicable.len(),
            )
        };
    // Distortions that apply to every subject.
    for (name, p) in [
        ("typo_given", d.typo_given),
        ("typo_family", d.typo_family),
        ("swap_names", d.swap_names),
        ("dob_missing", d.dob_missing),
        ("address_spelled", d.address_spelled),
        ("zip_typo", d.zip_typo),
        ("street_missing", d.street_missing),
        ("tin", d.tin),
        ("case_lower", d.case_lower),
        ("case_title", d.case_title),
    ] {
        let (h, a) = count(&|_| true, name);
        assert_near(name, rate(h, a), p);
    }
    // Distortions that apply given another.
    for (name, given, p) in [
        ("dob_digit", "dob_missing", d.dob_digit),
        ("dob_year", "dob_missing", d.dob_year),
        ("dob_us_format", "dob_missing", d.dob_us_format),
    ] {
        let (h, a) = count(&|t| !has(t, given), name);
        assert_near(name, rate(h, a), p);
    }
    let (h, a) = count(&|t| has(t, "tin"), "tin_typo");
    assert_near("tin_typo", rate(h, a), d.tin_typo);
    let (h, a) = count(&|t| t.origin.as_deref() == Some("hispanic"), "accents");
    assert_near("accents", rate(h, a), d.accents);
    // Distortions that apply to the person's data: find the person by TIN.
    let mut by_tin: HashMap<String, usize> = HashMap::new();
    for (i, p) in data.population.people.iter().enumerate() {
        for (t, _) in &p.tins {
            by_tin.insert(t.digits(), i);
        }
    }
    let person =
        |t: &crosscheck_contract::Truth| t.tins.first().map(|x| &data.population.people[by_tin[x]]);
    let filer = |t: &crosscheck_contract::Truth| t.kind.as_deref() == Some("filer");
    let (h, a) = count(
        &|t| filer(t) && person(t).is_some_and(|p| p.surnames.len() == 2),
        "one_surname",
    );
    assert_near("one_surname", rate(h, a), d.one_surname);
    let (h, a) = count(
        &|t| filer(t) && person(t).is_some_and(|p| p.middle.is_some()),
        "middle_as_given",
    );
    assert_near("middle_as_given", rate(h, a), d.middle_as_given);
    let (h, a) = count(
        &|t| {
            filer(t)
                && !has(t, "dob_missing")
                && person(t).is_some_and(|p| p.dob.day() <= 12 && p.dob.day() != p.dob.month())
        },
        "dob_swap",
    );
    assert_near("dob_swap", rate(h, a), d.dob_swap);
    let nick = |g: &str| {
        crosscheck_synth::names::NICKNAMES
            .iter()
            .any(|(n, _)| *n == g)
    };
    let (h, a) = count(
        &|t| filer(t) && !has(t, "middle_as_given") && person(t).is_some_and(|p| nick(&p.given)),
        "nickname",
    );
    assert_near("nickname", rate(h, a), d.nickname);
    // Every documented subject-side distortion occurs.
    for name in [
        "translit",
        "address_old",
        "address_unknown",
        "unit_missing",
        "unit_hash",
    ] {
        let (h, _) = count(&|_| true, name);
        assert!(h > 50, "{name} occurs only {h} times");
    }
}

#[test]
fn an_origin_mix_shapes_the_population_and_bad_mixes_are_refused() {
    use crosscheck_synth::names::Origin;
    use crosscheck_synth::rates::{OriginsError, parse_origins};
    let mix = parse_origins("vietnamese=0.7, Korean=0.3").unwrap();
    assert_eq!(mix, [(Origin::Vietnamese, 0.7), (Origin::Korean, 0.3)]);
    let mut c = config(2_000, 300, 5);
    c.rates.origins = mix;
    let data = crosscheck_synth::generate(&c);
    let origins: std::collections::BTreeSet<_> =
        data.truth.iter().filter_map(|t| t.origin.clone()).collect();
    assert_eq!(
        origins.into_iter().collect::<Vec<_>>(),
        ["korean", "vietnamese"]
    );
    assert!(matches!(
        parse_origins("vietnamese"),
        Err(OriginsError::Shape(_))
    ));
    assert!(matches!(
        parse_origins("martian=1"),
        Err(OriginsError::Unknown(_))
    ));
    assert!(matches!(
        parse_origins("korean=-1"),
        Err(OriginsError::Weight(_))
    ));
    assert!(matches!(
        parse_origins("korean=0"),
        Err(OriginsError::Weight(_))
    ));
    assert!(matches!(parse_origins(""), Err(OriginsError::Weight(_))));
}
