//! RFC 6962 Merkle ledger: hashes, events, tree state, proofs and signed
//! checkpoints. Pure computation — no I/O; the `store` crate keeps the bytes.
//!
//! - Every write and every read that decrypts personal data becomes an
//!   [`Event`]; its canonical bytes ([`Event::to_leaf_bytes`]) are a leaf of an
//!   RFC 6962 tree (leaf = SHA-256(0x00 ‖ bytes), node = SHA-256(0x01 ‖ l ‖ r)).
//! - The store keeps a [`Frontier`] (size plus O(log n) hashes) in its ledger
//!   head row, so appending needs no earlier leaves; appends are serialised
//!   by the database's lock on that row.
//! - A [`SignedCheckpoint`] (origin, size, root, time, Ed25519 signature) in
//!   C2SP signed-note text can be kept outside the server; a later ledger
//!   must extend it, which detects rollback and rewriting.
//! - [`LedgerAudit`] is the ledger half of `vantay verify`: it needs only the
//!   centre's public key and reports every [`Problem`], one line each.
//! - [`inclusion_proof`] / [`consistency_proof`] and their verifiers follow
//!   RFC 6962 §2.1 and RFC 9162 §2.1.
//!
//! ```
//! use ed25519_dalek::SigningKey;
//! use vantay_ledger::{verify_ledger, Checkpoint, Event, Frontier, Hash, SignedCheckpoint};
//!
//! let key = SigningKey::from_bytes(&[7; 32]);
//! let origin = "vantay.example/centre-hanoi";
//! let mut head = Frontier::new();
//! let mut entries = Vec::new();
//! for seq in 0..3 {
//!     let event = Event {
//!         seq,
//!         at: 1_795_000_000_000,
//!         actor: "staff:7".into(),
//!         action: "customer.create".into(),
//!         object: format!("customer/0193a4b2-0000-7000-8000-00000000000{seq}"),
//!         digests: vec![("customers/…/full_name/v1".into(), Hash::of(b"ciphertext"))],
//!     };
//!     let bytes = event.to_leaf_bytes();
//!     assert_eq!(Event::from_leaf_bytes(&bytes).unwrap(), event);
//!     head.push(vantay_ledger::leaf_hash(&bytes));
//!     entries.push(bytes);
//! }
//! let checkpoint = Checkpoint { origin: origin.into(), size: head.size(), root: head.root(), time: 1_795_000_000_000 };
//! let signed = SignedCheckpoint::sign(checkpoint, &key).unwrap();
//! let kept_outside = SignedCheckpoint::parse(&signed.to_text()).unwrap();
//!
//! let problems = verify_ledger(&entries, &key.verifying_key(), origin, &[signed], Some(&kept_outside));
//! assert!(problems.is_empty());
//! // An older copy of the database, checked against the kept checkpoint:
//! let problems = verify_ledger(&entries[..2], &key.verifying_key(), origin, &[], Some(&kept_outside));
//! assert_eq!(problems.len(), 1);
//! println!("{}", problems[0]); // external checkpoint covers 3 entries but the ledger holds only 2: …
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod audit;
mod checkpoint;
mod event;
mod hash;
mod proof;
mod tree;

pub use audit::{verify_ledger, CheckpointSource, LedgerAudit, Problem};
pub use checkpoint::{verifier_key, Checkpoint, CheckpointError, SignedCheckpoint};
pub use event::{Event, EventDecodeError};
pub use hash::{leaf_hash, node_hash, Hash, HashParseError};
pub use proof::{
    consistency_proof, inclusion_proof, verify_consistency, verify_inclusion, ProofError,
};
pub use tree::{root_of, Frontier, FrontierError};
