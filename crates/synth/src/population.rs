//! The synthetic population: households, people, their TINs, moves and filed returns.

use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::seq::IndexedRandom;

use crosscheck_contract::{Date, TaxReturn, Tin};

use crate::names::{self, Origin};
use crate::places::{CITIES, DIRECTIONALS, STREETS, SUFFIXES, UNIT_DESIGNATORS};
use crate::rates::{self, Rates};
use crate::typo;

/// Fewest months between the births of two siblings who are not twins.
const SIBLING_MONTHS: i32 = 10;

/// Draws tried for a sibling's birth date or given name before the household is left without
/// that child (a large family in a short span of years may not fit).
const REDRAWS: usize = 16;

/// How a person with two surnames writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurnameStyle {
    /// `GARCIA LOPEZ`
    Space,
    /// `GARCIA-LOPEZ`
    Hyphen,
    /// `GARCIA` (the paternal surname only)
    FirstOnly,
}

/// One residential address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// House number.
    pub number: u32,
    /// Pre-directional index into [`DIRECTIONALS`], if any.
    pub predir: Option<usize>,
    /// Street name.
    pub street: &'static str,
    /// Suffix index into [`SUFFIXES`].
    pub suffix: usize,
    /// Unit designator index and unit number, if any.
    pub unit: Option<(usize, String)>,
    /// City index into [`CITIES`].
    pub city: usize,
    /// Five-digit ZIP.
    pub zip: String,
}

impl Address {
    /// The delivery line, abbreviated (USPS) or spelled out.
    pub fn street_line(&self, spelled: bool) -> String {
        let mut s = self.number.to_string();
        if let Some(d) = self.predir {
            s.push(' ');
            s.push_str(if spelled {
                DIRECTIONALS[d].1
            } else {
                DIRECTIONALS[d].0
            });
        }
        s.push(' ');
        s.push_str(self.street);
        s.push(' ');
        s.push_str(if spelled {
            SUFFIXES[self.suffix].1
        } else {
            SUFFIXES[self.suffix].0
        });
        s
    }

    /// The unit as the custodian writes it (`APT 4`), or with a hash (`#4`).
    pub fn unit_text(&self, hash: bool) -> Option<String> {
        self.unit.as_ref().map(|(d, n)| {
            if hash {
                format!("#{n}")
            } else {
                format!("{} {n}", UNIT_DESIGNATORS[*d])
            }
        })
    }

    /// City name.
    pub fn city_name(&self) -> &'static str {
        CITIES[self.city].0
    }

    /// State abbreviation.
    pub fn state(&self) -> &'static str {
        CITIES[self.city].1
    }
}

/// One person of the population.
#[derive(Debug, Clone)]
pub struct Person {
    /// Name origin.
    pub origin: Origin,
    /// Drives the given-name table.
    pub female: bool,
    /// Given name (may contain a hyphen or space).
    pub given: String,
    /// Middle name, if any.
    pub middle: Option<String>,
    /// One or two surnames (paternal first).
    pub surnames: Vec<String>,
    /// How two surnames are usually written.
    pub style: SurnameStyle,
    /// Date of birth.
    pub dob: Date,
    /// Household index.
    pub household: u32,
    /// TINs with the first tax year each is used from (an ITIN, then perhaps an SSN).
    pub tins: Vec<(Tin, u16)>,
    /// Address history: `(first tax year, index into Population::addresses)`.
    pub addresses: Vec<(u16, u32)>,
    /// Tax years filed: bit `i` is the extract's first year plus `i`.
    pub filed: u32,
}

impl Person {
    /// The family name as the person usually writes it.
    pub fn family_name(&self) -> String {
        family_as(&self.surnames, self.style)
    }

    /// The TIN used for `year`.
    pub fn tin_for(&self, year: u16) -> Tin {
        let mut tin = self.tins[0].0;
        for &(t, from) in &self.tins {
            if from <= year {
                tin = t;
            }
        }
        tin
    }

    /// Address index in `year`.
    pub fn address_for(&self, year: u16) -> u32 {
        let mut a = self.addresses[0].1;
        for &(from, addr) in &self.addresses {
            if from <= year {
                a = addr;
            }
        }
        a
    }

