//! Fingers and pattern classes, with the codes the rest of Vantay uses.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

pub use vantay_domain::{Finger, Hand, ParseFingerError};

pub use vantay_domain::{ParseClassError, PatternClass};

/// The text was not a pattern kind code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a pattern kind (expected A, T, UL, RL or W)")]
pub struct ParseKindError(String);

/// A pattern as the interpretation reads it: loops told apart by the side of
/// the hand they open to rather than the side of the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatternKind {
    /// `A`: plain arch.
    Arch,
    /// `T`: tented arch.
    TentedArch,
    /// `UL`: ulnar loop, opening towards the little finger.
    UlnarLoop,
    /// `RL`: radial loop, opening towards the thumb.
    RadialLoop,
    /// `W`: whorl.
    Whorl,
}

impl PatternKind {
    /// All kinds, in the order the report lists them.
    pub const ALL: [PatternKind; 5] = [
        PatternKind::Arch,
        PatternKind::TentedArch,
        PatternKind::UlnarLoop,
        PatternKind::RadialLoop,
        PatternKind::Whorl,
    ];

    /// The kind of a print of `class` on `finger`.
    ///
    /// Prints are as imaged, not mirrored: on the right hand a right loop
    /// opens towards the little finger (ulnar), on the left hand a left loop.
    pub fn of(finger: Finger, class: PatternClass) -> PatternKind {
        match (class, finger.hand()) {
            (PatternClass::A, _) => PatternKind::Arch,
            (PatternClass::T, _) => PatternKind::TentedArch,
            (PatternClass::W, _) => PatternKind::Whorl,
            (PatternClass::R, Hand::Right) | (PatternClass::L, Hand::Left) => {
                PatternKind::UlnarLoop
            }
            (PatternClass::L, Hand::Right) | (PatternClass::R, Hand::Left) => {
                PatternKind::RadialLoop
            }
        }
    }

    /// The code used in interpretation tables: `A`, `T`, `UL`, `RL`, `W`.
    pub fn code(self) -> &'static str {
        match self {
            PatternKind::Arch => "A",
            PatternKind::TentedArch => "T",
            PatternKind::UlnarLoop => "UL",
            PatternKind::RadialLoop => "RL",
            PatternKind::Whorl => "W",
        }
    }

    /// The kind's index in [`PatternKind::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The usual Vietnamese name, e.g. "Vân xoáy".
    pub fn name_vi(self) -> &'static str {
        match self {
            PatternKind::Arch => "Vân cung",
            PatternKind::TentedArch => "Vân cung lều",
            PatternKind::UlnarLoop => "Vân móc trụ",
            PatternKind::RadialLoop => "Vân móc quay",
            PatternKind::Whorl => "Vân xoáy",
        }
    }

    /// The English name, e.g. "Ulnar loop".
    pub fn name_en(self) -> &'static str {
        match self {
            PatternKind::Arch => "Plain arch",
            PatternKind::TentedArch => "Tented arch",
            PatternKind::UlnarLoop => "Ulnar loop",
            PatternKind::RadialLoop => "Radial loop",
            PatternKind::Whorl => "Whorl",
        }
    }
}

impl fmt::Display for PatternKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for PatternKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl FromStr for PatternKind {
    type Err = ParseKindError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PatternKind::ALL
            .into_iter()
            .find(|kind| kind.code() == s)
            .ok_or_else(|| ParseKindError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finger_codes_round_trip() {
        for finger in Finger::ALL {
            assert_eq!(finger.code().parse::<Finger>().ok(), Some(finger));
            assert_eq!(finger.to_string(), finger.code());
        }
        assert!("R6".parse::<Finger>().is_err());
        assert!("r1".parse::<Finger>().is_err());
    }

    #[test]
    fn kind_codes_round_trip() {
        for kind in PatternKind::ALL {
            assert_eq!(kind.code().parse::<PatternKind>(), Ok(kind));
        }
        let err = "L".parse::<PatternKind>().unwrap_err();
        assert!(err.to_string().contains("UL, RL"), "{err}");
    }

    #[test]
    fn ulnar_side_depends_on_hand() {
        use PatternClass::{L as LeftLoop, R as RightLoop};
        assert_eq!(
            PatternKind::of(Finger::R2, RightLoop),
            PatternKind::UlnarLoop
        );
        assert_eq!(
            PatternKind::of(Finger::R2, LeftLoop),
            PatternKind::RadialLoop
        );
        assert_eq!(
            PatternKind::of(Finger::L2, LeftLoop),
            PatternKind::UlnarLoop
        );
        assert_eq!(
            PatternKind::of(Finger::L2, RightLoop),
            PatternKind::RadialLoop
        );
    }
}
