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

impl Grid<f32> {
    /// Bilinear value at the fractional grid position (`c`, `r`), clamped to the grid.
    pub fn sample(&self, c: f32, r: f32) -> f32 {
        let c = c.clamp(0.0, (self.cols - 1) as f32);
        let r = r.clamp(0.0, (self.rows - 1) as f32);
        // Truncation is the floor of these non-negative values, without
        // `f32::floor`'s library call (this runs at every step of every
        // traced pseudo-ridge and every ridge-count sample).
        let (c0, r0) = (c as usize, r as usize);
        let (c1, r1) = ((c0 + 1).min(self.cols - 1), (r0 + 1).min(self.rows - 1));
        let (fc, fr) = (c - c0 as f32, r - r0 as f32);
        let top = self.get(c0, r0) * (1.0 - fc) + self.get(c1, r0) * fc;
        let bottom = self.get(c0, r1) * (1.0 - fc) + self.get(c1, r1) * fc;
        top * (1.0 - fr) + bottom * fr
    }
}

/// Box filter of radius `radius` over `src` into `dst`, separable, with the
/// window clipped at the edges (mean over the cells inside). `tmp` is scratch.
pub fn box_blur(src: &Grid<f32>, radius: usize, tmp: &mut Grid<f32>, dst: &mut Grid<f32>) {
    let (cols, rows) = (src.cols, src.rows);
    tmp.reset(cols, rows);
    dst.reset(cols, rows);
    for r in 0..rows {
        let row = &src.data[r * cols..(r + 1) * cols];
        blur_line(row, radius, &mut tmp.data[r * cols..(r + 1) * cols]);
    }
    let mut column = vec![0.0; rows];
    let mut out = vec![0.0; rows];
    for c in 0..cols {
        for (r, v) in column.iter_mut().enumerate() {
            *v = tmp.data[r * cols + c];
        }
        blur_line(&column, radius, &mut out);
        for (r, v) in out.iter().enumerate() {
            dst.data[r * cols + c] = *v;
        }
    }
}

fn blur_line(src: &[f32], radius: usize, dst: &mut [f32]) {
    let n = src.len();
    let mut sum: f32 = src[..radius.min(n)].iter().sum();
    for i in 0..n {
        if i + radius < n {
            sum += src[i + radius];
        }
        if i > radius {
            sum -= src[i - radius - 1];
        }
        let lo = i.saturating_sub(radius);
        let hi = (i + radius).min(n - 1);
        dst[i] = sum / (hi - lo + 1) as f32;
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
}
