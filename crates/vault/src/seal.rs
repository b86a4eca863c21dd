//! Field and blob encryption: XChaCha20-Poly1305 bound to its place.
//!
//! Sealed format (both fields and blobs):
//!
//! ```text
//! 0x01 ‖ nonce (24 bytes, random) ‖ ciphertext ‖ Poly1305 tag (16 bytes)
//! ```
//!
//! The associated data is never stored: the caller rebuilds it from where the
//! ciphertext lies ([`Aad`]), so a ciphertext copied to another customer,
//! field, record, version or key id fails to open. Fields and blobs use
//! different labels in the associated data, so one cannot pass for the other.

use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{Key, Tag, XChaCha20Poly1305, XNonce};
use rand::RngCore;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::keys::{KeyId, SealingKey, KEY_LEN};

/// First byte of every sealed value: the format version.
pub const FORMAT_V1: u8 = 0x01;
/// Nonce length of XChaCha20-Poly1305.
pub const NONCE_LEN: usize = 24;
/// Poly1305 tag length.
pub const TAG_LEN: usize = 16;
/// Bytes a sealed value adds to its plaintext.
pub const OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

/// Where a sealed value belongs: bound into the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aad<'a> {
    /// Table (or blob kind) the value lies in, e.g. `"customers"`.
    pub table: &'a str,
    /// Field (or blob role) name, e.g. `"full_name"` or `"print:R1"`.
    pub field: &'a str,
    /// The customer the value belongs to.
    pub customer: Uuid,
    /// The record (row or blob) id.
    pub record: Uuid,
    /// The record's version (corrections are new versions).
    pub version: u32,
    /// Id of the key that seals the value ([`SealingKey::id`]).
    pub key_id: KeyId,
}

/// What is sealed: decides the label at the head of the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A database field.
    Field,
    /// A blob (image, report file) stored outside the database.
    Blob,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Field => b"vantay-aad-v1/field",
            Purpose::Blob => b"vantay-aad-v1/blob",
        }
    }
}

/// Append `part` with a 4-byte big-endian length prefix.
pub(crate) fn put_part(out: &mut Vec<u8>, part: &[u8]) {
    let len = u32::try_from(part.len()).expect("an associated-data part is under 4 GiB");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(part);
}

impl Aad<'_> {
    /// The unambiguous byte encoding: every part length-prefixed (u32,
    /// big-endian), in the order label, table, field, customer, record,
    /// version, key domain, key version. Pinned by
    /// `tests/vectors/aad.json`.
    pub fn encode(&self, purpose: Purpose) -> Vec<u8> {
        let mut out = Vec::with_capacity(96 + self.table.len() + self.field.len());
        put_part(&mut out, purpose.label());
        put_part(&mut out, self.table.as_bytes());
        put_part(&mut out, self.field.as_bytes());
        put_part(&mut out, self.customer.as_bytes());
        put_part(&mut out, self.record.as_bytes());
        put_part(&mut out, &self.version.to_be_bytes());
        put_part(&mut out, self.key_id.domain.as_str().as_bytes());
        put_part(&mut out, &self.key_id.version.to_be_bytes());
        out
    }
}

/// Why a sealed value did not open.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenError {
    /// Shorter than the smallest sealed value: truncated or not a sealed value.
    #[error("sealed value is {len} bytes, shorter than the {OVERHEAD}-byte minimum: it was truncated or is not a vantay sealed value")]
    TooShort {
        /// Length of what was given.
        len: usize,
    },
    /// Unknown format byte: written by a newer version or not a sealed value.
    #[error("sealed value has format byte {0:#04x}, expected 0x01: it was written by a newer vantay or is not a sealed value")]
    UnknownFormat(u8),
    /// Authentication failed.
    #[error("sealed value does not belong here or was changed: wrong key, wrong place (table, field, customer, record, version, key id) or altered bytes")]
    NotAuthentic,
}

fn cipher(key: &[u8; KEY_LEN]) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(Key::from_slice(key))
}

pub(crate) fn random_nonce() -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    // `thread_rng` is a CSPRNG reseeded from the OS; a 192-bit random nonce
    // makes a collision negligible even for billions of seals per key.
    rand::thread_rng().fill_bytes(&mut nonce);
    nonce
}

/// Seal with an explicit nonce: the one place that encrypts. Writes the whole
/// sealed value into one pre-sized buffer and encrypts in place, so the
/// plaintext is copied once and nothing is reallocated.
pub(crate) fn seal_with_nonce(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(plaintext.len() + OVERHEAD);
    out.push(FORMAT_V1);
    out.extend_from_slice(nonce);
    out.extend_from_slice(plaintext);
    let tag = cipher(key)
        .encrypt_in_place_detached(XNonce::from_slice(nonce), aad, &mut out[1 + NONCE_LEN..])
        .expect("XChaCha20-Poly1305 encrypts any length below 256 GiB");
    out.extend_from_slice(&tag);
    out
}

