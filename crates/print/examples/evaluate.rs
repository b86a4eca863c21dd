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
//! Experiments: `--cache FILE` keeps the analysed prints on disk (written on
//! the first run, read after); `--grids SPEC` (see [`parse_grids`]),
//! `--l2 A,B`, `--hidden N`, `--iterations N`, `--seeds N` (mean of N
//! networks per fold) vary the features and the learner; `--fine` reads the
//! class features from the ridge-direction field (use its own cache file).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use vantay_print::classify::{self, Anchor, GridLayout, GridShape, PatternClass};
use vantay_print::grid::Grid;
use vantay_print::model::{Model, TrainOptions};
use vantay_print::orientation::OrientationField;
use vantay_print::singular::SingularPoints;
use vantay_print::{overlay, Extractor};

struct Options {
    data: PathBuf,
    png_dir: Option<PathBuf>,
    folds: usize,
    write_model: bool,
    overlay: Option<PathBuf>,
    l2: Vec<f32>,
    cache: Option<PathBuf>,
    grids: Vec<GridLayout>,
    hidden: usize,
    iterations: usize,
    seeds: usize,
    fine: bool,
}

fn parse_options() -> Options {
    let mut options = Options {
        data: PathBuf::from("../shared/data/sd14-dev"),
        png_dir: None,
        folds: 10,
        write_model: false,
        overlay: None,
        l2: vec![TrainOptions::default().l2],
        cache: None,
        grids: classify::SHIPPED_GRIDS.to_vec(),
        hidden: TrainOptions::default().hidden,
        iterations: TrainOptions::default().iterations,
        seeds: 1,
        fine: false,
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
            "--fine" => options.fine = true,
            "--cache" => options.cache = Some(args.next().expect("--cache FILE").into()),
            "--grids" => options.grids = parse_grids(&args.next().expect("--grids SPEC")),
            "--hidden" => {
                options.hidden = args.next().expect("--hidden N").parse().expect("a number")
            }
            "--iterations" => {
                options.iterations = args
                    .next()
                    .expect("--iterations N")
                    .parse()
                    .expect("a number")
            }
            "--seeds" => options.seeds = args.next().expect("--seeds N").parse().expect("a number"),
            "--overlay" => options.overlay = Some(args.next().expect("--overlay DIR").into()),
            other => panic!("unknown argument {other}"),
        }
    }
    options
}

/// Grids as `c4x10` (core anchor, 4-block cells, 10 × 10), `m…` for the
/// foreground centroid, `p…`/`q…` polar rings (width x rings) on the core/centroid, a trailing `w` for coherence weighting; comma-separated.
fn parse_grids(spec: &str) -> Vec<GridLayout> {
    spec.split(',')
        .map(|g| {
            let (shape, anchor) = match &g[..1] {
                "c" => (GridShape::Square, Anchor::Core),
                "m" => (GridShape::Square, Anchor::Centroid),
                "p" => (GridShape::Polar, Anchor::Core),
                "q" => (GridShape::Polar, Anchor::Centroid),
                other => panic!("grid anchor {other}: c, m, p or q"),
            };
            let coherence_weighted = g.ends_with('w');
            let body = g[1..].trim_end_matches('w');
            let (cell, cells) = body.split_once('x').expect("CELLxCELLS");
            GridLayout {
                shape,
                cell: cell.parse().expect("cell"),
                cells: cells.parse().expect("cells"),
                anchor,
                coherence_weighted,
            }
        })
        .collect()
}

/// One labelled print after analysis: what the class features are read from.
struct Sample {
    file: String,
    label: PatternClass,
    by_rules: PatternClass,
    points: SingularPoints,
    field: OrientationField,
    mask: Grid<u8>,
    features: Vec<f32>,
}

