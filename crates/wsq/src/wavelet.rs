//! The two-dimensional wavelet transform of WSQ: analysis (encoder) and
//! synthesis (decoder) with symmetric extension at the subband edges.
//!
//! The edge rules are those of the reference implementation, which walks a
//! pointer through the samples and turns it around at either end, repeating
//! the end sample once where the extension is half-sample symmetric. They
//! are kept as such a walk (`Walk`) so that odd and even length filters and
//! odd and even length signals behave exactly as NIST's decoder; samples
//! away from the edges take a plain dot product.

use crate::synthesis::{weighted_sum, Plan, Scratch};
use crate::tables::Filters;
use crate::tree::WaveletNode;

/// A pointer walking through a line of samples `p0..=p1`, turning at the
/// ends: once in place (`*_once`, half-sample extension), then back.
#[derive(Clone, Copy)]
pub(crate) struct Walk {
    pub(crate) pos: isize,
    pub(crate) step: isize,
    pub(crate) left_once: bool,
    pub(crate) right_once: bool,
}

impl Walk {
    /// Turns the walk at an end it is standing on (the reference's test
    /// before each move).
    #[inline]
    pub(crate) fn turn(&mut self, p0: isize, p1: isize) {
        if self.pos == p0 {
            if self.left_once {
                self.step = 0;
                self.left_once = false;
            } else {
                self.step = 1;
            }
        }
        if self.pos == p1 {
            if self.right_once {
                self.step = 0;
                self.right_once = false;
            } else {
                self.step = -1;
            }
        }
    }
}

/// Filters fixed for one transform, with the sign conventions of even
/// length filters applied.
pub(crate) struct Bank {
    pub(crate) lo: Vec<f32>,
    pub(crate) hi: Vec<f32>,
}

impl Bank {
    /// Synthesis bank from a DTT segment.
    pub(crate) fn synthesis(f: &Filters) -> Self {
        let mut hi = f.hi.clone();
        if f.lo.len() % 2 == 0 {
            hi.iter_mut().for_each(|h| *h = -*h);
        }
        Bank {
            lo: f.lo.clone(),
            hi,
        }
    }

    /// Analysis bank (encoder): the 9/7 filters of the specification.
    pub(crate) fn analysis(lo: &[f32], hi: &[f32]) -> Self {
        let mut hi = hi.to_vec();
        if lo.len() % 2 == 0 {
            hi.iter_mut().for_each(|h| *h = -*h);
        }
        Bank {
            lo: lo.to_vec(),
            hi,
        }
    }
}

/// Band lengths `(low, high)` of a line of `len` samples.
pub(crate) fn band_lengths(len: usize) -> (usize, usize) {
    if len % 2 == 1 {
        (len.div_ceil(2), len.div_ceil(2) - 1)
    } else {
        (len / 2, len / 2)
    }
}

/// Moves a band's start walk one sample on (turning at the left end only,
/// as the reference does); `sfac` becomes 1 once the walk turns forward.
#[inline]
pub(crate) fn advance_start(w: &mut Walk, p0: isize, sfac: &mut f32) {
    if w.pos == p0 {
        if w.left_once {
            w.step = 0;
            w.left_once = false;
        } else {
            w.step = 1;
            *sfac = 1.0;
        }
    }
    w.pos += w.step;
}

/// Analysis of one line into low and high bands (high first if `inv`).
#[cfg(test)]
pub(crate) fn split_line(out: &mut [f32], inp: &[f32], bank: &Bank, inv: bool) {
    AnalysisMap::new(inp.len(), bank, inv).apply_line(out, inp);
}

/// The analysis of one line length as explicit terms per output sample,
/// found by running the reference's edge walk once on symbolic samples.
pub(crate) struct AnalysisMap {
    /// Output `o` is the sum of `terms[starts[o]..starts[o + 1]]`.
    starts: Vec<usize>,
    terms: Vec<(usize, f32)>,
}

impl AnalysisMap {
    pub(crate) fn new(len: usize, bank: &Bank, inv: bool) -> Self {
        let (lsz, hsz) = (bank.lo.len() as isize, bank.hi.len() as isize);
        let (llen, hlen) = band_lengths(len);
        let (mut loc, mut hoc, ends) = if lsz % 2 == 1 {
            ((lsz - 1) / 2, (hsz - 1) / 2 - 1, false)
        } else {
            (lsz / 2 - 2, hsz / 2 - 2, true)
        };
        let (mut lle, mut hle) = (ends, ends);
        if ends && loc == -1 {
            loc = 0;
            lle = false;
        }
        if ends && hoc == -1 {
            hoc = 0;
            hle = false;
        }
        let mut per_output: Vec<Vec<(usize, f32)>> = vec![Vec::new(); len];
        let (mut lo_out, mut hi_out) = if inv { (hlen, 0) } else { (0, llen) };
        let p = (0isize, len as isize - 1);
        let mut lo_w = Walk {
            pos: loc,
            step: -1,
            left_once: lle,
            right_once: ends,
        };
        let mut hi_w = Walk {
            pos: hoc,
            step: -1,
            left_once: hle,
            right_once: ends,
        };
        let mut unused = 1.0;
        for _ in 0..hlen {
            walk_terms(per_output.get_mut(lo_out), &bank.lo, lo_w, p, len);
            lo_out += 1;
            walk_terms(per_output.get_mut(hi_out), &bank.hi, hi_w, p, len);
            hi_out += 1;
            for _ in 0..2 {
                advance_start(&mut lo_w, p.0, &mut unused);
                advance_start(&mut hi_w, p.0, &mut unused);
            }
        }
        if len % 2 == 1 {
            walk_terms(per_output.get_mut(lo_out), &bank.lo, lo_w, p, len);
        }
        let mut starts = vec![0];
        let mut terms = Vec::new();
        for t in per_output {
            terms.extend(t);
            starts.push(terms.len());
        }
        AnalysisMap { starts, terms }
    }

