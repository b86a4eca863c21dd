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
    let (Some(appointment), Some(named)) = (facts.appointment_at, facts.counsellor) else {
        return Deny("no appointment is booked");
    };
    if named != id {
        return Deny("the appointment names another counsellor");
    }
    if !is_released(appointment, now) {
        return Deny("the report is released three days before the appointment");
    }
    match facts.delivered_at {
        Some(delivered) if now > delivered + COUNSELLOR_GRACE => {
            Deny("access ended one day after delivery")
        }
        _ => Allow,
    }
}

/// When the report of an appointment at `appointment` goes to the
/// counsellor (step 7): [`COUNSELLOR_LEAD`] before it.
pub fn release_at(appointment: DateTime<Utc>) -> DateTime<Utc> {
    appointment - COUNSELLOR_LEAD
}

/// Whether, at `now`, the counsellor's window for an appointment at
/// `appointment` has opened. The store's automatic release and the custody
/// rule both ask this, so the state and the access never disagree.
pub fn is_released(appointment: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= release_at(appointment)
}

/// Whether `staff` may run the centre's casework (step 5 review, step 6
/// scheduling, staff accounts): an admin with a valid agreement.
pub fn may_administer(staff: &Staff, now: DateTime<Utc>) -> Decision {
    if !staff.may_touch_customer_data(now.date_naive()) {
        return Decision::Deny("no valid confidentiality agreement on record");
    }
    if staff.role == Role::Admin {
        Decision::Allow
    } else {
        Decision::Deny("only an admin reviews cases, books appointments and manages staff")
    }
}

/// Whether `counsellor` may be named for an appointment at `appointment`
/// booked at `now` (step 6): an enabled counsellor whose confidentiality
/// agreement covers both today and the day of the appointment, and an
/// appointment still to come.
pub fn may_book(counsellor: &Staff, appointment: DateTime<Utc>, now: DateTime<Utc>) -> Decision {
    use Decision::{Allow, Deny};
    if appointment <= now {
        return Deny("the appointment time has already passed; give a time to come");
    }
    if counsellor.role != Role::Counsellor {
        return Deny("the account named is not a counsellor");
    }
    if counsellor.disabled {
        return Deny("the counsellor's account is disabled");
    }
    let Some(agreement) = &counsellor.agreement else {
        return Deny("the counsellor has no confidentiality agreement on record");
    };
    if !agreement.covers(now.date_naive()) {
        return Deny("the counsellor's confidentiality agreement is not valid today");
    }
    if !agreement.covers(appointment.date_naive()) {
        return Deny("the counsellor's confidentiality agreement ends before the appointment");
    }
    Allow
}

/// Whether `staff` may record that the report was handed over (step 8):
/// the counsellor the appointment names, or an admin, with a valid agreement.
pub fn may_record_delivery(staff: &Staff, facts: &ReportFacts, now: DateTime<Utc>) -> Decision {
    use Decision::{Allow, Deny};
    if !staff.may_touch_customer_data(now.date_naive()) {
        return Deny("no valid confidentiality agreement on record");
    }
    match staff.role {
        Role::Admin => Allow,
        Role::Counsellor if facts.counsellor.is_none() => Deny("no appointment is booked"),
        Role::Counsellor if facts.counsellor == Some(staff.id) => Allow,
        Role::Counsellor => Deny("the appointment names another counsellor"),
        _ => Deny("only the appointment's counsellor or an admin records the hand-over"),
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
    fn counsellor_without_appointment_is_told_so() {
        let c = staff(Role::Counsellor);
        let facts = ReportFacts {
            state: CaseState::Reviewed,
            appointment_at: None,
            counsellor: None,
            delivered_at: None,
        };
        assert_eq!(
            may_open_report(&ReportReader::Staff(&c), &facts, at(19, 9)),
            Decision::Deny("no appointment is booked")
        );
    }

    #[test]
    fn release_time_is_the_start_of_the_window() {
        assert_eq!(release_at(at(20, 9)), at(17, 9));
        assert!(!is_released(at(20, 9), at(17, 8)));
        assert!(is_released(at(20, 9), at(17, 9)));
    }

    #[test]
    fn only_admins_administer() {
        assert!(may_administer(&staff(Role::Admin), at(1, 9)).is_allowed());
        for role in [Role::Scanner, Role::Counsellor, Role::Auditor] {
            assert!(
                !may_administer(&staff(role), at(1, 9)).is_allowed(),
                "{role}"
            );
        }
        let mut lapsed = staff(Role::Admin);
        lapsed.agreement = None;
        assert!(!may_administer(&lapsed, at(1, 9)).is_allowed());
    }

    #[test]
    fn booking_needs_a_counsellor_covered_until_the_appointment() {
        let c = staff(Role::Counsellor);
        assert_eq!(may_book(&c, at(20, 9), at(1, 9)), Decision::Allow);
        assert_eq!(
            may_book(&staff(Role::Scanner), at(20, 9), at(1, 9)),
            Decision::Deny("the account named is not a counsellor")
        );
        assert_eq!(
            may_book(&c, at(1, 8), at(1, 9)),
            Decision::Deny("the appointment time has already passed; give a time to come")
        );
        let mut short = staff(Role::Counsellor);
        short.agreement.as_mut().unwrap().expires_on =
            NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
        assert_eq!(
            may_book(&short, at(20, 9), at(1, 9)),
            Decision::Deny(
                "the counsellor's confidentiality agreement ends before the appointment"
            )
        );
        assert_eq!(
            may_book(&short, at(20, 9), at(11, 9)),
            Decision::Deny("the counsellor's confidentiality agreement is not valid today")
        );
        let mut off = staff(Role::Counsellor);
        off.disabled = true;
        assert!(!may_book(&off, at(20, 9), at(1, 9)).is_allowed());
    }

    #[test]
    fn delivery_is_recorded_by_the_named_counsellor_or_an_admin() {
        let named = staff(Role::Counsellor);
        let facts = scheduled(&named);
        assert!(may_record_delivery(&named, &facts, at(20, 9)).is_allowed());
        assert!(may_record_delivery(&staff(Role::Admin), &facts, at(20, 9)).is_allowed());
        assert_eq!(
            may_record_delivery(&staff(Role::Counsellor), &facts, at(20, 9)),
            Decision::Deny("the appointment names another counsellor")
        );
        assert!(!may_record_delivery(&staff(Role::Scanner), &facts, at(20, 9)).is_allowed());
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
