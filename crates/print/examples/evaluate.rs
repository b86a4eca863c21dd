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
//! Experiments: `--cache FILE` keeps each print's block tensors and
//! foreground on disk (written on the first run, read after: everything
//! after them, singular points and features, is recomputed by the same
//! [`vantay_print::pattern::evidence`] the engine runs); `--grids SPEC` (see
//! [`parse_grids`]), `--[no-]multiscale`, `--[no-]flow` choose the features;
//! `--learner svm|svm-p|mlp|both` the learner (`svm`, the shipped one: the
//! majority of the one-versus-one machines; `svm-p`: their largest coupled
//! probability; `mlp`: the network; `both`: the mean of the two's
//! probabilities), `--svm-c X`, `--svm-power X`, `--svm-slope X` the
//! machines, `--l2 A,B`, `--hidden N`, `--iterations N`, `--seeds N` (mean of N
//! networks per fold) the network; `--splits N` repeats the whole
//! cross-validation over N different stratified fold splits (split 0 is the
//! classic one: each class dealt out in file order) and reports the mean and
//! spread, so that the noise of the folds and of the network's start is seen;
//! `--card-folds` deals whole ten-print cards into the folds instead of
//! single prints (the card read from `HISTORY`'s scan name), for studies that
//! read a print with its card-mates' answers (`train/card_prior.py`);
//! `--dump FILE` writes every print's features as CSV; `--symmetry` adds the
//! symmetry-filter responses ([`vantay_print::symmetry`]); `--placed` reads
//! the features at the singular points placed on the unsmoothed field
//! ([`vantay_print::pattern::place`]) instead of where they were found;
//! `--counts` adds the ridge count between the first core and its nearest
//! delta ([`vantay_print::pattern::COUNT_FEATURES`]);
//! `--train-without-cross-referenced` trains on none of the prints SD14's
//! examiner also filed under another class (still scoring them); `--mask-from
//! CACHE` takes each print's foreground from another cache (the prints of
//! `--png-dir` enhanced by `benches/fft_enhance.py`, segmented as the
//! originals were). Beside accuracy it
//! prints how often the answer is right at each level of stated confidence.
//!
//! The field network ([`vantay_print::field_net`]) is trained outside, by
//! `train/field_cnn.py`, on what `--dump-field PREFIX` writes: every
//! print's planes on the block grid (see `FIELD_CHANNELS`) and its fold in
//! each of the `--splits` splits; the patch network on what `--dump-patch
//! PREFIX` writes in the same layout: the grey patch round each print's
//! core (`grey_patch`; measured, not shipped). The trainer's out-of-fold answers, read back by `--network-oof
//! FILE`, are then mixed with the machines' probabilities of the same folds
//! (`--network-weight W`, the network's share; 1 = the network alone;
//! `--sharpness X` the power that calibrates their confidence), so
//! the shipped combination is measured on exactly the folds above. Without
//! `--network-oof` the machines are measured alone, as before.
//! `--write-machines-oof FILE` writes the machines' own out-of-fold
//! probabilities in the same layout, for studies of the mix outside the
//! engine (`train/mix_study.py`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use vantay_print::classify::FeatureSet;
use vantay_print::classify::{self, Anchor, GridLayout, GridShape, PatternClass};
use vantay_print::examiner;
use vantay_print::grid::Grid;
use vantay_print::model::{self, Classifier, Model, TrainOptions};
use vantay_print::normalize::{self, BlockStats};
use vantay_print::orientation::{self, BlockTensors, OrientationField};
use vantay_print::params::Params;
use vantay_print::pattern;
use vantay_print::svm::{Svm, SvmOptions};
use vantay_print::{overlay, Extractor};

struct Options {
    data: PathBuf,
    png_dir: Option<PathBuf>,
    folds: Folds,
    write_model: bool,
    overlay: Option<PathBuf>,
    l2: Vec<f32>,
    cache: Option<PathBuf>,
    grids: Vec<GridLayout>,
    hidden: usize,
    iterations: usize,
    seeds: usize,
    class_weight_power: f32,
    splits: usize,
    dump: Option<PathBuf>,
    mask_share: Option<f32>,
    mask_coherence: Option<f32>,
    multiscale: bool,
    flow: bool,
    mirror: bool,
    tta: bool,
    fine_flow: bool,
    symmetry: bool,
    placed: bool,
    counts: bool,
    /// Leave out of training the prints SD14's examiner also filed under
    /// another class (they are still scored).
    train_without_cross_referenced: bool,
    dump_field: Option<PathBuf>,
    /// Where to write the grey patch round each print's core (`--dump-patch`).
    dump_patch: Option<PathBuf>,
    /// Pixels a cell of that patch covers across and down.
    patch_step: usize,
    network_oof: Option<PathBuf>,
    mix: model::Mix,
    mask_from: Option<PathBuf>,
    learner: Learner,
    svm: SvmOptions,
    svm_slope: Option<f32>,
    time_classifiers: bool,
    /// Where to write the machines' out-of-fold probabilities (CSV in the
    /// layout of `--network-oof`), for mixing studies outside the engine.
    write_machines_oof: Option<PathBuf>,
}

/// Which learner scores the folds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Learner {
    /// The network (mean of `--seeds` networks).
    Mlp,
    /// The support-vector machines, majority of the duels.
    SvmVote,
    /// The support-vector machines, largest coupled probability.
    SvmProbability,
    /// Mean of the network's and the machines' probabilities.
    Both,
}

