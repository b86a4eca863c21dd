//! The analysis centre's own ledger: what it received, read, decided and
//! sent, in an RFC 6962 Merkle tree with checkpoints signed by its
//! identity key, kept as the centre's store keeps its own
//! ([`vantay_sql::ledger`]).
//!
//! The prints it holds are customers' biometric data, so the same promise
//! holds here: every stored row that matters (packages, prints, readings,
//! reviews, partners, analysts, keys) is recorded with its digest when it
//! is written, every look at a print by a person is an event, and
//! [`AnalysisCentre::verify`] finds any row added, changed, swapped or
//! deleted behind the installation's back, without the master key.
//! Sessions and login throttling are not recorded: they change on every
//! page and protect nothing by being kept.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};
use vantay_ledger::{Checkpoint, Event, Hash, SignedCheckpoint};
use vantay_sql::ledger::{self as table, digest};
use vantay_vault::PublicIdentity;

use crate::db::Db;
use crate::{AnalysisCentre, AnalysisError};

/// The actor of what the installation does by itself (receiving a package,
/// delivering a result) or by its operator at the command line.
pub(crate) const SYSTEM: &str = "system";

/// A stored table as the ledger records it: each row's name is the table's
/// and its key's, its digest covers every column listed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Recorded {
    Packages,
    Prints,
    /// The engine's readings, in `jobs` (the queue's own columns are not
    /// recorded: taking a job changes them and protects nothing).
    Readings,
    Reviews,
    Partners,
    Analysts,
    DomainKeys,
    Secrets,
    Meta,
}

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
    Bytes,
}

use Kind::{Bytes, Int, Text};

impl Recorded {
    const ALL: [Recorded; 9] = [
        Recorded::Packages,
        Recorded::Prints,
        Recorded::Readings,
        Recorded::Reviews,
        Recorded::Partners,
        Recorded::Analysts,
        Recorded::DomainKeys,
        Recorded::Secrets,
        Recorded::Meta,
    ];

    /// The name's prefix, the SQL table and the rows it holds.
    fn table(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Recorded::Packages => ("packages", "packages", "TRUE"),
            Recorded::Prints => ("prints", "prints", "TRUE"),
            Recorded::Readings => ("readings", "jobs", "reading_ciphertext IS NOT NULL"),
            Recorded::Reviews => ("reviews", "reviews", "TRUE"),
            Recorded::Partners => ("partners", "partners", "TRUE"),
            Recorded::Analysts => ("analysts", "analysts", "TRUE"),
            Recorded::DomainKeys => ("domain_keys", "domain_keys", "TRUE"),
            Recorded::Secrets => ("secrets", "secrets", "TRUE"),
            Recorded::Meta => ("meta", "meta", "TRUE"),
        }
    }

    /// The key columns (they name the row), then the other columns.
    fn columns(self) -> (&'static [&'static str], &'static [(&'static str, Kind)]) {
        match self {
            Recorded::Packages => (
                &["id"],
                &[
                    ("partner_fingerprint", Text),
                    ("pseudonym", Text),
                    ("header", Text),
                    ("key_wrapped_by", Text),
                    ("key_generation", Int),
                    ("wrapped_key", Bytes),
                    ("facts_ciphertext", Bytes),
                    ("fingers", Text),
                    ("received_at", Text),
                    ("expires_at", Text),
                    ("state", Text),
                    ("answered_at", Text),
                    ("result_id", Text),
                    ("result_sealed", Bytes),
                    ("delivered_at", Text),
                ],
            ),
            Recorded::Prints => (
                &["package_id", "finger"],
                &[
                    ("ppi", Int),
                    ("width", Int),
                    ("height", Int),
                    ("ciphertext", Bytes),
                ],
            ),
            Recorded::Readings => (
                &["package_id", "finger"],
                &[("engine", Text), ("reading_ciphertext", Bytes)],
            ),
            Recorded::Reviews => (
                &["package_id", "finger"],
                &[
                    ("analyst", Text),
                    ("outcome_ciphertext", Bytes),
                    ("reviewed_at", Text),
                ],
            ),
            Recorded::Partners => (
                &["name"],
                &[
                    ("identity", Text),
                    ("fingerprint", Text),
                    ("added_at", Text),
                ],
            ),
            Recorded::Analysts => (
                &["username"],
                &[
                    ("display_name", Text),
                    ("agreement_signed", Text),
                    ("password_hash", Text),
                    ("must_change_password", Int),
                    ("created_at", Text),
                ],
            ),
            Recorded::DomainKeys => (&["domain", "version"], &[("wrapped", Bytes)]),
            Recorded::Secrets => (&["name"], &[("wrapped", Bytes)]),
            Recorded::Meta => (&["key"], &[("value", Text)]),
        }
    }

    /// The row's ledger name and digest.
    fn entry(self, row: &AnyRow) -> Result<(String, Hash), AnalysisError> {
        let (prefix, _, _) = self.table();
        let (keys, columns) = self.columns();
        let mut name = prefix.to_owned();
        for key in keys {
            name.push('/');
            name.push_str(&String::from_utf8_lossy(&column(row, key, key_kind(key))?));
        }
        let mut parts = vec![name.clone().into_bytes()];
        for (column_name, kind) in columns {
            parts.push(column(row, column_name, *kind)?);
        }
        let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        Ok((name, digest(&parts)))
    }

    /// The entries of the rows that `filter` (SQL on the table, with `$1`…
    /// bound to `values`) selects.
    async fn entries(
        self,
        conn: &mut AnyConnection,
        filter: &str,
        values: &[&str],
    ) -> Result<Vec<(String, Hash)>, AnalysisError> {
        let (_, sql_table, rows) = self.table();
        let sql = format!("SELECT * FROM {sql_table} WHERE {rows} AND {filter}");
        let mut query = sqlx::query(&sql);
        for value in values {
            query = query.bind(*value);
        }
        query
            .fetch_all(conn)
            .await?
            .iter()
            .map(|row| self.entry(row))
            .collect()
    }
}

