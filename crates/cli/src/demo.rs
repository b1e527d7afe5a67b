//! `crosscheck demo`: the whole job on a small synthetic population.

use std::path::PathBuf;

use anyhow::{Result, anyhow};

use crosscheck_contract::{Format, LinkResult, Truth};
use crosscheck_ledger::entry::{Draft, PersonalKey};
use crosscheck_ledger::ledger::{Ledger, verify};
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
    record_in_ledger(args, &results)?;
    eprintln!(
        "\ndemo: files are in {}; the gateway service and review console are not built yet",
        args.dir.display()
    );
    Ok(())
}

/// Records every decision in a ledger, exports it as oversight receives it, and verifies
/// the export with only the public key.
fn record_in_ledger(args: &DemoArgs, results: &[LinkResult]) -> Result<()> {
    let personal_key = args.seed.to_le_bytes();
    let mut ledger = Ledger::new(
        Box::new(crate::ledger::demo_signer(args.seed)),
        PersonalKey::new(personal_key.to_vec()),
    );
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    };
    for r in results {
        ledger.append(
            Draft {
                actor: "matcher".into(),
                action: "match.decided".into(),
                objects: [
                    ("request".to_owned(), "DEMO-1".to_owned()),
                    ("subject".to_owned(), r.subject_id.clone()),
                ]
                .into(),
                outcome: r.outcome.to_string(),
                personal: r
                    .tin
                    .iter()
                    .map(|t| ("tin".to_owned(), t.clone()))
                    .collect(),
            },
            now(),
        );
    }
    let head = ledger.checkpoint(now());
    let dir = args.dir.join("ledger");
    crate::ledger::write_export(&dir, &ledger, &personal_key)?;
    let verified = verify(
        ledger.entries(),
        ledger.checkpoints(),
        Some(&head),
        &ledger.public_key(),
    )
    .map_err(|t| anyhow!("the demo ledger does not verify: {t}"))?;
    eprintln!(
        "demo: {} decisions recorded in a ledger (TINs only as HMACs), exported to {} and verified with \
         only the public key; try `crosscheck ledger verify --entries {d}/entries.jsonl \
         --checkpoints {d}/checkpoints.json --public-key {d}/public-key.txt`",
        verified.entries,
        dir.display(),
        d = dir.display()
    );
    Ok(())
}
