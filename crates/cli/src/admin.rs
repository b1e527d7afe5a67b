//! `crosscheck admin`: the registry from the operator's shell — agencies and agreements,
//! court-order holds, signers, § 6103(i)(6) flags, users and API tokens — through the same
//! operations as the admin API, each recorded in the ledger as `operator:cli`.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::Subcommand;

use crosscheck_gateway::{Agency, CourtHold, SignerRecord};
use crosscheck_web::registry::UserChange;
use crosscheck_web::{AppState, Limits};

use crate::serve::StoreArgs;

const ACTOR: &str = "operator:cli";

/// `crosscheck admin` subcommands.
#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create or replace an agency and its agreement from a JSON file (the shape of
    /// `GET /api/admin/agencies`; see docs/gateway.md).
    Agency {
        /// The agency (JSON).
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Suspend disclosures to an agency under a court order (RULES 24).
    Hold {
        /// Agency id.
        agency: String,
        /// The order's reference.
        #[arg(long)]
        order_ref: String,
        /// Since when (as the order states it).
        #[arg(long)]
        since: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Lift a court-order hold.
    Lift {
        /// Agency id.
        agency: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Register an authorized signer and its Ed25519 public key from a JSON file.
    Signer {
        /// The signer (JSON: id, agency, name, role, public_key, active).
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set (with --note) or clear a § 6103(i)(6) flag on a taxpayer (RULES 21); the TIN is
    /// read from standard input so it stays out of shell history.
    Flag {
        /// Why (a determination reference); omit to clear the flag.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Create or change a user; a password, if any, is read from standard input.
    User {
        /// User id.
        id: String,
        /// requester, reviewer, disclosure_officer, auditor or admin.
        #[arg(long)]
        role: String,
        /// The requesting agency (requesters).
        #[arg(long)]
        agency: Option<String>,
        /// Read a new password (at least 12 characters) from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Disable the user (ends their sessions).
        #[arg(long)]
        inactive: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Issue an API token for a user (printed once; stored only hashed).
    Token {
        /// User id.
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn stdin_line(what: &str) -> Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .with_context(|| format!("while reading the {what} from standard input"))?;
    Ok(s.trim_end_matches(['\n', '\r']).to_string())
}

fn json_file<T: serde::de::DeserializeOwned>(path: &PathBuf, what: &str) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("while reading the {what} {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not a valid {what}", path.display()))
}

async fn state(store: &StoreArgs) -> Result<AppState> {
    AppState::new(store.open().await?, Limits::default()).context("while loading the policies")
}

/// Runs a `crosscheck admin` subcommand.
pub fn run(command: &AdminCommand) -> Result<()> {
    crate::serve::runtime()?.block_on(async {
        let refused = |e: crosscheck_web::error::ApiError| anyhow!("refused: {e}");
        match command {
            AdminCommand::Agency { file, store } => {
                let agency: Agency = json_file(file, "agency")?;
                let a = state(store)
                    .await?
                    .put_agency(ACTOR, agency)
                    .await
                    .map_err(refused)?;
                eprintln!("admin: agency {} stored", a.id);
            }
            AdminCommand::Hold {
                agency,
                order_ref,
                since,
                store,
            } => {
                let hold = CourtHold {
                    order_ref: order_ref.clone(),
                    since: since.clone(),
                };
                state(store)
                    .await?
                    .set_hold(ACTOR, agency, Some(hold))
                    .await
                    .map_err(refused)?;
                eprintln!("admin: disclosures to {agency} suspended under {order_ref}");
            }
            AdminCommand::Lift { agency, store } => {
                state(store)
                    .await?
                    .set_hold(ACTOR, agency, None)
                    .await
                    .map_err(refused)?;
                eprintln!("admin: hold on {agency} lifted");
            }
            AdminCommand::Signer { file, store } => {
                let signer: SignerRecord = json_file(file, "signer")?;
                let s = state(store)
                    .await?
                    .put_signer(ACTOR, signer)
                    .await
                    .map_err(refused)?;
                eprintln!("admin: signer {} of {} stored", s.id, s.agency);
            }
            AdminCommand::Flag { note, store } => {
                let tin = stdin_line("TIN")?;
                state(store)
                    .await?
                    .set_flag(ACTOR, &tin, note.as_deref())
                    .await
                    .map_err(refused)?;
                eprintln!(
                    "admin: flag {}",
                    if note.is_some() { "set" } else { "cleared" }
                );
            }
            AdminCommand::User {
                id,
                role,
                agency,
                password_stdin,
                inactive,
                store,
            } => {
                let password = if *password_stdin {
                    Some(stdin_line("password")?)
                } else {
                    None
                };
                let change = UserChange {
                    role: role.clone(),
                    agency: agency.clone(),
                    password,
                    active: !inactive,
                };
                let u = state(store)
                    .await?
                    .put_user(ACTOR, id, change)
                    .await
                    .map_err(refused)?;
                eprintln!(
                    "admin: user {} ({}, {})",
                    u.id,
                    u.role,
                    if u.active { "active" } else { "inactive" }
                );
            }
            AdminCommand::Token { id, store } => {
                let token = state(store)
                    .await?
                    .issue_token(ACTOR, id)
                    .await
                    .map_err(refused)?;
                println!("{token}");
            }
        }
        Ok(())
    })
}
