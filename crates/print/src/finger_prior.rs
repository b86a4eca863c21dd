//! What knowing the finger says about the class before the ridges are read.
//!
//! A centre always knows which finger a print is (the capture names R1..L5),
//! and the classes are far from evenly spread over the fingers: on SD14's
//! cards the index fingers hold most tented arches and nearly all radial
//! loops, a right hand's loops are right loops on every other finger, and
//! thumbs and ring fingers carry most whorls. The engine's class
//! probabilities are weighed, class by class, by how much more or less often
//! that class is seen on that digit than on any finger, raised to a power,
//! and normalised again (Bayes' rule, softened):
//!
//! ```text
//! p'(c) ∝ p(c) · (P(c | digit) / P(c)) ^ strength
//! ```
//!
//! Only the ratio is used, not the classes' own frequencies, so a population
//! with more whorls than SD14's American cards (East Asian ones have) keeps
//! its own balance; what carries over is which digit favours which class.
//! The table (`src/finger_prior.json`) is counted by
//! `train/finger_prior.py --export` on SD14's 899 labelled prints, the two
//! hands pooled per digit with a loop counted as ulnar or radial, and its
//! strength and smoothing were chosen by cross-validation
//! (docs/benchmarks/print.md, "The finger as evidence").

use std::sync::OnceLock;

use serde::Deserialize;

use crate::classify::PatternClass;
use vantay_domain::Finger;

const CLASSES: usize = PatternClass::ALL.len();

/// The weight each class gets on each finger.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FingerPrior {
    /// The power the ratios are raised to (0: the finger is ignored).
    pub strength: f32,
    /// Prints' worth of the overall frequency each digit's counts were
    /// smoothed towards (a record of how the table was made).
    pub smoothing: f32,
    /// What the table was counted on.
    pub counted_on: String,
    /// P(class | digit) / P(class), per finger in [`Finger::ALL`] order (R1
    /// to R5, then L1 to L5), the classes in [`PatternClass::ALL`] order.
    pub ratios: [[f32; CLASSES]; 10],
}

impl FingerPrior {
    /// `probabilities` (in [`PatternClass::ALL`] order) weighed by what
    /// `finger` favours, summing to 1 again.
    pub fn apply(&self, probabilities: &[f32; CLASSES], finger: Finger) -> [f32; CLASSES] {
        crate::model::weigh(probabilities, Some(&self.weights(finger)))
    }

    /// The factor each class is weighed by on `finger`: its ratio raised
    /// to the strength.
    pub fn weights(&self, finger: Finger) -> [f32; CLASSES] {
        self.ratios[finger.index()].map(|r| r.powf(self.strength))
    }
}

/// The shipped table's weights ([`shipped`]) where the finger is known.
pub fn weights(finger: Option<Finger>) -> Option<[f32; CLASSES]> {
    finger.map(|finger| shipped().weights(finger))
}

/// The table shipped with the crate.
pub fn shipped() -> &'static FingerPrior {
    static PRIOR: OnceLock<FingerPrior> = OnceLock::new();
    PRIOR.get_or_init(|| {
        serde_json::from_str(include_str!("finger_prior.json"))
            .expect("the shipped finger prior parses (checked by its test)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVEN: [f32; CLASSES] = [0.2; CLASSES];

    #[test]
    fn the_shipped_table_parses_and_every_ratio_is_positive() {
        let prior = shipped();
        assert!(prior.strength > 0.0 && prior.strength <= 2.0);
        assert!(prior
            .ratios
            .iter()
            .flatten()
            .all(|r| r.is_finite() && *r > 0.0));
    }

    #[test]
    fn the_weighed_probabilities_sum_to_one() {
        for finger in Finger::ALL {
            let p = shipped().apply(&[0.1, 0.3, 0.25, 0.25, 0.1], finger);
            assert!(
                (p.iter().sum::<f32>() - 1.0).abs() < 1e-5,
                "{finger:?}: {p:?}"
            );
        }
    }

    #[test]
    fn a_hand_favours_its_ulnar_loops() {
        // Right hand: a loop opening right (R) is ulnar; left hand: L.
        let (l, r) = (PatternClass::L.index(), PatternClass::R.index());
        let right_middle = shipped().apply(&EVEN, Finger::R3);
        assert!(right_middle[r] > right_middle[l], "{right_middle:?}");
        let left_middle = shipped().apply(&EVEN, Finger::L3);
        assert!(left_middle[l] > left_middle[r], "{left_middle:?}");
    }

    #[test]
    fn index_fingers_favour_tented_arches_over_little_fingers() {
        let t = PatternClass::T.index();
        let index = shipped().apply(&EVEN, Finger::L2)[t];
        let little = shipped().apply(&EVEN, Finger::L5)[t];
        assert!(index > 2.0 * little, "index {index}, little {little}");
    }

    #[test]
    fn strength_zero_leaves_the_probabilities_as_they_are() {
        let prior = FingerPrior {
            strength: 0.0,
            ..shipped().clone()
        };
        let p = [0.1, 0.3, 0.25, 0.25, 0.1];
        let weighed = prior.apply(&p, Finger::R2);
        for (a, b) in p.iter().zip(weighed) {
            assert!((a - b).abs() < 1e-6);
        }
    }
}
