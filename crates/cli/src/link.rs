//! `crosscheck link` and `crosscheck train`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crosscheck_contract::{LinkResult, Outcome, Subject, table};
use crosscheck_linkage::index::{Index, prepare};
use crosscheck_linkage::link::{self, Compared};
use crosscheck_linkage::model::Thresholds;

/// The files both `link` and `train` read.
#[derive(clap::Args)]
pub struct Inputs {
    /// Taxpayer-return extract, .csv or .parquet.
    #[arg(long)]
    returns: PathBuf,
    /// Subject file, .csv or .parquet.
    #[arg(long)]
    subjects: PathBuf,
    /// Seed for the random pairs that estimate u.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Decision thresholds given on the command line; each overrides the model's.
#[derive(clap::Args, Default)]
pub struct ThresholdArgs {
    /// Posterior probability from which the best candidate is matched automatically (the
    /// law's name, TIN and corroboration checks still apply) [model's; default 0.999]
    #[arg(long, value_name = "P", value_parser = probability)]
    match_probability: Option<f64>,
    /// Posterior probability from which a subject goes to review rather than no_match
    /// [model's; default 0.5]
    #[arg(long, value_name = "P", value_parser = probability)]
    review_probability: Option<f64>,
}

fn probability(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if p > 0.0 && p <= 1.0 => Ok(p),
        _ => Err(format!("`{s}` is not a probability in (0, 1]")),
    }
}

impl ThresholdArgs {
    /// `base` with the given thresholds set; refuses a review threshold above the match one.
    fn resolve(&self, base: &Thresholds) -> Result<Thresholds> {
        let t = Thresholds {
            match_probability: self.match_probability.unwrap_or(base.match_probability),
            review_probability: self.review_probability.unwrap_or(base.review_probability),
        };
        if t.review_probability > t.match_probability {
            bail!(
                "the review probability ({}) is above the match probability ({}): \
                 --review-probability must not exceed --match-probability",
                t.review_probability,
                t.match_probability
            );
        }
        Ok(t)
    }
}

/// Options of `crosscheck link`.
#[derive(clap::Args)]
pub struct LinkArgs {
    #[command(flatten)]
    inputs: Inputs,
    #[command(flatten)]
    thresholds: ThresholdArgs,
    /// Where to write the link result (.csv or .parquet).
    #[arg(long)]
    output: PathBuf,
    /// A model saved by `crosscheck train`; without it the model is trained on these files.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Also write every decision with its best and runner-up candidates' evidence as JSON
    /// lines to OUTPUT.explain.jsonl.
    #[arg(long)]
    explain: bool,
}

impl LinkArgs {
    /// Arguments for linking `returns` and `subjects` into `output` with a trained-on-the-fly
    /// model (what `demo` does).
    pub fn new(returns: PathBuf, subjects: PathBuf, output: PathBuf) -> LinkArgs {
        LinkArgs {
            inputs: Inputs {
                returns,
                subjects,
                seed: 1,
            },
            thresholds: ThresholdArgs::default(),
            output,
            model: None,
            explain: false,
        }
    }
}

/// Options of `crosscheck train`.
#[derive(clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    inputs: Inputs,
    /// Thresholds saved in the model.
    #[command(flatten)]
    thresholds: ThresholdArgs,
    /// Where to write the model (JSON).
    #[arg(long)]
    output: PathBuf,
}

struct Prepared {
    index: Index,
    subjects: Vec<Subject>,
    prepared: Vec<crosscheck_linkage::compare::Prepared>,
    compared: Vec<Compared>,
}

/// Reads both files, builds the index and compares every subject with its candidates;
/// `command` names the summary line on stderr.
fn load(inputs: &Inputs, command: &str) -> Result<Prepared> {
    let (returns, subjects) = (inputs.returns.as_path(), inputs.subjects.as_path());
    let started = Instant::now();
    let spin = crate::spinner("reading the extract and the subjects");
    // Returns are gathered per taxpayer as they are read; the extract is never held whole.
    let builder = crate::read_into_index(returns)?;
    if builder.returns() == 0 {
        bail!("{}: the extract has no usable returns", returns.display());
    }
    let subjects = crate::read_reported::<Subject>(subjects)?;
    let read = started.elapsed();
    spin.set_message(format!("indexing {} returns", builder.returns()));
    let index = builder.finish();
    spin.finish_and_clear();
    let built = started.elapsed();
    let prepared: Vec<_> = {
        use rayon::prelude::*;
        subjects.par_iter().map(prepare).collect()
    };
    let pb = crate::bar(prepared.len() as u64, "comparing");
    let done = AtomicUsize::new(0);
    let compared = link::compare_all(&index, &prepared, &|n| {
        let d = done.fetch_add(n, Ordering::Relaxed) + n;
        if d.is_multiple_of(256) {
            pb.set_position(d as u64);
        }
    });
    pb.finish_and_clear();
    eprintln!(
        "{command}: {} taxpayers indexed, {} subjects; read {:.1}s, index {:.1}s, compare {:.1}s",
        index.len(),
        subjects.len(),
        read.as_secs_f64(),
        (built - read).as_secs_f64(),
        (started.elapsed() - built).as_secs_f64()
    );
    Ok(Prepared {
        index,
        subjects,
        prepared,
        compared,
    })
}

