//! Pattern class and subtype.
//!
//! The class comes from a trained classifier (see [`crate::model`]) over
//! three kinds of evidence: the singular points (how many cores and deltas,
//! and where the deltas lie from the core), a coarse grid of the orientation
//! field registered on the core, and how traced pseudo-ridges turn
//! ([`crate::flow`]). Its probabilities are mixed with those of a
//! convolutional network that reads the orientation field itself
//! ([`crate::field_net`]), which carries most of the decision
//! ([`crate::model::Mix`]). Where the finger is known, its weights (and
//! its card's) are applied to the network's own probabilities instead,
//! which they mend better ([`crate::model::Mix::for_priors`]). Where no
//! model is given, the textbook rules
//! on singular points alone decide (arch: none; loop: one core, one delta
//! to its side; whorl: two deltas or two cores; tented arch: a delta under
//! its core). The subtype is read by Henry's rules from the singular
//! points and the pseudo-ridges through them.

use std::f32::consts::PI;

use serde::{Deserialize, Serialize};

use crate::flow;
use crate::grid::Grid;
use crate::model::{most_likely, Classifier, Mix};
use crate::orientation::OrientationField;
use crate::ridge_count::{deltas_below_a_core, whorls_deltas};
use crate::singular::{Core, SingularPoints};

pub use vantay_domain::{PatternClass, Subtype, SubtypeError};

/// The classifier's answer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// Pattern class.
    pub class: PatternClass,
    /// Subtype.
    pub subtype: Subtype,
    /// Probability of the class, 0–1.
    pub confidence: f32,
    /// Every class's probability from the print alone, as what is known
    /// beyond it (its finger, [`crate::finger_prior`]; its card,
    /// [`crate::card_prior`]) weighs them, in [`PatternClass::ALL`] order:
    /// the field network's own, sharpened ([`Mix::for_priors`]), where it
    /// read the print, else the machines'; `None` without a model. The
    /// class of a print whose finger is not known comes from the mix
    /// instead, which is better there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<[f32; 5]>,
}

/// Side of a cell of the shipped orientation grid, in blocks.
pub const GRID_CELL: usize = 4;
/// Cells across and down the shipped orientation grid around the core.
pub const GRID_CELLS: usize = 10;
/// Number of singular-point features.
pub const POINT_FEATURES: usize = 14;

/// Where an orientation grid is centred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// The top core; the foreground's centroid when there is none.
    Core,
    /// The foreground's centroid, whatever the singular points (robust to a
    /// misplaced core).
    Centroid,
}

/// The shape of an orientation grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GridShape {
    /// Square cells in image axes: the doubled-angle vector as it is.
    Square,
    /// Rings around the anchor, cut in [`SECTORS`] sectors, with the
    /// doubled angle measured from the direction across the radius: a ridge
    /// circling the anchor reads (1, 0) in every sector. A whorl circles all
    /// round; a loop only above its core; an arch nowhere, which does not
    /// depend on finding a second delta.
    Polar,
}

/// Sectors of a [`GridShape::Polar`] ring.
pub const SECTORS: usize = 8;

/// One grid of doubled-angle orientation averages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridLayout {
    /// Square or polar.
    pub shape: GridShape,
    /// Side of a cell (square) or width of a ring (polar), in blocks.
    pub cell: usize,
    /// Cells across and down (square) or rings (polar).
    pub cells: usize,
    /// Where the grid is centred.
    pub anchor: Anchor,
    /// Whether each block's vector is weighted by its coherence, so that
    /// unreliable blocks (creases, smudges) count less.
    pub coherence_weighted: bool,
}

impl GridLayout {
    /// Features this grid contributes (cos 2θ and sin 2θ per cell).
    pub const fn len(&self) -> usize {
        match self.shape {
            GridShape::Square => 2 * self.cells * self.cells,
            GridShape::Polar => 2 * self.cells * SECTORS,
        }
    }

    /// Whether the grid has no cells.
    pub const fn is_empty(&self) -> bool {
        self.cells == 0
    }
}

/// The grids of the shipped feature vector.
pub const SHIPPED_GRIDS: &[GridLayout] = &[GridLayout {
    shape: GridShape::Square,
    cell: GRID_CELL,
    cells: GRID_CELLS,
    anchor: Anchor::Core,
    coherence_weighted: false,
}];

/// Length of a feature vector of [`features_with`] for `grids`.
pub const fn feature_len(grids: &[GridLayout]) -> usize {
    let mut n = POINT_FEATURES;
    let mut i = 0;
    while i < grids.len() {
        n += grids[i].len();
        i += 1;
    }
    n
}

