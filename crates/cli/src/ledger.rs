//! `crosscheck ledger`: what an oversight body runs on a ledger export, with only the
//! public key — verify the whole ledger, produce and check proofs — plus a sample ledger to
//! try them on and a benchmark.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Subcommand;

use crosscheck_ledger::checkpoint::{Ed25519Signer, Signer};
use crosscheck_ledger::entry::{Draft, PersonalKey};
use crosscheck_ledger::export::{self, Proof};
use crosscheck_ledger::ledger::{Ledger, verify};

/// `crosscheck ledger` subcommands.
#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Recompute the whole tree from an export, check every checkpoint's signature and its
    /// consistency with the next, and name the first bad entry. Exit code 1 on any failure.
    Verify {
        /// Ledger export (JSON lines).
        #[arg(long)]
        entries: PathBuf,
        /// Checkpoints issued by the custodian (JSON array).
        #[arg(long)]
        checkpoints: PathBuf,
        /// The ledger's public key (64 hex characters).
        #[arg(long)]
        public_key: PathBuf,
        /// A checkpoint you retained earlier: the ledger must still contain what it signed.
        #[arg(long)]
        head: Option<PathBuf>,
    },
    /// Produce an inclusion proof (`--entry`) or a consistency proof (`--from`) as JSON.
    Prove {
        /// Ledger export (JSON lines).
        #[arg(long)]
        entries: PathBuf,
        /// Prove that this entry is in the ledger.
        #[arg(long, conflicts_with = "from", required_unless_present = "from")]
        entry: Option<u64>,
        /// Prove that the ledger extends its first SIZE entries.
        #[arg(long)]
        from: Option<u64>,
        /// Tree size to prove against (default: the whole export).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Check a proof against signed checkpoints with only the public key.
    VerifyProof {
        /// The proof (JSON).
        #[arg(long)]
        proof: PathBuf,
        /// Checkpoint(s) of the proof's size(s); a JSON object or array, repeatable.
        #[arg(long, required = true)]
        checkpoint: Vec<PathBuf>,
        /// The ledger's public key (64 hex characters).
        #[arg(long)]
        public_key: PathBuf,
    },
    /// Write a sample ledger (entries, checkpoints, public key) signed with a demonstration
    /// key derived from --seed, to try the other commands on. Never use it for real records.
    Sample {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Entries to write.
        #[arg(long, default_value_t = 1_000)]
        entries: u64,
        /// A checkpoint every this many entries.
        #[arg(long, default_value_t = 100)]
        every: u64,
        /// Seed of the demonstration key.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Measure append (with signing), full verification and proof generation in memory.
    Bench {
        /// Entries to append.
        #[arg(long, default_value_t = 100_000)]
        entries: u64,
    },
}

fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("while reading the {what} {}", path.display()))
}

fn demo_signer(seed: u64) -> Ed25519Signer {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..].copy_from_slice(b"crosscheck demo key only");
    Ed25519Signer::from_seed(bytes)
}

fn sample_draft(i: u64) -> Draft {
    let actions = [
        "request.received",
        "gate.passed",
        "match.review",
        "review.confirmed",
        "release.disclosed",
    ];
    Draft {
        actor: format!("system:{}", i % 3),
        action: actions[i as usize % actions.len()].into(),
        objects: [
            ("request".to_owned(), format!("R-{}", i / 5)),
            ("subject".to_owned(), format!("S-{i}")),
        ]
        .into(),
        outcome: "ok".into(),
        personal: [("tin".to_owned(), format!("9{i:08}"))].into(),
    }
}

