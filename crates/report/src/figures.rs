//! The measurable figures of a ten-print: ridge counts, pattern counts and
//! the usual dermatoglyphic indices (see `shared/DOMAIN.md`).
//!
//! Every figure here is a pure function of the ten [`FingerResult`]s.

use serde::Serialize;

use crate::finger::{Finger, Hand, PatternClass, PatternKind};

/// One finger's analysis result, as the analysis engine returned it.
#[derive(Clone, PartialEq, Eq)]
pub struct FingerResult {
    /// Which finger.
    pub finger: Finger,
    /// The pattern class.
    pub class: PatternClass,
    /// The engine's finer type (e.g. `"double_loop"`), if it gave one.
    pub subtype: Option<String>,
    /// Core–delta ridge counts, one per delta found.
    ///
    /// A loop needs exactly one; a whorl one or two (a delta may lie outside
    /// the rolled area). An arch counts 0 by convention: any counts given for
    /// an arch are kept for display but do not enter the totals.
    pub ridge_counts: Vec<u32>,
    /// The print image as PNG, shown in the report when present.
    pub image_png: Option<Vec<u8>>,
}

impl std::fmt::Debug for FingerResult {
    // The image is biometric data: Debug shows only its size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FingerResult")
            .field("finger", &self.finger)
            .field("class", &self.class)
            .field("subtype", &self.subtype)
            .field("ridge_counts", &self.ridge_counts)
            .field("image_png_bytes", &self.image_png.as_ref().map(Vec::len))
            .finish()
    }
}

/// Why figures could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FiguresError {
    /// A finger has no result; all ten are needed because every total and
    /// index is defined over ten fingers.
    #[error("finger {0} has no result: a report needs all ten fingers (R1..R5, L1..L5)")]
    MissingFinger(Finger),
    /// A finger has more than one result.
    #[error("finger {0} has more than one result")]
    DuplicateFinger(Finger),
    /// A loop or whorl has a number of ridge counts its class cannot have.
    #[error("finger {finger} is class {class} with {got} ridge count(s); expected {expected}: recount it")]
    RidgeCounts {
        /// The finger.
        finger: Finger,
        /// Its class.
        class: PatternClass,
        /// How many counts it had.
        got: usize,
        /// What its class needs, in words.
        expected: &'static str,
    },
}

/// The figures of one finger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FingerFigures {
    /// Which finger.
    pub finger: Finger,
    /// The pattern as the interpretation reads it (ulnar/radial loops).
    pub kind: PatternKind,
    /// The engine's class code (`A`, `T`, `L`, `R`, `W`).
    pub class: &'static str,
    /// The engine's finer type, if any.
    pub subtype: Option<String>,
    /// The counts as measured (shown; arches' counts do not enter totals).
    pub ridge_counts: Vec<u32>,
    /// The finger's count in the TFRC: 0 for an arch, the larger of a whorl.
    pub finger_ridge_count: u32,
    /// The finger's count in the AFRC: 0 for an arch, both of a whorl.
    pub absolute_ridge_count: u32,
}

/// How many prints of each pattern kind one hand (or both) has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PatternCounts {
    /// Plain arches.
    pub arch: u32,
    /// Tented arches.
    pub tented_arch: u32,
    /// Ulnar loops.
    pub ulnar_loop: u32,
    /// Radial loops.
    pub radial_loop: u32,
    /// Whorls.
    pub whorl: u32,
}

impl PatternCounts {
    fn add(&mut self, kind: PatternKind) {
        let slot = match kind {
            PatternKind::Arch => &mut self.arch,
            PatternKind::TentedArch => &mut self.tented_arch,
            PatternKind::UlnarLoop => &mut self.ulnar_loop,
            PatternKind::RadialLoop => &mut self.radial_loop,
            PatternKind::Whorl => &mut self.whorl,
        };
        *slot += 1;
    }

