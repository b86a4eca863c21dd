//! Orientation field: the local ridge direction of every block, with its
//! reliability (coherence).
//!
//! Gradients come from a Sobel operator; their structure tensor is summed
//! over each block and averaged over neighbouring blocks in the doubled-angle
//! representation, where opposite gradients (the two flanks of one ridge)
//! add up instead of cancelling.

use image::GrayImage;

use crate::grid::{box_blur, Grid};

/// Structure tensor sums of every block, before any smoothing.
#[derive(Clone, Debug, Default)]
pub struct BlockTensors {
    /// Block side in pixels.
    pub block: usize,
    /// Doubled-angle ridge vector, x part: mean of gy² − gx².
    pub vx: Grid<f32>,
    /// Doubled-angle ridge vector, y part: mean of −2·gx·gy.
    pub vy: Grid<f32>,
    /// Mean squared gradient magnitude, gx² + gy².
    pub energy: Grid<f32>,
}

impl BlockTensors {
    /// The tensors of the print seen in a mirror (left and right swapped):
    /// columns reversed, and gx changes sign, so the gx·gy part does too.
    /// Exact when the image width is a multiple of the block.
    pub fn mirrored(&self) -> BlockTensors {
        let mut vy = self.vy.mirrored();
        vy.data.iter_mut().for_each(|v| *v = -*v);
        BlockTensors {
            block: self.block,
            vx: self.vx.mirrored(),
            vy,
            energy: self.energy.mirrored(),
        }
    }
}

/// A smoothed orientation field.
#[derive(Clone, Debug, Default)]
pub struct OrientationField {
    /// Block side in pixels.
    pub block: usize,
    /// Unit doubled-angle vector, cos 2θ, θ the ridge direction.
    pub cos2: Grid<f32>,
    /// Unit doubled-angle vector, sin 2θ.
    pub sin2: Grid<f32>,
    /// Reliability 0–1: how well the gradients of the neighbourhood agree.
    pub coherence: Grid<f32>,
}

impl OrientationField {
    /// Ridge direction of block (`c`, `r`), radians in [0, π), measured from
    /// the x axis towards +y (image rows grow downwards).
    pub fn angle(&self, c: usize, r: usize) -> f32 {
        ridge_angle(self.cos2.get(c, r), self.sin2.get(c, r))
    }

    /// Ridge direction at pixel (`x`, `y`), interpolated between block centres.
    pub fn angle_at(&self, x: f32, y: f32) -> f32 {
        let b = self.block as f32;
        let (c, r) = (x / b - 0.5, y / b - 0.5);
        ridge_angle(self.cos2.sample(c, r), self.sin2.sample(c, r))
    }

    /// Number of block columns and rows.
    pub fn dims(&self) -> (usize, usize) {
        (self.cos2.cols, self.cos2.rows)
    }
}

/// The ridge angle in [0, π) of a doubled-angle vector.
pub fn ridge_angle(cos2: f32, sin2: f32) -> f32 {
    let a = 0.5 * sin2.atan2(cos2);
    if a < 0.0 {
        a + std::f32::consts::PI
    } else {
        a
    }
}

/// Sums the Sobel structure tensor over every `block × block` block of `image`.
pub fn block_tensors(image: &GrayImage, block: usize, out: &mut BlockTensors) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let (cols, rows) = (w / block, h / block);
    out.block = block;
    out.vx.reset(cols, rows);
    out.vy.reset(cols, rows);
    out.energy.reset(cols, rows);
    let px = image.as_raw();
    let at = |x: usize, y: usize| i32::from(px[y * w + x]);
    for y in 1..(rows * block).min(h - 1) {
        let r = y / block;
        for x in 1..(cols * block).min(w - 1) {
            let gx = (at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1))
                - (at(x - 1, y - 1) + 2 * at(x - 1, y) + at(x - 1, y + 1));
            let gy = (at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1))
                - (at(x - 1, y - 1) + 2 * at(x, y - 1) + at(x + 1, y - 1));
            let (gx, gy) = (gx as f32, gy as f32);
            let i = r * cols + x / block;
            out.vx.data[i] += gy * gy - gx * gx;
            out.vy.data[i] -= 2.0 * gx * gy;
            out.energy.data[i] += gx * gx + gy * gy;
        }
    }
    let n = (block * block) as f32;
    for g in [&mut out.vx, &mut out.vy, &mut out.energy] {
        g.data.iter_mut().for_each(|v| *v /= n);
    }
}

