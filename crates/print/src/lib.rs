//! Fingerprint analysis: image input, segmentation, orientation, singular
//! points, pattern class, ridge counts and quality.
//!
//! The whole pipeline is [`Extractor::extract`]; its stages, in order:
//!
//! 1. [`normalize`]: grey mean and contrast per block;
//! 2. [`orientation`]: Sobel structure tensors per 8 × 8 block;
//! 3. [`mask`]: foreground segmentation (ridges, not card lines or handwriting);
//! 4. [`orientation::smooth`]: the ridge direction field and its coherence;
//! 5. [`frequency`]: the local ridge period;
//! 6. [`singular`]: cores and deltas by the Poincaré index of a smoother field;
//! 7. [`flow`]: pseudo-ridges traced through the field (do they circle,
//!    recurve or run across?), and [`fine_flow`] the same on a fine field
//!    near the core, where a small inner circuit survives;
//!    [`pattern::evidence`] runs 4–7 and gathers the class features;
//! 8. [`classify`]: pattern class (A, T, L, R, W) with a confidence, and
//!    subtype, from those features and from [`field_net`], a small
//!    convolutional network that reads the ridge-direction fields, the
//!    gradient energy and the grey level block by block; where the finger
//!    is known, [`finger_prior`] weighs what that finger favours, and where
//!    the whole card is, [`card_prior`] what its other fingers say of the
//!    person ([`Extractor::extract_card`]), both on the network's own
//!    probabilities;
//! 9. [`pattern::place`]: the singular points placed on the unsmoothed
//!    field (smoothing draws a core and its delta together), and
//!    [`ridge_count`]: the core–delta ridge counts between them (Holt's
//!    convention, or the FBI's by [`Extractor::with_count_convention`]);
//! 10. [`quality`]: a 0–100 score and a per-block map.
//!
//! [`presence`] refuses an image with too few ridges to hold a print (a
//! blank scan would otherwise get a class); [`overlay`] draws the result
//! for an analyst; [`synthetic`] makes prints of known truth for tests, and
//! [`examiner`] reads the codes an examiner wrote for SD14's real prints.
//!
//! ```
//! use image::GrayImage;
//! use vantay_print::{synthetic, Extractor, PatternClass};
//!
//! let print = synthetic::Spec::of_class(PatternClass::L, 7).render();
//! let analysis = Extractor::new().extract(&print.image, 500);
//! println!("{}", serde_json::to_string(&analysis).unwrap());
//! # let _: &GrayImage = &print.image;
//! ```
#![deny(missing_docs)]

mod analysis;
pub mod batch;
pub mod card_prior;
pub mod classify;
pub mod examiner;
pub mod field_net;
pub mod fine_flow;
pub mod finger_prior;
pub mod flow;
pub mod frequency;
pub mod grid;
pub mod input;
pub mod mask;
pub mod model;
pub mod normalize;
pub mod orientation;
pub mod overlay;
pub mod params;
pub mod pattern;
pub mod presence;
pub mod quality;
pub mod ridge_count;
pub mod singular;
pub mod svm;
pub mod symmetry;
pub mod synthetic;

pub use analysis::{
    analyze, analyze_finger, card_weights, record, weighed_decision, Analysis, CardPrint,
    CorePoint, DeltaPoint, Details, Extractor, Record,
};
pub use classify::{PatternClass, Subtype};
pub use params::Params;
pub use ridge_count::CountConvention;

pub use vantay_domain::{Finger, Hand};

/// Which way a loop opens, relative to the hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoopDirection {
    /// Opens towards the little finger.
    Ulnar,
    /// Opens towards the thumb.
    Radial,
}

/// Ulnar or radial, for a loop of a known finger; `None` for other classes.
/// Prints are imaged as rolled, not mirrored: on a right-hand image a right
/// loop opens towards the little finger (ulnar), on a left-hand image a left
/// loop does.
pub fn loop_direction(class: PatternClass, finger: Finger) -> Option<LoopDirection> {
    let ulnar = match class {
        PatternClass::R => finger.hand() == Hand::Right,
        PatternClass::L => finger.hand() == Hand::Left,
        _ => return None,
    };
    Some(if ulnar {
        LoopDirection::Ulnar
    } else {
        LoopDirection::Radial
    })
}