    /// Plain plus tented arches.
    pub fn arches(&self) -> u32 {
        self.arch + self.tented_arch
    }

    /// Ulnar plus radial loops.
    pub fn loops(&self) -> u32 {
        self.ulnar_loop + self.radial_loop
    }

    /// The count of one kind.
    pub fn get(&self, kind: PatternKind) -> u32 {
        match kind {
            PatternKind::Arch => self.arch,
            PatternKind::TentedArch => self.tented_arch,
            PatternKind::UlnarLoop => self.ulnar_loop,
            PatternKind::RadialLoop => self.radial_loop,
            PatternKind::Whorl => self.whorl,
        }
    }

    fn total(&self) -> u32 {
        self.arches() + self.loops() + self.whorl
    }
}

/// All figures of a ten-print.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// One entry per finger, in [`Finger::ALL`] order.
    pub fingers: Vec<FingerFigures>,
    /// Total finger ridge count: the sum of each finger's count, taking the
    /// larger count of a whorl.
    pub tfrc: u32,
    /// Absolute finger ridge count: the sum of all counts, both of a whorl.
    pub afrc: u32,
    /// TFRC of the right hand's five fingers.
    pub tfrc_right: u32,
    /// TFRC of the left hand's five fingers.
    pub tfrc_left: u32,
    /// Pattern counts of the right hand.
    pub right_hand: PatternCounts,
    /// Pattern counts of the left hand.
    pub left_hand: PatternCounts,
    /// Pattern counts of both hands.
    pub both_hands: PatternCounts,
    /// Pattern intensity index, (2 × whorls + loops) / 10, range 0–2.
    pub pattern_intensity: f64,
    /// Dankmeijer index, arches / whorls × 100; `None` when there are no
    /// whorls (the ratio is undefined, not infinite).
    pub dankmeijer: Option<f64>,
    /// Furuhata index, whorls / loops × 100; `None` when there are no loops.
    pub furuhata: Option<f64>,
}

/// Computes the figures from exactly one result per finger, in any order.
pub fn compute_figures(results: &[FingerResult]) -> Result<Figures, FiguresError> {
    let ordered = order_by_finger(results)?;
    let fingers = ordered
        .into_iter()
        .map(finger_figures)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(summarise(fingers))
}

fn order_by_finger(results: &[FingerResult]) -> Result<[&FingerResult; 10], FiguresError> {
    let mut slots: [Option<&FingerResult>; 10] = [None; 10];
    for result in results {
        let slot = &mut slots[result.finger.index()];
        if slot.is_some() {
            return Err(FiguresError::DuplicateFinger(result.finger));
        }
        *slot = Some(result);
    }
    let mut ordered = Vec::with_capacity(10);
    for (finger, slot) in Finger::ALL.into_iter().zip(slots) {
        ordered.push(slot.ok_or(FiguresError::MissingFinger(finger))?);
    }
    Ok(ordered.try_into().expect("exactly ten fingers were pushed"))
}

fn finger_figures(result: &FingerResult) -> Result<FingerFigures, FiguresError> {
    let counts = &result.ridge_counts;
    let (finger_ridge_count, absolute_ridge_count) = match result.class {
        class if class.is_arch() => (0, 0),
        class if class.is_loop() => match counts.as_slice() {
            [count] => (*count, *count),
            _ => return Err(bad_counts(result, "exactly 1 for a loop")),
        },
        _ => match counts.as_slice() {
            [count] => (*count, *count),
            [first, second] => ((*first).max(*second), first + second),
            _ => return Err(bad_counts(result, "1 or 2 for a whorl")),
        },
    };
    Ok(FingerFigures {
        finger: result.finger,
        kind: PatternKind::of(result.finger, result.class),
        class: result.class.code(),
        subtype: result.subtype.clone(),
        ridge_counts: counts.clone(),
        finger_ridge_count,
        absolute_ridge_count,
    })
}

