//! Creating and unlocking an analysis centre; its pinned partners.

use std::path::Path;

use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;
use vantay_vault::{
    CentreKeys, DataKey, Keyring, MasterKey, PublicIdentity, WrappedCentreKeys, WrappedDataKey,
    WrappedKey,
};

use crate::db::Db;
use crate::ledger::{Recorded, SYSTEM};
use crate::{stamp, AnalysisError};

/// An analysis centre with its keys open.
pub struct AnalysisCentre {
    pub(crate) db: Db,
    pub(crate) keyring: Keyring,
    pub(crate) identity: CentreKeys,
}

impl std::fmt::Debug for AnalysisCentre {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalysisCentre")
            .field("identity", &self.identity.public())
            .finish_non_exhaustive()
    }
}

/// A pinned centre.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Partner {
    /// The name it is pinned under.
    pub name: String,
    /// Its fingerprint, to read out on the phone.
    pub fingerprint: String,
    /// Its identity line.
    pub identity: String,
}

impl AnalysisCentre {
    /// Creates an installation: schema, keyring and identity (wrapped by `master`).
    pub async fn init(
        data_dir: &Path,
        database_url: Option<&str>,
        master: &MasterKey,
        name: &str,
    ) -> Result<AnalysisCentre, AnalysisError> {
        std::fs::create_dir_all(data_dir).map_err(|source| AnalysisError::Io {
            what: format!("cannot create {}", data_dir.display()),
            source,
        })?;
        let db = Db::connect(data_dir, database_url).await?;
        if meta(&db, "identity").await?.is_some() {
            let place = database_url.map_or_else(
                || data_dir.display().to_string(),
                |_| "the --database server".into(),
            );
            return Err(AnalysisError::AlreadyInitialised(place));
        }
        let (keyring, key_rows) = Keyring::create(master);
        let identity = CentreKeys::generate(name)?;
        let wrapped = serde_json::to_vec(&identity.wrap(&keyring)).expect("wrapped keys serialise");
        let mut tx = db.pool.begin().await?;
        sqlx::raw_sql(&db.schema()).execute(&mut *tx).await?;
        for row in &key_rows {
            sqlx::query("INSERT INTO domain_keys (domain, version, wrapped) VALUES ($1, $2, $3)")
                .bind(row.id.domain.as_str())
                .bind(row.id.version as i64)
                .bind(&row.wrapped)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO secrets (name, wrapped) VALUES ('identity', $1)")
            .bind(&wrapped)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO meta (key, value) VALUES ('identity', $1)")
            .bind(identity.public().to_line())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let centre = AnalysisCentre {
            db,
            keyring,
            identity,
        };
        centre.start_ledger().await?;
        Ok(centre)
    }

    /// Opens an installation with its master key.
    pub async fn unlock(
        data_dir: &Path,
        database_url: Option<&str>,
        master: &MasterKey,
    ) -> Result<AnalysisCentre, AnalysisError> {
        if database_url.is_none() && !data_dir.join(crate::SQLITE_FILE).exists() {
            return Err(AnalysisError::NotInitialised);
        }
        let db = Db::connect(data_dir, database_url).await?;
        if meta(&db, "identity").await?.is_none() {
            return Err(AnalysisError::NotInitialised);
        }
        // Every statement is `IF NOT EXISTS`: an installation made by an
        // older version gains the tables added since.
        sqlx::raw_sql(&db.schema()).execute(&db.pool).await?;
        let mut rows = Vec::new();
        for row in sqlx::query("SELECT domain, version, wrapped FROM domain_keys")
            .fetch_all(&db.pool)
            .await?
        {
            let domain: String = row.try_get("domain")?;
            let domain = vantay_vault::Domain::parse(&domain)
                .ok_or_else(|| AnalysisError::Corrupt(format!("key domain '{domain}'")))?;
            rows.push(WrappedKey {
                id: vantay_vault::KeyId::new(domain, row.try_get::<i64, _>("version")? as u32),
                wrapped: row.try_get("wrapped")?,
            });
        }
        let keyring = Keyring::open(master, &rows)?;
        let secret = sqlx::query("SELECT wrapped FROM secrets WHERE name = 'identity'")
            .fetch_one(&db.pool)
            .await?;
        let stored: WrappedCentreKeys =
            serde_json::from_slice(&secret.try_get::<Vec<u8>, _>("wrapped")?)
                .map_err(|_| AnalysisError::Tampered("the identity keys".into()))?;
        let identity = CentreKeys::unwrap(&keyring, &stored)
            .map_err(|_| AnalysisError::Tampered("the identity keys".into()))?;
        let centre = AnalysisCentre {
            db,
            keyring,
            identity,
        };
        // An installation made before the ledger starts one here.
        centre.start_ledger().await?;
        Ok(centre)
    }

    /// The public identity line to give the centres it works for.
    pub fn identity_line(&self) -> String {
        self.identity.public().to_line()
    }

    /// The public identity.
    pub fn public_identity(&self) -> PublicIdentity {
        self.identity.public()
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.db.pool.close().await;
    }

    /// Pins a centre's identity under `name`.
    pub async fn add_partner(
        &self,
        name: &str,
        identity: &PublicIdentity,
    ) -> Result<Partner, AnalysisError> {
        let partner = Partner {
            name: name.to_owned(),
            fingerprint: identity.fingerprint().to_string(),
            identity: identity.to_line(),
        };
        let mut journal = self.begin(SYSTEM).await?;
        let inserted = sqlx::query(
            "INSERT INTO partners (name, identity, fingerprint, added_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&partner.name)
        .bind(&partner.identity)
        .bind(&partner.fingerprint)
        .bind(stamp(chrono::Utc::now()))
        .execute(&mut *journal.tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(_)) => {
                return Err(AnalysisError::PartnerExists(name.to_owned()))
            }
            Err(err) => return Err(err.into()),
        }
        journal
            .record_rows(
                "partner.add",
                format!("partners/{}", partner.name),
                &[(Recorded::Partners, "name = $1", &[&partner.name])],
            )
            .await?;
        self.commit(journal).await?;
        Ok(partner)
    }

    /// The pinned centres.
    pub async fn partners(&self) -> Result<Vec<Partner>, AnalysisError> {
        let rows = sqlx::query("SELECT name, identity, fingerprint FROM partners ORDER BY name")
            .fetch_all(&self.db.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Partner {
                    name: r.try_get("name")?,
                    fingerprint: r.try_get("fingerprint")?,
                    identity: r.try_get("identity")?,
                })
            })
            .collect()
    }

    pub(crate) async fn pinned(&self) -> Result<Vec<PublicIdentity>, AnalysisError> {
        self.partners()
            .await?
            .iter()
            .map(|p| {
                PublicIdentity::parse(&p.identity)
                    .map_err(|_| AnalysisError::Corrupt(format!("partner {} identity", p.name)))
            })
            .collect()
    }

    /// The data key of a package, unwrapped from its row.
    pub(crate) fn package_key(
        &self,
        package: Uuid,
        row: &sqlx::any::AnyRow,
    ) -> Result<DataKey, AnalysisError> {
        let by: String = row.try_get("key_wrapped_by")?;
        let wrapped = WrappedDataKey {
            wrapped_by: by
                .parse()
                .map_err(|_| AnalysisError::Corrupt(format!("key id '{by}'")))?,
            generation: row.try_get::<i64, _>("key_generation")? as u32,
            wrapped: row.try_get("wrapped_key")?,
        };
        Ok(self.keyring.open_data_key(package, &wrapped)?)
    }
}

pub(crate) async fn meta(db: &Db, key: &str) -> Result<Option<String>, AnalysisError> {
    match sqlx::query("SELECT value FROM meta WHERE key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await
    {
        Ok(row) => Ok(row.map(|r| r.get("value"))),
        Err(sqlx::Error::Database(_)) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// The associated data of a value sealed under a package's key.
pub(crate) fn package_aad<'a>(
    key: &DataKey,
    package: Uuid,
    field: &'a str,
) -> vantay_vault::Aad<'a> {
    use vantay_vault::SealingKey;
    vantay_vault::Aad {
        table: "analysis",
        field,
        customer: package,
        record: package,
        version: 1,
        key_id: key.id(),
    }
}
