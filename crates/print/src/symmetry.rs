//! Symmetry filters on the orientation field: graded evidence of cores,
//! deltas and whorl centres (after Nilsson and Bigun's complex filters).
//!
//! The Poincaré index of [`crate::singular`] is all or nothing: a whorl's
//! second core blurred by a smudge, or a delta whose ring runs off the
//! rolled area, is simply not there. Here the doubled-angle field
//! z = e^{2iθ} is compared with the ideal field of each kind of point: around
//! a core z turns once with the polar angle φ (z ∝ e^{iφ}), around a delta
//! once against it (e^{−iφ}), around a whorl's centre twice (e^{2iφ}, the
//! ridges concentric). The normalised response |Σ z e^{−inφ} w| / Σ w is 1
//! on the ideal pattern and near 0 elsewhere; only foreground blocks count,
//! so a delta at the very edge of the print still answers from the half of
//! its ring that was rolled.

use crate::grid::Grid;
use crate::orientation::OrientationField;

/// Radii (blocks) of the rings the filters weigh: the pattern area of a
/// small and of a large pattern.
pub const RADII: [f32; 2] = [3.0, 6.0];
/// Features per radius: see [`features`].
const PER_RADIUS: usize = 12;
/// Length of [`features`].
pub const FEATURES: usize = PER_RADIUS * RADII.len();
/// A position answers only when at least this share of its ring's weight
/// lies on the finger.
const MIN_COVERAGE: f32 = 0.45;

/// One ring of filter taps.
struct Ring {
    /// (dc, dr, weight, cos φ, sin φ) per tap.
    taps: Vec<(isize, isize, f32, f32, f32)>,
}

impl Ring {
    fn new(radius: f32) -> Ring {
        let sigma = radius / 2.0;
        let reach = (radius + 2.0 * sigma).ceil() as isize;
        let mut taps = Vec::new();
        for dr in -reach..=reach {
            for dc in -reach..=reach {
                let rho = (dc as f32).hypot(dr as f32);
                if rho < 1.0 || rho > radius + 2.0 * sigma {
                    continue;
                }
                let w = (-(rho - radius).powi(2) / (2.0 * sigma * sigma)).exp();
                let phi = (dr as f32).atan2(dc as f32);
                taps.push((dc, dr, w, phi.cos(), phi.sin()));
            }
        }
        Ring { taps }
    }
}

/// Responses of the three filters at one position.
#[derive(Clone, Copy, Default)]
struct Response {
    core: f32,
    delta: f32,
    whorl: f32,
    coverage: f32,
}

