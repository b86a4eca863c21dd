//! Wavelet synthesis of one line length, compiled into a plan.
//!
//! The reference decoder's synthesis walks pointers through the low and
//! high bands and turns them at the band ends (see [`Walk`]). Running
//! that walk once per line *length*, on symbolic samples, gives each output
//! sample as a list of `(input index, weight)` terms. Away from the edges
//! the terms follow one pattern — the same taps on inputs that move by one
//! for every two outputs — so the plan keeps only the edge outputs as term
//! lists and the middle as runs of that pattern. Rows then take short dot
//! products, and columns whole-row multiply-adds that the compiler
//! vectorises, instead of walking pointers per sample.

use crate::wavelet::{advance_start, band_lengths, Bank, Walk};

/// An output sample given by explicit terms `terms[start..end]`.
struct EdgeOutput {
    out: usize,
    start: usize,
    end: usize,
}

/// Outputs `out + 2m` and `out + 2m + 1` for `m in 0..count`, each the
/// phase taps applied to low inputs from `lo + m` and high from `hi + m`.
struct Run {
    out: usize,
    lo: usize,
    hi: usize,
    count: usize,
}

/// The synthesis of one line length and band order.
pub(crate) struct Plan {
    edges: Vec<EdgeOutput>,
    terms: Vec<(usize, f32)>,
    runs: Vec<Run>,
    /// Taps for the first and second output of a pair (taps 1, 3, … and
    /// 0, 2, … of each filter).
    lo_phase: [Vec<f32>; 2],
    hi_phase: [Vec<f32>; 2],
}

/// The walk state of one line's synthesis, named as in the reference
/// decoder (`lotap`/`hotap` phases, `fhre` and `sfac` for the
/// antisymmetric extension of even length filters).
struct Builder<'a> {
    bank: &'a Bank,
    len: usize,
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
    /// Terms per output, before the plan is compacted.
    outputs: Vec<Vec<(usize, f32)>>,
    interior: Vec<bool>,
    runs: Vec<Run>,
}

impl Plan {
    /// Plans the synthesis of a line of `len` samples whose bands are
    /// stored low first (high first if `inv`).
    pub(crate) fn new(len: usize, bank: &Bank, inv: bool) -> Plan {
        let mut b = Builder::new(len, bank, inv);
        b.run();
        b.finish()
    }

    /// Synthesises one contiguous line. `scratch` is reused between calls.
    pub(crate) fn apply_line(&self, out: &mut [f32], inp: &[f32], scratch: &mut Scratch) {
        for e in &self.edges {
            out[e.out] = self.terms[e.start..e.end]
                .iter()
                .map(|&(i, c)| inp[i] * c)
                .sum();
        }
        let Scratch { phase: sums, terms } = scratch;
        for r in &self.runs {
            // Each phase is a convolution over the run: sum it over whole
            // slices (vectorised), then interleave.
            for (phase, acc) in sums.iter_mut().enumerate() {
                acc.resize(r.count, 0.0);
                self.phase_terms(phase, r.lo, r.hi, 1, terms);
                weighted_sum(acc, inp, terms);
            }
            let pairs = out[r.out..r.out + 2 * r.count].chunks_exact_mut(2);
            for ((pair, &a), &b) in pairs.zip(&sums[0]).zip(&sums[1]) {
                pair[0] = a;
                pair[1] = b;
            }
        }
    }

