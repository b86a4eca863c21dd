//! Applies an interpretation table to the figures: each finger's share, the
//! groups' shares and the texts the report prints.
//!
//! A finger's value is `max(count, min_count) × finger weight × pattern
//! weight` (count: the finger's TFRC count); its share is its value over the
//! sum of the ten values, in percent. Right-hand fingers are read as the left
//! brain, left-hand fingers as the right brain, as centres do.

use serde::Serialize;

use crate::figures::Figures;
use crate::finger::{Finger, Hand};
use crate::table::InterpretationTable;

/// One finger's share and the table's texts for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FingerShare {
    /// Which finger.
    pub finger: Finger,
    /// The weighted value before normalising.
    pub value: f64,
    /// The share of the ten values, in percent.
    pub percent: f64,
    /// The key of the finger's group.
    pub group: String,
    /// The table's text on the finger.
    pub meaning: String,
    /// The centre's name for the finger's pattern.
    pub pattern_name: String,
    /// The centre's code for the finger's pattern.
    pub pattern_code: String,
    /// The centre's name for the subtype, else the engine's, if any.
    pub subtype_name: Option<String>,
}

/// One group's share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupShare {
    /// The group's key in the table.
    pub key: String,
    /// Name in Vietnamese.
    pub name: String,
    /// Name in English.
    pub name_en: String,
    /// The group's text.
    pub text: String,
    /// The sum of its fingers' shares, in percent.
    pub percent: f64,
}

/// The table applied to one person's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interpretation {
    /// One entry per finger, in [`Finger::ALL`] order.
    pub fingers: Vec<FingerShare>,
    /// The groups in the table's key order.
    pub groups: Vec<GroupShare>,
    /// The share of the right-hand fingers (read as the left brain).
    pub left_brain_percent: f64,
    /// The share of the left-hand fingers (read as the right brain).
    pub right_brain_percent: f64,
}

/// Applies `table` to `figures`.
///
/// When all ten values are zero (all arches with a `min_count` of 0, or zero
/// weights) no finger outweighs another, and each gets 10 %.
pub fn interpret(figures: &Figures, table: &InterpretationTable) -> Interpretation {
    let values: Vec<f64> = figures
        .fingers
        .iter()
        .map(|f| {
            let pattern = table.pattern(f.kind);
            let count = f.finger_ridge_count.max(pattern.min_count);
            f64::from(count) * table.finger(f.finger).weight * pattern.weight
        })
        .collect();
    let total: f64 = values.iter().sum();
    let percent = |value: f64| {
        if total > 0.0 {
            value / total * 100.0
        } else {
            100.0 / values.len() as f64
        }
    };
    let fingers: Vec<FingerShare> = figures
        .fingers
        .iter()
        .zip(&values)
        .map(|(f, &value)| {
            let entry = table.finger(f.finger);
            let pattern = table.pattern(f.kind);
            let subtype_name = f.subtype.as_ref().map(|s| {
                pattern
                    .subtypes
                    .get(s)
                    .cloned()
                    .unwrap_or_else(|| s.clone())
            });
            FingerShare {
                finger: f.finger,
                value,
                percent: percent(value),
                group: entry.group.clone(),
                meaning: entry.meaning.clone(),
                pattern_name: pattern.name.clone(),
                pattern_code: pattern.code.clone(),
                subtype_name,
            }
        })
        .collect();
    let groups = group_shares(&fingers, table);
    let hand_share = |hand: Hand| -> f64 {
        fingers
            .iter()
            .filter(|f| f.finger.hand() == hand)
            .map(|f| f.percent)
            .sum()
    };
    Interpretation {
        left_brain_percent: hand_share(Hand::Right),
        right_brain_percent: hand_share(Hand::Left),
        groups,
        fingers,
    }
}

