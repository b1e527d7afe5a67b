//! The custodian's taxpayer-return extract, sealed at rest: import and load (to build the
//! matching index at start).

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crosscheck_contract::{Date, TaxReturn, Tin};
use crosscheck_ledger::entry::Draft;

use crate::{Store, StoreError};

/// Rows per transaction (and per ledger entry) during import.
const CHUNK: usize = 2_000;
/// Rows per INSERT statement (4 parameters each, well under SQLite's limit).
const ROWS_PER_STATEMENT: usize = 250;

/// The sealed form of one return (field names short: it is stored millions of times).
#[derive(Serialize, Deserialize)]
struct Sealed {
    t: String,
    y: u16,
    g: String,
    m: Option<String>,
    f: String,
    d: Option<String>,
    s: String,
    u: Option<String>,
    c: String,
    st: String,
    z: String,
    e: Option<String>,
}

impl Sealed {
    fn of(r: &TaxReturn) -> Sealed {
        Sealed {
            t: r.tin.digits(),
            y: r.tax_year,
            g: r.given_name.to_string(),
            m: r.middle_name.as_deref().map(str::to_owned),
            f: r.family_name.to_string(),
            d: r.dob.map(|d| d.to_string()),
            s: r.street.to_string(),
            u: r.unit.as_deref().map(str::to_owned),
            c: r.city.to_string(),
            st: r.state.to_string(),
            z: r.zip.to_string(),
            e: r.employer_name.as_deref().map(str::to_owned),
        }
    }

    fn into_return(self, return_id: String) -> Option<TaxReturn> {
        Some(TaxReturn {
            return_id: return_id.into(),
            tin: Tin::parse(&self.t).ok()?,
            tax_year: self.y,
            given_name: self.g.into(),
            middle_name: self.m.map(Into::into),
            family_name: self.f.into(),
            dob: match self.d {
                Some(d) => Some(Date::parse_iso(&d).ok()?),
                None => None,
            },
            street: self.s.into(),
            unit: self.u.map(Into::into),
            city: self.c.into(),
            state: self.st.into(),
            zip: self.z.into(),
            employer_name: self.e.map(Into::into),
        })
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Rows stored.
    pub stored: u64,
    /// Rows whose `return_id` was already in the store (left as they were).
    pub already_present: u64,
}

fn row_key(return_id: &str) -> String {
    format!("taxpayer_returns:{return_id}")
}

impl Store {
    /// Stores `returns` sealed, in transactions of 2,000 rows, each with a ledger entry
    /// `returns.imported` naming the actor and the counts. `progress` is called with the
    /// number of rows done after each transaction.
    pub async fn import_returns(
        &self,
        actor: &str,
        returns: &[TaxReturn],
        mut progress: impl FnMut(u64),
    ) -> Result<Imported, StoreError> {
        let mut total = Imported::default();
        for (n, chunk) in returns.chunks(CHUNK).enumerate() {
            let mut tx = self.begin().await?;
            let mut stored = 0u64;
            for rows in chunk.chunks(ROWS_PER_STATEMENT) {
                let mut sql = String::from(
                    "INSERT INTO taxpayer_returns (return_id, tin_mac, tax_year, sealed) VALUES ",
                );
                for i in 0..rows.len() {
                    let p = i * 4;
                    if i > 0 {
                        sql.push(',');
                    }
                    sql.push_str(&format!("(${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4));
                }
                sql.push_str(" ON CONFLICT (return_id) DO NOTHING");
                let mut q = sqlx::query(&sql);
                for r in rows {
                    let plain = serde_json::to_vec(&Sealed::of(r))
                        .expect("a return of strings always serialises");
                    q = q
                        .bind(r.return_id.to_string())
                        .bind(self.personal_key().mac("tin", &r.tin.digits()))
                        .bind(i64::from(r.tax_year))
                        .bind(self.cipher().seal(&row_key(&r.return_id), &plain));
                }
                stored += q.execute(tx.conn()).await?.rows_affected();
            }
            let skipped = chunk.len() as u64 - stored;
            tx.record(Draft {
                actor: actor.to_string(),
                action: "returns.imported".into(),
                objects: [("chunk".to_string(), n.to_string())].into(),
                outcome: format!("stored {stored}, already present {skipped}"),
                personal: Default::default(),
            })
            .await?;
            tx.commit().await?;
            total.stored += stored;
            total.already_present += skipped;
            progress(total.stored + total.already_present);
        }
        Ok(total)
    }

    /// Number of returns stored.
    pub async fn return_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM taxpayer_returns")
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Every stored return, unsealed, in `return_id` order (to build the matching index).
    pub async fn load_returns(&self) -> Result<Vec<TaxReturn>, StoreError> {
        let rows = sqlx::query("SELECT return_id, sealed FROM taxpayer_returns ORDER BY return_id")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| self.unseal_return(r)).collect()
    }

    /// The returns of the taxpayer with `tin` (nine digits), oldest first.
    pub async fn returns_of(&self, tin: &str) -> Result<Vec<TaxReturn>, StoreError> {
        let rows = sqlx::query(
            "SELECT return_id, sealed FROM taxpayer_returns WHERE tin_mac = $1 ORDER BY tax_year, return_id",
        )
        .bind(self.personal_key().mac("tin", tin))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| self.unseal_return(r)).collect()
    }

    fn unseal_return(&self, r: &sqlx::any::AnyRow) -> Result<TaxReturn, StoreError> {
        let id: String = r.try_get("return_id")?;
        let sealed: Vec<u8> = r.try_get("sealed")?;
        self.cipher()
            .open(&row_key(&id), &sealed)
            .and_then(|plain| serde_json::from_slice::<Sealed>(&plain).ok())
            .and_then(|s| s.into_return(id.clone()))
            .ok_or(StoreError::Sealed {
                table: "taxpayer_returns",
                row: id,
            })
    }
}
