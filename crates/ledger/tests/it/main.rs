//! One integration binary for the ledger (see STYLE: "One integration binary").

mod audit;
mod checkpoint;
mod properties;
mod vectors;

use vantay_ledger::{node_hash, Hash};

/// MTH exactly as RFC 6962 §2.1 states it, recursively: the reference the
/// fast code is compared with.
pub fn reference_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash::EMPTY_ROOT,
        1 => leaves[0],
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
        }
    }
}
