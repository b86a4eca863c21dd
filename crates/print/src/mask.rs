//! Foreground segmentation: which blocks hold ridges.
//!
//! A block is a candidate when its gradient energy is a fair share of the
//! image's strong blocks and its gradients agree on a direction. Morphology
//! then removes what is not a finger: an opening drops thin card lines, the
//! largest connected region drops handwriting and printed labels, and a
//! closing with hole filling mends smudged or pale patches inside the print.

use crate::grid::{box_blur, transpose, Grid};
use crate::orientation::BlockTensors;
use crate::params::Params;

/// The pipeline's first two stages: the block tensors of `image` and, from
/// them, its foreground. Shared by the analysis and by the front desk's
/// check for a print ([`crate::presence::check`]), which needs no more.
pub fn foreground(
    image: &image::GrayImage,
    params: &Params,
    tensors: &mut BlockTensors,
    mask: &mut Grid<u8>,
) {
    crate::orientation::block_tensors(image, params.block, tensors);
    compute(tensors, params, mask);
}

/// Computes the foreground mask (1 = ridges) of a print from its block tensors.
pub fn compute(tensors: &BlockTensors, params: &Params, mask: &mut Grid<u8>) {
    let (cols, rows) = (tensors.energy.cols, tensors.energy.rows);
    let threshold = params.mask_energy_share * percentile(&tensors.energy.data, 0.95);
    let coherence = local_coherence(tensors);
    mask.reset(cols, rows);
    for i in 0..cols * rows {
        let strong = tensors.energy.data[i] > threshold;
        let oriented = coherence.data[i] > params.mask_min_coherence;
        mask.data[i] = u8::from(strong && oriented);
    }
    let mut tmp = Grid::new(cols, rows);
    erode(mask, 1, &mut tmp);
    dilate(&tmp, 1, mask);
    keep_largest_region(mask);
    dilate(mask, 2, &mut tmp);
    erode(&tmp, 2, mask);
    fill_holes(mask);
}

/// Coherence over 3 × 3 blocks: agreement of the gradient directions.
fn local_coherence(t: &BlockTensors) -> Grid<f32> {
    let (mut tmp, mut vx, mut vy, mut e) = (
        Grid::default(),
        Grid::default(),
        Grid::default(),
        Grid::default(),
    );
    box_blur(&t.vx, 1, &mut tmp, &mut vx);
    box_blur(&t.vy, 1, &mut tmp, &mut vy);
    box_blur(&t.energy, 1, &mut tmp, &mut e);
    let data = (0..vx.data.len())
        .map(|i| (vx.data[i].hypot(vy.data[i]) / e.data[i].max(1e-6)).min(1.0))
        .collect();
    Grid {
        cols: vx.cols,
        rows: vx.rows,
        data,
    }
}

/// The `q`-quantile (0–1) of `values`.
pub fn percentile(values: &[f32], q: f32) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    let k = ((sorted.len() - 1) as f32 * q).round() as usize;
    let (_, v, _) = sorted.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
    *v
}

fn erode(src: &Grid<u8>, radius: usize, dst: &mut Grid<u8>) {
    morph(src, radius, dst, true);
}

fn dilate(src: &Grid<u8>, radius: usize, dst: &mut Grid<u8>) {
    morph(src, radius, dst, false);
}

/// Square structuring element; outside the grid counts as background.
///
/// A square is a row times a column, so the window runs along the rows,
/// then along the rows of the transposed grid, each a running count of
/// set cells: two passes of one step a cell instead of a (2r + 1)² window
/// per cell.
fn morph(src: &Grid<u8>, radius: usize, dst: &mut Grid<u8>, erode: bool) {
    let mut along = Grid::default();
    let mut across = Grid::default();
    morph_rows(src, radius, erode, &mut along);
    transpose(&along, &mut across);
    morph_rows(&across, radius, erode, &mut along);
    transpose(&along, dst);
}

/// Erosion (all set) or dilation (any set) along each row of `src`, over
/// the window of `radius` round each cell.
fn morph_rows(src: &Grid<u8>, radius: usize, erode: bool, dst: &mut Grid<u8>) {
    let cols = src.cols;
    dst.reset(cols, src.rows);
    // Set cells among the first i of a row: the window [lo, hi) holds
    // set[hi] − set[lo].
    let mut set = vec![0usize; cols + 1];
    for (row, out) in src
        .data
        .chunks_exact(cols.max(1))
        .zip(dst.data.chunks_exact_mut(cols.max(1)))
    {
        for (i, &v) in row.iter().enumerate() {
            set[i + 1] = set[i] + usize::from(v != 0);
        }
        for (i, o) in out.iter_mut().enumerate() {
            let (lo, hi) = (i.saturating_sub(radius), (i + radius + 1).min(cols));
            let count = set[hi] - set[lo];
            // Past an end of the row is background.
            let hit = if erode {
                count == 2 * radius + 1
            } else {
                count > 0
            };
            *o = u8::from(hit);
        }
    }
}

