//! Rendered reports in custody (steps 5, 7, 8): sealed under the customer's
//! data key, every rendering and every opening a ledger event, and every
//! opening asked of [`vantay_domain::policy::may_open_report`] first, with
//! the case's stored appointment, counsellor and hand-over time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use vantay_domain::policy::{may_open_report, Decision, ReportReader};
use vantay_domain::{Agreement, CaseId, CaseState, CustomerId, Finger, Role, Staff, StaffId};
use vantay_vault::{open_blob, seal_blob, Aad, DataKey, SealingKey};

use crate::appointments::report_facts;
use crate::blobs::BlobName;
use crate::cases::load_case;
use crate::rows::{blob_entry, digest};
use crate::{now_text, Actor, Centre, Store, StoreError};

/// What a report is made of, decrypted for rendering.
#[derive(Clone, Debug)]
pub struct ReportMaterial {
    /// The case.
    pub case: CaseId,
    /// Its customer.
    pub customer: CustomerId,
    /// The case pseudonym (printed in the watermark).
    pub pseudonym: String,
    /// Personal fields (full name, date of birth, sex …).
    pub fields: BTreeMap<String, String>,
    /// The captured images: finger, format, the file's bytes.
    pub images: Vec<(Finger, String, Vec<u8>)>,
}

/// A stored rendering.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct StoredReport {
    /// The case.
    pub case: CaseId,
    /// 1 for the first rendering.
    pub version: i64,
    /// The interpretation table's version.
    pub table_version: String,
    /// The interpretation table's SHA-256 (hex), to reproduce the report.
    pub table_sha256: String,
    /// Who rendered it.
    pub rendered_by: String,
    /// When.
    pub rendered_at: String,
}

/// The ledger name and digest of a `reports` row.
pub(crate) fn report_entry(
    case: &str,
    version: i64,
    blob: &str,
    table: (&str, &str),
    by: &str,
    at: &str,
) -> (String, vantay_ledger::Hash) {
    let name = format!("reports/{case}/v{version}");
    let hash = digest(&[
        name.as_bytes(),
        blob.as_bytes(),
        table.0.as_bytes(),
        table.1.as_bytes(),
        by.as_bytes(),
        at.as_bytes(),
    ]);
    (name, hash)
}

fn report_aad(key: &DataKey, customer: CustomerId, case: CaseId, version: i64) -> Aad<'static> {
    Aad {
        table: "reports",
        field: "pdf",
        customer: customer.as_uuid(),
        record: case.as_uuid(),
        version: version as u32,
        key_id: key.id(),
    }
}

impl Store {
    /// A staff account by login name.
    pub async fn staff_by_username(&self, username: &str) -> Result<Staff, StoreError> {
        let row = sqlx::query("SELECT * FROM staff WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or_else(|| StoreError::NoStaff(username.to_owned()))?;
        staff_of(&row)
    }

    /// The renderings of a case, oldest first (no content).
    pub async fn reports(&self, case: CaseId) -> Result<Vec<StoredReport>, StoreError> {
        let rows = sqlx::query("SELECT * FROM reports WHERE case_id = $1 ORDER BY version")
            .bind(case.to_string())
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredReport {
                    case,
                    version: row.try_get("version")?,
                    table_version: row.try_get("table_version")?,
                    table_sha256: row.try_get("table_sha256")?,
                    rendered_by: row.try_get("rendered_by")?,
                    rendered_at: row.try_get("rendered_at")?,
                })
            })
            .collect()
    }
}

impl Centre {
    /// Decrypts what a report needs; a recorded read. Only for an analysed case.
    pub async fn report_material(
        &self,
        actor: &Actor,
        case: CaseId,
    ) -> Result<ReportMaterial, StoreError> {
        let mut conn = self.store.db.pool.acquire().await?;
        let row = load_case(&mut conn, case).await?;
        let customer: CustomerId = row
            .customer_id
            .parse()
            .map_err(|_| StoreError::Corrupt("customer id".into()))?;
        let state: CaseState = row
            .state
            .parse()
            .map_err(|_| StoreError::Corrupt("case state".into()))?;
        if state < CaseState::Analysed || state == CaseState::Erased {
            return Err(StoreError::NotReady {
                case: case.to_string(),
                state: state.to_string(),
                wanted: "analysed",
            });
        }
        let key = self.data_key(&mut conn, customer).await?;
        let fields = self.personal_fields(&mut conn, &key, customer).await?;
        drop(conn);
        let mut images = Vec::new();
        for print in self.store.current_prints(case).await? {
            if print.status == "captured" {
                let finger = print
                    .finger
                    .parse()
                    .map_err(|_| StoreError::Corrupt("finger code".into()))?;
                let bytes = self.open_image(&key, customer, case, &print)?;
                images.push((finger, print.format.clone().unwrap_or_default(), bytes));
            }
        }
        self.record_read(actor, "report.material", customer).await?;
        Ok(ReportMaterial {
            case,
            customer,
            pseudonym: row.pseudonym,
            fields,
            images,
        })
    }

