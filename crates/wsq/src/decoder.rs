//! The WSQ decoder: stream parsing, entropy decoding and reconstruction.

use crate::error::{Error, ErrorKind, Result};
use crate::huffman::{DecodeTable, TableSpec};
use crate::nistcom::NistCom;
use crate::quant::Dequantizer;
use crate::tables::{self, Filters, Frame, Quantization, Reader, HUFFMAN_SLOTS};
use crate::tree::Trees;
use crate::wavelet::{self, Bank};
use crate::{Header, Image, Limits};

/// Decodes one WSQ stream held in memory.
///
/// `header()` reads only the segments before the frame header; `decode`
/// checks the [`Limits`] against the frame header before it allocates.
#[derive(Clone, Debug)]
pub struct Decoder<'a> {
    data: &'a [u8],
    limits: Limits,
}

/// Tables gathered while walking the stream.
#[derive(Default)]
struct Tables<'a> {
    filters: Option<Filters>,
    quantization: Option<Quantization>,
    huffman: [Option<TableSpec>; HUFFMAN_SLOTS],
    comments: Vec<&'a [u8]>,
}

impl<'a> Tables<'a> {
    /// Reads the table or comment segment introduced by `marker`.
    fn read(&mut self, marker: u16, r: &mut Reader<'a>) -> Result<()> {
        match marker {
            tables::DTT => self.filters = Some(tables::read_transform(r)?),
            tables::DQT => self.quantization = Some(tables::read_quantization(r)?),
            tables::DHT => tables::read_huffman(r, &mut self.huffman)?,
            tables::DRT => {
                tables::read_restart_interval(r)?;
            }
            tables::COM => self.comments.push(tables::read_comment(r)?),
            other => return Err(Error::at(ErrorKind::UnexpectedMarker(other), r.pos() - 2)),
        }
        Ok(())
    }
}

impl<'a> Decoder<'a> {
    /// A decoder over `data` with the default [`Limits`].
    pub fn new(data: &'a [u8]) -> Self {
        Decoder {
            data,
            limits: Limits::default(),
        }
    }

    /// Replaces the limits checked before any allocation.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Width, height, resolution and comments, read from the segments up
    /// to and including the frame header; nothing is decoded.
    pub fn header(&self) -> Result<Header> {
        let mut r = Reader::new(self.data);
        let (tables, frame) = read_to_frame(&mut r)?;
        Ok(make_header(&frame, &tables.comments))
    }

    /// Decodes into a new image.
    pub fn decode(&self) -> Result<Image> {
        let header = self.header()?;
        self.limits
            .check(header.width as u32, header.height as u32)?;
        let mut pixels = vec![0u8; header.width as usize * header.height as usize];
        let header = self.decode_into(&mut pixels)?;
        Ok(Image {
            width: header.width as u32,
            height: header.height as u32,
            pixels,
            header,
        })
    }

    /// Decodes into `out`, which must hold exactly width × height bytes
    /// (row-major, 8-bit grey). Returns the header, with any comments found
    /// after the frame header too.
    pub fn decode_into(&self, out: &mut [u8]) -> Result<Header> {
        let mut r = Reader::new(self.data);
        let (mut tables, frame) = read_to_frame(&mut r)?;
        let (w, h) = (frame.width as usize, frame.height as usize);
        self.limits.check(w as u32, h as u32)?;
        if out.len() != w * h {
            return Err(ErrorKind::BufferSize {
                expected: w * h,
                got: out.len(),
            }
            .into());
        }
        let trees = Trees::new(w, h);
        let mut img = vec![0f32; w * h];
        read_blocks(&mut r, &mut tables, &trees, &mut img, w)?;
        let filters = tables
            .filters
            .as_ref()
            .ok_or(ErrorKind::MissingTable("transform table"))?;
        wavelet::reconstruct(&mut img, w, &trees.wavelet, &Bank::synthesis(filters));
        to_bytes(out, &img, frame.m_shift, frame.r_scale);
        Ok(make_header(&frame, &tables.comments))
    }
}

fn make_header(frame: &Frame, comments: &[&[u8]]) -> Header {
    let nistcom = comments.iter().find_map(|c| NistCom::parse(c));
    Header {
        width: frame.width,
        height: frame.height,
        ppi: nistcom.as_ref().and_then(NistCom::ppi),
        comments: comments.iter().map(|c| c.to_vec()).collect(),
        nistcom,
    }
}

/// Reads SOI, the tables before the frame, and the frame header.
fn read_to_frame<'a>(r: &mut Reader<'a>) -> Result<(Tables<'a>, Frame)> {
    if r.rest().len() < 2 || r.u16()? != tables::SOI {
        return Err(Error::at(ErrorKind::NotWsq, 0));
    }
    let mut t = Tables::default();
    loop {
        let marker = r.marker()?;
        if marker == tables::SOF {
            let frame = tables::read_frame(r)?;
            if frame.width == 0 || frame.height == 0 {
                return Err(r.error(ErrorKind::EmptyImage));
            }
            return Ok((t, frame));
        }
        t.read(marker, r)?;
    }
}

