//! Resolution from the headers of the `image` crate's formats, which that
//! crate does not expose: PNG `pHYs`, BMP pixels per metre, JFIF density
//! and TIFF `XResolution`. Each reader looks only at a few header bytes and
//! gives up (`None`) on anything unexpected.

use super::Format;

const METRES_PER_INCH: f64 = 0.0254;

/// Pixels per inch stated in the header, if any.
pub(super) fn ppi(bytes: &[u8], format: Format) -> Option<u16> {
    match format {
        Format::Png => png(bytes),
        Format::Bmp => bmp(bytes),
        Format::Jpeg => jfif(bytes),
        Format::Tiff => tiff(bytes),
        Format::Wsq | Format::Pgm | Format::Raw => None,
    }
}

fn to_ppi(per_inch: f64) -> Option<u16> {
    let ppi = per_inch.round();
    (ppi >= 1.0 && ppi <= u16::MAX as f64).then_some(ppi as u16)
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn png(b: &[u8]) -> Option<u16> {
    let mut at = 8;
    loop {
        let len = be_u32(b, at)? as usize;
        let kind = b.get(at + 4..at + 8)?;
        let data = b.get(at + 8..(at + 8).checked_add(len)?)?;
        match kind {
            b"pHYs" if len == 9 && data[8] == 1 => {
                return to_ppi(be_u32(data, 0)? as f64 * METRES_PER_INCH);
            }
            b"IDAT" | b"IEND" => return None,
            _ => at = at + 12 + len,
        }
    }
}

fn bmp(b: &[u8]) -> Option<u16> {
    let header_size = u32::from_le_bytes(b.get(14..18)?.try_into().ok()?);
    if header_size < 40 {
        return None;
    }
    let per_metre = i32::from_le_bytes(b.get(38..42)?.try_into().ok()?);
    to_ppi(per_metre as f64 * METRES_PER_INCH)
}

fn jfif(b: &[u8]) -> Option<u16> {
    let mut at = 2;
    loop {
        let (marker, len) = (
            b.get(at..at + 2)?,
            u16::from_be_bytes(b.get(at + 2..at + 4)?.try_into().ok()?),
        );
        if marker[0] != 0xFF || marker[1] == 0xDA {
            return None;
        }
        let data = b.get(at + 4..at + 2 + len as usize)?;
        if marker[1] == 0xE0 && data.starts_with(b"JFIF\0") && data.len() >= 12 {
            let density = u16::from_be_bytes([data[8], data[9]]) as f64;
            return match data[7] {
                1 => to_ppi(density),
                2 => to_ppi(density * 2.54),
                _ => None,
            };
        }
        at += 2 + len as usize;
    }
}

fn tiff(b: &[u8]) -> Option<u16> {
    let little = b.starts_with(b"II");
    let u16_at = |at: usize| -> Option<u16> {
        let v: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if little {
            u16::from_le_bytes(v)
        } else {
            u16::from_be_bytes(v)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let v: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(v)
        } else {
            u32::from_be_bytes(v)
        })
    };
    let ifd = u32_at(4)? as usize;
    let entries = u16_at(ifd)? as usize;
    let (mut resolution, mut unit) = (None, 2u16);
    for k in 0..entries {
        let e = ifd + 2 + 12 * k;
        match (u16_at(e)?, u16_at(e + 2)?) {
            (282, 5) => {
                let at = u32_at(e + 8)? as usize;
                let (num, den) = (u32_at(at)?, u32_at(at + 4)?);
                resolution = (den > 0).then(|| num as f64 / den as f64);
            }
            (296, 3) => unit = u16_at(e + 8)?,
            _ => {}
        }
    }
    match unit {
        2 => to_ppi(resolution?),
        3 => to_ppi(resolution? * 2.54),
        _ => None,
    }
}

/// Inserts a `pHYs` chunk (pixels per metre) after a PNG's `IHDR`.
pub(super) fn insert_png_phys(png: &mut Vec<u8>, ppi: u16) {
    const AFTER_IHDR: usize = 8 + 12 + 13;
    let per_metre = (ppi as f64 / METRES_PER_INCH).round() as u32;
    let mut chunk = Vec::with_capacity(21);
    chunk.extend_from_slice(&9u32.to_be_bytes());
    chunk.extend_from_slice(b"pHYs");
    chunk.extend_from_slice(&per_metre.to_be_bytes());
    chunk.extend_from_slice(&per_metre.to_be_bytes());
    chunk.push(1);
    let crc = crc32fast::hash(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    png.splice(AFTER_IHDR..AFTER_IHDR, chunk);
}
