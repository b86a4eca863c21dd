//! The database connection shared by the centre's store and the analysis
//! centre's installation.
//!
//! Why `sqlx::Any` rather than one implementation per engine: the queries
//! are plain SQL that both engines run unchanged (`$1` parameters,
//! TEXT/BIGINT columns), so one implementation keeps the two in step and the
//! whole test suite runs against both. Only the DDL's byte-array type
//! ([`Backend::bytes_type`]) and the connection pragmas differ, and they
//! differ here alone.
//!
//! [`ledger`] keeps the Merkle ledger in the same database, for both.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ledger;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

/// Which engine holds the rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file in the data directory (the default).
    Sqlite,
    /// A PostgreSQL server (`--database postgres://…`).
    Postgres,
}

impl Backend {
    /// The column type of byte arrays, which the schemas write as `BYTES`.
    pub fn bytes_type(self) -> &'static str {
        match self {
            Backend::Sqlite => "BLOB",
            Backend::Postgres => "BYTEA",
        }
    }

    /// A schema written with `BYTES`, in this engine's dialect.
    pub fn dialect(self, schema: &str) -> String {
        schema.replace("BYTES", self.bytes_type())
    }
}

/// Why no pool was made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The value is not a PostgreSQL or SQLite URL (password removed).
    #[error("'{0}' is not a database URL: use postgres://user@host/db or sqlite://path")]
    BadUrl(String),
    /// The server or file could not be reached.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL, without its password.
        url: String,
        /// The driver's error.
        source: sqlx::Error,
    },
}

/// Connects to `url`, or to the SQLite file `default_sqlite` (created if
/// absent) when there is none.
pub async fn connect(
    url: Option<&str>,
    default_sqlite: &Path,
) -> Result<(AnyPool, Backend), ConnectError> {
    sqlx::any::install_default_drivers();
    let (url, backend) = match url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            (url.to_owned(), Backend::Postgres)
        }
        Some(url) if url.starts_with("sqlite:") => (url.to_owned(), Backend::Sqlite),
        Some(url) => return Err(ConnectError::BadUrl(redact(url))),
        None => (
            format!("sqlite://{}?mode=rwc", default_sqlite.display()),
            Backend::Sqlite,
        ),
    };
    let options =
        AnyConnectOptions::from_str(&url).map_err(|_| ConnectError::BadUrl(redact(&url)))?;
    let pool = AnyPoolOptions::new()
        // SQLite has one writer; more connections only add lock waits.
        .max_connections(if backend == Backend::Sqlite { 4 } else { 16 })
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers run beside the writer; FULL fsyncs every
                    // commit, since a lost intake cannot be scanned again later;
                    // secure_delete overwrites what is deleted (erasure).
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
        .map_err(|source| ConnectError::Connect {
            url: redact(&url),
            source,
        })?;
    Ok((pool, backend))
}

/// A URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn schemas_are_written_in_each_dialect() {
        let ddl = "CREATE TABLE t (b BYTES NOT NULL)";
        assert_eq!(
            Backend::Sqlite.dialect(ddl),
            "CREATE TABLE t (b BLOB NOT NULL)"
        );
        assert_eq!(
            Backend::Postgres.dialect(ddl),
            "CREATE TABLE t (b BYTEA NOT NULL)"
        );
    }

    #[tokio::test]
    async fn a_bad_url_is_named_without_its_password() {
        let err = connect(Some("mysql://u:pw@h/db"), Path::new("unused"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ConnectError::BadUrl(u) if u == "mysql://u:***@h/db"),
            "{err}"
        );
    }
}
