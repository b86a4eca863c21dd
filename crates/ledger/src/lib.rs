//! RFC 6962 Merkle ledger: hashes, events, tree state, proofs and signed
//! checkpoints. Pure computation — no I/O; the `store` crate keeps the bytes.
//!
//! Every write and every read that decrypts personal data becomes an
//! [`Event`]; its canonical bytes ([`Event::to_leaf_bytes`]) are a leaf of an
//! RFC 6962 tree (leaf = SHA-256(0x00 ‖ bytes), node = SHA-256(0x01 ‖ l ‖ r)).
//! The store keeps a [`Frontier`] (O(log n) hashes) in its ledger head row,
//! so appending needs no earlier leaves.
//!
//! ```
//! use vantay_ledger::{Event, Frontier, Hash, root_of};
//!
//! let event = Event {
//!     seq: 0,
//!     at: 1_795_000_000_000,
//!     actor: "staff:7".into(),
//!     action: "customer.create".into(),
//!     object: "customer/0193a4b2-0000-7000-8000-000000000001".into(),
//!     digests: vec![("customers/0193a4b2/full_name/v1".into(), Hash::of(b"ciphertext"))],
//! };
//! let bytes = event.to_leaf_bytes();
//! assert_eq!(Event::from_leaf_bytes(&bytes).unwrap(), event);
//!
//! let mut head = Frontier::from_bytes(&Frontier::new().to_bytes()).unwrap();
//! head.push(event.leaf_hash());
//! assert_eq!(head.root(), root_of(&[event.leaf_hash()]));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod event;
mod hash;
mod tree;

pub use event::{Event, EventDecodeError};
pub use hash::{leaf_hash, node_hash, Hash, HashParseError};
pub use tree::{root_of, Frontier, FrontierError};