fn main() {
    let options = parse_options();
    let labels = read_labels(&options.data.join("labels.csv"));
    let mut samples = match options.cache.as_deref().filter(|p| p.exists()) {
        Some(path) => cache::read(path),
        None => {
            eprintln!("analysing {} prints…", labels.len());
            let samples: Vec<Sample> = labels
                .par_iter()
                .map_init(
                    || Extractor::with_model(None),
                    |extractor, (file, label)| analyse(extractor, &options, file, *label),
                )
                .collect();
            if let Some(path) = &options.cache {
                cache::write(path, &samples);
            }
            samples
        }
    };
    for s in samples.iter_mut() {
        s.features = classify::features_with(&s.points, &s.field, &s.mask, &options.grids);
    }
    eprintln!("{} features per print", samples[0].features.len());
    let truth: Vec<PatternClass> = samples.iter().map(|s| s.label).collect();
    let rules: Vec<PatternClass> = samples.iter().map(|s| s.by_rules).collect();
    report("rules on singular points (nothing learned)", &truth, &rules);
    let mut predicted = Vec::new();
    for &l2 in &options.l2 {
        let train_options = TrainOptions {
            l2,
            hidden: options.hidden,
            iterations: options.iterations,
            ..TrainOptions::default()
        };
        predicted = cross_validate(&samples, options.folds, &train_options, options.seeds);
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
    let details = analysis.details;
    Sample {
        file: file.to_string(),
        label,
        by_rules: classify::by_rules(&points),
        points: details.singular,
        // The class features are read from the strongly smoothed field;
        // `--fine` reads them from the ridge-direction field instead.
        field: if options.fine {
            details.orientation
        } else {
            details.singular_field
        },
        mask: details.mask,
        features: Vec::new(),
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
    seeds: usize,
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
            let models: Vec<Model> = (1..=seeds as u64)
                .map(|seed| {
                    let options = TrainOptions {
                        seed,
                        ..train_options.clone()
                    };
                    Model::train(&train, &options)
                })
                .collect();
            samples
                .iter()
                .enumerate()
                .filter(|(i, _)| fold_of[*i] == fold)
                .map(|(i, s)| {
                    let mut p = [0.0f32; 5];
                    for model in &models {
                        let q = model.predict(&s.features);
                        p.iter_mut().zip(q).for_each(|(a, b)| *a += b);
                    }
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

/// Analysed prints on disk, so that feature and learner experiments need
/// not analyse the 899 prints again. Little-endian, no versioning: a cache
/// is thrown away with the build that wrote it.
mod cache {
    use super::*;
    use std::io::{Read, Write};
    use vantay_print::singular::{Core, Delta};

    pub fn write(path: &Path, samples: &[Sample]) {
        let mut out = Vec::new();
        put(&mut out, samples.len() as u32);
        for s in samples {
            put(&mut out, s.file.len() as u32);
            out.extend(s.file.as_bytes());
            out.push(s.label.index() as u8);
            out.push(s.by_rules.index() as u8);
            put(&mut out, s.points.whorl_centres as u32);
            put(&mut out, s.points.cores.len() as u32);
            for c in &s.points.cores {
                floats(&mut out, &[c.x, c.y, c.angle_deg]);
            }
            put(&mut out, s.points.deltas.len() as u32);
            for d in &s.points.deltas {
                floats(&mut out, &[d.x, d.y]);
            }
            put(&mut out, s.field.block as u32);
            put(&mut out, s.mask.cols as u32);
            put(&mut out, s.mask.rows as u32);
            floats(&mut out, &s.field.cos2.data);
            floats(&mut out, &s.field.sin2.data);
            floats(&mut out, &s.field.coherence.data);
            out.extend(&s.mask.data);
        }
        std::fs::File::create(path)
            .and_then(|mut f| f.write_all(&out))
            .expect("write cache");
        eprintln!("cached {} prints in {}", samples.len(), path.display());
    }

    pub fn read(path: &Path) -> Vec<Sample> {
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .expect("read cache");
        let mut at = 0usize;
        let n = take(&bytes, &mut at);
        (0..n).map(|_| sample(&bytes, &mut at)).collect()
    }

    fn sample(bytes: &[u8], at: &mut usize) -> Sample {
        let len = take(bytes, at) as usize;
        let file = String::from_utf8(bytes[*at..*at + len].to_vec()).expect("name");
        *at += len;
        let label = PatternClass::ALL[bytes[*at] as usize];
        let by_rules = PatternClass::ALL[bytes[*at + 1] as usize];
        *at += 2;
        let whorl_centres = take(bytes, at) as usize;
        let cores = (0..take(bytes, at))
            .map(|_| {
                let v = take_floats(bytes, at, 3);
                Core {
                    x: v[0],
                    y: v[1],
                    angle_deg: v[2],
                }
            })
            .collect();
        let deltas = (0..take(bytes, at))
            .map(|_| {
                let v = take_floats(bytes, at, 2);
                Delta { x: v[0], y: v[1] }
            })
            .collect();
        let block = take(bytes, at) as usize;
        let cols = take(bytes, at) as usize;
        let rows = take(bytes, at) as usize;
        let grid = |data: Vec<f32>| Grid { cols, rows, data };
        let field = OrientationField {
            block,
            cos2: grid(take_floats(bytes, at, cols * rows)),
            sin2: grid(take_floats(bytes, at, cols * rows)),
            coherence: grid(take_floats(bytes, at, cols * rows)),
        };
        let mask = Grid {
            cols,
            rows,
            data: bytes[*at..*at + cols * rows].to_vec(),
        };
        *at += cols * rows;
        Sample {
            file,
            label,
            by_rules,
            points: SingularPoints {
                cores,
                deltas,
                whorl_centres,
            },
            field,
            mask,
            features: Vec::new(),
        }
    }

    fn put(out: &mut Vec<u8>, v: u32) {
        out.extend(v.to_le_bytes());
    }

    fn floats(out: &mut Vec<u8>, v: &[f32]) {
        v.iter().for_each(|x| out.extend(x.to_le_bytes()));
    }

    fn take(bytes: &[u8], at: &mut usize) -> u32 {
        let v = u32::from_le_bytes(bytes[*at..*at + 4].try_into().expect("4 bytes"));
        *at += 4;
        v
    }

    fn take_floats(bytes: &[u8], at: &mut usize, n: usize) -> Vec<f32> {
        let v = bytes[*at..*at + 4 * n]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        *at += 4 * n;
        v
    }
}
