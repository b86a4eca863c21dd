//! The customer's copy of their data (right of access), and the decrypting
//! reads that other parts use. Every such read is a ledger event.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::Serialize;
use sqlx::Row;
use vantay_domain::{CaseId, CustomerId};
use vantay_vault::{open_blob, open_field, DataKey};

use crate::blobs::BlobName;
use crate::cases::CaseSummary;
use crate::intake::{consent_aad, field_aad, print_aad};
use crate::rows::PrintRow;
use crate::{now_text, Actor, Centre, StoreError};

/// Everything the centre holds about a customer, decrypted.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerExport {
    /// What this is.
    pub kind: &'static str,
    /// The centre.
    pub centre: String,
    /// When it was made.
    pub exported_at: String,
    /// The customer.
    pub customer: CustomerId,
    /// Personal fields, newest version of each.
    pub fields: BTreeMap<String, String>,
    /// Consents given.
    pub consents: Vec<serde_json::Value>,
    /// Cases and their prints (images as base64 of the file as captured).
    pub cases: Vec<ExportedCase>,
}

/// One case in an export.
#[derive(Clone, Debug, Serialize)]
pub struct ExportedCase {
    /// The case.
    #[serde(flatten)]
    pub summary: CaseSummary,
    /// Its prints.
    pub prints: Vec<serde_json::Value>,
    /// The report appointment, once booked.
    pub appointment: Option<crate::Appointment>,
}

impl Centre {
    /// The customer's copy of their data. Refused after erasure.
    pub async fn export(
        &self,
        actor: &Actor,
        customer: CustomerId,
    ) -> Result<CustomerExport, StoreError> {
        let mut conn = self.store.db.pool.acquire().await?;
        let key = self.data_key(&mut conn, customer).await?;
        let fields = self.personal_fields(&mut conn, &key, customer).await?;
        let consents = self.consents(&mut conn, &key, customer).await?;
        drop(conn);
        let mut cases = Vec::new();
        for summary in self.store.customer_cases(customer).await? {
            let case = summary.case;
            let mut prints = Vec::new();
            for print in self.store.current_prints(case).await? {
                prints.push(self.exported_print(&key, customer, case, &print)?);
            }
            let appointment = self.store.appointment(case).await?;
            cases.push(ExportedCase {
                summary,
                prints,
                appointment,
            });
        }
        self.record_read(actor, "customer.export", customer).await?;
        Ok(CustomerExport {
            kind: "vantay-customer-export-v1",
            centre: self.origin.clone(),
            exported_at: now_text(),
            customer,
            fields,
            consents,
            cases,
        })
    }

    /// Records a read that decrypted personal data.
    pub(crate) async fn record_read(
        &self,
        actor: &Actor,
        action: &str,
        customer: CustomerId,
    ) -> Result<(), StoreError> {
        self.record_reads(actor, action, &[customer]).await
    }

    /// Records reads of many customers' personal data in one transaction,
    /// one ledger event each (a list page that shows many names, say).
    pub async fn record_reads(
        &self,
        actor: &Actor,
        action: &str,
        customers: &[CustomerId],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin(actor).await?;
        for customer in customers {
            tx.record(action, format!("customer/{customer}"), Vec::new());
        }
        self.commit(tx).await?;
        Ok(())
    }

    /// The newest version of each personal field, decrypted.
    pub(crate) async fn personal_fields(
        &self,
        conn: &mut sqlx::AnyConnection,
        key: &DataKey,
        customer: CustomerId,
    ) -> Result<BTreeMap<String, String>, StoreError> {
        let fields = self.versioned_fields(conn, key, customer).await?;
        Ok(fields.into_iter().map(|(f, (_, v))| (f, v)).collect())
    }