fn bad_counts(result: &FingerResult, expected: &'static str) -> FiguresError {
    FiguresError::RidgeCounts {
        finger: result.finger,
        class: result.class,
        got: result.ridge_counts.len(),
        expected,
    }
}

fn summarise(fingers: Vec<FingerFigures>) -> Figures {
    let hand_total = |hand: Hand| -> u32 {
        fingers
            .iter()
            .filter(|f| f.finger.hand() == hand)
            .map(|f| f.finger_ridge_count)
            .sum()
    };
    let hand_counts = |hand: Option<Hand>| -> PatternCounts {
        let mut counts = PatternCounts::default();
        fingers
            .iter()
            .filter(|f| hand.is_none_or(|h| f.finger.hand() == h))
            .for_each(|f| counts.add(f.kind));
        counts
    };
    let both_hands = hand_counts(None);
    Figures {
        tfrc: fingers.iter().map(|f| f.finger_ridge_count).sum(),
        afrc: fingers.iter().map(|f| f.absolute_ridge_count).sum(),
        tfrc_right: hand_total(Hand::Right),
        tfrc_left: hand_total(Hand::Left),
        right_hand: hand_counts(Some(Hand::Right)),
        left_hand: hand_counts(Some(Hand::Left)),
        pattern_intensity: pattern_intensity(&both_hands),
        dankmeijer: percent_ratio(both_hands.arches(), both_hands.whorl),
        furuhata: percent_ratio(both_hands.whorl, both_hands.loops()),
        both_hands,
        fingers,
    }
}

fn pattern_intensity(counts: &PatternCounts) -> f64 {
    f64::from(2 * counts.whorl + counts.loops()) / f64::from(counts.total())
}

