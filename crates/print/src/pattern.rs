//! From block tensors and foreground to the class evidence: the orientation
//! field at every scale, the singular points, and the feature vector the
//! class model reads. One function, so that the engine and the evaluation
//! (which caches the tensors of the labelled prints) compute exactly the same.

use image::GrayImage;

use crate::classify::{self, FeatureSet, PatternClass};
use crate::fine_flow::{self, FineScratch};
use crate::grid::Grid;
use crate::orientation::{self, BlockTensors, OrientationField, SmoothScratch};
use crate::params::Params;
use crate::ridge_count::{self, LoopCore};
use crate::singular::{self, Delta, SingularPoints};
use crate::{flow, mask, symmetry};

/// Buffers of [`evidence`], kept from one print to the next.
#[derive(Debug, Default)]
pub struct Scratch {
    smooth: SmoothScratch,
    fine: FineScratch,
    /// The orientation field at every scale: `fields[0]` is the
    /// ridge-direction field, `fields[1]` the field of the singular points.
    pub fields: Vec<OrientationField>,
    /// The unsmoothed block field [`place`] reads.
    raw: OrientationField,
}

/// The singular points and feature vector of one print.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evidence {
    /// Singular points (found on the strongly smoothed field, with the close
    /// pairs it erased recovered from the light one, and refined there).
    pub points: SingularPoints,
    /// Feature vector for the class model.
    pub features: Vec<f32>,
}

/// Smooths `tensors` at every radius of [`singular::SCALES`] into
/// `scratch.fields` (`fields[0]` is the ridge-direction field, radius
/// `params.smooth_radius`; `fields[1]` the field of the singular points,
/// `params.singular_smooth_radius`), finds the singular points (on the
/// latter, and the close pairs it erased on the former) and computes
/// the features of `set` (the fine flow reads `image` round the core).
pub fn evidence(
    image: &GrayImage,
    tensors: &BlockTensors,
    mask: &Grid<u8>,
    params: &Params,
    set: &FeatureSet,
    scratch: &mut Scratch,
) -> Evidence {
    let Scratch {
        smooth,
        fine,
        fields,
        raw,
    } = scratch;
    let mut radii = singular::SCALES;
    radii[0] = params.smooth_radius;
    radii[1] = params.singular_smooth_radius;
    let wanted = if set.multiscale { radii.len() } else { 2 };
    fields.resize_with(wanted.max(fields.len()), OrientationField::default);
    for (field, &radius) in fields.iter_mut().zip(&radii).take(wanted) {
        orientation::smooth(tensors, mask, radius, smooth, field);
    }
    let (directions, coarse) = (&fields[0], &fields[1]);
    let inner = mask::shrink(mask, params.singular_margin);
    let mut points = singular::detect(coarse, &inner, &directions.coherence, params);
    singular::recover_erased_pairs(
        &mut points,
        directions,
        &inner,
        &directions.coherence,
        params,
    );
    singular::refine(&mut points, directions, mask, params.singular_refine_reach);
    if set.placed {
        place_on_raw_field(tensors, mask, &mut points, params, smooth, raw);
    }
    let mut features = classify::features_with(&points, coarse, mask, &set.grids);
    let b = coarse.block as f32;
    let anchor = points
        .cores
        .first()
        .map(|c| (c.x / b, c.y / b))
        .unwrap_or_else(|| classify::centroid(mask));
    if set.multiscale {
        features.extend(singular::multiscale_features(
            &fields[..wanted],
            &inner,
            mask,
            &directions.coherence,
            params,
            anchor,
        ));
    }
    if set.flow {
        features.extend(flow::features(directions, mask, anchor));
    }
    if set.fine_flow {
        let px = (anchor.0 * b, anchor.1 * b);
        features.extend(fine_flow::features(image, mask, tensors.block, px, fine));
    }
    if set.symmetry {
        features.extend(symmetry::features(coarse, mask, anchor));
    }
    if set.counts {
        // Counted as the engine counts, at the placed points (already
        // placed when the whole evidence reads them there).
        let mut placed = points.clone();
        if !set.placed {
            place_on_raw_field(tensors, mask, &mut placed, params, smooth, raw);
        }
        features.extend(count_features(image, &fields[0], &placed, params));
    }
    Evidence { points, features }
}

/// Number of features of [`count_features`].
pub const COUNT_FEATURES: usize = 4;

