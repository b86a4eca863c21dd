//! Erasure on request: crypto-shredding a customer.
//!
//! The customer's wrapped data key is deleted, so every ciphertext sealed
//! under it (fields, consents' details, images, results, reports) can never
//! open again, even from a backup that still holds them. The rows and blobs
//! are removed too, the cases are marked `erased`, and the ledger records
//! every name removed. `verify` keeps passing: the ledger says each of them
//! is gone.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ed25519_dalek::Signer;
use serde::Serialize;
use sqlx::Row;
use vantay_domain::{CaseId, CaseState, CustomerId};

use crate::blobs::BlobName;
use crate::cases::{case_row, print_row, set_state};
use crate::intake::load_customer_row;
use crate::rows::{blob_entry, CustomerRow, REMOVED};
use crate::{now_text, Actor, Centre, StoreError};

/// A signed statement that a customer's data was destroyed.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ErasureCertificate {
    /// What this is.
    pub kind: &'static str,
    /// The centre.
    pub centre: String,
    /// The customer erased.
    pub customer: CustomerId,
    /// Their cases, now `erased`.
    pub cases: Vec<CaseId>,
    /// When.
    pub erased_at: String,
    /// How many stored values (rows and blobs) were destroyed.
    pub items_destroyed: usize,
    /// The ledger size after the erasure was recorded.
    pub ledger_size: u64,
    /// The ledger root at that size (hex).
    pub ledger_root: String,
    /// Ed25519 signature (base64) by the centre over the fields above, as
    /// the compact JSON of this object with `signature` set to "".
    pub signature: String,
}

impl Centre {
    /// Crypto-shreds `customer` and returns a signed certificate.
    pub async fn erase(
        &self,
        actor: &Actor,
        customer: CustomerId,
    ) -> Result<ErasureCertificate, StoreError> {
        let mut tx = self.begin(actor).await?;
        let row = sqlx::query("SELECT * FROM customers WHERE id = $1")
            .bind(customer.to_string())
            .fetch_optional(&mut *tx.tx)
            .await?
            .ok_or_else(|| StoreError::NoCustomer(customer.to_string()))?;
        let mut customer_row = load_customer_row(&row)?;
        if let Some(at) = customer_row.erased_at {
            return Err(StoreError::Erased {
                customer: customer.to_string(),
                at,
            });
        }
        let mut digests = Vec::new();
        let mut blobs = Vec::new();
        let mut cases = Vec::new();

        for table in ["customer_fields", "consents"] {
            digests.extend(self.remove_rows(&mut tx, table, customer).await?);
        }
        let case_rows = sqlx::query("SELECT * FROM cases WHERE customer_id = $1")
            .bind(customer.to_string())
            .fetch_all(&mut *tx.tx)
            .await?;
        for row in case_rows {
            let case: CaseId = case_row(&row)?
                .id
                .parse()
                .map_err(|_| StoreError::Corrupt("case id".into()))?;
            digests.extend(remove_results(&mut tx, case).await?);
            for (removed, case_blobs) in [
                remove_prints(&mut tx, case).await?,
                remove_reports(&mut tx, case).await?,
            ] {
                digests.extend(removed);
                blobs.extend(case_blobs);
            }
            let updated = set_state(&mut tx, case, CaseState::Erased).await?;
            digests.push((updated.name(), updated.digest()));
            cases.push(case);
        }

        let erased_at = now_text();
        customer_row = CustomerRow {
            key_wrapped_by: None,
            key_generation: None,
            wrapped_key: None,
            phone_token: None,
            name_token: None,
            erased_at: Some(erased_at.clone()),
            ..customer_row
        };
        sqlx::query(
            "UPDATE customers SET key_wrapped_by = NULL, key_generation = NULL, wrapped_key = NULL, \
             phone_token = NULL, name_token = NULL, erased_at = $1 WHERE id = $2",
        )
        .bind(&erased_at)
        .bind(customer.to_string())
        .execute(&mut *tx.tx)
        .await?;
        digests.push((customer_row.name(), customer_row.digest()));
        digests.extend(blobs.iter().map(|b| (blob_entry(b).0, REMOVED)));
        let items_destroyed = digests.iter().filter(|(_, d)| *d == REMOVED).count() + 1;
        tx.record("customer.erase", format!("customer/{customer}"), digests);
        let position = self.commit(tx).await?;

        // The rows are gone; blob files go after the commit, so a failed
        // commit leaves the customer whole rather than half-erased.
        for blob in &blobs {
            self.store
                .blobs
                .remove(blob)
                .map_err(StoreError::io("cannot remove an erased blob"))?;
        }
        Ok(self.certificate(customer, cases, erased_at, items_destroyed, &position))
    }

