//! The custodian side in memory: taxpayers (returns grouped by person) and the blocking index.
//!
//! Returns are grouped by TIN; a person who filed under an ITIN and later under an SSN (same
//! family name and date of birth, closely agreeing given names, the ITIN's years all before
//! the SSN's) becomes one taxpayer with both numbers, so that they are one candidate and not
//! two competing ones. The index maps blocking keys to taxpayers and counts name frequencies
//! for term-frequency weights.

use rustc_hash::FxHashMap as HashMap;

use rayon::prelude::*;

use crosscheck_contract::{CompactString, Date, TaxReturn, Tin, TinKind};

use crate::block::{self, MAX_BLOCK};
use crate::compare::{Candidate, Prepared, TermFrequencies};
use crate::normalise::{self, Address, Name, Pool, Text};

/// The last known address, as filed (what a release would carry), kept as one string
/// (fields separated by U+001F) because every taxpayer has one and a release reads few.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastAddress {
    /// Tax year of the return it comes from.
    pub tax_year: u16,
    text: Box<str>,
}

impl LastAddress {
    const SEP: char = '\u{1f}';

    fn new(tax_year: u16, a: &RawAddress) -> LastAddress {
        let unit = a.unit.as_deref().unwrap_or("");
        let parts = [a.street.as_str(), unit, &a.city, &a.state, &a.zip];
        LastAddress {
            tax_year,
            text: parts.join(&Self::SEP.to_string()).into(),
        }
    }

    fn part(&self, i: usize) -> &str {
        self.text.split(Self::SEP).nth(i).unwrap_or("")
    }

    /// Delivery line.
    pub fn street(&self) -> &str {
        self.part(0)
    }

    /// Unit, if any.
    pub fn unit(&self) -> Option<&str> {
        Some(self.part(1)).filter(|u| !u.is_empty())
    }

    /// City.
    pub fn city(&self) -> &str {
        self.part(2)
    }

    /// State.
    pub fn state(&self) -> &str {
        self.part(3)
    }

    /// ZIP.
    pub fn zip(&self) -> &str {
        self.part(4)
    }
}

/// One person in the custodian's data.
#[derive(Debug, Clone)]
pub struct Taxpayer {
    /// TINs, in the order used (an ITIN before an SSN); the last is current.
    pub tins: Box<[Tin]>,
    /// Distinct names filed under.
    pub names: Box<[Name]>,
    /// Distinct dates of birth on file.
    pub dobs: Box<[Date]>,
    /// Distinct addresses with the last year each was used, oldest first.
    pub addresses: Box<[(u16, Address)]>,
    /// Address on the most recent return.
    pub last: LastAddress,
    first_year: u16,
}

impl Candidate for Taxpayer {
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

impl Taxpayer {
    /// The current TIN.
    pub fn tin(&self) -> Tin {
        *self.tins.last().expect("a taxpayer has at least one TIN")
    }

    /// Normalises one person's gathered returns (each distinct spelling once; equal
    /// normalised addresses merge, keeping the later year).
    fn from_gathering(g: &Gathering, pool: &mut Pool) -> Taxpayer {
        let mut names: Vec<Name> = Vec::with_capacity(g.names.len());
        for (given, middle, family) in &g.names {
            let n = pool.name(Some(given), middle.as_deref(), Some(family));
            if !names.contains(&n) {
                names.push(n);
            }
        }
        let mut addresses: Vec<(u16, Address)> = Vec::with_capacity(g.addresses.len());
        for (year, r) in &g.addresses {
            let a = pool.address(
                Some(&r.street),
                r.unit.as_deref(),
                Some(&r.city),
                Some(&r.state),
                Some(&r.zip),
            );
            match addresses.iter_mut().find(|(_, x)| *x == a) {
                Some((y, _)) => *y = (*y).max(*year),
                None => addresses.push((*year, a)),
            }
        }
        addresses.sort_by_key(|(y, _)| *y);
        let (latest_year, latest) = g.latest;
        // Boxed slices: the index keeps taxpayers as long as it lives, and spellings that
        // normalised alike leave spare room a vector would keep.
        Taxpayer {
            tins: Box::new([g.tin]),
            names: names.into(),
            dobs: g.dobs.as_slice().into(),
            addresses: addresses.into(),
            last: LastAddress::new(latest_year, &g.addresses[latest as usize].1),
            first_year: g.first_year,
        }
    }
}

/// An address as filed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawAddress {
    street: CompactString,
    unit: Option<CompactString>,
    city: CompactString,
    state: CompactString,
    zip: CompactString,
}

impl RawAddress {
    fn is(&self, r: &TaxReturn) -> bool {
        self.street == r.street
            && self.unit == r.unit
            && self.city == r.city
            && self.state == r.state
            && self.zip == r.zip
    }
}

/// One TIN's returns as they are read: each distinct name and address as filed (normalised
/// once, when the index is built), the dates of birth, and the years.
#[derive(Debug)]
struct Gathering {
    /// Position of the TIN's first return in the extract (taxpayers keep that order).
    first_seen: u64,
    tin: Tin,
    names: Vec<(CompactString, Option<CompactString>, CompactString)>,
    dobs: Vec<Date>,
    /// Each distinct address with the last year it was filed from.
    addresses: Vec<(u16, RawAddress)>,
    /// Tax year and address (position in `addresses`) of the latest return; of two
    /// returns for one year, the later in the extract.
    latest: (u16, u32),
    first_year: u16,
}

impl Gathering {
    fn new(first_seen: u64, tin: Tin) -> Gathering {
        Gathering {
            first_seen,
            tin,
            names: Vec::new(),
            dobs: Vec::new(),
            addresses: Vec::new(),
            latest: (0, 0),
            first_year: u16::MAX,
        }
    }

