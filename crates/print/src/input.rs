//! Image input: every format a scanning station or NIST file may hold,
//! decoded to 8-bit grey with its resolution.
//!
//! WSQ goes through [`vantay_wsq`]; PNG, BMP, TIFF, JPEG and PGM through the
//! `image` crate (only those codecs are built); raw 8-bit grey needs its
//! width and height from the caller ([`decode_raw`]). The format is sniffed
//! from the magic bytes, never trusted from a file name alone, and the
//! size in the header is checked against [`Limits`] before any large
//! allocation. The resolution comes from the file where it says (WSQ
//! NISTCOM `PPI`, PNG `pHYs`, BMP, JFIF, TIFF), else it is `None` and the
//! caller supplies one.
//!
//! ```no_run
//! use std::path::Path;
//! use vantay_print::input::{self, Limits};
//!
//! let decoded = input::load(Path::new("print.wsq"), &Limits::default())?;
//! println!("{}x{} at {:?} ppi", decoded.image.width(), decoded.image.height(), decoded.ppi);
//! # Ok::<(), input::InputError>(())
//! ```

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{GrayImage, ImageFormat, ImageReader};

mod resolution;

/// An image file format the entry point reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// FBI Wavelet Scalar Quantization.
    Wsq,
    /// Portable Network Graphics.
    Png,
    /// Windows bitmap.
    Bmp,
    /// Tagged Image File Format.
    Tiff,
    /// JPEG (baseline and progressive).
    Jpeg,
    /// Netpbm grey map (binary `P5` or text `P2`).
    Pgm,
    /// Headerless 8-bit grey, row-major; size given by the caller.
    Raw,
}

impl Format {
    /// The format a file extension names (case-insensitive), if any.
    pub fn from_extension(ext: &str) -> Option<Format> {
        let format = match ext.to_ascii_lowercase().as_str() {
            "wsq" => Format::Wsq,
            "png" => Format::Png,
            "bmp" => Format::Bmp,
            "tif" | "tiff" => Format::Tiff,
            "jpg" | "jpeg" => Format::Jpeg,
            "pgm" => Format::Pgm,
            "raw" | "gray" => Format::Raw,
            _ => return None,
        };
        Some(format)
    }

    /// The format of a path's extension, if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        Format::from_extension(path.extension()?.to_str()?)
    }

    /// The format the magic bytes announce (never [`Format::Raw`], which
    /// has none).
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        let format = match bytes {
            [0xFF, 0xA0, ..] => Format::Wsq,
            [0x89, b'P', b'N', b'G', ..] => Format::Png,
            [b'B', b'M', ..] => Format::Bmp,
            [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => Format::Tiff,
            [0xFF, 0xD8, 0xFF, ..] => Format::Jpeg,
            [b'P', b'2' | b'5', ..] => Format::Pgm,
            _ => return None,
        };
        Some(format)
    }

    /// The usual file extension, lower case (also the [`Display`](std::fmt::Display) form).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Wsq => "wsq",
            Format::Png => "png",
            Format::Bmp => "bmp",
            Format::Tiff => "tiff",
            Format::Jpeg => "jpeg",
            Format::Pgm => "pgm",
            Format::Raw => "raw",
        }
    }

    fn image_format(self) -> Option<ImageFormat> {
        match self {
            Format::Png => Some(ImageFormat::Png),
            Format::Bmp => Some(ImageFormat::Bmp),
            Format::Tiff => Some(ImageFormat::Tiff),
            Format::Jpeg => Some(ImageFormat::Jpeg),
            Format::Pgm => Some(ImageFormat::Pnm),
            Format::Wsq | Format::Raw => None,
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.extension())
    }
}

/// Bounds checked from the header before decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest width accepted.
    pub max_width: u32,
    /// Largest height accepted.
    pub max_height: u32,
    /// Largest file [`load`] reads.
    pub max_file_bytes: u64,
    /// Largest total allocation a decoder may make.
    pub max_alloc: u64,
}

