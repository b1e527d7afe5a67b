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

/// The gateway's store, for the custodian's own checks (oversight uses an export instead).
#[derive(clap::Args, Clone)]
pub struct StoreSource {
    /// Read the ledger from the gateway's data directory (its SQLite file and keys).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Read the ledger from this PostgreSQL database (`postgres://…`).
    #[arg(long)]
    database: Option<String>,
    /// Key directory, if not DATA_DIR/keys.
    #[arg(long)]
    keys: Option<PathBuf>,
}

impl StoreSource {
    fn store_args(&self) -> Option<crate::serve::StoreArgs> {
        (self.data_dir.is_some() || self.database.is_some()).then(|| crate::serve::StoreArgs {
            data_dir: self
                .data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("crosscheck-data")),
            database: self.database.clone(),
            keys: self.keys.clone(),
        })
    }

    fn load(&self, args: &crate::serve::StoreArgs) -> Result<Loaded> {
        crate::serve::runtime()?.block_on(async {
            let store = args.open().await?;
            let loaded = Loaded {
                stored: store.ledger_entries().await?,
                checkpoints: store.checkpoints().await?,
                key: store.public_key(),
            };
            store.close().await;
            Ok(loaded)
        })
    }
}

/// Where the ledger comes from: the three files of an export (what oversight holds), or the
/// gateway's store (`--data-dir` / `--database`).
#[derive(clap::Args)]
pub struct Export {
    /// Ledger export (JSON lines).
    #[arg(long, required_unless_present_any = ["data_dir", "database"])]
    entries: Option<PathBuf>,
    /// Checkpoints issued by the custodian (JSON array).
    #[arg(long, required_unless_present_any = ["data_dir", "database"])]
    checkpoints: Option<PathBuf>,
    /// The ledger's public key (64 hex characters).
    #[arg(long, required_unless_present_any = ["data_dir", "database"])]
    public_key: Option<PathBuf>,
    #[command(flatten)]
    store: StoreSource,
}

/// The loaded export.
struct Loaded {
    stored: Vec<crosscheck_ledger::ledger::Stored>,
    checkpoints: Vec<crosscheck_ledger::checkpoint::Checkpoint>,
    key: crosscheck_ledger::checkpoint::PublicKey,
}

impl Export {
    fn load(&self) -> Result<Loaded> {
        if let Some(args) = self.store.store_args() {
            return self.store.load(&args);
        }
        let (Some(entries), Some(checkpoints), Some(public_key)) =
            (&self.entries, &self.checkpoints, &self.public_key)
        else {
            bail!("give --entries, --checkpoints and --public-key, or --data-dir / --database");
        };
        Ok(Loaded {
            stored: export::read_entries(&read(entries, "ledger export")?)
                .with_context(|| entries.display().to_string())?,
            checkpoints: export::read_checkpoints(&read(checkpoints, "checkpoints")?)
                .with_context(|| checkpoints.display().to_string())?,
            key: export::read_public_key(&read(public_key, "public key")?)
                .with_context(|| public_key.display().to_string())?,
        })
    }
}