    fn add(&mut self, r: &TaxReturn) {
        let name = (
            r.given_name.as_str(),
            r.middle_name.as_deref(),
            r.family_name.as_str(),
        );
        if !self
            .names
            .iter()
            .any(|(g, m, f)| (g.as_str(), m.as_deref(), f.as_str()) == name)
        {
            // Exact growth here and below: most people file under one name and one or two
            // addresses, and the room a growing vector makes (four at once) had reading a
            // large extract touch memory it never used (peak 0.95 -> 0.74 GB at 1M people).
            self.names.reserve_exact(1);
            self.names.push((
                r.given_name.clone(),
                r.middle_name.clone(),
                r.family_name.clone(),
            ));
        }
        if let Some(d) = r.dob
            && !self.dobs.contains(&d)
        {
            self.dobs.reserve_exact(1);
            self.dobs.push(d);
        }
        let slot = match self.addresses.iter().position(|(_, a)| a.is(r)) {
            Some(i) => i,
            None => {
                self.addresses.reserve_exact(1);
                self.addresses.push((
                    r.tax_year,
                    RawAddress {
                        street: r.street.clone(),
                        unit: r.unit.clone(),
                        city: r.city.clone(),
                        state: r.state.clone(),
                        zip: r.zip.clone(),
                    },
                ));
                self.addresses.len() - 1
            }
        };
        let year = &mut self.addresses[slot].0;
        *year = (*year).max(r.tax_year);
        if r.tax_year >= self.latest.0 {
            self.latest = (r.tax_year, slot as u32);
        }
        self.first_year = self.first_year.min(r.tax_year);
    }
}

/// Part of the TINs (by hash), gathered by one core.
#[derive(Default)]
struct Shard {
    by_tin: HashMap<Tin, u32>,
    gathered: Vec<Gathering>,
}

/// Builds an [`Index`] from returns handed over a stretch at a time, so that an extract
/// never has to be held whole: each TIN's returns are gathered (distinct spellings only, on
/// every core, the TINs split between cores by hash) and normalised when the index is
/// built.
pub struct IndexBuilder {
    shards: Vec<Shard>,
    returns: u64,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        IndexBuilder::new()
    }
}

impl IndexBuilder {
    /// An empty builder.
    pub fn new() -> IndexBuilder {
        IndexBuilder {
            shards: (0..rayon::current_num_threads().max(1))
                .map(|_| Shard::default())
                .collect(),
            returns: 0,
        }
    }

    /// Returns added so far.
    pub fn returns(&self) -> u64 {
        self.returns
    }

    /// Adds the next returns of the extract, in extract order.
    pub fn add(&mut self, returns: &[TaxReturn]) {
        let n = self.shards.len() as u64;
        let base = self.returns;
        self.shards
            .par_iter_mut()
            .enumerate()
            .for_each(|(k, shard)| {
                for (i, r) in returns.iter().enumerate() {
                    if tin_hash(r.tin) % n != k as u64 {
                        continue;
                    }
                    let next = shard.gathered.len() as u32;
                    let at = *shard.by_tin.entry(r.tin).or_insert(next);
                    if at == next {
                        shard.gathered.push(Gathering::new(base + i as u64, r.tin));
                    }
                    shard.gathered[at as usize].add(r);
                }
            });
        self.returns += returns.len() as u64;
    }

    /// Normalises every taxpayer and builds the blocking index (in parallel; deterministic,
    /// whatever the number of cores).
    pub fn finish(self) -> Index {
        let total = self.shards.iter().map(|s| s.gathered.len()).sum();
        let mut gathered: Vec<Gathering> = Vec::with_capacity(total);
        for shard in self.shards {
            drop(shard.by_tin);
            gathered.extend(shard.gathered);
        }
        gathered.par_sort_unstable_by_key(|g| g.first_seen);
        let taxpayers: Vec<Taxpayer> = gathered
            .into_par_iter()
            // Each piece of work shares equal strings through its own pool: names and streets
            // repeat across taxpayers, and one copy each is enough. Rayon starts a pool for
            // every piece it splits off, so pieces are kept large. A gathering is freed as
            // soon as its taxpayer is built, so the index reuses its memory.
            .with_min_len(POOL_PIECE)
            .map_init(Pool::default, |pool, g| Taxpayer::from_gathering(&g, pool))
            .collect();
        Index::from_taxpayers(taxpayers)
    }
}

/// Fewest taxpayers built through one string pool.
const POOL_PIECE: usize = 1 << 14;

fn tin_hash(tin: Tin) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(tin)
}

/// Taxpayers and their blocking index.
pub struct Index {
    /// Every taxpayer.
    pub taxpayers: Vec<Taxpayer>,
    /// Blocking keys, sorted; `block_ids[i]` is the taxpayer filed under `block_keys[i]`.
    /// Two flat arrays (12 bytes an entry) instead of a map of vectors: most keys belong to
    /// one taxpayer, and a vector per key would cost more than the key.
    block_keys: Vec<u64>,
    /// See `block_keys`.
    block_ids: Vec<u32>,
    /// `block_dir[b]..block_dir[b + 1]` is the range of `block_keys` whose top
    /// [`DIR_BITS`] bits are `b`: a lookup searches a few entries instead of all of them.
    block_dir: Vec<u64>,
    given_tf: HashMap<Text, u32>,
    family_tf: HashMap<Text, u32>,
    /// Taxpayers per (given name, family-name reading), keyed by [`pair_key`]: names cluster
    /// by origin, so a given name's frequency among people of one surname is what an exact
    /// full-name agreement is worth.
    pair_tf: HashMap<u64, u32>,
    /// Taxpayers per middle name written in full.
    middle_tf: HashMap<Text, u32>,
    /// Taxpayers with a middle name written in full.
    with_middle: u32,
}

