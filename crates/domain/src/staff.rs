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

impl Agreement {
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
        !self.disabled && self.agreement.as_ref().is_some_and(|a| a.covers(today))
    }
}
