//! Do the ridge counts of a real print and of its mirror image agree?
//! SD14 holds no true counts, but a print and its mirror hold the same
//! ridges, while the engine places their points a few pixels apart (the
//! block grid falls differently): how often the two counts agree measures
//! how much a count hangs on those pixels. Each delta found in both (its
//! mirrored place within 16 px, its core's too) is counted at the placed
//! points along one line ([`ridge_count::count_line`]) and as the engine
//! counts, the median of the lines round the points ([`ridge_count::count`]).
//!
//! ```text
//! cargo run --release -p vantay-print --example mirror_counts -- [--data ../shared/data/sd14-dev] [--count 899]
//! ```

use std::path::PathBuf;

use image::{imageops, GrayImage};
use vantay_print::orientation::OrientationField;
use vantay_print::{input, ridge_count, Analysis, Extractor, Params};

/// A delta and its nearest core, pixels.
type Pair = ((f32, f32), (f32, f32));

/// How near (px) a point of the mirror image must lie to the reflected one.
const SAME_POINT_PX: f32 = 16.0;

fn main() {
    let mut data = PathBuf::from("../shared/data/sd14-dev");
    let mut count = usize::MAX;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => data = args.next().expect("--data DIR").into(),
            "--count" => count = args.next().expect("--count N").parse().expect("a number"),
            other => panic!("unknown argument {other}"),
        }
    }
    let files = input::wsq_files(&data).expect("the data folder");
    let mut engine = Extractor::new();
    let params = Params::default();
    let mut tally = Tally::default();
    for file in files.iter().take(count) {
        let bytes = std::fs::read(file).expect("a readable print");
        let image = input::decode(&bytes, &input::Limits::default())
            .expect("a decodable print")
            .image;
        let mirror = imageops::flip_horizontal(&image);
        let direct = engine.extract(&image, 500);
        let reflected = engine.extract(&mirror, 500);
        let width = image.width() as f32;
        for pair in pairs(&direct) {
            let Some(other) = mirrored(pair, &pairs(&reflected), width) else {
                continue;
            };
            let counts = |count: Counter| {
                (
                    count(&image, &direct.details.orientation, pair, &params),
                    count(&mirror, &reflected.details.orientation, other, &params),
                )
            };
            tally.add(counts(one_line), counts(median));
        }
    }
    tally.print();
}

type Counter = fn(&GrayImage, &OrientationField, Pair, &Params) -> u32;

fn one_line(image: &GrayImage, field: &OrientationField, (d, c): Pair, p: &Params) -> u32 {
    ridge_count::count_line(image, field, d, c, p)
}

fn median(image: &GrayImage, field: &OrientationField, (d, c): Pair, p: &Params) -> u32 {
    ridge_count::count(image, field, d, c, p)
}

/// Every delta of `analysis` with its nearest core.
fn pairs(analysis: &Analysis) -> Vec<Pair> {
    analysis
        .deltas
        .iter()
        .filter_map(|d| {
            let d = (d.x as f32, d.y as f32);
            let core = analysis
                .cores
                .iter()
                .map(|c| (c.x as f32, c.y as f32))
                .min_by(|a, b| distance(*a, d).total_cmp(&distance(*b, d)))?;
            Some((d, core))
        })
        .collect()
}

/// The pair of the mirror image whose delta and core lie where `pair`'s reflect to.
fn mirrored(pair: Pair, others: &[Pair], width: f32) -> Option<Pair> {
    let reflect = |p: (f32, f32)| (width - 1.0 - p.0, p.1);
    others.iter().copied().find(|(d, c)| {
        distance(*d, reflect(pair.0)) < SAME_POINT_PX
            && distance(*c, reflect(pair.1)) < SAME_POINT_PX
    })
}

fn distance(a: (f32, f32), b: (f32, f32)) -> f32 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

#[derive(Default)]
struct Tally {
    pairs: usize,
    /// [one line, median]: counts equal, and within one of each other.
    same: [usize; 2],
    near: [usize; 2],
}

impl Tally {
    fn add(&mut self, one_line: (u32, u32), median: (u32, u32)) {
        self.pairs += 1;
        for (k, (a, b)) in [one_line, median].into_iter().enumerate() {
            self.same[k] += usize::from(a == b);
            self.near[k] += usize::from(a.abs_diff(b) <= 1);
        }
    }

    fn print(&self) {
        let share =
            |n: usize| format!("{n} ({:.0} %)", 100.0 * n as f64 / self.pairs.max(1) as f64);
        println!("| {} deltas found in a print and in its mirror | counts equal | within ±1 of each other |", self.pairs);
        println!("|---|---|---|");
        println!(
            "| one line at the placed points | {} | {} |",
            share(self.same[0]),
            share(self.near[0])
        );
        println!(
            "| **median of 49 lines (shipped)** | {} | {} |",
            share(self.same[1]),
            share(self.near[1])
        );
    }
}
