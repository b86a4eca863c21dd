//! What a customer's other fingers say about each finger's class.
//!
//! [`crate::finger_prior`] weighs a print's class by how often it is seen
//! on that digit. But the ten prints of a card are one person's, and people
//! differ in kind: on SD14's 90 cards the arches crowd onto a few cards (21
//! cards hold all 47, one of them seven) and whorls come in runs (most cards
//! have 0–3 or 5–8). So the card is modelled as drawn from one of a few kinds
//! of hands, each with its own table of classes per digit (the two hands
//! pooled, a loop counted as ulnar or radial), fitted by
//! expectation-maximisation on SD14's labelled cards. A print is weighed by
//! the table of the kinds its card-mates point to:
//!
//! ```text
//! w_k   ∝ share_k · Π_{j≠i} (Σ_c θ_k[j](c) · p_j(c) / P(c)) ^ temper
//! p'_i(c) ∝ p_i(c) · (Σ_k w_k θ_k[i](c) / P(c)) ^ strength
//! ```
//!
//! where `p` are the engine's probabilities before any weighing
//! ([`crate::Details::probabilities`]: the field network's own, which the
//! card mends better than the mix with the machines, 94.7 / 89.8 % against
//! 93.7 / 87.8 on whole-card folds) and `P(c)` the classes' frequency
//! on the cards the tables were fitted on. The print's own answer never
//! chooses its kind, so a print cannot vote for itself. With one kind this
//! is the finger prior; with the card it replaces it.
//!
//! The tables (`src/card_prior.json`) are written by
//! `train/card_prior.py --export`; the kinds, strength and temper were
//! chosen by card-grouped cross-validation (docs/benchmarks/print.md, "The
//! card as evidence").

use std::sync::OnceLock;

use serde::Deserialize;

use crate::classify::PatternClass;
use vantay_domain::{Finger, Hand};

const CLASSES: usize = PatternClass::ALL.len();

/// One kind of hands: how often it is seen, and its classes per digit.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    /// The share of cards of this kind.
    pub share: f32,
    /// Per digit, thumb to little finger: the chance of a plain arch, a
    /// tented arch, an ulnar loop, a radial loop and a whorl.
    pub digits: [[f32; CLASSES]; 5],
}

/// The kinds of hands and how strongly they weigh.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardPrior {
    /// The power the kinds' ratio is raised to (0: the card is ignored).
    pub strength: f32,
    /// How far the card-mates' answers are trusted in choosing the kind
    /// (0: the kinds are weighed by their shares alone).
    pub temper: f32,
    /// Prints' worth of the overall frequency each kind's digit tables were
    /// smoothed towards (a record of how the tables were made).
    pub smoothing: f32,
    /// What the tables were fitted on.
    pub counted_on: String,
    /// P(class) on the cards fitted, in [`PatternClass::ALL`] order.
    pub class_frequency: [f32; CLASSES],
    /// The kinds of hands.
    pub kinds: Vec<Kind>,
}

impl CardPrior {
    /// Each print's probabilities weighed by its card-mates' kind: one
    /// answer per print of `card` (its finger and the engine's unweighed
    /// probabilities), in the same order, each summing to 1.
    pub fn weigh(&self, card: &[(Finger, [f32; CLASSES])]) -> Vec<[f32; CLASSES]> {
        self.weights(card)
            .iter()
            .zip(card)
            .map(|(weights, (_, p))| crate::model::weigh(p, Some(weights)))
            .collect()
    }

    /// The factor each class of each print of `card` is weighed by (not
    /// normalised: [`crate::model::weigh`] does that with the print's own
    /// answer).
    pub fn weights(&self, card: &[(Finger, [f32; CLASSES])]) -> Vec<[f32; CLASSES]> {
        // How well each kind explains each print, from the print's answer
        // turned into a likelihood (the frequency it was trained on divided out).
        let fits: Vec<Vec<f32>> = self
            .kinds
            .iter()
            .map(|kind| {
                card.iter()
                    .map(|(finger, p)| self.fit(kind, *finger, p).ln())
                    .collect()
            })
            .collect();
        (0..card.len())
            .map(|i| {
                let posterior = self.kinds_seen_by_mates(&fits, i);
                let finger = card[i].0;
                std::array::from_fn(|c| {
                    let expected: f32 = self
                        .kinds
                        .iter()
                        .zip(&posterior)
                        .map(|(kind, w)| w * table(kind, finger)[c])
                        .sum();
                    (expected / self.class_frequency[c]).powf(self.strength)
                })
            })
            .collect()
    }

    /// Σ_c θ_kind[finger](c) · p(c) / P(c), with p(c) / P(c) normalised.
    fn fit(&self, kind: &Kind, finger: Finger, p: &[f32; CLASSES]) -> f32 {
        let likelihood: [f32; CLASSES] = std::array::from_fn(|c| p[c] / self.class_frequency[c]);
        let total = likelihood.iter().sum::<f32>();
        let table = table(kind, finger);
        let fit = (0..CLASSES)
            .map(|c| table[c] * likelihood[c] / total)
            .sum::<f32>();
        if fit.is_finite() {
            fit.max(f32::MIN_POSITIVE)
        } else {
            1.0
        }
    }

