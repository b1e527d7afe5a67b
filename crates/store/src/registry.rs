//! Registries: requesting agencies with their agreements, authorized signers, custodian
//! account flags (RULES 21), people and their sessions, and agency API tokens.
//!
//! Agencies and signers are stored as the gateway's JSON documents (no personal data).
//! Secrets are stored only as hashes: session and API tokens as SHA-256 (they are 256-bit
//! random values), passwords as Argon2id PHC strings computed by the caller.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;

use crate::{Store, StoreError, Tx, opt_text};

/// A person or agency system that can act on crosscheck.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name / identifier (never a taxpayer).
    pub id: String,
    /// Role name (`requester`, `reviewer`, `disclosure_officer`, `auditor`, `admin`).
    pub role: String,
    /// The requesting agency, for requesters.
    pub agency: Option<String>,
    /// Argon2id PHC string; `None` for agency systems that only use API tokens.
    pub password_hash: Option<String>,
    /// Disabled users cannot log in and their sessions end.
    pub active: bool,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Who is logged in.
    pub user_id: String,
    /// The session's CSRF token (sent back in forms and the `x-csrf-token` header).
    pub csrf: String,
    /// When it began.
    pub created_ms: i64,
    /// Last request.
    pub seen_ms: i64,
}

impl Store {
    /// A JSON document from a registry table (`agencies` or `signers`).
    async fn document<T: DeserializeOwned>(
        &self,
        table: &'static str,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        let sql = match table {
            "agencies" => "SELECT body FROM agencies WHERE id = $1",
            _ => "SELECT body FROM signers WHERE id = $1",
        };
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            let body: String = r.try_get("body")?;
            serde_json::from_str(&body)
                .map_err(|_| StoreError::Corrupt(format!("{table} row {id} is not valid JSON")))
        })
        .transpose()
    }

    /// The agency `id` as stored by [`Tx::put_agency`].
    pub async fn agency<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>, StoreError> {
        self.document("agencies", id).await
    }

    /// Every agency.
    pub async fn agencies<T: DeserializeOwned>(&self) -> Result<Vec<T>, StoreError> {
        let rows = sqlx::query("SELECT id, body FROM agencies ORDER BY id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let body: String = r.try_get("body")?;
                serde_json::from_str(&body)
                    .map_err(|_| StoreError::Corrupt("an agencies row is not valid JSON".into()))
            })
            .collect()
    }

    /// The signer `id` as stored by [`Tx::put_signer`].
    pub async fn signer<T: DeserializeOwned>(&self, id: &str) -> Result<Option<T>, StoreError> {
        self.document("signers", id).await
    }

    /// Whether the taxpayer whose TIN has HMAC `tin_mac` carries a § 6103(i)(6) flag.
    pub async fn account_flagged(&self, tin_mac: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT note FROM account_flags WHERE tin_mac = $1")
                .bind(tin_mac)
                .fetch_optional(self.pool())
                .await?
                .is_some(),
        )
    }

    /// Matters each named official (by HMAC of the name) of `agency` was attested for.
    pub async fn official_matters(
        &self,
        agency: &str,
        official_macs: &[String],
    ) -> Result<Vec<u64>, StoreError> {
        let mut out = Vec::with_capacity(official_macs.len());
        for mac in official_macs {
            let n: Option<i64> = sqlx::query(
                "SELECT matters FROM official_matters WHERE agency = $1 AND official_mac = $2",
            )
            .bind(agency)
            .bind(mac)
            .fetch_optional(self.pool())
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
            out.push(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)));
        }
        Ok(out)
    }

    /// The user `id`.
    pub async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row =
            sqlx::query("SELECT id, role, agency, password_hash, active FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        row.map(|r| user_of(&r)).transpose()
    }

    /// Every user.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows =
            sqlx::query("SELECT id, role, agency, password_hash, active FROM users ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(user_of).collect()
    }

    /// The user an API token (by its hash) belongs to.
    pub async fn token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.role, u.agency, u.password_hash, u.active FROM api_tokens t \
             JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| user_of(&r)).transpose()
    }

    /// The session with this token hash.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, csrf, created_ms, seen_ms FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(Session {
                user_id: r.try_get("user_id")?,
                csrf: r.try_get("csrf")?,
                created_ms: r.try_get("created_ms")?,
                seen_ms: r.try_get("seen_ms")?,
            })
        })
        .transpose()
    }

    /// Marks a session as used now (no ledger entry: it changes no data, only idle time).
    pub async fn touch_session(&self, token_hash: &str, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET seen_ms = $1 WHERE token_hash = $2")
            .bind(now_ms)
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

fn user_of(r: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: r.try_get("id")?,
        role: r.try_get("role")?,
        agency: opt_text(r, "agency")?,
        password_hash: opt_text(r, "password_hash")?,
        active: r.try_get::<i64, _>("active")? != 0,
    })
}

