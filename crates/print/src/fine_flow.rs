//! Pseudo-ridges traced on a fine orientation field round the core.
//!
//! The field of [`crate::flow`] is read on 8-pixel blocks smoothed over
//! about 70 pixels: enough to follow the pattern as a whole, but a central
//! pocket's inner circuit (a ridge circling at one to three ridge periods,
//! 10–30 pixels, from the centre) is smoothed away, and the whorl reads as
//! the loop its outer ridges make. Here the structure tensor is summed on
//! 2-pixel cells of a window round the core and smoothed over about 8
//! pixels, so small circuits survive, and the same tracer follows them.

use image::GrayImage;

use crate::flow::{self, Trace};
use crate::grid::Grid;
use crate::orientation::{self, BlockTensors, OrientationField, SmoothScratch};

/// Side of a cell of the fine field, pixels.
const CELL: usize = 2;
/// Half the side of the window round the anchor, pixels (at 500 ppi).
const HALF_WINDOW: usize = 96;
/// Radius (cells) of the box filter, applied twice, that smooths the fine
/// tensors: σ ≈ 2 cells = 4 pixels, under half a ridge period.
const SMOOTH_RADIUS: usize = 3;
/// Radii (cells) of the inner disk and the ring of seeds round the anchor.
const RADII: [f32; 2] = [16.0, 32.0];
/// Seed lattice pitches (cells) in the disk and the ring.
const SEED_PITCH: [isize; 2] = [4, 6];
/// Steps of two cells (4 pixels, under half a ridge period), enough to
/// leave the window or circle three times: half the work of one-cell steps.
const REACH: flow::Reach = flow::Reach {
    step: 2.0,
    max_steps: 80,
};

/// Number of features of [`features`].
pub const FEATURES: usize = 2 * flow::ZONE_FEATURES;

/// Buffers reused from one print to the next.
#[derive(Debug, Default)]
pub struct FineScratch {
    crop: GrayImage,
    tensors: BlockTensors,
    mask: Grid<u8>,
    smooth: SmoothScratch,
    field: OrientationField,
}

/// The fine window round `anchor` (pixels): its field, its foreground and
/// the anchor in cell units. `None` when the image is smaller than a cell.
fn fine_field<'s>(
    image: &GrayImage,
    mask: &Grid<u8>,
    block: usize,
    anchor: (f32, f32),
    scratch: &'s mut FineScratch,
) -> Option<(&'s OrientationField, &'s Grid<u8>, (f32, f32))> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let side_x = (2 * HALF_WINDOW).min(w);
    let side_y = (2 * HALF_WINDOW).min(h);
    if side_x < 4 * CELL || side_y < 4 * CELL || block == 0 {
        return None;
    }
    let x0 = (anchor.0 as isize - HALF_WINDOW as isize).clamp(0, (w - side_x) as isize) as u32;
    let y0 = (anchor.1 as isize - HALF_WINDOW as isize).clamp(0, (h - side_y) as isize) as u32;
    scratch.crop =
        image::imageops::crop_imm(image, x0, y0, side_x as u32, side_y as u32).to_image();
    orientation::block_tensors(&scratch.crop, CELL, &mut scratch.tensors);
    let (cols, rows) = (scratch.tensors.vx.cols, scratch.tensors.vx.rows);
    scratch.mask.reset(cols, rows);
    for r in 0..rows {
        for c in 0..cols {
            let bc = (x0 as usize + c * CELL + CELL / 2) / block;
            let br = (y0 as usize + r * CELL + CELL / 2) / block;
            let inside = bc < mask.cols && br < mask.rows && mask.get(bc, br) != 0;
            scratch.mask.set(c, r, u8::from(inside));
        }
    }
    orientation::smooth(
        &scratch.tensors,
        &scratch.mask,
        SMOOTH_RADIUS,
        &mut scratch.smooth,
        &mut scratch.field,
    );
    let cell = CELL as f32;
    let at = ((anchor.0 - x0 as f32) / cell, (anchor.1 - y0 as f32) / cell);
    Some((&scratch.field, &scratch.mask, at))
}

