//! From analysis to hand-over (steps 5–8): the admin reviews an analysed
//! case and books the report appointment with a counsellor; three days
//! before it the report is released to that counsellor without anyone
//! acting on it ([`Centre::release_due`]); the hand-over ends the
//! counsellor's access a day later.
//!
//! Every decision is asked of [`vantay_domain::policy`]; every change is a
//! ledger event in the same transaction as the rows it writes. An
//! appointment is versioned: a re-scheduling adds a version, and the old
//! one stays, as the ledger recorded it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sqlx::Row;
use vantay_domain::policy::{self, Decision, ReportFacts};
use vantay_domain::{CaseId, CaseState, Staff, StaffId};

use crate::cases::{load_case, set_state, summary_of, CaseSummary};
use crate::reports::staff_of;
use crate::rows::AppointmentRow;
use crate::{Actor, Centre, Store, StoreError};

/// A case's appointment as staff see it: a time and a counsellor, no
/// personal data.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Appointment {
    /// The case.
    pub case: CaseId,
    /// 1 for the first booking; each re-scheduling adds one.
    pub version: i64,
    /// When the customer comes for the report.
    pub starts_at: DateTime<Utc>,
    /// When the report goes to the counsellor (three days before).
    pub release_at: DateTime<Utc>,
    /// The counsellor who hands the report over.
    pub counsellor: StaffId,
    /// Their login name.
    pub counsellor_username: String,
    /// Who booked this version.
    pub booked_by: String,
    /// When.
    pub booked_at: String,
    /// When the report was handed over, once it was.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Who recorded the hand-over.
    pub delivered_by: Option<String>,
}

/// What a booking or a hand-over left behind: where the case stands now,
/// and its appointment.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AppointmentReceipt {
    /// The case's state afterwards.
    pub state: CaseState,
    /// The appointment as stored.
    pub appointment: Appointment,
}

/// The text a time is stored as: RFC 3339, UTC, milliseconds. One format,
/// so stored times compare as text too.
fn stamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("'{text}' is not a stored time")))
}

fn parse_state(state: &str) -> Result<CaseState, StoreError> {
    state
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("case state '{state}'")))
}

/// An `appointments` row as stored.
pub(crate) fn appointment_row(row: &sqlx::any::AnyRow) -> Result<AppointmentRow, StoreError> {
    Ok(AppointmentRow {
        case_id: row.try_get("case_id")?,
        version: row.try_get("version")?,
        starts_at: row.try_get("starts_at")?,
        counsellor_id: row.try_get("counsellor_id")?,
        booked_by: row.try_get("booked_by")?,
        booked_at: row.try_get("booked_at")?,
        delivered_at: row.try_get("delivered_at")?,
        delivered_by: row.try_get("delivered_by")?,
    })
}

/// A case's newest appointment version, with its counsellor's username.
async fn current_row(
    conn: &mut sqlx::AnyConnection,
    case: CaseId,
) -> Result<Option<(AppointmentRow, String)>, StoreError> {
    let row = sqlx::query(
        "SELECT a.*, s.username AS counsellor_username FROM appointments a \
         JOIN staff s ON s.id = a.counsellor_id \
         WHERE a.case_id = $1 ORDER BY a.version DESC LIMIT 1",
    )
    .bind(case.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| -> Result<(AppointmentRow, String), StoreError> {
        Ok((appointment_row(&row)?, row.try_get("counsellor_username")?))
    })
    .transpose()
}

fn view_of(row: &AppointmentRow, username: &str) -> Result<Appointment, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("appointment {}: {what}", row.name()));
    let starts_at = parse_time(&row.starts_at)?;
    Ok(Appointment {
        case: row.case_id.parse().map_err(|_| corrupt("case id"))?,
        version: row.version,
        starts_at,
        release_at: policy::release_at(starts_at),
        counsellor: row
            .counsellor_id
            .parse()
            .map_err(|_| corrupt("counsellor id"))?,
        counsellor_username: username.to_owned(),
        booked_by: row.booked_by.clone(),
        booked_at: row.booked_at.clone(),
        delivered_at: row.delivered_at.as_deref().map(parse_time).transpose()?,
        delivered_by: row.delivered_by.clone(),
    })
}

/// What the custody rule needs to know about a case in `state`.
pub(crate) async fn report_facts(
    conn: &mut sqlx::AnyConnection,
    case: CaseId,
    state: CaseState,
) -> Result<ReportFacts, StoreError> {
    let current = current_row(conn, case).await?;
    let view = current
        .map(|(row, username)| view_of(&row, &username))
        .transpose()?;
    Ok(ReportFacts {
        state,
        appointment_at: view.as_ref().map(|a| a.starts_at),
        counsellor: view.as_ref().map(|a| a.counsellor),
        delivered_at: view.and_then(|a| a.delivered_at),
    })
}

