//! Subjects as a requester would send them, with the truth about each.

use rand::Rng;
use rand::seq::IndexedRandom;

use crosscheck_contract::{Date, Subject, Tin, Truth};

use crate::names::{ACCENTS, NICKNAMES, Origin, TRANSLITERATIONS};
use crate::population::{Address, Drawer, Population, SurnameStyle, TinPool, family_as};
use crate::typo;

/// What kind of person a subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    /// Filed returns; the subject is them, distorted.
    Filer,
    /// Not in the extract at all, drawn from the same distributions.
    NonFiler,
    /// Same name as a filer, another date of birth, elsewhere.
    Namesake,
    /// Lives with filers (same surname and address) but never filed.
    Relative,
}

impl SubjectKind {
    /// Every kind, in the order of `Rates::subject_kinds`.
    pub const ALL: [SubjectKind; 4] = [
        SubjectKind::Filer,
        SubjectKind::NonFiler,
        SubjectKind::Namesake,
        SubjectKind::Relative,
    ];

    /// The label in truth files.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Filer => "filer",
            SubjectKind::NonFiler => "non_filer",
            SubjectKind::Namesake => "namesake",
            SubjectKind::Relative => "relative",
        }
    }
}

/// A person as the requester knows them, before distortion.
#[derive(Debug, Clone)]
pub struct Draft {
    /// Origin of the names.
    pub origin: Origin,
    /// Given name.
    pub given: String,
    /// Middle name.
    pub middle: Option<String>,
    /// Surnames.
    pub surnames: Vec<String>,
    /// How the surnames are written.
    pub style: SurnameStyle,
    /// Date of birth.
    pub dob: Date,
    /// Current address.
    pub address: Address,
    /// Older addresses the custodian saw (for `address_old`).
    pub older: Vec<Address>,
    /// The person's TINs (empty when none is known to the custodian).
    pub tins: Vec<Tin>,
}

fn nickname(given: &str) -> Option<&'static [&'static str]> {
    NICKNAMES.iter().find(|(n, _)| *n == given).map(|(_, v)| *v)
}

fn variants(name: &str) -> Option<&'static [&'static str]> {
    TRANSLITERATIONS
        .iter()
        .copied()
        .find(|g| g.contains(&name) && g.len() > 1)
}

fn other_variant(rng: &mut impl Rng, name: &str) -> Option<String> {
    let group = variants(name)?;
    let others: Vec<&&str> = group.iter().filter(|v| **v != name).collect();
    others.choose(rng).map(|v| (**v).to_owned())
}

fn add_accent(rng: &mut impl Rng, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let spots: Vec<usize> = (0..chars.len())
        .filter(|&i| ACCENTS.iter().any(|(a, _)| *a == chars[i]))
        .collect();
    let Some(&i) = spots.choose(rng) else {
        return s.to_owned();
    };
    let mut out = chars;
    out[i] = ACCENTS
        .iter()
        .find(|(a, _)| *a == out[i])
        .map_or(out[i], |(_, b)| *b);
    out.into_iter().collect()
}

fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = !c.is_alphanumeric() && c != '\'';
    }
    out
}

fn one_digit_off(rng: &mut impl Rng, dob: Date) -> Date {
    let text = dob.to_string();
    for _ in 0..20 {
        let positions = [2usize, 3, 5, 6, 8, 9];
        let i = positions[rng.random_range(0..positions.len())];
        let mut b = text.clone().into_bytes();
        b[i] = b'0' + rng.random_range(0..10u8);
        if let Ok(d) = Date::parse_iso(&String::from_utf8_lossy(&b))
            && d != dob
        {
            return d;
        }
    }
    dob
}