    /// The kinds' posterior from every print of the card but `i`.
    fn kinds_seen_by_mates(&self, fits: &[Vec<f32>], i: usize) -> Vec<f32> {
        let log: Vec<f32> = self
            .kinds
            .iter()
            .zip(fits)
            .map(|(kind, fit)| {
                let mates: f32 = fit
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, f)| f)
                    .sum();
                kind.share.ln() + self.temper * mates
            })
            .collect();
        let top = log.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let w: Vec<f32> = log.iter().map(|l| (l - top).exp()).collect();
        let sum = w.iter().sum::<f32>();
        w.iter().map(|v| v / sum).collect()
    }
}

/// A kind's table for one finger in [`PatternClass::ALL`] order: the
/// digit's ulnar loop is a right loop on the right hand, a left loop on
/// the left.
fn table(kind: &Kind, finger: Finger) -> [f32; CLASSES] {
    let [arch, tented, ulnar, radial, whorl] = kind.digits[finger.index() % 5];
    let (left, right) = match finger.hand() {
        Hand::Right => (radial, ulnar),
        Hand::Left => (ulnar, radial),
    };
    [arch, tented, left, right, whorl]
}

/// The kinds shipped with the crate.
pub fn shipped() -> &'static CardPrior {
    static PRIOR: OnceLock<CardPrior> = OnceLock::new();
    PRIOR.get_or_init(|| {
        serde_json::from_str(include_str!("card_prior.json"))
            .expect("the shipped card prior parses (checked by its test)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVEN: [f32; CLASSES] = [0.2; CLASSES];

    fn whorl() -> [f32; CLASSES] {
        [0.01, 0.01, 0.04, 0.04, 0.9]
    }

    fn ulnar_loop(finger: Finger) -> [f32; CLASSES] {
        match finger.hand() {
            Hand::Right => [0.01, 0.01, 0.03, 0.9, 0.05],
            Hand::Left => [0.01, 0.01, 0.9, 0.03, 0.05],
        }
    }

    #[test]
    fn the_shipped_kinds_parse_and_every_table_is_a_distribution() {
        let prior = shipped();
        assert!(prior.kinds.len() >= 2);
        assert!((prior.kinds.iter().map(|k| k.share).sum::<f32>() - 1.0).abs() < 1e-3);
        for kind in &prior.kinds {
            for digit in &kind.digits {
                assert!(digit.iter().all(|v| *v > 0.0));
                assert!((digit.iter().sum::<f32>() - 1.0).abs() < 1e-3, "{digit:?}");
            }
        }
    }

    #[test]
    fn a_card_of_whorls_makes_an_unsure_print_likelier_a_whorl() {
        // Nine clear whorls and a tenth the engine cannot decide between a
        // left loop and a whorl.
        let unsure = [0.02, 0.02, 0.48, 0.02, 0.46];
        let mut card: Vec<(Finger, [f32; CLASSES])> =
            Finger::ALL.iter().map(|&f| (f, whorl())).collect();
        card[8].1 = unsure;
        let among_whorls = shipped().weigh(&card)[8];
        let mut loops: Vec<(Finger, [f32; CLASSES])> =
            Finger::ALL.iter().map(|&f| (f, ulnar_loop(f))).collect();
        loops[8].1 = unsure;
        let among_loops = shipped().weigh(&loops)[8];
        let w = PatternClass::W.index();
        assert!(among_whorls[w] > 0.5, "{among_whorls:?}");
        assert!(
            among_whorls[w] > among_loops[w] + 0.2,
            "{among_whorls:?} {among_loops:?}"
        );
    }

    #[test]
    fn a_print_does_not_vote_for_its_own_kind() {
        // The same card with the print itself changed: the weights it gets
        // depend on its card-mates only.
        let mut card: Vec<(Finger, [f32; CLASSES])> =
            Finger::ALL.iter().map(|&f| (f, ulnar_loop(f))).collect();
        let before = shipped().weights(&card)[3];
        card[3].1 = whorl();
        let after = shipped().weights(&card)[3];
        for (a, b) in before.iter().zip(after) {
            assert!((a - b).abs() < 1e-5 * a.max(1.0), "{before:?} {after:?}");
        }
    }

    #[test]
    fn the_weighed_probabilities_sum_to_one_and_zero_strength_keeps_them() {
        let card: Vec<(Finger, [f32; CLASSES])> = Finger::ALL.iter().map(|&f| (f, EVEN)).collect();
        for p in shipped().weigh(&card) {
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{p:?}");
        }
        let off = CardPrior {
            strength: 0.0,
            ..shipped().clone()
        };
        let card: Vec<(Finger, [f32; CLASSES])> =
            Finger::ALL.iter().map(|&f| (f, ulnar_loop(f))).collect();
        for ((_, p), q) in card.iter().zip(off.weigh(&card)) {
            for (a, b) in p.iter().zip(q) {
                assert!((a - b).abs() < 1e-6);
            }
        }
    }

    #[test]
    fn a_card_of_one_print_is_weighed_by_the_kinds_shares() {
        // No card-mates: the kinds weigh as often as they are seen, which
        // is the digit's table over all cards.
        let prior = shipped();
        let weights = &prior.weights(&[(Finger::L2, EVEN)])[0];
        for (c, weight) in weights.iter().enumerate() {
            let pooled: f32 = prior
                .kinds
                .iter()
                .map(|k| k.share * table(k, Finger::L2)[c])
                .sum();
            let expected = (pooled / prior.class_frequency[c]).powf(prior.strength);
            assert!((weight - expected).abs() < 1e-4 * expected.max(1.0));
        }
    }
}
