//! Comparison: how well does a subject agree with a taxpayer, field by field?
//!
//! Each field is compared at graded levels, strongest first; the level (not a raw score) is
//! what the model weighs, so every weight has a name a reviewer can read. A taxpayer has many
//! returns: the subject is compared with every name, date of birth and address the taxpayer
//! filed with, and the best agreement counts (ties go to the most recent address). Names are
//! also compared with given and family swapped.

use crosscheck_contract::{Date, Tin};

use crate::normalise::{Address, Name, Text};
use crate::similarity;

/// The compared fields, in comparison-vector order.
pub const FIELDS: [&str; 6] = ["given", "family", "dob", "address", "tin", "middle"];

/// Positions of the fields in a comparison vector.
pub const GIVEN: usize = 0;
/// See [`GIVEN`].
pub const FAMILY: usize = 1;
/// See [`GIVEN`].
pub const DOB: usize = 2;
/// See [`GIVEN`].
pub const ADDRESS: usize = 3;
/// See [`GIVEN`].
pub const TIN: usize = 4;
/// See [`GIVEN`].
pub const MIDDLE: usize = 5;

/// A comparison vector: one level per field (index into [`LEVELS`]), [`MISSING`] where not
/// comparable.
pub type Vector = [u8; FIELDS.len()];

/// Level names per field, strongest agreement first; the last is disagreement.
pub const LEVELS: [&[&str]; FIELDS.len()] = [
    &["exact", "equivalent", "similar", "weak", "different"],
    &[
        "exact",
        "one_surname_or_variant",
        "similar",
        "weak",
        "different",
    ],
    &[
        "exact",
        "day_month_swapped",
        "one_digit",
        "year_off",
        "different",
    ],
    &["exact", "same_street", "same_zip", "same_city", "different"],
    &["exact", "one_digit", "different"],
    &["exact", "similar", "initial", "different"],
];

/// A field that could not be compared (missing on either side).
pub const MISSING: u8 = u8::MAX;

/// A subject or taxpayer name/date/address/TIN, normalised once.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    /// Name.
    pub name: Name,
    /// Date of birth.
    pub dob: Option<Date>,
    /// Address.
    pub address: Address,
    /// TIN digits as written (shape not checked: a typo is still evidence).
    pub tin: Option<String>,
    /// The name with given and family swapped (a common requester error), read once.
    pub swapped: Name,
}

impl Prepared {
    /// A subject ready for blocking and comparison.
    pub fn new(name: Name, dob: Option<Date>, address: Address, tin: Option<String>) -> Prepared {
        let swapped = name.swapped();
        Prepared {
            name,
            dob,
            address,
            tin,
            swapped,
        }
    }
}

/// What one taxpayer looks like to the comparator.
pub trait Candidate {
    /// Every distinct name the taxpayer filed under.
    fn names(&self) -> &[Name];
    /// Every distinct date of birth on file.
    fn dobs(&self) -> &[Date];
    /// Every distinct address with the last tax year it was used, oldest first.
    fn addresses(&self) -> &[(u16, Address)];
    /// The taxpayer's TINs.
    fn tins(&self) -> &[Tin];
}

/// How common a name is among the taxpayers, for term-frequency weights.
pub trait TermFrequencies {
    /// Share of taxpayers (0..1] with this folded given name.
    fn given(&self, value: &str) -> f64;
    /// Share of taxpayers (0..1] with this family name or surname.
    fn family(&self, value: &str) -> f64;
    /// Share (0..1] of the taxpayers with family name `family` whose given name is `given`.
    fn given_within_family(&self, given: &str, family: &str) -> f64;
    /// Share (0..1] of the taxpayers who write a middle name in full whose middle name is
    /// this one.
    fn middle(&self, value: &str) -> f64;
}

/// How common the values of exact name agreements are (shares of taxpayers), looked up once
/// when comparing so that scoring never touches strings.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TermShares {
    /// The given name agreed exactly on a value this common (among bearers of the agreeing
    /// family name, when it agrees too).
    pub given: Option<f64>,
    /// The family name (or one surname) agreed exactly on a value this common.
    pub family: Option<f64>,
    /// The middle name agreed exactly on a value this common (among middle names).
    pub middle: Option<f64>,
}