/// Labels 4-connected regions of value `value`; returns the label grid
/// (0 = other value) and the size of each label (index = label − 1).
fn regions(mask: &Grid<u8>, value: u8) -> (Grid<u32>, Vec<usize>) {
    let (cols, rows) = (mask.cols, mask.rows);
    let mut labels = Grid::<u32>::new(cols, rows);
    let mut sizes = Vec::new();
    let mut stack = Vec::new();
    for start in 0..cols * rows {
        if mask.data[start] != value || labels.data[start] != 0 {
            continue;
        }
        sizes.push(0);
        let label = sizes.len() as u32;
        labels.data[start] = label;
        stack.push(start);
        while let Some(i) = stack.pop() {
            sizes[label as usize - 1] += 1;
            let (x, y) = (i % cols, i / cols);
            let mut visit = |j: usize| {
                if mask.data[j] == value && labels.data[j] == 0 {
                    labels.data[j] = label;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < cols {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - cols);
            }
            if y + 1 < rows {
                visit(i + cols);
            }
        }
    }
    (labels, sizes)
}

fn keep_largest_region(mask: &mut Grid<u8>) {
    let (labels, sizes) = regions(mask, 1);
    let Some(best) = (0..sizes.len()).max_by_key(|&i| sizes[i]) else {
        return;
    };
    for (m, l) in mask.data.iter_mut().zip(&labels.data) {
        *m = u8::from(*l == best as u32 + 1);
    }
}

/// Background regions that do not touch the border are holes: fill them.
fn fill_holes(mask: &mut Grid<u8>) {
    let (labels, sizes) = regions(mask, 0);
    let mut touches = vec![false; sizes.len()];
    let (cols, rows) = (mask.cols, mask.rows);
    for y in 0..rows {
        for x in 0..cols {
            let l = labels.get(x, y);
            if l != 0 && (x == 0 || y == 0 || x + 1 == cols || y + 1 == rows) {
                touches[l as usize - 1] = true;
            }
        }
    }
    for (m, l) in mask.data.iter_mut().zip(&labels.data) {
        if *l != 0 && !touches[*l as usize - 1] {
            *m = 1;
        }
    }
}

/// The mask shrunk by `radius` blocks (for stages that distrust the border).
pub fn shrink(mask: &Grid<u8>, radius: usize) -> Grid<u8> {
    let mut out = Grid::default();
    erode(mask, radius, &mut out);
    out
}

/// The mask grown by `radius` blocks (for searches that may read the
/// field just past the border, where it is carried on from inside).
pub fn grow(mask: &Grid<u8>, radius: usize) -> Grid<u8> {
    let mut out = Grid::default();
    dilate(mask, radius, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erosion_and_dilation_follow_the_square_window() {
        // Against the definition, cell by cell, with the outside as
        // background, on a pseudo-random mask.
        let (cols, rows) = (11, 8);
        let mut m = Grid::<u8>::new(cols, rows);
        let mut seed = 5u32;
        for v in &mut m.data {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *v = u8::from(seed >> 29 != 0);
        }
        for radius in 0..4 {
            let (mut eroded, mut dilated) = (Grid::default(), Grid::default());
            erode(&m, radius, &mut eroded);
            dilate(&m, radius, &mut dilated);
            for y in 0..rows as isize {
                for x in 0..cols as isize {
                    let r = radius as isize;
                    let window: Vec<bool> = (-r..=r)
                        .flat_map(|dy| (-r..=r).map(move |dx| (x + dx, y + dy)))
                        .map(|(nx, ny)| {
                            let inside =
                                nx >= 0 && ny >= 0 && nx < cols as isize && ny < rows as isize;
                            inside && m.get(nx as usize, ny as usize) != 0
                        })
                        .collect();
                    let (c, r) = (x as usize, y as usize);
                    assert_eq!(
                        eroded.get(c, r) != 0,
                        window.iter().all(|&v| v),
                        "erode r{radius} ({c}, {r})"
                    );
                    assert_eq!(
                        dilated.get(c, r) != 0,
                        window.iter().any(|&v| v),
                        "dilate r{radius} ({c}, {r})"
                    );
                }
            }
        }
    }

    #[test]
    fn fill_holes_fills_inside_only() {
        let mut m = Grid::<u8>::new(5, 5);
        for (x, y) in [
            (1, 1),
            (2, 1),
            (3, 1),
            (1, 2),
            (3, 2),
            (1, 3),
            (2, 3),
            (3, 3),
        ] {
            m.set(x, y, 1);
        }
        fill_holes(&mut m);
        assert_eq!(m.get(2, 2), 1);
        assert_eq!(m.get(0, 0), 0);
    }

    #[test]
    fn keep_largest_region_drops_the_small_one() {
        let mut m = Grid::<u8>::new(6, 3);
        for (x, y) in [(0, 0), (0, 1), (0, 2), (4, 1)] {
            m.set(x, y, 1);
        }
        keep_largest_region(&mut m);
        assert_eq!(m.data.iter().filter(|&&v| v == 1).count(), 3);
        assert_eq!(m.get(4, 1), 0);
    }
}
