//! Measures classification on the labelled SD14 development prints with
//! stratified k-fold cross-validation: each fold is scored by a model trained
//! on the other folds only. `--write-model` then trains on all prints and
//! writes the shipped model (`src/model.json`).
//!
//! ```text
//! cargo run --release -p vantay-print --example evaluate -- \
//!     [--data ../shared/data/sd14-dev] [--png-dir DIR] [--folds 10] [--write-model] [--overlay DIR]
//! ```
//! `--png-dir` reads `NAME.png` instead of `NAME.wsq` (prints converted beforehand).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use vantay_print::classify::{self, PatternClass};
use vantay_print::model::{Model, TrainOptions};
use vantay_print::{overlay, Extractor};

struct Options {
    data: PathBuf,
    png_dir: Option<PathBuf>,
    folds: usize,
    write_model: bool,
    overlay: Option<PathBuf>,
    l2: Vec<f32>,
}

fn parse_options() -> Options {
    let mut options = Options {
        data: PathBuf::from("../shared/data/sd14-dev"),
        png_dir: None,
        folds: 10,
        write_model: false,
        overlay: None,
        l2: vec![TrainOptions::default().l2],
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => options.data = args.next().expect("--data DIR").into(),
            "--png-dir" => options.png_dir = Some(args.next().expect("--png-dir DIR").into()),
            "--folds" => options.folds = args.next().expect("--folds N").parse().expect("a number"),
            "--l2" => {
                options.l2 = args
                    .next()
                    .expect("--l2 A,B")
                    .split(',')
                    .map(|v| v.parse().expect("a number"))
                    .collect()
            }
            "--write-model" => options.write_model = true,
            "--overlay" => options.overlay = Some(args.next().expect("--overlay DIR").into()),
            other => panic!("unknown argument {other}"),
        }
    }
    options
}

/// One labelled print after analysis.
struct Sample {
    file: String,
    label: PatternClass,
    features: Vec<f32>,
    by_rules: PatternClass,
}

fn main() {
    let options = parse_options();
    let labels = read_labels(&options.data.join("labels.csv"));
    eprintln!("analysing {} prints…", labels.len());
    let samples: Vec<Sample> = labels
        .par_iter()
        .map_init(
            || Extractor::with_model(None),
            |extractor, (file, label)| analyse(extractor, &options, file, *label),
        )
        .collect();
    let truth: Vec<PatternClass> = samples.iter().map(|s| s.label).collect();
    let rules: Vec<PatternClass> = samples.iter().map(|s| s.by_rules).collect();
    report("rules on singular points (nothing learned)", &truth, &rules);
    let mut predicted = Vec::new();
    for &l2 in &options.l2 {
        let train_options = TrainOptions {
            l2,
            ..TrainOptions::default()
        };
        predicted = cross_validate(&samples, options.folds, &train_options);
        report(
            &format!("network (l2 {l2}), {}-fold cross-validation", options.folds),
            &truth,
            &predicted,
        );
    }
    for (s, p) in samples.iter().zip(&predicted) {
        if *p != s.label {
            eprintln!("miss {} truth {:?} predicted {:?}", s.file, s.label, p);
        }
    }
    if options.write_model {
        let model = Model::train(&training_set(samples.iter()), &TrainOptions::default());
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/model.json");
        std::fs::write(
            &path,
            serde_json::to_string(&model).expect("model serialises"),
        )
        .expect("write model");
        eprintln!("wrote {}", path.display());
    }
}

fn read_labels(path: &Path) -> Vec<(String, PatternClass)> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .filter_map(|line| {
            let (file, class) = line.split_once(',')?;
            // Scar prints (S) have no pattern class: left out.
            Some((file.to_string(), PatternClass::from_letter(class.trim())?))
        })
        .collect()
}

fn analyse(
    extractor: &mut Extractor,
    options: &Options,
    file: &str,
    label: PatternClass,
) -> Sample {
    let image = load(options, file);
    let analysis = extractor.extract(&image, 500);
    if let Some(dir) = &options.overlay {
        let name = format!(
            "{}-{:?}-{:?}.png",
            file.trim_end_matches(".wsq"),
            label,
            analysis.class
        );
        std::fs::write(
            dir.join(name),
            overlay::png(&image, &analysis).expect("png"),
        )
        .expect("write overlay");
    }
    let points = points_of(&analysis);
    Sample {
        file: file.to_string(),
        label,
        features: analysis.details.features.clone(),
        by_rules: classify::by_rules(&points),
    }
}