impl Default for Limits {
    /// 4096 × 4096 (a ten-print card at 500 ppi is 4096 × 1536), 256 MiB
    /// files and allocations.
    fn default() -> Self {
        Limits {
            max_width: 4096,
            max_height: 4096,
            max_file_bytes: 256 << 20,
            max_alloc: 256 << 20,
        }
    }
}

impl Limits {
    fn check(&self, width: u32, height: u32) -> Result<(), InputError> {
        if width == 0 || height == 0 {
            return Err(InputError::EmptyImage);
        }
        if width > self.max_width || height > self.max_height {
            return Err(InputError::TooLarge { width, height });
        }
        Ok(())
    }

    fn for_wsq(&self) -> vantay_wsq::Limits {
        // The WSQ decoder keeps about 9 bytes of work space per pixel.
        let max_pixels = (self.max_alloc / 9).min(self.max_width as u64 * self.max_height as u64);
        vantay_wsq::Limits {
            max_width: self.max_width,
            max_height: self.max_height,
            max_pixels,
        }
    }

    fn for_image(&self) -> image::Limits {
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(self.max_width);
        limits.max_image_height = Some(self.max_height);
        limits.max_alloc = Some(self.max_alloc);
        limits
    }
}

/// A decoded image: 8-bit grey, its resolution if the file gives one, and
/// the format it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// The pixels (colour inputs are converted to luma).
    pub image: GrayImage,
    /// Pixels per inch, if the file says.
    pub ppi: Option<u16>,
    /// The format read.
    pub format: Format,
}

/// What a file's header says, read without decoding the pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The format sniffed.
    pub format: Format,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixels per inch, if the header says.
    pub ppi: Option<u16>,
}