    /// Whether a return was filed for `year` (`first` is the extract's first year).
    pub fn filed_in(&self, first: u16, year: u16) -> bool {
        year >= first && self.filed & (1 << (year - first)) != 0
    }
}

/// Renders surnames in a style.
pub fn family_as(surnames: &[String], style: SurnameStyle) -> String {
    match (surnames, style) {
        ([a, b], SurnameStyle::Space) => format!("{a} {b}"),
        ([a, b], SurnameStyle::Hyphen) => format!("{a}-{b}"),
        _ => surnames[0].clone(),
    }
}

/// Name vocabularies of one origin, ready for weighted draws.
struct Vocab {
    family: Vec<String>,
    family_w: WeightedIndex<f64>,
    tail: Vec<String>,
    tail_share: f64,
    male: Vec<String>,
    male_w: WeightedIndex<f64>,
    female: Vec<String>,
    female_w: WeightedIndex<f64>,
}

fn zipf(n: usize, s: f64) -> WeightedIndex<f64> {
    WeightedIndex::new((1..=n).map(|k| 1.0 / (k as f64).powf(s)))
        .expect("name tables are non-empty with positive weights")
}

impl Vocab {
    fn new(origin: Origin) -> Vocab {
        let t = origin.tables();
        let family = names::split(t.family);
        let syl: Vec<&str> = t.syllables.split_whitespace().collect();
        let mut tail = Vec::new();
        for a in &syl {
            for b in &syl {
                if a != b {
                    tail.push(format!("{a}{b}"));
                }
            }
        }
        tail.retain(|n| !family.contains(n));
        let male = names::split(t.male);
        let female = names::split(t.female);
        Vocab {
            family_w: zipf(family.len(), t.family_skew),
            family,
            tail,
            tail_share: t.tail_share,
            male_w: zipf(male.len(), rates::GIVEN_SKEW),
            male,
            female_w: zipf(female.len(), rates::GIVEN_SKEW),
            female,
        }
    }

    fn surname(&self, rng: &mut impl Rng) -> String {
        if !self.tail.is_empty() && rng.random_bool(self.tail_share) {
            self.tail.choose(rng).expect("tail is non-empty").clone()
        } else {
            self.family[self.family_w.sample(rng)].clone()
        }
    }

    fn given(&self, rng: &mut impl Rng, female: bool) -> String {
        if female {
            self.female[self.female_w.sample(rng)].clone()
        } else {
            self.male[self.male_w.sample(rng)].clone()
        }
    }
}

/// Draws names, addresses and people; shared by the population and by subjects who are not
/// in it (non-filers, namesakes' addresses).
pub struct Drawer {
    vocab: Vec<Vocab>,
    origin_w: WeightedIndex<f64>,
    city_w: WeightedIndex<f64>,
    streets: Vec<&'static str>,
    rates: Rates,
}

impl Drawer {
    /// A drawer for the given rates.
    pub fn new(rates: Rates) -> Drawer {
        Drawer {
            vocab: Origin::ALL.iter().map(|&o| Vocab::new(o)).collect(),
            origin_w: WeightedIndex::new(rates.origins.iter().map(|(_, w)| *w))
                .expect("origin shares are checked when parsed"),
            city_w: zipf(CITIES.len(), 0.7),
            streets: STREETS.split_whitespace().collect(),
            rates,
        }
    }

    /// The rates in use.
    pub fn rates(&self) -> &Rates {
        &self.rates
    }

    /// A random origin, by population share.
    pub fn origin(&self, rng: &mut impl Rng) -> Origin {
        self.rates.origins[self.origin_w.sample(rng)].0
    }

    /// A surname of `origin`.
    pub fn surname(&self, rng: &mut impl Rng, origin: Origin) -> String {
        self.vocab[origin as usize].surname(rng)
    }

    /// A given name of `origin`.
    pub fn given(&self, rng: &mut impl Rng, origin: Origin, female: bool) -> String {
        self.vocab[origin as usize].given(rng, female)
    }

