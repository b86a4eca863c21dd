//! WSQ (Wavelet Scalar Quantization) fingerprint image codec, pure Rust, no I/O.