impl TermFrequencies for Index {
    fn given(&self, v: &str) -> f64 {
        f64::from(self.given_tf.get(v).copied().unwrap_or(1).max(1)) / self.len().max(1) as f64
    }

    fn family(&self, v: &str) -> f64 {
        self.family_count(v) / self.len().max(1) as f64
    }

    fn middle(&self, v: &str) -> f64 {
        f64::from(self.middle_tf.get(v).copied().unwrap_or(1).max(1))
            / f64::from(self.with_middle.max(1))
    }

    fn given_within_family(&self, given: &str, family: &str) -> f64 {
        let pair = f64::from(
            self.pair_tf
                .get(&pair_key(given, family))
                .copied()
                .unwrap_or(1)
                .max(1),
        );
        // Among the *other* bearers of the family name (the candidate is one of them), with
        // PAIR_PRIOR pseudo-bearers at the overall frequency so that a rare surname's few
        // bearers do not make a wild estimate.
        let bearers = self.family_count(family);
        ((pair - 1.0 + PAIR_PRIOR * self.given(given)) / (bearers - 1.0 + PAIR_PRIOR)).min(1.0)
    }
}

impl Index {
    /// Number of taxpayers with this family name or surname (at least 1).
    fn family_count(&self, v: &str) -> f64 {
        f64::from(self.family_tf.get(v).copied().unwrap_or(1).max(1))
    }
}

/// Name frequencies over taxpayers (each counted once per distinct name), gathered on every
/// core and merged.
#[derive(Default)]
struct Frequencies {
    given: HashMap<Text, u32>,
    /// Family names and each reading of them.
    family: HashMap<Text, u32>,
    /// (given, family reading) pairs, keyed by [`pair_key`].
    pair: HashMap<u64, u32>,
    /// Middle names written in full.
    middle: HashMap<Text, u32>,
    /// Taxpayers with a middle name written in full.
    with_middle: u32,
}

impl Frequencies {
    fn count(&mut self, t: &Taxpayer) {
        /// Counts each of `keys` once, however often it repeats.
        fn once<K: std::hash::Hash + Eq + Ord>(into: &mut HashMap<K, u32>, mut keys: Vec<K>) {
            keys.sort_unstable();
            keys.dedup();
            for k in keys {
                *into.entry(k).or_default() += 1;
            }
        }
        let names = &t.names;
        once(
            &mut self.pair,
            names
                .iter()
                .filter_map(|n| n.given().map(|g| (&**g, n)))
                .flat_map(|(g, n)| n.family_alts().iter().map(move |f| pair_key(g, f)))
                .collect(),
        );
        once(
            &mut self.given,
            names.iter().filter_map(|n| n.given().cloned()).collect(),
        );
        once(
            &mut self.family,
            names
                .iter()
                .flat_map(|n| n.family_alts().iter().cloned())
                .collect(),
        );
        let middles: Vec<Text> = names
            .iter()
            .filter_map(|n| n.middle().filter(|m| m.len() > 1).cloned())
            .collect();
        self.with_middle += u32::from(!middles.is_empty());
        once(&mut self.middle, middles);
    }

    fn merge(mut self, other: Frequencies) -> Frequencies {
        fn add<K: std::hash::Hash + Eq>(into: &mut HashMap<K, u32>, from: HashMap<K, u32>) {
            for (k, n) in from {
                *into.entry(k).or_default() += n;
            }
        }
        add(&mut self.given, other.given);
        add(&mut self.family, other.family);
        add(&mut self.pair, other.pair);
        add(&mut self.middle, other.middle);
        self.with_middle += other.with_middle;
        self
    }
}

/// Bits of a blocking key that select its directory bucket (2^20 buckets, 8 MiB of 64-bit
/// offsets: an index of a hundred million taxpayers holds billions of keys).
const DIR_BITS: u32 = 20;

/// Pseudo-bearers at the overall given-name frequency in the within-family estimate.
pub const PAIR_PRIOR: f64 = 10.0;

/// Key of a (given name, family-name reading) pair.
fn pair_key(given: &str, family: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    (given, family).hash(&mut h);
    h.finish()
}

/// Normalises a subject from the contract row.
pub fn prepare(s: &crosscheck_contract::Subject) -> Prepared {
    Prepared::new(
        Name::new(
            s.given_name.as_deref(),
            s.middle_name.as_deref(),
            s.family_name.as_deref(),
        ),
        normalise::dob(s.dob.as_deref()),
        Address::new(
            s.street.as_deref(),
            s.unit.as_deref(),
            s.city.as_deref(),
            s.state.as_deref(),
            s.zip.as_deref(),
        ),
        s.tin
            .as_ref()
            .map(|t| t.chars().filter(char::is_ascii_digit).collect::<String>())
            .filter(|t| !t.is_empty()),
    )
}

impl Index {
    /// Builds the index from a returns extract (in parallel; deterministic).
    pub fn build(returns: &[TaxReturn]) -> Index {
        let mut builder = IndexBuilder::new();
        builder.add(returns);
        builder.finish()
    }

