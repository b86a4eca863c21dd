//! The centre's interpretation table: a versioned TOML file that says what
//! each finger and pattern is taken to mean, with weights and Vietnamese
//! texts. The software ships one example (see [`EXAMPLE_TABLE`]); the centre
//! replaces it with its own content.

use std::collections::BTreeMap;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::finger::{Finger, PatternKind};

/// The example table shipped with Vantay, marked as example content.
pub const EXAMPLE_TABLE: &str = include_str!("../tables/example-2026-01.toml");

/// Why a table was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// The file is not valid TOML or does not have the table's shape; the
    /// message names the line and the field.
    #[error("the table is not valid: {0}")]
    Syntax(String),
    /// A text field that must say something is empty.
    #[error("field `{0}` is empty: it must be filled in")]
    Blank(String),
    /// A weight is negative, not finite, or a whole table's weights are zero.
    #[error("field `{field}` is {value}: weights must be finite numbers of 0 or more")]
    Weight {
        /// The field's path, e.g. `fingers.R1.weight`.
        field: String,
        /// The value given.
        value: f64,
    },
    /// A finger has no entry under `[fingers]`.
    #[error("`[fingers.{0}]` is missing: the table needs all ten fingers R1..R5, L1..L5")]
    MissingFinger(Finger),
    /// A key under `[fingers]` is not a finger code.
    #[error("`[fingers.{0}]` is not a finger: use R1..R5, L1..L5")]
    UnknownFinger(String),
    /// A pattern kind has no entry under `[patterns]`.
    #[error("`[patterns.{0}]` is missing: the table needs A, T, UL, RL and W")]
    MissingPattern(PatternKind),
    /// A key under `[patterns]` is not a pattern kind code.
    #[error("`[patterns.{0}]` is not a pattern kind: use A, T, UL, RL or W")]
    UnknownPattern(String),
    /// A finger names a group that `[groups]` does not define.
    #[error("`fingers.{finger}.group` is \"{group}\", which is not defined under [groups]")]
    UnknownGroup {
        /// The finger.
        finger: Finger,
        /// The group it names.
        group: String,
    },
}

/// A group of fingers the centre reads together, e.g. a brain lobe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupEntry {
    /// Name in Vietnamese.
    pub name: String,
    /// Name in English.
    #[serde(default)]
    pub name_en: String,
    /// The centre's text about the group.
    pub text: String,
}

/// What the table says about one finger.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FingerEntry {
    /// The key of the group under `[groups]` this finger belongs to.
    pub group: String,
    /// The finger's weight in the shares.
    pub weight: f64,
    /// The centre's short text on what the finger is taken to mean.
    pub meaning: String,
}

/// What the table says about one pattern kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternEntry {
    /// The centre's name for the pattern, in Vietnamese.
    pub name: String,
    /// The centre's own code for it (e.g. `UL`, `WS`).
    pub code: String,
    /// The pattern's weight in the shares.
    pub weight: f64,
    /// The count used for the share when the measured count is lower (an
    /// arch counts 0 ridges but a centre may still give it a share).
    #[serde(default)]
    pub min_count: u32,
    /// The centre's text about the pattern.
    pub text: String,
    /// The centre's names for the engine's subtypes (engine name → text).
    #[serde(default)]
    pub subtypes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    version: String,
    title: String,
    #[serde(default)]
    example: bool,
    disclaimer: String,
    groups: BTreeMap<String, GroupEntry>,
    fingers: BTreeMap<String, FingerEntry>,
    patterns: BTreeMap<String, PatternEntry>,
}

/// A checked interpretation table. Only [`parse_table`] makes one.
#[derive(Debug, Clone)]
pub struct InterpretationTable {
    raw: RawTable,
    fingers: [FingerEntry; 10],
    patterns: [PatternEntry; 5],
    sha256: [u8; 32],
}