    /// Stores a rendered report, sealed under the customer's key.
    pub async fn save_report(
        &self,
        actor: &Actor,
        case: CaseId,
        pdf: &[u8],
        table_version: &str,
        table_sha256: &str,
    ) -> Result<StoredReport, StoreError> {
        let mut conn = self.store.db.pool.acquire().await?;
        let row = load_case(&mut conn, case).await?;
        let customer: CustomerId = row
            .customer_id
            .parse()
            .map_err(|_| StoreError::Corrupt("customer id".into()))?;
        let key = self.data_key(&mut conn, customer).await?;
        drop(conn);
        let mut tx = self.begin(actor).await?;
        let last: Option<i64> =
            sqlx::query("SELECT MAX(version) AS v FROM reports WHERE case_id = $1")
                .bind(case.to_string())
                .fetch_one(&mut *tx.tx)
                .await?
                .try_get("v")?;
        let version = last.unwrap_or(0) + 1;
        let sealed = seal_blob(&key, &report_aad(&key, customer, case, version), pdf);
        let blob = self
            .store
            .blobs
            .put(&sealed)
            .map_err(StoreError::io("cannot write the report blob"))?;
        let at = now_text();
        let inserted = sqlx::query(
            "INSERT INTO reports (case_id, version, blob, table_version, table_sha256, rendered_by, rendered_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(case.to_string())
        .bind(version)
        .bind(blob.as_str())
        .bind(table_version)
        .bind(table_sha256)
        .bind(&actor.0)
        .bind(&at)
        .execute(&mut *tx.tx)
        .await;
        if let Err(err) = inserted {
            let _ = self.store.blobs.remove(&blob);
            return Err(err.into());
        }
        let entry = report_entry(
            &case.to_string(),
            version,
            blob.as_str(),
            (table_version, table_sha256),
            &actor.0,
            &at,
        );
        tx.record(
            "report.render",
            format!("case/{case}"),
            vec![entry, blob_entry(&blob)],
        );
        self.commit(tx).await?;
        Ok(StoredReport {
            case,
            version,
            table_version: table_version.into(),
            table_sha256: table_sha256.into(),
            rendered_by: actor.0.clone(),
            rendered_at: at,
        })
    }

    /// Opens the newest rendering of a case for `staff`, if the custody rule
    /// allows it now; the opening is recorded either way.
    pub async fn open_report(
        &self,
        staff: &Staff,
        case: CaseId,
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>, StoreError> {
        let actor = Actor::staff(staff.id);
        // The state follows the clock before anyone reads by it.
        self.release_due(now).await?;
        let mut conn = self.store.db.pool.acquire().await?;
        let row = load_case(&mut conn, case).await?;
        let customer: CustomerId = row
            .customer_id
            .parse()
            .map_err(|_| StoreError::Corrupt("customer id".into()))?;
        let state = row
            .state
            .parse()
            .map_err(|_| StoreError::Corrupt("case state".into()))?;
        // The appointment, its counsellor and the hand-over as stored.
        let facts = report_facts(&mut conn, case, state).await?;
        if let Decision::Deny(reason) = may_open_report(&ReportReader::Staff(staff), &facts, now) {
            drop(conn);
            return Err(self.refusal(&actor, "report.open", case, reason).await);
        }
        let stored = sqlx::query(
            "SELECT version, blob FROM reports WHERE case_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(case.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NoReport(case.to_string()))?;
        let version: i64 = stored.try_get("version")?;
        let key = self.data_key(&mut conn, customer).await?;
        drop(conn);
        let name = BlobName::parse(&stored.try_get::<String, _>("blob")?)
            .ok_or_else(|| StoreError::Corrupt("report blob name".into()))?;
        let sealed = self
            .store
            .blobs
            .get(&name)
            .map_err(StoreError::io("cannot read the report"))?;
        let pdf =
            open_blob(&key, &report_aad(&key, customer, case, version), &sealed).map_err(|_| {
                StoreError::Tampered {
                    what: format!("report v{version} of case {case}"),
                }
            })?;
        let mut tx = self.begin(&actor).await?;
        tx.record("report.open", format!("case/{case}"), Vec::new());
        self.commit(tx).await?;
        Ok(pdf.to_vec())
    }
}

pub(crate) fn staff_of(row: &sqlx::any::AnyRow) -> Result<Staff, StoreError> {
    let id: String = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    let date = |column: &str| -> Result<Option<chrono::NaiveDate>, StoreError> {
        Ok(row
            .try_get::<Option<String>, _>(column)?
            .and_then(|d| d.parse().ok()))
    };
    let agreement = match (
        row.try_get::<Option<String>, _>("agreement_version")?,
        date("agreement_signed_on")?,
        date("agreement_expires_on")?,
    ) {
        (Some(document_version), Some(signed_on), Some(expires_on)) => Some(Agreement {
            document_version,
            signed_on,
            expires_on,
        }),
        _ => None,
    };
    Ok(Staff {
        id: id
            .parse::<StaffId>()
            .map_err(|_| StoreError::Corrupt("staff id".into()))?,
        username: row.try_get("username")?,
        role: role
            .parse::<Role>()
            .map_err(|_| StoreError::Corrupt(format!("role '{role}'")))?,
        agreement,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
    })
}
