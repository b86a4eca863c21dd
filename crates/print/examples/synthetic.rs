//! Singular points and ridge counts measured on many synthetic prints of
//! known truth ([`Spec::random`]: points, distances, tilt, ridge period and
//! noise all varied), printed as the Markdown tables of docs/BENCHMARKS.md.
//!
//! ```text
//! cargo run --release -p vantay-print --example synthetic -- [--per-class 100] [--first-seed 1000] [--misses] \
//!     [--convention holt|fbi]
//! cargo run --release -p vantay-print --example synthetic -- --write-set DIR [--per-class N]
//! ```
//!
//! `--write-set DIR` instead writes the prints as PNG files with a
//! `labels.csv` in SD14's layout (`NAME.wsq,CLASS`), so that `evaluate
//! --data DIR --png-dir DIR --dump-field PREFIX` dumps their planes for
//! `train/field_cnn.py --pretrain PREFIX` (measured in
//! docs/benchmarks/print.md, fourteenth round).
//!
//! The true counts follow Holt's convention (the line ends at the singular
//! point); `--convention fbi` counts the engine's loops by the FBI's, to
//! show how far the two conventions differ.
//!
//! Points and counts are the shipped engine's (an arch gets no count, so a
//! loop it misreads as one loses its count here too), compared in the same
//! run with the points as the singular-point search finds them, before they
//! are placed on the unsmoothed field ([`vantay_print::pattern::place`]),
//! and their counts. The class is given both by the engine and by the rules
//! on singular points alone: the engine's models learned SD14 cards, whose
//! framing synthetic prints do not share.

use std::time::Instant;

use rayon::prelude::*;
use vantay_print::synthetic::{self, Score, Spec, SyntheticPrint, CORE_RADIUS, DELTA_RADIUS};
use vantay_print::{ridge_count, Analysis, CountConvention, Extractor, Params, PatternClass};

struct Case {
    class: PatternClass,
    seed: u64,
    spec: Spec,
    /// The engine's output.
    placed: Score,
    /// The points as found, before placing, with the counts between them.
    detected: Score,
    by_engine: PatternClass,
    by_rules: PatternClass,
    /// (true, counted) for every delta, counted on the true core–delta
    /// line: the counter's own error, without the points'.
    on_true_line: Vec<(u32, u32)>,
}

fn main() {
    let mut per_class = 100u64;
    let mut first_seed = 1000u64;
    let mut misses = false;
    let mut convention = CountConvention::Holt;
    let mut set_dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--per-class" => per_class = number(args.next(), "--per-class N"),
            "--first-seed" => first_seed = number(args.next(), "--first-seed S"),
            "--misses" => misses = true,
            "--write-set" => set_dir = Some(args.next().expect("--write-set DIR")),
            "--convention" => {
                let name = args.next().expect("--convention holt|fbi");
                convention = name.parse().unwrap_or_else(|e| panic!("{e}"));
            }
            other => panic!("unknown argument {other}"),
        }
    }
    if let Some(dir) = set_dir {
        write_set(std::path::Path::new(&dir), per_class, first_seed);
        return;
    }
    let started = Instant::now();
    let params = Params {
        ridge_count_convention: convention,
        ..Params::default()
    };
    let cases = measure(per_class, first_seed, &params);
    println!(
        "{} prints ({per_class} per class, seeds {first_seed}–{}), rendered and analysed in {:.0} s\n",
        cases.len(),
        first_seed + per_class - 1,
        started.elapsed().as_secs_f64()
    );
    points_table(&cases);
    println!();
    placing_table(&cases);
    println!();
    counts_table(&cases);
    if misses {
        println!();
        list_misses(&cases);
    }
}

