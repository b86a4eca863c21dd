//! The analysis centre's database: the connection comes from `vantay-sql`
//! (one SQL dialect for SQLite and PostgreSQL, as in the centre's store);
//! the schema is here.

use std::path::Path;

use sqlx::AnyPool;
pub use vantay_sql::Backend;

use crate::AnalysisError;

/// The embedded database's file name.
pub const SQLITE_FILE: &str = "analysis.db";

#[derive(Clone, Debug)]
pub(crate) struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

impl Db {
    pub async fn connect(data_dir: &Path, url: Option<&str>) -> Result<Db, AnalysisError> {
        let (pool, backend) = vantay_sql::connect(url, &data_dir.join(SQLITE_FILE))
            .await
            .map_err(|err| match err {
                vantay_sql::ConnectError::BadUrl(url) => AnalysisError::BadDatabaseUrl(url),
                vantay_sql::ConnectError::Connect { source, .. } => source.into(),
            })?;
        Ok(Db { pool, backend })
    }

    pub fn schema(&self) -> String {
        // The ledger's tables are vantay-sql's, kept as the centre keeps its own.
        self.backend
            .dialect(&[SCHEMA, vantay_sql::ledger::LEDGER_SCHEMA].concat())
    }
}

/// Schema version 1. Prints, readings and reviews lie only in `*ciphertext`
/// columns, sealed under the package's data key (`wrapped_key`).
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS domain_keys (
    domain TEXT NOT NULL,
    version BIGINT NOT NULL,
    wrapped BYTES NOT NULL,
    PRIMARY KEY (domain, version)
);
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    wrapped BYTES NOT NULL
);
CREATE TABLE IF NOT EXISTS partners (
    name TEXT PRIMARY KEY,
    identity TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS packages (
    id TEXT PRIMARY KEY,
    partner_fingerprint TEXT NOT NULL,
    pseudonym TEXT NOT NULL,
    header TEXT NOT NULL,
    key_wrapped_by TEXT NOT NULL,
    key_generation BIGINT NOT NULL,
    wrapped_key BYTES NOT NULL,
    facts_ciphertext BYTES NOT NULL,
    fingers TEXT NOT NULL,
    received_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    state TEXT NOT NULL,
    answered_at TEXT,
    result_id TEXT,
    -- the sealed result (already encrypted to the centre), kept until it
    -- is delivered over HTTPS or fetched as a file
    result_sealed BYTES,
    delivered_at TEXT
);
CREATE TABLE IF NOT EXISTS prints (
    package_id TEXT NOT NULL REFERENCES packages (id),
    finger TEXT NOT NULL,
    ppi BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    ciphertext BYTES NOT NULL,
    PRIMARY KEY (package_id, finger)
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    package_id TEXT NOT NULL REFERENCES packages (id),
    finger TEXT NOT NULL,
    state TEXT NOT NULL,
    worker TEXT,
    taken_at TEXT,
    done_at TEXT,
    engine TEXT,
    reading_ciphertext BYTES,
    error TEXT,
    UNIQUE (package_id, finger)
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, id);
CREATE TABLE IF NOT EXISTS reviews (
    package_id TEXT NOT NULL REFERENCES packages (id),
    finger TEXT NOT NULL,
    analyst TEXT NOT NULL,
    outcome_ciphertext BYTES NOT NULL,
    reviewed_at TEXT NOT NULL,
    PRIMARY KEY (package_id, finger)
);
-- analysts (see analysts.rs): no account without the date the
-- confidentiality agreement was signed; passwords as Argon2id PHC strings
CREATE TABLE IF NOT EXISTS analysts (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    agreement_signed TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
-- open sessions, by the SHA-256 of their token (the token is only in the
-- browser's cookie)
CREATE TABLE IF NOT EXISTS analyst_sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES analysts (username),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
-- failed logins in a row per username, known or not
CREATE TABLE IF NOT EXISTS login_throttle (
    username TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failed_at TEXT NOT NULL,
    locked_until TEXT
);
"#;
