//! Normalisation: free text as people write it into comparable, standard forms.
//!
//! Everything is folded to upper-case ASCII (`José Muñoz` → `JOSE MUNOZ`), punctuation
//! becomes a separator, placeholder names (`FNU`, `UNKNOWN`) count as missing, compound and
//! particle surnames keep every plausible reading as an alternative (`GARCIA LOPEZ` →
//! `GARCIALOPEZ`, `GARCIA`, `LOPEZ`; `DE LA CRUZ` → `DELACRUZ`, `CRUZ`), dates parse in ISO
//! and US forms, and addresses are standardised to USPS Publication 28 abbreviations with the
//! house number and unit split out. Every function is idempotent on its own output.

use std::sync::Arc;

use crosscheck_contract::Date;

use crate::equivalence;

/// Normalised text. Reference-counted so that an index of millions of taxpayers, whose names
/// and streets repeat endlessly, can hold each distinct string once (see [`Pool`]).
pub type Text = Arc<str>;

/// Shares equal strings and remembers normalised fields: every [`Text`] passed through one
/// pool that equals an earlier one becomes a reference to it, and a raw name field or city
/// seen before is not normalised again (an extract repeats `GARCIA` and `HOUSTON` endlessly).
#[derive(Debug, Default)]
pub struct Pool {
    seen: rustc_hash::FxHashSet<Text>,
    given: Memo<GivenPart>,
    middle: Memo<MiddlePart>,
    family: Memo<FamilyPart>,
    place: rustc_hash::FxHashMap<Box<str>, Option<Text>>,
}

impl Pool {
    /// Replaces `t` with the pool's copy of the same string, adding it if new.
    pub fn share(&mut self, t: &mut Text) {
        match self.seen.get(t) {
            Some(existing) => *t = existing.clone(),
            None => {
                self.seen.insert(t.clone());
            }
        }
    }

    fn share_all<'a>(&mut self, texts: impl IntoIterator<Item = &'a mut Text>) {
        for t in texts {
            self.share(t);
        }
    }

    fn shared(&mut self, t: Option<String>) -> Option<Text> {
        t.map(|t| self.text(&t))
    }

    /// The pool's copy of `s`, made if new (looked up by `&str`: nothing is allocated for
    /// a string the pool already has).
    fn text(&mut self, s: &str) -> Text {
        match self.seen.get(s) {
            Some(t) => t.clone(),
            None => {
                let t = Text::from(s);
                self.seen.insert(t.clone());
                t
            }
        }
    }

    /// A name's three fields, each normalised once per distinct spelling.
    pub fn name(
        &mut self,
        given: Option<&str>,
        middle: Option<&str>,
        family: Option<&str>,
    ) -> Name {
        Name {
            given: self.part(given),
            middle: self.part(middle),
            family: self.part(family),
        }
    }

    /// One name field's part, normalised and shared once per distinct spelling.
    fn part<P: Part>(&mut self, raw: Option<&str>) -> Option<Arc<P>> {
        let raw = raw?;
        if let Some(p) = P::memo(self).get(raw) {
            return p.clone();
        }
        let p = P::new(Some(raw)).map(|mut p| {
            p.share(self);
            Arc::new(p)
        });
        P::memo(self).insert(raw.into(), p.clone());
        p
    }

    /// An address, its city and state folded once per distinct spelling.
    pub fn address(
        &mut self,
        street: Option<&str>,
        unit: Option<&str>,
        city: Option<&str>,
        state: Option<&str>,
        zip: Option<&str>,
    ) -> Address {
        let (city, state) = (self.place(city), self.place(state));
        let d = Delivery::new(street, unit);
        Address {
            number: self.shared(d.number),
            street: self.shared(d.street),
            unit: self.shared(d.unit),
            city,
            state,
            zip: self.shared(zip5(zip)),
        }
    }

    /// A city or state, folded once per distinct spelling.
    fn place(&mut self, raw: Option<&str>) -> Option<Text> {
        let raw = raw?;
        if let Some(p) = self.place.get(raw) {
            return p.clone();
        }
        let p = self.shared(name_field(Some(raw)));
        self.place.insert(raw.into(), p.clone());
        p
    }
}

