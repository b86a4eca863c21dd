//! Threat model: what each part of the vault protects against, and what it
//! does not.
//!
//! # A copy of the database, the blobs and the backups
//!
//! Without the master key (the key file, or K of the N recovery shares) such
//! a copy reveals:
//!
//! - **no personal field, image, result or report**: each is sealed with
//!   XChaCha20-Poly1305 under the customer's data key, which is stored only
//!   wrapped by the personal-data domain key, itself wrapped by a key derived
//!   from the master key;
//! - **no phone number or name through the look-up columns**: tokens are
//!   HMAC-SHA256 under the search-index key, so a dictionary of Vietnamese
//!   names or all phone numbers cannot be run against them without that key;
//! - **what remains visible**: row counts, ids, which rows belong to one
//!   customer, record versions, timestamps the store keeps in the clear, the
//!   length of each sealed value (plus 41 bytes), and which customers share a
//!   look-up token (same normalised phone or name).
//!
//! # Changed or swapped ciphertexts
//!
//! The associated data binds every sealed value to its table, field,
//! customer, record, version and key id. Moving a ciphertext to another
//! customer, replaying an old version in place of the current one, or
//! flipping any byte makes [`crate::open_field`] fail with
//! [`crate::OpenError::NotAuthentic`]. Deleting a whole row is not detected
//! here: the ledger does that.
//!
//! # Erasure (crypto-shredding)
//!
//! Erasing a customer deletes their [`crate::WrappedDataKey`]. Every copy of
//! their data (database, blobs, backups taken before or after) is sealed
//! under that data key, and no other copy of the data key exists: it is
//! random, not derived from anything kept. Once the wrapped key is gone from
//! the live database *and* from every backup that held it, the data is
//! unreadable even with the master key. Backups taken before the erasure
//! still hold the wrapped key until they expire: the backup retention is
//! therefore the bound on how long an erased customer stays recoverable, and
//! the erasure certificate should say so. A process that had the data key
//! unwrapped in memory at the time holds it until it drops it (keys are
//! zeroized on drop).
//!
//! # The master key
//!
//! The master key opens everything. It lies outside the data directory in a
//! file only its owner can read ([`crate::MasterKey::read_file`] refuses a
//! file that group or others may read) or in recovery shares held by
//! custodians; fewer than K shares reveal nothing about it (Shamir's scheme
//! over GF(256)). An attacker who has both the master key file and the
//! database has everything: the server's own file permissions and disk
//! encryption protect that case, not this crate.
//!
//! # Exchange packages
//!
//! Packages to and from the analysis centre are encrypted to the recipient's
//! pinned X25519 key and signed with the sender's pinned Ed25519 key; the
//! header is signed together with the ciphertext and repeated inside it, so
//! a package cannot be redirected, re-signed by another partner, altered or
//! used after it expires. See [`crate::package`].
//!
//! # Not covered
//!
//! A compromised running server (it holds unwrapped keys in memory), a
//! malicious administrator with the key file, and traffic analysis of
//! package sizes.