/// Which evidence goes into a feature vector, beside the singular-point
/// geometry that is always there.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureSet {
    /// Orientation grids.
    pub grids: Vec<GridLayout>,
    /// Singular points at every scale of [`crate::singular::SCALES`], voted
    /// deltas and the turning round the core ([`crate::singular::multiscale_features`]).
    pub multiscale: bool,
    /// Pseudo-ridges traced round the core ([`crate::flow::features`]).
    pub flow: bool,
    /// Pseudo-ridges traced on a fine field near the core
    /// ([`crate::fine_flow::features`]).
    pub fine_flow: bool,
    /// Symmetry-filter responses ([`crate::symmetry::features`]).
    pub symmetry: bool,
    /// Read the features at the points placed on the unsmoothed field
    /// ([`crate::pattern::place`]) rather than where they were found.
    pub placed: bool,
    /// The ridges counted between the first core and its nearest delta
    /// ([`crate::pattern::COUNT_FEATURES`]).
    pub counts: bool,
}

impl FeatureSet {
    /// The evidence of the shipped model.
    pub fn shipped() -> FeatureSet {
        FeatureSet {
            grids: SHIPPED_GRIDS.to_vec(),
            multiscale: SHIPPED_MULTISCALE,
            flow: SHIPPED_FLOW,
            fine_flow: SHIPPED_FINE_FLOW,
            symmetry: SHIPPED_SYMMETRY,
            placed: false,
            counts: false,
        }
    }

    /// Length of a feature vector of this set.
    pub fn len(&self) -> usize {
        feature_len(&self.grids)
            + if self.multiscale {
                crate::singular::MULTISCALE_FEATURES
            } else {
                0
            }
            + if self.flow { crate::flow::FEATURES } else { 0 }
            + if self.fine_flow {
                crate::fine_flow::FEATURES
            } else {
                0
            }
            + if self.symmetry {
                crate::symmetry::FEATURES
            } else {
                0
            }
            + if self.counts {
                crate::pattern::COUNT_FEATURES
            } else {
                0
            }
    }

