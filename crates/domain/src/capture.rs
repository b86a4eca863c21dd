//! The capture bundle's manifest (`capture.json`, DESIGN §5) and the rules it
//! must meet before anything is stored.
//!
//! Only the fields the report needs are accepted: an unknown field is an
//! error, so a scanning station cannot slip in more personal data than the
//! centre promised to collect.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::Finger;

/// `capture.json` as written by a scanning station.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureManifest {
    /// Who is fingerprinted.
    pub customer: CustomerInput,
    /// What they agreed to.
    pub consent: ConsentInput,
    /// Finger code → image file name in the bundle, or a reason it is missing.
    pub prints: BTreeMap<String, PrintEntry>,
    /// The scanner used.
    pub device: DeviceInput,
}

/// The personal fields, as typed at the front desk.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// Full name with diacritics.
    pub full_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// `M` or `F`.
    pub sex: String,
    /// Contact number for the appointment.
    pub phone: String,
    /// A parent or guardian, required for a child under 16.
    #[serde(default)]
    pub guardian_name: Option<String>,
}

/// The consent record signed at the front desk.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    /// Consent to the analysis (required).
    pub analysis: bool,
    /// Consent to marketing contact (optional, default no).
    #[serde(default)]
    pub marketing: bool,
    /// Which version of the consent text was signed.
    pub text_version: String,
    /// Who signed: `customer`, `guardian` or both.
    pub signed_by: Vec<String>,
    /// When, with its UTC offset (RFC 3339).
    pub signed_at: String,
}

/// One finger's entry: a file in the bundle, or why there is none.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum PrintEntry {
    /// The image's file name, relative to the bundle.
    File(String),
    /// The finger could not be printed (amputation, bandage, …).
    Missing {
        /// Why it could not be printed.
        missing: String,
    },
}

/// The scanning device.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceInput {
    /// Make and model.
    pub model: String,
    /// Resolution in pixels per inch.
    pub dpi: u16,
}

/// Sex as recorded on the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    /// Male.
    M,
    /// Female.
    F,
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sex::M => "M",
            Sex::F => "F",
        })
    }
}

/// Who signed a consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignedBy {
    /// The person fingerprinted.
    Customer,
    /// Their parent or guardian.
    Guardian,
}

/// Personal fields after validation and normalisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidCustomer {
    /// NFC-normalised, single-spaced.
    pub full_name: String,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Sex.
    pub sex: Sex,
    /// E.164 (`+84…`).
    pub phone: String,
    /// NFC-normalised guardian name, when given.
    pub guardian_name: Option<String>,
}

/// A consent after validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidConsent {
    /// Consent to the analysis (always true once valid).
    pub analysis: bool,
    /// Consent to marketing contact.
    pub marketing: bool,
    /// The consent text's version.
    pub text_version: String,
    /// Who signed.
    pub signed_by: Vec<SignedBy>,
    /// When.
    pub signed_at: DateTime<FixedOffset>,
}

/// A manifest that met every rule.
#[derive(Clone, Debug)]
pub struct ValidCapture {
    /// The customer.
    pub customer: ValidCustomer,
    /// The consent.
    pub consent: ValidConsent,
    /// All ten fingers, in position order.
    pub prints: Vec<(Finger, PrintEntry)>,
    /// The scanner.
    pub device: DeviceInput,
}

/// Everything wrong with a manifest, one problem per field.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[error("the capture bundle is not valid:\n{}", self.lines())]
pub struct CaptureError {
    /// `(field, what is wrong)` pairs, e.g. `("customer.phone", "…")`.
    pub problems: Vec<(String, String)>,
}

impl CaptureError {
    /// One indented `field: what is wrong` line per problem.
    pub fn lines(&self) -> String {
        let lines: Vec<String> = self
            .problems
            .iter()
            .map(|(f, p)| format!("  {f}: {p}"))
            .collect();
        lines.join("\n")
    }
}

/// Under this age a guardian must sign (Vietnam's Law on Children: under 16).
pub const ADULT_AGE: u32 = 16;
/// From this age a child signs too (Decree 13/2023, art. 20).
pub const CHILD_SIGNS_FROM: u32 = 7;

