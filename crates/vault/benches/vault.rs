//! Sealing throughput of the vault next to the bare `chacha20poly1305` crate
//! on the same buffers: a ~40-byte field, a 40 KB image, a 1 MB blob.
//!
//! Both sides draw a fresh 24-byte nonce from `rand::thread_rng` and pass
//! associated data of the same length, so the difference is the vault's own
//! cost (AAD encoding, sealed-format header, one pre-sized buffer).
//!
//! Run: `cargo bench -p vantay-vault --bench vault`

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, Payload};
use chacha20poly1305::XChaCha20Poly1305;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use uuid::Uuid;
use vantay_vault::danger::data_key_from_bytes;
use vantay_vault::{open_blob, seal_blob, seal_field, Aad, Purpose, SealingKey};

const SIZES: [(&str, usize); 3] = [
    ("field-40B", 40),
    ("blob-40KB", 40 * 1024),
    ("blob-1MB", 1 << 20),
];

fn sealing(c: &mut Criterion) {
    let key_bytes = [0x42u8; 32];
    let key = data_key_from_bytes(1, key_bytes);
    let aad = Aad {
        table: "images",
        field: "print:R1",
        customer: Uuid::new_v4(),
        record: Uuid::new_v4(),
        version: 1,
        key_id: key.id(),
    };
    let encoded_aad = aad.encode(Purpose::Blob);
    let bare = XChaCha20Poly1305::new(&key_bytes.into());

    let mut group = c.benchmark_group("seal");
    for (name, size) in SIZES {
        let plaintext = vec![0x5Au8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("vault", name), &plaintext, |b, pt| {
            if size <= 64 {
                b.iter(|| seal_field(&key, black_box(&aad), black_box(pt)))
            } else {
                b.iter(|| seal_blob(&key, black_box(&aad), black_box(pt)))
            }
        });
        group.bench_with_input(
            BenchmarkId::new("bare-xchacha20poly1305", name),
            &plaintext,
            |b, pt| {
                b.iter(|| {
                    let nonce = XChaCha20Poly1305::generate_nonce(&mut rand::thread_rng());
                    let payload = Payload {
                        msg: black_box(pt.as_slice()),
                        aad: &encoded_aad,
                    };
                    bare.encrypt(&nonce, payload).expect("encrypt")
                })
            },
        );
    }
    group.finish();

    let mut group = c.benchmark_group("open");
    for (name, size) in SIZES.into_iter().skip(1) {
        let sealed = seal_blob(&key, &aad, &vec![0x5Au8; size]);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("vault", name), &sealed, |b, s| {
            b.iter(|| open_blob(&key, black_box(&aad), black_box(s)).expect("open"))
        });
        // The same, with the plaintext dropped outside the timed loop: the
        // difference is the zeroization of the plaintext on drop, which the
        // bare crate does not do.
        group.bench_with_input(
            BenchmarkId::new("vault-without-drop", name),
            &sealed,
            |b, s| {
                b.iter_with_large_drop(|| {
                    open_blob(&key, black_box(&aad), black_box(s)).expect("open")
                })
            },
        );
        let nonce = XChaCha20Poly1305::generate_nonce(&mut rand::thread_rng());
        let ct = bare
            .encrypt(
                &nonce,
                Payload {
                    msg: &vec![0x5Au8; size],
                    aad: &encoded_aad,
                },
            )
            .unwrap();
        group.bench_with_input(
            BenchmarkId::new("bare-xchacha20poly1305", name),
            &ct,
            |b, ct| {
                b.iter(|| {
                    let payload = Payload {
                        msg: black_box(ct.as_slice()),
                        aad: &encoded_aad,
                    };
                    bare.decrypt(&nonce, payload).expect("decrypt")
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, sealing);
criterion_main!(benches);
