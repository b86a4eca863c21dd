//! The append-only tree state ([`Frontier`]) and the root of a list of leaves.

use crate::hash::{node_hash, Hash};

/// The state of an append-only RFC 6962 tree in O(log n) space: its size and
/// the roots of its perfect subtrees, largest (leftmost) first — one per set
/// bit of the size. Appending costs amortised one node hash, the root at
/// most ⌈log₂ n⌉.
///
/// This is what the store keeps in the ledger head row ([`Frontier::to_bytes`]):
/// appending the next event needs only this, not the earlier leaves.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    /// Perfect-subtree roots; sizes are the set bits of `size`, high to low.
    subtrees: Vec<Hash>,
}

/// Bytes that are not a serialised [`Frontier`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrontierError {
    /// Fewer than the 8 bytes of the size.
    #[error("frontier bytes too short for the size: {0} bytes")]
    MissingSize(usize),
    /// The number of hash bytes does not match the size's set bits.
    #[error("a frontier of size {size} needs {expected} bytes, got {got}")]
    BadLength {
        /// The size read from the first 8 bytes.
        size: u64,
        /// 8 + 32 × (set bits of the size).
        expected: usize,
        /// The bytes given.
        got: usize,
    },
}

impl Frontier {
    /// The empty tree.
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf hash (see [`crate::leaf_hash`]).
    pub fn push(&mut self, leaf: Hash) {
        // Like incrementing a binary counter: every trailing 1 bit of the old
        // size is a perfect subtree the same size as the one being carried,
        // so they merge into one twice as large.
        let mut carried = leaf;
        let mut size = self.size;
        while size & 1 == 1 {
            let left = self.subtrees.pop().expect("one subtree per set bit");
            carried = node_hash(&left, &carried);
            size >>= 1;
        }
        self.subtrees.push(carried);
        self.size += 1;
    }

    /// The RFC 6962 root of the leaves appended so far.
    pub fn root(&self) -> Hash {
        // MTH splits at the largest power of two below n: the left part is
        // the first perfect subtree, the right part recurses on the rest, so
        // the root folds the subtrees from the right.
        let mut rest = self.subtrees.iter().rev();
        let Some(&last) = rest.next() else {
            return Hash::EMPTY_ROOT;
        };
        rest.fold(last, |right, left| node_hash(left, &right))
    }

    /// Serialises as the size (`u64`, big-endian) followed by the subtree
    /// roots, largest first.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 32 * self.subtrees.len());
        out.extend_from_slice(&self.size.to_be_bytes());
        for hash in &self.subtrees {
            out.extend_from_slice(&hash.0);
        }
        out
    }

    /// Parses [`Frontier::to_bytes`] output, checking the length agrees with
    /// the size.
    pub fn from_bytes(bytes: &[u8]) -> Result<Frontier, FrontierError> {
        let (size_bytes, hash_bytes) = bytes
            .split_first_chunk::<8>()
            .ok_or(FrontierError::MissingSize(bytes.len()))?;
        let size = u64::from_be_bytes(*size_bytes);
        let expected = 8 + 32 * size.count_ones() as usize;
        if bytes.len() != expected {
            return Err(FrontierError::BadLength {
                size,
                expected,
                got: bytes.len(),
            });
        }
        let subtrees = hash_bytes
            .chunks_exact(32)
            .map(|chunk| Hash(chunk.try_into().expect("chunks of 32")))
            .collect();
        Ok(Frontier { size, subtrees })
    }
}

impl Extend<Hash> for Frontier {
    fn extend<I: IntoIterator<Item = Hash>>(&mut self, leaves: I) {
        for leaf in leaves {
            self.push(leaf);
        }
    }
}

/// k in RFC 6962 §2.1: the largest power of two smaller than `n` (n ≥ 2),
/// where MTH splits its leaves.
pub(crate) fn largest_power_of_two_below(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The RFC 6962 root (MTH) of `leaves`, given as leaf hashes: n − 1 node
/// hashes, no allocation beyond the ≤ 64-entry frontier.
pub fn root_of(leaves: &[Hash]) -> Hash {
    let mut frontier = Frontier::new();
    frontier.extend(leaves.iter().copied());
    frontier.root()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    /// MTH exactly as RFC 6962 §2.1 states it, recursively.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => Hash::EMPTY_ROOT,
            1 => leaves[0],
            n => {
                let k = largest_power_of_two_below(n);
                node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    #[test]
    fn frontier_matches_the_recursive_definition_for_every_size_to_300() {
        let leaves: Vec<Hash> = (0..300u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut frontier = Frontier::new();
        assert_eq!(frontier.root(), Hash::EMPTY_ROOT);
        for n in 1..=leaves.len() {
            frontier.push(leaves[n - 1]);
            assert_eq!(frontier.size(), n as u64);
            assert_eq!(frontier.root(), reference_root(&leaves[..n]), "size {n}");
            assert_eq!(root_of(&leaves[..n]), frontier.root());
        }
    }

    #[test]
    fn bytes_round_trip_and_length_is_checked() {
        let mut frontier = Frontier::new();
        frontier.extend((0..13u8).map(|i| leaf_hash(&[i])));
        let bytes = frontier.to_bytes();
        assert_eq!(bytes.len(), 8 + 32 * 3);
        assert_eq!(Frontier::from_bytes(&bytes), Ok(frontier.clone()));
        assert_eq!(
            Frontier::from_bytes(&bytes[..bytes.len() - 1]),
            Err(FrontierError::BadLength {
                size: 13,
                expected: 104,
                got: 103
            })
        );
        assert_eq!(
            Frontier::from_bytes(&bytes[..5]),
            Err(FrontierError::MissingSize(5))
        );
        assert_eq!(
            Frontier::from_bytes(&Frontier::new().to_bytes()),
            Ok(Frontier::new())
        );
    }
}