/// Reads tables and coded blocks up to EOI, placing the coefficients.
fn read_blocks<'a>(
    r: &mut Reader<'a>,
    t: &mut Tables<'a>,
    trees: &Trees,
    img: &mut [f32],
    width: usize,
) -> Result<()> {
    let mut sink: Option<Dequantizer> = None;
    loop {
        let marker = r.marker()?;
        match marker {
            tables::EOI => break,
            tables::SOB => {
                let mut s = r.segment("block header")?;
                let id = s.u8()? as usize;
                let spec = t.huffman.get(id).and_then(Option::as_ref);
                let spec = spec.ok_or_else(|| r.error(ErrorKind::MissingTable("Huffman table")))?;
                let table = DecodeTable::new(spec)
                    .map_err(|e| Error::at(Error::from(e).kind().clone(), r.pos()))?;
                if sink.is_none() {
                    let q = t
                        .quantization
                        .as_ref()
                        .ok_or(ErrorKind::MissingTable("quantization table"))?;
                    sink = Some(Dequantizer::new(&mut *img, width, &trees.subbands, q));
                }
                let consumed = decode_block(r.rest(), &table, sink.as_mut().expect("set above"))
                    .map_err(|kind| r.error(kind))?;
                r.skip(consumed);
            }
            m => t.read(m, r)?,
        }
    }
    let sink = sink.ok_or(ErrorKind::MissingTable("coded block"))?;
    if sink.written() != sink.capacity() {
        let kind = ErrorKind::CoefficientCount {
            expected: sink.capacity(),
            found: sink.written(),
        };
        return Err(r.error(kind));
    }
    Ok(())
}

/// Bits of entropy-coded data, with 0xFF00 stuffing removed; stops at the
/// first marker.
struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    nbits: u32,
    /// A marker (or the end of the data) has been reached at `pos`.
    ended: bool,
}

impl<'a> BitReader<'a> {
    fn new(data: &'a [u8]) -> Self {
        BitReader {
            data,
            pos: 0,
            acc: 0,
            nbits: 0,
            ended: false,
        }
    }

    #[inline]
    fn refill(&mut self) {
        while self.nbits <= 56 && !self.ended {
            let Some(&byte) = self.data.get(self.pos) else {
                self.ended = true;
                break;
            };
            if byte == 0xFF {
                if self.data.get(self.pos + 1) != Some(&0) {
                    self.ended = true;
                    break;
                }
                self.pos += 2;
            } else {
                self.pos += 1;
            }
            self.acc |= (byte as u64) << (56 - self.nbits);
            self.nbits += 8;
        }
    }

    #[inline]
    fn peek16(&self) -> u32 {
        (self.acc >> 48) as u32
    }

    #[inline]
    fn consume(&mut self, n: u32) {
        self.acc <<= n;
        self.nbits -= n;
    }

    fn bits(&mut self, n: u32) -> std::result::Result<u32, ErrorKind> {
        self.refill();
        if self.nbits < n {
            return Err(ErrorKind::Truncated);
        }
        let v = (self.acc >> (64 - n)) as u32;
        self.consume(n);
        Ok(v)
    }

    /// The marker the data stopped at, if it is a restart marker: then the
    /// reader moves past it with an empty bit buffer.
    fn pass_restart(&mut self) -> bool {
        let m = self
            .data
            .get(self.pos..self.pos + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]));
        match m {
            Some(m) if (tables::RST0..=tables::RST7).contains(&m) => {
                self.pos += 2;
                self.acc = 0;
                self.nbits = 0;
                self.ended = false;
                true
            }
            _ => false,
        }
    }
}

/// Decodes one block's coded data from the start of `data`; returns the
/// bytes consumed (up to the marker that ends it).
fn decode_block(
    data: &[u8],
    table: &DecodeTable,
    sink: &mut Dequantizer,
) -> std::result::Result<usize, ErrorKind> {
    let mut br = BitReader::new(data);
    loop {
        if br.nbits < 16 {
            br.refill();
        }
        let (symbol, len) = match br.peek_symbol(table) {
            Some(s) => s,
            None if br.ended => {
                // Padding before a marker: a restart continues the block.
                if br.pass_restart() {
                    continue;
                }
                if br.pos >= data.len() {
                    return Err(ErrorKind::Truncated);
                }
                return Ok(br.pos);
            }
            None => return Err(ErrorKind::BadHuffmanCode),
        };
        br.consume(len);
        place(symbol, &mut br, sink)?;
    }
}

impl BitReader<'_> {
    /// The next symbol and its length, if a whole code is available.
    #[inline]
    fn peek_symbol(&self, table: &DecodeTable) -> Option<(u8, u32)> {
        if self.nbits == 0 {
            return None;
        }
        let (s, len) = table.lookup(self.peek16())?;
        (len <= self.nbits).then_some((s, len))
    }
}

/// Applies one decoded symbol (a zero run, a coefficient or an escape).
#[inline]
fn place(
    symbol: u8,
    br: &mut BitReader,
    sink: &mut Dequantizer,
) -> std::result::Result<(), ErrorKind> {
    let ok = match symbol {
        1..=100 => sink.zeros(symbol as usize),
        101 => value(sink, br.bits(8)? as i32),
        102 => value(sink, -(br.bits(8)? as i32)),
        103 => value(sink, br.bits(16)? as i32),
        104 => value(sink, -(br.bits(16)? as i32)),
        105 => sink.zeros(br.bits(8)? as usize),
        106 => sink.zeros(br.bits(16)? as usize),
        107..=254 => value(sink, symbol as i32 - 180),
        _ => return Err(ErrorKind::BadHuffmanCode),
    };
    if ok {
        Ok(())
    } else {
        Err(ErrorKind::CoefficientCount {
            expected: sink.capacity(),
            found: sink.capacity() + 1,
        })
    }
}

#[inline]
fn value(sink: &mut Dequantizer, v: i32) -> bool {
    if v == 0 {
        sink.zeros(1)
    } else {
        sink.push(v)
    }
}

/// Undoes the encoder's shift and scale and rounds to 8 bits.
fn to_bytes(out: &mut [u8], img: &[f32], m_shift: f32, r_scale: f32) {
    for (o, &v) in out.iter_mut().zip(img) {
        let p = v * r_scale + m_shift + 0.5;
        *o = p.clamp(0.0, 255.0) as u8;
    }
}