fn group_shares(fingers: &[FingerShare], table: &InterpretationTable) -> Vec<GroupShare> {
    table
        .groups()
        .iter()
        .map(|(key, group)| GroupShare {
            key: key.clone(),
            name: group.name.clone(),
            name_en: group.name_en.clone(),
            text: group.text.clone(),
            percent: fingers
                .iter()
                .filter(|f| &f.group == key)
                .map(|f| f.percent)
                .sum(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{compute_figures, FingerResult};
    use crate::finger::PatternClass::{
        self, A as Arch, L as LeftLoop, R as RightLoop, T as TentedArch, W as Whorl,
    };
    use crate::table::parse_table;
    use crate::table::EXAMPLE_TABLE;

    fn card(spec: [(PatternClass, &[u32]); 10]) -> Figures {
        let results: Vec<_> = Finger::ALL
            .into_iter()
            .zip(spec)
            .map(|(finger, (class, counts))| FingerResult {
                finger,
                class,
                subtype: None,
                ridge_counts: counts.to_vec(),
                image_png: None,
            })
            .collect();
        compute_figures(&results).unwrap()
    }

    /// The card of the figures tests: W(14,11) R(12) R(9) W(18,16) R(10) /
    /// W(15,9) L(8) A T L(11).
    fn worked() -> Figures {
        card([
            (Whorl, &[14, 11]),
            (RightLoop, &[12]),
            (RightLoop, &[9]),
            (Whorl, &[18, 16]),
            (RightLoop, &[10]),
            (Whorl, &[15, 9]),
            (LeftLoop, &[8]),
            (Arch, &[]),
            (TentedArch, &[]),
            (LeftLoop, &[11]),
        ])
    }

    #[test]
    fn shares_follow_the_example_weights() {
        // Example weights: W 1.2, UL 1.0, A/T min_count 4; finger weights 1.
        // Values: 16.8 12 9 21.6 10 | 18 8 4 4 11 → total 114.4.
        let interpretation = interpret(&worked(), &InterpretationTable::example());
        let expected = [16.8, 12.0, 9.0, 21.6, 10.0, 18.0, 8.0, 4.0, 4.0, 11.0];
        for (share, value) in interpretation.fingers.iter().zip(expected) {
            assert!((share.value - value).abs() < 1e-9, "{share:?}");
            assert!((share.percent - value / 114.4 * 100.0).abs() < 1e-9);
        }
        // Left brain (right hand): 69.4 of 114.4.
        assert!((interpretation.left_brain_percent - 69.4 / 114.4 * 100.0).abs() < 1e-9);
        let total: f64 = interpretation.groups.iter().map(|g| g.percent).sum();
        assert!((total - 100.0).abs() < 1e-9);
        // Prefrontal = thumbs: (16.8 + 18) / 114.4.
        let prefrontal = interpretation
            .groups
            .iter()
            .find(|g| g.key == "prefrontal")
            .unwrap();
        assert!((prefrontal.percent - 34.8 / 114.4 * 100.0).abs() < 1e-9);
    }

    #[test]
    fn all_zero_values_share_equally() {
        let table = parse_table(&EXAMPLE_TABLE.replace("min_count = 4", "min_count = 0")).unwrap();
        let arches = card([(Arch, &[]); 10]);
        let interpretation = interpret(&arches, &table);
        assert!(interpretation
            .fingers
            .iter()
            .all(|f| (f.percent - 10.0).abs() < 1e-12));
    }

    #[test]
    fn subtype_uses_the_centres_name_when_it_has_one() {
        let mut results: Vec<_> = Finger::ALL
            .into_iter()
            .map(|finger| FingerResult {
                finger,
                class: Whorl,
                subtype: Some("double_loop".into()),
                ridge_counts: vec![10, 12],
                image_png: None,
            })
            .collect();
        results[1].subtype = Some("unheard_of".into());
        let figures = compute_figures(&results).unwrap();
        let interpretation = interpret(&figures, &InterpretationTable::example());
        assert_eq!(
            interpretation.fingers[0].subtype_name.as_deref(),
            Some("Vân xoáy kép (WD)")
        );
        assert_eq!(
            interpretation.fingers[1].subtype_name.as_deref(),
            Some("unheard_of")
        );
    }
}
