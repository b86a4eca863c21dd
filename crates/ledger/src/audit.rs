//! The ledger half of `vantay verify`: re-hash every entry, rebuild the
//! tree, and hold it against the stored and external checkpoints.
//!
//! It streams: the store feeds entries in order, one at a time, so a
//! million-entry ledger never has to be in memory at once. Each entry comes
//! back parsed, for the store to re-hash the ciphertexts its digests name.
//! Needs only the centre's public key.

use std::fmt;

use ed25519_dalek::VerifyingKey;

use crate::checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint};
use crate::event::{Event, EventDecodeError};
use crate::hash::{leaf_hash, Hash};
use crate::tree::Frontier;

/// Where a checkpoint under audit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointSource {
    /// Kept in the database with the ledger.
    Stored,
    /// Kept outside the server (`vantay verify --checkpoint FILE`).
    External,
}

/// One thing wrong with the ledger; its `Display` is one line. Holds
/// positions, sizes and hashes only, never personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// An entry's bytes are not an event.
    EntryUnreadable {
        /// Position in the ledger, from 0.
        index: u64,
        /// What was wrong with the bytes.
        error: EventDecodeError,
    },
    /// An entry's `seq` is not its position: entries were dropped,
    /// duplicated or reordered.
    EntryOutOfSequence {
        /// Position in the ledger, from 0.
        index: u64,
        /// The `seq` the entry records.
        seq: u64,
    },
    /// A checkpoint's signature or text does not hold up.
    CheckpointUntrusted {
        /// Stored or external.
        source: CheckpointSource,
        /// The size it claims.
        size: u64,
        /// Why it is not trusted.
        error: CheckpointError,
    },
    /// A checkpoint is for another ledger.
    CheckpointOrigin {
        /// Stored or external.
        source: CheckpointSource,
        /// The size it claims.
        size: u64,
        /// The origin it names.
        found: String,
        /// The origin of this ledger.
        expected: String,
    },
    /// The ledger's first `size` entries do not give the signed root:
    /// entries were changed, or (external) this ledger is not an extension
    /// of the one that was checkpointed.
    CheckpointRootMismatch {
        /// Stored or external.
        source: CheckpointSource,
        /// The checkpoint's size.
        size: u64,
        /// The root it signs.
        signed: Hash,
        /// The root of the ledger's first `size` entries.
        computed: Hash,
    },
    /// A checkpoint covers more entries than the ledger holds: entries were
    /// removed, or this is an older copy of the data (rollback).
    CheckpointBeyondLedger {
        /// Stored or external.
        source: CheckpointSource,
        /// The checkpoint's size.
        size: u64,
        /// Entries in the ledger.
        ledger_size: u64,
    },
}

/// Audits a ledger entry by entry. Build it with the checkpoints, feed every
/// entry in order with [`LedgerAudit::push_entry`], then [`LedgerAudit::finish`].
#[derive(Debug)]
pub struct LedgerAudit {
    origin: String,
    frontier: Frontier,
    /// Trusted checkpoints not yet reached, largest size first.
    pending: Vec<(CheckpointSource, Checkpoint)>,
    problems: Vec<Problem>,
}

impl LedgerAudit {
    /// Starts an audit of the ledger of `origin`. Every checkpoint's
    /// signature is checked now; those that fail become problems and are
    /// not used further.
    pub fn new(
        key: &VerifyingKey,
        origin: &str,
        stored: &[SignedCheckpoint],
        external: Option<&SignedCheckpoint>,
    ) -> LedgerAudit {
        let mut audit = LedgerAudit {
            origin: origin.to_owned(),
            frontier: Frontier::new(),
            pending: Vec::new(),
            problems: Vec::new(),
        };
        let labelled = stored.iter().map(|c| (CheckpointSource::Stored, c));
        for (source, signed) in labelled.chain(external.map(|c| (CheckpointSource::External, c))) {
            audit.admit(key, source, signed);
        }
        audit
            .pending
            .sort_by_key(|(_, checkpoint)| std::cmp::Reverse(checkpoint.size));
        audit.check_reached();
        audit
    }

