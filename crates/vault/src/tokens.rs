//! Look-up tokens: keyed HMAC-SHA256 of a normalised value, so the database
//! can find a customer by phone or name without holding either in the clear.
//!
//! Normalise first ([`normalize_phone`], [`normalize_name`]), then take the
//! token ([`lookup_token`]) with the search-index domain key.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::keys::{DomainKey, SealingKey};
use crate::seal::put_part;

/// Token kind for phone numbers (normalised with [`normalize_phone`]).
pub const PHONE: &str = "phone";
/// Token kind for full names (normalised with [`normalize_name`]).
pub const NAME: &str = "name";

/// The look-up token of `normalized` of kind `kind` (e.g. [`PHONE`]) under
/// the search-index key. Kinds are separated, so a phone and a name with the
/// same text give different tokens.
pub fn lookup_token(search_key: &DomainKey, kind: &str, normalized: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(search_key.secret())
        .expect("HMAC accepts any key length");
    let mut input = Vec::with_capacity(32 + kind.len() + normalized.len());
    put_part(&mut input, b"vantay-lookup-v1");
    put_part(&mut input, kind.as_bytes());
    put_part(&mut input, normalized.as_bytes());
    mac.update(&input);
    mac.finalize().into_bytes().into()
}

/// Why a phone number could not be normalised.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhoneError {
    /// A character other than digits, spaces, dots, dashes, parentheses or a
    /// leading `+`.
    #[error("phone number contains {0:?}: use digits, optionally with a leading + and spaces, dots or dashes")]
    BadCharacter(char),
    /// Too few or too many digits for a phone number.
    #[error("phone number has {0} digits: a Vietnamese number has 9 or 10 digits after 0 or +84, an international one 8 to 15 after +")]
    BadLength(usize),
    /// A local number that does not start with 0.
    #[error("phone number without country code must start with 0 (Vietnamese local form, e.g. 0901234567) or be written with + and a country code")]
    NoCountryCode,
}

/// Normalise a phone number to E.164 (`+84901234567`).
///
/// Accepts `+CC…` and `00CC…` international forms and the Vietnamese local
/// form `0xxx…` (read as +84); spaces, dots, dashes and parentheses are
/// ignored.
pub fn normalize_phone(input: &str) -> Result<String, PhoneError> {
    let trimmed = input.trim();
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '.' | '-' | '(' | ')' => {}
            other => return Err(PhoneError::BadCharacter(other)),
        }
    }
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("84{rest}")
    } else {
        return Err(PhoneError::NoCountryCode);
    };
    check_phone_length(&international)?;
    Ok(format!("+{international}"))
}

fn check_phone_length(international: &str) -> Result<(), PhoneError> {
    let len = international.len();
    let ok = match international.strip_prefix("84") {
        // Vietnamese numbers: 9 digits (mobile, new landline) or 10 (old landline).
        Some(national) => (9..=10).contains(&national.len()) && !national.starts_with('0'),
        None => (8..=15).contains(&len) && !international.starts_with('0'),
    };
    if ok {
        Ok(())
    } else {
        Err(PhoneError::BadLength(len))
    }
}

/// Normalise a name for look-up: lower-cased, Vietnamese diacritics folded
/// (`đ` → `d`, `ễ` → `e`), punctuation dropped, whitespace collapsed.
/// "Nguyễn Thị  Hồng Nhung" and "nguyen thi hong nhung" give the same result.
pub fn normalize_name(input: &str) -> String {
    let folded: String = input
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'đ' { 'd' } else { c })
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::Keyring;
    use crate::keys::{Domain, MasterKey};

    #[test]
    fn diacritic_variants_give_one_token() {
        let (ring, _) = Keyring::create(&MasterKey::generate());
        let key = ring.latest(Domain::SearchIndex).unwrap();
        let variants = [
            "Nguyễn Thị Hồng Nhung",
            "nguyen thi hong nhung",
            "  NGUYỄN   THỊ HỒNG NHUNG ",
            // Precomposed vs decomposed input (NFC vs NFD) must not matter.
            "Nguye\u{302}\u{303}n Thi\u{323} Ho\u{302}\u{300}ng Nhung",
        ];
        let tokens: Vec<_> = variants
            .iter()
            .map(|v| lookup_token(key, NAME, &normalize_name(v)))
            .collect();
        assert!(tokens.windows(2).all(|w| w[0] == w[1]));
        let other = lookup_token(key, NAME, &normalize_name("Nguyễn Thị Hồng Nhuận"));
        assert_ne!(tokens[0], other);
    }

    #[test]
    fn d_with_stroke_folds() {
        assert_eq!(normalize_name("Đặng Văn Đức"), "dang van duc");
        assert_eq!(normalize_name("Trần-Thị Ánh"), "tran thi anh");
    }

    #[test]
    fn token_depends_on_key_and_kind() {
        let (a, _) = Keyring::create(&MasterKey::generate());
        let (b, _) = Keyring::create(&MasterKey::generate());
        let ka = a.latest(Domain::SearchIndex).unwrap();
        let kb = b.latest(Domain::SearchIndex).unwrap();
        assert_ne!(
            lookup_token(ka, PHONE, "+84901234567"),
            lookup_token(kb, PHONE, "+84901234567")
        );
        assert_ne!(lookup_token(ka, PHONE, "x"), lookup_token(ka, NAME, "x"));
    }

    #[test]
    fn phones_normalise_to_e164() {
        for input in [
            "0901234567",
            "090 123 4567",
            "+84 90 123 45 67",
            "0084901234567",
            "090.123.4567",
        ] {
            assert_eq!(normalize_phone(input).unwrap(), "+84901234567", "{input}");
        }
        assert_eq!(
            normalize_phone("+1 (202) 555-0143").unwrap(),
            "+12025550143"
        );
        assert_eq!(normalize_phone("02439876543").unwrap(), "+842439876543");
    }

    #[test]
    fn bad_phones_are_refused() {
        assert_eq!(
            normalize_phone("0901x34567"),
            Err(PhoneError::BadCharacter('x'))
        );
        assert_eq!(normalize_phone("901234567"), Err(PhoneError::NoCountryCode));
        assert_eq!(normalize_phone("0123"), Err(PhoneError::BadLength(5)));
        assert!(normalize_phone("+8409012345678").is_err());
    }
}
