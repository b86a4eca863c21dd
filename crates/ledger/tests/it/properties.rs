//! Property checks over many tree sizes: the three ways of computing a root
//! agree, every proof verifies, and any flipped bit is caught.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vantay_ledger::{
    consistency_proof, inclusion_proof, leaf_hash, root_of, verify_consistency, verify_inclusion,
    Frontier, Hash, ProofError,
};

/// Fixed seed: a failure reproduces; the sizes still cover odd shapes.
const SEED: u64 = 6962;

fn leaves(count: usize) -> Vec<Hash> {
    (0..count as u64)
        .map(|i| leaf_hash(&i.to_le_bytes()))
        .collect()
}

/// Every size 1–70 (all shapes up to 2^6 + a bit), then random sizes to 5000.
fn sizes(rng: &mut StdRng) -> Vec<u64> {
    let mut sizes: Vec<u64> = (1..=70).collect();
    sizes.extend((0..25).map(|_| rng.gen_range(71..=5000)));
    sizes
}

/// Up to 40 positions in `range`, always including both ends.
fn positions(rng: &mut StdRng, low: u64, high: u64) -> Vec<u64> {
    if high - low < 40 {
        return (low..=high).collect();
    }
    let mut picked = vec![low, high];
    picked.extend((0..38).map(|_| rng.gen_range(low..=high)));
    picked
}

fn flip_random_bit(rng: &mut StdRng, proof: &mut [Hash]) {
    let (item, bit) = (rng.gen_range(0..proof.len()), rng.gen_range(0..256));
    proof[item].0[bit / 8] ^= 1 << (bit % 8);
}

#[test]
fn frontier_root_of_and_the_recursive_definition_agree() {
    let mut rng = StdRng::seed_from_u64(SEED);
    let all = leaves(5000);
    for size in sizes(&mut rng) {
        let tree = &all[..size as usize];
        let mut frontier = Frontier::new();
        frontier.extend(tree.iter().copied());
        let reloaded = Frontier::from_bytes(&frontier.to_bytes()).unwrap();
        assert_eq!(frontier.root(), root_of(tree), "size {size}");
        assert_eq!(reloaded.root(), super::reference_root(tree), "size {size}");
    }
}

#[test]
fn inclusion_proofs_verify_and_a_flipped_bit_fails() {
    let mut rng = StdRng::seed_from_u64(SEED);
    let all = leaves(5000);
    for size in sizes(&mut rng) {
        let root = root_of(&all[..size as usize]);
        for index in positions(&mut rng, 0, size - 1) {
            let leaf = all[index as usize];
            let mut proof = inclusion_proof(&all, index, size).unwrap();
            assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));
            let mut wrong_leaf = leaf;
            wrong_leaf.0[0] ^= 1;
            assert!(verify_inclusion(&wrong_leaf, index, size, &proof, &root).is_err());
            if size > 1 {
                let other = (index + 1) % size;
                assert!(verify_inclusion(&leaf, other, size, &proof, &root).is_err());
                flip_random_bit(&mut rng, &mut proof);
                let result = verify_inclusion(&leaf, index, size, &proof, &root);
                assert_eq!(
                    result,
                    Err(ProofError::RootMismatch),
                    "size {size} index {index}"
                );
            }
        }
    }
}

#[test]
fn consistency_proofs_verify_and_a_flipped_bit_fails() {
    let mut rng = StdRng::seed_from_u64(SEED);
    let all = leaves(5000);
    for new_size in sizes(&mut rng) {
        let new_root = root_of(&all[..new_size as usize]);
        for old_size in positions(&mut rng, 1, new_size) {
            let old_root = root_of(&all[..old_size as usize]);
            let mut proof = consistency_proof(&all, old_size, new_size).unwrap();
            let verify = |proof: &[Hash]| {
                verify_consistency(old_size, new_size, &old_root, &new_root, proof)
            };
            assert_eq!(verify(&proof), Ok(()), "{old_size} -> {new_size}");
            let swapped = verify_consistency(old_size, new_size, &new_root, &old_root, &proof);
            assert_eq!(swapped.is_err(), old_root != new_root);
            if !proof.is_empty() {
                flip_random_bit(&mut rng, &mut proof);
                assert!(verify(&proof).is_err(), "{old_size} -> {new_size}");
                proof.pop();
                assert!(matches!(
                    verify(&proof),
                    Err(ProofError::WrongLength { .. })
                ));
            }
        }
    }
}

#[test]
fn proof_requests_outside_the_tree_are_errors() {
    let all = leaves(10);
    assert_eq!(
        inclusion_proof(&all, 10, 10),
        Err(ProofError::IndexOutOfRange {
            index: 10,
            size: 10
        })
    );
    assert_eq!(
        inclusion_proof(&all, 0, 11),
        Err(ProofError::SizeBeyondLeaves {
            size: 11,
            available: 10
        })
    );
    assert_eq!(
        consistency_proof(&all, 5, 4),
        Err(ProofError::SizesOutOfOrder {
            old_size: 5,
            new_size: 4
        })
    );
    assert_eq!(
        consistency_proof(&all, 0, 4),
        Err(ProofError::EmptyOldTree { new_size: 4 })
    );
    assert_eq!(consistency_proof(&all, 4, 4), Ok(vec![]));
}

#[test]
fn the_empty_tree_has_only_one_root() {
    let empty = Hash::EMPTY_ROOT;
    assert_eq!(verify_consistency(0, 0, &empty, &empty, &[]), Ok(()));
    let other = leaf_hash(b"not empty");
    assert!(verify_consistency(0, 0, &other, &other, &[]).is_err());
    assert_eq!(root_of(&[]), empty);
}

/// Leaf bytes have one encoding: whatever parses re-encodes to the same
/// bytes, and random or mutated input never panics the parser.
#[test]
fn event_bytes_are_canonical_under_mutation() {
    use vantay_ledger::Event;
    let mut rng = StdRng::seed_from_u64(SEED);
    let event = Event {
        seq: 41,
        at: -5,
        actor: "cli:admin".into(),
        action: "customer.erase".into(),
        object: "customer/0193a4b2-0000-7000-8000-000000000001".into(),
        digests: vec![
            ("blobs/ab".into(), Hash::of(b"x")),
            ("".into(), Hash::of(b"")),
        ],
    };
    let valid = event.to_leaf_bytes();
    let mut parsed = 0;
    for round in 0..20_000 {
        let bytes = if round % 4 == 0 {
            (0..rng.gen_range(0..120)).map(|_| rng.gen()).collect()
        } else {
            let mut bytes = valid.clone();
            for _ in 0..rng.gen_range(1..4) {
                let at = rng.gen_range(0..bytes.len());
                bytes[at] = rng.gen();
            }
            bytes
        };
        if let Ok(event) = Event::from_leaf_bytes(&bytes) {
            assert_eq!(event.to_leaf_bytes(), bytes);
            parsed += 1;
        }
    }
    assert!(
        parsed > 0,
        "no mutation kept a valid event; the check ran on nothing"
    );
}
