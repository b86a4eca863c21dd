//! Speed of the whole analysis, decode to JSON line: one thread per print,
//! with and without the field network and with the finger known in one
//! run, the network alone, then
//! the batch throughput on every core.
//!
//! ```text
//! cargo run --release -p vantay-print --example bench -- [--data ../shared/data/sd14-dev] [--count 100] [--no-batch]
//! ```

use std::path::PathBuf;
use std::time::Instant;

use vantay_print::batch::{self, BatchOptions};
use vantay_print::input::{self, Limits};
use vantay_print::{field_net, finger_prior, record, Extractor, Finger};

fn main() {
    let mut data = PathBuf::from("../shared/data/sd14-dev");
    let mut count = 100usize;
    let mut batch = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => data = args.next().expect("--data DIR").into(),
            "--count" => count = args.next().expect("--count N").parse().expect("a number"),
            // Single thread only (for profiling under valgrind).
            "--no-batch" => batch = false,
            other => panic!("unknown argument {other}"),
        }
    }
    let files = vantay_print::input::wsq_files(&data).expect("data directory");
    let sample: Vec<PathBuf> = files.iter().take(count).cloned().collect();
    single_thread(&sample, "with the field network", Extractor::new(), None);
    // As the analysis centre reads a print: its finger known, the network's
    // answer weighed by the finger, the machines not asked.
    single_thread(
        &sample,
        "the finger known (an index finger's weights)",
        Extractor::new(),
        finger_prior::weights(Some(Finger::R2)),
    );
    single_thread(
        &sample,
        "without it (features and machines only)",
        Extractor::new().with_network(None),
        None,
    );
    network_share(&sample);
    if batch {
        all_cores(&files);
    }
}

/// CPU seconds this process has used (user + system), from `/proc/self/stat`:
/// on a shared machine the wall clock counts other people's work too.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the file, in clock ticks (100 Hz on Linux).
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Decode + analysis + JSON of each print on this thread, files read beforehand.
fn single_thread(
    files: &[PathBuf],
    label: &str,
    mut extractor: Extractor,
    weights: Option<[f32; 5]>,
) {
    let bytes: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("read"))
        .collect();
    let (mut decode_ms, mut total_ms) = (Vec::new(), Vec::new());
    let cpu_before = cpu_seconds();
    for (file, data) in files.iter().zip(&bytes) {
        let started = Instant::now();
        let decoded = input::decode(data, &Limits::default()).expect("decode");
        decode_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let line = record(
            &mut extractor,
            file.display().to_string(),
            &decoded.image,
            decoded.ppi.unwrap_or(500),
            weights.as_ref(),
            started,
        );
        let json = serde_json::to_string(&line).expect("json");
        std::hint::black_box(json);
        total_ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "{label}: single thread, {} prints, wall clock: decode {} ; decode to JSON {}",
        files.len(),
        summary(&mut decode_ms),
        summary(&mut total_ms)
    );
    if let (Some(before), Some(after)) = (cpu_before, cpu_seconds()) {
        let per_print = (after - before) * 1000.0 / files.len() as f64;
        println!("{label}: single thread, CPU time per print, decode to JSON: {per_print:.1} ms");
    }
}

/// The field network's part of the analysis: both its passes (the print
/// and its mirror) on each print's field, timed alone on this thread.
fn network_share(files: &[PathBuf]) {
    let Some(net) = field_net::shipped() else {
        return;
    };
    let mut extractor = Extractor::new();
    let prints: Vec<_> = files
        .iter()
        .map(|f| {
            let decoded = input::load(f, &Limits::default()).expect("decode");
            extractor.extract(&decoded.image, 500);
            let i = extractor.network_input();
            (
                i.field.clone(),
                i.coarse.clone(),
                i.tensors.clone(),
                i.stats.clone(),
                i.mask.clone(),
            )
        })
        .collect();
    let mut scratch = field_net::NetScratch::default();
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    for (field, coarse, tensors, stats, mask) in &prints {
        let input = field_net::FieldInput {
            field,
            coarse,
            tensors,
            stats,
            mask,
        };
        std::hint::black_box(net.predict(&input, &mut scratch));
    }
    let wall = started.elapsed().as_secs_f64() * 1000.0 / files.len() as f64;
    if let (Some(before), Some(after)) = (cpu_before, cpu_seconds()) {
        let cpu = (after - before) * 1000.0 / files.len() as f64;
        println!(
            "field network alone (print and mirror): CPU {cpu:.1} ms, wall {wall:.1} ms per print"
        );
    }
}

fn all_cores(files: &[PathBuf]) {
    let started = Instant::now();
    let mut ok = 0usize;
    batch::run(files, &BatchOptions::default(), |o| {
        ok += usize::from(o.result.is_ok())
    })
    .expect("batch");
    let secs = started.elapsed().as_secs_f64();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("batch on {threads} threads: {ok}/{} prints in {secs:.2} s = {:.1} prints/s (files read, decoded, analysed)", files.len(), files.len() as f64 / secs);
}

fn summary(ms: &mut [f64]) -> String {
    ms.sort_by(f64::total_cmp);
    let mean = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    format!(
        "mean {mean:.1} ms, median {:.1} ms, p95 {:.1} ms",
        at(0.5),
        at(0.95)
    )
}
