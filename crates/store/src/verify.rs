//! `vantay verify`: is everything stored exactly what the ledger recorded?
//!
//! Needs no master key: it re-hashes stored ciphertexts and blobs, rebuilds
//! the Merkle tree, checks every signed checkpoint with the centre's public
//! key, and checks that the ledger extends a checkpoint kept elsewhere.

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ed25519_dalek::VerifyingKey;
use sqlx::Row;
use vantay_ledger::Hash;

use crate::blobs::BlobName;
use crate::cases::{case_row, print_row};
use crate::centre::domain_key_entry;
use crate::intake::load_customer_row;
use crate::rows::{digest, FieldRow, REMOVED};
use crate::{Store, StoreError};

/// The outcome of [`Store::verify`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Ledger entries checked.
    pub entries: u64,
    /// Signed checkpoints checked.
    pub checkpoints: usize,
    /// Stored rows checked against the ledger.
    pub rows: usize,
    /// Blob files checked.
    pub blobs: usize,
    /// One line per problem; empty when intact.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// Whether nothing was wrong.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What the ledger says each stored thing's digest is now.
type Recorded = HashMap<String, Hash>;

impl Store {
    /// Checks every stored record, blob and ledger entry, and (when given) that
    /// the ledger extends `external_checkpoint`.
    pub async fn verify(
        &self,
        external_checkpoint: Option<&str>,
    ) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport::default();
        let key = self.verifying_key().await?;
        let origin = self
            .meta("origin")
            .await?
            .ok_or(StoreError::NotInitialised)?;
        let audited =
            vantay_sql::ledger::audit(&self.db.pool, &key, &origin, external_checkpoint).await?;
        report.entries = audited.entries;
        report.checkpoints = audited.checkpoints;
        report.problems = audited.problems;
        self.check_rows(&mut report, &audited.recorded).await?;
        self.check_blobs(&mut report, &audited.recorded)?;
        Ok(report)
    }

    async fn verifying_key(&self) -> Result<VerifyingKey, StoreError> {
        let text = self
            .meta("verifying_key")
            .await?
            .ok_or(StoreError::NotInitialised)?;
        let bytes: [u8; 32] = BASE64
            .decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                StoreError::Corrupt("the stored verifying key is not 32 bytes of base64".into())
            })?;
        VerifyingKey::from_bytes(&bytes)
            .map_err(|_| StoreError::Corrupt("the stored verifying key is invalid".into()))
    }

    async fn check_rows(
        &self,
        report: &mut VerifyReport,
        recorded: &Recorded,
    ) -> Result<(), StoreError> {
        let mut stored: Vec<(String, Hash)> = Vec::new();
        for row in sqlx::query("SELECT * FROM customers")
            .fetch_all(&self.db.pool)
            .await?
        {
            let row = load_customer_row(&row)?;
            stored.push((row.name(), row.digest()));
        }
        for row in sqlx::query("SELECT * FROM customer_fields")
            .fetch_all(&self.db.pool)
            .await?
        {
            let row = FieldRow {
                customer_id: row.try_get("customer_id")?,
                field: row.try_get("field")?,
                version: row.try_get("version")?,
                ciphertext: row.try_get("ciphertext")?,
                written_at: row.try_get("written_at")?,
            };
            stored.push((row.name(), row.digest()));
        }
        for row in sqlx::query("SELECT * FROM consents")
            .fetch_all(&self.db.pool)
            .await?
        {
            let row = crate::consent::consent_of(&row)?;
            stored.push((row.name(), row.digest()));
        }
        for row in sqlx::query("SELECT * FROM cases")
            .fetch_all(&self.db.pool)
            .await?
        {
            let row = case_row(&row)?;
            stored.push((row.name(), row.digest()));
        }
        for row in sqlx::query("SELECT * FROM prints")
            .fetch_all(&self.db.pool)
            .await?
        {
            let row = print_row(&row)?;
            stored.push((row.name(), row.digest()));
        }
        for row in sqlx::query("SELECT * FROM reports")
            .fetch_all(&self.db.pool)
            .await?
        {
            let text = |column: &str| row.try_get::<String, _>(column);
            stored.push(crate::reports::report_entry(
                &text("case_id")?,
                row.try_get("version")?,
                &text("blob")?,
                (&text("table_version")?, &text("table_sha256")?),
                &text("rendered_by")?,
                &text("rendered_at")?,
            ));
        }
        for row in sqlx::query("SELECT * FROM appointments")
            .fetch_all(&self.db.pool)
            .await?
        {
            let row = crate::appointments::appointment_row(&row)?;
            stored.push((row.name(), row.digest()));
        }
        // Staff rows: who may reach customer data. A row edited behind the
        // centre's back (an agreement extended, a disabled account enabled,
        // a password hash swapped) no longer matches its last ledger event.
        for row in sqlx::query("SELECT * FROM staff")
            .fetch_all(&self.db.pool)
            .await?
        {
            let staff = crate::reports::staff_of(&row)?;
            stored.push(crate::staff::staff_entry_as_recorded(
                &staff,
                &row.try_get::<String, _>("password_hash")?,
                recorded,
            ));
        }
        for row in sqlx::query("SELECT domain, version, wrapped FROM domain_keys")
            .fetch_all(&self.db.pool)
            .await?
        {
            let (domain, version): (String, i64) =
                (row.try_get("domain")?, row.try_get("version")?);
            stored.push(domain_key_entry(
                &domain,
                version,
                &row.try_get::<Vec<u8>, _>("wrapped")?,
            ));
        }
        for row in sqlx::query("SELECT name, wrapped FROM centre_secrets")
            .fetch_all(&self.db.pool)
            .await?
        {
            let name = format!("centre_secrets/{}", row.try_get::<String, _>("name")?);
            let hash = digest(&[name.as_bytes(), &row.try_get::<Vec<u8>, _>("wrapped")?]);
            stored.push((name, hash));
        }
        self.exchange_rows(&mut stored).await?;
        report.rows = stored.len();
        report
            .problems
            .extend(vantay_sql::ledger::compare_rows(recorded, stored, |name| {
                name.starts_with("blobs/")
            }));
        Ok(())
    }

    fn check_blobs(
        &self,
        report: &mut VerifyReport,
        recorded: &Recorded,
    ) -> Result<(), StoreError> {
        let files = self
            .blobs
            .list()
            .map_err(StoreError::io("cannot list the blob directory"))?;
        report.blobs = files.len();
        let mut seen = std::collections::HashSet::new();
        for (file_name, path) in files {
            let Some(name) = BlobName::parse(&file_name) else {
                report
                    .problems
                    .push(format!("blobs/{file_name}: a stray file that is no blob"));
                continue;
            };
            let bytes = std::fs::read(&path)
                .map_err(StoreError::io(format!("cannot read {}", path.display())))?;
            let entry = format!("blobs/{}", name.as_str());
            if BlobName::of(&bytes) != name {
                report.problems.push(format!(
                    "{entry}: its bytes were changed (they no longer hash to its name)"
                ));
            } else if recorded.get(&entry).is_none_or(|h| *h == REMOVED) {
                report
                    .problems
                    .push(format!("{entry}: stored but not recorded in the ledger"));
            }
            seen.insert(entry);
        }
        let mut missing: Vec<&String> = recorded
            .iter()
            .filter(|(name, hash)| {
                name.starts_with("blobs/") && **hash != REMOVED && !seen.contains(*name)
            })
            .map(|(name, _)| name)
            .collect();
        missing.sort();
        for name in missing {
            report.problems.push(format!(
                "{name}: recorded in the ledger but the file is gone"
            ));
        }
        Ok(())
    }

    /// The exchange's rows: pinned partners, packages sent, results accepted.
    async fn exchange_rows(&self, stored: &mut Vec<(String, Hash)>) -> Result<(), StoreError> {
        for row in sqlx::query("SELECT * FROM partners")
            .fetch_all(&self.db.pool)
            .await?
        {
            let row = crate::exchange::partner_row(&row)?;
            stored.push((row.name(), row.digest()));
        }
        for row in sqlx::query("SELECT * FROM packages")
            .fetch_all(&self.db.pool)
            .await?
        {
            let row = crate::exchange::package_row(&row)?;
            stored.push((row.name(), row.digest()));
        }
        for row in sqlx::query("SELECT * FROM results")
            .fetch_all(&self.db.pool)
            .await?
        {
            let row = crate::exchange::result_row(&row)?;
            stored.push((row.name(), row.digest()));
        }
        Ok(())
    }
}
