//! Synthetic taxpayer data with known truth: what realistic requests look like.
//!
//! A [`population::Population`] of households (name origins with skewed frequencies,
//! compound surnames, twins, juniors, moves, ITIN-then-SSN filers) files returns year by
//! year with custodian-side clerical noise; [`subjects::generate`] then draws subjects —
//! distorted filers, people not in the data, namesakes of filers and non-filing relatives —
//! each with a [`crosscheck_contract::Truth`] row naming the TINs that are the same person
//! and the distortions applied. Every rate is in [`rates::Rates`] and documented in
//! `docs/synth.md`.
//!
//! Output is deterministic for a seed: the population, the returns and the subjects each
//! draw from their own ChaCha8 stream, so changing the number of subjects leaves the
//! returns unchanged.
//!
//! ```
//! use crosscheck_synth::{SynthConfig, generate};
//! let data = generate(&SynthConfig { people: 200, subjects: 20, ..SynthConfig::default() });
//! assert_eq!(data.subjects.len(), 20);
//! assert!(!data.returns.is_empty());
//! ```

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crosscheck_contract::table::{FileError, Writer};
use crosscheck_contract::{Format, Subject, TaxReturn, Truth};

pub mod names;
pub mod places;
pub mod population;
pub mod rates;
pub mod subjects;
mod typo;

use population::{Drawer, Population};
pub use rates::Rates;
pub use subjects::SubjectKind;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    /// People in the population (filers and not).
    pub people: usize,
    /// Subjects to draw.
    pub subjects: usize,
    /// Seed; the same seed gives the same bytes.
    pub seed: u64,
    /// First and last tax year of the extract.
    pub years: (u16, u16),
    /// Every rate of the model.
    pub rates: Rates,
}

impl SynthConfig {
    /// `people` and `subjects` from `seed`, everything else default.
    pub fn sized(people: usize, subjects: usize, seed: u64) -> SynthConfig {
        SynthConfig {
            people,
            subjects,
            seed,
            ..SynthConfig::default()
        }
    }
}

impl Default for SynthConfig {
    fn default() -> SynthConfig {
        SynthConfig {
            people: 10_000,
            subjects: 1_000,
            seed: 1,
            years: (2019, 2024),
            rates: Rates::default(),
        }
    }
}

fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// Generated data held in memory (for tests and small runs).
pub struct Synthetic {
    /// The population behind the returns.
    pub population: Population,
    /// Every return filed.
    pub returns: Vec<TaxReturn>,
    /// Subjects, in file order.
    pub subjects: Vec<Subject>,
    /// Truth rows, one per subject.
    pub truth: Vec<Truth>,
    /// Each subject's kind.
    pub kinds: Vec<SubjectKind>,
}

/// Generates everything in memory.
pub fn generate(config: &SynthConfig) -> Synthetic {
    let drawer = Drawer::new(config.rates.clone());
    let population = Population::generate(
        &drawer,
        &mut rng(config.seed, 0),
        config.people,
        config.years,
        &mut |_| {},
    );
    let mut returns = Vec::new();
    population
        .returns(&drawer, &mut rng(config.seed, 1), |_, r| {
            returns.push(r);
            Ok::<(), std::convert::Infallible>(())
        })
        .unwrap_or_else(|never| match never {});
    let mut subjects = Vec::new();
    let mut truth = Vec::new();
    let mut kinds = Vec::new();
    for (s, t, k) in subjects::generate(
        &population,
        &drawer,
        &mut rng(config.seed, 2),
        config.subjects,
    ) {
        subjects.push(s);
        truth.push(t);
        kinds.push(k);
    }
    Synthetic {
        population,
        returns,
        subjects,
        truth,
        kinds,
    }
}

/// Which part of the work a progress report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Making people; counts people.
    People,
    /// Writing returns; counts people whose returns are written.
    Returns,
    /// Writing subjects and truth; counts subjects.
    Subjects,
}

/// What [`write_dir`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// Path of the returns file.
    pub returns: PathBuf,
    /// Path of the subjects file.
    pub subjects: PathBuf,
    /// Path of the truth file.
    pub truth: PathBuf,
    /// Number of people.
    pub people: usize,
    /// Number of returns.
    pub return_rows: u64,
    /// Number of subjects of each kind, in [`SubjectKind::ALL`] order.
    pub kinds: [usize; 4],
}

/// Generates and writes `returns`, `subjects` and `truth` files into `dir` (created if
/// needed), streaming the returns so memory stays small. `progress(phase, done, total)` is
/// called now and then.
pub fn write_dir(
    config: &SynthConfig,
    dir: &Path,
    format: Format,
    progress: &mut dyn FnMut(Phase, u64, u64),
) -> Result<Written, FileError> {
    std::fs::create_dir_all(dir).map_err(|source| FileError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let path = |name: &str| dir.join(format!("{name}.{}", format.extension()));
    let drawer = Drawer::new(config.rates.clone());
    let people = config.people as u64;
    let population = Population::generate(
        &drawer,
        &mut rng(config.seed, 0),
        config.people,
        config.years,
        &mut |n| progress(Phase::People, n as u64, people),
    );

    let returns_path = path("returns");
    let mut writer = Writer::<TaxReturn>::create(&returns_path)?;
    let mut last_report = 0usize;
    population.returns(&drawer, &mut rng(config.seed, 1), |person, r| {
        if person >= last_report + 4096 {
            last_report = person;
            progress(Phase::Returns, person as u64, people);
        }
        writer.write(&r)
    })?;
    let return_rows = writer.finish()?;
    progress(Phase::Returns, people, people);

    let generated = subjects::generate(
        &population,
        &drawer,
        &mut rng(config.seed, 2),
        config.subjects,
    );
    let (subjects_path, truth_path) = (path("subjects"), path("truth"));
    let mut sw = Writer::<Subject>::create(&subjects_path)?;
    let mut tw = Writer::<Truth>::create(&truth_path)?;
    let mut kinds = [0usize; 4];
    for (i, (s, t, k)) in generated.iter().enumerate() {
        sw.write(s)?;
        tw.write(t)?;
        kinds[SubjectKind::ALL
            .iter()
            .position(|x| x == k)
            .expect("every kind is listed")] += 1;
        if i % 4096 == 0 {
            progress(Phase::Subjects, i as u64, generated.len() as u64);
        }
    }
    sw.finish()?;
    tw.finish()?;
    progress(
        Phase::Subjects,
        generated.len() as u64,
        generated.len() as u64,
    );
    Ok(Written {
        returns: returns_path,
        subjects: subjects_path,
        truth: truth_path,
        people: population.people.len(),
        return_rows,
        kinds,
    })
}