    fn from_taxpayers(mut taxpayers: Vec<Taxpayer>) -> Index {
        merge_itin_to_ssn(&mut taxpayers);

        // Each taxpayer's distinct keys, gathered on every core straight into (key, taxpayer)
        // entries.
        let mut entries: Vec<(u64, u32)> = taxpayers
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, t)| {
                let mut out = Vec::new();
                let tins: Vec<String> = t.tins.iter().map(Tin::digits).collect();
                let tins: Vec<&str> = tins.iter().map(String::as_str).collect();
                let names: Vec<&Name> = t.names.iter().collect();
                let addresses: Vec<&Address> = t.addresses.iter().map(|(_, a)| a).collect();
                block::person_keys(&names, &t.dobs, &addresses, &tins, &mut out);
                out.sort_unstable();
                out.dedup();
                out.into_iter().map(move |k| (k, i as u32))
            })
            .collect();
        entries.par_sort_unstable();
        let (block_keys, block_ids): (Vec<u64>, Vec<u32>) = entries.into_iter().unzip();
        let mut block_dir = vec![0u64; (1 << DIR_BITS) + 1];
        for k in &block_keys {
            block_dir[(k >> (64 - DIR_BITS)) as usize + 1] += 1;
        }
        for b in 1..block_dir.len() {
            block_dir[b] += block_dir[b - 1];
        }
        let frequencies = taxpayers
            .par_iter()
            .fold(Frequencies::default, |mut f, t| {
                f.count(t);
                f
            })
            .reduce(Frequencies::default, Frequencies::merge);
        Index {
            taxpayers,
            block_keys,
            block_ids,
            block_dir,
            given_tf: frequencies.given,
            family_tf: frequencies.family,
            pair_tf: frequencies.pair,
            middle_tf: frequencies.middle,
            with_middle: frequencies.with_middle,
        }
    }

    /// Bytes the index holds on the heap, counted rather than read off the process: every
    /// vector's and table's capacity, each shared string once (with its reference counts).
    /// The allocator's own overhead is not included. A process's resident size cannot
    /// answer this: an allocator reuses what reading the extract freed.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        fn vec<T>(v: &Vec<T>) -> usize {
            v.capacity() * size_of::<T>()
        }
        fn boxed<T>(v: &[T]) -> usize {
            std::mem::size_of_val(v)
        }
        fn table<K, V>(m: &HashMap<K, V>) -> usize {
            // hashbrown: one control byte per bucket besides the entry.
            m.capacity() * (size_of::<(K, V)>() + 1)
        }
        let mut texts: rustc_hash::FxHashSet<*const u8> = rustc_hash::FxHashSet::default();
        let mut strings = 0usize;
        let mut parts = rustc_hash::FxHashSet::default();
        let mut text = |t: &Text| {
            if texts.insert(t.as_ptr()) {
                // An Arc<str> holds its strong and weak counts before the bytes.
                strings += 2 * size_of::<usize>() + t.len();
            }
        };
        let mut bytes = vec(&self.taxpayers)
            + vec(&self.block_keys)
            + vec(&self.block_ids)
            + vec(&self.block_dir)
            + table(&self.given_tf)
            + table(&self.family_tf)
            + table(&self.pair_tf)
            + table(&self.middle_tf);
        for t in self
            .given_tf
            .keys()
            .chain(self.family_tf.keys())
            .chain(self.middle_tf.keys())
        {
            text(t);
        }
        for t in &self.taxpayers {
            bytes += boxed(&t.tins) + boxed(&t.names) + boxed(&t.dobs) + boxed(&t.addresses);
            bytes += t.last.text.len();
            for n in &t.names {
                bytes += n.part_bytes(&mut parts);
                n.texts().for_each(&mut text);
            }
            for (_, a) in &t.addresses {
                a.texts().for_each(&mut text);
            }
        }
        bytes + strings
    }

    /// Number of taxpayers.
    pub fn len(&self) -> usize {
        self.taxpayers.len()
    }

    /// Whether the index holds nobody.
    pub fn is_empty(&self) -> bool {
        self.taxpayers.is_empty()
    }

    /// Pairs of different taxpayers whose most recent returns give one delivery address
    /// (house number, street, unit and ZIP: one home, not one apartment building), at most
    /// `per_address` per address, in taxpayer order (deterministic): the households from
    /// which relatives' agreement on given name, middle name and date of birth is learnt.
    /// Callers keep the pairs whose family names agree.
    pub fn co_resident_pairs(&self, per_address: usize) -> Vec<(u32, u32)> {
        type Home<'a> = (&'a str, &'a str, Option<&'a str>, &'a str);
        // (hash of the home, home, taxpayer), sorted on every core: one run per home, its
        // taxpayers ascending.
        let mut homes: Vec<(u64, Home, u32)> = self
            .taxpayers
            .par_iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let (_, a) = t.addresses.last()?;
                let home: Home = (
                    a.number.as_deref()?,
                    a.street.as_deref()?,
                    a.unit.as_deref(),
                    a.zip.as_deref()?,
                );
                use std::hash::BuildHasher;
                Some((rustc_hash::FxBuildHasher.hash_one(home), home, i as u32))
            })
            .collect();
        homes.par_sort_unstable();
        let mut groups: Vec<&[(u64, Home, u32)]> = homes
            .chunk_by(|a, b| (a.0, a.1) == (b.0, b.1))
            .filter(|g| g.len() > 1)
            .collect();
        groups.sort_unstable_by_key(|g| g[0].2);
        let mut pairs = Vec::new();
        for g in &groups {
            let all = (0..g.len()).flat_map(|i| (i + 1..g.len()).map(move |j| (g[i].2, g[j].2)));
            pairs.extend(all.take(per_address));
        }
        pairs
    }

    /// The taxpayers filed under blocking key `k` (a sorted slice of ids).
    fn block(&self, k: u64) -> &[u32] {
        let b = (k >> (64 - DIR_BITS)) as usize;
        let (lo, hi) = (self.block_dir[b] as usize, self.block_dir[b + 1] as usize);
        let bucket = &self.block_keys[lo..hi];
        let start = lo + bucket.partition_point(|x| *x < k);
        let end = start + self.block_keys[start..hi].partition_point(|x| *x == k);
        &self.block_ids[start..end]
    }

    /// Why taxpayer `id` is not among the subject's candidates (`None` when it is): the
    /// blocking diagnostic behind `evaluate`'s list of lost true pairs.
    pub fn blocking_miss(&self, s: &Prepared, id: u32) -> Option<BlockingMiss> {
        if self.candidates(s).contains(&id) {
            return None;
        }
        let (mut usable, mut oversized) = (0, 0);
        for k in block::subject_keys(s) {
            let ids = self.block(k);
            if ids.contains(&id) {
                if ids.len() <= MAX_BLOCK {
                    usable += 1;
                } else {
                    oversized += 1;
                }
            }
        }
        Some(match (usable, oversized) {
            (0, 0) => BlockingMiss::NoSharedKey,
            (0, _) => BlockingMiss::OversizedOnly,
            _ => BlockingMiss::SingleKeyInCrowd,
        })
    }

    /// Candidate taxpayers for a subject, ascending.
    ///
    /// Every block of the subject's keys up to [`MAX_BLOCK`] is gathered. When that yields at
    /// most [`block::FEW_CANDIDATES`] taxpayers, all are compared. Otherwise the blocks are
    /// taken smallest first: whole blocks while their sizes add up to at most
    /// [`block::SELECTIVE_BLOCKS`] (the smallest always, if it holds at most
    /// [`block::SOLE_BLOCK`]), and from the larger blocks only taxpayers that two or more
    /// keys found. A small block is a selective key (a house on a street, a full date of
    /// birth), and a taxpayer in it is worth comparing however crowded the subject's other
    /// keys are; a taxpayer sharing only one key of a large block (a common surname and birth
    /// year, say) agrees on too little to be more than noise.
    pub fn candidates(&self, s: &Prepared) -> Vec<u32> {
        let mut blocks: Vec<&[u32]> = block::subject_keys(s)
            .into_iter()
            .map(|k| self.block(k))
            .filter(|ids| !ids.is_empty() && ids.len() <= MAX_BLOCK)
            .collect();
        let mut hits: Vec<u32> = blocks.iter().flat_map(|ids| ids.iter().copied()).collect();
        hits.sort_unstable();
        let mut counted: Vec<(u32, u32)> = Vec::new();
        for id in hits {
            match counted.last_mut() {
                Some((last, n)) if *last == id => *n += 1,
                _ => counted.push((id, 1)),
            }
        }
        if counted.len() <= block::FEW_CANDIDATES {
            return counted.into_iter().map(|(id, _)| id).collect();
        }
        // Smallest first; equal sizes in key order, so the choice is deterministic.
        blocks.sort_by_key(|ids| ids.len());
        let mut whole: Vec<u32> = Vec::new();
        for (i, ids) in blocks.iter().enumerate() {
            let first = i == 0 && ids.len() <= block::SOLE_BLOCK;
            if first || whole.len() + ids.len() <= block::SELECTIVE_BLOCKS {
                whole.extend_from_slice(ids);
            } else {
                break;
            }
        }
        whole.sort_unstable();
        counted
            .into_iter()
            .filter(|(id, n)| *n >= 2 || whole.binary_search(id).is_ok())
            .map(|(id, _)| id)
            .collect()
    }
}