/// Folds text to upper-case ASCII letters and digits separated by single spaces. Apostrophes
/// vanish (`O'BRIEN` → `OBRIEN`); every other non-alphanumeric character separates words.
pub fn fold(s: &str) -> String {
    // Most names and addresses are ASCII already: transliterate only the others.
    let ascii: std::borrow::Cow<str> = if s.is_ascii() {
        s.into()
    } else {
        deunicode::deunicode(s).into()
    };
    let mut out = String::with_capacity(ascii.len());
    let mut space = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c.to_ascii_uppercase());
        } else if c != '\'' && c != '`' {
            space = true;
        }
    }
    out
}

/// Values that stand for "no name". `NA` alone is not one: it is a Chinese given name; `N/A`
/// folds to `N A`.
const PLACEHOLDERS: &[&str] = &[
    "FNU",
    "LNU",
    "NFN",
    "NLN",
    "NMN",
    "UNKNOWN",
    "UNK",
    "NONE",
    "N A",
    "NOT APPLICABLE",
    "NOT GIVEN",
    "X",
    "XX",
    "XXX",
    "TEST",
];

/// Surname particles, kept in the full form but dropped from the core alternatives.
const PARTICLES: &[&str] = &[
    "DE", "DEL", "LA", "LAS", "LOS", "DA", "DAS", "DO", "DOS", "DI", "DU", "VAN", "VON", "DER",
    "DEN", "AL", "EL", "BIN", "BINT", "IBN", "Y", "E", "ST", "MC", "MAC", "O",
];

/// Generational suffixes, dropped from names.
const GENERATIONS: &[&str] = &["JR", "SR", "II", "III", "IV"];

/// A folded name field, or `None` for blanks and placeholders.
pub fn name_field(s: Option<&str>) -> Option<String> {
    let f = fold(s?);
    (!f.is_empty() && !PLACEHOLDERS.contains(&f.as_str())).then_some(f)
}

/// A person's name in comparable form: three parts, each normalised once per distinct
/// spelling and shared (a [`Pool`] hands every `GARCIA LOPEZ` the same family part, with its
/// readings and equivalence groups), so a name is three pointers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Name {
    given: Option<Arc<GivenPart>>,
    middle: Option<Arc<MiddlePart>>,
    family: Option<Arc<FamilyPart>>,
}

fn groups_of<'a>(names: impl IntoIterator<Item = &'a Text>) -> Box<[u16]> {
    let mut g: Vec<u16> = names
        .into_iter()
        .flat_map(|n| equivalence::groups(n).iter().copied())
        .collect();
    g.sort_unstable();
    g.dedup();
    g.into()
}

/// A name field as written, settled: folded, generational suffixes dropped, blank and
/// placeholder values `None`. A name is kept joined (`S R` → `SR`); one whose joined form is
/// itself a placeholder or a generation (`SR`, `U N K`) is dropped too, so that normalising
/// twice changes nothing.
fn settled(s: Option<&str>) -> Option<String> {
    let strip = |v: String| {
        let v = v
            .split(' ')
            .filter(|t| !GENERATIONS.contains(t))
            .collect::<Vec<_>>()
            .join(" ");
        (!v.is_empty()).then_some(v)
    };
    let v = strip(name_field(s)?)?;
    let joined = v.replace(' ', "");
    (!PLACEHOLDERS.contains(&joined.as_str()) && !GENERATIONS.contains(&joined.as_str()))
        .then_some(v)
}

/// One name field's share of a [`Name`], remembered by a [`Pool`] per raw spelling.
trait Part: Sized {
    /// The part of a raw field; `None` when it holds no name.
    fn new(raw: Option<&str>) -> Option<Self>;
    fn share(&mut self, pool: &mut Pool);
    fn memo(pool: &mut Pool) -> &mut Memo<Self>;
}

/// Parts already made, by raw spelling.
type Memo<P> = rustc_hash::FxHashMap<Box<str>, Option<Arc<P>>>;

