//! The two transports side by side, per case of ten SD14 prints, on the
//! embedded defaults, both installations in this process:
//!
//! - out: file = `dispatch` + `receive` of the bytes; HTTPS = `dispatch`
//!   for pulling + `pull` (list, fetch over TLS on 127.0.0.1, receive);
//! - back: file = `import-result` of the bytes; HTTPS = `push` (signed POST,
//!   import, acknowledgement recorded).
//!
//! The engine's work is done between, untimed. Run with
//! `cargo bench -p vantay-server --bench https` (`VANTAY_BENCH_CASES`
//! sets the number of cases per transport, default 4, at most 4).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use vantay_server::client::{deliver, pull, CentreConnection};
use vantay_server::tls::TlsFiles;
use vantay_server::{centre_api, RunningServer};
use vantay_store::Actor;
use vantay_testkit::{review_where_an_analyst_is_needed, World, LAB};

#[derive(Default)]
struct Samples {
    out_file: Vec<Duration>,
    out_https: Vec<Duration>,
    back_file: Vec<Duration>,
    back_https: Vec<Duration>,
}

fn main() {
    let cases: usize = std::env::var("VANTAY_BENCH_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4)
        .clamp(1, 4);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let Some(samples) = runtime.block_on(run(cases)) else {
        return;
    };
    println!("exchange per case of 10 SD14 prints, {cases} cases per transport, SQLite");
    for (name, times) in [
        ("out, file (dispatch + receive)", &samples.out_file),
        ("out, HTTPS (dispatch + pull)", &samples.out_https),
        ("back, file (import-result)", &samples.back_file),
        ("back, HTTPS (push)", &samples.back_https),
    ] {
        let mut ms: Vec<f64> = times.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        println!(
            "{name:<32} median {:>7.1} ms  (min {:.1}, max {:.1})",
            ms[ms.len() / 2],
            ms[0],
            ms[ms.len() - 1]
        );
    }
}

async fn run(cases: usize) -> Option<Samples> {
    let w = World::new().await?;
    let tls = TlsFiles::in_data_dir(&w.dir.path().join("centre"), &[]).expect("tls files");
    let server = RunningServer::start(
        centre_api::router(Arc::clone(&w.centre)),
        "127.0.0.1:0".parse().expect("an address"),
        tls.server_config().expect("tls config"),
    )
    .await
    .expect("server");
    let url = format!("https://127.0.0.1:{}", server.addr.port());
    let ca = tls.ca.expect("a CA file");
    let centre = CentreConnection::new(&url, &ca, w.centre.public_identity().fingerprint())
        .expect("connection");
    let mut s = Samples::default();
    for n in 0..cases * 2 {
        let case = w.sealed_case(1 + n * 10).await;
        let over_https = n % 2 == 1;
        let t = Instant::now();
        let package = if over_https {
            let package = w
                .centre
                .dispatch_for_pull(&Actor::cli(), case, LAB, Utc::now())
                .await
                .expect("dispatch");
            pull(&w.lab, &centre).await.expect("pull");
            package.id
        } else {
            let package = w
                .centre
                .dispatch(&Actor::cli(), case, LAB, Utc::now())
                .await
                .expect("dispatch");
            w.lab
                .receive(&package.bytes, Utc::now())
                .await
                .expect("receive");
            package.id
        };
        let out = t.elapsed();
        w.lab.work("bench", Some(package)).await.expect("engine");
        review_where_an_analyst_is_needed(&w.lab, package, "bench").await;
        let (_, result) = w
            .lab
            .answer(package, "bench", true, Utc::now())
            .await
            .expect("answer");
        let t = Instant::now();
        if over_https {
            deliver(&w.lab, &centre).await.expect("push");
        } else {
            w.centre
                .import_result(&Actor::cli(), &result, Utc::now())
                .await
                .expect("import");
            w.lab
                .mark_delivered(package, Utc::now())
                .await
                .expect("mark");
        }
        let back = t.elapsed();
        if over_https {
            s.out_https.push(out);
            s.back_https.push(back);
        } else {
            s.out_file.push(out);
            s.back_file.push(back);
        }
    }
    server.shutdown().await.expect("shutdown");
    Some(s)
}
