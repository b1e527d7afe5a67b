//! Requests and their subjects: lifecycle state in clear columns (states, reason codes,
//! assignments — nothing personal), the signed request, each subject's entry and match
//! evidence, and each response sealed at rest.
//!
//! The sealed documents are the gateway's JSON types; this module stores whatever the
//! caller serialises, bound to its row.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, Tx, opt_text};

/// One request's clear columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    /// Custodian-assigned id.
    pub id: String,
    /// Requesting agency.
    pub agency: String,
    /// The submitter's idempotency key: a retry with the same key finds this row.
    pub idempotency_key: String,
    /// Who submitted it (user or agency system).
    pub submitted_by: String,
    /// The custodian employee who configured it (accepted a held request, set up the
    /// batch); they may not review its subjects.
    pub configured_by: Option<String>,
    /// Lifecycle state (gateway `RequestState::as_str`).
    pub state: String,
    /// When it was received.
    pub created_ms: i64,
    /// Number of subjects.
    pub subjects: u64,
    /// The legal gate's report as JSON: rule numbers and reason codes only.
    pub gate: String,
}

/// One subject's clear columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectRow {
    /// Its request.
    pub request_id: String,
    /// Position in the request, from 0.
    pub position: u64,
    /// Lifecycle state (gateway `SubjectState::as_str`).
    pub state: String,
    /// The matcher's outcome (`match`, `review`, `no_match`) or `-` before matching.
    pub outcome: String,
    /// The reviewer whose queue holds it.
    pub assigned_to: Option<String>,
    /// The reviewer who recorded the per-record determination.
    pub determined_by: Option<String>,
    /// The determination's reason code, or the gate's first reason code for rejected subjects.
    pub reason_code: Option<String>,
    /// HMAC of the candidate taxpayer's TIN (for accounting and § 6103(i)(6) flags).
    pub tin_mac: Option<String>,
}

fn request_of(r: &AnyRow) -> Result<RequestRow, StoreError> {
    Ok(RequestRow {
        id: r.try_get("id")?,
        agency: r.try_get("agency")?,
        idempotency_key: r.try_get("idempotency_key")?,
        submitted_by: r.try_get("submitted_by")?,
        configured_by: opt_text(r, "configured_by")?,
        state: r.try_get("state")?,
        created_ms: r.try_get("created_ms")?,
        subjects: u64::try_from(r.try_get::<i64, _>("subjects")?).unwrap_or(0),
        gate: r.try_get("gate")?,
    })
}

fn subject_of(r: &AnyRow) -> Result<SubjectRow, StoreError> {
    Ok(SubjectRow {
        request_id: r.try_get("request_id")?,
        position: u64::try_from(r.try_get::<i64, _>("position")?).unwrap_or(0),
        state: r.try_get("state")?,
        outcome: r.try_get("outcome")?,
        assigned_to: opt_text(r, "assigned_to")?,
        determined_by: opt_text(r, "determined_by")?,
        reason_code: opt_text(r, "reason_code")?,
        tin_mac: opt_text(r, "tin_mac")?,
    })
}

const REQUEST_COLUMNS: &str =
    "id, agency, idempotency_key, submitted_by, configured_by, state, created_ms, subjects, gate";
const SUBJECT_COLUMNS: &str =
    "request_id, position, state, outcome, assigned_to, determined_by, reason_code, tin_mac";

fn request_key(id: &str) -> String {
    format!("requests:{id}")
}

fn subject_key(request_id: &str, position: u64) -> String {
    format!("subjects:{request_id}:{position}")
}

fn response_key(request_id: &str, position: u64) -> String {
    format!("responses:{request_id}:{position}")
}

fn pos(position: u64) -> i64 {
    i64::try_from(position).unwrap_or(i64::MAX)
}

impl Store {
    fn unseal<T: DeserializeOwned>(
        &self,
        table: &'static str,
        key: &str,
        sealed: &[u8],
    ) -> Result<T, StoreError> {
        self.cipher()
            .open(key, sealed)
            .and_then(|plain| serde_json::from_slice(&plain).ok())
            .ok_or_else(|| StoreError::Sealed {
                table,
                row: key.to_string(),
            })
    }

