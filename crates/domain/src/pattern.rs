//! The five fingerprint pattern classes and their subtypes, as the engine
//! reads them, the analysis centre signs them and the report counts them.

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

/// Finer pattern type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subtype {
    /// An arch without upthrust.
    PlainArch,
    /// An arch with an upthrust or a delta below its centre.
    TentedArch,
    /// A loop; which hand decides ulnar or radial (see `vantay_print::loop_direction`).
    Loop,
    /// A whorl with one circuit whose centre lies between its deltas.
    PlainWhorl,
    /// A whorl whose inner circuit lies clear of the line between the deltas.
    CentralPocketWhorl,
    /// Two loops wound around each other: two separate cores.
    DoubleLoop,
    /// A combination of patterns, or more than two deltas.
    AccidentalWhorl,
}

impl Subtype {
    /// Every subtype, arches first, as an analyst's list shows them.
    pub const ALL: [Subtype; 7] = [
        Subtype::PlainArch,
        Subtype::TentedArch,
        Subtype::Loop,
        Subtype::PlainWhorl,
        Subtype::CentralPocketWhorl,
        Subtype::DoubleLoop,
        Subtype::AccidentalWhorl,
    ];

    /// The name results and the JSON carry (`double_loop`).
    pub fn code(self) -> &'static str {
        match self {
            Subtype::PlainArch => "plain_arch",
            Subtype::TentedArch => "tented_arch",
            Subtype::Loop => "loop",
            Subtype::PlainWhorl => "plain_whorl",
            Subtype::CentralPocketWhorl => "central_pocket_whorl",
            Subtype::DoubleLoop => "double_loop",
            Subtype::AccidentalWhorl => "accidental_whorl",
        }
    }

    /// Whether the subtype is one of `class`'s: a whorl has four, every
    /// other class one.
    pub fn belongs_to(self, class: PatternClass) -> bool {
        match class {
            PatternClass::A => self == Subtype::PlainArch,
            PatternClass::T => self == Subtype::TentedArch,
            PatternClass::L | PatternClass::R => self == Subtype::Loop,
            PatternClass::W => matches!(
                self,
                Subtype::PlainWhorl
                    | Subtype::CentralPocketWhorl
                    | Subtype::DoubleLoop
                    | Subtype::AccidentalWhorl
            ),
        }
    }

    /// The subtype an analyst's correction leaves on a reading now of
    /// `class`: `requested` (a [`Subtype::code`]) where given, which must be
    /// one of the class's; else the reading's `current` one where it still
    /// belongs; else the class's first (a plain whorl for a whorl).
    pub fn corrected(
        class: PatternClass,
        requested: Option<&str>,
        current: &str,
    ) -> Result<Subtype, SubtypeError> {
        let subtype = match requested {
            Some(code) => code.parse()?,
            None => match current.parse::<Subtype>() {
                Ok(own) if own.belongs_to(class) => own,
                _ => Subtype::ALL
                    .into_iter()
                    .find(|s| s.belongs_to(class))
                    .expect("every class has a subtype"),
            },
        };
        if subtype.belongs_to(class) {
            Ok(subtype)
        } else {
            Err(SubtypeError::NotOfClass { subtype, class })
        }
    }
}

impl std::str::FromStr for Subtype {
    type Err = SubtypeError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Subtype::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or_else(|| SubtypeError::Unknown(code.to_owned()))
    }
}

/// Why a subtype was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubtypeError {
    /// Not a subtype's name.
    #[error("'{0}' is not a subtype: use plain_arch, tented_arch, loop, plain_whorl, central_pocket_whorl, double_loop or accidental_whorl")]
    Unknown(String),
    /// A subtype of another class.
    #[error("the subtype {} is not one of class {class:?}'s", .subtype.code())]
    NotOfClass {
        /// The subtype asked for.
        subtype: Subtype,
        /// The reading's class.
        class: PatternClass,
    },
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

    #[test]
    fn subtype_codes_are_the_json_names_and_pair_with_their_classes() {
        for subtype in Subtype::ALL {
            let json = serde_json::to_value(subtype).unwrap();
            assert_eq!(json.as_str(), Some(subtype.code()));
            assert_eq!(subtype.code().parse::<Subtype>(), Ok(subtype));
            let classes = PatternClass::ALL
                .into_iter()
                .filter(|c| subtype.belongs_to(*c))
                .count();
            assert!(classes >= 1, "{subtype:?} belongs to no class");
        }
        assert!(matches!(
            "dl".parse::<Subtype>(),
            Err(SubtypeError::Unknown(_))
        ));
    }

    #[test]
    fn a_corrected_class_keeps_a_fitting_subtype_and_refuses_a_foreign_one() {
        use PatternClass::*;
        // A loop corrected to a whorl: the loop's subtype goes.
        assert_eq!(Subtype::corrected(W, None, "loop"), Ok(Subtype::PlainWhorl));
        assert_eq!(
            Subtype::corrected(W, None, "double_loop"),
            Ok(Subtype::DoubleLoop)
        );
        assert_eq!(Subtype::corrected(T, None, "loop"), Ok(Subtype::TentedArch));
        assert_eq!(
            Subtype::corrected(W, Some("central_pocket_whorl"), "loop"),
            Ok(Subtype::CentralPocketWhorl)
        );
        assert_eq!(
            Subtype::corrected(L, Some("double_loop"), "loop"),
            Err(SubtypeError::NotOfClass {
                subtype: Subtype::DoubleLoop,
                class: L
            })
        );
        assert!(Subtype::corrected(W, Some("Double loop"), "loop").is_err());
    }
}
