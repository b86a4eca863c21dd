//! The Merkle ledger as an installation keeps it in its database: the
//! tables, appending inside a write transaction, and reading it back for
//! `verify`. The centre's store and the analysis centre keep theirs the
//! same way, so this is written once; what events they record and what
//! rows they check stay with each of them.
//!
//! Appends are serialised by the database: a write transaction first
//! touches the head row ([`lock_head`]), which takes SQLite's write lock or
//! a PostgreSQL row lock, so the writers of every server instance line up
//! and the ledger stays one ordered sequence.

use std::collections::{HashMap, HashSet};

use ed25519_dalek::VerifyingKey;
use futures_util::TryStreamExt;
use sqlx::{AnyConnection, AnyPool, Row};
use vantay_ledger::{Event, Frontier, Hash, LedgerAudit, SignedCheckpoint};

/// The ledger's tables, written with `BYTES` (see [`crate::Backend::dialect`]).
pub const LEDGER_SCHEMA: &str = r#"
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
"#;

/// The digest a ledger records for a row that was removed (erasure).
pub const REMOVED: Hash = Hash([0u8; 32]);

/// Length-prefixed SHA-256 over the parts, so that no two part lists
/// collide: what a ledger event records for a stored row.
pub fn digest(parts: &[&[u8]]) -> Hash {
    let mut bytes = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for part in parts {
        bytes.extend_from_slice(&(part.len() as u64).to_be_bytes());
        bytes.extend_from_slice(part);
    }
    Hash::of(&bytes)
}

/// Why an append failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerTableError {
    /// The database refused a statement.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// The head row does not hold a valid tree state.
    #[error("the ledger head is damaged: {0}")]
    Corrupt(String),
}