    /// Synthesises the columns of a rectangle: `src` and `dst` have row
    /// pitch `width`, the rectangle starts at `(x, y)` and is `lenx` wide
    /// and as tall as the plan's line. Each output row is a sum of whole
    /// input rows, which vectorises.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn apply_columns(
        &self,
        dst: &mut [f32],
        src: &[f32],
        width: usize,
        x: usize,
        y: usize,
        lenx: usize,
    ) {
        // Offsets of the rectangle's rows in `src`.
        let row = |i: usize| (y + i) * width + x;
        let mut terms = Vec::new();
        for e in &self.edges {
            terms.clear();
            terms.extend(self.terms[e.start..e.end].iter().map(|&(i, c)| (c, row(i))));
            weighted_sum(&mut dst[row(e.out)..][..lenx], src, &terms);
        }
        for r in &self.runs {
            for m in 0..r.count {
                for phase in 0..2 {
                    self.phase_terms(phase, row(r.lo + m), row(r.hi + m), width, &mut terms);
                    weighted_sum(&mut dst[row(r.out + 2 * m + phase)..][..lenx], src, &terms);
                }
            }
        }
    }

    /// The terms of one phase of a run's output: its low taps on the
    /// samples from offset `lo`, its high taps from `hi`, successive
    /// samples `step` apart.
    fn phase_terms(
        &self,
        phase: usize,
        lo: usize,
        hi: usize,
        step: usize,
        terms: &mut Vec<(f32, usize)>,
    ) {
        terms.clear();
        let lo_taps = self.lo_phase[phase].iter().enumerate();
        terms.extend(lo_taps.map(|(j, &c)| (c, lo + j * step)));
        let hi_taps = self.hi_phase[phase].iter().enumerate();
        terms.extend(hi_taps.map(|(j, &c)| (c, hi + j * step)));
    }
}

/// Work space of [`Plan::apply_line`].
#[derive(Default)]
pub(crate) struct Scratch {
    phase: [Vec<f32>; 2],
    terms: Vec<(f32, usize)>,
}

/// Values [`weighted_sum`] sums at a time: eight SSE registers' worth,
/// leaving the other eight for the weight and the sources (16 values took
/// 7 % more instructions, the loop's bookkeeping spread over fewer). What
/// is left of a line goes in blocks of [`SHORT_BLOCK`], then one by one.
const BLOCK: usize = 32;
const SHORT_BLOCK: usize = 8;

/// `dst[i] = Σ c × src[from + i]` over the `(c, from)` terms, in their
/// order.
///
/// Summed a block of values at a time, every term into the same block
/// before the next: term by term over the whole line, each of the eight
/// or so taps of a wavelet filter loaded and stored every value once more.
/// Each value's sum is formed in the same order either way, so the result
/// is the same to the bit.
pub(crate) fn weighted_sum(dst: &mut [f32], src: &[f32], terms: &[(f32, usize)]) {
    let mut done = sum_blocks::<BLOCK>(dst, src, terms, 0);
    done += sum_blocks::<SHORT_BLOCK>(&mut dst[done..], src, terms, done);
    for (k, d) in dst[done..].iter_mut().enumerate() {
        let at = done + k;
        *d = terms
            .iter()
            .fold(0.0, |sum, &(c, from)| sum + c * src[from + at]);
    }
}

/// [`weighted_sum`] over the whole blocks of `N` values of `dst`, whose
/// first value is sample `start` of the line; returns how many it summed.
fn sum_blocks<const N: usize>(
    dst: &mut [f32],
    src: &[f32],
    terms: &[(f32, usize)],
    mut start: usize,
) -> usize {
    let whole = dst.len() / N * N;
    for block in dst.chunks_exact_mut(N) {
        let mut acc = [0.0f32; N];
        for &(c, from) in terms {
            let src: &[f32; N] = src[from + start..][..N]
                .try_into()
                .expect("a block of N values");
            for k in 0..N {
                acc[k] += c * src[k];
            }
        }
        block.copy_from_slice(&acc);
        start += N;
    }
    whole
}

impl<'a> Builder<'a> {
    fn new(len: usize, bank: &'a Bank, inv: bool) -> Self {
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
        Builder {
            bank,
            len,
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
            outputs: vec![Vec::new(); len],
            interior: vec![false; len],
            runs: Vec::new(),
        }
    }