/// The comparison of one subject with one taxpayer.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Level per field (index into [`LEVELS`]), or [`MISSING`].
    pub levels: Vector,
    /// How common the exactly agreeing names are.
    pub tf: TermShares,
    /// Whether the best name reading had given and family swapped.
    pub swapped: bool,
    /// Tax year of the address that agreed best.
    pub address_year: Option<u16>,
}

/// Whether two sorted group lists share a group.
fn intersects(a: &[u16], b: &[u16]) -> bool {
    !a.is_empty() && !b.is_empty() && a.iter().any(|g| b.binary_search(g).is_ok())
}

fn jw(a: &str, b: &str) -> f64 {
    similarity::jaro_winkler(a, b)
}

/// Whether `a` is `b` going by `b`'s middle name (as written or as a nickname of it). Whoever
/// goes by their middle name writes their first name as the middle, as its initial, or not
/// at all — never a third name: `JUAN PEDRO` is not `RICARDO JUAN` going by `JUAN` but
/// rather a brother named for `RICARDO`'s middle name, and twins share everything else.
/// `a_middle` is the name whose middle name is `a`'s: `a` itself, or — when `a` is one of a
/// taxpayer's names written without one — another of that taxpayer's names that has one
/// (`MARIA` who writes `MARIA YOLANDA` on other returns is not `BLANCA MARIA`).
fn goes_by_middle(a: &Name, a_middle: &Name, b: &Name) -> bool {
    let Some(ag) = a.given() else { return false };
    let used = b.middle().is_some_and(|m| m == ag && m.len() > 1)
        || intersects(b.middle_groups(), a.given_groups());
    used && match (a_middle.middle(), b.given()) {
        (Some(am), Some(bg)) => {
            am == bg
                || b.given_first() == Some(am)
                || (am.len() == 1 && bg.starts_with(&**am))
                || intersects(a_middle.middle_groups(), b.given_groups())
        }
        _ => true,
    }
}

/// Whether one of a subject's name `s` and a taxpayer's name `c` goes by the other's middle
/// name; `c_middle` is the taxpayer's name that holds `c`'s middle name (see
/// [`goes_by_middle`]).
fn either_goes_by_middle(s: &Name, c: &Name, c_middle: &Name) -> bool {
    goes_by_middle(s, s, c) || goes_by_middle(c, c_middle, s)
}

/// How two middle names agree: `exact` when both are written in full and are one name (or
/// equivalents), `similar` when both are in full and one typo apart (Jaro–Winkler ≥ 0.92 or
/// one edit), `initial` when one or both are an initial and the first letters agree, else
/// `different`; [`MISSING`] when either has none. A middle name tells apart relatives who
/// share a given name (a mother and daughter both `PATRICIA`), but not a son named for his
/// father, who has his middle name too.
///
/// With the level comes the value both write, when they write the same one (for its term
/// frequency).
fn middle_level<'a>(s: &Name, c: &'a Name) -> (u8, Option<&'a str>) {
    let (Some(sm), Some(cm)) = (s.middle(), c.middle()) else {
        return (MISSING, None);
    };
    let level = if sm.len() > 1 && cm.len() > 1 {
        if sm == cm {
            return (0, Some(&**cm));
        } else if intersects(s.middle_groups(), c.middle_groups()) {
            0
        } else if jw(sm, cm) >= 0.92 || one_edit_apart(sm, cm) {
            1
        } else {
            3
        }
    } else if sm.chars().next() == cm.chars().next() {
        2
    } else {
        3
    };
    (level, None)
}

/// Whether two names' given names agree closely: exactly, as equivalents (nickname,
/// romanisation, a middle name used as given) or within a typo (Jaro–Winkler ≥ 0.92, or one
/// edit apart).
pub fn given_close(a: &Name, b: &Name) -> bool {
    given_level(a, b, b).0 <= 2
        || matches!((a.given(), b.given()), (Some(x), Some(y)) if one_edit_apart(x, y))
}

