//! Singular points: cores and deltas, found by the Poincaré index of a
//! strongly smoothed orientation field.
//!
//! Walking once around a block, the ridge direction turns by +π at a core
//! (the centre of a loop's innermost recurve), by −π at a delta (a
//! triradius) and by 2π at a whorl's circular centre (two cores that the
//! smoothing has merged). Neighbouring detections of one kind are merged
//! into one point at their centroid. A core and a delta a few ridges apart
//! vanish together under the strong smoothing; [`recover_erased_pairs`]
//! finds them on the lighter field.

use std::f32::consts::PI;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::grid::Grid;
use crate::orientation::OrientationField;
use crate::params::Params;

/// A core: the centre of the innermost recurving ridge.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Core {
    /// Column, pixels.
    pub x: f32,
    /// Row, pixels.
    pub y: f32,
    /// Direction in which the recurve's head lies, degrees counter-clockwise
    /// from the image's x axis with y pointing up (90 = an upright loop).
    pub angle_deg: f32,
}

/// A delta (triradius): where three ridge systems meet.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// Column, pixels.
    pub x: f32,
    /// Row, pixels.
    pub y: f32,
}

/// The singular points of one print.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SingularPoints {
    /// Cores, top of the print first.
    pub cores: Vec<Core>,
    /// Deltas, left of the print first.
    pub deltas: Vec<Delta>,
    /// How many cores are whorl centres (index +1: two merged cores).
    pub whorl_centres: usize,
}

impl SingularPoints {
    /// Puts the points in the order the fields promise: cores top first,
    /// deltas left first.
    pub fn sort(&mut self) {
        self.cores.sort_by(|a, b| a.y.total_cmp(&b.y));
        self.deltas.sort_by(|a, b| a.x.total_cmp(&b.x));
    }

    /// The cores' positions (pixels), in their order.
    pub fn core_positions(&self) -> Vec<(f32, f32)> {
        self.cores.iter().map(|c| (c.x, c.y)).collect()
    }

    /// The deltas' positions (pixels), in their order.
    pub fn delta_positions(&self) -> Vec<(f32, f32)> {
        self.deltas.iter().map(|d| (d.x, d.y)).collect()
    }
}

/// The 16 blocks of the 5 × 5 square's rim, in order of increasing angle
/// (x right, y down). A ring wider than the 8 neighbours reads through the
/// noise of single blocks.
const RING: [(isize, isize); 16] = [
    (2, 0),
    (2, 1),
    (2, 2),
    (1, 2),
    (0, 2),
    (-1, 2),
    (-2, 2),
    (-2, 1),
    (-2, 0),
    (-2, -1),
    (-2, -2),
    (-1, -2),
    (0, -2),
    (1, -2),
    (2, -2),
    (2, -1),
];
/// The 8 neighbours, in order of increasing angle: the tight ring that
/// places a point precisely once [`RING`] has found it.
const RING8: [(isize, isize); 8] = [
    (1, 0),
    (1, 1),
    (0, 1),
    (-1, 1),
    (-1, 0),
    (-1, -1),
    (0, -1),
    (1, -1),
];
/// Reach of [`RING`] from its centre, blocks.
const RING_REACH: usize = 2;

/// The ridge angle of every block of `cols` × `rows` (one arctangent
/// each; the rest of the grid stays 0): the rings of [`detect_within`]
/// overlap, and taking each ring block's angle afresh cost sixteen
/// arctangents a block (2.4 % of the analysis's instructions).
fn block_angles(field: &OrientationField, cols: Range<usize>, rows: Range<usize>) -> Grid<f32> {
    let (all_cols, all_rows) = field.dims();
    let mut angles = Grid::new(all_cols, all_rows);
    for r in rows {
        for c in cols.clone() {
            angles.set(c, r, field.angle(c, r));
        }
    }
    angles
}

/// The Poincaré index, in half turns, of `ring` round block (`c`, `r`):
/// +1 core, −1 delta, +2 whorl centre, 0 none. Each block's ridge angle
/// is read through `angle`.
fn index_on_ring(
    angle: impl Fn(usize, usize) -> f32,
    c: usize,
    r: usize,
    ring: &[(isize, isize)],
) -> i32 {
    // Each ring block's angle once, then the turns between neighbours.
    let angle_of =
        |(dc, dr): (isize, isize)| angle(c.wrapping_add_signed(dc), r.wrapping_add_signed(dr));
    let first = angle_of(ring[0]);
    let mut previous = first;
    let mut total = 0.0;
    for &offset in &ring[1..] {
        let angle = angle_of(offset);
        total += wrap_half_turn(angle - previous);
        previous = angle;
    }
    total += wrap_half_turn(first - previous);
    (total / PI).round() as i32
}