/// Renders `per_class` prints of every class into `dir` with their labels.
fn write_set(dir: &std::path::Path, per_class: u64, first_seed: u64) {
    std::fs::create_dir_all(dir).expect("the set's folder");
    let jobs: Vec<(PatternClass, u64)> = PatternClass::ALL
        .into_iter()
        .flat_map(|c| (first_seed..first_seed + per_class).map(move |s| (c, s)))
        .collect();
    let labels: Vec<String> = jobs
        .into_par_iter()
        .map(|(class, seed)| {
            let name = format!("syn-{class}-{seed}");
            let print = Spec::random(class, seed).render();
            print
                .image
                .save(dir.join(format!("{name}.png")))
                .expect("write a png");
            format!("{name}.wsq,{class}\n")
        })
        .collect();
    std::fs::write(dir.join("labels.csv"), labels.concat()).expect("write labels.csv");
}

fn number(value: Option<String>, what: &str) -> u64 {
    value
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: a whole number"))
}

fn measure(per_class: u64, first_seed: u64, params: &Params) -> Vec<Case> {
    let jobs: Vec<(PatternClass, u64)> = PatternClass::ALL
        .into_iter()
        .flat_map(|c| (first_seed..first_seed + per_class).map(move |s| (c, s)))
        .collect();
    jobs.into_par_iter()
        .map_init(
            || {
                let engine = Extractor::new().with_params(params.clone());
                (engine, Extractor::with_model(None))
            },
            |(engine, rules), (class, seed)| {
                let spec = Spec::random(class, seed);
                let print = spec.render();
                let analysis = engine.extract(&print.image, 500);
                Case {
                    class,
                    seed,
                    placed: print.score(&analysis),
                    detected: score_as_detected(&print, &analysis, params),
                    by_engine: analysis.class,
                    by_rules: rules.extract(&print.image, 500).class,
                    on_true_line: count_on_true_line(&print, &analysis),
                    spec,
                }
            },
        )
        .collect()
}

/// The score the points would get as the search found them, counted the
/// same way between them.
fn score_as_detected(print: &SyntheticPrint, analysis: &Analysis, params: &Params) -> Score {
    let found = &analysis.details.singular;
    let lines = ridge_count::count_lines(found, analysis.class, params);
    let counts =
        ridge_count::count_all(&print.image, &analysis.details.orientation, &lines, params);
    print.score_found(found, &counts)
}

/// (true, counted) for each delta of a loop or whorl, counted by the
/// engine's counter between the true points.
fn count_on_true_line(print: &SyntheticPrint, analysis: &Analysis) -> Vec<(u32, u32)> {
    if !matches!(
        print.class,
        PatternClass::L | PatternClass::R | PatternClass::W
    ) {
        return Vec::new();
    }
    let params = Params::default();
    print
        .deltas
        .iter()
        .zip(&print.ridge_counts)
        .filter_map(|(&delta, &truth)| {
            let core = synthetic::nearest(&print.cores, &delta)?;
            let field = &analysis.details.orientation;
            let counted = ridge_count::count(&print.image, field, delta, *core, &params);
            Some((truth, counted))
        })
        .collect()
}

fn groups(cases: &[Case]) -> Vec<(String, Vec<&Case>)> {
    let mut rows: Vec<(String, Vec<&Case>)> = PatternClass::ALL
        .into_iter()
        .map(|c| {
            (
                format!("{c:?}"),
                cases.iter().filter(|k| k.class == c).collect(),
            )
        })
        .collect();
    rows.push(("**all**".into(), cases.iter().collect()));
    rows
}

/// Errors of the points found within the radius, and how many were found.
struct PointFigures {
    cores: String,
    core_error: String,
    deltas: String,
    delta_error: String,
}

fn point_figures<'a>(scores: impl Iterator<Item = &'a Score> + Clone) -> PointFigures {
    let cores: Vec<Option<f32>> = scores
        .clone()
        .flat_map(|s| s.core_errors.iter().copied())
        .collect();
    let deltas: Vec<Option<f32>> = scores
        .flat_map(|s| s.delta_errors.iter().copied())
        .collect();
    let mut core_found: Vec<f32> = cores.iter().flatten().copied().collect();
    core_found.sort_by(f32::total_cmp);
    let mut delta_found: Vec<f32> = deltas.iter().flatten().copied().collect();
    delta_found.sort_by(f32::total_cmp);
    PointFigures {
        cores: share(core_found.len(), cores.len()),
        core_error: spread(&core_found),
        deltas: share(delta_found.len(), deltas.len()),
        delta_error: spread(&delta_found),
    }
}