/// Runs `crosscheck train`.
pub fn train(args: &TrainArgs) -> Result<()> {
    let thresholds = args.thresholds.resolve(&Thresholds::default())?;
    let p = load(&args.inputs, "train")?;
    let mut model = link::train(&p.index, &p.prepared, &p.compared, args.inputs.seed);
    model.thresholds = thresholds;
    let json = serde_json::to_string_pretty(&model).context("while encoding the model")?;
    std::fs::write(&args.output, json)
        .with_context(|| format!("while writing {}", args.output.display()))?;
    eprintln!(
        "train: model written to {} (λ = {:.5}, relatives living with a taxpayer {:.5})",
        args.output.display(),
        model.lambda,
        model.household.share
    );
    Ok(())
}

/// Runs `crosscheck link`; returns the outcome counts.
pub fn run(args: &LinkArgs) -> Result<[usize; 3]> {
    let started = Instant::now();
    // A model file or thresholds that cannot be used are refused before the extract is read.
    let loaded = args
        .model
        .as_deref()
        .map(crate::serve::read_model)
        .transpose()?;
    let thresholds = args.thresholds.resolve(
        loaded
            .as_ref()
            .map_or(&Thresholds::default(), |m| &m.thresholds),
    )?;
    let p = load(&args.inputs, "link")?;
    let phase = Instant::now();
    let spin = crate::spinner("training the model (no labels needed)");
    let mut model = match loaded {
        Some(model) => model,
        None => link::train(&p.index, &p.prepared, &p.compared, args.inputs.seed),
    };
    model.thresholds = thresholds;
    spin.finish_and_clear();
    let trained = phase.elapsed();
    let decisions: Vec<link::Decision> = {
        use rayon::prelude::*;
        (0..p.subjects.len())
            .into_par_iter()
            .map(|i| link::decide(&model, &p.index, &p.prepared[i], &p.compared[i]))
            .collect()
    };
    eprintln!(
        "link: model {:.1}s ({}), decide {:.1}s",
        trained.as_secs_f64(),
        if args.model.is_some() {
            "loaded"
        } else {
            "trained"
        },
        (phase.elapsed() - trained).as_secs_f64()
    );
    let mut writer = table::Writer::<LinkResult>::create(&args.output)?;
    let mut explain = if args.explain {
        let path = PathBuf::from(format!("{}.explain.jsonl", args.output.display()));
        Some((
            std::io::BufWriter::new(
                std::fs::File::create(&path)
                    .with_context(|| format!("while creating {}", path.display()))?,
            ),
            path,
        ))
    } else {
        None
    };
    // Decisions name candidates by their place in the index; files name them by TIN.
    let tin_of = |c: &link::Scored| p.index.taxpayers[c.taxpayer as usize].tin().digits();
    let mut counts = [0usize; 3];
    for (s, d) in p.subjects.iter().zip(&decisions) {
        counts[Outcome::ALL
            .iter()
            .position(|o| *o == d.outcome)
            .expect("listed")] += 1;
        let best = d.best.as_ref().filter(|_| d.outcome != Outcome::NoMatch);
        let tp = best.map(|b| &p.index.taxpayers[b.taxpayer as usize]);
        writer.write(&LinkResult {
            subject_id: s.subject_id.clone(),
            outcome: d.outcome,
            tin: tp.map(|t| t.tin().digits()),
            match_probability: best.map(|b| b.probability),
            match_weight: best.map(|b| b.weight),
            address_tax_year: tp.map(|t| t.last.tax_year),
            street: tp.map(|t| t.last.street().to_owned()),
            unit: tp.and_then(|t| t.last.unit().map(str::to_owned)),
            city: tp.map(|t| t.last.city().to_owned()),
            state: tp.map(|t| t.last.state().to_owned()),
            zip: tp.map(|t| t.last.zip().to_owned()),
            runner_up_tin: best.and(d.runner_up.as_ref()).map(tin_of),
            runner_up_weight: best.and(d.runner_up.as_ref()).map(|r| r.weight),
            evidence: best.map(link::evidence_string),
            reason: d.reason.map(|r| r.as_str().to_owned()),
        })?;
        if let Some((w, path)) = explain.as_mut() {
            let line = serde_json::json!({
                "subject_id": s.subject_id,
                "best_tin": d.best.as_ref().map(tin_of),
                "runner_up_tin": d.runner_up.as_ref().map(tin_of),
                "decision": d,
            });
            use std::io::Write as _;
            writeln!(w, "{line}").with_context(|| format!("while writing {}", path.display()))?;
        }
    }
    writer.finish()?;
    eprintln!(
        "link: match {}  review {}  no_match {}  in {:.1}s -> {}",
        counts[0],
        counts[1],
        counts[2],
        started.elapsed().as_secs_f64(),
        args.output.display()
    );
    // The index and every decision are freed by another thread (about a second at 1M
    // people): the command ends as soon as its output is written.
    std::thread::spawn(move || drop((p, decisions)));
    Ok(counts)
}