/// Creates the empty ledger's head row where there is none (a new
/// installation, or one made before it kept a ledger).
pub async fn create_head(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ledger_head (id, size, frontier) VALUES (1, 0, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(Frontier::new().to_bytes())
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the ledger's write lock; false when there is no head row.
/// Call it first in a write transaction, before anything is read, so that
/// two writers never deadlock on a lock upgrade.
pub async fn lock_head(conn: &mut AnyConnection) -> Result<bool, sqlx::Error> {
    let locked = sqlx::query("UPDATE ledger_head SET size = size WHERE id = 1")
        .execute(conn)
        .await?;
    Ok(locked.rows_affected() == 1)
}

/// Where the ledger stood after an append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    /// Entries in the ledger.
    pub size: u64,
    /// The tree's root at that size.
    pub root: Hash,
    /// The signed checkpoint stored for that size.
    pub checkpoint: String,
}

/// An event by `actor`, stamped now; [`append`] numbers it.
pub fn event(actor: &str, action: &str, object: String, digests: Vec<(String, Hash)>) -> Event {
    Event {
        seq: 0,
        at: now_ms(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        object,
        digests,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64)
}

/// Appends `events` (numbered here, from the head), moves the head, and
/// stores the checkpoint `sign(size, root, now_ms)` returns. The caller
/// holds [`lock_head`] and commits.
pub async fn append(
    conn: &mut AnyConnection,
    events: Vec<Event>,
    sign: impl FnOnce(u64, Hash, i64) -> String,
) -> Result<Appended, LedgerTableError> {
    let head = sqlx::query("SELECT size, frontier FROM ledger_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let size: i64 = head.try_get("size")?;
    let mut frontier = Frontier::from_bytes(&head.try_get::<Vec<u8>, _>("frontier")?)
        .map_err(|err| LedgerTableError::Corrupt(err.to_string()))?;
    if frontier.size() != size as u64 {
        return Err(LedgerTableError::Corrupt(
            "its size and its frontier disagree".into(),
        ));
    }
    for mut event in events {
        event.seq = frontier.size();
        let leaf = event.to_leaf_bytes();
        sqlx::query("INSERT INTO ledger_entries (seq, leaf) VALUES ($1, $2)")
            .bind(event.seq as i64)
            .bind(leaf)
            .execute(&mut *conn)
            .await?;
        frontier.push(event.leaf_hash());
    }
    let (size, root) = (frontier.size(), frontier.root());
    sqlx::query("UPDATE ledger_head SET size = $1, frontier = $2 WHERE id = 1")
        .bind(size as i64)
        .bind(frontier.to_bytes())
        .execute(&mut *conn)
        .await?;
    let checkpoint = sign(size, root, now_ms());
    sqlx::query(
        "INSERT INTO checkpoints (size, signed) VALUES ($1, $2) \
         ON CONFLICT (size) DO UPDATE SET signed = excluded.signed",
    )
    .bind(size as i64)
    .bind(&checkpoint)
    .execute(&mut *conn)
    .await?;
    Ok(Appended {
        size,
        root,
        checkpoint,
    })
}

/// The newest stored checkpoint, to keep outside the server.
pub async fn latest_checkpoint(pool: &AnyPool) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT signed FROM checkpoints ORDER BY size DESC LIMIT 1")
        .fetch_optional(pool)
        .await?;
    row.map(|r| r.try_get("signed")).transpose()
}

/// What [`audit`] found: the ledger's own problems and what it records.
#[derive(Debug, Default)]
pub struct Audited {
    /// Each stored thing's digest as the ledger last recorded it.
    pub recorded: HashMap<String, Hash>,
    /// Entries read.
    pub entries: u64,
    /// Signed checkpoints that parsed.
    pub checkpoints: usize,
    /// One line per problem of the ledger itself.
    pub problems: Vec<String>,
}

/// Reads the whole ledger of `origin` back: rebuilds the tree, checks each
/// stored checkpoint with `key` and the head row against the tree, and
/// (when given) that the ledger extends `external`, a checkpoint kept
/// elsewhere. Needs no master key.
pub async fn audit(
    pool: &AnyPool,
    key: &VerifyingKey,
    origin: &str,
    external: Option<&str>,
) -> Result<Audited, sqlx::Error> {
    let mut audited = Audited::default();
    let stored = signed_checkpoints(pool, &mut audited).await?;
    let external = match external.map(SignedCheckpoint::parse) {
        Some(Ok(checkpoint)) => Some(checkpoint),
        Some(Err(err)) => {
            audited.problems.push(format!("external checkpoint: {err}"));
            None
        }
        None => None,
    };
    let mut ledger = LedgerAudit::new(key, origin, &stored, external.as_ref());
    let mut rows = sqlx::query("SELECT leaf FROM ledger_entries ORDER BY seq").fetch(pool);
    while let Some(row) = rows.try_next().await? {
        let leaf: Vec<u8> = row.try_get("leaf")?;
        if let Some(event) = ledger.push_entry(&leaf) {
            audited.recorded.extend(event.digests);
        }
    }
    drop(rows);
    audited.entries = ledger.frontier().size();
    check_head(pool, ledger.frontier(), &mut audited.problems).await?;
    audited
        .problems
        .extend(ledger.finish().iter().map(|p| format!("ledger: {p}")));
    Ok(audited)
}

/// The stored checkpoints; one that does not even parse is a problem.
async fn signed_checkpoints(
    pool: &AnyPool,
    audited: &mut Audited,
) -> Result<Vec<SignedCheckpoint>, sqlx::Error> {
    let rows = sqlx::query("SELECT size, signed FROM checkpoints ORDER BY size")
        .fetch_all(pool)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let size: i64 = row.try_get("size")?;
        match SignedCheckpoint::parse(&row.try_get::<String, _>("signed")?) {
            Ok(checkpoint) if checkpoint.unverified().size == size as u64 => out.push(checkpoint),
            Ok(checkpoint) => audited.problems.push(format!(
                "checkpoint {size}: it is signed for size {}",
                checkpoint.unverified().size
            )),
            Err(err) => audited.problems.push(format!("checkpoint {size}: {err}")),
        }
    }
    audited.checkpoints = out.len();
    Ok(out)
}

async fn check_head(
    pool: &AnyPool,
    frontier: &Frontier,
    problems: &mut Vec<String>,
) -> Result<(), sqlx::Error> {
    let head = sqlx::query("SELECT size, frontier FROM ledger_head WHERE id = 1")
        .fetch_optional(pool)
        .await?;
    let Some(head) = head else {
        problems.push("ledger: the head row is missing".into());
        return Ok(());
    };
    let size = head.try_get::<i64, _>("size")? as u64;
    let stored = Frontier::from_bytes(&head.try_get::<Vec<u8>, _>("frontier")?);
    if size != frontier.size() || stored.map(|f| f.root()).ok() != Some(frontier.root()) {
        problems.push(format!(
            "ledger: the head says {size} entries but {} entries with another root are stored",
            frontier.size()
        ));
    }
    Ok(())
}

/// Compares what is stored (each row's name and digest) with what the
/// ledger recorded: one line per row added, changed or kept after erasure
/// behind the installation's back, and per recorded row that is gone.
/// Recorded names for which `elsewhere` is true are not rows (blob files,
/// events about a whole package) and are not looked for among them.
pub fn compare_rows(
    recorded: &HashMap<String, Hash>,
    stored: Vec<(String, Hash)>,
    elsewhere: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut present = HashSet::with_capacity(stored.len());
    for (name, hash) in stored {
        match recorded.get(&name) {
            None => problems.push(format!(
                "{name}: stored but never recorded in the ledger (added behind the installation's back)"
            )),
            Some(h) if *h == REMOVED => problems.push(format!(
                "{name}: the ledger records it as erased, yet it is stored"
            )),
            Some(h) if *h != hash => problems.push(format!(
                "{name}: differs from what the ledger recorded (changed, swapped or moved)"
            )),
            Some(_) => {}
        }
        present.insert(name);
    }
    let mut missing: Vec<&String> = recorded
        .iter()
        .filter(|(name, hash)| **hash != REMOVED && !elsewhere(name))
        .map(|(name, _)| name)
        .filter(|name| !present.contains(*name))
        .collect();
    missing.sort();
    problems.extend(
        missing
            .into_iter()
            .map(|name| format!("{name}: recorded in the ledger but no longer stored (deleted)")),
    );
    problems
}