fn key_kind(column: &str) -> Kind {
    if column == "version" {
        Int
    } else {
        Text
    }
}

/// A column's bytes for the digest: integers as decimal text, and NULL as
/// a marker no text or ciphertext equals.
fn column(row: &AnyRow, name: &str, kind: Kind) -> Result<Vec<u8>, AnalysisError> {
    const NULL: &[u8] = b"\0null";
    Ok(match kind {
        Text => row
            .try_get::<Option<String>, _>(name)?
            .map_or_else(|| NULL.to_vec(), String::into_bytes),
        Int => row
            .try_get::<Option<i64>, _>(name)?
            .map_or_else(|| NULL.to_vec(), |v| v.to_string().into_bytes()),
        Bytes => row
            .try_get::<Option<Vec<u8>>, _>(name)?
            .unwrap_or_else(|| NULL.to_vec()),
    })
}

/// A write transaction that records what it does in the ledger.
pub(crate) struct Journal<'c> {
    pub tx: Transaction<'c, Any>,
    actor: String,
    events: Vec<Event>,
}

impl Journal<'_> {
    /// Records `action` on `object` with the digests of the rows of
    /// `recorded` that `filter` selects, as they stand now in this
    /// transaction (so what is recorded is exactly what was written).
    pub async fn record_rows(
        &mut self,
        action: &str,
        object: String,
        recorded: &[(Recorded, &str, &[&str])],
    ) -> Result<(), AnalysisError> {
        let mut digests = Vec::new();
        for (table, filter, values) in recorded {
            digests.extend(table.entries(&mut self.tx, filter, values).await?);
        }
        self.record(action, object, digests);
        Ok(())
    }

    /// Records `action` on package `id` with its row as it now stands.
    pub async fn record_package(&mut self, action: &str, id: &str) -> Result<(), AnalysisError> {
        self.record_rows(
            action,
            format!("packages/{id}"),
            &[(Recorded::Packages, "id = $1", &[id])],
        )
        .await
    }

    /// Records `action` on `object` with the given digests (none for a read).
    pub fn record(&mut self, action: &str, object: String, digests: Vec<(String, Hash)>) {
        self.events
            .push(table::event(&self.actor, action, object, digests));
    }
}

/// The outcome of [`AnalysisCentre::verify`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Ledger entries checked.
    pub entries: u64,
    /// Signed checkpoints checked.
    pub checkpoints: usize,
    /// Stored rows checked against the ledger.
    pub rows: usize,
    /// One line per problem; empty when intact.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// Whether nothing was wrong.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