fn zip_typo(rng: &mut impl Rng, zip: &str) -> String {
    let mut b = zip.as_bytes().to_vec();
    let i = rng.random_range(0..b.len());
    let old = b[i];
    while b[i] == old {
        b[i] = b'0' + rng.random_range(0..10u8);
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Applies the requester-side distortions of `drawer`'s rates to `d`, returning the subject
/// and the names of the distortions applied.
pub fn distort(
    drawer: &Drawer,
    rng: &mut impl Rng,
    id: String,
    d: &Draft,
    fresh_tin: &mut dyn FnMut(&mut dyn rand::RngCore) -> Tin,
) -> (Subject, Vec<&'static str>) {
    let r = &drawer.rates().distortions;
    let mut applied: Vec<&'static str> = Vec::new();
    let hit = |rng: &mut dyn rand::RngCore,
               p: f64,
               name: &'static str,
               applied: &mut Vec<&'static str>| {
        let yes = rng.random_bool(p);
        if yes {
            applied.push(name);
        }
        yes
    };

    // Names.
    let mut given = d.given.clone();
    let mut middle = d.middle.clone();
    let mut surnames = d.surnames.clone();
    if middle.is_some() && hit(rng, r.middle_as_given, "middle_as_given", &mut applied) {
        given = middle.take().unwrap_or_default();
    }
    if let Some(nicks) = nickname(&given)
        && hit(rng, r.nickname, "nickname", &mut applied)
    {
        given = (*nicks.choose(rng).expect("nickname lists are non-empty")).to_owned();
    }
    let translit_fields: Vec<usize> = std::iter::once(&given)
        .chain(&surnames)
        .enumerate()
        .filter(|(_, n)| variants(n).is_some())
        .map(|(i, _)| i)
        .collect();
    if !translit_fields.is_empty() && hit(rng, r.translit, "translit", &mut applied) {
        let i = *translit_fields.choose(rng).expect("non-empty");
        let field = if i == 0 {
            &mut given
        } else {
            &mut surnames[i - 1]
        };
        if let Some(v) = other_variant(rng, field) {
            *field = v;
        }
    }
    let mut style = d.style;
    if surnames.len() == 2 && hit(rng, r.one_surname, "one_surname", &mut applied) {
        let keep = if rng.random_bool(0.8) { 0 } else { 1 };
        surnames = vec![surnames[keep].clone()];
        style = SurnameStyle::Space;
    }
    let mut family = family_as(&surnames, style);
    if hit(rng, r.typo_given, "typo_given", &mut applied) {
        given = typo::one_edit(rng, &given);
    }
    if hit(rng, r.typo_family, "typo_family", &mut applied) {
        family = typo::one_edit(rng, &family);
    }
    if d.origin == Origin::Hispanic && hit(rng, r.accents, "accents", &mut applied) {
        if rng.random_bool(0.5) {
            given = add_accent(rng, &given);
        } else {
            family = add_accent(rng, &family);
        }
    }
    if hit(rng, r.swap_names, "swap_names", &mut applied) {
        std::mem::swap(&mut given, &mut family);
    }

    // Date of birth.
    let mut dob = Some(d.dob);
    if hit(rng, r.dob_missing, "dob_missing", &mut applied) {
        dob = None;
    }
    if let Some(x) = dob
        && x.day() <= 12
        && x.day() != x.month()
        && hit(rng, r.dob_swap, "dob_swap", &mut applied)
    {
        dob = Date::new(x.year(), x.day(), x.month()).ok();
    }
    if let Some(x) = dob
        && hit(rng, r.dob_digit, "dob_digit", &mut applied)
    {
        dob = Some(one_digit_off(rng, x));
    }
    if let Some(x) = dob
        && hit(rng, r.dob_year, "dob_year", &mut applied)
    {
        let year = if rng.random_bool(0.5) {
            x.year() + 1
        } else {
            x.year() - 1
        };
        dob = Date::new(year, x.month(), x.day()).ok().or(Some(x));
    }
    let us = dob.is_some() && hit(rng, r.dob_us_format, "dob_us_format", &mut applied);
    let dob_text = dob.map(|x| if us { x.us() } else { x.to_string() });

    // Address.
    let mut address = d.address.clone();
    if !d.older.is_empty() && hit(rng, r.address_old, "address_old", &mut applied) {
        address = d.older.choose(rng).expect("non-empty").clone();
    } else if hit(rng, r.address_unknown, "address_unknown", &mut applied) {
        let city = rng.random_bool(0.5).then_some(address.city);
        address = drawer.address(rng, city);
    }
    let spelled = hit(rng, r.address_spelled, "address_spelled", &mut applied);
    let mut street = Some(address.street_line(spelled));
    let mut unit = None;
    if address.unit.is_some() && !hit(rng, r.unit_missing, "unit_missing", &mut applied) {
        unit = address.unit_text(hit(rng, r.unit_hash, "unit_hash", &mut applied));
    }
    let mut zip = address.zip.clone();
    if hit(rng, r.zip_typo, "zip_typo", &mut applied) {
        zip = zip_typo(rng, &zip);
    }
    if hit(rng, r.street_missing, "street_missing", &mut applied) {
        street = None;
        unit = None;
    }

    // TIN.
    let mut tin = None;
    if hit(rng, r.tin, "tin", &mut applied) {
        let t = d.tins.last().copied().unwrap_or_else(|| fresh_tin(rng));
        let mut digits = t.digits().into_bytes();
        if hit(rng, r.tin_typo, "tin_typo", &mut applied) {
            let i = rng.random_range(0..9);
            let old = digits[i];
            while digits[i] == old {
                digits[i] = b'0' + rng.random_range(0..10u8);
            }
        }
        tin = Some(String::from_utf8_lossy(&digits).into_owned());
    }

    let mut subject = Subject {
        subject_id: id,
        given_name: Some(given),
        middle_name: middle,
        family_name: Some(family),
        dob: dob_text,
        street,
        unit,
        city: Some(address.city_name().to_owned()),
        state: Some(address.state().to_owned()),
        zip: Some(zip),
        tin,
    };

    // Letter case.
    let case: f64 = rng.random();
    let recase: Option<fn(&str) -> String> = if case < r.case_lower {
        applied.push("case_lower");
        Some(str::to_lowercase)
    } else if case < r.case_lower + r.case_title {
        applied.push("case_title");
        Some(title_case)
    } else {
        None
    };
    if let Some(f) = recase {
        for field in [
            &mut subject.given_name,
            &mut subject.middle_name,
            &mut subject.family_name,
            &mut subject.street,
            &mut subject.unit,
            &mut subject.city,
        ] {
            if let Some(v) = field.as_mut() {
                *v = f(v);
            }
        }
    }
    (subject, applied)
}

fn draft_of(pop: &Population, i: usize) -> Draft {
    let p = &pop.people[i];
    let (first, last) = pop.years;
    let filed: Vec<u16> = (first..=last).filter(|&y| p.filed_in(first, y)).collect();
    let latest_year = filed.last().copied().unwrap_or(last);
    let current = p.address_for(latest_year);
    let mut older: Vec<u32> = filed
        .iter()
        .map(|&y| p.address_for(y))
        .filter(|&a| a != current)
        .collect();
    older.dedup();
    let mut tins: Vec<Tin> = filed.iter().map(|&y| p.tin_for(y)).collect();
    tins.dedup();
    Draft {
        origin: p.origin,
        given: p.given.clone(),
        middle: p.middle.clone(),
        surnames: p.surnames.clone(),
        style: p.style,
        dob: p.dob,
        address: pop.addresses[current as usize].clone(),
        older: older
            .into_iter()
            .map(|a| pop.addresses[a as usize].clone())
            .collect(),
        tins,
    }
}

/// Generates `count` subjects with their truth rows.
pub fn generate(
    pop: &Population,
    drawer: &Drawer,
    rng: &mut impl Rng,
    count: usize,
) -> Vec<(Subject, Truth, SubjectKind)> {
    let last = pop.years.1;
    let filers: Vec<usize> = (0..pop.people.len())
        .filter(|&i| pop.people[i].filed != 0)
        .collect();
    // Adults who never filed but live in a household where someone did.
    let mut relatives = Vec::new();
    let mut start = 0;
    while start < pop.people.len() {
        let h = pop.people[start].household;
        let mut end = start;
        while end < pop.people.len() && pop.people[end].household == h {
            end += 1;
        }
        if (start..end).any(|i| pop.people[i].filed != 0) {
            relatives
                .extend((start..end).filter(|&i| {
                    pop.people[i].filed == 0 && pop.people[i].dob.year() + 18 <= last
                }));
        }
        start = end;
    }
    let kind_w = rand::distr::weighted::WeightedIndex::new(drawer.rates().subject_kinds)
        .expect("subject kind shares are positive");
    let mut pool = TinPool {
        used: pop.used_tins.clone(),
    };
    let mut fresh_tin = move |rng: &mut dyn rand::RngCore| pool.ssn(rng);
    let mut out = Vec::with_capacity(count);
    for n in 0..count {
        let mut kind = SubjectKind::ALL[rand::distr::Distribution::sample(&kind_w, rng)];
        if (kind == SubjectKind::Relative && relatives.is_empty()) || filers.is_empty() {
            kind = SubjectKind::NonFiler;
        }
        let (draft, tins) = match kind {
            SubjectKind::Filer => {
                let d = draft_of(pop, *filers.choose(rng).expect("non-empty"));
                let tins = d.tins.clone();
                (d, tins)
            }
            SubjectKind::Relative => {
                let d = draft_of(pop, *relatives.choose(rng).expect("non-empty"));
                (d, Vec::new())
            }
            SubjectKind::Namesake => {
                let mut d = draft_of(pop, *filers.choose(rng).expect("non-empty"));
                let shift = rng.random_range(1..=20) * if rng.random_bool(0.5) { 1 } else { -1 };
                let year =
                    (i32::from(d.dob.year()) + shift).clamp(1930, i32::from(last) - 18) as u16;
                let mut dob = drawer.date_in(rng, year);
                if dob == d.dob {
                    dob = drawer.date_in(rng, year - 1);
                }
                d.dob = dob;
                let mut address = drawer.address(rng, None);
                while address.city == d.address.city {
                    address = drawer.address(rng, None);
                }
                d.address = address;
                d.older.clear();
                d.tins.clear();
                (d, Vec::new())
            }
            SubjectKind::NonFiler => {
                let origin = drawer.origin(rng);
                let female = rng.random_bool(0.5);
                let given = drawer.given(rng, origin, female);
                let middle = drawer.middle(rng, origin, female, &given);
                let surnames = drawer.surnames(rng, origin);
                let style = drawer.style(rng);
                let year = rng.random_range(last - 78..=last - 18);
                let dob = drawer.date_in(rng, year);
                let d = Draft {
                    origin,
                    given,
                    middle,
                    surnames,
                    style,
                    dob,
                    address: drawer.address(rng, None),
                    older: Vec::new(),
                    tins: Vec::new(),
                };
                (d, Vec::new())
            }
        };
        let id = format!("S{:07}", n + 1);
        let (subject, applied) = distort(drawer, rng, id.clone(), &draft, &mut fresh_tin);
        let truth = Truth {
            subject_id: id,
            kind: Some(kind.as_str().to_owned()),
            tins: tins.iter().map(Tin::digits).collect(),
            origin: Some(draft.origin.as_str().to_owned()),
            distortions: applied.iter().map(|s| (*s).to_owned()).collect(),
        };
        out.push((subject, truth, kind));
    }
    out
}
