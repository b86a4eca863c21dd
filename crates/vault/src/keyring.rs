//! The keyring: domain keys unwrapped with the master key, and the customers'
//! data keys wrapped and unwrapped with the personal-data domain key.
//!
//! The master key never seals data itself: a key-encryption key is derived
//! from it with HKDF-SHA256, and that wraps the domain keys (and the centre's
//! own signing and exchange keys). Rotation adds a new version of a domain
//! key; old versions stay for reading, new writes use the newest.

use std::collections::BTreeMap;

use hkdf::Hkdf;
use secrecy::{ExposeSecret, ExposeSecretMut, SecretBox};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::keys::{DataKey, Domain, DomainKey, KeyId, MasterKey, SealingKey, KEY_LEN};
use crate::seal::{open_with, put_part, random_nonce, seal_with_nonce};

/// A domain key as stored in the database: sealed under the master key.
/// Public (holds no secret in the clear).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    /// Which key this is.
    pub id: KeyId,
    /// The key sealed under the master key's key-encryption key, bound to `id`.
    #[serde(with = "crate::b64")]
    pub wrapped: Vec<u8>,
}

/// A customer's data key as stored in the database, wrapped by a version of
/// the personal-data domain key. Deleting it is the customer's erasure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedDataKey {
    /// The personal-data domain key that wraps it.
    pub wrapped_by: KeyId,
    /// The data key's generation (its [`KeyId`] version in associated data).
    pub generation: u32,
    /// The data key sealed under `wrapped_by`, bound to the customer id,
    /// the generation and `wrapped_by`.
    #[serde(with = "crate::b64")]
    pub wrapped: Vec<u8>,
}

/// Why the keyring could not be built or a key not unwrapped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyringError {
    /// No wrapped key opened: the master key is not this centre's.
    #[error("none of the {count} stored keys opens with this master key: the key file (or the recovery shares) belong to another centre; use this centre's key file")]
    WrongMasterKey {
        /// How many wrapped keys were tried.
        count: usize,
    },
    /// One wrapped key did not open while others did: the row was changed.
    #[error("stored key {0} does not open with this master key although others do: the row was changed or damaged; restore it from a backup")]
    Damaged(KeyId),
    /// No key of a needed domain is stored.
    #[error("no {0} key is stored: the database was not initialised by `vantay init` or a key row was deleted")]
    MissingDomain(Domain),
    /// The same key id appears twice.
    #[error("key {0} is stored twice: the key table is damaged")]
    Duplicate(KeyId),
    /// A key id that the keyring never holds (customer data keys).
    #[error("{0} is not a domain key")]
    NotADomainKey(KeyId),
    /// A key version that is not in the keyring.
    #[error("key {0} is not in the keyring: it was never created here or its row was deleted")]
    UnknownKey(KeyId),
    /// The customer's wrapped data key did not open.
    #[error("the data key of customer {customer} does not open: it belongs to another customer or was changed")]
    DataKeyDamaged {
        /// The customer it was opened for.
        customer: Uuid,
    },
}

/// HKDF info of the key-encryption key derived from the master key.
const KEK_INFO: &[u8] = b"vantay/master-key-encryption-key/v1";

fn derive_kek(master: &MasterKey) -> SecretBox<[u8; KEY_LEN]> {
    let mut kek = SecretBox::new(Box::new([0u8; KEY_LEN]));
    Hkdf::<Sha256>::new(None, master.expose())
        .expand(KEK_INFO, kek.expose_secret_mut())
        .expect("32 bytes is a valid HKDF-SHA256 length");
    kek
}

fn domain_key_aad(id: KeyId) -> Vec<u8> {
    let mut aad = Vec::new();
    put_part(&mut aad, b"vantay-wrap-v1/domain-key");
    put_part(&mut aad, id.domain.as_str().as_bytes());
    put_part(&mut aad, &id.version.to_be_bytes());
    aad
}

fn data_key_aad(customer: Uuid, generation: u32, wrapped_by: KeyId) -> Vec<u8> {
    let mut aad = Vec::new();
    put_part(&mut aad, b"vantay-wrap-v1/data-key");
    put_part(&mut aad, customer.as_bytes());
    put_part(&mut aad, &generation.to_be_bytes());
    put_part(&mut aad, wrapped_by.domain.as_str().as_bytes());
    put_part(&mut aad, &wrapped_by.version.to_be_bytes());
    aad
}

