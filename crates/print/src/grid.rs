//! A small row-major 2-D grid of block values, with the filters the stages share.

/// A `cols × rows` grid of values, one per block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grid<T> {
    /// Number of columns.
    pub cols: usize,
    /// Number of rows.
    pub rows: usize,
    /// Values, row after row.
    pub data: Vec<T>,
}

impl<T: Copy + Default> Grid<T> {
    /// A grid filled with `T::default()`.
    pub fn new(cols: usize, rows: usize) -> Self {
        Grid {
            cols,
            rows,
            data: vec![T::default(); cols * rows],
        }
    }

    /// A grid with every value `v`.
    pub fn filled(cols: usize, rows: usize, v: T) -> Self {
        Grid {
            cols,
            rows,
            data: vec![v; cols * rows],
        }
    }

    /// Resizes to `cols × rows` and fills with `T::default()`, keeping the allocation.
    pub fn reset(&mut self, cols: usize, rows: usize) {
        self.cols = cols;
        self.rows = rows;
        self.data.clear();
        self.data.resize(cols * rows, T::default());
    }

    /// The value at column `c`, row `r`.
    #[inline]
    pub fn get(&self, c: usize, r: usize) -> T {
        self.data[r * self.cols + c]
    }

    /// Sets the value at column `c`, row `r`.
    #[inline]
    pub fn set(&mut self, c: usize, r: usize, v: T) {
        self.data[r * self.cols + c] = v;
    }

    /// The grid seen in a mirror: columns in reverse order.
    pub fn mirrored(&self) -> Self {
        let mut data = self.data.clone();
        data.chunks_mut(self.cols.max(1))
            .for_each(|row| row.reverse());
        Grid { data, ..*self }
    }
}

/// Where a bilinear sample of a grid reads: the four cells round the
/// point (indices into `data`) and how far (0–1) the point lies past the
/// first of their columns and of their rows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bilinear {
    cells: [usize; 4],
    fc: f32,
    fr: f32,
}

impl Grid<f32> {
    /// Bilinear value at the fractional grid position (`c`, `r`), clamped to the grid.
    pub fn sample(&self, c: f32, r: f32) -> f32 {
        self.sample_at(self.bilinear(c, r))
    }

    /// Where [`Self::sample`] reads at (`c`, `r`): worked out once for
    /// several grids of these dimensions (the two planes of a field).
    pub(crate) fn bilinear(&self, c: f32, r: f32) -> Bilinear {
        let c = c.clamp(0.0, (self.cols - 1) as f32);
        let r = r.clamp(0.0, (self.rows - 1) as f32);
        // Truncation is the floor of these non-negative values, without
        // `f32::floor`'s library call (this runs at every step of every
        // traced pseudo-ridge and every ridge-count sample).
        let (c0, r0) = (c as usize, r as usize);
        let (c1, r1) = ((c0 + 1).min(self.cols - 1), (r0 + 1).min(self.rows - 1));
        let at = |c: usize, r: usize| r * self.cols + c;
        Bilinear {
            cells: [at(c0, r0), at(c1, r0), at(c0, r1), at(c1, r1)],
            fc: c - c0 as f32,
            fr: r - r0 as f32,
        }
    }

    /// The value a [`Bilinear`] of a grid of the same dimensions reads.
    pub(crate) fn sample_at(&self, at: Bilinear) -> f32 {
        let Bilinear {
            cells: [i00, i10, i01, i11],
            fc,
            fr,
        } = at;
        let d = &self.data;
        let top = d[i00] * (1.0 - fc) + d[i10] * fc;
        let bottom = d[i01] * (1.0 - fc) + d[i11] * fc;
        top * (1.0 - fr) + bottom * fr
    }
}

/// Box filter of radius `radius` over `src` into `dst`, separable, with the
/// window clipped at the edges (mean over the cells inside). `tmp` is scratch.
///
/// Both passes run down the columns, with a running sum per column kept
/// for a whole row of them at once (vectorised): the pass along the rows
/// reads the grid transposed. A running sum along each row, as before,
/// was a chain of dependent additions a cell at a time, and its column
/// pass gathered every column a cell at a time; each cell's sums are
/// formed in the same order as then, so the result is the same to the bit.
pub fn box_blur(src: &Grid<f32>, radius: usize, tmp: &mut Grid<f32>, dst: &mut Grid<f32>) {
    transpose(src, tmp);
    blur_columns(tmp, radius, dst);
    transpose(dst, tmp);
    blur_columns(tmp, radius, dst);
}