/// Why an image could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The bytes match none of the supported formats' signatures.
    #[error("unrecognised image format (expected WSQ, PNG, BMP, TIFF, JPEG or PGM)")]
    UnknownFormat,
    /// Raw input has no header, so its size must be given.
    #[error("raw grey input needs a width and a height")]
    RawNeedsSize,
    /// Raw input does not hold width × height bytes.
    #[error("raw input has {got} bytes where {width}x{height} needs {expected}")]
    RawSize {
        /// Width given.
        width: u32,
        /// Height given.
        height: u32,
        /// Width × height.
        expected: u64,
        /// Bytes present.
        got: usize,
    },
    /// The header gives a zero width or height.
    #[error("image has zero width or height")]
    EmptyImage,
    /// The header's size is over the limits.
    #[error("image of {width}x{height} pixels exceeds the limits")]
    TooLarge {
        /// Width in the header.
        width: u32,
        /// Height in the header.
        height: u32,
    },
    /// The file is larger than the limits allow reading.
    #[error("file of {0} bytes exceeds the limits")]
    FileTooLarge(u64),
    /// The WSQ codec refused the stream.
    #[error("WSQ: {0}")]
    Wsq(#[from] vantay_wsq::Error),
    /// The `image` crate refused the data.
    #[error("image decoding: {0}")]
    Image(#[from] image::ImageError),
    /// The output format cannot be written by this crate.
    #[error("writing {0:?} is not supported (use WSQ, PNG, PGM or raw)")]
    UnsupportedOutput(Format),
    /// An output file name has no extension naming a format.
    #[error("cannot tell the output format of {0} (use .wsq, .png, .pgm or .raw)")]
    UnknownOutputFormat(PathBuf),
    /// WSQ output needs a resolution and neither the input nor the caller gave one.
    #[error("the input does not give its resolution: say it (e.g. --ppi 500)")]
    MissingPpi,
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Decodes an image held in memory, sniffing its format.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, InputError> {
    let format = Format::sniff(bytes).ok_or(InputError::UnknownFormat)?;
    if format == Format::Wsq {
        return decode_wsq(bytes, limits);
    }
    let probe = probe_with(bytes, format)?;
    limits.check(probe.width, probe.height)?;
    let mut reader = image_reader(bytes, format);
    reader.limits(limits.for_image());
    let image = reader.decode()?.into_luma8();
    Ok(Decoded {
        image,
        ppi: probe.ppi,
        format,
    })
}

fn decode_wsq(bytes: &[u8], limits: &Limits) -> Result<Decoded, InputError> {
    let decoder = vantay_wsq::Decoder::new(bytes).with_limits(limits.for_wsq());
    let header = decoder.header()?;
    limits.check(header.width as u32, header.height as u32)?;
    let decoded = decoder.decode()?;
    let image = GrayImage::from_raw(decoded.width, decoded.height, decoded.pixels)
        .expect("the WSQ decoder returns width × height pixels");
    Ok(Decoded {
        image,
        ppi: decoded.header.ppi,
        format: Format::Wsq,
    })
}

/// Wraps headerless 8-bit grey pixels (row-major).
pub fn decode_raw(bytes: &[u8], width: u32, height: u32) -> Result<Decoded, InputError> {
    if width == 0 || height == 0 {
        return Err(InputError::EmptyImage);
    }
    let expected = width as u64 * height as u64;
    if bytes.len() as u64 != expected {
        return Err(InputError::RawSize {
            width,
            height,
            expected,
            got: bytes.len(),
        });
    }
    let image = GrayImage::from_raw(width, height, bytes.to_vec()).expect("size checked above");
    Ok(Decoded {
        image,
        ppi: None,
        format: Format::Raw,
    })
}

/// Format, size and resolution from the header only.
pub fn probe(bytes: &[u8]) -> Result<Probe, InputError> {
    let format = Format::sniff(bytes).ok_or(InputError::UnknownFormat)?;
    probe_with(bytes, format)
}

fn probe_with(bytes: &[u8], format: Format) -> Result<Probe, InputError> {
    if format == Format::Wsq {
        let h = vantay_wsq::Decoder::new(bytes).header()?;
        let (width, height) = (h.width as u32, h.height as u32);
        return Ok(Probe {
            format,
            width,
            height,
            ppi: h.ppi,
        });
    }
    let (width, height) = image_reader(bytes, format).into_dimensions()?;
    Ok(Probe {
        format,
        width,
        height,
        ppi: resolution::ppi(bytes, format),
    })
}

fn image_reader(bytes: &[u8], format: Format) -> ImageReader<Cursor<&[u8]>> {
    let image_format = format
        .image_format()
        .expect("only called for image-crate formats");
    ImageReader::with_format(Cursor::new(bytes), image_format)
}

/// The `.wsq` files of a folder, sorted by name (a NIST set such as SD14
/// is numbered so).
pub fn wsq_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "wsq") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads and decodes a file. The content decides the format; a `.raw`
/// file has no header and must go through [`decode_raw`].
pub fn load(path: &Path, limits: &Limits) -> Result<Decoded, InputError> {
    if Format::from_path(path) == Some(Format::Raw) {
        return Err(InputError::RawNeedsSize);
    }
    let bytes = read_file(path, limits)?;
    decode(&bytes, limits)
}

/// Reads a file whole, refusing one over `limits.max_file_bytes`.
pub fn read_file(path: &Path, limits: &Limits) -> Result<Vec<u8>, InputError> {
    let io = |source| InputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > limits.max_file_bytes {
        return Err(InputError::FileTooLarge(len));
    }
    std::fs::read(path).map_err(io)
}

/// Compresses to WSQ at `bitrate` bits per pixel (0.75 is the FBI
/// setting), recording `ppi` in the NISTCOM comment.
pub fn encode_wsq(image: &GrayImage, ppi: u16, bitrate: f32) -> Result<Vec<u8>, InputError> {
    let encoder = vantay_wsq::Encoder::new(bitrate)?.ppi(ppi);
    Ok(encoder.encode(image.as_raw(), image.width(), image.height())?)
}

/// Encodes as an 8-bit grey PNG.
pub fn encode_png(image: &GrayImage) -> Result<Vec<u8>, InputError> {
    encode_png_with_ppi(image, None)
}

/// Encodes as an 8-bit grey PNG with the resolution in a `pHYs` chunk.
pub fn encode_png_with_ppi(image: &GrayImage, ppi: Option<u16>) -> Result<Vec<u8>, InputError> {
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)?;
    if let Some(ppi) = ppi {
        resolution::insert_png_phys(&mut out, ppi);
    }
    Ok(out)
}