    /// The newest version of each personal field, decrypted, with its
    /// version number.
    pub(crate) async fn versioned_fields(
        &self,
        conn: &mut sqlx::AnyConnection,
        key: &DataKey,
        customer: CustomerId,
    ) -> Result<BTreeMap<String, (u32, String)>, StoreError> {
        let rows = sqlx::query("SELECT field, version, ciphertext FROM customer_fields WHERE customer_id = $1 ORDER BY field, version")
            .bind(customer.to_string())
            .fetch_all(&mut *conn)
            .await?;
        let mut fields = BTreeMap::new();
        for row in rows {
            let field: String = row.try_get("field")?;
            let version = row.try_get::<i64, _>("version")? as u32;
            let sealed: Vec<u8> = row.try_get("ciphertext")?;
            let plain = open_field(key, &field_aad(key, customer, &field, version), &sealed)
                .map_err(|_| StoreError::Tampered {
                    what: format!("field {field} v{version} of customer {customer}"),
                })?;
            let text = String::from_utf8(plain.to_vec())
                .map_err(|_| StoreError::Corrupt(format!("field {field} is not text")))?;
            fields.insert(field, (version, text));
        }
        Ok(fields)
    }

    async fn consents(
        &self,
        conn: &mut sqlx::AnyConnection,
        key: &DataKey,
        customer: CustomerId,
    ) -> Result<Vec<serde_json::Value>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM consents WHERE customer_id = $1 ORDER BY recorded_at")
                .bind(customer.to_string())
                .fetch_all(&mut *conn)
                .await?;
        let mut out = Vec::new();
        for row in rows {
            let id: String = row.try_get("id")?;
            let uuid = id
                .parse()
                .map_err(|_| StoreError::Corrupt("consent id".into()))?;
            let sealed: Vec<u8> = row.try_get("ciphertext")?;
            let details =
                open_field(key, &consent_aad(key, customer, uuid), &sealed).map_err(|_| {
                    StoreError::Tampered {
                        what: format!("consent {id}"),
                    }
                })?;
            let details: serde_json::Value = serde_json::from_slice(&details).unwrap_or_default();
            out.push(serde_json::json!({
                "id": id,
                "analysis": row.try_get::<i64, _>("analysis")? != 0,
                "marketing": row.try_get::<i64, _>("marketing")? != 0,
                "text_version": row.try_get::<String, _>("text_version")?,
                "recorded_at": row.try_get::<String, _>("recorded_at")?,
                "withdrawn_at": row.try_get::<Option<String>, _>("withdrawn_at")?,
                "signed_by": details["signed_by"],
                "signed_at": details["signed_at"],
            }));
        }
        Ok(out)
    }

    fn exported_print(
        &self,
        key: &DataKey,
        customer: CustomerId,
        case: CaseId,
        print: &PrintRow,
    ) -> Result<serde_json::Value, StoreError> {
        let mut value = serde_json::json!({ "finger": print.finger, "status": print.status });
        if print.status == "captured" {
            let image = self.open_image(key, customer, case, print)?;
            value["format"] = print.format.clone().into();
            value["width"] = print.width.into();
            value["height"] = print.height.into();
            value["ppi"] = print.ppi.into();
            value["image_base64"] = BASE64.encode(image).into();
        } else if let Some(sealed) = &print.missing_reason {
            let field = format!("missing:{}", print.finger);
            let reason = open_field(
                key,
                &print_aad(key, customer, case, &field, print.version as u32),
                sealed,
            )
            .map_err(|_| StoreError::Tampered {
                what: format!("missing reason of {}", print.finger),
            })?;
            value["missing_reason"] = String::from_utf8_lossy(&reason).into_owned().into();
        }
        Ok(value)
    }

    /// Decrypts a print's image file.
    pub(crate) fn open_image(
        &self,
        key: &DataKey,
        customer: CustomerId,
        case: CaseId,
        print: &PrintRow,
    ) -> Result<Vec<u8>, StoreError> {
        let what = || format!("image {} of case {case}", print.finger);
        let name = print
            .blob
            .as_deref()
            .and_then(BlobName::parse)
            .ok_or_else(|| StoreError::Corrupt(what()))?;
        let sealed = self
            .store
            .blobs
            .get(&name)
            .map_err(StoreError::io(format!("cannot read {}", what())))?;
        let field = format!("image:{}", print.finger);
        let plain = open_blob(
            key,
            &print_aad(key, customer, case, &field, print.version as u32),
            &sealed,
        )
        .map_err(|_| StoreError::Tampered { what: what() })?;
        Ok(plain.to_vec())
    }
}
