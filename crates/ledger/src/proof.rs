//! Inclusion and consistency proofs (RFC 6962 §2.1.1–2.1.2, verified as in
//! RFC 9162 §2.1.3.2 and §2.1.4.2).
//!
//! Proofs are built from the full list of leaf hashes (the store has them;
//! O(n) hashing per proof). Verification needs only the proof, the sizes and
//! the roots. A verifier first works out how many hashes a proof for these
//! sizes must have, so a short, long or padded proof fails with a message
//! that says so rather than with a mismatched root.

use crate::hash::{node_hash, Hash};
use crate::tree::{largest_power_of_two_below, root_of};

/// Why a proof could not be built or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A tree size larger than the leaves given (when building a proof).
    #[error("tree size {size} exceeds the {available} leaves given")]
    SizeBeyondLeaves {
        /// The tree size asked for.
        size: u64,
        /// How many leaves were given.
        available: u64,
    },
    /// The old tree is larger than the new one.
    #[error("old size {old_size} is larger than new size {new_size}")]
    SizesOutOfOrder {
        /// The old (first) tree size.
        old_size: u64,
        /// The new (second) tree size.
        new_size: u64,
    },
    /// Consistency from the empty tree to a non-empty one proves nothing.
    #[error("a consistency proof from the empty tree to size {new_size} proves nothing")]
    EmptyOldTree {
        /// The new tree size.
        new_size: u64,
    },
    /// The proof has the wrong number of hashes for these sizes.
    #[error("proof has {got} hashes, these sizes need {expected}")]
    WrongLength {
        /// Hashes a valid proof has.
        expected: usize,
        /// Hashes given.
        got: usize,
    },
    /// The hashes lead to a different (new) root than the one given.
    #[error("proof does not lead to the given root")]
    RootMismatch,
    /// The consistency proof does not lead to the given old root.
    #[error("proof does not lead to the given old root")]
    OldRootMismatch,
}

/// The audit path of leaf `index` in the tree of the first `size` leaves.
pub fn inclusion_proof(leaves: &[Hash], index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
    let tree = prefix(leaves, size)?;
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut proof = Vec::new();
    audit_path(index as usize, tree, &mut proof);
    Ok(proof)
}

/// The proof that the tree of the first `old_size` leaves is a prefix of the
/// tree of the first `new_size` leaves. Empty when the sizes are equal.
pub fn consistency_proof(
    leaves: &[Hash],
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, ProofError> {
    let tree = prefix(leaves, new_size)?;
    if old_size > new_size {
        return Err(ProofError::SizesOutOfOrder { old_size, new_size });
    }
    if old_size == 0 && new_size > 0 {
        return Err(ProofError::EmptyOldTree { new_size });
    }
    let mut proof = Vec::new();
    if old_size < new_size {
        subproof(old_size as usize, tree, true, &mut proof);
    }
    Ok(proof)
}

/// Checks that `leaf` is at `index` in the tree of `size` leaves with `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let shape = PathShape::new(index, size);
    expect_length(shape.len(), proof.len())?;
    let (inner, border) = proof.split_at(shape.inner);
    let computed = chain_border(chain_inner(*leaf, inner, index), border);
    if computed != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree (`old_size`, `old_root`) is a prefix of the tree
/// (`new_size`, `new_root`).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizesOutOfOrder { old_size, new_size });
    }
    if old_size == new_size {
        return verify_same_size(old_size, old_root, new_root, proof);
    }
    if old_size == 0 {
        return Err(ProofError::EmptyOldTree { new_size });
    }
    // The path of the old tree's last leaf in the new tree, less the levels
    // below the largest perfect subtree that ends the old tree: that subtree
    // root is the seed (given first, unless it is the whole old tree).
    let shape = PathShape::new(old_size - 1, new_size);
    let levels_below_seed = old_size.trailing_zeros() as usize;
    let inner_len = shape.inner - levels_below_seed;
    let seed_given = !old_size.is_power_of_two();
    expect_length(
        usize::from(seed_given) + inner_len + shape.border,
        proof.len(),
    )?;
    let (seed, rest) = if seed_given {
        (proof[0], &proof[1..])
    } else {
        (*old_root, proof)
    };
    let (inner, border) = rest.split_at(inner_len);
    let seed_index = (old_size - 1) >> levels_below_seed;

    let old = chain_border(chain_inner_right(seed, inner, seed_index), border);
    if old != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    let new = chain_border(chain_inner(seed, inner, seed_index), border);
    if new != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Equal sizes: nothing to prove, the roots must simply agree — and an
