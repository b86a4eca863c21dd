//! SHA-256 hashes and the two RFC 6962 hash functions.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// Domain-separation prefix of a leaf hash (RFC 6962 §2.1).
const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an interior node hash (RFC 6962 §2.1).
const NODE_PREFIX: u8 = 0x01;

/// A SHA-256 value: a leaf or node of the tree, a root, or the digest of a
/// stored ciphertext. Shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

/// A string that is not 64 hex digits, or bytes that are not 32 long.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashParseError {
    /// The text is not exactly 64 hexadecimal digits.
    #[error("a hash must be 64 hex digits, got {0} characters")]
    BadHex(usize),
    /// The bytes are not exactly 32 long.
    #[error("a hash must be 32 bytes, got {0}")]
    BadLength(usize),
}

impl Hash {
    /// The root of the empty tree: SHA-256 of no bytes (RFC 6962 §2.1).
    pub const EMPTY_ROOT: Hash = Hash([
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9,
        0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52,
        0xb8, 0x55,
    ]);

    /// Plain SHA-256 of `data`: the digest recorded for a stored ciphertext
    /// or blob (no Merkle prefix).
    pub fn of(data: &[u8]) -> Hash {
        Hash(Sha256::digest(data).into())
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Takes exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Hash, HashParseError> {
        <[u8; 32]>::try_from(bytes)
            .map(Hash)
            .map_err(|_| HashParseError::BadLength(bytes.len()))
    }
}

/// RFC 6962 leaf hash: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([LEAF_PREFIX]);
    hasher.update(data);
    Hash(hasher.finalize().into())
}

/// RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    // One contiguous 65-byte buffer: a single `update` lets sha2 run its
    // block function straight over it instead of buffering three pieces.
    let mut block = [0u8; 65];
    block[0] = NODE_PREFIX;
    block[1..33].copy_from_slice(&left.0);
    block[33..].copy_from_slice(&right.0);
    Hash(Sha256::digest(block).into())
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl FromStr for Hash {
    type Err = HashParseError;

    fn from_str(text: &str) -> Result<Hash, HashParseError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| HashParseError::BadHex(text.len()))?;
        Ok(Hash(bytes))
    }
}

impl From<[u8; 32]> for Hash {
    fn from(bytes: [u8; 32]) -> Hash {
        Hash(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(Hash::EMPTY_ROOT, Hash::of(b""));
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let h = leaf_hash(b"abc");
        assert_eq!(h.to_string().parse::<Hash>(), Ok(h));
        assert_eq!("abc".parse::<Hash>(), Err(HashParseError::BadHex(3)));
        assert_eq!(
            Hash::from_slice(&[0; 31]),
            Err(HashParseError::BadLength(31))
        );
    }

    #[test]
    fn leaf_and_node_are_domain_separated() {
        let (a, b) = (Hash::of(b"a"), Hash::of(b"b"));
        let mut concat = a.0.to_vec();
        concat.extend_from_slice(&b.0);
        assert_ne!(node_hash(&a, &b), leaf_hash(&concat));
    }
}