    /// Whether the set has no features (never: the point features are always in).
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Whether the shipped model reads the multi-scale singular points.
pub const SHIPPED_MULTISCALE: bool = false;
/// Whether the shipped model reads the traced pseudo-ridges.
pub const SHIPPED_FLOW: bool = true;
/// Whether the shipped model reads the pseudo-ridges of the fine field.
pub const SHIPPED_FINE_FLOW: bool = true;

/// Whether the shipped model reads the symmetry-filter responses.
pub const SHIPPED_SYMMETRY: bool = false;

/// Length of the shipped feature vector.
pub const FEATURES: usize = feature_len(SHIPPED_GRIDS)
    + if SHIPPED_MULTISCALE {
        crate::singular::MULTISCALE_FEATURES
    } else {
        0
    }
    + if SHIPPED_FLOW {
        crate::flow::FEATURES
    } else {
        0
    }
    + if SHIPPED_FINE_FLOW {
        crate::fine_flow::FEATURES
    } else {
        0
    }
    + if SHIPPED_SYMMETRY {
        crate::symmetry::FEATURES
    } else {
        0
    };

/// Classifies a print from its [`features`] and the field network's
/// probabilities (see [`Classifier::probabilities`]), from the network alone
/// without a feature model, or from its singular points by the rules
/// without either. Where more than the print is known (its finger,
/// [`crate::finger_prior`]; its card, [`crate::card_prior`]), `weights`
/// weigh the network's own probabilities ([`Mix::for_priors`]; the
/// machines' where the network did not read the print), and the machines
/// are not asked.
/// The subtype reads the pseudo-ridges of
/// `directions` (block units, foreground `mask`) as well as the points.
pub fn classify(
    features: &[f32],
    points: &SingularPoints,
    directions: &OrientationField,
    mask: &Grid<u8>,
    model: Option<&Classifier>,
    network: Option<&[f32; 5]>,
    weights: Option<&[f32; 5]>,
) -> Classification {
    let (decision, probabilities) = match (model, network) {
        // The machines alone give their own vote beside their
        // probabilities, from one evaluation.
        (Some(model), None) => {
            let (vote, probabilities) = model.decide_and_predict(features);
            let decision = match weights {
                // Nothing beyond the print: their vote, as they were
                // trained to give it.
                None => vote,
                Some(weights) => weighed(&probabilities, weights),
            };
            (decision, Some(probabilities))
        }
        // What is known beyond the print weighs the network alone
        // (`Mix::for_priors`); without it the mix is the better, and the
        // machines are asked only then.
        (model, Some(net)) => {
            let probabilities = Mix::SHIPPED.for_priors(net);
            let decision = match (weights, model) {
                (Some(weights), _) => weighed(&probabilities, weights),
                (None, Some(model)) => most_likely(&model.probabilities(features, network)),
                (None, None) => most_likely(&probabilities),
            };
            (decision, Some(probabilities))
        }
        (None, None) => ((by_rules(points), 0.5), None),
    };
    let (class, confidence) = decision;
    Classification {
        class,
        subtype: subtype(class, points, directions, mask),
        confidence,
        probabilities,
    }
}

/// `probabilities` weighed by `weights`: the most likely class and its
/// probability.
fn weighed(probabilities: &[f32; 5], weights: &[f32; 5]) -> (PatternClass, f32) {
    most_likely(&crate::model::weigh(probabilities, Some(weights)))
}

/// The textbook rules on singular points alone.
pub fn by_rules(points: &SingularPoints) -> PatternClass {
    let (cores, deltas) = (points.cores.len(), points.deltas.len());
    if points.whorl_centres > 0 || cores >= 2 || deltas >= 2 {
        return PatternClass::W;
    }
    match (points.cores.first(), points.deltas.first()) {
        (None, None) => PatternClass::A,
        (None, Some(_)) => PatternClass::T,
        (Some(core), None) => loop_side_from_angle(core),
        (Some(core), Some(delta)) => {
            let (dx, dy) = (delta.x - core.x, delta.y - core.y);
            if dx.abs() < 0.4 * dy.abs() {
                PatternClass::T
            } else if dx > 0.0 {
                PatternClass::L
            } else {
                PatternClass::R
            }
        }
    }
}

/// A loop's head points away from its opening: head to the right, opening left.
fn loop_side_from_angle(core: &Core) -> PatternClass {
    if core.angle_deg.abs() < 90.0 {
        PatternClass::L
    } else {
        PatternClass::R
    }
}

fn subtype(
    class: PatternClass,
    points: &SingularPoints,
    directions: &OrientationField,
    mask: &Grid<u8>,
) -> Subtype {
    match class {
        PatternClass::A => Subtype::PlainArch,
        PatternClass::T => Subtype::TentedArch,
        PatternClass::L | PatternClass::R => Subtype::Loop,
        PatternClass::W => whorl_subtype(points, directions, mask),
    }
}

/// Two cores farther apart than this many blocks (80 px at 500 ppi) may
/// be two loops' heads; nearer, they are the two halves of one whorl's
/// centre. On SD14's whorls (`examples/whorl_study.rs`), plain whorls'
/// two cores ([`core_pair`]) lie a median 88 px apart, double loops'
/// 149 px, and a quarter of the plain whorls' more than 116 px: which
/// of them two cores far apart are, the ridge between them says
/// ([`MIDDLE_RIDGE_CIRCLES`]). Against the codes SD14's examiners wrote
/// (`examples/examiner.rs`), chosen on the even half of the prints from
/// 6–13 blocks (8 and 10 tied), confirmed on the odd half.
const DOUBLE_LOOP_CORES_APART_BLOCKS: f32 = 10.0;

/// The pseudo-ridge through the point midway between two cores, followed
/// both ways, turns by at least this much in all (radians) where it
/// circles: a plain whorl's centre, whose ridges go round both halves. A
/// double loop's middle ridge is the S between its two loops: it winds
/// once round each head and leaves, about 4.4π in all (median on SD14's
/// double loops; plain whorls' median is the tracer's limit, 6π, their
/// 10th percentile 5.1π). Chosen on the even half from 4–5.8π, confirmed
/// on the odd half.
const MIDDLE_RIDGE_CIRCLES: f32 = 5.5 * PI;

/// Two cores whose heads point along the line joining them more nearly
/// than this ([`heads_along_the_join`]) are the two halves of one
/// elongated whorl's centre, which face away from each other, even where
/// the middle ridge, running round the oval once and out between the
/// deltas, does not circle; a double loop's heads lie side by side
/// (medians 0.97 and 0.86). Chosen
/// with the thresholds above on the even half from 0.85–0.98 or none,
/// confirmed on the odd half.
const DOUBLE_LOOP_HEADS_ALONG_THE_JOIN: f32 = 0.95;

/// A pseudo-ridge that turns by at least this much circles the centre.
const CIRCUIT_TURNING: f32 = 1.5 * PI;

/// Pseudo-ridges traced through the middle 70 % of the line between a
/// whorl's deltas ([`circuits_crossed`]).
const LINE_SEEDS: usize = 21;

/// Henry's test for a central pocket: the line between the deltas crosses
/// none of the inner pattern's circuits. It is read as at most this many
/// of the [`LINE_SEEDS`] pseudo-ridges through the line circling (a plain
/// whorl's median share is 81 %, a central pocket's and a double loop's
/// 0 %). Chosen on the even half among 0–6 of them (0–2 tied), confirmed
/// on the odd half.
const CENTRAL_POCKET_CIRCUITS_CROSSED: usize = 1;

/// And the centre lies higher above that line than this share of its
/// length: a pocket sits above its deltas, where a plain whorl whose
/// circuits the tracing lost sits among them. Chosen with the share above
/// from 0.4–1.0 (0.4 and 0.5 tied).
const CENTRAL_POCKET_HEIGHT: f32 = 0.5;

/// What Henry's whorl subtypes are read from: the singular points and the
/// pseudo-ridges through them ([`crate::flow`]) on the ridge-direction
/// field. Lengths in pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WhorlEvidence {
    /// Deltas below a core ([`deltas_below_a_core`]): a pattern's deltas
    /// lie so; one beside or above the centre is a crease's or the edge's.
    pub deltas_below: usize,
    /// Distance between the two cores of [`core_pair`], where two were found.
    pub cores_apart: Option<f32>,
    /// Total absolute turning (radians) of the pseudo-ridge through the
    /// point midway between those two cores.
    pub middle_ridge_turning: Option<f32>,
    /// How nearly those two cores' heads point along the line joining
    /// them ([`heads_along_the_join`]).
    pub heads_along_the_join: Option<f32>,
    /// How many of [`LINE_SEEDS`] pseudo-ridges through the line between
    /// the whorl's two deltas ([`whorls_deltas`]) circle, where two were
    /// found ([`circuits_crossed`]).
    pub circuits_crossed: Option<usize>,
    /// Height of the first core above that line, as a share of its length.
    pub centre_height: Option<f32>,
}

