//! Decode time of an SD14 print (832×768) and encode time of NIST's
//! 500×500 reference finger at 0.75 bpp.
//!
//! `cargo bench -p vantay-wsq --bench codec`; `benches/compare.py` runs
//! this and the Python `wsq` Pillow plugin side by side.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use vantay_wsq::{Decoder, Encoder};

fn data(rel: &str) -> Option<Vec<u8>> {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            eprintln!("skipped: {}: {e}", path.display());
            None
        }
    }
}

fn decode_sd14(c: &mut Criterion) {
    let Some(wsq) = data("sd14-dev/s0024301.wsq") else {
        return;
    };
    let mut out = vec![0u8; 832 * 768];
    c.bench_function("decode_sd14_832x768", |b| {
        b.iter(|| {
            Decoder::new(black_box(&wsq))
                .decode_into(&mut out)
                .expect("decodes")
        })
    });
}

fn encode_finger(c: &mut Criterion) {
    let Some(raw) = data("nist-reference/wsq/data_finger_gray_raw_finger.raw") else {
        return;
    };
    let encoder = Encoder::new(0.75).expect("valid rate").ppi(500);
    c.bench_function("encode_finger_500x500_0.75bpp", |b| {
        b.iter(|| encoder.encode(black_box(&raw), 500, 500).expect("encodes"))
    });
}

criterion_group!(benches, decode_sd14, encode_finger);
criterion_main!(benches);