impl Tx<'_> {
    async fn put_document(
        &mut self,
        sql: &'static str,
        id: &str,
        agency: Option<&str>,
        body: String,
    ) -> Result<(), StoreError> {
        let mut q = sqlx::query(sql).bind(id.to_string());
        if let Some(a) = agency {
            q = q.bind(a.to_string());
        }
        q.bind(body).execute(self.conn()).await?;
        Ok(())
    }

    /// Creates or replaces agency `id` (its agreement, safeguards and hold).
    pub async fn put_agency<T: Serialize>(
        &mut self,
        id: &str,
        agency: &T,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(agency).expect("registry documents serialise");
        self.put_document(
            "INSERT INTO agencies (id, body) VALUES ($1, $2) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body",
            id,
            None,
            body,
        )
        .await
    }

    /// Creates or replaces signer `id` of `agency`.
    pub async fn put_signer<T: Serialize>(
        &mut self,
        id: &str,
        agency: &str,
        signer: &T,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(signer).expect("registry documents serialise");
        self.put_document(
            "INSERT INTO signers (id, agency, body) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET agency = excluded.agency, body = excluded.body",
            id,
            Some(agency),
            body,
        )
        .await
    }

    /// Sets or clears the § 6103(i)(6) flag of a taxpayer (by TIN HMAC).
    pub async fn set_account_flag(
        &mut self,
        tin_mac: &str,
        note: Option<&str>,
    ) -> Result<(), StoreError> {
        match note {
            Some(note) => {
                sqlx::query(
                    "INSERT INTO account_flags (tin_mac, note) VALUES ($1, $2) \
                     ON CONFLICT (tin_mac) DO UPDATE SET note = excluded.note",
                )
                .bind(tin_mac.to_string())
                .bind(note.to_string())
                .execute(self.conn())
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM account_flags WHERE tin_mac = $1")
                    .bind(tin_mac.to_string())
                    .execute(self.conn())
                    .await?;
            }
        }
        Ok(())
    }

    /// Adds `matters` to the count of matters an official (by HMAC of the name) was attested for.
    pub async fn add_official_matters(
        &mut self,
        agency: &str,
        official_mac: &str,
        matters: u64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO official_matters (agency, official_mac, matters) VALUES ($1, $2, $3) \
             ON CONFLICT (agency, official_mac) DO UPDATE SET matters = official_matters.matters + excluded.matters",
        )
        .bind(agency.to_string())
        .bind(official_mac.to_string())
        .bind(i64::try_from(matters).unwrap_or(i64::MAX))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Creates or replaces a user. Disabling a user ends all their sessions.
    pub async fn put_user(&mut self, user: &User) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO users (id, role, agency, password_hash, active) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET role = excluded.role, agency = excluded.agency, \
             password_hash = excluded.password_hash, active = excluded.active",
        )
        .bind(user.id.clone())
        .bind(user.role.clone())
        .bind(user.agency.clone())
        .bind(user.password_hash.clone())
        .bind(i64::from(user.active))
        .execute(self.conn())
        .await?;
        if !user.active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.id.clone())
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// Adds an API token (by its SHA-256) for `user_id`.
    pub async fn add_token(&mut self, token_hash: &str, user_id: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO api_tokens (token_hash, user_id) VALUES ($1, $2)")
            .bind(token_hash.to_string())
            .bind(user_id.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Starts a session.
    pub async fn add_session(
        &mut self,
        token_hash: &str,
        session: &Session,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_ms, seen_ms) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash.to_string())
        .bind(session.user_id.clone())
        .bind(session.csrf.clone())
        .bind(session.created_ms)
        .bind(session.seen_ms)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Ends a session.
    pub async fn end_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