#[derive(Default)]
struct Problems(Vec<(String, String)>);

impl Problems {
    fn add(&mut self, field: impl Into<String>, what: impl Into<String>) {
        self.0.push((field.into(), what.into()));
    }
}

impl CaptureManifest {
    /// Parses `capture.json`, naming the field that is wrong.
    pub fn from_json(text: &str) -> Result<Self, CaptureError> {
        serde_json::from_str(text).map_err(|err| CaptureError {
            problems: vec![("capture.json".into(), err.to_string())],
        })
    }

    /// Checks every rule and returns the normalised capture, or every problem.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<ValidCapture, CaptureError> {
        let mut problems = Problems::default();
        let customer = validate_customer(&self.customer, now.date_naive(), &mut problems);
        let consent = validate_consent(&self.consent, now, &mut problems);
        if let (Some(customer), Some(consent)) = (&customer, &consent) {
            check_signatures(customer, consent, now.date_naive(), &mut problems);
        }
        let prints = validate_prints(&self.prints, &mut problems);
        validate_device(&self.device, &mut problems);
        match (customer, consent, problems.0.is_empty()) {
            (Some(customer), Some(consent), true) => Ok(ValidCapture {
                customer,
                consent,
                prints,
                device: self.device.clone(),
            }),
            _ => Err(CaptureError {
                problems: problems.0,
            }),
        }
    }
}

impl CustomerInput {
    /// Checks the personal fields alone, by the rules of a capture: a
    /// customer's correction is the stored record with the changes laid
    /// over it, and must meet them as a new capture would.
    pub fn validate(&self, today: NaiveDate) -> Result<ValidCustomer, CaptureError> {
        let mut problems = Problems::default();
        match validate_customer(self, today, &mut problems) {
            Some(customer) if problems.0.is_empty() => Ok(customer),
            _ => Err(CaptureError {
                problems: problems.0,
            }),
        }
    }
}

impl ValidCustomer {
    /// The stored text of each personal field, in the order of
    /// [`PERSONAL_FIELDS`]; `None` where the field is not given.
    pub fn field_values(&self) -> [Option<String>; 5] {
        [
            Some(self.full_name.clone()),
            Some(self.date_of_birth.to_string()),
            Some(self.sex.to_string()),
            Some(self.phone.clone()),
            self.guardian_name.clone(),
        ]
    }
}

/// The names of the stored personal fields: all the centre collects about a
/// person (what the report and the appointment need, no more).
pub const PERSONAL_FIELDS: [&str; 5] = [
    "full_name",
    "date_of_birth",
    "sex",
    "phone",
    "guardian_name",
];

fn validate_customer(
    input: &CustomerInput,
    today: NaiveDate,
    problems: &mut Problems,
) -> Option<ValidCustomer> {
    let full_name = person_name(&input.full_name, "customer.full_name", problems);
    let guardian_name = match &input.guardian_name {
        Some(name) if !name.trim().is_empty() => {
            person_name(name, "customer.guardian_name", problems)
        }
        _ => None,
    };
    let date_of_birth = birth_date(&input.date_of_birth, today, problems);
    let sex = match input.sex.trim() {
        "M" | "m" => Some(Sex::M),
        "F" | "f" => Some(Sex::F),
        other => {
            problems.add("customer.sex", format!("'{other}' is not M or F"));
            None
        }
    };
    let phone = normalize_phone(&input.phone)
        .map_err(|what| problems.add("customer.phone", what))
        .ok();
    if let Some(dob) = date_of_birth {
        let guardian_given = input
            .guardian_name
            .as_deref()
            .is_some_and(|n| !n.trim().is_empty());
        if age_on(dob, today) < ADULT_AGE && !guardian_given {
            problems.add(
                "customer.guardian_name",
                "a guardian's name is required for a customer under 16",
            );
        }
    }
    Some(ValidCustomer {
        full_name: full_name?,
        date_of_birth: date_of_birth?,
        sex: sex?,
        phone: phone?,
        guardian_name,
    })
}

