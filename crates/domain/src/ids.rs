//! Identifier newtypes: a case id cannot be passed where a customer id is due.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The text was not an identifier of the expected kind.
#[derive(Debug, thiserror::Error)]
#[error("'{text}' is not a valid {kind} id (expected a UUID such as 0190f1c2-…)")]
pub struct ParseIdError {
    kind: &'static str,
    text: String,
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered identifier (UUIDv7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text.trim()).map(Self).map_err(|_| ParseIdError {
                    kind: $kind,
                    text: text.to_owned(),
                })
            }
        }
    };
}

id_type!(
    /// A customer (the person fingerprinted).
    CustomerId,
    "customer"
);
id_type!(
    /// One customer's ten-print analysis case.
    CaseId,
    "case"
);
id_type!(
    /// A staff account.
    StaffId,
    "staff"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let id = CaseId::new();
        assert_eq!(id.to_string().parse::<CaseId>().unwrap(), id);
        let err = "12345".parse::<CustomerId>().unwrap_err();
        assert!(err.to_string().contains("customer"), "{err}");
    }
}
