//! Appending to the ledger inside a write transaction.
//!
//! Every write transaction starts by touching the ledger head row, which
//! takes the write lock on SQLite and a row lock on PostgreSQL: the
//! transactions of all server instances line up there, so the ledger stays
//! one ordered sequence (DESIGN §7). The transaction then appends its events,
//! updates the head's frontier and stores a signed checkpoint, and commits
//! all of it together with the rows it wrote.

use sqlx::{Any, Transaction};
use vantay_ledger::{Event, Hash};
use vantay_sql::ledger;

use crate::{Actor, StoreError};

/// A write transaction that records what it does in the ledger.
pub struct WriteTx<'c> {
    pub(crate) tx: Transaction<'c, Any>,
    actor: Actor,
    events: Vec<Event>,
}

/// Where the ledger stood after a commit: its size, root and the signed
/// checkpoint stored for that size.
pub use vantay_sql::ledger::Appended as LedgerPosition;

impl<'c> WriteTx<'c> {
    /// Opens the transaction and takes the ledger-head lock at once, before
    /// anything is read, so that two writers never deadlock on an upgrade.
    pub(crate) async fn begin(
        pool: &'c sqlx::AnyPool,
        actor: &Actor,
    ) -> Result<WriteTx<'c>, StoreError> {
        let mut tx = pool.begin().await?;
        if !ledger::lock_head(&mut tx).await? {
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
        self.events
            .push(ledger::event(&self.actor.0, action, object, digests));
    }

    /// Appends the events, signs a checkpoint with `sign`, and commits.
    pub(crate) async fn commit(
        mut self,
        sign: impl FnOnce(u64, Hash, i64) -> String,
    ) -> Result<LedgerPosition, StoreError> {
        let events = std::mem::take(&mut self.events);
        let appended = ledger::append(&mut self.tx, events, sign).await?;
        self.tx.commit().await?;
        Ok(appended)
    }
}
