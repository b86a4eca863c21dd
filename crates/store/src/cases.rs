//! Reading cases and moving them through their states.

use serde::Serialize;
use sqlx::Row;
use vantay_domain::{CaseId, CaseState, CustomerId, Finger};
use vantay_ledger::Event;

use crate::journal::WriteTx;
use crate::rows::{CaseRow, PrintRow};
use crate::{now_text, Actor, Centre, Store, StoreError};

/// A case as staff see it without personal data.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CaseSummary {
    /// The case.
    pub case: CaseId,
    /// Its customer.
    pub customer: CustomerId,
    /// What the analysis centre knows it by.
    pub pseudonym: String,
    /// Where it stands.
    pub state: CaseState,
    /// When it was captured.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

/// One finger of a case, without the image.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PrintSummary {
    /// Which finger.
    pub finger: Finger,
    /// `captured` or `missing`.
    pub status: String,
    /// Image format, when captured.
    pub format: Option<String>,
    /// Width in pixels.
    pub width: Option<i64>,
    /// Height in pixels.
    pub height: Option<i64>,
    /// Resolution.
    pub ppi: Option<i64>,
}

/// One ledger event about a case, a staff account or a customer.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Position in the ledger.
    pub seq: u64,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
}

/// `vantay case show`: the case, its prints and its history.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CaseView {
    /// The case.
    #[serde(flatten)]
    pub summary: CaseSummary,
    /// Its ten fingers.
    pub prints: Vec<PrintSummary>,
    /// The report appointment (steps 6–8), once booked.
    pub appointment: Option<crate::Appointment>,
    /// Every ledger event about it, oldest first.
    pub history: Vec<HistoryEntry>,
}

impl Store {
    /// The case's summary row.
    pub async fn case_summary(&self, case: CaseId) -> Result<CaseSummary, StoreError> {
        let mut conn = self.db.pool.acquire().await?;
        let row = load_case(&mut conn, case).await?;
        summary_of(&row)
    }

    /// Every case, newest first (no personal data).
    pub async fn list_cases(&self) -> Result<Vec<CaseSummary>, StoreError> {
        let rows = sqlx::query("SELECT * FROM cases ORDER BY created_at DESC")
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter().map(|r| summary_of(&case_row(r)?)).collect()
    }

    /// A customer's cases, oldest first (no personal data).
    pub async fn customer_cases(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<CaseSummary>, StoreError> {
        let rows = sqlx::query("SELECT * FROM cases WHERE customer_id = $1 ORDER BY created_at")
            .bind(customer.to_string())
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter().map(|r| summary_of(&case_row(r)?)).collect()
    }

    /// The case, its prints and its history from the ledger.
    pub async fn case_view(&self, case: CaseId) -> Result<CaseView, StoreError> {
        let summary = self.case_summary(case).await?;
        let prints = self
            .current_prints(case)
            .await?
            .into_iter()
            .map(|p| PrintSummary {
                finger: p.finger.parse().unwrap_or(Finger::R1),
                status: p.status,
                format: p.format,
                width: p.width,
                height: p.height,
                ppi: p.ppi,
            })
            .collect();
        let appointment = self.appointment(case).await?;
        let history = self.history(&format!("case/{case}")).await?;
        Ok(CaseView {
            summary,
            prints,
            appointment,
            history,
        })
    }

    /// The newest version of each finger's print row.
    pub(crate) async fn current_prints(&self, case: CaseId) -> Result<Vec<PrintRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM prints WHERE case_id = $1 ORDER BY finger, version")
            .bind(case.to_string())
            .fetch_all(&self.db.pool)
            .await?;
        let mut latest: Vec<PrintRow> = Vec::new();
        for row in rows {
            let row = print_row(&row)?;
            match latest.last_mut() {
                Some(last) if last.finger == row.finger => *last = row,
                _ => latest.push(row),
            }
        }
        latest.sort_by_key(|p| {
            p.finger
                .parse::<Finger>()
                .map(|f| f.position())
                .unwrap_or(99)
        });
        Ok(latest)
    }

    /// Who found, read, corrected or erased the customer's data, and when:
    /// the ledger events on `customer/ID`, oldest first.
    pub async fn customer_history(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        self.history(&format!("customer/{customer}")).await
    }

