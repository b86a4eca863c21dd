//! Markers and the table and header segments of a WSQ stream.

use crate::error::{Error, ErrorKind, Result};
use crate::huffman::{TableSpec, MAX_CODE_LEN};
use crate::tree::TABLE_SUBBANDS;

pub(crate) const SOI: u16 = 0xFFA0;
pub(crate) const EOI: u16 = 0xFFA1;
pub(crate) const SOF: u16 = 0xFFA2;
pub(crate) const SOB: u16 = 0xFFA3;
pub(crate) const DTT: u16 = 0xFFA4;
pub(crate) const DQT: u16 = 0xFFA5;
pub(crate) const DHT: u16 = 0xFFA6;
pub(crate) const DRT: u16 = 0xFFA7;
pub(crate) const COM: u16 = 0xFFA8;
/// Restart markers RST0..RST7.
pub(crate) const RST0: u16 = 0xFFB0;
pub(crate) const RST7: u16 = 0xFFB7;
/// Number of Huffman table slots.
pub(crate) const HUFFMAN_SLOTS: usize = 8;

/// A cursor over the input that reports truncation with its offset.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    pub(crate) fn skip(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.data.len());
    }

    pub(crate) fn error(&self, kind: ErrorKind) -> Error {
        Error::at(kind, self.pos)
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| self.error(ErrorKind::Truncated))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Reads a marker (0xFFA0..=0xFFA8 or a restart).
    pub(crate) fn marker(&mut self) -> Result<u16> {
        let m = self.u16()?;
        if (SOI..=COM).contains(&m) || (RST0..=RST7).contains(&m) {
            Ok(m)
        } else {
            Err(Error::at(ErrorKind::UnexpectedMarker(m), self.pos - 2))
        }
    }

    /// Reads a segment's length field and returns a reader over its body.
    pub(crate) fn segment(&mut self, name: &'static str) -> Result<Reader<'a>> {
        let len = self.u16()? as usize;
        if len < 2 {
            return Err(self.error(bad(name, "length field below 2")));
        }
        let start = self.pos;
        let body = self.bytes(len - 2)?;
        Ok(Reader {
            data: &self.data[..start + body.len()],
            pos: start,
        })
    }
}

pub(crate) fn bad(segment: &'static str, reason: &'static str) -> ErrorKind {
    ErrorKind::BadSegment { segment, reason }
}

/// Scaled unsigned value: `value / 10^scale`, divided step by step in
/// single precision as the reference decoder does.
fn scaled(value: u32, scale: u8) -> f32 {
    let mut v = value as f32;
    for _ in 0..scale {
        v = (v as f64 / 10.0) as f32;
    }
    v
}

/// The frame header (SOF).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Frame {
    pub width: u16,
    pub height: u16,
    pub m_shift: f32,
    pub r_scale: f32,
    pub encoder: u8,
    pub software: u16,
}

pub(crate) fn read_frame(r: &mut Reader) -> Result<Frame> {
    let mut s = r.segment("frame header")?;
    let _black = s.u8()?;
    let _white = s.u8()?;
    let height = s.u16()?;
    let width = s.u16()?;
    let m_scale = s.u8()?;
    let m_shift = scaled(s.u16()? as u32, m_scale);
    let r_scale_ex = s.u8()?;
    let r_scale = scaled(s.u16()? as u32, r_scale_ex);
    let encoder = s.u8()?;
    let software = s.u16()?;
    Ok(Frame {
        width,
        height,
        m_shift,
        r_scale,
        encoder,
        software,
    })
}

/// Synthesis filters from a DTT segment, in the reference decoder's naming:
/// `hi` is built from the first (longer, lowpass-analysis) half-filter.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Filters {
    pub lo: Vec<f32>,
    pub hi: Vec<f32>,
}