/// The given-name level of a subject's name `s` against a taxpayer's name `c`, whose middle
/// name is that of `c_middle` (see [`goes_by_middle`]).
fn given_level<'a>(s: &'a Name, c: &'a Name, c_middle: &Name) -> (u8, Option<&'a str>) {
    let (Some(sg), Some(cg)) = (s.given(), c.given()) else {
        return (MISSING, None);
    };
    if sg == cg {
        return (0, Some(&**cg));
    }
    let firsts = (s.given_first(), c.given_first());
    let first_equal = matches!(firsts, (Some(a), Some(b)) if a == b && a.len() > 1);
    let middle_used = either_goes_by_middle(s, c, c_middle);
    let equivalent = intersects(s.given_groups(), c.given_groups());
    if first_equal || middle_used || equivalent {
        return (1, None);
    }
    let sim = jw(sg, cg);
    if sim >= 0.92 {
        return (2, None);
    }
    let initial = (sg.len() == 1 || cg.len() == 1) && sg.chars().next() == cg.chars().next();
    if sim >= 0.80 || initial || one_edit_apart(sg, cg) {
        return (3, None);
    }
    (4, None)
}

fn family_level<'a>(s: &'a Name, c: &'a Name) -> (u8, Option<&'a str>) {
    let (Some(sf), Some(cf)) = (s.family(), c.family()) else {
        return (MISSING, None);
    };
    if sf == cf {
        return (0, Some(&**cf));
    }
    // One side gives some of the other's surnames (`GARCIA` for `GARCIA LOPEZ`, `CRUZ` for
    // `DE LA CRUZ`); the longest shared reading sets the term frequency. Sharing one
    // surname while differing on the other (`GARCIA LOPEZ`, `GARCIA MARTINEZ`) is what
    // cousins do, and falls through to the similarity levels.
    let subset = |a: &[Text], b: &[Text]| !a.is_empty() && a.iter().all(|t| b.contains(t));
    if subset(s.family_core(), c.family_core()) || subset(c.family_core(), s.family_core()) {
        let shared = s
            .family_alts()
            .iter()
            .filter(|a| c.family_alts().contains(a))
            .max_by_key(|a| a.len());
        return (1, shared.map(|a| &**a));
    }
    // A romanisation variant of the whole name or of one surname (PARK/PAK, NGUYEN/NGYUEN).
    if intersects(s.family_groups(), c.family_groups()) {
        return (1, None);
    }
    // The readings include the whole name, so the loop compares `sf` with `cf` itself
    // unless one of them is too short to be a reading worth comparing.
    let mut best = if sf.len() > 2 && cf.len() > 2 {
        0.0
    } else {
        jw(sf, cf)
    };
    for a in s.family_alts() {
        for b in c.family_alts() {
            // An identical reading here is a shared surname beside a conflicting one.
            if a.len() > 2 && b.len() > 2 && a != b {
                best = best.max(jw(a, b));
            }
        }
    }
    // Short names defeat Jaro–Winkler: one keying error in `KIM` or `XIE` is still weak
    // agreement.
    let one_edit = || {
        s.family_alts().iter().any(|a| {
            c.family_alts()
                .iter()
                .any(|b| a != b && one_edit_apart(a, b))
        })
    };
    if best >= 0.92 {
        (2, None)
    } else if best >= 0.80 || one_edit() {
        (3, None)
    } else {
        (4, None)
    }
}

/// The date's eight digits, `YYYYMMDD`.
fn digits(d: &Date) -> [u8; 8] {
    let (y, m, day) = (d.year(), u16::from(d.month()), u16::from(d.day()));
    [
        y / 1000,
        y / 100 % 10,
        y / 10 % 10,
        y % 10,
        m / 10,
        m % 10,
        day / 10,
        day % 10,
    ]
    .map(|v| v as u8)
}