/// Runs a `crosscheck ledger` subcommand.
pub fn run(command: &LedgerCommand) -> Result<()> {
    match command {
        LedgerCommand::Verify {
            entries,
            checkpoints,
            public_key,
            head,
        } => {
            let started = Instant::now();
            let stored = export::read_entries(&read(entries, "ledger export")?)
                .with_context(|| entries.display().to_string())?;
            let cps = export::read_checkpoints(&read(checkpoints, "checkpoints")?)
                .with_context(|| checkpoints.display().to_string())?;
            let key = export::read_public_key(&read(public_key, "public key")?)
                .with_context(|| public_key.display().to_string())?;
            let head = match head {
                Some(p) => {
                    let mut h = export::read_checkpoints(&read(p, "retained head")?)
                        .with_context(|| p.display().to_string())?;
                    if h.len() != 1 {
                        bail!("{}: the retained head must be one checkpoint", p.display());
                    }
                    h.pop()
                }
                None => None,
            };
            match verify(&stored, &cps, head.as_ref(), &key) {
                Ok(v) => {
                    println!(
                        "ledger verifies: {} entries, {} checkpoints, in {:.2}s",
                        v.entries,
                        v.checkpoints,
                        started.elapsed().as_secs_f64()
                    );
                    Ok(())
                }
                Err(t) => bail!("ledger does NOT verify: {t}"),
            }
        }
        LedgerCommand::Prove {
            entries,
            entry,
            from,
            size,
        } => {
            let stored = export::read_entries(&read(entries, "ledger export")?)
                .with_context(|| entries.display().to_string())?;
            let len = stored.len() as u64;
            let ledger = Ledger::from_stored(
                stored,
                Box::new(demo_signer(0)),
                PersonalKey::new(Vec::new()),
            );
            let size = size.unwrap_or(len);
            let proof = match (entry, from) {
                (Some(e), _) => ledger.prove_inclusion(*e, size),
                (None, Some(f)) => ledger.prove_consistency(*f, size),
                (None, None) => bail!("give --entry N or --from SIZE"),
            }
            .context("while making the proof")?;
            println!(
                "{}",
                serde_json::to_string_pretty(&proof).context("while encoding the proof")?
            );
            Ok(())
        }
        LedgerCommand::VerifyProof {
            proof,
            checkpoint,
            public_key,
        } => {
            let p: Proof = serde_json::from_str(&read(proof, "proof")?)
                .with_context(|| format!("{}: not a crosscheck proof", proof.display()))?;
            let mut cps = Vec::new();
            for c in checkpoint {
                cps.extend(
                    export::read_checkpoints(&read(c, "checkpoint")?)
                        .with_context(|| c.display().to_string())?,
                );
            }
            let key = export::read_public_key(&read(public_key, "public key")?)
                .with_context(|| public_key.display().to_string())?;
            match p.check(&cps, &key) {
                Ok(()) => {
                    println!("proof holds");
                    Ok(())
                }
                Err(e) => bail!("proof does NOT hold: {e}"),
            }
        }
        LedgerCommand::Sample {
            out,
            entries,
            every,
            seed,
        } => {
            if *every == 0 {
                bail!("--every must be at least 1");
            }
            std::fs::create_dir_all(out)
                .with_context(|| format!("while creating {}", out.display()))?;
            let mut ledger = Ledger::new(
                Box::new(demo_signer(*seed)),
                PersonalKey::new(seed.to_le_bytes().to_vec()),
            );
            for i in 0..*entries {
                ledger.append(sample_draft(i), 1_760_000_000_000 + i as i64 * 1000);
                if (i + 1) % every == 0 || i + 1 == *entries {
                    ledger.checkpoint(1_760_000_000_000 + i as i64 * 1000);
                }
            }
            let write = |name: &str, text: String| -> Result<()> {
                let p = out.join(name);
                std::fs::write(&p, text).with_context(|| format!("while writing {}", p.display()))
            };
            write("entries.jsonl", export::write_entries(ledger.entries()))?;
            write(
                "checkpoints.json",
                serde_json::to_string_pretty(ledger.checkpoints())?,
            )?;
            write(
                "public-key.txt",
                format!("{}\n", hex::encode(ledger.public_key().0)),
            )?;
            eprintln!(
                "sample ledger: {} entries, {} checkpoints -> {} (demonstration key, not for real records)",
                ledger.entries().len(),
                ledger.checkpoints().len(),
                out.display()
            );
            Ok(())
        }
        LedgerCommand::Bench { entries } => bench(*entries),
    }
}

fn bench(n: u64) -> Result<()> {
    if n == 0 {
        bail!("--entries must be at least 1");
    }
    let signer = demo_signer(1);
    let key = signer.public_key();
    let mut ledger = Ledger::new(Box::new(signer), PersonalKey::new(b"bench".to_vec()));
    let started = Instant::now();
    for i in 0..n {
        ledger.append(sample_draft(i), i as i64);
        if (i + 1) % 1_000 == 0 {
            ledger.checkpoint(i as i64);
        }
    }
    let head = ledger.checkpoint(n as i64);
    let append = started.elapsed();
    let started = Instant::now();
    verify(ledger.entries(), ledger.checkpoints(), Some(&head), &key)
        .map_err(|t| anyhow::anyhow!("{t}"))?;
    let verify_time = started.elapsed();
    let mut times: Vec<Duration> = Vec::new();
    for i in 0..1_000u64 {
        let seq = (i * 7_919) % n;
        let t = Instant::now();
        let p = ledger.prove_inclusion(seq, n)?;
        let q = ledger.prove_consistency(1 + (i * 104_729) % n, n)?;
        times.push(t.elapsed());
        std::hint::black_box((p, q));
    }
    times.sort();
    println!("entries             {n} (a checkpoint every 1,000)");
    println!(
        "append + sign       {:.2} s, {:.0} entries/s (in memory; durable commit comes with the store)",
        append.as_secs_f64(),
        n as f64 / append.as_secs_f64()
    );
    println!("full verification   {:.2} s", verify_time.as_secs_f64());
    println!(
        "proofs              inclusion + consistency pair: p50 {:.3} ms, p99 {:.3} ms",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() * 99 / 100].as_secs_f64() * 1e3
    );
    Ok(())
}
