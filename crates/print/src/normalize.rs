//! Normalisation: the grey mean and contrast (standard deviation) of every
//! block, so later stages judge ridges by local contrast rather than by
//! absolute grey level (inking and pressure vary across a rolled print).

use image::GrayImage;

use crate::grid::Grid;

/// Grey mean and standard deviation per block.
#[derive(Clone, Debug, Default)]
pub struct BlockStats {
    /// Mean grey level, 0–255.
    pub mean: Grid<f32>,
    /// Standard deviation of the grey level.
    pub std_dev: Grid<f32>,
}

/// Computes [`BlockStats`] over `block × block` blocks.
pub fn compute(image: &GrayImage, block: usize, out: &mut BlockStats) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let (cols, rows) = (w / block, h / block);
    out.mean.reset(cols, rows);
    out.std_dev.reset(cols, rows);
    let px = image.as_raw();
    for y in 0..rows * block {
        let row = &px[y * w..y * w + cols * block];
        let r = y / block;
        for (c, chunk) in row.chunks_exact(block).enumerate() {
            let (s, s2) = chunk.iter().fold((0u32, 0u32), |(s, s2), &p| {
                (s + u32::from(p), s2 + u32::from(p) * u32::from(p))
            });
            let i = r * cols + c;
            out.mean.data[i] += s as f32;
            out.std_dev.data[i] += s2 as f32;
        }
    }
    let n = (block * block) as f32;
    for (m, sd) in out.mean.data.iter_mut().zip(out.std_dev.data.iter_mut()) {
        *m /= n;
        *sd = (*sd / n - *m * *m).max(0.0).sqrt();
    }
}
