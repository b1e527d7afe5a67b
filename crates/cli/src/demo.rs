//! `crosscheck demo`: the whole job on a small synthetic population.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use serde::Serialize;

use crosscheck_gateway::sign;
use crosscheck_web::{Limits, demo};

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
    /// Where the gateway listens once the demo data is in place.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Set up the gateway and stop instead of serving.
    #[arg(long)]
    no_serve: bool,
    /// Subjects in the sample signed request submitted to the gateway.
    #[arg(long, default_value_t = 25)]
    request_subjects: usize,
    /// Set the gateway up in this empty PostgreSQL database (`postgres://…`) instead of a
    /// SQLite file in `DIR/gateway` (keys, model and accounts stay in `DIR/gateway`).
    #[arg(long)]
    database: Option<String>,
}

/// Runs the demo: synth → link → evaluate.
pub fn run(args: &DemoArgs) -> Result<()> {
    let config = SynthConfig::sized(args.people, args.subjects, args.seed);
    eprintln!(
        "demo: 1/4 generating a synthetic custodian extract and a request file in {}",
        args.dir.display()
    );
    let written = crate::synth(&config, &args.dir, Format::Csv)?;
    eprintln!("demo: 2/4 linking every subject to the extract (model trained without labels)");
    let result = args.dir.join("result.csv");
    let link = crate::link::LinkArgs::new(
        written.returns.clone(),
        written.subjects.clone(),
        result.clone(),
    );
    crate::link::run(&link)?;
    eprintln!("demo: 3/4 scoring the result against the known truth\n");
    let truth = crate::read_reported::<Truth>(&written.truth)?;
    let results = crate::read_reported::<LinkResult>(&result)?;
    let subjects = crate::read_reported::<crosscheck_contract::Subject>(&written.subjects)?;
    let mut report = crosscheck_linkage::evaluate::evaluate(&truth, &results);
    report.by_identifiers =
        crosscheck_linkage::evaluate::by_identifiers(&truth, &results, &subjects);
    print!("{}", report.to_table());
    record_in_ledger(args, &results)?;
    eprintln!(
        "\ndemo: 4/4 setting up the gateway (store, index, accounts, a sample signed request)"
    );
    let returns = crate::read_reported::<crosscheck_contract::TaxReturn>(&written.returns)?;
    crate::serve::init_tracing();
    crate::serve::runtime()?.block_on(gateway(args, &returns, &subjects))
}

/// What the demo tells the person who started it, also written to `accounts.json`.
#[derive(Serialize)]
struct AccountsFile {
    url: String,
    people: Vec<Person>,
    requester_token: String,
    signer_key_file: String,
    sample_request: String,
}

#[derive(Serialize)]
struct Person {
    role: String,
    user: String,
    password: String,
}

/// Sets up a gateway data directory under `DIR/gateway` (replacing an earlier demo's) and
/// serves it.
async fn gateway(
    args: &DemoArgs,
    returns: &[crosscheck_contract::TaxReturn],
    subjects: &[crosscheck_contract::Subject],
) -> Result<()> {
    let data_dir = args.dir.join("gateway");
    let marker = data_dir.join(".crosscheck-demo");
    if data_dir.exists() {
        if !marker.exists() {
            anyhow::bail!(
                "{} exists and is not a demo data directory; choose another --dir",
                data_dir.display()
            );
        }
        std::fs::remove_dir_all(&data_dir)
            .with_context(|| format!("while clearing {}", data_dir.display()))?;
    }
    std::fs::create_dir_all(&data_dir)?;
    std::fs::write(
        &marker,
        "created by `crosscheck demo`; deleted by the next demo run\n",
    )?;
    let store_args = crate::serve::StoreArgs {
        data_dir: data_dir.clone(),
        database: args.database.clone(),
        keys: None,
    };
    let store = store_args.open().await?;
    if store.ledger_size().await? > 0 {
        anyhow::bail!(
            "the database already holds a ledger; the demo sets up an empty database (create a new one)"
        );
    }
    let bar = crate::bar(returns.len() as u64, "importing returns");
    store
        .import_returns("operator:demo", returns, |n| bar.set_position(n))
        .await?;
    bar.finish_and_clear();
    let spin = crate::spinner("training the model without labels");
    let model = crate::serve::train_and_save(returns, subjects, &data_dir.join("model.json"))?;
    spin.finish_and_clear();
    let state = crate::serve::app(store, Some(model), Limits::default(), None).await?;
    let seed: [u8; 32] = crosscheck_store::random_32();
    let accounts = demo::seed(&state, seed, true)
        .await
        .map_err(|e| anyhow!("while creating demo accounts: {}", e.code()))?;
    let key_file = data_dir.join("keys").join("demo-agency-signer.key");
    crate::serve::write_secret(&key_file, &hex::encode(seed))?;

    let n = args.request_subjects.min(subjects.len());
    let request = demo::request("DEMO-2026-001", &subjects[..n]);
    let signed = sign(request, &accounts.signer_key);
    let requester = state
        .caller_for("requester")
        .await
        .map_err(|e| anyhow!("{}", e.code()))?;
    let (view, _) = state
        .submit(&requester, signed, "demo-sample-request")
        .await
        .map_err(|e| anyhow!("while submitting the sample request: {}", e.code()))?;
    let in_review = state.store.subjects(&view.id).await?;
    let queued = in_review.iter().filter(|s| s.state == "in_review").count();

    // Bind only when serving: `--no-serve` must work whatever holds the port.
    let listener = if args.no_serve {
        None
    } else {
        Some(
            tokio::net::TcpListener::bind(&args.listen)
                .await
                .with_context(|| format!("while binding {}", args.listen))?,
        )
    };
    let url = match &listener {
        Some(l) => format!("http://{}", l.local_addr()?),
        None => format!("http://{}", args.listen),
    };
    let file = AccountsFile {
        url: url.clone(),
        people: accounts
            .people
            .iter()
            .map(|(role, user, password)| Person {
                role: role.clone(),
                user: user.clone(),
                password: password.clone(),
            })
            .collect(),
        requester_token: accounts.requester_token.clone(),
        signer_key_file: key_file.display().to_string(),
        sample_request: view.id.clone(),
    };
    let accounts_path = data_dir.join("accounts.json");
    crate::serve::write_secret(&accounts_path, &serde_json::to_string_pretty(&file)?)?;
    println!("\ncrosscheck gateway demo at {url}");
    println!(
        "  sample request {} ({n} subjects): state {}, {queued} candidate matches in review queues",
        view.id, view.state
    );
    println!("  accounts (also in {}):", accounts_path.display());
    for p in &file.people {
        println!("    {:<19} {:<11} password {}", p.role, p.user, p.password);
    }
    println!("    requester API token {}", file.requester_token);
    println!(
        "  try: curl -s -H 'Authorization: Bearer {}' {url}/api/requests/{}",
        file.requester_token, view.id
    );
    println!("  API description: {url}/api/openapi.json");
    let Some(listener) = listener else {
        return Ok(());
    };
    crosscheck_web::spawn_housekeeping(state.clone(), std::time::Duration::from_secs(60));
    eprintln!(
        "demo: serving until Ctrl-C (data in {}{})",
        data_dir.display(),
        if args.database.is_some() {
            " and the PostgreSQL database"
        } else {
            ""
        }
    );
    crosscheck_web::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
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