/// An angle difference of undirected lines, wrapped into (−π/2, π/2].
fn wrap_half_turn(d: f32) -> f32 {
    // Ridge angles lie in [0, π), so their differences already lie within
    // one turn and need no (library-call) remainder.
    let mut d = if d.abs() < PI { d } else { d % PI };
    if d > PI / 2.0 {
        d -= PI;
    } else if d <= -PI / 2.0 {
        d += PI;
    }
    d
}

/// Finds the singular points of `field` inside `mask` (blocks whose whole
/// ring lies in the mask) and well-defined ridges around them (mean
/// coherence of `support` on a wider ring), merging detections closer than `merge_px`. A core
/// and a delta closer than `pair_px` cancel out: such pairs are what a
/// crease or a scar makes in the field, not a pattern.
pub fn detect(
    field: &OrientationField,
    mask: &Grid<u8>,
    support: &Grid<f32>,
    params: &Params,
) -> SingularPoints {
    let (cols, rows) = field.dims();
    detect_within(field, mask, support, params, (0..cols, 0..rows))
}

/// [`detect`] on the blocks of `window` (columns, rows) only.
fn detect_within(
    field: &OrientationField,
    mask: &Grid<u8>,
    support: &Grid<f32>,
    params: &Params,
    (window_cols, window_rows): (Range<usize>, Range<usize>),
) -> SingularPoints {
    let (merge_px, pair_px) = (params.singular_merge_px, params.singular_pair_px);
    let (cols, rows) = field.dims();
    let mut core_blobs: Vec<Blob> = Vec::new();
    let mut delta_blobs: Vec<Blob> = Vec::new();
    let mut whorl_blobs: Vec<Blob> = Vec::new();
    let b = field.block as f32;
    let rows =
        window_rows.start.max(RING_REACH)..window_rows.end.min(rows.saturating_sub(RING_REACH));
    let cols =
        window_cols.start.max(RING_REACH)..window_cols.end.min(cols.saturating_sub(RING_REACH));
    // The blocks the rings round `cols` × `rows` read (none if those are
    // empty: a grid too small for a ring).
    let reach = |range: &Range<usize>| {
        if range.is_empty() {
            0..0
        } else {
            range.start - RING_REACH..range.end + RING_REACH
        }
    };
    let angles = block_angles(field, reach(&cols), reach(&rows));
    for r in rows {
        for c in cols.clone() {
            if !ring_inside(mask, c, r)
                || surrounding_coherence(support, c, r) < params.singular_min_support
            {
                continue;
            }
            let (x, y) = ((c as f32 + 0.5) * b, (r as f32 + 0.5) * b);
            match index_on_ring(|c, r| angles.get(c, r), c, r, &RING) {
                1 => add_to_blobs(&mut core_blobs, x, y, merge_px),
                -1 => add_to_blobs(&mut delta_blobs, x, y, merge_px),
                2 => add_to_blobs(&mut whorl_blobs, x, y, merge_px),
                _ => {}
            }
        }
    }
    annihilate_pairs(&mut core_blobs, &mut delta_blobs, pair_px);
    let mut points = SingularPoints {
        whorl_centres: whorl_blobs.len(),
        ..Default::default()
    };
    for blob in core_blobs.iter().chain(&whorl_blobs) {
        let (x, y) = blob.centre();
        points.cores.push(Core {
            x,
            y,
            angle_deg: core_direction(field, x, y),
        });
    }
    points.deltas = delta_blobs
        .iter()
        .map(|blob| {
            let (x, y) = blob.centre();
            Delta { x, y }
        })
        .collect();
    points.sort();
    points
}