fn respond(field: &OrientationField, mask: &Grid<u8>, ring: &Ring, c: usize, r: usize) -> Response {
    let (cols, rows) = field.dims();
    let (mut total, mut on) = (0.0f32, 0.0f32);
    let (mut c1, mut s1, mut cm, mut sm, mut c2, mut s2) = (0.0f32, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &(dc, dr, w, cp, sp) in &ring.taps {
        total += w;
        let (x, y) = (c as isize + dc, r as isize + dr);
        if x < 0 || y < 0 || x >= cols as isize || y >= rows as isize {
            continue;
        }
        let (x, y) = (x as usize, y as usize);
        if mask.get(x, y) == 0 {
            continue;
        }
        on += w;
        let (zc, zs) = (field.cos2.get(x, y), field.sin2.get(x, y));
        // z · e^{−iφ}, z · e^{+iφ}, z · e^{−2iφ}.
        c1 += w * (zc * cp + zs * sp);
        s1 += w * (zs * cp - zc * sp);
        cm += w * (zc * cp - zs * sp);
        sm += w * (zs * cp + zc * sp);
        let (c2p, s2p) = (cp * cp - sp * sp, 2.0 * cp * sp);
        c2 += w * (zc * c2p + zs * s2p);
        s2 += w * (zs * c2p - zc * s2p);
    }
    if on == 0.0 {
        return Response::default();
    }
    Response {
        core: c1.hypot(s1) / on,
        delta: cm.hypot(sm) / on,
        whorl: c2.hypot(s2) / on,
        coverage: on / total,
    }
}

/// Per radius of [`RADII`], 12 features: the strongest whorl response
/// anywhere, the whorl response at `anchor` (blocks) and where the strongest
/// lies from it; the strongest and second-strongest core response (the
/// second at least a ring's radius from the first) and their distance; the
/// strongest delta response left and right of the anchor (at or below its
/// ring's top) and their places below the anchor. Distances in units of 16
/// blocks.
pub fn features(field: &OrientationField, mask: &Grid<u8>, anchor: (f32, f32)) -> Vec<f32> {
    let mut out = Vec::with_capacity(FEATURES);
    let (cols, rows) = field.dims();
    let unit = 16.0;
    for radius in RADII {
        let ring = Ring::new(radius);
        let mut whorl_best = (0.0f32, 0.0f32, 0.0f32);
        let mut cores: Vec<(f32, f32, f32)> = Vec::new();
        let (mut left, mut right) = ((0.0f32, 0.0f32), (0.0f32, 0.0f32));
        let at = (
            anchor.0.round().max(0.0) as usize,
            anchor.1.round().max(0.0) as usize,
        );
        let mut whorl_at_anchor = 0.0;
        // Every second block: the rings are several blocks wide.
        for r in (0..rows).step_by(2) {
            for c in (0..cols).step_by(2) {
                if mask.get(c, r) == 0 {
                    continue;
                }
                let resp = respond(field, mask, &ring, c, r);
                if resp.coverage < MIN_COVERAGE {
                    continue;
                }
                let (dx, dy) = (c as f32 - anchor.0, r as f32 - anchor.1);
                if resp.whorl > whorl_best.0 {
                    whorl_best = (resp.whorl, dx, dy);
                }
                if c.abs_diff(at.0) <= 1 && r.abs_diff(at.1) <= 1 {
                    whorl_at_anchor = f32::max(whorl_at_anchor, resp.whorl);
                }
                cores.push((resp.core, dx, dy));
                if dy >= -radius {
                    let side = if dx < 0.0 { &mut left } else { &mut right };
                    if resp.delta > side.0 {
                        *side = (resp.delta, dy);
                    }
                }
            }
        }
        cores.sort_by(|a, b| b.0.total_cmp(&a.0));
        let first = cores.first().copied().unwrap_or_default();
        let second = cores
            .iter()
            .find(|c| (c.1 - first.1).hypot(c.2 - first.2) >= radius)
            .copied()
            .unwrap_or_default();
        out.extend([
            whorl_best.0,
            whorl_at_anchor,
            whorl_best.1 / unit,
            whorl_best.2 / unit,
            first.0,
            second.0,
            (second.1 - first.1).hypot(second.2 - first.2) / unit,
            left.0,
            right.0,
            left.1 / unit,
            right.1 / unit,
            left.0.min(right.0),
        ]);
    }
    debug_assert_eq!(out.len(), FEATURES);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::PI;

    /// A field whose doubled angle is `2θ(φ)` round block (`cx`, `cy`),
    /// φ read from the blocks' corners.
    fn field_round(cx: f32, cy: f32, doubled: impl Fn(f32) -> f32) -> OrientationField {
        OrientationField::from_directions(48, 48, 8, |x, y| {
            doubled((y - 0.5 - cy).atan2(x - 0.5 - cx)) / 2.0
        })
    }

    fn all_foreground() -> Grid<u8> {
        Grid::filled(48, 48, 1)
    }

    #[test]
    fn each_filter_answers_its_own_pattern() {
        let mask = all_foreground();
        let ring = Ring::new(RADII[0]);
        // Concentric ridges: θ = φ + π/2.
        let whorl = respond(
            &field_round(24.0, 24.0, |p| 2.0 * p + PI),
            &mask,
            &ring,
            24,
            24,
        );
        assert!(whorl.whorl > 0.99 && whorl.core < 0.1 && whorl.delta < 0.1);
        // A loop's core, turned any way: 2θ = φ + const.
        let core = respond(&field_round(24.0, 24.0, |p| p + 0.7), &mask, &ring, 24, 24);
        assert!(core.core > 0.99 && core.whorl < 0.1 && core.delta < 0.1);
        let delta = respond(&field_round(24.0, 24.0, |p| -p), &mask, &ring, 24, 24);
        assert!(delta.delta > 0.99 && delta.core < 0.1 && delta.whorl < 0.1);
        assert!((whorl.coverage - 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_delta_at_the_edge_answers_from_the_rolled_half() {
        // Only the left half of the print was rolled; the delta sits on its edge.
        let mut mask = all_foreground();
        for r in 0..48 {
            for c in 25..48 {
                mask.set(c, r, 0);
            }
        }
        let field = field_round(24.0, 24.0, |p| -p);
        let at_edge = respond(&field, &mask, &Ring::new(RADII[0]), 24, 24);
        assert!(at_edge.coverage > MIN_COVERAGE && at_edge.coverage < 0.7);
        assert!(at_edge.delta > 0.9, "{}", at_edge.delta);
        // And the feature vector sees it, left of an anchor to its right.
        let f = features(&field, &mask, (30.0, 20.0));
        assert_eq!(f.len(), FEATURES);
        assert!(f[7] > 0.9, "left delta {}", f[7]);
    }

    #[test]
    fn the_strongest_whorl_is_placed_where_it_is() {
        let field = field_round(30.0, 20.0, |p| 2.0 * p + PI);
        let f = features(&field, &all_foreground(), (24.0, 24.0));
        assert!(f[0] > 0.99);
        // 6 blocks right of and 4 above the anchor, in units of 16 blocks.
        assert!((f[2] - 6.0 / 16.0).abs() < 0.07 && (f[3] + 4.0 / 16.0).abs() < 0.07);
    }
}