/// The ridges between the first core and its nearest delta, counted on the
/// image: a loop has at least one ridge there, a tented arch's delta lies
/// on or next to the upthrust (Henry's rule). For `evaluate --counts`:
/// on SD14 it adds nothing the points' layout does not already say
/// (docs/BENCHMARKS.md, thirteenth round), so the shipped model reads none.
fn count_features(
    image: &GrayImage,
    directions: &OrientationField,
    points: &SingularPoints,
    params: &Params,
) -> [f32; COUNT_FEATURES] {
    let Some(core) = points.cores.first() else {
        return [0.0; COUNT_FEATURES];
    };
    let Some((dx, dy)) = classify::nearest_delta(core, points) else {
        return [0.0; COUNT_FEATURES];
    };
    let delta = (core.x + dx, core.y + dy);
    let n = crate::ridge_count::count(image, directions, delta, (core.x, core.y), params) as f32;
    let length = dx.hypot(dy).max(1.0);
    [
        1.0,
        (n / 10.0).min(2.0),
        f32::from(n < 1.0),
        (n * 9.0 / length).min(1.5),
    ]
}

/// The singular points of [`evidence`] placed where the ridges put them
/// ([`singular::place`] on the unsmoothed block field), for the output and
/// the ridge counts. The class evidence keeps the points it was learned
/// with; cores stay top first and deltas left first.
pub fn place(
    tensors: &BlockTensors,
    mask: &Grid<u8>,
    points: &SingularPoints,
    params: &Params,
    scratch: &mut Scratch,
) -> SingularPoints {
    let mut placed = points.clone();
    place_on_raw_field(
        tensors,
        mask,
        &mut placed,
        params,
        &mut scratch.smooth,
        &mut scratch.raw,
    );
    placed.sort();
    placed
}

/// Adds to the placed points of a loop (`class` L or R) the delta the
/// detection missed, where none of its deltas can be its core's
/// ([`ridge_count::is_loops_delta`], the rule its count follows): looked
/// for again on the field of the singular points, nearer the border and
/// among weaker ridges ([`singular::find_loop_delta`]), below a core whose
/// head points up, on the side the class puts the delta (right of a left
/// loop's core) and not on a delta already found, then placed as the
/// others were. Returns the delta added. Only the counts read it;
/// the class was decided without it. Call after [`place`], whose raw field
/// it reuses.
pub fn recover_loop_delta(
    placed: &mut SingularPoints,
    class: PatternClass,
    mask: &Grid<u8>,
    params: &Params,
    scratch: &Scratch,
) -> Option<Delta> {
    let side = match class {
        PatternClass::L => 1.0,
        PatternClass::R => -1.0,
        _ => return None,
    };
    if params.loop_delta_search.0 <= 0.0 {
        return None;
    }
    let cores: Vec<LoopCore> = placed.cores.iter().map(LoopCore::from).collect();
    let counted = |d: &Delta| {
        cores
            .iter()
            .any(|&c| ridge_count::is_loops_delta(c, (d.x, d.y)))
    };
    if placed.deltas.iter().any(counted) {
        return None;
    }
    let taken = |d: &Delta| {
        placed
            .deltas
            .iter()
            .any(|e| (e.x - d.x).hypot(e.y - d.y) <= params.singular_merge_px)
    };
    let fitting = |c: &LoopCore, d: &Delta| {
        ridge_count::is_loops_delta(*c, (d.x, d.y)) && (d.x - c.at.0) * side > 0.0 && !taken(d)
    };
    let (directions, coarse) = (&scratch.fields[0], &scratch.fields[1]);
    let delta = placed
        .cores
        .iter()
        .zip(&cores)
        .find_map(|(core, loop_core)| {
            singular::find_loop_delta(coarse, mask, &directions.coherence, params, core, |d| {
                fitting(loop_core, d)
            })
        })?;
    let mut one = SingularPoints {
        deltas: vec![delta],
        ..Default::default()
    };
    singular::place(&mut one, &scratch.raw, mask, params.singular_place_reach);
    let placed_delta = one.deltas[0];
    // Placing may draw it onto a delta already found (one that cannot be
    // the loop's): then there is nothing new.
    if taken(&placed_delta) {
        return None;
    }
    placed.deltas.push(placed_delta);
    placed.sort();
    Some(placed_delta)
}

/// Normalises the block tensors, unsmoothed, into `raw` and places `points`
/// on that field, leaving them in the order they came (the evidence reads
/// its first core as the anchor, as `evaluate --placed` measured it).
fn place_on_raw_field(
    tensors: &BlockTensors,
    mask: &Grid<u8>,
    points: &mut SingularPoints,
    params: &Params,
    smooth: &mut SmoothScratch,
    raw: &mut OrientationField,
) {
    orientation::smooth(tensors, mask, 0, smooth, raw);
    singular::place(points, raw, mask, params.singular_place_reach);
}
