//! Staff accounts, their roles and their confidentiality agreements.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::StaffId;

/// What a staff member does at the centre (DESIGN §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Front desk: registers customers and captures prints.
    Scanner,
    /// Seals, dispatches, imports results, schedules, manages users.
    Admin,
    /// Analysis-centre staff reviewing the automatic analysis.
    Analyst,
    /// Explains the report to the customer at the appointment.
    Counsellor,
    /// Data-protection officer: reads the ledger, never personal data.
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Scanner,
        Role::Admin,
        Role::Analyst,
        Role::Counsellor,
        Role::Auditor,
    ];

    /// The stable name, e.g. `"counsellor"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Scanner => "scanner",
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Counsellor => "counsellor",
            Role::Auditor => "auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not a role name.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a role (expected scanner, admin, analyst, counsellor or auditor)")]
pub struct ParseRoleError(String);

impl FromStr for Role {
    type Err = ParseRoleError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| ParseRoleError(text.to_owned()))
    }
}

/// A signed confidentiality agreement: which text, when signed, until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// The version of the agreement's text, e.g. `"NDA-2026-01"`.
    pub document_version: String,
    /// The day it was signed.
    pub signed_on: NaiveDate,
    /// The last day it is valid.
    pub expires_on: NaiveDate,
}

/// What was wrong with a new staff account's details.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum StaffInputError {
    /// The username is not 2–32 of a–z, 0–9, `.`, `_`, `-`, starting with a letter.
    #[error(
        "'{0}' is not a username: use 2 to 32 of a-z, 0-9, '.', '_', '-', starting with a letter"
    )]
    BadUsername(String),
    /// The agreement's document version is empty, too long or not printable.
    #[error(
        "the agreement's document version must be 1 to 64 printable characters, e.g. NDA-2026-01"
    )]
    BadDocumentVersion,
    /// The agreement is dated after today.
    #[error("the confidentiality agreement date {0} is in the future: give the day it was signed")]
    SignedInFuture(NaiveDate),
    /// The agreement ends before it was signed.
    #[error("the confidentiality agreement cannot end ({expires_on}) before it was signed ({signed_on})")]
    EndsBeforeSigned {
        /// The day it was signed.
        signed_on: NaiveDate,
        /// The last day given.
        expires_on: NaiveDate,
    },
    /// The agreement has already ended.
    #[error("the confidentiality agreement ended on {0}: record a new signed agreement")]
    AlreadyExpired(NaiveDate),
    /// Analysts have accounts at the analysis centre's own installation.
    #[error(
        "analysts have accounts at the analysis centre: use `vantay analysis-center analyst add`"
    )]
    AnalystAtCentre,
}

/// Checks a staff login name: 2 to 32 of a–z, 0–9, `.`, `_`, `-`, starting
/// with a letter (the same rule as the analysis centre's accounts).
pub fn check_username(username: &str) -> Result<(), StaffInputError> {
    let ok = (2..=32).contains(&username.len())
        && username.starts_with(|c: char| c.is_ascii_lowercase())
        && username
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(StaffInputError::BadUsername(username.to_owned()))
    }
}

impl Agreement {
    /// A signed agreement as recorded for a new account on `today`: signed
    /// no later than today, ending no earlier than today.
    pub fn new(
        document_version: &str,
        signed_on: NaiveDate,
        expires_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<Agreement, StaffInputError> {
        let version = document_version.trim();
        if version.is_empty()
            || version.chars().count() > 64
            || version.chars().any(char::is_control)
        {
            return Err(StaffInputError::BadDocumentVersion);
        }
        if signed_on > today {
            return Err(StaffInputError::SignedInFuture(signed_on));
        }
        if expires_on < signed_on {
            return Err(StaffInputError::EndsBeforeSigned {
                signed_on,
                expires_on,
            });
        }
        if expires_on < today {
            return Err(StaffInputError::AlreadyExpired(expires_on));
        }
        Ok(Agreement {
            document_version: version.to_owned(),
            signed_on,
            expires_on,
        })
    }

    /// Whether the agreement covers `today`.
    pub fn covers(&self, today: NaiveDate) -> bool {
        self.signed_on <= today && today <= self.expires_on
    }
}

/// A staff account as the policy sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    /// The account.
    pub id: StaffId,
    /// The login name (not personal data of a customer).
    pub username: String,
    /// What they do.
    pub role: Role,
    /// The latest confidentiality agreement on record, if any.
    pub agreement: Option<Agreement>,
    /// Disabled accounts can do nothing.
    pub disabled: bool,
}

