//! The store's database: the connection comes from `vantay-sql` (one SQL
//! dialect for SQLite and PostgreSQL); the schema is here.

use std::path::Path;

use sqlx::AnyPool;
pub use vantay_sql::Backend;

use crate::StoreError;

/// The pool and what it runs on.
#[derive(Clone, Debug)]
pub(crate) struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

/// The file name of the embedded database inside the data directory.
pub const SQLITE_FILE: &str = "vantay.db";

impl Db {
    /// Connects to `url`, or to the data directory's SQLite file when `None`.
    pub async fn connect(data_dir: &Path, url: Option<&str>) -> Result<Db, StoreError> {
        let (pool, backend) = vantay_sql::connect(url, &data_dir.join(SQLITE_FILE))
            .await
            .map_err(|err| match err {
                vantay_sql::ConnectError::BadUrl(url) => StoreError::BadDatabaseUrl(url),
                vantay_sql::ConnectError::Connect { url, source } => {
                    StoreError::Connect { url, source }
                }
            })?;
        Ok(Db { pool, backend })
    }

    /// The schema, in this engine's dialect.
    pub fn schema(&self) -> String {
        // The ledger's tables are vantay-sql's, shared with the analysis centre.
        self.backend
            .dialect(&[SCHEMA, vantay_sql::ledger::LEDGER_SCHEMA].concat())
    }
}

/// Schema version 1. `BYTES` becomes BLOB or BYTEA.
///
/// Personal data lies only in `*ciphertext` and `wrapped*` columns; the rest
/// is structure (ids, states, sizes, times) and keyed tokens.
///
/// `appointments` (step 6) holds a time, a counsellor's staff id and who
/// booked and handed over, in the clear: the automatic release (step 7)
/// must find due appointments by time, and none of it says who the
/// customer is (the case links to the customer by id only, like
/// `cases.updated_at`). There is no free-text field to hold anything more.
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS domain_keys (
    domain TEXT NOT NULL,
    version BIGINT NOT NULL,
    wrapped BYTES NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (domain, version)
);
CREATE TABLE IF NOT EXISTS centre_secrets (
    name TEXT PRIMARY KEY,
    wrapped BYTES NOT NULL
);
CREATE TABLE IF NOT EXISTS staff (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password BIGINT NOT NULL,
    agreement_version TEXT,
    agreement_signed_on TEXT,
    agreement_expires_on TEXT,
    disabled BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY,
    key_wrapped_by TEXT,
    key_generation BIGINT,
    wrapped_key BYTES,
    phone_token BYTES,
    name_token BYTES,
    created_at TEXT NOT NULL,
    erased_at TEXT
);
CREATE INDEX IF NOT EXISTS customers_phone ON customers (phone_token);
CREATE INDEX IF NOT EXISTS customers_name ON customers (name_token);
CREATE TABLE IF NOT EXISTS customer_fields (
    customer_id TEXT NOT NULL REFERENCES customers (id),
    field TEXT NOT NULL,
    version BIGINT NOT NULL,
    ciphertext BYTES NOT NULL,
    written_at TEXT NOT NULL,
    PRIMARY KEY (customer_id, field, version)
);
CREATE TABLE IF NOT EXISTS consents (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    analysis BIGINT NOT NULL,
    marketing BIGINT NOT NULL,
    text_version TEXT NOT NULL,
    ciphertext BYTES NOT NULL,
    recorded_at TEXT NOT NULL,
    withdrawn_at TEXT
);
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    pseudonym TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    device_model TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS prints (
    case_id TEXT NOT NULL REFERENCES cases (id),
    finger TEXT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    format TEXT,
    width BIGINT,
    height BIGINT,
    ppi BIGINT,
    blob TEXT,
    missing_reason BYTES,
    PRIMARY KEY (case_id, finger, version)
);
CREATE TABLE IF NOT EXISTS reports (
    case_id TEXT NOT NULL REFERENCES cases (id),
    version BIGINT NOT NULL,
    blob TEXT NOT NULL,
    table_version TEXT NOT NULL,
    table_sha256 TEXT NOT NULL,
    rendered_by TEXT NOT NULL,
    rendered_at TEXT NOT NULL,
    PRIMARY KEY (case_id, version)
);
CREATE TABLE IF NOT EXISTS appointments (
    case_id TEXT NOT NULL REFERENCES cases (id),
    version BIGINT NOT NULL,
    starts_at TEXT NOT NULL,
    counsellor_id TEXT NOT NULL REFERENCES staff (id),
    booked_by TEXT NOT NULL,
    booked_at TEXT NOT NULL,
    delivered_at TEXT,
    delivered_by TEXT,
    PRIMARY KEY (case_id, version)
);
CREATE TABLE IF NOT EXISTS partners (
    name TEXT PRIMARY KEY,
    identity TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS packages (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    partner TEXT NOT NULL REFERENCES partners (name),
    partner_fingerprint TEXT NOT NULL,
    fingers TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    state TEXT NOT NULL,
    sealed_digest TEXT NOT NULL,
    answered_at TEXT,
    result_id TEXT
);
CREATE INDEX IF NOT EXISTS packages_case ON packages (case_id);
CREATE TABLE IF NOT EXISTS results (
    id TEXT PRIMARY KEY,
    package_id TEXT NOT NULL UNIQUE REFERENCES packages (id),
    case_id TEXT NOT NULL,
    ciphertext BYTES NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    package_id TEXT PRIMARY KEY REFERENCES packages (id),
    case_id TEXT NOT NULL,
    sealed BYTES NOT NULL,
    fetched_at TEXT
);
CREATE TABLE IF NOT EXISTS request_nonces (
    nonce TEXT PRIMARY KEY,
    caller TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
"#;