    /// A middle name by the origin's custom, or none.
    pub fn middle(
        &self,
        rng: &mut impl Rng,
        origin: Origin,
        female: bool,
        given: &str,
    ) -> Option<String> {
        if !rng.random_bool(names::middle_name_rate(origin)) {
            return None;
        }
        if origin == Origin::Vietnamese {
            let list = if female {
                names::VIETNAMESE_MIDDLE_FEMALE
            } else {
                names::VIETNAMESE_MIDDLE_MALE
            };
            return Some((*list.choose(rng).expect("non-empty")).to_owned());
        }
        for _ in 0..4 {
            let m = self.given(rng, origin, female);
            if m != given {
                return Some(m);
            }
        }
        None
    }

    /// Surnames for a new adult of `origin` (two for most Hispanic people).
    pub fn surnames(&self, rng: &mut impl Rng, origin: Origin) -> Vec<String> {
        let mut s = vec![self.surname(rng, origin)];
        if origin == Origin::Hispanic && rng.random_bool(self.rates.hispanic_two_surnames) {
            s.push(self.surname(rng, origin));
        }
        s
    }

    /// How a person writes two surnames.
    pub fn style(&self, rng: &mut impl Rng) -> SurnameStyle {
        let r: f64 = rng.random();
        let [space, hyphen, _] = self.rates.surname_style;
        if r < space {
            SurnameStyle::Space
        } else if r < space + hyphen {
            SurnameStyle::Hyphen
        } else {
            SurnameStyle::FirstOnly
        }
    }

    /// A random address, in `city` if given.
    pub fn address(&self, rng: &mut impl Rng, city: Option<usize>) -> Address {
        let city = city.unwrap_or_else(|| self.city_w.sample(rng));
        let unit = rng.random_bool(self.rates.unit_share).then(|| {
            let d = rng.random_range(0..UNIT_DESIGNATORS.len());
            let n = if rng.random_bool(0.3) {
                format!(
                    "{}{}",
                    rng.random_range(1..30),
                    (b'A' + rng.random_range(0..6u8)) as char
                )
            } else {
                rng.random_range(1..400).to_string()
            };
            (d, n)
        });
        Address {
            number: if rng.random_bool(0.7) {
                rng.random_range(1..9999)
            } else {
                rng.random_range(1..400)
            },
            predir: rng
                .random_bool(0.2)
                .then(|| rng.random_range(0..DIRECTIONALS.len())),
            street: self.streets.choose(rng).expect("non-empty"),
            suffix: rng
                .random_range(0..SUFFIXES.len())
                .min(rng.random_range(0..SUFFIXES.len())),
            unit,
            city,
            zip: format!("{:03}{:02}", CITIES[city].2, rng.random_range(1..100)),
        }
    }

    /// A random valid date in `year`.
    pub fn date_in(&self, rng: &mut impl Rng, year: u16) -> Date {
        let month = rng.random_range(1..=12u8);
        let day = rng.random_range(1..=crosscheck_contract::date::days_in_month(year, month));
        Date::new(year, month, day).expect("day drawn within the month")
    }
}

/// The whole synthetic population.
pub struct Population {
    /// Everyone, household by household.
    pub people: Vec<Person>,
    /// Every address anyone lived at.
    pub addresses: Vec<Address>,
    /// First and last tax year of the extract.
    pub years: (u16, u16),
    /// Every TIN issued (as numbers), so that subjects' made-up TINs never collide.
    pub used_tins: std::collections::HashSet<u32>,
}

/// Issues TINs of valid shape, never the same number twice.
pub struct TinPool {
    /// Every number issued so far.
    pub used: std::collections::HashSet<u32>,
}

impl TinPool {
    fn unique<R: Rng + ?Sized>(&mut self, rng: &mut R, draw: impl Fn(&mut R) -> u32) -> Tin {
        loop {
            let v = draw(rng);
            if let Ok(t) = Tin::from_u32(v)
                && self.used.insert(v)
            {
                return t;
            }
        }
    }

    /// A new SSN (area 001–899, group 01–99, serial 0001–9999; 666 is refused by [`Tin`]).
    pub fn ssn<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Tin {
        self.unique(rng, |r| {
            r.random_range(1..900u32) * 1_000_000
                + r.random_range(1..100u32) * 10_000
                + r.random_range(1..10_000u32)
        })
    }