fn dob_level(s: Option<Date>, dobs: &[Date]) -> u8 {
    let Some(s) = s else { return MISSING };
    let mut best = MISSING;
    for c in dobs {
        let level = if s == *c {
            0
        } else if s.year() == c.year() && s.month() == c.day() && s.day() == c.month() {
            1
        } else if s.year().abs_diff(c.year()) <= 1
            && digits(&s)
                .iter()
                .zip(digits(c))
                .filter(|(a, b)| **a != *b)
                .count()
                == 1
        {
            // One digit, and the years at most one apart: a typo. A year digit that moves
            // the year further (1970 for 1978) is how two brothers of one name and one
            // birthday at one address differ, so it counts only as the same month and day.
            2
        } else if (s.month() == c.month() && s.day() == c.day())
            || (s.year() == c.year() && s.month() == c.month())
        {
            3
        } else {
            4
        };
        best = best.min(level);
    }
    best
}

fn one_edit_apart(a: &str, b: &str) -> bool {
    similarity::within_one_edit(a, b)
}

fn address_level(s: &Address, c: &Address) -> u8 {
    let same = |x: &Option<Text>, y: &Option<Text>| x.is_some() && x == y;
    let street_same = same(&s.street, &c.street);
    let number_same = same(&s.number, &c.number);
    let zip_same = same(&s.zip, &c.zip);
    let city_same = same(&s.city, &c.city) && (s.state.is_none() || same(&s.state, &c.state));
    if street_same && number_same && (zip_same || city_same) {
        return 0;
    }
    // Similarity only where it could decide the level (most pairs differ on the number).
    let street_close = || match (&s.street, &c.street) {
        (Some(a), Some(b)) => jw(a, b) >= 0.88,
        _ => false,
    };
    let number_close = || match (&s.number, &c.number) {
        (Some(a), Some(b)) => one_edit_apart(a, b),
        _ => false,
    };
    if (street_same && number_same)
        || (zip_same && street_same && number_close())
        || ((zip_same || city_same) && number_same && street_close())
    {
        return 1;
    }
    if zip_same || (street_same && city_same) {
        return 2;
    }
    if city_same {
        return 3;
    }
    4
}

fn tin_level(s: Option<&str>, tins: &[Tin]) -> u8 {
    let Some(s) = s else { return MISSING };
    let mut best = 2;
    for t in tins {
        let digits = t.ascii_digits();
        let t = std::str::from_utf8(&digits).unwrap_or_default();
        if s == t {
            return 0;
        }
        let diff = s.bytes().zip(t.bytes()).filter(|(a, b)| a != b).count();
        if s.len() == t.len() && (diff == 1 || (diff == 2 && similarity::within_one_edit(s, t))) {
            best = 1;
        }
    }
    best
}

/// The best address level of `address` against every address the taxpayer filed from (ties
/// to the most recent), with that address's year; [`MISSING`] when `address` is empty.
pub fn address_agreement(address: &Address, taxpayer: &impl Candidate) -> (u8, Option<u16>) {
    let mut level = MISSING;
    let mut year = None;
    if address.has_street() || address.zip.is_some() || address.city.is_some() {
        for (y, a) in taxpayer.addresses() {
            let l = address_level(address, a);
            if l <= level {
                level = l;
                year = Some(*y);
            }
        }
    }
    (level, year)
}

/// One reading of a subject's name against one of a taxpayer's names.
struct Reading<'a> {
    /// Lower is better: the given and family levels, plus one when swapped.
    rank: u16,
    given: u8,
    family: u8,
    /// The exactly agreeing given and family values (for their term frequencies).
    given_value: Option<&'a str>,
    family_value: Option<&'a str>,
    /// Whether the subject's given and family names were swapped.
    swapped: bool,
    /// The subject's name as read, the taxpayer's name, and the taxpayer's name that holds
    /// its middle name (see [`goes_by_middle`]).
    subject: &'a Name,
    name: &'a Name,
    middle_of: &'a Name,
}