impl AnalysisCentre {
    /// Opens a write transaction for `actor`, taking the ledger's lock first.
    pub(crate) async fn begin(&self, actor: &str) -> Result<Journal<'_>, AnalysisError> {
        let mut tx = self.db.pool.begin().await?;
        if !table::lock_head(&mut tx).await? {
            return Err(AnalysisError::NotInitialised);
        }
        Ok(Journal {
            tx,
            actor: actor.to_owned(),
            events: Vec::new(),
        })
    }

    /// Appends the journal's events, signs a checkpoint and commits it all.
    pub(crate) async fn commit(&self, mut journal: Journal<'_>) -> Result<(), AnalysisError> {
        let events = std::mem::take(&mut journal.events);
        table::append(&mut journal.tx, events, |size, root, time| {
            self.sign(size, root, time)
        })
        .await?;
        journal.tx.commit().await?;
        Ok(())
    }

    /// Records one event that writes nothing else: a person looking at a
    /// print, say.
    pub(crate) async fn record_access(
        &self,
        actor: &str,
        action: &str,
        object: String,
    ) -> Result<(), AnalysisError> {
        let mut journal = self.begin(actor).await?;
        journal.record(action, object, Vec::new());
        self.commit(journal).await
    }

    fn sign(&self, size: u64, root: Hash, time: i64) -> String {
        let checkpoint = Checkpoint {
            origin: self.origin(),
            size,
            root,
            time,
        };
        SignedCheckpoint::sign(checkpoint, self.identity.signing_key())
            .expect("an identity name is a valid origin")
            .to_text()
    }

    /// The ledger's origin line: the identity's name.
    fn origin(&self) -> String {
        self.identity.public().name().to_owned()
    }

    /// The newest signed checkpoint, to keep outside the installation and
    /// give back to [`Self::verify`] later.
    pub async fn checkpoint(&self) -> Result<String, AnalysisError> {
        table::latest_checkpoint(&self.db.pool)
            .await?
            .ok_or_else(|| AnalysisError::Corrupt("the ledger has no checkpoint".into()))
    }

    /// Checks every ledger entry and checkpoint, that every recorded row is
    /// stored exactly as last recorded, and (when given) that the ledger
    /// extends `external_checkpoint`.
    pub async fn verify(
        &self,
        external_checkpoint: Option<&str>,
    ) -> Result<VerifyReport, AnalysisError> {
        verify_db(&self.db, external_checkpoint).await
    }

    /// [`Self::verify`] without the master key, as an auditor runs it: the
    /// public key comes from the stored identity line, which an external
    /// checkpoint (signed by the real key) holds to account, since a
    /// replaced key cannot sign what was kept outside.
    pub async fn verify_at(
        data_dir: &std::path::Path,
        database_url: Option<&str>,
        external_checkpoint: Option<&str>,
    ) -> Result<VerifyReport, AnalysisError> {
        if database_url.is_none() && !data_dir.join(crate::SQLITE_FILE).exists() {
            return Err(AnalysisError::NotInitialised);
        }
        let db = Db::connect(data_dir, database_url).await?;
        let report = verify_db(&db, external_checkpoint).await;
        db.pool.close().await;
        report
    }

    /// Starts the ledger of an installation that has none: a new one, or
    /// one made by a version before the ledger, whose rows it takes as
    /// they stand (`ledger.start`, with every row's digest).
    pub(crate) async fn start_ledger(&self) -> Result<(), AnalysisError> {
        let mut conn = self.db.pool.acquire().await?;
        let has_head = sqlx::query("SELECT size FROM ledger_head WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?
            .is_some();
        if has_head {
            return Ok(());
        }
        table::create_head(&mut conn).await?;
        drop(conn);
        let mut journal = self.begin(SYSTEM).await?;
        let mut digests = Vec::new();
        for recorded in Recorded::ALL {
            digests.extend(recorded.entries(&mut journal.tx, "TRUE", &[]).await?);
        }
        // Two installers racing: the second finds entries already there.
        let size: i64 = sqlx::query("SELECT size FROM ledger_head WHERE id = 1")
            .fetch_one(&mut *journal.tx)
            .await?
            .try_get("size")?;
        if size > 0 {
            return Ok(());
        }
        journal.record(
            "ledger.start",
            format!("analysis/{}", self.origin()),
            digests,
        );
        self.commit(journal).await
    }
}

async fn verify_db(
    db: &Db,
    external_checkpoint: Option<&str>,
) -> Result<VerifyReport, AnalysisError> {
    let line = crate::centre::meta(db, "identity")
        .await?
        .ok_or(AnalysisError::NotInitialised)?;
    let identity = PublicIdentity::parse(&line)
        .map_err(|_| AnalysisError::Corrupt("the stored identity line".into()))?;
    let audited = table::audit(
        &db.pool,
        identity.verifying_key(),
        identity.name(),
        external_checkpoint,
    )
    .await?;
    let mut conn = db.pool.acquire().await?;
    let mut stored = Vec::new();
    for recorded in Recorded::ALL {
        stored.extend(recorded.entries(&mut conn, "TRUE", &[]).await?);
    }
    let mut report = VerifyReport {
        entries: audited.entries,
        checkpoints: audited.checkpoints,
        rows: stored.len(),
        problems: audited.problems,
    };
    report
        .problems
        .extend(table::compare_rows(&audited.recorded, stored, |_| false));
    Ok(report)
}