fn points_of(analysis: &vantay_print::Analysis) -> vantay_print::singular::SingularPoints {
    use vantay_print::singular::{Core, Delta, SingularPoints};
    SingularPoints {
        cores: analysis
            .cores
            .iter()
            .map(|c| Core {
                x: c.x as f32,
                y: c.y as f32,
                angle_deg: c.angle_deg,
            })
            .collect(),
        deltas: analysis
            .deltas
            .iter()
            .map(|d| Delta {
                x: d.x as f32,
                y: d.y as f32,
            })
            .collect(),
        whorl_centres: 0,
    }
}

fn load(options: &Options, file: &str) -> image::GrayImage {
    match &options.png_dir {
        Some(dir) => image::open(dir.join(file.replace(".wsq", ".png")))
            .expect("read png")
            .to_luma8(),
        None => {
            let path = options.data.join(file);
            vantay_print::input::load(&path, &vantay_print::input::Limits::default())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .image
        }
    }
}

fn training_set<'a>(samples: impl Iterator<Item = &'a Sample>) -> Vec<(Vec<f32>, PatternClass)> {
    samples.map(|s| (s.features.clone(), s.label)).collect()
}

/// Stratified folds: the prints of each class dealt out in turn, so every
/// fold holds its share of the rare classes.
fn cross_validate(
    samples: &[Sample],
    folds: usize,
    train_options: &TrainOptions,
) -> Vec<PatternClass> {
    let mut fold_of = vec![0usize; samples.len()];
    let mut next_in_class: BTreeMap<PatternClass, usize> = BTreeMap::new();
    for (i, s) in samples.iter().enumerate() {
        let n = next_in_class.entry(s.label).or_default();
        fold_of[i] = *n % folds;
        *n += 1;
    }
    let mut predicted = vec![PatternClass::A; samples.len()];
    let results: Vec<Vec<(usize, PatternClass)>> = (0..folds)
        .into_par_iter()
        .map(|fold| {
            let train = training_set(
                samples
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| fold_of[*i] != fold)
                    .map(|(_, s)| s),
            );
            let model = Model::train(&train, train_options);
            samples
                .iter()
                .enumerate()
                .filter(|(i, _)| fold_of[*i] == fold)
                .map(|(i, s)| {
                    let p = model.predict(&s.features);
                    let best = (0..p.len())
                        .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                        .unwrap_or(0);
                    (i, PatternClass::ALL[best])
                })
                .collect()
        })
        .collect();
    for (i, class) in results.into_iter().flatten() {
        predicted[i] = class;
    }
    predicted
}

fn report(title: &str, truth: &[PatternClass], predicted: &[PatternClass]) {
    let mut matrix = [[0usize; 5]; 5];
    for (t, p) in truth.iter().zip(predicted) {
        matrix[t.index()][p.index()] += 1;
    }
    let correct: usize = (0..5).map(|k| matrix[k][k]).sum();
    println!("## {title}\n");
    println!(
        "overall accuracy: {:.1} % ({correct}/{})",
        100.0 * correct as f64 / truth.len() as f64,
        truth.len()
    );
    let recalls: Vec<f64> = (0..5)
        .map(|k| {
            let n: usize = matrix[k].iter().sum();
            if n == 0 {
                0.0
            } else {
                matrix[k][k] as f64 / n as f64
            }
        })
        .collect();
    println!(
        "mean per-class recall: {:.1} %\n",
        100.0 * recalls.iter().sum::<f64>() / 5.0
    );
    println!("| truth \\ predicted | A | T | L | R | W | recall |");
    println!("|---|---|---|---|---|---|---|");
    for (k, class) in PatternClass::ALL.iter().enumerate() {
        let row: Vec<String> = matrix[k].iter().map(|v| v.to_string()).collect();
        println!(
            "| {class:?} | {} | {:.1} % |",
            row.join(" | "),
            100.0 * recalls[k]
        );
    }
    println!();
}
