//! Per-case cost of the file exchange on the embedded defaults (SQLite,
//! blobs on disk): package size, `dispatch`, `receive` (open) at the
//! analysis centre, the engine on ten prints, `answer`, and `import-result`.
//!
//! A plain timing program rather than criterion: every step writes and
//! fsyncs the database, and each case can be dispatched once, so each
//! sample is one fresh case. Run with
//! `cargo bench -p vantay-analysis --bench exchange` (`VANTAY_BENCH_CASES`
//! sets the number of cases, default 20).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use vantay_analysis::AnalysisCentre;
use vantay_store::{Actor, Centre};
use vantay_testkit::review_where_an_analyst_is_needed;
use vantay_vault::{MasterKey, PublicIdentity};

#[derive(Default)]
struct Samples {
    size: Vec<f64>,
    dispatch: Vec<Duration>,
    receive: Vec<Duration>,
    engine: Vec<Duration>,
    answer: Vec<Duration>,
    import: Vec<Duration>,
}

fn main() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sd14-dev");
    if !data.is_dir() {
        eprintln!("skipped: {} is absent", data.display());
        return;
    }
    let cases: usize = std::env::var("VANTAY_BENCH_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let samples = runtime.block_on(run(&data, cases));
    report(&samples, cases);
}

async fn run(data: &std::path::Path, cases: usize) -> Samples {
    let dir = tempfile::tempdir().unwrap();
    let (centre, _) = Centre::init(
        &dir.path().join("c"),
        None,
        &MasterKey::generate(),
        "centre",
        "admin",
    )
    .await
    .unwrap();
    let lab = AnalysisCentre::init(&dir.path().join("l"), None, &MasterKey::generate(), "lab")
        .await
        .unwrap();
    lab.add_partner(
        "centre",
        &PublicIdentity::parse(&centre.identity_line()).unwrap(),
    )
    .await
    .unwrap();
    centre
        .add_partner(&Actor::cli(), "lab", &lab.public_identity())
        .await
        .unwrap();
    let mut s = Samples::default();
    for n in 0..cases {
        let case = vantay_testkit::sealed_case(&centre, data, n * 10 + 1).await;
        let t = Instant::now();
        let package = centre
            .dispatch(&Actor::cli(), case, "lab", Utc::now())
            .await
            .unwrap();
        s.dispatch.push(t.elapsed());
        s.size.push(package.bytes.len() as f64);
        let t = Instant::now();
        let received = lab.receive(&package.bytes, Utc::now()).await.unwrap();
        s.receive.push(t.elapsed());
        let t = Instant::now();
        lab.work("bench", None).await.unwrap();
        s.engine.push(t.elapsed());
        // The analyst's part (outside the timings' scope: a person counts).
        review_where_an_analyst_is_needed(&lab, received.header.id, "bench").await;
        let t = Instant::now();
        let (_, result) = lab
            .answer(received.header.id, "bench", true, Utc::now())
            .await
            .unwrap();
        s.answer.push(t.elapsed());
        let t = Instant::now();
        centre
            .import_result(&Actor::cli(), &result, Utc::now())
            .await
            .unwrap();
        s.import.push(t.elapsed());
    }
    s
}

fn report(s: &Samples, cases: usize) {
    println!("exchange, {cases} cases of 10 SD14 prints, SQLite, one process per side");
    let sizes = median(s.size.clone());
    println!(
        "package size        median {:>9.0} bytes ({:.1} KiB)",
        sizes,
        sizes / 1024.0
    );
    for (name, times) in [
        ("dispatch", &s.dispatch),
        ("receive (open)", &s.receive),
        ("engine, 10 prints", &s.engine),
        ("answer", &s.answer),
        ("import-result", &s.import),
    ] {
        let ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        let min = ms.iter().cloned().fold(f64::MAX, f64::min);
        let max = ms.iter().cloned().fold(0.0, f64::max);
        println!(
            "{name:<19} median {:>9.1} ms  (min {min:.1}, max {max:.1})",
            median(ms)
        );
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}