/// Parses and checks a table from its TOML text.
pub fn parse_table(toml_text: &str) -> Result<InterpretationTable, TableError> {
    let raw: RawTable =
        toml::from_str(toml_text).map_err(|err| TableError::Syntax(err.to_string()))?;
    check_texts(&raw)?;
    let fingers = finger_entries(&raw)?;
    let patterns = pattern_entries(&raw)?;
    Ok(InterpretationTable {
        raw,
        fingers,
        patterns,
        sha256: Sha256::digest(toml_text.as_bytes()).into(),
    })
}

fn check_texts(raw: &RawTable) -> Result<(), TableError> {
    let mut fields = vec![
        ("version".to_owned(), &raw.version),
        ("title".to_owned(), &raw.title),
        ("disclaimer".to_owned(), &raw.disclaimer),
    ];
    for (key, group) in &raw.groups {
        fields.push((format!("groups.{key}.name"), &group.name));
    }
    for (key, pattern) in &raw.patterns {
        fields.push((format!("patterns.{key}.name"), &pattern.name));
    }
    match fields.into_iter().find(|(_, text)| text.trim().is_empty()) {
        Some((field, _)) => Err(TableError::Blank(field)),
        None => Ok(()),
    }
}

fn finger_entries(raw: &RawTable) -> Result<[FingerEntry; 10], TableError> {
    if let Some(key) = raw
        .fingers
        .keys()
        .find(|key| key.parse::<Finger>().is_err())
    {
        return Err(TableError::UnknownFinger(key.clone()));
    }
    let mut entries = Vec::with_capacity(10);
    for finger in Finger::ALL {
        let entry = raw
            .fingers
            .get(finger.code())
            .ok_or(TableError::MissingFinger(finger))?;
        check_weight(&format!("fingers.{finger}.weight"), entry.weight)?;
        if !raw.groups.contains_key(&entry.group) {
            let group = entry.group.clone();
            return Err(TableError::UnknownGroup { finger, group });
        }
        entries.push(entry.clone());
    }
    Ok(entries.try_into().expect("one entry per finger"))
}

fn pattern_entries(raw: &RawTable) -> Result<[PatternEntry; 5], TableError> {
    if let Some(key) = raw
        .patterns
        .keys()
        .find(|key| key.parse::<PatternKind>().is_err())
    {
        return Err(TableError::UnknownPattern(key.clone()));
    }
    let mut entries = Vec::with_capacity(5);
    for kind in PatternKind::ALL {
        let entry = raw
            .patterns
            .get(kind.code())
            .ok_or(TableError::MissingPattern(kind))?;
        check_weight(&format!("patterns.{kind}.weight"), entry.weight)?;
        entries.push(entry.clone());
    }
    Ok(entries.try_into().expect("one entry per pattern kind"))
}

fn check_weight(field: &str, value: f64) -> Result<(), TableError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(TableError::Weight {
            field: field.to_owned(),
            value,
        })
    }
}

impl InterpretationTable {
    /// The shipped example table, parsed.
    pub fn example() -> InterpretationTable {
        parse_table(EXAMPLE_TABLE).expect("the shipped example table is valid")
    }

    /// The table's version, e.g. `"example-2026-01"`.
    pub fn version(&self) -> &str {
        &self.raw.version
    }

    /// The table's title.
    pub fn title(&self) -> &str {
        &self.raw.title
    }

    /// True when the table says it is example content.
    pub fn is_example(&self) -> bool {
        self.raw.example
    }

    /// The centre's wording of the statement that the interpretation is not
    /// a validated test (never blank).
    pub fn disclaimer(&self) -> &str {
        self.raw.disclaimer.trim()
    }

    /// The SHA-256 of the table's exact text, as lowercase hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }

    /// The SHA-256 of the table's exact text.
    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    /// What the table says about a finger.
    pub fn finger(&self, finger: Finger) -> &FingerEntry {
        &self.fingers[finger.index()]
    }

    /// What the table says about a pattern kind.
    pub fn pattern(&self, kind: PatternKind) -> &PatternEntry {
        &self.patterns[kind.index()]
    }

