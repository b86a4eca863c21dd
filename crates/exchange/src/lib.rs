//! What travels between a Vantay centre and its analysis centre, inside the
//! signed and encrypted packages of `vantay_vault::package`.
//!
//! - [`WorkPayload`] (centre → analysis centre): the case pseudonym, sex, an
//!   age band and the prints as WSQ, and nothing else. Its fields are the
//!   whole list: there is no place for a name, a phone number, a birth date
//!   or a guardian, and unknown fields are refused when reading.
//! - [`ResultPayload`] (analysis centre → centre): per finger, the engine's
//!   (or the analyst's) class, subtype, ridge counts and quality, or a
//!   request to rescan the finger; the analyst and the engine version.
//!
//! Both are JSON; prints travel as base64 of WSQ files, which are already
//! compressed ~12:1, so the JSON costs a third more than the raw WSQ bytes.
//!
//! ```
//! use vantay_domain::{Finger, Sex};
//! use vantay_exchange::{WorkPayload, WorkPrint};
//!
//! let work = WorkPayload::new("VT-7Q3X", Sex::F, "7-11", vec![
//!     WorkPrint { finger: Finger::R1, ppi: 500, width: 4, height: 4, wsq: vec![0xff, 0xa0] },
//! ]);
//! let bytes = work.to_bytes();
//! assert_eq!(WorkPayload::from_bytes(&bytes).unwrap(), work);
//! ```
#![deny(missing_docs)]

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use vantay_domain::{Finger, Sex};

/// The format tag of a work payload.
pub const WORK_KIND: &str = "vantay-work-v1";
/// The format tag of a result payload.
pub const RESULT_KIND: &str = "vantay-result-v1";
/// Longest free text accepted (a rescan reason, an analyst or engine name).
pub const MAX_TEXT: usize = 200;

/// Why a payload was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadError {
    /// Not JSON of the expected shape (or fields that have no place in it).
    #[error("the payload is not a valid {what}: {why}")]
    Malformed {
        /// Work or result.
        what: &'static str,
        /// The parser's explanation.
        why: String,
    },
    /// The format tag names another kind or version.
    #[error("the payload is a '{0}', not a {WORK_KIND} or {RESULT_KIND} this version reads")]
    WrongKind(String),
    /// One finger appears twice.
    #[error("finger {0} appears twice")]
    DuplicateFinger(Finger),
    /// No finger at all.
    #[error("the payload holds no finger")]
    Empty,
    /// A text field is empty or too long.
    #[error("{0} must be 1 to {MAX_TEXT} characters")]
    BadText(&'static str),
    /// A finger's reading contradicts itself (a subtype or ridge counts its class cannot have).
    #[error("finger {finger}: {why}")]
    BadReading {
        /// The finger.
        finger: Finger,
        /// What is wrong.
        why: String,
    },
}

/// One print in a work package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkPrint {
    /// Which finger.
    pub finger: Finger,
    /// Resolution, pixels per inch.
    pub ppi: u16,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The image as a WSQ file.
    #[serde(with = "b64")]
    pub wsq: Vec<u8>,
}

/// The content of a work package: all the analysis centre learns of a case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkPayload {
    /// Always [`WORK_KIND`].
    pub kind: String,
    /// The case pseudonym (also in the signed header).
    pub pseudonym: String,
    /// Sex, which some interpretation tables distinguish.
    pub sex: Sex,
    /// An age band such as `7-11` or `75+`, never the birth date.
    pub age_band: String,
    /// The captured prints; a finger that could not be captured is absent.
    pub prints: Vec<WorkPrint>,
}

impl WorkPayload {
    /// A work payload of the current format.
    pub fn new(pseudonym: &str, sex: Sex, age_band: &str, prints: Vec<WorkPrint>) -> WorkPayload {
        WorkPayload {
            kind: WORK_KIND.into(),
            pseudonym: pseudonym.into(),
            sex,
            age_band: age_band.into(),
            prints,
        }
    }