/// Reads the [`WhorlEvidence`] of a whorl from its points and the
/// ridge-direction field `directions` (block units, foreground `mask`).
pub fn whorl_evidence(
    points: &SingularPoints,
    directions: &OrientationField,
    mask: &Grid<u8>,
) -> WhorlEvidence {
    let block = directions.block as f32;
    let (cores, deltas) = (points.core_positions(), points.delta_positions());
    let mut evidence = WhorlEvidence {
        deltas_below: deltas_below_a_core(&cores, &deltas).len(),
        ..WhorlEvidence::default()
    };
    if let Some((a, b)) = core_pair(points) {
        let middle = midway(a, b);
        evidence.cores_apart = Some((a.x - b.x).hypot(a.y - b.y));
        evidence.heads_along_the_join = Some(heads_along_the_join(a, b));
        let turning = flow::trace(directions, mask, middle.0 / block, middle.1 / block);
        evidence.middle_ridge_turning = Some(turning.abs_turning);
    }
    let Some(&core) = cores.first() else {
        return evidence;
    };
    if let Some((d1, d2)) = delta_line_of(&cores, &deltas) {
        evidence.centre_height = Some(height_above(core, d1, d2));
        evidence.circuits_crossed = Some(circuits_crossed(directions, mask, d1, d2));
    }
    evidence
}

/// How far `point` lies from the line through `from` and `to`, as a share
/// of the line's length.
pub fn height_above(point: (f32, f32), from: (f32, f32), to: (f32, f32)) -> f32 {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let length = dx.hypot(dy).max(1.0);
    ((point.0 - from.0) * dy - (point.1 - from.1) * dx).abs() / length / length
}

/// The point midway between the [`core_pair`] (pixels), through which
/// the middle ridge of [`WhorlEvidence`] is traced; `None` with fewer
/// than two cores.
pub fn middle_of_two_cores(points: &SingularPoints) -> Option<(f32, f32)> {
    core_pair(points).map(|(a, b)| midway(a, b))
}

fn midway(a: &Core, b: &Core) -> (f32, f32) {
    ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0)
}

/// The two cores a whorl's centre is read from: of three or more, the
/// two nearest each other (a third is most often a crease's or the rolled
/// area's edge's, far from the pattern). On SD14's 28 whorls with three
/// cores or more, the examiner's subtype on 1 more of the even half's and
/// 2 more of the odd half's than with the first two found, 5 and 5 fewer
/// than with the two farthest apart.
pub fn core_pair(points: &SingularPoints) -> Option<(&Core, &Core)> {
    let cores = &points.cores;
    let pairs = (0..cores.len()).flat_map(|i| (i + 1..cores.len()).map(move |j| (i, j)));
    let apart = |&(i, j): &(usize, usize)| (cores[i].x - cores[j].x).hypot(cores[i].y - cores[j].y);
    pairs
        .min_by(|p, q| apart(p).total_cmp(&apart(q)))
        .map(|(i, j)| (&cores[i], &cores[j]))
}