/// Scratch grids reused between calls of [`smooth`].
#[derive(Clone, Debug, Default)]
pub struct SmoothScratch {
    vx: Grid<f32>,
    vy: Grid<f32>,
    energy: Grid<f32>,
    tmp: Grid<f32>,
    out: Grid<f32>,
}

/// Smooths the tensors of the foreground blocks (`mask`) with two passes of
/// a box filter of `radius` blocks and normalises them into `field`.
/// Background blocks get the smoothed direction of their neighbours, so the
/// field is defined everywhere, but coherence 0.
pub fn smooth(
    tensors: &BlockTensors,
    mask: &Grid<u8>,
    radius: usize,
    scratch: &mut SmoothScratch,
    field: &mut OrientationField,
) {
    let (cols, rows) = (tensors.vx.cols, tensors.vx.rows);
    let s = scratch;
    for (dst, src) in [
        (&mut s.vx, &tensors.vx),
        (&mut s.vy, &tensors.vy),
        (&mut s.energy, &tensors.energy),
    ] {
        dst.reset(cols, rows);
        for (i, v) in src.data.iter().enumerate() {
            dst.data[i] = if mask.data[i] != 0 { *v } else { 0.0 };
        }
        for _ in 0..2 {
            box_blur(dst, radius, &mut s.tmp, &mut s.out);
            std::mem::swap(dst, &mut s.out);
        }
    }
    field.block = tensors.block;
    field.cos2.reset(cols, rows);
    field.sin2.reset(cols, rows);
    field.coherence.reset(cols, rows);
    for i in 0..cols * rows {
        let (vx, vy) = (s.vx.data[i], s.vy.data[i]);
        let norm = (vx * vx + vy * vy).sqrt();
        if norm > 1e-6 {
            field.cos2.data[i] = vx / norm;
            field.sin2.data[i] = vy / norm;
        } else {
            field.cos2.data[i] = 1.0;
        }
        if mask.data[i] != 0 && s.energy.data[i] > 1e-6 {
            field.coherence.data[i] = (norm / s.energy.data[i]).min(1.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripes(angle: f32) -> GrayImage {
        let (c, s) = (angle.cos(), angle.sin());
        GrayImage::from_fn(96, 96, |x, y| {
            // Distance across the ridges: along the normal (−sin, cos).
            let d = -(x as f32) * s + y as f32 * c;
            image::Luma([(128.0 + 100.0 * (d * std::f32::consts::TAU / 9.0).cos()) as u8])
        })
    }

    #[test]
    fn finds_the_direction_of_straight_ridges() {
        for deg in [0.0f32, 30.0, 90.0, 135.0] {
            let img = stripes(deg.to_radians());
            let mut t = BlockTensors::default();
            block_tensors(&img, 8, &mut t);
            let mask = Grid {
                cols: t.vx.cols,
                rows: t.vx.rows,
                data: vec![1; t.vx.data.len()],
            };
            let mut field = OrientationField::default();
            smooth(&t, &mask, 1, &mut SmoothScratch::default(), &mut field);
            let got = field.angle(6, 6).to_degrees();
            let diff = (got - deg).abs() % 180.0;
            assert!(diff.min(180.0 - diff) < 3.0, "{deg}° read as {got}°");
            assert!(field.coherence.get(6, 6) > 0.9);
        }
    }
}
