//! The codes a fingerprint examiner wrote for a print, as NIST Special
//! Database 14 carries them: ground truth for measuring the engine on real
//! prints. The analysis never reads them; the measuring example
//! (`examples/examiner.rs`) and the tests do.
//!
//! Each SD14 file's NISTCOM `HISTORY` field reads, for example,
//! `s0024302.wsq 07 tape205.n0407065.02 4096x1536`: the file, the
//! examiner's codes, the card's scan and the finger. The codes are NCIC's:
//! `aa` plain arch, `tt` tented arch, `01`–`49` an ulnar loop with its
//! core–delta ridge count, `51`–`99` a radial loop (50 plus the count),
//! `p`, `c`, `d` or `x` with a whorl tracing (`i`, `m`, `o`) for a plain,
//! central-pocket, double-loop or accidental whorl, `sr` a scar; after a
//! `/`, the codes of any class the print was also filed under. The scan
//! name's last part is the finger's position (NIST's 1–10, as
//! [`Finger::position`]).

use crate::{loop_direction, Finger, LoopDirection, PatternClass, Subtype};

/// What one of the examiner's codes says of a print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// `aa` or `tt`.
    Arch(Subtype),
    /// A loop with its core–delta ridge count.
    Loop {
        /// Ridges between core and delta, the two excluded.
        ridge_count: u32,
        /// Ulnar (codes 01–49) or radial (51–99, towards the thumb).
        direction: LoopDirection,
    },
    /// A whorl of this subtype.
    Whorl(Subtype),
    /// A scar, or a code this reader does not know.
    Other,
}

/// The `HISTORY` field of a WSQ file's NISTCOM comment, if it has one.
pub fn history(wsq: &[u8]) -> Option<String> {
    let header = vantay_wsq::Decoder::new(wsq).header().ok()?;
    Some(header.nistcom?.get("HISTORY")?.to_owned())
}

/// The examiner's codes in a `HISTORY` field, first (the class the print
/// was filed under) to last; empty if the field has no codes.
pub fn codes(history: &str) -> Vec<&str> {
    history
        .split_whitespace()
        .nth(1)
        .map(|codes| codes.split('/').collect())
        .unwrap_or_default()
}

/// What the examiner's first code in a `HISTORY` field says.
pub fn first_code(history: &str) -> Option<Code> {
    codes(history).first().map(|code| parse(code))
}

/// The finger, from the scan name after the codes: `tape205.n0407065.02`
/// is position 2, the right index.
pub fn finger(history: &str) -> Option<Finger> {
    let scan = history.split_whitespace().nth(2)?;
    let position: usize = scan.rsplit('.').next()?.parse().ok()?;
    Finger::ALL.get(position.checked_sub(1)?).copied()
}

/// The ten-print card, from the scan name after the codes:
/// `tape205.n0407065.02` is card `tape205.n0407065`, whose ten prints
/// share it.
pub fn card(history: &str) -> Option<&str> {
    let scan = history.split_whitespace().nth(2)?;
    Some(scan.rsplit_once('.')?.0)
}

/// The pattern class a code names. A loop's side (left or right) follows
/// from ulnar or radial and the hand, so it needs the finger.
pub fn class_of(code: Code, finger: Option<Finger>) -> Option<PatternClass> {
    match code {
        Code::Arch(Subtype::PlainArch) => Some(PatternClass::A),
        Code::Arch(_) => Some(PatternClass::T),
        Code::Whorl(_) => Some(PatternClass::W),
        Code::Loop { direction, .. } => {
            let finger = finger?;
            [PatternClass::L, PatternClass::R]
                .into_iter()
                .find(|&side| loop_direction(side, finger) == Some(direction))
        }
        Code::Other => None,
    }
}

