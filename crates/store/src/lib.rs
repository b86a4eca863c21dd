//! Persistence for a Vantay centre: customers, consents, cases and prints in
//! an embedded SQLite file (default) or PostgreSQL, encrypted blobs on disk,
//! and the Merkle ledger's rows.
//!
//! Two handles:
//! - [`Store`]: opened without the master key. It can [`Store::verify`] the
//!   whole store and print checkpoints — what an auditor needs, and nothing
//!   that decrypts.
//! - [`Centre`]: a store unlocked with the master key. Every method that
//!   writes, or reads personal data, appends a ledger event in the same
//!   transaction and stores a signed checkpoint.
//!
//! Every personal field and every image is sealed under the customer's data
//! key before it is written (see `vantay_vault`); the database holds
//! ciphertexts, wrapped keys and keyed look-up tokens only.
#![deny(missing_docs)]

mod appointments;
mod blobs;
mod cases;
mod centre;
mod consent;
mod correct;
mod db;
mod erase;
mod exchange;
mod export;
mod intake;
mod journal;
mod outbox;
mod reports;
mod rows;
mod staff;
mod verify;

use std::path::{Path, PathBuf};

pub use appointments::{Appointment, AppointmentReceipt};
pub use blobs::BlobName;
pub use cases::{CaseSummary, CaseView, HistoryEntry, PrintSummary};
pub use centre::{Centre, InitReport};
pub use consent::ConsentWithdrawal;
pub use correct::{CorrectionReceipt, CustomerCorrection, FoundCustomer, Lookup};
pub use db::{Backend, SQLITE_FILE};
pub use erase::ErasureCertificate;
pub use exchange::{
    DispatchedPackage, ExchangeError, ImportReceipt, Partner, PACKAGE_VALIDITY_DAYS,
};
pub use export::CustomerExport;
pub use intake::{CapturedImage, IntakeReceipt};
pub use journal::LedgerPosition;
pub use outbox::WaitingPackage;
pub use reports::{ReportMaterial, StoredReport};
pub use staff::{NewAgreement, NewStaff};
pub use verify::VerifyReport;

/// Who does something, as the ledger records it: a staff id or the local
/// operator, never a customer's personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    /// The operator at the command line, named by their system account.
    pub fn cli() -> Actor {
        let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME"));
        Actor(format!("cli:{}", user.unwrap_or_else(|_| "unknown".into())))
    }

    /// A staff account.
    pub fn staff(id: vantay_domain::StaffId) -> Actor {
        Actor(format!("staff:{id}"))
    }

    /// The centre's own clock: moves that nobody makes by hand, such as
    /// the release of a report to its counsellor (step 7).
    pub fn scheduler() -> Actor {
        Actor("system:scheduler".into())
    }
}