/// The line between a whorl's two counted deltas ([`whorls_deltas`]),
/// pixels, left end first; `None` with fewer than two deltas.
pub fn delta_line(points: &SingularPoints) -> Option<((f32, f32), (f32, f32))> {
    delta_line_of(&points.core_positions(), &points.delta_positions())
}

/// [`delta_line`] on positions already read out.
fn delta_line_of(cores: &[(f32, f32)], deltas: &[(f32, f32)]) -> Option<((f32, f32), (f32, f32))> {
    match whorls_deltas(cores, deltas).as_slice() {
        [i, j] => Some((deltas[*i], deltas[*j])),
        _ => None,
    }
}

/// Henry's whorl subtypes from the [`WhorlEvidence`]: more than two deltas
/// below a core is accidental; two cores far apart whose middle ridge
/// does not circle a double loop; a centre whose circuits the line
/// between the deltas does not cross, high above that line, a central
/// pocket; else plain.
fn whorl_subtype(
    points: &SingularPoints,
    directions: &OrientationField,
    mask: &Grid<u8>,
) -> Subtype {
    let evidence = whorl_evidence(points, directions, mask);
    let block = directions.block as f32;
    let far_apart = evidence
        .cores_apart
        .is_some_and(|d| d > DOUBLE_LOOP_CORES_APART_BLOCKS * block);
    let middle_ridge_circles = evidence
        .middle_ridge_turning
        .is_some_and(|t| t >= MIDDLE_RIDGE_CIRCLES);
    let halves_face_away = evidence
        .heads_along_the_join
        .is_some_and(|a| a >= DOUBLE_LOOP_HEADS_ALONG_THE_JOIN);
    let pocket_above_deltas = evidence
        .centre_height
        .is_some_and(|h| h > CENTRAL_POCKET_HEIGHT);
    let circuits_cross = evidence
        .circuits_crossed
        .is_some_and(|n| n > CENTRAL_POCKET_CIRCUITS_CROSSED);
    if evidence.deltas_below > 2 {
        Subtype::AccidentalWhorl
    } else if far_apart && !middle_ridge_circles && !halves_face_away {
        Subtype::DoubleLoop
    } else if pocket_above_deltas && !circuits_cross {
        Subtype::CentralPocketWhorl
    } else {
        Subtype::PlainWhorl
    }
}

/// How nearly two cores' heads point along the line joining them: the
/// mean over the two of |cos| of the angle between the head and that line.
/// Near 1 for the two halves of one elongated whorl centre, which face
/// away from each other along it; less for a double loop's two heads,
/// which lie side by side, each loop wound round the other.
pub fn heads_along_the_join(a: &Core, b: &Core) -> f32 {
    // With y pointing up, as `angle_deg` is measured.
    let (jx, jy) = (b.x - a.x, a.y - b.y);
    let length = jx.hypot(jy).max(1e-6);
    let along = |core: &Core| {
        let (sin, cos) = core.angle_deg.to_radians().sin_cos();
        (cos * jx + sin * jy).abs() / length
    };
    (along(a) + along(b)) / 2.0
}

/// How many of the [`LINE_SEEDS`] pseudo-ridges through the middle 70 %
/// of the line from `from` to `to` (pixels) circle: in a plain whorl the line
/// between the deltas crosses the circuits below the centre. The ends
/// are left out because the lines beside a delta go round the pattern's
/// outside.
pub fn circuits_crossed(
    directions: &OrientationField,
    mask: &Grid<u8>,
    from: (f32, f32),
    to: (f32, f32),
) -> usize {
    let block = directions.block as f32;
    (0..LINE_SEEDS)
        .filter(|&k| {
            let t = 0.15 + 0.7 * k as f32 / (LINE_SEEDS - 1) as f32;
            let (x, y) = (from.0 + t * (to.0 - from.0), from.1 + t * (to.1 - from.1));
            flow::trace(directions, mask, x / block, y / block)
                .turning
                .abs()
                >= CIRCUIT_TURNING
        })
        .count()
}

/// The feature vector of a print: singular-point geometry, then the
/// doubled-angle orientation on the [`SHIPPED_GRIDS`].
pub fn features(points: &SingularPoints, field: &OrientationField, mask: &Grid<u8>) -> Vec<f32> {
    features_with(points, field, mask, SHIPPED_GRIDS)
}

