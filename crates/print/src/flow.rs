//! Flow tracing: pseudo-ridges followed through the orientation field.
//!
//! The singular points are a fragile summary of a pattern: a whorl's second
//! delta lies near the edge of the rolled area or in a smudge, a crease adds
//! a core–delta pair to a loop. The ridges themselves say more robustly what
//! the pattern is: around a whorl's centre they circle (the direction turns
//! by 2π or more), a loop's ridges recurve once (π) and leave on the side
//! the loop opens to, an arch's ridges cross the finger with little turning,
//! a tented arch's with one sharp bend. This module follows pseudo-ridges
//! (streamlines of the ridge-direction field) from seeds around the pattern
//! area and summarises how they turn.

use std::f32::consts::PI;

use crate::grid::Grid;
use crate::orientation::OrientationField;

/// How far a pseudo-ridge is followed: the step and the most steps in each
/// direction from the seed, in cells of the field it runs on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reach {
    /// Step length, cells.
    pub step: f32,
    /// Most steps each way.
    pub max_steps: usize,
}

/// The reach on the block field: steps of one block, at most 110 each way.
pub const BLOCK_REACH: Reach = Reach {
    step: 1.0,
    max_steps: 110,
};
/// A line that has turned this much circles: tracing it further adds nothing.
const MAX_TURN: f32 = 3.0 * PI;
/// Seeds lie on square lattices of these pitches (blocks), aligned on the
/// anchor: the inner disk of [`RADII`] and the ring around it. The pitches
/// and step lengths keep the tracing to a few milliseconds a print.
const SEED_PITCH: [isize; 2] = [2, 3];
/// Radii (blocks) of the disk and the ring of seeds around the anchor whose
/// lines are summarised separately: the pattern area and its surroundings.
const RADII: [f32; 2] = [6.0, 14.0];

/// One traced pseudo-ridge.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trace {
    /// Signed total turning of the direction from one end to the other, radians.
    pub turning: f32,
    /// Total absolute turning: larger than |turning| when the line bends both ways.
    pub abs_turning: f32,
    /// Largest turning over any 4 consecutive steps (a sharp bend: a tent's apex).
    pub sharpest: f32,
    /// Unit vector along which the line's two ends leave, averaged: for a
    /// recurving line, the side the loop opens to (image axes, y down).
    pub opening: (f32, f32),
    /// Length in blocks.
    pub length: f32,
}

/// Pitch (blocks) of the seeds over the whole foreground, whatever the
/// singular points: a whorl whose centre the singular points missed still
/// has lines that circle somewhere.
const GLOBAL_PITCH: usize = 6;

/// Number of features of [`features`].
pub const FEATURES: usize = 3 * ZONE_FEATURES;
/// Number of summaries of one zone's lines ([`zone_features`]).
pub(crate) const ZONE_FEATURES: usize = 12;

/// Traces the pseudo-ridge through (`x`, `y`) (block units) both ways until
/// it leaves `mask`, circles, or reaches the end of [`BLOCK_REACH`].
pub fn trace(field: &OrientationField, mask: &Grid<u8>, x: f32, y: f32) -> Trace {
    trace_with(field, mask, (x, y), BLOCK_REACH)
}

/// [`trace`] on any field (`seed` in its cells), as far as `reach` allows.
pub fn trace_with(
    field: &OrientationField,
    mask: &Grid<u8>,
    seed: (f32, f32),
    reach: Reach,
) -> Trace {
    let (x, y) = seed;
    let start = field.direction_in_blocks(x, y);
    let forward = half(field, mask, (x, y), start, reach, None);
    let backward = half(field, mask, (x, y), (-start.0, -start.1), reach, None);
    // The backward half runs the other way: reversed, its turning changes sign.
    let turning = forward.turning - backward.turning;
    let (ox, oy) = (
        forward.end_dir.0 + backward.end_dir.0,
        forward.end_dir.1 + backward.end_dir.1,
    );
    let norm = ox.hypot(oy).max(1e-6);
    Trace {
        turning,
        abs_turning: forward.abs_turning + backward.abs_turning,
        sharpest: forward.sharpest.max(backward.sharpest),
        opening: (ox / norm, oy / norm),
        length: forward.length + backward.length,
    }
}

