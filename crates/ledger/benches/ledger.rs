//! Ledger throughput: hashing events into leaves, the root over them, and
//! appending to a frontier.
//!
//! `cargo bench -p vantay-ledger --bench ledger`

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ed25519_dalek::SigningKey;
use vantay_ledger::{
    consistency_proof, inclusion_proof, leaf_hash, root_of, verify_consistency, verify_inclusion,
    Checkpoint, Event, Frontier, Hash, LedgerAudit, SignedCheckpoint,
};

const ORIGIN: &str = "vantay.example/centre-hanoi";

/// One million entries: the size `vantay verify` is aimed at (≥ 100,000/s).
const ENTRIES: usize = 1_000_000;

/// A realistic event: a customer write with two field ciphertexts (≈ 300
/// bytes of leaf data).
fn event(seq: u64) -> Event {
    let customer = format!("0193a4b2-{:04x}-7000-8000-{:012x}", seq % 0xffff, seq);
    Event {
        seq,
        at: 1_795_000_000_000 + seq as i64,
        actor: "staff:0193a4b2-0000-7000-8000-00000000002a".into(),
        action: "customer.create".into(),
        object: format!("customer/{customer}"),
        digests: vec![
            (
                format!("customers/{customer}/full_name/v1"),
                Hash::of(&seq.to_le_bytes()),
            ),
            (
                format!("customers/{customer}/phone/v1"),
                Hash::of(&seq.to_be_bytes()),
            ),
        ],
    }
}

/// All leaf bytes in one buffer with their end offsets: the shape a store
/// streams them in, without a million small allocations.
fn leaf_bytes(count: usize) -> (Vec<u8>, Vec<usize>) {
    let mut buffer = Vec::new();
    let mut ends = Vec::with_capacity(count);
    for seq in 0..count as u64 {
        buffer.extend_from_slice(&event(seq).to_leaf_bytes());
        ends.push(buffer.len());
    }
    (buffer, ends)
}

fn verify_pass(c: &mut Criterion) {
    let (buffer, ends) = leaf_bytes(ENTRIES);
    eprintln!("mean leaf size: {} bytes", buffer.len() / ENTRIES);
    let leaves: Vec<Hash> = split(&buffer, &ends).map(leaf_hash).collect();

    let mut group = c.benchmark_group("ledger_1m");
    group
        .sample_size(10)
        .throughput(Throughput::Elements(ENTRIES as u64));
    group.bench_function("leaf_hash_and_root", |b| {
        b.iter(|| {
            let mut frontier = Frontier::new();
            frontier.extend(split(&buffer, &ends).map(leaf_hash));
            black_box(frontier.root())
        })
    });
    // What `vantay verify` runs per entry: parse, check seq, hash, append,
    // and compare the root at a stored checkpoint every 10,000 entries.
    let key = SigningKey::from_bytes(&[7; 32]);
    let checkpoints: Vec<SignedCheckpoint> = (1..=ENTRIES / 10_000)
        .map(|i| checkpoint(&key, &leaves[..i * 10_000]))
        .collect();
    group.bench_function("ledger_audit_with_100_checkpoints", |b| {
        b.iter(|| {
            let mut audit = LedgerAudit::new(&key.verifying_key(), ORIGIN, &checkpoints, None);
            for bytes in split(&buffer, &ends) {
                black_box(audit.push_entry(bytes));
            }
            assert!(audit.finish().is_empty());
        })
    });
    group.bench_function("root_of_leaf_hashes", |b| {
        b.iter(|| black_box(root_of(&leaves)))
    });
    group.finish();
}

fn append(c: &mut Criterion) {
    let leaf = leaf_hash(&event(0).to_leaf_bytes());
    let mut group = c.benchmark_group("frontier");
    group.throughput(Throughput::Elements(1));
    // A store appends one event per transaction: load the head row, push,
    // take the root, save the head row.
    let mut head = Frontier::new();
    head.extend((0..(1u64 << 20) - 1).map(|i| leaf_hash(&i.to_be_bytes())));
    group.bench_function("load_push_root_save_at_2^20-1", |b| {
        let stored = head.to_bytes();
        b.iter(|| {
            let mut frontier = Frontier::from_bytes(black_box(&stored)).expect("valid");
            frontier.push(leaf);
            black_box((frontier.root(), frontier.to_bytes()))
        })
    });
    // Worst case: 20 merges. Amortised, a push is one node hash (see
    // root_of_leaf_hashes).
    group.bench_function("push_at_2^20-1", |b| {
        b.iter_batched_ref(
            || head.clone(),
            |f| f.push(black_box(leaf)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn checkpoint(key: &SigningKey, leaves: &[Hash]) -> SignedCheckpoint {
    let checkpoint = Checkpoint {
        origin: ORIGIN.into(),
        size: leaves.len() as u64,
        root: root_of(leaves),
        time: 1_795_000_000_000,
    };
    SignedCheckpoint::sign(checkpoint, key).expect("valid checkpoint")
}

fn proofs(c: &mut Criterion) {
    let leaves: Vec<Hash> = (0..ENTRIES as u64)
        .map(|i| leaf_hash(&i.to_be_bytes()))
        .collect();
    let size = ENTRIES as u64;
    let (root, index, old_size) = (root_of(&leaves), 123_457, 654_321);
    let old_root = root_of(&leaves[..old_size as usize]);
    let inclusion = inclusion_proof(&leaves, index, size).expect("in range");
    let consistency = consistency_proof(&leaves, old_size, size).expect("in range");

    let mut group = c.benchmark_group("proofs_1m");
    group.sample_size(10);
    // Built from all leaf hashes: O(n), so the store should build proofs
    // on demand for an auditor, not on every request.
    group.bench_function("inclusion_proof_build", |b| {
        b.iter(|| black_box(inclusion_proof(&leaves, index, size)))
    });
    group.bench_function("inclusion_proof_verify", |b| {
        b.iter(|| verify_inclusion(&leaves[index as usize], index, size, &inclusion, &root))
    });
    group.bench_function("consistency_proof_verify", |b| {
        b.iter(|| verify_consistency(old_size, size, &old_root, &root, &consistency))
    });
    group.finish();

    let key = SigningKey::from_bytes(&[7; 32]);
    let signed = checkpoint(&key, &leaves[..1000]);
    let text = signed.to_text();
    let mut group = c.benchmark_group("checkpoint");
    group.bench_function("sign", |b| {
        b.iter(|| SignedCheckpoint::sign(signed.unverified().clone(), &key))
    });
    group.bench_function("parse_and_verify", |b| {
        b.iter(|| {
            let parsed = SignedCheckpoint::parse(black_box(&text)).expect("valid text");
            parsed.verify(&key.verifying_key()).map(|c| c.size)
        })
    });
    group.finish();
}

fn split<'a>(buffer: &'a [u8], ends: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let starts = std::iter::once(0).chain(ends.iter().copied());
    starts
        .zip(ends.iter().copied())
        .map(move |(start, end)| &buffer[start..end])
}

criterion_group!(benches, verify_pass, append, proofs);
criterion_main!(benches);