/// The feature vector with the given orientation grids (for comparing layouts).
pub fn features_with(
    points: &SingularPoints,
    field: &OrientationField,
    mask: &Grid<u8>,
    grids: &[GridLayout],
) -> Vec<f32> {
    let mut out = Vec::with_capacity(feature_len(grids));
    point_features(points, &mut out);
    let centroid = centroid(mask);
    let b = field.block as f32;
    let core = points.cores.first().map(|c| (c.x / b, c.y / b));
    for layout in grids {
        let anchor = match layout.anchor {
            Anchor::Core => core.unwrap_or(centroid),
            Anchor::Centroid => centroid,
        };
        match layout.shape {
            GridShape::Square => grid_features(field, mask, anchor, layout, &mut out),
            GridShape::Polar => polar_features(field, mask, anchor, layout, &mut out),
        }
    }
    out
}

fn point_features(points: &SingularPoints, out: &mut Vec<f32>) {
    let n_cores = points.cores.len() as f32;
    let n_deltas = points.deltas.len() as f32;
    out.extend([
        n_cores.min(3.0) / 3.0,
        n_deltas.min(3.0) / 3.0,
        (points.whorl_centres as f32).min(2.0) / 2.0,
        f32::from(points.cores.is_empty() && points.deltas.is_empty()),
    ]);
    let scale = 100.0;
    match points.cores.first() {
        Some(core) => {
            let a = core.angle_deg.to_radians();
            out.extend([a.cos(), a.sin()]);
            let left = points.deltas.iter().filter(|d| d.x < core.x).count() as f32;
            let right = points.deltas.iter().filter(|d| d.x >= core.x).count() as f32;
            out.extend([left.min(2.0), right.min(2.0)]);
            match nearest_delta(core, points) {
                Some((dx, dy)) => out.extend([
                    (dx / scale).clamp(-3.0, 3.0),
                    (dy / scale).clamp(-3.0, 3.0),
                    dx.atan2(dy) / PI,
                    1.0,
                ]),
                None => out.extend([0.0, 0.0, 0.0, 0.0]),
            }
        }
        None => out.extend([0.0; 8]),
    }
    let spread = match points.cores.as_slice() {
        [a, b, ..] => (a.x - b.x).hypot(a.y - b.y) / scale,
        _ => 0.0,
    };
    let delta_spread = match points.deltas.as_slice() {
        [a, b, ..] => (a.x - b.x).hypot(a.y - b.y) / scale,
        _ => 0.0,
    };
    out.extend([spread.min(3.0), delta_spread.min(6.0)]);
}

/// The offset (pixels) from `core` to the delta nearest it.
pub(crate) fn nearest_delta(core: &Core, points: &SingularPoints) -> Option<(f32, f32)> {
    points
        .deltas
        .iter()
        .map(|d| (d.x - core.x, d.y - core.y))
        .min_by(|a, b| a.0.hypot(a.1).total_cmp(&b.0.hypot(b.1)))
}

/// The centre of the foreground, in blocks (the grid's centre when empty).
pub fn centroid(mask: &Grid<u8>) -> (f32, f32) {
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
    for r in 0..mask.rows {
        for c in 0..mask.cols {
            if mask.get(c, r) != 0 {
                sx += c as f32;
                sy += r as f32;
                n += 1.0;
            }
        }
    }
    if n == 0.0 {
        return (mask.cols as f32 / 2.0, mask.rows as f32 / 2.0);
    }
    (sx / n, sy / n)
}

fn grid_features(
    field: &OrientationField,
    mask: &Grid<u8>,
    anchor: (f32, f32),
    layout: &GridLayout,
    out: &mut Vec<f32>,
) {
    let (cell, cells) = (layout.cell, layout.cells);
    let half = (cells * cell) as f32 / 2.0;
    let (c0, r0) = (
        (anchor.0 - half).round() as isize,
        (anchor.1 - half).round() as isize,
    );
    let (cols, rows) = field.dims();
    for gy in 0..cells {
        for gx in 0..cells {
            let (mut sc, mut ss) = (0.0f32, 0.0f32);
            for dy in 0..cell {
                for dx in 0..cell {
                    let c = c0 + (gx * cell + dx) as isize;
                    let r = r0 + (gy * cell + dy) as isize;
                    if c < 0 || r < 0 || c >= cols as isize || r >= rows as isize {
                        continue;
                    }
                    let (c, r) = (c as usize, r as usize);
                    if mask.get(c, r) == 0 {
                        continue;
                    }
                    let w = if layout.coherence_weighted {
                        field.coherence.get(c, r)
                    } else {
                        1.0
                    };
                    sc += w * field.cos2.get(c, r);
                    ss += w * field.sin2.get(c, r);
                }
            }
            // Dividing by the full cell keeps how much of it is finger.
            let area = (cell * cell) as f32;
            out.extend([sc / area, ss / area]);
        }
    }
}