    /// The groups, by key, in key order.
    pub fn groups(&self) -> &BTreeMap<String, GroupEntry> {
        &self.raw.groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_with(from: &str, to: &str) -> Result<InterpretationTable, TableError> {
        assert!(EXAMPLE_TABLE.contains(from), "the example has {from:?}");
        parse_table(&EXAMPLE_TABLE.replacen(from, to, 1))
    }

    /// The example with its `disclaimer = """…"""` entry replaced.
    fn replace_disclaimer(with: &str) -> String {
        let start = EXAMPLE_TABLE.find("disclaimer = \"\"\"").unwrap();
        let closing = "\n\"\"\"\n";
        let end = start + EXAMPLE_TABLE[start..].find(closing).unwrap() + closing.len();
        let replaced = format!("{}{with}{}", &EXAMPLE_TABLE[..start], &EXAMPLE_TABLE[end..]);
        assert_eq!(
            replaced.matches("disclaimer =").count(),
            with.matches("disclaimer =").count()
        );
        replaced
    }

    #[test]
    fn example_table_is_valid_and_marked() {
        let table = InterpretationTable::example();
        assert_eq!(table.version(), "example-2026-01");
        assert!(table.is_example());
        assert!(table
            .disclaimer()
            .contains("không phải là một bài trắc nghiệm"));
        assert_eq!(table.groups().len(), 5);
        assert_eq!(table.finger(Finger::L4).group, "temporal");
        assert_eq!(table.pattern(PatternKind::RadialLoop).code, "RL");
    }

    #[test]
    fn hash_is_of_the_exact_text() {
        let table = InterpretationTable::example();
        let expected = hex::encode(Sha256::digest(EXAMPLE_TABLE.as_bytes()));
        assert_eq!(table.sha256_hex(), expected);
        let changed = parse_table(&format!("{EXAMPLE_TABLE}\n# comment\n")).unwrap();
        assert_ne!(changed.sha256_hex(), table.sha256_hex());
    }

    #[test]
    fn missing_disclaimer_names_the_field() {
        let without = replace_disclaimer("");
        let err = parse_table(&without).unwrap_err();
        assert!(matches!(err, TableError::Syntax(_)));
        assert!(err.to_string().contains("disclaimer"), "{err}");
    }

    #[test]
    fn blank_disclaimer_is_refused() {
        let blank = replace_disclaimer("disclaimer = \" \"\n");
        assert_eq!(
            parse_table(&blank).unwrap_err(),
            TableError::Blank("disclaimer".into())
        );
    }

    #[test]
    fn missing_finger_is_named() {
        let err = example_with("[fingers.L3]", "[fingers.X3]").unwrap_err();
        assert_eq!(err, TableError::UnknownFinger("X3".into()));
        let err = example_with("[fingers.L3]", "[unused_L3]").unwrap_err();
        assert!(err.to_string().contains("unused_L3"), "{err}");
    }

    #[test]
    fn missing_pattern_is_named() {
        let err = example_with("[patterns.RL]", "[patterns.XX]").unwrap_err();
        assert_eq!(err, TableError::UnknownPattern("XX".into()));
    }

    #[test]
    fn bad_weight_names_the_field() {
        let err = example_with("weight = 1.1", "weight = -1.1").unwrap_err();
        let expected = TableError::Weight {
            field: "patterns.RL.weight".into(),
            value: -1.1,
        };
        assert_eq!(err, expected);
        assert!(err.to_string().contains("patterns.RL.weight"));
    }

    #[test]
    fn unknown_group_is_named() {
        let err = example_with("group = \"occipital\"", "group = \"cerebellum\"").unwrap_err();
        let expected = TableError::UnknownGroup {
            finger: Finger::R5,
            group: "cerebellum".into(),
        };
        assert_eq!(err, expected);
    }

    #[test]
    fn wrong_type_names_the_field_and_line() {
        let err = example_with("weight = 1.2", "weight = \"heavy\"").unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("weight") && message.contains("line"),
            "{message}"
        );
    }

    #[test]
    fn misspelt_field_is_refused() {
        let err = example_with("min_count = 4", "min_cuont = 4").unwrap_err();
        assert!(err.to_string().contains("min_cuont"), "{err}");
    }
}
