//! What the whorl-subtype rules read ([`classify::WhorlEvidence`]), set
//! against the subtype SD14's examiners wrote, on every print both the
//! examiner and the engine read as a whorl: the spread (10th, 25th, 50th,
//! 75th and 90th percentiles) of each measure for plain whorls, central
//! pockets and double loops, from which `classify`'s thresholds were
//! chosen. `--csv` prints one line per whorl instead (with `half`, the
//! print's place in file order modulo 2, as `examples/examiner.rs`
//! halves them), for choosing thresholds on one half.
//!
//! ```text
//! cargo run --release -p vantay-print --example whorl_study -- \
//!     [--data ../shared/data/sd14-dev] [--csv]
//! ```

use std::f32::consts::PI;
use std::path::PathBuf;

use rayon::prelude::*;
use vantay_print::classify::{self, WhorlEvidence};
use vantay_print::examiner::{self, Code};
use vantay_print::grid::Grid;
use vantay_print::orientation::OrientationField;
use vantay_print::ridge_count;
use vantay_print::singular::SingularPoints;
use vantay_print::{input, Extractor, PatternClass, Subtype};

struct Whorl {
    file: String,
    half: usize,
    examiner: Subtype,
    engine: Subtype,
    evidence: WhorlEvidence,
    cores: usize,
    lone_delta: Option<(usize, f32)>,
}

/// With one delta only (the other beyond the rolled area), the central
/// pocket's two measures read on the line from it to its mirror image
/// across the first core's vertical, where the lost delta would lie on an
/// upright finger: (circuits crossed, centre height). Measured, not used
/// by the engine (docs/benchmarks/print.md: it does not carry from one
/// half of the prints to the other).
fn lone_delta(
    points: &SingularPoints,
    directions: &OrientationField,
    mask: &Grid<u8>,
) -> Option<(usize, f32)> {
    let (cores, deltas) = (points.core_positions(), points.delta_positions());
    let core = *cores.first()?;
    let [k] = ridge_count::whorls_deltas(&cores, &deltas)[..] else {
        return None;
    };
    let from = deltas[k];
    let to = (2.0 * core.0 - from.0, from.1);
    Some((
        classify::circuits_crossed(directions, mask, from, to),
        classify::height_above(core, from, to),
    ))
}

fn main() {
    let mut data = PathBuf::from("../shared/data/sd14-dev");
    let mut csv = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => data = args.next().expect("--data DIR").into(),
            "--csv" => csv = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let files = input::wsq_files(&data).expect("the data folder");
    let whorls: Vec<Whorl> = files
        .par_iter()
        .enumerate()
        .map_init(Extractor::new, |engine, (i, file)| {
            let bytes = std::fs::read(file).expect("a readable print");
            let Code::Whorl(examiner) = examiner::first_code(&examiner::history(&bytes)?)? else {
                return None;
            };
            let image = input::decode(&bytes, &input::Limits::default())
                .expect("a decodable print")
                .image;
            let analysis = engine.extract(&image, 500);
            if analysis.class != PatternClass::W {
                return None;
            }
            let d = &analysis.details;
            Some(Whorl {
                file: file.file_name()?.to_string_lossy().into_owned(),
                half: i % 2,
                examiner,
                engine: analysis.subtype,
                evidence: classify::whorl_evidence(&d.singular, &d.orientation, &d.mask),
                cores: d.singular.cores.len(),
                lone_delta: lone_delta(&d.singular, &d.orientation, &d.mask),
            })
        })
        .flatten()
        .collect();
    if csv {
        print_csv(&whorls);
    } else {
        print_spreads(&whorls);
    }
}

/// The measures of one whorl, in the units the thresholds' documentation
/// gives: blocks of 8 px, turning in units of π, a share of the line.
fn measures(w: &Whorl) -> [Option<f32>; 7] {
    let e = &w.evidence;
    [
        e.cores_apart.map(|d| d / 8.0),
        e.middle_ridge_turning.map(|t| t / PI),
        e.heads_along_the_join,
        e.circuits_crossed.map(|n| n as f32),
        e.centre_height,
        w.lone_delta.map(|(n, _)| n as f32),
        w.lone_delta.map(|(_, h)| h),
    ]
}

const NAMES: [&str; 7] = [
    "cores apart (blocks)",
    "middle ridge turning (π)",
    "heads along the join (|cos|)",
    "circuits crossed (of 21)",
    "centre height (share)",
    "one delta: circuits crossed to its mirror image",
    "one delta: centre height over that line",
];

fn print_csv(whorls: &[Whorl]) {
    println!("file,half,examiner,engine,cores,deltas_below,cores_apart_blocks,middle_turning_pi,heads_along,circuits_crossed,centre_height,lone_circuits_crossed,lone_centre_height");
    for w in whorls {
        let cells: Vec<String> = measures(w)
            .iter()
            .map(|m| m.map_or(String::new(), |v| format!("{v:.5}")))
            .collect();
        println!(
            "{},{},{:?},{:?},{},{},{}",
            w.file,
            w.half,
            w.examiner,
            w.engine,
            w.cores,
            w.evidence.deltas_below,
            cells.join(",")
        );
    }
}

fn print_spreads(whorls: &[Whorl]) {
    println!("| measure | examiner's subtype | prints | 10 % | 25 % | 50 % | 75 % | 90 % |");
    println!("|---|---|---|---|---|---|---|---|");
    for (k, name) in NAMES.iter().enumerate() {
        for subtype in [
            Subtype::PlainWhorl,
            Subtype::CentralPocketWhorl,
            Subtype::DoubleLoop,
        ] {
            let mut values: Vec<f32> = whorls
                .iter()
                .filter(|w| w.examiner == subtype)
                .filter_map(|w| measures(w)[k])
                .collect();
            values.sort_by(f32::total_cmp);
            let cells: Vec<String> = [0.1, 0.25, 0.5, 0.75, 0.9]
                .iter()
                .map(|&q| percentile(&values, q).map_or("–".into(), |v| format!("{v:.2}")))
                .collect();
            println!(
                "| {name} | {subtype:?} | {} | {} |",
                values.len(),
                cells.join(" | ")
            );
        }
    }
}

/// The `q` quantile of sorted `values` (nearest rank).
fn percentile(values: &[f32], q: f32) -> Option<f32> {
    let last = values.len().checked_sub(1)?;
    Some(values[(q * last as f32).round() as usize])
}