    /// The reference decoder's loop, recording terms instead of sums.
    fn run(&mut self) {
        let (mut limg, mut himg) = (0usize, 0usize);
        let mut osfac = self.ssfac;
        let mut fhre = self.ofhre;
        let (mut lstap, mut hstap) = (self.lotap, self.hotap);
        for _ in 0..self.hlen {
            if lstap == 1 && hstap == 1 && limg == himg && osfac == 1.0 && self.is_interior() {
                self.extend_run(limg);
                limg += 2;
                himg += 2;
            } else {
                for tap in (0..=lstap).rev() {
                    self.lo_terms(limg, tap);
                    limg += 1;
                }
                for tap in (0..=hstap).rev() {
                    fhre = self.ofhre;
                    self.hi_terms(himg, tap, osfac, &mut fhre);
                    himg += 1;
                }
            }
            advance_start(&mut self.lo_start, self.lp.0, &mut 1.0);
            lstap = 1;
            advance_start(&mut self.hi_start, self.hp.0, &mut osfac);
            hstap = 1;
        }
        let lo_last = if self.odd_len {
            self.lotap
        } else {
            self.lotap + 1
        };
        for tap in (lo_last..=1).rev() {
            self.lo_terms(limg, tap);
            limg += 1;
        }
        let hi_last = if self.odd_len {
            self.hotap
        } else {
            self.hotap + 1
        };
        if self.odd_len && self.bank.hi.len() == 2 {
            self.hi_start.pos -= self.hi_start.step;
            fhre = 1;
        }
        for tap in (hi_last..=1).rev() {
            if self.bank.hi.len() != 2 {
                fhre = self.ofhre;
            }
            self.hi_terms(himg, tap, osfac, &mut fhre);
            himg += 1;
        }
    }

    /// Both start walks move forward and no tap of either phase reaches a
    /// band end: the pair of outputs follows the run pattern.
    fn is_interior(&self) -> bool {
        let reads = |taps: usize| taps.div_ceil(2) as isize;
        let (l, h) = (self.lo_start, self.hi_start);
        let lo_ok =
            l.step == 1 && l.pos > self.lp.0 && l.pos + reads(self.bank.lo.len()) - 2 < self.lp.1;
        let hi_ok =
            h.step == 1 && h.pos > self.hp.0 && h.pos + reads(self.bank.hi.len()) - 1 < self.hp.1;
        lo_ok && hi_ok
    }

    fn extend_run(&mut self, out: usize) {
        let (lo, hi) = (self.lo_start.pos as usize, self.hi_start.pos as usize);
        if let Some(r) = self.runs.last_mut() {
            if r.out + 2 * r.count == out && r.lo + r.count == lo && r.hi + r.count == hi {
                r.count += 1;
                self.mark_interior(out);
                return;
            }
        }
        self.runs.push(Run {
            out,
            lo,
            hi,
            count: 1,
        });
        self.mark_interior(out);
    }

    fn mark_interior(&mut self, out: usize) {
        for o in out..(out + 2).min(self.len) {
            self.interior[o] = true;
        }
    }

    fn term(&mut self, out: usize, pos: isize, weight: f32) {
        let valid = usize::try_from(pos).ok().filter(|&p| p < self.len);
        if let (Some(terms), Some(p)) = (self.outputs.get_mut(out), valid) {
            terms.push((p, weight));
        }
    }

    /// Low-band terms of one output: taps `tap, tap+2, …` from the start walk.
    fn lo_terms(&mut self, out: usize, tap: usize) {
        let (p0, p1) = self.lp;
        let mut w = self.lo_start;
        self.term(out, w.pos, self.bank.lo[tap]);
        for i in (tap + 2..self.bank.lo.len()).step_by(2) {
            w.turn(p0, p1);
            w.pos += w.step;
            self.term(out, w.pos, self.bank.lo[i]);
        }
    }

    /// High-band terms of one output, with the sign flips of the
    /// antisymmetric extension used by even length filters.
    fn hi_terms(&mut self, out: usize, tap: usize, osfac: f32, fhre: &mut i32) {
        let (p0, p1) = self.hp;
        let mut w = self.hi_start;
        let mut sfac = osfac;
        for i in (tap..self.bank.hi.len()).step_by(2) {
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
            self.term(out, w.pos, self.bank.hi[i] * sfac);
            w.pos += w.step;
        }
    }

    fn finish(self) -> Plan {
        let mut edges = Vec::new();
        let mut terms = Vec::new();
        for (out, t) in self.outputs.into_iter().enumerate() {
            if self.interior[out] {
                continue;
            }
            let start = terms.len();
            terms.extend(t);
            edges.push(EdgeOutput {
                out,
                start,
                end: terms.len(),
            });
        }
        let phase =
            |f: &[f32], first: usize| f.iter().skip(first).step_by(2).copied().collect::<Vec<_>>();
        Plan {
            edges,
            terms,
            runs: self.runs,
            lo_phase: [phase(&self.bank.lo, 1), phase(&self.bank.lo, 0)],
            hi_phase: [phase(&self.bank.hi, 1), phase(&self.bank.hi, 0)],
        }
    }
}