/// NFC-normalises a person's name and checks it looks like one.
fn person_name(raw: &str, field: &str, problems: &mut Problems) -> Option<String> {
    let name: String = raw
        .nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let allowed = |c: char| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.');
    if name.chars().count() < 2 {
        problems.add(field, "is empty or too short");
        None
    } else if name.chars().count() > 100 {
        problems.add(field, "is longer than 100 characters");
        None
    } else if let Some(bad) = name.chars().find(|c| !allowed(*c)) {
        problems.add(
            field,
            format!("contains '{bad}', which does not belong in a name"),
        );
        None
    } else {
        Some(name)
    }
}

fn birth_date(raw: &str, today: NaiveDate, problems: &mut Problems) -> Option<NaiveDate> {
    let field = "customer.date_of_birth";
    match NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
        Err(_) => problems.add(field, format!("'{raw}' is not a date in YYYY-MM-DD form")),
        Ok(date) if date > today => problems.add(field, format!("{date} is in the future")),
        Ok(date) if age_on(date, today) > 120 => {
            problems.add(field, format!("{date} is more than 120 years ago"))
        }
        Ok(date) => return Some(date),
    }
    None
}

/// Normalises a phone number to E.164; Vietnamese local numbers (`0…`) get `+84`.
pub fn normalize_phone(raw: &str) -> Result<String, String> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = if let Some(rest) = compact.strip_prefix('+') {
        rest.to_owned()
    } else if let Some(rest) = compact.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(rest) = compact.strip_prefix('0') {
        format!("84{rest}")
    } else {
        return Err(format!(
            "'{raw}' is not a phone number: write +84… or a local number starting with 0"
        ));
    };
    let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    let vietnamese_ok = !digits.starts_with("84") || (11..=12).contains(&digits.len());
    if !all_digits || !(8..=15).contains(&digits.len()) || digits.starts_with('0') || !vietnamese_ok
    {
        return Err(format!("'{raw}' is not a valid phone number"));
    }
    Ok(format!("+{digits}"))
}