/// The given-name part of a [`Name`].
#[derive(Debug, PartialEq, Eq)]
struct GivenPart {
    given: Text,
    first: Text,
    groups: Box<[u16]>,
}

impl Part for GivenPart {
    fn memo(pool: &mut Pool) -> &mut Memo<Self> {
        &mut pool.given
    }

    fn new(raw: Option<&str>) -> Option<GivenPart> {
        let given = settled(raw)?;
        let first = Text::from(given.split(' ').next().unwrap_or_default());
        let given = Text::from(given.replace(' ', ""));
        Some(GivenPart {
            groups: groups_of([&given, &first]),
            given,
            first,
        })
    }

    fn share(&mut self, pool: &mut Pool) {
        pool.share_all([&mut self.given, &mut self.first]);
    }
}

/// The middle-name part of a [`Name`].
#[derive(Debug, PartialEq, Eq)]
struct MiddlePart {
    middle: Text,
    groups: Box<[u16]>,
}

impl Part for MiddlePart {
    fn memo(pool: &mut Pool) -> &mut Memo<Self> {
        &mut pool.middle
    }

    fn new(raw: Option<&str>) -> Option<MiddlePart> {
        let middle = Text::from(settled(raw)?.replace(' ', ""));
        Some(MiddlePart {
            groups: groups_of([&middle]),
            middle,
        })
    }

    fn share(&mut self, pool: &mut Pool) {
        pool.share(&mut self.middle);
    }
}

/// The family-name part of a [`Name`].
#[derive(Debug, PartialEq, Eq)]
struct FamilyPart {
    family: Text,
    alts: Box<[Text]>,
    core: Box<[Text]>,
    groups: Box<[u16]>,
}

impl Part for FamilyPart {
    fn memo(pool: &mut Pool) -> &mut Memo<Self> {
        &mut pool.family
    }

    fn new(raw: Option<&str>) -> Option<FamilyPart> {
        let family = settled(raw)?;
        let tokens: Vec<&str> = family.split(' ').collect();
        let mut alts = vec![tokens.concat()];
        let core: Vec<&str> = tokens
            .iter()
            .copied()
            .filter(|t| !PARTICLES.contains(t))
            .collect();
        if !core.is_empty() {
            alts.push(core.concat());
            alts.extend(core.iter().filter(|t| t.len() > 1).map(|t| (*t).to_owned()));
        }
        alts.sort();
        alts.dedup();
        let alts: Box<[Text]> = alts.into_iter().map(Text::from).collect();
        Some(FamilyPart {
            groups: groups_of(&alts),
            core: core.into_iter().map(Text::from).collect(),
            family: family.replace(' ', "").into(),
            alts,
        })
    }

    fn share(&mut self, pool: &mut Pool) {
        pool.share_all(
            std::iter::once(&mut self.family)
                .chain(self.alts.iter_mut())
                .chain(self.core.iter_mut()),
        );
    }
}

impl Name {
    /// Normalises the three name fields.
    pub fn new(given: Option<&str>, middle: Option<&str>, family: Option<&str>) -> Name {
        Name {
            given: GivenPart::new(given).map(Arc::new),
            middle: MiddlePart::new(middle).map(Arc::new),
            family: FamilyPart::new(family).map(Arc::new),
        }
    }

    /// Given name with spaces and hyphens removed (`MIN-JUN` → `MINJUN`, `JOSE LUIS` →
    /// `JOSELUIS`).
    pub fn given(&self) -> Option<&Text> {
        self.given.as_ref().map(|g| &g.given)
    }

    /// First token of the given name (`JOSE` of `JOSE LUIS`).
    pub fn given_first(&self) -> Option<&Text> {
        self.given.as_ref().map(|g| &g.first)
    }

    /// Equivalence groups (nicknames, romanisations) of the given name or its first token,
    /// sorted; looked up once so that comparing is a small set intersection.
    pub fn given_groups(&self) -> &[u16] {
        self.given.as_ref().map_or(&[], |g| &g.groups)
    }

