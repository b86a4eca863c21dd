//! The ten fingers of a ten-print card.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A finger, coded by hand (`R`/`L`) and number (1 thumb … 5 little finger).
///
/// The order of [`Finger::ALL`] is the ISO/IEC 19794-2 finger position order
/// 1–10 (right thumb first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[allow(missing_docs)]
pub enum Finger {
    R1,
    R2,
    R3,
    R4,
    R5,
    L1,
    L2,
    L3,
    L4,
    L5,
}

/// Which hand a finger is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Hand {
    /// The right hand.
    Right,
    /// The left hand.
    Left,
}

/// The text was not a finger code.
#[derive(Debug, thiserror::Error)]
#[error(
    "'{0}' is not a finger code (expected R1..R5 or L1..L5: hand R/L, 1 thumb … 5 little finger)"
)]
pub struct ParseFingerError(String);

impl Finger {
    /// All ten fingers in ISO/IEC 19794-2 position order.
    pub const ALL: [Finger; 10] = [
        Finger::R1,
        Finger::R2,
        Finger::R3,
        Finger::R4,
        Finger::R5,
        Finger::L1,
        Finger::L2,
        Finger::L3,
        Finger::L4,
        Finger::L5,
    ];

    /// The code, e.g. `"R1"`.
    pub fn code(self) -> &'static str {
        const CODES: [&str; 10] = ["R1", "R2", "R3", "R4", "R5", "L1", "L2", "L3", "L4", "L5"];
        CODES[self.index()]
    }

    /// The ISO/IEC 19794-2 finger position, 1 (right thumb) to 10 (left little).
    pub fn position(self) -> u8 {
        self as u8 + 1
    }

    /// The hand the finger is on.
    pub fn hand(self) -> Hand {
        if self.position() <= 5 {
            Hand::Right
        } else {
            Hand::Left
        }
    }

    /// Index in [`Finger::ALL`], 0 (right thumb) to 9 (left little).
    pub fn index(self) -> usize {
        self.position() as usize - 1
    }

    /// The Vietnamese name, e.g. "Ngón cái phải".
    pub fn name_vi(self) -> &'static str {
        const NAMES: [&str; 10] = [
            "Ngón cái phải",
            "Ngón trỏ phải",
            "Ngón giữa phải",
            "Ngón áp út phải",
            "Ngón út phải",
            "Ngón cái trái",
            "Ngón trỏ trái",
            "Ngón giữa trái",
            "Ngón áp út trái",
            "Ngón út trái",
        ];
        NAMES[self.index()]
    }

    /// The English name, e.g. "Right thumb".
    pub fn name_en(self) -> &'static str {
        const NAMES: [&str; 10] = [
            "Right thumb",
            "Right index",
            "Right middle",
            "Right ring",
            "Right little",
            "Left thumb",
            "Left index",
            "Left middle",
            "Left ring",
            "Left little",
        ];
        NAMES[self.index()]
    }
}

impl fmt::Display for Finger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Finger {
    type Err = ParseFingerError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.code() == text.trim())
            .ok_or_else(|| ParseFingerError(text.to_owned()))
    }
}

impl TryFrom<String> for Finger {
    type Error = ParseFingerError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Finger> for String {
    fn from(finger: Finger) -> String {
        finger.code().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_positions_and_hands_agree() {
        for (i, finger) in Finger::ALL.into_iter().enumerate() {
            assert_eq!(finger.position() as usize, i + 1);
            assert_eq!(finger.code().parse::<Finger>().unwrap(), finger);
        }
        assert_eq!(Finger::R5.hand(), Hand::Right);
        assert_eq!(Finger::L1.hand(), Hand::Left);
        assert!("R6".parse::<Finger>().is_err());
    }
}
