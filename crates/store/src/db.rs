//! The database connection: one SQL dialect for SQLite and PostgreSQL.
//!
//! Why `sqlx::Any` rather than one `Store` implementation per engine: the
//! queries are plain SQL that both engines run unchanged (`$1` parameters,
//! TEXT/BIGINT columns), so one implementation keeps the two in step and the
//! whole test suite runs against both. Only the DDL's byte-array type and the
//! connection pragmas differ, and they differ here alone.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::StoreError;

/// Which engine the store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite file `vantay.db` in the data directory (default).
    Sqlite,
    /// A PostgreSQL server (`--database postgres://…`).
    Postgres,
}

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
        sqlx::any::install_default_drivers();
        let (url, backend) = match url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                (url.to_owned(), Backend::Postgres)
            }
            Some(url) if url.starts_with("sqlite:") => (url.to_owned(), Backend::Sqlite),
            Some(url) => return Err(StoreError::BadDatabaseUrl(url.to_owned())),
            None => {
                let path = data_dir.join(SQLITE_FILE);
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    Backend::Sqlite,
                )
            }
        };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|_| StoreError::BadDatabaseUrl(redact(&url)))?;
        let pool = AnyPoolOptions::new()
            // SQLite has one writer; more connections only add lock waits.
            .max_connections(if backend == Backend::Sqlite { 4 } else { 16 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; FULL fsyncs every
                        // commit, since a lost intake cannot be scanned again later.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA busy_timeout = 30000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA secure_delete = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                url: redact(&url),
                source,
            })?;
        Ok(Db { pool, backend })
    }

    /// The schema, in this engine's dialect.
    pub fn schema(&self) -> String {
        let bytes = match self.backend {
            Backend::Sqlite => "BLOB",
            Backend::Postgres => "BYTEA",
        };
        SCHEMA.replace("BYTES", bytes)
    }
}

/// A URL without its password, for messages and logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Schema version 1. `BYTES` becomes BLOB or BYTEA.
///
/// Personal data lies only in `*ciphertext` and `wrapped*` columns; the rest
/// is structure (ids, states, sizes) and keyed tokens.
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
CREATE TABLE IF NOT EXISTS ledger_entries (
    seq BIGINT PRIMARY KEY,
    leaf BYTES NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger_head (
    id BIGINT PRIMARY KEY,
    size BIGINT NOT NULL,
    frontier BYTES NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    size BIGINT PRIMARY KEY,
    signed TEXT NOT NULL
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

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
