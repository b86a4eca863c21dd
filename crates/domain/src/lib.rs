//! The centre's rules, with no I/O: who a customer is, which states a case
//! goes through, which fingers a ten-print card holds, what a capture bundle
//! must contain, and who may read what when.
//!
//! Everything here is pure and cheap to test. The `store` crate persists these
//! types; the `server` and `cli` crates ask [`policy`] before every access.
//!
//! ```
//! use vantay_domain::{CaseState, Finger};
//! assert!(CaseState::Captured.can_become(CaseState::Sealed));
//! assert!(!CaseState::Registered.can_become(CaseState::Dispatched));
//! assert_eq!(Finger::ALL.len(), 10);
//! assert_eq!("L3".parse::<Finger>().unwrap(), Finger::L3);
//! ```
#![deny(missing_docs)]

mod capture;
mod case;
mod finger;
mod ids;
mod pattern;
pub mod policy;
mod reason;
mod staff;

pub use capture::{
    age_band, age_on, normalize_phone, AgeBand, CaptureError, CaptureManifest, ConsentInput,
    CustomerInput, DeviceInput, PrintEntry, Sex, SignedBy, ValidCapture, ValidConsent,
    ValidCustomer, PERSONAL_FIELDS,
};
pub use case::{CaseState, TransitionError};
pub use finger::{Finger, Hand, ParseFingerError};
pub use ids::{CaseId, CustomerId, ParseIdError, StaffId};
pub use pattern::{ParseClassError, PatternClass, Subtype, SubtypeError};
pub use reason::Reason;
pub use staff::{
    check_username, Agreement, ParseRoleError, Role, Staff, StaffInputError, StaffStatus,
};
