//! The analysis centre's own installation (`vantay analysis-center …`).
//!
//! A separate organisation from the centre, with its own data directory,
//! database, master key and identity. What it does, in order:
//!
//! 1. [`AnalysisCentre::add_partner`]: pins a centre's identity line.
//! 2. [`AnalysisCentre::receive`]: opens a work package addressed to it and
//!    signed by a pinned centre, stores its prints sealed under a key of its
//!    own, and queues one analysis job per print.
//! 3. [`AnalysisCentre::work`]: a worker takes jobs from the queue in the
//!    database (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on
//!    SQLite), so workers on several machines share one queue, and runs the
//!    engine ([`engine`]) on each print; once a package's prints are all
//!    read, each class is weighed by the customer's other fingers (`card`).
//! 4. [`AnalysisCentre::review`]: an analyst confirms or corrects a finger,
//!    or marks it unusable, which asks the centre to rescan it.
//! 5. [`AnalysisCentre::answer`]: signs the per-finger results, the analyst
//!    and the engine version, encrypted to the centre that sent the package.
//!
//! Nothing is stored unencrypted: prints, readings and reviews are sealed
//! under a data key per package, wrapped by the master key's keyring. Every
//! write and every look at a print is an event of the installation's own
//! Merkle ledger ([`AnalysisCentre::verify`], [`AnalysisCentre::checkpoint`]).
#![deny(missing_docs)]

mod analysts;
mod answer;
mod card;
mod centre;
mod db;
mod delivery;
pub mod engine;
mod jobs;
mod ledger;
mod receive;

pub use analysts::{
    Analyst, AnalystError, OneTimePassword, Session, SessionToken, IDLE_MINUTES, LOCK_MINUTES,
    MAX_FAILURES, MIN_PASSWORD_CHARS, SESSION_HOURS,
};
pub use answer::{
    is_unsure, needs_count, AnalystTasks, AnswerSummary, ReviewBelow, ReviewMark,
    REVIEW_BELOW_CONFIDENCE,
};
pub use centre::{AnalysisCentre, Partner};
pub use db::{Backend, SQLITE_FILE};
pub use delivery::PendingResult;
pub use jobs::{JobCounts, WorkReport, STALE_JOB};
pub use ledger::VerifyReport;
pub use receive::{PackageSummary, Received};

use uuid::Uuid;
use vantay_domain::Finger;

/// What can go wrong at the analysis centre. Messages say what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// The `--database` value is not a PostgreSQL or SQLite URL.
    #[error("'{0}' is not a database URL: use postgres://user@host/db or sqlite://path")]
    BadDatabaseUrl(String),
    /// `init` on a place that already holds an installation.
    #[error("an analysis centre already exists at {0}; use another --data directory or database")]
    AlreadyInitialised(String),
    /// No installation here.
    #[error("no analysis centre here: run `vantay analysis-center init` first (or pass the right --data / --database)")]
    NotInitialised,
    /// The master key does not open the stored keys.
    #[error(transparent)]
    Keys(#[from] vantay_vault::KeyringError),
    /// A name or an identity line was refused.
    #[error(transparent)]
    Identity(#[from] vantay_vault::IdentityError),
    /// The package was refused (damaged, forged, expired, not for us, unpinned sender).
    #[error("package refused: {0}")]
    Package(#[from] vantay_vault::PackageError),
    /// The decrypted package is not a valid payload.
    #[error("package refused: {0}")]
    Payload(#[from] vantay_exchange::PayloadError),
    /// A result was given where a work package was expected.
    #[error("package refused: it is a result, not a work package")]
    NotWork,
    /// The header's pseudonym differs from the payload's.
    #[error("package refused: its header and its content name different cases")]
    PseudonymMismatch,
    /// A partner of that name or fingerprint is already pinned.
    #[error("a partner named '{0}' or with the same fingerprint is already pinned")]
    PartnerExists(String),
    /// No package with that id was received.
    #[error("no package {0} was received here")]
    NoPackage(Uuid),
    /// The package was already answered.
    #[error("package {0} was already answered; a package is answered once")]
    AlreadyAnswered(Uuid),
    /// Some fingers are still being analysed.
    #[error("the engine has not finished fingers {}: run `vantay analysis-center work`, or answer with --auto", codes(.0))]
    NotReady(Vec<Finger>),
    /// A reviewed reading that cannot stand (e.g. ridge counts that do not fit its class).
    #[error("finger {finger}: {why}; give the right ridge counts (none for an arch, one for a loop, one or two for a whorl)")]
    BadReading {
        /// The finger.
        finger: Finger,
        /// What is wrong.
        why: String,
    },
    /// The package has no result yet.
    #[error("package {0} is not answered yet: review its fingers and answer it first")]
    NotAnswered(Uuid),
    /// `--auto` cannot accept the engine's reading of some fingers: it
    /// lacks the ridge counts its class needs (no core and delta found to
    /// count between), or the engine is unsure of the class. An analyst
    /// must review them first.
    #[error("{}", analyst_needed(.0))]
    AnalystNeeded(AnalystTasks),
    /// Some fingers were not reviewed and `--auto` was not given.
    #[error("fingers {} are not reviewed yet: review them, or answer with --auto to accept the engine's readings", codes(.0))]
    NotReviewed(Vec<Finger>),
    /// The finger is not in the package.
    #[error("finger {finger} is not in package {package}")]
    NoSuchFinger {
        /// The package.
        package: Uuid,
        /// The finger.
        finger: Finger,
    },
    /// A stored value did not decrypt: changed, moved or damaged.
    #[error("stored {0} could not be decrypted: it was changed, moved or damaged")]
    Tampered(String),
    /// The database holds something it should not.
    #[error("the analysis centre's database is inconsistent: {0}")]
    Corrupt(String),
    /// A setting outside what it may be.
    #[error("{0}")]
    BadSetting(String),
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

impl From<vantay_sql::ledger::LedgerTableError> for AnalysisError {
    fn from(err: vantay_sql::ledger::LedgerTableError) -> AnalysisError {
        match err {
            vantay_sql::ledger::LedgerTableError::Sql(err) => err.into(),
            vantay_sql::ledger::LedgerTableError::Corrupt(why) => {
                AnalysisError::Corrupt(format!("ledger head: {why}"))
            }
        }
    }
}

fn codes(fingers: &[Finger]) -> String {
    fingers
        .iter()
        .map(|f| f.code())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What [`AnalysisError::AnalystNeeded`] says: each group of fingers with
/// what an analyst does about it, in one message, so that one refusal names
/// everything left to do.
fn analyst_needed(
    AnalystTasks {
        uncounted,
        unsure,
        below,
    }: &AnalystTasks,
) -> String {
    let mut tasks = Vec::new();
    if !uncounted.is_empty() {
        tasks.push(format!(
            "the engine could not count the ridges of fingers {} (no core and delta found to count between): give their \
             counts (`vantay analysis-center review PACKAGE FINGER --ridge-counts N`, or on the \
             analyst page) or mark them for rescan",
            codes(uncounted)
        ));
    }
    if !unsure.is_empty() {
        tasks.push(format!(
            "the engine is unsure of the class of fingers {} (confidence under {} %): confirm \
             each reading (`vantay analysis-center review PACKAGE FINGER`, or on the analyst \
             page) or correct it (`--class C`)",
            codes(unsure),
            below.as_percent()
        ));
    }
    format!("{}; then answer again", tasks.join("; "))
}

/// The current time as stored: RFC 3339, UTC, milliseconds.
pub(crate) fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
