//! Jaro–Winkler on name pairs: crosscheck's bit-set version against `strsim`'s, the
//! reference it agrees with, in one process (the ratio is what to read; the machine is
//! shared).
//!     cargo bench -p crosscheck-linkage --bench similarity
//! Pairs: each subject's given and family name of a synthetic population (seed 1) against
//! those of a taxpayer drawn at random, upper-cased as the comparator sees them — the mix
//! the model's random pairs give, where names almost never agree.

#![allow(clippy::print_stdout, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use crosscheck_linkage::similarity::jaro_winkler;

const ROUNDS: usize = 20;

fn main() {
    let data = crosscheck_synth::generate(&crosscheck_synth::SynthConfig::sized(20_000, 5_000, 1));
    let upper = |s: Option<&str>| s.unwrap_or_default().to_uppercase();
    let mut pairs = Vec::new();
    let mut state = 1u64;
    for s in &data.subjects {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = &data.returns[(state >> 33) as usize % data.returns.len()];
        pairs.push((upper(s.given_name.as_deref()), upper(Some(&r.given_name))));
        pairs.push((upper(s.family_name.as_deref()), upper(Some(&r.family_name))));
    }
    let time = |f: &dyn Fn(&str, &str) -> f64| {
        let started = Instant::now();
        let mut sum = 0.0;
        for _ in 0..ROUNDS {
            for (a, b) in &pairs {
                sum += f(black_box(a), black_box(b));
            }
        }
        black_box(sum);
        started.elapsed().as_secs_f64() * 1e9 / (ROUNDS * pairs.len()) as f64
    };
    // Alternate the two so that a slow spell of the machine hits both.
    let (mut ours, mut reference) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        ours.push(time(&jaro_winkler));
        reference.push(time(&strsim::jaro_winkler));
    }
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "jaro_winkler on {} name pairs, best of 5: crosscheck {:.1} ns/pair, strsim {:.1} ns/pair ({:.1}x)",
        pairs.len(),
        best(&ours),
        best(&reference),
        best(&reference) / best(&ours)
    );
}