/// Whole years between `born` and `on`.
pub fn age_on(born: NaiveDate, on: NaiveDate) -> u32 {
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

fn validate_consent(
    input: &ConsentInput,
    now: DateTime<Utc>,
    problems: &mut Problems,
) -> Option<ValidConsent> {
    if !input.analysis {
        problems.add(
            "consent.analysis",
            "the customer did not consent to the analysis; nothing can be stored",
        );
    }
    if input.text_version.trim().is_empty() {
        problems.add(
            "consent.text_version",
            "names no version of the consent text",
        );
    }
    let mut signed_by = Vec::new();
    for who in &input.signed_by {
        match who.as_str() {
            "customer" => signed_by.push(SignedBy::Customer),
            "guardian" => signed_by.push(SignedBy::Guardian),
            other => problems.add(
                "consent.signed_by",
                format!("'{other}' is not customer or guardian"),
            ),
        }
    }
    let signed_at = match DateTime::parse_from_rfc3339(input.signed_at.trim()) {
        Ok(at) if at.with_timezone(&Utc) > now + chrono::Duration::minutes(10) => {
            problems.add("consent.signed_at", format!("{at} is in the future"));
            None
        }
        Ok(at) => Some(at),
        Err(_) => {
            problems.add(
                "consent.signed_at",
                format!(
                    "'{}' is not a time like 2026-11-28T09:30:00+07:00",
                    input.signed_at
                ),
            );
            None
        }
    };
    Some(ValidConsent {
        analysis: input.analysis,
        marketing: input.marketing,
        text_version: input.text_version.trim().to_owned(),
        signed_by,
        signed_at: signed_at?,
    })
}

/// A child under 16 needs the guardian's signature, and from 7 their own too.
fn check_signatures(
    customer: &ValidCustomer,
    consent: &ValidConsent,
    today: NaiveDate,
    problems: &mut Problems,
) {
    let age = age_on(customer.date_of_birth, today);
    let signed = |who| consent.signed_by.contains(&who);
    if age < ADULT_AGE && !signed(SignedBy::Guardian) {
        problems.add(
            "consent.signed_by",
            "a customer under 16 needs the guardian's signature",
        );
    }
    if age >= CHILD_SIGNS_FROM && !signed(SignedBy::Customer) {
        problems.add(
            "consent.signed_by",
            "a customer aged 7 or more must sign their own consent",
        );
    }
}

fn validate_prints(
    input: &BTreeMap<String, PrintEntry>,
    problems: &mut Problems,
) -> Vec<(Finger, PrintEntry)> {
    for code in input.keys() {
        if code.parse::<Finger>().is_err() {
            problems.add(
                format!("prints.{code}"),
                "is not a finger code (R1..R5, L1..L5)",
            );
        }
    }
    let mut prints = Vec::with_capacity(10);
    for finger in Finger::ALL {
        match input
            .iter()
            .find(|(code, _)| code.parse::<Finger>().ok() == Some(finger))
        {
            None => problems.add(
                format!("prints.{finger}"),
                "is absent: give a file or {\"missing\": \"reason\"}",
            ),
            Some((_, PrintEntry::Missing { missing })) if missing.trim().is_empty() => problems
                .add(
                    format!("prints.{finger}"),
                    "is marked missing without a reason",
                ),
            Some((_, PrintEntry::File(name))) if !is_plain_relative_path(name) => problems.add(
                format!("prints.{finger}"),
                format!("'{name}' must be a file name inside the bundle"),
            ),
            Some((_, entry)) => prints.push((finger, entry.clone())),
        }
    }
    if input
        .values()
        .all(|e| matches!(e, PrintEntry::Missing { .. }))
    {
        problems.add("prints", "no finger was printed");
    }
    prints
}

/// A name inside the bundle: relative, no `..`, no drive or root.
fn is_plain_relative_path(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.starts_with('\\')
        && !name.contains(':')
        && name
            .split(['/', '\\'])
            .all(|part| !part.is_empty() && part != "..")
}

fn validate_device(input: &DeviceInput, problems: &mut Problems) {
    if !(250..=2000).contains(&input.dpi) {
        problems.add(
            "device.dpi",
            format!(
                "{} ppi is not a fingerprint scanner's resolution (250–2000)",
                input.dpi
            ),
        );
    }
    if input.model.trim().is_empty() {
        problems.add("device.model", "names no scanner");
    }
}

/// An age band: what the analysis centre learns instead of a birth date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgeBand {
    /// First year of the band.
    pub from: u32,
    /// Last year of the band (`None`: open-ended).
    pub to: Option<u32>,
}

impl fmt::Display for AgeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to {
            Some(to) => write!(f, "{}-{}", self.from, to),
            None => write!(f, "{}+", self.from),
        }
    }
}