/// The cases that are `scheduled` and whose current appointment's release
/// time has come at `now`.
async fn due_cases(
    conn: &mut sqlx::AnyConnection,
    now: DateTime<Utc>,
) -> Result<Vec<CaseId>, StoreError> {
    let rows = sqlx::query(
        "SELECT a.case_id, a.starts_at FROM appointments a JOIN cases c ON c.id = a.case_id \
         WHERE c.state = 'scheduled' AND a.version = \
         (SELECT MAX(v.version) FROM appointments v WHERE v.case_id = a.case_id) \
         ORDER BY a.starts_at, a.case_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut due = Vec::new();
    for row in rows {
        if policy::is_released(parse_time(&row.try_get::<String, _>("starts_at")?)?, now) {
            let id: String = row.try_get("case_id")?;
            due.push(
                id.parse()
                    .map_err(|_| StoreError::Corrupt(format!("case id '{id}'")))?,
            );
        }
    }
    Ok(due)
}

impl Store {
    /// The case's current appointment, if one was ever booked.
    pub async fn appointment(&self, case: CaseId) -> Result<Option<Appointment>, StoreError> {
        let mut conn = self.db.pool.acquire().await?;
        current_row(&mut conn, case)
            .await?
            .map(|(row, username)| view_of(&row, &username))
            .transpose()
    }
}

impl Centre {
    /// Step 5: `admin` marks an analysed case reviewed. A report must have
    /// been rendered first: reviewing means the admin checked the report the
    /// counsellor will receive, and a case without one would release
    /// nothing at step 7.
    pub async fn review_case(
        &self,
        admin: &Staff,
        case: CaseId,
        now: DateTime<Utc>,
    ) -> Result<CaseSummary, StoreError> {
        let actor = Actor::staff(admin.id);
        if let Decision::Deny(reason) = policy::may_administer(admin, now) {
            return Err(self.refusal(&actor, "case.review", case, reason).await);
        }
        let mut tx = self.begin(&actor).await?;
        let row = set_state(&mut tx, case, CaseState::Reviewed).await?;
        let rendered: i64 = sqlx::query("SELECT COUNT(*) AS n FROM reports WHERE case_id = $1")
            .bind(case.to_string())
            .fetch_one(&mut *tx.tx)
            .await?
            .try_get("n")?;
        if rendered == 0 {
            return Err(StoreError::NoReport(case.to_string()));
        }
        tx.record(
            "case.review",
            format!("case/{case}"),
            vec![(row.name(), row.digest())],
        );
        self.commit(tx).await?;
        summary_of(&row)
    }

    /// Step 6: `admin` books (or moves) the report appointment of a case
    /// for `starts_at` with the counsellor named `counsellor`.
    ///
    /// A reviewed case becomes `scheduled`; a scheduled one stays so; a
    /// released one goes back to `scheduled` when the new time's release is
    /// still to come. When the release time has already come, the case is
    /// released at once, in the same transaction.
    pub async fn schedule(
        &self,
        admin: &Staff,
        case: CaseId,
        starts_at: DateTime<Utc>,
        counsellor: &str,
        now: DateTime<Utc>,
    ) -> Result<AppointmentReceipt, StoreError> {
        let actor = Actor::staff(admin.id);
        if let Decision::Deny(reason) = policy::may_administer(admin, now) {
            return Err(self.refusal(&actor, "appointment.book", case, reason).await);
        }
        // Stored to the millisecond: what is returned is what is stored.
        let starts_at = parse_time(&stamp(starts_at))?;
        let mut tx = self.begin(&actor).await?;
        let named = sqlx::query("SELECT * FROM staff WHERE username = $1")
            .bind(counsellor)
            .fetch_optional(&mut *tx.tx)
            .await?
            .ok_or_else(|| StoreError::NoStaff(counsellor.to_owned()))?;
        let named = staff_of(&named)?;
        if let Decision::Deny(reason) = policy::may_book(&named, starts_at, now) {
            drop(tx);
            return Err(self.refusal(&actor, "appointment.book", case, reason).await);
        }
        let from = parse_state(&load_case(&mut tx.tx, case).await?.state)?;
        let previous = current_row(&mut tx.tx, case).await?;
        let due = policy::is_released(starts_at, now);
        let moved = if from == CaseState::ReleasedToCounsellor && due {
            None
        } else {
            Some(set_state(&mut tx, case, CaseState::Scheduled).await?)
        };
        let row = AppointmentRow {
            case_id: case.to_string(),
            version: previous.as_ref().map_or(0, |(p, _)| p.version) + 1,
            starts_at: stamp(starts_at),
            counsellor_id: named.id.to_string(),
            booked_by: actor.0.clone(),
            booked_at: stamp(now),
            delivered_at: None,
            delivered_by: None,
        };
        sqlx::query(
            "INSERT INTO appointments (case_id, version, starts_at, counsellor_id, booked_by, \
             booked_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&row.case_id)
        .bind(row.version)
        .bind(&row.starts_at)
        .bind(&row.counsellor_id)
        .bind(&row.booked_by)
        .bind(&row.booked_at)
        .execute(&mut *tx.tx)
        .await?;
        let mut digests = vec![(row.name(), row.digest())];
        digests.extend(moved.iter().map(|c| (c.name(), c.digest())));
        let action = if previous.is_some() {
            "appointment.reschedule"
        } else {
            "appointment.book"
        };
        tx.record(action, format!("case/{case}"), digests);
        let mut state = moved.map_or(Ok(from), |c| parse_state(&c.state))?;
        if state == CaseState::Scheduled && due {
            let released = set_state(&mut tx, case, CaseState::ReleasedToCounsellor).await?;
            tx.record(
                "case.release",
                format!("case/{case}"),
                vec![(released.name(), released.digest())],
            );
            state = CaseState::ReleasedToCounsellor;
        }
        self.commit(tx).await?;
        Ok(AppointmentReceipt {
            state,
            appointment: view_of(&row, &named.username)?,
        })
    }

    /// Step 7: releases to their counsellor every scheduled case whose
    /// appointment is at most three days after `now`; returns them. Nobody
    /// needs to act: `vantay serve` calls this periodically, and the
    /// hand-over and report openings call it first. Safe to run from many
    /// server instances at once: the cases are re-read under the ledger
    /// lock, so each is released once.
    pub async fn release_due(&self, now: DateTime<Utc>) -> Result<Vec<CaseId>, StoreError> {
        // A read first, so that a quiet minute takes no write lock.
        let mut conn = self.store.db.pool.acquire().await?;
        if due_cases(&mut conn, now).await?.is_empty() {
            return Ok(Vec::new());
        }
        drop(conn);
        let mut tx = self.begin(&Actor::scheduler()).await?;
        let due = due_cases(&mut tx.tx, now).await?;
        if due.is_empty() {
            // Another instance was first; dropping the transaction rolls it back.
            return Ok(due);
        }
        for case in &due {
            let row = set_state(&mut tx, *case, CaseState::ReleasedToCounsellor).await?;
            tx.record(
                "case.release",
                format!("case/{case}"),
                vec![(row.name(), row.digest())],
            );
        }
        self.commit(tx).await?;
        Ok(due)
    }

    /// Step 8: `staff` (the appointment's counsellor, or an admin) records
    /// that the report was handed to the customer at `now`. The
    /// counsellor's access ends one day later.
    pub async fn deliver(
        &self,
        staff: &Staff,
        case: CaseId,
        now: DateTime<Utc>,
    ) -> Result<AppointmentReceipt, StoreError> {
        // A release the timer has not made yet is made first, by the timer.
        self.release_due(now).await?;
        let actor = Actor::staff(staff.id);
        let mut tx = self.begin(&actor).await?;
        let state = parse_state(&load_case(&mut tx.tx, case).await?.state)?;
        let facts = report_facts(&mut tx.tx, case, state).await?;
        if let Decision::Deny(reason) = policy::may_record_delivery(staff, &facts, now) {
            drop(tx);
            return Err(self.refusal(&actor, "report.deliver", case, reason).await);
        }
        let moved = set_state(&mut tx, case, CaseState::Delivered).await?;
        let (mut row, username) = current_row(&mut tx.tx, case)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("case {case} was released unbooked")))?;
        row.delivered_at = Some(stamp(now));
        row.delivered_by = Some(actor.0.clone());
        sqlx::query(
            "UPDATE appointments SET delivered_at = $1, delivered_by = $2 \
             WHERE case_id = $3 AND version = $4",
        )
        .bind(&row.delivered_at)
        .bind(&row.delivered_by)
        .bind(&row.case_id)
        .bind(row.version)
        .execute(&mut *tx.tx)
        .await?;
        tx.record(
            "report.deliver",
            format!("case/{case}"),
            vec![(row.name(), row.digest()), (moved.name(), moved.digest())],
        );
        self.commit(tx).await?;
        Ok(AppointmentReceipt {
            state: CaseState::Delivered,
            appointment: view_of(&row, &username)?,
        })
    }
}