/// Recovers the core–delta pairs that the strong smoothing erased, from
/// the lighter field `light`.
///
/// A core and a delta a few ridges apart lie inside one window of the
/// strong smoothing, so its field turns by nothing round either and both
/// vanish: a short loop then reads as an arch, and a whorl whose lower
/// core lies close to one delta keeps one core and one delta. On the
/// lighter field both points stand out, though still drawn together, to
/// inside the distance at which [`detect`] cancels a crease's pair; so
/// pairs are taken from `params.singular_erased_pair_px.0` apart up to
/// `.1`, and not where a delta was found already. Only where the points
/// found leave a gap of that shape:
/// - no core at all: a pair whose delta lies below its core (a short loop);
/// - one core, not a whorl centre, and one delta: a pair whose core lies
///   within `.1` of that core and whose delta lies on the other side of
///   the two cores from the delta found (a whorl's second core and delta).
///
/// Searched everywhere, the lighter field's pairs are mostly a crease's,
/// the card's writing or the edge of the rolled area (measured on SD14 in
/// docs/BENCHMARKS.md), which is why the search is kept to these two cases.
pub fn recover_erased_pairs(
    points: &mut SingularPoints,
    light: &OrientationField,
    mask: &Grid<u8>,
    support: &Grid<f32>,
    params: &Params,
) {
    let Some(gap) = Gap::left_by(points) else {
        return;
    };
    let (closest, farthest) = params.singular_erased_pair_px;
    let close = Params {
        singular_pair_px: closest,
        ..params.clone()
    };
    let found = detect_within(light, mask, support, &close, gap.window(light, farthest));
    let already = |d: &Delta| {
        points
            .deltas
            .iter()
            .any(|e| (e.x - d.x).hypot(e.y - d.y) <= 2.0 * params.singular_merge_px)
    };
    let fills_gap = |core: &Core, d: &Delta| {
        (d.x - core.x).hypot(d.y - core.y) <= farthest && !already(d) && gap.admits(core, d, params)
    };
    for (core, delta) in pair_up(&found.cores, &found.deltas, fills_gap) {
        points.cores.push(core);
        points.deltas.push(delta);
    }
    points.sort();
}

/// Looks again for the delta of a loop whose core was found without one,
/// for its ridge count.
///
/// [`detect`] wants a point's whole ring a block inside the foreground and
/// clear ridges round it, and a loop's delta often lies low on the side of
/// the rolled area, where neither holds: the loop then reads as a loop but
/// cannot be counted. Here only the delta's own block must be foreground
/// (the ring may read the field just past the border, which
/// [`crate::orientation::smooth`] carries on from inside), the ridges round
/// it need `min_support`, and only deltas from
/// `params.singular_erased_pair_px.1` to `reach_px` from `core` that `fits`
/// admits (below the head, on the side the class puts the delta) are
/// taken: the nearest of them. (A delta a few ridges from its core lies in
/// the print's middle, where the first look and its search for erased
/// pairs read the field better; what they missed there is a crease's or
/// a smudge's.)
pub fn find_loop_delta(
    field: &OrientationField,
    mask: &Grid<u8>,
    support: &Grid<f32>,
    params: &Params,
    core: &Core,
    fits: impl Fn(&Delta) -> bool,
) -> Option<Delta> {
    let (reach_px, min_support) = params.loop_delta_search;
    let b = field.block as f32;
    let (cols, rows) = field.dims();
    let reach = (reach_px / b).ceil() as usize + RING_REACH;
    let (c, r) = ((core.x / b) as usize, (core.y / b) as usize);
    let window = (
        c.saturating_sub(reach)..(c + reach + 1).min(cols),
        r..(r + reach + 1).min(rows),
    );
    let relaxed = Params {
        singular_min_support: min_support,
        ..params.clone()
    };
    let ring_mask = crate::mask::grow(mask, RING_REACH);
    let found = detect_within(field, &ring_mask, support, &relaxed, window);
    let distance = |d: &Delta| (d.x - core.x).hypot(d.y - core.y);
    found
        .deltas
        .into_iter()
        .filter(|d| mask.get((d.x / b) as usize, (d.y / b) as usize) != 0)
        .filter(|d| (params.singular_erased_pair_px.1..=reach_px).contains(&distance(d)) && fits(d))
        .min_by(|a, b| distance(a).total_cmp(&distance(b)))
}

/// Each core with the first delta `partners` admits for it that no core
/// before it took: a delta closes one pair at most, so a second core beside
/// it is left out rather than counted to the same delta twice.
fn pair_up(
    cores: &[Core],
    deltas: &[Delta],
    partners: impl Fn(&Core, &Delta) -> bool,
) -> Vec<(Core, Delta)> {
    let mut pairs: Vec<(Core, Delta)> = Vec::new();
    for core in cores {
        let free = |d: &&Delta| !pairs.iter().any(|(_, taken)| taken == *d);
        if let Some(delta) = deltas.iter().filter(free).find(|d| partners(core, d)) {
            pairs.push((*core, *delta));
        }
    }
    pairs
}