/// empty tree has only one root.
fn verify_same_size(size: u64, old: &Hash, new: &Hash, proof: &[Hash]) -> Result<(), ProofError> {
    expect_length(0, proof.len())?;
    if old != new {
        return Err(ProofError::RootMismatch);
    }
    if size == 0 && *old != Hash::EMPTY_ROOT {
        return Err(ProofError::OldRootMismatch);
    }
    Ok(())
}

/// How the audit path of leaf `index` in a tree of `size` leaves splits:
/// `inner` levels where the path may turn either way (below the point where
/// `index` and the last leaf part), then `border` levels on the tree's right
/// border where every sibling is on the left (one per set bit above).
struct PathShape {
    inner: usize,
    border: usize,
}

impl PathShape {
    fn new(index: u64, size: u64) -> PathShape {
        let inner = (u64::BITS - (index ^ (size - 1)).leading_zeros()) as usize;
        let border = (index >> inner).count_ones() as usize;
        PathShape { inner, border }
    }

    fn len(&self) -> usize {
        self.inner + self.border
    }
}

fn expect_length(expected: usize, got: usize) -> Result<(), ProofError> {
    if expected != got {
        return Err(ProofError::WrongLength { expected, got });
    }
    Ok(())
}

/// Climbs the inner levels: bit i of `index` says whether the node is the
/// right (1) or left (0) child at level i.
fn chain_inner(seed: Hash, proof: &[Hash], index: u64) -> Hash {
    proof
        .iter()
        .enumerate()
        .fold(seed, |node, (level, sibling)| {
            if (index >> level) & 1 == 0 {
                node_hash(&node, sibling)
            } else {
                node_hash(sibling, &node)
            }
        })
}

/// Like [`chain_inner`] but keeps only left siblings: the old tree, which
/// ends at the seed, has nothing to the right of it.
fn chain_inner_right(seed: Hash, proof: &[Hash], index: u64) -> Hash {
    proof
        .iter()
        .enumerate()
        .fold(seed, |node, (level, sibling)| {
            if (index >> level) & 1 == 1 {
                node_hash(sibling, &node)
            } else {
                node
            }
        })
}

/// Climbs the right border: every sibling is on the left.
fn chain_border(seed: Hash, proof: &[Hash]) -> Hash {
    proof
        .iter()
        .fold(seed, |node, sibling| node_hash(sibling, &node))
}

fn prefix(leaves: &[Hash], size: u64) -> Result<&[Hash], ProofError> {
    let available = leaves.len() as u64;
    if size > available {
        return Err(ProofError::SizeBeyondLeaves { size, available });
    }
    Ok(&leaves[..size as usize])
}

/// PATH(m, D[n]) of RFC 6962 §2.1.1, appended leaf-level first.
fn audit_path(index: usize, tree: &[Hash], proof: &mut Vec<Hash>) {
    if tree.len() <= 1 {
        return;
    }
    let k = largest_power_of_two_below(tree.len());
    let (left, right) = tree.split_at(k);
    if index < k {
        audit_path(index, left, proof);
        proof.push(root_of(right));
    } else {
        audit_path(index - k, right, proof);
        proof.push(root_of(left));
    }
}

/// SUBPROOF(m, D[n], b) of RFC 6962 §2.1.2; `whole` is b: whether the old
/// tree's subtree here is the one the verifier already knows.
fn subproof(old_size: usize, tree: &[Hash], whole: bool, proof: &mut Vec<Hash>) {
    if old_size == tree.len() {
        if !whole {
            proof.push(root_of(tree));
        }
        return;
    }
    let k = largest_power_of_two_below(tree.len());
    let (left, right) = tree.split_at(k);
    if old_size <= k {
        subproof(old_size, left, whole, proof);
        proof.push(root_of(right));
    } else {
        subproof(old_size - k, right, false, proof);
        proof.push(root_of(left));
    }
}
