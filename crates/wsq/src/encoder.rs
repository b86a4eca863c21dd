//! The WSQ encoder: wavelet decomposition, bit allocation for a target bit
//! rate, quantisation and Huffman coding, written in NIST `cwsq`'s layout.

use crate::error::{ErrorKind, Result};
use crate::huffman::{build_spec, encode_codes, TableSpec};
use crate::nistcom::NistCom;
use crate::quant;
use crate::tables;
#[cfg(test)]
use crate::tables::{Filters, Reader};
use crate::tree::{Trees, CODED_SUBBANDS, TABLE_SUBBANDS};
use crate::wavelet::{self, Bank};

/// Analysis lowpass filter of the specification (9 taps).
pub(crate) const ANALYSIS_LO: [f32; 9] = [
    0.037_828_455,
    -0.023_849_465,
    -0.110_624_41,
    0.377_402_86,
    0.852_698_7,
    0.377_402_86,
    -0.110_624_41,
    -0.023_849_465,
    0.037_828_455,
];
/// Analysis highpass filter of the specification (7 taps).
pub(crate) const ANALYSIS_HI: [f32; 7] = [
    0.064_538_88,
    -0.040_689_42,
    -0.418_092_28,
    0.788_485_6,
    -0.418_092_28,
    -0.040_689_42,
    0.064_538_88,
];

/// Default bit rate: the FBI's 15:1 setting for 500 ppi prints.
pub const DEFAULT_BITRATE: f32 = 0.75;

/// Encodes 8-bit grey images to WSQ.
#[derive(Clone, Debug)]
pub struct Encoder {
    bitrate: f32,
    ppi: Option<u16>,
    comments: Vec<Vec<u8>>,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder {
            bitrate: DEFAULT_BITRATE,
            ppi: None,
            comments: Vec::new(),
        }
    }
}

impl Encoder {
    /// An encoder at `bitrate` bits per pixel (0.75 is the FBI setting).
    pub fn new(bitrate: f32) -> Result<Self> {
        if !(bitrate > 0.0 && bitrate <= 8.0) {
            return Err(ErrorKind::InvalidBitrate(bitrate).into());
        }
        Ok(Encoder {
            bitrate,
            ..Encoder::default()
        })
    }

    /// Records the resolution in the NISTCOM comment.
    pub fn ppi(mut self, ppi: u16) -> Self {
        self.ppi = Some(ppi);
        self
    }

    /// Adds a comment segment after the NISTCOM one (at most 65 533 bytes).
    pub fn comment(mut self, bytes: Vec<u8>) -> Self {
        self.comments.push(bytes);
        self
    }

    /// Encodes `pixels` (row-major, `width × height` bytes).
    pub fn encode(&self, pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
        let (w, h) = check_size(pixels, width, height)?;
        let (m_shift, r_scale) = shift_and_scale(pixels);
        let mut img: Vec<f32> = pixels
            .iter()
            .map(|&p| (p as f32 - m_shift) / r_scale)
            .collect();
        let trees = Trees::new(w, h);
        wavelet::decompose(
            &mut img,
            w,
            &trees.wavelet,
            &Bank::analysis(&ANALYSIS_LO, &ANALYSIS_HI),
        );
        let var = quant::variances(&img, w, &trees.subbands);
        let (qbin, zbin) = quant::allocate(&var, self.bitrate);
        let (qbin, zbin) = (qbin.map(round_for_table), zbin.map(round_for_table));
        let (coeffs, counts) = quant::quantize(&img, w, &trees.subbands, &qbin, &zbin);
        let mut out = Vec::with_capacity(coeffs.len() / 4 + 1024);
        self.write_headers(&mut out, w as u16, h as u16);
        write_transform(&mut out);
        write_quantization(&mut out, &qbin, &zbin);
        write_frame(&mut out, w as u16, h as u16, m_shift, r_scale);
        let (b1, rest) = coeffs.split_at(counts[0]);
        let (b2, b3) = rest.split_at(counts[1]);
        write_block_group(&mut out, 0, &[b1]);
        write_block_group(&mut out, 1, &[b2, b3]);
        put_u16(&mut out, tables::EOI);
        Ok(out)
    }

    fn write_headers(&self, out: &mut Vec<u8>, w: u16, h: u16) {
        put_u16(out, tables::SOI);
        let nistcom = NistCom::for_encoder(w, h, self.ppi, self.bitrate).to_bytes();
        for c in std::iter::once(&nistcom).chain(&self.comments) {
            let c = &c[..c.len().min(u16::MAX as usize - 2)];
            put_u16(out, tables::COM);
            put_u16(out, c.len() as u16 + 2);
            out.extend_from_slice(c);
        }
    }
}

