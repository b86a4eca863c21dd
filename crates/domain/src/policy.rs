//! Who may do what, when. Written once here, asked by every caller.
//!
//! The rules follow DESIGN §1–2: a role, a signed and unexpired
//! confidentiality agreement, an assignment and a time window are all needed
//! before anyone sees a customer's data.

use chrono::{DateTime, Duration, Utc};

use crate::{CaseState, Reason, Role, Staff, StaffId};
use reasons::*;

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
    Deny(Reason),
}

impl Decision {
    /// Whether this is [`Decision::Allow`].
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }

    /// The reason of a refusal; `None` when allowed.
    pub fn reason(&self) -> Option<Reason> {
        match self {
            Decision::Allow => None,
            Decision::Deny(reason) => Some(*reason),
        }
    }
}

/// Whether `staff` may touch customer data at all `today`: the account is
/// enabled and an unexpired confidentiality agreement covers today. Every
/// rule below asks this first, so a disabled account is refused everywhere.
fn account_in_force(staff: &Staff, today: chrono::NaiveDate) -> Result<(), Reason> {
    if staff.disabled {
        Err(ACCOUNT_DISABLED)
    } else if staff.may_touch_customer_data(today) {
        Ok(())
    } else {
        Err(NO_AGREEMENT)
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
        return Deny(ERASED);
    }
    match reader {
        ReportReader::Customer => {
            if facts.delivered_at.is_some() {
                Allow
            } else {
                Deny(AT_APPOINTMENT)
            }
        }
        ReportReader::Staff(staff) => {
            if let Err(reason) = account_in_force(staff, now.date_naive()) {
                return Deny(reason);
            }
            match staff.role {
                Role::Admin if facts.state >= CaseState::Analysed => Allow,
                Role::Admin => Deny(NOT_ANALYSED),
                Role::Counsellor => counsellor_window(staff.id, facts, now),
                _ => Deny(ROLE_READS_NO_REPORTS),
            }
        }
    }
}

