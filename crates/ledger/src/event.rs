//! One ledger entry and its canonical byte encoding.
//!
//! # Encoding (version 1)
//!
//! The leaf bytes of an event are, in order, with every integer big-endian:
//!
//! | field | bytes |
//! |---|---|
//! | version | `u8` = 1 |
//! | `seq` | `u64` |
//! | `at` (unix milliseconds, UTC) | `i64` |
//! | `actor`, `action`, `object` | each a `u32` length, then that many UTF-8 bytes |
//! | digest count | `u32` |
//! | each digest | `u32` length + UTF-8 name, then the 32-byte SHA-256 |
//!
//! Every field has exactly one encoding, so the bytes are canonical: parsing
//! and re-encoding gives the same bytes, and [`Event::from_leaf_bytes`]
//! refuses anything else (unknown version, short input, bad UTF-8, bytes
//! left over). Binary rather than JSON because it needs no canonicalisation
//! rules and costs nothing to parse when `verify` walks a million entries.

use crate::hash::{leaf_hash, Hash};

/// The only encoding version this crate writes and reads.
const VERSION: u8 = 1;

/// What one ledger entry records: who did what to which object, when, and
/// the SHA-256 of every stored ciphertext or blob the action wrote or read.
///
/// No field may hold personal data: `actor` is a staff id or `cli:<user>`,
/// `object` a kind and a UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// 0-based position in the ledger; must equal the leaf index.
    pub seq: u64,
    /// When it happened: milliseconds since 1970-01-01 UTC.
    pub at: i64,
    /// Who: a staff id or `cli:<user>`.
    pub actor: String,
    /// What, e.g. `customer.create`, `customer.read`, `case.seal`.
    pub action: String,
    /// On which object, e.g. `customer/<uuid>`, `case/<uuid>`.
    pub object: String,
    /// Name of each stored thing (e.g. `customers/<uuid>/full_name/v1`)
    /// and the SHA-256 of its stored ciphertext.
    pub digests: Vec<(String, Hash)>,
}

/// Leaf bytes that are not a version-1 event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventDecodeError {
    /// The first byte names an encoding this crate does not know.
    #[error("unknown event encoding version {0}")]
    UnknownVersion(u8),
    /// The bytes end before the field does.
    #[error("event bytes end inside the {0} field")]
    Truncated(&'static str),
    /// A text field is not valid UTF-8.
    #[error("event field {0} is not UTF-8")]
    NotUtf8(&'static str),
    /// Bytes follow the last digest.
    #[error("{0} unexpected bytes after the event")]
    TrailingBytes(usize),
}

impl Event {
    /// The canonical leaf bytes (see the module docs).
    pub fn to_leaf_bytes(&self) -> Vec<u8> {
        let text_len = self.actor.len() + self.action.len() + self.object.len();
        let digests_len: usize = self.digests.iter().map(|(n, _)| 36 + n.len()).sum();
        let mut out = Vec::with_capacity(1 + 8 + 8 + 12 + text_len + 4 + digests_len);
        out.push(VERSION);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.at.to_be_bytes());
        for text in [&self.actor, &self.action, &self.object] {
            put_text(&mut out, text);
        }
        out.extend_from_slice(&len_u32(self.digests.len()).to_be_bytes());
        for (name, digest) in &self.digests {
            put_text(&mut out, name);
            out.extend_from_slice(&digest.0);
        }
        out
    }

    /// Parses canonical leaf bytes back into an event.
    pub fn from_leaf_bytes(bytes: &[u8]) -> Result<Event, EventDecodeError> {
        let mut reader = Reader { rest: bytes };
        let version = reader.take::<1>("version")?[0];
        if version != VERSION {
            return Err(EventDecodeError::UnknownVersion(version));
        }
        let seq = u64::from_be_bytes(reader.take("seq")?);
        let at = i64::from_be_bytes(reader.take("at")?);
        let actor = reader.text("actor")?;
        let action = reader.text("action")?;
        let object = reader.text("object")?;
        let count = u32::from_be_bytes(reader.take("digest count")?) as usize;
        // Each digest needs at least 36 bytes, so a forged count cannot make
        // us reserve more than the input could hold.
        let mut digests = Vec::with_capacity(count.min(reader.rest.len() / 36));
        for _ in 0..count {
            let name = reader.text("digest name")?;
            digests.push((name, Hash(reader.take("digest")?)));
        }
        if !reader.rest.is_empty() {
            return Err(EventDecodeError::TrailingBytes(reader.rest.len()));
        }
        Ok(Event {
            seq,
            at,
            actor,
            action,
            object,
            digests,
        })
    }

    /// The RFC 6962 leaf hash of this event's canonical bytes.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.to_leaf_bytes())
    }
}