/// The points (block units) of the pseudo-ridge through (`x`, `y`), from
/// one end to the other: what [`trace`] follows, for drawing.
pub fn path(field: &OrientationField, mask: &Grid<u8>, x: f32, y: f32) -> Vec<(f32, f32)> {
    let start = field.direction_in_blocks(x, y);
    let (mut back, mut ahead) = (Vec::new(), Vec::new());
    half(
        field,
        mask,
        (x, y),
        (-start.0, -start.1),
        BLOCK_REACH,
        Some(&mut back),
    );
    half(field, mask, (x, y), start, BLOCK_REACH, Some(&mut ahead));
    back.reverse();
    back.push((x, y));
    back.extend(ahead);
    back
}

struct Half {
    turning: f32,
    abs_turning: f32,
    sharpest: f32,
    end_dir: (f32, f32),
    length: f32,
}

/// The unit ridge direction at `p` pointing the same way as `prev`.
fn aligned(field: &OrientationField, p: (f32, f32), prev: (f32, f32)) -> (f32, f32) {
    let u = field.direction_in_blocks(p.0, p.1);
    if u.0 * prev.0 + u.1 * prev.1 < 0.0 {
        (-u.0, -u.1)
    } else {
        u
    }
}

fn inside(mask: &Grid<u8>, p: (f32, f32)) -> bool {
    p.0 >= 0.0
        && p.1 >= 0.0
        && (p.0 as usize) < mask.cols
        && (p.1 as usize) < mask.rows
        && mask.get(p.0 as usize, p.1 as usize) != 0
}

fn half(
    field: &OrientationField,
    mask: &Grid<u8>,
    seed: (f32, f32),
    dir: (f32, f32),
    reach: Reach,
    mut points: Option<&mut Vec<(f32, f32)>>,
) -> Half {
    let Reach {
        step: stride,
        max_steps,
    } = reach;
    let mut p = seed;
    let mut d = dir;
    let mut out = Half {
        turning: 0.0,
        abs_turning: 0.0,
        sharpest: 0.0,
        end_dir: dir,
        length: 0.0,
    };
    let mut recent = [0.0f32; 4];
    for step in 0..max_steps {
        // Midpoint rule: the direction half a step ahead keeps the line on
        // its ridge through the curve of a recurve.
        let u1 = aligned(field, p, d);
        let mid = (p.0 + 0.5 * stride * u1.0, p.1 + 0.5 * stride * u1.1);
        if !inside(mask, mid) {
            break;
        }
        let u = aligned(field, mid, u1);
        let next = (p.0 + stride * u.0, p.1 + stride * u.1);
        if !inside(mask, next) {
            break;
        }
        let turn = (d.0 * u.1 - d.1 * u.0).atan2(d.0 * u.0 + d.1 * u.1);
        out.turning += turn;
        out.abs_turning += turn.abs();
        recent[step % 4] = turn;
        out.sharpest = out.sharpest.max(recent.iter().sum::<f32>().abs());
        out.length += stride;
        p = next;
        d = u;
        if let Some(points) = points.as_deref_mut() {
            points.push(p);
        }
        if out.turning.abs() > MAX_TURN {
            break;
        }
    }
    out.end_dir = d;
    out
}

