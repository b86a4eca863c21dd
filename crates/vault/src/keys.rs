//! Key types: the master key, domain keys, customer data keys and their ids.
//!
//! Every secret lives in a [`SecretBox`], so it is zeroized on drop, kept in
//! one heap place (no stray copies when the value moves) and never printed by
//! `Debug`.

use std::fmt;

use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Length in bytes of every symmetric key in the vault (256 bits).
pub const KEY_LEN: usize = 32;

/// Fill a fresh boxed secret with random bytes from the operating system's
/// CSPRNG (through `rand`'s thread generator, which is seeded from it).
pub(crate) fn random_secret() -> SecretBox<[u8; KEY_LEN]> {
    let mut secret = SecretBox::new(Box::new([0u8; KEY_LEN]));
    rand::rngs::OsRng.fill_bytes(secret.expose_secret_mut());
    secret
}

/// The centre's 256-bit master key: the root of every other key.
///
/// It never lies in the data directory or the database; it comes from the key
/// file ([`MasterKey::read_file`]) or from K recovery shares
/// ([`crate::combine`]).
pub struct MasterKey(SecretBox<[u8; KEY_LEN]>);

impl MasterKey {
    /// A new random master key.
    pub fn generate() -> Self {
        Self(random_secret())
    }

    /// Build a master key from raw bytes (recovery, tests). The bytes are
    /// copied: the caller zeroizes its own copy.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(SecretBox::new(Box::new(bytes)))
    }

    pub(crate) fn expose(&self) -> &[u8; KEY_LEN] {
        self.0.expose_secret()
    }

    /// A short public check value of this key (HMAC of a fixed label), written
    /// into recovery shares and key files so that a wrong key is recognised
    /// as such instead of failing later with a confusing error. Eight bytes
    /// reveal nothing useful about a 256-bit key.
    pub fn check_value(&self) -> [u8; 8] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.expose())
            .expect("HMAC accepts any key length");
        mac.update(b"vantay master key check value v1");
        let tag = mac.finalize().into_bytes();
        let mut out = [0u8; 8];
        out.copy_from_slice(&tag[..8]);
        out
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("check", &hex::encode(self.check_value()))
            .finish_non_exhaustive()
    }
}

/// What a domain key is for. Each domain has its own versioned keys, so a
/// leak or rotation of one does not touch the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Domain {
    /// Wraps the customers' data keys (which seal personal fields, images,
    /// results and reports, so that erasing one wrapped key shreds them all).
    PersonalData,
    /// Seals images that belong to no customer (calibration and test prints);
    /// a customer's prints are sealed under that customer's data key.
    Images,
    /// Keys the HMAC look-up tokens for phone and name search.
    SearchIndex,
    /// Keys the ledger's MACs.
    LedgerMac,
    /// Not a domain key: names a customer's own [`DataKey`] in a [`KeyId`],
    /// with the data key's generation as version. The keyring never holds one.
    CustomerData,
}

impl Domain {
    /// The domains the keyring holds keys for (every domain but
    /// [`Domain::CustomerData`]).
    pub const KEYRING: [Domain; 4] = [
        Domain::PersonalData,
        Domain::Images,
        Domain::SearchIndex,
        Domain::LedgerMac,
    ];