fn to_secret(bytes: &[u8]) -> Option<SecretBox<[u8; KEY_LEN]>> {
    let array: [u8; KEY_LEN] = bytes.try_into().ok()?;
    Some(SecretBox::new(Box::new(array)))
}

/// The unwrapped domain keys of a centre plus the key-encryption key.
pub struct Keyring {
    kek: SecretBox<[u8; KEY_LEN]>,
    keys: BTreeMap<KeyId, DomainKey>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// A new keyring with version 1 of every domain key, and the rows to store.
    pub fn create(master: &MasterKey) -> (Keyring, Vec<WrappedKey>) {
        let mut ring = Keyring {
            kek: derive_kek(master),
            keys: BTreeMap::new(),
        };
        let rows = Domain::KEYRING
            .into_iter()
            .map(|domain| ring.add(DomainKey::generate(KeyId::new(domain, 1))))
            .collect();
        (ring, rows)
    }

    /// Rebuild the keyring from the master key and the stored rows.
    pub fn open(master: &MasterKey, rows: &[WrappedKey]) -> Result<Keyring, KeyringError> {
        let kek = derive_kek(master);
        let mut keys = BTreeMap::new();
        let mut failed = Vec::new();
        for row in rows {
            if row.id.domain == Domain::CustomerData {
                return Err(KeyringError::NotADomainKey(row.id));
            }
            match open_with(kek.expose_secret(), &domain_key_aad(row.id), &row.wrapped)
                .ok()
                .and_then(|plain| to_secret(&plain))
            {
                Some(secret) => {
                    if keys
                        .insert(row.id, DomainKey::from_secret(row.id, secret))
                        .is_some()
                    {
                        return Err(KeyringError::Duplicate(row.id));
                    }
                }
                None => failed.push(row.id),
            }
        }
        if !rows.is_empty() && failed.len() == rows.len() {
            return Err(KeyringError::WrongMasterKey { count: rows.len() });
        }
        if let Some(id) = failed.first() {
            return Err(KeyringError::Damaged(*id));
        }
        let ring = Keyring { kek, keys };
        for domain in Domain::KEYRING {
            ring.latest(domain)?;
        }
        Ok(ring)
    }

    fn wrap(&self, key: &DomainKey) -> WrappedKey {
        let id = key.id();
        WrappedKey {
            id,
            wrapped: seal_with_nonce(
                self.kek.expose_secret(),
                &domain_key_aad(id),
                &random_nonce(),
                key.secret(),
            ),
        }
    }

    fn add(&mut self, key: DomainKey) -> WrappedKey {
        let row = self.wrap(&key);
        self.keys.insert(key.id(), key);
        row
    }

    /// The newest version of `domain`'s key: the one new writes use.
    pub fn latest(&self, domain: Domain) -> Result<&DomainKey, KeyringError> {
        self.keys
            .range(KeyId::new(domain, 0)..=KeyId::new(domain, u32::MAX))
            .next_back()
            .map(|(_, key)| key)
            .ok_or(KeyringError::MissingDomain(domain))
    }

    /// A given version of a domain key (to open what it sealed).
    pub fn get(&self, id: KeyId) -> Result<&DomainKey, KeyringError> {
        self.keys.get(&id).ok_or(KeyringError::UnknownKey(id))
    }