    /// A new ITIN (`9XX`, group in an ITIN range).
    pub fn itin<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Tin {
        const GROUPS: [(u32, u32); 4] = [(50, 65), (70, 88), (90, 92), (94, 99)];
        self.unique(rng, |r| {
            let (lo, hi) = GROUPS[r.random_range(0..GROUPS.len())];
            900_000_000
                + r.random_range(0..100u32) * 1_000_000
                + r.random_range(lo..=hi) * 10_000
                + r.random_range(0..10_000u32)
        })
    }
}

impl Population {
    /// Generates `people` people in households. `progress` is called with the number of
    /// people made so far.
    pub fn generate(
        drawer: &Drawer,
        rng: &mut impl Rng,
        people: usize,
        years: (u16, u16),
        progress: &mut dyn FnMut(usize),
    ) -> Population {
        let r = drawer.rates().clone();
        let mut pop = Population {
            people: Vec::with_capacity(people),
            addresses: Vec::new(),
            years,
            used_tins: Default::default(),
        };
        let mut tins = TinPool {
            used: std::collections::HashSet::with_capacity(people * 2),
        };
        let size_w = WeightedIndex::new(r.household_sizes).expect("household sizes are positive");
        let mut household = 0u32;
        while pop.people.len() < people {
            let size = (size_w.sample(rng) + 1).min(people - pop.people.len());
            pop.household(drawer, rng, &mut tins, household, size);
            household += 1;
            if household.is_multiple_of(4096) {
                progress(pop.people.len());
            }
        }
        progress(pop.people.len());
        pop.used_tins = tins.used;
        pop
    }

    fn add_address(&mut self, a: Address) -> u32 {
        self.addresses.push(a);
        (self.addresses.len() - 1) as u32
    }

    /// Moves over the tax years, starting from `start`.
    fn address_history(
        &mut self,
        drawer: &Drawer,
        rng: &mut impl Rng,
        start: Address,
    ) -> Vec<(u16, u32)> {
        let (first, last) = self.years;
        let mut city = start.city;
        let mut hist = vec![(first, self.add_address(start))];
        for year in first + 1..=last {
            if rng.random_bool(drawer.rates().move_per_year) {
                let same_city = rng.random_bool(0.6).then_some(city);
                let a = drawer.address(rng, same_city);
                city = a.city;
                hist.push((year, self.add_address(a)));
            }
        }
        hist
    }