    /// Stable name, used in associated data and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::PersonalData => "personal-data",
            Domain::Images => "images",
            Domain::SearchIndex => "search-index",
            Domain::LedgerMac => "ledger-mac",
            Domain::CustomerData => "customer-data",
        }
    }

    /// Inverse of [`Domain::as_str`].
    pub fn parse(name: &str) -> Option<Domain> {
        Domain::KEYRING
            .into_iter()
            .chain([Domain::CustomerData])
            .find(|d| d.as_str() == name)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Names one version of one key: `personal-data/v3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KeyId {
    /// What the key is for.
    pub domain: Domain,
    /// Version, starting at 1; rotation adds the next one.
    pub version: u32,
}

impl KeyId {
    /// Key id of `domain` at `version`.
    pub fn new(domain: Domain, version: u32) -> Self {
        Self { domain, version }
    }
}

/// A key id text that is not `DOMAIN/vN`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not a key id: expect DOMAIN/vN, e.g. personal-data/v2")]
pub struct KeyIdParseError(String);

impl std::str::FromStr for KeyId {
    type Err = KeyIdParseError;
    /// Parse the [`fmt::Display`] form, `personal-data/v2`.
    fn from_str(text: &str) -> Result<KeyId, KeyIdParseError> {
        let bad = || KeyIdParseError(text.to_owned());
        let (domain, version) = text.split_once("/v").ok_or_else(bad)?;
        let domain = Domain::parse(domain).ok_or_else(bad)?;
        let version = version.parse().map_err(|_| bad())?;
        Ok(KeyId::new(domain, version))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/v{}", self.domain, self.version)
    }
}

/// A key that seals fields and blobs: a [`DomainKey`] or a [`DataKey`].
///
/// Sealed: only this crate's key types implement it.
pub trait SealingKey: private::Sealed {
    /// The id written into the associated data of everything sealed with it.
    fn id(&self) -> KeyId;
    /// The raw key bytes.
    #[doc(hidden)]
    fn secret(&self) -> &[u8; KEY_LEN];
}

mod private {
    pub trait Sealed {}
    impl Sealed for super::DomainKey {}
    impl Sealed for super::DataKey {}
}

/// One version of a domain key, unwrapped (held by a [`crate::Keyring`]).
pub struct DomainKey {
    id: KeyId,
    secret: SecretBox<[u8; KEY_LEN]>,
}

impl DomainKey {
    pub(crate) fn generate(id: KeyId) -> Self {
        Self {
            id,
            secret: random_secret(),
        }
    }

    pub(crate) fn from_secret(id: KeyId, secret: SecretBox<[u8; KEY_LEN]>) -> Self {
        Self { id, secret }
    }
}

impl SealingKey for DomainKey {
    fn id(&self) -> KeyId {
        self.id
    }
    fn secret(&self) -> &[u8; KEY_LEN] {
        self.secret.expose_secret()
    }
}

impl fmt::Debug for DomainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DomainKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A customer's own data key: seals that customer's personal fields, images,
/// results and reports. Stored only wrapped ([`crate::WrappedDataKey`]);
/// deleting the wrapped copy shreds everything sealed under it.
pub struct DataKey {
    generation: u32,
    secret: SecretBox<[u8; KEY_LEN]>,
}

impl DataKey {
    pub(crate) fn generate(generation: u32) -> Self {
        Self {
            generation,
            secret: random_secret(),
        }
    }

    pub(crate) fn from_secret(generation: u32, secret: SecretBox<[u8; KEY_LEN]>) -> Self {
        Self { generation, secret }
    }

    /// Generation of this data key (1 for a customer's first key).
    pub fn generation(&self) -> u32 {
        self.generation
    }
}

impl SealingKey for DataKey {
    fn id(&self) -> KeyId {
        KeyId::new(Domain::CustomerData, self.generation)
    }
    fn secret(&self) -> &[u8; KEY_LEN] {
        self.secret.expose_secret()
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_key_bytes() {
        let master = MasterKey::from_bytes([0xAB; KEY_LEN]);
        let text = format!("{master:?}");
        assert!(!text.contains("abab"), "{text}");
        let data = DataKey::from_secret(1, SecretBox::new(Box::new([0xCD; KEY_LEN])));
        assert!(!format!("{data:?}").contains("205"));
    }

    #[test]
    fn domain_names_round_trip() {
        for d in Domain::KEYRING.into_iter().chain([Domain::CustomerData]) {
            assert_eq!(Domain::parse(d.as_str()), Some(d));
        }
        assert_eq!(Domain::parse("nope"), None);
    }

    #[test]
    fn key_id_text_round_trip() {
        let id = KeyId::new(Domain::SearchIndex, 12);
        assert_eq!(id.to_string(), "search-index/v12");
        assert_eq!("search-index/v12".parse::<KeyId>(), Ok(id));
        assert!("search-index/12".parse::<KeyId>().is_err());
        assert!("nope/v1".parse::<KeyId>().is_err());
    }

    #[test]
    fn check_value_differs_between_keys() {
        let a = MasterKey::generate();
        let b = MasterKey::generate();
        assert_ne!(a.check_value(), b.check_value());
        assert_eq!(a.check_value(), a.check_value());
    }
}