/// The best middle-name level of `name` against every name the taxpayer filed under, given
/// the reading of the names that won. When that reading agrees because one of the two goes
/// by the other's middle name, the middle names are not compared: the evidence is already
/// in the given name's level (`JUAN R` going by his middle name is `RICARDO JUAN`, whose
/// middle name is not `R`).
fn middle_agreement<'a>(
    name: &Name,
    taxpayer: &'a impl Candidate,
    read: Option<&Reading>,
) -> (u8, Option<&'a str>) {
    if let Some(r) = read
        && r.given == 1
        && either_goes_by_middle(r.subject, r.name, r.middle_of)
    {
        return (MISSING, None);
    }
    taxpayer
        .names()
        .iter()
        .map(|c| middle_level(name, c))
        .min_by_key(|(level, _)| *level)
        .unwrap_or((MISSING, None))
}

/// Compares a subject with a taxpayer; `frequencies` says how common names are.
pub fn compare(
    subject: &Prepared,
    taxpayer: &impl Candidate,
    frequencies: &impl TermFrequencies,
) -> Comparison {
    // Names: best reading over every name on file and both orientations (a swapped reading
    // ranks one step lower, so it wins only when it agrees better).
    let rank = |g: u8, f: u8, swapped: bool| {
        u16::from(g.min(5)) + u16::from(f.min(5)) + u16::from(swapped)
    };
    let mut best: Option<Reading> = None;
    // Whether a reading that ranks at least `floor` could still beat the best so far (only
    // a strictly lower rank replaces it, so skipping the rest changes nothing).
    let beats = |best: &Option<Reading>, floor: u16| best.as_ref().is_none_or(|b| floor < b.rank);
    // A name written without a middle name has the one the taxpayer writes elsewhere.
    let filed_middle = taxpayer
        .names()
        .iter()
        .find(|n| n.middle().is_some_and(|m| m.len() > 1));
    'names: for c in taxpayer.names() {
        let middle_of = match (c.middle(), filed_middle) {
            (None, Some(filed)) => filed,
            _ => c,
        };
        for (s, swapped) in [(&subject.name, false), (&subject.swapped, true)] {
            if !beats(&best, rank(0, 0, swapped)) {
                continue;
            }
            let (given, given_value) = given_level(s, c, middle_of);
            if !beats(&best, rank(given, 0, swapped)) {
                continue;
            }
            let (family, family_value) = family_level(s, c);
            let r = rank(given, family, swapped);
            if beats(&best, r) {
                best = Some(Reading {
                    rank: r,
                    given,
                    family,
                    given_value,
                    family_value,
                    swapped,
                    subject: s,
                    name: c,
                    middle_of,
                });
                if r == 0 {
                    break 'names;
                }
            }
        }
    }
    let (middle, middle_value) = middle_agreement(&subject.name, taxpayer, best.as_ref());
    let (given, family, tf, is_swapped) = match best {
        Some(b) => (
            b.given,
            b.family,
            TermShares {
                // With the family name agreeing too, the given name is worth its frequency
                // among that family's bearers: names cluster by origin (`THAO` is rare
                // overall, common among `NGUYEN`s).
                given: b.given_value.map(|g| match b.family_value {
                    Some(f) => frequencies.given_within_family(g, f),
                    None => frequencies.given(g),
                }),
                family: b.family_value.map(|v| frequencies.family(v)),
                middle: middle_value.map(|v| frequencies.middle(v)),
            },
            b.swapped,
        ),
        None => (MISSING, MISSING, TermShares::default(), false),
    };

    let (address, address_year) = address_agreement(&subject.address, taxpayer);
    Comparison {
        levels: [
            given,
            family,
            dob_level(subject.dob, taxpayer.dobs()),
            address,
            tin_level(subject.tin.as_deref(), taxpayer.tins()),
            middle,
        ],
        tf,
        swapped: is_swapped,
        address_year,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct T {
        names: Vec<Name>,
        dobs: Vec<Date>,
        addresses: Vec<(u16, Address)>,
        tins: Vec<Tin>,
    }

    impl Candidate for T {
        fn names(&self) -> &[Name] {
            &self.names
        }
        fn dobs(&self) -> &[Date] {
            &self.dobs
        }
        fn addresses(&self) -> &[(u16, Address)] {
            &self.addresses
        }
        fn tins(&self) -> &[Tin] {
            &self.tins
        }
    }

    /// GARCIA is very common, every other name rare.
    struct Shares;

    impl TermFrequencies for Shares {
        fn given(&self, _: &str) -> f64 {
            0.001
        }
        fn family(&self, v: &str) -> f64 {
            if v == "GARCIA" { 0.5 } else { 0.001 }
        }
        fn middle(&self, _: &str) -> f64 {
            0.01
        }
        fn given_within_family(&self, _: &str, _: &str) -> f64 {
            0.01
        }
    }

    fn taxpayer() -> T {
        T {
            names: vec![Name::new(
                Some("Francisco"),
                Some("Javier"),
                Some("Garcia Lopez"),
            )],
            dobs: vec![Date::parse_iso("1980-03-07").unwrap()],
            addresses: vec![
                (
                    2020,
                    Address::new(
                        Some("12 Oak St"),
                        None,
                        Some("Austin"),
                        Some("TX"),
                        Some("78701"),
                    ),
                ),
                (
                    2024,
                    Address::new(
                        Some("500 N Main St"),
                        Some("Apt 4"),
                        Some("Austin"),
                        Some("TX"),
                        Some("78702"),
                    ),
                ),
            ],
            tins: vec![Tin::parse("123456789").unwrap()],
        }
    }

    fn subject(
        given: &str,
        family: &str,
        dob: Option<&str>,
        street: &str,
        zip: &str,
        tin: Option<&str>,
    ) -> Prepared {
        Prepared::new(
            Name::new(Some(given), None, Some(family)),
            dob.and_then(|d| crate::normalise::dob(Some(d))),
            Address::new(Some(street), None, Some("Austin"), Some("TX"), Some(zip)),
            tin.map(Into::into),
        )
    }

    #[test]
    fn a_year_digit_that_moves_the_year_further_than_one_is_not_a_typo_level() {
        let d = |s: &str| Date::parse_iso(s).unwrap();
        let filed = [d("1978-02-17")];
        let level = |s: &str| dob_level(Some(d(s)), &filed);
        assert_eq!(level("1978-02-17"), 0);
        assert_eq!(level("1978-02-18"), 2, "a day digit");
        assert_eq!(level("1978-03-17"), 2, "a month digit");
        assert_eq!(level("1979-02-17"), 2, "a year digit, one year off");
        assert_eq!(
            level("1970-02-17"),
            3,
            "same month and day, eight years apart"
        );
        assert_eq!(level("1988-02-17"), 3, "same month and day, a decade apart");
        assert_eq!(level("1978-02-25"), 3, "same year and month");
        assert_eq!(level("1990-07-04"), 4);
        assert_eq!(level("1978-12-17"), 2, "the month's tens digit");
        assert_eq!(
            dob_level(Some(d("1979-02-17")), &[d("1980-02-17")]),
            3,
            "one year apart, but two digits"
        );
    }

    #[test]
    fn graded_levels_name_the_agreement() {
        let t = taxpayer();
        let p = subject(
            "Paco",
            "García",
            Some("03/07/1980"),
            "500 North Main Street",
            "78702",
            Some("123456789"),
        );
        let c = compare(&p, &t, &Shares);
        assert_eq!(c.levels, [1, 1, 0, 0, 0, MISSING]);
        assert_eq!(
            c.tf.family,
            Some(0.5),
            "the shared surname GARCIA is looked up"
        );
        assert_eq!(c.address_year, Some(2024));
        let p = subject(
            "Francsico",
            "Lopez",
            Some("1980-07-03"),
            "12 Oak St",
            "78701",
            Some("123456780"),
        );
        let c = compare(&p, &t, &Shares);
        assert_eq!(c.levels, [2, 1, 1, 0, 1, MISSING]);
        assert_eq!(c.address_year, Some(2020));
        let p = subject(
            "Javier",
            "Garcia Lopez",
            Some("1981-03-07"),
            "9 Elm St",
            "78702",
            None,
        );
        let c = compare(&p, &t, &Shares);
        assert_eq!(
            c.levels,
            [1, 0, 2, 2, MISSING, MISSING],
            "1980 vs 1981 is one digit"
        );
    }

    #[test]
    fn middle_names_are_compared_unless_one_goes_by_the_others() {
        let n = |g: &str, m: Option<&str>| Name::new(Some(g), m, Some("Wilson"));
        let one = |m: Option<&str>| T {
            names: vec![n("Patricia", m)],
            dobs: vec![],
            addresses: vec![],
            tins: vec![],
        };
        let level = |s: Option<&str>, t: Option<&str>| {
            let p = Prepared::new(n("Patricia", s), None, Address::default(), None);
            compare(&p, &one(t), &Shares).levels[MIDDLE]
        };
        assert_eq!(level(Some("Linda"), Some("LINDA")), 0);
        assert_eq!(level(Some("Lynda"), Some("Linda")), 1, "a typo");
        assert_eq!(level(Some("L"), Some("Linda")), 2, "an initial");
        assert_eq!(level(Some("L."), Some("L")), 2, "two initials");
        assert_eq!(level(Some("Jennifer"), Some("Linda")), 3);
        assert_eq!(level(Some("J"), Some("Linda")), 3);
        assert_eq!(level(None, Some("Linda")), MISSING);
        assert_eq!(level(Some("Linda"), None), MISSING);
        // The best of every name on file counts.
        let filed = T {
            names: vec![n("Patricia", Some("L")), n("Patricia", Some("Linda"))],
            ..one(None)
        };
        let p = Prepared::new(n("Patricia", Some("Linda")), None, Address::default(), None);
        assert_eq!(compare(&p, &filed, &Shares).levels[MIDDLE], 0);
        // `JUAN R` going by his middle name is `RICARDO JUAN`: the given name's level holds
        // that evidence, and his middle name `R` is not set against `JUAN`.
        let ricardo = T {
            names: vec![Name::new(Some("Ricardo"), Some("Juan"), Some("Wilson"))],
            ..one(None)
        };
        let p = Prepared::new(
            Name::new(Some("Juan"), Some("R"), Some("Wilson")),
            None,
            Address::default(),
            None,
        );
        let c = compare(&p, &ricardo, &Shares);
        assert_eq!((c.levels[GIVEN], c.levels[MIDDLE]), (1, MISSING));
    }

    #[test]
    fn a_middle_name_on_some_returns_is_the_taxpayers_middle_name_on_all() {
        let n = |g: &str, m: Option<&str>| Name::new(Some(g), m, Some("Rodriguez"));
        let filer = |names: Vec<Name>| T {
            names,
            dobs: vec![],
            addresses: vec![],
            tins: vec![],
        };
        let blanca = Prepared::new(n("Blanca", Some("Maria")), None, Address::default(), None);
        // `MARIA` with no middle name could be `BLANCA MARIA` going by her middle name ...
        let maria = filer(vec![n("Maria", None)]);
        assert_eq!(compare(&blanca, &maria, &Shares).levels[GIVEN], 1);
        // ... but not when she writes `MARIA YOLANDA` on other returns: that is her sister.
        let yolanda = filer(vec![n("Maria", None), n("Maria", Some("Yolanda"))]);
        assert_eq!(compare(&blanca, &yolanda, &Shares).levels[GIVEN], 4);
        // Writing her first name as the middle one elsewhere keeps the reading.
        let herself = filer(vec![n("Maria", None), n("Maria", Some("B"))]);
        assert_eq!(compare(&blanca, &herself, &Shares).levels[GIVEN], 1);
    }

    #[test]
    fn variants_short_typos_and_middle_nicknames_still_agree() {
        let n = |g: &str, m: Option<&str>, f: &str| Name::new(Some(g), m, Some(f));
        // A romanisation variant of the surname.
        assert_eq!(
            family_level(&n("Ji-Hoon", None, "Pak"), &n("JI-HOON", None, "PARK")).0,
            1
        );
        // One keying error in a short surname is weak agreement, not disagreement.
        assert_eq!(
            family_level(&n("Eun", None, "Kmi"), &n("EUN", None, "KIM")).0,
            3
        );
        assert_eq!(
            family_level(&n("Jun", None, "Ie"), &n("JUN", None, "XIE")).0,
            3
        );
        assert_eq!(
            family_level(&n("Jun", None, "Wong"), &n("JUN", None, "KIM")).0,
            4
        );
        // A nickname of the middle name used as the given name.
        let c = n("MARIA", Some("PATRICIA"), "ESTRADA");
        assert_eq!(given_level(&n("Trish", None, "Estrada"), &c, &c).0, 1);
        assert_eq!(given_level(&n("Tom", None, "Estrada"), &c, &c).0, 4);
    }

    #[test]
    fn swapped_names_are_recognised() {
        let t = taxpayer();
        let p = subject("Garcia Lopez", "Francisco", None, "", "", None);
        let c = compare(&p, &t, &Shares);
        assert!(c.swapped);
        assert_eq!(&c.levels[..2], &[0, 0]);
        assert_eq!(c.levels[2], MISSING);
    }

    /// The best name reading by trying every one: (given level, family level, swapped).
    fn every_reading(s: &Prepared, t: &T) -> (u8, u8, bool) {
        let mut best: Option<(u16, u8, u8, bool)> = None;
        let filed = t
            .names
            .iter()
            .find(|n| n.middle().is_some_and(|m| m.len() > 1));
        for c in &t.names {
            let c_middle = if c.middle().is_none() {
                filed.unwrap_or(c)
            } else {
                c
            };
            for (n, sw) in [(&s.name, false), (&s.swapped, true)] {
                let (g, f) = (given_level(n, c, c_middle).0, family_level(n, c).0);
                let r = u16::from(g.min(5)) + u16::from(f.min(5)) + u16::from(sw);
                if best.is_none_or(|b| r < b.0) {
                    best = Some((r, g, f, sw));
                }
            }
        }
        best.map_or((MISSING, MISSING, false), |(_, g, f, sw)| (g, f, sw))
    }

    /// Given and family names that agree with each other in many ways.
    const NAMES: [&str; 12] = [
        "ANA",
        "ANNA",
        "MARIA",
        "JOSE",
        "GARCIA",
        "GARCIA LOPEZ",
        "LOPEZ",
        "LEE",
        "LI",
        "NGUYEN",
        "NGYUEN",
        "",
    ];

    proptest! {
        #[test]
        fn the_name_reading_is_the_best_of_every_reading(
            subject_name in (0..NAMES.len(), 0..NAMES.len()),
            filed in proptest::collection::vec((0..NAMES.len(), 0..NAMES.len()), 0..5),
        ) {
            // compare stops early once no reading can rank better; it must choose what trying
            // every reading chooses.
            let mut t = taxpayer();
            t.names = filed
                .iter()
                .map(|&(g, f)| Name::new(Some(NAMES[g]), None, Some(NAMES[f])))
                .collect();
            let s = subject(NAMES[subject_name.0], NAMES[subject_name.1], None, "", "", None);
            let c = compare(&s, &t, &Shares);
            prop_assert_eq!((c.levels[0], c.levels[1], c.swapped), every_reading(&s, &t));
        }

        #[test]
        fn comparison_never_panics(a in "\\PC{0,20}", b in "\\PC{0,20}", d in "\\PC{0,12}") {
            let t = taxpayer();
            let p = subject(&a, &b, Some(&d), &a, &d, Some(&b));
            let c = compare(&p, &t, &Shares);
            for (i, l) in c.levels.iter().enumerate() {
                prop_assert!(*l == MISSING || (*l as usize) < LEVELS[i].len());
            }
        }
    }
}
