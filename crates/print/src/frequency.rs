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
    for (k, slot) in signature.iter_mut().enumerate() {
        let u = k as f32 - ACROSS as f32 / 2.0;
        let mut sum = 0.0;
        for j in 0..ALONG {
            let v = j as f32 - ALONG as f32 / 2.0;
            let x = nearest(centre.0 + u * across_x + v * along_x);
            let y = nearest(centre.1 + u * across_y + v * along_y);
            let (x, y) = (x.clamp(0, w - 1), y.clamp(0, h - 1));
            sum += f32::from(px[(y * w + x) as usize]);
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