/// Lengths are written as `u32`; a single ledger field of 4 GiB is a bug.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).expect("ledger event field longer than 4 GiB")
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&len_u32(text.len()).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// A cursor over the leaf bytes that names the field it failed on.
struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], EventDecodeError> {
        let bytes = self.slice(N, field)?;
        Ok(bytes.try_into().expect("slice has length N"))
    }

    fn slice(&mut self, len: usize, field: &'static str) -> Result<&[u8], EventDecodeError> {
        if self.rest.len() < len {
            return Err(EventDecodeError::Truncated(field));
        }
        let (head, tail) = self.rest.split_at(len);
        self.rest = tail;
        Ok(head)
    }

    fn text(&mut self, field: &'static str) -> Result<String, EventDecodeError> {
        let len = u32::from_be_bytes(self.take(field)?) as usize;
        let bytes = self.slice(len, field)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| EventDecodeError::NotUtf8(field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Event {
        Event {
            seq: 7,
            at: 1_795_000_000_123,
            actor: "staff:42".into(),
            action: "customer.create".into(),
            object: "customer/0193a4b2-0000-7000-8000-000000000001".into(),
            digests: vec![
                ("customers/0193a4b2/full_name/v1".into(), Hash::of(b"ct1")),
                ("customers/0193a4b2/phone/v1".into(), Hash::of(b"ct2")),
            ],
        }
    }

    #[test]
    fn round_trip_is_exact() {
        let event = sample();
        let bytes = event.to_leaf_bytes();
        assert_eq!(Event::from_leaf_bytes(&bytes), Ok(event));
    }

    #[test]
    fn every_truncation_is_refused() {
        let bytes = sample().to_leaf_bytes();
        for len in 0..bytes.len() {
            let err = Event::from_leaf_bytes(&bytes[..len]).unwrap_err();
            assert!(
                matches!(err, EventDecodeError::Truncated(_)),
                "{len}: {err}"
            );
        }
    }

    #[test]
    fn trailing_bytes_version_and_utf8_are_refused() {
        let mut bytes = sample().to_leaf_bytes();
        bytes.push(0);
        assert_eq!(
            Event::from_leaf_bytes(&bytes),
            Err(EventDecodeError::TrailingBytes(1))
        );
        bytes.pop();
        bytes[0] = 2;
        assert_eq!(
            Event::from_leaf_bytes(&bytes),
            Err(EventDecodeError::UnknownVersion(2))
        );
        bytes[0] = VERSION;
        bytes[1 + 8 + 8 + 4] = 0xff; // first byte of the actor
        assert_eq!(
            Event::from_leaf_bytes(&bytes),
            Err(EventDecodeError::NotUtf8("actor"))
        );
    }

    #[test]
    fn a_huge_digest_count_does_not_allocate_or_panic() {
        let mut event = sample();
        event.digests.clear();
        let mut bytes = event.to_leaf_bytes();
        let n = bytes.len();
        bytes[n - 4..].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            Event::from_leaf_bytes(&bytes),
            Err(EventDecodeError::Truncated("digest name"))
        );
    }
}