fn parse_options() -> Options {
    let mut options = Options {
        data: PathBuf::from("../shared/data/sd14-dev"),
        png_dir: None,
        folds: Folds {
            count: 10,
            by_card: false,
        },
        write_model: false,
        overlay: None,
        l2: vec![TrainOptions::default().l2],
        cache: None,
        grids: classify::SHIPPED_GRIDS.to_vec(),
        hidden: TrainOptions::default().hidden,
        iterations: TrainOptions::default().iterations,
        seeds: 1,
        class_weight_power: TrainOptions::default().class_weight_power,
        splits: 1,
        dump: None,
        mask_share: None,
        mask_coherence: None,
        multiscale: classify::SHIPPED_MULTISCALE,
        flow: classify::SHIPPED_FLOW,
        mirror: false,
        tta: false,
        fine_flow: classify::SHIPPED_FINE_FLOW,
        symmetry: classify::SHIPPED_SYMMETRY,
        placed: false,
        counts: false,
        train_without_cross_referenced: false,
        dump_field: None,
        dump_patch: None,
        patch_step: 2,
        network_oof: None,
        mix: model::Mix::SHIPPED,
        mask_from: None,
        learner: Learner::SvmVote,
        svm: SvmOptions::default(),
        svm_slope: None,
        write_machines_oof: None,
        time_classifiers: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => options.data = args.next().expect("--data DIR").into(),
            "--png-dir" => options.png_dir = Some(args.next().expect("--png-dir DIR").into()),
            "--folds" => {
                options.folds.count = args.next().expect("--folds N").parse().expect("a number")
            }
            "--card-folds" => options.folds.by_card = true,
            "--l2" => {
                options.l2 = args
                    .next()
                    .expect("--l2 A,B")
                    .split(',')
                    .map(|v| v.parse().expect("a number"))
                    .collect()
            }
            "--write-model" => options.write_model = true,
            "--multiscale" => options.multiscale = true,
            "--no-multiscale" => options.multiscale = false,
            "--flow" => options.flow = true,
            "--no-flow" => options.flow = false,
            "--mirror" => options.mirror = true,
            "--fine-flow" => options.fine_flow = true,
            "--no-fine-flow" => options.fine_flow = false,
            "--mask-from" => {
                options.mask_from = Some(args.next().expect("--mask-from FILE").into())
            }
            "--symmetry" => options.symmetry = true,
            "--placed" => options.placed = true,
            "--counts" => options.counts = true,
            "--train-without-cross-referenced" => options.train_without_cross_referenced = true,
            "--network-oof" => {
                options.network_oof = Some(args.next().expect("--network-oof FILE").into())
            }
            "--write-machines-oof" => {
                options.write_machines_oof =
                    Some(args.next().expect("--write-machines-oof FILE").into())
            }
            "--network-weight" => {
                options.mix.network_weight = args
                    .next()
                    .expect("--network-weight W")
                    .parse()
                    .expect("a number")
            }
            "--sharpness" => {
                options.mix.sharpness = args
                    .next()
                    .expect("--sharpness X")
                    .parse()
                    .expect("a number")
            }
            "--dump-field" => {
                options.dump_field = Some(args.next().expect("--dump-field PREFIX").into())
            }
            "--dump-patch" => {
                options.dump_patch = Some(args.next().expect("--dump-patch PREFIX").into())
            }
            "--patch-step" => {
                options.patch_step = args
                    .next()
                    .expect("--patch-step N")
                    .parse()
                    .expect("a number")
            }
            "--no-symmetry" => options.symmetry = false,
            "--tta" => options.tta = true,
            "--time-classifiers" => options.time_classifiers = true,
            "--learner" => {
                options.learner = match args.next().expect("--learner NAME").as_str() {
                    "mlp" => Learner::Mlp,
                    "svm" => Learner::SvmVote,
                    "svm-p" => Learner::SvmProbability,
                    "both" => Learner::Both,
                    other => panic!("learner {other}: mlp, svm, svm-p or both"),
                }
            }
            "--svm-c" => options.svm.c = args.next().expect("--svm-c X").parse().expect("a number"),
            "--svm-power" => {
                options.svm.class_weight_power = args
                    .next()
                    .expect("--svm-power X")
                    .parse()
                    .expect("a number")
            }
            "--svm-slope" => {
                options.svm_slope = Some(
                    args.next()
                        .expect("--svm-slope X")
                        .parse()
                        .expect("a number"),
                )
            }
            "--mask-share" => {
                options.mask_share = Some(
                    args.next()
                        .expect("--mask-share X")
                        .parse()
                        .expect("a number"),
                )
            }
            "--mask-coherence" => {
                options.mask_coherence = Some(
                    args.next()
                        .expect("--mask-coherence X")
                        .parse()
                        .expect("a number"),
                )
            }
            "--class-weight-power" => {
                options.class_weight_power = args
                    .next()
                    .expect("--class-weight-power X")
                    .parse()
                    .expect("a number")
            }
            "--dump" => options.dump = Some(args.next().expect("--dump FILE").into()),
            "--splits" => {
                options.splits = args.next().expect("--splits N").parse().expect("a number")
            }
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
    assert!(
        options.write_machines_oof.is_none() || options.learner != Learner::Mlp,
        "--write-machines-oof needs the machines: --learner svm, svm-p or both"
    );
    options
}

/// Grids as `c4x10` (core anchor, 4-block cells, 10 × 10), `m…` for the
/// foreground centroid, `p…`/`q…` polar rings (width x rings) on the core/centroid, a trailing `w` for coherence weighting; comma-separated; `none` for no grid.
fn parse_grids(spec: &str) -> Vec<GridLayout> {
    if spec == "none" {
        return Vec::new();
    }
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

/// One labelled print: what the engine computed before the class evidence.
struct Sample {
    file: String,
    label: PatternClass,
    /// The decoded print (not cached: decoding is quick).
    image: image::GrayImage,
    tensors: BlockTensors,
    mask: Grid<u8>,
    by_rules: PatternClass,
    features: Vec<f32>,
    /// Features of the print seen in a mirror (empty unless asked for).
    mirrored: Vec<f32>,
    /// The planes of `FIELD_CHANNELS`, for `--dump-field`.
    field: Vec<f32>,
    /// The grey patch round the core, for `--dump-patch`.
    patch: Vec<f32>,
    /// The other classes SD14's examiner also filed this print under
    /// (`HISTORY`'s cross-references, [`also_filed_under`]).
    also_filed: Vec<PatternClass>,
    /// The ten-print card the print was taken from (its scan name in
    /// `HISTORY`; the file's own name where there is none), for
    /// `--card-folds`.
    card: String,
}

/// Channels `--dump-field` writes per block, in this order: the ridge-direction
/// field (cos 2θ, sin 2θ, coherence), the foreground, the unsmoothed block
/// tensor over its energy (cos 2θ · coherence, sin 2θ · coherence of the
/// block alone), the singular points' smoother field (cos 2θ, sin 2θ,
/// coherence), the log of the gradient energy, the mean grey (0–1), and
/// the unsmoothed vector of each of the block's four 4-pixel quarters
/// (top left, top right, bottom left, bottom right; cos, then sin each).
const FIELD_CHANNELS: usize = 19;

fn field_channels(
    fields: &[OrientationField],
    tensors: &BlockTensors,
    mask: &Grid<u8>,
    image: &image::GrayImage,
) -> Vec<f32> {
    let (fine, coarse) = (&fields[0], &fields[1]);
    let (cols, cells) = (mask.cols, mask.data.len());
    // Component `k` of the unsmoothed vector of every block of `t`, on a
    // grid `scale` times as fine as the mask's, offset by (`dx`, `dy`)
    // within each cell (zero past its edge).
    let unsmoothed = |t: &BlockTensors, scale: usize, dx: usize, dy: usize, k: usize| {
        (0..cells)
            .map(|i| {
                let (c, r) = (scale * (i % cols) + dx, scale * (i / cols) + dy);
                if c < t.energy.cols && r < t.energy.rows {
                    t.unsmoothed(c, r)[k]
                } else {
                    0.0
                }
            })
            .collect::<Vec<f32>>()
    };
    // Grey as the network reads it: the block means of normalisation.
    let mut stats = BlockStats::default();
    normalize::compute(image, tensors.block, &mut stats);
    let grey = (0..cells)
        .map(|i| stats.mean.get(i % cols, i / cols) / 255.0)
        .collect();
    // The same tensors on blocks half the side, each block's quarters
    // stacked as channels of its cell.
    let mut quarters = BlockTensors::default();
    orientation::block_tensors(image, tensors.block / 2, &mut quarters);
    let quarter = |dx, dy, k| unsmoothed(&quarters, 2, dx, dy, k);
    let channels: [Vec<f32>; FIELD_CHANNELS] = [
        fine.cos2.data.clone(),
        fine.sin2.data.clone(),
        fine.coherence.data.clone(),
        mask.data.iter().map(|&m| f32::from(m)).collect(),
        unsmoothed(tensors, 1, 0, 0, 0),
        unsmoothed(tensors, 1, 0, 0, 1),
        coarse.cos2.data.clone(),
        coarse.sin2.data.clone(),
        coarse.coherence.data.clone(),
        tensors.energy.data.iter().map(|e| e.ln_1p()).collect(),
        grey,
        quarter(0, 0, 0),
        quarter(0, 0, 1),
        quarter(1, 0, 0),
        quarter(1, 0, 1),
        quarter(0, 1, 0),
        quarter(0, 1, 1),
        quarter(1, 1, 0),
        quarter(1, 1, 1),
    ];
    channels.concat()
}

/// Cells across and down the `--dump-patch` patch.
const PATCH_CELLS: usize = 128;

/// The grey image round the top core (the foreground's centre without
/// one), `PATCH_CELLS` a side, cells in row order: each the mean of its
/// `side` × `side` pixels (`--patch-step`, 2 by default: at 500 ppi a
/// ridge period is still four to five cells), centred on and scaled by the
/// grey mean and spread of its neighbourhood (the 8-pixel block statistics
/// blurred over their neighbours, read between block centres), clipped to
/// ±3, zero off the foreground and off the image. Whether a print is a
/// loop or a tented arch can turn on whether one ridge between core and
/// delta recurves, which the block field cannot show and this can (tenth
/// round of docs/benchmarks/print.md: measured, no gain in the mix).
fn grey_patch(
    image: &image::GrayImage,
    block: usize,
    mask: &Grid<u8>,
    points: &vantay_print::singular::SingularPoints,
    side: usize,
) -> Vec<f32> {
    let mut stats = BlockStats::default();
    normalize::compute(image, block, &mut stats);
    let (mut tmp, mut mean, mut spread) = (Grid::default(), Grid::default(), Grid::default());
    vantay_print::grid::box_blur(&stats.mean, 1, &mut tmp, &mut mean);
    vantay_print::grid::box_blur(&stats.std_dev, 1, &mut tmp, &mut spread);
    let (cx, cy) = match points.cores.first() {
        Some(core) => (core.x, core.y),
        None => {
            let (c, r) = classify::centroid(mask);
            ((c + 0.5) * block as f32, (r + 0.5) * block as f32)
        }
    };
    let half = (PATCH_CELLS * side / 2) as f32;
    let (x0, y0) = ((cx - half).round() as i64, (cy - half).round() as i64);
    let (width, height) = (i64::from(image.width()), i64::from(image.height()));
    let stride = side as i64;
    let mut patch = vec![0.0; PATCH_CELLS * PATCH_CELLS];
    for (i, value) in patch.iter_mut().enumerate() {
        let x = x0 + (i % PATCH_CELLS) as i64 * stride;
        let y = y0 + (i / PATCH_CELLS) as i64 * stride;
        if x < 0 || y < 0 || x + stride > width || y + stride > height {
            continue;
        }
        let (x, y) = (x as u32, y as u32);
        let (c, r) = (x as usize / block, y as usize / block);
        if c >= mask.cols || r >= mask.rows || mask.get(c, r) == 0 {
            continue;
        }
        let sum: u32 = (0..side as u32)
            .flat_map(|dy| (0..side as u32).map(move |dx| (x + dx, y + dy)))
            .map(|(px, py)| u32::from(image.get_pixel(px, py)[0]))
            .sum();
        let grey = sum as f32 / (side * side) as f32;
        // The cell's centre in block units; statistics sit at block centres.
        let at = |p: u32| (p as f32 + side as f32 / 2.0) / block as f32 - 0.5;
        let (bc, br) = (at(x), at(y));
        let sd = spread.sample(bc, br).max(4.0);
        *value = ((grey - mean.sample(bc, br)) / sd).clamp(-3.0, 3.0);
    }
    patch
}

/// Writes one plane set per print as raw little-endian f32 `[prints,
/// channels, rows, cols]` to `PREFIX.bin`, with an index `PREFIX.csv` (file,
/// class, cols, rows, channels, and its fold in each split) that
/// `train/field_cnn.py` reads.
fn write_planes(
    prefix: &Path,
    samples: &[Sample],
    folds: &[Vec<usize>],
    (channels, cols, rows): (usize, usize, usize),
    planes: impl Fn(&Sample) -> &[f32],
) {
    let mut bytes = Vec::new();
    let mut index = String::from("file,class,cols,rows,channels");
    for split in 0..folds.len() {
        index += &format!(",fold{split}");
    }
    index.push('\n');
    for (i, s) in samples.iter().enumerate() {
        let values = planes(s);
        assert_eq!(values.len(), channels * cols * rows, "{}", s.file);
        bytes.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        index += &format!("{},{:?},{cols},{rows},{channels}", s.file, s.label);
        for f in folds {
            index += &format!(",{}", f[i]);
        }
        index.push('\n');
    }
    std::fs::write(prefix.with_extension("bin"), bytes).expect("write planes");
    std::fs::write(prefix.with_extension("csv"), index).expect("write index");
}

fn main() {
    let options = parse_options();
    let labels = read_labels(&options.data.join("labels.csv"));
    let mut samples = match options.cache.as_deref().filter(|p| p.exists()) {
        Some(path) => {
            let mut samples = cache::read(path);
            samples
                .par_iter_mut()
                .for_each(|s| s.image = load(&options, &s.file));
            samples
        }
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
        s.also_filed = also_filed_under(&options.data.join(&s.file), s.label);
        s.card = card_of(&options.data.join(&s.file)).unwrap_or_else(|| s.file.clone());
    }
    if options.train_without_cross_referenced {
        let left_out = samples.iter().filter(|s| !s.trains(false)).count();
        eprintln!(
            "{left_out} prints the examiner also filed under another class: scored, not trained on"
        );
    }
    if let Some(path) = &options.mask_from {
        let other = cache::read(path);
        for (s, o) in samples.iter_mut().zip(&other) {
            assert_eq!(s.file, o.file);
            s.mask = o.mask.clone();
        }
    }
    let set = FeatureSet {
        grids: options.grids.clone(),
        multiscale: options.multiscale,
        flow: options.flow,
        fine_flow: options.fine_flow,
        symmetry: options.symmetry,
        placed: options.placed,
        counts: options.counts,
    };
    let mut params = Params::for_ppi(500);
    let remask = options.mask_share.is_some() || options.mask_coherence.is_some();
    params.mask_energy_share = options.mask_share.unwrap_or(params.mask_energy_share);
    params.mask_min_coherence = options.mask_coherence.unwrap_or(params.mask_min_coherence);
    samples
        .par_iter_mut()
        .for_each_init(pattern::Scratch::default, |scratch, s| {
            if remask {
                // Segmentation with other thresholds, from the same tensors.
                vantay_print::mask::compute(&s.tensors, &params, &mut s.mask);
            }
            let e = pattern::evidence(&s.image, &s.tensors, &s.mask, &params, &set, scratch);
            s.by_rules = classify::by_rules(&e.points);
            if options.dump_field.is_some() {
                s.field = field_channels(&scratch.fields, &s.tensors, &s.mask, &s.image);
            }
            if options.dump_patch.is_some() {
                s.patch = grey_patch(
                    &s.image,
                    s.tensors.block,
                    &s.mask,
                    &e.points,
                    options.patch_step,
                );
            }
            s.features = e.features;
            if options.mirror || options.tta {
                let (tensors, mask) = (s.tensors.mirrored(), s.mask.mirrored());
                let image = image::imageops::flip_horizontal(&s.image);
                s.mirrored =
                    pattern::evidence(&image, &tensors, &mask, &params, &set, scratch).features;
            }
        });
    eprintln!(
        "{} features per print (multiscale {}, flow {}, fine flow {})",
        samples[0].features.len(),
        set.multiscale,
        set.flow,
        set.fine_flow
    );
    let folds: Vec<Vec<usize>> = (0..options.splits as u64)
        .map(|split| fold_assignment(&samples, options.folds, split))
        .collect();
    if let Some(prefix) = &options.dump_field {
        let (cols, rows) = (samples[0].mask.cols, samples[0].mask.rows);
        let shape = (FIELD_CHANNELS, cols, rows);
        write_planes(prefix, &samples, &folds, shape, |s| &s.field);
    }
    if let Some(prefix) = &options.dump_patch {
        let shape = (1, PATCH_CELLS, PATCH_CELLS);
        write_planes(prefix, &samples, &folds, shape, |s| &s.patch);
    }
    if let Some(path) = &options.dump {
        // One line per print: file, class, features (for looking at them elsewhere).
        let text: String = samples
            .iter()
            .map(|s| {
                let f: Vec<String> = s.features.iter().map(|v| v.to_string()).collect();
                format!("{},{:?},{}\n", s.file, s.label, f.join(","))
            })
            .collect();
        std::fs::write(path, text).expect("write dump");
    }
    let truth: Vec<PatternClass> = samples.iter().map(|s| s.label).collect();
    let rules: Vec<PatternClass> = samples.iter().map(|s| s.by_rules).collect();
    report("rules on singular points (nothing learned)", &truth, &rules);
    let mut predicted = Vec::new();
    for &l2 in &options.l2 {
        let train_options = TrainOptions {
            l2,
            hidden: options.hidden,
            iterations: options.iterations,
            class_weight_power: options.class_weight_power,
            ..TrainOptions::default()
        };
        let mut scores = Vec::new();
        let mut scores_as_filed = Vec::new();
        let mut reliability = Vec::new();
        let mut all_truth = Vec::new();
        let mut all_predicted = Vec::new();
        let network = options
            .network_oof
            .as_deref()
            .map(|path| read_network_oof(path, &samples, options.splits));
        let mut machines_oof = Vec::new();
        for split in 0..options.splits {
            let mixed = network.as_ref().map(|n| (n[split].as_slice(), options.mix));
            let (p, machines) = cross_validate(
                &samples,
                options.folds,
                &train_options,
                options.seeds,
                split as u64,
                (
                    options.mirror,
                    options.tta,
                    !options.train_without_cross_referenced,
                ),
                (options.learner, &options.svm, options.svm_slope, mixed),
            );
            machines_oof.push(machines);
            reliability.extend(p.iter().zip(&truth).map(|(a, t)| (a.1, a.0 == *t)));
            let p: Vec<PatternClass> = p.into_iter().map(|a| a.0).collect();
            let (overall, recall) = scores_of(&truth, &p);
            // NIST's way with cross-referenced prints: an answer of any
            // class the examiner filed the print under is right.
            let as_filed: Vec<PatternClass> = samples
                .iter()
                .zip(&p)
                .map(|(s, &class)| {
                    if s.also_filed.contains(&class) {
                        s.label
                    } else {
                        class
                    }
                })
                .collect();
            let (overall_filed, recall_filed) = scores_of(&truth, &as_filed);
            println!(
                "split {split}: overall {:.1} %, mean recall {:.1} % (any class the examiner filed it under counted right: {:.1} %, {:.1} %)",
                100.0 * overall,
                100.0 * recall,
                100.0 * overall_filed,
                100.0 * recall_filed
            );
            scores.push((overall, recall));
            scores_as_filed.push((overall_filed, recall_filed));
            all_truth.extend_from_slice(&truth);
            all_predicted.extend_from_slice(&p);
            if split == 0 {
                predicted = p;
            }
        }
        if let Some(path) = &options.write_machines_oof {
            write_oof(path, &samples, &machines_oof);
        }
        let title = format!(
            "{:?} (network l2 {l2}), {}-fold cross-validation, {} split(s) pooled",
            options.learner, options.folds.count, options.splits
        );
        report(&title, &all_truth, &all_predicted);
        report_reliability(&reliability);
        let (mo, so) = mean_sd(scores.iter().map(|s| s.0));
        let (mr, sr) = mean_sd(scores.iter().map(|s| s.1));
        println!(
            "over {} splits: overall {:.1} ± {:.1} %, mean recall {:.1} ± {:.1} % (mean ± sd)\n",
            options.splits,
            100.0 * mo,
            100.0 * so,
            100.0 * mr,
            100.0 * sr
        );
        let (mo, _) = mean_sd(scores_as_filed.iter().map(|s| s.0));
        let (mr, _) = mean_sd(scores_as_filed.iter().map(|s| s.1));
        println!(
            "any class the examiner filed a print under counted right ({} prints filed under two classes): overall {:.1} %, mean recall {:.1} %\n",
            samples.iter().filter(|s| !s.also_filed.is_empty()).count(),
            100.0 * mo,
            100.0 * mr
        );
    }
    for (s, p) in samples.iter().zip(&predicted) {
        if *p != s.label {
            eprintln!("miss {} truth {:?} predicted {:?}", s.file, s.label, p);
        }
    }
    if options.time_classifiers {
        time_classifiers(&samples, &options.svm);
    }
    if options.write_model {
        assert_eq!(
            set,
            FeatureSet::shipped(),
            "--write-model needs the shipped feature set (classify::SHIPPED_*): the engine would read other features"
        );
        let all = training_set(samples.iter(), options.mirror);
        let model = match options.learner {
            Learner::SvmVote => Classifier::SupportVectors(Svm::train(&all, &options.svm)),
            Learner::Mlp => Classifier::Network(Model::train(&all, &TrainOptions::default())),
            other => panic!("--write-model writes one learner (svm or mlp), not {other:?}"),
        };
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/model.json");
        std::fs::write(
            &path,
            serde_json::to_string(&model).expect("model serialises"),
        )
        .expect("write model");
        eprintln!("wrote {}", path.display());
    }
}

fn mean_sd(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = values.collect();
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
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
    let (tensors, mask) = extractor.tensors_and_mask();
    Sample {
        file: file.to_string(),
        label,
        image,
        tensors: tensors.clone(),
        mask: mask.clone(),
        by_rules: analysis.class,
        features: Vec::new(),
        mirrored: Vec::new(),
        field: Vec::new(),
        patch: Vec::new(),
        also_filed: Vec::new(),
        card: String::new(),
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

/// The training pairs of `samples`, with each print's mirror image as a
/// second print (label mirrored) when it was computed.
/// CPU cost of the class decision alone, network against machines, both
/// trained on every print, timed over every print's features (one thread).
fn time_classifiers(samples: &[Sample], svm_options: &SvmOptions) {
    let all = training_set(samples.iter(), false);
    let candidates = [
        (
            "network",
            Classifier::Network(Model::train(&all, &TrainOptions::default())),
        ),
        (
            "machines",
            Classifier::SupportVectors(Svm::train(&all, svm_options)),
        ),
    ];
    for (name, classifier) in &candidates {
        let rounds = 20;
        let start = std::time::Instant::now();
        let mut checksum = 0.0f32;
        for _ in 0..rounds {
            for s in samples {
                checksum += classifier.decide(&s.features).1;
            }
        }
        let per_print = start.elapsed().as_secs_f64() / (rounds * samples.len()) as f64;
        println!(
            "class decision, {name}: {:.1} µs a print (checksum {checksum:.1})",
            per_print * 1e6
        );
    }
}

/// The classes other than its label that SD14's examiner also filed this
/// print under (`HISTORY`'s codes, [`vantay_print::examiner`]): `tt/01`
/// for a tented arch that might be a loop, say. A loop's side follows from
/// its ulnar or radial code and the finger, by the hand rule.
fn also_filed_under(file: &std::path::Path, label: PatternClass) -> Vec<PatternClass> {
    // A set read from PNG files alone (`--png-dir`, e.g. synthetic prints)
    // has no examiner's history.
    let Ok(bytes) = std::fs::read(file) else {
        return Vec::new();
    };
    let Some(history) = examiner::history(&bytes) else {
        return Vec::new();
    };
    let finger = examiner::finger(&history);
    examiner::codes(&history)
        .iter()
        .filter_map(|code| examiner::class_of(examiner::parse(code), finger))
        .filter(|&class| class != label)
        .collect()
}

/// The card a print was taken from: its scan name in `HISTORY` without
/// the finger's position (`tape205.n0407065.02` → `tape205.n0407065`).
fn card_of(file: &std::path::Path) -> Option<String> {
    let history = examiner::history(&std::fs::read(file).ok()?)?;
    examiner::card(&history).map(str::to_owned)
}

impl Sample {
    /// Whether the learners train on this print: all do, unless
    /// `--train-without-cross-referenced` leaves out those filed under two classes.
    fn trains(&self, train_all: bool) -> bool {
        train_all || self.also_filed.is_empty()
    }
}

fn training_set<'a>(
    samples: impl Iterator<Item = &'a Sample>,
    mirror: bool,
) -> Vec<(Vec<f32>, PatternClass)> {
    samples
        .flat_map(|s| {
            let mirror = mirror.then(|| (s.mirrored.clone(), s.label.mirrored()));
            std::iter::once((s.features.clone(), s.label)).chain(mirror)
        })
        .collect()
}

/// Stratified folds: the prints of each class dealt out in turn, so every
/// fold holds its share of the rare classes. Split 0 deals them in file
/// order; split k > 0 shuffles each class first (seeded by k) and starts
/// the networks from other random weights.
fn cross_validate(
    samples: &[Sample],
    folds: Folds,
    train_options: &TrainOptions,
    seeds: usize,
    split: u64,
    (mirror, tta, train_all): (bool, bool, bool),
    (learner, svm_options, svm_slope, network): (
        Learner,
        &SvmOptions,
        Option<f32>,
        Option<NetworkMix>,
    ),
) -> (Vec<(PatternClass, f32)>, Vec<[f32; 5]>) {
    let fold_of = fold_assignment(samples, folds, split);
    let mut predicted = vec![(PatternClass::A, 0.0); samples.len()];
    let mut machines = vec![[0.0; 5]; samples.len()];
    type Answer = (usize, (PatternClass, f32), [f32; 5]);
    let results: Vec<Vec<Answer>> = (0..folds.count)
        .into_par_iter()
        .map(|fold| {
            let train = training_set(
                samples
                    .iter()
                    .enumerate()
                    .filter(|(i, s)| fold_of[*i] != fold && s.trains(train_all))
                    .map(|(_, s)| s),
                mirror,
            );
            let wants_mlp = matches!(learner, Learner::Mlp | Learner::Both);
            let svm = (learner != Learner::Mlp).then(|| {
                let mut svm = Svm::train(&train, svm_options);
                if let Some(slope) = svm_slope {
                    svm.slope = slope;
                }
                svm
            });
            let models: Vec<Model> = (1..=seeds as u64)
                .filter(|_| wants_mlp)
                .map(|seed| {
                    let options = TrainOptions {
                        seed: seed + 1000 * split,
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
                        if tta {
                            // The mirror's left loop is this print's right loop.
                            let q = model.predict(&s.mirrored);
                            for class in PatternClass::ALL {
                                p[class.index()] += q[class.mirrored().index()];
                            }
                        }
                    }
                    let own = svm.as_ref().map(|svm| svm.predict(&s.features));
                    if let (Some(own), Some((net, mix))) = (own, network) {
                        let mixed = mix.apply(&own, &net[i]);
                        return (i, model::most_likely(&mixed), own);
                    }
                    if let (Some(svm), Some(q)) = (&svm, own) {
                        if learner == Learner::SvmVote {
                            return (i, svm.decide(&s.features), q);
                        }
                        let weight = models.len().max(1) as f32;
                        p.iter_mut().zip(q).for_each(|(a, b)| *a += weight * b);
                    }
                    let best = (0..p.len())
                        .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                        .unwrap_or(0);
                    let confidence = p[best] / p.iter().sum::<f32>().max(f32::MIN_POSITIVE);
                    (
                        i,
                        (PatternClass::ALL[best], confidence),
                        own.unwrap_or_default(),
                    )
                })
                .collect()
        })
        .collect();
    for (i, answer, own) in results.into_iter().flatten() {
        predicted[i] = answer;
        machines[i] = own;
    }
    (predicted, machines)
}

/// Out-of-fold probabilities, one row per sample and split, in the layout
/// `--network-oof` reads (`file,split,A,T,L,R,W`).
fn write_oof(path: &Path, samples: &[Sample], per_split: &[Vec<[f32; 5]>]) {
    let mut text = String::from("file,split,A,T,L,R,W\n");
    for (split, rows) in per_split.iter().enumerate() {
        for (sample, p) in samples.iter().zip(rows) {
            let cells: Vec<String> = p.iter().map(|v| format!("{v:.6}")).collect();
            text += &format!("{},{split},{}\n", sample.file, cells.join(","));
        }
    }
    std::fs::write(path, text).expect("write --write-machines-oof");
}

/// The field network's out-of-fold answers for one split (one per sample)
/// and how they are combined with the machines'.
type NetworkMix<'a> = (&'a [[f32; 5]], model::Mix);

/// The field network's out-of-fold probabilities (`train/field_cnn.py
/// --rust-splits`): per split, one row per sample in `samples` order.
fn read_network_oof(path: &Path, samples: &[Sample], splits: usize) -> Vec<Vec<[f32; 5]>> {
    let text = std::fs::read_to_string(path).expect("read --network-oof");
    let mut by_key = std::collections::HashMap::new();
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let split: usize = cells[1].parse().expect("split");
        let p: Vec<f32> = cells[2..7]
            .iter()
            .map(|v| v.parse().expect("probability"))
            .collect();
        by_key.insert(
            (cells[0].to_string(), split),
            [p[0], p[1], p[2], p[3], p[4]],
        );
    }
    (0..splits)
        .map(|split| {
            samples
                .iter()
                .map(|s| {
                    *by_key.get(&(s.file.clone(), split)).unwrap_or_else(|| {
                        panic!("no network answer for {} in split {split}", s.file)
                    })
                })
                .collect()
        })
        .collect()
}

/// How the prints are dealt into folds.
#[derive(Clone, Copy, Debug)]
struct Folds {
    count: usize,
    /// Keep each ten-print card in one fold (`--card-folds`), so that no
    /// learner is trained on a card-mate of a print it scores: needed
    /// wherever a print's class is read with its card-mates' answers.
    by_card: bool,
}

/// The fold of every print in split `split` (see [`cross_validate`]).
fn fold_assignment(samples: &[Sample], folds: Folds, split: u64) -> Vec<usize> {
    if folds.by_card {
        return card_fold_assignment(samples, folds.count, split);
    }
    let mut by_class: BTreeMap<PatternClass, Vec<usize>> = BTreeMap::new();
    for (i, s) in samples.iter().enumerate() {
        by_class.entry(s.label).or_default().push(i);
    }
    let mut fold_of = vec![0usize; samples.len()];
    let mut rng = split_rng(split);
    for members in by_class.values_mut() {
        if split > 0 {
            shuffle(members, &mut rng);
        }
        for (n, &i) in members.iter().enumerate() {
            fold_of[i] = n % folds.count;
        }
    }
    fold_of
}

/// Whole cards dealt into folds: shuffled (split k > 0), then ordered by
/// how many tented arches and arches they hold, so that the rare classes
/// are spread over the folds as far as whole cards allow.
fn card_fold_assignment(samples: &[Sample], folds: usize, split: u64) -> Vec<usize> {
    let mut cards: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in samples.iter().enumerate() {
        cards.entry(s.card.as_str()).or_default().push(i);
    }
    let mut order: Vec<&Vec<usize>> = cards.values().collect();
    if split > 0 {
        shuffle(&mut order, &mut split_rng(split));
    }
    let rare = |members: &Vec<usize>| {
        let count = |class| {
            members
                .iter()
                .filter(|&&i| samples[i].label == class)
                .count()
        };
        (count(PatternClass::T), count(PatternClass::A))
    };
    // A stable sort: cards as rare as each other keep the shuffled order.
    order.sort_by_key(|members| std::cmp::Reverse(rare(members)));
    let mut fold_of = vec![0usize; samples.len()];
    for (n, members) in order.iter().enumerate() {
        for &i in members.iter() {
            fold_of[i] = n % folds;
        }
    }
    fold_of
}

fn split_rng(split: u64) -> u64 {
    split.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03
}

/// Fisher–Yates with xorshift.
fn shuffle<T>(items: &mut [T], rng: &mut u64) {
    for k in (1..items.len()).rev() {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        items.swap(k, (*rng % (k as u64 + 1)) as usize);
    }
}

/// How often the answer is right at each level of the stated confidence
/// (a calibrated engine is right 80 % of the time it says 0.8).
fn report_reliability(answers: &[(f32, bool)]) {
    println!("| confidence | prints | right | mean confidence |\n|---|---|---|---|");
    let mut gap = 0.0;
    for (lo, hi) in [(0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)] {
        let bin: Vec<_> = answers.iter().filter(|a| a.0 >= lo && a.0 < hi).collect();
        if bin.is_empty() {
            continue;
        }
        let right = bin.iter().filter(|a| a.1).count() as f64 / bin.len() as f64;
        let mean = bin.iter().map(|a| f64::from(a.0)).sum::<f64>() / bin.len() as f64;
        gap += (right - mean).abs() * bin.len() as f64 / answers.len() as f64;
        println!(
            "| {lo:.1}–{:.1} | {} | {:.1} % | {:.2} |",
            hi.min(1.0),
            bin.len(),
            100.0 * right,
            mean
        );
    }
    println!("expected calibration error (prints-weighted |right − confidence|): {gap:.3}\n");
}

/// Rows truth, columns predicted, in [`PatternClass::ALL`] order.
type Confusion = [[usize; 5]; 5];

fn confusion(truth: &[PatternClass], predicted: &[PatternClass]) -> Confusion {
    let mut matrix = [[0usize; 5]; 5];
    for (t, p) in truth.iter().zip(predicted) {
        matrix[t.index()][p.index()] += 1;
    }
    matrix
}

/// Each class's recall (0 for a class with no print).
fn recalls(matrix: &Confusion) -> [f64; 5] {
    std::array::from_fn(|k| {
        let n: usize = matrix[k].iter().sum();
        if n == 0 {
            0.0
        } else {
            matrix[k][k] as f64 / n as f64
        }
    })
}

/// Overall accuracy and mean per-class recall.
fn scores_of(truth: &[PatternClass], predicted: &[PatternClass]) -> (f64, f64) {
    let matrix = confusion(truth, predicted);
    let correct: usize = (0..5).map(|k| matrix[k][k]).sum();
    let recall = recalls(&matrix).iter().sum::<f64>() / 5.0;
    (correct as f64 / truth.len().max(1) as f64, recall)
}

fn report(title: &str, truth: &[PatternClass], predicted: &[PatternClass]) {
    let matrix = confusion(truth, predicted);
    let correct: usize = (0..5).map(|k| matrix[k][k]).sum();
    println!("## {title}\n");
    println!(
        "overall accuracy: {:.1} % ({correct}/{})",
        100.0 * correct as f64 / truth.len() as f64,
        truth.len()
    );
    let recalls = recalls(&matrix);
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

/// Block tensors and foregrounds on disk, so that feature and learner
/// experiments need not decode and analyse the 899 prints again.
/// Little-endian, no versioning: a cache is thrown away with the build
/// that wrote it.
mod cache {
    use super::*;
    use std::io::{Read, Write};

    pub fn write(path: &Path, samples: &[Sample]) {
        let mut out = Vec::new();
        put(&mut out, samples.len() as u32);
        for s in samples {
            put(&mut out, s.file.len() as u32);
            out.extend(s.file.as_bytes());
            out.push(s.label.index() as u8);
            put(&mut out, s.tensors.block as u32);
            put(&mut out, s.mask.cols as u32);
            put(&mut out, s.mask.rows as u32);
            floats(&mut out, &s.tensors.vx.data);
            floats(&mut out, &s.tensors.vy.data);
            floats(&mut out, &s.tensors.energy.data);
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
        *at += 1;
        let block = take(bytes, at) as usize;
        let cols = take(bytes, at) as usize;
        let rows = take(bytes, at) as usize;
        let grid = |data: Vec<f32>| Grid { cols, rows, data };
        let tensors = BlockTensors {
            block,
            vx: grid(take_floats(bytes, at, cols * rows)),
            vy: grid(take_floats(bytes, at, cols * rows)),
            energy: grid(take_floats(bytes, at, cols * rows)),
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
            image: image::GrayImage::default(),
            tensors,
            mask,
            by_rules: PatternClass::A,
            features: Vec::new(),
            mirrored: Vec::new(),
            field: Vec::new(),
            patch: Vec::new(),
            also_filed: Vec::new(),
            card: String::new(),
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
