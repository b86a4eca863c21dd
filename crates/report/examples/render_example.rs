//! Renders the example report (a synthetic customer, real NIST prints) and
//! times the renders after start-up.
//!
//! ```text
//! cargo run -p vantay-report --release --example render_example -- OUT.pdf [RUNS]
//! ```

use std::time::Instant;

use vantay_report::{InterpretationTable, Renderer};

#[path = "../tests/support/mod.rs"]
mod support;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().ok_or("usage: render_example OUT.pdf [RUNS]")?;
    let runs: u32 = args.next().map(|n| n.parse()).transpose()?.unwrap_or(20);

    let start = Instant::now();
    let renderer = Renderer::new();
    let table = InterpretationTable::example();
    let input = support::input(&table, support::NAME);
    let images = input
        .fingers
        .iter()
        .filter(|f| f.image_png.is_some())
        .count();
    println!("start-up (fonts, template): {:.1} ms", ms(start));

    let first = Instant::now();
    let pdf = renderer.render(&input)?;
    println!(
        "first render: {:.1} ms ({} bytes, {images} print images)",
        ms(first),
        pdf.len()
    );
    std::fs::write(&out, &pdf)?;

    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            renderer.render(&input).map(|_| ms(t))
        })
        .collect::<Result<_, _>>()?;
    times.sort_by(f64::total_cmp);
    if let (Some(min), Some(max)) = (times.first(), times.last()) {
        let median = times[times.len() / 2];
        println!("later renders ({runs}): median {median:.1} ms, min {min:.1} ms, max {max:.1} ms");
    }
    Ok(())
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}
