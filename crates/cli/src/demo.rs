//! `crosscheck demo`: the whole job on a small synthetic population.

use std::path::PathBuf;

use anyhow::Result;

use crosscheck_contract::Format;
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

/// Runs the demo.
pub fn run(args: &DemoArgs) -> Result<()> {
    let config = SynthConfig {
        people: args.people,
        subjects: args.subjects,
        seed: args.seed,
        ..SynthConfig::default()
    };
    eprintln!(
        "demo: generating a synthetic custodian extract and a request file in {}",
        args.dir.display()
    );
    crate::synth(&config, &args.dir, Format::Csv)?;
    Ok(())
}