fn points_table(cases: &[Case]) {
    println!(
        "| class | prints | cores found (≤ {CORE_RADIUS} px) | core error mean / median / p90 | \
         deltas found (≤ {DELTA_RADIUS} px) | delta error mean / median / p90 | false cores / deltas | \
         class by the shipped engine | by the rules alone |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, group) in groups(cases) {
        let figures = point_figures(group.iter().map(|c| &c.placed));
        let false_cores: usize = group.iter().map(|c| c.placed.false_cores).sum();
        let false_deltas: usize = group.iter().map(|c| c.placed.false_deltas).sum();
        let right = |pick: fn(&Case) -> PatternClass| {
            let n = group.iter().filter(|c| pick(c) == c.class).count();
            format!("{n} of {}", group.len())
        };
        println!(
            "| {name} | {} | {} | {} | {} | {} | {false_cores} / {false_deltas} | {} | {} |",
            group.len(),
            figures.cores,
            figures.core_error,
            figures.deltas,
            figures.delta_error,
            right(|c| c.by_engine),
            right(|c| c.by_rules),
        );
    }
}

/// Which of a case's two scores a table reads.
type PickScore = fn(&Case) -> &Score;

/// The same prints, the points as found and as placed, side by side.
fn placing_table(cases: &[Case]) {
    println!(
        "| points | core error mean / median / p90 | delta error mean / median / p90 | \
         ridge counts within ±1 | mean error of the counts (counted − true) |"
    );
    println!("|---|---|---|---|---|");
    let rows: [(&str, PickScore); 2] = [
        ("as found (strongly smoothed field)", |c| &c.detected),
        ("**placed** (unsmoothed field, shipped)", |c| &c.placed),
    ];
    for (name, pick) in rows {
        let figures = point_figures(cases.iter().map(pick));
        let counts = counted(cases, pick);
        count_row(name, &figures.core_error, &figures.delta_error, &counts);
    }
    let on_true_line: Vec<(u32, u32)> = cases
        .iter()
        .flat_map(|c| c.on_true_line.iter().copied())
        .collect();
    count_row("true points (the counter alone)", "0", "0", &on_true_line);
}

/// One row of [`placing_table`]: the points' errors, then how near the
/// counts (true, counted) came.
fn count_row(name: &str, core_error: &str, delta_error: &str, counts: &[(u32, u32)]) {
    let errors: Vec<f32> = counts.iter().map(|&(t, c)| c as f32 - t as f32).collect();
    let within = counts.iter().filter(|(t, c)| t.abs_diff(*c) <= 1).count();
    println!(
        "| {name} | {core_error} | {delta_error} | {} | {} |",
        share(within, counts.len()),
        mean(&errors).map_or("–".into(), |m| format!("{m:+.2}")),
    );
}

/// (true, counted) for every delta of a loop or whorl that was found.
fn counted(cases: &[Case], pick: PickScore) -> Vec<(u32, u32)> {
    cases
        .iter()
        .filter(|c| matches!(c.class, PatternClass::L | PatternClass::R | PatternClass::W))
        .flat_map(|c| pick(c).ridge_counts.iter())
        .filter_map(|&(t, c)| c.map(|c| (t, c)))
        .collect()
}