/// Reads one NCIC code.
pub fn parse(code: &str) -> Code {
    if let Ok(number) = code.parse::<u32>() {
        return match number {
            1..=49 => Code::Loop {
                ridge_count: number,
                direction: LoopDirection::Ulnar,
            },
            51..=99 => Code::Loop {
                ridge_count: number - 50,
                direction: LoopDirection::Radial,
            },
            _ => Code::Other,
        };
    }
    let whorl_tracing = |t: &str| matches!(t, "i" | "m" | "o");
    match (code.get(..1), code.get(1..)) {
        _ if code == "aa" => Code::Arch(Subtype::PlainArch),
        _ if code == "tt" => Code::Arch(Subtype::TentedArch),
        (Some("p"), Some(t)) if whorl_tracing(t) => Code::Whorl(Subtype::PlainWhorl),
        (Some("c"), Some(t)) if whorl_tracing(t) => Code::Whorl(Subtype::CentralPocketWhorl),
        (Some("d"), Some(t)) if whorl_tracing(t) => Code::Whorl(Subtype::DoubleLoop),
        (Some("x"), Some(t)) if whorl_tracing(t) => Code::Whorl(Subtype::AccidentalWhorl),
        _ => Code::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_codes_of_sd14_history_fields() {
        let history = "s0024302.wsq 07 tape205.n0407065.02 4096x1536";
        assert_eq!(codes(history), ["07"]);
        assert_eq!(card(history), Some("tape205.n0407065"));
        assert_eq!(
            first_code(history),
            Some(Code::Loop {
                ridge_count: 7,
                direction: LoopDirection::Ulnar
            })
        );
        let cross_referenced = "s0024567.wsq 51/tt tape207.n0408047.07 4096x1536";
        assert_eq!(codes(cross_referenced), ["51", "tt"]);
        assert_eq!(
            first_code(cross_referenced),
            Some(Code::Loop {
                ridge_count: 1,
                direction: LoopDirection::Radial
            })
        );
        assert_eq!(
            first_code("s0024301.wsq do tape205.n0407065.01 4096x1536"),
            Some(Code::Whorl(Subtype::DoubleLoop))
        );
        assert_eq!(first_code("s0024300.wsq"), None);
        assert_eq!(finger(history), Some(Finger::R2));
        assert_eq!(
            finger("s0025159.wsq ci tape212.n0412063.09 4096x1536"),
            Some(Finger::L4)
        );
        assert_eq!(
            finger("s0025159.wsq ci tape212.n0412063.11 4096x1536"),
            None
        );
        assert_eq!(finger("s0025159.wsq ci"), None);
    }

    #[test]
    fn a_codes_class_takes_a_loops_side_from_the_hand() {
        let ulnar = parse("12");
        let radial = parse("62");
        // Imaged as rolled: an ulnar loop opens to the right on the right hand.
        assert_eq!(class_of(ulnar, Some(Finger::R2)), Some(PatternClass::R));
        assert_eq!(class_of(ulnar, Some(Finger::L2)), Some(PatternClass::L));
        assert_eq!(class_of(radial, Some(Finger::R2)), Some(PatternClass::L));
        assert_eq!(class_of(ulnar, None), None);
        assert_eq!(class_of(parse("tt"), None), Some(PatternClass::T));
        assert_eq!(class_of(parse("xm"), None), Some(PatternClass::W));
        assert_eq!(class_of(parse("sr"), Some(Finger::R1)), None);
    }

    #[test]
    fn reads_every_ncic_class_code() {
        assert_eq!(parse("aa"), Code::Arch(Subtype::PlainArch));
        assert_eq!(parse("tt"), Code::Arch(Subtype::TentedArch));
        assert_eq!(parse("pi"), Code::Whorl(Subtype::PlainWhorl));
        assert_eq!(parse("cm"), Code::Whorl(Subtype::CentralPocketWhorl));
        assert_eq!(parse("do"), Code::Whorl(Subtype::DoubleLoop));
        assert_eq!(parse("xi"), Code::Whorl(Subtype::AccidentalWhorl));
        // 50 is no loop's code (radial counts start at 51); a scar, an
        // unknown tracing and an empty code are none of the classes.
        for other in ["50", "00", "sr", "pz", "ac", ""] {
            assert_eq!(parse(other), Code::Other, "{other:?}");
        }
    }
}