    /// Every key id held, oldest first within each domain.
    pub fn key_ids(&self) -> impl Iterator<Item = KeyId> + '_ {
        self.keys.keys().copied()
    }

    /// Add the next version of `domain`'s key; returns the row to store.
    /// Old versions stay for reading; [`Keyring::latest`] now returns the new one.
    ///
    /// Rotating [`Domain::SearchIndex`] changes every look-up token: the
    /// caller must recompute the stored tokens (or keep the token's key
    /// version beside it and search with that version), or searches stop
    /// finding older customers. The same holds for MACs under
    /// [`Domain::LedgerMac`]: verify each with the version that made it.
    pub fn rotate(&mut self, domain: Domain) -> Result<WrappedKey, KeyringError> {
        if domain == Domain::CustomerData {
            return Err(KeyringError::NotADomainKey(KeyId::new(domain, 0)));
        }
        let current = self.latest(domain)?.id();
        let next = KeyId::new(domain, current.version + 1);
        Ok(self.add(DomainKey::generate(next)))
    }

    /// Every domain key wrapped under `new_master`: the rows to store when
    /// the master key itself is replaced. Data needs no re-encryption.
    pub fn rewrap_all(&self, new_master: &MasterKey) -> (Keyring, Vec<WrappedKey>) {
        let mut ring = Keyring {
            kek: derive_kek(new_master),
            keys: BTreeMap::new(),
        };
        let rows = self
            .keys
            .values()
            .map(|key| {
                let copy = to_secret(key.secret()).expect("a domain key is 32 bytes");
                ring.add(DomainKey::from_secret(key.id(), copy))
            })
            .collect();
        (ring, rows)
    }

    pub(crate) fn kek(&self) -> &[u8; KEY_LEN] {
        self.kek.expose_secret()
    }

    /// A new data key for `customer`, wrapped by the newest personal-data key.
    pub fn new_data_key(&self, customer: Uuid) -> Result<(DataKey, WrappedDataKey), KeyringError> {
        let key = DataKey::generate(1);
        let wrapped = self.wrap_data_key(customer, &key)?;
        Ok((key, wrapped))
    }

    fn wrap_data_key(&self, customer: Uuid, key: &DataKey) -> Result<WrappedDataKey, KeyringError> {
        let by = self.latest(Domain::PersonalData)?;
        let aad = data_key_aad(customer, key.generation(), by.id());
        Ok(WrappedDataKey {
            wrapped_by: by.id(),
            generation: key.generation(),
            wrapped: seal_with_nonce(by.secret(), &aad, &random_nonce(), key.secret()),
        })
    }

    /// Unwrap `customer`'s data key.
    pub fn open_data_key(
        &self,
        customer: Uuid,
        wrapped: &WrappedDataKey,
    ) -> Result<DataKey, KeyringError> {
        if wrapped.wrapped_by.domain != Domain::PersonalData {
            return Err(KeyringError::DataKeyDamaged { customer });
        }
        let by = self.get(wrapped.wrapped_by)?;
        let aad = data_key_aad(customer, wrapped.generation, wrapped.wrapped_by);
        open_with(by.secret(), &aad, &wrapped.wrapped)
            .ok()
            .and_then(|plain| to_secret(&plain))
            .map(|secret| DataKey::from_secret(wrapped.generation, secret))
            .ok_or(KeyringError::DataKeyDamaged { customer })
    }

    /// Re-wrap `customer`'s data key under the newest personal-data key (after
    /// a rotation), so the old domain key version can later be retired. What
    /// the data key sealed stays readable unchanged.
    pub fn rewrap_data_key(
        &self,
        customer: Uuid,
        wrapped: &WrappedDataKey,
    ) -> Result<WrappedDataKey, KeyringError> {
        let key = self.open_data_key(customer, wrapped)?;
        self.wrap_data_key(customer, &key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::{open_blob, open_field, seal_blob, seal_field, Aad};

    fn aad_for(key: &impl SealingKey, customer: Uuid) -> Aad<'static> {
        Aad {
            table: "images",
            field: "print:R1",
            customer,
            record: Uuid::nil(),
            version: 1,
            key_id: key.id(),
        }
    }

    #[test]
    fn create_then_open_gives_same_keys() {
        let master = MasterKey::generate();
        let (ring, rows) = Keyring::create(&master);
        assert_eq!(rows.len(), Domain::KEYRING.len());
        let again = Keyring::open(&master, &rows).unwrap();
        let key = ring.latest(Domain::Images).unwrap();
        let aad = aad_for(key, Uuid::nil());
        let sealed = seal_blob(key, &aad, b"print");
        let reopened = again.latest(Domain::Images).unwrap();
        assert_eq!(
            open_blob(reopened, &aad, &sealed).unwrap().as_slice(),
            b"print"
        );
    }

    #[test]
    fn wrong_master_and_damaged_rows_are_told_apart() {
        let (_, rows) = Keyring::create(&MasterKey::generate());
        let err = Keyring::open(&MasterKey::generate(), &rows).unwrap_err();
        assert_eq!(err, KeyringError::WrongMasterKey { count: rows.len() });

        let master = MasterKey::generate();
        let (_, mut rows) = Keyring::create(&master);
        let last = rows.len() - 1;
        rows[last].wrapped[30] ^= 1;
        assert_eq!(
            Keyring::open(&master, &rows).unwrap_err(),
            KeyringError::Damaged(rows[last].id)
        );

        let (_, rows) = Keyring::create(&master);
        let mut swapped = rows.clone();
        swapped[0].id = rows[1].id;
        swapped[1].id = rows[0].id;
        assert!(Keyring::open(&master, &swapped).is_err());

        let missing: Vec<_> = rows
            .iter()
            .filter(|r| r.id.domain != Domain::LedgerMac)
            .cloned()
            .collect();
        assert_eq!(
            Keyring::open(&master, &missing).unwrap_err(),
            KeyringError::MissingDomain(Domain::LedgerMac)
        );
    }

    #[test]
    fn rotation_keeps_old_data_readable_and_uses_new_version() {
        let master = MasterKey::generate();
        let (mut ring, mut rows) = Keyring::create(&master);
        let v1 = ring.latest(Domain::Images).unwrap();
        let aad_v1 = aad_for(v1, Uuid::nil());
        let old = seal_field(v1, &aad_v1, b"sealed under v1");

        rows.push(ring.rotate(Domain::Images).unwrap());
        let mut ring = Keyring::open(&master, &rows).unwrap();
        let v2 = ring.latest(Domain::Images).unwrap();
        assert_eq!(v2.id(), KeyId::new(Domain::Images, 2));
        let v1_again = ring.get(KeyId::new(Domain::Images, 1)).unwrap();
        assert_eq!(
            open_field(v1_again, &aad_v1, &old).unwrap().as_slice(),
            b"sealed under v1"
        );
        assert!(open_field(v2, &aad_v1, &old).is_err());
        assert!(matches!(
            ring.rotate(Domain::CustomerData),
            Err(KeyringError::NotADomainKey(_))
        ));
        assert_eq!(
            ring.get(KeyId::new(Domain::Images, 3)).unwrap_err(),
            KeyringError::UnknownKey(KeyId::new(Domain::Images, 3))
        );
    }

    #[test]
    fn new_master_rewraps_without_touching_data() {
        let old_master = MasterKey::generate();
        let (ring, _) = Keyring::create(&old_master);
        let customer = Uuid::new_v4();
        let (data_key, wrapped) = ring.new_data_key(customer).unwrap();
        let aad = aad_for(&data_key, customer);
        let sealed = seal_field(&data_key, &aad, b"0901234567");

        let new_master = MasterKey::generate();
        let (_, rows) = ring.rewrap_all(&new_master);
        assert!(Keyring::open(&old_master, &rows).is_err());
        let ring = Keyring::open(&new_master, &rows).unwrap();
        let data_key = ring.open_data_key(customer, &wrapped).unwrap();
        assert_eq!(
            open_field(&data_key, &aad, &sealed).unwrap().as_slice(),
            b"0901234567"
        );
    }

    #[test]
    fn data_key_rewrap_after_rotation() {
        let (mut ring, _) = Keyring::create(&MasterKey::generate());
        let customer = Uuid::new_v4();
        let (key, wrapped) = ring.new_data_key(customer).unwrap();
        let aad = aad_for(&key, customer);
        let sealed = seal_field(&key, &aad, b"Nhung");
        ring.rotate(Domain::PersonalData).unwrap();
        let rewrapped = ring.rewrap_data_key(customer, &wrapped).unwrap();
        assert_eq!(rewrapped.wrapped_by, KeyId::new(Domain::PersonalData, 2));
        let key = ring.open_data_key(customer, &rewrapped).unwrap();
        assert_eq!(
            open_field(&key, &aad, &sealed).unwrap().as_slice(),
            b"Nhung"
        );
    }

    #[test]
    fn data_key_is_bound_to_its_customer() {
        let (ring, _) = Keyring::create(&MasterKey::generate());
        let customer = Uuid::new_v4();
        let (_, wrapped) = ring.new_data_key(customer).unwrap();
        let other = Uuid::new_v4();
        assert_eq!(
            ring.open_data_key(other, &wrapped).unwrap_err(),
            KeyringError::DataKeyDamaged { customer: other }
        );
        let mut bumped = wrapped.clone();
        bumped.generation = 2;
        assert!(ring.open_data_key(customer, &bumped).is_err());
    }

    #[test]
    fn wrapped_key_serialises() {
        let (_, rows) = Keyring::create(&MasterKey::generate());
        let json = serde_json::to_string(&rows[0]).unwrap();
        assert!(json.contains("\"personal-data\""), "{json}");
        let back: WrappedKey = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rows[0]);
    }
}