pub(crate) fn read_transform(r: &mut Reader) -> Result<Filters> {
    let mut s = r.segment("transform table")?;
    let hisz = s.u8()? as usize;
    let losz = s.u8()? as usize;
    if hisz == 0 || losz == 0 || hisz > 32 || losz > 32 {
        return Err(s.error(bad("transform table", "filter length outside 1..=32")));
    }
    let mut hi = vec![0f32; hisz];
    for cnt in 0..hisz.div_ceil(2) {
        let a = read_coefficient(&mut s)?;
        let c = hisz.div_ceil(2) - 1;
        let signed = alternate(cnt) * a;
        if hisz % 2 == 1 {
            hi[c + cnt] = signed;
            hi[c - cnt] = signed;
        } else {
            hi[cnt + c + 1] = signed;
            hi[c - cnt] = -signed;
        }
    }
    let mut lo = vec![0f32; losz];
    for cnt in 0..losz.div_ceil(2) {
        let a = read_coefficient(&mut s)?;
        let c = losz.div_ceil(2) - 1;
        if losz % 2 == 1 {
            lo[c + cnt] = alternate(cnt) * a;
            lo[c - cnt] = lo[c + cnt];
        } else {
            lo[cnt + c + 1] = alternate(cnt + 1) * a;
            lo[c - cnt] = lo[cnt + c + 1];
        }
    }
    Ok(Filters { lo, hi })
}

fn alternate(n: usize) -> f32 {
    if n % 2 == 0 {
        1.0
    } else {
        -1.0
    }
}

fn read_coefficient(s: &mut Reader) -> Result<f32> {
    let sign = s.u8()?;
    let scale = s.u8()?;
    let v = scaled(s.u32()?, scale);
    Ok(if sign != 0 { -v } else { v })
}

/// Quantiser parameters from a DQT segment.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Quantization {
    pub bin_center: f32,
    pub q_bin: [f32; TABLE_SUBBANDS],
    pub z_bin: [f32; TABLE_SUBBANDS],
}

pub(crate) fn read_quantization(r: &mut Reader) -> Result<Quantization> {
    let mut s = r.segment("quantization table")?;
    let scale = s.u8()?;
    let bin_center = scaled(s.u16()? as u32, scale);
    let mut q_bin = [0f32; TABLE_SUBBANDS];
    let mut z_bin = [0f32; TABLE_SUBBANDS];
    for k in 0..TABLE_SUBBANDS {
        let qs = s.u8()?;
        q_bin[k] = scaled(s.u16()? as u32, qs);
        let zs = s.u8()?;
        z_bin[k] = scaled(s.u16()? as u32, zs);
    }
    Ok(Quantization {
        bin_center,
        q_bin,
        z_bin,
    })
}

/// Reads a DHT segment (one or more tables) into the slots.
pub(crate) fn read_huffman(
    r: &mut Reader,
    slots: &mut [Option<TableSpec>; HUFFMAN_SLOTS],
) -> Result<()> {
    let mut s = r.segment("Huffman table")?;
    loop {
        let id = s.u8()? as usize;
        if id >= HUFFMAN_SLOTS {
            return Err(s.error(bad("Huffman table", "table id above 7")));
        }
        let mut counts = [0u8; MAX_CODE_LEN];
        counts.copy_from_slice(s.bytes(MAX_CODE_LEN)?);
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        if total > 256 {
            return Err(s.error(bad("Huffman table", "more than 256 codes")));
        }
        let values = s.bytes(total)?.to_vec();
        slots[id] = Some(TableSpec { counts, values });
        if s.rest().is_empty() {
            return Ok(());
        }
    }
}

/// Reads a restart-interval segment (DRT); the interval itself is not
/// needed to decode, since restart markers are found in the data.
pub(crate) fn read_restart_interval(r: &mut Reader) -> Result<u16> {
    let mut s = r.segment("restart interval")?;
    s.u16()
}

/// Reads a comment segment's bytes.
pub(crate) fn read_comment<'a>(r: &mut Reader<'a>) -> Result<&'a [u8]> {
    let s = r.segment("comment")?;
    Ok(s.rest())
}
