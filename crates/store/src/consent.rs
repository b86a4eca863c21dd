//! Withdrawing a customer's consent to the analysis.
//!
//! The customer may take back their consent at any time. From then on no
//! case of theirs is dispatched ([`Centre::dispatch`] checks the newest
//! consent), and a package still waiting on this server to be pulled is
//! withdrawn too: it never leaves. A package the analysis centre already
//! holds cannot be called back by software; the operator is told which.

use sqlx::Row;
use uuid::Uuid;
use vantay_domain::CustomerId;

use crate::rows::ConsentRow;
use crate::{now_text, Actor, Centre, StoreError};

/// What [`Centre::withdraw_consent`] did.
#[derive(Clone, Debug, serde::Serialize, PartialEq, Eq)]
pub struct ConsentWithdrawal {
    /// The customer.
    pub customer: CustomerId,
    /// When the withdrawal was recorded.
    pub withdrawn_at: String,
    /// Packages that were waiting to be pulled and now never will be.
    pub packages_held_back: Vec<Uuid>,
    /// Packages the analysis centre already has (fetched or sent as files):
    /// ask it, by the agreed channel, to delete them.
    pub packages_already_sent: Vec<Uuid>,
}

impl Centre {
    /// Records that `customer` withdrew consent to the analysis; one ledger event.
    pub async fn withdraw_consent(
        &self,
        actor: &Actor,
        customer: CustomerId,
    ) -> Result<ConsentWithdrawal, StoreError> {
        let withdrawn_at = now_text();
        let mut tx = self.begin(actor).await?;
        let rows =
            sqlx::query("SELECT * FROM consents WHERE customer_id = $1 AND withdrawn_at IS NULL")
                .bind(customer.to_string())
                .fetch_all(&mut *tx.tx)
                .await?;
        if rows.is_empty() {
            return Err(StoreError::NoConsentInForce(customer.to_string()));
        }
        let mut digests = Vec::new();
        for row in &rows {
            let mut consent = consent_of(row)?;
            consent.withdrawn_at = Some(withdrawn_at.clone());
            sqlx::query("UPDATE consents SET withdrawn_at = $1 WHERE id = $2")
                .bind(&withdrawn_at)
                .bind(&consent.id)
                .execute(&mut *tx.tx)
                .await?;
            digests.push((consent.name(), consent.digest()));
        }
        let open = sqlx::query(
            "SELECT p.id, o.package_id AS waiting, o.fetched_at FROM packages p \
             JOIN cases c ON c.id = p.case_id \
             LEFT JOIN outbox o ON o.package_id = p.id \
             WHERE c.customer_id = $1 AND p.state = 'open' ORDER BY p.created_at",
        )
        .bind(customer.to_string())
        .fetch_all(&mut *tx.tx)
        .await?;
        let (mut held_back, mut sent) = (Vec::new(), Vec::new());
        for row in open {
            let id: String = row.try_get("id")?;
            let parsed = id
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("package id '{id}'")))?;
            let waiting = row.try_get::<Option<String>, _>("waiting")?.is_some();
            let fetched = row.try_get::<Option<String>, _>("fetched_at")?.is_some();
            if waiting && !fetched {
                sqlx::query("DELETE FROM outbox WHERE package_id = $1")
                    .bind(&id)
                    .execute(&mut *tx.tx)
                    .await?;
                held_back.push(parsed);
            } else {
                sent.push(parsed);
            }
        }
        tx.record("consent.withdraw", format!("customer/{customer}"), digests);
        self.commit(tx).await?;
        Ok(ConsentWithdrawal {
            customer,
            withdrawn_at,
            packages_held_back: held_back,
            packages_already_sent: sent,
        })
    }
}

/// A `consents` row as stored.
pub(crate) fn consent_of(row: &sqlx::any::AnyRow) -> Result<ConsentRow, StoreError> {
    Ok(ConsentRow {
        id: row.try_get("id")?,
        customer_id: row.try_get("customer_id")?,
        analysis: row.try_get::<i64, _>("analysis")? != 0,
        marketing: row.try_get::<i64, _>("marketing")? != 0,
        text_version: row.try_get("text_version")?,
        ciphertext: row.try_get("ciphertext")?,
        recorded_at: row.try_get("recorded_at")?,
        withdrawn_at: row.try_get("withdrawn_at")?,
    })
}
