//! Scalar quantisation of the wavelet subbands: the decoder's
//! reconstruction (`Dequantizer`) and the encoder's bit allocation
//! (`allocate`) and quantiser (`quantize`).

use crate::tables::Quantization;
use crate::tree::{Subband, CODED_SUBBANDS};

/// Writes decoded coefficients, in stream order, into a float image as
/// reconstructed wavelet values. Zero coefficients are skipped over: the
/// image starts at zero.
pub(crate) struct Dequantizer<'a> {
    out: &'a mut [f32],
    width: usize,
    /// `(subband, bin width, half zero-bin width)` of coded subbands.
    bands: Vec<(Subband, f32, f32)>,
    center: f32,
    /// Current subband, row and column within it.
    band: usize,
    row: usize,
    col: usize,
    written: usize,
    capacity: usize,
}

impl<'a> Dequantizer<'a> {
    pub(crate) fn new(
        out: &'a mut [f32],
        width: usize,
        subbands: &[Subband],
        q: &Quantization,
    ) -> Self {
        let bands: Vec<_> = subbands[..CODED_SUBBANDS]
            .iter()
            .enumerate()
            .filter(|(k, s)| q.q_bin[*k] != 0.0 && s.area() > 0)
            .map(|(k, s)| (*s, q.q_bin[k], q.z_bin[k] / 2.0))
            .collect();
        let capacity = bands.iter().map(|b| b.0.area()).sum();
        let center = q.bin_center;
        Dequantizer {
            out,
            width,
            bands,
            center,
            band: 0,
            row: 0,
            col: 0,
            written: 0,
            capacity,
        }
    }

    /// Coefficients the image holds.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Coefficients consumed so far.
    pub(crate) fn written(&self) -> usize {
        self.written
    }

    /// Skips `n` zero coefficients; false if that runs past the image.
    pub(crate) fn zeros(&mut self, n: usize) -> bool {
        if n > self.capacity - self.written {
            return false;
        }
        self.written += n;
        let mut n = n;
        while n > 0 {
            let s = self.bands[self.band].0;
            let offset = self.row * s.lenx + self.col + n;
            if offset < s.area() {
                self.row = offset / s.lenx;
                self.col = offset % s.lenx;
                return true;
            }
            n = offset - s.area();
            self.band += 1;
            self.row = 0;
            self.col = 0;
        }
        true
    }

    /// Places one non-zero coefficient; false if the image is full.
    #[inline]
    pub(crate) fn push(&mut self, v: i32) -> bool {
        if self.written == self.capacity {
            return false;
        }
        let (s, q, half_z) = self.bands[self.band];
        let value = if v > 0 {
            q * (v as f32 - self.center) + half_z
        } else {
            q * (v as f32 + self.center) - half_z
        };
        self.out[(s.y + self.row) * self.width + s.x + self.col] = value;
        self.written += 1;
        self.col += 1;
        if self.col == s.lenx {
            self.col = 0;
            self.row += 1;
            if self.row == s.leny {
                self.row = 0;
                self.band += 1;
            }
        }
        true
    }
}

/// Subbands with a variance below this carry no bits.
const VARIANCE_THRESHOLD: f32 = 1.01;
/// First subband of the 16×16-decimated group and of the 4×4 group.
const REGION_2: usize = 4;
const REGION_3: usize = 51;
const BLOCK_3: usize = 52;

/// Variances of the 60 subbands, over the central part of each subband
/// as the specification prescribes (the whole subband for quiet images).
pub(crate) fn variances(img: &[f32], width: usize, subbands: &[Subband]) -> [f32; CODED_SUBBANDS] {
    let mut var = [0f32; CODED_SUBBANDS];
    let central = |s: &Subband| Subband {
        x: s.x + s.lenx / 8,
        y: s.y + (9 * s.leny) / 32,
        lenx: 3 * s.lenx / 4,
        leny: 7 * s.leny / 16,
    };
    let low_sum: f32 = (0..4)
        .map(|k| variance(img, width, &central(&subbands[k])))
        .sum();
    for (k, v) in var.iter_mut().enumerate() {
        let s = &subbands[k];
        *v = if low_sum < 20000.0 {
            variance(img, width, s)
        } else {
            variance(img, width, &central(s))
        };
    }
    var
}