/// Mean doubled-angle vector relative to the tangent of circles around the
/// anchor, per ring and sector; blocks off the finger count as zero.
fn polar_features(
    field: &OrientationField,
    mask: &Grid<u8>,
    anchor: (f32, f32),
    layout: &GridLayout,
    out: &mut Vec<f32>,
) {
    let (ring_width, rings) = (layout.cell as f32, layout.cells);
    let reach = ring_width * rings as f32;
    let mut sums = vec![[0.0f32; 3]; rings * SECTORS];
    let (cols, rows) = field.dims();
    let r_lo = (anchor.1 - reach).floor().max(0.0) as usize;
    let r_hi = ((anchor.1 + reach).ceil().max(0.0) as usize).min(rows);
    let c_lo = (anchor.0 - reach).floor().max(0.0) as usize;
    let c_hi = ((anchor.0 + reach).ceil().max(0.0) as usize).min(cols);
    for r in r_lo..r_hi {
        for c in c_lo..c_hi {
            let (dx, dy) = (c as f32 - anchor.0, r as f32 - anchor.1);
            let radius = dx.hypot(dy);
            let ring = (radius / ring_width) as usize;
            if ring >= rings || radius < 0.5 {
                continue;
            }
            let phi = dy.atan2(dx);
            let sector = (((phi + PI) / (2.0 * PI) * SECTORS as f32) as usize).min(SECTORS - 1);
            let cell = &mut sums[ring * SECTORS + sector];
            cell[2] += 1.0;
            if mask.get(c, r) == 0 {
                continue;
            }
            let w = if layout.coherence_weighted {
                field.coherence.get(c, r)
            } else {
                1.0
            };
            // Rotate the doubled angle by −2(φ + π/2): a tangent ridge reads 0.
            let (s2, c2) = (2.0 * phi + PI).sin_cos();
            let (vc, vs) = (field.cos2.get(c, r), field.sin2.get(c, r));
            cell[0] += w * (vc * c2 + vs * s2);
            cell[1] += w * (vs * c2 - vc * s2);
        }
    }
    for [sc, ss, n] in sums {
        let n = n.max(1.0);
        out.extend([sc / n, ss / n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core(x: f32, y: f32, angle_deg: f32) -> Core {
        Core { x, y, angle_deg }
    }

    /// An `n × n`-block field (8-pixel blocks, all foreground) whose ridge
    /// direction at a block centre (block units) is `theta`.
    fn field_of(n: usize, theta: impl Fn(f32, f32) -> f32) -> (OrientationField, Grid<u8>) {
        let field = OrientationField::from_directions(n, n, 8, theta);
        (field, Grid::filled(n, n, 1))
    }

    /// Ridges circling (`cx`, `cy`) (blocks) out to `radius` blocks, level beyond.
    fn circuits(cx: f32, cy: f32, radius: f32) -> impl Fn(f32, f32) -> f32 {
        move |x, y| {
            let (dx, dy) = (x - cx, y - cy);
            if dx.hypot(dy) <= radius {
                dy.atan2(dx) + PI / 2.0
            } else {
                0.0
            }
        }
    }

    fn points(cores: &[(f32, f32)], deltas: &[(f32, f32)]) -> SingularPoints {
        SingularPoints {
            cores: cores.iter().map(|&(x, y)| core(x, y, 90.0)).collect(),
            deltas: deltas
                .iter()
                .map(|&(x, y)| crate::singular::Delta { x, y })
                .collect(),
            whorl_centres: 0,
        }
    }

    #[test]
    fn an_elongated_centres_halves_face_along_their_join_a_double_loops_do_not() {
        // One whorl's centre split in two, 120 px apart in a row: the left
        // half's head points left (180°), the right half's right (0°).
        let halves = heads_along_the_join(&core(100.0, 200.0, 180.0), &core(220.0, 200.0, 0.0));
        assert!(halves > 0.99, "{halves}");
        // A double loop: two heads side by side, one up and one down, the
        // second core below and to the right of the first.
        let loops = heads_along_the_join(&core(100.0, 200.0, 90.0), &core(220.0, 260.0, -90.0));
        assert!(loops < DOUBLE_LOOP_HEADS_ALONG_THE_JOIN, "{loops}");
        assert!(
            (loops - 60.0 / 60.0f32.hypot(120.0)).abs() < 1e-4,
            "{loops}"
        );
        // Level ridges between them do not circle, but halves facing away
        // are one whorl's.
        let (level, mask) = field_of(64, |_, _| 0.0);
        let facing_away = SingularPoints {
            cores: vec![core(200.0, 200.0, 180.0), core(320.0, 200.0, 0.0)],
            deltas: vec![],
            whorl_centres: 0,
        };
        assert_eq!(
            whorl_subtype(&facing_away, &level, &mask),
            Subtype::PlainWhorl
        );
    }

    #[test]
    fn two_cores_far_apart_are_a_double_loop_unless_the_ridge_between_them_circles() {
        // Two cores 108 px apart, their midpoint (250, 220) px two blocks
        // off the centre of the circuits.
        let cores = points(&[(200.0, 200.0), (300.0, 240.0)], &[]);
        let (whorl, mask) = field_of(64, circuits(30.0, 26.0, 64.0));
        assert_eq!(whorl_subtype(&cores, &whorl, &mask), Subtype::PlainWhorl);
        let (s_between, mask) = field_of(64, |_, _| 0.0);
        assert_eq!(
            whorl_subtype(&cores, &s_between, &mask),
            Subtype::DoubleLoop
        );
        // Nearer than the threshold, two cores are one whorl's centre
        // whatever the ridge between them does.
        let near = points(&[(230.0, 210.0), (290.0, 230.0)], &[]);
        assert_eq!(whorl_subtype(&near, &s_between, &mask), Subtype::PlainWhorl);
    }

    #[test]
    fn of_three_cores_the_two_nearest_each_other_are_the_centre() {
        // A third core far down at the edge, found first: the pair
        // through it has its middle point on level ridges, outside the
        // circuits, and would read as a double loop.
        let cores = points(&[(60.0, 460.0), (200.0, 200.0), (300.0, 240.0)], &[]);
        let (a, b) = core_pair(&cores).expect("a pair");
        assert_eq!(((a.x, a.y), (b.x, b.y)), ((200.0, 200.0), (300.0, 240.0)));
        let (whorl, mask) = field_of(64, circuits(30.0, 26.0, 12.0));
        assert_eq!(whorl_subtype(&cores, &whorl, &mask), Subtype::PlainWhorl);
        assert_eq!(core_pair(&points(&[(60.0, 460.0)], &[])), None);
    }

    #[test]
    fn a_central_pocket_is_a_centre_whose_circuits_the_line_between_the_deltas_does_not_cross() {
        // The centre at (256, 240) px, the deltas 112 px below it and
        // 160 px apart: the line between them runs 14 blocks below it.
        let whorl = points(&[(256.0, 240.0)], &[(176.0, 352.0), (336.0, 352.0)]);
        let (pocket, mask) = field_of(64, circuits(32.0, 30.0, 8.0));
        assert_eq!(
            whorl_subtype(&whorl, &pocket, &mask),
            Subtype::CentralPocketWhorl
        );
        let (plain, mask) = field_of(64, circuits(32.0, 30.0, 64.0));
        assert_eq!(whorl_subtype(&whorl, &plain, &mask), Subtype::PlainWhorl);
        // A centre as low as a plain whorl's among its deltas is not read
        // as a pocket, its circuits lost or not.
        let low = points(&[(256.0, 300.0)], &[(176.0, 352.0), (336.0, 352.0)]);
        assert_eq!(whorl_subtype(&low, &pocket, &mask), Subtype::PlainWhorl);
    }

    /// SD14's s0024319, a plain whorl by its examiner: two deltas below
    /// its centre and a third found high up beside it, which no whorl of
    /// the pattern has. It was called accidental for its three deltas.
    #[test]
    fn only_deltas_below_the_centre_make_a_whorl_accidental() {
        let (field, mask) = field_of(80, |_, _| 0.0);
        let mut points = SingularPoints {
            cores: vec![core(308.0, 360.0, 101.1), core(320.0, 460.0, -75.1)],
            deltas: vec![
                crate::singular::Delta { x: 256.0, y: 520.0 },
                crate::singular::Delta { x: 396.0, y: 528.0 },
                crate::singular::Delta { x: 512.0, y: 184.0 },
            ],
            whorl_centres: 0,
        };
        assert_ne!(
            whorl_subtype(&points, &field, &mask),
            Subtype::AccidentalWhorl
        );
        // A third delta low down on the pattern's side is the pattern's.
        points.deltas[2] = crate::singular::Delta { x: 520.0, y: 600.0 };
        assert_eq!(
            whorl_subtype(&points, &field, &mask),
            Subtype::AccidentalWhorl
        );
    }
}