    /// Ledger events whose object is `object`.
    pub(crate) async fn history(&self, object: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query("SELECT leaf FROM ledger_entries ORDER BY seq")
            .fetch_all(&self.db.pool)
            .await?;
        let mut out = Vec::new();
        for row in rows {
            let event = Event::from_leaf_bytes(&row.try_get::<Vec<u8>, _>("leaf")?)
                .map_err(|err| StoreError::Corrupt(format!("ledger entry: {err}")))?;
            if event.object == object {
                let at = chrono::DateTime::from_timestamp_millis(event.at)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                    .unwrap_or_default();
                out.push(HistoryEntry {
                    seq: event.seq,
                    at,
                    actor: event.actor,
                    action: event.action,
                });
            }
        }
        Ok(out)
    }
}

impl Centre {
    /// Step 2: locks a captured case. From now on its capture cannot change.
    pub async fn seal_case(&self, actor: &Actor, case: CaseId) -> Result<CaseSummary, StoreError> {
        self.transition(actor, case, CaseState::Sealed, "case.seal")
            .await
    }

    /// Moves a case to `to` if the process allows it, recording `action`.
    pub async fn transition(
        &self,
        actor: &Actor,
        case: CaseId,
        to: CaseState,
        action: &str,
    ) -> Result<CaseSummary, StoreError> {
        let mut tx = self.begin(actor).await?;
        let row = set_state(&mut tx, case, to).await?;
        tx.record(
            action,
            format!("case/{case}"),
            vec![(row.name(), row.digest())],
        );
        self.commit(tx).await?;
        summary_of(&row)
    }
}

/// Changes the case's state inside `tx`, checking the move is allowed.
pub(crate) async fn set_state(
    tx: &mut WriteTx<'_>,
    case: CaseId,
    to: CaseState,
) -> Result<CaseRow, StoreError> {
    let mut row = load_case(&mut tx.tx, case).await?;
    let from: CaseState = row
        .state
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("case {case} has state '{}'", row.state)))?;
    from.become_(to)?;
    row.state = to.as_str().into();
    row.updated_at = now_text();
    sqlx::query("UPDATE cases SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(&row.state)
        .bind(&row.updated_at)
        .bind(&row.id)
        .execute(&mut *tx.tx)
        .await?;
    Ok(row)
}

pub(crate) async fn load_case(
    conn: &mut sqlx::AnyConnection,
    case: CaseId,
) -> Result<CaseRow, StoreError> {
    let row = sqlx::query("SELECT * FROM cases WHERE id = $1")
        .bind(case.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NoCase(case.to_string()))?;
    case_row(&row)
}

pub(crate) fn case_row(row: &sqlx::any::AnyRow) -> Result<CaseRow, StoreError> {
    Ok(CaseRow {
        id: row.try_get("id")?,
        customer_id: row.try_get("customer_id")?,
        pseudonym: row.try_get("pseudonym")?,
        state: row.try_get("state")?,
        device_model: row.try_get("device_model")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub(crate) fn print_row(row: &sqlx::any::AnyRow) -> Result<PrintRow, StoreError> {
    Ok(PrintRow {
        case_id: row.try_get("case_id")?,
        finger: row.try_get("finger")?,
        version: row.try_get("version")?,
        status: row.try_get("status")?,
        format: row.try_get("format")?,
        width: row.try_get("width")?,
        height: row.try_get("height")?,
        ppi: row.try_get("ppi")?,
        blob: row.try_get("blob")?,
        missing_reason: row.try_get("missing_reason")?,
    })
}

pub(crate) fn summary_of(row: &CaseRow) -> Result<CaseSummary, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("case {} has a bad {what}", row.id));
    Ok(CaseSummary {
        case: row.id.parse().map_err(|_| corrupt("id"))?,
        customer: row
            .customer_id
            .parse()
            .map_err(|_| corrupt("customer id"))?,
        pseudonym: row.pseudonym.clone(),
        state: row.state.parse().map_err(|_| corrupt("state"))?,
        created_at: row.created_at.clone(),
        updated_at: row.updated_at.clone(),
    })
}