fn variance(img: &[f32], width: usize, s: &Subband) -> f32 {
    let n = s.area();
    if n < 2 {
        return 0.0;
    }
    let (mut sum, mut ssq) = (0f64, 0f64);
    for r in s.y..s.y + s.leny {
        for &v in &img[r * width + s.x..r * width + s.x + s.lenx] {
            sum += v as f64;
            ssq += (v as f64) * (v as f64);
        }
    }
    ((ssq - sum * sum / n as f64) / (n as f64 - 1.0)) as f32
}

/// Bin widths `(q, z)` per subband for a target bit rate (bits per pixel),
/// by the specification's iterative allocation.
pub(crate) fn allocate(
    var: &[f32; CODED_SUBBANDS],
    bitrate: f32,
) -> ([f32; CODED_SUBBANDS], [f32; CODED_SUBBANDS]) {
    let weight = |k: usize| match k {
        52 | 56 => 1.32,
        53 | 55 | 58 | 59 => 1.08,
        54 | 57 => 1.42,
        _ => 1.0,
    };
    // Reciprocal of the specification's m: the subband's share of the pixels.
    let share = |k: usize| match k {
        k if k < REGION_2 => 1.0 / 1024.0,
        k if k < REGION_3 => 1.0 / 256.0,
        _ => 1.0 / 16.0,
    };
    let coded: Vec<usize> = (0..CODED_SUBBANDS)
        .filter(|&k| var[k] >= VARIANCE_THRESHOLD)
        .collect();
    let mut relative = [0f64; CODED_SUBBANDS];
    let mut sigma = [0f64; CODED_SUBBANDS];
    for &k in &coded {
        relative[k] = if k < REGION_2 {
            1.0
        } else {
            10.0 / (weight(k) * (var[k] as f64).ln())
        };
        sigma[k] = (var[k] as f64).sqrt();
    }
    let mut active = coded.clone();
    let mut q = 1.0f64;
    while !active.is_empty() {
        let s: f64 = active.iter().map(|&k| share(k)).sum();
        let p: f64 = active
            .iter()
            .map(|&k| (sigma[k] / relative[k]).powf(share(k)))
            .product();
        q = (2f64.powf(bitrate as f64 / s - 1.0) / 2.5) / p.powf(1.0 / s);
        let before = active.len();
        active.retain(|&k| relative[k] / q < 5.0 * sigma[k]);
        if active.len() == before {
            break;
        }
    }
    let mut qbin = [0f32; CODED_SUBBANDS];
    let mut zbin = [0f32; CODED_SUBBANDS];
    for &k in &coded {
        qbin[k] = (relative[k] / q) as f32;
        zbin[k] = 1.2 * qbin[k];
    }
    (qbin, zbin)
}

/// Quantised coefficients of the coded subbands, in stream order, and the
/// count in each of the three Huffman blocks.
pub(crate) fn quantize(
    img: &[f32],
    width: usize,
    subbands: &[Subband],
    qbin: &[f32; CODED_SUBBANDS],
    zbin: &[f32; CODED_SUBBANDS],
) -> (Vec<i16>, [usize; 3]) {
    let mut out = Vec::with_capacity(img.len());
    let mut blocks = [0usize; 3];
    for k in 0..CODED_SUBBANDS {
        if qbin[k] == 0.0 {
            continue;
        }
        let s = &subbands[k];
        let half_z = zbin[k] / 2.0;
        for r in s.y..s.y + s.leny {
            for &v in &img[r * width + s.x..r * width + s.x + s.lenx] {
                let q = if -half_z <= v && v <= half_z {
                    0.0
                } else if v > 0.0 {
                    (v - half_z) / qbin[k] + 1.0
                } else {
                    (v + half_z) / qbin[k] - 1.0
                };
                out.push(q.clamp(i16::MIN as f32, i16::MAX as f32) as i16);
            }
        }
        let block = if k < 19 {
            0
        } else if k < BLOCK_3 {
            1
        } else {
            2
        };
        blocks[block] += s.area();
    }
    (out, blocks)
}
