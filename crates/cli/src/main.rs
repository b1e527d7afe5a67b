//! `crosscheck`: the command-line program. Thin glue over the library crates.
// The binary is where output to the terminal belongs; libraries never print.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use crosscheck_contract::table::{self, Record};
use crosscheck_contract::{Format, LinkResult, RowIssue, TaxReturn, Truth};
use crosscheck_synth::{Phase, SynthConfig};

mod admin;
mod bench;
mod demo;
mod ledger;
mod link;
mod serve;

/// mimalloc instead of the system allocator: linking builds millions of short strings and
/// vectors on every core, and glibc's malloc spent about a sixth of a 1M-people `link` in
/// its own bookkeeping (perf, 2026-12-01).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A verification gateway between a requesting agency and a custodian of taxpayer records.
#[derive(Parser)]
#[command(name = "crosscheck", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole job on a small synthetic population — link, score, then the gateway with
    /// demo accounts and a sample signed request — and serve it on 127.0.0.1:8080.
    Demo(demo::DemoArgs),
    /// Run the gateway service: the API over the store in a data directory.
    Serve(serve::ServeArgs),
    /// Load data into the gateway's store.
    #[command(subcommand)]
    Import(serve::ImportCommand),
    /// Manage the registry (agencies, holds, signers, flags, users, tokens) in the store.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Generate a synthetic population: returns, subjects and truth files.
    Synth(SynthArgs),
    /// Link subjects to taxpayers: match, review or no_match per subject, with evidence.
    Link(link::LinkArgs),
    /// Fit the matching model without labels and save it as JSON.
    Train(link::TrainArgs),
    /// Score a link result against truth: precision, recall, review rate and breakdowns.
    Evaluate(EvaluateArgs),
    /// Measure index build time and memory, and single-subject latency (the online path).
    Bench(bench::BenchArgs),
    /// Verify a ledger export, make and check proofs (what oversight runs).
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Csv,
    Parquet,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Csv => Format::Csv,
            FormatArg::Parquet => Format::Parquet,
        }
    }
}

#[derive(clap::Args)]
struct SynthArgs {
    /// People in the population (filers and non-filers).
    #[arg(long, default_value_t = 10_000)]
    people: usize,
    /// Subjects to draw (distorted filers, non-filers, namesakes, relatives).
    #[arg(long, default_value_t = 1_000)]
    subjects: usize,
    /// Random seed; the same seed gives byte-identical files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory (created if missing); gets returns, subjects and truth files.
    #[arg(long, required_unless_present = "print_rates")]
    out: Option<PathBuf>,
    /// File format.
    #[arg(long, value_enum, default_value_t = FormatArg::Csv)]
    format: FormatArg,
    /// Name origins of the population as weights, e.g. `vietnamese=0.6,hispanic=0.4`
    /// (origins left out get no one). Default: a large US metro area's mix (docs/synth.md).
    /// Overrides the origins of a --rates file.
    #[arg(long, value_parser = parse_origins)]
    origins: Option<Origins>,
    /// Another population's rates, as JSON: any subset of the rates `--print-rates` shows
    /// (the rest keep their defaults), e.g. `{"junior_share": 0.5, "distortions":
    /// {"typo_given": 0.2}}` (docs/synth.md).
    #[arg(long, value_name = "FILE")]
    rates: Option<PathBuf>,
    /// Print the rates in use (defaults, a --rates file, --origins) as JSON and exit.
    #[arg(long)]
    print_rates: bool,
}

/// A parsed `--origins` value.
#[derive(Clone)]
struct Origins(Vec<(crosscheck_synth::names::Origin, f64)>);

fn parse_origins(text: &str) -> Result<Origins, String> {
    crosscheck_synth::rates::parse_origins(text)
        .map(Origins)
        .map_err(|e| e.to_string())
}

#[derive(clap::Args)]
struct EvaluateArgs {
    /// Truth file (from `crosscheck synth` or a benchmark), .csv or .parquet.
    #[arg(long)]
    truth: PathBuf,
    /// Link result to score (data contract), .csv or .parquet.
    #[arg(long)]
    result: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// The subject file the result was made from: adds a breakdown by the identifiers each
    /// request carries (date of birth or TIN, or neither).
    #[arg(long)]
    subjects: Option<PathBuf>,
    /// The extract the result was linked against (with --subjects): adds how many subjects'
    /// own taxpayers survive blocking.
    #[arg(long, requires = "subjects")]
    returns: Option<PathBuf>,
}

pub(crate) fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta})")
            .expect("static template is valid")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_owned());
    pb
}