    /// Middle name, folded, spaces removed.
    pub fn middle(&self) -> Option<&Text> {
        self.middle.as_ref().map(|m| &m.middle)
    }

    /// Equivalence groups of the middle name.
    pub fn middle_groups(&self) -> &[u16] {
        self.middle.as_ref().map_or(&[], |m| &m.groups)
    }

    /// Family name with spaces and hyphens removed (`GARCIALOPEZ`, `DELACRUZ`).
    pub fn family(&self) -> Option<&Text> {
        self.family.as_ref().map(|f| &f.family)
    }

    /// Every alternative reading of the family name: the full form, each core token (either
    /// surname), the core without particles. Sorted, deduplicated; includes `family`.
    pub fn family_alts(&self) -> &[Text] {
        self.family.as_ref().map_or(&[], |f| &f.alts)
    }

    /// The family name's words without particles, in order (`GARCIA`, `LOPEZ`): a subject
    /// giving a subset of them (one of two surnames) is the usual way to write one person.
    pub fn family_core(&self) -> &[Text] {
        self.family.as_ref().map_or(&[], |f| &f.core)
    }

    /// Equivalence groups of any family-name reading.
    pub fn family_groups(&self) -> &[u16] {
        self.family.as_ref().map_or(&[], |f| &f.groups)
    }

    /// Heap bytes of the name's parts (not their strings, see [`Name::texts`]), each part
    /// once: `seen` holds the parts already counted.
    pub fn part_bytes(&self, seen: &mut rustc_hash::FxHashSet<usize>) -> usize {
        use std::mem::{size_of, size_of_val};
        // An Arc holds its strong and weak counts before the value.
        fn part<P>(
            p: &Option<Arc<P>>,
            seen: &mut rustc_hash::FxHashSet<usize>,
            own: usize,
        ) -> usize {
            match p {
                Some(p) if seen.insert(Arc::as_ptr(p) as usize) => {
                    2 * size_of::<usize>() + size_of::<P>() + own
                }
                _ => 0,
            }
        }
        let given = self.given.as_ref().map_or(0, |g| size_of_val(&*g.groups));
        let middle = self.middle.as_ref().map_or(0, |m| size_of_val(&*m.groups));
        let family = self.family.as_ref().map_or(0, |f| {
            size_of_val(&*f.alts) + size_of_val(&*f.core) + size_of_val(&*f.groups)
        });
        part(&self.given, seen, given)
            + part(&self.middle, seen, middle)
            + part(&self.family, seen, family)
    }

    /// Every string of the name (a shared one as often as it is referred to).
    pub fn texts(&self) -> impl Iterator<Item = &Text> {
        [
            self.given(),
            self.given_first(),
            self.middle(),
            self.family(),
        ]
        .into_iter()
        .flatten()
        .chain(self.family_alts())
        .chain(self.family_core())
    }

    /// The same name with given and family swapped (a common requester error).
    pub fn swapped(&self) -> Name {
        // Rebuild from the joined forms; alternatives of a one-word given name are itself.
        let given = self
            .family_alts()
            .iter()
            .max_by_key(|a| a.len())
            .map(|g| GivenPart {
                given: g.clone(),
                first: g.clone(),
                groups: self.family_groups().into(),
            });
        let family = self.given.as_ref().map(|g| {
            let mut alts = vec![g.given.clone(), g.first.clone()];
            alts.sort();
            alts.dedup();
            FamilyPart {
                family: g.given.clone(),
                alts: alts.into(),
                core: [g.given.clone()].into(),
                groups: g.groups.clone(),
            }
        });
        Name {
            given: given.map(Arc::new),
            middle: self.middle.clone(),
            family: family.map(Arc::new),
        }
    }
}

/// A date of birth from either contract form; impossible or implausible dates are `None`.
pub fn dob(s: Option<&str>) -> Option<Date> {
    let d = Date::parse_any(s?).ok()?;
    (1900..=2030).contains(&d.year()).then_some(d)
}

