//! `crosscheck serve`, `crosscheck import` and the gateway half of `crosscheck demo`: open
//! the store in a data directory, build the matching index from it, and serve the API.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::Digest;

use crosscheck_contract::{Subject, TaxReturn};
use crosscheck_linkage::model::Model;
use crosscheck_store::{Keys, Store};
use crosscheck_web::matcher::Matcher;
use crosscheck_web::{AppState, Limits};

/// Where the gateway keeps its state.
#[derive(clap::Args, Clone)]
pub struct StoreArgs {
    /// Data directory: the SQLite database, keys (unless given elsewhere) and the model.
    #[arg(long, default_value = "crosscheck-data")]
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (`postgres://…`) instead of the SQLite file in the data directory.
    #[arg(long)]
    pub database: Option<String>,
    /// Directory holding `data.key`, `personal.key` and `signing.key` (created on first
    /// start). `CROSSCHECK_DATA_KEY`, `CROSSCHECK_PERSONAL_KEY` and `CROSSCHECK_SIGNING_KEY`
    /// (64 hex characters each) take precedence.
    #[arg(long)]
    pub keys: Option<PathBuf>,
}

/// Options of `crosscheck serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Matching model (from `crosscheck train`); default `DATA_DIR/model.json`.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Requests per caller per minute.
    #[arg(long, default_value_t = 6_000)]
    pub rate_limit: u32,
    /// Seconds between scheduled signed checkpoints of the ledger (each tick also escalates
    /// overdue end-of-use certifications, RULES 27).
    #[arg(long, default_value_t = 300)]
    pub checkpoint_every: u64,
    /// A Cedar policy file replacing the shipped policies (checked against the shipped
    /// schema before the server starts; see docs/authorization.md). Its SHA-256 is recorded
    /// in the ledger at every start.
    #[arg(long)]
    pub policies: Option<PathBuf>,
}

/// `crosscheck import` subcommands.
#[derive(clap::Subcommand)]
pub enum ImportCommand {
    /// Load a taxpayer-return extract (CSV or Parquet) into the store. Bad rows are reported
    /// with their row number and reason; good rows are stored; nothing is dropped silently.
    Returns {
        /// The extract.
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn read_key(name: &str, env: &str, dir: &Path) -> Result<[u8; 32]> {
    let text = match std::env::var(env) {
        Ok(v) => v,
        Err(_) => {
            let path = dir.join(format!("{name}.key"));
            if !path.exists() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("while creating {}", dir.display()))?;
                write_secret(&path, &hex::encode(crosscheck_store::random_32()))?;
            }
            std::fs::read_to_string(&path)
                .with_context(|| format!("while reading the key {}", path.display()))?
        }
    };
    let bytes = hex::decode(text.trim())
        .ok()
        .filter(|b| b.len() == 32)
        .with_context(|| {
            format!("the {name} key ({env} or {name}.key) must be 64 hex characters")
        })?;
    let mut out = [0u8; 32];
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// Writes a secret readable only by its owner.
pub fn write_secret(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("while creating {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

impl StoreArgs {
    /// Opens the store (creating the data directory and keys on first start).
    pub async fn open(&self) -> Result<Store> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("while creating {}", self.data_dir.display()))?;
        let keys_dir = self
            .keys
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys"));
        let keys = Keys::from_bytes(
            read_key("data", "CROSSCHECK_DATA_KEY", &keys_dir)?,
            read_key("personal", "CROSSCHECK_PERSONAL_KEY", &keys_dir)?,
            read_key("signing", "CROSSCHECK_SIGNING_KEY", &keys_dir)?,
        );
        let url = match &self.database {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("crosscheck.db").display()),
        };
        Store::open(&url, keys)
            .await
            .with_context(|| format!("while opening the store {}", redact_url(&url)))
    }
}

fn redact_url(url: &str) -> String {
    // postgres://user:password@host → postgres://user:***@host
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// `crosscheck import returns FILE`.
pub fn import(command: &ImportCommand) -> Result<()> {
    let ImportCommand::Returns { file, store } = command;
    let returns = crate::read_reported::<TaxReturn>(file)?;
    runtime()?.block_on(async {
        let store = store.open().await?;
        let bar = crate::bar(returns.len() as u64, "importing returns");
        let done = store
            .import_returns("operator:cli", &returns, |n| bar.set_position(n))
            .await?;
        bar.finish_and_clear();
        eprintln!(
            "import: {} returns stored, {} already present; {} returns in the store",
            done.stored,
            done.already_present,
            store.return_count().await?
        );
        Ok(())
    })
}

/// A multi-threaded tokio runtime.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")
}