    /// The JSON bytes sealed into the package.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a work payload always serialises")
    }

    /// Reads and checks a payload.
    pub fn from_bytes(bytes: &[u8]) -> Result<WorkPayload, PayloadError> {
        let work: WorkPayload = parse(bytes, "work payload")?;
        if work.kind != WORK_KIND {
            return Err(PayloadError::WrongKind(work.kind));
        }
        check_text(&work.pseudonym, "the pseudonym")?;
        check_text(&work.age_band, "the age band")?;
        unique_fingers(work.prints.iter().map(|p| p.finger))?;
        Ok(work)
    }

    /// The fingers it holds, in order.
    pub fn fingers(&self) -> Vec<Finger> {
        self.prints.iter().map(|p| p.finger).collect()
    }
}

pub use vantay_domain::{PatternClass, Subtype, SubtypeError};

impl Reading {
    /// `Err` naming what is wrong when the reading contradicts itself: a
    /// subtype that is not one of its class's, or ridge counts the class
    /// cannot have. The report prints both, so a signed result must hold.
    pub fn check(&self) -> Result<(), String> {
        self.check_subtype()?;
        self.check_ridge_counts()
    }

    /// `Err` when the subtype is unknown or of another class (a loop
    /// called a double loop).
    pub fn check_subtype(&self) -> Result<(), String> {
        let subtype: Subtype = self
            .subtype
            .parse()
            .map_err(|e: SubtypeError| e.to_string())?;
        if subtype.belongs_to(self.class) {
            Ok(())
        } else {
            Err(SubtypeError::NotOfClass {
                subtype,
                class: self.class,
            }
            .to_string())
        }
    }

    /// `Err` naming what is wrong when the ridge counts do not fit the class
    /// (the report's figures depend on it).
    pub fn check_ridge_counts(&self) -> Result<(), String> {
        let allowed = self.class.ridge_counts_allowed();
        if allowed.contains(&self.ridge_counts.len()) {
            return Ok(());
        }
        let wanted = match (allowed.start(), allowed.end()) {
            (0, 0) => "no core–delta ridge count".to_owned(),
            (a, b) if a == b => format!("exactly {a} core–delta ridge count"),
            (a, b) => format!("{a} or {b} core–delta ridge counts"),
        };
        Err(format!(
            "class {:?} takes {wanted}, but the reading gives {}",
            self.class,
            self.ridge_counts.len()
        ))
    }
}

/// A point on the image, pixels from the top left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
}

/// The reading of one analysed finger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reading {
    /// Pattern class.
    pub class: PatternClass,
    /// Finer type, a [`Subtype::code`] of the class's, e.g. `double_loop`.
    pub subtype: String,
    /// The engine's probability of its class, 0–1.
    pub confidence: f32,
    /// Cores, top first.
    pub cores: Vec<Point>,
    /// Deltas, left first.
    pub deltas: Vec<Point>,
    /// Core–delta ridge counts, one per delta in `deltas` for a loop or a
    /// whorl; none for an arch (see [`Reading::check_ridge_counts`]).
    pub ridge_counts: Vec<u32>,
    /// Image quality 0–100.
    pub quality: u8,
    /// Whether an analyst confirmed or corrected it (false: the engine's answer).
    pub reviewed: bool,
}

/// What the analysis centre says of one finger.
// No `deny_unknown_fields` here or on `FingerResult`: serde cannot combine
// it with `flatten`; `Reading` still refuses unknown fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FingerOutcome {
    /// Analysed: the reading.
    Analysed(Reading),
    /// The print cannot be used; the centre should rescan this finger.
    Rescan {
        /// Why, for the scanner staff.
        reason: String,
    },
}

/// One finger of a result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FingerResult {
    /// Which finger.
    pub finger: Finger,
    /// The outcome.
    #[serde(flatten)]
    pub outcome: FingerOutcome,
}

/// The content of a result package.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultPayload {
    /// Always [`RESULT_KIND`].
    pub kind: String,
    /// The case pseudonym of the work package.
    pub pseudonym: String,
    /// Who signed off: an analyst's login, or `auto` when the engine's
    /// answers were accepted without review.
    pub analyst: String,
    /// The analysis engine and its version, e.g. `vantay-print 0.1.0`.
    pub engine: String,
    /// One entry per finger of the work package.
    pub fingers: Vec<FingerResult>,
}

