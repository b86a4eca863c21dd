//! The two fixed decomposition trees of WSQ: the 20 wavelet splits
//! (`WaveletNode`) and the 64 quantisation subbands (`Subband`) they leave.
//!
//! Their sizes depend only on the image size; the odd/even rules follow the
//! specification's Annex A, so that encoder and decoder agree on where each
//! subband lies.

/// Number of wavelet split nodes.
pub(crate) const WAVELET_NODES: usize = 20;
/// Number of subbands that carry coefficients (60..64 are always empty).
pub(crate) const CODED_SUBBANDS: usize = 60;
/// Number of subbands in the quantisation table.
pub(crate) const TABLE_SUBBANDS: usize = 64;

/// A rectangle of the image transformed by one two-dimensional split.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct WaveletNode {
    pub x: usize,
    pub y: usize,
    pub lenx: usize,
    pub leny: usize,
    /// The row split (horizontal filtering) puts the high band first.
    pub inv_rw: bool,
    /// The column split (vertical filtering) puts the high band first.
    pub inv_cl: bool,
}

/// A rectangle of wavelet coefficients quantised with one bin width.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Subband {
    pub x: usize,
    pub y: usize,
    pub lenx: usize,
    pub leny: usize,
}

impl Subband {
    pub(crate) fn area(&self) -> usize {
        self.lenx * self.leny
    }
}

/// Both trees for an image of the given size.
#[derive(Clone, Debug)]
pub(crate) struct Trees {
    pub wavelet: [WaveletNode; WAVELET_NODES],
    pub subbands: [Subband; TABLE_SUBBANDS],
}

impl Trees {
    pub(crate) fn new(width: usize, height: usize) -> Self {
        let wavelet = wavelet_tree(width, height);
        let subbands = subband_tree(&wavelet);
        Trees { wavelet, subbands }
    }
}

/// `(first, second)` halves of a length; the first takes the odd sample
/// unless `second_larger`.
fn halves(len: usize, second_larger: bool) -> (usize, usize) {
    if len % 2 == 0 {
        (len / 2, len / 2)
    } else if second_larger {
        (len / 2, len.div_ceil(2))
    } else {
        (len.div_ceil(2), len / 2)
    }
}

fn wavelet_tree(width: usize, height: usize) -> [WaveletNode; WAVELET_NODES] {
    let mut t = [WaveletNode::default(); WAVELET_NODES];
    for n in [2, 4, 7, 9, 11, 13, 16, 18] {
        t[n].inv_rw = true;
    }
    for n in [3, 5, 8, 9, 12, 13, 17, 18] {
        t[n].inv_cl = true;
    }
    split4(&mut t, 0, 1, width, height, 0, 0, true);
    let (lenx, lenx2) = halves(t[1].lenx, false);
    let (leny, leny2) = halves(t[1].leny, false);
    split4(&mut t, 4, 6, lenx2, leny, lenx, 0, false);
    split4(&mut t, 5, 10, lenx, leny2, 0, leny, false);
    split4(&mut t, 14, 15, lenx, leny, 0, 0, false);
    t[19].lenx = t[15].lenx.div_ceil(2);
    t[19].leny = t[15].leny.div_ceil(2);
    t
}

/// Places node `p1` and the four quarters `p2..p2+4` it splits into
/// (the fourth is left out for the top split, whose quarters are nodes 1..4
/// laid out by hand).
#[allow(clippy::too_many_arguments)]
fn split4(
    t: &mut [WaveletNode; WAVELET_NODES],
    p1: usize,
    p2: usize,
    lenx: usize,
    leny: usize,
    x: usize,
    y: usize,
    top: bool,
) {
    t[p1].x = x;
    t[p1].y = y;
    t[p1].lenx = lenx;
    t[p1].leny = leny;
    t[p2].x = x;
    t[p2 + 2].x = x;
    t[p2].y = y;
    t[p2 + 1].y = y;
    let (ax, bx) = halves(lenx, p1 == 4);
    t[p2].lenx = ax;
    t[p2 + 1].lenx = bx;
    t[p2 + 1].x = ax + x;
    if !top {
        t[p2 + 3].lenx = bx;
        t[p2 + 3].x = t[p2 + 1].x;
    }
    t[p2 + 2].lenx = ax;
    let (ay, by) = halves(leny, p1 == 5);
    t[p2].leny = ay;
    t[p2 + 2].leny = by;
    t[p2 + 2].y = ay + y;
    if !top {
        t[p2 + 3].leny = by;
        t[p2 + 3].y = t[p2 + 2].y;
    }
    t[p2 + 1].leny = ay;
}

