//! Fingers and pattern classes, with the codes the rest of Vantay uses.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

pub use vantay_domain::{Finger, Hand, ParseFingerError};

/// The five-class pattern scheme of NIST PCASYS, as the analysis engine
/// reports it (DESIGN §5, JSON field `class`).
///
/// `LeftLoop`/`RightLoop` say where the loop opens *on the image*; whether
/// that is towards the little finger (ulnar) depends on the hand, see
/// [`PatternKind::of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PatternClass {
    /// `A`: plain arch, no delta.
    Arch,
    /// `T`: tented arch.
    TentedArch,
    /// `L`: loop opening to the left of the image.
    LeftLoop,
    /// `R`: loop opening to the right of the image.
    RightLoop,
    /// `W`: whorl, two deltas.
    Whorl,
}

/// The text was not a pattern class code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a pattern class (expected A, T, L, R or W)")]
pub struct ParseClassError(String);

impl PatternClass {
    /// The one-letter code: `A`, `T`, `L`, `R` or `W`.
    pub fn code(self) -> &'static str {
        match self {
            PatternClass::Arch => "A",
            PatternClass::TentedArch => "T",
            PatternClass::LeftLoop => "L",
            PatternClass::RightLoop => "R",
            PatternClass::Whorl => "W",
        }
    }

    /// True for plain and tented arches.
    pub fn is_arch(self) -> bool {
        matches!(self, PatternClass::Arch | PatternClass::TentedArch)
    }

    /// True for left and right loops.
    pub fn is_loop(self) -> bool {
        matches!(self, PatternClass::LeftLoop | PatternClass::RightLoop)
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
        match s {
            "A" => Ok(PatternClass::Arch),
            "T" => Ok(PatternClass::TentedArch),
            "L" => Ok(PatternClass::LeftLoop),
            "R" => Ok(PatternClass::RightLoop),
            "W" => Ok(PatternClass::Whorl),
            other => Err(ParseClassError(other.to_owned())),
        }
    }
}

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
            (PatternClass::Arch, _) => PatternKind::Arch,
            (PatternClass::TentedArch, _) => PatternKind::TentedArch,
            (PatternClass::Whorl, _) => PatternKind::Whorl,
            (PatternClass::RightLoop, Hand::Right) | (PatternClass::LeftLoop, Hand::Left) => {
                PatternKind::UlnarLoop
            }
            (PatternClass::LeftLoop, Hand::Right) | (PatternClass::RightLoop, Hand::Left) => {
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
    type Err = ParseClassError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PatternKind::ALL
            .into_iter()
            .find(|kind| kind.code() == s)
            .ok_or_else(|| ParseClassError(s.to_owned()))
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
    fn class_codes_round_trip() {
        for code in ["A", "T", "L", "R", "W"] {
            assert_eq!(code.parse::<PatternClass>().unwrap().code(), code);
        }
        assert!("X".parse::<PatternClass>().is_err());
    }

    #[test]
    fn ulnar_side_depends_on_hand() {
        use PatternClass::{LeftLoop, RightLoop};
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