fn check_size(pixels: &[u8], width: u32, height: u32) -> Result<(usize, usize)> {
    if width == 0 || height == 0 || width > u16::MAX as u32 || height > u16::MAX as u32 {
        return Err(ErrorKind::InvalidImage("width and height must be 1..=65535").into());
    }
    // Smaller images leave some of the 64 subbands empty.
    if width < 32 || height < 32 {
        return Err(ErrorKind::InvalidImage("width and height must be at least 32").into());
    }
    if pixels.len() != width as usize * height as usize {
        return Err(ErrorKind::InvalidImage("pixel count is not width × height").into());
    }
    Ok((width as usize, height as usize))
}

/// Mean and scale that map the pixels into ±128, rounded to what the
/// frame header can carry so that the decoder undoes exactly this.
fn shift_and_scale(pixels: &[u8]) -> (f32, f32) {
    let sum: u64 = pixels.iter().map(|&p| p as u64).sum();
    let mean = (sum as f64 / pixels.len() as f64) as f32;
    let (lo, hi) = pixels
        .iter()
        .fold((255u8, 0u8), |(l, h), &p| (l.min(p), h.max(p)));
    let spread = (mean - lo as f32).max(hi as f32 - mean).max(1.0);
    (round_for_table(mean), round_for_table(spread / 128.0))
}

/// Splits a positive value into `(scale, digits)` with `digits / 10^scale`
/// as close as a 16-bit (or `limit`) integer allows.
fn scaled_digits(v: f64, limit: f64) -> (u8, u64) {
    if v <= 0.0 {
        return (0, 0);
    }
    let (mut scale, mut t) = (0u8, v);
    while t < limit && scale < 40 {
        scale += 1;
        t *= 10.0;
    }
    let scale = scale.saturating_sub(1);
    (
        scale,
        (v * 10f64.powi(scale as i32)).round().min(limit) as u64,
    )
}