/// Where the points found leave room for a pair the smoothing erased.
enum Gap {
    /// No core at all: a short loop.
    Loop,
    /// One core and one delta: a whorl's second core and delta.
    Whorl(Core, Delta),
}

impl Gap {
    fn left_by(points: &SingularPoints) -> Option<Gap> {
        match (&points.cores[..], &points.deltas[..]) {
            ([], _) => Some(Gap::Loop),
            // A whorl centre (index +2) holds both cores already.
            ([core], [delta]) if points.whorl_centres == 0 => Some(Gap::Whorl(*core, *delta)),
            _ => None,
        }
    }

    /// The blocks (columns, rows) where a pair filling this gap can lie:
    /// anywhere for a short loop; for a whorl's, its core within
    /// `farthest` pixels of the core found and its delta as far again.
    fn window(&self, field: &OrientationField, farthest: f32) -> (Range<usize>, Range<usize>) {
        let (cols, rows) = field.dims();
        match self {
            Gap::Loop => (0..cols, 0..rows),
            Gap::Whorl(core, _) => {
                let b = field.block as f32;
                let reach = (2.0 * farthest / b).ceil() as usize + RING_REACH + 1;
                let (c, r) = ((core.x / b) as usize, (core.y / b) as usize);
                let span = |centre: usize, len: usize| {
                    centre.saturating_sub(reach)..(centre + reach + 1).min(len)
                };
                (span(c, cols), span(r, rows))
            }
        }
    }

    /// Whether the lighter field's pair (`core`, `delta`) fills this gap.
    fn admits(&self, core: &Core, delta: &Delta, params: &Params) -> bool {
        match self {
            // A loop's delta lies below its head; a crease's pairs lie any way round.
            Gap::Loop => delta.y > core.y,
            Gap::Whorl(found_core, found_delta) => {
                let apart = (core.x - found_core.x).hypot(core.y - found_core.y);
                let mid = (core.x + found_core.x) / 2.0;
                apart > params.singular_merge_px
                    && apart <= params.singular_erased_pair_px.1
                    && (delta.x - mid).signum() != (found_delta.x - mid).signum()
            }
        }
    }
}

/// Moves each point to the nearest block, within `reach` blocks, where the
/// lightly smoothed field `fine` has the same Poincaré index: the strong
/// smoothing that suppresses spurious points also pushes close points apart.
pub fn refine(points: &mut SingularPoints, fine: &OrientationField, mask: &Grid<u8>, reach: usize) {
    move_points(points, fine, mask, reach, false);
}

/// Places each point where the ridges put it, for the output and the ridge
/// counts: as [`refine`], on the unsmoothed block field `raw` (any
/// smoothing draws a core and its delta towards each other, and every
/// ridge of that shortfall is a ridge missing from the count), then at the
/// mean of the neighbouring blocks that have the index too. A point between
/// block centres lies inside the rings of up to four blocks, so their mean
/// places it to within a quarter block rather than half of one.
pub fn place(points: &mut SingularPoints, raw: &OrientationField, mask: &Grid<u8>, reach: usize) {
    move_points(points, raw, mask, reach, true);
}

fn move_points(
    points: &mut SingularPoints,
    field: &OrientationField,
    mask: &Grid<u8>,
    reach: usize,
    centroid: bool,
) {
    let find = |at: (f32, f32), wanted: &[i32]| {
        let block = nearest_with_index(field, mask, at, reach, wanted)?;
        let spread = if centroid { 1 } else { 0 };
        Some(mean_centre_with_index(field, mask, block, spread, wanted))
    };
    for core in &mut points.cores {
        if let Some((x, y)) = find((core.x, core.y), &[1, 2]) {
            (core.x, core.y) = (x, y);
        }
    }
    for delta in &mut points.deltas {
        if let Some((x, y)) = find((delta.x, delta.y), &[-1]) {
            (delta.x, delta.y) = (x, y);
        }
    }
}