    fn output_terms(&self, o: usize) -> &[(usize, f32)] {
        &self.terms[self.starts[o]..self.starts[o + 1]]
    }

    pub(crate) fn apply_line(&self, out: &mut [f32], inp: &[f32]) {
        for (o, v) in out.iter_mut().enumerate() {
            *v = self.output_terms(o).iter().map(|&(i, c)| inp[i] * c).sum();
        }
    }

    /// Analyses the columns of the rectangle at `(x, y)`, `lenx` wide, of
    /// `src` into `dst` (row pitch `width`), whole rows at a time.
    pub(crate) fn apply_columns(
        &self,
        dst: &mut [f32],
        src: &[f32],
        width: usize,
        x: usize,
        y: usize,
        lenx: usize,
    ) {
        // Offsets of the rectangle's rows.
        let row = |i: usize| (y + i) * width + x;
        let mut terms = Vec::new();
        for o in 0..self.starts.len() - 1 {
            terms.clear();
            terms.extend(self.output_terms(o).iter().map(|&(i, c)| (c, row(i))));
            weighted_sum(&mut dst[row(o)..][..lenx], src, &terms);
        }
    }
}

/// Terms of one analysis output: the filter walked from `w`, turning at
/// the ends `p`.
fn walk_terms(
    out: Option<&mut Vec<(usize, f32)>>,
    filter: &[f32],
    mut w: Walk,
    p: (isize, isize),
    len: usize,
) {
    let Some(out) = out else { return };
    let mut push = |pos: isize, c: f32| {
        if let Some(i) = usize::try_from(pos).ok().filter(|&i| i < len) {
            out.push((i, c));
        }
    };
    push(w.pos, filter[0]);
    for &f in &filter[1..] {
        w.turn(p.0, p.1);
        w.pos += w.step;
        push(w.pos, f);
    }
}

/// Rebuilds the image in `data` (row pitch `width`) from its subbands.
pub(crate) fn reconstruct(data: &mut [f32], width: usize, tree: &[WaveletNode], bank: &Bank) {
    let mut tmp = vec![0f32; data.len()];
    let mut scratch = Scratch::default();
    for node in tree.iter().rev() {
        let (x, y, lenx) = (node.x, node.y, node.lenx);
        // Columns: every column of the node at once, row by row.
        let plan = Plan::new(node.leny, bank, node.inv_cl);
        plan.apply_columns(&mut tmp, data, width, x, y, lenx);
        let plan = Plan::new(lenx, bank, node.inv_rw);
        for r in y..y + node.leny {
            let s = r * width + x;
            plan.apply_line(&mut data[s..s + lenx], &tmp[s..s + lenx], &mut scratch);
        }
    }
}

/// Splits the image in `data` (row pitch `width`) into subbands.
pub(crate) fn decompose(data: &mut [f32], width: usize, tree: &[WaveletNode], bank: &Bank) {
    let mut tmp = vec![0f32; data.len()];
    for node in tree {
        let (x, y, lenx) = (node.x, node.y, node.lenx);
        let rows = AnalysisMap::new(lenx, bank, node.inv_rw);
        for r in y..y + node.leny {
            let s = r * width + x;
            rows.apply_line(&mut tmp[s..s + lenx], &data[s..s + lenx]);
        }
        AnalysisMap::new(node.leny, bank, node.inv_cl).apply_columns(data, &tmp, width, x, y, lenx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoder::{ANALYSIS_HI, ANALYSIS_LO};

    fn synthesis_of_spec() -> Bank {
        // The synthesis filters a decoder derives from the encoder's DTT.
        let f = crate::encoder::transform_table_filters();
        Bank::synthesis(&f)
    }

    #[test]
    fn lines_reconstruct_perfectly() {
        let analysis = Bank::analysis(&ANALYSIS_LO, &ANALYSIS_HI);
        let synthesis = synthesis_of_spec();
        for len in [8usize, 9, 10, 13, 31, 64, 101] {
            for inv in [false, true] {
                let x: Vec<f32> = (0..len).map(|i| ((i * 37 % 17) as f32) - 8.0).collect();
                let mut bands = vec![0.0; len];
                split_line(&mut bands, &x, &analysis, inv);
                let mut back = vec![0.0; len];
                let plan = Plan::new(len, &synthesis, inv);
                plan.apply_line(&mut back, &bands, &mut Scratch::default());
                for (a, b) in x.iter().zip(&back) {
                    assert!(
                        (a - b).abs() < 1e-3,
                        "len {len} inv {inv}: {x:?} vs {back:?}"
                    );
                }
            }
        }
    }

    /// The column form of a plan gives what the line form gives per column.
    #[test]
    fn column_and_line_synthesis_agree() {
        let synthesis = synthesis_of_spec();
        let (w, h) = (5usize, 23usize);
        let src: Vec<f32> = (0..w * h)
            .map(|i| ((i * 7919) % 101) as f32 - 50.0)
            .collect();
        for inv in [false, true] {
            let plan = Plan::new(h, &synthesis, inv);
            let mut by_rows = vec![0.0; w * h];
            plan.apply_columns(&mut by_rows, &src, w, 0, 0, w);
            for c in 0..w {
                let col: Vec<f32> = (0..h).map(|r| src[r * w + c]).collect();
                let mut out = vec![0.0; h];
                plan.apply_line(&mut out, &col, &mut Scratch::default());
                for r in 0..h {
                    assert!((out[r] - by_rows[r * w + c]).abs() < 1e-4);
                }
            }
        }
    }
}