fn round_for_table(v: f32) -> f32 {
    let (scale, digits) = scaled_digits(v as f64, 65535.0);
    (digits as f64 / 10f64.powi(scale as i32)) as f32
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_scaled_u16(out: &mut Vec<u8>, v: f32) {
    let (scale, digits) = scaled_digits(v as f64, 65535.0);
    out.push(scale);
    put_u16(out, digits as u16);
}

fn transform_bytes() -> Vec<u8> {
    let mut out = Vec::new();
    put_u16(&mut out, tables::DTT);
    put_u16(&mut out, 58);
    out.push(ANALYSIS_LO.len() as u8);
    out.push(ANALYSIS_HI.len() as u8);
    let halves = ANALYSIS_LO[ANALYSIS_LO.len() / 2..]
        .iter()
        .chain(&ANALYSIS_HI[ANALYSIS_HI.len() / 2..]);
    for &c in halves {
        out.push(u8::from(c < 0.0));
        let (scale, digits) = scaled_digits(c.abs() as f64, u32::MAX as f64);
        out.push(scale);
        out.extend_from_slice(&(digits as u32).to_be_bytes());
    }
    out
}

fn write_transform(out: &mut Vec<u8>) {
    out.extend_from_slice(&transform_bytes());
}

/// The synthesis filters a decoder reads from this encoder's DTT segment.
#[cfg(test)]
pub(crate) fn transform_table_filters() -> Filters {
    let bytes = transform_bytes();
    let mut r = Reader::new(&bytes[2..]);
    tables::read_transform(&mut r).expect("own table parses")
}

fn write_quantization(
    out: &mut Vec<u8>,
    qbin: &[f32; CODED_SUBBANDS],
    zbin: &[f32; CODED_SUBBANDS],
) {
    put_u16(out, tables::DQT);
    put_u16(out, 389);
    out.push(2);
    put_u16(out, 44); // bin centre 0.44
    for k in 0..TABLE_SUBBANDS {
        let (q, z) = if k < CODED_SUBBANDS {
            (qbin[k], zbin[k])
        } else {
            (0.0, 0.0)
        };
        put_scaled_u16(out, q);
        put_scaled_u16(out, z);
    }
}

fn write_frame(out: &mut Vec<u8>, w: u16, h: u16, m_shift: f32, r_scale: f32) {
    put_u16(out, tables::SOF);
    put_u16(out, 17);
    out.push(0); // black
    out.push(255); // white
    put_u16(out, h);
    put_u16(out, w);
    put_scaled_u16(out, m_shift);
    put_scaled_u16(out, r_scale);
    out.push(0); // encoder number
    put_u16(out, 0); // software
}

/// A coded symbol and its extra bits `(value, count)`.
type Symbol = (u8, u16, u8);

fn symbols(coeffs: &[i16], mut emit: impl FnMut(Symbol)) {
    let mut run: u32 = 0;
    let flush = |run: u32, emit: &mut dyn FnMut(Symbol)| match run {
        0 => {}
        1..=100 => emit((run as u8, 0, 0)),
        101..=255 => emit((105, run as u16, 8)),
        _ => emit((106, run as u16, 16)),
    };
    for &c in coeffs {
        if c == 0 {
            run += 1;
            if run == u16::MAX as u32 {
                flush(run, &mut emit);
                run = 0;
            }
            continue;
        }
        flush(run, &mut emit);
        run = 0;
        let v = c as i32;
        match v {
            -73..=74 => emit(((180 + v) as u8, 0, 0)),
            75..=255 => emit((101, v as u16, 8)),
            256.. => emit((103, v as u16, 16)),
            -255..=-74 => emit((102, (-v) as u16, 8)),
            _ => emit((104, (-v) as u16, 16)),
        }
    }
    flush(run, &mut emit);
}

/// Writes a Huffman table built for `blocks` and then each block with it.
fn write_block_group(out: &mut Vec<u8>, table_id: u8, blocks: &[&[i16]]) {
    let mut freq = [0u32; 256];
    for b in blocks {
        symbols(b, |(s, _, _)| freq[s as usize] += 1);
    }
    let spec = build_spec(&freq);
    write_huffman(out, table_id, &spec);
    let codes = encode_codes(&spec);
    for b in blocks {
        put_u16(out, tables::SOB);
        put_u16(out, 3);
        out.push(table_id);
        let mut w = BitWriter { out, acc: 0, n: 0 };
        symbols(b, |(s, extra, bits)| {
            let (code, len) = codes[s as usize];
            w.put(code as u32, len as u32);
            if bits > 0 {
                w.put(extra as u32, bits as u32);
            }
        });
        w.finish();
    }
}

fn write_huffman(out: &mut Vec<u8>, table_id: u8, spec: &TableSpec) {
    put_u16(out, tables::DHT);
    put_u16(out, (2 + 1 + 16 + spec.values.len()) as u16);
    out.push(table_id);
    out.extend_from_slice(&spec.counts);
    out.extend_from_slice(&spec.values);
}

/// Packs bits MSB first, stuffing a zero byte after each 0xFF.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter<'_> {
    fn put(&mut self, bits: u32, len: u32) {
        self.acc = (self.acc << len) | (bits as u64 & ((1u64 << len) - 1));
        self.n += len;
        while self.n >= 8 {
            self.n -= 8;
            let byte = (self.acc >> self.n) as u8;
            self.out.push(byte);
            if byte == 0xFF {
                self.out.push(0);
            }
        }
    }

    /// Pads the last byte with one bits.
    fn finish(mut self) {
        if self.n > 0 {
            let pad = 8 - self.n;
            self.put((1 << pad) - 1, pad);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Decoder;

    /// A ridge-like test pattern: a sinusoid whose direction turns.
    fn ridges(w: u32, h: u32) -> Vec<u8> {
        (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                let angle = (x + y) / (w + h) as f32 * 3.0;
                let phase = (x * angle.cos() + y * angle.sin()) * 0.6;
                (128.0 + 90.0 * phase.sin()) as u8
            })
            .collect()
    }

    fn psnr(a: &[u8], b: &[u8]) -> f64 {
        let se: f64 = a
            .iter()
            .zip(b)
            .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
            .sum();
        10.0 * (255.0f64.powi(2) / (se / a.len() as f64)).log10()
    }

    /// Round trip over odd and even sizes: the size and resolution come
    /// back, quality grows with the bit rate, and the size follows it.
    #[test]
    fn round_trip_over_sizes_and_rates() {
        for (w, h) in [(33, 47), (64, 61), (127, 96), (250, 251)] {
            let pixels = ridges(w, h);
            let mut last = (0.0, 0usize);
            for rate in [0.5, 1.0, 2.5] {
                let wsq = Encoder::new(rate)
                    .unwrap()
                    .ppi(1000)
                    .encode(&pixels, w, h)
                    .unwrap();
                let image = Decoder::new(&wsq).decode().unwrap();
                assert_eq!(
                    (image.width, image.height, image.header.ppi),
                    (w, h, Some(1000))
                );
                let q = psnr(&pixels, &image.pixels);
                let grew = q > last.0 && wsq.len() > last.1;
                assert!(grew, "{w}x{h} at {rate}: {q:.1} dB, {} bytes", wsq.len());

                last = (q, wsq.len());
            }
            // Below about 100 pixels the coarsest subbands hold one or two
            // coefficients and WSQ's variance-based allocation starves them.
            if w > 100 {
                assert!(last.0 > 35.0, "{w}x{h}: {:.1} dB at 2.5 bpp", last.0);
            }
        }
    }

    #[test]
    fn invalid_inputs_are_refused() {
        assert!(Encoder::new(0.0).is_err());
        assert!(Encoder::new(f32::NAN).is_err());
        let e = Encoder::default();
        assert!(e.encode(&[0; 10], 5, 2).is_err());
        assert!(e.encode(&[0; 32 * 32], 32, 31).is_err());
        // A flat image (no variance anywhere) still encodes and decodes.
        let flat = e.encode(&[77; 40 * 40], 40, 40).unwrap();
        assert!(Decoder::new(&flat)
            .decode()
            .unwrap()
            .pixels
            .iter()
            .all(|&p| p.abs_diff(77) <= 1));
    }
}