impl ResultPayload {
    /// A result payload of the current format.
    pub fn new(
        pseudonym: &str,
        analyst: &str,
        engine: &str,
        fingers: Vec<FingerResult>,
    ) -> ResultPayload {
        ResultPayload {
            kind: RESULT_KIND.into(),
            pseudonym: pseudonym.into(),
            analyst: analyst.into(),
            engine: engine.into(),
            fingers,
        }
    }

    /// The JSON bytes sealed into the package.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a result payload always serialises")
    }

    /// Reads and checks a payload.
    pub fn from_bytes(bytes: &[u8]) -> Result<ResultPayload, PayloadError> {
        let result: ResultPayload = parse(bytes, "result payload")?;
        if result.kind != RESULT_KIND {
            return Err(PayloadError::WrongKind(result.kind));
        }
        check_text(&result.analyst, "the analyst")?;
        check_text(&result.engine, "the engine")?;
        for finger in &result.fingers {
            match &finger.outcome {
                FingerOutcome::Rescan { reason } => check_text(reason, "a rescan reason")?,
                // What the report will print must make sense: a signed
                // result is refused rather than half-believed.
                FingerOutcome::Analysed(reading) => {
                    reading.check().map_err(|why| PayloadError::BadReading {
                        finger: finger.finger,
                        why,
                    })?;
                }
            }
        }
        unique_fingers(result.fingers.iter().map(|f| f.finger))?;
        Ok(result)
    }

    /// The fingers it covers, sorted.
    pub fn fingers(&self) -> BTreeSet<Finger> {
        self.fingers.iter().map(|f| f.finger).collect()
    }

    /// The fingers the analysis centre asks to rescan.
    pub fn rescans(&self) -> Vec<Finger> {
        self.fingers
            .iter()
            .filter(|f| matches!(f.outcome, FingerOutcome::Rescan { .. }))
            .map(|f| f.finger)
            .collect()
    }
}

fn parse<T: for<'de> Deserialize<'de>>(
    bytes: &[u8],
    what: &'static str,
) -> Result<T, PayloadError> {
    serde_json::from_slice(bytes).map_err(|err| PayloadError::Malformed {
        what,
        why: err.to_string(),
    })
}

fn check_text(text: &str, what: &'static str) -> Result<(), PayloadError> {
    if text.trim().is_empty() || text.chars().count() > MAX_TEXT {
        return Err(PayloadError::BadText(what));
    }
    Ok(())
}

fn unique_fingers(fingers: impl Iterator<Item = Finger>) -> Result<(), PayloadError> {
    let mut seen = BTreeSet::new();
    for finger in fingers {
        if !seen.insert(finger) {
            return Err(PayloadError::DuplicateFinger(finger));
        }
    }
    if seen.is_empty() {
        return Err(PayloadError::Empty);
    }
    Ok(())
}