    /// The request `id`.
    pub async fn request(&self, id: &str) -> Result<Option<RequestRow>, StoreError> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| request_of(&r)).transpose()
    }

    /// A disclosure officer's rationale for a held request, if one was recorded.
    pub async fn officer_note(&self, id: &str) -> Result<Option<String>, StoreError> {
        let sealed: Option<Vec<u8>> =
            sqlx::query("SELECT officer_note FROM requests WHERE id = $1")
                .bind(id)
                .fetch_one(self.pool())
                .await?
                .try_get(0)?;
        sealed
            .map(|s| {
                self.cipher()
                    .open(&format!("officer_note:{id}"), &s)
                    .and_then(|p| String::from_utf8(p).ok())
                    .ok_or_else(|| StoreError::Sealed {
                        table: "requests",
                        row: id.to_string(),
                    })
            })
            .transpose()
    }

    /// The request an agency submitted with `idempotency_key`, if any.
    pub async fn request_by_key(
        &self,
        agency: &str,
        idempotency_key: &str,
    ) -> Result<Option<RequestRow>, StoreError> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM requests WHERE agency = $1 AND idempotency_key = $2"
        );
        let row = sqlx::query(&sql)
            .bind(agency)
            .bind(idempotency_key)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| request_of(&r)).transpose()
    }

    /// Requests, newest first; of one agency when `agency` is given.
    pub async fn requests(&self, agency: Option<&str>) -> Result<Vec<RequestRow>, StoreError> {
        let rows = match agency {
            Some(a) => {
                let sql = format!(
                    "SELECT {REQUEST_COLUMNS} FROM requests WHERE agency = $1 ORDER BY created_ms DESC, id DESC"
                );
                sqlx::query(&sql).bind(a).fetch_all(self.pool()).await?
            }
            None => {
                let sql = format!(
                    "SELECT {REQUEST_COLUMNS} FROM requests ORDER BY created_ms DESC, id DESC"
                );
                sqlx::query(&sql).fetch_all(self.pool()).await?
            }
        };
        rows.iter().map(request_of).collect()
    }

    /// The signed request document of `id`.
    pub async fn request_document<T: DeserializeOwned>(&self, id: &str) -> Result<T, StoreError> {
        let sealed: Vec<u8> = sqlx::query("SELECT sealed FROM requests WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?
            .try_get(0)?;
        self.unseal("requests", &request_key(id), &sealed)
    }

    /// Subjects of a request in position order.
    pub async fn subjects(&self, request_id: &str) -> Result<Vec<SubjectRow>, StoreError> {
        let sql = format!(
            "SELECT {SUBJECT_COLUMNS} FROM subjects WHERE request_id = $1 ORDER BY position"
        );
        let rows = sqlx::query(&sql)
            .bind(request_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(subject_of).collect()
    }

    /// One subject.
    pub async fn subject(
        &self,
        request_id: &str,
        position: u64,
    ) -> Result<Option<SubjectRow>, StoreError> {
        let sql = format!(
            "SELECT {SUBJECT_COLUMNS} FROM subjects WHERE request_id = $1 AND position = $2"
        );
        let row = sqlx::query(&sql)
            .bind(request_id)
            .bind(pos(position))
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| subject_of(&r)).transpose()
    }

    /// A reviewer's queue: subjects assigned to them in state `state`, oldest request first.
    pub async fn queue(&self, reviewer: &str, state: &str) -> Result<Vec<SubjectRow>, StoreError> {
        let sql = "SELECT s.request_id AS request_id, s.position AS position, s.state AS state, \
             s.outcome AS outcome, s.assigned_to AS assigned_to, s.determined_by AS determined_by, \
             s.reason_code AS reason_code, s.tin_mac AS tin_mac FROM subjects s \
             JOIN requests r ON r.id = s.request_id \
             WHERE s.assigned_to = $1 AND s.state = $2 ORDER BY r.created_ms, s.request_id, s.position";
        let rows = sqlx::query(sql)
            .bind(reviewer)
            .bind(state)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(subject_of).collect()
    }

    /// The sealed document of a subject (its entry and match evidence).
    pub async fn subject_document<T: DeserializeOwned>(
        &self,
        request_id: &str,
        position: u64,
    ) -> Result<T, StoreError> {
        let sealed: Vec<u8> =
            sqlx::query("SELECT sealed FROM subjects WHERE request_id = $1 AND position = $2")
                .bind(request_id)
                .bind(pos(position))
                .fetch_one(self.pool())
                .await?
                .try_get(0)?;
        self.unseal("subjects", &subject_key(request_id, position), &sealed)
    }

    /// The responses of a request, by position (`None` where none is written yet).
    pub async fn responses<T: DeserializeOwned>(
        &self,
        request_id: &str,
    ) -> Result<Vec<Option<T>>, StoreError> {
        let rows = sqlx::query(
            "SELECT position, response FROM subjects WHERE request_id = $1 ORDER BY position",
        )
        .bind(request_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let position = u64::try_from(r.try_get::<i64, _>("position")?).unwrap_or(0);
                let sealed: Option<Vec<u8>> = r.try_get("response")?;
                sealed
                    .map(|s| self.unseal("subjects", &response_key(request_id, position), &s))
                    .transpose()
            })
            .collect()
    }

    /// People who approved the release of a subject.
    pub async fn release_approvals(
        &self,
        request_id: &str,
        position: u64,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT approved_by FROM releases WHERE request_id = $1 AND position = $2 ORDER BY approved_ms, approved_by",
        )
        .bind(request_id)
        .bind(pos(position))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>(0)?))
            .collect()
    }

    /// Subjects an agency submitted on the UTC day that holds `now_ms` (the daily volume
    /// guard, RULES 35). One row, kept by [`Tx::insert_request`].
    pub async fn subjects_on_day(&self, agency: &str, now_ms: i64) -> Result<u64, StoreError> {
        let n: Option<i64> = sqlx::query(
            "SELECT subjects FROM agency_daily_subjects WHERE agency = $1 AND day_ms = $2",
        )
        .bind(agency)
        .bind(day_of(now_ms))
        .fetch_optional(self.pool())
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    /// Released requests whose end-of-use certification is overdue at `now_ms` or was
    /// escalated as overdue, and is still missing (RULES 27), oldest due date first; only
    /// `agency`'s when given.
    pub async fn overdue_end_of_use(
        &self,
        now_ms: i64,
        agency: Option<&str>,
    ) -> Result<Vec<OverdueEndOfUse>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.request_id, r.agency, e.due_ms, e.escalated_ms FROM end_of_use e \
             JOIN requests r ON r.id = e.request_id \
             WHERE e.certified_ms IS NULL AND (e.due_ms <= $1 OR e.escalated_ms IS NOT NULL) \
             AND ($2 = '' OR r.agency = $2) \
             ORDER BY e.due_ms, e.request_id",
        )
        .bind(now_ms)
        .bind(agency.unwrap_or_default().to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OverdueEndOfUse {
                    request_id: r.try_get(0)?,
                    agency: r.try_get(1)?,
                    due_ms: r.try_get(2)?,
                    escalated_ms: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// The end-of-use due date and certification time of a request.
    pub async fn end_of_use(
        &self,
        request_id: &str,
    ) -> Result<Option<(i64, Option<i64>)>, StoreError> {
        let row = sqlx::query("SELECT due_ms, certified_ms FROM end_of_use WHERE request_id = $1")
            .bind(request_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| Ok((r.try_get("due_ms")?, r.try_get("certified_ms")?)))
            .transpose()
    }
}

impl Tx<'_> {
    /// Inserts a request with its sealed document.
    pub async fn insert_request<T: Serialize>(
        &mut self,
        row: &RequestRow,
        document: &T,
    ) -> Result<(), StoreError> {
        let plain = serde_json::to_vec(document).expect("request documents serialise");
        let sealed = self.store().cipher().seal(&request_key(&row.id), &plain);
        sqlx::query(
            "INSERT INTO requests (id, agency, idempotency_key, submitted_by, configured_by, state, created_ms, subjects, gate, sealed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(row.id.clone())
        .bind(row.agency.clone())
        .bind(row.idempotency_key.clone())
        .bind(row.submitted_by.clone())
        .bind(row.configured_by.clone())
        .bind(row.state.clone())
        .bind(row.created_ms)
        .bind(pos(row.subjects))
        .bind(row.gate.clone())
        .bind(sealed)
        .execute(self.conn())
        .await?;
        sqlx::query(
            "INSERT INTO agency_daily_subjects (agency, day_ms, subjects) VALUES ($1, $2, $3) \
             ON CONFLICT (agency, day_ms) DO UPDATE SET subjects = agency_daily_subjects.subjects + excluded.subjects",
        )
        .bind(row.agency.clone())
        .bind(day_of(row.created_ms))
        .bind(pos(row.subjects))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Sets a request's state and (if given) who configured it.
    pub async fn set_request_state(
        &mut self,
        id: &str,
        state: &str,
        configured_by: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE requests SET state = $1, configured_by = COALESCE($2, configured_by) WHERE id = $3",
        )
        .bind(state.to_string())
        .bind(configured_by.map(str::to_string))
        .bind(id.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Records a disclosure officer's rationale for a held request's decision (sealed).
    pub async fn set_officer_note(&mut self, id: &str, note: &str) -> Result<(), StoreError> {
        let sealed = self
            .store()
            .cipher()
            .seal(&format!("officer_note:{id}"), note.as_bytes());
        sqlx::query("UPDATE requests SET officer_note = $1 WHERE id = $2")
            .bind(sealed)
            .bind(id.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Moves request `id` from state `from` to `to`; `false` (and no change) when it is no
    /// longer in `from` — how concurrent deciders agree on exactly one transition.
    pub async fn transition_request(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE requests SET state = $1 WHERE id = $2 AND state = $3")
            .bind(to.to_string())
            .bind(id.to_string())
            .bind(from.to_string())
            .execute(self.conn())
            .await?
            .rows_affected();
        Ok(done == 1)
    }

    /// Rewrites a subject's clear columns if it is still in state `from`; `false` (and no
    /// change) when someone else moved it first.
    pub async fn update_subject_if(
        &mut self,
        row: &SubjectRow,
        from: &str,
    ) -> Result<bool, StoreError> {
        Ok(self.write_subject(row, Some(from)).await? == 1)
    }

    /// One statement for both subject updates: unconditional, or only from state `from`.
    async fn write_subject(
        &mut self,
        row: &SubjectRow,
        from: Option<&str>,
    ) -> Result<u64, StoreError> {
        const SET: &str = "UPDATE subjects SET state = $1, outcome = $2, assigned_to = $3, \
             determined_by = $4, reason_code = $5, tin_mac = $6 WHERE request_id = $7 AND position = $8";
        const SET_FROM: &str = "UPDATE subjects SET state = $1, outcome = $2, assigned_to = $3, \
             determined_by = $4, reason_code = $5, tin_mac = $6 WHERE request_id = $7 AND position = $8 \
             AND state = $9";
        let mut q = sqlx::query(if from.is_some() { SET_FROM } else { SET })
            .bind(row.state.clone())
            .bind(row.outcome.clone())
            .bind(row.assigned_to.clone())
            .bind(row.determined_by.clone())
            .bind(row.reason_code.clone())
            .bind(row.tin_mac.clone())
            .bind(row.request_id.clone())
            .bind(pos(row.position));
        if let Some(from) = from {
            q = q.bind(from.to_string());
        }
        Ok(q.execute(self.conn()).await?.rows_affected())
    }

    /// Inserts a subject with its sealed document.
    pub async fn insert_subject<T: Serialize>(
        &mut self,
        row: &SubjectRow,
        document: &T,
    ) -> Result<(), StoreError> {
        let plain = serde_json::to_vec(document).expect("subject documents serialise");
        let sealed = self
            .store()
            .cipher()
            .seal(&subject_key(&row.request_id, row.position), &plain);
        sqlx::query(
            "INSERT INTO subjects (request_id, position, state, outcome, assigned_to, determined_by, reason_code, tin_mac, sealed) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(row.request_id.clone())
        .bind(pos(row.position))
        .bind(row.state.clone())
        .bind(row.outcome.clone())
        .bind(row.assigned_to.clone())
        .bind(row.determined_by.clone())
        .bind(row.reason_code.clone())
        .bind(row.tin_mac.clone())
        .bind(sealed)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Rewrites a subject's clear columns.
    pub async fn update_subject(&mut self, row: &SubjectRow) -> Result<(), StoreError> {
        self.write_subject(row, None).await?;
        Ok(())
    }

    /// Replaces a subject's sealed document (after matching adds the evidence).
    pub async fn set_subject_document<T: Serialize>(
        &mut self,
        request_id: &str,
        position: u64,
        document: &T,
    ) -> Result<(), StoreError> {
        let plain = serde_json::to_vec(document).expect("subject documents serialise");
        let sealed = self
            .store()
            .cipher()
            .seal(&subject_key(request_id, position), &plain);
        sqlx::query("UPDATE subjects SET sealed = $1 WHERE request_id = $2 AND position = $3")
            .bind(sealed)
            .bind(request_id.to_string())
            .bind(pos(position))
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Writes a subject's response (sealed).
    pub async fn set_response<T: Serialize>(
        &mut self,
        request_id: &str,
        position: u64,
        response: &T,
    ) -> Result<(), StoreError> {
        let plain = serde_json::to_vec(response).expect("responses serialise");
        let sealed = self
            .store()
            .cipher()
            .seal(&response_key(request_id, position), &plain);
        sqlx::query("UPDATE subjects SET response = $1 WHERE request_id = $2 AND position = $3")
            .bind(sealed)
            .bind(request_id.to_string())
            .bind(pos(position))
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Records one person's approval of a subject's release.
    pub async fn add_release_approval(
        &mut self,
        request_id: &str,
        position: u64,
        approved_by: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO releases (request_id, position, approved_by, approved_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (request_id, position, approved_by) DO NOTHING",
        )
        .bind(request_id.to_string())
        .bind(pos(position))
        .bind(approved_by.to_string())
        .bind(now_ms)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Sets the end-of-use due date of a released request.
    pub async fn set_end_of_use_due(
        &mut self,
        request_id: &str,
        due_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO end_of_use (request_id, due_ms) VALUES ($1, $2) \
             ON CONFLICT (request_id) DO UPDATE SET due_ms = excluded.due_ms",
        )
        .bind(request_id.to_string())
        .bind(due_ms)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Marks an overdue, uncertified end of use as escalated at `now_ms`; `false` when it was
    /// already escalated or has been certified meanwhile (so each is escalated once).
    pub async fn escalate_end_of_use(
        &mut self,
        request_id: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE end_of_use SET escalated_ms = $1 \
             WHERE request_id = $2 AND escalated_ms IS NULL AND certified_ms IS NULL AND due_ms <= $1",
        )
        .bind(now_ms)
        .bind(request_id.to_string())
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records the recipient's end-of-use certification (`destroyed` or `safeguarded`).
    pub async fn certify_end_of_use(
        &mut self,
        request_id: &str,
        certification: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE end_of_use SET certified_ms = $1, certification = $2 WHERE request_id = $3",
        )
        .bind(now_ms)
        .bind(certification.to_string())
        .bind(request_id.to_string())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Stores a misidentification report (sealed: it may describe a person).
    pub async fn add_misidentification_report<T: Serialize>(
        &mut self,
        id: &str,
        request_id: &str,
        position: u64,
        now_ms: i64,
        report: &T,
    ) -> Result<(), StoreError> {
        let plain = serde_json::to_vec(report).expect("reports serialise");
        let sealed = self.store().cipher().seal(&format!("reports:{id}"), &plain);
        sqlx::query(
            "INSERT INTO misidentification_reports (id, request_id, position, created_ms, sealed) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(request_id.to_string())
        .bind(pos(position))
        .bind(now_ms)
        .bind(sealed)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

/// A released request whose recipient has not certified end of use in time (RULES 27).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueEndOfUse {
    /// The request.
    pub request_id: String,
    /// Its agency.
    pub agency: String,
    /// When certification was due.
    pub due_ms: i64,
    /// When it was escalated to the disclosure office, once it has been.
    pub escalated_ms: Option<i64>,
}

/// The start of the UTC day that holds `ms`.
fn day_of(ms: i64) -> i64 {
    ms - ms.rem_euclid(86_400_000)
}