/// Why a subject's own taxpayer did not reach comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BlockingMiss {
    /// The subject and the taxpayer share no blocking key at all.
    NoSharedKey,
    /// Every key they share is a block too large to compare in full.
    OversizedOnly,
    /// They share keys, but the subject had many candidates and too few keys found this one.
    SingleKeyInCrowd,
}

impl BlockingMiss {
    /// Stable label for reports.
    pub fn label(self) -> &'static str {
        match self {
            BlockingMiss::NoSharedKey => "no_shared_key",
            BlockingMiss::OversizedOnly => "oversized_blocks_only",
            BlockingMiss::SingleKeyInCrowd => "single_key_in_crowd",
        }
    }
}

/// Merges each ITIN taxpayer into the one SSN taxpayer who shares a family name and a date
/// of birth with it, has a given name that agrees closely ([`crate::compare::given_close`])
/// and whose returns all come later. Every name and date on file counts: a clerk's typo in
/// one return must not keep one person as two.
fn merge_itin_to_ssn(taxpayers: &mut Vec<Taxpayer>) {
    fn person_keys(t: &Taxpayer) -> impl Iterator<Item = (&str, Date)> {
        let families = t.names.iter().filter_map(|n| n.family());
        families.flat_map(|f| t.dobs.iter().map(move |d| (&**f, *d)))
    }
    // Decide every merge first, reading only. Only the keys some ITIN filer has can merge:
    // collect those first (ITINs are few), then the SSN filers with one of them.
    let mut merges: Vec<(usize, usize)> = Vec::new();
    {
        let mut ssn_by_key: HashMap<(&str, Date), Vec<usize>> = taxpayers
            .iter()
            .filter(|t| t.tins[0].kind() == TinKind::Itin)
            .flat_map(|t| person_keys(t).map(|k| (k, Vec::new())))
            .collect();
        if ssn_by_key.is_empty() {
            return;
        }
        for (j, t) in taxpayers.iter().enumerate() {
            if t.tins[0].kind() == TinKind::Ssn && t.tins.len() == 1 {
                for k in person_keys(t) {
                    if let Some(ssns) = ssn_by_key.get_mut(&k) {
                        ssns.push(j);
                    }
                }
            }
        }
        let mut taken = vec![false; taxpayers.len()];
        for (i, itin) in taxpayers.iter().enumerate() {
            if itin.tins[0].kind() != TinKind::Itin {
                continue;
            }
            let mut close: Vec<usize> = person_keys(itin)
                .filter_map(|k| ssn_by_key.get(&k))
                .flatten()
                .copied()
                .filter(|&j| {
                    let names = &taxpayers[j].names;
                    itin.names
                        .iter()
                        .any(|x| names.iter().any(|y| crate::compare::given_close(x, y)))
                })
                .collect();
            close.sort_unstable();
            close.dedup();
            let last_itin_year = itin.addresses.iter().map(|(y, _)| *y).max().unwrap_or(0);
            if let [j] = close[..]
                && taxpayers[j].first_year > last_itin_year
                && !taken[j]
            {
                taken[j] = true;
                merges.push((i, j));
            }
        }
    }
    let mut absorbed = vec![false; taxpayers.len()];
    for (i, j) in merges {
        let itin = &mut taxpayers[i];
        let tin = itin.tins[0];
        let (itin_names, itin_dobs, itin_addresses) = (
            std::mem::take(&mut itin.names),
            std::mem::take(&mut itin.dobs),
            std::mem::take(&mut itin.addresses),
        );
        absorbed[i] = true;
        let target = &mut taxpayers[j];
        target.tins = [tin, target.tins[0]].into();
        let (mut names, mut dobs, mut addresses) = (
            std::mem::take(&mut target.names).into_vec(),
            std::mem::take(&mut target.dobs).into_vec(),
            std::mem::take(&mut target.addresses).into_vec(),
        );
        for n in itin_names {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        for d in itin_dobs {
            if !dobs.contains(&d) {
                dobs.push(d);
            }
        }
        for a in itin_addresses {
            if !addresses.iter().any(|(_, x)| *x == a.1) {
                addresses.push(a);
            }
        }
        addresses.sort_by_key(|(y, _)| *y);
        (target.names, target.dobs, target.addresses) =
            (names.into(), dobs.into(), addresses.into());
    }
    let mut i = 0;
    taxpayers.retain(|_| {
        i += 1;
        !absorbed[i - 1]
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosscheck_contract::Subject;

    fn ret(tin: u32, given: &str, family: &str, dob: &str, street: &str, zip: &str) -> TaxReturn {
        TaxReturn {
            return_id: format!("R{tin}").into(),
            tin: Tin::parse(&format!(
                "{:03}-{:02}-{:04}",
                100 + tin / 1_000_000,
                10 + tin / 10_000 % 90,
                tin % 10_000
            ))
            .unwrap(),
            tax_year: 2024,
            given_name: given.into(),
            middle_name: None,
            family_name: family.into(),
            dob: Date::parse_iso(dob).ok(),
            street: street.into(),
            unit: None,
            city: "AUSTIN".into(),
            state: "TX".into(),
            zip: zip.into(),
            employer_name: None,
        }
    }

    fn subject(given: &str, family: &str, dob: Option<&str>, street: Option<&str>) -> Prepared {
        prepare(&Subject {
            subject_id: "S".into(),
            given_name: Some(given.into()),
            family_name: Some(family.into()),
            dob: dob.map(Into::into),
            street: street.map(Into::into),
            city: street.map(|_| "Austin".into()),
            state: street.map(|_| "TX".into()),
            zip: street.map(|_| "78701".into()),
            ..Subject::default()
        })
    }

    /// A middle name's term frequency is its share among taxpayers who write one in full
    /// (an initial is not a middle name to count), each counted once however often written.
    #[test]
    fn middle_names_are_counted_among_those_who_write_one() {
        let with_middle = |tin: u32, middle: Option<&str>| TaxReturn {
            middle_name: middle.map(Into::into),
            ..ret(tin, "ANA", "LOPEZ", "1980-01-01", "1 ELM ST", "78701")
        };
        let mut returns: Vec<TaxReturn> = (1..=6).map(|t| with_middle(t, Some("MARIE"))).collect();
        returns.push(TaxReturn {
            tax_year: 2023,
            ..with_middle(1, Some("MARIE"))
        });
        returns.push(with_middle(7, Some("ZENOBIA")));
        returns.push(with_middle(8, Some("Z")));
        returns.push(with_middle(9, None));
        let index = Index::build(&returns);
        assert_eq!(index.middle("MARIE"), 6.0 / 7.0);
        assert_eq!(index.middle("ZENOBIA"), 1.0 / 7.0);
        assert_eq!(
            index.middle("NEVER"),
            1.0 / 7.0,
            "an unseen name counts as one"
        );
    }

    /// Co-residents are people of one home: one apartment of a building, not the building.
    #[test]
    fn co_residents_share_a_unit_not_only_a_building() {
        let in_unit = |tin: u32, given: &str, unit: Option<&str>| TaxReturn {
            unit: unit.map(Into::into),
            ..ret(tin, given, "OKAFOR", "1980-01-01", "40 ELM ST", "78701")
        };
        let index = Index::build(&[
            in_unit(1, "CHIDI", Some("APT 1")),
            in_unit(2, "NGOZI", Some("UNIT 1")),
            in_unit(3, "EMEKA", Some("APT 2")),
            in_unit(4, "ADA", None),
            in_unit(5, "OBI", None),
        ]);
        let names = |pairs: Vec<(u32, u32)>| -> Vec<[String; 2]> {
            let given = |i: u32| {
                index.taxpayers[i as usize].names[0]
                    .given()
                    .unwrap()
                    .to_string()
            };
            let mut named: Vec<[String; 2]> = pairs
                .into_iter()
                .map(|(a, b)| {
                    let mut p = [given(a), given(b)];
                    p.sort();
                    p
                })
                .collect();
            named.sort();
            named
        };
        assert_eq!(
            names(index.co_resident_pairs(10)),
            [["ADA", "OBI"], ["CHIDI", "NGOZI"]].map(|p| p.map(String::from))
        );
    }

    /// One person who filed under an ITIN and later under an SSN is one taxpayer, also when a
    /// clerk mistyped a name on one of the returns; twins, or two filers whose years
    /// overlap, stay two.
    #[test]
    fn an_itin_followed_by_an_ssn_is_one_taxpayer_despite_a_typo() {
        let filed = |tin: &str, year: u16, given: &str, family: &str, dob: &str| TaxReturn {
            tin: Tin::parse(tin).unwrap(),
            tax_year: year,
            ..ret(1, given, family, dob, "4 ELM ST", "78701")
        };
        let taxpayers = |returns: &[TaxReturn]| {
            let index = Index::build(returns);
            let mut tins: Vec<usize> = index.taxpayers.iter().map(|t| t.tins.len()).collect();
            tins.sort_unstable();
            tins
        };
        // A typo in the given name on every ITIN return, and in the family name on one.
        let person = [
            filed("912-70-0001", 2019, "ELIZABZTH", "MENDEZ", "1960-03-08"),
            filed("912-70-0001", 2020, "ELIZABZTH", "MENDZE", "1960-03-08"),
            filed("212-40-0001", 2022, "ELIZABETH", "MENDEZ", "1960-03-08"),
        ];
        assert_eq!(taxpayers(&person), [2], "one taxpayer with both numbers");
        let twins = [
            filed("912-70-0002", 2019, "MARIA", "MENDEZ", "1990-01-01"),
            filed("212-40-0002", 2022, "JUANA", "MENDEZ", "1990-01-01"),
        ];
        assert_eq!(taxpayers(&twins), [1, 1], "different given names");
        let overlapping = [
            filed("912-70-0003", 2022, "ELENA", "RUIZ", "1990-01-01"),
            filed("212-40-0003", 2022, "ELENA", "RUIZ", "1990-01-01"),
        ];
        assert_eq!(taxpayers(&overlapping), [1, 1], "filed in the same year");
    }

    /// Given names whose Soundex differs from `MARY`'s, one per taxpayer of the crowd.
    const GIVEN: [&str; 10] = [
        "ANNA", "BETTY", "CAROL", "DIANA", "EMMA", "FIONA", "GRACE", "HELEN", "IRIS", "JOAN",
    ];

    /// `n` SMITHs born in 1980 on other days than May 5, living elsewhere.
    fn crowd(n: u32) -> Vec<TaxReturn> {
        (0..n)
            .map(|i| {
                let dob = format!("1980-{:02}-{:02}", 1 + i % 4, 1 + i % 28);
                let street = format!("{} ELM ST", 100 + i);
                ret(
                    1_000 + i,
                    GIVEN[i as usize % 10],
                    "SMITH",
                    &dob,
                    &street,
                    "73301",
                )
            })
            .collect()
    }

    fn tin_of(index: &Index, id: u32) -> String {
        index.taxpayers[id as usize].tin().digits()
    }

    #[test]
    fn an_index_built_a_stretch_at_a_time_is_the_index_built_at_once() {
        // Returns of one person spread over the extract, several years and addresses, two
        // returns for one year, a second spelling of the name.
        let mut returns = crowd(40);
        let year = |mut r: TaxReturn, y: u16, street: &str| {
            r.tax_year = y;
            r.street = street.into();
            r
        };
        let ana = ret(9, "ANA", "GARCIA LOPEZ", "1981-04-02", "1 A ST", "78701");
        returns.insert(3, year(ana.clone(), 2022, "1 A ST"));
        returns.insert(11, year(ana.clone(), 2024, "2 B ST"));
        returns.insert(17, year(ana.clone(), 2023, "3 C ST"));
        let mut renamed = year(ana.clone(), 2024, "4 D ST");
        renamed.given_name = "Ana".into();
        returns.insert(30, renamed);
        returns.push(year(ana, 2021, "1 A ST"));
        let whole = Index::build(&returns);
        let mut builder = IndexBuilder::new();
        for stretch in returns.chunks(3) {
            builder.add(stretch);
        }
        assert_eq!(builder.returns(), returns.len() as u64);
        let stretched = builder.finish();
        let fingerprint =
            |i: &Index| -> Vec<String> { i.taxpayers.iter().map(|t| format!("{t:?}")).collect() };
        assert_eq!(fingerprint(&whole), fingerprint(&stretched));
        assert_eq!(whole.block_keys, stretched.block_keys);
        assert_eq!(whole.block_ids, stretched.block_ids);
        // Taxpayers keep the order of their first return; Ana's last address is the later
        // of her two 2024 returns, and her addresses run oldest first.
        let ana = &whole.taxpayers[3];
        assert_eq!(ana.names.len(), 1, "ANA and Ana normalise alike");
        assert_eq!(ana.last.street(), "4 D ST");
        assert_eq!(ana.last.tax_year, 2024);
        let years: Vec<u16> = ana.addresses.iter().map(|(y, _)| *y).collect();
        assert_eq!(years, [2022, 2023, 2024, 2024]);
        assert_eq!(ana.first_year, 2021);
    }

    #[test]
    fn heap_bytes_count_a_shared_string_once_and_grow_with_the_taxpayers() {
        // Two households of two: in one both people share every string but the date of
        // birth; in the other nothing is shared (strings of the same lengths). One worker,
        // so that both taxpayers are built through one string pool.
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (shared, apart) = one.install(|| {
            (
                Index::build(&[
                    ret(1, "ANA", "GARCIA", "1981-04-02", "1 ELM ST", "78701"),
                    ret(2, "ANA", "GARCIA", "1983-06-09", "1 ELM ST", "78701"),
                ]),
                Index::build(&[
                    ret(1, "ANA", "GARCIA", "1981-04-02", "1 ELM ST", "78701"),
                    ret(2, "EVA", "MORENO", "1983-06-09", "9 OAK ST", "73301"),
                ]),
            )
        });
        let floor = |i: &Index| {
            i.block_keys.capacity() * 8 + i.taxpayers.capacity() * std::mem::size_of::<Taxpayer>()
        };
        assert!(shared.heap_bytes() > floor(&shared));
        assert!(shared.heap_bytes() < apart.heap_bytes());
        // Adding a copy of a taxpayer (every string shared with it) costs only its vectors;
        // adding the same person built apart (equal strings, not shared) costs more.
        let ana = || Index::build(&[ret(1, "ANA", "GARCIA", "1981-04-02", "1 ELM ST", "78701")]);
        let added = |mut index: Index, t: Taxpayer| {
            index.taxpayers.reserve_exact(1);
            let before = index.heap_bytes();
            index.taxpayers.push(t);
            index.heap_bytes() - before
        };
        let index = ana();
        let copy = index.taxpayers[0].clone();
        let copied = added(index, copy);
        let apart = added(ana(), ana().taxpayers[0].clone());
        assert!(copied < apart, "{copied} {apart}");
        // Beside the fixed 8 MiB directory, a taxpayer with one name, date of birth and
        // address holds a few hundred bytes.
        let directory = ((1 << DIR_BITS) + 1) * 8;
        let per_taxpayer = (Index::build(&crowd(40)).heap_bytes() - directory) / 40;
        assert!((200..4_000).contains(&per_taxpayer), "{per_taxpayer}");
    }

    #[test]
    fn a_selective_block_is_compared_however_crowded_the_other_keys_are() {
        // The subject's own taxpayer shares only the house key (one taxpayer): a different
        // family name on file and a wrong date of birth. 100 SMITHs born in 1980 crowd the
        // surname-and-year key; each of them shares that one key only.
        let mut returns = crowd(100);
        returns.push(ret(7, "MARY", "JONES", "1975-01-01", "12 OAK ST", "78701"));
        let index = Index::build(&returns);
        let s = subject("MARY", "SMITH", Some("1980-05-05"), Some("12 Oak St"));
        let found = index.candidates(&s);
        let own = found.iter().any(|&c| tin_of(&index, c).ends_with("0007"));
        assert!(own, "the house key's only taxpayer must be a candidate");
        // The crowd found by one large key alone stays out.
        assert!(found.len() < 64, "{} candidates", found.len());
        assert_eq!(index.blocking_miss(&s, found[0]), None);
    }

    #[test]
    fn a_subject_with_one_usable_key_is_compared_with_its_block() {
        // No date of birth, no address: the name's key is all there is. Before, 100 taxpayers
        // sharing one key each meant no candidate at all.
        let index = Index::build(&crowd(100));
        let s = subject("ANNA", "SMITH", None, None);
        let found = index.candidates(&s);
        assert_eq!(found.len(), 10, "the ANNA SMITHs of the crowd");
        let s = subject("MARY", "SMITH", None, None);
        assert!(index.candidates(&s).is_empty());
    }

    #[test]
    fn a_mistyped_birth_year_with_a_mistyped_given_name_still_shares_a_key() {
        // CHARLES ROBINSON born 1954-01-31, looked up as "HCARLES", born 1951-01-31, with a
        // ZIP typo: only the family name with month and day of birth agrees.
        let mut returns = crowd(100);
        returns.push(ret(
            9,
            "CHARLES",
            "ROBINSON",
            "1954-01-31",
            "1596 WATER TER",
            "10046",
        ));
        let index = Index::build(&returns);
        let s = prepare(&Subject {
            subject_id: "S".into(),
            given_name: Some("Hcarles".into()),
            family_name: Some("Robinson".into()),
            dob: Some("1951-01-31".into()),
            street: Some("1596 Water Ter".into()),
            zip: Some("10042".into()),
            ..Subject::default()
        });
        let found = index.candidates(&s);
        assert!(found.iter().any(|&c| tin_of(&index, c).ends_with("0009")));
    }

    #[test]
    fn a_lost_true_pair_is_explained() {
        let mut returns = crowd(100);
        returns.push(ret(7, "PAT", "LEE", "1960-02-02", "5 PINE RD", "73301"));
        returns.push(ret(8, "MARY", "JONES", "1975-01-01", "12 OAK ST", "78701"));
        let index = Index::build(&returns);
        let lee = (0..index.len() as u32)
            .find(|&c| tin_of(&index, c).ends_with("0007"))
            .unwrap();
        let s = subject("MARY", "SMITH", Some("1980-05-05"), Some("12 Oak St"));
        assert_eq!(
            index.blocking_miss(&s, lee),
            Some(BlockingMiss::NoSharedKey)
        );
        // A SMITH of the crowd shares only the surname-and-year key with her, crowded
        // beside the selective house key.
        let smith = (0..index.len() as u32)
            .find(|&c| index.taxpayers[c as usize].names[0].given().map(|g| &**g) == Some("BETTY"))
            .unwrap();
        assert_eq!(
            index.blocking_miss(&s, smith),
            Some(BlockingMiss::SingleKeyInCrowd)
        );
    }
}