/// Serde helper: bytes as standard base64 strings.
mod b64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(class: PatternClass) -> FingerOutcome {
        FingerOutcome::Analysed(Reading {
            class,
            subtype: Subtype::ALL
                .into_iter()
                .find(|s| s.belongs_to(class))
                .map_or_else(String::new, |s| s.code().into()),
            confidence: 0.9,
            cores: vec![Point { x: 1, y: 2 }],
            deltas: vec![],
            ridge_counts: vec![10; *class.ridge_counts_allowed().start()],
            quality: 60,
            reviewed: false,
        })
    }

    #[test]
    fn ridge_counts_must_fit_the_class() {
        let with = |class, counts: &[u32]| {
            let FingerOutcome::Analysed(mut r) = reading(class) else {
                unreachable!()
            };
            r.ridge_counts = counts.to_vec();
            r.check_ridge_counts()
        };
        use PatternClass::*;
        assert!(with(A, &[]).is_ok() && with(T, &[]).is_ok());
        assert!(with(A, &[3]).is_err());
        assert!(with(L, &[12]).is_ok() && with(R, &[7]).is_ok());
        assert!(with(L, &[]).is_err() && with(R, &[7, 9]).is_err());
        assert!(with(W, &[12]).is_ok() && with(W, &[12, 9]).is_ok());
        let err = with(W, &[]).unwrap_err();
        assert!(err.contains("1 or 2"), "{err}");
        assert!(with(W, &[1, 2, 3]).is_err());
    }

    #[test]
    fn a_work_payload_with_a_personal_field_is_refused() {
        let work = WorkPayload::new(
            "VT-1",
            Sex::M,
            "25-39",
            vec![WorkPrint {
                finger: Finger::L2,
                ppi: 500,
                width: 1,
                height: 1,
                wsq: vec![1],
            }],
        );
        let mut json: serde_json::Value = serde_json::from_slice(&work.to_bytes()).unwrap();
        json["full_name"] = "Nguyễn Văn A".into();
        let err = WorkPayload::from_bytes(json.to_string().as_bytes()).unwrap_err();
        assert!(matches!(err, PayloadError::Malformed { .. }), "{err}");
    }

    #[test]
    fn result_round_trips_with_rescans() {
        let result = ResultPayload::new(
            "VT-1",
            "auto",
            "vantay-print 0.1.0",
            vec![
                FingerResult {
                    finger: Finger::R1,
                    outcome: reading(PatternClass::W),
                },
                FingerResult {
                    finger: Finger::R2,
                    outcome: FingerOutcome::Rescan {
                        reason: "smudged".into(),
                    },
                },
            ],
        );
        let back = ResultPayload::from_bytes(&result.to_bytes()).unwrap();
        assert_eq!(back, result);
        assert_eq!(back.rescans(), vec![Finger::R2]);
        let json: serde_json::Value = serde_json::from_slice(&result.to_bytes()).unwrap();
        assert_eq!(json["fingers"][1]["status"], "rescan");
        assert_eq!(json["fingers"][0]["class"], "W");
    }

    #[test]
    fn a_reading_whose_counts_its_class_cannot_have_is_refused() {
        let FingerOutcome::Analysed(mut whorl) = reading(PatternClass::W) else {
            unreachable!()
        };
        whorl.ridge_counts.clear();
        let result = ResultPayload::new(
            "VT-1",
            "auto",
            "e",
            vec![FingerResult {
                finger: Finger::L4,
                outcome: FingerOutcome::Analysed(whorl),
            }],
        );
        let err = ResultPayload::from_bytes(&result.to_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                PayloadError::BadReading {
                    finger: Finger::L4,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("1 or 2"), "{err}");
    }

    #[test]
    fn a_reading_whose_subtype_is_not_its_class_s_is_refused() {
        let refused = |class, subtype: &str| {
            let FingerOutcome::Analysed(mut r) = reading(class) else {
                unreachable!()
            };
            r.subtype = subtype.into();
            let result = ResultPayload::new(
                "VT-1",
                "auto",
                "e",
                vec![FingerResult {
                    finger: Finger::R2,
                    outcome: FingerOutcome::Analysed(r),
                }],
            );
            ResultPayload::from_bytes(&result.to_bytes()).err()
        };
        use PatternClass::*;
        assert_eq!(refused(W, "double_loop"), None);
        assert_eq!(refused(T, "tented_arch"), None);
        for (class, subtype, says) in [
            (L, "double_loop", "not one of class L's"),
            (A, "tented_arch", "not one of class A's"),
            (W, "loop", "not one of class W's"),
            (W, "dl", "'dl' is not a subtype"),
            (R, "", "'' is not a subtype"),
        ] {
            let err = refused(class, subtype).expect(subtype);
            assert!(
                matches!(
                    err,
                    PayloadError::BadReading {
                        finger: Finger::R2,
                        ..
                    }
                ),
                "{err}"
            );
            assert!(err.to_string().contains(says), "{subtype}: {err}");
        }
    }

    #[test]
    fn duplicate_and_missing_fingers_are_refused() {
        let twice = ResultPayload::new(
            "VT-1",
            "auto",
            "e",
            vec![
                FingerResult {
                    finger: Finger::R1,
                    outcome: reading(PatternClass::A),
                },
                FingerResult {
                    finger: Finger::R1,
                    outcome: reading(PatternClass::W),
                },
            ],
        );
        assert_eq!(
            ResultPayload::from_bytes(&twice.to_bytes()).unwrap_err(),
            PayloadError::DuplicateFinger(Finger::R1)
        );
        let none = ResultPayload::new("VT-1", "auto", "e", vec![]);
        assert_eq!(
            ResultPayload::from_bytes(&none.to_bytes()).unwrap_err(),
            PayloadError::Empty
        );
    }
}