/// Whether the 8-neighbour ring of block (`c`, `r`) lies on the foreground
/// and turns by one of the `wanted` indices.
fn has_index(
    field: &OrientationField,
    mask: &Grid<u8>,
    c: usize,
    r: usize,
    wanted: &[i32],
) -> bool {
    let (cols, rows) = field.dims();
    if c < 1 || r < 1 || c + 1 >= cols || r + 1 >= rows {
        return false;
    }
    let inside = RING8
        .iter()
        .all(|&(dc, dr)| mask.get(c.wrapping_add_signed(dc), r.wrapping_add_signed(dr)) != 0);
    inside && wanted.contains(&index_on_ring(|c, r| field.angle(c, r), c, r, &RING8))
}

/// The block nearest `at` (pixels), within `reach` blocks, that [`has_index`].
fn nearest_with_index(
    field: &OrientationField,
    mask: &Grid<u8>,
    at: (f32, f32),
    reach: usize,
    wanted: &[i32],
) -> Option<(usize, usize)> {
    let b = field.block as f32;
    let (c0, r0) = ((at.0 / b) as usize, (at.1 / b) as usize);
    let mut best: Option<(f32, (usize, usize))> = None;
    for r in r0.saturating_sub(reach)..=r0 + reach {
        for c in c0.saturating_sub(reach)..=c0 + reach {
            if !has_index(field, mask, c, r, wanted) {
                continue;
            }
            let d = ((c as f32 + 0.5) * b - at.0).hypot((r as f32 + 0.5) * b - at.1);
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, (c, r)));
            }
        }
    }
    best.map(|(_, block)| block)
}

/// Mean centre, pixels, of the blocks within `spread` of `block` that
/// [`has_index`] (`block` itself has).
fn mean_centre_with_index(
    field: &OrientationField,
    mask: &Grid<u8>,
    (c0, r0): (usize, usize),
    spread: usize,
    wanted: &[i32],
) -> (f32, f32) {
    let b = field.block as f32;
    let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
    for r in r0.saturating_sub(spread)..=r0 + spread {
        for c in c0.saturating_sub(spread)..=c0 + spread {
            if has_index(field, mask, c, r, wanted) {
                sx += (c as f32 + 0.5) * b;
                sy += (r as f32 + 0.5) * b;
                n += 1.0;
            }
        }
    }
    (sx / n, sy / n)
}

fn annihilate_pairs(cores: &mut Vec<Blob>, deltas: &mut Vec<Blob>, pair_px: f32) {
    let mut i = 0;
    while i < cores.len() {
        let (cx, cy) = cores[i].centre();
        let partner = deltas.iter().position(|d| {
            let (dx, dy) = d.centre();
            (dx - cx).hypot(dy - cy) < pair_px
        });
        match partner {
            Some(j) => {
                cores.remove(i);
                deltas.remove(j);
            }
            None => i += 1,
        }
    }
}

/// Mean of `support` on the rim of the 9 × 9 square around (`c`, `r`):
/// a true singular point has clear ridges around it, a smudge does not.
fn surrounding_coherence(support: &Grid<f32>, c: usize, r: usize) -> f32 {
    let (mut sum, mut n) = (0.0, 0.0);
    for d in -4isize..=4 {
        for (dc, dr) in [(d, -4), (d, 4), (-4, d), (4, d)] {
            let (x, y) = (c as isize + dc, r as isize + dr);
            if x >= 0 && y >= 0 && (x as usize) < support.cols && (y as usize) < support.rows {
                sum += support.get(x as usize, y as usize);
            }
            n += 1.0;
        }
    }
    sum / n
}

fn ring_inside(mask: &Grid<u8>, c: usize, r: usize) -> bool {
    RING.iter()
        .all(|&(dc, dr)| mask.get(c.wrapping_add_signed(dc), r.wrapping_add_signed(dr)) != 0)
        && mask.get(c, r) != 0
}

/// Detections of one kind gathered into one point.
struct Blob {
    sx: f32,
    sy: f32,
    n: f32,
}

impl Blob {
    fn centre(&self) -> (f32, f32) {
        (self.sx / self.n, self.sy / self.n)
    }
}

fn add_to_blobs(blobs: &mut Vec<Blob>, x: f32, y: f32, merge_px: f32) {
    let near = blobs.iter_mut().find(|b| {
        let (cx, cy) = b.centre();
        (cx - x).hypot(cy - y) <= merge_px
    });
    match near {
        Some(b) => {
            b.sx += x;
            b.sy += y;
            b.n += 1.0;
        }
        None => blobs.push(Blob {
            sx: x,
            sy: y,
            n: 1.0,
        }),
    }
}