/// The band of `born`'s age on `on`: narrow for children, whose patterns
/// the analysis reads the same at any age, wide for adults.
pub fn age_band(born: NaiveDate, on: NaiveDate) -> AgeBand {
    const BANDS: [(u32, Option<u32>); 9] = [
        (0, Some(6)),
        (7, Some(11)),
        (12, Some(15)),
        (16, Some(17)),
        (18, Some(24)),
        (25, Some(39)),
        (40, Some(59)),
        (60, Some(74)),
        (75, None),
    ];
    let age = age_on(born, on);
    let (from, to) = BANDS
        .into_iter()
        .rev()
        .find(|(from, _)| age >= *from)
        .unwrap_or(BANDS[0]);
    AgeBand { from, to }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, 3, 0, 0).unwrap()
    }

    fn manifest() -> serde_json::Value {
        serde_json::json!({
            "customer": { "full_name": "Nguyễn Thị  Hồng Nhung", "date_of_birth": "2015-03-12",
                          "sex": "F", "phone": "0901 234 567", "guardian_name": "Nguyễn Văn An" },
            "consent": { "analysis": true, "marketing": false, "text_version": "2026-01",
                         "signed_by": ["customer", "guardian"], "signed_at": "2026-11-28T09:30:00+07:00" },
            "prints": { "R1": "r1.png", "R2": "r2.png", "R3": "r3.png", "R4": "r4.png", "R5": "r5.png",
                        "L1": "l1.png", "L2": "l2.png", "L3": "l3.png", "L4": "l4.png",
                        "L5": { "missing": "bandaged" } },
            "device": { "model": "Futronic FS88", "dpi": 500 }
        })
    }

    fn validate(value: serde_json::Value) -> Result<ValidCapture, CaptureError> {
        CaptureManifest::from_json(&value.to_string())?.validate(now())
    }

    fn fields(err: CaptureError) -> Vec<String> {
        err.problems.into_iter().map(|(field, _)| field).collect()
    }

    #[test]
    fn a_good_manifest_is_normalised() {
        let capture = validate(manifest()).unwrap();
        assert_eq!(capture.customer.full_name, "Nguyễn Thị Hồng Nhung");
        assert_eq!(capture.customer.phone, "+84901234567");
        assert_eq!(capture.prints.len(), 10);
        assert_eq!(
            capture.prints[9],
            (
                Finger::L5,
                PrintEntry::Missing {
                    missing: "bandaged".into()
                }
            )
        );
    }

    #[test]
    fn decomposed_diacritics_are_composed() {
        let mut m = manifest();
        m["customer"]["full_name"] = "Nguye\u{0302}\u{0303}n An".into();
        assert_eq!(validate(m).unwrap().customer.full_name, "Nguyễn An");
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let mut m = manifest();
        m["customer"]["phone"] = "12345".into();
        m["customer"]["date_of_birth"] = "2015-02-30".into();
        m["consent"]["analysis"] = false.into();
        m["prints"].as_object_mut().unwrap().remove("R3");
        let err = validate(m).unwrap_err();
        assert_eq!(
            fields(err.clone()),
            [
                "customer.date_of_birth",
                "customer.phone",
                "consent.analysis",
                "prints.R3"
            ]
        );
        assert!(err.to_string().contains("prints.R3: is absent"), "{err}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut m = manifest();
        m["customer"]["national_id"] = "001203004005".into();
        let err = validate(m).unwrap_err();
        assert!(
            err.to_string().contains("unknown field `national_id`"),
            "{err}"
        );
    }

    #[test]
    fn children_need_guardian_and_own_signatures() {
        let mut m = manifest();
        m["consent"]["signed_by"] = serde_json::json!(["customer"]);
        assert_eq!(fields(validate(m).unwrap_err()), ["consent.signed_by"]);
        let mut m = manifest();
        m["customer"]["guardian_name"] = serde_json::Value::Null;
        assert_eq!(fields(validate(m).unwrap_err()), ["customer.guardian_name"]);
        let mut adult = manifest();
        adult["customer"]["date_of_birth"] = "1990-01-01".into();
        adult["consent"]["signed_by"] = serde_json::json!(["customer"]);
        assert!(validate(adult).is_ok());
    }

    #[test]
    fn paths_outside_the_bundle_are_refused() {
        for bad in ["../etc/passwd", "/etc/passwd", "a/../../b", "C:\\x.png", ""] {
            let mut m = manifest();
            m["prints"]["R1"] = bad.into();
            assert_eq!(fields(validate(m).unwrap_err()), ["prints.R1"], "{bad}");
        }
    }

    #[test]
    fn phones_normalise_to_e164() {
        assert_eq!(normalize_phone("+84 90 123 4567").unwrap(), "+84901234567");
        assert_eq!(normalize_phone("0084901234567").unwrap(), "+84901234567");
        assert_eq!(
            normalize_phone("+33 1 23 45 67 89").unwrap(),
            "+33123456789"
        );
        assert!(normalize_phone("09012").is_err());
        assert!(normalize_phone("+84 90x 123 4567").is_err());
    }

    #[test]
    fn age_bands_are_narrow_for_children() {
        let born = NaiveDate::from_ymd_opt(2015, 3, 12).unwrap();
        let on = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(age_band(born, on(2026, 3, 11)).to_string(), "7-11");
        assert_eq!(age_band(born, on(2027, 3, 12)).to_string(), "12-15");
        assert_eq!(age_band(born, on(2100, 1, 1)).to_string(), "75+");
    }
}
