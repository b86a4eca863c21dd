//! Ledger throughput: hashing events into leaves, the root over them, and
//! appending to a frontier.
//!
//! `cargo bench -p vantay-ledger --bench ledger`

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use vantay_ledger::{leaf_hash, root_of, Event, Frontier, Hash};

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
    group.bench_function("parse_leaf_hash_and_root", |b| {
        b.iter(|| {
            let mut frontier = Frontier::new();
            for bytes in split(&buffer, &ends) {
                black_box(Event::from_leaf_bytes(bytes).expect("valid event"));
                frontier.push(leaf_hash(bytes));
            }
            black_box(frontier.root())
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
    group.bench_function("push", |b| {
        b.iter_batched_ref(
            || head.clone(),
            |f| f.push(black_box(leaf)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn split<'a>(buffer: &'a [u8], ends: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let starts = std::iter::once(0).chain(ends.iter().copied());
    starts
        .zip(ends.iter().copied())
        .map(move |(start, end)| &buffer[start..end])
}

criterion_group!(benches, verify_pass, append);
criterion_main!(benches);