/// Ridge counts by the size of the true count (far deltas have more
/// ridges to miss or to double) and by class.
fn counts_table(cases: &[Case]) {
    println!(
        "| deltas of | deltas | counted (delta found) | exact | within ±1 | within ±2 | mean error (counted − true) |"
    );
    println!("|---|---|---|---|---|---|---|");
    // (class drawn, true count, count given) for every delta of a loop or whorl.
    let deltas: Vec<(PatternClass, u32, Option<u32>)> = cases
        .iter()
        .filter(|c| matches!(c.class, PatternClass::L | PatternClass::R | PatternClass::W))
        .flat_map(|c| c.placed.ridge_counts.iter().map(|&(t, n)| (c.class, t, n)))
        .collect();
    let by_truth = |name: &'static str,
                    low: u32,
                    high: u32|
     -> (String, Box<dyn Fn(PatternClass, u32) -> bool>) {
        (
            format!("true count {name}"),
            Box::new(move |_, t| (low..=high).contains(&t)),
        )
    };
    let by_class = |class: PatternClass| -> (String, Box<dyn Fn(PatternClass, u32) -> bool>) {
        (
            format!("{class:?} prints"),
            Box::new(move |c, _| c == class),
        )
    };
    let rows = [
        by_truth("1–5", 1, 5),
        by_truth("6–10", 6, 10),
        by_truth("11–15", 11, 15),
        by_truth("16 and more", 16, u32::MAX),
        by_class(PatternClass::L),
        by_class(PatternClass::R),
        by_class(PatternClass::W),
        ("**all**".into(), Box::new(|_, _| true)),
    ];
    for (name, wanted) in rows {
        let mine: Vec<&(PatternClass, u32, Option<u32>)> =
            deltas.iter().filter(|(c, t, _)| wanted(*c, *t)).collect();
        let group: Vec<(u32, u32)> = mine
            .iter()
            .filter_map(|(_, t, n)| n.map(|n| (*t, n)))
            .collect();
        let within = |k: u32| group.iter().filter(|(t, c)| t.abs_diff(*c) <= k).count();
        let errors: Vec<f32> = group.iter().map(|&(t, c)| c as f32 - t as f32).collect();
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            mine.len(),
            share(group.len(), mine.len()),
            share(within(0), group.len()),
            share(within(1), group.len()),
            share(within(2), group.len()),
            mean(&errors).map_or("–".into(), |m| format!("{m:+.2}")),
        );
    }
}

fn list_misses(cases: &[Case]) {
    for c in cases {
        let score = &c.placed;
        let lost_core = score.core_errors.iter().any(Option::is_none);
        let lost_delta = score.delta_errors.iter().any(Option::is_none);
        let bad_counts: Vec<String> = score
            .ridge_counts
            .iter()
            .filter_map(|(t, found)| found.filter(|f| f.abs_diff(*t) > 1).map(|f| (t, f)))
            .map(|(t, f)| format!("{f} for {t}"))
            .collect();
        if lost_core || lost_delta || !bad_counts.is_empty() || c.by_engine != c.class {
            println!(
                "{:?} seed {}: read as {:?}, cores {:?}, deltas {:?}, counts {:?} \
                 (period {:.1}, noise {:.0}, tilt {:.0}°)",
                c.class,
                c.seed,
                c.by_engine,
                score.core_errors,
                score.delta_errors,
                bad_counts,
                c.spec.period,
                c.spec.noise,
                c.spec.rotation.to_degrees(),
            );
        }
    }
}

fn share(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "–".into();
    }
    format!(
        "{part} of {whole} ({:.0} %)",
        100.0 * part as f64 / whole as f64
    )
}

fn mean(values: &[f32]) -> Option<f32> {
    (!values.is_empty()).then(|| values.iter().sum::<f32>() / values.len() as f32)
}

/// "mean / median / p90" of sorted errors.
fn spread(sorted: &[f32]) -> String {
    match mean(sorted) {
        None => "–".into(),
        Some(m) => {
            let at = |q: f32| sorted[((sorted.len() - 1) as f32 * q).round() as usize];
            format!("{m:.1} / {:.1} / {:.1} px", at(0.5), at(0.9))
        }
    }
}
