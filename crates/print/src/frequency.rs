//! Ridge frequency: the local ridge period, from the grey "x-signature" of an
//! oriented window (Hong, Wan and Jain): the profile across the ridges,
//! averaged along them, whose minima are the ridges.

use image::GrayImage;

use crate::grid::Grid;
use crate::orientation::OrientationField;
use crate::params::Params;

/// Length of the signature across the ridges, pixels (at 500 ppi).
const ACROSS: usize = 32;
/// Length averaged along the ridges, pixels.
const ALONG: usize = 12;

/// Estimates the ridge period (pixels) of every second foreground block;
/// 0 where no plausible period was found, or outside the mask.
pub fn compute(
    image: &GrayImage,
    field: &OrientationField,
    mask: &Grid<u8>,
    params: &Params,
    out: &mut Grid<f32>,
) {
    let (cols, rows) = field.dims();
    out.reset(cols, rows);
    let b = field.block as f32;
    let mut signature = [0.0f32; ACROSS];
    for r in (0..rows).step_by(2) {
        for c in (0..cols).step_by(2) {
            if mask.get(c, r) == 0 {
                continue;
            }
            let centre = ((c as f32 + 0.5) * b, (r as f32 + 0.5) * b);
            x_signature(image, field.angle(c, r), centre, &mut signature);
            out.set(c, r, period_of(&signature, params.period_range));
        }
    }
}

fn x_signature(image: &GrayImage, theta: f32, centre: (f32, f32), signature: &mut [f32; ACROSS]) {
    let (along_x, along_y) = (theta.cos(), theta.sin());
    let (across_x, across_y) = (-along_y, along_x);
    let (w, h) = (image.width() as i32, image.height() as i32);
    let px = image.as_raw();
    let at = |u: f32, v: f32| {
        (
            nearest(centre.0 + u * across_x + v * along_x),
            nearest(centre.1 + u * across_y + v * along_y),
        )
    };
    let (u_ends, v_ends) = (
        [offset(0, ACROSS), offset(ACROSS - 1, ACROSS)],
        [offset(0, ALONG), offset(ALONG - 1, ALONG)],
    );
    // Both coordinates are affine in (u, v), so the window's extremes are
    // at its corners; a pixel of margin covers the rounding of the sums.
    let inside = u_ends.iter().all(|&u| {
        v_ends.iter().all(|&v| {
            let (x, y) = at(u, v);
            x >= 1 && y >= 1 && x < w - 1 && y < h - 1
        })
    });
    if inside {
        fill_signature(signature, at, |x, y| px[(y * w + x) as usize]);
    } else {
        fill_signature(signature, at, |x, y| {
            px[(y.clamp(0, h - 1) * w + x.clamp(0, w - 1)) as usize]
        });
    }
}

/// Position of sample `k` of `n` about the window's centre.
fn offset(k: usize, n: usize) -> f32 {
    k as f32 - n as f32 / 2.0
}

/// The signature from the pixel positions `at(u, v)` (across, along) and
/// the grey level `pixel(x, y)`; the window of [`x_signature`] clamps
/// `pixel` to the image only where it reaches past an edge.
fn fill_signature(
    signature: &mut [f32; ACROSS],
    at: impl Fn(f32, f32) -> (i32, i32),
    pixel: impl Fn(i32, i32) -> u8,
) {
    for (k, slot) in signature.iter_mut().enumerate() {
        let u = offset(k, ACROSS);
        let mut sum = 0.0;
        for j in 0..ALONG {
            let (x, y) = at(u, offset(j, ALONG));
            sum += f32::from(pixel(x, y));
        }
        *slot = sum / ALONG as f32;
    }
}

/// The nearest pixel index for a coordinate, for the clamped look-ups
/// above: `(v + 0.5)` truncated equals `v.round()` for v ≥ 0, and both end
/// up at 0 for v < 0 once clamped. `f32::round` is a library call on
/// baseline x86-64 (no SSE4.1), and this loop makes ~300,000 of them a print.
fn nearest(v: f32) -> i32 {
    (v + 0.5) as i32
}

/// Mean distance between the signature's local minima, if plausible.
fn period_of(signature: &[f32], range: (f32, f32)) -> f32 {
    let minima: Vec<usize> = (1..signature.len() - 1)
        .filter(|&i| signature[i] < signature[i - 1] && signature[i] <= signature[i + 1])
        .collect();
    if minima.len() < 2 {
        return 0.0;
    }
    let period = (minima[minima.len() - 1] - minima[0]) as f32 / (minima.len() - 1) as f32;
    if period >= range.0 && period <= range.1 {
        period
    } else {
        0.0
    }
}

/// Median of the periods found (0 when none): the print's typical ridge period.
pub fn median_period(periods: &Grid<f32>) -> f32 {
    let mut found: Vec<f32> = periods.data.iter().copied().filter(|&p| p > 0.0).collect();
    if found.is_empty() {
        return 0.0;
    }
    let mid = found.len() / 2;
    *found.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1
}