/// Encodes as a binary PGM (`P5`).
pub fn encode_pgm(image: &GrayImage) -> Result<Vec<u8>, InputError> {
    use image::codecs::pnm::{PnmEncoder, PnmSubtype, SampleEncoding};
    let mut out = Vec::new();
    let encoder =
        PnmEncoder::new(&mut out).with_subtype(PnmSubtype::Graymap(SampleEncoding::Binary));
    image.write_with_encoder(encoder)?;
    Ok(out)
}

/// Encodes in `format`: WSQ (with `ppi` and `bitrate`), PNG (with `ppi`),
/// PGM, or raw bytes. Other formats give [`InputError::UnsupportedOutput`].
pub fn encode(
    image: &GrayImage,
    format: Format,
    ppi: u16,
    bitrate: f32,
) -> Result<Vec<u8>, InputError> {
    match format {
        Format::Wsq => encode_wsq(image, ppi, bitrate),
        Format::Png => encode_png_with_ppi(image, Some(ppi)),
        Format::Pgm => encode_pgm(image),
        Format::Raw => Ok(image.as_raw().clone()),
        other => Err(InputError::UnsupportedOutput(other)),
    }
}

/// How [`convert_file`] reads and writes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvertOptions {
    /// Width and height of raw input (needed for `.raw`).
    pub raw_size: Option<(u32, u32)>,
    /// Resolution to use when the input does not give one.
    pub ppi: Option<u16>,
    /// Bits per pixel of WSQ output.
    pub bitrate: f32,
    /// Limits on the input.
    pub limits: Limits,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            raw_size: None,
            ppi: None,
            bitrate: vantay_wsq::DEFAULT_BITRATE,
            limits: Limits::default(),
        }
    }
}

/// What [`convert_file`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Converted {
    /// Format read.
    pub from: Format,
    /// Format written.
    pub to: Format,
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Resolution used, if known.
    pub ppi: Option<u16>,
    /// Bytes written.
    pub bytes: usize,
}

/// Converts an image file into the format `output`'s extension names
/// (WSQ, PNG, PGM or raw). The input's format comes from its content, or
/// from a `.raw` extension with `options.raw_size`.
pub fn convert_file(
    input: &Path,
    output: &Path,
    options: &ConvertOptions,
) -> Result<Converted, InputError> {
    let to = Format::from_path(output)
        .ok_or_else(|| InputError::UnknownOutputFormat(output.to_path_buf()))?;
    if !matches!(to, Format::Wsq | Format::Png | Format::Pgm | Format::Raw) {
        return Err(InputError::UnsupportedOutput(to));
    }
    let decoded = match (Format::from_path(input), options.raw_size) {
        (Some(Format::Raw), Some((w, h))) => decode_raw(&read_file(input, &options.limits)?, w, h)?,
        _ => load(input, &options.limits)?,
    };
    let ppi = decoded.ppi.or(options.ppi);
    let bytes = match (to, ppi) {
        (Format::Wsq, None) => return Err(InputError::MissingPpi),
        (Format::Png, ppi) => encode_png_with_ppi(&decoded.image, ppi)?,
        (_, ppi) => encode(&decoded.image, to, ppi.unwrap_or(0), options.bitrate)?,
    };
    std::fs::write(output, &bytes).map_err(|source| InputError::Write {
        path: output.to_path_buf(),
        source,
    })?;
    let (width, height) = decoded.image.dimensions();
    Ok(Converted {
        from: decoded.format,
        to,
        width,
        height,
        ppi,
        bytes: bytes.len(),
    })
}

#[cfg(test)]
mod tests;