/// Direction of a core's head. Around a core the doubled ridge angle follows
/// the position angle φ: 2θ = φ + 2c, so ridges run radially (θ = φ) towards
/// φ = 2c, the loop's opening; the head lies opposite. 2c is read as the
/// mean of e^{i(2θ − φ)} on a ring of radius 3 blocks.
fn core_direction(field: &OrientationField, x: f32, y: f32) -> f32 {
    let radius = 3.0 * field.block as f32;
    let (mut sx, mut sy) = (0.0f32, 0.0f32);
    for k in 0..16 {
        let phi = k as f32 * PI / 8.0;
        let (px, py) = (x + radius * phi.cos(), y + radius * phi.sin());
        let b = field.block as f32;
        let (c2, s2) = field.doubled_at(px / b, py / b);
        // e^{i2θ} · e^{−iφ}
        sx += c2 * phi.cos() + s2 * phi.sin();
        sy += s2 * phi.cos() - c2 * phi.sin();
    }
    let opening = sy.atan2(sx); // image angle, y down
    let head = opening + PI;
    // To degrees with y pointing up, in (−180, 180].
    let deg = (-head).to_degrees();
    let deg = deg.rem_euclid(360.0);
    if deg > 180.0 {
        deg - 360.0
    } else {
        deg
    }
}

/// Smoothing radii (blocks) of the multi-scale vote: the same print read
/// through lighter and stronger smoothing. A true singular point persists
/// across scales; a crease or a smudge makes points at one scale only, and
/// a delta near the edge of the rolled area survives only the lighter ones.
pub const SCALES: [usize; 4] = [2, 3, 4, 5];
/// Circle radii (blocks) of [`ring_turning`].
pub const TURNING_RADII: [f32; 4] = [3.0, 5.0, 8.0, 11.0];
/// Number of features of [`multiscale_features`].
pub const MULTISCALE_FEATURES: usize = 3 * SCALES.len() + 5 + 2 * TURNING_RADII.len();

/// Features of the singular points found at every scale of [`SCALES`]
/// (`fields`, one per scale, with the mask trimmed for detection `inner`
/// and the raw foreground `mask`): per scale the numbers of cores, whorl
/// centres and deltas; the number of deltas found at two scales or more
/// (voted), of them left and right of `anchor`, the lowest voted delta's
/// depth below the anchor, the deltas found on the lightest scale right up
/// to the foreground's edge; and [`ring_turning`] around `anchor` on the
/// strongest scale.
pub fn multiscale_features(
    fields: &[OrientationField],
    inner: &Grid<u8>,
    mask: &Grid<u8>,
    support: &Grid<f32>,
    params: &Params,
    anchor: (f32, f32),
) -> Vec<f32> {
    let mut out = Vec::with_capacity(MULTISCALE_FEATURES);
    let mut all_deltas: Vec<(usize, Delta)> = Vec::new();
    for (s, field) in fields.iter().enumerate() {
        let points = detect(field, inner, support, params);
        let cores = points.cores.len() - points.whorl_centres;
        out.extend([
            (cores as f32).min(3.0),
            (points.whorl_centres as f32).min(2.0),
            (points.deltas.len() as f32).min(3.0),
        ]);
        all_deltas.extend(points.deltas.iter().map(|d| (s, *d)));
    }
    let vote_px = 2.0 * params.singular_merge_px;
    let mut voted: Vec<Delta> = Vec::new();
    for (s, d) in &all_deltas {
        let scales = all_deltas
            .iter()
            .filter(|(t, e)| t != s && (e.x - d.x).hypot(e.y - d.y) < vote_px)
            .count();
        if scales >= 1
            && voted
                .iter()
                .all(|v| (v.x - d.x).hypot(v.y - d.y) >= vote_px)
        {
            voted.push(*d);
        }
    }
    let b = fields.first().map_or(8.0, |f| f.block as f32);
    let (ax, ay) = (anchor.0 * b, anchor.1 * b);
    let left = voted.iter().filter(|d| d.x < ax).count() as f32;
    let right = voted.len() as f32 - left;
    let lowest = voted
        .iter()
        .map(|d| (d.y - ay) / 100.0)
        .fold(0.0f32, f32::max);
    // Up to the edge: no margin and no support test, lightest scale only.
    let edge = match fields.first() {
        Some(field) => {
            let loose = Params {
                singular_min_support: 0.0,
                ..params.clone()
            };
            detect(field, mask, support, &loose).deltas.len() as f32
        }
        None => 0.0,
    };
    out.extend([
        (voted.len() as f32).min(3.0),
        left.min(2.0),
        right.min(2.0),
        lowest.min(4.0),
        edge.min(4.0),
    ]);
    if let Some(field) = fields.last() {
        for radius in TURNING_RADII {
            let (turn, share) = ring_turning(field, mask, anchor, radius);
            out.extend([turn, share]);
        }
    }
    out
}