impl Staff {
    /// Whether this account may touch customer data at all today: enabled
    /// and covered by an unexpired confidentiality agreement.
    pub fn may_touch_customer_data(&self, today: NaiveDate) -> bool {
        self.status(today) == StaffStatus::Active
    }

    /// Where the account stands `today` (`vantay staff list`).
    pub fn status(&self, today: NaiveDate) -> StaffStatus {
        if self.disabled {
            StaffStatus::Disabled
        } else if self.agreement.as_ref().is_some_and(|a| a.covers(today)) {
            StaffStatus::Active
        } else {
            StaffStatus::AgreementExpired
        }
    }
}

/// Where a staff account stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffStatus {
    /// Enabled, with an agreement in force: may work.
    Active,
    /// Disabled by an admin (off-boarding): may do nothing.
    Disabled,
    /// Enabled, but no confidentiality agreement covers the day: may touch
    /// no customer data until an admin records a renewed one.
    AgreementExpired,
}

impl StaffStatus {
    /// The stable name, e.g. `"agreement_expired"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StaffStatus::Active => "active",
            StaffStatus::Disabled => "disabled",
            StaffStatus::AgreementExpired => "agreement_expired",
        }
    }

    /// Vietnamese first, then English, e.g. "đang hoạt động / active".
    pub fn label(self) -> &'static str {
        match self {
            StaffStatus::Active => "đang hoạt động / active",
            StaffStatus::Disabled => "đã vô hiệu hoá / disabled",
            StaffStatus::AgreementExpired => {
                "thoả thuận bảo mật hết hạn / confidentiality agreement expired"
            }
        }
    }
}

impl fmt::Display for StaffStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn usernames_follow_one_rule() {
        for good in ["lan", "tu.van-1", "c_2"] {
            assert_eq!(check_username(good), Ok(()), "{good}");
        }
        for bad in ["", "a", "Lan", "1lan", "lan lan", "lân"] {
            assert!(check_username(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn status_says_disabled_before_expired() {
        let mut staff = Staff {
            id: StaffId::new(),
            username: "lan".into(),
            role: Role::Counsellor,
            agreement: Some(Agreement::new("NDA", day(1), day(10), day(1)).unwrap()),
            disabled: false,
        };
        assert_eq!(staff.status(day(10)), StaffStatus::Active);
        assert!(staff.may_touch_customer_data(day(10)));
        assert_eq!(staff.status(day(11)), StaffStatus::AgreementExpired);
        assert!(!staff.may_touch_customer_data(day(11)));
        staff.disabled = true;
        assert_eq!(staff.status(day(5)), StaffStatus::Disabled);
        assert_eq!(staff.status(day(11)), StaffStatus::Disabled);
        assert!(!staff.may_touch_customer_data(day(5)));
        staff.disabled = false;
        staff.agreement = None;
        assert_eq!(staff.status(day(5)), StaffStatus::AgreementExpired);
        assert_eq!(StaffStatus::AgreementExpired.as_str(), "agreement_expired");
    }

    #[test]
    fn an_agreement_is_signed_and_in_force() {
        let ok = Agreement::new(" NDA-2026-01 ", day(1), day(31), day(2)).unwrap();
        assert_eq!(ok.document_version, "NDA-2026-01");
        assert!(ok.covers(day(31)) && !ok.covers(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
        assert_eq!(
            Agreement::new("NDA", day(3), day(31), day(2)),
            Err(StaffInputError::SignedInFuture(day(3)))
        );
        assert_eq!(
            Agreement::new("NDA", day(1), day(2), day(5)),
            Err(StaffInputError::AlreadyExpired(day(2)))
        );
        assert!(matches!(
            Agreement::new("NDA", day(2), day(1), day(2)),
            Err(StaffInputError::EndsBeforeSigned { .. })
        ));
        assert_eq!(
            Agreement::new("  ", day(1), day(31), day(2)),
            Err(StaffInputError::BadDocumentVersion)
        );
    }
}