/// USPS Publication 28 street suffixes: written forms to the standard abbreviation.
const SUFFIXES: &[(&str, &str)] = &[
    ("STREET", "ST"),
    ("STR", "ST"),
    ("ST", "ST"),
    ("AVENUE", "AVE"),
    ("AV", "AVE"),
    ("AVE", "AVE"),
    ("AVN", "AVE"),
    ("ROAD", "RD"),
    ("RD", "RD"),
    ("DRIVE", "DR"),
    ("DRV", "DR"),
    ("DR", "DR"),
    ("LANE", "LN"),
    ("LN", "LN"),
    ("BOULEVARD", "BLVD"),
    ("BLVD", "BLVD"),
    ("BOUL", "BLVD"),
    ("COURT", "CT"),
    ("CT", "CT"),
    ("WAY", "WAY"),
    ("WY", "WAY"),
    ("PLACE", "PL"),
    ("PL", "PL"),
    ("CIRCLE", "CIR"),
    ("CIR", "CIR"),
    ("TERRACE", "TER"),
    ("TER", "TER"),
    ("PARKWAY", "PKWY"),
    ("PKWY", "PKWY"),
    ("HIGHWAY", "HWY"),
    ("HWY", "HWY"),
    ("TRAIL", "TRL"),
    ("TRL", "TRL"),
    ("SQUARE", "SQ"),
    ("SQ", "SQ"),
    ("LOOP", "LOOP"),
    ("ALLEY", "ALY"),
    ("PLAZA", "PLZ"),
    ("CROSSING", "XING"),
    ("EXPRESSWAY", "EXPY"),
    ("FREEWAY", "FWY"),
    ("POINT", "PT"),
    ("RIDGE", "RDG"),
];

/// Directionals to their abbreviation.
const DIRECTIONALS: &[(&str, &str)] = &[
    ("NORTH", "N"),
    ("N", "N"),
    ("SOUTH", "S"),
    ("S", "S"),
    ("EAST", "E"),
    ("E", "E"),
    ("WEST", "W"),
    ("W", "W"),
    ("NORTHEAST", "NE"),
    ("NE", "NE"),
    ("NORTHWEST", "NW"),
    ("NW", "NW"),
    ("SOUTHEAST", "SE"),
    ("SE", "SE"),
    ("SOUTHWEST", "SW"),
    ("SW", "SW"),
];

/// Secondary unit designators (the number that follows is the unit).
const UNIT_DESIGNATORS: &[&str] = &[
    "APT",
    "APARTMENT",
    "UNIT",
    "STE",
    "SUITE",
    "RM",
    "ROOM",
    "FL",
    "FLOOR",
    "BLDG",
    "LOT",
    "SPC",
    "SPACE",
    "TRLR",
];