/// `dst` = `src` with rows and columns swapped.
pub(crate) fn transpose<T: Copy + Default>(src: &Grid<T>, dst: &mut Grid<T>) {
    let (cols, rows) = (src.cols, src.rows);
    dst.reset(rows, cols);
    for (r, row) in src.data.chunks_exact(cols.max(1)).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            dst.data[c * rows + r] = v;
        }
    }
}

/// The box filter down every column of `src` into `dst`, all columns of a
/// row at a time.
fn blur_columns(src: &Grid<f32>, radius: usize, dst: &mut Grid<f32>) {
    let (cols, rows) = (src.cols, src.rows);
    dst.reset(cols, rows);
    let row = |r: usize| &src.data[r * cols..][..cols];
    // The running sums start as the first `radius` rows, summed in order.
    let mut sum = vec![-0.0f32; cols];
    for r in 0..radius.min(rows) {
        sum.iter_mut().zip(row(r)).for_each(|(s, v)| *s += v);
    }
    for i in 0..rows {
        if i + radius < rows {
            sum.iter_mut()
                .zip(row(i + radius))
                .for_each(|(s, v)| *s += v);
        }
        if i > radius {
            sum.iter_mut()
                .zip(row(i - radius - 1))
                .for_each(|(s, v)| *s -= v);
        }
        let inside = ((i + radius).min(rows - 1) - i.saturating_sub(radius) + 1) as f32;
        let out = &mut dst.data[i * cols..][..cols];
        out.iter_mut().zip(&sum).for_each(|(o, s)| *o = s / inside);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_blur_keeps_a_constant_grid_and_spreads_a_spike() {
        let mut g = Grid::<f32>::new(7, 5);
        g.data.iter_mut().for_each(|v| *v = 3.0);
        let (mut tmp, mut out) = (Grid::default(), Grid::default());
        box_blur(&g, 2, &mut tmp, &mut out);
        assert!(out.data.iter().all(|v| (v - 3.0).abs() < 1e-5));
        let mut spike = Grid::<f32>::new(7, 7);
        spike.set(3, 3, 25.0);
        box_blur(&spike, 2, &mut tmp, &mut out);
        assert!((out.get(3, 3) - 1.0).abs() < 1e-5);
        assert!((out.get(2, 4) - 1.0).abs() < 1e-5);
        assert_eq!(out.get(0, 0), 0.0);
    }

    #[test]
    fn box_blur_is_the_mean_over_the_clipped_window() {
        // Against the mean written out cell by cell, on grids narrower and
        // shorter than the window too.
        let mut seed = 11u32;
        for (cols, rows, radius) in [(9, 6, 2), (5, 13, 3), (1, 4, 1), (3, 2, 4), (7, 7, 0)] {
            let mut g = Grid::<f32>::new(cols, rows);
            for v in &mut g.data {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                *v = (seed >> 8) as f32 / (1 << 24) as f32 * 10.0 - 5.0;
            }
            let (mut tmp, mut out) = (Grid::default(), Grid::default());
            box_blur(&g, radius, &mut tmp, &mut out);
            assert_eq!((out.cols, out.rows), (cols, rows));
            let window = |i: usize, n: usize| i.saturating_sub(radius)..(i + radius + 1).min(n);
            for r in 0..rows {
                for c in 0..cols {
                    let (rs, cs) = (window(r, rows), window(c, cols));
                    let cells = (rs.len() * cs.len()) as f32;
                    let mean = rs
                        .flat_map(|rr| cs.clone().map(move |cc| (cc, rr)))
                        .map(|(cc, rr)| g.get(cc, rr))
                        .sum::<f32>()
                        / cells;
                    let got = out.get(c, r);
                    assert!(
                        (got - mean).abs() < 1e-4,
                        "{cols}×{rows} r{radius} at ({c}, {r}): {got} against {mean}"
                    );
                }
            }
        }
    }
}
