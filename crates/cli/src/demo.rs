//! `crosscheck demo`: the whole job on a small synthetic population.

use std::path::PathBuf;

use anyhow::Result;

use crosscheck_contract::{Format, LinkResult, Truth};
use crosscheck_synth::SynthConfig;

/// Options of `crosscheck demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Where to put the demo's files.
    #[arg(long, default_value = "crosscheck-demo")]
    dir: PathBuf,
    /// People in the synthetic population.
    #[arg(long, default_value_t = 20_000)]
    people: usize,
    /// Subjects to look up.
    #[arg(long, default_value_t = 2_000)]
    subjects: usize,
    /// Random seed.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// Runs the demo: synth → link → evaluate.
pub fn run(args: &DemoArgs) -> Result<()> {
    let config = SynthConfig::sized(args.people, args.subjects, args.seed);
    eprintln!(
        "demo: 1/3 generating a synthetic custodian extract and a request file in {}",
        args.dir.display()
    );
    let written = crate::synth(&config, &args.dir, Format::Csv)?;
    eprintln!("demo: 2/3 linking every subject to the extract (model trained without labels)");
    let result = args.dir.join("result.csv");
    let link =
        crate::link::LinkArgs::new(written.returns, written.subjects.clone(), result.clone());
    crate::link::run(&link)?;
    eprintln!("demo: 3/3 scoring the result against the known truth\n");
    let truth = crate::read_reported::<Truth>(&written.truth)?;
    let results = crate::read_reported::<LinkResult>(&result)?;
    let subjects = crate::read_reported::<crosscheck_contract::Subject>(&written.subjects)?;
    let mut report = crosscheck_linkage::evaluate::evaluate(&truth, &results);
    report.by_identifiers =
        crosscheck_linkage::evaluate::by_identifiers(&truth, &results, &subjects);
    print!("{}", report.to_table());
    eprintln!(
        "\ndemo: files are in {}; the gateway service, ledger and review console are not built yet",
        args.dir.display()
    );
    Ok(())
}