/// `crosscheck ledger` subcommands.
#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Recompute the whole tree from an export, check every checkpoint's signature and its
    /// consistency with the next, and name the first bad entry. Exit code 1 on any failure.
    Verify {
        #[command(flatten)]
        export: Export,
        /// A checkpoint you retained earlier: the ledger must still contain what it signed.
        #[arg(long)]
        head: Option<PathBuf>,
    },
    /// Sign a checkpoint of the gateway's ledger as it stands (or reuse the latest if nothing
    /// was appended since) and print it as JSON with the public key, for an outside witness.
    Checkpoint {
        #[command(flatten)]
        store: crate::serve::StoreArgs,
    },
    /// Write what oversight receives — entries, checkpoints (after a fresh one), public key —
    /// from the gateway's store into a directory.
    Export {
        #[command(flatten)]
        store: crate::serve::StoreArgs,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Produce an inclusion proof (`--entry`) or a consistency proof (`--from`) as JSON.
    Prove {
        /// Ledger export (JSON lines).
        #[arg(long, required_unless_present_any = ["data_dir", "database"])]
        entries: Option<PathBuf>,
        #[command(flatten)]
        store: StoreSource,
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
    /// The accounting of disclosures from a verified export: totals per agency and year, or,
    /// with --tin and the personal-data key, every entry concerning one taxpayer.
    Accounting {
        #[command(flatten)]
        export: Export,
        /// File holding the personal-data HMAC key (hex); needed with --tin.
        #[arg(long, requires = "tin")]
        key_file: Option<PathBuf>,
        /// List the entries concerning this TIN (needs --key-file).
        #[arg(long, requires = "key_file")]
        tin: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
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

/// Writes what an oversight body receives into `dir`: `entries.jsonl`, `checkpoints.json`,
/// `public-key.txt`, and (demonstration ledgers only) `personal-key.txt`.
pub(crate) fn write_export(dir: &Path, ledger: &Ledger, personal_key: &[u8]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("while creating {}", dir.display()))?;
    let write = |name: &str, text: String| -> Result<()> {
        let p = dir.join(name);
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
    write(
        "personal-key.txt",
        format!("{}\n", hex::encode(personal_key)),
    )
}

/// A signer for demonstration ledgers, derived from a seed: never for real records.
pub(crate) fn demo_signer(seed: u64) -> Ed25519Signer {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..].copy_from_slice(b"crosscheck demo key only");
    Ed25519Signer::from_seed(bytes)
}

fn sample_draft(i: u64) -> Draft {
    use crosscheck_ledger::accounting::{
        AGENCY, DISCLOSURE, REQUEST_RECEIVED, STATUTE, SUBJECT, TIN,
    };
    let actions = [
        REQUEST_RECEIVED,
        "gate.passed",
        "match.review",
        "review.confirmed",
        DISCLOSURE,
    ];
    let subject = i / 5;
    Draft {
        actor: format!("system:{}", i % 3),
        action: actions[i as usize % actions.len()].into(),
        objects: [
            (
                AGENCY.to_owned(),
                ["AGENCY-A", "AGENCY-B"][(subject % 2) as usize].to_owned(),
            ),
            ("request".to_owned(), format!("R-{}", subject / 10)),
            (SUBJECT.to_owned(), format!("S-{subject}")),
            (STATUTE.to_owned(), "8 U.S.C. 1253(a)(1)".to_owned()),
        ]
        .into(),
        outcome: "ok".into(),
        personal: [(TIN.to_owned(), format!("{:09}", 100_000_000 + subject))].into(),
    }
}

fn verified_entries(export: &Export) -> Result<Vec<crosscheck_ledger::entry::Entry>> {
    let l = export.load()?;
    verify(&l.stored, &l.checkpoints, None, &l.key)
        .map_err(|t| anyhow::anyhow!("ledger does NOT verify, no accounting from it: {t}"))?;
    l.stored
        .iter()
        .map(|s| crosscheck_ledger::entry::Entry::decode(&s.bytes).map_err(anyhow::Error::from))
        .collect()
}

/// Runs a `crosscheck ledger` subcommand.
pub fn run(command: &LedgerCommand) -> Result<()> {
    match command {
        LedgerCommand::Verify { export, head } => {
            let started = Instant::now();
            let Loaded {
                stored,
                checkpoints: cps,
                key,
            } = export.load()?;
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
        LedgerCommand::Checkpoint { store } => crate::serve::runtime()?.block_on(async {
            let store = store.open().await?;
            let c = store.checkpoint().await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "checkpoint": c,
                    "public_key": hex::encode(store.public_key().0),
                }))?
            );
            store.close().await;
            Ok(())
        }),
        LedgerCommand::Export { store, out } => crate::serve::runtime()?.block_on(async {
            let store = store.open().await?;
            store.checkpoint().await?;
            let stored = store.ledger_entries().await?;
            let checkpoints = store.checkpoints().await?;
            std::fs::create_dir_all(out)
                .with_context(|| format!("while creating {}", out.display()))?;
            let write = |name: &str, text: String| -> Result<()> {
                let p = out.join(name);
                std::fs::write(&p, text).with_context(|| format!("while writing {}", p.display()))
            };
            write("entries.jsonl", export::write_entries(&stored))?;
            write(
                "checkpoints.json",
                serde_json::to_string_pretty(&checkpoints)?,
            )?;
            write(
                "public-key.txt",
                format!("{}\n", hex::encode(store.public_key().0)),
            )?;
            eprintln!(
                "ledger export: {} entries, {} checkpoints -> {}",
                stored.len(),
                checkpoints.len(),
                out.display()
            );
            store.close().await;
            Ok(())
        }),
        LedgerCommand::Prove {
            entries,
            store,
            entry,
            from,
            size,
        } => {
            let stored = match (store.store_args(), entries) {
                (Some(args), _) => store.load(&args)?.stored,
                (None, Some(entries)) => export::read_entries(&read(entries, "ledger export")?)
                    .with_context(|| entries.display().to_string())?,
                (None, None) => bail!("give --entries FILE or --data-dir / --database"),
            };
            let tree = export::tree_of(&stored);
            let size = size.unwrap_or(tree.len());
            let proof = match (entry, from) {
                (Some(e), _) => export::prove_inclusion(&tree, &stored, *e, size),
                (None, Some(f)) => export::prove_consistency(&tree, *f, size),
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
            write_export(out, &ledger, &seed.to_le_bytes())?;
            eprintln!(
                "sample ledger: {} entries, {} checkpoints -> {} (demonstration key, not for real records)",
                ledger.entries().len(),
                ledger.checkpoints().len(),
                out.display()
            );
            Ok(())
        }
        LedgerCommand::Accounting {
            export,
            key_file,
            tin,
            json,
        } => {
            use crosscheck_ledger::accounting;
            let all = verified_entries(export)?;
            if let (Some(key_file), Some(tin)) = (key_file, tin) {
                let key_hex = read(key_file, "personal-data key")?;
                let key = hex::decode(key_hex.trim())
                    .map(PersonalKey::new)
                    .map_err(|_| {
                        anyhow::anyhow!("{}: the personal-data key must be hex", key_file.display())
                    })?;
                let digits: String = tin.chars().filter(char::is_ascii_digit).collect();
                let found = accounting::for_taxpayer(&all, &key, &digits);
                if *json {
                    println!("{}", serde_json::to_string_pretty(&found)?);
                } else {
                    println!("{} entries concern this taxpayer", found.len());
                    for e in found {
                        let objects: Vec<String> =
                            e.objects.iter().map(|(k, v)| format!("{k}={v}")).collect();
                        println!(
                            "{:>8}  {:>14}  {:<20} {:<10} {}",
                            e.seq,
                            e.time_ms,
                            e.action,
                            e.outcome,
                            objects.join(" ")
                        );
                    }
                }
            } else {
                let totals = accounting::per_agency_year(&all);
                if *json {
                    let rows: Vec<serde_json::Value> = totals
                        .iter()
                        .map(|((agency, year), t)| serde_json::json!({"agency": agency, "year": year, "totals": t}))
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&rows)?);
                } else {
                    println!(
                        "{:<20} {:>6} {:>9} {:>9} {:>12} {:>10}",
                        "agency", "year", "requests", "subjects", "disclosures", "taxpayers"
                    );
                    for ((agency, year), t) in &totals {
                        println!(
                            "{agency:<20} {year:>6} {:>9} {:>9} {:>12} {:>10}",
                            t.requests, t.subjects, t.disclosures, t.taxpayers
                        );
                    }
                }
            }
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
