//! Receiving a work package: checked, opened, sealed under our own key,
//! one job queued per print.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;
use vantay_domain::Finger;
use vantay_exchange::{WorkPayload, WorkPrint};
use vantay_vault::{open_field, open_package, seal_field, PackageHeader, PackageKind};

use crate::centre::package_aad;
use crate::ledger::{Recorded, SYSTEM};
use crate::{stamp, AnalysisCentre, AnalysisError};

/// A received package, opened: what `open --out DIR` lays out.
#[derive(Debug)]
pub struct Received {
    /// The package's header (id, sender, pseudonym, expiry).
    pub header: PackageHeader,
    /// Its content.
    pub work: WorkPayload,
    /// Whether this call stored it (false: it had been received before).
    pub new: bool,
}

/// A package in the queue, as the analyst's list shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PackageSummary {
    /// The package id.
    pub id: Uuid,
    /// The case pseudonym.
    pub pseudonym: String,
    /// Finger codes.
    pub fingers: Vec<Finger>,
    /// When it arrived.
    pub received_at: String,
    /// Until when the centre accepts its result.
    pub expires_at: String,
    /// `received` or `answered`.
    pub state: String,
}

/// The sex and age band, sealed at rest like the prints.
#[derive(serde::Serialize, serde::Deserialize)]
struct Facts {
    sex: vantay_domain::Sex,
    age_band: String,
}

impl AnalysisCentre {
    /// Opens a package addressed to this centre and signed by a pinned
    /// partner; stores it (once) and queues its prints for the engine.
    pub async fn receive(
        &self,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Received, AnalysisError> {
        let pinned = self.pinned().await?;
        let (header, payload) = open_package(bytes, &self.identity, &pinned, now)?.into_parts();
        if header.kind != PackageKind::Work {
            return Err(AnalysisError::NotWork);
        }
        let work = WorkPayload::from_bytes(&payload)?;
        if work.pseudonym != header.pseudonym {
            return Err(AnalysisError::PseudonymMismatch);
        }
        let known = sqlx::query("SELECT id FROM packages WHERE id = $1")
            .bind(header.id.to_string())
            .fetch_optional(&self.db.pool)
            .await?
            .is_some();
        if known {
            // Opened again: its prints are in the caller's hands once more.
            self.record_access(SYSTEM, "package.reopen", format!("packages/{}", header.id))
                .await?;
        } else {
            self.store_package(&header, &work, now).await?;
        }
        Ok(Received {
            header,
            work,
            new: !known,
        })
    }

    async fn store_package(
        &self,
        header: &PackageHeader,
        work: &WorkPayload,
        now: DateTime<Utc>,
    ) -> Result<(), AnalysisError> {
        let id = header.id;
        let (key, wrapped) = self.keyring.new_data_key(id)?;
        let facts = serde_json::to_vec(&Facts {
            sex: work.sex,
            age_band: work.age_band.clone(),
        })
        .expect("facts serialise");
        let mut journal = self.begin(SYSTEM).await?;
        let tx = &mut journal.tx;
        sqlx::query(
            "INSERT INTO packages (id, partner_fingerprint, pseudonym, header, key_wrapped_by, \
             key_generation, wrapped_key, facts_ciphertext, fingers, received_at, expires_at, state) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'received')",
        )
        .bind(id.to_string())
        .bind(header.sender.to_string())
        .bind(&header.pseudonym)
        .bind(serde_json::to_string(header).expect("a header serialises"))
        .bind(wrapped.wrapped_by.to_string())
        .bind(wrapped.generation as i64)
        .bind(&wrapped.wrapped)
        .bind(seal_field(&key, &package_aad(&key, id, "facts"), &facts))
        .bind(finger_codes(&work.fingers()))
        .bind(stamp(now))
        .bind(stamp(header.expires))
        .execute(&mut **tx)
        .await?;
        for print in &work.prints {
            let field = format!("print:{}", print.finger);
            sqlx::query(
                "INSERT INTO prints (package_id, finger, ppi, width, height, ciphertext) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id.to_string())
            .bind(print.finger.code())
            .bind(print.ppi as i64)
            .bind(print.width as i64)
            .bind(print.height as i64)
            .bind(seal_field(&key, &package_aad(&key, id, &field), &print.wsq))
            .execute(&mut **tx)
            .await?;
            sqlx::query(
                "INSERT INTO jobs (id, package_id, finger, state) VALUES ($1, $2, $3, 'queued')",
            )
            .bind(Uuid::now_v7().to_string())
            .bind(id.to_string())
            .bind(print.finger.code())
            .execute(&mut **tx)
            .await?;
        }
        let id = id.to_string();
        journal
            .record_rows(
                "package.receive",
                format!("packages/{id}"),
                &[
                    (Recorded::Packages, "id = $1", &[&id]),
                    (Recorded::Prints, "package_id = $1", &[&id]),
                ],
            )
            .await?;
        self.commit(journal).await
    }

    /// Every package received, newest first.
    pub async fn packages(&self) -> Result<Vec<PackageSummary>, AnalysisError> {
        let rows = sqlx::query(
            "SELECT id, pseudonym, fingers, received_at, expires_at, state FROM packages \
             ORDER BY received_at DESC",
        )
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(summary_of).collect()
    }

    /// A package's row, or `NoPackage`.
    pub(crate) async fn package_row(&self, id: Uuid) -> Result<sqlx::any::AnyRow, AnalysisError> {
        sqlx::query("SELECT * FROM packages WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(AnalysisError::NoPackage(id))
    }

    /// One print of a package, decrypted. Whoever asks for it records why
    /// (a worker's reading, an analyst's overlay).
    pub(crate) async fn print(
        &self,
        package: Uuid,
        finger: Finger,
    ) -> Result<WorkPrint, AnalysisError> {
        let key = self.package_key(package, &self.package_row(package).await?)?;
        let row = sqlx::query("SELECT * FROM prints WHERE package_id = $1 AND finger = $2")
            .bind(package.to_string())
            .bind(finger.code())
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(AnalysisError::NoSuchFinger { package, finger })?;
        let field = format!("print:{finger}");
        let wsq = open_field(
            &key,
            &package_aad(&key, package, &field),
            &row.try_get::<Vec<u8>, _>("ciphertext")?,
        )
        .map_err(|_| AnalysisError::Tampered(format!("print {finger} of package {package}")))?;
        Ok(WorkPrint {
            finger,
            ppi: row.try_get::<i64, _>("ppi")? as u16,
            width: row.try_get::<i64, _>("width")? as u32,
            height: row.try_get::<i64, _>("height")? as u32,
            wsq: wsq.to_vec(),
        })
    }
}

pub(crate) fn finger_codes(fingers: &[Finger]) -> String {
    fingers
        .iter()
        .map(|f| f.code())
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn parse_fingers(codes: &str) -> Result<Vec<Finger>, AnalysisError> {
    codes
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse()
                .map_err(|_| AnalysisError::Corrupt(format!("finger '{c}'")))
        })
        .collect()
}

fn summary_of(row: &sqlx::any::AnyRow) -> Result<PackageSummary, AnalysisError> {
    let id: String = row.try_get("id")?;
    Ok(PackageSummary {
        id: id
            .parse()
            .map_err(|_| AnalysisError::Corrupt(format!("package id '{id}'")))?,
        pseudonym: row.try_get("pseudonym")?,
        fingers: parse_fingers(&row.try_get::<String, _>("fingers")?)?,
        received_at: row.try_get("received_at")?,
        expires_at: row.try_get("expires_at")?,
        state: row.try_get("state")?,
    })
}
