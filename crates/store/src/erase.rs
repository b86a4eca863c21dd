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
use sqlx::any::AnyRow;
use sqlx::Row;
use vantay_domain::{CaseId, CaseState, CustomerId};

use crate::blobs::BlobName;
use crate::cases::{case_row, print_row, set_state};
use crate::intake::load_customer_row;
use crate::rows::{blob_entry, field_row_name, CustomerRow, REMOVED};
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

        let id = customer.to_string();
        for (table, name_of) in [
            ("customer_fields", field_name as RowName),
            ("consents", consent_name),
        ] {
            let (removed, _) = remove_rows(&mut tx, table, "customer_id", &id, name_of).await?;
            digests.extend(removed);
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
            let case_id = case.to_string();
            // A package still waiting to be pulled is encrypted to the
            // partner, not under the customer's key: shredding the key
            // would not reach it, so it goes.
            sqlx::query("DELETE FROM outbox WHERE case_id = $1")
                .bind(&case_id)
                .execute(&mut *tx.tx)
                .await?;
            for (table, name_of) in [
                ("prints", print_name as RowName),
                ("reports", report_name),
                ("results", result_name),
                ("appointments", appointment_name),
            ] {
                let (removed, case_blobs) =
                    remove_rows(&mut tx, table, "case_id", &case_id, name_of).await?;
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

/// How a row to be erased is named in the ledger, and the blob it points to.
type RowName = fn(&AnyRow) -> Result<(String, Option<BlobName>), StoreError>;

/// Deletes every row of `table` whose `column` is `key`; returns their
/// ledger names (marked removed) and the blobs they pointed to.
async fn remove_rows(
    tx: &mut crate::journal::WriteTx<'_>,
    table: &'static str,
    column: &'static str,
    key: &str,
    name_of: RowName,
) -> Result<(Vec<(String, vantay_ledger::Hash)>, Vec<BlobName>), StoreError> {
    let rows = sqlx::query(&format!("SELECT * FROM {table} WHERE {column} = $1"))
        .bind(key)
        .fetch_all(&mut *tx.tx)
        .await?;
    let mut removed = Vec::with_capacity(rows.len());
    let mut blobs = Vec::new();
    for row in &rows {
        let (name, blob) = name_of(row)?;
        removed.push((name, REMOVED));
        blobs.extend(blob);
    }
    sqlx::query(&format!("DELETE FROM {table} WHERE {column} = $1"))
        .bind(key)
        .execute(&mut *tx.tx)
        .await?;
    Ok((removed, blobs))
}

fn field_name(row: &AnyRow) -> Result<(String, Option<BlobName>), StoreError> {
    let (customer, field): (String, String) = (row.try_get("customer_id")?, row.try_get("field")?);
    let version: i64 = row.try_get("version")?;
    Ok((field_row_name(&customer, &field, version), None))
}

fn consent_name(row: &AnyRow) -> Result<(String, Option<BlobName>), StoreError> {
    Ok((
        format!("consents/{}", row.try_get::<String, _>("id")?),
        None,
    ))
}

fn print_name(row: &AnyRow) -> Result<(String, Option<BlobName>), StoreError> {
    let print = print_row(row)?;
    let blob = print.blob.as_deref().and_then(BlobName::parse);
    Ok((print.name(), blob))
}

fn report_name(row: &AnyRow) -> Result<(String, Option<BlobName>), StoreError> {
    let (case, version): (String, i64) = (row.try_get("case_id")?, row.try_get("version")?);
    Ok((
        format!("reports/{case}/v{version}"),
        BlobName::parse(&row.try_get::<String, _>("blob")?),
    ))
}

/// Results are sealed under the customer's key, so already unreadable once
/// it is gone; erasure removes the rows too.
fn result_name(row: &AnyRow) -> Result<(String, Option<BlobName>), StoreError> {
    Ok((format!("results/{}", row.try_get::<String, _>("id")?), None))
}

/// An appointment holds no personal field, but it ties the customer to a
/// time and a counsellor: erasure removes it with the rest.
fn appointment_name(row: &AnyRow) -> Result<(String, Option<BlobName>), StoreError> {
    Ok((crate::appointments::appointment_row(row)?.name(), None))
}
