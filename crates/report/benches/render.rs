//! Report rendering after start-up, and the figures alone.
//!
//! `cargo bench -p vantay-report --bench render`

use criterion::{criterion_group, criterion_main, Criterion};
use vantay_report::{compute_figures, interpret, InterpretationTable, Renderer};

#[path = "../tests/support/mod.rs"]
mod support;

fn render(c: &mut Criterion) {
    let renderer = Renderer::new();
    let table = InterpretationTable::example();
    let input = support::input(&table, support::NAME);
    let mut group = c.benchmark_group("report");
    group.sample_size(20);
    group.bench_function("render_pdf_10_prints", |b| {
        b.iter(|| renderer.render(&input).unwrap())
    });
    let mut without_images = support::input(&table, support::NAME);
    without_images.fingers = support::synthetic_fingers(false);
    group.bench_function("render_pdf_no_images", |b| {
        b.iter(|| renderer.render(&without_images).unwrap())
    });
    group.bench_function("figures_and_interpretation", |b| {
        b.iter(|| interpret(&compute_figures(&input.fingers).unwrap(), &table))
    });
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
