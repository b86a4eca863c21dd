//! Why the policy refused: one sentence in Vietnamese, the same in English.
//!
//! Centre staff read these (command-line errors, web pages), so Vietnamese
//! comes first. The English sentence stays stable: code and tests that
//! compare a reason with its English text keep working.

use std::fmt;

use serde::Serialize;

/// A refusal's reason in both languages. Its [`Display`](fmt::Display) is
/// "Vietnamese — English".
///
/// ```
/// use vantay_domain::Reason;
/// const GONE: Reason = Reason::new("dữ liệu đã bị xoá", "the data was erased");
/// assert_eq!(GONE.to_string(), "dữ liệu đã bị xoá — the data was erased");
/// assert_eq!(GONE, "the data was erased");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Reason {
    vi: &'static str,
    en: &'static str,
}

impl Reason {
    /// A reason in Vietnamese (with its diacritics) and in English.
    pub const fn new(vi: &'static str, en: &'static str) -> Reason {
        Reason { vi, en }
    }

    /// The Vietnamese sentence.
    pub fn vi(self) -> &'static str {
        self.vi
    }

    /// The English sentence.
    pub fn en(self) -> &'static str {
        self.en
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} — {}", self.vi, self.en)
    }
}

/// A reason equals its English sentence, so matching on the English text
/// still works.
impl PartialEq<str> for Reason {
    fn eq(&self, other: &str) -> bool {
        self.en == other
    }
}

impl PartialEq<&str> for Reason {
    fn eq(&self, other: &&str) -> bool {
        self.en == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_first_then_english() {
        let reason = Reason::new("tài khoản đã bị vô hiệu hoá", "the account is disabled");
        assert_eq!(
            reason.to_string(),
            "tài khoản đã bị vô hiệu hoá — the account is disabled"
        );
        assert_eq!(reason.vi(), "tài khoản đã bị vô hiệu hoá");
        assert_eq!(reason.en(), "the account is disabled");
        assert!(reason == "the account is disabled");
        assert!(reason != "tài khoản đã bị vô hiệu hoá");
    }
}