/// Reads and validates a model file.
pub fn read_model(path: &Path) -> Result<Model> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("while reading the model {}", path.display()))?;
    let model: Model = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a crosscheck model", path.display()))?;
    model
        .validate()
        .with_context(|| format!("{}: not a model this build can use", path.display()))?;
    Ok(model)
}

/// An operator's replacement policy set, checked, with where it came from.
pub struct Policies {
    authz: crosscheck_policy::Authorizer,
    path: PathBuf,
    sha256: String,
}

/// Reads and checks a replacement policy file (before anything else starts).
pub fn load_policies(path: &Path) -> Result<Policies> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("while reading {}", path.display()))?;
    let authz = crosscheck_policy::Authorizer::from_text(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(Policies {
        authz,
        path: path.to_path_buf(),
        sha256: hex::encode(sha2::Sha256::digest(text.as_bytes())),
    })
}

/// The application state: the shipped policies or `policies`, the matching index built from
/// the store when a model is given, and requests left waiting before a restart resumed.
pub async fn app(
    store: Store,
    model: Option<Model>,
    limits: Limits,
    policies: Option<Policies>,
) -> Result<AppState> {
    let state = match policies {
        None => AppState::new(store, limits).context("while loading the shipped policies")?,
        Some(p) => {
            let state = AppState::with_authorizer(store, limits, p.authz);
            // Replacing the policies changes who may do what (RULES 30): on the record.
            let mut tx = state.store.begin().await?;
            tx.record(crosscheck_web::service::draft(
                "operator",
                "policy.replaced",
                &[],
                &format!("sha256:{}", p.sha256),
            ))
            .await?;
            tx.commit().await?;
            eprintln!(
                "serve: replacement policies from {} (sha256 {})",
                p.path.display(),
                p.sha256
            );
            state
        }
    };
    match model {
        Some(model) => {
            let spin = crate::spinner("building the matching index from the store");
            let returns = state.store.load_returns().await?;
            let n = returns.len();
            let matcher =
                tokio::task::spawn_blocking(move || Matcher::build(&returns, model)).await?;
            spin.finish_and_clear();
            eprintln!(
                "serve: matching index over {} taxpayers ({n} returns)",
                matcher.taxpayers()
            );
            state.set_matcher(matcher);
            let resumed = state
                .resume()
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.code()))?;
            if resumed > 0 {
                eprintln!("serve: matched {resumed} request(s) left waiting before the restart");
            }
        }
        None => eprintln!(
            "serve: no model; requests that pass the gate wait in state `accepted` until one is \
             given (`crosscheck train` then --model, or DATA_DIR/model.json)"
        ),
    }
    Ok(state)
}

/// Serves until Ctrl-C.
pub async fn serve_until_interrupted(state: AppState, listen: &str) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("while binding {listen}"))?;
    // One write, so a supervisor that waits for this line never reads it without its port
    // (`eprintln!` writes each formatted piece separately).
    let line = format!(
        "serve: listening on http://{} (OpenAPI at /api/openapi.json); Ctrl-C stops\n",
        listener.local_addr()?
    );
    std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes())?;
    crosscheck_web::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// `crosscheck serve`.
pub fn serve(args: &ServeArgs) -> Result<()> {
    init_tracing();
    let policies = args.policies.as_deref().map(load_policies).transpose()?;
    runtime()?.block_on(async {
        let store = args.store.open().await?;
        let model_path = args
            .model
            .clone()
            .unwrap_or_else(|| args.store.data_dir.join("model.json"));
        let model = if model_path.exists() {
            Some(read_model(&model_path)?)
        } else if args.model.is_some() {
            bail!("{}: no such model file", model_path.display());
        } else {
            None
        };
        let limits = Limits {
            per_minute: args.rate_limit,
            ..Limits::default()
        };
        let state = app(store, model, limits, policies).await?;
        crosscheck_web::spawn_housekeeping(
            state.clone(),
            std::time::Duration::from_secs(args.checkpoint_every.max(1)),
        );
        serve_until_interrupted(state, &args.listen).await
    })
}

/// Logs to stderr at `RUST_LOG` (default `info`); never personal data (handlers log ids only).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Trains a model on `subjects` against `returns` and saves it.
pub fn train_and_save(returns: &[TaxReturn], subjects: &[Subject], path: &Path) -> Result<Model> {
    let model = Matcher::train(returns, subjects, 1);
    let json = serde_json::to_string_pretty(&model).context("while encoding the model")?;
    std::fs::write(path, json).with_context(|| format!("while writing {}", path.display()))?;
    Ok(model)
}