    async fn remove_rows(
        &self,
        tx: &mut crate::journal::WriteTx<'_>,
        table: &str,
        customer: CustomerId,
    ) -> Result<Vec<(String, vantay_ledger::Hash)>, StoreError> {
        let names = match table {
            "customer_fields" => {
                "SELECT customer_id, field, version FROM customer_fields WHERE customer_id = $1"
            }
            _ => "SELECT id FROM consents WHERE customer_id = $1",
        };
        let rows = sqlx::query(names)
            .bind(customer.to_string())
            .fetch_all(&mut *tx.tx)
            .await?;
        let mut removed = Vec::with_capacity(rows.len());
        for row in rows {
            let name = match table {
                "customer_fields" => format!(
                    "customer_fields/{}/{}/v{}",
                    row.try_get::<String, _>("customer_id")?,
                    row.try_get::<String, _>("field")?,
                    row.try_get::<i64, _>("version")?
                ),
                _ => format!("consents/{}", row.try_get::<String, _>("id")?),
            };
            removed.push((name, REMOVED));
        }
        sqlx::query(&format!("DELETE FROM {table} WHERE customer_id = $1"))
            .bind(customer.to_string())
            .execute(&mut *tx.tx)
            .await?;
        Ok(removed)
    }

    fn certificate(
        &self,
        customer: CustomerId,
        cases: Vec<CaseId>,
        erased_at: String,
        items_destroyed: usize,
        position: &crate::LedgerPosition,
    ) -> ErasureCertificate {
        let mut certificate = ErasureCertificate {
            kind: "vantay-erasure-certificate-v1",
            centre: self.origin.clone(),
            customer,
            cases,
            erased_at,
            items_destroyed,
            ledger_size: position.size,
            ledger_root: position.root.to_string(),
            signature: String::new(),
        };
        let body = serde_json::to_vec(&certificate).expect("a certificate serialises");
        let signature = self.identity.signing_key().sign(&body);
        certificate.signature = BASE64.encode(signature.to_bytes());
        certificate
    }
}

async fn remove_prints(
    tx: &mut crate::journal::WriteTx<'_>,
    case: CaseId,
) -> Result<(Vec<(String, vantay_ledger::Hash)>, Vec<BlobName>), StoreError> {
    let rows = sqlx::query("SELECT * FROM prints WHERE case_id = $1")
        .bind(case.to_string())
        .fetch_all(&mut *tx.tx)
        .await?;
    let mut removed = Vec::new();
    let mut blobs = Vec::new();
    for row in rows {
        let print = print_row(&row)?;
        removed.push((print.name(), REMOVED));
        if let Some(blob) = print.blob.as_deref().and_then(BlobName::parse) {
            blobs.push(blob);
        }
    }
    sqlx::query("DELETE FROM prints WHERE case_id = $1")
        .bind(case.to_string())
        .execute(&mut *tx.tx)
        .await?;
    Ok((removed, blobs))
}

async fn remove_reports(
    tx: &mut crate::journal::WriteTx<'_>,
    case: CaseId,
) -> Result<(Vec<(String, vantay_ledger::Hash)>, Vec<BlobName>), StoreError> {
    let rows = sqlx::query("SELECT version, blob FROM reports WHERE case_id = $1")
        .bind(case.to_string())
        .fetch_all(&mut *tx.tx)
        .await?;
    let mut removed = Vec::new();
    let mut blobs = Vec::new();
    for row in rows {
        removed.push((
            format!("reports/{case}/v{}", row.try_get::<i64, _>("version")?),
            REMOVED,
        ));
        blobs.extend(BlobName::parse(&row.try_get::<String, _>("blob")?));
    }
    sqlx::query("DELETE FROM reports WHERE case_id = $1")
        .bind(case.to_string())
        .execute(&mut *tx.tx)
        .await?;
    Ok((removed, blobs))
}

/// The case's analysis results: sealed under the customer's key, so already
/// unreadable once it is gone, but erasure removes the rows too.
async fn remove_results(
    tx: &mut crate::journal::WriteTx<'_>,
    case: CaseId,
) -> Result<Vec<(String, vantay_ledger::Hash)>, StoreError> {
    let rows = sqlx::query("SELECT id FROM results WHERE case_id = $1")
        .bind(case.to_string())
        .fetch_all(&mut *tx.tx)
        .await?;
    let mut removed = Vec::with_capacity(rows.len());
    for row in rows {
        removed.push((
            format!("results/{}", row.try_get::<String, _>("id")?),
            REMOVED,
        ));
    }
    sqlx::query("DELETE FROM results WHERE case_id = $1")
        .bind(case.to_string())
        .execute(&mut *tx.tx)
        .await?;
    Ok(removed)
}