    /// Adds the next entry's leaf bytes. Returns the parsed event, for the
    /// caller to check the digests it records against the stored data;
    /// `None` when the bytes are not an event (already a problem). The bytes
    /// join the tree either way, since the checkpoints signed them.
    pub fn push_entry(&mut self, leaf_bytes: &[u8]) -> Option<Event> {
        let index = self.frontier.size();
        let event = match Event::from_leaf_bytes(leaf_bytes) {
            Ok(event) => Some(event),
            Err(error) => {
                self.problems
                    .push(Problem::EntryUnreadable { index, error });
                None
            }
        };
        if let Some(event) = event.as_ref().filter(|event| event.seq != index) {
            self.problems.push(Problem::EntryOutOfSequence {
                index,
                seq: event.seq,
            });
        }
        self.frontier.push(leaf_hash(leaf_bytes));
        self.check_reached();
        event
    }

    /// The tree so far: after the last entry, compare it with the head the
    /// store keeps.
    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// Ends the audit: checkpoints larger than the ledger become problems.
    pub fn finish(mut self) -> Vec<Problem> {
        let ledger_size = self.frontier.size();
        for (source, checkpoint) in self.pending.drain(..).rev() {
            let size = checkpoint.size;
            self.problems.push(Problem::CheckpointBeyondLedger {
                source,
                size,
                ledger_size,
            });
        }
        self.problems
    }

    fn admit(&mut self, key: &VerifyingKey, source: CheckpointSource, signed: &SignedCheckpoint) {
        let size = signed.unverified().size;
        match signed.verify(key) {
            Err(error) => self.problems.push(Problem::CheckpointUntrusted {
                source,
                size,
                error,
            }),
            Ok(checkpoint) if checkpoint.origin != self.origin => {
                self.problems.push(Problem::CheckpointOrigin {
                    source,
                    size,
                    found: checkpoint.origin.clone(),
                    expected: self.origin.clone(),
                })
            }
            Ok(checkpoint) => self.pending.push((source, checkpoint.clone())),
        }
    }

    /// Compares every pending checkpoint of the current size with the root.
    fn check_reached(&mut self) {
        let size = self.frontier.size();
        while self
            .pending
            .last()
            .is_some_and(|(_, checkpoint)| checkpoint.size == size)
        {
            let (source, checkpoint) = self.pending.pop().expect("checked above");
            let computed = self.frontier.root();
            if computed != checkpoint.root {
                let signed = checkpoint.root;
                self.problems.push(Problem::CheckpointRootMismatch {
                    source,
                    size,
                    signed,
                    computed,
                });
            }
        }
    }
}

/// Audits a whole ledger at once (see [`LedgerAudit`]); the events are
/// parsed and checked for sequence but their digests are not looked at.
pub fn verify_ledger<I, B>(
    entries: I,
    key: &VerifyingKey,
    origin: &str,
    stored: &[SignedCheckpoint],
    external: Option<&SignedCheckpoint>,
) -> Vec<Problem>
where
    I: IntoIterator<Item = B>,
    B: AsRef<[u8]>,
{
    let mut audit = LedgerAudit::new(key, origin, stored, external);
    for entry in entries {
        audit.push_entry(entry.as_ref());
    }
    audit.finish()
}

impl fmt::Display for CheckpointSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CheckpointSource::Stored => "stored checkpoint",
            CheckpointSource::External => "external checkpoint",
        })
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::EntryUnreadable { index, error } => {
                write!(f, "ledger entry {index} is unreadable: {error}")
            }
            Problem::EntryOutOfSequence { index, seq } => write!(
                f,
                "ledger entry {index} records seq {seq}: entries were dropped, duplicated or reordered"
            ),
            Problem::CheckpointUntrusted { source, size, error } => {
                write!(f, "{source} of size {size} is not trusted: {error}")
            }
            Problem::CheckpointOrigin { source, size, found, expected } => write!(
                f,
                "{source} of size {size} is for origin {found:?}, this ledger is {expected:?}"
            ),
            Problem::CheckpointRootMismatch { source, size, signed, computed } => write!(
                f,
                "{source} of size {size} signs root {signed}, but the ledger's first {size} entries give {computed}: {}",
                match source {
                    CheckpointSource::Stored => "entries were altered",
                    CheckpointSource::External => "this ledger does not extend the checkpointed one",
                }
            ),
            Problem::CheckpointBeyondLedger { source, size, ledger_size } => write!(
                f,
                "{source} covers {size} entries but the ledger holds only {ledger_size}: entries were removed or this is an older copy (rollback)"
            ),
        }
    }
}
