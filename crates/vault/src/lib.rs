//! Keys, sealing, field and blob encryption, crypto-shredding and exchange
//! packages for Vantay.
//!
//! # Key hierarchy
//!
//! ```text
//! MasterKey (key file outside the data dir, or K of N recovery shares)
//!   └─ HKDF → key-encryption key
//!        ├─ domain keys, versioned: personal-data, images, search-index, ledger-mac
//!        │    └─ personal-data/vN wraps each customer's DataKey
//!        │         └─ DataKey seals that customer's fields, images, results, reports
//!        └─ the centre's Ed25519 signing key and X25519 exchange identity
//! ```
//!
//! Everything stored (database rows, blobs, backups) is ciphertext or a
//! wrapped key; see [`threat_model`] for what a copy reveals.
//!
//! # What is here
//!
//! | need | API |
//! |---|---|
//! | master key file (0600, never overwritten) | [`MasterKey::write_new_file`], [`MasterKey::read_file`], [`default_key_file`] |
//! | K-of-N recovery shares | [`split`], [`combine`], [`Share::to_text`], [`parse_shares`] |
//! | domain keys, rotation, customer data keys | [`Keyring`], [`WrappedKey`], [`WrappedDataKey`] |
//! | field and blob encryption bound to its place | [`seal_field`], [`open_field`], [`seal_blob`], [`open_blob`], [`Aad`] |
//! | phone and name look-ups | [`normalize_phone`], [`normalize_name`], [`lookup_token`] |
//! | centre signing key, exchange identity | [`CentreKeys`], [`PublicIdentity`], [`Fingerprint`] |
//! | packages to and from the analysis centre | [`seal_package`], [`open_package`] ([`package`] explains the design) |
//! | HTTPS requests signed by the caller's pinned key | [`request::RequestAuth`] |
//!
//! # Example
//!
//! ```
//! use vantay_vault::{open_field, seal_field, Aad, Keyring, MasterKey, SealingKey};
//! use uuid::Uuid;
//!
//! let master = MasterKey::generate();
//! let (keyring, rows_to_store) = Keyring::create(&master);
//! let customer = Uuid::new_v4();
//! let (data_key, wrapped_to_store) = keyring.new_data_key(customer)?;
//! let aad = Aad {
//!     table: "customers", field: "full_name", customer,
//!     record: customer, version: 1, key_id: data_key.id(),
//! };
//! let sealed = seal_field(&data_key, &aad, "Nguyễn Thị Hồng Nhung".as_bytes());
//! let plain = open_field(&data_key, &aad, &sealed)?;
//! assert_eq!(plain.as_slice(), "Nguyễn Thị Hồng Nhung".as_bytes());
//! # let _ = (rows_to_store, wrapped_to_store);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod identity;
mod keyfile;
mod keyring;
mod keys;
pub mod package;
pub mod request;
mod seal;
mod shares;
mod tokens;

pub mod threat_model;

pub use identity::{CentreKeys, Fingerprint, IdentityError, PublicIdentity, WrappedCentreKeys};
pub use keyfile::{default_key_file, KeyFileError};
pub use keyring::{Keyring, KeyringError, WrappedDataKey, WrappedKey};
pub use keys::{
    DataKey, Domain, DomainKey, KeyId, KeyIdParseError, MasterKey, SealingKey, KEY_LEN,
};
pub use package::{
    open_package, seal_package, PackageError, PackageHeader, PackageKind, VerifiedPackage,
};
pub use seal::{open_blob, open_field, seal_blob, seal_field, Aad, OpenError, Purpose, OVERHEAD};
pub use shares::{combine, parse_share_spec, parse_shares, split, Share, ShareError};
pub use tokens::{lookup_token, normalize_name, normalize_phone, PhoneError, NAME, PHONE};

/// Calls that weaken a guarantee and exist only for tests and test vectors.
pub mod danger {
    use crate::keys::SealingKey;
    use crate::seal::{seal_with_nonce, Aad, Purpose, NONCE_LEN};

    /// Seal with a caller-chosen nonce. Reusing a nonce under one key breaks
    /// confidentiality and authenticity: only for pinning the format in test
    /// vectors.
    pub fn seal_with_fixed_nonce(
        key: &impl SealingKey,
        aad: &Aad<'_>,
        purpose: Purpose,
        nonce: &[u8; NONCE_LEN],
        plaintext: &[u8],
    ) -> Vec<u8> {
        seal_with_nonce(key.secret(), &aad.encode(purpose), nonce, plaintext)
    }

    /// A data key from raw bytes, for test vectors only: real data keys are
    /// random and only ever leave the vault wrapped.
    pub fn data_key_from_bytes(generation: u32, bytes: [u8; crate::KEY_LEN]) -> crate::DataKey {
        crate::DataKey::from_secret(generation, secrecy::SecretBox::new(Box::new(bytes)))
    }
}

/// Serde helper: bytes as standard base64 strings.
mod b64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}
