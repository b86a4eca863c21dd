//! The five fingerprint pattern classes, as the engine reads them, the
//! analysis centre signs them and the report counts them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The five-class scheme of NIST PCASYS and the SD14 labels (DESIGN §5,
/// JSON field `class`), written by its one-letter codes.
///
/// `L` and `R` say where the loop opens *on the image*; whether that is
/// towards the little finger (ulnar) depends on the hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PatternClass {
    /// Plain arch: ridges flow across without recurving; no delta.
    A,
    /// Tented arch: an arch with a sharp upthrust, often over a delta.
    T,
    /// Left loop: opens towards the left side of the image.
    L,
    /// Right loop: opens towards the right side of the image.
    R,
    /// Whorl: circuits around a centre, two deltas.
    W,
}

/// The text was not a pattern class code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a pattern class (expected A, T, L, R or W)")]
pub struct ParseClassError(String);

impl PatternClass {
    /// All classes, in the engine's output order.
    pub const ALL: [PatternClass; 5] = [
        PatternClass::A,
        PatternClass::T,
        PatternClass::L,
        PatternClass::R,
        PatternClass::W,
    ];

    /// Index in [`PatternClass::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The one-letter code: `A`, `T`, `L`, `R` or `W`.
    pub fn code(self) -> &'static str {
        match self {
            PatternClass::A => "A",
            PatternClass::T => "T",
            PatternClass::L => "L",
            PatternClass::R => "R",
            PatternClass::W => "W",
        }
    }

    /// The class of a one-letter code, if it is one.
    pub fn from_letter(letter: &str) -> Option<PatternClass> {
        PatternClass::ALL.into_iter().find(|c| c.code() == letter)
    }

    /// The class of the same print seen in a mirror: a left loop becomes a
    /// right loop and the other way round; the other classes stay.
    pub fn mirrored(self) -> PatternClass {
        match self {
            PatternClass::L => PatternClass::R,
            PatternClass::R => PatternClass::L,
            other => other,
        }
    }

    /// Plain and tented arches: no core–delta ridge count.
    pub fn is_arch(self) -> bool {
        matches!(self, PatternClass::A | PatternClass::T)
    }

    /// Left and right loops.
    pub fn is_loop(self) -> bool {
        matches!(self, PatternClass::L | PatternClass::R)
    }

    /// How many core–delta ridge counts a print of this class has: none for
    /// an arch, one for a loop (its one delta), one or two for a whorl (one
    /// delta may lie outside the rolled area).
    pub fn ridge_counts_allowed(self) -> std::ops::RangeInclusive<usize> {
        match self {
            PatternClass::A | PatternClass::T => 0..=0,
            PatternClass::L | PatternClass::R => 1..=1,
            PatternClass::W => 1..=2,
        }
    }
}

impl fmt::Display for PatternClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for PatternClass {
    type Err = ParseClassError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PatternClass::from_letter(s).ok_or_else(|| ParseClassError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_text_and_json() {
        for class in PatternClass::ALL {
            assert_eq!(class.code().parse::<PatternClass>(), Ok(class));
            assert_eq!(class.to_string(), class.code());
            let json = serde_json::to_string(&class).unwrap();
            assert_eq!(json, format!("\"{}\"", class.code()));
            assert_eq!(PatternClass::ALL[class.index()], class);
        }
        let err = "X".parse::<PatternClass>().unwrap_err();
        assert!(err.to_string().contains("A, T, L, R or W"), "{err}");
    }

    #[test]
    fn a_mirror_swaps_the_loops_only() {
        use PatternClass::*;
        let mirrored: Vec<_> = PatternClass::ALL.map(PatternClass::mirrored).into();
        assert_eq!(mirrored, vec![A, T, R, L, W]);
    }

    #[test]
    fn ridge_counts_follow_the_class() {
        use PatternClass::*;
        assert!(A.is_arch() && T.is_arch() && !L.is_arch() && !W.is_arch());
        assert!(L.is_loop() && R.is_loop() && !W.is_loop());
        assert_eq!(A.ridge_counts_allowed(), 0..=0);
        assert_eq!(R.ridge_counts_allowed(), 1..=1);
        assert_eq!(W.ridge_counts_allowed(), 1..=2);
    }
}