    fn tins_for(
        &self,
        drawer: &Drawer,
        rng: &mut impl Rng,
        pool: &mut TinPool,
        origin: Origin,
    ) -> Vec<(Tin, u16)> {
        let r = drawer.rates();
        let (first, last) = self.years;
        let itin_share = rates::itin_share(origin);
        if itin_share > 0.0 && rng.random_bool(itin_share) {
            let mut tins = vec![(pool.itin(rng), first)];
            if rng.random_bool(r.itin_to_ssn) {
                tins.push((pool.ssn(rng), rng.random_range(first + 1..=last)));
            }
            tins
        } else {
            vec![(pool.ssn(rng), first)]
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn person(
        &self,
        drawer: &Drawer,
        rng: &mut impl Rng,
        pool: &mut TinPool,
        origin: Origin,
        female: bool,
        given: String,
        surnames: Vec<String>,
        dob: Date,
        household: u32,
        files_rate: f64,
        addresses: Vec<(u16, u32)>,
    ) -> Person {
        let middle = drawer.middle(rng, origin, female, &given);
        let files = rng.random_bool(files_rate);
        let (first, last) = self.years;
        let mut filed = 0u32;
        for year in first..=last {
            if files && year >= dob.year() + 18 && rng.random_bool(drawer.rates().file_per_year) {
                filed |= 1 << (year - first);
            }
        }
        Person {
            origin,
            female,
            given,
            middle,
            style: if surnames.len() == 2 {
                drawer.style(rng)
            } else {
                SurnameStyle::Space
            },
            surnames,
            dob,
            household,
            tins: self.tins_for(drawer, rng, pool, origin),
            addresses,
            filed,
        }
    }

    fn household(
        &mut self,
        drawer: &Drawer,
        rng: &mut impl Rng,
        pool: &mut TinPool,
        id: u32,
        size: usize,
    ) {
        let r = drawer.rates().clone();
        let (_, last) = self.years;
        let origin = drawer.origin(rng);
        let home = drawer.address(rng, None);
        let hist = self.address_history(drawer, rng, home);

        // The head: an adult.
        let head_female = rng.random_bool(0.45);
        let head_year = rng.random_range(last - 78..=last - 22);
        let head_given = drawer.given(rng, origin, head_female);
        let head_surnames = drawer.surnames(rng, origin);
        let head_dob = drawer.date_in(rng, head_year);
        let head = self.person(
            drawer,
            rng,
            pool,
            origin,
            head_female,
            head_given,
            head_surnames,
            head_dob,
            id,
            r.files_head,
            hist.clone(),
        );
        self.people.push(head.clone());
        if size == 1 {
            return;
        }

        // A partner, usually of the same origin.
        let mut remaining = size - 1;
        let partner = if rng.random_bool(r.partner_share) {
            let p_origin = if rng.random_bool(0.9) {
                origin
            } else {
                drawer.origin(rng)
            };
            let p_female = !head_female;
            let p_year = (i32::from(head_year) + rng.random_range(-6..=6))
                .clamp(1930, i32::from(last) - 18) as u16;
            let mut surnames = drawer.surnames(rng, p_origin);
            let takes_name = matches!(
                p_origin,
                Origin::Anglo | Origin::Slavic | Origin::WestAfrican | Origin::SouthAsian
            ) && p_female
                && rng.random_bool(r.married_name);
            if takes_name {
                surnames = vec![head.surnames[0].clone()];
            }
            let given = drawer.given(rng, p_origin, p_female);
            let dob = drawer.date_in(rng, p_year);
            let p = self.person(
                drawer,
                rng,
                pool,
                p_origin,
                p_female,
                given,
                surnames,
                dob,
                id,
                r.files_partner,
                hist.clone(),
            );
            self.people.push(p.clone());
            remaining -= 1;
            Some(p)
        } else {
            None
        };

        // Children (some adult by now), twins and juniors among them.
        let (father, mother) = match &partner {
            Some(p) if head_female => (Some(p), Some(&head)),
            Some(p) => (Some(&head), Some(p)),
            None if head_female => (None, Some(&head)),
            None => (Some(&head), None),
        };
        let youngest_parent = partner
            .as_ref()
            .map_or(head_year, |p| p.dob.year().max(head_year));
        let mut previous: Option<Person> = None;
        // Earlier children's birth dates and given names: siblings other than twins are born
        // at least SIBLING_MONTHS apart, and no two siblings get one given name (a junior
        // carries his father's, not a brother's).
        let mut siblings: Vec<(Date, String)> = Vec::new();
        let months = |d: &Date| i32::from(d.year()) * 12 + i32::from(d.month());
        for i in 0..remaining {
            let twin = previous.as_ref().filter(|_| rng.random_bool(r.twin_share));
            let female = rng.random_bool(0.5);
            let dob = match twin {
                Some(t) => t.dob,
                None => {
                    let lo = (youngest_parent + 18).min(last);
                    let hi = (youngest_parent + 42).min(last);
                    let apart = |dob: &Date| {
                        siblings
                            .iter()
                            .all(|(d, _)| (months(d) - months(dob)).abs() >= SIBLING_MONTHS)
                    };
                    let found = (0..REDRAWS).find_map(|_| {
                        let year = rng.random_range(lo..=hi);
                        Some(drawer.date_in(rng, year)).filter(apart)
                    });
                    // No room left for another child between the parents' ages and the
                    // extract's last year: the household stays smaller.
                    let Some(dob) = found else { break };
                    dob
                }
            };
            let surnames = match (origin, father, mother) {
                (Origin::Hispanic, Some(f), Some(m)) => {
                    vec![f.surnames[0].clone(), m.surnames[0].clone()]
                }
                (Origin::Hispanic, _, _) if head.surnames.len() == 2 => head.surnames.clone(),
                _ => vec![father.unwrap_or(&head).surnames[0].clone()],
            };
            let junior = i == 0
                && !female
                && twin.is_none()
                && father.is_some_and(|f| !f.female)
                && rng.random_bool(r.junior_share);
            let mut given = if junior {
                father.map(|f| f.given.clone()).unwrap_or_default()
            } else {
                drawer.given(rng, origin, female)
            };
            if !junior {
                let named_apart = |given: &String| siblings.iter().all(|(_, g)| g != given);
                let mut tries = 0;
                while !named_apart(&given) && tries < REDRAWS {
                    given = drawer.given(rng, origin, female);
                    tries += 1;
                }
                if !named_apart(&given) {
                    break;
                }
            }
            siblings.push((dob, given.clone()));
            // Adult children sometimes leave home.
            let mut addresses = hist.clone();
            let adult_year = dob.year() + 18;
            if adult_year < last && rng.random_bool(r.leave_home) {
                let year = rng.random_range(adult_year.max(self.years.0) + 1..=last);
                let a = drawer.address(rng, None);
                let idx = self.add_address(a);
                addresses.retain(|(from, _)| *from < year);
                addresses.push((year, idx));
            }
            let mut child = self.person(
                drawer,
                rng,
                pool,
                origin,
                female,
                given,
                surnames,
                dob,
                id,
                r.files_child,
                addresses,
            );
            if junior && let Some(f) = father {
                child.middle = f.middle.clone();
            }
            previous = Some(child.clone());
            self.people.push(child);
        }
    }

    /// Emits every return of every filer, year by year, with clerical noise. `emit` gets the
    /// person's index and the return. Returns the number of returns.
    pub fn returns<E>(
        &self,
        drawer: &Drawer,
        rng: &mut impl Rng,
        mut emit: impl FnMut(usize, TaxReturn) -> Result<(), E>,
    ) -> Result<u64, E> {
        let mut n = 0u64;
        for (i, p) in self.people.iter().enumerate() {
            for year in self.years.0..=self.years.1 {
                if !p.filed_in(self.years.0, year) {
                    continue;
                }
                n += 1;
                let addr = &self.addresses[p.address_for(year) as usize];
                emit(i, self.one_return(drawer, rng, p, year, addr, n))?;
            }
        }
        Ok(n)
    }

    fn one_return(
        &self,
        drawer: &Drawer,
        rng: &mut impl Rng,
        p: &Person,
        year: u16,
        addr: &Address,
        n: u64,
    ) -> TaxReturn {
        let r = drawer.rates();
        let mut given = p.given.clone();
        let style = if p.surnames.len() == 2 && rng.random_bool(r.clerical.other_style) {
            drawer.style(rng)
        } else {
            p.style
        };
        let mut family = family_as(&p.surnames, style);
        if rng.random_bool(r.clerical.typo_given) {
            given = typo::one_edit(rng, &given);
        }
        if rng.random_bool(r.clerical.typo_family) {
            family = typo::one_edit(rng, &family);
        }
        let middle = p.middle.as_ref().and_then(|m| {
            if rng.random_bool(r.clerical.middle_missing) {
                None
            } else if rng.random_bool(r.clerical.middle_initial) {
                m.chars().next().map(String::from)
            } else {
                Some(m.clone())
            }
        });
        let zip = if rng.random_bool(r.clerical.zip_plus4) {
            format!("{}-{:04}", addr.zip, rng.random_range(1..10_000))
        } else {
            addr.zip.clone()
        };
        TaxReturn {
            return_id: format!("R{n:09}").into(),
            tin: p.tin_for(year),
            tax_year: year,
            given_name: given.into(),
            middle_name: middle.map(Into::into),
            family_name: family.into(),
            dob: (!rng.random_bool(r.clerical.dob_missing)).then_some(p.dob),
            street: addr
                .street_line(rng.random_bool(r.clerical.spelled_out))
                .into(),
            unit: addr
                .unit_text(rng.random_bool(r.clerical.unit_hash))
                .map(Into::into),
            city: addr.city_name().into(),
            state: addr.state().into(),
            zip: zip.into(),
            employer_name: rng
                .random_bool(0.8)
                .then(|| {
                    format!(
                        "{} {}",
                        drawer.surname(rng, Origin::Anglo),
                        ["LLC", "INC", "CORP", "CO"][rng.random_range(0..4)]
                    )
                })
                .map(Into::into),
        }
    }
}
