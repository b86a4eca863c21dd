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

    /// Block (`c`, `r`)'s own doubled-angle vector over its gradient
    /// energy: the ridge direction before any smoothing, as long as the
    /// block's own coherence (zero on a flat block).
    pub fn unsmoothed(&self, c: usize, r: usize) -> [f32; 2] {
        let e = self.energy.get(c, r);
        if e > 0.0 {
            [self.vx.get(c, r) / e, self.vy.get(c, r) / e]
        } else {
            [0.0, 0.0]
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
    /// A `cols × rows` field of `block`-pixel blocks, fully coherent, whose
    /// ridge direction at each block centre is `theta(x, y)` (radians, the
    /// position in blocks, block `c`'s centre at `c + 0.5`): a field drawn
    /// from a model, as the tests of the stages that read fields use.
    pub fn from_directions(
        cols: usize,
        rows: usize,
        block: usize,
        theta: impl Fn(f32, f32) -> f32,
    ) -> Self {
        let mut field = OrientationField {
            block,
            cos2: Grid::new(cols, rows),
            sin2: Grid::new(cols, rows),
            coherence: Grid::filled(cols, rows, 1.0),
        };
        for r in 0..rows {
            for c in 0..cols {
                let (sin2, cos2) = (2.0 * theta(c as f32 + 0.5, r as f32 + 0.5)).sin_cos();
                field.cos2.set(c, r, cos2);
                field.sin2.set(c, r, sin2);
            }
        }
        field
    }

    /// Ridge direction of block (`c`, `r`), radians in [0, π), measured from
    /// the x axis towards +y (image rows grow downwards).
    pub fn angle(&self, c: usize, r: usize) -> f32 {
        ridge_angle(self.cos2.get(c, r), self.sin2.get(c, r))
    }

    /// Ridge direction at pixel (`x`, `y`), interpolated between block centres.
    pub fn angle_at(&self, x: f32, y: f32) -> f32 {
        let b = self.block as f32;
        let (cos2, sin2) = self.doubled_at(x / b, y / b);
        ridge_angle(cos2, sin2)
    }

    /// The doubled-angle vector (cos 2θ, sin 2θ) interpolated between
    /// block centres at the position (`x`, `y`) in blocks (block `c`'s
    /// centre at `c + 0.5`, as [`Self::direction_in_blocks`] counts).
    pub fn doubled_at(&self, x: f32, y: f32) -> (f32, f32) {
        let at = self.cos2.bilinear(x - 0.5, y - 0.5);
        (self.cos2.sample_at(at), self.sin2.sample_at(at))
    }

    /// Unit vector along the ridges at pixel (`x`, `y`), interpolated as
    /// [`Self::angle_at`], in either of its two senses.
    pub fn direction_at(&self, x: f32, y: f32) -> (f32, f32) {
        let b = self.block as f32;
        self.direction_in_blocks(x / b, y / b)
    }

    /// [`Self::direction_at`] with the position in blocks (block `c`'s
    /// centre at `c + 0.5`): the half angle of the interpolated
    /// doubled-angle vector, without the arctangent, sine and cosine that
    /// [`Self::angle_at`] followed by `sin_cos` would cost. Where the
    /// vector vanishes (opposite directions meeting) it is the x axis.
    pub fn direction_in_blocks(&self, x: f32, y: f32) -> (f32, f32) {
        let (cos2, sin2) = self.doubled_at(x, y);
        let length = cos2.hypot(sin2);
        if length < 1e-6 {
            return (1.0, 0.0);
        }
        let cos2 = cos2 / length;
        // cos θ = √((1 + cos 2θ) / 2), sin θ = ±√((1 − cos 2θ) / 2), with
        // the sign of sin 2θ: θ in (−π/2, π/2], the same line as angle_at's.
        let cos = ((1.0 + cos2) * 0.5).max(0.0).sqrt();
        let sin = ((1.0 - cos2) * 0.5).max(0.0).sqrt();
        (cos, if sin2 < 0.0 { -sin } else { sin })
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
///
/// The sums are kept in integers, exact, and turned into floats once per
/// block; the pixels are read through three-row windows, so the hot loop
/// has no bounds checks (it was a quarter of the whole analysis).
pub fn block_tensors(image: &GrayImage, block: usize, out: &mut BlockTensors) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let (cols, rows) = (w / block, h / block);
    out.block = block;
    out.vx.reset(cols, rows);
    out.vy.reset(cols, rows);
    out.energy.reset(cols, rows);
    if w < 3 || h < 3 || block == 0 {
        return;
    }
    let px = image.as_raw();
    let n = (block * block) as f32;
    let mut sums = vec![[0i64; 3]; cols];
    for r in 0..rows {
        sums.iter_mut().for_each(|s| *s = [0; 3]);
        for y in (r * block).max(1)..((r + 1) * block).min(h - 1) {
            let above = &px[(y - 1) * w..y * w];
            let here = &px[y * w..(y + 1) * w];
            let below = &px[(y + 1) * w..(y + 2) * w];
            for (c, sum) in sums.iter_mut().enumerate() {
                let (lo, hi) = ((c * block).max(1), ((c + 1) * block).min(w - 1));
                if lo >= hi {
                    continue;
                }
                let part = sobel_sums(&above[lo - 1..=hi], &here[lo - 1..=hi], &below[lo - 1..=hi]);
                sum.iter_mut()
                    .zip(part)
                    .for_each(|(s, p)| *s += i64::from(p));
            }
        }
        for (c, sum) in sums.iter().enumerate() {
            let i = r * cols + c;
            out.vx.data[i] = sum[0] as f32 / n;
            out.vy.data[i] = sum[1] as f32 / n;
            out.energy.data[i] = sum[2] as f32 / n;
        }
    }
}

/// Over the middle pixels of three rows (each one pixel wider on both
/// sides): Σ gy² − gx², Σ −2 gx gy and Σ gx² + gy² of the Sobel gradient.
/// One block's row: at most 8 × 2 × 1020² per sum, well inside an i32.
fn sobel_sums(above: &[u8], here: &[u8], below: &[u8]) -> [i32; 3] {
    let mut sums = [0i32; 3];
    for ((a, m), b) in above.windows(3).zip(here.windows(3)).zip(below.windows(3)) {
        let v = |p: &[u8], k: usize| i32::from(p[k]);
        let gx = (v(a, 2) + 2 * v(m, 2) + v(b, 2)) - (v(a, 0) + 2 * v(m, 0) + v(b, 0));
        let gy = (v(b, 0) + 2 * v(b, 1) + v(b, 2)) - (v(a, 0) + 2 * v(a, 1) + v(a, 2));
        sums[0] += gy * gy - gx * gx;
        sums[1] -= 2 * gx * gy;
        sums[2] += gx * gx + gy * gy;
    }
    sums
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
            let mask = Grid::filled(t.vx.cols, t.vx.rows, 1);
            let mut field = OrientationField::default();
            smooth(&t, &mask, 1, &mut SmoothScratch::default(), &mut field);
            let got = field.angle(6, 6).to_degrees();
            let diff = (got - deg).abs() % 180.0;
            assert!(diff.min(180.0 - diff) < 3.0, "{deg}° read as {got}°");
            assert!(field.coherence.get(6, 6) > 0.9);
        }
    }

    #[test]
    fn direction_at_is_the_unit_vector_of_angle_at() {
        // A field whose doubled angle turns through every direction.
        let (cols, rows) = (12, 12);
        let doubled = |c: usize, r: usize| (c * rows + r) as f32 * 0.37 - 3.0;
        let grid = |f: fn(f32) -> f32| Grid {
            cols,
            rows,
            data: (0..rows)
                .flat_map(|r| (0..cols).map(move |c| f(doubled(c, r))))
                .collect(),
        };
        let field = OrientationField {
            block: 8,
            cos2: grid(f32::cos),
            sin2: grid(f32::sin),
            coherence: grid(|_| 1.0),
        };
        for (x, y) in [
            (3.0, 5.0),
            (20.5, 61.0),
            (47.0, 47.0),
            (90.0, 12.0),
            (60.2, 88.9),
        ] {
            let theta = field.angle_at(x, y);
            let (c, s) = field.direction_at(x, y);
            assert!((c.hypot(s) - 1.0).abs() < 1e-5);
            // The same line: parallel (cross product zero), either sense.
            assert!(
                (c * theta.sin() - s * theta.cos()).abs() < 1e-4,
                "({x}, {y})"
            );
        }
    }
}
