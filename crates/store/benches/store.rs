//! Store throughput on the embedded defaults (SQLite file, blobs on disk):
//! intake of ten-print bundles of 40 KB images, and `verify` in ledger
//! entries per second.
//!
//! `cargo bench -p vantay-store --bench store` (set `VANTAY_BENCH_POSTGRES_URL`
//! to also measure PostgreSQL). Prints one line per figure.

use std::time::Instant;

use chrono::Utc;
use vantay_domain::{CaptureManifest, CustomerId, Finger};
use vantay_store::{Actor, CapturedImage, Centre, Store};
use vantay_vault::MasterKey;

const BUNDLES: usize = 200;
const READ_EVENTS: usize = 300_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench(None, "sqlite"));
    if let Ok(url) = std::env::var("VANTAY_BENCH_POSTGRES_URL") {
        runtime.block_on(bench(Some(url), "postgres"));
    }
}

async fn bench(url: Option<String>, engine: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let master = MasterKey::generate();
    let (centre, _) = Centre::init(
        &data,
        url.as_deref(),
        &master,
        "bench.vantay-centre",
        "admin",
    )
    .await
    .unwrap();
    let (capture, images) = bundle();

    let started = Instant::now();
    let mut customers = Vec::with_capacity(BUNDLES);
    for _ in 0..BUNDLES {
        let receipt = centre
            .intake(&Actor::cli(), &capture, images.clone())
            .await
            .unwrap();
        customers.push(receipt.customer);
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{engine}: intake of {BUNDLES} ten-print bundles (10 × 40 KB): {:.1} bundles/s ({:.2} ms each)",
        BUNDLES as f64 / seconds,
        seconds * 1000.0 / BUNDLES as f64
    );

    let readers: Vec<CustomerId> = (0..10_000)
        .map(|i| customers[i % customers.len()])
        .collect();
    for _ in 0..READ_EVENTS / readers.len() {
        centre
            .record_reads(&Actor::cli(), "customer.read", &readers)
            .await
            .unwrap();
    }
    let auditor = Store::open(&data, url.as_deref()).await.unwrap();
    let started = Instant::now();
    let report = auditor.verify(None).await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(report.is_intact(), "{:?}", report.problems);
    println!(
        "{engine}: verify of {} ledger entries, {} rows, {} blobs ({} MB): {:.2} s, {:.0} entries/s",
        report.entries,
        report.rows,
        report.blobs,
        report.blobs * 40_000 / 1_000_000,
        seconds,
        report.entries as f64 / seconds
    );
}

/// A valid capture and ten 40 KB images (incompressible bytes: the store
/// seals whatever the scanner sent).
fn bundle() -> (vantay_domain::ValidCapture, Vec<CapturedImage>) {
    let json = serde_json::json!({
        "customer": { "full_name": "Nguyễn Thị Hồng Nhung", "date_of_birth": "2015-03-12", "sex": "F",
                      "phone": "+84901234567", "guardian_name": "Nguyễn Văn An" },
        "consent": { "analysis": true, "text_version": "2026-01", "signed_by": ["customer", "guardian"],
                     "signed_at": "2026-11-28T09:30:00+07:00" },
        "prints": Finger::ALL.iter().map(|f| (f.code().to_owned(), serde_json::Value::from(format!("{f}.png")))).collect::<serde_json::Map<_, _>>(),
        "device": { "model": "bench", "dpi": 500 }
    });
    let capture = CaptureManifest::from_json(&json.to_string())
        .unwrap()
        .validate(Utc::now())
        .unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let images = Finger::ALL
        .into_iter()
        .map(|finger| {
            let bytes = (0..40_000)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            CapturedImage {
                finger,
                bytes,
                format: "png".into(),
                width: 256,
                height: 256,
                ppi: 500,
            }
        })
        .collect();
    (capture, images)
}