pub(crate) fn open_with(
    key: &[u8; KEY_LEN],
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    if sealed.len() < OVERHEAD {
        return Err(OpenError::TooShort { len: sealed.len() });
    }
    if sealed[0] != FORMAT_V1 {
        return Err(OpenError::UnknownFormat(sealed[0]));
    }
    let (nonce, rest) = sealed[1..].split_at(NONCE_LEN);
    let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
    let mut plain = Zeroizing::new(body.to_vec());
    cipher(key)
        .decrypt_in_place_detached(
            XNonce::from_slice(nonce),
            aad,
            plain.as_mut_slice(),
            Tag::from_slice(tag),
        )
        .map_err(|_| OpenError::NotAuthentic)?;
    Ok(plain)
}

/// Seal a database field under `key`, bound to `aad`.
///
/// `aad.key_id` should be `key.id()`; the caller stores the key id beside the
/// value to know which key opens it.
pub fn seal_field(key: &impl SealingKey, aad: &Aad<'_>, plaintext: &[u8]) -> Vec<u8> {
    seal_with_nonce(
        key.secret(),
        &aad.encode(Purpose::Field),
        &random_nonce(),
        plaintext,
    )
}

/// Open a field sealed by [`seal_field`] with the same key and place.
pub fn open_field(
    key: &impl SealingKey,
    aad: &Aad<'_>,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    open_with(key.secret(), &aad.encode(Purpose::Field), sealed)
}

/// Seal a blob (image, report file) under `key`, bound to `aad`.
pub fn seal_blob(key: &impl SealingKey, aad: &Aad<'_>, plaintext: &[u8]) -> Vec<u8> {
    seal_with_nonce(
        key.secret(),
        &aad.encode(Purpose::Blob),
        &random_nonce(),
        plaintext,
    )
}

/// Open a blob sealed by [`seal_blob`] with the same key and place.
pub fn open_blob(
    key: &impl SealingKey,
    aad: &Aad<'_>,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    open_with(key.secret(), &aad.encode(Purpose::Blob), sealed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{DataKey, Domain};

    fn place(customer: Uuid, record: Uuid, key: &DataKey) -> Aad<'static> {
        Aad {
            table: "customers",
            field: "full_name",
            customer,
            record,
            version: 1,
            key_id: key.id(),
        }
    }

    #[test]
    fn field_round_trip() {
        let key = DataKey::generate(1);
        let aad = place(Uuid::new_v4(), Uuid::new_v4(), &key);
        let sealed = seal_field(&key, &aad, "Nguyễn Thị Hồng Nhung".as_bytes());
        assert_eq!(sealed.len(), "Nguyễn Thị Hồng Nhung".len() + OVERHEAD);
        let plain = open_field(&key, &aad, &sealed).unwrap();
        assert_eq!(plain.as_slice(), "Nguyễn Thị Hồng Nhung".as_bytes());
    }

    #[test]
    fn same_plaintext_seals_differently() {
        let key = DataKey::generate(1);
        let aad = place(Uuid::new_v4(), Uuid::new_v4(), &key);
        assert_ne!(seal_field(&key, &aad, b"x"), seal_field(&key, &aad, b"x"));
    }

    #[test]
    fn any_other_place_fails() {
        let key = DataKey::generate(1);
        let aad = place(Uuid::new_v4(), Uuid::new_v4(), &key);
        let sealed = seal_field(&key, &aad, b"+84901234567");
        let others = [
            Aad {
                table: "cases",
                ..aad
            },
            Aad {
                field: "phone",
                ..aad
            },
            Aad {
                customer: Uuid::new_v4(),
                ..aad
            },
            Aad {
                record: Uuid::new_v4(),
                ..aad
            },
            Aad { version: 2, ..aad },
            Aad {
                key_id: KeyId::new(Domain::CustomerData, 2),
                ..aad
            },
            Aad {
                key_id: KeyId::new(Domain::PersonalData, 1),
                ..aad
            },
        ];
        for other in &others {
            assert_eq!(
                open_field(&key, other, &sealed),
                Err(OpenError::NotAuthentic),
                "{other:?}"
            );
        }
        assert_eq!(open_blob(&key, &aad, &sealed), Err(OpenError::NotAuthentic));
        assert_eq!(
            open_field(&DataKey::generate(1), &aad, &sealed),
            Err(OpenError::NotAuthentic)
        );
    }

    #[test]
    fn every_flipped_bit_fails() {
        let key = DataKey::generate(1);
        let aad = place(Uuid::new_v4(), Uuid::new_v4(), &key);
        let sealed = seal_blob(&key, &aad, &[7u8; 100]);
        for i in 0..sealed.len() {
            for bit in 0..8 {
                let mut bad = sealed.clone();
                bad[i] ^= 1 << bit;
                assert!(open_blob(&key, &aad, &bad).is_err(), "byte {i} bit {bit}");
            }
        }
        assert_eq!(
            open_blob(&key, &aad, &sealed[..OVERHEAD - 1]),
            Err(OpenError::TooShort { len: OVERHEAD - 1 })
        );
        let mut newer = sealed.clone();
        newer[0] = 2;
        assert_eq!(
            open_blob(&key, &aad, &newer),
            Err(OpenError::UnknownFormat(2))
        );
    }

    #[test]
    fn empty_plaintext_round_trips() {
        let key = DataKey::generate(3);
        let aad = place(Uuid::nil(), Uuid::nil(), &key);
        let sealed = seal_blob(&key, &aad, b"");
        assert!(open_blob(&key, &aad, &sealed).unwrap().is_empty());
    }
}
