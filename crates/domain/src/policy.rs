//! Who may do what, when. Written once here, asked by every caller.
//!
//! The rules follow DESIGN §1–2: a role, a signed and unexpired
//! confidentiality agreement, an assignment and a time window are all needed
//! before anyone sees a customer's data.

use chrono::{DateTime, Duration, Utc};

use crate::{CaseState, Role, Staff, StaffId};

/// Who asks to open a rendered report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportReader<'a> {
    /// A staff member.
    Staff(&'a Staff),
    /// The customer themselves (or their guardian), authenticated.
    Customer,
}

/// What the policy needs to know about a case to decide on its report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFacts {
    /// Where the case stands.
    pub state: CaseState,
    /// The appointment, when one is booked.
    pub appointment_at: Option<DateTime<Utc>>,
    /// The counsellor the appointment names.
    pub counsellor: Option<StaffId>,
    /// When the report was handed over, once it was.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// The answer of [`may_open_report`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Allowed.
    Allow,
    /// Refused, with the reason to show and to record.
    Deny(&'static str),
}

impl Decision {
    /// Whether this is [`Decision::Allow`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// How long before the appointment the counsellor receives the report (step 7).
pub const COUNSELLOR_LEAD: Duration = Duration::days(3);
/// How long after delivery the counsellor keeps access.
pub const COUNSELLOR_GRACE: Duration = Duration::days(1);

/// The report custody rule: the admin at any time after analysis; the
/// counsellor named in the appointment only from three days before it until
/// one day after delivery; the customer after delivery; nobody after erasure.
pub fn may_open_report(
    reader: &ReportReader<'_>,
    facts: &ReportFacts,
    now: DateTime<Utc>,
) -> Decision {
    use Decision::{Allow, Deny};
    if facts.state == CaseState::Erased {
        return Deny("the customer's data was erased");
    }
    match reader {
        ReportReader::Customer => {
            if facts.delivered_at.is_some() {
                Allow
            } else {
                Deny("the report is given to the customer at the appointment")
            }
        }
        ReportReader::Staff(staff) => {
            if !staff.may_touch_customer_data(now.date_naive()) {
                return Deny("no valid confidentiality agreement on record");
            }
            match staff.role {
                Role::Admin if facts.state >= CaseState::Analysed => Allow,
                Role::Admin => Deny("the case has no analysis yet"),
                Role::Counsellor => counsellor_window(staff.id, facts, now),
                _ => Deny("this role does not read reports"),
            }
        }
    }
}

fn counsellor_window(id: StaffId, facts: &ReportFacts, now: DateTime<Utc>) -> Decision {
    use Decision::{Allow, Deny};
    if facts.counsellor != Some(id) {
        return Deny("the appointment names another counsellor");
    }
    let Some(appointment) = facts.appointment_at else {
        return Deny("no appointment is booked");
    };
    if now < appointment - COUNSELLOR_LEAD {
        return Deny("the report is released three days before the appointment");
    }
    match facts.delivered_at {
        Some(delivered) if now > delivered + COUNSELLOR_GRACE => {
            Deny("access ended one day after delivery")
        }
        _ => Allow,
    }
}

/// Whether a staff member may change a capture (personal data, prints) of a
/// case in `state`: scanners and admins, only before sealing.
pub fn may_edit_capture(staff: &Staff, state: CaseState, now: DateTime<Utc>) -> Decision {
    if !staff.may_touch_customer_data(now.date_naive()) {
        return Decision::Deny("no valid confidentiality agreement on record");
    }
    if !matches!(staff.role, Role::Scanner | Role::Admin) {
        return Decision::Deny("only scanners and admins capture prints");
    }
    if state.capture_is_open() {
        Decision::Allow
    } else {
        Decision::Deny("the case is sealed; its capture can no longer change")
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;
    use crate::Agreement;

    fn staff(role: Role) -> Staff {
        Staff {
            id: StaffId::new(),
            username: role.as_str().into(),
            role,
            agreement: Some(Agreement {
                document_version: "NDA-2026-01".into(),
                signed_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                expires_on: NaiveDate::from_ymd_opt(2027, 12, 31).unwrap(),
            }),
            disabled: false,
        }
    }

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
    }

    fn scheduled(counsellor: &Staff) -> ReportFacts {
        ReportFacts {
            state: CaseState::Scheduled,
            appointment_at: Some(at(20, 9)),
            counsellor: Some(counsellor.id),
            delivered_at: None,
        }
    }

    #[test]
    fn counsellor_reads_only_from_three_days_before() {
        let c = staff(Role::Counsellor);
        let facts = scheduled(&c);
        let reader = ReportReader::Staff(&c);
        assert!(!may_open_report(&reader, &facts, at(17, 8)).is_allowed());
        assert!(may_open_report(&reader, &facts, at(17, 9)).is_allowed());
        assert!(may_open_report(&reader, &facts, at(20, 9)).is_allowed());
    }

    #[test]
    fn counsellor_loses_access_one_day_after_delivery() {
        let c = staff(Role::Counsellor);
        let mut facts = scheduled(&c);
        facts.state = CaseState::Delivered;
        facts.delivered_at = Some(at(20, 10));
        let reader = ReportReader::Staff(&c);
        assert!(may_open_report(&reader, &facts, at(21, 10)).is_allowed());
        assert_eq!(
            may_open_report(&reader, &facts, at(21, 11)),
            Decision::Deny("access ended one day after delivery")
        );
    }

    #[test]
    fn another_counsellor_is_refused() {
        let named = staff(Role::Counsellor);
        let other = staff(Role::Counsellor);
        let facts = scheduled(&named);
        let decision = may_open_report(&ReportReader::Staff(&other), &facts, at(19, 9));
        assert_eq!(
            decision,
            Decision::Deny("the appointment names another counsellor")
        );
    }

    #[test]
    fn admin_reads_after_analysis_only() {
        let admin = staff(Role::Admin);
        let mut facts = scheduled(&staff(Role::Counsellor));
        assert!(may_open_report(&ReportReader::Staff(&admin), &facts, at(1, 9)).is_allowed());
        facts.state = CaseState::Dispatched;
        assert!(!may_open_report(&ReportReader::Staff(&admin), &facts, at(1, 9)).is_allowed());
    }

    #[test]
    fn customer_reads_after_delivery_and_nobody_after_erasure() {
        let admin = staff(Role::Admin);
        let mut facts = scheduled(&staff(Role::Counsellor));
        assert!(!may_open_report(&ReportReader::Customer, &facts, at(19, 9)).is_allowed());
        facts.state = CaseState::Delivered;
        facts.delivered_at = Some(at(20, 10));
        assert!(may_open_report(&ReportReader::Customer, &facts, at(25, 9)).is_allowed());
        facts.state = CaseState::Erased;
        assert!(!may_open_report(&ReportReader::Customer, &facts, at(25, 9)).is_allowed());
        assert!(!may_open_report(&ReportReader::Staff(&admin), &facts, at(25, 9)).is_allowed());
    }

    #[test]
    fn no_agreement_no_access() {
        let mut admin = staff(Role::Admin);
        admin.agreement = None;
        let facts = scheduled(&staff(Role::Counsellor));
        assert!(!may_open_report(&ReportReader::Staff(&admin), &facts, at(19, 9)).is_allowed());
        let mut expired = staff(Role::Scanner);
        expired.agreement.as_mut().unwrap().expires_on =
            NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        assert!(!may_edit_capture(&expired, CaseState::Captured, at(1, 9)).is_allowed());
    }

    #[test]
    fn scanners_edit_only_before_sealing_and_auditors_never() {
        let scanner = staff(Role::Scanner);
        assert!(may_edit_capture(&scanner, CaseState::Captured, at(1, 9)).is_allowed());
        assert!(!may_edit_capture(&scanner, CaseState::Sealed, at(1, 9)).is_allowed());
        assert!(
            !may_edit_capture(&staff(Role::Auditor), CaseState::Captured, at(1, 9)).is_allowed()
        );
    }
}
