//! The engine against a fingerprint examiner, on real prints: SD14's
//! `HISTORY` field carries the codes the card's examiner wrote
//! ([`vantay_print::examiner`]), among them each loop's core–delta ridge
//! count and each whorl's subtype. Read here only to measure; the engine
//! never reads them.
//!
//! - **Ridge counts**: where the examiner filed a print as a loop and the
//!   engine reads a loop with a core and a delta, the engine's count
//!   ([`Analysis::loop_ridge_count`]) is set against the examiner's.
//! - **Ulnar or radial**: the engine's loop and the finger (the scan
//!   name's position) against the examiner's count code.
//! - **Whorl subtypes**: where both read a whorl, the engine's subtype
//!   (plain, central pocket, double loop, accidental) against the
//!   examiner's.
//!
//! `--half even|odd` takes every other print (by file order), so that a
//! change can be chosen on one half and confirmed on the other.
//! `--convention fbi` counts loops by the FBI's convention, which the
//! examiners' NCIC counts follow, with the core end `--fbi-offset PX` from
//! the singular point (the shipped offset by default). `--delta-search`
//! sets how a loop's missed delta is looked for again
//! (`Params::loop_delta_search`; a reach of 0 turns it off).
//!
//! ```text
//! cargo run --release -p vantay-print --example examiner -- \
//!     [--data ../shared/data/sd14-dev] [--half even|odd] [--misses N] \
//!     [--convention holt|fbi] [--fbi-offset PX] [--delta-search REACH_PX,MIN_SUPPORT]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use vantay_print::examiner::{self, Code};
use vantay_print::Params;
use vantay_print::{input, loop_direction, Analysis, Extractor, Finger, LoopDirection};
use vantay_print::{PatternClass, Subtype};

/// One print the examiner filed as a loop or a whorl, and the engine's reading.
struct Case {
    file: String,
    examiner: Code,
    finger: Option<Finger>,
    analysis: Analysis,
}

fn main() {
    let mut data = PathBuf::from("../shared/data/sd14-dev");
    let mut half: Option<usize> = None;
    let mut misses = 0;
    let mut params = Params::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => data = args.next().expect("--data DIR").into(),
            "--half" => {
                half = match args.next().as_deref() {
                    Some("even") => Some(0),
                    Some("odd") => Some(1),
                    other => panic!("--half even|odd, not {other:?}"),
                }
            }
            "--misses" => misses = args.next().expect("--misses N").parse().expect("a number"),
            "--convention" => {
                let name = args.next().expect("--convention holt|fbi");
                params.ridge_count_convention = name.parse().unwrap_or_else(|e| panic!("{e}"));
            }
            "--fbi-offset" => {
                params.fbi_core_offset_px = args
                    .next()
                    .expect("--fbi-offset PX")
                    .parse()
                    .expect("a number of pixels")
            }
            "--delta-search" => {
                let spec = args.next().expect("--delta-search REACH_PX,MIN_SUPPORT");
                let (reach, support) = spec.split_once(',').expect("REACH_PX,MIN_SUPPORT");
                params.loop_delta_search = (
                    reach.parse().expect("a reach in pixels"),
                    support.parse().expect("a coherence"),
                );
            }
            other => panic!("unknown argument {other}"),
        }
    }
    let files = input::wsq_files(&data).expect("the data folder");
    let chosen: Vec<&PathBuf> = files
        .iter()
        .enumerate()
        .filter(|(i, _)| half.is_none_or(|h| i % 2 == h))
        .map(|(_, f)| f)
        .collect();
    let cases: Vec<Case> = chosen
        .par_iter()
        .map_init(
            || Extractor::new().with_params(params.clone()),
            |engine, file| read_case(engine, file),
        )
        .flatten()
        .collect();
    println!(
        "{} prints read; loops counted by {:?}, FBI core offset {} px",
        chosen.len(),
        params.ridge_count_convention,
        params.fbi_core_offset_px
    );
    report_counts(&cases, misses);
    report_loop_directions(&cases);
    report_whorl_subtypes(&cases);
}

/// The examiner's code and the engine's analysis of a print the examiner
/// filed as a loop or a whorl; `None` for any other print.
fn read_case(engine: &mut Extractor, file: &Path) -> Option<Case> {
    let bytes = std::fs::read(file).expect("a readable print");
    let history = examiner::history(&bytes)?;
    let code = examiner::first_code(&history)?;
    if !matches!(code, Code::Loop { .. } | Code::Whorl(_)) {
        return None;
    }
    let image = input::decode(&bytes, &input::Limits::default())
        .expect("a decodable print")
        .image;
    Some(Case {
        file: file.file_name().unwrap().to_string_lossy().into_owned(),
        examiner: code,
        finger: examiner::finger(&history),
        analysis: engine.extract(&image, 500),
    })
}