fn subband_tree(w: &[WaveletNode; WAVELET_NODES]) -> [Subband; TABLE_SUBBANDS] {
    let mut q = [Subband::default(); TABLE_SUBBANDS];
    let region = |n: usize| Subband {
        x: w[n].x,
        y: w[n].y,
        lenx: w[n].lenx,
        leny: w[n].leny,
    };
    split16(&mut q, 3, region(14), false, false);
    split16(&mut q, 19, region(4), false, true);
    split16(&mut q, 48, region(0), false, false);
    split16(&mut q, 35, region(5), true, false);
    split_quad(&mut q, 0, region(19));
    q
}

/// Splits a region into 2×2 subbands at `q[p..p+4]`, odd samples first.
fn split_quad(q: &mut [Subband; TABLE_SUBBANDS], p: usize, r: Subband) {
    let (ax, bx) = halves(r.lenx, false);
    let (ay, by) = halves(r.leny, false);
    q[p] = Subband {
        x: r.x,
        y: r.y,
        lenx: ax,
        leny: ay,
    };
    q[p + 1] = Subband {
        x: r.x + ax,
        y: r.y,
        lenx: bx,
        leny: ay,
    };
    q[p + 2] = Subband {
        x: r.x,
        y: r.y + ay,
        lenx: ax,
        leny: by,
    };
    q[p + 3] = Subband {
        x: r.x + ax,
        y: r.y + ay,
        lenx: bx,
        leny: by,
    };
}

/// Splits a region into 4×4 subbands at `q[p..p+16]`: a 2×2 split whose
/// quarters are split again. `rw`/`cl` say the region's first split was
/// spectrally inverted, which gives the odd sample to the second half.
fn split16(q: &mut [Subband; TABLE_SUBBANDS], p: usize, r: Subband, rw: bool, cl: bool) {
    let (tx, t2x) = halves(r.lenx, cl);
    let (ty, t2y) = halves(r.leny, rw);
    split_quad(
        q,
        p,
        Subband {
            x: r.x,
            y: r.y,
            lenx: tx,
            leny: ty,
        },
    );
    // Second quarter (right of the first): its odd column goes right.
    let (ax, bx) = halves(t2x, true);
    let x4 = r.x + tx;
    let (a0, a2) = (q[p].leny, q[p + 2].leny);
    let y2 = q[p + 2].y;
    q[p + 4] = Subband {
        x: x4,
        y: r.y,
        lenx: ax,
        leny: a0,
    };
    q[p + 5] = Subband {
        x: x4 + ax,
        y: r.y,
        lenx: bx,
        leny: a0,
    };
    q[p + 6] = Subband {
        x: x4,
        y: y2,
        lenx: ax,
        leny: a2,
    };
    q[p + 7] = Subband {
        x: x4 + ax,
        y: y2,
        lenx: bx,
        leny: a2,
    };
    // Third quarter (below the first): its odd row goes down.
    let (ay, by) = halves(t2y, true);
    let y8 = r.y + ty;
    let (l0, l1, x1) = (q[p].lenx, q[p + 1].lenx, q[p + 1].x);
    q[p + 8] = Subband {
        x: r.x,
        y: y8,
        lenx: l0,
        leny: ay,
    };
    q[p + 9] = Subband {
        x: x1,
        y: y8,
        lenx: l1,
        leny: ay,
    };
    q[p + 10] = Subband {
        x: r.x,
        y: y8 + ay,
        lenx: l0,
        leny: by,
    };
    q[p + 11] = Subband {
        x: x1,
        y: y8 + ay,
        lenx: l1,
        leny: by,
    };
    // Fourth quarter: columns of the second, rows of the third.
    for (k, (cx, cy)) in [(4, 8), (5, 8), (4, 10), (5, 10)].into_iter().enumerate() {
        q[p + 12 + k] = Subband {
            x: q[p + cx].x,
            y: q[p + cy].y,
            lenx: q[p + cx].lenx,
            leny: q[p + cy].leny,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 60 coded subbands cover the image once, except the first
    /// split's high-high quarter, which WSQ drops.
    #[test]
    fn coded_subbands_tile_all_but_the_dropped_quarter() {
        for (w, h) in [(500, 500), (832, 768), (545, 622), (37, 41)] {
            let t = Trees::new(w, h);
            let mut seen = vec![0u8; w * h];
            for s in &t.subbands[..CODED_SUBBANDS] {
                for y in s.y..s.y + s.leny {
                    for x in s.x..s.x + s.lenx {
                        seen[y * w + x] += 1;
                    }
                }
            }
            let (qx, qy) = (w.div_ceil(2), h.div_ceil(2));
            for y in 0..h {
                for x in 0..w {
                    let dropped = x >= qx && y >= qy;
                    assert_eq!(seen[y * w + x], u8::from(!dropped), "{w}x{h} at ({x},{y})");
                }
            }
        }
    }
}