fn lookup(table: &[(&str, &'static str)], t: &str) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == t).map(|(_, v)| *v)
}

/// An address in comparable form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// House number (`123`, `12B`), if the delivery line starts with one.
    pub number: Option<Text>,
    /// Street name without number, directional, suffix or unit (`MAIN`); PO boxes and rural
    /// routes keep their words (`PO BOX 12`).
    pub street: Option<Text>,
    /// Unit number without designator (`4B`).
    pub unit: Option<Text>,
    /// City, folded.
    pub city: Option<Text>,
    /// State, folded.
    pub state: Option<Text>,
    /// Five-digit ZIP.
    pub zip: Option<Text>,
}

fn unit_value(tokens: &[&str]) -> Option<String> {
    let v: String = tokens
        .iter()
        .filter(|t| !UNIT_DESIGNATORS.contains(t))
        .copied()
        .collect();
    (!v.is_empty()).then_some(v)
}

/// The delivery line of an [`Address`]: house number, street name and unit, normalised.
struct Delivery {
    number: Option<String>,
    street: Option<String>,
    unit: Option<String>,
}

/// Folds a delivery-line field, reading `#` as a unit designator (`#4` → `UNIT 4`).
fn fold_delivery(s: &str) -> String {
    if s.contains('#') {
        fold(&s.replace('#', " UNIT "))
    } else {
        fold(s)
    }
}

impl Delivery {
    fn new(street: Option<&str>, unit: Option<&str>) -> Delivery {
        let mut number = None;
        let mut name_tokens: Vec<&str> = Vec::new();
        let mut unit_text = unit.map(fold_delivery).filter(|u| !u.is_empty());
        let street_folded = street.map(fold_delivery).unwrap_or_default();
        let tokens: Vec<&str> = street_folded.split(' ').filter(|t| !t.is_empty()).collect();
        let mut end = tokens.len();
        if let Some(p) = tokens.iter().position(|t| UNIT_DESIGNATORS.contains(t))
            && p > 0
        {
            if unit_text.is_none() {
                unit_text = Some(tokens[p..].join(" "));
            }
            end = p;
        }
        let tokens = &tokens[..end];
        let mut start = 0;
        if let Some(first) = tokens.first()
            && first.chars().next().is_some_and(|c| c.is_ascii_digit())
            && tokens.len() > 1
        {
            number = Some((*first).to_owned());
            start = 1;
        }
        let body = &tokens[start..];
        let is_po = body.first().is_some_and(|t| {
            matches!(
                *t,
                "PO" | "P" | "BOX" | "RR" | "HC" | "PSC" | "UNIT" | "CMR"
            )
        });
        for (i, t) in body.iter().enumerate() {
            let last = i + 1 == body.len();
            // A directional is one only if a street name remains (`NORTH ST` is a name).
            let name_follows = !(i == 0 && body.len() == 2 && lookup(SUFFIXES, body[1]).is_some());
            let dir = (!is_po && (i == 0 || last) && body.len() > 1 && name_follows)
                .then(|| lookup(DIRECTIONALS, t))
                .flatten();
            let suffix = (!is_po && last && i > 0)
                .then(|| lookup(SUFFIXES, t))
                .flatten();
            // Directionals and suffixes are dropped; the words of the name are what is left.
            if dir.or(suffix).is_none() {
                name_tokens.push(t);
            }
        }
        Delivery {
            number,
            street: (!name_tokens.is_empty()).then(|| name_tokens.join(" ")),
            unit: unit_text.and_then(|u| unit_value(&u.split(' ').collect::<Vec<_>>())),
        }
    }
}

/// A ZIP code's first five digits, if it has them.
fn zip5(zip: Option<&str>) -> Option<String> {
    let d: String = zip?.chars().filter(char::is_ascii_digit).take(5).collect();
    (d.len() == 5).then_some(d)
}

impl Address {
    /// Every string of the address.
    pub fn texts(&self) -> impl Iterator<Item = &Text> {
        [
            &self.number,
            &self.street,
            &self.unit,
            &self.city,
            &self.state,
            &self.zip,
        ]
        .into_iter()
        .flatten()
    }

    /// Normalises the address fields.
    pub fn new(
        street: Option<&str>,
        unit: Option<&str>,
        city: Option<&str>,
        state: Option<&str>,
        zip: Option<&str>,
    ) -> Address {
        let d = Delivery::new(street, unit);
        Address {
            number: d.number.map(Text::from),
            street: d.street.map(Text::from),
            unit: d.unit.map(Text::from),
            city: name_field(city).map(Text::from),
            state: name_field(state).map(Text::from),
            zip: zip5(zip).map(Text::from),
        }
    }

    /// Whether there is a delivery line at all.
    pub fn has_street(&self) -> bool {
        self.street.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accents_case_and_punctuation_fold_away() {
        assert_eq!(fold("  José  Muñoz-García "), "JOSE MUNOZ GARCIA");
        assert_eq!(fold("O'Brien"), "OBRIEN");
        assert_eq!(fold("Nguyễn Văn"), "NGUYEN VAN");
    }

    #[test]
    fn compound_and_particle_surnames_keep_every_reading() {
        let n = Name::new(Some("Ana"), None, Some("García López"));
        assert_eq!(n.family().map(|t| &**t), Some("GARCIALOPEZ"));
        assert_eq!(
            n.family_alts().iter().map(|a| &**a).collect::<Vec<_>>(),
            ["GARCIA", "GARCIALOPEZ", "LOPEZ"]
        );
        let n = Name::new(Some("Juan"), None, Some("de la Cruz"));
        assert_eq!(
            n.family_alts().iter().map(|a| &**a).collect::<Vec<_>>(),
            ["CRUZ", "DELACRUZ"]
        );
        let h = Name::new(Some("Juan"), None, Some("GARCIA-LOPEZ"));
        assert_eq!(h.family().map(|t| &**t), Some("GARCIALOPEZ"));
        let k = Name::new(Some("Min-Jun"), None, Some("Kim"));
        assert_eq!(k.given().map(|t| &**t), Some("MINJUN"));
        assert_eq!(k.given_first().map(|t| &**t), Some("MIN"));
    }

    #[test]
    fn placeholders_and_generations_are_not_names() {
        let n = Name::new(Some("FNU"), Some("NMN"), Some("Smith Jr."));
        assert_eq!(n.given(), None);
        assert_eq!(n.middle(), None);
        assert_eq!(n.family().map(|t| &**t), Some("SMITH"));
        assert_eq!(Name::new(None, None, Some("UNKNOWN")).family(), None);
        // `NA` is a given name (娜); `N/A` is not a name.
        assert_eq!(
            Name::new(Some("Na"), None, Some("Li"))
                .given()
                .map(|t| &**t),
            Some("NA")
        );
        assert_eq!(Name::new(Some("N/A"), None, Some("Li")).given(), None);
    }

    #[test]
    fn addresses_standardise_to_usps_forms() {
        let a = Address::new(
            Some("123 North Main Street Apt 4b"),
            None,
            Some("Springfield"),
            Some("il"),
            Some("62701-1234"),
        );
        let b = Address::new(
            Some("123 N MAIN ST"),
            Some("#4B"),
            Some("SPRINGFIELD"),
            Some("IL"),
            Some("62701"),
        );
        assert_eq!(a, b);
        assert_eq!(a.number.as_deref(), Some("123"));
        assert_eq!(a.street.as_deref(), Some("MAIN"));
        assert_eq!(a.unit.as_deref(), Some("4B"));
        assert_eq!(a.zip.as_deref(), Some("62701"));
        // A street named for a direction keeps its name.
        let n = Address::new(Some("9 North St"), None, None, None, None);
        assert_eq!(n.street.as_deref(), Some("NORTH"));
        let p = Address::new(Some("PO Box 12"), None, None, None, Some("123"));
        assert_eq!(p.street.as_deref(), Some("PO BOX 12"));
        assert_eq!(p.zip, None);
    }

    #[test]
    fn a_pool_keeps_one_copy_of_each_string() {
        let mut pool = Pool::default();
        let a = pool.name(Some("Ana"), None, Some("Garcia Lopez"));
        let b = pool.name(Some("ANA"), None, Some("García-López"));
        assert_eq!(a, b);
        assert!(std::sync::Arc::ptr_eq(
            a.given().unwrap(),
            b.given().unwrap()
        ));
        assert!(std::sync::Arc::ptr_eq(
            &a.family_alts()[0],
            &b.family_alts()[0]
        ));
        // One spelling, one part: a second name written alike costs three pointers.
        let c = pool.name(Some("Ana"), None, Some("Garcia Lopez"));
        let mut seen = rustc_hash::FxHashSet::default();
        assert!(a.part_bytes(&mut seen) > 0);
        assert_eq!(c.part_bytes(&mut seen), 0);
        assert!(
            b.part_bytes(&mut seen) > 0,
            "another spelling, its own parts"
        );
        // What a taxpayer holds per name: three pointers, whatever the name.
        assert_eq!(
            std::mem::size_of::<Name>(),
            3 * std::mem::size_of::<usize>()
        );
        let x = pool.address(
            Some("1 Main St"),
            None,
            Some("Austin"),
            Some("TX"),
            Some("78701"),
        );
        let y = pool.address(
            Some("9 Main Street"),
            None,
            Some("AUSTIN"),
            Some("tx"),
            Some("78701-0001"),
        );
        assert_eq!(
            x,
            Address::new(
                Some("1 Main St"),
                None,
                Some("Austin"),
                Some("TX"),
                Some("78701")
            )
        );
        for (p, q) in [(&x.street, &y.street), (&x.city, &y.city), (&x.zip, &y.zip)] {
            assert!(std::sync::Arc::ptr_eq(
                p.as_ref().unwrap(),
                q.as_ref().unwrap()
            ));
        }
    }

    #[test]
    fn a_name_whose_joined_form_is_a_generation_or_placeholder_is_missing() {
        for raw in ["S R", "𐨭:𐋉", "U N K", "J-R"] {
            let n = Name::new(Some(raw), Some(raw), Some(raw));
            let again = Name::new(
                n.given().map(|t| &**t),
                n.middle().map(|t| &**t),
                n.family().map(|t| &**t),
            );
            assert_eq!(
                (n.given(), n.middle(), n.family()),
                (None, None, None),
                "{raw}"
            );
            assert_eq!(again.given(), n.given(), "{raw}");
        }
        assert_eq!(
            Name::new(Some("M A"), None, None).given().map(|t| &**t),
            Some("MA")
        );
    }

    #[test]
    fn dates_in_both_forms_and_impossible_ones_missing() {
        assert_eq!(dob(Some("07/04/1984")), dob(Some("1984-07-04")));
        assert_eq!(dob(Some("1984-02-30")), None);
        assert_eq!(dob(Some("1850-01-01")), None);
    }

    proptest! {
        #[test]
        fn normalisers_never_panic_and_are_idempotent(s in "\\PC{0,40}", t in "\\PC{0,20}") {
            let f = fold(&s);
            prop_assert_eq!(fold(&f), f.clone());
            let n = Name::new(Some(&s), Some(&t), Some(&t));
            let again = Name::new(n.given().map(|t| &**t), n.middle().map(|t| &**t), n.family().map(|t| &**t));
            prop_assert_eq!(again.given(), n.given());
            let _ = Address::new(Some(&s), Some(&t), Some(&t), Some(&t), Some(&s));
            let _ = dob(Some(&s));
            // The family comparator relies on the readings including the whole name.
            for name in [&n, &Name::new(None, None, Some(&s))] {
                if let Some(f) = name.family() {
                    prop_assert!(name.family_alts().contains(f), "{:?}", name);
                }
            }
        }

        #[test]
        fn case_and_accents_change_nothing(
            s in "[a-zA-Z0-9À-ÿ ,.'/-]{0,40}",
            t in "[a-zA-Z0-9À-ÿ ,.'/-]{0,20}",
        ) {
            let plain = |x: &str| deunicode::deunicode(x).to_uppercase();
            let (ps, pt) = (plain(&s), plain(&t));
            prop_assert_eq!(
                Address::new(Some(&ps), Some(&pt), Some(&pt), Some(&pt), Some(&s)),
                Address::new(Some(&s), Some(&t), Some(&t), Some(&t), Some(&s))
            );
            prop_assert_eq!(Name::new(Some(&ps), Some(&pt), Some(&pt)), Name::new(Some(&s), Some(&t), Some(&t)));
        }

        #[test]
        fn a_pool_remembers_without_changing_anything(
            names in proptest::collection::vec(("\\PC{0,12}", "[A-Za-z -]{0,8}", "\\PC{0,16}"), 1..8),
        ) {
            // Spellings repeat across calls (the pool's memory is used), fields swap roles
            // (one raw string, three caches), and a pooled value always equals a fresh one.
            let mut pool = Pool::default();
            for _ in 0..2 {
                for (g, m, f) in &names {
                    let fresh = Name::new(Some(g), Some(m), Some(f));
                    prop_assert_eq!(&pool.name(Some(g), Some(m), Some(f)), &fresh);
                    prop_assert_eq!(pool.name(Some(f), None, Some(g)), Name::new(Some(f), None, Some(g)));
                    prop_assert_eq!(
                        pool.address(Some(f), Some(m), Some(g), Some(m), Some(f)),
                        Address::new(Some(f), Some(m), Some(g), Some(m), Some(f))
                    );
                }
            }
        }
    }
}
