//! Quality: a 0–100 score per block and for the whole print.
//!
//! A block is good when its ridges agree on one direction (coherence), stand
//! out from the valleys (contrast) and have a plausible period. The print's
//! score is the mean over its foreground, lowered when the finger covers
//! too little of the image to show its pattern.

use serde::{Deserialize, Serialize};

use crate::grid::Grid;
use crate::normalize::BlockStats;
use crate::orientation::OrientationField;

/// Contrast (grey standard deviation) above which a block counts as fully contrasted.
const FULL_CONTRAST: f32 = 40.0;
/// Foreground share of the image below which the score is scaled down.
const FULL_AREA_SHARE: f32 = 0.25;

/// Quality of one print.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Whole-print score, 0–100.
    pub score: u8,
    /// Block columns of [`Quality::blocks`].
    pub cols: usize,
    /// Block rows.
    pub rows: usize,
    /// Per-block score 0–100, row after row (0 outside the foreground).
    pub blocks: Vec<u8>,
}

/// Scores every foreground block and the print.
pub fn compute(
    field: &OrientationField,
    stats: &BlockStats,
    periods: &Grid<f32>,
    mask: &Grid<u8>,
) -> Quality {
    let (cols, rows) = field.dims();
    let mut blocks = vec![0u8; cols * rows];
    let (mut sum, mut n) = (0.0f32, 0usize);
    let period_share = found_period_share(periods, mask);
    for (i, block) in blocks.iter_mut().enumerate() {
        if mask.data[i] == 0 {
            continue;
        }
        let contrast = (stats.std_dev.data[i] / FULL_CONTRAST).min(1.0);
        let q = field.coherence.data[i].sqrt() * contrast.sqrt() * (0.5 + 0.5 * period_share);
        *block = (q * 100.0).round() as u8;
        sum += q;
        n += 1;
    }
    let area = n as f32 / (cols * rows).max(1) as f32;
    let mean = if n > 0 { sum / n as f32 } else { 0.0 };
    let score = (mean * (area / FULL_AREA_SHARE).min(1.0) * 100.0).round() as u8;
    Quality {
        score,
        cols,
        rows,
        blocks,
    }
}

/// Share of the sampled foreground blocks where a ridge period was found.
fn found_period_share(periods: &Grid<f32>, mask: &Grid<u8>) -> f32 {
    let (mut found, mut sampled) = (0usize, 0usize);
    for r in (0..periods.rows).step_by(2) {
        for c in (0..periods.cols).step_by(2) {
            if mask.get(c, r) != 0 {
                sampled += 1;
                found += usize::from(periods.get(c, r) > 0.0);
            }
        }
    }
    if sampled == 0 {
        0.0
    } else {
        found as f32 / sampled as f32
    }
}
