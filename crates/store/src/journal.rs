//! Appending to the ledger inside a write transaction.
//!
//! Every write transaction starts by touching the ledger head row, which
//! takes the write lock on SQLite and a row lock on PostgreSQL: the
//! transactions of all server instances line up there, so the ledger stays
//! one ordered sequence (DESIGN §7). The transaction then appends its events,
//! updates the head's frontier and stores a signed checkpoint, and commits
//! all of it together with the rows it wrote.

use chrono::Utc;
use sqlx::{Any, Row, Transaction};
use vantay_ledger::{Event, Frontier, Hash};

use crate::{Actor, StoreError};

/// A write transaction that records what it does in the ledger.
pub struct WriteTx<'c> {
    pub(crate) tx: Transaction<'c, Any>,
    actor: Actor,
    events: Vec<Event>,
}

/// Where the ledger stood after a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerPosition {
    /// Entries in the ledger.
    pub size: u64,
    /// The tree's root at that size.
    pub root: Hash,
    /// The signed checkpoint stored for that size.
    pub checkpoint: String,
}

impl<'c> WriteTx<'c> {
    /// Opens the transaction and takes the ledger-head lock at once, before
    /// anything is read, so that two writers never deadlock on an upgrade.
    pub(crate) async fn begin(
        pool: &'c sqlx::AnyPool,
        actor: &Actor,
    ) -> Result<WriteTx<'c>, StoreError> {
        let mut tx = pool.begin().await?;
        let locked = sqlx::query("UPDATE ledger_head SET size = size WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() != 1 {
            return Err(StoreError::NotInitialised);
        }
        Ok(WriteTx {
            tx,
            actor: actor.clone(),
            events: Vec::new(),
        })
    }

    /// Records an event: `action` on `object`, with the digests of what was
    /// written (or [`crate::rows::REMOVED`] for what was removed).
    pub(crate) fn record(&mut self, action: &str, object: String, digests: Vec<(String, Hash)>) {
        self.events.push(Event {
            seq: 0, // set at commit, once the head is known
            at: Utc::now().timestamp_millis(),
            actor: self.actor.0.clone(),
            action: action.to_owned(),
            object,
            digests,
        });
    }

    /// Appends the events, signs a checkpoint with `sign`, and commits.
    pub(crate) async fn commit(
        mut self,
        sign: impl FnOnce(u64, Hash, i64) -> String,
    ) -> Result<LedgerPosition, StoreError> {
        let head = sqlx::query("SELECT size, frontier FROM ledger_head WHERE id = 1")
            .fetch_one(&mut *self.tx)
            .await?;
        let size: i64 = head.try_get("size")?;
        let mut frontier = Frontier::from_bytes(&head.try_get::<Vec<u8>, _>("frontier")?)
            .map_err(|err| StoreError::Corrupt(format!("ledger head: {err}")))?;
        if frontier.size() != size as u64 {
            return Err(StoreError::Corrupt(
                "ledger head size and frontier disagree".into(),
            ));
        }
        for mut event in std::mem::take(&mut self.events) {
            event.seq = frontier.size();
            let leaf = event.to_leaf_bytes();
            sqlx::query("INSERT INTO ledger_entries (seq, leaf) VALUES ($1, $2)")
                .bind(event.seq as i64)
                .bind(leaf)
                .execute(&mut *self.tx)
                .await?;
            frontier.push(event.leaf_hash());
        }
        let (size, root) = (frontier.size(), frontier.root());
        sqlx::query("UPDATE ledger_head SET size = $1, frontier = $2 WHERE id = 1")
            .bind(size as i64)
            .bind(frontier.to_bytes())
            .execute(&mut *self.tx)
            .await?;
        let checkpoint = sign(size, root, Utc::now().timestamp_millis());
        sqlx::query(
            "INSERT INTO checkpoints (size, signed) VALUES ($1, $2) \
             ON CONFLICT (size) DO UPDATE SET signed = excluded.signed",
        )
        .bind(size as i64)
        .bind(&checkpoint)
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(LedgerPosition {
            size,
            root,
            checkpoint,
        })
    }
}