/// How far the ridge direction turns, in half turns, walking round the
/// circle of `radius` blocks about `centre` (block units) over the arcs that
/// lie on the finger, and the share of the circle that does. Over a whole
/// circle this is the Poincaré index of everything inside, read without
/// rounding: about 1 round a loop's core, 2 round a whorl's centre, 0 once
/// the circle takes in the deltas too.
pub fn ring_turning(
    field: &OrientationField,
    mask: &Grid<u8>,
    centre: (f32, f32),
    radius: f32,
) -> (f32, f32) {
    let steps = ((2.0 * PI * radius) as usize).max(16);
    let point = |k: usize| {
        let phi = k as f32 * 2.0 * PI / steps as f32;
        (centre.0 + radius * phi.cos(), centre.1 + radius * phi.sin())
    };
    let on = |p: (f32, f32)| {
        p.0 >= 0.0
            && p.1 >= 0.0
            && (p.0 as usize) < mask.cols
            && (p.1 as usize) < mask.rows
            && mask.get(p.0 as usize, p.1 as usize) != 0
    };
    let angle = |p: (f32, f32)| {
        let (cos2, sin2) = field.doubled_at(p.0, p.1);
        crate::orientation::ridge_angle(cos2, sin2)
    };
    let (mut total, mut inside) = (0.0, 0usize);
    for k in 0..steps {
        let (a, b) = (point(k), point(k + 1));
        if on(a) && on(b) {
            total += wrap_half_turn(angle(b) - angle(a));
            inside += 1;
        }
    }
    (total / PI, inside as f32 / steps as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The block field of ridges that turn once round `core` (pixels), as
    /// an unsmoothed field would read them.
    fn field_round(core: (f32, f32), blocks: usize) -> (OrientationField, Grid<u8>) {
        // θ = ½ arg(z − core): the doubled angle is the argument itself.
        let field = OrientationField::from_directions(blocks, blocks, 8, |x, y| {
            (y * 8.0 - core.1).atan2(x * 8.0 - core.0) / 2.0
        });
        (field, Grid::filled(blocks, blocks, 1))
    }

    fn one_core_at(x: f32, y: f32) -> SingularPoints {
        SingularPoints {
            cores: vec![Core {
                x,
                y,
                angle_deg: 90.0,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_core_between_block_centres_is_placed_at_its_corner() {
        // (80, 80) is the corner of four blocks, 4 px from each centre.
        let (field, mask) = field_round((80.0, 80.0), 20);
        let mut points = one_core_at(68.0, 90.0);
        place(&mut points, &field, &mask, 2);
        let core = points.cores[0];
        assert!(
            (core.x - 80.0).abs() < 1.0 && (core.y - 80.0).abs() < 1.0,
            "placed at ({}, {})",
            core.x,
            core.y
        );
        // Refining moves it to one block centre only, 4 px off on each axis.
        let mut refined = one_core_at(68.0, 90.0);
        refine(&mut refined, &field, &mask, 2);
        let core = refined.cores[0];
        assert_eq!(((core.x - 80.0).abs(), (core.y - 80.0).abs()), (4.0, 4.0));
    }

    fn core(x: f32, y: f32) -> Core {
        Core {
            x,
            y,
            angle_deg: 90.0,
        }
    }

    #[test]
    fn only_a_print_missing_a_pair_is_searched_for_one() {
        let delta = Delta { x: 60.0, y: 200.0 };
        let points = |cores: Vec<Core>, deltas: Vec<Delta>, whorl_centres| SingularPoints {
            cores,
            deltas,
            whorl_centres,
        };
        assert!(matches!(
            Gap::left_by(&points(vec![], vec![delta], 0)),
            Some(Gap::Loop)
        ));
        assert!(matches!(
            Gap::left_by(&points(vec![core(150.0, 120.0)], vec![delta], 0)),
            Some(Gap::Whorl(..))
        ));
        // A whorl centre holds both cores; a loop with its delta missing
        // (one core, no delta) or a full whorl has no erased pair to find.
        let full = [
            points(vec![core(150.0, 120.0)], vec![delta], 1),
            points(vec![core(150.0, 120.0)], vec![], 0),
            points(vec![core(150.0, 120.0), core(150.0, 160.0)], vec![delta], 0),
        ];
        assert!(full.iter().all(|p| Gap::left_by(p).is_none()));
    }

    #[test]
    fn a_whorls_second_pair_lies_across_from_the_delta_found() {
        let params = Params::default();
        let found = Gap::Whorl(core(150.0, 120.0), Delta { x: 60.0, y: 200.0 });
        let across = Delta { x: 210.0, y: 175.0 };
        let same_side = Delta { x: 110.0, y: 175.0 };
        assert!(found.admits(&core(155.0, 160.0), &across, &params));
        assert!(!found.admits(&core(155.0, 160.0), &same_side, &params));
        // Too near the core found (one point, merged) or too far from it.
        assert!(!found.admits(&core(152.0, 135.0), &across, &params));
        assert!(!found.admits(&core(160.0, 230.0), &across, &params));
        // A short loop's delta lies below its core.
        let above = Delta { x: 120.0, y: 90.0 };
        assert!(Gap::Loop.admits(&core(100.0, 120.0), &across, &params));
        assert!(!Gap::Loop.admits(&core(100.0, 120.0), &above, &params));
    }

    #[test]
    fn a_delta_closes_one_erased_pair_at_most() {
        let near = |c: &Core, d: &Delta| (d.x - c.x).hypot(d.y - c.y) <= 50.0;
        let below = Delta { x: 100.0, y: 160.0 };
        let cores = [core(100.0, 120.0), core(110.0, 125.0)];
        // Two cores beside one delta: the first keeps it, the second is left out.
        assert_eq!(pair_up(&cores, &[below], near), vec![(cores[0], below)]);
        // With a second delta in reach, the second core takes that one.
        let other = Delta { x: 140.0, y: 150.0 };
        assert_eq!(
            pair_up(&cores, &[below, other], near),
            vec![(cores[0], below), (cores[1], other)]
        );
    }

    #[test]
    fn a_loops_delta_at_the_edge_of_the_print_is_found_again() {
        // Ridges turning once round a core and back once round a delta
        // below and to its right, the foreground ending a block right of
        // the delta: every ring round it leaves the foreground, so
        // detection misses it.
        let (at_core, at_delta) = ((160.0, 120.0), (230.0, 230.0));
        let field = OrientationField::from_directions(40, 40, 8, |x, y| {
            let turn = |(px, py): (f32, f32)| (y * 8.0 - py).atan2(x * 8.0 - px) / 2.0;
            turn(at_core) - turn(at_delta)
        });
        let mut mask = Grid::filled(40, 40, 1u8);
        for r in 0..40 {
            for c in 29..40 {
                mask.set(c, r, 0);
            }
        }
        let support = Grid::filled(40, 40, 1.0);
        let params = Params::default();
        assert!(detect(&field, &mask, &support, &params).deltas.is_empty());
        let core = core(at_core.0, at_core.1);
        let right_of_core = |d: &Delta| d.x > core.x;
        let found = find_loop_delta(&field, &mask, &support, &params, &core, right_of_core)
            .expect("the delta at the edge");
        assert!(
            (found.x - at_delta.0).hypot(found.y - at_delta.1) < 12.0,
            "{found:?}"
        );
        // Only on the side the class puts it, and within reach.
        let left_of_core = |d: &Delta| d.x < core.x;
        assert!(find_loop_delta(&field, &mask, &support, &params, &core, left_of_core).is_none());
        let near = Params {
            loop_delta_search: (100.0, 0.1),
            ..params
        };
        assert!(find_loop_delta(&field, &mask, &support, &near, &core, right_of_core).is_none());
    }

    #[test]
    fn a_point_with_no_ring_of_its_index_in_reach_stays() {
        let (field, mask) = field_round((120.0, 120.0), 20);
        let mut points = SingularPoints {
            deltas: vec![Delta { x: 40.0, y: 40.0 }],
            ..Default::default()
        };
        place(&mut points, &field, &mask, 2);
        assert_eq!((points.deltas[0].x, points.deltas[0].y), (40.0, 40.0));
    }
}
