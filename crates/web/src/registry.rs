//! Registry changes — agencies and their agreements, court-order holds, signers, § 6103(i)(6)
//! flags, users and API tokens — as one set of operations used by the admin API and by the
//! `crosscheck admin` command. Each validates its input and commits with its ledger entry.

use crosscheck_gateway::{Agency, CourtHold, SignerRecord};
use crosscheck_ledger::accounting;
use crosscheck_store::registry::User;

use crate::AppState;
use crate::auth::{hash_password, new_secret, secret_hash};
use crate::error::{ApiError, ApiResult};
use crate::service::draft;

/// A change to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserChange {
    /// Role name (`requester`, `reviewer`, `disclosure_officer`, `auditor`, `admin`).
    pub role: String,
    /// The requesting agency (requesters).
    pub agency: Option<String>,
    /// A new password (at least 12 characters); `None` keeps the current one.
    pub password: Option<String>,
    /// Inactive users cannot log in, and their sessions end.
    pub active: bool,
}

impl AppState {
    /// Creates or replaces an agency and its agreement (validated).
    pub async fn put_agency(&self, actor: &str, agency: Agency) -> ApiResult<Agency> {
        agency
            .agreement
            .validate()
            .map_err(|e| ApiError::invalid(format!("agreement: {e}")))?;
        if agency.agreement.agency != agency.id {
            return Err(ApiError::invalid(
                "agreement.agency must name the agency it belongs to",
            ));
        }
        let mut tx = self.store.begin().await?;
        tx.put_agency(&agency.id, &agency).await?;
        tx.record(draft(
            actor,
            "registry.agency_put",
            &[(accounting::AGENCY, &agency.id)],
            "ok",
        ))
        .await?;
        tx.commit().await?;
        Ok(agency)
    }

    /// Sets (with the order's reference) or lifts a court-order hold on an agency (RULES 24).
    pub async fn set_hold(
        &self,
        actor: &str,
        id: &str,
        hold: Option<CourtHold>,
    ) -> ApiResult<Agency> {
        let mut agency: Agency = self
            .store
            .agency(id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        let outcome = hold
            .as_ref()
            .map_or("lifted".to_string(), |h| format!("hold {}", h.order_ref));
        agency.hold = hold;
        let mut tx = self.store.begin().await?;
        tx.put_agency(id, &agency).await?;
        tx.record(draft(
            actor,
            "registry.hold",
            &[(accounting::AGENCY, id)],
            &outcome,
        ))
        .await?;
        tx.commit().await?;
        Ok(agency)
    }

    /// Registers (or replaces) an authorized signer and its Ed25519 public key.
    pub async fn put_signer(&self, actor: &str, signer: SignerRecord) -> ApiResult<SignerRecord> {
        let key_ok = hex::decode(&signer.public_key).is_ok_and(|k| k.len() == 32);
        if !key_ok {
            return Err(ApiError::invalid(
                "public_key must be 64 hex characters (an Ed25519 key)",
            ));
        }
        let mut tx = self.store.begin().await?;
        tx.put_signer(&signer.id, &signer.agency, &signer).await?;
        tx.record(draft(
            actor,
            "registry.signer_put",
            &[("signer", &signer.id), (accounting::AGENCY, &signer.agency)],
            "ok",
        ))
        .await?;
        tx.commit().await?;
        Ok(signer)
    }

    /// Sets (with a note) or clears the § 6103(i)(6) flag of a taxpayer (RULES 21).
    pub async fn set_flag(&self, actor: &str, tin: &str, note: Option<&str>) -> ApiResult<()> {
        let tin = crosscheck_contract::Tin::parse(tin)
            .map_err(|_| ApiError::invalid("tin: not a valid SSN or ITIN"))?;
        let mac = self
            .store
            .personal_key()
            .mac(accounting::TIN, &tin.digits());
        let mut tx = self.store.begin().await?;
        tx.set_account_flag(&mac, note).await?;
        let mut d = draft(
            actor,
            "registry.flag",
            &[],
            if note.is_some() { "set" } else { "cleared" },
        );
        d.personal.insert(accounting::TIN.into(), tin.digits());
        tx.record(d).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates or changes a user (Argon2id for a new password; disabling ends sessions).
    pub async fn put_user(&self, actor: &str, id: &str, change: UserChange) -> ApiResult<User> {
        crosscheck_policy::Role::parse(&change.role).map_err(|_| {
            ApiError::invalid("role: requester, reviewer, disclosure_officer, auditor or admin")
        })?;
        if change.role == "requester" && change.agency.is_none() {
            return Err(ApiError::invalid(
                "agency: a requester belongs to an agency",
            ));
        }
        if change
            .password
            .as_ref()
            .is_some_and(|p| p.chars().count() < 12)
        {
            return Err(ApiError::invalid("password: at least 12 characters"));
        }
        let existing = self.store.user(id).await?;
        let password_hash = match change.password {
            Some(p) => Some(
                tokio::task::spawn_blocking(move || hash_password(&p))
                    .await
                    .map_err(ApiError::internal)??,
            ),
            None => existing.and_then(|e| e.password_hash),
        };
        let user = User {
            id: id.to_string(),
            role: change.role.clone(),
            agency: change.agency.clone(),
            password_hash,
            active: change.active,
        };
        let mut tx = self.store.begin().await?;
        tx.put_user(&user).await?;
        tx.record(draft(
            actor,
            "users.put",
            &[("user", id)],
            &format!("role {} active {}", change.role, change.active),
        ))
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Issues an API token for user `id`; the token is returned once and stored only hashed.
    pub async fn issue_token(&self, actor: &str, id: &str) -> ApiResult<String> {
        self.store.user(id).await?.ok_or_else(ApiError::not_found)?;
        let token = new_secret();
        let mut tx = self.store.begin().await?;
        tx.add_token(&secret_hash(&token), id).await?;
        tx.record(draft(actor, "users.token_issued", &[("user", id)], "ok"))
            .await?;
        tx.commit().await?;
        Ok(token)
    }
}