fn report_counts(cases: &[Case], misses: usize) {
    let loops: Vec<(&Case, u32)> = cases
        .iter()
        .filter_map(|c| match c.examiner {
            Code::Loop { ridge_count, .. } => Some((c, ridge_count)),
            _ => None,
        })
        .collect();
    let mut errors: Vec<(&Case, u32, i64)> = loops
        .iter()
        .filter_map(|&(c, truth)| {
            let counted = c.analysis.loop_ridge_count()?;
            Some((c, truth, i64::from(counted) - i64::from(truth)))
        })
        .collect();
    let read_as = tally(
        loops
            .iter()
            .map(|(c, _)| c.analysis.class)
            .filter(|class| !matches!(class, PatternClass::L | PatternClass::R)),
    );
    println!(
        "\n{} prints filed by the examiner as loops with a count: the engine counted {}; read as another class: {read_as:?}; the rest read as loops without a core or a delta",
        loops.len(),
        errors.len(),
    );
    println!("\n| examiner's count | loops | exact | within ±1 | within ±2 | mean error (engine − examiner) |");
    println!("|---|---|---|---|---|---|");
    // The last row: the loops counted to a delta of the engine's second look.
    for (label, range, second_look_only) in [
        ("1–5", 1..=5, false),
        ("6–10", 6..=10, false),
        ("11–15", 11..=15, false),
        ("16 and more", 16..=99, false),
        ("all", 1..=99, false),
        ("delta found on the second look", 1..=99, true),
    ] {
        let errors: Vec<i64> = errors
            .iter()
            .filter(|(_, truth, _)| range.contains(truth))
            .filter(|(c, _, _)| {
                !second_look_only || c.analysis.loops_delta() == c.analysis.details.recovered_delta
            })
            .map(|&(_, _, e)| e)
            .collect();
        let share = |within: i64| {
            percent(
                errors.iter().filter(|e| e.abs() <= within).count(),
                errors.len(),
            )
        };
        let mean = errors.iter().sum::<i64>() as f64 / errors.len().max(1) as f64;
        println!(
            "| {label} | {} | {:.1} % | {:.1} % | {:.1} % | {mean:+.2} |",
            errors.len(),
            share(0),
            share(1),
            share(2),
        );
    }
    errors.sort_by_key(|(_, _, e)| std::cmp::Reverse(e.abs()));
    for (case, truth, error) in errors.iter().take(misses) {
        let second_look = case.analysis.details.recovered_delta.is_some();
        let note = if second_look {
            " (delta found on the second look)"
        } else {
            ""
        };
        println!("{}: examiner {truth}, engine {error:+}{note}", case.file);
    }
    if misses > 0 {
        // The loops left uncounted, with what the engine found on them.
        for (case, truth) in &loops {
            let a = &case.analysis;
            if matches!(a.class, PatternClass::L | PatternClass::R)
                && a.loop_ridge_count().is_none()
            {
                println!(
                    "{}: examiner {truth}, engine {} uncounted ({} cores, {} deltas)",
                    case.file,
                    a.class,
                    a.cores.len(),
                    a.deltas.len()
                );
            }
        }
    }
}

/// Ulnar or radial, from the engine's class and the finger, against the
/// examiner's count code (51–99 radial).
fn report_loop_directions(cases: &[Case]) {
    let pairs: Vec<(LoopDirection, LoopDirection)> = cases
        .iter()
        .filter_map(|c| {
            let Code::Loop { direction, .. } = c.examiner else {
                return None;
            };
            Some((direction, loop_direction(c.analysis.class, c.finger?)?))
        })
        .collect();
    let right = |d: LoopDirection| {
        let of = pairs.iter().filter(|(t, _)| *t == d);
        (of.clone().filter(|(t, e)| t == e).count(), of.count())
    };
    let (ulnar, radial) = (right(LoopDirection::Ulnar), right(LoopDirection::Radial));
    println!(
        "\n{} loops read as loops on a known finger: ulnar or radial the examiner's on {} ({:.1} %): ulnar {} of {}, radial {} of {}",
        pairs.len(),
        ulnar.0 + radial.0,
        percent(ulnar.0 + radial.0, pairs.len()),
        ulnar.0,
        ulnar.1,
        radial.0,
        radial.1
    );
}

fn report_whorl_subtypes(cases: &[Case]) {
    let subtypes = [
        Subtype::PlainWhorl,
        Subtype::CentralPocketWhorl,
        Subtype::DoubleLoop,
        Subtype::AccidentalWhorl,
    ];
    let whorls: Vec<(Subtype, Subtype)> = cases
        .iter()
        .filter_map(|c| match c.examiner {
            Code::Whorl(truth) if c.analysis.class == PatternClass::W => {
                Some((truth, c.analysis.subtype))
            }
            _ => None,
        })
        .collect();
    let right = whorls.iter().filter(|(t, e)| t == e).count();
    println!(
        "\n{} prints filed by the examiner as whorls and read as whorls: subtype the examiner's on {right} ({:.1} %)",
        whorls.len(),
        percent(right, whorls.len())
    );
    println!(
        "\n| examiner \\ engine | plain | central pocket | double loop | accidental | recall |"
    );
    println!("|---|---|---|---|---|---|");
    for truth in subtypes {
        let row: Vec<usize> = subtypes
            .iter()
            .map(|read| whorls.iter().filter(|&&w| w == (truth, *read)).count())
            .collect();
        let total: usize = row.iter().sum();
        let cells: Vec<String> = row.iter().map(|n| n.to_string()).collect();
        let index = subtypes.iter().position(|s| *s == truth).unwrap();
        println!(
            "| {truth:?} | {} | {:.1} % |",
            cells.join(" | "),
            percent(row[index], total)
        );
    }
}

fn tally(classes: impl Iterator<Item = PatternClass>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for class in classes {
        *counts.entry(format!("{class:?}")).or_insert(0) += 1;
    }
    counts
}

fn percent(part: usize, whole: usize) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}