/// What can go wrong in the store. Messages say what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The `--database` value is not a PostgreSQL or SQLite URL.
    #[error("'{0}' is not a database URL: use postgres://user@host/db or sqlite://path")]
    BadDatabaseUrl(String),
    /// The database server could not be reached.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL, without its password.
        url: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// `init` was run on a directory or database that already holds a centre.
    #[error("a centre already exists at {0}; use another --data directory or database")]
    AlreadyInitialised(String),
    /// The database holds no centre.
    #[error("no centre here: run `vantay init` first (or pass the right --data / --database)")]
    NotInitialised,
    /// The master key does not open this centre's keys.
    #[error(transparent)]
    Keys(#[from] vantay_vault::KeyringError),
    /// The centre's name or stored identity is not valid.
    #[error(transparent)]
    Identity(#[from] vantay_vault::IdentityError),
    /// A stored value could not be decrypted: changed, moved or damaged.
    #[error("stored {what} could not be decrypted: it was changed, moved or damaged; run `vantay verify`")]
    Tampered {
        /// Which value.
        what: String,
    },
    /// The database holds something it should not (run `verify`).
    #[error("the store is inconsistent: {0}; run `vantay verify`")]
    Corrupt(String),
    /// No such customer.
    #[error("no customer {0}")]
    NoCustomer(String),

    /// A correction whose result would not pass the rules of a capture.
    #[error("dữ liệu sửa không hợp lệ / the correction is not valid:\n{}", .0.lines())]
    InvalidCorrection(vantay_domain::CaptureError),

    /// A look-up that cannot match anyone as typed.
    #[error("không tra cứu được / cannot look up: {0}")]
    BadLookup(String),
    /// The customer has no consent in force to withdraw.
    #[error("customer {0} has no consent in force to withdraw (withdrawn already, or erased)")]
    NoConsentInForce(String),
    /// No such case.
    #[error("no case {0}")]
    NoCase(String),
    /// No such staff account.
    #[error("no staff account '{0}'")]
    NoStaff(String),
    /// A new staff account's details are not valid.
    #[error(transparent)]
    StaffInput(#[from] vantay_domain::StaffInputError),
    /// The username is taken.
    #[error("a staff account '{0}' already exists; choose another username")]
    StaffExists(String),
    /// The account is already enabled, or already disabled.
    #[error("tài khoản '{username}' đã {vi} / the staff account '{username}' is already {en}")]
    StaffAlready {
        /// The account.
        username: String,
        /// "được bật" or "bị vô hiệu hoá".
        vi: &'static str,
        /// "enabled" or "disabled".
        en: &'static str,
    },
    /// The case has no rendered report yet.
    #[error("case {0} has no report yet: render one with `vantay report`")]
    NoReport(String),
    /// The case is not far enough along.
    #[error("case {case} is {state}; it must be {wanted} first")]
    NotReady {
        /// The case.
        case: String,
        /// Where it stands.
        state: String,
        /// Where it must be.
        wanted: &'static str,
    },
    /// The access policy refused; the reason reads in Vietnamese, then English.
    #[error("từ chối / refused: {0}")]
    Refused(vantay_domain::Reason),
    /// The customer was erased; nothing of their data remains.
    #[error("customer {customer} was erased on {at}; no personal data remains")]
    Erased {
        /// The customer.
        customer: String,
        /// When.
        at: String,
    },
    /// The case is not in a state that allows this.
    #[error(transparent)]
    Transition(#[from] vantay_domain::TransitionError),
    /// A file could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The database refused a statement.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<vantay_sql::ledger::LedgerTableError> for StoreError {
    fn from(err: vantay_sql::ledger::LedgerTableError) -> StoreError {
        match err {
            vantay_sql::ledger::LedgerTableError::Sql(err) => err.into(),
            vantay_sql::ledger::LedgerTableError::Corrupt(why) => {
                StoreError::Corrupt(format!("ledger head: {why}"))
            }
        }
    }
}

impl StoreError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StoreError {
        let what = what.into();
        move |source| StoreError::Io { what, source }
    }
}

/// A centre's store, opened without the master key.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: db::Db,
    pub(crate) blobs: blobs::BlobStore,
    data_dir: PathBuf,
}

impl Store {
    /// Opens the store at `data_dir` (blobs, and the SQLite file unless
    /// `database_url` names a server).
    pub async fn open(data_dir: &Path, database_url: Option<&str>) -> Result<Store, StoreError> {
        if database_url.is_none() && !data_dir.join(SQLITE_FILE).exists() {
            return Err(StoreError::NotInitialised);
        }
        let store = Store::connect(data_dir, database_url).await?;
        if store.meta("schema_version").await?.is_none() {
            return Err(StoreError::NotInitialised);
        }
        Ok(store)
    }

    pub(crate) async fn connect(
        data_dir: &Path,
        database_url: Option<&str>,
    ) -> Result<Store, StoreError> {
        let db = db::Db::connect(data_dir, database_url).await?;
        Ok(Store {
            db,
            blobs: blobs::BlobStore::new(data_dir),
            data_dir: data_dir.to_owned(),
        })
    }

    /// Which engine holds the rows.
    pub fn backend(&self) -> Backend {
        self.db.backend
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A value of the `meta` table (public settings: centre name, keys' public halves).
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let exists = sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.db.pool)
            .await;
        match exists {
            Ok(row) => Ok(row.map(|r| sqlx::Row::get(&r, "value"))),
            // A database without the table holds no centre.
            Err(sqlx::Error::Database(_)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// The latest signed checkpoint, as text to keep outside the server.
    pub async fn latest_checkpoint(&self) -> Result<String, StoreError> {
        vantay_sql::ledger::latest_checkpoint(&self.db.pool)
            .await?
            .ok_or(StoreError::NotInitialised)
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.db.pool.close().await;
    }
}

/// The current time as stored: RFC 3339, UTC, milliseconds.
pub(crate) fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
