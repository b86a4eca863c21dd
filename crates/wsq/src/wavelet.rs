//! The two-dimensional wavelet transform of WSQ: analysis (encoder) and
//! synthesis (decoder) with symmetric extension at the subband edges.
//!
//! The edge rules are those of the reference implementation, which walks a
//! pointer through the samples and turns it around at either end, repeating
//! the end sample once where the extension is half-sample symmetric. They
//! are kept as such a walk (`Walk`) so that odd and even length filters and
//! odd and even length signals behave exactly as NIST's decoder; samples
//! away from the edges take a plain dot product.

use crate::tables::Filters;
use crate::tree::WaveletNode;

/// A pointer walking through a line of samples `p0..=p1`, turning at the
/// ends: once in place (`*_once`, half-sample extension), then back.
#[derive(Clone, Copy)]
struct Walk {
    pos: isize,
    step: isize,
    left_once: bool,
    right_once: bool,
}

impl Walk {
    /// Turns the walk at an end it is standing on (the reference's test
    /// before each move).
    #[inline]
    fn turn(&mut self, p0: isize, p1: isize) {
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

#[inline]
fn sample(line: &[f32], i: isize) -> f32 {
    usize::try_from(i)
        .ok()
        .and_then(|i| line.get(i))
        .copied()
        .unwrap_or(0.0)
}

/// `sum taps[k] * line[start + k]`, the walk's value where it crosses no edge.
#[inline]
fn dot_stride2(line: &[f32], start: usize, filter: &[f32], first_tap: usize) -> f32 {
    let taps = filter[first_tap..].iter().step_by(2);
    taps.zip(&line[start..]).map(|(f, x)| f * x).sum()
}

/// Filters fixed for one transform, with the sign conventions of even
/// length filters applied.
pub(crate) struct Bank {
    lo: Vec<f32>,
    hi: Vec<f32>,
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
fn band_lengths(len: usize) -> (usize, usize) {
    if len % 2 == 1 {
        (len.div_ceil(2), len.div_ceil(2) - 1)
    } else {
        (len / 2, len / 2)
    }
}

/// Synthesis of one line: `inp` holds the low and high bands (high first
/// if `inv`), `out` receives the samples.
pub(crate) fn join_line(out: &mut [f32], inp: &[f32], bank: &Bank, inv: bool) {
    Joiner::new(inp.len(), bank, inv).run(out, inp, bank);
}

/// State of one line's synthesis, named as in the specification's
/// reference decoder (`loc`/`hoc` start offsets, `*tap` phases, `fhre`
/// and `sfac` for the antisymmetric extension of even filters).
struct Joiner {
    odd_len: bool,
    asym: bool,
    hlen: usize,
    lo_start: Walk,
    hi_start: Walk,
    lotap: usize,
    hotap: usize,
    ofhre: i32,
    ssfac: f32,
    lp: (isize, isize),
    hp: (isize, isize),
}

impl Joiner {
    fn new(len: usize, bank: &Bank, inv: bool) -> Self {
        let (lsz, hsz) = (bank.lo.len() as isize, bank.hi.len() as isize);
        let odd_len = len % 2 == 1;
        let (llen, hlen) = band_lengths(len);
        let odd_filters = lsz % 2 == 1;
        let (mut loc, mut hoc, lotap, hotap, ends);
        if odd_filters {
            loc = (lsz - 1) / 4;
            hoc = (hsz + 1) / 4 - 1;
            lotap = ((lsz - 1) / 2) % 2;
            hotap = ((hsz + 1) / 2) % 2;
            ends = if odd_len {
                [false, false, true, true]
            } else {
                [false, true, true, false]
            };
        } else {
            loc = lsz / 4 - 1;
            hoc = hsz / 4 - 1;
            lotap = (lsz / 2) % 2;
            hotap = (hsz / 2) % 2;
            ends = if odd_len {
                [true, false, true, true]
            } else {
                [true; 4]
            };
        }
        let [mut olle, olre, mut ohle, ohre] = ends;
        if !odd_filters && loc == -1 {
            loc = 0;
            olle = false;
        }
        if !odd_filters && hoc == -1 {
            hoc = 0;
            ohle = false;
        }
        let (lb, hb) = if inv {
            (hlen as isize, 0)
        } else {
            (0, llen as isize)
        };
        Joiner {
            odd_len,
            asym: !odd_filters,

            hlen,
            lo_start: Walk {
                pos: lb + loc,
                step: -1,
                left_once: olle,
                right_once: olre,
            },
            hi_start: Walk {
                pos: hb + hoc,
                step: -1,
                left_once: ohle,
                right_once: ohre,
            },
            lotap: lotap as usize,
            hotap: hotap as usize,
            ofhre: if odd_filters { 0 } else { 2 },
            ssfac: if odd_filters { 1.0 } else { -1.0 },
            lp: (lb, lb + llen as isize - 1),
            hp: (hb, hb + hlen as isize - 1),
        }
    }

    fn run(&mut self, out: &mut [f32], inp: &[f32], bank: &Bank) {
        out.iter_mut().take(2).for_each(|o| *o = 0.0);
        let (mut limg, mut himg) = (0usize, 0usize);
        let mut osfac = self.ssfac;
        let mut fhre = self.ofhre;
        let (mut lstap, mut hstap) = (self.lotap, self.hotap);
        for _ in 0..self.hlen {
            for tap in (0..=lstap).rev() {
                put(out, limg, self.lo_value(inp, &bank.lo, tap));
                limg += 1;
            }
            advance_start(&mut self.lo_start, self.lp.0, &mut 1.0);
            lstap = 1;
            for tap in (0..=hstap).rev() {
                fhre = self.ofhre;
                add(
                    out,
                    himg,
                    self.hi_value(inp, &bank.hi, tap, osfac, &mut fhre),
                );
                himg += 1;
            }
            advance_start(&mut self.hi_start, self.hp.0, &mut osfac);
            hstap = 1;
        }
        let lo_last = if self.odd_len {
            self.lotap
        } else {
            self.lotap + 1
        };
        for tap in (lo_last..=1).rev() {
            put(out, limg, self.lo_value(inp, &bank.lo, tap));
            limg += 1;
        }
        let hi_last = if self.odd_len {
            self.hotap
        } else {
            self.hotap + 1
        };
        if self.odd_len && bank.hi.len() == 2 {
            self.hi_start.pos -= self.hi_start.step;
            fhre = 1;
        }
        for tap in (hi_last..=1).rev() {
            if bank.hi.len() != 2 {
                fhre = self.ofhre;
            }
            add(
                out,
                himg,
                self.hi_value(inp, &bank.hi, tap, osfac, &mut fhre),
            );
            himg += 1;
        }
    }

    /// One low-band contribution: taps `tap, tap+2, …` from the start walk.
    fn lo_value(&self, inp: &[f32], lo: &[f32], tap: usize) -> f32 {
        let (p0, p1) = self.lp;
        let mut w = self.lo_start;
        let reads = (lo.len() - tap).div_ceil(2) as isize;
        if w.step == 1 && w.pos > p0 && w.pos + reads - 2 < p1 {
            return dot_stride2(inp, w.pos as usize, lo, tap);
        }
        let mut acc = sample(inp, w.pos) * lo[tap];
        for &f in lo.iter().skip(tap + 2).step_by(2) {
            w.turn(p0, p1);
            w.pos += w.step;
            acc += sample(inp, w.pos) * f;
        }
        acc
    }

    /// One high-band contribution, with the sign flips of the
    /// antisymmetric extension used by even length filters.
    fn hi_value(&self, inp: &[f32], hi: &[f32], tap: usize, osfac: f32, fhre: &mut i32) -> f32 {
        let (p0, p1) = self.hp;
        let mut w = self.hi_start;
        let reads = (hi.len() - tap).div_ceil(2) as isize;
        if w.step == 1 && w.pos > p0 && w.pos + reads - 1 < p1 {
            return osfac * dot_stride2(inp, w.pos as usize, hi, tap);
        }
        let mut sfac = osfac;
        let mut acc = 0.0;
        for &f in hi.iter().skip(tap).step_by(2) {
            if w.pos == p0 {
                if w.left_once {
                    w.step = 0;
                    w.left_once = false;
                } else {
                    w.step = 1;
                    sfac = 1.0;
                }
            }
            if w.pos == p1 {
                if w.right_once {
                    w.step = 0;
                    w.right_once = false;
                    if self.asym && self.odd_len {
                        w.right_once = true;
                        *fhre -= 1;
                        sfac = *fhre as f32;
                        if *fhre == 0 {
                            w.right_once = false;
                        }
                    }
                } else {
                    w.step = -1;
                    if self.asym {
                        sfac = -1.0;
                    }
                }
            }
            acc += sample(inp, w.pos) * f * sfac;
            w.pos += w.step;
        }
        acc
    }
}

/// Moves a band's start walk one sample on (turning at the left end only,
/// as the reference does); `sfac` becomes 1 once the walk turns forward.
#[inline]
fn advance_start(w: &mut Walk, p0: isize, sfac: &mut f32) {
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

#[inline]
fn put(out: &mut [f32], i: usize, v: f32) {
    if let Some(o) = out.get_mut(i) {
        *o = v;
    }
}

#[inline]
fn add(out: &mut [f32], i: usize, v: f32) {
    if let Some(o) = out.get_mut(i) {
        *o += v;
    }
}

/// Analysis of one line into low and high bands (high first if `inv`).
pub(crate) fn split_line(out: &mut [f32], inp: &[f32], bank: &Bank, inv: bool) {
    let len = inp.len();
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
    let (mut lo_out, mut hi_out) = if inv { (hlen, 0) } else { (0, llen) };
    let (p0, p1) = (0isize, len as isize - 1);
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
        put(out, lo_out, analysis_value(inp, &bank.lo, lo_w, p0, p1));
        lo_out += 1;
        put(out, hi_out, analysis_value(inp, &bank.hi, hi_w, p0, p1));
        hi_out += 1;
        for _ in 0..2 {
            advance_start(&mut lo_w, p0, &mut unused);
            advance_start(&mut hi_w, p0, &mut unused);
        }
    }
    if len % 2 == 1 {
        put(out, lo_out, analysis_value(inp, &bank.lo, lo_w, p0, p1));
    }
}

fn analysis_value(inp: &[f32], filter: &[f32], mut w: Walk, p0: isize, p1: isize) -> f32 {
    let n = filter.len() as isize;
    if w.step == 1 && w.pos > p0 && w.pos + n - 2 < p1 {
        let s = w.pos as usize;
        return filter.iter().zip(&inp[s..]).map(|(f, x)| f * x).sum();
    }
    let mut acc = sample(inp, w.pos) * filter[0];
    for &f in &filter[1..] {
        w.turn(p0, p1);
        w.pos += w.step;
        acc += sample(inp, w.pos) * f;
    }
    acc
}

/// Reusable line buffers for the two-dimensional passes.
#[derive(Default)]
struct Lines {
    a: Vec<f32>,
    b: Vec<f32>,
}

impl Lines {
    fn sized(&mut self, n: usize) -> (&mut [f32], &mut [f32]) {
        self.a.resize(n, 0.0);
        self.b.resize(n, 0.0);
        (&mut self.a[..n], &mut self.b[..n])
    }
}

/// Rebuilds the image in `data` (row pitch `width`) from its subbands.
pub(crate) fn reconstruct(data: &mut [f32], width: usize, tree: &[WaveletNode], bank: &Bank) {
    let mut tmp = vec![0f32; data.len()];
    let mut lines = Lines::default();
    for node in tree.iter().rev() {
        columns(&mut tmp, data, width, node, &mut lines, |o, i| {
            join_line(o, i, bank, node.inv_cl)
        });
        rows(data, &tmp, width, node, |o, i| {
            join_line(o, i, bank, node.inv_rw)
        });
    }
}

/// Splits the image in `data` (row pitch `width`) into subbands.
pub(crate) fn decompose(data: &mut [f32], width: usize, tree: &[WaveletNode], bank: &Bank) {
    let mut tmp = vec![0f32; data.len()];
    let mut lines = Lines::default();
    for node in tree {
        rows(&mut tmp, data, width, node, |o, i| {
            split_line(o, i, bank, node.inv_rw)
        });
        columns(data, &tmp, width, node, &mut lines, |o, i| {
            split_line(o, i, bank, node.inv_cl)
        });
    }
}

fn rows(
    dst: &mut [f32],
    src: &[f32],
    width: usize,
    n: &WaveletNode,
    f: impl Fn(&mut [f32], &[f32]),
) {
    for r in n.y..n.y + n.leny {
        let s = r * width + n.x;
        f(&mut dst[s..s + n.lenx], &src[s..s + n.lenx]);
    }
}

fn columns(
    dst: &mut [f32],
    src: &[f32],
    width: usize,
    n: &WaveletNode,
    lines: &mut Lines,
    f: impl Fn(&mut [f32], &[f32]),
) {
    let (inp, out) = lines.sized(n.leny);
    for c in n.x..n.x + n.lenx {
        for (k, v) in inp.iter_mut().enumerate() {
            *v = src[(n.y + k) * width + c];
        }
        f(out, inp);
        for (k, v) in out.iter().enumerate() {
            dst[(n.y + k) * width + c] = *v;
        }
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
                join_line(&mut back, &bands, &synthesis, inv);
                for (a, b) in x.iter().zip(&back) {
                    assert!(
                        (a - b).abs() < 1e-3,
                        "len {len} inv {inv}: {x:?} vs {back:?}"
                    );
                }
            }
        }
    }
}