/// Flow features around `anchor` (block coordinates): for the seeds in the
/// inner disk and in the ring around it ([`RADII`]), the share of lines
/// that circle (|turning| ≥ 1.6π), recurve (0.6π–1.6π) or run nearly
/// straight (< 0.35π); the mean and largest |turning| (over π); the mean
/// opening of the recurving lines (2 values, weighted by how many recurve);
/// the mean excess of absolute over net turning (lines that bend both ways)
/// and the largest sharp bend among the lines that do not recurve (a tent);
/// the mean length; the 90th percentile of |turning| and the share of lines
/// turning 1.3π or more. A third set of the same summarises seeds over the
/// whole foreground ([`GLOBAL_PITCH`]).
pub fn features(field: &OrientationField, mask: &Grid<u8>, anchor: (f32, f32)) -> Vec<f32> {
    let mut zones: [Vec<Trace>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let reach = RADII[1];
    let (cols, rows) = (mask.cols as isize, mask.rows as isize);
    let (ac, ar) = (anchor.0.round() as isize, anchor.1.round() as isize);
    let span = reach as isize;
    // The lattice is aligned on the anchor so that the seeds do not shift
    // with sub-block moves of the core.
    for dr in -span..=span {
        for dc in -span..=span {
            let (c, r) = (ac + dc, ar + dr);
            if c < 0 || r < 0 || c >= cols || r >= rows || mask.get(c as usize, r as usize) == 0 {
                continue;
            }
            let radius = (dc as f32).hypot(dr as f32);
            let zone = if radius <= RADII[0] {
                0
            } else if radius <= RADII[1] {
                1
            } else {
                continue;
            };
            let pitch = SEED_PITCH[zone];
            if dc.rem_euclid(pitch) != 0 || dr.rem_euclid(pitch) != 0 {
                continue;
            }
            zones[zone].push(trace(field, mask, c as f32 + 0.5, r as f32 + 0.5));
        }
    }
    let g = GLOBAL_PITCH;
    for r in (g / 2..mask.rows).step_by(g) {
        for c in (g / 2..mask.cols).step_by(g) {
            if mask.get(c, r) != 0 {
                zones[2].push(trace(field, mask, c as f32 + 0.5, r as f32 + 0.5));
            }
        }
    }
    let mut out = Vec::with_capacity(FEATURES);
    for traces in &zones {
        zone_features(traces, &mut out);
    }
    out
}

/// The [`ZONE_FEATURES`] summaries of one zone's lines (see [`features`]).
pub(crate) fn zone_features(traces: &[Trace], out: &mut Vec<f32>) {
    if traces.is_empty() {
        out.extend([0.0; ZONE_FEATURES]);
        return;
    }
    let n = traces.len() as f32;
    let (mut circling, mut recurving, mut straight) = (0.0, 0.0, 0.0);
    let (mut sum_turn, mut max_turn, mut excess) = (0.0f32, 0.0f32, 0.0f32);
    let (mut ox, mut oy) = (0.0f32, 0.0f32);
    let mut sharp = 0.0f32;
    let mut turns: Vec<f32> = traces
        .iter()
        .map(|t| t.turning.abs().min(MAX_TURN))
        .collect();
    turns.sort_by(f32::total_cmp);
    let quantile = |q: f32| turns[((turns.len() - 1) as f32 * q).round() as usize] / PI;
    let half_circling = turns.iter().filter(|&&t| t >= 1.3 * PI).count() as f32;
    for t in traces {
        let turn = t.turning.abs();
        sum_turn += turn.min(MAX_TURN);
        max_turn = max_turn.max(turn.min(MAX_TURN));
        excess += t.abs_turning - turn;
        if turn >= 1.6 * PI {
            circling += 1.0;
        } else if turn >= 0.6 * PI {
            recurving += 1.0;
            ox += t.opening.0;
            oy += t.opening.1;
        } else {
            if turn < 0.35 * PI {
                straight += 1.0;
            }
            sharp = sharp.max(t.sharpest);
        }
    }
    out.extend([
        circling / n,
        recurving / n,
        straight / n,
        sum_turn / n / PI,
        max_turn / PI,
        ox / n,
        oy / n,
        (excess / n / PI).min(3.0),
        sharp / PI,
        (traces.iter().map(|t| t.length).sum::<f32>() / n / 40.0).min(3.0),
        quantile(0.9),
        half_circling / n,
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field whose ridges circle the point (`cx`, `cy`) (block units).
    fn circles(cx: f32, cy: f32, n: usize) -> (OrientationField, Grid<u8>) {
        // Tangent direction: the radius turned by 90°.
        let field =
            OrientationField::from_directions(n, n, 8, |x, y| (y - cy).atan2(x - cx) + PI / 2.0);
        (field, Grid::filled(n, n, 1))
    }

    #[test]
    fn a_line_around_a_whorl_centre_circles() {
        let (f, mask) = circles(20.0, 20.0, 40);
        let t = trace(&f, &mask, 25.0, 20.0);
        assert!(t.turning.abs() > 1.6 * PI, "turned {}", t.turning);
    }

    #[test]
    fn straight_ridges_do_not_turn() {
        let n = 30;
        let f = OrientationField::from_directions(n, n, 8, |_, _| 0.0);
        let mask = Grid::filled(n, n, 1);
        let t = trace(&f, &mask, 15.0, 15.0);
        assert!(t.turning.abs() < 0.01);
        // Both halves run to the edges, 14.5 blocks each way.
        assert!(t.length > 25.0, "length {}", t.length);
    }

    #[test]
    fn a_recurving_line_opens_away_from_its_head() {
        // Upper half: circles around (20, 20); below it, vertical ridges:
        // a loop standing upright, opening downwards (+y).
        let (mut f, mask) = circles(20.0, 20.0, 40);
        for r in 20..40 {
            for c in 0..40 {
                f.cos2.set(c, r, -1.0); // θ = 90°: vertical ridges
                f.sin2.set(c, r, 0.0);
            }
        }
        let t = trace(&f, &mask, 20.5, 14.0);
        assert!(
            (t.turning.abs() - PI).abs() < 0.4 * PI,
            "turned {}",
            t.turning
        );
        assert!(t.opening.1 > 0.9, "opens towards {:?}", t.opening);
    }
}
