//! WSQ (Wavelet Scalar Quantization) fingerprint image codec, pure Rust, no I/O.
//!
//! WSQ is the FBI's compression for 500 ppi grey fingerprint images
//! (IAFIS-IC-0110 v3). This crate reads every conformant stream — odd and
//! even length filters, restart markers, several Huffman tables — and
//! writes streams in NIST `cwsq`'s layout at a chosen bit rate. Decoding
//! matches NIST's reference decoder to within one grey level.
//!
//! Comments are kept as data. The NISTCOM comment's `PPI` gives the
//! resolution; nothing else in it is interpreted.
//!
//! ```
//! use vantay_wsq::{Decoder, Encoder, Limits};
//!
//! let (w, h) = (64u32, 48u32);
//! let pixels: Vec<u8> = (0..w * h).map(|i| ((i % w) * 3 + (i / w) * 2) as u8).collect();
//! let wsq = Encoder::new(0.75)?.ppi(500).encode(&pixels, w, h)?;
//!
//! let decoder = Decoder::new(&wsq).with_limits(Limits::default());
//! let header = decoder.header()?; // cheap: no pixels decoded
//! assert_eq!((header.width, header.height, header.ppi), (64, 48, Some(500)));
//! let image = decoder.decode()?;
//! assert_eq!(image.pixels.len(), 64 * 48);
//! # Ok::<(), vantay_wsq::Error>(())
//! ```
#![deny(missing_docs)]

mod decoder;
mod encoder;
mod error;
mod huffman;
mod nistcom;
mod quant;
mod synthesis;
mod tables;
mod tree;
mod wavelet;

pub use decoder::Decoder;
pub use encoder::{Encoder, DEFAULT_BITRATE};
pub use error::{Error, ErrorKind, Result};
pub use nistcom::NistCom;

/// What a WSQ stream says about its image, read without decoding it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// Resolution from the NISTCOM comment, if it gives one.
    pub ppi: Option<u16>,
    /// Every comment segment's bytes, in stream order.
    pub comments: Vec<Vec<u8>>,
    /// The first NISTCOM comment, parsed.
    pub nistcom: Option<NistCom>,
}

/// A decoded 8-bit grey image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major pixels, `width × height` bytes.
    pub pixels: Vec<u8>,
    /// The stream's header, comments included.
    pub header: Header,
}

/// Largest image a decoder will allocate for, checked against the frame
/// header before any allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest width accepted.
    pub max_width: u32,
    /// Largest height accepted.
    pub max_height: u32,
    /// Largest width × height accepted.
    pub max_pixels: u64,
}

impl Default for Limits {
    /// 8192 × 8192 and 32 M pixels: a 1000 ppi palm fits, a forged header
    /// asking for 65535 × 65535 (over 40 GB of work buffers) does not.
    fn default() -> Self {
        Limits {
            max_width: 8192,
            max_height: 8192,
            max_pixels: 32 << 20,
        }
    }
}

impl Limits {
    /// Fails with [`ErrorKind::TooLarge`] if the size is over the limits.
    pub fn check(&self, width: u32, height: u32) -> Result<()> {
        let pixels = width as u64 * height as u64;
        if width > self.max_width || height > self.max_height || pixels > self.max_pixels {
            return Err(ErrorKind::TooLarge { width, height }.into());
        }
        Ok(())
    }
}