fn counsellor_window(id: StaffId, facts: &ReportFacts, now: DateTime<Utc>) -> Decision {
    use Decision::{Allow, Deny};
    let (Some(appointment), Some(named)) = (facts.appointment_at, facts.counsellor) else {
        return Deny(NO_APPOINTMENT);
    };
    if named != id {
        return Deny(ANOTHER_COUNSELLOR);
    }
    if !is_released(appointment, now) {
        return Deny(NOT_RELEASED);
    }
    match facts.delivered_at {
        Some(delivered) if now > delivered + COUNSELLOR_GRACE => Deny(ACCESS_ENDED),
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
    if let Err(reason) = account_in_force(staff, now.date_naive()) {
        return Decision::Deny(reason);
    }
    if staff.role == Role::Admin {
        Decision::Allow
    } else {
        Decision::Deny(ADMIN_ONLY)
    }
}

/// Whether `staff` may look customers up and correct their personal data
/// (the customer's right of correction; the contact at step 6): what
/// [`may_administer`] asks, with its own reason for everyone else.
pub fn may_keep_customer_data(staff: &Staff, now: DateTime<Utc>) -> Decision {
    match may_administer(staff, now) {
        Decision::Deny(reason) if reason == ADMIN_ONLY => Decision::Deny(CUSTOMER_DATA_ADMIN_ONLY),
        decision => decision,
    }
}

/// Whether the holder of the centre's key file may renew `target`'s
/// agreement (and enable the account) without an admin: only when no
/// account in `admins` can run the centre any more (every admin's agreement
/// ran out, or every admin is disabled), and only for an admin account.
/// The way back in after a lapse, never a way around an admin.
pub fn may_recover_admin(target: &Staff, admins: &[Staff], now: DateTime<Utc>) -> Decision {
    if target.role != Role::Admin {
        return Decision::Deny(RECOVER_ADMINS_ONLY);
    }
    if admins
        .iter()
        .any(|admin| may_administer(admin, now).is_allowed())
    {
        return Decision::Deny(AN_ADMIN_CAN_ACT);
    }
    Decision::Allow
}

/// Whether `admin` may disable `target`'s account (off-boarding): what
/// [`may_administer`] asks, and not their own account, so that a centre
/// is never left without the admin who could enable it again.
pub fn may_disable(admin: &Staff, target: &Staff, now: DateTime<Utc>) -> Decision {
    match may_administer(admin, now) {
        Decision::Allow if admin.id == target.id => Decision::Deny(OWN_ACCOUNT),
        decision => decision,
    }
}

/// Whether `counsellor` may be named for an appointment at `appointment`
/// booked at `now` (step 6): an enabled counsellor whose confidentiality
/// agreement covers both today and the day of the appointment, and an
/// appointment still to come.
pub fn may_book(counsellor: &Staff, appointment: DateTime<Utc>, now: DateTime<Utc>) -> Decision {
    use Decision::{Allow, Deny};
    if appointment <= now {
        return Deny(TIME_PASSED);
    }
    if counsellor.role != Role::Counsellor {
        return Deny(NOT_A_COUNSELLOR);
    }
    if counsellor.disabled {
        return Deny(COUNSELLOR_DISABLED);
    }
    let Some(agreement) = &counsellor.agreement else {
        return Deny(COUNSELLOR_NO_AGREEMENT);
    };
    if !agreement.covers(now.date_naive()) {
        return Deny(COUNSELLOR_AGREEMENT_NOT_VALID);
    }
    if !agreement.covers(appointment.date_naive()) {
        return Deny(COUNSELLOR_AGREEMENT_ENDS);
    }
    Allow
}

/// Whether `staff` may record that the report was handed over (step 8):
/// the counsellor the appointment names, or an admin, with a valid agreement.
pub fn may_record_delivery(staff: &Staff, facts: &ReportFacts, now: DateTime<Utc>) -> Decision {
    use Decision::{Allow, Deny};
    if let Err(reason) = account_in_force(staff, now.date_naive()) {
        return Deny(reason);
    }
    match staff.role {
        Role::Admin => Allow,
        Role::Counsellor if facts.counsellor.is_none() => Deny(NO_APPOINTMENT),
        Role::Counsellor if facts.counsellor == Some(staff.id) => Allow,
        Role::Counsellor => Deny(ANOTHER_COUNSELLOR),
        _ => Deny(DELIVERY_BY),
    }
}

/// Whether a staff member may change a capture (personal data, prints) of a
/// case in `state`: scanners and admins, only before sealing.
pub fn may_edit_capture(staff: &Staff, state: CaseState, now: DateTime<Utc>) -> Decision {
    if let Err(reason) = account_in_force(staff, now.date_naive()) {
        return Decision::Deny(reason);
    }
    if !matches!(staff.role, Role::Scanner | Role::Admin) {
        return Decision::Deny(CAPTURE_BY);
    }
    if state.capture_is_open() {
        Decision::Allow
    } else {
        Decision::Deny(SEALED)
    }
}

/// Every reason the policy gives, in Vietnamese and English.
pub mod reasons {
    use super::Reason;
    /// "the account is disabled"
    pub const ACCOUNT_DISABLED: Reason =
        Reason::new("tài khoản đã bị vô hiệu hoá", "the account is disabled");
    /// "an admin cannot disable their own account"
    pub const OWN_ACCOUNT: Reason = Reason::new(
        "quản trị viên không thể tự vô hiệu hoá tài khoản của chính mình",
        "an admin cannot disable their own account",
    );
    /// "the customer's data was erased"
    pub const ERASED: Reason = Reason::new(
        "dữ liệu của khách hàng đã bị xoá",
        "the customer's data was erased",
    );
    /// "the report is given to the customer at the appointment"
    pub const AT_APPOINTMENT: Reason = Reason::new(
        "báo cáo được trao cho khách hàng tại buổi hẹn",
        "the report is given to the customer at the appointment",
    );
    /// "no valid confidentiality agreement on record"
    pub const NO_AGREEMENT: Reason = Reason::new(
        "không có thoả thuận bảo mật còn hiệu lực trong hồ sơ",
        "no valid confidentiality agreement on record",
    );
    /// "the case has no analysis yet"
    pub const NOT_ANALYSED: Reason = Reason::new(
        "hồ sơ chưa có kết quả phân tích",
        "the case has no analysis yet",
    );
    /// "this role does not read reports"
    pub const ROLE_READS_NO_REPORTS: Reason = Reason::new(
        "vai trò này không được đọc báo cáo",
        "this role does not read reports",
    );
    /// "no appointment is booked"
    pub const NO_APPOINTMENT: Reason =
        Reason::new("chưa có lịch hẹn nào được đặt", "no appointment is booked");
    /// "the appointment names another counsellor"
    pub const ANOTHER_COUNSELLOR: Reason = Reason::new(
        "lịch hẹn ghi tên một tư vấn viên khác",
        "the appointment names another counsellor",
    );
    /// "the report is released three days before the appointment"
    pub const NOT_RELEASED: Reason = Reason::new(
        "báo cáo chỉ được chuyển cho tư vấn viên ba ngày trước buổi hẹn",
        "the report is released three days before the appointment",
    );
    /// "access ended one day after delivery"
    pub const ACCESS_ENDED: Reason = Reason::new(
        "quyền truy cập đã kết thúc một ngày sau khi bàn giao",
        "access ended one day after delivery",
    );
    /// "only an admin account can be recovered with the key file"
    pub const RECOVER_ADMINS_ONLY: Reason = Reason::new(
        "chỉ khôi phục được tài khoản quản trị viên bằng tệp khoá",
        "only an admin account can be recovered with the key file",
    );
    /// "an admin with an agreement in force can still do this: ask them"
    pub const AN_ADMIN_CAN_ACT: Reason = Reason::new(
        "vẫn còn quản trị viên có thoả thuận bảo mật còn hiệu lực: hãy nhờ họ làm việc này",
        "an admin with an agreement in force can still do this: ask them",
    );
    /// "only an admin looks up and corrects customers' data"
    pub const CUSTOMER_DATA_ADMIN_ONLY: Reason = Reason::new(
        "chỉ quản trị viên mới được tra cứu và sửa dữ liệu khách hàng",
        "only an admin looks up and corrects customers' data",
    );
    /// "only an admin reviews cases, books appointments and manages staff"
    pub const ADMIN_ONLY: Reason = Reason::new(
        "chỉ quản trị viên mới được duyệt hồ sơ, đặt lịch hẹn và quản lý nhân viên",
        "only an admin reviews cases, books appointments and manages staff",
    );
    /// "the appointment time has already passed; give a time to come"
    pub const TIME_PASSED: Reason = Reason::new(
        "thời gian hẹn đã qua; hãy chọn một thời điểm sắp tới",
        "the appointment time has already passed; give a time to come",
    );
    /// "the account named is not a counsellor"
    pub const NOT_A_COUNSELLOR: Reason = Reason::new(
        "tài khoản được chỉ định không phải là tư vấn viên",
        "the account named is not a counsellor",
    );
    /// "the counsellor's account is disabled"
    pub const COUNSELLOR_DISABLED: Reason = Reason::new(
        "tài khoản của tư vấn viên đã bị vô hiệu hoá",
        "the counsellor's account is disabled",
    );
    /// "the counsellor has no confidentiality agreement on record"
    pub const COUNSELLOR_NO_AGREEMENT: Reason = Reason::new(
        "tư vấn viên chưa có thoả thuận bảo mật trong hồ sơ",
        "the counsellor has no confidentiality agreement on record",
    );
    /// "the counsellor's confidentiality agreement is not valid today"
    pub const COUNSELLOR_AGREEMENT_NOT_VALID: Reason = Reason::new(
        "thoả thuận bảo mật của tư vấn viên không có hiệu lực vào hôm nay",
        "the counsellor's confidentiality agreement is not valid today",
    );
    /// "the counsellor's confidentiality agreement ends before the appointment"
    pub const COUNSELLOR_AGREEMENT_ENDS: Reason = Reason::new(
        "thoả thuận bảo mật của tư vấn viên hết hạn trước buổi hẹn",
        "the counsellor's confidentiality agreement ends before the appointment",
    );
    /// "only the appointment's counsellor or an admin records the hand-over"
    pub const DELIVERY_BY: Reason = Reason::new(
        "chỉ tư vấn viên của lịch hẹn hoặc quản trị viên mới được ghi nhận việc bàn giao",
        "only the appointment's counsellor or an admin records the hand-over",
    );
    /// "only scanners and admins capture prints"
    pub const CAPTURE_BY: Reason = Reason::new(
        "chỉ nhân viên quét vân tay và quản trị viên mới được lấy dấu vân tay",
        "only scanners and admins capture prints",
    );
    /// "the case is sealed; its capture can no longer change"
    pub const SEALED: Reason = Reason::new(
        "hồ sơ đã được niêm phong; dữ liệu thu nhận không thể thay đổi nữa",
        "the case is sealed; its capture can no longer change",
    );
    /// All of them, for tests and reviews of the wording.
    pub const ALL: &[Reason] = &[
        ACCOUNT_DISABLED,
        OWN_ACCOUNT,
        ERASED,
        AT_APPOINTMENT,
        NO_AGREEMENT,
        NOT_ANALYSED,
        ROLE_READS_NO_REPORTS,
        NO_APPOINTMENT,
        ANOTHER_COUNSELLOR,
        NOT_RELEASED,
        ACCESS_ENDED,
        RECOVER_ADMINS_ONLY,
        AN_ADMIN_CAN_ACT,
        CUSTOMER_DATA_ADMIN_ONLY,
        ADMIN_ONLY,
        TIME_PASSED,
        NOT_A_COUNSELLOR,
        COUNSELLOR_DISABLED,
        COUNSELLOR_NO_AGREEMENT,
        COUNSELLOR_AGREEMENT_NOT_VALID,
        COUNSELLOR_AGREEMENT_ENDS,
        DELIVERY_BY,
        CAPTURE_BY,
        SEALED,
    ];
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

    /// The refusal whose English sentence is `en` (one the policy gives).
    fn deny(en: &str) -> Decision {
        let reason = reasons::ALL.iter().find(|r| **r == en);
        Decision::Deny(*reason.unwrap_or_else(|| panic!("no reason reads {en:?}")))
    }

    #[test]
    fn every_reason_is_vietnamese_first_then_english() {
        let mut english = std::collections::HashSet::new();
        for reason in reasons::ALL {
            assert!(english.insert(reason.en()), "{reason} twice");
            assert!(!reason.vi().is_ascii(), "{reason}");
            assert!(reason.en().is_ascii(), "{reason}");
            assert_eq!(
                reason.to_string(),
                format!("{} — {}", reason.vi(), reason.en())
            );
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
            deny("access ended one day after delivery")
        );
    }

    #[test]
    fn another_counsellor_is_refused() {
        let named = staff(Role::Counsellor);
        let other = staff(Role::Counsellor);
        let facts = scheduled(&named);
        let decision = may_open_report(&ReportReader::Staff(&other), &facts, at(19, 9));
        assert_eq!(decision, deny("the appointment names another counsellor"));
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
            deny("no appointment is booked")
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
    fn only_admins_look_up_and_correct_customers_with_their_own_reason() {
        assert!(may_keep_customer_data(&staff(Role::Admin), at(1, 9)).is_allowed());
        for role in [Role::Scanner, Role::Counsellor, Role::Auditor] {
            assert_eq!(
                may_keep_customer_data(&staff(role), at(1, 9)),
                deny("only an admin looks up and corrects customers' data"),
                "{role}"
            );
        }
        let mut off = staff(Role::Admin);
        off.disabled = true;
        assert_eq!(
            may_keep_customer_data(&off, at(1, 9)),
            deny("the account is disabled")
        );
    }

    #[test]
    fn the_key_file_recovers_an_admin_only_when_no_admin_can_act() {
        let admin = staff(Role::Admin);
        let now = at(1, 9);
        assert_eq!(
            may_recover_admin(&admin, std::slice::from_ref(&admin), now),
            deny("an admin with an agreement in force can still do this: ask them")
        );
        let mut lapsed = staff(Role::Admin);
        lapsed.agreement.as_mut().unwrap().expires_on =
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let mut off = staff(Role::Admin);
        off.disabled = true;
        let stuck = [lapsed.clone(), off.clone()];
        assert_eq!(may_recover_admin(&lapsed, &stuck, now), Decision::Allow);
        assert_eq!(may_recover_admin(&off, &stuck, now), Decision::Allow);
        assert_eq!(
            may_recover_admin(&staff(Role::Counsellor), &stuck, now),
            deny("only an admin account can be recovered with the key file")
        );
        // One admin still in force is enough to refuse.
        let mut with_one = stuck.to_vec();
        with_one.push(admin);
        assert!(!may_recover_admin(&lapsed, &with_one, now).is_allowed());
    }

    #[test]
    fn booking_needs_a_counsellor_covered_until_the_appointment() {
        let c = staff(Role::Counsellor);
        assert_eq!(may_book(&c, at(20, 9), at(1, 9)), Decision::Allow);
        assert_eq!(
            may_book(&staff(Role::Scanner), at(20, 9), at(1, 9)),
            deny("the account named is not a counsellor")
        );
        assert_eq!(
            may_book(&c, at(1, 8), at(1, 9)),
            deny("the appointment time has already passed; give a time to come")
        );
        let mut short = staff(Role::Counsellor);
        short.agreement.as_mut().unwrap().expires_on =
            NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
        assert_eq!(
            may_book(&short, at(20, 9), at(1, 9)),
            deny("the counsellor's confidentiality agreement ends before the appointment")
        );
        assert_eq!(
            may_book(&short, at(20, 9), at(11, 9)),
            deny("the counsellor's confidentiality agreement is not valid today")
        );
        let mut off = staff(Role::Counsellor);
        off.disabled = true;
        assert!(!may_book(&off, at(20, 9), at(1, 9)).is_allowed());
    }

    #[test]
    fn a_disabled_account_is_refused_everywhere_and_told_so() {
        let mut admin = staff(Role::Admin);
        admin.disabled = true;
        let off = deny("the account is disabled");
        assert_eq!(may_administer(&admin, at(1, 9)), off);
        let mut c = staff(Role::Counsellor);
        let facts = scheduled(&c);
        c.disabled = true;
        let reader = ReportReader::Staff(&c);
        assert_eq!(may_open_report(&reader, &facts, at(19, 9)), off);
        assert_eq!(may_record_delivery(&c, &facts, at(20, 9)), off);
        assert_eq!(
            may_book(&c, at(20, 9), at(1, 9)),
            deny("the counsellor's account is disabled")
        );
        let mut scanner = staff(Role::Scanner);
        scanner.disabled = true;
        assert_eq!(
            may_edit_capture(&scanner, CaseState::Captured, at(1, 9)),
            off
        );
    }

    #[test]
    fn an_admin_disables_others_but_not_themselves() {
        let admin = staff(Role::Admin);
        let other = staff(Role::Counsellor);
        assert!(may_disable(&admin, &other, at(1, 9)).is_allowed());
        assert_eq!(
            may_disable(&admin, &admin, at(1, 9)),
            deny("an admin cannot disable their own account")
        );
        assert_eq!(
            may_disable(&other, &admin, at(1, 9)),
            deny("only an admin reviews cases, books appointments and manages staff")
        );
    }

    #[test]
    fn delivery_is_recorded_by_the_named_counsellor_or_an_admin() {
        let named = staff(Role::Counsellor);
        let facts = scheduled(&named);
        assert!(may_record_delivery(&named, &facts, at(20, 9)).is_allowed());
        assert!(may_record_delivery(&staff(Role::Admin), &facts, at(20, 9)).is_allowed());
        assert_eq!(
            may_record_delivery(&staff(Role::Counsellor), &facts, at(20, 9)),
            deny("the appointment names another counsellor")
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
