//! Work packages waiting to be pulled over HTTPS, and the request nonces
//! that stop a signed request from being used twice.
//!
//! A package dispatched for pulling ([`Centre::dispatch_for_pull`]) keeps its
//! sealed bytes here: they are already encrypted to the partner and signed
//! by the centre, so nothing unencrypted waits on the server. Only the
//! partner the package is addressed to can list or fetch it, and each fetch
//! is a ledger event. Erasing the customer deletes the waiting package.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;
use vantay_domain::CaseId;
use vantay_vault::Fingerprint;

use crate::exchange::{partner_of, partner_row, stamp, DispatchedPackage, ExchangeError, Partner};
use crate::journal::WriteTx;
use crate::{Actor, Centre, Store, StoreError};

/// How long a seen nonce is kept: longer than the window in which a
/// request's date is accepted, so a nonce is remembered while it could be
/// replayed.
const NONCE_MEMORY: chrono::Duration = chrono::Duration::minutes(15);

/// A package waiting for its partner, as the partner sees it in a listing.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct WaitingPackage {
    /// The package id.
    pub id: Uuid,
    /// When its result is no longer accepted.
    pub expires_at: String,
    /// When the partner first fetched it, if it has.
    pub fetched_at: Option<String>,
}

impl Store {
    /// The pinned partner with this identity fingerprint, if any.
    pub async fn partner_by_fingerprint(
        &self,
        fingerprint: Fingerprint,
    ) -> Result<Option<Partner>, StoreError> {
        let row = sqlx::query("SELECT * FROM partners WHERE fingerprint = $1")
            .bind(fingerprint.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        row.as_ref()
            .map(|r| partner_row(r).map(|p| partner_of(&p)))
            .transpose()
    }

    /// Remembers a signed request's nonce; `false` when it was seen before
    /// (a replay). Old nonces are forgotten on the way.
    pub async fn claim_request_nonce(
        &self,
        caller: Fingerprint,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.pool.begin().await?;
        sqlx::query("DELETE FROM request_nonces WHERE seen_at < $1")
            .bind(stamp(now - NONCE_MEMORY))
            .execute(&mut *tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO request_nonces (nonce, caller, seen_at) VALUES ($1, $2, $3) \
             ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(nonce)
        .bind(caller.to_string())
        .bind(stamp(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(inserted.rows_affected() == 1)
    }
}

impl Centre {
    /// Step 3 over HTTPS: like [`Centre::dispatch`], and the sealed package
    /// waits here until the partner pulls it.
    pub async fn dispatch_for_pull(
        &self,
        actor: &Actor,
        case: CaseId,
        partner: &str,
        now: DateTime<Utc>,
    ) -> Result<DispatchedPackage, ExchangeError> {
        self.dispatch_with(actor, case, partner, now, true).await
    }

    /// The open, unexpired packages waiting for the partner `caller`.
    pub async fn waiting_packages(
        &self,
        caller: Fingerprint,
        now: DateTime<Utc>,
    ) -> Result<Vec<WaitingPackage>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.id, p.expires_at, o.fetched_at FROM outbox o \
             JOIN packages p ON p.id = o.package_id \
             WHERE p.partner_fingerprint = $1 AND p.state = 'open' AND p.expires_at > $2 \
             ORDER BY p.created_at, p.id",
        )
        .bind(caller.to_string())
        .bind(stamp(now))
        .fetch_all(&self.store.db.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(WaitingPackage {
                    id: row
                        .try_get::<String, _>("id")?
                        .parse()
                        .map_err(|_| StoreError::Corrupt("outbox package id".into()))?,
                    expires_at: row.try_get("expires_at")?,
                    fetched_at: row.try_get("fetched_at")?,
                })
            })
            .collect()
    }

    /// The sealed bytes of a waiting package, for the partner it is
    /// addressed to; a ledger event. `None` when there is no such package
    /// for this caller (the same answer whether it does not exist or is
    /// someone else's, so a caller learns nothing about other partners).
    pub async fn fetch_waiting_package(
        &self,
        actor: &Actor,
        caller: Fingerprint,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let mut tx = self.begin(actor).await?;
        let row = sqlx::query(
            "SELECT o.sealed, o.case_id FROM outbox o JOIN packages p ON p.id = o.package_id \
             WHERE o.package_id = $1 AND p.partner_fingerprint = $2 AND p.state = 'open' \
             AND p.expires_at > $3",
        )
        .bind(id.to_string())
        .bind(caller.to_string())
        .bind(stamp(now))
        .fetch_optional(&mut *tx.tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Vec<u8> = row.try_get("sealed")?;
        let case: String = row.try_get("case_id")?;
        sqlx::query(
            "UPDATE outbox SET fetched_at = COALESCE(fetched_at, $1) WHERE package_id = $2",
        )
        .bind(stamp(now))
        .bind(id.to_string())
        .execute(&mut *tx.tx)
        .await?;
        // Under the case, so that its history shows when the package left.
        tx.record("package.fetch", format!("case/{case}"), Vec::new());
        self.commit(tx).await?;
        Ok(Some(sealed))
    }
}

/// Puts a freshly sealed package in the outbox, inside the dispatch's
/// transaction.
pub(crate) async fn insert_waiting(
    tx: &mut WriteTx<'_>,
    package: Uuid,
    case: CaseId,
    sealed: &[u8],
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO outbox (package_id, case_id, sealed) VALUES ($1, $2, $3)")
        .bind(package.to_string())
        .bind(case.to_string())
        .bind(sealed)
        .execute(&mut *tx.tx)
        .await?;
    Ok(())
}
