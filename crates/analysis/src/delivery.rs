//! Results on their way back: kept sealed until the centre has them, and
//! the requests this installation signs to fetch packages and deliver
//! results over HTTPS.

use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;
use vantay_vault::request::{RequestAuth, RequestTarget};

use crate::ledger::SYSTEM;
use crate::{stamp, AnalysisCentre, AnalysisError};

/// A sealed result not yet delivered to the centre.
#[derive(Clone, Debug)]
pub struct PendingResult {
    /// The work package it answers.
    pub package: Uuid,
    /// The result package's id.
    pub result: Uuid,
    /// The sealed result, encrypted to the centre and signed by us.
    pub sealed: Vec<u8>,
}

impl AnalysisCentre {
    /// Signs an HTTPS request with this installation's key.
    pub fn sign_request(&self, target: &RequestTarget<'_>, now: DateTime<Utc>) -> RequestAuth {
        RequestAuth::sign(&self.identity, target, now)
    }

    /// The sealed result of an answered package (to write to a file or
    /// download), whether or not it was delivered.
    pub async fn sealed_result(&self, package: Uuid) -> Result<Vec<u8>, AnalysisError> {
        let row = self.package_row(package).await?;
        row.try_get::<Option<Vec<u8>>, _>("result_sealed")?
            .ok_or(AnalysisError::NotAnswered(package))
    }

    /// Answered packages from the centre `partner_fingerprint` whose result
    /// it has not acknowledged yet, oldest first.
    pub async fn undelivered_results(
        &self,
        partner_fingerprint: &str,
    ) -> Result<Vec<PendingResult>, AnalysisError> {
        let rows = sqlx::query(
            "SELECT id, result_id, result_sealed FROM packages \
             WHERE partner_fingerprint = $1 AND state = 'answered' \
             AND result_sealed IS NOT NULL AND delivered_at IS NULL \
             ORDER BY answered_at, id",
        )
        .bind(partner_fingerprint)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let id = |column: &str| -> Result<Uuid, AnalysisError> {
                    row.try_get::<Option<String>, _>(column)?
                        .and_then(|text| text.parse().ok())
                        .ok_or_else(|| AnalysisError::Corrupt(format!("package {column}")))
                };
                Ok(PendingResult {
                    package: id("id")?,
                    result: id("result_id")?,
                    sealed: row.try_get("result_sealed")?,
                })
            })
            .collect()
    }

    /// Records that the centre accepted (or had already accepted) the
    /// result of `package`.
    pub async fn mark_delivered(
        &self,
        package: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), AnalysisError> {
        let mut journal = self.begin(SYSTEM).await?;
        let updated = sqlx::query(
            "UPDATE packages SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL",
        )
        .bind(stamp(now))
        .bind(package.to_string())
        .execute(&mut *journal.tx)
        .await?;
        // Delivered before: nothing changed, nothing to record.
        if updated.rows_affected() == 0 {
            return Ok(());
        }
        let id = package.to_string();
        journal.record_package("result.deliver", &id).await?;
        self.commit(journal).await
    }
}
