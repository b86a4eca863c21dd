//! Fingerprint analysis: image input, segmentation, orientation, singular
//! points, pattern class, ridge counts and quality.

pub mod input;
