//! The crate's error type.

/// Why a WSQ stream could not be read or written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The data does not start with the WSQ start-of-image marker (FFA0).
    #[error("not a WSQ stream: no start-of-image marker")]
    NotWsq,
    /// The data ends before the stream does.
    #[error("the WSQ stream is truncated")]
    Truncated,
    /// A marker appears where the stream does not allow it.
    #[error("unexpected marker {0:#06X}")]
    UnexpectedMarker(u16),
    /// A table or header segment is malformed.
    #[error("malformed {segment}: {reason}")]
    BadSegment {
        /// Which segment (e.g. "Huffman table").
        segment: &'static str,
        /// What was wrong with it.
        reason: &'static str,
    },
    /// A table needed to decode was never defined.
    #[error("the stream uses a {0} that it never defines")]
    MissingTable(&'static str),
    /// The image is larger than the caller's limits allow.
    #[error("image of {width}x{height} pixels exceeds the limits")]
    TooLarge {
        /// Width given in the frame header.
        width: u32,
        /// Height given in the frame header.
        height: u32,
    },
    /// The frame header gives a zero width or height.
    #[error("image has zero width or height")]
    EmptyImage,
    /// The entropy-coded data holds a code the Huffman table does not define,
    /// or a reserved symbol.
    #[error("invalid Huffman code in the coded data")]
    BadHuffmanCode,
    /// The coded data holds more or fewer coefficients than the image has.
    #[error("coded data has {found} coefficients where the image needs {expected}")]
    CoefficientCount {
        /// Coefficients the subbands hold.
        expected: usize,
        /// Coefficients decoded (counted up to the first excess).
        found: usize,
    },
    /// The caller's output buffer has the wrong size.
    #[error("output buffer holds {got} bytes, the image needs {expected}")]
    BufferSize {
        /// Width × height.
        expected: usize,
        /// Length of the buffer given.
        got: usize,
    },
    /// The encoder was given pixels that do not match width × height, or a
    /// size WSQ cannot hold.
    #[error("invalid image for encoding: {0}")]
    InvalidImage(&'static str),
    /// The encoder was given a bit rate outside (0, 8].
    #[error("bit rate {0} is outside (0, 8] bits per pixel")]
    InvalidBitrate(f32),
}

/// An error from decoding or encoding WSQ, with the byte offset where
/// decoding stopped when known.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}{}", offset.map(|o| format!(" (at byte {o})")).unwrap_or_default())]
pub struct Error {
    kind: ErrorKind,
    offset: Option<usize>,
}

impl Error {
    pub(crate) fn at(kind: ErrorKind, offset: usize) -> Self {
        Error {
            kind,
            offset: Some(offset),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Byte offset in the input where the problem was found, if known.
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error { kind, offset: None }
    }
}

/// Result with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