fn percent_ratio(numerator: u32, denominator: u32) -> Option<f64> {
    (denominator > 0).then(|| f64::from(numerator) / f64::from(denominator) * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use PatternClass::{A as Arch, L as LeftLoop, R as RightLoop, T as TentedArch, W as Whorl};

    fn result(finger: Finger, class: PatternClass, counts: &[u32]) -> FingerResult {
        FingerResult {
            finger,
            class,
            subtype: None,
            ridge_counts: counts.to_vec(),
            image_png: None,
        }
    }

    /// A hand-worked card: right hand W(14,11) R(12) R(9) W(18,16) R(10);
    /// left hand W(15,9) L(8) A T L(11).
    fn worked_card() -> Vec<FingerResult> {
        use Finger::*;
        vec![
            result(R1, Whorl, &[14, 11]),
            result(R2, RightLoop, &[12]),
            result(R3, RightLoop, &[9]),
            result(R4, Whorl, &[18, 16]),
            result(R5, RightLoop, &[10]),
            result(L1, Whorl, &[15, 9]),
            result(L2, LeftLoop, &[8]),
            result(L3, Arch, &[]),
            result(L4, TentedArch, &[]),
            result(L5, LeftLoop, &[11]),
        ]
    }

    #[test]
    fn worked_card_totals() {
        let figures = compute_figures(&worked_card()).unwrap();
        // TFRC: 14+12+9+18+10 = 63 right; 15+8+0+0+11 = 34 left; 97.
        assert_eq!(figures.tfrc_right, 63);
        assert_eq!(figures.tfrc_left, 34);
        assert_eq!(figures.tfrc, 97);
        // AFRC adds the smaller whorl counts: 97 + 11 + 16 + 9 = 133.
        assert_eq!(figures.afrc, 133);
    }

    #[test]
    fn worked_card_indices() {
        let figures = compute_figures(&worked_card()).unwrap();
        // 3 whorls, 5 loops, 2 arches.
        assert_eq!(figures.both_hands.whorl, 3);
        assert_eq!(figures.both_hands.loops(), 5);
        assert_eq!(figures.both_hands.arches(), 2);
        // PII = (2·3 + 5) / 10 = 1.1.
        assert!((figures.pattern_intensity - 1.1).abs() < 1e-12);
        // Dankmeijer = 2 / 3 · 100; Furuhata = 3 / 5 · 100 = 60.
        assert!((figures.dankmeijer.unwrap() - 200.0 / 3.0).abs() < 1e-9);
        assert!((figures.furuhata.unwrap() - 60.0).abs() < 1e-9);
    }

    #[test]
    fn worked_card_hand_distribution() {
        let figures = compute_figures(&worked_card()).unwrap();
        // Right loops on the right hand and left loops on the left are ulnar.
        let right = figures.right_hand;
        assert_eq!(
            (right.whorl, right.ulnar_loop, right.radial_loop),
            (2, 3, 0)
        );
        let left = figures.left_hand;
        assert_eq!(
            (left.whorl, left.ulnar_loop, left.arch, left.tented_arch),
            (1, 2, 1, 1)
        );
    }

    #[test]
    fn no_whorls_leaves_dankmeijer_undefined() {
        let card: Vec<_> = Finger::ALL
            .into_iter()
            .map(|finger| {
                result(
                    finger,
                    if finger.index() < 2 { Arch } else { LeftLoop },
                    &[7],
                )
            })
            .map(|mut r| {
                if r.class.is_arch() {
                    r.ridge_counts.clear();
                }
                r
            })
            .collect();
        let figures = compute_figures(&card).unwrap();
        assert_eq!(figures.dankmeijer, None);
        assert_eq!(figures.furuhata, Some(0.0));
        // PII = 8 loops / 10.
        assert!((figures.pattern_intensity - 0.8).abs() < 1e-12);
        assert_eq!(figures.tfrc, 8 * 7);
    }

    #[test]
    fn all_whorls_leaves_furuhata_undefined() {
        let card: Vec<_> = Finger::ALL
            .into_iter()
            .map(|finger| result(finger, Whorl, &[10, 20]))
            .collect();
        let figures = compute_figures(&card).unwrap();
        assert_eq!(figures.furuhata, None);
        assert_eq!(figures.dankmeijer, Some(0.0));
        assert!((figures.pattern_intensity - 2.0).abs() < 1e-12);
        assert_eq!((figures.tfrc, figures.afrc), (200, 300));
    }

    #[test]
    fn whorl_with_one_delta_counts_once() {
        let mut card = worked_card();
        card[0].ridge_counts = vec![14];
        let figures = compute_figures(&card).unwrap();
        assert_eq!(figures.tfrc, 97);
        assert_eq!(figures.afrc, 133 - 11);
    }

    #[test]
    fn arch_counts_are_shown_but_not_totalled() {
        let mut card = worked_card();
        card[8].ridge_counts = vec![5];
        let figures = compute_figures(&card).unwrap();
        assert_eq!(figures.tfrc, 97);
        assert_eq!(figures.fingers[8].ridge_counts, vec![5]);
    }

    #[test]
    fn order_of_results_does_not_matter() {
        let mut card = worked_card();
        card.reverse();
        assert_eq!(compute_figures(&card), compute_figures(&worked_card()));
    }

    #[test]
    fn missing_and_duplicate_fingers_are_named() {
        let mut card = worked_card();
        card.remove(6);
        assert_eq!(
            compute_figures(&card),
            Err(FiguresError::MissingFinger(Finger::L2))
        );
        card.push(result(Finger::R3, RightLoop, &[4]));
        assert_eq!(
            compute_figures(&card),
            Err(FiguresError::DuplicateFinger(Finger::R3))
        );
    }

    #[test]
    fn loop_without_count_is_refused() {
        let mut card = worked_card();
        card[1].ridge_counts.clear();
        let err = compute_figures(&card).unwrap_err();
        assert!(matches!(
            err,
            FiguresError::RidgeCounts {
                finger: Finger::R2,
                got: 0,
                ..
            }
        ));
        assert!(err.to_string().contains("R2"));
    }
}