/// Flow features of the fine field round `anchor` (pixels): the twelve
/// summaries of [`flow`] for the seeds of the inner disk and of the ring
/// round it ([`RADII`], in cells).
pub fn features(
    image: &GrayImage,
    mask: &Grid<u8>,
    block: usize,
    anchor: (f32, f32),
    scratch: &mut FineScratch,
) -> Vec<f32> {
    let mut zones: [Vec<Trace>; 2] = [Vec::new(), Vec::new()];
    if let Some((field, fine_mask, at)) = fine_field(image, mask, block, anchor, scratch) {
        let (cols, rows) = (fine_mask.cols as isize, fine_mask.rows as isize);
        let (ac, ar) = (at.0.round() as isize, at.1.round() as isize);
        let span = RADII[1] as isize;
        for dr in -span..=span {
            for dc in -span..=span {
                let (c, r) = (ac + dc, ar + dr);
                if c < 0 || r < 0 || c >= cols || r >= rows {
                    continue;
                }
                if fine_mask.get(c as usize, r as usize) == 0 {
                    continue;
                }
                let radius = (dc as f32).hypot(dr as f32);
                let Some(zone) = RADII.iter().position(|&limit| radius <= limit) else {
                    continue;
                };
                let pitch = SEED_PITCH[zone];
                if dc.rem_euclid(pitch) != 0 || dr.rem_euclid(pitch) != 0 {
                    continue;
                }
                let seed = (c as f32 + 0.5, r as f32 + 0.5);
                zones[zone].push(flow::trace_with(field, fine_mask, seed, REACH));
            }
        }
    }
    let mut out = Vec::with_capacity(FEATURES);
    for traces in &zones {
        flow::zone_features(traces, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::TAU;

    /// Concentric ridges of period 9 px round (`cx`, `cy`): a whorl's centre.
    fn target(cx: f32, cy: f32) -> GrayImage {
        GrayImage::from_fn(240, 240, |x, y| {
            let d = (x as f32 - cx).hypot(y as f32 - cy);
            image::Luma([(128.0 + 100.0 * (d * TAU / 9.0).cos()) as u8])
        })
    }

    fn all_foreground(image: &GrayImage, block: usize) -> Grid<u8> {
        let (cols, rows) = (
            image.width() as usize / block,
            image.height() as usize / block,
        );
        Grid::filled(cols, rows, 1)
    }

    #[test]
    fn small_circuits_round_the_core_circle() {
        let image = target(120.0, 120.0);
        let mask = all_foreground(&image, 8);
        // The anchor a little off the centre, as a detected core is.
        let f = features(
            &image,
            &mask,
            8,
            (126.0, 114.0),
            &mut FineScratch::default(),
        );
        assert_eq!(f.len(), FEATURES);
        // Inner disk: most lines circle (the first feature of a zone).
        assert!(f[0] > 0.5, "circling share {}", f[0]);
    }

    #[test]
    fn straight_ridges_do_not_circle() {
        let image = GrayImage::from_fn(240, 240, |x, _| {
            image::Luma([(128.0 + 100.0 * (x as f32 * TAU / 9.0).cos()) as u8])
        });
        let mask = all_foreground(&image, 8);
        let f = features(
            &image,
            &mask,
            8,
            (120.0, 120.0),
            &mut FineScratch::default(),
        );
        assert_eq!(f[0], 0.0);
        // Nearly all straight (third feature).
        assert!(f[2] > 0.9, "straight share {}", f[2]);
    }

    #[test]
    fn an_anchor_at_the_edge_or_a_tiny_image_is_handled() {
        let image = target(20.0, 20.0);
        let mask = all_foreground(&image, 8);
        let f = features(&image, &mask, 8, (0.0, 239.0), &mut FineScratch::default());
        assert_eq!(f.len(), FEATURES);
        let tiny = GrayImage::new(5, 5);
        let f = features(
            &tiny,
            &Grid::new(0, 0),
            8,
            (2.0, 2.0),
            &mut FineScratch::default(),
        );
        assert_eq!(f, vec![0.0; FEATURES]);
    }
}