/// A spinner for a phase without a count (hidden when stderr is not a terminal).
pub(crate) fn spinner(message: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_message(message.to_owned());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

/// Reads a contract file, printing rejected rows and warnings to stderr.
pub(crate) fn read_reported<T: Record>(path: &Path) -> Result<Vec<T>> {
    let loaded =
        table::read::<T>(path).with_context(|| format!("while reading the {}", T::WHAT))?;
    report_issues(
        path,
        &loaded.rejected,
        &loaded.warnings,
        loaded.records.len(),
    );
    Ok(loaded.records)
}

/// Reads a returns extract straight into an index builder, so that the rows are never held
/// whole, and reports rejected rows as [`read_reported`] does.
pub(crate) fn read_into_index(path: &Path) -> Result<crosscheck_linkage::index::IndexBuilder> {
    let mut builder = crosscheck_linkage::index::IndexBuilder::new();
    let issues =
        table::read_each::<TaxReturn>(path, &mut |rows: &mut table::Accepted<TaxReturn>| {
            builder.add(&rows.records);
        })
        .with_context(|| format!("while reading the {}", <TaxReturn as Record>::WHAT))?;
    report_issues(
        path,
        &issues.rejected,
        &issues.warnings,
        issues.accepted as usize,
    );
    Ok(builder)
}

fn report_issues(path: &Path, rejected: &[RowIssue], warnings: &[RowIssue], accepted: usize) {
    for issue in rejected {
        eprintln!("{}: rejected {issue}", path.display());
    }
    for issue in warnings {
        eprintln!("{}: warning {issue}", path.display());
    }
    if !rejected.is_empty() {
        eprintln!(
            "{}: {} rows rejected, {accepted} accepted",
            path.display(),
            rejected.len(),
        );
    }
}

pub(crate) fn synth(
    config: &SynthConfig,
    out: &Path,
    format: Format,
) -> Result<crosscheck_synth::Written> {
    let started = Instant::now();
    let mut current: Option<(Phase, ProgressBar)> = None;
    let written = crosscheck_synth::write_dir(config, out, format, &mut |phase, done, total| {
        if current.as_ref().is_none_or(|(p, _)| *p != phase) {
            if let Some((_, pb)) = current.take() {
                pb.finish_and_clear();
            }
            let name = match phase {
                Phase::People => "people",
                Phase::Returns => "returns",
                Phase::Subjects => "subjects",
            };
            current = Some((phase, bar(total, name)));
        }
        if let Some((_, pb)) = &current {
            pb.set_position(done);
        }
    })
    .with_context(|| format!("while writing synthetic data to {}", out.display()))?;
    if let Some((_, pb)) = current {
        pb.finish_and_clear();
    }
    let k = written.kinds;
    eprintln!(
        "synth: {} people, {} returns, {} subjects (filer {}, non_filer {}, namesake {}, relative {}) in {:.1}s -> {}",
        written.people,
        written.return_rows,
        k.iter().sum::<usize>(),
        k[0],
        k[1],
        k[2],
        k[3],
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(written)
}

fn evaluate(args: &EvaluateArgs) -> Result<()> {
    let truth = read_reported::<Truth>(&args.truth)?;
    let results = read_reported::<LinkResult>(&args.result)?;
    if truth.is_empty() {
        bail!(
            "{}: the truth file has no usable rows",
            args.truth.display()
        );
    }
    let mut report = crosscheck_linkage::evaluate::evaluate(&truth, &results);
    if let Some(path) = &args.subjects {
        let subjects = read_reported::<crosscheck_contract::Subject>(path)?;
        report.by_identifiers =
            crosscheck_linkage::evaluate::by_identifiers(&truth, &results, &subjects);
        if let Some(returns) = &args.returns {
            let index = read_into_index(returns)?.finish();
            report.blocking = Some(crosscheck_linkage::evaluate::blocking(
                &index, &subjects, &truth,
            ));
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("while encoding the report")?
        );
    } else {
        print!("{}", report.to_table());
    }
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Synth(args) => {
            let mut config = SynthConfig::sized(args.people, args.subjects, args.seed);
            if let Some(path) = &args.rates {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("while reading the rates file {}", path.display()))?;
                config.rates = crosscheck_synth::Rates::from_json(&text).with_context(|| {
                    format!("{}: not rates this generator can use", path.display())
                })?;
            }
            if let Some(Origins(origins)) = args.origins {
                config.rates.origins = origins;
            }
            match &args.out {
                Some(out) if !args.print_rates => {
                    if args.people == 0 {
                        bail!("--people must be at least 1");
                    }
                    synth(&config, out, args.format.into()).map(|_| ())
                }
                _ => {
                    println!("{}", config.rates.to_json());
                    Ok(())
                }
            }
        }
        Command::Link(args) => link::run(&args).map(|_| ()),
        Command::Train(args) => link::train(&args),
        Command::Evaluate(args) => evaluate(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Serve(args) => serve::serve(&args),
        Command::Import(command) => serve::import(&command),
        Command::Admin(command) => admin::run(&command),
        Command::Ledger(command) => ledger::run(&command),
    }
}

#[allow(clippy::print_stderr)]
fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
