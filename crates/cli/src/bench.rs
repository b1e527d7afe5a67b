//! `crosscheck bench`: the online path measured the way the gateway will use it.
//!
//! Builds the index from an extract (timed, with the resident memory it adds), trains the
//! model on the subject file, then answers subjects one at a time — normalise, block,
//! compare, decide — timing each, and prints the latency distribution. Batch end-to-end
//! figures come from `bench/linkage.sh`, which times `crosscheck link` as a process.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crosscheck_contract::{Subject, TaxReturn};
use crosscheck_linkage::index::{Index, prepare};
use crosscheck_linkage::link;

/// Options of `crosscheck bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Taxpayer-return extract, .csv or .parquet.
    #[arg(long)]
    returns: PathBuf,
    /// Subject file, .csv or .parquet: trains the model and supplies the queries.
    #[arg(long)]
    subjects: PathBuf,
    /// Subjects answered one at a time (the first N of the file).
    #[arg(long, default_value_t = 2_000)]
    queries: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs the benchmark and prints its report.
pub fn run(args: &BenchArgs) -> Result<()> {
    let returns = crate::read_reported::<TaxReturn>(&args.returns)?;
    let subjects = crate::read_reported::<Subject>(&args.subjects)?;
    if returns.is_empty() || subjects.is_empty() {
        bail!("bench needs at least one return and one subject");
    }
    let started = Instant::now();
    let index = Index::build(&returns);
    let build = started.elapsed();
    let return_rows = returns.len();
    drop(returns);

    let prepared: Vec<_> = subjects.iter().map(prepare).collect();
    let started = Instant::now();
    let compared = link::compare_all(&index, &prepared, &|_| {});
    let model = link::train(&index, &prepared, &compared, 1);
    let train = started.elapsed();
    drop(compared);

    let n = args.queries.min(subjects.len());
    let mut times = Vec::with_capacity(n);
    let mut outcomes = [0usize; 3];
    for s in &subjects[..n] {
        let t = Instant::now();
        let p = prepare(s);
        let compared = link::compare_all(&index, std::slice::from_ref(&p), &|_| {});
        let d = link::decide(&model, &index, &p, &compared[0]);
        times.push(t.elapsed());
        outcomes[crosscheck_contract::Outcome::ALL
            .iter()
            .position(|o| *o == d.outcome)
            .unwrap_or(2)] += 1;
    }
    times.sort();
    println!(
        "extract             {return_rows} returns, {} taxpayers",
        index.len()
    );
    println!("index build         {:.2} s", build.as_secs_f64());
    let heap = index.heap_bytes();
    println!(
        "index memory        {:.0} MiB on the heap (counted), {:.0} bytes per taxpayer",
        heap as f64 / 1048576.0,
        heap as f64 / index.len() as f64
    );
    println!(
        "training            {:.2} s on {} subjects",
        train.as_secs_f64(),
        subjects.len()
    );
    println!(
        "single subject      {n} queries: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().expect("at least one query")),
    );
    println!(
        "outcomes            match {}  review {}  no_match {}",
        outcomes[0], outcomes[1], outcomes[2]
    );
    Ok(())
}
